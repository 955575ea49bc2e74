"""dialstate's seeded bugs: each the reference dialstate with one plausible mistake, declared where it is written.

Every class here is a member of the zoo through its ``@DIALSTATE_ZOO.declare(...)`` decorator: its
name, the requirement its bug breaks, one sentence of what is wrong, the named checks that can see it
from the outside, and the profile under which it shows.  Each subclasses the reference and replaces one
public step, so the bug is the only difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Optional

from dialcheck.conformance.zoo.members import Member, Zoo
from dialcheck.reference.dialstate import Call, DialError, Dialstate, go_div
from dialcheck.reference.execution import execute_with_input
from dialcheck.reference.history import DialHistory
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
from dialcheck.spec.verdicts import Verdict

__all__ = ["DIALSTATE_ZOO", "MEMBERS"]

#: dialstate's zoo: every member declared below, in the order written.
DIALSTATE_ZOO = Zoo(Profile.GETH_1_7)

_ONLY_IDENTITY = (
    "a static dial at the old endpoint after a resolve found a new one is visible only against the reference"
)
_ONLY_ORDER = "which of several valid candidates is tried is visible only against the reference"
_ONLY_FEWER = "it dials or looks up less than geth, which no named invariant forbids"


# -- checkDial -------------------------------------------------------------------


@DIALSTATE_ZOO.declare(
    "dials_connected_peers", "DS-CHECK-1", "checkDial forgets the already-connected check.", (Verdict.NO_DOUBLE_DIAL,)
)
class _DialsConnectedPeers(Dialstate):
    def check_dial(self, node: Node, peers: Mapping[NodeID, ConnFlag]) -> Optional[DialError]:
        return super().check_dial(node, {})


@DIALSTATE_ZOO.declare(
    "dials_twice_in_one_answer",
    "NO_DOUBLE_DIAL",
    "a node met twice in one call (table and lookup, or duplicated) is dialed twice.",
    (Verdict.NO_DOUBLE_DIAL, Verdict.DYN_BUDGET),
)
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


@DIALSTATE_ZOO.declare(
    "static_dialed_as_dynamic",
    "DS-TASKS-1",
    "static dial tasks carry the dyn flag.",
    (Verdict.DYN_BUDGET, Verdict.STATIC_REDIAL, Verdict.KNOWN_CANDIDATE),
)
class _StaticDialedAsDynamic(Dialstate):
    def add_static_dials(self, call: Call) -> None:
        super().add_static_dials(call)
        call.tasks[:] = [
            DialTask(ConnFlag.DYN, t.dest) if isinstance(t, DialTask) and t.flag is ConnFlag.STATIC else t
            for t in call.tasks
        ]


@DIALSTATE_ZOO.declare("dials_self", "NEVER_SELF", "checkDial forgets the is-self check.", (Verdict.NEVER_SELF,))
class _DialsSelf(Dialstate):
    def check_dial(self, node: Node, peers: Mapping[NodeID, ConnFlag]) -> Optional[DialError]:
        error = super().check_dial(node, peers)
        return None if error is DialError.SELF else error


@DIALSTATE_ZOO.declare(
    "static_self_dialed", "DS-STATIC-2", "a static node for our own ID is kept and dialed.", (Verdict.NEVER_SELF,)
)
class _StaticSelfDialed(Dialstate):
    def add_static_dials(self, call: Call) -> None:
        for node_id, task in list(self.static.items()):
            error = self.check_dial(task.dest, call.peers)
            if error is None or error is DialError.SELF:
                self.dialing[node_id] = task.flag
                call.tasks.append(task)


@DIALSTATE_ZOO.declare(
    "admits_incomplete_nodes", "DS-NET-1", "a node without an IP passes netrestrict.", (Verdict.NETRESTRICT,)
)
class _AdmitsIncompleteNodes(Dialstate):
    def check_dial(self, node: Node, peers: Mapping[NodeID, ConnFlag]) -> Optional[DialError]:
        error = super().check_dial(node, peers)
        return None if error is DialError.NOT_WHITELISTED and node.ip is None else error


@DIALSTATE_ZOO.declare(
    "static_ignores_netrestrict", "DS-STATIC-2", "restricted static nodes are kept and dialed.", (Verdict.NETRESTRICT,)
)
class _StaticIgnoresNetrestrict(Dialstate):
    def add_static_dials(self, call: Call) -> None:
        for node_id, task in list(self.static.items()):
            error = self.check_dial(task.dest, call.peers)
            if error is DialError.SELF:
                del self.static[node_id]
            elif error is None or error is DialError.NOT_WHITELISTED:
                self.dialing[node_id] = task.flag
                call.tasks.append(task)


@DIALSTATE_ZOO.declare(
    "empty_netrestrict_admits_all",
    "DS-NET-1",
    "an empty restriction list is taken as no restriction.",
    (Verdict.NETRESTRICT,),
)
class _EmptyNetrestrictAdmitsAll(Dialstate):
    def __init__(self, config: Config, profile: Profile) -> None:
        super().__init__(config, profile)
        if config.netrestrict == ():
            self.netrestrict = None


# -- need and budget -------------------------------------------------------------


@DIALSTATE_ZOO.declare(
    "budget_forgets_in_flight_dials",
    "DS-NEED-1",
    "need ignores outstanding dynamic dials.",
    (Verdict.DYN_BUDGET, Verdict.RANDOM_HALF),
)
class _BudgetForgetsInFlightDials(Dialstate):
    def compute_need(self, peers: Mapping[NodeID, ConnFlag]) -> int:
        return self.max_dyn_dials - sum(1 for flags in peers.values() if ConnFlag.DYN in flags)


@DIALSTATE_ZOO.declare(
    "budget_counts_static_peers",
    "DS-NEED-1",
    "static peers are counted against the dynamic budget.",
    (),
    strict_only_because=_ONLY_FEWER,
)
class _BudgetCountsStaticPeers(Dialstate):
    def compute_need(self, peers: Mapping[NodeID, ConnFlag]) -> int:
        static_peers = sum(1 for flags in peers.values() if flags == ConnFlag.STATIC)
        return super().compute_need(peers) - static_peers


@DIALSTATE_ZOO.declare(
    "budget_counts_inbound_peers",
    "DS-NEED-1",
    "inbound and trusted peers are counted as dynamic.",
    (),
    strict_only_because=_ONLY_FEWER,
)
class _BudgetCountsInboundPeers(Dialstate):
    def compute_need(self, peers: Mapping[NodeID, ConnFlag]) -> int:
        inbound = sum(1 for flags in peers.values() if ConnFlag.INBOUND in flags)
        return super().compute_need(peers) - inbound


@DIALSTATE_ZOO.declare(
    "static_dials_use_the_budget",
    "DS-STATIC-1",
    "static dials decrease the dynamic need.",
    (Verdict.BOOTNODE_ROTATION,),
)
class _StaticDialsUseTheBudget(Dialstate):
    def add_static_dials(self, call: Call) -> None:
        before = len(call.tasks)
        super().add_static_dials(call)
        call.need -= len(call.tasks) - before


# -- history ---------------------------------------------------------------------


class _InclusiveHistory(DialHistory):
    def expire(self, now: int) -> None:
        super().expire(now + 1)


@DIALSTATE_ZOO.declare(
    "history_inclusive_expiry",
    "DS-HIST-3",
    "a history entry stops blocking at its expiry (<= for <).",
    (Verdict.HISTORY_EXPIRY, Verdict.WAIT_EXPIRE),
)
class _HistoryInclusiveExpiry(Dialstate):
    def __init__(self, config: Config, profile: Profile) -> None:
        super().__init__(config, profile)
        self.hist = _InclusiveHistory()


@DIALSTATE_ZOO.declare(
    "history_of_29_seconds",
    "DS-HIST-1",
    "finished dials block their node for 29 s, not 30 s.",
    (Verdict.HISTORY_EXPIRY, Verdict.WAIT_EXPIRE),
)
class _HistoryOf29Seconds(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        super().task_done(task, now - SECOND if isinstance(task, DialTask) else now, results)


@DIALSTATE_ZOO.declare(
    "history_expired_after_the_checks",
    "DS-HIST-2",
    "the history is expired at the end of newTasks, after the checks.",
    (Verdict.STATIC_REDIAL, Verdict.WAIT_EXPIRE, Verdict.BOOTNODE_ROTATION),
)
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


@DIALSTATE_ZOO.declare(
    "dialing_never_cleared",
    "DS-HIST-1",
    "a finished static dial leaves its node marked as dialing.",
    (Verdict.STATIC_REDIAL,),
)
class _DialingNeverCleared(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        flag = self.dialing.get(task.dest.id) if isinstance(task, DialTask) else None
        super().task_done(task, now, results)
        if isinstance(task, DialTask) and flag is not None and task.flag is ConnFlag.STATIC:
            self.dialing[task.dest.id] = flag


# -- time and fallback -------------------------------------------------------------


@DIALSTATE_ZOO.declare(
    "fallback_at_exactly_20s",
    "DS-FALLBACK-1",
    "the bootnode fallback fires when exactly 20 s have passed (>= for >).",
    (Verdict.BOOTNODE_ROTATION, Verdict.RANDOM_HALF),
)
class _FallbackAtExactly20s(Dialstate):
    def add_fallback_dial(self, call: Call) -> None:
        if compute_duration(call.now, self.start) == FALLBACK_INTERVAL:
            self.start -= 1
            super().add_fallback_dial(call)
            self.start += 1
        else:
            super().add_fallback_dial(call)


@DIALSTATE_ZOO.declare(
    "start_recorded_at_zero",
    "DS-TIME-2",
    "a call at the zero instant records it as the start.",
    # The early fallback's bootnode is dialed; when it is in the table too (the opening pass's 2 steps), RANDOM_HALF
    # sees the dial first: more than half the need taken from the table.
    (Verdict.BOOTNODE_ROTATION, Verdict.RANDOM_HALF),
)
class _StartRecordedAtZero(Dialstate):
    def __init__(self, config: Config, profile: Profile) -> None:
        super().__init__(config, profile)
        self._started = False

    def record_start(self, now: int) -> None:
        if not self._started:
            self._started = True
            self.start = now


@DIALSTATE_ZOO.declare(
    "rotation_stalls_on_rejection",
    "BOOTNODE_ROTATION",
    "a rejected bootnode keeps its turn in the rotation.",
    (Verdict.BOOTNODE_ROTATION,),
)
class _RotationStallsOnRejection(Dialstate):
    def add_fallback_dial(self, call: Call) -> None:
        before = list(self.bootnodes)
        dialed = len(call.tasks)
        super().add_fallback_dial(call)
        if before != self.bootnodes and len(call.tasks) == dialed:
            self.bootnodes = before


@DIALSTATE_ZOO.declare(
    "fallback_ignores_inbound_peers",
    "DS-FALLBACK-1",
    "the fallback counts only dynamic peers as peers.",
    (Verdict.BOOTNODE_ROTATION, Verdict.RANDOM_HALF),
)
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


@DIALSTATE_ZOO.declare(
    "fallback_without_need",
    "DS-FALLBACK-1",
    "the fallback fires even when the dynamic budget is used up.",
    (Verdict.DYN_BUDGET, Verdict.BOOTNODE_ROTATION),
)
class _FallbackWithoutNeed(Dialstate):
    def add_fallback_dial(self, call: Call) -> None:
        if not call.peers and self.bootnodes and compute_duration(call.now, self.start) > FALLBACK_INTERVAL:
            bootnode = self.bootnodes.pop(0)
            self.bootnodes.append(bootnode)
            if self.add_dial(call, ConnFlag.DYN, bootnode):
                call.need -= 1


@DIALSTATE_ZOO.declare(
    "monotonic_clock",
    "DS-TIME-1",
    "times that go backwards are replaced by the latest time seen.",
    # A clock moved back makes the fallback due early; its bootnode, in the table too, breaks RANDOM_HALF first.
    (Verdict.WAIT_EXPIRE, Verdict.HISTORY_EXPIRY, Verdict.STATIC_REDIAL, Verdict.RANDOM_HALF),
)
class _MonotonicClock(Dialstate):
    def __init__(self, config: Config, profile: Profile) -> None:
        super().__init__(config, profile)
        self._latest = ZERO_TIME

    def new_tasks(self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]) -> list[Task]:
        self._latest = max(self._latest, now)
        return super().new_tasks(running, peers, self._latest, table)


# -- random nodes -------------------------------------------------------------------


@DIALSTATE_ZOO.declare(
    "random_before_fallback",
    "DS-RANDOM-1",
    "random candidates are computed before the bootnode step.",
    (Verdict.RANDOM_HALF, Verdict.DYN_BUDGET),
)
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


@DIALSTATE_ZOO.declare(
    "random_from_whole_table",
    "DS-RANDOM-1",
    "table nodes are tried past the first need/2 until need/2 are dialed.",
    (Verdict.RANDOM_HALF,),
)
class _RandomFromWholeTable(Dialstate):
    def add_random_dials(self, call: Call, table: Sequence[Node]) -> None:
        wanted = go_div(call.need, 2)
        for node in table:
            if wanted <= 0:
                break
            if self.add_dial(call, ConnFlag.DYN, node):
                call.need -= 1
                wanted -= 1


@DIALSTATE_ZOO.declare(
    "random_uses_whole_need",
    "RANDOM_HALF",
    "the whole need, not half of it, is dialed from the table.",
    (Verdict.RANDOM_HALF,),
)
class _RandomUsesWholeNeed(Dialstate):
    def add_random_dials(self, call: Call, table: Sequence[Node]) -> None:
        for node in table[: max(0, min(call.need, self.random_buf_len))]:
            if self.add_dial(call, ConnFlag.DYN, node):
                call.need -= 1


# -- lookups --------------------------------------------------------------------------


@DIALSTATE_ZOO.declare(
    "lookup_buffer_reversed",
    "DS-LOOKUP-1",
    "lookup results are tried newest first.",
    (),
    strict_only_because=_ONLY_ORDER,
)
class _LookupBufferReversed(Dialstate):
    def add_lookup_dials(self, call: Call) -> None:
        self.lookup_buf.reverse()
        super().add_lookup_dials(call)
        self.lookup_buf.reverse()


@DIALSTATE_ZOO.declare(
    "lookup_buffer_not_consumed",
    "DS-LOOKUP-1",
    "tried lookup results stay in the buffer and are tried again.",
    (Verdict.KNOWN_CANDIDATE,),
)
class _LookupBufferNotConsumed(Dialstate):
    def add_lookup_dials(self, call: Call) -> None:
        kept = list(self.lookup_buf)
        super().add_lookup_dials(call)
        self.lookup_buf[:] = kept


@DIALSTATE_ZOO.declare(
    "lookup_buffer_cleared",
    "DS-LOOKUP-1",
    "untried lookup results are thrown away after each call.",
    (),
    strict_only_because=_ONLY_FEWER,
)
class _LookupBufferCleared(Dialstate):
    def add_lookup_dials(self, call: Call) -> None:
        super().add_lookup_dials(call)
        self.lookup_buf.clear()


@DIALSTATE_ZOO.declare(
    "lookup_drops_only_dialed",
    "DS-LOOKUP-1",
    "rejected lookup results stay in the buffer.",
    (),
    strict_only_because=_ONLY_ORDER,
)
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


@DIALSTATE_ZOO.declare(
    "lookup_results_deduplicated",
    "DS-LOOKUP-3",
    "duplicate lookup results are dropped when the lookup finishes.",
    (),
    strict_only_because=_ONLY_FEWER,
)
class _LookupResultsDeduplicated(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        unique = list({node.id: node for node in results}.values())
        super().task_done(task, now, unique)


@DIALSTATE_ZOO.declare(
    "concurrent_lookups", "SINGLE_LOOKUP", "a discover task starts while one is running.", (Verdict.SINGLE_LOOKUP,)
)
class _ConcurrentLookups(Dialstate):
    def add_discover(self, call: Call) -> None:
        self.lookup_running = False
        super().add_discover(call)


@DIALSTATE_ZOO.declare(
    "discover_when_buffer_suffices",
    "DS-LOOKUP-2",
    "a lookup starts when the buffer holds as many nodes as needed, even none with none needed (<= for <).",
    (),
    strict_only_because="an extra lookup is allowed by every named invariant",
)
class _DiscoverWhenBufferSuffices(Dialstate):
    def add_discover(self, call: Call) -> None:
        if len(self.lookup_buf) <= call.need and not self.lookup_running:
            self.lookup_running = True
            call.tasks.append(DiscoverTask())


# -- waits ------------------------------------------------------------------------------


@DIALSTATE_ZOO.declare(
    "waits_while_tasks_run", "DS-WAIT-1", "a wait task is returned while other tasks run.", (Verdict.WAIT_EXPIRE,)
)
class _WaitsWhileTasksRun(Dialstate):
    def add_wait(self, call: Call, running: int) -> None:
        super().add_wait(call, 0)


@DIALSTATE_ZOO.declare(
    "wait_one_second_long",
    "WAIT_EXPIRE",
    "the wait lasts one second longer than the earliest expiry.",
    (Verdict.WAIT_EXPIRE,),
)
class _WaitOneSecondLong(Dialstate):
    def add_wait(self, call: Call, running: int) -> None:
        super().add_wait(call, running)
        call.tasks[:] = [WaitTask(t.duration + SECOND) if isinstance(t, WaitTask) else t for t in call.tasks]


@DIALSTATE_ZOO.declare(
    "wait_for_latest_expiry",
    "DS-WAIT-1",
    "the wait lasts until the latest expiry, not the earliest.",
    (Verdict.WAIT_EXPIRE,),
)
class _WaitForLatestExpiry(Dialstate):
    def add_wait(self, call: Call, running: int) -> None:
        if running == 0 and not call.tasks and len(self.hist) > 0:
            latest = max(expiry for expiry, _ in self.hist.get_entries())
            call.tasks.append(WaitTask(compute_duration(latest, call.now)))


@DIALSTATE_ZOO.declare(
    "wait_done_drops_its_entry",
    "DS-DONE-1",
    "a finished wait task drops the history entry it waited for, expired or not.",
    (Verdict.HISTORY_EXPIRY, Verdict.WAIT_EXPIRE, Verdict.STATIC_REDIAL),
)
class _WaitDoneDropsItsEntry(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        super().task_done(task, now, results)
        if isinstance(task, WaitTask) and len(self.hist) > 0:
            self.hist.remove(self.hist.get_entries()[0][1])


@DIALSTATE_ZOO.declare(
    "wait_done_ends_the_lookup",
    "DS-DONE-1",
    "a finished wait task marks the lookup not running, so a second lookup starts beside the first.",
    (Verdict.SINGLE_LOOKUP,),
)
class _WaitDoneEndsTheLookup(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        super().task_done(task, now, results)
        if isinstance(task, WaitTask):
            self.lookup_running = False  # every finished task is taken for the lookup


@DIALSTATE_ZOO.declare("never_waits", "DS-WAIT-1", "no wait task is ever returned.", (Verdict.WAIT_EXPIRE,))
class _NeverWaits(Dialstate):
    def add_wait(self, call: Call, running: int) -> None:
        return None


# -- statics ------------------------------------------------------------------------------


@DIALSTATE_ZOO.declare(
    "static_dialed_once", "STATIC_REDIAL", "a static node is forgotten after its first dial.", (Verdict.STATIC_REDIAL,)
)
class _StaticDialedOnce(Dialstate):
    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        super().task_done(task, now, results)
        if isinstance(task, DialTask) and task.flag is ConnFlag.STATIC:
            self.static.pop(task.dest.id, None)


@DIALSTATE_ZOO.declare(
    "add_static_keeps_old_endpoint",
    "DS-STATIC-4",
    "adding a known static node keeps its old task and endpoint.",
    (Verdict.STATIC_REDIAL,),
)
class _AddStaticKeepsOldEndpoint(Dialstate):
    def add_static(self, node: Node) -> None:
        if node.id not in self.static:
            super().add_static(node)


@DIALSTATE_ZOO.declare(
    "remove_static_keeps_history",
    "DS-STATIC-5",
    "under geth-1.8, remove_static leaves the node's history entry.",
    (Verdict.STATIC_REDIAL, Verdict.WAIT_EXPIRE, Verdict.BOOTNODE_ROTATION),
    profile=Profile.GETH_1_8,
)
class _RemoveStaticKeepsHistory(Dialstate):
    def remove_static(self, node: Node) -> None:
        self.static.pop(node.id, None)


@DIALSTATE_ZOO.declare(
    "remove_static_forgotten",
    "DS-STATIC-4",
    "remove_static does nothing, so the node is still dialed as static.",
    (Verdict.KNOWN_CANDIDATE,),
)
class _RemoveStaticForgotten(Dialstate):
    def remove_static(self, node: Node) -> None:
        pass


@DIALSTATE_ZOO.declare(
    "remove_static_clears_history_1_9",
    "DS-STATIC-5",
    "under geth-1.9, remove_static still clears the node's history, as v1.8 did.",
    (Verdict.HISTORY_EXPIRY, Verdict.WAIT_EXPIRE),
    profile=Profile.GETH_1_9,
)
@DIALSTATE_ZOO.declare(
    "remove_static_clears_history_1_7",
    "DS-STATIC-5",
    "under geth-1.7, remove_static also clears the node's history.",
    (Verdict.HISTORY_EXPIRY, Verdict.WAIT_EXPIRE),
)
class _RemoveStaticClearsHistory(Dialstate):
    def remove_static(self, node: Node) -> None:
        super().remove_static(node)
        self.hist.remove(node.id)


# -- the profiles of geth v1.9 (section 12) ------------------------------------------------------


@DIALSTATE_ZOO.declare(
    "history_30s_in_1_9",
    "DS-HIST-1",
    "under geth-1.9, a finished dial blocks its node for v1.8's 30 s instead of 35 s.",
    (Verdict.WAIT_EXPIRE, Verdict.HISTORY_EXPIRY, Verdict.STATIC_REDIAL),
    profile=Profile.GETH_1_9,
)
class _History30sIn19(Dialstate):
    def __init__(self, config: Config, profile: Profile = Profile.GETH_1_7) -> None:
        super().__init__(config, profile)
        self.rules = replace(self.rules, history_expiration=30 * SECOND)  # v1.8's lifetime kept


@DIALSTATE_ZOO.declare(
    "reads_table_in_1_9_7",
    "DS-ITER-1",
    "under geth-1.9.7, half of the dynamic dials still come from the table.",
    (Verdict.RANDOM_HALF,),
    profile=Profile.GETH_1_9_7,
)
class _ReadsTableIn197(Dialstate):
    def __init__(self, config: Config, profile: Profile = Profile.GETH_1_7) -> None:
        super().__init__(config, profile)
        self.rules = replace(self.rules, reads_table=True)  # the random half kept from v1.9.6


@DIALSTATE_ZOO.declare(
    "want_ignores_dials",
    "DS-ITER-1",
    "under geth-1.9.7, the discover task asks for the need before this call's dynamic dials.",
    (Verdict.LOOKUP_WANT,),
    profile=Profile.GETH_1_9_7,
)
class _WantIgnoresDials(Dialstate):
    def compute_need(self, peers: Mapping[NodeID, ConnFlag]) -> int:
        self.need_at_start = super().compute_need(peers)
        return self.need_at_start

    def add_discover(self, call: Call) -> None:
        if len(self.lookup_buf) < call.need and not self.lookup_running:
            self.lookup_running = True
            call.tasks.append(DiscoverTask(self.need_at_start if self.rules.discover_wants else None))


@DIALSTATE_ZOO.declare(
    "discover_without_want",
    "LOOKUP_WANT",
    "under geth-1.9.7, the discover task asks the node iterator for no number.",
    (Verdict.LOOKUP_WANT,),
    profile=Profile.GETH_1_9_7,
)
class _DiscoverWithoutWant(Dialstate):
    def __init__(self, config: Config, profile: Profile = Profile.GETH_1_7) -> None:
        super().__init__(config, profile)
        self.rules = replace(self.rules, discover_wants=False)  # v1.9.6's lookup that asks for no number


@DIALSTATE_ZOO.declare(
    "lookup_spaced_in_1_9_7",
    "EX-ITER-1",
    "under geth-1.9.7, a lookup still sleeps until 4 s after the previous one.",
    (Verdict.EX_ITER_1,),
    profile=Profile.GETH_1_9_7,
)
class _LookupSpacedIn197(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if isinstance(task, DiscoverTask):
            return execute_with_input(task, inputs, replace(self.rules, lookup_spacing=True))
        return super().execute(task, inputs)


@DIALSTATE_ZOO.declare(
    "iterator_read_whole",
    "EX-ITER-1",
    "under geth-1.9.7, a lookup returns every node the iterator yields, beyond want and duplicates included.",
    (Verdict.EX_ITER_1,),
    profile=Profile.GETH_1_9_7,
)
class _IteratorReadWhole(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if isinstance(task, DiscoverTask):
            return Execution((Lookup(tuple(inputs.lookup)),))  # every item read, duplicates and all
        return super().execute(task, inputs)


# -- task execution (section 10) ---------------------------------------------------------------


@DIALSTATE_ZOO.declare(
    "resolve_ignores_throttle",
    "RESOLVE_THROTTLE",
    "a dial task resolves whenever it needs to, however recently it resolved.",
    (Verdict.RESOLVE_THROTTLE, Verdict.EX_RESOLVE_4),
)
class _ResolveIgnoresThrottle(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if isinstance(task, DialTask):
            task.last_resolved = None  # the throttle check is missing
        return super().execute(task, inputs)


@DIALSTATE_ZOO.declare(
    "backoff_never_doubles",
    "RESOLVE_BACKOFF",
    "a failed resolve leaves the delay at 60 s instead of doubling it.",
    (Verdict.RESOLVE_BACKOFF,),
)
class _BackoffNeverDoubles(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        done = super().execute(task, inputs)
        if isinstance(task, DialTask) and task.resolve_delay > INITIAL_RESOLVE_DELAY:
            task.resolve_delay = INITIAL_RESOLVE_DELAY
            assert done.state is not None
            return replace(done, state=replace(done.state, resolve_delay=INITIAL_RESOLVE_DELAY))
        return done


@DIALSTATE_ZOO.declare(
    "no_static_retry",
    "STATIC_RETRY",
    "a static dial whose connection failed is not resolved and dialed again.",
    (Verdict.STATIC_RETRY,),
)
class _NoStaticRetry(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if not isinstance(task, DialTask):
            return super().execute(task, inputs)
        flag, task.flag = task.flag, ConnFlag.DYN  # every task treated as dynamic
        try:
            return super().execute(task, inputs)
        finally:
            task.flag = flag


@DIALSTATE_ZOO.declare(
    "dials_incomplete_nodes",
    "INCOMPLETE_NEEDS_RESOLVE",
    "a destination without an IP is dialed as it is, without resolving it.",
    (Verdict.INCOMPLETE_NEEDS_RESOLVE,),
)
class _DialsIncompleteNodes(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if isinstance(task, DialTask) and task.dest.is_incomplete():
            state = DialState(task.resolve_delay, task.last_resolved, task.dest)
            return Execution((Connect(task.dest, inputs.get_connect(0)),), state)
        return super().execute(task, inputs)


@DIALSTATE_ZOO.declare(
    "lookups_not_spaced",
    "LOOKUP_SPACING",
    "a lookup starts at once, however recently the previous one started.",
    (Verdict.LOOKUP_SPACING,),
)
class _LookupsNotSpaced(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        return super().execute(task, replace(inputs, last_lookup=None))


@DIALSTATE_ZOO.declare(
    "static_task_identity_lost",
    "DS-STATIC-3",
    "new_tasks returns a fresh copy of each static task, so a resolved endpoint is forgotten.",
    (),
    strict_only_because=_ONLY_IDENTITY,
)
class _StaticTaskIdentityLost(Dialstate):
    def add_static_dials(self, call: Call) -> None:
        super().add_static_dials(call)
        call.tasks[:] = [get_task_snapshot(t) for t in call.tasks]  # fresh copies: identity lost


@DIALSTATE_ZOO.declare(
    "failed_resolve_not_recorded",
    "EX-RESOLVE-4",
    "a failed resolve does not record its time, so the next dial resolves again at once.",
    (Verdict.EX_RESOLVE_4, Verdict.RESOLVE_THROTTLE),
)
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


@DIALSTATE_ZOO.declare(
    "resolves_without_discovery",
    "EX-RESOLVE-1",
    "a dial task resolves even when the server has no discovery table.",
    (Verdict.EX_RESOLVE_1,),
)
class _ResolvesWithoutDiscovery(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        return super().execute(task, replace(inputs, discovery=True))


@DIALSTATE_ZOO.declare(
    "wait_sleeps_full_expiration",
    "EX-WAIT-1",
    "a wait task sleeps the whole 30 s history expiration instead of its duration.",
    (Verdict.EX_WAIT_1,),
)
class _WaitSleepsFullExpiration(Dialstate):
    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        if isinstance(task, WaitTask):
            return Execution((Sleep(DIAL_HISTORY_EXPIRATION),))
        return super().execute(task, inputs)


#: Every dialstate member, in the order declared.
MEMBERS: tuple[Member, ...] = DIALSTATE_ZOO.get_members()
