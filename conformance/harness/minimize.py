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

from dataclasses import replace
from typing import Any, Optional

from dialcheck.conformance.harness.family import Family, family_of, replay_steps
from dialcheck.conformance.harness.session import Level, Nonconformance

__all__ = ["minimize", "get_failure", "settle", "NONDETERMINISTIC_REPLAY"]

#: A failure of either family.
AnyFailure = Nonconformance[Any]


def get_failure(trace: Any, steps: list[Any], factory: Any, level: Level, origin: str) -> Optional[AnyFailure]:
    """Replay ``steps`` of ``trace``'s config and profile in a fresh session; return its failure, if any.

    Each step's recorded expectation is dropped: at ``strict`` level the twin records it anew.
    """
    family = family_of(trace.profile)
    stripped = [family.strip_expectation(step) for step in steps]
    return replay_steps(
        factory, trace.config, trace.profile, stripped, level=level, origin=origin, description=trace.description
    )


def minimize(failure: AnyFailure, factory: Any, level: Level, origin: str) -> AnyFailure:
    """Return ``failure`` with the fewest steps, then the simplest config and contents, that still fail alike."""
    family = family_of(failure.trace.profile)
    best = _drop_steps(failure, factory, level, origin)
    while True:
        simpler = _simplify_once(family, best, factory, level, origin)
        if simpler is None:
            return best
        best = _drop_steps(simpler, factory, level, origin)


def _drop_steps(failure: AnyFailure, factory: Any, level: Level, origin: str) -> AnyFailure:
    """Remove runs of steps, halving down to single steps, while a replay still fails with the same verdict."""
    trace = failure.trace
    best = failure
    steps = list(trace.steps)
    size = max(1, len(steps) // 2)
    while steps:
        removed = False
        start = 0
        while start < len(steps):
            candidate = steps[:start] + steps[start + size :]
            found = get_failure(trace, candidate, factory, level, origin) if candidate else None
            if found is not None and found.check is failure.check:
                best, steps, removed = found, list(found.trace.steps), True
            else:
                start += size
        if size == 1 and not removed:
            break
        size = max(1, size // 2) if not removed else size
    return best


def _simplify_once(
    family: Family, failure: AnyFailure, factory: Any, level: Level, origin: str
) -> Optional[AnyFailure]:
    """Return ``failure`` after the first simplification of its config or steps that still fails alike, if any."""
    trace = failure.trace
    candidates: list[tuple[Any, list[Any]]] = [
        (replace(trace, config=config), list(trace.steps)) for config in family.get_simpler_configs(trace.config)
    ]
    before = 0
    for index, step in enumerate(trace.steps):
        candidates += [
            (trace, [*trace.steps[:index], simpler, *trace.steps[index + 1 :]])
            for simpler in family.get_simpler_steps(step, before)
        ]
        before = family.get_time(step, before)
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
    failure: AnyFailure, factory: Any, level: Level, origin: str, shrink: bool = True
) -> tuple[AnyFailure, Optional[str]]:
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
