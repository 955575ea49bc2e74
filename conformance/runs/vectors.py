"""``dialcheck vectors generate``: a deterministic corpus of traces for suites in any language.

Theory of operation
-------------------
The corpus has two kinds of trace, each a ``dialcheck-trace/1`` file with three
extension keys: ``x-covers`` (the requirement IDs it covers), ``x-kind``
(``scenario`` or ``explored``) and ``x-generator`` (:data:`GENERATOR`).

* *Scenarios* are the hand-written traces in ``conformance/scenarios`` (one or
  more per requirement; their descriptions start "Covers ID, ID, ..."; the
  dialScheduler's in ``scheduler_scenarios``), replayed against the reference,
  which must agree with every hand-computed expectation, and written with the
  reference's answers under their own profile and every other that can run them.
* *Explored* traces are seeded random walks (:mod:`conformance.explore`): of
  dialstate, with and without task execution, and of the dialScheduler
  (``scheduler/``, each ending after the first event that leaves a choice among
  static nodes, so that any conformant implementation can replay all of it).

``index.json`` lists every file with its name, kind, profile and coverage,
and the arguments that made the corpus.  Nothing depends on the clock, the
platform or the Hypothesis release: the same arguments give the same bytes.
A copy made with the default arguments ships in ``conformance/corpus``
(:data:`CORPUS_DIR`), and a test fails if regenerating it would change it.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from dialcheck.conformance.formats.scheduler_format import (
    AnyTrace,
    EventStep,
    SchedulerTrace,
    any_trace_to_json,
    load_any_trace,
)
from dialcheck.conformance.formats.trace import ExecuteStep, NewTasksStep, Step, Trace, load_trace
from dialcheck.conformance.harness.family import DIALSTATE, AnyProfile
from dialcheck.conformance.harness.replay import format_failure, replay_trace
from dialcheck.conformance.harness.session import Nonconformance, SchedulerSession
from dialcheck.conformance.runs.explore import ADAPTER_COVERED, explore_scheduler_trace, explore_trace
from dialcheck.reference.dialstate import Dialstate
from dialcheck.reference.scheduler import create_scheduler
from dialcheck.spec.execution import Execution, ExecutionInput
from dialcheck.spec.model import Config, ConnFlag, Node, NodeID, Profile, Task, get_task_snapshot
from dialcheck.spec.scheduler import SchedulerProfile
from dialcheck.spec.verdicts import BadInput, HarnessError, Verdict

__all__ = [
    "GENERATOR",
    "INDEX",
    "CORPUS_DIR",
    "SCENARIO_DIR",
    "SCHEDULER_SCENARIO_DIR",
    "DEFAULT_SEED",
    "DEFAULT_COUNT",
    "DEFAULT_STEPS",
    "VectorError",
    "VectorEntry",
    "generate_vectors",
    "get_scenario_covers",
]

#: Names the generator and its output format; changes when the bytes it writes for the same
#: arguments change.
GENERATOR = "dialcheck-vectors/5"
INDEX = "index.json"
CORPUS_DIR = Path(__file__).parents[1] / "corpus"
SCENARIO_DIR = Path(__file__).parents[1] / "scenarios"
SCHEDULER_SCENARIO_DIR = Path(__file__).parents[1] / "scheduler_scenarios"
DEFAULT_SEED = 1
DEFAULT_COUNT = 16
DEFAULT_STEPS = 50
_SCHEDULING_SEEDS = 500_000
_SCHEDULER_SEEDS = 700_000
_COVERS = re.compile(r"^Covers ([A-Z0-9_, -]+?)[.(]")


class VectorError(BadInput):
    """The corpus cannot be generated: a scenario disagrees with the reference, or a path is unusable."""


@dataclass(frozen=True)
class VectorEntry:
    """One file of the corpus, as the index lists it."""

    file: str
    name: str
    kind: str
    profile: str
    covers: tuple[str, ...]
    description: str


def get_scenario_covers(trace: AnyTrace) -> tuple[str, ...]:
    """Return the requirement IDs a scenario's description says it covers ("Covers A, B. ..."), and AD-1..3."""
    match = _COVERS.match(trace.description or "")
    if match is None:
        raise VectorError(f"scenario {trace.name!r}: its description must start with 'Covers ID, ID, ...'")
    return tuple(sorted({part.strip() for part in match.group(1).split(",") if part.strip()} | set(ADAPTER_COVERED)))


class _Recorder:
    """The reference, remembering each ``new_tasks`` answer."""

    def __init__(self, config: Config, profile: Profile) -> None:
        self.inner = Dialstate(config, profile)
        self.answers: list[tuple[Task, ...]] = []
        self.executions: list[Execution] = []

    def new_tasks(self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]) -> list[Task]:
        answer = self.inner.new_tasks(running, peers, now, table)
        # Executing a static task later changes its destination: record the answer as it is now.
        self.answers.append(tuple(map(get_task_snapshot, answer)))
        return answer

    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        self.inner.task_done(task, now, results)

    def add_static(self, node: Node) -> None:
        self.inner.add_static(node)

    def remove_static(self, node: Node) -> None:
        self.inner.remove_static(node)

    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        execution = self.inner.execute(task, inputs)
        self.executions.append(execution)
        return execution


def _expect_reference(trace: Trace, profile: Profile) -> Trace:
    """Return ``trace`` under ``profile`` with every new_tasks step expecting the reference's answer."""
    recorders: list[_Recorder] = []

    def factory(config: Config, chosen: Profile) -> _Recorder:
        recorders.append(_Recorder(config, chosen))
        return recorders[-1]

    keep = profile is trace.profile
    result = replay_trace(trace if keep else _drop_expectations(trace), factory, profile)
    if not result.passed:
        raise VectorError(f"scenario {trace.name!r} disagrees with the reference:\n{format_failure(result)}")
    answers, executions = iter(recorders[0].answers), iter(recorders[0].executions)
    steps: list[Step] = []
    for step in trace.steps:
        if isinstance(step, NewTasksStep):
            step = replace(step, expect=next(answers))
        elif isinstance(step, ExecuteStep):
            step = replace(step, expect=next(executions))
        steps.append(step)
    return replace(trace, profile=profile, steps=tuple(steps))


def _answer_under(trace: Trace, profile: Profile) -> Optional[Trace]:
    """Return ``trace`` answered by the reference under ``profile``; ``None`` if another profile cannot run it.

    Under its own profile a scenario that disagrees with the reference stops generation; under
    another, its steps may name a task that profile never returns (a dial its history blocks).
    """
    try:
        return _expect_reference(trace, profile)
    except VectorError:
        if profile is trace.profile:
            raise
        return None


def _drop_expectations(trace: Trace) -> Trace:
    return replace(trace, steps=tuple(DIALSTATE.strip_expectation(s) for s in trace.steps))


def _write(out: Path, relative: str, trace: AnyTrace, kind: str, covers: tuple[str, ...]) -> VectorEntry:
    document = any_trace_to_json(trace)
    document.update({"x-covers": list(covers), "x-kind": kind, "x-generator": GENERATOR})
    path = out / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return VectorEntry(relative, trace.name, kind, trace.profile.value, covers, trace.description or "")


def generate_vectors(
    out: Path,
    seed: int = DEFAULT_SEED,
    count: int = DEFAULT_COUNT,
    profile: Optional[AnyProfile] = None,
    steps: int = DEFAULT_STEPS,
    scenarios: Path = SCENARIO_DIR,
    scheduler_scenarios: Path = SCHEDULER_SCENARIO_DIR,
) -> list[VectorEntry]:
    """Write the corpus to ``out`` (replacing an earlier corpus there) and return the index entries."""
    try:
        return _generate(out, seed, count, profile, steps, scenarios, scheduler_scenarios)
    except OSError as exc:
        raise VectorError(f"cannot write the corpus to {out}: {exc.strerror or exc}") from None


def _generate(
    out: Path,
    seed: int,
    count: int,
    profile: Optional[AnyProfile],
    steps: int,
    scenarios: Path,
    scheduler_scenarios: Path,
) -> list[VectorEntry]:
    for stale in ("scenarios", "explored", "scheduling", "scheduler"):
        shutil.rmtree(out / stale, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "" if profile is None else f"-{profile.value}"
    # A profile asked for is of one family: only that family's traces are written, every one under it.
    entries = []
    if profile is None or isinstance(profile, Profile):
        entries += _generate_dialstate(out, seed, count, profile, steps, scenarios, suffix)
    if profile is None or isinstance(profile, SchedulerProfile):
        entries += _generate_scheduler_scenarios(out, profile, scheduler_scenarios, suffix)
        for i in range(count):
            chosen = profile or list(SchedulerProfile)[i % len(SchedulerProfile)]
            name = f"scheduler-{seed}-{i:03d}"
            walk, covers = explore_scheduler_trace(seed * 1_000_003 + _SCHEDULER_SEEDS + i, chosen, steps, name)
            entries.append(_write(out, f"scheduler/{name}{suffix}.json", walk, "explored", covers))
    return _write_index(out, entries, seed, count, profile, steps)


def _generate_scheduler_scenarios(
    out: Path, profile: Optional[SchedulerProfile], scenarios: Path, suffix: str
) -> list[VectorEntry]:
    """Write the dialScheduler scenarios under their own profile and every other that can run them (or ``profile``)."""
    entries = []
    for path in sorted(scenarios.glob("*.json")):
        trace = load_any_trace(path)
        if not isinstance(trace, SchedulerTrace):
            raise VectorError(f"scenario {path}: a dialstate trace among the dialScheduler scenarios")
        covers = get_scenario_covers(trace)
        result = replay_trace(trace, create_scheduler)
        if not result.passed:
            raise VectorError(f"scenario {trace.name!r} disagrees with the reference:\n{format_failure(result)}")
        for chosen in [profile] if profile is not None else list(SchedulerProfile):
            answered = _answer_scheduler_under(trace, chosen)
            if answered is None:
                continue
            stem = path.stem if chosen is trace.profile and profile is None else f"{path.stem}@{chosen.value}"
            entries.append(_write(out, f"scheduler/scenarios/{stem}{suffix}.json", answered, "scenario", covers))
    return entries


def _answer_scheduler_under(trace: SchedulerTrace, profile: SchedulerProfile) -> Optional[SchedulerTrace]:
    """Return ``trace``'s events answered by the reference under ``profile``; ``None``: that profile cannot run them."""
    session = SchedulerSession.create(create_scheduler, trace.config, profile, origin="the reference")
    try:
        for step in trace.steps:
            session.on_event(step.event)
    except Nonconformance as failure:
        if failure.check is Verdict.MISSING_TASK:  # an event that profile cannot have (a dial it never started)
            return None
        raise HarnessError(f"the reference broke {failure.check} on {trace.name!r} under {profile.value}") from None
    steps = tuple(EventStep(s.event, s.expect, s.chosen) for s in session.steps)
    if profile is trace.profile:
        return replace(trace, steps=steps)
    description = f"Under {profile.value}, with the reference's answers (written for {trace.profile.value}). "
    return replace(
        trace,
        name=f"{trace.name}@{profile.value}",
        profile=profile,
        steps=steps,
        description=description + (trace.description or ""),
    )


def _generate_dialstate(
    out: Path, seed: int, count: int, profile: Optional[Profile], steps: int, scenarios: Path, suffix: str
) -> list[VectorEntry]:
    """Write the dialstate scenarios (each under every profile, or under ``profile``) and walks."""
    entries = []
    for path in sorted(scenarios.glob("*.json")):
        trace = load_trace(path)
        expected = _answer_under(trace, profile or trace.profile)
        if expected is None:
            continue
        covers = get_scenario_covers(trace)
        entries.append(_write(out, f"scenarios/{path.stem}{suffix}.json", expected, "scenario", covers))
        if profile is not None:
            continue
        # Every scenario also under every other profile, with the reference's answers, so that an
        # implementation serving one profile replays all of them.
        for other in (p for p in Profile if p is not trace.profile):
            answered = _answer_under(trace, other)
            if answered is None:
                continue
            answered = replace(
                answered,
                name=f"{trace.name}@{other.value}",
                description=f"Under {other.value}, with the reference's answers (written for "
                f"{trace.profile.value}). {trace.description}",
            )
            entries.append(_write(out, f"scenarios/{path.stem}@{other.value}.json", answered, "scenario", covers))
    for i in range(count):
        chosen = profile or list(Profile)[i % len(Profile)]
        # Walks that execute every task they finish, and scheduling-only walks (AD-5) on other seeds.
        for folder, execute, offset in (("explored", True, 0), ("scheduling", False, _SCHEDULING_SEEDS)):
            name = f"{folder}-{seed}-{i:03d}"
            trace, covers = explore_trace(seed * 1_000_003 + offset + i, chosen, steps, name, execute)
            entries.append(_write(out, f"{folder}/{name}{suffix}.json", trace, "explored", covers))
    return entries


def _write_index(
    out: Path, entries: list[VectorEntry], seed: int, count: int, profile: Optional[AnyProfile], steps: int
) -> list[VectorEntry]:
    """Write ``index.json`` listing ``entries`` and the arguments; return the entries."""
    vectors = [
        {
            "file": e.file,
            "name": e.name,
            "kind": e.kind,
            "profile": e.profile,
            "covers": list(e.covers),
            "description": e.description,
        }
        for e in entries
    ]
    index = {
        "format": GENERATOR,
        "arguments": {
            "seed": seed,
            "count": count,
            "profile": None if profile is None else profile.value,
            "steps": steps,
        },
        "vectors": vectors,
    }
    (out / INDEX).write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return entries
