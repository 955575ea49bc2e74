"""The dialScheduler reference (spec/scheduler.md): every rule on hand-computed event sequences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Optional

import pytest
from support import SELF, nid, node

from dialcheck.reference.scheduler import Pick, Scheduler, SchedulerImplementation, create_scheduler, pick_first
from dialcheck.spec.execution import Connect, Resolve
from dialcheck.spec.model import HOUR, SECOND, ConnFlag, Node
from dialcheck.spec.scheduler import (
    AllowedResponse,
    Dial,
    DnsLookup,
    Response,
    RunInput,
    SchedulerConfig,
    SchedulerProfile,
    is_connected,
)

S = SECOND
T0 = 1_000 * S
DYN, STATIC, INBOUND, TRUSTED = ConnFlag.DYN, ConnFlag.STATIC, ConnFlag.INBOUND, ConnFlag.TRUSTED
P1911, P1914, P115, P1172 = (
    SchedulerProfile.GETH_1_9_11,
    SchedulerProfile.GETH_1_9_14,
    SchedulerProfile.GETH_1_15,
    SchedulerProfile.GETH_1_17_2,
)


def make(
    max_dial_peers: int = 3,
    profile: SchedulerProfile = P1172,
    max_active_dials: int = 0,
    netrestrict: Optional[tuple[str, ...]] = None,
    resolver: bool = True,
    now: int = T0,
) -> Scheduler:
    """Return a started scheduler."""
    config = SchedulerConfig(SELF, max_dial_peers, max_active_dials, netrestrict, resolver)
    scheduler = Scheduler(config, profile)
    scheduler.start(now)
    return scheduler


def answer(allowed: AllowedResponse) -> Response:
    """Return the response the reference gave with its default pick (the pool in ID order)."""
    order = list(pick_first(allowed.pool, allowed.instant))
    for count in range(len(order) + 1):
        chosen = tuple(order[:count])
        reads, done = allowed.get_outcome(chosen)
        response = Response(allowed.required + chosen, reads, allowed.actions, done)
        if allowed.allows(response):
            return response
    raise AssertionError(f"no prefix of the pool is allowed by {allowed}")


def dials(allowed: AllowedResponse) -> list[Dial]:
    """Return the dials the reference started for ``allowed`` with its default pick (required first)."""
    return list(answer(allowed).dials)


def reads(allowed: AllowedResponse) -> bool:
    """Return whether the reference reads after ``allowed`` with its default pick."""
    return answer(allowed).reads


def saturate(scheduler: Scheduler) -> None:
    """Connect dialed peers until no slot is free (peers n101, n102, ...)."""
    i = 101
    while scheduler.get_free_slots() > 0:
        scheduler.peer_added(nid(i), DYN)
        i += 1


def hostnamed(i: int, ip: Optional[str] = None) -> Node:
    """Return node ``i`` named ``n<i>.example`` with ``ip`` (default: none)."""
    return Node(nid(i), ip, 30303, 0, f"n{i}.example")


# -- slots and the loop head ------------------------------------------------------


def test_free_slots_are_twice_the_missing_dialed_peers_minus_dials_in_flight_SC_SLOTS_1() -> None:
    scheduler = make(max_dial_peers=3)
    assert scheduler.get_free_slots() == 6
    scheduler.node_offered(node(1))
    assert scheduler.get_free_slots() == 5
    scheduler.peer_added(nid(2), DYN)
    assert scheduler.get_free_slots() == 3


def test_free_slots_are_capped_by_max_active_dials_and_zero_means_fifty_SC_CONFIG_1() -> None:
    assert make(max_dial_peers=3, max_active_dials=4).get_free_slots() == 4
    assert make(max_dial_peers=40).get_free_slots() == 50


def test_free_slots_go_negative_when_a_peer_connects_while_its_dial_runs_SC_SLOTS_1() -> None:
    scheduler = make(max_dial_peers=1)
    scheduler.node_offered(node(1))
    scheduler.node_offered(node(2))
    allowed = scheduler.peer_added(nid(1), DYN)
    assert scheduler.get_free_slots() == -2
    assert allowed == AllowedResponse((), (), -2) and not reads(allowed)


def test_start_reads_the_iterator_only_when_a_slot_is_free_SC_LOOP_1() -> None:
    assert reads(Scheduler(SchedulerConfig(SELF, 1), P1172).start(T0))
    assert not reads(Scheduler(SchedulerConfig(SELF, 0), P1172).start(T0))


def test_with_no_dialed_peers_allowed_static_nodes_are_never_dialed_SC_LOOP_1() -> None:
    scheduler = make(max_dial_peers=0)
    allowed = scheduler.add_static(node(1))
    assert allowed == AllowedResponse((), (Dial(STATIC, node(1)),), 0) and answer(allowed) == Response()
    assert not scheduler.dialing


def test_the_loop_reads_only_once_the_statics_it_could_start_are_started_SC_LOOP_1() -> None:
    scheduler = make(max_dial_peers=1)
    assert reads(scheduler.add_static(node(1)))
    assert not reads(scheduler.add_static(node(2)))
    assert set(scheduler.dialing) == {nid(1), nid(2)}


# -- allowed choices -----------------------------------------------------------------


def test_statics_are_chosen_from_the_pool_as_the_pick_says_SC_CHOICE_1() -> None:
    scheduler = make(max_dial_peers=1)
    scheduler.peer_added(nid(9), DYN)
    for i in (1, 2, 3):
        assert dials(scheduler.add_static(node(i))) == []
    chosen: list[Sequence[Dial]] = []

    def pick_last(pool: tuple[Dial, ...], instant: frozenset[str]) -> Sequence[Dial]:
        chosen.append(pool[::-1])
        return pool[::-1]

    allowed = scheduler.peer_removed(nid(9), DYN, pick_last)
    assert allowed.pool == tuple(Dial(STATIC, node(i)) for i in (1, 2, 3))
    assert allowed.free == 2 and not allowed.is_deterministic()
    assert set(scheduler.dialing) == {nid(2), nid(3)}
    assert list(scheduler.pool) == [nid(1)]


@pytest.mark.parametrize(
    "pick",
    [
        lambda pool, instant: pool[:1],
        lambda pool, instant: [pool[0], pool[0], pool[1]],
        lambda pool, instant: [*pool, Dial(STATIC, node(7))],
        lambda pool, instant: [pool[0], pool[1], Dial(DYN, pool[2].dest)],
    ],
    ids=["too few", "one task twice", "outside the pool", "wrong flag"],
)
def test_a_pick_that_is_not_an_allowed_choice_is_refused_SC_CHOICE_2(pick: object) -> None:
    scheduler = make(max_dial_peers=1)
    scheduler.peer_added(nid(9), DYN)
    for i in (1, 2, 3):
        scheduler.add_static(node(i))
    with pytest.raises(ValueError, match="not an order of the pool"):
        scheduler.peer_removed(nid(9), DYN, pick)  # type: ignore[arg-type]


# -- dynamic dials and checkDial -----------------------------------------------------


def test_an_offered_candidate_that_passes_checkdial_is_dialed_as_offered_SC_DYN_1() -> None:
    scheduler = make()
    candidate = Node(nid(1), "10.0.0.1", 30303, 30301)
    allowed = scheduler.node_offered(candidate)
    assert allowed == AllowedResponse((Dial(DYN, candidate),), (), 5) and reads(allowed)


@pytest.mark.parametrize(
    ("profile", "refused"),
    [(P1911, False), (P1914, True), (P115, True), (P1172, True)],
)
def test_a_node_with_an_ip_and_no_tcp_port_is_refused_from_1_9_14_SC_CHECK_2(
    profile: SchedulerProfile, refused: bool
) -> None:
    scheduler = make(profile=profile)
    assert scheduler.node_offered(node(1, tcp=0)).required == (() if refused else (Dial(DYN, node(1, tcp=0)),))
    assert scheduler.node_offered(node(2, ip=None, tcp=0)).required == (Dial(DYN, node(2, ip=None, tcp=0)),)


def test_checkdial_refuses_self_dialing_connected_pending_restricted_and_recent_nodes_SC_CHECK_1() -> None:
    scheduler = make(netrestrict=("10.0.0.0/24",))
    assert not scheduler.is_dialable(Node(SELF, "10.0.0.9", 30303))
    scheduler.node_offered(node(1))
    assert not scheduler.is_dialable(node(1))
    scheduler.peer_added(nid(2), INBOUND)
    assert not scheduler.is_dialable(node(2))
    scheduler.inbound_pending(nid(3))
    assert not scheduler.is_dialable(node(3))
    assert not scheduler.is_dialable(node(4, ip="10.0.1.4"))
    assert scheduler.is_dialable(node(4))
    scheduler.dial_done(nid(1))
    assert not scheduler.is_dialable(node(1))
    scheduler.advance(T0 + 36 * S)
    assert scheduler.is_dialable(node(1))


def test_under_a_netrestrict_a_node_without_ip_is_never_admitted_SC_NET_1() -> None:
    scheduler = make(netrestrict=("0.0.0.0/0",))
    assert scheduler.add_static(node(1, ip=None)).pool == ()
    assert make().add_static(node(1, ip=None)).pool == (Dial(STATIC, node(1, ip=None)),)


# -- starting dials and history ----------------------------------------------------------


def test_a_dial_enters_the_history_when_it_starts_for_35_seconds_SC_DIAL_1() -> None:
    scheduler = make()
    scheduler.node_offered(node(1))
    assert scheduler.history == [(T0 + 35 * S, nid(1))]
    assert scheduler.dialing[nid(1)].flag is DYN


def test_history_entries_expire_only_after_their_instant_SC_HIST_1() -> None:
    scheduler = make()
    scheduler.node_offered(node(1))
    scheduler.dial_done(nid(1))
    scheduler.advance(T0 + 35 * S)
    assert scheduler.history == [(T0 + 35 * S, nid(1))]
    assert scheduler.node_offered(node(1)).required == ()
    scheduler.advance(T0 + 35 * S + 1)
    assert scheduler.history == []
    assert scheduler.node_offered(node(1)).required == (Dial(DYN, node(1)),)


def test_a_node_is_not_redialed_while_its_history_entry_exists_SC_HIST_2() -> None:
    scheduler = make()
    scheduler.node_offered(node(1))
    scheduler.dial_done(nid(1))
    scheduler.advance(T0 + 20 * S)
    scheduler.node_offered(node(2))
    scheduler.dial_done(nid(2))
    scheduler.advance(T0 + 40 * S)
    assert [entry for _, entry in scheduler.history] == [nid(2)]
    assert scheduler.node_offered(node(2)).required == ()


def test_an_expired_static_returns_to_the_pool_and_is_redialed_SC_HIST_1() -> None:
    scheduler = make()
    scheduler.add_static(node(1))
    scheduler.dial_done(nid(1))
    assert not scheduler.pool
    allowed = scheduler.advance(T0 + 36 * S)
    assert dials(allowed) == [Dial(STATIC, node(1))]
    assert scheduler.history == [(T0 + 71 * S, nid(1))]


def test_the_clock_cannot_go_back() -> None:
    scheduler = make()
    with pytest.raises(ValueError, match="cannot go back"):
        scheduler.advance(T0 - 1)


def test_a_finished_dial_is_forgotten_and_its_static_offered_to_the_pool_SC_DONE_1() -> None:
    scheduler = make()
    scheduler.add_static(node(1))
    scheduler.dial_done(nid(1))
    assert not scheduler.dialing and not scheduler.pool


def test_a_static_dial_that_outlives_its_history_entry_is_redialed_when_it_is_done_SC_DONE_1() -> None:
    scheduler = make()
    scheduler.add_static(node(1))
    scheduler.advance(T0 + 36 * S)
    assert scheduler.history == [] and not scheduler.pool
    assert dials(scheduler.dial_done(nid(1))) == [Dial(STATIC, node(1))]
    assert scheduler.history == [(T0 + 71 * S, nid(1))]


# -- peers -------------------------------------------------------------------------


def test_only_dyn_and_static_peers_count_as_dialed_SC_PEER_1() -> None:
    scheduler = make()
    for i, flags in enumerate((DYN, STATIC, INBOUND, INBOUND | TRUSTED, STATIC | TRUSTED)):
        scheduler.peer_added(nid(i + 1), flags)
    assert scheduler.dial_peers == 3
    assert scheduler.peers == {nid(i) for i in range(1, 6)}


def test_a_connected_static_leaves_the_pool_and_returns_when_it_drops_SC_PEER_1_SC_PEER_2() -> None:
    scheduler = make(max_dial_peers=1)
    saturate(scheduler)
    scheduler.add_static(node(1))
    assert list(scheduler.pool) == [nid(1)]
    scheduler.peer_added(nid(1), INBOUND)
    assert not scheduler.pool
    allowed = scheduler.peer_removed(nid(1), INBOUND)
    assert dials(allowed) == [] and list(scheduler.pool) == [nid(1)]
    assert dials(scheduler.peer_removed(nid(101), DYN)) == [Dial(STATIC, node(1))]
    assert scheduler.dial_peers == 0 and not scheduler.peers


# -- static nodes --------------------------------------------------------------------


def test_adding_a_known_static_keeps_its_task_and_still_runs_the_loop_head_SC_STATIC_1() -> None:
    scheduler = make(max_dial_peers=1)
    saturate(scheduler)
    scheduler.add_static(node(1))
    moved = node(1, ip="10.9.9.9")
    allowed = scheduler.add_static(moved)
    assert allowed.pool == (Dial(STATIC, node(1)),)
    assert scheduler.static[nid(1)].dest == node(1)


def test_a_static_that_fails_checkdial_is_kept_out_of_the_pool_SC_STATIC_1() -> None:
    scheduler = make()
    assert scheduler.add_static(Node(SELF, "10.0.0.9", 30303)).pool == ()
    assert SELF in scheduler.static


def test_removing_a_static_drops_its_task_and_a_running_dial_runs_on_SC_STATIC_2() -> None:
    scheduler = make(max_dial_peers=1)
    saturate(scheduler)
    scheduler.add_static(node(1))
    scheduler.add_static(node(2))
    scheduler.remove_static(node(1))
    assert list(scheduler.pool) == [nid(2)]
    scheduler.peer_removed(nid(101), DYN)
    scheduler.remove_static(node(2))
    assert nid(2) in scheduler.dialing
    scheduler.advance(T0 + 36 * S)
    assert scheduler.dial_done(nid(2)).pool == ()
    assert not scheduler.static and scheduler.history == []
    scheduler.remove_static(node(3))


def test_a_static_is_pooled_only_if_it_exists_is_not_pooled_and_passes_checkdial_SC_STATIC_3() -> None:
    scheduler = make(max_dial_peers=1)
    saturate(scheduler)
    scheduler.add_static(node(1))
    scheduler.peer_removed(nid(99), INBOUND)  # no task for n99; n1 already pooled
    assert list(scheduler.pool) == [nid(1)]


def test_a_pooled_static_stays_pooled_while_its_inbound_connection_is_pending_SC_STATIC_4() -> None:
    scheduler = make(max_dial_peers=1)
    saturate(scheduler)
    scheduler.add_static(node(1))
    scheduler.inbound_pending(nid(1))
    assert list(scheduler.pool) == [nid(1)]
    assert dials(scheduler.peer_removed(nid(101), DYN)) == [Dial(STATIC, node(1))]


# -- pending inbound -----------------------------------------------------------------


def test_pending_inbound_refuses_dials_until_completed_then_pools_the_static_SC_INBOUND_1() -> None:
    scheduler = make(max_dial_peers=1)
    saturate(scheduler)
    scheduler.inbound_pending(nid(1))
    scheduler.inbound_pending(nid(1))
    scheduler.add_static(node(1))
    assert not scheduler.pool
    scheduler.inbound_completed(nid(1))
    assert list(scheduler.pool) == [nid(1)] and not scheduler.pending_inbound


@pytest.mark.parametrize("profile", [P1911, P1914, P115])
def test_profiles_before_1_17_2_ignore_pending_inbound_connections_SC_INBOUND_1(profile: SchedulerProfile) -> None:
    scheduler = make(profile=profile)
    scheduler.inbound_pending(nid(1))
    assert not scheduler.pending_inbound
    assert dials(scheduler.node_offered(node(1))) == [Dial(DYN, node(1))]
    scheduler.inbound_completed(nid(1))
    assert not scheduler.pending_inbound


# -- running a task ------------------------------------------------------------------


def started(scheduler: Scheduler, dest: Node, flag: ConnFlag) -> None:
    """Start a dial of ``flag`` to ``dest``."""
    allowed = scheduler.add_static(dest) if flag is STATIC else scheduler.node_offered(dest)
    assert dest.id in scheduler.dialing, allowed


def test_a_complete_destination_is_dialed_once_SC_RUN_1() -> None:
    scheduler = make()
    started(scheduler, node(1), DYN)
    result = scheduler.dial_done(nid(1), RunInput(connects=(True,)))
    assert result.actions == (Connect(node(1), True),) and is_connected(result.actions)


def test_a_failed_dynamic_dial_is_not_retried_SC_RUN_2() -> None:
    scheduler = make()
    started(scheduler, node(1), DYN)
    assert scheduler.dial_done(nid(1), RunInput(found=node(1, ip="10.5.5.5"))).actions == (Connect(node(1), False),)


def test_a_failed_static_dial_resolves_and_dials_the_resolved_node_once_more_SC_RUN_2_SC_RESOLVE_4() -> None:
    scheduler = make()
    moved = node(1, ip="10.5.5.5")
    started(scheduler, node(1), STATIC)
    result = scheduler.dial_done(nid(1), RunInput(found=moved, connects=(False, False)))
    assert result.actions == (Connect(node(1), False), Resolve(nid(1), moved), Connect(moved, False))
    assert not is_connected(result.actions)
    task = scheduler.static[nid(1)]
    assert task.dest == moved and task.resolve_delay == 60 * S and task.last_resolved == T0
    assert dials(scheduler.advance(T0 + 36 * S)) == [Dial(STATIC, moved)]


def test_an_incomplete_static_resolves_first_and_does_not_dial_when_that_fails_SC_RUN_1() -> None:
    scheduler = make()
    started(scheduler, node(1, ip=None), STATIC)
    assert scheduler.dial_done(nid(1), RunInput()).actions == (Resolve(nid(1), None),)
    assert scheduler.static[nid(1)].resolve_delay == 120 * S


@pytest.mark.parametrize(("profile", "resolves"), [(P1911, True), (P1914, False), (P1172, False)])
def test_an_incomplete_dynamic_destination_resolves_only_under_1_9_11_SC_RUN_1(
    profile: SchedulerProfile, resolves: bool
) -> None:
    scheduler = make(profile=profile)
    started(scheduler, node(1, ip=None), DYN)
    result = scheduler.dial_done(nid(1), RunInput(found=node(1), connects=(True,)))
    if resolves:
        assert result.actions == (Resolve(nid(1), node(1)), Connect(node(1), True))
    else:
        assert result.actions == (Connect(node(1, ip=None), True),)


def test_without_a_resolver_nothing_is_resolved_and_the_task_is_untouched_SC_RESOLVE_1() -> None:
    scheduler = make(resolver=False)
    started(scheduler, node(1), STATIC)
    assert scheduler.dial_done(nid(1), RunInput(found=node(1))).actions == (Connect(node(1), False),)
    assert scheduler.static[nid(1)].resolve_delay == 0


def redial(scheduler: Scheduler, i: int, at: int, inputs: RunInput) -> tuple[object, ...]:
    """Move to ``at`` (the static of node ``i``, done before, is redialed) and run and finish that dial."""
    scheduler.advance(at)
    assert nid(i) in scheduler.dialing
    return scheduler.dial_done(nid(i), inputs).actions


def test_a_resolve_within_the_delay_since_the_last_is_skipped_so_the_dial_returns_at_once_SC_RESOLVE_2_SC_RUN_3() -> (
    None
):
    scheduler = make()
    started(scheduler, node(1, ip=None), STATIC)
    scheduler.dial_done(nid(1), RunInput())
    allowed = scheduler.advance(T0 + 100 * S)
    assert allowed.instant == {nid(1)}
    assert answer(allowed) == Response((Dial(STATIC, node(1, ip=None)),), True, (), (nid(1),))
    assert nid(1) not in scheduler.dialing and scheduler.history == [(T0 + 135 * S, nid(1))]
    assert redial(scheduler, 1, T0 + 140 * S, RunInput()) == (Resolve(nid(1), None),)


def test_a_dial_that_returns_at_once_gives_its_slot_to_the_next_static_SC_RUN_3() -> None:
    scheduler = make(max_dial_peers=1, resolver=False)
    saturate(scheduler)
    scheduler.add_static(node(1, ip=None))
    scheduler.add_static(node(2))
    allowed = scheduler.peer_removed(nid(101), DYN)  # two slots free: n1 returns at once, n2 stays
    assert allowed.free == 2 and allowed.instant == {nid(1)} and allowed.is_deterministic()
    assert answer(allowed) == Response((Dial(STATIC, node(1, ip=None)), Dial(STATIC, node(2))), True, (), (nid(1),))
    assert set(scheduler.dialing) == {nid(2)}


def test_with_one_slot_a_static_that_returns_at_once_lets_another_start_SC_RUN_3() -> None:
    scheduler = make(max_dial_peers=1, max_active_dials=1, resolver=False)
    saturate(scheduler)
    scheduler.add_static(node(1, ip=None))
    scheduler.add_static(node(2))
    scheduler.add_static(node(3))
    allowed = scheduler.peer_removed(nid(101), DYN)
    assert allowed.free == 1 and not allowed.is_deterministic()
    both = Response((Dial(STATIC, node(1, ip=None)), Dial(STATIC, node(2))), False, (), (nid(1),))
    assert answer(allowed) == both
    assert allowed.allows(Response((Dial(STATIC, node(3)),), False))
    assert not allowed.allows(Response((Dial(STATIC, node(1, ip=None)),), True, (), (nid(1),)))
    assert not allowed.allows(Response((Dial(STATIC, node(2)), Dial(STATIC, node(3))), False))


def test_a_resolve_made_at_clock_zero_is_forgotten_SC_RESOLVE_2() -> None:
    scheduler = make(now=0)
    started(scheduler, node(1, ip=None), STATIC)
    scheduler.dial_done(nid(1), RunInput())
    assert scheduler.static[nid(1)].last_resolved == 0
    assert redial(scheduler, 1, 36 * S, RunInput()) == (Resolve(nid(1), None),)


def test_the_resolve_delay_doubles_to_an_hour_and_resets_on_success_SC_RESOLVE_3() -> None:
    scheduler = make()
    started(scheduler, node(1, ip=None), STATIC)
    scheduler.dial_done(nid(1), RunInput())
    now, delays = T0, []
    for _ in range(7):
        now += HOUR
        redial(scheduler, 1, now, RunInput())
        delays.append(scheduler.static[nid(1)].resolve_delay // S)
    assert delays == [240, 480, 960, 1920, 3600, 3600, 3600]
    redial(scheduler, 1, now + HOUR, RunInput(found=node(1)))
    assert scheduler.static[nid(1)].resolve_delay == 60 * S


@pytest.mark.parametrize(
    ("dns", "dest"),
    [("10.7.7.7", "10.7.7.7"), ("10.0.0.1", "10.0.0.1"), (None, "10.0.0.1")],
    ids=["a new address", "the same address", "no answer"],
)
def test_a_static_hostname_is_looked_up_before_each_dial_from_1_15_SC_DNS_1(dns: Optional[str], dest: str) -> None:
    scheduler = make(profile=P115)
    named = hostnamed(1, "10.0.0.1")
    started(scheduler, named, STATIC)
    result = scheduler.dial_done(nid(1), RunInput(dns=dns, connects=(True,)))
    assert result.actions == (DnsLookup("n1.example", dns), Connect(replace(named, ip=dest), True))
    assert scheduler.static[nid(1)].dest.hostname == "n1.example"


def test_a_hostname_without_an_answer_or_ip_falls_back_to_the_dht_which_drops_the_hostname_SC_DNS_1() -> None:
    scheduler = make(profile=P1172)
    started(scheduler, hostnamed(1), STATIC)
    result = scheduler.dial_done(nid(1), RunInput(found=node(1), connects=(True,)))
    assert result.actions == (DnsLookup("n1.example", None), Resolve(nid(1), node(1)), Connect(node(1), True))
    assert scheduler.static[nid(1)].dest.hostname is None


@pytest.mark.parametrize("profile", [P1911, P1914])
def test_profiles_before_1_15_ignore_hostnames_SC_DNS_1(profile: SchedulerProfile) -> None:
    scheduler = make(profile=profile)
    started(scheduler, hostnamed(1, "10.0.0.1"), STATIC)
    assert scheduler.dial_done(nid(1), RunInput(dns="10.7.7.7")).actions[0] == Connect(hostnamed(1, "10.0.0.1"), False)


@pytest.mark.parametrize(
    ("profile", "then"),
    [(P115, "10.0.0.1"), (P1172, "10.0.0.1"), (SchedulerProfile.GETH_1_17_8, "fd00::7")],
    ids=["geth-1.15", "geth-1.17.2", "geth-1.17.8"],
)
def test_an_answer_of_the_other_family_keeps_the_stale_ipv4_before_1_17_8_and_replaces_it_from_it_SC_DNS_2(
    profile: SchedulerProfile, then: str
) -> None:
    scheduler = make(profile=profile)
    named = hostnamed(1, "10.0.0.1")
    started(scheduler, named, STATIC)
    result = scheduler.dial_done(nid(1), RunInput(dns="fd00::7", connects=(True,)))
    # fd00::/7 is as private as 10/8: the record's IPv4 address, if it is still there, is preferred.
    assert result.actions == (DnsLookup("n1.example", "fd00::7"), Connect(replace(named, ip=then), True))
    task = scheduler.static[nid(1)]
    assert task.addresses == (("10.0.0.1", "fd00::7") if then == "10.0.0.1" else (None, "fd00::7"))
    # The same answer again changes nothing; an IPv4 answer after it sets the IPv4 address.
    scheduler.peer_removed(nid(1), STATIC)
    assert redial(scheduler, 1, T0 + 36 * S, RunInput(dns="fd00::7"))[:2] == (
        DnsLookup("n1.example", "fd00::7"),
        Connect(replace(named, ip=then), False),
    )
    assert redial(scheduler, 1, T0 + 72 * S, RunInput(dns="10.0.0.9"))[1] == Connect(
        replace(named, ip="10.0.0.9"), False
    )


def test_a_more_global_ipv6_address_is_dialed_even_beside_an_ipv4_one_SC_DNS_2() -> None:
    scheduler = make(profile=P1172)
    started(scheduler, hostnamed(1, "10.0.0.1"), STATIC)
    result = scheduler.dial_done(nid(1), RunInput(dns="2001:db8::1"))
    assert result.actions[1] == Connect(hostnamed(1, "2001:db8::1"), False)
    assert scheduler.static[nid(1)].addresses == ("10.0.0.1", "2001:db8::1")


def test_a_resolve_after_a_dns_answer_forgets_the_record_s_addresses_SC_DNS_2_SC_RESOLVE_4() -> None:
    scheduler = make(profile=P1172)
    started(scheduler, hostnamed(1), STATIC)
    scheduler.dial_done(nid(1), RunInput(dns="fd00::1", found=node(1)))
    assert scheduler.static[nid(1)].dest == node(1) and scheduler.static[nid(1)].addresses is None


def test_dynamic_tasks_never_look_up_dns_SC_DNS_1() -> None:
    scheduler = make(profile=P1172)
    started(scheduler, hostnamed(1, "10.0.0.1"), DYN)
    assert scheduler.dial_done(nid(1), RunInput(dns="10.7.7.7")).actions == (Connect(hostnamed(1, "10.0.0.1"), False),)


def test_events_for_a_dial_that_is_not_running_are_refused_SC_EVENT_1() -> None:
    scheduler = make()
    with pytest.raises(ValueError, match="no dial to"):
        scheduler.dial_done(nid(1))


# -- snapshots -----------------------------------------------------------------------


def _walk(now: int) -> Scheduler:
    scheduler = make(max_dial_peers=1, now=now)
    started(scheduler, node(1, ip=None), STATIC)
    scheduler.dial_done(nid(1), RunInput())
    scheduler.node_offered(node(2))
    scheduler.peer_added(nid(2), DYN)
    return scheduler


def test_schedulers_that_saw_the_same_events_shifted_in_time_have_equal_snapshots() -> None:
    assert _walk(T0).get_snapshot() == _walk(T0 + 7 * S).get_snapshot()
    assert _walk(T0).get_snapshot() != _walk(0).get_snapshot()
    other = _walk(T0)
    other.dial_done(nid(2))
    assert other.get_snapshot() != _walk(T0).get_snapshot()


def test_every_response_carries_the_same_reading_state_as_the_slots_SC_EVENT_2() -> None:
    scheduler = make(max_dial_peers=1)
    allowed = scheduler.node_offered(node(1))
    assert allowed.allows(Response((Dial(DYN, node(1)),), True))
    assert not reads(scheduler.node_offered(node(2)))


def test_on_event_handles_each_event_by_its_method_SC_EVENT_1() -> None:
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
        SchedulerEvent,
        Start,
    )

    events: list[SchedulerEvent] = [
        Start(T0),
        AddStatic(node(1)),
        NodeOffered(node(2)),
        PeerAdded(nid(2), DYN),
        InboundPending(nid(3)),
        InboundCompleted(nid(3)),
        DialDone(nid(2)),
        PeerRemoved(nid(2), DYN),
        RemoveStatic(node(1)),
        Advance(T0 + 40 * S),
    ]
    by_event = Scheduler(SchedulerConfig(SELF, 1), P1172)
    answers = [by_event.on_event(e) for e in events]
    direct = Scheduler(SchedulerConfig(SELF, 1), P1172)
    expected = [
        direct.start(T0),
        direct.add_static(node(1)),
        direct.node_offered(node(2)),
        direct.peer_added(nid(2), DYN),
        direct.inbound_pending(nid(3)),
        direct.inbound_completed(nid(3)),
        direct.dial_done(nid(2)),
        direct.peer_removed(nid(2), DYN),
        direct.remove_static(node(1)),
        direct.advance(T0 + 40 * S),
    ]
    assert answers == expected
    assert by_event.get_snapshot() == direct.get_snapshot()


def test_a_connection_that_joins_is_a_peer_before_the_dial_is_forgotten_SC_PEER_3() -> None:
    scheduler = make(max_dial_peers=1)
    scheduler.node_offered(node(1))
    scheduler.node_offered(node(2))
    scheduler.add_static(node(3))
    assert list(scheduler.pool) == [nid(3)]
    allowed = scheduler.dial_done(nid(1), RunInput(connects=(True,), joins=True))
    assert dials(allowed) == [] and not reads(allowed)
    assert scheduler.peers == {nid(1)} and scheduler.dial_peers == 1
    refused = scheduler.dial_done(nid(2), RunInput(connects=(False,), joins=True))
    assert dials(refused) == [] and nid(2) not in scheduler.peers and scheduler.dial_peers == 1


# -- the reference as an implementation (create_scheduler) ---------------------------------


def _follow(response: Response) -> Pick:
    """Return a pick that orders the pool as ``response`` started its dials, the rest after (the judge's twin)."""

    def pick(pool: tuple[Dial, ...], instant: frozenset[str]) -> Sequence[Dial]:
        chosen = [d for d in response.dials if d in pool]
        return chosen + [d for d in pool if d not in chosen]

    return pick


def _add_static(
    impl: SchedulerImplementation, twin: Scheduler, static: Node
) -> tuple[Callable[[], Response], Callable[[Pick], AllowedResponse]]:
    return (lambda: impl.add_static(static)), (lambda p: twin.add_static(static, p))


def test_the_reference_implementation_answers_every_event_with_an_allowed_response_SC_CHOICE_2() -> None:
    config = SchedulerConfig(SELF, 2)
    impl, twin = create_scheduler(config, P1172), Scheduler(config, P1172)
    calls: list[tuple[Callable[[], Response], Callable[[Pick], AllowedResponse]]] = [
        (lambda: impl.start(T0), lambda p: twin.start(T0, p)),
        *(_add_static(impl, twin, node(i)) for i in range(1, 6)),
        (lambda: impl.node_offered(node(9)), lambda p: twin.node_offered(node(9), p)),
        (lambda: impl.inbound_pending(nid(8)), lambda p: twin.inbound_pending(nid(8), p)),
        (lambda: impl.inbound_completed(nid(8)), lambda p: twin.inbound_completed(nid(8), p)),
        (lambda: impl.peer_added(nid(8), INBOUND), lambda p: twin.peer_added(nid(8), INBOUND, p)),
        (lambda: impl.peer_removed(nid(8), INBOUND), lambda p: twin.peer_removed(nid(8), INBOUND, p)),
        (lambda: impl.remove_static(node(5)), lambda p: twin.remove_static(node(5), p)),
        (lambda: impl.advance(T0 + 40 * S), lambda p: twin.advance(T0 + 40 * S, p)),
    ]
    for call, judge in calls:
        response = call()
        assert judge(_follow(response)).allows(response), response
    running = sorted(twin.dialing)
    assert running, "the walk started no dial"
    for node_id in running:
        response = impl.dial_done(node_id, RunInput(connects=(False,)))
        assert twin.dial_done(node_id, RunInput(connects=(False,)), _follow(response)).allows(response)
    assert impl.model.get_snapshot() == twin.get_snapshot()


def test_the_reference_implementation_chooses_statics_at_random_from_its_seed_SC_CHOICE_2() -> None:
    def walk(seed: int) -> tuple[Dial, ...]:
        impl = SchedulerImplementation(SchedulerConfig(SELF, 1), P1172, seed)
        impl.start(T0)
        impl.node_offered(node(9))
        impl.node_offered(node(10))  # both slots taken: the statics wait in the pool
        for i in range(1, 5):
            assert impl.add_static(node(i)).dials == ()
        return impl.dial_done(nid(9), RunInput(connects=(False,))).dials

    chosen = {seed: walk(seed) for seed in range(12)}
    assert all(len(dials) == 1 for dials in chosen.values())
    assert all(walk(seed) == dials for seed, dials in chosen.items())  # the same seed, the same choice
    assert len(set(chosen.values())) > 1
