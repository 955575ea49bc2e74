"""What ``dialcheck run`` and ``check`` print and write: the failure report, statistics, verdict, JSON and JUnit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Optional

from dialcheck.conformance.formats.render import (
    format_node,
    format_node_id,
    format_tasks,
)
from dialcheck.conformance.formats.scheduler_format import SchedulerTrace, any_trace_to_json
from dialcheck.conformance.formats.trace import Trace
from dialcheck.conformance.harness.family import family_of
from dialcheck.conformance.harness.session import Nonconformance
from dialcheck.conformance.oracle.invariants import Situation
from dialcheck.conformance.reports.counterexample import get_step_views
from dialcheck.conformance.runs.exhaustive import CheckReport, ScopeResult, get_failing
from dialcheck.conformance.runs.runner import RunReport
from dialcheck.spec.model import Profile
from dialcheck.spec.scheduler import SchedulerConfig, SchedulerProfile
from dialcheck.spec.verdicts import Outcome, Verdict

__all__ = [
    "format_failure_report",
    "get_how",
    "format_opening",
    "format_check_report",
    "format_check_verdict",
    "write_check_json",
    "format_after_run",
    "format_waivers",
    "format_stats",
    "format_verdict",
    "write_json",
    "write_junit",
]


def _format_config(trace: Trace) -> str:
    config = trace.config
    me = config.self_id
    statics = ", ".join(format_node(n, me) for n in config.static)
    boots = ", ".join(format_node(n, me) for n in config.bootnodes)
    restrict = "none" if config.netrestrict is None else "[" + ", ".join(config.netrestrict) + "]"
    return (
        f"self {format_node_id(me)}, max_dyn_dials {config.max_dyn_dials}, static [{statics}], "
        f"bootnodes [{boots}], netrestrict {restrict}"
    )


def _format_scheduler_config(config: SchedulerConfig) -> str:
    restrict = "none" if config.netrestrict is None else "[" + ", ".join(config.netrestrict) + "]"
    return (
        f"self {format_node_id(config.self_id)}, max_dial_peers {config.max_dial_peers}, "
        f"max_active_dials {config.max_active_dials or '0 (50)'}, netrestrict {restrict}, "
        f"resolver {'yes' if config.resolver else 'no'}"
    )


def format_counterexample(failure: Nonconformance[Any]) -> list[str]:
    """Return the numbered steps of a counterexample, with what the implementation answered."""
    trace = failure.trace
    config = _format_scheduler_config(trace.config) if isinstance(trace, SchedulerTrace) else _format_config(trace)
    lines = [f"  config: {config}"]
    views = get_step_views(trace, failure.got)
    for view in views:
        text = f"  {view.number:>3}. {view.text}"
        if view.answer is not None:
            text += f"\n         -> {view.answer}"
        if view.number == len(views):
            text += f"   <== {failure.check}"
        lines.append(text)
    return lines


def format_after_run(report: RunReport) -> str:
    """Return what the implementation did wrong after the last example (a wire process left running)."""
    after = report.after_run
    assert after is not None
    return f"FAILED {after.verdict} (after the last example)\n  {after.message}"


def _format_failure(
    failure: Nonconformance[Any],
    profile: Profile | SchedulerProfile,
    how: str,
    saved: Optional[Path],
    subject: str,
) -> str:
    """Return a failure report: the check, expected and got, the counterexample, where it is saved."""
    me = failure.trace.config.self_id
    violations = failure.failure.violations
    also = [v.check for v in violations if v.check != failure.check]
    lines = [f"FAILED {failure.check}" + (f" (also breaks {', '.join(also)})" if also else "")]
    lines.append(f"  {failure.message}")
    if failure.check is Verdict.STRICT and violations:
        for violation in violations:
            lines.append(f"  {violation.check}: {violation.message}")
    if failure.failure.expected is not None:
        lines.append(f"  expected (reference {profile.value}): {format_tasks(failure.failure.expected, me)}")
    if failure.failure.got is not None:
        lines.append(f"  got: {format_tasks(failure.failure.got, me)}")
    lines.append(f"counterexample ({len(failure.trace.steps)} steps, {how}; times in seconds):")
    lines += format_counterexample(failure)
    if saved is not None:
        lines.append(f"saved as {saved}; reproduce without Hypothesis with:")
        lines.append(f"  dialcheck replay {subject} {saved}")
    return "\n".join(lines)


def get_how(report: RunReport) -> str:
    """Return how a run's counterexample was found and shrunk."""
    how = "not shrunk: the run stopped at once" if report.aborted else "minimized: no step removable"
    if report.found_by == "exhaustive":
        failing = get_failing(report.opening)
        assert failing is not None
        where = f"depth {failing.progress.depth} of scope {failing.scope.name}"
        return f"found by the opening exhaustive pass at {where} (shortest there), {how}"
    if report.found_by == "random":
        return f"found by the random examples{' after the opening pass' if report.opening else ''}, {how}"
    return how


def format_failure_report(report: RunReport) -> str:
    """Return the whole failure report of a run."""
    failure = report.failure
    assert failure is not None
    options = report.options
    return _format_failure(failure, options.profile, get_how(report), report.saved, options.get_subject())


def format_opening(report: RunReport) -> str:
    """Return what the opening exhaustive pass covered: a certificate per scope it completed, what the budget cut."""
    if not report.opening:
        return "opening exhaustive pass: off (--opening 0)"
    lines = [f"opening exhaustive pass (budget {report.options.opening:,} states):"]
    lines += [f"  {result.get_certificate()}" for result in report.opening if result.complete]
    lines += [f"  {result.get_partial()}" for result in report.opening if result.cut]
    failing = get_failing(report.opening)
    if failing is not None:
        lines.append(f"  a divergence at depth {failing.progress.depth} of scope {failing.scope.name}: above")
    return "\n".join(lines)


def format_check_report(report: CheckReport) -> str:
    """Return what an exhaustive check found: a certificate per scope checked, or the failure."""
    options = report.options
    lines = [result.get_certificate() for result in report.results if result.complete]
    if report.failure is not None:
        failing = get_failing(report.results)
        assert failing is not None
        depth = failing.progress.depth
        how = f"shortest: found at depth {depth} of scope {failing.scope.name}, then no step removable"
        lines.append(_format_failure(report.failure, options.profile, how, report.saved, options.get_subject()))
    if report.flaky is not None:
        lines.append(f"FAILED NONDETERMINISTIC\n  {report.flaky}")
    if report.after_run is not None:
        lines.append(f"FAILED {report.after_run.verdict} (after the last transition)\n  {report.after_run.message}")
    return "\n".join(lines)


def format_check_verdict(report: CheckReport) -> str:
    """Return the one-line verdict of an exhaustive check, printed last."""
    options = report.options
    reasons = [report.failure.check.value] if report.failure is not None else []
    reasons += [Verdict.NONDETERMINISTIC.value] if report.flaky is not None else []
    reasons += [report.after_run.verdict.value] if report.after_run is not None else []
    outcome = f"{Outcome.NOT_CONFORMANT.heading} ({', '.join(reasons)})" if reasons else Outcome.CONFORMANT.heading
    certified = sum(1 for result in report.results if result.complete)
    states = sum(result.progress.states for result in report.results)
    transitions = sum(result.progress.transitions for result in report.results)
    return (
        f"dialcheck check --exhaustive: {outcome} - {options.origin}, profile {options.profile.value}, "
        f"preset {options.preset}, {certified} scope(s) certified, {states:,} states, {transitions:,} transitions, "
        f"{report.seconds:.1f}s"
    )


def _untimed(document: dict[str, Any], timings: bool) -> dict[str, Any]:
    """Return ``document`` without its wall-clock figures (``seconds`` at any depth) when ``timings`` is off."""
    if timings:
        return document

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _TIMED}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    stripped: dict[str, Any] = strip(document)
    return stripped


#: The keys of wall-clock figures in dialcheck's JSON reports (``--no-timings`` leaves them out).
_TIMED = frozenset({"seconds", "seconds_to_verdict"})


def _get_scope_json(result: ScopeResult, timings: bool) -> dict[str, object]:
    """Return one scope of an exhaustive search, as the check and run reports write it."""
    return {
        "name": result.scope.name,
        "scope": result.scope.describe(),
        "depth": result.scope.depth,
        "explored_depth": result.progress.depth,
        "certified": result.complete,
        "certificate": result.get_certificate(timings) if result.complete else None,
        "states": result.progress.states,
        "transitions": result.progress.transitions,
        "states_by_depth": result.progress.states_by_depth,
        "transitions_by_depth": result.progress.transitions_by_depth,
        "seconds": round(result.seconds, 3),
    }


def write_check_json(report: CheckReport, path: Path, timings: bool = True) -> None:
    """Write an exhaustive check's result as ``dialcheck-check/1`` JSON (without wall-clock figures: ``timings``)."""
    failure = report.failure
    document = {
        "format": "dialcheck-check/1",
        "conformant": report.conformant,
        "origin": report.options.origin,
        "profile": report.options.profile.value,
        "preset": report.options.preset,
        "seconds": round(report.seconds, 3),
        "scopes": [_get_scope_json(result, timings) for result in report.results],
        "failure": None
        if failure is None
        else {
            "check": failure.check.value,
            "message": failure.message,
            "steps": len(failure.trace.steps),
            "trace": None if report.saved is None else str(report.saved),
        },
        "nondeterministic": report.flaky,
    }
    path.write_text(json.dumps(_untimed(document, timings), indent=2) + "\n", encoding="utf-8")


def format_waivers(report: RunReport) -> str:
    """Return what the waivers did: each waived check that failed, where, and why the waivers fail the run."""
    lines = []
    for check, count in sorted(report.waived.items()):
        saved = report.waived_saved.get(check)
        lines.append(f"WAIVED {check.value}: failed {count:,} time(s), as the waivers expect; first seen in {saved}")
    lines += [f"FAILED WAIVER: {problem}" for problem in report.waiver_problems]
    return "\n".join(lines)


def format_stats(report: RunReport) -> str:
    """Return how often each situation occurred during the run."""
    width = max(len(s.value) for s in Situation)
    lines = ["situations reached (count over all examples):"]
    for situation in Situation:
        count = report.situations.get(situation, 0)
        lines.append(f"  {situation.value:<{width}}  {count:>8,}" + ("   (never)" if count == 0 else ""))
    return "\n".join(lines)


def format_verdict(report: RunReport) -> str:
    """Return the one-line verdict printed last."""
    options = report.options
    reasons: list[str] = [report.failure.check.value] if report.failure is not None else []
    if report.flaky is not None:
        reasons.append(Verdict.NONDETERMINISTIC.value)
    if report.after_run is not None:
        reasons.append(report.after_run.verdict.value)
    if report.waiver_problems:
        reasons.append("WAIVERS")
    outcome = f"{Outcome.NOT_CONFORMANT.heading} ({', '.join(reasons)})" if reasons else Outcome.CONFORMANT.heading
    if report.waived:
        outcome += f" (waived: {', '.join(sorted(c.value for c in report.waived))})"
    found = "; found by the opening exhaustive pass" if report.found_by == "exhaustive" else ""
    # AD-5: "it MUST still run an implementation without the capability, and MUST say in its verdict that the execution
    # checks were not run".
    execution = (
        ""  # a family whose answers carry what its tasks did (the dialScheduler's runs): every step counts
        if not family_of(options.profile).execution_optional
        else "; execution checks NOT run: the implementation has no execute capability"
        if report.execution_skipped
        else f", {report.executions:,} task executions"
    )
    return (
        f"dialcheck run: {outcome} - {options.origin}, profile {options.profile.value}, "
        f"level {options.level.value}, {report.examples:,} examples, {report.steps:,} steps, "
        f"{report.seconds:.1f}s{execution}{found}"
    )


def _as_dict(report: RunReport, timings: bool = True) -> dict[str, Any]:
    options = report.options
    failure = report.failure
    out: dict[str, object] = {
        "verdict": Outcome.of(report.conformant).value,
        "implementation": options.origin,
        "profile": options.profile.value,
        "level": options.level.value,
        "examples": report.examples,
        "steps": report.steps,
        "seconds": round(report.seconds, 3),
        "nondeterministic": report.flaky,
        "executions": report.executions,
        "execution_checks": "skipped" if report.execution_skipped else "run",
        "after_run": None
        if report.after_run is None
        else {"check": report.after_run.verdict, "message": report.after_run.message},
        "situations": {s.name: report.situations.get(s, 0) for s in Situation},
        "waived": {
            check.value: {"failures": count, "saved": str(report.waived_saved[check])}
            for check, count in sorted(report.waived.items())
        },
        "waiver_problems": list(report.waiver_problems),
        "failure": None,
        "found_by": report.found_by,
        "opening": {
            "budget_states": report.options.opening,
            "scopes": [_get_scope_json(result, timings) for result in report.opening],
        },
    }
    if failure is not None:
        out["failure"] = {
            "check": failure.check,
            "also": [v.check for v in failure.failure.violations if v.check != failure.check],
            "message": failure.message,
            "step": len(failure.trace.steps),
            "saved": None if report.saved is None else str(report.saved),
            "trace": any_trace_to_json(failure.trace),
        }
    return out


def write_json(report: RunReport, path: Path, timings: bool = True) -> None:
    """Write the report as JSON (without wall-clock figures: ``timings``)."""
    document = _untimed(_as_dict(report, timings), timings)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_junit(report: RunReport, path: Path) -> None:
    """Write the report as a JUnit XML test suite with one test case."""
    options = report.options
    failed = not report.conformant
    suite = ET.Element(
        "testsuite",
        name="dialcheck",
        tests="1",
        failures="1" if failed else "0",
        errors="0",
        time=f"{report.seconds:.3f}",
    )
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"dialcheck.{options.level.value}",
        name=f"{options.origin} [{options.profile.value}]",
        time=f"{report.seconds:.3f}",
    )
    if report.failure is not None:
        node = ET.SubElement(case, "failure", message=f"{report.failure.check}: {report.failure.message}")
        node.text = format_failure_report(report)
    elif report.flaky is not None:
        ET.SubElement(case, "failure", message=report.flaky)
    elif report.after_run is not None:
        ET.SubElement(case, "failure", message=f"{report.after_run.verdict}: {report.after_run.message}")
    elif report.waiver_problems:
        ET.SubElement(case, "failure", message="; ".join(report.waiver_problems))
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
