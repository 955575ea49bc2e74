"""The state machine that plays geth's server loop and the network around an implementation.

Theory of operation
-------------------
:class:`DialMachine` is a Hypothesis ``RuleBasedStateMachine``.  Its rules are
the events of geth's ``Server.run``: ask for new tasks after the clock moves,
a dial connects or fails, a lookup returns, a wait ends, a peer drops or
connects inbound, a static node is added or removed, the discovery table's
contents change.  ``running`` is the number of outstanding tasks, of all kinds.

Every call goes to the implementation under test and, in ``strict`` level, to
the reference beside it with the same inputs.  Each answer is judged by the
named invariants (:mod:`conformance.invariants`) and, in ``strict`` level,
compared with the reference's as a multiset.  The first difference raises
:class:`Nonconformance`, which carries the recorded trace of the example, so
the shrunk counterexample can be printed and saved as ``dialcheck-trace/1``.

Choices depend only on the machine's own bookkeeping (the tasks it recorded as
outstanding, in a canonical order, its peers, its clock), never on asking the
implementation, and never on the order of the tasks within one answer.
"""

from __future__ import annotations

import enum
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Optional

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from dialcheck.conformance.execution_checks import (
    ExecutionChecker,
    compare_executions,
    describe_bad_execution,
    get_lookup_start,
    supports_execution,
)
from dialcheck.conformance.invariants import InvariantChecker, Situation, Violation
from dialcheck.conformance.loader import check_dialstate
from dialcheck.conformance.replay import compare_tasks, describe_bad_answer
from dialcheck.conformance.trace import (
    AddStaticStep,
    ExecuteStep,
    NewTasksStep,
    RemoveStaticStep,
    Step,
    TaskDoneStep,
    TaskRef,
    Trace,
)
from dialcheck.reference.dialstate import Dialstate as ReferenceDialstate
from dialcheck.spec.contract import Dialstate, DialstateFactory
from dialcheck.spec.execution import Connect, Execution, ExecutionInput
from dialcheck.spec.model import (
    SECOND,
    Config,
    ConnFlag,
    DialTask,
    DiscoverTask,
    Node,
    NodeID,
    Profile,
    Task,
    WaitTask,
    get_task_key,
    get_task_snapshot,
)
from dialcheck.spec.verdicts import ImplementationFault, Verdict

__all__ = [
    "Level",
    "Nonconformance",
    "RunAborted",
    "RunContext",
    "DialMachine",
    "uint_id",
    "UNIVERSE",
    "NODE_POOL",
    "get_resolve_answers",
]


class DialOutcome(enum.Enum):
    """What happens to a dial the machine picks."""

    CONNECTS = "connects"
    FAILS = "fails"
    HANDSHAKE_ONLY = "handshake only"


class Level(enum.Enum):
    """How an implementation is judged."""

    STRICT = "strict"
    INVARIANTS = "invariants"


def uint_id(i: int) -> NodeID:
    """Return the 64-byte node ID of ``i``, like geth's test helper ``uintID(i)`` (prints as ``n<i>``)."""
    return f"{i:0128x}"


def _node(i: int, ip: Optional[str], tcp: int = 30303) -> Node:
    return Node(uint_id(i), ip, tcp, tcp)


#: The node universe: n1..n10 in 10.0.0.0/24, n11 and n12 in 192.168.0.0/24 (restricted by every
#: CIDR the machine draws but one), n0 outside both (our own ID when self is "outside").
UNIVERSE: tuple[Node, ...] = tuple(
    _node(i, f"10.0.0.{i}" if 1 <= i <= 10 else ("10.0.0.100" if i == 0 else f"192.168.0.{i}")) for i in range(13)
)
_INCOMPLETE = (_node(4, None), _node(9, None))
_MOVED = (_node(1, "10.0.0.101", 30304),)
#: Nodes that appear as table entries, lookup results and statics: all of the above.
NODE_POOL: tuple[Node, ...] = UNIVERSE + _INCOMPLETE + _MOVED
_NETRESTRICTS: tuple[Optional[tuple[str, ...]], ...] = (
    None,
    None,
    (),
    ("10.0.0.0/24",),
    ("10.0.0.0/29", "192.168.0.11/32"),
)
_BOUNDARIES = (0, 1, 4 * SECOND, 16 * SECOND, 20 * SECOND, 20 * SECOND + 1, 30 * SECOND, 30 * SECOND + 1)


class Edge(enum.Enum):
    """A clock move to a boundary that geth measures from an earlier event the machine saw."""

    ANY = "anything from 0 to 40 s"
    FALLBACK = "exactly 20 s after the first non-zero call"
    PAST_FALLBACK = "20 s + 1 ns after the first non-zero call"
    EXPIRY = "exactly 30 s after the last finished dial"
    PAST_EXPIRY = "30 s + 1 ns after the last finished dial"


_BACKWARDS = (-1, -20 * SECOND, -30 * SECOND)
_EDGES = (Edge.FALLBACK, Edge.PAST_FALLBACK, Edge.EXPIRY, Edge.PAST_EXPIRY)
#: How far the clock moves before a new_tasks call: mostly geth's boundaries, as fixed steps and as
#: the instants geth's rules measure from earlier events (the start, a dial's task_done), a
#: quarter of the time anything from 0 to 40 s (drawn only then), rarely backwards.
ADVANCES = st.sampled_from(_BOUNDARIES * 2 + (Edge.ANY,) * 8 + _BACKWARDS + (_BOUNDARIES[-4:] * 2) + _EDGES * 2)
_ANY_ADVANCE = st.integers(0, 40 * SECOND)
_NODES = st.sampled_from(NODE_POOL)


def _make_table_reads(count: int, seed: int) -> tuple[Optional[tuple[Node, ...]], ...]:
    """Return ``None`` (the table answers as before) or a fresh random read, fixed at import."""
    chooser = random.Random(seed)
    reads = [tuple(chooser.choice(NODE_POOL) for _ in range(chooser.randint(1, 6))) for _ in range(count)]
    return (None, None, None, *reads)


#: What the discovery table's ReadRandomNodes returns at a new_tasks call: geth's table answers
#: with different random nodes every call, so most calls keep the last answer and some get a
#: fresh one (one draw per call; ``table_changes`` sets arbitrary ones).
TABLE_READS = _make_table_reads(24, seed=20171)
_PICK = st.integers(0, 15)


def get_resolve_answers(node_id: NodeID) -> tuple[Optional[Node], ...]:
    """Return what discovery may answer for ``node_id``: nothing, or a complete node of that ID."""
    return (None, *(n for n in NODE_POOL if n.id == node_id and n.ip is not None))


@st.composite
def _configs(draw: st.DrawFn) -> Config:
    self_index = draw(st.sampled_from((0, 0, 0, 3, 11)))
    return Config(
        self_id=uint_id(self_index),
        max_dyn_dials=draw(st.integers(0, 12)),
        static=tuple(draw(st.lists(_NODES, max_size=3))),
        bootnodes=tuple(draw(st.lists(st.sampled_from(UNIVERSE[1:] * 3 + UNIVERSE[:1]), max_size=3))),
        netrestrict=draw(st.sampled_from(_NETRESTRICTS)),
    )


@dataclass
class RunContext:
    """What one ``dialcheck run`` shares across examples: the subject and the counters."""

    factory: DialstateFactory
    profile: Profile
    level: Level
    origin: str = "the factory"
    examples: int = 0
    steps: int = 0
    situations: Counter[Situation] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    #: Seconds from the start of the run to the first failure seen, before shrinking.
    first_failure: Optional[float] = None
    #: Tasks executed (the optional capability, AD-5), and whether an implementation lacked it.
    executions: int = 0
    without_execution: bool = False


@dataclass
class _Outstanding:
    task: Task
    twin: Optional[Task]
    executed: bool = False


class Nonconformance(AssertionError):
    """The implementation broke a check; carries the trace of the example up to that step."""

    def __init__(
        self,
        check: str,
        message: str,
        trace: Trace,
        violations: Sequence[Violation] = (),
        expected: Optional[tuple[Task, ...]] = None,
        got: Optional[tuple[Task, ...]] = None,
    ) -> None:
        super().__init__(f"{check}: {message}")
        self.check = check
        self.message = message
        self.trace = trace
        self.violations = tuple(violations)
        self.expected = expected
        self.got = got


def _get_order_key(task: Task) -> tuple[str, ...]:
    """Return a sort key for tasks: their comparison key as text (IPs may be ``None``)."""
    return tuple(str(part) for part in get_task_key(task))


class RunAborted(BaseException):
    """A failure after which no further example can be tried (the implementation hung).

    It derives from ``BaseException`` so that Hypothesis lets it through at once
    instead of shrinking: every shrink attempt would wait out the timeout again.
    """

    def __init__(self, failure: Nonconformance) -> None:
        super().__init__(str(failure))
        self.failure = failure


class DialMachine(RuleBasedStateMachine):
    """geth's server loop and network around one implementation (and the reference, when strict)."""

    def __init__(self, run: RunContext) -> None:
        super().__init__()
        self.run = run
        run.examples += 1
        self.now = 0
        self.called = False
        self.first_call: Optional[int] = None
        self.last_dial_done: Optional[int] = None
        self.peers: dict[NodeID, ConnFlag] = {}
        self.table: list[Node] = []
        self.outstanding: list[_Outstanding] = []
        self.steps: list[Step] = []
        self.config = Config(self_id=uint_id(0), max_dyn_dials=0)
        self.impl: Optional[Dialstate] = None
        self.reference: Optional[ReferenceDialstate] = None
        self.checker = InvariantChecker(self.config, run.profile)
        self.executions = ExecutionChecker()
        self.executes = False
        self.discovery = True
        self.last_lookup: Optional[int] = None

    # -- plumbing ---------------------------------------------------------------

    def _trace(self) -> Trace:
        return Trace(
            name="counterexample",
            profile=self.run.profile,
            config=self.config,
            steps=tuple(self.steps),
            description=f"Found by dialcheck run ({self.run.level.value}) against {self.run.origin}.",
        )

    def _fail(
        self,
        check: str,
        message: str,
        violations: Sequence[Violation] = (),
        expected: Optional[tuple[Task, ...]] = None,
        got: Optional[tuple[Task, ...]] = None,
    ) -> Nonconformance:
        if self.run.first_failure is None:
            self.run.first_failure = time.monotonic() - self.run.started
        return Nonconformance(check, message, self._trace(), violations, expected, got)

    def _subject(self) -> Dialstate:
        assert self.impl is not None
        return self.impl

    def _call(self, what: str, step: Step, thunk: Callable[[], object]) -> object:
        """Run one call into the implementation; an exception is a verdict, not a crash (AD-4)."""
        self.run.steps += 1
        try:
            return thunk()
        except Nonconformance:
            raise
        except ImplementationFault as fault:
            self.steps.append(step)
            raise self._fail_fault(fault) from None
        except Exception as exc:
            self.steps.append(step)
            raise self._fail(
                Verdict.IMPLEMENTATION_ERROR, f"the implementation raised {type(exc).__name__} in {what}: {exc}"
            ) from None

    def _fail_fault(self, fault: ImplementationFault) -> BaseException:
        """Return the failure for an adapter's fault: aborting the run when no example can follow."""
        failure = self._fail(fault.verdict, fault.message)
        return RunAborted(failure) if fault.aborts_run else failure

    # -- rules ------------------------------------------------------------------

    @initialize(
        config=_configs(),
        start=st.sampled_from((0, 0, 1 * SECOND, 1000 * SECOND)),
        table=st.lists(_NODES, max_size=3),
        discovery=st.sampled_from((True, True, True, False)),
    )
    def configure(self, config: Config, start: int, table: list[Node], discovery: bool) -> None:
        """Create the implementation (and the reference) for ``config``; the clock starts at ``start``.

        The table holds ``table``.

        ``discovery`` says whether the server has a discovery table that resolves nodes; it
        matters only when the implementation executes tasks (AD-5).
        """
        self.config = config
        self.discovery = discovery
        self.now = start
        self.table = list(table)
        self.checker = InvariantChecker(config, self.run.profile)
        if self.run.level is Level.STRICT:
            self.reference = ReferenceDialstate(config, self.run.profile)
        self.run.steps += 1
        try:
            created = self.run.factory(config, self.run.profile)
        except ImplementationFault as fault:
            raise self._fail_fault(fault) from None
        except Exception as exc:
            raise self._fail(Verdict.IMPLEMENTATION_ERROR, f"the factory raised {type(exc).__name__}: {exc}") from None
        self.impl = check_dialstate(created, self.run.origin)
        self.executes = supports_execution(self.impl)
        if not self.executes:
            self.run.without_execution = True

    def _move_clock(self, advance: int | Edge, data: st.DataObject) -> None:
        if advance is Edge.ANY:
            self.now += data.draw(_ANY_ADVANCE, label="advance")
        elif isinstance(advance, Edge):
            base = self.first_call if advance in (Edge.FALLBACK, Edge.PAST_FALLBACK) else self.last_dial_done
            offset = 20 * SECOND if advance in (Edge.FALLBACK, Edge.PAST_FALLBACK) else 30 * SECOND
            extra = 1 if advance in (Edge.PAST_FALLBACK, Edge.PAST_EXPIRY) else 0
            if base is not None:
                self.now = max(self.now, base + offset + extra)
        else:
            self.now += advance

    @rule(advance=ADVANCES, read=st.sampled_from(TABLE_READS), data=st.data())
    def new_tasks(self, advance: int | Edge, read: Optional[tuple[Node, ...]], data: st.DataObject) -> None:
        """Move the clock by ``advance`` and ask for new tasks, as the server loop does.

        The first call happens at the start time itself, as geth's server schedules at once
        when it starts (so a start at the zero instant is a first call at the zero instant).
        """
        if self.called:
            self._move_clock(advance, data)
        self.called = True
        if self.first_call is None and self.now != 0:
            self.first_call = self.now
        if read is not None:
            self.table = list(read)
        running = len(self.outstanding)
        peers = dict(self.peers)
        table = list(self.table)
        step = NewTasksStep(self.now, running, tuple(peers.items()), tuple(table))
        answer = self._call(
            "new_tasks", step, lambda: self._subject().new_tasks(running, dict(peers), self.now, list(table))
        )
        problem = describe_bad_answer(answer)
        if problem is not None:
            self.steps.append(step)
            raise self._fail(Verdict.BAD_ANSWER, problem)
        assert isinstance(answer, Sequence)
        got = tuple(answer)
        expected: Optional[tuple[Task, ...]] = None
        if self.reference is not None:
            expected = tuple(self.reference.new_tasks(running, peers, self.now, table))
        violations = self.checker.on_new_tasks(running, peers, self.now, table, got)
        answer = expected if expected is not None else got
        self.steps.append(
            NewTasksStep(self.now, running, step.peers, step.table, tuple(map(get_task_snapshot, answer)))
        )
        if expected is not None:
            difference = compare_tasks(expected, got, self.config.self_id)
            if difference is not None:
                raise self._fail(Verdict.STRICT, difference, violations=violations, expected=expected, got=got)
        if violations:
            first = violations[0]
            raise self._fail(first.check, first.message, violations=violations, got=got)
        self._remember(got, expected)

    def _remember(self, got: tuple[Task, ...], expected: Optional[tuple[Task, ...]]) -> None:
        """Add the answer's tasks to the outstanding list in a canonical order.

        DS-TASKS-2: the order of an answer carries no meaning (geth iterates Go maps), so the
        machine must not depend on it: an implementation answering the same multiset in another
        order must see the same later choices, or Hypothesis would call it nondeterministic.
        """
        twins = list(expected) if expected is not None else []
        for task in sorted(got, key=_get_order_key):
            twin = next((t for t in twins if get_task_key(t) == get_task_key(task)), None)
            if twin is not None:
                twins.remove(twin)
            self.outstanding.append(_Outstanding(task, twin))

    def _execute(self, entry: _Outstanding, ref: TaskRef, inputs: ExecutionInput) -> Execution:
        """Execute the task (AD-5) and judge what it did against the reference and section 10."""
        entry.executed = True
        self.run.executions += 1
        step = ExecuteStep(ref, inputs)
        subject = self._subject()
        assert supports_execution(subject)
        dest = entry.task.dest if isinstance(entry.task, DialTask) else None
        got = self._call("execute", step, lambda: subject.execute(entry.task, inputs))
        problem = describe_bad_execution(got)
        if problem is not None:
            self.steps.append(step)
            raise self._fail(Verdict.BAD_ANSWER, problem)
        assert isinstance(got, Execution)
        expected: Optional[Execution] = None
        if self.reference is not None and entry.twin is not None:
            expected = self.reference.execute(entry.twin, inputs)
        violations = self.executions.on_execute(entry.task, dest, inputs, got)
        self.steps.append(ExecuteStep(ref, inputs, expected if expected is not None else got))
        if expected is not None:
            difference = compare_executions(expected, got)
            if difference is not None:
                raise self._fail(Verdict.STRICT, difference, violations=violations)
        if violations:
            raise self._fail(violations[0].check, violations[0].message, violations=violations)
        self.checker.on_execute(entry.task, dest, got)
        return got

    def _execute_dial(self, entry: _Outstanding, connects: bool, data: st.DataObject) -> bool:
        """Execute a dial task whose first attempt ``connects`` or not; return whether it connected."""
        task = entry.task
        assert isinstance(task, DialTask)
        found = data.draw(st.sampled_from(get_resolve_answers(task.dest.id)), label="resolved")
        retry = data.draw(st.booleans(), label="retry connects")
        inputs = ExecutionInput(self.now, self.discovery, found, (connects, retry))
        execution = self._execute(entry, TaskRef("dial", task.dest.id), inputs)
        return any(isinstance(a, Connect) and a.connected for a in execution.actions)

    def _finish(self, entry: _Outstanding, ref: TaskRef, results: tuple[Node, ...] = ()) -> None:
        """Finish a task (executing a discover or wait task first when the implementation can)."""
        if self.executes and not entry.executed and not isinstance(entry.task, DialTask):
            inputs = ExecutionInput(self.now, self.discovery, lookup=results, last_lookup=self.last_lookup)
            self._execute(entry, ref, inputs)
            if isinstance(entry.task, DiscoverTask):
                self.last_lookup = get_lookup_start(inputs)
        self.outstanding.remove(entry)
        if isinstance(entry.task, DialTask):
            self.last_dial_done = self.now
        step = TaskDoneStep(self.now, ref, results)
        self._call("task_done", step, lambda: self._subject().task_done(entry.task, self.now, list(results)))
        self.steps.append(step)
        if self.reference is not None and entry.twin is not None:
            self.reference.task_done(entry.twin, self.now, list(results))
        self.checker.on_task_done(entry.task, self.now, results)

    def _oldest(self, kind: type, node_id: Optional[NodeID] = None) -> _Outstanding:
        return next(
            e
            for e in self.outstanding
            if isinstance(e.task, kind)
            and (node_id is None or (isinstance(e.task, DialTask) and e.task.dest.id == node_id))
        )

    @precondition(lambda self: bool(self.outstanding))
    @rule(pick=_PICK, outcome=st.sampled_from(DialOutcome), data=st.data())
    def task_progresses(self, pick: int, outcome: DialOutcome, data: st.DataObject) -> None:
        """The outstanding task picked moves on.

        A dial connects (the peer joins with the task's flag, then the task is done), fails, or
        has only completed its handshake (``HANDSHAKE_ONLY``: the peer joins and the task keeps
        running; geth's server loop can call newTasks in between, when both count against the
        budget).  A lookup returns results drawn from the pool (self, duplicates, incomplete and
        restricted nodes included).  A wait ends.
        """
        entry = self.outstanding[pick % len(self.outstanding)]
        task = entry.task
        if isinstance(task, DialTask):
            node_id = task.dest.id
            entry = self._oldest(DialTask, node_id)
            self._connect(entry, outcome is not DialOutcome.FAILS, data)
            if outcome is not DialOutcome.HANDSHAKE_ONLY:
                self._finish(entry, TaskRef("dial", node_id))
        elif isinstance(task, DiscoverTask):
            results = tuple(data.draw(st.lists(_NODES, max_size=5), label="results"))
            self._finish(self._oldest(DiscoverTask), TaskRef("discover"), results)
        else:
            self._finish(self._oldest(WaitTask), TaskRef("wait"))

    def _connect(self, entry: _Outstanding, connects: bool, data: st.DataObject) -> None:
        """The dial of ``entry`` runs (executed, when the implementation can); the peer joins if it connected."""
        task = entry.task
        assert isinstance(task, DialTask)
        if self.executes and not entry.executed:
            connects = self._execute_dial(entry, connects, data)
        node_id = task.dest.id
        if connects and node_id not in self.peers and node_id != self.config.self_id:
            self.peers[node_id] = task.flag

    @precondition(lambda self: bool(self.outstanding))
    @rule(results=st.lists(_NODES, max_size=3), dials_connect=st.booleans(), data=st.data())
    def everything_finishes(self, results: list[Node], dials_connect: bool, data: st.DataObject) -> None:
        """Every outstanding task finishes, oldest first: dials connect or fail, lookups return ``results``."""
        while self.outstanding:
            entry = self.outstanding[0]
            if isinstance(entry.task, DialTask):
                self._connect(entry, dials_connect, data)
                self._finish(entry, TaskRef("dial", entry.task.dest.id))
            elif isinstance(entry.task, DiscoverTask):
                self._finish(entry, TaskRef("discover"), tuple(results))
            else:
                self._finish(entry, TaskRef("wait"))

    @precondition(lambda self: bool(self.peers))
    @rule(pick=_PICK)
    def peer_drops(self, pick: int) -> None:
        """The peer picked disconnects."""
        ids = sorted(self.peers)
        del self.peers[ids[pick % len(ids)]]

    @rule(node=st.sampled_from(UNIVERSE), trusted=st.booleans())
    def inbound_peer_connects(self, node: Node, trusted: bool) -> None:
        """``node`` connects to us (as a trusted peer when ``trusted``), unless already connected."""
        if node.id not in self.peers and node.id != self.config.self_id:
            self.peers[node.id] = ConnFlag.INBOUND | (ConnFlag.TRUSTED if trusted else ConnFlag(0))

    @rule(node=_NODES)
    def static_added(self, node: Node) -> None:
        """The application adds ``node`` as a static node."""
        step = AddStaticStep(node)
        self._call("add_static", step, lambda: self._subject().add_static(node))
        self.steps.append(step)
        if self.reference is not None:
            self.reference.add_static(node)
        self.checker.on_add_static(node)

    @rule(node=_NODES)
    def static_removed(self, node: Node) -> None:
        """The application removes ``node`` from the static nodes."""
        step = RemoveStaticStep(node)
        self._call("remove_static", step, lambda: self._subject().remove_static(node))
        self.steps.append(step)
        if self.reference is not None:
            self.reference.remove_static(node)
        self.checker.on_remove_static(node)

    @rule(nodes=st.lists(_NODES, max_size=5))
    def table_changes(self, nodes: list[Node]) -> None:
        """The discovery table's random read returns ``nodes`` from now on."""
        self.table = list(nodes)

    def teardown(self) -> None:
        """Add this example's situations to the run's statistics."""
        self.run.situations.update(self.checker.situations)
