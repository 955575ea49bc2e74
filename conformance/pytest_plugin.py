"""The ``dialcheck`` pytest plugin: run the conformance machine as collected tests of your own suite.

With ``--dialcheck-impl MODULE:FACTORY`` (or ``--dialcheck-cmd``), one test per chosen profile is
added to the session, ``test_dialstate_conforms[<profile>-<level>]`` (the name kept from when
dialstate was the one family: a profile of either family may be chosen), so that pytest's own
reporting and ``--hypothesis-show-statistics`` apply.  Without either option the plugin adds
nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dialcheck.spec.model import ID_WIDTHS, Profile
from dialcheck.spec.scheduler import SchedulerProfile

__all__ = ["pytest_addoption", "pytest_collection_modifyitems", "LEVELS", "HYPOTHESIS_PROFILES", "DEFAULT_TIMEOUT"]

# The plugin loads in every pytest session of an environment that has dialcheck installed, so it
# imports nothing heavy at start-up (no Hypothesis, no reference model); these mirror
# session.Level, options.HYPOTHESIS_PROFILES and wire.DEFAULT_TIMEOUT (a test keeps them equal).
LEVELS = ("strict", "invariants")
HYPOTHESIS_PROFILES = ("ci", "default", "thorough")
DEFAULT_TIMEOUT = 10.0


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--dialcheck-*`` options."""
    group = parser.getgroup("dialcheck", "dial scheduler conformance, dialstate and dialScheduler (dialcheck)")
    group.addoption(
        "--dialcheck-impl", metavar="MODULE:FACTORY", help="implementation to check, made as FACTORY(config, profile)"
    )
    group.addoption(
        "--dialcheck-cmd",
        metavar="COMMAND",
        help="implementation speaking dialcheck-wire/1 on stdin/stdout (split like a shell would)",
    )
    group.addoption(
        "--dialcheck-timeout",
        type=float,
        metavar="SECONDS",
        default=DEFAULT_TIMEOUT,
        help=f"with --dialcheck-cmd: the most time one answer may take (default {DEFAULT_TIMEOUT:g})",
    )
    group.addoption(
        "--dialcheck-profile",
        action="append",
        choices=[p.value for p in (*Profile, *SchedulerProfile)],
        help="geth profile to hold it to, of either family; repeat for several (default geth-1.7)",
    )
    group.addoption("--dialcheck-level", choices=LEVELS, default=LEVELS[0])
    group.addoption(
        "--dialcheck-examples", type=int, metavar="N", help="examples per profile (default: dialcheck run's)"
    )
    group.addoption("--dialcheck-hypothesis-profile", choices=HYPOTHESIS_PROFILES, help="ci, default or thorough")
    group.addoption(
        "--dialcheck-id-bytes",
        type=int,
        choices=ID_WIDTHS,
        help="the node ID width the implementation holds (default: as generated, 64 bytes)",
    )


class _TestsModule(pytest.Module):
    """The plugin's test module, taken from the installed package rather than imported again by its path.

    Importing it by path would give it a top-level name of its folder (``conformance``) and a
    second copy of dialcheck's modules under that name.
    """

    def _getobj(self) -> object:
        from dialcheck.conformance import pytest_tests

        return pytest_tests


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add the conformance tests when an implementation is named."""
    if config.getoption("dialcheck_impl") and config.getoption("dialcheck_cmd"):
        raise pytest.UsageError("--dialcheck-impl and --dialcheck-cmd name two implementations; give one")
    if config.getoption("dialcheck_timeout") <= 0:
        raise pytest.UsageError("--dialcheck-timeout must be a number of seconds above 0")
    if not (config.getoption("dialcheck_impl") or config.getoption("dialcheck_cmd")):
        return
    from dialcheck.conformance import pytest_tests

    module = _TestsModule.from_parent(session, path=Path(pytest_tests.__file__))
    for node in module.collect():
        if isinstance(node, pytest.Item):
            items.append(node)
