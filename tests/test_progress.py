"""`coursekit progress` and `coursekit.progress.show()` (the notebook view) for the self-paced learner."""

from __future__ import annotations

import json

import pytest

import evidence_course as ec
from coursekit import cli
from coursekit.platform import paths
from coursekit.platform.reports import progress
from coursekit.plotting import PALETTE

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

GAMMA = {"m12_gamma": {"competencies": ["transparency", "data_protection"], "profiles": ["caseworker"],
                       "items": [ec.Q("q1", ("transparency",), "working", 2),
                                 ec.Q("q2", ("data_protection",), "working", 2)]}}
MODULES = {**ec.MODULES, **GAMMA}


@pytest.fixture
def home(tmp_path, monkeypatch):
    r = ec.make_root(tmp_path / "root", modules=MODULES)
    ec.use_root(monkeypatch, r)
    h = tmp_path / "home"
    monkeypatch.setenv("COURSEKIT_HOME", str(h))
    yield h
    ec.use_root(monkeypatch, r)


def personal_gradebook(submissions):
    path = paths.personal_course_dir() / "gradebook.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    ec.make_gradebook(path, submissions, modules=MODULES)
    return path


SELF = paths.SELF_LEARNER_ID
CHECKED = [(SELF, "m10_alpha", ec.full_marks("m10_alpha", manual=False), ec.at(1)),   # written answer: pending
           (SELF, "m11_beta", {"q1": 1, "q2": 2, "q3": 2}, ec.at(5))]


def test_no_gradebook_yet_is_a_friendly_message(home, capsys):
    assert cli.main(["progress"]) == 0
    out = capsys.readouterr().out
    assert "No graded work yet" in out and "coursekit check exercises/m10_alpha/exercise.ipynb" in out
    assert cli.main(["progress", "--profile", "caseworker", "--json"]) == 0
    assert "No graded work yet" in json.loads(capsys.readouterr().out)["message"]
    assert not (home / "progress.png").exists()


def test_a_gradebook_without_this_learner_is_no_work_yet(home, capsys):
    personal_gradebook([("someone_else", "m10_alpha", ec.full_marks("m10_alpha"), ec.at(1))])
    assert cli.main(["progress"]) == 0
    assert "No graded work yet" in capsys.readouterr().out


@pytest.mark.parametrize("with_gradebook", [False, True])
def test_unknown_profile_is_one_clear_error(home, capsys, with_gradebook):
    if with_gradebook:
        personal_gradebook(CHECKED)
    assert cli.main(["progress", "--profile", "astronaut"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "unknown job profile 'astronaut'" in err and "caseworker" in err


def test_progress_against_a_profile(home, capsys):
    personal_gradebook(CHECKED)
    assert cli.main(["progress", "--profile", "caseworker", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {r["competency"]: r for r in data["competencies"]}
    assert rows["fairness_testing"]["attained"] == "practitioner"     # 8 of 8 points over 4 items
    assert rows["human_oversight"]["attained"] == "practitioner"      # written answer still pending
    assert rows["ai_fit"]["attained"] == "working"
    assert rows["transparency"]["attained"] is None
    assert rows["fairness_testing"]["status"] == "met" and rows["transparency"]["status"] == "below"
    assert rows["procurement"]["status"] == "not required"
    assert set(data["gaps"]) == {"ai_law", "impact_assessment", "data_quality", "data_protection", "transparency"}
    assert data["modules_taken"] == ["m10_alpha", "m11_beta"]
    assert [m["id"] for m in data["next_modules"]] == ["m12_gamma"]
    assert data["next_modules"][0]["closes"] == ["data_protection", "transparency"]
    chart = home / "progress_caseworker.png"
    assert data["chart"] == str(chart) and chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SELF not in json.dumps(data["competencies"])


def test_text_output(home, capsys):
    personal_gradebook(CHECKED)
    assert cli.main(["progress", "--profile", "caseworker"]) == 0
    out = capsys.readouterr().out
    assert "Compared with the job profile: Caseworker who reviews AI outputs" in out
    assert "Testing AI systems for discriminatory bias" in out and "GAP" in out
    assert "m12_gamma: Module m12_gamma (for protecting personal data, explaining AI use" in out
    assert f"Chart: {home / 'progress_caseworker.png'}" in out
    assert cli.main(["progress"]) == 0                                # without a profile: no gaps, next in course
    out = capsys.readouterr().out
    assert "Next modules in the course:" in out and "m12_gamma" in out and (home / "progress.png").exists()


def test_progress_prints_as_text_and_shows_as_a_table(home, capsys):
    personal_gradebook(CHECKED)
    assert cli.main(["progress", "--profile", "caseworker"]) == 0
    printed = capsys.readouterr().out
    prog = progress.compute("caseworker")
    progress.save_chart(prog)
    assert printed == str(prog) + "\n"
    html = prog._repr_html_()
    assert "<table class='ck-progress'>" in html and "<th>Required</th>" in html
    assert "<td>Protecting personal data</td><td>None yet</td><td>Working</td><td><strong>gap</strong></td>" in html
    assert "<strong>m12_gamma</strong>: Module m12_gamma (for protecting personal data" in html


def test_next_modules_put_untaken_modules_first(home):
    personal_gradebook([(SELF, "m10_alpha", {"q1": 2, "q2": 0, "q3": 0, "q4": 0}, ec.at(1))])
    prog = progress.compute("caseworker")
    ids = [m["id"] for m in prog.next_modules]
    assert ids[0] in ("m11_beta", "m12_gamma") and "m10_alpha" in ids
    assert ids.index("m10_alpha") == len(ids) - 1                       # taken already: take it again, last
    assert next(m for m in prog.next_modules if m["id"] == "m10_alpha")["taken"]


def test_chart_is_titled_labelled_and_not_colour_alone(home):
    personal_gradebook(CHECKED)
    prog = progress.compute("caseworker")
    fig = progress.figure(prog)
    ax = fig.axes[0]
    assert "Caseworker who reviews AI outputs" in ax.get_title()
    assert ax.get_xlabel() and ax.get_ylabel()
    bars = ax.patches
    assert bars and all(b.get_hatch() for b in bars)                     # hatched, not colour alone
    from matplotlib.colors import to_hex
    assert {to_hex(b.get_facecolor()) for b in bars} <= {c.lower() for c in PALETTE}
    texts = [t.get_text() for t in ax.texts]
    assert "Practitioner" in texts and "none yet  (gap: Working needed)" in texts   # levels and gaps in words
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Your level", "Required for Caseworker who reviews AI outputs"]


def test_show_in_a_notebook(home, monkeypatch, capsys):
    """The learner toolkit's view runs the platform in a subprocess and shows its HTML."""
    import IPython.display

    import coursekit.progress as view

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    monkeypatch.setattr(view._platform_view, "in_notebook", lambda: True)
    assert view.show() is None
    assert "No graded work yet" in capsys.readouterr().out and shown == []
    personal_gradebook(CHECKED)
    view.show("caseworker")
    assert [type(o).__name__ for o in shown] == ["HTML"]
    page = shown[0].data
    assert "<table" in page and "gap" in page and 'src="data:image/png;base64,iVBOR' in page
    monkeypatch.setattr(view._platform_view, "in_notebook", lambda: False)
    view.show("caseworker")
    assert "Caseworker" in capsys.readouterr().out