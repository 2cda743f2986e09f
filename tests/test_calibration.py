"""ABC calibration: specs are checked, a known parameter is recovered, and results are reproducible."""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import pytest

from simulation.cli import main
from simulation.experiments.calibration import (
    CalibrationError,
    TargetDistance,
    calibrate,
    load_calibration,
    posterior_predictive,
    results_dir,
    simulate_statistics,
)
from simulation.model.measures import COLUMNS, WORDS, value_range
from simulation.model.runner import run_scenario

BASE = {
    "scenario": "shenyang",
    "steps": 12,
    "n_residents": 300,
    "window": [6, 12],
    "population_size": 20,
    "generations": 3,
    "seed": 3,
    "parameters": {"initial_trust_mean": [0.1, 0.9]},
}


def spec_with_target(truth: float):
    """A spec whose target is what the model itself produces at ``truth``: the answer is known."""
    spec = load_calibration({**BASE, "targets": {"mean_trust": 0.5}})
    target = simulate_statistics(spec, {"initial_trust_mean": truth})["mean_trust"]
    return load_calibration({**BASE, "targets": {"mean_trust": target}})


def test_calibration_recovers_known_parameters_one_of_them_a_mechanism_s(tmp_path):
    """Two parameters from two targets the model made at known values: a starting mean, and the intercept of
    the participation choice, which reaches the participation rate only through the residents' decisions and
    their peers (a start value alone would be nearly trivial to recover)."""
    prior = {"initial_trust_mean": (0.1, 0.9), "participation_baseline": (-5.5, -3.0)}
    truth = {"initial_trust_mean": 0.6, "participation_baseline": -4.0}
    base = {**BASE, "steps": 24, "window": [12, 24], "population_size": 30, "generations": 4,
            "parameters": {name: list(bounds) for name, bounds in prior.items()}}  # fmt: skip
    placeholder = {"mean_trust": 0.5, "participation_rate": 0.2}  # only the names count here
    targets = simulate_statistics(load_calibration({**base, "targets": placeholder}), truth)
    result = calibrate(load_calibration({**base, "targets": targets}), tmp_path, progress=None)
    for name, (low, high) in prior.items():
        estimate = result.summary["parameters"][name]
        assert estimate["ci90"][0] <= truth[name] <= estimate["ci90"][1], name
        assert estimate["sd"] < 0.5 * (high - low) / 12**0.5, name  # under half the uniform prior's sd
    assert result.history["epsilon"].is_monotonic_decreasing
    for name in ("posterior.csv", "generations.csv", "summary.json", "diagnostics.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_same_spec_same_posterior_serial_or_parallel(tmp_path):
    spec = spec_with_target(0.4)
    serial = calibrate(spec, tmp_path / "serial", progress=None)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver")) as pool:
        parallel = calibrate(spec, tmp_path / "parallel", executor=pool, progress=None)
    pd.testing.assert_frame_equal(serial.posterior, parallel.posterior)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"scenario": "atlantis"}, "unknown scenario 'atlantis'"),
        ({"parameters": {"initial_trust_mean": [0.9, 0.1]}}, "must be below high"),
        ({"parameters": {"trusty": [0.1, 0.9]}}, "unknown parameter 'trusty'"),
        ({"parameters": {"initial_trust_mean": [0.1, 2.0]}}, "out of range"),
        ({"targets": {"happiness": 0.5}}, "unknown target 'happiness'"),
        ({"window": [0, 99]}, "window"),
        ({"populaton_size": 5}, "unknown key 'populaton_size'"),
        ({"targets": {"mean_trust": {"above": 0.5}}}, "must be a number or one of"),
        ({"targets": {"mean_trust": {"at_least": "half"}}}, "must be a finite number"),
        ({"checks": {"mean_trust": 0.5}}, "must be a bound"),
        ({"checks": {"happiness": {"at_least": 0.5}}}, "unknown check 'happiness'"),
        ({"checks": [1, 2]}, r"\[checks\] must be a table"),
        ({"predictive_runs": -1}, "'predictive_runs' must be a whole number"),
    ],
)
def test_bad_specs_get_one_line_errors(change, message):
    data = {**BASE, "targets": {"mean_trust": 0.5}, **change}
    with pytest.raises(CalibrationError, match=message) as err:
        load_calibration(data)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "table, value, message",
    [
        ("targets", 1.31, "target 'trust_in_strangers' 1.31 is outside the values it can take: 0 to 1"),
        ("targets", -0.5, "target 'trust_in_strangers' -0.5 is outside the values it can take: 0 to 1"),
        ("targets", {"at_least": 7}, "target 'trust_in_strangers' at_least = 7 is outside the values it can take"),
        ("targets", {"at_most": -0.1}, "at_most = -0.1 is outside"),
        ("checks", {"at_least": 1.5}, "check 'trust_in_strangers' at_least = 1.5 is outside"),
    ],
)
def test_a_target_a_statistic_can_never_take_is_refused_before_anything_runs(table, value, message):
    """The reported fault: a share of 1.31, -0.5 or {at_least = 7} started a 30-minute calibration."""
    data = {**BASE, "targets": {"mean_trust": 0.5}}
    data[table] = {**data.get(table, {}), "trust_in_strangers": value}
    with pytest.raises(CalibrationError) as err:
        load_calibration(data)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_counts_and_costs_have_no_upper_bound_but_are_never_negative():
    assert load_calibration({**BASE, "targets": {"public_cost": 2500.0, "ngo_count": {"at_least": 12}}})
    with pytest.raises(CalibrationError, match="'public_cost' -3 is outside the values it can take: 0 or more"):
        load_calibration({**BASE, "targets": {"public_cost": -3}})


def test_calibrate_refuses_an_impossible_target_in_one_line_exit_2_and_writes_nothing(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text('scenario = "shenyang"\n[parameters]\ninitial_trust_mean = [0.1, 0.9]\n'
                    "[targets]\nmisperception_share = { at_least = 7 }\n")  # fmt: skip
    assert main(["calibrate", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "at_least = 7" in err and "0 to 1" in err
    assert not (tmp_path / "out").exists()


def test_every_column_stays_within_the_range_targets_are_checked_against():
    """The ranges of simulation.model.measures.value_range hold in runs of very different configurations."""
    for scenario in ("shanghai", "guardian", "early_withdrawal"):
        table = run_scenario(scenario, steps=36, seed=4, n_residents=200)
        for column in COLUMNS:
            if column in WORDS:
                continue
            low, high = value_range(column)
            within = table[column].between(low - 1e-9, high + 1e-9)  # a sum of shares can be 1 + 2e-16
            assert within.all(), (scenario, column, table[column].min(), table[column].max())


def test_the_shipped_karamay_spec_loads():
    spec = load_calibration("calibration/karamay.toml")
    assert spec.scenario == "karamay"
    assert spec.targets == {"trust_in_strangers": 0.31, "misperception_share": 0.7054}
    # "超过70.54%" is a lower bound; the priors reach into the mechanisms, not only the starting means.
    assert spec.sides == {"trust_in_strangers": "equal", "misperception_share": "at_least"}
    assert {"trust_threshold", "trust_gain_service", "ownership_learning_rate"} <= set(spec.priors)
    assert spec.checks["vulnerable_participant_share"] == ("at_least", 0.5)


def test_a_bound_counts_only_when_it_is_broken():
    distance = TargetDistance((("share", "at_least"), ("level", "equal"), ("cost", "at_most")))
    observed = {"share": 0.7, "level": 0.3, "cost": 10.0}
    assert distance({"share": 0.95, "level": 0.3, "cost": 2.0}, observed) == 0.0
    assert distance({"share": 0.6, "level": 0.3, "cost": 10.0}, observed) == pytest.approx(0.1)
    assert distance({"share": 0.7, "level": 0.2, "cost": 10.0}, observed) == pytest.approx(0.1)
    assert distance({"share": 0.7, "level": 0.4, "cost": 10.0}, observed) == pytest.approx(0.1)
    assert distance({"share": 0.7, "level": 0.3, "cost": 13.0}, observed) == pytest.approx(3.0)


def test_a_lower_bound_leaves_every_value_that_meets_it(tmp_path):
    """A point target pulls the posterior onto one value; the same number read as "at least" keeps the whole
    side of the prior that meets it."""
    middle = simulate_statistics(load_calibration({**BASE, "targets": {"mean_trust": 0.5}}),
                                 {"initial_trust_mean": 0.5})["mean_trust"]  # fmt: skip
    point = calibrate(load_calibration({**BASE, "targets": {"mean_trust": middle}, "predictive_runs": 0}),
                      tmp_path / "point", progress=None)  # fmt: skip
    bound = calibrate(load_calibration({**BASE, "targets": {"mean_trust": {"at_least": middle}},
                                        "predictive_runs": 0}), tmp_path / "bound", progress=None)  # fmt: skip

    def far_above(result):  # posterior weight on starting trust well above the value that gives the target
        posterior = result.posterior
        return posterior.loc[posterior["initial_trust_mean"] > 0.65, "weight"].sum() / posterior["weight"].sum()

    assert far_above(bound) > 0.3
    assert far_above(point) < 0.1
    assert bound.posterior["initial_trust_mean"].quantile(0.05) > 0.4  # below the bound is still ruled out


def test_the_calibration_reports_tables_and_a_predictive_check_not_pyabc_logs(tmp_path, caplog):
    spec = load_calibration({**BASE, "targets": {"mean_trust": 0.5}, "predictive_runs": 8,
                             "checks": {"participation_rate": {"at_most": 1.0}}})  # fmt: skip
    lines: list[str] = []
    with caplog.at_level("INFO"):
        result = calibrate(spec, tmp_path, progress=lines.append)
    assert not [record for record in caplog.records if record.name.startswith("ABC")]
    report = "\n".join(lines)
    assert "generation 3 of 3:" in report and "particles accepted from" in report
    assert "posterior predictive check (8 runs on seeds the calibration never used)" in report
    assert "participation_rate" in report and "at most 1" in report and "not a target" in report
    summary = json.loads((tmp_path / "summary.json").read_text())
    trust = summary["predictive"]["mean_trust"]
    low, high = trust["ci90"]
    assert low <= trust["median"] <= high
    assert summary["predictive"]["participation_rate"] == {**summary["predictive"]["participation_rate"],
                                                            "holds": True, "share_meeting": 1.0}  # fmt: skip
    table = pd.read_csv(tmp_path / "predictive.csv")
    assert len(table) == 8 and table["seed"].nunique() == 8
    assert (tmp_path / "predictive.png").stat().st_size > 0
    # The same posterior gives the same check, run for run.
    pd.testing.assert_frame_equal(posterior_predictive(spec, result.posterior), result.predictive)


# --- the output directory ------------------------------------------------------------------------------------------

TINY = {**BASE, "steps": 4, "window": [2, 4], "n_residents": 60, "population_size": 10, "generations": 1,
        "predictive_runs": 0, "targets": {"mean_trust": 0.5}}  # fmt: skip


def test_a_directory_holding_another_calibration_is_refused_and_new_dir_goes_beside_it(tmp_path):
    out = tmp_path / "cal"
    with results_dir(out, load_calibration(TINY)):  # a calibration interrupted before its first generation
        pass
    other = load_calibration({**TINY, "population_size": 12})
    with pytest.raises(CalibrationError) as refused:
        calibrate(other, out, progress=None)
    assert str(refused.value) == (f"{out} holds results of a different calibration (differs in: population_size); use "
                                  "--new-dir (a fresh directory beside it), another --out, or delete it")  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == [".lock", "manifest.json"]  # nothing was run or written
    result = calibrate(other, out, progress=None, new_dir=True)
    assert (tmp_path / "cal-2" / "posterior.csv").exists() and len(result.history) == 1
    assert json.loads((tmp_path / "cal-2" / "manifest.json").read_text())["complete"] is True


def test_a_calibration_is_not_continued_after_its_configuration_file_changed(tmp_path):
    scenario = tmp_path / "my_city.toml"
    scenario.write_text('title = "Test city"\ndescription = "written by the test"\n[policy]\nfunding = 4.0\n')
    spec = load_calibration({**TINY, "scenario": str(scenario)})
    calibrate(spec, tmp_path / "cal", progress=None)
    scenario.write_text(scenario.read_text().replace("4.0", "7.5"))
    with pytest.raises(CalibrationError, match=r"holds runs made with other inputs: changed configuration .*funding "
                                               r"4\.0 -> 7\.5; resuming would mix them"):  # fmt: skip
        calibrate(load_calibration({**TINY, "scenario": str(scenario)}), tmp_path / "cal", progress=None)
