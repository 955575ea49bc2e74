"""The breadth-first search of bounded exhaustive checking, written once over every family's scopes.

Theory of operation
-------------------
A scope (``dialstate.Scope``; ``scheduler.SchedulerScope`` for the dialScheduler) names its
roots, how a world begins around a session, which of the world's happenings can happen now, how
one happens (its arguments drawn through a chooser), and the key of the state a world is in.  The
:class:`Explorer` enumerates every way each happening can choose its arguments with a
:class:`~dialcheck.conformance.harness.world.BranchingChooser` (the same protocol the random runs
draw through); each way is a :class:`Transition`, replayed from its root into a fresh session of
the implementation and judged at the explorer's level (``strict`` for ``check --exhaustive``;
``run``'s opening pass judges at the run's).  :func:`search_scopes` explores several scopes breadth
first, always the cheapest next depth of any scope (the fewest events to try), a state seen
before not explored again (states merge by the key),
each depth's frontier in shards over the engine's workers whose results merge in frontier order.
A budget of states stops a scope before the depth that would take the search past it: the scope
is then explored to a lesser depth and not certified.  Nothing here depends on time or on the
number of workers, so the same scopes and budget give the same result everywhere.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from typing import Any, Optional, Protocol

from dialcheck.conformance.harness.family import family_of
from dialcheck.conformance.harness.session import Failure, Level, Nonconformance
from dialcheck.conformance.harness.workers import Engine, FactoryOpener, InlineEngine, Job, Pool, SharedOpener
from dialcheck.conformance.harness.world import BranchingChooser
from dialcheck.spec.verdicts import Verdict

__all__ = [
    "AnyFailure",
    "StateKey",
    "SearchScope",
    "Preset",
    "Transition",
    "Explorer",
    "Progress",
    "ScopeResult",
    "check_scope",
    "get_failing",
    "search_scopes",
]

#: A failure of either family.
AnyFailure = Nonconformance[Any]
#: The key of a state: equal keys merge (each family's scope computes it).
StateKey = tuple[object, ...]


class SearchScope(Protocol):
    """A small world to explore exhaustively, of one family (what the search needs of a scope)."""

    @property
    def name(self) -> str:
        """Return the scope's name, as certificates quote it."""
        ...

    @property
    def depth(self) -> int:
        """Return how many events deep the search goes."""
        ...

    def describe(self) -> str:
        """Return the scope's exact name: the preset and every value it explores."""
        ...

    def get_roots(self) -> list[Any]:
        """Return the roots: each configuration (``root.config``) and start the scope names."""
        ...

    def begin(self, session: Any, root: Any) -> Any:
        """Return the world around ``session`` at ``root``'s start."""
        ...

    def get_happenings(self, world: Any) -> tuple[Any, ...]:
        """Return the happenings the scope lets happen to ``world`` now, in a fixed order."""
        ...

    def happen(self, world: Any, happening: Any, chooser: BranchingChooser) -> None:
        """Make ``happening`` happen to ``world``, its arguments drawn from the scope by ``chooser``."""
        ...

    def get_key(self, root: Any, path: tuple[Transition, ...], world: Any) -> object:
        """Return the key of the state ``world`` is in after ``path``: equal keys merge."""
        ...


@dataclass(frozen=True)
class Preset:
    """A named set of scopes, checked one after another."""

    name: str
    purpose: str
    scopes: tuple[Any, ...]


@dataclass(frozen=True)
class Transition:
    """A happening and the choices of its arguments: ``taken`` which (to replay), ``chosen`` what they were."""

    happening: Any
    taken: tuple[int, ...]
    chosen: tuple[object, ...]


@dataclass(frozen=True)
class _Node:
    """A state to explore: its root, the events that reach it, and the events that can happen there.

    For dialstate an event is a whole transition; for the dialScheduler it is a happening, and each
    way its arguments can be chosen is a transition of its own.
    """

    root: Any
    path: tuple[Any, ...]
    events: tuple[Any, ...]


#: A state's name in the search: a digest of its key (BLAKE2b, 128 bits: a collision among even 10^12
#: states has a chance below 10^-14).
Digest = bytes

#: One transition judged: the index of its node in the shard, its event, the digest of the state it reaches
#: and, when that state was not known before, the events that can happen there.
_Reached = tuple[int, Any, Digest, Optional[tuple[Any, ...]]]

#: The waived checks that failed, each with how often and the trace of its first failure.
Waived = dict[Verdict, tuple[int, Any]]

#: What exploring a shard of the frontier gives: every transition judged, in order, where the first
#: failure happened (node index and event), if one did, and the waived checks that failed on the way.
_Expansion = tuple[list[_Reached], Optional[tuple[int, Any]], Waived]


@dataclass(frozen=True)
class Explorer:
    """Replays paths of one scope into fresh sessions of one implementation, and judges every transition."""

    factory: Any
    profile: Any
    scope: SearchScope
    origin: str
    #: The level every transition is judged at, and the checks whose failures are waived (noted, not failed).
    level: Level = Level.STRICT
    waived: frozenset[Verdict] = frozenset()
    #: The command a saved counterexample says found it.
    command: str = "dialcheck check --exhaustive"

    def replay(self, root: Any, path: Sequence[Transition]) -> Any:
        """Return the world after ``path`` from ``root``, every step judged (raises the first failure)."""
        description = f"Found by {self.command} (scope {self.scope.name}) against {self.origin}."
        session = family_of(self.profile).session_type.create(
            self.factory,
            root.config,
            self.profile,
            origin=self.origin,
            level=self.level,
            description=description,
            waived=self.waived,
            follow=True,  # the twin's state is the state key, at every level
        )
        world = self.scope.begin(session, root)
        for transition in path:
            self.scope.happen(world, transition.happening, BranchingChooser(transition.taken))
        return world

    def get_digest(self, root: Any, path: tuple[Transition, ...], world: Any) -> Digest:
        """Return the digest of the state ``world`` is in after ``path``."""
        return hashlib.blake2b(repr((root, self.scope.get_key(root, path, world))).encode(), digest_size=16).digest()

    def get_events(self, path: tuple[Transition, ...], world: Any) -> tuple[Any, ...]:
        """Return the happenings to try after ``path`` (none at the scope's depth)."""
        return tuple(self.scope.get_happenings(world)) if len(path) < self.scope.depth else ()

    def get_transitions(
        self, node: _Node, waived: Optional[Waived] = None
    ) -> Iterator[tuple[Transition, Optional[Any]]]:
        """Yield every way each happening of ``node`` can choose its arguments, and the world it reaches.

        ``None`` for the world: that transition failed (nothing more is asked of the iterator then).  A
        waived check that fails at a transition (not on the way to it) is noted in ``waived``.
        """

        def note(check: Verdict, trace: Any) -> None:
            if waived is not None:
                count, first = waived.get(check, (0, trace))
                waived[check] = (count + 1, first)

        for happening in node.events:
            prefix: Optional[tuple[int, ...]] = ()
            while prefix is not None:
                chooser = BranchingChooser(prefix)
                try:
                    world = self.replay(node.root, node.path)
                    world.session.on_waived = note
                    self.scope.happen(world, happening, chooser)
                except Nonconformance:
                    yield Transition(happening, tuple(chooser.taken), tuple(chooser.chosen)), None
                    return
                yield Transition(happening, tuple(chooser.taken), tuple(chooser.chosen)), world
                prefix = chooser.get_next_prefix()

    def get_empty_trace(self, root: Any) -> Any:
        """Return the trace of no steps under ``root``'s configuration (for a failure found only in a worker)."""
        return family_of(self.profile).trace_type("counterexample", self.profile, root.config, ())

    def with_factory(self, factory: Any) -> Explorer:
        """Return this explorer driving the implementations ``factory`` makes (a worker's own)."""
        return replace(self, factory=factory)

    def expand(self, nodes: Sequence[_Node], known: AbstractSet[Digest]) -> _Expansion:
        """Judge every transition from ``nodes``, in order, up to the first failure."""
        reached: list[_Reached] = []
        fresh: set[Digest] = set()
        waived: Waived = {}
        for index, node in enumerate(nodes):
            for event, world in self.get_transitions(node, waived):
                if world is None:
                    return reached, (index, event), waived
                path = (*node.path, event)
                digest = self.get_digest(node.root, path, world)
                if digest in known or digest in fresh:
                    reached.append((index, event, digest, None))
                else:
                    fresh.add(digest)
                    reached.append((index, event, digest, self.get_events(path, world)))
        return reached, None, waived


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

    @property
    def depth(self) -> int:
        """Return the depth explored so far."""
        return len(self.transitions_by_depth)


@dataclass
class ScopeResult:
    """The outcome of one scope: a failure with its shortest counterexample, or a certificate."""

    scope: Any
    profile: Any
    progress: Progress
    seconds: float = 0.0
    failure: Optional[AnyFailure] = None
    level: Level = Level.STRICT
    #: The budget stopped the scope before its depth (it is explored to ``progress.depth`` and not certified).
    cut: bool = False
    #: The waived checks that failed, how often, and the trace of the first failure of each.
    waived: Waived = field(default_factory=dict)

    @property
    def conformant(self) -> bool:
        """Return whether no transition failed."""
        return self.failure is None

    @property
    def complete(self) -> bool:
        """Return whether the scope was explored to its depth without a failure: it is certified."""
        return self.failure is None and not self.cut and self.progress.depth == self.scope.depth

    def get_certificate(self, timed: bool = True) -> str:
        """Return the certificate line a user can quote (:meth:`Scope.describe` says what the name holds)."""
        progress = self.progress
        when = f", {self.seconds:.1f} s" if timed else ""
        return (
            f"no divergence in scope {self.scope.name} ({self.profile.value}, {self.level.value}) up to depth "
            f"{self.scope.depth}: {progress.states:,} states, {progress.transitions:,} transitions{when}"
        )

    def get_partial(self) -> str:
        """Return what a scope the budget stopped covered (no certificate: not every depth was explored)."""
        progress = self.progress
        return (
            f"scope {self.scope.name} ({self.profile.value}, {self.level.value}) explored to depth {progress.depth} "
            f"of {self.scope.depth} (the budget stopped it): {progress.states:,} states, "
            f"{progress.transitions:,} transitions, no divergence"
        )


class _Shards(Protocol):
    """Explores shards of a frontier of one scope, in parallel or not; the results come back in shard order."""

    parts: int

    def expand(self, scope: int, shards: Sequence[Sequence[_Node]], seen: AbstractSet[Digest]) -> list[_Expansion]:
        """Explore each shard of scope number ``scope``, up to the first shard that fails."""
        ...


class _InProcess:
    """Explores the shards here, one after another, knowing every state seen."""

    parts = 1

    def __init__(self, explorers: Sequence[Explorer]) -> None:
        self._explorers = explorers

    def expand(self, scope: int, shards: Sequence[Sequence[_Node]], seen: AbstractSet[Digest]) -> list[_Expansion]:
        """Explore each shard in turn, up to the first that fails."""
        results: list[_Expansion] = []
        for shard in shards:
            results.append(self._explorers[scope].expand(shard, seen))
            if results[-1][1] is not None:
                break
        return results


@dataclass(frozen=True)
class _ExpandShard:
    """What a worker does with one shard: the explorers (without a factory) and the worker's own factory."""

    explorers: tuple[Explorer, ...]

    def __call__(self, factory: Any, request: tuple[int, list[_Node]]) -> _Expansion:
        scope, shard = request
        return self.explorers[scope].with_factory(factory).expand(shard, frozenset())


class _InPool:
    """Explores each shard as one request to a pool of workers (``--jobs N``, a Dask cluster)."""

    def __init__(self, pool: Pool[tuple[int, list[_Node]], _Expansion]) -> None:
        self._pool = pool
        self.parts = pool.width

    def expand(self, scope: int, shards: Sequence[Sequence[_Node]], seen: AbstractSet[Digest]) -> list[_Expansion]:
        """Send every shard to the pool and gather the results in shard order up to the first failure."""
        results: list[_Expansion] = []
        for result in self._pool.map((scope, list(shard)) for shard in shards):
            results.append(result)
            if result[1] is not None:
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
    return [shard for shard in shards if shard]


class _Search:
    """The breadth-first search of one scope, a depth at a time."""

    def __init__(self, explorer: Explorer, index: int) -> None:
        self.explorer = explorer
        self.index = index
        self.result = ScopeResult(explorer.scope, explorer.profile, Progress(), level=explorer.level)
        self.seen: set[Digest] = set()
        self.frontier = _get_roots(explorer, self.result, self.seen)
        self.result.progress.states_by_depth.append(len(self.frontier))

    @property
    def going(self) -> bool:
        """Return whether the scope has depths left to explore (no failure, not cut)."""
        result = self.result
        return result.failure is None and not result.cut and result.progress.depth < self.explorer.scope.depth

    def get_cost(self) -> int:
        """Return what the next depth costs: the events that can happen in its states (each at least a transition)."""
        return sum(len(node.events) for node in self.frontier)

    def step(self, shards: _Shards) -> None:
        """Explore one more depth, its frontier in shards; merge in frontier order."""
        started = time.monotonic()
        sliced = _split(self.frontier, shards.parts)
        expansions = shards.expand(self.index, sliced, self.seen)
        self.frontier, transitions = _merge(self.explorer, self.result, expansions, sliced, self.seen)
        self.result.progress.states_by_depth.append(len(self.frontier))
        self.result.progress.transitions_by_depth.append(transitions)
        self.result.seconds += time.monotonic() - started


def search_scopes(
    explorers: Sequence[Explorer],
    engine: Optional[Engine] = None,
    opener: Optional[FactoryOpener] = None,
    budget: Optional[int] = None,
    on_depth: Optional[Callable[[ScopeResult], None]] = None,
) -> list[ScopeResult]:
    """Judge every transition of the explorers' scopes up to their depths; stop at the first failure.

    The next depth explored is always the cheapest: that of the scope whose states to expand have the
    fewest events that can happen (ties go to the scope named first), so small scopes go deep early
    and a large one's next depth waits; within a scope the search is breadth first, so its failure is a
    shortest one in it.
    ``budget`` caps the states expanded over all scopes: a scope whose next depth would pass it stops there.
    ``engine`` (with ``opener``, how a worker makes the implementation) explores each depth's frontier
    in shards, one per worker; states merge in frontier order, so the result is the same on every engine.
    """
    engine = engine if engine is not None else InlineEngine()
    if isinstance(engine, InlineEngine):
        return _search(explorers, _InProcess(explorers), budget, on_depth)
    bare = tuple(replace(explorer, factory=None) for explorer in explorers)
    job = Job(opener or SharedOpener(explorers[0].factory), _ExpandShard(bare))
    with engine.open(job) as pool:
        return _search(explorers, _InPool(pool), budget, on_depth)


def _search(
    explorers: Sequence[Explorer],
    shards: _Shards,
    budget: Optional[int],
    on_depth: Optional[Callable[[ScopeResult], None]],
) -> list[ScopeResult]:
    searches: list[_Search] = []
    for index, explorer in enumerate(explorers):
        searches.append(_Search(explorer, index))
        if searches[-1].result.failure is not None:
            return [search.result for search in searches]
    expanded = 0
    while True:
        going = [search for search in searches if search.going]
        fits = [s for s in going if budget is None or expanded + len(s.frontier) <= budget]
        for search in going:
            search.result.cut = search not in fits
        if not fits:
            return [search.result for search in searches]
        search = min(fits, key=lambda s: (s.get_cost(), s.index))
        expanded += len(search.frontier)
        search.step(shards)
        if on_depth is not None:
            on_depth(search.result)
        if search.result.failure is not None:
            return [s.result for s in searches]


def get_failing(results: Sequence[ScopeResult]) -> Optional[ScopeResult]:
    """Return the scope of a search whose transition failed (a search stops at its first), or ``None``."""
    return next((result for result in results if result.failure is not None), None)


def check_scope(
    explorer: Explorer,
    engine: Optional[Engine] = None,
    opener: Optional[FactoryOpener] = None,
    on_depth: Optional[Callable[[ScopeResult], None]] = None,
) -> ScopeResult:
    """Judge every transition of the explorer's scope up to its depth, breadth first; stop at the first failure."""
    return search_scopes([explorer], engine, opener, None, on_depth)[0]


def _get_roots(explorer: Explorer, result: ScopeResult, seen: set[Digest]) -> list[_Node]:
    """Return the first frontier: every distinct root state (a failure at construction ends the search)."""
    frontier: list[_Node] = []
    for root in explorer.scope.get_roots():
        try:
            world = explorer.replay(root, ())
        except Nonconformance as failure:
            result.failure = failure
            break
        digest = explorer.get_digest(root, (), world)
        if digest not in seen:
            seen.add(digest)
            frontier.append(_Node(root, (), explorer.get_events((), world)))
    return frontier


def _merge(
    explorer: Explorer,
    result: ScopeResult,
    expansions: Sequence[_Expansion],
    sliced: Sequence[Sequence[_Node]],
    seen: set[Digest],
) -> tuple[list[_Node], int]:
    """Merge the shards' expansions in shard order into the next frontier; return it and the transitions judged.

    A failure ends the list (later shards are not looked at) and is replayed here into ``result``.
    """
    following: list[_Node] = []
    transitions = 0
    for (reached, failed, waived), shard in zip(expansions, sliced, strict=False):
        transitions += len(reached)
        for check, (count, trace) in waived.items():
            before, first = result.waived.get(check, (0, trace))
            result.waived[check] = (before + count, first)
        for index, event, digest, events in reached:
            if digest not in seen:
                assert events is not None
                node = shard[index]
                seen.add(digest)
                following.append(_Node(node.root, (*node.path, event), events))
        if failed is not None:
            node = shard[failed[0]]
            result.failure = _get_failure(explorer, node.root, (*node.path, failed[1]))
            return following, transitions + 1
    return following, transitions


def _get_failure(explorer: Explorer, root: Any, path: Sequence[Any]) -> AnyFailure:
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
