"""The ``dialcheck`` command line.

Exit codes: 0 conformant / all traces pass, 1 not conformant / a trace fails,
2 bad input (a wrong command line, a malformed or missing trace, an
implementation that cannot be loaded, a ``--cmd`` that cannot be started,
does not say hello or does not serve the profile asked for).  Errors are one
paragraph on stderr, never a Python traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, NoReturn, Optional, cast

from dialcheck.conformance.execution_checks import supports_execution
from dialcheck.conformance.family import ALL_PROFILES, DIAL_SCHEDULER, FAMILIES, AnyProfile, family_of, get_profile
from dialcheck.conformance.loader import REFERENCE_SPEC, SCHEDULER_REFERENCE_SPEC, get_new_spelling, load_factory
from dialcheck.conformance.options import (
    DEFAULT_EXAMPLES,
    DEFAULT_STEPS,
    HYPOTHESIS_PROFILES,
    RunOptions,
    get_default_hypothesis_profile,
)
from dialcheck.conformance.process import WireFault
from dialcheck.conformance.replay import ReplayResult, format_failure, get_skip_reason, replay_trace
from dialcheck.conformance.scheduler_format import AnyTrace, load_any_trace
from dialcheck.conformance.serve import get_served_profiles, serve
from dialcheck.conformance.session import Level
from dialcheck.conformance.subject import Subject, open_subject
from dialcheck.conformance.vectors import DEFAULT_COUNT as DEFAULT_VECTOR_COUNT
from dialcheck.conformance.vectors import DEFAULT_SEED as DEFAULT_VECTOR_SEED
from dialcheck.conformance.vectors import DEFAULT_STEPS as DEFAULT_VECTOR_STEPS
from dialcheck.conformance.vectors import INDEX, VectorError, generate_vectors
from dialcheck.conformance.waivers import load_waivers
from dialcheck.conformance.wire import EXTENSION_EXECUTE, PROTOCOL, Hello
from dialcheck.conformance.wire_adapter import DEFAULT_TIMEOUT
from dialcheck.conformance.workers import FactoryOpener
from dialcheck.spec.contract import DialstateFactory, SchedulerFactory
from dialcheck.spec.model import ID_WIDTHS, Config, Profile
from dialcheck.spec.verdicts import BadInput, DialcheckError, FormatError

if TYPE_CHECKING:
    from dialcheck.conformance.family import Family
    from dialcheck.conformance.matrix import Entrant
    from dialcheck.conformance.runner import AnyRunContext, Progress, RunReport

__all__ = ["main", "EXIT_OK", "EXIT_FAIL", "EXIT_USAGE"]

EXIT_OK = 0
EXIT_FAIL = 1
#: Every profile name, dialstate's then the dialScheduler's (spec/scheduler.md section 13).
_ALL_PROFILES = list(ALL_PROFILES)
EXIT_USAGE = 2


class UsageError(BadInput):
    """Bad input: the message is printed and the exit code is 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dialcheck",
        description="Conformance suite for go-ethereum's p2p dial scheduler (dialstate).",
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    commands.required = True
    replay = commands.add_parser(
        "replay",
        help="replay dialcheck-trace/1 files against an implementation",
        description="Replay trace files (a directory means every *.json below it) and report PASS, FAIL "
        "or SKIP (with the reason) per trace. Exit 0 when nothing failed and something ran, 1 otherwise, "
        "2 bad input.",
    )
    _add_subject(replay)
    replay.add_argument(
        "--profile",
        choices=_ALL_PROFILES,
        help="replay every trace of this profile's family under it instead of the trace's own "
        "(a trace of the other family is skipped)",
    )
    replay.add_argument(
        "--skips-fail",
        action="store_true",
        help="count a trace the implementation cannot run (a profile it does not serve, execute steps "
        "without the capability) as a failure instead of a skip",
    )
    replay.add_argument("paths", nargs="+", metavar="PATH", help="trace files or directories")

    run = commands.add_parser(
        "run",
        help="drive an implementation through generated event sequences and judge every answer",
        description="Run the conformance machine against an implementation. Exit 0 conformant, "
        "1 not conformant, 2 usage or harness error. The last line printed is the verdict.",
    )
    _add_subject(run)
    run.add_argument("--profile", choices=_ALL_PROFILES, default=Profile.GETH_1_7.value)
    run.add_argument("--level", choices=[lv.value for lv in Level], default=Level.STRICT.value)
    run.add_argument("--examples", type=_positive, metavar="N", help=f"examples to run (default {DEFAULT_EXAMPLES})")
    run.add_argument(
        "--steps",
        type=_positive,
        metavar="N",
        default=DEFAULT_STEPS,
        help=f"most steps per example (default {DEFAULT_STEPS})",
    )
    run.add_argument("--seed", type=int, metavar="N", help="seed the example generation (same seed, same examples)")
    run.add_argument(
        "--hypothesis-profile",
        choices=HYPOTHESIS_PROFILES,
        default=None,
        help="ci: derandomized, no example database (the default when CI is set); default; thorough: 10x examples",
    )
    run.add_argument(
        "--save-failures",
        metavar="DIR",
        type=Path,
        default=Path("dialcheck-failures"),
        help="where a failing trace is saved (default dialcheck-failures/)",
    )
    run.add_argument("--json", metavar="FILE", type=Path, help="also write the report as JSON")
    run.add_argument("--junit", metavar="FILE", type=Path, help="also write the report as JUnit XML")
    run.add_argument("--stats", action="store_true", help="print how often each situation occurred")
    run.add_argument(
        "--jobs",
        type=_positive,
        default=1,
        metavar="N",
        help="worker processes, each with its own implementation; above 1 the examples run in seeded chunks of "
        "100 and the verdict is the same for a given --seed whatever N (docs/parallel.md)",
    )
    run.add_argument(
        "--waivers",
        metavar="FILE",
        type=Path,
        help="expected failures (dialcheck-waivers/1): waived checks of this profile and level are noted, not failed; "
        "the run fails if one has expired or never fails",
    )

    check = commands.add_parser(
        "check",
        help="explore every event sequence of a small scope exhaustively: a certificate or the shortest counterexample",
        description="Bounded exhaustive checking (docs/exhaustive.md): every event of each scope of the preset, "
        "breadth first up to its depth, every transition judged at strict level; states merge by the reference's "
        "state. Prints a certificate line per scope, or the shortest counterexample (saved as a trace that "
        "dialcheck replay reproduces). Exit 0 certified, 1 a divergence, 2 bad input.",
    )
    _add_subject(check)
    check.add_argument(
        "--exhaustive", action="store_true", help="bounded exhaustive checking (the one checking mode; required)"
    )
    check.add_argument("--profile", choices=_ALL_PROFILES, default=Profile.GETH_1_7.value)
    check.add_argument(
        "--preset",
        default="zoo",
        metavar="NAME",
        help="the scope: a preset (tiny, zoo, ...) or one of its scopes (zoo/lookups); default zoo",
    )
    check.add_argument("--depth", type=_positive, metavar="N", help="explore every scope to this depth instead")
    check.add_argument(
        "--jobs", type=_positive, default=1, metavar="N", help="worker processes, each with its own implementation"
    )
    check.add_argument(
        "--save-failures",
        metavar="DIR",
        type=Path,
        default=Path("dialcheck-failures"),
        help="where a failing trace is saved (default dialcheck-failures/)",
    )
    check.add_argument("--json", metavar="FILE", type=Path, help="also write the result as JSON (dialcheck-check/1)")

    matrix = commands.add_parser(
        "matrix",
        help="run several implementations across profiles and levels and write one report",
        description="Run every implementation (--impl LABEL=MODULE:FACTORY, --cmd LABEL=COMMAND; at least one) "
        "under every profile and level asked for, and write DIR/matrix.md, DIR/matrix.json and the failing "
        "traces under DIR/traces/LABEL/. Exit 0 when no cell fails (a profile an implementation does not serve "
        "is not a failure), 1 otherwise, 2 bad input.",
    )
    matrix.add_argument("--impl", action="append", default=[], metavar="LABEL=MODULE:FACTORY")
    matrix.add_argument("--cmd", action="append", default=[], metavar="LABEL=COMMAND")
    matrix.add_argument("--id-bytes", action="append", default=[], metavar="LABEL=32|64")
    matrix.add_argument(
        "--waivers", action="append", default=[], metavar="LABEL=FILE", help="that implementation's waivers file"
    )
    matrix.add_argument(
        "--profile",
        action="append",
        choices=_ALL_PROFILES,
        help="repeatable (default: every profile of both families)",
    )
    matrix.add_argument(
        "--level", action="append", choices=[lv.value for lv in Level], help="repeatable (default: both)"
    )
    matrix.add_argument(
        "--examples", type=_positive, metavar="N", help=f"examples per cell (default {DEFAULT_EXAMPLES})"
    )
    matrix.add_argument("--steps", type=_positive, metavar="N", default=DEFAULT_STEPS)
    matrix.add_argument("--seed", type=int, metavar="N")
    matrix.add_argument("--hypothesis-profile", choices=HYPOTHESIS_PROFILES, default=None)
    matrix.add_argument("--timeout", type=_positive_seconds, metavar="SECONDS", default=DEFAULT_TIMEOUT)
    matrix.add_argument("--out", metavar="DIR", type=Path, default=Path("dialcheck-matrix"))

    mutants = commands.add_parser(
        "mutants",
        help="run the default suite on every seeded bug of the zoo, both families, and print the kill matrix",
        description="Exit 0 when every member is killed (at invariants level: every member a named "
        "invariant can see), 1 otherwise, 2 on bad input.",
    )
    mutants.add_argument("--level", choices=[lv.value for lv in Level], default=Level.STRICT.value)
    mutants.add_argument("--json", metavar="FILE", type=Path, help="also write the matrix as JSON")
    mutants.add_argument("--member", action="append", metavar="NAME", help="only this member (repeatable)")
    mutants.add_argument(
        "--examples", type=_positive, metavar="N", help="examples per member (default: dialcheck run's)"
    )
    mutants.add_argument("--hypothesis-profile", choices=HYPOTHESIS_PROFILES, default=None)

    profiles = commands.add_parser(
        "profiles",
        help="list every profile of both families with the geth releases it claims, or find a version's",
        description="Without VERSION: each profile, its family and the exact geth releases it claims. "
        "With VERSION (v1.16.3): the profile that release belongs to. Exit 0 when it has one, 1 when it "
        "has none (older than any profile, or newer than the newest release checked), 2 on bad input.",
    )
    profiles.add_argument("version", nargs="?", metavar="VERSION", help="a geth release, for example v1.16.3")

    vectors = commands.add_parser(
        "vectors",
        help="make the portable corpus of traces that other-language suites replay",
        description="Vector corpus commands.",
    )
    vector_commands = vectors.add_subparsers(dest="vectors_command", parser_class=_Parser, metavar="COMMAND")
    vector_commands.required = True
    generate = vector_commands.add_parser(
        "generate",
        help="write the corpus: a scenario trace per requirement plus seeded explored traces, and index.json",
        description="Write a deterministic corpus (same arguments, same bytes) to --out. Exit 0, or 2 on bad input.",
    )
    generate.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="where to write (scenarios/, explored/, index.json)"
    )
    generate.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_VECTOR_SEED,
        metavar="N",
        help=f"seed of the explored traces (default {DEFAULT_VECTOR_SEED})",
    )
    generate.add_argument(
        "--count",
        type=_non_negative,
        default=DEFAULT_VECTOR_COUNT,
        metavar="N",
        help=f"explored traces (default {DEFAULT_VECTOR_COUNT})",
    )
    generate.add_argument(
        "--steps",
        type=_positive,
        default=DEFAULT_VECTOR_STEPS,
        metavar="N",
        help=f"steps per explored trace (default {DEFAULT_VECTOR_STEPS})",
    )
    generate.add_argument(
        "--profile",
        choices=_ALL_PROFILES,
        help="only traces of this profile's family, every one under this profile (default: both families, "
        "scenarios under their own profile and every other, explored walks alternating)",
    )

    served = commands.add_parser(
        "serve",
        help="speak dialcheck-wire/1 on stdin/stdout with the reference (or an --impl)",
        description="Answer dialcheck-wire/1 requests on stdin/stdout until bye or end of input, so "
        "that 'dialcheck run --cmd \"dialcheck serve\"' works and harness authors have a server to diff against.",
    )
    served.add_argument(
        "--impl",
        metavar="MODULE:FACTORY",
        default=REFERENCE_SPEC,
        help="the in-process implementation to serve (default: the reference)",
    )
    served.add_argument(
        "--profile",
        choices=_ALL_PROFILES,
        help="serve only this profile (default: every profile of the implementation's family; the reference: both)",
    )
    served.add_argument(
        "--id-bytes",
        type=int,
        choices=ID_WIDTHS,
        help="declare this node ID width in hello and refuse any request with an ID of another width",
    )
    return parser


def _add_subject(command: argparse.ArgumentParser) -> None:
    subject = command.add_mutually_exclusive_group()
    subject.add_argument(
        "--impl",
        metavar="MODULE:FACTORY",
        default=REFERENCE_SPEC,
        help="in-process implementation, called as FACTORY(config, profile) (default: the reference)",
    )
    subject.add_argument(
        "--cmd",
        metavar="COMMAND",
        help="a program speaking dialcheck-wire/1 on stdin/stdout (split like a shell would, not run by one)",
    )
    command.add_argument(
        "--timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        default=DEFAULT_TIMEOUT,
        help=f"with --cmd: the most time one answer may take (default {DEFAULT_TIMEOUT:g})",
    )
    command.add_argument(
        "--id-bytes",
        type=int,
        choices=ID_WIDTHS,
        help="the node ID width the implementation holds: every ID it gets is that wide (a --cmd program's hello "
        "may say so itself; default: IDs as the trace or the machine has them, 64 bytes for generated ones)",
    )


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text}")
    return value


def _whole_number(least: int) -> Callable[[str], int]:
    """Return an argparse type accepting whole numbers of at least ``least``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"expected a number of at least {least}, got {value}")
        return value

    return parse


_positive = _whole_number(1)
_non_negative = _whole_number(0)


def _collect_paths(arguments: Sequence[str]) -> list[Path]:
    """Expand directories to the ``*.json`` files below them, sorted; refuse missing paths."""
    found: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            # A vector corpus keeps its index beside the traces: it is not a trace.
            found.extend(sorted(p for p in path.rglob("*.json") if p.is_file() and p.name != INDEX))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"dialcheck replay: {argument}: no such file or directory")
    if not found:
        raise UsageError(
            f"dialcheck replay: no traces found in {', '.join(arguments)} (a directory is searched for *.json "
            "files other than index.json)"
        )
    return found


def _load_all(paths: Sequence[Path]) -> list[tuple[Path, AnyTrace]]:
    """Load every trace, of either family; report all malformed ones at once."""
    loaded: list[tuple[Path, AnyTrace]] = []
    errors: list[str] = []
    for path in paths:
        try:
            loaded.append((path, load_any_trace(path)))
        except FormatError as exc:
            errors.append(f"dialcheck replay: bad trace {path}: {exc}")
    if errors:
        raise UsageError("\n".join(errors))
    return loaded


@contextlib.contextmanager
def _open_subject(
    args: argparse.Namespace, profiles: Sequence[AnyProfile], family: Optional["Family"] = None
) -> Iterator[Subject]:
    """Load --impl, or start --cmd and check that it serves ``profiles``; always end the process."""
    new = None if args.cmd is not None else get_new_spelling(args.impl)
    if new is not None:
        print(f"dialcheck: --impl {args.impl} is now spelled --impl {new}; using that", file=sys.stderr)
        args.impl = new
    where = f"dialcheck {args.command}"
    with open_subject(args.impl, args.cmd, args.timeout, profiles, where, args.id_bytes, family) as subject:
        yield subject


def _get_opener(args: argparse.Namespace, profile: AnyProfile) -> Optional[FactoryOpener]:
    """Return how a worker process (--jobs) starts its own --cmd program; ``None`` for --impl (inherited)."""
    if args.cmd is None:
        return None

    @contextlib.contextmanager
    def open_for_worker() -> Iterator[DialstateFactory]:
        where = f"dialcheck {args.command}"
        with open_subject(args.impl, args.cmd, args.timeout, [profile], where, args.id_bytes) as subject:
            yield subject.factory

    return open_for_worker


def _run_replay(args: argparse.Namespace) -> int:
    loaded = _load_all(_collect_paths(args.paths))
    profile = None if args.profile is None else get_profile(args.profile)
    passed = failed = skipped = 0
    afters: list[WireFault] = []
    selectors: list[str] = []
    which = "trace profiles" if profile is None else f"profile {profile.value}"
    present = [f for f in FAMILIES if any(family_of(t.profile) is f for _, t in loaded)]
    with contextlib.ExitStack() as stack:
        # WIRE-2 holds for a profile asked for; a trace's own profile the program lacks is a skip.
        asked = {f: [profile] if profile is not None and family_of(profile) is f else [] for f in present}
        subjects = [stack.enter_context(_open_subject(args, asked[f], f)) for f in present]
        if args.cmd is None and not any(s.capabilities.profiles for s in subjects):
            raise UsageError(f"dialcheck replay: {subjects[0].capabilities.source}")  # AD-2: not an implementation
        for family, subject in zip(present, subjects, strict=True):
            for path, trace in loaded:
                if family_of(trace.profile) is not family:
                    continue
                reason = get_skip_reason(trace, subject.capabilities, profile)
                chosen = asked[family][0] if asked[family] else None
                counts = _show_replay(
                    path,
                    trace.name,
                    reason,
                    functools.partial(replay_trace, trace, subject.factory, chosen, subject.selector),
                )
                passed, failed, skipped = passed + counts[0], failed + counts[1], skipped + counts[2]
            after = subject.close()
            selectors.append(subject.selector)
            afters += [after] if after is not None else []
    for after in afters:
        failed += 1
        print(f"FAIL  after the last trace: {after.verdict}: {after.message}")
    print(
        f"dialcheck replay: {len(loaded)} trace(s) against {' and '.join(dict.fromkeys(selectors))} ({which}): "
        f"{passed} passed, {failed} failed, {skipped} skipped"
    )
    if passed == 0 and not failed:
        print("dialcheck replay: no trace ran, so nothing was shown; replay traces this implementation can run")
    fails = failed or passed == 0 or (skipped and args.skips_fail)
    return EXIT_FAIL if fails else EXIT_OK


def _show_replay(
    path: Path, name: str, reason: Optional[str], replay: Callable[[], ReplayResult]
) -> tuple[int, int, int]:
    """Replay one trace (unless ``reason`` says it is skipped) and print its line; return (passed, failed, skipped)."""
    if reason is not None:
        print(f"SKIP  {name}  ({path}): {reason}")
        return 0, 0, 1
    result = replay()
    if result.passed:
        print(f"PASS  {name}  ({path})")
        return 1, 0, 0
    print(f"FAIL  {name}  ({path}, profile {result.profile.value})")
    print(format_failure(result))
    return 0, 1, 0


def _make_progress() -> "Progress":
    """Return a progress printer for a terminal: examples, steps and elapsed time, twice a second."""
    last = [-1.0]

    def show(context: "AnyRunContext", elapsed: float) -> None:
        if elapsed - last[0] >= 0.5:
            last[0] = elapsed
            line = f"dialcheck run: {context.examples:,} examples, {context.steps:,} steps, {elapsed:.0f}s"
            print(f"\r{line}", end="", file=sys.stderr, flush=True)

    return show


def _write_report(path: Path, write: Callable[[Path], None]) -> None:
    try:
        write(path)
    except OSError as exc:
        raise UsageError(f"dialcheck: cannot write {path}: {exc.strerror or exc}; choose a writable path") from None


def _run_run(args: argparse.Namespace) -> int:
    # The run needs Hypothesis; serve and replay start without it (RunOptions comes in with the runner).
    profile = get_profile(args.profile)
    waivers = () if args.waivers is None else load_waivers(args.waivers)
    with _open_subject(args, [profile]) as subject:
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
            opener=_get_opener(args, profile),
        )
        report = _run_reported(options, sys.stderr.isatty())
        report.after_run = subject.close()
    return _print_run(args, report)


def _run_reported(options: "RunOptions", tty: bool) -> "RunReport":
    """Run ``options``, with a progress line on a terminal; a trace that cannot be saved is a usage error."""
    from dialcheck.conformance.runner import run_conformance

    try:
        return run_conformance(options, _make_progress() if tty else None)
    except OSError as exc:
        raise UsageError(
            f"dialcheck run: cannot save the failing trace under {options.save_dir}: {exc.strerror or exc}; "
            "pass a writable --save-failures DIR"
        ) from None


def _print_run(args: argparse.Namespace, report: "RunReport") -> int:
    """Print a run's report (failure, waivers, stats, JSON, JUnit, the verdict last); return the exit code."""
    from dialcheck.conformance.report import (
        format_after_run,
        format_failure_report,
        format_stats,
        format_verdict,
        format_waivers,
        write_json,
        write_junit,
    )

    tty = sys.stderr.isatty()
    if tty:
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)
    if report.failure is not None:
        print(format_failure_report(report))
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
        _write_report(args.json, lambda path: write_json(report, path))
    if args.junit is not None:
        _write_report(args.junit, lambda path: write_junit(report, path))
    print(format_verdict(report))
    return EXIT_OK if report.conformant else EXIT_FAIL


def _run_check(args: argparse.Namespace) -> int:
    from dialcheck.conformance.exhaustive import CheckOptions, ScopeResult, get_scopes, run_exhaustive
    from dialcheck.conformance.report import format_check_report, format_check_verdict, write_check_json

    if not args.exhaustive:
        raise UsageError("dialcheck check: say --exhaustive (bounded exhaustive checking is its one mode)")
    profile = get_profile(args.profile)
    get_scopes(args.preset, None, family_of(profile))  # bad input before anything starts

    def show(result: ScopeResult) -> None:
        depth = len(result.progress.transitions_by_depth)
        if depth == 1:
            print(f"scope {result.scope.describe()}")
        print(
            f"  depth {depth}: {result.progress.states_by_depth[-1]:,} new states, "
            f"{result.progress.transitions_by_depth[-1]:,} transitions, {result.seconds:.1f} s",
            flush=True,
        )

    with _open_subject(args, [profile]) as subject:
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
            opener=_get_opener(args, profile),
        )
        try:
            report = run_exhaustive(options, show)
        except OSError as exc:
            raise UsageError(
                f"dialcheck check: cannot save the failing trace under {options.save_dir}: {exc.strerror or exc}; "
                "pass a writable --save-failures DIR"
            ) from None
        report.after_run = subject.close()
    print(format_check_report(report))
    if args.json is not None:
        _write_report(args.json, lambda path: write_check_json(report, path))
    print(format_check_verdict(report))
    return EXIT_OK if report.conformant else EXIT_FAIL


def _get_entrants(args: argparse.Namespace) -> list["Entrant"]:
    """Return the implementations a ``matrix`` command names, with their widths and waivers."""
    from dialcheck.conformance.matrix import Entrant, parse_labelled

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


def _run_matrix(args: argparse.Namespace) -> int:
    from dialcheck.conformance.matrix import MatrixOptions, count_failed, format_markdown, get_matrix_json, run_matrix

    entrants = _get_entrants(args)
    profiles = [get_profile(p) for p in dict.fromkeys(args.profile or _ALL_PROFILES)]
    levels = [Level(lv) for lv in dict.fromkeys(args.level or [lv.value for lv in Level])]
    options = MatrixOptions(
        examples=args.examples,
        steps=args.steps,
        seed=args.seed,
        hypothesis_profile=args.hypothesis_profile or get_default_hypothesis_profile(),
        timeout=args.timeout,
        out=args.out,
    )
    cells = run_matrix(entrants, profiles, levels, options)
    markdown = format_markdown(cells, entrants)
    document = json.dumps(get_matrix_json(cells, entrants), indent=2, sort_keys=True) + "\n"
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "matrix.md").write_text(markdown, encoding="utf-8")
        (args.out / "matrix.json").write_text(document, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"dialcheck matrix: cannot write to {args.out}: {exc.strerror or exc}") from None
    print(markdown, end="")
    failed = count_failed(cells)
    print(
        f"dialcheck matrix: {len(entrants)} implementation(s), {len(cells)} cell(s), {failed} failed; "
        f"written to {args.out / 'matrix.md'} and {args.out / 'matrix.json'}"
    )
    return EXIT_OK if failed == 0 else EXIT_FAIL


def _run_mutants(args: argparse.Namespace) -> int:
    from dialcheck.conformance.mutants import (
        AnyMember,
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
    rows = run_mutants(
        level,
        args.hypothesis_profile or get_default_hypothesis_profile(),
        members,
        args.examples,
        on_row=lambda row: print(format_row(row), flush=True),
    )
    if args.json is not None:
        _write_report(args.json, lambda path: write_matrix_json(rows, path))
    print(format_summary(rows))
    return EXIT_FAIL if any(is_gap(r) for r in rows) else EXIT_OK


def _run_vectors(args: argparse.Namespace) -> int:
    profile = None if args.profile is None else get_profile(args.profile)
    try:
        vectors = generate_vectors(args.out, args.seed, args.count, profile, args.steps)
    except VectorError as exc:
        raise UsageError(f"dialcheck vectors generate: {exc}") from None
    covered = sorted({c for v in vectors for c in v.covers})
    print(
        f"dialcheck vectors: wrote {len(vectors)} traces and {INDEX} to {args.out}, "
        f"covering {len(covered)} requirement IDs"
    )
    return EXIT_OK


def _run_profiles(args: argparse.Namespace) -> int:
    from dialcheck.spec.releases import (
        NEWEST_CHECKED,
        find_profile,
        format_version,
        get_profile_releases,
        is_newer_than_checked,
        parse_version,
    )

    if args.version is None:
        print(f"{'profile':<12} {'family':<14} releases (newest checked: {NEWEST_CHECKED})")
        for row in get_profile_releases():
            print(f"{row.profile.value:<12} {row.family.value:<14} {row.releases}")
        return EXIT_OK
    try:
        version = parse_version(args.version)
    except BadInput as exc:
        raise UsageError(f"dialcheck profiles: {exc}") from None
    found = find_profile(version)
    if found is not None:
        print(f"{format_version(version)}: {found.profile.value} ({found.family.value} family, {found.releases})")
        return EXIT_OK
    if is_newer_than_checked(version):
        print(
            f"{format_version(version)}: no profile: it is newer than {NEWEST_CHECKED}, the newest geth release "
            "dialcheck's spec was checked against; its dialer may have changed since, so it is not mapped to "
            "the newest profile"
        )
    else:
        print(f"{format_version(version)}: no profile: no profile claims it (dialcheck covers geth from v1.0)")
    return EXIT_FAIL


def _run_serve(args: argparse.Namespace) -> int:
    reference = args.impl == REFERENCE_SPEC
    name = "dialcheck-reference" if reference else args.impl
    chosen = None if args.profile is None else family_of(get_profile(args.profile))
    if chosen is DIAL_SCHEDULER or (reference and chosen is None):
        # A dialScheduler profile: --impl is a scheduler factory (the reference's stands for the reference scheduler).
        scheduler = cast(SchedulerFactory, load_factory(SCHEDULER_REFERENCE_SPEC if reference else args.impl))
        profiles = tuple(get_served_profiles(args.profile))
        hello = Hello(
            name, _get_version(), PROTOCOL, profiles, (EXTENSION_EXECUTE,) if reference else (), args.id_bytes
        )
        return serve(load_factory(REFERENCE_SPEC), hello, sys.stdin.buffer, sys.stdout.buffer, scheduler)
    factory = load_factory(args.impl)
    profiles = (args.profile,) if args.profile is not None else tuple(p.value for p in Profile)
    try:
        probe = factory(Config(self_id="00", max_dyn_dials=0), Profile(profiles[0]))
    except Exception as exc:
        raise UsageError(
            f"dialcheck serve --impl {args.impl}: the factory raised {type(exc).__name__}: {exc}"
        ) from None
    # WIRE-6: extensions are advertised in hello; the served implementation decides (AD-5).
    extensions = (EXTENSION_EXECUTE,) if supports_execution(probe) else ()
    hello = Hello(name, _get_version(), PROTOCOL, profiles, extensions, args.id_bytes)
    return serve(factory, hello, sys.stdin.buffer, sys.stdout.buffer)


def _get_version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("dialcheck")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``dialcheck`` command and return its exit code."""
    try:
        args = _build_parser().parse_args(argv)
        if args.command == "run":
            return _run_run(args)
        if args.command == "mutants":
            return _run_mutants(args)
        if args.command == "matrix":
            return _run_matrix(args)
        if args.command == "check":
            return _run_check(args)
        if args.command == "serve":
            return _run_serve(args)
        if args.command == "vectors":
            return _run_vectors(args)
        if args.command == "profiles":
            return _run_profiles(args)
        return _run_replay(args)
    except DialcheckError as exc:  # bad input or a harness error; implementation faults are verdicts
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("dialcheck: interrupted", file=sys.stderr)
        return 130


def entry_point() -> None:
    """Run ``main`` as the console script; a closed stdout (``dialcheck ... | head``) ends it quietly."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would print a traceback flushing stdout at exit: point it at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_FAIL
    sys.exit(code)
