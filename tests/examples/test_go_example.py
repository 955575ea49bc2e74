"""examples/go, a Go dialstate served through the Go kit (gokit/), conforms: the path from the protocol to a verdict.

CI installs Go (Debian's golang-go, see .ci/run); there a missing toolchain fails these tests
instead of skipping them.  Elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dialcheck.conformance.cli import main
from dialcheck.conformance.runs.vectors import CORPUS_DIR
from dialcheck.spec.model import Profile

ROOT = Path(__file__).resolve().parents[2]
#: The size of a run: ``short`` in CI's slow env, the default size (``dialcheck run`` as a user types it) in the
#: thorough env (docs/ci.md).
SIZES = [pytest.param(["--examples", "100"], id="short"), pytest.param([], id="default", marks=pytest.mark.thorough)]
EXAMPLE = ROOT / "examples" / "go"
KIT = ROOT / "gokit"
BOUND = 600


@pytest.fixture(scope="session")
def go_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Return an environment for the go command, offline (skip without Go).

    The build cache is Go's own (content-addressed and safe to share between processes), so every
    tox env and xdist worker of one CI run compiles the kit and the example once; the module path
    is a scratch directory and the proxy is off: they need the standard library only.
    """
    if shutil.which("go") is None:
        if os.environ.get("CI"):
            pytest.fail("Go is not installed, but CI must run the Go example: .ci/run installs golang-go")
        pytest.skip("Go is not installed (Debian: apt-get install golang-go); CI runs these tests")
    env = {
        **os.environ,
        "GOPATH": str(tmp_path_factory.mktemp("gopath")),
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-buildvcs=false -mod=mod",
        "GOPROXY": "off",
    }
    if not env.get("GOCACHE"):
        found = subprocess.run(["go", "env", "GOCACHE"], env=env, capture_output=True, text=True, timeout=BOUND)
        cache = found.stdout.strip()
        env["GOCACHE"] = (
            cache if found.returncode == 0 and cache and cache != "off" else str(tmp_path_factory.mktemp("gocache"))
        )
    return env


def _go(env: dict[str, str], where: Path, *args: str) -> str:
    done = subprocess.run(["go", *args], cwd=where, env=env, capture_output=True, text=True, timeout=BOUND)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _get_source_digest(env: dict[str, str]) -> str:
    """Return a digest of the example's and the kit's sources and of the Go release that builds them."""
    digest = hashlib.sha256(_go(env, EXAMPLE, "version").encode())
    for path in sorted([*KIT.rglob("*"), *EXAMPLE.rglob("*")]):
        if path.is_file() and path.suffix in (".go", ".mod", ".sum"):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def go_binary(go_env: dict[str, str]) -> Path:
    """Return examples/go built (with the kit, from this checkout, no network) and vetted.

    One build serves every xdist worker and every tox env of a CI run: the binary is kept under
    the temporary directory by the digest of its sources, built under a file lock by whichever
    process comes first, and moved into place whole.
    """
    folder = Path(tempfile.gettempdir()) / f"dialcheck-go-{os.getuid()}" / _get_source_digest(go_env)
    folder.mkdir(parents=True, exist_ok=True)
    binary = folder / "dialstate"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.is_file():
            partial = folder / f"dialstate.{os.getpid()}"
            _go(go_env, EXAMPLE, "vet", ".")
            _go(go_env, EXAMPLE, "build", "-o", str(partial), ".")
            os.replace(partial, binary)
    return binary


def test_the_go_kit_is_vetted_and_its_own_tests_pass(go_env: dict[str, str]) -> None:
    _go(go_env, KIT, "vet", "./...")
    assert "ok" in _go(go_env, KIT, "test", "-count=1", "./...")


def test_the_go_kit_and_the_example_need_only_the_standard_library(go_env: dict[str, str]) -> None:
    for where, own in ((KIT, {"dialcheck/gokit"}), (EXAMPLE, {"dialcheck.example/dialstate", "dialcheck/gokit"})):
        imported = _go(go_env, where, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
        assert set(imported.split()) == own, f"{where} imports more than the standard library: {imported}"


@pytest.mark.parametrize("width", ["0", "32", "64"])
def test_the_go_example_passes_every_vector_of_the_corpus(
    go_binary: Path, width: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--cmd", f"{go_binary} -id-bytes {width}", str(CORPUS_DIR)]) == 0
    # The dialScheduler family holds 32-byte IDs (geth's enode.ID): a 64-byte program skips its walks.
    skipped = len(list((CORPUS_DIR / "scheduler").rglob("*.json"))) if width == "64" else 0
    out = capsys.readouterr().out
    assert f" 0 failed, {skipped} skipped" in out
    assert out.count("the dialScheduler family holds 32-byte node IDs") == skipped


def test_the_go_example_scheduling_only_with_32_byte_ids_replays_the_corpus_with_every_skip_explained(
    go_binary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--cmd", f"{go_binary} -id-bytes 32 -no-execute", str(CORPUS_DIR)]) == 0
    out = capsys.readouterr().out
    skips = [line for line in out.splitlines() if line.startswith("SKIP")]
    assert skips and " 0 failed" in out
    assert all("no execute capability (AD-5: it is optional)" in line for line in skips)
    assert main(["replay", "--skips-fail", "--cmd", f"{go_binary} -no-execute", str(CORPUS_DIR)]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "profile",
    [
        "geth-1.7",
        "geth-1.8",
        "geth-1.9",
        "geth-1.9.7",
        "geth-1.9.11",
        "geth-1.9.14",
        "geth-1.15",
        "geth-1.17.2",
        "geth-1.17.8",
    ],
)
@pytest.mark.parametrize("level", ["strict", "invariants"])
def test_a_run_of_the_go_example_over_the_wire_is_conformant_at_every_profile_and_level(
    go_binary: Path, level: str, profile: str, size: list[str], tmp_path: Path
) -> None:
    args = ["run", "--cmd", str(go_binary), "--level", level, "--profile", profile, "--hypothesis-profile", "ci"]
    done = subprocess.run(
        [sys.executable, "-m", "dialcheck.conformance", *args, *size],
        capture_output=True,
        text=True,
        timeout=BOUND,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CONFORMANT - " in done.stdout.splitlines()[-1]


@pytest.mark.slow
@pytest.mark.parametrize("level", ["strict", "invariants"])
def test_a_run_of_the_go_example_declaring_32_byte_ids_is_conformant(
    go_binary: Path, level: str, tmp_path: Path
) -> None:
    args = ["run", "--cmd", f"{go_binary} -id-bytes 32", "--level", level, "--examples", "150"]
    assert main([*args, "--hypothesis-profile", "ci", "--save-failures", str(tmp_path)]) == 0


@pytest.mark.thorough
@pytest.mark.parametrize("level", ["strict", "invariants"])
def test_the_default_run_of_dialcheck_serve_over_the_wire_is_conformant(level: str, tmp_path: Path) -> None:
    # The fast suite runs the same served reference at both levels in short runs (test_wire_robustness.py).
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


def _get_go_quick_start() -> list[str]:
    """Return the commands of the README's Go quick start."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("**In Go**") :].split("```")[1]
    return [line for line in block.strip().splitlines()]


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_the_readme_starts_a_go_user_on_the_kit_in_three_commands(
    go_env: dict[str, str], size: list[str], tmp_path: Path
) -> None:
    commands = _get_go_quick_start()
    assert len(commands) == 3 and commands[0] == "python -m pip install ."
    assert commands[2].startswith("dialcheck run --cmd ./dialstate && ")
    for folder in ("examples", "gokit", "conformance/corpus"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    dialcheck = f"{shlex.quote(sys.executable)} -m dialcheck.conformance"
    env = {**go_env, "CI": "1"}
    for command in commands[1:]:  # the package is installed already
        command = command.replace(
            "dialcheck run --cmd ./dialstate", " ".join(["dialcheck run --cmd ./dialstate", *size])
        )
        done = subprocess.run(
            command.replace("dialcheck ", f"{dialcheck} "),
            shell=True,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=BOUND,
        )
        assert done.returncode == 0, command + "\n" + done.stdout[-3000:] + done.stderr[-3000:]
    assert "CONFORMANT - " in done.stdout and " 0 failed, 0 skipped" in done.stdout


def _get_go_bugs() -> list[str]:
    """Return the names of the Go example's seeded bugs (examples/go/bugs.go)."""
    import re

    text = (EXAMPLE / "bugs.go").read_text(encoding="utf-8")
    return re.findall(r'^\t"([a-z0-9.-]+)": ', text, re.MULTILINE)


def test_the_go_example_has_a_dozen_seeded_bugs_and_refuses_an_unknown_one(go_binary: Path) -> None:
    assert len(_get_go_bugs()) >= 12
    done = subprocess.run([str(go_binary), "-bug", "no-such-bug"], capture_output=True, text=True, timeout=BOUND)
    assert done.returncode == 2 and "unknown bug" in done.stderr


@pytest.mark.parametrize("bug", _get_go_bugs())
def test_every_seeded_go_bug_fails_at_least_one_vector_of_the_corpus(
    go_binary: Path, bug: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--cmd", f"{go_binary} -bug {bug}", str(CORPUS_DIR)]) == 1
    assert "FAIL  " in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("bug", _get_go_bugs())
def test_every_seeded_go_bug_is_killed_by_the_default_run(go_binary: Path, bug: str, tmp_path: Path) -> None:
    args = ["run", "--cmd", f"{go_binary} -bug {bug}", "--hypothesis-profile", "ci", "--save-failures", str(tmp_path)]
    profile = ["--profile", "geth-1.8"] if bug.endswith("-1.8") else []
    assert main([*args, *profile]) == 1


@pytest.mark.thorough
@pytest.mark.parametrize("preset", ["tiny", "zoo"])
@pytest.mark.parametrize("profile", list(Profile), ids=lambda p: p.value)
def test_the_go_example_is_certified_in_every_exhaustive_preset_over_the_wire(
    go_binary: Path, profile: Profile, preset: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["check", "--exhaustive", "--cmd", str(go_binary), "--profile", profile.value, "--preset", preset]
    assert main([*args, "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert f"CONFORMANT - {go_binary}, profile {profile.value}, preset {preset}" in out


@pytest.mark.slow
@pytest.mark.parametrize("bug", _get_go_bugs())
def test_every_seeded_go_bug_is_killed_by_the_exhaustive_zoo_preset(go_binary: Path, bug: str, tmp_path: Path) -> None:
    args = ["check", "--exhaustive", "--cmd", f"{go_binary} -bug {bug}", "--save-failures", str(tmp_path)]
    profile = ["--profile", "geth-1.8"] if bug.endswith("-1.8") else []
    assert main([*args, *profile]) == 1
    [trace] = list(tmp_path.glob("*.json"))
    assert main(["replay", "--cmd", f"{go_binary} -bug {bug}", str(trace)]) == 1
