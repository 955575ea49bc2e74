"""The data model of geth's event-driven ``dialScheduler`` (spec/scheduler.md), the second model family.

Theory of operation
-------------------
A scheduler is told of events one at a time (SC-EVENT-1) and answers each with a
:class:`Response`: the :class:`Dial` values it started and whether it now reads
the node iterator.  A started dial's task runs and returns at its ``dial_done``
event, given a :class:`RunInput` (what a DHT resolve finds, what a DNS lookup
finds, each TCP attempt's outcome, whether the server adds the connection as a
peer); that response also carries the :data:`RunAction` values the task took.

geth picks static dials with ``rand.Intn``; no other implementation can
reproduce that, so the reference answers a loop head with an
:class:`AllowedResponse` instead of one answer (SC-CHOICE-2): the dials it must
start, the pool it chooses statics from, the slots free, and which dials return
at once because their runs need no answer (SC-RUN-3).
:meth:`AllowedResponse.allows` is the strict comparison; it lives here, beside the
values it compares, because the oracle is part of the specification.

Where the profiles differ, :data:`SCHEDULER_RULES` has one row per profile
(spec/scheduler.md section 13).  Nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import enum
import ipaddress
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Optional, Union

from dialcheck.spec.execution import Connect, Resolve
from dialcheck.spec.model import SECOND, ConnFlag, Node, NodeID

__all__ = [
    "SCHEDULER_HISTORY_EXPIRATION",
    "DEFAULT_MAX_ACTIVE_DIALS",
    "SchedulerProfile",
    "SchedulerRules",
    "SCHEDULER_RULES",
    "get_scheduler_rules",
    "is_ipv6",
    "get_locality_score",
    "choose_ip",
    "Addresses",
    "get_addresses",
    "get_dns_update",
    "SchedulerConfig",
    "Dial",
    "Response",
    "AllowedResponse",
    "DnsLookup",
    "RunAction",
    "RunInput",
    "is_connected",
    "NO_ANSWERS",
    "get_dial_key",
    "get_actions_key",
    "Start",
    "Advance",
    "NodeOffered",
    "DialDone",
    "PeerAdded",
    "PeerRemoved",
    "AddStatic",
    "RemoveStatic",
    "InboundPending",
    "InboundCompleted",
    "SchedulerEvent",
    "EVENT_NAMES",
    "get_event_name",
    "get_event_arguments",
]

#: How long a started dial blocks its node: ``inboundThrottleTime + 5 s`` (SC-DIAL-1).
SCHEDULER_HISTORY_EXPIRATION = 35 * SECOND
#: What a ``max_active_dials`` of 0 means: geth's ``defaultMaxPendingPeers`` (SC-CONFIG-1).
DEFAULT_MAX_ACTIVE_DIALS = 50


class SchedulerProfile(enum.Enum):
    """The dialScheduler behaviours dialcheck can hold an implementation to (spec/scheduler.md section 13)."""

    GETH_1_9_11 = "geth-1.9.11"
    GETH_1_9_14 = "geth-1.9.14"
    GETH_1_15 = "geth-1.15"
    GETH_1_17_2 = "geth-1.17.2"
    GETH_1_17_8 = "geth-1.17.8"


@dataclass(frozen=True)
class SchedulerRules:
    """What differs between the scheduler profiles: one row per profile in :data:`SCHEDULER_RULES`."""

    #: The geth releases whose p2p/dial.go behaves so.
    releases: str
    #: Whether a node with an IP and TCP port 0 is refused (SC-CHECK-2), and only static tasks
    #: resolve before dialing (SC-RUN-1).
    refuses_port_zero: bool
    #: Whether a static task looks its destination's hostname up before dialing (SC-DNS-1).
    looks_up_dns: bool
    #: Whether pending inbound connections are tracked and refuse dials (SC-INBOUND-1).
    tracks_pending_inbound: bool
    #: Whether a DNS answer drops the destination's address of the other family (SC-DNS-2).
    dns_drops_other_family: bool = False


#: The profiles, as a table (spec/scheduler.md section 13).
SCHEDULER_RULES: dict[SchedulerProfile, SchedulerRules] = {
    SchedulerProfile.GETH_1_9_11: SchedulerRules("v1.9.11 - v1.9.13", False, False, False),
    SchedulerProfile.GETH_1_9_14: SchedulerRules("v1.9.14 - v1.14.13", True, False, False),
    SchedulerProfile.GETH_1_15: SchedulerRules("v1.15.0 - v1.17.1", True, True, False),
    SchedulerProfile.GETH_1_17_2: SchedulerRules("v1.17.2 - v1.17.7", True, True, True),
    SchedulerProfile.GETH_1_17_8: SchedulerRules("v1.17.8 - v1.17.10", True, True, True, True),
}


def get_scheduler_rules(profile: SchedulerProfile) -> SchedulerRules:
    """Return what ``profile`` does where the scheduler profiles differ."""
    return SCHEDULER_RULES[profile]


def is_ipv6(ip: str) -> bool:
    """Return whether ``ip`` is an IPv6 address (an IPv4-mapped one included, as text)."""
    return ":" in ip


def get_locality_score(ip: str) -> int:
    """Return how global ``ip`` is, as geth's ``enode.localityScore`` ranks it (SC-DNS-2).

    Unspecified 0, loopback 1, link-local unicast 2, private 3 (Go's ``IsPrivate``: 10/8, 172.16/12,
    192.168/16, fc00::/7), any other 4.
    """
    address = ipaddress.ip_address(ip)
    if address.is_unspecified:
        return 0
    if address.is_loopback:
        return 1
    if address.is_link_local:
        return 2
    private = _PRIVATE_6 if address.version == 6 else _PRIVATE_4
    return 3 if any(address in network for network in private) else 4


_PRIVATE_4 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_PRIVATE_6 = (ipaddress.ip_network("fc00::/7"),)


#: The IPv4 and IPv6 addresses a destination's record holds (SC-DNS-2).
Addresses = tuple[Optional[str], Optional[str]]


def get_addresses(ip: Optional[str]) -> Addresses:
    """Return the record addresses of a node whose IP is ``ip``."""
    return (None, ip) if ip is not None and is_ipv6(ip) else (ip, None)


def get_dns_update(addresses: Addresses, answer: str, drops_other_family: bool) -> tuple[Optional[str], Addresses]:
    """Return the IP a destination is dialed on after a DNS ``answer``, and its record's addresses (SC-DNS-2).

    The answer sets the address of its family; the other family's is kept (before geth-1.17.8) or dropped.
    """
    ip4, ip6 = (None, None) if drops_other_family else addresses
    if is_ipv6(answer):
        ip6 = answer
    else:
        ip4 = answer
    return choose_ip(ip4, ip6), (ip4, ip6)


def choose_ip(ip4: Optional[str], ip6: Optional[str]) -> Optional[str]:
    """Return the address a node with these record entries is dialed on (SC-DNS-2).

    geth's ``newNodeWithID``: the IPv4 address unless the IPv6 one is more global.
    """
    if ip4 is not None and ip6 is not None:
        return ip4 if get_locality_score(ip4) >= get_locality_score(ip6) else ip6
    return ip4 if ip4 is not None else ip6


@dataclass(frozen=True)
class SchedulerConfig:
    """What ``newDialScheduler`` is given: our ID, the slot limits, netrestrict, whether a resolver exists.

    ``max_active_dials`` 0 means 50 (SC-CONFIG-1); ``netrestrict`` is ``None`` for no
    restriction or a tuple of CIDR strings (an empty tuple admits no IP).
    """

    self_id: NodeID
    max_dial_peers: int
    max_active_dials: int = 0
    netrestrict: Optional[tuple[str, ...]] = field(default=None)
    resolver: bool = True


@dataclass(frozen=True)
class Dial:
    """A dial the scheduler started: ``ConnFlag.DYN`` or ``ConnFlag.STATIC``, and the destination."""

    flag: ConnFlag
    dest: Node


def get_dial_key(dial: Dial) -> tuple[object, ...]:
    """Return the value dials are compared by: flag and destination (SC-EVENT-2).

    A destination without an IP has no endpoint, so its ports are not compared: geth from v1.14.4
    reports a node without an IP with TCP and UDP port 0, earlier releases with the record's ports.
    """
    return (dial.flag.value, *_get_node_key(dial.dest))


def _get_node_key(node: Node) -> tuple[object, ...]:
    ports = (node.tcp, node.udp) if node.ip is not None else ()
    return (node.id, node.ip, *ports, node.hostname)


def get_actions_key(actions: tuple[RunAction, ...]) -> tuple[object, ...]:
    """Return the value a run's actions are compared by: each in order, destinations as dials compare."""
    return tuple(("connect", *_get_node_key(a.dest), a.connected) if isinstance(a, Connect) else a for a in actions)


@dataclass(frozen=True)
class DnsLookup:
    """The task looked ``hostname`` up and found ``ip`` (``None``: failed or found no address)."""

    hostname: str
    ip: Optional[str]


#: What a running dial task does, in order (SC-RUN-1..2, SC-RESOLVE-*, SC-DNS-1).
RunAction = Union[Resolve, DnsLookup, Connect]


@dataclass(frozen=True)
class Response:
    """What a scheduler answers an event with.

    ``dials``: the dials it started (any order); ``reads``: whether it now reads the iterator;
    ``actions``: for ``dial_done``, what the task's run did, in order; ``done``: the IDs of dials
    started in this event whose runs needed no answer from the environment and so returned
    within it (SC-RUN-3): no ``dial_done`` follows for them.
    """

    dials: tuple[Dial, ...] = ()
    reads: bool = False
    actions: tuple[RunAction, ...] = ()
    done: tuple[NodeID, ...] = ()


@dataclass(frozen=True)
class AllowedResponse:
    """Every answer the spec allows to one event (SC-CHOICE-2, SC-RUN-3).

    An allowed answer starts every dial of ``required`` and a set ``S`` of distinct dials of
    ``pool`` (the static pool at the loop head, ``free`` the slots free there) with
    ``|S| = min(|pool|, max(0, free + returned))``, where ``returned`` counts the dials of
    ``required`` and ``S`` whose IDs are in ``instant`` (their runs need no answer, so they
    return within the event and give their slot back).  It says those are ``done``, reads iff
    ``free + returned - |S| > 0``, and reports exactly ``actions``.  Without instant dials this
    is "any ``min(|pool|, max(0, free))`` of the pool".
    """

    required: tuple[Dial, ...]
    pool: tuple[Dial, ...]
    free: int
    instant: frozenset[NodeID] = frozenset()
    actions: tuple[RunAction, ...] = ()

    def get_chosen(self, response: Response) -> Optional[tuple[Dial, ...]]:
        """Return the dials of ``response`` beyond ``required``, or ``None`` if one of ``required`` is missing."""
        missing = Counter(get_dial_key(d) for d in self.required)
        chosen = []
        for dial in response.dials:
            key = get_dial_key(dial)
            if missing[key] > 0:
                missing[key] -= 1
            else:
                chosen.append(dial)
        return None if +missing else tuple(chosen)

    def get_outcome(self, chosen: tuple[Dial, ...]) -> tuple[bool, tuple[NodeID, ...]]:
        """Return whether the scheduler reads after starting ``chosen``, and which dials are done."""
        started = [d.dest.id for d in (*self.required, *chosen)]
        done = tuple(sorted(i for i in set(started) if i in self.instant))
        return self.free + len(done) - len(chosen) > 0, done

    def allows(self, response: Response) -> bool:
        """Return whether ``response`` is one of the allowed answers."""
        chosen = self.get_chosen(response)
        if chosen is None or get_actions_key(response.actions) != get_actions_key(self.actions):
            return False
        pool = {get_dial_key(d) for d in self.pool}
        keys = [get_dial_key(d) for d in chosen]
        if len(set(keys)) != len(keys) or any(k not in pool for k in keys):
            return False
        reads, done = self.get_outcome(chosen)
        if len(chosen) != min(len(self.pool), max(0, self.free + len(done))):
            return False
        return response.reads is reads and tuple(sorted(response.done)) == done

    def is_deterministic(self) -> bool:
        """Return whether exactly one set of statics is allowed (all of the pool, or none of it)."""
        if not self.pool:
            return True
        returned = sum(1 for d in self.required if d.dest.id in self.instant)
        if self.free + returned <= 0:
            return True
        return self.free + returned >= len(self.pool)


@dataclass(frozen=True)
class RunInput:
    """What the environment answers while one dial task runs (spec/scheduler.md section 11).

    ``found`` is what a DHT resolve of the task's ID finds (its ID is the task's); ``dns``
    what a lookup of the destination's hostname finds; ``connects`` the outcomes of the
    first and later TCP attempts, in order (an attempt beyond them fails); ``joins`` whether
    the server adds a connection the task made as a peer (SC-PEER-3).
    """

    found: Optional[Node] = None
    dns: Optional[str] = None
    connects: tuple[bool, ...] = ()
    joins: bool = False

    def get_connect(self, attempt: int) -> bool:
        """Return the outcome of TCP attempt ``attempt`` (0-based); beyond the list, failure."""
        return self.connects[attempt] if attempt < len(self.connects) else False


#: The answers of an environment where nothing is found and no attempt connects.
NO_ANSWERS = RunInput()


def is_connected(actions: tuple[RunAction, ...]) -> bool:
    """Return whether a task's run made a TCP connection (the server may then add the peer)."""
    return any(isinstance(a, Connect) and a.connected for a in actions)


# -- events as data (SC-EVENT-1) -------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """The scheduler is created with the clock at ``now``."""

    now: int


@dataclass(frozen=True)
class Advance:
    """The clock moves forward to ``now``."""

    now: int


@dataclass(frozen=True)
class NodeOffered:
    """The iterator delivers ``node``."""

    node: Node


@dataclass(frozen=True)
class DialDone:
    """The task of the dial to ``node_id`` runs with the environment's answers and returns."""

    node_id: NodeID
    inputs: RunInput = NO_ANSWERS


@dataclass(frozen=True)
class PeerAdded:
    """The server added a peer."""

    node_id: NodeID
    flags: ConnFlag


@dataclass(frozen=True)
class PeerRemoved:
    """The server removed a peer (with the flags it was added with)."""

    node_id: NodeID
    flags: ConnFlag


@dataclass(frozen=True)
class AddStatic:
    """A static node is added."""

    node: Node


@dataclass(frozen=True)
class RemoveStatic:
    """A static node is removed."""

    node: Node


@dataclass(frozen=True)
class InboundPending:
    """An inbound connection from ``node_id`` passed its encryption handshake (``geth-1.17.2``)."""

    node_id: NodeID


@dataclass(frozen=True)
class InboundCompleted:
    """The inbound connection from ``node_id`` was added or failed (``geth-1.17.2``)."""

    node_id: NodeID


#: An event of spec/scheduler.md section 2; each is answered with a :class:`Response`.
SchedulerEvent = Union[
    Start,
    Advance,
    NodeOffered,
    DialDone,
    PeerAdded,
    PeerRemoved,
    AddStatic,
    RemoveStatic,
    InboundPending,
    InboundCompleted,
]

#: The one event table (spec/scheduler.md section 2), in the section's order: each event's name is the
#: contract's method for it, the wire's and the trace's ``op``; the method takes the event's fields in
#: order.  Every dispatch on an event (the contract, the reference, the session, the checks, the
#: formats) is derived from it through :func:`get_event_name` and :func:`get_event_arguments`.
EVENT_NAMES: dict[type, str] = {
    Start: "start",
    Advance: "advance",
    NodeOffered: "node_offered",
    DialDone: "dial_done",
    PeerAdded: "peer_added",
    PeerRemoved: "peer_removed",
    AddStatic: "add_static",
    RemoveStatic: "remove_static",
    InboundPending: "inbound_pending",
    InboundCompleted: "inbound_completed",
}


def get_event_name(event: SchedulerEvent) -> str:
    """Return the name of ``event``: its method in the contract, its ``op`` on the wire and in a trace."""
    return EVENT_NAMES[type(event)]


def get_event_arguments(event: SchedulerEvent) -> tuple[object, ...]:
    """Return what the contract's method for ``event`` is called with: the event's fields, in order."""
    return tuple(getattr(event, f.name) for f in fields(event))
