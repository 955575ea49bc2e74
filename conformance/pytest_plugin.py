"""The ``dialcheck`` pytest plugin: run the conformance machine as collected tests of your own suite.

With ``--dialcheck-impl MODULE:FACTORY`` (or ``--dialcheck-cmd``), one test per chosen profile is
added to the session, ``test_dialstate_conforms[<profile>-<level>]``, so that pytest's own
reporting and ``--hypothesis-show-statistics`` apply.  Without either option the plugin adds
nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dialcheck.spec.model import Profile

__all__ = ["pytest_addoption", "pytest_collection_modifyitems", "LEVELS", "HYPOTHESIS_PROFILES"]

# The plugin loads in every pytest session of an environment that has dialcheck installed, so it
# imports nothing heavy at start-up (no Hypothesis, no reference model); these mirror
# conformance.machine.Level and conformance.runner.HYPOTHESIS_PROFILES (a test keeps them equal).
LEVELS = ("strict", "invariants")
HYPOTHESIS_PROFILES = ("ci", "default", "thorough")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--dialcheck-*`` options."""
    group = parser.getgroup("dialcheck", "dialstate conformance (dialcheck)")
    group.addoption(
        "--dialcheck-impl", metavar="MODULE:FACTORY", help="implementation to check, made as FACTORY(config, profile)"
    )
    group.addoption(
        "--dialcheck-cmd", metavar="COMMAND", help="implementation speaking dialcheck-wire/1 (not available yet)"
    )
    group.addoption(
        "--dialcheck-profile",
        action="append",
        choices=[p.value for p in Profile],
        help="geth profile to hold it to; repeat for several (default geth-1.7)",
    )
    group.addoption("--dialcheck-level", choices=LEVELS, default=LEVELS[0])
    group.addoption(
        "--dialcheck-examples", type=int, metavar="N", help="examples per profile (default: dialcheck run's)"
    )
    group.addoption("--dialcheck-hypothesis-profile", choices=HYPOTHESIS_PROFILES, help="ci, default or thorough")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add the conformance tests when an implementation is named."""
    if config.getoption("dialcheck_cmd"):
        raise pytest.UsageError(
            "--dialcheck-cmd: the subprocess (dialcheck-wire/1) adapter is not available in this version; "
            "use --dialcheck-impl MODULE:FACTORY"
        )
    if not config.getoption("dialcheck_impl"):
        return
    from dialcheck.conformance import pytest_tests

    module = pytest.Module.from_parent(session, path=Path(pytest_tests.__file__))
    for node in module.collect():
        if isinstance(node, pytest.Item):
            items.append(node)
