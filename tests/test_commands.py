"""Every command of the README's command-line block, run as a user runs it: a real ``python -m simulation``.

Each test starts the command as a subprocess with the smallest settings that still do the work, and checks the
exit code, the files written and one number in them against what the model says it should be. The commands'
input checks and their behaviour under signals are tested in test_cli.py and test_faults.py; ``run``, ``compare``
and ``scenarios`` in-process in test_cli.py, ``dashboard`` in test_faults.py and test_browser.py. The whole file
runs in about a minute on 2 cores.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from simulation import load_scenario, run_scenario
from simulation.experiments.sweep import read_summary
from simulation.experiments.theory import DEFAULT_SCENARIOS
from simulation.model.parameters import Parameters

ROOT = Path(__file__).resolve().parents[1]
TINY_SWEEP = (
    'scenarios = ["shanghai", "guardian"]\nseeds = 2\nsteps = 12\nseed = 7\n[fixed]\nn_residents = 120\n'
    "[vary]\nfunding = [3.0, 9.0]\n"
)


def simulation(*args: str, cwd: Path = ROOT, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m simulation ARGS`` to the end, output captured; fails the test on a non-zero exit."""
    done = subprocess.run([sys.executable, "-m", "simulation", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def test_parameters_lists_every_parameter_with_its_default():
    listing = simulation("parameters").stdout
    defaults = Parameters()
    for name in ("assist_support", "shock_size", "ngo_independence_rate", "staff_turnover"):
        line = next(line for line in listing.splitlines() if line.split()[:1] == [name])
        assert float(line.split()[1].replace(",", "")) == getattr(defaults, name), line
    sections = [line for line in listing.splitlines() if line.startswith("[")]
    assert "[policy]" in sections and "[shock]" in sections


def test_run_and_compare_write_their_tables(tmp_path):
    simulation("run", "--scenario", "guardian", "--steps", "12", "--seed", "1", "--residents", "200",
               "--out", str(tmp_path / "guardian.parquet"))  # fmt: skip
    table = pd.read_parquet(tmp_path / "guardian.parquet")
    expected = run_scenario("guardian", steps=12, seed=1, n_residents=200)
    assert len(table) == 13
    assert table["self_governance_index"].iloc[-1] == pytest.approx(expected["self_governance_index"].iloc[-1])
    simulation("compare", "--scenarios", "shanghai,guardian", "--seeds", "1", "--steps", "12", "--residents", "200",
               "--workers", "1", "--out", str(tmp_path / "compare"))  # fmt: skip
    written = {path.name for path in (tmp_path / "compare").iterdir()}
    assert "comparison.png" in written and any(name.endswith(".csv") for name in written)


# --- the theory's experiments ------------------------------------------------------------------------------------
EXPERIMENT = ("--seeds", "1", "--residents", "200", "--executor", "inline", "--no-progress")


def test_experiment_withdrawal_timing(tmp_path):
    simulation("experiment", "withdrawal-timing", *EXPERIMENT, "--steps", "24", "--out", str(tmp_path))
    table = pd.read_csv(tmp_path / "withdrawal-timing.csv")
    assert len(table) == 17  # a fixed withdrawal in each of years 0-15, and the guardian
    # Withdrawing at once, government pays for watching only (per 1,000 residents).
    p = load_scenario("guardian").params
    immediate = table[table["withdrawal_year"] == 0].iloc[0]
    assert immediate["total_public_cost"] == pytest.approx(p.supervision * p.supervision_cost * 24)
    assert (tmp_path / "withdrawal_timing.png").stat().st_size > 0


def test_experiment_configurations(tmp_path):
    simulation("experiment", "configurations", *EXPERIMENT, "--steps", "24", "--out", str(tmp_path))
    table = pd.read_csv(tmp_path / "configurations.csv").set_index("configuration")
    assert set(table.index) == set(DEFAULT_SCENARIOS)
    assert (table["runs"] == 1).all()
    # Within two years nobody reaches independence.
    assert (table["reached_independence"] == 0).all()


def test_experiment_shock(tmp_path):
    simulation("experiment", "shock", *EXPERIMENT, "--steps", "36", "--shock-year", "1", "--out", str(tmp_path))
    table = pd.read_csv(tmp_path / "shock.csv")
    assert set(table["configuration"]) == set(DEFAULT_SCENARIOS)
    assert (table["runs"] == 1).all()
    seeds = read_summary(tmp_path / "sweep").set_index("configuration")["seed"]
    for row in table.itertuples():
        # The same run on its own, and its twin without the shock: the table reads the run, and the shock bites.
        shocked = run_scenario(row.configuration, steps=36, seed=int(seeds[row.configuration]), n_residents=200,
                               shock_step=12).set_index("step")  # fmt: skip
        calm = run_scenario(row.configuration, steps=36, seed=int(seeds[row.configuration]), n_residents=200)
        calm = calm.set_index("step")
        before, trough = shocked.loc[0:11, "mean_trust"].mean(), shocked.loc[12:, "mean_trust"].min()
        assert row.trust_before == pytest.approx(before) and row.trust_drop == pytest.approx(max(0.0, before - trough))
        solved = shocked.loc[12:14, "problems_solved_share"].mean()
        assert row.solved_in_shock_months == pytest.approx(solved), row.configuration
        assert solved < calm.loc[12:14, "problems_solved_share"].mean() - 0.3, row.configuration
        assert trough < calm.loc[12:, "mean_trust"].min(), row.configuration
    assert (tmp_path / "shock.png").stat().st_size > 0


# --- calibration ----------------------------------------------------------------------------------------------------
def test_calibrate_with_a_scale_runs_fewer_particles_and_generations(tmp_path):
    """``--scale 0.5`` halves 20 particles and 4 generations: 10 particles, 2 generations."""
    spec = tmp_path / "tiny.toml"
    spec.write_text('scenario = "shenyang"\nsteps = 12\nn_residents = 100\nwindow = [6, 12]\npopulation_size = 20\n'
                    "generations = 4\nseed = 3\n[parameters]\ninitial_trust_mean = [0.1, 0.9]\n"
                    "[targets]\nmean_trust = 0.5\n")  # fmt: skip
    out = tmp_path / "cal"
    simulation("calibrate", str(spec), "--scale", "0.5", "--executor", "inline", "--no-progress", "--out", str(out),
               timeout=300)  # fmt: skip
    generations = pd.read_csv(out / "generations.csv")
    assert len(generations) == 2 and (generations["particles"] == 10).all()
    assert generations["epsilon"].is_monotonic_decreasing  # each generation accepts only closer runs
    posterior = pd.read_csv(out / "posterior.csv")
    assert len(posterior) == 10 and posterior["weight"].sum() == pytest.approx(1.0)
    values, weights = posterior["initial_trust_mean"], posterior["weight"]
    mean = float((values * weights).sum())
    sd = float(((values - mean) ** 2 * weights).sum() ** 0.5)
    summary = json.loads((out / "summary.json").read_text())
    found = summary["parameters"]["initial_trust_mean"]
    assert found["prior"] == [0.1, 0.9] and found["mean"] == pytest.approx(mean) and found["sd"] == pytest.approx(sd)
    # The data narrowed the prior: a uniform on [0.1, 0.9] has sd 0.23; residents who start trusting 0.5 on
    # average end the year near a mean trust of 0.5, so the posterior gathers there.
    assert sd < 0.1 and abs(mean - 0.5) < 0.1
    predicted = summary["predictive"]["mean_trust"]
    assert predicted["holds"] and predicted["ci90"][0] <= 0.5 <= predicted["ci90"][1]
    assert (out / "diagnostics.png").stat().st_size > 0


# --- sweeps -----------------------------------------------------------------------------------------------------------
def _same_as_a_single_run(summary: pd.DataFrame, steps: int, n_residents: int) -> None:
    """Each sweep run's final index is the one a single run with its seed and design point gives."""
    row = summary.iloc[-1]
    overrides = {"funding": row["funding"]} if "funding" in summary else {}
    table = run_scenario(row["configuration"], steps=steps, seed=int(row["seed"]), n_residents=n_residents,
                         **overrides)  # fmt: skip
    assert row["final_index"] == pytest.approx(table["self_governance_index"].iloc[-1])


def test_sweep_on_a_dask_cluster_given_by_its_address(tmp_path):
    distributed = pytest.importorskip("distributed")
    try:
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None,
                                           processes=True)  # fmt: skip
    except Exception as err:  # no loopback sockets, or no processes: nothing to test against
        pytest.skip(f"a local Dask cluster cannot start here: {err}")
    with cluster:
        sweep_file = tmp_path / "tiny.toml"
        sweep_file.write_text(TINY_SWEEP)
        out = tmp_path / "out"
        simulation("sweep", str(sweep_file), "--executor", "dask", "--scheduler", cluster.scheduler_address,
                   "--out", str(out), "--no-progress")  # fmt: skip
    summary = read_summary(out)
    assert len(summary) == 8 and summary["run_id"].is_unique and (summary["status"] == "ok").all()
    _same_as_a_single_run(summary, steps=12, n_residents=120)


def test_retry_failed_runs_again_only_the_failed_runs(tmp_path):
    """One design point is impossible (share_elderly + share_young > 1): its runs fail, and only they run again."""
    sweep_file = tmp_path / "flaky.toml"
    sweep_file.write_text('scenarios = ["guardian"]\nseeds = 2\nsteps = 6\n[fixed]\nn_residents = 100\n'
                          "share_young = 0.5\n[vary]\nshare_elderly = [0.2, 0.7]\n")  # fmt: skip
    # With progress shown (no --no-progress), a resumed sweep says what it skips.
    command = ("sweep", str(sweep_file), "--executor", "inline", "--out", str(tmp_path / "out"))
    simulation(*command)
    first = read_summary(tmp_path / "out")
    assert (first["status"] == "failed").sum() == 2
    again = simulation(*command, "--retry-failed")
    assert "resuming: skipping 2 finished runs; 2 to run" in again.stderr, again.stderr
    summary = read_summary(tmp_path / "out")
    assert len(summary) == 4 and summary["run_id"].is_unique
    failed = summary[summary["status"] == "failed"]
    assert (failed["share_elderly"] == 0.7).all() and len(failed) == 2
    assert failed["error"].str.startswith("ParameterError: share_elderly + share_young").all()


def test_sensitivity_and_discover_on_a_real_model_sweep(tmp_path):
    spec = tmp_path / "levers.toml"
    spec.write_text(
        'scenarios = ["guardian"]\nseeds = 1\nsteps = 36\nseed = 5\n[fixed]\nn_residents = 150\n'
        "[vary]\nfunding = { low = 1.0, high = 12.0 }\nadmin_load = { low = 0.0, high = 1.0 }\n"
    )
    out = tmp_path / "morris"
    simulation("sensitivity", str(spec), "--method", "morris", "--samples", "3", "--executor", "inline",
               "--no-progress", "--outputs", "final_index,total_public_cost", "--out", str(out))  # fmt: skip
    indices = pd.read_csv(out / "morris_indices.csv")
    cost = indices[indices["output"] == "total_public_cost"].set_index("parameter")
    assert cost.loc["funding", "mu"] > 0  # more money for the committee costs more
    assert len(read_summary(out / "sweep")) == 3 * 3  # 3 trajectories of 2 + 1 points
    discovered = simulation("discover", str(out / "sweep"), "--outcome", "first_learning", "--method", "tree",
                            "--out", str(tmp_path / "found"))  # fmt: skip
    summary = read_summary(out / "sweep")
    share = summary["first_learning"].notna().mean()
    text = (tmp_path / "found" / "discovery.txt").read_text()
    assert f"in {share:.0%}" in text and f"{share:.0%}" in discovered.stdout


def test_a_sweep_killed_with_sigkill_resumes_and_keeps_every_run_once(tmp_path):
    """The sweep process itself is killed (no chance to save), then the same command finishes the sweep."""
    sweep_file = tmp_path / "long.toml"
    sweep_file.write_text('scenarios = ["guardian"]\nseeds = 16\nsteps = 24\n[fixed]\nn_residents = 120\n')
    out = tmp_path / "out"
    # Inline: the process killed is the one that runs and saves (that workers die with it: test_faults.py).
    command = ["sweep", str(sweep_file), "--out", str(out), "--executor", "inline"]
    proc = subprocess.Popen([sys.executable, "-m", "simulation", *command], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        end = time.monotonic() + 120
        while not list((out / "summary").glob("part-*.parquet")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < end, "no part written within 120 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    kept = len(read_summary(out))
    assert 0 < kept < 16
    resumed = simulation(*command)
    assert f"skipping {kept} finished runs" in resumed.stderr, resumed.stderr
    summary = read_summary(out)
    assert len(summary) == 16 and summary["run_id"].is_unique and (summary["status"] == "ok").all()
    assert sorted(summary["replicate"]) == list(range(16))


def test_experiment_withdrawal_test(tmp_path):
    from simulation.experiments.theory import TESTED_CONFIGURATIONS, WITHDRAWN_48

    done = simulation("experiment", "withdrawal-test", "--seeds", "1", "--residents", "150", "--steps", "48",
                      "--executor", "inline", "--no-progress", "--out", str(tmp_path))  # fmt: skip
    assert "Stepping back: " in done.stdout and "Letting go: " in done.stdout
    table = pd.read_csv(tmp_path / "withdrawal-test.csv")
    assert list(dict.fromkeys(table["configuration"])) == ["all", *TESTED_CONFIGURATIONS, WITHDRAWN_48]
    assert all(stances == ["step_back", "let_go"] for stances in table.groupby("configuration")["stance"].agg(list))
    assert (table.loc[table["configuration"] != "all", "runs"] == 1).all()
    # Every test the table counts is a month recorded in the runs, with both stances' verdicts.
    months = pd.read_csv(tmp_path / "withdrawal-test-months.csv")
    for stage in ("learning", "independence"):
        for stance in ("step_back", "let_go"):
            row = table[(table["configuration"] == "all") & (table["stance"] == stance)].iloc[0]
            held = months.loc[months["stage"] == stage, stance]
            assert row[f"{stage}_tests"] == len(held)
            assert pd.isna(row[f"{stage}_held"]) if held.empty else row[f"{stage}_held"] == pytest.approx(held.mean())
    assert (tmp_path / "withdrawal_test.png").stat().st_size > 0
    assert (tmp_path / "withdrawal-test.txt").read_text().strip() in done.stdout
    assert (tmp_path / "sweep" / "summary").is_dir()
