"""The pledge report's figures, HTML page and CSV, and writing them (``write``).

``coursekit.platform.reports.pledge`` computes a :class:`~coursekit.platform.reports.pledge.Report`;
this module only presents it: it reads the report and never changes a number. The page comes
from the templates ``pledge_page.html.j2``, ``pledge_table.html.j2`` and ``pledge_matrix.html.j2``
(autoescaped, so a department or target name from a file is shown as text, never as markup).

The page is self-contained (figures embedded as base64 PNG, no scripts, no external files) and
written for an official who is not a data specialist: each figure has a title, labelled axes and
its key number in the text, colours come from the colour-blind-safe palette and nothing is told
by colour alone (line styles, markers, hatching and value labels carry the meaning).
"""

from __future__ import annotations

import base64
import csv
import io
import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from coursekit.errors import UsageError
from coursekit.platform import competencies, fileio
from coursekit.platform import evidence
from coursekit.platform.rendering import render
from coursekit.platform.reports.pledge import Report, TargetReport, phase
from coursekit.plotting import HATCHES, PALETTE, finish

STATUS_TEXT = {
    "met": "the pledge is met",
    "on track": "on track: at the pace of recent months the pledge will be met in time",
    "not on track": "not on track: at the pace of recent months the pledge will not be met in time",
    "missed": "the target date has passed and the pledge was not met",
    "hidden": "figures hidden: fewer staff in these profiles than the minimum group size",
    "no staff": "nobody on the roster is in these profiles, so there is nothing to measure",
}


def _pct(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def _date(d) -> str:
    return f"{d.day} {d:%B %Y}"


def _and(words: list) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _who(target) -> str:
    names = competencies.profiles()
    return _and([names[p].plural for p in target.profiles])


def _what(target) -> str:
    fw = competencies.framework()
    comps = [competencies.in_sentence(fw.get(c).name) for c in target.competencies]
    return f"{fw.level_name(target.level)} level or above in {_and(comps)}"


# ---------------------------------------------------------------------------------------------
# Figures

def _figure(width=8.0, height=4.2):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def fig_trajectory(tr, pledge, as_of):
    import matplotlib.dates as mdates

    res, t = tr.result, tr.result.target
    fig = _figure()
    ax = fig.add_subplot()
    x = pd.to_datetime(tr.grid).to_pydatetime()
    y = tr.series * 100
    ax.plot(x, y, color=PALETTE[0], linewidth=2.2, marker="o", markersize=3,
            markevery=max(1, len(x) // 12), label="Staff who have reached the target level")
    end = datetime.combine(pledge.target_date, datetime.min.time())
    now = x[-1]
    cur = y[-1]
    ax.plot([now, end], [cur, t.share * 100], color=PALETTE[1], linestyle="--", linewidth=1.8,
            label="Path needed to meet the pledge")
    if tr.pace_per_month is not None and end > now:
        months = (end - now).days / 30
        proj = float(np.clip(cur + tr.pace_per_month * 100 * months, 0, 100))
        ax.plot([now, end], [cur, proj], color=PALETTE[2], linestyle=":", linewidth=2.2,
                label="At the pace of the last 3 months")
    ax.plot([end], [t.share * 100], marker="*", markersize=16, color=PALETTE[3], linestyle="none",
            markeredgecolor="black", label=f"Pledge: {t.share:.0%} by {_date(pledge.target_date)}")
    ax.axhline(t.share * 100, color="grey", linewidth=0.8, linestyle="-.")
    ax.annotate(f"now: {cur:.0f}%", (now, cur), textcoords="offset points", xytext=(-10, 10), ha="right")
    ax.set_ylim(0, 100)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=8))
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.legend(loc="upper left", fontsize=8, frameon=True)
    ax.grid(axis="y", alpha=0.3)
    finish(ax, f"Progress towards the pledge: {_pct(t.share)} by {_date(pledge.target_date)}",
           "Date", "Staff at the target level (%)")
    return fig


def fig_groups(rows, label: str, target_share: float, title: str):
    shown = [r for r in rows if not r.suppressed and r.share is not None]
    shown.sort(key=lambda r: r.share)
    fig = _figure(8.0, max(2.4, 0.42 * len(shown) + 1.4))
    ax = fig.add_subplot()
    names = [getattr(r, label) for r in shown]
    vals = [100 * r.share for r in shown]
    if label == "profile":
        prof = competencies.profiles()
        names = [prof[n].name if n in prof else n for n in names]
    bars = ax.barh(names, vals, color=PALETTE[0], hatch=HATCHES[1], edgecolor="white")
    for b, r in zip(bars, shown):
        ax.text(min(b.get_width() + 1, 78), b.get_y() + b.get_height() / 2,
                f"{100 * r.share:.0f}% ({r.reached} of {r.staff})", va="center", fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    ax.axvline(target_share * 100, color=PALETTE[3], linestyle="--", linewidth=1.8,
               label=f"Pledge: {target_share:.0%}")
    ax.set_xlim(0, 100)
    ax.legend(loc="lower right", fontsize=8)
    if not shown:
        ax.text(50, 0.5, "No group large enough to show", ha="center", va="center", transform=ax.transData)
        ax.set_yticks([])
    finish(ax, title, "Staff at the target level (%)", label.capitalize())
    return fig


def fig_competencies(tr):
    fw = competencies.framework()
    rows = [r for r in tr.rows if r.group == "competency" and not r.suppressed and r.share is not None]
    fig = _figure(8.0, max(2.4, 0.5 * len(rows) + 1.4))
    ax = fig.add_subplot()
    names = [fw.get(r.competency).name for r in rows]
    vals = [100 * r.share for r in rows]
    bars = ax.barh(names, vals, color=[PALETTE[(i + 1) % len(PALETTE)] for i in range(len(rows))],
                   hatch=HATCHES[2], edgecolor="white")
    for b, r in zip(bars, rows):
        ax.text(min(b.get_width() + 1, 85), b.get_y() + b.get_height() / 2, f"{100 * r.share:.0f}%",
                va="center", fontsize=9)
    ax.axvline(tr.result.target.share * 100, color=PALETTE[3], linestyle="--", linewidth=1.8,
               label=f"Pledge: {tr.result.target.share:.0%}")
    ax.set_xlim(0, 100)
    ax.legend(loc="lower right", fontsize=8)
    finish(ax, f"By competency: staff at {fw.level_name(tr.result.target.level)} level or above",
           "Staff at the target level (%)", "Competency")
    return fig


# ---------------------------------------------------------------------------------------------
# Text

def key_sentence(tr, pledge) -> str:
    t, res = tr.result.target, tr.result
    if res.staff == 0:
        return (f"There is nobody on the roster in these profiles ({_who(t)}): this target reports 0 of 0. "
                "Add the staff to the roster, or take the target out of the pledge.")
    if tr.current is None:
        return (f"There are fewer than the minimum group size of staff on the roster in these profiles "
                f"({_who(t)}), so no figures are shown for this target.")
    reached = int(res.reached.sum())
    need = max(0, math.ceil(t.share * res.staff - 1e-9) - reached)
    text = (f"{_pct(tr.current, 1)} of the {res.staff:,} {_who(t)} on the roster ({reached:,} people) have reached "
            f"{_what(t)}. The pledge is {_pct(t.share)} by {_date(pledge.target_date)}")
    text += f"; {need:,} more need to get there." if need else "; it is reached."
    if tr.pace_per_month is not None and tr.status not in ("met", "missed"):
        text += f" Over the last three months the share grew by {100 * tr.pace_per_month:.1f} percentage points a month"
        text += (f"; at that pace the pledge would be met around {_date(tr.projected)}." if tr.projected
                 else "; at that pace the pledge would not be met.")
    return text + f" Status: {STATUS_TEXT[tr.status]}."


def _table(rows, first: str) -> dict:
    """A table of groups for ``pledge_table.html.j2``: numbers formatted, names as they are."""
    prof = competencies.profiles()
    out = []
    for r in rows:
        name = getattr(r, first)
        if first == "profile":
            name = prof[name].name if name in prof else name
        if r.suppressed:
            out.append({"name": name, "hidden": True, "staff": "", "reached": "", "share": ""})
        else:
            out.append({"name": name, "hidden": False, "staff": f"{r.staff:,}", "reached": f"{r.reached:,}",
                        "share": _pct(r.share)})
    return {"heading": first.capitalize(), "rows": out}


def _matrix(tr: TargetReport) -> dict:
    """The department x job profile table for ``pledge_matrix.html.j2`` (no rows: no table)."""
    rows = [r for r in tr.rows if r.group == "department_profile"]
    prof = competencies.profiles()
    profs = list(tr.result.target.profiles)
    depts = list(dict.fromkeys(r.department for r in rows))
    cell = {(r.department, r.profile): r for r in rows}
    out = []
    for d in depts:
        cells = []
        for p in profs:
            r = cell.get((d, p))
            if r is None:
                cells.append({"state": "none"})
            elif r.suppressed:
                cells.append({"state": "hidden"})
            else:
                cells.append({"state": "shown", "share": _pct(r.share), "reached": f"{r.reached:,}",
                              "staff": f"{r.staff:,}"})
        out.append({"department": d, "cells": cells})
    return {"profiles": [prof[p].name for p in profs], "rows": out}


def _self_assessed_sentence(tr: TargetReport, min_group: int) -> str:
    """Self-paced work that learners exported, said apart from the assessed figures."""
    if tr.self_assessed is None:
        return ""
    staff, reached = tr.self_assessed
    head = "Self-assessed, not counted above: "
    if staff is None:
        return head + ("some staff in these profiles exported their own checks, but too few (or too few at, "
                       "or below, the target) to show a figure without risking that someone is recognised.")
    return head + (f"{staff:,} staff in these profiles exported their own checks (practice they may repeat, with "
                   f"the solutions at hand); by those checks {reached:,} of them are at the target level.")


def page_context(rep: Report, figures: dict) -> dict:
    """What ``pledge_page.html.j2`` shows: every text and number, ready to print.

    ``figures``: target number -> [(data URI, alt text, caption)].
    """
    p = rep.pledge
    m = rep.merged
    targets = []
    for k, tr in enumerate(rep.targets, start=1):
        t = tr.result.target
        uncovered = ""
        if tr.result.uncovered:
            fw = competencies.framework()
            uncovered = _and([competencies.in_sentence(fw.get(c).name) for c in tr.result.uncovered])
        shown = tr.current is not None           # else: too few staff, no figures or tables
        dept = [r for r in tr.rows if r.group == "department"]
        prof = [r for r in tr.rows if r.group == "profile"]
        targets.append({
            "number": k,
            "name": t.name,
            "big": "hidden" if tr.current is None else _pct(tr.current, 1),
            "pledge": f"{_pct(t.share)} by {_date(p.target_date)}",
            "status": tr.status.capitalize(),
            "sentence": key_sentence(tr, p),
            "uncovered": uncovered,
            "figures": [{"src": src, "alt": alt, "caption": cap} for src, alt, cap in figures.get(k, [])],
            "by_department": _table(dept, "department") if shown else None,
            "by_profile": _table(prof, "profile") if shown and prof else None,
            "matrix": _matrix(tr) if shown and len(t.profiles) > 1 else None,
            "self_assessed": _self_assessed_sentence(tr, rep.min_group),
        })
    sources = f"{len(m.sources)} cohort gradebook{'s' if len(m.sources) != 1 else ''} (assessed work only)"
    if rep.self_assessed_files:
        sources += (f"; self-assessed work from {rep.self_assessed_files:,} learner export"
                    f"{'s' if rep.self_assessed_files != 1 else ''} is shown apart")
    notes = [
        f"Evidence: {sources}, {m.records:,} graded answers from staff on the roster. Someone graded in more "
        "than one course or cohort counts once, with their best result for each question.",
        f"Written answers waiting to be graded by a trainer: {m.pending:,}. They count once graded.",
    ]
    if m.not_on_roster:           # a count of people: exact only when it is not a small group
        some = (f"{m.not_on_roster:,} people" if m.not_on_roster >= rep.min_group
                else f"Fewer than {rep.min_group} people")
        notes.append(f"{some} in the gradebooks are not on the roster; their results are left out.")
    if m.undated:
        notes.append(f"{m.undated:,} graded answer{'s' if m.undated != 1 else ''} had no submission date; "
                     "they count from the date of this report.")
    rule = (f"A person has reached a level in a competency when, over the graded questions they have answered for "
            f"that competency at that level and the levels below it, they scored at least "
            f"{evidence.THRESHOLD:.0%} of the points, answered at least {evidence.MIN_ITEMS} such questions, and at "
            f"least one of them is at that level. A target is reached when its level is reached in every competency "
            f"it names. Everyone on the roster in the target's job profiles counts, including those who have not "
            f"started the course.")
    privacy = (f"The report shows groups, never individuals: no names, identifiers or email addresses. Where a "
               f"group has fewer than {rep.min_group} staff, or fewer than {rep.min_group} of them have (or have "
               f"not) reached a target, its figures are hidden. Other figures are hidden too wherever the hidden "
               f"ones could otherwise be worked out, by subtraction or by comparing tables and targets: every "
               f"hidden figure was checked, as a statistical office checks its tables, to be impossible to pin "
               f"down from everything this report and its CSV show. The chart over time shows only the dates "
               f"at which this holds as well.")
    return {
        "title": f"{p.ministry}: progress on the AI competency pledge",
        "lead": p.title,
        "as_of": _date(rep.as_of),
        "target_date": _date(p.target_date),
        "targets": targets,
        "min_group": rep.min_group,
        "rule": rule,
        "privacy": privacy,
        "notes": notes,
    }


def html_page(rep: Report, figures: dict) -> str:
    """The page (``pledge_page.html.j2``) for ``rep`` with ``figures`` (see :func:`page_context`)."""
    return render("pledge_page.html.j2", **page_context(rep, figures))


#: The CSV's columns: one row per published count, so that the protection can be audited from it alone.
CSV_COLUMNS = ["target", "department", "profile", "staff", "reached", "competency", "as_of", "share",
               "target_share", "target_date", "evidence"]


def csv_text(rep: Report) -> str:
    """Every number the page publishes, one row per group (a hidden count is empty).

    ``department`` is empty on a profile's total, ``profile`` on a department's, both on the whole
    target's and its competencies' rows; ``competency`` names the competency of a per-competency
    row; ``as_of`` is the date of the count (the report's date, or a point of the trajectory).
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    as_of = rep.as_of.isoformat()
    for tr in rep.targets:
        t = tr.result.target
        res = tr.result

        def out(department, profile, staff, reached, competency="", when=as_of, kind="assessed"):
            share = "" if staff in (None, 0) or reached is None else f"{reached / staff:.4f}"
            w.writerow([t.name, department, profile, "" if staff is None else staff,
                        "" if reached is None else reached, competency, when, share, f"{t.share:.4f}",
                        rep.pledge.target_date.isoformat(), kind])

        for r in tr.rows:
            out(r.department, r.profile, r.staff, r.reached, r.competency)
        for when, share in zip(tr.grid[:-1], tr.series[:-1]):     # the last point is the total's row
            out("", "", res.staff, int(round(share * res.staff)), "", pd.Timestamp(when).date().isoformat())
        if tr.self_assessed is not None:
            out("", "", *tr.self_assessed, kind="self-assessed")
    return buf.getvalue()


def _png(fig) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buf = io.BytesIO()
    # The canvas's own PNG writer, not savefig: the layout is done (``plotting.finish``), and
    # savefig would draw the whole figure once more first, only to lay it out again.
    fig.set_dpi(110)
    FigureCanvasAgg(fig).print_png(buf)
    return buf.getvalue()


def _data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def draw_figures(rep: Report) -> dict:
    """Draw the figures of each target whose figures are shown: number -> [(data URI, alt, caption)]."""
    plans = figure_plans(rep)
    pngs = _render_all([draw for _, draw, _, _ in plans])
    out: dict = {}
    for (k, _, alt, caption), png in zip(plans, pngs):
        out.setdefault(k, []).append((_data_uri(png), alt, caption))
    for k, tr in enumerate(rep.targets, start=1):
        if tr.current is not None:
            out.setdefault(k, [])
    return out


def figure_plans(rep: Report) -> list:
    """The figures to draw, in order: (target number, a function drawing it, alt text, caption)."""
    plans = []
    for k, tr in enumerate(rep.targets, start=1):
        t = tr.result.target
        if tr.current is None:
            continue
        now_text = _pct(tr.current, 1)
        plans.append((k, lambda tr=tr: fig_trajectory(tr, rep.pledge, rep.as_of),
                      f"Line chart of the share of staff at the target level over time, now {now_text}, "
                      f"against the pledge of {_pct(t.share)} by {_date(rep.pledge.target_date)}.",
                      f"Share of {_who(t)} at {_what(t)}, over time: now {now_text}; pledge {_pct(t.share)}."))
        dept = [r for r in tr.rows if r.group == "department"]
        shown = [r for r in dept if not r.suppressed]
        if shown:
            best = max(shown, key=lambda r: r.share or 0)
            worst = min(shown, key=lambda r: r.share or 0)
            hidden = len(dept) - len(shown)
            cap = (f"Highest: {best.department} ({_pct(best.share)}); lowest: {worst.department} ({_pct(worst.share)})."
                   + (f" {hidden} department(s) hidden to protect small groups." if hidden else ""))
            plans.append((k, lambda dept=dept, t=t: fig_groups(dept, "department", t.share,
                                                               "By department: staff at the target level"),
                          "Bar chart of the share of staff at the target level in each department, with the pledge "
                          "share as a dashed line.", cap))
        prof = [r for r in tr.rows if r.group == "profile" and not r.suppressed]
        if len(prof) > 1:
            rows = [r for r in tr.rows if r.group == "profile"]
            plans.append((k, lambda rows=rows, t=t: fig_groups(rows, "profile", t.share,
                                                               "By job profile: staff at the target level"),
                          "Bar chart of the share of staff at the target level in each job profile.",
                          "; ".join(f"{competencies.profiles()[r.profile].name}: {_pct(r.share)}" for r in prof) + "."))
        comp = [r for r in tr.rows if r.group == "competency" and not r.suppressed]
        if len(comp) > 1:
            fw = competencies.framework()
            plans.append((k, lambda tr=tr: fig_competencies(tr),
                          "Bar chart of the share of staff at the target level in each competency separately.",
                          "; ".join(f"{fw.get(r.competency).name}: {_pct(r.share)}" for r in comp) + "."))
    return plans


#: From this many figures, a second process draws half of them (where processes can be forked).
PARALLEL_FIGURES = 4
_DRAWS: list = []                 # the figures a forked helper draws (it inherits this list)


def _draw_png(i: int) -> bytes:
    return _png(_DRAWS[i]())


def _render_all(draws: list) -> list:
    """Each figure drawn and saved as PNG, in order. Drawing a figure is a third of a second of
    matplotlib, so with several figures and two cores a forked helper draws every other one
    meanwhile; where forking is not possible, or the helper fails, all are drawn here."""
    import multiprocessing
    import os
    import sys

    pngs: list = [None] * len(draws)
    helper = None
    if (len(draws) >= PARALLEL_FIGURES and sys.platform == "linux" and (os.cpu_count() or 1) > 1
            and os.environ.get("COURSEKIT_PARALLEL_FIGURES", "1") != "0"):
        from concurrent.futures import ProcessPoolExecutor

        _DRAWS[:] = draws
        try:
            helper = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            theirs = {i: helper.submit(_draw_png, i) for i in range(1, len(draws), 2)}
        except (OSError, ValueError):
            helper, theirs = None, {}
    else:
        theirs = {}
    try:
        for i, draw in enumerate(draws):
            if i not in theirs:
                pngs[i] = _png(draw())
        for i, future in theirs.items():
            try:
                pngs[i] = future.result()
            except Exception:            # the helper died or failed: draw it here instead
                pngs[i] = _png(draws[i]())
    finally:
        if helper is not None:
            helper.shutdown(wait=True, cancel_futures=True)
        _DRAWS.clear()
    return pngs


# ---------------------------------------------------------------------------------------------
# Writing

def check_folder(out: str | Path) -> Path:
    """``out`` as a Path; a UsageError if something other than a folder is already there."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder; give a folder for the report")
    return out


def write(rep: Report, out: str | Path) -> Path:
    """Write report.html and progress.csv into ``out`` without ever leaving a half-written report.

    Both files are made in memory first, then written beside their targets and renamed into place
    only when both are written. Returns the path of report.html (also kept as ``rep.page``).
    """
    out = check_folder(out)
    page = html_page(rep, draw_figures(rep))
    table = csv_text(rep)
    phase("figures and HTML")
    try:
        fileio.atomic_write_many({out / "report.html": page.encode("utf-8"),
                                  out / "progress.csv": table.encode("utf-8")})
    except OSError as exc:
        raise UsageError(f"{out}: cannot write the report there ({exc.strerror})")
    phase("write")
    rep.page = out / "report.html"
    return rep.page
