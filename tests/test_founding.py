"""How organisations are born (docs/ODD.md 7.8.2, 7.8.3, 7.8.5) on chosen inputs: who founds one, where, with what
capacity and which first members; the party cell organising residents it reaches; the initial organisations; and
each organisation's room for recruits.

Written for the mutants of ``simulation/model/organisations.py`` that the mechanism tests let through
(docs/mutation.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation import CommunityModel
from simulation.model import organisations
from simulation.model.agents import PartyCell
from simulation.model.network import _from_pairs
from simulation.model.population import LOW_LEVEL, NONE


def _model(pairs=(), n: int = 600, **overrides) -> CommunityModel:
    """A community of ``n`` with no organisation, nobody active, and only the ties ``pairs`` (i, j)."""
    model = CommunityModel(scenario="guardian", n_residents=n, rng=11, initial_grassroots_ngos=0,
                           initial_top_down_ngos=0, **overrides)  # fmt: skip
    net = model.network
    src, dst = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
    model.network = _from_pairs(src, dst, n, 0.5, net.building, net.compound)
    model.member_of[:] = -1
    model.residents.activity[:] = NONE
    return model


def _new_groups(model: CommunityModel, before: set[int]) -> dict[int, set[int]]:
    """Organisations made since ``before``, keyed by their lowest-numbered member, as sets of members."""
    groups = [model.ngo_by_id[uid] for uid in sorted(set(model.ngo_by_id) - before)]
    return {int(ngo.members.min()): set(ngo.members.tolist()) for ngo in groups}


# --- residents' own founding (7.8.2) -----------------------------------------------------------------------------
def _founders_ready(model: CommunityModel, founders, others=()) -> None:
    """``founders`` active, skilled, civic, trusting and not waiting for government; ``others`` active, unskilled."""
    r = model.residents
    r.skill[:], r.civic[:], r.trust[:], r.reliance[:] = 0.0, 1.0, 1.0, 0.0
    r.skill[list(founders)] = 1.0
    r.activity[list(founders) + list(others)] = LOW_LEVEL


def test_a_resident_exactly_at_the_skill_and_civic_thresholds_founds_an_organisation_in_their_compound():
    model = _model(ngo_founding_rate=1.0)  # chance (1 + fostering) * 1 * (1 - 0) >= 1: every eligible one founds
    p, r, compound = model.params, model.residents, model.network.compound
    old = organisations._create(model, 0, "top_down", 0.3, 0.15)
    at_skill, at_civic, below_skill, below_civic, idle, organised = 10, 550, 20, 21, 22, 23
    _founders_ready(model, [at_skill, at_civic, below_skill, below_civic, organised])
    r.skill[at_skill], r.civic[at_civic] = p.founder_skill, p.founder_civic
    r.skill[below_skill], r.civic[below_civic] = np.nextafter(p.founder_skill, 0), np.nextafter(p.founder_civic, 0)
    r.skill[idle], r.activity[idle] = 1.0, NONE
    model.member_of[organised] = old.unique_id
    assert compound[at_skill] == 0 and compound[at_civic] == 1

    assert organisations.found_grassroots(model) == 2
    assert _new_groups(model, {old.unique_id}) == {at_skill: {at_skill}, at_civic: {at_civic}}  # no ties: alone
    for founder in (at_skill, at_civic):
        ngo = model.ngo_by_id[int(model.member_of[founder])]
        assert (ngo.compound, ngo.origin) == (compound[founder], "grassroots") and type(ngo.compound) is int
        assert (ngo.capacity, ngo.independence) == (p.ngo_initial_capacity, p.ngo_grassroots_independence)
    assert (model.member_of[[below_skill, below_civic, idle]] < 0).all()
    assert model.member_of[organised] == old.unique_id  # a member of an organisation founds none


def test_the_chance_of_founding_rises_with_trust_and_falls_with_reliance_and_fostering_raises_it():
    # Four groups of 150 eligible residents, no ties (each founds alone), eight months: 1200 tries a group.
    model = _model(ngo_founding_rate=0.001)
    fostering = model.fostering
    assert fostering > 0
    rate = 0.6 / (1 + fostering)  # the chance of a fully trusting resident who does not rely on government
    model.params = model.params.replace(ngo_founding_rate=rate)
    r, n = model.residents, 600
    _founders_ready(model, range(n))
    group = np.arange(n) % 4
    trust, reliance = np.array([1.0, 0.5, 1.0, 0.5]), np.array([0.0, 0.0, 0.5, 0.5])
    r.trust[:], r.reliance[:] = trust[group], reliance[group]
    founded = np.zeros(4)
    for _ in range(8):
        model.member_of[:] = -1
        count = organisations.found_grassroots(model)
        assert count == (model.member_of >= 0).sum()
        founded += np.bincount(group[model.member_of >= 0], minlength=4)
    expected = rate * (1 + fostering) * trust * (1 - reliance)  # 0.6, 0.3, 0.3, 0.15
    assert founded / 1200 == pytest.approx(expected, abs=0.05)


def test_a_founder_s_first_members_are_the_active_unorganised_neighbours_and_a_new_member_founds_no_other():
    founder, friends, idle, organised, friend_of_friend = 10, (11, 12), 13, 14, 30
    leader, co_founder, later = 40, 41, 50  # 41 is eligible too but joins 40's group first; 50 founds after
    pairs = [(founder, j) for j in (*friends, idle, organised)] + [(11, friend_of_friend), (leader, co_founder)]
    model = _model(pairs, ngo_founding_rate=1.0)
    old = organisations._create(model, 0, "top_down", 0.3, 0.15)
    _founders_ready(model, [founder, leader, co_founder, later], others=[*friends, organised, friend_of_friend])
    model.member_of[organised] = old.unique_id

    assert organisations.found_grassroots(model) == 3  # 41 drew a founding but joined 40's group: three founded
    groups = _new_groups(model, {old.unique_id})
    assert groups == {founder: {founder, *friends}, leader: {leader, co_founder}, later: {later}}
    assert model.member_of[idle] < 0 and model.member_of[friend_of_friend] < 0  # neither active nor a tie of his
    assert model.member_of[organised] == old.unique_id  # already organised: stays where he is


# --- groups organised by party cells (7.8.3) ------------------------------------------------------------------------
def _cells() -> tuple[CommunityModel, PartyCell, PartyCell, int]:
    """Two trusted cells (compounds 0 and 1) that always organise when they can, and an existing organisation."""
    model = _model(party_organising_rate=1.0, party_service=1.0)  # chance 1 * 1 * 1: always
    cells = list(model.agents_by_type[PartyCell])
    assert [cell.compound for cell in cells] == [0, 1] and model.network.compound[500] == 1
    for cell in cells:
        cell.trust_capital = 1.0
    model.residents.party_member[:] = False
    old = organisations._create(model, 0, "top_down", 0.3, 0.15)
    return model, cells[0], cells[1], old.unique_id


def _reach_in_compound_1(model: CommunityModel, cell: PartyCell, old: int) -> None:
    """Cell 1 reaches a free party member (500), two active free residents, an idle one and two organised ones."""
    r = model.residents
    cell.reachable = np.arange(500, 507)
    r.party_member[[500, 505]] = True  # 505, a party member, already belongs to an organisation
    r.activity[[500, 501, 502, 504, 505, 506]] = LOW_LEVEL  # 503 does not take part
    model.member_of[[504, 505]] = old  # 506 is reached, active and free too


@pytest.mark.parametrize("first_cell", ["reaches nobody", "is not trusted", "reaches no free party member"])
def test_a_trusted_cell_organises_the_active_unorganised_residents_it_reaches_around_a_free_party_member(first_cell):
    model, first, second, old = _cells()
    p, r = model.params, model.residents
    _reach_in_compound_1(model, second, old)
    first.reachable = np.empty(0, np.int64) if first_cell == "reaches nobody" else np.array([10, 11])
    r.party_member[10], r.activity[[10, 11]] = True, LOW_LEVEL
    if first_cell == "is not trusted":
        first.trust_capital = 0.0
    if first_cell == "reaches no free party member":
        model.member_of[10] = old

    assert organisations.party_organise(model) == 1  # the first cell's month ends there; the second still organises
    assert _new_groups(model, {old}) == {500: {500, 501, 502, 506}}
    ngo = model.ngo_by_id[int(model.member_of[500])]
    assert (ngo.compound, ngo.origin) == (1, "grassroots")
    assert (ngo.capacity, ngo.independence) == (p.ngo_initial_capacity, p.ngo_grassroots_independence)
    assert model.member_of[503] < 0 and (model.member_of[[504, 505]] == old).all()
    assert model.member_of[11] < 0 and model.member_of[10] == (old if first_cell.endswith("member") else -1)


def test_every_cell_that_can_organises_one_group_a_month_and_the_groups_are_counted():
    model, first, second, old = _cells()
    _reach_in_compound_1(model, second, old)
    first.reachable = np.array([10])  # it reaches one resident, a free party member: a group of one
    model.residents.party_member[10] = True
    assert organisations.party_organise(model) == 2
    assert _new_groups(model, {old}) == {10: {10}, 500: {500, 501, 502, 506}}
    for cell in (first, second):
        cell.trust_capital = 0.0
    assert organisations.party_organise(model) == 0 and len(model.ngo_by_id) == 3


# --- the organisations a run starts with --------------------------------------------------------------------------
def test_initial_organisations_take_their_compound_s_free_residents_in_turn():
    model = CommunityModel(scenario="guardian", n_residents=600, rng=3, initial_grassroots_ngos=5,
                           initial_top_down_ngos=15)  # fmt: skip
    p, compound = model.params, model.network.compound
    ngos = [model.ngo_by_id[uid] for uid in sorted(model.ngo_by_id)]
    origins = [(ngo.origin, ngo.capacity, ngo.independence) for ngo in ngos]
    grassroots = ("grassroots", p.ngo_initial_capacity, p.ngo_grassroots_independence)
    top_down = ("top_down", p.ngo_top_down_capacity, p.ngo_top_down_independence)
    assert origins == [grassroots] * 3 + [top_down] * 9  # 5 and 15 per 1000, of 600
    free = model.compound_sizes.astype(int).copy()
    for ngo in ngos:
        assert type(ngo.compound) is int and 0 <= ngo.compound < model.n_compounds
        members = ngo.members
        assert members.size == min(p.ngo_members_max, free[ngo.compound])
        assert (compound[members] == ngo.compound).all()
        free[ngo.compound] -= members.size
    assert set(range(model.n_compounds)) == {ngo.compound for ngo in ngos}  # both compounds drew some


# --- recruiting (7.8.5) -------------------------------------------------------------------------------------------
def test_each_organisation_takes_recruits_up_to_its_own_room():
    # Two members of two organisations, each tied to 20 active residents of their own; room for 10 more in each.
    pairs = [(0, j) for j in range(1, 21)] + [(21, j) for j in range(22, 42)]
    model = _model(pairs, ngo_join_rate=1.0, ngo_members_max=11)
    first = organisations._create(model, 0, "grassroots", 0.5, 0.8)
    second = organisations._create(model, 0, "grassroots", 0.5, 0.8)
    model.member_of[0], model.member_of[21] = first.unique_id, second.unique_id
    model.residents.activity[:42] = LOW_LEVEL
    assert organisations.recruit(model) == 20
    assert (model.member_of[1:21] == first.unique_id).sum() == 10
    assert (model.member_of[22:42] == second.unique_id).sum() == 10
    assert (model.member_of[42:] < 0).all()


# --- organisations government makes during a run (7.8.4) ------------------------------------------------------------
def test_an_organisation_government_makes_during_a_run_starts_embedded_as_an_initial_one_does():
    """Made from above in a month of the run, not at the start: the top-down capacity and independence, and embedded.

    Only the initial organisations' start was checked (above); one made by ``create_top_down`` could have started
    with residents' independence and no test would have seen it.
    """
    model = CommunityModel(scenario="shanghai", n_residents=600, rng=4, initial_grassroots_ngos=0,
                           initial_top_down_ngos=0, top_down_ngo_rate=60.0, ngo_founding_rate=0.0,
                           party_organising_rate=0.0)  # fmt: skip
    assert not model.ngo_by_id  # none at the start, and residents and party cells found none this month
    model.step()  # Poisson(60 / 12 * 0.6 = 3) made from above
    p, made = model.params, list(model.ngo_by_id.values())
    assert made
    for ngo in made:
        started = (ngo.origin, ngo.capacity, ngo.independence)
        assert started == ("top_down", p.ngo_top_down_capacity, p.ngo_top_down_independence)
        assert ngo.embedded == p.ngo_embeddedness > 0
        assert ngo.members.size > 0 and (model.network.compound[ngo.members] == ngo.compound).all()
    assert p.ngo_top_down_independence < p.ngo_grassroots_independence  # so the two starts can be told apart
