"""Load an in-process implementation named ``MODULE:FACTORY`` and check it against the contract.

Every problem is an :class:`ImplementationError` whose message says what is
wrong and what to do about it; the command line turns it into exit code 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from typing import Optional, cast

from dialcheck.spec.contract import DialstateFactory
from dialcheck.spec.verdicts import BadInput

__all__ = [
    "ImplementationError",
    "load_factory",
    "get_new_spelling",
    "check_contract",
    "REFERENCE_SPEC",
    "SCHEDULER_REFERENCE_SPEC",
]

#: The ``--impl`` value that names the reference model.
REFERENCE_SPEC = "dialcheck.reference.dialstate:create_dialstate"
#: The ``--impl`` value that names the reference dialScheduler (what ``--impl`` defaults to under its profiles).
SCHEDULER_REFERENCE_SPEC = "dialcheck.reference.scheduler:create_scheduler"


class ImplementationError(BadInput):
    """An implementation cannot be loaded or does not have the contract's shape."""


#: The top-level names dialcheck's packages had before they moved under ``dialcheck.``.
_OLD_PACKAGES = ("spec", "reference", "conformance")


def get_new_spelling(spec: str) -> Optional[str]:
    """Return ``spec`` under the ``dialcheck.`` namespace if it names a module by its old spelling, else ``None``."""
    module_name = spec.partition(":")[0]
    if module_name.partition(".")[0] not in _OLD_PACKAGES:
        return None
    try:
        found = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        found = None
    return None if found is not None else f"dialcheck.{spec}"


def load_factory(spec: str) -> DialstateFactory:
    """Import ``MODULE:FACTORY`` (the current directory is importable) and return the factory.

    An old spelling (``conformance.zoo:dials_self``, from saved reproduce commands) still
    loads, under its new name ``dialcheck.conformance.zoo:dials_self``.
    """
    spec = get_new_spelling(spec) or spec
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ImplementationError(
            f"--impl {spec!r} is not of the form MODULE:FACTORY; name an importable module and a "
            "callable in it, for example --impl mydialer:create (called as create(config, profile))."
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ImplementationError(
            f"--impl {spec!r}: module {module_name!r} cannot be found ({exc}); install it or run "
            "dialcheck from the directory that contains it."
        ) from None
    except Exception as exc:  # the user's module failed while importing
        raise ImplementationError(
            f"--impl {spec!r}: importing module {module_name!r} raised {type(exc).__name__}: {exc}; "
            "fix the module so that it imports cleanly."
        ) from None
    obj: object = module
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise ImplementationError(
                f"--impl {spec!r}: module {module_name!r} has no attribute {attribute!r}; name the "
                "factory function or class defined in it."
            )
        obj = getattr(obj, part)
    if not callable(obj):
        raise ImplementationError(
            f"--impl {spec!r}: {attribute!r} is a {type(obj).__name__}, not callable; name a "
            "factory called as factory(config, profile) that returns a dialstate."
        )
    return cast(DialstateFactory, obj)


def check_contract(instance: object, origin: str, methods: Sequence[str], contract: str) -> object:
    """Return ``instance`` if it has every method of ``contract`` (``methods``), else raise ``ImplementationError``."""
    missing = [name for name in methods if not callable(getattr(instance, name, None))]
    if missing:
        raise ImplementationError(
            f"{origin} returned a {type(instance).__name__} without the method(s) {', '.join(missing)}; "
            f"the factory must return an object with {', '.join(methods)} (see {contract})."
        )
    return instance
