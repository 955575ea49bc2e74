"""The progress line of long commands: how far they are and what is left, on one updating line of a terminal.

Theory of operation
-------------------
``run`` (examples of the total), ``matrix`` (cells of the total), ``check --exhaustive`` (scope,
depth and frontier) and ``mutants`` (members of the total) each open one :class:`ProgressLine` on
standard error.  When standard error is a terminal it rewrites one line (a carriage return, at most
twice a second) with what is done of what, the time so far and an estimate of what is left (the
time so far per unit done, times the units left: a rough figure that says so with "about"); it
clears the line before the command prints its report.  When standard error is not a terminal (a
pipe, a file, CI) it writes nothing at all, so logs and captured output are unchanged.  The clock
it reads is the terminal's business only: no verdict depends on it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Optional, TextIO

__all__ = ["ProgressLine", "format_duration"]


def format_duration(seconds: float) -> str:
    """Return a duration as a person reads it: ``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


class ProgressLine:
    """One line on ``stream`` that says how far a command is; nothing unless ``stream`` is a terminal."""

    def __init__(
        self,
        command: str,
        stream: Optional[TextIO] = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.5,
    ) -> None:
        self.command = command
        self.stream = sys.stderr if stream is None else stream
        self.enabled = self.stream.isatty()
        self.clock = clock
        self.interval = interval
        self.started = clock()
        self.shown = -interval
        self.width = 0

    def show(self, done: int, total: Optional[int], unit: str, detail: str = "", force: bool = False) -> None:
        """Say that ``done`` of ``total`` ``unit`` are done (``total`` ``None``: unknown), with ``detail``."""
        if not self.enabled:
            return
        now = self.clock() - self.started
        if not force and now - self.shown < self.interval:
            return
        self.shown = now
        text = f"{self.command}: {done:,}" + (f" of {total:,}" if total is not None else "") + f" {unit}"
        if detail:
            text += f", {detail}"
        text += f"; {format_duration(now)} so far"
        if total is not None and 0 < done < total:
            text += f", about {format_duration(now / done * (total - done))} left"
        self.write(text)

    def say(self, text: str) -> None:
        """Show ``text`` after the command's name (throttled like :meth:`show`)."""
        if not self.enabled:
            return
        now = self.clock() - self.started
        if now - self.shown < self.interval:
            return
        self.shown = now
        self.write(f"{self.command}: {text}; {format_duration(now)} so far")

    def write(self, text: str) -> None:
        """Replace the line with ``text``."""
        padding = " " * max(self.width - len(text), 0)
        self.stream.write(f"\r{text}{padding}")
        self.stream.flush()
        self.width = len(text)

    def clear(self) -> None:
        """Remove the line (before the report is printed)."""
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
