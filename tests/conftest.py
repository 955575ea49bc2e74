"""Hypothesis profiles, and the order tests are handed to pytest-xdist's workers.

Hypothesis: ``ci`` (derandomized, no example database) when CI is set, ``dev`` otherwise.

Order: pytest-xdist gives tests to its workers in collection order, so a long test collected
last keeps one core busy while the other idles. Tests run longest first (the classic
longest-processing-time rule), by the seconds each took when last recorded in
``tests/durations.json``; a test not listed there counts as instant and keeps its place among
the others. ``pytest --record-durations tests/durations.json`` records them anew (docs/ci.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

pytest_plugins = ["pytester"]

#: The recorded seconds of every test that took at least this long.
DURATIONS = Path(__file__).with_name("durations.json")
RECORDED_FROM = 0.5


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-durations",
        metavar="PATH",
        default=None,
        help="write each test's seconds (setup, call and teardown) to PATH as JSON, merged into what is there",
    )


def get_recorded_durations(path: Path = DURATIONS) -> dict[str, float]:
    """Return the recorded seconds by test ID (none when the file is missing)."""
    if not path.is_file():
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    return {str(key): float(value) for key, value in document.items()}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("thorough") is not None:
            item.add_marker(pytest.mark.slow)  # a thorough run is slow too: "not slow" leaves it out
    recorded = get_recorded_durations()
    items.sort(key=lambda item: -recorded.get(item.nodeid, 0.0))  # stable: ties keep collection order


class _Recorder:
    """Sums the seconds of each test's phases as reports arrive (from every xdist worker) and writes them at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self) -> None:
        merged = get_recorded_durations(self.path)
        merged.update({k: round(v, 1) for k, v in self.seconds.items() if v >= RECORDED_FROM})
        for key in [k for k, v in self.seconds.items() if v < RECORDED_FROM]:
            merged.pop(key, None)
        text = json.dumps(dict(sorted(merged.items())), indent=1)
        self.path.write_text(text + "\n", encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--record-durations")
    if path is not None and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Recorder(Path(path)), "dialcheck-durations")
