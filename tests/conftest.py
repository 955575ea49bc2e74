"""Hypothesis profiles, and how many pytest-xdist workers ``-n auto`` starts.

Hypothesis: ``ci`` (derandomized, no example database) when CI is set, ``dev`` otherwise.

Workers: one more than the cores. Many tests wait rather than compute (a wire program's answer,
its exit after ``bye``, a misbehaving program's timeout, worker processes of ``--jobs``), so with
one worker per core a core idles whenever its test waits, and a long test that starts last leaves
the other core idle to the end. Measured on 2 cores (docs/ci.md): the fast suite 172 s with two
workers, 137 s with three, 164 s with four; the slow env 386 s with two workers run longest first,
273 s with three in collection order. Ordering tests longest first did not help: it made the fast
suite slower (212 s against 172 s with two workers), so the collection order stays.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

pytest_plugins = ["pytester"]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Return the workers ``-n auto`` starts: one more than the cores this process may use."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("thorough") is not None:
            item.add_marker(pytest.mark.slow)  # a thorough run is slow too: "not slow" leaves it out
