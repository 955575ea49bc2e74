"""geth's ``dialHistory``: when each recently dialed node may be dialed again.

Theory of operation
-------------------
geth keeps a min-heap of ``(node ID, expiry)`` and answers ``contains`` with a
linear scan.  Here the heap is :mod:`heapq` and a counter per ID answers
``contains`` in constant time (DS-HIST-4); the observable behaviour is geth's:

* ``add`` pushes an entry (DS-HIST-1); entries for one ID may coexist;
* ``expire(now)`` pops entries while the earliest expiry is *strictly before*
  ``now``: an entry expiring exactly at ``now`` still blocks (DS-HIST-3);
* ``remove(id)`` (geth v1.8 and later) removes one entry for ``id`` (DS-STATIC-5).
"""

from __future__ import annotations

import heapq
from collections import Counter

from dialcheck.spec.model import NodeID

__all__ = ["DialHistory"]


class DialHistory:
    """A min-heap of dial expiries with O(1) membership."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, NodeID]] = []
        self._count: Counter[NodeID] = Counter()
        self._pushes = 0  # tie-breaker: equal expiries pop in insertion order

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, node_id: NodeID, expiry: int) -> None:
        """Record that ``node_id`` may not be dialed until after ``expiry``."""
        heapq.heappush(self._heap, (expiry, self._pushes, node_id))
        self._pushes += 1
        self._count[node_id] += 1

    def contains(self, node_id: NodeID) -> bool:
        """Return whether an entry for ``node_id`` is present."""
        # DS-HIST-4: "Deciding whether the history holds an entry for an ID MUST NOT take time that grows with the
        # number of entries".
        return self._count[node_id] > 0

    def get_entries(self) -> list[tuple[int, NodeID]]:
        """Return every entry as (expiry, node ID), earliest first (equal expiries in the order added)."""
        return [(expiry, node_id) for expiry, _, node_id in sorted(self._heap)]

    def get_min_expiry(self) -> int:
        """Return the earliest expiry; the history must not be empty."""
        return self._heap[0][0]

    def expire(self, now: int) -> None:
        """Drop the entries whose expiry is strictly before ``now``."""
        # DS-HIST-3: "an entry whose expiry equals now MUST still block".
        while self._heap and self._heap[0][0] < now:
            _, _, node_id = heapq.heappop(self._heap)
            self._forget_one(node_id)

    def remove(self, node_id: NodeID) -> bool:
        """Remove one entry for ``node_id``; return whether there was one."""
        if not self.contains(node_id):
            return False
        index = next(i for i, entry in enumerate(self._heap) if entry[2] == node_id)
        self._heap[index] = self._heap[-1]
        self._heap.pop()
        heapq.heapify(self._heap)
        self._forget_one(node_id)
        return True

    def _forget_one(self, node_id: NodeID) -> None:
        if self._count[node_id] == 1:
            del self._count[node_id]
        else:
            self._count[node_id] -= 1
