"""An untrusted --cmd implementation.

Every way it can misbehave gets a verdict, in bounded time, with no process left.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dialcheck.conformance.runs.vectors import SCENARIO_DIR

PROGRAM = Path(__file__).resolve().parents[1] / "wire_programs" / "misbehaving.py"
#: Far above what any case takes (a few seconds); only there to turn a hang of dialcheck into a failure.
BOUND = 120


def _is_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def _run(tmp_path: Path, mode: str, *extra: str, command: str = "run") -> tuple[int, str, str]:
    pidfile = tmp_path / "pids"
    cmd = f"{sys.executable} {PROGRAM} {mode} {pidfile}"
    args = [sys.executable, "-m", "dialcheck.conformance", command, "--cmd", cmd, "--timeout", "2"]
    if command == "run":
        args += ["--examples", "60", "--save-failures", str(tmp_path / "failures"), "--hypothesis-profile", "ci"]
        args += ["--opening", "0"]  # the misbehaviour comes mid-run, in the random examples
    args += extra
    done = subprocess.run(args, capture_output=True, text=True, timeout=BOUND, cwd=tmp_path)
    pids = [int(p) for p in pidfile.read_text().split()] if pidfile.exists() else []
    assert pids, "the program never started"
    left = [p for p in pids if _is_alive(p)]
    assert not left, f"processes left running: {left}"
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, done.stderr
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    ("mode", "check", "hint"),
    [
        ("exit-at-start", "WIRE_EXITED", "cannot open the node database"),
        ("close-stdout-at-start", "WIRE_EXITED", "closed its stdout"),
        ("garbage-hello", "WIRE_NOT_JSON", "Starting dialer v0.1"),
    ],
)
def test_a_program_that_fails_before_running_is_bad_input_WIRE_2(
    tmp_path: Path, mode: str, check: str, hint: str
) -> None:
    code, out, err = _run(tmp_path, mode)
    assert code == 2 and check in err and hint in err and out == ""
    assert len(err.strip().splitlines()) <= 20


def test_a_program_without_the_requested_profile_exits_2_before_running_WIRE_2(tmp_path: Path) -> None:
    cmd = f"{sys.executable} -m dialcheck.conformance serve --profile geth-1.8"
    done = subprocess.run(
        [sys.executable, "-m", "dialcheck.conformance", "run", "--cmd", cmd, "--profile", "geth-1.7"],
        capture_output=True,
        text=True,
        timeout=BOUND,
    )
    assert done.returncode == 2 and "does not serve profile geth-1.7" in done.stderr and "geth-1.8" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("mode", "check", "hints"),
    [
        ("exit-mid-run", "WIRE_EXITED", ("exited with status 3", "index out of range")),
        ("close-stdout-mid-run", "WIRE_EXITED", ("closed its stdout",)),
        ("hang", "WIRE_HUNG", ("no answer", "within 2 s", "deadlock: waiting", "not shrunk")),
        ("not-json", "WIRE_NOT_JSON", ("INFO [11-24|10:00:00] Dialing",)),
        ("wrong-shape", "WIRE_BAD_SHAPE", ('$.tasks: expected a list, got {"dial": 1}',)),
        ("refuse", "WIRE_REFUSED", ("table not ready",)),
        ("unknown-handle", "WIRE_UNKNOWN_HANDLE", ("unknown handle",)),
        ("duplicate-handle", "WIRE_DUPLICATE_HANDLE", ("handle 1",)),
    ],
)
def test_a_program_that_misbehaves_mid_run_gets_a_verdict_at_a_step(
    tmp_path: Path, mode: str, check: str, hints: tuple[str, ...]
) -> None:
    """WIRE-1 (not JSON, wrong shape), WIRE-4 (handles), WIRE-5 (hang): a verdict at the step, a saved trace."""
    code, out, err = _run(tmp_path, mode)
    assert code == 1, out + err
    assert f"FAILED {check}" in out and f"NOT CONFORMANT ({check}" in out.splitlines()[-1]
    for hint in hints:
        assert hint in out
    assert "counterexample (" in out and f"<== {check}" in out
    saved = list((tmp_path / "failures").glob("*.json"))
    assert len(saved) == 1 and saved[0].name.startswith(check)


def test_a_saved_wire_failure_replays_to_the_same_check(tmp_path: Path) -> None:
    code, out, _ = _run(tmp_path, "not-json")
    assert code == 1
    saved = next((tmp_path / "failures").glob("*.json"))
    (tmp_path / "pids").unlink()
    code, out, err = _run(tmp_path, "not-json", str(saved), command="replay")
    assert code == 1 and "FAIL  counterexample" in out and "WIRE_NOT_JSON" in out, out + err


def test_a_program_that_answers_differently_on_replay_is_called_nondeterministic_WIRE_3(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path, "nondeterministic")
    assert code == 1 and "NONDETERMINISTIC" in out.splitlines()[-1], out + err
    assert "Flaky" not in out + err


def test_a_program_that_leaves_a_child_running_is_not_conformant_WIRE_5(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path, "leave-child")
    assert code == 1 and "WIRE_LEFT_CHILD" in out.splitlines()[-1], out + err
    assert "still ran after it exited" in out


def test_a_program_that_leaves_a_child_fails_replay_after_the_last_trace(tmp_path: Path) -> None:
    trace = SCENARIO_DIR / "static-redial.json"
    code, out, err = _run(tmp_path, "leave-child", str(trace), command="replay")
    assert code == 1 and "PASS  static-redial" in out and "FAIL  after the last trace: WIRE_LEFT_CHILD" in out


def test_a_program_that_floods_stderr_still_conforms(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path, "flood-stderr", "--examples", "5")
    assert code == 0 and "CONFORMANT" in out.splitlines()[-1], out + err


@pytest.mark.once
def test_the_reference_served_over_the_wire_conforms_at_both_levels(tmp_path: Path) -> None:
    for level in ("strict", "invariants"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "dialcheck.conformance",
                "run",
                "--cmd",
                f"{sys.executable} -m dialcheck.conformance serve",
                "--level",
                level,
                "--examples",
                "100",
                "--hypothesis-profile",
                "ci",
                "--opening",
                "0",
            ],
            capture_output=True,
            text=True,
            timeout=BOUND,
            cwd=tmp_path,
        )
        assert done.returncode == 0 and "CONFORMANT" in done.stdout.splitlines()[-1], done.stdout + done.stderr


def test_a_seeded_bug_served_over_the_wire_is_caught_as_in_process(tmp_path: Path) -> None:
    """The wire adds no blind spot: a zoo member behind dialcheck serve fails with the same check."""
    cmd = f"{sys.executable} -m dialcheck.conformance serve --impl dialcheck.conformance.zoo:dials_self"
    args = [
        "run",
        "--level",
        "invariants",
        "--hypothesis-profile",
        "ci",
        "--opening",
        "0",
        "--save-failures",
        str(tmp_path),
    ]
    wire = subprocess.run(
        [sys.executable, "-m", "dialcheck.conformance", *args, "--cmd", cmd],
        capture_output=True,
        text=True,
        timeout=BOUND,
    )
    local = subprocess.run(
        [sys.executable, "-m", "dialcheck.conformance", *args, "--impl", "dialcheck.conformance.zoo:dials_self"],
        capture_output=True,
        text=True,
        timeout=BOUND,
    )
    assert wire.returncode == local.returncode == 1
    assert wire.stdout.splitlines()[-1].startswith("dialcheck run: NOT CONFORMANT (NEVER_SELF)")
    assert local.stdout.splitlines()[-1].startswith("dialcheck run: NOT CONFORMANT (NEVER_SELF)")
    saved = sorted(tmp_path.glob("NEVER_SELF-*.json"))
    assert saved
    replayed = subprocess.run(
        [sys.executable, "-m", "dialcheck.conformance", "replay", "--cmd", cmd, str(saved[0])],
        capture_output=True,
        text=True,
        timeout=BOUND,
    )
    assert replayed.returncode == 1 and "NEVER_SELF" in replayed.stdout
