"""The reference model of geth's task ``Do`` methods, against an injected environment.

Theory of operation
-------------------
geth's tasks act on the server: ``dialTask.Do`` resolves and dials,
``discoverTask.Do`` sleeps until 4 s after the previous lookup and looks up
(from v1.9.7: reads ``want`` nodes from the node iterator, without sleeping),
``waitExpireTask.Do`` sleeps.  Here the server is an :class:`Environment`: the
current time, a resolver (``None`` when discovery is disabled), a dialer that
says whether the connection attempt succeeded, a lookup, and the server-wide
time of the last lookup.  Executing a task returns what it did, in order, as
:data:`Action` values; it never sleeps, only records a :class:`Sleep`.

All of one dial task's steps happen at ``env.now`` (geth reads the clock for
``lastResolved``; no time passes between the steps of one ``Do``).

Modelling decision (RESOLVE_THROTTLE, LOOKUP_SPACING): geth's "never" is the zero
``time.Time``, and ``time.Since`` of it saturates, so a task that never resolved
is not throttled and the first lookup does not wait.  Our clock starts at 0, so
"never" is ``None`` rather than 0.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Optional

from dialcheck.spec.execution import (
    Action,
    Connect,
    DialState,
    Execution,
    ExecutionInput,
    Lookup,
    Resolve,
    Sleep,
    read_nodes,
)
from dialcheck.spec.model import (
    INITIAL_RESOLVE_DELAY,
    LOOKUP_INTERVAL,
    MAX_RESOLVE_DELAY,
    ConnFlag,
    DialTask,
    DiscoverTask,
    Node,
    NodeID,
    Profile,
    ProfileRules,
    Task,
    WaitTask,
    compute_duration,
    get_rules,
)

__all__ = [
    "Environment",
    "Resolve",
    "Connect",
    "Sleep",
    "Lookup",
    "Action",
    "execute_task",
    "execute_dial",
    "execute_discover",
    "execute_wait",
    "execute_with_input",
]


@dataclass
class Environment:
    """The server as a task sees it; ``last_lookup`` is updated by lookups."""

    now: int
    resolver: Optional[Callable[[NodeID], Optional[Node]]]
    dialer: Callable[[Node], bool]
    lookup: Callable[[], Sequence[Node]]
    last_lookup: Optional[int] = None


def _resolve(task: DialTask, env: Environment, actions: list[Action]) -> bool:
    """Resolve the task's destination unless throttled; return whether it was found."""
    # EX-RESOLVE-1: "Without a discovery table a task MUST NOT resolve (the attempt fails and leaves the task's delay
    # untouched)".
    if env.resolver is None:
        return False
    # RESOLVE_BACKOFF: "A task's delay MUST start at 60 s when it first tries to resolve, double after every failed
    # resolve, and be capped at 1 h".
    if task.resolve_delay == 0:
        task.resolve_delay = INITIAL_RESOLVE_DELAY
    # RESOLVE_THROTTLE: "A resolve MUST be skipped (and fail) while less than the task's current delay has passed since
    # its last resolve; a task that never resolved MUST NOT be throttled".
    if task.last_resolved is not None and compute_duration(env.now, task.last_resolved) < task.resolve_delay:
        return False
    found = env.resolver(task.dest.id)
    # EX-RESOLVE-4: "A failed resolve also records the time".
    task.last_resolved = env.now
    actions.append(Resolve(task.dest.id, found))
    if found is None:
        # RESOLVE_BACKOFF: "A task's delay MUST start at 60 s when it first tries to resolve, double after every failed
        # resolve, and be capped at 1 h".
        task.resolve_delay = min(task.resolve_delay * 2, MAX_RESOLVE_DELAY)
        return False
    # EX-RESOLVE-4: "A successful resolve MUST reset the delay to 60 s, record the time, and replace the task's
    # destination with the resolved node, which then sticks for that task's later dials (DS-STATIC-3)".
    task.resolve_delay = INITIAL_RESOLVE_DELAY
    task.dest = found
    return True


def _connect(dest: Node, env: Environment, actions: list[Action]) -> bool:
    """Attempt a connection to ``dest``; return whether the attempt succeeded."""
    connected = env.dialer(dest)
    actions.append(Connect(dest, connected))
    return connected


def execute_dial(task: DialTask, env: Environment) -> list[Action]:
    """Run geth's ``dialTask.Do``: resolve if incomplete, dial, retry a failed static dial once."""
    actions: list[Action] = []
    # INCOMPLETE_NEEDS_RESOLVE: "A dial task whose destination has no IP MUST resolve it first, and MUST NOT dial if
    # that fails (throttled resolves fail)".
    if task.dest.is_incomplete() and not _resolve(task, env, actions):
        return actions
    connected = _connect(task.dest, env, actions)
    # STATIC_RETRY: "A static dial task whose connection attempt failed MUST resolve once more and, if that found the
    # node, dial again, once".
    if not connected and ConnFlag.STATIC in task.flag and _resolve(task, env, actions):
        _connect(task.dest, env, actions)
    return actions


def execute_discover(task: DiscoverTask, env: Environment, rules: ProfileRules) -> list[Action]:
    """Run geth's ``discoverTask.Do``: wait for the lookup interval and look up (from v1.9.7: read the iterator)."""
    actions: list[Action] = []
    if not rules.lookup_spacing:
        # EX-ITER-1: "Under `geth-1.9.7` a discover task MUST NOT sleep: it reads at most `want` nodes from the node
        # iterator and returns them without duplicates".
        return [Lookup(read_nodes(env.lookup(), task.want if task.want is not None else 0))]
    # LOOKUP_SPACING: "A discover task MUST NOT start its lookup earlier than 4 s after the previous lookup started: it
    # sleeps until then, and the server records the lookup's start".
    start = env.now
    if env.last_lookup is not None:
        earliest = env.last_lookup + LOOKUP_INTERVAL
        if env.now < earliest:
            actions.append(Sleep(compute_duration(earliest, env.now)))
            start = earliest
    env.last_lookup = start
    actions.append(Lookup(tuple(env.lookup())))
    return actions


def execute_wait(task: WaitTask) -> list[Action]:
    """Run geth's ``waitExpireTask.Do``: sleep for the duration (a negative one returns at once)."""
    # EX-WAIT-1: "A wait task MUST sleep for its duration".
    return [Sleep(max(0, task.duration))]


#: The rules of the profiles whose lookups are spaced (up to v1.9.6); the default.
_SPACED = get_rules(Profile.GETH_1_7)


def execute_task(task: Task, env: Environment, rules: ProfileRules = _SPACED) -> list[Action]:
    """Run any task's ``Do`` against ``env`` under a profile's ``rules`` and return what it did, in order."""
    if isinstance(task, DialTask):
        return execute_dial(task, env)
    if isinstance(task, DiscoverTask):
        return execute_discover(task, env, rules)
    return execute_wait(task)


def execute_with_input(task: Task, inputs: ExecutionInput, rules: ProfileRules = _SPACED) -> Execution:
    """Run ``task`` against the environment ``inputs`` describes and return what it did and its state."""
    attempts = itertools.count()
    env = Environment(
        now=inputs.now,
        resolver=(lambda _: inputs.resolved) if inputs.discovery else None,
        dialer=lambda _: inputs.get_connect(next(attempts)),
        lookup=lambda: inputs.lookup,
        last_lookup=inputs.last_lookup,
    )
    actions = tuple(execute_task(task, env, rules))
    if isinstance(task, DialTask):
        return Execution(actions, DialState(task.resolve_delay, task.last_resolved, task.dest))
    return Execution(actions)
