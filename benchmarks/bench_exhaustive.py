"""How bounded exhaustive checking grows with depth, how fast it goes, and what --jobs 2 gives.

Run: ``python benchmarks/bench_exhaustive.py [--depth N] [--go BINARY]``.  For every scope of every
preset, one exhaustive check of the reference in-process (with ``--depth``, to that depth
instead of the scope's) prints per depth the new states, the transitions, the growth of new
states over the depth before, and the states and transitions per second so far; then the zoo
preset is timed with ``--jobs 1`` and ``--jobs 2`` in the same run, on the reference and (with
``--go``) on the Go example over the wire, and the ratio printed.  Timings are printed, never judged.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dialcheck.conformance.drivers.subject import open_subject  # noqa: E402
from dialcheck.conformance.harness.family import ALL_PROFILES, AnyProfile, family_of, get_profile  # noqa: E402
from dialcheck.conformance.harness.loader import load_factory  # noqa: E402
from dialcheck.conformance.runs.exhaustive import (  # noqa: E402
    CheckOptions,
    ScopeResult,
    get_presets,
    get_scopes,
    run_exhaustive,
)
from dialcheck.spec.model import Profile  # noqa: E402


def format_depth(result: ScopeResult) -> str:
    """Return one row of the growth table: the depth just finished and the figures so far."""
    depth = len(result.progress.transitions_by_depth)
    new = result.progress.states_by_depth[-1]
    before = result.progress.states_by_depth[-2]
    growth = f"{new / before:.1f}x" if before else "-"
    seconds = max(result.seconds, 1e-9)
    return (
        f"  {result.scope.name:<14} {depth:>5} {new:>10,} {result.progress.transitions_by_depth[-1]:>12,} "
        f"{growth:>7} {result.progress.states / seconds:>10,.0f} {result.progress.transitions / seconds:>12,.0f}"
    )


def grow(depth: Optional[int], profile: AnyProfile = Profile.GETH_1_7) -> list[str]:
    """Return the growth table of every scope of every preset of ``profile``'s family on its reference."""
    rows = [
        f"  {'scope':<14} {'depth':>5} {'new states':>10} {'transitions':>12} {'growth':>7} {'states/s':>10} "
        f"{'transitions/s':>12}"
    ]
    family = family_of(profile)
    reference = load_factory(family.reference_spec)
    for name in get_presets(family):
        for scope in get_scopes(name, depth, family):
            with tempfile.TemporaryDirectory() as folder:
                options = CheckOptions(
                    reference, "reference", profile, preset=scope.name, depth=depth, save_dir=Path(folder)
                )
                run_exhaustive(options, lambda result: rows.append(format_depth(result)))
    return rows


_REFERENCE = "dialcheck.reference.dialstate:create_dialstate"


@contextlib.contextmanager
def _opened(cmd: Optional[str], profile: AnyProfile) -> Iterator[Any]:
    with open_subject(_REFERENCE, cmd, 10.0, [profile], "bench_exhaustive") as subject:
        yield subject.factory


def time_jobs(label: str, cmd: Optional[str], preset: str = "zoo", profile: AnyProfile = Profile.GETH_1_7) -> str:
    """Return the zoo preset's time with one and two workers, and the ratio, measured in the same run."""
    seconds = []
    for jobs in (1, 2):
        opener = None if cmd is None else (lambda: _opened(cmd, profile))  # --cmd: a program per worker
        with _opened(cmd, profile) as factory, tempfile.TemporaryDirectory() as folder:
            options = CheckOptions(
                factory, label, profile, preset=preset, save_dir=Path(folder), jobs=jobs, opener=opener
            )
            started = time.monotonic()
            report = run_exhaustive(options)
            seconds.append(time.monotonic() - started)
        assert report.conformant, report.failure
    ratio = seconds[0] / seconds[1]
    return f"  {label}, preset {preset}: --jobs 1 {seconds[0]:.1f} s, --jobs 2 {seconds[1]:.1f} s ({ratio:.2f}x)"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--depth", type=int, help="explore every scope to this depth instead of its own")
    parser.add_argument("--go", metavar="BINARY", help="also time the Go example over the wire")
    parser.add_argument(
        "--profile", choices=list(ALL_PROFILES), default=Profile.GETH_1_7.value, help="of either family"
    )
    args = parser.parse_args(argv)
    profile = get_profile(args.profile)
    print(f"growth with depth, the reference in-process ({profile.value}):")
    print("\n".join(grow(args.depth, profile)), flush=True)
    print("--jobs 2 against --jobs 1, same run:")
    print(time_jobs("reference in-process", None, "zoo", profile), flush=True)
    if args.go:
        print(time_jobs("Go example over the wire", args.go, "zoo", profile), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
