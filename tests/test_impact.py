"""coursekit.impact: the instruments as data, and Canada's AIA scoring rule at every boundary."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from coursekit import ai_act, impact


# ---------------------------------------------------------------------------------------------
# aia_level: one test per boundary of the official method


def _official(raw, raw_max, mitigation, mitigation_max):
    """Canada's tool (calculateFinalScore in canada-ca/aia-eia-js 1.0.1), transcribed with its
    floating-point arithmetic. The tool sums the maxima of design- and implementation-phase
    mitigation questions and halves the sum: here that sum is 2 * mitigation_max."""
    max_mitigation_in_tool = 2 * mitigation_max
    if mitigation >= 0.8 * (max_mitigation_in_tool / 2):
        total = math.floor((1 - 0.15) * raw + 0.5)   # Math.round, for positive numbers
    else:
        total = raw
    if total <= raw_max * 0.25:
        return total, 1
    if total <= raw_max * 0.5:
        return total, 2
    if total <= raw_max * 0.75:
        return total, 3
    return total, 4


def test_mitigation_at_exactly_80_percent_earns_the_deduction():
    assert impact.aia_level(40, 88, 20, 25) == (34, 2)


def test_mitigation_just_below_80_percent_earns_nothing():
    assert impact.aia_level(40, 88, 19, 25) == (40, 2)
    # 80% of 24 is 19.2: 19 is below it, 19.5 is not.
    assert impact.aia_level(40, 88, 19, 24) == (40, 2)
    assert impact.aia_level(40, 88, 19.5, 24) == (34, 2)


def test_full_mitigation_earns_the_same_single_deduction():
    assert impact.aia_level(40, 88, 25, 25) == impact.aia_level(40, 88, 20, 25)


def test_the_deduction_rounds_half_up_not_to_even():
    # 85% of 50 is 42.5: half up gives 43 (Python's round() would give 42).
    assert impact.aia_level(50, 88, 20, 25) == (43, 2)
    assert round(42.5) == 42
    # 85% of 10 is 8.5 -> 9; of 30, 25.5 -> 26.
    assert impact.aia_level(10, 88, 20, 25)[0] == 9
    assert impact.aia_level(30, 88, 20, 25)[0] == 26


def test_the_deduction_rounds_below_half_down_and_above_half_up():
    assert impact.aia_level(52, 88, 20, 25)[0] == 44     # 44.2
    assert impact.aia_level(54, 88, 20, 25)[0] == 46     # 45.9
    assert impact.aia_level(33, 88, 20, 25)[0] == 28     # 28.05


def test_without_the_deduction_the_raw_score_is_kept_unrounded():
    assert impact.aia_level(12.5, 88, 0, 25) == (12.5, 1)


@pytest.mark.parametrize("final, level", [(0, 1), (22, 1), (23, 2), (44, 2), (45, 3), (66, 3), (67, 4), (88, 4)])
def test_levels_are_inclusive_at_the_top_of_each_level(final, level):
    # raw_max 88: the tops are 22 (25%), 44 (50%) and 66 (75%), each inside its own level.
    assert impact.aia_level(final, 88, 0, 25) == (final, level)


@pytest.mark.parametrize("raw, level", [(14.5, 1), (14.6, 2), (29, 2), (29.1, 3), (43.5, 3), (43.6, 4)])
def test_level_tops_that_are_not_whole_numbers(raw, level):
    # raw_max 58: the tops are 14.5, 29 and 43.5.
    assert impact.aia_level(raw, 58, 0, 10)[1] == level


def test_a_deduction_that_lands_on_a_top_stays_in_the_lower_level():
    # 85% of 52 is 44.2, rounded to 44: exactly 50% of 88, so level 2, not 3.
    assert impact.aia_level(52, 88, 20, 25) == (44, 2)
    # 85% of 78 is 66.3 -> 66: exactly 75%, level 3. Without the deduction, level 4.
    assert impact.aia_level(78, 88, 20, 25) == (66, 3)
    assert impact.aia_level(78, 88, 19, 25) == (78, 4)


def test_rounding_up_can_cross_a_top():
    # 85% of 53 is 45.05 -> 45, above 44: level 3.
    assert impact.aia_level(53, 88, 20, 25) == (45, 3)


@pytest.mark.parametrize("raw_max, mitigation_max", [(88, 25), (58, 10), (167, 54), (40, 7)])
def test_agrees_with_the_official_tool_on_every_whole_score(raw_max, mitigation_max):
    for raw in range(raw_max + 1):
        for mitigation in range(mitigation_max + 1):
            assert impact.aia_level(raw, raw_max, mitigation, mitigation_max) == \
                _official(raw, raw_max, mitigation, mitigation_max), (raw, raw_max, mitigation, mitigation_max)


@pytest.mark.parametrize("args, word", [
    ((-1, 88, 0, 25), "raw is negative"),
    ((89, 88, 0, 25), "raw (89) is above its maximum"),
    ((10, 88, -2, 25), "mitigation is negative"),
    ((10, 88, 26, 25), "mitigation (26) is above its maximum"),
    ((10, 0, 0, 25), "raw_max must be more than 0"),
    ((10, -5, 0, 25), "raw_max is negative"),
    ((10, 88, 0, 0), "mitigation_max must be more than 0"),
    (("10", 88, 0, 25), "raw must be a number"),
    ((10, 88, True, 25), "mitigation must be a number"),
    ((float("nan"), 88, 0, 25), "raw must be a number"),
])
def test_invalid_input_is_a_value_error_that_says_which(args, word):
    with pytest.raises(ValueError, match=word.replace("(", r"\(").replace(")", r"\)")):
        impact.aia_level(*args)


def test_thresholds_table():
    t = impact.aia_thresholds(88)
    assert list(t["highest_score"]) == [22, 44, 66, 88]
    assert list(t["level"]) == [1, 2, 3, 4]


# ---------------------------------------------------------------------------------------------
# The questionnaire


def _by_hand(answers):
    """Raw and mitigation scores and maxima from aia_questions() with plain pandas."""
    q = impact.aia_questions()
    got = {"risk": 0, "mitigation": 0}
    most = {"risk": 0, "mitigation": 0}
    for qid, rows in q.groupby("question_id"):
        kind = rows["kind"].iloc[0]
        pts = dict(zip(rows["choice"], rows["points"]))
        multiple = bool(rows["multiple"].iloc[0])
        most[kind] += sum(pts.values()) if multiple else max(pts.values())
        a = answers.get(qid)
        if a is not None:
            got[kind] += sum(pts[c] for c in a) if multiple else pts[a]
    return got["risk"], most["risk"], got["mitigation"], most["mitigation"]


def test_questionnaire_shape():
    q = impact.aia_questions()
    assert set(q["kind"]) == {"risk", "mitigation"}
    assert not q.duplicated(["question_id", "choice"]).any()
    assert (q["points"] >= 0).all()
    # Every question has one area, one text, one kind.
    assert (q.groupby("question_id")[["kind", "area", "question", "multiple"]].nunique() == 1).all().all()


@pytest.mark.parametrize("system", impact.SYSTEMS)
def test_points_agree_with_a_plain_sum(system):
    answers = impact.completed_questionnaire(system)
    p = impact.aia_points(answers)
    sums = p.groupby("kind")[["points", "max_points"]].sum()
    assert (sums.loc["risk", "points"], sums.loc["risk", "max_points"],
            sums.loc["mitigation", "points"], sums.loc["mitigation", "max_points"]) == _by_hand(answers)
    assert len(p) == impact.aia_questions()["question_id"].nunique()


def test_the_lessons_worked_example():
    """The fraud screen of the lesson: the figures its text and figure rely on."""
    raw, raw_max, mit, mit_max = _by_hand(impact.completed_questionnaire("benefit_fraud_screen"))
    assert mit < 0.8 * mit_max                                   # no deduction as it stands
    final, level = impact.aia_level(raw, raw_max, mit, mit_max)
    assert final == raw and 0.5 * raw_max < raw <= 0.75 * raw_max and level == 3
    # With consultation, a notice and a recourse route added (M01, M06, M07), the deduction applies.
    better = impact.completed_questionnaire("benefit_fraud_screen") | {"M01": "yes", "M06": "yes", "M07": "yes"}
    raw2, _, mit2, _ = _by_hand(better)
    assert raw2 == raw and mit2 >= 0.8 * mit_max
    assert impact.aia_level(raw2, raw_max, mit2, mit_max) == (math.floor(0.85 * raw + 0.5), 3)
    # The figures the lesson's text states.
    assert (raw, raw_max, mit, mit_max, final, level) == (54, 88, 15, 25, 54, 3)
    assert impact.aia_level(raw2, raw_max, mit2, mit_max) == (46, 3)


def test_the_exercise_system_sits_on_the_boundaries_it_is_meant_to_test():
    """School places: mitigation exactly 80%, a deduction ending in .5, a result just under the 50% line."""
    raw, raw_max, mit, mit_max = _by_hand(impact.completed_questionnaire("school_places"))
    assert mit == 0.8 * mit_max
    assert (0.85 * raw) % 1 == 0.5
    final, level = impact.aia_level(raw, raw_max, mit, mit_max)
    assert final == math.floor(0.85 * raw) + 1 and final <= 0.5 * raw_max < raw and level == 2
    assert round(0.85 * raw) != final       # Python's round() is the trap the exercise sets


def test_a_tick_all_question_adds_its_choices():
    one = impact.aia_points({"R07": ["education"]}).set_index("question_id").loc["R07", "points"]
    two = impact.aia_points({"R07": ["education", "child_welfare"]}).set_index("question_id").loc["R07", "points"]
    assert (one, two) == (1, 3)


def test_an_unanswered_question_scores_nothing_but_counts_in_the_maximum():
    p = impact.aia_points({})
    assert p["points"].sum() == 0
    assert p["max_points"].sum() == impact.aia_points(impact.completed_questionnaire("school_places"))["max_points"].sum()


@pytest.mark.parametrize("answers, word", [
    ({"R99": "yes"}, "unknown question"),
    ({"R01": "maybe"}, "R01 has no choice"),
    ({"R01": ["recommends", "decides_alone"]}, "R01 takes one choice"),
])
def test_bad_answers_say_what_is_wrong(answers, word):
    with pytest.raises(ValueError, match=word):
        impact.aia_points(answers)


def test_completed_questionnaire_is_a_copy():
    a = impact.completed_questionnaire("school_places")
    a["R07"].append("housing")
    assert impact.completed_questionnaire("school_places")["R07"] == ["education", "health"]
    with pytest.raises(ValueError, match="unknown system"):
        impact.completed_questionnaire("nope")


def test_requirements_cover_four_levels():
    r = impact.aia_requirements()
    assert list(r.columns) == ["requirement", "level_1", "level_2", "level_3", "level_4"]
    human = r.set_index("requirement").loc["human_involvement"]
    assert "person" in human["level_3"] and "final decision" in human["level_4"]


# ---------------------------------------------------------------------------------------------
# The EU instruments


def test_fria_elements_extend_the_ai_act_table():
    base = ai_act.fria_elements()
    ours = impact.fria_elements()
    pd.testing.assert_frame_equal(ours[base.columns], base)
    assert list(ours["element"]) == list("abcdef")
    assert ours["asks"].str.endswith("?").all()


def test_fria_scope_names_the_inclusions_and_exclusions():
    s = impact.fria_scope().set_index("rule")
    assert s.loc[["public_body", "private_public_service", "credit_insurance"], "fria_required"].all()
    assert not s.loc[["critical_infrastructure", "not_high_risk", "other_private"], "fria_required"].any()
    assert "point 2" in s.loc["critical_infrastructure", "who"]
    assert "5(b)" in s.loc["credit_insurance", "who"] and "5(c)" in s.loc["credit_insurance", "who"]


def test_fria_procedure_covers_paragraphs_1_to_5():
    refs = set(impact.fria_procedure()["ref"])
    assert refs == {f"Art. 27({n})" for n in range(1, 6)}
    assert "market surveillance" in impact.fria_procedure().set_index("step").loc["notify", "description"]


def test_register_fields():
    eu = impact.register_fields("eu")
    assert list(eu["ref"]) == [f"Annex VIII C, point {n}" for n in range(1, 6)]
    assert set(impact.register_fields()["instrument"]) == {"eu", "uk_atrs"}
    assert len(impact.register_fields("uk_atrs")) == 5
    with pytest.raises(ValueError, match="instrument must be"):
        impact.register_fields("nl")


def test_registration_rules_and_rights():
    rules = impact.registration_rules().set_index("ref")
    assert "point 2" in rules.loc["Art. 49(3)", "rule"]
    assert "non-public" in rules.loc["Art. 49(4)", "rule"]
    rights = impact.peoples_rights().set_index("ref")
    assert "not already" in rights.loc["Art. 86", "limits"]


def test_instrument_map_is_tidy_and_consistent():
    m = impact.instrument_map()
    assert set(m["instrument"]) == set(impact.INSTRUMENT_IDS) == set(impact.instruments()["instrument"])
    assert not m.duplicated(["topic", "instrument"]).any()
    assert (m["asks"] == (m["where"] != "")).all()
    # Each of the six FRIA elements is asked by exactly the topic that cites it.
    fria = m[(m["instrument"] == "eu_fria") & m["where"].str.startswith("Art. 27(1)(")]
    assert set(fria["where"].str[-2]) == set("abcdef")


def test_notice_and_redress_checklists():
    assert {"ai_used", "human_review", "right_appeal", "contact"} <= set(impact.notice_elements()["element"])
    assert {"responsible_office", "timelines", "human_review"} <= set(impact.redress_elements()["element"])
    fields = impact.system_description_fields()["field"]
    assert len(fields) == 8 and fields.is_unique and fields.iloc[-1] == "last_reviewed"
