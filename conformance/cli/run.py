"""``dialcheck run``."""

from __future__ import annotations

import argparse
from pathlib import Path

from dialcheck.conformance.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    UsageError,
    add_engine,
    add_html,
    add_subject,
    add_timings,
    get_opener,
    non_negative,
    open_command_engine,
    open_command_subject,
    positive,
    write_html_report,
    write_report,
)
from dialcheck.conformance.cli.progress import ProgressLine
from dialcheck.conformance.harness.family import ALL_PROFILES, get_profile
from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.harness.waivers import load_waivers
from dialcheck.conformance.runs.options import (
    DEFAULT_EXAMPLES,
    DEFAULT_STEPS,
    HYPOTHESIS_PROFILES,
    OPENING_STATES,
    RunOptions,
    get_default_hypothesis_profile,
)
from dialcheck.conformance.runs.runner import AnyRunContext, Progress, RunReport, run_conformance
from dialcheck.spec.model import Profile

DESCRIPTION = (
    "Run the conformance machine against an implementation. Exit 0 conformant, "
    "1 not conformant, 2 usage or harness error. The last line printed is the verdict."
)


def add_arguments(command: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    add_subject(command)
    command.add_argument("--profile", choices=list(ALL_PROFILES), default=Profile.GETH_1_7.value)
    command.add_argument("--level", choices=[lv.value for lv in Level], default=Level.STRICT.value)
    command.add_argument("--examples", type=positive, metavar="N", help=f"examples to run (default {DEFAULT_EXAMPLES})")
    command.add_argument(
        "--steps",
        type=positive,
        metavar="N",
        default=DEFAULT_STEPS,
        help=f"most steps per example (default {DEFAULT_STEPS})",
    )
    command.add_argument("--seed", type=int, metavar="N", help="seed the example generation (same seed, same examples)")
    command.add_argument(
        "--hypothesis-profile",
        choices=HYPOTHESIS_PROFILES,
        default=None,
        help="ci: derandomized, no example database (the default when CI is set); default; thorough: 10x examples",
    )
    command.add_argument(
        "--save-failures",
        metavar="DIR",
        type=Path,
        default=Path("dialcheck-failures"),
        help="where a failing trace is saved (default dialcheck-failures/)",
    )
    command.add_argument("--json", metavar="FILE", type=Path, help="also write the report as JSON")
    add_timings(command)
    add_html(command)
    command.add_argument("--junit", metavar="FILE", type=Path, help="also write the report as JUnit XML")
    command.add_argument("--stats", action="store_true", help="print how often each situation occurred")
    add_engine(command, "chunks of examples and the opening pass's shards")
    command.add_argument(
        "--opening",
        type=non_negative,
        default=OPENING_STATES,
        metavar="STATES",
        help="the opening exhaustive pass: at most STATES states of the family's opening preset are explored before "
        f"the random examples (default {OPENING_STATES:,}, enough for every scope; 0 turns it off; "
        "docs/exhaustive.md)",
    )
    command.add_argument(
        "--waivers",
        metavar="FILE",
        type=Path,
        help="expected failures (dialcheck-waivers/1): waived checks of this profile and level are noted, not failed; "
        "the run fails if one has expired or never fails",
    )


def run(args: argparse.Namespace) -> int:
    """Run the command; return its exit code."""
    # The run needs Hypothesis; serve and replay start without it (RunOptions comes in with the runner).
    profile = get_profile(args.profile)
    waivers = () if args.waivers is None else load_waivers(args.waivers)
    with open_command_subject(args, [profile]) as subject, open_command_engine(args) as engine:
        options = RunOptions(
            factory=subject.factory,
            origin=subject.origin,
            subject=subject.selector,
            profile=profile,
            level=Level(args.level),
            examples=args.examples,
            steps=args.steps,
            seed=args.seed,
            hypothesis_profile=args.hypothesis_profile or get_default_hypothesis_profile(),
            save_dir=args.save_failures,
            id_bytes=subject.id_bytes,
            waivers=waivers,
            jobs=args.jobs,
            opener=get_opener(args, profile),
            engine=engine,
            opening=args.opening,
        )
        report = _run_reported(options)
        report.after_run = subject.close()
    return _print_run(args, report)


def _make_progress(progress: ProgressLine, total: int) -> "Progress":
    """Return what the run calls after each example: the progress line, examples of ``total`` and steps."""

    def show(context: "AnyRunContext", elapsed: float) -> None:
        progress.show(context.examples, total, "examples", f"{context.steps:,} steps")

    return show


def _run_reported(options: "RunOptions") -> "RunReport":
    """Run ``options``, with a progress line on a terminal; a trace that cannot be saved is a usage error."""
    progress = ProgressLine("dialcheck run")
    progress.say(f"the opening exhaustive pass (up to {options.opening:,} states)")
    try:
        # Off a terminal the run is given no progress hook at all: nothing to call after each example.
        shown = _make_progress(progress, options.get_examples()) if progress.enabled else None
        return run_conformance(options, shown)
    except OSError as exc:
        raise UsageError(
            f"dialcheck run: cannot save the failing trace under {options.save_dir}: {exc.strerror or exc}; "
            "pass a writable --save-failures DIR"
        ) from None
    finally:
        progress.clear()


def _print_run(args: argparse.Namespace, report: "RunReport") -> int:
    """Print a run's report (failure, waivers, stats, JSON, JUnit, the verdict last); return the exit code."""
    from dialcheck.conformance.reports.report import (
        format_after_run,
        format_failure_report,
        format_opening,
        format_stats,
        format_verdict,
        format_waivers,
        write_json,
        write_junit,
    )

    if report.failure is not None:
        print(format_failure_report(report))
    print(format_opening(report))
    if report.flaky is not None:
        print(f"FAILED NONDETERMINISTIC\n  {report.flaky}")
        if report.failure is None and report.saved is not None:
            print(f"  the trace up to the failure first seen is saved as {report.saved}")
    if report.after_run is not None:
        print(format_after_run(report))
    if report.waived or report.waiver_problems:
        print(format_waivers(report))
    if args.stats:
        print(format_stats(report))
    if args.json is not None:
        write_report(args.json, lambda path: write_json(report, path, args.timings))
    if args.junit is not None:
        write_report(args.junit, lambda path: write_junit(report, path))
    from dialcheck.conformance.reports.html import render_run_page

    write_html_report(args.html, lambda: render_run_page(report))
    print(format_verdict(report))
    return EXIT_OK if report.conformant else EXIT_FAIL
