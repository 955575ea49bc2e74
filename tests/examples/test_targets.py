"""docs/targets.md: the real implementations judged, their counterexamples kept as dialcheck traces."""

from __future__ import annotations

import re
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


def test_the_report_covers_at_least_six_repositories_besides_go_ethereum() -> None:
    text = (DOCS / "targets.md").read_text(encoding="utf-8")
    table = text[text.index("## Verdicts") : text.index("## Why each")]
    repositories = set(re.findall(r"^\| ([\w-]+/[\w.-]+) \|", table, re.MULTILINE))
    assert "ethereum/go-ethereum" in repositories and len(repositories - {"ethereum/go-ethereum"}) >= 6


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


def test_the_waivers_used_on_klaytn_are_a_valid_waivers_file() -> None:
    (waiver,) = load_waivers(DOCS / "targets" / "klaytn-v1.12.1.waivers")
    assert waiver.check.value == "BOOTNODE_ROTATION"
