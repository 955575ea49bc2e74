"""How long ``dialcheck serve`` takes to start and stop, against a bare interpreter's start (same run).

``dialcheck serve`` is started by every ``--cmd "dialcheck serve"`` run and by harness authors'
diffing loops, so its start matters: the command line imports only the subcommand it runs
(``conformance/cli/``).  This times ``python -m dialcheck.conformance serve`` answering an empty
input, and ``python -c pass``, alternately, and prints the medians and their ratio.

    python benchmarks/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

SERVE = [sys.executable, "-m", "dialcheck.conformance", "serve"]
BARE = [sys.executable, "-c", "pass"]


def time_command(command: Sequence[str]) -> float:
    """Return the wall seconds ``command`` takes with an empty standard input."""
    started = time.perf_counter()
    subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def run(runs: int) -> tuple[float, float]:
    """Return the median seconds of ``dialcheck serve`` and of a bare interpreter, timed alternately."""
    serve: list[float] = []
    bare: list[float] = []
    for _ in range(runs):
        serve.append(time_command(SERVE))
        bare.append(time_command(BARE))
    return statistics.median(serve), statistics.median(bare)


def main(argv: Sequence[str] | None = None) -> int:
    """Print both medians and their ratio."""
    parser = argparse.ArgumentParser(description="dialcheck serve's start against a bare interpreter's")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    serve, bare = run(args.runs)
    print(f"dialcheck serve (empty input): {serve * 1000:.0f} ms median of {args.runs}")
    print(f"bare interpreter (python -c pass): {bare * 1000:.0f} ms median of {args.runs}")
    print(f"ratio: {serve / bare:.1f}x; dialcheck's own part: {(serve - bare) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
