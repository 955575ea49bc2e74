"""``dialcheck check``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dialcheck.conformance.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    UsageError,
    add_engine,
    add_html,
    add_subject,
    add_timings,
    get_opener,
    open_command_engine,
    open_command_subject,
    positive,
    write_html_report,
    write_report,
)
from dialcheck.conformance.cli.progress import ProgressLine, format_duration
from dialcheck.conformance.harness.family import ALL_PROFILES, family_of, get_profile
from dialcheck.spec.model import Profile

if TYPE_CHECKING:
    from dialcheck.conformance.runs.exhaustive import ScopeResult

DESCRIPTION = (
    "Bounded exhaustive checking (docs/exhaustive.md): every event of each scope of the preset, "
    "breadth first up to its depth, every transition judged at strict level; states merge by the reference's "
    "state. Prints a certificate line per scope, or the shortest counterexample (saved as a trace that "
    "dialcheck replay reproduces). Exit 0 certified, 1 a divergence, 2 bad input."
)


def add_arguments(command: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    add_subject(command)
    command.add_argument(
        "--exhaustive", action="store_true", help="bounded exhaustive checking (the one checking mode; required)"
    )
    command.add_argument("--profile", choices=list(ALL_PROFILES), default=Profile.GETH_1_7.value)
    command.add_argument(
        "--preset",
        default="zoo",
        metavar="NAME",
        help="the scope: a preset (tiny, zoo, ...) or one of its scopes (zoo/lookups); default zoo",
    )
    command.add_argument("--depth", type=positive, metavar="N", help="explore every scope to this depth instead")
    add_engine(command, "shards of each depth's frontier")
    command.add_argument(
        "--save-failures",
        metavar="DIR",
        type=Path,
        default=Path("dialcheck-failures"),
        help="where a failing trace is saved (default dialcheck-failures/)",
    )
    command.add_argument("--json", metavar="FILE", type=Path, help="also write the result as JSON (dialcheck-check/1)")
    add_timings(command)
    add_html(command)


def run(args: argparse.Namespace) -> int:
    """Run the command; return its exit code."""
    from dialcheck.conformance.reports.report import format_check_report, format_check_verdict, write_check_json
    from dialcheck.conformance.runs.exhaustive import CheckOptions, get_scopes, run_exhaustive

    if not args.exhaustive:
        raise UsageError("dialcheck check: say --exhaustive (bounded exhaustive checking is its one mode)")
    profile = get_profile(args.profile)
    get_scopes(args.preset, None, family_of(profile))  # bad input before anything starts

    progress = ProgressLine("dialcheck check")
    show = _make_show(progress, len(get_scopes(args.preset, None, family_of(profile))))

    with open_command_subject(args, [profile]) as subject, open_command_engine(args) as engine:
        options = CheckOptions(
            factory=subject.factory,
            origin=subject.origin,
            profile=profile,
            preset=args.preset,
            depth=args.depth,
            save_dir=args.save_failures,
            subject=subject.selector,
            id_bytes=subject.id_bytes,
            jobs=args.jobs,
            opener=get_opener(args, profile),
            engine=engine,
        )
        try:
            report = run_exhaustive(options, show)
            progress.clear()
        except OSError as exc:
            raise UsageError(
                f"dialcheck check: cannot save the failing trace under {options.save_dir}: {exc.strerror or exc}; "
                "pass a writable --save-failures DIR"
            ) from None
        report.after_run = subject.close()
    print(format_check_report(report))
    if args.json is not None:
        write_report(args.json, lambda path: write_check_json(report, path, args.timings))
    from dialcheck.conformance.reports.html import render_check_page

    write_html_report(args.html, lambda: render_check_page(report))
    print(format_check_verdict(report))
    return EXIT_OK if report.conformant else EXIT_FAIL


def _describe_progress(result: "ScopeResult", index: int, total: int) -> str:
    """Return how far an exhaustive check is: the scope, its depth and frontier, what the next depth may cost.

    The estimate is the last depth's time per transition times the transitions the frontier may have
    (its states times the last depth's transitions per state).
    """
    progress = result.progress
    depth = len(progress.transitions_by_depth)
    frontier = progress.states_by_depth[-1]
    text = (
        f"scope {index} of {total} ({result.scope.name}): depth {depth} of {result.scope.depth}, "
        f"frontier {frontier:,} states"
    )
    before = progress.states_by_depth[-2] if len(progress.states_by_depth) > 1 else 1
    if depth < result.scope.depth and progress.transitions and frontier:
        per_transition = result.seconds / progress.transitions
        coming = frontier * progress.transitions_by_depth[-1] / max(before, 1)
        text += f", next depth about {format_duration(per_transition * coming)}"
    return text


def _make_show(progress: ProgressLine, total: int) -> Callable[["ScopeResult"], None]:
    """Return what the check calls after each depth: a line per depth, and the progress line on a terminal."""
    scopes: dict[str, int] = {}

    def show(result: ScopeResult) -> None:
        depth = len(result.progress.transitions_by_depth)
        scopes.setdefault(result.scope.name, len(scopes) + 1)
        progress.clear()
        if depth == 1:
            print(f"scope {result.scope.describe()}")
        print(
            f"  depth {depth}: {result.progress.states_by_depth[-1]:,} new states, "
            f"{result.progress.transitions_by_depth[-1]:,} transitions, {result.seconds:.1f} s",
            flush=True,
        )
        progress.say(_describe_progress(result, scopes[result.scope.name], total))

    return show
