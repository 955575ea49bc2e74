"""Named invariants (spec section 9), judged from an observed trace alone, without the reference.

Theory of operation
-------------------
An :class:`InvariantChecker` is fed every call of a run, in order, with what
the implementation answered.  From those observations alone it keeps a small
model of what geth's rules make knowable from the outside:

==================  ===========================================================
outstanding dials   node ID -> flag of every dial returned and not yet done
outstanding lookups how many discover tasks are returned and not done
history             (ID, expiry) of every finished dial, expired as geth does
start               the first non-zero ``now`` (DS-TIME-2)
bootnode rotation   which bootnode the next fallback must try
statics             the static node of each ID (config, add/remove)
lookup results      every node a lookup delivered and no dial has used since
                    (a superset of geth's buffer: rejected entries stay)
==================  ===========================================================

Each check is sound for geth: the reference never violates one, whatever the
input sequence (a property the suite tests).  A check compares an answer with
what any geth-conforming answer must satisfy; where the source of a dynamic
dial is ambiguous, it is attributed the way geth would (fallback, then table
front, then lookup results), which keeps the checks sound.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Optional

from dialcheck.conformance.formats.render import format_node_id, format_time
from dialcheck.spec.execution import Execution
from dialcheck.spec.model import (
    FALLBACK_INTERVAL,
    ZERO_TIME,
    Config,
    ConnFlag,
    DialTask,
    DiscoverTask,
    Node,
    NodeID,
    Profile,
    Task,
    WaitTask,
    compute_duration,
    get_rules,
)
from dialcheck.spec.netrestrict import Netlist
from dialcheck.spec.verdicts import Verdict

__all__ = ["Violation", "Situation", "InvariantChecker"]


class Situation(enum.Enum):
    """Situations worth reaching; ``--stats`` counts how often each occurred."""

    FALLBACK_FIRED = "fallback fired"
    FALLBACK_AT_EXACTLY_20S = "fallback due but now - start exactly 20 s"
    ZERO_INSTANT_CALL = "new_tasks at the zero instant"
    TIME_WENT_BACKWARDS = "time went backwards"
    HISTORY_BLOCKS_AT_EXPIRY = "history entry hit exactly at its expiry"
    HISTORY_EXPIRED = "history entry expired"
    STATIC_DIALED = "static node dialed"
    STATIC_IS_SELF = "static node is self"
    STATIC_RESTRICTED = "static node not whitelisted"
    RANDOM_DIALED = "table node dialed"
    LOOKUP_RESULT_DIALED = "lookup result dialed"
    DISCOVER_STARTED = "discover started"
    WAIT_EMITTED = "wait emitted"
    WAIT_OF_ZERO = "wait of 0 s emitted"
    NEGATIVE_NEED = "negative dynamic need"
    BUDGET_FULL = "dynamic budget exhausted by peers and dials"
    REMOVE_STATIC_CLEARED_HISTORY = "remove_static cleared a history entry (geth-1.8)"


@dataclass(frozen=True)
class Violation:
    """A named check that an answer broke, and why, in words."""

    check: Verdict
    message: str


class InvariantChecker:
    """Judge each answer of one run against the named invariants."""

    def __init__(self, config: Config, profile: Profile) -> None:
        self._config = config
        self._profile = profile
        self._rules = get_rules(profile)
        self._netlist = None if config.netrestrict is None else Netlist(config.netrestrict)
        self._dialing: dict[NodeID, ConnFlag] = {}
        self._lookups = 0
        self._history: list[tuple[NodeID, int]] = []
        self._start = ZERO_TIME
        self._last_now: Optional[int] = None
        self._rotation = 0
        self._static: dict[NodeID, Node] = {node.id: node for node in config.static}
        self._delivered: Counter[NodeID] = Counter()
        self.situations: Counter[Situation] = Counter()

    # -- events ---------------------------------------------------------------

    def on_add_static(self, node: Node) -> None:
        """Observe ``add_static``."""
        self._static[node.id] = node

    def on_remove_static(self, node: Node) -> None:
        """Observe ``remove_static`` (geth-1.8 also drops one history entry)."""
        self._static.pop(node.id, None)
        if self._rules.remove_static_clears_history:
            for index, (node_id, _) in enumerate(self._history):
                if node_id == node.id:
                    del self._history[index]
                    self.situations[Situation.REMOVE_STATIC_CLEARED_HISTORY] += 1
                    break

    def on_execute(self, task: Task, dest: Optional[Node], execution: Execution) -> None:
        """Observe a judged execution: a static task that resolved a new endpoint keeps it (DS-STATIC-3).

        ``dest`` is the task's destination before it ran; the endpoint a static node is judged
        at changes only if the task is the one stored for that node (not one replaced since).
        """
        state = execution.state
        if not isinstance(task, DialTask) or task.flag is not ConnFlag.STATIC or state is None or dest is None:
            return
        if self._static.get(dest.id) == dest and state.dest != dest:
            self._static[dest.id] = state.dest

    def on_task_done(self, task: Task, now: int, results: Sequence[Node]) -> None:
        """Observe ``task_done`` of a task the implementation returned."""
        if isinstance(task, DialTask):
            self._history.append((task.dest.id, now + self._rules.history_expiration))
            self._dialing.pop(task.dest.id, None)
        elif isinstance(task, DiscoverTask):
            self._lookups -= 1
            self._delivered.update(node.id for node in results)

    def on_new_tasks(
        self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node], answer: Sequence[Task]
    ) -> list[Violation]:
        """Judge one answer; return every violated check (empty when it conforms)."""
        self._note_time(now)
        if self._start == ZERO_TIME:
            self._start = now
        self._expire(now)
        need = self._compute_need(peers)
        violations: list[Violation] = []
        dials = [t for t in answer if isinstance(t, DialTask)]

        violations += self._check_each_dial(dials, peers, now)
        violations += self._check_budget(dials, need)
        fallback_dialed, fallback_violations = self._check_rotation(dials, peers, now, table, need)
        violations += fallback_violations
        violations += self._check_sources(dials, table, need - (1 if fallback_dialed else 0), fallback_dialed)
        violations += self._check_lookup(answer)
        violations += self._check_want(answer, need - sum(1 for t in dials if t.flag is ConnFlag.DYN))
        violations += self._check_wait(answer, running, now)
        violations += self._check_statics(dials, peers)

        for task in dials:
            self._dialing[task.dest.id] = task.flag
        self._lookups += sum(1 for t in answer if isinstance(t, DiscoverTask))
        return violations

    # -- model ----------------------------------------------------------------

    def _note_time(self, now: int) -> None:
        if now == ZERO_TIME:
            self.situations[Situation.ZERO_INSTANT_CALL] += 1
        if self._last_now is not None and now < self._last_now:
            self.situations[Situation.TIME_WENT_BACKWARDS] += 1
        self._last_now = now

    def _expire(self, now: int) -> None:
        kept = [(i, e) for i, e in self._history if not e < now]
        if len(kept) < len(self._history):
            self.situations[Situation.HISTORY_EXPIRED] += 1
        self._history = kept

    def _compute_need(self, peers: Mapping[NodeID, ConnFlag]) -> int:
        need = self._config.max_dyn_dials
        need -= sum(1 for flags in peers.values() if ConnFlag.DYN in flags)
        need -= sum(1 for flag in self._dialing.values() if ConnFlag.DYN in flag)
        if need < 0:
            self.situations[Situation.NEGATIVE_NEED] += 1
        elif need == 0 and self._config.max_dyn_dials > 0:
            self.situations[Situation.BUDGET_FULL] += 1
        return need

    def _expiry_of(self, node_id: NodeID) -> Optional[int]:
        expiries = [e for i, e in self._history if i == node_id]
        return max(expiries) if expiries else None

    def _is_admitted(self, node: Node) -> bool:
        return self._netlist is None or self._netlist.contains(node.ip)

    def _is_dialable(
        self, node: Node, peers: Mapping[NodeID, ConnFlag], marked: frozenset[NodeID] = frozenset()
    ) -> bool:
        return (
            node.id not in self._dialing
            and node.id not in marked
            and node.id not in peers
            and node.id != self._config.self_id
            and self._is_admitted(node)
            and self._expiry_of(node.id) is None
        )

    def _name(self, node_id: NodeID) -> str:
        return format_node_id(node_id, self._config.self_id)

    # -- checks ---------------------------------------------------------------

    def _check_each_dial(
        self, dials: Sequence[DialTask], peers: Mapping[NodeID, ConnFlag], now: int
    ) -> list[Violation]:
        found: list[Violation] = []
        seen: set[NodeID] = set()
        for task in dials:
            node_id = task.dest.id
            name = self._name(node_id)
            # NO_DOUBLE_DIAL: "A dial task MUST NOT be returned for a node that is being dialed (returned and not done)
            # or connected, and one answer MUST NOT contain two dial tasks for one node".
            if node_id in seen:
                found.append(Violation(Verdict.NO_DOUBLE_DIAL, f"{name} is dialed twice in one answer"))
            elif node_id in self._dialing:
                found.append(Violation(Verdict.NO_DOUBLE_DIAL, f"{name} is dialed while a dial of it is outstanding"))
            elif node_id in peers:
                found.append(Violation(Verdict.NO_DOUBLE_DIAL, f"{name} is dialed while connected"))
            seen.add(node_id)
            # NEVER_SELF: "A node whose ID is `self` MUST NOT be dialed".
            if node_id == self._config.self_id:
                found.append(Violation(Verdict.NEVER_SELF, "our own node is dialed"))
            # NETRESTRICT: "a node whose IP the list does not admit MUST NOT be dialed".
            if not self._is_admitted(task.dest):
                found.append(
                    Violation(Verdict.NETRESTRICT, f"{name} at {task.dest.ip or 'no IP'} is dialed but not whitelisted")
                )
            # HISTORY_EXPIRY: "A node MUST NOT be dialed at a call whose `now` is not after its history entry's expiry,
            # i.e. within the profile's history lifetime (30 s, or 35 s from `geth-1.9`) of the `task_done` of its last
            # dial".
            expiry = self._expiry_of(node_id)
            if expiry is not None:
                found.append(
                    Violation(
                        Verdict.HISTORY_EXPIRY,
                        f"{name} is dialed at {format_time(now)} but its history entry expires at "
                        f"{format_time(expiry)} and blocks until then, inclusive",
                    )
                )
        for node_id, expiry in self._history:
            if expiry == now and node_id not in seen:
                self.situations[Situation.HISTORY_BLOCKS_AT_EXPIRY] += 1
        return found

    def _check_budget(self, dials: Sequence[DialTask], need: int) -> list[Violation]:
        dynamic = sum(1 for t in dials if t.flag is ConnFlag.DYN)
        # DYN_BUDGET: "The number of `dyn` dial tasks in one answer MUST be at most `max(0, max_dyn_dials − dynamic
        # peers − outstanding dynamic dials)`".
        if dynamic > max(0, need):
            return [
                Violation(
                    Verdict.DYN_BUDGET,
                    f"{dynamic} dynamic dials, but the budget allows {max(0, need)} "
                    f"(max_dyn_dials {self._config.max_dyn_dials} - dynamic peers - outstanding dynamic dials)",
                )
            ]
        return []

    def _check_rotation(
        self, dials: Sequence[DialTask], peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node], need: int
    ) -> tuple[bool, list[Violation]]:
        bootnodes = self._config.bootnodes
        elapsed = compute_duration(now, self._start)
        due_but_for_time = not peers and bool(bootnodes) and need > 0
        if due_but_for_time and elapsed == FALLBACK_INTERVAL:
            self.situations[Situation.FALLBACK_AT_EXACTLY_20S] += 1
        dialed = {t.dest.id for t in dials if t.flag is ConnFlag.DYN}
        # geth dials statics before the fallback: a static dial in this answer marks its node.
        statics = frozenset(t.dest.id for t in dials if t.flag is ConnFlag.STATIC)
        if not (due_but_for_time and elapsed > FALLBACK_INTERVAL):
            return False, []
        # BOOTNODE_ROTATION: "Fallback dials MUST follow the bootnode list cyclically, one step per fallback (a rejected
        # bootnode still consumes its step)".
        expected = bootnodes[self._rotation % len(bootnodes)]
        self._rotation += 1
        if not self._is_dialable(expected, peers, statics):
            return False, []
        self.situations[Situation.FALLBACK_FIRED] += 1
        if expected.id in dialed:
            return True, []
        return False, [
            Violation(
                Verdict.BOOTNODE_ROTATION,
                f"the fallback is due (no peers, {format_time(elapsed)} since start) and bootnode "
                f"{self._name(expected.id)} is next in the rotation and dialable, but it is not dialed",
            )
        ]

    def _check_sources(
        self, dials: Sequence[DialTask], table: Sequence[Node], need: int, fallback_dialed: bool
    ) -> list[Violation]:
        bootnodes = self._config.bootnodes
        fallback_id = bootnodes[(self._rotation - 1) % len(bootnodes)].id if fallback_dialed else None
        candidates = max(0, need // 2 if need >= 0 else 0)
        tried = min(candidates, self._config.max_dyn_dials // 2, len(table)) if self._rules.reads_table else 0
        front = {n.id for n in table[:tried]}
        found: list[Violation] = []
        for task in dials:
            node_id = task.dest.id
            # KNOWN_CANDIDATE: "every static dial MUST be of a node that is static at that call".
            if task.flag is ConnFlag.STATIC and node_id not in self._static:
                found.append(
                    Violation(
                        Verdict.KNOWN_CANDIDATE,
                        f"{self._name(node_id)} is dialed as static, but it is not a static node "
                        "(never added, or removed since)",
                    )
                )
            if task.flag is not ConnFlag.DYN or node_id == fallback_id:
                continue
            if node_id in front:
                self.situations[Situation.RANDOM_DIALED] += 1
                continue
            if self._delivered[node_id] > 0:
                self._delivered[node_id] -= 1
                self.situations[Situation.LOOKUP_RESULT_DIALED] += 1
                continue
            found.append(self._explain_unknown_dial(node_id, table, tried, need))
        return found

    def _explain_unknown_dial(self, node_id: NodeID, table: Sequence[Node], tried: int, need: int) -> Violation:
        """Return what a dynamic dial that no source accounts for breaks: RANDOM_HALF, BOOTNODE_ROTATION or
        KNOWN_CANDIDATE, by where the node could have come from.
        """
        name = self._name(node_id)
        # RANDOM_HALF: "The number of table nodes dialed in one answer MUST be at most `need / 2` (after the
        # fallback step) and at most `max_dyn_dials / 2`".
        if any(n.id == node_id for n in table) and not self._rules.reads_table:
            return Violation(
                Verdict.RANDOM_HALF,
                f"{name} is dialed from the table, but {self._profile.value} never reads the table "
                "(dynamic candidates come from the node iterator only)",
            )
        if any(n.id == node_id for n in table):
            return Violation(
                Verdict.RANDOM_HALF,
                f"{name} is dialed from the table, but only its first {tried} node(s) may be "
                f"tried (half of the need of {need} left after the fallback step, at most "
                f"max_dyn_dials/2 = {self._config.max_dyn_dials // 2})",
            )
        if any(n.id == node_id for n in self._config.bootnodes):
            return Violation(
                Verdict.BOOTNODE_ROTATION,
                f"bootnode {name} is dialed, but no fallback is due for it (no peers, 20 s since "
                "start and its turn in the rotation are all needed)",
            )
        # KNOWN_CANDIDATE: "Every dynamic dial MUST be of the bootnode the fallback rule tries, a node from the
        # table's first `min(need/2, max_dyn_dials/2)` entries (none under `geth-1.9.7`), or a lookup result not
        # yet used by a dial".
        return Violation(
            Verdict.KNOWN_CANDIDATE, f"{name} is dialed dynamically but came from no table, lookup or bootnode"
        )

    def _check_lookup(self, answer: Sequence[Task]) -> list[Violation]:
        started = sum(1 for t in answer if isinstance(t, DiscoverTask))
        if started:
            self.situations[Situation.DISCOVER_STARTED] += 1
        # SINGLE_LOOKUP: "At most one discover task MUST be outstanding at any time".
        if started and self._lookups + started > 1:
            return [
                Violation(
                    Verdict.SINGLE_LOOKUP,
                    f"{started} discover task(s) started while {self._lookups} lookup(s) are outstanding",
                )
            ]
        return []

    def _check_want(self, answer: Sequence[Task], need: int) -> list[Violation]:
        found: list[Violation] = []
        for task in answer:
            if not isinstance(task, DiscoverTask):
                continue
            # LOOKUP_WANT: "Under `geth-1.9.7` a discover task MUST ask for exactly `need` nodes, `need` counted after
            # the answer's dynamic dials; under the other profiles it MUST NOT ask for a number".
            if not self._rules.discover_wants and task.want is not None:
                found.append(
                    Violation(
                        Verdict.LOOKUP_WANT,
                        f"the discover task asks for {task.want} node(s), but under {self._profile.value} a lookup "
                        "asks for no number",
                    )
                )
            elif self._rules.discover_wants and task.want != need:
                asked = "no number" if task.want is None else f"{task.want} node(s)"
                found.append(
                    Violation(
                        Verdict.LOOKUP_WANT,
                        f"the discover task asks the node iterator for {asked}, but it must ask for {need} "
                        "(the need left after this answer's dynamic dials; the buffer is empty when a lookup starts)",
                    )
                )
        return found

    def _check_wait(self, answer: Sequence[Task], running: int, now: int) -> list[Violation]:
        waits = [t for t in answer if isinstance(t, WaitTask)]
        others = len(answer) - len(waits)
        earliest = min((e for _, e in self._history), default=None)
        expected = None if earliest is None else compute_duration(earliest, now)
        # WAIT_EXPIRE: "A wait task MUST be returned only when `running` is 0 and nothing else is returned, and then its
        # duration MUST be the earliest history expiry minus `now`".
        if not waits:
            if running == 0 and others == 0 and expected is not None:
                return [
                    Violation(
                        Verdict.WAIT_EXPIRE,
                        f"nothing runs, nothing is returned and the history is not empty: a wait of "
                        f"{format_time(expected)} is due",
                    )
                ]
            return []
        self.situations[Situation.WAIT_EMITTED] += 1
        if expected == 0:
            self.situations[Situation.WAIT_OF_ZERO] += 1
        if len(waits) > 1 or running != 0 or others != 0 or expected is None:
            why = "the history is empty" if expected is None else f"running is {running} with {others} other task(s)"
            return [Violation(Verdict.WAIT_EXPIRE, f"a wait is returned but {why}")]
        if waits[0].duration != expected:
            return [
                Violation(
                    Verdict.WAIT_EXPIRE,
                    f"the wait lasts {format_time(waits[0].duration)}, but the earliest expiry is "
                    f"{format_time(expected)} away",
                )
            ]
        return []

    def _check_statics(self, dials: Sequence[DialTask], peers: Mapping[NodeID, ConnFlag]) -> list[Violation]:
        static_dialed = {t.dest.id for t in dials if t.flag is ConnFlag.STATIC}
        found: list[Violation] = []
        for node in self._static.values():
            if node.id == self._config.self_id:
                self.situations[Situation.STATIC_IS_SELF] += 1
            elif not self._is_admitted(node):
                self.situations[Situation.STATIC_RESTRICTED] += 1
            if node.id in static_dialed:
                self.situations[Situation.STATIC_DIALED] += 1
            # STATIC_REDIAL: "A static node that is not connected, not being dialed, not in the history, not self and
            # admitted by `netrestrict` MUST be dialed (flag `static`) at the next `new_tasks` call".
            elif self._is_dialable(node, peers):
                found.append(
                    Violation(
                        Verdict.STATIC_REDIAL,
                        f"static node {self._name(node.id)} is not connected, dialing or recently dialed, "
                        "but it is not dialed (with flag static)",
                    )
                )
        return found
