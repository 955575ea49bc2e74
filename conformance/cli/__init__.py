"""The ``dialcheck`` command line: one module per subcommand, imported only when it runs.

Exit codes: 0 conformant / all traces pass, 1 not conformant / a trace fails,
2 bad input (a wrong command line, a malformed or missing trace, an
implementation that cannot be loaded, a ``--cmd`` that cannot be started,
does not say hello or does not serve the profile asked for).  Errors are one
paragraph on stderr, never a Python traceback.

The parser is built from :data:`COMMANDS`: every subcommand is listed with its
one-line help, and only the one on the command line has its module imported to
add its arguments and run it, so that ``dialcheck serve`` loads what serving
needs and nothing of the run, the zoo or Hypothesis.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Optional

from dialcheck.conformance.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, Parser, UsageError
from dialcheck.spec.verdicts import DialcheckError

__all__ = ["main", "entry_point", "COMMANDS", "EXIT_OK", "EXIT_FAIL", "EXIT_USAGE", "UsageError"]

#: Every subcommand, in the order ``dialcheck --help`` lists them, with its one-line help.
COMMANDS: dict[str, str] = {
    "replay": "replay dialcheck-trace/1 files against an implementation",
    "run": "drive an implementation through generated event sequences and judge every answer",
    "check": "explore every event sequence of a small scope exhaustively: a certificate or the shortest counterexample",
    "matrix": "run several implementations across profiles and levels and write one report",
    "mutants": "run the default suite on every seeded bug of the zoo, both families, and print the kill matrix",
    "profiles": "list every profile of both families with the geth releases it claims, or find a version's",
    "vectors": "make the portable corpus of traces that other-language suites replay",
    "serve": "speak dialcheck-wire/1 on stdin/stdout with the reference (or an --impl)",
    "adapter": "build geth's own dialer (a checkout, or a release from the Go module proxy) with dialcheck's glue",
}


def _load(command: str) -> ModuleType:
    return importlib.import_module(f"dialcheck.conformance.cli.{command}")


def build_parser(chosen: Optional[str] = None) -> Parser:
    """Return the parser: every subcommand listed, the arguments of ``chosen`` (or of all, when ``None``)."""
    parser = Parser(
        prog="dialcheck",
        description="Conformance suite for go-ethereum's p2p dial scheduler, dialstate and the dialScheduler.",
    )
    commands = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")
    commands.required = True
    for name, help_line in COMMANDS.items():
        command = commands.add_parser(name, help=help_line)
        if chosen is None or name == chosen:
            module = _load(name)
            command.description = module.DESCRIPTION
            module.add_arguments(command)
    return parser


def _get_chosen(argv: Sequence[str]) -> Optional[str]:
    """Return the subcommand ``argv`` names, if it names a known one first."""
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in COMMANDS else None


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``dialcheck`` command and return its exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        chosen = _get_chosen(arguments)
        args = build_parser(chosen or "").parse_args(arguments)
        code: int = _load(args.command).run(args)
        return code
    except DialcheckError as exc:  # bad input or a harness error; implementation faults are verdicts
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("dialcheck: interrupted", file=sys.stderr)
        return 130


def entry_point() -> None:
    """Run ``main`` as the console script; a closed stdout (``dialcheck ... | head``) ends it quietly."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would print a traceback flushing stdout at exit: point it at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_FAIL
    sys.exit(code)
