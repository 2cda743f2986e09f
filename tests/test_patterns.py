"""The patterns of docs/ODD.md 1.2 and the ablations of ODD 9.4, over 5 seeds at full size.

2,000 residents, 240 months, seeds 1-5 (tests/conftest.py). Nothing here is scripted into the model:
these outcomes emerge from the mechanisms, so a change to a mechanism can break them, and that is the
point. Comparisons are paired: two runs with the same seed that differ in one setting; a pattern that
compares them must hold in every seed, not only on average.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import load_scenario
from simulation.experiments.patterns import MARGINS, MEAN_MARGINS, PATTERNS, RUNS, SELF_GOVERNING, run_summary
from simulation.model.runner import first_reached

from .conftest import SEEDS, pattern_run

# Survey figures the participation rule was calibrated to, and bounds on it (docs/ODD.md 7.4, 9.1):
# CASS 2013 (N = 7,114 urban residents): 20% took part in a community-organised activity in the past six months;
# SUNS (Shanghai, c. 2017): 47.9% say they voted in the last residents' committee election, the highest share of
# residents documented taking part in any community affair (self-reported and by household: an upper bound).
NATIONAL_HALF_YEAR_REACH = 0.20
HIGHEST_DOCUMENTED_REACH = 0.479


def final(key: str, column: str = "self_governance_index") -> np.ndarray:
    """Mean of the last year, per seed."""
    return np.array([pattern_run(key, seed)[column].tail(12).mean() for seed in SEEDS])


def paired_difference(a: str, b: str, column: str = "self_governance_index") -> np.ndarray:
    """Per seed: run ``a`` minus run ``b`` (same seed), mean of the last year."""
    return final(a, column) - final(b, column)


def total_cost(key: str) -> float:
    return float(np.mean([pattern_run(key, seed)["public_cost"].sum() for seed in SEEDS]))


def distinct_in_order(values: pd.Series) -> list[str]:
    return list(pd.unique(values))


def seed_runs(seed: int) -> dict[str, dict]:
    """Every pattern run of one seed, summarised as the patterns read them."""
    return {key: run_summary(pattern_run(key, seed)) for key in RUNS}


# --- every pattern, in every seed, with the margins the robustness analysis uses -----------------------------
# A pattern a faithful rule fails is a finding (docs/ODD.md 9.4), never tuned away: its test stays, marked as a
# known failure. strict: should it hold again, the test fails, and the ODD must be brought up to date.
A2_FINDING = (
    "A2, a finding (docs/ODD.md 9.4): with participation at survey levels residents act together less, and "
    "the housing network's clustering builds less trust in strangers than a random network's on average "
    "but not in every seed"
)
P5B_FINDING = (
    "P5b, a finding (docs/ODD.md 9.4, docs/claims.md): read in order, essay 1 gives Jianghan, not Shenyang, the "
    "emphasis on self-governance (注重社区自治); Karamay's participants are more often in low-level activities than "
    "Jianghan's, but by less than the 0.05 margin in some seeds"
)
KNOWN_FAILURES = {"A2": A2_FINDING, "P5b": P5B_FINDING}


@pytest.mark.parametrize(
    "pattern",
    [pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[p.key])) if p.key in KNOWN_FAILURES
     else p for p in PATTERNS],
    ids=[pattern.key for pattern in PATTERNS],
)  # fmt: skip
def test_pattern_holds_in_every_seed(pattern):
    """patterns.PATTERNS, the checks the robustness analysis evaluates at every parameter point, hold at the
    defaults in each of the five seeds (the tests below add what only the set of seeds shows)."""
    failing = [seed for seed in SEEDS if not pattern.holds(seed_runs(seed))]
    assert not failing, f"{pattern.key} ({pattern.says}) fails in seeds {failing}"


# --- P1: the guardian's stages, and its role following them ---------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_guardian_passes_the_three_stages_in_order_and_its_behaviour_follows(seed):
    table = pattern_run("guardian", seed)
    assert distinct_in_order(table["stage"]) == ["dependence", "learning", "independence"]
    # The role is read from what government does each month (policy.role_of), not copied from a table.
    assert distinct_in_order(table["government_role"]) == ["nurture", "assist", "supervise"]
    first = first_reached(table)
    roles = table["government_role"]
    first_role = {role: int(table.loc[roles == role, "step"].iloc[0]) for role in ("assist", "supervise")}
    # The guardian changes its behaviour only after the new stage (its assessment lags the model's measure).
    assert first_role["assist"] >= first["learning"]
    assert first_role["supervise"] >= first["independence"]
    # What government does changes with the role, not only the label: its part in the community's work falls
    # (政府主导 -> 二元治理 -> 社会自治), and it spends least once it only guides and supervises.
    by_role = table.groupby("government_role")
    share = by_role["government_share"].mean()
    assert share["nurture"] > share["assist"] > share["supervise"]
    spent = by_role["public_cost"].mean()
    assert spent["supervise"] < min(spent["nurture"], spent["assist"])
    assert table["stage"].iloc[-1] == "independence"


def test_guardian_participation_is_what_a_survey_would_recognise():
    """The guardian's residents take part as much as survey evidence allows, not half of them every month."""
    monthly = final("guardian", "participation_rate")
    assert (monthly <= 0.35).all() and (monthly <= HIGHEST_DOCUMENTED_REACH).all()
    # The typical, administrativised community the survey sampled: about its six-month reach.
    for typical in ("shanghai", "karamay"):
        reach = final(typical, "active_within_half_year").mean()
        assert reach == pytest.approx(NATIONAL_HALF_YEAR_REACH, abs=0.05), typical


# --- P2: the essays' warnings about letting go too early or never -----------------------------------------
def test_premature_withdrawal_fails():
    """Essay 1: "当前阶段,地方政府不仅不应放手". Letting go at once, or at month 24, ends far below the guardian."""
    for early in ("early_withdrawal", "withdraw_24"):
        assert (paired_difference(early, "guardian") <= -MARGINS["premature_gap"]).all(), early
    for seed in SEEDS:
        assert "independence" not in set(pattern_run("early_withdrawal", seed)["stage"])
    trust_gap = paired_difference("early_withdrawal", "guardian", "trust_in_strangers")
    assert (trust_gap <= -MARGINS["premature_trust_gap"]).all()


def test_trust_in_strangers_falls_but_stays_above_its_floor_after_premature_withdrawal():
    """Trust in strangers does not vanish, and not only because of the floor of trust (trust_floor): it stays
    above the share the floor alone keeps (without a floor it does vanish: docs/ODD.md 9.4)."""
    for seed in SEEDS:
        table = pattern_run("early_withdrawal", seed)
        floor = table["trust_floor_share"].iloc[0]
        assert table["trust_in_strangers"].iloc[1:].min() >= floor + MARGINS["trust_above_floor"]


def test_stepping_back_a_year_after_independence_costs_nothing():
    """Independence that stands alone: government that steps back for good to guidance and supervision a year
    after the community is first classed independent ends no lower than the guardian (paired, on average)."""
    gap = paired_difference("step_back_12", "guardian")
    assert gap.mean() >= -MEAN_MARGINS["step_back"]
    assert (gap >= -MARGINS["step_back_gap"]).all()
    for seed in SEEDS:  # it did step back: guidance and supervision only, from then on
        assert pattern_run("step_back_12", seed)["government_role"].iloc[-1] == "supervise"


def test_government_that_never_lets_go_keeps_the_community_behind_the_guardian():
    """The guardian's starting levers held for 20 years end below the responsive guardian (dependency)."""
    gap = paired_difference("guardian_fixed", "guardian")
    assert (gap < 0).all()
    assert gap.mean() < -MEAN_MARGINS["never_let_go"]
    # ... through reliance on government, which the responsive guardian lets fall.
    assert (paired_difference("guardian_fixed", "guardian", "mean_reliance") > 0).all()


def test_letting_go_and_walking_away_ends_below_letting_go_and_watching():
    """Withdrawal at month 48 with supervision = 0 ends below the same withdrawal under supervision."""
    gap = paired_difference("withdraw_48_unwatched", "withdraw_48")
    assert (gap < 0).all()
    assert gap.mean() < -MEAN_MARGINS["unwatched"]
    scandals = [pattern_run("withdraw_48_unwatched", seed)["scandals"].sum() for seed in SEEDS]
    watched = [pattern_run("withdraw_48", seed)["scandals"].sum() for seed in SEEDS]
    assert sum(scandals) > 5 * max(1, sum(watched))


# --- P3: Shanghai, administratively effective and ineffective at governance ---------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_shanghai_is_administratively_effective_but_ineffective_at_governance(seed):
    table = pattern_run("shanghai", seed)
    assert table["admin_task_completion"].iloc[1:].mean() > MARGINS["task_completion"]
    assert set(table["stage"]) == {"dependence"}
    assert table["decision_participation_share"].tail(60).mean() < MARGINS["decision_share"]


def test_shanghai_responds_to_administrative_load_as_a_dose():
    """Less pushed-down work, more self-governance, step by step (0.9 -> 0.6 -> 0.3), in every seed."""
    heavy, medium, light = final("shanghai"), final("shanghai_load_06"), final("shanghai_load_03")
    assert (medium > heavy).all() and (light > medium).all()
    assert (light - heavy).mean() > MEAN_MARGINS["dose"]


def test_shanghai_s_lighter_load_reaches_residents_not_government():
    """Essay 6: "下沉的工作日益繁重,对社会组织的培育捉襟见肘". The committee's freed time goes to residents and
    their organisations: as the load falls from 0.9 to 0.3, participation rises and reliance does not."""
    gain = paired_difference("shanghai_load_03", "shanghai", "participation_rate")
    assert gain.mean() > 0
    assert paired_difference("shanghai_load_03", "shanghai", "mean_reliance").mean() <= 0


# --- P4: the historical configurations and the cost of self-governance ---------------------------------------
HISTORICAL = ("shanghai", "shenyang", "jianghan", "hangzhou")


def test_historical_configurations_are_distinguishable():
    """Shanghai, the administrativised committee ("行政有效,治理无效"), ends below the other three in every
    seed and costs most; the essays rank the other three nowhere: each pair differs on average by more than
    the seed spread of its difference."""
    for other in HISTORICAL[1:]:
        assert (paired_difference("shanghai", other) < 0).all(), other
    for i, a in enumerate(HISTORICAL):
        for b in HISTORICAL[i + 1 :]:
            gap = paired_difference(a, b)
            assert abs(gap.mean()) > gap.std(ddof=1), (a, b, gap)
    costs = {name: total_cost(name) for name in HISTORICAL}
    assert max(costs, key=costs.get) == "shanghai"


def test_self_governance_costs_less_than_administration():
    """Essay 3: "基层自治是一个创造低成本、高效益的治理体系" (self-governance is low-cost, high-benefit)."""
    guardian = total_cost("guardian")
    for administrative in ("shanghai", "karamay", "workstation"):
        assert guardian < total_cost(administrative)


# --- P5: the Karamay survey (targets on held-out seeds) and what was not targeted ----------------------------
def test_karamay_reproduces_its_survey_targets_on_seeds_the_calibration_never_saw():
    """ "仅31%" trust strangers (a point); "超过70.54%" think the committee represents the government (a bound)."""
    last_years = pd.concat([pattern_run("karamay", seed).tail(60) for seed in SEEDS])
    tolerance = MARGINS["target_tolerance"]
    assert last_years["trust_in_strangers"].mean() == pytest.approx(0.31, abs=tolerance)
    assert last_years["misperception_share"].mean() >= 0.7054 - tolerance


def test_karamay_patterns_not_used_as_targets():
    """Essay 6: participants are "几乎都是老年人、低保户等群体", and mostly in low-level activities ("弱参与").

    The bounds alone do not single Karamay out (vulnerable participants are above half in every
    configuration), so Karamay is also set against the self-governing configurations at the same seed.
    """
    last_years = pd.concat([pattern_run("karamay", seed).tail(60) for seed in SEEDS])
    assert last_years["low_level_participation_share"].mean() > 0.8
    assert last_years["vulnerable_participant_share"].mean() > 0.5
    for other in SELF_GOVERNING:
        gaps = {"low_level_gap": paired_difference("karamay", other, "low_level_participation_share"),
                "vulnerable_gap": paired_difference("karamay", other, "vulnerable_participant_share"),
                "participation_gap": -paired_difference("karamay", other, "participation_rate")}  # fmt: skip
        for margin, gap in gaps.items():
            # Against Jianghan each gap points the right way in every seed and clears its margin on the mean,
            # not in every seed (P5B_FINDING); against the guardian it clears it in every seed.
            assert (gap > MARGINS[margin]).all() if other == "guardian" else (gap > 0).all(), (other, margin)
            assert gap.mean() > MARGINS[margin], (other, margin)
    # and the guardian itself would fail the low-level bound: the check discriminates
    assert final("guardian", "low_level_participation_share").mean() < 0.8


# --- ablations (ODD 9.4): each mechanism changes what happens when removed -----------------------------------
def test_without_ties_the_community_cannot_act_together():
    gap = paired_difference("network_none", "guardian")
    assert (gap < -MARGINS["no_ties_gap"]).all()
    assert (paired_difference("network_none", "guardian", "trust_in_strangers") < 0).all()


def test_a_random_network_of_the_same_size_builds_less_trust_than_the_housing_network_on_average():
    """Same number of ties, no clustering: trust built by joint action with people one knows spreads less."""
    assert load_scenario("guardian").params.network == "housing"
    gap = paired_difference("network_random", "guardian", "trust_in_strangers")
    assert gap.mean() < -MEAN_MARGINS["random_network_trust"]


@pytest.mark.xfail(strict=True, reason=A2_FINDING)
def test_a_random_network_of_the_same_size_builds_less_trust_in_every_seed():
    assert (paired_difference("network_random", "guardian", "trust_in_strangers") < 0).all()


def test_removing_party_members_holds_the_guardian_back():
    """Essay 2: "基层群众自治的发展需要有效的政治力量支撑" (self-governance needs a political force behind it)."""
    gap = paired_difference("no_party", "guardian")
    assert (gap < 0).all()
    assert gap.mean() < -MEAN_MARGINS["no_party"]
    assert (paired_difference("no_party", "guardian", "trust_in_strangers") < 0).all()


def test_more_organisations_from_above_lower_their_mean_independence():
    assert (paired_difference("top_down", "guardian", "ngo_independence") < 0).all()


def test_organisations_from_above_do_not_substitute_for_residents_own():
    """Essay 3: embedded organisations "不能转化为社区本身的一个内在的力量". More of them: no more self-governance."""
    assert (paired_difference("top_down", "guardian") < 0).all()
