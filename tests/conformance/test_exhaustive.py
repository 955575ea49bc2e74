"""Bounded exhaustive checking: the reference's snapshot, the events, the search, certificates and counterexamples."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialcheck.conformance.cli import main
from dialcheck.conformance.formats.scheduler_format import load_any_trace
from dialcheck.conformance.formats.trace import TaskRef, dump_trace, load_trace
from dialcheck.conformance.harness.family import DIAL_SCHEDULER, family_of
from dialcheck.conformance.harness.loader import load_factory
from dialcheck.conformance.harness.minimize import get_failure
from dialcheck.conformance.harness.replay import replay_trace
from dialcheck.conformance.harness.session import Level, Session
from dialcheck.conformance.harness.world import UNIVERSE, BranchingChooser, DialHappening, World
from dialcheck.conformance.reports.mutants import AnyMember
from dialcheck.conformance.runs.exhaustive import (
    PRESETS,
    SCHEDULER_PRESETS,
    CheckOptions,
    Explorer,
    Outcome,
    Scope,
    Transition,
    check_scope,
    get_presets,
    get_scopes,
    get_state_key,
    run_exhaustive,
)
from dialcheck.conformance.runs.exhaustive.dialstate import _Root
from dialcheck.conformance.runs.exhaustive.search import _Node
from dialcheck.conformance.zoo import MEMBERS, SCHEDULER_MEMBERS, get_member
from dialcheck.reference.dialstate import Dialstate, create_dialstate
from dialcheck.reference.scheduler import create_scheduler
from dialcheck.spec.contract import DialstateFactory
from dialcheck.spec.model import SECOND, Config, ConnFlag, DialTask, Node, Profile
from dialcheck.spec.scheduler import SchedulerProfile
from dialcheck.spec.verdicts import BadInput, HarnessError, Verdict

N = UNIVERSE
SELF = N[0].id
CERTIFICATE = re.compile(
    r"no divergence in scope (\S+) \((geth-[0-9.]+), strict\) up to depth (\d+): "
    r"([\d,]+) states, ([\d,]+) transitions, [\d.]+ s"
)


def _world(config: Config, start: int = 0) -> World:
    session = Session.create(create_dialstate, config, Profile.GETH_1_7)
    return World(session, True, start, [])


# -- the snapshot ----------------------------------------------------------------


def test_a_snapshot_changes_with_every_part_of_the_reference_state() -> None:
    config = Config(SELF, 2, static=(N[1],), bootnodes=(N[2], N[3]))
    state = Dialstate(config)
    seen = {state.get_snapshot()}

    def changed() -> bool:
        snapshot = state.get_snapshot()
        new = snapshot not in seen
        seen.add(snapshot)
        return new

    [static, discover] = state.new_tasks(0, {}, SECOND, [])  # start, dialing, lookup running
    assert changed()
    state.task_done(discover, SECOND, [N[4], N[5]])  # lookup buffer, lookup not running
    assert changed()
    state.task_done(static, SECOND, [])  # history, dialing cleared
    assert changed()
    state.new_tasks(0, {}, 30 * SECOND, [])  # bootnodes rotated (fallback), buffer consumed
    assert changed()
    assert isinstance(static, DialTask)
    static.last_resolved, static.resolve_delay = SECOND, 60 * SECOND  # a static task's execution state
    assert changed()
    state.remove_static(N[1])
    assert changed()
    other = Dialstate(Config(SELF, 2, static=(N[1],), bootnodes=(N[2], N[3]), netrestrict=("10.0.0.0/24",)))
    assert other.get_snapshot() != Dialstate(config).get_snapshot()
    assert Dialstate(config, Profile.GETH_1_8).get_snapshot() != Dialstate(config).get_snapshot()


_NODES = st.sampled_from(N[1:6])


@given(
    first=st.lists(_NODES, max_size=4, unique=True),
    order=st.randoms(use_true_random=False),
    later=st.lists(st.tuples(st.sampled_from(("ask", "done", "add", "remove")), _NODES), max_size=12),
)
def test_dialstates_whose_snapshots_are_equal_answer_every_later_call_alike(
    first: list[Node], order: object, later: list[tuple[str, Node]]
) -> None:
    """Statics added in two orders reach equal snapshots; from there every call answers alike."""
    import random

    assert isinstance(order, random.Random)
    shuffled = list(first)
    order.shuffle(shuffled)
    pair = [Dialstate(Config(SELF, 2)), Dialstate(Config(SELF, 2))]
    for state, nodes in zip(pair, (first, shuffled), strict=True):
        for node in nodes:
            state.add_static(node)
    assert pair[0].get_snapshot() == pair[1].get_snapshot()
    now = 0
    for what, node in later:
        answers = []
        for state in pair:
            if what == "ask":
                answers.append(sorted(map(repr, state.new_tasks(0, {}, now, [node]))))
            elif what == "done":
                state.task_done(DialTask(ConnFlag.DYN, node), now, [])
            elif what == "add":
                state.add_static(node)
            else:
                state.remove_static(node)
        assert len(set(map(tuple, answers))) <= 1
        assert pair[0].get_snapshot() == pair[1].get_snapshot()
        now += 7 * SECOND


def test_the_state_key_is_relative_to_now_once_started_and_absolute_before() -> None:
    config = Config(SELF, 1, static=(N[1],))
    early, late = _world(config, SECOND), _world(config, 100 * SECOND)
    for world in (early, late):
        world.ask()
    assert get_state_key(early, 5) == get_state_key(late, 5)
    zero, one = _world(config, 0), _world(config, 1)
    assert get_state_key(zero, 5) != get_state_key(one, 5)  # not started: the zero instant is special


# -- the events ------------------------------------------------------------------


def _ways(scope: Scope, path: tuple[Transition, ...] = ()) -> list[Transition]:
    """Return every transition the explorer tries from the state ``path`` reaches from the scope's first root."""
    explorer = Explorer(create_dialstate, Profile.GETH_1_7, scope, "t")
    root = scope.get_roots()[0]
    world = explorer.replay(root, path)
    return [t for t, _ in explorer.get_transitions(_Node(root, path, explorer.get_events(path, world)))]


def _asks(ways: list[Transition]) -> list[Transition]:
    return [t for t in ways if t.happening is DialHappening.NEW_TASKS]


def _progresses(ways: list[Transition]) -> list[Transition]:
    return [t for t in ways if t.happening is DialHappening.TASK_PROGRESSES]


def test_the_first_event_asks_at_the_start_and_later_asks_move_the_clock_to_distinct_instants() -> None:
    scope = Scope("t", 3, (Config(SELF, 1),), start_times=(SECOND,))
    [first] = _asks(_ways(scope))
    assert first.chosen == ()  # the first call is at the start
    targets = [t.chosen[0] for t in _asks(_ways(scope, (first,)))]
    assert len(set(targets)) == len(targets)  # no two asks with the same effect
    assert SECOND + 20 * SECOND in targets and SECOND - 1 in targets and SECOND + 3600 * SECOND in targets
    assert len(targets) == 6  # now, 1 ns, the fallback and 1 ns past it, far, back: no dial has finished


def test_a_dial_is_tried_with_every_resolve_answer_only_when_one_can_matter() -> None:
    incomplete = Node(N[4].id, None)
    scope = Scope("t", 4, (Config(SELF, 2, static=(incomplete,)),), lookup_results=((N[2],),))
    [ask] = _asks(_ways(scope))  # the static n4? and a lookup
    ways = _progresses(_ways(scope, (ask,)))
    dials = [t for t in ways if t.chosen[0] == TaskRef("dial", incomplete.id)]
    # static and incomplete: nothing or n4 found, each outcome, a retry only after a failed attempt
    assert len(dials) == 2 + 2 * 2
    [lookup] = [t for t in ways if t.chosen[0] == TaskRef("discover")]
    assert lookup.chosen[1:] == ((N[2],),)
    after = (ask, lookup, *_asks(_ways(scope, (ask, lookup)))[:1])  # dials n2, dynamic and complete
    dynamic = [t.chosen[1:] for t in _progresses(_ways(scope, after)) if t.chosen[0] == TaskRef("dial", N[2].id)]
    assert dynamic == [(Outcome.CONNECTS,), (Outcome.FAILS,)]


def test_a_dial_that_only_completes_its_handshake_adds_the_peer_and_keeps_running() -> None:
    scope = Scope("t", 2, (Config(SELF, 0, static=(N[1],)),), outcomes=(Outcome.HANDSHAKE_ONLY,))
    [ask] = _asks(_ways(scope))
    dials = _progresses(_ways(scope, (ask,)))
    assert {t.chosen[1] for t in dials} == {Outcome.HANDSHAKE_ONLY}
    world = Explorer(create_dialstate, Profile.GETH_1_7, scope, "t").replay(scope.get_roots()[0], (ask, dials[0]))
    assert world.peers == {N[1].id: ConnFlag.STATIC} and len(world.session.outstanding) == 1


def test_a_scope_names_every_node_it_holds_unambiguously() -> None:
    moved = Node(N[1].id, "10.0.0.101", 30304, 30304)
    text = Scope("t", 1, (Config(SELF, 1, static=(N[1], Node(N[4].id, None))),), statics=(moved,)).describe()
    assert "static [n1 n4?]" in text and "statics [n1@10.0.0.101:30304]" in text


# -- the search ------------------------------------------------------------------


def _check(
    factory: DialstateFactory, profile: Profile, name: str, jobs: int = 1, depth: Optional[int] = None
) -> tuple[int, int, str]:
    options = CheckOptions(factory, "t", profile, preset=name, depth=depth, jobs=jobs, save_dir=Path("/nonexistent"))
    report = run_exhaustive(options)
    assert report.conformant
    [result] = report.results
    return result.progress.states, result.progress.transitions, result.get_certificate()


def test_the_reference_is_certified_in_the_tiny_scope_with_a_certificate_naming_it() -> None:
    # At depth 4 (the preset's 5 is certified at every profile in the slow env).
    states, transitions, certificate = _check(create_dialstate, Profile.GETH_1_8, "tiny", depth=4)
    match = CERTIFICATE.fullmatch(certificate)
    assert match is not None, certificate
    assert match.group(1, 2, 3) == ("tiny", "geth-1.8", "4")
    assert int(match.group(4).replace(",", "")) == states > 500
    assert int(match.group(5).replace(",", "")) == transitions > states
    assert "configs [self n0 max 1" in PRESETS["tiny"].scopes[0].describe()


def test_merging_by_state_keeps_the_search_far_below_the_number_of_event_sequences() -> None:
    [scope] = get_scopes("tiny", 4)
    result = check_scope(Explorer(create_dialstate, Profile.GETH_1_7, scope, "t"))
    by_depth = result.progress.states_by_depth
    assert len(by_depth) == 5 and all(b > a for a, b in zip(by_depth, by_depth[1:], strict=False))
    # Without merging every transition would reach a new state.
    assert result.progress.states < result.progress.transitions


def test_a_divergence_is_found_at_the_smallest_depth_where_one_exists(tmp_path: Path) -> None:
    member = get_member("history_of_29_seconds")
    [scope] = get_scopes("tiny")
    result = check_scope(Explorer(member.create, member.profile, scope, member.name))
    assert result.failure is not None and result.failure.check is Verdict.STRICT
    depth = len(result.progress.transitions_by_depth)
    shallower = check_scope(Explorer(member.create, member.profile, get_scopes("tiny", depth - 1)[0], member.name))
    assert shallower.conformant


def test_a_failure_is_saved_minimized_and_replays_to_the_same_check(tmp_path: Path) -> None:
    member = get_member("wait_done_ends_the_lookup")
    options = CheckOptions(member.create, member.name, member.profile, preset="zoo/lookups", save_dir=tmp_path)
    report = run_exhaustive(options)
    assert report.failure is not None and report.saved is not None and not report.conformant
    trace = load_trace(report.saved)
    assert dump_trace(trace) == dump_trace(report.failure.trace)
    replayed = replay_trace(trace, member.create)
    assert replayed.failure is not None and replayed.failure.index == len(trace.steps) - 1
    for index in range(len(trace.steps)):
        without = [s for i, s in enumerate(trace.steps) if i != index]
        again = get_failure(trace, without, member.create, Level.STRICT, member.name)
        assert again is None or again.check is not report.failure.check


def test_two_jobs_give_the_same_certificate_counts_and_counterexample_as_one() -> None:
    one = _check(create_dialstate, Profile.GETH_1_7, "tiny", jobs=1, depth=4)
    two = _check(create_dialstate, Profile.GETH_1_7, "tiny", jobs=2, depth=4)
    assert one[:2] == two[:2]
    member = get_member("lookup_buffer_reversed")
    found = []
    for jobs in (1, 2):
        options = CheckOptions(member.create, member.name, member.profile, preset="tiny", depth=4, jobs=jobs)
        report = run_exhaustive(replace_save_dir(options))
        assert report.failure is not None
        found.append((dump_trace(report.failure.trace), report.results[-1].progress.transitions))
    assert found[0] == found[1]


def replace_save_dir(options: CheckOptions) -> CheckOptions:
    import dataclasses
    import tempfile

    return dataclasses.replace(options, save_dir=Path(tempfile.mkdtemp(prefix="dialcheck-test-")))


def test_an_implementation_that_fails_once_and_then_passes_is_reported_nondeterministic(tmp_path: Path) -> None:
    calls = [0]

    class FailsOnce(Dialstate):
        def add_static(self, node: Node) -> None:
            calls[0] += 1
            if calls[0] == 1:
                raise RuntimeError("first time only")
            super().add_static(node)

    def create(config: Config, profile: Profile) -> Dialstate:
        return FailsOnce(config, profile)

    report = run_exhaustive(CheckOptions(create, "t", preset="tiny", depth=1, save_dir=tmp_path))
    assert report.failure is not None and report.flaky is not None and not report.conformant


def test_a_worker_that_cannot_make_its_implementation_is_a_harness_error() -> None:
    @contextlib.contextmanager
    def broken() -> Iterator[DialstateFactory]:
        raise RuntimeError("no implementation here")
        yield create_dialstate  # pragma: no cover

    options = CheckOptions(create_dialstate, "t", preset="tiny", jobs=2, opener=broken)
    with pytest.raises(HarnessError, match="no implementation here"):
        run_exhaustive(options)


def test_an_unknown_scope_is_bad_input_naming_the_presets() -> None:
    with pytest.raises(
        BadInput, match="in the dialstate family; choose one of opening, opening/budget, .*, tiny, zoo, zoo/checks"
    ):
        get_scopes("huge")
    assert [s.name for s in get_scopes("zoo/lookups", 3)] == ["zoo/lookups"]
    assert get_scopes("zoo/lookups", 3)[0].depth == 3


# -- the command -----------------------------------------------------------------


def test_check_needs_exhaustive_and_a_known_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert "say --exhaustive" in capsys.readouterr().err
    assert main(["check", "--exhaustive", "--preset", "nope"]) == 2
    assert "no exhaustive scope called 'nope'" in capsys.readouterr().err


def test_check_prints_a_certificate_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.json"
    assert main(["check", "--exhaustive", "--preset", "zoo/lookups", "--json", str(path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("scope zoo/lookups (configs [self n0 max 1")
    assert CERTIFICATE.fullmatch(out[-2]) is not None
    assert out[-1].startswith("dialcheck check --exhaustive: CONFORMANT")
    document = json.loads(path.read_text())
    assert document["format"] == "dialcheck-check/1" and document["conformant"] is True
    assert document["scopes"][0]["certificate"] == out[-2]


def test_check_over_the_wire_certifies_dialcheck_serve(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", "--exhaustive", "--cmd", "dialcheck serve", "--preset", "zoo/lookups", "--jobs", "2"]
    assert main(args) == 0
    assert "CONFORMANT - dialcheck serve" in capsys.readouterr().out


def test_check_shows_the_shortest_counterexample_and_replay_reproduces_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    impl = "dialcheck.conformance.zoo:wait_done_ends_the_lookup"
    args = ["check", "--exhaustive", "--impl", impl, "--preset", "zoo/lookups", "--save-failures", str(tmp_path)]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "found at depth 9 of scope zoo/lookups" in out and "NOT CONFORMANT (STRICT)" in out
    [trace] = tmp_path.glob("STRICT-geth-1.7-exhaustive-*.json")
    assert main(["replay", "--impl", impl, str(trace)]) == 1
    assert "STRICT" in capsys.readouterr().out


# -- teeth (slow) ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("member", [*MEMBERS, *SCHEDULER_MEMBERS], ids=lambda m: m.name)
def test_the_zoo_preset_kills_every_zoo_member_of_both_families_with_a_counterexample_that_replays(
    member: AnyMember, tmp_path: Path
) -> None:
    report = run_exhaustive(CheckOptions(member.create, member.name, member.profile, preset="zoo", save_dir=tmp_path))
    assert report.failure is not None and report.flaky is None, member.name
    assert report.saved is not None
    replayed = replay_trace(load_any_trace(report.saved), member.create)
    assert replayed.failure is not None and replayed.failure.verdict is report.failure.check


@pytest.mark.slow
@pytest.mark.parametrize("profile", [*Profile, *SchedulerProfile], ids=lambda p: p.value)
@pytest.mark.parametrize("preset", ["tiny", "zoo"])
def test_the_reference_is_certified_in_every_preset_at_every_profile_of_both_families(
    preset: str, profile: Profile | SchedulerProfile
) -> None:
    family = family_of(profile)
    report = run_exhaustive(CheckOptions(load_factory(family.reference_spec), "reference", profile, preset=preset))
    assert report.conformant and len(report.results) == len(get_presets(family)[preset].scopes)


# -- the dialScheduler ---------------------------------------------------------------


def _enumerate(shape: list[int]) -> list[tuple[int, ...]]:
    """Follow a BranchingChooser through choices whose number of options depends on the choices before."""
    seen: list[tuple[int, ...]] = []
    prefix: Optional[tuple[int, ...]] = ()
    while prefix is not None:
        chooser = BranchingChooser(prefix)
        made: list[int] = []
        for count in shape:
            made.append(chooser.choice(range(count + (made[-1] if made else 0))))
        if chooser.coin():
            made.append(-1)
        seen.append(tuple(made))
        prefix = chooser.get_next_prefix()
    return seen


@given(st.lists(st.integers(1, 3), max_size=3))
def test_a_branching_chooser_makes_every_sequence_of_choices_once(shape: list[int]) -> None:
    made = _enumerate(shape)
    assert len(made) == len(set(made))
    sequences: list[tuple[int, ...]] = [()]
    for count in shape:
        sequences = [(*p, c) for p in sequences for c in range(count + (p[-1] if p else 0))]
    assert sorted(made) == sorted([*sequences, *((*p, -1) for p in sequences)])


def test_a_branching_chooser_counts_equal_options_once_and_a_sure_chance_as_one() -> None:
    chooser = BranchingChooser()
    assert chooser.choice((5, 5, 7)) == 5 and chooser.chance(4, 4) and not chooser.chance(0, 4)
    assert chooser.get_next_prefix() == (1,)
    assert BranchingChooser((1,)).choice((5, 5, 7)) == 7
    with pytest.raises(ValueError, match="has 2 options, not 3"):
        BranchingChooser((2,)).choice((5, 7))


@pytest.mark.parametrize("profile", list(SchedulerProfile), ids=lambda p: p.value)
def test_the_reference_scheduler_is_certified_in_the_tiny_scope_at_every_scheduler_profile(
    profile: SchedulerProfile,
) -> None:
    report = run_exhaustive(CheckOptions(load_factory(DIAL_SCHEDULER.reference_spec), "reference", profile))
    assert report.conformant
    (result,) = report.results
    certificate = CERTIFICATE.fullmatch(result.get_certificate())
    assert certificate is not None and certificate.group(1) == "tiny" and certificate.group(2) == profile.value
    assert result.progress.transitions > result.progress.states > 100


def test_a_scheduler_scope_that_does_not_merge_explores_every_path() -> None:
    (scope,) = get_scopes("zoo/statics", 2, DIAL_SCHEDULER)
    factory = create_scheduler
    result = check_scope(Explorer(factory, SchedulerProfile.GETH_1_17_2, scope, "t"))
    assert result.conformant and result.progress.states == result.progress.transitions + 1
    merged = check_scope(Explorer(factory, SchedulerProfile.GETH_1_17_2, replace(scope, merge=True), "t"))
    assert merged.progress.states < result.progress.states
    assert merged.progress.transitions_by_depth[0] == result.progress.transitions_by_depth[0]
    assert merged.progress.transitions < result.progress.transitions


def test_the_scheduler_presets_are_named_apart_from_dialstate_ones() -> None:
    assert sorted(SCHEDULER_PRESETS) == ["opening", "tiny", "zoo"]
    assert [s.name for s in get_presets(DIAL_SCHEDULER)["zoo"].scopes][0] == "zoo/slots"
    with pytest.raises(
        BadInput, match="in the dialScheduler family; choose one of opening, .*, tiny, zoo, zoo/addresses"
    ):
        get_scopes("zoo/lookups", None, DIAL_SCHEDULER)


def test_check_finds_a_scheduler_bug_at_the_smallest_depth_and_replay_reproduces_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    impl = "dialcheck.conformance.zoo:sched_dials_self"
    args = ["check", "--exhaustive", "--profile", "geth-1.17.2", "--impl", impl, "--preset", "zoo/addresses"]
    assert main([*args, "--save-failures", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "found at depth 1 of scope zoo/addresses" in out and "NOT CONFORMANT (STRICT)" in out
    [trace] = tmp_path.glob("STRICT-geth-1.17.2-exhaustive-*.json")
    assert main(["replay", "--impl", impl, str(trace)]) == 1
    assert main(["replay", str(trace)]) == 0


def test_two_jobs_check_a_scheduler_scope_with_the_same_counts_as_one(capsys: pytest.CaptureFixture[str]) -> None:
    lines = []
    for jobs in ("1", "2"):
        assert main(["check", "--exhaustive", "--profile", "geth-1.15", "--preset", "tiny", "--jobs", jobs]) == 0
        out = capsys.readouterr().out.splitlines()
        lines.append(re.sub(r"[\d.]+ s$", "", out[-2]))
    assert lines[0] == lines[1] and lines[0].startswith("no divergence in scope tiny (geth-1.15, strict)")


def test_a_root_is_one_configuration_start_and_discovery() -> None:
    scope = Scope("t", 1, (Config(SELF, 1), Config(SELF, 2)), start_times=(0, SECOND), discovery=(True, False))
    explorer = Explorer(create_dialstate, Profile.GETH_1_7, scope, "t")
    world = explorer.replay(_Root(scope.configs[1], SECOND, False), ())
    assert world.now == SECOND and not world.discovery and world.session.config.max_dyn_dials == 2
