"""Every verdict a run or a replay can give, and the one root of dialcheck's errors.

Theory of operation
-------------------
A verdict names what went wrong with an implementation.  Its value is the name
users see in output, saved file names and JSON reports, and each named check
is a requirement ID of ``spec/dialstate.md``:

==========================  ============================================================
kind                        verdicts
==========================  ============================================================
comparison                  ``STRICT`` (an answer differs from the reference's, AD-2)
contract                    ``IMPLEMENTATION_ERROR`` (it raised, AD-4), ``BAD_ANSWER``
                            (not tasks, AD-4), ``MISSING_TASK`` (a trace step its earlier answers make
                            impossible: a task or dial it never started, a node offered
                            while it does not read; a trace names a task it
                            never returned), ``EXECUTION_UNSUPPORTED`` (AD-5),
                            ``NONDETERMINISTIC`` (WIRE-3)
invariant (section 9)       ``NO_DOUBLE_DIAL`` ... ``KNOWN_CANDIDATE``
execution rule (section 10) ``INCOMPLETE_NEEDS_RESOLVE`` ... ``EX-WAIT-1``
scheduler invariant         ``SC_SLOTS`` ... ``SC_DYN_SOURCE`` (spec/scheduler.md section 12)
wire fault (section 11a)    ``WIRE_CANNOT_START`` ... ``WIRE_LEFT_CHILD``
==========================  ============================================================

Errors form one tree under :class:`DialcheckError`; ``exit_code`` is how the
``dialcheck`` command ends when one reaches it:

* :class:`BadInput` (exit 2): what the user gave cannot be used: a malformed
  trace or wire message (:class:`FormatError`), a wrong command line, an
  ``--impl`` that cannot be loaded;
* :class:`ImplementationFault` (exit 1): the implementation misbehaved; it
  carries the verdict and is reported at the step where it happened;
* :class:`HarnessError` (exit 2): dialcheck itself failed (a bug in the suite).
"""

from __future__ import annotations

import enum

__all__ = [
    "Outcome",
    "Verdict",
    "VerdictKind",
    "DialcheckError",
    "BadInput",
    "FormatError",
    "ImplementationFault",
    "HarnessError",
]


class Outcome(str, enum.Enum):
    """What a run, a check or a matrix cell comes to as a whole; the value is its name in JSON reports.

    A run or check is conformant or not (its :class:`Verdict` says why not); a matrix cell may also
    not have run: the implementation does not serve its profile, or could not be started.
    """

    CONFORMANT = "conformant"
    NOT_CONFORMANT = "not conformant"
    NOT_SERVED = "not served"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def heading(self) -> str:
        """Return the outcome as a verdict line opens with it (``NOT CONFORMANT``)."""
        return self.value.upper()

    @classmethod
    def of(cls, conformant: bool) -> Outcome:
        """Return the outcome of a run or check that was ``conformant`` or not."""
        return cls.CONFORMANT if conformant else cls.NOT_CONFORMANT


class VerdictKind(enum.Enum):
    """Which part of dialcheck gives a verdict."""

    COMPARISON = "comparison with the reference"
    CONTRACT = "the adapter contract"
    INVARIANT = "a named invariant (spec section 9)"
    EXECUTION = "a task execution rule (spec section 10)"
    WIRE = "a wire fault (spec section 11a)"
    SCHEDULER_INVARIANT = "a named invariant of the dialScheduler (spec/scheduler.md section 12)"


class Verdict(str, enum.Enum):
    """A reason an implementation is not conformant; the value is its name in every output."""

    STRICT = "STRICT"
    IMPLEMENTATION_ERROR = "IMPLEMENTATION_ERROR"
    BAD_ANSWER = "BAD_ANSWER"
    MISSING_TASK = "MISSING_TASK"
    EXECUTION_UNSUPPORTED = "EXECUTION_UNSUPPORTED"
    NONDETERMINISTIC = "NONDETERMINISTIC"
    # The named invariants (section 9).
    NO_DOUBLE_DIAL = "NO_DOUBLE_DIAL"
    DYN_BUDGET = "DYN_BUDGET"
    HISTORY_EXPIRY = "HISTORY_EXPIRY"
    BOOTNODE_ROTATION = "BOOTNODE_ROTATION"
    NEVER_SELF = "NEVER_SELF"
    NETRESTRICT = "NETRESTRICT"
    SINGLE_LOOKUP = "SINGLE_LOOKUP"
    WAIT_EXPIRE = "WAIT_EXPIRE"
    RANDOM_HALF = "RANDOM_HALF"
    STATIC_REDIAL = "STATIC_REDIAL"
    KNOWN_CANDIDATE = "KNOWN_CANDIDATE"
    LOOKUP_WANT = "LOOKUP_WANT"
    # The task execution rules (section 10).
    INCOMPLETE_NEEDS_RESOLVE = "INCOMPLETE_NEEDS_RESOLVE"
    STATIC_RETRY = "STATIC_RETRY"
    RESOLVE_THROTTLE = "RESOLVE_THROTTLE"
    RESOLVE_BACKOFF = "RESOLVE_BACKOFF"
    LOOKUP_SPACING = "LOOKUP_SPACING"
    EX_RESOLVE_1 = "EX-RESOLVE-1"
    EX_RESOLVE_4 = "EX-RESOLVE-4"
    EX_WAIT_1 = "EX-WAIT-1"
    EX_ITER_1 = "EX-ITER-1"
    # The dialScheduler's named invariants (spec/scheduler.md section 12).
    SC_SLOTS = "SC_SLOTS"
    SC_NO_DOUBLE_DIAL = "SC_NO_DOUBLE_DIAL"
    SC_NEVER_SELF = "SC_NEVER_SELF"
    SC_NETRESTRICT = "SC_NETRESTRICT"
    SC_HISTORY = "SC_HISTORY"
    SC_STATIC_FIRST = "SC_STATIC_FIRST"
    SC_STATIC_REDIAL = "SC_STATIC_REDIAL"
    SC_ITERATOR_GATE = "SC_ITERATOR_GATE"
    SC_DYN_SOURCE = "SC_DYN_SOURCE"
    # Wire faults (section 11a): how an implementation process misbehaved.
    WIRE_CANNOT_START = "WIRE_CANNOT_START"
    WIRE_EXITED = "WIRE_EXITED"
    WIRE_HUNG = "WIRE_HUNG"
    WIRE_NOT_JSON = "WIRE_NOT_JSON"
    WIRE_BAD_SHAPE = "WIRE_BAD_SHAPE"
    WIRE_REFUSED = "WIRE_REFUSED"
    WIRE_UNSUPPORTED = "WIRE_UNSUPPORTED"
    WIRE_DUPLICATE_HANDLE = "WIRE_DUPLICATE_HANDLE"
    WIRE_UNKNOWN_HANDLE = "WIRE_UNKNOWN_HANDLE"
    WIRE_LEFT_CHILD = "WIRE_LEFT_CHILD"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def kind(self) -> VerdictKind:
        """Return which part of dialcheck gives this verdict."""
        return _KINDS.get(self, VerdictKind.CONTRACT)


_INVARIANTS = (
    "NO_DOUBLE_DIAL DYN_BUDGET HISTORY_EXPIRY BOOTNODE_ROTATION NEVER_SELF NETRESTRICT SINGLE_LOOKUP WAIT_EXPIRE "
    "RANDOM_HALF STATIC_REDIAL KNOWN_CANDIDATE LOOKUP_WANT"
).split()
_EXECUTION_RULES = (
    "INCOMPLETE_NEEDS_RESOLVE STATIC_RETRY RESOLVE_THROTTLE RESOLVE_BACKOFF LOOKUP_SPACING EX-RESOLVE-1 "
    "EX-RESOLVE-4 EX-WAIT-1 EX-ITER-1"
).split()
_KINDS: dict[Verdict, VerdictKind] = {
    Verdict.STRICT: VerdictKind.COMPARISON,
    **{Verdict(name): VerdictKind.INVARIANT for name in _INVARIANTS},
    **{Verdict(name): VerdictKind.EXECUTION for name in _EXECUTION_RULES},
    **{v: VerdictKind.WIRE for v in Verdict if v.value.startswith("WIRE_")},
    **{v: VerdictKind.SCHEDULER_INVARIANT for v in Verdict if v.value.startswith("SC_")},
}


class DialcheckError(Exception):
    """The root of every error dialcheck raises on purpose; ``exit_code`` is how the command ends."""

    exit_code = 2


class BadInput(DialcheckError):
    """What the user gave cannot be used; the message names what and where, and how to fix it."""

    exit_code = 2


class FormatError(BadInput, ValueError):
    """A trace or wire message does not have its format's shape; ``path`` is the JSON path of the offending value."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class ImplementationFault(DialcheckError):
    """The implementation misbehaved during a call; reported as ``verdict`` at the step of the call.

    ``aborts_run`` means no further example can be tried (the implementation hung), so a
    run stops at once without shrinking.
    """

    exit_code = 1

    def __init__(self, verdict: Verdict, message: str, aborts_run: bool = False) -> None:
        super().__init__(message)
        self.verdict = verdict
        self.message = message
        self.aborts_run = aborts_run


class HarnessError(DialcheckError):
    """dialcheck itself failed (a bug in the suite, never the implementation's fault)."""

    exit_code = 2
