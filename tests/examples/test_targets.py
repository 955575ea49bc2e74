"""docs/targets.md: the real implementations judged, their counterexamples kept as dialcheck traces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dialcheck.conformance.replay import replay_trace
from dialcheck.conformance.trace import load_trace
from dialcheck.conformance.waivers import load_waivers
from dialcheck.reference.dialstate import create_dialstate

DOCS = Path(__file__).resolve().parents[2] / "docs"
TRACES = sorted((DOCS / "targets").rglob("*.json"))


def test_the_report_covers_at_least_six_repositories_besides_go_ethereum() -> None:
    text = (DOCS / "targets.md").read_text(encoding="utf-8")
    table = text[text.index("## Verdicts") : text.index("## Why each")]
    repositories = set(re.findall(r"^\| ([\w-]+/[\w.-]+) \|", table, re.MULTILINE))
    assert "ethereum/go-ethereum" in repositories and len(repositories - {"ethereum/go-ethereum"}) >= 6


def test_every_trace_the_report_links_is_there() -> None:
    text = (DOCS / "targets.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\((targets/[^)]+\.json)\)", text)
    assert linked and all((DOCS / link).is_file() for link in linked)


@pytest.mark.parametrize("path", TRACES, ids=[f"{p.parent.name}/{p.name}" for p in TRACES])
def test_every_saved_counterexample_is_a_trace_and_a_strict_one_is_geths_behaviour(path: Path) -> None:
    trace = load_trace(path)
    assert trace.steps
    if path.name.startswith("STRICT-"):
        assert replay_trace(trace, create_dialstate).passed


def test_the_waivers_used_on_klaytn_are_a_valid_waivers_file() -> None:
    (waiver,) = load_waivers(DOCS / "targets" / "klaytn-v1.12.1.waivers")
    assert waiver.check.value == "BOOTNODE_ROTATION"
