"""Seeded-bug dialstates: each is the reference with one plausible mistake, tied to the check it breaks.

``BUGS`` maps a factory name to (the checks any of which may catch it at invariants level, empty
when only the strict comparison can, and a sentence saying what is wrong).  Use one with
``dialcheck run --impl seeded_bugs:<name>`` from this folder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Optional

from reference.dialstate import DialError, Dialstate, _Call, _go_div
from reference.history import DialHistory
from spec.model import Config, ConnFlag, DialTask, Node, NodeID, Profile, Task, WaitTask, SECOND


class _DialsConnectedPeers(Dialstate):
    def check_dial(self, node: Node, peers: Mapping[NodeID, ConnFlag]) -> Optional[DialError]:
        return super().check_dial(node, {})


class _BudgetForgetsInFlightDials(Dialstate):
    def _compute_need(self, peers: Mapping[NodeID, ConnFlag]) -> int:
        return self._max_dyn_dials - sum(1 for flags in peers.values() if ConnFlag.DYN in flags)


class _HistoryExpiresAtExpiry(DialHistory):
    def expire(self, now: int) -> None:
        super().expire(now + 1)  # pops entries whose expiry is <= now


class _HistoryInclusiveExpiry(Dialstate):
    def __init__(self, config: Config, profile: Profile) -> None:
        super().__init__(config, profile)
        self._hist = _HistoryExpiresAtExpiry()


class _RotationStallsOnRejection(Dialstate):
    def _add_fallback_dial(self, call: _Call) -> None:
        before = list(self._bootnodes)
        dialed = len(call.tasks)
        super()._add_fallback_dial(call)
        if before != self._bootnodes and len(call.tasks) == dialed:
            self._bootnodes = before  # a rejected bootnode keeps its turn


class _DialsSelf(Dialstate):
    def check_dial(self, node: Node, peers: Mapping[NodeID, ConnFlag]) -> Optional[DialError]:
        error = super().check_dial(node, peers)
        return None if error is DialError.SELF else error


class _AdmitsIncompleteNodes(Dialstate):
    def check_dial(self, node: Node, peers: Mapping[NodeID, ConnFlag]) -> Optional[DialError]:
        error = super().check_dial(node, peers)
        if error is DialError.NOT_WHITELISTED and node.ip is None:
            return None
        return error


class _ConcurrentLookups(Dialstate):
    def _add_discover(self, call: _Call) -> None:
        self._lookup_running = False
        super()._add_discover(call)


class _WaitsWhileTasksRun(Dialstate):
    def _add_wait(self, call: _Call, running: int) -> None:
        super()._add_wait(call, 0)


class _WaitOneSecondLong(Dialstate):
    def _add_wait(self, call: _Call, running: int) -> None:
        super()._add_wait(call, running)
        call.tasks[:] = [WaitTask(t.duration + SECOND) if isinstance(t, WaitTask) else t for t in call.tasks]


class _RandomBeforeFallback(Dialstate):
    def new_tasks(self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]) -> list[Task]:
        self._record_start(now)
        call = _Call(peers=peers, now=now, need=self._compute_need(peers))
        self._hist.expire(now)
        self._add_static_dials(call)
        candidates = _go_div(call.need, 2)  # computed before the bootnode step
        self._add_fallback_dial(call)
        for node in table[: max(0, min(candidates, len(table), self._random_buf_len))]:
            if self._add_dial(call, ConnFlag.DYN, node):
                call.need -= 1
        self._add_lookup_dials(call)
        self._add_discover(call)
        self._add_wait(call, running)
        return call.tasks


class _StaticDialedOnce(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        super().task_done(task, now, results)
        if isinstance(task, DialTask) and task.flag is ConnFlag.STATIC:
            self._static.pop(task.dest.id, None)


class _DialsFromAnywhere(Dialstate):
    def _add_random_dials(self, call: _Call, table: Sequence[Node]) -> None:
        super()._add_random_dials(call, table)
        for node in self._static_pool:
            if call.need > 0 and self._add_dial(call, ConnFlag.DYN, node):
                call.need -= 1

    @property
    def _static_pool(self) -> list[Node]:
        return [Node(f"{i:0128x}", f"10.0.0.{i}", 30303, 30303) for i in (5, 6)]


class _LookupBufferReversed(Dialstate):
    def _add_lookup_dials(self, call: _Call) -> None:
        self._lookup_buf.reverse()
        super()._add_lookup_dials(call)
        self._lookup_buf.reverse()


BUGS: dict[str, tuple[tuple[str, ...], str]] = {
    "dials_connected_peers": (("NO_DOUBLE_DIAL",), "checkDial forgets the already-connected check"),
    "budget_forgets_in_flight_dials": (("DYN_BUDGET",), "need ignores outstanding dynamic dials"),
    "history_inclusive_expiry": (("HISTORY_EXPIRY", "WAIT_EXPIRE"), "a history entry stops blocking at its expiry (<= for <)"),
    "rotation_stalls_on_rejection": (("BOOTNODE_ROTATION",), "a rejected bootnode keeps its turn"),
    "dials_self": (("NEVER_SELF",), "checkDial forgets the is-self check"),
    "admits_incomplete_nodes": (("NETRESTRICT",), "a node without an IP passes netrestrict"),
    "concurrent_lookups": (("SINGLE_LOOKUP",), "a discover task starts while one is running"),
    "waits_while_tasks_run": (("WAIT_EXPIRE",), "a wait task is returned while other tasks run"),
    "wait_one_second_long": (("WAIT_EXPIRE",), "the wait lasts one second longer than the earliest expiry"),
    "random_before_fallback": (("RANDOM_HALF",), "random candidates are computed before the bootnode step"),
    "static_dialed_once": (("STATIC_REDIAL",), "a static node is forgotten after its first dial"),
    "dials_from_anywhere": (("KNOWN_CANDIDATE",), "dials nodes that came from no table, lookup or bootnode"),
    "lookup_buffer_reversed": ((), "lookup results are tried newest first (only the strict comparison sees order)"),
}

_CLASSES: dict[str, type[Dialstate]] = {
    "dials_connected_peers": _DialsConnectedPeers,
    "budget_forgets_in_flight_dials": _BudgetForgetsInFlightDials,
    "history_inclusive_expiry": _HistoryInclusiveExpiry,
    "rotation_stalls_on_rejection": _RotationStallsOnRejection,
    "dials_self": _DialsSelf,
    "admits_incomplete_nodes": _AdmitsIncompleteNodes,
    "concurrent_lookups": _ConcurrentLookups,
    "waits_while_tasks_run": _WaitsWhileTasksRun,
    "wait_one_second_long": _WaitOneSecondLong,
    "random_before_fallback": _RandomBeforeFallback,
    "static_dialed_once": _StaticDialedOnce,
    "dials_from_anywhere": _DialsFromAnywhere,
    "lookup_buffer_reversed": _LookupBufferReversed,
}


def _make_factory(cls: type[Dialstate]) -> Callable[[Config, Profile], Dialstate]:
    def create(config: Config, profile: Profile) -> Dialstate:
        return cls(config, profile)

    create.__doc__ = f"Create {cls.__name__}: {BUGS[_NAMES[cls]][1]}."
    return create


_NAMES = {cls: name for name, cls in _CLASSES.items()}
for _name, _cls in _CLASSES.items():
    globals()[_name] = _make_factory(_cls)
