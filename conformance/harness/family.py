"""The model families as values: what differs between geth's dialer generations, in one place.

Theory of operation
-------------------
dialcheck models two generations of geth's dial scheduler, each a *family*:
``dialstate`` (geth v1.6.0-v1.9.10, ``Session`` of ``new_tasks`` and task steps) and the
``dialScheduler`` (geth v1.9.11 on, ``SchedulerSession`` told of events).  A
:class:`Family` holds what is the family's own: its profiles, its session (step
methods, checkers and reference twin), its trace type, the reference's ``--impl``
spelling, and how the minimizer simplifies its configurations and steps.
:func:`family_of` names the family of a profile.  Everything else (creating a
session, replaying steps, settling and minimizing a failure, the run, the subject,
the command line and the pytest plugin) is written once over the family, so a
third family is one more :class:`Family` value here and its own modules.

=================  ====================================  ==========================================
                   dialstate                             dialScheduler
=================  ====================================  ==========================================
profiles           ``Profile`` (geth-1.6 ... 1.9.7)      ``SchedulerProfile`` (geth-1.9.11 on)
session            ``Session``                           ``SchedulerSession``
trace              ``Trace``                             ``SchedulerTrace``
reference          ``reference.dialstate``               ``reference.scheduler``
simpler configs    statics, bootnodes, netrestrict,      netrestrict, dialed-peer limit,
                   budget                                pending limit
simpler steps      table, peers, results, running, time  (none: an event's content is its meaning)
=================  ====================================  ==========================================
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Optional, Union

from dialcheck.conformance.formats.scheduler_format import EventStep
from dialcheck.conformance.formats.trace import ExecuteStep, NewTasksStep, Step, TaskDoneStep
from dialcheck.conformance.harness.loader import REFERENCE_SPEC, SCHEDULER_REFERENCE_SPEC
from dialcheck.conformance.harness.session import Level, Nonconformance, SchedulerSession, Session, SessionCore
from dialcheck.conformance.harness.world import (
    DIAL_ALWAYS,
    SCHEDULER_ALWAYS,
    DialHappening,
    Happening,
    RandomChooser,
    draw_dial_setup,
    draw_scheduler_setup,
)
from dialcheck.spec.model import SECOND, Config, Profile
from dialcheck.spec.releases import FamilyName
from dialcheck.spec.scheduler import Advance, SchedulerConfig, SchedulerProfile, Start
from dialcheck.spec.verdicts import BadInput, Verdict

__all__ = [
    "AnyProfile",
    "Family",
    "DIALSTATE",
    "DIAL_SCHEDULER",
    "FAMILIES",
    "ALL_PROFILES",
    "family_of",
    "get_profile",
    "replay_steps",
]

#: A profile of any family.
AnyProfile = Union[Profile, SchedulerProfile]


@dataclass(frozen=True, eq=False)
class Family:
    """One generation of geth's dial scheduler: what the generic harness needs to know of it."""

    name: FamilyName
    profiles: tuple[AnyProfile, ...]
    #: The session that drives and judges an implementation of this family.
    session_type: type[SessionCore[Any, Any]]
    #: How ``--impl`` names the reference (the default implementation of every command).
    reference_spec: str
    #: The minimizer's moves: a step without its recorded expectation, configurations and
    #: steps one change simpler, and the instant of a step (the one before's when it has none).
    strip_expectation: Callable[[Any], Any]
    get_simpler_configs: Callable[[Any], Iterator[Any]]
    get_simpler_steps: Callable[[Any, int], Iterator[Any]]
    get_time: Callable[[Any, int], int]
    #: The node ID width every implementation of the family holds, in bytes, or ``None`` when it
    #: varies by era and an implementation declares it (ID-1: dialstate's 64-byte then 32-byte IDs).
    id_bytes: Optional[int]
    #: The method of a ``--cmd`` program's wire session (``WireSession``) that makes the family's implementations.
    wire_factory: str
    #: Whether executing tasks is an optional capability (AD-5: dialstate's ``execute``), or always
    #: part of the answers (the dialScheduler's actions).
    execution_optional: bool
    #: A configuration to make a probe implementation with (what kind of implementation a factory makes).
    sample_config: Any
    #: The world: what can happen around an implementation, in a fixed order, and those a random example
    #: always has (swarm testing leaves each other out with probability 1/2); how an example begins.
    happenings: tuple[enum.Enum, ...]
    always: frozenset[enum.Enum]
    draw_setup: Callable[[RandomChooser], Any]
    #: The seed a derandomized run (Hypothesis profile ``ci``) of the family starts from when none is given.
    #: Explicit, so that no change to dialcheck's own code moves which examples CI runs (Hypothesis would
    #: otherwise derive it from the source of the function that makes the machine); each is the seed
    #: Hypothesis 6.155.2 derived for the family before the families shared one machine, so that the
    #: zoo's kill matrix (docs/teeth.md) stayed as it was measured.
    ci_seed: int
    #: The requirement a ``STRICT`` failure breaks: what the family's answers are compared by.
    strict_requirement: str

    @property
    def trace_type(self) -> type[Any]:
        """Return the family's trace type."""
        return self.session_type.trace_type

    @property
    def default_profile(self) -> AnyProfile:
        """Return the profile a command uses when none is given: the newest."""
        return self.profiles[-1]

    def __repr__(self) -> str:
        return f"<family {self.name.value}>"


# -- dialstate -------------------------------------------------------------------------


def _strip_dialstate(step: Step) -> Step:
    return replace(step, expect=None) if isinstance(step, (NewTasksStep, ExecuteStep)) else step


def _get_simpler_dialstate_configs(config: Config) -> Iterator[Config]:
    """Yield configurations one change simpler than ``config``, simplest changes first."""
    for index in range(len(config.static)):
        yield replace(config, static=config.static[:index] + config.static[index + 1 :])
    for index in range(len(config.bootnodes)):
        yield replace(config, bootnodes=config.bootnodes[:index] + config.bootnodes[index + 1 :])
    if config.netrestrict is not None:
        yield replace(config, netrestrict=None)
    for budget in range(config.max_dyn_dials):
        yield replace(config, max_dyn_dials=budget)


def _get_simpler_times(now: int, before: int) -> Iterator[int]:
    """Yield earlier instants for a step at ``now`` after one at ``before``: that one, then a whole second.

    Only earlier ones, so that simplifying ends: every change makes some part of the trace smaller.
    """
    if before < now:
        yield before
    whole = now - now % SECOND
    if whole < now and whole != before:
        yield whole


def _get_simpler_dialstate_steps(step: Step, before: int) -> Iterator[Step]:
    """Yield ``step`` one change simpler: an entry, peer or result fewer, fewer running, an earlier or rounder time."""
    if isinstance(step, NewTasksStep):
        for index in range(len(step.table)):
            yield replace(step, table=step.table[:index] + step.table[index + 1 :])
        for index in range(len(step.peers)):
            yield replace(step, peers=step.peers[:index] + step.peers[index + 1 :])
        for running in range(step.running):
            yield replace(step, running=running)
        for now in _get_simpler_times(step.now, before):
            yield replace(step, now=now)
    elif isinstance(step, TaskDoneStep):
        for index in range(len(step.results)):
            yield replace(step, results=step.results[:index] + step.results[index + 1 :])
        for now in _get_simpler_times(step.now, before):
            yield replace(step, now=now)


def _get_dialstate_time(step: Step, before: int) -> int:
    """Return the instant of ``step``, or ``before`` for a step without one."""
    return step.now if isinstance(step, (NewTasksStep, TaskDoneStep)) else before


DIALSTATE = Family(
    name=FamilyName.DIALSTATE,
    profiles=tuple(Profile),
    session_type=Session,
    reference_spec=REFERENCE_SPEC,
    strip_expectation=_strip_dialstate,
    get_simpler_configs=_get_simpler_dialstate_configs,
    get_simpler_steps=_get_simpler_dialstate_steps,
    get_time=_get_dialstate_time,
    id_bytes=None,
    wire_factory="create",
    execution_optional=True,
    sample_config=Config(self_id="00", max_dyn_dials=0),
    happenings=tuple(DialHappening),
    always=DIAL_ALWAYS,
    draw_setup=draw_dial_setup,
    ci_seed=24874283771057107102014633731556406290542460256999978486072344633713388423164174623579233305864601024885227497007414,
    strict_requirement="AD-2",
)


# -- the dialScheduler -------------------------------------------------------------------


def _strip_scheduler(step: EventStep) -> EventStep:
    return EventStep(step.event)


def _get_simpler_scheduler_configs(config: SchedulerConfig) -> Iterator[SchedulerConfig]:
    if config.netrestrict is not None:
        yield replace(config, netrestrict=None)
    for peers in range(config.max_dial_peers):
        yield replace(config, max_dial_peers=peers)
    if config.max_active_dials:
        yield replace(config, max_active_dials=0)


def _get_no_simpler_steps(step: EventStep, before: int) -> Iterator[EventStep]:
    """Yield nothing: an event's content is what it means (a simpler event is another event)."""
    return iter(())


def _get_scheduler_time(step: EventStep, before: int) -> int:
    """Return the clock after ``step``: a ``start`` or ``advance`` sets it, any other event keeps ``before``."""
    event = step.event
    return event.now if isinstance(event, (Start, Advance)) else before


DIAL_SCHEDULER = Family(
    name=FamilyName.DIAL_SCHEDULER,
    profiles=tuple(SchedulerProfile),
    session_type=SchedulerSession,
    reference_spec=SCHEDULER_REFERENCE_SPEC,
    strip_expectation=_strip_scheduler,
    get_simpler_configs=_get_simpler_scheduler_configs,
    get_simpler_steps=_get_no_simpler_steps,
    get_time=_get_scheduler_time,
    # geth's enode.ID since v1.8.17: every dialScheduler release holds 32-byte IDs.
    id_bytes=32,
    wire_factory="create_scheduler",
    execution_optional=False,
    sample_config=SchedulerConfig(self_id="00" * 32, max_dial_peers=0),
    happenings=tuple(Happening),
    always=SCHEDULER_ALWAYS,
    draw_setup=draw_scheduler_setup,
    ci_seed=35978723727932717169416275069033720357875734309147895702411775550752509729972348399326025876894572267212328985814580,
    strict_requirement="SC-CHOICE-2",
)


#: Every family, oldest first.
FAMILIES: tuple[Family, ...] = (DIALSTATE, DIAL_SCHEDULER)
#: Every profile by name, oldest family first.
ALL_PROFILES: dict[str, AnyProfile] = {p.value: p for family in FAMILIES for p in family.profiles}


def family_of(profile: AnyProfile) -> Family:
    """Return the family ``profile`` belongs to."""
    return next(family for family in FAMILIES if profile in family.profiles)


def get_profile(name: str) -> AnyProfile:
    """Return the profile called ``name``, of either family; an unknown name is bad input."""
    found = ALL_PROFILES.get(name)
    if found is None:
        raise BadInput(f"no profile called {name!r}; choose one of {', '.join(ALL_PROFILES)}")
    return found


def replay_steps(
    factory: Callable[[Any, Any], object],
    config: Any,
    profile: AnyProfile,
    steps: Sequence[Any],
    *,
    level: Optional[Level],
    origin: str = "the factory",
    description: Optional[str] = None,
    waived: frozenset[Verdict] = frozenset(),
) -> Optional[Nonconformance[Any]]:
    """Apply recorded ``steps`` to a fresh session of ``profile``'s family; return its failure, or ``None``."""
    try:
        session = family_of(profile).session_type.create(
            factory, config, profile, origin=origin, level=level, description=description, waived=waived
        )
        for step in steps:
            session.apply(step)
    except Nonconformance as failure:
        return failure
    return None
