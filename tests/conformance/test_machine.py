"""The state machine: one Hypothesis draw per event, decoded by a seeded chooser; swarm testing per example."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from dialcheck.conformance.machine import ALWAYS, DialMachine, Event, RunContext
from dialcheck.conformance.session import Level
from dialcheck.conformance.trace import dump_trace
from dialcheck.conformance.world import NODE_POOL, RandomChooser
from dialcheck.reference.dialstate import create_dialstate
from dialcheck.spec.model import Profile


@given(st.integers(0, 2**32 - 1))
def test_the_chooser_draws_every_primitive_within_its_bounds(seed: int) -> None:
    chooser = RandomChooser(random.Random(seed))
    assert chooser.choice("abc") in "abc"
    assert 2 <= chooser.integer(2, 5) <= 5
    assert 1 <= len(chooser.nodes(NODE_POOL, 1, 3)) <= 3
    assert isinstance(chooser.coin(), bool)
    assert chooser.chance(1, 1) is True and chooser.chance(0, 1) is False
    assert 0 <= chooser.fraction() < 1
    assert chooser.weighted((("never", 0), ("always", 2))) == "always"


def _machine() -> DialMachine:
    return DialMachine(RunContext(create_dialstate, Profile.GETH_1_7, Level.STRICT))


def test_every_example_asks_for_tasks_and_moves_tasks_on_and_leaves_out_about_half_of_the_rest() -> None:
    kept = []
    for seed in range(200):
        machine = _machine()
        machine.configure(seed)
        events = set(machine._events)
        assert ALWAYS <= events
        kept.append(len(events - ALWAYS))
    optional = len(Event) - len(ALWAYS)
    assert 0.35 * optional < sum(kept) / len(kept) < 0.65 * optional
    assert 0 in kept and optional in kept


def test_the_same_seeds_play_the_same_example() -> None:
    traces = []
    for _ in range(2):
        machine = _machine()
        machine.configure(7)
        for seed in range(40):
            machine.step(seed * 7919)
        traces.append(dump_trace(machine.world.session.get_trace()))
    assert traces[0] == traces[1] and traces[0].count('"op"') >= 10
