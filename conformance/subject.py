"""The implementation a command judges: ``--impl MODULE:FACTORY`` loaded, or ``--cmd`` started and greeted.

Both the ``dialcheck`` command and the pytest plugin open their subject here, so
that a wire program is started, checked for the profiles asked for (WIRE-2)
and always ended the same way.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Optional, cast

from dialcheck.conformance.execution_checks import supports_execution
from dialcheck.conformance.ids import resize_factory
from dialcheck.conformance.loader import REFERENCE_SPEC, SCHEDULER_REFERENCE_SPEC, load_factory
from dialcheck.conformance.process import WireFault
from dialcheck.conformance.replay import Capabilities
from dialcheck.conformance.wire import EXTENSION_EXECUTE, Hello
from dialcheck.conformance.wire_adapter import WireSession
from dialcheck.spec.contract import DialstateFactory, SchedulerFactory
from dialcheck.spec.model import Config, Profile
from dialcheck.spec.scheduler import SchedulerProfile
from dialcheck.spec.verdicts import BadInput

__all__ = ["Subject", "open_subject", "SchedulerSubject", "open_scheduler_subject"]


def _can_execute(factory: DialstateFactory) -> bool:
    """Return whether the implementations ``factory`` makes have the execute capability (AD-5), by making one."""
    try:
        probe = factory(Config(self_id="00", max_dyn_dials=0), Profile.GETH_1_7)
    except Exception:  # the factory's failure is a verdict at the first trace or example, not here
        return True
    return supports_execution(probe)


@dataclass
class Subject:
    """How to make the implementation, how to name it (``origin``; ``selector`` on a command line), what it can do."""

    factory: DialstateFactory
    origin: str
    selector: str
    capabilities: Capabilities
    session: Optional[WireSession] = None

    @property
    def id_bytes(self) -> Optional[int]:
        """Return the node ID width the implementation holds, or ``None`` (IDs as given)."""
        return self.capabilities.id_bytes

    def close(self) -> Optional[WireFault]:
        """End a --cmd process with bye; return what it did wrong on the way out, if anything."""
        return None if self.session is None else self.session.close()


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


@contextlib.contextmanager
def open_subject(
    impl: str,
    cmd: Optional[str],
    timeout: float,
    profiles: Sequence[Profile],
    where: str,
    id_bytes: Optional[int] = None,
) -> Iterator[Subject]:
    """Load ``impl``, or start ``cmd`` and check that it serves ``profiles``; always end the process.

    The subject says what it can do: the profiles it serves, whether it executes tasks, and
    the node ID width it holds (``id_bytes``, or its hello's); its factory gives it IDs of
    that width (ID-1).

    ``where`` names the command in messages (``dialcheck run``); every problem is ``BadInput``.
    """
    width = "" if id_bytes is None else f" --id-bytes {id_bytes}"
    if cmd is None:
        factory = load_factory(impl)
        capabilities = Capabilities(tuple(Profile), _can_execute(factory), id_bytes=id_bytes)
        yield Subject(resize_factory(factory, id_bytes), impl, f"--impl {impl}{width}", capabilities)
        return
    try:
        session = WireSession(cmd, timeout)
    except ValueError as exc:
        raise BadInput(f"{where}: {exc}") from None
    where = f"{where} --cmd {cmd!r}"
    try:
        hello = _greet(session, where, [p.value for p in profiles])
        listed = ", ".join(hello.profiles) or "none"
        if id_bytes is not None and hello.id_bytes is not None and id_bytes != hello.id_bytes:
            raise BadInput(
                f"{where}: --id-bytes {id_bytes} contradicts the implementation's hello, which declares "
                f"id_bytes {hello.id_bytes}; drop --id-bytes (a program's hello decides)"
            )
        chosen = hello.id_bytes if hello.id_bytes is not None else id_bytes
        served = tuple(p for p in Profile if p.value in hello.profiles)
        execute = EXTENSION_EXECUTE in hello.extensions
        capabilities = Capabilities(served, execute, f"its hello lists {listed}", chosen)
        factory = resize_factory(session.create, chosen)
        yield Subject(factory, cmd, f"--cmd {shlex.quote(cmd)}{width}", capabilities, session)
    finally:
        session.kill()


@dataclass
class SchedulerSubject:
    """A dialScheduler implementation: how to make it and how to name it."""

    factory: SchedulerFactory
    origin: str
    selector: str
    #: The scheduler profiles it serves (``--impl``: all of them).
    served: tuple[SchedulerProfile, ...] = tuple(SchedulerProfile)
    session: Optional[WireSession] = None

    def close(self) -> Optional[WireFault]:
        """End a --cmd process with bye; return what it did wrong on the way out, if anything."""
        return None if self.session is None else self.session.close()


@contextlib.contextmanager
def open_scheduler_subject(
    impl: str, cmd: Optional[str], timeout: float, profiles: Sequence[SchedulerProfile], where: str
) -> Iterator[SchedulerSubject]:
    """Load ``impl`` as a scheduler factory, or start ``cmd`` and check that it serves ``profiles``.

    The reference dialstate's ``--impl`` default stands for the reference scheduler here.
    """
    if cmd is None:
        spec = SCHEDULER_REFERENCE_SPEC if impl == REFERENCE_SPEC else impl
        factory = cast(SchedulerFactory, load_factory(spec))
        yield SchedulerSubject(factory, spec, f"--impl {spec}")
        return
    try:
        session = WireSession(cmd, timeout)
    except ValueError as exc:
        raise BadInput(f"{where}: {exc}") from None
    where = f"{where} --cmd {cmd!r}"
    try:
        hello = _greet(session, where, [p.value for p in profiles])
        # The scheduler family's IDs are geth's 32-byte enode.ID: a program holding 64-byte IDs serves none of it.
        served = () if hello.id_bytes == 64 else tuple(p for p in SchedulerProfile if p.value in hello.profiles)
        yield SchedulerSubject(session.create_scheduler, cmd, f"--cmd {shlex.quote(cmd)}", served, session)
    finally:
        session.kill()
