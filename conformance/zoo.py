"""The zoo: seeded-bug dialstates, each the reference with one plausible mistake a real author could make.

Theory of operation
-------------------
Every :class:`Member` names the requirement its bug breaks, says in one
sentence what is wrong, lists the named checks that can see it from the outside
(empty when only the strict comparison with the reference can), and the geth
profile under which the bug shows.  Each member is a subclass of the reference
that replaces one step, so the bug is the only difference.

Try one: ``dialcheck run --impl dialcheck.conformance.zoo:dials_self``.  ``dialcheck
mutants`` runs the default suite on every member and prints the kill matrix.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Optional

from dialcheck.reference.dialstate import Call, DialError, Dialstate, go_div
from dialcheck.reference.execution import execute_with_input
from dialcheck.reference.history import DialHistory
from dialcheck.reference.scheduler import Pick, SchedulerImplementation, pick_first
from dialcheck.reference.scheduler import Scheduler as SchedulerModel
from dialcheck.reference.scheduler import Task as SchedulerTask
from dialcheck.spec.contract import DialstateFactory, SchedulerFactory
from dialcheck.spec.execution import Connect, DialState, Execution, ExecutionInput, Lookup, Resolve, Sleep
from dialcheck.spec.model import (
    DIAL_HISTORY_EXPIRATION,
    FALLBACK_INTERVAL,
    INITIAL_RESOLVE_DELAY,
    SECOND,
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
    get_task_snapshot,
)
from dialcheck.spec.scheduler import (
    NO_ANSWERS,
    SCHEDULER_HISTORY_EXPIRATION,
    AllowedResponse,
    Dial,
    Response,
    RunAction,
    RunInput,
    SchedulerConfig,
    SchedulerEvent,
    SchedulerProfile,
)
from dialcheck.spec.verdicts import Verdict

__all__ = ["Member", "MEMBERS", "get_member", "SchedulerMember", "SCHEDULER_MEMBERS", "get_scheduler_member"]


# -- checkDial -------------------------------------------------------------------


class _DialsConnectedPeers(Dialstate):
    def check_dial(self, node: Node, peers: Mapping[NodeID, ConnFlag]) -> Optional[DialError]:
        return super().check_dial(node, {})


class _DialsTwiceInOneAnswer(Dialstate):
    def add_dial(self, call: Call, flag: ConnFlag, node: Node) -> bool:
        if self.check_dial(node, call.peers) is not None:
            return False
        call.tasks.append(DialTask(flag=flag, dest=node))  # marked dialing only after the call
        return True

    def new_tasks(self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]) -> list[Task]:
        tasks = super().new_tasks(running, peers, now, table)
        for task in tasks:
            if isinstance(task, DialTask):
                self.dialing[task.dest.id] = task.flag
        return tasks


class _StaticDialedAsDynamic(Dialstate):
    def add_static_dials(self, call: Call) -> None:
        super().add_static_dials(call)
        call.tasks[:] = [
            DialTask(ConnFlag.DYN, t.dest) if isinstance(t, DialTask) and t.flag is ConnFlag.STATIC else t
            for t in call.tasks
        ]


class _DialsSelf(Dialstate):
    def check_dial(self, node: Node, peers: Mapping[NodeID, ConnFlag]) -> Optional[DialError]:
        error = super().check_dial(node, peers)
        return None if error is DialError.SELF else error


class _StaticSelfDialed(Dialstate):
    def add_static_dials(self, call: Call) -> None:
        for node_id, task in list(self.static.items()):
            error = self.check_dial(task.dest, call.peers)
            if error is None or error is DialError.SELF:
                self.dialing[node_id] = task.flag
                call.tasks.append(task)


class _AdmitsIncompleteNodes(Dialstate):
    def check_dial(self, node: Node, peers: Mapping[NodeID, ConnFlag]) -> Optional[DialError]:
        error = super().check_dial(node, peers)
        return None if error is DialError.NOT_WHITELISTED and node.ip is None else error


class _StaticIgnoresNetrestrict(Dialstate):
    def add_static_dials(self, call: Call) -> None:
        for node_id, task in list(self.static.items()):
            error = self.check_dial(task.dest, call.peers)
            if error is DialError.SELF:
                del self.static[node_id]
            elif error is None or error is DialError.NOT_WHITELISTED:
                self.dialing[node_id] = task.flag
                call.tasks.append(task)


class _EmptyNetrestrictAdmitsAll(Dialstate):
    def __init__(self, config: Config, profile: Profile) -> None:
        super().__init__(config, profile)
        if config.netrestrict == ():
            self.netrestrict = None


# -- need and budget -------------------------------------------------------------


class _BudgetForgetsInFlightDials(Dialstate):
    def compute_need(self, peers: Mapping[NodeID, ConnFlag]) -> int:
        return self.max_dyn_dials - sum(1 for flags in peers.values() if ConnFlag.DYN in flags)


class _BudgetCountsStaticPeers(Dialstate):
    def compute_need(self, peers: Mapping[NodeID, ConnFlag]) -> int:
        static_peers = sum(1 for flags in peers.values() if flags == ConnFlag.STATIC)
        return super().compute_need(peers) - static_peers


class _BudgetCountsInboundPeers(Dialstate):
    def compute_need(self, peers: Mapping[NodeID, ConnFlag]) -> int:
        inbound = sum(1 for flags in peers.values() if ConnFlag.INBOUND in flags)
        return super().compute_need(peers) - inbound


class _StaticDialsUseTheBudget(Dialstate):
    def add_static_dials(self, call: Call) -> None:
        before = len(call.tasks)
        super().add_static_dials(call)
        call.need -= len(call.tasks) - before


# -- history ---------------------------------------------------------------------


class _InclusiveHistory(DialHistory):
    def expire(self, now: int) -> None:
        super().expire(now + 1)


class _HistoryInclusiveExpiry(Dialstate):
    def __init__(self, config: Config, profile: Profile) -> None:
        super().__init__(config, profile)
        self.hist = _InclusiveHistory()


class _HistoryOf29Seconds(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        super().task_done(task, now - SECOND if isinstance(task, DialTask) else now, results)


class _HistoryExpiredAfterTheChecks(Dialstate):
    def new_tasks(self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]) -> list[Task]:
        self.record_start(now)
        call = Call(peers=peers, now=now, need=self.compute_need(peers))
        self.add_static_dials(call)
        self.add_fallback_dial(call)
        self.add_random_dials(call, table)
        self.add_lookup_dials(call)
        self.add_discover(call)
        self.hist.expire(now)  # too late: the checks above saw entries that have expired
        self.add_wait(call, running)
        return call.tasks


class _DialingNeverCleared(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        flag = self.dialing.get(task.dest.id) if isinstance(task, DialTask) else None
        super().task_done(task, now, results)
        if isinstance(task, DialTask) and flag is not None and task.flag is ConnFlag.STATIC:
            self.dialing[task.dest.id] = flag


# -- time and fallback -------------------------------------------------------------


class _FallbackAtExactly20s(Dialstate):
    def add_fallback_dial(self, call: Call) -> None:
        if compute_duration(call.now, self.start) == FALLBACK_INTERVAL:
            self.start -= 1
            super().add_fallback_dial(call)
            self.start += 1
        else:
            super().add_fallback_dial(call)


class _StartRecordedAtZero(Dialstate):
    def __init__(self, config: Config, profile: Profile) -> None:
        super().__init__(config, profile)
        self._started = False

    def record_start(self, now: int) -> None:
        if not self._started:
            self._started = True
            self.start = now


class _RotationStallsOnRejection(Dialstate):
    def add_fallback_dial(self, call: Call) -> None:
        before = list(self.bootnodes)
        dialed = len(call.tasks)
        super().add_fallback_dial(call)
        if before != self.bootnodes and len(call.tasks) == dialed:
            self.bootnodes = before


class _FallbackIgnoresInboundPeers(Dialstate):
    def add_fallback_dial(self, call: Call) -> None:
        dynamic_peers = any(ConnFlag.DYN in flags for flags in call.peers.values())
        if (
            not dynamic_peers
            and self.bootnodes
            and call.need > 0
            and compute_duration(call.now, self.start) > FALLBACK_INTERVAL
        ):
            bootnode = self.bootnodes.pop(0)
            self.bootnodes.append(bootnode)
            if self.add_dial(call, ConnFlag.DYN, bootnode):
                call.need -= 1


class _FallbackWithoutNeed(Dialstate):
    def add_fallback_dial(self, call: Call) -> None:
        if not call.peers and self.bootnodes and compute_duration(call.now, self.start) > FALLBACK_INTERVAL:
            bootnode = self.bootnodes.pop(0)
            self.bootnodes.append(bootnode)
            if self.add_dial(call, ConnFlag.DYN, bootnode):
                call.need -= 1


class _MonotonicClock(Dialstate):
    def __init__(self, config: Config, profile: Profile) -> None:
        super().__init__(config, profile)
        self._latest = ZERO_TIME

    def new_tasks(self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]) -> list[Task]:
        self._latest = max(self._latest, now)
        return super().new_tasks(running, peers, self._latest, table)


# -- random nodes -------------------------------------------------------------------


class _RandomBeforeFallback(Dialstate):
    def new_tasks(self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]) -> list[Task]:
        self.record_start(now)
        call = Call(peers=peers, now=now, need=self.compute_need(peers))
        self.hist.expire(now)
        self.add_static_dials(call)
        candidates = max(0, go_div(call.need, 2))
        self.add_fallback_dial(call)
        for node in table[: min(candidates, len(table), self.random_buf_len)]:
            if self.add_dial(call, ConnFlag.DYN, node):
                call.need -= 1
        self.add_lookup_dials(call)
        self.add_discover(call)
        self.add_wait(call, running)
        return call.tasks


class _RandomFromWholeTable(Dialstate):
    def add_random_dials(self, call: Call, table: Sequence[Node]) -> None:
        wanted = go_div(call.need, 2)
        for node in table:
            if wanted <= 0:
                break
            if self.add_dial(call, ConnFlag.DYN, node):
                call.need -= 1
                wanted -= 1


class _RandomUsesWholeNeed(Dialstate):
    def add_random_dials(self, call: Call, table: Sequence[Node]) -> None:
        for node in table[: max(0, min(call.need, self.random_buf_len))]:
            if self.add_dial(call, ConnFlag.DYN, node):
                call.need -= 1


# -- lookups --------------------------------------------------------------------------


class _LookupBufferReversed(Dialstate):
    def add_lookup_dials(self, call: Call) -> None:
        self.lookup_buf.reverse()
        super().add_lookup_dials(call)
        self.lookup_buf.reverse()


class _LookupBufferNotConsumed(Dialstate):
    def add_lookup_dials(self, call: Call) -> None:
        kept = list(self.lookup_buf)
        super().add_lookup_dials(call)
        self.lookup_buf[:] = kept


class _LookupBufferCleared(Dialstate):
    def add_lookup_dials(self, call: Call) -> None:
        super().add_lookup_dials(call)
        self.lookup_buf.clear()


class _LookupDropsOnlyDialed(Dialstate):
    def add_lookup_dials(self, call: Call) -> None:
        kept: list[Node] = []
        for index, node in enumerate(self.lookup_buf):
            if call.need <= 0:
                kept.extend(self.lookup_buf[index:])
                break
            if self.add_dial(call, ConnFlag.DYN, node):
                call.need -= 1
            else:
                kept.append(node)
        self.lookup_buf[:] = kept


class _LookupResultsDeduplicated(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        unique = list({node.id: node for node in results}.values())
        super().task_done(task, now, unique)


class _ConcurrentLookups(Dialstate):
    def add_discover(self, call: Call) -> None:
        self.lookup_running = False
        super().add_discover(call)


class _DiscoverWhenBufferSuffices(Dialstate):
    def add_discover(self, call: Call) -> None:
        if len(self.lookup_buf) <= call.need and not self.lookup_running:
            self.lookup_running = True
            call.tasks.append(DiscoverTask())


# -- waits ------------------------------------------------------------------------------


class _WaitsWhileTasksRun(Dialstate):
    def add_wait(self, call: Call, running: int) -> None:
        super().add_wait(call, 0)


class _WaitOneSecondLong(Dialstate):
    def add_wait(self, call: Call, running: int) -> None:
        super().add_wait(call, running)
        call.tasks[:] = [WaitTask(t.duration + SECOND) if isinstance(t, WaitTask) else t for t in call.tasks]


class _WaitForLatestExpiry(Dialstate):
    def add_wait(self, call: Call, running: int) -> None:
        if running == 0 and not call.tasks and len(self.hist) > 0:
            latest = max(expiry for expiry, _ in self.hist.get_entries())
            call.tasks.append(WaitTask(compute_duration(latest, call.now)))


class _WaitDoneDropsItsEntry(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        super().task_done(task, now, results)
        if isinstance(task, WaitTask) and len(self.hist) > 0:
            self.hist.remove(self.hist.get_entries()[0][1])


class _WaitDoneEndsTheLookup(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        super().task_done(task, now, results)
        if isinstance(task, WaitTask):
            self.lookup_running = False  # every finished task is taken for the lookup


class _NeverWaits(Dialstate):
    def add_wait(self, call: Call, running: int) -> None:
        return None


# -- statics ------------------------------------------------------------------------------


class _StaticDialedOnce(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        super().task_done(task, now, results)
        if isinstance(task, DialTask) and task.flag is ConnFlag.STATIC:
            self.static.pop(task.dest.id, None)


class _AddStaticKeepsOldEndpoint(Dialstate):
    def add_static(self, node: Node) -> None:
        if node.id not in self.static:
            super().add_static(node)


class _RemoveStaticKeepsHistory(Dialstate):
    def remove_static(self, node: Node) -> None:
        self.static.pop(node.id, None)


class _RemoveStaticForgotten(Dialstate):
    def remove_static(self, node: Node) -> None:
        pass


class _RemoveStaticClearsHistory(Dialstate):
    def remove_static(self, node: Node) -> None:
        super().remove_static(node)
        self.hist.remove(node.id)


# -- the profiles of geth v1.9 (section 12) ------------------------------------------------------


class _History30sIn19(Dialstate):
    def __init__(self, config: Config, profile: Profile = Profile.GETH_1_7) -> None:
        super().__init__(config, profile)
        self.rules = replace(self.rules, history_expiration=30 * SECOND)  # v1.8's lifetime kept


class _ReadsTableIn197(Dialstate):
    def __init__(self, config: Config, profile: Profile = Profile.GETH_1_7) -> None:
        super().__init__(config, profile)
        self.rules = replace(self.rules, reads_table=True)  # the random half kept from v1.9.6


class _WantIgnoresDials(Dialstate):
    def compute_need(self, peers: Mapping[NodeID, ConnFlag]) -> int:
        self.need_at_start = super().compute_need(peers)
        return self.need_at_start

    def add_discover(self, call: Call) -> None:
        if len(self.lookup_buf) < call.need and not self.lookup_running:
            self.lookup_running = True
            call.tasks.append(DiscoverTask(self.need_at_start if self.rules.discover_wants else None))


class _DiscoverWithoutWant(Dialstate):
    def __init__(self, config: Config, profile: Profile = Profile.GETH_1_7) -> None:
        super().__init__(config, profile)
        self.rules = replace(self.rules, discover_wants=False)  # v1.9.6's lookup that asks for no number


class _LookupSpacedIn197(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if isinstance(task, DiscoverTask):
            return execute_with_input(task, inputs, replace(self.rules, lookup_spacing=True))
        return super().execute(task, inputs)


class _IteratorReadWhole(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if isinstance(task, DiscoverTask):
            return Execution((Lookup(tuple(inputs.lookup)),))  # every item read, duplicates and all
        return super().execute(task, inputs)


# -- task execution (section 10) ---------------------------------------------------------------


class _ResolveIgnoresThrottle(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if isinstance(task, DialTask):
            task.last_resolved = None  # the throttle check is missing
        return super().execute(task, inputs)


class _BackoffNeverDoubles(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        done = super().execute(task, inputs)
        if isinstance(task, DialTask) and task.resolve_delay > INITIAL_RESOLVE_DELAY:
            task.resolve_delay = INITIAL_RESOLVE_DELAY
            assert done.state is not None
            return replace(done, state=replace(done.state, resolve_delay=INITIAL_RESOLVE_DELAY))
        return done


class _NoStaticRetry(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if not isinstance(task, DialTask):
            return super().execute(task, inputs)
        flag, task.flag = task.flag, ConnFlag.DYN  # every task treated as dynamic
        try:
            return super().execute(task, inputs)
        finally:
            task.flag = flag


class _DialsIncompleteNodes(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if isinstance(task, DialTask) and task.dest.is_incomplete():
            state = DialState(task.resolve_delay, task.last_resolved, task.dest)
            return Execution((Connect(task.dest, inputs.get_connect(0)),), state)
        return super().execute(task, inputs)


class _LookupsNotSpaced(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        return super().execute(task, replace(inputs, last_lookup=None))


class _StaticTaskIdentityLost(Dialstate):
    def add_static_dials(self, call: Call) -> None:
        super().add_static_dials(call)
        call.tasks[:] = [get_task_snapshot(t) for t in call.tasks]  # fresh copies: identity lost


class _FailedResolveNotRecorded(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if not isinstance(task, DialTask):
            return super().execute(task, inputs)
        last = task.last_resolved
        done = super().execute(task, inputs)
        if (
            done.state is not None
            and task.dest == done.state.dest
            and any(isinstance(a, Resolve) and a.found is None for a in done.actions)
        ):
            task.last_resolved = last
            return replace(done, state=replace(done.state, last_resolved=last))
        return done


class _ResolvesWithoutDiscovery(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        return super().execute(task, replace(inputs, discovery=True))


class _WaitSleepsFullExpiration(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if isinstance(task, WaitTask):
            return Execution((Sleep(DIAL_HISTORY_EXPIRATION),))
        return super().execute(task, inputs)


# -- the dialScheduler (spec/scheduler.md) -------------------------------------------------


class _MaxActiveZeroMeansNone(SchedulerModel):
    def __init__(self, config: SchedulerConfig, profile: SchedulerProfile) -> None:
        super().__init__(config, profile)
        self.max_active_dials = config.max_active_dials  # SC-CONFIG-1 forgotten: 0 stays 0


class _SlotsNotDoubled(SchedulerModel):
    def get_free_slots(self) -> int:
        return min(self.max_dial_peers - self.dial_peers, self.max_active_dials) - len(self.dialing)


class _SlotsIgnoreDialsInFlight(SchedulerModel):
    def get_free_slots(self) -> int:
        return min((self.max_dial_peers - self.dial_peers) * 2, self.max_active_dials)


class _OneStaticPerLoopHead(SchedulerModel):
    def run_loop_head(self, started: tuple[Dial, ...], pick: Pick) -> AllowedResponse:
        real = self.get_free_slots
        self.get_free_slots = lambda: min(real(), 1)  # type: ignore[method-assign]
        try:
            return super().run_loop_head(started, pick)
        finally:
            del self.get_free_slots


class _OfferedNodeDialedAsStatic(SchedulerModel):
    def start_dial(self, task: SchedulerTask) -> Dial:
        return super().start_dial(SchedulerTask(ConnFlag.STATIC, task.dest) if task.flag is ConnFlag.DYN else task)


class _StartedStaticStaysPooled(SchedulerModel):
    def start_dial(self, task: SchedulerTask) -> Dial:
        dial = super().start_dial(task)
        if task.flag is ConnFlag.STATIC:
            self.pool[task.dest.id] = None  # put back at once: a later loop head dials it again
        return dial


class _DialsConnectedSchedulerPeers(SchedulerModel):
    def is_dialable(self, node: Node) -> bool:
        saved, self.peers = self.peers, set()
        try:
            return super().is_dialable(node)
        finally:
            self.peers = saved


class _SchedulerDialsSelf(SchedulerModel):
    def is_dialable(self, node: Node) -> bool:
        saved, self.self_id = self.self_id, ""
        try:
            return super().is_dialable(node)
        finally:
            self.self_id = saved


class _DialsPortZero(SchedulerModel):
    def is_dialable(self, node: Node) -> bool:
        return super().is_dialable(replace(node, tcp=node.tcp or 1))


class _AdmitsNodesWithoutIP(SchedulerModel):
    def is_dialable(self, node: Node) -> bool:
        return super().is_dialable(node if node.ip is not None else replace(node, ip="10.0.0.1"))


class _HistoryFromDone(SchedulerModel):
    def start_dial(self, task: SchedulerTask) -> Dial:
        dial = super().start_dial(task)
        self.history = [e for e in self.history if e[1] != task.dest.id]  # added when the dial ends instead
        return dial

    def dial_done(self, node_id: NodeID, inputs: RunInput = NO_ANSWERS, pick: Pick = pick_first) -> AllowedResponse:
        bisect.insort(self.history, (self.now + SCHEDULER_HISTORY_EXPIRATION, node_id), key=lambda e: e[0])
        return super().dial_done(node_id, inputs, pick)


class _DoneKeepsStaticOut(SchedulerModel):
    def dial_done(self, node_id: NodeID, inputs: RunInput = NO_ANSWERS, pick: Pick = pick_first) -> AllowedResponse:
        real = self.update_static_pool
        self.update_static_pool = lambda node_id: None  # type: ignore[method-assign]
        try:
            return super().dial_done(node_id, inputs, pick)
        finally:
            self.update_static_pool = real  # type: ignore[method-assign]


class _ExpiryInclusive(SchedulerModel):
    def advance(self, now: int, pick: Pick = pick_first) -> AllowedResponse:
        return super().advance(now, pick) if not self.history else self._advance_inclusive(now, pick)

    def _advance_inclusive(self, now: int, pick: Pick) -> AllowedResponse:
        self.history = [(exp - 1, i) for exp, i in self.history]  # exp <= now expires
        allowed = super().advance(now, pick)
        self.history = [
            (exp + 1, i) if i not in {d.dest.id for d in self.started} else (exp, i) for exp, i in self.history
        ]
        return allowed


class _ExpiryDoesNotRepool(SchedulerModel):
    def advance(self, now: int, pick: Pick = pick_first) -> AllowedResponse:
        real = self.update_static_pool
        self.update_static_pool = lambda node_id: None  # type: ignore[method-assign]
        try:
            return super().advance(now, pick)
        finally:
            self.update_static_pool = real  # type: ignore[method-assign]


class _History30s(SchedulerModel):
    def start_dial(self, task: SchedulerTask) -> Dial:
        dial = super().start_dial(task)
        self.history = sorted((e if e[1] != task.dest.id else (e[0] - 5 * SECOND, e[1])) for e in self.history)
        return dial


class _InboundPeersCounted(SchedulerModel):
    def add_peer(self, node_id: NodeID, flags: ConnFlag) -> None:
        super().add_peer(node_id, flags | ConnFlag.DYN)

    def peer_removed(self, node_id: NodeID, flags: ConnFlag, pick: Pick = pick_first) -> AllowedResponse:
        return super().peer_removed(node_id, flags | ConnFlag.DYN, pick)


class _ConnectedStaticStaysPooled(SchedulerModel):
    def add_peer(self, node_id: NodeID, flags: ConnFlag) -> None:
        pooled = node_id in self.pool
        super().add_peer(node_id, flags)
        if pooled:
            self.pool[node_id] = None


class _PeerRemovedKeepsCount(SchedulerModel):
    def peer_removed(self, node_id: NodeID, flags: ConnFlag, pick: Pick = pick_first) -> AllowedResponse:
        return super().peer_removed(node_id, ConnFlag.INBOUND, pick)


class _JoinedDialNotCounted(SchedulerModel):
    def dial_done(self, node_id: NodeID, inputs: RunInput = NO_ANSWERS, pick: Pick = pick_first) -> AllowedResponse:
        return super().dial_done(node_id, replace(inputs, joins=False), pick)


class _AddStaticReplacesExisting(SchedulerModel):
    def add_static(self, node: Node, pick: Pick = pick_first) -> AllowedResponse:
        known = self.static.get(node.id)
        if known is not None and node.id not in self.dialing:
            known.dest = node
        return super().add_static(node, pick)


class _RemoveStaticKeepsPooled(SchedulerModel):
    def remove_static(self, node: Node, pick: Pick = pick_first) -> AllowedResponse:
        pooled = node.id in self.pool
        task = self.static.get(node.id)
        allowed = super().remove_static(node, pick)
        if pooled and task is not None and node.id not in self.dialing:
            self.static[node.id] = task
            self.pool[node.id] = None
        return allowed


class _RepoolWithoutCheckDial(SchedulerModel):
    def update_static_pool(self, node_id: NodeID) -> None:
        if node_id in self.static and node_id not in self.pool and node_id not in self.dialing:
            self.pool[node_id] = None


class _PendingInboundUnpools(SchedulerModel):
    def inbound_pending(self, node_id: NodeID, pick: Pick = pick_first) -> AllowedResponse:
        self.pool.pop(node_id, None)
        return super().inbound_pending(node_id, pick)


class _CompletedDoesNotRepool(SchedulerModel):
    def inbound_completed(self, node_id: NodeID, pick: Pick = pick_first) -> AllowedResponse:
        self.pending_inbound.discard(node_id)
        return self.run_loop_head((), pick)


class _DynamicIncompleteResolved(SchedulerModel):
    def needs_resolve(self, task: SchedulerTask) -> bool:
        return task.dest.ip is None


class _DynamicRetries(SchedulerModel):
    def run_task(self, task: SchedulerTask, inputs: RunInput) -> tuple[RunAction, ...]:
        if task.flag is not ConnFlag.DYN:
            return super().run_task(task, inputs)
        return super().run_task(replace(task, flag=ConnFlag.STATIC), inputs)


class _NeverReturnsAtOnce(SchedulerModel):
    def is_instant(self, task: SchedulerTask) -> bool:
        return False


class _ResolveNeverThrottled(SchedulerModel):
    def resolve(self, task: SchedulerTask, inputs: RunInput, actions: list[RunAction]) -> bool:
        task.last_resolved = 0
        return super().resolve(task, inputs, actions)

    def is_instant(self, task: SchedulerTask) -> bool:
        return super().is_instant(replace(task, last_resolved=0))


class _BackoffNotDoubled(SchedulerModel):
    def resolve(self, task: SchedulerTask, inputs: RunInput, actions: list[RunAction]) -> bool:
        found = super().resolve(task, inputs, actions)
        task.resolve_delay = min(task.resolve_delay, INITIAL_RESOLVE_DELAY)
        return found


class _ResolvedNodeForgotten(SchedulerModel):
    def resolve(self, task: SchedulerTask, inputs: RunInput, actions: list[RunAction]) -> bool:
        dest = task.dest
        found = super().resolve(task, inputs, actions)
        task.dest = dest  # the resolved endpoint is not kept
        return found


class _ResolvesWithoutResolver(SchedulerModel):
    def __init__(self, config: SchedulerConfig, profile: SchedulerProfile) -> None:
        super().__init__(config, profile)
        self.resolver = True


class _PeerRemovedSkipsLoopHead(SchedulerModel):
    def peer_removed(self, node_id: NodeID, flags: ConnFlag, pick: Pick = pick_first) -> AllowedResponse:
        if flags & (ConnFlag.DYN | ConnFlag.STATIC):
            self.dial_peers -= 1
        self.peers.discard(node_id)
        self.update_static_pool(node_id)
        return AllowedResponse((), (), 0)  # the loop head waits for the next event


class _DoneAtOnceNotReported(SchedulerImplementation):
    def on_event(self, event: SchedulerEvent) -> Response:
        return replace(super().on_event(event), done=())


class _DnsAnswerIgnored(SchedulerModel):
    def run_task(self, task: SchedulerTask, inputs: RunInput) -> tuple[RunAction, ...]:
        return super().run_task(task, replace(inputs, dns=None))


# -- the registry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One seeded bug: what it breaks, how it is described, which checks can see it."""

    name: str
    requirement: str
    description: str
    checks: tuple[Verdict, ...]
    implementation: type[Dialstate]
    profile: Profile = Profile.GETH_1_7
    strict_only_because: str = ""
    #: Why the default random run does not reach the bug (``dialcheck check --exhaustive`` kills it).
    random_run_misses_because: str = ""

    def create(self, config: Config, profile: Profile) -> Dialstate:
        """Make the buggy dialstate (the factory ``--impl dialcheck.conformance.zoo:<name>`` calls)."""
        return self.implementation(config, profile)


_ONLY_IDENTITY = (
    "a static dial at the old endpoint after a resolve found a new one is visible only against the reference"
)
_ONLY_ORDER = "which of several valid candidates is tried is visible only against the reference"
_ONLY_FEWER = "it dials or looks up less than geth, which no named invariant forbids"
MEMBERS: tuple[Member, ...] = (
    Member(
        "dials_connected_peers",
        "DS-CHECK-1",
        "checkDial forgets the already-connected check.",
        (Verdict.NO_DOUBLE_DIAL,),
        _DialsConnectedPeers,
    ),
    Member(
        "dials_twice_in_one_answer",
        "NO_DOUBLE_DIAL",
        "a node met twice in one call (table and lookup, or duplicated) is dialed twice.",
        (Verdict.NO_DOUBLE_DIAL, Verdict.DYN_BUDGET),
        _DialsTwiceInOneAnswer,
    ),
    Member(
        "static_dialed_as_dynamic",
        "DS-TASKS-1",
        "static dial tasks carry the dyn flag.",
        (Verdict.DYN_BUDGET, Verdict.STATIC_REDIAL, Verdict.KNOWN_CANDIDATE),
        _StaticDialedAsDynamic,
    ),
    Member("dials_self", "NEVER_SELF", "checkDial forgets the is-self check.", (Verdict.NEVER_SELF,), _DialsSelf),
    Member(
        "static_self_dialed",
        "DS-STATIC-2",
        "a static node for our own ID is kept and dialed.",
        (Verdict.NEVER_SELF,),
        _StaticSelfDialed,
    ),
    Member(
        "admits_incomplete_nodes",
        "DS-NET-1",
        "a node without an IP passes netrestrict.",
        (Verdict.NETRESTRICT,),
        _AdmitsIncompleteNodes,
    ),
    Member(
        "static_ignores_netrestrict",
        "DS-STATIC-2",
        "restricted static nodes are kept and dialed.",
        (Verdict.NETRESTRICT,),
        _StaticIgnoresNetrestrict,
    ),
    Member(
        "empty_netrestrict_admits_all",
        "DS-NET-1",
        "an empty restriction list is taken as no restriction.",
        (Verdict.NETRESTRICT,),
        _EmptyNetrestrictAdmitsAll,
    ),
    Member(
        "budget_forgets_in_flight_dials",
        "DS-NEED-1",
        "need ignores outstanding dynamic dials.",
        (Verdict.DYN_BUDGET, Verdict.RANDOM_HALF),
        _BudgetForgetsInFlightDials,
    ),
    Member(
        "budget_counts_static_peers",
        "DS-NEED-1",
        "static peers are counted against the dynamic budget.",
        (),
        _BudgetCountsStaticPeers,
        strict_only_because=_ONLY_FEWER,
    ),
    Member(
        "budget_counts_inbound_peers",
        "DS-NEED-1",
        "inbound and trusted peers are counted as dynamic.",
        (),
        _BudgetCountsInboundPeers,
        strict_only_because=_ONLY_FEWER,
    ),
    Member(
        "static_dials_use_the_budget",
        "DS-STATIC-1",
        "static dials decrease the dynamic need.",
        (Verdict.BOOTNODE_ROTATION,),
        _StaticDialsUseTheBudget,
    ),
    Member(
        "history_inclusive_expiry",
        "DS-HIST-3",
        "a history entry stops blocking at its expiry (<= for <).",
        (Verdict.HISTORY_EXPIRY, Verdict.WAIT_EXPIRE),
        _HistoryInclusiveExpiry,
    ),
    Member(
        "history_of_29_seconds",
        "DS-HIST-1",
        "finished dials block their node for 29 s, not 30 s.",
        (Verdict.HISTORY_EXPIRY, Verdict.WAIT_EXPIRE),
        _HistoryOf29Seconds,
    ),
    Member(
        "history_expired_after_the_checks",
        "DS-HIST-2",
        "the history is expired at the end of newTasks, after the checks.",
        (Verdict.STATIC_REDIAL, Verdict.WAIT_EXPIRE, Verdict.BOOTNODE_ROTATION),
        _HistoryExpiredAfterTheChecks,
    ),
    Member(
        "dialing_never_cleared",
        "DS-HIST-1",
        "a finished static dial leaves its node marked as dialing.",
        (Verdict.STATIC_REDIAL,),
        _DialingNeverCleared,
    ),
    Member(
        "fallback_at_exactly_20s",
        "DS-FALLBACK-1",
        "the bootnode fallback fires when exactly 20 s have passed (>= for >).",
        (Verdict.BOOTNODE_ROTATION, Verdict.RANDOM_HALF),
        _FallbackAtExactly20s,
    ),
    Member(
        "start_recorded_at_zero",
        "DS-TIME-2",
        "a call at the zero instant records it as the start.",
        (Verdict.BOOTNODE_ROTATION,),
        _StartRecordedAtZero,
    ),
    Member(
        "rotation_stalls_on_rejection",
        "BOOTNODE_ROTATION",
        "a rejected bootnode keeps its turn in the rotation.",
        (Verdict.BOOTNODE_ROTATION,),
        _RotationStallsOnRejection,
    ),
    Member(
        "fallback_ignores_inbound_peers",
        "DS-FALLBACK-1",
        "the fallback counts only dynamic peers as peers.",
        (Verdict.BOOTNODE_ROTATION, Verdict.RANDOM_HALF),
        _FallbackIgnoresInboundPeers,
    ),
    Member(
        "fallback_without_need",
        "DS-FALLBACK-1",
        "the fallback fires even when the dynamic budget is used up.",
        (Verdict.DYN_BUDGET, Verdict.BOOTNODE_ROTATION),
        _FallbackWithoutNeed,
    ),
    Member(
        "monotonic_clock",
        "DS-TIME-1",
        "times that go backwards are replaced by the latest time seen.",
        (Verdict.WAIT_EXPIRE, Verdict.HISTORY_EXPIRY, Verdict.STATIC_REDIAL),
        _MonotonicClock,
    ),
    Member(
        "random_before_fallback",
        "DS-RANDOM-1",
        "random candidates are computed before the bootnode step.",
        (Verdict.RANDOM_HALF, Verdict.DYN_BUDGET),
        _RandomBeforeFallback,
    ),
    Member(
        "random_from_whole_table",
        "DS-RANDOM-1",
        "table nodes are tried past the first need/2 until need/2 are dialed.",
        (Verdict.RANDOM_HALF,),
        _RandomFromWholeTable,
    ),
    Member(
        "random_uses_whole_need",
        "RANDOM_HALF",
        "the whole need, not half of it, is dialed from the table.",
        (Verdict.RANDOM_HALF,),
        _RandomUsesWholeNeed,
    ),
    Member(
        "lookup_buffer_reversed",
        "DS-LOOKUP-1",
        "lookup results are tried newest first.",
        (),
        _LookupBufferReversed,
        strict_only_because=_ONLY_ORDER,
    ),
    Member(
        "lookup_buffer_not_consumed",
        "DS-LOOKUP-1",
        "tried lookup results stay in the buffer and are tried again.",
        (Verdict.KNOWN_CANDIDATE,),
        _LookupBufferNotConsumed,
    ),
    Member(
        "lookup_buffer_cleared",
        "DS-LOOKUP-1",
        "untried lookup results are thrown away after each call.",
        (),
        _LookupBufferCleared,
        strict_only_because=_ONLY_FEWER,
    ),
    Member(
        "lookup_drops_only_dialed",
        "DS-LOOKUP-1",
        "rejected lookup results stay in the buffer.",
        (),
        _LookupDropsOnlyDialed,
        strict_only_because=_ONLY_ORDER,
    ),
    Member(
        "lookup_results_deduplicated",
        "DS-LOOKUP-3",
        "duplicate lookup results are dropped when the lookup finishes.",
        (),
        _LookupResultsDeduplicated,
        strict_only_because=_ONLY_FEWER,
    ),
    Member(
        "concurrent_lookups",
        "SINGLE_LOOKUP",
        "a discover task starts while one is running.",
        (Verdict.SINGLE_LOOKUP,),
        _ConcurrentLookups,
    ),
    Member(
        "discover_when_buffer_suffices",
        "DS-LOOKUP-2",
        "a lookup starts when the buffer holds as many nodes as needed, even none with none needed (<= for <).",
        (),
        _DiscoverWhenBufferSuffices,
        strict_only_because="an extra lookup is allowed by every named invariant",
    ),
    Member(
        "waits_while_tasks_run",
        "DS-WAIT-1",
        "a wait task is returned while other tasks run.",
        (Verdict.WAIT_EXPIRE,),
        _WaitsWhileTasksRun,
    ),
    Member(
        "wait_one_second_long",
        "WAIT_EXPIRE",
        "the wait lasts one second longer than the earliest expiry.",
        (Verdict.WAIT_EXPIRE,),
        _WaitOneSecondLong,
    ),
    Member(
        "wait_for_latest_expiry",
        "DS-WAIT-1",
        "the wait lasts until the latest expiry, not the earliest.",
        (Verdict.WAIT_EXPIRE,),
        _WaitForLatestExpiry,
    ),
    Member("never_waits", "DS-WAIT-1", "no wait task is ever returned.", (Verdict.WAIT_EXPIRE,), _NeverWaits),
    Member(
        "static_dialed_once",
        "STATIC_REDIAL",
        "a static node is forgotten after its first dial.",
        (Verdict.STATIC_REDIAL,),
        _StaticDialedOnce,
    ),
    Member(
        "add_static_keeps_old_endpoint",
        "DS-STATIC-4",
        "adding a known static node keeps its old task and endpoint.",
        (Verdict.STATIC_REDIAL,),
        _AddStaticKeepsOldEndpoint,
    ),
    Member(
        "resolve_ignores_throttle",
        "RESOLVE_THROTTLE",
        "a dial task resolves whenever it needs to, however recently it resolved.",
        (Verdict.RESOLVE_THROTTLE, Verdict.EX_RESOLVE_4),
        _ResolveIgnoresThrottle,
    ),
    Member(
        "backoff_never_doubles",
        "RESOLVE_BACKOFF",
        "a failed resolve leaves the delay at 60 s instead of doubling it.",
        (Verdict.RESOLVE_BACKOFF,),
        _BackoffNeverDoubles,
    ),
    Member(
        "no_static_retry",
        "STATIC_RETRY",
        "a static dial whose connection failed is not resolved and dialed again.",
        (Verdict.STATIC_RETRY,),
        _NoStaticRetry,
    ),
    Member(
        "dials_incomplete_nodes",
        "INCOMPLETE_NEEDS_RESOLVE",
        "a destination without an IP is dialed as it is, without resolving it.",
        (Verdict.INCOMPLETE_NEEDS_RESOLVE,),
        _DialsIncompleteNodes,
    ),
    Member(
        "lookups_not_spaced",
        "LOOKUP_SPACING",
        "a lookup starts at once, however recently the previous one started.",
        (Verdict.LOOKUP_SPACING,),
        _LookupsNotSpaced,
    ),
    Member(
        "static_task_identity_lost",
        "DS-STATIC-3",
        "new_tasks returns a fresh copy of each static task, so a resolved endpoint is forgotten.",
        (),
        _StaticTaskIdentityLost,
        strict_only_because=_ONLY_IDENTITY,
    ),
    Member(
        "failed_resolve_not_recorded",
        "EX-RESOLVE-4",
        "a failed resolve does not record its time, so the next dial resolves again at once.",
        (Verdict.EX_RESOLVE_4, Verdict.RESOLVE_THROTTLE),
        _FailedResolveNotRecorded,
    ),
    Member(
        "resolves_without_discovery",
        "EX-RESOLVE-1",
        "a dial task resolves even when the server has no discovery table.",
        (Verdict.EX_RESOLVE_1,),
        _ResolvesWithoutDiscovery,
    ),
    Member(
        "wait_sleeps_full_expiration",
        "EX-WAIT-1",
        "a wait task sleeps the whole 30 s history expiration instead of its duration.",
        (Verdict.EX_WAIT_1,),
        _WaitSleepsFullExpiration,
    ),
    Member(
        "wait_done_drops_its_entry",
        "DS-DONE-1",
        "a finished wait task drops the history entry it waited for, expired or not.",
        (Verdict.HISTORY_EXPIRY, Verdict.WAIT_EXPIRE, Verdict.STATIC_REDIAL),
        _WaitDoneDropsItsEntry,
    ),
    Member(
        "wait_done_ends_the_lookup",
        "DS-DONE-1",
        "a finished wait task marks the lookup not running, so a second lookup starts beside the first.",
        (Verdict.SINGLE_LOOKUP,),
        _WaitDoneEndsTheLookup,
    ),
    Member(
        "remove_static_forgotten",
        "DS-STATIC-4",
        "remove_static does nothing, so the node is still dialed as static.",
        (Verdict.KNOWN_CANDIDATE,),
        _RemoveStaticForgotten,
    ),
    Member(
        "remove_static_keeps_history",
        "DS-STATIC-5",
        "under geth-1.8, remove_static leaves the node's history entry.",
        # A removed node that is also a bootnode stays blocked, so the fallback skips it (BOOTNODE_ROTATION).
        (Verdict.STATIC_REDIAL, Verdict.WAIT_EXPIRE, Verdict.BOOTNODE_ROTATION),
        _RemoveStaticKeepsHistory,
        Profile.GETH_1_8,
    ),
    Member(
        "history_30s_in_1_9",
        "DS-HIST-1",
        "under geth-1.9, a finished dial blocks its node for v1.8's 30 s instead of 35 s.",
        (Verdict.WAIT_EXPIRE, Verdict.HISTORY_EXPIRY, Verdict.STATIC_REDIAL),
        _History30sIn19,
        Profile.GETH_1_9,
    ),
    Member(
        "remove_static_clears_history_1_9",
        "DS-STATIC-5",
        "under geth-1.9, remove_static still clears the node's history, as v1.8 did.",
        (Verdict.HISTORY_EXPIRY, Verdict.WAIT_EXPIRE),
        _RemoveStaticClearsHistory,
        Profile.GETH_1_9,
    ),
    Member(
        "reads_table_in_1_9_7",
        "DS-ITER-1",
        "under geth-1.9.7, half of the dynamic dials still come from the table.",
        (Verdict.RANDOM_HALF,),
        _ReadsTableIn197,
        Profile.GETH_1_9_7,
    ),
    Member(
        "want_ignores_dials",
        "DS-ITER-1",
        "under geth-1.9.7, the discover task asks for the need before this call's dynamic dials.",
        (Verdict.LOOKUP_WANT,),
        _WantIgnoresDials,
        Profile.GETH_1_9_7,
    ),
    Member(
        "discover_without_want",
        "LOOKUP_WANT",
        "under geth-1.9.7, the discover task asks the node iterator for no number.",
        (Verdict.LOOKUP_WANT,),
        _DiscoverWithoutWant,
        Profile.GETH_1_9_7,
    ),
    Member(
        "lookup_spaced_in_1_9_7",
        "EX-ITER-1",
        "under geth-1.9.7, a lookup still sleeps until 4 s after the previous one.",
        (Verdict.EX_ITER_1,),
        _LookupSpacedIn197,
        Profile.GETH_1_9_7,
    ),
    Member(
        "iterator_read_whole",
        "EX-ITER-1",
        "under geth-1.9.7, a lookup returns every node the iterator yields, beyond want and duplicates included.",
        (Verdict.EX_ITER_1,),
        _IteratorReadWhole,
        Profile.GETH_1_9_7,
    ),
    Member(
        "remove_static_clears_history_1_7",
        "DS-STATIC-5",
        "under geth-1.7, remove_static also clears the node's history.",
        (Verdict.HISTORY_EXPIRY, Verdict.WAIT_EXPIRE),
        _RemoveStaticClearsHistory,
    ),
)


@dataclass(frozen=True)
class SchedulerMember:
    """One seeded bug of the dialScheduler family: the reference scheduler with one step replaced."""

    name: str
    requirement: str
    description: str
    checks: tuple[Verdict, ...]
    implementation: type[SchedulerModel]
    profile: SchedulerProfile = SchedulerProfile.GETH_1_17_2
    strict_only_because: str = ""
    #: Why the default random run does not reach the bug.
    random_run_misses_because: str = ""
    #: The implementation around the model, for a bug in how it answers rather than in what it does.
    wrapper: type[SchedulerImplementation] = SchedulerImplementation

    def create(self, config: SchedulerConfig, profile: SchedulerProfile) -> SchedulerImplementation:
        """Make the buggy scheduler (the factory ``--impl dialcheck.conformance.zoo:<name>`` calls)."""
        implementation = self.wrapper(config, profile)
        implementation.model = self.implementation(config, profile)
        return implementation


_ONLY_RUN = "what a task's run does (its resolves, lookups and attempts) is visible only against the reference"
_ONLY_PORT = "no named invariant forbids dialing a node without a TCP port"
SCHEDULER_MEMBERS: tuple[SchedulerMember, ...] = (
    SchedulerMember(
        "sched_max_active_zero_means_none",
        "SC-CONFIG-1",
        "a max_active_dials of 0 allows no dial instead of geth's default 50.",
        (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _MaxActiveZeroMeansNone,
    ),
    SchedulerMember(
        "sched_slots_not_doubled",
        "SC-SLOTS-1",
        "the free slots are max_dial_peers - dial_peers, not twice that.",
        (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _SlotsNotDoubled,
    ),
    SchedulerMember(
        "sched_slots_ignore_dials_in_flight",
        "SC-SLOTS-1",
        "dials in flight do not take slots.",
        (Verdict.SC_SLOTS, Verdict.SC_ITERATOR_GATE),
        _SlotsIgnoreDialsInFlight,
    ),
    SchedulerMember(
        "sched_one_static_per_loop_head",
        "SC-LOOP-1",
        "a loop head starts at most one static dial.",
        (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _OneStaticPerLoopHead,
    ),
    SchedulerMember(
        "sched_offered_node_dialed_as_static",
        "SC-DYN-1",
        "a node from the iterator is dialed with the static flag.",
        (Verdict.SC_STATIC_REDIAL,),
        _OfferedNodeDialedAsStatic,
    ),
    SchedulerMember(
        "sched_started_static_stays_pooled",
        "SC-CHOICE-1",
        "a static task stays in the pool when it starts, so it is started again while dialing.",
        (Verdict.SC_NO_DOUBLE_DIAL, Verdict.SC_STATIC_REDIAL, Verdict.SC_HISTORY, Verdict.SC_ITERATOR_GATE),
        _StartedStaticStaysPooled,
    ),
    SchedulerMember(
        "sched_dials_connected_peers",
        "SC-CHECK-1",
        "checkDial forgets the already-connected check.",
        (Verdict.SC_NO_DOUBLE_DIAL, Verdict.SC_STATIC_REDIAL),
        _DialsConnectedSchedulerPeers,
    ),
    SchedulerMember(
        "sched_dials_self",
        "SC-CHECK-1",
        "checkDial forgets the is-self check.",
        (Verdict.SC_NEVER_SELF, Verdict.SC_STATIC_REDIAL),
        _SchedulerDialsSelf,
    ),
    SchedulerMember(
        "sched_dials_port_zero",
        "SC-CHECK-2",
        "from geth-1.9.14, a node with an IP and TCP port 0 is still dialed.",
        (),
        _DialsPortZero,
        SchedulerProfile.GETH_1_9_14,
        strict_only_because=_ONLY_PORT,
    ),
    SchedulerMember(
        "sched_admits_nodes_without_ip",
        "SC-NET-1",
        "a node without an IP passes netrestrict.",
        (Verdict.SC_NETRESTRICT, Verdict.SC_STATIC_REDIAL),
        _AdmitsNodesWithoutIP,
    ),
    SchedulerMember(
        "sched_history_from_done",
        "SC-DIAL-1",
        "the history entry is added when a dial ends, not when it starts.",
        (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _HistoryFromDone,
    ),
    SchedulerMember(
        "sched_done_keeps_static_out",
        "SC-DONE-1",
        "a finished dial does not offer its static task back to the pool.",
        (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _DoneKeepsStaticOut,
    ),
    SchedulerMember(
        "sched_expiry_inclusive",
        "SC-HIST-1",
        "a history entry expiring exactly at the new clock is dropped too.",
        (Verdict.SC_HISTORY,),
        _ExpiryInclusive,
    ),
    SchedulerMember(
        "sched_expiry_does_not_repool",
        "SC-HIST-1",
        "an expired history entry does not offer its static task back to the pool.",
        (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _ExpiryDoesNotRepool,
    ),
    SchedulerMember(
        "sched_history_30s",
        "SC-HIST-2",
        "a dial blocks its node for dialstate's 30 s instead of 35 s.",
        (Verdict.SC_HISTORY,),
        _History30s,
    ),
    SchedulerMember(
        "sched_inbound_peers_counted",
        "SC-PEER-1",
        "inbound peers count as dialed peers.",
        (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _InboundPeersCounted,
    ),
    SchedulerMember(
        "sched_connected_static_stays_pooled",
        "SC-PEER-1",
        "a static node that connects stays in the pool and is dialed while connected.",
        (Verdict.SC_NO_DOUBLE_DIAL, Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _ConnectedStaticStaysPooled,
    ),
    SchedulerMember(
        "sched_peer_removed_keeps_count",
        "SC-PEER-2",
        "a dialed peer that disconnects still counts as dialed.",
        (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _PeerRemovedKeepsCount,
    ),
    SchedulerMember(
        "sched_joined_dial_not_counted",
        "SC-PEER-3",
        "a connection its own dial made does not join as a peer.",
        (Verdict.SC_SLOTS, Verdict.SC_ITERATOR_GATE, Verdict.SC_NO_DOUBLE_DIAL, Verdict.SC_STATIC_REDIAL),
        _JoinedDialNotCounted,
    ),
    SchedulerMember(
        "sched_add_static_replaces_existing",
        "SC-STATIC-1",
        "adding a known static node replaces its destination.",
        (Verdict.SC_STATIC_REDIAL,),
        _AddStaticReplacesExisting,
    ),
    SchedulerMember(
        "sched_remove_static_keeps_pooled",
        "SC-STATIC-2",
        "a removed static node stays in the pool and is dialed.",
        (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _RemoveStaticKeepsPooled,
    ),
    SchedulerMember(
        "sched_repool_without_checkdial",
        "SC-STATIC-3",
        "a static task is put back into the pool without checkDial.",
        (
            Verdict.SC_HISTORY,
            Verdict.SC_NO_DOUBLE_DIAL,
            Verdict.SC_NEVER_SELF,
            Verdict.SC_NETRESTRICT,
            Verdict.SC_STATIC_REDIAL,
            Verdict.SC_ITERATOR_GATE,
        ),
        _RepoolWithoutCheckDial,
    ),
    SchedulerMember(
        "sched_pending_inbound_unpools",
        "SC-STATIC-4",
        "a pending inbound connection takes its static task out of the pool (geth keeps it).",
        (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _PendingInboundUnpools,
    ),
    SchedulerMember(
        "sched_completed_does_not_repool",
        "SC-INBOUND-1",
        "a completed inbound connection does not offer its static task back to the pool.",
        (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _CompletedDoesNotRepool,
    ),
    SchedulerMember(
        "sched_dynamic_incomplete_resolved",
        "SC-RUN-1",
        "from geth-1.9.14, a dynamic dial without an IP still resolves first (geth-1.9.11's rule).",
        (),
        _DynamicIncompleteResolved,
        SchedulerProfile.GETH_1_9_14,
        strict_only_because=_ONLY_RUN,
    ),
    SchedulerMember(
        "sched_dynamic_retries",
        "SC-RUN-2",
        "a failed dynamic dial resolves and retries like a static one.",
        (),
        _DynamicRetries,
        strict_only_because=_ONLY_RUN,
    ),
    SchedulerMember(
        "sched_never_returns_at_once",
        "SC-RUN-3",
        "a dial whose run asks nothing holds its slot until a dial_done.",
        (),
        _NeverReturnsAtOnce,
        strict_only_because="an implementation says itself which dials returned at once",
    ),
    SchedulerMember(
        "sched_resolves_without_resolver",
        "SC-RESOLVE-1",
        "a task resolves even when the server has no discovery table.",
        (),
        _ResolvesWithoutResolver,
        strict_only_because=_ONLY_RUN,
    ),
    SchedulerMember(
        "sched_resolve_never_throttled",
        "SC-RESOLVE-2",
        "a task resolves however recently it resolved.",
        (),
        _ResolveNeverThrottled,
        strict_only_because=_ONLY_RUN,
    ),
    SchedulerMember(
        "sched_backoff_not_doubled",
        "SC-RESOLVE-3",
        "the resolve delay stays 60 s after a failed resolve.",
        (),
        _BackoffNotDoubled,
        strict_only_because=_ONLY_RUN,
    ),
    SchedulerMember(
        "sched_resolved_node_forgotten",
        "SC-RESOLVE-4",
        "a static task keeps dialing its old endpoint after a resolve found a new one.",
        (Verdict.SC_STATIC_REDIAL,),
        _ResolvedNodeForgotten,
    ),
    SchedulerMember(
        "sched_peer_removed_skips_loop_head",
        "SC-EVENT-1",
        "a peer's removal is handled without the loop head, so the slot it frees waits for the next event.",
        (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
        _PeerRemovedSkipsLoopHead,
    ),
    SchedulerMember(
        "sched_done_at_once_not_reported",
        "SC-EVENT-2",
        "a dial that returned at once is not listed as done, so the harness waits for its dial_done.",
        (),
        SchedulerModel,
        strict_only_because="an implementation says itself which dials returned at once",
        wrapper=_DoneAtOnceNotReported,
    ),
    SchedulerMember(
        "sched_dns_answer_ignored",
        "SC-DNS-1",
        "from geth-1.15, a static node's hostname is looked up but the answer is not used.",
        (),
        _DnsAnswerIgnored,
        SchedulerProfile.GETH_1_15,
        strict_only_because=_ONLY_RUN,
    ),
)


def get_member(name: str) -> Member:
    """Return the dialstate member called ``name``."""
    for member in MEMBERS:
        if member.name == name:
            return member
    raise KeyError(name)


def get_scheduler_member(name: str) -> SchedulerMember:
    """Return the dialScheduler member called ``name``."""
    for member in SCHEDULER_MEMBERS:
        if member.name == name:
            return member
    raise KeyError(name)


def __getattr__(name: str) -> DialstateFactory | SchedulerFactory:
    """Return the factory of the member called ``name``: ``--impl dialcheck.conformance.zoo:<name>``."""
    if any(m.name == name for m in SCHEDULER_MEMBERS):
        return get_scheduler_member(name).create
    try:
        member = get_member(name)
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None

    def create(config: Config, profile: Profile) -> Dialstate:
        return member.create(config, profile)

    create.__name__ = create.__qualname__ = member.name
    create.__doc__ = f"Create the zoo member {member.name}: {member.description}"
    return create


def __dir__() -> list[str]:
    return sorted([*__all__, *(m.name for m in MEMBERS), *(m.name for m in SCHEDULER_MEMBERS)])
