"""The progress line: how far a long command is and what is left, on a terminal only."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from dialcheck.conformance.cli import main
from dialcheck.conformance.cli.progress import ProgressLine, format_duration


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_line_says_what_is_done_of_what_and_estimates_what_is_left() -> None:
    stream, clock = _Terminal(), _Clock()
    line = ProgressLine("dialcheck run", stream, clock)
    clock.now += 30
    line.show(25, 100, "examples", "812 steps")
    assert stream.getvalue() == "\rdialcheck run: 25 of 100 examples, 812 steps; 30 s so far, about 1 min 30 s left"


def test_the_line_is_rewritten_at_most_twice_a_second_and_cleared_before_the_report() -> None:
    stream, clock = _Terminal(), _Clock()
    line = ProgressLine("dialcheck matrix", stream, clock)
    line.show(1, 4, "cells")
    clock.now += 0.1
    line.show(2, 4, "cells")  # too soon: not shown
    assert stream.getvalue().count("\r") == 1
    line.show(3, 4, "cells", force=True)
    line.clear()
    assert stream.getvalue().endswith(
        "\r" + " " * len("dialcheck matrix: 3 of 4 cells; 0 s so far, about 0 s left") + "\r"
    )


def test_nothing_is_written_when_the_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    line = ProgressLine("dialcheck run", stream)
    line.show(1, 2, "examples", force=True)
    line.say("the opening pass")
    line.clear()
    assert stream.getvalue() == ""


def test_durations_read_as_seconds_minutes_and_hours() -> None:
    assert [format_duration(s) for s in (4.4, 65, 3725)] == ["4 s", "1 min 05 s", "1 h 02 min"]


def test_a_run_without_a_terminal_prints_no_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--examples", "3", "--opening", "0", "--save-failures", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "\r" not in captured.err and "\r" not in captured.out


def _on_a_terminal(args: list[str]) -> str:
    """Run ``dialcheck`` with its standard error on a pseudo-terminal; return what the terminal showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "dialcheck.conformance", *args], stdout=subprocess.DEVNULL, stderr=follower
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    process.wait()
    os.close(leader)
    return shown.decode("utf-8", "replace")


@pytest.mark.slow
def test_a_run_on_a_terminal_says_how_many_examples_of_the_total_are_done(tmp_path: Path) -> None:
    shown = _on_a_terminal(["run", "--examples", "40", "--opening", "0", "--save-failures", str(tmp_path)])
    assert "dialcheck run: " in shown and " of 40 examples" in shown and "so far" in shown


@pytest.mark.slow
def test_a_matrix_on_a_terminal_says_how_many_cells_of_the_total_are_done(tmp_path: Path) -> None:
    args = ["matrix", "--profile", "geth-1.7", "--profile", "geth-1.15", "--level", "strict", "--examples", "3"]
    impl = ["--impl", "ref=dialcheck.reference.dialstate:create_dialstate", "--opening", "0"]
    shown = _on_a_terminal([*args, *impl, "--out", str(tmp_path / "m")])
    assert "dialcheck matrix: 0 of 2 cells" in shown and "dialcheck matrix: 2 of 2 cells" in shown


@pytest.mark.slow
def test_an_exhaustive_check_on_a_terminal_says_its_scope_depth_and_frontier(tmp_path: Path) -> None:
    args = ["check", "--exhaustive", "--preset", "tiny", "--depth", "2", "--save-failures", str(tmp_path)]
    shown = _on_a_terminal(args)
    assert "dialcheck check: scope 1 of " in shown and "frontier" in shown


@pytest.mark.slow
def test_mutants_on_a_terminal_say_how_many_members_of_the_total_are_done() -> None:
    shown = _on_a_terminal(["mutants", "--member", "dials_self", "--hypothesis-profile", "ci"])
    assert "dialcheck mutants: 0 of 1 members" in shown and "dialcheck mutants: 1 of 1 members" in shown
