"""Engines: any ``concurrent.futures.Executor`` runs a job's requests; answers come back in request order.

The slow tests start a two-worker Dask ``LocalCluster`` and hold that ``run``, ``check --exhaustive`` and
``matrix`` write byte-identical JSON reports on it and on ``--jobs 2`` (docs/parallel.md).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from dialcheck.conformance.cli import main
from dialcheck.conformance.harness.workers import (
    DASK_ENV,
    ExecutorEngine,
    InlineEngine,
    Job,
    LocalEngine,
    SharedOpener,
    get_dask_address,
    open_engine,
)
from dialcheck.spec.verdicts import BadInput, HarnessError

MEMBER = "dialcheck.conformance.zoo:dials_self"
SCHED_MEMBER = "dialcheck.conformance.zoo:sched_dials_self"


def _double(factory: object, request: int) -> int:
    return request * 2


def test_answers_come_back_in_request_order_even_when_later_requests_finish_first() -> None:
    finished: list[int] = []
    first_may_finish = threading.Event()

    def serve(factory: object, request: int) -> int:
        if request == 0:
            assert first_may_finish.wait(timeout=30)
        finished.append(request)
        if request == 2:
            first_may_finish.set()
        return request * 10

    with ThreadPoolExecutor(3) as executor, ExecutorEngine(executor, 3).open(Job(SharedOpener(None), serve)) as pool:
        assert pool.ask([0, 1, 2]) == [0, 10, 20]
    assert finished[-1] == 0  # it finished last, and still came first


def test_a_pool_never_has_more_requests_running_than_its_width() -> None:
    running, most = [0], [0]
    lock = threading.Lock()

    def serve(factory: object, request: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        with lock:
            running[0] -= 1
        return request

    with ThreadPoolExecutor(8) as executor, ExecutorEngine(executor, 2).open(Job(SharedOpener(None), serve)) as pool:
        assert pool.ask(range(20)) == list(range(20))
    assert most[0] <= 2


def test_a_local_engine_forks_workers_that_inherit_a_job_that_cannot_be_pickled() -> None:
    unpicklable = threading.Lock()  # in the opener's closure: pickling it would fail

    @contextlib.contextmanager
    def opener() -> Iterator[int]:
        assert unpicklable is not None
        yield 7

    def serve(factory: int, request: int) -> int:
        return factory * request

    with LocalEngine(2).open(Job(opener, serve)) as pool:
        assert pool.ask([1, 2, 3, 4]) == [7, 14, 21, 28]


def test_the_inline_engine_serves_here_with_the_implementation_opened_for_each_request() -> None:
    opened: list[int] = []

    @contextlib.contextmanager
    def opener() -> Iterator[int]:
        opened.append(1)
        yield 3

    def serve(factory: int, request: int) -> int:
        return factory + request

    with InlineEngine().open(Job(opener, serve)) as pool:
        assert pool.ask([1, 2]) == [4, 5]
    assert len(opened) == 2


def test_a_request_that_raises_in_a_worker_is_a_harness_error_naming_it() -> None:
    def serve(factory: object, request: int) -> int:
        raise RuntimeError(f"request {request} broke")

    for engine in (InlineEngine(), LocalEngine(2)):
        with engine.open(Job(SharedOpener(None), serve)) as pool, pytest.raises(HarnessError, match="request 0 broke"):
            pool.ask([0, 1])


def test_an_implementation_a_worker_cannot_open_is_a_harness_error() -> None:
    def opener() -> Any:
        raise BadInput("cannot start ./missing")

    with InlineEngine().open(Job(opener, _double)) as pool:
        with pytest.raises(HarnessError, match="could not open the implementation: cannot start ./missing"):
            pool.ask([1])


def test_the_dask_scheduler_comes_from_the_flag_else_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DASK_ENV, raising=False)
    assert get_dask_address(None) is None
    monkeypatch.setenv(DASK_ENV, "tcp://10.0.0.9:8786")
    assert get_dask_address(None) == "tcp://10.0.0.9:8786"
    assert get_dask_address("tcp://127.0.0.1:8786") == "tcp://127.0.0.1:8786"


def test_no_dask_address_gives_a_local_engine_of_the_jobs_asked_for() -> None:
    with open_engine(1) as one, open_engine(3) as three:
        assert isinstance(one, InlineEngine) and isinstance(three, LocalEngine) and three.width == 3


def test_a_dask_address_without_dask_installed_is_bad_input_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.import_module

    def without_distributed(name: str, *args: Any) -> Any:
        if name == "distributed":
            raise ImportError("No module named 'distributed'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_distributed)
    assert main(["run", "--dask", "tcp://127.0.0.1:8786", "--examples", "10"]) == 2
    err = capsys.readouterr().err
    assert "needs dask.distributed, which is not installed" in err and "pip install 'dialcheck[dask]'" in err
    monkeypatch.setenv(DASK_ENV, "tcp://127.0.0.1:8786")
    assert main(["check", "--exhaustive", "--preset", "zoo/lookups"]) == 2
    assert "--dask tcp://127.0.0.1:8786 needs dask.distributed" in capsys.readouterr().err


def _run_json(tmp_path: Path, name: str, *args: str) -> bytes:
    path = tmp_path / f"{name}.json"
    common = ["--hypothesis-profile", "ci", "--save-failures", str(tmp_path / "failures"), "--no-timings"]
    assert main(["run", *args, *common, "--json", str(path)]) in (0, 1)
    return path.read_bytes()


def test_no_timings_leaves_every_wall_clock_figure_out_of_the_json_report(tmp_path: Path) -> None:
    document = json.loads(_run_json(tmp_path, "r", "--impl", MEMBER, "--examples", "100"))
    text = json.dumps(document)
    assert '"seconds' not in text and document["found_by"] == "exhaustive"
    assert document["opening"]["scopes"][0]["name"].startswith("opening/")


def test_a_random_run_reports_the_same_json_on_two_and_on_three_local_workers(tmp_path: Path) -> None:
    args = ["--impl", MEMBER, "--examples", "400", "--steps", "30", "--opening", "0"]
    two = _run_json(tmp_path, "two", *args, "--jobs", "2")
    three = _run_json(tmp_path, "three", *args, "--jobs", "3")
    assert two == three and json.loads(two)["found_by"] == "random"


# -- a Dask LocalCluster (slow: the optional extra dialcheck[dask]) -----------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local,
        distributed.Client(local),
    ):
        yield str(local.scheduler_address)


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["--impl", MEMBER, "--opening", "0", "--examples", "300", "--steps", "30"],
        ["--impl", SCHED_MEMBER, "--profile", "geth-1.17.2", "--examples", "300", "--steps", "30"],
        ["--examples", "200", "--steps", "20"],
    ],
    ids=["dialstate-random", "scheduler-opening", "reference"],
)
def test_run_writes_the_same_json_on_two_local_workers_and_on_a_two_worker_dask_cluster(
    cluster: str, tmp_path: Path, args: list[str]
) -> None:
    local = _run_json(tmp_path, "local", *args, "--jobs", "2")
    dask = _run_json(tmp_path, "dask", *args, "--dask", cluster)
    assert local == dask


@pytest.mark.slow
def test_check_exhaustive_writes_the_same_json_on_two_local_workers_and_on_a_dask_cluster(
    cluster: str, tmp_path: Path
) -> None:
    outputs: list[bytes] = []
    for engine in (["--jobs", "2"], ["--dask", cluster]):
        path = tmp_path / f"check-{len(outputs)}.json"
        args = ["check", "--exhaustive", "--impl", MEMBER, "--preset", "opening", "--no-timings", "--json", str(path)]
        assert main([*args, "--save-failures", str(tmp_path), *engine]) == 1
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]


@pytest.mark.slow
def test_matrix_writes_the_same_json_on_two_local_workers_and_on_a_dask_cluster(cluster: str, tmp_path: Path) -> None:
    outputs: list[str] = []
    for engine in (["--jobs", "2"], ["--dask", cluster]):
        out = tmp_path / f"matrix-{len(outputs)}"
        args = ["matrix", "--impl", "ref=dialcheck.reference.dialstate:create_dialstate", "--impl", f"bug={MEMBER}"]
        args += ["--profile", "geth-1.7", "--profile", "geth-1.9.11", "--examples", "100", "--steps", "20"]
        assert main([*args, "--hypothesis-profile", "ci", "--no-timings", "--out", str(out), *engine]) == 1
        text = (out / "matrix.json").read_text(encoding="utf-8")
        outputs.append(text.replace(str(out), "OUT"))
    assert outputs[0] == outputs[1]
    assert '"verdict": "not served"' in outputs[0] and '"verdict": "not conformant"' in outputs[0]


@pytest.mark.slow
def test_a_wire_program_is_started_on_the_dask_worker_that_runs_each_chunk(
    cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", "--cmd", "dialcheck serve", "--dask", cluster, "--examples", "200", "--hypothesis-profile", "ci"]
    assert main(args) == 0
    assert "CONFORMANT - dialcheck serve" in capsys.readouterr().out
