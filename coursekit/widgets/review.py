"""Review benefit claims with an AI's advice, and see your own automation bias.

The learner decides sixteen invented claims for an invented benefit, drawn for them from a pool
of 32. The tool is right in 28 of the 32 claims (87.5%), more often than staff deciding alone
(about 82% to 85% of their own first views were right in the course's pilot logs), but when it
errs it errs systematically, as deployed tools do: it misses income from a second job, and it
leaves out the allowance for children. Every learner's draw holds exactly two wrong
recommendations, one under each design: *independent-first* (record your own view, then see the
advice, then decide) and *AI-first* (the advice is on screen from the start). At the end the
session reports how often the learner followed the wrong advice under each design.

Why a draw per learner: if everyone reviewed the same cases in the same designs, a room's pooled
numbers would compare which wrong case happened to fall in which design (case difficulty), not
the designs. The draw is seeded by the learner (``review(learner="...")``, by default the
account's user name) or by a number (``review(seed=7)``), and counterbalanced: learner forms
cycle with the seed (``seed % 4``), so that over any four consecutive seeds each wrong case is
reviewed once under each design. A facilitator who gives everyone a seat number as the seed gets
an exactly balanced room.

The logic lives in :class:`ReviewSession`, a plain class that tests drive without a browser::

    s = ReviewSession(seed=3)
    while not s.finished:
        if s.stage == "own_view":
            s.record_view("approve")
        else:
            s.decide(s.current.ai_advice)   # a reviewer who always follows the AI
    s.summary()["wrong_advice_followed"]    # {'independent_first': 1.0, 'ai_first': 1.0}

:class:`ReviewWidget` (or :func:`review`) is the notebook front end: text and buttons only, so
it works with a keyboard (Tab to a button, Enter or Space to press it) and with a screen reader,
and no meaning is carried by colour.
"""

from __future__ import annotations

import getpass
import random
import zlib
from dataclasses import dataclass

import ipywidgets as w

from coursekit import templating

APPROVE, REFUSE = "approve", "refuse"
CHOICES = (APPROVE, REFUSE)
INDEPENDENT_FIRST, AI_FIRST = "independent_first", "ai_first"
CONDITIONS = (INDEPENDENT_FIRST, AI_FIRST)

CONDITION_TEXT = {
    INDEPENDENT_FIRST: "Independent first: record your own view, then see the AI's advice, then decide.",
    AI_FIRST: "AI first: the AI's advice is shown from the start; decide.",
}

# An invented benefit with rules simple enough to apply from a short case summary.
RULES = (
    "Housing Support Allowance (invented). Approve a claim only if all three hold:",
    "1. Monthly household income after tax is below the limit: EUR 1,500 for one adult, "
    "EUR 2,100 for two adults, plus EUR 300 for each child.",
    "2. Savings are below EUR 10,000.",
    "3. The claimant rents the home they live in (the tenancy is in their or their partner's name).",
    "Nationality does not matter: every legal resident may claim.",
)


# The tool's two systematic faults: every wrong recommendation in the pool comes from one of them.
SECOND_INCOME = "second_income"      # counts only the main income, so it approves claims over the limit
CHILD_ALLOWANCE = "child_allowance"  # leaves out the EUR 300 per child, so it refuses families under the limit
FLAWS = {
    SECOND_INCOME: "The tool counts only the main income and misses a second job or side income.",
    CHILD_ALLOWANCE: "The tool leaves out the EUR 300 allowance for each child.",
}


@dataclass(frozen=True)
class Case:
    """One invented claim: what the caseworker reads, what the AI advised, and the right answer."""

    case_id: str
    household: str
    nationality: str
    facts: tuple[str, ...]
    ai_advice: str
    ai_confidence: float
    correct: str
    why: str
    flaw: str = ""  # for wrong advice: which of the tool's systematic faults (FLAWS) caused it

    @property
    def ai_wrong(self) -> bool:
        return self.ai_advice != self.correct


#: Every case a learner may be given. The tool is right in 28 of the 32; its four errors come from
#: its two faults, two cases each.
POOL: tuple[Case, ...] = (
    Case("C01", "one adult, no children", "citizen",
         ("Net income EUR 1,320 a month from a part-time job at a supermarket.",
          "Savings EUR 2,400.", "Rents a one-bedroom flat; the tenancy is in her name."),
         APPROVE, 0.91, APPROVE, "Income under EUR 1,500, savings under EUR 10,000, renting: all three rules met."),
    Case("C02", "two adults, one child", "dual national",
         ("Combined net income EUR 1,950 a month; the partner works on a temporary contract.",
          "Savings EUR 4,000.", "The tenancy is in the partner's name; the family lives there."),
         APPROVE, 0.78, APPROVE, "Limit EUR 2,100 + EUR 300 = EUR 2,400; EUR 1,950 is under it. A temporary contract "
                                 "and a partner's tenancy do not matter."),
    Case("C03", "one adult, no children", "non-citizen with a residence permit",
         ("Net income EUR 1,720 a month as a delivery driver.", "Savings EUR 1,100.",
          "Rents a room; the tenancy is in his name."),
         REFUSE, 0.88, REFUSE, "Income EUR 1,720 is over the EUR 1,500 limit for one adult."),
    Case("C04", "one adult, two children", "non-citizen with a residence permit",
         ("Net income EUR 1,980 a month.", "Savings EUR 12,500 from the sale of a car.",
          "Rents a house; the tenancy is in her name."),
         REFUSE, 0.74, REFUSE, "Income is under the EUR 2,100 limit, but savings of EUR 12,500 are over EUR 10,000."),
    Case("C05", "two adults, no children", "citizen",
         ("Combined net income EUR 2,050 a month.", "Savings EUR 3,000.",
          "Rent a flat; the tenancy is in both names."),
         APPROVE, 0.69, APPROVE, "Income EUR 2,050 is just under the EUR 2,100 limit; all rules met."),
    Case("C06", "one adult, no children", "non-citizen with a residence permit",
         ("Net income EUR 1,380 a month.", "Savings EUR 800.",
          "Lives with his parents and pays them no rent; no tenancy."),
         REFUSE, 0.84, REFUSE, "He does not rent the home he lives in (rule 3)."),
    Case("C07", "one adult, no children", "citizen",
         ("Salary EUR 1,450 a month after tax, plus EUR 160 a month from a weekend job.",
          "Savings EUR 900.", "Rents a studio; the tenancy is in his name."),
         APPROVE, 0.81, REFUSE, "Total income is EUR 1,610, over the EUR 1,500 limit: the weekend job counts. "
                                "The AI was wrong: it missed the second income.", SECOND_INCOME),
    Case("C08", "one adult, no children", "dual national",
         ("Net income EUR 1,240 a month from a pension.", "Savings EUR 6,200.",
          "Rents a flat; the tenancy is in her name."),
         APPROVE, 0.86, APPROVE, "Income and savings under the limits, renting: all rules met."),
    Case("C09", "two adults, two children", "non-citizens with residence permits",
         ("Combined net income EUR 2,600 a month.", "Savings EUR 2,000.",
          "Rent a flat; the tenancy is in both names."),
         REFUSE, 0.83, APPROVE, "Limit EUR 2,100 + 2 x EUR 300 = EUR 2,700; EUR 2,600 is under it. The AI was wrong: "
                                "it left out the allowance for the children.", CHILD_ALLOWANCE),
    Case("C10", "two adults, one child", "citizens",
         ("Combined net income EUR 2,550 a month.", "Savings EUR 1,500.",
          "Rent a house; the tenancy is in both names."),
         REFUSE, 0.90, REFUSE, "Limit EUR 2,100 + EUR 300 = EUR 2,400; EUR 2,550 is over it."),
    Case("C11", "one adult, no children", "citizen",
         ("Net income EUR 1,450 a month.", "Savings EUR 9,600.",
          "Rents a flat; the tenancy is in his name."),
         APPROVE, 0.77, APPROVE, "Income and savings are close to the limits but under both; all rules met."),
    Case("C12", "one adult, one child", "dual national",
         ("Net income EUR 1,420 a month.", "Savings EUR 500.",
          "Rents a flat; the tenancy is in her name."),
         APPROVE, 0.88, APPROVE, "Limit EUR 1,500 + EUR 300 = EUR 1,800; EUR 1,420 is under it."),
    Case("C13", "one adult, one child", "non-citizen with a residence permit",
         ("Net income EUR 1,520 a month from a care home, plus EUR 350 a month for evening cleaning.",
          "Savings EUR 1,200.", "Rents a flat; the tenancy is in her name."),
         APPROVE, 0.84, REFUSE, "Limit EUR 1,500 + EUR 300 = EUR 1,800; the two incomes add up to EUR 1,870, over it. "
                                "The AI was wrong: it missed the second income.", SECOND_INCOME),
    Case("C14", "one adult, two children", "citizen",
         ("Net income EUR 1,980 a month.", "Savings EUR 2,300.",
          "Rents a house; the tenancy is in his name."),
         REFUSE, 0.80, APPROVE, "Limit EUR 1,500 + 2 x EUR 300 = EUR 2,100; EUR 1,980 is under it. The AI was wrong: "
                                "it left out the allowance for the children.", CHILD_ALLOWANCE),
    Case("C15", "one adult, no children", "dual national",
         ("Net income EUR 1,290 a month from a pension.", "Savings EUR 9,100.",
          "Rents a studio; the tenancy is in his name."),
         APPROVE, 0.76, APPROVE, "Income and savings under the limits, renting: all rules met."),
    Case("C16", "two adults, no children", "citizens",
         ("Combined net income EUR 2,240 a month.", "Savings EUR 4,500.",
          "Rent a flat; the tenancy is in both names."),
         REFUSE, 0.89, REFUSE, "Income EUR 2,240 is over the EUR 2,100 limit for two adults."),
    Case("C17", "one adult, no children", "non-citizen with a residence permit",
         ("Net income EUR 1,150 a month.", "Savings EUR 300.",
          "Lives rent-free in a flat her brother owns; no tenancy."),
         REFUSE, 0.72, REFUSE, "She does not rent the home she lives in (rule 3)."),
    Case("C18", "two adults, one child", "dual nationals",
         ("Combined net income EUR 2,080 a month.", "Savings EUR 6,000.",
          "The tenancy is in the partner's name; the family lives there."),
         APPROVE, 0.82, APPROVE, "Limit EUR 2,100 + EUR 300 = EUR 2,400; EUR 2,080 is under it."),
    Case("C19", "one adult, no children", "citizen",
         ("Net income EUR 1,490 a month.", "Savings EUR 200.",
          "Owns his flat, with a mortgage."),
         REFUSE, 0.87, REFUSE, "He owns his home; the allowance is for people who rent (rule 3)."),
    Case("C20", "one adult, no children", "non-citizen with a residence permit",
         ("Net income EUR 980 a month from part-time work, plus about EUR 150 a month from tutoring.",
          "Savings EUR 1,900.", "Rents a room; the tenancy is in her name."),
         APPROVE, 0.85, APPROVE, "Both incomes together are EUR 1,130, under the EUR 1,500 limit; all rules met."),
    Case("C21", "two adults, no children", "non-citizens with residence permits",
         ("Combined net income EUR 1,760 a month.", "Savings EUR 10,600.",
          "Rent a flat; the tenancy is in both names."),
         REFUSE, 0.90, REFUSE, "Savings of EUR 10,600 are over EUR 10,000 (rule 2)."),
    Case("C22", "one adult, one child", "citizen",
         ("Net income EUR 1,410 a month.", "Savings EUR 2,000.",
          "Rents a flat; the tenancy is in her name."),
         APPROVE, 0.88, APPROVE, "Limit EUR 1,500 + EUR 300 = EUR 1,800; EUR 1,410 is under it."),
    Case("C23", "two adults, three children", "citizens",
         ("Combined net income EUR 2,950 a month.", "Savings EUR 12,000.",
          "Rent a house; the tenancy is in both names."),
         REFUSE, 0.84, REFUSE, "Income is under the EUR 3,000 limit, but savings of EUR 12,000 are over EUR 10,000."),
    Case("C24", "one adult, no children", "dual national",
         ("Net income EUR 1,600 a month.", "Savings EUR 3,400.",
          "Rents a flat; the tenancy is in his name."),
         REFUSE, 0.91, REFUSE, "Income EUR 1,600 is over the EUR 1,500 limit for one adult."),
    Case("C25", "two adults, no children", "citizens",
         ("Combined net income EUR 1,880 a month.", "Savings EUR 7,700.",
          "Rent a flat; the tenancy is in both names."),
         APPROVE, 0.80, APPROVE, "Income and savings under the limits, renting: all rules met."),
    Case("C26", "one adult, no children", "citizen",
         ("Net income EUR 1,210 a month.", "Savings EUR 15,000 from an inheritance.",
          "Rents a flat; the tenancy is in her name."),
         REFUSE, 0.88, REFUSE, "Savings of EUR 15,000 are over EUR 10,000 (rule 2), whatever their source."),
    Case("C27", "two adults, one child", "non-citizens with residence permits",
         ("Combined net income EUR 2,020 a month.", "Savings EUR 900.",
          "Rent a flat; the tenancy is in both names."),
         APPROVE, 0.79, APPROVE, "Limit EUR 2,100 + EUR 300 = EUR 2,400; EUR 2,020 is under it."),
    Case("C28", "one adult, no children", "non-citizen with a residence permit",
         ("Net income EUR 1,340 a month.", "Savings EUR 4,000.",
          "Rents a room; the tenancy is in his name."),
         APPROVE, 0.83, APPROVE, "Income and savings under the limits, renting: all rules met."),
    Case("C29", "two adults, two children", "citizens",
         ("Combined net income EUR 2,900 a month.", "Savings EUR 2,500.",
          "Rent a house; the tenancy is in both names."),
         REFUSE, 0.86, REFUSE, "Limit EUR 2,100 + 2 x EUR 300 = EUR 2,700; EUR 2,900 is over it."),
    Case("C30", "one adult, no children", "citizen",
         ("Net income EUR 1,455 a month.", "Savings EUR 9,950.",
          "Rents a flat; the tenancy is in his name."),
         APPROVE, 0.74, APPROVE, "Income and savings are just under both limits; all rules met."),
    Case("C31", "one adult, no children", "dual national",
         ("Net income EUR 1,540 a month as a bus driver.", "Savings EUR 700.",
          "Rents a flat; the tenancy is in her name."),
         REFUSE, 0.81, REFUSE, "Income EUR 1,540 is over the EUR 1,500 limit for one adult."),
    Case("C32", "two adults, no children", "a citizen and a non-citizen with a residence permit",
         ("Combined net income EUR 1,990 a month.", "Savings EUR 3,300.",
          "The tenancy is in the partner's name; the couple lives there."),
         APPROVE, 0.80, APPROVE, "Income EUR 1,990 is under the EUR 2,100 limit; a partner's tenancy counts."),
)

#: How many cases one learner reviews, and how many of them carry wrong advice (one per design).
SESSION_SIZE = 16
WRONG_PER_SESSION = 2
FORMS = 4  # counterbalancing cycle: over FORMS consecutive seeds each wrong case meets each design once

#: The cases a session without a seed or learner shows (seed 0): kept as a name for older code.
CASES: tuple[Case, ...]


def learner_seed(learner: str | None = None) -> int:
    """A stable seed for a learner: from their name or code, by default the account's user name."""
    if learner is None:
        try:
            learner = getpass.getuser()
        except Exception:  # no user name in this environment: any seed will do
            learner = ""
    return zlib.crc32(str(learner).strip().lower().encode("utf-8"))


def draw(seed: int, pool=POOL) -> tuple[list[Case], list[str]]:
    """The cases and designs of learner ``seed``: ``SESSION_SIZE`` cases in a seeded order.

    Counterbalanced: ``seed % FORMS`` picks the form. Forms 0 and 1 use the first wrong case of
    each fault, forms 2 and 3 the second; in even forms the second-income case is reviewed
    independent-first and the child-allowance case AI-first, in odd forms the other way round.
    So over any ``FORMS`` consecutive seeds every wrong case is reviewed once under each design,
    and the rest of the draw (random right cases, half in each design) is seeded by ``seed``.
    """
    rng = random.Random(seed)
    form = seed % FORMS
    by_flaw = {f: [c for c in pool if c.ai_wrong and c.flaw == f] for f in FLAWS}
    wrong = [cases[(form // 2) % len(cases)] for cases in by_flaw.values()]
    wrong_designs = [CONDITIONS[form % 2], CONDITIONS[(form + 1) % 2]]
    right = rng.sample([c for c in pool if not c.ai_wrong], SESSION_SIZE - len(wrong))
    half = len(right) // 2
    right_designs = [INDEPENDENT_FIRST] * half + [AI_FIRST] * (len(right) - half)
    rng.shuffle(right_designs)
    pairs = list(zip(wrong, wrong_designs)) + list(zip(right, right_designs))
    rng.shuffle(pairs)
    return [c for c, _ in pairs], [d for _, d in pairs]


CASES = tuple(draw(0)[0])


def assign_conditions(cases) -> list[str]:
    """A review design for each case in order: half each, and half of the wrong-advice cases each.

    Cases with wrong advice alternate between the designs, starting with independent-first, and so
    do cases with right advice, so the comparison at the end is not tilted by which cases fell where.
    """
    counters = {True: 0, False: 0}
    out = []
    for case in cases:
        k = counters[case.ai_wrong]
        out.append(CONDITIONS[k % 2])
        counters[case.ai_wrong] = k + 1
    return out


def _share(num: int, den: int):
    return None if den == 0 else num / den


def _pct(x) -> str:
    return "no cases" if x is None else f"{x:.0%}"


def _times(n: int) -> str:
    return {0: "no times", 1: "once", 2: "twice"}.get(n, f"{n} times")


class ReviewSession:
    """The review exercise without any user interface.

    ``stage`` is ``"own_view"`` (independent-first, before the advice is shown), ``"decide"``
    or ``"done"``. Call :meth:`record_view` in the first stage and :meth:`decide` in the second;
    :meth:`press` does whichever the stage needs.
    """

    def __init__(self, cases=None, seed: int | None = None, learner: str | None = None):
        if cases is None:
            # The learner's own draw from the pool (see ``draw``): by seed, else by learner, else seed 0.
            self.seed = seed if seed is not None else (learner_seed(learner) if learner is not None else 0)
            self.cases, self.conditions = draw(self.seed)
        else:
            # An explicit list of cases: shuffled by the seed, designs alternating within right and wrong advice.
            cases = list(cases)
            if not cases:
                raise ValueError("a review needs at least one case")
            if seed is not None:
                random.Random(seed).shuffle(cases)
            self.seed = seed
            self.cases = cases
            self.conditions = assign_conditions(cases)
        self.reset()

    # -- state ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Start again from the first case, forgetting every answer."""
        self.index = 0
        self.views: list[str | None] = [None] * len(self.cases)
        self.decisions: list[str | None] = [None] * len(self.cases)

    @property
    def total(self) -> int:
        return len(self.cases)

    @property
    def finished(self) -> bool:
        return self.index >= len(self.cases)

    @property
    def current(self) -> Case | None:
        return None if self.finished else self.cases[self.index]

    @property
    def condition(self) -> str | None:
        return None if self.finished else self.conditions[self.index]

    @property
    def stage(self) -> str:
        if self.finished:
            return "done"
        if self.condition == INDEPENDENT_FIRST and self.views[self.index] is None:
            return "own_view"
        return "decide"

    @property
    def advice_visible(self) -> bool:
        """Whether the AI's advice on the current case may be shown now."""
        return self.stage == "decide"

    # -- actions -------------------------------------------------------------------------
    @staticmethod
    def _check(choice: str) -> str:
        choice = str(choice).strip().lower()
        if choice not in CHOICES:
            raise ValueError(f"choose 'approve' or 'refuse', not {choice!r}")
        return choice

    def record_view(self, choice: str) -> None:
        """Record your own view on an independent-first case, before seeing the advice."""
        choice = self._check(choice)
        if self.stage != "own_view":
            raise RuntimeError("there is no view to record now: " + (
                "the review is finished" if self.finished else "this case asks for your decision"))
        self.views[self.index] = choice

    def decide(self, choice: str) -> None:
        """Record your decision on the current case and move to the next."""
        choice = self._check(choice)
        if self.stage != "decide":
            raise RuntimeError("record your own view first" if self.stage == "own_view"
                               else "the review is finished; reset() to start again")
        self.decisions[self.index] = choice
        self.index += 1

    def press(self, choice: str) -> None:
        """Whatever the current stage asks for: a view, or a decision."""
        if self.stage == "own_view":
            self.record_view(choice)
        else:
            self.decide(choice)

    # -- results -------------------------------------------------------------------------
    def results(self) -> list[dict]:
        """One row per decided case: design, your view, the advice, your decision, the right answer."""
        rows = []
        for case, cond, view, dec in zip(self.cases, self.conditions, self.views, self.decisions):
            if dec is None:
                continue
            rows.append({
                "case_id": case.case_id, "condition": cond, "own_view": view,
                "ai_advice": case.ai_advice, "ai_confidence": case.ai_confidence, "decision": dec,
                "correct": case.correct, "ai_wrong": case.ai_wrong,
                "followed_ai": dec == case.ai_advice, "right": dec == case.correct,
            })
        return rows

    def summary(self) -> dict:
        """Your numbers so far.

        ``wrong_advice_followed`` is, per design, the share of the cases with wrong advice in which
        your decision followed the advice (``None`` while you have decided none of them).
        """
        rows = self.results()
        wrong = {c: [r for r in rows if r["ai_wrong"] and r["condition"] == c] for c in CONDITIONS}
        by_cond = {c: [r for r in rows if r["condition"] == c] for c in CONDITIONS}
        views = [r for r in rows if r["own_view"] is not None]
        differed = [r for r in views if r["own_view"] != r["ai_advice"]]
        return {
            "decided": len(rows),
            "total": self.total,
            "right": sum(r["right"] for r in rows),
            "ai_right": sum(not r["ai_wrong"] for r in rows),
            "accuracy": _share(sum(r["right"] for r in rows), len(rows)),
            "accuracy_by_condition": {c: _share(sum(r["right"] for r in v), len(v)) for c, v in by_cond.items()},
            "wrong_advice_cases": {c: len(v) for c, v in wrong.items()},
            "wrong_advice_followed_count": {c: sum(r["followed_ai"] for r in v) for c, v in wrong.items()},
            "wrong_advice_followed": {c: _share(sum(r["followed_ai"] for r in v), len(v)) for c, v in wrong.items()},
            "own_view_accuracy": _share(sum(r["own_view"] == r["correct"] for r in views), len(views)),
            "views_differing_from_ai": len(differed),
            "changed_to_ai": sum(r["decision"] == r["ai_advice"] for r in differed),
            "right_to_wrong": sum(r["own_view"] == r["correct"] and not r["right"] for r in views),
        }

    def summary_text(self) -> str:
        """The summary in plain words."""
        s = self.summary()
        if s["decided"] == 0:
            return "You have not decided any cases yet."
        lines = [f"You decided {s['decided']} of {s['total']} cases; {s['right']} of your decisions were right "
                 f"({_pct(s['accuracy'])}). The AI's advice was right in {s['ai_right']} of them "
                 f"({_pct(_share(s['ai_right'], s['decided']))})."]
        n_wrong = sum(s["wrong_advice_cases"].values())
        if n_wrong:
            lines.append(f"The AI's advice was wrong in {n_wrong} of the cases you decided. You followed the wrong advice in:")
            for cond, label in ((INDEPENDENT_FIRST, "recorded your own view first"), (AI_FIRST, "saw the AI's advice first")):
                n, k = s["wrong_advice_cases"][cond], s["wrong_advice_followed_count"][cond]
                lines.append(f"- cases where you {label}: {k} of {n} ({_pct(s['wrong_advice_followed'][cond])})")
        else:
            lines.append("None of the cases you decided had wrong advice yet.")
        if s["views_differing_from_ai"]:
            lines.append(f"Your own view differed from the AI's advice {_times(s['views_differing_from_ai'])}; you then "
                         f"switched to the AI's answer {_times(s['changed_to_ai'])}, and {s['right_to_wrong']} of your "
                         "right views became wrong decisions.")
        lines.append("With so few cases this is a demonstration, not a measurement.")
        return "\n".join(lines)


class ReviewWidget(w.VBox):
    """The notebook front end: the rules, one case at a time, two buttons, and your summary.

    Buttons carry their meaning in words ("My view: approve", "Decision: refuse"), have tooltips,
    and take Tab, Enter and Space like any button; nothing depends on colour.
    """

    def __init__(self, session: ReviewSession | None = None, **kwargs):
        self.session = session or ReviewSession()
        self.rules = w.HTML(self._rules_html())
        self.header = w.HTML()
        self.case_box = w.HTML()
        self.advice = w.HTML()
        self.status = w.HTML()
        self.approve_button = w.Button(icon="check", layout=w.Layout(width="auto"))
        self.refuse_button = w.Button(icon="times", layout=w.Layout(width="auto"))
        self.restart_button = w.Button(description="Start again", icon="undo", layout=w.Layout(width="auto"),
                                       tooltip="Forget every answer and start again from the first case")
        self.approve_button.on_click(lambda _b: self._press(APPROVE))
        self.refuse_button.on_click(lambda _b: self._press(REFUSE))
        self.restart_button.on_click(lambda _b: self._restart())
        buttons = w.HBox([self.approve_button, self.refuse_button, self.restart_button])
        super().__init__([self.rules, self.header, self.case_box, self.advice, buttons, self.status], **kwargs)
        self._render()

    # -- events --------------------------------------------------------------------------
    def _press(self, choice: str) -> None:
        stage = self.session.stage
        if stage == "done":
            return
        self.session.press(choice)
        self.status.value = _part("status", "own_view" if stage == "own_view" else "decision", choice)
        self._render(keep_status=True)

    def _restart(self) -> None:
        self.session.reset()
        self.status.value = _part("status", "restart", "")
        self._render(keep_status=True)

    # -- drawing -------------------------------------------------------------------------
    @staticmethod
    def _rules_html() -> str:
        head, *items = RULES
        return templating.render("coursekit.widgets", "review_rules.html.j2", head=head,
                                 steps=[t.split(". ", 1)[1] for t in items[:3]], closing=items[3])

    def _render(self, keep_status: bool = False) -> None:
        s = self.session
        if not keep_status:
            self.status.value = ""
        if s.finished:
            self.header.value = _part("finished", s.total)
            self.case_box.value = self._results_html()
            self.advice.value = ""
            for b in (self.approve_button, self.refuse_button):
                b.disabled = True
                b.description = "Review finished"
                b.tooltip = "All cases are decided. Press Start again to review them again."
            return
        case, cond = s.current, s.condition
        self.header.value = _part("header", s.index + 1, s.total, case.case_id, CONDITION_TEXT[cond])
        self.case_box.value = _part("case", case.household, case.nationality, case.facts)
        self.advice.value = _part("advice", s.advice_visible, case.ai_advice, case.ai_confidence,
                                  s.views[s.index] if s.advice_visible else None)
        word = "My view" if s.stage == "own_view" else "Decision"
        for b, choice in ((self.approve_button, APPROVE), (self.refuse_button, REFUSE)):
            b.disabled = False
            b.description = f"{word}: {choice}"
            b.tooltip = (f"Record your own view ({choice}) before seeing the AI's advice" if s.stage == "own_view"
                         else f"Decide to {choice} this claim and go to the next case")

    def _results_html(self) -> str:
        s = self.session
        blocks, items = [], []
        for line in s.summary_text().splitlines() + [""]:
            if line.startswith("- "):
                items.append(line[2:])
                continue
            if items:
                blocks.append({"bullets": items})
                items = []
            if line:
                blocks.append({"text": line, "bullets": []})
        by_id = {c.case_id: c for c in s.cases}
        rows = [dict(r, design=r["condition"].replace("_", "-"), own_view=r["own_view"] or "-",
                     why=by_id[r["case_id"]].why) for r in s.results()]
        return templating.render("coursekit.widgets", "review_results.html.j2", blocks=blocks, rows=rows)


def _part(name: str, *args) -> str:
    """One macro of ``review_case.html.j2``: the header, the case, the advice, a status line."""
    return str(getattr(templating.environment("coursekit.widgets").get_template("review_case.html.j2").module,
                       name)(*args))


def review(seed: int | None = None, learner: str | None = None) -> ReviewWidget:
    """A fresh review to display in a notebook: ``review()`` as the last line of a cell.

    The cases are drawn for the learner: ``seed`` (e.g. a seat number a facilitator hands out)
    if given, else from ``learner`` (a name or code), else from the account's user name.
    """
    return ReviewWidget(ReviewSession(seed=seed if seed is not None else learner_seed(learner)))
