"""``--html FILE``: one self-contained page per command, each counterexample with its timeline and requirement."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import assert_self_contained, parse_page

from dialcheck.conformance.cli import main
from dialcheck.conformance.formats.trace import NewTasksStep, Trace
from dialcheck.conformance.harness.replay import get_reference_expectation
from dialcheck.conformance.reports.counterexample import get_requirement
from dialcheck.spec.model import SECOND, Config, DiscoverTask, Node, Profile
from dialcheck.spec.verdicts import Verdict


def test_a_run_page_shows_the_verdict_the_requirement_the_timeline_and_the_steps(tmp_path: Path) -> None:
    html = tmp_path / "run.html"
    member = "dialcheck.conformance.zoo:rotation_stalls_on_rejection"
    code = main(["run", "--impl", member, "--level", "invariants", "--html", str(html), "--examples", "5",
                 "--save-failures", str(tmp_path / "f")])  # fmt: skip
    assert code == 1
    page = parse_page(html)
    assert_self_contained(page)
    assert "verdict" in page.ids() and "counterexample" in page.ids()
    assert [q["data-requirement"] for q in page.having("blockquote", "requirement")] == ["BOOTNODE_ROTATION"]
    assert page.having("tr", "failing-step")[0]["data-step"] == "3"
    assert page.having("circle", "failing")[0]["data-step"] == "3"
    text = html.read_text(encoding="utf-8")
    assert "fallback (20 s after the first call)" in text and "dialcheck replay --impl " + member in text
    # Found at invariants level (no twin judged it), it still shows what geth would have done there.
    assert "[dial dyn n1@10.0.0.1:30303]</code>" in text
    assert [m["data-lane"] for m in page.having("circle", "expected")] == ["n1"]


def test_a_conformant_run_page_has_no_counterexample(tmp_path: Path) -> None:
    html = tmp_path / "run.html"
    assert main(["run", "--examples", "3", "--opening", "0", "--html", str(html)]) == 0
    page = parse_page(html)
    assert "verdict" in page.ids() and "counterexample" not in page.ids()
    assert 'class="verdict pass"' in html.read_text(encoding="utf-8")


def test_a_replay_page_lists_each_trace_and_draws_each_failure(tmp_path: Path) -> None:
    saved = tmp_path / "f"
    member = "dialcheck.conformance.zoo:sched_history_30s"
    assert (
        main(["run", "--impl", member, "--profile", "geth-1.15", "--examples", "1", "--save-failures", str(saved)]) == 1
    )
    html = tmp_path / "replay.html"
    assert main(["replay", "--impl", member, "--html", str(html), str(saved)]) == 1
    page = parse_page(html)
    assert_self_contained(page)
    assert len(page.having("section", "counterexample")) == 1
    text = html.read_text(encoding="utf-8")
    assert 'data-requirement="SC_HISTORY"' in text and "history: blocks through 1035s" in text
    assert re.search(r'<path class="mark got" data-step="4" [^>]*data-lane="n11"', text)


def test_a_check_page_lists_its_scopes(tmp_path: Path) -> None:
    html = tmp_path / "check.html"
    member = "dialcheck.conformance.zoo:sched_slots_ignore_dials_in_flight"
    args = ["check", "--exhaustive", "--impl", member, "--profile", "geth-1.15", "--preset", "opening/candidates"]
    assert main([*args, "--html", str(html), "--save-failures", str(tmp_path / "f")]) == 1
    page = parse_page(html)
    assert page.having("table", "scopes") and len(page.having("section", "counterexample")) == 1


def test_an_unwritable_html_path_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--examples", "1", "--opening", "0", "--html", str(tmp_path / "no" / "such" / "r.html")])
    assert code == 2 and "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("check", "family", "requirement"),
    [
        (Verdict.SC_HISTORY, "dialScheduler", "SC_HISTORY"),
        (Verdict.STRICT, "dialScheduler", "SC-CHOICE-2"),
        (Verdict.STRICT, "dialstate", "AD-2"),
        (Verdict.EX_WAIT_1, "dialstate", "EX-WAIT-1"),
        (Verdict.WIRE_HUNG, "dialstate", "WIRE-5"),
    ],
)
def test_a_check_is_quoted_with_the_requirement_it_stands_for(check: Verdict, family: str, requirement: str) -> None:
    strict = "SC-CHOICE-2" if family == "dialScheduler" else "AD-2"
    found = get_requirement(check, strict, family)
    assert found is not None and found[0] == requirement and "MUST" in found[1]


def test_the_reference_expectation_is_given_only_where_the_reference_agreed_with_every_step_before() -> None:
    node = Node("00000005", "10.0.0.5", 30303, 30303)
    agreed = (NewTasksStep(SECOND, 0, expect=(DiscoverTask(),)), NewTasksStep(2 * SECOND, 1, expect=()))
    trace = Trace("t", Profile.GETH_1_7, Config("000000ff", 1), agreed)
    assert get_reference_expectation(trace) == ()
    differs = (NewTasksStep(SECOND, 0, table=(node,), expect=()), NewTasksStep(2 * SECOND, 1, expect=()))
    assert get_reference_expectation(Trace("t", Profile.GETH_1_7, Config("000000ff", 1), differs)) is None


def test_a_scheduler_failure_below_strict_shows_the_answers_the_reference_allows(tmp_path: Path) -> None:
    html = tmp_path / "run.html"
    member = "dialcheck.conformance.zoo:sched_history_30s"
    args = ["run", "--impl", member, "--profile", "geth-1.15", "--level", "invariants", "--examples", "1"]
    assert main([*args, "--html", str(html), "--save-failures", str(tmp_path / "f")]) == 1
    text = html.read_text(encoding="utf-8")
    assert "expected (reference geth-1.15)" in text and "dials [], reading iff a slot stays free" in text
    assert 'data-requirement="SC_HISTORY"' in text
