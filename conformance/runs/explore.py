"""Seeded random walks through geth's server loop, recorded as traces with the reference's answers.

Theory of operation
-------------------
:func:`explore_trace` plays the same events of the same
:class:`~dialcheck.conformance.harness.world.World` as the state machine (the clock
moves, also to the instants geth measures from; dials connect or fail; lookups
return; peers come and go; statics are added and removed; the table changes)
but draws them through a :class:`~dialcheck.conformance.harness.world.RandomChooser`
seeded by the caller instead of from Hypothesis.  Python's seeded ``random`` gives the same
sequence on every version and platform, so the same seed always gives the
same trace: this is what makes ``dialcheck vectors generate`` reproducible to
the byte, independent of the Hypothesis release.

Every task the walk finishes is first executed by the reference (spec section 10)
with answers drawn like the environment's, recorded as an ``execute`` step.
Every answer is the reference's and becomes the step's ``expect``.  The named
invariants judge the walk as it goes (a violation is a bug of the reference
and raises), and the situations they count say which requirements the trace
covers (:data:`COVERS_BY_SITUATION`).
"""

from __future__ import annotations

import random
from typing import Optional

from dialcheck.conformance.formats.scheduler_format import EventStep, SchedulerTrace
from dialcheck.conformance.formats.trace import Trace
from dialcheck.conformance.harness.session import (
    Nonconformance,
    SchedulerSession,
    Session,
)
from dialcheck.conformance.harness.world import (
    NODE_POOL,
    SCHEDULER_START_TIMES,
    START_TIMES,
    WALK_BOOTNODE_POOL,
    WALK_DRAWS,
    WALK_WEIGHTS,
    DialHappening,
    RandomChooser,
    SchedulerWorld,
    World,
    draw_config,
    draw_scheduler_config,
)
from dialcheck.conformance.oracle.invariants import Situation
from dialcheck.reference.dialstate import Dialstate
from dialcheck.reference.scheduler import create_scheduler
from dialcheck.spec.execution import Connect, Execution, ExecutionInput, Resolve
from dialcheck.spec.model import (
    ConnFlag,
    DialTask,
    DiscoverTask,
    Node,
    Profile,
    Task,
)
from dialcheck.spec.scheduler import (
    AddStatic,
    Advance,
    DialDone,
    DnsLookup,
    InboundCompleted,
    InboundPending,
    NodeOffered,
    PeerAdded,
    PeerRemoved,
    RemoveStatic,
    SchedulerProfile,
    is_connected,
)
from dialcheck.spec.verdicts import HarnessError

__all__ = [
    "COVERS_BY_SITUATION",
    "ALWAYS_COVERED",
    "ADAPTER_COVERED",
    "explore_trace",
    "SCHEDULER_ALWAYS_COVERED",
    "explore_scheduler_trace",
]

#: What replaying any trace exercises: the factory, the four calls, task identity (AD-1..3).
ADAPTER_COVERED = ("AD-1", "AD-2", "AD-3")

#: The requirement IDs a trace covers when a situation occurs in it.
COVERS_BY_SITUATION: dict[Situation, tuple[str, ...]] = {
    Situation.FALLBACK_FIRED: ("DS-FALLBACK-1", "BOOTNODE_ROTATION"),
    Situation.FALLBACK_AT_EXACTLY_20S: ("DS-FALLBACK-1",),
    Situation.ZERO_INSTANT_CALL: ("DS-TIME-2",),
    Situation.TIME_WENT_BACKWARDS: ("DS-TIME-1",),
    Situation.HISTORY_BLOCKS_AT_EXPIRY: ("DS-HIST-3", "HISTORY_EXPIRY"),
    Situation.HISTORY_EXPIRED: ("DS-HIST-2", "HISTORY_EXPIRY"),
    Situation.STATIC_DIALED: ("DS-STATIC-1", "DS-STATIC-3", "STATIC_REDIAL"),
    Situation.STATIC_IS_SELF: ("DS-STATIC-2", "NEVER_SELF"),
    Situation.STATIC_RESTRICTED: ("DS-STATIC-2", "NETRESTRICT", "DS-NET-1"),
    Situation.RANDOM_DIALED: ("DS-RANDOM-1", "DS-RANDOM-2", "RANDOM_HALF", "KNOWN_CANDIDATE"),
    Situation.LOOKUP_RESULT_DIALED: ("DS-LOOKUP-1", "DS-LOOKUP-3", "KNOWN_CANDIDATE"),
    Situation.DISCOVER_STARTED: ("DS-LOOKUP-2", "SINGLE_LOOKUP", "DS-ITER-1", "LOOKUP_WANT"),
    Situation.WAIT_EMITTED: ("DS-WAIT-1", "WAIT_EXPIRE"),
    Situation.WAIT_OF_ZERO: ("DS-WAIT-1",),
    Situation.NEGATIVE_NEED: ("DS-NEED-1",),
    Situation.BUDGET_FULL: ("DS-NEED-1", "DYN_BUDGET"),
    Situation.REMOVE_STATIC_CLEARED_HISTORY: ("DS-STATIC-5",),
}
#: What every explored trace covers: answers compared as multisets, the checks, the history.
ALWAYS_COVERED = ("DS-TASKS-1", "DS-TASKS-2", "DS-CHECK-1", "DS-HIST-1", "NO_DOUBLE_DIAL", *ADAPTER_COVERED)


def _get_execution_covers(
    task: Task, dest: Optional[Node], inputs: ExecutionInput, execution: Execution
) -> tuple[str, ...]:
    """Return the execution requirements one execution shows."""
    resolves = [a for a in execution.actions if isinstance(a, Resolve)]
    connects = [a for a in execution.actions if isinstance(a, Connect)]
    if isinstance(task, DiscoverTask):
        return ("LOOKUP_SPACING",) if inputs.last_lookup is not None else ()
    if not isinstance(task, DialTask) or dest is None:
        return ("EX-WAIT-1",)
    covers = []
    if dest.is_incomplete():
        covers.append("INCOMPLETE_NEEDS_RESOLVE")
        if not inputs.discovery:
            covers.append("EX-RESOLVE-1")
        elif not resolves:
            covers.append("RESOLVE_THROTTLE")
    if resolves:
        covers += ["RESOLVE_BACKOFF", "EX-RESOLVE-4"]
    if task.flag is ConnFlag.STATIC and connects and not connects[0].connected:
        covers.append("STATIC_RETRY")
    if task.flag is ConnFlag.STATIC and execution.state is not None and execution.state.dest != dest:
        covers.append("DS-STATIC-3")
    return tuple(covers)


def explore_trace(
    seed: int, profile: Profile, steps: int, name: str, execute: bool = True
) -> tuple[Trace, tuple[str, ...]]:
    """Return the trace of the walk seeded by ``seed`` and the requirement IDs it covers, sorted.

    ``execute`` ``False`` makes a scheduling-only walk: no task is executed (AD-5).
    """
    chooser = RandomChooser(random.Random(seed))
    config = draw_config(chooser, WALK_BOOTNODE_POOL)
    discovery = chooser.chance(3, 4)
    start = chooser.choice(START_TIMES)
    table = chooser.nodes(NODE_POOL, 0, 3)
    session = Session(Dialstate(config, profile), config, profile)
    session.executes = execute
    covers: set[str] = set()

    def note(task: Task, dest: Optional[Node], inputs: ExecutionInput, execution: Execution) -> None:
        covers.update(("AD-5", *_get_execution_covers(task, dest, inputs, execution)))

    world = World(session, discovery, start, table, on_execute=note)
    try:
        world.happen(DialHappening.NEW_TASKS, chooser, WALK_DRAWS)
        while len(session.steps) < steps:
            happening = chooser.weighted(WALK_WEIGHTS)
            if happening in world.get_possible():  # one that cannot happen now is skipped, its draw spent
                world.happen(happening, chooser, WALK_DRAWS)
    except Nonconformance as failure:  # pragma: no cover - the reference failing a check is a bug in dialcheck
        raise HarnessError(f"the reference broke {failure.check}: {failure.message}") from None
    covers |= set(ALWAYS_COVERED)
    for situation, count in session.checker.situations.items():
        if count:
            covers.update(COVERS_BY_SITUATION[situation])
    trace = Trace(
        name=name,
        profile=profile,
        config=config,
        steps=tuple(session.steps),
        description=f"Explored by a seeded random walk (seed {seed}{'' if execute else ', scheduling only'}); "
        "expectations are the reference's.",
    )
    return trace, tuple(sorted(covers))


# -- the dialScheduler family ----------------------------------------------------------------

#: What every explored scheduler trace covers: the events, the slots and the loop head, checkDial, history.
SCHEDULER_ALWAYS_COVERED = (
    "SC-EVENT-1",
    "SC-EVENT-2",
    "SC-SLOTS-1",
    "SC-LOOP-1",
    "SC-CHECK-1",
    "SC-DIAL-1",
    "SC_SLOTS",
    "SC_ITERATOR_GATE",
    "SC_NO_DOUBLE_DIAL",
)


def explore_scheduler_trace(
    seed: int, profile: SchedulerProfile, steps: int, name: str
) -> tuple[SchedulerTrace, tuple[str, ...]]:
    """Return the scheduler trace of the walk seeded by ``seed`` and the requirement IDs it covers, sorted.

    The walk is the reference answering the events of a :class:`SchedulerWorld` (static choices in
    node ID order); every step expects the spec's allowed answers (SC-CHOICE-2).  It ends early
    after the first event whose loop head had a real choice among the pool: later steps would
    follow the reference's choice, which another conformant implementation may not make.
    """
    chooser = RandomChooser(random.Random(seed))
    config = draw_scheduler_config(chooser)
    start = chooser.choice(SCHEDULER_START_TIMES)
    session = SchedulerSession.create(create_scheduler, config, profile, origin="the explorer")
    covers: set[str] = set(SCHEDULER_ALWAYS_COVERED)
    try:
        world = SchedulerWorld.begin(session, start)
        while len(session.steps) < steps:
            world.happen(chooser.choice(world.get_possible()), chooser)
            step = session.steps[-1]
            covers.update(_get_scheduler_covers(step))
            if step.expect is not None and not step.expect.is_deterministic():
                break
    except Nonconformance as failure:  # pragma: no cover - the reference failing a check is a bug
        raise HarnessError(f"the reference broke {failure.check}: {failure.message}") from None
    trace = SchedulerTrace(
        name=name,
        profile=profile,
        config=config,
        steps=tuple(EventStep(s.event, s.expect, s.chosen) for s in session.steps),
        description=f"Explored by a seeded random walk (seed {seed}); expectations are the spec's allowed answers.",
    )
    return trace, tuple(sorted(covers))


def _get_scheduler_covers(step: EventStep) -> set[str]:
    """Return the requirements one step of a scheduler walk exercises."""
    event, expect, answer = step.event, step.expect, step.answer
    covers: set[str] = set()
    if expect is not None and expect.pool:
        covers.update(("SC-CHOICE-1", "SC-CHOICE-2", "SC-STATIC-3", "SC_STATIC_FIRST", "SC_STATIC_REDIAL"))
    if answer is not None and answer.done:
        covers.add("SC-RUN-3")
    kinds = {
        NodeOffered: ("SC-DYN-1", "SC-CHECK-2", "SC-NET-1", "SC_NEVER_SELF", "SC_NETRESTRICT"),
        Advance: ("SC-HIST-1", "SC-HIST-2", "SC_HISTORY"),
        PeerAdded: ("SC-PEER-1",),
        PeerRemoved: ("SC-PEER-2",),
        AddStatic: ("SC-STATIC-1",),
        RemoveStatic: ("SC-STATIC-2",),
        InboundPending: ("SC-INBOUND-1", "SC-STATIC-4"),
        InboundCompleted: ("SC-INBOUND-1",),
        DialDone: ("SC-DONE-1", "SC-RUN-1"),
    }
    covers.update(kinds.get(type(event), ()))
    actions = answer.actions if answer is not None else ()
    for action in actions:
        if isinstance(action, Resolve):
            covers.update(
                ("SC-RESOLVE-2", "SC-RESOLVE-3") if action.found is None else ("SC-RESOLVE-3", "SC-RESOLVE-4")
            )
        elif isinstance(action, DnsLookup):
            covers.add("SC-DNS-1")
        elif not action.connected:
            covers.add("SC-RUN-2")
    if isinstance(event, DialDone) and event.inputs.joins and is_connected(actions):
        covers.add("SC-PEER-3")
    return covers
