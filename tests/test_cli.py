"""The command line: listing, running, comparing, and one-line errors for bad input.

Most tests call ``main([...])`` in-process (fast, and failures show the real
traceback); a few run ``python -m simulation`` in a subprocess to check the
module entry point and that bad input never prints a traceback.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from simulation import list_scenarios, load_scenario, run_scenario
from simulation.cli import main
from simulation.experiments.compare import DEFAULT_SCENARIOS, DEFAULT_SEED, compare_scenarios
from simulation.experiments.plots import plot_comparison
from simulation.experiments.sweep import run_seed
from simulation.experiments.theory import Settings, run_experiment
from simulation.model.measures import COLUMNS
from simulation.model.stages import STAGES

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--residents", "200", "--steps", "24"]
PER_STEP_COLUMNS = {"step", *COLUMNS}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process and return (exit code, stdout, stderr)."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m simulation`` from the repository root, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "simulation", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


# --- scenarios --------------------------------------------------------------------------


def test_scenarios_lists_every_configuration_with_its_description(capsys):
    code, out, _ = cli(capsys, "scenarios")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(list_scenarios())
    for name, line in zip(list_scenarios(), lines, strict=True):
        assert line.startswith(name + " ")
        assert line.endswith(load_scenario(name).description)
    # aligned: every description starts in the same column
    starts = {line.index(load_scenario(name).description) for name, line in zip(list_scenarios(), lines, strict=True)}
    assert len(starts) == 1


def test_module_entry_point_runs_as_a_subprocess():
    result = run_module("scenarios")
    assert result.returncode == 0, result.stderr
    for name in list_scenarios():
        assert name in result.stdout


def test_bad_input_in_a_subprocess_is_one_line_without_traceback():
    result = run_module("run", "--scenario", "nope", *SMALL)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error: ") and "nope" in result.stderr


# --- run ----------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["csv", "parquet"])
def test_run_prints_a_summary_and_writes_one_row_per_step(capsys, tmp_path, extension):
    out_file = tmp_path / "nested" / f"run.{extension}"
    code, out, err = cli(capsys, "run", "--scenario", "shanghai", *SMALL, "--out", str(out_file))
    assert code == 0, err
    for text in (
        "final stage",
        *(f"first {stage}" for stage in STAGES),
        "self-governance index",
        "trust in strangers",
        "participation",
        "see committee as government",
        "admin task completion",
        "total public cost",
        "NGOs",
    ):
        assert text in out
    table = pd.read_csv(out_file) if extension == "csv" else pd.read_parquet(out_file)
    assert len(table) == 25
    assert PER_STEP_COLUMNS <= set(table.columns)
    assert table["step"].tolist() == list(range(25))


def test_run_applies_overrides_and_matches_the_python_api(capsys, tmp_path):
    out_file = tmp_path / "run.parquet"
    args = ["run", "--scenario", "shanghai", *SMALL, "--seed", "3", "--set", "funding=3", "--out", str(out_file)]
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    assert "funding=3.0" in out
    expected = run_scenario("shanghai", steps=24, seed=3, n_residents=200, funding=3.0)
    pd.testing.assert_frame_equal(pd.read_parquet(out_file), expected, check_dtype=False)


# --- bad input ----------------------------------------------------------------------------

BAD_INPUTS = {
    "unknown scenario": (["run", "--scenario", "nope", *SMALL], ["nope", *list_scenarios()]),
    "unknown --set key": (["run", "--scenario", "shanghai", *SMALL, "--set", "fundng=3"], ["fundng", "funding"]),
    "non-numeric value": (["run", "--scenario", "shanghai", *SMALL, "--set", "funding=abc"], ["funding", "abc"]),
    "out of range": (["run", "--scenario", "shanghai", *SMALL, "--set", "funding=-5"], ["funding", "out of range"]),
    "malformed --set": (["run", "--scenario", "shanghai", *SMALL, "--set", "nokeyvalue"], ["nokeyvalue", "key=value"]),
    "bad --out extension": (["run", "--scenario", "shanghai", *SMALL, "--out", "x.txt"], ["x.txt", ".csv", ".parquet"]),
    "zero steps": (["run", "--scenario", "shanghai", "--steps", "0"], ["--steps"]),
    "negative steps": (["run", "--scenario", "shanghai", "--steps", "-5"], ["--steps"]),
    "non-integer steps": (["run", "--scenario", "shanghai", "--steps", "ten"], ["--steps", "ten"]),
    "too few residents": (["run", "--scenario", "shanghai", "--residents", "3"], ["n_residents", "out of range"]),
    "unknown in --scenarios": (["compare", "--scenarios", "shanghai,nope", "--seeds", "1"], ["nope", "shanghai"]),
    "zero seeds": (["compare", "--scenarios", "shanghai", "--seeds", "0"], ["--seeds"]),
    "negative root seed": (["compare", "--scenarios", "shanghai", "--seed", "-1"], ["--seed"]),
    # issue 23: a horizon of 10**12 months used to start, silently, a run that would never end
    "steps 10**12": (["run", "--scenario", "guardian", "--steps", str(10**12)],
                     ["--steps", "from 1 to 12,000 months", "1,000,000,000,000", "--allow-large"]),
    "compare steps": (["compare", "--scenarios", "guardian", "--steps", "12001"], ["--steps", "from 1 to 12,000"]),
    "experiment steps": (["experiment", "shock", "--steps", str(10**12)], ["--steps", "from 1 to 12,000"]),
    "robustness steps": (["experiment", "robustness", "--quick", "--steps", "12001"], ["--steps", "from 1 to 12,000"]),
    "test horizon": (["run", "--scenario", "guardian", *SMALL, "--withdrawal-test", "--test-horizon", str(10**9)],
                     ["--test-horizon", "from 1 to 12,000"]),
}  # fmt: skip


@pytest.mark.parametrize("args, mentions", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_exits_2_with_one_line_naming_the_problem(capsys, tmp_path, monkeypatch, args, mentions):
    monkeypatch.chdir(tmp_path)  # nothing may be written, not even results/compare
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, err
    for text in mentions:
        assert text in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []


# --- compare ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> tuple[int, str, Path]:
    """One small comparison through the CLI, shared by the tests below (it starts a process pool)."""
    out_dir = tmp_path_factory.mktemp("compare") / "out"
    stdout = io.StringIO()
    args = ["compare", "--scenarios", "shanghai,guardian", "--seeds", "2", *SMALL, "--out", str(out_dir)]
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        code = main(args)
    return code, stdout.getvalue(), out_dir


def test_compare_writes_tidy_trajectories(compared):
    code, _, out_dir = compared
    assert code == 0
    trajectories = pd.read_parquet(out_dir / "trajectories.parquet")
    assert list(trajectories.columns[:4]) == ["run_id", "configuration", "replicate", "seed"]  # the sweep's keys
    assert {*PER_STEP_COLUMNS} <= set(trajectories.columns)
    assert len(trajectories) == 2 * 2 * 25
    keys = trajectories[["configuration", "replicate", "step"]].drop_duplicates()
    assert len(keys) == len(trajectories)
    assert list(dict.fromkeys(trajectories["configuration"])) == ["shanghai", "guardian"]
    assert sorted(set(trajectories["replicate"])) == [0, 1]
    # Every run's seed is the sweep's, paired: SeedSequence of the root seed and the replicate, the same in every
    # configuration (common random numbers), as a sweep with `seeding = "paired"` seeds it.
    seeds = trajectories.drop_duplicates("run_id")["seed"].tolist()
    assert seeds == [run_seed(DEFAULT_SEED, replicate) for replicate in (0, 1, 0, 1)]


def test_compare_summary_has_one_row_per_scenario(compared):
    _, out, out_dir = compared
    summary = pd.read_csv(out_dir / "summary.csv")
    assert summary["configuration"].tolist() == ["shanghai", "guardian"]
    assert (summary["runs"] == 2).all()
    for stage in STAGES[1:]:
        assert summary[f"reached_{stage}"].between(0, 1).all()
        assert f"median_year_{stage}" in summary
    for column in (
        "final_index",
        "final_index_sd",
        "trust_in_strangers_last_year",
        "total_public_cost",
        "admin_task_completion_mean",
    ):
        assert summary[column].notna().all(), column
    assert "shanghai" in out and "guardian" in out and "final index" in out


def test_compare_draws_the_figure(compared):
    _, _, out_dir = compared
    png = out_dir / "comparison.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    figure = plot_comparison(pd.read_parquet(out_dir / "trajectories.parquet"))
    assert isinstance(figure, Figure)
    assert sum(ax.get_visible() for ax in figure.axes) == 2


def test_compare_results_do_not_depend_on_the_executor():
    kwargs = {"seeds": 2, "steps": 12, "n_residents": 100, "progress": False}
    inline, inline_summary = compare_scenarios(["guardian", "shanghai"], executor="inline", **kwargs)
    pooled, pooled_summary = compare_scenarios(["guardian", "shanghai"], executor="processes", workers=2, **kwargs)
    pd.testing.assert_frame_equal(inline, pooled)
    pd.testing.assert_frame_equal(inline_summary, pooled_summary)
    # The root seed decides the numbers: another one gives other runs, the same one the same runs.
    other, _ = compare_scenarios(["guardian"], executor="inline", seed=DEFAULT_SEED + 1, **kwargs)
    assert not other["seed"].isin(inline["seed"]).any()
    again, _ = compare_scenarios(["guardian"], executor="inline", **kwargs)
    pd.testing.assert_frame_equal(again, inline[inline["configuration"] == "guardian"].reset_index(drop=True))


def test_a_configurations_runs_do_not_depend_on_which_others_are_compared():
    """Common random numbers: replicate k has the same seed in every configuration, so two comparisons with
    different lists (other members, another order) give the same rows for the configurations they share."""
    kwargs = {"seeds": 3, "steps": 24, "n_residents": 150, "progress": False, "executor": "inline"}
    first, first_summary = compare_scenarios(["shanghai", "guardian"], **kwargs)
    second, second_summary = compare_scenarios(["hangzhou", "guardian", "karamay", "shanghai"], **kwargs)
    shared = ["guardian", "shanghai"]

    def rows(table: pd.DataFrame) -> pd.DataFrame:
        kept = table[table["configuration"].isin(shared)].drop(columns="run_id")  # run_id is the position in the sweep
        return kept.sort_values(["configuration", "replicate", "step"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(first), rows(second))
    summary = {"first": first_summary.set_index("configuration"), "second": second_summary.set_index("configuration")}
    pd.testing.assert_frame_equal(summary["first"].loc[shared], summary["second"].loc[shared])
    # Paired: replicate k has one seed across configurations, and the replicates differ from each other.
    seeds = second.groupby(["replicate", "configuration"])["seed"].first().unstack()
    assert (seeds.nunique(axis=1) == 1).all() and seeds.iloc[:, 0].is_unique


def test_compare_and_experiment_configurations_run_the_same_runs(tmp_path):
    """Same seeds, steps and residents: the compare summary is the `experiment configurations` table, number for
    number, because both are the same sweep (only the per-step output kept differs)."""
    settings = Settings(seeds=2, n_residents=120, steps=24)
    experiment = run_experiment("configurations", tmp_path, settings, executor="inline", progress=False)
    _, summary = compare_scenarios(DEFAULT_SCENARIOS, seeds=settings.seeds, steps=settings.steps,
                                   n_residents=settings.n_residents, executor="inline", progress=False)  # fmt: skip
    pd.testing.assert_frame_equal(summary, experiment.table)
    assert experiment.table.columns.tolist() == summary.columns.tolist()


@pytest.mark.parametrize(
    "args, mentions",
    [
        (["experiment", "timing"], "valid: withdrawal-timing, configurations, shock"),
        (["experiment", "shock", "--shock-year", "30"], "--shock-year"),
        (["experiment", "configurations", "--seeds", "0"], "--seeds"),
        (["sensitivity", "missing.toml", "--method", "sobol"], "not found"),
        (["sensitivity", "sweeps/smoke.toml", "--method", "fast"], "invalid choice"),
        (["discover", "nowhere"], "holds no sweep results"),
        (["calibrate", "calibration/missing.toml"], "not found"),
        (["dashboard", "--port", "70000"], "--port"),
        (["experiment", "shock", "--executor", "processes", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
    ],
)
def test_research_commands_reject_bad_input_with_one_line(capsys, args, mentions):
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert mentions in err and len(err.strip().splitlines()) == 1


def test_sensitivity_and_discover_commands_write_their_outputs(capsys, tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text(
        'description = "tiny"\nscenarios = ["guardian"]\nseeds = 1\nsteps = 24\nseed = 1\n'
        "[fixed]\nn_residents = 150\n[vary]\nfunding = { low = 1.0, high = 12.0 }\n"
        "admin_load = { low = 0.0, high = 1.0 }\n"
    )
    out = tmp_path / "morris"
    code, stdout, _ = cli(
        capsys,
        "sensitivity",
        str(spec),
        "--method",
        "morris",
        "--samples",
        "3",
        "--executor",
        "inline",
        "--no-progress",
        "--outputs",
        "final_index",
        "--out",
        str(out),
    )
    assert code == 0 and "mu_star" in stdout
    indices = pd.read_csv(out / "morris_indices.csv")
    assert set(indices["parameter"]) == {"funding", "admin_load"}
    code, stdout, _ = cli(capsys, "discover", str(out / "sweep"), "--outcome", "first_learning", "--method", "tree")
    assert code == 0 and (out / "sweep" / "discovery" / "discovery.png").exists()


# --- run --withdrawal-test -----------------------------------------------------------------------------------------


def test_run_with_the_withdrawal_test_prints_its_tests_and_writes_them_beside_the_table(capsys, tmp_path):
    from simulation.experiments.standalone import TestSettings, withdrawal_test

    out_file = tmp_path / "guardian.parquet"
    args = ["run", "--scenario", "guardian", "--residents", "300", "--steps", "120", "--seed", "3", "--withdrawal-test",
            "--test-every", "24", "--out", str(out_file)]  # fmt: skip
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    expected_table, expected_tests = withdrawal_test("guardian", steps=120, seed=3, n_residents=300,
                                                     settings=TestSettings(every=24))  # fmt: skip
    # The run is the run without the test: the same per-step table as run_scenario.
    pd.testing.assert_frame_equal(pd.read_parquet(out_file), run_scenario("guardian", steps=120, seed=3,
                                  n_residents=300), check_dtype=False)  # fmt: skip
    written = pd.read_csv(tmp_path / "guardian_withdrawal_tests.csv")
    assert written["month"].tolist() == expected_tests["month"].tolist()
    assert written["holds"].tolist() == expected_tests["holds"].tolist()
    assert len(expected_tests) >= 1  # the guardian reaches learning within 10 years: there is a table to print
    lines = out.splitlines()
    assert out.index("final stage") < out.index("Withdrawal test (stepping back")  # after the usual report
    header = next(i for i, line in enumerate(lines) if "index before" in line)
    for line, month in zip(lines[header + 1 :], expected_tests["month"], strict=False):
        assert line.split()[0] == str(month)
    for stage in ("learning", "independence"):
        stage_tests = expected_tests[expected_tests["stage"] == stage]
        if len(stage_tests) > 1:
            assert f"{stage}: {len(stage_tests)} tests, {int(stage_tests['holds'].sum())} held" in lines
    assert f"wrote {len(expected_tests)} withdrawal tests to {tmp_path / 'guardian_withdrawal_tests.csv'}" in out


def test_run_with_the_withdrawal_test_letting_go_says_so(capsys):
    code, out, err = cli(capsys, "run", "--scenario", "guardian", *SMALL, "--withdrawal-test", "--let-go",
                         "--test-horizon", "6")  # fmt: skip
    assert code == 0, err
    assert "Withdrawal test (letting go" in out and "a copy went on for 6 months" in out


BAD_TEST_OPTIONS = {
    "--test-every 0": (["--withdrawal-test", "--test-every", "0"], ["--test-every", "at least 1"]),
    "--test-horizon -1": (["--withdrawal-test", "--test-horizon", "-1"], ["--test-horizon", "at least 1"]),
    "--test-every not a number": (["--withdrawal-test", "--test-every", "x"], ["--test-every", "'x'"]),
    "--let-go alone": (["--let-go"], ["--let-go", "--withdrawal-test"]),
    "--test-every alone": (["--test-every", "12"], ["--test-every", "--withdrawal-test"]),
    "--test-horizon alone": (["--test-horizon", "12"], ["--test-horizon", "--withdrawal-test"]),
}


@pytest.mark.parametrize("options, mentions", BAD_TEST_OPTIONS.values(), ids=BAD_TEST_OPTIONS.keys())
def test_bad_withdrawal_test_options_exit_2_with_one_line_before_anything_runs(capsys, tmp_path, monkeypatch, options,
                                                                               mentions):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "run", "--scenario", "guardian", *SMALL, *options, "--out", "run.csv")
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert all(text in err for text in mentions), err
    assert out == "" and list(tmp_path.iterdir()) == []


def test_a_bad_withdrawal_test_option_in_a_subprocess_has_no_traceback():
    result = run_module("run", "--scenario", "guardian", *SMALL, "--withdrawal-test", "--test-horizon", "0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "--test-horizon" in result.stderr


# --- issue 23: sizes, estimates, output paths, failed writes ------------------------------------------------------


def test_the_step_limit_is_lifted_by_allow_large_and_checked_alike_in_sweep_files():
    from simulation.experiments.limits import SizeError
    from simulation.experiments.sweep import SweepError, load_sweep
    from simulation.experiments.sweep_spec import MAX_STEPS, check_steps

    assert check_steps(MAX_STEPS, "--steps") == MAX_STEPS
    assert check_steps(MAX_STEPS + 1, "--steps", allow_large=True) == MAX_STEPS + 1
    with pytest.raises(SizeError, match="--steps must be from 1 to 12,000 months"):
        check_steps(MAX_STEPS + 1, "--steps")
    sweep = {"steps": 10**12, "seeds": 1, "fixed": {"n_residents": 100}}
    with pytest.raises(SweepError, match="steps must be from 1 to 12,000 months .* got 1,000,000,000,000"):
        load_sweep(sweep, draw=False)
    assert load_sweep(sweep, draw=False, allow_large=True).steps == 10**12


def test_a_quick_run_is_quiet_and_a_long_one_says_its_time_memory_and_what_ctrl_c_keeps(capsys, monkeypatch):
    from simulation import cli as cli_module

    code, _, err = cli(capsys, "run", "--scenario", "guardian", *SMALL)
    assert code == 0 and err == ""  # a second's work: quiet
    # A run counts as long from 0 s on, so that the test stays small.
    monkeypatch.setattr(cli_module, "ESTIMATE_FROM_SECONDS", 0.0)
    code, _, err = cli(capsys, "run", "--scenario", "guardian", *SMALL)
    assert code == 0
    assert err.startswith("200 residents for 24 months: about ") and err.count("\n") == 1, err
    assert "MB of memory (an estimate for this machine); Ctrl-C stops it (a single run keeps nothing)" in err


def test_the_estimate_counts_the_months_that_do_not_grow_with_the_community():
    from simulation.cli import cost_estimate

    assert cost_estimate(200, 24) is None
    # 1,000 residents for 12,000 months took 30 s on the test machine (bench/README.md, "Long runs"); the
    # per-resident constant alone said 10 s.
    assert cost_estimate(3000, 12000) is not None and "about " in cost_estimate(3000, 12000)
    many = cost_estimate(1000, 240, runs=1000, processes=2)
    assert many is not None and "1,000 runs: about " in many and "each, 2 at a time" in many
    assert many.endswith("Ctrl-C keeps finished runs and the same command resumes")


def test_run_out_without_a_file_name_writes_under_results_and_says_where(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as in a checkout: results/ is git-ignored, the top level is not
    code, out, err = cli(capsys, "run", "--scenario", "guardian", *SMALL, "--seed", "4", "--out")
    assert code == 0, err
    written = Path("results/runs/guardian-seed4.parquet")
    assert f"to {written}" in out
    assert len(pd.read_parquet(tmp_path / written)) == 25
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_the_checkout_ignores_tables_written_to_its_top_level():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/*.parquet" in ignored and "/*.csv" in ignored and "results/" in ignored


def test_output_paths_that_cannot_be_used_are_named_in_one_line(capsys, tmp_path):
    (tmp_path / "table.parquet").mkdir()
    (tmp_path / "file").write_text("")
    sweep_file = tmp_path / "tiny.toml"
    sweep_file.write_text("steps = 2\nseeds = 1\n[fixed]\nn_residents = 100\n")
    cases = [
        (["run", "--scenario", "guardian", *SMALL, "--out", str(tmp_path / "table.parquet")], "table.parquet"),
        (["run", "--scenario", "guardian", *SMALL, "--out", str(tmp_path / "file" / "t.csv")], "file"),
        (["compare", "--scenarios", "guardian", "--seeds", "1", *SMALL, "--out", str(tmp_path / "file")], "file"),
        (["sweep", str(sweep_file), "--out", str(tmp_path / "file" / "sweep")], "file"),
        (["discover", str(tmp_path / "file")], "file"),
    ]
    for args, name in cases:
        code, out, err = cli(capsys, *args)
        assert code == 2 and out == "" and err.count("\n") == 1, (args, err)
        assert str(tmp_path / name) in err, err


def test_a_table_that_cannot_be_written_names_its_file_and_exits_1(capsys, tmp_path, monkeypatch):
    import errno

    def full_disk(self, path, *args, **kwargs):  # pyarrow's error on a full disk names no file
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    out_file = tmp_path / "run.parquet"
    code, out, err = cli(capsys, "run", "--scenario", "guardian", *SMALL, "--out", str(out_file))
    assert code == 1 and "final stage" in out
    assert err == f"error: cannot write {out_file}: No space left on device\n"


def test_compare_on_a_full_disk_says_that_it_kept_no_runs(capsys, tmp_path, monkeypatch):
    import errno

    def full_disk(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    code, _, err = cli(capsys, "compare", "--scenarios", "guardian", "--seeds", "1", *SMALL, "--workers", "1",
                       "--out", str(tmp_path / "out"))  # fmt: skip
    assert code == 1 and err.count("\n") == 2, err  # the plan, then the error
    error = err.splitlines()[-1]
    assert error.startswith("error: cannot save runs to ") and ": No space left on device; " in error
    assert "compare keeps its runs in a temporary directory only, so none were kept: free some space" in error
