"""What every ``dialcheck`` command shares: exit codes, usage errors, the subject options, argument types."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Optional

from dialcheck.conformance.formats.wire import DEFAULT_TIMEOUT
from dialcheck.conformance.harness.loader import REFERENCE_SPEC, get_new_spelling
from dialcheck.spec.model import ID_WIDTHS
from dialcheck.spec.verdicts import BadInput

if TYPE_CHECKING:
    from dialcheck.conformance.drivers.subject import Subject
    from dialcheck.conformance.harness.family import AnyProfile, Family
    from dialcheck.conformance.harness.workers import Engine, FactoryOpener

__all__ = [
    "EXIT_OK",
    "EXIT_FAIL",
    "EXIT_USAGE",
    "UsageError",
    "Parser",
    "add_subject",
    "positive",
    "non_negative",
    "positive_seconds",
    "open_command_subject",
    "get_opener",
    "add_engine",
    "open_command_engine",
    "add_timings",
    "write_report",
    "get_version",
]

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


class UsageError(BadInput):
    """Bad input: the message is printed and the exit code is 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are bad input (exit 2), one paragraph, never a traceback."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def add_subject(command: argparse.ArgumentParser) -> None:
    subject = command.add_mutually_exclusive_group()
    subject.add_argument(
        "--impl",
        metavar="MODULE:FACTORY",
        default=REFERENCE_SPEC,
        help="in-process implementation, called as FACTORY(config, profile) (default: the reference)",
    )
    subject.add_argument(
        "--cmd",
        metavar="COMMAND",
        help="a program speaking dialcheck-wire/1 on stdin/stdout (split like a shell would, not run by one)",
    )
    command.add_argument(
        "--timeout",
        type=positive_seconds,
        metavar="SECONDS",
        default=DEFAULT_TIMEOUT,
        help=f"with --cmd: the most time one answer may take (default {DEFAULT_TIMEOUT:g})",
    )
    command.add_argument(
        "--id-bytes",
        type=int,
        choices=ID_WIDTHS,
        help="the node ID width the implementation holds: every ID it gets is that wide (a --cmd program's hello "
        "may say so itself; default: IDs as the trace or the machine has them, 64 bytes for generated ones)",
    )


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text}")
    return value


def _whole_number(least: int) -> Callable[[str], int]:
    """Return an argparse type accepting whole numbers of at least ``least``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"expected a number of at least {least}, got {value}")
        return value

    return parse


@contextlib.contextmanager
def open_command_subject(
    args: argparse.Namespace, profiles: Sequence["AnyProfile"], family: Optional["Family"] = None
) -> Iterator["Subject"]:
    """Load --impl, or start --cmd and check that it serves ``profiles``; always end the process."""
    new = None if args.cmd is not None else get_new_spelling(args.impl)
    if new is not None:
        print(f"dialcheck: --impl {args.impl} is now spelled --impl {new}; using that", file=sys.stderr)
        args.impl = new
    from dialcheck.conformance.drivers.subject import open_subject

    where = f"dialcheck {args.command}"
    with open_subject(args.impl, args.cmd, args.timeout, profiles, where, args.id_bytes, family) as subject:
        yield subject


def get_opener(args: argparse.Namespace, profile: "AnyProfile") -> Optional["FactoryOpener"]:
    """Return how a worker process (--jobs) starts its own --cmd program; ``None`` for --impl (inherited)."""
    if args.cmd is None:
        return None
    from dialcheck.conformance.drivers.subject import open_subject

    @contextlib.contextmanager
    def open_for_worker() -> Iterator[Any]:
        where = f"dialcheck {args.command}"
        with open_subject(args.impl, args.cmd, args.timeout, [profile], where, args.id_bytes) as subject:
            yield subject.factory

    return open_for_worker


def add_engine(command: argparse.ArgumentParser, what: str) -> None:
    """Add ``--jobs`` and ``--dask``: where the command's ``what`` run (docs/parallel.md)."""
    command.add_argument(
        "--jobs",
        type=positive,
        default=1,
        metavar="N",
        help=f"local worker processes, each with its own implementation, running the {what}; the verdict for a "
        "given --seed is the same whatever N above 1 (docs/parallel.md)",
    )
    command.add_argument(
        "--dask",
        metavar="ADDRESS",
        help=f"send the {what} to the Dask cluster whose scheduler is at ADDRESS (default: the environment "
        "variable DIALCHECK_DASK_SCHEDULER, if set); needs pip install 'dialcheck[dask]' here and on every worker",
    )


@contextlib.contextmanager
def open_command_engine(args: argparse.Namespace) -> Iterator["Engine"]:
    """Give the engine ``--jobs`` and ``--dask`` (or ``DIALCHECK_DASK_SCHEDULER``) ask for; close it after."""
    from dialcheck.conformance.harness.workers import get_dask_address, open_engine

    with open_engine(args.jobs, get_dask_address(args.dask), f"dialcheck {args.command}") as engine:
        yield engine


def add_timings(command: argparse.ArgumentParser) -> None:
    """Add ``--no-timings``: leave the wall-clock figures out of the JSON report."""
    command.add_argument(
        "--no-timings",
        dest="timings",
        action="store_false",
        help="leave every wall-clock figure (seconds) out of the JSON report, so the same run gives byte-identical "
        "JSON on any engine and machine",
    )


def add_html(command: argparse.ArgumentParser) -> None:
    """Add ``--html FILE``: the self-contained HTML report (verdict, counterexamples as timelines)."""
    command.add_argument(
        "--html",
        metavar="FILE",
        type=Path,
        help="also write a self-contained HTML report (it opens from disk): the verdict and each counterexample "
        "with its timeline",
    )


def write_html_report(path: Optional[Path], render: Callable[[], str]) -> None:
    """Write the page ``render`` makes to ``path`` (nothing when ``--html`` was not given)."""
    if path is None:
        return
    from dialcheck.conformance.reports.html import write_html

    page = render()
    write_report(path, lambda where: write_html(where, page))


def write_report(path: Path, write: Callable[[Path], None]) -> None:
    try:
        write(path)
    except OSError as exc:
        raise UsageError(f"dialcheck: cannot write {path}: {exc.strerror or exc}; choose a writable path") from None


def get_version() -> str:
    """Return dialcheck's version (read without importlib.metadata, which costs ``serve`` 50 modules)."""
    from dialcheck.spec import __version__

    return __version__


positive = _whole_number(1)
non_negative = _whole_number(0)
