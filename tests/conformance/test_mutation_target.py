"""The test mutation testing runs: an invariants-level run of the reference, both profiles.

``docs/mutation-testing.md`` explains how mutmut mutates ``reference/`` and runs this file alone;
a mutant it kills is a behaviour change the named invariants see.  In the normal suite it is one
more proof that the reference satisfies its own invariants.
"""

from __future__ import annotations

import pytest

from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.runs.options import RunOptions
from dialcheck.conformance.runs.runner import run_conformance
from dialcheck.reference.dialstate import create_dialstate
from dialcheck.spec.model import Profile


@pytest.mark.parametrize("profile", list(Profile), ids=lambda p: p.value)
def test_the_reference_passes_an_invariants_level_run(profile: Profile) -> None:
    options = RunOptions(
        create_dialstate,
        "reference",
        profile,
        Level.INVARIANTS,
        examples=150,
        steps=60,
        hypothesis_profile="ci",
        shrink=False,
    )
    report = run_conformance(options)
    assert report.failure is None, f"{report.failure.check}: {report.failure.message}" if report.failure else ""
    assert report.conformant
