"""Each execution check of spec section 10 fires on a minimal wrong execution and stays silent on geth's (by hand)."""

from __future__ import annotations

from dataclasses import replace

from support import config, nid, node

from dialcheck.conformance.oracle.execution_checks import (
    ExecutionChecker,
    compare_executions,
    describe_bad_execution,
    supports_execution,
)
from dialcheck.reference.dialstate import Dialstate
from dialcheck.spec.execution import Connect, DialState, Execution, ExecutionInput, Lookup, Resolve, Sleep
from dialcheck.spec.model import SECOND, ConnFlag, DialTask, DiscoverTask, Node, WaitTask
from dialcheck.spec.verdicts import Verdict

S = SECOND
INCOMPLETE = node(1, ip=None)
FOUND = node(1)
MOVED = Node(nid(1), "10.0.0.101", 30304, 0)


def _judge(
    checker: ExecutionChecker, task: DialTask | DiscoverTask | WaitTask, inputs: ExecutionInput, got: Execution
) -> set[Verdict]:
    dest = task.dest if isinstance(task, DialTask) else None
    return {v.check for v in checker.on_execute(task, dest, inputs, got)}


def test_an_incomplete_node_is_resolved_first_and_not_dialed_when_that_fails_INCOMPLETE_NEEDS_RESOLVE() -> None:
    task = DialTask(ConnFlag.DYN, INCOMPLETE)
    inputs = ExecutionInput(1 * S, resolved=None, connects=(True,))
    right = Execution((Resolve(nid(1), None),), DialState(120 * S, 1 * S, INCOMPLETE))
    assert _judge(ExecutionChecker(), task, inputs, right) == set()
    dialed = Execution((Connect(INCOMPLETE, True),), DialState(0, None, INCOMPLETE))
    assert _judge(ExecutionChecker(), DialTask(ConnFlag.DYN, INCOMPLETE), inputs, dialed) == {
        Verdict.INCOMPLETE_NEEDS_RESOLVE
    }


def test_a_failed_static_dial_resolves_and_dials_again_STATIC_RETRY() -> None:
    inputs = ExecutionInput(1 * S, resolved=MOVED, connects=(False, True))
    retried = Execution(
        (Connect(FOUND, False), Resolve(nid(1), MOVED), Connect(MOVED, True)), DialState(60 * S, 1 * S, MOVED)
    )
    assert _judge(ExecutionChecker(), DialTask(ConnFlag.STATIC, FOUND), inputs, retried) == set()
    gave_up = Execution((Connect(FOUND, False),), DialState(0, None, FOUND))
    assert _judge(ExecutionChecker(), DialTask(ConnFlag.STATIC, FOUND), inputs, gave_up) == {Verdict.STATIC_RETRY}
    # A dynamic task must not retry.
    assert _judge(ExecutionChecker(), DialTask(ConnFlag.DYN, FOUND), inputs, retried) == {Verdict.STATIC_RETRY}


def test_a_resolve_within_the_delay_is_skipped_RESOLVE_THROTTLE() -> None:
    checker = ExecutionChecker()
    task = DialTask(ConnFlag.STATIC, INCOMPLETE)
    first = ExecutionInput(1 * S, resolved=None)
    assert (
        _judge(checker, task, first, Execution((Resolve(nid(1), None),), DialState(120 * S, 1 * S, INCOMPLETE)))
        == set()
    )
    again = ExecutionInput(100 * S, resolved=FOUND, connects=(True,))
    eager = Execution((Resolve(nid(1), FOUND), Connect(FOUND, True)), DialState(60 * S, 100 * S, FOUND))
    assert _judge(checker, task, again, eager) == {Verdict.RESOLVE_THROTTLE}


def test_the_delay_doubles_from_60_s_and_is_reported_RESOLVE_BACKOFF() -> None:
    task = DialTask(ConnFlag.DYN, INCOMPLETE)
    inputs = ExecutionInput(1 * S, resolved=None)
    flat = Execution((Resolve(nid(1), None),), DialState(60 * S, 1 * S, INCOMPLETE))
    assert _judge(ExecutionChecker(), task, inputs, flat) == {Verdict.RESOLVE_BACKOFF}


def test_a_resolve_records_its_time_and_a_success_its_node_EX_RESOLVE_4() -> None:
    task = DialTask(ConnFlag.DYN, INCOMPLETE)
    inputs = ExecutionInput(1 * S, resolved=None)
    unrecorded = Execution((Resolve(nid(1), None),), DialState(120 * S, None, INCOMPLETE))
    assert _judge(ExecutionChecker(), task, inputs, unrecorded) == {Verdict.EX_RESOLVE_4}
    missing = Execution((Resolve(nid(1), None),))
    assert _judge(ExecutionChecker(), DialTask(ConnFlag.DYN, INCOMPLETE), inputs, missing) == {Verdict.EX_RESOLVE_4}


def test_nothing_resolves_without_discovery_EX_RESOLVE_1() -> None:
    task = DialTask(ConnFlag.DYN, INCOMPLETE)
    inputs = ExecutionInput(1 * S, discovery=False, resolved=FOUND, connects=(True,))
    assert _judge(ExecutionChecker(), task, inputs, Execution((), DialState(0, None, INCOMPLETE))) == set()
    resolved = Execution((Resolve(nid(1), FOUND), Connect(FOUND, True)), DialState(60 * S, 1 * S, FOUND))
    assert _judge(ExecutionChecker(), DialTask(ConnFlag.DYN, INCOMPLETE), inputs, resolved) == {Verdict.EX_RESOLVE_1}


def test_a_lookup_waits_until_4_s_after_the_previous_one_LOOKUP_SPACING() -> None:
    inputs = ExecutionInput(10 * S, lookup=(FOUND,), last_lookup=8 * S)
    assert _judge(ExecutionChecker(), DiscoverTask(), inputs, Execution((Sleep(2 * S), Lookup((FOUND,))))) == set()
    assert _judge(ExecutionChecker(), DiscoverTask(), inputs, Execution((Lookup((FOUND,)),))) == {
        Verdict.LOOKUP_SPACING
    }


def test_a_wait_sleeps_its_duration_and_never_a_negative_one_EX_WAIT_1() -> None:
    inputs = ExecutionInput(0)
    assert _judge(ExecutionChecker(), WaitTask(5 * S), inputs, Execution((Sleep(5 * S),))) == set()
    assert _judge(ExecutionChecker(), WaitTask(-5), inputs, Execution((Sleep(0),))) == set()
    assert _judge(ExecutionChecker(), WaitTask(-5), inputs, Execution((Sleep(-5),))) == {Verdict.EX_WAIT_1}


def test_the_reference_has_the_capability_and_answers_are_checked_for_shape_AD_5() -> None:
    assert supports_execution(Dialstate(config()))
    assert not supports_execution(object())
    assert describe_bad_execution([]) is not None
    assert describe_bad_execution(Execution(("resolve",))) is not None  # type: ignore[arg-type]
    assert describe_bad_execution(Execution((), "state")) is not None  # type: ignore[arg-type]
    good = Execution((Sleep(1),))
    assert describe_bad_execution(good) is None
    assert compare_executions(good, good) is None
    assert "execution differs" in str(compare_executions(good, Execution((Sleep(2),))))
    state = DialState(0, None, FOUND)
    assert "another state" in str(
        compare_executions(Execution((), state), Execution((), replace(state, resolve_delay=1)))
    )
