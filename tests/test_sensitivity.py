"""Sensitivity analysis against functions whose indices are known analytically."""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from simulation.experiments.sensitivity import (
    Problem,
    analyze,
    design_caveat,
    evaluate,
    plot_indices,
    problem_from_bounds,
    row_caveats,
    sample,
    second_order,
    sensitivity,
    write_results,
)

A, B = 7.0, 0.1
ISHIGAMI = problem_from_bounds({name: (-math.pi, math.pi) for name in ("x1", "x2", "x3")})

LINEAR_COEFFICIENTS = {"a": 2.0, "b": -3.0, "c": 0.5, "d": 0.0}
LINEAR = problem_from_bounds({"a": (0.0, 1.0), "b": (0.0, 2.0), "c": (-1.0, 5.0), "d": (0.0, 1.0)})


def ishigami(p: dict[str, float]) -> float:
    return math.sin(p["x1"]) + A * math.sin(p["x2"]) ** 2 + B * p["x3"] ** 4 * math.sin(p["x1"])


def linear(p: dict[str, float]) -> float:
    return sum(c * p[name] for name, c in LINEAR_COEFFICIENTS.items())


def two_outputs(p: dict[str, float]) -> dict[str, float]:
    return {"ishigami": ishigami(p), "twice_x2": 2 * p["x2"]}


def ishigami_analytic() -> tuple[np.ndarray, np.ndarray]:
    """First and total order indices of the Ishigami function (Saltelli et al. 2008, p. 179)."""
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / total, np.array([v1 + v13, v2, v13]) / total


def linear_analytic() -> np.ndarray:
    """S1 = ST = c_i^2 var_i / sum_j c_j^2 var_j for independent uniform inputs."""
    parts = np.array(
        [
            c**2 * (high - low) ** 2 / 12
            for c, (low, high) in zip(LINEAR_COEFFICIENTS.values(), LINEAR.bounds, strict=True)
        ]
    )
    return parts / parts.sum()


# --- Sobol' --------------------------------------------------------------------------------------


def test_ishigami_sobol_indices_match_the_analytic_values():
    result = sensitivity(ishigami, ISHIGAMI, "sobol", 1024, seed=3)
    s1, st = ishigami_analytic()
    table = result.indices
    assert list(table.columns) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert list(table["parameter"]) == ["x1", "x2", "x3"]
    np.testing.assert_allclose(table["S1"], s1, atol=0.05)
    np.testing.assert_allclose(table["ST"], st, atol=0.05)
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.15).all()
    assert result.second_order is None  # opt-in: it nearly doubles the runs


def test_ishigami_second_order_finds_the_x1_x3_interaction():
    result = sensitivity(ishigami, ISHIGAMI, "sobol", 1024, seed=3, calc_second_order=True)
    pairs = result.second_order.set_index(["parameter_1", "parameter_2"])["S2"]
    _, st = ishigami_analytic()
    assert pairs[("x1", "x3")] == pytest.approx(st[2], abs=0.06)
    assert abs(pairs[("x1", "x2")]) < 0.06 and abs(pairs[("x2", "x3")]) < 0.06
    assert len(result.samples) == 1024 * (2 * 3 + 2)


def test_linear_function_first_equals_total_and_no_interactions():
    result = sensitivity(linear, LINEAR, "sobol", 1024, seed=5, calc_second_order=True)
    expected = linear_analytic()
    np.testing.assert_allclose(result.indices["S1"], expected, atol=0.03)
    np.testing.assert_allclose(result.indices["ST"], expected, atol=0.03)
    np.testing.assert_allclose(result.second_order["S2"], 0.0, atol=0.05)


def test_analysis_reads_second_order_off_the_design_length():
    X = sample(LINEAR, "sobol", 256, seed=1, calc_second_order=True)
    Y = [linear(p) for p in LINEAR.as_dicts(X)]
    assert analyze(LINEAR, "sobol", X, Y, seed=1).equals(analyze(LINEAR, "sobol", X, Y, seed=1, calc_second_order=True))
    assert set(second_order(LINEAR, X, Y, seed=1)["parameter_1"]) == {"a", "b", "c"}
    with pytest.raises(ValueError, match="calc_second_order=False"):
        analyze(LINEAR, "sobol", X, Y, seed=1, calc_second_order=False)


def test_a_design_given_as_a_dataframe_is_matched_by_column_name():
    X = sample(LINEAR, "sobol", 128, seed=2)
    Y = [linear(p) for p in LINEAR.as_dicts(X)]
    shuffled = pd.DataFrame(X, columns=list(LINEAR.names))[["d", "c", "b", "a"]]
    pd.testing.assert_frame_equal(analyze(LINEAR, "sobol", shuffled, Y, seed=2), analyze(LINEAR, "sobol", X, Y, seed=2))
    with pytest.raises(ValueError, match="lack the parameter column"):
        analyze(LINEAR, "sobol", shuffled.drop(columns="a"), Y, seed=2)


def test_seed_zero_reproduces_the_confidence_intervals():
    # SALib's sobol.analyze ignores a falsy seed; seed 0 must still be reproducible.
    X = sample(ISHIGAMI, "sobol", 256, seed=0)
    Y = [ishigami(p) for p in ISHIGAMI.as_dicts(X)]
    pd.testing.assert_frame_equal(analyze(ISHIGAMI, "sobol", X, Y, seed=0), analyze(ISHIGAMI, "sobol", X, Y, seed=0))
    np.testing.assert_array_equal(X, sample(ISHIGAMI, "sobol", 256, seed=0))


def test_constant_output_gives_nan_indices_with_a_warning():
    X = sample(LINEAR, "sobol", 64, seed=1)
    with pytest.warns(UserWarning, match="'flat' is the same in every run"):
        table = analyze(LINEAR, "sobol", X, pd.DataFrame({"flat": np.ones(len(X))}), seed=1)
    assert table[["S1", "ST"]].isna().all().all()


# --- Morris --------------------------------------------------------------------------------------


def test_morris_on_a_linear_function_ranks_by_coefficient_times_range():
    result = sensitivity(linear, LINEAR, "morris", 30, seed=2)
    table = result.indices.set_index("parameter")
    assert list(result.indices.columns) == ["output", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
    expected = {
        name: abs(c) * (high - low)
        for (name, c), (low, high) in zip(LINEAR_COEFFICIENTS.items(), LINEAR.bounds, strict=True)
    }
    for name, value in expected.items():
        assert table.loc[name, "mu_star"] == pytest.approx(value, abs=1e-9)
    assert table.loc["b", "mu"] == pytest.approx(-6.0)  # the sign survives in mu, not in mu_star
    assert list(table["mu_star"].sort_values(ascending=False).index) == ["b", "c", "a", "d"]
    np.testing.assert_allclose(table["sigma"], 0.0, atol=1e-9)  # linear: every elementary effect is the same
    assert table.loc["d", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert len(result.samples) == 30 * (4 + 1)


def test_morris_num_levels_reaches_sampling_and_analysis_alike():
    result = sensitivity(linear, LINEAR, "morris", 20, seed=2, num_levels=6)
    assert result.indices.set_index("parameter").loc["a", "mu_star"] == pytest.approx(2.0)
    assert result.samples["a"].nunique() <= 6


# --- several outputs, executors ------------------------------------------------------------------


def test_a_dict_of_outputs_gives_one_block_per_output():
    result = sensitivity(two_outputs, ISHIGAMI, "sobol", 512, seed=4)
    table = result.indices
    assert list(dict.fromkeys(table["output"])) == ["ishigami", "twice_x2"]
    assert list(result.outputs.columns) == ["ishigami", "twice_x2"]
    alone = sensitivity(ishigami, ISHIGAMI, "sobol", 512, seed=4).indices
    np.testing.assert_allclose(table.loc[table["output"] == "ishigami", "S1"], alone["S1"])
    only_x2 = table[table["output"] == "twice_x2"].set_index("parameter")
    assert only_x2.loc["x2", "S1"] == pytest.approx(1.0, abs=0.02)
    assert abs(only_x2.loc["x1", "ST"]) < 1e-9


def test_executor_results_are_identical_to_the_serial_path():
    serial = sensitivity(two_outputs, ISHIGAMI, "sobol", 128, seed=7)
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = sensitivity(two_outputs, ISHIGAMI, "sobol", 128, seed=7, executor=pool)
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        processes = sensitivity(two_outputs, ISHIGAMI, "sobol", 128, seed=7, executor=pool)
    for other in (threaded, processes):
        pd.testing.assert_frame_equal(serial.outputs, other.outputs)
        pd.testing.assert_frame_equal(serial.indices, other.indices)


def test_evaluate_passes_plain_float_dictionaries():
    seen = []
    evaluate(lambda p: seen.append(p) or 0.0, LINEAR, sample(LINEAR, "morris", 2, seed=1))
    assert all(type(v) is float for p in seen for v in p.values())
    assert list(seen[0]) == ["a", "b", "c", "d"]


# --- output files and figures --------------------------------------------------------------------


def test_plot_has_one_panel_per_output_and_saves(tmp_path):
    result = sensitivity(two_outputs, ISHIGAMI, "sobol", 128, seed=1)
    fig = plot_indices(result.indices, tmp_path / "indices.png")
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["ishigami", "twice_x2"]
    assert (tmp_path / "indices.png").stat().st_size > 10_000


def test_write_results_writes_csv_and_png(tmp_path):
    result = sensitivity(linear, LINEAR, "sobol", 64, seed=1, calc_second_order=True)
    paths = result.write(tmp_path / "out")
    assert set(paths) == {"indices", "figure", "second_order", "runs"}
    read = pd.read_csv(paths["indices"])
    assert list(read.columns) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf", "caveat"]
    assert len(pd.read_csv(paths["runs"])) == len(result.samples)
    morris = sensitivity(linear, LINEAR, "morris", 10, seed=1)
    written = write_results(morris.indices, tmp_path / "m", "morris")
    assert written["figure"].name == "morris_indices.png" and written["figure"].exists()


# --- what a design is too small to say --------------------------------------------------------------


def test_a_design_too_small_for_its_noise_says_so_in_one_line_and_beside_each_row(tmp_path):
    """The reported fault: `sensitivity --samples 16` printed S1 = 1.19, negative indices and intervals wider than
    the indices, and nothing said they could not be read."""
    rng = np.random.default_rng(0)
    small = sensitivity(lambda p: ishigami(p) + rng.normal(0, 3), ISHIGAMI, "sobol", 16, seed=1)
    caveat = design_caveat(small.indices)
    assert caveat.startswith("caveat: in ") and "wider than its index" in caveat and "\n" not in caveat
    written = pd.read_csv(small.write(tmp_path)["indices"])
    assert written["caveat"].str.contains("interval wider than the index").sum() == int(caveat.split()[2])
    large = sensitivity(ishigami, ISHIGAMI, "sobol", 1024, seed=1)
    assert design_caveat(large.indices) == ""  # a design big enough for its numbers is not flagged


def test_an_index_outside_zero_and_one_beyond_its_interval_is_flagged_a_small_one_within_noise_is_not():
    table = pd.DataFrame({"output": "y", "parameter": ["a", "b", "c", "d"],
                          "S1": [1.19, -0.3, 0.02, 0.5], "S1_conf": [0.05, 0.1, 0.03, 0.05],
                          "ST": [1.2, 0.1, 0.03, 0.6], "ST_conf": [0.05, 0.05, 0.02, 0.05]})  # fmt: skip
    notes = row_caveats(table)
    assert "S1 outside [0, 1] beyond its interval" in notes[0] and "ST outside" in notes[0]
    assert "S1 outside" in notes[1]
    assert notes[2] == ""  # no effect, a narrow interval around 0: nothing to say
    assert notes[3] == ""
    assert "in 2 of 4 rows an index lies outside [0, 1]" in design_caveat(table)


def test_morris_intervals_wider_than_mu_star_are_flagged():
    table = pd.DataFrame({"output": "y", "parameter": ["a", "b", "c"], "mu": 0.0, "mu_star": [1.0, 0.4, 0.01],
                          "mu_star_conf": [0.2, 0.5, 0.02], "sigma": 0.0})  # fmt: skip
    assert list(row_caveats(table) != "") == [False, True, False]  # c: wider, but a hundredth of a's effect
    assert "in 1 of 3 rows" in design_caveat(table)


# --- bad input -----------------------------------------------------------------------------------


def _one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    "call",
    [
        lambda: sample(LINEAR, "fast", 64, seed=1),
        lambda: analyze(LINEAR, "fast", np.zeros((6, 4)), np.zeros(6), seed=1),
        lambda: sensitivity(linear, LINEAR, "fast", 64, seed=1),
    ],
)
def test_unknown_method_is_named(call):
    with pytest.raises(ValueError) as excinfo:
        call()
    assert "unknown sensitivity method 'fast'; choose one of: morris, sobol" in _one_line(excinfo)


@pytest.mark.parametrize("bounds", [{"a": (1.0, 1.0)}, {"a": (2.0, 1.0)}, {"a": (0.0, math.inf)}, {"a": (1.0,)}])
def test_bad_bounds_are_refused(bounds):
    with pytest.raises(ValueError) as excinfo:
        problem_from_bounds(bounds)
    assert "'a'" in _one_line(excinfo)


def test_problem_round_trips_through_salib():
    assert Problem.from_salib(LINEAR.to_salib()) == LINEAR
    with pytest.raises(ValueError, match="needs 'names' and 'bounds'"):
        Problem.from_salib({"num_vars": 1})


def test_problem_checks_names():
    with pytest.raises(ValueError, match="repeated: a"):
        Problem(("a", "a"), ((0, 1), (0, 1)))
    with pytest.raises(ValueError, match="2 parameter names but 1 bounds"):
        Problem(("a", "b"), ((0, 1),))


def test_mismatched_outputs_are_refused():
    X = sample(LINEAR, "sobol", 64, seed=1)
    with pytest.raises(ValueError) as excinfo:
        analyze(LINEAR, "sobol", X, np.zeros(len(X) - 1), seed=1)
    assert "outputs have 383 rows but the design has 384 runs" in _one_line(excinfo)


@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda: sample(LINEAR, "sobol", 1000, seed=1), "power of 2 for Sobol' sampling, got 1000 (try 512 or 1024)"),
        (lambda: sample(LINEAR, "sobol", 64, seed=1, num_levels=4), "unknown option(s) for sobol sampling: num_levels"),
        (lambda: analyze(LINEAR, "sobol", np.zeros((11, 4)), np.zeros(11), seed=1), "do not form a Sobol' design"),
        (lambda: analyze(LINEAR, "sobol", np.zeros((12, 3)), np.zeros(12), seed=1), "shape (runs, 4)"),
        (lambda: sensitivity(lambda p: math.nan, LINEAR, "morris", 4, seed=1), "non-finite"),
        (lambda: analyze(LINEAR, "morris", np.zeros((7, 4)), np.zeros(7), seed=1), "do not form Morris trajectories"),
        (
            lambda: analyze(LINEAR, "morris", sample(LINEAR, "morris", 4, seed=1), np.zeros(20), seed=1, num_levels=3),
            "not on a num_levels=3 grid",
        ),
        (lambda: sensitivity(linear, LINEAR, "morris", 4, seed=1, colour="red"), "unknown option(s)"),
    ],
)
def test_other_bad_input_gets_a_one_line_message(call, expected):
    with pytest.raises(ValueError) as excinfo:
        call()
    assert expected in _one_line(excinfo)
