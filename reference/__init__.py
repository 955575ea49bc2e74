"""dialcheck's executable reference models: geth's dialstate (with its task execution) and dialScheduler."""

from dialcheck.reference.dialstate import DialError, Dialstate, create_dialstate
from dialcheck.reference.scheduler import Scheduler

__all__ = ["DialError", "Dialstate", "create_dialstate", "Scheduler"]
