"""Malformed traces are bad input: exit 2, a message naming the file and the JSON path, never a traceback."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialcheck.conformance.cli import main
from dialcheck.conformance.formats.trace import parse_trace
from dialcheck.spec.verdicts import FormatError

VALID: dict[str, Any] = {
    "format": "dialcheck-trace/1",
    "name": "valid",
    "profile": "geth-1.7",
    "config": {
        "self": "ff",
        "max_dyn_dials": 2,
        "static": [{"id": "01", "ip": "10.0.0.1", "tcp": 30303, "udp": 30303}],
        "bootnodes": [],
        "netrestrict": None,
    },
    "steps": [
        {
            "op": "new_tasks",
            "now": 1,
            "running": 0,
            "peers": [{"id": "02", "flags": ["dyn"]}],
            "table": [],
            "expect": [],
        },
        {"op": "task_done", "now": 2, "task": {"type": "dial", "dest": "01"}},
        {"op": "task_done", "now": 2, "task": {"type": "discover"}, "results": [{"id": "03"}]},
        {"op": "add_static", "node": {"id": "04"}},
    ],
}

Mutation = Callable[[dict[str, Any]], object]


def _set(path: list[object], value: object) -> Mutation:
    def mutate(doc: dict[str, Any]) -> object:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return doc

    return mutate


def _delete(path: list[object]) -> Mutation:
    def mutate(doc: dict[str, Any]) -> object:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        return doc

    return mutate


MALFORMED: list[tuple[str, Mutation, str, str]] = [
    ("not an object", lambda doc: [doc], "$", "expected an object"),
    ("wrong format", _set(["format"], "dialcheck-trace/2"), "$.format", "dialcheck-trace/1"),
    ("missing steps", _delete(["steps"]), "$.steps", "missing"),
    ("unknown top key", _set(["expext"], []), "$.expext", "unknown key"),
    ("unknown profile", _set(["profile"], "geth-0.9"), "$.profile", "geth-1.7"),
    ("name not a string", _set(["name"], 3), "$.name", "expected a string"),
    ("description not a string", _set(["description"], []), "$.description", "expected a string"),
    ("self uppercase", _set(["config", "self"], "FF"), "$.config.self", "lowercase hex"),
    ("self odd length", _set(["config", "self"], "f"), "$.config.self", "even length"),
    ("negative budget", _set(["config", "max_dyn_dials"], -1), "$.config.max_dyn_dials", "from 0"),
    ("budget is a bool", _set(["config", "max_dyn_dials"], True), "$.config.max_dyn_dials", "integer"),
    ("budget is a float", _set(["config", "max_dyn_dials"], 2.0), "$.config.max_dyn_dials", "integer"),
    ("static not a list", _set(["config", "static"], {}), "$.config.static", "expected a list"),
    ("bad ip", _set(["config", "static", 0, "ip"], "10.0.0.300"), "$.config.static[0].ip", "IPv4 or IPv6"),
    ("port too large", _set(["config", "static", 0, "tcp"], 70000), "$.config.static[0].tcp", "65535"),
    ("node without id", _delete(["config", "static", 0, "id"]), "$.config.static[0].id", "missing"),
    ("bad cidr", _set(["config", "netrestrict"], ["10.0.0.0/33"]), "$.config.netrestrict[0]", "CIDR"),
    ("cidr without prefix", _set(["config", "netrestrict"], ["10.0.0.1"]), "$.config.netrestrict[0]", "CIDR"),
    ("netrestrict a string", _set(["config", "netrestrict"], "10.0.0.0/8"), "$.config.netrestrict", "list"),
    ("steps not a list", _set(["steps"], {}), "$.steps", "expected a list"),
    ("step not an object", _set(["steps", 0], "new_tasks"), "$.steps[0]", "step object"),
    ("unknown op", _set(["steps", 0, "op"], "tick"), "$.steps[0].op", "new_tasks"),
    ("missing now", _delete(["steps", 0, "now"]), "$.steps[0].now", "missing"),
    ("now a string", _set(["steps", 0, "now"], "1s"), "$.steps[0].now", "integer"),
    ("now beyond int64", _set(["steps", 0, "now"], 2**63), "$.steps[0].now", "9223372036854775807"),
    ("bad flag", _set(["steps", 0, "peers", 0, "flags"], ["dyn", "outbound"]), "$.steps[0].peers[0].flags[1]", "'dyn'"),
    ("peer without flags", _delete(["steps", 0, "peers", 0, "flags"]), "$.steps[0].peers[0].flags", "missing"),
    ("expect not a list", _set(["steps", 0, "expect"], {"type": "discover"}), "$.steps[0].expect", "list"),
    ("unknown task type", _set(["steps", 0, "expect"], [{"type": "ping"}]), "$.steps[0].expect[0].type", "dial"),
    (
        "dial with two flags",
        _set(["steps", 0, "expect"], [{"type": "dial", "flags": ["dyn", "static"], "dest": {"id": "01"}}]),
        "$.steps[0].expect[0].flags",
        "exactly one",
    ),
    (
        "dial without dest",
        _set(["steps", 0, "expect"], [{"type": "dial", "flags": ["dyn"]}]),
        "$.steps[0].expect[0].dest",
        "missing",
    ),
    (
        "wait without duration",
        _set(["steps", 0, "expect"], [{"type": "wait"}]),
        "$.steps[0].expect[0].duration",
        "missing",
    ),
    (
        "discover with a field",
        _set(["steps", 0, "expect"], [{"type": "discover", "dest": {}}]),
        "$.steps[0].expect[0].dest",
        "unknown key",
    ),
    ("taskref without dest", _delete(["steps", 1, "task", "dest"]), "$.steps[1].task.dest", "missing"),
    ("taskref kind", _set(["steps", 1, "task", "type"], "lookup"), "$.steps[1].task.type", "discover"),
    (
        "taskref wait with dest",
        _set(["steps", 1, "task"], {"type": "wait", "dest": "01"}),
        "$.steps[1].task.dest",
        "unknown key",
    ),
    ("results on a dial", _set(["steps", 1, "results"], [{"id": "05"}]), "$.steps[1].results", "only for discover"),
    ("result node bad", _set(["steps", 2, "results", 0], {"id": "zz"}), "$.steps[2].results[0].id", "hex"),
    ("add_static without node", _delete(["steps", 3, "node"]), "$.steps[3].node", "missing"),
]


@pytest.mark.parametrize(("label", "mutate", "path", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_trace_names_the_json_path(label: str, mutate: Mutation, path: str, message: str) -> None:
    document = mutate(copy.deepcopy(VALID))
    with pytest.raises(FormatError) as caught:
        parse_trace(document)
    assert caught.value.path == path
    assert message in caught.value.message


@pytest.mark.parametrize(("label", "mutate", "path", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_replay_of_a_malformed_trace_exits_2_naming_file_and_path(
    label: str, mutate: Mutation, path: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(mutate(copy.deepcopy(VALID))))
    assert main(["replay", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"bad trace {bad}: {path}: " in captured.err
    assert "Traceback" not in captured.err


def test_the_valid_base_document_parses() -> None:
    assert parse_trace(copy.deepcopy(VALID)).name == "valid"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe\x00", "cannot read the file"),
        (b'{"format": NaN}', "NaN is not a JSON value"),
    ],
)
def test_unreadable_or_non_json_files_exit_2(
    content: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.json"
    bad.write_bytes(content)
    assert main(["replay", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and message in err and "Traceback" not in err


def test_every_malformed_file_is_reported_and_nothing_is_replayed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.json").write_text("[]")
    (tmp_path / "b.json").write_text(json.dumps(VALID))
    (tmp_path / "c.json").write_text("{}")
    assert main(["replay", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "a.json" in captured.err and "c.json" in captured.err and "b.json" not in captured.err
    assert "PASS" not in captured.out


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, prefix + (i,))
    return found


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_any_mutation_of_a_valid_trace_parses_or_raises_trace_error(data: st.DataObject) -> None:
    document = copy.deepcopy(VALID)
    path = data.draw(st.sampled_from(_paths(document)))
    replacement = data.draw(_JSON)
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement
    try:
        parse_trace(document)
    except FormatError as exc:
        assert exc.path.startswith("$")


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_arbitrary_json_parses_or_raises_trace_error(document: object) -> None:
    with pytest.raises(FormatError):
        parse_trace(document)
