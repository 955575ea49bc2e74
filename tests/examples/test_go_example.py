"""examples/go, a Go dialstate speaking dialcheck-wire/1, conforms: the whole path from the protocol to a verdict.

CI installs Go (Debian's golang-go, see .ci/run); there a missing toolchain fails these tests
instead of skipping them.  Elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dialcheck.conformance.cli import main
from dialcheck.conformance.vectors import CORPUS_DIR

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "go"
BOUND = 600


@pytest.fixture(scope="session")
def go_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build examples/go once per session and return the binary."""
    go = shutil.which("go")
    if go is None:
        if os.environ.get("CI"):
            pytest.fail("Go is not installed, but CI must run the Go example: .ci/run installs golang-go")
        pytest.skip("Go is not installed (Debian: apt-get install golang-go); CI runs these tests")
    root = tmp_path_factory.mktemp("go")
    env = {
        **os.environ,
        "GOCACHE": str(root / "cache"),
        "GOPATH": str(root / "gopath"),
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-buildvcs=false",
    }
    binary = root / "dialstate"
    built = subprocess.run(
        [go, "build", "-o", str(binary), "."], cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=BOUND
    )
    assert built.returncode == 0, built.stderr
    vetted = subprocess.run([go, "vet", "."], cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=BOUND)
    assert vetted.returncode == 0, vetted.stderr
    return binary


def test_the_go_example_passes_every_vector_of_the_corpus(go_binary: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--cmd", str(go_binary), str(CORPUS_DIR)]) == 0
    assert " 0 failed" in capsys.readouterr().out


@pytest.mark.parametrize("level", ["strict", "invariants"])
def test_a_short_run_of_the_go_example_is_conformant(go_binary: Path, level: str, tmp_path: Path) -> None:
    code = main(
        [
            "run",
            "--cmd",
            str(go_binary),
            "--level",
            level,
            "--examples",
            "150",
            "--hypothesis-profile",
            "ci",
            "--save-failures",
            str(tmp_path),
        ]
    )
    assert code == 0


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["geth-1.7", "geth-1.8"])
@pytest.mark.parametrize("level", ["strict", "invariants"])
def test_the_default_run_of_the_go_example_is_conformant(
    go_binary: Path, level: str, profile: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dialcheck.conformance",
            "run",
            "--cmd",
            str(go_binary),
            "--level",
            level,
            "--profile",
            profile,
            "--hypothesis-profile",
            "ci",
        ],
        capture_output=True,
        text=True,
        timeout=BOUND,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CONFORMANT - " in done.stdout.splitlines()[-1]


@pytest.mark.slow
@pytest.mark.parametrize("level", ["strict", "invariants"])
def test_the_default_run_of_dialcheck_serve_over_the_wire_is_conformant(level: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dialcheck.conformance",
            "run",
            "--cmd",
            f"{shlex.quote(sys.executable)} -m dialcheck.conformance serve",
            "--level",
            level,
            "--hypothesis-profile",
            "ci",
        ],
        capture_output=True,
        text=True,
        timeout=BOUND,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CONFORMANT - " in done.stdout.splitlines()[-1] and "dialcheck.conformance serve" in done.stdout
