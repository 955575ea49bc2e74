"""Random garbage and wrong-shape answers from a --cmd program.

Never a traceback, never a hang, never a process left.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialcheck.conformance.cli import main
from dialcheck.conformance.runs.vectors import SCENARIO_DIR

PROGRAM = Path(__file__).resolve().parents[1] / "wire_programs" / "scripted.py"
_NODE = {"id": "0a", "ip": "10.0.0.1", "tcp": 30303, "udp": 30303}
#: Answers that are right for some request, to be sent where they are wrong and to be mutated.
_VALID = (
    {"ok": True, "name": "x", "version": "1", "protocol": 1, "profiles": ["geth-1.7", "geth-1.8"]},
    {"ok": True},
    {"ok": True, "tasks": []},
    {"ok": True, "tasks": [{"type": "dial", "flags": ["dyn"], "dest": _NODE, "handle": 1}]},
    {"ok": True, "tasks": [{"type": "discover", "handle": 2}, {"type": "wait", "duration": 5, "handle": 3}]},
    {"ok": False, "error": "no", "unsupported": True},
    {"ok": True, "name": "x", "version": "1", "protocol": 1, "profiles": ["geth-1.7"], "extensions": ["execute"]},
    {"ok": True, "actions": [{"type": "connect", "dest": _NODE, "connected": True}], "state": None},
    {"ok": True, "actions": [], "state": {"resolve_delay": 0, "last_resolved": None, "dest": _NODE}},
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    answer = json.loads(json.dumps(draw(st.sampled_from(_VALID))))
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(sorted(answer) or ["ok"]))
        if draw(st.booleans()):
            answer.pop(key, None)
        else:
            answer[key] = draw(_JSON)
    return json.dumps(answer).encode()


_LINES = st.one_of(
    st.sampled_from(_VALID).map(lambda a: json.dumps(a).encode()),
    _mutated(),
    _JSON.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=40).filter(lambda b: b"\n" not in b),
    st.sampled_from((b"SLEEP", b"EXIT", b"CLOSE", b"", b"{", b"NaN", b'{"ok": true, "tasks": [{"handle": -1}]}')),
)


def _check_script(
    command: str,
    greets: bool,
    lines: list[bytes],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Half the scripts answer hello and init properly first, so that the garbage arrives mid-run."""
    tmp = tmp_path_factory.mktemp("fuzz")
    script = tmp / "script"
    hello = _VALID[6] if greets and len(lines) % 2 else _VALID[0]
    prefix = [json.dumps(hello).encode(), b'{"ok": true}'] if greets else []
    script.write_bytes(b"\n".join(prefix + lines))
    cmd = f"{sys.executable} {PROGRAM} {script} {tmp / 'pids'}"
    args = [command, "--cmd", cmd, "--timeout", "0.5"]
    if command == "run":
        args += ["--examples", "3", "--hypothesis-profile", "ci", "--save-failures", str(tmp / "failures")]
    else:
        args.append(str(SCENARIO_DIR))
    code = main(args)
    out, err = capsys.readouterr()
    assert code in (1, 2), out + err
    assert "Traceback" not in out + err
    if code == 2:
        assert err.strip() and out == ""
    pids = [int(p) for p in (tmp / "pids").read_text().split()]
    for pid in pids:
        stat = Path(f"/proc/{pid}/stat")
        assert not stat.exists() or stat.read_text().split(") ")[1][0] == "Z", f"process {pid} left running"


_SCRIPTS = {"greets": st.booleans(), "lines": st.lists(_LINES, min_size=1, max_size=12)}


@pytest.mark.parametrize("command", ["run", "replay"])
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(**_SCRIPTS)
def test_random_answers_never_crash_or_hang_dialcheck(
    command: str,
    greets: bool,
    lines: list[bytes],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _check_script(command, greets, lines, tmp_path_factory, capsys)


@pytest.mark.thorough
@pytest.mark.parametrize("command", ["run", "replay"])
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(**_SCRIPTS)
def test_many_random_answers_never_crash_or_hang_dialcheck(
    command: str,
    greets: bool,
    lines: list[bytes],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _check_script(command, greets, lines, tmp_path_factory, capsys)
