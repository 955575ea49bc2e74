"""dialcheck matrix runs several implementations across profiles and levels and writes one report, Markdown and JSON."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from dialcheck.conformance.cli import main

MEMBER = "dialcheck.conformance.zoo:concurrent_lookups"
SERVE_17 = f"{shlex.quote(sys.executable)} -m dialcheck.conformance serve --profile geth-1.7 --id-bytes 32"


def _matrix(tmp_path: Path, *args: str) -> int:
    args = (*args, "--examples", "60", "--hypothesis-profile", "ci", "--opening", "0")
    return main(["matrix", *args, "--out", str(tmp_path / "m")])


@pytest.mark.once
def test_every_implementation_profile_and_level_gets_a_cell_with_its_verdict_check_length_time_and_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _matrix(
        tmp_path,
        "--impl",
        "ref=dialcheck.reference.dialstate:create_dialstate",
        "--impl",
        f"cl={MEMBER}",
        "--cmd",
        f"served={SERVE_17}",
        "--cmd",
        "gone=/no/such/program",
        "--profile",
        "geth-1.7",
        "--profile",
        "geth-1.8",
    )
    assert code == 1
    document = json.loads((tmp_path / "m" / "matrix.json").read_text())
    assert document["format"] == "dialcheck-matrix/1"
    cells = {(c["implementation"], c["profile"], c["level"]): c for c in document["cells"]}
    assert len(cells) == 4 * 2 * 2
    assert all(
        cells[("ref", p, lv)]["verdict"] == "conformant"
        for p in ("geth-1.7", "geth-1.8")
        for lv in ("strict", "invariants")
    )
    failed = cells[("cl", "geth-1.8", "invariants")]
    assert failed["verdict"] == "not conformant" and failed["check"] == "SINGLE_LOOKUP"
    assert failed["counterexample_steps"] >= 2 and failed["seconds_to_verdict"] >= 0
    assert Path(failed["trace"]).is_file() and "/traces/cl/" in failed["trace"]
    assert cells[("served", "geth-1.7", "strict")]["verdict"] == "conformant"
    assert cells[("served", "geth-1.8", "strict")]["verdict"] == "not served"
    assert cells[("gone", "geth-1.7", "strict")]["verdict"] == "error"
    assert "WIRE_CANNOT_START" in cells[("gone", "geth-1.7", "strict")]["message"]
    markdown = (tmp_path / "m" / "matrix.md").read_text()
    assert "| **cl** (dialcheck.conformance.zoo:concurrent_lookups) | FAIL STRICT |" in markdown
    assert "| cl | geth-1.8 | invariants | not conformant | SINGLE_LOOKUP |" in markdown
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith("dialcheck matrix: 4 implementation(s), 16 cell(s), 8 failed")


def test_a_matrix_with_waivers_passes_when_only_waived_checks_fail(tmp_path: Path) -> None:
    waivers = tmp_path / "w.json"
    rotation = {"check": "SINGLE_LOOKUP", "profile": "geth-1.7", "level": "invariants", "reason": "ours"}
    waivers.write_text(json.dumps({"format": "dialcheck-waivers/1", "waivers": [rotation]}))
    args = [
        "--impl",
        f"cl={MEMBER}",
        "--waivers",
        f"cl={waivers}",
        "--profile",
        "geth-1.7",
        "--level",
        "invariants",
    ]
    assert _matrix(tmp_path, *args[:4], "--profile", "geth-1.7", "--level", "invariants") == 0
    (cell,) = json.loads((tmp_path / "m" / "matrix.json").read_text())["cells"]
    assert cell["verdict"] == "conformant" and cell["waived"]["SINGLE_LOOKUP"] > 0


def test_a_profile_not_served_is_not_a_failure(tmp_path: Path) -> None:
    assert _matrix(tmp_path, "--cmd", f"served={SERVE_17}", "--level", "strict") == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "name at least one implementation"),
        (["--impl", "no label"], "write --impl LABEL=VALUE"),
        (["--impl", "a=x:y", "--cmd", "a=prog"], "names two implementations"),
        (["--impl", "a=x:y", "--id-bytes", "b=32"], "names no implementation"),
        (["--impl", "a=x:y", "--id-bytes", "a=20"], "the width is 32 or 64"),
    ],
)
def test_a_bad_matrix_command_line_is_bad_input_with_exit_2(
    args: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _matrix(tmp_path, *args) == 2
    assert says in capsys.readouterr().err
