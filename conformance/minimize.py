"""Leave a counterexample from which no step can be removed: delta debugging by replay.

Theory of operation
-------------------
Hypothesis shrinks the choices that made a failing example; what remains can
still carry steps that do not matter to the failure (a static node added
that is never dialed).  :func:`minimize` replays shorter and shorter step
lists in fresh sessions at the run's level (at ``strict`` the reference twin
records each answer anew, so no stale expectation is kept) and keeps a
shorter list whenever the same verdict still fails, at its last step or
earlier (then the list ends there).  Runs of steps are tried first, halving
down to single steps, until no single step can be removed.  It is
deterministic: the same counterexample and implementation give the same
result.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from dialcheck.conformance.session import Level, Nonconformance, replay_steps
from dialcheck.conformance.trace import ExecuteStep, NewTasksStep, Step, Trace
from dialcheck.spec.contract import DialstateFactory

__all__ = ["minimize", "get_failure"]


def _without_expectation(step: Step) -> Step:
    return replace(step, expect=None) if isinstance(step, (NewTasksStep, ExecuteStep)) else step


def get_failure(
    trace: Trace, steps: list[Step], factory: DialstateFactory, level: Level, origin: str
) -> Optional[Nonconformance]:
    """Replay ``steps`` of ``trace``'s config and profile in a fresh session; return its failure, if any."""
    stripped = [_without_expectation(step) for step in steps]
    return replay_steps(
        factory, trace.config, trace.profile, stripped, level=level, origin=origin, description=trace.description
    )


def minimize(failure: Nonconformance, factory: DialstateFactory, level: Level, origin: str) -> Nonconformance:
    """Return ``failure`` with the fewest steps that still fail with the same verdict (none removable)."""
    best = failure
    steps = list(failure.trace.steps)
    size = max(1, len(steps) // 2)
    while steps:
        removed = False
        start = 0
        while start < len(steps):
            candidate = steps[:start] + steps[start + size :]
            found = get_failure(failure.trace, candidate, factory, level, origin) if candidate else None
            if found is not None and found.check is failure.check:
                best, steps, removed = found, list(found.trace.steps), True
            else:
                start += size
        if size == 1 and not removed:
            break
        size = max(1, size // 2) if not removed else size
    return best
