"""coursekit.quality: the review finds every planted fault of the lesson's extract with the
manifest's counts, and on data it has never seen agrees with plain pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from coursekit import datasets
from coursekit.quality import (QualityInputError, completeness, coverage, duplicate_pairs, duplicates, failures,
                               name_similarity, normalise_text, report, validity)

EXTRACTS = ["service_records", "service_records_coastal"]


@pytest.fixture(scope="module", params=EXTRACTS)
def extract(request):
    name = request.param
    return datasets.load(name), datasets.load(name, "census"), datasets.manifest(name)["facts"]


def _rules(f):
    extract_date = pd.Timestamp(f["extract_date"])
    rules = {"date_of_birth": pa.Check.in_range(pd.Timestamp("1905-01-01"), extract_date, name="plausible birth date"),
             "region": pa.Check.isin(f["canonical_regions"], name="canonical region")}
    row_rules = {"decision after application":
                 lambda d: d["decision_date"].isna() | (d["decision_date"] >= d["application_date"])}
    return rules, row_rules


# --------------------------------------------------------------------------- the planted faults

def test_duplicates_by_key_match_the_manifest(extract):
    df, _, f = extract
    found = duplicates(df, key="personal_number")
    assert found["duplicate_group"].nunique() == f["duplicated_people"]
    assert len(found) - found["duplicate_group"].nunique() == f["duplicate_records"]


def test_exact_name_and_birth_date_matching_finds_what_the_manifest_says(extract):
    df, _, f = extract
    found = duplicates(df, key=["first_name", "last_name", "date_of_birth"])
    assert found["duplicate_group"].nunique() == f["duplicated_people_found_by_exact_name_and_birth_date"]


def test_fuzzy_duplicates_within_birth_date_find_most_people_recorded_twice(extract):
    df, _, f = extract
    found = duplicates(df, fuzzy=["first_name", "last_name"], block=["date_of_birth"])
    people = found.join(df["personal_number"]).groupby("duplicate_group")["personal_number"].nunique()
    right = int((people == 1).sum())
    # far more than exact matching, and nearly every group found is one person
    assert right > 2 * f["duplicated_people_found_by_exact_name_and_birth_date"]
    assert right >= 0.9 * f["duplicated_people"]
    assert right >= 0.95 * len(people)


def test_validity_counts_match_the_manifest(extract):
    df, _, f = extract
    rules, row_rules = _rules(f)
    table = validity(df, rules, row_rules=row_rules).set_index("rule")["failing_records"]
    assert table["plausible birth date"] == f["impossible_birth_dates"]
    assert table["canonical region"] == f["records_with_non_canonical_region"]
    assert table["decision after application"] == f["decisions_before_application"]


def test_failures_list_each_record_once_per_rule(extract):
    df, _, f = extract
    rules, row_rules = _rules(f)
    fails = failures(df, rules, row_rules=row_rules)
    assert not fails.duplicated(["row", "rule"]).any()
    dob = fails[fails["rule"] == "plausible birth date"]
    assert set(dob["row"]) == set(df.index[(df["date_of_birth"] < pd.Timestamp("1905-01-01"))
                                           | (df["date_of_birth"] > pd.Timestamp(f["extract_date"]))])
    assert set(fails.loc[fails["rule"] == "canonical region", "value"]) == set(f["region_code_variants"])


def test_missingness_by_group_matches_the_manifest(extract):
    df, _, f = extract
    table = completeness(df, ["employment_status", "income_fortnightly_eur"], by="nationality_status")
    for col, rates in f["missing_rate_by_nationality"].items():
        for group, expected in rates.items():
            got = table.loc[(table["nationality_status"] == group) & (table["column"] == col), "missing_rate"].item()
            assert got == pytest.approx(expected, abs=6e-5)
    worst = table.sort_values("missing_rate").iloc[-1]["nationality_status"]
    assert worst == f["group_with_concentrated_missingness"]


def test_coverage_against_the_census_matches_the_manifest(extract):
    df, census, f = extract
    table = coverage(df, "age_band", reference=census.groupby("age_band")["population"].sum()).set_index("age_band")
    for band, ratio in f["representation_ratio_by_age_band"].items():
        assert table.loc[band, "ratio"] == pytest.approx(ratio, abs=6e-5)
        assert table.loc[band, "reference_share"] == pytest.approx(f["census_share_by_age_band"][band], abs=6e-5)
    assert table["ratio"].idxmin() == f["under_represented_group"]


def test_report_lists_every_fault_of_the_manifest(extract):
    df, census, f = extract
    rules, row_rules = _rules(f)
    ref = census.groupby("age_band")["population"].sum()
    page = report(df, rules=rules, row_rules=row_rules, key="personal_number", by="nationality_status",
                  coverage_of="age_band", reference=ref, min_ratio=0.5)
    records = dict(zip(page["check"], page["records"]))
    assert records["duplicates: same personal_number"] == f["duplicate_records"]
    assert records["date_of_birth: plausible birth date"] == f["impossible_birth_dates"]
    assert records["(row): decision after application"] == f["decisions_before_application"]
    assert records["region: canonical region"] == f["records_with_non_canonical_region"]
    assert records[f"{f['retention_breach_column']} missing"] == len(df) - f["retention_breach_values"]
    missing_detail = page.set_index("check").loc["employment_status missing", "detail"]
    assert missing_detail.startswith(f"highest in {f['group_with_concentrated_missingness']}")
    assert page.loc[page["dimension"] == "representativeness", "check"].tolist() == [f"age_band = {f['under_represented_group']}"]
    assert set(page["dimension"]) == {"completeness", "validity", "uniqueness", "representativeness"}


# --------------------------------------------------------------------------- unseen data, against plain pandas

@pytest.fixture(scope="module")
def unseen():
    """Random data the tools were not written for: gaps, repeated keys, three groups."""
    rng = np.random.default_rng(7)
    n = 2_000
    df = pd.DataFrame({
        "key": rng.integers(0, 1_500, n),
        "group": rng.choice(["x", "y", "z"], n, p=[0.5, 0.3, 0.2]),
        "a": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
        "b": pd.Series(rng.choice(["p", "q", None], n), dtype=object),
        "c": np.where(rng.random(n) < 0.3, np.nan, 1.0),
    }, index=pd.RangeIndex(100, 100 + n))
    df.loc[df.sample(200, random_state=1).index, "group"] = None
    return df


def test_completeness_equals_plain_pandas(unseen):
    table = completeness(unseen).set_index("column")
    assert (table["missing"] == unseen.isna().sum()).all()
    assert np.allclose(table["missing_rate"], unseen.isna().mean())
    by = completeness(unseen, ["a", "b", "c"], by="group")
    for col in ("a", "b", "c"):
        expected = unseen[col].isna().groupby(unseen["group"].fillna("__na__")).agg(["size", "sum"])
        got = by[by["column"] == col].assign(g=lambda t: t["group"].fillna("__na__")).set_index("g")
        assert (got.loc[expected.index, "rows"] == expected["size"]).all()
        assert (got.loc[expected.index, "missing"] == expected["sum"]).all()


def test_duplicates_by_key_equal_plain_pandas(unseen):
    found = duplicates(unseen, key="key")
    expected = unseen[unseen["key"].duplicated(keep=False)]
    assert set(found.index) == set(expected.index)
    assert found["duplicate_group"].nunique() == expected["key"].nunique()
    assert len(found) - found["duplicate_group"].nunique() == unseen["key"].duplicated().sum()
    assert (found.groupby("duplicate_group")["key"].nunique() == 1).all()


def test_key_with_missing_values_never_makes_a_group():
    df = pd.DataFrame({"k": ["a", None, None, "a", "b"]})
    found = duplicates(df, key="k")
    assert list(found.index) == [0, 3]


def test_fuzzy_duplicates_compare_only_within_blocks():
    df = pd.DataFrame({
        "first": ["Mohammed", "Mohamed", "Mohammed", "Anna", "ANNA ", "Jan"],
        "last": ["El Amrani", "El-Amrani", "El Amrani", "de Vries", "deVries", "Bakker"],
        "dob": ["1980-01-01", "1980-01-01", "1990-05-05", "1975-02-02", "1975-02-02", "1975-02-02"],
    })
    pairs = duplicate_pairs(df, fuzzy=["first", "last"], block=["dob"])
    assert set(zip(pairs["left"], pairs["right"])) == {(0, 1), (3, 4)}  # 0 and 2 differ in birth date
    found = duplicates(df, fuzzy=["first", "last"], block="dob")
    assert len(found) == 4 and found["duplicate_group"].nunique() == 2
    assert (found["group_size"] == 2).all()


def test_fuzzy_groups_follow_chains_of_pairs():
    df = pd.DataFrame({"name": ["abcdefgh", "abcdefgx", "abcdefyx", "zzzz"], "b": 1})
    found = duplicates(df, fuzzy="name", block="b", threshold=0.85)
    assert set(found.index) == {0, 1, 2} and found["duplicate_group"].nunique() == 1


def test_name_similarity_and_normalisation():
    assert normalise_text("Öztürk") == normalise_text("Ozturk") == "ozturk"
    assert normalise_text("El-Amrani") == normalise_text("el amrani") == "elamrani"
    assert name_similarity("Yılmaz", "Yilmaz") == 1.0
    assert 0.8 < name_similarity("Mohammed", "Mohamed") < 1.0
    assert name_similarity("Anna", "Piotr") < 0.3


def test_coverage_equals_plain_pandas(unseen):
    ref = {"x": 40, "y": 40, "z": 20}
    table = coverage(unseen, "group", reference=ref).set_index("group")
    share = unseen["group"].value_counts(normalize=True)
    for g in ref:
        assert table.loc[g, "share"] == pytest.approx(share[g])
        assert table.loc[g, "ratio"] == pytest.approx(share[g] / (ref[g] / 100))
    assert table["records"].sum() == unseen["group"].notna().sum()


def test_coverage_keeps_categories_missing_on_either_side():
    df = pd.DataFrame({"g": ["a", "a", "c"]})
    table = coverage(df, "g", reference={"a": 1, "b": 1}).set_index("g")
    assert table.loc["b", "records"] == 0 and table.loc["b", "ratio"] == 0
    assert table.loc["c", "reference_share"] == 0 and np.isnan(table.loc["c", "ratio"])


def test_validity_ignores_missing_values_and_accepts_a_schema(unseen):
    rules = {"a": pa.Check.in_range(-2, 2)}
    expected = int(((unseen["a"] < -2) | (unseen["a"] > 2)).sum())
    assert validity(unseen, rules)["failing_records"].item() == expected
    schema = pa.DataFrameSchema({"a": pa.Column(float, pa.Check.in_range(-2, 2), nullable=True)})
    assert validity(unseen, schema)["failing_records"].item() == expected


def test_a_clean_table_has_an_empty_report():
    df = pd.DataFrame({"k": [1, 2, 3], "v": ["a", "b", "c"]})
    assert report(df, rules={"v": pa.Check.isin(["a", "b", "c"])}, key="k").empty


@pytest.mark.parametrize("call, words", [
    (lambda: completeness([1, 2]), "DataFrame"),
    (lambda: completeness(pd.DataFrame({"a": [1]}), by="nope"), "no column 'nope'"),
    (lambda: validity(pd.DataFrame({"a": [1]}), {"a": "positive"}), "pandera Check"),
    (lambda: duplicates(pd.DataFrame({"a": [1]})), "either key"),
    (lambda: duplicate_pairs(pd.DataFrame({"a": ["x"]}), fuzzy="a", block="a", threshold=2), "between 0 and 1"),
    (lambda: coverage(pd.DataFrame({"a": [1]}), "a", reference=[1, 2]), "dict or a pandas Series"),
])
def test_bad_input_gives_one_clear_error(call, words):
    with pytest.raises(QualityInputError, match=words):
        call()
