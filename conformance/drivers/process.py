"""An untrusted implementation process: start it, exchange lines with deadlines, end its whole group.

Theory of operation
-------------------
:class:`ImplementationProcess` starts a command (split like a shell would,
never run through one) in a process group of its own, with pipes for stdin,
stdout and stderr.  :meth:`~ImplementationProcess.exchange` writes one request
line and reads one answer line before a deadline, with one ``select`` loop
over all three pipes, so that a program that stops reading, never answers,
floods stderr or prints a line without an end cannot block dialcheck.  The
last lines of stderr are kept for the verdict.

Everything that goes wrong is a :class:`WireFault` of a :class:`Verdict`;
once one is raised the process is ended (its whole group is killed), because
its output can no longer be trusted to line up with our requests.
"""

from __future__ import annotations

import os
import selectors
import shlex
import signal
import subprocess
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from dialcheck.spec.verdicts import ImplementationFault, Verdict

__all__ = ["Verdict", "WireFault", "ImplementationProcess", "split_command", "quote_line", "MAX_LINE"]

#: The longest answer line read, in bytes; a longer one is a fault, not an out-of-memory.
MAX_LINE = 16 * 1024 * 1024
_STDERR_LINES = 12
_STDERR_WIDTH = 300
_EXIT_GRACE = 2.0
#: How long to poll for an answer before sleeping in select (most answers take tens of microseconds).
_SPIN_SECONDS = 0.0002


class WireFault(ImplementationFault):
    """The implementation process misbehaved; the message says how, with the tail of its stderr."""

    def __init__(self, kind: Verdict, message: str, stderr_tail: Sequence[str] = ()) -> None:
        text = message
        if stderr_tail:
            text += "\n  its stderr ended with:\n" + "\n".join(f"    | {line}" for line in stderr_tail)
        super().__init__(kind, text, aborts_run=kind is Verdict.WIRE_HUNG)
        self.kind = kind


def split_command(command: str) -> list[str]:
    """Split ``command`` like a POSIX shell would; raise ``ValueError`` saying why it cannot be."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ValueError(f"--cmd {command!r} cannot be split into words: {exc}") from None
    if not argv:
        raise ValueError("--cmd is empty; give the command that starts your implementation")
    return argv


def quote_line(line: bytes, limit: int = 120) -> str:
    """Return an answer line as quoted text for a verdict, truncated to ``limit`` characters."""
    text = line.decode("utf-8", "replace").rstrip("\n")
    return repr(text if len(text) <= limit else text[:limit] + "...")


class ImplementationProcess:
    """One running implementation: a process group with three pipes."""

    def __init__(self, argv: Sequence[str], timeout: float, cwd: Optional[Path] = None) -> None:
        self.argv = list(argv)
        self.timeout = timeout
        self.stderr_tail: deque[str] = deque(maxlen=_STDERR_LINES)
        self._partial_err = b""
        self._buffer = b""
        try:
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                cwd=cwd,
                bufsize=0,
            )
        except OSError as exc:
            raise WireFault(
                Verdict.WIRE_CANNOT_START, f"cannot start {shlex.join(self.argv)}: {exc.strerror or exc}"
            ) from None
        assert self.popen.stdin is not None and self.popen.stdout is not None and self.popen.stderr is not None
        self._stdin = self.popen.stdin.fileno()
        self._stdout = self.popen.stdout.fileno()
        self._stderr = self.popen.stderr.fileno()
        for fd in (self._stdin, self._stdout, self._stderr):
            os.set_blocking(fd, False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._stdout, selectors.EVENT_READ)
        self._selector.register(self._stderr, selectors.EVENT_READ)
        self.ended = False

    @property
    def pid(self) -> int:
        """Return the process ID (also the process group ID)."""
        return self.popen.pid

    def fault(self, kind: Verdict, message: str) -> WireFault:
        """End the process group and return the fault to raise, with the tail of stderr."""
        self.kill()
        return WireFault(kind, message, tuple(self.stderr_tail))

    def exchange(self, request: bytes, what: str) -> bytes:
        """Write one request line and return one answer line (without the newline)."""
        if self.ended:
            raise WireFault(Verdict.WIRE_EXITED, f"the implementation has already ended; cannot send {what}")
        deadline = time.monotonic() + self.timeout
        # Most requests fit the pipe: write at once, and wait for writability only if it is full.
        pending = self._write(request, what)
        if pending:
            self._selector.register(self._stdin, selectors.EVENT_WRITE)
        if not pending:
            self._spin_for_answer()
        try:
            while True:
                newline = self._buffer.find(b"\n")
                if newline >= 0 and not pending:
                    line, self._buffer = self._buffer[:newline], self._buffer[newline + 1 :]
                    return line
                remaining = deadline - time.monotonic()
                # WIRE-5: "Every answer MUST arrive within the timeout (default 10 s".
                if remaining <= 0:
                    raise self.fault(
                        Verdict.WIRE_HUNG,
                        f"no answer to {what} within {self.timeout:g} s (set the limit with --timeout)",
                    )
                pending = self._wait(remaining, pending, what)
        finally:
            if not self.ended and self._stdin in self._selector.get_map():  # a request still being written
                self._selector.unregister(self._stdin)

    def _wait(self, timeout: float, pending: bytes, what: str) -> bytes:
        """Wait up to ``timeout`` s for the pipes: write what is pending, read answers and stderr; return the rest."""
        for key, _ in self._selector.select(timeout):
            if key.fd == self._stdin:
                pending = self._write(pending, what)
                if not pending:
                    self._selector.unregister(self._stdin)
            elif key.fd == self._stdout:
                self._read_stdout(what)
            else:
                self._read_stderr(self._selector)
        return pending

    def _spin_for_answer(self) -> None:
        """Poll stdout without sleeping for a moment: a quick answer then costs no wake-up."""
        end = time.perf_counter() + _SPIN_SECONDS
        while b"\n" not in self._buffer and time.perf_counter() < end:
            try:
                chunk = os.read(self._stdout, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                return  # end of output: the select loop reports it, with the exit status
            self._buffer += chunk

    def _write(self, pending: bytes, what: str) -> bytes:
        try:
            written = os.write(self._stdin, pending)
        except BlockingIOError:
            return pending
        except (BrokenPipeError, ConnectionResetError):
            raise self._exited(f"it closed its stdin before reading {what}") from None
        return pending[written:]

    def _read_stdout(self, what: str) -> None:
        try:
            chunk = os.read(self._stdout, 65536)
        except BlockingIOError:
            return
        if not chunk:
            raise self._exited(f"it closed its stdout instead of answering {what}")
        self._buffer += chunk
        if len(self._buffer) > MAX_LINE and b"\n" not in self._buffer:
            raise self.fault(
                Verdict.WIRE_NOT_JSON,
                f"its answer to {what} is over {MAX_LINE:,} bytes without a line end: {quote_line(self._buffer)}",
            )

    def _read_stderr(self, selector: selectors.BaseSelector) -> None:
        try:
            chunk = os.read(self._stderr, 65536)
        except BlockingIOError:
            return
        if not chunk:
            selector.unregister(self._stderr)
            return
        self._add_stderr(chunk)

    def _add_stderr(self, chunk: bytes) -> None:
        lines = (self._partial_err + chunk).split(b"\n")
        self._partial_err = lines.pop()[-_STDERR_WIDTH:]
        for line in lines[-_STDERR_LINES:]:
            text = line.decode("utf-8", "replace").rstrip("\r")
            self.stderr_tail.append(text if len(text) <= _STDERR_WIDTH else text[:_STDERR_WIDTH] + "...")

    def _drain_stderr(self) -> None:
        try:
            while chunk := os.read(self._stderr, 65536):
                self._add_stderr(chunk)
        except (BlockingIOError, OSError):
            pass
        if self._partial_err:
            self._add_stderr(b"\n")

    def _exited(self, how: str) -> WireFault:
        try:
            code = self.popen.wait(_EXIT_GRACE)
            status = f"exited with status {code}" if code >= 0 else f"was killed by signal {-code}"
        except subprocess.TimeoutExpired:
            status = "is still running"
        return self.fault(Verdict.WIRE_EXITED, f"the implementation {status}: {how}")

    def finish(self, wait: float = _EXIT_GRACE) -> Optional[str]:
        """Wait for the process to exit; end its group; return what was left running, if anything."""
        if self.ended:
            return None
        try:
            self.popen.wait(wait)
        except subprocess.TimeoutExpired:
            self.kill()
            return f"the implementation (pid {self.pid}) did not exit within {wait:g} s of bye"
        # WIRE-5: "`WIRE_HUNG`, which stops the run unshrunk). dialcheck MUST end the implementation's whole process
        # group after any fault and at the end of a run, and MUST report a process of the group still running after the
        # implementation exited on `bye` (`WIRE_LEFT_CHILD`)".
        left = get_group_members(self.pid)
        self.kill()
        if left:
            return f"process(es) {', '.join(map(str, left))} of its process group still ran after it exited"
        return None

    def kill(self) -> None:
        """End the whole process group and reap the process; safe to call twice."""
        if self.ended:
            return
        # WIRE-5: "dialcheck MUST end the implementation's whole process group".
        self.ended = True
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.popen.wait()
        self._selector.close()
        self._drain_stderr()
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass


def get_group_members(pgid: int) -> list[int]:
    """Return the live (not zombie) processes of process group ``pgid``."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return sorted(members)
