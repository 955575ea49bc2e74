"""The hand-written traces: they pass on the reference, and each breaks when one expectation is wrong."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
from support import TRACES

from dialcheck.conformance.cli import main
from dialcheck.conformance.formats.trace import NewTasksStep, dump_trace, load_trace, parse_trace
from dialcheck.conformance.harness.replay import replay_trace
from dialcheck.reference.dialstate import create_dialstate
from dialcheck.spec.model import Profile

TRACE_FILES = sorted(TRACES.glob("*.json"))


def test_there_is_a_hand_written_trace_per_topic() -> None:
    assert len(TRACE_FILES) >= 20


@pytest.mark.parametrize("path", TRACE_FILES, ids=lambda p: p.stem)
def test_every_hand_written_trace_passes_on_the_reference(path: Path) -> None:
    result = replay_trace(load_trace(path), create_dialstate)
    assert result.passed, result.failure
    assert result.steps_run == len(result.trace.steps)


def test_replay_of_the_trace_directory_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(TRACES)]) == 0
    out = capsys.readouterr().out
    assert out.count("PASS  ") == len(TRACE_FILES)
    assert out.splitlines()[-1].endswith(f"{len(TRACE_FILES)} passed, 0 failed, 0 skipped")


def _checked_steps() -> list[tuple[Path, int]]:
    cases = []
    for path in TRACE_FILES:
        for index, step in enumerate(load_trace(path).steps):
            if isinstance(step, NewTasksStep) and step.expect is not None:
                cases.append((path, index))
    return cases


@pytest.mark.parametrize(("path", "index"), _checked_steps(), ids=lambda v: v.stem if isinstance(v, Path) else str(v))
@pytest.mark.parametrize("alteration", ["extra", "drop_or_change"])
def test_a_trace_with_one_wrong_expectation_fails_at_that_step(
    path: Path, index: int, alteration: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(path.read_text())
    expect = document["steps"][index]["expect"]
    if alteration == "extra":
        expect.append({"type": "wait", "duration": 123456789})
    elif expect:
        expect.pop(0)
    else:
        expect.append({"type": "discover"})
    altered = tmp_path / path.name
    altered.write_text(json.dumps(document))
    assert main(["replay", str(altered)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL  {document['name']}" in out
    assert f"step {index + 1} ($.steps[{index}])" in out
    assert "answer differs" in out and "expected [" in out and "got      [" in out


@pytest.mark.parametrize("path", TRACE_FILES, ids=lambda p: p.stem)
def test_dumping_a_trace_and_parsing_it_again_gives_the_same_trace(path: Path) -> None:
    trace = load_trace(path)
    text = dump_trace(trace)
    again = parse_trace(json.loads(text))
    assert dump_trace(again) == text
    assert (again.name, again.profile, again.config, len(again.steps)) == (
        trace.name,
        trace.profile,
        trace.config,
        len(trace.steps),
    )
    assert replay_trace(again, create_dialstate).passed


def test_every_trace_names_the_requirements_it_covers() -> None:
    for path in TRACE_FILES:
        description = load_trace(path).description
        assert description is not None and description.startswith("Covers "), path.name


SCHEDULING_ONLY = """
from dialcheck.reference.dialstate import Dialstate


class SchedulingOnly:
    def __init__(self, config, profile):
        self._inner = Dialstate(config, profile)
        self.new_tasks = self._inner.new_tasks
        self.task_done = self._inner.task_done
        self.add_static = self._inner.add_static
        self.remove_static = self._inner.remove_static
"""


@pytest.fixture
def scheduling_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scheduling_only_dialer.py").write_text(SCHEDULING_ONLY)
    return "scheduling_only_dialer:SchedulingOnly"


def test_a_scheduling_only_implementation_skips_the_traces_that_execute_and_passes_the_rest(
    scheduling_only: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--impl", scheduling_only, str(TRACES)]) == 0
    out = capsys.readouterr().out
    skipped = [line for line in out.splitlines() if line.startswith("SKIP  ")]
    executing = [p for p in TRACE_FILES if p.stem.startswith("execution-")]
    assert len(skipped) == len(executing) >= 3 and all("no execute capability (AD-5" in line for line in skipped)
    assert out.splitlines()[-1].endswith(
        f"{len(TRACE_FILES) - len(executing)} passed, 0 failed, {len(executing)} skipped"
    )


def test_skips_fail_when_asked(scheduling_only: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--skips-fail", "--impl", scheduling_only, str(TRACES)]) == 1
    executing = [p for p in TRACE_FILES if p.stem.startswith("execution-")]
    assert capsys.readouterr().out.splitlines()[-1].endswith(f"0 failed, {len(executing)} skipped")


def test_a_replay_in_which_no_trace_ran_does_not_pass(scheduling_only: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--impl", scheduling_only, str(TRACES / "execution-lookup-wait.json")]) == 1
    out = capsys.readouterr().out
    assert "0 passed, 0 failed, 1 skipped" in out and "no trace ran" in out


def test_a_program_serving_one_profile_skips_the_traces_of_the_other(capsys: pytest.CaptureFixture[str]) -> None:
    served = f"{shlex.quote(sys.executable)} -m dialcheck.conformance serve --profile geth-1.7"
    assert main(["replay", "--cmd", served, str(TRACES)]) == 0
    out = capsys.readouterr().out
    skips = [line for line in out.splitlines() if line.startswith("SKIP  ")]
    others = [path for path in TRACE_FILES if load_trace(path).profile is not Profile.GETH_1_7]
    assert len(skips) == len(others) >= 3
    skip = next(line for line in skips if "static-remove-history-1.8" in line)
    assert "needs profile geth-1.8" in skip and "its hello lists geth-1.7" in skip
    assert out.splitlines()[-1].endswith(f"{len(TRACE_FILES) - len(others)} passed, 0 failed, {len(others)} skipped")


def test_a_profile_asked_for_that_the_program_does_not_serve_is_still_refused_WIRE_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    served = f"{shlex.quote(sys.executable)} -m dialcheck.conformance serve --profile geth-1.7"
    assert main(["replay", "--cmd", served, "--profile", "geth-1.8", str(TRACES)]) == 2
    assert "does not serve profile geth-1.8" in capsys.readouterr().err
