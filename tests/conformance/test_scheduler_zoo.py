"""The dialScheduler zoo: a member per requirement, each killed by the default run with a replayable counterexample."""

from __future__ import annotations

import functools
import re

import pytest
from support import ROOT

import dialcheck.conformance.zoo as zoo
from dialcheck.conformance.formats.scheduler_format import SchedulerTrace
from dialcheck.conformance.harness.minimize import get_failure
from dialcheck.conformance.harness.replay import replay_trace
from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.reports.mutants import Row, format_row, is_gap, run_mutants
from dialcheck.conformance.zoo import SCHEDULER_MEMBERS, Member, get_scheduler_member
from dialcheck.spec.verdicts import Verdict, VerdictKind

#: Requirements of spec/scheduler.md no implementation bug can break, and why.
NOT_A_BUG = {"SC-CHOICE-2": "the oracle is a requirement on the judge (reference/scheduler.py, tests/reference)"}


def test_every_scheduler_requirement_has_a_zoo_member() -> None:
    ids = re.findall(r"^\*\*(SC-[A-Z]+-[0-9]+)\b", (ROOT / "spec" / "scheduler.md").read_text(), re.MULTILINE)
    covered = {m.requirement for m in SCHEDULER_MEMBERS}
    assert set(ids) - covered == set(NOT_A_BUG)
    assert len({m.name for m in SCHEDULER_MEMBERS}) == len(SCHEDULER_MEMBERS)


#: Named invariants no member can break first, and why.
IMPLIED = {
    Verdict.SC_STATIC_FIRST: "a static left in the pool with a slot free breaks SC_STATIC_REDIAL at the response "
    "before, and one left without a free slot makes reading break SC_ITERATOR_GATE: node_offered never comes first",
}


def test_every_named_scheduler_invariant_has_a_member_it_must_catch() -> None:
    named = {v for v in Verdict if v.kind is VerdictKind.SCHEDULER_INVARIANT}
    assert {c for m in SCHEDULER_MEMBERS for c in m.checks} == named - set(IMPLIED)


def test_a_scheduler_member_is_usable_as_an_impl_factory_and_names_its_checks() -> None:
    for member in SCHEDULER_MEMBERS:
        assert getattr(zoo, member.name) == member.create
        assert all(check.value.startswith("SC_") for check in member.checks)
        assert bool(member.checks) != bool(member.strict_only_because), member.name
    with pytest.raises(AttributeError):
        zoo.__getattr__("sched_no_such_member")


@functools.cache
def _row(name: str, level: Level) -> Row:
    [row] = run_mutants(level, "ci", [get_scheduler_member(name)])
    return row


def _assert_replays_to_the_same_failure(row: Row, member: Member, level: Level) -> None:
    trace = row.counterexample
    assert isinstance(trace, SchedulerTrace)
    result = replay_trace(trace, member.create)
    assert result.failure is not None and result.failure.index == len(trace.steps) - 1, result.failure
    assert result.failure.verdict == row.check
    for index in range(len(trace.steps)):
        without = [step for i, step in enumerate(trace.steps) if i != index]
        again = get_failure(trace, without, member.create, level, member.name)
        assert again is None or again.check is not row.check, f"step {index + 1} of {len(trace.steps)} is removable"


@pytest.mark.slow
@pytest.mark.parametrize("member", SCHEDULER_MEMBERS, ids=lambda m: m.name)
def test_every_scheduler_member_is_killed_at_strict_level_with_nothing_left_to_remove(member: Member) -> None:
    row = _row(member.name, Level.STRICT)
    assert row.killed and row.check == Verdict.STRICT and not is_gap(row), format_row(row)
    _assert_replays_to_the_same_failure(row, member, Level.STRICT)


@pytest.mark.slow
@pytest.mark.parametrize("member", [m for m in SCHEDULER_MEMBERS if m.checks], ids=lambda m: m.name)
def test_a_scheduler_member_breaking_a_named_invariant_is_killed_by_it(member: Member) -> None:
    row = _row(member.name, Level.INVARIANTS)
    assert row.killed and row.check in member.checks, format_row(row)
    _assert_replays_to_the_same_failure(row, member, Level.INVARIANTS)
