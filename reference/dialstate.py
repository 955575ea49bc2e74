"""The reference model of geth's ``dialstate`` (p2p/dial.go, v1.7 to v1.9.10).

Theory of operation
-------------------
``Dialstate`` is a line-by-line port of geth's scheduler, kept sans-IO: the
caller passes the time, the connected peers, the number of running tasks and
the discovery table's contents, and gets back the tasks to start.  Its state is
geth's:

====================  ========================================================
``dialing``           node ID -> flag of every dial task returned and not done
``static``            node ID -> the one ``DialTask`` object reused for that node
``hist``              recently dialed nodes (:class:`~dialcheck.reference.history.DialHistory`)
``lookup_buf``        discovery results not tried yet, oldest first
``lookup_running``    whether a ``DiscoverTask`` is outstanding
``bootnodes``         the bootnodes, rotated in place by the fallback rule
``start``             the first non-zero ``now`` seen (0 means "not started")
``max_dyn_dials``,    the dynamic budget and how many table nodes one call reads;
``random_buf_len``,   the restriction list (``None``: none); our own ID
``netrestrict``,
``self_id``
====================  ========================================================

:meth:`Dialstate.get_snapshot` returns that state as one hashable value, a
:class:`Snapshot` (bounded exhaustive checking merges event sequences that reach
equal snapshots): two dialstates with equal snapshots answer every later call
alike.  It holds everything above except what is derived (``random_buf_len``
from ``max_dyn_dials``, the rules from the profile), each static task with its
execution state (EX-RESOLVE-2..4), and the history's entries earliest first.
The history keeps at most one entry per ID (checkDial refuses a node that is
being dialed or is in the history, and only a finished dial adds one), so which
entry ``remove`` drops is determined by the entries alone.

``new_tasks`` runs geth's nine steps in geth's order (spec/dialstate.md,
"newTasks"); every rule carries its requirement ID.  Where the profiles differ
(spec section 12), the step reads its row of ``spec.model.PROFILE_RULES``
(``self.rules``): the history's lifetime, whether ``remove_static`` clears
history, whether the table is read, whether a lookup asks for a count.  Go's map iteration order
is random, so the order of the returned list carries no meaning: answers are
compared as multisets (DS-TASKS-2).  The invariants of spec section 9 are
consequences of these rules; each is named beside the rule it rests on.

Seams
-----
The state above and the steps of ``new_tasks`` are a documented, typed surface
so that a seeded bug (:mod:`dialcheck.conformance.zoo`) can replace exactly one
step in a subclass: ``record_start``, ``compute_need``, ``add_dial``,
``add_static_dials``, ``add_fallback_dial``, ``add_random_dials``,
``add_lookup_dials``, ``add_discover``, ``add_wait``, ``check_dial``, each
working on a :class:`Call`; :func:`go_div` is Go's integer division.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Optional

from dialcheck.reference.execution import execute_with_input
from dialcheck.reference.history import DialHistory
from dialcheck.spec.execution import Execution, ExecutionInput
from dialcheck.spec.model import (
    FALLBACK_INTERVAL,
    ZERO_TIME,
    Config,
    ConnFlag,
    DialTask,
    DiscoverTask,
    Node,
    NodeID,
    Profile,
    Task,
    WaitTask,
    compute_duration,
    get_rules,
)
from dialcheck.spec.netrestrict import Netlist

__all__ = [
    "Dialstate",
    "DialError",
    "Call",
    "Snapshot",
    "StaticState",
    "get_static_state",
    "go_div",
    "create_dialstate",
]


class DialError(enum.Enum):
    """Why ``checkDial`` refuses a node, with geth's error text; declared in checking order."""

    ALREADY_DIALING = "already dialing"
    ALREADY_CONNECTED = "already connected"
    SELF = "is self"
    NOT_WHITELISTED = "not contained in netrestrict whitelist"
    RECENTLY_DIALED = "recently dialed"


#: Errors for which the static loop deletes the static entry for good (DS-STATIC-2).
_FATAL_FOR_STATIC = frozenset({DialError.SELF, DialError.NOT_WHITELISTED})


def go_div(numerator: int, denominator: int) -> int:
    """Divide as Go does for ints: truncate toward zero."""
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator >= 0) == (denominator > 0) else -quotient


@dataclass
class Call:
    """What one ``new_tasks`` call works on: its inputs, the tasks so far, the remaining need."""

    peers: Mapping[NodeID, ConnFlag]
    now: int
    need: int
    tasks: list[Task] = field(default_factory=list)


#: A static task as a value: its flag bits, destination, resolve delay and last resolve (EX-RESOLVE-2..4).
StaticState = tuple[int, Node, int, Optional[int]]


@dataclass(frozen=True)
class Snapshot:
    """The reference's whole state as a value; equal snapshots answer every later call alike."""

    profile: Profile
    self_id: NodeID
    max_dyn_dials: int
    netrestrict: Optional[tuple[str, ...]]
    start: int
    bootnodes: tuple[Node, ...]
    #: ``dialing`` as (node ID, flag bits), by ID.
    dialing: tuple[tuple[NodeID, int], ...]
    #: ``static`` as (node ID, the task's state), by ID.
    static: tuple[tuple[NodeID, StaticState], ...]
    #: The history's entries as (expiry, node ID), earliest first.
    history: tuple[tuple[int, NodeID], ...]
    lookup_buf: tuple[Node, ...]
    lookup_running: bool


def get_static_state(task: DialTask) -> StaticState:
    """Return a dial task's flag, destination and execution state as a value."""
    return (task.flag.value, task.dest, task.resolve_delay, task.last_resolved)


class Dialstate:
    """geth's dial scheduler; implements :class:`spec.contract.Dialstate`.

    ``new_tasks`` is split into one method per geth step so that a reader can match
    each against spec section 5, and a seeded bug can replace one step (the seams).
    """

    def __init__(self, config: Config, profile: Profile = Profile.GETH_1_7) -> None:
        # DS-INIT-1: "max_dyn_dials MUST be a non-negative integer".
        if config.max_dyn_dials < 0:
            raise ValueError(f"max_dyn_dials must be >= 0, got {config.max_dyn_dials}")
        self.profile = profile
        self.rules = get_rules(profile)
        self.self_id = config.self_id
        self.max_dyn_dials = config.max_dyn_dials
        self.netrestrict: Optional[Netlist] = None if config.netrestrict is None else Netlist(config.netrestrict)
        self._cidrs = config.netrestrict
        self.lookup_running = False
        self.dialing: dict[NodeID, ConnFlag] = {}
        self.lookup_buf: list[Node] = []
        # DS-RANDOM-2: "A read MUST take at most `max_dyn_dials / 2` (integer division) nodes, the first of `table`".
        self.random_buf_len = self.max_dyn_dials // 2
        self.static: dict[NodeID, DialTask] = {}
        self.hist = DialHistory()
        self.start = ZERO_TIME
        # DS-INIT-2: "The bootnode list MUST be a private copy of the configured list, in order".
        self.bootnodes = list(config.bootnodes)
        # DS-INIT-3: "Each configured static node MUST be added, in order, exactly as `add_static` adds it
        # (DS-STATIC-4)".
        for node in config.static:
            self.add_static(node)

    def get_snapshot(self) -> Snapshot:
        """Return the whole state as a hashable value (see the theory of operation)."""
        return Snapshot(
            profile=self.profile,
            self_id=self.self_id,
            max_dyn_dials=self.max_dyn_dials,
            netrestrict=self._cidrs,
            start=self.start,
            bootnodes=tuple(self.bootnodes),
            dialing=tuple(sorted((node_id, flag.value) for node_id, flag in self.dialing.items())),
            static=tuple(sorted((node_id, get_static_state(task)) for node_id, task in self.static.items())),
            history=tuple(self.hist.get_entries()),
            lookup_buf=tuple(self.lookup_buf),
            lookup_running=self.lookup_running,
        )

    # -- static nodes ---------------------------------------------------------

    def add_static(self, node: Node) -> None:
        """Store a fresh static dial task for ``node``, replacing any earlier one."""
        # DS-STATIC-4: "`add_static(node)` MUST store a new static task (flag `static`, destination `node`) for the
        # node's ID, replacing any earlier task for that ID".
        self.static[node.id] = DialTask(flag=ConnFlag.STATIC, dest=node)

    def remove_static(self, node: Node) -> None:
        """Forget the static task for ``node`` (and, in geth-1.8, one history entry)."""
        # DS-STATIC-4: "`remove_static(node)` MUST delete the entry for the node's ID, if any".
        self.static.pop(node.id, None)
        # DS-STATIC-5: "Under `geth-1.8`, `remove_static` MUST also remove one history entry for the node's ID, if there
        # is one; under every other profile it MUST NOT touch the history".
        if self.rules.remove_static_clears_history:
            self.hist.remove(node.id)

    # -- checkDial ------------------------------------------------------------

    def check_dial(self, node: Node, peers: Mapping[NodeID, ConnFlag]) -> Optional[DialError]:
        """Return why ``node`` may not be dialed now, or ``None`` if it may."""
        # DS-CHECK-1: "Whether a node may be dialed MUST be decided by these checks in this order, the first that fails
        # being the answer: (1) *already dialing*: its ID is in `dialing`".
        if node.id in self.dialing:
            return DialError.ALREADY_DIALING
        if node.id in peers:
            return DialError.ALREADY_CONNECTED
        # NEVER_SELF: "A node whose ID is `self` MUST NOT be dialed".
        if node.id == self.self_id:
            return DialError.SELF
        # NETRESTRICT: "With a restriction list, a node whose IP the list does not admit MUST NOT be dialed".
        if self.netrestrict is not None and not self.netrestrict.contains(node.ip):
            return DialError.NOT_WHITELISTED
        # HISTORY_EXPIRY: "A node MUST NOT be dialed at a call whose `now` is not after its history entry's expiry".
        if self.hist.contains(node.id):
            return DialError.RECENTLY_DIALED
        return None

    # -- newTasks -------------------------------------------------------------

    def new_tasks(
        self,
        running: int,
        peers: Mapping[NodeID, ConnFlag],
        now: int,
        table: Sequence[Node],
    ) -> list[Task]:
        """Return the tasks to start now, updating the scheduler's state (geth's nine steps)."""
        self.record_start(now)
        call = Call(peers=peers, now=now, need=self.compute_need(peers))
        # DS-HIST-2: "The history MUST be expired at `now` (DS-HIST-3) on every call, after `need` is computed and
        # before any check".
        self.hist.expire(now)
        self.add_static_dials(call)
        self.add_fallback_dial(call)
        self.add_random_dials(call, table)
        self.add_lookup_dials(call)
        self.add_discover(call)
        self.add_wait(call, running)
        return call.tasks

    def record_start(self, now: int) -> None:
        # DS-TIME-2: "On every `new_tasks` call, if `start` is the zero instant it MUST be set to `now` before anything
        # else; a call at the zero instant therefore leaves `start` unset and the next call records its own `now`".
        if self.start == ZERO_TIME:
            self.start = now

    def compute_need(self, peers: Mapping[NodeID, ConnFlag]) -> int:
        # DS-NEED-1: "`need` MUST be `max_dyn_dials` minus the number of peers whose flags contain `dyn`, minus the
        # number of entries of `dialing` whose flag contains `dyn`, computed before the history is expired". DYN_BUDGET
        # rests on it.
        need = self.max_dyn_dials
        need -= sum(1 for flags in peers.values() if ConnFlag.DYN in flags)
        need -= sum(1 for flag in self.dialing.values() if ConnFlag.DYN in flag)
        return need

    def add_dial(self, call: Call, flag: ConnFlag, node: Node) -> bool:
        """Dial ``node`` if checkDial allows it (geth's ``addDial``); return whether it did."""
        if self.check_dial(node, call.peers) is not None:
            return False
        # NO_DOUBLE_DIAL: "one answer MUST NOT contain two dial tasks for one node".
        self.dialing[node.id] = flag
        # DS-TASKS-1: "Dynamic dial tasks (fallback, random, lookup) MUST be new objects whose destination is the node
        # tried, as given".
        call.tasks.append(DialTask(flag=flag, dest=node))
        return True

    def add_static_dials(self, call: Call) -> None:
        # DS-STATIC-1, DS-STATIC-3, STATIC_REDIAL: "Every static task whose destination passes checkDial MUST be
        # returned, be the very object stored for that node (DS-STATIC-3), and be marked `dialing` with flag `static`".
        for node_id, static_task in list(self.static.items()):
            error = self.check_dial(static_task.dest, call.peers)
            # DS-STATIC-2: "A static entry whose check fails with *is self* or *not whitelisted* MUST be deleted from
            # `static` (and not returned)".
            if error in _FATAL_FOR_STATIC:
                del self.static[node_id]
            elif error is None:
                self.dialing[node_id] = static_task.flag
                call.tasks.append(static_task)

    def add_fallback_dial(self, call: Call) -> None:
        # DS-FALLBACK-1: "If `peers` is empty (no peer of any kind), the bootnode list is not empty, `need > 0` and `now
        # - start` is strictly greater than 20 s, the first bootnode MUST be moved to the back of the list *before* it
        # is tried, and then dialed with flag `dyn` if it passes checkDial". BOOTNODE_ROTATION rests on it.
        if (
            not call.peers
            and self.bootnodes
            and call.need > 0
            and compute_duration(call.now, self.start) > FALLBACK_INTERVAL
        ):
            bootnode = self.bootnodes.pop(0)
            self.bootnodes.append(bootnode)
            if self.add_dial(call, ConnFlag.DYN, bootnode):
                call.need -= 1

    def add_random_dials(self, call: Call, table: Sequence[Node]) -> None:
        # DS-RANDOM-1: "`candidates` MUST be `need / 2` truncated toward zero, computed *after* the fallback step".
        # RANDOM_HALF rests on it and on DS-RANDOM-2.
        random_candidates = go_div(call.need, 2)
        # DS-ITER-1: "Under `geth-1.9.7` the table MUST NOT be read".
        if random_candidates > 0 and self.rules.reads_table:
            read = min(len(table), self.random_buf_len)
            for node in table[: min(random_candidates, read)]:
                if self.add_dial(call, ConnFlag.DYN, node):
                    call.need -= 1

    def add_lookup_dials(self, call: Call) -> None:
        # DS-LOOKUP-1: "The lookup buffer MUST be tried in order, from its oldest entry, while `need > 0`, each entry
        # dialed with flag `dyn` if it passes checkDial (decreasing `need` by 1)".
        tried = 0
        while tried < len(self.lookup_buf) and call.need > 0:
            if self.add_dial(call, ConnFlag.DYN, self.lookup_buf[tried]):
                call.need -= 1
            tried += 1
        del self.lookup_buf[:tried]

    def add_discover(self, call: Call) -> None:
        # SINGLE_LOOKUP, DS-LOOKUP-2: "A discover task MUST be returned, and the lookup marked running, iff the buffer
        # then holds fewer than `need` nodes and no lookup is running".
        if len(self.lookup_buf) < call.need and not self.lookup_running:
            self.lookup_running = True
            # DS-ITER-1: "the discover task MUST ask the node iterator for `need` minus the number of nodes then in the
            # buffer".
            want = call.need - len(self.lookup_buf) if self.rules.discover_wants else None
            call.tasks.append(DiscoverTask(want))

    def add_wait(self, call: Call, running: int) -> None:
        # DS-WAIT-1, WAIT_EXPIRE: "If `running` is 0, no other task was returned by this call and the history is not
        # empty, a wait task MUST be returned whose duration is the earliest expiry minus `now` (saturating,
        # DS-TIME-1)".
        if running == 0 and not call.tasks and len(self.hist) > 0:
            call.tasks.append(WaitTask(compute_duration(self.hist.get_min_expiry(), call.now)))

    # -- taskDone -------------------------------------------------------------

    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        """Record that ``task`` finished at ``now``; ``results`` are a lookup's nodes."""
        if isinstance(task, DialTask):
            # DS-HIST-1: "A finished dial task MUST add an entry (its destination's ID, `now` plus the profile's history
            # lifetime) to the history and remove its ID from `dialing`, whatever the dial's outcome".
            self.hist.add(task.dest.id, now + self.rules.history_expiration)
            self.dialing.pop(task.dest.id, None)
        elif isinstance(task, DiscoverTask):
            # DS-LOOKUP-3: "A finished discover task MUST mark the lookup not running and append all its results to the
            # lookup buffer, in order, unfiltered".
            self.lookup_running = False
            self.lookup_buf.extend(results)
        # DS-DONE-1: "A finished wait task MUST change nothing".

    # -- task execution (the optional capability, spec section 10) -------------

    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        """Run ``task``'s ``Do`` against the environment's answers; the task keeps its dial state."""
        return execute_with_input(task, inputs, self.rules)


def create_dialstate(config: Config, profile: Profile) -> Dialstate:
    """Create the reference dialstate: the factory the suite uses by default."""
    return Dialstate(config, profile)
