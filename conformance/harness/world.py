"""One world: geth's server loop and the network around a session, and every distribution drawn from.

Theory of operation
-------------------
Two sources of random choices drive implementations through the same events:
the state machine (:mod:`dialcheck.conformance.runs.machine`, a chooser seeded by
each Hypothesis draw) and the explorer (:mod:`dialcheck.conformance.runs.explore`,
a chooser seeded by the caller).  Both choose through :class:`RandomChooser`
(Python's seeded ``random``: the same seed gives the same choices on every
version and platform) among the values defined here once: the node universe,
the configurations, the start times, the instants geth measures from (in
terms of the spec's constants), lookup results and resolve answers.  A third
source, bounded exhaustive checking (:mod:`dialcheck.conformance.runs.exhaustive`),
applies every event in turn.

:class:`World` is the state of the server loop around one
:class:`~dialcheck.conformance.harness.session.Session`: the clock, the peers, the
discovery table, when the first non-zero call and the last finished dial
happened, when the last lookup started.  Its methods are the events (ask for
tasks, a dial runs, a task finishes, a peer connects or drops); every call
into the implementation goes through the session.

Where the two random sources draw differently (the machine weights boundaries
as a list, the explorer rolls thresholds; the explorer never makes our own ID
a bootnode), each difference is a named value here, so that
the committed vector corpus and the zoo's derandomized kills stay exactly as
they were measured.  Changing one changes the corpus or the kill matrix: run
``dialcheck vectors generate`` or ``dialcheck mutants`` again.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Optional, Protocol, TypeVar

from dialcheck.conformance.harness.session import Outstanding, SchedulerSession, Session, get_task_ref
from dialcheck.conformance.oracle.execution_checks import get_lookup_start
from dialcheck.spec.execution import Connect, Execution, ExecutionInput, read_nodes
from dialcheck.spec.model import (
    DIAL_HISTORY_EXPIRATION,
    FALLBACK_INTERVAL,
    SECOND,
    Config,
    ConnFlag,
    DialTask,
    DiscoverTask,
    Node,
    NodeID,
    Task,
    get_rules,
)
from dialcheck.spec.scheduler import (
    AddStatic,
    Advance,
    DialDone,
    InboundCompleted,
    InboundPending,
    NodeOffered,
    PeerAdded,
    PeerRemoved,
    RemoveStatic,
    Response,
    RunInput,
    SchedulerConfig,
    Start,
    get_scheduler_rules,
)

__all__ = [
    "RandomChooser",
    "World",
    "Edge",
    "uint_id",
    "UNIVERSE",
    "NODE_POOL",
    "BOOTNODE_POOL",
    "WALK_BOOTNODE_POOL",
    "NETRESTRICTS",
    "SELF_INDICES",
    "START_TIMES",
    "BOUNDARIES",
    "BACKWARDS",
    "LONGEST_ADVANCE",
    "TABLE_READS",
    "draw_config",
    "get_resolve_answers",
    "sched_id",
    "SCHEDULER_UNIVERSE",
    "SCHEDULER_START_TIMES",
    "draw_scheduler_config",
    "get_run_inputs",
    "Happening",
    "SchedulerWorld",
]

T = TypeVar("T")


# -- the choosers --------------------------------------------------------------


class RandomChooser:
    """Choices drawn from a seeded ``random.Random``: the same seed gives the same choices everywhere."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def choice(self, options: Sequence[T]) -> T:
        """Return one of ``options``."""
        return self._rng.choice(options)

    def integer(self, low: int, high: int) -> int:
        """Return a whole number from ``low`` to ``high``, both included."""
        return self._rng.randint(low, high)

    def nodes(self, pool: Sequence[Node], low: int, high: int) -> list[Node]:
        """Return from ``low`` to ``high`` nodes of ``pool``, repeats allowed."""
        return [self._rng.choice(pool) for _ in range(self._rng.randint(low, high))]

    def coin(self) -> bool:
        """Return the toss of a fair coin."""
        return self._rng.random() < 0.5

    def chance(self, numerator: int, denominator: int) -> bool:
        """Return ``True`` with probability ``numerator / denominator``."""
        return self._rng.random() < numerator / denominator

    def fraction(self) -> float:
        """Return a number from 0 (included) to 1 (excluded)."""
        return self._rng.random()

    def weighted(self, options: Sequence[tuple[T, int]]) -> T:
        """Return one of ``options``' values, each as likely as its whole-number weight."""
        return self._rng.choices([value for value, _ in options], [weight for _, weight in options])[0]


class Chooser(Protocol):
    """What a world draws its events' arguments through: at random (runs, walks) or every way in turn (exhaustive)."""

    def choice(self, options: Sequence[T]) -> T:
        """Return one of ``options``."""
        ...

    def coin(self) -> bool:
        """Return heads or tails."""
        ...

    def chance(self, numerator: int, denominator: int) -> bool:
        """Return ``True`` or ``False``, ``True`` with probability ``numerator / denominator`` when drawn."""
        ...

    def integer(self, low: int, high: int) -> int:
        """Return a whole number from ``low`` to ``high``, both included."""
        ...

    def nodes(self, pool: Sequence[Node], low: int, high: int) -> list[Node]:
        """Return from ``low`` to ``high`` nodes of ``pool``, repeats allowed."""
        ...


class BranchingChooser:
    """Choices that enumerate: each is the option its index in ``prefix`` names, the first past the prefix.

    Every choice records its index and how many distinct options it had, so that
    :meth:`get_next_prefix` names the next sequence of choices in depth-first order: starting from
    the empty prefix and following it until it is ``None`` makes every distinct sequence of choices
    once (equal options count once; a chance is two options, whatever its odds).  Replaying the
    indices a chooser took (:attr:`taken`) into a fresh one makes the same choices again.
    """

    def __init__(self, prefix: Sequence[int] = ()) -> None:
        self._prefix = tuple(prefix)
        self.taken: list[int] = []
        #: The options chosen, in order (what the choices mean, where ``taken`` says only which).
        self.chosen: list[object] = []
        self._counts: list[int] = []

    def _pick(self, count: int) -> int:
        index = self._prefix[len(self.taken)] if len(self.taken) < len(self._prefix) else 0
        if index >= count:
            raise ValueError(f"choice {len(self.taken)} has {count} options, not {index + 1}: the world changed")
        self.taken.append(index)
        self._counts.append(count)
        return index

    def choice(self, options: Sequence[T]) -> T:
        """Return the next of the distinct ``options``."""
        distinct: list[T] = []
        for option in options:
            if option not in distinct:
                distinct.append(option)
        chosen = distinct[self._pick(len(distinct))]
        self.chosen.append(chosen)
        return chosen

    def coin(self) -> bool:
        """Return ``False``, then ``True``."""
        return self.choice((False, True))

    def chance(self, numerator: int, denominator: int) -> bool:
        """Return ``False``, then ``True`` (a certain or impossible chance is one option)."""
        if numerator <= 0 or numerator >= denominator:
            return numerator > 0
        return self.coin()

    def integer(self, low: int, high: int) -> int:
        """Return ``low``, then each whole number up to ``high``."""
        chosen = low + self._pick(high - low + 1)
        self.chosen.append(chosen)
        return chosen

    def nodes(self, pool: Sequence[Node], low: int, high: int) -> list[Node]:
        """Return ``low`` nodes of ``pool`` up to ``high``: each count, then each node in turn."""
        return [self.choice(pool) for _ in range(self.integer(low, high))]

    def get_next_prefix(self) -> Optional[tuple[int, ...]]:
        """Return the choices of the next sequence in depth-first order, or ``None`` after the last."""
        for position in reversed(range(len(self.taken))):
            if self.taken[position] + 1 < self._counts[position]:
                return (*self.taken[:position], self.taken[position] + 1)
        return None


# -- the universe --------------------------------------------------------------


def uint_id(i: int) -> NodeID:
    """Return the 64-byte node ID of ``i``, like geth's test helper ``uintID(i)`` (prints as ``n<i>``)."""
    return f"{i:0128x}"


def _node(i: int, ip: Optional[str], tcp: int = 30303) -> Node:
    return Node(uint_id(i), ip, tcp, tcp)


#: The node universe: n1..n10 in 10.0.0.0/24, n11 and n12 in 192.168.0.0/24 (restricted by every
#: CIDR drawn but one), n0 outside both (our own ID when self is "outside").
UNIVERSE: tuple[Node, ...] = tuple(
    _node(i, f"10.0.0.{i}" if 1 <= i <= 10 else ("10.0.0.100" if i == 0 else f"192.168.0.{i}")) for i in range(13)
)
_INCOMPLETE = (_node(4, None), _node(9, None))
_MOVED = (_node(1, "10.0.0.101", 30304),)
#: Nodes that appear as table entries, lookup results and statics: the universe, two incomplete
#: nodes (no IP) and one node that moved to another endpoint.
NODE_POOL: tuple[Node, ...] = UNIVERSE + _INCOMPLETE + _MOVED
#: Bootnodes the machine draws: mostly n1..n12, now and then n0 (our own ID in some configs).
BOOTNODE_POOL: tuple[Node, ...] = UNIVERSE[1:] * 3 + UNIVERSE[:1]
#: Bootnodes the explorer draws: never n0 (kept: the committed corpus was generated with it).
WALK_BOOTNODE_POOL: tuple[Node, ...] = UNIVERSE[1:]
#: Restrictions: none (twice as likely), the empty list, one CIDR, two CIDRs (one a single host).
NETRESTRICTS: tuple[Optional[tuple[str, ...]], ...] = (
    None,
    None,
    (),
    ("10.0.0.0/24",),
    ("10.0.0.0/29", "192.168.0.11/32"),
)
#: Our own ID: n0 (outside every CIDR) most of the time, or a node of the universe.
SELF_INDICES = (0, 0, 0, 3, 11)
#: When the server starts: the zero instant (twice as likely), or later.
START_TIMES = (0, 0, 1 * SECOND, 1000 * SECOND)


def draw_config(chooser: RandomChooser, bootnodes: Sequence[Node]) -> Config:
    """Draw a configuration: our ID, the dynamic budget, statics, bootnodes from ``bootnodes``, netrestrict."""
    return Config(
        self_id=uint_id(chooser.choice(SELF_INDICES)),
        max_dyn_dials=chooser.integer(0, 12),
        static=tuple(chooser.nodes(NODE_POOL, 0, 3)),
        bootnodes=tuple(chooser.nodes(bootnodes, 0, 3)),
        netrestrict=chooser.choice(NETRESTRICTS),
    )


def get_resolve_answers(node_id: NodeID) -> tuple[Optional[Node], ...]:
    """Return what discovery may answer for ``node_id``: nothing, or a complete node of that ID."""
    return (None, *(n for n in NODE_POOL if n.id == node_id and n.ip is not None))


def _make_table_reads(count: int, seed: int) -> tuple[Optional[tuple[Node, ...]], ...]:
    """Return ``None`` (the table answers as before) three times, then ``count`` random reads fixed at import."""
    rng = random.Random(seed)
    reads = [tuple(rng.choice(NODE_POOL) for _ in range(rng.randint(1, 6))) for _ in range(count)]
    return (None, None, None, *reads)


#: What the discovery table's ReadRandomNodes returns at a new_tasks call, for the machine: geth's
#: table answers with different random nodes every call, so most calls keep the last answer and
#: some get a fresh one (one draw per call).
TABLE_READS = _make_table_reads(24, seed=20171)


# -- time ----------------------------------------------------------------------


class Edge(enum.Enum):
    """An instant geth measures from an earlier event the world saw."""

    FALLBACK = "exactly the fallback interval after the first non-zero call"
    PAST_FALLBACK = "the fallback interval + 1 ns after the first non-zero call"
    EXPIRY = "exactly the history expiration after the last finished dial"
    PAST_EXPIRY = "the history expiration + 1 ns after the last finished dial"


#: Clock moves that matter on their own: none, 1 ns, a few seconds, and geth's two intervals
#: exactly and 1 ns past (DS-FALLBACK-1, DS-HIST-3).
BOUNDARIES = (
    0,
    1,
    4 * SECOND,
    16 * SECOND,
    FALLBACK_INTERVAL,
    FALLBACK_INTERVAL + 1,
    DIAL_HISTORY_EXPIRATION,
    DIAL_HISTORY_EXPIRATION + 1,
)
#: Clock moves backwards (DS-TIME-1).
BACKWARDS = (-1, -FALLBACK_INTERVAL, -DIAL_HISTORY_EXPIRATION)
#: The longest move drawn as "anything": twice the fallback interval.
LONGEST_ADVANCE = 2 * FALLBACK_INTERVAL


# -- the world -----------------------------------------------------------------


class DialHappening(enum.Enum):
    """What geth's server loop and the network around a dialstate do; each is one call or a few."""

    NEW_TASKS = "the clock moves and the server asks for new tasks"
    TASK_PROGRESSES = "an outstanding task moves on: a dial connects or fails, a lookup returns, a wait ends"
    EVERYTHING_FINISHES = "every outstanding task finishes"
    PEER_DROPS = "a peer disconnects"
    INBOUND_PEER_CONNECTS = "a node connects to us"
    STATIC_ADDED = "a static node is added"
    STATIC_REMOVED = "a static node is removed"
    TABLE_CHANGES = "the discovery table's contents change"


#: Happenings every random example has; each other is left out with probability 1/2 (swarm testing).
DIAL_ALWAYS = frozenset({DialHappening.NEW_TASKS, DialHappening.TASK_PROGRESSES})


class DialOutcome(enum.Enum):
    """What happens to a dial picked: it connects, fails, or only completes its handshake (the task keeps running)."""

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


@dataclass
class World:
    """The server loop and the network around one session.

    Its events are methods (``ask``, ``dial``, ``finish``, ``connect_inbound``, ``move_to``); its
    happenings (:meth:`get_possible`, :meth:`happen`) draw their arguments through a chooser, the
    protocol the machine plays both families by.
    """

    session: Session
    discovery: bool
    now: int
    table: list[Node]
    peers: dict[NodeID, ConnFlag] = field(default_factory=dict)
    called: bool = False
    first_call: Optional[int] = None
    last_dial_done: Optional[int] = None
    last_lookup: Optional[int] = None
    #: Told of every execution, with the task's destination before it ran (the explorer's coverage).
    on_execute: Optional[Callable[[Task, Optional[Node], ExecutionInput, Execution], None]] = None

    def get_instant(self, edge: Edge) -> Optional[int]:
        """Return the instant ``edge`` names, or ``None`` if the event it is measured from has not happened."""
        if edge in (Edge.FALLBACK, Edge.PAST_FALLBACK):
            base, interval = self.first_call, FALLBACK_INTERVAL
        else:
            base, interval = self.last_dial_done, get_rules(self.session.profile).history_expiration
        past = 1 if edge in (Edge.PAST_FALLBACK, Edge.PAST_EXPIRY) else 0
        return None if base is None else base + interval + past

    def move_to(self, edge: Edge) -> None:
        """Move the clock forward to the instant ``edge`` names, if that is later than now."""
        instant = self.get_instant(edge)
        if instant is not None:
            self.now = max(self.now, instant)

    def ask(self) -> list[Outstanding]:
        """Ask for new tasks now, as the server loop does; return the new outstanding tasks."""
        self.called = True
        if self.first_call is None and self.now != 0:
            self.first_call = self.now
        return self.session.new_tasks(len(self.session.outstanding), self.peers, self.now, self.table)

    def needs_execution(self, entry: Outstanding) -> bool:
        """Return whether ``entry`` is to be executed before it finishes (the implementation can, AD-5)."""
        return self.session.executes and not entry.executed

    def dial(self, entry: Outstanding, found: Optional[Node], connects: tuple[bool, bool]) -> None:
        """The dial of ``entry`` runs; the peer joins if it connected.

        Executed when it needs to be, with discovery answering ``found`` and the attempts
        connecting as ``connects`` says; otherwise it connects as ``connects[0]`` says.
        """
        task = entry.task
        assert isinstance(task, DialTask)
        connected = connects[0]
        if self.needs_execution(entry):
            execution = self._execute(entry, ExecutionInput(self.now, self.discovery, found, connects))
            connected = any(isinstance(a, Connect) and a.connected for a in execution.actions)
        node_id = task.dest.id
        if connected and node_id not in self.peers and node_id != self.session.config.self_id:
            self.peers[node_id] = task.flag

    def finish(self, entry: Outstanding, results: Sequence[Node] = ()) -> None:
        """Finish ``entry`` (a lookup returning ``results``), executing a lookup or wait first when needed.

        From geth v1.9.7 ``results`` are what the node iterator yields, and the lookup returns
        what reading ``want`` of them gives (EX-ITER-1).
        """
        task = entry.task
        if self.needs_execution(entry) and not isinstance(task, DialTask):
            if isinstance(task, DiscoverTask):
                inputs = ExecutionInput(self.now, self.discovery, lookup=tuple(results), last_lookup=self.last_lookup)
                self._execute(entry, inputs)
                self.last_lookup = get_lookup_start(inputs)
            else:
                self._execute(entry, ExecutionInput(self.now, self.discovery))
        if isinstance(task, DialTask):
            self.last_dial_done = self.now
        if isinstance(task, DiscoverTask) and not get_rules(self.session.profile).lookup_spacing:
            results = read_nodes(results, task.want or 0)
        self.session.task_done(entry, self.now, results)

    def connect_inbound(self, node: Node, trusted: Callable[[], bool]) -> None:
        """``node`` connects to us, unless already connected or our own ID; ``trusted()`` says how."""
        if node.id not in self.peers and node.id != self.session.config.self_id:
            self.peers[node.id] = ConnFlag.INBOUND | (ConnFlag.TRUSTED if trusted() else ConnFlag(0))

    # -- the happenings -----------------------------------------------------------

    def get_possible(self) -> list[DialHappening]:
        """Return what can happen now, in a fixed order."""
        outstanding = bool(self.session.outstanding)
        waits = (DialHappening.TASK_PROGRESSES, DialHappening.EVERYTHING_FINISHES)
        return [
            h
            for h in DialHappening
            if (outstanding if h in waits else bool(self.peers) if h is DialHappening.PEER_DROPS else True)
        ]

    def happen(self, happening: DialHappening, chooser: Chooser, draws: Optional[DialDraws] = None) -> None:
        """Make ``happening`` happen, its arguments drawn by ``chooser`` as ``draws`` says (the machine's by default).

        The machine and the explorer's walks draw the arguments of five happenings differently
        (:class:`MachineDraws`, :class:`WalkDraws`): both are kept exactly, so that the zoo's
        derandomized kills and the committed corpus stay as they were measured.
        """
        chosen = draws if draws is not None else MACHINE_DRAWS
        if happening is DialHappening.NEW_TASKS:
            chosen.new_tasks(self, chooser)
        elif happening is DialHappening.TASK_PROGRESSES:
            chosen.task_progresses(self, chooser)
        elif happening is DialHappening.EVERYTHING_FINISHES:
            chosen.everything_finishes(self, chooser)
        elif happening is DialHappening.PEER_DROPS:
            chosen.peer_drops(self, chooser)
        elif happening is DialHappening.INBOUND_PEER_CONNECTS:
            chosen.inbound_peer_connects(self, chooser)
        elif happening is DialHappening.STATIC_ADDED:
            self.session.add_static(chosen.get_static(self, chooser))
        elif happening is DialHappening.STATIC_REMOVED:
            self.session.remove_static(chosen.get_static(self, chooser))
        else:
            self.table = chosen.get_table(self, chooser)

    def _execute(self, entry: Outstanding, inputs: ExecutionInput) -> Execution:
        dest = entry.task.dest if isinstance(entry.task, DialTask) else None
        execution = self.session.execute(entry, inputs)
        if self.on_execute is not None:
            self.on_execute(entry.task, dest, inputs, execution)
        return execution


# -- how each source draws a dialstate happening's arguments -----------------------------


class DialDraws:
    """How a source draws the arguments of the dialstate happenings: the random sources differ in five
    (:class:`MachineDraws`, :class:`WalkDraws`); bounded exhaustive checking draws every happening from its
    scope (``exhaustive.ScopeDraws``).  A statics change and a table change draw alike by default.
    """

    def is_possible(self, world: World, happening: DialHappening) -> bool:
        """Return whether ``happening`` has anything to draw from now (the world says whether it can happen)."""
        return True

    def new_tasks(self, world: World, chooser: Chooser) -> None:
        """The clock moves and the server asks for new tasks."""
        raise NotImplementedError

    def task_progresses(self, world: World, chooser: Chooser) -> None:
        """An outstanding task moves on."""
        raise NotImplementedError

    def everything_finishes(self, world: World, chooser: Chooser) -> None:
        """Every outstanding task finishes."""
        raise NotImplementedError

    def peer_drops(self, world: World, chooser: Chooser) -> None:
        """A peer disconnects."""
        raise NotImplementedError

    def inbound_peer_connects(self, world: World, chooser: Chooser) -> None:
        """A node connects to us."""
        raise NotImplementedError

    def get_static(self, world: World, chooser: Chooser) -> Node:
        """Return the node a static change adds or removes."""
        return chooser.choice(NODE_POOL)

    def get_table(self, world: World, chooser: Chooser) -> list[Node]:
        """Return what the discovery table's reads return from now on."""
        return list(chooser.nodes(NODE_POOL, 0, 5))


class MachineDraws(DialDraws):
    """The state machine's draws: clock moves from :data:`ADVANCES`, table reads from :data:`TABLE_READS`,
    a task picked by index among the outstanding ones in canonical order and an outcome for it.
    """

    def new_tasks(self, world: World, chooser: Chooser) -> None:
        """Move the clock by a drawn advance and ask for new tasks, as the server loop does.

        The first call happens at the start time itself, as geth's server schedules at once
        when it starts (so a start at the zero instant is a first call at the zero instant).
        """
        advance, read = chooser.choice(ADVANCES), chooser.choice(TABLE_READS)
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
        world.ask()

    def task_progresses(self, world: World, chooser: Chooser) -> None:
        """The outstanding task picked moves on.

        A dial connects (the peer joins with the task's flag, then the task is done), fails, or
        has only completed its handshake (``HANDSHAKE_ONLY``: the peer joins and the task keeps
        running; geth's server loop can call newTasks in between, when both count against the
        budget).  A lookup returns results drawn from the pool (self, duplicates, incomplete and
        restricted nodes included).  A wait ends.  The task finished is always the oldest its
        trace reference names, as replay will find it.
        """
        pick, outcome = chooser.integer(0, 15), chooser.choice(tuple(DialOutcome))
        outstanding = world.session.get_canonical_outstanding()
        entry = world.session.find(get_task_ref(outstanding[pick % len(outstanding)].task))
        assert entry is not None
        if isinstance(entry.task, DialTask):
            self._connect(world, entry, outcome is not DialOutcome.FAILS, chooser)
            if outcome is not DialOutcome.HANDSHAKE_ONLY:
                world.finish(entry)
        elif isinstance(entry.task, DiscoverTask):
            world.finish(entry, chooser.nodes(NODE_POOL, 0, 5))
        else:
            world.finish(entry)

    def everything_finishes(self, world: World, chooser: Chooser) -> None:
        """Every outstanding task finishes, oldest first: dials connect or fail, lookups return drawn results."""
        results, dials_connect = chooser.nodes(NODE_POOL, 0, 3), chooser.coin()
        session = world.session
        while session.outstanding:
            entry = session.get_canonical_outstanding()[0]
            if isinstance(entry.task, DialTask):
                self._connect(world, entry, dials_connect, chooser)
                world.finish(entry)
            else:
                world.finish(entry, results if isinstance(entry.task, DiscoverTask) else ())

    def peer_drops(self, world: World, chooser: Chooser) -> None:
        """The peer picked by index disconnects."""
        ids = sorted(world.peers)
        del world.peers[ids[chooser.integer(0, 15) % len(ids)]]

    def inbound_peer_connects(self, world: World, chooser: Chooser) -> None:
        """A node of the universe connects to us, trusted or not (drawn at once)."""
        node, trusted = chooser.choice(UNIVERSE), chooser.coin()
        world.connect_inbound(node, lambda: trusted)

    @staticmethod
    def _connect(world: World, entry: Outstanding, connects: bool, chooser: Chooser) -> None:
        """The dial of ``entry`` runs (executed, drawing what discovery answers, when it needs to be)."""
        task = entry.task
        assert isinstance(task, DialTask)
        found: Optional[Node] = None
        retry = False
        if world.needs_execution(entry):
            found = chooser.choice(get_resolve_answers(task.dest.id))
            retry = chooser.coin()
        world.dial(entry, found, (connects, retry))


#: Clock moves the explorer's walks draw as one of a list: the boundaries and two of the backward moves.
WALK_ADVANCES = BOUNDARIES + BACKWARDS[:2]
#: How often a walk picks each happening (in :class:`DialHappening`'s order); one that cannot happen
#: then is skipped, its draw spent.
WALK_WEIGHTS: tuple[tuple[DialHappening, int], ...] = tuple(zip(DialHappening, (10, 6, 1, 1, 1, 1, 1, 1), strict=True))


class WalkDraws(DialDraws):
    """The explorer's draws: clock moves rolled against thresholds, a fresh table read one call in four, a
    task picked among the outstanding ones as returned, every dial's answers drawn whether executed or not.
    """

    def new_tasks(self, world: World, chooser: Chooser) -> None:
        """Move the clock to the next instant a walk picks, maybe read a fresh table, and ask for new tasks."""
        if world.called:
            world.now = self._get_next_time(world, chooser)
        if chooser.chance(1, 4):
            world.table = chooser.nodes(NODE_POOL, 1, 6)
        world.ask()

    @staticmethod
    def _get_next_time(world: World, chooser: Chooser) -> int:
        assert isinstance(chooser, RandomChooser), "a walk's clock moves roll thresholds: it draws at random"
        roll = chooser.fraction()
        if roll < 0.15 and world.first_call is not None:
            return max(world.now, world.first_call + FALLBACK_INTERVAL + chooser.choice((0, 1)))
        if roll < 0.3 and world.last_dial_done is not None:
            expiration = get_rules(world.session.profile).history_expiration
            return max(world.now, world.last_dial_done + expiration + chooser.choice((0, 1)))
        if roll < 0.5:
            return world.now + chooser.integer(0, LONGEST_ADVANCE)
        return world.now + chooser.choice(WALK_ADVANCES)

    def task_progresses(self, world: World, chooser: Chooser) -> None:
        """One outstanding task, picked as the implementation returned them, finishes."""
        self._finish(world, chooser.choice(world.session.outstanding), chooser)

    def everything_finishes(self, world: World, chooser: Chooser) -> None:
        """Every outstanding task finishes, in the order they were returned."""
        for entry in list(world.session.outstanding):
            self._finish(world, entry, chooser)

    def peer_drops(self, world: World, chooser: Chooser) -> None:
        """A peer picked among them disconnects."""
        del world.peers[chooser.choice(sorted(world.peers))]

    def inbound_peer_connects(self, world: World, chooser: Chooser) -> None:
        """A node of the universe connects to us; whether it is trusted is drawn only if it connects."""
        world.connect_inbound(chooser.choice(UNIVERSE), chooser.coin)

    @staticmethod
    def _finish(world: World, entry: Outstanding, chooser: Chooser) -> None:
        named = world.session.find(get_task_ref(entry.task))
        assert named is not None
        results: list[Node] = []
        if isinstance(named.task, DialTask):
            connects = (chooser.chance(3, 5), chooser.coin())
            world.dial(named, chooser.choice(get_resolve_answers(named.task.dest.id)), connects)
        elif isinstance(named.task, DiscoverTask):
            results = chooser.nodes(NODE_POOL, 0, 5)
        world.finish(named, results)


#: The machine's draws (the default of :meth:`World.happen`) and the explorer's.
MACHINE_DRAWS = MachineDraws()
WALK_DRAWS = WalkDraws()


# -- the dialScheduler's world ------------------------------------------------------


def sched_id(i: int) -> NodeID:
    """Return the 32-byte node ID of ``i`` (geth's ``enode.ID`` since v1.8.17; prints as ``n<i>``)."""
    return f"{i:064x}"


def _sched_node(i: int, ip: Optional[str], tcp: int = 30303, hostname: Optional[str] = None) -> Node:
    return Node(sched_id(i), ip, tcp, tcp, hostname)


#: The scheduler's node universe: n1..n8 in 10.0.0.0/24, n9 outside it, n10 without a TCP port
#: (SC-CHECK-2), n11 without an IP, n12 and n13 named by DNS (one without an IP, SC-DNS-1),
#: n14 an IPv6 node, n0 our own ID's node.
SCHEDULER_UNIVERSE: tuple[Node, ...] = (
    *(_sched_node(i, f"10.0.0.{i}") for i in range(1, 9)),
    _sched_node(9, "10.0.1.9"),
    _sched_node(10, "10.0.0.10", tcp=0),
    _sched_node(11, None),
    _sched_node(12, "10.0.0.12", hostname="n12.example"),
    _sched_node(13, None, hostname="n13.example"),
    _sched_node(14, "fd00::14"),
    _sched_node(0, "10.0.0.100"),
)
#: Restrictions: none (twice as likely), the empty list, 10.0.0.0/24, and it with an IPv6 network.
SCHEDULER_NETRESTRICTS: tuple[Optional[tuple[str, ...]], ...] = (
    None,
    None,
    (),
    ("10.0.0.0/24",),
    ("10.0.0.0/24", "fd00::/8"),
)
#: Dialed-peer limits (0: geth's NoDial) and pending limits (0: geth's default, 50).
MAX_DIAL_PEERS = (0, 1, 1, 2, 3, 5)
MAX_ACTIVE_DIALS = (0, 0, 1, 2, 3)
#: Where the clock starts: 0 (a simulated clock's start, SC-RESOLVE-2's quirk) or later.
SCHEDULER_START_TIMES = (0, 1000 * SECOND, 1000 * SECOND)
#: Clock moves: 1 ns, seconds, the history lifetime exactly and just past, the resolve delays.
SCHEDULER_ADVANCES = (
    1,
    1 * SECOND,
    10 * SECOND,
    35 * SECOND,
    35 * SECOND + 1,
    60 * SECOND,
    125 * SECOND,
    3600 * SECOND,
)


def get_run_inputs(node: Node) -> tuple[tuple[Optional[Node], ...], tuple[Optional[str], ...]]:
    """Return what a resolve of ``node``'s ID and a DNS lookup of its name may find.

    A DNS answer may move the name to another IPv4 address or to an IPv6 one of the same locality
    (private, as 10.0.0.0/8): a name's answers change family on real networks, and which address
    geth dials then differs between releases (SC-DNS-2).
    """
    moved = Node(node.id, f"10.0.0.{100 + int(node.id, 16) % 100}", 30304, 30304)
    found = (None, moved, Node(node.id, "10.0.0.7" if node.ip != "10.0.0.7" else "10.0.0.8", 30303, 30303))
    return found, (None, node.ip, "10.0.0.77", "fd00::77")


@dataclass(frozen=True)
class SchedulerDomain:
    """What a :class:`SchedulerWorld` draws its events' arguments from (exhaustive scopes choose smaller ones)."""

    #: The nodes offered, added and removed as statics, connecting inbound.
    universe: tuple[Node, ...] = SCHEDULER_UNIVERSE
    #: How far the clock moves (and to 35 s and 35 s + 1 ns after each dial started).
    advances: tuple[int, ...] = SCHEDULER_ADVANCES
    #: What a resolve of a node's ID and a DNS lookup of its name may find.
    get_run_inputs: Callable[[Node], tuple[tuple[Optional[Node], ...], tuple[Optional[str], ...]]] = field(
        default=get_run_inputs
    )


def draw_scheduler_config(chooser: RandomChooser) -> SchedulerConfig:
    """Draw a scheduler configuration: our ID (n0 or, rarely, n3), the limits, netrestrict, a resolver."""
    return SchedulerConfig(
        self_id=sched_id(chooser.choice((0, 0, 0, 3))),
        max_dial_peers=chooser.choice(MAX_DIAL_PEERS),
        max_active_dials=chooser.choice(MAX_ACTIVE_DIALS),
        netrestrict=chooser.choice(SCHEDULER_NETRESTRICTS),
        resolver=chooser.chance(4, 5),
    )


class Happening(enum.Enum):
    """What the server loop and the network around a scheduler do; one is an event or two."""

    ADVANCE = "the clock moves"
    OFFER = "the iterator offers a node"
    DONE = "a dial's task runs and returns (a connection it makes may become a peer)"
    DROP = "a peer disconnects"
    INBOUND = "a node connects inbound"
    PENDING = "an inbound connection passes its handshake"
    SETTLED = "a pending inbound connection completes or fails"
    ADD_STATIC = "a static node is added"
    REMOVE_STATIC = "a static node is removed"


@dataclass
class SchedulerWorld:
    """The server around one scheduler session: when each dial started, and what its events draw from.

    The clock, the server's peers and the pending inbound connections are the session's (it keeps
    them from the events it passes on); the world reads them there and changes them only by an event.
    """

    session: SchedulerSession
    #: When each dial started, as the responses said (the clock moves to these + 35 s).
    started: dict[NodeID, int] = field(default_factory=dict)
    domain: SchedulerDomain = SchedulerDomain()
    #: The dials started to a destination without an IP that try it without resolving first: ``dyn`` from
    #: geth-1.9.14 (SC-RUN-1). No real network connects them: from v1.17.3 geth's TCP dialer refuses a node without
    #: an endpoint (errNoPort), and before it dials ":port" of no host.
    addressless: set[NodeID] = field(default_factory=set)

    @property
    def now(self) -> int:
        """Return the clock: the last ``start`` or ``advance``."""
        return self.session.now

    @property
    def peers(self) -> Mapping[NodeID, ConnFlag]:
        """Return the server's peers (ID -> flags)."""
        return self.session.peers

    @property
    def pending(self) -> AbstractSet[NodeID]:
        """Return the IDs with a pending inbound connection."""
        return self.session.pending

    @classmethod
    def begin(cls, session: SchedulerSession, now: int, domain: SchedulerDomain = SchedulerDomain()) -> SchedulerWorld:
        """Start the scheduler at ``now``."""
        world = cls(session, domain=domain)
        world._respond(session.on_event(Start(now)))
        return world

    def get_possible(self) -> list[Happening]:
        """Return what can happen now, in a fixed order."""
        session = self.session
        possible = [Happening.ADVANCE, Happening.ADD_STATIC, Happening.REMOVE_STATIC, Happening.INBOUND]
        if session.reads:
            possible.append(Happening.OFFER)
        if session.dialing:
            possible.append(Happening.DONE)
        if self.peers:
            possible.append(Happening.DROP)
        # Inbound connections go pending under every profile; before geth-1.17.2 the scheduler ignores it.
        possible.append(Happening.PENDING)
        if self.pending:
            possible.append(Happening.SETTLED)
        return possible

    def _draw_node(self, chooser: Chooser) -> Node:
        """Draw a node of the universe; before ``geth-1.15`` nodes carry no DNS name (an enode URL could not)."""
        node = chooser.choice(self.domain.universe)
        if get_scheduler_rules(self.session.profile).looks_up_dns or node.hostname is None:
            return node
        return Node(node.id, node.ip, node.tcp, node.udp)

    def happen(self, happening: Happening, chooser: Chooser) -> None:
        """Make ``happening`` happen, its arguments drawn by ``chooser``."""
        session = self.session
        if happening is Happening.ADVANCE:
            instants = [self.now + d for d in self.domain.advances]
            instants += [
                t + 35 * SECOND + e for t in self.started.values() for e in (0, 1) if t + 35 * SECOND + e > self.now
            ]
            self._respond(session.on_event(Advance(chooser.choice(instants))))
        elif happening is Happening.OFFER:
            self._respond(session.on_event(NodeOffered(self._draw_node(chooser))))
        elif happening is Happening.DONE:
            self._dial_done(chooser)
        elif happening is Happening.DROP:
            node_id = chooser.choice(sorted(self.peers))
            self._respond(session.on_event(PeerRemoved(node_id, self.peers[node_id])))
        elif happening is Happening.INBOUND:
            self._connect_inbound(chooser)
        elif happening is Happening.PENDING:
            self._respond(session.on_event(InboundPending(chooser.choice(self.domain.universe).id)))
        elif happening is Happening.SETTLED:
            self._settle(chooser)
        elif happening is Happening.ADD_STATIC:
            self._respond(session.on_event(AddStatic(self._draw_node(chooser))))
        else:
            self._respond(session.on_event(RemoveStatic(self._draw_node(chooser))))

    def _dial_done(self, chooser: Chooser) -> None:
        """A dial's task runs and returns; a connection it makes joins as a peer (SC-PEER-3) when drawn so."""
        node_id = chooser.choice(sorted(self.session.dialing))
        node = next((n for n in self.domain.universe if n.id == node_id), Node(node_id))
        found, dns = self.domain.get_run_inputs(node)
        # The server adds a connection as a peer unless it is connected already (then it refuses it).
        joins = node_id not in self.peers and chooser.chance(3, 4)
        connects = (chooser.coin(), chooser.coin())
        if node_id in self.addressless:
            connects = (False, connects[1])
        inputs = RunInput(chooser.choice(found), chooser.choice(dns), connects, joins)
        self._respond(self.session.on_event(DialDone(node_id, inputs)))

    def _settle(self, chooser: Chooser) -> None:
        """A pending inbound connection completes (it may join as a peer first) or fails."""
        node_id = chooser.choice(sorted(self.pending))
        if node_id not in self.peers and chooser.coin():
            self._respond(self.session.on_event(PeerAdded(node_id, ConnFlag.INBOUND)))
        self._respond(self.session.on_event(InboundCompleted(node_id)))

    def _connect_inbound(self, chooser: Chooser) -> None:
        candidates = [n.id for n in self.domain.universe if n.id not in self.peers]
        if not candidates:
            return
        node_id = chooser.choice(candidates)
        flags = ConnFlag.INBOUND | ConnFlag.TRUSTED if chooser.chance(1, 4) else ConnFlag.INBOUND
        self._respond(self.session.on_event(PeerAdded(node_id, flags)))

    def _respond(self, response: Response) -> None:
        only_statics_resolve = get_scheduler_rules(self.session.profile).refuses_port_zero
        for dial in response.dials:
            self.started[dial.dest.id] = self.now
            if dial.flag is ConnFlag.DYN and dial.dest.ip is None and only_statics_resolve:
                self.addressless.add(dial.dest.id)
            else:
                self.addressless.discard(dial.dest.id)


# -- how a random example begins ---------------------------------------------------------


@dataclass(frozen=True)
class DialSetup:
    """How a dialstate example begins: its configuration, start, table and whether discovery resolves.

    ``discovery`` matters only when the implementation executes tasks (AD-5).
    """

    config: Config
    start: int
    table: tuple[Node, ...]
    discovery: bool

    def begin(self, session: Session) -> World:
        """Return the world around ``session`` at the start."""
        return World(session, self.discovery, self.start, list(self.table))


def draw_dial_setup(chooser: RandomChooser) -> DialSetup:
    """Draw the configuration, the start, the table and discovery of a random dialstate example."""
    config = draw_config(chooser, BOOTNODE_POOL)
    start = chooser.choice(START_TIMES)
    table = chooser.nodes(NODE_POOL, 0, 3)
    discovery = chooser.choice((True, True, True, False))
    return DialSetup(config, start, tuple(table), discovery)


@dataclass(frozen=True)
class SchedulerSetup:
    """How a dialScheduler example begins: its configuration and when it starts."""

    config: SchedulerConfig
    start: int

    def begin(self, session: SchedulerSession) -> SchedulerWorld:
        """Start the scheduler of ``session`` and return the world around it."""
        return SchedulerWorld.begin(session, self.start)


def draw_scheduler_setup(chooser: RandomChooser) -> SchedulerSetup:
    """Draw the configuration and the start of a random dialScheduler example."""
    config = draw_scheduler_config(chooser)
    return SchedulerSetup(config, chooser.choice(SCHEDULER_START_TIMES))


#: Happenings every random scheduler example has; each other is left out with probability 1/2 (swarm testing).
SCHEDULER_ALWAYS = frozenset({Happening.ADVANCE, Happening.OFFER, Happening.DONE})
