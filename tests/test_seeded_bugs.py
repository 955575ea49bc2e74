"""Every named check has seen a bug fail: seeded bugs are caught by the default run and replay alike.

Slow: each case is a default-size ``dialcheck run`` (derandomized ``ci`` profile).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import seeded_bugs
from conformance.cli import main
from conformance.invariants import Check, Situation
from conformance.machine import Level
from conformance.runner import RunOptions, RunReport, run_conformance
from reference.dialstate import create_dialstate
from spec.model import Profile

pytestmark = pytest.mark.slow

INVARIANT_BUGS = sorted(name for name, (checks, _) in seeded_bugs.BUGS.items() if checks)
_VERDICT = re.compile(r"NOT CONFORMANT \(([A-Z_]+)\)")


def _run_bug(name: str, level: str, folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", "--impl", f"seeded_bugs:{name}", "--level", level, "--hypothesis-profile", "ci", "--save-failures", str(folder)])
    return code, capsys.readouterr().out


def test_every_named_check_has_a_seeded_bug() -> None:
    caught_by = {check for checks, _ in seeded_bugs.BUGS.values() for check in checks}
    assert caught_by == {c.value for c in Check}
    assert len(seeded_bugs.BUGS) >= 10


@pytest.mark.parametrize("name", INVARIANT_BUGS)
def test_a_seeded_bug_is_caught_by_its_check_and_its_saved_trace_fails_the_same_way(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run_bug(name, "invariants", tmp_path, capsys)
    assert code == 1, out
    match = _VERDICT.search(out.strip().splitlines()[-1])
    assert match is not None and match.group(1) in seeded_bugs.BUGS[name][0], out
    [trace] = list(tmp_path.glob("*.json"))
    steps = len(json.loads(trace.read_text())["steps"])
    assert main(["replay", "--impl", f"seeded_bugs:{name}", str(trace)]) == 1
    replayed = capsys.readouterr().out
    assert f"step {steps} ($.steps[{steps - 1}])" in replayed
    assert f"  {match.group(1)}" in replayed


@pytest.mark.parametrize("name", sorted(seeded_bugs.BUGS))
def test_a_seeded_bug_is_caught_at_strict_level_and_replays_to_the_same_step(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run_bug(name, "strict", tmp_path, capsys)
    assert code == 1, out
    [trace] = list(tmp_path.glob("*.json"))
    steps = len(json.loads(trace.read_text())["steps"])
    assert main(["replay", "--impl", f"seeded_bugs:{name}", str(trace)]) == 1
    assert f"step {steps} ($.steps[{steps - 1}])" in capsys.readouterr().out


@pytest.fixture(scope="module")
def default_runs() -> Iterator[dict[tuple[Profile, Level], RunReport]]:
    yield {
        (profile, level): run_conformance(
            RunOptions(create_dialstate, "reference", profile, level, hypothesis_profile="ci")
        )
        for profile in Profile
        for level in Level
    }


def test_the_default_run_on_the_reference_is_conformant_in_both_profiles_and_levels(
    default_runs: dict[tuple[Profile, Level], RunReport],
) -> None:
    for key, report in default_runs.items():
        assert report.conformant, (key, report.failure)
        assert report.steps >= 20_000, (key, report.steps)


def test_the_default_run_reaches_every_listed_situation(default_runs: dict[tuple[Profile, Level], RunReport]) -> None:
    for (profile, level), report in default_runs.items():
        missing = {s for s in Situation if report.situations.get(s, 0) == 0}
        if profile is Profile.GETH_1_7:
            missing.discard(Situation.REMOVE_STATIC_CLEARED_HISTORY)
        assert not missing, (profile, level, sorted(s.name for s in missing))
