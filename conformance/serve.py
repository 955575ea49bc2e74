"""``dialcheck serve``: an in-process implementation (the reference by default) speaking ``dialcheck-wire/1``.

Theory of operation
-------------------
:class:`WireServer` turns one decoded request into one answer; :func:`serve`
reads requests from a binary stream line by line and writes each answer as
one line, flushed, until ``bye`` or the end of input.  A request it cannot
read or carry out gets ``ok: false`` with the reason; the server itself never
stops on bad input, so a third party can diff its own harness against it.

Handles are numbered from 1 in the order tasks are first seen; a task object
the implementation returns again (geth reuses static dial tasks) keeps its
handle.  ``init`` forgets everything, handles included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO, Optional

from dialcheck.conformance.execution_checks import describe_bad_execution, supports_execution
from dialcheck.conformance.loader import check_dialstate
from dialcheck.conformance.replay import describe_bad_answer
from dialcheck.conformance.wire import (
    PROTOCOL,
    ByeRequest,
    ExecuteRequest,
    Hello,
    HelloRequest,
    InitRequest,
    NewTasksRequest,
    Op,
    StaticRequest,
    TaskDoneRequest,
    decode,
    encode,
    get_profile,
    get_request,
    make_error_answer,
    make_execution_answer,
    make_hello_answer,
    make_ok_answer,
    make_tasks_answer,
)
from dialcheck.spec.contract import Dialstate, DialstateFactory
from dialcheck.spec.model import Profile, Task
from dialcheck.spec.verdicts import FormatError

__all__ = ["WireServer", "serve", "get_served_profiles"]

_Answer = dict[str, object]
_OPS = frozenset(op.value for op in Op)


class WireServer:
    """Answer ``dialcheck-wire/1`` requests with implementations made by ``factory``."""

    def __init__(self, factory: DialstateFactory, hello: Hello) -> None:
        self.factory = factory
        self.hello = hello
        self.impl: Optional[Dialstate] = None
        self.next_handle = 1
        self.tasks: dict[int, Task] = {}
        self.handles: dict[int, tuple[Task, int]] = {}

    def on_line(self, line: bytes) -> tuple[_Answer, bool]:
        """Return the answer to one request line, and whether the server should stop after it."""
        try:
            value = decode(line)
        except ValueError as exc:
            return make_error_answer(f"bad request: {exc}"), False
        # WIRE-6: "an implementation MUST answer an op it does not support with ok: false and
        # unsupported: true".
        if isinstance(value, dict) and value.get("op") not in _OPS:
            return make_error_answer(f"op {value.get('op')!r} is not supported", unsupported=True), False
        try:
            request = get_request(value)
        except FormatError as exc:
            return make_error_answer(f"bad request: {exc}"), False
        if isinstance(request, ByeRequest):
            return make_ok_answer(), True
        try:
            return self._on_request(request), False
        except Exception as exc:  # the served implementation failed: say so, keep serving
            return make_error_answer(f"the implementation raised {type(exc).__name__}: {exc}"), False

    def _on_request(self, request: object) -> _Answer:
        if isinstance(request, HelloRequest):
            if request.protocol != PROTOCOL:
                return make_error_answer(f"protocol {request.protocol} is not spoken here (only {PROTOCOL})", True)
            return make_hello_answer(self.hello)
        if isinstance(request, InitRequest):
            profile = get_profile(request.profile)
            if profile is None or profile.value not in self.hello.profiles:
                offered = ", ".join(self.hello.profiles)
                return make_error_answer(f"profile {request.profile!r} is not served (only {offered})", True)
            self.impl = None
            self.tasks.clear()
            self.handles.clear()
            self.impl = check_dialstate(self.factory(request.config, profile), "the served factory")
            return make_ok_answer()
        if self.impl is None:
            return make_error_answer("no dialstate yet: send init first")
        if isinstance(request, NewTasksRequest):
            answer = self.impl.new_tasks(request.running, request.peers, request.now, list(request.table))
            problem = describe_bad_answer(answer)
            if problem is not None:
                return make_error_answer(problem)
            return make_tasks_answer([(self._get_handle(task), task) for task in answer])
        if isinstance(request, ExecuteRequest):
            task = self.tasks.get(request.handle)
            if task is None:
                return make_error_answer(f"unknown handle {request.handle}: no outstanding task has it")
            if not supports_execution(self.impl):
                return make_error_answer("the served implementation cannot execute tasks", unsupported=True)
            execution = self.impl.execute(task, request.inputs)
            problem = describe_bad_execution(execution)
            if problem is not None:
                return make_error_answer(problem)
            return make_execution_answer(execution)
        if isinstance(request, TaskDoneRequest):
            task = self.tasks.pop(request.handle, None)
            if task is None:
                return make_error_answer(f"unknown handle {request.handle}: no outstanding task has it")
            self.impl.task_done(task, request.now, list(request.results))
            return make_ok_answer()
        assert isinstance(request, StaticRequest)
        if request.add:
            self.impl.add_static(request.node)
        else:
            self.impl.remove_static(request.node)
        return make_ok_answer()

    def _get_handle(self, task: Task) -> int:
        known = self.handles.get(id(task))
        if known is not None and known[0] is task:
            handle = known[1]
        else:
            handle = self.next_handle
            self.next_handle += 1
            self.handles[id(task)] = (task, handle)
        self.tasks[handle] = task
        return handle


def serve(factory: DialstateFactory, hello: Hello, stdin: BinaryIO, stdout: BinaryIO) -> int:
    """Answer requests from ``stdin`` on ``stdout`` until ``bye`` or end of input; return the exit code."""
    server = WireServer(factory, hello)
    for line in stdin:
        answer, stop = server.on_line(line)
        stdout.write(encode(answer))
        stdout.flush()
        if stop:
            break
    return 0


def get_served_profiles(only: Optional[str]) -> Sequence[str]:
    """Return the profile names to advertise: ``only`` if given, else every profile."""
    return [only] if only is not None else [p.value for p in Profile]
