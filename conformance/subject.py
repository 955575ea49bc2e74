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
from typing import Optional

from dialcheck.conformance.loader import load_factory
from dialcheck.conformance.process import WireFault
from dialcheck.conformance.wire_adapter import WireSession
from dialcheck.spec.contract import DialstateFactory
from dialcheck.spec.model import Profile
from dialcheck.spec.verdicts import BadInput

__all__ = ["Subject", "open_subject"]


@dataclass
class Subject:
    """How to make the implementation, and how to name it (``origin``; ``selector`` on a command line)."""

    factory: DialstateFactory
    origin: str
    selector: str
    session: Optional[WireSession] = None

    def close(self) -> Optional[WireFault]:
        """End a --cmd process with bye; return what it did wrong on the way out, if anything."""
        return None if self.session is None else self.session.close()


@contextlib.contextmanager
def open_subject(
    impl: str, cmd: Optional[str], timeout: float, profiles: Sequence[Profile], where: str
) -> Iterator[Subject]:
    """Load ``impl``, or start ``cmd`` and check that it serves ``profiles``; always end the process.

    ``where`` names the command in messages (``dialcheck run``); every problem is ``BadInput``.
    """
    if cmd is None:
        yield Subject(load_factory(impl), impl, f"--impl {impl}")
        return
    try:
        session = WireSession(cmd, timeout)
    except ValueError as exc:
        raise BadInput(f"{where}: {exc}") from None
    where = f"{where} --cmd {cmd!r}"
    try:
        try:
            hello = session.start()
        except WireFault as fault:
            raise BadInput(
                f"{where}: the implementation could not be started and greeted ({fault.verdict}): {fault.message}"
            ) from None
        # WIRE-2: "The first request is `hello`. dialcheck MUST refuse before running (exit 2) a command that cannot be
        # started, does not answer `hello` with protocol 1, or does not list the requested profile".
        missing = [p.value for p in profiles if p.value not in hello.profiles]
        if missing:
            raise BadInput(
                f"{where}: {hello.name} {hello.version} does not serve profile {', '.join(missing)} (its hello "
                f"lists {', '.join(hello.profiles) or 'none'}); choose one of those with --profile"
            )
        yield Subject(session.create, cmd, f"--cmd {shlex.quote(cmd)}", session)
    finally:
        session.kill()
