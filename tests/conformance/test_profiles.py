"""Each profile is one row of a table, and the reference, the invariants and the execution rules read that row."""

from __future__ import annotations

import pytest
from support import config, dyn, node, static

from dialcheck.conformance.oracle.execution_checks import ExecutionChecker, compare_executions
from dialcheck.conformance.oracle.invariants import InvariantChecker
from dialcheck.reference.dialstate import Dialstate
from dialcheck.spec.execution import Execution, ExecutionInput, Lookup, Sleep, read_nodes
from dialcheck.spec.model import PROFILE_RULES, SECOND, DiscoverTask, Node, Profile, get_rules, get_task_key
from dialcheck.spec.verdicts import Verdict

S = SECOND


def test_the_profiles_are_a_table_with_a_row_each_and_the_geth_releases_it_covers() -> None:
    assert set(PROFILE_RULES) == set(Profile)
    assert [get_rules(p).history_expiration for p in Profile] == [30 * S, 30 * S, 35 * S, 35 * S]
    assert [p for p in Profile if get_rules(p).remove_static_clears_history] == [Profile.GETH_1_8]
    assert [p for p in Profile if not get_rules(p).reads_table] == [Profile.GETH_1_9_7]
    assert get_rules(Profile.GETH_1_9_7).releases == "v1.9.7 - v1.9.10"


@pytest.mark.parametrize(("profile", "blocked_until"), [(Profile.GETH_1_8, 32 * S), (Profile.GETH_1_9, 37 * S)])
def test_a_finished_dial_blocks_its_node_for_the_profile_s_lifetime_DS_HIST_1(
    profile: Profile, blocked_until: int
) -> None:
    state = Dialstate(config(static=[node(1)]), profile)
    (task,) = state.new_tasks(0, {}, 1 * S, [])
    state.task_done(task, 2 * S, [])
    assert [get_task_key(t) for t in state.new_tasks(0, {}, blocked_until, [])] == [("wait", 0)]
    assert state.new_tasks(0, {}, blocked_until + 1, []) == [task]


@pytest.mark.parametrize("profile", list(Profile))
def test_only_geth_1_8_clears_history_on_remove_static_DS_STATIC_5(profile: Profile) -> None:
    state = Dialstate(config(static=[node(1)]), profile)
    (task,) = state.new_tasks(0, {}, 1 * S, [])
    state.task_done(task, 2 * S, [])
    state.remove_static(node(1))
    assert (len(state.hist) == 0) is (profile is Profile.GETH_1_8)


def test_geth_1_9_7_reads_no_table_and_asks_the_iterator_for_the_need_DS_ITER_1() -> None:
    state = Dialstate(config(max_dyn_dials=4), Profile.GETH_1_9_7)
    (lookup,) = state.new_tasks(0, {}, 1 * S, [node(1), node(2)])
    assert isinstance(lookup, DiscoverTask) and lookup.want == 4
    older = Dialstate(config(max_dyn_dials=4), Profile.GETH_1_9)
    answer = older.new_tasks(0, {}, 1 * S, [node(1), node(2)])
    assert {get_task_key(t) for t in answer} == {get_task_key(dyn(1)), get_task_key(dyn(2)), ("discover",)}


def test_reading_the_iterator_takes_at_most_want_items_and_drops_duplicates_EX_ITER_1() -> None:
    moved = Node(node(3).id, "10.0.0.33", 1, 1)
    assert read_nodes([node(3), moved, node(4)], 2) == (moved,)
    assert read_nodes([node(3), node(4)], 5) == (node(3), node(4))
    assert read_nodes([node(3)], 0) == ()


def test_a_lookup_under_geth_1_9_7_does_not_sleep_and_its_results_carry_no_order_EX_ITER_1() -> None:
    inputs = ExecutionInput(2 * S, lookup=(node(3), node(4)), last_lookup=1 * S)
    state = Dialstate(config(max_dyn_dials=2), Profile.GETH_1_9_7)
    (lookup,) = state.new_tasks(0, {}, 1 * S, [])
    assert state.execute(lookup, inputs) == Execution((Lookup((node(3), node(4))),))
    checker = ExecutionChecker(get_rules(Profile.GETH_1_9_7))
    assert checker.on_execute(lookup, None, inputs, Execution((Lookup((node(4), node(3))),))) == []
    spaced = Execution((Sleep(3 * S), Lookup((node(3), node(4)))))
    assert [v.check for v in checker.on_execute(lookup, None, inputs, spaced)] == [Verdict.EX_ITER_1]
    reversed_ = Execution((Lookup((node(4), node(3))),))
    assert compare_executions(Execution((Lookup((node(3), node(4))),)), reversed_, unordered_lookup=True) is None
    assert compare_executions(Execution((Lookup((node(3), node(4))),)), reversed_) is not None


def test_a_discover_task_must_ask_for_exactly_the_need_under_geth_1_9_7_and_for_nothing_before_LOOKUP_WANT() -> None:
    checker = InvariantChecker(config(max_dyn_dials=3), Profile.GETH_1_9_7)
    dials = [dyn(1)]
    violations = checker.on_new_tasks(1, {}, 1 * S, [], [*dials, DiscoverTask(3)])
    assert {v.check for v in violations} == {Verdict.LOOKUP_WANT, Verdict.KNOWN_CANDIDATE}  # n1 came from nowhere
    assert "must ask for 2" in next(v.message for v in violations if v.check is Verdict.LOOKUP_WANT)
    fine = InvariantChecker(config(max_dyn_dials=3), Profile.GETH_1_9_7)
    assert fine.on_new_tasks(1, {}, 1 * S, [], [DiscoverTask(3)]) == []
    older = InvariantChecker(config(max_dyn_dials=3), Profile.GETH_1_9)
    assert [v.check for v in older.on_new_tasks(1, {}, 1 * S, [], [DiscoverTask(3)])] == [Verdict.LOOKUP_WANT]


def test_a_table_node_dialed_under_geth_1_9_7_breaks_random_half_RANDOM_HALF() -> None:
    checker = InvariantChecker(config(max_dyn_dials=4), Profile.GETH_1_9_7)
    violations = checker.on_new_tasks(1, {}, 1 * S, [node(1)], [dyn(1)])
    assert [v.check for v in violations] == [Verdict.RANDOM_HALF]
    assert "never reads the table" in violations[0].message


def test_history_expiry_follows_the_profile_s_lifetime_HISTORY_EXPIRY() -> None:
    checker = InvariantChecker(config(static=[node(1)]), Profile.GETH_1_9)
    assert checker.on_new_tasks(1, {}, 1 * S, [], [static(1)]) == []
    checker.on_task_done(static(1), 2 * S, [])
    blocked = checker.on_new_tasks(1, {}, 37 * S, [], [static(1)])
    assert Verdict.HISTORY_EXPIRY in {v.check for v in blocked}
