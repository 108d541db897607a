"""The EU AI Act (Regulation (EU) 2024/1689) in a form a learner can query.

What is here, each as a pandas DataFrame:

- ``tiers()``: the four risk tiers, from prohibited to minimal;
- ``prohibited_practices()``: the eight practices of Article 5(1), points (a) to (h);
- ``high_risk_areas()`` and ``high_risk_points()``: the eight areas of Annex III and their points;
- ``exemptions()``: the four conditions of Article 6(3) (and ``PROFILING_RULE``);
- ``transparency_obligations()``: Article 50 (chatbots, synthetic content, deepfakes);
- ``deployer_duties()``: what a public body that uses a high-risk system must do (Art. 26, 27, 49, 86);
- ``key_dates()``: when the rules apply, and what is still uncertain;
- ``lookup(keyword)``: search all of the above.

Single entries: ``tier("high_risk")``, ``practice("f")``, ``area(5)``.

Every description is a plain-language summary written for this course, not the legal text.
Summaries leave out conditions and exceptions; where that matters the ``note`` or ``exceptions``
column says so. The text published in the Official Journal of the EU is what counts.
"""

from __future__ import annotations

import numbers

import pandas as pd

REGULATION = "Regulation (EU) 2024/1689 (the EU AI Act)"

SIMPLIFIED = (
    "Plain-language summaries written for this course. They leave out detail, conditions and "
    "exceptions; the text of Regulation (EU) 2024/1689 in the Official Journal is what counts."
)

AS_OF = "2026"

TIER_IDS = ("prohibited", "high_risk", "transparency", "minimal")

_TIERS = (
    {
        "tier": "prohibited",
        "name": "Prohibited (unacceptable risk)",
        "where_in_law": "Art. 5",
        "what_it_means": "The practice is banned in the EU: it may not be sold, put into service or used.",
        "what_follows": "Stop. No safeguard or contract makes it lawful, apart from the narrow exceptions written into Art. 5 itself.",
    },
    {
        "tier": "high_risk",
        "name": "High-risk",
        "where_in_law": "Art. 6 and Annex III (and products covered by Annex I)",
        "what_it_means": "Allowed, but only with strict duties, because it can seriously affect people's safety or fundamental rights.",
        "what_follows": "The provider must meet the requirements for high-risk systems before sale; a public deployer must arrange human oversight, keep logs, carry out a fundamental rights impact assessment, register its use and inform the people affected.",
    },
    {
        "tier": "transparency",
        "name": "Transparency obligations (limited risk)",
        "where_in_law": "Art. 50",
        "what_it_means": "Allowed, but people must be able to tell that they are dealing with AI or with AI-made content.",
        "what_follows": "Tell people they are talking to an AI system; mark and label synthetic or manipulated content (deepfakes).",
    },
    {
        "tier": "minimal",
        "name": "Minimal risk",
        "where_in_law": "no specific article (Art. 4 and Art. 95 still apply)",
        "what_it_means": "Everything else: the AI Act adds no specific duties for the system.",
        "what_follows": "Staff still need AI literacy (Art. 4); voluntary codes of conduct are encouraged (Art. 95); data protection, equality and administrative law apply as always.",
    },
)

_PRACTICES = (
    {
        "point": "a",
        "name": "Manipulation and deception",
        "description": "Subliminal, purposefully manipulative or deceptive techniques that distort people's behaviour and cause them, or others, significant harm.",
        "exceptions": "",
        "why_banned": "People lose the chance to make their own informed choices, and are harmed by it.",
        "public_sector_example": "A benefits app that uses hidden cues to push people into withdrawing a claim.",
    },
    {
        "point": "b",
        "name": "Exploiting vulnerabilities",
        "description": "Exploiting the vulnerabilities of people due to their age, disability, or social or economic situation, distorting their behaviour in a way that causes significant harm.",
        "exceptions": "",
        "why_banned": "It preys on the people least able to protect themselves.",
        "public_sector_example": "A system that singles out people in severe financial hardship and pressures them into giving up a benefit they are entitled to.",
    },
    {
        "point": "c",
        "name": "Social scoring",
        "description": "Scoring people on their social behaviour or personal characteristics when the score leads to detrimental treatment in unrelated contexts, or treatment that is unjustified or disproportionate. It applies to anyone, not only to public authorities.",
        "exceptions": "",
        "why_banned": "People are punished for things unrelated to the decision at hand; it undermines equal treatment and dignity.",
        "public_sector_example": "Ranking applicants for social housing on library fines, parking tickets and social-media posts.",
    },
    {
        "point": "d",
        "name": "Predicting crime from profiling",
        "description": "Assessing or predicting the risk that a person will commit a criminal offence solely from profiling or from their personality traits.",
        "exceptions": "Not banned when the system supports a human assessment that is already based on objective, verifiable facts directly linked to a criminal activity.",
        "why_banned": "People are treated as suspects for who they are, not for what they did; it reverses the presumption of innocence.",
        "public_sector_example": "Scoring teenagers as future offenders from their personality test results alone.",
    },
    {
        "point": "e",
        "name": "Untargeted scraping of facial images",
        "description": "Building or expanding facial recognition databases by untargeted scraping of facial images from the internet or from CCTV footage.",
        "exceptions": "",
        "why_banned": "It ends anonymity for everyone and feeds mass surveillance without anyone's knowledge or consent.",
        "public_sector_example": "Buying access to a face search engine built from photos copied en masse from websites.",
    },
    {
        "point": "f",
        "name": "Emotion recognition at work or in education",
        "description": "Inferring the emotions of people at the workplace or in education institutions.",
        "exceptions": "Allowed for medical or safety reasons.",
        "why_banned": "Reading emotions from faces or voices has a weak scientific basis, and the power imbalance at work and school makes it deeply intrusive.",
        "public_sector_example": "Cameras that rate call-centre staff's mood or stress during their shifts.",
    },
    {
        "point": "g",
        "name": "Biometric categorisation by sensitive traits",
        "description": "Sorting people by their biometric data (such as their face) to infer their race, political opinions, trade-union membership, religion or beliefs, sex life or sexual orientation.",
        "exceptions": "Simplified: labelling or filtering of lawfully acquired biometric datasets, and some law-enforcement uses, are carved out.",
        "why_banned": "It sorts people by traits that are grounds of discrimination, from features they cannot change or hide.",
        "public_sector_example": "Software that guesses people's political views or sexual orientation from their photos.",
    },
    {
        "point": "h",
        "name": "Live facial recognition in public for law enforcement",
        "description": "Real-time remote biometric identification (such as live facial recognition) in publicly accessible spaces for law enforcement.",
        "exceptions": "Narrow exceptions when strictly necessary: a targeted search for specific victims, preventing an imminent threat to life or a terrorist attack, or finding suspects of serious crimes. Each use needs prior authorisation by a judicial or independent administrative authority.",
        "why_banned": "Being identified wherever you go chills freedom of assembly and expression, and errors fall on innocent passers-by.",
        "public_sector_example": "Police scanning every face at a railway station against a general watch list.",
    },
)

# Annex III: the eight areas. ``covers`` follows the course's reference notes.
_AREAS = (
    {
        "area": 1,
        "name": "Biometrics",
        "covers": "Remote biometric identification, biometric categorisation by sensitive attributes, emotion recognition (where these are not already banned by Art. 5).",
        "public_sector_examples": "Identifying people from camera images after the fact; emotion recognition outside work and education.",
    },
    {
        "area": 2,
        "name": "Critical infrastructure",
        "covers": "Safety components in the management and operation of critical digital infrastructure, road traffic, and the supply of water, gas, heating or electricity.",
        "public_sector_examples": "AI that controls traffic lights or balances a water network.",
    },
    {
        "area": 3,
        "name": "Education and vocational training",
        "covers": "Admission, evaluating learning outcomes, assessing the level of education a person can access, monitoring students during tests (proctoring).",
        "public_sector_examples": "Allocating school places; marking exams; proctoring online exams.",
    },
    {
        "area": 4,
        "name": "Employment and workers management",
        "covers": "Recruitment and selection, decisions on promotion and termination, allocating tasks, monitoring and evaluating workers.",
        "public_sector_examples": "Ranking applicants for civil-service jobs; monitoring staff performance.",
    },
    {
        "area": 5,
        "name": "Essential private and public services and benefits",
        "covers": "Public authorities assessing eligibility for benefits and services, or granting, reducing, revoking or reclaiming them; creditworthiness (fraud detection excluded); life and health insurance pricing; emergency call triage and dispatch.",
        "public_sector_examples": "Benefit eligibility, reductions and recovery; triage of emergency calls.",
    },
    {
        "area": 6,
        "name": "Law enforcement",
        "covers": "Risk of becoming a victim, polygraphs and similar tools, reliability of evidence, risk of offending or re-offending, profiling in investigations.",
        "public_sector_examples": "Assessing how reliable evidence is; profiling in a criminal investigation.",
    },
    {
        "area": 7,
        "name": "Migration, asylum and border control",
        "covers": "Polygraphs and similar tools, risk assessment of people entering, examining asylum, visa and residence applications, identifying people.",
        "public_sector_examples": "Helping officials examine asylum applications; assessing travellers' risk at the border.",
    },
    {
        "area": 8,
        "name": "Administration of justice and democratic processes",
        "covers": "Helping courts research and interpret facts and law and apply the law; influencing the outcome of elections or referendums or how people vote.",
        "public_sector_examples": "A tool that drafts a judge's reading of case law; micro-targeting voters.",
    },
)

# Annex III points. Area 5 follows the course's reference notes word for word in substance; the
# others are plain-language summaries of the Annex's points.
_POINTS = (
    (1, "a", "Remote biometric identification of people (not mere verification that someone is who they claim to be)."),
    (1, "b", "Biometric categorisation by sensitive or protected attributes, inferred from biometric data."),
    (1, "c", "Emotion recognition."),
    (2, "", "Safety components in the management and operation of critical digital infrastructure, road traffic, or the supply of water, gas, heating or electricity."),
    (3, "a", "Deciding access or admission to education and training, or assigning people to institutions."),
    (3, "b", "Evaluating learning outcomes, including to steer the learning process."),
    (3, "c", "Assessing the level of education a person will receive or can access."),
    (3, "d", "Monitoring and detecting prohibited behaviour of students during tests (proctoring)."),
    (4, "a", "Recruitment and selection: targeted job adverts, filtering applications, evaluating candidates."),
    (4, "b", "Decisions on promotion, termination and terms of work, allocating tasks from behaviour or personal traits, monitoring and evaluating workers."),
    (5, "a", "Public authorities assessing whether people are eligible for public assistance benefits and services (including healthcare), or granting, reducing, revoking or reclaiming them."),
    (5, "b", "Assessing creditworthiness or setting a credit score (fraud detection excluded)."),
    (5, "c", "Risk assessment and pricing for life and health insurance."),
    (5, "d", "Evaluating and classifying emergency calls, dispatching emergency services, and emergency patient triage."),
    (6, "a", "Assessing the risk that a person becomes the victim of a crime."),
    (6, "b", "Polygraphs and similar tools."),
    (6, "c", "Evaluating the reliability of evidence."),
    (6, "d", "Assessing the risk of offending or re-offending (not solely from profiling, which Art. 5(1)(d) bans), or assessing personality traits or past criminal behaviour."),
    (6, "e", "Profiling people in the detection, investigation or prosecution of crime."),
    (7, "a", "Polygraphs and similar tools."),
    (7, "b", "Assessing a security, irregular-migration or health risk posed by a person entering the territory."),
    (7, "c", "Helping to examine applications for asylum, visas and residence permits, and related complaints."),
    (7, "d", "Detecting, recognising or identifying people (checking travel documents excluded)."),
    (8, "a", "Helping a judicial authority (or alternative dispute resolution) research and interpret facts and law and apply the law."),
    (8, "b", "Influencing the outcome of an election or referendum or how people vote (tools that only organise campaigns excluded)."),
)

_EXEMPTIONS = (
    {
        "condition": "a",
        "name": "Narrow procedural task",
        "description": "The system only performs a narrow procedural task.",
        "example": "Turning scanned paper forms into typed data fields; sorting incoming mail by type.",
    },
    {
        "condition": "b",
        "name": "Improves a completed human activity",
        "description": "The system improves the result of an activity a human has already completed.",
        "example": "Improving the language of a decision letter a caseworker has already written.",
    },
    {
        "condition": "c",
        "name": "Detects patterns without replacing human assessment",
        "description": "The system detects decision-making patterns, or deviations from earlier patterns, and is not meant to replace or influence the human assessment already made without proper human review.",
        "example": "After decisions are made, flagging those that depart from a team's usual pattern for a second look.",
    },
    {
        "condition": "d",
        "name": "Preparatory task",
        "description": "The system performs a task that only prepares an assessment relevant to an Annex III use.",
        "example": "Indexing, searching or translating the documents in a case file.",
    },
)

PROFILING_RULE = (
    "Profiling of natural persons is always high-risk: an Annex III system that profiles people "
    "cannot use any Art. 6(3) exemption."
)

EXEMPTION_NOTE = (
    "Simplified: the exemption needs the system not to pose a significant risk of harm, including by "
    "not materially influencing the outcome of a decision. A provider that relies on it must document "
    "its assessment before the system is sold or put into service (Art. 6(4)) and still register it (Art. 49(2))."
)

_TRANSPARENCY = (
    {
        "ref": "Art. 50(1)",
        "who": "provider",
        "applies_to": "AI systems that interact directly with people (chatbots, voice assistants)",
        "duty": "Design the system so that people are told they are interacting with an AI system, unless that is obvious.",
    },
    {
        "ref": "Art. 50(2)",
        "who": "provider",
        "applies_to": "AI systems that generate synthetic audio, images, video or text",
        "duty": "Mark the output in a machine-readable way so that it can be detected as AI-generated.",
    },
    {
        "ref": "Art. 50(3)",
        "who": "deployer",
        "applies_to": "Emotion recognition and biometric categorisation systems (where they are not banned)",
        "duty": "Inform the people exposed to the system that it is in use.",
    },
    {
        "ref": "Art. 50(4)",
        "who": "deployer",
        "applies_to": "Deepfakes (image, audio or video that falsely appears real), and AI-generated text published to inform the public on matters of public interest",
        "duty": "Disclose that the content was artificially generated or manipulated. For such text, not needed when a human has reviewed it and someone holds editorial responsibility.",
    },
    {
        "ref": "Art. 50(5)",
        "who": "provider and deployer",
        "applies_to": "All of the above",
        "duty": "Give the information clearly, at the latest at the first interaction or exposure, in an accessible way.",
    },
)

_DUTIES = (
    {"duty": "follow_instructions", "ref": "Art. 26(1)", "who": "every deployer",
     "description": "Use the system according to the provider's instructions for use."},
    {"duty": "human_oversight", "ref": "Art. 26(2)", "who": "every deployer",
     "description": "Give human oversight to people with the competence, training and authority to do it, and the support they need."},
    {"duty": "relevant_input_data", "ref": "Art. 26(4)", "who": "every deployer",
     "description": "Where the deployer controls the input data, make sure it is relevant and sufficiently representative for the system's purpose."},
    {"duty": "monitor_and_report", "ref": "Art. 26(5)", "who": "every deployer",
     "description": "Monitor the system in use; when it presents a risk, suspend its use and inform the provider and the market surveillance authority."},
    {"duty": "keep_logs", "ref": "Art. 26(6)", "who": "every deployer",
     "description": "Keep the logs the system generates, for at least six months."},
    {"duty": "inform_workers", "ref": "Art. 26(7)", "who": "deployers that are employers",
     "description": "Inform workers' representatives and the workers affected before using a high-risk system at work."},
    {"duty": "register_use", "ref": "Art. 26(8), Art. 49(3)", "who": "public authorities",
     "description": "Register themselves and the use in the EU database before use (not for Annex III point 2); never use a high-risk system that is not registered."},
    {"duty": "inform_people", "ref": "Art. 26(11)", "who": "deployers making or helping to make decisions about people",
     "description": "Inform people that they are subject to the use of a high-risk system."},
    {"duty": "fria", "ref": "Art. 27", "who": "bodies governed by public law, private bodies providing public services, deployers of Annex III 5(b) and 5(c)",
     "description": "Carry out a fundamental rights impact assessment before first use, update it when something changes, and notify the results to the market surveillance authority."},
    {"duty": "explain_decisions", "ref": "Art. 86", "who": "every deployer (a right of the person affected)",
     "description": "On request, give a person affected by a decision based on the system's output a clear explanation of the system's role and the main elements of the decision."},
)

_FRIA_ELEMENTS = (
    ("a", "The processes in which the system will be used."),
    ("b", "The period and frequency of use."),
    ("c", "The categories of people and groups likely to be affected."),
    ("d", "The specific risks of harm to them."),
    ("e", "The human oversight measures."),
    ("f", "What will be done if the risks materialise, including governance and complaint mechanisms."),
)

_DATES = (
    {"date": "2024-08-01", "what": "The AI Act enters into force.", "status": "fact"},
    {"date": "2025-02-02", "what": "The Art. 5 prohibitions and the Art. 4 AI literacy duty apply.", "status": "fact"},
    {"date": "2025-08-02", "what": "Rules for general-purpose AI models and on governance and penalties apply.", "status": "fact"},
    {"date": "2026-08-02", "what": "Most other rules apply as adopted in 2024, including Annex III high-risk systems and the Art. 50 transparency duties.", "status": "date in the 2024 text; see the next row"},
    {"date": "2027-08-02", "what": "High-risk rules for AI in products covered by Annex I (Art. 6(1)) apply.", "status": "date in the 2024 text; see the next row"},
    {"date": "2025-11 onwards", "what": "'Digital omnibus' amendments, proposed by the European Commission in November 2025, would postpone parts of the high-risk rules and soften the AI literacy duty.", "status": "uncertain: check the consolidated text on EUR-Lex for what was finally adopted"},
)


# ---- Block added for the procurement and monitoring module: rows only, no existing row changed. ----
# What a provider of a high-risk system must have or do that a public buyer relies on, and what
# happens when something goes wrong in operation. Plain-language summaries of Regulation (EU)
# 2024/1689 as adopted; checked on 2026-11-29 against the course's reference notes and public
# summaries of the 2026 amending regulation, which by those accounts leaves these articles in
# substance as they were, except where a note says otherwise. Read through
# ``coursekit.procurement.provider_documents()``.
_PROVIDER_DUTIES = (
    {"ref": "Art. 11, Annex IV", "who": "provider", "document": "technical documentation",
     "what": "Drawn up before the system is sold or put into service and kept up to date: what the system is and how it was built, its data, how it was tested (metrics, accuracy, effects on groups), its risk management and its post-market monitoring plan.",
     "buyer_asks": "It is written for the authorities, not sent to deployers by law: ask in the contract for access to it, or to the parts on testing and data.",
     "note": ""},
    {"ref": "Art. 13", "who": "provider", "document": "instructions for use",
     "what": "Given to deployers: the intended purpose; the level of accuracy, with its metrics, that was tested and can be expected, and what can lower it; where appropriate, performance for specific persons or groups; the input data it needs; human oversight measures; expected lifetime, maintenance and updates; how to collect and read the logs.",
     "buyer_asks": "Read the accuracy section against your own population: measured on whose data, with which metric, and for which groups.",
     "note": ""},
    {"ref": "Art. 43", "who": "provider", "document": "conformity assessment",
     "what": "A check that the system meets the requirements for high-risk systems before it is sold. For most Annex III systems (points 2 to 8) the provider assesses itself (internal control, Annex VI); a notified body is involved mainly for biometrics.",
     "buyer_asks": "A self-assessment is not an independent test: it does not replace the buyer's own local trial.",
     "note": ""},
    {"ref": "Art. 47, Art. 48", "who": "provider", "document": "EU declaration of conformity and CE marking",
     "what": "The provider declares in writing that the system meets the requirements and affixes the CE marking (digitally for a system supplied only digitally).",
     "buyer_asks": "Ask for the declaration; check that it names this system and version.",
     "note": ""},
    {"ref": "Art. 49(1)", "who": "provider", "document": "registration in the EU database",
     "what": "Before an Annex III system (except point 2) is sold or put into service, the provider registers it in the EU database.",
     "buyer_asks": "Find the provider's entry: a public authority registers its own use and may not use a system that is not registered (Art. 26(8), Art. 49(3)).",
     "note": ""},
    {"ref": "Art. 72", "who": "provider", "document": "post-market monitoring plan",
     "what": "The provider collects and analyses data on how the system performs throughout its lifetime, including data deployers supply, to check that it still meets the requirements; the plan is part of the technical documentation.",
     "buyer_asks": "Agree what monitoring data the office shares with the provider, and what the provider reports back and how fast.",
     "note": "By most accounts the 2026 amendment dropped the duty to follow a single template set by the Commission; check the consolidated text."},
    {"ref": "Art. 73", "who": "provider", "document": "serious incident report",
     "what": "The provider reports a serious incident to the market surveillance authority of the country where it happened as soon as it has established a likely link with the system: at the latest 15 days after becoming aware, 10 days if a person died, 2 days for a widespread infringement or a serious disruption of critical infrastructure.",
     "buyer_asks": "Write into the contract how fast the provider must tell the office about incidents and defects found elsewhere.",
     "note": "A serious incident includes an infringement of Union law that protects fundamental rights (Art. 3(49)(c)); whether a given failure counts is a legal judgment."},
    {"ref": "Art. 26(5)", "who": "deployer", "document": "informing the provider and the authority",
     "what": "A deployer that has reason to think use according to the instructions puts health, safety or fundamental rights at risk informs the provider (or distributor) and the market surveillance authority without undue delay and suspends use; a deployer that identifies a serious incident informs first the provider, then the importer or distributor and the market surveillance authority, at once.",
     "buyer_asks": "Name in the monitoring plan who decides to suspend, and who informs whom.",
     "note": ""},
    {"ref": "Art. 20", "who": "provider", "document": "corrective actions",
     "what": "A provider that finds its system no longer conforms must correct it, withdraw it, disable it or recall it, and inform the deployers.",
     "buyer_asks": "Agree in the contract what a correction costs the office, and how service continues meanwhile.",
     "note": ""},
)
# ---- End of the block added for the procurement and monitoring module. ----


def _frame(rows, columns=None) -> pd.DataFrame:
    return pd.DataFrame([dict(r) for r in rows], columns=columns)


def tiers() -> pd.DataFrame:
    """The four risk tiers, from most to least restricted."""
    return _frame(_TIERS)


def prohibited_practices() -> pd.DataFrame:
    """The eight practices banned by Art. 5(1), points (a) to (h), in plain language."""
    df = _frame(_PRACTICES)
    df.insert(1, "ref", [f"Art. 5(1)({p})" for p in df["point"]])
    return df


def high_risk_areas() -> pd.DataFrame:
    """The eight high-risk areas of Annex III."""
    df = _frame(_AREAS)
    df.insert(1, "ref", [f"Annex III {a}" for a in df["area"]])
    return df


def high_risk_points(area: int | None = None) -> pd.DataFrame:
    """The points of Annex III, one row each; ``area`` (1 to 8) keeps only that area's points."""
    rows = []
    for number, letter, text in _POINTS:
        point = f"{number}({letter})" if letter else str(number)
        rows.append({"area": number, "point": point, "ref": f"Annex III {point}", "description": text})
    df = pd.DataFrame(rows)
    if area is not None:
        _check_area(area)
        df = df[df["area"] == area].reset_index(drop=True)
    return df


def exemptions() -> pd.DataFrame:
    """The four Art. 6(3) conditions under which an Annex III system is not high-risk.

    Whatever the conditions, ``PROFILING_RULE`` applies: a system that profiles people stays high-risk.
    """
    df = _frame(_EXEMPTIONS)
    df.insert(1, "ref", [f"Art. 6(3)({c})" for c in df["condition"]])
    return df


def transparency_obligations() -> pd.DataFrame:
    """The Art. 50 duties: tell people they deal with AI, mark and label synthetic content."""
    return _frame(_TRANSPARENCY)


def deployer_duties() -> pd.DataFrame:
    """What a public body that deploys (uses) a high-risk AI system must do."""
    return _frame(_DUTIES)


def fria_elements() -> pd.DataFrame:
    """What a fundamental rights impact assessment (Art. 27(1), points a to f) must describe."""
    return pd.DataFrame(
        [{"element": e, "ref": f"Art. 27(1)({e})", "description": d} for e, d in _FRIA_ELEMENTS]
    )


def key_dates() -> pd.DataFrame:
    """When the rules apply. The last row is a change whose final form the course could not confirm."""
    return _frame(_DATES)


def tier(tier_id: str) -> dict:
    """One tier as a dict, e.g. ``tier("high_risk")``."""
    if not isinstance(tier_id, str) or tier_id.strip().lower().replace("-", "_") not in TIER_IDS:
        raise ValueError(f"unknown tier {tier_id!r}; choose one of {', '.join(TIER_IDS)}")
    key = tier_id.strip().lower().replace("-", "_")
    return dict(next(t for t in _TIERS if t["tier"] == key))


def practice(point: str) -> dict:
    """One Art. 5(1) practice as a dict, by its point letter, e.g. ``practice("f")``."""
    letters = [p["point"] for p in _PRACTICES]
    key = point.strip().lower().strip("()") if isinstance(point, str) else None
    if key not in letters:
        raise ValueError(f"Art. 5(1) has points a to h; {point!r} is not one of them")
    row = prohibited_practices().set_index("point").loc[key]
    return {"point": key, **row.to_dict()}


def _check_area(number) -> None:
    if isinstance(number, bool) or not isinstance(number, numbers.Integral) or not 1 <= number <= 8:
        raise ValueError(f"Annex III has areas 1 to 8 (whole numbers); {number!r} is not one of them")


def area(number: int) -> dict:
    """One Annex III area as a dict, with its points, e.g. ``area(5)``."""
    _check_area(number)
    number = int(number)
    row = high_risk_areas().set_index("area").loc[number]
    points = high_risk_points(number)
    return {"area": number, **row.to_dict(), "points": dict(zip(points["point"], points["description"]))}


def _searchable() -> pd.DataFrame:
    """Every entry as (source, ref, name, text) for ``lookup``."""
    rows = []
    for t in _TIERS:
        rows.append(("tiers", t["where_in_law"], t["name"], f"{t['what_it_means']} {t['what_follows']}"))
    for _, r in prohibited_practices().iterrows():
        rows.append(("Art. 5 prohibited practices", r["ref"], r["name"],
                     " ".join(x for x in (r["description"], r["exceptions"], "Example: " + r["public_sector_example"]) if x)))
    for _, r in high_risk_areas().iterrows():
        rows.append(("Annex III high-risk areas", r["ref"], r["name"], f"{r['covers']} Examples: {r['public_sector_examples']}"))
    names = {a["area"]: a["name"] for a in _AREAS}
    for _, r in high_risk_points().iterrows():
        rows.append(("Annex III points", r["ref"], names[r["area"]], r["description"]))
    for _, r in exemptions().iterrows():
        rows.append(("Art. 6(3) exemptions", r["ref"], r["name"], f"{r['description']} Example: {r['example']}"))
    rows.append(("Art. 6(3) exemptions", "Art. 6(3)", "Profiling is always high-risk", PROFILING_RULE))
    for r in _TRANSPARENCY:
        rows.append(("Art. 50 transparency", r["ref"], r["applies_to"], r["duty"]))
    for r in _DUTIES:
        rows.append(("deployer duties", r["ref"], r["duty"], r["description"]))
    for e, d in _FRIA_ELEMENTS:
        rows.append(("Art. 27 FRIA elements", f"Art. 27(1)({e})", "FRIA element", d))
    return pd.DataFrame(rows, columns=["source", "ref", "name", "text"])


def lookup(keyword: str) -> pd.DataFrame:
    """Every entry whose reference, name or text contains ``keyword`` (case does not matter).

    Several words find the entries that contain all of them, e.g. ``lookup("emotion work")``.
    Returns an empty table when nothing matches.
    """
    if not isinstance(keyword, str):
        raise TypeError(f"lookup needs a word in quotes, e.g. lookup(\"emotion\"); got {type(keyword).__name__} {keyword!r}")
    words = keyword.lower().split()
    if not words:
        raise ValueError("lookup needs a word to search for, e.g. lookup(\"emotion\"); it got an empty text")
    if len("".join(words)) < 2:
        raise ValueError(f"{keyword!r} is too short to search for; use a word of two letters or more")
    table = _searchable()
    haystack = (table["ref"] + " " + table["name"] + " " + table["text"]).str.lower()
    mask = pd.Series(True, index=table.index)
    for w in words:
        mask &= haystack.str.contains(w, regex=False)
    return table[mask].reset_index(drop=True)
