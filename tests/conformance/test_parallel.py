"""``dialcheck run --jobs N``: seeded chunks over worker processes, the same verdict for every N."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from support import waive

from dialcheck.conformance.cli import main
from dialcheck.conformance.formats.trace import dump_trace, load_trace
from dialcheck.conformance.harness.loader import load_factory
from dialcheck.conformance.harness.session import Level, Nonconformance
from dialcheck.conformance.harness.waivers import Waiver
from dialcheck.conformance.runs.options import RunOptions
from dialcheck.conformance.runs.runner import CHUNK_EXAMPLES, get_chunk_seed, run_conformance
from dialcheck.reference.dialstate import Dialstate, create_dialstate
from dialcheck.spec.model import Config, Node, Profile
from dialcheck.spec.verdicts import Verdict

MEMBER = "dialcheck.conformance.zoo:dials_self"


def _options(
    factory: str,
    tmp_path: Path,
    jobs: int,
    level: Level = Level.STRICT,
    examples: int = 400,
    waivers: Sequence[Waiver] = (),
) -> RunOptions:
    return RunOptions(
        load_factory(factory),
        factory,
        level=level,
        examples=examples,
        steps=40,
        hypothesis_profile="ci",
        save_dir=tmp_path,
        jobs=jobs,
        waivers=tuple(waivers),
        opening=0,  # the chunks; the opening pass's shards on workers: test_engines.py
    )


def test_each_chunk_has_its_own_seed_fixed_by_the_runs_seed() -> None:
    seeds = {get_chunk_seed(7, chunk) for chunk in range(50)}
    assert len(seeds) == 50 and get_chunk_seed(7, 3) == get_chunk_seed(7, 3) != get_chunk_seed(8, 3)


def test_a_conformant_run_spreads_every_example_over_the_workers(tmp_path: Path) -> None:
    report = run_conformance(_options("dialcheck.reference.dialstate:create_dialstate", tmp_path, 2))
    assert report.conformant and report.examples >= 400 and report.steps > report.examples
    assert report.executions > 0 and sum(report.situations.values()) > 0
    assert 400 // CHUNK_EXAMPLES == 4


def test_the_verdict_and_counterexample_are_the_same_for_every_number_of_workers(tmp_path: Path) -> None:
    two = run_conformance(_options(MEMBER, tmp_path / "two", 2))
    other = run_conformance(_options(MEMBER, tmp_path / "other", 3))
    assert isinstance(two.failure, Nonconformance) and isinstance(other.failure, Nonconformance)
    assert two.failure.check is other.failure.check
    assert dump_trace(two.failure.trace) == dump_trace(other.failure.trace)
    assert two.saved is not None and other.saved is not None and two.saved.name == other.saved.name
    assert load_trace(two.saved).steps and two.first_failure is not None


def test_a_failure_found_in_a_worker_replays_here_and_is_saved_minimized(tmp_path: Path) -> None:
    report = run_conformance(_options(MEMBER, tmp_path, 2))
    assert report.failure is not None and report.saved is not None and report.flaky is None
    assert main(["replay", "--impl", MEMBER, str(report.saved)]) == 1


class _FailsInWorkers(Dialstate):
    """Raises in any process but the one that made the first instance: nondeterministic by design."""

    home = os.getpid()

    def add_static(self, node: Node) -> None:
        if os.getpid() != _FailsInWorkers.home:
            raise RuntimeError("only in a worker")
        super().add_static(node)


def _fails_in_workers(config: Config, profile: Profile) -> Dialstate:
    return _FailsInWorkers(config, profile)


def test_a_failure_that_passes_when_replayed_here_is_reported_nondeterministic(tmp_path: Path) -> None:
    _FailsInWorkers.home = os.getpid()
    options = RunOptions(
        _fails_in_workers, "t", examples=200, steps=30, hypothesis_profile="ci", save_dir=tmp_path, opening=0
    )
    report = run_conformance(dataclasses.replace(options, jobs=2))
    assert not report.conformant and report.flaky is not None and "nondeterministic" in report.flaky
    assert report.failure is not None and report.failure.check is Verdict.NONDETERMINISTIC


def test_waived_failures_in_workers_are_counted_and_saved_here(tmp_path: Path) -> None:
    waivers = waive("invariants", "BOOTNODE_ROTATION", "RANDOM_HALF")
    member = "dialcheck.conformance.zoo:fallback_at_exactly_20s"
    report = run_conformance(_options(member, tmp_path, 2, waivers=waivers, level=Level.INVARIANTS, examples=1000))
    # The member breaks BOOTNODE_ROTATION and, at times first, RANDOM_HALF (zoo.py): both waived, the run goes on.
    assert report.failure is None and report.conformant
    assert report.waived.get(Verdict.BOOTNODE_ROTATION, 0) > 0
    saved = report.waived_saved[Verdict.BOOTNODE_ROTATION]
    assert saved.parent == tmp_path and load_trace(saved).steps


def test_run_jobs_over_the_wire_starts_a_program_per_worker(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "run",
        "--cmd",
        "dialcheck serve",
        "--jobs",
        "2",
        "--examples",
        "200",
        "--hypothesis-profile",
        "ci",
        "--opening",
        "0",
    ]
    assert main(args) == 0
    assert "CONFORMANT - dialcheck serve" in capsys.readouterr().out


def test_the_reference_run_with_jobs_is_conformant_at_every_profile(tmp_path: Path) -> None:
    for profile in Profile:
        options = RunOptions(
            create_dialstate, "r", profile, examples=100, steps=30, hypothesis_profile="ci", jobs=2, opening=0
        )
        assert run_conformance(dataclasses.replace(options, save_dir=tmp_path)).conformant, profile
