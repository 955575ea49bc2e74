"""The in-process adapter contract: the interface a third-party dialstate implements.

An implementation is created by a factory ``factory(config, profile)`` and then
driven exactly as geth's ``Server.run`` drives ``dialstate``.  Section
"In-process adapter contract" of ``spec/dialstate.md`` is the normative text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Callable, Protocol, runtime_checkable

from dialcheck.spec.execution import Execution, ExecutionInput
from dialcheck.spec.model import Config, ConnFlag, Node, NodeID, Profile, Task

__all__ = ["Dialstate", "ExecutingDialstate", "DialstateFactory", "CONTRACT_METHODS"]


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
