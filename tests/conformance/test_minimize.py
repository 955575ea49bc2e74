"""Counterexamples with nothing left to remove: delta debugging by replay."""

from __future__ import annotations

import pytest

from dialcheck.conformance.formats.trace import AddStaticStep, NewTasksStep, Step, TaskDoneStep, TaskRef, Trace
from dialcheck.conformance.harness.minimize import get_failure, minimize
from dialcheck.conformance.harness.session import Level, Nonconformance
from dialcheck.conformance.harness.world import uint_id
from dialcheck.conformance.zoo import get_member
from dialcheck.spec.model import SECOND, Config, Node, Profile
from dialcheck.spec.verdicts import Verdict

SELF = Node(uint_id(0), "10.0.0.100", 30303, 30303)


def _n(i: int) -> Node:
    return Node(uint_id(i), f"10.0.0.{i}", 30303, 30303)


def _failure(level: Level) -> Nonconformance[Trace]:
    """Return dials_self's failure on a trace padded with steps that do not matter to it."""
    steps: list[Step] = [
        AddStaticStep(_n(5)),
        NewTasksStep(1 * SECOND, 0),
        TaskDoneStep(2 * SECOND, TaskRef("dial", uint_id(5))),
        AddStaticStep(_n(6)),
        AddStaticStep(SELF),
        NewTasksStep(3 * SECOND, 0),
    ]
    trace = Trace("padded", Profile.GETH_1_7, Config(uint_id(0), 0), tuple(steps))
    found = get_failure(trace, steps, get_member("dials_self").create, level, "dials_self")
    assert found is not None and len(found.trace.steps) == len(steps)
    return found


@pytest.mark.parametrize("level", list(Level), ids=lambda lv: lv.value)
def test_minimizing_leaves_only_the_steps_the_failure_needs(level: Level) -> None:
    failure = _failure(level)
    small = minimize(failure, get_member("dials_self").create, level, "dials_self")
    assert small.check is failure.check is (Verdict.STRICT if level is Level.STRICT else Verdict.NEVER_SELF)
    assert [type(s).__name__ for s in small.trace.steps] == ["AddStaticStep", "NewTasksStep"]
    for index in range(len(small.trace.steps)):
        without = [s for i, s in enumerate(small.trace.steps) if i != index]
        again = get_failure(small.trace, without, get_member("dials_self").create, level, "dials_self")
        assert again is None or again.check is not failure.check


def test_minimizing_a_failure_that_needs_every_step_changes_nothing() -> None:
    failure = minimize(_failure(Level.INVARIANTS), get_member("dials_self").create, Level.INVARIANTS, "x")
    assert minimize(failure, get_member("dials_self").create, Level.INVARIANTS, "x").trace == failure.trace
