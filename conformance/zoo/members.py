"""What a zoo member is, for each family, and the registry its members are declared into."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from dialcheck.reference.dialstate import Dialstate
from dialcheck.reference.scheduler import Scheduler as SchedulerModel
from dialcheck.reference.scheduler import SchedulerImplementation
from dialcheck.spec.model import Config, Profile
from dialcheck.spec.scheduler import SchedulerConfig, SchedulerProfile
from dialcheck.spec.verdicts import Verdict

__all__ = ["Member", "SchedulerMember", "Zoo"]


@dataclass(frozen=True)
class Member:
    """One seeded bug: what it breaks, how it is described, which checks can see it."""

    name: str
    requirement: str
    description: str
    checks: tuple[Verdict, ...]
    implementation: type[Dialstate]
    profile: Profile = Profile.GETH_1_7
    strict_only_because: str = ""
    #: Why the default random run does not reach the bug (``dialcheck check --exhaustive`` kills it).
    random_run_misses_because: str = ""

    def create(self, config: Config, profile: Profile) -> Dialstate:
        """Make the buggy dialstate (the factory ``--impl dialcheck.conformance.zoo:<name>`` calls)."""
        return self.implementation(config, profile)


@dataclass(frozen=True)
class SchedulerMember:
    """One seeded bug of the dialScheduler family: the reference scheduler with one step replaced."""

    name: str
    requirement: str
    description: str
    checks: tuple[Verdict, ...]
    implementation: type[SchedulerModel]
    profile: SchedulerProfile = SchedulerProfile.GETH_1_17_2
    strict_only_because: str = ""
    #: Why the default random run does not reach the bug.
    random_run_misses_because: str = ""
    #: The implementation around the model, for a bug in how it answers rather than in what it does.
    wrapper: type[SchedulerImplementation] = SchedulerImplementation

    def create(self, config: SchedulerConfig, profile: SchedulerProfile) -> SchedulerImplementation:
        """Make the buggy scheduler (the factory ``--impl dialcheck.conformance.zoo:<name>`` calls)."""
        implementation = self.wrapper(config, profile)
        implementation.model = self.implementation(config, profile)
        return implementation


M = TypeVar("M", Member, SchedulerMember)
C = TypeVar("C", bound=type)


class Zoo(Generic[M]):
    """The members of one family, each declared on the class that holds its bug (as Hypothesis declares rules)."""

    def __init__(self, member_type: type[M]) -> None:
        self._member_type: type[M] = member_type
        self._members: list[M] = []

    def declare(
        self, name: str, requirement: str, description: str, checks: tuple[Verdict, ...], **options: Any
    ) -> Callable[[C], C]:
        """Return a class decorator that makes the class a member called ``name`` (the class is returned as is).

        A dialScheduler class that subclasses the reference implementation rather than its model is the
        member's wrapper around the reference model (a bug in how it answers).
        """

        def add(cls: C) -> C:
            if issubclass(cls, SchedulerImplementation):  # a wrapper: only the scheduler family has them
                options.setdefault("wrapper", cls)
                implementation: type = SchedulerModel
            else:
                implementation = cls
            if any(m.name == name for m in self._members):
                raise ValueError(f"two zoo members are called {name}")
            self._members.append(self._member_type(name, requirement, description, checks, implementation, **options))
            return cls

        return add

    def get_members(self) -> tuple[M, ...]:
        """Return the members declared so far, in the order they were written."""
        return tuple(self._members)
