"""Run the state machine against an implementation and turn the outcome into a verdict.

Theory of operation
-------------------
:func:`run_conformance` runs :class:`conformance.machine.Machine` under
Hypothesis with the run's settings, then classifies what happened:

* no exception: conformant;
* :class:`~conformance.machine.Nonconformance` from the first failing example
  (Hypothesis's shrink phase is off): not conformant, with the trace it carries;
* Hypothesis's ``Flaky``: the implementation answered differently when the same
  sequence was replayed, which is a verdict of its own (nondeterminism);
* :class:`~conformance.machine.RunAborted`: not conformant, and the run stopped
  at once without shrinking (the implementation hung; each attempt would wait
  out the timeout again);
* :class:`~conformance.loader.ImplementationError`: a harness error (exit 2).

A failure is then replayed from its trace without Hypothesis; if the replay
passes, the implementation is nondeterministic and the verdict says so.
Otherwise :func:`~dialcheck.conformance.harness.minimize.minimize` removes every step
the failure does not need and simplifies the rest before the trace is saved:
it does in milliseconds by replaying the trace what Hypothesis's shrinking did
in seconds by replaying whole examples (``docs/teeth.md``, "Shrinking").

The run opens with a bounded exhaustive pass (:func:`_open`): every event sequence of the
family's ``opening`` preset, shortest first, judged at the run's level, up to a budget of states
(``RunOptions.opening``; 0 turns it off).  A failure there is the verdict (found by the opening
pass, a shortest counterexample); otherwise the scopes it completed are certified and the random
examples follow.  Neither depends on time, so the same seed gives the same verdict.

On an engine other than this process (``--jobs N``, a Dask cluster) the examples run in seeded
chunks over its workers (:func:`_run_in_chunks`, ``docs/parallel.md``), and the opening pass's
shards go to it too.

Hypothesis settings come from three profiles registered at import:
``dialcheck-ci`` (derandomized, no example database), ``dialcheck-default``
and ``dialcheck-thorough`` (ten times the examples).  Deadlines are off: a
verdict never depends on timing.  Each implementation, profile and level gets
its own example database, so results never mix.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky
from hypothesis.stateful import run_state_machine_as_test

from dialcheck.conformance.formats.scheduler_format import AnyTrace, any_trace_to_json, parse_any_trace
from dialcheck.conformance.harness.family import family_of, replay_steps
from dialcheck.conformance.harness.ids import save_as_seen
from dialcheck.conformance.harness.minimize import settle
from dialcheck.conformance.harness.session import Failure, Nonconformance
from dialcheck.conformance.harness.waivers import get_waiver_problems
from dialcheck.conformance.harness.workers import Engine, InlineEngine, Job, SharedOpener, get_engine
from dialcheck.conformance.oracle.invariants import Situation
from dialcheck.conformance.runs.exhaustive import Explorer, ScopeResult, get_failing, get_opening, search_scopes
from dialcheck.conformance.runs.machine import Machine, RunAborted, RunContext
from dialcheck.conformance.runs.options import RunOptions
from dialcheck.spec.verdicts import ImplementationFault, Verdict

#: A run's context, of either family.
AnyRunContext = RunContext
#: A failure of either family.
AnyFailure = Nonconformance[Any]

__all__ = [
    "AnyRunContext",
    "Progress",
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
    failure: Optional[AnyFailure] = None
    flaky: Optional[str] = None
    saved: Optional[Path] = None
    situations: dict[Situation, int] = field(default_factory=dict)
    #: Seconds to the first failure seen (before shrinking), and the examples run by then, that one included.
    first_failure: Optional[float] = None
    first_failure_examples: Optional[int] = None
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
    #: What the opening exhaustive pass did, scope by scope (empty: it was off; its budget: ``options.opening``).
    opening: list[ScopeResult] = field(default_factory=list)
    #: Which search found the failure: ``exhaustive`` (the opening pass) or ``random`` (``None``: no failure).
    found_by: Optional[str] = None

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
    # Hypothesis's shrink phase replays whole examples; the minimizer does the shrinking (docs/teeth.md).
    phases = tuple(p for p in Phase if p not in (Phase.explain, Phase.shrink))
    return settings(
        parent,
        max_examples=options.get_examples(),
        stateful_step_count=options.steps,
        database=database,
        phases=phases,
    )


def _save(report: RunReport, failure: AnyFailure) -> Path:
    return _save_trace(report, failure.trace, failure.check.value)


def _save_trace(report: RunReport, trace: AnyTrace, label: str) -> Path:
    options = report.options
    return save_as_seen(
        trace, options.id_bytes, options.save_dir, f"{label}-{options.profile.value}-{options.level.value}"
    )


#: What the progress line is shown with: the run's context of either family, and the seconds so far.
Progress = Callable[[AnyRunContext, float], None]


def run_conformance(options: RunOptions, progress: Optional[Progress] = None) -> RunReport:
    """Run the opening exhaustive pass, then the machine of the profile's family, against ``options.factory``."""
    started = time.monotonic()
    engine = get_engine(options.engine, options.jobs)
    opening = _open(options, engine)
    failing = get_failing(opening)
    if failing is not None and failing.failure is not None:
        report = RunReport(options, opening=opening, found_by="exhaustive")
        report.aborted = failing.failure.failure.aborts_run  # the implementation hung: not shrunk
        report.first_failure = time.monotonic() - started
        report.first_failure_examples = 0
        _settle_failure(report, failing.failure)
        _settle_waivers(report, {}, {})
    else:
        report = _run_random(options, engine, progress, opening)
        if report.first_failure is not None:
            report.first_failure += sum(result.seconds for result in opening)
            report.found_by = "random"
    report.seconds = time.monotonic() - started
    return report


def _open(options: RunOptions, engine: Engine) -> list[ScopeResult]:
    """Run the opening exhaustive pass at the run's level, waivers applied; return its scopes' results."""
    if options.opening == 0:
        return []
    waived, command = options.get_waived(), "the opening exhaustive pass of dialcheck run"
    explorers = [
        Explorer(options.factory, options.profile, scope, options.origin, options.level, waived, command)
        for scope in get_opening(family_of(options.profile)).scopes
    ]
    return search_scopes(explorers, engine, options.opener, options.opening)


def _run_random(
    options: RunOptions, engine: Engine, progress: Optional[Progress], opening: list[ScopeResult]
) -> RunReport:
    """Run the random examples: here in one Hypothesis run, or in seeded chunks over the engine's workers."""
    if not isinstance(engine, InlineEngine):
        return _run_in_chunks(options, engine, progress, opening)
    context: AnyRunContext = RunContext(options.factory, options.profile, options.level, options.origin)
    context.waived = options.get_waived()
    report = RunReport(options, opening=opening)
    _run_examples(report, context, progress)
    _take_counts(report, context)
    report.first_failure = context.first_failure
    report.first_failure_examples = context.first_failure_examples
    if report.failure is not None:
        _settle_failure(report, report.failure)
    _settle_waivers(report, context.waived_hits, context.waived_traces)
    return report


def _run_examples(report: RunReport, context: AnyRunContext, progress: Optional[Progress]) -> None:
    """Run the examples under Hypothesis and note in ``report`` how the run ended: a failure, aborted, flaky."""
    options = report.options

    def make_machine() -> Machine:
        if progress is not None:
            progress(context, time.monotonic() - context.started)
        return Machine(context)

    seed = _get_seed(options)
    if seed is not None:
        make_machine = hypothesis_seed(seed)(make_machine)
    try:
        with _without_local_constants():
            _run_machine(make_machine, settings=_build_settings(options))
    except Nonconformance as failure:
        report.failure = failure
    except RunAborted as aborted:
        report.failure = aborted.failure
        report.aborted = True
    except Flaky as exc:
        report.flaky = _describe_flaky(exc, context.first_seen)
        seen = context.first_seen
        if isinstance(seen, Nonconformance):
            report.saved = _save_trace(report, seen.trace, Verdict.NONDETERMINISTIC.value)


@contextlib.contextmanager
def _without_local_constants() -> Iterator[None]:
    """Draw the run's examples without the literals of the host process's own modules.

    Hypothesis (from 6.131) mixes into what it draws the literals of every loaded "local" module: any
    module outside site-packages and the standard library. Which modules those are depends on the
    process, not on the run: an editable install of dialcheck, the user's test suite around the
    pytest plugin, a benchmark a test loaded. A derandomized run must draw the same examples wherever it
    runs (the same seed, the same verdict), so dialcheck's runs draw without them. The hook is
    Hypothesis's private ``providers._get_local_constants``; a release without it has nothing to hide.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis that moved its internals
        yield
        return
    hook: Any = providers
    original = getattr(hook, "_get_local_constants", None)
    if original is None or not hasattr(hook, "CONSTANTS_CACHE") or not hasattr(hook, "Constants"):
        yield  # pragma: no cover - a Hypothesis without local constants
        return
    empty = hook.Constants()
    hook._get_local_constants = lambda: empty
    hook.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        hook._get_local_constants = original
        hook.CONSTANTS_CACHE.cache.clear()


def _get_seed(options: RunOptions) -> Optional[int]:
    """Return the seed asked for; a derandomized run's is its family's own, never a digest of dialcheck's code."""
    if options.seed is None and options.hypothesis_profile == "ci":
        return family_of(options.profile).ci_seed
    return options.seed


def _take_counts(report: RunReport, context: AnyRunContext) -> None:
    """Copy the run's counters into its report: examples, steps, situations, executions."""
    report.examples, report.steps = context.examples, context.steps
    report.situations = dict(context.situations)
    report.executions, report.execution_skipped = context.executions, context.without_execution


def _settle_failure(report: RunReport, failure: AnyFailure) -> None:
    """Replay and minimize the failure (unless the run aborted: the implementation hung), then save it."""
    options = report.options
    if not report.aborted:
        failure, flaky = settle(failure, options.factory, options.level, options.origin, options.shrink)
        report.flaky = report.flaky or flaky
    report.failure = failure
    report.saved = _save(report, failure)


def _describe_flaky(exc: Flaky, seen: Optional[ImplementationFault]) -> str:
    """Say why a run is nondeterministic, with the failure first seen, which did not happen again."""
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = (
        "the implementation answered differently when the same sequence of steps was replayed "
        f"(it is nondeterministic: {first_line})"
    )
    if seen is not None:
        text += f"; the failure first seen, which did not recur: {seen.verdict}: {seen.message}"
    return text


def _settle_waivers(report: RunReport, waived: Mapping[Verdict, int], traces: Mapping[Verdict, AnyTrace]) -> None:
    """Count the waived failures (the opening pass's first), save the first trace of each, and say why the
    waivers fail the run, if they do."""
    options = report.options
    hits: Counter[Verdict] = Counter()
    firsts: dict[Verdict, AnyTrace] = {}
    for result in report.opening:
        for check, (count, trace) in result.waived.items():
            hits[check] += count
            firsts.setdefault(check, trace)
    hits.update(waived)
    traces = {**traces, **firsts}
    report.waived = dict(hits)
    for check, trace in traces.items():
        report.waived_saved[check] = _save_trace(report, trace, f"WAIVED-{check.value}")
    completed = report.failure is None and report.flaky is None
    today = options.today or datetime.date.today()
    report.waiver_problems = get_waiver_problems(options.get_waivers(), report.waived, today, completed)


# -- --jobs N ------------------------------------------------------------------

#: Examples per chunk when the run is spread over worker processes.
CHUNK_EXAMPLES = 100


@dataclass(frozen=True)
class _Chunk:
    """What one chunk of a parallel run found (picklable: the trace travels as text)."""

    examples: int
    steps: int
    seconds: float
    situations: dict[Situation, int]
    executions: int
    execution_skipped: bool
    first_failure: Optional[float]
    first_failure_examples: Optional[int]
    failure: Optional[str]
    aborted: bool
    flaky: Optional[str]
    waived: dict[Verdict, int]
    waived_traces: dict[Verdict, str]


def get_chunk_seed(seed: int, chunk: int) -> int:
    """Return the Hypothesis seed of chunk ``chunk`` of a run seeded ``seed``."""
    return int.from_bytes(hashlib.blake2b(f"{seed}/{chunk}".encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class _RunChunk:
    """What a worker does with one chunk (index, examples, seed): a seeded run without an example database.

    ``options`` travel without the parent's implementation, engine and opening pass; the worker's factory
    comes from the job's opener.
    """

    options: RunOptions

    def __call__(self, factory: Any, chunk: tuple[int, int, int]) -> _Chunk:
        _, examples, seed = chunk
        with tempfile.TemporaryDirectory(prefix="dialcheck-chunk-") as folder:
            mine = replace(
                self.options,
                factory=factory,
                examples=examples,
                seed=seed,
                hypothesis_profile="ci",
                save_dir=Path(folder),
            )
            return _get_chunk(run_conformance(mine))


def _get_chunk(report: RunReport) -> _Chunk:
    """Return what a chunk's run found, its traces as text."""
    failure = report.failure
    return _Chunk(
        examples=report.examples,
        steps=report.steps,
        seconds=report.seconds,
        situations=report.situations,
        executions=report.executions,
        execution_skipped=report.execution_skipped,
        first_failure=report.first_failure,
        first_failure_examples=report.first_failure_examples,
        failure=None if failure is None else json.dumps(any_trace_to_json(failure.trace)),
        aborted=report.aborted,
        flaky=report.flaky,
        waived=report.waived,
        waived_traces={check: path.read_text(encoding="utf-8") for check, path in report.waived_saved.items()},
    )


def _run_in_chunks(
    options: RunOptions, engine: Engine, progress: Optional[Progress], opening: list[ScopeResult]
) -> RunReport:
    """Run the examples in chunks of :data:`CHUNK_EXAMPLES` over the engine's workers, answers taken in chunk order.

    Chunk j runs with the seed :func:`get_chunk_seed` (``seed``, j).  The verdict is the failure of the
    lowest chunk that fails, and the counts are those of the chunks up to it, so the report is the same
    for a given seed whatever the engine and the number of workers.
    """
    report = RunReport(options, opening=opening)
    context: AnyRunContext = RunContext(options.factory, options.profile, options.level, options.origin)
    waived_traces: dict[Verdict, str] = {}
    found = _run_chunks(options, engine, context, waived_traces, progress)
    _take_counts(report, context)
    if found is not None:
        chunk, report.first_failure, report.first_failure_examples = found
        report.flaky, report.aborted = chunk.flaky, chunk.aborted
        if chunk.failure is not None:
            report.failure = _replay_here(options, report, parse_any_trace(json.loads(chunk.failure)))
            report.saved = _save(report, report.failure)
    traces = {check: parse_any_trace(json.loads(text)) for check, text in waived_traces.items()}
    _settle_waivers(report, context.waived_hits, traces)
    return report


def _run_chunks(
    options: RunOptions,
    engine: Engine,
    context: AnyRunContext,
    waived_traces: dict[Verdict, str],
    progress: Optional[Progress],
) -> Optional[tuple[_Chunk, float, int]]:
    """Run the chunks in order up to the first that fails; return that chunk, when and after how many examples."""
    started = context.started
    seed = options.seed if options.seed is not None else 0
    total = options.get_examples()
    chunks = (
        (j, min(CHUNK_EXAMPLES, total - j * CHUNK_EXAMPLES), get_chunk_seed(seed, j))
        for j in range(-(-total // CHUNK_EXAMPLES))
    )
    bare = replace(options, factory=None, engine=None, opener=None, jobs=1, opening=0)  # type: ignore[arg-type]
    job = Job(options.opener or SharedOpener(options.factory), _RunChunk(bare))
    with engine.open(job) as pool:
        for answer in pool.map(chunks):
            now = time.monotonic() - started
            before = context.examples
            _add_chunk(context, answer, waived_traces)
            if progress is not None:
                progress(context, now)
            if answer.failure is not None or answer.flaky:
                at = before + (answer.first_failure_examples or answer.examples)
                when = now - answer.seconds + (answer.first_failure or answer.seconds)
                return answer, when, at
    return None


def _add_chunk(context: AnyRunContext, answer: _Chunk, waived_traces: dict[Verdict, str]) -> None:
    """Add what one chunk found to the run's counters; keep the first trace of each waived check."""
    context.examples += answer.examples
    context.steps += answer.steps
    context.situations.update(answer.situations)
    context.executions += answer.executions
    context.without_execution |= answer.execution_skipped
    for check, count in answer.waived.items():
        context.waived_hits[check] += count
    for check, text in answer.waived_traces.items():
        waived_traces.setdefault(check, text)


def _replay_here(options: RunOptions, report: RunReport, trace: AnyTrace) -> AnyFailure:
    """Replay a worker's minimized counterexample here and return its failure (a pass is nondeterminism)."""
    failure = replay_steps(
        options.factory,
        trace.config,
        trace.profile,
        trace.steps,
        level=options.level,
        origin=options.origin,
        description=trace.description,
        waived=options.get_waived(),
    )
    if failure is not None:
        return failure
    report.flaky = report.flaky or (
        "the counterexample a worker found passed when replayed here from a fresh start, so the same calls got "
        "different answers (the implementation is nondeterministic)"
    )
    return Nonconformance(Failure(Verdict.NONDETERMINISTIC, report.flaky), trace)
