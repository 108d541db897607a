"""Impact assessment instruments as data a learner can query, and Canada's impact-level rule.

What is here:

- ``fria_elements()``: the six elements (a) to (f) of an EU AI Act fundamental rights impact
  assessment (Art. 27(1)), read from ``coursekit.ai_act``, with the question each asks;
- ``fria_scope()`` and ``fria_procedure()``: who must carry one out, who is excluded, and how it
  is kept (Art. 27(1) to (5));
- ``register_fields()`` and ``registration_rules()``: what a public body registers in the EU
  database (Art. 49(3), Annex VIII section C), next to the UK standard's public overview;
- ``peoples_rights()``: what the people affected can ask for (Art. 26(11), 50(1), 85, 86);
- ``instruments()`` and ``instrument_map()``: five instruments (EU FRIA, GDPR DPIA, Canada's
  Algorithmic Impact Assessment, the Dutch FRAIA, the UK ATRS) and which asks what;
- ``aia_questions()``, ``aia_points(answers)``, ``aia_level(...)``, ``aia_requirements()``: the
  course's own impact questionnaire, scored by the method of Canada's Algorithmic Impact
  Assessment, and what each impact level demands under Canada's Directive;
- ``completed_questionnaire(system)``: filled-in questionnaires for the course's example systems;
- ``notice_elements()``, ``system_description_fields()`` and ``redress_elements()``: what a notice
  to the people affected, a public description of the system and a redress route must contain.

Everything is a plain-language summary written for this course. The AIA questions are the
course's own (Canada's tool has its own questions and weights); only the scoring rule is Canada's.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import pandas as pd

from coursekit import ai_act

# ---------------------------------------------------------------------------------------------
# The EU AI Act's fundamental rights impact assessment (Art. 27)

# What each element asks the assessor to write down, in the course's words (the elements
# themselves come from ai_act, the one place for the law's text).
_FRIA_QUESTIONS = {
    "a": "In which of our processes is the system used, and for what purpose?",
    "b": "From when, for how long and how often is it used (how many decisions a year)?",
    "c": "Which categories of people and groups does it affect, and which of them are in a vulnerable situation?",
    "d": "What harm could it do to those people and groups, and to which of their rights?",
    "e": "Who oversees its outputs, with what training, information and authority to overrule it?",
    "f": "What do we do if a harm happens: who acts, how people complain, how the system is stopped or fixed?",
}


def fria_elements() -> pd.DataFrame:
    """The six elements of a fundamental rights impact assessment (Art. 27(1)(a) to (f)).

    Columns: ``element`` (a to f), ``ref``, ``description`` (from :func:`coursekit.ai_act.fria_elements`)
    and ``asks``: the question the assessment must answer for that element.
    """
    df = ai_act.fria_elements()
    df["asks"] = df["element"].map(_FRIA_QUESTIONS)
    return df


def fria_scope() -> pd.DataFrame:
    """Who must carry out a fundamental rights impact assessment, and who is excluded (Art. 27(1)).

    One row per rule; ``fria_required`` says whether that kind of deployer must do one.
    """
    return pd.DataFrame([dict(r) for r in ai_act._FRIA_SCOPE])


def fria_procedure() -> pd.DataFrame:
    """How the assessment is done and kept: before first use, reuse, update, notify, the DPIA, the template."""
    return pd.DataFrame([dict(r) for r in ai_act._FRIA_PROCEDURE])


# ---------------------------------------------------------------------------------------------
# Registers and people's rights

# The UK Algorithmic Transparency Recording Standard, tier 1 (the public overview).
_ATRS_TIER1 = (
    ("name", "The name of the tool."),
    ("description", "How and why the tool is used, in plain language."),
    ("website", "A web page where the public can find out more."),
    ("contact_email", "An email address for questions about the tool."),
    ("phase", "Its stage: pre-deployment, beta (pilot), production or retired."),
)


def register_fields(instrument: str | None = None) -> pd.DataFrame:
    """The fields of a public register entry.

    ``instrument="eu"``: what a public-authority deployer registers in the EU database before use
    (Art. 49(3), Annex VIII section C); ``"uk_atrs"``: the UK standard's public overview (tier 1).
    Without ``instrument``, both, with an ``instrument`` column.
    """
    eu = pd.DataFrame([dict(r) for r in ai_act._DEPLOYER_REGISTRATION])
    eu.insert(0, "instrument", "eu")
    uk = pd.DataFrame([{"instrument": "uk_atrs", "field": f, "ref": "ATRS tier 1", "description": d}
                       for f, d in _ATRS_TIER1])
    both = pd.concat([eu, uk], ignore_index=True)
    if instrument is None:
        return both
    if instrument not in ("eu", "uk_atrs"):
        raise ValueError(f"instrument must be 'eu' or 'uk_atrs' (or left out for both); got {instrument!r}")
    return both[both["instrument"] == instrument].reset_index(drop=True)


def registration_rules() -> pd.DataFrame:
    """The rules around registration: who, when, the ban on unregistered use, the non-public section."""
    return pd.DataFrame([dict(r) for r in ai_act._REGISTRATION_RULES])


def peoples_rights() -> pd.DataFrame:
    """What the people affected by a high-risk system can ask for under the AI Act, with the limits."""
    return pd.DataFrame([dict(r) for r in ai_act._PEOPLES_RIGHTS])


# Seed S3's notification template, as the elements a notice must contain.
_NOTICE = (
    ("ai_used", "That an AI system is used in handling their case, and what it does (its purpose)."),
    ("human_review", "That a trained person reviewed the case before any decision, and that no decision was made by the AI alone (only if true)."),
    ("right_information", "That they can ask how the AI was used in their case."),
    ("right_human_review", "That they can ask for a full review of the decision by a person."),
    ("right_appeal", "How to appeal the decision, and by when."),
    ("contact", "Who to contact with questions: an office, a phone number or an address, not only a web form."),
)

# Seed S4's item 6 (remedy) and seed S3's redress question, as the parts of a redress route.
_REDRESS = (
    ("responsible_office", "The office that handles requests and complaints, named, with a way to reach it."),
    ("timelines", "How long each step takes at most: acknowledgement, review, decision on the appeal."),
    ("human_review", "A person with the authority to change the decision looks at the case afresh, without relying on the system's output."),
    ("notify_adverse", "People are told when a decision that went against them was influenced by the AI system."),
    ("information_to_contest", "People get the information they need to contest: the main reasons, the data used about them, how to correct it."),
    ("interim_protection", "What happens meanwhile: for example a held payment released if the review is not done in time."),
    ("learning", "Complaints and overturned decisions are counted and fed back into monitoring and the impact assessment."),
)


# Seed S3's system description template: the public page about a system.
_SYSTEM_DESCRIPTION = (
    ("what_it_does", "What the system does, in plain language."),
    ("why", "Why the organisation uses it: the purpose and the benefit."),
    ("data", "What kinds of data it uses (not technical detail)."),
    ("what_it_does_not_do", "Its limits, and what people rather than the system decide."),
    ("how_decisions_are_made", "The human role in the decisions."),
    ("rights", "How to get information and challenge a decision."),
    ("oversight", "Who monitors the system, and how to raise a concern."),
    ("last_reviewed", "When the description was last checked."),
)


def system_description_fields() -> pd.DataFrame:
    """The sections of a public description of a system (after seed S3's system description template)."""
    return pd.DataFrame(_SYSTEM_DESCRIPTION, columns=["field", "description"])


def notice_elements() -> pd.DataFrame:
    """What a notice to the people affected must contain (after seed S3's notification template)."""
    return pd.DataFrame(_NOTICE, columns=["element", "description"])


def redress_elements() -> pd.DataFrame:
    """The parts of a redress route (after seed S4's call for remedy protocols and seed S3's redress question)."""
    return pd.DataFrame(_REDRESS, columns=["element", "description"])


# ---------------------------------------------------------------------------------------------
# Five instruments and what each asks

_INSTRUMENTS = (
    {"instrument": "eu_fria", "name": "Fundamental rights impact assessment", "where": "EU AI Act, Art. 27",
     "binding": "law", "who": "public bodies, private bodies providing public services, deployers of Annex III 5(b) and 5(c)",
     "when": "before first use of a high-risk system; updated when something changes"},
    {"instrument": "gdpr_dpia", "name": "Data protection impact assessment", "where": "GDPR, Art. 35",
     "binding": "law", "who": "any controller whose processing is likely to result in a high risk to people's rights",
     "when": "before the processing starts"},
    {"instrument": "ca_aia", "name": "Algorithmic Impact Assessment", "where": "Canada, Directive on Automated Decision-Making",
     "binding": "policy (federal institutions)", "who": "Canadian federal institutions using automated decision systems",
     "when": "before production, and again when the system's functionality or scope changes"},
    {"instrument": "nl_fraia", "name": "Fundamental Rights and Algorithms Impact Assessment (IAMA)", "where": "Netherlands, 2021",
     "binding": "guidance", "who": "Dutch public bodies, as a recommended discussion tool",
     "when": "when considering, designing or buying an algorithm"},
    {"instrument": "uk_atrs", "name": "Algorithmic Transparency Recording Standard", "where": "United Kingdom",
     "binding": "policy (mandatory for central government departments)", "who": "public bodies using algorithmic tools in decisions that affect the public",
     "when": "once a tool is piloted or used; updated as it changes"},
)

# Which instrument asks each question, and where. "" means the instrument has no such item of
# its own (it may still touch the topic elsewhere). Read by this course from the texts in the
# sources; the rows marked in ``note`` are the course's own reading, not an official mapping.
_MAP = (
    ("purpose", "Why the system is used and what it should achieve",
     {"eu_fria": "Art. 27(1)(a)", "gdpr_dpia": "Art. 35(7)(a)", "ca_aia": "reasons for automation",
      "nl_fraia": "part 1 (why)", "uk_atrs": "tier 2: description and rationale"}),
    ("necessity", "Whether it is necessary and proportionate, and the alternatives",
     {"gdpr_dpia": "Art. 35(7)(b)", "nl_fraia": "parts 1 and 4 (legal basis, proportionality)",
      "uk_atrs": "tier 2: alternatives considered"}),
    ("process", "How the output is used in the decision",
     {"eu_fria": "Art. 27(1)(a)", "gdpr_dpia": "Art. 35(7)(a)", "ca_aia": "about the decision",
      "nl_fraia": "part 3 (how)", "uk_atrs": "tier 2: decision-making process"}),
    ("period_scale", "How long, how often and on how many people",
     {"eu_fria": "Art. 27(1)(b)", "uk_atrs": "tier 2: frequency and scale"}),
    ("affected", "Who is affected, and which groups",
     {"eu_fria": "Art. 27(1)(c)", "ca_aia": "risk profile", "nl_fraia": "part 4 (rights roadmap)"}),
    ("harms", "What harm it could do to people's rights",
     {"eu_fria": "Art. 27(1)(d)", "gdpr_dpia": "Art. 35(7)(c)", "ca_aia": "impact",
      "nl_fraia": "part 4 (rights roadmap)", "uk_atrs": "tier 2: risks, mitigations and impact assessments"}),
    ("data", "The data used, its quality and bias",
     {"ca_aia": "about the data; data quality (mitigation)", "nl_fraia": "part 2 (what)",
      "uk_atrs": "tier 2: tool, model and data"}),
    ("oversight", "Human oversight of the outputs",
     {"eu_fria": "Art. 27(1)(e)", "ca_aia": "procedural fairness (mitigation)", "nl_fraia": "part 3 (how)",
      "uk_atrs": "tier 2: human review"}),
    ("remedies", "What is done when harm occurs, and complaints",
     {"eu_fria": "Art. 27(1)(f)", "gdpr_dpia": "Art. 35(7)(d)", "ca_aia": "procedural fairness (mitigation)",
      "uk_atrs": "tier 2: appeals"}),
    ("consultation", "Hearing the people affected or their representatives",
     {"gdpr_dpia": "Art. 35(9)", "ca_aia": "consultation (mitigation)"}),
    ("publication", "Publishing the result",
     {"eu_fria": "summary in the EU database (Annex VIII C)", "ca_aia": "results published",
      "uk_atrs": "the record is the publication"}),
    ("authority", "Telling a regulator",
     {"eu_fria": "Art. 27(3)", "gdpr_dpia": "Art. 36 (prior consultation, if high risk remains)"}),
)

INSTRUMENT_IDS = tuple(i["instrument"] for i in _INSTRUMENTS)


def instruments() -> pd.DataFrame:
    """Five impact and transparency instruments: where they come from, whether they bind, who, when."""
    return pd.DataFrame([dict(r) for r in _INSTRUMENTS])


def instrument_map() -> pd.DataFrame:
    """Which instrument asks what: one row per (topic, instrument), tidy.

    Columns: ``topic``, ``question``, ``instrument``, ``asks`` (bool) and ``where`` (the article,
    part or section that asks it; empty when the instrument has no item of its own for the topic).
    This is the course's reading of the instruments, not an official mapping.
    """
    rows = []
    for topic, question, where in _MAP:
        for inst in INSTRUMENT_IDS:
            rows.append({"topic": topic, "question": question, "instrument": inst,
                         "asks": inst in where, "where": where.get(inst, "")})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# The course's impact questionnaire, scored by Canada's AIA method

# (id, kind, area, question, multiple, ((choice, points), ...)). The questions and points are the
# course's own, modelled on the areas of Canada's tool; checkbox questions (multiple=True) add the
# points of every ticked choice, single-choice questions give the chosen one's.
_LEVEL4 = (("little", 1), ("moderate", 2), ("high", 3), ("very_high", 4))
_QUESTIONS = (
    ("R01", "risk", "about the system", "What part does the system play in the decision?", False,
     (("information_only", 1), ("recommends", 2), ("decides_person_confirms", 3), ("decides_alone", 4))),
    ("R02", "risk", "about the system", "Does the system change its own rules after it goes live?", False,
     (("no", 0), ("retrained_periodically", 1), ("learns_continuously", 2))),
    ("R03", "risk", "about the system", "Was it tested in the organisation's own conditions before use?", False,
     (("yes", 0), ("partly", 1), ("no", 2))),
    ("R04", "risk", "about the algorithm", "Can staff see the reasons behind an output for a single case?", False,
     (("yes", 0), ("partly", 1), ("no", 2))),
    ("R05", "risk", "about the algorithm", "Can the organisation inspect the model, its code and its training data?", False,
     (("yes", 0), ("partly", 1), ("no", 2))),
    ("R06", "risk", "about the algorithm", "Does it rank or score people against each other?", False,
     (("no", 0), ("yes", 2))),
    ("R07", "risk", "about the decision", "Which service areas does the decision touch? (tick all that apply)", True,
     (("benefits", 1), ("education", 1), ("housing", 1), ("health", 1), ("child_welfare", 2),
      ("policing_or_justice", 2), ("migration", 2))),
    ("R08", "risk", "about the decision", "Does the decision weigh individual circumstances (discretion)?", False,
     (("no", 0), ("partly", 1), ("yes", 2))),
    ("R09", "risk", "impact", "Effect on people's rights and freedoms", False, _LEVEL4),
    ("R10", "risk", "impact", "Effect on equality, dignity and privacy", False, _LEVEL4),
    ("R11", "risk", "impact", "Effect on health and well-being", False, _LEVEL4),
    ("R12", "risk", "impact", "Effect on people's economic interests", False, _LEVEL4),
    ("R13", "risk", "impact", "Effect on people's future opportunities (education, work, housing)", False, _LEVEL4),
    ("R14", "risk", "impact", "How reversible are the effects?", False,
     (("reversible_quickly", 1), ("reversible_slowly", 2), ("hard_to_reverse", 3), ("irreversible", 4))),
    ("R15", "risk", "impact", "How long do the effects last?", False,
     (("days", 1), ("months", 2), ("years", 3), ("permanent", 4))),
    ("R16", "risk", "impact", "How likely is it to wrongly include or exclude people?", False,
     (("unlikely", 1), ("possible", 2), ("likely", 3), ("known_to_happen", 4))),
    ("R17", "risk", "risk profile", "Are the people affected in a vulnerable situation (children, low income, disability)?", False,
     (("no", 0), ("some", 2), ("most", 4))),
    ("R18", "risk", "risk profile", "Is the use publicly contested, or in an area with past failures or court cases?", False,
     (("no", 0), ("yes", 2))),
    ("R19", "risk", "risk profile", "Can people avoid the system or choose another route?", False,
     (("yes", 0), ("with_difficulty", 1), ("no", 2))),
    ("R20", "risk", "about the data", "What personal data does it use?", False,
     (("none", 0), ("personal", 2), ("special_category", 4))),
    ("R21", "risk", "about the data", "Does it combine data from several organisations?", False,
     (("no", 0), ("yes", 2))),
    ("R22", "risk", "about the data", "Does it read unstructured data (free text, images, audio)?", False,
     (("no", 0), ("yes", 2))),
    ("R23", "risk", "about the data", "Does the data have known gaps or age for some groups?", False,
     (("no", 0), ("unknown", 1), ("yes", 2))),
    ("R24", "risk", "scale", "How many decisions a year?", False,
     (("under_1000", 1), ("1000_to_100000", 2), ("over_100000", 3))),
    ("R25", "risk", "about the system", "Does it pass outputs to other automated systems with no person in between?", False,
     (("no", 0), ("yes", 2))),
    ("R26", "risk", "about the decision", "Is it used to detect wrongdoing (fraud, non-compliance)?", False,
     (("no", 0), ("yes", 3))),
    ("R27", "risk", "about the decision", "Does the decision affect people's access to money they need to live on?", False,
     (("no", 0), ("partly", 2), ("yes", 4))),
    ("M01", "mitigation", "consultation", "Were the people affected, or groups that represent them, consulted on the design?", False,
     (("no", 0), ("yes", 3))),
    ("M02", "mitigation", "consultation", "Did legal, data protection and equality specialists review it?", False,
     (("no", 0), ("yes", 2))),
    ("M03", "mitigation", "data quality", "Were outputs tested for differences between groups on the organisation's own data?", False,
     (("no", 0), ("yes", 3))),
    ("M04", "mitigation", "data quality", "Is data quality monitored in use, with a named owner?", False,
     (("no", 0), ("yes", 2))),
    ("M05", "mitigation", "procedural fairness", "Does a trained person review every adverse output before a decision?", False,
     (("no", 0), ("yes", 5))),
    ("M06", "mitigation", "procedural fairness", "Are people told, in plain language, that it is used and how to contest?", False,
     (("no", 0), ("yes", 2))),
    ("M07", "mitigation", "procedural fairness", "Is there a recourse route with time limits and a human review?", False,
     (("no", 0), ("yes", 3))),
    ("M08", "mitigation", "procedural fairness", "Are outputs, decisions and overrides logged for audit?", False,
     (("no", 0), ("yes", 2))),
    ("M09", "mitigation", "privacy", "Has a data protection impact assessment been completed?", False,
     (("no", 0), ("yes", 2))),
    ("M10", "mitigation", "privacy", "Is personal data kept to what is needed and deleted on schedule?", False,
     (("no", 0), ("yes", 1))),
)

_BY_ID = {q[0]: q for q in _QUESTIONS}


def aia_questions() -> pd.DataFrame:
    """The course's impact questionnaire: one row per (question, choice) with its points.

    Columns: ``question_id``, ``kind`` (``risk`` adds to the raw impact score, ``mitigation`` to the
    mitigation score), ``area``, ``question``, ``multiple`` (True: tick all that apply, points add
    up; False: one choice), ``choice``, ``points``.
    """
    rows = [{"question_id": qid, "kind": kind, "area": area, "question": text, "multiple": multiple,
             "choice": choice, "points": points}
            for qid, kind, area, text, multiple, choices in _QUESTIONS for choice, points in choices]
    return pd.DataFrame(rows)


def _max_points(qid: str) -> int:
    _, _, _, _, multiple, choices = _BY_ID[qid]
    pts = [p for _, p in choices]
    return sum(pts) if multiple else max(pts)


def aia_points(answers: dict) -> pd.DataFrame:
    """Score a filled-in questionnaire: one row per question, answered or not.

    ``answers`` maps a question id to the chosen choice (a list of choices for a tick-all question).
    A question left out scores 0 but still counts in the maximum, as in Canada's tool.
    Columns: ``question_id``, ``kind``, ``area``, ``answer``, ``points``, ``max_points``.
    """
    if not isinstance(answers, dict):
        raise TypeError(f"answers must be a dict {{question id: choice}}; got {type(answers).__name__}")
    unknown = sorted(set(answers) - set(_BY_ID))
    if unknown:
        raise ValueError(f"unknown question id(s) {', '.join(map(str, unknown))}; see aia_questions()")
    rows = []
    for qid, kind, area, _, multiple, choices in _QUESTIONS:
        value = dict(choices)
        answer = answers.get(qid)
        if answer is None:
            picked = []
        elif isinstance(answer, (list, tuple, set)):
            picked = list(answer)
            if not multiple and len(picked) != 1:
                raise ValueError(f"{qid} takes one choice; got {answer!r}")
        else:
            picked = [answer]
        bad = [c for c in picked if c not in value]
        if bad:
            raise ValueError(f"{qid} has no choice {bad[0]!r}; choose from {', '.join(value)}")
        rows.append({"question_id": qid, "kind": kind, "area": area, "answer": answer,
                     "points": sum(value[c] for c in picked), "max_points": _max_points(qid)})
    return pd.DataFrame(rows)


#: Canada's rule: a mitigation score of at least this share of its maximum earns the deduction...
MITIGATION_SHARE = Fraction(4, 5)
#: ...of this share of the raw impact score.
DEDUCTION = Fraction(15, 100)
#: The top of levels 1, 2 and 3 as shares of the maximum raw score (inclusive); level 4 is above.
LEVEL_TOPS = (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4))


def _check_score(name: str, value, maximum=None) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number of points; got {value!r}")
    if value < 0:
        raise ValueError(f"{name} is negative ({value!r}); scores are 0 or more points")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} ({value!r}) is above its maximum ({maximum!r})")
    return Fraction(value)


def aia_level(raw, raw_max, mitigation, mitigation_max) -> tuple[int | float, int]:
    """The final score and impact level (1 to 4) by the method of Canada's Algorithmic Impact Assessment.

    When ``mitigation`` is at least 80% of ``mitigation_max``, the raw score is reduced by 15% and
    rounded half up to a whole point; otherwise it stays as it is. The level is read from the final
    score as a share of ``raw_max``: level 1 up to and including 25%, level 2 up to 50%, level 3 up
    to 75%, level 4 above. This is what Canada's open-source tool computes (``calculateFinalScore``
    in ``canada-ca/aia-eia-js``, version 1.0.1, 2025), with ``mitigation_max`` the maximum a
    completed questionnaire can reach (the tool halves a sum that counts its design-phase and
    implementation-phase mitigation questions twice).

    Raises ``ValueError`` naming the input that is wrong: a negative score, a score above its
    maximum, a maximum that is not positive, or something that is not a number.
    """
    raw_max_f = _check_score("raw_max", raw_max)
    mitigation_max_f = _check_score("mitigation_max", mitigation_max)
    if raw_max_f == 0:
        raise ValueError("raw_max must be more than 0 points")
    if mitigation_max_f == 0:
        raise ValueError("mitigation_max must be more than 0 points")
    raw_f = _check_score("raw", raw, raw_max)
    mitigation_f = _check_score("mitigation", mitigation, mitigation_max)
    if mitigation_f >= MITIGATION_SHARE * mitigation_max_f:
        # Exact arithmetic, then half up, as JavaScript's Math.round does for positive numbers.
        final = math.floor((1 - DEDUCTION) * raw_f + Fraction(1, 2))
    else:
        final = raw
    level = 1 + sum(Fraction(final) > top * raw_max_f for top in LEVEL_TOPS)
    return final, level


def aia_thresholds(raw_max) -> pd.DataFrame:
    """The highest final score of each level for a questionnaire whose maximum raw score is ``raw_max``."""
    raw_max_f = _check_score("raw_max", raw_max)
    if raw_max_f == 0:
        raise ValueError("raw_max must be more than 0 points")
    tops = [float(t * raw_max_f) for t in LEVEL_TOPS] + [float(raw_max_f)]
    return pd.DataFrame({"level": [1, 2, 3, 4], "share_of_max": ["up to 25%", "up to 50%", "up to 75%", "above 75%"],
                         "highest_score": tops})


# What each level requires under Canada's Directive on Automated Decision-Making (Appendix C),
# summarised; the Directive's own text is what counts.
_REQUIREMENTS = (
    ("notice", "Plain-language notice on the program's website.",
     "Plain-language notice on the program's website.",
     "Plain-language notice, with a link to the explanation of how the system works.",
     "Plain-language notice, with a link to the explanation of how the system works."),
    ("explanation", "A general explanation of how the system works, for common decisions.",
     "An individual explanation for any decision that denies a benefit or service or imposes a burden.",
     "An individual explanation for any decision that denies a benefit or service or imposes a burden.",
     "An individual explanation for any decision that denies a benefit or service or imposes a burden."),
    ("peer_review", "None.", "One qualified expert reviews it.", "One qualified expert reviews it.",
     "Two qualified experts from named kinds of bodies review it, and the review is published."),
    ("gender_based_analysis", "Not required.", "Gender-based analysis plus.", "Gender-based analysis plus.",
     "Gender-based analysis plus."),
    ("training", "Role-based training for the people who use it.", "Role-based training for the people who use it.",
     "Recurring, more thorough training.", "Recurring, more thorough training."),
    ("human_involvement", "The system may decide without a person.", "The system may decide without a person.",
     "A person makes the final decision.", "A person makes the final decision."),
    ("approval", "The program's lead.", "The program's lead.", "The deputy head of the institution.",
     "The Treasury Board."),
)


def aia_requirements() -> pd.DataFrame:
    """What each impact level requires under Canada's Directive on Automated Decision-Making (summary).

    One row per requirement, one column per level (``level_1`` to ``level_4``).
    """
    return pd.DataFrame(_REQUIREMENTS, columns=["requirement", "level_1", "level_2", "level_3", "level_4"])


# ---------------------------------------------------------------------------------------------
# Filled-in questionnaires for the course's example systems (invented)

_COMPLETED = {
    # The National Benefits Office's fraud screen (the benefit_claims data set).
    "benefit_fraud_screen": {
        "R01": "decides_person_confirms", "R02": "retrained_periodically", "R03": "partly", "R04": "partly",
        "R05": "no", "R06": "yes", "R07": ["benefits"], "R08": "partly", "R09": "high", "R10": "high",
        "R11": "moderate", "R12": "high", "R13": "little", "R14": "reversible_slowly", "R15": "months",
        "R16": "known_to_happen", "R17": "most", "R18": "yes", "R19": "no", "R20": "personal", "R21": "yes",
        "R22": "no", "R23": "unknown", "R24": "1000_to_100000", "R25": "no", "R26": "yes", "R27": "yes",
        "M01": "no", "M02": "yes", "M03": "yes", "M04": "no", "M05": "yes", "M06": "no", "M07": "no",
        "M08": "yes", "M09": "yes", "M10": "yes",
    },
    # A city's secondary-school place allocator.
    "school_places": {
        "R01": "decides_alone", "R02": "no", "R03": "partly", "R04": "no", "R05": "partly", "R06": "yes",
        "R07": ["education", "health"], "R08": "partly", "R09": "moderate", "R10": "high", "R11": "moderate",
        "R12": "little", "R13": "high", "R14": "reversible_slowly", "R15": "years", "R16": "likely",
        "R17": "most", "R18": "yes", "R19": "no", "R20": "special_category", "R21": "yes", "R22": "no",
        "R23": "yes", "R24": "1000_to_100000", "R25": "no", "R26": "no", "R27": "no",
        "M01": "yes", "M02": "yes", "M03": "yes", "M04": "yes", "M05": "no", "M06": "yes", "M07": "yes",
        "M08": "yes", "M09": "yes", "M10": "yes",
    },
}

SYSTEMS = tuple(_COMPLETED)


def completed_questionnaire(system: str) -> dict:
    """A filled-in questionnaire (question id -> choice) for one of ``SYSTEMS``; a copy you may change."""
    if system not in _COMPLETED:
        raise ValueError(f"unknown system {system!r}; choose one of {', '.join(SYSTEMS)}")
    return {k: (list(v) if isinstance(v, list) else v) for k, v in _COMPLETED[system].items()}
