"""``caseworker_decisions``: the review log of a six-month pilot in which caseworkers decided
benefit claims with an AI recommendation on screen.

The story: from March to August 2024 a benefits office tested two screen designs. Each case was
allocated at random to one of them: ``ai_first`` (the recommendation is shown when the case
opens, as before) or ``independent_first`` (the caseworker records a view before the
recommendation is revealed). After the pilot, an audit team re-reviewed every case, so the
correct decision is known for every row; claimants could appeal refusals.

Planted, and recorded with realised values in the manifest:
- the AI's recommendation is wrong in exactly 30% of cases in every nationality group (the
  share of wrong advice seeded in published automation-bias experiments);
- three caseworkers rubber-stamp: they agree with the AI almost always and decide in seconds;
  one other caseworker is fast but does not rubber-stamp (so speed alone is not the test);
- caseworkers follow wrong advice more often when it fits the stereotype that claimants who are
  not citizens are less likely to be entitled (selective adherence);
- recording a view first lowers agreement with wrong advice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coursekit.datasets import places
from coursekit.datasets._common import Column, Datasheet, Table, categorical, exact_choice, r4, rate

NAME = "caseworker_decisions"
TITLE = "Caseworker decisions with an AI recommendation (review-design pilot)"
SEED = 20240304
CASE_KEYS = ("allegheny", "midas", "toeslagen")

N_ROWS = 6_000
N_CASEWORKERS = 40
N_RUBBER_STAMPERS = 3
AI_ERROR_SHARE = 0.30
RUBBER_STAMP_MIN_AGREEMENT = 0.98
RUBBER_STAMP_MAX_MEDIAN_SECONDS = 30  # strictly below
CONDITIONS = ("independent_first", "ai_first")
DECISIONS = ("approve", "refuse")
STEREOTYPE = ("Claimants who are not citizens (dual nationals and non-citizens) are less likely to be "
              "entitled. Advice fits the stereotype when it recommends refuse for a dual national or "
              "non-citizen, or approve for a citizen; otherwise it goes against it.")



@dataclass(frozen=True)
class Params:
    """What an office's review log is made of. The defaults make ``caseworker_decisions``; other
    datasets (another office or period) reuse the generator with other values."""

    seed: int = SEED
    n_rows: int = N_ROWS
    n_caseworkers: int = N_CASEWORKERS
    first_caseworker: int = 1  # caseworker codes run from CW<first> upwards
    stamp_medians: tuple[float, ...] = (11.0, 16.0, 21.0)  # typical seconds of each rubber-stamper
    fast_median: float = 26.0  # typical seconds of the fast caseworker who does not rubber-stamp
    ai_error_share: float = AI_ERROR_SHARE
    nationality_share: tuple[float, float, float] = (0.60, 0.20, 0.20)
    first_day: str = "2024-03-04"
    end_day: str = "2024-08-31"  # exclusive
    case_offset: int = 100000


BASE = Params()

MAIN = Table(NAME, None, (
    "One row per case decided during the pilot (each case was reviewed once), with what the AI "
    "advised, what the caseworker did, how long it took, the audit's correct decision and any appeal."
), (
    Column("review_id", "str", "Review reference, in date order.", unique=True, pattern=r"^R-\d{5}$"),
    Column("case_id", "str", "Case reference in the case-management system.", unique=True, pattern=r"^CASE-\d{6}$"),
    Column("caseworker_id", "str", "Pseudonymous caseworker code.", pattern=r"^CW\d{2}$"),
    Column("review_date", "date", "Date of the decision."),
    Column("review_condition", "str",
           "Screen design the case was allocated to: `independent_first` (caseworker records a view before the AI's advice is shown) or `ai_first` (advice shown when the case opens).",
           values=CONDITIONS),
    Column("nationality_status", "str", "Claimant's nationality status.", values=places.NATIONALITY),
    Column("ai_recommendation", "str", "What the AI advised.", values=DECISIONS),
    Column("ai_confidence", "float", "Confidence the AI showed with its advice (0.5 to 1).", decimals=2, min=0.5, max=1.0),
    Column("view_before_ai", "str", "The caseworker's recorded view before seeing the advice; empty under `ai_first`.",
           nullable=True, values=DECISIONS),
    Column("decision", "str", "The caseworker's decision.", values=DECISIONS),
    Column("seconds_taken", "int", "Seconds from opening the case to recording the decision.", min=1),
    Column("correct_decision", "str", "The decision the post-pilot audit found correct (the true outcome).", values=DECISIONS),
    Column("appealed", "bool", "The claimant appealed the decision (only refusals are appealed)."),
    Column("appeal_result", "str", "Outcome of the appeal; empty when there was none.", nullable=True,
           values=("overturned", "upheld")),
))

TABLES = {None: MAIN}

DATASHEET = Datasheet(
    motivation="""
When an AI system recommends and a person decides, the law and good practice expect the person
to be a real check. This log lets learners test whether that happened: how often caseworkers
followed advice that was wrong, whether some of them approve whatever the tool says in seconds,
whether they follow wrong advice more readily when it matches a stereotype, and whether asking
them to record their own view first helps. It was made for the course's automation-bias and
human-oversight module.
""",
    composition="""
{f[rows]:,} benefit-claim decisions made by {f[caseworkers]} caseworkers of an invented
benefits office between March and August 2024, one row per case. Each case was allocated at
random to one of two screen designs ({f[reviews_by_condition][independent_first]:,}
`independent_first`, {f[reviews_by_condition][ai_first]:,} `ai_first`). For each case the
log holds the AI's advice and the confidence it displayed, the caseworker's own view where the
design asked for one, the decision, the time taken, the claimant's nationality status, the
decision a later audit found correct, and any appeal and its result.

Caseworkers are pseudonymous codes. Nationality status is included because it is needed to
test for selective adherence; in a real log it is sensitive personal data (it can reveal ethnic
origin), and access to it should be limited and justified.
""",
    known_issues="""
- The AI's advice is wrong in a fixed share of cases, the same in every nationality group.
- A few caseworkers agree with the tool almost every time and decide in seconds; another is
  fast without rubber-stamping, so a rule on speed alone would accuse the wrong person.
- Wrong advice is followed more often when it fits a stereotype about claimants who are not
  citizens than when it goes against it.
- Under `independent_first` fewer wrong recommendations are followed than under `ai_first`.
""",
    collection="""
Nothing was collected: a seeded generator made every row. The AI's advice is the correct
decision except in exactly {f[ai_error_share]:.0%} of cases in each nationality group, where
it is the opposite (published automation-bias experiments typically seed wrong advice in about
30% of cases); its displayed confidence is a little lower on average when it is wrong. Each
caseworker forms their own view (right 78% to 90% of the time, depending on the person). When
the view and the advice differ they defer to the AI with a probability that is higher under
`ai_first`, higher when the advice fits the stereotype, lower when it goes against it, and
rises with the displayed confidence. Rubber-stampers follow the advice 98.5% of the time when
they disagree with it and typically decide in 10 to 25 seconds. Refused claimants appeal more
often when the refusal was wrong, and such appeals are usually overturned.

Reference points from the real cases below: in Allegheny workers disagreed with the score
about a third of the time (here caseworkers override the AI in {f[override_rate]:.0%} of
cases, and rubber-stampers almost never); MiDAS shows the harm of automated findings that no
one really reviews; the Dutch childcare benefits case, of suspicion aimed at people who are not
citizens. The research behind the planted effects: automation bias and commission errors
(Parasuraman and Manzey, 2010), cognitive forcing by deciding first (Buçinca et al., 2021), and
selective adherence by public-sector decision makers (Alon-Barkat and Busuioc, 2023).
""",
    preprocessing="""
None beyond formatting: confidence to two decimals, seconds as whole numbers, ISO dates. Empty
`view_before_ai` means the design did not ask for one (`ai_first`); empty `appeal_result` means
no appeal.
""",
    uses="""
Intended: teaching and practising human-oversight checks: agreement and override rates per
caseworker, finding rubber-stamping with a stated rule (agreement and speed together),
commission errors, comparing the two review designs, testing for selective adherence, and
reading appeals as a late and partial signal of wrong decisions.
""",
)


def _flip(x: np.ndarray) -> np.ndarray:
    return np.where(x == "approve", "refuse", "approve").astype(object)


def generate(p: Params = BASE) -> dict:
    rng = np.random.default_rng(p.seed)
    n = p.n_rows
    n_cw, n_rubber = p.n_caseworkers, len(p.stamp_medians)
    ids = [f"CW{i:02d}" for i in range(p.first_caseworker, p.first_caseworker + n_cw)]
    special = rng.choice(n_cw, size=n_rubber + 1, replace=False)
    rubber, fast = np.sort(special[:n_rubber]), special[n_rubber]
    workload = rng.gamma(8.0, 1.0, n_cw)
    workload[rubber] *= 1.8  # fast deciders get through more cases
    cw = rng.choice(n_cw, size=n, p=workload / workload.sum())
    is_rubber = np.isin(cw, rubber)
    is_fast = cw == fast
    skill = rng.uniform(0.78, 0.90, n_cw)  # chance the caseworker's own view is right
    deference = rng.normal(0.0, 0.06, n_cw)  # personal tendency to defer to the AI

    nat = categorical(rng, places.NATIONALITY, p.nationality_share, n)
    correct = np.where(rng.random(n) < 0.62, "approve", "refuse").astype(object)
    wrong = np.zeros(n, dtype=bool)
    for k in places.NATIONALITY:
        idx = np.flatnonzero(nat == k)
        wrong[idx[exact_choice(rng, idx.size, round(p.ai_error_share * idx.size))]] = True
    ai = np.where(wrong, _flip(correct), correct).astype(object)
    conf = np.where(wrong, 0.55 + 0.44 * rng.beta(3.0, 2.5, n), 0.55 + 0.44 * rng.beta(5.0, 2.0, n))
    conf = np.round(conf, 2)
    congruent = ((ai == "refuse") & (nat != "citizen")) | ((ai == "approve") & (nat == "citizen"))

    independent = exact_choice(rng, n, n // 2)
    condition = np.where(independent, "independent_first", "ai_first").astype(object)

    own_right = rng.random(n) < skill[cw]
    own = np.where(own_right, correct, _flip(correct)).astype(object)
    q = (np.where(independent, 0.22, 0.50) + np.where(congruent, 0.12, -0.08)
         + 0.8 * (conf - 0.78) + deference[cw])
    follow = rng.random(n) < np.clip(q, 0.02, 0.98)
    follow = np.where(is_rubber, rng.random(n) < 0.985, follow)
    decision = np.where((own == ai) | follow, ai, own).astype(object)
    view = np.where(independent, own, None).astype(object)

    base = np.where(independent, 330.0, 210.0) * np.where(decision != ai, 1.35, 1.0)
    secs = np.exp(rng.normal(np.log(base), 0.45))
    stamp_median = np.zeros(n_cw)
    stamp_median[rubber] = p.stamp_medians
    secs = np.where(is_rubber, np.exp(rng.normal(np.log(np.maximum(stamp_median[cw], 1.0)), 0.40)), secs)
    secs = np.where(is_fast, np.exp(rng.normal(np.log(p.fast_median), 0.35, n)), secs)
    secs = np.maximum(np.round(secs), 4).astype(np.int64)

    decided_wrong = decision != correct
    refused = decision == "refuse"
    appealed = refused & (rng.random(n) < np.where(decided_wrong, 0.55, 0.12))
    overturned = rng.random(n) < np.where(decided_wrong, 0.90, 0.05)
    appeal_result = np.where(appealed, np.where(overturned, "overturned", "upheld"), None).astype(object)

    days = np.arange(np.datetime64(p.first_day), np.datetime64(p.end_day), dtype="datetime64[D]")
    days = days[np.is_busday(days)]
    dates = np.sort(rng.choice(days, size=n))
    case_id = np.array([f"CASE-{v:06d}" for v in p.case_offset + rng.choice(900000, size=n, replace=False)],
                       dtype=object)
    return {None: {
        "review_id": np.array([f"R-{i:05d}" for i in range(1, n + 1)], dtype=object),
        "case_id": case_id,
        "caseworker_id": np.array(ids, dtype=object)[cw],
        "review_date": dates,
        "review_condition": condition,
        "nationality_status": nat,
        "ai_recommendation": ai,
        "ai_confidence": conf,
        "view_before_ai": view,
        "decision": decision,
        "seconds_taken": secs,
        "correct_decision": correct,
        "appealed": appealed,
        "appeal_result": appeal_result,
    }}


def stereotype_congruent(df):
    """True where the AI's advice fits the stereotype (see ``STEREOTYPE``)."""
    citizen = df["nationality_status"] == "citizen"
    refuse = df["ai_recommendation"] == "refuse"
    return (refuse & ~citizen) | (~refuse & citizen)


def facts(frames) -> tuple[dict, dict]:
    df = frames[None].copy()
    df["agree"] = df["decision"] == df["ai_recommendation"]
    df["ai_wrong"] = df["ai_recommendation"] != df["correct_decision"]
    df["congruent"] = stereotype_congruent(df)
    per_cw = df.groupby("caseworker_id").agg(agreement=("agree", "mean"), median_seconds=("seconds_taken", "median"),
                                              reviews=("agree", "size"))
    rule = (per_cw["agreement"] >= RUBBER_STAMP_MIN_AGREEMENT) & (per_cw["median_seconds"] < RUBBER_STAMP_MAX_MEDIAN_SECONDS)
    stampers = sorted(per_cw.index[rule])
    fast_only = sorted(per_cw.index[(per_cw["median_seconds"] < RUBBER_STAMP_MAX_MEDIAN_SECONDS) & ~rule])
    others = per_cw.drop(index=stampers)
    wrong = df[df["ai_wrong"]]
    right = df[~df["ai_wrong"]]
    wrong_ns = wrong[~wrong["caseworker_id"].isin(stampers)]
    indep = df[df["review_condition"] == "independent_first"]
    indep_disagree = indep[indep["view_before_ai"] != indep["ai_recommendation"]]
    appealed = df[df["appealed"]]

    def by_cond(frame, col):
        s = frame.groupby("review_condition")[col].mean()
        return {c: r4(s[c]) for c in CONDITIONS}

    f = {
        "rows": int(len(df)),
        "caseworkers": int(df["caseworker_id"].nunique()),
        "reviews_by_condition": {c: int((df["review_condition"] == c).sum()) for c in CONDITIONS},
        "ai_error_share": rate(df["ai_wrong"]),
        "ai_wrong_reviews": int(df["ai_wrong"].sum()),
        "ai_error_share_by_nationality": {k: r4(df.groupby("nationality_status")["ai_wrong"].mean()[k]) for k in places.NATIONALITY},
        "ai_mean_confidence_when_right": r4(right["ai_confidence"].mean()),
        "ai_mean_confidence_when_wrong": r4(wrong["ai_confidence"].mean()),
        "agreement_rate": rate(df["agree"]),
        "override_rate": rate(~df["agree"]),
        "rubber_stamp_rule": {"min_agreement": RUBBER_STAMP_MIN_AGREEMENT,
                              "max_median_seconds_exclusive": RUBBER_STAMP_MAX_MEDIAN_SECONDS},
        "rubber_stamper_ids": stampers,
        "rubber_stampers": {i: {"agreement": r4(per_cw.loc[i, "agreement"]),
                                "median_seconds": float(per_cw.loc[i, "median_seconds"]),
                                "reviews": int(per_cw.loc[i, "reviews"])} for i in stampers},
        "fast_but_not_rubber_stamping_ids": fast_only,
        "fast_but_not_rubber_stamping": {i: {"agreement": r4(per_cw.loc[i, "agreement"]),
                                             "median_seconds": float(per_cw.loc[i, "median_seconds"])} for i in fast_only},
        "other_caseworkers_agreement_range": [r4(others["agreement"].min()), r4(others["agreement"].max())],
        "other_caseworkers_median_seconds_range": [float(others["median_seconds"].min()), float(others["median_seconds"].max())],
        "reviews_by_rubber_stampers": int(df["caseworker_id"].isin(stampers).sum()),
        "agreement_with_wrong_advice": rate(wrong["agree"]),
        "agreement_with_wrong_advice_by_condition": by_cond(wrong, "agree"),
        "agreement_with_wrong_advice_by_condition_excluding_rubber_stampers": by_cond(wrong_ns, "agree"),
        "agreement_with_correct_advice_by_condition": by_cond(right, "agree"),
        "stereotype_rule": STEREOTYPE,
        "agreement_with_wrong_advice_by_stereotype": {
            "congruent": rate(wrong.loc[wrong["congruent"], "agree"]),
            "incongruent": rate(wrong.loc[~wrong["congruent"], "agree"]),
        },
        "wrong_advice_reviews_by_stereotype": {
            "congruent": int(wrong["congruent"].sum()),
            "incongruent": int((~wrong["congruent"]).sum()),
        },
        "agreement_with_wrong_advice_by_stereotype_and_condition": {
            c: {"congruent": rate(wrong.loc[wrong["congruent"] & (wrong["review_condition"] == c), "agree"]),
                "incongruent": rate(wrong.loc[~wrong["congruent"] & (wrong["review_condition"] == c), "agree"])}
            for c in CONDITIONS
        },
        "decision_accuracy_by_condition": by_cond(df.assign(ok=df["decision"] == df["correct_decision"]), "ok"),
        "view_before_ai_accuracy": rate(indep["view_before_ai"] == indep["correct_decision"]),
        "views_changed_to_ai_share": rate(indep_disagree["decision"] == indep_disagree["ai_recommendation"]),
        "right_to_wrong_switch_rate": rate((indep["view_before_ai"] == indep["correct_decision"])
                                           & (indep["decision"] != indep["correct_decision"])),
        "median_seconds_by_condition": {c: float(df.loc[df["review_condition"] == c, "seconds_taken"].median()) for c in CONDITIONS},
        "appeals": int(len(appealed)),
        "appeals_overturned": int((appealed["appeal_result"] == "overturned").sum()),
        "appeal_overturn_rate": rate(appealed["appeal_result"] == "overturned"),
        "wrong_refusals": int(((df["decision"] == "refuse") & (df["correct_decision"] == "approve")).sum()),
    }
    how = {
        "rows": "Number of reviews (rows).",
        "caseworkers": "Distinct caseworker_id values.",
        "reviews_by_condition": "Rows per review_condition (allocated at random, half each).",
        "ai_error_share": "Share of rows where ai_recommendation differs from correct_decision (planted: 30% in every nationality group).",
        "ai_wrong_reviews": "Number of rows where ai_recommendation differs from correct_decision.",
        "ai_error_share_by_nationality": "The same share within each nationality_status.",
        "ai_mean_confidence_when_right": "Mean ai_confidence where the advice was right.",
        "ai_mean_confidence_when_wrong": "Mean ai_confidence where the advice was wrong.",
        "agreement_rate": "Share of rows where decision equals ai_recommendation.",
        "override_rate": "Share of rows where decision differs from ai_recommendation.",
        "rubber_stamp_rule": "A caseworker rubber-stamps if their agreement rate is at least min_agreement and the median of their seconds_taken is strictly below max_median_seconds_exclusive.",
        "rubber_stamper_ids": "Caseworkers meeting the rubber_stamp_rule (exactly the three planted).",
        "rubber_stampers": "Agreement rate, median seconds and number of reviews of each rubber-stamper.",
        "fast_but_not_rubber_stamping_ids": "Caseworkers with median seconds below the limit whose agreement is ordinary: speed alone is not rubber-stamping.",
        "fast_but_not_rubber_stamping": "Their agreement rate and median seconds.",
        "other_caseworkers_agreement_range": "Lowest and highest agreement rate among caseworkers who are not rubber-stampers.",
        "other_caseworkers_median_seconds_range": "Lowest and highest median seconds among caseworkers who are not rubber-stampers.",
        "reviews_by_rubber_stampers": "Rows decided by the rubber-stampers.",
        "agreement_with_wrong_advice": "Among rows with wrong advice, share where decision equals ai_recommendation (commission errors).",
        "agreement_with_wrong_advice_by_condition": "The same, per review_condition.",
        "agreement_with_wrong_advice_by_condition_excluding_rubber_stampers": "The same, per review_condition, leaving out the rubber-stampers' rows.",
        "agreement_with_correct_advice_by_condition": "Among rows with right advice, share where decision equals ai_recommendation, per review_condition.",
        "stereotype_rule": "The rule that marks advice as stereotype-congruent.",
        "agreement_with_wrong_advice_by_stereotype": "Among rows with wrong advice, agreement for stereotype-congruent and incongruent advice (selective adherence).",
        "wrong_advice_reviews_by_stereotype": "Number of wrong-advice rows that are congruent and incongruent.",
        "agreement_with_wrong_advice_by_stereotype_and_condition": "Agreement with wrong advice per review_condition and congruence.",
        "decision_accuracy_by_condition": "Share of rows where decision equals correct_decision, per review_condition.",
        "view_before_ai_accuracy": "Under independent_first, share of view_before_ai equal to correct_decision.",
        "views_changed_to_ai_share": "Under independent_first, among rows where view_before_ai differs from ai_recommendation, share whose decision followed the AI.",
        "right_to_wrong_switch_rate": "Under independent_first, share of all rows where view_before_ai was correct but the decision was not (advice turning a right answer wrong).",
        "median_seconds_by_condition": "Median seconds_taken per review_condition.",
        "appeals": "Rows with appealed True.",
        "appeals_overturned": "Appeals with appeal_result overturned.",
        "appeal_overturn_rate": "Share of appeals overturned.",
        "wrong_refusals": "Rows with decision refuse where correct_decision is approve.",
    }
    return f, how
