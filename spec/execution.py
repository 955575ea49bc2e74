"""The data of task execution (spec section 10): what the environment answers, what a task did.

Theory of operation
-------------------
Executing a task is geth's ``Do``.  The suite hands an implementation a task it
returned and an :class:`ExecutionInput`, everything the environment would
answer during that ``Do``: the time, whether a discovery table exists, what a
resolve of the task's node ID finds, the outcome of each connection attempt in
order, a lookup's results and when the previous lookup started.  The
implementation answers with an :class:`Execution`: the :data:`Action` values it
took, in order, and, for a dial task, the :class:`DialState` that execution
leaves in the task (the current resolve delay, the last resolve, the
destination), which later executions and dials of the same task depend on.

Nothing here reads a clock; "never" is ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional, Union

from dialcheck.spec.model import Node, NodeID

__all__ = [
    "Resolve",
    "Connect",
    "Sleep",
    "Lookup",
    "Action",
    "ExecutionInput",
    "DialState",
    "Execution",
    "read_nodes",
]


@dataclass(frozen=True)
class Resolve:
    """The task asked discovery for ``node_id`` and got ``found`` (``None``: not found)."""

    node_id: NodeID
    found: Optional[Node]


@dataclass(frozen=True)
class Connect:
    """The task attempted a connection to ``dest``; ``connected`` is the attempt's outcome."""

    dest: Node
    connected: bool


@dataclass(frozen=True)
class Sleep:
    """The task slept for ``duration`` nanoseconds."""

    duration: int


@dataclass(frozen=True)
class Lookup:
    """The task ran a discovery lookup that returned ``results``."""

    results: tuple[Node, ...]


Action = Union[Resolve, Connect, Sleep, Lookup]


@dataclass(frozen=True)
class ExecutionInput:
    """Everything the environment answers while one task executes.

    ``resolved`` is what a resolve of the task's node ID finds (its ID is the task's);
    ``connects`` are the outcomes of the first and later connection attempts, in order
    (an attempt beyond them fails); ``lookup`` is what a lookup returns; ``last_lookup``
    is when the previous lookup started, server-wide (``None``: never).
    """

    now: int
    discovery: bool = True
    resolved: Optional[Node] = None
    connects: tuple[bool, ...] = ()
    lookup: tuple[Node, ...] = ()
    last_lookup: Optional[int] = None

    def get_connect(self, attempt: int) -> bool:
        """Return the outcome of connection attempt ``attempt`` (0-based); beyond the list, failure."""
        return self.connects[attempt] if attempt < len(self.connects) else False


@dataclass(frozen=True)
class DialState:
    """What execution leaves in a dial task: resolve delay (0: never tried), last resolve, destination."""

    resolve_delay: int
    last_resolved: Optional[int]
    dest: Node


@dataclass(frozen=True)
class Execution:
    """What one ``Do`` did, in order, and the dial task's state after it (``None`` for other tasks)."""

    actions: tuple[Action, ...]
    state: Optional[DialState] = None


def read_nodes(iterator: Sequence[Node], want: int) -> tuple[Node, ...]:
    """Return what geth's ``enode.ReadNodes(it, want)`` returns when the iterator yields ``iterator``.

    It reads at most ``want`` nodes (duplicates count) and drops duplicates, a later node of an ID
    replacing the earlier one (their sequence numbers are equal here).  geth returns them in Go's
    random map order; this returns each ID at the place it was first read (EX-ITER-1: the order
    carries no meaning).
    """
    seen: dict[NodeID, Node] = {}
    for node in iterator[: max(0, want)]:
        seen[node.id] = node
    return tuple(seen.values())
