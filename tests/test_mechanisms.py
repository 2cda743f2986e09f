"""Each mechanism on its own: small, direct checks of the rules in docs/ODD.md, section 7."""

from __future__ import annotations

import numpy as np
import pytest
from mesa.discrete_space import Network

from simulation import CommunityModel, ParameterError, load_scenario
from simulation.model import organisations
from simulation.model.agents import NGO, Government, PartyCell, Resident, ResidentsCommittee
from simulation.model.dependency import fiscal_independence, update_reliance
from simulation.model.network import BUILDING, COMMUNITY, COMPOUND
from simulation.model.policy import guardian_levers, role_of, scenario_levers, withdrawn_levers
from simulation.model.population import DECISION, LOW_LEVEL, NONE
from simulation.model.problems import Places, allocate, handle
from simulation.model.residents import decide_activity, joint_action, learn, peer_reinforcement
from simulation.model.stages import StageTracker
from simulation.model.supervision import drift, oversight

from .populations import make_population, outcomes

PARAMS = load_scenario("guardian").params


def participation(p, rng, net, r, previous_rate=0.0, openness=0.5, repeats=5):
    r.activity[:] = NONE  # no one took part last month: habit starts from the same place in every comparison
    rates = []
    for month in range(repeats):
        decide_activity(rng, r, net, p, previous_rate, openness, month)
        rates.append((r.activity != NONE).mean())
    return float(np.mean(rates))


# --- network ---------------------------------------------------------------------------------------------
def test_housing_network_follows_the_housing_hierarchy():
    p, _, net, _ = make_population()
    assert (net.ties != net.ties.T).nnz == 0
    # Most ties are within the building; a minority bridge compounds.
    assert (net.tie_level == BUILDING).mean() > 0.55
    assert (net.tie_level == COMMUNITY).mean() < 0.15
    expected = p.ties_within_building + p.ties_within_compound + p.ties_across_compounds
    assert net.degree().mean() == pytest.approx(expected, rel=0.15)


def test_random_network_has_the_same_ties_without_the_housing_structure():
    _, _, housing, _ = make_population(seed=3)
    _, _, random, _ = make_population(seed=3, network="random")
    assert random.n_ties == housing.n_ties
    assert (random.ties != random.ties.T).nnz == 0 and random.ties.diagonal().sum() == 0
    # Building-mates are 60 of 2,000 residents: a random tie joins them about 3% of the time.
    assert (random.tie_level == BUILDING).mean() < 0.06
    assert (random.tie_level == COMMUNITY).mean() > 0.7


def test_no_network_has_no_ties_and_the_model_still_runs():
    _, _, net, _ = make_population(network="none")
    assert net.n_ties == 0 and net.degree().sum() == 0
    model = CommunityModel(scenario="guardian", n_residents=300, rng=1, network="none")
    model.run_for(3)
    assert model.metrics["solved_by_residents_share"] == 0.0


def test_ties_are_counted_per_level():
    _, _, net, _ = make_population(n=600)
    ones = np.ones(net.n)
    by_level = net.sum_by_level(ones)
    assert by_level.sum(axis=0) == pytest.approx(net.degree())
    i = int(np.argmax(by_level[COMPOUND]))
    row = net.cols[net.ties.indptr[i] : net.ties.indptr[i + 1]]
    same_compound_other_building = (net.compound[row] == net.compound[i]) & (net.building[row] != net.building[i])
    assert by_level[COMPOUND, i] == same_compound_other_building.sum()


def test_model_places_residents_on_a_mesa_network():
    model = CommunityModel(scenario="guardian", n_residents=300, rng=1)
    assert len(model.grid.all_cells) == 300
    resident = model.agents_by_type[Resident][5]
    assert resident.cell is model.grid[resident.index]
    neighbours = {a.index for a in resident.cell.neighborhood.agents if isinstance(a, Resident)}
    row = model.network.ties.indptr
    assert neighbours == set(model.network.cols[row[resident.index] : row[resident.index + 1]].tolist())
    for kind in (Government, ResidentsCommittee, PartyCell):
        assert len(model.agents_by_type[kind]) >= 1


def test_network_space_is_built_on_first_use_as_mesa_would_build_it():
    model = CommunityModel(scenario="guardian", n_residents=300, rng=2)
    model.run_for(2)
    assert "grid" not in vars(model)  # the step never builds it
    resident = model.agents_by_type[Resident][9]
    assert resident.cell is model.grid[9] and resident.cell.agents == [resident]
    mesa_built = Network(model.network.to_networkx(), random=model.random, layout=None)
    for i in range(300):
        assert list(model.grid[i].connections) == list(mesa_built[i].connections)
    assert list(model.grid.G.edges) == list(mesa_built.G.edges)


def test_resident_agents_are_views_onto_the_arrays():
    model = CommunityModel(scenario="guardian", n_residents=200, rng=1)
    model.run_for(3)
    resident = model.agents_by_type[Resident][17]
    assert resident.trust == model.residents.trust[17]
    model.residents.trust[17] = 0.123
    assert resident.trust == 0.123
    assert resident.reliance == model.residents.reliance[17]
    assert resident.activity in ("none", "low_level", "decision")
    assert isinstance(resident.trust, float) and isinstance(resident.party_member, bool)
    with pytest.raises(AttributeError, match="read-only"):
        resident.trust = 0.5  # the arrays are the state


# --- participation ---------------------------------------------------------------------------------------
def test_trust_and_efficacy_raise_participation():
    p, rng, net, r = make_population()
    base = participation(p, rng, net, r)
    r.trust[:] = 0.9
    r.efficacy[:] = 0.9
    assert participation(p, rng, net, r) > base + 0.1


def test_reliance_on_government_lowers_participation():
    p, rng, net, r = make_population()
    r.reliance[:] = 0.0
    independent = participation(p, rng, net, r)
    r.reliance[:] = 1.0
    assert participation(p, rng, net, r) < 0.7 * independent  # weight_reliance log-odds: about a third fewer


def test_free_riding_lowers_participation_when_many_take_part():
    p, rng, net, r = make_population()
    assert participation(p, rng, net, r, previous_rate=0.8) < participation(p, rng, net, r, previous_rate=0.0)


def test_working_age_adults_take_part_less_than_the_elderly():
    p, rng, net, r = make_population(n=5000)
    counts = np.zeros(3)
    for month in range(10):
        decide_activity(rng, r, net, p, 0.2, 0.3, month)
        counts += np.bincount(r.age_group, weights=(r.activity != NONE), minlength=3) / np.bincount(r.age_group)
    elderly, working_age, _ = counts
    assert working_age < 0.7 * elderly


def test_open_channels_and_skill_move_participation_into_decisions():
    p, rng, net, r = make_population()
    decide_activity(rng, r, net, p, 0.0, 0.0, 0)
    closed = (r.activity == DECISION).sum() / max(1, (r.activity != NONE).sum())
    r.skill[:] = 0.8
    decide_activity(rng, r, net, p, 0.0, 1.0, 1)
    opened = (r.activity == DECISION).sum() / max(1, (r.activity != NONE).sum())
    assert opened > closed + 0.3
    assert (r.last_decision[r.activity == DECISION] == 1).all()


def test_peer_pull_is_complex_contagion_two_active_ties_pull_more_than_twice_one():
    p, _, net, r = make_population(n=600)
    r.civic[:] = 0.5  # each active neighbour weighs 1
    i = int(np.argmax(net.degree()))
    neighbours = net.cols[net.ties.indptr[i] : net.ties.indptr[i + 1]]
    r.activity[:] = NONE
    r.activity[neighbours[:1]] = LOW_LEVEL
    one = peer_reinforcement(r, net, p)[i]
    r.activity[neighbours[:2]] = LOW_LEVEL
    two = peer_reinforcement(r, net, p)[i]
    assert one > 0 and two > 2 * one
    r.activity[neighbours] = LOW_LEVEL
    assert peer_reinforcement(r, net, p)[i] == 1.0


def test_acting_together_needs_active_ties_at_the_level_of_the_problem():
    p, _, net, r = make_population(n=600)
    r.activity[:] = LOW_LEVEL
    r.reliance[:], r.skill[:], r.trust[:] = 0.0, 0.5, 0.5
    effort, reach = joint_action(r, net, p)
    alone = net.sum_by_level(np.ones(net.n))[BUILDING] == 0
    assert alone.any() and (effort[BUILDING, alone] == 0).all()
    assert (effort[BUILDING, ~alone] > 0).all()
    r.reliance[:] = 1.0  # a resident who waits for government does none of the work
    assert joint_action(r, net, p)[0].sum() == 0


def test_a_tie_to_an_active_party_member_bridges_compounds():
    p, _, net, r = make_population(n=2000, party_member_share=0.0)
    r.activity[:] = LOW_LEVEL
    _, reach_without = joint_action(r, net, p)
    r.party_member[:] = True
    _, reach_with = joint_action(r, net, p)
    assert reach_with.mean() > reach_without.mean()


# --- problems ----------------------------------------------------------------------------------------------
def test_channels_share_problems_by_claims_and_never_beyond_capacity():
    demand = np.array([4.0, 10.0])
    capacity = np.array([[3.0, 3.0], [1.0, 20.0]])  # two channels, two places
    solved = allocate(demand, capacity, np.array([1.0, 1.0]))
    assert (solved <= capacity + 1e-12).all()
    assert solved.sum(axis=0) == pytest.approx(np.minimum(demand, capacity.sum(axis=0)))
    # Where capacity exceeds demand, shares follow capacity: 3 and 20 claim 10 problems.
    assert solved[:, 1] == pytest.approx([10 * 3 / 23, 10 * 20 / 23])


def test_more_government_provision_leaves_residents_less_to_do_as_a_matter_of_degree():
    demand = np.array([10.0])
    done_by_residents = []
    for government in (0.0, 2.0, 4.0, 8.0):
        capacity = {"residents": np.array([12.0]), "ngos": np.zeros(1), "embedded": np.zeros(1),
                    "party": np.zeros(1), "committee": np.zeros(1), "government": np.array([government])}  # fmt: skip
        for priority in (0.3, 4.0):
            month = handle(demand, capacity, {"government": priority}, lapse=0.3)
            done_by_residents.append((government, priority, month.total("residents")))
    backstop = [done for _, priority, done in done_by_residents if priority == 0.3]
    directive = [done for _, priority, done in done_by_residents if priority == 4.0]
    assert all(a > b for a, b in zip(backstop, backstop[1:], strict=False))  # continuous crowding-out
    assert all(d <= b for d, b in zip(directive, backstop, strict=True))  # a directive claim crowds out more
    assert directive[-1] < 0.5 * backstop[-1]


def test_government_beyond_what_the_community_could_do_is_excess_needed_help_is_not():
    demand = np.array([10.0])
    base = {"ngos": np.zeros(1), "embedded": np.zeros(1), "party": np.zeros(1), "committee": np.zeros(1)}
    weak = handle(demand, {**base, "residents": np.array([2.0]), "government": np.array([8.0])}, {}, 0.3)
    assert weak.excess_government == pytest.approx([0.0])  # government only filled the gap
    strong = handle(demand, {**base, "residents": np.array([10.0]), "government": np.array([8.0])}, {}, 0.3)
    assert strong.excess_government[0] == pytest.approx(strong.total("government"))


def test_unresolved_problems_carry_over_minus_lapse():
    demand = np.array([10.0])
    capacity = {ch: np.zeros(1) for ch in ("ngos", "embedded", "party", "committee", "government")}
    month = handle(demand, {**capacity, "residents": np.array([2.0])}, {}, lapse=0.25)
    assert month.backlog == pytest.approx([6.0])


def test_problems_belong_to_buildings_compounds_and_the_community():
    building = np.repeat(np.arange(4), 5)
    places = Places.of(building, building // 2)
    assert places.size == 4 + 2 + 1
    arrivals = places.arrivals(1000.0, 0.5, 0.2)  # one problem per resident per month
    assert arrivals[:4] == pytest.approx([2.5] * 4) and arrivals[4:6] == pytest.approx([3.0] * 2)
    assert arrivals[-1] == pytest.approx(4.0)
    solved_share = np.array([1, 1, 0, 0, 1, 0, 0.5])  # building 0-1 fine, compound 0 fine, community half
    experienced = places.experienced(solved_share, (0.5, 0.3, 0.2))
    assert experienced[0] == pytest.approx(0.5 + 0.3 + 0.1)
    assert experienced[-1] == pytest.approx(0.0 + 0.0 + 0.1)


# --- dependency --------------------------------------------------------------------------------------------
def test_reliance_grows_with_crowding_out_and_falls_with_the_community_s_own_success():
    p = PARAMS
    reliance = np.full(100, 0.3)
    for _ in range(24):
        update_reliance(reliance, p, outcomes(100, excess=0.5))
    crowded_out = reliance.mean()
    assert crowded_out > 0.45
    for _ in range(24):
        update_reliance(reliance, p, outcomes(100, residents=0.5, service=0.3))
    assert reliance.mean() < 0.7 * crowded_out
    needed_help = np.full(100, 0.3)
    update_reliance(needed_help, p, outcomes(100, excess=0.0))  # government only filled the gap
    assert needed_help == pytest.approx(0.3)


def test_a_committee_living_on_the_state_budget_loses_autonomy():
    p = PARAMS
    assert fiscal_independence(p, public_budget=0.0, own_budget=5.0) == 1.0
    assert fiscal_independence(p, public_budget=5.0, own_budget=0.0) == pytest.approx(1 - p.fiscal_dependence)


# --- supervision ----------------------------------------------------------------------------------------------
def test_unwatched_bodies_drift_watched_ones_are_corrected():
    p = PARAMS
    rng = np.random.default_rng(0)
    unwatched, watched = np.zeros(200), np.zeros(200)
    scandals = {"unwatched": 0, "watched": 0}
    for _ in range(120):
        unwatched, out = drift(rng, unwatched, np.ones(200), p, watch=0.0)
        scandals["unwatched"] += out.sum()
        watched, out = drift(rng, watched, np.ones(200), p, watch=0.6)
        scandals["watched"] += out.sum()
    assert unwatched.mean() > 5 * watched.mean()
    assert scandals["unwatched"] > 20 * max(1, scandals["watched"])


def test_oversight_comes_from_government_or_from_residents_with_a_say():
    p = PARAMS
    assert oversight(p, 0.0, 0.0, 0.5) == 0.0
    assert oversight(p, 0.0, 0.8, 0.5) > 0.0
    assert oversight(p, 0.5, 0.8, 0.5) > oversight(p, 0.5, 0.0, 0.5) > oversight(p, 0.0, 0.0, 0.5)


def test_bad_experiences_wear_trust_down_to_a_floor_not_to_zero():
    p, rng, net, r = make_population()
    r.activity[:] = NONE
    start = r.trust.mean()
    for _ in range(240):
        learn(rng, r, net, p, outcomes(r.n, solved=0.0), 0.0, 0.0, 0.0, np.zeros(r.n))
    assert r.trust.mean() < start - 0.03
    assert (r.trust >= p.trust_floor * r.disposition - 0.02).all()
    assert (r.trust > p.trust_threshold).mean() > 0.02


def test_a_scandal_costs_the_organisation_s_circle_trust_and_members():
    model = CommunityModel(scenario="guardian", n_residents=600, rng=2, initial_grassroots_ngos=4,
                           supervision=0.0, self_oversight=0.0, exposure_rate=1.0)  # fmt: skip
    ngo = next(iter(model.ngo_by_id.values()))
    ngo.drift, capacity = 1.0, ngo.capacity  # years unwatched: it will come out this month
    members = (model.member_of == ngo.unique_id).astype(float)
    circle = (members + model.network.neighbour_sum(members)) > 0
    before = model.residents.trust.copy()
    model._oversee(model.levers)
    assert model.scandals >= 1 and ngo.drift == 0.0
    assert ngo.capacity == pytest.approx(capacity / 2)
    assert not (model.member_of == ngo.unique_id).any()
    lost = before - model.residents.trust
    assert (lost[circle] > 0).mean() > 0.9
    others = ~circle & (model.member_of < 0)
    assert np.allclose(lost[others], 0.0) or model.scandals > 1


# --- learning --------------------------------------------------------------------------------------------
def test_learning_by_doing_and_responsive_institutions_build_skill_and_efficacy():
    p, rng, net, r = make_population()
    r.activity[:] = DECISION
    skill, efficacy = r.skill.copy(), r.efficacy.copy()
    for _ in range(12):
        learn(rng, r, net, p, outcomes(r.n, residents=0.5, service=0.5), 0.9, 0.9, 0.0, np.ones(r.n))
    assert (r.skill > skill).mean() > 0.95
    assert r.efficacy.mean() > efficacy.mean() + 0.2


def test_unresponsive_institutions_erode_efficacy():
    p, rng, net, r = make_population()
    r.activity[:] = LOW_LEVEL
    r.efficacy[:] = 0.6
    for _ in range(12):
        learn(rng, r, net, p, outcomes(r.n, solved=1.0), 0.0, 0.5, 0.0, np.ones(r.n))
    assert r.efficacy.mean() < 0.45


def test_joint_action_with_people_one_knows_builds_trust_and_ties():
    p, rng, net, r = make_population()
    r.activity[:] = LOW_LEVEL
    tie_before, trust_before = net.tie_trust.mean(), r.trust.mean()
    for _ in range(12):
        learn(rng, r, net, p, outcomes(r.n, residents=1.0), 0.3, 0.3, 0.0, np.ones(r.n))
    assert r.trust.mean() > trust_before + 0.05
    assert net.tie_trust.mean() > tie_before
    strangers = make_population()[3]  # the same joint action with nobody one knows builds no trust by it
    strangers.activity[:] = LOW_LEVEL
    for _ in range(12):
        learn(rng, strangers, net, p, outcomes(r.n, residents=1.0), 0.3, 0.3, 0.0, np.zeros(r.n))
    assert strangers.trust.mean() < r.trust.mean() - 0.03


# --- stages and the index ----------------------------------------------------------------------------------
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


def test_decision_component_is_the_share_who_had_a_say_within_the_window():
    model = CommunityModel(scenario="guardian", n_residents=200, rng=0, decision_window=12)
    model.run_for(24)
    r = model.residents
    r.last_decision[:] = -1_000_000
    r.last_decision[:50] = model.steps - 11  # within the window
    r.last_decision[50:80] = model.steps - 12  # just outside
    from simulation.model.measures import decision_reach

    assert decision_reach(model) == pytest.approx(50 / 200)


# --- government's role ------------------------------------------------------------------------------------------
def test_role_is_read_from_what_government_does():
    """Government leads (nurture) while it and the bodies it runs do most of the community's work, shares it (assist)
    once the community's own channels do most; guidance and supervision alone read as supervise."""
    p = PARAMS
    assert role_of(guardian_levers(p, "nurture"), p, 0.7) == "nurture"
    assert role_of(guardian_levers(p, "nurture"), p, 0.3) == "assist"  # the same levers, the community doing more
    assert role_of(guardian_levers(p, "assist"), p, 0.3) == "assist"
    assert role_of(guardian_levers(p, "supervise"), p, 0.9) == "supervise"  # whatever its part in the work
    assert role_of(withdrawn_levers(p), p, 0.0) == "supervise"  # it still watches
    assert role_of(withdrawn_levers(p.replace(supervision=0.0)), p, 0.0) == "withdrawn"
    assert role_of(scenario_levers(p), p, None) == "nurture"  # before the first month, government that gives leads
    shanghai = CommunityModel(scenario="shanghai", n_residents=300, rng=0)
    shanghai.run_for(12)
    assert (shanghai.datacollector.get_model_vars_dataframe()["government_role"] == "nurture").all()


def test_fixed_policies_get_their_role_from_behaviour_not_from_the_file():
    with pytest.raises(ParameterError, match="unknown parameter 'role'"):
        load_scenario("shenyang", role="nurture")
    model = CommunityModel(scenario="hangzhou", n_residents=200, rng=0)
    model.run_for(6)
    assert model.government.role == role_of(model.levers, model.params, model.metrics["government_share"])


def test_administrative_load_creeps_back_where_functions_keep_moving_down():
    p = PARAMS.replace(policy="fixed", admin_load=0.5, admin_load_growth=0.05)
    assert scenario_levers(p, 0).admin_load == 0.5
    assert scenario_levers(p, 60).admin_load == pytest.approx(0.75)
    assert scenario_levers(p, 240).admin_load == 1.0


def test_withdrawal_stops_all_spending_but_supervision():
    model = CommunityModel(scenario="guardian", n_residents=300, rng=0, withdraw_at_step=12, supervision=0.5)
    model.run_for(24)
    table = model.datacollector.get_model_vars_dataframe()
    assert (table["public_cost"].iloc[1:12] > 0).all()
    expected = 0.5 * model.params.supervision_cost  # per 1,000 residents per month
    assert table["public_cost"].iloc[12:].tolist() == pytest.approx([expected] * 13)
    assert (table["government_role"].iloc[12:] == "supervise").all()
    walked_away = CommunityModel(scenario="guardian", n_residents=300, rng=0, withdraw_at_step=12, supervision=0.0)
    walked_away.run_for(24)
    later = walked_away.datacollector.get_model_vars_dataframe().iloc[12:]
    assert (later["public_cost"] == 0).all() and (later["government_role"] == "withdrawn").all()


def test_guardian_reviews_only_at_review_months():
    model = CommunityModel(scenario="guardian", n_residents=400, rng=0, review_interval=12)
    chosen = [model.government.guardian_role]
    for _ in range(120):
        model.step()
        chosen.append(model.government.guardian_role)
    changes = [month for month in range(1, 121) if chosen[month] != chosen[month - 1]]
    assert len(changes) >= 1
    assert all(month % 12 == 0 for month in changes)


# --- organisations, party cells and committee ------------------------------------------------------------------
def test_grassroots_organisations_need_active_skilled_residents():
    idle = CommunityModel(scenario="guardian", n_residents=600, rng=3, participation_baseline=-20.0,
                          party_organising_rate=0.0)  # fmt: skip
    idle.run_for(24)
    assert idle.metrics["grassroots_ngo_count"] == 0
    keen = CommunityModel(scenario="guardian", n_residents=600, rng=3, initial_skill_mean=0.7,
                          civic_propensity_mean=0.7, party_organising_rate=0.0)  # fmt: skip
    keen.run_for(24)
    assert keen.metrics["grassroots_ngo_count"] > 0


def test_trusted_serving_party_cells_organise_groups_around_a_party_member():
    def organise(trust_capital, **changes):
        model = CommunityModel(scenario="guardian", n_residents=1000, rng=5, party_organising_rate=1.0, **changes)
        for cell in model.agents_by_type[PartyCell]:
            cell.trust_capital = trust_capital
        organisations.party_organise(model)
        return model

    model = organise(1.0, party_service=1.0)
    assert len(model.ngo_by_id) == len(model.agents_by_type[PartyCell])
    for uid, ngo in model.ngo_by_id.items():
        members = np.flatnonzero(model.member_of == uid)
        assert ngo.origin == "grassroots" and model.residents.party_member[members[0]]
        assert (model.network.compound[members] == ngo.compound).all()
    assert not organise(0.0, party_service=1.0).ngo_by_id  # no trust earned, no one to organise
    assert not organise(1.0, party_service=0.0).ngo_by_id  # a cell that only mobilises does not organise
    assert not organise(1.0, party_service=1.0, party_member_share=0.0).ngo_by_id


def test_party_cells_stepped_together_do_what_stepping_each_in_random_order_does():
    together = CommunityModel(scenario="guardian", n_residents=1000, rng=3)
    one_by_one = CommunityModel(scenario="guardian", n_residents=1000, rng=3)
    for model in (together, one_by_one):  # a cell that reaches no one draws nothing and keeps its capital
        model.agents_by_type[PartyCell][2].reachable = np.array([], dtype=np.int64)
    for _ in range(3):
        PartyCell.step_all(together)
        one_by_one.agents_by_type[PartyCell].shuffle_do("step")
    for name in ("trust", "mobilised"):
        assert getattr(together.residents, name).tobytes() == getattr(one_by_one.residents, name).tobytes()
    cells = [[(cell.trust_capital, cell.mediation_capacity) for cell in m.agents_by_type[PartyCell]]
             for m in (together, one_by_one)]  # fmt: skip
    assert cells[0] == cells[1] and cells[0][2] == (0.0, 0.0)
    assert together.random.random() == one_by_one.random.random() and together.rng.random() == one_by_one.rng.random()


def test_residents_join_organisations_through_people_they_know():
    def joined(network):
        model = CommunityModel(scenario="guardian", n_residents=800, rng=1, initial_grassroots_ngos=3,
                               ngo_join_rate=1.0, network=network)  # fmt: skip
        for uid in model.ngo_by_id:  # keep five founding members each, so there is room to join
            model.member_of[np.flatnonzero(model.member_of == uid)[5:]] = -1
        model.residents.activity[:] = LOW_LEVEL
        return organisations.recruit(model)

    assert joined("housing") > 0
    assert joined("none") == 0


def test_organisations_from_above_stay_embedded():
    model = CommunityModel(scenario="guardian", n_residents=600, rng=2, initial_top_down_ngos=2,
                           initial_grassroots_ngos=2, service_purchase=0.0)  # fmt: skip
    ngos = list(model.ngo_by_id.values())
    for ngo in ngos:
        ngo.capacity, ngo.engagement, ngo.government_funding, ngo.independence = 0.5, 1.0, 0.0, 0.5
        ngo.step()
    by_origin = {ngo.origin: ngo for ngo in ngos}
    grassroots, top_down = by_origin["grassroots"], by_origin["top_down"]
    assert top_down.own_revenue < grassroots.own_revenue
    assert top_down.independence < grassroots.independence


def test_organisations_without_members_or_money_dissolve():
    model = CommunityModel(scenario="early_withdrawal", n_residents=600, rng=2, initial_top_down_ngos=5,
                           participation_baseline=-20.0, party_organising_rate=0.0)  # fmt: skip
    assert len(model.agents_by_type[NGO]) == 3
    model.run_for(60)
    assert NGO not in model.agents_by_type or len(model.agents_by_type[NGO]) == 0
    assert (model.member_of == -1).all()


def test_administrative_load_squeezes_committee_autonomy():
    light = CommunityModel(scenario="guardian", n_residents=400, rng=0, policy="fixed", admin_load=0.1)
    heavy = CommunityModel(scenario="guardian", n_residents=400, rng=0, policy="fixed", admin_load=1.0)
    light.run_for(36)
    heavy.run_for(36)
    assert heavy.committee.autonomy < light.committee.autonomy - 0.1
    assert heavy.metrics["misperception_share"] > light.metrics["misperception_share"]


def test_hired_staff_shield_elected_members_from_administrative_pressure():
    joint = CommunityModel(scenario="hangzhou", n_residents=400, rng=0, selection_appointment_separation=0.0)
    separated = CommunityModel(scenario="hangzhou", n_residents=400, rng=0, selection_appointment_separation=0.8)
    for model in (joint, separated):
        model.run_for(24)
    assert separated.committee.pressure_on_members < joint.committee.pressure_on_members
    assert separated.committee.openness > joint.committee.openness


def test_agent_snapshots_on_request():
    model = CommunityModel(scenario="guardian", n_residents=100, rng=0, collect_agents=True)
    model.run_for(2)
    agents = model.datacollector.get_agenttype_vars_dataframe(Resident)
    assert len(agents) == 3 * 100
    assert {"trust", "activity", "sees_committee_as_government", "reliance"} <= set(agents.columns)


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
    assert mobilising.party_coordination == 0.0 < serving.party_coordination
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
    """Paired seeds (same seed, with and without a shock in month 6), in every seed, with a margin.

    The shock's problems go mostly unresolved in its month, and mean trust over the following half-year is
    lower. Without a shock (``shock_size = 0``) the paired gap is below 0.0002; with it, about 0.02. Checked
    against: the shock's demand removed (both assertions fail). This replaces a one-seed comparison at month 12
    whose sign was random across seeds.
    """
    for seed in (1, 2, 3, 4):
        trust, unresolved = {}, {}
        for size in (0, 60):
            model = CommunityModel(scenario="shenyang", n_residents=300, rng=seed, shock_step=6, shock_size=size)
            later = []
            for month in range(1, 13):
                model.step()
                if month == 6:
                    unresolved[size] = model.last_month.unresolved.sum()
                if month >= 6:
                    later.append(model.metrics["mean_trust"])
            trust[size] = np.mean(later)
        added = 60 * 0.3
        assert unresolved[60] - unresolved[0] > 0.8 * added, seed
        assert trust[60] < trust[0] - 0.01, seed
