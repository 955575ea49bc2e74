"""Seeded random walks through geth's server loop, recorded as traces with the reference's answers.

Theory of operation
-------------------
:func:`explore_trace` plays the same events as :class:`conformance.machine.DialMachine`
(the clock moves, also to the instants geth measures from; dials connect or
fail; lookups return; peers come and go; statics are added and removed; the
table changes) but draws them from a ``random.Random`` seeded by the caller
instead of from Hypothesis.  Python's seeded ``random`` gives the same
sequence on every version and platform, so the same seed always gives the
same trace: this is what makes ``dialcheck vectors generate`` reproducible to
the byte, independent of the Hypothesis release.

Every task the walk finishes is first executed by the reference (spec section 10)
with answers drawn like the environment's, recorded as an ``execute`` step.
Every answer is the reference's and becomes the step's ``expect``.  The named
invariants judge the walk as it goes (a violation is a bug of the reference
and raises), and the situations they count say which requirements the trace
covers (:data:`COVERS_BY_SITUATION`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Optional

from dialcheck.conformance.execution_checks import ExecutionChecker, get_lookup_start
from dialcheck.conformance.invariants import InvariantChecker, Situation
from dialcheck.conformance.machine import NODE_POOL, UNIVERSE, get_resolve_answers, uint_id
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
from dialcheck.reference.dialstate import Dialstate
from dialcheck.spec.execution import Connect, Execution, ExecutionInput, Resolve
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
    get_task_snapshot,
)
from dialcheck.spec.verdicts import HarnessError

__all__ = ["COVERS_BY_SITUATION", "ALWAYS_COVERED", "ADAPTER_COVERED", "explore_trace"]

#: What replaying any trace exercises: the factory, the four calls, task identity (AD-1..3).
ADAPTER_COVERED = ("AD-1", "AD-2", "AD-3")

#: The requirement IDs a trace covers when a situation occurs in it.
COVERS_BY_SITUATION: dict[Situation, tuple[str, ...]] = {
    Situation.FALLBACK_FIRED: ("DS-FALLBACK-1", "BOOTNODE_ROTATION"),
    Situation.FALLBACK_AT_EXACTLY_20S: ("DS-FALLBACK-1",),
    Situation.ZERO_INSTANT_CALL: ("DS-TIME-2",),
    Situation.TIME_WENT_BACKWARDS: ("DS-TIME-1",),
    Situation.HISTORY_BLOCKS_AT_EXPIRY: ("DS-HIST-3", "HISTORY_EXPIRY"),
    Situation.HISTORY_EXPIRED: ("DS-HIST-2", "HISTORY_EXPIRY"),
    Situation.STATIC_DIALED: ("DS-STATIC-1", "DS-STATIC-3", "STATIC_REDIAL"),
    Situation.STATIC_IS_SELF: ("DS-STATIC-2", "NEVER_SELF"),
    Situation.STATIC_RESTRICTED: ("DS-STATIC-2", "NETRESTRICT", "DS-NET-1"),
    Situation.RANDOM_DIALED: ("DS-RANDOM-1", "DS-RANDOM-2", "RANDOM_HALF", "KNOWN_CANDIDATE"),
    Situation.LOOKUP_RESULT_DIALED: ("DS-LOOKUP-1", "DS-LOOKUP-3", "KNOWN_CANDIDATE"),
    Situation.DISCOVER_STARTED: ("DS-LOOKUP-2", "SINGLE_LOOKUP"),
    Situation.WAIT_EMITTED: ("DS-WAIT-1", "WAIT_EXPIRE"),
    Situation.WAIT_OF_ZERO: ("DS-WAIT-1",),
    Situation.NEGATIVE_NEED: ("DS-NEED-1",),
    Situation.BUDGET_FULL: ("DS-NEED-1", "DYN_BUDGET"),
    Situation.REMOVE_STATIC_CLEARED_HISTORY: ("DS-STATIC-5",),
}
#: What every explored trace covers: answers compared as multisets, the checks, the history.
ALWAYS_COVERED = ("DS-TASKS-1", "DS-TASKS-2", "DS-CHECK-1", "DS-HIST-1", "NO_DOUBLE_DIAL", *ADAPTER_COVERED)

_NETRESTRICTS: tuple[Optional[tuple[str, ...]], ...] = (
    None,
    None,
    (),
    ("10.0.0.0/24",),
    ("10.0.0.0/29", "192.168.0.11/32"),
)
_ADVANCES = (
    0,
    1,
    4 * SECOND,
    16 * SECOND,
    20 * SECOND,
    20 * SECOND + 1,
    30 * SECOND,
    30 * SECOND + 1,
    -1,
    -20 * SECOND,
)
#: Events and their weights: (name, weight).
_EVENTS = (
    ("new_tasks", 10),
    ("progress", 6),
    ("all_finish", 1),
    ("peer_drops", 1),
    ("inbound", 1),
    ("add_static", 1),
    ("remove_static", 1),
    ("table", 1),
)


@dataclass
class _Walk:
    """The world of one walk: clock, peers, table, outstanding tasks, and the recorded steps."""

    rng: random.Random
    config: Config
    reference: Dialstate
    checker: InvariantChecker
    now: int
    table: list[Node]
    called: bool = False
    first_call: Optional[int] = None
    last_dial_done: Optional[int] = None
    discovery: bool = True
    last_lookup: Optional[int] = None
    peers: dict[NodeID, ConnFlag] = field(default_factory=dict)
    outstanding: list[Task] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    executions: ExecutionChecker = field(default_factory=ExecutionChecker)
    covers: set[str] = field(default_factory=set)

    def on_new_tasks(self) -> None:
        if self.called:
            self.now = self._get_next_time()
        self.called = True
        if self.first_call is None and self.now != 0:
            self.first_call = self.now
        if self.rng.random() < 0.25:
            self.table = self.draw_nodes(1, 6)
        running = len(self.outstanding)
        answer = tuple(self.reference.new_tasks(running, dict(self.peers), self.now, list(self.table)))
        violations = self.checker.on_new_tasks(running, dict(self.peers), self.now, tuple(self.table), answer)
        if violations:  # pragma: no cover - the reference breaking an invariant is a bug in dialcheck
            raise HarnessError(f"the reference broke {violations[0].check}: {violations[0].message}")
        snapshot = tuple(map(get_task_snapshot, answer))
        self.steps.append(NewTasksStep(self.now, running, tuple(self.peers.items()), tuple(self.table), snapshot))
        self.outstanding.extend(answer)

    def _get_next_time(self) -> int:
        roll = self.rng.random()
        if roll < 0.15 and self.first_call is not None:
            return max(self.now, self.first_call + 20 * SECOND + self.rng.choice((0, 1)))
        if roll < 0.3 and self.last_dial_done is not None:
            return max(self.now, self.last_dial_done + 30 * SECOND + self.rng.choice((0, 1)))
        if roll < 0.5:
            return self.now + self.rng.randint(0, 40 * SECOND)
        return self.now + self.rng.choice(_ADVANCES)

    def draw_nodes(self, low: int, high: int) -> list[Node]:
        """Draw from ``low`` to ``high`` nodes of the pool, repeats allowed."""
        return [self.rng.choice(NODE_POOL) for _ in range(self.rng.randint(low, high))]

    def on_progress(self, everything: bool) -> None:
        picked = list(self.outstanding) if everything else [self.rng.choice(self.outstanding)]
        for task in picked:
            self._finish(task)

    def _finish(self, task: Task) -> None:
        if isinstance(task, DialTask):
            node_id = task.dest.id
            task = next(t for t in self.outstanding if isinstance(t, DialTask) and t.dest.id == node_id)
            answers = get_resolve_answers(node_id)
            connects = (self.rng.random() < 0.6, self.rng.random() < 0.5)
            inputs = ExecutionInput(self.now, self.discovery, self.rng.choice(answers), connects)
            execution = self._execute(task, TaskRef("dial", node_id), inputs)
            connected = any(isinstance(a, Connect) and a.connected for a in execution.actions)
            if connected and node_id not in self.peers and node_id != self.config.self_id:
                self.peers[node_id] = task.flag
            ref, results = TaskRef("dial", node_id), tuple[Node, ...]()
            self.last_dial_done = self.now
        elif isinstance(task, DiscoverTask):
            task = next(t for t in self.outstanding if isinstance(t, DiscoverTask))
            ref, results = TaskRef("discover"), tuple(self.draw_nodes(0, 5))
            inputs = ExecutionInput(self.now, self.discovery, lookup=results, last_lookup=self.last_lookup)
            self._execute(task, ref, inputs)
            self.last_lookup = get_lookup_start(inputs)
        else:
            task = next(t for t in self.outstanding if not isinstance(t, (DialTask, DiscoverTask)))
            ref, results = TaskRef("wait"), ()
            self._execute(task, ref, ExecutionInput(self.now, self.discovery))
        self.outstanding.remove(task)
        self.reference.task_done(task, self.now, list(results))
        self.checker.on_task_done(task, self.now, results)
        self.steps.append(TaskDoneStep(self.now, ref, results))

    def _execute(self, task: Task, ref: TaskRef, inputs: ExecutionInput) -> Execution:
        """Execute ``task`` with the reference, judge it, record the step, and note what it covers."""
        dest = task.dest if isinstance(task, DialTask) else None
        execution = self.reference.execute(task, inputs)
        violations = self.executions.on_execute(task, dest, inputs, execution)
        if violations:  # pragma: no cover - the reference breaking a rule is a bug in dialcheck
            raise HarnessError(f"the reference broke {violations[0].check}: {violations[0].message}")
        self.checker.on_execute(task, dest, execution)
        self.steps.append(ExecuteStep(ref, inputs, execution))
        self.covers.update(("AD-5", *_get_execution_covers(task, dest, inputs, execution)))
        return execution

    def on_static(self, add: bool) -> None:
        node = self.rng.choice(NODE_POOL)
        if add:
            self.reference.add_static(node)
            self.checker.on_add_static(node)
            self.steps.append(AddStaticStep(node))
        else:
            self.reference.remove_static(node)
            self.checker.on_remove_static(node)
            self.steps.append(RemoveStaticStep(node))

    def on_peers(self, inbound: bool) -> None:
        if inbound:
            node = self.rng.choice(UNIVERSE)
            if node.id not in self.peers and node.id != self.config.self_id:
                self.peers[node.id] = ConnFlag.INBOUND | (ConnFlag.TRUSTED if self.rng.random() < 0.5 else ConnFlag(0))
        elif self.peers:
            del self.peers[self.rng.choice(sorted(self.peers))]


def _get_execution_covers(
    task: Task, dest: Optional[Node], inputs: ExecutionInput, execution: Execution
) -> tuple[str, ...]:
    """Return the execution requirements one execution shows."""
    resolves = [a for a in execution.actions if isinstance(a, Resolve)]
    connects = [a for a in execution.actions if isinstance(a, Connect)]
    if isinstance(task, DiscoverTask):
        return ("LOOKUP_SPACING",) if inputs.last_lookup is not None else ()
    if not isinstance(task, DialTask) or dest is None:
        return ("EX-WAIT-1",)
    covers = []
    if dest.is_incomplete():
        covers.append("INCOMPLETE_NEEDS_RESOLVE")
        if not inputs.discovery:
            covers.append("EX-RESOLVE-1")
        elif not resolves:
            covers.append("RESOLVE_THROTTLE")
    if resolves:
        covers += ["RESOLVE_BACKOFF", "EX-RESOLVE-4"]
    if task.flag is ConnFlag.STATIC and connects and not connects[0].connected:
        covers.append("STATIC_RETRY")
    if task.flag is ConnFlag.STATIC and execution.state is not None and execution.state.dest != dest:
        covers.append("DS-STATIC-3")
    return tuple(covers)


def _get_config(rng: random.Random) -> Config:
    return Config(
        self_id=uint_id(rng.choice((0, 0, 0, 3, 11))),
        max_dyn_dials=rng.randint(0, 12),
        static=tuple(rng.choice(NODE_POOL) for _ in range(rng.randint(0, 3))),
        bootnodes=tuple(rng.choice(UNIVERSE[1:]) for _ in range(rng.randint(0, 3))),
        netrestrict=rng.choice(_NETRESTRICTS),
    )


def explore_trace(seed: int, profile: Profile, steps: int, name: str) -> tuple[Trace, tuple[str, ...]]:
    """Return the trace of the walk seeded by ``seed`` and the requirement IDs it covers, sorted."""
    rng = random.Random(seed)
    config = _get_config(rng)
    discovery = rng.random() < 0.75
    walk = _Walk(
        rng=rng,
        config=config,
        reference=Dialstate(config, profile),
        checker=InvariantChecker(config, profile),
        now=rng.choice((0, 0, 1 * SECOND, 1000 * SECOND)),
        table=[rng.choice(NODE_POOL) for _ in range(rng.randint(0, 3))],
        discovery=discovery,
    )
    names = [event for event, _ in _EVENTS]
    weights = [weight for _, weight in _EVENTS]
    walk.on_new_tasks()
    while len(walk.steps) < steps:
        event = rng.choices(names, weights)[0]
        if event == "new_tasks":
            walk.on_new_tasks()
        elif event in ("progress", "all_finish") and walk.outstanding:
            walk.on_progress(everything=event == "all_finish")
        elif event in ("add_static", "remove_static"):
            walk.on_static(add=event == "add_static")
        elif event in ("peer_drops", "inbound"):
            walk.on_peers(inbound=event == "inbound")
        elif event == "table":
            walk.table = walk.draw_nodes(0, 5)
    covers = set(ALWAYS_COVERED) | walk.covers
    for situation, count in walk.checker.situations.items():
        if count:
            covers.update(COVERS_BY_SITUATION[situation])
    trace = Trace(
        name=name,
        profile=profile,
        config=config,
        steps=tuple(walk.steps),
        description=f"Explored by a seeded random walk (seed {seed}); expectations are the reference's.",
    )
    return trace, tuple(sorted(covers))
