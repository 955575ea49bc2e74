"""Each named check fires on a minimal wrong answer and stays silent on geth's answer (hand-computed)."""

from __future__ import annotations

from support import SELF, config, dyn, nid, node, static

from dialcheck.conformance.oracle.invariants import InvariantChecker, Situation
from dialcheck.spec.model import SECOND, Config, ConnFlag, DialTask, DiscoverTask, Node, Profile, WaitTask
from dialcheck.spec.verdicts import Verdict

S = SECOND


def _checks(
    checker: InvariantChecker,
    answer: list[DialTask | DiscoverTask | WaitTask],
    running: int = 1,
    now: int = 1 * S,
    peers: dict[str, ConnFlag] | None = None,
    table: list[Node] | None = None,
) -> set[Verdict]:
    return {v.check for v in checker.on_new_tasks(running, peers or {}, now, table or [], answer)}


def test_no_double_dial_fires_for_connected_dialing_and_repeated_nodes_NO_DOUBLE_DIAL() -> None:
    checker = InvariantChecker(config(max_dyn_dials=8), Profile.GETH_1_7)
    table = [node(1), node(2), node(3), node(4)]
    assert _checks(checker, [dyn(1), dyn(1)], table=table) == {Verdict.NO_DOUBLE_DIAL}
    assert _checks(checker, [dyn(1)], table=table) == {Verdict.NO_DOUBLE_DIAL}
    assert Verdict.NO_DOUBLE_DIAL in _checks(checker, [dyn(5)], peers={nid(5): ConnFlag.INBOUND}, table=[node(5)])


def test_dyn_budget_counts_dynamic_peers_and_outstanding_dials_DYN_BUDGET() -> None:
    checker = InvariantChecker(config(max_dyn_dials=4), Profile.GETH_1_7)
    assert _checks(checker, [dyn(1), dyn(2)], table=[node(1), node(2)]) == set()
    assert Verdict.DYN_BUDGET in _checks(
        checker, [dyn(3), dyn(4)], peers={nid(9): ConnFlag.DYN}, table=[node(3), node(4)]
    )


def test_history_blocks_until_after_expiry_inclusive_HISTORY_EXPIRY() -> None:
    checker = InvariantChecker(config(max_dyn_dials=2), Profile.GETH_1_7)
    assert _checks(checker, [dyn(1)], table=[node(1)]) == set()
    checker.on_task_done(dyn(1), 2 * S, [])
    assert Verdict.HISTORY_EXPIRY in _checks(checker, [dyn(1)], now=32 * S, table=[node(1)])
    fresh = InvariantChecker(config(max_dyn_dials=2), Profile.GETH_1_7)
    _checks(fresh, [dyn(1)], table=[node(1)])
    fresh.on_task_done(dyn(1), 2 * S, [])
    assert _checks(fresh, [dyn(1)], now=32 * S + 1, table=[node(1)]) == set()


def test_the_fallback_bootnode_must_follow_the_rotation_BOOTNODE_ROTATION() -> None:
    checker = InvariantChecker(config(max_dyn_dials=2, bootnodes=[node(1), node(2)]), Profile.GETH_1_7)
    assert _checks(checker, [DiscoverTask()], now=1 * S) == set()
    assert _checks(checker, [], now=21 * S) == set()  # exactly 20 s: not due
    assert _checks(checker, [dyn(2)], now=21 * S + 1) == {Verdict.BOOTNODE_ROTATION}
    assert checker.situations[Situation.FALLBACK_AT_EXACTLY_20S] == 1


def test_self_and_restricted_nodes_are_never_dialed_NEVER_SELF_NETRESTRICT() -> None:
    checker = InvariantChecker(config(max_dyn_dials=4, netrestrict=["10.0.0.0/24"]), Profile.GETH_1_7)
    me = node(255)
    outside = node(3, ip="192.168.0.3")
    got = _checks(checker, [DialTask(ConnFlag.DYN, me), DialTask(ConnFlag.DYN, outside)], table=[me, outside])
    assert got == {Verdict.NEVER_SELF, Verdict.NETRESTRICT}


def test_one_lookup_at_a_time_SINGLE_LOOKUP() -> None:
    checker = InvariantChecker(config(max_dyn_dials=2), Profile.GETH_1_7)
    assert _checks(checker, [DiscoverTask()]) == set()
    assert _checks(checker, [DiscoverTask()]) == {Verdict.SINGLE_LOOKUP}


def test_wait_only_when_idle_and_for_the_earliest_expiry_WAIT_EXPIRE() -> None:
    checker = InvariantChecker(config(static=[node(1)]), Profile.GETH_1_7)
    assert _checks(checker, [static(1)], running=0) == set()
    checker.on_task_done(static(1), 2 * S, [])
    assert _checks(checker, [], running=0, now=3 * S) == {Verdict.WAIT_EXPIRE}
    assert _checks(checker, [WaitTask(30 * S)], running=0, now=3 * S) == {Verdict.WAIT_EXPIRE}
    assert _checks(checker, [WaitTask(29 * S)], running=1, now=3 * S) == {Verdict.WAIT_EXPIRE}
    assert _checks(checker, [WaitTask(29 * S)], running=0, now=3 * S) == set()


def test_table_dials_come_from_its_front_RANDOM_HALF_KNOWN_CANDIDATE() -> None:
    checker = InvariantChecker(config(max_dyn_dials=4), Profile.GETH_1_7)
    # need 4 -> 2 candidates: table[0], table[1]; table[2] is not tried; n9 came from nowhere.
    table = [node(1), node(2), node(3)]
    assert _checks(checker, [dyn(1), dyn(3)], table=table) == {Verdict.RANDOM_HALF}
    assert _checks(checker, [dyn(9)], table=[]) == {Verdict.KNOWN_CANDIDATE}
    checker.on_task_done(DiscoverTask(), 2 * S, [node(9)])


def test_a_static_dial_must_be_of_a_node_that_is_static_now_KNOWN_CANDIDATE() -> None:
    checker = InvariantChecker(config(static=[node(1)]), Profile.GETH_1_7)
    assert _checks(checker, [static(1)], running=0) == set()
    checker.on_task_done(static(1), 2 * S, [])
    checker.on_remove_static(node(1))
    assert _checks(checker, [static(1)], now=40 * S) == {Verdict.KNOWN_CANDIDATE}
    assert _checks(checker, [static(7)], now=40 * S) == {Verdict.KNOWN_CANDIDATE}
    checker.on_add_static(node(7))
    assert _checks(InvariantChecker(config(static=[node(7)]), Profile.GETH_1_7), [static(7)]) == set()


def test_a_dialable_static_must_be_dialed_STATIC_REDIAL() -> None:
    checker = InvariantChecker(config(static=[node(1), node(255)]), Profile.GETH_1_7)
    assert _checks(checker, []) == {Verdict.STATIC_REDIAL}
    checker.on_remove_static(node(1))
    assert _checks(checker, []) == set()


def test_remove_static_clears_one_history_entry_only_under_geth_1_8() -> None:
    for profile, blocked in ((Profile.GETH_1_7, True), (Profile.GETH_1_8, False)):
        checker = InvariantChecker(config(max_dyn_dials=2, static=[node(1)]), profile)
        _checks(checker, [static(1)])
        checker.on_task_done(static(1), 2 * S, [])
        checker.on_remove_static(node(1))
        checker.on_add_static(node(1))
        assert (Verdict.HISTORY_EXPIRY in _checks(checker, [static(1)], now=3 * S)) is blocked


def test_the_checker_is_silent_on_a_config_without_anything_to_do() -> None:
    checker = InvariantChecker(Config(self_id=SELF, max_dyn_dials=0), Profile.GETH_1_7)
    assert _checks(checker, [], running=0, now=0) == set()
    assert checker.situations[Situation.ZERO_INSTANT_CALL] == 1


def test_a_static_node_resolved_to_a_restricted_endpoint_is_not_owed_a_redial_STATIC_REDIAL_DS_STATIC_3() -> None:
    from dialcheck.spec.execution import DialState, Execution

    checker = InvariantChecker(config(static=[node(1)], netrestrict=["10.0.0.0/29"]), Profile.GETH_1_7)
    task = static(1)
    assert _checks(checker, [task], running=0) == set()
    moved = Node(nid(1), "10.0.0.101", 30304, 0)
    checker.on_execute(task, node(1), Execution((), DialState(60 * S, 1 * S, moved)))
    checker.on_task_done(task, 1 * S, [])
    # geth deletes the static entry once its endpoint is restricted (DS-STATIC-2): no redial owed.
    assert _checks(checker, [], running=0, now=40 * S) == set()
