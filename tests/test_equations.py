"""The rules of docs/ODD.md 7.2, 7.5, 7.9.6, 7.10 and 7.13, checked equation by equation on chosen numbers.

Written for the mutants of ``simulation/dependency.py``, ``stages.py``, ``supervision.py`` and ``agents.py`` that
the mechanism tests let through (docs/mutation.md): each test computes the rule by hand and compares, so a changed
sign, factor, cap or boundary shows. Mutants these tests cannot kill because no input can tell them apart are listed as
equivalent in docs/mutation.md.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest

from simulation import CommunityModel, load_scenario
from simulation.agents import PartyCell
from simulation.dependency import fiscal_independence, update_reliance
from simulation.population import create_residents
from simulation.problems import Outcomes
from simulation.stages import StageTracker, index_components
from simulation.supervision import drift, lose_trust, oversight

P = load_scenario("guardian").params


def _outcomes(excess, by_community):
    n = len(excess)
    zeros = np.zeros(n)
    return Outcomes(zeros + 1, zeros, zeros, np.asarray(by_community, float), np.asarray(excess, float), zeros)


# --- dependency (7.9.6 and 7.5) ---------------------------------------------------------------------------------
def test_reliance_grows_with_crowding_out_towards_1_and_falls_with_the_community_s_success():
    reliance = np.array([0.2, 0.5, 0.9])
    excess, own = np.array([1.0, 0.5, 0.0]), np.array([0.0, 0.5, 1.0])
    grown = reliance + P.reliance_gain * excess * (1 - reliance)
    expected = grown - P.reliance_recovery * own * grown
    update_reliance(reliance, P, _outcomes(excess, own))
    assert reliance == pytest.approx(expected)


def test_fiscal_independence_falls_with_the_public_share_of_the_committee_s_budget():
    fd = P.fiscal_dependence
    assert fiscal_independence(P, 3.0, 1.0) == pytest.approx(1 - fd * 0.75)
    assert fiscal_independence(P, 0.25, 0.25) == pytest.approx(1 - fd * 0.5)  # a budget below 1 unit
    assert fiscal_independence(P, 0.0, 2.0) == 1.0
    assert fiscal_independence(P, 0.0, 0.0) == 1.0  # no budget at all: nobody to answer to


# --- the index and the stage (7.10) ---------------------------------------------------------------------------
def test_the_funding_component_is_own_money_against_the_running_need_per_1000_residents_capped_at_1():
    need = P.funding_need * 0.5  # 500 residents
    half = index_components(P, 0.1, 0.2, 0.3, 0.4, need / 2, 500)
    assert (half.decision, half.organisation, half.social_capital, half.autonomy) == (0.1, 0.2, 0.3, 0.4)
    assert half.funding == pytest.approx(0.5)
    assert index_components(P, 0.1, 0.2, 0.3, 0.4, 3 * need, 500).funding == 1.0


def test_stage_thresholds_are_reached_at_equality_and_left_only_below_the_hysteresis_band():
    p = P.replace(index_smoothing=1, learning_threshold=0.5, independence_threshold=0.75, stage_hysteresis=0.25)
    tracker = StageTracker(p, 0.0)
    assert tracker.update(0.5) == "learning"  # exactly at the threshold: reached
    assert tracker.update(0.25) == "learning"  # exactly at the lower edge of the band: kept
    assert tracker.update(0.2) == "dependence"


def test_a_community_starting_inside_the_hysteresis_band_starts_dependent():
    p = P.replace(index_smoothing=1, learning_threshold=0.5, independence_threshold=0.75, stage_hysteresis=0.25)
    assert StageTracker(p, 0.4).stage == "dependence"
    assert StageTracker(p, 0.8).stage == "independence"


# --- supervision (7.13) --------------------------------------------------------------------------------------------
def test_oversight_is_government_s_watch_or_residents_with_a_say_and_skill():
    watch = oversight(P, 0.2, 0.5, 0.4)
    assert watch == pytest.approx(1 - 0.8 * (1 - P.self_oversight * 0.5 * 0.4))


def test_drift_grows_with_exposure_and_watching_corrects_the_watched_share():
    rng = np.random.default_rng(0)
    quiet = P.replace(exposure_rate=0.0)
    current, exposure = np.array([0.0, 0.2, 0.6]), np.array([1.0, 0.5, 0.25])
    new, scandal = drift(rng, current, exposure, quiet, watch=0.3)
    assert not scandal.any()
    assert new == pytest.approx((current + quiet.drift_rate * exposure * (1 - current)) * 0.7)


def test_a_scandal_s_chance_grows_with_drift_squared():
    rng = np.random.default_rng(1)
    p = P.replace(exposure_rate=1.0, drift_rate=0.0)
    n = 20_000
    new, scandal = drift(rng, np.full(n, 0.5), np.zeros(n), p, watch=0.0)
    assert scandal.mean() == pytest.approx(0.25, abs=0.015)
    assert (new[scandal] == 0).all() and (new[~scandal] == 0.5).all()  # drift that came out starts again


def test_a_scandal_takes_a_share_of_the_erodible_trust_of_those_it_touches_only():
    rng = np.random.default_rng(2)
    r = create_residents(rng, 300, P.replace(n_residents=300))
    touched = np.arange(300) % 3 == 0
    before = r.trust.copy()
    erodible = np.maximum(before - P.trust_floor * r.disposition, 0.0)
    lose_trust(r, touched, P)
    assert r.trust[touched] == pytest.approx(before[touched] - P.scandal_trust_loss * erodible[touched])
    assert (r.trust[~touched] == before[~touched]).all()


# --- the committee's month (7.5): plan, then finish -------------------------------------------------------------
def test_the_committee_s_month_follows_its_equations():
    """Budget, capacity, the split of tasks, the first claim, then completion, pressure, autonomy and staff."""
    model = CommunityModel(scenario="hangzhou", n_residents=500, rng=0, workstation_share=0.5)
    committee, p, k = model.committee, model.params, 0.5
    # Little money and a full load: the committee cannot finish its tasks this month.
    levers = replace(model.levers, mode="supportive", funding=2.0, service_purchase=0.25, admin_load=1.0,
                     fees_follow_tasks=0.4, training=0.6)  # fmt: skip
    committee.professionalism, committee.autonomy = 0.5, 0.4
    committee.plan(levers, resident_contributions=0.5)
    public = 2.0 * 0.75 * k
    funded = min(1.0, (public + 0.5) / (p.committee_funding_need * k))
    capacity = p.committee_capacity * k * funded * 1.5 / 2
    tasks = 1.0 * p.admin_tasks * k
    workstation = tasks * 0.5 * p.workstation_separation
    paid = (tasks - workstation) * 0.4
    demand = tasks - workstation - paid
    first = min(demand, capacity * p.top_down_evaluation)
    assert (committee.public_budget, committee.own_budget) == (pytest.approx(public), 0.5)
    assert committee.funded == pytest.approx(funded) and 0 < funded < 1
    assert committee.capacity == pytest.approx(capacity)
    assert (committee.total_tasks, committee.workstation_tasks) == (pytest.approx(tasks), pytest.approx(workstation))
    assert (committee.paid_tasks, committee.admin_demand) == (pytest.approx(paid), pytest.approx(demand))
    assert committee.admin_done == pytest.approx(first)
    assert committee.available_for_residents == pytest.approx(capacity - first)

    model.government.levers = levers  # finish reads the month's training lever from the model
    used = 0.1
    committee.finish(used, mean_ownership=0.3)
    done = first + min(capacity - first - used, demand - first)
    assert committee.admin_done == pytest.approx(done) and done < demand  # spare time ran out first
    assert committee.admin_completion == pytest.approx((done + workstation + paid) / tasks)
    assert committee.admin_completion < 1
    pressure = done / capacity
    assert committee.admin_pressure == pytest.approx(pressure)
    backing = p.elected_committee + (1 - p.elected_committee) * 0.3
    target = (1 - pressure * (1 - p.selection_appointment_separation)) * backing * fiscal_independence(p, public, 0.5)
    assert committee.autonomy == pytest.approx(0.4 + p.autonomy_rate * (target - 0.4))
    assert committee.professionalism == pytest.approx(0.5 + p.staff_turnover * (0.6 - 0.5))


def test_a_committee_with_no_tasks_has_completed_them_and_one_with_no_capacity_feels_no_pressure():
    model = CommunityModel(scenario="hangzhou", n_residents=200, rng=0)
    committee = model.committee
    committee.plan(replace(model.levers, admin_load=0.0, funding=0.0), resident_contributions=0.0)
    assert committee.capacity == 0.0 and committee.total_tasks == 0.0
    committee.finish(0.0, 0.5)
    assert committee.admin_completion == 1.0 and committee.admin_pressure == 0.0
    # Small numbers (capacity and tasks below one unit) still divide: the shares are shares of them.
    small = replace(model.levers, funding=0.5, admin_load=0.5, fees_follow_tasks=0.0)
    committee.plan(small, resident_contributions=0.0)
    assert 0 < committee.capacity < 1 and 0 < committee.total_tasks < 1
    committee.finish(0.5 * committee.available_for_residents, 0.5)
    assert committee.admin_pressure == pytest.approx(committee.admin_done / committee.capacity)
    assert committee.admin_pressure > 0
    completion = (committee.admin_done + committee.workstation_tasks + committee.paid_tasks) / committee.total_tasks
    assert committee.admin_completion == pytest.approx(completion) and completion < 1
    # Money beyond the running need does not make the committee more than fully funded.
    committee.plan(replace(model.levers, funding=3 * model.params.committee_funding_need), resident_contributions=0.0)
    assert committee.funded == 1.0


def test_a_new_community_s_bodies_start_uncaptured_with_nothing_outstanding():
    """What the first month reads before anything has happened: no capture, tasks done, no NGO money yet."""
    model = CommunityModel(scenario="guardian", n_residents=300, rng=0, initial_grassroots_ngos=3)
    assert model.committee.capture == 0.0 and model.committee.admin_completion == 1.0
    for ngo in model.ngo_by_id.values():
        assert (ngo.engagement, ngo.government_funding, ngo.own_revenue) == (0.0, 0.0, 0.0)
    # Government sets month 0's levers: a withdrawal in month 1 has not happened yet.
    assert not CommunityModel(scenario="guardian", n_residents=200, rng=0, withdraw_at_step=1).levers.withdrawn


# --- party cells (7.2) ------------------------------------------------------------------------------------------------
def test_a_party_cell_s_month_follows_its_equations():
    """One draw decides who is contacted and who is served; trust, mobilisation and mediation follow."""
    model = CommunityModel(scenario="hangzhou", n_residents=600, rng=3)
    p, r = model.params, model.residents
    cell = max(model.agents_by_type[PartyCell], key=lambda c: c.reachable.size)
    reach = cell.reachable
    trust, mobilised = r.trust.copy(), r.mobilised.copy()
    draw = copy.deepcopy(model.rng).random(reach.size)
    contacted, served = reach[draw < p.party_reach], reach[draw < p.party_reach * p.party_service]
    assert served.size > 0 and contacted.size > served.size
    cell.step()
    expected_trust = trust.copy()
    expected_trust[served] += p.party_trust_gain * (1 - trust[served])
    assert r.trust == pytest.approx(expected_trust)
    expected_mobilised = mobilised.copy()
    expected_mobilised[contacted] = np.maximum(mobilised[contacted], 1 - p.party_service)
    assert r.mobilised == pytest.approx(expected_mobilised)
    capital = expected_trust[reach].mean()
    assert cell.trust_capital == pytest.approx(capital)
    size = model.compound_sizes[cell.compound] / 1000
    assert cell.mediation_capacity == pytest.approx(p.party_mediation * size * p.party_service * capital)


def test_party_cells_that_reach_nobody_mediate_nothing_and_link_nothing():
    model = CommunityModel(scenario="hangzhou", n_residents=300, rng=0, party_member_share=0.0)
    model.step()
    cells = model.agents_by_type[PartyCell]
    assert all(cell.reachable.size == 0 for cell in cells)
    assert all(cell.trust_capital == 0.0 and cell.mediation_capacity == 0.0 for cell in cells)
    assert model.party_coordination == 0.0
