"""A self-paced learner's competency profile, the gap to a job profile, and what to take next.

The evidence is what ``coursekit check`` recorded in the learner's personal gradebook
(``paths.personal_gradebook_url()``, learner ``paths.SELF_LEARNER_ID``). The attained level per
competency comes from the kit's one rule, ``coursekit.platform.evidence.attain``.

In a notebook, through the learner toolkit (which runs :func:`main` in a subprocess)::

    from coursekit import progress
    progress.show("caseworker")      # table, chart and next modules, shown in the notebook

A :class:`Progress` prints as the text ``coursekit progress`` shows and, as a notebook's last
expression, displays as a table (templates ``progress*.html.j2``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coursekit.platform import competencies, fileio
from coursekit.platform import evidence
from coursekit.platform import paths
from coursekit.platform import syllabus
from coursekit.platform.rendering import render

NO_EVIDENCE = ("No graded work yet, so there is no progress to show. Try an exercise, save it, then check it:\n"
               "    coursekit check exercises/{module}/exercise.ipynb\n"
               "Each check is recorded here; written answers count once a trainer has graded them.")


@dataclass
class Row:
    competency: str
    name: str
    domain: str
    attained: str | None
    required: str | None
    status: str                 # met, below, not required
    points: float = 0.0
    out_of: float = 0.0
    items: int = 0

    def as_json(self) -> dict:
        return {"competency": self.competency, "name": self.name, "domain": self.domain, "attained": self.attained,
                "required": self.required, "status": self.status, "points": round(self.points, 2),
                "out_of": round(self.out_of, 2), "items": self.items}


@dataclass
class Progress:
    profile: competencies.Profile | None
    rows: list[Row]
    modules_taken: list[str]
    next_modules: list[dict]
    chart: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def gaps(self) -> list[str]:
        return [r.competency for r in self.rows if r.status == "below"]

    def as_json(self) -> dict:
        return {"profile": self.profile.id if self.profile else None,
                "competencies": [r.as_json() for r in self.rows],
                "gaps": self.gaps, "modules_taken": self.modules_taken, "next_modules": self.next_modules,
                "chart": str(self.chart) if self.chart else None, "notes": self.notes}

    def __str__(self) -> str:
        """The table, the gaps and the next modules as plain text (what ``coursekit progress`` prints)."""
        fw = competencies.framework()
        lines = ["Your competency profile, from the exercises you have checked "
                 f"({len(self.modules_taken)} module{'s' if len(self.modules_taken) != 1 else ''}: "
                 f"{', '.join(self.modules_taken)})"]
        if self.profile:
            lines.append(f"Compared with the job profile: {self.profile.name}")
        lines.append("")
        w = max(len(r.name) for r in self.rows)
        head = f"  {'Competency':<{w}}  {'Attained':<14}"
        head += f"{'Required':<14}" if self.profile else ""
        lines.append(head.rstrip())
        for r in self.rows:
            line = f"  {r.name:<{w}}  {fw.level_name(r.attained):<14}"
            if self.profile:
                req = fw.level_name(r.required) if r.required else "-"
                mark = {"met": "met", "below": "GAP", "not required": ""}[r.status]
                line += f"{req:<14}{mark}"
            lines.append(line.rstrip())
        lines.append("")
        if self.profile and not self.gaps:
            lines.append("You meet every level this job profile asks for.")
        if self.next_modules:
            lines.append("Next modules to take:" if self.profile else "Next modules in the course:")
            for m in self.next_modules:
                why = (f" (for {', '.join(competencies.in_sentence(fw.get(c).name) for c in m['closes'])})"
                       if m["closes"] else "")
                again = " [take it again]" if m["taken"] else ""
                lines.append(f"  {m['id']}: {m['title']}{why}{again}")
        for note in self.notes:
            lines.append(note)
        if self.chart:
            lines.append(f"Chart: {self.chart}")
        return "\n".join(lines)

    def _table_context(self) -> dict:
        fw = competencies.framework()
        return {"with_profile": self.profile is not None,
                "rows": [{"name": r.name, "level": fw.level_name(r.attained),
                          "required": fw.level_name(r.required) if r.required else "-", "status": r.status}
                         for r in self.rows]}

    def _next_context(self) -> dict:
        fw = competencies.framework()
        return {"modules": [{"id": m["id"], "title": m["title"],
                             "closes": ", ".join(competencies.in_sentence(fw.get(c).name) for c in m["closes"])}
                            for m in self.next_modules]}

    def table_html(self) -> str:
        """The competency table (``progress_table.html.j2``)."""
        return render("progress_table.html.j2", **self._table_context())

    def next_html(self) -> str:
        """The next modules to take (``progress_next.html.j2``)."""
        return render("progress_next.html.j2", **self._next_context())

    def _repr_html_(self) -> str:
        """In a notebook: the table, the next modules and any notes (``progress.html.j2``)."""
        return render("progress.html.j2", **self._table_context(), **self._next_context(), notes=self.notes)


def _first_module() -> str:
    ids = syllabus.module_ids()
    return ids[0] if ids else "<module>"


def no_evidence_message() -> str:
    return NO_EVIDENCE.format(module=_first_module())


def compute(profile: str | None = None, gradebook: str | Path | None = None,
            learner: str = paths.SELF_LEARNER_ID) -> Progress | None:
    """The learner's progress, or None when they have no graded work yet.

    An unknown ``profile`` is a UsageError (exit status 2 on the command line).
    """
    prof = competencies.profile(profile) if profile else None
    if gradebook is None:
        db = paths.personal_course_dir() / "gradebook.db"
        if not db.exists():
            return None
        gradebook = db
    tags = evidence.course_tags()
    recs = evidence.records(gradebook, tags, source=evidence.SELF_PACED, learners=[learner])
    recs = recs[recs["learner"].astype(object) == learner]
    if recs.empty:
        return None
    recs = evidence.best(recs)
    fw = competencies.framework()
    attained = evidence.attained_levels(recs).loc[learner]
    sums = recs.groupby("competency", observed=True).agg(points=("points", "sum"), out_of=("out_of", "sum"),
                                                         items=("item", "size"))
    rows = []
    for c in fw.competencies:
        got = attained.get(c.id)
        req = prof.required(c.id) if prof else None
        if req is None:
            status = "not required"
        else:
            status = "met" if fw.rank(got) >= fw.rank(req) else "below"
        s = sums.loc[c.id] if c.id in sums.index else None
        rows.append(Row(c.id, c.name, c.domain, got, req, status,
                        float(s["points"]) if s is not None else 0.0, float(s["out_of"]) if s is not None else 0.0,
                        int(s["items"]) if s is not None else 0))
    taken = [m for m in syllabus.module_ids() if m in set(recs["module"].astype(object))]
    prog = Progress(prof, rows, taken, next_modules([r for r in rows if r.status == "below"], taken))
    if tags.missing:
        prog.notes.append(f"(Modules without a solution notebook yet are not counted: {', '.join(tags.missing)}.)")
    return prog


def next_modules(gaps: list[Row], taken: list[str], limit: int = 3) -> list[dict]:
    """Modules of the syllabus whose competencies close the gaps.

    With gaps: the modules that teach a competency in the gap, those not taken yet first, then
    by how many gap competencies they cover, then in course order; modules already taken come
    last (take them again to improve). Without gaps (no profile, or all met): the first modules
    not taken yet, in course order.
    """
    gap_ids = [r.competency for r in gaps]
    out = []
    for order, m in enumerate(syllabus.modules()):
        closes = [c for c in gap_ids if c in m.competencies]
        if gap_ids and not closes:
            continue
        if not gap_ids and m.id in taken:
            continue
        out.append((m.id in taken, -len(closes), order, {"id": m.id, "title": m.title, "closes": closes,
                                                         "taken": m.id in taken}))
    out.sort(key=lambda x: x[:3])
    return [x[3] for x in out[:limit]]


# ---------------------------------------------------------------------------------------------
# The chart

def figure(prog: Progress):
    """A horizontal bar chart: attained level per competency, and the job profile's requirement."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from coursekit.plotting import HATCHES, PALETTE, finish

    fw = competencies.framework()
    rows = prog.rows[::-1]                       # first competency at the top
    fig = Figure(figsize=(9, 0.5 * len(rows) + 1.8))
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    ranks = [fw.rank(r.attained) for r in rows]
    ax.barh(y, ranks, color=PALETTE[0], hatch=HATCHES[1], edgecolor="white", height=0.6)
    for yi, r, k in zip(y, rows, ranks):
        label = fw.level_name(r.attained) if r.attained else "none yet"
        if r.status == "below":
            label += f"  (gap: {fw.level_name(r.required)} needed)"
        x = max(k, fw.rank(r.required) if prog.profile and r.required else 0) + 0.12   # clear of the marker
        ax.text(x, yi, label, va="center", fontsize=8, fontweight="bold" if r.status == "below" else "normal")
    handles = [Patch(facecolor=PALETTE[0], hatch=HATCHES[1], edgecolor="white", label="Your level")]
    if prog.profile:
        req = [(yi, fw.rank(r.required)) for yi, r in zip(y, rows) if r.required]
        ax.scatter([k for _, k in req], [yi for yi, _ in req], marker="D", s=60, color=PALETTE[1],
                   edgecolor="black", zorder=3)
        handles.append(Line2D([], [], marker="D", color="none", markerfacecolor=PALETTE[1], markeredgecolor="black",
                              markersize=7, label=f"Required for {prog.profile.name}"))
    ax.set_yticks(y, [r.name for r in rows], fontsize=8)
    ax.set_xticks(range(len(fw.levels) + 1), ["None", *(fw.level_name(lv) for lv in fw.levels)])
    ax.set_xlim(0, len(fw.levels) + 0.3)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.grid(axis="x", alpha=0.3)
    title = "Your competency levels"
    if prog.profile:
        title += f"\ncompared with the job profile: {prog.profile.name}"
    finish(ax, title, "Level attained (from your checked exercises)", "Competency")
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def save_chart(prog: Progress, path: Path | None = None) -> Path:
    """Save the chart as a PNG in the learner's folder and return its path."""
    path = path or paths.learner_home() / (f"progress_{prog.profile.id}.png" if prog.profile else "progress.png")
    import io

    buf = io.BytesIO()
    figure(prog).savefig(buf, format="png", dpi=110)
    fileio.atomic_write(path, buf.getvalue())
    prog.chart = path
    return path


def main(argv: list[str]) -> int:
    """For :mod:`coursekit.progress`: one JSON line, {"html", "text"}, {"empty"} or {"error"}."""
    import base64
    import json

    from coursekit.errors import UsageError

    try:
        prog = compute(argv[0] if argv else None)
        if prog is None:
            print(json.dumps({"empty": no_evidence_message()}))
            return 0
        chart = base64.b64encode(save_chart(prog).read_bytes()).decode("ascii")
    except UsageError as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    html = (prog.table_html() + render("progress_chart.html.j2", png=chart)
            + (prog.next_html() if prog.next_modules else ""))
    print(json.dumps({"html": html, "text": str(prog)}))
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
