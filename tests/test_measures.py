"""The month's measures (docs/ODD.md 7.12, ``measures.COLUMNS``), checked on chosen numbers.

Each test sets the residents' arrays, the organisations or the month's problems of a small community by hand,
computes what each column means (a share of participants, of residents, of demand, of what was solved; a mean over
the organisations) and compares it with ``measure(model)``, the function the model calls at the end of every month.
Months with no participants, no organisations or no problems must give the documented value, never NaN or a
division by zero. Written for the mutants of ``simulation/model/measures.py`` that the mechanism tests let through
(docs/mutation.md); those no input can tell apart are listed there as equivalent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import CommunityModel, load_scenario, run_scenario
from simulation.model.agents import NGO
from simulation.model.measures import measure, organised_share
from simulation.model.population import DECISION, ELDERLY, LOW_LEVEL, NONE, WORKING_AGE, YOUNG
from simulation.model.problems import CHANNELS, MonthOfProblems
from simulation.model.stages import COMPONENTS, StageTracker, yardstick_weights

N = 600  # residents: "per 1,000 residents" is a factor of 0.6, not 1


@pytest.fixture
def model() -> CommunityModel:
    """A small community with no organisations, in which nobody is vulnerable until a test says so."""
    m = CommunityModel(scenario="guardian", n_residents=N, rng=5)
    m.ngo_by_id.clear()
    m.member_of[:] = -1
    r = m.residents
    r.age_group[:] = WORKING_AGE
    r.unemployed[:] = False
    r.low_income[:] = False
    return m


def _add_ngo(model: CommunityModel, origin: str, independence: float, drift: float, members: slice) -> NGO:
    ngo = NGO(model, 0, origin, 0.5, independence)
    ngo.drift = drift
    model.ngo_by_id[ngo.unique_id] = ngo
    model.member_of[members] = ngo.unique_id
    return ngo


def _month(demand: list[float], **solved: list[float]) -> MonthOfProblems:
    zeros = np.zeros(len(demand))
    solved_by = {ch: zeros for ch in CHANNELS} | {ch: np.array(v, float) for ch, v in solved.items()}
    return MonthOfProblems(np.array(demand, float), solved_by, zeros, zeros)


# --- participation -------------------------------------------------------------------------------------------------
def test_participation_rate_is_a_share_of_residents_and_its_composition_a_share_of_participants(model):
    r = model.residents
    r.activity[:] = NONE
    r.activity[:100] = DECISION
    r.activity[100:300] = LOW_LEVEL  # 300 participants of 600 residents
    r.age_group[:50] = ELDERLY  # 50 vulnerable deciders
    r.low_income[100:130] = True  # 30 vulnerable in low-level activities
    r.age_group[300:400] = ELDERLY  # 100 vulnerable residents who do not take part: not participants
    r.age_group[400:450] = YOUNG  # young and employed: not vulnerable
    r.unemployed[450:500] = True  # unemployed but not young: not vulnerable
    m = measure(model)
    assert m["participation_rate"] == pytest.approx(300 / 600)
    assert m["decision_participation_share"] == pytest.approx(100 / 300)
    assert m["low_level_participation_share"] == pytest.approx(200 / 300)
    assert m["vulnerable_participant_share"] == pytest.approx(80 / 300)


def test_a_month_without_participants_gives_shares_of_participants_of_0_not_a_division_by_zero(model):
    r = model.residents
    r.activity[:] = NONE
    r.age_group[:300] = ELDERLY  # vulnerable, but not taking part
    m = measure(model)
    assert m["participation_rate"] == 0.0
    for column in ("decision_participation_share", "low_level_participation_share", "vulnerable_participant_share"):
        assert m[column] == 0.0, column


# --- trust and the view of the committee -------------------------------------------------------------------------
def test_trusting_strangers_means_trust_above_the_threshold_and_misperception_a_view_below_one_half(model):
    r = model.residents
    threshold = model.params.trust_threshold
    r.trust[:] = threshold - 0.2
    r.trust[:200] = threshold  # exactly at the threshold: does not exceed it
    r.trust[200:350] = threshold + 0.1  # 150 of 600 trust strangers
    r.ownership[:] = 0.8
    r.ownership[:100] = 0.5  # exactly one half: not a misperception
    r.ownership[100:340] = 0.3  # 240 of 600 take the committee for the government's
    m = measure(model)
    assert m["trust_in_strangers"] == pytest.approx(150 / 600)
    assert m["misperception_share"] == pytest.approx(240 / 600)
    assert m["mean_trust"] == pytest.approx(float(np.mean(r.trust)))


# --- organisations -----------------------------------------------------------------------------------------------
def test_a_community_without_organisations_reports_0_for_their_means_and_for_organisation(model):
    m = measure(model)
    assert m["ngo_count"] == 0
    assert m["grassroots_ngo_count"] == 0
    assert m["ngo_independence"] == 0.0
    assert m["ngo_drift"] == 0.0
    assert m["index_organisation"] == 0.0
    assert organised_share(model) == 0.0


def test_ngo_independence_and_drift_are_means_over_the_organisations(model):
    _add_ngo(model, "grassroots", 0.1, 0.0, slice(0, 10))
    _add_ngo(model, "top_down", 0.4, 0.3, slice(10, 30))
    _add_ngo(model, "grassroots", 0.7, 0.5, slice(30, 60))
    m = measure(model)
    assert m["ngo_count"] == 3
    assert m["grassroots_ngo_count"] == 2
    assert m["ngo_independence"] == pytest.approx((0.1 + 0.4 + 0.7) / 3)
    assert m["ngo_drift"] == pytest.approx((0.0 + 0.3 + 0.5) / 3)


def test_organised_share_counts_each_member_by_independence_less_drift_over_all_residents(model):
    _add_ngo(model, "grassroots", 0.1, 0.0, slice(0, 10))  # weight 0.1
    _add_ngo(model, "top_down", 0.4, 0.3, slice(10, 30))  # weight 0.4 * 0.7 = 0.28
    _add_ngo(model, "grassroots", 0.7, 0.5, slice(30, 60))  # weight 0.7 * 0.5 = 0.35
    expected = (10 * 0.1 + 20 * 0.28 + 30 * 0.35) / 600  # 540 residents belong to none
    assert organised_share(model) == pytest.approx(expected)
    assert measure(model)["index_organisation"] == pytest.approx(expected)


# --- problems ----------------------------------------------------------------------------------------------------
def test_problems_solved_are_a_share_of_demand_and_each_channel_a_share_of_what_was_solved(model):
    model.last_month = _month(
        [4.0, 6.0],
        residents=[1.0, 2.0],  # 3
        government=[0.5, 0.0],  # 0.5
        ngos=[1.0, 0.0],
        committee=[0.0, 1.5],
    )  # solved 6 of a demand of 10
    m = measure(model)
    assert m["problems_solved_share"] == pytest.approx(6 / 10)
    assert m["solved_by_residents_share"] == pytest.approx(3 / 6)
    assert m["solved_by_government_share"] == pytest.approx(0.5 / 6)


def test_without_demand_nothing_is_left_unsolved_and_without_solutions_no_channel_has_a_share(model):
    model.last_month = None  # the initial state, before any month
    m = measure(model)
    assert m["problems_solved_share"] == 1.0
    assert (m["solved_by_residents_share"], m["solved_by_government_share"]) == (0.0, 0.0)
    model.last_month = _month([0.0, 0.0])  # a month in which no problem arose
    m = measure(model)
    assert m["problems_solved_share"] == 1.0
    assert (m["solved_by_residents_share"], m["solved_by_government_share"]) == (0.0, 0.0)
    model.last_month = _month([2.0, 3.0])  # problems, none solved
    m = measure(model)
    assert m["problems_solved_share"] == 0.0
    assert (m["solved_by_residents_share"], m["solved_by_government_share"]) == (0.0, 0.0)


# --- money -------------------------------------------------------------------------------------------------------
def test_public_cost_is_reported_per_1000_residents(model):
    model.public_cost = 3.0
    assert measure(model)["public_cost"] == pytest.approx(3.0 / 0.6)


# --- the self-governance index: its six components, their weights, its anchors (7.10) ----------------------------
COMPONENT_VALUES = {"decision": 0.25, "organisation": 0.1, "social_capital": 0.45, "autonomy": 0.6,
                    "own_resources": 0.35, "own_solving": 0.4}  # fmt: skip


def _set_components(model: CommunityModel, decided: int, organised_weight: float, trust: float, autonomy: float,
                    own_funds_share: float, own_solved: float) -> None:  # fmt: skip
    """Each component's source set by hand: who decided lately, one organisation of everyone at a chosen weight,
    everyone's trust, the committee's autonomy, what the community raised against its need, and what its own
    channels solved of a demand of 10."""
    r = model.residents
    r.last_decision[:] = -model.params.decision_window  # exactly one window ago: too long ago to count
    r.last_decision[:decided] = -3
    if organised_weight > 0:
        _add_ngo(model, "grassroots", organised_weight, 0.0, slice(0, N))
    r.trust[:] = trust
    model.committee.autonomy = autonomy
    model.own_funds = own_funds_share * model.params.funding_need * model.per_thousand
    own = own_solved * 10
    model.last_month = _month([4.0, 6.0], residents=[own / 2, own / 4], ngos=[own / 4, 0.0], government=[0.0, 2.0])


@pytest.fixture
def chosen(model: CommunityModel) -> CommunityModel:
    """The community with each component at its value in COMPONENT_VALUES (and a committee half funded)."""
    v = COMPONENT_VALUES
    _set_components(model, decided=int(v["decision"] * N), organised_weight=0.0, trust=v["social_capital"],
                    autonomy=v["autonomy"], own_funds_share=v["own_resources"],
                    own_solved=v["own_solving"])  # fmt: skip
    _add_ngo(model, "grassroots", 0.5, 0.0, slice(0, int(2 * v["organisation"] * N)))  # weight 0.5: a share of 0.1
    model.committee.funded = 0.5  # the legacy index's standing: autonomy 0.6 * 0.5
    return model


def test_each_index_component_is_read_from_its_own_part_of_the_community(chosen):
    m = measure(chosen)
    assert {c: m[f"index_{c}"] for c in COMPONENTS} == pytest.approx(COMPONENT_VALUES)
    assert m["index_standing"] == pytest.approx(0.6 * 0.5)


def test_the_index_is_the_mean_of_its_six_components_with_weights_of_1_and_the_legacy_index_of_its_five(chosen):
    assert COMPONENTS == ("decision", "organisation", "social_capital", "autonomy", "own_resources", "own_solving")
    assert yardstick_weights(chosen.params) == dict.fromkeys(COMPONENTS, 1.0)  # docs/ODD.md 7.10: all 1
    m = measure(chosen)
    assert m["self_governance_index"] == pytest.approx(sum(COMPONENT_VALUES.values()) / 6)
    legacy = [COMPONENT_VALUES[c] for c in ("decision", "organisation", "social_capital", "own_resources")]
    assert m["legacy_index"] == pytest.approx((sum(legacy) + 0.6 * 0.5) / 5)


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_weight_weighs_its_own_component(chosen, component):
    alone = chosen.params.replace(**{f"weight_{c}": 0.0 for c in COMPONENTS if c != component})
    chosen.params = alone
    assert measure(chosen)["self_governance_index"] == pytest.approx(COMPONENT_VALUES[component])
    chosen.params = alone.replace(**{f"weight_{c}": 3.0 if c == component else 1.0 for c in COMPONENTS})
    expected = (sum(COMPONENT_VALUES.values()) + 2 * COMPONENT_VALUES[component]) / 8
    assert measure(chosen)["self_governance_index"] == pytest.approx(expected)


def test_a_community_with_every_component_at_0_scores_0_and_one_with_every_component_at_1_scores_1(model):
    _set_components(model, decided=0, organised_weight=0.0, trust=0.0, autonomy=0.0, own_funds_share=0.0,
                    own_solved=0.0)  # fmt: skip
    m = measure(model)
    assert [m[f"index_{c}"] for c in COMPONENTS] == [0.0] * 6 and m["self_governance_index"] == 0.0
    _set_components(model, decided=N, organised_weight=1.0, trust=1.0, autonomy=1.0, own_funds_share=2.0,
                    own_solved=1.0)  # more than the community needs counts as all it needs  # fmt: skip
    m = measure(model)
    assert [m[f"index_{c}"] for c in COMPONENTS] == pytest.approx([1.0] * 6)
    assert m["self_governance_index"] == pytest.approx(1.0)


# --- over a run: what only shows after months of it ----------------------------------------------------------------
# Short runs (300 residents, six years) on paired seeds: the run-level effects the patterns test at full size
# (tests/test_patterns.py, too slow for mutation testing), small enough for mutmut to run per mutant (docs/mutation.md).
# Each test makes its own runs, not a shared fixture's: mutmut runs a mutant only against the tests seen calling the
# mutated function, and a cached run is seen calling it from the first test that asked for it only.
RUN_SEEDS = (1, 2, 3, 4)


def _withdrawn(watch: float, seed: int) -> pd.DataFrame:
    """The guardian withdrawing after a year, then watching as closely as ``watch`` (0: not at all)."""
    return run_scenario("guardian", steps=72, seed=seed, n_residents=300, withdraw_at_step=12, supervision=watch)


def test_over_a_run_the_index_is_the_mean_of_its_components_and_the_stage_is_read_from_it():
    p = load_scenario("guardian").params
    reached = set()
    for table in (_withdrawn(0.5, 4), _withdrawn(0.0, 1)):
        components = table[[f"index_{c}" for c in COMPONENTS]].to_numpy()
        assert table["self_governance_index"].to_numpy() == pytest.approx(components.mean(axis=1))
        tracker = StageTracker(p, table["self_governance_index"].iloc[0])
        stages = [tracker.stage] + [tracker.update(index) for index in table["self_governance_index"].iloc[1:]]
        assert table["stage"].tolist() == stages
        reached |= set(stages)
    assert reached == {"dependence", "learning"}  # a run that moves, so that the stage rule is exercised


def _capture_as_the_rule_says(table: pd.DataFrame, supervision: float) -> np.ndarray:
    """Each month's committee capture from the month before, by docs/ODD.md 7.13, from the recorded columns: grown
    with the committee's autonomy, then corrected by the watch of government and of residents who have a say (their
    reach this month, their skill as the month began). NaN in a month with a scandal (capture starts again)."""
    p = load_scenario("guardian").params
    before, now = table.iloc[:-1].reset_index(drop=True), table.iloc[1:].reset_index(drop=True)
    watch = 1 - (1 - supervision) * (1 - p.self_oversight * now["index_decision"] * before["mean_skill"])
    grown = before["committee_capture"] + p.drift_rate * now["committee_autonomy"] * (1 - before["committee_capture"])
    return np.where(now["scandals"] == 0, grown * (1 - watch), np.nan)


def test_supervision_after_withdrawal_keeps_the_committee_from_capture_and_residents_their_say():
    """Essay 1's mature stage leaves government "必要引导和严格监督": walking away unwatched lets a few capture the
    committee, which then heeds fewer of residents' decisions (docs/ODD.md 7.13), and the index ends lower."""
    gains = []
    for seed in RUN_SEEDS:
        runs = {watch: _withdrawn(watch, seed) for watch in (0.5, 0.0)}
        for watch, table in runs.items():  # month by month, the supervision in force after withdrawal is the lever's
            expected, recorded = _capture_as_the_rule_says(table.iloc[12:], watch), table["committee_capture"].iloc[13:]
            quiet = ~np.isnan(expected)
            assert quiet.sum() > 50 and recorded[quiet].to_numpy() == pytest.approx(expected[quiet], abs=1e-12)
        watched, unwatched = (table.iloc[13:] for table in runs.values())
        assert (watched["government_role"] == "supervise").all() and (unwatched["government_role"] == "withdrawn").all()
        assert watched["committee_capture"].max() < 0.1 < 0.2 < unwatched["committee_capture"].mean()
        assert watched["index_decision"].mean() > unwatched["index_decision"].mean()
        last_year = (table["self_governance_index"].iloc[-12:].mean() for table in (watched, unwatched))
        gains.append(next(last_year) - next(last_year))
    assert min(gains) > 0  # in every seed
