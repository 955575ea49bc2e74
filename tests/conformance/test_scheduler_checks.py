"""The dialScheduler's named invariants: sound for the reference, and each fires on the answer it forbids."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

import pytest
from support import SELF, nid, node

from dialcheck.conformance.oracle.scheduler_checks import SchedulerChecker
from dialcheck.reference.scheduler import Scheduler, SchedulerImplementation
from dialcheck.spec.contract import deliver_event
from dialcheck.spec.model import SECOND, ConnFlag, Node
from dialcheck.spec.scheduler import (
    AddStatic,
    Advance,
    Dial,
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
    SchedulerEvent,
    SchedulerProfile,
    Start,
    is_connected,
)
from dialcheck.spec.verdicts import Verdict

S = SECOND
T0 = 1_000 * S
DYN, STATIC, INBOUND = ConnFlag.DYN, ConnFlag.STATIC, ConnFlag.INBOUND


_SITUATIONS = (
    "static dialed",
    "static chosen among more",
    "static redialed after expiry",
    "returned at once",
    "slots negative",
    "candidate dropped",
    "resolved",
    "looked up dns",
    "read stopped",
)


@dataclass
class _Walk:
    """What a random walk keeps: the clock, the peers it told of, the pending inbound connections."""

    rng: random.Random
    universe: list[Node]
    reference: Scheduler
    now: int = T0
    connected: dict[str, ConnFlag] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)

    def draw(self, reads: bool) -> Optional[SchedulerEvent]:
        """Draw the next event, or ``None`` when the kind drawn cannot happen now."""
        rng, reference = self.rng, self.reference
        kind = rng.randrange(10)
        if kind == 0:
            self.now += rng.choice([1, 5 * S, 35 * S, 36 * S, 120 * S])
            return Advance(self.now)
        if kind == 1 and reads:
            return NodeOffered(rng.choice(self.universe))
        if kind == 2 and reference.dialing:
            return self._dial_done(rng.choice(sorted(reference.dialing)))
        if kind == 3 and self.connected:
            target = rng.choice(sorted(self.connected))
            return PeerRemoved(target, self.connected.pop(target))
        if kind == 4:
            inbound = rng.choice(self.universe)
            if inbound.id not in reference.peers:
                self.connected[inbound.id] = INBOUND
                return PeerAdded(inbound.id, INBOUND)
            return None
        if kind in (5, 6):
            return AddStatic(rng.choice(self.universe))
        if kind == 7:
            return RemoveStatic(rng.choice(self.universe))
        if kind == 8:
            return self._inbound(rng.choice(self.universe).id)
        return None

    def _dial_done(self, target: str) -> DialDone:
        rng = self.rng
        inputs = RunInput(
            rng.choice([None, node(int(target, 16), ip="10.0.0.200")]),
            rng.choice([None, "10.0.0.8", "10.0.0.9"]),
            tuple(rng.random() < 0.5 for _ in range(2)),
            target not in self.reference.peers and rng.random() < 0.7,
        )
        if inputs.joins:
            self.connected[target] = self.reference.dialing[target].flag
        return DialDone(target, inputs)

    def _inbound(self, target: str) -> Optional[SchedulerEvent]:
        """An inbound connection goes pending, or one pending completes (none when it is not pending)."""
        if self.rng.random() < 0.6:
            self.pending.add(target)
            return InboundPending(target)
        if target not in self.pending:
            return None
        self.pending.discard(target)
        return InboundCompleted(target)


def _random_walk(
    seed: int, profile: SchedulerProfile, steps: int = 120, reached: Optional[Counter[str]] = None
) -> list[Verdict]:
    """Drive the reference through random valid events with a random pick; return every violation."""
    rng = random.Random(seed)
    config = SchedulerConfig(
        SELF,
        rng.choice([0, 1, 2, 3]),
        rng.choice([0, 1, 3]),
        rng.choice([None, ("10.0.0.0/30",), ()]),
        rng.random() < 0.8,
    )
    impl = SchedulerImplementation(config, profile, seed)
    reference, checker = impl.model, SchedulerChecker(config, profile)
    universe = [node(i, tcp=rng.choice([30303, 30303, 0])) for i in range(1, 7)]
    universe += [node(7, ip=None), Node(SELF, "10.0.0.99", 30303), Node(nid(8), "10.0.0.8", 30303, 0, "n8.example")]
    walk = _Walk(rng, universe, reference)
    response = impl.start(T0)
    found = [v.check for v in checker.check(Start(T0), response)]
    for _ in range(steps):
        event = walk.draw(response.reads)
        if event is None:
            continue
        pooled = len(reference.pool)
        answer = deliver_event(impl, event)
        assert isinstance(answer, Response)
        response = answer
        if isinstance(event, DialDone) and event.inputs.joins and not is_connected(response.actions):
            walk.connected.pop(event.node_id, None)
        found += [v.check for v in checker.check(event, response)]
        if reached is not None:
            reached.update(_get_situations(event, response, reference, pooled))
    return found


def _get_situations(event: SchedulerEvent, response: Response, reference: Scheduler, pooled: int) -> list[str]:
    situations = []
    statics = sum(1 for d in response.dials if d.flag is STATIC)
    if statics:
        situations.append("static dialed")
    if 0 < statics < pooled:
        situations.append("static chosen among more")
    if statics and isinstance(event, Advance):
        situations.append("static redialed after expiry")
    if response.done:
        situations.append("returned at once")
    if reference.get_free_slots() < 0:
        situations.append("slots negative")
    if isinstance(event, NodeOffered) and not response.dials:
        situations.append("candidate dropped")
    if any(t.last_resolved for t in reference.static.values()):
        situations.append("resolved")
    if any(t.dest.hostname and t.dest.ip != "10.0.0.8" for t in reference.static.values()):
        situations.append("looked up dns")
    if not response.reads:
        situations.append("read stopped")
    return situations


@pytest.mark.parametrize("profile", list(SchedulerProfile))
@pytest.mark.parametrize("seed", range(40))
def test_the_reference_never_breaks_an_invariant(profile: SchedulerProfile, seed: int) -> None:
    assert _random_walk(seed, profile) == []


def test_the_random_walks_reach_the_situations_the_invariants_are_about() -> None:
    reached: Counter[str] = Counter()
    for seed in range(40):
        assert _random_walk(seed, SchedulerProfile.GETH_1_17_2, steps=200, reached=reached) == []
    assert set(reached) == set(_SITUATIONS), f"never reached: {set(_SITUATIONS) - set(reached)}"


class Judge:
    """A checker fed events and chosen responses, collecting the names of the checks broken."""

    def __init__(self, max_dial_peers: int = 3, netrestrict: Optional[tuple[str, ...]] = None) -> None:
        config = SchedulerConfig(SELF, max_dial_peers, 0, netrestrict)
        self.checker = SchedulerChecker(config, SchedulerProfile.GETH_1_17_2)
        self.broken: list[Verdict] = []
        self.messages: list[str] = []
        self.on(Start(T0), reads=max_dial_peers > 0)

    def on(self, event: SchedulerEvent, *dials: Dial, reads: bool = True) -> list[Verdict]:
        violations = self.checker.check(event, Response(tuple(dials), reads))
        self.messages += [v.message for v in violations]
        return [v.check for v in violations]


def test_more_static_dials_than_free_slots_break_sc_slots() -> None:
    judge = Judge(max_dial_peers=1)
    assert judge.on(PeerAdded(nid(9), DYN), reads=False) == []
    assert judge.on(AddStatic(node(1)), Dial(STATIC, node(1)), reads=False) == [Verdict.SC_SLOTS]


def test_two_dials_to_one_node_or_a_dial_to_a_dialing_node_break_sc_no_double_dial() -> None:
    judge = Judge()
    assert judge.on(AddStatic(node(1)), Dial(STATIC, node(1)), Dial(STATIC, node(1))) == [Verdict.SC_NO_DOUBLE_DIAL]
    judge = Judge()
    assert judge.on(AddStatic(node(1)), Dial(STATIC, node(1))) == []
    broken = judge.on(NodeOffered(node(1)), Dial(DYN, node(1)))
    assert broken[0] is Verdict.SC_NO_DOUBLE_DIAL and "is being dialed" in judge.messages[0]


def test_a_dial_to_our_own_id_breaks_sc_never_self() -> None:
    judge = Judge()
    assert judge.on(NodeOffered(Node(SELF, "10.0.0.9", 30303)), Dial(DYN, Node(SELF, "10.0.0.9", 30303))) == [
        Verdict.SC_NEVER_SELF
    ]


def test_a_dial_outside_netrestrict_breaks_sc_netrestrict() -> None:
    judge = Judge(netrestrict=("10.0.0.0/24",))
    outside = node(1, ip="10.1.1.1")
    assert judge.on(NodeOffered(outside), Dial(DYN, outside)) == [Verdict.SC_NETRESTRICT]


def test_a_redial_before_an_advance_past_35_seconds_breaks_sc_history() -> None:
    judge = Judge()
    assert judge.on(NodeOffered(node(1)), Dial(DYN, node(1))) == []
    assert judge.on(DialDone(nid(1))) == []
    assert judge.on(Advance(T0 + 35 * S)) == []
    assert judge.on(NodeOffered(node(1)), Dial(DYN, node(1))) == [Verdict.SC_HISTORY]
    judge = Judge()
    judge.on(NodeOffered(node(1)), Dial(DYN, node(1)))
    judge.on(DialDone(nid(1)))
    judge.on(Advance(T0 + 35 * S + 1))
    assert judge.on(NodeOffered(node(1)), Dial(DYN, node(1))) == []


def test_a_dynamic_dial_while_a_static_waits_in_the_pool_breaks_sc_static_first() -> None:
    judge = Judge(max_dial_peers=1)
    judge.on(PeerAdded(nid(9), DYN), reads=False)
    judge.on(AddStatic(node(1)), reads=False)
    assert judge.on(NodeOffered(node(2)), Dial(DYN, node(2)), reads=False) == [Verdict.SC_STATIC_FIRST]


def test_a_static_not_redialed_after_its_history_expires_breaks_sc_static_redial() -> None:
    judge = Judge()
    judge.on(AddStatic(node(1)), Dial(STATIC, node(1)))
    judge.on(DialDone(nid(1)))
    assert judge.on(Advance(T0 + 36 * S)) == [Verdict.SC_STATIC_REDIAL]
    assert "waiting: n1" in judge.messages[-1]


def test_a_static_dial_to_a_node_that_is_not_a_pooled_static_breaks_sc_static_redial() -> None:
    judge = Judge()
    assert judge.on(Advance(T0 + 1), Dial(STATIC, node(1))) == [Verdict.SC_STATIC_REDIAL]
    assert "is not a static node" in judge.messages[-1]


def test_a_static_task_is_judged_at_the_address_its_run_resolved() -> None:
    judge = Judge()
    judge.on(AddStatic(node(1)), Dial(STATIC, node(1)))
    moved = node(1, ip="10.0.0.77")
    from dialcheck.spec.execution import Connect, Resolve

    ran = (Connect(node(1), False), Resolve(nid(1), moved))
    assert judge.checker.check(DialDone(nid(1), RunInput(found=moved)), Response((), True, ran)) == []
    assert judge.on(Advance(T0 + 36 * S), Dial(STATIC, node(1))) == [Verdict.SC_STATIC_REDIAL, Verdict.SC_STATIC_REDIAL]
    assert "is a static node at 10.0.0.77:30303" in judge.messages[-2]


def test_reading_with_no_free_slot_breaks_sc_iterator_gate() -> None:
    judge = Judge(max_dial_peers=0)
    assert judge.on(Advance(T0 + 1), reads=True) == [Verdict.SC_ITERATOR_GATE]
    judge = Judge(max_dial_peers=1)  # two slots: one stays free after the static dial
    assert judge.on(AddStatic(node(1)), Dial(STATIC, node(1)), reads=False) == [Verdict.SC_ITERATOR_GATE]


def test_a_dyn_dial_nobody_offered_or_of_another_node_or_twice_breaks_sc_dyn_source() -> None:
    judge = Judge()
    assert judge.on(AddStatic(node(1)), Dial(STATIC, node(1)), Dial(DYN, node(2))) == [Verdict.SC_DYN_SOURCE]
    assert judge.on(NodeOffered(node(3)), Dial(DYN, node(4))) == [Verdict.SC_DYN_SOURCE]
    assert judge.on(NodeOffered(node(5)), Dial(DYN, node(5)), Dial(DYN, node(5))) == [
        Verdict.SC_DYN_SOURCE,
        Verdict.SC_NO_DOUBLE_DIAL,
    ]


def test_pending_inbound_and_removed_statics_are_followed() -> None:
    judge = Judge(max_dial_peers=1)
    judge.on(PeerAdded(nid(9), DYN), reads=False)
    judge.on(InboundPending(nid(1)), reads=False)
    judge.on(AddStatic(node(1)), reads=False)
    judge.on(InboundCompleted(nid(1)), reads=False)
    assert judge.on(PeerRemoved(nid(9), DYN), Dial(STATIC, node(1))) == []
    assert judge.on(RemoveStatic(node(1))) == []
    assert judge.on(DialDone(nid(1))) == []


def test_a_connection_that_joins_counts_as_a_dialed_peer_SC_PEER_3() -> None:
    judge = Judge(max_dial_peers=1)
    from dialcheck.spec.execution import Connect

    judge.on(NodeOffered(node(1)), Dial(DYN, node(1)))
    joined = Response((), False, (Connect(node(1), True),))
    assert judge.checker.check(DialDone(nid(1), RunInput(connects=(True,), joins=True)), joined) == []
    assert judge.on(AddStatic(node(2)), reads=False) == []
