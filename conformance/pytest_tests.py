"""The tests the ``dialcheck`` pytest plugin adds (collected only through the plugin)."""

from __future__ import annotations

import pytest

from dialcheck.conformance.drivers.subject import open_subject
from dialcheck.conformance.harness.family import get_profile
from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.reports.report import format_after_run, format_failure_report, format_verdict
from dialcheck.conformance.runs.options import RunOptions, get_default_hypothesis_profile
from dialcheck.conformance.runs.runner import run_conformance
from dialcheck.spec.model import Profile
from dialcheck.spec.verdicts import BadInput


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Make one test per chosen profile."""
    if "dialcheck_profile" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("dialcheck_profile") or [Profile.GETH_1_7.value]
        level = metafunc.config.getoption("dialcheck_level")
        metafunc.parametrize("dialcheck_profile", chosen, ids=[f"{p}-{level}" for p in chosen])


def test_dialstate_conforms(dialcheck_profile: str, pytestconfig: pytest.Config) -> None:
    """The implementation named by --dialcheck-impl or --dialcheck-cmd conforms to geth's dialer at the profile."""
    profile = get_profile(dialcheck_profile)
    opened = open_subject(
        pytestconfig.getoption("dialcheck_impl"),
        pytestconfig.getoption("dialcheck_cmd"),
        pytestconfig.getoption("dialcheck_timeout"),
        [profile],
        "pytest --dialcheck",
        pytestconfig.getoption("dialcheck_id_bytes"),
    )
    try:
        with opened as subject:
            options = RunOptions(
                factory=subject.factory,
                origin=subject.origin,
                subject=subject.selector,
                profile=profile,
                level=Level(pytestconfig.getoption("dialcheck_level")),
                examples=pytestconfig.getoption("dialcheck_examples"),
                hypothesis_profile=pytestconfig.getoption("dialcheck_hypothesis_profile")
                or get_default_hypothesis_profile(),
                id_bytes=subject.id_bytes,
            )
            report = run_conformance(options)
            report.after_run = subject.close()
    except BadInput as exc:  # the implementation cannot be loaded or started: one paragraph, no traceback
        pytest.fail(str(exc), pytrace=False)
    if report.failure is not None:
        pytest.fail(format_failure_report(report) + "\n" + format_verdict(report), pytrace=False)
    if report.flaky is not None:
        pytest.fail(report.flaky + "\n" + format_verdict(report), pytrace=False)
    if report.after_run is not None:
        pytest.fail(format_after_run(report) + "\n" + format_verdict(report), pytrace=False)


test_dialstate_conforms.is_hypothesis_test = True  # type: ignore[attr-defined]
