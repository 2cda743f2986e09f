"""One test per lever and rule that a deliberate breakage once slipped past (issue 11).

Each test calls the mechanism with chosen inputs, or compares two small models that share a seed and differ in
one thing, so that it checks what the rule does rather than where a whole run ends up. Each docstring names the
breakage it was checked against: the breakage was applied to the source by hand, the test failed, and the source
was restored (docs/mutation.md keeps the record of the mutants of the model core).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulation import CommunityModel, load_scenario
from simulation.model import organisations
from simulation.model.policy import (
    choose_levers,
    guardian_levers,
    role_of,
    scenario_levers,
    stepped_back_levers,
    withdrawn_levers,
)
from simulation.model.population import DECISION, LOW_LEVEL
from simulation.model.residents import learn

from .populations import make_population, outcomes

GUARDIAN = load_scenario("guardian").params
SEEDS = (1, 2, 3)
# The domains the guardian narrows as it assists: what it does in the community's place (policy.scenario_levers);
# what makes the community able to do these itself it keeps.
DOMAINS = ("direct_provision", "admin_load", "top_down_ngo_rate")
FOSTERING = ("training", "incubation", "funding", "service_purchase", "feedback", "supervision")
SPENDING = ("funding", "admin_load", "fees_follow_tasks", "service_purchase", "training", "feedback", "incubation",
            "top_down_ngo_rate", "direct_provision")  # fmt: skip


# --- (a) the guardian narrows its domains when it assists and steps back when the community is independent -----
def test_the_guardian_narrows_its_domains_when_it_assists_and_only_guides_and_supervises_after():
    """Assist keeps ``assist_support`` of what government does in the community's place and all of its fostering;
    supervise is guidance and strict supervision, with the committee's running costs paid.

    Checked against: ``guardian_levers`` returning the nurture levers for every role (the guardian then costs
    as much as a fixed policy), and ``scenario_levers`` ignoring its ``support`` argument.
    """
    p = GUARDIAN.replace(top_down_ngo_rate=1.0)  # non-zero, so that its scaling shows
    nurture, role = choose_levers(p, 0, "nurture", "dependence")
    assert role == "nurture"
    assist, role = choose_levers(p, 0, "nurture", "learning")
    assert role == "assist"
    supervise, role = choose_levers(p, 0, "assist", "independence")
    assert role == "supervise"
    for name in DOMAINS:
        full = getattr(nurture, name)
        assert full > 0, name
        assert getattr(assist, name) == pytest.approx(full * p.assist_support), name
        assert getattr(supervise, name) == 0.0, name
    for name in FOSTERING:  # assisting keeps what makes the community able ("重点培养基层自治组织发育成熟")
        assert getattr(assist, name) == getattr(nurture, name), name
    # Stepped back: the committee's running costs (not the services it bought), training at supervise_support,
    # the channels for residents' voice, and watching as closely as before; no services, no fostering.
    assert supervise == stepped_back_levers(p)
    assert supervise.funding == pytest.approx(p.funding * (1 - p.service_purchase)) and supervise.service_purchase == 0
    assert supervise.training == pytest.approx(p.training * p.supervise_support) and supervise.incubation == 0
    assert (supervise.feedback, supervise.supervision) == (p.feedback, p.supervision)
    assert (nurture.mode, assist.mode, supervise.mode) == ("supportive", "supportive", "supervisory")
    # And the roles read back from the behaviour are the ones chosen, when the community's part in the work grows.
    assert [role_of(levers, p, share) for levers, share in ((nurture, 0.6), (assist, 0.4), (supervise, 0.2))] == [
        "nurture",
        "assist",
        "supervise",
    ]


def test_the_guardian_changes_its_levers_only_at_a_review():
    """Between reviews the levers follow the role chosen at the last review, not the stage measured since."""
    p = GUARDIAN.replace(review_interval=12)
    kept, role = choose_levers(p, 5, "nurture", "independence")
    assert role == "nurture" and kept.training == p.training
    reviewed, role = choose_levers(p, 12, "nurture", "independence")
    assert role == "supervise" and reviewed == stepped_back_levers(p)


def test_a_guardian_that_narrows_its_support_costs_less_than_one_that_does_not():
    """Paired seeds: the same guardian with ``assist_support = supervise_support = 1`` spends more in total.

    Checked against the same breakage as above, through the whole model (public cost is what the README's
    "half the cost" reads).
    """
    for seed in SEEDS:
        totals = []
        for support in (None, 1.0):
            changes = {} if support is None else {"assist_support": support, "supervise_support": support}
            # A low learning threshold puts the community in the learning stage at once: the guardian assists.
            model = CommunityModel(scenario="guardian", n_residents=300, rng=seed, learning_threshold=0.1,
                                   review_interval=6, **changes)  # fmt: skip
            model.run_for(24)
            table = model.datacollector.get_model_vars_dataframe()
            assert model.government.guardian_role == "assist", seed  # the role chosen, whatever it costs
            totals.append(table["public_cost"].sum())
        narrowing, constant = totals
        assert narrowing < constant - 0.05 * constant, seed


# --- (b) an organisation's independence follows its funding mix ----------------------------------------
def _model_with_ngos(seed=0, **changes):
    model = CommunityModel(scenario="guardian", n_residents=300, rng=seed, initial_grassroots_ngos=4,
                           initial_top_down_ngos=4, **changes)  # fmt: skip
    by_origin = {}
    for ngo in model.ngo_by_id.values():
        by_origin.setdefault(ngo.origin, ngo)
    return model, by_origin["grassroots"], by_origin["top_down"]


def test_ngo_independence_follows_the_share_of_money_it_raises_itself():
    """Independence moves each month by ``ngo_independence_rate`` towards the share of income it raised itself.

    Checked against: the independence update in ``agents.NGO.step`` removed (independence frozen at its start).
    """
    model, ngo, _ = _model_with_ngos()
    p = model.params
    # Living on its members alone: independence rises towards 1.
    ngo.capacity, ngo.engagement, ngo.government_funding, ngo.independence = 0.5, 1.0, 0.0, 0.4
    ngo.step()
    assert ngo.independence == pytest.approx(0.4 + p.ngo_independence_rate * (1.0 - 0.4))
    # Living on government money: independence falls towards its small own share.
    ngo.engagement, ngo.government_funding, start = 0.1, p.ngo_budget, ngo.independence
    for _ in range(24):
        ngo.step()
    own_share = ngo.own_revenue / (ngo.own_revenue + ngo.government_funding)
    assert own_share < 0.1
    assert ngo.independence < start - 0.2
    assert ngo.independence == pytest.approx(own_share + (start - own_share) * (1 - p.ngo_independence_rate) ** 24,
                                             abs=0.02)  # fmt: skip


def test_an_organisation_with_no_income_keeps_its_independence():
    """No income, no funding mix to follow: independence stays where it was (no division by zero either)."""
    _, ngo, _ = _model_with_ngos()
    ngo.capacity, ngo.engagement, ngo.government_funding, ngo.independence = 0.5, 0.0, 0.0, 0.6
    ngo.step()
    assert ngo.independence == 0.6


# --- (c) incubation helps residents' own organisations grow and be founded ------------------------------
def test_incubation_helps_residents_own_organisations_grow():
    """Paired models (same seed, incubation 0 or 0.8): the same organisation grows by exactly the boost.

    A government-made organisation gets no boost. Checked against: ``boost = 1 + fostering`` replaced by 1 in
    ``agents.NGO.step``, and ``fostering`` no longer counting incubation (``CommunityModel.fostering``).
    """
    grown = {}
    for incubation in (0.0, 0.8):
        model, grassroots, top_down = _model_with_ngos(incubation=incubation)
        assert model.fostering == pytest.approx(incubation + model.params.committee_fostering)
        for ngo in (grassroots, top_down):
            ngo.capacity, ngo.engagement, ngo.government_funding = 0.3, 0.5, 0.0
            ngo.step()
        grown[incubation] = grassroots.capacity, top_down.capacity
    p = GUARDIAN
    expected_gap = 0.8 * p.ngo_growth_rate * 0.5 * (1 - 0.3)
    assert grown[0.8][0] - grown[0.0][0] == pytest.approx(expected_gap)
    assert grown[0.8][1] == grown[0.0][1]


def test_incubation_helps_residents_found_organisations():
    """Paired seeds: with the same draws, more fostering founds more organisations, in every seed.

    Checked against: ``(1 + fostering)`` dropped from the founding chance in ``organisations.found_grassroots``.
    """
    for seed in SEEDS:
        founded = []
        for incubation in (0.0, 1.0):
            model = CommunityModel(scenario="guardian", n_residents=400, rng=seed, incubation=incubation,
                                   ngo_founding_rate=0.05, founder_skill=0.0, founder_civic=0.0)  # fmt: skip
            model.residents.activity[:] = LOW_LEVEL
            founded.append(organisations.found_grassroots(model))
        assert founded[1] > founded[0], seed


# --- (d) training changes the committee's staff -----------------------------------------------------------
def test_training_brings_trained_staff_into_the_committee():
    """Professionalism moves by ``staff_turnover`` towards the training lever; trained staff do more work.

    Checked against: the professionalism update removed from ``ResidentsCommittee.finish`` and, separately,
    capacity no longer depending on professionalism in ``ResidentsCommittee.plan``.
    """
    after = {}
    for training in (0.0, 1.0):
        model = CommunityModel(scenario="hangzhou", n_residents=300, rng=0, training=training, policy="fixed")
        committee, p = model.committee, model.params
        start = committee.professionalism
        committee.finish(0.0, 0.5)
        assert committee.professionalism == pytest.approx(start + p.staff_turnover * (training - start))
        for _ in range(59):
            committee.finish(0.0, 0.5)
        after[training] = committee.professionalism
    assert after[1.0] > after[0.0] + 0.3
    # Capacity: untrained staff do half the work of professionals.
    committee = model.committee
    capacities = []
    for professionalism in (0.0, 1.0):
        committee.professionalism = professionalism
        committee.plan(model.levers, 0.0)
        capacities.append(committee.capacity)
    assert capacities[1] == pytest.approx(2 * capacities[0]) and capacities[0] > 0


# --- (e) a decision is heeded as often as the committee is open -----------------------------------------
@pytest.mark.parametrize("openness", [0.2, 0.8])
def test_deciders_learn_a_sense_of_control_as_often_as_their_decision_is_heeded(openness):
    """Deciders' efficacy settles at the committee's openness, whatever the community solved itself.

    Checked against: ``heeded_chance`` set to 1 for deciders (every decision heeded regardless of openness), and
    deciders judged by ``own_success`` like everybody else.
    """
    p, rng, net, r = make_population(n=400)
    r.activity[:] = DECISION
    r.efficacy[:] = 0.5
    for _ in range(80):
        learn(rng, r, net, p, outcomes(r.n, residents=0.5), openness, 0.5, 0.0, np.ones(r.n))
    assert r.efficacy.mean() == pytest.approx(openness, abs=0.05)


def test_low_level_participants_learn_from_what_the_community_solved_itself():
    """The other half of the rule: low-level participants' efficacy settles at the community's own success."""
    p, rng, net, r = make_population(n=400)
    r.activity[:] = LOW_LEVEL
    r.efficacy[:] = 0.5
    for _ in range(80):
        learn(rng, r, net, p, outcomes(r.n, residents=0.1), 0.9, 0.5, 0.0, np.ones(r.n))
    assert r.efficacy.mean() == pytest.approx(0.1, abs=0.05)


# --- (f) the shock adds demand ----------------------------------------------------------------------------------
def test_the_shock_adds_its_size_to_one_compound_in_its_month():
    """Paired seeds: in the shock month demand differs by exactly ``shock_size`` per 1,000 residents, at one compound.

    Before the shock the two runs are identical. Checked against: the shock's demand removed from
    ``CommunityModel._handle_problems``, and the shock arriving a month late.
    """
    for seed in SEEDS:
        calm = CommunityModel(scenario="shenyang", n_residents=300, rng=seed)
        shocked = CommunityModel(scenario="shenyang", n_residents=300, rng=seed, shock_step=3, shock_size=60)
        for month in (1, 2, 3):
            calm.step()
            shocked.step()
            extra = shocked.last_month.demand - calm.last_month.demand
            if month < 3:
                assert not extra.any(), (seed, month)
        places = shocked.places
        assert extra.sum() == pytest.approx(60 * 0.3)
        hit = np.flatnonzero(extra)
        assert hit.size == 1 and places.n_buildings <= hit[0] < places.community


# --- policy: the rest of the rules of docs/ODD.md 7.1, at their edges (mutants of simulation/model/policy.py) ---------
def test_withdrawn_government_gives_nothing_asks_nothing_and_only_watches():
    p = GUARDIAN
    levers = withdrawn_levers(p)
    assert levers.mode == "supervisory"  # it judges results: tasks get no first claim on the committee
    spent = {name: getattr(levers, name) for name in SPENDING}
    assert spent == dict.fromkeys(SPENDING, 0.0) and levers.withdrawn
    assert levers.supervision == p.supervision
    # Withdrawing "at month 0" means from the start.
    assert choose_levers(p.replace(withdraw_at_step=0), 0, "nurture", "dependence")[0] == levers
    assert not choose_levers(p.replace(withdraw_at_step=1), 0, "nurture", "dependence")[0].withdrawn


def test_role_threshold_is_inclusive_and_any_intervention_is_not_supervision():
    """Government leads from ``role_lead_share`` of the community's work (inclusive); one that does anything in
    the community's place (tasks, services, problems, fostering, organisations) does not only supervise."""
    p = GUARDIAN.replace(role_lead_share=0.4)
    doing = replace(withdrawn_levers(p), mode="supportive", funding=p.committee_funding_need, direct_provision=0.5)
    assert role_of(doing, p, 0.4) == "nurture" and role_of(doing, p, 0.39) == "assist"
    for lever in ("admin_load", "service_purchase", "incubation", "top_down_ngo_rate", "direct_provision"):
        only_that = replace(withdrawn_levers(p), **{lever: 0.1})
        assert role_of(only_that, p, 0.0) == "assist", lever
    # Money for the committee, training, channels or watching alone: guidance and supervision.
    for lever in ("funding", "training", "feedback", "supervision"):
        alone = replace(withdrawn_levers(p.replace(supervision=0.0)), **{lever: 0.5})
        assert role_of(alone, p, 1.0) == "supervise", lever
    assert role_of(withdrawn_levers(p.replace(supervision=0.0)), p, 0.0) == "withdrawn"


def test_fixed_policies_ignore_the_measured_stage_and_follow_the_month():
    p = load_scenario("hangzhou").params.replace(admin_load_growth=0.12)
    levers, role = choose_levers(p, 0, "nurture", "independence")
    assert role == "nurture" and levers == scenario_levers(p, 0)
    later, _ = choose_levers(p, 60, "nurture", "independence")
    assert later.admin_load == pytest.approx(min(1.0, p.admin_load + 0.12 * 5))
    # The guardian's levers follow the month too, and month 0 is the default.
    g = GUARDIAN.replace(admin_load_growth=0.12)
    assert choose_levers(g, 24, "nurture", "dependence")[0].admin_load == pytest.approx(g.admin_load + 0.24)
    assert guardian_levers(g, "nurture") == guardian_levers(g, "nurture", 0) == scenario_levers(g)
    assert scenario_levers(g).admin_load == g.admin_load


# --- organisations: the monthly rule of agents.NGO.step, term by term -------------------------------------------
@pytest.mark.parametrize("origin", ["grassroots", "top_down"])
def test_an_organisation_s_month_follows_its_equations(origin):
    """Own revenue, funding, growth and independence of one month, computed from docs/ODD.md 7.8 by hand."""
    model, grassroots, top_down = _model_with_ngos(incubation=0.4)
    ngo, p = (grassroots if origin == "grassroots" else top_down), model.params
    c, e, g, i = 0.4, 0.6, 0.1, 0.5
    ngo.capacity, ngo.engagement, ngo.government_funding, ngo.independence, ngo.age = c, e, g, i, 3
    embedded = p.ngo_embeddedness if origin == "top_down" else 0.0
    boost = 1 + model.fostering if origin == "grassroots" else 1.0
    own = p.ngo_own_revenue * c * e * (1 - embedded)
    funded = min(1.0, (g + own) / p.ngo_budget)
    growth = boost * p.ngo_growth_rate * e + p.ngo_funded_growth_rate * funded
    ngo.step()
    assert ngo.age == 4
    assert ngo.own_revenue == pytest.approx(own)
    assert ngo.capacity == pytest.approx(c + growth * (1 - c) - p.ngo_decay_rate * c)
    assert ngo.independence == pytest.approx(i + p.ngo_independence_rate * (own / (g + own) * (1 - embedded) - i))


def test_an_organisation_with_more_money_than_it_needs_grows_no_faster():
    """Funding counts up to the organisation's budget: twice the budget buys no more growth than the budget."""
    capacities = []
    for funding in (1.0, 2.0):
        _, ngo, _ = _model_with_ngos()
        p = ngo.model.params
        ngo.capacity, ngo.engagement, ngo.government_funding = 0.4, 0.0, funding * p.ngo_budget
        ngo.step()
        capacities.append(ngo.capacity)
    assert capacities[0] == capacities[1] > 0.4 * (1 - GUARDIAN.ngo_decay_rate)


def test_an_organisation_dissolves_below_its_threshold_not_at_it():
    model, ngo, other = _model_with_ngos(ngo_decay_rate=0.5, ngo_growth_rate=0.0, ngo_funded_growth_rate=0.0)
    ngo.capacity, ngo.engagement, ngo.government_funding = 0.1, 0.0, 0.0
    ngo.step()  # 0.1 * (1 - 0.5) = 0.05: exactly the threshold
    assert ngo.capacity == model.params.ngo_dissolve_capacity and ngo.unique_id in model.ngo_by_id
    members, others = model.member_of == ngo.unique_id, model.member_of == other.unique_id
    assert members.any() and others.any()
    ngo.step()  # 0.025: dissolves, its members are free, nobody else's membership changes
    assert ngo.unique_id not in model.ngo_by_id and other.unique_id in model.ngo_by_id
    assert (model.member_of[members] == -1).all() and (model.member_of[others] == other.unique_id).all()


def test_a_new_organisation_starts_undrifted():
    """A new organisation serves everyone: drift 0, so its problem capacity is its whole capacity."""
    _, ngo, _ = _model_with_ngos()
    assert ngo.drift == 0.0 and ngo.age == 0
    assert ngo.problem_capacity == pytest.approx(ngo.capacity * GUARDIAN.ngo_problem_capacity)


def test_organisations_without_members_are_not_engaged():
    """When the last members of every organisation have left, none keeps last month's engagement (it used to:
    record_engagement returned early, so a memberless organisation could go on growing and never dissolve)."""
    model = CommunityModel(scenario="hangzhou", n_residents=300, rng=1, initial_grassroots_ngos=10)
    for _ in range(24):
        model.step()
    assert model.ngo_by_id and (model.member_of >= 0).any()
    for ngo in model.ngo_by_id.values():
        ngo.engagement = 0.7
    model.member_of[:] = -1
    organisations.record_engagement(model)
    assert [ngo.engagement for ngo in model.ngo_by_id.values()] == [0.0] * len(model.ngo_by_id)
