"""dialstate's scopes for bounded exhaustive checking: the instants, outcomes and values a scope explores.

A :class:`Scope` declares a small world: configurations and start instants (the roots), what
the discovery table may hold, which nodes may connect inbound or be added and removed as
statics, what a lookup may return, the abstract instants the clock may move to
(:class:`Instant`: no time, 1 ns, the fallback and expiry boundaries exactly and 1 ns past, far
future, 1 ns back) and a depth.  Its happenings are the :class:`~dialcheck.conformance.harness.world.World`'s,
their arguments drawn from the scope (:class:`ScopeDraws`); no two ways of one happening have the
same effect (two instants that move the clock to the same time are one).  States merge by the
reference twin's snapshot and the world around it, times made relative to the clock
(:func:`get_state_key`), and by the events since the last ``new_tasks`` call.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Optional

from dialcheck.conformance.harness.session import Session, get_task_ref
from dialcheck.conformance.harness.world import (
    UNIVERSE,
    BranchingChooser,
    Chooser,
    DialDraws,
    DialHappening,
    Edge,
    World,
    get_resolve_answers,
    uint_id,
)
from dialcheck.conformance.runs.exhaustive.search import Preset, StateKey, Transition
from dialcheck.reference.dialstate import Snapshot
from dialcheck.spec.model import (
    FALLBACK_INTERVAL,
    HOUR,
    LOOKUP_INTERVAL,
    MAX_DURATION,
    SECOND,
    ZERO_TIME,
    Config,
    ConnFlag,
    DialTask,
    DiscoverTask,
    Node,
    get_rules,
    get_task_key,
)

__all__ = ["Instant", "Outcome", "Scope", "ScopeDraws", "PRESETS", "get_state_key"]


class Instant(enum.Enum):
    """Where the clock may move before a ``new_tasks`` call (the first call is always at the start)."""

    NOW = "no time passes"
    NEXT = "1 ns later"
    FALLBACK = "exactly the fallback interval after the first non-zero call"
    PAST_FALLBACK = "the fallback interval + 1 ns after the first non-zero call"
    EXPIRY = "exactly the history lifetime after the last finished dial"
    PAST_EXPIRY = "the history lifetime + 1 ns after the last finished dial"
    FAR = "1 h later"
    BACK = "1 ns back"


_EDGES = {
    Instant.FALLBACK: Edge.FALLBACK,
    Instant.PAST_FALLBACK: Edge.PAST_FALLBACK,
    Instant.EXPIRY: Edge.EXPIRY,
    Instant.PAST_EXPIRY: Edge.PAST_EXPIRY,
}

_MOVES = {Instant.NOW: 0, Instant.NEXT: 1, Instant.FAR: HOUR, Instant.BACK: -1}


class Outcome(enum.Enum):
    """What happens to a dial: it connects, fails, or has only completed its handshake (the task keeps running)."""

    CONNECTS = "connects"
    FAILS = "fails"
    HANDSHAKE_ONLY = "handshake only"


@dataclass(frozen=True)
class _Root:
    config: Config
    start: int
    discovery: bool


@dataclass(frozen=True)
class Scope:
    """A small world to explore exhaustively; every field is part of the name a certificate quotes."""

    name: str
    depth: int
    configs: tuple[Config, ...]
    start_times: tuple[int, ...] = (0,)
    #: The table at the start is the first; the others are what it may change to.
    tables: tuple[tuple[Node, ...], ...] = ((),)
    lookup_results: tuple[tuple[Node, ...], ...] = ((),)
    inbound: tuple[Node, ...] = ()
    statics: tuple[Node, ...] = ()
    instants: tuple[Instant, ...] = tuple(Instant)
    outcomes: tuple[Outcome, ...] = (Outcome.CONNECTS, Outcome.FAILS)
    #: Whether the server has a discovery table that resolves (matters only when tasks are executed).
    discovery: tuple[bool, ...] = (True,)

    def describe(self) -> str:
        """Return the scope's exact name: the preset and every value it explores."""
        configs = "; ".join(_describe_config(c) for c in self.configs)
        parts = [
            f"configs [{configs}]",
            f"start {_seconds(self.start_times)}",
            f"tables {_node_lists(self.tables)}",
            f"lookups {_node_lists(self.lookup_results)}",
            f"inbound {_node_names(self.inbound)}",
            f"statics {_node_names(self.statics)}",
            f"instants {', '.join(i.name.lower() for i in self.instants)}",
            f"outcomes {', '.join(o.name.lower() for o in self.outcomes)}",
            f"discovery {', '.join(str(d).lower() for d in self.discovery)}",
        ]
        return f"{self.name} ({'; '.join(parts)})"

    def get_roots(self) -> list[_Root]:
        """Return every configuration, start and discovery of the scope."""
        return [_Root(c, s, d) for c in self.configs for s in self.start_times for d in self.discovery]

    def begin(self, session: Session, root: _Root) -> World:
        """Return the world around ``session`` at ``root``'s start, with the scope's first table."""
        return World(session, root.discovery, root.start, list(self.tables[0]))

    def get_happenings(self, world: World) -> tuple[DialHappening, ...]:
        """Return the happenings with something of the scope to draw now (all but everything finishing at once)."""
        draws = ScopeDraws(self)
        return tuple(h for h in world.get_possible() if draws.is_possible(world, h))

    def happen(self, world: World, happening: DialHappening, chooser: BranchingChooser) -> None:
        """Make ``happening`` happen to ``world``, its arguments drawn from the scope."""
        world.happen(happening, chooser, ScopeDraws(self))

    def get_key(self, root: _Root, path: tuple[Transition, ...], world: World) -> object:
        """Return the reference's state and the world's, and the events since the last ``new_tasks`` call.

        Below ``strict``, a session whose twin could not follow the implementation has no reference state:
        its key is the path itself (no merging from there on).
        """
        if world.session.twin is None:
            return path
        return get_state_key(world, self.depth), _get_pending(path)


def _name(node: Node) -> str:
    """Return ``n3`` for a node of the universe, ``n4?`` without an IP, ``n1@10.0.0.101:30304`` elsewhere."""
    index = next((i for i, n in enumerate(UNIVERSE) if n.id == node.id), None)
    base = f"n{index}" if index is not None else node.id[:8]
    if node.ip is None:
        return f"{base}?"
    return base if index is not None and UNIVERSE[index] == node else f"{base}@{node.ip}:{node.tcp}"


def _node_names(nodes: Sequence[Node]) -> str:
    return "[" + " ".join(_name(n) for n in nodes) + "]"


def _node_lists(lists: Sequence[Sequence[Node]]) -> str:
    return "{" + ", ".join(_node_names(nodes) for nodes in lists) + "}"


def _seconds(times: Sequence[int]) -> str:
    return "{" + ", ".join(f"{t / SECOND:g}s" for t in times) + "}"


def _describe_config(config: Config) -> str:
    self_index = next((i for i, n in enumerate(UNIVERSE) if n.id == config.self_id), None)
    netrestrict = "none" if config.netrestrict is None else "[" + " ".join(config.netrestrict) + "]"
    return (
        f"self n{self_index} max {config.max_dyn_dials} static {_node_names(config.static)} "
        f"boot {_node_names(config.bootnodes)} net {netrestrict}"
    )


def _get_target(world: World, instant: Instant) -> Optional[int]:
    """Return the instant the clock moves to, or ``None`` when the event it is measured from has not happened."""
    if instant in _EDGES:
        edge = world.get_instant(_EDGES[instant])
        return None if edge is None else max(world.now, edge)
    return world.now + _MOVES[instant]


@dataclass(frozen=True)
class ScopeDraws(DialDraws):
    """Every value of a scope, one branch each: the happenings' arguments for bounded exhaustive checking."""

    scope: Scope

    def is_possible(self, world: World, happening: DialHappening) -> bool:
        """Return whether the scope has anything to draw for ``happening`` now."""
        if happening is DialHappening.EVERYTHING_FINISHES:
            return False  # every task finishing is a sequence of single ones, each explored
        if happening is DialHappening.INBOUND_PEER_CONNECTS:
            return bool(self._get_inbound(world))
        if happening in (DialHappening.STATIC_ADDED, DialHappening.STATIC_REMOVED):
            return bool(self.scope.statics)
        if happening is DialHappening.TABLE_CHANGES:
            return any(t != tuple(world.table) for t in self.scope.tables)
        return True

    def new_tasks(self, world: World, chooser: Chooser) -> None:
        """The clock moves to one of the scope's instants (none before the first call) and the server asks."""
        if world.called:
            targets: dict[int, Instant] = {}
            for instant in self.scope.instants:
                target = _get_target(world, instant)
                if target is not None:
                    targets.setdefault(target, instant)  # no two instants with the same effect
            world.now = chooser.choice(list(targets))
        world.ask()

    def task_progresses(self, world: World, chooser: Chooser) -> None:
        """An outstanding task finishes: a dial with each outcome (and, executed, each answer that can matter),
        a lookup with each of the scope's results, a wait.
        """
        session = world.session
        refs = list(dict.fromkeys(get_task_ref(e.task) for e in session.get_canonical_outstanding()))
        entry = session.find(chooser.choice(refs))
        assert entry is not None
        task = entry.task
        if isinstance(task, DialTask):
            outcome = chooser.choice(self.scope.outcomes)
            executed = world.needs_execution(entry)
            static = ConnFlag.STATIC in task.flag
            resolves = executed and world.discovery and (task.dest.is_incomplete() or static)
            found = chooser.choice(get_resolve_answers(task.dest.id)) if resolves else None
            retries = executed and static and outcome is not Outcome.CONNECTS
            retry = chooser.choice((False, True)) if retries else False
            world.dial(entry, found, (outcome is not Outcome.FAILS, retry))
            if outcome is not Outcome.HANDSHAKE_ONLY:
                world.finish(entry)
        elif isinstance(task, DiscoverTask):
            world.finish(entry, chooser.choice(self.scope.lookup_results))
        else:
            world.finish(entry)

    def everything_finishes(self, world: World, chooser: Chooser) -> None:
        """Not explored: :meth:`is_possible` says so."""
        raise AssertionError("every task finishing at once is not a happening of an exhaustive scope")

    def peer_drops(self, world: World, chooser: Chooser) -> None:
        """Each peer disconnects."""
        del world.peers[chooser.choice(sorted(world.peers))]

    def inbound_peer_connects(self, world: World, chooser: Chooser) -> None:
        """Each of the scope's inbound nodes not connected yet connects to us, untrusted."""
        world.connect_inbound(chooser.choice(self._get_inbound(world)), lambda: False)

    def get_static(self, world: World, chooser: Chooser) -> Node:
        """Return each of the scope's statics."""
        return chooser.choice(self.scope.statics)

    def get_table(self, world: World, chooser: Chooser) -> list[Node]:
        """Return each of the scope's tables other than the current one."""
        return list(chooser.choice([t for t in self.scope.tables if t != tuple(world.table)]))

    def _get_inbound(self, world: World) -> list[Node]:
        self_id = world.session.config.self_id
        return [n for n in self.scope.inbound if n.id not in world.peers and n.id != self_id]


def _get_pending(path: tuple[Transition, ...]) -> tuple[str, ...]:
    """Return the events since the last ``new_tasks`` call, as a sorted multiset of what they chose."""
    pending: list[str] = []
    for transition in reversed(path):
        if transition.happening is DialHappening.NEW_TASKS:
            break
        pending.append(repr((transition.happening.name, transition.chosen)))
    return tuple(sorted(pending))


#: A time further in the past than any rule looks.
_LONG_AGO = "long ago"


def get_state_key(world: World, slack: int) -> StateKey:
    """Return the state ``world`` is in: the reference twin's snapshot and the world around it, time made relative.

    The implementation's own state is not part of it: at ``strict`` level its answers equal the twin's.
    Once the reference has started, its behaviour depends on differences of times only (spec section
    2: ``start`` and every later time are compared with ``now``), so every time is given relative to
    ``now``, and a time so far in the past that no rule can tell it from any other (the clock can move
    back by at most ``slack`` ns before the search ends) is given as :data:`_LONG_AGO`.  Before the
    start every time is kept as it is: the zero instant means "not started" (DS-TIME-2).
    """
    session = world.session
    twin = session.twin
    assert twin is not None
    snapshot: Snapshot = twin.get_snapshot()
    now = world.now
    relative = snapshot.start != ZERO_TIME
    life = get_rules(session.profile).history_expiration

    def since(instant: Optional[int], horizon: int) -> object:
        """Return ``instant`` as the key holds it: relative to now, or long ago past ``horizon``."""
        if instant is None or not relative:
            return instant
        return _LONG_AGO if now - instant > horizon + slack else instant - now

    def task_state(task: DialTask) -> tuple[object, ...]:
        return (task.flag.value, task.dest, task.resolve_delay, since(task.last_resolved, task.resolve_delay))

    statics = tuple((node_id, task_state(twin.static[node_id])) for node_id, _ in snapshot.static)
    # Every entry expires at or after the last call's now (that call dropped the others): relative, exactly.
    history = tuple((since(expiry, MAX_DURATION), node_id) for expiry, node_id in snapshot.history)
    entries: list[tuple[object, ...]] = []
    for entry in session.outstanding:
        twin_task = entry.twin
        if twin_task is None:  # below strict, a task the twin did not give (the implementation's own)
            entries.append(("unpaired", get_task_key(entry.task), entry.executed))
        elif isinstance(twin_task, DialTask):
            stored = twin.static.get(twin_task.dest.id) is twin_task
            entries.append(("dial", entry.executed, stored, task_state(twin_task)))
        else:
            entries.append((get_task_key(twin_task), entry.executed))
    return (
        replace(snapshot, start=ZERO_TIME, static=(), history=()),
        since(snapshot.start, FALLBACK_INTERVAL),
        statics,
        history,
        world.discovery,
        None if relative else now,
        world.called,
        since(world.first_call, FALLBACK_INTERVAL + 1),
        since(world.last_dial_done, life + 1),
        since(world.last_lookup, LOOKUP_INTERVAL),
        tuple(sorted((node_id, flag.value) for node_id, flag in world.peers.items())),
        tuple(world.table),
        tuple(sorted(entries, key=repr)),
    )


N = UNIVERSE

_N4 = Node(uint_id(4), None)  # incomplete: resolved to n4 or not at all

_N1_MOVED = Node(uint_id(1), "10.0.0.101", 30304, 30304)

_SELF = uint_id(0)

_CIDR = ("10.0.0.0/24",)

_ALL_CHECKS = Scope(
    name="zoo/checks",
    depth=4,
    configs=(
        Config(_SELF, 2, static=(N[1],), bootnodes=(N[2],)),
        Config(N[3].id, 1, static=(N[3], N[11]), bootnodes=(N[3], N[1]), netrestrict=_CIDR),
        Config(_SELF, 1, static=(N[1],), netrestrict=()),
        Config(_SELF, 4, bootnodes=(N[1], N[2])),
    ),
    start_times=(0, SECOND),
    tables=((N[1], N[2], N[3]), ()),
    lookup_results=((), (N[2], N[2], _N4), (N[0], N[3], N[11])),
    inbound=(N[1],),
    statics=(N[1], _N1_MOVED),
)

_EXECUTION = Scope(
    name="zoo/execution",
    depth=5,
    configs=(Config(_SELF, 0, static=(_N4, N[1])), Config(_SELF, 0, static=(N[1],))),
    instants=(Instant.NOW, Instant.NEXT, Instant.PAST_EXPIRY, Instant.FAR),
    discovery=(True, False),
)

_LOOKUPS = Scope(
    name="zoo/lookups",
    depth=9,
    configs=(Config(_SELF, 1),),
    lookup_results=((), (N[1],), (N[1], N[1], N[2])),
    instants=(Instant.NOW, Instant.PAST_EXPIRY),
)

#: The presets, by name.  ``zoo`` kills every seeded bug of the zoo (tests/conformance/test_exhaustive.py).
PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "tiny",
            "a first look in a few seconds",
            (
                Scope(
                    name="tiny",
                    depth=5,
                    configs=(Config(_SELF, 1), Config(_SELF, 2, static=(N[1],), bootnodes=(N[2],))),
                    tables=((N[2],),),
                    lookup_results=((), (N[1], N[2])),
                    inbound=(N[1],),
                    statics=(N[2],),
                ),
            ),
        ),
        Preset("zoo", "every seeded bug of the zoo is killed here", (_ALL_CHECKS, _EXECUTION, _LOOKUPS)),
    )
}

_I = Instant

#: ``dialcheck run``'s opening pass (``runner.py``): small scopes explored cheapest first, chosen so that every
#: zoo member whose counterexample is short is found in them, the boundaries exactly (docs/exhaustive.md).
PRESETS["opening"] = Preset(
    "opening",
    "what dialcheck run explores first: small scopes, every boundary, cheapest depth first",
    (
        # The bootnode fallback: exactly 20 s and 1 ns past it, with the table empty or not, a peer or none.
        Scope(
            name="opening/fallback",
            depth=4,
            configs=(Config(_SELF, 2, bootnodes=(N[1], N[2])), Config(_SELF, 1, static=(N[3],), bootnodes=(N[1],))),
            start_times=(SECOND,),
            tables=((), (N[3],)),
            inbound=(N[3],),
            instants=(_I.NOW, _I.NEXT, _I.FALLBACK, _I.PAST_FALLBACK),
            outcomes=(Outcome.CONNECTS,),
        ),
        # The dynamic budget beside a static: its dial, its peer, the history entry's expiry.
        Scope(
            name="opening/budget",
            depth=4,
            configs=(Config(_SELF, 2, static=(N[1],)),),
            start_times=(SECOND,),
            tables=((N[2],),),
            instants=(_I.NOW, _I.PAST_EXPIRY),
        ),
        # The clock's edges around a bootnode: the fallback, the expiry, a clock moved back; a table that empties
        # and refills (with a node without an IP), a lookup returning one node twice.
        Scope(
            name="opening/time",
            depth=3,
            configs=(Config(_SELF, 2, bootnodes=(N[1],)), Config(N[3].id, 1, bootnodes=(N[3], N[1]))),
            start_times=(SECOND,),
            tables=((), (N[1],), (_N4, N[2])),
            lookup_results=((N[2], N[2]),),
            instants=(_I.NOW, _I.EXPIRY, _I.PAST_EXPIRY, _I.BACK, _I.FALLBACK),
            outcomes=(Outcome.FAILS,),
        ),
        # A static without an IP, executed: resolves, their throttle, the history and the wait.
        Scope(
            name="opening/resolve",
            depth=4,
            configs=(Config(_SELF, 0, static=(_N4,)),),
            instants=(_I.NOW, _I.NEXT, _I.FAR),
        ),
        # A static removed after its dial: its history entry (DS-STATIC-5), its expiry exactly and 1 ns past, and a
        # dynamic dial of it again.
        Scope(
            name="opening/statics",
            depth=4,
            configs=(Config(_SELF, 2, static=(N[1],)),),
            start_times=(SECOND,),
            tables=((N[1],),),
            statics=(N[1],),
            instants=(_I.NOW, _I.EXPIRY, _I.PAST_EXPIRY),
            outcomes=(Outcome.FAILS,),
        ),
        replace(_LOOKUPS, name="opening/lookups"),
        replace(_EXECUTION, name="opening/execution", depth=3),
        replace(_ALL_CHECKS, name="opening/checks", depth=3),
    ),
)
