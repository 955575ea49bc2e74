"""How new_tasks cost grows with statics, peers, history entries and lookup results (10 to 10,000).

Run: ``python benchmarks/bench_new_tasks.py [--calls N]``.  Each cell is the median
wall time of one ``new_tasks`` call on a fresh copy of a prepared dialstate; the
last column is the growth ratio of the largest size against the smallest, taken
in the same run.  geth loops over statics and peers on every call, so those
grow linearly by design; history membership (DS-HIST-4) and the lookup buffer
must stay flat.
"""

from __future__ import annotations

import argparse
import copy
import gc
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dialcheck.reference.dialstate import Dialstate  # noqa: E402
from dialcheck.reference.history import DialHistory  # noqa: E402
from dialcheck.spec.model import SECOND, Config, ConnFlag, DialTask, DiscoverTask, Node, NodeID  # noqa: E402

SIZES = (10, 100, 1000, 10_000)
NOW = 100 * SECOND
_BUDGET = 16


def _node(i: int) -> Node:
    return Node(f"{i:08x}", f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", 30303, 30303)


_TABLE = [_node(1_000_000 + i) for i in range(8)]
_RESULTS = [_node(2_000_000 + i) for i in range(16)]


def _base(statics: int = 0) -> Dialstate:
    config = Config(self_id="ffffffff", max_dyn_dials=_BUDGET, static=tuple(_node(i) for i in range(statics)))
    ds = Dialstate(config)
    ds.new_tasks(0, {}, SECOND, [])  # starts the lookup
    return ds


def _finish_lookup(ds: Dialstate, results: Sequence[Node]) -> None:
    ds.task_done(DiscoverTask(), 2 * SECOND, list(results))


class _ScanningHistory(DialHistory):
    """geth's own membership test: a linear scan of the heap (the baseline DS-HIST-4 avoids)."""

    def contains(self, node_id: NodeID) -> bool:
        return any(entry[2] == node_id for entry in self._heap)


def _prepare_history(size: int, history: DialHistory) -> tuple[Dialstate, dict[NodeID, ConnFlag]]:
    ds = _base()
    ds.hist = history
    for i in range(size - len(_TABLE)):
        ds.task_done(DialTask(ConnFlag.DYN, _node(i)), NOW, [])
    for node in _TABLE:  # last, so that a scan has to walk past every other entry
        ds.task_done(DialTask(ConnFlag.DYN, node), NOW, [])
    return ds, {}


def prepare_history(size: int) -> tuple[Dialstate, dict[NodeID, ConnFlag]]:
    """``size`` history entries; the 8 table candidates are among them, so the call only checks."""
    return _prepare_history(size, DialHistory())


def prepare_scanning_history(size: int) -> tuple[Dialstate, dict[NodeID, ConnFlag]]:
    """As ``prepare_history``, with geth's linear-scan membership: the growth the benchmark must show."""
    return _prepare_history(size, _ScanningHistory())


def prepare_statics(size: int) -> tuple[Dialstate, dict[NodeID, ConnFlag]]:
    """``size`` static nodes, all connected (each is checked, none dialed)."""
    ds = _base(statics=size)
    _finish_lookup(ds, _RESULTS)
    return ds, {_node(i).id: ConnFlag.STATIC for i in range(size)}


def prepare_peers(size: int) -> tuple[Dialstate, dict[NodeID, ConnFlag]]:
    """``size`` connected inbound peers (each is counted)."""
    ds = _base()
    _finish_lookup(ds, _RESULTS)
    return ds, {_node(i).id: ConnFlag.INBOUND for i in range(size)}


def prepare_lookup_results(size: int) -> tuple[Dialstate, dict[NodeID, ConnFlag]]:
    """``size`` lookup results waiting in the buffer."""
    ds = _base()
    _finish_lookup(ds, [_node(3_000_000 + i) for i in range(size)])
    return ds, {}


DIMENSIONS: dict[str, Callable[[int], tuple[Dialstate, dict[NodeID, ConnFlag]]]] = {
    "history entries": prepare_history,
    "  (geth's scan)": prepare_scanning_history,
    "lookup results": prepare_lookup_results,
    "statics": prepare_statics,
    "peers": prepare_peers,
}


_STATELESS = {prepare_history, prepare_scanning_history}


def measure(prepare: Callable[[int], tuple[Dialstate, dict[NodeID, ConnFlag]]], size: int, calls: int) -> float:
    """Return the median seconds of one new_tasks call over ``calls`` calls.

    A call that changes no state (history: every candidate is refused) is made on
    one dialstate again and again; any other call on a fresh deep copy each time.
    """
    ds, peers = prepare(size)
    reusable = prepare in _STATELESS
    copies = [ds] * calls if reusable else [copy.deepcopy(ds) for _ in range(calls)]
    timings = []
    gc.collect()
    gc.disable()  # as timeit does: a collection of the prepared copies is not new_tasks' cost
    try:
        for fresh in copies:
            start = time.perf_counter()
            fresh.new_tasks(1, peers, NOW, _TABLE)
            timings.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return statistics.median(timings)


def run(sizes: Sequence[int] = SIZES, calls: int = 40) -> dict[str, list[float]]:
    """Measure every dimension at every size; return seconds per call."""
    return {name: [measure(prepare, size, calls) for size in sizes] for name, prepare in DIMENSIONS.items()}


def format_table(results: dict[str, list[float]], sizes: Sequence[int] = SIZES) -> str:
    """Return the results as a table of microseconds with the growth ratio."""
    header = f"{'new_tasks cost (us)':<20}" + "".join(f"{s:>10,}" for s in sizes) + f"{'growth':>10}"
    lines = [header, "-" * len(header)]
    for name, timings in results.items():
        cells = "".join(f"{t * 1e6:>10.1f}" for t in timings)
        lines.append(f"{name:<20}{cells}{timings[-1] / timings[0]:>9.2f}x")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=40, help="calls measured per cell (default 40)")
    args = parser.parse_args(argv)
    print(format_table(run(calls=args.calls)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
