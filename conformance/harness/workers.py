"""Worker processes for ``--jobs N``: each with its own implementation, asked in turn, answering in order.

Theory of operation
-------------------
:class:`Workers` forks N processes.  Each makes its own implementation with
the *opener* (for ``--cmd``, its own wire process, ended when the worker
ends; for ``--impl``, the factory the parent already loaded) and then serves
requests: :meth:`Workers.ask` sends request *i* to worker *i* and returns the
answers in worker order, so a caller that combines them in that order gets
the same result for the same requests whatever the timing.  A worker whose
serve function raises reports the error; the parent raises
:class:`~dialcheck.spec.verdicts.HarnessError` (exit 2).

Processes are forked: the serve function and the opener are inherited, not
pickled; requests and answers are pickled.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Generic, Optional, TypeVar

from dialcheck.spec.verdicts import HarnessError

__all__ = ["FactoryOpener", "Workers", "get_shared_opener"]

Request = TypeVar("Request")
Answer = TypeVar("Answer")

#: Makes the implementation in a worker process: a context manager giving its factory.
FactoryOpener = Callable[[], AbstractContextManager[Any]]


def get_shared_opener(factory: Any) -> FactoryOpener:
    """Return an opener that gives every worker ``factory`` itself (an in-process implementation)."""
    return lambda: contextlib.nullcontext(factory)


def _serve(
    connection: Connection,
    opener: FactoryOpener,
    serve: Callable[[Any, Request], Answer],
) -> None:
    """Answer the requests sent over ``connection`` until ``None`` comes (runs in a worker process)."""
    try:
        with opener() as factory:
            while True:
                request = connection.recv()
                if request is None:
                    break
                connection.send(("ok", serve(factory, request)))
    except Exception as exc:  # said in the parent, as a harness error
        with contextlib.suppress(OSError):
            connection.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()


class Workers(Generic[Request, Answer]):
    """N forked worker processes, each with its own implementation."""

    def __init__(self, count: int, opener: FactoryOpener, serve: Callable[[Any, Request], Answer]) -> None:
        context = multiprocessing.get_context("fork")
        self._connections: list[Connection] = []
        self._processes: list[BaseProcess] = []
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, opener, serve), daemon=True)
            process.start()
            theirs.close()
            self._connections.append(mine)
            self._processes.append(process)

    def __enter__(self) -> Workers[Request, Answer]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ask(self, requests: Sequence[Optional[Request]]) -> list[Optional[Answer]]:
        """Send request i to worker i (``None``: nothing for it) and return the answers in worker order."""
        for connection, request in zip(self._connections, requests, strict=True):
            if request is not None:
                with contextlib.suppress(OSError):  # a worker that ended has said why: read below
                    connection.send(request)
        answers: list[Optional[Answer]] = []
        for connection, request in zip(self._connections, requests, strict=True):
            if request is None:
                answers.append(None)
                continue
            try:
                status, payload = connection.recv()
            except (EOFError, OSError):
                raise HarnessError("a worker process ended without an answer") from None
            if status != "ok":
                raise HarnessError(f"a worker process failed: {payload}")
            answers.append(payload)
        return answers

    def close(self) -> None:
        """Tell every worker to end, and wait for it."""
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.send(None)
        for process in self._processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        for connection in self._connections:
            connection.close()
