"""Real go-ethereum, built from the Go module proxy with dialcheck's glue, is judged as geth (tox env ``geth``).

Three releases: v1.9.10 (the last dialstate), v1.9.11 (the first dialScheduler) and v1.17.10 (the newest
the module proxy served when checked); and a fork's release the module proxy serves under the fork's own
name, op-geth v1.101702.3 (geth v1.17.2's p2p, docs/targets.md). Each is CONFORMANT at its own
profile at both levels, NOT CONFORMANT at the neighbouring profile with the expected check and a
counterexample of a few steps, and passes every corpus trace of its family. Short derandomized runs:
the full-size evidence is in docs/fidelity.md and docs/targets.md, with the command that reproduces
each row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from dialcheck.conformance.cli import main
from dialcheck.conformance.runs.vectors import CORPUS_DIR

pytestmark = [pytest.mark.slow, pytest.mark.geth]


@dataclass(frozen=True)
class Release:
    source: str  # what --release names
    version: str  # the geth release the tree says it is
    own: str  # the profile that claims it
    neighbour: str  # a profile whose behaviour it lacks
    steps: int  # the most steps the neighbour's counterexample takes


RELEASES = [
    Release("v1.9.10", "v1.9.10", "geth-1.9.7", "geth-1.9", 1),
    Release("v1.9.11", "v1.9.11", "geth-1.9.11", "geth-1.9.14", 2),
    Release("v1.17.10", "v1.17.10", "geth-1.17.8", "geth-1.17.2", 5),
    Release("github.com/ethereum-optimism/op-geth@v1.101702.3", "v1.17.2", "geth-1.17.2", "geth-1.17.8", 5),
]


@pytest.fixture(scope="module", params=RELEASES, ids=lambda r: r.source.rsplit("/", 1)[-1])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Release, dict[str, str]]:
    """Build the release's package p2p with the glue, as a user would: `dialcheck adapter --release`."""
    release: Release = request.param
    out = tmp_path_factory.mktemp(f"geth-{release.version}")
    argv = ["adapter", "--release", release.source, "--out", str(out)]
    assert main([*argv, "--json", str(out / "built.json")]) == 0
    return release, json.loads((out / "built.json").read_text())


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_the_build_names_the_release_its_family_and_the_glue_of_its_api(
    built: tuple[Release, dict[str, str]],
) -> None:
    release, facts = built
    assert facts["release"] == release.version
    assert facts["family"] == ("dialstate" if release.own.startswith("geth-1.9.7") else "dialScheduler")
    assert facts["profile"] == release.own


@pytest.mark.parametrize("level", ["strict", "invariants"])
def test_real_geth_is_conformant_at_its_own_profile_at_both_levels(
    built: tuple[Release, dict[str, str]], level: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release, facts = built
    code, out = _run(
        capsys,
        *("run", "--cmd", facts["matrix_cmd"], "--profile", release.own, "--level", level),
        *("--hypothesis-profile", "ci", "--examples", "150", "--save-failures", str(tmp_path)),
    )
    verdict = out.strip().splitlines()[-1]
    assert code == 0, out
    assert verdict.startswith("dialcheck run: CONFORMANT") and f"profile {release.own}, level {level}" in verdict


def test_real_geth_is_caught_at_the_neighbouring_profile_in_a_few_steps_and_the_trace_replays(
    built: tuple[Release, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release, facts = built
    code, out = _run(
        capsys,
        *("run", "--cmd", facts["matrix_cmd"], "--profile", release.neighbour, "--level", "strict"),
        *("--hypothesis-profile", "ci", "--save-failures", str(tmp_path)),
    )
    assert code == 1, out
    assert out.strip().splitlines()[-1].startswith("dialcheck run: NOT CONFORMANT (STRICT)")
    steps = re.search(r"counterexample \((\d+) steps?", out)
    assert steps is not None and int(steps.group(1)) <= release.steps, out
    (saved,) = tmp_path.glob("*.json")
    code, out = _run(capsys, "replay", "--cmd", facts["matrix_cmd"], str(saved))
    assert code == 1 and "STRICT" in out


def test_real_geth_passes_every_corpus_trace_of_its_family(
    built: tuple[Release, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    release, facts = built
    # The program serves its own profile only: the traces of the other profiles are skipped, with that reason.
    code, out = _run(capsys, "replay", "--cmd", facts["cmd"], str(CORPUS_DIR))
    assert code == 0, out
    passed = re.search(r"(\d+) passed, 0 failed", out)
    assert passed is not None and int(passed.group(1)) >= 3, out
