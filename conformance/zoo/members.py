"""What a zoo member is, and the registry each family's members are declared into."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional, TypeVar, Union

from dialcheck.reference.scheduler import Scheduler as SchedulerModel
from dialcheck.reference.scheduler import SchedulerImplementation
from dialcheck.spec.model import Profile
from dialcheck.spec.scheduler import SchedulerProfile
from dialcheck.spec.verdicts import Verdict

__all__ = ["Member", "Zoo"]


@dataclass(frozen=True)
class Member:
    """One seeded bug: what it breaks, how it is described, which checks can see it, of either family.

    ``implementation`` is the reference with one step replaced (a dialstate, or the dialScheduler's
    model); ``wrapper``, for a dialScheduler bug in how it answers rather than in what it does, is the
    implementation around the model.
    """

    name: str
    requirement: str
    description: str
    checks: tuple[Verdict, ...]
    implementation: type
    profile: Union[Profile, SchedulerProfile]
    strict_only_because: str = ""
    #: Why the default random run does not reach the bug (``dialcheck check --exhaustive`` kills it).
    random_run_misses_because: str = ""
    wrapper: Optional[type[SchedulerImplementation]] = None

    def create(self, config: Any, profile: Any) -> Any:
        """Make the buggy implementation (the factory ``--impl dialcheck.conformance.zoo:<name>`` calls)."""
        if self.wrapper is None:
            return self.implementation(config, profile)
        implementation = self.wrapper(config, profile)
        implementation.model = self.implementation(config, profile)
        return implementation


C = TypeVar("C", bound=type)


class Zoo:
    """The members of one family, each declared on the class that holds its bug (as Hypothesis declares rules)."""

    def __init__(self, default_profile: Union[Profile, SchedulerProfile]) -> None:
        self._default_profile = default_profile
        self._members: list[Member] = []

    def declare(
        self, name: str, requirement: str, description: str, checks: tuple[Verdict, ...], **options: Any
    ) -> Callable[[C], C]:
        """Return a class decorator that makes the class a member called ``name`` (the class is returned as is).

        A class that subclasses the reference scheduler implementation rather than its model is the
        member's wrapper around the reference model (a bug in how it answers).
        """

        def add(cls: C) -> C:
            implementation: type = cls
            if issubclass(cls, SchedulerImplementation):
                options.setdefault("wrapper", cls)
                implementation = SchedulerModel
            elif issubclass(cls, SchedulerModel):  # a bug in what the scheduler does: the reference answers for it
                options.setdefault("wrapper", SchedulerImplementation)
            if any(m.name == name for m in self._members):
                raise ValueError(f"two zoo members are called {name}")
            options.setdefault("profile", self._default_profile)
            self._members.append(Member(name, requirement, description, checks, implementation, **options))
            return cls

        return add

    def get_members(self) -> tuple[Member, ...]:
        """Return the members declared so far, in the order they were written."""
        return tuple(self._members)
