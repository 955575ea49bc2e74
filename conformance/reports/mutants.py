"""``dialcheck mutants``: run the default suite on every zoo member and build the kill matrix.

A member is *killed* when the run is not conformant.  At ``strict`` level every member must be
killed.  At ``invariants`` level a member whose bug no named invariant can see (its ``checks`` are
empty) is expected to survive, and the matrix says why; so is, at both levels, a member the default run
cannot reach (``random_run_misses_because``: ``dialcheck check --exhaustive`` kills it).  Any other
survivor is a gap.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from dialcheck.conformance.formats.scheduler_format import AnyTrace
from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.runs.options import RunOptions
from dialcheck.conformance.runs.runner import RunReport, run_conformance
from dialcheck.conformance.zoo import MEMBERS, SCHEDULER_MEMBERS, Member
from dialcheck.spec.verdicts import Verdict

#: A member of either family.
#: A member of either family (one type since the families share it; the name is kept for callers).
AnyMember = Member

__all__ = ["AnyMember", "Row", "run_mutants", "format_matrix", "format_summary", "write_matrix_json", "is_gap"]


@dataclass(frozen=True)
class Row:
    """One member's outcome."""

    member: AnyMember
    level: Level
    killed: bool
    check: Optional[str]
    first_failure: Optional[float]
    counterexample_steps: Optional[int]
    seconds: float
    counterexample: Optional[AnyTrace] = None

    @property
    def expected_to_survive(self) -> bool:
        """Return whether the run cannot see the member's bug: strict-only at invariants, or out of its reach."""
        return (self.level is Level.INVARIANTS and not self.member.checks) or bool(
            self.member.random_run_misses_because
        )


def is_gap(row: Row) -> bool:
    """Return whether the row shows a bug the suite should have caught and did not."""
    return not row.killed and not row.expected_to_survive


def _row(member: AnyMember, level: Level, report: RunReport) -> Row:
    failure = report.failure
    return Row(
        member=member,
        level=level,
        killed=not report.conformant,
        check=failure.check if failure is not None else (Verdict.NONDETERMINISTIC if report.flaky else None),
        first_failure=report.first_failure,
        counterexample_steps=None if failure is None else len(failure.trace.steps),
        seconds=report.seconds,
        counterexample=None if failure is None else failure.trace,
    )


def run_mutants(
    level: Level,
    hypothesis_profile: str,
    members: Sequence[AnyMember] = (*MEMBERS, *SCHEDULER_MEMBERS),
    examples: Optional[int] = None,
    on_row: Optional[Callable[[Row], None]] = None,
) -> list[Row]:
    """Run the default suite on each member; return the rows in member order."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="dialcheck-mutants-") as folder:
        for member in members:
            options = RunOptions(
                factory=member.create,
                origin=f"dialcheck.conformance.zoo:{member.name}",
                profile=member.profile,
                level=level,
                examples=examples,
                hypothesis_profile=hypothesis_profile,
                save_dir=Path(folder),
            )
            row = _row(member, level, run_conformance(options))
            rows.append(row)
            if on_row is not None:
                on_row(row)
    return rows


def _seconds(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.1f}s"


def format_row(row: Row) -> str:
    """Return one line of the kill matrix."""
    if row.killed:
        outcome = "killed"
    elif row.member.random_run_misses_because:
        outcome = "exhaustive"
    elif row.expected_to_survive:
        outcome = "strict-only"
    else:
        outcome = "SURVIVED"
    steps = "-" if row.counterexample_steps is None else str(row.counterexample_steps)
    line = (
        f"{row.member.name:<34} {row.member.requirement:<18} {row.member.profile.value:<9} {outcome:<12} "
        f"{row.check or '-':<20} {_seconds(row.first_failure):>8} {steps:>6}"
    )
    if row.expected_to_survive and not row.killed:
        line += f"  ({row.member.random_run_misses_because or row.member.strict_only_because})"
    return line


def format_matrix_header() -> str:
    """Return the header of the kill matrix."""
    return (
        f"{'member':<34} {'requirement':<18} {'profile':<9} {'outcome':<12} {'killed by':<20} "
        f"{'1st fail':>8} {'steps':>6}"
    )


def format_matrix(rows: Sequence[Row]) -> str:
    """Return the whole kill matrix."""
    return "\n".join([format_matrix_header(), *(format_row(r) for r in rows)])


def format_summary(rows: Sequence[Row]) -> str:
    """Return the kill count and the timing and length figures."""
    killed = [r for r in rows if r.killed]
    firsts = [r.first_failure for r in killed if r.first_failure is not None]
    lengths = [r.counterexample_steps for r in killed if r.counterexample_steps is not None]
    gaps = [r.member.name for r in rows if is_gap(r)]
    level = rows[0].level.value if rows else "-"
    parts = [f"dialcheck mutants ({level}): {len(killed)} of {len(rows)} members killed"]
    if firsts:
        parts.append(f"time to first failure median {statistics.median(firsts):.1f}s, max {max(firsts):.1f}s")
    if lengths:
        parts.append(f"counterexample length median {statistics.median(lengths):g} steps")
    if gaps:
        parts.append("survivors: " + ", ".join(gaps))
    return "; ".join(parts)


def write_matrix_json(rows: Sequence[Row], path: Path) -> None:
    """Write the matrix as JSON."""
    document = [
        {
            "member": r.member.name,
            "requirement": r.member.requirement,
            "description": r.member.description,
            "profile": r.member.profile.value,
            "level": r.level.value,
            "killed": r.killed,
            "expected_to_survive": r.expected_to_survive,
            "strict_only_because": r.member.strict_only_because or None,
            "random_run_misses_because": r.member.random_run_misses_because or None,
            "check": r.check,
            "first_failure_seconds": None if r.first_failure is None else round(r.first_failure, 3),
            "counterexample_steps": r.counterexample_steps,
            "seconds": round(r.seconds, 3),
        }
        for r in rows
    ]
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
