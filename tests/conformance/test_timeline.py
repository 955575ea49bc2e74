"""The timeline of a counterexample: each step at its instant, dials, history and peers as windows, the failing step."""

from __future__ import annotations

import re

from dialcheck.conformance.formats.scheduler_format import EventStep, SchedulerTrace
from dialcheck.conformance.formats.trace import NewTasksStep, TaskDoneStep, TaskRef, Trace
from dialcheck.conformance.reports.timeline import (
    SCHEDULER_LANE,
    Timeline,
    get_axis,
    get_ticks,
    get_timeline,
    get_x,
    render_svg,
)
from dialcheck.spec.model import SECOND, Config, ConnFlag, DialTask, Node, Profile, WaitTask
from dialcheck.spec.scheduler import (
    SCHEDULER_HISTORY_EXPIRATION,
    AddStatic,
    Advance,
    AllowedResponse,
    Dial,
    DialDone,
    PeerAdded,
    PeerRemoved,
    Response,
    SchedulerConfig,
    SchedulerProfile,
    Start,
)

N1 = Node("00000001", "10.0.0.1", 30303, 30303)
N2 = Node("00000002", "10.0.0.2", 30303, 30303)


def _dial_trace() -> Trace:
    steps = (
        NewTasksStep(1 * SECOND, 0, expect=()),
        NewTasksStep(21 * SECOND, 0, peers=((N2.id, ConnFlag.DYN),), expect=(DialTask(ConnFlag.DYN, N1),)),
        TaskDoneStep(25 * SECOND, TaskRef("dial", N1.id)),
        NewTasksStep(26 * SECOND, 0, expect=(WaitTask(29 * SECOND),)),
    )
    return Trace("t", Profile.GETH_1_7, Config("000000ff", 1, bootnodes=(N1,)), steps)


def _bars(timeline: Timeline) -> list[tuple[str, str, int, int | None]]:
    return [(b.kind, b.lane, b.start, b.end) for b in timeline.bars]


def test_an_instant_is_drawn_linearly_between_the_first_and_the_last() -> None:
    timeline = get_timeline(_dial_trace(), "STRICT")
    first, last = timeline.span
    assert (first, last) == (1 * SECOND, 55 * SECOND)  # the history entry of the dial ends last
    assert get_x(timeline, first, 100.0, 600.0) == 100.0 and get_x(timeline, last, 100.0, 600.0) == 700.0
    assert abs(get_x(timeline, 28 * SECOND, 100.0, 600.0) - 400.0) < 1e-9


def test_a_dialstate_dial_runs_to_its_task_done_and_its_history_lasts_the_profiles_lifetime_from_there() -> None:
    timeline = get_timeline(_dial_trace(), "STRICT", expected=(WaitTask(29 * SECOND),), got=(WaitTask(30 * SECOND),))
    bars = _bars(timeline)
    assert ("dial", "n1", 21 * SECOND, 25 * SECOND) in bars
    assert ("history", "n1", 25 * SECOND, 55 * SECOND) in bars  # DS-HIST-1: from task_done, 30 s at geth-1.7
    assert ("peer", "n2", 21 * SECOND, 26 * SECOND) in bars  # listed at the call of 21 s, gone at 26 s
    assert ("wait-expected", SCHEDULER_LANE, 26 * SECOND, 55 * SECOND) in bars
    assert ("wait-got", SCHEDULER_LANE, 26 * SECOND, 56 * SECOND) in bars


def test_the_fallback_and_the_failing_instant_are_drawn_across_every_lane() -> None:
    timeline = get_timeline(_dial_trace(), "STRICT")
    assert timeline.instants == [("fallback (20 s after the first call)", 21 * SECOND), ("STRICT", 26 * SECOND)]
    assert timeline.failing_step == 4 and timeline.failing_at == 26 * SECOND
    assert [m.kind for m in timeline.marks if m.step == 4] == ["failing"]
    assert timeline.lanes == [SCHEDULER_LANE, "n1", "n2"]  # the lanes of marks first, then those of bars only


def test_a_dial_got_but_not_expected_is_a_cross_on_its_nodes_lane_and_the_one_expected_a_ring() -> None:
    trace = Trace("t", Profile.GETH_1_7, Config("000000ff", 2), (NewTasksStep(5 * SECOND, 0, expect=None),))
    timeline = get_timeline(trace, "STRICT", (DialTask(ConnFlag.DYN, N1),), (DialTask(ConnFlag.DYN, N2),))
    assert {(m.kind, m.lane) for m in timeline.marks} == {
        ("failing", SCHEDULER_LANE),
        ("got", "n2"),
        ("expected", "n1"),
    }


def _scheduler_trace() -> SchedulerTrace:
    static, dyn = Dial(ConnFlag.STATIC, N1), Dial(ConnFlag.DYN, N2)
    steps = (
        EventStep(Start(1000 * SECOND), answer=Response((), True)),
        EventStep(AddStatic(N1), answer=Response((static,), True)),
        EventStep(Advance(1010 * SECOND), answer=Response((), True)),
        EventStep(DialDone(N1.id), answer=Response((), True)),
        EventStep(PeerAdded(N2.id, ConnFlag.DYN), answer=Response((), True)),
        EventStep(PeerRemoved(N2.id, ConnFlag.DYN), answer=Response((), True)),
        EventStep(Advance(1020 * SECOND), answer=Response((static,), True)),
    )
    del dyn
    return SchedulerTrace("s", SchedulerProfile.GETH_1_15, SchedulerConfig("ff" * 32, 2), steps)


def test_a_scheduler_history_entry_starts_with_the_dial_and_lasts_35_seconds() -> None:
    trace = _scheduler_trace()
    allowed = AllowedResponse((), (), 0)
    timeline = get_timeline(trace, "SC_HISTORY", allowed, trace.steps[-1].answer)
    bars = _bars(timeline)
    assert ("dial", "n1", 1000 * SECOND, 1010 * SECOND) in bars
    # SC-DIAL-1: the entry is added when the dial starts.
    assert ("history", "n1", 1000 * SECOND, 1000 * SECOND + SCHEDULER_HISTORY_EXPIRATION) in bars
    assert ("peer", "n2", 1010 * SECOND, 1010 * SECOND) in bars
    assert ("static", "n1", 1000 * SECOND, None) in bars
    got = [m for m in timeline.marks if m.kind == "got"]
    assert [(m.lane, m.at) for m in got] == [("n1", 1020 * SECOND)]  # the re-dial the reference did not make
    assert timeline.instants == [("SC_HISTORY", 1020 * SECOND)]


def test_a_static_the_implementation_picked_from_the_allowed_pool_is_not_a_difference() -> None:
    trace = _scheduler_trace()
    static = Dial(ConnFlag.STATIC, N1)
    allowed = AllowedResponse((), (static,), 1)
    timeline = get_timeline(trace, "STRICT", allowed, Response((static,), False))
    assert not [m for m in timeline.marks if m.kind in ("got", "expected")]
    missed = get_timeline(trace, "STRICT", allowed, Response((), False))
    assert [(m.kind, m.lane) for m in missed.marks if m.kind == "expected"] == [("expected", SCHEDULER_LANE)]


def test_the_svg_draws_each_step_and_each_bar_at_x_of_its_instant() -> None:
    timeline = get_timeline(_dial_trace(), "STRICT")
    svg = render_svg(timeline, width=800.0)
    left, inner = get_axis(800.0)
    circles = re.findall(r'<circle class="mark (\w+)" data-step="(\d+)" data-at="(\d+)"[^>]* cx="([\d.]+)"', svg)
    assert [c[0] for c in circles] == ["step", "step", "step", "failing"]
    for _, _, at, cx in circles:
        assert abs(float(cx) - get_x(timeline, int(at), left, inner)) < 0.01
    rects = re.findall(r'<rect class="bar \S+" [^>]*data-start="(\d+)"[^>]* x="([\d.]+)"', svg)
    assert len(rects) == len(timeline.bars)
    for start, x in rects:
        assert abs(float(x) - get_x(timeline, int(start), left, inner)) < 0.01
    assert "<script" not in svg and "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_ticks_are_round_and_inside_the_span() -> None:
    assert get_ticks(0, 216 * SECOND) == [k * 50 * SECOND for k in range(5)]
    assert get_ticks(1000 * SECOND, 1035 * SECOND) == [(1000 + 5 * k) * SECOND for k in range(8)]


def test_an_empty_timeline_still_has_a_span() -> None:
    assert Timeline().span == (0, SECOND) and "<svg" in render_svg(Timeline())


def test_configured_bootnodes_and_statics_have_lanes_that_say_what_they_are() -> None:
    config = Config("000000ff", 1, static=(N2,), bootnodes=(Node("000000ff", "10.0.0.9", 30303, 30303), N1))
    trace = Trace("t", Profile.GETH_1_7, config, (NewTasksStep(3 * SECOND, 0, expect=None),))
    timeline = get_timeline(trace, "BOOTNODE_ROTATION", None, ())
    assert timeline.notes == {"n2": "static", "self": "bootnode 1 of 2", "n1": "bootnode 2 of 2"}
    assert timeline.lanes == [SCHEDULER_LANE, "n2", "self", "n1"]
    assert ("static", "n2", 3 * SECOND, None) in _bars(timeline)
    assert "bootnode 2 of 2" in render_svg(timeline)
