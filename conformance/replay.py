"""Replay a trace against an implementation and judge every checked answer.

Theory of operation
-------------------
One fresh implementation is made per trace (AD-1).  Steps are applied in
order.  Every task a ``new_tasks`` step returns joins the *outstanding* list,
oldest first; a ``task_done`` step names the oldest outstanding task of its
kind (and destination ID) and hands that very object back (AD-3).  A
``new_tasks`` answer is compared with ``expect``, when present, as a multiset
(DS-TASKS-2).  The first difference, a missing outstanding task, an exception
raised by the implementation or an answer that is not a sequence of tasks
(AD-4) ends the replay with a :class:`Failure` naming the step.

Every answer is also judged by the named invariants
(:mod:`conformance.invariants`), so a trace saved from an invariants-level run
fails again at the same step with the same check.

A factory that returns an object without the contract's methods is not a
verdict but a harness error: :class:`conformance.loader.ImplementationError`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Optional, Union

from dialcheck.conformance.execution_checks import (
    ExecutionChecker,
    compare_executions,
    describe_bad_execution,
    supports_execution,
)
from dialcheck.conformance.invariants import InvariantChecker
from dialcheck.conformance.loader import check_dialstate
from dialcheck.conformance.render import format_step, format_tasks
from dialcheck.conformance.trace import AddStaticStep, ExecuteStep, NewTasksStep, Step, TaskDoneStep, TaskRef, Trace
from dialcheck.spec.contract import Dialstate, DialstateFactory
from dialcheck.spec.execution import Execution
from dialcheck.spec.model import ConnFlag, DialTask, DiscoverTask, Node, NodeID, Profile, Task, WaitTask, get_task_key
from dialcheck.spec.verdicts import ImplementationFault, Verdict

__all__ = [
    "Failure",
    "ReplayResult",
    "replay_trace",
    "compare_tasks",
    "describe_bad_answer",
    "format_failure",
    "is_task",
]


@dataclass(frozen=True)
class Failure:
    """Why a replay failed: the check that broke and where (``index`` 0-based; ``None``: construction)."""

    index: Optional[int]
    step: Optional[Step]
    check: str
    reason: str
    expected: Optional[tuple[Task, ...]] = None
    got: Optional[tuple[Task, ...]] = None
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReplayResult:
    """The outcome of one trace: ``failure`` is ``None`` when it passed."""

    trace: Trace
    profile: Profile
    failure: Optional[Failure]
    steps_run: int

    @property
    def passed(self) -> bool:
        """Return whether every step passed."""
        return self.failure is None


def is_task(value: object) -> bool:
    """Return whether ``value`` is a well-formed ``spec.model`` task."""
    if isinstance(value, DialTask):
        return isinstance(value.flag, ConnFlag) and isinstance(value.dest, Node)
    if isinstance(value, WaitTask):
        return isinstance(value.duration, int)
    return isinstance(value, DiscoverTask)


def compare_tasks(expected: Sequence[Task], got: Sequence[Task], self_id: Optional[NodeID] = None) -> Optional[str]:
    """Return ``None`` if the two task lists are equal as multisets, else what differs."""
    want = Counter(get_task_key(t) for t in expected)
    have = Counter(get_task_key(t) for t in got)
    if want == have:
        return None
    missing = [t for t in expected if (want - have)[get_task_key(t)] > 0]
    extra = [t for t in got if (have - want)[get_task_key(t)] > 0]
    parts = []
    if missing:
        parts.append(f"missing {format_tasks(_dedupe(missing, want - have), self_id)}")
    if extra:
        parts.append(f"unexpected {format_tasks(_dedupe(extra, have - want), self_id)}")
    return "answer differs: " + "; ".join(parts)


def _dedupe(tasks: Sequence[Task], surplus: Counter[tuple[object, ...]]) -> list[Task]:
    """Keep each task as many times as it is in surplus."""
    left = Counter(surplus)
    out = []
    for task in tasks:
        key = get_task_key(task)
        if left[key] > 0:
            left[key] -= 1
            out.append(task)
    return out


def _find_outstanding(outstanding: list[Task], ref: TaskRef) -> Optional[int]:
    for i, task in enumerate(outstanding):
        if ref.kind == "dial" and isinstance(task, DialTask) and task.dest.id == ref.dest:
            return i
        if ref.kind == "discover" and isinstance(task, DiscoverTask):
            return i
        if ref.kind == "wait" and isinstance(task, WaitTask):
            return i
    return None


def describe_bad_answer(answer: object) -> Optional[str]:
    """Return why a ``new_tasks`` answer is not a sequence of ``spec.model`` tasks, or ``None`` if it is."""
    # AD-4: "an answer that is not a sequence of tasks MUST be reported as non-conformance".
    if not isinstance(answer, Sequence) or isinstance(answer, (str, bytes)):
        return f"new_tasks returned {_short_repr(answer)}, not a sequence of tasks"
    bad = [t for t in answer if not is_task(t)]
    if bad:
        return f"new_tasks returned {_short_repr(bad[0])}, which is not a spec.model task"
    return None


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _raised(exc: Exception, what: str, step: Optional[Step]) -> Failure:
    """Return the failure for an exception out of the implementation (AD-4) or an adapter's fault."""
    if isinstance(exc, ImplementationFault):
        return Failure(None, step, exc.verdict, exc.message)
    return Failure(
        None, step, Verdict.IMPLEMENTATION_ERROR, f"the implementation raised {type(exc).__name__} in {what}: {exc}"
    )


def _missing(step: Union[TaskDoneStep, ExecuteStep]) -> Failure:
    what = step.ref.kind if step.ref.dest is None else f"dial task for {step.ref.dest}"
    reason = f"no outstanding {what}: the implementation never returned one, or it is already done"
    return Failure(None, step, Verdict.MISSING_TASK, reason)


def _run_execute(
    impl: Dialstate, step: ExecuteStep, outstanding: list[Task], checker: InvariantChecker, executions: ExecutionChecker
) -> Optional[Failure]:
    """Execute the task the step names; judge what it did against ``expect`` and section 10."""
    index = _find_outstanding(outstanding, step.ref)
    if index is None:
        return _missing(step)
    task = outstanding[index]
    if not supports_execution(impl):
        reason = "the trace executes a task, but the implementation has no execute method (AD-5)"
        return Failure(None, step, Verdict.EXECUTION_UNSUPPORTED, reason)
    dest = task.dest if isinstance(task, DialTask) else None
    try:
        got: object = impl.execute(task, step.inputs)
    except Exception as exc:
        return _raised(exc, "execute", step)
    problem = describe_bad_execution(got)
    if problem is not None:
        return Failure(None, step, Verdict.BAD_ANSWER, problem)
    assert isinstance(got, Execution)
    violations = executions.on_execute(task, dest, step.inputs, got)
    broken = tuple(v.check for v in violations)
    if step.expect is not None:
        difference = compare_executions(step.expect, got)
        if difference is not None:
            return Failure(None, step, Verdict.STRICT, difference, also=broken)
    if violations:
        return Failure(None, step, broken[0], violations[0].message, also=broken[1:])
    checker.on_execute(task, dest, got)
    return None


def _run_step(
    impl: Dialstate,
    step: Step,
    outstanding: list[Task],
    checker: InvariantChecker,
    executions: ExecutionChecker,
    self_id: NodeID,
) -> Optional[Failure]:
    """Apply one step; return a failure (index filled in by the caller) or ``None``."""
    if isinstance(step, ExecuteStep):
        return _run_execute(impl, step, outstanding, checker, executions)
    if isinstance(step, NewTasksStep):
        try:
            answer: object = impl.new_tasks(step.running, dict(step.peers), step.now, list(step.table))
        except Exception as exc:  # AD-4: an implementation's exception is a verdict
            return _raised(exc, "new_tasks", step)
        problem = describe_bad_answer(answer)
        if problem is not None:
            return Failure(None, step, Verdict.BAD_ANSWER, problem)
        assert isinstance(answer, Sequence)
        tasks = tuple(answer)
        outstanding.extend(tasks)
        violations = checker.on_new_tasks(step.running, dict(step.peers), step.now, step.table, tasks)
        broken = tuple(v.check for v in violations)
        if step.expect is not None:
            difference = compare_tasks(step.expect, tasks, self_id)
            if difference is not None:
                return Failure(None, step, Verdict.STRICT, difference, step.expect, tasks, broken)
        if violations:
            return Failure(None, step, broken[0], violations[0].message, None, tasks, broken[1:])
        return None
    if isinstance(step, TaskDoneStep):
        index = _find_outstanding(outstanding, step.ref)
        if index is None:
            return _missing(step)
        task = outstanding.pop(index)
        try:
            # AD-3: "a task passed to task_done MUST be an object that new_tasks returned".
            impl.task_done(task, step.now, list(step.results))
        except Exception as exc:
            return _raised(exc, "task_done", step)
        checker.on_task_done(task, step.now, step.results)
        return None
    try:
        if isinstance(step, AddStaticStep):
            impl.add_static(step.node)
            checker.on_add_static(step.node)
        else:
            impl.remove_static(step.node)
            checker.on_remove_static(step.node)
    except Exception as exc:
        verb = "add_static" if isinstance(step, AddStaticStep) else "remove_static"
        return _raised(exc, verb, step)
    return None


def replay_trace(
    trace: Trace, factory: DialstateFactory, profile: Optional[Profile] = None, origin: str = "the factory"
) -> ReplayResult:
    """Replay ``trace`` against a fresh implementation from ``factory`` (profile defaults to the trace's).

    Every answer is judged against ``expect`` (when present) and the named invariants.
    """
    chosen = profile or trace.profile
    try:
        # AD-1: "an implementation MUST be created by a factory called as factory(config, profile)".
        created = factory(trace.config, chosen)
    except Exception as exc:
        return ReplayResult(trace, chosen, _raised(exc, "the factory", None), 0)
    impl = check_dialstate(created, origin)
    checker = InvariantChecker(trace.config, chosen)
    executions = ExecutionChecker()
    outstanding: list[Task] = []
    for index, step in enumerate(trace.steps):
        failure = _run_step(impl, step, outstanding, checker, executions, trace.config.self_id)
        if failure is not None:
            return ReplayResult(trace, chosen, replace(failure, index=index), index + 1)
    return ReplayResult(trace, chosen, None, len(trace.steps))


def format_failure(result: ReplayResult) -> str:
    """Return the failure of a replay as indented lines a person can read."""
    failure = result.failure
    if failure is None:
        return ""
    self_id = result.trace.config.self_id
    if failure.index is None:
        return f"  at construction: {failure.check}: {failure.reason}"
    assert failure.step is not None
    also = f" (also breaks {', '.join(failure.also)})" if failure.also else ""
    lines = [
        f"  step {failure.index + 1} ($.steps[{failure.index}]): {format_step(failure.step, self_id)}",
        f"  {failure.check}{also}: {failure.reason}",
    ]
    if failure.expected is not None:
        lines.append(f"  expected {format_tasks(failure.expected, self_id)}")
    if failure.got is not None:
        lines.append(f"  got      {format_tasks(failure.got, self_id)}")
    return "\n".join(lines)
