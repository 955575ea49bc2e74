"""``dialcheck replay``."""

from __future__ import annotations

import argparse
import contextlib
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional, cast

from dialcheck.conformance.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    UsageError,
    add_html,
    add_subject,
    open_command_subject,
    write_html_report,
)
from dialcheck.conformance.drivers.process import WireFault
from dialcheck.conformance.formats.scheduler_format import AnyTrace, load_any_trace
from dialcheck.conformance.harness.family import ALL_PROFILES, FAMILIES, AnyProfile, family_of, get_profile
from dialcheck.conformance.harness.replay import ReplayResult, format_failure, get_skip_reason, replay_trace
from dialcheck.conformance.runs.vectors import INDEX
from dialcheck.spec.verdicts import FormatError

DESCRIPTION = (
    "Replay trace files (a directory means every *.json below it) and report PASS, FAIL "
    "or SKIP (with the reason) per trace. Exit 0 when nothing failed and something ran, 1 otherwise, "
    "2 bad input."
)


def add_arguments(command: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    add_subject(command)
    command.add_argument(
        "--profile",
        choices=list(ALL_PROFILES),
        help="replay every trace of this profile's family under it instead of the trace's own "
        "(a trace of the other family is skipped)",
    )
    command.add_argument(
        "--skips-fail",
        action="store_true",
        help="count a trace the implementation cannot run (a profile it does not serve, execute steps "
        "without the capability) as a failure instead of a skip",
    )
    add_html(command)
    command.add_argument("paths", nargs="+", metavar="PATH", help="trace files or directories")


@dataclass
class _Tally:
    """What a replay command found: traces passed, failed and skipped; the subjects it judged."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    selectors: list[str] = field(default_factory=list)
    #: Each trace's outcome, for the HTML report: (path, name, PASS/FAIL/SKIP, why, the result of a failure).
    #: and how a replay names the implementation.
    entries: list[tuple[Path, str, str, str, Optional[ReplayResult], str]] = field(default_factory=list)

    def add(self, counts: tuple[int, int, int]) -> None:
        """Add one trace's (passed, failed, skipped)."""
        self.passed += counts[0]
        self.failed += counts[1]
        self.skipped += counts[2]


def run(args: argparse.Namespace) -> int:
    """Run the command; return its exit code."""
    loaded = _load_all(_collect_paths(args.paths))
    profile = None if args.profile is None else get_profile(args.profile)
    which = "trace profiles" if profile is None else f"profile {profile.value}"
    tally = _Tally()
    for after in _replay_all(args, loaded, profile, tally):
        tally.failed += 1
        print(f"FAIL  after the last trace: {after.verdict}: {after.message}")
        tally.entries.append((Path("-"), "after the last trace", "FAIL", f"{after.verdict}: {after.message}", None, ""))
    verdict = (
        f"dialcheck replay: {len(loaded)} trace(s) against {' and '.join(dict.fromkeys(tally.selectors))} ({which}): "
        f"{tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped"
    )
    print(verdict)
    if tally.passed == 0 and not tally.failed:
        print("dialcheck replay: no trace ran, so nothing was shown; replay traces this implementation can run")
    fails = tally.failed or tally.passed == 0 or (tally.skipped and args.skips_fail)
    write_html_report(args.html, lambda: _render_page(tally, verdict, not fails))
    return EXIT_FAIL if fails else EXIT_OK


def _render_page(tally: _Tally, verdict: str, conformant: bool) -> str:
    """Return the HTML page of the replay: a row per trace, each failure's counterexample with its timeline."""
    from dialcheck.conformance.reports.counterexample import get_counterexample
    from dialcheck.conformance.reports.html import ReplayEntry, render_replay_page

    entries = []
    for path, name, outcome, reason, result, subject in tally.entries:
        failure = None if result is None else result.failure
        cx = None
        if result is not None and failure is not None and failure.index is not None and failure.step is not None:
            # The counterexample is the trace up to the failing step, that step as the implementation answered it.
            steps: tuple[Any, ...] = (*result.trace.steps[: failure.index], failure.step)
            trace: Any = replace(cast(Any, result.trace), steps=steps)
            cx = get_counterexample((failure, trace), "", str(path), f"dialcheck replay {subject} {path}")
        entries.append(ReplayEntry(str(path), name, outcome, reason, cx))
    return render_replay_page(entries, verdict, conformant)


def _replay_all(
    args: argparse.Namespace, loaded: Sequence[tuple[Path, AnyTrace]], profile: Optional[AnyProfile], tally: _Tally
) -> list[WireFault]:
    """Replay every trace against a subject of its family; return what each --cmd program did wrong at its end."""
    present = [f for f in FAMILIES if any(family_of(t.profile) is f for _, t in loaded)]
    afters: list[WireFault] = []
    with contextlib.ExitStack() as stack:
        # WIRE-2 holds for a profile asked for; a trace's own profile the program lacks is a skip.
        asked = {f: profile if profile is not None and family_of(profile) is f else None for f in present}
        subjects = [stack.enter_context(open_command_subject(args, _listed(asked[f]), f)) for f in present]
        if args.cmd is None and not any(s.capabilities.profiles for s in subjects):
            raise UsageError(f"dialcheck replay: {subjects[0].capabilities.source}")  # AD-2: not an implementation
        for family, subject in zip(present, subjects, strict=True):
            for path, trace in loaded:
                if family_of(trace.profile) is family:
                    replay = functools.partial(replay_trace, trace, subject.factory, asked[family], subject.selector)
                    reason = get_skip_reason(trace, subject.capabilities, profile)
                    tally.add(_show_replay(path, trace.name, reason, replay, (tally, subject.selector)))
            after = subject.close()
            tally.selectors.append(subject.selector)
            afters += [after] if after is not None else []
    return afters


def _listed(profile: Optional[AnyProfile]) -> list[AnyProfile]:
    return [] if profile is None else [profile]


def _show_replay(
    path: Path, name: str, reason: Optional[str], replay: Callable[[], ReplayResult], into: tuple[_Tally, str]
) -> tuple[int, int, int]:
    """Replay one trace (unless ``reason`` says it is skipped) and print its line; return (passed, failed, skipped).

    ``into`` is the tally that keeps the trace's outcome for the HTML report, and the subject's selector.
    """
    tally, selector = into
    if reason is not None:
        print(f"SKIP  {name}  ({path}): {reason}")
        tally.entries.append((path, name, "SKIP", reason, None, selector))
        return 0, 0, 1
    result = replay()
    if result.passed:
        print(f"PASS  {name}  ({path})")
        tally.entries.append((path, name, "PASS", "", None, selector))
        return 1, 0, 0
    print(f"FAIL  {name}  ({path}, profile {result.profile.value})")
    print(format_failure(result))
    message = "" if result.failure is None else f"{result.failure.verdict}: {result.failure.message}"
    tally.entries.append((path, name, "FAIL", message, result, selector))
    return 0, 1, 0


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
