"""The robustness analysis: what it varies, how it reads the patterns, and the command end to end (quick)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.experiments.budget import CONFIGURATIONS, at_common_budget
from simulation.experiments.patterns import PATTERNS, RUNS, evaluate
from simulation.experiments.robustness import (
    MIN_POINTS,
    NOISE_MARGIN,
    SCREEN_OUTPUTS,
    Settings,
    assumption_levers,
    describe,
    noise_floor,
    pattern_factors,
    pattern_shares,
    plot_shares,
    ranking,
    run_robustness,
    scenario_keys,
    screened_parameters,
    screening_caveat,
)
from simulation.experiments.sweep import load_sweep
from simulation.model.parameters import FIELDS


def test_every_parameter_with_a_plausible_range_is_screened_within_its_hard_limits():
    screened = screened_parameters()
    assert len(screened) > 100 and "n_residents" not in screened
    for name, (low, high) in screened.items():
        meta = FIELDS[name].metadata
        assert meta["low"] <= low < high <= meta["high"], name


def test_assumption_levers_are_read_with_their_ranges_from_the_scenario_files():
    shanghai = assumption_levers("shanghai")
    assert shanghai["admin_load"] == (0.7, 1.0)
    assert shanghai["funding"] == (6.0, 15.0)
    assert assumption_levers("xinhua")["funding"] == (3.0, 6.0)  # the [assumptions] table, not the comments
    assert "mode" not in shanghai  # a choice, not a number
    assert set(shanghai) <= scenario_keys("shanghai")


def test_the_hypercube_never_varies_for_everyone_what_a_configuration_sets():
    factors = pattern_factors(["participation_baseline", "admin_load", "funding", "trust_decay", "weight_peer"], 2)
    global_names = {name for name in factors if "." not in name}
    assert global_names == {"participation_baseline", "trust_decay"}  # levers belong to their configurations
    assert "shanghai.funding" in factors
    assert "shanghai.admin_load" not in factors  # the dose runs set it (0.6, 0.3)
    assert "guardian.supervision" not in factors  # a pattern run overrides it (withdrawal unwatched)
    # The sweep runner accepts every factor: each scoped one names a configuration's scenario.
    spec = load_sweep(
        {"configurations": {k: {"scenario": s, **o} for k, (s, o) in RUNS.items()}, "seeds": 1, "steps": 2,
         "seeding": "paired", "vary": factors, "design": {"method": "lhs", "samples": 2}},
        draw=False,
    )  # fmt: skip
    assert spec.n_runs == 2 * len(RUNS)


def _summary(point: int, **changes: dict) -> list[dict]:
    """Hand-made summaries of every pattern run at one point: every pattern holds, unless changed."""
    base = {
        "status": "ok", "final_index": 0.3, "first_learning": 50, "first_independence": None, "final_role": "assist",
        "trust_in_strangers_last_year": 0.5, "trust_in_strangers_min": 0.3, "mean_reliance_last_year": 0.2,
        "admin_task_completion_mean": 0.5, "decision_participation_last_5_years": 0.2, "total_public_cost": 1000.0,
        "ngo_independence_last_year": 0.5, "trust_in_strangers_last_5_years": 0.5, "misperception_last_5_years": 0.5,
        "low_level_share_last_5_years": 0.5, "vulnerable_share_last_5_years": 0.3, "participation_last_year": 0.4,
        "final_stage": "learning", "stages_in_order": "dependence > learning", "roles_in_order": "nurture > assist",
        "first_assist": 60, "first_supervise": None, "trust_floor_share": 0.02,
    }  # fmt: skip
    holding = {
        "guardian": {"final_index": 0.5, "first_independence": 120, "final_role": "supervise",
                     "final_stage": "independence", "stages_in_order": "dependence > learning > independence",
                     "roles_in_order": "nurture > assist > supervise", "first_supervise": 132},
        "guardian_fixed": {"final_index": 0.4, "mean_reliance_last_year": 0.5},
        "early_withdrawal": {"final_index": 0.2, "trust_in_strangers_last_year": 0.2},
        "withdraw_24": {"final_index": 0.3}, "step_back_12": {"final_index": 0.5},
        "withdraw_48": {"final_index": 0.45},
        "withdraw_48_unwatched": {"final_index": 0.35},
        "shanghai": {"final_index": 0.1, "first_learning": None, "admin_task_completion_mean": 0.95,
                     "decision_participation_last_5_years": 0.05, "total_public_cost": 9000.0},
        "shanghai_load_06": {"final_index": 0.15}, "shanghai_load_03": {"final_index": 0.2},
        "karamay": {"trust_in_strangers_last_5_years": 0.32, "misperception_last_5_years": 0.7,
                    "low_level_share_last_5_years": 0.9, "vulnerable_share_last_5_years": 0.6,
                    "participation_last_year": 0.15, "total_public_cost": 5000.0},
        "workstation": {"total_public_cost": 4000.0},
        "network_none": {"final_index": 0.2, "trust_in_strangers_last_year": 0.4},
        "network_random": {"trust_in_strangers_last_year": 0.4},
        "no_party": {"final_index": 0.4, "trust_in_strangers_last_year": 0.4},
        "top_down": {"ngo_independence_last_year": 0.3, "final_index": 0.4},
    }  # fmt: skip
    keys = {"point": point, "replicate": 0}
    return [{"configuration": name, **keys, **base, **holding.get(name, {}), **changes.get(name, {})} for name in RUNS]


def test_each_pattern_reads_its_own_runs_and_fails_when_they_break_it():
    rows = _summary(0)
    rows += _summary(1, withdraw_48_unwatched={"final_index": 0.5})  # walking away no worse: P2c fails
    rows += _summary(2, shanghai_load_06={"final_index": 0.05})  # no dose response: P3b fails
    rows += _summary(3, karamay={"misperception_last_5_years": 0.5})  # off its survey target: P5a fails
    rows += _summary(4, early_withdrawal={"trust_in_strangers_min": 0.03})  # no more than the floor keeps: P2a fails
    rows += _summary(5, guardian={"status": "failed"})  # patterns reading the guardian have no value
    rows += _summary(6, jianghan={"vulnerable_share_last_5_years": 0.7})  # Karamay's no more vulnerable: P5b fails
    rows += _summary(7, step_back_12={"final_index": 0.44})  # stepping back costs more than the margin: P2d fails
    rows += _summary(8, guardian={"first_supervise": 100})  # supervising before independence: P1 fails
    holds = evaluate(pd.DataFrame(rows)).set_index("point")
    keys = [p.key for p in PATTERNS]
    assert holds.loc[0, keys].astype(bool).all()
    assert [k for k in keys if not holds.loc[1, k]] == ["P2c"]
    assert [k for k in keys if not holds.loc[2, k]] == ["P3b"]
    assert [k for k in keys if not holds.loc[3, k]] == ["P5a"]
    assert [k for k in keys if not holds.loc[4, k]] == ["P2a"]
    assert [k for k in keys if not holds.loc[6, k]] == ["P5b"]
    assert [k for k in keys if not holds.loc[7, k]] == ["P2d"]
    assert [k for k in keys if not holds.loc[8, k]] == ["P1"]
    reads_guardian = {p.key for p in PATTERNS if "guardian" in p.runs}
    assert set(holds.columns[holds.loc[5].isna()]) == reads_guardian


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("robustness")
    code = main(["experiment", "robustness", "--quick", "--out", str(out), "--no-progress"])
    return out, code


def test_the_quick_analysis_writes_its_tables_figures_and_words(quick, capsys):
    out, code = quick
    assert code == 0
    shares = pd.read_csv(out / "pattern_shares.csv")
    assert list(shares["pattern"]) == [p.key for p in PATTERNS]
    assert shares["points"].eq(Settings.quick().points).all()
    # Each share counts the points where its pattern held in most seeds, as the per-point table records them.
    per_point = pd.read_csv(out / "patterns_per_point.csv")
    held = [int((per_point.groupby("point")[p.key].mean() > 0.5).sum()) for p in PATTERNS]
    assert shares["holds"].tolist() == held
    assert shares["share"].tolist() == pytest.approx([k / Settings.quick().points for k in held])
    assert shares[["low_90", "high_90"]].to_numpy() == pytest.approx(
        pattern_shares(per_point)[["low_90", "high_90"]].to_numpy()
    )  # the interval of its own count (the interval itself: test_shares_have_the_90_percent_wilson_interval)
    ranked = pd.read_csv(out / "screening_ranking.csv", index_col=0)
    assert len(ranked) == len(screened_parameters()) and ranked["influence"].is_monotonic_decreasing
    # above_noise: for how many outputs a parameter's mu* passes the margin over the seed-noise floor, as written.
    screening = pd.read_csv(out / "screening.csv")
    above = (screening["mu_star"] > NOISE_MARGIN * screening["noise_floor"]).groupby(screening["parameter"]).sum()
    assert ranked["above_noise"].to_dict() == above.to_dict()
    budget = pd.read_csv(out / "equal_budget.csv")
    assert set(budget["configuration"]) == set(CONFIGURATIONS)
    assert (budget["own_cost"] > 0).all()
    for name in ("screening.png", "pattern_shares.png", "equal_budget.png", "robustness.txt"):
        assert (out / name).stat().st_size > 0
    # The reported fault: "P1 holds at 0.0%" from 8 points, with nothing saying 8 points cannot tell.
    text = (out / "robustness.txt").read_text(encoding="utf-8")
    assert "caveat: each share is from only 8 points (standard error up to ±0.18" in text
    assert "caveat: each configuration's numbers come from 2 runs" in text
    assert " of 8 points (" in text and ".0%" not in text.split("Where")[0]


def test_a_finished_analysis_rerun_resumes_every_sweep_and_gives_the_same_numbers(quick):
    out, _ = quick
    before = pd.read_csv(out / "pattern_shares.csv")
    result = run_robustness(out, Settings.quick(), executor="inline", progress=False)
    assert [sweep.done for sweep in result.sweeps] == [0] * 5  # nothing run again
    pd.testing.assert_frame_equal(result.shares.reset_index(drop=True), before, check_dtype=False)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--quick", "--steps", "0"], "--steps must be"),
        (["--quick", "--residents", "5"], "n_residents"),
        (["--quick", "--workers", "0"], "--workers must be"),
    ],
)
def test_bad_options_are_one_line_before_any_run(tmp_path, capsys, args, message):
    assert main(["experiment", "robustness", "--out", str(tmp_path / "r"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert not (tmp_path / "r" / "screening").exists()


def test_the_common_budget_is_read_off_each_configurations_cost_curve():
    """Two configurations: one buys 0.1 index per 100 cost units, the other 0.05; the budget is their median cost."""
    rows = []
    for name, slope, own_cost in (("cheap", 0.001, 100.0), ("dear", 0.0005, 300.0)):
        for scale in (0.5, 1.0, 2.0):
            cost = own_cost * scale
            rows.append({"configuration": f"{name}@{scale:g}", "point": 0, "replicate": 0, "status": "ok",
                         "total_public_cost": cost, "final_index": slope * cost})  # fmt: skip
    per_run = at_common_budget(pd.DataFrame(rows)).set_index("configuration")
    assert per_run["budget"].eq(200.0).all()  # the median of 100 and 300
    assert per_run.loc["cheap", "index_at_budget"] == pytest.approx(0.2)  # reached by scaling up
    assert per_run.loc["dear", "index_at_budget"] == pytest.approx(0.1)  # reached by scaling down
    assert per_run.loc["cheap", "index_per_10k_cost"] == pytest.approx(10.0)


def test_a_budget_outside_a_configurations_reach_has_no_value():
    rows = [{"configuration": f"{name}@{scale:g}", "point": 0, "replicate": 0, "status": "ok",
             "total_public_cost": cost * scale, "final_index": 0.3}
            for name, cost in (("a", 100.0), ("b", 120.0), ("c", 1000.0)) for scale in (0.9, 1.0, 1.1)]  # fmt: skip
    per_run = at_common_budget(pd.DataFrame(rows)).set_index("configuration")
    assert np.isnan(per_run.loc["c", "index_at_budget"])  # cannot spend as little as 120
    assert per_run.loc["b", "index_at_budget"] == pytest.approx(0.3)


def test_the_noise_floor_is_the_mu_star_of_two_seeds_differing_by_chance():
    rng = np.random.default_rng(0)
    sd = {"final_index": 0.01, "months_to_independence": 10.0, "trust_in_strangers_last_year": 0.02,
          "total_public_cost": 30.0}  # fmt: skip
    draws = pd.DataFrame({name: rng.normal(0, s, 20_000) for name, s in sd.items()})
    floor = noise_floor(draws)
    # Simulated: mean |y1 - y2| over independent pairs, divided by SALib's Morris step.
    pairs = draws.iloc[::2].to_numpy() - draws.iloc[1::2].to_numpy()
    simulated = np.abs(pairs).mean(axis=0) / (4 / 6)
    assert floor.to_numpy() == pytest.approx(simulated, rel=0.03)


def test_shares_have_the_90_percent_wilson_interval():
    """Points where a pattern holds in most seeds, over all points, with Wilson's 90% interval (z = 1.645), here
    computed by hand: 6 of 8 gives centre (0.75 + z^2/16) / (1 + z^2/8) = 0.6868, half-width 0.2267."""
    first, never, always = (p.key for p in PATTERNS[:3])
    # Points 0-2: the first pattern holds in two seeds of three; 3-5: in both of two; 6-7: in one of two (not most).
    seeds = [[True, True, False]] * 3 + [[True, True]] * 3 + [[True, False]] * 2
    rows = [{"point": point, "replicate": r, **{p.key: True for p in PATTERNS}, first: held, never: False}
            for point, outcomes in enumerate(seeds) for r, held in enumerate(outcomes)]  # fmt: skip
    shares = pattern_shares(pd.DataFrame(rows)).set_index("pattern")
    assert shares.loc[first, ["points", "holds", "share"]].tolist() == [8, 6, 0.75]
    assert shares.loc[first, ["low_90", "high_90"]].tolist() == pytest.approx([0.4602, 0.9135], abs=2e-4)
    assert shares.loc[never, ["holds", "low_90", "high_90"]].tolist() == pytest.approx([0, 0.0, 0.2528], abs=2e-4)
    assert shares.loc[always, ["holds", "low_90", "high_90"]].tolist() == pytest.approx([8, 0.7472, 1.0], abs=2e-4)
    assert shares.loc[first, "share_every_seed"] == pytest.approx(3 / 8)  # points 3-5 only
    assert shares.loc[first, "share_of_runs"] == pytest.approx(14 / 19)  # 6 + 6 + 2 of 9 + 6 + 4 runs


def test_a_parameter_is_above_noise_for_each_output_whose_mu_star_passes_the_margin_over_the_floor():
    floor = pd.Series(dict.fromkeys(SCREEN_OUTPUTS, 2.0))
    margin = NOISE_MARGIN * 2.0
    mu_star = {"everywhere": [margin * 2] * 4, "nowhere": [margin / 2] * 4, "at_the_margin": [margin] * 4,
               "in_two": [margin + 0.01, margin / 2, margin + 0.01, 0.0]}  # fmt: skip
    screening = pd.DataFrame([{"parameter": name, "output": output, "mu_star": value, "scaled": value / 10}
                              for name, values in mu_star.items()
                              for output, value in zip(SCREEN_OUTPUTS, values, strict=True)])  # fmt: skip
    above = ranking(screening, floor)["above_noise"].to_dict()
    assert above == {"everywhere": 4, "nowhere": 0, "at_the_margin": 0, "in_two": 2}
    assert "above_noise" not in ranking(screening)  # without a floor, nothing to compare with


def _hand_made(points: int) -> tuple:
    """describe()'s inputs for a design of ``points`` points, every pattern holding at three in four."""
    holds = pd.DataFrame({"point": range(points), "replicate": 0,
                          **{p.key: [i % 4 != 0 for i in range(points)] for p in PATTERNS}})  # fmt: skip
    shares = pattern_shares(holds)
    rank = pd.DataFrame({"final_index": [1.0, 0.5]}, index=["funding", "weight_peer"]).assign(influence=1.0)
    budget = pd.DataFrame({"configuration": ["guardian"], "budget": 1000.0, "index_at_budget": 0.4,
                           "index_at_budget_p10": 0.3, "index_at_budget_p90": 0.5, "own_index": 0.4,
                           "own_cost": 1000.0})  # fmt: skip
    yardsticks = pd.DataFrame({"yardstick": ["community"], "conclusion": ["P1"], "holds": [2], "of": [5], "note": [""]})
    return rank, shares, {}, budget, yardsticks


def test_shares_from_too_few_points_say_so_and_the_full_design_does_not():
    """A share from n points has a standard error up to 0.5 / sqrt(n): under 100 points it can pass 0.05."""
    few = describe(*_hand_made(8), Settings.quick())
    assert (
        "caveat: each share is from only 8 points (standard error up to ±0.18; 100 points bring it under ±0.05)" in few
    )
    assert "P1 holds in most seeds at 6 of 8 points (75%, 90% interval" in few
    full = describe(*_hand_made(120), Settings())
    assert "caveat" not in full and "P1 holds in most seeds at 90 of 120 points (75%" in full
    assert MIN_POINTS <= Settings().points


def test_a_screening_whose_intervals_swamp_mu_star_says_its_order_is_noise():
    screening = pd.DataFrame({"output": "final_index", "parameter": ["a", "b", "c"], "mu": 0.0,
                              "mu_star": [1.0, 0.5, 0.4], "mu_star_conf": [0.3, 0.9, 0.2], "sigma": 0.0})  # fmt: skip
    assert screening_caveat(screening, 2).startswith("caveat: with 2 Morris trajectories, 1 of 3 screening rows")
    assert screening_caveat(screening.assign(mu_star_conf=0.1), 10) == ""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_pattern_label_fits_in_the_shares_figure(tmp_path, lang, recwarn):
    """The reported fault: the patterns' sentences, one line each, ran off the figure's left edge (and
    constrained layout gave up: "axes sizes collapsed to zero")."""
    from matplotlib.figure import Figure

    _, shares, *_ = _hand_made(8)
    saved: list[Figure] = []
    original = Figure.savefig

    def keep(fig, *args, **kwargs):
        saved.append(fig)
        return original(fig, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Figure, "savefig", keep)
        plot_shares(shares, tmp_path / "shares.png", lang)
    fig = saved[0]
    fig.canvas.draw()  # laid out again at the canvas's own dpi, the one the extents below are measured in
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    for label in [*fig.axes[0].get_yticklabels(), fig._suptitle]:
        box = label.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width and box.y1 <= height, label.get_text()
    assert not [w for w in recwarn if "constrained_layout not applied" in str(w.message)]
