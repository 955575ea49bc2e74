"""``dialcheck matrix``."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from dialcheck.conformance.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    UsageError,
    add_engine,
    add_html,
    add_timings,
    non_negative,
    open_command_engine,
    positive,
    positive_seconds,
    write_html_report,
)
from dialcheck.conformance.cli.progress import ProgressLine
from dialcheck.conformance.formats.wire import DEFAULT_TIMEOUT
from dialcheck.conformance.harness.family import ALL_PROFILES, get_profile
from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.harness.waivers import load_waivers
from dialcheck.conformance.reports.matrix import Entrant

if TYPE_CHECKING:
    from dialcheck.conformance.harness.family import AnyProfile
    from dialcheck.conformance.reports.matrix import Cell, MatrixOptions
from dialcheck.conformance.runs.options import (
    DEFAULT_EXAMPLES,
    DEFAULT_STEPS,
    HYPOTHESIS_PROFILES,
    OPENING_STATES,
    get_default_hypothesis_profile,
)

DESCRIPTION = (
    "Run every implementation (--impl LABEL=MODULE:FACTORY, --cmd LABEL=COMMAND; at least one) "
    "under every profile and level asked for, and write DIR/matrix.md, DIR/matrix.json and the failing "
    "traces under DIR/traces/LABEL/. Exit 0 when no cell fails (a profile an implementation does not serve "
    "is not a failure), 1 otherwise, 2 bad input."
)


def add_arguments(command: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    command.add_argument("--impl", action="append", default=[], metavar="LABEL=MODULE:FACTORY")
    command.add_argument("--cmd", action="append", default=[], metavar="LABEL=COMMAND")
    command.add_argument("--id-bytes", action="append", default=[], metavar="LABEL=32|64")
    command.add_argument(
        "--waivers", action="append", default=[], metavar="LABEL=FILE", help="that implementation's waivers file"
    )
    command.add_argument(
        "--profile",
        action="append",
        choices=list(ALL_PROFILES),
        help="repeatable (default: every profile of both families)",
    )
    command.add_argument(
        "--level", action="append", choices=[lv.value for lv in Level], help="repeatable (default: both)"
    )
    command.add_argument(
        "--examples", type=positive, metavar="N", help=f"examples per cell (default {DEFAULT_EXAMPLES})"
    )
    command.add_argument("--steps", type=positive, metavar="N", default=DEFAULT_STEPS)
    command.add_argument("--seed", type=int, metavar="N")
    command.add_argument("--hypothesis-profile", choices=HYPOTHESIS_PROFILES, default=None)
    command.add_argument("--timeout", type=positive_seconds, metavar="SECONDS", default=DEFAULT_TIMEOUT)
    command.add_argument("--out", metavar="DIR", type=Path, default=Path("dialcheck-matrix"))
    command.add_argument(
        "--opening",
        type=non_negative,
        default=OPENING_STATES,
        metavar="STATES",
        help=f"each cell's opening exhaustive pass, as dialcheck run's (default {OPENING_STATES:,}; 0 turns it off)",
    )
    add_engine(command, "cells")
    add_timings(command)
    add_html(command)


def _get_entrants(args: argparse.Namespace) -> list["Entrant"]:
    """Return the implementations a ``matrix`` command names, with their widths and waivers."""
    from dialcheck.conformance.reports.matrix import Entrant, parse_labelled

    entrants: dict[str, Entrant] = {}
    for option, values in (("--impl", args.impl), ("--cmd", args.cmd)):
        for text in values:
            label, value = parse_labelled(text, option)
            if label in entrants:
                raise UsageError(f"dialcheck matrix: the label {label!r} names two implementations; give each its own")
            entrants[label] = Entrant(label, value, None) if option == "--impl" else Entrant(label, None, value)
    if not entrants:
        raise UsageError("dialcheck matrix: name at least one implementation with --impl LABEL=... or --cmd LABEL=...")
    for option, values in (("--id-bytes", args.id_bytes), ("--waivers", args.waivers)):
        for text in values:
            label, value = parse_labelled(text, option)
            if label not in entrants:
                raise UsageError(
                    f"dialcheck matrix: {option} {text!r} names no implementation (labels: {', '.join(entrants)})"
                )
            if option == "--id-bytes":
                if value not in ("32", "64"):
                    raise UsageError(f"dialcheck matrix: --id-bytes {text!r}: the width is 32 or 64")
                entrants[label] = replace(entrants[label], id_bytes=int(value))
            else:
                entrants[label] = replace(entrants[label], waivers=load_waivers(Path(value)))
    return list(entrants.values())


def run(args: argparse.Namespace) -> int:
    """Run the command; return its exit code."""
    from dialcheck.conformance.reports.matrix import (
        MatrixOptions,
        count_failed,
        format_markdown,
        get_matrix_json,
    )

    entrants = _get_entrants(args)
    profiles = [get_profile(p) for p in dict.fromkeys(args.profile or list(ALL_PROFILES))]
    levels = [Level(lv) for lv in dict.fromkeys(args.level or [lv.value for lv in Level])]
    options = MatrixOptions(
        examples=args.examples,
        steps=args.steps,
        seed=args.seed,
        hypothesis_profile=args.hypothesis_profile or get_default_hypothesis_profile(),
        timeout=args.timeout,
        out=args.out,
        opening=args.opening,
    )
    cells = _run_cells(entrants, profiles, levels, options, args)
    markdown = format_markdown(cells, entrants)
    document = json.dumps(get_matrix_json(cells, entrants, args.timings), indent=2, sort_keys=True) + "\n"
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "matrix.md").write_text(markdown, encoding="utf-8")
        (args.out / "matrix.json").write_text(document, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"dialcheck matrix: cannot write to {args.out}: {exc.strerror or exc}") from None
    from dialcheck.conformance.reports.html import render_matrix_page

    write_html_report(args.html, lambda: render_matrix_page(cells, entrants))
    print(markdown, end="")
    failed = count_failed(cells)
    print(
        f"dialcheck matrix: {len(entrants)} implementation(s), {len(cells)} cell(s), {failed} failed; "
        f"written to {args.out / 'matrix.md'} and {args.out / 'matrix.json'}"
    )
    return EXIT_OK if failed == 0 else EXIT_FAIL


def _run_cells(
    entrants: list[Entrant],
    profiles: list["AnyProfile"],
    levels: list[Level],
    options: "MatrixOptions",
    args: argparse.Namespace,
) -> list["Cell"]:
    """Run the cells on the command's engine, with the progress line on a terminal: cells done of the total."""
    from dialcheck.conformance.reports.matrix import run_matrix

    progress = ProgressLine("dialcheck matrix")
    progress.show(0, len(entrants) * len(profiles) * len(levels), "cells", force=True)

    def on_cell(cell: "Cell", done: int, total: int) -> None:
        last = f"last {cell.label} {cell.profile.value} {cell.level.value}: {cell.verdict.value}"
        progress.show(done, total, "cells", last, force=True)

    try:
        with open_command_engine(args) as engine:
            return run_matrix(entrants, profiles, levels, replace(options, engine=engine), on_cell)
    finally:
        progress.clear()
