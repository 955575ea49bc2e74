"""The JSON Schemas describe what dialcheck reads and writes: traces, wire requests and wire answers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from support import TRACES

from dialcheck.conformance.cli import main
from dialcheck.conformance.formats.schemas import load_schemas
from dialcheck.conformance.formats.wire import Refusal, get_answer, get_hello_answer, get_tasks_answer
from dialcheck.conformance.runs.vectors import CORPUS_DIR
from dialcheck.spec.verdicts import FormatError

PROGRAMS = Path(__file__).resolve().parents[1] / "wire_programs"
_SCHEMAS = load_schemas()
_REGISTRY: Registry[Any] = Registry().with_resources(
    (uri, Resource.from_contents(schema)) for uri, schema in _SCHEMAS.items()
)


def _validator(ref: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": ref}, registry=_REGISTRY)


TRACE = _validator("urn:dialcheck:trace")
REQUEST = _validator("urn:dialcheck:wire-request")
ANSWERS = {
    op: _validator(f"urn:dialcheck:wire-answer#/$defs/{op}")
    for op in ("hello", "new_tasks", "execute", "ok", "refusal")
}
ANSWER = _validator("urn:dialcheck:wire-answer")


def test_every_schema_is_a_valid_draft_2020_12_schema() -> None:
    for schema in _SCHEMAS.values():
        Draft202012Validator.check_schema(schema)


def test_every_bundled_trace_and_vector_matches_the_trace_schema() -> None:
    paths = sorted(TRACES.glob("*.json")) + sorted(p for p in CORPUS_DIR.rglob("*.json") if p.name != "index.json")
    assert len(paths) >= 40
    for path in paths:
        errors = [e.message for e in TRACE.iter_errors(json.loads(path.read_text()))]
        assert not errors, f"{path.name}: {errors}"


@pytest.mark.parametrize(
    "document",
    [
        {
            "format": "dialcheck-trace/1",
            "name": "t",
            "profile": "geth-0.9",
            "config": {"self": "00", "max_dyn_dials": 0},
            "steps": [],
        },
        {
            "format": "dialcheck-trace/1",
            "name": "t",
            "profile": "geth-1.7",
            "config": {"self": "0", "max_dyn_dials": 0},
            "steps": [],
        },
        {
            "format": "dialcheck-trace/1",
            "name": "t",
            "profile": "geth-1.7",
            "config": {"self": "00", "max_dyn_dials": -1},
            "steps": [],
        },
        {
            "format": "dialcheck-trace/1",
            "name": "t",
            "profile": "geth-1.7",
            "config": {"self": "00", "max_dyn_dials": 0},
            "steps": [{"op": "new_tasks", "now": 0, "running": 0, "expext": []}],
        },
        {
            "format": "dialcheck-trace/1",
            "name": "t",
            "profile": "geth-1.7",
            "config": {"self": "00", "max_dyn_dials": 0},
            "steps": [{"op": "new_tasks", "now": 0.5, "running": 0}],
        },
        {
            "format": "dialcheck-trace/1",
            "name": "t",
            "profile": "geth-1.7",
            "config": {"self": "00", "max_dyn_dials": 0},
            "steps": [{"op": "task_done", "now": 0, "task": {"type": "dial"}}],
        },
    ],
)
def test_a_malformed_trace_breaks_the_schema_as_it_breaks_the_parser(
    document: dict[str, object], tmp_path: Path
) -> None:
    assert list(TRACE.iter_errors(document))
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    assert main(["replay", str(path)]) == 2


@pytest.mark.once
def test_every_line_of_a_real_wire_session_matches_the_schemas(tmp_path: Path) -> None:
    log = tmp_path / "log"
    cmd = f"{sys.executable} {PROGRAMS / 'recording.py'} {log}"
    assert main(["run", "--cmd", cmd, "--examples", "60", "--hypothesis-profile", "ci", "--opening", "40"]) == 0
    lines = log.read_bytes().splitlines()
    assert len(lines) > 1000
    seen: set[str] = set()
    for request_line, answer_line in zip(lines[::2], lines[1::2], strict=True):
        request, answer = json.loads(request_line[2:]), json.loads(answer_line[2:])
        errors = [e.message for e in REQUEST.iter_errors(request)]
        assert not errors, f"{request}: {errors}"
        op = request["op"]
        seen.add(op)
        shape = op if op in ("hello", "new_tasks", "execute") else "ok"
        errors = [e.message for e in ANSWERS[shape].iter_errors(answer)]
        assert not errors, f"{answer}: {errors}"
        assert ANSWER.is_valid(answer)
    assert seen == {"hello", "init", "new_tasks", "task_done", "add_static", "remove_static", "execute", "bye"}


@pytest.mark.once
def test_every_line_of_a_real_scheduler_wire_session_matches_the_schemas(tmp_path: Path) -> None:
    log = tmp_path / "log"
    cmd = f"{sys.executable} {PROGRAMS / 'recording.py'} {log}"
    assert (
        main(
            [
                "run",
                "--cmd",
                cmd,
                "--profile",
                "geth-1.15",
                "--examples",
                "60",
                "--hypothesis-profile",
                "ci",
                "--opening",
                "40",
            ]
        )
        == 0
    )
    lines = log.read_bytes().splitlines()
    scheduler = _validator("urn:dialcheck:scheduler#/$defs/Response")
    seen: set[str] = set()
    for request_line, answer_line in zip(lines[::2], lines[1::2], strict=True):
        request, answer = json.loads(request_line[2:]), json.loads(answer_line[2:])
        assert REQUEST.is_valid(request), request
        op = request["op"]
        seen.add(op)
        shape = ANSWERS[op] if op in ("hello",) else ANSWERS["ok"] if op in ("init", "bye") else scheduler
        errors = [e.message for e in shape.iter_errors(answer)]
        assert not errors, f"{answer}: {errors}"
        assert ANSWER.is_valid(answer)
    assert {"start", "advance", "node_offered", "dial_done", "peer_added", "add_static", "inbound_pending"} <= seen


_NODE = {"id": "0a", "ip": "10.0.0.1", "tcp": 1, "udp": 2}
_TASKS = [
    {"type": "dial", "flags": ["static"], "dest": _NODE, "handle": 4},
    {"type": "discover", "handle": 0},
    {"type": "wait", "duration": -3, "handle": 9},
]
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(2**63 - 2, 2**63),
    st.text(max_size=3),
    st.just(["dyn"]),
    st.just(["dyn", "static"]),
    st.just([]),
    st.just(_NODE),
    st.just({"x-note": 1}),
)


@st.composite
def _answers(draw: st.DrawFn) -> dict[str, Any]:
    answer: dict[str, Any] = {"ok": True, "tasks": json.loads(json.dumps(_TASKS))}
    for _ in range(draw(st.integers(0, 3))):
        tasks = answer.get("tasks")
        dicts = [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []
        target = answer if draw(st.booleans()) or not dicts else draw(st.sampled_from(dicts))
        key = draw(st.sampled_from(["ok", "tasks", "type", "flags", "dest", "duration", "handle", "x-y", "extra"]))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(_VALUES)
    return answer


@settings(max_examples=300)
@given(_answers())
def test_the_parser_accepts_a_new_tasks_answer_exactly_when_the_schema_does(answer: dict[str, Any]) -> None:
    try:
        parsed = get_answer(answer, {"tasks"})
        assert not isinstance(parsed, Refusal)
        get_tasks_answer(parsed)
        accepted = True
    except FormatError:
        accepted = False
    assert accepted == ANSWERS["new_tasks"].is_valid(answer), answer


@pytest.mark.parametrize(
    ("answer", "valid"),
    [
        ({"ok": True, "name": "x", "version": "1", "protocol": 1, "profiles": ["geth-1.7"]}, True),
        ({"ok": True, "name": "x", "version": "1", "protocol": 1, "profiles": [], "extensions": ["execute"]}, True),
        ({"ok": True, "name": "x", "version": 1, "protocol": 1, "profiles": []}, False),
        ({"ok": True, "name": "x", "version": "1", "protocol": 1}, False),
        ({"ok": True, "name": "x", "version": "1", "protocol": 1, "profiles": [], "x-build": "abc"}, True),
    ],
)
def test_the_parser_and_the_schema_agree_on_hello_answers(answer: dict[str, Any], valid: bool) -> None:
    assert ANSWERS["hello"].is_valid(answer) is valid
    try:
        parsed = get_answer(answer, {"name", "version", "protocol", "profiles"}, frozenset({"extensions"}))
        assert not isinstance(parsed, Refusal)
        get_hello_answer(parsed)
        accepted = True
    except FormatError:
        accepted = False
    assert accepted is valid


def test_a_refusal_matches_the_refusal_schema_and_nothing_else() -> None:
    refusal = {"ok": False, "error": "unsupported op", "unsupported": True}
    assert ANSWERS["refusal"].is_valid(refusal) and ANSWER.is_valid(refusal)
    assert not ANSWERS["ok"].is_valid(refusal)
    assert isinstance(get_answer(refusal, set()), Refusal)
