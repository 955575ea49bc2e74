"""The session core: one implementation driven step by step, judged at every step, recorded as a trace.

Theory of operation
-------------------
A :class:`Session` owns one implementation made by a factory (AD-1) and,
when judging at ``strict`` level, the reference beside it (its *twin*, given
the very same calls).  Every step a driver takes goes through one method:

=================  ===========================================================
method             what it does
=================  ===========================================================
``new_tasks``      asks for tasks; checks the answer's shape (AD-4), judges it
                   against the twin's (STRICT), the trace's ``expect`` and the
                   named invariants; the tasks become *outstanding*
``execute``        executes an outstanding task (AD-5); judges what it did
                   against the twin, ``expect`` and the rules of section 10
``task_done``      finishes an outstanding task, handing back the very object
                   the implementation returned (AD-3)
``add_static``,    change the static nodes
``remove_static``
``apply``          applies one recorded trace step: the same methods, with the
                   task named by its :class:`TaskRef`
=================  ===========================================================

The first problem raises :class:`Nonconformance` carrying a :class:`Failure`
(the verdict, the step and its index, what was expected and what came back,
every named check the answer broke) and the trace recorded up to and
including that step.  Every driver uses this one core: the state machine and
the explorer (through :mod:`dialcheck.conformance.harness.world`), replay and serve.
A session made with ``judge=False`` (serve) only checks shapes.

Outstanding tasks are kept in the order they were returned; a ``TaskRef``
names the oldest of its kind and destination.  The machine picks among them
in a canonical order instead (:meth:`Session.get_canonical_outstanding`), so
that an implementation answering the same multiset in another order sees
the same later choices (DS-TASKS-2).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, NoReturn, Optional, TypeVar, Union, cast

from dialcheck.conformance.formats.render import format_allowed, format_node_id, format_response
from dialcheck.conformance.formats.scheduler_format import EventStep, SchedulerTrace
from dialcheck.conformance.formats.trace import (
    AddStaticStep,
    ExecuteStep,
    NewTasksStep,
    RemoveStaticStep,
    Step,
    TaskDoneStep,
    TaskRef,
    Trace,
)
from dialcheck.conformance.harness.loader import check_contract
from dialcheck.conformance.oracle.answers import compare_tasks, describe_bad_answer, get_order_key
from dialcheck.conformance.oracle.execution_checks import (
    ExecutionChecker,
    compare_executions,
    describe_bad_execution,
    supports_execution,
)
from dialcheck.conformance.oracle.invariants import InvariantChecker, Situation, Violation
from dialcheck.conformance.oracle.scheduler_checks import SchedulerChecker
from dialcheck.reference.dialstate import Dialstate as ReferenceDialstate
from dialcheck.reference.scheduler import Pick, pick_first
from dialcheck.reference.scheduler import Scheduler as ReferenceScheduler
from dialcheck.spec.contract import CONTRACT_METHODS, SCHEDULER_METHODS, Dialstate, Scheduler, deliver_event
from dialcheck.spec.execution import Connect, Execution, ExecutionInput, Resolve
from dialcheck.spec.model import (
    Config,
    ConnFlag,
    DialTask,
    DiscoverTask,
    Node,
    NodeID,
    Profile,
    Task,
    WaitTask,
    get_rules,
    get_task_key,
    get_task_snapshot,
)
from dialcheck.spec.scheduler import (
    Advance,
    AllowedResponse,
    Dial,
    DialDone,
    DnsLookup,
    InboundCompleted,
    InboundPending,
    NodeOffered,
    PeerAdded,
    PeerRemoved,
    Response,
    SchedulerConfig,
    SchedulerEvent,
    SchedulerProfile,
    Start,
    get_dial_key,
    get_event_name,
    is_connected,
)
from dialcheck.spec.verdicts import ImplementationFault, Verdict

#: A step of either family.
AnyStep = Union[Step, EventStep]

__all__ = [
    "Level",
    "SessionCore",
    "AnyStep",
    "Failure",
    "Nonconformance",
    "Outstanding",
    "Session",
    "get_task_ref",
    "SchedulerSession",
]


class Level(enum.Enum):
    """How an implementation is judged."""

    STRICT = "strict"
    INVARIANTS = "invariants"


@dataclass(frozen=True)
class Failure:
    """Why a session failed: the verdict and where (``index`` 0-based into the steps; ``None``: construction)."""

    verdict: Verdict
    message: str
    index: Optional[int] = None
    step: Optional[AnyStep] = None
    expected: Optional[tuple[Task, ...]] = None
    got: Optional[tuple[Task, ...]] = None
    #: Every named check the step broke (with STRICT, all of them; otherwise the first is ``verdict``).
    violations: tuple[Violation, ...] = ()
    #: The run cannot try another example (the implementation hung).
    aborts_run: bool = False

    @property
    def also(self) -> tuple[Verdict, ...]:
        """Return the other named checks the step broke."""
        names = tuple(v.check for v in self.violations)
        return names if self.verdict is Verdict.STRICT else names[1:]


TraceT = TypeVar("TraceT", Trace, SchedulerTrace)
StepT = TypeVar("StepT", Step, EventStep)


class Nonconformance(ImplementationFault, Generic[TraceT]):
    """The implementation broke a check; carries the failure and the trace up to that step (exit 1).

    One class for every family: ``trace`` is the family's trace (``Trace`` or ``SchedulerTrace``).
    """

    def __init__(self, failure: Failure, trace: TraceT) -> None:
        super().__init__(failure.verdict, failure.message, failure.aborts_run)
        self.failure = failure
        self.trace: TraceT = trace

    def __str__(self) -> str:
        return f"{self.verdict}: {self.message}"

    @property
    def check(self) -> Verdict:
        """Return the verdict."""
        return self.failure.verdict

    @property
    def violations(self) -> tuple[Violation, ...]:
        """Return every named check the failing step broke."""
        return self.failure.violations

    @property
    def expected(self) -> Optional[tuple[Task, ...]]:
        """Return the answer expected at the failing step, when it was compared."""
        return self.failure.expected

    @property
    def got(self) -> Optional[tuple[Task, ...]]:
        """Return the implementation's answer at the failing step, when it gave one."""
        return self.failure.got


@dataclass(eq=False)
class Outstanding:
    """A task the implementation returned and that is not done yet."""

    task: Task
    #: The reference's task with the same comparison key (strict level), given the same calls.
    twin: Optional[Task]
    #: Which answer returned it (0 for the first), and its name on the wire.
    answer: int
    handle: int
    executed: bool = False


def get_task_ref(task: Task) -> TaskRef:
    """Return the reference that names ``task`` in a trace."""
    if isinstance(task, DialTask):
        return TaskRef("dial", task.dest.id)
    return TaskRef("discover") if isinstance(task, DiscoverTask) else TaskRef("wait")


def _is_named_by(task: Task, ref: TaskRef) -> bool:
    if ref.kind == "dial":
        return isinstance(task, DialTask) and task.dest.id == ref.dest
    return isinstance(task, DiscoverTask) if ref.kind == "discover" else isinstance(task, WaitTask)


def _describe_raise(exc: Exception, what: str) -> str:
    return f"the implementation raised {type(exc).__name__} in {what}: {exc}"


SessionT = TypeVar("SessionT", bound="SessionCore[Any, Any]")
Said = TypeVar("Said")


@dataclass
class SessionCore(Generic[StepT, TraceT]):
    """The one step loop both families share: call the implementation, judge the answer, record, fail.

    It holds what every session has (the implementation, its configuration and profile, the
    reference twin, the steps so far, the counters, the waivers); a family's session names its
    trace type, how to accept what a factory made (:meth:`adopt`) and its reference
    (:meth:`make_twin`), adds its steps and implements ``apply``.  Its step methods call
    :meth:`_call`, :meth:`_judge` and :meth:`_fail`.  :meth:`create`, the trace and the failure
    are written here once for every family.
    """

    trace_type: ClassVar[type[Any]]
    subject: Any
    config: Any
    profile: Any
    twin: Any = None
    judge: bool = True
    #: The description of the trace a failure carries.
    description: Optional[str] = None
    steps: list[StepT] = field(default_factory=list)
    #: Calls into the implementation so far (the factory's included), and tasks executed (AD-5).
    calls: int = 1
    executions: int = 0
    #: Whether the implementation can execute tasks (AD-5's optional capability).
    executes: bool = True
    #: Checks whose failures do not end the session (waivers); each occurrence is reported to
    #: ``on_waived`` with the trace up to and including its step.
    waived: frozenset[Verdict] = frozenset()
    on_waived: Optional[Callable[[Verdict, TraceT], None]] = None
    #: Whether the implementation is compared with the twin (``strict``); a twin kept below ``strict`` only
    #: follows it (the state key of exhaustive checking at ``invariants`` level).
    strict: bool = True

    @classmethod
    def adopt(cls, created: object, origin: str) -> Any:
        """Return what a factory made as the family's implementation; refuse one without the contract's methods."""
        raise NotImplementedError

    @classmethod
    def make_twin(cls, config: Any, profile: Any) -> Any:
        """Return the family's reference, made like the implementation, to judge it at ``strict`` level."""
        raise NotImplementedError

    @classmethod
    def create(
        cls: type[SessionT],
        factory: Callable[[Any, Any], object],
        config: Any,
        profile: Any,
        *,
        origin: str = "the factory",
        level: Optional[Level] = Level.STRICT,
        description: Optional[str] = None,
        waived: frozenset[Verdict] = frozenset(),
        on_waived: Optional[Callable[[Verdict, Any], None]] = None,
        follow: bool = False,
    ) -> SessionT:
        """Make the implementation with ``factory`` (AD-1) and a session around it.

        ``level`` ``STRICT`` adds the reference twin; ``None`` judges nothing but shapes (serve).
        ``follow`` adds a twin below ``strict`` too, one that follows the implementation without judging it.
        A factory that raises is a failure at construction; one that returns an object
        without the contract's methods is bad input (``ImplementationError``).
        """
        empty: Any = cls.trace_type("counterexample", profile, config, (), description)
        try:
            # AD-1
            created = factory(config, profile)
        except ImplementationFault as fault:
            failure = Failure(fault.verdict, fault.message, aborts_run=fault.aborts_run)
            raise Nonconformance(failure, empty) from None
        except Exception as exc:
            failure = Failure(Verdict.IMPLEMENTATION_ERROR, f"the factory raised {type(exc).__name__}: {exc}")
            raise Nonconformance(failure, empty) from None
        subject = cls.adopt(created, origin)
        twin = cls.make_twin(config, profile) if level is Level.STRICT or follow else None
        session = cls(subject, config, profile, twin, level is not None, description)
        session.waived, session.on_waived = waived, on_waived
        session.strict = level is Level.STRICT
        return session

    def _ask_twin(self, call: Callable[[], Said]) -> Optional[Said]:
        """Return what the twin says; a twin that only follows and cannot (the implementation went where the
        reference cannot) is dropped, and the session goes on without it (exhaustive checking stops merging there).
        """
        if self.strict:
            return call()
        try:
            return call()
        except Exception:
            self.twin = None
            return None

    def get_trace(self, name: str = "counterexample") -> TraceT:
        """Return the steps so far as a trace (each expectation the twin's, or what was answered)."""
        trace: TraceT = self.trace_type(name, self.profile, self.config, tuple(self.steps), self.description)
        return trace

    def apply(self, step: StepT) -> None:
        """Apply one recorded trace step, judging its answer against the step's ``expect``."""
        raise NotImplementedError

    @property
    def situations(self) -> Counter[Situation]:
        """Return how often each situation the named checks count occurred so far."""
        return Counter()

    def _call(self, step: StepT, what: str, thunk: Callable[[], object]) -> object:
        """Run one call into the implementation; an exception is a verdict, not a crash (AD-4)."""
        self.calls += 1
        try:
            return thunk()
        except ImplementationFault as fault:
            self._fail(step, fault.verdict, fault.message, aborts_run=fault.aborts_run)
        except Exception as exc:
            self._fail(step, Verdict.IMPLEMENTATION_ERROR, _describe_raise(exc, what))

    def _judge(
        self,
        step: StepT,
        difference: Optional[str],
        violations: Sequence[Violation],
        expected: Optional[tuple[Task, ...]] = None,
        got: Optional[tuple[Task, ...]] = None,
    ) -> None:
        """Fail at ``step`` with its first check that is not waived; report the waived ones and go on."""
        found = [(Verdict.STRICT, difference)] if difference is not None else []
        found += [(v.check, v.message) for v in violations]
        waived = [check for check, _ in found if check in self.waived]
        if waived and self.on_waived is not None:  # noted even when a check not waived fails here too
            self.steps.append(step)
            trace = self.get_trace()
            self.steps.pop()
            for check in dict.fromkeys(waived):
                self.on_waived(check, trace)
        unwaived = [(check, message) for check, message in found if check not in self.waived]
        if unwaived:
            check, message = unwaived[0]
            if check is Verdict.STRICT:
                self._fail(step, check, message, violations, expected, got)
            first: list[Violation] = [v for v in violations if v.check is check][:1]
            self._fail(step, check, message, [*first, *(v for v in violations if v not in first)], None, got)

    def _fail(
        self,
        step: StepT,
        verdict: Verdict,
        message: str,
        violations: Sequence[Violation] = (),
        expected: Optional[tuple[Task, ...]] = None,
        got: Optional[tuple[Task, ...]] = None,
        aborts_run: bool = False,
    ) -> NoReturn:
        """Record ``step`` and raise the failure it shows."""
        self.steps.append(step)
        failure = Failure(verdict, message, len(self.steps) - 1, step, expected, got, tuple(violations), aborts_run)
        self._raise(failure)

    def _raise(self, failure: Failure) -> NoReturn:
        """Raise the non-conformance with ``failure`` and the trace so far."""
        raise Nonconformance(failure, self.get_trace())


@dataclass
class Session(SessionCore[Step, Trace]):
    """One implementation (and its reference twin, when strict) driven step by step, judged and recorded."""

    subject: Dialstate
    config: Config
    profile: Profile
    twin: Optional[ReferenceDialstate] = None
    outstanding: list[Outstanding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.checker = InvariantChecker(self.config, self.profile)
        self.rules = ExecutionChecker(get_rules(self.profile))
        self.executes = supports_execution(self.subject)
        self._answers = 0
        self._handles: dict[int, tuple[Task, int]] = {}
        self._last_handle = 0

    trace_type = Trace

    @classmethod
    def adopt(cls, created: object, origin: str) -> Dialstate:
        """Return ``created`` as a dialstate implementation, or refuse it (``ImplementationError``)."""
        return cast(Dialstate, check_contract(created, origin, CONTRACT_METHODS, "spec.contract.Dialstate"))

    @classmethod
    def make_twin(cls, config: Config, profile: Profile) -> ReferenceDialstate:
        """Return the reference dialstate made like the implementation."""
        return ReferenceDialstate(config, profile)

    @property
    def situations(self) -> Counter[Situation]:
        """Return how often each situation the named invariants count occurred so far."""
        return self.checker.situations

    # -- reading -----------------------------------------------------------------

    def find(self, ref: TaskRef) -> Optional[Outstanding]:
        """Return the oldest outstanding task ``ref`` names, or ``None``."""
        return next((e for e in self.outstanding if _is_named_by(e.task, ref)), None)

    def find_handle(self, handle: int) -> Optional[Outstanding]:
        """Return the outstanding task with wire handle ``handle``, or ``None``."""
        return next((e for e in self.outstanding if e.handle == handle), None)

    def get_canonical_outstanding(self) -> list[Outstanding]:
        """Return the outstanding tasks answer by answer, each answer's in a canonical order (DS-TASKS-2)."""
        return sorted(self.outstanding, key=lambda e: (e.answer, get_order_key(e.task)))

    # -- steps -------------------------------------------------------------------

    def new_tasks(
        self,
        running: int,
        peers: Mapping[NodeID, ConnFlag],
        now: int,
        table: Sequence[Node],
        expect: Optional[tuple[Task, ...]] = None,
    ) -> list[Outstanding]:
        """Ask for new tasks and judge the answer; return the new outstanding entries."""
        peers, table = dict(peers), list(table)
        step = NewTasksStep(now, running, tuple(peers.items()), tuple(table))
        answer = self._call(step, "new_tasks", lambda: self.subject.new_tasks(running, dict(peers), now, list(table)))
        problem = describe_bad_answer(answer)
        if problem is not None:
            self._fail(step, Verdict.BAD_ANSWER, problem)
        assert isinstance(answer, Sequence)
        got = tuple(answer)
        twin = self.twin
        followed = None if twin is None else self._ask_twin(lambda: tuple(twin.new_tasks(running, peers, now, table)))
        if followed is not None and self.strict:
            expect = followed
        violations = self.checker.on_new_tasks(running, peers, now, table, got) if self.judge else []
        recorded = expect if expect is not None else got
        step = NewTasksStep(now, running, step.peers, step.table, tuple(map(get_task_snapshot, recorded)))
        difference = None if expect is None else compare_tasks(expect, got, self.config.self_id)
        self._judge(step, difference, violations, expect, got)
        self.steps.append(step)
        return self._remember(got, followed)

    def execute(self, entry: Outstanding, inputs: ExecutionInput, expect: Optional[Execution] = None) -> Execution:
        """Execute an outstanding task (AD-5) and judge what it did against the twin, ``expect`` and section 10."""
        step = ExecuteStep(get_task_ref(entry.task), inputs)
        if not self.executes:
            reason = "the trace executes a task, but the implementation has no execute method (AD-5)"
            self._fail(step, Verdict.EXECUTION_UNSUPPORTED, reason)
        entry.executed = True
        self.executions += 1
        subject = self.subject
        assert supports_execution(subject)
        dest = entry.task.dest if isinstance(entry.task, DialTask) else None
        got = self._call(step, "execute", lambda: subject.execute(entry.task, inputs))
        problem = describe_bad_execution(got)
        if problem is not None:
            self._fail(step, Verdict.BAD_ANSWER, problem)
        assert isinstance(got, Execution)
        expect = self._follow_execution(entry, inputs, expect)
        violations = self.rules.on_execute(entry.task, dest, inputs, got) if self.judge else []
        step = ExecuteStep(step.ref, inputs, expect if expect is not None else got)
        # EX-ITER-1: the results of a read of the node iterator carry no order.
        unordered = not get_rules(self.profile).lookup_spacing
        difference = None if expect is None else compare_executions(expect, got, unordered)
        self._judge(step, difference, violations)
        self.steps.append(step)
        if self.judge:
            self.checker.on_execute(entry.task, dest, got)
        return got

    def _follow_execution(
        self, entry: Outstanding, inputs: ExecutionInput, expect: Optional[Execution]
    ) -> Optional[Execution]:
        """Execute the twin's task too; return what the implementation is held to (the twin's, when strict)."""
        twin, task = self.twin, entry.twin
        if twin is None or task is None:
            return expect
        followed: Optional[Execution] = self._ask_twin(lambda: twin.execute(task, inputs))
        return followed if self.strict else expect

    def task_done(self, entry: Outstanding, now: int, results: Sequence[Node] = ()) -> None:
        """Finish an outstanding task, handing back the object the implementation returned (AD-3)."""
        self.outstanding.remove(entry)
        results = tuple(results)
        step = TaskDoneStep(now, get_task_ref(entry.task), results)
        # AD-3
        self._call(step, "task_done", lambda: self.subject.task_done(entry.task, now, list(results)))
        self.steps.append(step)
        twin, task = self.twin, entry.twin
        if twin is not None and task is not None:
            self._ask_twin(lambda: twin.task_done(task, now, list(results)))
        if self.judge:
            self.checker.on_task_done(entry.task, now, results)

    def add_static(self, node: Node) -> None:
        """Add ``node`` as a static node."""
        step = AddStaticStep(node)
        self._call(step, "add_static", lambda: self.subject.add_static(node))
        self.steps.append(step)
        twin = self.twin
        if twin is not None:
            self._ask_twin(lambda: twin.add_static(node))
        if self.judge:
            self.checker.on_add_static(node)

    def remove_static(self, node: Node) -> None:
        """Remove ``node`` from the static nodes."""
        step = RemoveStaticStep(node)
        self._call(step, "remove_static", lambda: self.subject.remove_static(node))
        self.steps.append(step)
        twin = self.twin
        if twin is not None:
            self._ask_twin(lambda: twin.remove_static(node))
        if self.judge:
            self.checker.on_remove_static(node)

    def apply(self, step: Step) -> None:
        """Apply one recorded trace step, judging its answer against the step's ``expect``."""
        if isinstance(step, NewTasksStep):
            self.new_tasks(step.running, dict(step.peers), step.now, step.table, step.expect)
        elif isinstance(step, AddStaticStep):
            self.add_static(step.node)
        elif isinstance(step, RemoveStaticStep):
            self.remove_static(step.node)
        else:
            entry = self.find(step.ref)
            if entry is None:
                ref = step.ref
                what = ref.kind if ref.dest is None else f"dial task for {ref.dest}"
                reason = f"no outstanding {what}: the implementation never returned one, or it is already done"
                self._fail(step, Verdict.MISSING_TASK, reason)
            if isinstance(step, ExecuteStep):
                self.execute(entry, step.inputs, step.expect)
            else:
                self.task_done(entry, step.now, step.results)

    def _remember(self, got: tuple[Task, ...], expected: Optional[tuple[Task, ...]]) -> list[Outstanding]:
        """Add the answer's tasks to the outstanding list, each with its twin and handle."""
        twins = list(expected) if expected is not None else []
        paired: list[Optional[Task]] = [None] * len(got)
        # DS-TASKS-2: pair tasks with twins in a canonical order, never the answer's.
        for index in sorted(range(len(got)), key=lambda i: get_order_key(got[i])):
            twin = next((t for t in twins if get_task_key(t) == get_task_key(got[index])), None)
            if twin is not None:
                twins.remove(twin)
            paired[index] = twin
        entries = [
            Outstanding(task, twin, self._answers, self._get_handle(task))
            for task, twin in zip(got, paired, strict=True)
        ]
        self._answers += 1
        self.outstanding.extend(entries)
        return entries

    def _get_handle(self, task: Task) -> int:
        """Return the wire handle of ``task``: a task object returned again keeps its handle."""
        known = self._handles.get(id(task))
        if known is not None and known[0] is task:
            return known[1]
        self._last_handle += 1
        self._handles[id(task)] = (task, self._last_handle)
        return self._last_handle


# -- the dialScheduler family ------------------------------------------------------------


def _describe_bad_response(answer: object) -> Optional[str]:
    if not isinstance(answer, Response):
        return f"the answer is a {type(answer).__name__}, not a spec.scheduler.Response"
    if not isinstance(answer.dials, tuple) or not all(isinstance(d, Dial) for d in answer.dials):
        return "the response's dials are not a tuple of spec.scheduler.Dial"
    if not all(d.flag in (ConnFlag.DYN, ConnFlag.STATIC) and isinstance(d.dest, Node) for d in answer.dials):
        return "a dial has a flag other than exactly one of dyn or static, or a destination that is not a Node"
    if not isinstance(answer.done, tuple) or not all(isinstance(i, str) for i in answer.done):
        return "the response's done is not a tuple of node IDs"
    if not isinstance(answer.actions, tuple) or not all(
        isinstance(a, (Resolve, DnsLookup, Connect)) for a in answer.actions
    ):
        return "the response's actions are not a tuple of Resolve, DnsLookup and Connect"
    return None if isinstance(answer.reads, bool) else "the response's reads is not a bool"


def _follow(got: Response) -> Pick:
    """Return a pick that orders the pool as the implementation chose (SC-CHOICE-2).

    Its statics come first, those that return at once before the others (so that their slots
    come back before the rest are started, SC-RUN-3), then the pool's other dials in ID order.
    """

    def pick(pool: tuple[Dial, ...], instant: frozenset[NodeID]) -> Sequence[Dial]:
        chosen = {get_dial_key(d) for d in got.dials if d.flag is ConnFlag.STATIC}
        rest = list(pick_first(pool, instant))
        mine = [d for d in rest if get_dial_key(d) in chosen]
        return sorted(mine, key=lambda d: d.dest.id not in instant) + [d for d in rest if d not in mine]

    return pick


@dataclass
class SchedulerSession(SessionCore[EventStep, SchedulerTrace]):
    """One dialScheduler (and its reference twin, when strict) told of events, judged and recorded."""

    subject: Scheduler
    config: SchedulerConfig
    profile: SchedulerProfile
    twin: Optional[ReferenceScheduler] = None
    #: What the implementation said last: whether it reads the iterator.
    reads: bool = False
    #: The dials it started and are not done (ID -> flag); the server's peers and pending inbound
    #: connections, and the clock, as the events told (the world reads them here).
    dialing: dict[NodeID, ConnFlag] = field(default_factory=dict)
    peers: dict[NodeID, ConnFlag] = field(default_factory=dict)
    pending: set[NodeID] = field(default_factory=set)
    now: int = 0

    trace_type = SchedulerTrace

    def __post_init__(self) -> None:
        self.checker = SchedulerChecker(self.config, self.profile)

    @classmethod
    def adopt(cls, created: object, origin: str) -> Scheduler:
        """Return ``created`` as a dialScheduler implementation, or refuse it (``ImplementationError``)."""
        return cast(Scheduler, check_contract(created, origin, SCHEDULER_METHODS, "spec.contract.Scheduler"))

    @classmethod
    def make_twin(cls, config: SchedulerConfig, profile: SchedulerProfile) -> ReferenceScheduler:
        """Return the reference scheduler made like the implementation."""
        return ReferenceScheduler(config, profile)

    # -- steps -------------------------------------------------------------------

    def on_event(self, event: SchedulerEvent, expect: Optional[AllowedResponse] = None) -> Response:
        """Tell the implementation of ``event`` and judge its response; return it."""
        step = EventStep(event)
        self._require_dialing(step)
        answer = self._call(step, get_event_name(event), lambda: deliver_event(self.subject, event))
        problem = _describe_bad_response(answer)
        if problem is not None:
            self._fail(step, Verdict.BAD_ANSWER, problem)
        assert isinstance(answer, Response)
        twin = self.twin
        if twin is not None:
            followed = self._ask_twin(lambda: twin.on_event(event, _follow(answer)))
            expect = followed if self.strict else expect
        violations = self.checker.check(event, answer) if self.judge else []
        chosen = expect.get_chosen(answer) if expect is not None and expect.allows(answer) else None
        step = EventStep(event, expect, chosen or (), answer)
        difference = None
        if expect is not None and not expect.allows(answer):
            me = self.config.self_id
            difference = f"expected {format_allowed(expect, me)}; got {format_response(answer, me)}"
        self._judge(step, difference, violations)
        self.steps.append(step)
        self._observe(event, answer)
        return answer

    def apply(self, step: EventStep) -> None:
        """Apply one recorded trace step, judging its answer against the step's ``expect``."""
        self.on_event(step.event, step.expect)

    # -- bookkeeping ---------------------------------------------------------------

    def _require_dialing(self, step: EventStep) -> None:
        """Refuse a step the implementation's earlier answers make impossible (SC-EVENT-1's sending rules).

        ``dial_done`` names a dial it started and that is not done, and a node is offered only
        while it said it reads.  A trace that breaks them (one minimized, or recorded against
        another implementation) fails with ``MISSING_TASK``.
        """
        event = step.event
        me = self.config.self_id
        if isinstance(event, DialDone) and event.node_id not in self.dialing:
            reason = f"no dial to {format_node_id(event.node_id, me)} is running: it never started one, or it is done"
            self._fail(step, Verdict.MISSING_TASK, reason)
        if isinstance(event, NodeOffered) and not self.reads:
            self._fail(step, Verdict.MISSING_TASK, "a node is offered, but the implementation said it does not read")

    def _observe(self, event: SchedulerEvent, answer: Response) -> None:
        if isinstance(event, (Start, Advance)):
            self.now = event.now
        elif isinstance(event, DialDone):
            flag = self.dialing.pop(event.node_id)
            if event.inputs.joins and is_connected(answer.actions):
                self.peers[event.node_id] = flag  # SC-PEER-3
        elif isinstance(event, PeerAdded):
            self.peers[event.node_id] = event.flags
        elif isinstance(event, PeerRemoved):
            self.peers.pop(event.node_id, None)
        elif isinstance(event, InboundPending):
            self.pending.add(event.node_id)
        elif isinstance(event, InboundCompleted):
            self.pending.discard(event.node_id)
        for dial in answer.dials:
            self.dialing[dial.dest.id] = dial.flag
        for node_id in answer.done:  # SC-RUN-3: returned within the event
            self.dialing.pop(node_id, None)
        self.reads = answer.reads
