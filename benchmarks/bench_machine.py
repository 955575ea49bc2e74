"""Steps per second of the strict machine, in-process and through dialcheck-wire/1, against Hypothesis's floor.

Run: ``python benchmarks/bench_machine.py [--examples N] [--steps N] [--go BINARY]``.  The floor
is a trivial rule machine (one rule drawing an integer and doing nothing) run with the same
examples and step count in the same process.  Measured in the same run: the strict machine on
the reference in-process (goal: at least 0.6 of the floor; 0.62-0.63 measured, docs/teeth.md), and
on the reference served by ``dialcheck serve`` in a subprocess (goal: at least 0.3), and, with
``--go``, on the Go example.  All count steps the same way, with an invariant that runs after every step.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Optional

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dialcheck.conformance.drivers.wire_adapter import WireSession  # noqa: E402
from dialcheck.conformance.harness.family import ALL_PROFILES, AnyProfile, family_of, get_profile  # noqa: E402
from dialcheck.conformance.harness.loader import load_factory  # noqa: E402
from dialcheck.conformance.harness.session import Level  # noqa: E402
from dialcheck.conformance.runs.machine import Machine, RunContext  # noqa: E402
from dialcheck.spec.model import Profile  # noqa: E402

_counted = [0]
#: Typed loosely on purpose: Hypothesis's own annotation of this function varies between releases.
_run_machine: Callable[..., None] = run_state_machine_as_test


class _CountedMachine(Machine):
    @invariant()
    def count_step(self) -> None:
        _counted[0] += 1


class _TrivialMachine(RuleBasedStateMachine):
    @rule(x=st.integers())
    def step(self, x: int) -> None:
        pass

    @invariant()
    def count_step(self) -> None:
        _counted[0] += 1


def measure(make: Callable[[], RuleBasedStateMachine], examples: int, steps: int) -> tuple[int, float]:
    """Return (steps run, seconds) for one run of ``make``'s machine."""
    _counted[0] = 0
    config = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    start = time.perf_counter()
    _run_machine(make, settings=config)
    return _counted[0], time.perf_counter() - start


FLOOR = "trivial rule machine"
IN_PROCESS = "strict machine, reference"
WIRE = "strict, reference over wire"
GO = "strict, Go example over wire"


def _measure_wire(command: str, examples: int, steps: int, profile: AnyProfile) -> tuple[int, float]:
    session = WireSession(command)
    try:
        session.start()
        context = RunContext(getattr(session, family_of(profile).wire_factory), profile, Level.STRICT, command)
        return measure(lambda: _CountedMachine(context), examples, steps)
    finally:
        session.kill()


def run(
    examples: int, steps: int, go: Optional[str] = None, profile: AnyProfile = Profile.GETH_1_7
) -> dict[str, tuple[int, float]]:
    """Measure the floor and the strict machine on the reference of ``profile``'s family, here and over the wire."""
    reference = load_factory(family_of(profile).reference_spec)
    context = RunContext(reference, profile, Level.STRICT, "reference")
    serve = f"{shlex.quote(sys.executable)} -m dialcheck.conformance serve"
    results = {
        FLOOR: measure(_TrivialMachine, examples, steps),
        IN_PROCESS: measure(lambda: _CountedMachine(context), examples, steps),
        WIRE: _measure_wire(serve, examples, steps, profile),
    }
    if go is not None:
        results[GO] = _measure_wire(shlex.quote(go), examples, steps, profile)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Print both rates and their ratio."""
    parser = argparse.ArgumentParser(description="strict machine steps/s against Hypothesis's floor")
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--go", metavar="BINARY", help="also measure the Go example built at BINARY")
    parser.add_argument(
        "--profile", choices=list(ALL_PROFILES), default=Profile.GETH_1_7.value, help="of either family"
    )
    args = parser.parse_args(argv)
    results = run(args.examples, args.steps, args.go, get_profile(args.profile))
    rates = {}
    for name, (count, seconds) in results.items():
        rates[name] = count / seconds
        print(f"{name:<30} {count:>8,} steps {seconds:>7.2f}s {rates[name]:>10,.0f} steps/s")
    for name in results:
        if name != FLOOR:
            print(f"ratio ({name} / floor): {rates[name] / rates[FLOOR]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
