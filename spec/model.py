"""The data model shared by the reference, the suite and in-process implementations.

Theory of operation
-------------------
Everything a dialstate sees or produces is one of a few small values:

* a node ID is a lowercase hex string (geth v1.7 uses 64-byte public keys, so
  128 digits; any even length is accepted);
* a :class:`Node` is an ID plus an endpoint (IP text or ``None`` for an
  incomplete node, TCP and UDP ports);
* a peer is described only by its :class:`ConnFlag` bits;
* a task is a :class:`DialTask`, a :class:`DiscoverTask` or a :class:`WaitTask`.
  Dial and discover tasks are compared by *identity* (geth hands the very same
  static dial task object back again and again), wait tasks by duration;
* time is an integer number of nanoseconds; ``0`` is geth's zero ``time.Time``,
  the "not started" sentinel (``DS-TIME-1``).

Nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Optional, Union

__all__ = [
    "NANOSECOND",
    "SECOND",
    "MINUTE",
    "HOUR",
    "ZERO_TIME",
    "MIN_DURATION",
    "MAX_DURATION",
    "DIAL_HISTORY_EXPIRATION",
    "LOOKUP_INTERVAL",
    "FALLBACK_INTERVAL",
    "INITIAL_RESOLVE_DELAY",
    "MAX_RESOLVE_DELAY",
    "ID_WIDTHS",
    "ProfileRules",
    "PROFILE_RULES",
    "get_rules",
    "MAX_ACTIVE_DIAL_TASKS",
    "NodeID",
    "Node",
    "ConnFlag",
    "FLAG_NAMES",
    "Profile",
    "DialTask",
    "DiscoverTask",
    "WaitTask",
    "Task",
    "TaskKey",
    "Config",
    "is_node_id",
    "compute_duration",
    "get_task_key",
    "get_task_snapshot",
    "get_dial_flag_names",
]

NANOSECOND = 1
SECOND = 1_000_000_000 * NANOSECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

#: geth's zero ``time.Time``: the instant that means "not started" (DS-TIME-1).
ZERO_TIME = 0

#: Bounds of Go's ``time.Duration`` (an int64 of nanoseconds); ``Time.Sub`` saturates to them.
MIN_DURATION = -(2**63)
MAX_DURATION = 2**63 - 1

DIAL_HISTORY_EXPIRATION = 30 * SECOND
LOOKUP_INTERVAL = 4 * SECOND
FALLBACK_INTERVAL = 20 * SECOND
INITIAL_RESOLVE_DELAY = 60 * SECOND
MAX_RESOLVE_DELAY = 1 * HOUR
#: Enforced by geth's server loop, not by dialstate; listed for completeness.
MAX_ACTIVE_DIAL_TASKS = 16

#: A node ID: lowercase hex digits, even length.
NodeID = str

#: The node ID widths, in bytes, an implementation may declare (ID-1): geth's ``enode.ID`` (v1.8.17 on)
#: and its ``discover.NodeID`` public keys (before).
ID_WIDTHS = (32, 64)

_NODE_ID = re.compile(r"(?:[0-9a-f]{2})+")


def is_node_id(value: object) -> bool:
    """Return whether ``value`` is a well-formed node ID (lowercase hex, even length)."""
    return isinstance(value, str) and _NODE_ID.fullmatch(value) is not None


def compute_duration(later: int, earlier: int) -> int:
    """Return ``later - earlier`` saturated to Go's Duration range, as ``time.Time.Sub`` does."""
    # DS-TIME-1: "the difference of two times MUST saturate to Go's time.Duration range".
    return max(MIN_DURATION, min(MAX_DURATION, later - earlier))


@dataclass(frozen=True)
class Node:
    """A node: its ID and endpoint; ``ip is None`` makes it incomplete.

    ``hostname`` is a DNS name from an ``enode://`` URL (the dialScheduler from ``geth-1.15``,
    SC-DNS-1); dialstate never reads it.
    """

    id: NodeID
    ip: Optional[str] = None
    tcp: int = 0
    udp: int = 0
    hostname: Optional[str] = None

    def is_incomplete(self) -> bool:
        """Return whether the node lacks an IP and must be resolved before dialing."""
        return self.ip is None


class ConnFlag(enum.Flag):
    """geth's ``connFlag`` bits, with geth's values."""

    DYN = 1
    STATIC = 2
    INBOUND = 4
    TRUSTED = 8


#: Wire and trace names of the flags, in bit order.
FLAG_NAMES: dict[ConnFlag, str] = {
    ConnFlag.DYN: "dyn",
    ConnFlag.STATIC: "static",
    ConnFlag.INBOUND: "inbound",
    ConnFlag.TRUSTED: "trusted",
}


class Profile(enum.Enum):
    """The geth behaviours dialcheck can hold an implementation to (spec section 12)."""

    GETH_1_7 = "geth-1.7"
    GETH_1_8 = "geth-1.8"
    GETH_1_9 = "geth-1.9"
    GETH_1_9_7 = "geth-1.9.7"


@dataclass(frozen=True)
class ProfileRules:
    """What differs between the profiles (spec section 12): one row per profile in :data:`PROFILE_RULES`."""

    #: The geth releases whose p2p/dial.go behaves so.
    releases: str
    #: How long a finished dial blocks its node (DS-HIST-1): 30 s, then ``inboundThrottleTime + 5 s``.
    history_expiration: int
    #: Whether ``remove_static`` also drops the node's history entry (DS-STATIC-5).
    remove_static_clears_history: bool
    #: Whether half of the dynamic dials come from the table (DS-RANDOM-1, DS-RANDOM-2).
    reads_table: bool
    #: Whether a discover task asks the node iterator for a number of nodes (DS-ITER-1).
    discover_wants: bool
    #: Whether a lookup waits 4 s after the previous one (LOOKUP_SPACING); from v1.9.7 the lookup
    #: reads the iterator (EX-ITER-1).
    lookup_spacing: bool


#: The profiles, as a table (spec section 12).
PROFILE_RULES: dict[Profile, ProfileRules] = {
    Profile.GETH_1_7: ProfileRules("v1.6.0 - v1.7.3, v1.8.0 - v1.8.1", 30 * SECOND, False, True, False, True),
    Profile.GETH_1_8: ProfileRules("v1.8.2 - v1.8.27", 30 * SECOND, True, True, False, True),
    Profile.GETH_1_9: ProfileRules("v1.9.0 - v1.9.6", 35 * SECOND, False, True, False, True),
    Profile.GETH_1_9_7: ProfileRules("v1.9.7 - v1.9.10", 35 * SECOND, False, False, True, False),
}


def get_rules(profile: Profile) -> ProfileRules:
    """Return what ``profile`` does where the profiles differ."""
    return PROFILE_RULES[profile]


@dataclass(eq=False)
class DialTask:
    """Dial ``dest`` with exactly one of ``ConnFlag.DYN`` or ``ConnFlag.STATIC``.

    ``resolve_delay`` and ``last_resolved`` are the task-execution state of geth's
    ``dialTask`` (EX-RESOLVE-2..4); a scheduler never reads them. ``last_resolved``
    is ``None`` until the task has resolved once.
    """

    flag: ConnFlag
    dest: Node
    resolve_delay: int = 0
    last_resolved: Optional[int] = None


@dataclass(eq=False)
class DiscoverTask:
    """Run one discovery lookup; its results come back through ``task_done``.

    ``want`` is how many nodes it asks the node iterator for (geth v1.9.7 on, DS-ITER-1);
    ``None`` before, where a lookup asks for no number.
    """

    want: Optional[int] = None


@dataclass(frozen=True)
class WaitTask:
    """Sleep for ``duration`` nanoseconds so that the loop wakes when history expires."""

    duration: int


Task = Union[DialTask, DiscoverTask, WaitTask]

#: What two tasks must share to count as the same answer (see :func:`get_task_key`).
TaskKey = tuple[object, ...]


def get_task_key(task: Task) -> TaskKey:
    """Return the value tasks are compared by in a multiset: kind, flag and whole destination, or duration."""
    if isinstance(task, DialTask):
        return ("dial", task.flag.value, task.dest.id, task.dest.ip, task.dest.tcp, task.dest.udp)
    if isinstance(task, WaitTask):
        return ("wait", task.duration)
    return ("discover",) if task.want is None else ("discover", task.want)


def get_task_snapshot(task: Task) -> Task:
    """Return a dial task copied as it is now (execution may change its destination later), others as they are."""
    return DialTask(task.flag, task.dest) if isinstance(task, DialTask) else task


def get_dial_flag_names(flag: ConnFlag) -> list[str]:
    """Return the trace names of the bits set in ``flag``, in bit order."""
    return [name for bit, name in FLAG_NAMES.items() if bit in flag]


@dataclass(frozen=True)
class Config:
    """What ``newDialState`` is given: our ID, the dynamic budget, statics, bootnodes, netrestrict.

    ``netrestrict`` is ``None`` for no restriction or a tuple of CIDR strings; an
    empty tuple admits no IP at all (DS-NET-1).
    """

    self_id: NodeID
    max_dyn_dials: int
    static: tuple[Node, ...] = ()
    bootnodes: tuple[Node, ...] = ()
    netrestrict: Optional[tuple[str, ...]] = field(default=None)
