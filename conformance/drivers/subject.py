"""The implementation a command judges: ``--impl MODULE:FACTORY`` loaded, or ``--cmd`` started and greeted.

Both the ``dialcheck`` command and the pytest plugin open their subject here, for
either model family, so that a wire program is started, checked for the profiles
asked for (WIRE-2) and always ended the same way.  The reference's ``--impl``
spelling (the default) stands for the reference of the family asked for.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from dialcheck.conformance.drivers.process import WireFault
from dialcheck.conformance.drivers.wire_adapter import WireSession
from dialcheck.conformance.formats.wire import EXTENSION_EXECUTE, Hello
from dialcheck.conformance.harness.family import DIALSTATE, FAMILIES, AnyProfile, Family, family_of
from dialcheck.conformance.harness.ids import resize_factory
from dialcheck.conformance.harness.loader import REFERENCE_SPEC, ImplementationError, load_factory
from dialcheck.conformance.harness.replay import Capabilities
from dialcheck.conformance.oracle.execution_checks import supports_execution
from dialcheck.spec.verdicts import BadInput

__all__ = ["Subject", "open_subject"]


def _probe(family: Family, factory: Any, spec: str) -> tuple[Optional[str], bool]:
    """Make one implementation to see what ``factory`` makes: why it is not of ``family`` (or ``None``), and
    whether it has the execute capability (AD-5; a family whose answers carry their actions always executes).

    A factory that raises makes no implementation of ``family`` when it makes one of another family;
    otherwise its failure is a verdict at the first trace or example, not here.
    """
    try:
        probe = factory(family.sample_config, family.profiles[0])
    except Exception as exc:
        other = next((f for f in FAMILIES if f is not family and _makes(f, factory, spec)), None)
        if other is None:
            return None, True
        return (
            f"{spec} makes {other.name.value} implementations (its factory raised {type(exc).__name__} "
            f"when asked for a {family.name.value} one)"
        ), False
    try:
        family.session_type.adopt(probe, spec)
    except ImplementationError as exc:
        return str(exc), False
    return None, supports_execution(probe) if family.execution_optional else True


def _makes(family: Family, factory: Any, spec: str) -> bool:
    """Return whether ``factory`` makes an implementation of ``family``."""
    try:
        family.session_type.adopt(factory(family.sample_config, family.profiles[0]), spec)
    except Exception:
        return False
    return True


@dataclass
class Subject:
    """How to make the implementation, how to name it (``origin``; ``selector`` on a command line), what it can do."""

    factory: Any
    origin: str
    selector: str
    capabilities: Capabilities
    session: Optional[WireSession] = None
    family: Family = DIALSTATE

    @property
    def id_bytes(self) -> Optional[int]:
        """Return the node ID width the implementation holds, or ``None`` (IDs as given)."""
        return self.capabilities.id_bytes

    def close(self) -> Optional[WireFault]:
        """End a --cmd process with bye; return what it did wrong on the way out, if anything."""
        return None if self.session is None else self.session.close()


def _get_one_family(profiles: Sequence[AnyProfile], where: str) -> Family:
    """Return the one family ``profiles`` belong to (dialstate when none is named); two families are bad input."""
    families = list(dict.fromkeys(family_of(p) for p in profiles))
    if len(families) > 1:
        names = ", ".join(p.value for p in profiles)
        raise BadInput(f"{where}: profiles {names} are of two model families; name profiles of one family at a time")
    return families[0] if families else DIALSTATE


def _greet(session: WireSession, where: str, profiles: Sequence[str]) -> Hello:
    """Start the program and say hello; refuse (``BadInput``) one that cannot, or lacks a profile asked for."""
    try:
        hello = session.start()
    except WireFault as fault:
        raise BadInput(
            f"{where}: the implementation could not be started and greeted ({fault.verdict}): {fault.message}"
        ) from None
    # WIRE-2: "The first request is `hello`. dialcheck MUST refuse before running (exit 2) a command that cannot be
    # started, does not answer `hello` with protocol 1, or does not list the requested profile".
    missing = [p for p in profiles if p not in hello.profiles]
    if missing:
        listed = ", ".join(hello.profiles) or "none"
        raise BadInput(
            f"{where}: {hello.name} {hello.version} does not serve profile {', '.join(missing)} (its hello "
            f"lists {listed}); choose one of those with --profile"
        )
    return hello


def _check_width(family: Family, id_bytes: Optional[int], where: str, source: str) -> None:
    """Refuse a width the family's implementations cannot hold (the dialScheduler's IDs are 32 bytes)."""
    if family.id_bytes is not None and id_bytes is not None and id_bytes != family.id_bytes:
        raise BadInput(
            f"{where}: {source} {id_bytes}, but the {family.name.value} family's node IDs are geth's "
            f"{family.id_bytes}-byte enode.ID in every release it covers; drop it or say {family.id_bytes}"
        )


def _fits(family: Family, id_bytes: Optional[int]) -> bool:
    """Return whether an implementation holding ``id_bytes``-byte IDs can serve ``family``."""
    return family.id_bytes is None or id_bytes in (None, family.id_bytes)


@contextlib.contextmanager
def open_subject(
    impl: str,
    cmd: Optional[str],
    timeout: float,
    profiles: Sequence[AnyProfile],
    where: str,
    id_bytes: Optional[int] = None,
    family: Optional[Family] = None,
) -> Iterator[Subject]:
    """Load ``impl``, or start ``cmd`` and check that it serves ``profiles``; always end the process.

    ``family`` is the family of ``profiles`` (given when there are none, as for a replay).
    The subject says what it can do: the profiles of the family it serves, whether it
    executes tasks, and the node ID width it holds (``id_bytes``, or its hello's); its
    factory gives it IDs of that width (ID-1).

    ``where`` names the command in messages (``dialcheck run``); every problem is ``BadInput``.
    """
    family = family if family is not None else _get_one_family(profiles, where)
    if profiles:
        _check_width(family, id_bytes, where, "--id-bytes is")
    if cmd is None:
        yield _load_subject(family, impl, profiles, where, id_bytes)
        return
    try:
        session = WireSession(cmd, timeout)
    except ValueError as exc:
        raise BadInput(f"{where}: {exc}") from None
    try:
        yield _greet_subject(family, session, cmd, profiles, f"{where} --cmd {cmd!r}", id_bytes)
    finally:
        session.kill()


def _width_source(family: Family, id_bytes: Optional[int], said: str) -> str:
    return f"{said} {id_bytes}; the {family.name.value} family holds {family.id_bytes}-byte node IDs"


def _load_subject(
    family: Family, impl: str, profiles: Sequence[AnyProfile], where: str, id_bytes: Optional[int]
) -> Subject:
    """Load ``impl`` (the reference's spelling: the family's reference) and say what it can do."""
    spec = family.reference_spec if impl == REFERENCE_SPEC else impl
    factory = load_factory(spec)
    unfit, executes = _probe(family, factory, spec)
    if unfit is not None and profiles:
        raise BadInput(f"{where}: {unfit} (profile {profiles[0].value} is of the {family.name.value} family)")
    served = family.profiles if unfit is None else ()
    source = "it serves every profile" if unfit is None else unfit
    if not _fits(family, id_bytes):
        served, source = (), _width_source(family, id_bytes, "--id-bytes")
    capabilities = Capabilities(served, executes, source, id_bytes)
    made = resize_factory(factory, id_bytes) if family.id_bytes is None else factory  # a fixed width: as given
    width = "" if id_bytes is None else f" --id-bytes {id_bytes}"
    return Subject(made, spec, f"--impl {spec}{width}", capabilities, None, family)


def _greet_subject(
    family: Family,
    session: WireSession,
    cmd: str,
    profiles: Sequence[AnyProfile],
    where: str,
    id_bytes: Optional[int],
) -> Subject:
    """Start the program and say hello (WIRE-2), and say what it can do from its hello."""
    hello = _greet(session, where, [p.value for p in profiles])
    listed = ", ".join(hello.profiles) or "none"
    if id_bytes is not None and hello.id_bytes is not None and id_bytes != hello.id_bytes:
        raise BadInput(
            f"{where}: --id-bytes {id_bytes} contradicts the implementation's hello, which declares "
            f"id_bytes {hello.id_bytes}; drop --id-bytes (a program's hello decides)"
        )
    chosen = hello.id_bytes if hello.id_bytes is not None else id_bytes
    served = tuple(p for p in family.profiles if p.value in hello.profiles)
    source = f"its hello lists {listed}"
    if not _fits(family, chosen):
        if profiles:
            _check_width(family, chosen, where, "its hello declares id_bytes")
        served, source = (), _width_source(family, chosen, "its hello declares id_bytes")
    execute = EXTENSION_EXECUTE in hello.extensions or not family.execution_optional
    capabilities = Capabilities(served, execute, source, chosen)
    wire_factory = getattr(session, family.wire_factory)
    factory = resize_factory(wire_factory, chosen) if family.id_bytes is None else wire_factory
    width = "" if id_bytes is None else f" --id-bytes {id_bytes}"
    return Subject(factory, cmd, f"--cmd {shlex.quote(cmd)}{width}", capabilities, session, family)
