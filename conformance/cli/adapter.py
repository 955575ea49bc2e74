"""``dialcheck adapter``."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from dialcheck.conformance.cli.common import EXIT_OK, UsageError

DESCRIPTION = (
    "Build geth's own dialer with dialcheck's glue (docs/geth.md) into a program for --cmd: from a "
    "go-ethereum checkout or a fork of it (--tree, which is left as it was), or from a release the Go module "
    "proxy serves (--release: go-ethereum's vX.Y.Z, v1.9.10 on, or a fork's MODULE@VERSION; downloaded by the go "
    "command). The glue follows the tree's "
    "own API (which generation, which logger, ...); the program's hello lists the profile of the tree's release. "
    "The last line printed is the --cmd. Exit 0 built, 2 when it cannot be built (the go command's reason)."
)


def add_arguments(command: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    source = command.add_mutually_exclusive_group(required=True)
    source.add_argument("--tree", type=Path, metavar="DIR", help="the root of a geth-derived checkout")
    source.add_argument(
        "--release",
        metavar="VERSION",
        help="a go-ethereum release, for example v1.17.10, or a fork's Go module release, for example "
        "github.com/ethereum-optimism/op-geth@v1.101702.3",
    )
    command.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        default=Path("dialcheck-adapter"),
        help="where the program and the build's files go (default dialcheck-adapter/; a release is copied there)",
    )
    command.add_argument("--go", default="go", metavar="GO", help="the go command to build with (default go)")
    command.add_argument(
        "--profiles",
        metavar="P,...",
        help="the profiles the program's hello lists (default: the one of the tree's release; 'all': every "
        "profile of its generation, for dialcheck matrix)",
    )
    command.add_argument("--json", metavar="FILE", type=Path, help="also write what was built as JSON")


def run(args: argparse.Namespace) -> int:
    """Run the command; return its exit code."""
    from dialcheck.conformance.drivers.geth import build_adapter, download_release, explain_no_profile, inspect_tree
    from dialcheck.spec.verdicts import BadInput

    try:
        tree = args.tree if args.release is None else download_release(args.release, args.out, args.go)
        facts = inspect_tree(tree)
        profiles = None if args.profiles is None else [p for p in args.profiles.split(",") if p]
        built = build_adapter(facts, args.out, args.go, profiles)
    except BadInput as exc:
        raise UsageError(f"dialcheck adapter: {exc}") from None
    print(f"dialcheck adapter: {facts.release} of {facts.import_path} ({facts.family.value} family), built")
    print(f"  program: {built.binary}")
    for axis, variant in facts.axes:
        print(f"  glue, {axis}: {variant}")
    if facts.profile is not None:
        own = facts.profile.profile.value
        print(f"  profile: {own} (claims {facts.profile.releases})")
        print(f"  judge it: dialcheck run --profile {own} --cmd {_quote(built.cmd)}")
    else:
        why = explain_no_profile(facts)
        print(f"  profile: none: {facts.release} {why}; the program serves every profile of its generation")
    print(f"  every profile (dialcheck matrix): --cmd {_quote(built.matrix_cmd)}")
    if args.json is not None:
        args.json.write_text(json.dumps(built.to_json(), indent=2) + "\n", encoding="utf-8")
    print(built.cmd)
    return EXIT_OK


def _quote(text: str) -> str:
    return shlex.quote(text)
