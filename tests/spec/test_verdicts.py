"""One verdict vocabulary and one error tree."""

from __future__ import annotations

import json

from dialcheck.conformance.cli import UsageError
from dialcheck.conformance.drivers.process import WireFault
from dialcheck.conformance.harness.loader import ImplementationError
from dialcheck.conformance.harness.session import Nonconformance
from dialcheck.conformance.runs.vectors import VectorError
from dialcheck.spec.verdicts import (
    BadInput,
    DialcheckError,
    FormatError,
    HarnessError,
    ImplementationFault,
    Outcome,
    Verdict,
    VerdictKind,
)


def test_a_verdict_prints_and_compares_as_its_name() -> None:
    assert f"{Verdict.EX_RESOLVE_1}" == "EX-RESOLVE-1" == str(Verdict.EX_RESOLVE_1)
    assert Verdict.STRICT == "STRICT"
    assert f"{Verdict.STRICT:>8}" == "  STRICT"


def test_every_verdict_has_the_kind_its_name_says() -> None:
    kinds = {v: v.kind for v in Verdict}
    assert kinds[Verdict.STRICT] is VerdictKind.COMPARISON
    assert kinds[Verdict.BAD_ANSWER] is VerdictKind.CONTRACT
    assert kinds[Verdict.KNOWN_CANDIDATE] is VerdictKind.INVARIANT
    assert kinds[Verdict.EX_WAIT_1] is VerdictKind.EXECUTION
    assert all(kind is VerdictKind.WIRE for v, kind in kinds.items() if v.value.startswith("WIRE_"))
    assert sum(kind is VerdictKind.INVARIANT for kind in kinds.values()) == 12
    assert sum(kind is VerdictKind.EXECUTION for kind in kinds.values()) == 9


def test_every_error_dialcheck_raises_has_one_root_and_the_exit_code_of_its_branch() -> None:
    for bad_input in (UsageError("x"), ImplementationError("x"), VectorError("x"), FormatError("$", "x")):
        assert isinstance(bad_input, BadInput) and bad_input.exit_code == 2
    fault = WireFault(Verdict.WIRE_HUNG, "x")
    assert isinstance(fault, ImplementationFault) and fault.exit_code == 1 and fault.aborts_run
    assert issubclass(Nonconformance, ImplementationFault)
    assert HarnessError("x").exit_code == 2
    assert all(issubclass(c, DialcheckError) for c in (BadInput, ImplementationFault, HarnessError))
    assert FormatError("$.steps[0]", "is missing").args == ("$.steps[0]: is missing",)


def test_a_run_check_or_cell_comes_to_one_outcome_named_alike_in_text_and_json() -> None:
    assert Outcome.of(True) is Outcome.CONFORMANT and Outcome.of(False) is Outcome.NOT_CONFORMANT
    assert Outcome.NOT_CONFORMANT.heading == "NOT CONFORMANT" and f"{Outcome.NOT_SERVED}" == "not served"
    assert json.dumps([Outcome.ERROR]) == '["error"]'
