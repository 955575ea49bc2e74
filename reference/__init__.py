"""dialcheck's executable reference model of geth's dialstate and its task execution."""

from dialcheck.reference.dialstate import DialError, Dialstate, create_dialstate

__all__ = ["DialError", "Dialstate", "create_dialstate"]
