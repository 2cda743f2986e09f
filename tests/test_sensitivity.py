"""Sensitivity analysis against functions whose indices are known analytically."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from simulation.experiments.designs import Bounds, Design, Problem, build_design, parse_design
from simulation.experiments.sensitivity import analyze, design_caveat, plot_indices, row_caveats, write_results

A, B = 7.0, 0.1
ISHIGAMI = Problem(("x1", "x2", "x3"), ((-math.pi, math.pi),) * 3)

LINEAR_COEFFICIENTS = {"a": 2.0, "b": -3.0, "c": 0.5, "d": 0.0}
LINEAR = Problem(tuple(LINEAR_COEFFICIENTS), ((0.0, 1.0), (0.0, 2.0), (-1.0, 5.0), (0.0, 1.0)))


def ishigami(p: dict[str, float]) -> float:
    return math.sin(p["x1"]) + A * math.sin(p["x2"]) ** 2 + B * p["x3"] ** 4 * math.sin(p["x1"])


def linear(p: dict[str, float]) -> float:
    return sum(c * p[name] for name, c in LINEAR_COEFFICIENTS.items())


def two_outputs(p: dict[str, float]) -> dict[str, float]:
    return {"ishigami": ishigami(p), "twice_x2": 2 * p["x2"]}


def design(problem: Problem, method: str, samples: int, seed: int, **options) -> Design:
    """The design a sweep file with these [vary] bounds and [design] table draws (a sweep's seed is ``seed``)."""
    factors = [Bounds(name, low, high) for name, (low, high) in zip(problem.names, problem.bounds, strict=True)]
    return build_design(parse_design({"method": method, "samples": samples, **options}), factors, seed)


def outputs(func, points: Design) -> pd.DataFrame:
    """``func`` at every design point, one column per output (``y`` when it returns a number)."""
    values = [func(p) for p in points.all_point_params()]
    return pd.DataFrame(values if isinstance(values[0], dict) else {"y": values})


def indices(func, problem: Problem, method: str, samples: int, seed: int, **options):
    """A sweep of ``func`` analysed: (design, outputs, indices, second-order pairs or None)."""
    points = design(problem, method, samples, seed, **options)
    Y = outputs(func, points)
    return points, Y, *analyze(points, Y, seed=seed)


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
    _, _, table, pairs = indices(ishigami, ISHIGAMI, "sobol", 1024, seed=3)
    s1, st = ishigami_analytic()
    assert list(table.columns) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert list(table["parameter"]) == ["x1", "x2", "x3"]
    np.testing.assert_allclose(table["S1"], s1, atol=0.05)
    np.testing.assert_allclose(table["ST"], st, atol=0.05)
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.15).all()
    assert pairs is None  # second order is opt-in: it nearly doubles the runs


def test_ishigami_second_order_finds_the_x1_x3_interaction():
    points, _, _, pairs = indices(ishigami, ISHIGAMI, "sobol", 1024, seed=3, calc_second_order=True)
    pairs = pairs.set_index(["parameter_1", "parameter_2"])["S2"]
    _, st = ishigami_analytic()
    assert pairs[("x1", "x3")] == pytest.approx(st[2], abs=0.06)
    assert abs(pairs[("x1", "x2")]) < 0.06 and abs(pairs[("x2", "x3")]) < 0.06
    assert len(points) == 1024 * (2 * 3 + 2)


def test_linear_function_first_equals_total_and_no_interactions():
    _, _, table, pairs = indices(linear, LINEAR, "sobol", 1024, seed=5, calc_second_order=True)
    expected = linear_analytic()
    np.testing.assert_allclose(table["S1"], expected, atol=0.03)
    np.testing.assert_allclose(table["ST"], expected, atol=0.03)
    np.testing.assert_allclose(pairs["S2"], 0.0, atol=0.05)


def test_seed_zero_reproduces_the_confidence_intervals():
    # SALib's sobol.analyze ignores a falsy seed; seed 0 must still be reproducible.
    points = design(ISHIGAMI, "sobol", 256, seed=0)
    Y = outputs(ishigami, points)
    pd.testing.assert_frame_equal(analyze(points, Y, seed=0)[0], analyze(points, Y, seed=0)[0])
    np.testing.assert_array_equal(points.matrix, design(ISHIGAMI, "sobol", 256, seed=0).matrix)


def test_constant_output_gives_nan_indices_with_a_warning():
    points = design(LINEAR, "sobol", 64, seed=1)
    with pytest.warns(UserWarning, match="'flat' is the same in every run"):
        table, _ = analyze(points, pd.DataFrame({"flat": np.ones(len(points))}), seed=1)
    assert table[["S1", "ST"]].isna().all().all()


# --- Morris --------------------------------------------------------------------------------------


def test_morris_on_a_linear_function_ranks_by_coefficient_times_range():
    points, _, indices_table, _ = indices(linear, LINEAR, "morris", 30, seed=2)
    table = indices_table.set_index("parameter")
    assert list(indices_table.columns) == ["output", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
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
    assert len(points) == 30 * (4 + 1)


def test_morris_num_levels_reaches_sampling_and_analysis_alike():
    points, _, table, _ = indices(linear, LINEAR, "morris", 20, seed=2, num_levels=6)
    assert table.set_index("parameter").loc["a", "mu_star"] == pytest.approx(2.0)
    assert points.points["a"].nunique() <= 6


# --- several outputs -----------------------------------------------------------------------------


def test_a_dict_of_outputs_gives_one_block_per_output():
    _, Y, table, _ = indices(two_outputs, ISHIGAMI, "sobol", 512, seed=4)
    assert list(dict.fromkeys(table["output"])) == ["ishigami", "twice_x2"]
    assert list(Y.columns) == ["ishigami", "twice_x2"]
    alone = indices(ishigami, ISHIGAMI, "sobol", 512, seed=4)[2]
    np.testing.assert_allclose(table.loc[table["output"] == "ishigami", "S1"], alone["S1"])
    only_x2 = table[table["output"] == "twice_x2"].set_index("parameter")
    assert only_x2.loc["x2", "S1"] == pytest.approx(1.0, abs=0.02)
    assert abs(only_x2.loc["x1", "ST"]) < 1e-9


# --- output files and figures --------------------------------------------------------------------


def test_plot_has_one_panel_per_output_and_saves(tmp_path):
    table = indices(two_outputs, ISHIGAMI, "sobol", 128, seed=1)[2]
    fig = plot_indices(table, tmp_path / "indices.png")
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["ishigami", "twice_x2"]
    assert (tmp_path / "indices.png").stat().st_size > 10_000


def test_write_results_writes_csv_and_png(tmp_path):
    _, _, table, pairs = indices(linear, LINEAR, "sobol", 64, seed=1, calc_second_order=True)
    paths = write_results(table, tmp_path / "out", "sobol", second_order=pairs)
    assert set(paths) == {"indices", "figure", "second_order"}
    read = pd.read_csv(paths["indices"])
    assert list(read.columns) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf", "caveat"]
    assert len(pd.read_csv(paths["second_order"])) == len(pairs)
    morris = indices(linear, LINEAR, "morris", 10, seed=1)[2]
    written = write_results(morris, tmp_path / "m", "morris")
    assert written["figure"].name == "morris_indices.png" and written["figure"].exists()


# --- what a design is too small to say --------------------------------------------------------------


def test_a_design_too_small_for_its_noise_says_so_in_one_line_and_beside_each_row(tmp_path):
    """The reported fault: `sensitivity --samples 16` printed S1 = 1.19, negative indices and intervals wider than
    the indices, and nothing said they could not be read."""
    rng = np.random.default_rng(0)
    small = indices(lambda p: ishigami(p) + rng.normal(0, 3), ISHIGAMI, "sobol", 16, seed=1)[2]
    caveat = design_caveat(small)
    assert caveat.startswith("caveat: in ") and "wider than its index" in caveat and "\n" not in caveat
    written = pd.read_csv(write_results(small, tmp_path, "sobol")["indices"])
    assert written["caveat"].str.contains("interval wider than the index").sum() == int(caveat.split()[2])
    large = indices(ishigami, ISHIGAMI, "sobol", 1024, seed=1)[2]
    assert design_caveat(large) == ""  # a design big enough for its numbers is not flagged


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


def test_a_design_without_indices_is_named():
    lhs = design(LINEAR, "lhs", 8, seed=1)
    with pytest.raises(ValueError) as excinfo:
        analyze(lhs, np.zeros(8), seed=1)
    assert "a lhs design has no sensitivity indices; choose one of: morris, sobol" in _one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:
        write_results(pd.DataFrame(), "unused", "fast")
    assert "unknown sensitivity method 'fast'; choose one of: morris, sobol" in _one_line(excinfo)


def test_mismatched_outputs_are_refused():
    points = design(LINEAR, "sobol", 64, seed=1)
    with pytest.raises(ValueError) as excinfo:
        analyze(points, np.zeros(len(points) - 1), seed=1)
    assert "outputs have 383 rows but the design has 384 runs" in _one_line(excinfo)


def test_an_output_without_a_number_for_every_run_is_refused():
    points = design(LINEAR, "morris", 4, seed=1)
    with pytest.raises(ValueError) as excinfo:
        analyze(points, np.full(len(points), math.nan), seed=1)
    assert "output 'y' has 20 missing or non-finite value(s)" in _one_line(excinfo)
