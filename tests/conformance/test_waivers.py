"""A waivers file lets a fork gate on everything but its intended divergences, and fails when they expire or vanish."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from dialcheck.conformance.cli import main
from dialcheck.conformance.formats.trace import load_trace
from dialcheck.conformance.harness.loader import load_factory
from dialcheck.conformance.harness.session import Level, Session
from dialcheck.conformance.harness.waivers import Waiver, get_waiver_problems, parse_waivers
from dialcheck.conformance.harness.world import uint_id
from dialcheck.conformance.runs.options import RunOptions
from dialcheck.conformance.runs.runner import RunReport, run_conformance
from dialcheck.spec.model import SECOND, Config, Node, Profile
from dialcheck.spec.verdicts import FormatError, Verdict

MEMBER = "dialcheck.conformance.zoo:fallback_at_exactly_20s"
ROTATION = {"check": "BOOTNODE_ROTATION", "profile": "geth-1.7", "level": "invariants", "reason": "on purpose"}
#: A member whose bug shows through one named check only, and a waiver of it.
ONE_CHECK = "dialcheck.conformance.zoo:concurrent_lookups"
LOOKUP = {**ROTATION, "check": "SINGLE_LOOKUP"}


def _file(tmp_path: Path, *waivers: dict[str, str]) -> Path:
    path = tmp_path / "waivers.json"
    path.write_text(json.dumps({"format": "dialcheck-waivers/1", "waivers": list(waivers)}))
    return path


def _run(
    factory: str, level: Level, waivers: tuple[Waiver, ...], tmp_path: Path, today: str = "2026-01-01"
) -> RunReport:
    options = RunOptions(
        factory=load_factory(factory),
        origin=factory,
        level=level,
        examples=300,
        hypothesis_profile="ci",
        save_dir=tmp_path,
        waivers=waivers,
        today=datetime.date.fromisoformat(today),
        opening=0,  # the random examples; waivers in the opening pass: test_opening.py
    )
    return run_conformance(options)


def test_a_waivers_file_names_a_check_a_profile_a_level_a_reason_and_maybe_an_expiry() -> None:
    (waiver,) = parse_waivers({"format": "dialcheck-waivers/1", "waivers": [{**ROTATION, "expires": "2027-03-01"}]})
    assert waiver == Waiver(
        Verdict.BOOTNODE_ROTATION, Profile.GETH_1_7, Level.INVARIANTS, "on purpose", datetime.date(2027, 3, 1)
    )


@pytest.mark.parametrize(
    ("change", "path", "says"),
    [
        ({"check": "IMPLEMENTATION_ERROR"}, "$.waivers[0].check", "expected one of STRICT"),
        ({"check": "NO_SUCH_CHECK"}, "$.waivers[0].check", "expected one of"),
        ({"profile": "geth-9"}, "$.waivers[0].profile", "geth-1.7"),
        ({"reason": "  "}, "$.waivers[0].reason", "say why"),
        ({"expires": "next year"}, "$.waivers[0].expires", "YYYY-MM-DD"),
        ({"colour": "red"}, "$.waivers[0].colour", "unknown"),
    ],
)
def test_a_bad_waiver_is_refused_naming_where_and_what(change: dict[str, str], path: str, says: str) -> None:
    with pytest.raises(FormatError) as raised:
        parse_waivers({"format": "dialcheck-waivers/1", "waivers": [{**ROTATION, **change}]})
    assert raised.value.path == path and says in str(raised.value)


def test_a_check_waived_twice_for_the_same_profile_and_level_is_refused() -> None:
    with pytest.raises(FormatError, match="waived twice"):
        parse_waivers({"format": "dialcheck-waivers/1", "waivers": [ROTATION, ROTATION]})


def test_an_unreadable_waivers_file_is_bad_input_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "w.json"
    bad.write_text("{not json")
    assert main(["run", "--waivers", str(bad), "--examples", "1"]) == 2
    err = capsys.readouterr().err
    assert f"waivers file {bad}: not JSON" in err and "Traceback" not in err


def test_a_waived_check_is_noted_not_failed_and_the_session_goes_on() -> None:
    seen: list[tuple[Verdict, int]] = []
    config = Config(uint_id(0), 1, bootnodes=(Node(uint_id(1), "10.0.0.1", 30303, 30303),))
    session = Session.create(
        load_factory(MEMBER),
        config,
        Profile.GETH_1_7,
        level=Level.STRICT,
        waived=frozenset({Verdict.STRICT, Verdict.BOOTNODE_ROTATION}),
        on_waived=lambda check, trace: seen.append((check, len(trace.steps))),
    )
    session.new_tasks(1, {}, 1, [])
    session.new_tasks(1, {}, 20 * SECOND + 1, [])
    session.new_tasks(1, {}, 20 * SECOND + 2, [])
    assert seen[:2] == [(Verdict.STRICT, 2), (Verdict.BOOTNODE_ROTATION, 2)]
    assert len(session.steps) == 3


@pytest.mark.once
def test_a_run_passes_when_only_a_waived_check_fails_and_saves_where_it_did(tmp_path: Path) -> None:
    report = _run(
        ONE_CHECK, Level.INVARIANTS, parse_waivers({"format": "dialcheck-waivers/1", "waivers": [LOOKUP]}), tmp_path
    )
    assert report.conformant and report.waived[Verdict.SINGLE_LOOKUP] > 0
    saved = report.waived_saved[Verdict.SINGLE_LOOKUP]
    assert saved.name.startswith("WAIVED-SINGLE_LOOKUP-") and load_trace(saved).steps


def test_a_run_keeps_searching_past_a_waived_check_for_one_that_is_not(tmp_path: Path) -> None:
    strict = {**ROTATION, "check": "STRICT", "level": "strict"}
    report = _run(MEMBER, Level.STRICT, parse_waivers({"format": "dialcheck-waivers/1", "waivers": [strict]}), tmp_path)
    assert report.failure is not None and report.failure.check is Verdict.BOOTNODE_ROTATION
    assert report.waived[Verdict.STRICT] > 0


def test_a_waived_divergence_that_no_longer_occurs_fails_the_run_as_an_unexpected_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, ROTATION)
    args = [
        "run",
        "--level",
        "invariants",
        "--examples",
        "100",
        "--hypothesis-profile",
        "ci",
        "--opening",
        "0",
        "--waivers",
        str(path),
    ]
    assert main([*args, "--save-failures", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAILED WAIVER: unexpected pass: BOOTNODE_ROTATION (geth-1.7, invariants)" in out
    assert out.splitlines()[-1].startswith("dialcheck run: NOT CONFORMANT (WAIVERS)")


@pytest.mark.once
def test_an_expired_waiver_fails_the_run_even_when_its_divergence_occurs(tmp_path: Path) -> None:
    waivers = parse_waivers({"format": "dialcheck-waivers/1", "waivers": [{**LOOKUP, "expires": "2026-06-01"}]})
    before = _run(ONE_CHECK, Level.INVARIANTS, waivers, tmp_path, today="2026-05-31")
    assert before.conformant
    after = _run(ONE_CHECK, Level.INVARIANTS, waivers, tmp_path, today="2026-06-01")
    assert not after.conformant and "expired on 2026-06-01" in after.waiver_problems[0]


@pytest.mark.once
def test_a_waiver_for_another_profile_or_level_neither_waives_nor_fails(tmp_path: Path) -> None:
    other = parse_waivers({"format": "dialcheck-waivers/1", "waivers": [{**ROTATION, "profile": "geth-1.8"}]})
    report = _run(MEMBER, Level.INVARIANTS, other, tmp_path)
    assert report.failure is not None and report.failure.check is Verdict.BOOTNODE_ROTATION
    assert report.waiver_problems == []
    assert _run("dialcheck.reference.dialstate:create_dialstate", Level.INVARIANTS, other, tmp_path).conformant


def test_unexpected_passes_are_judged_only_for_a_run_that_completed() -> None:
    waiver = Waiver(Verdict.BOOTNODE_ROTATION, Profile.GETH_1_7, Level.INVARIANTS, "x")
    today = datetime.date(2026, 1, 1)
    assert get_waiver_problems([waiver], {}, today, completed=False) == []
    assert "unexpected pass" in get_waiver_problems([waiver], {}, today, completed=True)[0]
    assert get_waiver_problems([waiver], {Verdict.BOOTNODE_ROTATION: 1}, today, completed=True) == []
