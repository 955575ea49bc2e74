"""A counterexample as a reader needs it: the failing step, the requirement it breaks, every step, the timeline.

Theory of operation
-------------------
A failure of any command (a run's or a check's :class:`Nonconformance`, a replayed trace's failing
step) comes to one :class:`Counterexample`: a plain value, so that a matrix cell can carry it back
from the worker that ran it.  It holds what the text report prints (the check and the other checks
the step broke, the message, what the reference expected and what the implementation answered, each
step with its answer) and what the HTML report draws besides: the instant of each step, the
requirement the check stands for with its MUST sentence quoted from the family's spec, and the
:class:`~dialcheck.conformance.reports.timeline.Timeline`.  A failure found below ``strict`` level
was judged by the named checks alone and has no expectation; where the reference agreed with every
step before the failing one, its answer there is shown as what was expected (what geth would have done).

:func:`get_requirement` finds the requirement: a named check is a requirement ID itself (``SC_HISTORY``,
``EX-WAIT-1``); ``STRICT`` breaks the family's comparison requirement (``AD-2``, ``SC-CHOICE-2``); any
other verdict is the requirement whose sentence names it (``WIRE_HUNG``: ``WIRE-5``).
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

from dialcheck.conformance.formats.render import format_allowed, format_any_step, format_response, format_tasks
from dialcheck.conformance.formats.scheduler_format import AnyTrace, EventStep, SchedulerTrace, get_answer
from dialcheck.conformance.formats.trace import NewTasksStep
from dialcheck.conformance.harness.family import family_of
from dialcheck.conformance.harness.replay import get_reference_expectation
from dialcheck.conformance.harness.session import Failure, Nonconformance
from dialcheck.conformance.reports.timeline import Timeline, get_timeline, trace_instants
from dialcheck.spec.verdicts import Verdict

__all__ = ["StepView", "Counterexample", "get_counterexample", "get_step_views", "get_requirement"]


@dataclass(frozen=True)
class StepView:
    """One step as the reports show it: its number, instant, what it did and what the implementation answered."""

    number: int
    at: int
    text: str
    answer: Optional[str]


@dataclass(frozen=True)
class Counterexample:
    """Everything a report shows of one failure, of either family."""

    check: str
    also: tuple[str, ...]
    message: str
    #: Every named check the failing step broke, with why and its requirement (a ``STRICT`` failure lists them all).
    violations: tuple[tuple[str, str, Optional[tuple[str, str]]], ...]
    #: The requirement ID ``check`` stands for, and its sentence from the spec (``None``: no requirement names it).
    requirement: Optional[tuple[str, str]]
    expected: Optional[str]
    got: Optional[str]
    family: str
    profile: str
    steps: tuple[StepView, ...]
    timeline: Timeline
    #: How it was found and shrunk, where its trace is saved, and the command that replays it.
    how: str = ""
    saved: Optional[str] = None
    replay: Optional[str] = None

    @property
    def failing(self) -> StepView:
        """Return the failing step (the last)."""
        return self.steps[-1]


def get_counterexample(
    failure: Nonconformance[Any] | tuple[Failure, AnyTrace],
    how: str = "",
    saved: Optional[str] = None,
    replay: Optional[str] = None,
) -> Counterexample:
    """Return the counterexample of a failure: a ``Nonconformance``, or a replay's failure and its trace."""
    found, trace = (failure.failure, failure.trace) if isinstance(failure, Nonconformance) else failure
    family = family_of(trace.profile)
    me = trace.config.self_id
    expected: Optional[str] = None
    got: Optional[str] = None
    if isinstance(trace, SchedulerTrace):
        last = trace.steps[-1] if trace.steps else None
        allowed = None if last is None else last.expect
        if allowed is None and last is not None and last.answer is not None:
            allowed = get_reference_expectation(trace)  # found below strict: what geth would have done
        answer = None if last is None else last.answer
        expected = None if allowed is None else format_allowed(allowed, me)
        got = None if answer is None else format_response(answer, me)
        timeline = get_timeline(trace, found.verdict.value, allowed, answer)
    else:
        tasks = found.expected
        if tasks is None and found.got is not None and trace.steps and isinstance(trace.steps[-1], NewTasksStep):
            tasks = get_reference_expectation(trace)  # found below strict: what geth would have done
        expected = None if tasks is None else format_tasks(tasks, me)
        got = None if found.got is None else format_tasks(found.got, me)
        timeline = get_timeline(trace, found.verdict.value, tasks, found.got)
    return Counterexample(
        check=found.verdict.value,
        also=tuple(v.value for v in found.also),
        message=found.message,
        violations=tuple(
            (v.check.value, v.message, get_requirement(v.check, family.strict_requirement, family.name.value))
            for v in found.violations
        ),
        requirement=get_requirement(found.verdict, family.strict_requirement, family.name.value),
        expected=expected,
        got=got,
        family=family.name.value,
        profile=trace.profile.value,
        steps=tuple(get_step_views(trace, found.got)),
        timeline=timeline,
        how=how,
        saved=saved,
        replay=replay,
    )


def get_step_views(trace: AnyTrace, got: Optional[Sequence[Any]] = None) -> list[StepView]:
    """Return every step of a counterexample with its instant and what the implementation answered.

    A dialScheduler step shows its answer but at the failing step (the failure says it); a dialstate
    ``new_tasks`` step shows its tasks, the failing one ``got`` where the failure has it.
    """
    me = trace.config.self_id
    views = []
    last = len(trace.steps)
    step: Any
    for number, (step, now) in enumerate(zip(trace.steps, trace_instants(trace), strict=True), 1):
        shown: Optional[str] = None
        if isinstance(step, EventStep):
            answer = get_answer(step) if number != last else None
            shown = None if answer is None else format_response(answer, me)
        elif isinstance(step, NewTasksStep):
            tasks = got if number == last and got is not None else step.expect
            shown = None if tasks is None else format_tasks(tasks, me)
        views.append(StepView(number, now, format_any_step(step, me), shown))
    return views


_REQUIREMENT = re.compile(r"^\*\*([A-Z][A-Z0-9_]*(?:-[A-Z0-9]+)*)(?: \([^)]*\))?\.\*\*(.*?)(?:\n\s*\n|\Z)", re.M | re.S)
#: Each family's specification first, then the other's.
_SPECS = {"dialstate": ("dialstate.md", "scheduler.md"), "dialScheduler": ("scheduler.md", "dialstate.md")}


@functools.lru_cache(maxsize=None)
def _get_requirements(document: str) -> dict[str, str]:
    """Return every requirement of a spec document: its ID and its sentence on one line."""
    text = importlib.resources.files("dialcheck.spec").joinpath(document).read_text(encoding="utf-8")
    return {match[1]: " ".join(match[2].split()) for match in _REQUIREMENT.finditer(text)}


def get_requirement(check: Verdict, strict_requirement: str, family: str) -> Optional[tuple[str, str]]:
    """Return the requirement ``check`` stands for and its sentence, from the family's spec first."""
    documents = [_get_requirements(name) for name in _SPECS.get(family, ("dialstate.md", "scheduler.md"))]
    wanted = strict_requirement if check is Verdict.STRICT else check.value
    for requirements in documents:
        if wanted in requirements:
            return wanted, requirements[wanted]
    named = re.compile(rf"(?<![A-Z_]){re.escape(check.value)}(?![A-Z_])")
    for requirements in documents:
        for requirement, sentence in requirements.items():
            if named.search(sentence):
                return requirement, sentence
    return None
