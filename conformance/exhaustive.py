"""Bounded exhaustive checking: every event sequence of a small scope, breadth first, merged by the reference's state.

Theory of operation
-------------------
A :class:`Scope` declares a small world: configurations and start instants
(the roots), what the discovery table may hold, which nodes may connect
inbound or be added and removed as statics, what a lookup may return, the
abstract instants the clock may move to (:class:`Instant`: no time, 1 ns, the
fallback and expiry boundaries exactly and 1 ns past, far future, 1 ns back)
and a depth.  :func:`check_exhaustively` explores every sequence of the
scope's events (:func:`get_events`) up to that depth, breadth first, from
every root:

* every transition (a state and one event) is replayed from its root into a
  fresh session of the implementation, judged at ``strict`` level against the
  reference twin and the named checks, exactly as ``dialcheck run`` judges
  (the same :class:`~dialcheck.conformance.world.World` and
  :class:`~dialcheck.conformance.session.Session`; one ``--cmd`` process
  serves every session);
* the state a transition reaches is the reference twin's
  :meth:`~dialcheck.reference.dialstate.Dialstate.get_snapshot` together with
  the world around it (:func:`get_state_key`); a state seen before is not
  explored again, so sequences that reach the same reference state merge and
  the depth grows cheaply;
* the first failing transition is a shortest counterexample in events (the
  search is breadth first); it is saved as a trace that ``dialcheck replay``
  reproduces.  Otherwise the result is a certificate: "no divergence in scope
  S up to depth N: K states, M transitions, T s".

What the certificate promises: every event of the scope was applied, and
judged, in every reference state reachable within the depth, each state
reached by its first shortest path.  An implementation whose own state
differs between two paths to the same reference state is judged on the
first; that is what merging means.
"""

from __future__ import annotations

import enum
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional, Protocol, Union, cast

from dialcheck.conformance.family import DIALSTATE, AnyProfile, Family, family_of
from dialcheck.conformance.ids import resize_trace
from dialcheck.conformance.minimize import settle
from dialcheck.conformance.scheduler_format import SchedulerTrace, any_trace_to_json
from dialcheck.conformance.session import Failure, Level, Nonconformance, SchedulerSession, Session, get_task_ref
from dialcheck.conformance.trace import AddStaticStep, RemoveStaticStep, TaskRef, Trace, save_document
from dialcheck.conformance.workers import FactoryOpener, Workers, get_shared_opener
from dialcheck.conformance.world import (
    SCHEDULER_UNIVERSE,
    UNIVERSE,
    BranchingChooser,
    Edge,
    Happening,
    SchedulerDomain,
    SchedulerWorld,
    World,
    get_resolve_answers,
    sched_id,
    uint_id,
)
from dialcheck.reference.dialstate import Snapshot
from dialcheck.spec.contract import DialstateFactory, SchedulerFactory
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
    NodeID,
    Profile,
    get_rules,
    get_task_key,
)
from dialcheck.spec.releases import FamilyName
from dialcheck.spec.scheduler import SchedulerConfig, SchedulerProfile
from dialcheck.spec.verdicts import BadInput, ImplementationFault, Verdict

#: A failure of either family.
AnyFailure = Nonconformance[Any]

__all__ = [
    "Instant",
    "Outcome",
    "Scope",
    "Preset",
    "PRESETS",
    "get_scopes",
    "get_presets",
    "SchedulerScope",
    "SCHEDULER_PRESETS",
    "get_scheduler_state_key",
    "Ask",
    "Dial",
    "Finish",
    "Drop",
    "Inbound",
    "SetTable",
    "Event",
    "get_events",
    "apply_event",
    "get_state_key",
    "Progress",
    "ScopeResult",
    "check_scope",
    "CheckOptions",
    "CheckReport",
    "run_exhaustive",
]


# -- the scope -----------------------------------------------------------------


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


N = UNIVERSE
_N4 = Node(uint_id(4), None)  # incomplete: resolved to n4 or not at all
_N1_MOVED = Node(uint_id(1), "10.0.0.101", 30304, 30304)
_SELF = uint_id(0)
_CIDR = ("10.0.0.0/24",)


@dataclass(frozen=True)
class Preset:
    """A named set of scopes, checked one after another."""

    name: str
    purpose: str
    scopes: tuple[Any, ...]


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


def get_scopes(name: str, depth: Optional[int] = None, family: Family = DIALSTATE) -> tuple[Any, ...]:
    """Return the scopes of ``family``'s preset called ``name`` (or the one scope ``preset/part``), at ``depth``."""
    presets = get_presets(family)
    preset_name = name.split("/")[0]
    preset = presets.get(preset_name)
    scopes = () if preset is None else tuple(s for s in preset.scopes if name in (preset_name, s.name))
    if not scopes:
        known = ", ".join(sorted([*presets, *(s.name for p in presets.values() for s in p.scopes if "/" in s.name)]))
        raise BadInput(f"no exhaustive scope called {name!r} in the {family.name.value} family; choose one of {known}")
    if depth is None:
        return scopes
    return tuple(replace(scope, depth=depth) for scope in scopes)


def get_presets(family: Family) -> dict[str, Preset]:
    """Return the presets of ``family``, by name."""
    return _PRESETS_BY_FAMILY[family.name]


# -- the events ----------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """The clock moves to ``instant`` and the server asks for new tasks."""

    instant: Instant


@dataclass(frozen=True)
class Dial:
    """The outstanding dial ``ref`` names runs with ``outcome``; executed, discovery answers ``found``.

    ``retry`` is whether a second connection attempt (a static task's retry) connects.
    """

    ref: TaskRef
    outcome: Outcome
    found: Optional[Node] = None
    retry: bool = False


@dataclass(frozen=True)
class Finish:
    """The outstanding lookup or wait ``ref`` names finishes; a lookup returns ``results``."""

    ref: TaskRef
    results: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Drop:
    """The peer ``node_id`` disconnects."""

    node_id: NodeID


@dataclass(frozen=True)
class Inbound:
    """``node`` connects to us."""

    node: Node


@dataclass(frozen=True)
class SetTable:
    """The discovery table's read returns ``nodes`` from now on."""

    nodes: tuple[Node, ...]


#: A static added or removed is the trace's own step.
Event = Union[Ask, Dial, Finish, Drop, Inbound, AddStaticStep, RemoveStaticStep, SetTable]


def _get_target(world: World, instant: Instant) -> Optional[int]:
    """Return the instant the clock moves to, or ``None`` when the event it is measured from has not happened."""
    if instant in _EDGES:
        edge = world.get_instant(_EDGES[instant])
        return None if edge is None else max(world.now, edge)
    return world.now + _MOVES[instant]


def get_events(world: World, scope: Scope) -> list[Event]:
    """Return every event of ``scope`` that can happen to ``world`` now, in a fixed order, none with the same effect."""
    events: list[Event] = []
    if not world.called:
        events.append(Ask(Instant.NOW))
    else:
        targets: set[int] = set()
        for instant in scope.instants:
            target = _get_target(world, instant)
            if target is not None and target not in targets:
                targets.add(target)
                events.append(Ask(instant))
    session = world.session
    refs = dict.fromkeys(get_task_ref(e.task) for e in session.get_canonical_outstanding())
    for ref in refs:
        entry = session.find(ref)
        assert entry is not None
        task = entry.task
        if isinstance(task, DialTask):
            events += _get_dials(world, ref, task, scope)
        elif isinstance(task, DiscoverTask):
            events += [Finish(ref, results) for results in scope.lookup_results]
        else:
            events.append(Finish(ref))
    events += [Drop(node_id) for node_id in sorted(world.peers)]
    self_id = session.config.self_id
    events += [Inbound(n) for n in scope.inbound if n.id not in world.peers and n.id != self_id]
    events += [AddStaticStep(n) for n in scope.statics]
    events += [RemoveStaticStep(n) for n in scope.statics]
    events += [SetTable(t) for t in scope.tables if t != tuple(world.table)]
    return events


def _get_dials(world: World, ref: TaskRef, task: DialTask, scope: Scope) -> list[Event]:
    """Return the ways a dial may run: outcomes and, when it is executed, only the answers that can matter."""
    entry = world.session.find(ref)
    assert entry is not None
    executed = world.needs_execution(entry)
    static = ConnFlag.STATIC in task.flag
    resolves = executed and world.discovery and (task.dest.is_incomplete() or static)
    founds = get_resolve_answers(task.dest.id) if resolves else (None,)
    events: list[Event] = []
    for outcome in scope.outcomes:
        retries = (False, True) if executed and static and outcome is not Outcome.CONNECTS else (False,)
        events += [Dial(ref, outcome, found, retry) for found in founds for retry in retries]
    return events


def apply_event(world: World, event: Event) -> None:
    """Apply ``event`` to ``world`` (every call into the implementation is a judged step of its session)."""
    session = world.session
    if isinstance(event, Ask):
        if world.called:
            target = _get_target(world, event.instant)
            assert target is not None
            world.now = target
        world.ask()
    elif isinstance(event, (Dial, Finish)):
        entry = session.find(event.ref)
        assert entry is not None
        if isinstance(event, Dial):
            world.dial(entry, event.found, (event.outcome is not Outcome.FAILS, event.retry))
            if event.outcome is not Outcome.HANDSHAKE_ONLY:
                world.finish(entry)
        else:
            world.finish(entry, event.results)
    elif isinstance(event, Drop):
        del world.peers[event.node_id]
    elif isinstance(event, Inbound):
        world.connect_inbound(event.node, lambda: False)
    elif isinstance(event, (AddStaticStep, RemoveStaticStep)):
        session.apply(event)
    else:
        world.table = list(event.nodes)


# -- the state -----------------------------------------------------------------

StateKey = tuple[object, ...]
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
        assert twin_task is not None
        if isinstance(twin_task, DialTask):
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


# -- the search ----------------------------------------------------------------


@dataclass(frozen=True)
class _Root:
    config: Config
    start: int
    discovery: bool


@dataclass(frozen=True)
class _Node:
    """A state to explore: its root, the events that reach it, and the events that can happen there.

    For dialstate an event is a whole transition; for the dialScheduler it is a happening, and each
    way its arguments can be chosen is a transition of its own.
    """

    root: Any
    path: tuple[Any, ...]
    events: tuple[Any, ...]


class _Search:
    """What the breadth-first search needs of a family's explorer; :meth:`expand` is written once here."""

    scope: Any
    profile: Any

    def get_roots(self) -> list[Any]:
        """Return the roots: every configuration and start the scope names."""
        raise NotImplementedError

    def replay(self, root: Any, path: Sequence[Any]) -> Any:
        """Return the world after ``path`` from ``root``, every step judged (raises the first failure)."""
        raise NotImplementedError

    def get_digest(self, root: Any, path: tuple[Any, ...], world: Any) -> Digest:
        """Return the digest of the state ``world`` is in after ``path``."""
        raise NotImplementedError

    def get_events(self, path: tuple[Any, ...], world: Any) -> tuple[Any, ...]:
        """Return the events to try after ``path`` (none at the scope's depth)."""
        raise NotImplementedError

    def get_transitions(self, node: _Node) -> Iterator[tuple[Any, Optional[Any]]]:
        """Yield every transition from ``node``: its event and the world it reaches, or ``None`` when it failed.

        After a failure nothing more is asked of the iterator.
        """
        raise NotImplementedError

    def get_empty_trace(self, root: Any) -> Any:
        """Return the trace of no steps under ``root``'s configuration (for a failure found only in a worker)."""
        raise NotImplementedError

    def with_factory(self, factory: Any) -> _Search:
        """Return this explorer driving the implementations ``factory`` makes (a worker's own)."""
        searched: _Search = replace(cast(Any, self), factory=factory)
        return searched

    def expand(self, nodes: Sequence[_Node], known: AbstractSet[Digest]) -> _Expansion:
        """Judge every transition from ``nodes``, in order, up to the first failure."""
        reached: list[_Reached] = []
        fresh: set[Digest] = set()
        for index, node in enumerate(nodes):
            for event, world in self.get_transitions(node):
                if world is None:
                    return reached, (index, event)
                path = (*node.path, event)
                digest = self.get_digest(node.root, path, world)
                if digest in known or digest in fresh:
                    reached.append((index, event, digest, None))
                else:
                    fresh.add(digest)
                    reached.append((index, event, digest, self.get_events(path, world)))
        return reached, None


#: A state's name in the search: a digest of its key (BLAKE2b, 128 bits: a collision among even 10^12
#: states has a chance below 10^-14).
Digest = bytes
#: One transition judged: the index of its node in the shard, its event, the digest of the state it reaches
#: and, when that state was not known before, the events that can happen there.
_Reached = tuple[int, Any, Digest, Optional[tuple[Any, ...]]]
#: What exploring a shard of the frontier gives: every transition judged, in order, and where the first
#: failure happened (node index and event), if one did.
_Expansion = tuple[list[_Reached], Optional[tuple[int, Any]]]


def _get_pending(path: tuple[Event, ...]) -> tuple[str, ...]:
    """Return the events since the last ``new_tasks`` call, as a sorted multiset."""
    pending: list[str] = []
    for event in reversed(path):
        if isinstance(event, Ask):
            break
        pending.append(repr(event))
    return tuple(sorted(pending))


def _get_roots(scope: Scope) -> list[_Root]:
    return [_Root(c, s, d) for c in scope.configs for s in scope.start_times for d in scope.discovery]


@dataclass(frozen=True)
class _Explorer(_Search):
    """Replays paths of one dialstate scope into fresh sessions of one implementation."""

    factory: DialstateFactory
    profile: Profile
    scope: Scope
    origin: str

    def get_roots(self) -> list[Any]:
        """Return every configuration, start and discovery of the scope."""
        return list(_get_roots(self.scope))

    def replay(self, root: _Root, path: Sequence[Event]) -> World:
        """Return the world after ``path`` from ``root``, every step judged (raises the first failure)."""
        description = f"Found by dialcheck check --exhaustive (scope {self.scope.name}) against {self.origin}."
        session = Session.create(
            self.factory, root.config, self.profile, origin=self.origin, level=Level.STRICT, description=description
        )
        world = World(session, root.discovery, root.start, list(self.scope.tables[0]))
        for event in path:
            apply_event(world, event)
        return world

    def get_digest(self, root: _Root, path: tuple[Event, ...], world: World) -> Digest:
        """Return the digest of the state ``world`` is in after ``path``: its key and the events not yet asked about."""
        key = (root, get_state_key(world, self.scope.depth), _get_pending(path))
        return hashlib.blake2b(repr(key).encode(), digest_size=16).digest()

    def get_events(self, path: tuple[Event, ...], world: World) -> tuple[Event, ...]:
        """Return the events to try after ``path`` (none at the scope's depth)."""
        return tuple(get_events(world, self.scope)) if len(path) < self.scope.depth else ()

    def get_transitions(self, node: _Node) -> Iterator[tuple[Event, Optional[World]]]:
        """Yield each event of ``node`` and the world it reaches (``None``: it failed)."""
        for event in node.events:
            try:
                world = self.replay(node.root, (*node.path, event))
            except Nonconformance:
                yield event, None
                return
            yield event, world

    def get_empty_trace(self, root: _Root) -> Trace:
        """Return the trace of no steps under ``root``'s configuration."""
        return Trace("counterexample", self.profile, root.config, ())


@dataclass
class Progress:
    """How far the search has come: per depth, the new states found and the transitions judged."""

    states_by_depth: list[int] = field(default_factory=list)
    transitions_by_depth: list[int] = field(default_factory=list)

    @property
    def states(self) -> int:
        """Return the distinct states found (the roots included)."""
        return sum(self.states_by_depth)

    @property
    def transitions(self) -> int:
        """Return the transitions judged."""
        return sum(self.transitions_by_depth)


@dataclass
class ScopeResult:
    """The outcome of one scope: a failure with its shortest counterexample, or a certificate."""

    scope: Any
    profile: Any
    progress: Progress
    seconds: float = 0.0
    failure: Optional[AnyFailure] = None

    @property
    def conformant(self) -> bool:
        """Return whether no transition failed."""
        return self.failure is None

    def get_certificate(self) -> str:
        """Return the certificate line a user can quote (:meth:`Scope.describe` says what the name holds)."""
        progress = self.progress
        return (
            f"no divergence in scope {self.scope.name} ({self.profile.value}, strict) up to depth {self.scope.depth}: "
            f"{progress.states:,} states, {progress.transitions:,} transitions, {self.seconds:.1f} s"
        )


class _Shards(Protocol):
    """Explores shards of a frontier, in parallel or not; the results come back in shard order."""

    def expand(self, shards: Sequence[Sequence[_Node]], news: Sequence[Digest]) -> list[_Expansion]:
        """Explore each shard knowing every state found so far (``news``: those found since the last call)."""
        ...


class _InProcess:
    """Explores the shards one after another, here."""

    def __init__(self, explorer: _Search) -> None:
        self._explorer = explorer
        self._known: set[Digest] = set()

    def expand(self, shards: Sequence[Sequence[_Node]], news: Sequence[Digest]) -> list[_Expansion]:
        """Explore each shard in turn, up to the first that fails."""
        self._known.update(news)
        results: list[_Expansion] = []
        for shard in shards:
            results.append(self._explorer.expand(shard, self._known))
            if results[-1][1] is not None:
                break
        return results


def _split(nodes: Sequence[_Node], parts: int) -> list[Sequence[_Node]]:
    """Split ``nodes`` into ``parts`` contiguous shards of near-equal transition counts."""
    total = sum(len(n.events) for n in nodes)
    shards: list[Sequence[_Node]] = []
    start = done = 0
    for index, node in enumerate(nodes):
        done += len(node.events)
        if done * parts >= total * (len(shards) + 1) and len(shards) < parts - 1:
            shards.append(nodes[start : index + 1])
            start = index + 1
    shards.append(nodes[start:])
    return shards + [[] for _ in range(parts - len(shards))]


def check_scope(
    explorer: _Search,
    shards: Optional[_Shards] = None,
    parts: int = 1,
    on_depth: Optional[Callable[[ScopeResult], None]] = None,
) -> ScopeResult:
    """Judge every transition of the explorer's scope up to its depth, breadth first; stop at the first failure.

    ``shards`` explores ``parts`` slices of each depth's frontier (in parallel); states are merged
    in frontier order, so the result is the same for every number of parts.
    """
    scope = explorer.scope
    shards = shards if shards is not None else _InProcess(explorer)
    started = time.monotonic()
    result = ScopeResult(scope, explorer.profile, Progress())
    seen: set[Digest] = set()
    news: list[Digest] = []
    frontier: list[_Node] = []
    for root in explorer.get_roots():
        try:
            world = explorer.replay(root, ())
        except Nonconformance as failure:
            result.failure = failure
            break
        digest = explorer.get_digest(root, (), world)
        if digest not in seen:
            seen.add(digest)
            news.append(digest)
            frontier.append(_Node(root, (), explorer.get_events((), world)))
    result.progress.states_by_depth.append(len(frontier))
    for _ in range(scope.depth if result.failure is None else 0):
        following: list[_Node] = []
        transitions = 0
        sliced = _split(frontier, parts)
        expansions = shards.expand(sliced, news)
        news = []
        # In shard order: a failure ends the list, so later shards are not looked at.
        for (reached, failed), shard in zip(expansions, sliced, strict=False):
            transitions += len(reached)
            for index, event, digest, events in reached:
                if digest not in seen:
                    assert events is not None
                    node = shard[index]
                    seen.add(digest)
                    news.append(digest)
                    following.append(_Node(node.root, (*node.path, event), events))
            if failed is not None:
                node = shard[failed[0]]
                result.failure = _get_failure(explorer, node.root, (*node.path, failed[1]))
                transitions += 1
                break
        result.progress.states_by_depth.append(len(following))
        result.progress.transitions_by_depth.append(transitions)
        result.seconds = time.monotonic() - started
        if on_depth is not None:
            on_depth(result)
        if result.failure is not None:
            break
        frontier = following
    result.seconds = time.monotonic() - started
    return result


def _get_failure(explorer: _Search, root: Any, path: Sequence[Any]) -> AnyFailure:
    """Replay the failing ``path`` here and return its failure (a worker found it; the same calls fail alike)."""
    try:
        explorer.replay(root, path)
    except Nonconformance as failure:
        return failure
    passed = Failure(
        Verdict.NONDETERMINISTIC,
        "a transition failed in a worker and passed when replayed here, so the same calls got different answers "
        "(the implementation is nondeterministic)",
    )
    return Nonconformance(passed, explorer.get_empty_trace(root))


# -- workers -------------------------------------------------------------------


class _InWorkers:
    """Explores each shard in a worker process of its own, with its own implementation (``--jobs N``)."""

    def __init__(self, count: int, opener: FactoryOpener, explorer: _Search) -> None:
        known: set[Digest] = set()  # each worker's own copy, once forked

        def serve(factory: Any, request: tuple[list[_Node], list[Digest]]) -> _Expansion:
            shard, news = request
            known.update(news)
            return explorer.with_factory(factory).expand(shard, known)

        self.workers: Workers[tuple[list[_Node], list[Digest]], _Expansion] = Workers(count, opener, serve)

    def expand(self, shards: Sequence[Sequence[_Node]], news: Sequence[Digest]) -> list[_Expansion]:
        """Send shard i to worker i, and gather the results in shard order up to the first failure."""
        answers = self.workers.ask([(list(shard), list(news)) for shard in shards])
        results = [answer for answer in answers if answer is not None]
        cut = next((i for i, (_, failed) in enumerate(results) if failed is not None), len(results) - 1)
        return results[: cut + 1]


# -- the command ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckOptions:
    """What ``dialcheck check --exhaustive`` was asked to do (the profile names the family)."""

    factory: Any
    origin: str
    profile: AnyProfile = Profile.GETH_1_7
    preset: str = "tiny"
    depth: Optional[int] = None
    save_dir: Path = Path("dialcheck-failures")
    #: How to name the implementation on dialcheck's command line (default ``--impl ORIGIN``).
    subject: Optional[str] = None
    id_bytes: Optional[int] = None
    jobs: int = 1
    #: Makes the implementation in each worker when ``jobs`` > 1 (default: ``factory`` itself, inherited).
    opener: Optional[FactoryOpener] = None

    def get_subject(self) -> str:
        """Return the command-line options that select this implementation, for reproduce hints."""
        return self.subject if self.subject is not None else f"--impl {self.origin}"


@dataclass
class CheckReport:
    """The outcome of every scope of a preset, the failure (minimized) and where it is saved."""

    options: CheckOptions
    results: list[ScopeResult] = field(default_factory=list)
    failure: Optional[AnyFailure] = None
    flaky: Optional[str] = None
    saved: Optional[Path] = None
    seconds: float = 0.0
    #: What the implementation did wrong after the last transition (a wire process left running).
    after_run: Optional[ImplementationFault] = None

    @property
    def conformant(self) -> bool:
        """Return whether every scope was certified."""
        return self.failure is None and self.flaky is None and self.after_run is None


def run_exhaustive(options: CheckOptions, on_depth: Optional[Callable[[ScopeResult], None]] = None) -> CheckReport:
    """Check every scope of the preset in turn; the first failure is replayed, minimized and saved."""
    started = time.monotonic()
    report = CheckReport(options)
    family = family_of(options.profile)
    for scope in get_scopes(options.preset, options.depth, family):
        explorer = _EXPLORERS[family.name](options.factory, options.profile, scope, options.origin)
        if options.jobs == 1:
            result = check_scope(explorer, None, 1, on_depth)
        else:
            shards = _InWorkers(options.jobs, options.opener or get_shared_opener(options.factory), explorer)
            with shards.workers:
                result = check_scope(explorer, shards, options.jobs, on_depth)
        report.results.append(result)
        if result.failure is not None:
            _settle(report, result.failure)
            break
    report.seconds = time.monotonic() - started
    return report


def _settle(report: CheckReport, failure: AnyFailure) -> None:
    """Check that the failure replays from its trace, remove every step it does not need, save it."""
    options = report.options
    if failure.check is not Verdict.NONDETERMINISTIC:
        failure, report.flaky = settle(failure, options.factory, Level.STRICT, options.origin)
    report.failure = failure
    trace = failure.trace
    if options.id_bytes is not None and isinstance(trace, Trace):
        trace = resize_trace(trace, options.id_bytes)  # ID-1: what the implementation saw
    stem = f"{failure.check.value}-{options.profile.value}-exhaustive"
    report.saved = save_document(any_trace_to_json(trace), options.save_dir, stem)


# -- the dialScheduler family ------------------------------------------------------------

#: How long a dial's task runs at most before the world may move the clock past it (SchedulerWorld's ADVANCE).
_TASK_SPAN = 35 * SECOND


@dataclass(frozen=True)
class SchedulerScope:
    """A small world around a dialScheduler; every field is part of the name a certificate quotes."""

    name: str
    depth: int
    configs: tuple[SchedulerConfig, ...]
    start_times: tuple[int, ...] = (1000 * SECOND,)
    domain: SchedulerDomain = SchedulerDomain()
    happenings: tuple[Happening, ...] = tuple(Happening)
    #: Whether paths that reach the same reference state merge.  A scope that does not merge explores
    #: every path: it finds a bug whose own state drifts while the reference's returns to where it was
    #: (a static added and removed again), which merging hides.
    merge: bool = True

    def describe(self) -> str:
        """Return the scope's exact name: the preset and every value it explores."""
        configs = "; ".join(_describe_scheduler_config(c) for c in self.configs)
        domain = self.domain
        parts = [
            f"configs [{configs}]",
            f"start {_seconds(self.start_times)}",
            f"nodes {_sched_names(domain.universe)}",
            f"advances {_seconds(domain.advances)} and each dial's start + 35 s (+ 1 ns)",
            f"happenings {', '.join(h.name.lower() for h in self.happenings)}",
            "states merged" if self.merge else "every path",
        ]
        return f"{self.name} ({'; '.join(parts)})"


def _sched_name(node_id: str) -> str:
    index = int(node_id, 16) if len(node_id) == 64 else None
    return f"n{index}" if index is not None and index < 100 else node_id[:8]


def _sched_names(nodes: Sequence[Node]) -> str:
    return "[" + " ".join(_sched_name(n.id) for n in nodes) + "]"


def _describe_scheduler_config(config: SchedulerConfig) -> str:
    netrestrict = "none" if config.netrestrict is None else "[" + " ".join(config.netrestrict) + "]"
    return (
        f"self {_sched_name(config.self_id)} peers {config.max_dial_peers} active {config.max_active_dials} "
        f"net {netrestrict} resolver {str(config.resolver).lower()}"
    )


@dataclass(frozen=True)
class _SchedulerRoot:
    config: SchedulerConfig
    start: int


#: A dialScheduler transition: a happening and the indices of the choices its arguments took.
SchedulerEvent = tuple[Happening, tuple[int, ...]]


def get_scheduler_state_key(world: SchedulerWorld) -> StateKey:
    """Return the state ``world`` is in: the reference twin's snapshot and the world around it, time made relative.

    The twin's snapshot answers every later event alike whenever it is equal (its times are relative
    to the clock, but for SC-RESOLVE-2's quirk at clock 0, hence whether the clock is at 0); the world
    adds the server's peers and pending connections, the dials whose 35 s mark is still ahead, and what
    the implementation said: whether it reads, the dials it runs, its peers.
    """
    session = world.session
    twin = session.twin
    assert twin is not None
    now = world.now
    return (
        twin.get_snapshot(),
        now == 0,
        tuple(sorted((node_id, flag.value) for node_id, flag in world.peers.items())),
        tuple(sorted(world.pending)),
        tuple(sorted((i, t - now) for i, t in world.started.items() if t + _TASK_SPAN + 1 > now)),
        session.reads,
        tuple(sorted((node_id, flag.value) for node_id, flag in session.dialing.items())),
        tuple(sorted((node_id, flag.value) for node_id, flag in session.peers.items())),
        tuple(sorted(session.pending)),
    )


@dataclass(frozen=True)
class _SchedulerExplorer(_Search):
    """Replays paths of one dialScheduler scope into fresh sessions of one implementation.

    An event is a happening of the :class:`~dialcheck.conformance.world.SchedulerWorld`; each way
    a :class:`~dialcheck.conformance.world.BranchingChooser` can choose its arguments (which node,
    which instant, what a dial's run finds) is a transition of its own, found by trying them all.
    """

    factory: SchedulerFactory
    profile: SchedulerProfile
    scope: SchedulerScope
    origin: str

    def get_roots(self) -> list[Any]:
        """Return every configuration and start of the scope."""
        return [_SchedulerRoot(c, t) for c in self.scope.configs for t in self.scope.start_times]

    def replay(self, root: _SchedulerRoot, path: Sequence[SchedulerEvent]) -> SchedulerWorld:
        """Return the world after ``path`` from ``root``, every event judged (raises the first failure)."""
        description = f"Found by dialcheck check --exhaustive (scope {self.scope.name}) against {self.origin}."
        session = SchedulerSession.create(
            self.factory, root.config, self.profile, origin=self.origin, level=Level.STRICT, description=description
        )
        world = SchedulerWorld.begin(session, root.start, self.scope.domain)
        for happening, taken in path:
            world.happen(happening, BranchingChooser(taken))
        return world

    def get_digest(self, root: _SchedulerRoot, path: tuple[SchedulerEvent, ...], world: SchedulerWorld) -> Digest:
        """Return the digest of the state ``world`` is in (of the path itself, in a scope that does not merge)."""
        key = (root, get_scheduler_state_key(world) if self.scope.merge else path)
        return hashlib.blake2b(repr(key).encode(), digest_size=16).digest()

    def get_events(self, path: tuple[SchedulerEvent, ...], world: SchedulerWorld) -> tuple[Happening, ...]:
        """Return the scope's happenings that can happen after ``path`` (none at the scope's depth)."""
        if len(path) >= self.scope.depth:
            return ()
        return tuple(h for h in world.get_possible() if h in self.scope.happenings)

    def get_transitions(self, node: _Node) -> Iterator[tuple[SchedulerEvent, Optional[SchedulerWorld]]]:
        """Yield every way each happening of ``node`` can choose its arguments, and the world it reaches."""
        for happening in node.events:
            prefix: Optional[tuple[int, ...]] = ()
            while prefix is not None:
                chooser = BranchingChooser(prefix)
                try:
                    world = self.replay(node.root, node.path)
                    world.happen(happening, chooser)
                except Nonconformance:
                    yield (happening, tuple(chooser.taken)), None
                    return
                yield (happening, tuple(chooser.taken)), world
                prefix = chooser.get_next_prefix()

    def get_empty_trace(self, root: _SchedulerRoot) -> SchedulerTrace:
        """Return the trace of no steps under ``root``'s configuration."""
        return SchedulerTrace("counterexample", self.profile, root.config, ())


_S_SELF = sched_id(0)


def _few_run_inputs(node: Node) -> tuple[tuple[Optional[Node], ...], tuple[Optional[str], ...]]:
    """What a small scope's resolve may find (nothing, or the node moved) and a DNS lookup (nothing, or its IP)."""
    moved = Node(node.id, "10.0.0.77", 30304, 30304)
    return (None, moved), (None, node.ip)


def _other_run_inputs(node: Node) -> tuple[tuple[Optional[Node], ...], tuple[Optional[str], ...]]:
    """What a resolve may find (nothing, or the node moved) and a DNS lookup (nothing, or another IP)."""
    return (None, Node(node.id, "10.0.0.77", 30304, 30304)), (None, "10.0.0.77")


def _no_run_inputs(node: Node) -> tuple[tuple[Optional[Node], ...], tuple[Optional[str], ...]]:
    """A resolve and a DNS lookup that find nothing."""
    return (None,), (None,)


_SU = {int(n.id, 16): n for n in SCHEDULER_UNIVERSE}
_S1_MOVED = Node(sched_id(1), "10.0.0.101", 30304, 30304)
_H = Happening

SCHEDULER_PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "tiny",
            "a first look in a second",
            (
                SchedulerScope(
                    name="tiny",
                    depth=3,
                    configs=(SchedulerConfig(_S_SELF, 1, 1),),
                    domain=SchedulerDomain((_SU[1], _SU[2]), (SECOND,), _few_run_inputs),
                    happenings=(_H.ADVANCE, _H.OFFER, _H.DONE, _H.ADD_STATIC),
                ),
            ),
        ),
        Preset(
            "zoo",
            "every seeded bug of the dialScheduler zoo is killed here",
            (
                # Slots, history, peers, inbound connections and the loop head: every happening, two nodes.
                SchedulerScope(
                    name="zoo/slots",
                    depth=4,
                    configs=(SchedulerConfig(_S_SELF, 2, 1), SchedulerConfig(_S_SELF, 1, 0)),
                    domain=SchedulerDomain((_SU[1], _SU[2]), (SECOND,), _few_run_inputs),
                ),
                # checkDial and a task's run: our own node, port 0, no IP, a DNS name; netrestrict, no resolver.
                SchedulerScope(
                    name="zoo/addresses",
                    depth=3,
                    configs=(
                        SchedulerConfig(_S_SELF, 1, 1, ("10.0.0.0/24",)),
                        SchedulerConfig(_S_SELF, 1, 1, None, False),
                    ),
                    domain=SchedulerDomain((_SU[0], _SU[10], _SU[11], _SU[13]), (SECOND,), _other_run_inputs),
                    happenings=(_H.ADVANCE, _H.OFFER, _H.DONE, _H.ADD_STATIC),
                ),
                # A static added again at another address, or removed, while it waits in the pool: the
                # reference returns to a state it was in, so only a scope that does not merge sees the bug.
                SchedulerScope(
                    name="zoo/statics",
                    depth=4,
                    configs=(SchedulerConfig(_S_SELF, 1, 1),),
                    domain=SchedulerDomain((_SU[1], _S1_MOVED, _SU[2]), (SECOND,), _no_run_inputs),
                    happenings=(_H.ADD_STATIC, _H.REMOVE_STATIC, _H.OFFER, _H.DONE),
                    merge=False,
                ),
                # A static without an IP resolved again and again: the resolve delay's backoff (SC-RESOLVE-3).
                SchedulerScope(
                    name="zoo/resolve",
                    depth=6,
                    configs=(SchedulerConfig(_S_SELF, 1, 1),),
                    domain=SchedulerDomain((_SU[11],), (SECOND, 60 * SECOND), _few_run_inputs),
                    happenings=(_H.ADVANCE, _H.DONE, _H.ADD_STATIC),
                ),
            ),
        ),
    )
}

_PRESETS_BY_FAMILY: dict[FamilyName, dict[str, Preset]] = {
    FamilyName.DIALSTATE: PRESETS,
    FamilyName.DIAL_SCHEDULER: SCHEDULER_PRESETS,
}
#: Each family's explorer, made as ``explorer(factory, profile, scope, origin)``.
_EXPLORERS: dict[FamilyName, Callable[[Any, Any, Any, str], _Search]] = {
    FamilyName.DIALSTATE: _Explorer,
    FamilyName.DIAL_SCHEDULER: _SchedulerExplorer,
}
