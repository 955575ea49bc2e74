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

from dataclasses import dataclass
from typing import Any, Optional

from dialcheck.conformance.formats.render import format_any_step, format_tasks
from dialcheck.conformance.formats.scheduler_format import AnyTrace
from dialcheck.conformance.formats.trace import ExecuteStep, Trace
from dialcheck.conformance.harness.family import AnyProfile, family_of, replay_steps
from dialcheck.conformance.harness.ids import get_unfit_id
from dialcheck.conformance.harness.session import Failure, Level

__all__ = [
    "Capabilities",
    "ReplayResult",
    "get_skip_reason",
    "replay_trace",
    "format_failure",
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
