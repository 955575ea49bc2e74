"""The named checks of task execution (spec section 10), judged without the reference.

Theory of operation
-------------------
:class:`ExecutionChecker` keeps, for every task object it has seen executed, the
dial state spec section 10 says that task must have (resolve delay, last resolve,
destination), starting from the task's own destination.  For each execution it
derives from the spec what the task must do with the environment's answers, and
compares it with what the implementation did, action by action.  The first
difference is named by the rule it breaks:

=======================================  =====================================
first difference                         check
=======================================  =====================================
a resolve without a discovery table      EX-RESOLVE-1
a resolve while throttled                RESOLVE_THROTTLE
any other, before the first dial ends    INCOMPLETE_NEEDS_RESOLVE
any other, after it (the retry)          STATIC_RETRY
the delay left in the task               RESOLVE_BACKOFF
its last resolve or destination          EX-RESOLVE-4
a lookup's sleep or results              LOOKUP_SPACING
a wait's sleep                           EX-WAIT-1
=======================================  =====================================

The checker then keeps the state the spec gives, so one wrong answer does not
hide or invent later ones.  Tasks are told apart by identity (DS-STATIC-3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, TypeGuard

from dialcheck.conformance.formats.render import format_actions, format_node, format_time
from dialcheck.conformance.oracle.invariants import Violation
from dialcheck.spec.contract import ExecutingDialstate
from dialcheck.spec.execution import (
    Action,
    Connect,
    DialState,
    Execution,
    ExecutionInput,
    Lookup,
    Resolve,
    Sleep,
    read_nodes,
)
from dialcheck.spec.model import (
    INITIAL_RESOLVE_DELAY,
    LOOKUP_INTERVAL,
    MAX_RESOLVE_DELAY,
    PROFILE_RULES,
    ConnFlag,
    DialTask,
    DiscoverTask,
    Node,
    Profile,
    ProfileRules,
    Task,
    compute_duration,
)
from dialcheck.spec.verdicts import Verdict

__all__ = ["ExecutionChecker", "get_lookup_start", "supports_execution", "describe_bad_execution", "compare_executions"]


def supports_execution(impl: object) -> TypeGuard[ExecutingDialstate]:
    """Return whether an implementation has the optional task-execution capability (AD-5)."""
    # AD-5: "An implementation MAY provide the task-execution capability".
    return callable(getattr(impl, "execute", None))


def describe_bad_execution(value: object) -> Optional[str]:
    """Return why an ``execute`` answer is not a ``spec.execution.Execution``, or ``None`` if it is."""
    if not isinstance(value, Execution):
        text = repr(value)
        return f"execute returned {text if len(text) <= 80 else text[:77] + '...'}, not a spec.execution.Execution"
    if not all(isinstance(a, (Resolve, Connect, Sleep, Lookup)) for a in value.actions):
        return "execute returned actions that are not spec.execution Resolve, Connect, Sleep or Lookup values"
    if value.state is not None and not isinstance(value.state, DialState):
        return "execute returned a state that is not a spec.execution.DialState"
    return None


def _get_node_key(node: Node) -> tuple[str, str, int, int]:
    return (node.id, node.ip or "", node.tcp, node.udp)


def _unordered(execution: Execution) -> Execution:
    """Return ``execution`` with each lookup's results in a canonical order (EX-ITER-1: they carry no order)."""
    actions = tuple(
        Lookup(tuple(sorted(a.results, key=_get_node_key))) if isinstance(a, Lookup) else a for a in execution.actions
    )
    return Execution(actions, execution.state)


def compare_executions(expected: Execution, got: Execution, unordered_lookup: bool = False) -> Optional[str]:
    """Return ``None`` if two executions are equal, else what differs, readably.

    ``unordered_lookup``: a lookup's results compare as a set (the node iterator, EX-ITER-1).
    """
    if unordered_lookup:
        expected, got = _unordered(expected), _unordered(got)
    if expected == got:
        return None
    if expected.actions != got.actions:
        return f"execution differs: did {format_actions(got.actions)}, expected {format_actions(expected.actions)}"
    got_state, expected_state = _format_state(got.state), _format_state(expected.state)
    return f"execution leaves the task in another state: {got_state}, expected {expected_state}"


def _format_state(state: Optional[DialState]) -> str:
    if state is None:
        return "no dial state"
    return (
        f"delay {format_time(state.resolve_delay)}, last resolve {_when(state.last_resolved)}, "
        f"destination {format_node(state.dest)}"
    )


@dataclass
class _Expected:
    """What the spec says one dial execution does, and where its retry part starts."""

    actions: list[Action]
    retry_from: Optional[int] = None


def get_lookup_start(inputs: ExecutionInput) -> int:
    """Return when a lookup run at ``inputs.now`` starts: no earlier than 4 s after the previous one."""
    # LOOKUP_SPACING: "A discover task MUST NOT start its lookup earlier than 4 s after the previous lookup started: it
    # sleeps until then, and the server records the lookup's start".
    if inputs.last_lookup is None:
        return inputs.now
    return max(inputs.now, inputs.last_lookup + LOOKUP_INTERVAL)


class ExecutionChecker:
    """Judge each execution an implementation reports against spec section 10."""

    def __init__(self, rules: ProfileRules = PROFILE_RULES[Profile.GETH_1_7]) -> None:
        self._states: dict[int, tuple[Task, DialState]] = {}
        self._rules = rules

    def on_execute(self, task: Task, dest: Optional[Node], inputs: ExecutionInput, got: Execution) -> list[Violation]:
        """Judge one execution of ``task``; ``dest`` is a dial task's destination before it ran.

        Return the violated check (empty when it conforms).
        """
        if isinstance(task, DialTask):
            assert dest is not None
            return self._check_dial(task, dest, inputs, got)
        if isinstance(task, DiscoverTask) and not self._rules.lookup_spacing:
            # EX-ITER-1: "Under `geth-1.9.7` a discover task MUST NOT sleep: it reads at most `want` nodes from the node
            # iterator and returns them without duplicates".
            read = read_nodes(inputs.lookup, task.want or 0)
            if compare_executions(Execution((Lookup(read),)), got, unordered_lookup=True) is not None:
                what = f"the read of {task.want} node(s)"
                return [_violation(Verdict.EX_ITER_1, what, got.actions, [Lookup(read)], inputs)]
            return []
        if isinstance(task, DiscoverTask):
            expected: list[Action] = []
            start = get_lookup_start(inputs)
            if start > inputs.now:
                expected.append(Sleep(start - inputs.now))
            expected.append(Lookup(inputs.lookup))
            if list(got.actions) != expected:
                return [_violation(Verdict.LOOKUP_SPACING, "the lookup", got.actions, expected, inputs)]
            return []
        # EX-WAIT-1: "A wait task MUST sleep for its duration; a negative duration returns at once".
        expected = [Sleep(max(0, task.duration))]
        if list(got.actions) != expected:
            return [
                _violation(
                    Verdict.EX_WAIT_1, f"the wait of {format_time(task.duration)}", got.actions, expected, inputs
                )
            ]
        return []

    def _get_state(self, task: DialTask, dest: Node) -> DialState:
        known = self._states.get(id(task))
        if known is not None and known[0] is task:
            return known[1]
        return DialState(0, None, dest)

    def _check_dial(self, task: DialTask, dest: Node, inputs: ExecutionInput, got: Execution) -> list[Violation]:
        before = self._get_state(task, dest)
        after, expected = _expect_dial(task.flag, before, inputs)
        self._states[id(task)] = (task, after)
        what = f"the {'static' if task.flag is ConnFlag.STATIC else 'dyn'} dial of {format_node(before.dest)}"
        actions = list(got.actions)
        if actions != expected.actions:
            index = next(
                i for i, (a, b) in enumerate(zip(actions + [None], expected.actions + [None], strict=False)) if a != b
            )
            check = _name_difference(index, actions, expected, before, inputs)
            return [_violation(check, what, got.actions, expected.actions, inputs)]
        state = got.state
        if state is None:
            return [
                Violation(Verdict.EX_RESOLVE_4, f"{what} reported no dial state (delay, last resolve, destination)")
            ]
        if state.resolve_delay != after.resolve_delay:
            # RESOLVE_BACKOFF: "A task's delay MUST start at 60 s when it first tries to resolve, double after every
            # failed resolve, and be capped at 1 h" (and return to 60 s after a success, EX-RESOLVE-4).
            return [
                Violation(
                    Verdict.RESOLVE_BACKOFF,
                    f"after {what} the resolve delay is {format_time(state.resolve_delay)}, but it must be "
                    f"{format_time(after.resolve_delay)} (it was {format_time(before.resolve_delay)})",
                )
            ]
        if state.last_resolved != after.last_resolved or state.dest != after.dest:
            # EX-RESOLVE-4: "A successful resolve MUST reset the delay to 60 s, record the time, and replace the task's
            # destination with the resolved node".
            return [
                Violation(
                    Verdict.EX_RESOLVE_4,
                    f"after {what} the task has last resolve {_when(state.last_resolved)} and destination "
                    f"{format_node(state.dest)}, but it must have {_when(after.last_resolved)} and "
                    f"{format_node(after.dest)}",
                )
            ]
        return []


def _expect_dial(flag: ConnFlag, state: DialState, inputs: ExecutionInput) -> tuple[DialState, _Expected]:
    """Return the state after, and the actions of, geth's dialTask.Do from ``state`` with ``inputs``."""
    delay, last, dest = state.resolve_delay, state.last_resolved, state.dest
    expected = _Expected([])
    attempts = 0

    def resolve() -> bool:
        nonlocal delay, last, dest
        if not inputs.discovery:
            return False
        if delay == 0:
            delay = INITIAL_RESOLVE_DELAY
        if last is not None and compute_duration(inputs.now, last) < delay:
            return False
        last = inputs.now
        expected.actions.append(Resolve(dest.id, inputs.resolved))
        if inputs.resolved is None:
            delay = min(delay * 2, MAX_RESOLVE_DELAY)
            return False
        delay, dest = INITIAL_RESOLVE_DELAY, inputs.resolved
        return True

    def connect() -> bool:
        nonlocal attempts
        connected = inputs.get_connect(attempts)
        attempts += 1
        expected.actions.append(Connect(dest, connected))
        return connected

    if dest.is_incomplete() and not resolve():
        return DialState(delay, last, dest), expected
    if not connect() and ConnFlag.STATIC in flag:
        expected.retry_from = len(expected.actions)
        if resolve():
            connect()
    return DialState(delay, last, dest), expected


def _name_difference(
    index: int, got: list[Action], expected: _Expected, before: DialState, inputs: ExecutionInput
) -> Verdict:
    """Return the check a first difference at ``index`` breaks."""
    action = got[index] if index < len(got) else None
    if isinstance(action, Resolve):
        # EX-RESOLVE-1: "Without a discovery table a task MUST NOT resolve (the attempt fails and leaves the task's
        # delay untouched)".
        if not inputs.discovery:
            return Verdict.EX_RESOLVE_1
        # RESOLVE_THROTTLE: "A resolve MUST be skipped (and fail) while less than the task's current delay has passed
        # since its last resolve".
        delay = before.resolve_delay or INITIAL_RESOLVE_DELAY
        if before.last_resolved is not None and compute_duration(inputs.now, before.last_resolved) < delay:
            return Verdict.RESOLVE_THROTTLE
    if expected.retry_from is not None and index >= expected.retry_from:
        # STATIC_RETRY: "A static dial task whose connection attempt failed MUST resolve once more and, if that found
        # the node, dial again, once".
        return Verdict.STATIC_RETRY
    if expected.retry_from is None and any(isinstance(a, Connect) for a in got[:index]):
        return Verdict.STATIC_RETRY
    # INCOMPLETE_NEEDS_RESOLVE: "A dial task whose destination has no IP MUST resolve it first, and MUST NOT dial if
    # that fails (throttled resolves fail); a task whose destination is complete MUST dial it at once, without
    # resolving".
    return Verdict.INCOMPLETE_NEEDS_RESOLVE


def _when(value: Optional[int]) -> str:
    return "never" if value is None else format_time(value)


def _violation(
    check: Verdict, what: str, got: tuple[Action, ...], expected: list[Action], inputs: ExecutionInput
) -> Violation:
    return Violation(
        check,
        f"at {format_time(inputs.now)} {what} did {format_actions(got)}, but must do {format_actions(expected)}",
    )
