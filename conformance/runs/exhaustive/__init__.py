"""Bounded exhaustive checking: every event sequence of a small scope, breadth first, merged by the reference's state.

Theory of operation
-------------------
A :class:`Scope` declares a small world: configurations and start instants
(the roots), what the discovery table may hold, which nodes may connect
inbound or be added and removed as statics, what a lookup may return, the
abstract instants the clock may move to (:class:`Instant`: no time, 1 ns, the
fallback and expiry boundaries exactly and 1 ns past, far future, 1 ns back)
and a depth.  :func:`check_exhaustively` explores every sequence of the
scope's events (:func:`get_events`) up to that depth, breadth first, from
every root:

* every transition (a state and one event) is replayed from its root into a
  fresh session of the implementation, judged at ``strict`` level against the
  reference twin and the named checks, exactly as ``dialcheck run`` judges
  (the same :class:`~dialcheck.conformance.harness.world.World` and
  :class:`~dialcheck.conformance.harness.session.Session`; one ``--cmd`` process
  serves every session);
* the state a transition reaches is the reference twin's
  :meth:`~dialcheck.reference.dialstate.Dialstate.get_snapshot` together with
  the world around it (:func:`get_state_key`); a state seen before is not
  explored again, so sequences that reach the same reference state merge and
  the depth grows cheaply;
* the first failing transition is a shortest counterexample in events (the
  search is breadth first); it is saved as a trace that ``dialcheck replay``
  reproduces.  Otherwise the result is a certificate: "no divergence in scope
  S up to depth N: K states, M transitions, T s".

What the certificate promises: every event of the scope was applied, and
judged, in every reference state reachable within the depth, each state
reached by its first shortest path.  An implementation whose own state
differs between two paths to the same reference state is judged on the
first; that is what merging means.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from dialcheck.conformance.harness.family import DIALSTATE, AnyProfile, Family, family_of
from dialcheck.conformance.harness.ids import save_as_seen
from dialcheck.conformance.harness.minimize import settle
from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.harness.workers import Engine, FactoryOpener, get_engine
from dialcheck.conformance.runs.exhaustive.dialstate import PRESETS, Instant, Outcome, Scope, ScopeDraws, get_state_key
from dialcheck.conformance.runs.exhaustive.scheduler import SCHEDULER_PRESETS, SchedulerScope, get_scheduler_state_key
from dialcheck.conformance.runs.exhaustive.search import (
    AnyFailure,
    Explorer,
    Preset,
    Progress,
    ScopeResult,
    Transition,
    check_scope,
    get_failing,
    search_scopes,
)
from dialcheck.spec.model import Profile
from dialcheck.spec.releases import FamilyName
from dialcheck.spec.verdicts import BadInput, ImplementationFault, Verdict

__all__ = [
    "Instant",
    "Outcome",
    "Scope",
    "ScopeDraws",
    "SchedulerScope",
    "Preset",
    "PRESETS",
    "SCHEDULER_PRESETS",
    "get_presets",
    "get_opening",
    "get_scopes",
    "get_state_key",
    "get_scheduler_state_key",
    "Transition",
    "Explorer",
    "Progress",
    "ScopeResult",
    "check_scope",
    "get_failing",
    "search_scopes",
    "CheckOptions",
    "CheckReport",
    "run_exhaustive",
]

_PRESETS_BY_FAMILY: dict[FamilyName, dict[str, Preset]] = {
    FamilyName.DIALSTATE: PRESETS,
    FamilyName.DIAL_SCHEDULER: SCHEDULER_PRESETS,
}


def get_presets(family: Family) -> dict[str, Preset]:
    """Return the presets of ``family``, by name."""
    return _PRESETS_BY_FAMILY[family.name]


def get_opening(family: Family) -> Preset:
    """Return the preset ``run``'s opening pass explores for ``family``."""
    return get_presets(family)["opening"]


def get_scopes(name: str, depth: Optional[int] = None, family: Family = DIALSTATE) -> tuple[Any, ...]:
    """Return the scopes of ``family``'s preset called ``name`` (or the one scope ``preset/part``), at ``depth``."""
    presets = get_presets(family)
    preset_name = name.split("/")[0]
    preset = presets.get(preset_name)
    scopes = () if preset is None else tuple(s for s in preset.scopes if name in (preset_name, s.name))
    if not scopes:
        known = ", ".join(sorted([*presets, *(s.name for p in presets.values() for s in p.scopes if "/" in s.name)]))
        raise BadInput(f"no exhaustive scope called {name!r} in the {family.name.value} family; choose one of {known}")
    if depth is None:
        return scopes
    return tuple(replace(scope, depth=depth) for scope in scopes)


@dataclass(frozen=True)
class CheckOptions:
    """What ``dialcheck check --exhaustive`` was asked to do (the profile names the family)."""

    factory: Any
    origin: str
    profile: AnyProfile = Profile.GETH_1_7
    preset: str = "tiny"
    depth: Optional[int] = None
    save_dir: Path = Path("dialcheck-failures")
    #: How to name the implementation on dialcheck's command line (default ``--impl ORIGIN``).
    subject: Optional[str] = None
    id_bytes: Optional[int] = None
    jobs: int = 1
    #: Makes the implementation in each worker when ``jobs`` > 1 (default: ``factory`` itself, inherited).
    opener: Optional[FactoryOpener] = None
    #: Where the shards go (default: ``jobs`` local processes, or here).
    engine: Optional[Engine] = None

    def get_subject(self) -> str:
        """Return the command-line options that select this implementation, for reproduce hints."""
        return self.subject if self.subject is not None else f"--impl {self.origin}"


@dataclass
class CheckReport:
    """The outcome of every scope of a preset, the failure (minimized) and where it is saved."""

    options: CheckOptions
    results: list[ScopeResult] = field(default_factory=list)
    failure: Optional[AnyFailure] = None
    flaky: Optional[str] = None
    saved: Optional[Path] = None
    seconds: float = 0.0
    #: What the implementation did wrong after the last transition (a wire process left running).
    after_run: Optional[ImplementationFault] = None

    @property
    def conformant(self) -> bool:
        """Return whether every scope was certified."""
        return self.failure is None and self.flaky is None and self.after_run is None


def run_exhaustive(options: CheckOptions, on_depth: Optional[Callable[[ScopeResult], None]] = None) -> CheckReport:
    """Check every scope of the preset, a depth of each at a time; the first failure is replayed, minimized, saved."""
    started = time.monotonic()
    report = CheckReport(options)
    scopes = get_scopes(options.preset, options.depth, family_of(options.profile))
    explorers = [Explorer(options.factory, options.profile, scope, options.origin) for scope in scopes]
    engine = get_engine(options.engine, options.jobs)
    report.results = search_scopes(explorers, engine, options.opener, None, on_depth)
    failing = get_failing(report.results)
    if failing is not None and failing.failure is not None:
        _settle(report, failing.failure)
    report.seconds = time.monotonic() - started
    return report


def _settle(report: CheckReport, failure: AnyFailure) -> None:
    """Check that the failure replays from its trace, remove every step it does not need, save it."""
    options = report.options
    if failure.check is not Verdict.NONDETERMINISTIC:
        failure, report.flaky = settle(failure, options.factory, Level.STRICT, options.origin)
    report.failure = failure
    stem = f"{failure.check.value}-{options.profile.value}-exhaustive"
    report.saved = save_as_seen(failure.trace, options.id_bytes, options.save_dir, stem)
