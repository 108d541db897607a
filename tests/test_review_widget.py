"""The automation-bias review exercise: its logic, its summary numbers and its button front end."""

import html
import pytest

from coursekit.widgets import review
from coursekit.widgets.review import AI_FIRST, CASES, INDEPENDENT_FIRST, ReviewSession, ReviewWidget


def _play(session, view, decision):
    """Drive a session to the end: ``view(case)`` and ``decision(case, own_view)`` give the choices."""
    while not session.finished:
        case = session.current
        if session.stage == "own_view":
            assert not session.advice_visible
            session.record_view(view(case))
        else:
            assert session.advice_visible
            session.decide(decision(case, session.views[session.index]))


def test_cases_are_a_dozen_with_some_wrong_advice_and_consistent_answers():
    assert 10 <= len(CASES) <= 14
    assert len({c.case_id for c in CASES}) == len(CASES)
    wrong = [c for c in CASES if c.ai_wrong]
    assert 3 <= len(wrong) <= len(CASES) // 2
    assert {c.correct for c in CASES} == {"approve", "refuse"}
    for c in CASES:
        assert c.ai_advice in ("approve", "refuse") and 0.5 <= c.ai_confidence <= 1
        assert c.facts and c.why


def test_designs_are_balanced_overall_and_among_wrong_advice():
    for seed in (None, 0, 1, 7):
        s = ReviewSession(seed=seed)
        conds = s.conditions
        assert conds.count(INDEPENDENT_FIRST) == conds.count(AI_FIRST) == len(CASES) // 2
        wrong = [cond for case, cond in zip(s.cases, conds) if case.ai_wrong]
        assert wrong.count(INDEPENDENT_FIRST) == wrong.count(AI_FIRST)


def test_seed_changes_order_reproducibly():
    a, b, c = ReviewSession(seed=3), ReviewSession(seed=3), ReviewSession()
    assert [x.case_id for x in a.cases] == [x.case_id for x in b.cases]
    assert sorted(x.case_id for x in a.cases) == sorted(x.case_id for x in c.cases)
    assert [x.case_id for x in c.cases] == [x.case_id for x in CASES]


def test_independent_first_hides_advice_until_a_view_is_recorded():
    s = ReviewSession()
    assert s.condition == INDEPENDENT_FIRST and s.stage == "own_view" and not s.advice_visible
    with pytest.raises(RuntimeError, match="own view first"):
        s.decide("approve")
    s.record_view("refuse")
    assert s.stage == "decide" and s.advice_visible
    with pytest.raises(RuntimeError):
        s.record_view("approve")
    s.decide("approve")
    assert s.index == 1


def test_ai_first_shows_advice_at_once():
    s = ReviewSession()
    while s.condition != AI_FIRST:
        s.press("approve")
    assert s.stage == "decide" and s.advice_visible
    with pytest.raises(RuntimeError):
        s.record_view("approve")


def test_bad_choice_is_refused():
    s = ReviewSession()
    with pytest.raises(ValueError, match="approve' or 'refuse"):
        s.press("maybe")
    s.press(" Approve ")  # case and spaces do not matter
    assert s.views[0] == "approve"


def test_rubber_stamper_follows_all_wrong_advice_in_both_designs():
    s = ReviewSession()
    _play(s, view=lambda c: c.correct, decision=lambda c, v: c.ai_advice)
    out = s.summary()
    n_wrong = sum(c.ai_wrong for c in CASES)
    assert out["decided"] == len(CASES) and out["right"] == len(CASES) - n_wrong
    assert out["wrong_advice_followed"] == {INDEPENDENT_FIRST: 1.0, AI_FIRST: 1.0}
    assert out["own_view_accuracy"] == 1.0
    # every right view that differed from wrong advice became a wrong decision
    assert out["right_to_wrong"] == out["changed_to_ai"] == n_wrong // 2


def test_reviewer_who_keeps_their_view_only_errs_where_advice_was_shown_first():
    # Right when they formed a view first; follows the AI whenever the advice came first.
    s = ReviewSession()
    _play(s, view=lambda c: c.correct, decision=lambda c, v: v if v else c.ai_advice)
    out = s.summary()
    assert out["wrong_advice_followed"] == {INDEPENDENT_FIRST: 0.0, AI_FIRST: 1.0}
    assert out["accuracy_by_condition"][INDEPENDENT_FIRST] == 1.0
    wrong_ai_first = sum(c.ai_wrong for c, d in zip(s.cases, s.conditions) if d == AI_FIRST)
    assert out["accuracy"] == pytest.approx((len(CASES) - wrong_ai_first) / len(CASES))
    assert out["changed_to_ai"] == 0 and out["right_to_wrong"] == 0
    text = s.summary_text()
    assert "recorded your own view first: 0 of 2 (0%)" in text
    assert "saw the AI's advice first: 2 of 2 (100%)" in text


def test_perfect_reviewer_and_partial_summary():
    s = ReviewSession()
    assert s.summary()["accuracy"] is None
    assert s.summary()["wrong_advice_followed"] == {INDEPENDENT_FIRST: None, AI_FIRST: None}
    assert s.summary_text() == "You have not decided any cases yet."
    s.press(s.current.correct)
    s.press(s.current.correct)
    assert s.summary()["decided"] == 1
    _play(s, view=lambda c: c.correct, decision=lambda c, v: c.correct)
    out = s.summary()
    assert out["accuracy"] == 1.0 and out["wrong_advice_followed"] == {INDEPENDENT_FIRST: 0.0, AI_FIRST: 0.0}
    assert s.stage == "done" and s.current is None
    with pytest.raises(RuntimeError, match="finished"):
        s.decide("approve")
    s.reset()
    assert s.index == 0 and s.summary()["decided"] == 0


def test_widget_buttons_drive_the_session_and_carry_words_not_colour():
    wd = review()  # the package exports the function (it shadows the submodule's name)
    assert isinstance(wd, ReviewWidget)
    assert wd.approve_button.description == "My view: approve"
    assert wd.refuse_button.description == "My view: refuse"
    assert "hidden until you record your own view" in wd.advice.value
    for b in (wd.approve_button, wd.refuse_button, wd.restart_button):
        assert b.tooltip and b.button_style == ""
    wd.refuse_button.click()
    assert wd.session.views[0] == "refuse"
    assert wd.approve_button.description == "Decision: approve"
    assert "AI recommendation:</b> approve" in wd.advice.value and "Your recorded view: <b>refuse" in wd.advice.value
    wd.approve_button.click()
    assert wd.session.index == 1 and "Case 2 of 12" in wd.header.value
    # always follow the AI from here on
    while not wd.session.finished:
        case = wd.session.current
        if wd.session.stage == "own_view":
            wd.approve_button.click()
        else:
            (wd.approve_button if case.ai_advice == "approve" else wd.refuse_button).click()
    assert wd.approve_button.disabled and wd.refuse_button.disabled
    assert "Review finished" in wd.header.value
    assert "saw the AI's advice first: 2 of 2 (100%)" in html.unescape(wd.case_box.value)
    assert "(WRONG)" in wd.case_box.value  # right and wrong are said in words in the table
    wd.approve_button.click()  # pressing a disabled button's handler does nothing more
    assert wd.session.summary()["decided"] == len(CASES)
    wd.restart_button.click()
    assert wd.session.index == 0 and not wd.approve_button.disabled
    assert wd.approve_button.description == "My view: approve"
