"""Unit tests of the reference dialstate, one or more per requirement, expectations computed by hand."""

from __future__ import annotations

import pytest
from support import SELF, config, dyn, keys, nid, node, peers, static

from dialcheck.reference.dialstate import DialError, Dialstate, create_dialstate
from dialcheck.spec.model import SECOND, ConnFlag, DialTask, DiscoverTask, Profile, WaitTask

S = SECOND


def test_construction_refuses_a_negative_budget_DS_INIT_1() -> None:
    with pytest.raises(ValueError, match="max_dyn_dials must be >= 0"):
        Dialstate(config(max_dyn_dials=-1))


def test_bootnodes_are_a_private_copy_DS_INIT_2() -> None:
    boot = [node(1), node(2)]
    cfg = config(max_dyn_dials=2, bootnodes=boot)
    ds = Dialstate(cfg)
    ds.new_tasks(1, {}, 1 * S, [])
    ds.new_tasks(1, {}, 22 * S, [])  # rotates n1 to the back
    assert list(cfg.bootnodes) == [node(1), node(2)]
    assert [t for t in ds.new_tasks(1, {}, 23 * S, []) if isinstance(t, DialTask)][0].dest == node(2)


def test_configured_statics_are_added_in_order_so_the_last_duplicate_wins_DS_INIT_3() -> None:
    ds = Dialstate(config(static=[node(1), node(1, ip="10.9.9.9")]))
    assert keys(ds.new_tasks(0, {}, 1 * S, [])) == keys([DialTask(ConnFlag.STATIC, node(1, ip="10.9.9.9"))])


def test_the_factory_builds_a_reference_dialstate_for_the_profile_AD_1() -> None:
    ds = create_dialstate(config(), Profile.GETH_1_8)
    assert isinstance(ds, Dialstate)


class TestCheckDial:
    """DS-CHECK-1: the checks and their order."""

    def test_refuses_in_geths_order(self) -> None:
        ds = Dialstate(config(max_dyn_dials=4, netrestrict=["10.0.0.0/24"]))
        ds.dialing[SELF] = ConnFlag.DYN
        ds.hist.add(SELF, 100 * S)
        me = node(255)
        assert ds.check_dial(me, {SELF: ConnFlag.INBOUND}) is DialError.ALREADY_DIALING
        del ds.dialing[SELF]
        assert ds.check_dial(me, {SELF: ConnFlag.INBOUND}) is DialError.ALREADY_CONNECTED
        assert ds.check_dial(node(255, ip="192.168.0.1"), {}) is DialError.SELF
        assert ds.check_dial(node(3, ip="192.168.0.1"), {}) is DialError.NOT_WHITELISTED
        ds.hist.add(nid(3), 100 * S)
        assert ds.check_dial(node(3), {}) is DialError.RECENTLY_DIALED
        assert ds.check_dial(node(4), {}) is None

    def test_error_texts_are_geths(self) -> None:
        assert [e.value for e in DialError] == [
            "already dialing",
            "already connected",
            "is self",
            "not contained in netrestrict whitelist",
            "recently dialed",
        ]

    def test_a_static_entry_for_self_that_is_connected_is_kept_DS_STATIC_2(self) -> None:
        ds = Dialstate(config(static=[node(255)]))
        assert ds.new_tasks(0, peers(n255=ConnFlag.INBOUND), 1 * S, []) == []
        assert SELF in ds.static
        assert ds.new_tasks(0, {}, 2 * S, []) == []
        assert SELF not in ds.static


class TestNeed:
    """DS-NEED-1 and DYN_BUDGET."""

    def test_only_peers_and_dials_with_the_dyn_flag_count(self) -> None:
        ds = Dialstate(config(max_dyn_dials=6))
        connected = peers(
            n1=ConnFlag.DYN,
            n2=ConnFlag.STATIC,
            n3=ConnFlag.INBOUND,
            n4=ConnFlag.INBOUND | ConnFlag.TRUSTED,
            n5=ConnFlag.DYN | ConnFlag.TRUSTED,
        )
        # need = 6 - 2 = 4: 2 random candidates, then a lookup since the buffer (0) < 2.
        got = ds.new_tasks(0, connected, 1 * S, [node(6), node(7), node(8)])
        assert keys(got) == keys([dyn(6), dyn(7), DiscoverTask()])

    def test_static_dials_do_not_consume_the_budget(self) -> None:
        ds = Dialstate(config(max_dyn_dials=2, static=[node(1), node(2), node(3)]))
        got = ds.new_tasks(0, {}, 1 * S, [node(4)])
        # need stays 2: one random candidate (n4) and a lookup.
        assert keys(got) == keys([static(1), static(2), static(3), dyn(4), DiscoverTask()])

    def test_negative_need_tries_nothing_and_keeps_the_lookup_buffer(self) -> None:
        ds = Dialstate(config(max_dyn_dials=1))
        ds.new_tasks(0, {}, 1 * S, [])
        discover = ds.new_tasks(0, {}, 1 * S, [])
        assert discover == []
        ds.lookup_running = False
        ds.lookup_buf = [node(5), node(6)]
        crowded = peers(n1=ConnFlag.DYN, n2=ConnFlag.DYN, n3=ConnFlag.DYN)
        assert ds.new_tasks(1, crowded, 2 * S, [node(7)]) == []
        assert ds.lookup_buf == [node(5), node(6)]

    def test_outstanding_dynamic_dials_count_until_done(self) -> None:
        ds = Dialstate(config(max_dyn_dials=2))
        first = ds.new_tasks(0, {}, 1 * S, [node(1)])
        assert keys(first) == keys([dyn(1), DiscoverTask()])
        ds.task_done(first[1], 2 * S, [node(2), node(3)])
        # need = 2 - 1 (n1 dialing) = 1: the lookup buffer gives n2 only.
        assert keys(ds.new_tasks(1, {}, 3 * S, [])) == keys([dyn(2)])


class TestStartAndFallback:
    """DS-TIME-2, DS-FALLBACK-1 and BOOTNODE_ROTATION."""

    def test_a_call_at_the_zero_instant_leaves_start_unset(self) -> None:
        ds = Dialstate(config(max_dyn_dials=2, bootnodes=[node(1)]))
        ds.new_tasks(1, {}, 0, [])
        assert ds.start == 0
        ds.new_tasks(1, {}, 15 * S, [])
        assert ds.start == 15 * S

    def test_fallback_needs_strictly_more_than_twenty_seconds(self) -> None:
        ds = Dialstate(config(max_dyn_dials=2, bootnodes=[node(1)]))
        ds.new_tasks(1, {}, 5 * S, [])
        assert ds.new_tasks(1, {}, 25 * S, []) == []
        assert keys(ds.new_tasks(1, {}, 25 * S + 1, [])) == keys([dyn(1)])

    def test_time_before_start_never_triggers_fallback_DS_TIME_1(self) -> None:
        ds = Dialstate(config(max_dyn_dials=2, bootnodes=[node(1)]))
        ds.new_tasks(1, {}, 100 * S, [])
        assert ds.new_tasks(1, {}, 50 * S, []) == []

    def test_any_peer_blocks_the_fallback(self) -> None:
        ds = Dialstate(config(max_dyn_dials=2, bootnodes=[node(1)]))
        ds.new_tasks(1, {}, 1 * S, [])
        assert ds.new_tasks(1, peers(n9=ConnFlag.INBOUND), 30 * S, []) == []

    def test_no_fallback_without_need(self) -> None:
        ds = Dialstate(config(max_dyn_dials=0, bootnodes=[node(1)]))
        ds.new_tasks(1, {}, 1 * S, [])
        assert ds.new_tasks(1, {}, 30 * S, []) == []

    def test_a_rejected_bootnode_still_rotates(self) -> None:
        ds = Dialstate(config(max_dyn_dials=2, bootnodes=[node(1), node(2)]))
        ds.new_tasks(1, {}, 1 * S, [])
        ds.hist.add(nid(1), 100 * S)
        assert ds.new_tasks(1, {}, 30 * S, []) == []
        assert ds.bootnodes == [node(2), node(1)]
        assert keys(ds.new_tasks(1, {}, 31 * S, [])) == keys([dyn(2)])

    def test_random_candidates_are_computed_after_the_fallback_DS_RANDOM_1(self) -> None:
        ds = Dialstate(config(max_dyn_dials=4, bootnodes=[node(1)]))
        ds.new_tasks(1, {}, 1 * S, [])
        got = ds.new_tasks(1, {}, 22 * S, [node(2), node(3), node(4)])
        assert keys(got) == keys([dyn(1), dyn(2)])


class TestRandomNodes:
    """DS-RANDOM-1, DS-RANDOM-2 and RANDOM_HALF."""

    def test_at_most_half_the_budget_is_read_from_the_table(self) -> None:
        ds = Dialstate(config(max_dyn_dials=5))
        table = [node(i) for i in range(1, 9)]
        assert keys(ds.new_tasks(0, {}, 1 * S, table)) == keys([dyn(1), dyn(2), DiscoverTask()])

    def test_half_of_the_need_is_tried_and_rejected_ones_count(self) -> None:
        ds = Dialstate(config(max_dyn_dials=8))
        table = [node(1), node(1), node(2), node(3), node(4)]
        # need 8 -> 4 candidates: n1, n1 (already dialing), n2, n3.
        assert keys(ds.new_tasks(0, {}, 1 * S, table)) == keys([dyn(1), dyn(2), dyn(3), DiscoverTask()])

    def test_a_budget_of_one_never_uses_the_table(self) -> None:
        ds = Dialstate(config(max_dyn_dials=1))
        assert keys(ds.new_tasks(0, {}, 1 * S, [node(1)])) == keys([DiscoverTask()])

    def test_the_table_is_not_read_without_candidates(self) -> None:
        ds = Dialstate(config(max_dyn_dials=4))
        crowded = peers(n1=ConnFlag.DYN, n2=ConnFlag.DYN, n3=ConnFlag.DYN)
        # need 1 -> 0 candidates; the lookup starts.
        assert keys(ds.new_tasks(0, crowded, 1 * S, [node(4)])) == keys([DiscoverTask()])


class TestLookups:
    """DS-LOOKUP-1..3 and SINGLE_LOOKUP."""

    def test_results_are_tried_in_order_and_every_tried_one_dropped(self) -> None:
        ds = Dialstate(config(max_dyn_dials=2))
        [discover] = ds.new_tasks(0, {}, 1 * S, [])
        ds.task_done(discover, 2 * S, [node(255), node(1), node(1), node(2), node(3)])
        assert ds.lookup_buf == [node(255), node(1), node(1), node(2), node(3)]
        assert keys(ds.new_tasks(0, {}, 3 * S, [])) == keys([dyn(1), dyn(2)])
        assert ds.lookup_buf == [node(3)]

    def test_only_one_lookup_runs_at_a_time(self) -> None:
        ds = Dialstate(config(max_dyn_dials=2))
        [discover] = ds.new_tasks(0, {}, 1 * S, [])
        assert ds.new_tasks(1, {}, 2 * S, []) == []
        ds.task_done(discover, 3 * S, [])
        assert keys(ds.new_tasks(0, {}, 4 * S, [])) == keys([DiscoverTask()])

    def test_no_lookup_while_the_buffer_holds_enough(self) -> None:
        ds = Dialstate(config(max_dyn_dials=2))
        [discover] = ds.new_tasks(0, {}, 1 * S, [])
        ds.task_done(discover, 2 * S, [node(1), node(2), node(3), node(4)])
        # need 2 -> n1, n2 dialed; buffer [n3, n4] (2) is not < need 0.
        assert keys(ds.new_tasks(0, {}, 3 * S, [])) == keys([dyn(1), dyn(2)])


class TestWait:
    """DS-WAIT-1, WAIT_EXPIRE and DS-DONE-1."""

    def test_a_wait_is_returned_only_when_idle_with_history(self) -> None:
        ds = Dialstate(config(static=[node(1)]))
        [dial] = ds.new_tasks(0, {}, 1 * S, [])
        assert ds.new_tasks(1, {}, 1 * S, []) == []
        ds.task_done(dial, 2 * S, [])
        assert ds.new_tasks(1, {}, 3 * S, []) == []
        assert ds.new_tasks(0, {}, 3 * S, []) == [WaitTask(29 * S)]

    def test_no_wait_without_history(self) -> None:
        ds = Dialstate(config())
        assert ds.new_tasks(0, {}, 1 * S, []) == []

    def test_a_wait_task_done_changes_nothing(self) -> None:
        ds = Dialstate(config(static=[node(1)]))
        [dial] = ds.new_tasks(0, {}, 1 * S, [])
        ds.task_done(dial, 2 * S, [])
        [wait] = ds.new_tasks(0, {}, 3 * S, [])
        before = (dict(ds.dialing), list(ds.lookup_buf), ds.lookup_running, len(ds.hist))
        ds.task_done(wait, 32 * S, [])
        assert (dict(ds.dialing), list(ds.lookup_buf), ds.lookup_running, len(ds.hist)) == before

    def test_a_wait_duration_saturates_like_go(self) -> None:
        ds = Dialstate(config(static=[node(1)]))
        [dial] = ds.new_tasks(0, {}, 1 * S, [])
        ds.task_done(dial, 2**63 - 1, [])
        assert ds.new_tasks(0, {}, -(2**63), []) == [WaitTask(2**63 - 1)]


class TestStatics:
    """DS-STATIC-1..5 and STATIC_REDIAL."""

    def test_the_same_static_task_object_is_returned_every_time_DS_STATIC_3(self) -> None:
        ds = Dialstate(config(static=[node(1)]))
        [first] = ds.new_tasks(0, {}, 1 * S, [])
        assert isinstance(first, DialTask)
        first.dest = node(1, ip="10.9.9.9")  # what a resolve would do
        ds.task_done(first, 2 * S, [])
        [second] = ds.new_tasks(0, {}, 33 * S, [])
        assert second is first
        assert isinstance(second, DialTask) and second.dest.ip == "10.9.9.9"

    def test_add_static_replaces_the_task_object(self) -> None:
        ds = Dialstate(config(static=[node(1)]))
        old = ds.static[nid(1)]
        ds.add_static(node(1, tcp=1))
        assert ds.static[nid(1)] is not old
        assert ds.static[nid(1)].dest == node(1, tcp=1)

    def test_a_static_resolved_outside_netrestrict_is_deleted(self) -> None:
        ds = Dialstate(config(static=[node(1)], netrestrict=["10.0.0.0/8"]))
        [task] = ds.new_tasks(0, {}, 1 * S, [])
        assert isinstance(task, DialTask)
        task.dest = node(1, ip="192.168.1.1")
        ds.task_done(task, 2 * S, [])
        assert ds.new_tasks(1, {}, 40 * S, []) == []
        assert nid(1) not in ds.static

    def test_an_incomplete_static_is_deleted_under_any_restriction(self) -> None:
        ds = Dialstate(config(static=[node(1, ip=None)], netrestrict=["0.0.0.0/0"]))
        assert ds.new_tasks(0, {}, 1 * S, []) == []
        assert ds.static == {}

    def test_a_static_refused_for_other_reasons_is_kept(self) -> None:
        ds = Dialstate(config(static=[node(1)]))
        assert ds.new_tasks(0, peers(n1=ConnFlag.INBOUND), 1 * S, []) == []
        assert nid(1) in ds.static

    def test_remove_static_of_an_unknown_node_is_harmless(self) -> None:
        ds = Dialstate(config(), Profile.GETH_1_8)
        ds.remove_static(node(7))
        assert ds.static == {}

    @pytest.mark.parametrize(
        ("profile", "expected"),
        [(Profile.GETH_1_7, [WaitTask(29 * S)]), (Profile.GETH_1_8, [static(1)])],
    )
    def test_remove_static_clears_history_only_under_geth_1_8(
        self, profile: Profile, expected: list[DialTask | WaitTask]
    ) -> None:
        ds = Dialstate(config(static=[node(1)]), profile)
        [dial] = ds.new_tasks(0, {}, 1 * S, [])
        ds.task_done(dial, 2 * S, [])
        ds.remove_static(node(1))
        ds.add_static(node(1))
        assert keys(ds.new_tasks(0, {}, 3 * S, [])) == keys(expected)

    def test_a_free_static_is_redialed_at_the_next_call(self) -> None:
        ds = Dialstate(config(static=[node(1)]))
        [dial] = ds.new_tasks(0, {}, 1 * S, [])
        ds.task_done(dial, 2 * S, [])
        assert ds.new_tasks(1, {}, 32 * S, []) == []
        assert ds.new_tasks(1, {}, 32 * S + 1, []) == [dial]


class TestTaskDone:
    """DS-HIST-1, DS-LOOKUP-3."""

    def test_a_finished_dial_enters_history_whatever_its_outcome(self) -> None:
        ds = Dialstate(config(max_dyn_dials=2))
        [task, _] = ds.new_tasks(0, {}, 1 * S, [node(1)])
        assert ds.dialing == {nid(1): ConnFlag.DYN}
        ds.task_done(task, 5 * S, [])
        assert nid(1) not in ds.dialing
        assert ds.hist.contains(nid(1)) and ds.hist.get_min_expiry() == 35 * S

    def test_a_finished_lookup_appends_all_results_unfiltered(self) -> None:
        ds = Dialstate(config(max_dyn_dials=2))
        [discover] = ds.new_tasks(0, {}, 1 * S, [])
        ds.lookup_buf = [node(9)]
        ds.task_done(discover, 2 * S, [node(255), node(1), node(1, ip=None)])
        assert not ds.lookup_running
        assert ds.lookup_buf == [node(9), node(255), node(1), node(1, ip=None)]


def test_dialstates_that_saw_the_same_calls_have_equal_snapshots_and_a_static_task_change_shows() -> None:
    def walk() -> Dialstate:
        ds = Dialstate(config(max_dyn_dials=2, static=[node(1, ip=None), node(2)], bootnodes=[node(7)]))
        ds.new_tasks(0, {}, 0, [node(3)])
        return ds

    first, second = walk(), walk()
    assert first.get_snapshot() == second.get_snapshot()
    assert dict(first.get_snapshot().static)[nid(1)] == (ConnFlag.STATIC.value, node(1, ip=None), 0, None)
    first.static[nid(1)].resolve_delay = 60 * SECOND
    assert first.get_snapshot() != second.get_snapshot()
