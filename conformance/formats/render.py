"""Readable text for nodes, times, tasks and steps, as reports and replay failures print them.

Node IDs that are small integers (the suite's IDs, like geth's test ``uintID(i)``)
print as ``n3``; our own ID prints as ``self``; other IDs print as their first
eight digits followed by ``..``.  Times print in seconds (``20s``,
``20.000000001s``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

from dialcheck.conformance.formats.scheduler_format import EventStep
from dialcheck.conformance.formats.trace import AddStaticStep, ExecuteStep, NewTasksStep, Step, TaskDoneStep
from dialcheck.spec.execution import Action, Connect, Resolve, Sleep
from dialcheck.spec.model import (
    SECOND,
    ConnFlag,
    DialTask,
    Node,
    NodeID,
    Task,
    WaitTask,
    get_dial_flag_names,
    is_node_id,
)
from dialcheck.spec.scheduler import (
    AddStatic,
    Advance,
    AllowedResponse,
    Dial,
    DialDone,
    DnsLookup,
    InboundPending,
    NodeOffered,
    PeerAdded,
    PeerRemoved,
    RemoveStatic,
    Response,
    RunAction,
    SchedulerEvent,
    Start,
)

__all__ = [
    "format_node_id",
    "format_node",
    "format_flags",
    "format_time",
    "format_task",
    "format_tasks",
    "format_step",
    "format_action",
    "format_actions",
    "format_dials",
    "format_event",
    "format_response",
    "format_allowed",
    "format_run_actions",
    "format_any_step",
]

_SHORT_ID_BITS = 32


def format_node_id(node_id: NodeID, self_id: Optional[NodeID] = None) -> str:
    """Return ``self``, ``n<i>`` for small-integer IDs, or a shortened ID."""
    if node_id == self_id:
        return "self"
    if not is_node_id(node_id):
        return repr(node_id)
    if int(node_id, 16) < 2**_SHORT_ID_BITS:
        return f"n{int(node_id, 16)}"
    return node_id if len(node_id) <= 8 else node_id[:8] + ".."


def format_node(node: Node, self_id: Optional[NodeID] = None) -> str:
    """Return ``n3@10.0.0.3:30303``, with the UDP port when it differs, ``(no ip)`` when incomplete, the hostname."""
    name = format_node_id(node.id, self_id)
    host = "(no ip)" if node.ip is None else (f"[{node.ip}]" if ":" in node.ip else node.ip)
    text = f"{name}@{host}:{node.tcp}"
    text = text if node.udp in (0, node.tcp) else f"{text} udp {node.udp}"
    return text if node.hostname is None else f"{text} ({node.hostname})"


def format_time(nanoseconds: int) -> str:
    """Return a time or duration in seconds, exact to the nanosecond."""
    sign = "-" if nanoseconds < 0 else ""
    whole, fraction = divmod(abs(nanoseconds), SECOND)
    if fraction == 0:
        return f"{sign}{whole}s"
    return f"{sign}{whole}.{fraction:09d}".rstrip("0") + "s"


def format_flags(flags: ConnFlag) -> str:
    """Return flag names joined by ``+`` (``none`` for no flag)."""
    return "+".join(get_dial_flag_names(flags)) or "none"


def format_task(task: Task, self_id: Optional[NodeID] = None) -> str:
    """Return ``dial dyn n3@10.0.0.3:30303``, ``discover`` (``discover 3``: asking for 3 nodes) or ``wait 30s``."""
    if isinstance(task, DialTask):
        return f"dial {format_flags(task.flag)} {format_node(task.dest, self_id)}"
    if isinstance(task, WaitTask):
        return f"wait {format_time(task.duration)}"
    return "discover" if task.want is None else f"discover {task.want}"


def format_tasks(tasks: Iterable[Task], self_id: Optional[NodeID] = None) -> str:
    """Return a task list as ``[a, b]``."""
    return "[" + ", ".join(format_task(t, self_id) for t in tasks) + "]"


def format_step(step: Step, self_id: Optional[NodeID] = None) -> str:
    """Return one trace step as a line a person can read."""
    if isinstance(step, NewTasksStep):
        peers = ", ".join(f"{format_node_id(pid, self_id)}: {format_flags(flags)}" for pid, flags in step.peers)
        table = ", ".join(format_node(n, self_id) for n in step.table)
        return f"new_tasks at {format_time(step.now)}, running {step.running}, peers {{{peers}}}, table [{table}]"
    if isinstance(step, ExecuteStep):
        what = step.ref.kind if step.ref.dest is None else f"dial {format_node_id(step.ref.dest, self_id)}"
        inputs = step.inputs
        parts = [f"execute {what} at {format_time(inputs.now)}"]
        if step.ref.kind == "dial":
            found = "nothing" if inputs.resolved is None else format_node(inputs.resolved, self_id)
            attempts = ", ".join("connects" if c else "fails" for c in inputs.connects) or "fails"
            parts.append("no discovery" if not inputs.discovery else f"resolve finds {found}")
            parts.append(f"dials: {attempts}")
        elif step.ref.kind == "discover":
            last = "never" if inputs.last_lookup is None else format_time(inputs.last_lookup)
            parts.append(f"last lookup {last}")
        return ", ".join(parts)
    if isinstance(step, TaskDoneStep):
        what = step.ref.kind if step.ref.dest is None else f"dial {format_node_id(step.ref.dest, self_id)}"
        text = f"task_done {what} at {format_time(step.now)}"
        if step.results:
            text += " with results [" + ", ".join(format_node(n, self_id) for n in step.results) + "]"
        return text
    verb = "add_static" if isinstance(step, AddStaticStep) else "remove_static"
    return f"{verb} {format_node(step.node, self_id)}"


def format_action(action: Action, self_id: Optional[NodeID] = None) -> str:
    """Return one action of a task's execution in readable form."""
    if isinstance(action, Resolve):
        found = "nothing" if action.found is None else format_node(action.found, self_id)
        return f"resolve {format_node_id(action.node_id, self_id)} -> {found}"
    if isinstance(action, Connect):
        return f"connect {format_node(action.dest, self_id)} -> {'connected' if action.connected else 'failed'}"
    if isinstance(action, Sleep):
        return f"sleep {format_time(action.duration)}"
    return f"lookup -> [{', '.join(format_node(n, self_id) for n in action.results)}]"


def format_actions(actions: Iterable[Action], self_id: Optional[NodeID] = None) -> str:
    """Return a list of actions in readable form."""
    return "[" + ", ".join(format_action(a, self_id) for a in actions) + "]"


# -- the dialScheduler family ----------------------------------------------------------


def format_dials(dials: Iterable[Dial], self_id: Optional[NodeID] = None) -> str:
    """Return dials as ``[static n1@10.0.0.1:30303, dyn n2@...]``."""
    return "[" + ", ".join(f"{format_flags(d.flag)} {format_node(d.dest, self_id)}" for d in dials) + "]"


def format_event(event: SchedulerEvent, self_id: Optional[NodeID] = None) -> str:
    """Return one scheduler event as a line a person can read."""
    if isinstance(event, (Start, Advance)):
        return f"{'start' if isinstance(event, Start) else 'advance'} to {format_time(event.now)}"
    if isinstance(event, (NodeOffered, AddStatic, RemoveStatic)):
        verb = (
            "node_offered"
            if isinstance(event, NodeOffered)
            else "add_static"
            if isinstance(event, AddStatic)
            else "remove_static"
        )
        return f"{verb} {format_node(event.node, self_id)}"
    if isinstance(event, (PeerAdded, PeerRemoved)):
        verb = "peer_added" if isinstance(event, PeerAdded) else "peer_removed"
        return f"{verb} {format_node_id(event.node_id, self_id)} ({format_flags(event.flags)})"
    if isinstance(event, DialDone):
        inputs = event.inputs
        found = "nothing" if inputs.found is None else format_node(inputs.found, self_id)
        attempts = ", ".join("connects" if c else "fails" for c in inputs.connects) or "fails"
        dns = "" if inputs.dns is None else f", dns finds {inputs.dns}"
        joins = ", a connection joins as a peer" if inputs.joins else ""
        return (
            f"dial_done {format_node_id(event.node_id, self_id)}: resolve finds {found}{dns}, dials: {attempts}{joins}"
        )
    verb = "inbound_pending" if isinstance(event, InboundPending) else "inbound_completed"
    return f"{verb} {format_node_id(event.node_id, self_id)}"


def format_response(response: Response, self_id: Optional[NodeID] = None) -> str:
    """Return a response as ``ran [...], dials [...], reads``."""
    ran = f"ran {format_run_actions(response.actions, self_id)}, " if response.actions else ""
    return f"{ran}dials {format_dials(response.dials, self_id)}, {'reads' if response.reads else 'does not read'}"


def format_allowed(allowed: AllowedResponse, self_id: Optional[NodeID] = None) -> str:
    """Return every answer an event allows, in words (SC-CHOICE-2, SC-RUN-3)."""
    ran = f"ran {format_run_actions(allowed.actions, self_id)}, " if allowed.actions else ""
    text = f"{ran}dials {format_dials(allowed.required, self_id)}"
    if allowed.pool:
        text += (
            f" and, of the statics {format_dials(allowed.pool, self_id)}, as many as {allowed.free} free slot(s) allow"
        )
    if allowed.instant:
        text += f" (a dial to {', '.join(format_node_id(i, self_id) for i in sorted(allowed.instant))} returns at once)"
    return text + ", reading iff a slot stays free"


def format_run_actions(actions: Iterable[RunAction], self_id: Optional[NodeID] = None) -> str:
    """Return what a dial task's run did, in order."""
    return (
        "["
        + ", ".join(
            f"dns {a.hostname} -> {a.ip or 'nothing'}" if isinstance(a, DnsLookup) else format_action(a, self_id)
            for a in actions
        )
        + "]"
    )


def format_any_step(step: Step | EventStep, self_id: Optional[NodeID] = None) -> str:
    """Return a step of either family as a line a person can read."""
    return format_event(step.event, self_id) if isinstance(step, EventStep) else format_step(step, self_id)
