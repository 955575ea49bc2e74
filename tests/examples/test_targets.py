"""docs/targets.md: the real implementations judged, their counterexamples kept as dialcheck traces."""

from __future__ import annotations

import os
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
    end = era.index("### Re-judged") if "### Re-judged" in era else era.index("### Why each")
    table = era[era.index("### Verdicts") : end]
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


def _get_rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if re.match(r"^\| [\w-]+/[\w.-]+ ", line)]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]


def test_the_dialstate_era_gives_a_command_for_every_tree_with_geths_layout_and_its_verdicts_agree() -> None:
    era = _get_era("dialstate")
    then = {(row[0], row[1]): row for row in _get_rows(era[era.index("### Verdicts") : era.index("### Re-judged")])}
    now = _get_rows(era[era.index("### Re-judged") : era.index("### Why each")])
    assert len(now) >= 10
    for repository, tag, *cells, command in now:
        assert command.startswith("`judge.sh "), repository
        _, _, _, own, strict, invariants, _ = then[(repository, tag)]
        at_own = cells[0:2] if own == "geth-1.7" else cells[2:4]
        other = cells[2:4] if own == "geth-1.7" else cells[0:2]
        # The same verdict at its own profile at both levels, and caught at the other one (a control) or both.
        assert [c == "CONFORMANT" for c in at_own] == [strict == "CONFORMANT", invariants == "CONFORMANT"]
        assert "CONFORMANT" not in other, (repository, tag)


def test_every_fork_found_not_conformant_is_explained_with_a_linked_counterexample() -> None:
    era = _get_era("dialScheduler")
    why = era[era.index("### Why each") : era.index("### Positive controls")]
    for row in _get_verdict_rows(era):
        if row[5].startswith("NOT CONFORMANT"):
            name = row[0].split("/")[1]
            assert f"**{row[0]}" in why, name
            part = why[why.index(f"**{row[0]}") :].split("\n\n**")[0]
            assert re.search(r"\]\(targets/[^)]+\.json\)", part), name


JUDGE = DOCS / "targets" / "judge.sh"


def test_the_judging_script_prints_its_usage_and_exits_2_without_an_argument() -> None:
    done = subprocess.run(["bash", str(JUDGE)], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "docs/targets/judge.sh ~/src/" in done.stderr


def _judge(tmp_path: Path, *argv: str) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    """Run judge.sh with a fake dialcheck on PATH that records its arguments, one call a line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "calls"
    fake = bin_dir / "dialcheck"
    fake.write_text(
        '#!/usr/bin/env bash\nprintf "%s\\0" "$@" >> "$CALLS"; echo >> "$CALLS"\n'
        'if [[ $1 == adapter ]]; then echo "dialcheck adapter: built"; echo "env DIALCHECK=1 ./p2p.test"; fi\n'
    )
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(log)}
    done = subprocess.run(
        ["bash", str(JUDGE), *argv], capture_output=True, text=True, check=False, env=env, cwd=tmp_path
    )
    lines = log.read_text().splitlines() if log.exists() else []
    return done, [line.rstrip("\0").split("\0") for line in lines if line]


def test_the_judging_script_builds_a_checkout_with_every_profile_then_runs_the_derandomized_matrix(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "celo-blockchain"
    tree.mkdir()
    waivers = DOCS / "targets" / "celo-v1.8.9.waivers"
    done, calls = _judge(tmp_path, str(tree), str(waivers))
    assert done.returncode == 0, done.stderr
    adapter, matrix = calls
    assert adapter == ["adapter", "--tree", str(tree), "--profiles", "all", "--out", "build/celo-blockchain"]
    assert matrix[:6] == ["matrix", "--hypothesis-profile", "ci", "--out", "targets-celo-blockchain", "--cmd"]
    assert matrix[6] == "celo-blockchain=env DIALCHECK=1 ./p2p.test"
    assert matrix[7:] == ["--waivers", f"celo-blockchain={waivers}"]


def test_the_judging_script_names_a_module_release_by_module_and_version(tmp_path: Path) -> None:
    done, calls = _judge(tmp_path, "github.com/bnb-chain/bsc@v1.7.8")
    assert done.returncode == 0, done.stderr
    assert calls[0][:3] == ["adapter", "--release", "github.com/bnb-chain/bsc@v1.7.8"]
    assert calls[1][4] == "targets-bsc-v1.7.8" and len(calls[1]) == 7  # no waivers, no --go


@pytest.mark.parametrize(
    "argv",
    [("no/such/checkout",), (".", "missing.waivers"), (".", "/no/such/go"), (".", "a", "b", "c")],
    ids=["not-a-source", "missing-waivers", "not-a-go", "too-many"],
)
def test_the_judging_script_refuses_what_it_cannot_use_with_exit_2_and_runs_nothing(
    tmp_path: Path, argv: tuple[str, ...]
) -> None:
    done, calls = _judge(tmp_path, *argv)
    assert done.returncode == 2 and done.stderr and calls == []


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
