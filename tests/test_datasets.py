"""The datasets as a whole: files, loading, schemas, datasheets, manifests, the build and its errors.

The per-dataset files (tests/test_datasets_<name>.py) recompute each manifest's facts.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest

from coursekit import cli, datasets
from coursekit.platform.authoring import datasets_build as build
from coursekit.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "coursekit" / "datasets" / "data"
MAX_CSV_BYTES = 5 * 1024 * 1024
GEBRU_SECTIONS = ["Motivation", "Composition", "Collection process", "Preprocessing, cleaning and labelling",
                  "Uses", "Distribution", "Maintenance"]
TABLES = [(name, table) for name in datasets.NAMES for table in datasets.tables(name)]


def csv_name(name, table):
    return f"{name}.csv" if table is None else f"{name}_{table}.csv"


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    """A fresh build of every dataset into an empty folder."""
    out = tmp_path_factory.mktemp("datasets")
    written = build.build(out_dir=out)
    assert written, "a build into an empty folder writes files"
    return out


# --------------------------------------------------------------------------- the committed files

def test_names_start_with_the_lesson_datasets_and_each_has_a_generator():
    assert datasets.NAMES[:5] == ("benefit_claims", "caseworker_decisions", "service_records", "model_monitoring",
                                  "vendor_trial")
    assert {"service_records_coastal", "vendor_trial_b", "model_monitoring_b", "benefit_claims_north",
            "caseworker_decisions_b"} <= set(datasets.NAMES)
    assert len(set(datasets.NAMES)) == len(datasets.NAMES)
    for name in datasets.NAMES:
        assert datasets.generator(name).NAME == name


def test_every_file_starts_with_its_dataset_name():
    for p in DATA.iterdir():
        if p.name.startswith("."):
            continue
        assert any(p.name.startswith((f"{n}.", f"{n}_")) for n in datasets.NAMES), p.name


@pytest.mark.parametrize("name", datasets.NAMES)
def test_each_dataset_has_csv_datasheet_and_manifest(name):
    for table in datasets.tables(name):
        assert (DATA / csv_name(name, table)).is_file()
    # An exercise's extract keeps its manifest and datasheet (its answer key) with the course.
    home = ROOT / datasets.ANSWER_KEYS if datasets.is_exercise_extract(name) else DATA
    other = DATA if datasets.is_exercise_extract(name) else ROOT / datasets.ANSWER_KEYS
    assert (home / f"{name}.datasheet.md").is_file()
    assert (home / f"{name}.manifest.json").is_file()
    assert not (other / f"{name}.manifest.json").exists()


@pytest.mark.parametrize("name,table", TABLES)
def test_csv_is_small_and_uses_unix_line_endings(name, table):
    data = (DATA / csv_name(name, table)).read_bytes()
    assert len(data) < MAX_CSV_BYTES
    assert b"\r" not in data and data.endswith(b"\n")
    data.decode("utf-8")


def test_benefit_claims_row_count_is_in_range():
    assert 20_000 <= len(datasets.load("benefit_claims")) <= 40_000


def test_committed_files_are_exactly_what_the_generators_make(rebuilt):
    keys = build.answer_keys()
    made = sorted(p.name for p in rebuilt.iterdir())
    committed = sorted([p.name for p in DATA.iterdir() if not p.name.startswith(".")]
                       + [p.name for p in (ROOT / datasets.ANSWER_KEYS).iterdir()])
    assert made == committed
    for fname in made:
        home = ROOT / datasets.ANSWER_KEYS if fname in keys else DATA
        assert (rebuilt / fname).read_bytes() == (home / fname).read_bytes(), fname


def test_generation_is_repeatable():
    first = build.generate("caseworker_decisions")
    second = build.generate("caseworker_decisions")
    assert first == second


# --------------------------------------------------------------------------- load, manifest, schema

@pytest.mark.parametrize("name,table", TABLES)
def test_load_gives_typed_columns_and_passes_the_schema(name, table):
    df = datasets.load(name, table)
    spec = datasets.generator(name).TABLES[table]
    assert list(df.columns) == spec.names
    for col in spec.columns:
        kind = df[col.name].dtype
        if col.kind in ("date", "month"):
            assert pd.api.types.is_datetime64_any_dtype(kind), col.name
        elif col.kind == "bool":
            assert str(kind) == ("boolean" if col.nullable else "bool"), col.name
        elif col.kind == "int":
            assert str(kind) == ("Int64" if col.nullable else "int64"), col.name
        elif col.kind == "float":
            assert str(kind) == "float64", col.name
        else:
            assert pd.api.types.is_string_dtype(kind) or kind == object, col.name
    datasets.schema(name, table).validate(df, lazy=True)


def test_schema_catches_a_bad_value():
    df = datasets.load("benefit_claims").head(50).copy()
    df.loc[3, "nationality_status"] = "unknown"
    df.loc[4, "risk_score"] = 1.5
    with pytest.raises(pa.errors.SchemaErrors) as info:
        datasets.schema("benefit_claims").validate(df, lazy=True)
    failed = set(info.value.failure_cases["column"])
    assert {"nationality_status", "risk_score"} <= failed


def test_load_tables_by_name():
    truth = datasets.load("benefit_claims", "truth")
    assert list(truth.columns) == ["claim_id", "true_fraud"]
    census = datasets.load("service_records", "census")
    assert census["population"].dtype == "int64"
    assert pd.api.types.is_datetime64_any_dtype(datasets.load("model_monitoring")["month"])


def test_load_unknown_name_lists_the_known_names():
    with pytest.raises(UsageError) as info:
        datasets.load("benefit_claim")
    for name in datasets.NAMES:
        assert name in str(info.value)


def test_load_unknown_table():
    with pytest.raises(UsageError, match="truth"):
        datasets.load("benefit_claims", "answers")


def test_manifest_unknown_name():
    with pytest.raises(UsageError):
        datasets.manifest("nope")


def test_load_reads_the_package_data_folder(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path / "data")
    with pytest.raises(UsageError, match="coursekit datasets build"):
        datasets.load("vendor_trial")
    build.build(["vendor_trial"], out_dir=tmp_path / "data")
    assert len(datasets.load("vendor_trial")) == datasets.manifest("vendor_trial")["facts"]["rows"]


@pytest.mark.parametrize("name", datasets.NAMES)
def test_manifest_describes_its_files(name):
    m = datasets.manifest(name)
    assert m["name"] == name and m["synthetic"] is True
    assert m["calibrated_on"]
    assert set(m["facts"]) == set(m["how_computed"])
    keys = build.answer_keys([name])
    for fname, info in m["files"].items():
        assert ((ROOT / datasets.ANSWER_KEYS) if fname in keys else DATA).joinpath(fname).is_file()
        if fname.endswith(".csv"):
            df = pd.read_csv(DATA / fname)
            assert info["rows"] == len(df)
            assert info["columns"] == list(df.columns)
    json.dumps(m, allow_nan=False)  # no NaN or infinity in a manifest


# --------------------------------------------------------------------------- datasheets

@pytest.mark.parametrize("name", datasets.NAMES)
def test_datasheet_has_the_gebru_sections_and_a_full_dictionary(name):
    home = ROOT / datasets.ANSWER_KEYS if datasets.is_exercise_extract(name) else DATA
    text = (home / f"{name}.datasheet.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    for section in GEBRU_SECTIONS:
        assert section in headings, section
    assert "synthetic" in text.lower()
    for table in datasets.tables(name):
        for col in datasets.generator(name).TABLES[table].names:
            assert f"| `{col}` |" in text, col
    for case in datasets.manifest(name)["calibrated_on"]:
        assert case in text


# --------------------------------------------------------------------------- build and check

def test_check_passes_on_a_fresh_build_and_spots_changes(rebuilt, tmp_path):
    out = tmp_path / "copy"
    out.mkdir()
    for p in rebuilt.iterdir():
        (out / p.name).write_bytes(p.read_bytes())
    assert build.build(check=True, out_dir=out) == []
    (out / "vendor_trial.csv").write_bytes((out / "vendor_trial.csv").read_bytes().replace(b"eligible", b"Eligible", 1))
    (out / "model_monitoring.manifest.json").unlink()
    (out / "benefit_claims_old.csv").write_text("x\n")
    found = build.build(check=True, out_dir=out)
    assert sorted(found) == ["benefit_claims_old.csv", "model_monitoring.manifest.json", "vendor_trial.csv"]
    written = build.build(out_dir=out)
    assert sorted(written) == ["benefit_claims_old.csv", "model_monitoring.manifest.json", "vendor_trial.csv"]
    assert not (out / "benefit_claims_old.csv").exists()
    assert build.build(check=True, out_dir=out) == []
    assert build.build(out_dir=out) == []  # nothing to do


def test_cli_check_exit_codes(rebuilt, tmp_path, capsys):
    assert cli.main(["datasets", "build", "--check", "--out", str(rebuilt)]) == 0
    out = tmp_path / "one"
    assert cli.main(["datasets", "build", "vendor_trial", "--out", str(out)]) == 0
    (out / "vendor_trial.datasheet.md").write_text("edited by hand\n")
    capsys.readouterr()
    assert cli.main(["datasets", "build", "--check", "vendor_trial", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "vendor_trial.datasheet.md" in err and "vendor_trial.csv" not in err


def test_cli_unknown_name_is_one_line_and_exit_2(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["datasets", "build", "benefit_claims", "nope", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope" in err and "benefit_claims" in err
    assert not out.exists()
    assert cli.main(["datasets", "build", "--check", "nope"]) == 2


def test_cli_unwritable_folder_is_one_line_exit_2_and_no_files(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder\n")
    for out in (blocker, blocker / "sub"):
        assert cli.main(["datasets", "build", "vendor_trial", "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "error" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_failed_write_leaves_no_partial_files(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    out.mkdir()
    real = tempfile.mkstemp
    calls = {"n": 0}

    def flaky(*args, **kwargs):  # the disk fills up on the third file
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", flaky)
    assert cli.main(["datasets", "build", "service_records", "--out", str(out)]) == 2
    assert "No space left" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_written_files_get_ordinary_permissions(rebuilt):
    mask = os.umask(0)
    os.umask(mask)
    for p in rebuilt.iterdir():  # what open() would give, not the 0600 of a temporary file
        assert p.stat().st_mode & 0o777 == 0o666 & ~mask, p.name
