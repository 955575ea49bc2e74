"""The subprocess adapter: drive an implementation that speaks ``dialcheck-wire/1`` as an in-process dialstate.

Theory of operation
-------------------
A :class:`WireSession` owns the implementation process of one run: it starts it,
says ``hello``, and restarts it if a fault ended it (so that shrinking can go
on).  :meth:`WireSession.create` is a :data:`~spec.contract.DialstateFactory`:
each call sends ``init`` and returns a :class:`WireDialstate`, which turns the
four contract calls into requests and the answers back into ``spec.model``
tasks.  Everything the suite knows about in-process implementations (the
machine, replay, the invariants, the reference beside it) therefore works
unchanged on any language.

Handles: each task in an answer carries the handle that names it until
``task_done``.  A handle that is still outstanding, or repeated in one answer,
is a ``WIRE_DUPLICATE_HANDLE`` fault.  A handle returned again after its task
finished, for an equal task, gives back the same Python object (geth hands its
static dial tasks back again; AD-3 compares by identity).

Every misbehaviour is a :class:`~conformance.process.WireFault`; the suite
reports it at the step of the call, with the tail of the program's stderr.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Optional, Union

from dialcheck.conformance.drivers.process import ImplementationProcess, WireFault, quote_line, split_command
from dialcheck.conformance.formats.scheduler_format import (
    event_to_json,
    get_response,
    make_scheduler_init_request,
)
from dialcheck.conformance.formats.wire import (
    DEFAULT_TIMEOUT,
    EXECUTION_KEYS,
    EXTENSION_EXECUTE,
    HELLO_KEYS,
    HELLO_OPTIONAL_KEYS,
    PROTOCOL,
    Hello,
    Op,
    Refusal,
    decode,
    encode,
    get_answer,
    get_execution_answer,
    get_hello_answer,
    get_tasks_answer,
    make_bye_request,
    make_execute_request,
    make_hello_request,
    make_init_request,
    make_new_tasks_request,
    make_static_request,
    make_task_done_request,
)
from dialcheck.spec.contract import EventMethods
from dialcheck.spec.execution import Execution, ExecutionInput
from dialcheck.spec.model import Config, ConnFlag, DialTask, Node, NodeID, Profile, Task, get_task_key
from dialcheck.spec.scheduler import (
    Response,
    SchedulerConfig,
    SchedulerEvent,
    SchedulerProfile,
)
from dialcheck.spec.verdicts import FormatError, Verdict

__all__ = ["DEFAULT_TIMEOUT", "WireSession", "WireDialstate", "WireExecutingDialstate", "WireScheduler"]


class WireSession:
    """The implementation process of one run, restarted after a fault."""

    def __init__(self, command: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.command = command
        self.argv = split_command(command)
        self.timeout = timeout
        self.process: Optional[ImplementationProcess] = None
        self.hello: Optional[Hello] = None
        self.starts = 0
        self.last_line = b""

    def start(self) -> Hello:
        """Start the process if it is not running and return its ``hello`` answer."""
        if self.process is not None and not self.process.ended:
            assert self.hello is not None
            return self.hello
        self.process = ImplementationProcess(self.argv, self.timeout)
        self.starts += 1
        answer = self.request(make_hello_request(), "hello", HELLO_KEYS, HELLO_OPTIONAL_KEYS)
        try:
            hello = get_hello_answer(answer) if not isinstance(answer, Refusal) else None
        except FormatError as exc:
            raise self.shape_fault("hello", exc) from None
        # WIRE-2: "The first request is `hello`. dialcheck MUST refuse before running (exit 2) a command that cannot be
        # started, does not answer `hello` with protocol 1, or does not list the requested profile" (the caller checks
        # the profile).
        if hello is None or hello.protocol != PROTOCOL:
            said = f"protocol {hello.protocol}" if hello is not None else "a refusal"
            raise self.fault(
                Verdict.WIRE_UNSUPPORTED, f"it answered hello with {said}; dialcheck speaks protocol {PROTOCOL}"
            )
        self.hello = hello
        return hello

    def fault(self, kind: Verdict, message: str) -> WireFault:
        assert self.process is not None
        return self.process.fault(kind, message)

    def request(
        self, message: dict[str, object], what: str, keys: set[str], optional: frozenset[str] = frozenset()
    ) -> Union[Mapping[str, object], Refusal]:
        """Send one request and return the answer, checked for shape; raise ``WireFault`` on any fault."""
        assert self.process is not None
        line = self.last_line = self.process.exchange(encode(message), what)
        # WIRE-1: "dialcheck MUST report a line that is not JSON (`WIRE_NOT_JSON`) or not of the answer's shape
        # (`WIRE_BAD_SHAPE`), quoting it, at the step of the request".
        try:
            value = decode(line)
        except ValueError as exc:
            raise self.fault(Verdict.WIRE_NOT_JSON, f"its answer to {what} is {exc}: {quote_line(line)}") from None
        try:
            return get_answer(value, keys, optional)
        except FormatError as exc:
            raise self.shape_fault(what, exc) from None

    def shape_fault(self, what: str, error: FormatError) -> WireFault:
        """Return the fault for an answer of the wrong shape, quoting the last answer line."""
        return self.fault(
            Verdict.WIRE_BAD_SHAPE, f"its answer to {what} has the wrong shape: {error}: {quote_line(self.last_line)}"
        )

    def call(
        self, message: dict[str, object], what: str, keys: set[str], optional: frozenset[str] = frozenset()
    ) -> Mapping[str, object]:
        """Send one request and return the successful answer; a refusal is a fault."""
        answer = self.request(message, what, keys, optional)
        if isinstance(answer, Refusal):
            kind = Verdict.WIRE_UNSUPPORTED if answer.unsupported else Verdict.WIRE_REFUSED
            raise self.fault(kind, f"it refused {what}: {answer.error}")
        return answer

    def create(self, config: Config, profile: Profile) -> "WireDialstate":
        """Start a fresh dialstate in the process (``init``), restarting the process if it ended.

        The dialstate can execute tasks when the implementation advertised the extension.
        """
        hello = self.start()
        self.call(make_init_request(profile, config), f"init ({profile.value})", set())
        if EXTENSION_EXECUTE in hello.extensions:
            return WireExecutingDialstate(self)
        return WireDialstate(self)

    def create_scheduler(self, config: SchedulerConfig, profile: SchedulerProfile) -> "WireScheduler":
        """Start a fresh dialScheduler in the process (``init`` with a scheduler profile)."""
        self.start()
        self.call(make_scheduler_init_request(profile, config), f"init ({profile.value})", set())
        return WireScheduler(self)

    def close(self) -> Optional[WireFault]:
        """Say ``bye`` and end the process; return a fault if it misbehaved on the way out."""
        process = self.process
        if process is None or process.ended:
            return None
        try:
            self.call(make_bye_request(), "bye", set())
        except WireFault as fault:
            return fault
        left = process.finish()
        if left is not None:
            return WireFault(
                Verdict.WIRE_LEFT_CHILD, f"it left processes running after bye: {left}", tuple(process.stderr_tail)
            )
        return None

    def kill(self) -> None:
        """End the process group at once (on interrupt or error)."""
        if self.process is not None:
            self.process.kill()


def _is_same_task(previous: Task, task: Task) -> bool:
    """Return whether a finished handle returned again names the same task (kind, and flag or duration)."""
    if isinstance(previous, DialTask) and isinstance(task, DialTask):
        return previous.flag is task.flag and previous.dest.id == task.dest.id
    return get_task_key(previous) == get_task_key(task)


class WireDialstate:
    """A dialstate living in an implementation process (one ``init`` of a :class:`WireSession`)."""

    def __init__(self, session: WireSession) -> None:
        self.session = session
        self.outstanding: dict[int, Task] = {}
        self.finished: dict[int, Task] = {}
        self.handles: dict[int, tuple[Task, int]] = {}
        self.calls = 0

    def _what(self, op: str) -> str:
        return f"{op} (request {self.calls} since init)"

    def new_tasks(self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]) -> list[Task]:
        """Send ``new_tasks`` and return the tasks of the answer, each remembered by its handle."""
        self.calls += 1
        what = self._what("new_tasks")
        answer = self.session.call(make_new_tasks_request(now, running, peers, table), what, {"tasks"})
        try:
            pairs = get_tasks_answer(answer)
        except FormatError as exc:
            raise self.session.shape_fault(what, exc) from None
        seen: set[int] = set()
        tasks = []
        for handle, task in pairs:
            # WIRE-4: "it MUST NOT appear twice in one answer nor again while outstanding (`WIRE_DUPLICATE_HANDLE`), and
            # `task_done` of an outstanding handle MUST be accepted (`WIRE_UNKNOWN_HANDLE`)".
            if handle in self.outstanding or handle in seen:
                where = "twice in one answer" if handle in seen else "while its task is still outstanding"
                raise self.session.fault(
                    Verdict.WIRE_DUPLICATE_HANDLE,
                    f"its answer to {what} uses handle {handle} {where}; a handle names one task until task_done",
                )
            seen.add(handle)
            previous = self.finished.pop(handle, None)
            if previous is not None and _is_same_task(previous, task):
                if isinstance(previous, DialTask) and isinstance(task, DialTask):
                    previous.dest = task.dest  # execution may have resolved a new endpoint
                task = previous
            tasks.append(task)
            self.outstanding[handle] = task
            self.handles[id(task)] = (task, handle)
        return tasks

    def _get_handle(self, task: Task) -> int:
        known = self.handles.get(id(task))
        if known is None or known[0] is not task or known[1] not in self.outstanding:
            raise ValueError("the suite passed a task this dialstate does not have outstanding")
        return known[1]

    def task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        """Send ``task_done`` for the handle of ``task``."""
        handle = self._get_handle(task)
        self.calls += 1
        what = self._what(f"task_done of handle {handle}")
        answer = self.session.request(make_task_done_request(now, handle, results), what, set())
        # WIRE-4: "task_done of an outstanding handle MUST be accepted".
        if isinstance(answer, Refusal):
            kind = Verdict.WIRE_UNSUPPORTED if answer.unsupported else Verdict.WIRE_UNKNOWN_HANDLE
            raise self.session.fault(
                kind, f"it refused {what}, a handle it returned and has not seen finish: {answer.error}"
            )
        self.finished[handle] = self.outstanding.pop(handle)

    def add_static(self, node: Node) -> None:
        """Send ``add_static``."""
        self._static(Op.ADD_STATIC, node)

    def remove_static(self, node: Node) -> None:
        """Send ``remove_static``."""
        self._static(Op.REMOVE_STATIC, node)

    def _static(self, op: Op, node: Node) -> None:
        self.calls += 1
        self.session.call(make_static_request(op, node), self._what(op.value), set())


class WireExecutingDialstate(WireDialstate):
    """A wire dialstate whose implementation advertised the ``execute`` extension (AD-5)."""

    def execute(self, task: Task, inputs: ExecutionInput) -> Execution:
        """Send ``execute`` for the handle of ``task`` and return what the implementation says it did."""
        handle = self._get_handle(task)
        self.calls += 1
        what = self._what(f"execute of handle {handle}")
        answer = self.session.call(make_execute_request(handle, inputs), what, EXECUTION_KEYS, frozenset({"state"}))
        try:
            return get_execution_answer(answer)
        except FormatError as exc:
            raise self.session.shape_fault(what, exc) from None


class WireScheduler(EventMethods):
    """A dialScheduler living in an implementation process (one scheduler ``init`` of a :class:`WireSession`).

    The contract's methods come from :class:`~dialcheck.spec.contract.EventMethods`; each event is sent
    as its request.
    """

    def __init__(self, session: WireSession) -> None:
        self.session = session
        self.calls = 0

    def on_event(self, event: SchedulerEvent) -> Response:
        """Send ``event`` and return the implementation's answer."""
        self.calls += 1
        request = event_to_json(event)
        what = f"{request['op']} (request {self.calls} since init)"
        answer = self.session.call(request, what, {"dials", "reads"}, frozenset({"actions", "done"}))
        try:
            return get_response(answer, "$")
        except FormatError as exc:
            raise self.session.shape_fault(what, exc) from None
