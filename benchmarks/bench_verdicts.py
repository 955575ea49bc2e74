"""Time to verdict on seeded bugs: the zoo in-process, the Go example's bugs over the wire, random and exhaustive.

Run: ``python benchmarks/bench_verdicts.py [--go BINARY] [--jobs N] [--members NAME,...] [--skip-random]
[--skip-exhaustive]``.

For every seeded bug, the derandomized default ``dialcheck run`` (the ``ci`` profile, as the
kill matrix) is timed before and after the opening exhaustive pass (``--opening 0``: the random
examples alone; the default: the pass, then the random examples), and one ``dialcheck check
--exhaustive`` (preset ``zoo``); printed per bug (with which search found it) and summarized as
median, 90th percentile and maximum of the time to verdict (the whole command: search,
minimization, the replay), the time to the first failure seen, and the examples run until then.
Then the reference (and, with ``--go``, the Go example) is certified in each exhaustive preset,
and each certificate line is printed.  ``--jobs N`` times the random runs with
N worker processes as well.  Nothing here asserts a time: timings are printed, never judged.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dialcheck.conformance.drivers.subject import open_subject  # noqa: E402
from dialcheck.conformance.harness.family import AnyProfile, family_of  # noqa: E402
from dialcheck.conformance.runs.exhaustive import CheckOptions, get_presets, run_exhaustive  # noqa: E402
from dialcheck.conformance.runs.options import OPENING_STATES, RunOptions  # noqa: E402
from dialcheck.conformance.runs.runner import run_conformance  # noqa: E402
from dialcheck.conformance.zoo import MEMBERS, SCHEDULER_MEMBERS  # noqa: E402
from dialcheck.spec.contract import DialstateFactory  # noqa: E402
from dialcheck.spec.model import Profile  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "go"


@dataclass(frozen=True)
class Bug:
    """A seeded bug: its name, the profile it shows under, and how to open the implementation that has it."""

    name: str
    profile: AnyProfile
    impl: str
    cmd: Optional[str] = None


@dataclass(frozen=True)
class Timing:
    """What one search found against one bug."""

    bug: str
    killed: bool
    seconds: float
    first_failure: Optional[float]
    examples: Optional[int]
    check: Optional[str]
    found_by: Optional[str] = None


@contextlib.contextmanager
def _opened(bug: Bug) -> Iterator[DialstateFactory]:
    with open_subject(bug.impl, bug.cmd, 10.0, [bug.profile], "bench_verdicts") as subject:
        yield subject.factory


def get_go_bugs(binary: str) -> list[Bug]:
    """Return the Go example's seeded bugs (examples/go/bugs.go), each served by ``binary -bug NAME``."""
    text = (EXAMPLE / "bugs.go").read_text(encoding="utf-8")
    block = text.split("var bugs = map[string]string{", 1)[1].split("\n}", 1)[0]
    names = re.findall(r'^\s*"([^"]+)":', block, re.MULTILINE)
    return [
        Bug(name, Profile.GETH_1_8 if name.endswith("-1.8") else Profile.GETH_1_7, "", f"{binary} -bug {name}")
        for name in names
    ]


def get_zoo_bugs(names: Optional[Sequence[str]] = None) -> list[Bug]:
    """Return the zoo's members of both families (or those named) as bugs run in-process."""
    chosen = [m for m in (*MEMBERS, *SCHEDULER_MEMBERS) if names is None or m.name in names]
    return [Bug(m.name, m.profile, f"dialcheck.conformance.zoo:{m.name}") for m in chosen]


def time_random(bug: Bug, jobs: int = 1, opening: int = OPENING_STATES) -> Timing:
    """Time one derandomized default run against ``bug`` (``opening`` 0: the random examples alone)."""
    with _opened(bug) as factory, tempfile.TemporaryDirectory() as folder:
        opener = None if bug.cmd is None else (lambda: _opened(bug))  # --cmd: a program per worker
        options = RunOptions(
            factory,
            bug.name,
            bug.profile,
            hypothesis_profile="ci",
            save_dir=Path(folder),
            jobs=jobs,
            opener=opener,
            opening=opening,
        )
        started = time.monotonic()
        report = run_conformance(options)
        seconds = time.monotonic() - started
    check = report.failure.check.value if report.failure is not None else None
    killed = not report.conformant
    first, examples = report.first_failure, report.first_failure_examples
    return Timing(bug.name, killed, seconds, first, examples, check, report.found_by)


def time_exhaustive(bug: Bug, preset: str = "zoo") -> Timing:
    """Time one exhaustive check of ``preset`` against ``bug``."""
    with _opened(bug) as factory, tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        report = run_exhaustive(CheckOptions(factory, bug.name, bug.profile, preset=preset, save_dir=Path(folder)))
        seconds = time.monotonic() - started
    check = report.failure.check.value if report.failure is not None else None
    return Timing(bug.name, not report.conformant, seconds, None, None, check)


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summarize(label: str, timings: Sequence[Timing]) -> str:
    """Return the summary line: kills, and median / 90th percentile / max of time to verdict and first failure."""
    seconds = [t.seconds for t in timings]
    firsts = [t.first_failure for t in timings if t.first_failure is not None]
    examples = [t.examples for t in timings if t.examples is not None]
    survivors = [t.bug for t in timings if not t.killed]
    line = (
        f"{label}: {len(timings) - len(survivors)} of {len(timings)} killed; time to verdict median "
        f"{statistics.median(seconds):.1f} s, p90 {_percentile(seconds, 0.9):.1f} s, max {max(seconds):.1f} s"
    )
    if firsts:
        line += (
            f"; first failure median {statistics.median(firsts):.1f} s, max {max(firsts):.1f} s; examples to it "
            f"median {statistics.median(examples):g}, p90 {_percentile(examples, 0.9):g}, max {max(examples)}"
        )
    if survivors:
        line += "; survived: " + ", ".join(survivors)
    return line


def _print_rows(timings: Sequence[Timing]) -> None:
    for t in timings:
        first = "-" if t.first_failure is None else f"{t.first_failure:.1f}s"
        print(
            f"  {t.bug:<36} {'killed' if t.killed else 'SURVIVED':<9} {t.check or '-':<18} "
            f"{t.seconds:>6.1f}s {first:>7} {t.examples if t.examples is not None else '-':>6} {t.found_by or '-'}",
            flush=True,
        )


def certify(label: str, factory_bug: Bug) -> list[str]:
    """Return the certificate lines of every preset for one implementation."""
    lines = []
    for preset in get_presets(family_of(factory_bug.profile)):
        with _opened(factory_bug) as factory, tempfile.TemporaryDirectory() as folder:
            report = run_exhaustive(
                CheckOptions(factory, label, factory_bug.profile, preset=preset, save_dir=Path(folder))
            )
        lines += [f"  {label}: {result.get_certificate()}" for result in report.results]
        if report.failure is not None:
            lines.append(f"  {label}: preset {preset} NOT CERTIFIED: {report.failure.check}")
    return lines


def get_searches(jobs: int, skip_random: bool, skip_exhaustive: bool) -> list[tuple[str, Callable[[Bug], Timing]]]:
    """Return the searches to time: before and after the opening pass, on workers, exhaustive."""
    searches: list[tuple[str, Callable[[Bug], Timing]]] = []
    if not skip_random:
        searches.append(("before: random examples alone (--opening 0)", lambda bug: time_random(bug, 1, 0)))
        searches.append(("after: default run (opening pass, then random)", time_random))
        if jobs > 1:
            searches.append((f"default run, --jobs {jobs}", lambda bug: time_random(bug, jobs)))
    if not skip_exhaustive:
        searches.append(("exhaustive (zoo preset)", time_exhaustive))
    return searches


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--go", metavar="BINARY", help="the Go example, built (its -bug flag switches a bug on)")
    parser.add_argument("--jobs", type=int, default=1, help="also time the random runs with N worker processes")
    parser.add_argument("--members", help="only these zoo members (comma-separated)")
    parser.add_argument("--skip-random", action="store_true", help="time only the exhaustive checks")
    parser.add_argument("--skip-exhaustive", action="store_true", help="leave out check --exhaustive (preset zoo)")
    args = parser.parse_args(argv)
    zoo = get_zoo_bugs(args.members.split(",") if args.members else None)
    groups = [("zoo in-process", zoo)] if zoo else []
    if args.go:
        groups.append(("Go bugs over the wire", get_go_bugs(args.go)))
    for label, bugs in groups:
        for search, measure in get_searches(args.jobs, args.skip_random, args.skip_exhaustive):
            print(f"{label}, {search}:  bug, outcome, check, time to verdict, first failure, examples to it, found by")
            timings = [measure(bug) for bug in bugs]
            _print_rows(timings)
            print(summarize(f"{label}, {search}", timings), flush=True)
    if args.skip_exhaustive:
        return 0
    print("certificates:")
    reference = Bug("reference", Profile.GETH_1_7, "dialcheck.reference.dialstate:create_dialstate")
    print("\n".join(certify("reference", reference)))
    if args.go:
        print("\n".join(certify("Go example", Bug("go", Profile.GETH_1_7, "", args.go))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
