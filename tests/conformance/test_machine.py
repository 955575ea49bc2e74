"""The state machine's chooser: every primitive of the world's Chooser, drawn from Hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dialcheck.conformance.machine import HypothesisChooser
from dialcheck.conformance.world import NODE_POOL, Chooser


@given(st.data())
def test_the_hypothesis_chooser_draws_every_primitive_within_its_bounds(data: st.DataObject) -> None:
    chooser: Chooser = HypothesisChooser(data.draw)
    assert chooser.choice("abc") in "abc"
    assert 2 <= chooser.integer(2, 5) <= 5
    assert 1 <= len(chooser.nodes(NODE_POOL, 1, 3)) <= 3
    assert isinstance(chooser.coin(), bool)
    assert chooser.chance(1, 1) is True and chooser.chance(0, 1) is False
    assert 0 <= chooser.fraction() < 1
    assert chooser.weighted((("never", 0), ("always", 2))) == "always"
