"""``dialcheck mutants``."""

from __future__ import annotations

import argparse
from pathlib import Path

from dialcheck.conformance.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    UsageError,
    positive,
    write_report,
)
from dialcheck.conformance.cli.progress import ProgressLine
from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.runs.options import (
    HYPOTHESIS_PROFILES,
    get_default_hypothesis_profile,
)

DESCRIPTION = (
    "Exit 0 when every member is killed (at invariants level: every member a named "
    "invariant can see), 1 otherwise, 2 on bad input."
)


def add_arguments(command: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    command.add_argument("--level", choices=[lv.value for lv in Level], default=Level.STRICT.value)
    command.add_argument("--json", metavar="FILE", type=Path, help="also write the matrix as JSON")
    command.add_argument("--member", action="append", metavar="NAME", help="only this member (repeatable)")
    command.add_argument(
        "--examples", type=positive, metavar="N", help="examples per member (default: dialcheck run's)"
    )
    command.add_argument("--hypothesis-profile", choices=HYPOTHESIS_PROFILES, default=None)


def run(args: argparse.Namespace) -> int:
    """Run the command; return its exit code."""
    from dialcheck.conformance.reports.mutants import (
        AnyMember,
        Row,
        format_matrix_header,
        format_row,
        format_summary,
        is_gap,
        run_mutants,
        write_matrix_json,
    )
    from dialcheck.conformance.zoo import MEMBERS, SCHEDULER_MEMBERS

    every: tuple[AnyMember, ...] = (*MEMBERS, *SCHEDULER_MEMBERS)  # both families
    names = {m.name for m in every}
    unknown = sorted(set(args.member or ()) - names)
    if unknown:
        raise UsageError(
            f"dialcheck mutants: no zoo member called {', '.join(unknown)}; the members are {', '.join(sorted(names))}"
        )
    members = [m for m in every if not args.member or m.name in args.member]
    level = Level(args.level)
    print(format_matrix_header(), flush=True)
    progress = ProgressLine("dialcheck mutants")
    done: list[Row] = []

    def on_row(row: Row) -> None:
        progress.clear()
        print(format_row(row), flush=True)
        done.append(row)
        progress.show(len(done), len(members), "members", force=True)

    progress.show(0, len(members), "members", force=True)
    rows = run_mutants(
        level,
        args.hypothesis_profile or get_default_hypothesis_profile(),
        members,
        args.examples,
        on_row=on_row,
    )
    progress.clear()
    if args.json is not None:
        write_report(args.json, lambda path: write_matrix_json(rows, path))
    print(format_summary(rows))
    return EXIT_FAIL if any(is_gap(r) for r in rows) else EXIT_OK
