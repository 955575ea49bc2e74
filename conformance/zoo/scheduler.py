"""The dialScheduler's seeded bugs: each the reference scheduler with one plausible mistake, declared where written.

Every class here is a member of the zoo through its ``@SCHEDULER_ZOO.declare(...)`` decorator (see
:mod:`dialcheck.conformance.zoo.dialstate`).  A member is a subclass of the reference scheduler's model
that replaces one public step, or, for a bug in how it answers rather than in what it does, of the
reference implementation around the model (its public ``on_event``).
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import Optional

from dialcheck.conformance.zoo.members import Member, Zoo
from dialcheck.reference.scheduler import Pick, SchedulerImplementation, pick_first
from dialcheck.reference.scheduler import Scheduler as SchedulerModel
from dialcheck.reference.scheduler import Task as SchedulerTask
from dialcheck.spec.model import (
    INITIAL_RESOLVE_DELAY,
    SECOND,
    ConnFlag,
    Node,
    NodeID,
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

__all__ = ["SCHEDULER_ZOO", "MEMBERS"]

#: The dialScheduler's zoo: every member declared below, in the order written.
SCHEDULER_ZOO = Zoo(SchedulerProfile.GETH_1_17_2)

_ONLY_RUN = "what a task's run does (its resolves, lookups and attempts) is visible only against the reference"


# -- the dialScheduler (spec/scheduler.md) -------------------------------------------------


@SCHEDULER_ZOO.declare(
    "sched_max_active_zero_means_none",
    "SC-CONFIG-1",
    "a max_active_dials of 0 allows no dial instead of geth's default 50.",
    (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _MaxActiveZeroMeansNone(SchedulerModel):
    def __init__(self, config: SchedulerConfig, profile: SchedulerProfile) -> None:
        super().__init__(config, profile)
        self.max_active_dials = config.max_active_dials  # SC-CONFIG-1 forgotten: 0 stays 0


@SCHEDULER_ZOO.declare(
    "sched_slots_not_doubled",
    "SC-SLOTS-1",
    "the free slots are max_dial_peers - dial_peers, not twice that.",
    (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _SlotsNotDoubled(SchedulerModel):
    def get_free_slots(self) -> int:
        return min(self.max_dial_peers - self.dial_peers, self.max_active_dials) - len(self.dialing)


@SCHEDULER_ZOO.declare(
    "sched_slots_ignore_dials_in_flight",
    "SC-SLOTS-1",
    "dials in flight do not take slots.",
    (Verdict.SC_SLOTS, Verdict.SC_ITERATOR_GATE),
)
class _SlotsIgnoreDialsInFlight(SchedulerModel):
    def get_free_slots(self) -> int:
        return min((self.max_dial_peers - self.dial_peers) * 2, self.max_active_dials)


@SCHEDULER_ZOO.declare(
    "sched_one_static_per_loop_head",
    "SC-LOOP-1",
    "a loop head starts at most one static dial.",
    (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _OneStaticPerLoopHead(SchedulerModel):
    def run_loop_head(self, started: tuple[Dial, ...], pick: Pick) -> AllowedResponse:
        real = self.get_free_slots
        self.get_free_slots = lambda: min(real(), 1)  # type: ignore[method-assign]
        try:
            return super().run_loop_head(started, pick)
        finally:
            del self.get_free_slots


@SCHEDULER_ZOO.declare(
    "sched_offered_node_dialed_as_static",
    "SC-DYN-1",
    "a node from the iterator is dialed with the static flag.",
    (Verdict.SC_STATIC_REDIAL,),
)
class _OfferedNodeDialedAsStatic(SchedulerModel):
    def start_dial(self, task: SchedulerTask) -> Dial:
        return super().start_dial(SchedulerTask(ConnFlag.STATIC, task.dest) if task.flag is ConnFlag.DYN else task)


@SCHEDULER_ZOO.declare(
    "sched_refused_candidate_kept",
    "SC-DYN-1",
    "a candidate checkDial refused is kept and dialed as dyn at the first loop head where it passes.",
    (Verdict.SC_DYN_SOURCE,),
)
class _RefusedCandidateKept(SchedulerModel):
    kept: Optional[Node] = None

    def node_offered(self, node: Node, pick: Pick = pick_first) -> AllowedResponse:
        if not self.is_dialable(node):
            self.kept = node  # "retry it later" instead of discarding it as geth does
        return super().node_offered(node, pick)

    def run_loop_head(self, started: tuple[Dial, ...], pick: Pick) -> AllowedResponse:
        kept = self.kept
        if kept is not None and self.is_dialable(kept) and self.get_free_slots() > 0:
            self.kept = None
            started = (*started, self.start_dial(SchedulerTask(ConnFlag.DYN, kept)))
        return super().run_loop_head(started, pick)


@SCHEDULER_ZOO.declare(
    "sched_started_static_stays_pooled",
    "SC-CHOICE-1",
    "a static task stays in the pool when it starts, so it is started again while dialing.",
    (Verdict.SC_NO_DOUBLE_DIAL, Verdict.SC_STATIC_REDIAL, Verdict.SC_HISTORY, Verdict.SC_ITERATOR_GATE),
)
class _StartedStaticStaysPooled(SchedulerModel):
    def start_dial(self, task: SchedulerTask) -> Dial:
        dial = super().start_dial(task)
        if task.flag is ConnFlag.STATIC:
            self.pool[task.dest.id] = None  # put back at once: a later loop head dials it again
        return dial


@SCHEDULER_ZOO.declare(
    "sched_dials_connected_peers",
    "SC-CHECK-1",
    "checkDial forgets the already-connected check.",
    (Verdict.SC_NO_DOUBLE_DIAL, Verdict.SC_STATIC_REDIAL),
)
class _DialsConnectedSchedulerPeers(SchedulerModel):
    def is_dialable(self, node: Node) -> bool:
        saved, self.peers = self.peers, set()
        try:
            return super().is_dialable(node)
        finally:
            self.peers = saved


@SCHEDULER_ZOO.declare(
    "sched_dials_self",
    "SC-CHECK-1",
    "checkDial forgets the is-self check.",
    (Verdict.SC_NEVER_SELF, Verdict.SC_STATIC_REDIAL),
)
class _SchedulerDialsSelf(SchedulerModel):
    def is_dialable(self, node: Node) -> bool:
        saved, self.self_id = self.self_id, ""
        try:
            return super().is_dialable(node)
        finally:
            self.self_id = saved


@SCHEDULER_ZOO.declare(
    "sched_dials_port_zero",
    "SC-CHECK-2",
    "from geth-1.9.14, a node with an IP and TCP port 0 is still dialed.",
    # A static added with port 0 is dialed at once: SC_STATIC_REDIAL knows it cannot be (the opening pass's 1 step).
    (Verdict.SC_STATIC_REDIAL,),
    profile=SchedulerProfile.GETH_1_9_14,
)
class _DialsPortZero(SchedulerModel):
    def is_dialable(self, node: Node) -> bool:
        return super().is_dialable(replace(node, tcp=node.tcp or 1))


@SCHEDULER_ZOO.declare(
    "sched_admits_nodes_without_ip",
    "SC-NET-1",
    "a node without an IP passes netrestrict.",
    (Verdict.SC_NETRESTRICT, Verdict.SC_STATIC_REDIAL),
)
class _AdmitsNodesWithoutIP(SchedulerModel):
    def is_dialable(self, node: Node) -> bool:
        return super().is_dialable(node if node.ip is not None else replace(node, ip="10.0.0.1"))


@SCHEDULER_ZOO.declare(
    "sched_history_from_done",
    "SC-DIAL-1",
    "the history entry is added when a dial ends, not when it starts.",
    (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _HistoryFromDone(SchedulerModel):
    def start_dial(self, task: SchedulerTask) -> Dial:
        dial = super().start_dial(task)
        self.history = [e for e in self.history if e[1] != task.dest.id]  # added when the dial ends instead
        return dial

    def dial_done(self, node_id: NodeID, inputs: RunInput = NO_ANSWERS, pick: Pick = pick_first) -> AllowedResponse:
        bisect.insort(self.history, (self.now + SCHEDULER_HISTORY_EXPIRATION, node_id), key=lambda e: e[0])
        return super().dial_done(node_id, inputs, pick)


@SCHEDULER_ZOO.declare(
    "sched_done_keeps_static_out",
    "SC-DONE-1",
    "a finished dial does not offer its static task back to the pool.",
    (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _DoneKeepsStaticOut(SchedulerModel):
    def dial_done(self, node_id: NodeID, inputs: RunInput = NO_ANSWERS, pick: Pick = pick_first) -> AllowedResponse:
        real = self.update_static_pool
        self.update_static_pool = lambda node_id: None  # type: ignore[method-assign]
        try:
            return super().dial_done(node_id, inputs, pick)
        finally:
            self.update_static_pool = real  # type: ignore[method-assign]


@SCHEDULER_ZOO.declare(
    "sched_expiry_inclusive",
    "SC-HIST-1",
    "a history entry expiring exactly at the new clock is dropped too.",
    (Verdict.SC_HISTORY,),
)
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


@SCHEDULER_ZOO.declare(
    "sched_expiry_does_not_repool",
    "SC-HIST-1",
    "an expired history entry does not offer its static task back to the pool.",
    (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _ExpiryDoesNotRepool(SchedulerModel):
    def advance(self, now: int, pick: Pick = pick_first) -> AllowedResponse:
        real = self.update_static_pool
        self.update_static_pool = lambda node_id: None  # type: ignore[method-assign]
        try:
            return super().advance(now, pick)
        finally:
            self.update_static_pool = real  # type: ignore[method-assign]


@SCHEDULER_ZOO.declare(
    "sched_history_30s",
    "SC-HIST-2",
    "a dial blocks its node for dialstate's 30 s instead of 35 s.",
    (Verdict.SC_HISTORY,),
)
class _History30s(SchedulerModel):
    def start_dial(self, task: SchedulerTask) -> Dial:
        dial = super().start_dial(task)
        self.history = sorted((e if e[1] != task.dest.id else (e[0] - 5 * SECOND, e[1])) for e in self.history)
        return dial


@SCHEDULER_ZOO.declare(
    "sched_inbound_peers_counted",
    "SC-PEER-1",
    "inbound peers count as dialed peers.",
    (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _InboundPeersCounted(SchedulerModel):
    def add_peer(self, node_id: NodeID, flags: ConnFlag) -> None:
        super().add_peer(node_id, flags | ConnFlag.DYN)

    def peer_removed(self, node_id: NodeID, flags: ConnFlag, pick: Pick = pick_first) -> AllowedResponse:
        return super().peer_removed(node_id, flags | ConnFlag.DYN, pick)


@SCHEDULER_ZOO.declare(
    "sched_connected_static_stays_pooled",
    "SC-PEER-1",
    "a static node that connects stays in the pool and is dialed while connected.",
    (Verdict.SC_NO_DOUBLE_DIAL, Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _ConnectedStaticStaysPooled(SchedulerModel):
    def add_peer(self, node_id: NodeID, flags: ConnFlag) -> None:
        pooled = node_id in self.pool
        super().add_peer(node_id, flags)
        if pooled:
            self.pool[node_id] = None


@SCHEDULER_ZOO.declare(
    "sched_peer_removed_keeps_count",
    "SC-PEER-2",
    "a dialed peer that disconnects still counts as dialed.",
    (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _PeerRemovedKeepsCount(SchedulerModel):
    def peer_removed(self, node_id: NodeID, flags: ConnFlag, pick: Pick = pick_first) -> AllowedResponse:
        return super().peer_removed(node_id, ConnFlag.INBOUND, pick)


@SCHEDULER_ZOO.declare(
    "sched_joined_dial_not_counted",
    "SC-PEER-3",
    "a connection its own dial made does not join as a peer.",
    (Verdict.SC_SLOTS, Verdict.SC_ITERATOR_GATE, Verdict.SC_NO_DOUBLE_DIAL, Verdict.SC_STATIC_REDIAL),
)
class _JoinedDialNotCounted(SchedulerModel):
    def dial_done(self, node_id: NodeID, inputs: RunInput = NO_ANSWERS, pick: Pick = pick_first) -> AllowedResponse:
        return super().dial_done(node_id, replace(inputs, joins=False), pick)


@SCHEDULER_ZOO.declare(
    "sched_add_static_replaces_existing",
    "SC-STATIC-1",
    "adding a known static node replaces its destination.",
    (Verdict.SC_STATIC_REDIAL,),
)
class _AddStaticReplacesExisting(SchedulerModel):
    def add_static(self, node: Node, pick: Pick = pick_first) -> AllowedResponse:
        known = self.static.get(node.id)
        if known is not None and node.id not in self.dialing:
            known.dest = node
        return super().add_static(node, pick)


@SCHEDULER_ZOO.declare(
    "sched_remove_static_keeps_pooled",
    "SC-STATIC-2",
    "a removed static node stays in the pool and is dialed.",
    (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _RemoveStaticKeepsPooled(SchedulerModel):
    def remove_static(self, node: Node, pick: Pick = pick_first) -> AllowedResponse:
        pooled = node.id in self.pool
        task = self.static.get(node.id)
        allowed = super().remove_static(node, pick)
        if pooled and task is not None and node.id not in self.dialing:
            self.static[node.id] = task
            self.pool[node.id] = None
        return allowed


@SCHEDULER_ZOO.declare(
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
)
class _RepoolWithoutCheckDial(SchedulerModel):
    def update_static_pool(self, node_id: NodeID) -> None:
        if node_id in self.static and node_id not in self.pool and node_id not in self.dialing:
            self.pool[node_id] = None


@SCHEDULER_ZOO.declare(
    "sched_pending_inbound_unpools",
    "SC-STATIC-4",
    "a pending inbound connection takes its static task out of the pool (geth keeps it).",
    (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _PendingInboundUnpools(SchedulerModel):
    def inbound_pending(self, node_id: NodeID, pick: Pick = pick_first) -> AllowedResponse:
        self.pool.pop(node_id, None)
        return super().inbound_pending(node_id, pick)


@SCHEDULER_ZOO.declare(
    "sched_completed_does_not_repool",
    "SC-INBOUND-1",
    "a completed inbound connection does not offer its static task back to the pool.",
    (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _CompletedDoesNotRepool(SchedulerModel):
    def inbound_completed(self, node_id: NodeID, pick: Pick = pick_first) -> AllowedResponse:
        self.pending_inbound.discard(node_id)
        return self.run_loop_head((), pick)


@SCHEDULER_ZOO.declare(
    "sched_dynamic_incomplete_resolved",
    "SC-RUN-1",
    "from geth-1.9.14, a dynamic dial without an IP still resolves first (geth-1.9.11's rule).",
    (),
    profile=SchedulerProfile.GETH_1_9_14,
    strict_only_because=_ONLY_RUN,
)
class _DynamicIncompleteResolved(SchedulerModel):
    def needs_resolve(self, task: SchedulerTask) -> bool:
        return task.dest.ip is None


@SCHEDULER_ZOO.declare(
    "sched_dynamic_retries",
    "SC-RUN-2",
    "a failed dynamic dial resolves and retries like a static one.",
    (),
    strict_only_because=_ONLY_RUN,
)
class _DynamicRetries(SchedulerModel):
    def run_task(self, task: SchedulerTask, inputs: RunInput) -> tuple[RunAction, ...]:
        if task.flag is not ConnFlag.DYN:
            return super().run_task(task, inputs)
        return super().run_task(replace(task, flag=ConnFlag.STATIC), inputs)


@SCHEDULER_ZOO.declare(
    "sched_never_returns_at_once",
    "SC-RUN-3",
    "a dial whose run asks nothing holds its slot until a dial_done.",
    (),
    strict_only_because="an implementation says itself which dials returned at once",
)
class _NeverReturnsAtOnce(SchedulerModel):
    def is_instant(self, task: SchedulerTask) -> bool:
        return False


@SCHEDULER_ZOO.declare(
    "sched_resolve_never_throttled",
    "SC-RESOLVE-2",
    "a task resolves however recently it resolved.",
    (),
    strict_only_because=_ONLY_RUN,
)
class _ResolveNeverThrottled(SchedulerModel):
    def resolve(self, task: SchedulerTask, inputs: RunInput, actions: list[RunAction]) -> bool:
        task.last_resolved = 0
        return super().resolve(task, inputs, actions)

    def is_instant(self, task: SchedulerTask) -> bool:
        return super().is_instant(replace(task, last_resolved=0))


@SCHEDULER_ZOO.declare(
    "sched_backoff_not_doubled",
    "SC-RESOLVE-3",
    "the resolve delay stays 60 s after a failed resolve.",
    (),
    strict_only_because=_ONLY_RUN,
)
class _BackoffNotDoubled(SchedulerModel):
    def resolve(self, task: SchedulerTask, inputs: RunInput, actions: list[RunAction]) -> bool:
        found = super().resolve(task, inputs, actions)
        task.resolve_delay = min(task.resolve_delay, INITIAL_RESOLVE_DELAY)
        return found


@SCHEDULER_ZOO.declare(
    "sched_resolved_node_forgotten",
    "SC-RESOLVE-4",
    "a static task keeps dialing its old endpoint after a resolve found a new one.",
    (Verdict.SC_STATIC_REDIAL,),
)
class _ResolvedNodeForgotten(SchedulerModel):
    def resolve(self, task: SchedulerTask, inputs: RunInput, actions: list[RunAction]) -> bool:
        dest = task.dest
        found = super().resolve(task, inputs, actions)
        task.dest = dest  # the resolved endpoint is not kept
        return found


@SCHEDULER_ZOO.declare(
    "sched_resolves_without_resolver",
    "SC-RESOLVE-1",
    "a task resolves even when the server has no discovery table.",
    (),
    strict_only_because=_ONLY_RUN,
)
class _ResolvesWithoutResolver(SchedulerModel):
    def __init__(self, config: SchedulerConfig, profile: SchedulerProfile) -> None:
        super().__init__(config, profile)
        self.resolver = True


@SCHEDULER_ZOO.declare(
    "sched_peer_removed_skips_loop_head",
    "SC-EVENT-1",
    "a peer's removal is handled without the loop head, so the slot it frees waits for the next event.",
    (Verdict.SC_STATIC_REDIAL, Verdict.SC_ITERATOR_GATE),
)
class _PeerRemovedSkipsLoopHead(SchedulerModel):
    def peer_removed(self, node_id: NodeID, flags: ConnFlag, pick: Pick = pick_first) -> AllowedResponse:
        if flags & (ConnFlag.DYN | ConnFlag.STATIC):
            self.dial_peers -= 1
        self.peers.discard(node_id)
        self.update_static_pool(node_id)
        return AllowedResponse((), (), 0)  # the loop head waits for the next event


@SCHEDULER_ZOO.declare(
    "sched_done_at_once_not_reported",
    "SC-EVENT-2",
    "a dial that returned at once is not listed as done, so the harness waits for its dial_done.",
    # The dial still counts as running, so reading the iterator breaks SC_ITERATOR_GATE (a static without an IP
    # and no resolver: it returns at once; the opening pass's 1 step).
    (Verdict.SC_ITERATOR_GATE,),
)
class _DoneAtOnceNotReported(SchedulerImplementation):
    def on_event(self, event: SchedulerEvent) -> Response:
        return replace(super().on_event(event), done=())


@SCHEDULER_ZOO.declare(
    "sched_dns_answer_ignored",
    "SC-DNS-1",
    "from geth-1.15, a static node's hostname is looked up but the answer is not used.",
    (),
    profile=SchedulerProfile.GETH_1_15,
    strict_only_because=_ONLY_RUN,
)
class _DnsAnswerIgnored(SchedulerModel):
    def run_task(self, task: SchedulerTask, inputs: RunInput) -> tuple[RunAction, ...]:
        return super().run_task(task, replace(inputs, dns=None))


@SCHEDULER_ZOO.declare(
    "sched_dns_answer_replaces_address",
    "SC-DNS-2",
    "before geth-1.17.8, a DNS answer replaces the destination's address outright (v1.17.8's rule): a stale "
    "IPv4 address is not kept beside a new IPv6 one.",
    (Verdict.SC_STATIC_REDIAL,),
)
class _DnsAnswerReplacesAddress(SchedulerModel):
    def update_from_dns(self, task: SchedulerTask, answer: str) -> None:
        task.addresses = None
        task.dest = replace(task.dest, ip=answer)


# -- the registry ----------------------------------------------------------------------------


#: Every dialScheduler member, in the order declared.
MEMBERS: tuple[Member, ...] = SCHEDULER_ZOO.get_members()
