"""Steps per second of the strict machine on the reference, against Hypothesis's own floor.

Run: ``python benchmarks/bench_machine.py [--examples N] [--steps N]``.  The floor is a trivial
rule machine (one rule drawing an integer and doing nothing) run with the same examples and step
count in the same process; the figure is the ratio of the two rates (goal: at least 0.6).  Both
count steps the same way, with an invariant that runs after every step.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.machine import DialMachine, Level, RunContext  # noqa: E402
from reference.dialstate import create_dialstate  # noqa: E402
from spec.model import Profile  # noqa: E402

_counted = [0]
#: Typed loosely on purpose: Hypothesis's own annotation of this function varies between releases.
_run_machine: Callable[..., None] = run_state_machine_as_test


class _CountedDialMachine(DialMachine):
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
        max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
        derandomize=True, suppress_health_check=list(HealthCheck),
    )
    start = time.perf_counter()
    _run_machine(make, settings=config)
    return _counted[0], time.perf_counter() - start


def run(examples: int, steps: int) -> dict[str, tuple[int, float]]:
    """Measure the floor and the strict machine on the reference."""
    context = RunContext(create_dialstate, Profile.GETH_1_7, Level.STRICT, "reference")
    return {
        "trivial rule machine": measure(_TrivialMachine, examples, steps),
        "strict machine, reference": measure(lambda: _CountedDialMachine(context), examples, steps),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print both rates and their ratio."""
    parser = argparse.ArgumentParser(description="strict machine steps/s against Hypothesis's floor")
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args(argv)
    results = run(args.examples, args.steps)
    rates = {}
    for name, (count, seconds) in results.items():
        rates[name] = count / seconds
        print(f"{name:<28} {count:>8,} steps {seconds:>7.2f}s {rates[name]:>10,.0f} steps/s")
    ratio = rates["strict machine, reference"] / rates["trivial rule machine"]
    print(f"ratio (strict machine / floor): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
