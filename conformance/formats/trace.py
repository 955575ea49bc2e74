"""The trace format ``dialcheck-trace/1``: parse, validate and write trace files.

Theory of operation
-------------------
A trace is one JSON document (``docs/trace-format.md``).  :func:`parse_trace`
turns the decoded JSON into a :class:`Trace` or raises :class:`FormatError`
naming the JSON path of the first thing wrong, and what would be right; it
never lets a ``KeyError`` or ``TypeError`` escape.  :func:`dump_trace` is its
inverse and writes canonical JSON (sorted keys, two-space indent) so that the
same trace always gives the same bytes.

Unknown keys are refused, so that a misspelt ``"expect"`` cannot silently
switch a check off; keys starting with ``x-`` are the extension point and are
ignored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, Optional, Union

from dialcheck.spec.execution import Action, Connect, DialState, Execution, ExecutionInput, Lookup, Resolve, Sleep
from dialcheck.spec.model import (
    FLAG_NAMES,
    MAX_DURATION,
    MIN_DURATION,
    Config,
    ConnFlag,
    DialTask,
    DiscoverTask,
    Node,
    NodeID,
    Profile,
    Task,
    WaitTask,
    get_dial_flag_names,
    is_node_id,
)
from dialcheck.spec.netrestrict import parse_cidr, parse_ip
from dialcheck.spec.scheduler import SchedulerProfile
from dialcheck.spec.verdicts import FormatError

__all__ = [
    "FORMAT",
    "TaskRef",
    "NewTasksStep",
    "TaskDoneStep",
    "AddStaticStep",
    "RemoveStaticStep",
    "ExecuteStep",
    "Step",
    "Trace",
    "parse_trace",
    "describe_json",
    "get_object",
    "get_int",
    "get_str",
    "get_list",
    "get_node_id",
    "get_node",
    "get_nodes",
    "get_flags",
    "get_bool",
    "get_ip",
    "get_netrestrict",
    "get_optional_node",
    "get_action",
    "action_to_json",
    "get_config",
    "get_task",
    "config_to_json",
    "get_execution_input",
    "get_execution",
    "execution_input_to_json",
    "execution_to_json",
    "EXECUTION_INPUT_KEYS",
    "peers_to_json",
    "load_trace",
    "dump_trace",
    "save_trace",
    "save_document",
    "read_json",
    "trace_to_json",
    "task_to_json",
    "node_to_json",
]

FORMAT = "dialcheck-trace/1"

_FLAGS_BY_NAME = {name: flag for flag, name in FLAG_NAMES.items()}
_PROFILES = {profile.value: profile for profile in Profile}
_MAX_PORT = 65535


@dataclass(frozen=True)
class TaskRef:
    """Names the oldest outstanding task of a kind (and, for dial, of a destination ID)."""

    kind: str
    dest: Optional[NodeID] = None


@dataclass(frozen=True)
class NewTasksStep:
    """Call ``new_tasks``; ``expect`` is ``None`` when the answer is not checked."""

    now: int
    running: int
    peers: tuple[tuple[NodeID, ConnFlag], ...] = ()
    table: tuple[Node, ...] = ()
    expect: Optional[tuple[Task, ...]] = None


@dataclass(frozen=True)
class TaskDoneStep:
    """Call ``task_done`` for the task ``ref`` names."""

    now: int
    ref: TaskRef
    results: tuple[Node, ...] = ()


@dataclass(frozen=True)
class AddStaticStep:
    """Call ``add_static``."""

    node: Node


@dataclass(frozen=True)
class RemoveStaticStep:
    """Call ``remove_static``."""

    node: Node


@dataclass(frozen=True)
class ExecuteStep:
    """Execute the task ``ref`` names with the environment's answers (the optional capability).

    ``expect`` is ``None`` when what the task does is not checked.  The task stays outstanding.
    """

    ref: TaskRef
    inputs: ExecutionInput
    expect: Optional[Execution] = None


Step = Union[NewTasksStep, TaskDoneStep, AddStaticStep, RemoveStaticStep, ExecuteStep]


@dataclass(frozen=True)
class Trace:
    """A whole trace: a config, a profile and the steps to replay."""

    name: str
    profile: Profile
    config: Config
    steps: tuple[Step, ...]
    description: Optional[str] = None


# -- parsing ------------------------------------------------------------------


def _fail(path: str, message: str) -> NoReturn:
    raise FormatError(path, message)


def describe_json(value: object) -> str:
    """Return ``value`` as JSON text for an error message, truncated to 60 characters."""
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def get_object(value: object, path: str, required: set[str], optional: set[str]) -> Mapping[str, object]:
    """Return ``value`` as an object with the ``required`` keys, refusing keys outside both sets (but ``x-...``).

    Raise ``FormatError`` naming ``path`` otherwise.
    """
    if not isinstance(value, dict):
        _fail(path, f"expected an object, got {describe_json(value)}")
    for key in sorted(required - value.keys()):
        _fail(f"{path}.{key}", "is missing (required)")
    allowed = required | optional
    for key in value:
        if key not in allowed and not key.startswith("x-"):
            known = ", ".join(sorted(allowed))
            _fail(f"{path}.{key}", f"unknown key; the keys here are {known} (or x-... for extensions)")
    return value


def get_int(value: object, path: str, low: int = MIN_DURATION, high: int = MAX_DURATION) -> int:
    """Return ``value`` as an integer from ``low`` to ``high``. Raise ``FormatError`` naming ``path`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, f"expected an integer, got {describe_json(value)}")
    if not low <= value <= high:
        _fail(path, f"expected an integer from {low} to {high}, got {value}")
    return value


def get_str(value: object, path: str) -> str:
    """Return ``value`` as a string. Raise ``FormatError`` naming ``path`` otherwise."""
    if not isinstance(value, str):
        _fail(path, f"expected a string, got {describe_json(value)}")
    return value


def get_list(value: object, path: str) -> list[object]:
    """Return ``value`` as a list. Raise ``FormatError`` naming ``path`` otherwise."""
    if not isinstance(value, list):
        _fail(path, f"expected a list, got {describe_json(value)}")
    return value


def get_node_id(value: object, path: str) -> NodeID:
    """Return ``value`` as a node ID. Raise ``FormatError`` naming ``path`` otherwise."""
    if not is_node_id(value):
        _fail(path, f"expected a node ID (lowercase hex digits, even length), got {describe_json(value)}")
    assert isinstance(value, str)
    return value


def get_ip(value: object, path: str) -> Optional[str]:
    """Return ``value`` as normalised IP text or ``None``. Raise ``FormatError`` naming ``path`` otherwise."""
    if value is None:
        return None
    text = get_str(value, path)
    try:
        return str(parse_ip(text))
    except ValueError:
        _fail(path, f"expected an IPv4 or IPv6 address or null, got {describe_json(value)}")


def get_node(value: object, path: str) -> Node:
    """Return ``value`` as a node (IP text normalised). Raise ``FormatError`` naming ``path`` otherwise."""
    obj = get_object(value, path, {"id"}, {"ip", "tcp", "udp", "hostname"})
    hostname = obj.get("hostname")
    return Node(
        id=get_node_id(obj["id"], f"{path}.id"),
        ip=get_ip(obj.get("ip"), f"{path}.ip"),
        tcp=get_int(obj.get("tcp", 0), f"{path}.tcp", 0, _MAX_PORT),
        udp=get_int(obj.get("udp", 0), f"{path}.udp", 0, _MAX_PORT),
        # SC-DNS-1: an enode URL may name its host by DNS name (a compatible addition).
        hostname=None if hostname is None else _get_hostname(hostname, f"{path}.hostname"),
    )


def _get_hostname(value: object, path: str) -> str:
    text = get_str(value, path)
    if not text or len(text) > 253 or any(c.isspace() for c in text):
        _fail(path, f'expected a DNS name such as "node.example.org", got {describe_json(value)}')
    return text


def get_nodes(value: object, path: str) -> tuple[Node, ...]:
    """Return ``value`` as a list of nodes. Raise ``FormatError`` naming ``path`` otherwise."""
    return tuple(get_node(item, f"{path}[{i}]") for i, item in enumerate(get_list(value, path)))


def get_flags(value: object, path: str) -> ConnFlag:
    """Return ``value`` (a list of flag names) as connection flags. Raise ``FormatError`` naming ``path`` otherwise."""
    flags = ConnFlag(0)
    for i, item in enumerate(get_list(value, path)):
        if not isinstance(item, str) or item not in _FLAGS_BY_NAME:
            names = ", ".join(repr(name) for name in _FLAGS_BY_NAME)
            _fail(f"{path}[{i}]", f"expected one of {names}, got {describe_json(item)}")
        flags |= _FLAGS_BY_NAME[item]
    return flags


def get_netrestrict(value: object, path: str) -> Optional[tuple[str, ...]]:
    """Return ``value`` as a netrestrict (``None`` or CIDRs). Raise ``FormatError`` naming ``path`` otherwise."""
    if value is None:
        return None
    cidrs = []
    for i, item in enumerate(get_list(value, path)):
        text = get_str(item, f"{path}[{i}]")
        try:
            parse_cidr(text)
        except ValueError:
            _fail(f"{path}[{i}]", f'expected a CIDR such as "10.0.0.0/8", got {describe_json(item)}')
        cidrs.append(text)
    return tuple(cidrs)


def get_config(value: object, path: str) -> Config:
    """Return ``value`` as a config. Raise ``FormatError`` naming ``path`` otherwise."""
    obj = get_object(value, path, {"self", "max_dyn_dials"}, {"static", "bootnodes", "netrestrict"})
    return Config(
        self_id=get_node_id(obj["self"], f"{path}.self"),
        # DS-INIT-1: "max_dyn_dials MUST be a non-negative integer".
        max_dyn_dials=get_int(obj["max_dyn_dials"], f"{path}.max_dyn_dials", 0),
        static=get_nodes(obj.get("static", []), f"{path}.static"),
        bootnodes=get_nodes(obj.get("bootnodes", []), f"{path}.bootnodes"),
        netrestrict=get_netrestrict(obj.get("netrestrict"), f"{path}.netrestrict"),
    )


def get_task(value: object, path: str) -> Task:
    """Return ``value`` as a task (a dial task has exactly one of dyn or static).

    Raise ``FormatError`` naming ``path`` otherwise.
    """
    obj = get_object(value, path, {"type"}, {"flags", "dest", "duration", "want"})
    kind = obj["type"]
    if kind == "dial":
        get_object(value, path, {"type", "flags", "dest"}, set())
        flag = get_flags(obj["flags"], f"{path}.flags")
        if flag not in (ConnFlag.DYN, ConnFlag.STATIC):
            _fail(f"{path}.flags", 'a dial task has exactly one of "dyn" or "static" (DS-TASKS-1)')
        return DialTask(flag=flag, dest=get_node(obj["dest"], f"{path}.dest"))
    if kind == "wait":
        get_object(value, path, {"type", "duration"}, set())
        return WaitTask(get_int(obj["duration"], f"{path}.duration"))
    if kind == "discover":
        get_object(value, path, {"type"}, {"want"})
        # DS-ITER-1: from geth v1.9.7 a discover task asks the node iterator for a number of nodes.
        return DiscoverTask(None if "want" not in obj else get_int(obj["want"], f"{path}.want", 0, 2**31 - 1))
    _fail(f"{path}.type", f'expected "dial", "discover" or "wait", got {describe_json(kind)}')


def get_task_ref(value: object, path: str) -> TaskRef:
    """Return ``value`` as a task reference. Raise ``FormatError`` naming ``path`` otherwise."""
    obj = get_object(value, path, {"type"}, {"dest"})
    kind = obj["type"]
    if kind == "dial":
        get_object(value, path, {"type", "dest"}, set())
        return TaskRef("dial", get_node_id(obj["dest"], f"{path}.dest"))
    if kind in ("discover", "wait"):
        get_object(value, path, {"type"}, set())
        return TaskRef(str(kind))
    _fail(f"{path}.type", f'expected "dial", "discover" or "wait", got {describe_json(kind)}')


def get_bool(value: object, path: str) -> bool:
    """Return ``value`` as a boolean. Raise ``FormatError`` naming ``path`` otherwise."""
    if not isinstance(value, bool):
        _fail(path, f"expected true or false, got {describe_json(value)}")
    return value


def get_optional_node(value: object, path: str) -> Optional[Node]:
    """Return ``value`` as a node or ``None``. Raise ``FormatError`` naming ``path`` otherwise."""
    return None if value is None else get_node(value, path)


def _get_optional_time(value: object, path: str) -> Optional[int]:
    return None if value is None else get_int(value, path)


#: The keys of an execution's environment, in a trace step and a wire request.
EXECUTION_INPUT_KEYS = {"now", "discovery", "resolved", "connects", "lookup", "last_lookup"}


def get_execution_input(obj: Mapping[str, object], path: str) -> ExecutionInput:
    """Return the environment's answers of an ``execute`` step or request. Raise ``FormatError`` naming ``path``."""
    connects = get_list(obj.get("connects", []), f"{path}.connects")
    return ExecutionInput(
        now=get_int(obj["now"], f"{path}.now"),
        discovery=get_bool(obj.get("discovery", True), f"{path}.discovery"),
        resolved=get_optional_node(obj.get("resolved"), f"{path}.resolved"),
        connects=tuple(get_bool(c, f"{path}.connects[{i}]") for i, c in enumerate(connects)),
        lookup=get_nodes(obj.get("lookup", []), f"{path}.lookup"),
        last_lookup=_get_optional_time(obj.get("last_lookup"), f"{path}.last_lookup"),
    )


def get_action(value: object, path: str) -> Action:
    """Return ``value`` as a task action. Raise ``FormatError`` naming ``path`` otherwise."""
    obj = get_object(value, path, {"type"}, {"id", "found", "dest", "connected", "duration", "results"})
    kind = obj["type"]
    if kind == "resolve":
        get_object(value, path, {"type", "id", "found"}, set())
        return Resolve(get_node_id(obj["id"], f"{path}.id"), get_optional_node(obj["found"], f"{path}.found"))
    if kind == "connect":
        get_object(value, path, {"type", "dest", "connected"}, set())
        return Connect(get_node(obj["dest"], f"{path}.dest"), get_bool(obj["connected"], f"{path}.connected"))
    if kind == "sleep":
        get_object(value, path, {"type", "duration"}, set())
        return Sleep(get_int(obj["duration"], f"{path}.duration"))
    if kind == "lookup":
        get_object(value, path, {"type", "results"}, set())
        return Lookup(get_nodes(obj["results"], f"{path}.results"))
    _fail(f"{path}.type", f'expected "resolve", "connect", "sleep" or "lookup", got {describe_json(kind)}')


def get_execution(obj: Mapping[str, object], path: str) -> Execution:
    """Return what a task did, from an object with ``actions`` and ``state``. Raise ``FormatError`` naming ``path``."""
    actions = tuple(
        get_action(a, f"{path}.actions[{i}]") for i, a in enumerate(get_list(obj["actions"], f"{path}.actions"))
    )
    raw = obj.get("state")
    if raw is None:
        return Execution(actions)
    state = get_object(raw, f"{path}.state", {"resolve_delay", "last_resolved", "dest"}, set())
    return Execution(
        actions,
        DialState(
            resolve_delay=get_int(state["resolve_delay"], f"{path}.state.resolve_delay", 0),
            last_resolved=_get_optional_time(state["last_resolved"], f"{path}.state.last_resolved"),
            dest=get_node(state["dest"], f"{path}.state.dest"),
        ),
    )


def _get_step(value: object, path: str) -> Step:
    if not isinstance(value, dict):
        _fail(path, f"expected a step object, got {describe_json(value)}")
    op = value.get("op")
    if op == "new_tasks":
        obj = get_object(value, path, {"op", "now", "running"}, {"peers", "table", "expect"})
        peers = []
        for i, peer in enumerate(get_list(obj.get("peers", []), f"{path}.peers")):
            ppath = f"{path}.peers[{i}]"
            pobj = get_object(peer, ppath, {"id", "flags"}, set())
            peers.append((get_node_id(pobj["id"], f"{ppath}.id"), get_flags(pobj["flags"], f"{ppath}.flags")))
        expect = obj.get("expect")
        return NewTasksStep(
            now=get_int(obj["now"], f"{path}.now"),
            running=get_int(obj["running"], f"{path}.running"),
            peers=tuple(peers),
            table=get_nodes(obj.get("table", []), f"{path}.table"),
            expect=None
            if expect is None
            else tuple(get_task(t, f"{path}.expect[{i}]") for i, t in enumerate(get_list(expect, f"{path}.expect"))),
        )
    if op == "task_done":
        obj = get_object(value, path, {"op", "now", "task"}, {"results"})
        ref = get_task_ref(obj["task"], f"{path}.task")
        results = get_nodes(obj.get("results", []), f"{path}.results")
        if results and ref.kind != "discover":
            _fail(f"{path}.results", "results are only for discover tasks")
        return TaskDoneStep(now=get_int(obj["now"], f"{path}.now"), ref=ref, results=results)
    if op == "execute":
        obj = get_object(value, path, {"op", "now", "task"}, (EXECUTION_INPUT_KEYS - {"now"}) | {"expect"})
        expect = obj.get("expect")
        return ExecuteStep(
            ref=get_task_ref(obj["task"], f"{path}.task"),
            inputs=get_execution_input(obj, path),
            expect=None
            if expect is None
            else get_execution(get_object(expect, f"{path}.expect", {"actions"}, {"state"}), f"{path}.expect"),
        )
    if op in ("add_static", "remove_static"):
        obj = get_object(value, path, {"op", "node"}, set())
        node = get_node(obj["node"], f"{path}.node")
        return AddStaticStep(node) if op == "add_static" else RemoveStaticStep(node)
    _fail(
        f"{path}.op",
        f'expected "new_tasks", "task_done", "add_static", "remove_static" or "execute", got {describe_json(op)}',
    )


def parse_trace(document: object) -> Trace:
    """Validate a decoded JSON document and return the trace it describes."""
    obj = get_object(document, "$", {"format", "name", "profile", "config", "steps"}, {"description"})
    if obj["format"] != FORMAT:
        _fail("$.format", f'expected "{FORMAT}", got {describe_json(obj["format"])}')
    profile_name = obj["profile"]
    if isinstance(profile_name, str) and profile_name in {p.value for p in SchedulerProfile}:
        _fail("$.profile", f"{profile_name} is a dialScheduler profile; this reads dialstate traces only")
    if not isinstance(profile_name, str) or profile_name not in _PROFILES:
        _fail("$.profile", f"expected one of {', '.join(map(repr, _PROFILES))}, got {describe_json(profile_name)}")
    description = obj.get("description")
    return Trace(
        name=get_str(obj["name"], "$.name"),
        description=None if description is None else get_str(description, "$.description"),
        profile=_PROFILES[profile_name],
        config=get_config(obj["config"], "$.config"),
        steps=tuple(_get_step(s, f"$.steps[{i}]") for i, s in enumerate(get_list(obj["steps"], "$.steps"))),
    )


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON value (use an integer)")


def load_trace(path: Path) -> Trace:
    """Read and parse a trace file; raise ``FormatError`` (path ``$``) for unreadable or non-JSON files."""
    return parse_trace(read_json(path))


def read_json(path: Path) -> object:
    """Read a JSON file; raise ``FormatError`` (path ``$``) for unreadable or non-JSON files."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError("$", f"cannot read the file: {exc}") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise FormatError("$", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise FormatError("$", f"not valid JSON: {exc}") from None
    except RecursionError:
        raise FormatError("$", "not valid JSON: nested too deeply") from None


# -- writing ------------------------------------------------------------------


def node_to_json(node: Node) -> dict[str, object]:
    """Return the trace encoding of a node (``hostname`` only when it has one)."""
    out: dict[str, object] = {"id": node.id, "ip": node.ip, "tcp": node.tcp, "udp": node.udp}
    if node.hostname is not None:
        out["hostname"] = node.hostname
    return out


def task_to_json(task: Task) -> dict[str, object]:
    """Return the trace encoding of a task."""
    if isinstance(task, DialTask):
        return {"type": "dial", "flags": get_dial_flag_names(task.flag), "dest": node_to_json(task.dest)}
    if isinstance(task, WaitTask):
        return {"type": "wait", "duration": task.duration}
    return {"type": "discover"} if task.want is None else {"type": "discover", "want": task.want}


def config_to_json(config: Config) -> dict[str, object]:
    """Return the trace encoding of a config, every default spelt out."""
    return {
        "self": config.self_id,
        "max_dyn_dials": config.max_dyn_dials,
        "static": [node_to_json(n) for n in config.static],
        "bootnodes": [node_to_json(n) for n in config.bootnodes],
        "netrestrict": None if config.netrestrict is None else list(config.netrestrict),
    }


def peers_to_json(peers: Iterable[tuple[NodeID, ConnFlag]]) -> list[dict[str, object]]:
    """Return the trace encoding of peers: ``[{"id": ID, "flags": [Flag]}]``."""
    return [{"id": pid, "flags": get_dial_flag_names(flags)} for pid, flags in peers]


def execution_input_to_json(inputs: ExecutionInput) -> dict[str, object]:
    """Return the encoding of an execution's environment (every key spelt out)."""
    return {
        "now": inputs.now,
        "discovery": inputs.discovery,
        "resolved": None if inputs.resolved is None else node_to_json(inputs.resolved),
        "connects": list(inputs.connects),
        "lookup": [node_to_json(n) for n in inputs.lookup],
        "last_lookup": inputs.last_lookup,
    }


def action_to_json(action: Action) -> dict[str, object]:
    """Return the encoding of a task action."""
    if isinstance(action, Resolve):
        return {
            "type": "resolve",
            "id": action.node_id,
            "found": None if action.found is None else node_to_json(action.found),
        }
    if isinstance(action, Connect):
        return {"type": "connect", "dest": node_to_json(action.dest), "connected": action.connected}
    if isinstance(action, Sleep):
        return {"type": "sleep", "duration": action.duration}
    return {"type": "lookup", "results": [node_to_json(n) for n in action.results]}


def execution_to_json(execution: Execution) -> dict[str, object]:
    """Return the encoding of what a task did: ``{"actions": [...], "state": {...} | null}``."""
    state = execution.state
    return {
        "actions": [action_to_json(a) for a in execution.actions],
        "state": None
        if state is None
        else {
            "resolve_delay": state.resolve_delay,
            "last_resolved": state.last_resolved,
            "dest": node_to_json(state.dest),
        },
    }


def _task_ref_to_json(ref: TaskRef) -> dict[str, object]:
    out: dict[str, object] = {"type": ref.kind}
    if ref.dest is not None:
        out["dest"] = ref.dest
    return out


def _step_to_json(step: Step) -> dict[str, object]:
    if isinstance(step, NewTasksStep):
        out: dict[str, object] = {
            "op": "new_tasks",
            "now": step.now,
            "running": step.running,
            "peers": peers_to_json(step.peers),
            "table": [node_to_json(n) for n in step.table],
        }
        if step.expect is not None:
            out["expect"] = [task_to_json(t) for t in step.expect]
        return out
    if isinstance(step, ExecuteStep):
        out = {"op": "execute", "task": _task_ref_to_json(step.ref), **execution_input_to_json(step.inputs)}
        if step.expect is not None:
            out["expect"] = execution_to_json(step.expect)
        return out
    if isinstance(step, TaskDoneStep):
        out = {"op": "task_done", "now": step.now, "task": _task_ref_to_json(step.ref)}
        if step.results:
            out["results"] = [node_to_json(n) for n in step.results]
        return out
    op = "add_static" if isinstance(step, AddStaticStep) else "remove_static"
    return {"op": op, "node": node_to_json(step.node)}


def trace_to_json(trace: Trace) -> dict[str, object]:
    """Return the JSON document of a trace."""
    out: dict[str, object] = {"format": FORMAT, "name": trace.name, "profile": trace.profile.value}
    if trace.description is not None:
        out["description"] = trace.description
    out["config"] = config_to_json(trace.config)
    out["steps"] = [_step_to_json(s) for s in trace.steps]
    return out


def dump_trace(trace: Trace) -> str:
    """Return the canonical JSON text of a trace (sorted keys, two-space indent, final newline)."""
    return json.dumps(trace_to_json(trace), indent=2, sort_keys=True) + "\n"


def save_trace(trace: Trace, directory: Path, stem: str) -> Path:
    """Write ``trace`` as ``DIRECTORY/STEM-DIGEST.json`` (the digest of its text: same trace, same name); return it."""
    return save_document(trace_to_json(trace), directory, stem)


def save_document(document: Mapping[str, object], directory: Path, stem: str) -> Path:
    """Write a trace document canonically as ``DIRECTORY/STEM-DIGEST.json``; return the path."""
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    path = directory / f"{stem}-{digest}.json"
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
