"""The sweep runner: seeds, outputs, executors, interruption and resume, failures, bad sweep files.

Runs are tiny (150 residents, 12 months) so that the file stays fast; the
process-pool and Dask tests pay mostly for starting their workers.
"""

from __future__ import annotations

import glob
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.experiments.designs import DESIGN_STREAM
from simulation.experiments.sweep import (
    SweepError,
    SweepInterrupted,
    load_design,
    load_sweep,
    point_outputs,
    read_manifest,
    read_series,
    read_summary,
    results_dir,
    run_seed,
    run_sweep,
)
from simulation.experiments.sweep_spec import RUN_COLUMNS

from .conftest import ctrl_c_as_at_a_terminal, stop_process

ROOT = Path(__file__).resolve().parents[1]
SMALL = {
    "description": "test sweep",
    "scenarios": ["shanghai", "guardian"],
    "seeds": 2,
    "steps": 12,
    "seed": 5,
    "fixed": {"n_residents": 150},
    "vary": {"funding": [3.0, 9.0]},
    "output": {"series": True, "thin": 4, "columns": ["stage", "self_governance_index"]},
}
REQUIRED_SUMMARY = {
    "run_id", "configuration", "point", "replicate", "seed", "funding", "status", "error", "final_index",
    "final_stage", "first_dependence", "first_learning", "first_independence", "trust_in_strangers_last_year",
    "total_public_cost", "admin_task_completion_mean",
}  # fmt: skip


def sweep(**changes) -> dict:
    """SMALL with some top-level entries replaced (None removes one)."""
    data = {**SMALL, **changes}
    return {k: v for k, v in data.items() if v is not None}


def run(spec, out, **kwargs):
    return run_sweep(spec, out, executor=kwargs.pop("executor", "inline"), progress=False, **kwargs)


def comparable(summary: pd.DataFrame) -> pd.DataFrame:
    """Everything but the wall time of each run, which is the one column that may differ."""
    return summary.drop(columns="seconds")


class Flaky(mesa.Model):
    """A tiny keyword-style model that raises for x == 0 and, once, kills its process for x == 3."""

    def __init__(self, *, x: float = 1.0, die_file: str = "", rng=None) -> None:
        super().__init__(rng=rng)
        if x == 0:
            raise ValueError("x must not be zero")
        if x == 3 and die_file and os.path.exists(die_file):
            os.remove(die_file)
            os.kill(os.getpid(), signal.SIGKILL)
        self.x, self.value = x, 0.0
        self.datacollector = mesa.DataCollector(model_reporters={"value": "value", "label": lambda m: "fine"})
        self.datacollector.collect(self)

    def step(self) -> None:
        self.value += self.x * self.rng.random()
        self.datacollector.collect(self)


FLAKY = {"model": "tests.test_sweep:Flaky", "seeds": 2, "steps": 5, "seed": 1}


# --- the specification and its seeds ------------------------------------------------------


def test_runs_are_ordered_by_configuration_point_replicate_with_stable_ids_and_derived_seeds():
    spec = load_sweep(SMALL)
    runs = spec.runs()
    assert len(runs) == spec.n_runs == 2 * 2 * 2
    assert [r.run_id for r in runs[:3]] == ["r000000", "r000001", "r000002"]
    assert [(r.configuration, r.point, r.replicate) for r in runs[:4]] == [
        ("shanghai", 0, 0), ("shanghai", 0, 1), ("shanghai", 1, 0), ("shanghai", 1, 1),
    ]  # fmt: skip
    assert runs[2].params == {"n_residents": 150, "scenario": "shanghai", "funding": 9.0}
    assert runs[2].varied == {"funding": 9.0}
    expected = [int(np.random.SeedSequence(5, spawn_key=(i,)).generate_state(1)[0]) for i in range(len(runs))]
    assert [r.seed for r in runs] == expected == [run_seed(5, i) for i in range(len(runs))]
    assert len(set(expected)) == len(expected)  # every replicate its own seed
    assert [r.seed for r in load_sweep(sweep(seed=6)).runs()] != expected
    assert run_seed(5, *DESIGN_STREAM) not in expected


def test_paired_seeding_gives_every_configuration_the_same_draws_at_a_point_and_replicate():
    runs = load_sweep(sweep(seeding="paired")).runs()
    seeds = {(r.configuration, r.point, r.replicate): r.seed for r in runs}
    for point in (0, 1):
        for replicate in (0, 1):
            assert seeds["shanghai", point, replicate] == seeds["guardian", point, replicate]
    assert len(set(seeds.values())) == 2 * 2  # points and replicates still differ
    assert load_sweep(sweep(seeding="paired")).fingerprint != load_sweep(SMALL).fingerprint


def test_a_scoped_factor_varies_its_own_scenario_only():
    spec = load_sweep(sweep(vary={"shanghai.admin_load": [0.3, 0.6], "funding": [3.0, 9.0]}))
    by_config = {(r.configuration, r.point): r for r in spec.runs()}
    shanghai, guardian = by_config["shanghai", 0], by_config["guardian", 0]
    assert shanghai.params["admin_load"] == 0.3 and shanghai.params["funding"] == 3.0
    assert "admin_load" not in guardian.params and guardian.params["funding"] == 3.0
    assert guardian.varied == {"shanghai.admin_load": 0.3, "funding": 3.0}  # the design point, as written


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"seeding": "shared"}, "'seeding' must be one of per_run, paired, got 'shared'"),
        ({"vary": {"atlantis.funding": [1.0]}}, "no configuration uses scenario 'atlantis'; scenarios here: guardian,"),
        ({"vary": {"shanghai.fundng": [1.0]}}, "unknown parameter 'fundng' in [vary] (did you mean 'funding'?)"),
        ({"vary": {"shanghai.admin_load": [2.0]}}, "parameter 'admin_load' = 2.0 is out of range"),
        (
            {"scenarios": None, "configurations": {"low": {"scenario": "shanghai", "admin_load": 0.3}},
             "vary": {"shanghai.admin_load": [0.5]}},
            "parameter 'admin_load' is both in [configurations.low] and [vary]",
        ),
    ],
)  # fmt: skip
def test_a_bad_seeding_or_scoped_factor_is_one_line(changes, message):
    with pytest.raises(SweepError) as err:
        load_sweep(sweep(**changes))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_sweep_writes_summary_series_design_and_manifest(tmp_path):
    result = run(SMALL, tmp_path / "out")
    assert (result.total, result.ok, result.failed, result.skipped, result.remaining) == (8, 8, 0, 0, 0)
    summary = read_summary(tmp_path / "out")
    assert REQUIRED_SUMMARY <= set(summary.columns)
    assert summary["run_id"].tolist() == [f"r{i:06d}" for i in range(8)]
    assert (summary["status"] == "ok").all() and summary["error"].isna().all()
    assert {str(summary[c].dtype) for c in ("first_dependence", "first_learning", "first_independence")} == {"Int64"}
    assert str(summary["error"].dtype) == "string"
    # the directory reads with plain pandas too
    assert len(pd.read_parquet(tmp_path / "out" / "summary")) == 8
    # replicates of one design point differ: each run has its own seed
    replicates = summary.groupby(["configuration", "point"])["trust_in_strangers_last_year"].nunique()
    assert (replicates == 2).all()

    series = read_series(tmp_path / "out")
    assert list(series.columns) == ["run_id", "step", "stage", "self_governance_index"]
    assert series.groupby("run_id")["step"].apply(list).map(tuple).unique().tolist() == [(0, 4, 8, 12)]

    design = pd.read_parquet(tmp_path / "out" / "design.parquet")
    assert design.to_dict("list") == {"point": [0, 1], "funding": [3.0, 9.0]}
    manifest = read_manifest(tmp_path / "out")
    assert manifest["sweep"]["vary"] == {"funding": [3.0, 9.0]}
    assert manifest["package"]["version"] and "git_commit" in manifest["package"]
    assert {"mesa", "numpy", "pandas", "pyarrow"} <= set(manifest["libraries"])
    assert manifest["sessions"][-1]["ran"] == 8


def test_series_keep_the_last_step_when_thinning_skips_it(tmp_path):
    run(sweep(steps=10, scenarios=["guardian"], vary={"funding": [3.0]}, seeds=1), tmp_path / "out")
    assert read_series(tmp_path / "out")["step"].tolist() == [0, 4, 8, 10]


# --- determinism across executors ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A real Dask cluster on loopback: one scheduler process and a worker process running two workers."""
    distributed = pytest.importorskip("distributed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    procs = []
    try:
        for name, args in (
            ("scheduler", ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                           "--no-dashboard"]),
            ("worker", ["distributed.cli.dask_worker", address, "--nworkers", "2", "--nthreads", "1",
                        "--no-dashboard"]),
        ):  # fmt: skip
            log = open(logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
            procs.append((subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=log, stderr=log), log))
        with distributed.Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc, log in reversed(procs):
            stop_process(proc, grace=15)
            log.close()


def test_the_same_sweep_gives_identical_numbers_on_every_executor(tmp_path, dask_cluster):
    from distributed import Client

    spec = load_sweep(SMALL)
    run(spec, tmp_path / "inline", batch_size=3)
    run(spec, tmp_path / "processes", executor="processes", workers=2, batch_size=1)
    dask = run(spec, tmp_path / "dask", executor="dask", scheduler=dask_cluster, batch_size=2)
    assert dask.executor.startswith(f"Dask cluster at {dask_cluster}")
    with Client(dask_cluster) as client:  # any concurrent.futures.Executor works, e.g. a client's executor
        run(spec, tmp_path / "given", executor=client.get_executor(), workers=2)
    reference = comparable(read_summary(tmp_path / "inline"))
    reference_series = read_series(tmp_path / "inline")
    for name in ("processes", "dask", "given"):
        pd.testing.assert_frame_equal(comparable(read_summary(tmp_path / name)), reference)
        pd.testing.assert_frame_equal(read_series(tmp_path / name), reference_series)


def test_tasks_shrink_towards_the_end_so_workers_finish_together(tmp_path):
    saved = []
    result = run(sweep(seeds=10, output=None), tmp_path / "out", on_batch=lambda r: saved.append(r.done))
    sizes = np.diff([0, *saved])  # inline: one task per save
    assert result.complete and sizes.sum() == result.total == 40
    assert sizes[0] == 1  # until a run has shown how long runs take, a task is one run
    assert sizes[1] > 1 and list(sizes[1:]) == sorted(sizes[1:], reverse=True)  # then large, never growing
    assert list(sizes[-4:]) == [1, 1, 1, 1]  # the tail is single runs


def test_tasks_hold_about_task_seconds_of_work_so_an_interruption_loses_little():
    from simulation.experiments.sweep import MAX_BATCH, TASK_SECONDS, auto_batch_size

    assert auto_batch_size(10_000, 2, None) == 1  # nothing measured yet
    assert auto_batch_size(10_000, 2, 0.01) == MAX_BATCH  # quick runs: the cap on runs per task
    assert auto_batch_size(10_000, 2, TASK_SECONDS / 5) == 5  # slow runs: about TASK_SECONDS a task
    assert auto_batch_size(10_000, 2, 10 * TASK_SECONDS) == 1
    assert auto_batch_size(3, 2, 0.01) == 1  # the tail


# --- interruption and resume --------------------------------------------------------------


def test_an_interrupted_sweep_resumes_without_losing_or_repeating_a_run(tmp_path, capsys):
    spec = load_sweep(SMALL)
    calls = []

    def stop_after_two_saves(result):
        calls.append(result.done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as stop:
        run(spec, tmp_path / "out", batch_size=1, on_batch=stop_after_two_saves)
    first = stop.value.result
    assert first.interrupted and 0 < first.saved < 8
    assert f"{first.saved} of 8 runs are saved" in str(stop.value) and "run the same command again" in str(stop.value)
    assert len(read_summary(tmp_path / "out")) == first.saved

    second = run_sweep(spec, tmp_path / "out", executor="inline", progress=None)
    assert second.skipped == first.saved and second.done == 8 - first.saved and second.complete
    assert f"resuming: skipping {first.saved} finished runs" in capsys.readouterr().err

    resumed = read_summary(tmp_path / "out")
    assert resumed["run_id"].is_unique and len(pd.read_parquet(tmp_path / "out" / "summary")) == 8
    run(spec, tmp_path / "straight")
    pd.testing.assert_frame_equal(comparable(resumed), comparable(read_summary(tmp_path / "straight")))
    pd.testing.assert_frame_equal(read_series(tmp_path / "out"), read_series(tmp_path / "straight"))
    assert [s["interrupted"] for s in read_manifest(tmp_path / "out")["sessions"]] == [True, False]

    third = run(spec, tmp_path / "out")
    assert (third.skipped, third.done) == (8, 0)


def test_should_continue_stops_quietly_after_saving_and_the_sweep_resumes(tmp_path):
    """The dashboard's Stop: asked before each task; False ends the sweep without an exception, runs kept."""
    spec = load_sweep(SMALL)
    saved = []
    stopped = run(spec, tmp_path / "out", batch_size=1, on_batch=lambda r: saved.append(r.saved),
                  should_continue=lambda: len(saved) < 3)  # fmt: skip
    assert stopped.stopped and not stopped.interrupted and (stopped.saved, stopped.remaining) == (3, 5)
    assert len(read_summary(tmp_path / "out")) == 3
    assert run(spec, tmp_path / "never", should_continue=lambda: False).saved == 0  # stopped before the first
    rest = run(spec, tmp_path / "out")
    assert (rest.skipped, rest.done, rest.stopped) == (3, 5, False)
    run(spec, tmp_path / "straight")
    pd.testing.assert_frame_equal(comparable(read_summary(tmp_path / "out")),
                                  comparable(read_summary(tmp_path / "straight")))  # fmt: skip


def test_ctrl_c_on_the_command_line_saves_finished_runs_and_exits_130(tmp_path, capsys):
    sweep_file = tmp_path / "s.toml"
    sweep_file.write_text(
        'scenarios = ["shanghai", "guardian"]\nseeds = 8\nsteps = 24\n[fixed]\nn_residents = 200\n'
        "[vary]\nfunding = [3.0, 9.0]\n"
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "simulation", "sweep", str(sweep_file), "--out", str(out), "--batch", "1"]
    proc = subprocess.Popen([*command, "--workers", "2"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=ctrl_c_as_at_a_terminal)  # fmt: skip
    deadline = time.monotonic() + 60
    while not glob.glob(str(out / "summary" / "part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    saved = len(read_summary(out))
    assert err.splitlines()[-1] == (
        f"interrupted: {saved} of 32 runs are saved in {out}; run the same command again to resume"
    )
    assert main([*command[3:], "--executor", "inline"]) == 0  # the same command, in this process to save time
    assert f"resuming: skipping {saved} finished runs; {32 - saved} to run" in capsys.readouterr().err
    summary = read_summary(out)
    assert len(summary) == 32 and summary["run_id"].is_unique


def test_a_killed_worker_loses_no_finished_run_and_the_rerun_completes(tmp_path):
    die = tmp_path / "die-once"
    die.touch()
    spec = load_sweep({**FLAKY, "fixed": {"die_file": str(die)}, "vary": {"x": [1, 2, 3, 4]}})
    first = run(spec, tmp_path / "out", executor="processes", workers=2, batch_size=1)
    assert "worker process died" in first.problem and first.remaining > 0
    assert len(read_summary(tmp_path / "out")) == first.saved
    second = run(spec, tmp_path / "out")
    assert second.skipped == first.saved and second.complete and second.problem is None
    assert read_summary(tmp_path / "out")["run_id"].tolist() == [f"r{i:06d}" for i in range(8)]


# --- failures -------------------------------------------------------------------------------


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path):
    spec = load_sweep({**FLAKY, "vary": {"x": [0, 1, 2]}})
    result = run(spec, tmp_path / "out", batch_size=1)  # the first tasks fail: later parts add columns
    assert (result.ok, result.failed) == (4, 2)
    summary = read_summary(tmp_path / "out")
    failed = summary[summary["status"] == "failed"]
    assert failed["x"].tolist() == [0, 0]
    assert failed["error"].str.startswith("ValueError: x must not be zero (at test_sweep.py:").all()
    assert failed["final_value"].isna().all() and summary.loc[summary["status"] == "ok", "final_value"].notna().all()
    # every part has every column, so plain pandas sees them too (pyarrow reads a directory with one schema)
    assert "final_value" in pd.read_parquet(tmp_path / "out" / "summary").columns

    again = run(spec, tmp_path / "out")
    assert (again.skipped, again.skipped_failed, again.done) == (6, 2, 0)
    retried = run(spec, tmp_path / "out", retry_failed=True)
    assert (retried.skipped, retried.failed) == (4, 2)
    assert read_summary(tmp_path / "out")["run_id"].is_unique and len(read_summary(tmp_path / "out")) == 6


def peak_summary(table: pd.DataFrame) -> dict:
    """A custom summary: the peak, and the first step above 2 (None when never)."""
    above = table.loc[table["value"] > 2, "step"]
    return {"peak": float(table["value"].max()), "first_above_2": int(above.iloc[0]) if len(above) else None}


peak_summary.dtypes = {"first_above_2": "Int64"}  # pinned, though a batch may have no value for it


def declared_summary(table: pd.DataFrame) -> dict:
    return {**peak_summary(table), "extra": 1.0}


declared_summary.outputs = {"peak": "float64", "first_above_2": "Int64"}  # "extra" is not declared


def test_a_summary_pins_column_types_with_dtypes_and_declares_all_its_columns_with_outputs(tmp_path):
    pinned = {**FLAKY, "summary": "tests.test_sweep:peak_summary", "vary": {"x": [0.1, 0.2]}}
    run(pinned, tmp_path / "pinned")  # no run gets above 2: no value to infer the column's type from
    first = pd.read_parquet(tmp_path / "pinned" / "summary")["first_above_2"]
    assert str(first.dtype) == "Int64" and first.isna().all()
    declared = {**pinned, "summary": "tests.test_sweep:declared_summary"}
    with pytest.raises(SweepError, match="column 'extra' of the summary is not among the columns declared for it"):
        run(declared, tmp_path / "declared")


def test_an_impossible_design_point_fails_its_runs_only(tmp_path):
    """share_elderly + share_young > 1 at one point: each value is in range, the combination is not."""
    data = sweep(scenarios=["guardian"], seeds=1, fixed={"n_residents": 150, "share_young": 0.5},
                 vary={"share_elderly": [0.2, 0.7]}, output=None)  # fmt: skip
    result = run(data, tmp_path / "out")
    assert (result.ok, result.failed) == (1, 1)
    failed = read_summary(tmp_path / "out").query("status == 'failed'")
    assert failed["error"].iloc[0].startswith("ParameterError: share_elderly + share_young = 1.2 exceeds 1")


# --- bad sweep files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"sed": 1}, "unknown key 'sed' (did you mean 'seed'?); valid: description, model,"),
        ({"steps": None}, "missing 'steps'"),
        ({"seeds": 0}, "'seeds' must be a whole number, at least 1, got 0"),
        ({"seed": -1}, "'seed' = -1 is out of range [0, "),
        ({"design": {"method": "latin"}}, "method = 'latin' is not known; choose one of: grid, lhs, sobol, morris"),
        ({"design": {"method": "lhs", "samples": 8}}, "method 'lhs' samples within bounds; give {low = ..., high"),
        ({"design": {"method": "sobol", "samples": 8}, "vary": {}}, "[vary] is empty"),
        (
            {"design": {"method": "lhs", "samples": 8}, "vary": {"funding": {"low": 9.0, "high": 3.0}}},
            "[vary] funding: low (9) must be below high (3)",
        ),
        ({"scenarios": ["shanghai", "atlantis"]}, "unknown scenario 'atlantis'; valid: early_withdrawal,"),
        ({"vary": {"fundng": [1.0]}}, "unknown parameter 'fundng' in [vary] (did you mean 'funding'?)"),
        ({"vary": {"funding": [3.0, -1.0]}}, "[vary] funding: parameter 'funding' = -1.0 is out of range [0, 1000]"),
        ({"fixed": {"n_residents": 5}}, "[fixed] parameter 'n_residents' = 5 is out of range"),
        ({"fixed": {"rng": 3}}, "[fixed] 'rng' cannot be set here (the seed is set per run from the sweep seed)"),
        ({"fixed": {"funding": 3.0}}, "parameter 'funding' is both in [fixed] and [vary]"),
        ({"vary": {"scenario": ["guardian"]}}, "[vary] scenario: list configurations with scenarios = [...]"),
        ({"model": "simulation.nowhere:Model"}, "cannot import module 'simulation.nowhere'"),
        ({"model": "simulation.model.community:Nothing"}, "module 'simulation.model.community' has no 'Nothing'"),
        ({"model": "simulation.model.community"}, 'must have the form "package.module:Name"'),
        ({"model": "simulation.model.runner:summarise"}, "is not a mesa.Model class"),
        ({"summary": "simulation.nowhere:f"}, "summary 'simulation.nowhere:f': cannot import module"),
        (
            {"summary": "simulation.sweep:community_summary"},  # a sweep file from before the modules moved
            "(No module named 'simulation.sweep'); it is now 'simulation.experiments.sweep:community_summary'",
        ),
        ({"output": {"series": True, "columns": ["trust"]}}, "unknown column 'trust'"),
        ({"output": {"thin": 0}}, "[output] thin must be a whole number, at least 1, got 0"),
        ({"output": {"keep": True}}, "unknown key 'keep' in [output]; valid: series, thin, columns"),
        ({"configurations": {"a": {"funding": 2.0}}}, "give either 'scenarios' or [configurations], not both"),
    ],
)
def test_a_malformed_sweep_gets_a_one_line_error_naming_the_problem(changes, message):
    with pytest.raises(SweepError) as err:
        load_sweep(sweep(**changes))
    text = str(err.value)
    assert text.startswith("sweep: ") and message in text and "\n" not in text


def test_a_generic_model_is_checked_against_its_own_parameters():
    boltzmann = "mesa.examples.basic.boltzmann_wealth_model.model:BoltzmannWealth"
    message = r"unknown parameter 'wdth' of model '.*' \(did you mean 'width'\?\); valid: height, n"
    with pytest.raises(SweepError, match=message):
        load_sweep({"model": boltzmann, "seeds": 1, "steps": 2, "fixed": {"wdth": 5}})
    with pytest.raises(SweepError, match="'scenarios' names configurations of simulation.model:CommunityModel"):
        load_sweep({"model": boltzmann, "seeds": 1, "steps": 2, "scenarios": ["a"]})


def test_the_cli_reports_a_bad_sweep_file_in_one_line_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'seeds = 2\nsteps = 12\n[design]\nmethod = "sobol"\nsamples = 100\n[vary]\nfunding = {low = 1.0, high = 2.0}\n'
    )
    assert main(["sweep", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert (
        err == "error: bad.toml: [design] samples = 100: Sobol' base samples must be a power of two "
        "(e.g. 64, 128, 256); Saltelli's sample loses its balance otherwise\n"
    )
    assert not (tmp_path / "out").exists()

    bad.write_text("seeds = [")
    proc = subprocess.run([sys.executable, "-m", "simulation", "sweep", str(bad)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: sweep file {bad}: not valid TOML") and len(proc.stderr.splitlines()) == 1

    assert main(["sweep", str(ROOT / "sweeps" / "smoke.toml"), "--workers", "0"]) == 2
    assert capsys.readouterr().err == "error: --workers must be a whole number, at least 1, got 0\n"


def test_a_directory_holding_another_sweep_is_refused(tmp_path, capsys):
    run(SMALL, tmp_path / "out", batch_size=8)
    with pytest.raises(SweepError, match=r"holds results of a different sweep \(differs in: steps\); use --new-dir"):
        run(sweep(steps=13), tmp_path / "out")
    edited = sweep(description="the same runs, described differently")
    assert run(edited, tmp_path / "out").skipped == 8  # the description does not change the runs

    smoke = str(ROOT / "sweeps" / "smoke.toml")
    assert main(["sweep", smoke, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.splitlines()  # refused while checking the input, before the plan is printed
    assert len(err) == 1 and err[0].startswith(f"error: {tmp_path / 'out'} holds results of a different sweep (")


def test_two_sweeps_cannot_write_to_one_directory_at_once(tmp_path):
    spec = load_sweep(SMALL)
    with results_dir(tmp_path / "out", spec), pytest.raises(SweepError, match="another sweep is writing to"):
        results_dir(tmp_path / "out", spec).open()


def test_leftovers_of_a_crash_are_tidied_before_resuming(tmp_path):
    spec = load_sweep(SMALL)
    run(spec, tmp_path / "out", batch_size=4)
    out = tmp_path / "out"
    parts = sorted((out / "summary").glob("part-*.parquet"))
    (out / "summary" / ".part-000009.parquet.tmp-123").write_bytes(b"half a file")
    parts[-1].unlink()  # a crash after the series part was written but before its summary part
    result = run(spec, out)
    assert result.skipped == 4 and result.done == 4
    assert not list(out.glob("*/.*.tmp-*"))
    assert len(read_series(out)) == 8 * 4 and read_summary(out)["run_id"].is_unique


def test_a_sweep_file_saved_with_a_byte_order_mark_loads_like_one_without(tmp_path, capsys):
    text = 'scenarios = ["guardian"]\nseeds = 2\nsteps = 6\n[fixed]\nn_residents = 100\n'
    (tmp_path / "marked.toml").write_text(text, encoding="utf-8-sig")
    (tmp_path / "plain.toml").write_text(text, encoding="utf-8")
    marked, plain = load_sweep(tmp_path / "marked.toml", name="s"), load_sweep(tmp_path / "plain.toml", name="s")
    assert marked.fingerprint == plain.fingerprint and marked.n_runs == 2
    assert main(["sweep", str(tmp_path / "marked.toml"), "--dry-run"]) == 0  # was: "Invalid statement", exit 2
    assert "2 runs of 6 steps" in capsys.readouterr().err


def test_a_failed_write_names_the_part_not_its_temporary_and_keeps_the_parts_saved_before(tmp_path, monkeypatch):
    import errno

    from simulation.experiments.sweep import SweepNotSaved

    out = tmp_path / "out"
    spec = load_sweep(SMALL)
    original, writes = pd.DataFrame.to_parquet, []

    def fills_up(self, path, *args, **kwargs):  # design, then 2 parts (series + summary) of 2 runs each, then full
        writes.append(Path(path))
        if len(writes) > 5:  # as the OS reports it: the file being written, here the store's hidden temporary
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return original(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fills_up)
    with pytest.raises(SweepNotSaved) as failed:
        run(spec, out, batch_size=2)
    assert ".tmp-" in writes[-1].name  # the failing call wrote a temporary ...
    assert failed.value.path == str(out / "series" / "part-000003.parquet")  # ... the error names the part
    assert str(failed.value) == (
        f"cannot save results to {out / 'series' / 'part-000003.parquet'}: No space left on device; 4 of 8 runs are "
        f"saved in {out} and kept: free some space, then run the same command again to resume")  # fmt: skip
    monkeypatch.undo()
    saved = read_summary(out)
    assert len(saved) == 4 and not list(out.glob("**/.*.tmp-*"))
    resumed = run(spec, out, batch_size=2)
    assert resumed.skipped == 4 and resumed.done == 4  # nothing finished was lost, nothing ran twice
    summary = read_summary(out)
    assert summary["run_id"].is_unique and len(summary) == 8
    pd.testing.assert_frame_equal(comparable(summary[summary["run_id"].isin(saved["run_id"])]).reset_index(drop=True),
                                  comparable(saved))  # fmt: skip
    pd.testing.assert_frame_equal(comparable(summary), comparable(read_summary(run(spec, tmp_path / "whole").out_dir)))


# --- other models and sampled designs --------------------------------------------------------


def test_a_mesa_example_model_runs_through_the_same_runner(tmp_path):
    spec = load_sweep({
        "model": "mesa.examples.basic.boltzmann_wealth_model.model:BoltzmannWealth",
        "seeds": 3, "steps": 10, "seed": 2, "fixed": {"width": 5, "height": 5}, "vary": {"n": [20, 40]},
        "output": {"series": True, "thin": 5},
    })  # fmt: skip
    result = run(spec, tmp_path / "out", executor="processes", workers=2)
    assert (result.ok, result.failed) == (6, 0)
    summary = read_summary(tmp_path / "out")
    assert summary["configuration"].unique().tolist() == ["default"]
    assert summary["final_Gini"].between(0, 1).all() and summary["final_Gini"].nunique() > 1
    assert read_series(tmp_path / "out").query("run_id == 'r000000'")["step"].tolist() == [0, 5, 10]


def test_a_sampled_design_is_stored_for_sensitivity_analysis(tmp_path):
    data = sweep(scenarios=["guardian"], seeds=2, output=None, design={"method": "lhs", "samples": 4},
                 vary={"funding": {"low": 2.0, "high": 10.0}, "review_interval": {"low": 3, "high": 24}})  # fmt: skip
    spec = load_sweep(data)
    run(spec, tmp_path / "out")
    design = load_design(tmp_path / "out")
    assert design.method == "lhs" and design.problem == spec.design.problem
    np.testing.assert_array_equal(design.matrix, spec.design.matrix)
    summary = read_summary(tmp_path / "out")
    assert summary["review_interval"].dtype == "Int64"  # an integer parameter: sampled values rounded
    merged = summary.merge(design.points.assign(point=range(len(design))), on="point", suffixes=("", "_design"))
    assert (merged["funding"] == merged["funding_design"]).all()
    y = point_outputs(summary, "final_index", len(design), configuration="guardian")
    assert y.shape == (4,) and np.isfinite(y).all()
    expected = summary.groupby("point")["final_index"].mean().to_numpy()
    np.testing.assert_allclose(y, expected)


def test_the_declared_summary_outputs_are_the_ones_a_run_writes(tmp_path):
    """sensitivity checks --outputs against this declaration before any run: it must match what runs write."""
    from simulation.experiments.sweep import community_summary

    run(sweep(scenarios=["guardian"], seeds=1, vary={}, output=None), tmp_path / "out")
    summary = read_summary(tmp_path / "out")
    written = [c for c in summary.columns if c not in (*RUN_COLUMNS,)]
    assert written == list(community_summary.outputs)


def test_every_shipped_sweep_file_loads():
    files = sorted((ROOT / "sweeps").glob("*.toml"))
    assert "smoke.toml" in {f.name for f in files}
    for path in files:
        spec = load_sweep(path)
        assert spec.n_runs == len(spec.runs()) > 0, path.name
    smoke = load_sweep(ROOT / "sweeps" / "smoke.toml")
    assert len(smoke.configurations) >= 2 and smoke.factors and smoke.seeds >= 2 and 24 <= smoke.n_runs <= 60


def test_the_cli_runs_a_sweep_and_says_what_it_did(tmp_path, capsys):
    sweep_file = tmp_path / "tiny.toml"
    sweep_file.write_text('model = "tests.test_sweep:Flaky"\nseeds = 2\nsteps = 5\nseed = 1\n[vary]\nx = [0, 1]\n')
    code = main(["sweep", str(sweep_file), "--out", str(tmp_path / "out"), "--executor", "inline"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "tiny: 1 configuration x 2 design points (grid) x 2 seeds = 4 runs of 5 steps" in err
    assert "4 runs in" in out and "2 ok, 2 failed" in out
    assert "r000000: ValueError: x must not be zero" in out
    assert main(["sweep", str(sweep_file), "--out", str(tmp_path / "out")]) == 0
    assert "nothing to run: all 4 runs are already saved" in capsys.readouterr().out
    assert main(["sweep", str(sweep_file), "--out", str(tmp_path / "dry"), "--dry-run"]) == 0
    assert not (tmp_path / "dry").exists()
