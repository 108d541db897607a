"""The facts a learner relies on when querying ``coursekit.ai_act``."""

from __future__ import annotations

import pandas as pd
import pytest

from coursekit import ai_act


# --- tiers --------------------------------------------------------------------------------

def test_four_tiers_from_most_to_least_restricted():
    df = ai_act.tiers()
    assert list(df["tier"]) == ["prohibited", "high_risk", "transparency", "minimal"]
    assert tuple(df["tier"]) == ai_act.TIER_IDS
    assert df.set_index("tier").loc["prohibited", "where_in_law"] == "Art. 5"
    assert df.set_index("tier").loc["transparency", "where_in_law"] == "Art. 50"
    assert "Annex III" in df.set_index("tier").loc["high_risk", "where_in_law"]


def test_tier_accepts_small_variations_and_rejects_unknown():
    assert ai_act.tier("High-Risk")["tier"] == "high_risk"
    with pytest.raises(ValueError, match="choose one of prohibited, high_risk, transparency, minimal"):
        ai_act.tier("limited")
    with pytest.raises(ValueError):
        ai_act.tier(None)


# --- Art. 5 --------------------------------------------------------------------------------

def test_prohibited_practices_a_to_h_and_the_point_added_in_2026():
    df = ai_act.prohibited_practices()
    assert list(df["point"]) == list("abcdefgh") + ["new"]
    assert list(df["ref"][:8]) == [f"Art. 5(1)({p})" for p in "abcdefgh"]
    # The new point's letter is not verified: its reference must not pretend to a letter.
    new = df.set_index("point").loc["new"]
    assert "new point" in new["ref"] and "(i)" not in new["ref"] and "(l)" not in new["ref"]
    for w in ("intimate", "without their consent", "child sexual abuse material"):
        assert w in new["description"]
    assert "ninth" in ai_act.NEW_PRACTICE_NOTE and "differently" in ai_act.NEW_PRACTICE_NOTE
    assert df["description"].str.len().min() > 20
    assert df["why_banned"].str.len().min() > 20
    assert df["name"].is_unique


@pytest.mark.parametrize("point, words", [
    ("a", ["manipulative", "significant harm"]),
    ("b", ["age", "disability", "social or economic"]),
    ("c", ["social behaviour", "unrelated"]),
    ("d", ["criminal offence", "solely", "profiling"]),
    ("e", ["scraping", "CCTV"]),
    ("f", ["emotion", "workplace", "education"]),
    ("g", ["biometric", "race", "political opinions", "trade-union", "sexual orientation"]),
    ("h", ["real-time", "publicly accessible", "law enforcement"]),
])
def test_each_practice_says_what_it_bans(point, words):
    text = ai_act.practice(point)["description"].lower()
    for w in words:
        assert w.lower() in text, (point, w)


def test_social_scoring_applies_to_anyone_not_only_public_authorities():
    assert "not only to public authorities" in ai_act.practice("c")["description"]


def test_exceptions_recorded_for_f_and_h():
    assert "medical or safety" in ai_act.practice("f")["exceptions"]
    h = ai_act.practice("h")["exceptions"]
    assert "victims" in h and "authorisation" in h
    # Art. 5(3): in a duly justified urgency use may start first, with authorisation asked within 24 hours.
    assert "urgency" in h and "24 hours" in h and "Art. 5(3)" in h
    assert "Each use needs prior authorisation" not in h


def test_prohibitions_apply_from_their_dates():
    df = ai_act.prohibited_practices().set_index("point")
    assert set(df.loc[list("abcdefgh"), "applies_from"]) == {ai_act.date_of("prohibitions")} == {"2025-02-02"}
    assert df.loc["new", "applies_from"] == ai_act.date_of("new_prohibition") == "2026-12-02"


def test_practice_accepts_brackets_and_case_and_rejects_others():
    assert ai_act.practice("(F)")["ref"] == "Art. 5(1)(f)"
    assert ai_act.practice("New")["ref"] == "Art. 5(1) (new point, 2026)"
    for bad in ("i", "", "ab", 5, None):
        with pytest.raises(ValueError, match="points a to h"):
            ai_act.practice(bad)


# --- Annex III --------------------------------------------------------------------------------

def test_eight_annex_iii_areas():
    df = ai_act.high_risk_areas()
    assert list(df["area"]) == list(range(1, 9))
    assert list(df["ref"]) == [f"Annex III {i}" for i in range(1, 9)]
    names = " ".join(df["name"]).lower()
    for w in ("biometric", "critical infrastructure", "education", "employment", "essential",
              "law enforcement", "migration", "justice"):
        assert w in names


def test_point_5a_covers_benefits_granted_reduced_revoked_reclaimed():
    text = ai_act.area(5)["points"]["5(a)"]
    assert "Public authorities" in text and "benefits" in text
    for verb in ("granting", "reducing", "revoking", "reclaiming"):
        assert verb in text


def test_fraud_detection_is_excluded_from_5b_only():
    points = ai_act.area(5)["points"]
    assert set(points) == {"5(a)", "5(b)", "5(c)", "5(d)"}
    assert "fraud detection excluded" in points["5(b)"]
    assert "credit" in points["5(b)"]
    assert "fraud" not in points["5(a)"].lower()
    hits = ai_act.lookup("fraud detection")
    assert "Annex III 5(b)" in set(hits["ref"])
    assert "Annex III 5(a)" not in set(hits["ref"])


def test_annex_iii_points_are_consistent_with_areas():
    pts = ai_act.high_risk_points()
    assert set(pts["area"]) == set(range(1, 9))
    assert pts["ref"].is_unique
    assert list(ai_act.high_risk_points(3)["point"]) == ["3(a)", "3(b)", "3(c)", "3(d)"]
    assert "proctoring" in ai_act.area(3)["points"]["3(d)"]
    assert list(ai_act.high_risk_points(2)["point"]) == ["2"]


def test_area_rejects_numbers_outside_1_to_8():
    for bad in (0, 9, "5", 5.0, True, None):
        with pytest.raises(ValueError, match="areas 1 to 8"):
            ai_act.area(bad)
    with pytest.raises(ValueError, match="areas 1 to 8"):
        ai_act.high_risk_points(area=10)


# --- Art. 6(3) --------------------------------------------------------------------------------

def test_four_exemption_conditions_and_the_profiling_rule():
    df = ai_act.exemptions()
    assert list(df["condition"]) == list("abcd")
    assert list(df["ref"]) == [f"Art. 6(3)({c})" for c in "abcd"]
    text = " ".join(df["description"]).lower()
    for w in ("narrow procedural task", "already completed", "patterns", "prepares"):
        assert w in text
    assert "always high-risk" in ai_act.PROFILING_RULE
    assert "profil" in ai_act.PROFILING_RULE.lower()
    assert "Art. 6(3)" in set(ai_act.lookup("profiling")["ref"])


# --- Art. 50, deployer duties, FRIA, dates ----------------------------------------------------

def test_transparency_chatbots_and_deepfakes():
    df = ai_act.transparency_obligations().set_index("ref")
    assert "interacting with an AI system" in df.loc["Art. 50(1)", "duty"]
    assert "chatbot" in df.loc["Art. 50(1)", "applies_to"]
    assert "Deepfakes" in df.loc["Art. 50(4)", "applies_to"]
    assert df.loc["Art. 50(4)", "who"] == "deployer"


def test_deployer_duties_of_a_public_body():
    df = ai_act.deployer_duties().set_index("duty")
    assert set(df["applies_from"]) == {ai_act.date_of("annex_iii")}
    assert "six months" in df.loc["keep_logs", "description"]
    assert df.loc["keep_logs", "ref"] == "Art. 26(6)"
    assert df.loc["human_oversight", "ref"] == "Art. 26(2)"
    assert "Art. 49" in df.loc["register_use", "ref"]
    assert df.loc["fria", "ref"] == "Art. 27"
    assert "public" in df.loc["fria", "who"]
    assert df.loc["inform_people", "ref"] == "Art. 26(11)"


def test_fria_has_six_elements():
    df = ai_act.fria_elements()
    assert list(df["element"]) == list("abcdef")


def test_registration_non_public_only_for_points_1_6_7_in_those_areas():
    text = ai_act.deployer_duties().set_index("duty").loc["register_use", "description"]
    assert "Art. 49(4)" in text and "points 1, 6 and 7" in text
    for area in ("law enforcement", "migration", "asylum", "border control"):
        assert area in text


def test_fria_excludes_point_2_and_art_86_is_narrow():
    df = ai_act.deployer_duties().set_index("duty")
    assert "point 2" in df.loc["fria", "description"]
    art86 = df.loc["explain_decisions", "description"]
    for w in ("Annex III", "except point 2", "legal effects", "adverse", "Union law does not already provide"):
        assert w in art86, w


def test_key_dates_as_amended_in_2026():
    df = ai_act.key_dates()
    assert list(df["date"]) == sorted(df["date"])
    assert df["key"].is_unique
    assert df.loc[df["date"] == "2025-02-02", "what"].str.contains("Art. 5").all()
    by_key = df.set_index("key")
    assert by_key.loc["annex_iii", "date"] == "2027-12-02"
    assert by_key.loc["annex_iii", "was"] == "2026-08-02"
    assert by_key.loc["annex_i", "date"] == "2028-08-02"
    assert by_key.loc["annex_i", "was"] == "2027-08-02"
    assert by_key.loc["new_prohibition", "date"] == "2026-12-02"
    assert by_key.loc["transparency", "date"] == "2026-08-02"
    assert by_key.loc["transparency_marking_existing", "date"] == "2026-12-02"
    assert by_key.loc["transparency_marking_existing", "ref"] == "Art. 50(2)"
    assert by_key.loc["omnibus_parliament", "date"] == "2026-06-16"
    assert by_key.loc["omnibus_council", "date"] == "2026-06-29"
    # Nothing is still called a proposal that may or may not pass.
    assert not df["status"].str.contains("uncertain").any()
    assert not df["what"].str.contains("would postpone").any()


def test_dates_are_well_formed_and_checked():
    import re
    for d in ai_act.key_dates()["date"]:
        assert re.fullmatch(r"20\d\d-\d\d(-\d\d)?", d), d
    assert re.fullmatch(r"20\d\d-\d\d-\d\d", ai_act.CHECKED_ON)
    assert len(ai_act.SOURCES) >= 3
    # The amending regulation's Official Journal number is not verified: it must not be cited.
    assert not re.search(r"\(EU\) 2026/\d+", " ".join(ai_act.SOURCES) + ai_act.AMENDMENT)


def test_date_of_and_date_text():
    assert ai_act.date_of("annex_iii") == "2027-12-02"
    assert ai_act.date_text("annex_iii") == "2 December 2027"
    assert ai_act.date_text("prohibitions") == "2 February 2025"
    assert ai_act.date_text("omnibus_published") == "July 2026"
    with pytest.raises(ValueError, match="annex_iii"):
        ai_act.date_of("high_risk")


def test_art_4_ai_literacy_before_and_after_2026():
    lit = ai_act.ai_literacy()
    assert "to their best extent, a sufficient level of AI literacy" in lit["text_2024"]
    assert "support the development of AI literacy" in lit["as_amended_2026"]
    assert "differ" in lit["sources_differ"]
    assert lit["applies_from"] == ai_act.date_of("prohibitions")
    assert "Art. 4" in set(ai_act.lookup("literacy")["ref"])


# --- lookup --------------------------------------------------------------------------------

def test_lookup_finds_across_tables_ignoring_case():
    hits = ai_act.lookup("EMOTION")
    refs = set(hits["ref"])
    assert {"Art. 5(1)(f)", "Annex III 1(c)", "Art. 50(3)"} <= refs
    assert list(hits.columns) == ["source", "ref", "name", "text"]


def test_lookup_with_several_words_needs_all_of_them():
    both = ai_act.lookup("emotion workplace")
    assert set(both["ref"]) == {"Art. 5(1)(f)"}


def test_lookup_finds_by_reference():
    assert "Annex III 5(a)" in set(ai_act.lookup("5(a)")["ref"])
    assert "Art. 26(6)" in set(ai_act.lookup("logs")["ref"])


def test_lookup_with_no_match_is_an_empty_table():
    hits = ai_act.lookup("zebra crossing")
    assert isinstance(hits, pd.DataFrame) and hits.empty
    assert list(hits.columns) == ["source", "ref", "name", "text"]


@pytest.mark.parametrize("bad, exc, msg", [
    ("", ValueError, "empty"),
    ("   ", ValueError, "empty"),
    ("x", ValueError, "too short"),
    (5, TypeError, "word in quotes"),
    (None, TypeError, "word in quotes"),
    (["emotion"], TypeError, "word in quotes"),
])
def test_lookup_bad_input_gives_a_clear_error(bad, exc, msg):
    with pytest.raises(exc, match=msg):
        ai_act.lookup(bad)


def test_tables_are_fresh_copies():
    df = ai_act.prohibited_practices()
    df.loc[0, "name"] = "changed"
    assert ai_act.prohibited_practices().loc[0, "name"] != "changed"
