"""``dialcheck serve``: an in-process implementation (the reference by default) speaking ``dialcheck-wire/1``.

Theory of operation
-------------------
:class:`WireServer` turns one decoded request into one answer; :func:`serve`
reads requests from a binary stream line by line and writes each answer as
one line, flushed, until ``bye`` or the end of input.  A request it cannot
read or carry out gets ``ok: false`` with the reason; the server itself never
stops on bad input, so a third party can diff its own harness against it.

Each ``init`` makes a fresh :class:`~dialcheck.conformance.harness.session.Session`
that judges nothing but shapes; every other request is one of its steps.  An
``init`` with a dialScheduler profile makes a
:class:`~dialcheck.conformance.harness.session.SchedulerSession` instead, and the
events that follow are its steps.
Handles are the session's: numbered from 1 in the order tasks are first seen;
a task object the implementation returns again (geth reuses static dial
tasks) keeps its handle.  ``init`` forgets everything, handles included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO, Optional

from dialcheck.conformance.formats.scheduler_format import (
    EVENT_OPS,
    SCHEDULER_PROFILES,
    get_event,
    get_scheduler_init,
    response_to_json,
)
from dialcheck.conformance.formats.wire import (
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
from dialcheck.conformance.harness.session import Nonconformance, SchedulerSession, Session
from dialcheck.spec.contract import DialstateFactory, SchedulerFactory
from dialcheck.spec.model import Profile
from dialcheck.spec.verdicts import FormatError

__all__ = ["WireServer", "serve", "get_served_profiles"]

_Answer = dict[str, object]
_OPS = frozenset(op.value for op in Op)


class WireServer:
    """Answer ``dialcheck-wire/1`` requests with implementations made by ``factory``."""

    def __init__(self, factory: DialstateFactory, hello: Hello, scheduler: Optional[SchedulerFactory] = None) -> None:
        self.factory = factory
        self.hello = hello
        self.session: Optional[Session] = None
        #: Makes the dialSchedulers of the scheduler profiles (spec/scheduler.md), and the one in use.
        self.scheduler = scheduler
        self.scheduling: Optional[SchedulerSession] = None

    def on_line(self, line: bytes) -> tuple[_Answer, bool]:
        """Return the answer to one request line, and whether the server should stop after it."""
        try:
            value = decode(line)
        except ValueError as exc:
            return make_error_answer(f"bad request: {exc}"), False
        # WIRE-6: "an implementation MUST answer an op it does not support with ok: false and
        # unsupported: true".
        if isinstance(value, dict) and self._is_scheduler_request(value):
            return self._on_scheduler_request(value), False
        if isinstance(value, dict) and value.get("op") not in _OPS:
            return make_error_answer(f"op {value.get('op')!r} is not supported", unsupported=True), False
        wrong = None if self.hello.id_bytes is None else _find_wrong_width(value, 2 * self.hello.id_bytes, "$")
        if wrong is not None:
            return make_error_answer(
                f"bad request: {wrong}, but this server declared id_bytes {self.hello.id_bytes}"
            ), False
        try:
            request = get_request(value)
        except FormatError as exc:
            return make_error_answer(f"bad request: {exc}"), False
        if isinstance(request, ByeRequest):
            return make_ok_answer(), True
        try:
            return self._on_request(request), False
        except Nonconformance as failure:  # the served implementation failed: say so, keep serving
            return make_error_answer(failure.message), False
        except Exception as exc:
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
            self.session = self.scheduling = None
            self.session = Session.create(
                self.factory, request.config, profile, origin="the served factory", level=None
            )
            return make_ok_answer()
        session = self.session
        if session is None:
            return make_error_answer("no dialstate yet: send init first")
        return self._on_step(session, request)

    def _on_step(self, session: Session, request: object) -> _Answer:
        """Answer a request that drives the dialstate ``init`` made: new tasks, statics, a task executed or done."""
        if isinstance(request, NewTasksRequest):
            entries = session.new_tasks(request.running, request.peers, request.now, request.table)
            return make_tasks_answer([(entry.handle, entry.task) for entry in entries])
        if isinstance(request, StaticRequest):
            if request.add:
                session.add_static(request.node)
            else:
                session.remove_static(request.node)
            return make_ok_answer()
        assert isinstance(request, (ExecuteRequest, TaskDoneRequest))
        entry = session.find_handle(request.handle)
        if entry is None:
            return make_error_answer(f"unknown handle {request.handle}: no outstanding task has it")
        if isinstance(request, TaskDoneRequest):
            session.task_done(entry, request.now, request.results)
            return make_ok_answer()
        if not session.executes:
            return make_error_answer("the served implementation cannot execute tasks", unsupported=True)
        return make_execution_answer(session.execute(entry, request.inputs))

    def _is_scheduler_request(self, value: dict[str, object]) -> bool:
        """Return whether ``value`` is a scheduler ``init`` or an event for the scheduler in use."""
        op = value.get("op")
        if op == Op.INIT.value:
            return value.get("profile") in SCHEDULER_PROFILES
        return self.scheduling is not None and op in EVENT_OPS

    def _on_scheduler_request(self, value: dict[str, object]) -> _Answer:
        """Answer a scheduler ``init`` or event (``docs/wire-protocol.md``, "The dialScheduler family")."""
        try:
            if value.get("op") == Op.INIT.value:
                profile, config = get_scheduler_init(value)
                if self.scheduler is None or profile.value not in self.hello.profiles:
                    offered = ", ".join(self.hello.profiles)
                    return make_error_answer(f"profile {profile.value!r} is not served (only {offered})", True)
                self.session = self.scheduling = None
                self.scheduling = SchedulerSession.create(
                    self.scheduler, config, profile, origin="the served factory", level=None
                )
                return make_ok_answer()
            event = get_event(value, "$")
        except FormatError as exc:
            return make_error_answer(f"bad request: {exc}")
        session = self.scheduling
        assert session is not None
        try:
            return {"ok": True, **response_to_json(session.on_event(event))}
        except Nonconformance as failure:
            return make_error_answer(failure.message)
        except Exception as exc:
            return make_error_answer(f"the implementation raised {type(exc).__name__}: {exc}")


def _find_wrong_width(value: object, digits: int, path: str) -> Optional[str]:
    """Return where ``value`` holds a node ID (under ``id`` or ``self``) of other than ``digits`` hex digits."""
    if isinstance(value, list):
        wrong = (_find_wrong_width(item, digits, f"{path}[{i}]") for i, item in enumerate(value))
        return next((w for w in wrong if w is not None), None)
    if not isinstance(value, dict):
        return None
    for key, item in value.items():
        if key in ("id", "self") and isinstance(item, str) and len(item) != digits:
            return f"{path}.{key} is a node ID of {len(item) // 2} bytes"
        found = _find_wrong_width(item, digits, f"{path}.{key}")
        if found is not None:
            return found
    return None


def serve(
    factory: DialstateFactory,
    hello: Hello,
    stdin: BinaryIO,
    stdout: BinaryIO,
    scheduler: Optional[SchedulerFactory] = None,
) -> int:
    """Answer requests from ``stdin`` on ``stdout`` until ``bye`` or end of input; return the exit code."""
    server = WireServer(factory, hello, scheduler)
    for line in stdin:
        answer, stop = server.on_line(line)
        stdout.write(encode(answer))
        stdout.flush()
        if stop:
            break
    return 0


def get_served_profiles(only: Optional[str]) -> Sequence[str]:
    """Return the profile names to advertise: ``only`` if given, else every profile of both families."""
    return [only] if only is not None else [p.value for p in Profile] + list(SCHEDULER_PROFILES)
