"""Leave a counterexample from which no step can be removed: delta debugging by replay.

Theory of operation
-------------------
A failing example can carry steps that do not matter to the failure (a static
node added that is never dialed).  :func:`minimize` replays shorter and
shorter step lists in fresh sessions at the run's level (at ``strict`` the
reference twin records each answer anew, so no stale expectation is kept) and
keeps a shorter list whenever the same verdict still fails, at its last step
or earlier (then the list ends there).  Runs of steps are tried first, halving
down to single steps, until no single step can be removed.

Then it simplifies what is left, keeping each change under which the same
verdict still fails: the configuration (each static node and bootnode
dropped, no restriction list, a smaller dynamic budget) and the steps' contents
(each table entry, peer and lookup result dropped, fewer tasks running, a
step's instant moved to the step before's or down to a whole second), one
change at a time, each followed by dropping steps again, until no change fails
alike.  This is the run's only shrinking: Hypothesis's own
shrink phase replays whole examples, which costs seconds over the wire where
this pass costs milliseconds (``docs/teeth.md``, "Shrinking").

It is deterministic: the same counterexample and implementation give the
same result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, Optional, TypeVar

from dialcheck.conformance.scheduler_format import EventStep, SchedulerTrace
from dialcheck.conformance.session import (
    Level,
    Nonconformance,
    SchedulerNonconformance,
    replay_scheduler_steps,
    replay_steps,
)
from dialcheck.conformance.trace import ExecuteStep, NewTasksStep, Step, TaskDoneStep, Trace
from dialcheck.spec.contract import DialstateFactory, SchedulerFactory
from dialcheck.spec.model import SECOND, Config
from dialcheck.spec.scheduler import SchedulerConfig

F = TypeVar("F", Nonconformance, SchedulerNonconformance)

__all__ = ["minimize", "get_failure", "settle", "settle_scheduler", "minimize_scheduler", "NONDETERMINISTIC_REPLAY"]


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
    """Return ``failure`` with the fewest steps, then the simplest config and contents, that still fail alike."""
    best = _drop_steps(failure, factory, level, origin)
    while True:
        simpler = _simplify_once(best, factory, level, origin)
        if simpler is None:
            return best
        best = _drop_steps(simpler, factory, level, origin)


def _drop_steps(failure: Nonconformance, factory: DialstateFactory, level: Level, origin: str) -> Nonconformance:
    """Return ``failure`` with the fewest steps that still fail with the same verdict (none removable)."""
    trace = failure.trace
    return _drop(failure, lambda steps: get_failure(trace, steps, factory, level, origin))


def _drop(failure: F, replay: Callable[[list[Any]], Optional[F]]) -> F:
    """Remove runs of steps, halving down to single steps, while ``replay`` still fails with the same verdict."""
    best = failure
    steps = list(failure.trace.steps)
    size = max(1, len(steps) // 2)
    while steps:
        removed = False
        start = 0
        while start < len(steps):
            candidate = steps[:start] + steps[start + size :]
            found = replay(candidate) if candidate else None
            if found is not None and found.check is failure.check:
                best, steps, removed = found, list(found.trace.steps), True
            else:
                start += size
        if size == 1 and not removed:
            break
        size = max(1, size // 2) if not removed else size
    return best


def _get_simpler_configs(config: Config) -> Iterator[Config]:
    """Yield configurations one change simpler than ``config``, simplest changes first."""
    for index in range(len(config.static)):
        yield replace(config, static=config.static[:index] + config.static[index + 1 :])
    for index in range(len(config.bootnodes)):
        yield replace(config, bootnodes=config.bootnodes[:index] + config.bootnodes[index + 1 :])
    if config.netrestrict is not None:
        yield replace(config, netrestrict=None)
    for budget in range(config.max_dyn_dials):
        yield replace(config, max_dyn_dials=budget)


def _get_simpler_times(now: int, before: int) -> Iterator[int]:
    """Yield earlier instants for a step at ``now`` after one at ``before``: that one, then a whole second.

    Only earlier ones, so that simplifying ends: every change makes some part of the trace smaller.
    """
    if before < now:
        yield before
    whole = now - now % SECOND
    if whole < now and whole != before:
        yield whole


def _get_simpler_steps(step: Step, before: int) -> Iterator[Step]:
    """Yield ``step`` one change simpler: an entry, peer or result fewer, fewer running, an earlier or rounder time."""
    if isinstance(step, NewTasksStep):
        for index in range(len(step.table)):
            yield replace(step, table=step.table[:index] + step.table[index + 1 :])
        for index in range(len(step.peers)):
            yield replace(step, peers=step.peers[:index] + step.peers[index + 1 :])
        for running in range(step.running):
            yield replace(step, running=running)
        for now in _get_simpler_times(step.now, before):
            yield replace(step, now=now)
    elif isinstance(step, TaskDoneStep):
        for index in range(len(step.results)):
            yield replace(step, results=step.results[:index] + step.results[index + 1 :])
        for now in _get_simpler_times(step.now, before):
            yield replace(step, now=now)


def _get_time(step: Step, before: int) -> int:
    """Return the instant of ``step``, or ``before`` for a step without one."""
    return step.now if isinstance(step, (NewTasksStep, TaskDoneStep)) else before


def _simplify_once(
    failure: Nonconformance, factory: DialstateFactory, level: Level, origin: str
) -> Optional[Nonconformance]:
    """Return ``failure`` after the first simplification of its config or steps that still fails alike, if any."""
    trace = failure.trace
    candidates: list[tuple[Trace, list[Step]]] = [
        (replace(trace, config=config), list(trace.steps)) for config in _get_simpler_configs(trace.config)
    ]
    before = 0
    for index, step in enumerate(trace.steps):
        candidates += [
            (trace, [*trace.steps[:index], simpler, *trace.steps[index + 1 :]])
            for simpler in _get_simpler_steps(step, before)
        ]
        before = _get_time(step, before)
    for candidate, steps in candidates:
        found = get_failure(candidate, steps, factory, level, origin)
        if found is not None and found.check is failure.check:
            return found
    return None


#: Why a counterexample that passes when replayed from its trace means nondeterminism (WIRE-3).
NONDETERMINISTIC_REPLAY = (
    "the saved counterexample passed when replayed from a fresh start, so the same calls got different answers "
    "(the implementation is nondeterministic)"
)


def settle(
    failure: Nonconformance, factory: DialstateFactory, level: Level, origin: str, shrink: bool = True
) -> tuple[Nonconformance, Optional[str]]:
    """Replay ``failure`` from its trace; if it fails again, minimize it (when ``shrink``).

    Return the failure and, when the replay passed, why that is nondeterminism.
    """
    # WIRE-3: "dialcheck MUST report an implementation whose answers differ when the same calls
    # are replayed as NONDETERMINISTIC, never as a raw Hypothesis error".
    trace = failure.trace
    again = replay_steps(factory, trace.config, trace.profile, trace.steps, level=Level.INVARIANTS, origin=origin)
    if again is None:
        return failure, NONDETERMINISTIC_REPLAY
    return (minimize(failure, factory, level, origin) if shrink else failure), None


# -- the dialScheduler family ----------------------------------------------------------


def _without_scheduler_expectation(step: EventStep) -> EventStep:
    return EventStep(step.event)


def get_scheduler_failure(
    trace: SchedulerTrace, steps: list[EventStep], factory: SchedulerFactory, level: Level, origin: str
) -> Optional[SchedulerNonconformance]:
    """Replay ``steps`` under ``trace``'s config and profile in a fresh scheduler session; return its failure."""
    return replay_scheduler_steps(
        factory,
        trace.config,
        trace.profile,
        [_without_scheduler_expectation(s) for s in steps],
        level=level,
        origin=origin,
        description=trace.description,
    )


def _get_simpler_scheduler_configs(config: SchedulerConfig) -> Iterator[SchedulerConfig]:
    if config.netrestrict is not None:
        yield replace(config, netrestrict=None)
    for peers in range(config.max_dial_peers):
        yield replace(config, max_dial_peers=peers)
    if config.max_active_dials:
        yield replace(config, max_active_dials=0)


def _replaying(
    trace: SchedulerTrace, factory: SchedulerFactory, level: Level, origin: str
) -> Callable[[list[EventStep]], Optional[SchedulerNonconformance]]:
    return lambda steps: get_scheduler_failure(trace, steps, factory, level, origin)


def minimize_scheduler(
    failure: SchedulerNonconformance, factory: SchedulerFactory, level: Level, origin: str
) -> SchedulerNonconformance:
    """Return ``failure`` with the fewest events, then the simplest config, that still fail alike."""
    while True:
        failure = _drop(failure, _replaying(failure.trace, factory, level, origin))
        trace = failure.trace
        for config in _get_simpler_scheduler_configs(trace.config):
            found = get_scheduler_failure(replace(trace, config=config), list(trace.steps), factory, level, origin)
            if found is not None and found.check is failure.check:
                failure = found
                break
        else:
            return failure


def settle_scheduler(
    failure: SchedulerNonconformance, factory: SchedulerFactory, level: Level, origin: str, shrink: bool = True
) -> tuple[SchedulerNonconformance, Optional[str]]:
    """Replay a scheduler failure from its trace; minimize it if it fails again (as :func:`settle`)."""
    trace = failure.trace
    again = replay_scheduler_steps(
        factory, trace.config, trace.profile, list(trace.steps), level=Level.INVARIANTS, origin=origin
    )
    if again is None:
        return failure, NONDETERMINISTIC_REPLAY
    return (minimize_scheduler(failure, factory, level, origin) if shrink else failure), None
