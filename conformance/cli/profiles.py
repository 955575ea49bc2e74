"""``dialcheck profiles``."""

from __future__ import annotations

import argparse

from dialcheck.conformance.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    UsageError,
)
from dialcheck.spec.verdicts import BadInput

DESCRIPTION = (
    "Without VERSION: each profile, its family and the exact geth releases it claims. "
    "With VERSION (v1.16.3): the profile that release belongs to. Exit 0 when it has one, 1 when it "
    "has none (older than any profile, or newer than the newest release checked), 2 on bad input."
)


def add_arguments(command: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    command.add_argument("version", nargs="?", metavar="VERSION", help="a geth release, for example v1.16.3")


def run(args: argparse.Namespace) -> int:
    """Run the command; return its exit code."""
    from dialcheck.spec.releases import (
        NEWEST_CHECKED,
        find_profile,
        format_version,
        get_profile_releases,
        is_newer_than_checked,
        parse_version,
    )

    if args.version is None:
        print(f"{'profile':<12} {'family':<14} releases (newest checked: {NEWEST_CHECKED})")
        for row in get_profile_releases():
            print(f"{row.profile.value:<12} {row.family.value:<14} {row.releases}")
        return EXIT_OK
    try:
        version = parse_version(args.version)
    except BadInput as exc:
        raise UsageError(f"dialcheck profiles: {exc}") from None
    found = find_profile(version)
    if found is not None:
        print(f"{format_version(version)}: {found.profile.value} ({found.family.value} family, {found.releases})")
        return EXIT_OK
    if is_newer_than_checked(version):
        print(
            f"{format_version(version)}: no profile: it is newer than {NEWEST_CHECKED}, the newest geth release "
            "dialcheck's spec was checked against; its dialer may have changed since, so it is not mapped to "
            "the newest profile"
        )
    else:
        print(
            f"{format_version(version)}: no profile: no profile claims it (dialcheck covers geth from v1.6.0: "
            "earlier releases have no bootnode fallback and are not modelled)"
        )
    return EXIT_FAIL
