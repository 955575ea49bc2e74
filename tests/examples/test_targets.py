"""docs/targets.md: the real implementations judged, their counterexamples kept as dialcheck traces."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from dialcheck.conformance.formats.scheduler_format import SchedulerTrace, load_any_trace
from dialcheck.conformance.formats.trace import Trace
from dialcheck.conformance.harness.replay import replay_trace
from dialcheck.conformance.harness.waivers import load_waivers
from dialcheck.reference.dialstate import create_dialstate
from dialcheck.reference.scheduler import create_scheduler

DOCS = Path(__file__).resolve().parents[2] / "docs"
TRACES = sorted((DOCS / "targets").rglob("*.json")) + sorted((DOCS / "fidelity").rglob("*.json"))


def _get_era(title: str) -> str:
    """Return one era's part of docs/targets.md, from its heading to the next era's."""
    text = (DOCS / "targets.md").read_text(encoding="utf-8")
    start = text.index(f"## The {title} era")
    end = text.find("\n## ", start + 1)
    return text[start : None if end < 0 else end]


def _get_verdict_rows(era: str) -> list[list[str]]:
    table = era[era.index("### Verdicts") : era.index("### Why each")]
    rows = [line for line in table.splitlines() if re.match(r"^\| [\w-]+/[\w.-]+ ", line)]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


def test_the_dialstate_era_covers_at_least_six_repositories_besides_go_ethereum() -> None:
    repositories = {row[0] for row in _get_verdict_rows(_get_era("dialstate"))}
    assert "ethereum/go-ethereum" in repositories and len(repositories - {"ethereum/go-ethereum"}) >= 6


def test_the_dialscheduler_era_judges_at_least_eight_repositories_each_with_a_verdict_and_one_command() -> None:
    rows = _get_verdict_rows(_get_era("dialScheduler"))
    assert len({row[0] for row in rows}) >= 8
    for row in rows:
        repository, release, _, _, profile, strict, invariants, _, command = row
        assert profile in {"geth-1.9.11", "geth-1.9.14", "geth-1.15", "geth-1.17.2", "geth-1.17.8"}, row
        assert release and command.startswith("`judge.sh "), row
        for verdict in (strict, invariants):
            assert verdict == "CONFORMANT" or verdict.startswith("NOT CONFORMANT: "), row
        for waivers in re.findall(r"docs/targets/([\w.-]+\.waivers)", command):
            assert (DOCS / "targets" / waivers).is_file(), row


def test_every_fork_found_not_conformant_is_explained_with_a_linked_counterexample() -> None:
    era = _get_era("dialScheduler")
    why = era[era.index("### Why each") : era.index("### Positive controls")]
    for row in _get_verdict_rows(era):
        if row[5].startswith("NOT CONFORMANT"):
            name = row[0].split("/")[1]
            assert f"**{row[0]}" in why, name
            part = why[why.index(f"**{row[0]}") :].split("\n\n**")[0]
            assert re.search(r"\]\(targets/[^)]+\.json\)", part), name


def test_the_judging_script_prints_its_usage_and_exits_2_without_an_argument() -> None:
    done = subprocess.run(["bash", str(DOCS / "targets" / "judge.sh")], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "docs/targets/judge.sh ~/src/" in done.stderr


@pytest.mark.parametrize(("report", "folder"), [("targets.md", "targets"), ("fidelity.md", "fidelity")])
def test_every_trace_a_report_links_is_there(report: str, folder: str) -> None:
    text = (DOCS / report).read_text(encoding="utf-8")
    linked = re.findall(rf"\]\(({folder}/[^)]+\.json)\)", text)
    assert linked and all((DOCS / link).is_file() for link in linked)


def test_the_fidelity_report_holds_every_tag_to_every_profile_and_each_is_conformant_only_at_its_own() -> None:
    text = (DOCS / "fidelity.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if re.match(r"^\| v1\.\d+\.\d+ \| geth-", line)]
    tags = {row.split(" | ")[0].lstrip("| ") for row in rows}
    assert {"v1.7.3", "v1.8.16", "v1.8.27", "v1.9.6", "v1.9.10"} <= tags
    assert {"v1.9.11", "v1.9.14", "v1.14.13", "v1.15.0", "v1.17.1", "v1.17.2", "v1.17.5"} <= tags
    assert {f"v1.17.{patch}" for patch in range(5, 11)} <= tags  # every release up to the newest checked
    for row in rows:
        assert row.count("**CONFORMANT**") == 1, row
        # geth-1.15 adds behaviour for DNS names, which nodes under geth-1.9.14 do not have (fidelity.md).
        own = row.split(" | ")[1]
        columns = len(row.strip("|").split(" | ")) - 6  # the profiles the row holds the tag to, its own aside
        assert row.count("[STRICT,") == columns - (1 if own == "geth-1.15" else 0), row


@pytest.mark.parametrize("path", TRACES, ids=[f"{p.parent.name}/{p.name}" for p in TRACES])
def test_every_saved_counterexample_is_a_trace_and_a_strict_one_is_geths_behaviour(path: Path) -> None:
    trace = load_any_trace(path)
    assert trace.steps
    if path.name.startswith("STRICT-") and isinstance(trace, SchedulerTrace):
        assert replay_trace(trace, create_scheduler).passed
    elif path.name.startswith("STRICT-"):
        assert isinstance(trace, Trace) and replay_trace(trace, create_dialstate).passed


WAIVERS = sorted((DOCS / "targets").glob("*.waivers"))


@pytest.mark.parametrize("path", WAIVERS, ids=[p.name for p in WAIVERS])
def test_every_waivers_file_of_the_report_is_valid_and_gives_a_reason(path: Path) -> None:
    waivers = load_waivers(path)
    assert waivers and all(w.reason for w in waivers)


def test_the_waivers_used_on_klaytn_waive_its_missing_bootnode_fallback() -> None:
    (waiver,) = load_waivers(DOCS / "targets" / "klaytn-v1.12.1.waivers")
    assert waiver.check.value == "BOOTNODE_ROTATION"
