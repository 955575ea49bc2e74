"""The dialScheduler family in ``dialcheck-trace/1`` and ``dialcheck-wire/1`` (compatible extensions).

Theory of operation
-------------------
A trace or wire session whose profile is a scheduler profile (``geth-1.9.11``
...) carries a :class:`~dialcheck.spec.scheduler.SchedulerConfig` and events
instead of dialstate calls (``docs/trace-format.md`` and
``docs/wire-protocol.md``, "The dialScheduler family").  Each event is one
object whose ``op`` is the event's name, with its fields beside it; the same
object is a trace step (with an optional ``expect``) and a wire request.

A trace step's ``expect`` is what the spec allows (SC-CHOICE-2): the dials the
event must start (``dials``), the slots free at the loop head (``free``), the
static pool it chose from (``pool``), the dials whose runs return at once
(``instant``, SC-RUN-3) and for a ``dial_done`` what the task did
(``actions``); the step's ``chosen`` is the choice the recorded run made.
Parsing raises :class:`FormatError` naming the JSON path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, Optional, Union

from dialcheck.conformance.formats.trace import (
    FORMAT,
    Trace,
    action_to_json,
    describe_json,
    get_action,
    get_bool,
    get_flags,
    get_int,
    get_ip,
    get_list,
    get_netrestrict,
    get_node,
    get_node_id,
    get_object,
    get_optional_node,
    get_str,
    node_to_json,
    parse_trace,
    read_json,
    trace_to_json,
)
from dialcheck.spec.execution import Connect, Resolve
from dialcheck.spec.model import ConnFlag, get_dial_flag_names
from dialcheck.spec.scheduler import (
    EVENT_NAMES,
    AddStatic,
    Advance,
    AllowedResponse,
    Dial,
    DialDone,
    DnsLookup,
    InboundCompleted,
    InboundPending,
    NodeOffered,
    PeerAdded,
    PeerRemoved,
    RemoveStatic,
    Response,
    RunAction,
    RunInput,
    SchedulerConfig,
    SchedulerEvent,
    SchedulerProfile,
    Start,
)
from dialcheck.spec.verdicts import FormatError

__all__ = [
    "EVENT_OPS",
    "EventStep",
    "get_answer",
    "SchedulerTrace",
    "SCHEDULER_PROFILES",
    "get_scheduler_config",
    "scheduler_config_to_json",
    "get_event",
    "event_to_json",
    "get_dial",
    "dial_to_json",
    "get_response",
    "response_to_json",
    "parse_scheduler_trace",
    "scheduler_trace_to_json",
    "get_scheduler_init",
    "make_scheduler_init_request",
    "AnyTrace",
    "parse_any_trace",
    "load_any_trace",
    "any_trace_to_json",
]

#: The profiles of the family by name.
SCHEDULER_PROFILES = {profile.value: profile for profile in SchedulerProfile}

#: The ``op`` of each event, in the order of spec/scheduler.md section 2 (the event table's names).
EVENT_OPS = tuple(EVENT_NAMES.values())
_EVENT_KEYS: dict[str, set[str]] = {
    "start": {"now"},
    "advance": {"now"},
    "node_offered": {"node"},
    "dial_done": {"id"},
    "peer_added": {"id", "flags"},
    "peer_removed": {"id", "flags"},
    "add_static": {"node"},
    "remove_static": {"node"},
    "inbound_pending": {"id"},
    "inbound_completed": {"id"},
}
_RUN_INPUT_KEYS = {"found", "dns", "connects", "joins"}


@dataclass(frozen=True)
class EventStep:
    """One event of a scheduler trace; ``expect`` ``None``: the answer is not checked.

    ``chosen`` is the static dials the recorded run chose at the loop head (``()``: none).
    """

    event: SchedulerEvent
    expect: Optional[AllowedResponse] = None
    chosen: tuple[Dial, ...] = ()
    #: What the implementation answered, when the step was recorded from a run (not written to traces).
    answer: Optional[Response] = field(default=None, compare=False)


@dataclass(frozen=True)
class SchedulerTrace:
    """A whole scheduler trace: a config, a profile and the events to replay."""

    name: str
    profile: SchedulerProfile
    config: SchedulerConfig
    steps: tuple[EventStep, ...]
    description: Optional[str] = None


def _fail(path: str, message: str) -> NoReturn:
    raise FormatError(path, message)


# -- values ------------------------------------------------------------------------


def get_scheduler_config(value: object, path: str) -> SchedulerConfig:
    """Return ``value`` as a scheduler config. Raise ``FormatError`` naming ``path`` otherwise."""
    obj = get_object(value, path, {"self", "max_dial_peers"}, {"max_active_dials", "netrestrict", "resolver"})
    return SchedulerConfig(
        self_id=get_node_id(obj["self"], f"{path}.self"),
        max_dial_peers=get_int(obj["max_dial_peers"], f"{path}.max_dial_peers", 0, 2**31 - 1),
        # SC-CONFIG-1: 0 means 50.
        max_active_dials=get_int(obj.get("max_active_dials", 0), f"{path}.max_active_dials", 0, 2**31 - 1),
        netrestrict=get_netrestrict(obj.get("netrestrict"), f"{path}.netrestrict"),
        resolver=get_bool(obj.get("resolver", True), f"{path}.resolver"),
    )


def scheduler_config_to_json(config: SchedulerConfig) -> dict[str, object]:
    """Return the encoding of a scheduler config, every key spelt out."""
    return {
        "self": config.self_id,
        "max_dial_peers": config.max_dial_peers,
        "max_active_dials": config.max_active_dials,
        "netrestrict": None if config.netrestrict is None else list(config.netrestrict),
        "resolver": config.resolver,
    }


def get_dial(value: object, path: str) -> Dial:
    """Return ``value`` as a dial (exactly one of ``dyn`` or ``static``). Raise ``FormatError`` naming ``path``."""
    obj = get_object(value, path, {"flags", "dest"}, set())
    flag = get_flags(obj["flags"], f"{path}.flags")
    if flag not in (ConnFlag.DYN, ConnFlag.STATIC):
        _fail(f"{path}.flags", 'a dial has exactly one of "dyn" or "static"')
    return Dial(flag, get_node(obj["dest"], f"{path}.dest"))


def dial_to_json(dial: Dial) -> dict[str, object]:
    """Return the encoding of a dial."""
    return {"flags": get_dial_flag_names(dial.flag), "dest": node_to_json(dial.dest)}


def _get_dials(value: object, path: str) -> tuple[Dial, ...]:
    return tuple(get_dial(d, f"{path}[{i}]") for i, d in enumerate(get_list(value, path)))


def get_event(obj: Mapping[str, object], path: str, extra: frozenset[str] = frozenset()) -> SchedulerEvent:
    """Return the event an object with an event ``op`` describes (``extra``: keys allowed besides its own)."""
    op = obj.get("op")
    if not isinstance(op, str) or op not in _EVENT_KEYS:
        _fail(f"{path}.op", f"expected one of {', '.join(map(repr, EVENT_OPS))}, got {describe_json(op)}")
    own = {"op"} | _EVENT_KEYS[op]
    get_object(obj, path, own, set(extra) | (_RUN_INPUT_KEYS if op == "dial_done" else set()))
    if op in ("start", "advance"):
        now = get_int(obj["now"], f"{path}.now", 0)
        return Start(now) if op == "start" else Advance(now)
    if op in ("node_offered", "add_static", "remove_static"):
        node = get_node(obj["node"], f"{path}.node")
        return (
            NodeOffered(node) if op == "node_offered" else AddStatic(node) if op == "add_static" else RemoveStatic(node)
        )
    node_id = get_node_id(obj["id"], f"{path}.id")
    if op in ("peer_added", "peer_removed"):
        flags = get_flags(obj["flags"], f"{path}.flags")
        return PeerAdded(node_id, flags) if op == "peer_added" else PeerRemoved(node_id, flags)
    if op == "dial_done":
        return DialDone(node_id, _get_run_input(obj, path))
    return InboundPending(node_id) if op == "inbound_pending" else InboundCompleted(node_id)


def _get_run_input(obj: Mapping[str, object], path: str) -> RunInput:
    found = get_optional_node(obj.get("found"), f"{path}.found")
    node_id = obj["id"]
    if found is not None and found.id != node_id:
        _fail(f"{path}.found.id", f"a resolve finds the node it was asked for ({node_id}), got {found.id}")
    dns = obj.get("dns")
    connects = get_list(obj.get("connects", []), f"{path}.connects")
    return RunInput(
        found=found,
        dns=get_ip(dns, f"{path}.dns"),
        connects=tuple(get_bool(c, f"{path}.connects[{i}]") for i, c in enumerate(connects)),
        joins=get_bool(obj.get("joins", False), f"{path}.joins"),
    )


def event_to_json(event: SchedulerEvent) -> dict[str, object]:
    """Return the encoding of an event: its ``op`` and fields (a wire request as it is)."""
    if isinstance(event, (Start, Advance)):
        return {"op": "start" if isinstance(event, Start) else "advance", "now": event.now}
    if isinstance(event, (NodeOffered, AddStatic, RemoveStatic)):
        op = (
            "node_offered"
            if isinstance(event, NodeOffered)
            else "add_static"
            if isinstance(event, AddStatic)
            else "remove_static"
        )
        return {"op": op, "node": node_to_json(event.node)}
    if isinstance(event, (PeerAdded, PeerRemoved)):
        op = "peer_added" if isinstance(event, PeerAdded) else "peer_removed"
        return {"op": op, "id": event.node_id, "flags": get_dial_flag_names(event.flags)}
    if isinstance(event, DialDone):
        inputs = event.inputs
        return {
            "op": "dial_done",
            "id": event.node_id,
            "found": None if inputs.found is None else node_to_json(inputs.found),
            "dns": inputs.dns,
            "connects": list(inputs.connects),
            "joins": inputs.joins,
        }
    return {"op": "inbound_pending" if isinstance(event, InboundPending) else "inbound_completed", "id": event.node_id}


def get_response(obj: Mapping[str, object], path: str) -> Response:
    """Return the response in an answer with ``dials``, ``reads`` and, optionally, ``actions`` and ``done``."""
    done = get_list(obj.get("done", []), f"{path}.done")
    return Response(
        _get_dials(obj["dials"], f"{path}.dials"),
        get_bool(obj["reads"], f"{path}.reads"),
        _get_actions(obj, path),
        tuple(get_node_id(i, f"{path}.done[{n}]") for n, i in enumerate(done)),
    )


def response_to_json(response: Response) -> dict[str, object]:
    """Return the encoding of a response: ``{"dials": [...], "reads": bool}``, ``actions`` and ``done`` if any."""
    out: dict[str, object] = {"dials": [dial_to_json(d) for d in response.dials], "reads": response.reads}
    if response.actions:
        out["actions"] = _actions_to_json(response.actions)
    if response.done:
        out["done"] = list(response.done)
    return out


def _get_run_action(value: object, path: str) -> RunAction:
    obj = get_object(value, path, {"type"}, {"id", "found", "dest", "connected", "hostname", "ip"})
    if obj["type"] == "dns":
        get_object(value, path, {"type", "hostname", "ip"}, set())
        return DnsLookup(get_str(obj["hostname"], f"{path}.hostname"), get_ip(obj["ip"], f"{path}.ip"))
    action = get_action(value, path)
    if not isinstance(action, (Resolve, Connect)):
        _fail(f"{path}.type", f'expected "resolve", "dns" or "connect", got {describe_json(obj["type"])}')
    return action


def _get_actions(obj: Mapping[str, object], path: str) -> tuple[RunAction, ...]:
    actions = get_list(obj.get("actions", []), f"{path}.actions")
    return tuple(_get_run_action(a, f"{path}.actions[{i}]") for i, a in enumerate(actions))


def _actions_to_json(actions: tuple[RunAction, ...]) -> list[dict[str, object]]:
    return [
        {"type": "dns", "hostname": a.hostname, "ip": a.ip} if isinstance(a, DnsLookup) else action_to_json(a)
        for a in actions
    ]


# -- traces ------------------------------------------------------------------------


def _get_expectation(value: object, path: str) -> AllowedResponse:
    obj = get_object(value, path, {"dials", "free"}, {"pool", "instant", "actions"})
    instant = get_list(obj.get("instant", []), f"{path}.instant")
    return AllowedResponse(
        _get_dials(obj["dials"], f"{path}.dials"),
        _get_dials(obj.get("pool", []), f"{path}.pool"),
        get_int(obj["free"], f"{path}.free", -(2**31), 2**31 - 1),
        frozenset(get_node_id(i, f"{path}.instant[{n}]") for n, i in enumerate(instant)),
        _get_actions(obj, path),
    )


def _expectation_to_json(expect: AllowedResponse) -> dict[str, object]:
    out: dict[str, object] = {"dials": [dial_to_json(d) for d in expect.required], "free": expect.free}
    if expect.pool:
        out["pool"] = [dial_to_json(d) for d in expect.pool]
    if expect.instant:
        out["instant"] = sorted(expect.instant)
    if expect.actions:
        out["actions"] = _actions_to_json(expect.actions)
    return out


def _get_event_step(value: object, path: str) -> EventStep:
    if not isinstance(value, dict):
        _fail(path, f"expected a step object, got {describe_json(value)}")
    event = get_event(value, path, frozenset({"expect", "chosen"}))
    expect = value.get("expect")
    chosen = _get_dials(value.get("chosen", []), f"{path}.chosen")
    return EventStep(event, None if expect is None else _get_expectation(expect, f"{path}.expect"), chosen)


def _event_step_to_json(step: EventStep) -> dict[str, object]:
    out = event_to_json(step.event)
    if step.expect is not None:
        out["expect"] = _expectation_to_json(step.expect)
    if step.chosen:
        out["chosen"] = [dial_to_json(d) for d in step.chosen]
    return out


def parse_scheduler_trace(obj: Mapping[str, object]) -> SchedulerTrace:
    """Return the scheduler trace of a document whose ``profile`` is a scheduler profile (checked already)."""
    description = obj.get("description")
    return SchedulerTrace(
        name=get_str(obj["name"], "$.name"),
        profile=SCHEDULER_PROFILES[str(obj["profile"])],
        config=get_scheduler_config(obj["config"], "$.config"),
        steps=tuple(_get_event_step(s, f"$.steps[{i}]") for i, s in enumerate(get_list(obj["steps"], "$.steps"))),
        description=None if description is None else get_str(description, "$.description"),
    )


def scheduler_trace_to_json(trace: SchedulerTrace) -> dict[str, object]:
    """Return the JSON document of a scheduler trace."""
    out: dict[str, object] = {"format": FORMAT, "name": trace.name, "profile": trace.profile.value}
    if trace.description is not None:
        out["description"] = trace.description
    out["config"] = scheduler_config_to_json(trace.config)
    out["steps"] = [_event_step_to_json(s) for s in trace.steps]
    return out


#: A trace of either family.
AnyTrace = Union[Trace, SchedulerTrace]


def parse_any_trace(document: object) -> AnyTrace:
    """Validate a decoded trace document of either family (by its profile) and return it."""
    if isinstance(document, dict) and document.get("profile") in SCHEDULER_PROFILES:
        obj = get_object(document, "$", {"format", "name", "profile", "config", "steps"}, {"description"})
        if obj["format"] != FORMAT:
            _fail("$.format", f'expected "{FORMAT}", got {describe_json(obj["format"])}')
        return parse_scheduler_trace(obj)
    return parse_trace(document)


def load_any_trace(path: Path) -> AnyTrace:
    """Read and parse a trace file of either family; raise ``FormatError`` naming what is wrong."""
    return parse_any_trace(read_json(path))


def any_trace_to_json(trace: AnyTrace) -> dict[str, object]:
    """Return the JSON document of a trace of either family."""
    return scheduler_trace_to_json(trace) if isinstance(trace, SchedulerTrace) else trace_to_json(trace)


# -- the wire: init ----------------------------------------------------------------


def make_scheduler_init_request(profile: SchedulerProfile, config: SchedulerConfig) -> dict[str, object]:
    """Return the ``init`` request of a scheduler profile: forget everything, start a fresh scheduler."""
    return {"op": "init", "profile": profile.value, "config": scheduler_config_to_json(config)}


def get_scheduler_init(value: Mapping[str, object]) -> tuple[SchedulerProfile, SchedulerConfig]:
    """Return the profile and config of an ``init`` request whose profile is a scheduler profile."""
    obj = get_object(value, "$", {"op", "profile", "config"}, set())
    return SCHEDULER_PROFILES[str(obj["profile"])], get_scheduler_config(obj["config"], "$.config")


def get_answer(step: EventStep) -> Optional[Response]:
    """Return what the implementation answered at a dialScheduler step: recorded, or rebuilt from the agreed choice."""
    expect = step.expect
    if step.answer is not None or expect is None:
        return step.answer
    reads, done = expect.get_outcome(step.chosen)
    return Response(expect.required + step.chosen, reads, expect.actions, done)
