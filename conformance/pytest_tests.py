"""The tests the ``dialcheck`` pytest plugin adds (collected only through the plugin)."""

from __future__ import annotations

import pytest

from dialcheck.conformance.loader import ImplementationError, load_factory
from dialcheck.conformance.options import RunOptions, get_default_hypothesis_profile
from dialcheck.conformance.report import format_failure_report, format_verdict
from dialcheck.conformance.runner import run_conformance
from dialcheck.conformance.session import Level
from dialcheck.spec.model import Profile


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Make one test per chosen profile."""
    if "dialcheck_profile" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("dialcheck_profile") or [Profile.GETH_1_7.value]
        level = metafunc.config.getoption("dialcheck_level")
        metafunc.parametrize("dialcheck_profile", chosen, ids=[f"{p}-{level}" for p in chosen])


def test_dialstate_conforms(dialcheck_profile: str, pytestconfig: pytest.Config) -> None:
    """The implementation named by --dialcheck-impl conforms to geth's dialstate."""
    spec = pytestconfig.getoption("dialcheck_impl")
    try:
        factory = load_factory(spec)
    except ImplementationError as exc:
        raise pytest.UsageError(str(exc)) from None
    options = RunOptions(
        factory=factory,
        origin=spec,
        profile=Profile(dialcheck_profile),
        level=Level(pytestconfig.getoption("dialcheck_level")),
        examples=pytestconfig.getoption("dialcheck_examples"),
        hypothesis_profile=pytestconfig.getoption("dialcheck_hypothesis_profile") or get_default_hypothesis_profile(),
    )
    report = run_conformance(options)
    if report.failure is not None:
        pytest.fail(format_failure_report(report) + "\n" + format_verdict(report), pytrace=False)
    if report.flaky is not None:
        pytest.fail(report.flaky + "\n" + format_verdict(report), pytrace=False)


test_dialstate_conforms.is_hypothesis_test = True  # type: ignore[attr-defined]
