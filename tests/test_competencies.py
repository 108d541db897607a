"""The competency framework, the job profiles, their schema check, and coverage by graded items."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

import evidence_course as ec
from coursekit import cli
from coursekit.platform import competencies
from coursekit.platform import evidence

IDS = ["ai_fit", "ai_law", "impact_assessment", "data_quality", "fairness_testing", "data_protection",
       "human_oversight", "procurement", "monitoring", "transparency"]
PROFILES = ["senior_leader", "policy_officer", "procurement_officer", "caseworker", "data_practitioner",
            "oversight_audit"]


def _edit(root, name, change):
    path = root / "competencies" / name
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    competencies._load.cache_clear()
    competencies._load_profiles.cache_clear()


def test_the_kits_files_pass_the_schema_check():
    assert competencies.problems() == []


def test_framework_keeps_its_ids_and_has_unesco_domains_and_four_levels():
    fw = competencies.framework()
    assert fw.ids == IDS
    assert fw.levels == ("awareness", "working", "practitioner", "expert")
    assert [name for _, name in fw.domains] == ["Digital planning and design", "Data use and governance",
                                                "Digital management and execution"]
    for c in fw.competencies:
        assert c.description, c.id
        assert [lv for lv, _ in c.descriptors] == list(fw.levels), c.id
        assert all(len(text) > 40 for _, text in c.descriptors), c.id


def test_profiles_name_each_job_with_a_level_per_competency():
    profs = competencies.profiles()
    assert set(PROFILES) <= set(profs)
    fw = competencies.framework()
    for p in profs.values():
        assert p.name and p.description
        assert p.requires, p.id
        for cid, level in p.requires:
            assert cid in fw.ids and level in fw.levels
    assert competencies.profile("caseworker").required("human_oversight") == "working"
    assert competencies.profile("caseworker").required("procurement") is None   # omitted: not required


def test_unknown_profile_is_a_usage_error():
    with pytest.raises(competencies.UsageError, match="unknown job profile 'astronaut'.*caseworker"):
        competencies.profile("astronaut")


def test_schema_check_passes_on_a_copy(root):
    assert competencies.problems() == []


def test_schema_check_catches_a_profile_naming_an_unknown_competency(root):
    _edit(root, "profiles.yml", lambda d: d["profiles"][0]["requires"].update({"telepathy": "working"}))
    assert any("unknown competency 'telepathy'" in p for p in competencies.problems())


def test_schema_check_catches_an_unknown_level_in_a_profile(root):
    _edit(root, "profiles.yml", lambda d: d["profiles"][1]["requires"].update({"ai_fit": "wizard"}))
    assert any("unknown level 'wizard'" in p for p in competencies.problems())


def test_schema_check_catches_a_missing_level_descriptor(root):
    def drop(d):
        del d["domains"][0]["competencies"][0]["levels"]["expert"]
    _edit(root, "framework.yml", drop)
    assert any("'ai_fit'" in p and "level 'expert' has no descriptor" in p for p in competencies.problems())


def test_schema_check_catches_an_unknown_level_descriptor_and_repeated_ids(root):
    def change(d):
        d["domains"][0]["competencies"][0]["levels"]["guru"] = "Knows everything."
        d["domains"][1]["competencies"].append(dict(d["domains"][0]["competencies"][1]))
    _edit(root, "framework.yml", change)
    problems = competencies.problems()
    assert any("unknown level 'guru'" in p for p in problems)
    assert any("'ai_law'" in p and "listed twice" in p for p in problems)


def test_schema_check_catches_unknown_ids_in_the_syllabus(root):
    path = root / "course" / "syllabus.yml"
    data = yaml.safe_load(path.read_text())
    data["modules"][0]["profiles"].append("astronaut")
    data["modules"][1]["competencies"].append("telepathy")
    path.write_text(yaml.safe_dump(data))
    from coursekit.platform import syllabus
    syllabus._load.cache_clear()
    problems = competencies.problems()
    assert any("m10_alpha" in p and "unknown profile 'astronaut'" in p for p in problems)
    assert any("m11_beta" in p and "unknown competency 'telepathy'" in p for p in problems)
    assert cli.main(["competencies", "check"]) == 1


def test_check_command_passes(root, capsys):
    assert cli.main(["competencies", "check"]) == 0


# ---------------------------------------------------------------------------------------------
# Coverage

def test_coverage_lists_items_per_competency_and_level(root):
    cov = evidence.coverage()
    by_id = {c["id"]: c for c in cov["competencies"]}
    ft = by_id["fairness_testing"]
    assert ft["covered"] and ft["items"] == 4
    assert ft["levels"]["awareness"] == [{"module": "m10_alpha", "grade_id": "q1", "points": 2.0}]
    assert {(i["module"], i["grade_id"]) for i in ft["levels"]["working"]} == {("m10_alpha", "q2"), ("m11_beta", "q3")}
    assert ft["levels"]["practitioner"] == [{"module": "m10_alpha", "grade_id": "q4", "points": 2.0}]
    assert by_id["human_oversight"]["levels"]["working"][-1]["grade_id"] == "w1"   # written answers count
    assert not by_id["procurement"]["covered"] and by_id["procurement"]["items"] == 0
    assert cov["missing_notebooks"] == [] and cov["problems"] == []


def test_coverage_command_text_and_json(root, capsys):
    assert cli.main(["competencies", "coverage"]) == 0
    out = capsys.readouterr().out
    assert "procurement: Procuring AI and testing vendor claims: NOT COVERED" in out
    assert "m10_alpha/q4 (2)" in out
    assert cli.main(["competencies", "coverage", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in data["competencies"]] == IDS
    assert {c["id"] for c in data["competencies"] if not c["covered"]} == set(IDS) - {
        "fairness_testing", "human_oversight", "ai_fit"}


def test_coverage_reports_missing_notebooks_and_bad_tags(tmp_path, monkeypatch, capsys):
    r = ec.make_root(tmp_path / "r2", missing=("m11_beta",), bad_tag={"m10_alpha": "q2"})
    ec.use_root(monkeypatch, r)
    cov = evidence.coverage()
    assert cov["missing_notebooks"] == ["m11_beta"]
    assert any("cell q2" in p and "no_such_competency" in p for p in cov["problems"])
    ai_fit = next(c for c in cov["competencies"] if c["id"] == "ai_fit")
    assert not ai_fit["covered"]
    assert cli.main(["competencies", "coverage"]) == 0
    captured = capsys.readouterr()
    assert "modules without a solution notebook yet: m11_beta" in captured.out
    assert "cell q2" in captured.err
    ec.use_root(monkeypatch, r)


def test_coverage_notes_syllabus_and_tags_disagreeing(tmp_path, monkeypatch):
    mods = {"m10_alpha": dict(ec.MODULES["m10_alpha"], competencies=["fairness_testing", "monitoring"])}
    r = ec.make_root(tmp_path / "r3", modules=mods)
    ec.use_root(monkeypatch, r)
    notes = evidence.coverage()["notes"]
    assert any("lists monitoring" in n for n in notes)
    assert any("tagged human_oversight" in n for n in notes)
    ec.use_root(monkeypatch, r)
    shutil.rmtree(r)
