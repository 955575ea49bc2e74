"""A counterexample as a timeline: every step at its instant, dials as bars, peers and history as windows.

Theory of operation
-------------------
:func:`get_timeline` turns a counterexample of either family (its trace, whose last step is the
failing one, and what the reference expected there) into a :class:`Timeline`, a family-neutral
picture made of four things:

=============  ==================================================================================
``marks``      a step at its instant, on a lane (``scheduler`` for what concerns no one node, else
               the node's); the failing step's mark, and at that instant what the reference
               expected (``expected``) and what the implementation answered (``got``) on the lane
               of each node they differ on
``bars``       an interval on a lane: a ``dial`` from its start to its end, a ``peer`` from joining
               to leaving, a ``history`` entry for as long as it blocks its node, a ``static`` node
               from ``add_static`` to ``remove_static``, a ``wait`` task (dialstate) for its
               duration, expected and got apart
``instants``   named instants drawn across every lane: the bootnode fallback of dialstate (20 s after
               the first call, where the trace has bootnodes) and the failing instant
``failing``    the failing step: its number, instant and check
=============  ==================================================================================

The windows follow the spec, per family: a dialstate history entry starts when the dial is done and
lasts the profile's ``history_expiration`` (DS-HIST-1; ``remove_static`` ends it where the profile
says so, DS-STATIC-5); a dialScheduler entry starts with the dial (SC-DIAL-1) and lasts 35 s
(SC-HIST-2: it blocks until an ``advance`` *past* its end).  The picture is the trace's: which
dials the implementation started is read off the recorded answers, and where those answers are
not recorded the agreed ones are.

:func:`get_x` is the one place time becomes geometry: ``x(t)`` is linear from the first instant drawn
to the last, so a test can check that a step at ``t`` is drawn at ``x(t)``.  :func:`render_svg` draws
a timeline as inline SVG: no script, no external resource, a ``<title>`` tooltip on every shape and
``data-`` attributes that say what each shape stands for.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from dialcheck.conformance.formats.render import (
    format_event,
    format_flags,
    format_node_id,
    format_step,
    format_task,
    format_time,
)
from dialcheck.conformance.formats.scheduler_format import SchedulerTrace, get_answer
from dialcheck.conformance.formats.trace import AddStaticStep, NewTasksStep, RemoveStaticStep, TaskDoneStep, Trace
from dialcheck.conformance.harness.family import family_of
from dialcheck.spec.model import FALLBACK_INTERVAL, SECOND, DialTask, DiscoverTask, NodeID, Task, WaitTask, get_rules
from dialcheck.spec.scheduler import (
    SCHEDULER_HISTORY_EXPIRATION,
    AddStatic,
    AllowedResponse,
    Dial,
    DialDone,
    InboundCompleted,
    InboundPending,
    NodeOffered,
    PeerAdded,
    PeerRemoved,
    RemoveStatic,
    Response,
    is_connected,
)

__all__ = [
    "SCHEDULER_LANE",
    "COLOURS",
    "Bar",
    "Mark",
    "Timeline",
    "get_timeline",
    "trace_instants",
    "get_x",
    "get_axis",
    "get_ticks",
    "render_svg",
]

#: The lane of what concerns no one node: the clock, calls, lookups, waits.
SCHEDULER_LANE = "scheduler"


@dataclass(frozen=True)
class Mark:
    """Step ``step`` (1-based) at ``at`` on ``lane``; ``kind`` ``step``, ``failing``, ``expected`` or ``got``."""

    step: int
    at: int
    lane: str
    label: str
    kind: str = "step"


@dataclass(frozen=True)
class Bar:
    """An interval on a lane: ``kind`` ``dial``, ``peer``, ``history``, ``static``, ``wait``; ``end`` ``None``: open."""

    kind: str
    lane: str
    start: int
    end: Optional[int]
    label: str


@dataclass
class Timeline:
    """What a counterexample's timeline shows (times in nanoseconds)."""

    marks: list[Mark] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    #: Named instants drawn across every lane (the bootnode fallback, the failing instant).
    instants: list[tuple[str, int]] = field(default_factory=list)
    failing_step: Optional[int] = None
    check: str = ""
    #: What a lane's node is besides (``bootnode 1 of 2``, ``static``), written under its name.
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def failing_at(self) -> Optional[int]:
        """Return the instant of the failing step (``None``: no step)."""
        return next((m.at for m in self.marks if m.step == self.failing_step), None)

    @property
    def kinds(self) -> set[str]:
        """Return the kinds of bars and marks drawn (the legend shows those only)."""
        return {bar.kind for bar in self.bars} | {mark.kind for mark in self.marks}

    @property
    def lanes(self) -> list[str]:
        """Return the lanes in the order they first appear, the scheduler's first."""
        seen = [SCHEDULER_LANE, *(m.lane for m in self.marks), *(b.lane for b in self.bars), *self.notes]
        return list(dict.fromkeys(seen))

    @property
    def span(self) -> tuple[int, int]:
        """Return the first and last instant drawn (bars and named instants included); never empty."""
        times = [m.at for m in self.marks] + [t for _, t in self.instants]
        times += [b.start for b in self.bars] + [b.end for b in self.bars if b.end is not None]
        if not times:
            return 0, SECOND
        first, last = min(times), max(times)
        return first, last if last > first else first + SECOND


def get_x(timeline: Timeline, at: int, left: float, width: float) -> float:
    """Return where instant ``at`` is drawn: linear from ``left`` (the first instant) to ``left + width`` (the last)."""
    first, last = timeline.span
    return left + (at - first) * width / (last - first)


def get_timeline(trace: Any, check: str, expected: Any = None, got: Any = None) -> Timeline:
    """Return the timeline of a counterexample of either family: its last step failed ``check``.

    ``expected`` and ``got`` are what the reference expected at the failing step and what the
    implementation answered: dialstate tasks, or the dialScheduler's allowed answer and response
    (``None`` where the failure has none).
    """
    builder = _SchedulerTimeline(trace) if isinstance(trace, SchedulerTrace) else _DialTimeline(trace)
    timeline = builder.build(expected, got)
    if trace.steps:
        timeline.failing_step = len(trace.steps)
        timeline.instants.append((check, builder.instants[-1]))
    timeline.check = check
    return timeline


def trace_instants(trace: Any) -> list[int]:
    """Return the instant of each step of a trace of either family (a step without one: the one before's)."""
    get_time = family_of(trace.profile).get_time
    instants, now = [], 0
    for step in trace.steps:
        now = get_time(step, now)
        instants.append(now)
    return instants


class _Lanes:
    """What both families' builders share: the timeline, lane names, and bars still open per node."""

    def __init__(self, trace: Any) -> None:
        self.timeline = Timeline()
        self.self_id: NodeID = trace.config.self_id
        self.open: dict[tuple[str, NodeID], int] = {}
        self.instants = trace_instants(trace)

    def add_history(self, node_id: NodeID, start: int, end: int) -> None:
        """Draw a history entry: it blocks its node through ``end`` (DS-HIST-1, SC-HIST-2: until a call past it)."""
        self.window("history", node_id, start, end, f"history: blocks {self.lane(node_id)} through {format_time(end)}")

    def lane(self, node_id: NodeID) -> str:
        return format_node_id(node_id, self.self_id)

    def mark(self, step: int, at: int, lane: str, label: str, kind: str = "step") -> None:
        self.timeline.marks.append(Mark(step, at, lane, label, kind))

    def begin(self, kind: str, node_id: NodeID, at: int) -> None:
        self.open.setdefault((kind, node_id), at)

    def end(self, kind: str, node_id: NodeID, at: int, label: str = "") -> Optional[int]:
        start = self.open.pop((kind, node_id), None)
        if start is not None:
            self.timeline.bars.append(Bar(kind, self.lane(node_id), start, at, label or kind))
        return start

    def window(self, kind: str, node_id: NodeID, start: int, end: int, label: str) -> None:
        self.timeline.bars.append(Bar(kind, self.lane(node_id), start, end, label))

    def close_all(self) -> Timeline:
        for (kind, node_id), start in self.open.items():
            self.timeline.bars.append(Bar(kind, self.lane(node_id), start, None, f"{kind} (still open)"))
        self.open.clear()
        return self.timeline

    def compare_dials(self, step: int, at: int, expected: Sequence[Any], got: Sequence[Any]) -> None:
        """Mark, on each node's lane, a dial the reference expected and the implementation did not start, and back."""
        wanted = {(d.flag, d.dest.id) for d in expected}
        made = {(d.flag, d.dest.id) for d in got}
        for kind, dials in (("got", made - wanted), ("expected", wanted - made)):
            for flag, node_id in sorted(dials, key=lambda d: d[1]):
                self.mark(step, at, self.lane(node_id), f"{kind}: dial {format_flags(flag)} {self.lane(node_id)}", kind)


class _DialTimeline(_Lanes):
    """dialstate: calls on the scheduler's lane; dial tasks as bars to their ``task_done``, then history."""

    def __init__(self, trace: Trace) -> None:
        super().__init__(trace)
        self.trace = trace
        self.rules = get_rules(trace.profile)
        self.history: dict[NodeID, tuple[int, int]] = {}

    def build(self, expected: Optional[Sequence[Task]], got: Optional[Sequence[Task]]) -> Timeline:
        first_call: Optional[int] = None
        last = len(self.trace.steps)
        now = self.instants[-1] if last else 0
        self._note_config()
        for index, step in enumerate(self.trace.steps, 1):
            if isinstance(step, NewTasksStep):
                first_call = step.now if first_call is None else first_call
                self._on_new_tasks(index, step, step.expect if index != last else None)
            elif isinstance(step, TaskDoneStep):
                self._on_task_done(index, step)
            else:
                self._on_other(index, self.instants[index - 1], step)
        self._close_history()
        drawn_to = self.timeline.span[1]
        if first_call is not None and self.trace.config.bootnodes and first_call + FALLBACK_INTERVAL <= drawn_to:
            self.timeline.instants.append(("fallback (20 s after the first call)", first_call + FALLBACK_INTERVAL))
        if last and isinstance(self.trace.steps[-1], NewTasksStep):
            self._on_failing_call(last, now, expected, got)
        if last:
            self.timeline.marks = [
                _with_kind(m, "failing") if m.step == last and m.kind == "step" else m for m in self.timeline.marks
            ]
        return self.close_all()

    def _note_config(self) -> None:
        """Name the configured nodes: each bootnode's place in the list, each static node (drawn from the start)."""
        config = self.trace.config
        timed = [s.now for s in self.trace.steps if isinstance(s, (NewTasksStep, TaskDoneStep))]
        start = timed[0] if timed else 0  # the first instant a call or task gives, not a step's carried 0
        for node in config.static:
            self.timeline.notes[self.lane(node.id)] = "static"
            self.begin("static", node.id, start)
        for number, node in enumerate(config.bootnodes, 1):
            self.timeline.notes[self.lane(node.id)] = f"bootnode {number} of {len(config.bootnodes)}"

    def _on_new_tasks(self, index: int, step: NewTasksStep, answer: Optional[Sequence[Task]]) -> None:
        tasks = list(answer or ())
        dials = [t for t in tasks if isinstance(t, DialTask)]
        label = format_step(step, self.self_id)
        if answer is not None:
            label += " -> " + (", ".join(format_task(t, self.self_id) for t in tasks) or "no tasks")
        self.mark(index, step.now, SCHEDULER_LANE, label)
        connected = {node_id for node_id, _ in step.peers}
        for kind, node_id in [key for key in self.open if key[0] == "peer" and key[1] not in connected]:
            self.end(kind, node_id, step.now)
        for node_id in connected:
            self.begin("peer", node_id, step.now)
        for dial in dials:
            self.begin("dial", dial.dest.id, step.now)
        for task in tasks:
            if isinstance(task, WaitTask):
                self.timeline.bars.append(Bar("wait", SCHEDULER_LANE, step.now, step.now + task.duration, "wait"))
            elif isinstance(task, DiscoverTask):
                self.mark(index, step.now, SCHEDULER_LANE, "lookup started")

    def _on_task_done(self, index: int, step: TaskDoneStep) -> None:
        dest = step.ref.dest
        label = format_step(step, self.self_id)
        if dest is None:
            self.mark(index, step.now, SCHEDULER_LANE, label)
            return
        self.mark(index, step.now, self.lane(dest), label)
        if self.end("dial", dest, step.now, "dial") is not None:
            # DS-HIST-1: a finished dial blocks its node for the profile's history lifetime.
            self._add_history(dest, step.now)

    def _add_history(self, node_id: NodeID, at: int) -> None:
        previous = self.history.pop(node_id, None)
        if previous is not None:
            self.add_history(node_id, previous[0], min(previous[1], at))
        self.history[node_id] = (at, at + self.rules.history_expiration)

    def _close_history(self) -> None:
        for node_id, (start, end) in self.history.items():
            self.add_history(node_id, start, end)
        self.history.clear()

    def _on_other(self, index: int, now: int, step: Any) -> None:
        label = format_step(step, self.self_id)
        if isinstance(step, AddStaticStep):
            self.mark(index, now, self.lane(step.node.id), label)
            self.begin("static", step.node.id, now)
            self.timeline.notes[self.lane(step.node.id)] = "static"
        elif isinstance(step, RemoveStaticStep):
            self.mark(index, now, self.lane(step.node.id), label)
            self.end("static", step.node.id, now)
            if self.rules.remove_static_clears_history and step.node.id in self.history:
                # DS-STATIC-5: removing a static node also drops its history entry.
                start, _ = self.history.pop(step.node.id)
                self.add_history(step.node.id, start, now)
        else:
            self.mark(index, now, SCHEDULER_LANE, label)

    def _on_failing_call(
        self, index: int, now: int, expected: Optional[Sequence[Task]], got: Optional[Sequence[Task]]
    ) -> None:
        """At the failing call: the dials expected and got where they differ, and the waits of both."""
        if got is None:
            return
        wanted = [t for t in expected or () if isinstance(t, DialTask)]
        self.compare_dials(index, now, wanted, [t for t in got if isinstance(t, DialTask)])
        for kind, tasks in (("expected", expected or ()), ("got", got)):
            for task in tasks:
                if isinstance(task, WaitTask):
                    label = f"wait {format_time(task.duration)} to {format_time(now + task.duration)}"
                    self.timeline.bars.append(Bar(f"wait-{kind}", SCHEDULER_LANE, now, now + task.duration, label))


def _with_kind(mark: Mark, kind: str) -> Mark:
    """Return ``mark`` of another kind."""
    return Mark(mark.step, mark.at, mark.lane, mark.label, kind)


class _SchedulerTimeline(_Lanes):
    """The dialScheduler: every event at the clock's instant; dials to their ``dial_done``, peers to removal."""

    def __init__(self, trace: SchedulerTrace) -> None:
        super().__init__(trace)
        self.trace = trace

    def build(self, expected: Any, got: Optional[Response]) -> Timeline:
        last = len(self.trace.steps)
        for index, (step, now) in enumerate(zip(self.trace.steps, self.instants, strict=True), 1):
            answer = get_answer(step)
            lane = self._on_event(step.event, now, answer)
            self.mark(index, now, lane, format_event(step.event, self.self_id), "failing" if index == last else "step")
            if index != last:
                self._start_dials(answer, now)
        if last and got is not None:
            self._on_failing_answer(last, self.instants[-1], expected, got)
        return self.close_all()

    def _on_failing_answer(self, index: int, now: int, expected: Optional[AllowedResponse], got: Response) -> None:
        """At the failing event: the dials expected and got where they differ (any allowed choice of the pool)."""
        if expected is None:
            self.compare_dials(index, now, (), got.dials)
            return
        pool = {(d.flag, d.dest.id) for d in expected.pool}
        picked = [d for d in got.dials if (d.flag, d.dest.id) in pool][: max(expected.free, 0)]
        self.compare_dials(index, now, expected.required + tuple(picked), got.dials)
        if len(picked) < min(max(expected.free, 0), len(pool)):
            names = ", ".join(self.lane(d.dest.id) for d in expected.pool)
            label = f"expected: {min(expected.free, len(pool))} static dial(s) of [{names}]"
            self.mark(index, now, SCHEDULER_LANE, label, "expected")

    def _start_dials(self, answer: Optional[Response], now: int) -> None:
        if answer is None:
            return
        for dial in answer.dials:
            self._start_dial(dial, now, dial.dest.id in answer.done)

    def _start_dial(self, dial: Dial, now: int, done: bool) -> None:
        node_id = dial.dest.id
        # SC-DIAL-1: the history entry is added when the dial starts; SC-HIST-2: it blocks until an advance past it.
        self.add_history(node_id, now, now + SCHEDULER_HISTORY_EXPIRATION)
        if done:  # SC-RUN-3: the run returned within the event
            self.window("dial", node_id, now, now, "dial (returned at once)")
        else:
            self.begin("dial", node_id, now)

    def _on_event(self, event: Any, now: int, answer: Optional[Response]) -> str:
        """Open or close the bars an event opens or closes; return the lane its mark goes on."""
        if isinstance(event, DialDone):
            self.end("dial", event.node_id, now)
            if event.inputs.joins and answer is not None and is_connected(answer.actions):
                self.begin("peer", event.node_id, now)  # SC-PEER-3
        elif isinstance(event, PeerAdded):
            self.begin("peer", event.node_id, now)
        elif isinstance(event, PeerRemoved):
            self.end("peer", event.node_id, now)
        elif isinstance(event, AddStatic):
            self.begin("static", event.node.id, now)
            self.timeline.notes[self.lane(event.node.id)] = "static"
        elif isinstance(event, RemoveStatic):
            self.end("static", event.node.id, now)
        node_id = _get_node_id(event)
        return SCHEDULER_LANE if node_id is None else self.lane(node_id)


def _get_node_id(event: Any) -> Optional[NodeID]:
    if isinstance(event, (AddStatic, RemoveStatic, NodeOffered)):
        node_id: NodeID = event.node.id
        return node_id
    if isinstance(event, (DialDone, PeerAdded, PeerRemoved, InboundPending, InboundCompleted)):
        return event.node_id
    return None


# -- drawing ---------------------------------------------------------------------------------

#: Colours (Paul Tol's bright scheme, readable by the colour-blind), each bar's place in its lane and height,
#: and what is written after its end (``None``: nothing).
_BARS: dict[str, tuple[str, float, float, Optional[str]]] = {
    "static": ("#bbbbbb", 13.0, 3.0, None),
    "dial": ("#4477aa", 18.0, 10.0, None),
    "history": ("#ccbb44", 31.0, 6.0, "history: blocks through {end}"),
    "peer": ("#aa3377", 40.0, 5.0, None),
    "wait": ("#66ccee", 18.0, 8.0, "wait to {end}"),
    "wait-expected": ("#228833", 30.0, 7.0, "expected: {label}"),
    "wait-got": ("#ee6677", 40.0, 7.0, "got: {label}"),
}
_MARKS = {"step": "#333333", "failing": "#cc3311", "expected": "#228833", "got": "#111111"}
#: Every colour by what it draws (the page's legend).
COLOURS = {**{kind: spec[0] for kind, spec in _BARS.items()}, **_MARKS}
_LEFT, _LANE, _TOP, _RIGHT, _AXIS = 112.0, 50.0, 40.0, 190.0, 30.0
_MARK_Y = 23.0


def get_ticks(first: int, last: int, most: int = 8) -> list[int]:
    """Return round instants (1, 2 or 5 times a power of ten seconds apart) from ``first`` to ``last``."""
    span = max(last - first, 1)
    raw = span / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.ceil(first / step) * step
    return [int(start + k * step) for k in range(int((last - start) // step) + 1)]


def render_svg(timeline: Timeline, width: float = 960.0) -> str:
    """Return the timeline as an inline SVG element: lanes, bars, marks, named instants, the failing step, an axis."""
    lanes = timeline.lanes
    height = _TOP + _LANE * len(lanes) + _AXIS
    _, inner = get_axis(width)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" data-failing-step="{timeline.failing_step or ""}">',
        f"<title>timeline of the counterexample: {html.escape(timeline.check)} at step {timeline.failing_step}</title>",
    ]
    for row, lane in enumerate(lanes):
        y = _TOP + row * _LANE
        if row % 2:
            parts.append(
                f'<rect class="band" x="0" y="{y:.1f}" width="{width:.0f}" height="{_LANE:.0f}" fill="#f7f7f7"/>'
            )
        note = timeline.notes.get(lane)
        parts.append(
            f'<text x="6" y="{y + _MARK_Y + 4:.1f}" class="lane" data-lane="{html.escape(lane)}">'
            f"{html.escape(lane)}</text>"
            f'<line x1="{_LEFT}" x2="{_LEFT + inner:.1f}" y1="{y + _LANE:.1f}" y2="{y + _LANE:.1f}" stroke="#e4e4e4"/>'
        )
        if note is not None:
            parts.append(f'<text x="6" y="{y + _MARK_Y + 17:.1f}" class="lane-note">{html.escape(note)}</text>')
    parts += _render_axis(timeline, height, inner)
    parts += [_render_bar(timeline, bar, lanes, inner) for bar in timeline.bars]
    parts += _render_instants(timeline, height, inner)
    parts += _render_marks(timeline, lanes, inner)
    parts.append("</svg>")
    return "".join(parts)


def get_axis(width: float) -> tuple[float, float]:
    """Return where the time axis starts and how wide it is, in an SVG ``width`` wide (the rest: names, labels)."""
    return _LEFT, width - _LEFT - _RIGHT


def _render_axis(timeline: Timeline, height: float, inner: float) -> list[str]:
    first, last = timeline.span
    y = height - _AXIS + 4
    parts = [f'<line class="axis" x1="{_LEFT}" x2="{_LEFT + inner:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#888"/>']
    for tick in get_ticks(first, last):
        x = get_x(timeline, tick, _LEFT, inner)
        parts.append(
            f'<line class="tick" data-at="{tick}" x1="{x:.2f}" x2="{x:.2f}" y1="{y:.1f}" y2="{y + 5:.1f}" '
            'stroke="#888"/>'
            f'<text x="{x:.2f}" y="{y + 17:.1f}" text-anchor="middle" class="tick-label">{format_time(tick)}</text>'
        )
    return parts


def _render_bar(timeline: Timeline, bar: Bar, lanes: Sequence[str], inner: float) -> str:
    colour, offset, thickness, after = _BARS[bar.kind]
    y = _TOP + lanes.index(bar.lane) * _LANE + offset
    end = bar.end if bar.end is not None else timeline.span[1]
    x1 = get_x(timeline, bar.start, _LEFT, inner)
    x2 = get_x(timeline, end, _LEFT, inner)
    until = "still open" if bar.end is None else format_time(bar.end)
    text = ""
    if after is not None and bar.end is not None:
        words = after.format(end=format_time(bar.end), label=bar.label)
        text = (
            f'<text class="bar-label" x="{x2 + 4:.2f}" y="{y + thickness - 0.5:.1f}" fill="{_darken(colour)}">'
            f"{html.escape(words)}</text>"
        )
    return (
        f'<rect class="bar {bar.kind}" data-kind="{bar.kind}" data-lane="{html.escape(bar.lane)}" '
        f'data-start="{bar.start}" data-end="{"" if bar.end is None else bar.end}" x="{x1:.2f}" y="{y:.1f}" '
        f'width="{max(x2 - x1, 2.0):.2f}" height="{thickness:.0f}" fill="{colour}" opacity="0.85">'
        f"<title>{html.escape(bar.label)}: {format_time(bar.start)} to {until}</title></rect>{text}"
    )


def _darken(colour: str) -> str:
    """Return ``colour`` at 60 % of its brightness (for text beside a bar of that colour)."""
    red, green, blue = (int(colour[i : i + 2], 16) * 6 // 10 for i in (1, 3, 5))
    return f"#{red:02x}{green:02x}{blue:02x}"


def _render_instants(timeline: Timeline, height: float, inner: float) -> list[str]:
    parts = []
    for number, (name, at) in enumerate(timeline.instants):
        x = get_x(timeline, at, _LEFT, inner)
        failing = at == timeline.failing_at and name == timeline.check
        colour = "#cc3311" if failing else "#555555"
        label_y = _TOP - 24 + 12 * (number % 2)
        anchor = "end" if x > _LEFT + inner * 0.7 else "start"
        dx = -4 if anchor == "end" else 4
        parts.append(
            f'<line class="instant{" failing-instant" if failing else ""}" data-at="{at}" x1="{x:.2f}" x2="{x:.2f}" '
            f'y1="{_TOP - 8:.1f}" y2="{height - _AXIS + 6:.1f}" stroke="{colour}" stroke-dasharray="5 3"/>'
            f'<text x="{x + dx:.2f}" y="{label_y:.1f}" text-anchor="{anchor}" class="instant-label" fill="{colour}">'
            f"{html.escape(name)} at {format_time(at)}</text>"
        )
    return parts


def _render_marks(timeline: Timeline, lanes: Sequence[str], inner: float) -> list[str]:
    """Draw every mark; marks at one place share it, and their step numbers are written above it once."""
    parts = []
    numbers: dict[tuple[str, int], list[int]] = {}
    for mark in timeline.marks:
        x = get_x(timeline, mark.at, _LEFT, inner)
        y = _TOP + lanes.index(mark.lane) * _LANE + _MARK_Y
        colour = _MARKS[mark.kind]
        tip = f"<title>{mark.step}. {html.escape(mark.label)}</title>"
        common = (
            f'class="mark {mark.kind}" data-step="{mark.step}" data-at="{mark.at}" data-lane="{html.escape(mark.lane)}"'
        )
        if mark.kind == "got":
            d = 6.0
            parts.append(
                f'<path {common} d="M{x - d:.2f},{y - d:.1f} L{x + d:.2f},{y + d:.1f} M{x - d:.2f},{y + d:.1f} '
                f'L{x + d:.2f},{y - d:.1f}" stroke="{colour}" stroke-width="3" fill="none">{tip}</path>'
            )
        elif mark.kind == "expected":
            parts.append(
                f'<circle {common} cx="{x:.2f}" cy="{y:.1f}" r="7" fill="none" stroke="{colour}" stroke-width="2.5">'
                f"{tip}</circle>"
            )
        else:
            radius = 7 if mark.kind == "failing" else 4.5
            parts.append(f'<circle {common} cx="{x:.2f}" cy="{y:.1f}" r="{radius}" fill="{colour}">{tip}</circle>')
            numbers.setdefault((mark.lane, mark.at), []).append(mark.step)
    for (lane, at), steps in numbers.items():
        x = get_x(timeline, at, _LEFT, inner)
        y = _TOP + lanes.index(lane) * _LANE + 10
        text = ",".join(str(s) for s in sorted(set(steps)))
        parts.append(f'<text x="{x:.2f}" y="{y:.1f}" text-anchor="middle" class="step-number">{text}</text>')
    return parts
