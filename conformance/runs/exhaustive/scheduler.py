"""The dialScheduler's scopes for bounded exhaustive checking: the nodes, clock moves and answers a scope explores.

A :class:`SchedulerScope` names configurations and starts (the roots), the happenings it lets
happen and the :class:`~dialcheck.conformance.harness.world.SchedulerDomain` their arguments are drawn
from.  States merge by the reference scheduler's snapshot and the world around it, times made
relative to the clock (:func:`get_scheduler_state_key`); a scope may opt out of merging.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Optional

from dialcheck.conformance.harness.session import SchedulerSession
from dialcheck.conformance.harness.world import (
    SCHEDULER_UNIVERSE,
    BranchingChooser,
    Happening,
    SchedulerDomain,
    SchedulerWorld,
    sched_id,
)
from dialcheck.conformance.runs.exhaustive.dialstate import _seconds
from dialcheck.conformance.runs.exhaustive.search import Preset, StateKey, Transition
from dialcheck.spec.model import SECOND, Node
from dialcheck.spec.scheduler import SchedulerConfig

__all__ = ["SchedulerScope", "SCHEDULER_PRESETS", "get_scheduler_state_key"]


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

    def get_roots(self) -> list[_SchedulerRoot]:
        """Return every configuration and start of the scope."""
        return [_SchedulerRoot(c, t) for c in self.configs for t in self.start_times]

    def begin(self, session: SchedulerSession, root: _SchedulerRoot) -> SchedulerWorld:
        """Start the scheduler of ``session`` at ``root``'s start; its world draws from the scope's domain."""
        return SchedulerWorld.begin(session, root.start, self.domain)

    def get_happenings(self, world: SchedulerWorld) -> tuple[Happening, ...]:
        """Return the scope's happenings that can happen now."""
        return tuple(h for h in world.get_possible() if h in self.happenings)

    def happen(self, world: SchedulerWorld, happening: Happening, chooser: BranchingChooser) -> None:
        """Make ``happening`` happen to ``world``, its arguments drawn from the scope's domain."""
        world.happen(happening, chooser)

    def get_key(self, root: _SchedulerRoot, path: tuple[Transition, ...], world: SchedulerWorld) -> object:
        """Return the state ``world`` is in (the path itself in a scope that does not merge, or once the twin
        could not follow the implementation below ``strict``)."""
        return get_scheduler_state_key(world) if self.merge and world.session.twin is not None else path


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


def get_scheduler_state_key(world: SchedulerWorld) -> StateKey:
    """Return the state ``world`` is in: the reference twin's snapshot and the world around it, time made relative.

    The twin's snapshot answers every later event alike whenever it is equal (its times are relative
    to the clock, but for SC-RESOLVE-2's quirk at clock 0, hence whether the clock is at 0); the session
    adds the server's peers and pending connections and what the implementation said (whether it reads,
    the dials it runs), the world the dials whose 35 s mark is still ahead.
    """
    session = world.session
    twin = session.twin
    assert twin is not None
    now = world.now
    return (
        twin.get_snapshot(),
        now == 0,
        tuple(sorted((i, t - now) for i, t in world.started.items() if t + _TASK_SPAN + 1 > now)),
        session.reads,
        tuple(sorted((node_id, flag.value) for node_id, flag in session.dialing.items())),
        tuple(sorted((node_id, flag.value) for node_id, flag in session.peers.items())),
        tuple(sorted(session.pending)),
    )


_S_SELF = sched_id(0)


def _few_run_inputs(node: Node) -> tuple[tuple[Optional[Node], ...], tuple[Optional[str], ...]]:
    """What a small scope's resolve may find (nothing, or the node moved) and a DNS lookup (nothing, or its IP)."""
    moved = Node(node.id, "10.0.0.77", 30304, 30304)
    return (None, moved), (None, node.ip)


def _other_run_inputs(node: Node) -> tuple[tuple[Optional[Node], ...], tuple[Optional[str], ...]]:
    """What a resolve may find (nothing, or the node moved) and a DNS lookup (nothing, or another IP)."""
    return (None, Node(node.id, "10.0.0.77", 30304, 30304)), (None, "10.0.0.77")


def _dns_run_inputs(node: Node) -> tuple[tuple[Optional[Node], ...], tuple[Optional[str], ...]]:
    """No resolve; a DNS answer of either family, as local as the other (SC-DNS-2)."""
    return (None,), ("10.0.0.77", "fd00::77")


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
                # A candidate offered while connected, then the peer drops: it is gone (SC-DYN-1). The refused
                # offer leaves the reference where it was, so only a scope that does not merge sees a bug keep it.
                SchedulerScope(
                    name="zoo/candidates",
                    depth=3,
                    configs=(SchedulerConfig(_S_SELF, 1, 1),),
                    domain=SchedulerDomain((_SU[1], _SU[2]), (SECOND,), _no_run_inputs),
                    happenings=(_H.INBOUND, _H.OFFER, _H.DROP),
                    merge=False,
                ),
                # A static named by DNS whose answer changes family between two dials (SC-DNS-2).
                SchedulerScope(
                    name="zoo/dns",
                    depth=4,
                    configs=(SchedulerConfig(_S_SELF, 1, 1, None, False),),
                    domain=SchedulerDomain((_SU[13],), (SECOND,), _dns_run_inputs),
                    happenings=(_H.ADVANCE, _H.DONE, _H.ADD_STATIC),
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

_ZOO = {scope.name: scope for scope in SCHEDULER_PRESETS["zoo"].scopes}

#: ``dialcheck run``'s opening pass (``runner.py``): small scopes explored cheapest first, chosen so that every
#: member of the dialScheduler's zoo is found in them (docs/exhaustive.md).
SCHEDULER_PRESETS["opening"] = Preset(
    "opening",
    "what dialcheck run explores first: small scopes, every happening, cheapest depth first",
    (
        replace(_ZOO["zoo/slots"], name="opening/slots", depth=2),
        # A static waiting in the pool while its node connects inbound, passes its handshake, completes, drops.
        SchedulerScope(
            name="opening/pool",
            depth=4,
            configs=(SchedulerConfig(_S_SELF, 1, 1),),
            domain=SchedulerDomain((_SU[1], _SU[2]), (SECOND,), _no_run_inputs),
            happenings=(_H.ADD_STATIC, _H.INBOUND, _H.PENDING, _H.SETTLED, _H.DROP, _H.DONE),
        ),
        replace(_ZOO["zoo/addresses"], name="opening/addresses", depth=2),
        # A static added again at another address, or removed, while it waits for n2's dial: every path.
        SchedulerScope(
            name="opening/statics",
            depth=4,
            configs=(SchedulerConfig(_S_SELF, 1, 1),),
            domain=SchedulerDomain((_SU[2], _SU[1], _S1_MOVED), (SECOND,), _no_run_inputs),
            happenings=(_H.ADD_STATIC, _H.REMOVE_STATIC, _H.DONE),
            merge=False,
        ),
        replace(_ZOO["zoo/candidates"], name="opening/candidates"),
        replace(_ZOO["zoo/dns"], name="opening/dns"),
        replace(_ZOO["zoo/resolve"], name="opening/resolve", depth=4),
    ),
)
