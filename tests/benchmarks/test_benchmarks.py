"""The benchmark runs, and its assumption holds: a prepared history call changes no state."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from dialcheck.conformance.harness.family import DIALSTATE, get_profile
from dialcheck.conformance.runs.exhaustive import get_presets

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_new_tasks.py"


def _load(name: str = "bench_new_tasks") -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH.parent / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_measures_every_dimension_and_prints_growth() -> None:
    bench = _load()
    results = bench.run(sizes=(10, 20), calls=2)
    assert set(results) == set(bench.DIMENSIONS)
    table = bench.format_table(results, sizes=(10, 20))
    assert "history entries" in table and table.count("x\n") + table.endswith("x") >= len(results)


def test_a_prepared_history_call_refuses_every_candidate_and_changes_nothing_DS_HIST_4() -> None:
    bench = _load()
    for prepare in (bench.prepare_history, bench.prepare_scanning_history):
        ds, peers = prepare(50)
        before = copy.deepcopy(ds.__dict__)
        assert ds.new_tasks(1, peers, bench.NOW, bench._TABLE) == []
        after = ds.__dict__
        assert len(after["hist"]) == len(before["hist"]) == 50
        assert after["dialing"] == before["dialing"] and after["lookup_buf"] == before["lookup_buf"]


def test_the_verdict_benchmark_reads_the_go_bugs_and_times_both_searches() -> None:
    bench = _load("bench_verdicts")
    go = bench.get_go_bugs("./dialstate")
    assert len(go) >= 12 and go[0].cmd == f"./dialstate -bug {go[0].name}"
    assert {b.profile.value for b in go} == {"geth-1.7", "geth-1.8"}
    [bug] = bench.get_zoo_bugs(["dials_self"])
    before, random, exhaustive = bench.time_random(bug, 1, 0), bench.time_random(bug), bench.time_exhaustive(bug)
    assert before.killed and before.found_by == "random" and before.examples is not None and before.examples >= 1
    assert random.killed and random.found_by == "exhaustive" and random.examples == 0 and exhaustive.killed
    assert [name for name, _ in bench.get_searches(2, False, True)][-1] == "default run, --jobs 2"
    line = bench.summarize("zoo", [random, exhaustive])
    assert line.startswith("zoo: 2 of 2 killed; time to verdict median") and "examples to it median" in line
    survived = bench.Timing("x", False, 1.0, None, None, None)
    assert bench.summarize("zoo", [survived]).endswith("survived: x")


def test_the_exhaustive_benchmark_prints_growth_per_depth_and_the_jobs_ratio() -> None:
    bench = _load("bench_exhaustive")
    rows = bench.grow(2)
    scopes = sum(len(preset.scopes) for preset in get_presets(DIALSTATE).values())
    assert rows[0].split()[:3] == ["scope", "depth", "new"] and len(rows) == 1 + 2 * scopes  # two depths each
    assert "--jobs 1" in bench.time_jobs("reference", None, "zoo/lookups")


@pytest.mark.once
@pytest.mark.parametrize("profile", ["geth-1.8", "geth-1.17.2"])
def test_the_machine_and_exhaustive_benchmarks_take_a_profile_of_either_family(profile: str) -> None:
    machine = _load("bench_machine")
    results = machine.run(2, 5, None, get_profile(profile))
    assert {name for name, (count, _) in results.items() if count > 0} == {
        machine.FLOOR,
        machine.IN_PROCESS,
        machine.WIRE,
    }
    exhaustive = _load("bench_exhaustive")
    rows = exhaustive.grow(1, get_profile(profile))
    assert len(rows) > 1 and all(row.split()[1] == "1" for row in rows[1:])
    assert "--jobs 2" in exhaustive.time_jobs("reference", None, "tiny", get_profile(profile))


def test_the_startup_benchmark_times_serve_against_a_bare_interpreter(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load("bench_startup")
    assert bench.main(["--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "dialcheck serve (empty input):" in out and "ratio:" in out


@pytest.mark.once
def test_the_engines_benchmark_times_one_workload_on_every_engine_and_checks_they_agree() -> None:
    bench = _load("bench_engines")
    workers = _load_workers()
    label, work = bench.get_run("reference", get_profile("geth-1.7"), 100)
    lines = bench.time_engines([(label, work)], [("one", workers.LocalEngine(1)), ("two", workers.LocalEngine(2))])
    assert len(lines) == 2 and lines[0].endswith("(1.00x)") and "two:" in lines[1]

    def disagrees(engine: object) -> str:
        return str(id(engine))

    with pytest.raises(AssertionError, match="the engines disagree"):
        bench.time_engines([("x", disagrees)], [("one", workers.InlineEngine()), ("two", workers.LocalEngine(2))])


def _load_workers() -> ModuleType:
    from dialcheck.conformance.harness import workers

    return workers
