"""The suite has teeth: every zoo member is killed by the default run, and its failure replays.

Slow: each case is a default-size ``dialcheck run`` (derandomized ``ci`` profile).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Optional

import pytest

from dialcheck.conformance.cli import main
from dialcheck.conformance.formats.trace import Trace
from dialcheck.conformance.harness.minimize import get_failure
from dialcheck.conformance.harness.replay import replay_trace
from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.oracle.invariants import Situation
from dialcheck.conformance.reports.mutants import Row, format_row, is_gap, run_mutants
from dialcheck.conformance.runs.options import RunOptions
from dialcheck.conformance.runs.runner import run_conformance
from dialcheck.conformance.zoo import MEMBERS, Member, get_member
from dialcheck.reference.dialstate import create_dialstate
from dialcheck.spec.model import Profile, get_rules
from dialcheck.spec.verdicts import Verdict, VerdictKind

REACHED = [m for m in MEMBERS if not m.random_run_misses_because]
SEEN_BY_INVARIANTS = [m for m in REACHED if m.checks]


def test_the_zoo_covers_every_named_check_and_says_why_the_rest_are_strict_only() -> None:
    assert len(MEMBERS) >= 30
    named = {v for v in Verdict if v.kind in (VerdictKind.INVARIANT, VerdictKind.EXECUTION)}
    assert {c for m in MEMBERS for c in m.checks} >= named
    assert len({m.name for m in MEMBERS}) == len(MEMBERS)
    for member in MEMBERS:
        assert member.description.endswith(".") and member.requirement
        assert bool(member.checks) != bool(member.strict_only_because), member.name


def test_a_zoo_member_is_usable_as_an_impl_factory() -> None:
    import dialcheck.conformance.zoo as zoo

    for member in MEMBERS:
        factory = getattr(zoo, member.name)
        assert callable(factory) and member.description in (factory.__doc__ or "")


@functools.cache
def _row(name: str, level: Level) -> Row:
    """Return what one derandomized default run finds against a member (each test process runs it once)."""
    [row] = run_mutants(level, "ci", [get_member(name)])
    return row


def _assert_replays_to_the_same_failure(row: Row, level: Level) -> None:
    """The counterexample replays to its last step and check, and no single step can be removed from it."""
    trace, member = row.counterexample, row.member
    assert isinstance(trace, Trace) and isinstance(member, Member)
    result = replay_trace(trace, member.create)
    assert result.failure is not None and result.failure.index == len(trace.steps) - 1, result.failure
    assert result.failure.verdict == row.check, (result.failure.verdict, row.check)
    for index in range(len(trace.steps)):
        without = [step for i, step in enumerate(trace.steps) if i != index]
        again = get_failure(trace, without, member.create, level, member.name)
        assert again is None or again.check is not row.check, f"step {index + 1} of {len(trace.steps)} is removable"


@pytest.mark.slow
@pytest.mark.parametrize("member", REACHED, ids=lambda m: m.name)
def test_every_zoo_member_is_killed_at_strict_level_by_a_counterexample_with_nothing_left_to_remove(
    member: Member,
) -> None:
    row = _row(member.name, Level.STRICT)
    assert row.killed and not is_gap(row), row
    _assert_replays_to_the_same_failure(row, Level.STRICT)


@pytest.mark.slow
@pytest.mark.parametrize("member", SEEN_BY_INVARIANTS, ids=lambda m: m.name)
def test_a_member_whose_bug_breaks_a_named_invariant_is_killed_by_it_with_nothing_left_to_remove(
    member: Member,
) -> None:
    row = _row(member.name, Level.INVARIANTS)
    assert row.killed and row.check in member.checks, row
    _assert_replays_to_the_same_failure(row, Level.INVARIANTS)


def test_a_member_out_of_the_default_runs_reach_is_no_gap_and_the_matrix_says_why() -> None:
    # No member is out of reach since the machine draws its seeds as bytes (docs/teeth.md); the
    # mechanism stays for the next one, shown on a member marked so.
    member = dataclasses.replace(
        get_member("wait_done_ends_the_lookup"), random_run_misses_because="it takes nine events"
    )
    row = Row(member, Level.STRICT, False, None, None, None, 1.0)
    assert row.expected_to_survive and not is_gap(row)
    assert "exhaustive" in format_row(row) and "it takes nine events" in format_row(row)


_REPLAYED = [
    (name, level)
    for name in ("dials_self", "history_inclusive_expiry", "lookup_buffer_reversed")
    for level in ("strict", "invariants")
    if level == "strict" or get_member(name).checks
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "level"), _REPLAYED)
def test_a_saved_failure_replays_to_the_same_step_and_check(
    name: str, level: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    member = get_member(name)
    impl = f"dialcheck.conformance.zoo:{member.name}"
    args = ["run", "--impl", impl, "--level", level, "--profile", member.profile.value]
    assert main([*args, "--hypothesis-profile", "ci", "--save-failures", str(tmp_path)]) == 1
    verdict = capsys.readouterr().out.strip().splitlines()[-1]
    check = verdict.split("NOT CONFORMANT (")[1].split(")")[0]
    [trace] = list(tmp_path.glob("*.json"))
    steps = len(json.loads(trace.read_text())["steps"])
    assert main(["replay", "--impl", impl, str(trace)]) == 1
    replayed = capsys.readouterr().out
    assert f"step {steps} ($.steps[{steps - 1}])" in replayed and f"  {check}" in replayed


#: (examples, the fewest steps such a run makes): CI's slow env runs the short size, the thorough env the default.
SIZES = [
    pytest.param((200, 10_000), id="short"),
    pytest.param((None, 20_000), id="default", marks=pytest.mark.thorough),
]


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("level", list(Level), ids=lambda lv: lv.value)
@pytest.mark.parametrize("profile", list(Profile), ids=lambda p: p.value)
def test_a_run_on_the_reference_is_conformant_and_reaches_every_listed_situation(
    profile: Profile, level: Level, size: tuple[Optional[int], int]
) -> None:
    examples, fewest_steps = size
    options = RunOptions(create_dialstate, "reference", profile, level, examples=examples, hypothesis_profile="ci")
    report = run_conformance(options)
    assert report.conformant, report.failure
    assert report.steps >= fewest_steps, report.steps
    missing = {s for s in Situation if report.situations.get(s, 0) == 0}
    rules = get_rules(profile)
    if not rules.remove_static_clears_history:
        missing.discard(Situation.REMOVE_STATIC_CLEARED_HISTORY)
    if not rules.reads_table:
        missing.discard(Situation.RANDOM_DIALED)
    assert not missing, sorted(s.name for s in missing)


def test_every_member_replaces_public_steps_of_the_reference_only() -> None:
    from dialcheck.conformance.reports.mutants import AnyMember
    from dialcheck.conformance.zoo import SCHEDULER_MEMBERS

    members: list[AnyMember] = [*MEMBERS, *SCHEDULER_MEMBERS]
    for member in members:
        classes: list[type] = [member.implementation, member.wrapper or member.implementation]
        for cls in classes:
            for base in cls.__mro__[1:]:
                private = {
                    name
                    for name in vars(cls)
                    if name.startswith("_") and not name.startswith("__") and name in vars(base)
                }
                assert not private, f"{member.name} overrides the reference's private {sorted(private)}"


def test_a_member_is_declared_on_its_class_once_and_a_scheduler_answering_bug_wraps_the_model() -> None:
    from dialcheck.conformance.zoo.members import Zoo
    from dialcheck.reference.scheduler import Scheduler, SchedulerImplementation
    from dialcheck.spec.scheduler import SchedulerProfile

    zoo = Zoo(SchedulerProfile.GETH_1_15)

    @zoo.declare("wraps", "SC-EVENT-2", "a test.", ())
    class Wrapper(SchedulerImplementation):
        pass

    (member,) = zoo.get_members()
    assert member.implementation is Scheduler and member.wrapper is Wrapper
    assert member.profile is SchedulerProfile.GETH_1_15
    with pytest.raises(ValueError, match="two zoo members are called wraps"):
        zoo.declare("wraps", "SC-EVENT-2", "again.", ())(Wrapper)
