"""The zoo: seeded-bug dialstates, each the reference with one plausible mistake a real author could make.

Theory of operation
-------------------
Every member (one module per family, :mod:`~dialcheck.conformance.zoo.dialstate` and
:mod:`~dialcheck.conformance.zoo.scheduler`, each member declared on the class that holds its bug)
names the requirement its bug breaks, says in one
sentence what is wrong, lists the named checks that can see it from the outside
(empty when only the strict comparison with the reference can), and the geth
profile under which the bug shows.  Each member is a subclass of the reference
that replaces one step, so the bug is the only difference.

Try one: ``dialcheck run --impl dialcheck.conformance.zoo:dials_self``.  ``dialcheck
mutants`` runs the default suite on every member and prints the kill matrix.
"""

from __future__ import annotations

from dialcheck.conformance.zoo.dialstate import MEMBERS
from dialcheck.conformance.zoo.members import Member
from dialcheck.conformance.zoo.scheduler import MEMBERS as SCHEDULER_MEMBERS
from dialcheck.reference.dialstate import Dialstate
from dialcheck.spec.contract import DialstateFactory, SchedulerFactory
from dialcheck.spec.model import Config, Profile

__all__ = ["Member", "MEMBERS", "get_member", "SCHEDULER_MEMBERS", "get_scheduler_member"]


def get_member(name: str) -> Member:
    """Return the dialstate member called ``name``."""
    for member in MEMBERS:
        if member.name == name:
            return member
    raise KeyError(name)


def get_scheduler_member(name: str) -> Member:
    """Return the dialScheduler member called ``name``."""
    for member in SCHEDULER_MEMBERS:
        if member.name == name:
            return member
    raise KeyError(name)


def __getattr__(name: str) -> DialstateFactory | SchedulerFactory:
    """Return the factory of the member called ``name``: ``--impl dialcheck.conformance.zoo:<name>``."""
    if any(m.name == name for m in SCHEDULER_MEMBERS):
        return get_scheduler_member(name).create
    try:
        member = get_member(name)
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None

    def create(config: Config, profile: Profile) -> Dialstate:
        made: Dialstate = member.create(config, profile)
        return made

    create.__name__ = create.__qualname__ = member.name
    create.__doc__ = f"Create the zoo member {member.name}: {member.description}"
    return create


def __dir__() -> list[str]:
    return sorted([*__all__, *(m.name for m in MEMBERS), *(m.name for m in SCHEDULER_MEMBERS)])
