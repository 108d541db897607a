"""Before signing: testing a supplier's claim on local data, and what to demand of the supplier.

::

    from coursekit.procurement import claim_test, provider_documents, contract_clauses

    # The local result with its 95% interval against the claimed value, overall and by group.
    claim_test(trial, "verified_outcome", "vendor_prediction", claimed=0.94, group="main_language")

    provider_documents()   # what the AI Act makes a provider hold, and what a buyer asks for
    contract_clauses()     # clauses that keep a bought system checkable after signing

A supplier's figure was measured on someone else's data, with someone else's metric. The only
test that counts for a public buyer is on its own cases and for the groups it serves (the
Freedom Online Coalition's 2024 statement asks governments to test vendor claims in the
environment where the system will be used).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coursekit import ai_act
from coursekit.monitoring import (METRICS, OVERALL, MonitoringInputError, _frame, _group_cols, _metric_list,
                                  _outcomes, _successes_and_n, _with_interval)

__all__ = ["METRICS", "claim_test", "provider_documents", "contract_clauses"]




def claim_test(df: pd.DataFrame, y_true, y_pred, *, claimed: float, metric: str = "accuracy", group=None,
               positive=None, confidence: float = 0.95) -> pd.DataFrame:
    """A metric measured on local data, with its interval, against the value a supplier claims.

    df:        one row per case of a local trial (the organisation's own, verified cases).
    y_true:    column with the verified outcome; y_pred: column with the system's output.
    claimed:   the claimed value of the metric, as a fraction (0.94 for "94% accurate").
    metric:    one of ``METRICS`` (default accuracy).
    group:     a column (or list of columns): adds one row per group after the ``overall`` row.
    positive:  the label that counts as positive when the columns hold labels, not True/False
               (needed for recall and the other error rates; accuracy compares labels as they are).

    Returns one row per group (``overall`` first): ``n`` (the metric's denominator), ``successes``,
    ``value``, ``ci_low``, ``ci_high``, ``claimed``, ``gap_points`` (value minus claim, in
    percentage points) and ``verdict``: ``below the claim`` when the whole interval lies below it,
    ``above the claim`` when the whole interval lies above it, otherwise ``consistent with the claim``.
    An interval that contains the claim does not prove the claim: with few cases it is wide.
    """
    _frame(df)
    try:
        claimed = float(claimed)
    except (TypeError, ValueError):
        raise MonitoringInputError(f"claimed must be a number such as 0.94, got {claimed!r}") from None
    if not 0 <= claimed <= 1:
        raise MonitoringInputError(f"claimed must be a fraction between 0 and 1 (0.94 for 94%), got {claimed}")
    (metric,) = _metric_list([metric])
    cols = _group_cols(df, group)
    t, p, right = _outcomes(df, y_true, y_pred, positive, [metric])
    k, n = _successes_and_n(t, p, right)[metric]
    counts = pd.DataFrame({"k": k, "n": n})
    rows = [counts.sum().to_frame(OVERALL).T]
    if cols:
        keys = [df[c].reset_index(drop=True) for c in cols]
        by = counts.groupby(keys if len(keys) > 1 else keys[0], sort=True, observed=True).sum()
        rows.append(by)
    both = pd.concat(rows)
    out = _with_interval(both["k"], both["n"], confidence)
    out["claimed"] = claimed
    out["gap_points"] = (out["value"] - claimed) * 100
    out["verdict"] = np.select([out["ci_high"] < claimed, out["ci_low"] > claimed],
                               ["below the claim", "above the claim"], "consistent with the claim")
    out.loc[out["n"] == 0, "verdict"] = "no cases"
    out.index.name = "group" if not cols else (cols[0] if len(cols) == 1 else "group")
    out.attrs.update(metric=metric, confidence=confidence)
    return out



# ---------------------------------------------------------------------------------------------
# What to demand


def provider_documents() -> pd.DataFrame:
    """What the EU AI Act makes the provider of a high-risk system hold or do, and what a buyer asks.

    One row per duty: ``ref`` (article), ``who``, ``document``, ``what`` (plain-language summary),
    ``buyer_asks`` and ``note`` (what is uncertain). From ``coursekit.ai_act``; summaries leave out
    conditions and exceptions, and the text in the Official Journal is what counts.
    """
    return pd.DataFrame([dict(r) for r in ai_act._PROVIDER_DUTIES],
                        columns=["ref", "who", "document", "what", "buyer_asks", "note"])


_CLAUSES = (
    ("local_acceptance_test",
     "Acceptance on local data: the system is accepted only if, on a test set of the buyer's own verified cases, "
     "it meets stated figures overall and for each named group, with intervals.",
     "A claim measured elsewhere that does not hold locally, or holds on average but not for a group."),
    ("performance_benchmarks",
     "Performance benchmarks with consequences: stated levels (overall and per group) that the system must keep "
     "in operation, with remedies (fix within a deadline, fee reductions, termination) when it does not.",
     "A system that slowly gets worse while the contract pays in full."),
    ("ongoing_bias_monitoring",
     "Ongoing bias monitoring: the supplier reports results by group at a set frequency, on the buyer's data.",
     "A gap that opens for one group after go-live."),
    ("right_to_audit",
     "Right to audit: the buyer, or an auditor it names, may inspect the system, its documentation, its test "
     "results and its logs.",
     "Claims no one outside the supplier can check."),
    ("notice_of_changes",
     "Notice of significant changes: the supplier tells the buyer in advance of a new model, new training data "
     "or a changed threshold, and the buyer may re-test before it goes live.",
     "An update that changes results without anyone knowing."),
    ("incident_reporting",
     "Incidents and defects: the supplier tells the buyer within a set time about defects, incidents and "
     "corrective actions, including those found at other customers.",
     "A known failure the office learns about from the press."),
    ("documentation",
     "Documentation: instructions for use, a model card, datasheets for the training and test data with their "
     "provenance, the EU declaration of conformity and the registration entry, kept current.",
     "Not knowing what the system was trained and tested on, or whether it may lawfully be used."),
    ("data_portability_and_deletion",
     "Data portability and deletion: the buyer's data and logs can be exported in an open format, and are "
     "deleted by the supplier when the contract ends.",
     "Lock-in, and personal data kept after its purpose ended."),
    ("exit_strategy",
     "Exit strategy: how the service continues without the system (a manual process, another supplier) if it "
     "is suspended or the contract ends, and the supplier's duty to help.",
     "Being unable to stop a harmful system because the office has no other way to work."),
)


def contract_clauses() -> pd.DataFrame:
    """Contract terms that keep a bought AI system checkable, and the failure each one guards against.

    Drawn from the procurement section of *AI in the Public Sector* (right to audit, ongoing bias
    monitoring, notice of significant changes, data portability and deletion, performance
    benchmarks with consequences, an exit strategy) and item 7 of the Freedom Online Coalition's
    2024 statement (testing vendor claims where the system will be used, post-award monitoring,
    documentation and provenance). Columns ``clause``, ``what_it_says``, ``guards_against``.
    """
    return pd.DataFrame(_CLAUSES, columns=["clause", "what_it_says", "guards_against"])
