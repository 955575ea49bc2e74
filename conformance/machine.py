"""The state machine that plays geth's server loop and the network around an implementation.

Theory of operation
-------------------
:class:`DialMachine` is a Hypothesis ``RuleBasedStateMachine`` whose one rule
plays an :class:`Event` of geth's ``Server.run``: ask for new tasks after the clock moves,
a dial connects or fails, a lookup returns, a wait ends, a peer drops or
connects inbound, a static node is added or removed, the discovery table's
contents change.  ``running`` is the number of outstanding tasks, of all kinds.

Hypothesis makes one draw per event: a 32-bit seed, from which a
:class:`~dialcheck.conformance.world.RandomChooser` decodes the whole event
(which event, its arguments, what it draws as it runs) from the values of
:mod:`dialcheck.conformance.world`, the same interface the explorer draws
through.  ``configure`` decodes the example's configuration, start, table and
its *events*: every event but :data:`ALWAYS` is left out of an example with
probability 1/2 (swarm testing: an example without table changes or inbound
peers goes deeper into what remains).  One draw per event keeps the machine
near Hypothesis's own floor (``benchmarks/bench_machine.py``); Hypothesis does
not shrink these draws (its shrink phase is off), the minimizer shrinks the
trace (:mod:`dialcheck.conformance.minimize`).  ``docs/teeth.md`` has the
measurements behind both choices.

Every event is a method of its
:class:`~dialcheck.conformance.world.World`, and every call into the
implementation (and the reference beside it, at ``strict`` level) is a step
of its :class:`~dialcheck.conformance.session.Session`, which judges it.  The
first problem raises :class:`~dialcheck.conformance.session.Nonconformance`,
carrying the trace of the example, so the counterexample can be minimized,
printed and saved as ``dialcheck-trace/1``.

Choices depend only on the machine's own bookkeeping (the tasks outstanding,
in a canonical order, its peers, its clock), never on asking the
implementation, and never on the order of the tasks within one answer.
"""

from __future__ import annotations

import enum
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, Optional, TypeVar, Union

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from dialcheck.conformance.invariants import Situation
from dialcheck.conformance.scheduler_format import SchedulerTrace
from dialcheck.conformance.session import (
    Level,
    Nonconformance,
    Outstanding,
    SchedulerSession,
    Session,
    get_task_ref,
)
from dialcheck.conformance.trace import Trace
from dialcheck.conformance.world import (
    BACKWARDS,
    BOOTNODE_POOL,
    BOUNDARIES,
    LONGEST_ADVANCE,
    NODE_POOL,
    SCHEDULER_START_TIMES,
    START_TIMES,
    TABLE_READS,
    UNIVERSE,
    Edge,
    Happening,
    RandomChooser,
    SchedulerWorld,
    World,
    draw_config,
    draw_scheduler_config,
    get_resolve_answers,
)
from dialcheck.spec.contract import DialstateFactory, SchedulerFactory
from dialcheck.spec.model import DialTask, DiscoverTask, Node, Profile
from dialcheck.spec.scheduler import SchedulerProfile
from dialcheck.spec.verdicts import ImplementationFault, Verdict

__all__ = [
    "RunAborted",
    "RunContext",
    "DialMachine",
    "Event",
    "ALWAYS",
    "ADVANCES",
    "SchedulerMachine",
    "SCHEDULER_ALWAYS",
    "get_machine_type",
]


class DialOutcome(enum.Enum):
    """What happens to a dial the machine picks."""

    CONNECTS = "connects"
    FAILS = "fails"
    HANDSHAKE_ONLY = "handshake only"


#: A clock move "anything from 0 to LONGEST_ADVANCE", drawn only when picked.
ANY = "any"
#: How far the clock moves before a new_tasks call: mostly geth's boundaries, as fixed steps and as
#: the instants geth's rules measure from earlier events (the start, a dial's task_done), a
#: quarter of the time anything from 0 to 40 s (drawn only then), rarely backwards.
ADVANCES: tuple[int | str | Edge, ...] = (
    BOUNDARIES * 2 + (ANY,) * 8 + BACKWARDS + (BOUNDARIES[-4:] * 2) + tuple(Edge) * 2
)


FactoryT = TypeVar("FactoryT", DialstateFactory, SchedulerFactory)
ProfileT = TypeVar("ProfileT", Profile, SchedulerProfile)
TraceT = TypeVar("TraceT", Trace, SchedulerTrace)


@dataclass
class RunContext(Generic[FactoryT, ProfileT, TraceT]):
    """What one ``dialcheck run`` shares across examples: the subject and the counters (of either family)."""

    factory: FactoryT
    profile: ProfileT
    level: Level
    origin: str = "the factory"
    examples: int = 0
    steps: int = 0
    situations: Counter[Situation] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    #: Seconds from the start of the run to the first failure seen, before shrinking, and examples run by then.
    first_failure: Optional[float] = None
    first_failure_examples: Optional[int] = None
    #: Tasks executed (the optional capability, AD-5), and whether an implementation lacked it.
    executions: int = 0
    without_execution: bool = False
    #: Checks that note instead of failing (waivers), how often each failed, and its first trace.
    waived: frozenset[Verdict] = frozenset()
    waived_hits: Counter[Verdict] = field(default_factory=Counter)
    waived_traces: dict[Verdict, TraceT] = field(default_factory=dict)
    #: The first failure seen, as it was seen: kept to explain a run that ends nondeterministic.
    first_seen: Optional[ImplementationFault] = None

    def on_waived(self, check: Verdict, trace: TraceT) -> None:
        """Count one waived failure; keep the first trace that shows it."""
        self.waived_hits[check] += 1
        self.waived_traces.setdefault(check, trace)


class RunAborted(BaseException):
    """A failure after which no further example can be tried (the implementation hung).

    It derives from ``BaseException`` so that Hypothesis lets it through at once
    instead of shrinking: every shrink attempt would wait out the timeout again.
    """

    def __init__(self, failure: Nonconformance[Any]) -> None:
        super().__init__(str(failure))
        self.failure = failure


@contextmanager
def _judging(run: RunContext[FactoryT, ProfileT, TraceT]) -> Iterator[None]:
    """Note the first failure of either family and its time; one after which no example can follow aborts the run."""
    try:
        yield
    except Nonconformance as failure:
        if run.first_failure is None:
            run.first_failure = time.monotonic() - run.started
            run.first_failure_examples = run.examples
            run.first_seen = failure
        if failure.failure.aborts_run:
            raise RunAborted(failure) from None
        raise


#: What one Hypothesis draw per event is: a seed for the chooser that decodes the whole event.
#: Drawn as four bytes, not an integer: Hypothesis (from 6.16x) mixes integer literals of the code
#: under test into integer draws, which would make many events decode from the same few seeds.
_SEEDS = st.binary(min_size=4, max_size=4).map(lambda raw: int.from_bytes(raw, "big"))


class Event(enum.Enum):
    """The events of geth's server loop the machine plays; ``ALWAYS`` are on in every example."""

    NEW_TASKS = "new_tasks"
    TASK_PROGRESSES = "task_progresses"
    EVERYTHING_FINISHES = "everything_finishes"
    PEER_DROPS = "peer_drops"
    INBOUND_PEER_CONNECTS = "inbound_peer_connects"
    STATIC_ADDED = "static_added"
    STATIC_REMOVED = "static_removed"
    TABLE_CHANGES = "table_changes"


#: Events every example has; each other event is left out of an example with probability 1/2 (swarm testing).
ALWAYS = frozenset({Event.NEW_TASKS, Event.TASK_PROGRESSES})


class DialMachine(RuleBasedStateMachine):
    """geth's server loop and network around one implementation (and the reference, when strict)."""

    def __init__(self, run: RunContext[DialstateFactory, Profile, Trace]) -> None:
        super().__init__()
        self.run = run
        run.examples += 1
        self._world: Optional[World] = None
        self._events: tuple[Event, ...] = tuple(Event)

    @property
    def world(self) -> World:
        """Return the world ``configure`` made."""
        assert self._world is not None
        return self._world

    def _judged(self) -> AbstractContextManager[None]:
        """Note the first failure's time; a failure after which no example can follow aborts the run."""
        return _judging(self.run)

    # -- the two rules ----------------------------------------------------------

    @initialize(seed=_SEEDS)
    def configure(self, seed: int) -> None:
        """Draw the configuration, the start, the table, discovery and the example's events; make the session.

        ``discovery`` says whether the server has a discovery table that resolves nodes; it
        matters only when the implementation executes tasks (AD-5).
        """
        chooser = RandomChooser(random.Random(seed))
        config = draw_config(chooser, BOOTNODE_POOL)
        start = chooser.choice(START_TIMES)
        table = chooser.nodes(NODE_POOL, 0, 3)
        discovery = chooser.choice((True, True, True, False))
        self._events = tuple(e for e in Event if e in ALWAYS or chooser.coin())
        run = self.run
        description = f"Found by dialcheck run ({run.level.value}) against {run.origin}."
        with self._judged():
            try:
                session = Session.create(
                    run.factory,
                    config,
                    run.profile,
                    origin=run.origin,
                    level=run.level,
                    description=description,
                    waived=run.waived,
                    on_waived=run.on_waived,
                )
            except Nonconformance:
                run.steps += 1
                raise
        self._world = World(session, discovery, start, list(table))
        if not session.executes:
            run.without_execution = True

    @rule(seed=_SEEDS)
    def step(self, seed: int) -> None:
        """Play one event of the example's events that can happen now, every choice decoded from ``seed``."""
        chooser = RandomChooser(random.Random(seed))
        world = self.world
        events = [e for e in self._events if self._can_happen(e, world)]
        event = chooser.choice(events)
        if event is Event.NEW_TASKS:
            self.new_tasks(chooser.choice(ADVANCES), chooser.choice(TABLE_READS), chooser)
        elif event is Event.TASK_PROGRESSES:
            self.task_progresses(chooser.integer(0, 15), chooser.choice(tuple(DialOutcome)), chooser)
        elif event is Event.EVERYTHING_FINISHES:
            self.everything_finishes(chooser.nodes(NODE_POOL, 0, 3), chooser.coin(), chooser)
        elif event is Event.PEER_DROPS:
            self.peer_drops(chooser.integer(0, 15))
        elif event is Event.INBOUND_PEER_CONNECTS:
            self.inbound_peer_connects(chooser.choice(UNIVERSE), chooser.coin())
        elif event is Event.STATIC_ADDED:
            self.static_added(chooser.choice(NODE_POOL))
        elif event is Event.STATIC_REMOVED:
            self.static_removed(chooser.choice(NODE_POOL))
        else:
            self.table_changes(chooser.nodes(NODE_POOL, 0, 5))

    @staticmethod
    def _can_happen(event: Event, world: World) -> bool:
        if event in (Event.TASK_PROGRESSES, Event.EVERYTHING_FINISHES):
            return bool(world.session.outstanding)
        return bool(world.peers) if event is Event.PEER_DROPS else True

    # -- the events -------------------------------------------------------------

    def new_tasks(self, advance: int | str | Edge, read: Optional[tuple[Node, ...]], chooser: RandomChooser) -> None:
        """Move the clock by ``advance`` and ask for new tasks, as the server loop does.

        The first call happens at the start time itself, as geth's server schedules at once
        when it starts (so a start at the zero instant is a first call at the zero instant).
        """
        world = self.world
        if world.called:
            if advance == ANY:
                world.now += chooser.integer(0, LONGEST_ADVANCE)
            elif isinstance(advance, Edge):
                world.move_to(advance)
            else:
                assert isinstance(advance, int)
                world.now += advance
        if read is not None:
            world.table = list(read)
        with self._judged():
            world.ask()

    def _connect(self, entry: Outstanding, connects: bool, chooser: RandomChooser) -> None:
        """The dial of ``entry`` runs (executed, drawing what discovery answers, when it needs to be)."""
        task = entry.task
        assert isinstance(task, DialTask)
        world = self.world
        found: Optional[Node] = None
        retry = False
        if world.needs_execution(entry):
            found = chooser.choice(get_resolve_answers(task.dest.id))
            retry = chooser.coin()
        with self._judged():
            world.dial(entry, found, (connects, retry))

    def _finish(self, entry: Outstanding, results: Sequence[Node] = ()) -> None:
        with self._judged():
            self.world.finish(entry, results)

    def task_progresses(self, pick: int, outcome: DialOutcome, chooser: RandomChooser) -> None:
        """The outstanding task picked moves on.

        A dial connects (the peer joins with the task's flag, then the task is done), fails, or
        has only completed its handshake (``HANDSHAKE_ONLY``: the peer joins and the task keeps
        running; geth's server loop can call newTasks in between, when both count against the
        budget).  A lookup returns results drawn from the pool (self, duplicates, incomplete and
        restricted nodes included).  A wait ends.  The task finished is always the oldest its
        trace reference names, as replay will find it.
        """
        outstanding = self.world.session.get_canonical_outstanding()
        entry = self.world.session.find(get_task_ref(outstanding[pick % len(outstanding)].task))
        assert entry is not None
        if isinstance(entry.task, DialTask):
            self._connect(entry, outcome is not DialOutcome.FAILS, chooser)
            if outcome is not DialOutcome.HANDSHAKE_ONLY:
                self._finish(entry)
        elif isinstance(entry.task, DiscoverTask):
            self._finish(entry, chooser.nodes(NODE_POOL, 0, 5))
        else:
            self._finish(entry)

    def everything_finishes(self, results: list[Node], dials_connect: bool, chooser: RandomChooser) -> None:
        """Every outstanding task finishes, oldest first: dials connect or fail, lookups return ``results``."""
        session = self.world.session
        while session.outstanding:
            entry = session.get_canonical_outstanding()[0]
            if isinstance(entry.task, DialTask):
                self._connect(entry, dials_connect, chooser)
                self._finish(entry)
            else:
                self._finish(entry, results if isinstance(entry.task, DiscoverTask) else ())

    def peer_drops(self, pick: int) -> None:
        """The peer picked disconnects."""
        ids = sorted(self.world.peers)
        del self.world.peers[ids[pick % len(ids)]]

    def inbound_peer_connects(self, node: Node, trusted: bool) -> None:
        """``node`` connects to us (as a trusted peer when ``trusted``), unless already connected."""
        self.world.connect_inbound(node, lambda: trusted)

    def static_added(self, node: Node) -> None:
        """The application adds ``node`` as a static node."""
        with self._judged():
            self.world.session.add_static(node)

    def static_removed(self, node: Node) -> None:
        """The application removes ``node`` from the static nodes."""
        with self._judged():
            self.world.session.remove_static(node)

    def table_changes(self, nodes: list[Node]) -> None:
        """The discovery table's random read returns ``nodes`` from now on."""
        self.world.table = list(nodes)

    def teardown(self) -> None:
        """Add this example's calls, executions and situations to the run's counters."""
        if self._world is not None:
            session = self._world.session
            self.run.steps += session.calls
            self.run.executions += session.executions
            self.run.situations.update(session.checker.situations)


# -- the dialScheduler family -------------------------------------------------------------

#: Happenings every scheduler example has; each other is left out with probability 1/2 (swarm testing).
SCHEDULER_ALWAYS = frozenset({Happening.ADVANCE, Happening.OFFER, Happening.DONE})


class SchedulerMachine(RuleBasedStateMachine):
    """geth's server and network around one dialScheduler (and the reference, when strict).

    As :class:`DialMachine`: one Hypothesis draw per event, decoded by a chooser; the
    example's happenings are chosen by swarm testing; every call goes through the
    :class:`~dialcheck.conformance.session.SchedulerSession` of a
    :class:`~dialcheck.conformance.world.SchedulerWorld`.  A choice among static nodes is the
    implementation's own; the world follows whatever it started (SC-CHOICE-2).
    """

    def __init__(self, run: RunContext[SchedulerFactory, SchedulerProfile, SchedulerTrace]) -> None:
        super().__init__()
        self.run = run
        run.examples += 1
        self._world: Optional[SchedulerWorld] = None
        self._happenings: tuple[Happening, ...] = tuple(Happening)

    @property
    def world(self) -> SchedulerWorld:
        """Return the world ``configure`` made."""
        assert self._world is not None
        return self._world

    def _judged(self) -> AbstractContextManager[None]:
        """Note the first failure's time; a failure after which no example can follow aborts the run."""
        return _judging(self.run)

    @initialize(seed=_SEEDS)
    def configure(self, seed: int) -> None:
        """Draw the configuration, the start and the example's happenings; start the scheduler."""
        chooser = RandomChooser(random.Random(seed))
        config = draw_scheduler_config(chooser)
        start = chooser.choice(SCHEDULER_START_TIMES)
        self._happenings = tuple(h for h in Happening if h in SCHEDULER_ALWAYS or chooser.coin())
        run = self.run
        description = f"Found by dialcheck run ({run.level.value}) against {run.origin}."
        with self._judged():
            try:
                session = SchedulerSession.create(
                    run.factory,
                    config,
                    run.profile,
                    origin=run.origin,
                    level=run.level,
                    description=description,
                    waived=run.waived,
                    on_waived=run.on_waived,
                )
                self._world = SchedulerWorld.begin(session, start)
            except Nonconformance:
                run.steps += 1
                raise

    @rule(seed=_SEEDS)
    def step(self, seed: int) -> None:
        """Make one of the example's happenings that can happen now happen, every choice decoded from ``seed``."""
        chooser = RandomChooser(random.Random(seed))
        world = self.world
        possible = [h for h in world.get_possible() if h in self._happenings]
        if not possible:
            possible = [Happening.ADVANCE]
        with self._judged():
            world.happen(chooser.choice(possible), chooser)

    def teardown(self) -> None:
        """Add this example's calls to the run's counters."""
        if self._world is not None:
            self.run.steps += self._world.session.calls


def get_machine_type(profile: Union[Profile, SchedulerProfile]) -> Callable[[Any], RuleBasedStateMachine]:
    """Return the machine that plays the world of ``profile``'s family."""
    return SchedulerMachine if isinstance(profile, SchedulerProfile) else DialMachine
