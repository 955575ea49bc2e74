"""The breadth-first search of bounded exhaustive checking, written once over every family's scopes.

Theory of operation
-------------------
A scope (``dialstate.Scope``; ``scheduler.SchedulerScope`` for the dialScheduler) names its
roots, how a world begins around a session, which of the world's happenings can happen now, how
one happens (its arguments drawn through a chooser), and the key of the state a world is in.  The
:class:`Explorer` enumerates every way each happening can choose its arguments with a
:class:`~dialcheck.conformance.harness.world.BranchingChooser` (the same protocol the random runs
draw through); each way is a :class:`Transition`, replayed from its root into a fresh session of
the implementation and judged at ``strict`` level.  :func:`check_scope` explores breadth first up
to the scope's depth, a state seen before not explored again (states merge by the key), over
``--jobs`` workers in shards whose results merge in frontier order.
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
from dialcheck.conformance.harness.workers import FactoryOpener, Workers
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
    "InWorkers",
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

#: What exploring a shard of the frontier gives: every transition judged, in order, and where the first
#: failure happened (node index and event), if one did.
_Expansion = tuple[list[_Reached], Optional[tuple[int, Any]]]


@dataclass(frozen=True)
class Explorer:
    """Replays paths of one scope into fresh sessions of one implementation, and judges every transition."""

    factory: Any
    profile: Any
    scope: SearchScope
    origin: str

    def replay(self, root: Any, path: Sequence[Transition]) -> Any:
        """Return the world after ``path`` from ``root``, every step judged (raises the first failure)."""
        description = f"Found by dialcheck check --exhaustive (scope {self.scope.name}) against {self.origin}."
        session = family_of(self.profile).session_type.create(
            self.factory, root.config, self.profile, origin=self.origin, level=Level.STRICT, description=description
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

    def get_transitions(self, node: _Node) -> Iterator[tuple[Transition, Optional[Any]]]:
        """Yield every way each happening of ``node`` can choose its arguments, and the world it reaches.

        ``None`` for the world: that transition failed (nothing more is asked of the iterator then).
        """
        for happening in node.events:
            prefix: Optional[tuple[int, ...]] = ()
            while prefix is not None:
                chooser = BranchingChooser(prefix)
                try:
                    world = self.replay(node.root, node.path)
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

    def __init__(self, explorer: Explorer) -> None:
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
    explorer: Explorer,
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
    frontier = _get_roots(explorer, result, seen, news)
    result.progress.states_by_depth.append(len(frontier))
    for _ in range(scope.depth if result.failure is None else 0):
        sliced = _split(frontier, parts)
        expansions = shards.expand(sliced, news)
        news = []
        frontier, transitions = _merge(explorer, result, expansions, sliced, seen, news)
        result.progress.states_by_depth.append(len(frontier))
        result.progress.transitions_by_depth.append(transitions)
        result.seconds = time.monotonic() - started
        if on_depth is not None:
            on_depth(result)
        if result.failure is not None:
            break
    result.seconds = time.monotonic() - started
    return result


def _get_roots(explorer: Explorer, result: ScopeResult, seen: set[Digest], news: list[Digest]) -> list[_Node]:
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
            news.append(digest)
            frontier.append(_Node(root, (), explorer.get_events((), world)))
    return frontier


def _merge(
    explorer: Explorer,
    result: ScopeResult,
    expansions: Sequence[_Expansion],
    sliced: Sequence[Sequence[_Node]],
    seen: set[Digest],
    news: list[Digest],
) -> tuple[list[_Node], int]:
    """Merge the shards' expansions in shard order into the next frontier; return it and the transitions judged.

    A failure ends the list (later shards are not looked at) and is replayed here into ``result``.
    """
    following: list[_Node] = []
    transitions = 0
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


class InWorkers:
    """Explores each shard in a worker process of its own, with its own implementation (``--jobs N``)."""

    def __init__(self, count: int, opener: FactoryOpener, explorer: Explorer) -> None:
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
