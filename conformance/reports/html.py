"""The HTML report (``--html FILE`` on ``run``, ``replay``, ``check`` and ``matrix``): one self-contained page.

Theory of operation
-------------------
Each command's report becomes one page made by :func:`render_page`: inline CSS, one short inline
script, inline SVG, and nothing fetched (it opens from disk, offline, and can be mailed or kept as a
CI artifact).  A page opens with the verdict; a matrix page then has its grid (implementations x
profiles x levels, each cell's verdict, check, counterexample length and time to verdict), every
failing cell a link to its counterexample.  Every counterexample (:func:`render_counterexample`) has
the same parts:

* **why**: the check that failed and the requirement it stands for, its MUST sentence quoted from
  the spec, the other checks the step broke, and side by side what the reference expected and what
  the implementation answered;
* the **timeline** (``reports/timeline.py``), with the failing instant marked;
* the **steps**, each with its instant and answer, the failing one highlighted; clicking a step
  highlights its marks on the timeline (the script), and the page reads the same without it;
* where the trace is saved and the ``dialcheck replay`` command that reproduces it.

Stable ``id`` and ``class`` names (``verdict``, ``matrix``, ``cell-…``, ``counterexample``,
``why``, ``timeline``, ``steps``, ``failing-step``) are what the browser test looks for.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from dialcheck.conformance.formats.render import format_time
from dialcheck.conformance.reports.counterexample import Counterexample, get_counterexample
from dialcheck.conformance.reports.matrix import Cell, Entrant, count_failed
from dialcheck.conformance.reports.report import (
    format_after_run,
    format_check_verdict,
    format_opening,
    format_stats,
    format_verdict,
    format_waivers,
    get_how,
)
from dialcheck.conformance.reports.timeline import COLOURS, render_svg
from dialcheck.conformance.runs.exhaustive import CheckReport, get_failing
from dialcheck.conformance.runs.runner import RunReport
from dialcheck.spec.verdicts import Outcome

__all__ = [
    "ReplayEntry",
    "render_run_page",
    "render_check_page",
    "render_replay_page",
    "render_matrix_page",
    "get_cell_anchor",
    "Section",
    "render_page",
    "render_counterexample",
    "render_table",
    "render_verdict",
    "get_anchor",
    "write_html",
]


@dataclass(frozen=True)
class Section:
    """A part of a page: a heading and its HTML."""

    title: str
    body: str
    anchor: str = ""


def _e(text: object) -> str:
    return html.escape(str(text))


def get_anchor(*parts: str) -> str:
    """Return an ``id`` made of ``parts`` (letters, digits and ``-`` only)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", "-".join(parts)).strip("-").lower()


def render_verdict(conformant: bool, line: str) -> str:
    """Return the verdict banner: green when conformant, red otherwise, with the command's verdict line."""
    state = "pass" if conformant else "fail"
    heading = "CONFORMANT" if conformant else "NOT CONFORMANT"
    return f'<div id="verdict" class="verdict {state}"><strong>{heading}</strong><p>{_e(line)}</p></div>'


def render_table(headings: Sequence[str], rows: Iterable[Sequence[str]], css: str = "") -> str:
    """Return a table; the cells of ``rows`` are HTML already."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_counterexample(cx: Counterexample, anchor: str, title: str = "") -> str:
    """Return one counterexample: why it fails, its timeline, its steps, how to replay it."""
    failing = cx.failing
    also = f' <span class="also">also breaks {_e(", ".join(cx.also))}</span>' if cx.also else ""
    heading = title or f"{cx.check} at step {failing.number} of {len(cx.steps)}"
    parts = [
        f'<section class="counterexample" id="{anchor}" data-check="{_e(cx.check)}" data-steps="{len(cx.steps)}">',
        f"<h3>{_e(heading)}{also}</h3>",
        f'<p class="meta">{_e(cx.family)}, profile {_e(cx.profile)}; {len(cx.steps)} steps'
        + (f"; {_e(cx.how)}" if cx.how else "")
        + "</p>",
        _render_why(cx),
        '<figure class="timeline-figure">',
        render_svg(cx.timeline),
        f"<figcaption>{_render_legend(cx.timeline.kinds)}Each dot is a step at its instant (its number above it); "
        "the red dot and the dashed red line are the failing step. Hover over any shape for what it is."
        "</figcaption></figure>",
        _render_steps(cx),
    ]
    if cx.saved is not None:
        parts.append(f'<p class="saved">saved as <code>{_e(cx.saved)}</code></p>')
    if cx.replay is not None:
        parts.append(f'<p class="replay">reproduce without Hypothesis: <code>{_e(cx.replay)}</code></p>')
    parts.append("</section>")
    return "".join(parts)


def _swatch(kind: str, text: str, shape: str = "bar") -> str:
    colour = COLOURS[kind]
    if shape == "bar":
        drawn = f'<svg width="16" height="10"><rect y="2" width="16" height="7" fill="{colour}"/></svg>'
    elif shape == "cross":
        cross = f'<path d="M1,1 L11,11 M1,11 L11,1" stroke="{colour}" stroke-width="2.5"/>'
        drawn = f'<svg width="12" height="12">{cross}</svg>'
    else:
        ring = f'<circle cx="7" cy="7" r="5" fill="none" stroke="{colour}" stroke-width="2"/>'
        drawn = f'<svg width="14" height="14">{ring}</svg>'
    return f'<span class="swatch" data-kind="{kind}">{drawn} {_e(text)}</span>'


#: What each colour and shape of a timeline means (the legend shows those drawn).
_LEGEND = (
    ("dial", "a dial, start to done", "bar"),
    ("history", "a history entry: blocks its node through its end", "bar"),
    ("peer", "a connected peer", "bar"),
    ("static", "a static node", "bar"),
    ("wait", "a wait task", "bar"),
    ("wait-expected", "the wait the reference expected", "bar"),
    ("wait-got", "the wait the implementation returned", "bar"),
    ("got", "a dial the implementation started", "cross"),
    ("expected", "a dial the reference expected", "ring"),
)


def _render_legend(kinds: set[str]) -> str:
    swatches = "".join(_swatch(kind, text, shape) for kind, text, shape in _LEGEND if kind in kinds)
    return f'<span class="legend">{swatches}</span><br>'


def _render_why(cx: Counterexample) -> str:
    failing = cx.failing
    parts = ['<div class="why">']
    parts.append(
        f'<p class="check"><span class="badge">{_e(cx.check)}</span> at step {failing.number}, '
        f"{format_time(failing.at)}: {_e(cx.message)}</p>"
    )
    named = [(check, message, req) for check, message, req in cx.violations if check != "STRICT"]
    if cx.requirement is not None and (cx.check != "STRICT" or not named):
        parts.append(_render_requirement(cx.requirement))
    if named:
        items = "".join(
            f'<li data-check="{_e(check)}"><strong>{_e(check)}</strong>: {_e(message)}'
            + ("" if req is None or req == cx.requirement else _render_requirement(req))
            + "</li>"
            for check, message, req in named
        )
        parts.append(f'<ul class="violations">{items}</ul>')
    if cx.requirement is not None and cx.check == "STRICT" and named:
        requirement, _ = cx.requirement
        parts.append(
            f"<details><summary>{_e(cx.check)} is {_e(requirement)}: the answer differs from the reference's</summary>"
            f"{_render_requirement(cx.requirement)}</details>"
        )
    if cx.expected is not None or cx.got is not None:
        parts.append('<div class="answers">')
        if cx.expected is not None:
            heading = f"<h4>expected (reference {_e(cx.profile)})</h4>"
            parts.append(f'<div class="expected">{heading}<code>{_e(cx.expected)}</code></div>')
        if cx.got is not None:
            parts.append(f'<div class="got"><h4>got (the implementation)</h4><code>{_e(cx.got)}</code></div>')
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


def _render_requirement(requirement: tuple[str, str]) -> str:
    name, sentence = requirement
    return (
        f'<blockquote class="requirement" data-requirement="{_e(name)}"><strong>{_e(name)}.</strong> '
        f"{_e(sentence)}</blockquote>"
    )


def _render_steps(cx: Counterexample) -> str:
    rows = []
    for step in cx.steps:
        last = step.number == cx.failing.number
        answer = "" if step.answer is None else f'<div class="answer">&rarr; {_e(step.answer)}</div>'
        flag = f' <span class="badge">{_e(cx.check)}</span>' if last else ""
        css = ' class="failing-step"' if last else ""
        rows.append(
            f'<tr data-step="{step.number}"{css}><td class="n">{step.number}</td>'
            f'<td class="at">{format_time(step.at)}</td><td><code>{_e(step.text)}</code>{flag}{answer}</td></tr>'
        )
    return (
        '<table class="steps"><thead><tr><th>#</th><th>at</th><th>step, and what the implementation answered'
        f"</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;
color:#222}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}h3{font-size:16px}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f4f4f4;padding:1px 3px;border-radius:3px}
.verdict{padding:10px 14px;border-radius:6px;margin:12px 0}.verdict p{margin:4px 0 0}
.verdict.pass{background:#e6f4ea;border:1px solid #9bd3ae}.verdict.fail{background:#fdecea;border:1px solid #f1a7a0}
table{border-collapse:collapse;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6}
table.matrix td.cell{text-align:center;white-space:nowrap}
td.conformant{background:#e6f4ea}td.not-conformant{background:#fdecea}td.not-served{background:#f4f4f4;color:#777}
td.error{background:#fff4d6}
td.cell a{color:#a11;font-weight:600}
.counterexample{border:1px solid #ddd;border-radius:6px;padding:4px 16px 12px;margin:18px 0}
.meta{color:#555;margin-top:-6px}
.why{background:#fafafa;border-left:4px solid #cc3311;padding:6px 12px;margin:8px 0}
.badge{background:#cc3311;color:#fff;border-radius:3px;padding:0 5px;font-size:12px;font-weight:600}
.also{font-weight:normal;color:#a11;font-size:13px}
blockquote.requirement{margin:6px 0;padding:4px 10px;border-left:3px solid #888;color:#333;background:#fff}
.answers{display:flex;gap:12px;flex-wrap:wrap}.answers>div{flex:1 1 300px}.answers h4{margin:6px 0 2px}
.legend .swatch{margin-right:14px;white-space:nowrap}.legend svg{vertical-align:middle}
.expected code{background:#e6f4ea}.got code{background:#fdecea}
figure.timeline-figure{margin:10px 0;overflow-x:auto}figcaption{color:#555;font-size:12.5px}
svg.timeline text{font:12px system-ui,sans-serif;fill:#333}svg.timeline text.bar-label{font-size:11.5px}
svg.timeline text.instant-label{font-weight:600}svg.timeline text.step-number{font-size:10.5px;fill:#555}
svg.timeline .lane{font-weight:600}svg.timeline .lane-note{font-size:10.5px;fill:#666}svg.timeline .mark{cursor:pointer}
svg.timeline .selected{stroke:#000;stroke-width:3}
table.steps tr.failing-step{background:#fdecea}table.steps tr.selected{outline:2px solid #4477aa}
table.steps td.n,table.steps td.at{white-space:nowrap;color:#555}.answer{color:#333;margin-top:2px}
"""

#: Clicking a step row or a mark selects that step in both: the only script, with no dependency.
_SCRIPT = """
document.querySelectorAll("section.counterexample").forEach(function (section) {
  function select(step) {
    section.querySelectorAll(".selected").forEach(function (e) { e.classList.remove("selected"); });
    section.querySelectorAll('[data-step="' + step + '"]').forEach(function (e) { e.classList.add("selected"); });
  }
  section.querySelectorAll("tr[data-step], .mark[data-step]").forEach(function (e) {
    e.addEventListener("click", function () { select(e.getAttribute("data-step")); });
  });
});
"""


def render_page(title: str, verdict: str, sections: Sequence[Section]) -> str:
    """Return a whole self-contained page: the title, the verdict, then each section under its heading."""
    body = []
    for section in sections:
        anchor = f' id="{section.anchor}"' if section.anchor else ""
        body.append(f"<section{anchor}><h2>{_e(section.title)}</h2>{section.body}</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1>{verdict}{''.join(body)}<script>{_SCRIPT}</script></body></html>\n"
    )


def write_html(path: Path, page: str) -> None:
    """Write ``page`` to ``path``."""
    path.write_text(page, encoding="utf-8")


def render_lines(lines: Iterable[str]) -> str:
    """Return text lines as a preformatted block."""
    return "<pre>" + _e("\n".join(lines)) + "</pre>"


def render_counterexamples(items: Sequence[tuple[str, str, Optional[Counterexample]]]) -> str:
    """Return the counterexamples of ``items`` (anchor, title, counterexample); those without one are left out."""
    return "".join(render_counterexample(cx, anchor, title) for anchor, title, cx in items if cx is not None)


# -- each command's page ------------------------------------------------------------------------


def render_run_page(report: RunReport) -> str:
    """Return the page of ``dialcheck run``: the verdict, the counterexample, the opening pass, waivers, situations."""
    options = report.options
    sections = []
    if report.failure is not None:
        cx = get_counterexample(
            report.failure,
            get_how(report),
            None if report.saved is None else str(report.saved),
            None if report.saved is None else f"dialcheck replay {options.get_subject()} {report.saved}",
        )
        sections.append(Section("Counterexample", render_counterexample(cx, "counterexample")))
    for heading, text in (
        ("Nondeterminism", report.flaky),
        ("After the last example", None if report.after_run is None else format_after_run(report)),
        ("Waivers", format_waivers(report) if report.waived or report.waiver_problems else None),
    ):
        if text:
            sections.append(Section(heading, render_lines([text])))
    sections.append(Section("Opening exhaustive pass", render_lines(format_opening(report).splitlines())))
    sections.append(Section("Situations reached", render_lines(format_stats(report).splitlines()[1:])))
    title = f"dialcheck run: {options.origin} at {options.profile.value}, level {options.level.value}"
    return render_page(title, render_verdict(report.conformant, format_verdict(report)), sections)


def render_check_page(report: CheckReport) -> str:
    """Return the page of ``dialcheck check --exhaustive``: the verdict, the counterexample, each scope."""
    options = report.options
    sections = []
    if report.failure is not None:
        failing = get_failing(report.results)
        where = "" if failing is None else f"found at depth {failing.progress.depth} of scope {failing.scope.name}"
        saved = None if report.saved is None else str(report.saved)
        replay = None if saved is None else f"dialcheck replay {options.get_subject()} {saved}"
        cx = get_counterexample(report.failure, f"shortest: {where}, then no step removable", saved, replay)
        sections.append(Section("Counterexample", render_counterexample(cx, "counterexample")))
    rows = [
        (
            _e(result.scope.name),
            _e(result.scope.describe()),
            "certified" if result.complete else ("divergence" if result.failure is not None else "cut by the budget"),
            f"{result.progress.depth} of {result.scope.depth}",
            f"{result.progress.states:,}",
            f"{result.progress.transitions:,}",
        )
        for result in report.results
    ]
    sections.append(
        Section("Scopes", render_table(("scope", "what", "result", "depth", "states", "transitions"), rows, "scopes"))
    )
    title = f"dialcheck check --exhaustive: {options.origin} at {options.profile.value}"
    return render_page(title, render_verdict(report.conformant, format_check_verdict(report)), sections)


@dataclass(frozen=True)
class ReplayEntry:
    """One trace a replay ran or skipped: its path and name, ``PASS``/``FAIL``/``SKIP``, why, the counterexample."""

    path: str
    name: str
    outcome: str
    reason: str = ""
    counterexample: Optional[Counterexample] = None


def render_replay_page(entries: Sequence[ReplayEntry], verdict_line: str, conformant: bool) -> str:
    """Return the page of ``dialcheck replay``: the verdict, one row per trace, each failure's counterexample."""
    rows = []
    items = []
    for number, entry in enumerate(entries, 1):
        anchor = get_anchor("trace", str(number), entry.name)
        outcome = entry.outcome
        if entry.counterexample is not None:
            outcome = f'<a href="#{anchor}">FAIL {_e(entry.counterexample.check)}</a>'
            items.append((anchor, f"{entry.name}: {entry.counterexample.check}", entry.counterexample))
        css = {"PASS": "conformant", "SKIP": "not-served"}.get(entry.outcome, "not-conformant")
        rows.append(
            (
                _e(entry.name),
                f"<code>{_e(entry.path)}</code>",
                f'<span class="{css}">{outcome}</span>',
                _e(entry.reason),
            )
        )
    sections = [Section("Traces", render_table(("trace", "file", "result", "note"), rows, "traces"))]
    if items:
        sections.append(Section("Counterexamples", render_counterexamples(items)))
    return render_page("dialcheck replay", render_verdict(conformant, verdict_line), sections)


_CELL_CSS = {
    Outcome.CONFORMANT: "conformant",
    Outcome.NOT_CONFORMANT: "not-conformant",
    Outcome.NOT_SERVED: "not-served",
    Outcome.ERROR: "error",
}


def get_cell_anchor(cell: Cell) -> str:
    """Return the anchor of a matrix cell's counterexample."""
    return get_anchor("cell", cell.label, cell.profile.value, cell.level.value)


def _render_cell(cell: Cell) -> str:
    mark = {Outcome.CONFORMANT: "pass", Outcome.NOT_CONFORMANT: "FAIL", Outcome.NOT_SERVED: "not served"}.get(
        cell.verdict, "ERROR"
    )
    text = _e(mark) + ("" if cell.check is None else f" {_e(cell.check)}")
    details = []
    if cell.counterexample_steps is not None:
        details.append(f"{cell.counterexample_steps} steps")
    if cell.verdict in (Outcome.CONFORMANT, Outcome.NOT_CONFORMANT):
        details.append(f"{cell.seconds:.1f} s")
    if cell.waived:
        details.append("waived " + ", ".join(cell.waived))
    small = f"<br><small>{_e(', '.join(details))}</small>" if details else ""
    if cell.counterexample is not None:
        text = f'<a href="#{get_cell_anchor(cell)}">{text}</a>'
    return text + small


def render_matrix_page(cells: Sequence[Cell], entrants: Sequence[Entrant]) -> str:
    """Return the page of ``dialcheck matrix``: the grid, each failing cell linking to its counterexample's timeline."""
    profiles = list(dict.fromkeys(c.profile for c in cells))
    levels = list(dict.fromkeys(c.level for c in cells))
    head = "".join(f'<th colspan="{len(levels)}">{_e(p.value)}</th>' for p in profiles)
    sub = "".join(f"<th>{_e(level.value)}</th>" for _ in profiles for level in levels)
    rows = []
    for entrant in entrants:
        what = entrant.impl if entrant.cmd is None else entrant.cmd
        row = [f'<th class="entrant">{_e(entrant.label)}<br><small><code>{_e(what)}</code></small></th>']
        for profile in profiles:
            for level in levels:
                cell = next(c for c in cells if (c.label, c.profile, c.level) == (entrant.label, profile, level))
                row.append(
                    f'<td class="cell {_CELL_CSS[cell.verdict]}" id="{get_cell_anchor(cell)}-cell" '
                    f'data-verdict="{_e(cell.verdict.value)}">{_render_cell(cell)}</td>'
                )
        rows.append("<tr>" + "".join(row) + "</tr>")
    grid = (
        f'<table id="matrix" class="matrix"><thead><tr><th rowspan="2">implementation</th>{head}</tr>'
        f"<tr>{sub}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    sections = [Section("Matrix", grid, "grid")]
    notes = [c for c in cells if c.message and c.verdict is not Outcome.CONFORMANT and c.counterexample is None]
    if notes:
        items = "".join(
            f"<li><strong>{_e(c.label)}</strong>, {_e(c.profile.value)} {_e(c.level.value)}: {_e(c.message)}</li>"
            for c in notes
        )
        sections.append(Section("Cells without a counterexample", f"<ul>{items}</ul>"))
    items_cx = [
        (get_cell_anchor(c), f"{c.label}, {c.profile.value} {c.level.value}: {c.check}", c.counterexample)
        for c in cells
    ]
    if any(cx is not None for _, _, cx in items_cx):
        sections.append(Section("Counterexamples", render_counterexamples(items_cx)))
    failed = count_failed(cells)
    line = f"dialcheck matrix: {len(entrants)} implementation(s), {len(cells)} cell(s), {failed} failed"
    return render_page("dialcheck matrix", render_verdict(failed == 0, line), sections)
