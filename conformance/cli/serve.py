"""``dialcheck serve``."""

from __future__ import annotations

import argparse
import sys
from typing import cast

from dialcheck.conformance.cli.common import (
    UsageError,
    get_version,
)
from dialcheck.conformance.drivers.serve import get_served_profiles, serve
from dialcheck.conformance.formats.wire import EXTENSION_EXECUTE, PROTOCOL, Hello
from dialcheck.conformance.harness.family import ALL_PROFILES, DIAL_SCHEDULER, family_of, get_profile
from dialcheck.conformance.harness.loader import REFERENCE_SPEC, SCHEDULER_REFERENCE_SPEC, load_factory
from dialcheck.conformance.oracle.execution_checks import supports_execution
from dialcheck.spec.contract import SchedulerFactory
from dialcheck.spec.model import ID_WIDTHS, Config, Profile

DESCRIPTION = (
    "Answer dialcheck-wire/1 requests on stdin/stdout until bye or end of input, so "
    "that 'dialcheck run --cmd \"dialcheck serve\"' works and harness authors have a server to diff against."
)


def add_arguments(command: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    command.add_argument(
        "--impl",
        metavar="MODULE:FACTORY",
        default=REFERENCE_SPEC,
        help="the in-process implementation to serve (default: the reference)",
    )
    command.add_argument(
        "--profile",
        choices=list(ALL_PROFILES),
        help="serve only this profile (default: every profile of the implementation's family; the reference: both)",
    )
    command.add_argument(
        "--id-bytes",
        type=int,
        choices=ID_WIDTHS,
        help="declare this node ID width in hello and refuse any request with an ID of another width",
    )


def run(args: argparse.Namespace) -> int:
    """Run the command; return its exit code."""
    reference = args.impl == REFERENCE_SPEC
    name = "dialcheck-reference" if reference else args.impl
    chosen = None if args.profile is None else family_of(get_profile(args.profile))
    if chosen is DIAL_SCHEDULER or (reference and chosen is None):
        # A dialScheduler profile: --impl is a scheduler factory (the reference's stands for the reference scheduler).
        scheduler = cast(SchedulerFactory, load_factory(SCHEDULER_REFERENCE_SPEC if reference else args.impl))
        profiles = tuple(get_served_profiles(args.profile))
        hello = Hello(name, get_version(), PROTOCOL, profiles, (EXTENSION_EXECUTE,) if reference else (), args.id_bytes)
        return serve(load_factory(REFERENCE_SPEC), hello, sys.stdin.buffer, sys.stdout.buffer, scheduler)
    factory = load_factory(args.impl)
    profiles = (args.profile,) if args.profile is not None else tuple(p.value for p in Profile)
    try:
        probe = factory(Config(self_id="00", max_dyn_dials=0), Profile(profiles[0]))
    except Exception as exc:
        raise UsageError(
            f"dialcheck serve --impl {args.impl}: the factory raised {type(exc).__name__}: {exc}"
        ) from None
    # WIRE-6: extensions are advertised in hello; the served implementation decides (AD-5).
    extensions = (EXTENSION_EXECUTE,) if supports_execution(probe) else ()
    hello = Hello(name, get_version(), PROTOCOL, profiles, extensions, args.id_bytes)
    return serve(factory, hello, sys.stdin.buffer, sys.stdout.buffer)
