"""An implementation that declares its ID width gets every node ID that wide; verdicts do not change (ID-1, ID-2)."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from support import TRACES

from dialcheck.conformance.cli import main
from dialcheck.conformance.drivers.serve import WireServer
from dialcheck.conformance.formats.trace import dump_trace, load_trace
from dialcheck.conformance.formats.wire import PROTOCOL, Hello, get_hello_answer, make_init_request
from dialcheck.conformance.harness.ids import fits, get_unfit_id, resize_factory, resize_id, resize_trace
from dialcheck.conformance.harness.loader import load_factory
from dialcheck.conformance.harness.replay import Capabilities, get_skip_reason, replay_trace
from dialcheck.conformance.harness.session import Session
from dialcheck.conformance.harness.world import uint_id
from dialcheck.conformance.runs.vectors import CORPUS_DIR
from dialcheck.reference.dialstate import create_dialstate
from dialcheck.spec.execution import Execution, ExecutionInput
from dialcheck.spec.model import Config, ConnFlag, DialTask, Node, NodeID, Profile, Task
from dialcheck.spec.verdicts import FormatError

WIDE = uint_id(3)
NARROW = "00" * 31 + "03"


def test_an_id_is_padded_with_zero_bytes_or_loses_leading_zero_bytes_ID_1() -> None:
    assert resize_id("000000ff", 32) == "00" * 31 + "ff"
    assert resize_id(WIDE, 32) == NARROW
    assert resize_id(NARROW, 64) == WIDE
    assert resize_id(NARROW, 32) == NARROW


def test_an_id_whose_significant_bytes_do_not_fit_is_refused_ID_2() -> None:
    wide = "01" + "00" * 63
    assert not fits(wide, 32) and fits(wide, 64)
    with pytest.raises(ValueError, match="does not fit in 32 bytes"):
        resize_id(wide, 32)


class _Recording:
    """The reference, recording every node ID it is given; an implementation of fixed width."""

    def __init__(self, config: Config, profile: Profile, seen: list[NodeID]) -> None:
        self.inner = create_dialstate(config, profile)
        self.seen = seen
        seen.append(config.self_id)
        seen.extend(n.id for n in (*config.static, *config.bootnodes))

    def new_tasks(self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]) -> list[Task]:
        self.seen.extend([*peers, *(n.id for n in table)])
        return self.inner.new_tasks(running, peers, now, table)

    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        self.seen.extend(n.id for n in results)
        self.inner.task_done(task, now, results)

    def add_static(self, node: Node) -> None:
        self.seen.append(node.id)
        self.inner.add_static(node)

    def remove_static(self, node: Node) -> None:
        self.seen.append(node.id)
        self.inner.remove_static(node)

    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        self.seen.extend(n.id for n in (*inputs.lookup, *([inputs.resolved] if inputs.resolved else [])))
        return self.inner.execute(task, inputs)


@pytest.mark.parametrize("width", [32, 64])
def test_every_scenario_passes_at_either_width_and_the_implementation_sees_only_that_width(width: int) -> None:
    seen: list[NodeID] = []
    factory = resize_factory(lambda c, p: _Recording(c, p, seen), width)
    for path in sorted(TRACES.glob("*.json")):
        result = replay_trace(load_trace(path), factory)
        assert result.passed, (path.name, result.failure)
    assert seen and {len(i) for i in seen} == {2 * width}


def test_a_resized_dialstate_keeps_each_task_object_across_calls_AD_3() -> None:
    seen: list[NodeID] = []
    config = Config(uint_id(0), 0, static=(Node(WIDE, "10.0.0.3", 30303, 30303),))
    subject = resize_factory(lambda c, p: _Recording(c, p, seen), 32)(config, Profile.GETH_1_7)
    first = subject.new_tasks(0, {}, 1, [])
    assert [t.dest.id for t in first if isinstance(t, DialTask)] == [WIDE]
    subject.task_done(first[0], 2, [])
    again = subject.new_tasks(0, {}, 31 * 10**9 + 3, [])
    assert again[0] is first[0]
    assert all(len(i) == 64 for i in seen)


def test_a_machine_session_over_a_declared_width_judges_as_it_would_without() -> None:
    factory = resize_factory(create_dialstate, 32)
    session = Session.create(
        factory, Config(uint_id(0), 2, bootnodes=(Node(uint_id(1), "10.0.0.1"),)), Profile.GETH_1_7
    )
    session.new_tasks(0, {}, 1, [Node(uint_id(2), "10.0.0.2")])
    entry = session.new_tasks(0, {}, 21 * 10**9 + 2, [])
    assert [e.task.dest.id for e in entry if isinstance(e.task, DialTask)] == [uint_id(1)]


def test_a_trace_is_rewritten_at_the_width_and_back_without_loss() -> None:
    trace = load_trace(TRACES / "static-remove-history-1.7.json")
    narrow = resize_trace(trace, 32)
    assert get_unfit_id(narrow, 32) is None
    assert dump_trace(resize_trace(resize_trace(narrow, 64), 32)) == dump_trace(narrow)
    assert replay_trace(narrow, create_dialstate).passed


def test_replay_skips_a_trace_whose_ids_do_not_fit_the_declared_width_ID_2() -> None:
    trace = load_trace(TRACES / "static-remove-history-1.7.json")
    wide = resize_trace(trace, 64)
    held = replace(wide, config=replace(wide.config, self_id="01" + "00" * 63))
    capabilities = Capabilities(tuple(Profile), True, id_bytes=32)
    reason = get_skip_reason(held, capabilities)
    assert reason is not None and "does not fit in the implementation's 32 bytes" in reason
    assert get_skip_reason(wide, capabilities) is None
    assert get_skip_reason(held, Capabilities(tuple(Profile), True, id_bytes=64)) is None


def test_hello_may_declare_32_or_64_byte_ids_and_nothing_else() -> None:
    base = {"ok": True, "name": "x", "version": "1", "protocol": 1, "profiles": ["geth-1.7"]}
    assert get_hello_answer(base).id_bytes is None
    assert get_hello_answer({**base, "id_bytes": 32}).id_bytes == 32
    with pytest.raises(FormatError, match=r"\$\.id_bytes: expected one of 32, 64"):
        get_hello_answer({**base, "id_bytes": 20})


def test_serve_with_a_declared_width_refuses_an_id_of_another_width() -> None:
    server = WireServer(create_dialstate, Hello("t", "0", PROTOCOL, ("geth-1.7",), (), 32))
    line = json.dumps(make_init_request(Profile.GETH_1_7, Config(WIDE, 1))).encode()
    answer, _ = server.on_line(line)
    assert answer["ok"] is False and "$.config.self is a node ID of 64 bytes" in str(answer["error"])
    answer, _ = server.on_line(json.dumps(make_init_request(Profile.GETH_1_7, Config(NARROW, 1))).encode())
    assert answer == {"ok": True}


@pytest.mark.parametrize("width", ["32", "64"])
def test_a_wire_program_that_declares_its_width_replays_the_corpus_and_runs_conformant(
    width: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve = f"{shlex.quote(sys.executable)} -m dialcheck.conformance serve --id-bytes {width}"
    assert main(["replay", "--cmd", serve, str(CORPUS_DIR)]) == 0
    # The dialScheduler family holds 32-byte IDs: a program declaring 64 skips its walks, saying why.
    skipped = len(list((CORPUS_DIR / "scheduler").rglob("*.json"))) if width == "64" else 0
    assert f" 0 failed, {skipped} skipped" in capsys.readouterr().out
    run = [
        "run",
        "--cmd",
        serve,
        "--examples",
        "40",
        "--hypothesis-profile",
        "ci",
        "--opening",
        "0",
        "--save-failures",
        str(tmp_path),
    ]
    assert main(run) == 0


def test_a_saved_counterexample_is_written_at_the_declared_width(tmp_path: Path) -> None:
    member = "dialcheck.conformance.zoo:fallback_at_exactly_20s"
    args = ["run", "--impl", member, "--id-bytes", "32", "--hypothesis-profile", "ci", "--save-failures", str(tmp_path)]
    assert main(args) == 1
    (saved,) = tmp_path.glob("*.json")
    trace = load_trace(saved)
    assert len(trace.config.self_id) == 64 and get_unfit_id(trace, 32) is None
    assert not replay_trace(trace, resize_factory(load_factory(member), 32)).passed


def test_a_contradicting_id_bytes_option_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    serve = f"{shlex.quote(sys.executable)} -m dialcheck.conformance serve --id-bytes 32"
    assert main(["replay", "--cmd", serve, "--id-bytes", "64", str(TRACES)]) == 2
    assert "contradicts the implementation's hello" in capsys.readouterr().err
