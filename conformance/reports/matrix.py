"""``dialcheck matrix``: several implementations across profiles and levels, one report.

Theory of operation
-------------------
Each *entrant* is an implementation with a label: ``--impl LABEL=MODULE:FACTORY``
or ``--cmd LABEL=COMMAND``, with its own ID width and waivers.  For every
entrant, every profile asked for and every level, :func:`run_matrix` makes one
default ``dialcheck run`` and keeps a :class:`Cell`: the verdict, the check that failed first,
the length of the shrunk counterexample, the time to the verdict (to the first
failure seen when there is one) and the saved trace.  A profile the entrant
does not serve is a cell of its own (``not served``); an entrant that cannot be
started or loaded is ``error`` in each of its cells, and the other entrants
still run.  Each cell is one request to the engine (``--jobs N``, a Dask cluster;
``harness/workers.py``): the worker opens the entrant (a ``--cmd`` program is
started for the cell and ended after it, and what it did wrong on the way out
fails that cell), runs the cell, and sends its trace back as text; the traces
are saved here, so the cells are the same on every engine.
:func:`format_markdown` and :func:`get_matrix_json` write the
matrix, in the spirit of Autobahn|Testsuite's multi-implementation report and
hive's client matrix.
"""

from __future__ import annotations

import datetime
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from dialcheck.conformance.drivers.subject import Subject, open_subject
from dialcheck.conformance.drivers.wire_adapter import DEFAULT_TIMEOUT
from dialcheck.conformance.harness.family import AnyProfile, family_of
from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.harness.waivers import Waiver
from dialcheck.conformance.harness.workers import Engine, Job, SharedOpener, get_engine
from dialcheck.conformance.reports.counterexample import Counterexample, get_counterexample
from dialcheck.conformance.reports.report import get_how
from dialcheck.conformance.runs.options import DEFAULT_STEPS, OPENING_STATES, RunOptions
from dialcheck.conformance.runs.runner import RunReport, run_conformance
from dialcheck.spec.verdicts import BadInput, Outcome

__all__ = [
    "FORMAT",
    "Entrant",
    "Cell",
    "run_matrix",
    "format_markdown",
    "get_matrix_json",
    "count_failed",
    "parse_labelled",
]

FORMAT = "dialcheck-matrix/1"
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


def parse_labelled(text: str, option: str) -> tuple[str, str]:
    """Return ``(label, value)`` of ``LABEL=VALUE``; ``BadInput`` says how to write it."""
    label, sep, value = text.partition("=")
    if not sep or not value or _LABEL.match(label) is None:
        raise BadInput(
            f"dialcheck matrix: {option} {text!r}: write {option} LABEL=VALUE, the label made of letters, digits "
            "and ._+- (it names the implementation in the report and its trace folder)"
        )
    return label, value


@dataclass(frozen=True)
class Entrant:
    """One implementation of the matrix: ``impl`` or ``cmd``, its ID width and its waivers."""

    label: str
    impl: Optional[str] = None
    cmd: Optional[str] = None
    id_bytes: Optional[int] = None
    waivers: tuple[Waiver, ...] = ()


@dataclass
class Cell:
    """One implementation under one profile at one level."""

    label: str
    profile: AnyProfile
    level: Level
    verdict: Outcome
    check: Optional[str] = None
    message: str = ""
    counterexample_steps: Optional[int] = None
    seconds: float = 0.0
    examples: int = 0
    steps: int = 0
    saved: Optional[str] = None
    waived: dict[str, int] = field(default_factory=dict)
    #: The saved trace's text, carried from the worker that ran the cell (written under ``saved`` here).
    trace_text: Optional[str] = field(default=None, repr=False)
    #: The failure as the HTML report shows it (its timeline), carried from the worker like the trace.
    counterexample: Optional[Counterexample] = field(default=None, repr=False)
    #: How ``dialcheck replay`` names the implementation (``--impl X`` or ``--cmd "..."``).
    subject: str = ""


@dataclass(frozen=True)
class MatrixOptions:
    """What every cell's run shares."""

    examples: Optional[int] = None
    steps: int = DEFAULT_STEPS
    seed: Optional[int] = None
    hypothesis_profile: str = "ci"
    timeout: float = DEFAULT_TIMEOUT
    out: Path = Path("dialcheck-matrix")
    today: Optional[datetime.date] = None
    #: Where the cells run (default: here, one after another).
    engine: Optional[Engine] = None
    #: Each cell's opening exhaustive pass: its budget of states (0: off).
    opening: int = OPENING_STATES


def _get_cell(entrant: Entrant, report: RunReport) -> Cell:
    cell = Cell(
        entrant.label,
        report.options.profile,
        report.options.level,
        Outcome.of(report.conformant),
        examples=report.examples,
        steps=report.steps,
        waived={check.value: count for check, count in sorted(report.waived.items())},
    )
    cell.seconds = report.first_failure if report.first_failure is not None else report.seconds
    failure = report.failure
    cell.subject = report.options.get_subject()
    if failure is not None:
        cell.check, cell.message = failure.check.value, failure.message
        cell.counterexample_steps = len(failure.trace.steps)
        cell.counterexample = get_counterexample(failure, get_how(report))
        if report.saved is not None:
            cell.saved, cell.trace_text = report.saved.name, report.saved.read_text(encoding="utf-8")
    elif report.flaky is not None:
        cell.check, cell.message = "NONDETERMINISTIC", report.flaky
    elif report.after_run is not None:
        cell.check, cell.message = report.after_run.verdict.value, report.after_run.message
    elif report.waiver_problems:
        cell.check, cell.message = "WAIVERS", "; ".join(report.waiver_problems)
    return cell


def run_matrix(
    entrants: Sequence[Entrant],
    profiles: Sequence[AnyProfile],
    levels: Sequence[Level],
    options: MatrixOptions,
    on_cell: Optional[Callable[[Cell, int, int], None]] = None,
) -> list[Cell]:
    """Run every entrant under every profile at every level on the engine; return the cells in that order.

    ``on_cell`` is told of each cell as its answer comes, with how many are done of how many.
    """
    requests = [(entrant, profile, level) for entrant in entrants for profile in profiles for level in levels]
    job = Job(SharedOpener(None), _RunCell(replace(options, engine=None)))
    cells: list[Cell] = []
    with get_engine(options.engine, 1).open(job) as pool:
        for cell in pool.map(requests):
            cells.append(cell)
            if on_cell is not None:
                on_cell(cell, len(cells), len(requests))
    for cell in cells:
        if cell.saved is not None and cell.trace_text is not None:
            folder = options.out / "traces" / cell.label
            folder.mkdir(parents=True, exist_ok=True)
            (folder / cell.saved).write_text(cell.trace_text, encoding="utf-8")
            cell.saved, cell.trace_text = str(folder / cell.saved), None
            if cell.counterexample is not None:
                replay = f"dialcheck replay {cell.subject} {cell.saved}"
                cell.counterexample = replace(cell.counterexample, saved=cell.saved, replay=replay)
    return cells


@dataclass(frozen=True)
class _RunCell:
    """Runs one cell where the engine puts it: opens the entrant, runs the profile at the level, closes it."""

    options: MatrixOptions

    def __call__(self, _: object, request: tuple[Entrant, AnyProfile, Level]) -> Cell:
        entrant, profile, level = request
        options = self.options
        family = family_of(profile)
        try:
            with open_subject(
                entrant.impl or "", entrant.cmd, options.timeout, [], "dialcheck matrix", entrant.id_bytes, family
            ) as subject:
                if profile not in subject.capabilities.profiles:
                    reason = f"the implementation does not serve it ({subject.capabilities.source})"
                    return Cell(entrant.label, profile, level, Outcome.NOT_SERVED, message=reason)
                cell = self._run(entrant, subject, profile, level)
                after = subject.close()
        except BadInput as exc:
            return Cell(entrant.label, profile, level, Outcome.ERROR, message=str(exc))
        if after is not None and cell.verdict is Outcome.CONFORMANT:
            cell.verdict, cell.check = Outcome.NOT_CONFORMANT, after.verdict.value
            cell.message = f"after the last example: {after.message}"
        return cell

    def _run(self, entrant: Entrant, subject: Subject, profile: AnyProfile, level: Level) -> Cell:
        options = self.options
        with tempfile.TemporaryDirectory(prefix="dialcheck-cell-") as folder:
            run = RunOptions(
                factory=subject.factory,
                origin=subject.origin,
                subject=subject.selector,
                profile=profile,
                level=level,
                examples=options.examples,
                steps=options.steps,
                seed=options.seed,
                hypothesis_profile=options.hypothesis_profile,
                save_dir=Path(folder),
                id_bytes=subject.id_bytes,
                waivers=entrant.waivers,
                today=options.today,
                opening=options.opening,
            )
            return _get_cell(entrant, run_conformance(run))


def _format_seconds(seconds: float) -> str:
    return f"{seconds:.1f} s"


#: How the overview marks each outcome.
_MARKS = {Outcome.CONFORMANT: "pass", Outcome.NOT_CONFORMANT: "FAIL", Outcome.NOT_SERVED: "-", Outcome.ERROR: "ERROR"}


def format_markdown(cells: Sequence[Cell], entrants: Sequence[Entrant]) -> str:
    """Return the matrix as Markdown: an overview, then one row per cell, then why cells did not pass."""
    lines = ["# dialcheck matrix", "", *_format_overview(cells, entrants), "", *_format_cells(cells)]
    notes = _format_notes(cells)
    if notes:
        lines += ["", "## Why", "", *notes]
    return "\n".join(lines) + "\n"


def _format_overview(cells: Sequence[Cell], entrants: Sequence[Entrant]) -> list[str]:
    """Return one row per implementation, one column per profile and level: the outcome and its check."""
    profiles = list(dict.fromkeys(c.profile for c in cells))
    levels = list(dict.fromkeys(c.level for c in cells))
    columns = [f"{p.value} {lv.value}" for p in profiles for lv in levels]
    lines = ["| implementation | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for entrant in entrants:
        row = []
        for profile in profiles:
            for level in levels:
                cell = next(c for c in cells if (c.label, c.profile, c.level) == (entrant.label, profile, level))
                text = _MARKS[cell.verdict] + ("" if cell.check is None else f" {cell.check}")
                row.append(text + ("" if not cell.waived else " (waived " + ", ".join(cell.waived) + ")"))
        what = entrant.impl if entrant.cmd is None else f"`{entrant.cmd}`"
        lines.append(f"| **{entrant.label}** ({what}) | " + " | ".join(row) + " |")
    return lines


def _format_cells(cells: Sequence[Cell]) -> list[str]:
    """Return the table of every cell: its verdict, check, counterexample, time, examples, steps and trace."""
    lines = [
        "| implementation | profile | level | verdict | check | counterexample | time to verdict | examples | steps "
        "| trace |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in cells:
        length = "" if c.counterexample_steps is None else f"{c.counterexample_steps} steps"
        ran = c.verdict in (Outcome.CONFORMANT, Outcome.NOT_CONFORMANT)
        lines.append(
            f"| {c.label} | {c.profile.value} | {c.level.value} | {c.verdict} | {c.check or ''} | {length} | "
            f"{_format_seconds(c.seconds) if ran else ''} | {f'{c.examples:,}' if ran else ''} | "
            f"{f'{c.steps:,}' if ran else ''} | {'' if c.saved is None else f'`{c.saved}`'} |"
        )
    return lines


def _format_notes(cells: Sequence[Cell]) -> list[str]:
    """Return why cells did not pass, one line per implementation and message, naming the cells it holds for."""
    notes = [c for c in cells if c.message and c.verdict != Outcome.CONFORMANT]
    lines = []
    for label, message in dict.fromkeys((c.label, c.message) for c in notes):
        where = [f"{c.profile.value} {c.level.value}" for c in notes if (c.label, c.message) == (label, message)]
        lines.append(f"- **{label}**, {', '.join(where)}: {message}")
    return lines


def get_matrix_json(cells: Sequence[Cell], entrants: Sequence[Entrant], timings: bool = True) -> dict[str, object]:
    """Return the matrix as a JSON document (``dialcheck-matrix/1``; without wall-clock figures: ``timings``)."""
    document: dict[str, object] = {
        "format": FORMAT,
        "implementations": [
            {"label": e.label, "impl": e.impl, "cmd": e.cmd, "id_bytes": e.id_bytes, "waivers": len(e.waivers)}
            for e in entrants
        ],
        "cells": [
            {
                "implementation": c.label,
                "profile": c.profile.value,
                "level": c.level.value,
                "verdict": c.verdict.value,
                "check": c.check,
                "message": c.message,
                "counterexample_steps": c.counterexample_steps,
                "examples": c.examples,
                "steps": c.steps,
                "trace": c.saved,
                "waived": c.waived,
                **({"seconds_to_verdict": round(c.seconds, 3)} if timings else {}),
            }
            for c in cells
        ],
    }
    return document


def count_failed(cells: Sequence[Cell]) -> int:
    """Return how many cells failed (a profile not served is not a failure)."""
    return sum(1 for c in cells if c.verdict not in (Outcome.CONFORMANT, Outcome.NOT_SERVED))
