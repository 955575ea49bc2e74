"""The messages of ``dialcheck-wire/1``: build requests and answers, and validate both.

Theory of operation
-------------------
``dialcheck-wire/1`` (``docs/wire-protocol.md``) is one JSON object per line:
dialcheck writes a request to the implementation's stdin and reads exactly one
answer from its stdout, in order.  Values use the trace format's encodings
(:mod:`conformance.trace`), so this module builds on its validators and raises
the same :class:`~dialcheck.spec.verdicts.FormatError` (a JSON path and what is wrong)
for a message of the wrong shape.

Both sides live here: the client (:mod:`conformance.wire_adapter`) builds
requests with ``make_*_request`` and checks answers with ``get_*_answer``; the
server (:mod:`conformance.serve`) reads requests with :func:`get_request` and
builds answers with ``make_*_answer``.  Nothing here does I/O.

The request table (op: request keys -> answer keys on success):

=============  ===============================  ==================================================
op             request                          answer
=============  ===============================  ==================================================
hello          protocol                         name, version, protocol, profiles, [extensions]
init           profile, config                  (none)
new_tasks      now, running, peers, table       tasks (each a Task plus ``handle``)
task_done      now, handle, [results]           (none)
add_static     node                             (none)
remove_static  node                             (none)
bye            (none)                           (none)
execute        handle, now, discovery,          actions, state
               resolved, connects, lookup,      (the ``execute`` extension)
               last_lookup
=============  ===============================  ==================================================

Every answer has ``ok``; ``ok: false`` carries ``error`` and may carry
``unsupported: true``.  Keys starting with ``x-`` are ignored everywhere.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn, Optional, Union, cast

from dialcheck.conformance.formats.trace import (
    EXECUTION_INPUT_KEYS,
    config_to_json,
    describe_json,
    execution_input_to_json,
    execution_to_json,
    get_config,
    get_execution,
    get_execution_input,
    get_flags,
    get_int,
    get_list,
    get_node,
    get_node_id,
    get_nodes,
    get_object,
    get_str,
    get_task,
    node_to_json,
    peers_to_json,
    task_to_json,
)
from dialcheck.spec.execution import Execution, ExecutionInput
from dialcheck.spec.model import ID_WIDTHS, Config, ConnFlag, Node, NodeID, Profile, Task
from dialcheck.spec.verdicts import FormatError

__all__ = [
    "PROTOCOL",
    "MAX_HANDLE",
    "Op",
    "Hello",
    "Refusal",
    "HelloRequest",
    "InitRequest",
    "NewTasksRequest",
    "TaskDoneRequest",
    "StaticRequest",
    "ByeRequest",
    "Request",
    "encode",
    "decode",
    "make_hello_request",
    "make_init_request",
    "make_new_tasks_request",
    "make_task_done_request",
    "make_static_request",
    "make_bye_request",
    "make_execute_request",
    "get_execution_answer",
    "make_execution_answer",
    "ExecuteRequest",
    "EXTENSION_EXECUTE",
    "EXECUTION_KEYS",
    "get_answer",
    "get_hello_answer",
    "get_tasks_answer",
    "HELLO_KEYS",
    "HELLO_OPTIONAL_KEYS",
    "get_request",
    "make_ok_answer",
    "make_error_answer",
    "make_hello_answer",
    "make_tasks_answer",
    "get_profile",
]

#: The protocol version this module speaks.
PROTOCOL = 1
#: Seconds dialcheck waits for one answer before the implementation counts as hung (``--timeout``).
DEFAULT_TIMEOUT = 10.0
#: Handles are non-negative integers that fit Go's int64.
MAX_HANDLE = 2**63 - 1


class Op(enum.Enum):
    """The requests of ``dialcheck-wire/1``."""

    HELLO = "hello"
    INIT = "init"
    NEW_TASKS = "new_tasks"
    TASK_DONE = "task_done"
    ADD_STATIC = "add_static"
    REMOVE_STATIC = "remove_static"
    BYE = "bye"
    #: The task-execution extension (advertised as ``execute`` in hello's ``extensions``).
    EXECUTE = "execute"


@dataclass(frozen=True)
class Hello:
    """What an implementation says about itself in answer to ``hello``."""

    name: str
    version: str
    protocol: int
    profiles: tuple[str, ...]
    extensions: tuple[str, ...] = ()
    #: The node ID width it holds, in bytes (ID-1), or ``None``: IDs as the trace or machine has them.
    id_bytes: Optional[int] = None


@dataclass(frozen=True)
class Refusal:
    """An ``ok: false`` answer: the implementation's error text, and whether the op is unsupported."""

    error: str
    unsupported: bool


# -- encoding -------------------------------------------------------------------


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON value")


def encode(message: Mapping[str, object]) -> bytes:
    """Return ``message`` as one line of compact JSON, newline included."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode() + b"\n"


def decode(line: bytes) -> object:
    """Return the JSON value of one line; raise ``ValueError`` saying why it is not JSON."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ValueError("not JSON (nested too deeply)") from None
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc})") from None


# -- requests (client side) ------------------------------------------------------


def make_hello_request() -> dict[str, object]:
    """Return the ``hello`` request."""
    return {"op": Op.HELLO.value, "protocol": PROTOCOL}


def make_init_request(profile: Profile, config: Config) -> dict[str, object]:
    """Return the ``init`` request: forget everything, start a fresh dialstate."""
    return {"op": Op.INIT.value, "profile": profile.value, "config": config_to_json(config)}


def make_new_tasks_request(
    now: int, running: int, peers: Mapping[NodeID, ConnFlag], table: Sequence[Node]
) -> dict[str, object]:
    """Return the ``new_tasks`` request."""
    return {
        "op": Op.NEW_TASKS.value,
        "now": now,
        "running": running,
        "peers": peers_to_json(peers.items()),
        "table": [node_to_json(n) for n in table],
    }


def make_task_done_request(now: int, handle: int, results: Sequence[Node]) -> dict[str, object]:
    """Return the ``task_done`` request (``results`` only for a discover task)."""
    return {"op": Op.TASK_DONE.value, "now": now, "handle": handle, "results": [node_to_json(n) for n in results]}


def make_static_request(op: Op, node: Node) -> dict[str, object]:
    """Return the ``add_static`` or ``remove_static`` request."""
    assert op in (Op.ADD_STATIC, Op.REMOVE_STATIC)
    return {"op": op.value, "node": node_to_json(node)}


def make_execute_request(handle: int, inputs: ExecutionInput) -> dict[str, object]:
    """Return the ``execute`` request (the extension): run the task ``handle`` names with ``inputs``."""
    return {"op": Op.EXECUTE.value, "handle": handle, **execution_input_to_json(inputs)}


def make_bye_request() -> dict[str, object]:
    """Return the ``bye`` request."""
    return {"op": Op.BYE.value}


# -- answers (client side) -------------------------------------------------------


def get_answer(
    value: object, required: set[str], optional: frozenset[str] = frozenset()
) -> Union[Mapping[str, object], Refusal]:
    """Return a successful answer with the ``required`` keys (plus ``ok``), or the refusal it carries."""
    if not isinstance(value, dict):
        raise FormatError("$", f"expected an answer object, got {describe_json(value)}")
    ok = value.get("ok")
    if not isinstance(ok, bool):
        raise FormatError("$.ok", 'is missing or not true/false; every answer has "ok"')
    if not ok:
        obj = get_object(value, "$", {"ok", "error"}, {"unsupported"})
        unsupported = obj.get("unsupported", False)
        if not isinstance(unsupported, bool):
            raise FormatError("$.unsupported", f"expected true or false, got {describe_json(unsupported)}")
        return Refusal(get_str(obj["error"], "$.error"), unsupported)
    return get_object(value, "$", {"ok"} | required, set(optional))


#: The keys of a successful ``hello`` answer, and the optional ones. WIRE-6: "an extension MUST be
#: a new op, advertised in hello's optional extensions list".
HELLO_KEYS = {"name", "version", "protocol", "profiles"}
HELLO_OPTIONAL_KEYS = frozenset({"extensions", "id_bytes"})


def get_hello_answer(answer: Mapping[str, object]) -> Hello:
    """Return what a successful ``hello`` answer says."""
    obj = get_object(answer, "$", {"ok", *HELLO_KEYS}, set(HELLO_OPTIONAL_KEYS))
    profiles = tuple(get_str(p, f"$.profiles[{i}]") for i, p in enumerate(get_list(obj["profiles"], "$.profiles")))
    extensions = tuple(
        get_str(e, f"$.extensions[{i}]") for i, e in enumerate(get_list(obj.get("extensions", []), "$.extensions"))
    )
    id_bytes = obj.get("id_bytes")
    if id_bytes is not None and (get_int(id_bytes, "$.id_bytes", 0) not in ID_WIDTHS):
        raise FormatError("$.id_bytes", f"expected one of {', '.join(map(str, ID_WIDTHS))} (bytes), got {id_bytes}")
    return Hello(
        name=get_str(obj["name"], "$.name"),
        version=get_str(obj["version"], "$.version"),
        protocol=get_int(obj["protocol"], "$.protocol", 0),
        profiles=profiles,
        extensions=extensions,
        id_bytes=cast(Optional[int], id_bytes),
    )


def get_tasks_answer(answer: Mapping[str, object]) -> list[tuple[int, Task]]:
    """Return the ``(handle, task)`` pairs of a successful ``new_tasks`` answer, in order."""
    pairs = []
    for i, item in enumerate(get_list(answer["tasks"], "$.tasks")):
        path = f"$.tasks[{i}]"
        if not isinstance(item, dict):
            raise FormatError(path, f"expected a task object, got {describe_json(item)}")
        if "handle" not in item:
            raise FormatError(f"{path}.handle", "is missing (every task carries the handle that names it)")
        handle = get_int(item["handle"], f"{path}.handle", 0, MAX_HANDLE)
        task = get_task({k: v for k, v in item.items() if k != "handle"}, path)
        pairs.append((handle, task))
    return pairs


#: The name of the task-execution extension in hello's ``extensions``, and its answer's keys.
EXTENSION_EXECUTE = Op.EXECUTE.value
EXECUTION_KEYS = {"actions"}


def get_execution_answer(answer: Mapping[str, object]) -> Execution:
    """Return what a successful ``execute`` answer says the task did."""
    return get_execution(answer, "$")


# -- requests (server side) -------------------------------------------------------


@dataclass(frozen=True)
class HelloRequest:
    """``hello``."""

    protocol: int


@dataclass(frozen=True)
class InitRequest:
    """``init``."""

    profile: str
    config: Config


@dataclass(frozen=True)
class NewTasksRequest:
    """``new_tasks``."""

    now: int
    running: int
    peers: dict[NodeID, ConnFlag]
    table: tuple[Node, ...]


@dataclass(frozen=True)
class TaskDoneRequest:
    """``task_done``."""

    now: int
    handle: int
    results: tuple[Node, ...]


@dataclass(frozen=True)
class StaticRequest:
    """``add_static`` (``add`` true) or ``remove_static``."""

    add: bool
    node: Node


@dataclass(frozen=True)
class ByeRequest:
    """``bye``."""


@dataclass(frozen=True)
class ExecuteRequest:
    """``execute`` (the extension)."""

    handle: int
    inputs: ExecutionInput


Request = Union[HelloRequest, InitRequest, NewTasksRequest, TaskDoneRequest, StaticRequest, ByeRequest, ExecuteRequest]
_OPS = ", ".join(f'"{op.value}"' for op in Op)


def get_request(value: object) -> Request:
    """Return the request ``value`` describes; raise ``FormatError`` naming the first problem."""
    if not isinstance(value, dict):
        raise FormatError("$", f"expected a request object, got {describe_json(value)}")
    op = value.get("op")
    if op == Op.HELLO.value:
        obj = get_object(value, "$", {"op", "protocol"}, set())
        return HelloRequest(get_int(obj["protocol"], "$.protocol", 0))
    if op == Op.INIT.value:
        obj = get_object(value, "$", {"op", "profile", "config"}, set())
        return InitRequest(get_str(obj["profile"], "$.profile"), get_config(obj["config"], "$.config"))
    if op == Op.NEW_TASKS.value:
        obj = get_object(value, "$", {"op", "now", "running", "peers", "table"}, set())
        peers: dict[NodeID, ConnFlag] = {}
        for i, peer in enumerate(get_list(obj["peers"], "$.peers")):
            pobj = get_object(peer, f"$.peers[{i}]", {"id", "flags"}, set())
            peers[get_node_id(pobj["id"], f"$.peers[{i}].id")] = get_flags(pobj["flags"], f"$.peers[{i}].flags")
        return NewTasksRequest(
            get_int(obj["now"], "$.now"),
            get_int(obj["running"], "$.running"),
            peers,
            get_nodes(obj["table"], "$.table"),
        )
    if op == Op.TASK_DONE.value:
        obj = get_object(value, "$", {"op", "now", "handle"}, {"results"})
        return TaskDoneRequest(
            get_int(obj["now"], "$.now"),
            get_int(obj["handle"], "$.handle", 0, MAX_HANDLE),
            get_nodes(obj.get("results", []), "$.results"),
        )
    if op in (Op.ADD_STATIC.value, Op.REMOVE_STATIC.value):
        obj = get_object(value, "$", {"op", "node"}, set())
        return StaticRequest(op == Op.ADD_STATIC.value, get_node(obj["node"], "$.node"))
    if op == Op.BYE.value:
        get_object(value, "$", {"op"}, set())
        return ByeRequest()
    if op == Op.EXECUTE.value:
        obj = get_object(value, "$", {"op", "handle", "now"}, EXECUTION_INPUT_KEYS - {"now"})
        return ExecuteRequest(get_int(obj["handle"], "$.handle", 0, MAX_HANDLE), get_execution_input(obj, "$"))
    raise FormatError("$.op", f"expected one of {_OPS}, got {describe_json(op)}")


# -- answers (server side) ----------------------------------------------------------


def make_ok_answer() -> dict[str, object]:
    """Return ``{"ok": true}``."""
    return {"ok": True}


def make_error_answer(error: str, unsupported: bool = False) -> dict[str, object]:
    """Return an ``ok: false`` answer."""
    answer: dict[str, object] = {"ok": False, "error": error}
    if unsupported:
        answer["unsupported"] = True
    return answer


def make_hello_answer(hello: Hello) -> dict[str, object]:
    """Return the answer to ``hello``."""
    answer: dict[str, object] = {
        "ok": True,
        "name": hello.name,
        "version": hello.version,
        "protocol": hello.protocol,
        "profiles": list(hello.profiles),
    }
    if hello.extensions:
        answer["extensions"] = list(hello.extensions)
    if hello.id_bytes is not None:
        answer["id_bytes"] = hello.id_bytes
    return answer


def make_tasks_answer(tasks: Sequence[tuple[int, Task]]) -> dict[str, object]:
    """Return the answer to ``new_tasks``: each task with its handle."""
    return {"ok": True, "tasks": [{**task_to_json(task), "handle": handle} for handle, task in tasks]}


def make_execution_answer(execution: Execution) -> dict[str, object]:
    """Return the answer to ``execute``."""
    return {"ok": True, **execution_to_json(execution)}


def get_profile(name: str) -> Optional[Profile]:
    """Return the profile called ``name``, or ``None`` if there is none."""
    return next((p for p in Profile if p.value == name), None)
