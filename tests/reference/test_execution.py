"""Task execution (geth's Do methods) against an injected environment, expectations by hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from support import nid, node

from dialcheck.reference.execution import (
    Connect,
    Environment,
    Lookup,
    Resolve,
    Sleep,
    execute_task,
)
from dialcheck.spec import model
from dialcheck.spec.model import HOUR, SECOND, ConnFlag, DialTask, DiscoverTask, Node, NodeID, WaitTask

S = SECOND


class World:
    """A scripted network: resolve answers by ID, dial outcomes by IP, lookup results."""

    def __init__(
        self,
        resolves: Optional[dict[NodeID, Optional[Node]]] = None,
        reachable: Sequence[str] = (),
        found: Sequence[Node] = (),
    ) -> None:
        self.resolves = resolves or {}
        self.reachable = set(reachable)
        self.found = list(found)

    def resolve(self, node_id: NodeID) -> Optional[Node]:
        return self.resolves.get(node_id)

    def dial(self, dest: Node) -> bool:
        return dest.ip in self.reachable

    def lookup(self) -> Sequence[Node]:
        return self.found

    def env(self, now: int, discovery: bool = True, last_lookup: Optional[int] = None) -> Environment:
        return Environment(now, self.resolve if discovery else None, self.dial, self.lookup, last_lookup)


def test_an_incomplete_destination_is_resolved_then_dialed_INCOMPLETE_NEEDS_RESOLVE() -> None:
    moved = node(1, ip="10.1.1.1")
    world = World({nid(1): moved}, reachable=["10.1.1.1"])
    task = DialTask(ConnFlag.DYN, node(1, ip=None))
    assert execute_task(task, world.env(5 * S)) == [Resolve(nid(1), moved), Connect(moved, True)]
    assert task.dest == moved and task.last_resolved == 5 * S and task.resolve_delay == 60 * S


def test_an_incomplete_destination_that_does_not_resolve_is_not_dialed_INCOMPLETE_NEEDS_RESOLVE() -> None:
    task = DialTask(ConnFlag.DYN, node(1, ip=None))
    assert execute_task(task, World().env(5 * S)) == [Resolve(nid(1), None)]


def test_a_dynamic_dial_is_not_retried_STATIC_RETRY() -> None:
    task = DialTask(ConnFlag.DYN, node(1))
    world = World({nid(1): node(1, ip="10.1.1.1")}, reachable=["10.1.1.1"])
    assert execute_task(task, world.env(5 * S)) == [Connect(node(1), False)]


def test_a_failed_static_dial_resolves_and_dials_again_STATIC_RETRY() -> None:
    moved = node(1, ip="10.1.1.1")
    task = DialTask(ConnFlag.STATIC, node(1))
    world = World({nid(1): moved}, reachable=["10.1.1.1"])
    assert execute_task(task, world.env(5 * S)) == [
        Connect(node(1), False),
        Resolve(nid(1), moved),
        Connect(moved, True),
    ]
    # EX-RESOLVE-4: the endpoint sticks for the next dial.
    assert execute_task(task, world.env(100 * S)) == [Connect(moved, True)]


def test_a_failed_static_dial_whose_resolve_fails_is_not_retried_STATIC_RETRY() -> None:
    task = DialTask(ConnFlag.STATIC, node(1))
    assert execute_task(task, World().env(5 * S)) == [Connect(node(1), False), Resolve(nid(1), None)]


def test_an_incomplete_static_resolved_moments_ago_is_not_retried_STATIC_RETRY() -> None:
    found = node(1, ip="10.1.1.1")
    task = DialTask(ConnFlag.STATIC, node(1, ip=None))
    # The retry resolve at the same instant is throttled (0 s < 60 s).
    assert execute_task(task, World({nid(1): found}).env(5 * S)) == [Resolve(nid(1), found), Connect(found, False)]


def test_without_discovery_nothing_resolves_and_the_delay_is_untouched_EX_RESOLVE_1() -> None:
    task = DialTask(ConnFlag.STATIC, node(1, ip=None))
    assert execute_task(task, World().env(5 * S, discovery=False)) == []
    assert task.resolve_delay == 0 and task.last_resolved is None


def test_resolves_are_throttled_and_back_off_doubling_to_an_hour_RESOLVE_THROTTLE_RESOLVE_BACKOFF() -> None:
    task = DialTask(ConnFlag.DYN, node(1, ip=None))
    world = World()
    now = 10 * S
    assert execute_task(task, world.env(now)) == [Resolve(nid(1), None)]
    assert task.resolve_delay == 120 * S  # doubled before it is next used: a geth quirk
    assert execute_task(task, world.env(now + 120 * S - 1)) == []
    delays = []
    for _ in range(8):
        now += task.resolve_delay
        assert execute_task(task, world.env(now)) == [Resolve(nid(1), None)]
        delays.append(task.resolve_delay // S)
    assert delays == [240, 480, 960, 1920, 3600, 3600, 3600, 3600]
    assert task.resolve_delay == HOUR


def test_a_successful_resolve_resets_the_delay_EX_RESOLVE_4() -> None:
    task = DialTask(ConnFlag.DYN, node(1, ip=None), resolve_delay=HOUR, last_resolved=0)
    found = node(1, ip="10.1.1.1")
    assert execute_task(task, World({nid(1): found}).env(HOUR)) == [Resolve(nid(1), found), Connect(found, False)]
    assert task.resolve_delay == 60 * S and task.dest == found


def test_the_first_lookup_does_not_wait_LOOKUP_SPACING() -> None:
    env = World(found=[node(3)]).env(1 * S)
    assert execute_task(DiscoverTask(), env) == [Lookup((node(3),))]
    assert env.last_lookup == 1 * S


def test_lookups_start_four_seconds_apart_LOOKUP_SPACING() -> None:
    env = World(found=[node(3)]).env(11 * S, last_lookup=10 * S)
    assert execute_task(DiscoverTask(), env) == [Sleep(3 * S), Lookup((node(3),))]
    assert env.last_lookup == 14 * S
    later = World().env(14 * S, last_lookup=10 * S)
    assert execute_task(DiscoverTask(), later) == [Lookup(())]
    assert later.last_lookup == 14 * S


def test_a_wait_task_sleeps_for_its_duration_and_never_negative_EX_WAIT_1() -> None:
    assert execute_task(WaitTask(29 * S), World().env(0)) == [Sleep(29 * S)]
    assert execute_task(WaitTask(-5), World().env(0)) == [Sleep(0)]


def test_execute_with_input_answers_from_the_inputs_and_reports_the_dial_state() -> None:
    from support import config

    from dialcheck.reference.dialstate import Dialstate
    from dialcheck.spec.execution import DialState, Execution, ExecutionInput

    moved = Node(nid(1), "10.0.0.101", 30304, 0)
    task = DialTask(ConnFlag.STATIC, node(1))
    ds = Dialstate(config(static=[node(1)]))
    got = ds.execute(task, ExecutionInput(now=5 * S, resolved=moved, connects=(False, True)))
    assert got == Execution(
        (Connect(node(1), False), Resolve(nid(1), moved), Connect(moved, True)),
        DialState(60 * S, 5 * S, moved),
    )
    # Without discovery nothing resolves, and attempts beyond the list fail.
    other = DialTask(ConnFlag.STATIC, node(2))
    got = ds.execute(other, ExecutionInput(now=6 * S, discovery=False, resolved=node(2)))
    assert got == Execution((Connect(node(2), False),), DialState(0, None, node(2)))


def test_execute_with_input_runs_lookups_and_waits_without_dial_state() -> None:
    from dialcheck.reference.execution import execute_with_input
    from dialcheck.spec.execution import Execution, ExecutionInput

    found = (node(3),)
    got = execute_with_input(DiscoverTask(), ExecutionInput(now=1 * S, lookup=found, last_lookup=0))
    assert got == Execution((Sleep(3 * S), Lookup(found)))
    assert execute_with_input(WaitTask(-5), ExecutionInput(now=0)) == Execution((Sleep(0),))


def test_under_1_9_7_a_discover_task_reads_want_nodes_from_the_iterator_without_sleeping_EX_ITER_1() -> None:
    rules = model.get_rules(model.Profile.GETH_1_9_7)
    moved = node(3, ip="10.3.3.3")
    env = World(found=[node(3), node(4), moved, node(5)]).env(11 * S, last_lookup=10 * S)
    # Three reads: n3, n4, then n3 again at its new address, which replaces the first.
    assert execute_task(DiscoverTask(want=3), env, rules) == [Lookup((moved, node(4)))]
    assert env.last_lookup == 10 * S
    assert execute_task(DiscoverTask(), env, rules) == [Lookup(())]
