"""The state machine that plays geth's server loop and the network around an implementation of either family.

Theory of operation
-------------------
:class:`Machine` is a Hypothesis ``RuleBasedStateMachine`` whose one rule
makes one *happening* of the profile's family's world happen: for dialstate
(:class:`~dialcheck.conformance.harness.world.World`) the server asks for new tasks
after the clock moves, a dial connects or fails, a lookup returns, a wait
ends, a peer drops or connects inbound, a static node is added or removed, the
table changes; for the dialScheduler
(:class:`~dialcheck.conformance.harness.world.SchedulerWorld`) the clock moves, the
iterator offers a node, a dial's task returns, peers and inbound connections
come and go, statics change.  Both worlds speak one protocol: ``get_possible``
(what can happen now) and ``happen`` (make it happen, drawing its arguments
through a chooser); the family (:mod:`dialcheck.conformance.harness.family`) says how
an example begins and which happenings it always has.

Hypothesis makes one draw per happening: a 32-bit seed, from which a
:class:`~dialcheck.conformance.harness.world.RandomChooser` decodes the whole of it
(which happening, its arguments, what it draws as it runs) from the values of
:mod:`dialcheck.conformance.harness.world`, the same protocol the explorer draws
through and bounded exhaustive checking enumerates.  ``configure`` decodes
the example's beginning and its happenings: every one but the family's
``always`` is left out of an example with probability 1/2 (swarm testing: an
example without table changes or inbound peers goes deeper into what remains).
One draw per happening keeps the machine near Hypothesis's own floor
(``benchmarks/bench_machine.py``); Hypothesis does not shrink these draws (its
shrink phase is off), the minimizer shrinks the trace
(:mod:`dialcheck.conformance.harness.minimize`).  ``docs/teeth.md`` has the
measurements behind both choices.

Every call into the implementation (and the reference beside it, at
``strict`` level) is a step of its session, which judges it.  The first
problem raises :class:`~dialcheck.conformance.harness.session.Nonconformance`,
carrying the trace of the example, so the counterexample can be minimized,
printed and saved.

Choices depend only on the world's own bookkeeping (the tasks outstanding,
in a canonical order, its peers, its clock), never on asking the
implementation, and never on the order of the tasks within one answer.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Optional

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from dialcheck.conformance.harness.family import family_of
from dialcheck.conformance.harness.session import Level, Nonconformance
from dialcheck.conformance.harness.world import RandomChooser
from dialcheck.conformance.oracle.invariants import Situation
from dialcheck.spec.verdicts import ImplementationFault, Verdict

__all__ = ["RunAborted", "RunContext", "Machine"]


@dataclass
class RunContext:
    """What one ``dialcheck run`` shares across examples: the subject and the counters (of either family)."""

    factory: Any
    profile: Any
    level: Level
    origin: str = "the factory"
    examples: int = 0
    steps: int = 0
    situations: Counter[Situation] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    #: Seconds from the start of the run to the first failure seen, before shrinking, and examples run by then.
    first_failure: Optional[float] = None
    first_failure_examples: Optional[int] = None
    #: Tasks executed (the optional capability, AD-5), and whether an implementation lacked it.
    executions: int = 0
    without_execution: bool = False
    #: Checks that note instead of failing (waivers), how often each failed, and its first trace.
    waived: frozenset[Verdict] = frozenset()
    waived_hits: Counter[Verdict] = field(default_factory=Counter)
    waived_traces: dict[Verdict, Any] = field(default_factory=dict)
    #: The first failure seen, as it was seen: kept to explain a run that ends nondeterministic.
    first_seen: Optional[ImplementationFault] = None

    def on_waived(self, check: Verdict, trace: Any) -> None:
        """Count one waived failure; keep the first trace that shows it."""
        self.waived_hits[check] += 1
        self.waived_traces.setdefault(check, trace)


class RunAborted(BaseException):
    """A failure after which no further example can be tried (the implementation hung).

    It derives from ``BaseException`` so that Hypothesis lets it through at once
    instead of shrinking: every shrink attempt would wait out the timeout again.
    """

    def __init__(self, failure: Nonconformance[Any]) -> None:
        super().__init__(str(failure))
        self.failure = failure


@contextmanager
def _judging(run: RunContext) -> Iterator[None]:
    """Note the first failure of either family and its time; one after which no example can follow aborts the run."""
    try:
        yield
    except Nonconformance as failure:
        if run.first_failure is None:
            run.first_failure = time.monotonic() - run.started
            run.first_failure_examples = run.examples
            run.first_seen = failure
        if failure.failure.aborts_run:
            raise RunAborted(failure) from None
        raise


#: What one Hypothesis draw per event is: a seed for the chooser that decodes the whole event.
#: Drawn as four bytes, not an integer: Hypothesis (from 6.16x) mixes integer literals of the code
#: under test into integer draws, which would make many events decode from the same few seeds.
_SEEDS = st.binary(min_size=4, max_size=4).map(lambda raw: int.from_bytes(raw, "big"))


class Machine(RuleBasedStateMachine):
    """geth's server loop and network around one implementation of either family (and the reference, when strict).

    A choice among static nodes is the implementation's own; the world follows whatever it started
    (SC-CHOICE-2).
    """

    def __init__(self, run: RunContext) -> None:
        super().__init__()
        self.run = run
        self.family = family_of(run.profile)
        run.examples += 1
        self._world: Optional[Any] = None
        self._happenings = self.family.happenings

    @property
    def world(self) -> Any:
        """Return the world ``configure`` made."""
        assert self._world is not None
        return self._world

    def _judged(self) -> AbstractContextManager[None]:
        """Note the first failure's time; a failure after which no example can follow aborts the run."""
        return _judging(self.run)

    @initialize(seed=_SEEDS)
    def configure(self, seed: int) -> None:
        """Draw how the example begins and its happenings; make the session and the world around it."""
        chooser = RandomChooser(random.Random(seed))
        family = self.family
        setup = family.draw_setup(chooser)
        self._happenings = tuple(h for h in family.happenings if h in family.always or chooser.coin())
        run = self.run
        description = f"Found by dialcheck run ({run.level.value}) against {run.origin}."
        with self._judged():
            try:
                session = family.session_type.create(
                    run.factory,
                    setup.config,
                    run.profile,
                    origin=run.origin,
                    level=run.level,
                    description=description,
                    waived=run.waived,
                    on_waived=run.on_waived,
                )
                self._world = setup.begin(session)
            except Nonconformance:
                run.steps += 1
                raise
        if not session.executes:
            run.without_execution = True

    @rule(seed=_SEEDS)
    def step(self, seed: int) -> None:
        """Make one of the example's happenings that can happen now happen, every choice decoded from ``seed``."""
        chooser = RandomChooser(random.Random(seed))
        world = self.world
        possible = [h for h in world.get_possible() if h in self._happenings]
        with self._judged():
            world.happen(chooser.choice(possible), chooser)

    def teardown(self) -> None:
        """Add this example's calls, executions and situations to the run's counters."""
        if self._world is not None:
            session = self._world.session
            self.run.steps += session.calls
            self.run.executions += session.executions
            self.run.situations.update(session.situations)
