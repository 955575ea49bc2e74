"""Where the work of a run goes: an engine, any ``concurrent.futures.Executor``, and the pool over it.

Theory of operation
-------------------
A :class:`Job` is what every request of one command needs: how a worker makes
its own implementation (the *opener*: for ``--impl``, the factory itself; for
``--cmd``, the program started and greeted) and the function that serves one
request with it.  An :class:`Engine` opens a :class:`Pool` for a job; the pool
sends requests to the engine's executor and gives the answers back **in the
order of the requests**, whatever order they finish in, so a caller that stops
at the first answer that fails gets the same result for the same requests on
every engine and with every number of workers.

Every request is served by :func:`perform`: the implementation is opened, the
request served, the implementation closed (a ``--cmd`` program is started on
the worker that runs the request, and ended there).  Requests and answers are
pickled; the engines differ in how the job reaches the worker:

* :class:`InlineEngine` (``--jobs 1``): here, one request after another;
* :class:`LocalEngine` (``--jobs N``): a ``ProcessPoolExecutor`` of forked
  processes that inherit the job (an in-process factory need not be picklable);
* :class:`ExecutorEngine`: any other executor, the job pickled with each
  request; :func:`open_engine` makes one over a Dask cluster
  (``dask.distributed``, the optional extra ``dialcheck[dask]``) when a
  scheduler address is given (``--dask ADDRESS`` or ``DIALCHECK_DASK_SCHEDULER``).

A request that raises in a worker is a :class:`~dialcheck.spec.verdicts.HarnessError`
here (exit 2), with the worker's error.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, Optional, TypeVar

from dialcheck.spec.verdicts import BadInput, HarnessError

__all__ = [
    "DASK_ENV",
    "Engine",
    "ExecutorEngine",
    "FactoryOpener",
    "InlineEngine",
    "Job",
    "LocalEngine",
    "Pool",
    "SharedOpener",
    "get_dask_address",
    "get_engine",
    "open_engine",
    "perform",
]

Request = TypeVar("Request")
Answer = TypeVar("Answer")

#: Makes the implementation in a worker: a context manager giving its factory.
FactoryOpener = Callable[[], AbstractContextManager[Any]]

#: The environment variable naming the Dask scheduler a command sends its work to (as ``--dask`` does).
DASK_ENV = "DIALCHECK_DASK_SCHEDULER"


@dataclass(frozen=True)
class SharedOpener:
    """Gives every worker ``factory`` itself (an in-process implementation; pickled by reference when it must be)."""

    factory: Any

    def __call__(self) -> AbstractContextManager[Any]:
        """Return a context giving the factory."""
        return contextlib.nullcontext(self.factory)


@dataclass(frozen=True)
class Job(Generic[Request, Answer]):
    """How a worker makes its implementation, and how it serves one request with it."""

    opener: FactoryOpener
    serve: Callable[[Any, Request], Answer]


def perform(job: Job[Request, Answer], request: Request) -> Answer:
    """Serve one request in this process: open the implementation, serve, close it."""
    with job.opener() as factory:
        return job.serve(factory, request)


#: The job a forked worker of :class:`LocalEngine` inherited (set by its initializer, in the worker).
_inherited: list[Job[Any, Any]] = []


def _inherit(job: Job[Any, Any]) -> None:
    _inherited[:] = [job]


def _perform_inherited(request: Any) -> Any:
    return perform(_inherited[0], request)


class _InlineExecutor(Executor):
    """Runs each call at once, here: the executor of ``--jobs 1``."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


class Pool(Generic[Request, Answer]):
    """Sends a job's requests to an executor, at most ``width`` at a time, and gives the answers in request order."""

    def __init__(self, submit: Callable[[Request], Future[Answer]], width: int) -> None:
        self._submit = submit
        self.width = width

    def map(self, requests: Iterable[Request]) -> Iterator[Answer]:
        """Yield the answer to each request in order; requests still running when the caller stops are cancelled."""
        pending: deque[Future[Answer]] = deque()
        source = iter(requests)
        try:
            for request in source:
                pending.append(self._submit(request))
                if len(pending) >= self.width:
                    yield _get_answer(pending.popleft())
            while pending:
                yield _get_answer(pending.popleft())
        finally:
            for future in pending:
                future.cancel()

    def ask(self, requests: Iterable[Request]) -> list[Answer]:
        """Return the answers to every request, in order."""
        return list(self.map(requests))


def _get_answer(future: Future[Answer]) -> Answer:
    try:
        return future.result()
    except HarnessError:
        raise
    except BadInput as exc:
        raise HarnessError(f"a worker could not open the implementation: {exc}") from None
    except Exception as exc:
        raise HarnessError(f"a worker failed: {type(exc).__name__}: {exc}") from None


class Engine:
    """Where requests run; :meth:`open` gives a pool for one job."""

    #: How many requests run at once.
    width: int = 1

    def open(self, job: Job[Request, Answer]) -> AbstractContextManager[Pool[Request, Answer]]:
        """Return a context giving a pool that serves ``job``'s requests."""
        raise NotImplementedError


class InlineEngine(Engine):
    """Serves every request here, one after another (``--jobs 1``)."""

    @contextlib.contextmanager
    def open(self, job: Job[Request, Answer]) -> Iterator[Pool[Request, Answer]]:
        """Give a pool that serves each request as it is sent."""
        executor = _InlineExecutor()
        yield Pool(lambda request: executor.submit(perform, job, request), 1)


class LocalEngine(Engine):
    """A pool of ``jobs`` forked worker processes per job (``--jobs N``); the job is inherited, not pickled."""

    def __init__(self, jobs: int) -> None:
        self.width = jobs

    @contextlib.contextmanager
    def open(self, job: Job[Request, Answer]) -> Iterator[Pool[Request, Answer]]:
        """Fork the workers with ``job``; end them when the pool is done."""
        context = multiprocessing.get_context("fork")
        executor = ProcessPoolExecutor(self.width, mp_context=context, initializer=_inherit, initargs=(job,))
        try:
            yield Pool(lambda request: executor.submit(_perform_inherited, request), self.width)
        finally:
            executor.shutdown(wait=True, cancel_futures=True)


class ExecutorEngine(Engine):
    """Any ``concurrent.futures.Executor``: the job is pickled with every request (a Dask cluster's executor)."""

    def __init__(self, executor: Executor, width: int) -> None:
        self.executor = executor
        self.width = max(1, width)

    @contextlib.contextmanager
    def open(self, job: Job[Request, Answer]) -> Iterator[Pool[Request, Answer]]:
        """Give a pool over the executor (left open: its owner ends it)."""
        yield Pool(lambda request: self.executor.submit(perform, job, request), self.width)


def get_engine(engine: Optional[Engine], jobs: int) -> Engine:
    """Return ``engine``, or the local one ``jobs`` asks for: here for 1, else that many forked processes."""
    if engine is not None:
        return engine
    return InlineEngine() if jobs <= 1 else LocalEngine(jobs)


def get_dask_address(flag: Optional[str]) -> Optional[str]:
    """Return the Dask scheduler to use: ``--dask`` if given, else ``DIALCHECK_DASK_SCHEDULER``, else none."""
    return flag or os.environ.get(DASK_ENV) or None


@contextlib.contextmanager
def open_engine(jobs: int = 1, dask: Optional[str] = None, where: str = "dialcheck") -> Iterator[Engine]:
    """Give the engine a command asked for: a Dask cluster at ``dask``, else ``jobs`` local processes, else here."""
    if dask is None:
        yield get_engine(None, jobs)
        return
    try:
        distributed: Any = importlib.import_module("distributed")  # the optional extra dialcheck[dask]
    except ImportError:
        raise BadInput(
            f"{where}: --dask {dask} needs dask.distributed, which is not installed; "
            "install it with pip install 'dialcheck[dask]'"
        ) from None
    try:
        client = distributed.Client(dask, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise BadInput(f"{where}: cannot reach the Dask scheduler at {dask}: {exc}") from None
    with client:
        workers = client.scheduler_info().get("workers", {})
        threads = sum(int(worker.get("nthreads", 1)) for worker in workers.values())
        width = threads if jobs <= 1 else jobs
        yield ExecutorEngine(client.get_executor(pure=False), width)
