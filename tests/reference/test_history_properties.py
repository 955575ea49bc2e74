"""Property test: the O(1)-membership history against geth's linear-scan heap (DS-HIST-3, DS-HIST-4).

The stateful run is marked ``slow``.
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dialcheck.reference.history import DialHistory


class HistoryAgainstLinearScan(RuleBasedStateMachine):
    """geth's dialHistory is a heap scanned linearly; ours must answer the same."""

    def __init__(self) -> None:
        super().__init__()
        self.ours = DialHistory()
        self.geths: list[tuple[str, int]] = []

    @rule(node_id=st.sampled_from(["01", "02", "03", "04"]), expiry=st.integers(-50, 50))
    def add(self, node_id: str, expiry: int) -> None:
        self.ours.add(node_id, expiry)
        self.geths.append((node_id, expiry))

    @rule(now=st.integers(-60, 60))
    def expire(self, now: int) -> None:
        self.ours.expire(now)
        self.geths = [(i, e) for i, e in self.geths if not e < now]

    @precondition(lambda self: any(sum(1 for j, _ in self.geths if j == i) == 1 for i, _ in self.geths))
    @rule(data=st.data())
    def remove_a_single_entry(self, data: st.DataObject) -> None:
        singles = sorted({i for i, _ in self.geths if sum(1 for j, _ in self.geths if j == i) == 1})
        node_id = data.draw(st.sampled_from(singles))
        assert self.ours.remove(node_id)
        self.geths = [(i, e) for i, e in self.geths if i != node_id]

    @invariant()
    def same_answers(self) -> None:
        assert len(self.ours) == len(self.geths)
        for node_id in ("01", "02", "03", "04"):
            assert self.ours.contains(node_id) is any(i == node_id for i, _ in self.geths)
        if self.geths:
            assert self.ours.get_min_expiry() == min(e for _, e in self.geths)


@pytest.mark.slow
def test_history_agrees_with_geths_linear_scan_DS_HIST_4() -> None:
    machine = HistoryAgainstLinearScan.TestCase
    machine.settings = settings(max_examples=300, stateful_step_count=60, deadline=None)
    machine().runTest()
