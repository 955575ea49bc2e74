"""The in-process adapter contracts: the interfaces a third-party dialer implements, one per family.

A dialstate (geth v1.6.0 - v1.9.10) is created by a factory ``factory(config,
profile)`` and then driven exactly as geth's ``Server.run`` drives ``dialstate``
(``spec/dialstate.md``, "In-process adapter contract").  A dialScheduler (geth
v1.9.11 on) is created by a factory the same way and then told of events
(``spec/scheduler.md`` section 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Callable, Protocol, runtime_checkable

from dialcheck.spec.execution import Execution, ExecutionInput
from dialcheck.spec.model import Config, ConnFlag, Node, NodeID, Profile, Task
from dialcheck.spec.scheduler import (
    EVENT_NAMES,
    AddStatic,
    Advance,
    DialDone,
    InboundCompleted,
    InboundPending,
    NodeOffered,
    PeerAdded,
    PeerRemoved,
    RemoveStatic,
    Response,
    RunInput,
    SchedulerConfig,
    SchedulerEvent,
    SchedulerProfile,
    Start,
    get_event_arguments,
    get_event_name,
)

__all__ = [
    "Dialstate",
    "ExecutingDialstate",
    "DialstateFactory",
    "CONTRACT_METHODS",
    "Scheduler",
    "SchedulerFactory",
    "SCHEDULER_METHODS",
    "EventMethods",
    "deliver_event",
]


@runtime_checkable
class Dialstate(Protocol):
    """A dial scheduler with geth's ``dialstate`` interface (AD-2: these four methods, sections 5-7)."""

    def new_tasks(
        self,
        running: int,
        peers: Mapping[NodeID, ConnFlag],
        now: int,
        table: Sequence[Node],
    ) -> Sequence[Task]:
        """Return the tasks to start now (geth's ``newTasks``)."""

    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        """Record that ``task``, an object ``new_tasks`` returned, has finished (geth's ``taskDone``)."""

    def add_static(self, node: Node) -> None:
        """Keep ``node`` connected from now on (geth's ``addStatic``)."""

    def remove_static(self, node: Node) -> None:
        """Stop keeping ``node`` connected (geth's ``removeStatic``)."""


@runtime_checkable
class ExecutingDialstate(Dialstate, Protocol):
    """A dialstate with the optional task-execution capability (AD-5, spec section 10)."""

    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        """Run ``task``'s ``Do`` with the environment's answers; return what it did and its state."""


#: The factory the suite calls once per trace or example.
DialstateFactory = Callable[[Config, Profile], Dialstate]

#: The methods an object must have to be driven as a :class:`Dialstate`.
CONTRACT_METHODS = ("new_tasks", "task_done", "add_static", "remove_static")


@runtime_checkable
class Scheduler(Protocol):
    """A dial scheduler with geth's ``dialScheduler`` events (SC-EVENT-1, spec/scheduler.md section 2).

    Every method answers with the dials started while handling the event and whether the
    scheduler now reads the node iterator; ``dial_done`` also with what the task did (SC-EVENT-2).
    """

    def start(self, now: int) -> Response:
        """Start with the clock at ``now``; called once, first."""

    def advance(self, now: int) -> Response:
        """Move the clock forward to ``now``; expire the history entries due (SC-HIST-1)."""

    def node_offered(self, node: Node) -> Response:
        """Take ``node`` from the iterator (sent only while reading, SC-DYN-1)."""

    def dial_done(self, node_id: NodeID, inputs: RunInput) -> Response:
        """Run the task of the dial to ``node_id`` with the given answers; it returns (section 11, SC-DONE-1)."""

    def peer_added(self, node_id: NodeID, flags: ConnFlag) -> Response:
        """Learn that the server added a peer (SC-PEER-1)."""

    def peer_removed(self, node_id: NodeID, flags: ConnFlag) -> Response:
        """Learn that the server removed a peer (SC-PEER-2)."""

    def add_static(self, node: Node) -> Response:
        """Keep ``node`` connected from now on (SC-STATIC-1)."""

    def remove_static(self, node: Node) -> Response:
        """Stop keeping ``node`` connected (SC-STATIC-2)."""

    def inbound_pending(self, node_id: NodeID) -> Response:
        """Learn of a pending inbound connection from ``node_id`` (``geth-1.17.2``, SC-INBOUND-1)."""

    def inbound_completed(self, node_id: NodeID) -> Response:
        """Learn that the inbound connection from ``node_id`` was added or failed (SC-INBOUND-1)."""


#: The factory the suite calls once per trace or example of the scheduler family.
SchedulerFactory = Callable[[SchedulerConfig, SchedulerProfile], Scheduler]

#: The methods an object must have to be driven as a :class:`Scheduler`: one per event, named as it.
SCHEDULER_METHODS = tuple(EVENT_NAMES.values())


class EventMethods:
    """The contract's event methods, each handing its event to :meth:`on_event`: for implementations that
    handle an event as a value (the reference, the wire adapter) and still offer the contract's methods.
    """

    def on_event(self, event: SchedulerEvent) -> Response:
        """Answer ``event``."""
        raise NotImplementedError

    def start(self, now: int) -> Response:
        """Answer :class:`~dialcheck.spec.scheduler.Start`."""
        return self.on_event(Start(now))

    def advance(self, now: int) -> Response:
        """Answer :class:`~dialcheck.spec.scheduler.Advance`."""
        return self.on_event(Advance(now))

    def node_offered(self, node: Node) -> Response:
        """Answer :class:`~dialcheck.spec.scheduler.NodeOffered`."""
        return self.on_event(NodeOffered(node))

    def dial_done(self, node_id: NodeID, inputs: RunInput) -> Response:
        """Answer :class:`~dialcheck.spec.scheduler.DialDone`."""
        return self.on_event(DialDone(node_id, inputs))

    def peer_added(self, node_id: NodeID, flags: ConnFlag) -> Response:
        """Answer :class:`~dialcheck.spec.scheduler.PeerAdded`."""
        return self.on_event(PeerAdded(node_id, flags))

    def peer_removed(self, node_id: NodeID, flags: ConnFlag) -> Response:
        """Answer :class:`~dialcheck.spec.scheduler.PeerRemoved`."""
        return self.on_event(PeerRemoved(node_id, flags))

    def add_static(self, node: Node) -> Response:
        """Answer :class:`~dialcheck.spec.scheduler.AddStatic`."""
        return self.on_event(AddStatic(node))

    def remove_static(self, node: Node) -> Response:
        """Answer :class:`~dialcheck.spec.scheduler.RemoveStatic`."""
        return self.on_event(RemoveStatic(node))

    def inbound_pending(self, node_id: NodeID) -> Response:
        """Answer :class:`~dialcheck.spec.scheduler.InboundPending`."""
        return self.on_event(InboundPending(node_id))

    def inbound_completed(self, node_id: NodeID) -> Response:
        """Answer :class:`~dialcheck.spec.scheduler.InboundCompleted`."""
        return self.on_event(InboundCompleted(node_id))


def deliver_event(subject: Scheduler, event: SchedulerEvent) -> object:
    """Hand ``event`` to the scheduler's method for it (named in the event table) and return what it returned."""
    method: Callable[..., object] = getattr(subject, get_event_name(event))
    return method(*get_event_arguments(event))
