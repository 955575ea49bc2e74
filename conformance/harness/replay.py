"""Replay a trace against an implementation and judge every checked answer.

Theory of operation
-------------------
One fresh implementation is made per trace (AD-1) inside a
:class:`~dialcheck.conformance.harness.session.Session`, which applies the steps in
order: every task a ``new_tasks`` step returns joins the *outstanding* list,
oldest first; a ``task_done`` or ``execute`` step names the oldest outstanding
task of its kind (and destination ID) and hands that very object back (AD-3).
An answer is compared with the step's ``expect``, when present, as a multiset
(DS-TASKS-2), and judged by the named invariants, so a trace saved from an
invariants-level run fails again at the same step with the same check.  The
first problem ends the replay with a
:class:`~dialcheck.conformance.harness.session.Failure` naming the step.

A factory that returns an object without the contract's methods is not a
verdict but bad input: :class:`~dialcheck.conformance.harness.loader.ImplementationError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from dialcheck.conformance.formats.render import format_any_step, format_tasks
from dialcheck.conformance.formats.scheduler_format import AnyTrace, SchedulerTrace, get_answer
from dialcheck.conformance.formats.trace import ExecuteStep, Trace
from dialcheck.conformance.harness.family import AnyProfile, family_of, replay_steps
from dialcheck.conformance.harness.ids import get_unfit_id
from dialcheck.conformance.harness.loader import load_factory
from dialcheck.conformance.harness.session import Failure, Level, Nonconformance, SchedulerSession
from dialcheck.spec.scheduler import Response

__all__ = [
    "Capabilities",
    "ReplayResult",
    "get_skip_reason",
    "replay_trace",
    "format_failure",
    "get_reference_expectation",
]


@dataclass(frozen=True)
class Capabilities:
    """What an implementation can run: the profiles it serves, whether it executes tasks (AD-5), its ID width."""

    profiles: tuple[AnyProfile, ...]
    execute: bool
    #: How it said so, for messages (``its hello lists geth-1.7``).
    source: str = "it serves every profile"
    #: The node ID width it holds, in bytes (ID-1), or ``None``: IDs as each trace has them.
    id_bytes: Optional[int] = None


def get_skip_reason(trace: AnyTrace, capabilities: Capabilities, profile: Optional[AnyProfile] = None) -> Optional[str]:
    """Return why an implementation with ``capabilities`` cannot run ``trace`` (under ``profile``), or ``None``."""
    chosen = profile or trace.profile
    if chosen not in capabilities.profiles:
        return f"needs profile {chosen.value}, which the implementation does not serve ({capabilities.source})"
    if family_of(chosen) is not family_of(trace.profile):
        return (
            f"is a {family_of(trace.profile).name.value} trace, and profile {chosen.value} is of the "
            f"{family_of(chosen).name.value} family"
        )
    if not isinstance(trace, Trace):
        return None
    if not capabilities.execute and any(isinstance(step, ExecuteStep) for step in trace.steps):
        return "executes tasks, and the implementation has no execute capability (AD-5: it is optional)"
    if capabilities.id_bytes is not None:
        unfit = get_unfit_id(trace, capabilities.id_bytes)
        if unfit is not None:
            # ID-2
            return f"holds node ID {unfit}, which does not fit in the implementation's {capabilities.id_bytes} bytes"
    return None


@dataclass(frozen=True)
class ReplayResult:
    """The outcome of one trace: ``failure`` is ``None`` when it passed."""

    trace: AnyTrace
    profile: AnyProfile
    failure: Optional[Failure]
    steps_run: int

    @property
    def passed(self) -> bool:
        """Return whether every step passed."""
        return self.failure is None


def replay_trace(
    trace: AnyTrace, factory: Any, profile: Optional[AnyProfile] = None, origin: str = "the factory"
) -> ReplayResult:
    """Replay ``trace`` (of either family) against a fresh implementation from ``factory``.

    ``profile`` defaults to the trace's.  Every answer is judged against ``expect`` (when
    present: the dialScheduler's allowed answers, SC-CHOICE-2) and the named invariants.
    """
    chosen = profile or trace.profile
    failure = replay_steps(factory, trace.config, chosen, trace.steps, level=Level.INVARIANTS, origin=origin)
    if failure is None:
        return ReplayResult(trace, chosen, None, len(trace.steps))
    index = failure.failure.index
    return ReplayResult(trace, chosen, failure.failure, 0 if index is None else index + 1)


def format_failure(result: ReplayResult) -> str:
    """Return the failure of a replay as indented lines a person can read."""
    failure = result.failure
    if failure is None:
        return ""
    self_id = result.trace.config.self_id
    if failure.index is None:
        return f"  at construction: {failure.verdict}: {failure.message}"
    assert failure.step is not None
    also = f" (also breaks {', '.join(failure.also)})" if failure.also else ""
    lines = [
        f"  step {failure.index + 1} ($.steps[{failure.index}]): {format_any_step(failure.step, self_id)}",
        f"  {failure.verdict}{also}: {failure.message}",
    ]
    if failure.expected is not None:
        lines.append(f"  expected {format_tasks(failure.expected, self_id)}")
    if failure.got is not None:
        lines.append(f"  got      {format_tasks(failure.got, self_id)}")
    return "\n".join(lines)


def get_reference_expectation(trace: AnyTrace) -> Optional[Any]:
    """Return what the reference expects at ``trace``'s last step, when it agreed with every step before.

    A failure found below ``strict`` level has no expectation (no twin judged it); a report still shows
    what geth would have done.  The reference replays the steps before the last, judged against their
    recorded answers, then is asked the last step: its answer (dialstate's tasks, the dialScheduler's
    allowed answers) is returned.  ``None`` when the reference answered a step before differently, or
    could not follow the trace: then no expectation would be honest.
    """
    family = family_of(trace.profile)
    if not trace.steps:
        return None
    try:
        if isinstance(trace, SchedulerTrace):
            # The recorded answers, judged by a strict twin that follows them; the twin then says what it allows.
            answers = [get_answer(step) for step in trace.steps[:-1]]
            if any(answer is None for answer in answers):
                return None
            session = SchedulerSession.create(lambda _c, _p: _Recorded(answers), trace.config, trace.profile)
            for step in trace.steps[:-1]:
                session.apply(step)
            return None if session.twin is None else session.twin.on_event(trace.steps[-1].event)
        # dialstate: the reference, judged against the recorded answers, then asked the last step afresh.
        reference = family.session_type.create(
            load_factory(family.reference_spec), trace.config, trace.profile, level=Level.INVARIANTS
        )
        for recorded in trace.steps[:-1]:
            reference.apply(recorded)
        reference.apply(family.strip_expectation(trace.steps[-1]))
    except Nonconformance:
        return None
    return getattr(reference.steps[-1], "expect", None)


class _Recorded:
    """A dialScheduler that answers each event with the next recorded answer of a trace."""

    def __init__(self, answers: list[Optional[Response]]) -> None:
        self._answers = iter(answers)

    def __getattr__(self, name: str) -> Callable[..., Optional[Response]]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *_: next(self._answers)
