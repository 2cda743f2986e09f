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
from simulation.experiments.patterns import SELF_GOVERNING
from simulation.model.runner import first_reached

from .conftest import SEEDS, pattern_run


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
    # The guardian changes its behaviour only after it has measured the new stage.
    assert first_role["assist"] >= first["learning"]
    assert first_role["supervise"] >= first["independence"]
    # And what it does changes with the role, not only the label: it spends less as it steps back
    # (抚养培育 -> 辅助成长 -> 指导监督), measured in the public cost of the months of each role.
    spent = table.groupby("government_role")["public_cost"].mean()
    assert spent["nurture"] > spent["assist"] > spent["supervise"]
    assert table["stage"].iloc[-1] == "independence"


# --- P2: the essays' warnings about letting go too early or never -----------------------------------------
def test_premature_withdrawal_fails():
    """Essay 1: "当前阶段,地方政府不仅不应放手". Letting go at once ends far below the guardian."""
    assert (paired_difference("early_withdrawal", "guardian") < -0.1).all()
    for seed in SEEDS:
        assert "independence" not in set(pattern_run("early_withdrawal", seed)["stage"])
    trust_gap = paired_difference("early_withdrawal", "guardian", "trust_in_strangers")
    assert (trust_gap < -0.2).all()


def test_trust_in_strangers_falls_but_does_not_vanish_after_premature_withdrawal():
    lowest = [pattern_run("early_withdrawal", seed)["trust_in_strangers"].iloc[1:].min() for seed in SEEDS]
    assert min(lowest) > 0.02


def test_government_that_never_lets_go_keeps_the_community_behind_the_guardian():
    """The guardian's starting levers held for 20 years end below the responsive guardian (dependency)."""
    gap = paired_difference("guardian_fixed", "guardian")
    assert (gap < 0).all()
    assert gap.mean() < -0.01
    # ... through reliance on government, which the responsive guardian lets fall.
    assert (paired_difference("guardian_fixed", "guardian", "mean_reliance") > 0).all()


def test_letting_go_and_walking_away_ends_below_letting_go_and_watching():
    """Withdrawal at month 48 with supervision = 0 ends below the same withdrawal under supervision."""
    gap = paired_difference("withdraw_48_unwatched", "withdraw_48")
    assert (gap < 0).all()
    assert gap.mean() < -0.05
    scandals = [pattern_run("withdraw_48_unwatched", seed)["scandals"].sum() for seed in SEEDS]
    watched = [pattern_run("withdraw_48", seed)["scandals"].sum() for seed in SEEDS]
    assert sum(scandals) > 5 * max(1, sum(watched))


# --- P3: Shanghai, administratively effective and ineffective at governance ---------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_shanghai_is_administratively_effective_but_ineffective_at_governance(seed):
    table = pattern_run("shanghai", seed)
    assert table["admin_task_completion"].iloc[1:].mean() > 0.9
    assert set(table["stage"]) == {"dependence"}
    assert table["decision_participation_share"].tail(60).mean() < 0.1


def test_shanghai_responds_to_administrative_load_as_a_dose():
    """Less pushed-down work, more self-governance, step by step (0.9 -> 0.6 -> 0.3), in every seed."""
    heavy, medium, light = final("shanghai"), final("shanghai_load_06"), final("shanghai_load_03")
    assert (medium > heavy).all() and (light > medium).all()
    assert (light - heavy).mean() > 0.02


# --- P4: the historical configurations and the cost of self-governance ---------------------------------------
HISTORICAL = ("shanghai", "shenyang", "jianghan", "hangzhou")


def test_historical_configurations_are_distinguishable():
    """Shanghai, the administrativised committee ("行政有效,治理无效"), ends below the other three in every
    seed; the essays rank the other three nowhere, so for them every pair need only differ in the same
    direction in every seed."""
    for other in HISTORICAL[1:]:
        assert (paired_difference("shanghai", other) < 0).all(), other
    for i, a in enumerate(HISTORICAL):
        for b in HISTORICAL[i + 1 :]:
            gap = paired_difference(a, b)
            assert (gap > 0).all() or (gap < 0).all(), (a, b, gap)
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
    assert last_years["trust_in_strangers"].mean() == pytest.approx(0.31, abs=0.04)
    assert last_years["misperception_share"].mean() >= 0.7054 - 0.04


def test_karamay_patterns_not_used_as_targets():
    """Essay 6: participants are "几乎都是老年人、低保户等群体", and mostly in low-level activities ("弱参与").

    The bounds alone do not single Karamay out (vulnerable participants are above half in every
    configuration), so Karamay is also set against the self-governing configurations at the same seed.
    """
    last_years = pd.concat([pattern_run("karamay", seed).tail(60) for seed in SEEDS])
    assert last_years["low_level_participation_share"].mean() > 0.8
    assert last_years["vulnerable_participant_share"].mean() > 0.5
    for other in SELF_GOVERNING:
        assert (paired_difference("karamay", other, "low_level_participation_share") > 0.05).all()
        assert (paired_difference("karamay", other, "vulnerable_participant_share") > 0.03).all()
        assert (paired_difference("karamay", other, "participation_rate") < -0.1).all()
    # and the guardian itself would fail the low-level bound: the check discriminates
    assert final("guardian", "low_level_participation_share").mean() < 0.8


# --- ablations (ODD 9.4): each mechanism changes what happens when removed -----------------------------------
def test_without_ties_the_community_cannot_act_together():
    gap = paired_difference("network_none", "guardian")
    assert (gap < -0.05).all()
    assert (paired_difference("network_none", "guardian", "trust_in_strangers") < 0).all()


def test_a_random_network_of_the_same_size_builds_less_trust_than_the_housing_network():
    """Same number of ties, no clustering: trust built by joint action with people one knows spreads less."""
    assert load_scenario("guardian").params.network == "housing"
    gap = paired_difference("network_random", "guardian", "trust_in_strangers")
    assert (gap < 0).all()
    assert gap.mean() < -0.01


def test_removing_party_members_holds_the_guardian_back():
    """Essay 2: "基层群众自治的发展需要有效的政治力量支撑" (self-governance needs a political force behind it)."""
    gap = paired_difference("no_party", "guardian")
    assert (gap < 0).all()
    assert gap.mean() < -0.02
    assert (paired_difference("no_party", "guardian", "trust_in_strangers") < 0).all()


def test_more_organisations_from_above_lower_their_mean_independence():
    assert (paired_difference("top_down", "guardian", "ngo_independence") < 0).all()


def test_organisations_from_above_do_not_substitute_for_residents_own():
    """Essay 3: embedded organisations "不能转化为社区本身的一个内在的力量". More of them: no more self-governance."""
    assert (paired_difference("top_down", "guardian") < 0).all()
