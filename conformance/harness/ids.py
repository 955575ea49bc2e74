"""ID widths: hand an implementation every node ID at the width it declares.

Theory of operation
-------------------
geth's node IDs were 64-byte public keys (``discover.NodeID``) until v1.8.16 and
are 32-byte hashes (``enode.ID``) from v1.8.17 on; scheduling never depends on the
width (spec section 12).  The suite generates 64-byte IDs (``world.uint_id``) and a
hand-written trace may use any width.  An implementation may declare the width it
holds (``id_bytes`` in its ``hello`` answer, ``--id-bytes`` for ``--impl``); it then
receives every ID at that width (ID-1):

- a shorter ID is left-padded with zero bytes (``000000ff`` is ``00…00ff``);
- a longer ID loses leading zero bytes, which must all be zero: an ID whose
  significant bytes do not fit cannot be given, and a trace holding one is
  skipped with that reason (ID-2).

:func:`resize_factory` wraps an implementation so that the harness keeps its own
IDs: IDs going in are resized, IDs coming back (in tasks, actions, states) are
mapped back to the ID that was resized into them, and each task object keeps its
identity across calls (AD-3).  :func:`resize_trace` rewrites a saved trace at the
implementation's width, so that what a user replays is what their implementation
saw.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Callable, Optional, cast

from dialcheck.conformance.formats.scheduler_format import AnyTrace, any_trace_to_json
from dialcheck.conformance.formats.trace import (
    AddStaticStep,
    ExecuteStep,
    NewTasksStep,
    RemoveStaticStep,
    Step,
    TaskDoneStep,
    TaskRef,
    Trace,
    save_document,
)
from dialcheck.conformance.oracle.execution_checks import supports_execution
from dialcheck.spec.contract import CONTRACT_METHODS, Dialstate, DialstateFactory
from dialcheck.spec.execution import Action, Connect, Execution, ExecutionInput, Lookup, Resolve
from dialcheck.spec.model import ID_WIDTHS, Config, ConnFlag, DialTask, Node, NodeID, Profile, Task

__all__ = ["ID_WIDTHS", "fits", "resize_id", "get_unfit_id", "resize_trace", "save_as_seen", "resize_factory"]

_Map = Callable[[NodeID], NodeID]


def fits(node_id: NodeID, width: int) -> bool:
    """Return whether ``node_id`` can be given at ``width`` bytes (ID-2: only zero bytes are dropped)."""
    excess = len(node_id) - 2 * width
    return excess <= 0 or node_id[:excess].strip("0") == ""


def resize_id(node_id: NodeID, width: int) -> NodeID:
    """Return ``node_id`` at ``width`` bytes (ID-1); raise ``ValueError`` if it does not fit."""
    digits = 2 * width
    if len(node_id) <= digits:
        return node_id.rjust(digits, "0")
    if not fits(node_id, width):
        raise ValueError(f"node ID {node_id} does not fit in {width} bytes")
    return node_id[-digits:]


def _resize_node(node: Node, to: _Map) -> Node:
    return dataclasses.replace(node, id=to(node.id))


def _resize_nodes(nodes: Sequence[Node], to: _Map) -> tuple[Node, ...]:
    return tuple(_resize_node(n, to) for n in nodes)


def _resize_config(config: Config, to: _Map) -> Config:
    return dataclasses.replace(
        config,
        self_id=to(config.self_id),
        static=_resize_nodes(config.static, to),
        bootnodes=_resize_nodes(config.bootnodes, to),
    )


def _resize_inputs(inputs: ExecutionInput, to: _Map) -> ExecutionInput:
    resolved = None if inputs.resolved is None else _resize_node(inputs.resolved, to)
    return dataclasses.replace(inputs, resolved=resolved, lookup=_resize_nodes(inputs.lookup, to))


def _resize_action(action: Action, to: _Map) -> Action:
    if isinstance(action, Resolve):
        found = None if action.found is None else _resize_node(action.found, to)
        return Resolve(to(action.node_id), found)
    if isinstance(action, Connect):
        return Connect(_resize_node(action.dest, to), action.connected)
    if isinstance(action, Lookup):
        return Lookup(_resize_nodes(action.results, to))
    return action


def _resize_execution(execution: Execution, to: _Map) -> Execution:
    state = execution.state
    if state is not None:
        state = dataclasses.replace(state, dest=_resize_node(state.dest, to))
    return Execution(tuple(_resize_action(a, to) for a in execution.actions), state)


def _resize_task(task: Task, to: _Map) -> Task:
    if isinstance(task, DialTask):
        return dataclasses.replace(task, dest=_resize_node(task.dest, to))
    return task


def _resize_ref(ref: TaskRef, to: _Map) -> TaskRef:
    return ref if ref.dest is None else TaskRef(ref.kind, to(ref.dest))


def _resize_step(step: Step, to: _Map) -> Step:
    if isinstance(step, NewTasksStep):
        expect = None if step.expect is None else tuple(_resize_task(t, to) for t in step.expect)
        peers = tuple((to(node_id), flags) for node_id, flags in step.peers)
        return dataclasses.replace(step, peers=peers, table=_resize_nodes(step.table, to), expect=expect)
    if isinstance(step, TaskDoneStep):
        return dataclasses.replace(step, ref=_resize_ref(step.ref, to), results=_resize_nodes(step.results, to))
    if isinstance(step, (AddStaticStep, RemoveStaticStep)):
        return dataclasses.replace(step, node=_resize_node(step.node, to))
    assert isinstance(step, ExecuteStep)
    execution = None if step.expect is None else _resize_execution(step.expect, to)
    return dataclasses.replace(
        step, ref=_resize_ref(step.ref, to), inputs=_resize_inputs(step.inputs, to), expect=execution
    )


def _get_ids(trace: Trace) -> list[NodeID]:
    """Return every node ID ``trace`` holds (with repeats), by resizing it with a map that records."""
    seen: list[NodeID] = []

    def record(node_id: NodeID) -> NodeID:
        seen.append(node_id)
        return node_id

    _resize_config(trace.config, record)
    for step in trace.steps:
        _resize_step(step, record)
    return seen


def get_unfit_id(trace: Trace, width: int) -> Optional[NodeID]:
    """Return the first node ID of ``trace`` that does not fit in ``width`` bytes, or ``None`` (ID-2)."""
    return next((i for i in _get_ids(trace) if not fits(i, width)), None)


def resize_trace(trace: Trace, width: int) -> Trace:
    """Return ``trace`` with every node ID at ``width`` bytes (ID-1); ``ValueError`` if one does not fit."""

    def to(node_id: NodeID) -> NodeID:
        return resize_id(node_id, width)

    steps = tuple(_resize_step(step, to) for step in trace.steps)
    return dataclasses.replace(trace, config=_resize_config(trace.config, to), steps=steps)


def save_as_seen(trace: AnyTrace, id_bytes: Optional[int], directory: Path, stem: str) -> Path:
    """Save a trace of either family with its node IDs at the width the implementation holds (ID-1).

    What a user replays is then what the implementation saw.  A dialScheduler trace is saved as it
    is: the family's IDs have one width.
    """
    if id_bytes is not None and isinstance(trace, Trace):
        trace = resize_trace(trace, id_bytes)
    return save_document(any_trace_to_json(trace), directory, stem)


def _resize_into(node_id: NodeID, width: int, back: dict[NodeID, NodeID]) -> NodeID:
    """Return ``node_id`` at ``width`` bytes and remember where it came from in ``back``."""
    resized = resize_id(node_id, width)
    back.setdefault(resized, node_id)
    return resized


class _Resized:
    """An implementation seen through its declared ID width; the harness keeps its own IDs and task objects."""

    def __init__(self, inner: Dialstate, width: int, back: dict[NodeID, NodeID]) -> None:
        self._inner = inner
        self._width = width
        #: Each resized ID and the harness's ID it came from (the config's included).
        self._back = back
        #: Each task object of the implementation and the harness's object for it (identity kept, AD-3).
        self._outer: dict[int, tuple[Task, Task]] = {}
        self._inner_of: dict[int, tuple[Task, Task]] = {}

    def _to(self, node_id: NodeID) -> NodeID:
        return _resize_into(node_id, self._width, self._back)

    def _from(self, node_id: NodeID) -> NodeID:
        return self._back.get(node_id, node_id)

    def _get_outer(self, task: object) -> object:
        """Return the harness's object for the implementation's ``task`` (the same one each time)."""
        if not isinstance(task, DialTask):
            return task  # no ID inside; the session judges its shape
        known = self._outer.get(id(task))
        dest = _resize_node(task.dest, self._from)
        if known is not None and known[0] is task:
            outer = known[1]
            assert isinstance(outer, DialTask)
            outer.dest = dest  # execution may have resolved another endpoint
            outer.resolve_delay, outer.last_resolved = task.resolve_delay, task.last_resolved
            return outer
        outer = dataclasses.replace(task, dest=dest)
        self._outer[id(task)] = (task, outer)
        self._inner_of[id(outer)] = (outer, task)
        return outer

    def _get_inner(self, task: Task) -> Task:
        known = self._inner_of.get(id(task))
        return known[1] if known is not None and known[0] is task else task

    def new_tasks(
        self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]
    ) -> Sequence[Task]:
        """Ask the implementation with resized IDs; return its tasks with the harness's IDs."""
        resized_peers = {self._to(node_id): flags for node_id, flags in peers.items()}
        got = self._inner.new_tasks(running, resized_peers, now, [_resize_node(n, self._to) for n in table])
        if not isinstance(got, list):
            return got  # the session says what is wrong with it
        return [cast(Task, self._get_outer(task)) for task in got]

    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        """Finish the implementation's own task object, results resized."""
        self._inner.task_done(self._get_inner(task), now, [_resize_node(n, self._to) for n in results])

    def add_static(self, node: Node) -> None:
        """Add the static node, resized."""
        self._inner.add_static(_resize_node(node, self._to))

    def remove_static(self, node: Node) -> None:
        """Remove the static node, resized."""
        self._inner.remove_static(_resize_node(node, self._to))


class _ResizedExecuting(_Resized):
    """A resized implementation with the execute capability (AD-5)."""

    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        """Execute the implementation's own task with resized inputs; return what it did with the harness's IDs."""
        inner = self._inner
        assert supports_execution(inner)
        got = inner.execute(self._get_inner(task), _resize_inputs(inputs, self._to))
        if not isinstance(got, Execution):
            return got  # the session says what is wrong with it
        if isinstance(task, DialTask) and got.state is not None:
            self._get_outer(self._get_inner(task))
        return _resize_execution(got, self._from)


def resize_factory(factory: DialstateFactory, width: Optional[int]) -> DialstateFactory:
    """Return a factory whose implementations receive every ID at ``width`` bytes (``None``: as given)."""
    if width is None:
        return factory
    chosen = width

    def create(config: Config, profile: Profile) -> Dialstate:
        back: dict[NodeID, NodeID] = {}
        inner = factory(_resize_config(config, lambda i: _resize_into(i, chosen, back)), profile)
        if any(not callable(getattr(inner, name, None)) for name in CONTRACT_METHODS):
            return inner  # the session says which methods are missing
        wrapper = _ResizedExecuting if supports_execution(inner) else _Resized
        return wrapper(inner, chosen, back)

    return create
