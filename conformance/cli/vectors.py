"""``dialcheck vectors``."""

from __future__ import annotations

import argparse
from pathlib import Path

from dialcheck.conformance.cli.common import (
    EXIT_OK,
    Parser,
    UsageError,
    non_negative,
    positive,
)
from dialcheck.conformance.harness.family import ALL_PROFILES, get_profile
from dialcheck.conformance.runs.vectors import DEFAULT_COUNT as DEFAULT_VECTOR_COUNT
from dialcheck.conformance.runs.vectors import DEFAULT_SEED as DEFAULT_VECTOR_SEED
from dialcheck.conformance.runs.vectors import DEFAULT_STEPS as DEFAULT_VECTOR_STEPS
from dialcheck.conformance.runs.vectors import INDEX, VectorError, generate_vectors

DESCRIPTION = "Vector corpus commands."


def add_arguments(command: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    vector_commands = command.add_subparsers(dest="vectors_command", parser_class=Parser, metavar="COMMAND")
    vector_commands.required = True
    generate = vector_commands.add_parser(
        "generate",
        help="write the corpus: a scenario trace per requirement plus seeded explored traces, and index.json",
        description="Write a deterministic corpus (same arguments, same bytes) to --out. Exit 0, or 2 on bad input.",
    )
    generate.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="where to write (scenarios/, explored/, index.json)"
    )
    generate.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_VECTOR_SEED,
        metavar="N",
        help=f"seed of the explored traces (default {DEFAULT_VECTOR_SEED})",
    )
    generate.add_argument(
        "--count",
        type=non_negative,
        default=DEFAULT_VECTOR_COUNT,
        metavar="N",
        help=f"explored traces (default {DEFAULT_VECTOR_COUNT})",
    )
    generate.add_argument(
        "--steps",
        type=positive,
        default=DEFAULT_VECTOR_STEPS,
        metavar="N",
        help=f"steps per explored trace (default {DEFAULT_VECTOR_STEPS})",
    )
    generate.add_argument(
        "--profile",
        choices=list(ALL_PROFILES),
        help="only traces of this profile's family, every one under this profile (default: both families, "
        "scenarios under their own profile and every other, explored walks alternating)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the command; return its exit code."""
    profile = None if args.profile is None else get_profile(args.profile)
    try:
        vectors = generate_vectors(args.out, args.seed, args.count, profile, args.steps)
    except VectorError as exc:
        raise UsageError(f"dialcheck vectors generate: {exc}") from None
    covered = sorted({c for v in vectors for c in v.covers})
    print(
        f"dialcheck vectors: wrote {len(vectors)} traces and {INDEX} to {args.out}, "
        f"covering {len(covered)} requirement IDs"
    )
    return EXIT_OK
