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
import pytest

from simulation import CommunityModel
from simulation.model.agents import NGO
from simulation.model.measures import measure, organised_share
from simulation.model.population import DECISION, ELDERLY, LOW_LEVEL, NONE, WORKING_AGE, YOUNG
from simulation.model.problems import CHANNELS, MonthOfProblems

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
