"""One world: the server loop's state and events, and the choosers both sources draw through."""

from __future__ import annotations

import random

from dialcheck.conformance.harness.session import Level, Session
from dialcheck.conformance.harness.world import (
    BOUNDARIES,
    Edge,
    RandomChooser,
    World,
    uint_id,
)
from dialcheck.reference.dialstate import Dialstate
from dialcheck.spec.model import DIAL_HISTORY_EXPIRATION, FALLBACK_INTERVAL, SECOND, Config, ConnFlag, Node, Profile

S = SECOND


def _world(start: int, static: tuple[Node, ...] = (), discovery: bool = True) -> World:
    cfg = Config(self_id=uint_id(0), max_dyn_dials=0, static=static)
    return World(Session.create(Dialstate, cfg, Profile.GETH_1_7, level=Level.STRICT), discovery, start, [])


def test_the_boundaries_are_geths_intervals_exactly_and_one_nanosecond_past() -> None:
    assert {FALLBACK_INTERVAL, FALLBACK_INTERVAL + 1, DIAL_HISTORY_EXPIRATION, DIAL_HISTORY_EXPIRATION + 1} <= set(
        BOUNDARIES
    )


def test_an_edge_is_measured_from_the_first_non_zero_call_or_the_last_finished_dial() -> None:
    at_zero = _world(0)
    at_zero.ask()  # a call at the zero instant is not the start (DS-TIME-2)
    assert at_zero.first_call is None and at_zero.get_instant(Edge.FALLBACK) is None
    world = _world(5 * S, static=(Node(uint_id(1), "10.0.0.1", 30303, 30303),))
    assert world.get_instant(Edge.EXPIRY) is None
    (dial,) = world.ask()
    assert world.get_instant(Edge.PAST_FALLBACK) == 5 * S + FALLBACK_INTERVAL + 1
    world.dial(dial, None, (True, False))
    world.now = 7 * S
    world.finish(dial)
    assert world.get_instant(Edge.EXPIRY) == 7 * S + DIAL_HISTORY_EXPIRATION
    world.move_to(Edge.EXPIRY)
    assert world.now == 7 * S + DIAL_HISTORY_EXPIRATION


def test_a_dial_that_connects_adds_the_peer_with_the_tasks_flag() -> None:
    world = _world(1 * S, static=(Node(uint_id(1), "10.0.0.1", 30303, 30303),))
    (dial,) = world.ask()
    moved = Node(uint_id(1), "10.0.0.101", 30304, 30304)
    world.dial(dial, moved, (False, True))  # executed: the first attempt fails, the resolved retry connects
    assert world.peers == {uint_id(1): ConnFlag.STATIC} and dial.executed


def test_an_inbound_node_already_connected_or_ourselves_draws_no_trust() -> None:
    world = _world(1 * S)
    asked: list[str] = []

    def trusted() -> bool:
        asked.append("asked")
        return True

    world.connect_inbound(Node(uint_id(0), "10.0.0.100", 1, 1), trusted)
    world.connect_inbound(Node(uint_id(2), "10.0.0.2", 1, 1), trusted)
    world.connect_inbound(Node(uint_id(2), "10.0.0.2", 1, 1), trusted)
    assert asked == ["asked"] and world.peers == {uint_id(2): ConnFlag.INBOUND | ConnFlag.TRUSTED}


def test_the_same_seed_gives_the_same_choices_and_a_weight_of_zero_is_never_chosen() -> None:
    def draw(seed: int) -> list[object]:
        chooser = RandomChooser(random.Random(seed))
        return [
            chooser.choice("abc"),
            chooser.integer(1, 6),
            chooser.coin(),
            chooser.chance(1, 3),
            chooser.fraction(),
        ]

    assert draw(7) == draw(7)
    chooser = RandomChooser(random.Random(7))
    assert {chooser.weighted((("never", 0), ("always", 1))) for _ in range(50)} == {"always"}
