"""Run the state machine against an implementation and turn the outcome into a verdict.

Theory of operation
-------------------
:func:`run_conformance` runs :class:`conformance.machine.DialMachine` under
Hypothesis with the run's settings, then classifies what happened:

* no exception: conformant;
* :class:`~conformance.machine.Nonconformance` from the final, shrunk example:
  not conformant, with the counterexample trace it carries;
* Hypothesis's ``Flaky``: the implementation answered differently when the same
  sequence was replayed, which is a verdict of its own (nondeterminism);
* :class:`~conformance.machine.RunAborted`: not conformant, and the run stopped
  at once without shrinking (the implementation hung; each attempt would wait
  out the timeout again);
* :class:`~conformance.loader.ImplementationError`: a harness error (exit 2).

A failure is then replayed from its trace without Hypothesis; if the replay
passes, the implementation is nondeterministic and the verdict says so.
Otherwise :func:`~dialcheck.conformance.minimize.minimize` removes every step
the failure does not need before the trace is saved.

Hypothesis settings come from three profiles registered at import:
``dialcheck-ci`` (derandomized, no example database), ``dialcheck-default``
and ``dialcheck-thorough`` (ten times the examples).  Deadlines are off: a
verdict never depends on timing.  Each implementation, profile and level gets
its own example database, so results never mix.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky
from hypothesis.stateful import run_state_machine_as_test

from dialcheck.conformance.ids import resize_trace
from dialcheck.conformance.invariants import Situation
from dialcheck.conformance.machine import DialMachine, RunAborted, RunContext
from dialcheck.conformance.minimize import minimize
from dialcheck.conformance.options import RunOptions
from dialcheck.conformance.replay import replay_trace
from dialcheck.conformance.session import Nonconformance
from dialcheck.conformance.trace import Trace, save_trace
from dialcheck.conformance.waivers import get_waiver_problems
from dialcheck.spec.verdicts import ImplementationFault, Verdict

__all__ = [
    "RunReport",
    "run_conformance",
]

_COMMON = settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    verbosity=Verbosity.quiet,
    report_multiple_bugs=False,
    print_blob=False,
)
settings.register_profile("dialcheck-ci", _COMMON, derandomize=True, database=None)
settings.register_profile("dialcheck-default", _COMMON)
settings.register_profile("dialcheck-thorough", _COMMON)
#: Hypothesis types its first parameter as a machine class in some releases and not at all in
#: others; it accepts any factory, so call it through a signature that holds in both.
_run_machine: Callable[..., None] = run_state_machine_as_test


@dataclass
class RunReport:
    """The outcome of one run."""

    options: RunOptions
    examples: int = 0
    steps: int = 0
    seconds: float = 0.0
    failure: Optional[Nonconformance] = None
    flaky: Optional[str] = None
    saved: Optional[Path] = None
    situations: dict[Situation, int] = field(default_factory=dict)
    first_failure: Optional[float] = None
    #: The failure stopped the run at once, unshrunk (the implementation hung).
    aborted: bool = False
    #: What the implementation did wrong after the last example (a wire process left running).
    after_run: Optional[ImplementationFault] = None
    #: Tasks executed and judged (AD-5); ``execution_skipped``: the implementation lacks the capability.
    executions: int = 0
    execution_skipped: bool = False
    #: Waived checks that failed, how often, and where the first occurrence of each is saved.
    waived: dict[Verdict, int] = field(default_factory=dict)
    waived_saved: dict[Verdict, Path] = field(default_factory=dict)
    #: Why the waivers fail the run: expired, or a waived divergence that never occurred.
    waiver_problems: list[str] = field(default_factory=list)

    @property
    def conformant(self) -> bool:
        """Return whether no check failed and the implementation behaved deterministically."""
        return self.failure is None and self.flaky is None and self.after_run is None and not self.waiver_problems


def _database_path(options: RunOptions) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", options.origin).strip("_")
    return options.database_root / f"{slug}-{options.profile.value}-{options.level.value}"


def _build_settings(options: RunOptions) -> settings:
    parent = settings.get_profile(f"dialcheck-{options.hypothesis_profile}")
    database = None if options.hypothesis_profile == "ci" else DirectoryBasedExampleDatabase(_database_path(options))
    phases = tuple(p for p in Phase if p is not Phase.explain and (options.shrink or p is not Phase.shrink))
    return settings(
        parent,
        max_examples=options.get_examples(),
        stateful_step_count=options.steps,
        database=database,
        phases=phases,
    )


def _save(report: RunReport, failure: Nonconformance) -> Path:
    return _save_trace(report, failure.trace, failure.check.value)


def _save_trace(report: RunReport, trace: Trace, label: str) -> Path:
    if report.options.id_bytes is not None:
        trace = resize_trace(trace, report.options.id_bytes)  # ID-1: what the implementation saw
    options = report.options
    return save_trace(trace, options.save_dir, f"{label}-{options.profile.value}-{options.level.value}")


def run_conformance(options: RunOptions, progress: Optional[Callable[[RunContext, float], None]] = None) -> RunReport:
    """Run the machine against ``options.factory`` and return the verdict."""
    waivers = options.get_waivers()
    context = RunContext(options.factory, options.profile, options.level, options.origin)
    context.waived = frozenset(w.check for w in waivers)
    started = context.started

    def make_machine() -> DialMachine:
        if progress is not None:
            progress(context, time.monotonic() - started)
        return DialMachine(context)

    if options.seed is not None:
        make_machine = hypothesis_seed(options.seed)(make_machine)
    report = RunReport(options)
    try:
        _run_machine(make_machine, settings=_build_settings(options))
    except Nonconformance as failure:
        report.failure = failure
    except RunAborted as aborted:
        report.failure = aborted.failure
        report.aborted = True
    except Flaky as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        report.flaky = (
            "the implementation answered differently when the same sequence of calls was replayed "
            f"(it is nondeterministic: {first_line})"
        )
    report.examples = context.examples
    report.steps = context.steps
    report.situations = dict(context.situations)
    report.first_failure = context.first_failure
    report.executions = context.executions
    report.execution_skipped = context.without_execution
    if report.failure is not None:
        if not report.aborted:
            _check_reproduces(report, report.failure)
            if report.flaky is None and options.shrink:
                report.failure = minimize(report.failure, options.factory, options.level, options.origin)
        report.saved = _save(report, report.failure)
    report.waived = dict(context.waived_hits)
    for check, trace in context.waived_traces.items():
        report.waived_saved[check] = _save_trace(report, trace, f"WAIVED-{check.value}")
    completed = report.failure is None and report.flaky is None
    today = options.today or datetime.date.today()
    report.waiver_problems = get_waiver_problems(waivers, report.waived, today, completed)
    report.seconds = time.monotonic() - started
    return report


def _check_reproduces(report: RunReport, failure: Nonconformance) -> None:
    """Replay the counterexample without Hypothesis; if it passes, the implementation is nondeterministic."""
    # WIRE-3: "dialcheck MUST report an implementation whose answers differ when the same calls
    # are replayed as NONDETERMINISTIC, never as a raw Hypothesis error".
    options = report.options
    result = replay_trace(failure.trace, options.factory, options.profile, options.origin)
    if result.passed:
        report.flaky = (
            "the saved counterexample passed when replayed from a fresh start, so the same calls got "
            "different answers (the implementation is nondeterministic)"
        )
