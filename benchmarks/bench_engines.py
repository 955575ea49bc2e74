"""How a fixed run scales over engines: 1 and 2 local processes, and a Dask LocalCluster of 1 and 2 workers.

Run: ``python benchmarks/bench_engines.py [--examples N] [--go BINARY] [--skip-dask]``.

A fixed ``dialcheck run`` (the reference of each family in-process, derandomized, ``--examples N``,
the opening pass included) and a fixed ``dialcheck check --exhaustive`` (preset ``zoo``, dialstate)
are timed on each engine in the same run; printed as seconds and as the speed-up over one local
worker process, so the machine's own speed cancels out (one worker, not this process: a run over
workers is a run in seeded chunks, and the chunks are what every engine runs).  With ``--go`` the Go example's run
over the wire is timed too (a program started per chunk on the worker that runs it).  The Dask
cluster is started here (``dask.distributed``'s ``LocalCluster``, processes, one thread each): its
start-up is not timed.  Every report must be the same on every engine (asserted: the benchmark
is also a check that the engines agree).  Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dialcheck.conformance.drivers.subject import open_subject  # noqa: E402
from dialcheck.conformance.harness.family import AnyProfile  # noqa: E402
from dialcheck.conformance.harness.loader import REFERENCE_SPEC  # noqa: E402
from dialcheck.conformance.harness.workers import Engine, LocalEngine, open_engine  # noqa: E402
from dialcheck.conformance.runs.exhaustive import CheckOptions, run_exhaustive  # noqa: E402
from dialcheck.conformance.runs.options import RunOptions  # noqa: E402
from dialcheck.conformance.runs.runner import run_conformance  # noqa: E402
from dialcheck.spec.model import Profile  # noqa: E402
from dialcheck.spec.scheduler import SchedulerProfile  # noqa: E402

#: What is timed: a label, and a function that runs it on an engine and returns what its report says.
Workload = tuple[str, Callable[[Engine], str]]


@contextlib.contextmanager
def _subject(cmd: Optional[str], profile: AnyProfile) -> Iterator[Any]:
    with open_subject(REFERENCE_SPEC, cmd, 10.0, [profile], "bench_engines") as subject:
        yield subject


def get_run(label: str, profile: AnyProfile, examples: int, cmd: Optional[str] = None) -> Workload:
    """Return a fixed derandomized run of the reference (or ``cmd``) under ``profile``."""

    def run(engine: Engine) -> str:
        with _subject(cmd, profile) as subject, tempfile.TemporaryDirectory() as folder:
            opener = None if cmd is None else (lambda: _factory(cmd, profile))
            options = RunOptions(
                subject.factory,
                label,
                profile,
                examples=examples,
                hypothesis_profile="ci",
                save_dir=Path(folder),
                opener=opener,
                engine=engine,
            )
            report = run_conformance(options)
        return f"{report.conformant} {report.examples} {report.steps}"

    return f"run {label} ({profile.value}, {examples:,} examples)", run


@contextlib.contextmanager
def _factory(cmd: str, profile: AnyProfile) -> Iterator[Any]:
    with _subject(cmd, profile) as subject:
        yield subject.factory


def get_check(preset: str = "zoo") -> Workload:
    """Return a fixed exhaustive check of the dialstate reference."""

    def check(engine: Engine) -> str:
        with _subject(None, Profile.GETH_1_7) as subject, tempfile.TemporaryDirectory() as folder:
            options = CheckOptions(subject.factory, "reference", preset=preset, save_dir=Path(folder), engine=engine)
            report = run_exhaustive(options)
        return " ".join(f"{r.progress.states}/{r.progress.transitions}" for r in report.results)

    return f"check --exhaustive --preset {preset} (reference, geth-1.7)", check


def time_engines(workloads: Sequence[Workload], engines: Sequence[tuple[str, Engine]]) -> list[str]:
    """Time every workload on every engine; return a line each, with the speed-up over the first engine."""
    lines = []
    for label, work in workloads:
        times: list[float] = []
        answers: set[str] = set()
        for name, engine in engines:
            started = time.monotonic()
            answers.add(work(engine))
            times.append(time.monotonic() - started)
            ratio = times[0] / times[-1]
            lines.append(f"  {label}, {name}: {times[-1]:.1f} s ({ratio:.2f}x)")
            print(lines[-1], flush=True)
        assert len(answers) == 1, f"{label}: the engines disagree: {answers}"
    return lines


@contextlib.contextmanager
def _dask_engines(skip: bool) -> Iterator[list[tuple[str, Engine]]]:
    if skip:
        yield []
        return
    try:
        distributed: Any = importlib.import_module("distributed")
    except ImportError:
        print("  (dask.distributed is not installed: pip install 'dialcheck[dask]'; LocalCluster skipped)")
        yield []
        return
    with contextlib.ExitStack() as stack:
        engines: list[tuple[str, Engine]] = []
        for workers in (1, 2):
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
            )
            engine = stack.enter_context(open_engine(1, str(cluster.scheduler_address)))
            engines.append((f"Dask LocalCluster, {workers} worker(s)", engine))
        yield engines


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=600, help="examples of each fixed run (default 600)")
    parser.add_argument("--go", metavar="BINARY", help="also time the Go example's run over the wire")
    parser.add_argument("--skip-dask", action="store_true", help="time only here and the local processes")
    args = parser.parse_args(argv)
    workloads = [
        get_run("dialstate reference", Profile.GETH_1_7, args.examples),
        get_run("dialScheduler reference", SchedulerProfile.GETH_1_17_8, args.examples),
        get_check(),
    ]
    if args.go:
        workloads.append(get_run("Go example over the wire", Profile.GETH_1_7, args.examples, args.go))
    print("seconds on each engine, and the speed-up over one local worker process measured in the same run:")
    with _dask_engines(args.skip_dask) as dask:
        time_engines(workloads, [("1 local process", LocalEngine(1)), ("--jobs 2", LocalEngine(2)), *dask])
    return 0


if __name__ == "__main__":
    sys.exit(main())
