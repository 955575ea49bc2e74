"""The vector corpus.

Deterministic, committed as package data, covering every requirement it can, replayable anywhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dialcheck.conformance.cli import main
from dialcheck.conformance.formats.scheduler_format import SchedulerTrace, load_any_trace
from dialcheck.conformance.formats.trace import ExecuteStep, load_trace
from dialcheck.conformance.harness.replay import replay_trace
from dialcheck.conformance.runs.vectors import CORPUS_DIR, GENERATOR, INDEX, SCENARIO_DIR, VectorError, generate_vectors
from dialcheck.conformance.zoo import MEMBERS, SCHEDULER_MEMBERS
from dialcheck.spec.model import Profile
from dialcheck.spec.scheduler import SchedulerProfile

SPEC = Path(__file__).resolve().parents[2] / "spec" / "dialstate.md"
_REQUIREMENT = re.compile(r"^\*\*([A-Z][A-Z0-9_]*(?:-[A-Z0-9]+)*)\.\*\*", re.MULTILINE)
#: Requirements no dialcheck-trace/1 scenario can show, and why.
NOT_IN_TRACES = {
    "DS-INIT-1": "a negative budget is bad input: the trace loader refuses it (tests/test_trace_errors.py)",
    "DS-HIST-4": "a cost bound, not behaviour: tests/test_reference_history.py and benchmarks/ measure it",
    "AD-4": "about a failing implementation: tests/test_cli.py and the zoo show it",
}
#: The wire adapter's requirements are about misbehaving programs (tests/test_wire_*.py show them);
#: the ID width's are about how any trace is given (tests/conformance/test_ids.py shows them).
_EXECUTION = re.compile(r"^(WIRE|ID)-")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _index(root: Path) -> dict[str, object]:
    document: dict[str, object] = json.loads((root / INDEX).read_text())
    return document


def test_regenerating_the_committed_corpus_changes_no_byte(tmp_path: Path) -> None:
    arguments = _index(CORPUS_DIR)["arguments"]
    assert isinstance(arguments, dict)
    profile = None if arguments["profile"] is None else Profile(arguments["profile"])
    generate_vectors(tmp_path, arguments["seed"], arguments["count"], profile, arguments["steps"])
    committed = _tree(CORPUS_DIR)
    assert _tree(tmp_path) == committed, "run: dialcheck vectors generate --out conformance/corpus, and commit it"


def test_the_same_arguments_give_the_same_bytes_and_another_seed_other_walks(tmp_path: Path) -> None:
    assert (
        main(["vectors", "generate", "--out", str(tmp_path / "a"), "--seed", "7", "--count", "3", "--steps", "20"]) == 0
    )
    assert (
        main(["vectors", "generate", "--out", str(tmp_path / "b"), "--seed", "7", "--count", "3", "--steps", "20"]) == 0
    )
    assert (
        main(["vectors", "generate", "--out", str(tmp_path / "c"), "--seed", "8", "--count", "3", "--steps", "20"]) == 0
    )
    a, b, c = (_tree(tmp_path / x) for x in "abc")
    assert a == b
    explored = [k for k in a if k.startswith("explored")]
    assert len(explored) == 3 and all(a[k] != c.get(k.replace("-7-", "-8-")) for k in explored)


def test_generating_again_into_the_same_place_leaves_no_stale_file(tmp_path: Path) -> None:
    generate_vectors(tmp_path, seed=1, count=3, steps=10)
    generate_vectors(tmp_path, seed=2, count=1, steps=10)
    assert sorted(p.name for p in (tmp_path / "explored").iterdir()) == ["explored-2-000.json"]


def test_every_file_is_a_trace_naming_its_coverage_and_generator_and_the_index_lists_them_all() -> None:
    index = _index(CORPUS_DIR)
    assert index["format"] == GENERATOR
    vectors = index["vectors"]
    assert isinstance(vectors, list)
    files = {str(p.relative_to(CORPUS_DIR)) for p in CORPUS_DIR.rglob("*.json") if p.name != INDEX}
    assert {v["file"] for v in vectors} == files
    for vector in vectors:
        document = json.loads((CORPUS_DIR / vector["file"]).read_text())
        assert document["x-covers"] == vector["covers"] and vector["covers"]
        assert document["x-generator"] == GENERATOR and document["x-kind"] == vector["kind"]
        assert load_any_trace(CORPUS_DIR / vector["file"]).name == vector["name"]
    assert {v["kind"] for v in vectors} == {"scenario", "explored"}


def test_every_requirement_a_trace_can_show_has_a_scenario() -> None:
    vectors = _index(CORPUS_DIR)["vectors"]
    assert isinstance(vectors, list)
    by_scenarios = {c for v in vectors if v["kind"] == "scenario" for c in v["covers"]}
    ids = _REQUIREMENT.findall(SPEC.read_text())
    missing = [i for i in ids if i not in by_scenarios and i not in NOT_IN_TRACES and not _EXECUTION.match(i)]
    assert not missing
    assert not set(NOT_IN_TRACES) & by_scenarios, "an exemption is out of date: a scenario now covers it"


#: What a trace can cover only by executing tasks (spec section 10 and AD-5).
_NEEDS_EXECUTION = re.compile(
    r"^(EX-.*|AD-5|INCOMPLETE_NEEDS_RESOLVE|STATIC_RETRY|RESOLVE_THROTTLE|RESOLVE_BACKOFF|LOOKUP_SPACING)$"
)


@pytest.mark.parametrize("profile", [p.value for p in Profile])
def test_every_requirement_execution_does_not_need_has_a_scheduling_only_trace_under_every_profile(
    profile: str,
) -> None:
    covered: dict[bool, set[str]] = {True: set(), False: set()}
    vectors = _index(CORPUS_DIR)["vectors"]
    assert isinstance(vectors, list)
    for entry in vectors:
        if entry["file"].startswith("scheduler/"):
            continue
        trace = load_trace(CORPUS_DIR / entry["file"])
        executes = any(isinstance(step, ExecuteStep) for step in trace.steps)
        if entry["profile"] == profile:
            covered[executes].update(entry["covers"])
    needed = {c for c in covered[True] | covered[False] if not _NEEDS_EXECUTION.match(c)}
    assert needed - covered[False] == set()
    assert len(covered[False]) >= 35


def test_the_reference_passes_the_whole_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(CORPUS_DIR)]) == 0
    out = capsys.readouterr().out
    assert "0 failed" in out and "index.json" not in out


def test_a_profile_puts_every_trace_under_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vectors", "generate", "--out", str(tmp_path), "--count", "2", "--profile", "geth-1.8"]) == 0
    traces = [load_trace(p) for p in tmp_path.rglob("*.json") if p.name != INDEX]
    # every scenario that geth-1.8 can run (its own, and most others), and walks that execute and do not
    assert len(list(SCENARIO_DIR.glob("*.json"))) - 3 <= len(traces) - 2 * 2 <= len(list(SCENARIO_DIR.glob("*.json")))
    assert {t.profile for t in traces} == {Profile.GETH_1_8}
    assert main(["replay", str(tmp_path)]) == 0


def test_a_scenario_that_disagrees_with_the_reference_stops_generation(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    text = (SCENARIO_DIR / "static-redial.json").read_text()
    (scenarios / "wrong.json").write_text(text.replace('"flags": ["static"]', '"flags": ["dyn"]', 1))
    with pytest.raises(VectorError, match="disagrees with the reference"):
        generate_vectors(tmp_path / "out", count=0, scenarios=scenarios)


def test_an_unwritable_out_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["vectors", "generate", "--out", str(blocker / "sub")]) == 2
    assert "cannot write the corpus" in capsys.readouterr().err


def test_replay_refuses_a_directory_without_traces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / INDEX).write_text("{}")
    assert main(["replay", str(tmp_path)]) == 2
    assert "no traces found" in capsys.readouterr().err


def test_every_seeded_bug_of_the_zoo_fails_at_least_one_vector() -> None:
    """The corpus has teeth without Hypothesis: a suite that only replays it still catches every zoo member."""
    files = [p for p in sorted(CORPUS_DIR.rglob("*.json")) if p.name != INDEX]
    traces = [load_trace(p) for p in files if "scheduler" not in p.relative_to(CORPUS_DIR).parts]
    survivors = [m.name for m in MEMBERS if all(replay_trace(t, m.create).passed for t in traces)]
    assert not survivors


def test_a_scheduler_scenario_is_written_under_every_profile_that_can_run_it_and_catches_its_member() -> None:
    scenarios = {p.stem: load_any_trace(p) for p in sorted((CORPUS_DIR / "scheduler" / "scenarios").glob("*.json"))}
    assert {"dns-other-family", "dns-other-family@geth-1.17.2", "dns-other-family@geth-1.15"} <= set(scenarios)
    own, older = scenarios["dns-other-family"], scenarios["dns-other-family@geth-1.17.2"]
    assert isinstance(own, SchedulerTrace) and isinstance(older, SchedulerTrace)
    assert own.profile is SchedulerProfile.GETH_1_17_8 and own.steps != older.steps  # SC-DNS-2 tells them apart
    member = next(m for m in SCHEDULER_MEMBERS if m.name == "sched_dns_answer_replaces_address")
    assert not replay_trace(older, member.create).passed and replay_trace(own, member.create).passed


def test_the_corpus_has_scheduler_walks_under_every_scheduler_profile_each_free_of_later_choices() -> None:
    walks = [load_any_trace(p) for p in sorted((CORPUS_DIR / "scheduler").glob("*.json"))]
    assert all(isinstance(w, SchedulerTrace) for w in walks)
    assert {w.profile for w in walks if isinstance(w, SchedulerTrace)} == set(SchedulerProfile)
    for walk in walks:
        assert isinstance(walk, SchedulerTrace)
        choices = [i for i, s in enumerate(walk.steps) if s.expect is not None and not s.expect.is_deterministic()]
        assert choices in ([], [len(walk.steps) - 1]), f"{walk.name}: a step after a choice among statics"


def test_scheduler_vectors_catch_most_scheduler_zoo_members_without_hypothesis() -> None:
    walks = [load_any_trace(p) for p in sorted((CORPUS_DIR / "scheduler").rglob("*.json"))]
    caught = [
        m.name
        for m in SCHEDULER_MEMBERS
        if any(isinstance(w, SchedulerTrace) and not replay_trace(w, m.create).passed for w in walks)
    ]
    assert len(caught) >= len(SCHEDULER_MEMBERS) // 2, f"only {caught} of {len(SCHEDULER_MEMBERS)}"
