"""The learner's job profile: choosing it (`coursekit profile`), the rule for which exercise items
are theirs, the start page's lines and `coursekit.my_items()`."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml

import coursekit
import minicourse
from coursekit import cli
from coursekit.platform import competencies, evidence, learner_profile, syllabus, workspace
from coursekit.platform.authoring import build

REPO = Path(__file__).resolve().parent.parent
LEVELS = ["awareness", "working", "practitioner"]


@pytest.fixture
def real_course(monkeypatch):
    """The kit's own course, whatever folder the tests run from."""
    monkeypatch.setenv("COURSEKIT_ROOT", str(REPO))
    syllabus._load.cache_clear()
    competencies._load.cache_clear()
    yield REPO
    syllabus._load.cache_clear()
    competencies._load.cache_clear()


def item(level, *comps, gid="x1"):
    return evidence.Item("m00", gid, tuple(comps), level, 1.0, False)


# --- the rule --------------------------------------------------------------------------------

def test_an_item_is_yours_at_or_below_the_level_your_profile_needs(real_course):
    caseworker = competencies.profile("caseworker")            # fairness_testing: working
    assert learner_profile.is_yours(item("awareness", "fairness_testing"), caseworker)
    assert learner_profile.is_yours(item("working", "fairness_testing"), caseworker)
    assert not learner_profile.is_yours(item("practitioner", "fairness_testing"), caseworker)


def test_an_item_in_a_competency_your_profile_does_not_need_is_optional(real_course):
    caseworker = competencies.profile("caseworker")
    assert caseworker.required("procurement") is None
    assert not learner_profile.is_yours(item("awareness", "procurement"), caseworker)
    # one of an item's competencies at a level the profile needs is enough
    assert learner_profile.is_yours(item("working", "procurement", "fairness_testing"), caseworker)


def test_the_rule_agrees_with_profiles_yml_read_by_hand(real_course):
    """Every item of the course, for every profile, against profiles.yml read with plain YAML."""
    data = yaml.safe_load((REPO / "competencies" / "profiles.yml").read_text())
    tags = evidence.course_tags()
    assert tags.items
    for entry in data["profiles"]:
        prof = competencies.profile(entry["id"])
        for it in tags.items:
            by_hand = any(c in entry["requires"] and LEVELS.index(entry["requires"][c]) >= LEVELS.index(it.level)
                          for c in it.competencies)
            assert learner_profile.is_yours(it, prof) == by_hand, (entry["id"], it)


def _yours(module_id, profile_id):
    prof = competencies.profile(profile_id)
    return {q.label for q in learner_profile.questions(module_id, prof) if q.status == learner_profile.YOURS}


def test_a_caseworkers_items_in_m03_are_in_part_a(real_course):
    qs = learner_profile.questions("m03_fairness", competencies.profile("caseworker"))
    mine = [q for q in qs if q.status == learner_profile.YOURS]
    assert mine, "a caseworker has items of their own in the fairness exercise"
    assert {q.part for q in mine} == {"Part A"}
    assert all(q.label.startswith("A") for q in mine)
    assert all(q.status == learner_profile.OPTIONAL for q in qs if q.part == "Part B")


def test_a_data_practitioners_items_in_m03_include_part_b(real_course):
    qs = learner_profile.questions("m03_fairness", competencies.profile("data_practitioner"))
    part_b = [q for q in qs if q.part == "Part B"]
    assert part_b and all(q.status == learner_profile.YOURS for q in part_b)
    assert _yours("m03_fairness", "caseworker") < _yours("m03_fairness", "data_practitioner")


@pytest.mark.parametrize("module_id, non_technical, auditor", [
    ("m01_right_tool", ["senior_leader", "procurement_officer", "caseworker", "data_practitioner"], "oversight_audit"),
    ("m05_impact_assessment", ["senior_leader", "public_contact"], "oversight_audit"),
])
def test_two_paths_non_technical_items_are_in_part_a_an_auditors_include_part_b(real_course, module_id,
                                                                               non_technical, auditor):
    for profile_id in non_technical:
        qs = learner_profile.questions(module_id, competencies.profile(profile_id))
        mine = [q for q in qs if q.status == learner_profile.YOURS and not q.written]
        assert mine, f"{profile_id} has autograded items of their own in {module_id}"
        assert {q.part for q in mine} == {"Part A"}, (profile_id, [(q.label, q.part) for q in mine])
    qs = learner_profile.questions(module_id, competencies.profile(auditor))
    part_b = [q for q in qs if q.part == "Part B"]
    assert len(part_b) >= 2 and all(q.status == learner_profile.YOURS for q in part_b)
    assert all(q.label.startswith("B") for q in part_b)


def test_written_answers_count_like_the_others(real_course):
    # m03's written answer is tagged fairness_testing and procurement at practitioner level
    written = [q for q in learner_profile.questions("m03_fairness", competencies.profile("oversight_audit"))
               if q.written]
    assert len(written) == 1 and written[0].status == learner_profile.YOURS
    assert "written answer" not in _yours("m03_fairness", "caseworker")


def test_every_graded_item_is_named_by_the_heading_it_is_under(real_course):
    for m in syllabus.modules():
        heads = learner_profile.headed_cells(m.solution_notebook)
        items, _ = evidence.read_tags(m.solution_notebook, m.id)
        for it in items:
            label, _part = heads[it.item]
            assert label != it.item, f"{m.id}/{it.item}: no 'Question ...' or 'Written answer' heading above it"


def test_summary_names_yours_and_the_optional_ones(real_course):
    line = learner_profile.summary("m03_fairness", competencies.profile("caseworker"))
    mine, optional = line.split("; optional, for going further: ")
    assert "A1" in mine and "B" not in mine
    assert "Part B" in optional and "the written answer" in optional


# --- choosing it: coursekit profile --------------------------------------------------------------

def test_profile_set_and_show(real_course, learner_home, capsys):
    assert cli.main(["profile"]) == 0
    assert "not chosen" in capsys.readouterr().out
    assert cli.main(["profile", "set", "caseworker"]) == 0
    assert "Caseworker" in capsys.readouterr().out
    assert yaml.safe_load((learner_home / "profile.yml").read_text()) == {"profile": "caseworker"}
    assert cli.main(["profile"]) == 0
    out = capsys.readouterr().out
    assert "Caseworker who reviews AI outputs (caseworker)" in out
    assert "m03_fairness: Your items:" in out
    assert cli.main(["profile", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["profile"] == "caseworker"


def test_an_unknown_profile_is_refused_with_the_valid_ones(real_course, learner_home, capsys):
    assert cli.main(["profile", "set", "astronaut"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "astronaut" in err
    for pid in competencies.profiles():
        assert pid in err
    assert not (learner_home / "profile.yml").exists()


def test_progress_without_profile_uses_the_chosen_one(real_course, learner_home, capsys):
    assert cli.main(["progress", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["profile"] is None
    learner_profile.choose("policy_officer")
    assert cli.main(["progress", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["profile"] == "policy_officer"


def test_a_choice_profiles_yml_no_longer_has_says_to_choose_again(real_course, learner_home, capsys):
    learner_home.mkdir(parents=True, exist_ok=True)
    (learner_home / "profile.yml").write_text("profile: retired_role\n")
    assert cli.main(["profile"]) == 2
    assert "choose again" in capsys.readouterr().err


# --- the start page ----------------------------------------------------------------------------

@pytest.fixture
def course_with_headings(mini_course, learner_home):
    """The mini course with headings in its exercise (as the real ones have) and a start page."""
    src = mini_course / "solutions" / minicourse.MODULE / "exercise.ipynb"
    nb = nbformat.read(src, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_markdown_cell("## Question 1 (2 points)"))
    nb.cells.insert(5, nbformat.v4.new_markdown_cell("## Question 2 (3 points)"))
    nb.cells.insert(8, nbformat.v4.new_markdown_cell("## Written answer (2 points)"))
    nbformat.write(nb, src)
    start = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Start"),
        nbformat.v4.new_markdown_cell("table", metadata={"coursekit": {"generated": "modules"}})])
    nbformat.write(start, mini_course / "START.ipynb")
    build.build()
    return mini_course


def _profile_cell():
    nb = json.loads((workspace.workspace_dir() / "START.ipynb").read_text())
    cells = [c for c in nb["cells"] if c["metadata"].get("coursekit") == {"generated": "profile"}]
    assert len(cells) == 1
    return "".join(cells[0]["source"])


def test_start_page_without_a_profile_says_how_to_choose(course_with_headings):
    workspace.prepare()
    text = _profile_cell()
    assert "coursekit profile set" in text and "coursekit.choose_profile" in text
    assert "Your items" not in text


def test_start_page_with_a_profile_lists_each_modules_items(course_with_headings, capsys):
    workspace.prepare()
    assert cli.main(["profile", "set", "caseworker"]) == 0      # rewrites the start page at once
    text = _profile_cell()
    # caseworker: fairness_testing at working (q1 yours, q2 practitioner optional), transparency at working
    assert "Caseworker who reviews AI outputs" in text
    assert "Your items: question 1 and the written answer; optional, for going further: question 2." in text
    learner_profile.choose("data_practitioner")       # transparency at working, fairness at practitioner
    workspace.prepare()
    assert "(all of them)" in _profile_cell()


# --- coursekit.my_items() --------------------------------------------------------------------------

def test_my_items_for_two_profiles(real_course, learner_home, capsys, monkeypatch):
    coursekit.my_items("m03_fairness")
    assert "coursekit profile set" in capsys.readouterr().out       # no profile yet: how to choose
    learner_profile.choose("caseworker")
    coursekit.my_items("m03_fairness")
    lines = capsys.readouterr().out.splitlines()
    yours = next(ln for ln in lines if ln.startswith("Yours:"))
    optional = next(ln for ln in lines if ln.startswith("Optional"))
    assert "A1" in yours and "A2" in yours and "B" not in yours
    assert "Part B" in optional
    assert any("Testing AI systems for discriminatory bias: Working level" in ln for ln in lines)

    learner_profile.choose("data_practitioner")
    monkeypatch.chdir(REPO / "exercises" / "m03_fairness")         # found from the notebook's folder
    coursekit.my_items()
    lines = capsys.readouterr().out.splitlines()
    assert next(ln for ln in lines if ln.startswith("Yours:")).startswith("Yours: Part A, Part B and the written answer")
    assert not any(ln.startswith("Optional") for ln in lines)


def test_my_items_is_silent_while_graded(real_course, learner_home, capsys, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    coursekit.my_items("m03_fairness")
    assert capsys.readouterr().out == ""


# --- progress against the chosen profile ----------------------------------------------------------

@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_progress_in_a_notebook_compares_with_the_chosen_profile(tmp_path, monkeypatch, capsys):
    import evidence_course as ec
    from coursekit import progress as view
    from coursekit.platform import paths

    root = ec.make_root(tmp_path / "root")
    ec.use_root(monkeypatch, root)
    monkeypatch.setenv("COURSEKIT_HOME", str(tmp_path / "home"))
    gradebook = paths.personal_course_dir() / "gradebook.db"
    gradebook.parent.mkdir(parents=True)
    ec.make_gradebook(gradebook, [(paths.SELF_LEARNER_ID, "m11_beta", {"q1": 1, "q2": 2, "q3": 2}, ec.at(5))])
    monkeypatch.setattr(view._platform_view, "in_notebook", lambda: False)
    view.show()
    assert "Compared with the job profile" not in capsys.readouterr().out
    learner_profile.choose("caseworker")
    view.show()
    assert "Compared with the job profile: Caseworker who reviews AI outputs" in capsys.readouterr().out
    assert cli.main(["progress"]) == 0
    assert "Compared with the job profile: Caseworker who reviews AI outputs" in capsys.readouterr().out
    ec.use_root(monkeypatch, root)
