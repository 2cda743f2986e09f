"""Each mechanism on its own: small, direct checks of the rules in docs/ODD.md."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import CommunityModel, ParameterError, load_scenario
from simulation.agents import NGO, Government, PartyCell, Resident, ResidentsCommittee
from simulation.network import build_network
from simulation.population import DECISION, LOW_LEVEL, NONE, create_residents
from simulation.problems import handle
from simulation.residents import Outcomes, decide_activity, learn
from simulation.stages import StageTracker

PARAMS = load_scenario("guardian").params


def make_population(n=2000, seed=0, **changes):
    p = PARAMS.replace(n_residents=n, **changes)
    rng = np.random.default_rng(seed)
    net = build_network(rng, n, p.building_size, p.buildings_per_compound, p.ties_within_building,
                        p.ties_within_compound, p.ties_across_compounds, p.initial_tie_trust)
    return p, rng, net, create_residents(rng, n, p)


def participation(p, rng, net, r, previous_rate=0.0, openness=0.5, repeats=5):
    rates = []
    for _ in range(repeats):
        decide_activity(rng, r, net, p, previous_rate, openness)
        rates.append((r.activity != NONE).mean())
    return float(np.mean(rates))


# --- network -------------------------------------------------------------------
def test_network_follows_the_housing_hierarchy():
    p, _, net, _ = make_population()
    ties = net.ties
    assert (ties != ties.T).nnz == 0
    same_building = net.building[net.rows] == net.building[net.cols]
    same_compound = net.compound[net.rows] == net.compound[net.cols]
    # Most ties are within the building; a minority bridge compounds.
    assert same_building.mean() > 0.55
    assert (~same_compound).mean() < 0.15
    expected = p.ties_within_building + p.ties_within_compound + p.ties_across_compounds
    assert net.degree().mean() == pytest.approx(expected, rel=0.15)


def test_model_places_residents_on_a_mesa_network():
    model = CommunityModel(scenario="guardian", n_residents=300, rng=1)
    assert len(model.grid.all_cells) == 300
    resident = model.agents_by_type[Resident][5]
    assert resident.cell is model.grid[resident.index]
    neighbours = {a.index for a in resident.cell.neighborhood.agents if isinstance(a, Resident)}
    row = model.network.ties.indptr
    assert neighbours == set(model.network.cols[row[resident.index]:row[resident.index + 1]].tolist())
    for kind in (Government, ResidentsCommittee, PartyCell):
        assert len(model.agents_by_type[kind]) >= 1


def test_resident_agents_are_views_onto_the_arrays():
    model = CommunityModel(scenario="guardian", n_residents=200, rng=1)
    model.run_for(3)
    resident = model.agents_by_type[Resident][17]
    assert resident.trust == model.residents.trust[17]
    model.residents.trust[17] = 0.123
    assert resident.trust == 0.123
    assert resident.activity in ("none", "low_level", "decision")


# --- participation ------------------------------------------------------------
def test_trust_and_efficacy_raise_participation():
    p, rng, net, r = make_population()
    base = participation(p, rng, net, r)
    r.trust[:] = 0.9
    r.efficacy[:] = 0.9
    assert participation(p, rng, net, r) > base + 0.1


def test_free_riding_lowers_participation_when_many_take_part():
    p, rng, net, r = make_population()
    assert participation(p, rng, net, r, previous_rate=0.8) < participation(p, rng, net, r, previous_rate=0.0)


def test_working_age_adults_take_part_less_than_the_elderly():
    p, rng, net, r = make_population(n=5000)
    counts = np.zeros(3)
    for _ in range(10):
        decide_activity(rng, r, net, p, 0.2, 0.3)
        counts += np.bincount(r.age_group, weights=(r.activity != NONE), minlength=3) / np.bincount(r.age_group)
    elderly, working_age, _ = counts
    assert working_age < 0.7 * elderly


def test_open_channels_and_skill_move_participation_into_decisions():
    p, rng, net, r = make_population()
    decide_activity(rng, r, net, p, 0.0, 0.0)
    closed = (r.activity == DECISION).sum() / max(1, (r.activity != NONE).sum())
    r.skill[:] = 0.8
    decide_activity(rng, r, net, p, 0.0, 1.0)
    opened = (r.activity == DECISION).sum() / max(1, (r.activity != NONE).sum())
    assert opened > closed + 0.3


# --- learning -------------------------------------------------------------------
def outcomes(n_compounds, solved=1.0, residents=0.0, service=0.0):
    full = np.full(n_compounds, 1.0)
    return Outcomes(full * solved, full * residents, full * service, full * (residents + service), full * (1 - solved))


def test_learning_by_doing_and_responsive_institutions_build_skill_and_efficacy():
    p, rng, net, r = make_population()
    r.activity[:] = DECISION
    skill, efficacy = r.skill.copy(), r.efficacy.copy()
    for _ in range(12):
        learn(rng, r, net, p, outcomes(net.compound.max() + 1, residents=0.5, service=0.5), 0.9, 0.9, 0.0)
    assert (r.skill > skill).mean() > 0.95
    assert r.efficacy.mean() > efficacy.mean() + 0.2


def test_unresponsive_institutions_erode_efficacy():
    p, rng, net, r = make_population()
    r.activity[:] = LOW_LEVEL
    r.efficacy[:] = 0.6
    for _ in range(12):
        learn(rng, r, net, p, outcomes(net.compound.max() + 1, solved=1.0), 0.0, 0.5, 0.0)
    assert r.efficacy.mean() < 0.45


def test_unresolved_problems_erode_trust_and_joint_action_builds_it():
    p, rng, net, r = make_population()
    n_compounds = net.compound.max() + 1
    start = r.trust.mean()
    r.activity[:] = NONE
    for _ in range(12):
        learn(rng, r, net, p, outcomes(n_compounds, solved=0.0), 0.3, 0.3, 0.0)
    assert r.trust.mean() < start - 0.05
    r.activity[:] = LOW_LEVEL
    tie_before = net.tie_trust.mean()
    low = r.trust.mean()
    for _ in range(12):
        learn(rng, r, net, p, outcomes(n_compounds, residents=1.0), 0.3, 0.3, 0.0)
    assert r.trust.mean() > low + 0.05
    assert net.tie_trust.mean() > tie_before


# --- problems -------------------------------------------------------------------
def test_directive_government_solves_first_and_leaves_residents_nothing_to_do():
    demand = np.array([4.0, 6.0])
    capacity = {"residents": np.array([3.0, 3.0]), "ngos": np.zeros(2), "party": np.zeros(2),
                "committee": 0.0, "government": 10.0}
    directive = handle(demand, capacity, "directive", lapse=0.3)
    assert directive.total("government") == pytest.approx(10.0)
    assert directive.total("residents") == 0.0
    supportive = handle(demand, capacity, "supportive", lapse=0.3)
    assert supportive.total("residents") == pytest.approx(6.0)
    assert supportive.total("government") == pytest.approx(4.0)
    assert supportive.outcomes().by_residents == pytest.approx([0.75, 0.5])


def test_unresolved_problems_carry_over_minus_lapse():
    demand = np.array([10.0])
    capacity = {"residents": np.array([2.0]), "ngos": np.zeros(1), "party": np.zeros(1), "committee": 0.0,
                "government": 0.0}
    month = handle(demand, capacity, "supervisory", lapse=0.25)
    assert month.backlog == pytest.approx([6.0])
    assert month.outcomes().unresolved == pytest.approx([0.8])


# --- stages ---------------------------------------------------------------------
def test_stage_classification_has_hysteresis():
    p = PARAMS.replace(index_smoothing=1, learning_threshold=0.35, stage_hysteresis=0.05)
    tracker = StageTracker(p, 0.1)
    assert tracker.stage == "dependence"
    assert tracker.update(0.36) == "learning"
    assert tracker.update(0.33) == "learning"  # a small dip does not flip back
    assert tracker.update(0.29) == "dependence"


def test_stage_reads_a_moving_average():
    p = PARAMS.replace(index_smoothing=6)
    tracker = StageTracker(p, 0.1)
    assert tracker.update(0.9) == "dependence"  # one good month is not a new stage


# --- organisations and committee -------------------------------------------------
def test_grassroots_organisations_need_active_skilled_residents():
    idle = CommunityModel(scenario="guardian", n_residents=600, rng=3, participation_baseline=-20.0)
    idle.run_for(24)
    assert idle.metrics["grassroots_ngo_count"] == 0
    keen = CommunityModel(scenario="guardian", n_residents=600, rng=3, initial_skill_mean=0.7,
                          civic_propensity_mean=0.7)
    keen.run_for(24)
    assert keen.metrics["grassroots_ngo_count"] > 0


def test_organisations_without_members_or_money_dissolve():
    model = CommunityModel(scenario="early_withdrawal", n_residents=600, rng=2, initial_top_down_ngos=5,
                           participation_baseline=-20.0)
    assert len(model.agents_by_type[NGO]) == 3
    model.run_for(60)
    assert NGO not in model.agents_by_type or len(model.agents_by_type[NGO]) == 0
    assert (model.member_of == -1).all()


def test_administrative_load_squeezes_committee_autonomy():
    light = CommunityModel(scenario="guardian", n_residents=400, rng=0, policy="fixed", admin_load=0.1)
    heavy = CommunityModel(scenario="guardian", n_residents=400, rng=0, policy="fixed", admin_load=1.0)
    light.run_for(36)
    heavy.run_for(36)
    assert heavy.committee.autonomy < light.committee.autonomy - 0.2
    assert heavy.metrics["misperception_share"] > light.metrics["misperception_share"]


def test_withdrawal_stops_all_public_spending():
    model = CommunityModel(scenario="guardian", n_residents=300, rng=0, withdraw_at_step=12)
    model.run_for(24)
    table = model.datacollector.get_model_vars_dataframe()
    assert (table["public_cost"].iloc[1:12] > 0).all()
    assert (table["public_cost"].iloc[12:] == 0).all()
    assert (table["government_role"].iloc[12:] == "supervise").all()


def test_guardian_reviews_only_at_review_months():
    model = CommunityModel(scenario="guardian", n_residents=400, rng=0, review_interval=12)
    model.run_for(120)
    table = model.datacollector.get_model_vars_dataframe()
    changes = table["step"][table["government_role"] != table["government_role"].shift()].iloc[1:]
    assert len(changes) >= 1
    assert all(step % 12 == 0 for step in changes)


def test_agent_snapshots_on_request():
    model = CommunityModel(scenario="guardian", n_residents=100, rng=0, collect_agents=True)
    model.run_for(2)
    agents = model.datacollector.get_agenttype_vars_dataframe(Resident)
    assert len(agents) == 3 * 100
    assert {"trust", "activity", "sees_committee_as_government"} <= set(agents.columns)


def test_supervisory_government_gives_tasks_no_first_claim_on_the_committee():
    judged_on_tasks = CommunityModel(scenario="shenyang", n_residents=500, rng=0, mode="supportive")
    judged_on_results = CommunityModel(scenario="shenyang", n_residents=500, rng=0, mode="supervisory")
    for model in (judged_on_tasks, judged_on_results):
        model.run_for(1)
    assert judged_on_results.committee.available_for_residents > judged_on_tasks.committee.available_for_residents


def test_party_mediation_grows_with_service_and_compound_size():
    serving = CommunityModel(scenario="hangzhou", n_residents=1000, rng=0, party_service=1.0)
    mobilising = CommunityModel(scenario="hangzhou", n_residents=1000, rng=0, party_service=0.0)
    for model in (serving, mobilising):
        model.run_for(1)
    cells = sorted(serving.agents_by_type[PartyCell], key=lambda c: c.compound)
    assert all(cell.mediation_capacity == 0 for cell in mobilising.agents_by_type[PartyCell])
    big, small = cells[0], cells[-1]
    assert serving.compound_sizes[big.compound] > serving.compound_sizes[small.compound]
    assert big.mediation_capacity > small.mediation_capacity


def test_idle_members_drift_away_from_imposed_organisations():
    model = CommunityModel(scenario="shanghai", n_residents=600, rng=4, initial_top_down_ngos=5, member_exit_rate=0.2)
    enrolled = (model.member_of >= 0).sum()
    model.run_for(12)
    assert (model.member_of >= 0).sum() < 0.5 * enrolled


def test_a_shock_at_month_zero_is_rejected():
    with pytest.raises(ParameterError, match="shock_step"):
        load_scenario("guardian", shock_step=0)


def test_a_shock_raises_unresolved_problems_and_lowers_trust():
    calm = CommunityModel(scenario="shenyang", n_residents=1000, rng=5)
    shocked = CommunityModel(scenario="shenyang", n_residents=1000, rng=5, shock_step=6, shock_size=60)
    for model in (calm, shocked):
        model.run_for(12)
    assert shocked.metrics["mean_trust"] < calm.metrics["mean_trust"]
