"""The reference model of geth's ``dialstate`` (p2p/dial.go, v1.7 and v1.8).

Theory of operation
-------------------
``Dialstate`` is a line-by-line port of geth's scheduler, kept sans-IO: the
caller passes the time, the connected peers, the number of running tasks and
the discovery table's contents, and gets back the tasks to start.  Its state is
geth's:

==================  ==========================================================
``_dialing``        node ID -> flag of every dial task returned and not done
``_static``         node ID -> the one ``DialTask`` object reused for that node
``_hist``           recently dialed nodes (:class:`reference.history.DialHistory`)
``_lookup_buf``     discovery results not tried yet, oldest first
``_lookup_running`` whether a ``DiscoverTask`` is outstanding
``_bootnodes``      the bootnodes, rotated in place by the fallback rule
``_start``          the first non-zero ``now`` seen (0 means "not started")
==================  ==========================================================

``new_tasks`` runs geth's nine steps in geth's order (spec/dialstate.md,
"newTasks"); every rule carries its requirement ID.  Go's map iteration order
is random, so the order of the returned list carries no meaning: answers are
compared as multisets (DS-TASKS-2).  The invariants of spec section 9 are
consequences of these rules; each is named beside the rule it rests on.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Optional

from dialcheck.reference.execution import execute_with_input
from dialcheck.reference.history import DialHistory
from dialcheck.reference.netrestrict import Netlist
from dialcheck.spec.execution import Execution, ExecutionInput
from dialcheck.spec.model import (
    DIAL_HISTORY_EXPIRATION,
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
)

__all__ = ["Dialstate", "DialError", "create_dialstate"]


class DialError(enum.Enum):
    """Why ``checkDial`` refuses a node, with geth's error text; declared in checking order."""

    ALREADY_DIALING = "already dialing"
    ALREADY_CONNECTED = "already connected"
    SELF = "is self"
    NOT_WHITELISTED = "not contained in netrestrict whitelist"
    RECENTLY_DIALED = "recently dialed"


#: Errors for which the static loop deletes the static entry for good (DS-STATIC-2).
_FATAL_FOR_STATIC = frozenset({DialError.SELF, DialError.NOT_WHITELISTED})


def _go_div(numerator: int, denominator: int) -> int:
    """Divide as Go does for ints: truncate toward zero."""
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator >= 0) == (denominator > 0) else -quotient


@dataclass
class _Call:
    """What one ``new_tasks`` call works on: its inputs, the tasks so far, the remaining need."""

    peers: Mapping[NodeID, ConnFlag]
    now: int
    need: int
    tasks: list[Task] = field(default_factory=list)


class Dialstate:
    """geth's dial scheduler; implements :class:`spec.contract.Dialstate`.

    ``new_tasks`` is split into one private method per geth step so that a reader
    can match each against spec section 5 (and a seeded bug can replace one step).
    """

    def __init__(self, config: Config, profile: Profile = Profile.GETH_1_7) -> None:
        # DS-INIT-1: "max_dyn_dials MUST be a non-negative integer".
        if config.max_dyn_dials < 0:
            raise ValueError(f"max_dyn_dials must be >= 0, got {config.max_dyn_dials}")
        self._profile = profile
        self._self_id = config.self_id
        self._max_dyn_dials = config.max_dyn_dials
        self._netrestrict: Optional[Netlist] = None if config.netrestrict is None else Netlist(config.netrestrict)
        self._lookup_running = False
        self._dialing: dict[NodeID, ConnFlag] = {}
        self._lookup_buf: list[Node] = []
        # DS-RANDOM-2: "at most max_dyn_dials/2 (integer division) nodes MUST be read
        # from the table per call".
        self._random_buf_len = self._max_dyn_dials // 2
        self._static: dict[NodeID, DialTask] = {}
        self._hist = DialHistory()
        self._start = ZERO_TIME
        # DS-INIT-2: "the bootnode list MUST be a private copy".
        self._bootnodes = list(config.bootnodes)
        # DS-INIT-3: "each configured static node MUST be added as by add_static, in order".
        for node in config.static:
            self.add_static(node)

    # -- static nodes ---------------------------------------------------------

    def add_static(self, node: Node) -> None:
        """Store a fresh static dial task for ``node``, replacing any earlier one."""
        # DS-STATIC-4: "add_static MUST store a new task object, replacing any task for that ID".
        self._static[node.id] = DialTask(flag=ConnFlag.STATIC, dest=node)

    def remove_static(self, node: Node) -> None:
        """Forget the static task for ``node`` (and, in geth-1.8, one history entry)."""
        # DS-STATIC-4: "remove_static MUST delete the static entry for that ID, if any".
        self._static.pop(node.id, None)
        # DS-STATIC-5: "under geth-1.8, remove_static MUST also remove one history entry
        # of that ID; under geth-1.7 it MUST NOT touch the history".
        if self._profile is Profile.GETH_1_8:
            self._hist.remove(node.id)

    # -- checkDial ------------------------------------------------------------

    def check_dial(self, node: Node, peers: Mapping[NodeID, ConnFlag]) -> Optional[DialError]:
        """Return why ``node`` may not be dialed now, or ``None`` if it may."""
        # DS-CHECK-1: "the checks MUST be made in this order, the first failing one
        # being the answer".
        if node.id in self._dialing:
            return DialError.ALREADY_DIALING
        if node.id in peers:
            return DialError.ALREADY_CONNECTED
        # NEVER_SELF: "a node whose ID is the local node's MUST NOT be dialed".
        if node.id == self._self_id:
            return DialError.SELF
        # NETRESTRICT: "with a restriction list, a node whose IP is not in it MUST NOT be dialed".
        if self._netrestrict is not None and not self._netrestrict.contains(node.ip):
            return DialError.NOT_WHITELISTED
        # HISTORY_EXPIRY: "a node with a history entry MUST NOT be dialed".
        if self._hist.contains(node.id):
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
        self._record_start(now)
        call = _Call(peers=peers, now=now, need=self._compute_need(peers))
        # DS-HIST-2: "new_tasks MUST expire the history before any check".
        self._hist.expire(now)
        self._add_static_dials(call)
        self._add_fallback_dial(call)
        self._add_random_dials(call, table)
        self._add_lookup_dials(call)
        self._add_discover(call)
        self._add_wait(call, running)
        return call.tasks

    def _record_start(self, now: int) -> None:
        # DS-TIME-2: "start MUST be set to now on a call while it is the zero instant;
        # a call at the zero instant therefore leaves it unset".
        if self._start == ZERO_TIME:
            self._start = now

    def _compute_need(self, peers: Mapping[NodeID, ConnFlag]) -> int:
        # DS-NEED-1: "need MUST be max_dyn_dials minus the peers whose flags contain dyn
        # minus the outstanding dyn dials; it MAY be negative". DYN_BUDGET rests on it.
        need = self._max_dyn_dials
        need -= sum(1 for flags in peers.values() if ConnFlag.DYN in flags)
        need -= sum(1 for flag in self._dialing.values() if ConnFlag.DYN in flag)
        return need

    def _add_dial(self, call: _Call, flag: ConnFlag, node: Node) -> bool:
        """Dial ``node`` if checkDial allows it (geth's ``addDial``); return whether it did."""
        if self.check_dial(node, call.peers) is not None:
            return False
        # NO_DOUBLE_DIAL: "one answer MUST NOT contain two dial tasks for one node".
        self._dialing[node.id] = flag
        # DS-TASKS-1: "dynamic dial tasks MUST be new objects whose destination is the
        # node tried, as given".
        call.tasks.append(DialTask(flag=flag, dest=node))
        return True

    def _add_static_dials(self, call: _Call) -> None:
        # DS-STATIC-1, DS-STATIC-3, STATIC_REDIAL: "every static task whose destination passes
        # checkDial MUST be returned, be the very object stored for that node, and be marked
        # dialing with flag static".
        for node_id, static_task in list(self._static.items()):
            error = self.check_dial(static_task.dest, call.peers)
            # DS-STATIC-2: "a static entry refused as self or not whitelisted MUST be deleted".
            if error in _FATAL_FOR_STATIC:
                del self._static[node_id]
            elif error is None:
                self._dialing[node_id] = static_task.flag
                call.tasks.append(static_task)

    def _add_fallback_dial(self, call: _Call) -> None:
        # DS-FALLBACK-1: "with no peers at all, a bootnode, need > 0 and now - start
        # strictly greater than 20 s, the first bootnode MUST be rotated to the back and then
        # dialed if checkDial passes". BOOTNODE_ROTATION rests on it.
        if (
            not call.peers
            and self._bootnodes
            and call.need > 0
            and compute_duration(call.now, self._start) > FALLBACK_INTERVAL
        ):
            bootnode = self._bootnodes.pop(0)
            self._bootnodes.append(bootnode)
            if self._add_dial(call, ConnFlag.DYN, bootnode):
                call.need -= 1

    def _add_random_dials(self, call: _Call, table: Sequence[Node]) -> None:
        # DS-RANDOM-1: "random candidates MUST be need/2 (truncated) computed after the
        # fallback step; the first min(candidates, nodes read) table nodes MUST be tried".
        # RANDOM_HALF rests on it and on DS-RANDOM-2.
        random_candidates = _go_div(call.need, 2)
        if random_candidates > 0:
            read = min(len(table), self._random_buf_len)
            for node in table[: min(random_candidates, read)]:
                if self._add_dial(call, ConnFlag.DYN, node):
                    call.need -= 1

    def _add_lookup_dials(self, call: _Call) -> None:
        # DS-LOOKUP-1: "lookup results MUST be tried in order while need > 0, and every
        # tried result removed from the buffer, dialed or not".
        tried = 0
        while tried < len(self._lookup_buf) and call.need > 0:
            if self._add_dial(call, ConnFlag.DYN, self._lookup_buf[tried]):
                call.need -= 1
            tried += 1
        del self._lookup_buf[:tried]

    def _add_discover(self, call: _Call) -> None:
        # SINGLE_LOOKUP / DS-LOOKUP-2: "a discover task MUST be returned iff the buffer holds
        # fewer than need nodes and no lookup is outstanding".
        if len(self._lookup_buf) < call.need and not self._lookup_running:
            self._lookup_running = True
            call.tasks.append(DiscoverTask())

    def _add_wait(self, call: _Call, running: int) -> None:
        # DS-WAIT-1, WAIT_EXPIRE: "when running is 0, nothing else is returned and the history is not
        # empty, a wait task for the earliest expiry minus now MUST be returned".
        if running == 0 and not call.tasks and len(self._hist) > 0:
            call.tasks.append(WaitTask(compute_duration(self._hist.get_min_expiry(), call.now)))

    # -- taskDone -------------------------------------------------------------

    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        """Record that ``task`` finished at ``now``; ``results`` are a lookup's nodes."""
        if isinstance(task, DialTask):
            # DS-HIST-1: "a finished dial MUST add (ID, now + 30 s) to the history and end
            # the dialing mark, whatever its outcome".
            self._hist.add(task.dest.id, now + DIAL_HISTORY_EXPIRATION)
            self._dialing.pop(task.dest.id, None)
        elif isinstance(task, DiscoverTask):
            # DS-LOOKUP-3: "a finished lookup MUST clear the running mark and append all
            # its results to the buffer, unfiltered".
            self._lookup_running = False
            self._lookup_buf.extend(results)
        # DS-DONE-1: "a finished wait task MUST change nothing".

    # -- task execution (the optional capability, spec section 10) -------------

    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        """Run ``task``'s ``Do`` against the environment's answers; the task keeps its dial state."""
        return execute_with_input(task, inputs)


def create_dialstate(config: Config, profile: Profile) -> Dialstate:
    """Create the reference dialstate: the factory the suite uses by default."""
    return Dialstate(config, profile)
