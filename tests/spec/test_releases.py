"""spec/releases.py: the releases each profile claims, read from the rule tables, and a version's profile."""

from __future__ import annotations

import pytest

from dialcheck.spec.model import PROFILE_RULES, Profile
from dialcheck.spec.releases import (
    NEWEST_CHECKED,
    FamilyName,
    find_profile,
    format_version,
    get_family,
    get_profile_releases,
    is_newer_than_checked,
    parse_version,
)
from dialcheck.spec.scheduler import SCHEDULER_RULES, SchedulerProfile
from dialcheck.spec.verdicts import BadInput


def test_every_profile_of_both_families_is_listed_once_with_the_releases_of_its_rule_row() -> None:
    rows = get_profile_releases()
    assert [r.profile for r in rows] == [*Profile, *SchedulerProfile]
    for row in rows:
        table = PROFILE_RULES if row.family is FamilyName.DIALSTATE else SCHEDULER_RULES
        assert row.releases == table[row.profile].releases  # type: ignore[index]
    assert {get_family(p) for p in Profile} == {FamilyName.DIALSTATE}
    assert {get_family(p) for p in SchedulerProfile} == {FamilyName.DIAL_SCHEDULER}


def test_the_ends_of_every_claimed_range_belong_to_its_profile_and_no_two_profiles_overlap() -> None:
    rows = get_profile_releases()
    for row in rows:
        for claimed in row.ranges:
            for end in (claimed.first, claimed.last):
                found = find_profile(end)
                assert found is not None and found.profile is row.profile, (format_version(end), row.profile)
    ends = sorted((r.first, r.last) for row in rows for r in row.ranges)
    assert all(a[1] < b[0] for a, b in zip(ends, ends[1:], strict=False))


@pytest.mark.parametrize(
    ("version", "profile"),
    [
        ("v1.7.3", Profile.GETH_1_7),
        ("v1.8.1", Profile.GETH_1_7),
        ("v1.8.2", Profile.GETH_1_8),
        ("v1.9.6", Profile.GETH_1_9),
        ("v1.9.10", Profile.GETH_1_9_7),
        ("v1.9.11", SchedulerProfile.GETH_1_9_11),
        ("v1.14.13", SchedulerProfile.GETH_1_9_14),
        ("v1.16.3", SchedulerProfile.GETH_1_15),
        ("1.17.1", SchedulerProfile.GETH_1_15),
        ("v1.17.7", SchedulerProfile.GETH_1_17_2),
        ("v1.17.8", SchedulerProfile.GETH_1_17_8),
        (NEWEST_CHECKED, SchedulerProfile.GETH_1_17_8),
    ],
)
def test_a_release_belongs_to_the_profile_whose_range_holds_it(version: str, profile: object) -> None:
    found = find_profile(parse_version(version))
    assert found is not None and found.profile is profile


def test_a_release_newer_than_the_newest_checked_belongs_to_no_profile_and_is_named_so() -> None:
    newer = parse_version("v1.17.11")
    assert is_newer_than_checked(newer) and find_profile(newer) is None
    assert not is_newer_than_checked(parse_version(NEWEST_CHECKED))
    assert find_profile(parse_version("v0.9.0")) is None and not is_newer_than_checked(parse_version("v0.9.0"))


@pytest.mark.parametrize("text", ["", "bogus", "v1", "v1.2.3.4", "v1.x.2", "1.2.3-rc1"])
def test_a_version_that_is_not_major_minor_patch_is_bad_input(text: str) -> None:
    with pytest.raises(BadInput, match="is not a geth version"):
        parse_version(text)


def test_releases_before_the_bootnode_fallback_belong_to_no_profile() -> None:
    assert find_profile(parse_version("v1.5.9")) is None
    found = find_profile(parse_version("v1.6.0"))
    assert found is not None and found.profile is Profile.GETH_1_7
