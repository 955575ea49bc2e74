"""The dialScheduler family end to end: run, replay, serve and the wire, against the reference and a seeded bug."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from support import SELF

from dialcheck.conformance.cli import main
from dialcheck.conformance.drivers.serve import WireServer
from dialcheck.conformance.formats.scheduler_format import load_any_trace
from dialcheck.conformance.formats.wire import PROTOCOL, Hello
from dialcheck.reference.dialstate import create_dialstate
from dialcheck.reference.scheduler import Scheduler, SchedulerImplementation, create_scheduler
from dialcheck.spec.model import Node
from dialcheck.spec.scheduler import SchedulerConfig, SchedulerProfile

RUN = ["run", "--examples", "60", "--hypothesis-profile", "ci", "--opening", "0"]


class _ForgetsHistory(Scheduler):
    """SC-HIST-2 broken: a node is dialable again as soon as its dial is done."""

    def is_dialable(self, node: Node) -> bool:
        saved, self.history = self.history, []
        try:
            return super().is_dialable(node)
        finally:
            self.history = saved


def forgets_history(config: SchedulerConfig, profile: SchedulerProfile) -> SchedulerImplementation:
    """Return the reference with the history bug."""
    implementation = SchedulerImplementation(config, profile)
    implementation.model = _ForgetsHistory(config, profile)
    return implementation


@pytest.mark.parametrize("profile", [p.value for p in SchedulerProfile])
def test_the_reference_scheduler_is_conformant_at_every_profile_and_level(
    profile: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for level in ("strict", "invariants"):
        assert main([*RUN, "--profile", profile, "--level", level]) == 0
        assert (
            f"CONFORMANT - dialcheck.reference.scheduler:create_scheduler, profile {profile}" in capsys.readouterr().out
        )


def test_a_scheduler_bug_fails_with_a_minimal_counterexample_that_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    impl = f"{__name__}:forgets_history"
    args = [*RUN, "--profile", "geth-1.15", "--impl", impl, "--save-failures", str(tmp_path)]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "FAILED STRICT (also breaks SC_HISTORY" in out and "minimized: no step removable" in out
    (saved,) = tmp_path.glob("STRICT-geth-1.15-strict-*.json")
    trace = load_any_trace(saved)
    assert len(trace.steps) <= 5
    assert main(["replay", "--impl", impl, str(saved)]) == 1
    assert main(["replay", str(saved)]) == 0
    assert "1 passed" in capsys.readouterr().out.splitlines()[-1]


def test_the_invariants_level_names_the_broken_invariant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*RUN, "--profile", "geth-1.9.14", "--level", "invariants", "--impl", f"{__name__}:forgets_history"]
    assert main([*args, "--save-failures", str(tmp_path)]) == 1
    assert "FAILED SC_HISTORY" in capsys.readouterr().out


def test_a_run_over_the_wire_against_dialcheck_serve_is_conformant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*RUN, "--profile", "geth-1.17.2", "--cmd", "dialcheck serve"]) == 0
    assert "CONFORMANT - dialcheck serve, profile geth-1.17.2" in capsys.readouterr().out


def test_jobs_spread_a_scheduler_run_over_workers_with_the_same_counterexample_for_every_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    impl = f"{__name__}:forgets_history"
    saved: list[str] = []
    for jobs in ("2", "3"):
        folder = tmp_path / jobs
        args = ["--impl", impl, "--jobs", jobs, "--seed", "7", "--examples", "300", "--save-failures", str(folder)]
        assert main([*RUN, "--profile", "geth-1.15", *args]) == 1
        assert "FAILED STRICT" in capsys.readouterr().out
        (trace,) = folder.glob("STRICT-geth-1.15-strict-*.json")
        saved.append(trace.read_text(encoding="utf-8"))
    assert saved[0] == saved[1]


def _serve(*requests: dict[str, object]) -> list[dict[str, object]]:
    hello = Hello("ref", "1", PROTOCOL, tuple(p.value for p in SchedulerProfile))
    server = WireServer(create_dialstate, hello, create_scheduler)
    return [server.on_line(json.dumps(r).encode())[0] for r in requests]


def test_serve_answers_scheduler_events_with_dials_reads_and_what_a_task_did() -> None:
    node = {"id": "01", "ip": "10.0.0.1", "tcp": 30303, "udp": 30303}
    config = {"self": SELF, "max_dial_peers": 1}
    answers = _serve(
        {"op": "init", "profile": "geth-1.15", "config": config},
        {"op": "start", "now": 0},
        {"op": "add_static", "node": node},
        {"op": "dial_done", "id": "01", "connects": [True], "joins": True},
        {"op": "dial_done", "id": "02"},
        {"op": "advance", "now": "soon"},
        {"op": "dial_ran", "id": "01"},
    )
    assert answers[0] == {"ok": True}
    assert answers[1] == {"ok": True, "dials": [], "reads": True}
    assert answers[2] == {"ok": True, "dials": [{"flags": ["static"], "dest": node}], "reads": True}
    assert answers[3]["actions"] == [{"type": "connect", "dest": node, "connected": True}]
    assert answers[3]["reads"] is False
    assert answers[4]["ok"] is False and "no dial to" in str(answers[4]["error"])
    assert answers[5]["ok"] is False and "$.now" in str(answers[5]["error"])
    assert answers[6] == {"ok": False, "error": "op 'dial_ran' is not supported", "unsupported": True}


def test_serve_refuses_a_scheduler_profile_it_does_not_serve() -> None:
    hello = Hello("ref", "1", PROTOCOL, ("geth-1.7",))
    server = WireServer(create_dialstate, hello)
    init = {"op": "init", "profile": "geth-1.15", "config": {"self": SELF, "max_dial_peers": 1}}
    answer, _ = server.on_line(json.dumps(init).encode())
    assert answer["ok"] is False and answer.get("unsupported") is True


def test_dialcheck_serve_speaks_both_families_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [
        {"op": "hello", "protocol": 1},
        {"op": "init", "profile": "geth-1.9.11", "config": {"self": SELF, "max_dial_peers": 0}},
        {"op": "start", "now": 5},
        {"op": "init", "profile": "geth-1.7", "config": {"self": SELF, "max_dyn_dials": 0}},
        {"op": "bye"},
    ]
    stdin = io.BytesIO(b"".join(json.dumps(x).encode() + b"\n" for x in lines))
    stdout = io.BytesIO()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(stdin))
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(stdout))
    assert main(["serve"]) == 0
    import sys

    sys.stdout.flush()
    answers = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert "geth-1.17.2" in answers[0]["profiles"] and "geth-1.7" in answers[0]["profiles"]
    assert answers[2] == {"ok": True, "dials": [], "reads": False} and answers[3] == {"ok": True}


@pytest.mark.slow
@pytest.mark.parametrize(
    "size",
    [pytest.param(["--examples", "300"], id="short"), pytest.param([], id="default", marks=pytest.mark.thorough)],
)
@pytest.mark.parametrize("level", ["strict", "invariants"])
@pytest.mark.parametrize("profile", [p.value for p in SchedulerProfile])
def test_a_run_of_the_reference_scheduler_is_conformant(
    profile: str, level: str, size: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["run", "--profile", profile, "--level", level, "--hypothesis-profile", "ci", "--opening", "0", *size])
        == 0
    )
    assert "CONFORMANT - dialcheck.reference.scheduler:create_scheduler" in capsys.readouterr().out
