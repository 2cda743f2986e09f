"""Scenario discovery on synthetic data whose answer is known: x1 > 0.6 and x2 < 0.3."""

from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from simulation.experiments import discovery as discovery_module
from simulation.experiments.discovery import discover, plot_discovery, write_discovery

N_RUNS = 2000
TOLERANCE = 0.05


@pytest.fixture(scope="module")
def runs() -> tuple[pd.DataFrame, pd.Series]:
    """Uniform samples of three parameters; x3 plays no part in the outcome."""
    rng = np.random.default_rng(11)
    X = pd.DataFrame(rng.uniform(size=(N_RUNS, 3)), columns=["x1", "x2", "x3"])
    outcome = pd.Series((X["x1"] > 0.6) & (X["x2"] < 0.3), name="independent")
    return X, outcome


@pytest.fixture(scope="module")
def prim_found(runs):
    """PRIM is run once for the module: importing ema_workbench alone takes a few seconds."""
    return discover(*runs)


def _limits(found, box: int = 1) -> pd.DataFrame:
    table = found.boxes
    return table[table["box"] == box].set_index("parameter")


def test_prim_box_restricts_x1_and_x2_near_the_true_limits(prim_found):
    limits = _limits(prim_found)
    assert set(limits.index) == {"x1", "x2"}  # x3 is irrelevant and stays free
    assert limits.loc["x1", "low"] == pytest.approx(0.6, abs=TOLERANCE)
    assert math.isnan(limits.loc["x1", "high"])
    assert limits.loc["x2", "high"] == pytest.approx(0.3, abs=TOLERANCE)
    assert math.isnan(limits.loc["x2", "low"])
    box = prim_found.regions[0]
    assert box.density >= 0.9 and box.coverage >= 0.9
    assert box.mass == pytest.approx(0.4 * 0.3, abs=0.03)
    assert list(prim_found.boxes.columns) == [
        "box",
        "parameter",
        "low",
        "high",
        "values",
        "coverage",
        "density",
        "mass",
        "n_runs",
    ]


def test_prim_statistics_agree_with_the_data(runs, prim_found):
    X, outcome = runs
    limits = _limits(prim_found)
    inside = (X["x1"] >= limits.loc["x1", "low"]) & (X["x2"] <= limits.loc["x2", "high"])
    box = prim_found.regions[0]
    assert box.n_runs == inside.sum()
    assert box.density == pytest.approx(outcome[inside].mean())
    assert box.coverage == pytest.approx(outcome[inside].sum() / outcome.sum())


def test_summary_names_the_parameters_in_plain_words(runs, prim_found):
    rate = runs[1].mean()
    text = prim_found.summary
    assert "x1 >= 0.5" in text or "x1 >= 0.6" in text
    assert "x2 <= 0.3" in text or "x2 <= 0.2" in text
    assert "x3" not in text
    assert text.startswith(f"Across all {N_RUNS} runs, independence within the horizon is reached in {rate:.0%}.")
    assert "Independence within the horizon is reached in 9" in text and "of all runs fall in this box" in text
    assert prim_found.found and str(prim_found) == text


def test_trajectory_is_kept_for_the_plot(prim_found):
    trajectory = prim_found.trajectory
    assert {"coverage", "density", "mass", "res_dim"} <= set(trajectory.columns)
    chosen = trajectory.loc[prim_found.selected]
    assert chosen["density"] == pytest.approx(prim_found.regions[0].density)
    assert chosen["density"] >= prim_found.threshold


def test_tree_finds_the_same_split(runs):
    found = discover(*runs, method="tree")
    limits = _limits(found)
    assert set(limits.index) == {"x1", "x2"}
    assert limits.loc["x1", "low"] == pytest.approx(0.6, abs=TOLERANCE)
    assert limits.loc["x2", "high"] == pytest.approx(0.3, abs=TOLERANCE)
    assert found.regions[0].density >= 0.95
    assert "x1 > 0.6" in found.summary and "x3" not in found.summary
    assert "x1 >  0.6" in found.rules  # sklearn's export_text, kept for the record


def test_no_positive_outcome_gives_a_clear_message(runs):
    X, _ = runs
    never = pd.Series(False, index=X.index)
    for method in ("prim", "tree"):
        found = discover(X, never, method=method)
        assert not found.found and found.boxes.empty
        assert found.summary == (
            f"Independence within the horizon is not reached in any of the {N_RUNS} runs: "
            "there is no region of parameter space to describe."
        )
    assert isinstance(plot_discovery(found, X, never), Figure)


def test_every_run_positive_or_already_above_threshold(runs):
    X, _ = runs
    assert "reached in all" in discover(X, np.ones(N_RUNS, dtype=bool)).summary
    mostly = pd.Series(np.random.default_rng(3).uniform(size=N_RUNS) < 0.9)
    found = discover(X, mostly, label="the learning stage")
    assert not found.found
    assert "already above the 80% threshold" in found.summary
    assert found.summary.startswith(f"Across all {N_RUNS} runs, the learning stage is reached in 9")


def test_noise_that_prevents_a_dense_box_is_reported_with_the_closest_box(runs):
    X, outcome = runs
    rng = np.random.default_rng(5)
    noisy = (outcome & (rng.uniform(size=N_RUNS) < 0.6)) | (rng.uniform(size=N_RUNS) < 0.05)
    found = discover(X, noisy, threshold=0.9)
    assert not found.found
    assert "No region was found where independence within the horizon is reached in at least 90% of runs." in (
        found.summary
    )
    assert "The densest box found reaches it in" in found.summary


def test_categorical_parameters_are_restricted_to_values():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(
        {
            "feedback": rng.uniform(size=1000),
            "mode": rng.choice(["directive", "supportive", "supervisory"], 1000),
            "staff": rng.integers(1, 10, 1000),
        }
    )
    outcome = (X["feedback"] > 0.5) & (X["mode"] == "supportive")
    for method in ("prim", "tree"):
        found = discover(X, outcome, method=method)
        limits = _limits(found)
        assert limits.loc["mode", "values"] == "supportive"
        assert limits.loc["feedback", "low"] == pytest.approx(0.5, abs=TOLERANCE)
        assert "mode is supportive" in found.summary
        assert "staff" not in found.summary


def test_whole_number_parameters_do_not_break_pasting():
    """ema_workbench pastes a box edge between two whole numbers (20.5); an int64 column used to raise."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"k": rng.integers(6, 37, 120), "x": rng.random(120), "y": rng.random(120)})
    hits = (((X["k"] < 20) & (X["x"] > 0.3)) | (rng.random(120) < 0.1)).to_numpy()
    found = discover(X, hits, threshold=0.5)
    assert "k" in found.summary


def test_prim_leaves_matplotlib_style_alone(runs):
    # ema_workbench calls seaborn.set_palette on import; that must not leak into the project's figures.
    before = mpl.rcParams["axes.prop_cycle"]
    discover(*runs)
    assert mpl.rcParams["axes.prop_cycle"] == before


def test_a_missing_ema_workbench_is_an_error_not_a_silent_switch_to_a_tree(runs, monkeypatch):
    """ema_workbench is a required dependency: PRIM asked for is PRIM or an error, never another method."""

    def unavailable():
        raise ImportError("no ema_workbench")

    monkeypatch.setattr(discovery_module, "_import_prim", unavailable)
    with pytest.raises(ImportError, match="no ema_workbench"):
        discover(*runs)
    assert discover(*runs, method="tree").method == "tree"  # the tree only when asked for


def test_plot_and_files(runs, prim_found, tmp_path):
    X, outcome = runs
    fig = plot_discovery(prim_found, X, outcome, tmp_path / "prim.png")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:2] == ["PRIM: runs reaching independence within the horizon", "Peeling trajectory of box 1"]
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("x1", "x2")
    assert (tmp_path / "prim.png").stat().st_size > 10_000
    paths = write_discovery(discover(X, outcome, method="tree"), X, outcome, tmp_path / "tree")
    assert "x1 > 0.6" in paths["summary"].read_text() and paths["figure"].exists()
    assert set(pd.read_csv(paths["boxes"])["parameter"]) == {"x1", "x2"}


@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda X, y: discover(X, y[:-1]), f"outcome has {N_RUNS - 1} values but X has {N_RUNS} runs"),
        (lambda X, y: discover(X, y.astype(float) * 2), "outcome must be boolean"),
        (lambda X, y: discover(X, y.astype(object).where(y.index > 0)), "missing value"),
        (lambda X, y: discover(X.to_numpy(), y), "X must be a pandas DataFrame"),
        (lambda X, y: discover(X, y, method="forest"), "unknown discovery method 'forest'; choose one of: prim, tree"),
        (lambda X, y: discover(X, y, threshold=1.5), "threshold is a share of runs"),
        (lambda X, y: discover(X.assign(x1=np.nan), y), "X has missing values in: x1"),
    ],
)
def test_bad_input_gets_a_one_line_message(runs, call, expected):
    with pytest.raises(ValueError) as excinfo:
        call(*runs)
    assert expected in str(excinfo.value) and "\n" not in str(excinfo.value)


# --- what the output says and shows -------------------------------------------------------------------


def _inside_figure(fig: Figure, artist) -> bool:
    box = artist.get_window_extent(fig.canvas.get_renderer())
    width, height = fig.canvas.get_width_height()
    return box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_long_box_title_is_wrapped_inside_its_panel(lang):
    """The reported fault: a box restricting five parameters gave a title line wider than the figure, cut off at
    its left edge and running into the trajectory panel's title."""
    import dataclasses

    from simulation.experiments.analysis_lang import outcome_label

    rng = np.random.default_rng(1)
    names = ("participation_baseline", "trust_decay", "government_cost_per_problem", "civic_propensity_mean",
             "attitude_spread", "weight_habit")  # fmt: skip
    X = pd.DataFrame({name: rng.uniform(0, 1, 400) for name in names})
    hits = ((X[names[0]] > 0.3) & (X[names[1]] < 0.6) & (X[names[2]] > 0.2) & (X[names[3]] > 0.25)
            & (X[names[4]] < 0.8)).to_numpy()  # fmt: skip
    found = discover(X, hits)
    assert len(found.regions[0].limits) >= 4  # a title with the box's other restrictions, long in any language
    found = dataclasses.replace(found, label=outcome_label("first_independence", lang))
    fig = plot_discovery(found, X, hits, lang=lang)
    fig.canvas.draw()
    scatter, trajectory = fig.axes[:2]
    assert _inside_figure(fig, scatter.title) and _inside_figure(fig, trajectory.title)
    renderer = fig.canvas.get_renderer()
    left, right = scatter.title.get_window_extent(renderer), trajectory.title.get_window_extent(renderer)
    assert left.x1 < right.x0  # the two panels' titles do not run into each other


def test_a_sweep_still_being_written_is_said_to_be_incomplete(tmp_path):
    """The reported fault: `discover` on a sweep still running described its first runs as if they were all."""
    from simulation.experiments.sweep import load_sweep, run_sweep
    from simulation.experiments.sweep_analysis import analyse_discovery

    spec = load_sweep({"scenarios": ["guardian"], "seeds": 2, "steps": 12, "seed": 3, "fixed": {"n_residents": 100},
                       "vary": {"funding": [2.0, 6.0, 10.0]}}, name="partial")  # fmt: skip
    answers = iter([True] * 4)
    stopped = run_sweep(spec, tmp_path / "sweep", executor="inline", progress=False, batch_size=1,
                        should_continue=lambda: next(answers, False))  # fmt: skip
    assert 0 < stopped.saved < spec.n_runs == 6
    found = analyse_discovery(tmp_path / "sweep", tmp_path / "found", outcome="first_learning", method="tree")
    warning = (f"warning: the sweep is incomplete, {stopped.saved} of its 6 planned runs are present (still running, "
               "or stopped): these regions describe only those runs")  # fmt: skip
    assert found.summary.splitlines()[0] == warning
    assert (tmp_path / "found" / "discovery.txt").read_text(encoding="utf-8").startswith(warning)
    run_sweep(spec, tmp_path / "sweep", executor="inline", progress=False)  # finished: nothing to warn of
    assert "incomplete" not in analyse_discovery(tmp_path / "sweep", tmp_path / "found", "first_learning").summary
