"""What ``dialcheck run`` is asked to do, and its defaults: readable without importing Hypothesis."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from dialcheck.conformance.harness.session import Level
from dialcheck.conformance.harness.waivers import Waiver, select_waivers
from dialcheck.conformance.harness.workers import Engine, FactoryOpener
from dialcheck.spec.contract import DialstateFactory, SchedulerFactory
from dialcheck.spec.model import Profile
from dialcheck.spec.scheduler import SchedulerProfile
from dialcheck.spec.verdicts import Verdict

__all__ = [
    "DEFAULT_EXAMPLES",
    "DEFAULT_STEPS",
    "OPENING_STATES",
    "HYPOTHESIS_PROFILES",
    "RunOptions",
    "get_default_hypothesis_profile",
]

DEFAULT_EXAMPLES = 2000
DEFAULT_STEPS = 100
#: The opening exhaustive pass's default budget of states: every scope of either family's opening preset.
OPENING_STATES = 10_000
_THOROUGH_FACTOR = 10
#: The Hypothesis profile names ``--hypothesis-profile`` accepts, without the ``dialcheck-`` prefix
#: (registered by the runner).
HYPOTHESIS_PROFILES = ("ci", "default", "thorough")


def get_default_hypothesis_profile() -> str:
    """Return ``ci`` when the ``CI`` environment variable is set, else ``default``."""
    return "ci" if os.environ.get("CI") else "default"


@dataclass(frozen=True)
class RunOptions:
    """What ``dialcheck run`` was asked to do.

    A scheduler profile (``geth-1.9.11`` on) makes ``factory`` a :class:`SchedulerFactory`;
    a dialstate profile a :class:`DialstateFactory`.
    """

    factory: DialstateFactory | SchedulerFactory
    origin: str
    profile: Profile | SchedulerProfile = Profile.GETH_1_7
    level: Level = Level.STRICT
    examples: Optional[int] = None
    steps: int = DEFAULT_STEPS
    seed: Optional[int] = None
    hypothesis_profile: str = "default"
    database_root: Path = Path(".hypothesis") / "dialcheck"
    save_dir: Path = Path("dialcheck-failures")
    #: Minimize a failure (``conformance/harness/minimize.py``; off: keep the first failing example as found).
    shrink: bool = True
    #: How to name the implementation on dialcheck's command line (default ``--impl ORIGIN``).
    subject: Optional[str] = None
    #: The node ID width the implementation holds (``factory`` already gives it IDs that wide); a
    #: saved counterexample is written at that width (ID-1).
    id_bytes: Optional[int] = None
    #: Expected failures (``conformance/harness/waivers.py``); those of this profile and level apply.
    waivers: tuple[Waiver, ...] = ()
    #: The date waivers expire against (default: today).
    today: Optional[datetime.date] = None
    #: Worker processes (``--jobs``); above 1 the examples run in seeded chunks (``runner.py``).
    jobs: int = 1
    #: Makes the implementation in each worker (default: ``factory`` itself, inherited).
    opener: Optional[FactoryOpener] = None
    #: Where the work goes (default: ``jobs`` local processes, or this process for 1); a Dask cluster's engine.
    engine: Optional[Engine] = None
    #: The opening exhaustive pass's budget of states (0: no opening pass; ``runner.py``).
    opening: int = OPENING_STATES

    def get_waivers(self) -> tuple[Waiver, ...]:
        """Return the waivers that apply to this run's profile and level."""
        return select_waivers(self.waivers, self.profile, self.level)

    def get_waived(self) -> frozenset[Verdict]:
        """Return the checks those waivers name: their failures are noted, not failed."""
        return frozenset(w.check for w in self.get_waivers())

    def get_subject(self) -> str:
        """Return the command-line options that select this implementation, for reproduce hints."""
        return self.subject if self.subject is not None else f"--impl {self.origin}"

    def get_examples(self) -> int:
        """Return the number of examples: as given, or the profile's default."""
        if self.examples is not None:
            return self.examples
        factor = _THOROUGH_FACTOR if self.hypothesis_profile == "thorough" else 1
        return DEFAULT_EXAMPLES * factor
