"""The pytest plugin runs the machine as collected tests, against the reference and a seeded bug."""

from __future__ import annotations

import shlex
import sys

import pytest

SEEDED = "dialcheck.conformance.zoo:dials_self"


def test_the_plugin_choices_mirror_the_suite() -> None:
    from dialcheck.conformance import pytest_plugin
    from dialcheck.conformance.formats.wire import DEFAULT_TIMEOUT
    from dialcheck.conformance.harness.session import Level
    from dialcheck.conformance.runs.options import HYPOTHESIS_PROFILES

    assert pytest_plugin.LEVELS == tuple(level.value for level in Level)
    assert pytest_plugin.HYPOTHESIS_PROFILES == HYPOTHESIS_PROFILES
    assert pytest_plugin.DEFAULT_TIMEOUT == DEFAULT_TIMEOUT


def _plugin_args(request: pytest.FixtureRequest) -> list[str]:
    """Load the plugin by name unless its entry point already did (an installed dialcheck)."""
    return [] if request.config.pluginmanager.hasplugin("dialcheck") else ["-p", "dialcheck.conformance.pytest_plugin"]


def test_the_plugin_adds_nothing_without_an_implementation(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    pytester.makepyfile("def test_own(): pass")
    result = pytester.runpytest_inprocess(*_plugin_args(request))
    result.assert_outcomes(passed=1)


def _run(pytester: pytest.Pytester, request: pytest.FixtureRequest, *args: str) -> pytest.RunResult:
    """Run pytest with the plugin, derandomized, and ``args``."""
    return pytester.runpytest_inprocess(*_plugin_args(request), "--dialcheck-hypothesis-profile", "ci", *args)


SERVE = f"{shlex.quote(sys.executable)} -m dialcheck.conformance serve"


def test_the_plugin_passes_the_reference_for_each_profile(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    profiles = ["--dialcheck-profile", "geth-1.7", "--dialcheck-profile", "geth-1.8"]
    impl = ["--dialcheck-impl", "dialcheck.reference.dialstate:create_dialstate"]
    result = _run(
        pytester, request, *impl, *profiles, "--dialcheck-examples", "30", "-v", "--hypothesis-show-statistics"
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_dialstate_conforms?geth-1.7-strict? PASSED*", "*Hypothesis Statistics*"])


def test_the_plugin_fails_a_seeded_bug_with_the_report(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    result = _run(pytester, request, "--dialcheck-impl", SEEDED, "--dialcheck-level", "invariants")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FAILED NEVER_SELF*", "*dialcheck run: NOT CONFORMANT (NEVER_SELF)*"])


@pytest.mark.once
def test_the_plugin_judges_a_wire_program_served_by_dialcheck_serve(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    wire = ["--dialcheck-cmd", SERVE, "--dialcheck-timeout", "5"]
    result = _run(pytester, request, *wire, "--dialcheck-profile", "geth-1.8", "--dialcheck-examples", "30", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_dialstate_conforms?geth-1.8-strict? PASSED*"])


def test_the_plugin_fails_a_served_seeded_bug_with_the_report_and_the_wire_reproduce_command(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    result = _run(pytester, request, "--dialcheck-cmd", f"{SERVE} --impl {SEEDED}", "--dialcheck-level", "invariants")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FAILED NEVER_SELF*", "*dialcheck replay --cmd*", "*NOT CONFORMANT (NEVER_SELF)*"])


def test_a_wire_program_that_does_not_serve_the_profile_fails_with_one_paragraph(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    result = _run(
        pytester, request, "--dialcheck-cmd", f"{SERVE} --profile geth-1.7", "--dialcheck-profile", "geth-1.8"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*does not serve profile geth-1.8*"])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dialcheck-impl", SEEDED, "--dialcheck-cmd", "x"], "*name two implementations*"),
        (["--dialcheck-cmd", "x", "--dialcheck-timeout", "0"], "*--dialcheck-timeout must be*above 0*"),
    ],
)
def test_contradictory_plugin_options_are_a_usage_error(
    pytester: pytest.Pytester, request: pytest.FixtureRequest, args: list[str], message: str
) -> None:
    result = pytester.runpytest_inprocess(*_plugin_args(request), *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
