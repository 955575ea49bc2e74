"""The dialScheduler's named invariants (spec/scheduler.md section 12), judged from events and responses alone.

Theory of operation
-------------------
A :class:`SchedulerChecker` is fed every event of a run and what the
implementation answered, in order.  From those observations alone, and the
rules of spec/scheduler.md (never the reference), it keeps what the rules make
knowable from the outside:

=================  =============================================================
clock              the time of the last ``start`` or ``advance``
dialing            node ID -> flag of every dial started and not done
peers              node ID -> flags of every connected peer; how many were dialed
statics            node ID -> the static node's current destination (a run that
                   resolved or looked up a new address moves it, SC-RESOLVE-4,
                   SC-DNS-1)
pool               the static IDs the rules put in geth's pool (SC-STATIC-3, -4)
history            node ID -> expiry of its last dial start (SC-DIAL-1, SC-HIST-1)
pending inbound    the IDs with a pending inbound connection (``geth-1.17.2``)
=================  =============================================================

Each response is judged against the state *after the event's own effect*
(a peer counted, a dial forgotten, history expired, the offered node dialed)
and *before the loop head* (SC-LOOP-1).  Every check is sound for geth: the
reference never violates one, whatever the events (a property the suite tests).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Optional

from dialcheck.conformance.formats.render import format_node_id, format_time
from dialcheck.conformance.oracle.invariants import Violation
from dialcheck.spec.execution import Resolve
from dialcheck.spec.model import ConnFlag, Node, NodeID
from dialcheck.spec.netrestrict import Netlist
from dialcheck.spec.scheduler import (
    DEFAULT_MAX_ACTIVE_DIALS,
    SCHEDULER_HISTORY_EXPIRATION,
    Addresses,
    Dial,
    DialDone,
    DnsLookup,
    NodeOffered,
    Response,
    RunAction,
    RunInput,
    SchedulerConfig,
    SchedulerEvent,
    SchedulerProfile,
    get_addresses,
    get_dial_key,
    get_dns_update,
    get_event_arguments,
    get_event_name,
    get_scheduler_rules,
    is_connected,
)
from dialcheck.spec.verdicts import Verdict

__all__ = ["SchedulerChecker"]

_DIALED = ConnFlag.DYN | ConnFlag.STATIC


class SchedulerChecker:
    """Judge each response of one scheduler run against the named invariants."""

    def __init__(self, config: SchedulerConfig, profile: SchedulerProfile) -> None:
        self._config = config
        self._rules = get_scheduler_rules(profile)
        self._max_active = config.max_active_dials or DEFAULT_MAX_ACTIVE_DIALS
        self._netlist = None if config.netrestrict is None else Netlist(config.netrestrict)
        self._now = 0
        self._dialing: dict[NodeID, ConnFlag] = {}
        self._orphans: set[NodeID] = set()
        self._peers: dict[NodeID, ConnFlag] = {}
        self._dial_peers = 0
        self._static: dict[NodeID, Node] = {}
        self._addresses: dict[NodeID, Addresses] = {}
        self._pool: set[NodeID] = set()
        self._history: dict[NodeID, int] = {}
        self._pending: set[NodeID] = set()

    # -- observing -------------------------------------------------------------------

    def check(self, event: SchedulerEvent, response: Response) -> list[Violation]:
        """Observe ``event`` and the implementation's ``response``; return every invariant it broke."""
        if isinstance(event, DialDone):
            self._observe_run(event, response.actions)
            if event.inputs.joins and is_connected(response.actions):
                self._add_peer(event.node_id, self._dialing.get(event.node_id, ConnFlag.DYN))
        offered = self._apply(event)
        violations: list[Violation] = []
        dyn = [d for d in response.dials if d.flag is ConnFlag.DYN]
        statics = [d for d in response.dials if d.flag is not ConnFlag.DYN]
        self._check_dyn(offered, dyn, violations)
        self._check_dials(response.dials, violations)
        self._check_static_first(dyn, statics, violations)
        for dial in dyn:
            self._start(dial)
        free = self._get_free_slots()
        returned = self._get_returned(response, violations)
        # SC-RUN-3: a dial that returns at once gives its slot back before the next loop head.
        self._check_statics(statics, free + len(returned), violations)
        for dial in statics:
            self._start(dial)
            self._pool.discard(dial.dest.id)
        for node_id in returned:
            self._dialing.pop(node_id, None)
        left = free + len(returned) - len(statics)
        if response.reads is not (left > 0):
            violations.append(
                Violation(
                    Verdict.SC_ITERATOR_GATE,
                    f"said it {'reads' if response.reads else 'does not read'} the iterator with "
                    f"{left} slot(s) free after its static dials",
                )
            )
        return violations

    def _check_static_first(self, dyn: Sequence[Dial], statics: Sequence[Dial], violations: list[Violation]) -> None:
        """SC_STATIC_FIRST: no dial from the iterator while a static node of the pool could be dialed."""
        waiting = sorted(self._pool - {d.dest.id for d in statics})
        if dyn and waiting:
            violations.append(
                Violation(
                    Verdict.SC_STATIC_FIRST,
                    f"dialed {format_node_id(dyn[0].dest.id)} from the iterator while the static node(s) "
                    f"{', '.join(format_node_id(i) for i in waiting)} could be dialed",
                )
            )

    def _get_returned(self, response: Response, violations: list[Violation]) -> list[NodeID]:
        """Return the dials the response says returned at once (SC-RUN-3); one it did not start here breaks SC_SLOTS."""
        started = {d.dest.id for d in response.dials}
        for node_id in dict.fromkeys(response.done):
            if node_id not in started:
                violations.append(
                    Violation(
                        Verdict.SC_SLOTS,
                        f"said the dial to {format_node_id(node_id)} returned at once, but did not start it here",
                    )
                )
        return [i for i in dict.fromkeys(response.done) if i in started]

    def _observe_run(self, event: DialDone, actions: tuple[RunAction, ...]) -> None:
        """A static task that resolved or looked up a new address dials it from now on (SC-RESOLVE-4, SC-DNS-1)."""
        node_id = event.node_id
        if self._dialing.get(node_id) is not ConnFlag.STATIC or node_id in self._orphans or node_id not in self._static:
            return
        for action in actions:
            dest = self._static[node_id]
            if isinstance(action, Resolve) and action.found is not None and action.found.id == node_id:
                self._static[node_id] = action.found
                self._addresses.pop(node_id, None)
            elif isinstance(action, DnsLookup) and action.ip is not None:
                addresses = self._addresses.get(node_id) or get_addresses(dest.ip)
                drops = self._rules.dns_drops_other_family
                ip, self._addresses[node_id] = get_dns_update(addresses, action.ip, drops)  # SC-DNS-2
                self._static[node_id] = Node(dest.id, ip, dest.tcp, dest.udp, dest.hostname)

    # -- the event's own effect ---------------------------------------------------------

    def _add_peer(self, node_id: NodeID, flags: ConnFlag) -> None:
        self._dial_peers += 1 if flags & _DIALED else 0
        self._peers[node_id] = flags
        self._pool.discard(node_id)

    def _apply(self, event: SchedulerEvent) -> Optional[Node]:
        """Apply the event's effect (its ``_on_<name>`` method, named in the event table); return an offered node."""
        if isinstance(event, NodeOffered):
            return event.node
        handle: Callable[..., None] = getattr(self, f"_on_{get_event_name(event)}")
        handle(*get_event_arguments(event))
        return None

    def _on_start(self, now: int) -> None:
        self._on_advance(now)

    def _on_advance(self, now: int) -> None:
        self._now = now
        for node_id, expiry in sorted(self._history.items(), key=lambda e: e[1]):
            if expiry < now:  # SC-HIST-1: an entry expiring exactly now still blocks
                del self._history[node_id]
                self._offer(node_id)

    def _on_dial_done(self, node_id: NodeID, inputs: RunInput) -> None:
        self._dialing.pop(node_id, None)
        self._orphans.discard(node_id)
        self._offer(node_id)

    def _on_peer_added(self, node_id: NodeID, flags: ConnFlag) -> None:
        self._add_peer(node_id, flags)

    def _on_peer_removed(self, node_id: NodeID, flags: ConnFlag) -> None:
        self._dial_peers -= 1 if flags & _DIALED else 0
        self._peers.pop(node_id, None)
        self._offer(node_id)

    def _on_add_static(self, node: Node) -> None:
        if node.id not in self._static:
            self._static[node.id] = node
            self._offer(node.id)

    def _on_remove_static(self, node: Node) -> None:
        self._addresses.pop(node.id, None)
        if self._static.pop(node.id, None) is not None and node.id in self._dialing:
            self._orphans.add(node.id)
        self._pool.discard(node.id)

    def _on_inbound_pending(self, node_id: NodeID) -> None:
        if self._rules.tracks_pending_inbound:  # SC-INBOUND-1: before geth-1.17.2 the scheduler is not told
            self._pending.add(node_id)

    def _on_inbound_completed(self, node_id: NodeID) -> None:
        if self._rules.tracks_pending_inbound:
            self._pending.discard(node_id)
            self._offer(node_id)

    def _offer(self, node_id: NodeID) -> None:
        # SC-STATIC-3.
        dest = self._static.get(node_id)
        if dest is not None and node_id not in self._pool and self._refusal(dest) is None:
            self._pool.add(node_id)

    def _start(self, dial: Dial) -> None:
        self._dialing[dial.dest.id] = dial.flag
        self._history[dial.dest.id] = self._now + SCHEDULER_HISTORY_EXPIRATION

    def _is_static_at(self, dial: Dial) -> bool:
        """Return whether ``dial`` goes to the static node of its ID where that node is now."""
        known = self._static.get(dial.dest.id)
        return known is not None and get_dial_key(Dial(ConnFlag.STATIC, known)) == get_dial_key(dial)

    def _get_free_slots(self) -> int:
        return min((self._config.max_dial_peers - self._dial_peers) * 2, self._max_active) - len(self._dialing)

    def _refusal(self, node: Node) -> Optional[str]:
        """Return why checkDial refuses ``node`` (SC-CHECK-1), or ``None``."""
        node_id = node.id
        if node_id == self._config.self_id:
            return "is self"
        if self._rules.refuses_port_zero and node.ip is not None and node.tcp == 0:
            return "has no TCP port"
        if node_id in self._dialing:
            return "is being dialed"
        if node_id in self._peers:
            return "is connected"
        if node_id in self._pending:
            return "has a pending inbound connection"
        if self._netlist is not None and not self._netlist.contains(node.ip):
            return "is outside netrestrict"
        if node_id in self._history:
            return f"is in the dial history until {format_time(self._history[node_id])}"
        return None

    # -- the checks --------------------------------------------------------------------

    def _check_dyn(self, offered: Optional[Node], dyn: list[Dial], violations: list[Violation]) -> None:
        """SC_DYN_SOURCE: a ``dyn`` dial comes only from the node just offered, once."""
        if not dyn:
            return
        if offered is None or len(dyn) > 1 or get_dial_key(dyn[0]) != get_dial_key(Dial(ConnFlag.DYN, offered)):
            source = "no node was offered" if offered is None else f"{format_node_id(offered.id)} was offered"
            violations.append(
                Violation(
                    Verdict.SC_DYN_SOURCE,
                    f"started {len(dyn)} dyn dial(s) ({', '.join(format_node_id(d.dest.id) for d in dyn)}) "
                    f"but {source}: dynamic dials come only from the iterator's node, as offered",
                )
            )

    def _check_dials(self, dials: tuple[Dial, ...], violations: list[Violation]) -> None:
        """SC_NO_DOUBLE_DIAL, SC_NEVER_SELF, SC_NETRESTRICT, SC_HISTORY for every dial started."""
        counts = Counter(d.dest.id for d in dials)
        for node_id, count in counts.items():
            if count > 1:
                violations.append(
                    Violation(Verdict.SC_NO_DOUBLE_DIAL, f"started {count} dials to {format_node_id(node_id)} at once")
                )
        for dial in dials:
            node_id = dial.dest.id
            if node_id in self._dialing or node_id in self._peers:
                why = "is being dialed" if node_id in self._dialing else "is connected"
                violations.append(
                    Violation(Verdict.SC_NO_DOUBLE_DIAL, f"dialed {format_node_id(node_id)}, which {why}")
                )
            if node_id == self._config.self_id:
                violations.append(Violation(Verdict.SC_NEVER_SELF, f"dialed our own ID {format_node_id(node_id)}"))
            if self._netlist is not None and not self._netlist.contains(dial.dest.ip):
                violations.append(
                    Violation(
                        Verdict.SC_NETRESTRICT,
                        f"dialed {format_node_id(node_id)} at {dial.dest.ip}, outside netrestrict",
                    )
                )
            if node_id in self._history:
                violations.append(
                    Violation(
                        Verdict.SC_HISTORY,
                        f"dialed {format_node_id(node_id)} at {format_time(self._now)}; its last dial blocks it "
                        f"until an advance past {format_time(self._history[node_id])}",
                    )
                )

    def _check_statics(self, statics: list[Dial], free: int, violations: list[Violation]) -> None:
        """SC_SLOTS and SC_STATIC_REDIAL: the loop head starts exactly min(free, pool) pooled statics."""
        if len(statics) > max(free, 0):
            violations.append(
                Violation(Verdict.SC_SLOTS, f"started {len(statics)} static dial(s) with {max(free, 0)} slot(s) free")
            )
        outside = [d for d in statics if d.dest.id not in self._pool or not self._is_static_at(d)]
        for dial in outside:
            node_id = dial.dest.id
            known = self._static.get(node_id)
            why = (
                "is not a static node"
                if known is None
                else f"is a static node at {known.ip}:{known.tcp}"
                if not self._is_static_at(dial)
                else "cannot be dialed now"
            )
            violations.append(
                Violation(Verdict.SC_STATIC_REDIAL, f"started a static dial to {format_node_id(node_id)}, which {why}")
            )
        want = min(max(free, 0), len(self._pool))
        if len(statics) - len(outside) < want:
            waiting = sorted(self._pool - {d.dest.id for d in statics})
            violations.append(
                Violation(
                    Verdict.SC_STATIC_REDIAL,
                    f"started {len(statics) - len(outside)} of the {want} static dial(s) due with {free} slot(s) free; "
                    f"waiting: {', '.join(format_node_id(i) for i in waiting)}",
                )
            )
