"""``dialcheck run``: verdicts, reports, saved traces, JSON and JUnit output, bad input."""

from __future__ import annotations

import importlib
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from support import ROOT

from dialcheck.conformance.cli import main
from dialcheck.conformance.harness.family import FAMILIES, Family
from dialcheck.conformance.harness.loader import load_factory
from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.runs.options import RunOptions
from dialcheck.conformance.runs.runner import _without_local_constants, run_conformance
from dialcheck.reference.dialstate import create_dialstate
from dialcheck.spec.model import Profile
from dialcheck.spec.verdicts import Verdict

MEMBER = "dialcheck.conformance.zoo:fallback_at_exactly_20s"

QUICK = ["--examples", "25", "--steps", "40", "--hypothesis-profile", "ci", "--opening", "0"]


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["run", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


@pytest.mark.parametrize("profile", ["geth-1.7", "geth-1.8"])
@pytest.mark.parametrize("level", ["strict", "invariants"])
def test_the_reference_is_conformant_and_the_verdict_is_the_last_line(
    profile: str, level: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run([*QUICK, "--profile", profile, "--level", level, "--save-failures", str(tmp_path)], capsys)
    assert code == 0
    last = out.strip().splitlines()[-1]
    assert last.startswith("dialcheck run: CONFORMANT - dialcheck.reference.dialstate:create_dialstate")
    assert f"profile {profile}, level {level}" in last and "examples" in last and "steps" in last
    assert list(tmp_path.iterdir()) == []


def test_a_failure_prints_the_check_the_counterexample_and_saves_a_replayable_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "failures"
    report_json = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"
    code, out, _ = _run(
        [
            "--impl",
            "dialcheck.conformance.zoo:dials_self",
            "--level",
            "invariants",
            "--hypothesis-profile",
            "ci",
            "--save-failures",
            str(saved),
            "--json",
            str(report_json),
            "--junit",
            str(junit),
        ],
        capsys,
    )
    assert code == 1
    assert out.startswith("FAILED NEVER_SELF\n  our own node is dialed")
    assert "counterexample (" in out and "<== NEVER_SELF" in out and "  config: self n" in out
    assert (
        out.strip()
        .splitlines()[-1]
        .startswith("dialcheck run: NOT CONFORMANT (NEVER_SELF) - dialcheck.conformance.zoo:dials_self")
    )
    [trace] = list(saved.glob("NEVER_SELF-geth-1.7-invariants-*.json"))
    document = json.loads(report_json.read_text())
    assert document["verdict"] == "not conformant" and document["failure"]["check"] == "NEVER_SELF"
    assert document["failure"]["saved"] == str(trace)
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "1" and suite.find("testcase/failure") is not None
    steps = len(json.loads(trace.read_text())["steps"])
    assert main(["replay", "--impl", "dialcheck.conformance.zoo:dials_self", str(trace)]) == 1
    replayed = capsys.readouterr().out
    assert f"step {steps} ($.steps[{steps - 1}])" in replayed and "NEVER_SELF: our own node is dialed" in replayed
    # The saved expectations are what the bug answered; the reference disagrees with them.
    assert main(["replay", str(trace)]) == 1


def test_json_and_junit_record_a_conformant_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = _run([*QUICK, "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "j.xml")], capsys)
    assert code == 0
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["verdict"] == "conformant" and document["failure"] is None and document["steps"] > 0
    assert ET.parse(tmp_path / "j.xml").getroot().get("failures") == "0"


def test_stats_lists_every_situation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([*QUICK, "--stats"], capsys)
    assert code == 0
    assert "situations reached" in out and "fallback fired" in out and "wait emitted" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cmd", "no-such-program-dialcheck"], "WIRE_CANNOT_START"),
        (["--cmd", "'unbalanced"], "cannot be split into words"),
        (["--cmd", ""], "--cmd is empty"),
        (["--timeout", "0"], "above 0"),
        (["--impl", "nocolon"], "MODULE:FACTORY"),
        (["--examples", "0"], "at least 1"),
        (["--steps", "x"], "whole number"),
        (["--level", "lenient"], "invalid choice"),
        (["--impl", "a:b", "--cmd", "c"], "not allowed with argument"),
    ],
)
def test_bad_run_arguments_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(args, capsys)
    assert code == 2 and message in err and out == ""


def test_a_seed_makes_the_run_repeatable() -> None:
    def run_once() -> int:
        report = run_conformance(
            RunOptions(
                create_dialstate,
                "reference",
                Profile.GETH_1_7,
                examples=15,
                steps=30,
                seed=1234,
                hypothesis_profile="default",
                database_root=Path("/nonexistent-unused"),
            )
        )
        return report.steps

    assert run_once() == run_once()


def test_an_unwritable_report_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([*QUICK, "--json", str(tmp_path / "missing-dir" / "r.json")], capsys)
    assert code == 2 and "cannot write" in err


def test_the_run_progress_says_examples_of_the_total_and_steps() -> None:
    import io

    from dialcheck.conformance.cli.progress import ProgressLine
    from dialcheck.conformance.cli.run import _make_progress
    from dialcheck.conformance.runs.machine import RunContext

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    show = _make_progress(ProgressLine("dialcheck run", stream), 10)
    context = RunContext(create_dialstate, Profile.GETH_1_7, Level.STRICT)
    show(context, 0.0)
    show(context, 0.1)  # within half a second: not rewritten
    assert stream.getvalue().count("dialcheck run: 0 of 10 examples, 0 steps; 0 s so far") == 1


@pytest.mark.parametrize("member", ["dials_self", "sched_slots_not_doubled"])  # one of each family
def test_mutants_prints_the_kill_matrix_for_chosen_members(
    member: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = tmp_path / "m.json"
    code = main(["mutants", "--member", member, "--hypothesis-profile", "ci", "--json", str(out_json)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].startswith("member") and member in out and "killed" in out
    assert (
        out.strip()
        .splitlines()[-1]
        .startswith("dialcheck mutants (strict): 1 of 1 members killed; time to first failure")
    )
    [row] = json.loads(out_json.read_text())
    assert row["killed"] and row["check"] == "STRICT" and row["counterexample_steps"] >= 1


def test_mutants_refuses_an_unknown_member(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mutants", "--member", "no_such_bug"]) == 2
    assert "no zoo member called no_such_bug" in capsys.readouterr().err


class _WithoutExecute:
    """The reference behind the four contract methods only: no execute capability."""

    def __init__(self, config: object, profile: Profile) -> None:
        from dialcheck.reference.dialstate import Dialstate

        inner = Dialstate(config, profile)  # type: ignore[arg-type]
        self.new_tasks = inner.new_tasks
        self.task_done = inner.task_done
        self.add_static = inner.add_static
        self.remove_static = inner.remove_static


def test_an_implementation_without_execute_still_runs_and_the_verdict_says_so_AD_5() -> None:
    from dialcheck.conformance.reports.report import format_verdict

    report = run_conformance(
        RunOptions(factory=_WithoutExecute, origin="x", examples=30, hypothesis_profile="ci", opening=0)
    )
    assert report.conformant and report.execution_skipped and report.executions == 0
    assert "execution checks NOT run: the implementation has no execute capability" in format_verdict(report)
    with_execution = run_conformance(
        RunOptions(factory=create_dialstate, origin="r", examples=30, hypothesis_profile="ci", opening=0)
    )
    assert with_execution.executions > 0 and not with_execution.execution_skipped
    assert f"{with_execution.executions:,} task executions" in format_verdict(with_execution)


def test_a_trace_with_execute_steps_fails_an_implementation_without_the_capability() -> None:
    from support import TRACES

    from dialcheck.conformance.formats.trace import load_trace
    from dialcheck.conformance.harness.replay import replay_trace

    result = replay_trace(load_trace(TRACES / "execution-lookup-wait.json"), _WithoutExecute)
    assert result.failure is not None and result.failure.verdict == "EXECUTION_UNSUPPORTED"


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name.value)
def test_a_derandomized_run_starts_from_its_familys_seed_whatever_dialcheck_s_code_looks_like(family: Family) -> None:
    factory = load_factory(family.reference_spec)
    reports = [
        run_conformance(
            RunOptions(
                factory,
                "t",
                family.default_profile,
                examples=15,
                steps=30,
                hypothesis_profile="ci",
                seed=seed,
                opening=0,
            )
        )
        for seed in (None, family.ci_seed, family.ci_seed + 1)
    ]
    assert reports[0].steps == reports[1].steps and reports[0].situations == reports[1].situations
    assert reports[1].steps != reports[2].steps  # another seed, other examples


def test_a_derandomized_run_draws_the_same_examples_whatever_local_modules_the_process_has_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Hypothesis mixes the literals of "local" modules (outside site-packages) into its draws. Loading the
    # benchmarks, as a test of them does, once made a later run in the same process miss this member.
    def run() -> tuple[object, ...]:
        options = RunOptions(load_factory(MEMBER), "t", Profile.GETH_1_7, Level.INVARIANTS, examples=300, opening=0)
        report = run_conformance(replace(options, hypothesis_profile="ci"))
        return report.steps, report.situations, report.failure and report.failure.check

    before = run()
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    for name in ("bench_new_tasks", "bench_machine", "bench_exhaustive", "bench_verdicts"):
        importlib.import_module(name)
    assert run() == before and before[2] is Verdict.BOOTNODE_ROTATION


def test_hypothesis_sees_no_local_constants_during_a_run_and_its_own_after() -> None:
    from hypothesis.internal.conjecture import providers

    original = providers._get_local_constants
    with _without_local_constants():
        assert len(providers._get_local_constants()) == 0
    assert providers._get_local_constants is original


def test_a_scheduler_run_refuses_64_byte_ids_naming_the_familys_width(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", *QUICK, "--profile", "geth-1.17.2", "--id-bytes", "64"]) == 2
    assert "--id-bytes is 64, but the dialScheduler family's node IDs are geth's 32-byte" in capsys.readouterr().err


def test_replay_skips_the_traces_of_a_family_the_implementation_does_not_make(
    capsys: pytest.CaptureFixture[str],
) -> None:
    corpus = Path(__file__).resolve().parents[2] / "conformance" / "corpus"
    traces = [str(corpus / "scheduler" / "scheduler-1-000.json"), str(corpus / "explored" / "explored-1-000.json")]
    # The reference's spelling stands for the reference of each trace's family.
    assert main(["replay", "--impl", "dialcheck.reference.dialstate:create_dialstate", *traces]) == 0
    assert "2 passed, 0 failed, 0 skipped" in capsys.readouterr().out
    assert main(["replay", "--impl", "dialcheck.conformance.zoo:dials_self", *traces]) == 0
    out = capsys.readouterr().out
    assert "SKIP  scheduler-1-000" in out and "makes dialstate implementations (its factory raised" in out
    assert main(["replay", "--impl", "dialcheck.conformance.zoo:dials_self", "--skips-fail", *traces]) == 1
