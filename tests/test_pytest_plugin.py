"""The pytest plugin runs the machine as collected tests, against the reference and a seeded bug."""

from __future__ import annotations

import pytest

SEEDED = "dialcheck.conformance.zoo:dials_self"


def test_the_plugin_choices_mirror_the_suite() -> None:
    from dialcheck.conformance import pytest_plugin
    from dialcheck.conformance.options import HYPOTHESIS_PROFILES
    from dialcheck.conformance.session import Level

    assert pytest_plugin.LEVELS == tuple(level.value for level in Level)
    assert pytest_plugin.HYPOTHESIS_PROFILES == HYPOTHESIS_PROFILES


def _plugin_args(request: pytest.FixtureRequest) -> list[str]:
    """Load the plugin by name unless its entry point already did (an installed dialcheck)."""
    return [] if request.config.pluginmanager.hasplugin("dialcheck") else ["-p", "dialcheck.conformance.pytest_plugin"]


def test_the_plugin_adds_nothing_without_an_implementation(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    pytester.makepyfile("def test_own(): pass")
    result = pytester.runpytest_inprocess(*_plugin_args(request))
    result.assert_outcomes(passed=1)


def test_the_plugin_passes_the_reference_for_each_profile(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    result = pytester.runpytest_inprocess(
        *_plugin_args(request),
        "--dialcheck-impl",
        "dialcheck.reference.dialstate:create_dialstate",
        "--dialcheck-profile",
        "geth-1.7",
        "--dialcheck-profile",
        "geth-1.8",
        "--dialcheck-examples",
        "30",
        "--dialcheck-hypothesis-profile",
        "ci",
        "-v",
        "--hypothesis-show-statistics",
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_dialstate_conforms?geth-1.7-strict? PASSED*", "*Hypothesis Statistics*"])


def test_the_plugin_fails_a_seeded_bug_with_the_report(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    result = pytester.runpytest_inprocess(
        *_plugin_args(request),
        "--dialcheck-impl",
        SEEDED,
        "--dialcheck-level",
        "invariants",
        "--dialcheck-hypothesis-profile",
        "ci",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FAILED NEVER_SELF*", "*dialcheck run: NOT CONFORMANT (NEVER_SELF)*"])


def test_the_wire_option_is_refused_until_the_adapter_exists(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    result = pytester.runpytest_inprocess(*_plugin_args(request), "--dialcheck-cmd", "dialcheck serve")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dialcheck-cmd*not available*"])
