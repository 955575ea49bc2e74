"""The reference model of geth's event-driven ``dialScheduler`` (p2p/dial.go, v1.9.11 to today).

Theory of operation
-------------------
``Scheduler`` is a port of geth's ``dialScheduler.loop`` and ``dialTask.run``,
kept sans-IO: no goroutines, no channels, no clock.  Each event of
spec/scheduler.md section 2 is one method; the caller passes the time with
``start`` and ``advance``.  Its state is geth's:

===================  =========================================================
``dialing``          node ID -> the task of every dial started and not done
``peers``            the IDs of connected peers
``dial_peers``       how many connected peers we dialed (``dyn`` or ``static``)
``static``           node ID -> that node's one static :class:`StaticTask`
``pool``             the IDs of the static tasks that may be started
``history``          (expiry, node ID) of every dial started, earliest first
``pending_inbound``  the IDs with a pending inbound connection (``geth-1.17.2``)
``now``              the clock
===================  =========================================================

Every event ends with the *loop head* (SC-LOOP-1): start
statics from the pool while slots are free, then read the iterator if a slot is
still free.  geth picks each static with ``rand.Intn``; here the caller's
``pick`` chooses (SC-CHOICE-2): it is given the pool's dials and how many to
start and returns the ones it chose.  The default, :func:`pick_first`, takes the
pool in ID order; the suite passes a function that follows the implementation's
choice.  Each event returns an :class:`AllowedResponse`, every answer the spec
allows, whatever ``pick`` chose.

A dial task keeps its destination and resolve state (:class:`Task`) for as long
as it lives: a static task until it is removed, a dynamic one for one dial.
Every rule carries its requirement ID; where the profiles differ the code reads
``self.rules`` (``spec.scheduler.SCHEDULER_RULES``).

Seams
-----
The state above and these steps are a documented surface so that a seeded bug
(:mod:`dialcheck.conformance.zoo`) can replace exactly one in a subclass:
``run_loop_head``, ``start_dial``, ``update_static_pool``, ``add_peer``,
``get_free_slots``, ``is_dialable``, ``is_instant``, ``run_task``,
``update_from_dns``, ``needs_resolve``, ``resolve``, ``connect``.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Optional

from dialcheck.spec.contract import EventMethods
from dialcheck.spec.execution import Connect, Resolve
from dialcheck.spec.model import INITIAL_RESOLVE_DELAY, MAX_RESOLVE_DELAY, ConnFlag, Node, NodeID
from dialcheck.spec.netrestrict import Netlist
from dialcheck.spec.scheduler import (
    DEFAULT_MAX_ACTIVE_DIALS,
    NO_ANSWERS,
    SCHEDULER_HISTORY_EXPIRATION,
    Addresses,
    AllowedResponse,
    Dial,
    DnsLookup,
    Response,
    RunAction,
    RunInput,
    SchedulerConfig,
    SchedulerEvent,
    SchedulerProfile,
    get_addresses,
    get_dial_key,
    get_dns_update,
    get_event_arguments,
    get_event_name,
    get_scheduler_rules,
    is_connected,
)

__all__ = [
    "Scheduler",
    "Task",
    "Pick",
    "pick_first",
    "SchedulerSnapshot",
    "SchedulerImplementation",
    "create_scheduler",
]

#: Orders the pool's dials, the IDs whose runs return at once given (SC-CHOICE-2): each loop head
#: starts the next of that order while slots are free.
Pick = Callable[[tuple[Dial, ...], frozenset[NodeID]], Sequence[Dial]]


def pick_first(pool: tuple[Dial, ...], instant: frozenset[NodeID]) -> Sequence[Dial]:
    """Order the pool by node ID."""
    return sorted(pool, key=lambda dial: dial.dest.id)


@dataclass
class Task:
    """A dial task: its flag, its current destination and resolve state (SC-RESOLVE-2..4).

    ``last_resolved`` 0 means "never", as geth's ``lastResolved > 0`` test reads it.
    """

    flag: ConnFlag
    dest: Node
    resolve_delay: int = 0
    last_resolved: int = 0
    #: The IPv4 and IPv6 addresses of the destination's record once a DNS answer set them (SC-DNS-2);
    #: ``None``: as ``dest.ip`` says.
    addresses: Optional[Addresses] = None


#: A scheduler's whole state as one hashable value (see :meth:`Scheduler.get_snapshot`).
SchedulerSnapshot = tuple[object, ...]


class Scheduler:
    """geth's dialScheduler for one profile: events in, allowed responses out."""

    def __init__(self, config: SchedulerConfig, profile: SchedulerProfile) -> None:
        self.rules = get_scheduler_rules(profile)
        self.self_id = config.self_id
        self.max_dial_peers = config.max_dial_peers
        # SC-CONFIG-1: 0 means defaultMaxPendingPeers.
        self.max_active_dials = config.max_active_dials or DEFAULT_MAX_ACTIVE_DIALS
        self.netrestrict = None if config.netrestrict is None else Netlist(config.netrestrict)
        self.resolver = config.resolver
        self.dialing: dict[NodeID, Task] = {}
        self.peers: set[NodeID] = set()
        self.dial_peers = 0
        self.static: dict[NodeID, Task] = {}
        self.pool: dict[NodeID, None] = {}
        self.history: list[tuple[int, NodeID]] = []
        self.pending_inbound: set[NodeID] = set()
        self.now = 0
        #: Every dial started since this list was last cleared, in order (its owner clears it).
        self.started: list[Dial] = []

    # -- events (SC-EVENT-1) ---------------------------------------------------

    def on_event(self, event: SchedulerEvent, pick: Pick = pick_first) -> AllowedResponse:
        """Handle ``event`` by its method, named in the event table (``started`` then holds the dials it started)."""
        self.started.clear()
        handle: Callable[..., AllowedResponse] = getattr(self, get_event_name(event))
        return handle(*get_event_arguments(event), pick)

    def start(self, now: int, pick: Pick = pick_first) -> AllowedResponse:
        """Start with the clock at ``now``."""
        self.now = now
        return self.run_loop_head((), pick)

    def advance(self, now: int, pick: Pick = pick_first) -> AllowedResponse:
        """Move the clock to ``now``: expire history entries before it (SC-HIST-1)."""
        if now < self.now:
            raise ValueError(f"the clock cannot go back from {self.now} to {now}")
        self.now = now
        while self.history and self.history[0][0] < now:
            _, node_id = self.history.pop(0)
            self.update_static_pool(node_id)
        return self.run_loop_head((), pick)

    def node_offered(self, node: Node, pick: Pick = pick_first) -> AllowedResponse:
        """Take a candidate from the iterator: dial it if it passes checkDial (SC-DYN-1)."""
        started: tuple[Dial, ...] = ()
        if self.is_dialable(node):
            started = (self.start_dial(Task(ConnFlag.DYN, node)),)
        return self.run_loop_head(started, pick)

    def dial_done(self, node_id: NodeID, inputs: RunInput = NO_ANSWERS, pick: Pick = pick_first) -> AllowedResponse:
        """Run the task of the dial to ``node_id``, then forget the dial and offer its static to the pool (SC-DONE-1).

        A connection the run made becomes a peer first when ``inputs.joins`` (SC-PEER-3): geth's
        server adds the peer while the task's setup still runs.
        """
        task = self._get_dialing(node_id)
        actions = self.run_task(task, inputs)
        if inputs.joins and is_connected(actions):
            self.add_peer(node_id, task.flag)  # SC-PEER-3: no dial can start before the task returns
        del self.dialing[node_id]
        self.update_static_pool(node_id)
        return replace(self.run_loop_head((), pick), actions=actions)

    def peer_added(self, node_id: NodeID, flags: ConnFlag, pick: Pick = pick_first) -> AllowedResponse:
        """Count the peer, mark it connected, take its static task out of the pool (SC-PEER-1)."""
        self.add_peer(node_id, flags)
        return self.run_loop_head((), pick)

    def add_peer(self, node_id: NodeID, flags: ConnFlag) -> None:
        """Count a dialed peer, mark it connected, take its static task out of the pool (SC-PEER-1)."""
        if flags & (ConnFlag.DYN | ConnFlag.STATIC):
            self.dial_peers += 1
        self.peers.add(node_id)
        self.pool.pop(node_id, None)

    def peer_removed(self, node_id: NodeID, flags: ConnFlag, pick: Pick = pick_first) -> AllowedResponse:
        """Uncount the peer, forget it, offer its static task to the pool (SC-PEER-2)."""
        if flags & (ConnFlag.DYN | ConnFlag.STATIC):
            self.dial_peers -= 1
        self.peers.discard(node_id)
        self.update_static_pool(node_id)
        return self.run_loop_head((), pick)

    def add_static(self, node: Node, pick: Pick = pick_first) -> AllowedResponse:
        """Create the node's static task unless one exists (SC-STATIC-1)."""
        if node.id not in self.static:
            task = Task(ConnFlag.STATIC, node)
            self.static[node.id] = task
            if self.is_dialable(node):
                self.pool[node.id] = None
        # SC-STATIC-1, geth quirk: `continue loop` for an existing node still runs the loop head.
        return self.run_loop_head((), pick)

    def remove_static(self, node: Node, pick: Pick = pick_first) -> AllowedResponse:
        """Delete the node's static task and take it out of the pool (SC-STATIC-2)."""
        self.static.pop(node.id, None)
        self.pool.pop(node.id, None)
        return self.run_loop_head((), pick)

    def inbound_pending(self, node_id: NodeID, pick: Pick = pick_first) -> AllowedResponse:
        """Mark ``node_id`` as having a pending inbound connection (SC-INBOUND-1; ignored before geth-1.17.2)."""
        if self.rules.tracks_pending_inbound:
            # SC-STATIC-4, geth quirk: a pooled task stays in the pool.
            self.pending_inbound.add(node_id)
        return self.run_loop_head((), pick)

    def inbound_completed(self, node_id: NodeID, pick: Pick = pick_first) -> AllowedResponse:
        """Unmark ``node_id`` and offer its static task to the pool (SC-INBOUND-1; ignored before geth-1.17.2)."""
        if self.rules.tracks_pending_inbound:
            self.pending_inbound.discard(node_id)
            self.update_static_pool(node_id)
        return self.run_loop_head((), pick)

    def run_task(self, task: Task, inputs: RunInput) -> tuple[RunAction, ...]:
        """Run ``task`` at the current clock (section 11); return what it did, in order."""
        actions: list[RunAction] = []
        if self.rules.looks_up_dns and task.flag is ConnFlag.STATIC and task.dest.hostname is not None:
            # SC-DNS-1: an answer updates the IP and keeps the hostname.
            actions.append(DnsLookup(task.dest.hostname, inputs.dns))
            if inputs.dns is not None:
                self.update_from_dns(task, inputs.dns)
        if self.needs_resolve(task) and not self.resolve(task, inputs, actions):
            return tuple(actions)
        connected = self.connect(task, inputs, 0, actions)
        # SC-RUN-2: a static task resolves once more after a failed TCP attempt, and retries once.
        if not connected and task.flag is ConnFlag.STATIC and self.resolve(task, inputs, actions):
            self.connect(task, inputs, 1, actions)
        return tuple(actions)

    # -- queries ---------------------------------------------------------------

    def get_free_slots(self) -> int:
        """Return the free dial slots; negative while a connected peer's dial still runs (SC-SLOTS-1)."""
        slots = min((self.max_dial_peers - self.dial_peers) * 2, self.max_active_dials)
        return slots - len(self.dialing)

    def is_dialable(self, node: Node) -> bool:
        """Return whether ``node`` passes checkDial (SC-CHECK-1, in geth's order)."""
        node_id = node.id
        if node_id == self.self_id:
            return False
        # SC-CHECK-2: from geth-1.9.14 a node with an IP but no TCP port is refused.
        if self.rules.refuses_port_zero and node.ip is not None and node.tcp == 0:
            return False
        if node_id in self.dialing or node_id in self.peers:
            return False
        if node_id in self.pending_inbound:
            return False
        # SC-NET-1: a node without an IP is never admitted by a netrestrict.
        if self.netrestrict is not None and not self.netrestrict.contains(node.ip):
            return False
        # SC-HIST-2: an entry blocks its node until an advance drops it.
        return not any(entry_id == node_id for _, entry_id in self.history)

    def get_snapshot(self) -> SchedulerSnapshot:
        """Return the whole state as one hashable value; equal snapshots answer every later event alike.

        Times are relative to the clock: a scheduler that saw the same events shifted in time
        answers alike, except SC-RESOLVE-2's quirk, so a resolve at clock 0 is kept as 0.
        """
        return (
            tuple(sorted((i, self._get_task_key(t)) for i, t in self.dialing.items())),
            tuple(sorted(self.peers)),
            self.dial_peers,
            tuple(sorted((i, self._get_task_key(t)) for i, t in self.static.items())),
            tuple(sorted(self.pool)),
            tuple((exp - self.now, node_id) for exp, node_id in self.history),
            tuple(sorted(self.pending_inbound)),
        )

    # -- the loop head and dials -----------------------------------------------

    def run_loop_head(self, started: tuple[Dial, ...], pick: Pick) -> AllowedResponse:
        """Run the loop head (SC-LOOP-1), and again after every dial that returns at once (SC-RUN-3).

        ``pick`` orders the pool (SC-CHOICE-2); each loop head starts the next statics of that
        order while slots are free.  A dial whose run needs no answer returns before the next
        loop head, giving its slot back.
        """
        free = self.get_free_slots()
        pool = tuple(Dial(ConnFlag.STATIC, self.static[node_id].dest) for node_id in self.pool)
        instant = frozenset(
            i
            for i in (*self.pool, *(d.dest.id for d in started))
            if self.is_instant(self.dialing.get(i) or self.static[i])
        )
        order = list(pick(pool, instant))
        # SC-CHOICE-1: an order of the whole pool.
        if sorted(order, key=get_dial_key) != sorted(pool, key=get_dial_key):
            raise ValueError(f"pick returned {order!r}, not an order of the pool {pool!r}")
        returning = [d.dest.id for d in started if d.dest.id in instant]
        while True:
            count = min(max(self.get_free_slots(), 0), len(order))
            for dial in order[:count]:
                del self.pool[dial.dest.id]
                self.start_dial(self.static[dial.dest.id])
                if dial.dest.id in instant:
                    returning.append(dial.dest.id)
            del order[:count]
            if not returning:
                return AllowedResponse(started, pool, free, instant)
            for node_id in returning:
                # SC-RUN-3: the run asks nothing, returns, and its done comes before the next loop head.
                self.run_task(self.dialing[node_id], NO_ANSWERS)
                del self.dialing[node_id]
                self.update_static_pool(node_id)
            returning = []

    def is_instant(self, task: Task) -> bool:
        """Return whether ``task``'s run would return without asking the environment anything (SC-RUN-3)."""
        if self.rules.looks_up_dns and task.flag is ConnFlag.STATIC and task.dest.hostname is not None:
            return False
        if not self.needs_resolve(task):
            return False
        if not self.resolver:
            return True
        delay = task.resolve_delay or INITIAL_RESOLVE_DELAY
        return task.last_resolved > 0 and self.now - task.last_resolved < delay

    def start_dial(self, task: Task) -> Dial:
        """Start a dial of ``task``: history entry, dialing mark (SC-DIAL-1)."""
        # SC-DIAL-1: the history entry is added when the dial starts, not when it ends.
        node_id = task.dest.id
        bisect.insort(self.history, (self.now + SCHEDULER_HISTORY_EXPIRATION, node_id), key=lambda e: e[0])
        self.dialing[node_id] = task
        dial = Dial(task.flag, task.dest)
        self.started.append(dial)
        return dial

    def update_static_pool(self, node_id: NodeID) -> None:
        """Offer the static task of ``node_id`` to the pool (SC-STATIC-3)."""
        # SC-STATIC-3: pool the task if it exists, is not pooled, and its destination passes checkDial.
        task = self.static.get(node_id)
        if task is not None and node_id not in self.pool and self.is_dialable(task.dest):
            self.pool[node_id] = None

    # -- running a task (section 11) -------------------------------------------

    def update_from_dns(self, task: Task, answer: str) -> None:
        """Set the destination's address of ``answer``'s family; dial the preferred one (SC-DNS-2)."""
        addresses = task.addresses or get_addresses(task.dest.ip)
        # SC-DNS-2: before geth-1.17.8 the record keeps its address of the other family; from it, not.
        chosen, task.addresses = get_dns_update(addresses, answer, self.rules.dns_drops_other_family)
        if chosen != task.dest.ip:
            task.dest = replace(task.dest, ip=chosen)

    def needs_resolve(self, task: Task) -> bool:
        """Return whether ``task`` resolves before its first TCP attempt (SC-RUN-1)."""
        # SC-RUN-1: geth-1.9.11 resolves every incomplete destination; later only static ones.
        if task.dest.ip is not None:
            return False
        return task.flag is ConnFlag.STATIC or not self.rules.refuses_port_zero

    def resolve(self, task: Task, inputs: RunInput, actions: list[RunAction]) -> bool:
        """Resolve ``task``'s destination with back-off; return whether it found the node (SC-RESOLVE-1..4)."""
        if not self.resolver:
            return False  # SC-RESOLVE-1
        if task.resolve_delay == 0:
            task.resolve_delay = INITIAL_RESOLVE_DELAY  # SC-RESOLVE-3
        # SC-RESOLVE-2 (geth quirk: a resolve at clock 0 is "never").
        if task.last_resolved > 0 and self.now - task.last_resolved < task.resolve_delay:
            return False
        found = inputs.found
        actions.append(Resolve(task.dest.id, found))
        task.last_resolved = self.now
        if found is None:
            task.resolve_delay = min(task.resolve_delay * 2, MAX_RESOLVE_DELAY)  # SC-RESOLVE-3
            return False
        task.resolve_delay = INITIAL_RESOLVE_DELAY
        task.dest = found  # SC-RESOLVE-4: the resolved node carries no hostname
        task.addresses = None
        return True

    @staticmethod
    def connect(task: Task, inputs: RunInput, attempt: int, actions: list[RunAction]) -> bool:
        """Make TCP attempt ``attempt`` to ``task``'s destination; return whether it connected."""
        connected = inputs.get_connect(attempt)
        actions.append(Connect(task.dest, connected))
        return connected

    # -- helpers ---------------------------------------------------------------

    def _get_dialing(self, node_id: NodeID) -> Task:
        task = self.dialing.get(node_id)
        if task is None:
            raise ValueError(f"no dial to {node_id} is running")
        return task

    def _get_task_key(self, task: Task) -> tuple[object, ...]:
        last = 0 if task.last_resolved == 0 else task.last_resolved - self.now
        return (task.flag.value, task.dest, task.resolve_delay, task.last_resolved == 0, last, task.addresses)


class SchedulerImplementation(EventMethods):
    """The reference as an implementation of ``spec.contract.Scheduler``, with a random choice of its own.

    It picks statics with a ``random.Random`` seeded by ``seed`` (not in ID order), so that a
    run against it shows the strict judge accepting another implementation's choices
    (SC-CHOICE-2).  The contract's methods come from :class:`~dialcheck.spec.contract.EventMethods`;
    :meth:`on_event` answers each event, the seam a variant overrides.
    """

    def __init__(self, config: SchedulerConfig, profile: SchedulerProfile, seed: int = 0) -> None:
        self.model = Scheduler(config, profile)
        self._rng = random.Random(seed)

    def on_event(self, event: SchedulerEvent) -> Response:
        """Answer ``event``: the model's allowed answer, its statics in this implementation's random order."""
        chosen: list[Dial] = []

        def pick(pool: tuple[Dial, ...], instant: frozenset[NodeID]) -> Sequence[Dial]:
            chosen[:] = self._rng.sample(pool, len(pool))
            return chosen

        allowed = self.model.on_event(event, pick)
        statics = tuple(self.model.started[len(allowed.required) :])
        reads, done = allowed.get_outcome(statics)
        return Response(allowed.required + statics, reads, allowed.actions, done)


def create_scheduler(config: SchedulerConfig, profile: SchedulerProfile) -> SchedulerImplementation:
    """Return the reference scheduler as an implementation (the factory ``--impl`` names)."""
    return SchedulerImplementation(config, profile)
