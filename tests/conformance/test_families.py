"""Every command and plugin option takes every profile of both families: one test body per family.

Each test runs for dialstate and for the dialScheduler (``@with_all_families``, as consensus-specs
runs one test on every fork); a command that refused a family's profile would fail its case.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from dialcheck.conformance.cli import main
from dialcheck.conformance.formats.scheduler_format import load_any_trace
from dialcheck.conformance.harness.family import ALL_PROFILES, DIAL_SCHEDULER, DIALSTATE, FAMILIES, Family, family_of
from dialcheck.spec.model import Profile
from dialcheck.spec.scheduler import SchedulerProfile

T = TypeVar("T", bound=Callable[..., None])


@dataclass(frozen=True)
class Case:
    """A family, one of its profiles, and a zoo member of it with the named invariants its bug breaks."""

    family: Family
    profile: str
    member: str
    checks: tuple[str, ...]

    @property
    def bug(self) -> str:
        """Return the member as ``--impl`` names it."""
        return f"dialcheck.conformance.zoo:{self.member}"


CASES = {
    DIALSTATE: Case(DIALSTATE, "geth-1.8", "concurrent_lookups", ("SINGLE_LOOKUP",)),
    DIAL_SCHEDULER: Case(DIAL_SCHEDULER, "geth-1.17.2", "sched_dials_self", ("SC_NEVER_SELF", "SC_STATIC_REDIAL")),
}
QUICK = ["--hypothesis-profile", "ci", "--examples", "30", "--opening", "0"]
SERVE = f"{shlex.quote(sys.executable)} -m dialcheck.conformance serve"


def with_all_families(test: T) -> T:
    """Run ``test`` once per family, given its :class:`Case`."""
    marked: T = pytest.mark.parametrize("case", [CASES[f] for f in FAMILIES], ids=lambda c: c.family.name.value)(test)
    return marked


def test_every_family_has_a_case_and_every_profile_a_family() -> None:
    assert set(CASES) == set(FAMILIES)
    assert [p for f in FAMILIES for p in f.profiles] == [*Profile, *SchedulerProfile]
    assert all(family_of(p).profiles.count(p) == 1 for p in ALL_PROFILES.values())


@with_all_families
def test_run_takes_the_familys_profile_with_jobs_and_id_bytes(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", *QUICK, "--profile", case.profile, "--jobs", "2", "--id-bytes", "32", "--seed", "3"]
    assert main(args) == 0
    assert f"CONFORMANT - {case.family.reference_spec}, profile {case.profile}" in capsys.readouterr().out


@pytest.mark.once
@with_all_families
def test_run_takes_waivers_for_the_familys_checks(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    waivers = [{"check": c, "profile": case.profile, "level": "invariants", "reason": "a test"} for c in case.checks]
    path = tmp_path / "waivers.json"
    path.write_text(json.dumps({"format": "dialcheck-waivers/1", "waivers": waivers}), encoding="utf-8")
    args = ["run", "--hypothesis-profile", "ci", "--examples", "300", "--level", "invariants", "--impl", case.bug]
    assert main([*args, "--profile", case.profile, "--waivers", str(path), "--save-failures", str(tmp_path)]) == 0
    assert f"CONFORMANT (waived: {', '.join(sorted(case.checks))})" in capsys.readouterr().out


@with_all_families
def test_a_counterexample_of_the_family_replays_under_its_profile(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", *QUICK, "--profile", case.profile, "--impl", case.bug, "--save-failures", str(tmp_path)]) == 1
    (saved,) = tmp_path.glob("*.json")
    assert family_of(load_any_trace(saved).profile) is case.family
    capsys.readouterr()
    assert main(["replay", "--impl", case.bug, "--profile", case.profile, str(saved)]) == 1
    assert f"(profile {case.profile}): 0 passed, 1 failed" in capsys.readouterr().out


@with_all_families
def test_check_exhaustive_certifies_the_reference_with_jobs(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--exhaustive", "--profile", case.profile, "--preset", "tiny", "--jobs", "2"]) == 0
    assert f"no divergence in scope tiny ({case.profile}, strict)" in capsys.readouterr().out


@with_all_families
def test_matrix_runs_the_familys_profile(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["matrix", "--impl", f"ref={case.family.reference_spec}", "--profile", case.profile, *QUICK]
    assert main([*args, "--level", "strict", "--out", str(tmp_path)]) == 0
    cells = json.loads((tmp_path / "matrix.json").read_text())["cells"]
    assert [(c["profile"], c["verdict"]) for c in cells] == [(case.profile, "conformant")]


@with_all_families
def test_mutants_runs_the_familys_member(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mutants", "--member", case.member, "--hypothesis-profile", "ci", "--examples", "100"]) == 0
    assert "1 of 1 members killed" in capsys.readouterr().out


@with_all_families
def test_vectors_generate_writes_the_familys_traces_under_its_profile(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["vectors", "generate", "--out", str(tmp_path), "--profile", case.profile, "--count", "1"]) == 0
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["vectors"] and {v["profile"] for v in index["vectors"]} == {case.profile}
    assert main(["replay", str(tmp_path)]) == 0


@with_all_families
def test_serve_answers_the_familys_profile_over_the_wire(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    command = f"{SERVE} --profile {case.profile}"
    assert main(["run", *QUICK, "--profile", case.profile, "--cmd", command]) == 0
    assert f"profile {case.profile}" in capsys.readouterr().out


@with_all_families
def test_the_pytest_plugin_takes_the_familys_profile(
    case: Case, pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    plugin = (
        [] if request.config.pluginmanager.hasplugin("dialcheck") else ["-p", "dialcheck.conformance.pytest_plugin"]
    )
    options = ["--dialcheck-impl", case.bug, "--dialcheck-profile", case.profile, "--dialcheck-examples", "100"]
    result = pytester.runpytest_inprocess(*plugin, "--dialcheck-hypothesis-profile", "ci", *options)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*test_dialstate_conforms*{case.profile}-strict*"])
