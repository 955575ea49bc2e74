"""The dialcheck command line: exit codes, --impl loading and implementation failures."""

from __future__ import annotations

import importlib.util
import itertools
import json
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from support import TRACES

from dialcheck.conformance.cli import COMMANDS, main

_COUNTER = itertools.count()
STATIC_TRACE = TRACES / "static-redial.json"


@pytest.fixture
def write_impl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> "ImplWriter":
    monkeypatch.chdir(tmp_path)
    return ImplWriter(tmp_path)


class ImplWriter:
    """Writes a uniquely named implementation module into the working directory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self, source: str) -> str:
        name = f"dialcheck_test_impl_{next(_COUNTER)}"
        (self.folder / f"{name}.py").write_text(textwrap.dedent(source))
        return name


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.out, captured.err


REFERENCE_WRAPPER = """
    from dialcheck.reference.dialstate import Dialstate

    class Broken(Dialstate):
        {body}

    def create(config, profile):
        return Broken(config, profile)
"""


@pytest.mark.parametrize(
    ("impl", "message"),
    [
        ("nocolon", "not of the form MODULE:FACTORY"),
        (":create", "not of the form MODULE:FACTORY"),
        ("dialcheck_no_such_module:create", "cannot be found"),
        ("dialcheck.reference.dialstate:no_such_factory", "has no attribute 'no_such_factory'"),
        ("dialcheck.reference.dialstate:__all__", "not callable"),
    ],
)
def test_a_bad_impl_spec_exits_2_saying_what_to_fix(
    impl: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["replay", "--impl", impl, str(STATIC_TRACE)], capsys)
    assert code == 2 and message in err and out == ""


def test_a_module_that_fails_to_import_exits_2(write_impl: ImplWriter, capsys: pytest.CaptureFixture[str]) -> None:
    name = write_impl("raise RuntimeError('boom at import')\n")
    code, _, err = _run(["replay", "--impl", f"{name}:create", str(STATIC_TRACE)], capsys)
    assert code == 2 and "RuntimeError: boom at import" in err


def test_a_factory_returning_a_non_dialstate_exits_2_AD_2(
    write_impl: ImplWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    name = write_impl("def create(config, profile):\n    return object()\n")
    code, _, err = _run(["replay", "--impl", f"{name}:create", str(STATIC_TRACE)], capsys)
    assert code == 2 and "without the method(s) new_tasks, task_done, add_static, remove_static" in err


def test_an_impl_in_the_working_directory_is_importable_and_can_pass(
    write_impl: ImplWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    name = write_impl(REFERENCE_WRAPPER.format(body="pass"))
    code, out, _ = _run(["replay", "--impl", f"{name}:create", str(STATIC_TRACE)], capsys)
    assert code == 0 and "PASS  static-redial" in out


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            "def new_tasks(self, running, peers, now, table):\n            raise KeyError('kaput')",
            "step 1 ($.steps[0])",
        ),
        (
            "def new_tasks(self, running, peers, now, table):\n            return ['dial n1']",
            "which is not a spec.model task",
        ),
        (
            "def new_tasks(self, running, peers, now, table):\n            return 7",
            "new_tasks returned 7, not a sequence of tasks",
        ),
        (
            "def task_done(self, task, now, results):\n            raise ValueError('no')",
            "raised ValueError in task_done: no",
        ),
        (
            "def new_tasks(self, running, peers, now, table):\n            return []",
            "answer differs: missing [dial static n1@10.0.0.1:30303, dial static n2@10.0.0.2:30303]",
        ),
    ],
)
def test_an_implementation_failure_is_a_verdict_naming_the_step_AD_4(
    body: str, reason: str, write_impl: ImplWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    name = write_impl(REFERENCE_WRAPPER.format(body=body))
    code, out, _ = _run(["replay", "--impl", f"{name}:create", str(STATIC_TRACE)], capsys)
    assert code == 1
    assert "FAIL  static-redial" in out and reason in out


def test_a_factory_that_raises_fails_at_construction(
    write_impl: ImplWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    name = write_impl("def create(config, profile):\n    raise RuntimeError('no config for you')\n")
    code, out, _ = _run(["replay", "--impl", f"{name}:create", str(STATIC_TRACE)], capsys)
    assert code == 1 and "at construction: IMPLEMENTATION_ERROR: the factory raised RuntimeError" in out


def test_a_task_never_returned_cannot_be_done_AD_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(STATIC_TRACE.read_text())
    document["steps"].insert(1, {"op": "task_done", "now": 1, "task": {"type": "discover"}})
    path = tmp_path / "t.json"
    path.write_text(json.dumps(document))
    code, out, _ = _run(["replay", str(path)], capsys)
    assert code == 1 and "step 2 ($.steps[1])" in out and "no outstanding discover" in out


def test_profile_override_replays_under_the_other_profile(capsys: pytest.CaptureFixture[str]) -> None:
    path = TRACES / "static-remove-history-1.7.json"
    code, out, _ = _run(["replay", "--profile", "geth-1.8", str(path)], capsys)
    assert code == 1 and "profile geth-1.8" in out and "step 5 ($.steps[4])" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "the following arguments are required"),
        (["frobnicate"], "invalid choice"),
        (["replay"], "the following arguments are required: PATH"),
        (["replay", "--profile", "geth-2.0", "x.json"], "invalid choice"),
        (["replay", "does-not-exist.json"], "does-not-exist.json: no such file or directory"),
    ],
)
def test_a_wrong_command_line_exits_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(args, capsys)
    assert code == 2 and message in err


def test_an_empty_selection_exits_2_with_no_traces_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("not a trace")
    code, _, err = _run(["replay", str(tmp_path)], capsys)
    assert code == 2 and "no traces found" in err


def test_python_dash_m_conformance_runs_the_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dialcheck.conformance", "replay", str(TRACES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "0 failed" in proc.stdout


def test_the_installed_console_script_replays_the_bundled_traces() -> None:
    script = Path(sysconfig.get_path("scripts")) / "dialcheck"
    if not script.exists():
        pytest.skip("dialcheck is not installed in this interpreter (tox installs it)")
    proc = subprocess.run([str(script), "replay", str(TRACES)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    bad = subprocess.run([str(script), "replay", "--impl", "x"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_task_done_receives_the_very_object_new_tasks_returned_AD_3(
    write_impl: ImplWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    body = """def new_tasks(self, running, peers, now, table):
            tasks = super().new_tasks(running, peers, now, table)
            self.__dict__.setdefault("returned", []).extend(tasks)
            return tasks

        def task_done(self, task, now, results):
            assert any(task is t for t in self.returned), "task_done got a copy"
            super().task_done(task, now, results)"""
    name = write_impl(REFERENCE_WRAPPER.format(body=body))
    code, out, _ = _run(["replay", "--impl", f"{name}:create", str(TRACES)], capsys)
    assert code == 0, out


def test_output_into_a_closed_pipe_ends_quietly_without_a_traceback() -> None:
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    writer = subprocess.run(
        [
            sys.executable,
            "-m",
            "dialcheck.conformance",
            "replay",
            "--impl",
            "dialcheck.conformance.zoo:dials_self",
            *[str(TRACES)] * 40,
        ],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    assert reader.stdin is not None
    reader.stdin.close()
    reader.wait()
    assert "Traceback" not in writer.stderr and writer.returncode in (0, 1)


def test_serve_refuses_a_factory_that_cannot_make_a_dialstate(
    write_impl: ImplWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    name = write_impl("def create(config, profile):\n    raise RuntimeError('no database')\n")
    code, out, err = _run(["serve", "--impl", f"{name}:create"], capsys)
    assert code == 2 and "the factory raised RuntimeError: no database" in err and out == ""


def test_serve_advertises_execute_only_when_the_served_implementation_can(
    write_impl: ImplWriter, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    name = write_impl(
        "from reference.dialstate import Dialstate\n"
        "class Plain:\n"
        "    def __init__(self, config, profile):\n"
        "        self.inner = Dialstate(config, profile)\n"
        "    def new_tasks(self, *a): return self.inner.new_tasks(*a)\n"
        "    def task_done(self, *a): return self.inner.task_done(*a)\n"
        "    def add_static(self, n): return self.inner.add_static(n)\n"
        "    def remove_static(self, n): return self.inner.remove_static(n)\n"
    )
    for impl, advertised in ((f"{name}:Plain", False), ("dialcheck.reference.dialstate:create_dialstate", True)):
        stdin = io.TextIOWrapper(io.BytesIO(b'{"op":"hello","protocol":1}\n'))
        monkeypatch.setattr("sys.stdin", stdin)
        assert main(["serve", "--impl", impl]) == 0
        answer = json.loads(capsys.readouterr().out)
        assert ("extensions" in answer and answer["extensions"] == ["execute"]) is advertised


def test_an_old_module_spelling_still_loads_and_names_the_new_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(Path(__file__).parents[2]))])
    code, out, err = _run(["replay", "--impl", "conformance.zoo:dials_self", str(STATIC_TRACE)], capsys)
    assert "--impl conformance.zoo:dials_self is now spelled --impl dialcheck.conformance.zoo:dials_self" in err
    assert code == 0 and "PASS" in out


def test_the_packages_install_under_the_dialcheck_namespace_only(tmp_path: Path) -> None:
    probe = "import importlib.util as u; print([u.find_spec(n) is None for n in ('spec', 'reference', 'conformance')])"
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[True, True, True]"
    assert importlib.util.find_spec("dialcheck.conformance.cli") is not None


@pytest.mark.parametrize("command", [["replay", str(STATIC_TRACE)], ["serve"]])
def test_serve_and_replay_start_without_hypothesis_or_the_zoo(command: list[str]) -> None:
    probe = (
        "import sys; from dialcheck.conformance.cli import main; code = main(sys.argv[1:]); "
        "print(code, 'hypothesis' in sys.modules, 'dialcheck.conformance.zoo' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *command], input="", capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stderr.strip().splitlines()[-1] == "0 False False"


#: What ``dialcheck serve`` must not load: the run, the search, the zoo, Hypothesis, the wire client's process
#: machinery and importlib.metadata. Measured from an installed wheel: 145 to 147 modules in all on Python 3.10
#: to 3.12 (the bare interpreter's 33 included), 35 of them dialcheck's; 215 when the command line imported
#: every subcommand.
SERVE_NEVER_LOADS = (
    "hypothesis",
    "dialcheck.conformance.zoo",
    "dialcheck.conformance.runs.runner",
    "dialcheck.conformance.runs.machine",
    "dialcheck.conformance.runs.exhaustive",
    "dialcheck.conformance.runs.explore",
    "dialcheck.conformance.runs.vectors",
    "dialcheck.conformance.drivers.wire_adapter",
    "subprocess",
    "importlib.metadata",
)


def test_serve_loads_only_what_answering_needs() -> None:
    probe = (
        "import io, sys; from dialcheck.conformance.cli import main; "
        "sys.stdin = io.TextIOWrapper(io.BytesIO(b'')); code = main(['serve']); "
        "print(code, len(sys.modules)); print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    first, names = done.stdout.splitlines()[-2:]
    code, count = map(int, first.split())
    loaded = set(names.split())
    assert code == 0 and count <= 175, count  # an editable install's import hook adds some 35 at start-up
    assert len([m for m in loaded if m.startswith("dialcheck")]) <= 40
    assert not loaded & set(SERVE_NEVER_LOADS), loaded & set(SERVE_NEVER_LOADS)


def test_only_the_subcommand_run_is_imported_and_help_lists_every_one() -> None:
    probe = (
        "import sys; from dialcheck.conformance.cli import main; main(['profiles']); "
        "print(sorted(m for m in sys.modules if m.startswith('dialcheck.conformance.cli.')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.splitlines()[-1] == "['dialcheck.conformance.cli.common', 'dialcheck.conformance.cli.profiles']"
    helped = subprocess.run(
        [sys.executable, "-m", "dialcheck.conformance", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert all(f"    {name}" in helped.stdout for name in COMMANDS)


def test_the_version_hello_answers_is_the_installed_packages() -> None:
    import importlib.metadata

    from dialcheck.conformance.cli.common import get_version

    assert get_version() == importlib.metadata.version("dialcheck")


def test_profiles_lists_every_profile_of_both_families_with_its_releases(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "newest checked: v1.17.10" in lines[0]
    assert lines[1].split()[:2] == ["geth-1.7", "dialstate"] and lines[1].endswith("v1.6.0 - v1.7.3, v1.8.0 - v1.8.1")
    assert lines[-2].split() == ["geth-1.17.2", "dialScheduler", "v1.17.2", "-", "v1.17.7"]
    assert lines[-1].split() == ["geth-1.17.8", "dialScheduler", "v1.17.8", "-", "v1.17.10"]
    assert len(lines) == 1 + 9


@pytest.mark.parametrize(
    ("version", "code", "says"),
    [
        ("v1.16.3", 0, "v1.16.3: geth-1.15 (dialScheduler family, v1.15.0 - v1.17.1)"),
        ("v1.9.10", 0, "v1.9.10: geth-1.9.7 (dialstate family, v1.9.7 - v1.9.10)"),
        ("v1.17.10", 0, "v1.17.10: geth-1.17.8 (dialScheduler family, v1.17.8 - v1.17.10)"),
        ("v1.17.11", 1, "v1.17.11: no profile: it is newer than v1.17.10"),
        ("v0.9.0", 1, "v0.9.0: no profile: no profile claims it"),
    ],
)
def test_profiles_says_which_profile_a_release_belongs_to_and_names_an_unchecked_one(
    version: str, code: int, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profiles", version]) == code
    assert capsys.readouterr().out.startswith(says)


def test_profiles_refuses_a_malformed_version_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "latest"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("dialcheck profiles: 'latest' is not a geth version")
    assert len(captured.err.strip().splitlines()) == 1
