"""A dialcheck-wire/1 implementation that misbehaves on purpose: the reference, broken one way.

Usage: misbehaving.py MODE PIDFILE

MODE says what goes wrong (see ``MODES``); the program appends its own PID, and
the PID of every process it starts, to PIDFILE, so a test can check that none
is left running.  A mid-run fault happens at the request numbered ``MID``
counted from the last ``init`` (the init itself is 0), so that it depends only on
the calls since init, like a real bug; only "nondeterministic" depends on the
life of the process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dialcheck.conformance.drivers.serve import WireServer  # noqa: E402
from dialcheck.conformance.formats.wire import PROTOCOL, Hello, encode  # noqa: E402
from dialcheck.reference.dialstate import create_dialstate  # noqa: E402

#: The request after init at which a mid-run fault happens.
MID = 5

MODES = {
    "exit-at-start": "exits with status 3 before answering hello",
    "close-stdout-at-start": "closes stdout before answering hello",
    "garbage-hello": "answers hello with a line that is not JSON",
    "exit-mid-run": "exits with status 3 at request MID after init",
    "close-stdout-mid-run": "closes stdout at request MID after init and keeps running",
    "hang": "stops answering at request MID after init",
    "not-json": "answers request MID after init with a log line",
    "wrong-shape": "answers the first new_tasks from request MID on with tasks that are not a list",
    "refuse": "answers the first new_tasks from request MID on with ok: false",
    "unknown-handle": "refuses every task_done, saying the handle is unknown",
    "duplicate-handle": "gives every task handle 1",
    "nondeterministic": "drops one task from one new_tasks answer, once in the life of the process",
    "leave-child": "starts a child that outlives it",
    "flood-stderr": "writes 1 MB to stderr before every answer and then behaves",
}


class _Program:
    """The reference served over the wire, broken as ``mode`` says."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.server = WireServer(
            create_dialstate, Hello("misbehaving-" + mode, "0", PROTOCOL, ("geth-1.7", "geth-1.8"))
        )
        self.count = 0
        self.since_init = -1
        self.broken = False
        self.once = False
        self.stdout = sys.stdout.buffer

    def on_line(self, line: bytes) -> Optional[int]:
        """Answer one request (or fail as the mode says); return an exit status to stop with, if any."""
        self.count += 1
        request = json.loads(line) if line.startswith(b"{") else {}
        op = request.get("op")
        if op == "init":
            self.since_init, self.broken = 0, False
        elif self.since_init >= 0:
            self.since_init += 1
        print(f"request {self.count}: {line[:60]!r}", file=sys.stderr, flush=True)
        fault = self._fail_before_answering()
        if fault is not None:
            return None if fault < 0 else fault
        if self.mode == "flood-stderr":
            sys.stderr.write("x" * 1_000_000 + "\n")
            sys.stderr.flush()
        answer, stop = self.server.on_line(line)
        self.stdout.write(encode(self._break(op, request, answer)))
        self.stdout.flush()
        return 0 if stop else None

    def _fail_before_answering(self) -> Optional[int]:
        """Misbehave instead of answering when the mode says so now: an exit status, -1 (no answer), or None."""
        mode, at_start, mid = self.mode, self.count == 1, self.since_init == MID
        if at_start and mode == "exit-at-start":
            print("fatal: cannot open the node database", file=sys.stderr, flush=True)
            return 3
        if mid and mode == "exit-mid-run":
            print("panic: runtime error: index out of range [3] with length 3", file=sys.stderr, flush=True)
            return 3
        if (at_start and mode == "close-stdout-at-start") or (mid and mode == "close-stdout-mid-run"):
            os.close(1)
            time.sleep(30)
            return 0
        garbage = {
            "garbage-hello": b"Starting dialer v0.1...\n",
            "not-json": b"INFO [11-24|10:00:00] Dialing node id=abcd\n",
        }
        if (at_start and mode == "garbage-hello") or (mid and mode == "not-json"):
            self.stdout.write(garbage[mode])
            self.stdout.flush()
            return -1
        if mid and mode == "hang":
            print("deadlock: waiting for the table lock", file=sys.stderr, flush=True)
            time.sleep(300)
        return None

    def _break(self, op: object, request: dict[str, object], answer: dict[str, object]) -> dict[str, object]:
        """Return ``answer`` as the mode breaks it."""
        mode = self.mode
        if op == "new_tasks" and self.since_init >= MID and not self.broken and mode in ("wrong-shape", "refuse"):
            self.broken = True
            return (
                {"ok": True, "tasks": {"dial": 1}}
                if mode == "wrong-shape"
                else {"ok": False, "error": "table not ready"}
            )
        if op == "task_done" and mode == "unknown-handle":
            return {"ok": False, "error": f"unknown handle {request['handle']}"}
        tasks = answer.get("tasks")
        if op == "new_tasks" and mode == "duplicate-handle" and isinstance(tasks, list):
            for task in tasks:
                task["handle"] = 1
        if (
            op == "new_tasks"
            and mode == "nondeterministic"
            and not self.once
            and isinstance(tasks, list)
            and len(tasks) > 1
        ):
            self.once = True
            answer["tasks"] = tasks[1:]
        return answer


def main() -> int:
    mode, pidfile = sys.argv[1], Path(sys.argv[2])
    assert mode in MODES, f"unknown mode {mode}"
    with pidfile.open("a") as out:
        out.write(f"{os.getpid()}\n")
    if mode == "leave-child":
        child = subprocess.Popen(["sleep", "300"])
        with pidfile.open("a") as out:
            out.write(f"{child.pid}\n")
    program = _Program(mode)
    for line in sys.stdin.buffer:
        status = program.on_line(line)
        if status is not None:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
