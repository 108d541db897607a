"""school_allocations (Module 5's exercise data): recompute every manifest fact from the CSV with plain pandas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from manifest_facts import same

DATA = Path(__file__).resolve().parent.parent / "coursekit" / "datasets" / "data"
NAME = "school_allocations"
LANGS = ["city_language", "other"]


@pytest.fixture(scope="module")
def df():
    return pd.read_csv(DATA / f"{NAME}.csv")


@pytest.fixture(scope="module")
def manifest():
    from coursekit import datasets

    return datasets.manifest(NAME)


def recompute(d: pd.DataFrame, m: dict) -> dict:
    # "None of their preferences" (0) is the worst result, worse than a third choice.
    pm, hand = d["placematch_result"].replace(0, 4), d["by_hand_result"].replace(0, 4)
    worse, better = pm > hand, pm < hand
    sen = d["sen_priority"]
    lang = d["home_language"]

    def by_lang(mask):
        return {g: mask[lang == g].mean() for g in LANGS}

    three = d["preferences_listed"] == 3
    return {
        "rows": len(d),
        "applications_by_language": {g: int((lang == g).sum()) for g in LANGS},
        "sen_pupils": int(sen.sum()),
        "late_applications": int(d["late_application"].sum()),
        "mean_preferences_listed_by_language": {g: d.loc[lang == g, "preferences_listed"].mean() for g in LANGS},
        "none_rate_placematch_by_language": by_lang(d["placematch_result"] == 0),
        "none_rate_by_hand_by_language": by_lang(d["by_hand_result"] == 0),
        "none_rate_placematch_three_listed_by_language": {
            g: (d.loc[three & (lang == g), "placematch_result"] == 0).mean() for g in LANGS},
        "worse_than_by_hand_rate": {"sen_priority": worse[sen].mean(), "no_priority": worse[~sen].mean()},
        "better_than_by_hand_rate": {"sen_priority": better[sen].mean(), "no_priority": better[~sen].mean()},
        "sen_pupils_worse_than_by_hand": int(worse[sen].sum()),
        "first_choice_share_placematch": (d["placematch_result"] == 1).mean(),
        "first_choice_share_placematch_by_language": by_lang(d["placematch_result"] == 1),
        "first_choice_share_by_hand": (d["by_hand_result"] == 1).mean(),
        "draft_notice_claim": m["draft_notice_claim"],
    }


def test_every_manifest_fact_recomputes_from_the_csv(df, manifest):
    f = manifest["facts"]
    same(f, recompute(df, f))
    assert set(manifest["how_computed"]) == set(f)


def test_the_planted_faults_are_there(df, manifest):
    f = manifest["facts"]
    none = f["none_rate_placematch_by_language"]
    three = f["none_rate_placematch_three_listed_by_language"]
    # Families of another home language get none of their schools more often, mostly because they list fewer.
    assert none["other"] / none["city_language"] > 1.4
    assert three["other"] / three["city_language"] < 1.2
    assert f["mean_preferences_listed_by_language"]["other"] < f["mean_preferences_listed_by_language"]["city_language"] - 0.5
    # PlaceMatch departs from the hand allocation against pupils with priority far more often than for others.
    worse = f["worse_than_by_hand_rate"]
    assert worse["sen_priority"] > 5 * worse["no_priority"]
    assert f["sen_pupils_worse_than_by_hand"] >= 20
    # The draft notice's "nine in ten" is not true.
    assert f["first_choice_share_placematch"] < 0.85


def test_results_never_exceed_the_preferences_listed(df):
    assert (df["placematch_result"] <= df["preferences_listed"]).all()
    assert (df["by_hand_result"] <= df["preferences_listed"]).all()


def test_it_is_an_exercise_extract_with_its_answer_key_kept_with_the_course():
    from coursekit import datasets

    assert datasets.is_exercise_extract(NAME)
    assert not (DATA / f"{NAME}.manifest.json").exists()
    assert not (DATA / f"{NAME}.datasheet.md").exists()
