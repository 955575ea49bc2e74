"""Judge one answer by itself: is it the contract's shape (AD-4), is it the reference's (AD-2)?

These are the checks that need no history: whether a ``new_tasks`` answer is a
sequence of ``spec.model`` tasks, and whether two answers are equal as
multisets (DS-TASKS-2), with a readable account of what differs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Optional

from dialcheck.conformance.formats.render import format_tasks
from dialcheck.spec.model import ConnFlag, DialTask, DiscoverTask, Node, NodeID, Task, WaitTask, get_task_key

__all__ = ["is_task", "describe_bad_answer", "compare_tasks", "get_order_key"]


def is_task(value: object) -> bool:
    """Return whether ``value`` is a well-formed ``spec.model`` task."""
    if isinstance(value, DialTask):
        return isinstance(value.flag, ConnFlag) and isinstance(value.dest, Node)
    if isinstance(value, WaitTask):
        return isinstance(value.duration, int)
    return isinstance(value, DiscoverTask)


def describe_bad_answer(answer: object) -> Optional[str]:
    """Return why a ``new_tasks`` answer is not a sequence of ``spec.model`` tasks, or ``None`` if it is."""
    # AD-4
    if not isinstance(answer, Sequence) or isinstance(answer, (str, bytes)):
        return f"new_tasks returned {_short_repr(answer)}, not a sequence of tasks"
    bad = [t for t in answer if not is_task(t)]
    if bad:
        return f"new_tasks returned {_short_repr(bad[0])}, which is not a spec.model task"
    return None


def compare_tasks(expected: Sequence[Task], got: Sequence[Task], self_id: Optional[NodeID] = None) -> Optional[str]:
    """Return ``None`` if the two task lists are equal as multisets, else what differs."""
    want = Counter(get_task_key(t) for t in expected)
    have = Counter(get_task_key(t) for t in got)
    if want == have:
        return None
    missing = [t for t in expected if (want - have)[get_task_key(t)] > 0]
    extra = [t for t in got if (have - want)[get_task_key(t)] > 0]
    parts = []
    if missing:
        parts.append(f"missing {format_tasks(_dedupe(missing, want - have), self_id)}")
    if extra:
        parts.append(f"unexpected {format_tasks(_dedupe(extra, have - want), self_id)}")
    return "answer differs: " + "; ".join(parts)


def get_order_key(task: Task) -> tuple[str, ...]:
    """Return a canonical sort key for tasks: their comparison key as text (IPs may be ``None``)."""
    return tuple(str(part) for part in get_task_key(task))


def _dedupe(tasks: Sequence[Task], surplus: Counter[tuple[object, ...]]) -> list[Task]:
    """Keep each task as many times as it is in surplus."""
    left = Counter(surplus)
    out = []
    for task in tasks:
        key = get_task_key(task)
        if left[key] > 0:
            left[key] -= 1
            out.append(task)
    return out


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
