"""The automation-bias review exercise: its logic, its summary numbers and its button front end."""

import html
import pytest

from coursekit import datasets
from coursekit.widgets import review
from coursekit.widgets.review import (AI_FIRST, CASES, FLAWS, FORMS, INDEPENDENT_FIRST, POOL, SECOND_INCOME,
                                      SESSION_SIZE, WRONG_PER_SESSION, ReviewSession, ReviewWidget, learner_seed)

FIRST_INDEPENDENT = 2  # a seed whose first case is reviewed independent-first


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


def test_pool_tool_beats_unaided_staff_but_errs_systematically():
    assert len({c.case_id for c in POOL}) == len(POOL) == 32
    assert {c.correct for c in POOL} == {"approve", "refuse"}
    for c in POOL:
        assert c.ai_advice in ("approve", "refuse") and 0.5 <= c.ai_confidence <= 1
        assert c.facts and c.why
    wrong = [c for c in POOL if c.ai_wrong]
    # Better than staff deciding alone: their own first views in the course's two pilot logs.
    unaided = max(datasets.manifest(n)["facts"]["view_before_ai_accuracy"]
                  for n in ("caseworker_decisions", "caseworker_decisions_b"))
    assert 1 - len(wrong) / len(POOL) > unaided
    # ... yet every error comes from one of its two faults, each in its own direction.
    assert {c.flaw for c in wrong} == set(FLAWS) and all(not c.flaw for c in POOL if not c.ai_wrong)
    for c in wrong:
        if c.flaw == SECOND_INCOME:
            assert (c.ai_advice, c.correct) == ("approve", "refuse") and "plus" in " ".join(c.facts)
        else:
            assert (c.ai_advice, c.correct) == ("refuse", "approve") and "child" in c.household


def test_each_draw_is_balanced_between_the_designs():
    for seed in (0, 1, 2, 3, 7, 12345):
        s = ReviewSession(seed=seed)
        assert len(s.cases) == SESSION_SIZE == len({c.case_id for c in s.cases})
        conds = s.conditions
        assert conds.count(INDEPENDENT_FIRST) == conds.count(AI_FIRST) == SESSION_SIZE // 2
        wrong = [cond for case, cond in zip(s.cases, conds) if case.ai_wrong]
        assert sorted(wrong) == sorted([INDEPENDENT_FIRST, AI_FIRST])
        assert sum(c.ai_wrong for c in s.cases) == WRONG_PER_SESSION


def test_draw_per_learner_is_seeded_and_counterbalanced():
    # The same learner (or seed) always gets the same cases, designs and order; others get their own.
    assert learner_seed("Ana Silva") == learner_seed(" ana silva ")
    a, b = ReviewSession(learner="Ana Silva"), ReviewSession(learner="Ana Silva")
    assert [c.case_id for c in a.cases] == [c.case_id for c in b.cases] and a.conditions == b.conditions
    draws = {tuple(c.case_id for c in ReviewSession(learner=f"learner {i}").cases) for i in range(20)}
    assert len(draws) == 20
    # Over any FORMS consecutive seeds, every wrong case is reviewed exactly once under each design,
    # so a room's pooled numbers compare the designs, not which case fell where.
    for start in (0, 1, 37):
        seen = {}
        for seed in range(start, start + FORMS):
            s = ReviewSession(seed=seed)
            for case, cond in zip(s.cases, s.conditions):
                if case.ai_wrong:
                    seen[(case.case_id, cond)] = seen.get((case.case_id, cond), 0) + 1
        assert seen == {(c.case_id, d): 1 for c in POOL if c.ai_wrong for d in (INDEPENDENT_FIRST, AI_FIRST)}
    # review() draws for the account's user unless told otherwise
    assert review().session.seed == learner_seed()
    assert review(seed=5).session.seed == 5 and review(learner="Ana Silva").session.seed == learner_seed("Ana Silva")


def test_seed_changes_order_reproducibly():
    a, b, c = ReviewSession(seed=3), ReviewSession(seed=3), ReviewSession()
    assert [x.case_id for x in a.cases] == [x.case_id for x in b.cases]
    assert [x.case_id for x in c.cases] == [x.case_id for x in CASES]  # no seed: seed 0
    listed = ReviewSession(cases=POOL[:12], seed=4)  # an explicit list is shuffled and alternated
    assert sorted(x.case_id for x in listed.cases) == sorted(x.case_id for x in POOL[:12])


def test_independent_first_hides_advice_until_a_view_is_recorded():
    s = ReviewSession(seed=FIRST_INDEPENDENT)
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
    s = ReviewSession(seed=FIRST_INDEPENDENT)
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
    assert "recorded your own view first: 0 of 1 (0%)" in text
    assert "saw the AI's advice first: 1 of 1 (100%)" in text


def test_perfect_reviewer_and_partial_summary():
    s = ReviewSession(seed=FIRST_INDEPENDENT)
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
    wd = review(seed=FIRST_INDEPENDENT)  # the package exports the function (it shadows the submodule's name)
    assert isinstance(wd, ReviewWidget)
    assert wd.approve_button.description == "My view: approve"
    assert wd.refuse_button.description == "My view: refuse"
    assert "hidden until you record your own view" in wd.advice.value
    for b in (wd.approve_button, wd.refuse_button, wd.restart_button):
        assert b.tooltip and b.button_style == ""
    wd.refuse_button.click()
    assert wd.session.views[0] == "refuse"
    assert wd.approve_button.description == "Decision: approve"
    first = wd.session.cases[0]
    assert f"AI recommendation:</b> {first.ai_advice}" in wd.advice.value and "Your recorded view: <b>refuse" in wd.advice.value
    wd.approve_button.click()
    assert wd.session.index == 1 and f"Case 2 of {SESSION_SIZE}" in wd.header.value
    # always follow the AI from here on
    while not wd.session.finished:
        case = wd.session.current
        if wd.session.stage == "own_view":
            wd.approve_button.click()
        else:
            (wd.approve_button if case.ai_advice == "approve" else wd.refuse_button).click()
    assert wd.approve_button.disabled and wd.refuse_button.disabled
    assert "Review finished" in wd.header.value
    assert "saw the AI's advice first: 1 of 1 (100%)" in html.unescape(wd.case_box.value)
    assert "(WRONG)" in wd.case_box.value  # right and wrong are said in words in the table
    wd.approve_button.click()  # pressing a disabled button's handler does nothing more
    assert wd.session.summary()["decided"] == len(CASES)
    wd.restart_button.click()
    assert wd.session.index == 0 and not wd.approve_button.disabled
    assert wd.approve_button.description == "My view: approve"
