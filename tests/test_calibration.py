"""ABC calibration: specs are checked, a known parameter is recovered, and results are reproducible."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import pytest

from simulation.calibration import CalibrationError, calibrate, load_calibration, simulate_statistics

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


def test_calibration_recovers_a_known_parameter(tmp_path):
    result = calibrate(spec_with_target(0.7), tmp_path, progress=None)
    estimate = result.summary["parameters"]["initial_trust_mean"]
    assert estimate["mean"] == pytest.approx(0.7, abs=0.08)
    assert estimate["sd"] < 0.2  # narrower than the uniform prior's 0.23
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
    ],
)
def test_bad_specs_get_one_line_errors(change, message):
    data = {**BASE, "targets": {"mean_trust": 0.5}, **change}
    with pytest.raises(CalibrationError, match=message) as err:
        load_calibration(data)
    assert "\n" not in str(err.value)


def test_the_shipped_karamay_spec_loads():
    spec = load_calibration("calibration/karamay.toml")
    assert spec.scenario == "karamay"
    assert spec.targets == {"trust_in_strangers": 0.31, "misperception_share": 0.705}
