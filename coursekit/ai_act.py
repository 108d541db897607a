"""The EU AI Act (Regulation (EU) 2024/1689), as amended in 2026, in a form a learner can query.

This module is the course's one place for the Act's dates and articles: lessons and exercises read
them from here (``key_dates()``, ``date_of(...)``) rather than typing them in. ``CHECKED_ON`` says
when the data was last checked and ``SOURCES`` against what.

What is here, each as a pandas DataFrame:

- ``tiers()``: the four risk tiers, from prohibited to minimal;
- ``prohibited_practices()``: the practices banned by Article 5(1): points (a) to (h), and the
  point added in 2026 (see ``NEW_PRACTICE_NOTE``);
- ``high_risk_areas()`` and ``high_risk_points()``: the eight areas of Annex III and their points;
- ``exemptions()``: the four conditions of Article 6(3) (and ``PROFILING_RULE``);
- ``transparency_obligations()``: Article 50 (chatbots, synthetic content, deepfakes);
- ``deployer_duties()``: what a public body that uses a high-risk system must do (Art. 26, 27, 49, 86);
- ``key_dates()``: when the rules apply, with the dates the 2026 amendment replaced;
- ``lookup(keyword)``: search all of the above.

Single entries: ``tier("high_risk")``, ``practice("f")``, ``area(5)``, ``date_of("annex_iii")``,
``ai_literacy()`` (Art. 4 before and after the 2026 amendment).

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
    "exceptions; the text of Regulation (EU) 2024/1689, as amended, in the Official Journal is what counts."
)

# When the dates and articles below were last checked, and against what. Whoever changes a date or an
# article updates both.
CHECKED_ON = "2026-11-29"
AS_OF = CHECKED_ON

AMENDMENT = (
    "The Digital Omnibus on AI, a regulation amending Regulation (EU) 2024/1689: proposed by the "
    "European Commission in November 2025, adopted by the European Parliament on 16 June 2026 and by "
    "the Council on 29 June 2026, and published in the Official Journal in July 2026. The course has "
    "not checked its Official Journal number or its published text, so it does not cite them."
)

SOURCES = (
    "Regulation (EU) 2024/1689 (the AI Act), Official Journal of the EU, 12 July 2024 (Art. 4, 5, 6, 26, 27, 49, 50, 86, 113; Annex III).",
    "Council of the EU, press release on the final adoption of the AI simplification regulation ('Omnibus VII'), 29 June 2026: new dates for stand-alone and embedded high-risk systems; new prohibition on sexual deepfakes and CSAM.",
    "Law-firm and compliance notes on the political agreement of 7 May 2026 and its adoption (among them Taylor Wessing, May 2026): the 2 December 2026 dates for Art. 50(2) and the new prohibition; 2 December 2027 and 2 August 2028 for high-risk systems.",
    "Commentaries on the rewritten Art. 4 (2026), which differ on its final wording (see ai_literacy()).",
    "The course's reference notes on regulation, checked against the above on the date in CHECKED_ON.",
)

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
        "what_follows": "The AI literacy duty of Art. 4 still applies (rewritten in 2026: see ai_literacy()); voluntary codes of conduct are encouraged (Art. 95); data protection, equality and administrative law apply as always.",
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
        "exceptions": "Narrow exceptions when strictly necessary: a targeted search for specific victims, preventing an imminent threat to life or a terrorist attack, or finding suspects of serious crimes. Each use needs authorisation by a judicial or independent administrative authority, normally before use; in a duly justified urgency use may start without it, if authorisation is requested within 24 hours, and it must stop, with its data deleted, if authorisation is refused (Art. 5(3)).",
        "why_banned": "Being identified wherever you go chills freedom of assembly and expression, and errors fall on innocent passers-by.",
        "public_sector_example": "Police scanning every face at a railway station against a general watch list.",
    },
    {
        "point": "new",
        "name": "Generating non-consensual intimate images or child sexual abuse material",
        "description": "AI systems that generate or manipulate intimate or sexually explicit images, video or audio of real people without their consent, or that generate child sexual abuse material. By most accounts the ban on providers also reaches systems that can readily be made to produce such content and lack adequate safeguards.",
        "exceptions": "",
        "why_banned": "It violates the dignity and privacy of the people shown, and the harm cannot be undone once the images spread.",
        "public_sector_example": "An image tool licensed for a schools' media project that will undress photos of real pupils on request.",
    },
)

# The prohibitions of points (a) to (h) apply from the date keyed "prohibitions" in _DATES, the 2026
# point from "new_prohibition".
NEW_PRACTICE_NOTE = (
    "The 2026 amendment added a ninth practice to the list in Art. 5(1): generating non-consensual "
    "intimate images or child sexual abuse material. Sources number the new point differently (most "
    "give no letter; one analysis of a draft called it point (l)), and the course has not checked the "
    "published text, so it calls it 'the new point' rather than guess its letter."
)
_NEW_REF = "Art. 5(1) (new point, 2026)"

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
     "description": "Register themselves and the use in the EU database before use (not for Annex III point 2); never use a high-risk system that is not registered. Uses under Annex III points 1, 6 and 7 in law enforcement, migration, asylum and border control management go into a non-public section of the database (Art. 49(4)); all other uses are in the public part."},
    {"duty": "inform_people", "ref": "Art. 26(11)", "who": "deployers making or helping to make decisions about people",
     "description": "Inform people that they are subject to the use of a high-risk system."},
    {"duty": "fria", "ref": "Art. 27", "who": "bodies governed by public law, private bodies providing public services, deployers of Annex III 5(b) and 5(c)",
     "description": "Carry out a fundamental rights impact assessment before first use, update it when something changes, and notify the results to the market surveillance authority. Not required for systems under Annex III point 2 (critical infrastructure) (Art. 27(1))."},
    {"duty": "explain_decisions", "ref": "Art. 86", "who": "every deployer (a right of the person affected)",
     "description": "On request, explain the system's role and the main elements of the decision to a person affected by a decision taken on the basis of the output of an Annex III system (except point 2), when the decision has legal effects on them or similarly significantly affects them in a way they consider adverse. The right applies only where Union law does not already provide it."},
)

_FRIA_ELEMENTS = (
    ("a", "The processes in which the system will be used."),
    ("b", "The period and frequency of use."),
    ("c", "The categories of people and groups likely to be affected."),
    ("d", "The specific risks of harm to them."),
    ("e", "The human oversight measures."),
    ("f", "What will be done if the risks materialise, including governance and complaint mechanisms."),
)

# Every date the course relies on, one row each. ``key`` is how lessons ask for a date
# (``date_of("annex_iii")``); ``was`` is the date the 2024 text gave, where the 2026 amendment moved it.
# New rows go at the end; keep ``date`` as YYYY-MM-DD (or YYYY-MM where only the month is known).
_DATES = (
    {"key": "published", "date": "2024-07-12", "ref": "OJ L, 2024/1689",
     "what": "The AI Act is published in the Official Journal of the EU.", "was": "", "status": "fact"},
    {"key": "entry_into_force", "date": "2024-08-01", "ref": "Art. 113",
     "what": "The AI Act enters into force.", "was": "", "status": "fact"},
    {"key": "prohibitions", "date": "2025-02-02", "ref": "Art. 113(a)",
     "what": "The Art. 5(1)(a)-(h) prohibitions and the Art. 4 AI literacy duty apply.", "was": "", "status": "fact"},
    {"key": "gpai", "date": "2025-08-02", "ref": "Art. 113(b)",
     "what": "Rules for general-purpose AI models, governance and penalties apply.", "was": "", "status": "fact"},
    {"key": "omnibus_proposal", "date": "2025-11-19", "ref": "Digital Omnibus on AI",
     "what": "The European Commission proposes the Digital Omnibus on AI, amending the Act.", "was": "", "status": "fact"},
    {"key": "omnibus_parliament", "date": "2026-06-16", "ref": "Digital Omnibus on AI",
     "what": "The European Parliament adopts the Digital Omnibus on AI.", "was": "", "status": "fact"},
    {"key": "omnibus_council", "date": "2026-06-29", "ref": "Digital Omnibus on AI",
     "what": "The Council adopts it, the last step before publication.", "was": "",
     "status": "fact (one source gives 24 June 2026)"},
    {"key": "omnibus_published", "date": "2026-07", "ref": "Digital Omnibus on AI",
     "what": "The amending regulation is published in the Official Journal and enters into force shortly after.", "was": "",
     "status": "month only: the course has not checked the day or the Official Journal number"},
    {"key": "transparency", "date": "2026-08-02", "ref": "Art. 50",
     "what": "The Art. 50 transparency duties apply, as in the 2024 text.", "was": "", "status": "fact"},
    {"key": "transparency_marking_existing", "date": "2026-12-02", "ref": "Art. 50(2)",
     "what": "The duty to mark AI-generated content applies to systems already on the market before 2 August 2026.",
     "was": "2026-08-02", "status": "amended in 2026"},
    {"key": "new_prohibition", "date": "2026-12-02", "ref": _NEW_REF,
     "what": "The new prohibition of AI that generates non-consensual intimate images or child sexual abuse material applies.",
     "was": "", "status": "added in 2026"},
    {"key": "annex_iii", "date": "2027-12-02", "ref": "Art. 6(2), Annex III",
     "what": "The high-risk rules apply to the stand-alone systems of Annex III, and with them the deployer duties of Art. 26, 27 and 49.",
     "was": "2026-08-02", "status": "amended in 2026"},
    {"key": "annex_i", "date": "2028-08-02", "ref": "Art. 6(1), Annex I",
     "what": "The high-risk rules apply to AI in products covered by Annex I (such as medical devices and toys).",
     "was": "2027-08-02", "status": "amended in 2026"},
)

# Art. 4 before and after the 2026 amendment. Only the 2024 wording is quoted from the Official
# Journal; the new wording is as most commentaries report it.
_AI_LITERACY = {
    "ref": "Art. 4",
    "applies_from": "2025-02-02",
    "text_2024": ("Providers and deployers must \"take measures to ensure, to their best extent, a sufficient "
                  "level of AI literacy of their staff and other persons dealing with the operation and use of AI "
                  "systems on their behalf\" (Regulation (EU) 2024/1689, Art. 4)."),
    "as_amended_2026": ("Rewritten in 2026 as an obligation of effort: by most accounts of the final text, providers "
                        "and deployers must \"take measures to support the development of AI literacy\" of their "
                        "staff, suited to their role and context, without a guaranteed level."),
    "sources_differ": ("Sources differ on the final wording: the Commission's 2025 proposal moved the duty to the "
                       "Commission and the Member States, and some reports of the 2026 agreement say the same; "
                       "the course has not checked the published text, so it quotes no new wording as final."),
    "applies_since_unchanged": "The duty has applied since 2 February 2025; the amendment did not change that date.",
}

# ---------------------------------------------------------------------------------------------
# Added for impact assessment, registration and people's rights (read by ``coursekit.impact``).
# Plain-language summaries of Art. 27, 49(3)-(4), 26(8), 26(11), 71, 85, 86 and Annex VIII
# section C, checked on 2026-11-29 against the course's reference notes; the course found no
# change to these articles in the 2026 amendment, but has not checked the amending act's text.

# Who must carry out a fundamental rights impact assessment (Art. 27(1)), one row per rule.
_FRIA_SCOPE = (
    {"rule": "public_body", "ref": "Art. 27(1)", "fria_required": True,
     "who": "Deployers that are bodies governed by public law (ministries, agencies, municipalities, public schools).",
     "condition": "The system is high-risk under Art. 6(2) (an Annex III system not taken out by Art. 6(3)), in any Annex III area but point 2."},
    {"rule": "private_public_service", "ref": "Art. 27(1)", "fria_required": True,
     "who": "Private entities that provide public services (for example a company running a publicly funded service under contract).",
     "condition": "The same: a high-risk Annex III system, in any area but point 2."},
    {"rule": "credit_insurance", "ref": "Art. 27(1)", "fria_required": True,
     "who": "Any deployer, public or private, of a system in Annex III point 5(b) (creditworthiness, credit scores) or 5(c) (life and health insurance risk and pricing).",
     "condition": "Whoever the deployer is."},
    {"rule": "critical_infrastructure", "ref": "Art. 27(1)", "fria_required": False,
     "who": "Deployers of Annex III point 2 systems (safety components of critical infrastructure), even public bodies.",
     "condition": "Excluded by the first sentence of Art. 27(1)."},
    {"rule": "not_high_risk", "ref": "Art. 27(1), Art. 6(2)", "fria_required": False,
     "who": "Deployers of systems that are not high-risk (not in Annex III, or taken out by Art. 6(3)).",
     "condition": "Art. 27 covers high-risk systems only; other assessments (a DPIA, an equality assessment) may still be needed."},
    {"rule": "other_private", "ref": "Art. 27(1)", "fria_required": False,
     "who": "Private deployers that provide no public service, using a high-risk system outside points 5(b) and 5(c) (for example screening their own job applicants).",
     "condition": "Not named in Art. 27(1); their other Art. 26 duties still apply."},
)

# How the assessment is done and kept (Art. 27(2) to (5)).
_FRIA_PROCEDURE = (
    {"ref": "Art. 27(1)", "step": "before_first_use",
     "description": "Carry it out before the system is first put into use."},
    {"ref": "Art. 27(2)", "step": "reuse",
     "description": "In similar cases the deployer may rely on an assessment done before, or on one the provider has done."},
    {"ref": "Art. 27(2)", "step": "update",
     "description": "Update it when, during use, any of the six elements changes or is no longer up to date."},
    {"ref": "Art. 27(3)", "step": "notify",
     "description": "Notify the market surveillance authority of the results, with the filled-in template (an exemption exists only in the exceptional case of Art. 46(1))."},
    {"ref": "Art. 27(4)", "step": "dpia",
     "description": "Where a data protection impact assessment (GDPR Art. 35, or Art. 27 of Directive (EU) 2016/680) already meets some of these duties, the fundamental rights assessment complements it rather than repeating it."},
    {"ref": "Art. 27(5)", "step": "template",
     "description": "The AI Office provides a template questionnaire (also as an automated tool) to make the assessment simpler."},
)

# What a public-authority deployer registers in the EU database before use (Art. 49(3), Annex VIII section C).
_DEPLOYER_REGISTRATION = (
    {"field": "deployer", "ref": "Annex VIII C, point 1",
     "description": "The deployer's name, address and contact details."},
    {"field": "submitter", "ref": "Annex VIII C, point 2",
     "description": "Name, address and contact details of the person submitting the information on the deployer's behalf."},
    {"field": "provider_entry_url", "ref": "Annex VIII C, point 3",
     "description": "The web address (URL) of the provider's entry for the system in the EU database."},
    {"field": "fria_summary", "ref": "Annex VIII C, point 4",
     "description": "A summary of the findings of the fundamental rights impact assessment (Art. 27)."},
    {"field": "dpia_summary", "ref": "Annex VIII C, point 5",
     "description": "A summary of the data protection impact assessment (GDPR Art. 35 or Art. 27 of Directive (EU) 2016/680), where applicable."},
)

# Rules around that registration and what people affected can ask for.
_REGISTRATION_RULES = (
    {"ref": "Art. 49(3)", "rule": "Public-authority deployers (and those acting for them) register themselves, select the system and register its use before putting an Annex III system into service or using it; not for Annex III point 2."},
    {"ref": "Art. 26(8)", "rule": "A public-authority deployer may not use a high-risk system that is not registered in the EU database; it must tell the provider or distributor."},
    {"ref": "Art. 49(4)", "rule": "For Annex III points 1, 6 and 7 in law enforcement, migration, asylum and border control, the registration goes in a secure, non-public section of the database."},
    {"ref": "Art. 71", "rule": "The Commission runs the EU database; apart from the non-public section, its information is publicly accessible in a user-friendly, machine-readable way."},
)

_PEOPLES_RIGHTS = (
    {"right": "be_informed", "ref": "Art. 26(11)",
     "description": "Deployers of Annex III systems that make or help make decisions about people must tell those people that a high-risk system is used on them.",
     "limits": "For law enforcement, Art. 13 of Directive (EU) 2016/680 applies instead."},
    {"right": "explanation", "ref": "Art. 86",
     "description": "A person affected by a decision based on an Annex III system's output (not point 2) that has legal effects or similarly significant adverse effects on their health, safety or fundamental rights can ask the deployer for a clear, meaningful explanation of the system's role and the main elements of the decision.",
     "limits": "Only where Union law does not already give this right (Art. 86(3)), and subject to exceptions in Union or national law (Art. 86(2)); it explains, it does not by itself overturn the decision."},
    {"right": "complain", "ref": "Art. 85",
     "description": "Anyone who thinks the AI Act has been infringed may complain to the market surveillance authority.",
     "limits": "A complaint to a regulator, not an appeal against the individual decision: the national appeal route stays the way to change a decision."},
    {"right": "ai_interaction", "ref": "Art. 50(1)",
     "description": "People must be told when they interact directly with an AI system, such as a chatbot on the office's website, unless it is obvious.",
     "limits": "A duty on the provider's design; a back-office risk score that never talks to the person is not covered by Art. 50, but by Art. 26(11)."},
)
# End of the block added for impact assessment.


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


def _practice_ref(point: str) -> str:
    return _NEW_REF if point == "new" else f"Art. 5(1)({point})"


def prohibited_practices() -> pd.DataFrame:
    """The practices banned by Art. 5(1), in plain language: points (a) to (h), and the point added in
    2026 (point ``"new"``; see ``NEW_PRACTICE_NOTE``), each with the date it applies from."""
    df = _frame(_PRACTICES)
    df.insert(1, "ref", [_practice_ref(p) for p in df["point"]])
    df["applies_from"] = [date_of("new_prohibition" if p == "new" else "prohibitions") for p in df["point"]]
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
    """What a public body that deploys (uses) a high-risk AI system of Annex III must do, and from when."""
    df = _frame(_DUTIES)
    df["applies_from"] = date_of("annex_iii")
    return df


def fria_elements() -> pd.DataFrame:
    """What a fundamental rights impact assessment (Art. 27(1), points a to f) must describe."""
    return pd.DataFrame(
        [{"element": e, "ref": f"Art. 27(1)({e})", "description": d} for e, d in _FRIA_ELEMENTS]
    )


def key_dates() -> pd.DataFrame:
    """When the rules apply, as amended in 2026, in date order.

    ``was`` holds the date in the 2024 text where the amendment moved it; ``status`` says what is
    settled and what the course could not check.
    """
    df = _frame(_DATES, columns=["date", "what", "ref", "was", "status", "key"])
    return df.sort_values("date", kind="stable").reset_index(drop=True)


def date_of(key: str) -> str:
    """The date (YYYY-MM-DD) of one row of ``key_dates()``, by its key, e.g. ``date_of("annex_iii")``."""
    for row in _DATES:
        if row["key"] == key:
            return row["date"]
    keys = ", ".join(r["key"] for r in _DATES)
    raise ValueError(f"no date called {key!r}; the keys are: {keys}")


def date_text(key: str) -> str:
    """A date of ``key_dates()`` written out for a sentence: ``date_text("annex_iii")`` is "2 December 2027"."""
    parts = [int(x) for x in date_of(key).split("-")]
    month = _MONTHS[parts[1] - 1]
    return f"{parts[2]} {month} {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def ai_literacy() -> dict:
    """Art. 4 (AI literacy): the 2024 wording, the 2026 rewrite as reported, and where sources differ."""
    return dict(_AI_LITERACY)


def tier(tier_id: str) -> dict:
    """One tier as a dict, e.g. ``tier("high_risk")``."""
    if not isinstance(tier_id, str) or tier_id.strip().lower().replace("-", "_") not in TIER_IDS:
        raise ValueError(f"unknown tier {tier_id!r}; choose one of {', '.join(TIER_IDS)}")
    key = tier_id.strip().lower().replace("-", "_")
    return dict(next(t for t in _TIERS if t["tier"] == key))


def practice(point: str) -> dict:
    """One Art. 5(1) practice as a dict, by its point letter, e.g. ``practice("f")``;
    ``practice("new")`` is the point added in 2026."""
    letters = [p["point"] for p in _PRACTICES]
    key = point.strip().lower().strip("()") if isinstance(point, str) else None
    if key not in letters:
        raise ValueError(f"Art. 5(1) has points a to h, and the point added in 2026 (\"new\"); {point!r} is not one of them")
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
    rows.append(("Art. 4 AI literacy", "Art. 4", "AI literacy",
                 " ".join(_AI_LITERACY[k] for k in ("text_2024", "as_amended_2026", "sources_differ"))))
    for r in _DATES:
        rows.append(("key dates", r["ref"], r["date"], r["what"]))
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
