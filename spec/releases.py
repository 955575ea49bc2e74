"""Which geth releases each profile claims, and which profile a given release belongs to.

Theory of operation
-------------------
Each profile's row in the rule tables (:data:`dialcheck.spec.model.PROFILE_RULES` for the
``dialstate`` family, :data:`dialcheck.spec.scheduler.SCHEDULER_RULES` for the
``dialScheduler``) names the releases it claims as inclusive ranges, ``"v1.8.2 - v1.8.27"``,
several separated by commas.  Those strings are the one source: this module parses them into
:class:`ReleaseRange` values and looks a version up in them.

A version newer than :data:`NEWEST_CHECKED`, the newest geth release whose ``p2p/dial.go`` the
spec was written against, belongs to no profile: geth may have changed the schedule since, so
it is named as unchecked, never mapped to the last profile silently.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional, Union

from dialcheck.spec.model import PROFILE_RULES, Profile
from dialcheck.spec.scheduler import SCHEDULER_RULES, SchedulerProfile
from dialcheck.spec.verdicts import BadInput

__all__ = [
    "NEWEST_CHECKED",
    "FamilyName",
    "Version",
    "ReleaseRange",
    "ProfileReleases",
    "parse_version",
    "get_profile_releases",
    "find_profile",
    "get_family",
    "is_newer_than_checked",
]

#: The newest geth release read for the spec (spec/scheduler.md section 13).
NEWEST_CHECKED = "v1.17.10"

#: A version as (major, minor, patch).
Version = tuple[int, int, int]

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


class FamilyName(enum.Enum):
    """The generations of geth's dial scheduler."""

    DIALSTATE = "dialstate"
    DIAL_SCHEDULER = "dialScheduler"


def parse_version(text: str) -> Version:
    """Return ``v1.16.3`` (or ``1.16.3``, ``v1.16``: patch 0) as a tuple; anything else is bad input."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        raise BadInput(f"{text!r} is not a geth version: expected vMAJOR.MINOR.PATCH, for example v1.16.3")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def format_version(version: Version) -> str:
    """Return a version as geth tags it."""
    return "v{}.{}.{}".format(*version)


@dataclass(frozen=True)
class ReleaseRange:
    """An inclusive range of geth releases."""

    first: Version
    last: Version

    def contains(self, version: Version) -> bool:
        """Return whether ``version`` is in the range, both ends included."""
        return self.first <= version <= self.last


@dataclass(frozen=True)
class ProfileReleases:
    """A profile, its family, and the releases it claims."""

    profile: Union[Profile, SchedulerProfile]
    family: FamilyName
    releases: str
    ranges: tuple[ReleaseRange, ...]

    def contains(self, version: Version) -> bool:
        """Return whether the profile claims ``version``."""
        return any(r.contains(version) for r in self.ranges)


def _parse_ranges(text: str) -> tuple[ReleaseRange, ...]:
    ranges = []
    for part in text.split(","):
        first, _, last = part.partition(" - ")
        ranges.append(ReleaseRange(parse_version(first), parse_version(last or first)))
    return tuple(ranges)


def _read_tables() -> tuple[ProfileReleases, ...]:
    tables: tuple[tuple[FamilyName, Mapping[Union[Profile, SchedulerProfile], str]], ...] = (
        (FamilyName.DIALSTATE, {p: rules.releases for p, rules in PROFILE_RULES.items()}),
        (FamilyName.DIAL_SCHEDULER, {p: rules.releases for p, rules in SCHEDULER_RULES.items()}),
    )
    return tuple(
        ProfileReleases(profile, family, releases, _parse_ranges(releases))
        for family, table in tables
        for profile, releases in table.items()
    )


#: Every profile of both families with its releases, read once from the rule tables.
_PROFILE_RELEASES = _read_tables()
_NEWEST = parse_version(NEWEST_CHECKED)


def get_profile_releases() -> tuple[ProfileReleases, ...]:
    """Return every profile of both families with its releases, oldest first."""
    return _PROFILE_RELEASES


def is_newer_than_checked(version: Version) -> bool:
    """Return whether ``version`` is newer than the newest release the spec was checked against."""
    return version > _NEWEST


def find_profile(version: Version) -> Optional[ProfileReleases]:
    """Return the profile that claims ``version``, or None (older than any, or newer than :data:`NEWEST_CHECKED`)."""
    if is_newer_than_checked(version):
        return None
    found = [p for p in get_profile_releases() if p.contains(version)]
    assert len(found) <= 1, f"profiles overlap at {format_version(version)}: {found}"
    return found[0] if found else None


def get_family(profile: Union[Profile, SchedulerProfile]) -> FamilyName:
    """Return the family a profile belongs to."""
    return next(row.family for row in get_profile_releases() if row.profile is profile)
