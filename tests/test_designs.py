"""Parameter designs: grids, Latin hypercubes, Sobol' and Morris samples, and their one-line errors.

No model runs here: these tests check the points a sweep will run, and that a
sampled design's problem and matrix can go straight back into SALib.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from simulation.experiments.designs import (
    DESIGN_STREAM,
    Bounds,
    DesignError,
    DesignSpec,
    Levels,
    Problem,
    build_design,
    n_points,
    parse_design,
    parse_factor,
    run_seed,
)


def factors(method: str, vary: dict) -> list:
    return [parse_factor(name, spec, method) for name, spec in vary.items()]


# --- grid ---------------------------------------------------------------------------------


def test_grid_is_the_full_factorial_with_the_first_parameter_varying_slowest():
    fs = factors("grid", {"funding": [3.0, 9.0], "mode": ["directive", "supportive", "supervisory"]})
    design = build_design(DesignSpec(), fs)
    assert len(design) == 6 == n_points(DesignSpec(), fs)
    assert design.points["funding"].tolist() == [3.0, 3.0, 3.0, 9.0, 9.0, 9.0]
    assert design.points["mode"].tolist() == ["directive", "supportive", "supervisory"] * 2
    assert design.all_point_params()[4] == {"funding": 9.0, "mode": "supportive"}
    assert design.problem is None and design.matrix is None


def test_a_range_gives_evenly_spaced_levels_and_stays_integer_when_its_ends_are():
    assert parse_factor("n", {"start": 100, "stop": 300, "num": 3}, "grid") == Levels("n", (100, 200, 300))
    levels = parse_factor("x", {"start": 0.0, "stop": 1.0, "num": 5}, "grid").values
    assert levels == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert all(type(v) is int for v in parse_factor("n", {"start": 1, "stop": 3, "num": 3}, "grid").values)


def test_an_empty_grid_is_one_point_with_no_parameters():
    design = build_design(DesignSpec(), [])
    assert len(design) == 1
    assert design.all_point_params() == [{}]


# --- sampled designs ----------------------------------------------------------------------

BOUNDS = {"a": {"low": 0.0, "high": 1.0}, "b": {"low": -5.0, "high": 5.0}, "c": {"low": 10.0, "high": 20.0}}


def test_latin_hypercube_puts_one_point_in_each_stratum_of_every_parameter():
    spec = parse_design({"method": "lhs", "samples": 20})
    design = build_design(spec, factors("lhs", BOUNDS), sweep_seed=3)
    assert design.matrix.shape == (20, 3) == (len(design), len(BOUNDS))
    for j, (low, high) in enumerate(design.problem.bounds):
        column = design.matrix[:, j]
        assert column.min() >= low and column.max() <= high
        strata = np.floor((column - low) / (high - low) * 20).astype(int)
        assert sorted(strata) == list(range(20))


def test_sampled_designs_depend_on_the_sweep_seed_only():
    spec = parse_design({"method": "lhs", "samples": 8})
    first = build_design(spec, factors("lhs", BOUNDS), sweep_seed=1).matrix
    again = build_design(spec, factors("lhs", BOUNDS), sweep_seed=1).matrix
    other = build_design(spec, factors("lhs", BOUNDS), sweep_seed=2).matrix
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


@pytest.mark.parametrize("second_order, per_base", [(True, 2 * 3 + 2), (False, 3 + 2)])
def test_sobol_is_saltellis_sample_from_salib(second_order, per_base):
    spec = parse_design({"method": "sobol", "samples": 16, "calc_second_order": second_order})
    design = build_design(spec, factors("sobol", BOUNDS), sweep_seed=9)
    assert len(design) == 16 * per_base == n_points(spec, factors("sobol", BOUNDS))
    expected = sobol_sample.sample(
        design.problem.to_salib(), 16, calc_second_order=second_order, seed=run_seed(9, *DESIGN_STREAM)
    )
    np.testing.assert_array_equal(design.matrix, expected)


def test_the_sobol_problem_and_matrix_go_straight_back_into_salib():
    """Y = 4a + b/5 (c is inert): first-order indices of about 0.8, 0.2 and 0 from the stored design."""
    spec = parse_design({"method": "sobol", "samples": 256, "calc_second_order": False})
    design = build_design(spec, factors("sobol", BOUNDS), sweep_seed=0)
    y = 4 * design.matrix[:, 0] + design.matrix[:, 1] / 5
    indices = sobol_analyze.analyze(design.problem.to_salib(), y, calc_second_order=False, seed=0)
    np.testing.assert_allclose(indices["S1"], [16 / 20, 4 / 20, 0.0], atol=0.05)


def test_morris_trajectories_move_one_parameter_at_a_time_on_the_levels():
    spec = parse_design({"method": "morris", "samples": 5, "num_levels": 4})
    design = build_design(spec, factors("morris", BOUNDS), sweep_seed=4)
    assert len(design) == 5 * (3 + 1)
    unit = (design.matrix - [0.0, -5.0, 10.0]) / [1.0, 10.0, 10.0]
    np.testing.assert_allclose(unit * 3, np.round(unit * 3), atol=1e-9)  # on the 4 levels 0, 1/3, 2/3, 1
    steps = np.abs(np.diff(unit.reshape(5, 4, 3), axis=1)) > 1e-9
    assert (steps.sum(axis=2) == 1).all()  # each step of a trajectory changes exactly one parameter


def test_integer_parameters_are_rounded_but_the_raw_sample_is_kept():
    spec = parse_design({"method": "lhs", "samples": 10})
    fs = [parse_factor("n", {"low": 100, "high": 200}, "lhs", integer=True), Bounds("x", 0.0, 1.0)]
    design = build_design(spec, fs, sweep_seed=0)
    assert design.points["n"].dtype == np.int64
    np.testing.assert_array_equal(design.points["n"], np.rint(design.matrix[:, 0]))
    assert not np.all(design.matrix[:, 0] == np.rint(design.matrix[:, 0]))
    assert isinstance(design.all_point_params()[0]["n"], int)


# --- one-line errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "table, message",
    [
        ({"method": "factorial"}, "method = 'factorial' is not known; choose one of: grid, lhs, sobol, morris"),
        ({"method": "lhs"}, "[design] samples is missing"),
        ({"method": "lhs", "samples": 0}, "[design] samples must be a whole number, at least 1, got 0"),
        ({"method": "lhs", "samples": 8, "num_levels": 4}, "'num_levels' does not apply to method 'lhs'"),
        ({"method": "grid", "samples": 8}, "'samples' does not apply to method 'grid'; valid keys: method"),
        ({"method": "sobol", "samples": 100}, "must be a power of two"),
        ({"method": "sobol", "samples": 64, "calc_second_order": "yes"}, "calc_second_order must be true or false"),
        ({"method": "morris", "samples": 10, "num_levels": 5}, "even number of levels"),
        ("lhs", "[design] must be a table"),
    ],
)
def test_bad_design_tables_get_one_line_errors(table, message):
    with pytest.raises(DesignError) as err:
        parse_design(table)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "spec, method, message",
    [
        ([], "grid", "[vary] x: the list of values is empty"),
        ([1, "a"], "grid", "values mix numbers and text"),
        ([1, 1], "grid", "values repeat"),
        ([[1, 2]], "grid", "values must be numbers, text or true/false"),
        (3.0, "grid", "give a list of values or a range {start, stop, num}"),
        ({"start": 0, "stop": 1}, "grid", "[vary] x is missing 'num' (needs start, stop, num)"),
        (
            {"start": 0, "stop": 1, "num": 3, "step": 1},
            "grid",
            "unknown key 'step' in [vary] x (did you mean 'stop'?); valid: start, stop, num",
        ),
        ({"low": 1, "high": 2}, "grid", "unknown key 'low'"),
        ([1, 2], "lhs", 'lists of values are for method = "grid"'),
        ({"low": 2.0, "high": 1.0}, "lhs", "low (2) must be below high (1)"),
        ({"low": 1.0, "high": 1.0}, "sobol", "must be below high"),
        ({"low": 0.0}, "lhs", "missing 'high'"),
        ({"low": "a", "high": 1.0}, "lhs", "low must be a finite number"),
    ],
)
def test_bad_vary_entries_get_one_line_errors(spec, method, message):
    with pytest.raises(DesignError) as err:
        parse_factor("x", spec, method)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_sampled_design_needs_something_to_vary():
    with pytest.raises(DesignError, match=r"\[vary\] is empty: method 'lhs' needs at least one parameter"):
        build_design(parse_design({"method": "lhs", "samples": 4}), [])


# --- the problem of a sampled design ------------------------------------------------------


@pytest.mark.parametrize("bounds", [(1.0, 1.0), (2.0, 1.0), (0.0, math.inf)])
def test_bad_bounds_are_refused(bounds):
    with pytest.raises(ValueError) as excinfo:
        Problem(("a",), (bounds,))
    assert "'a'" in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_problem_round_trips_through_salib():
    problem = Problem(("a", "b"), ((0.0, 1.0), (-5.0, 5.0)))
    assert Problem.from_salib(problem.to_salib()) == problem
    with pytest.raises(ValueError, match="needs 'names' and 'bounds'"):
        Problem.from_salib({"num_vars": 1})


def test_problem_checks_names():
    with pytest.raises(ValueError, match="repeated: a"):
        Problem(("a", "a"), ((0, 1), (0, 1)))
    with pytest.raises(ValueError, match="2 parameter names but 1 bounds"):
        Problem(("a", "b"), ((0, 1),))
