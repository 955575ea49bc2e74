"""The state machine: one Hypothesis draw per happening, decoded by a seeded chooser; swarm testing per example."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialcheck.conformance.formats.scheduler_format import any_trace_to_json
from dialcheck.conformance.harness.family import FAMILIES, Family
from dialcheck.conformance.harness.loader import load_factory
from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.harness.world import NODE_POOL, RandomChooser
from dialcheck.conformance.runs.machine import Machine, RunContext


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


def _machine(family: Family) -> Machine:
    factory = load_factory(family.reference_spec)
    return Machine(RunContext(factory, family.default_profile, Level.STRICT))


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name.value)
def test_every_example_has_the_familys_always_happenings_and_leaves_out_about_half_of_the_rest(family: Family) -> None:
    kept = []
    for seed in range(200):
        machine = _machine(family)
        machine.configure(seed)
        happenings = set(machine._happenings)
        assert family.always <= happenings
        kept.append(len(happenings - family.always))
    optional = len(family.happenings) - len(family.always)
    assert 0.35 * optional < sum(kept) / len(kept) < 0.65 * optional
    assert 0 in kept and optional in kept


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name.value)
def test_the_same_seeds_play_the_same_example(family: Family) -> None:
    traces = []
    for _ in range(2):
        machine = _machine(family)
        machine.configure(7)
        for seed in range(40):
            machine.step(seed * 7919)
        traces.append(machine.world.session.get_trace())
    assert any_trace_to_json(traces[0]) == any_trace_to_json(traces[1]) and len(traces[0].steps) >= 10
