"""The rules of docs/ODD.md 7.2, 7.5, 7.9.6, 7.10 and 7.13, checked equation by equation on chosen numbers.

Written for the mutants of ``simulation/model/dependency.py``, ``stages.py``, ``supervision.py``, ``agents.py`` and
``residents.py`` that
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
from simulation.model.agents import PartyCell
from simulation.model.dependency import fiscal_independence, update_reliance
from simulation.model.network import COMMUNITY
from simulation.model.population import DECISION, LOW_LEVEL, NONE, create_residents
from simulation.model.problems import Outcomes, level_shares
from simulation.model.residents import decide_activity, joint_action, learn, logistic, peer_reinforcement
from simulation.model.stages import (
    ANCHORS,
    COMPONENTS,
    LEGACY_COMPONENTS,
    IndexComponents,
    StageTracker,
    anchored_thresholds,
    thresholds,
    yardstick_weights,
)
from simulation.model.supervision import drift, lose_trust, oversight

from .populations import make_population

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
SOME = IndexComponents(
    decision=0.1,
    organisation=0.2,
    social_capital=0.3,
    autonomy=0.4,
    own_resources=0.5,
    own_solving=0.6,
    standing=0.7,
)


def test_the_community_index_is_the_weighted_mean_of_its_six_components_and_the_legacy_index_of_its_five():
    assert SOME.index(yardstick_weights(P)) == pytest.approx(np.mean([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]))
    weighted = P.replace(weight_own_solving=3.0, weight_decision=0.0)
    assert SOME.index(yardstick_weights(weighted)) == pytest.approx((0.2 + 0.3 + 0.4 + 0.5 + 3 * 0.6) / 7)
    legacy = P.replace(yardstick="legacy")
    assert yardstick_weights(legacy) == dict.fromkeys(LEGACY_COMPONENTS, 1.0)
    assert SOME.index(yardstick_weights(legacy)) == pytest.approx(np.mean([0.1, 0.2, 0.3, 0.7, 0.5]))
    for component in COMPONENTS:  # a component on its own is its own yardstick
        assert SOME.index(yardstick_weights(P.replace(yardstick=component))) == getattr(SOME, component)


def test_stage_thresholds_come_from_the_anchors():
    """Independence: the yardstick at the essays' self-governing cases; learning: halfway from Karamay's."""
    weights = {"decision": 1.0, "autonomy": 3.0}
    learning, independence = anchored_thresholds(weights)
    high = (ANCHORS["decision"].independence + 3 * ANCHORS["autonomy"].independence) / 4
    low = (ANCHORS["decision"].dependence + 3 * ANCHORS["autonomy"].dependence) / 4
    assert independence == pytest.approx(high) and learning == pytest.approx((low + high) / 2)
    # The community index's thresholds are parameters, whose defaults are its anchors' (to two decimals) ...
    assert anchored_thresholds(yardstick_weights(P)) == pytest.approx(
        (P.learning_threshold, P.independence_threshold), abs=0.005
    )
    assert thresholds(P.replace(independence_threshold=0.5)) == (P.learning_threshold, 0.5)
    # ... any other yardstick reads its own anchors, whatever the parameters say.
    own = P.replace(yardstick="own_solving", independence_threshold=0.5)
    assert thresholds(own) == anchored_thresholds({"own_solving": 1.0})
    assert thresholds(P.replace(yardstick="legacy")) == pytest.approx((0.28, 0.43))  # the earlier versions'


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


def test_spare_time_finishes_the_tasks_left_after_their_first_claim_and_no_more():
    model = CommunityModel(scenario="hangzhou", n_residents=500, rng=0, top_down_evaluation=0.5, workstation_share=0.0)
    committee = model.committee
    committee.professionalism = 1.0
    committee.plan(replace(model.levers, mode="supportive", funding=10.0, admin_load=1.0, fees_follow_tasks=0.0), 0.0)
    demand, first = committee.admin_demand, committee.admin_done
    assert first == pytest.approx(0.5 * committee.capacity) and first < demand < committee.capacity
    committee.finish(0.0, 0.5)
    assert committee.admin_done == pytest.approx(demand) and committee.admin_completion == pytest.approx(1.0)


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


# --- residents (7.4 and 7.9) -----------------------------------------------------------------------------------------
def _residents(n=400, seed=0, network="housing", **changes):
    p, rng, net, r = make_population(n, seed, network, **changes)
    if net.n_ties:  # ties of unequal trust, the same both ways, so that weighting by trust shows
        values = rng.uniform(0.1, 0.9, net.upper.size)
        net.tie_trust[net.upper], net.tie_trust[net.mirror] = values, values
    return p, rng, net, r


def test_logistic_is_one_half_at_zero():
    assert logistic(np.array([0.0]))[0] == 0.5
    assert logistic(np.array([np.log(3.0)]))[0] == pytest.approx(0.75)


def test_the_participation_choice_follows_its_utility_term_by_term():
    """The two draws compared with the logistic of the utility and of the decision pull, computed by hand."""
    p, rng, net, r = _residents()
    r.activity[:] = np.arange(r.n) % 3  # last month's activity: the peer pull and habit
    took_part = r.activity != NONE
    r.mobilised[:] = np.linspace(0, 1, r.n)
    previous, openness = 0.4, 0.6
    utility = (p.participation_baseline + p.weight_trust * r.trust + p.weight_efficacy * r.efficacy
               + p.weight_civic * r.civic + p.weight_time * r.free_time
               + p.weight_peer * peer_reinforcement(r, net, p) + p.weight_low_income * r.low_income
               + p.weight_mobilisation * r.mobilised + p.weight_party_duty * r.party_member
               + p.weight_habit * took_part - p.weight_reliance * r.reliance - p.free_riding * previous)  # fmt: skip
    pull = (p.decision_baseline + p.decision_weight_skill * r.skill + p.decision_weight_efficacy * r.efficacy
            + p.decision_weight_openness * openness)  # fmt: skip
    draws = copy.deepcopy(rng)
    active, decides = draws.random(r.n) < logistic(utility), draws.random(r.n) < logistic(pull)
    decide_activity(rng, r, net, p, previous, openness, month=7)
    expected = np.where(active, np.where(decides, DECISION, LOW_LEVEL), NONE)
    assert (r.activity == expected).all()
    assert 0 < active.mean() < 1 and 0 < (expected == DECISION).sum() < active.sum()  # the draws differ per resident
    assert (r.last_decision[expected == DECISION] == 7).all()
    assert (r.last_active[expected != NONE] == 7).all() and (r.last_active[expected == NONE] < 7).all()


def test_joint_action_follows_its_equations():
    p, _, net, r = _residents(n=1000, coordination_ties=3.0, party_bridge=2.0)  # three compounds: ties across them
    r.activity[:] = np.where(np.arange(r.n) % 4 == 0, NONE, LOW_LEVEL)
    active = (r.activity != NONE).astype(float)
    reach = net.sum_by_level(active)
    assert reach[COMMUNITY].any()
    reach[COMMUNITY] += 2.0 * net.neighbour_sum(active * r.party_member)
    reach = np.minimum(1.0, reach / 3.0)
    assert (reach < 1).any() and (reach == 1).any()
    effort = p.self_help_rate * active * r.skill * r.trust * (1 - r.reliance)
    shares = np.array(level_shares(p.building_problem_share, p.community_problem_share))
    by_level, mean_reach = joint_action(r, net, p)
    assert by_level == pytest.approx(effort * reach)
    assert mean_reach == pytest.approx(shares @ reach)


def _known_month(n):
    full = np.ones(n)
    # solved 0.6: 0.3 by residents, 0.2 by services, 0.1 by government; own success 0.5, nothing unresolved
    return Outcomes(full * 0.6, full * 0.3, full * 0.2, full * 0.5, full * 0.1, full * 0.4)


def test_learning_follows_its_equations_when_nothing_is_left_to_chance():
    """Chances of 0 and 1 only (openness 1, committee face 0): skill, efficacy, trust, ownership by hand."""
    p, rng, net, r = _residents()
    r.activity[:] = np.arange(r.n) % 3  # none, low-level, decision
    none, low, decision = (r.activity == NONE), (r.activity == LOW_LEVEL), (r.activity == DECISION)
    active = ~none
    skill, efficacy, trust, ownership = r.skill.copy(), r.efficacy.copy(), r.trust.copy(), r.ownership.copy()
    reach, month, training = np.linspace(0, 1, r.n), _known_month(r.n), 0.5
    # Trust, computed first: diffusion weighs neighbours by the tie trust of before the month (ties learn last).
    t = trust + p.trust_gain_joint_action * 0.3 * active * reach * (1 - trust)
    t = t + p.trust_gain_service * 0.2 * (1 - t)
    t = t - p.trust_loss_unresolved * 0.4 * np.maximum(t - p.trust_floor * r.disposition, 0.0)
    t = t - p.trust_decay * (t - r.disposition)
    t = t + p.trust_diffusion * (net.neighbour_mean(t, weighted=True) - t) * net.has_ties
    learn(rng, r, net, p, month, 1.0, 0.0, training, reach)

    practice = np.where(decision, 1.0, np.where(low, p.low_level_learning_factor, 0.0))
    grown = skill + (p.skill_learning_rate * practice + p.training_skill_gain * training * active) * (1 - skill)
    assert r.skill == pytest.approx(grown - p.skill_decay * grown)
    # Deciders were all heeded (openness 1); low-level participants' chance is the own success, 0.5: drawn.
    heeded = efficacy[decision] + p.efficacy_learning_rate * (1 - efficacy[decision])
    assert r.efficacy[decision] == pytest.approx(heeded)
    assert r.efficacy[none] == pytest.approx(efficacy[none] + p.efficacy_observation_rate * (0.5 - efficacy[none]))
    assert r.trust == pytest.approx(t)
    # Deciders see the committee act for them (openness 1), others see it act for government (face 0).
    seen = np.where(decision, 1.0, 0.0)
    o = ownership + np.where(active, p.ownership_learning_rate * (seen - ownership), 0.0)
    assert r.ownership == pytest.approx(o - p.ownership_anchor * (o - r.prior_view))


def test_residents_in_contact_each_see_the_committee_with_their_own_chance():
    """A face of 0.5: about half of those in contact see it act for residents, each drawn on their own."""
    p, rng, net, r = _residents()
    r.activity[:] = LOW_LEVEL
    r.ownership[:], r.prior_view[:] = 0.5, 0.5
    learn(rng, r, net, p, _known_month(r.n), 0.0, 0.5, 0.0, np.zeros(r.n))
    up = r.ownership > 0.5
    assert 0.35 < up.mean() < 0.65


def test_without_ties_nobody_s_trust_diffuses():
    p, rng, net, r = _residents(network="none")
    r.activity[:] = NONE
    trust = r.trust.copy()
    learn(rng, r, net, p, _known_month(r.n), 0.5, 0.5, 0.0, np.zeros(r.n))
    t = trust + p.trust_gain_service * 0.2 * (1 - trust)
    t = t - p.trust_loss_unresolved * 0.4 * np.maximum(t - p.trust_floor * r.disposition, 0.0)
    assert r.trust == pytest.approx(t - p.trust_decay * (t - r.disposition))


def test_ties_strengthen_when_both_ends_take_part_and_drift_back_otherwise():
    p, rng, net, r = _residents()
    r.activity[:] = np.where(np.arange(r.n) % 2 == 0, LOW_LEVEL, NONE)
    before = net.tie_trust.copy()
    success = np.linspace(0, 1, r.n)
    ends_a, ends_b = net.upper_ends
    both = (r.activity[ends_a] != NONE) & (r.activity[ends_b] != NONE)
    assert both.any() and not both.all()
    gain = np.where(both, p.tie_trust_gain * 0.5 * (success[ends_a] + success[ends_b]), 0.0)
    upper = before[net.upper] + gain * (1 - before[net.upper])
    expected = upper * (1 - p.tie_trust_decay) + p.tie_trust_decay * p.initial_tie_trust
    from simulation.model.residents import _update_ties

    _update_ties(net, p, r.activity != NONE, success)
    assert net.tie_trust[net.upper] == pytest.approx(expected)
    assert net.tie_trust[net.mirror] == pytest.approx(expected)
