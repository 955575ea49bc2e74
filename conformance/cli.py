"""The ``dialcheck`` command line.

Exit codes: 0 conformant / all traces pass, 1 not conformant / a trace fails,
2 bad input (a wrong command line, a malformed or missing trace, an
implementation that cannot be loaded).  Errors are one paragraph on stderr,
never a Python traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, Optional

from conformance.loader import REFERENCE_SPEC, ImplementationError, load_factory
from conformance.replay import format_failure, replay_trace
from conformance.trace import Trace, TraceError, load_trace
from spec.model import Profile

__all__ = ["main", "EXIT_OK", "EXIT_FAIL", "EXIT_USAGE"]

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


class UsageError(Exception):
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
        description="Replay trace files (a directory means every *.json below it) and report PASS/FAIL "
        "per trace. Exit 0 all pass, 1 any fails, 2 bad input.",
    )
    replay.add_argument(
        "--impl",
        metavar="MODULE:FACTORY",
        default=REFERENCE_SPEC,
        help="in-process implementation, called as FACTORY(config, profile) (default: the reference)",
    )
    replay.add_argument(
        "--profile",
        choices=[p.value for p in Profile],
        help="replay every trace under this profile instead of the trace's own",
    )
    replay.add_argument("paths", nargs="+", metavar="PATH", help="trace files or directories")
    return parser


def _collect_paths(arguments: Sequence[str]) -> list[Path]:
    """Expand directories to the ``*.json`` files below them, sorted; refuse missing paths."""
    found: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"dialcheck replay: {argument}: no such file or directory")
    if not found:
        raise UsageError(
            f"dialcheck replay: no traces found in {', '.join(arguments)} (a directory is searched for *.json files)"
        )
    return found


def _load_all(paths: Sequence[Path]) -> list[tuple[Path, Trace]]:
    """Load every trace; report all malformed ones at once."""
    loaded: list[tuple[Path, Trace]] = []
    errors: list[str] = []
    for path in paths:
        try:
            loaded.append((path, load_trace(path)))
        except TraceError as exc:
            errors.append(f"dialcheck replay: bad trace {path}: {exc}")
    if errors:
        raise UsageError("\n".join(errors))
    return loaded


def _run_replay(args: argparse.Namespace) -> int:
    factory = load_factory(args.impl)
    profile = None if args.profile is None else Profile(args.profile)
    traces = _load_all(_collect_paths(args.paths))
    failed = 0
    for path, trace in traces:
        result = replay_trace(trace, factory, profile, origin=f"--impl {args.impl}")
        if result.passed:
            print(f"PASS  {trace.name}  ({path})")
        else:
            failed += 1
            print(f"FAIL  {trace.name}  ({path}, profile {result.profile.value})")
            print(format_failure(result))
    which = "trace profiles" if profile is None else f"profile {profile.value}"
    print(
        f"dialcheck replay: {len(traces)} trace(s) against {args.impl} ({which}): "
        f"{len(traces) - failed} passed, {failed} failed"
    )
    return EXIT_FAIL if failed else EXIT_OK


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``dialcheck`` command and return its exit code."""
    try:
        args = _build_parser().parse_args(argv)
        return _run_replay(args)
    except (UsageError, ImplementationError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("dialcheck: interrupted", file=sys.stderr)
        return 130


def entry_point() -> None:
    """Run ``main`` as the console script."""
    sys.exit(main())
