"""The session core: one implementation driven step by step, judged at every step, recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from support import config, node

from dialcheck.conformance.formats.trace import NewTasksStep, TaskDoneStep, TaskRef
from dialcheck.conformance.harness.session import Level, Nonconformance, Session, get_task_ref
from dialcheck.reference.dialstate import Dialstate
from dialcheck.spec.model import SECOND, Config, ConnFlag, DialTask, Node, NodeID, Profile, Task
from dialcheck.spec.verdicts import ImplementationFault, Verdict

S = SECOND
P = Profile.GETH_1_7


class Reversed(Dialstate):
    """The reference, answering every list in reverse order (a conformant difference)."""

    def new_tasks(self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]) -> list[Task]:
        return list(reversed(super().new_tasks(running, peers, now, table)))


def _strict(factory: type[Dialstate], cfg: Config) -> Session:
    return Session.create(factory, cfg, P, level=Level.STRICT)


def test_a_strict_session_pairs_each_task_with_its_twin_whatever_the_answers_order() -> None:
    session = _strict(Reversed, config(max_dyn_dials=8))
    entries = session.new_tasks(0, {}, 1 * S, [node(1), node(2), node(3)])
    assert len(entries) == 4  # three table dials (need 8 -> 4 candidates, 3 read) and a lookup
    for entry in entries:
        assert entry.twin is not None and get_task_ref(entry.twin) == get_task_ref(entry.task)
    step = session.steps[-1]
    assert isinstance(step, NewTasksStep) and step.expect is not None and len(step.expect) == 4


def test_the_canonical_order_depends_on_the_answers_multiset_only() -> None:
    forward = _strict(Dialstate, config(max_dyn_dials=8))
    backward = _strict(Reversed, config(max_dyn_dials=8))
    for session in (forward, backward):
        session.new_tasks(0, {}, 1 * S, [node(1), node(2), node(3)])
    assert [get_task_ref(e.task) for e in forward.get_canonical_outstanding()] == [
        get_task_ref(e.task) for e in backward.get_canonical_outstanding()
    ]


def test_a_step_naming_no_outstanding_task_is_a_missing_task_at_its_index() -> None:
    session = Session.create(Dialstate, config(), P, level=Level.INVARIANTS)
    session.apply(NewTasksStep(1 * S, 0))
    with pytest.raises(Nonconformance) as raised:
        session.apply(TaskDoneStep(2 * S, TaskRef("dial", "0000000a")))
    failure = raised.value.failure
    assert failure.verdict is Verdict.MISSING_TASK and failure.index == 1
    assert len(raised.value.trace.steps) == 2


def test_an_exception_in_a_call_is_an_implementation_error_naming_the_call_AD_4() -> None:
    class Raises(Dialstate):
        def add_static(self, node: Node) -> None:
            raise KeyError("boom")

    session = Session.create(lambda c, p: Raises(c, p), config(), P, level=Level.INVARIANTS)
    with pytest.raises(Nonconformance) as raised:
        session.add_static(node(1))
    assert raised.value.check is Verdict.IMPLEMENTATION_ERROR
    assert raised.value.message == "the implementation raised KeyError in add_static: 'boom'"


def test_an_adapter_fault_keeps_its_verdict_and_whether_it_aborts_the_run() -> None:
    class Hangs(Dialstate):
        def remove_static(self, node: Node) -> None:
            raise ImplementationFault(Verdict.WIRE_HUNG, "no answer", aborts_run=True)

    session = Session.create(lambda c, p: Hangs(c, p), config(), P, level=Level.INVARIANTS)
    with pytest.raises(Nonconformance) as raised:
        session.remove_static(node(1))
    assert raised.value.check is Verdict.WIRE_HUNG and raised.value.failure.aborts_run


def test_a_factory_that_raises_fails_at_construction() -> None:
    def broken(cfg: Config, profile: Profile) -> Dialstate:
        raise RuntimeError("no")

    with pytest.raises(Nonconformance) as raised:
        Session.create(broken, config(), P)
    assert raised.value.failure.index is None and raised.value.check is Verdict.IMPLEMENTATION_ERROR


def test_a_task_returned_again_keeps_its_wire_handle() -> None:
    session = Session.create(Dialstate, config(static=[node(1)]), P, level=None)
    first = session.new_tasks(0, {}, 1 * S, [])
    static = next(e for e in first if get_task_ref(e.task) == TaskRef("dial", node(1).id))
    session.task_done(static, 1 * S)
    again = session.new_tasks(0, {}, 40 * S, [])
    assert static.handle in {e.handle for e in again}
    assert session.find_handle(static.handle) is not None and session.find_handle(999) is None


def test_a_session_that_judges_nothing_still_refuses_an_answer_that_is_not_tasks() -> None:
    class Dials(Dialstate):
        def new_tasks(
            self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]
        ) -> list[Task]:
            return [*super().new_tasks(running, peers, now, table), *table]  # type: ignore[list-item]

    served = Session.create(lambda c, p: Dials(c, p), config(), P, level=None)
    served.new_tasks(0, {}, 1 * S, [])
    with pytest.raises(Nonconformance) as raised:
        served.new_tasks(0, {}, 2 * S, [node(1)])
    assert raised.value.check is Verdict.BAD_ANSWER


def test_only_a_judging_session_applies_the_named_invariants() -> None:
    class DialsTwice(Dialstate):
        def new_tasks(
            self, running: int, peers: Mapping[NodeID, ConnFlag], now: int, table: Sequence[Node]
        ) -> list[Task]:
            return [DialTask(ConnFlag.DYN, node(1)), DialTask(ConnFlag.DYN, node(1))]

    assert len(Session.create(lambda c, p: DialsTwice(c, p), config(), P, level=None).new_tasks(0, {}, S, [])) == 2
    judged = Session.create(lambda c, p: DialsTwice(c, p), config(), P, level=Level.INVARIANTS)
    with pytest.raises(Nonconformance) as raised:
        judged.new_tasks(0, {}, S, [])
    assert raised.value.check is Verdict.NO_DOUBLE_DIAL
