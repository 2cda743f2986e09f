"""Organisations' bookkeeping (docs/ODD.md 7.6, 7.13) on chosen members: engagement, leaving, where they are made,
and what a scandal does to membership.

Written for the mutants of ``simulation/model/organisations.py`` that the mechanism tests let through
(docs/mutation.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation import CommunityModel
from simulation.model import organisations, supervision
from simulation.model.network import _from_pairs
from simulation.model.population import DECISION, LOW_LEVEL, NONE


def _model(**overrides) -> CommunityModel:
    """A community with three organisations of its own and nobody a member yet."""
    model = CommunityModel(scenario="guardian", n_residents=600, rng=5, initial_grassroots_ngos=0,
                           initial_top_down_ngos=0, **overrides)  # fmt: skip
    for capacity in (1.0, 2.0, 3.0):
        organisations._create(model, 0, "grassroots", capacity, 0.5)
    model.member_of[:] = -1
    return model


def test_engagement_is_the_share_of_each_organisation_s_members_who_took_part():
    model = _model()
    first, second, last = sorted(model.ngo_by_id)
    model.residents.activity[:] = NONE
    model.member_of[:4], model.residents.activity[:3] = first, (LOW_LEVEL, DECISION, LOW_LEVEL)
    model.member_of[10:12] = second  # members who did nothing
    organisations.record_engagement(model)
    engagement = {uid: ngo.engagement for uid, ngo in model.ngo_by_id.items()}
    assert engagement == {first: 0.75, second: 0.0, last: 0.0}  # the newest has no members at all


def test_idle_members_leave_at_the_exit_rate_and_active_ones_stay():
    model = _model(member_exit_rate=0.5)
    uid = min(model.ngo_by_id)
    model.member_of[:500] = uid
    model.residents.activity[:] = NONE
    model.residents.activity[:100] = LOW_LEVEL
    organisations.let_inactive_members_leave(model)
    assert (model.member_of[:100] == uid).all()
    left = np.mean(model.member_of[100:500] < 0)
    assert 0.4 < left < 0.6  # 400 idle members, each leaving with chance 0.5


def test_a_disgraced_organisation_loses_its_members_and_part_of_its_capacity():
    model = _model()
    disgraced, other = sorted(model.ngo_by_id)[:2]
    model.member_of[:5], model.member_of[5:8] = disgraced, other
    ngo = model.ngo_by_id[disgraced]
    supervision.disgrace(model, ngo)
    assert (model.member_of[:5] < 0).all() and (model.member_of[:5] == model.member_of[20]).all()
    assert (model.member_of[5:8] == other).all()
    assert ngo.capacity == pytest.approx(1.0 * (1 - model.params.scandal_capacity_loss))


def test_organisations_are_made_in_compounds_in_proportion_to_their_population():
    # Three compounds of 240, 240 and 220 residents, made uneven by hand so that a uniform draw would show.
    model = CommunityModel(scenario="guardian", n_residents=700, rng=6, building_size=60, buildings_per_compound=4)
    assert model.n_compounds == 3
    model.compound_sizes = np.array([600.0, 50.0, 50.0])
    draws = np.bincount([organisations._random_compound(model) for _ in range(3000)], minlength=3) / 3000
    assert draws == pytest.approx([600 / 700, 50 / 700, 50 / 700], abs=0.03)


@pytest.mark.parametrize(("origin", "members"), [("grassroots", 3), ("top_down", 3), ("grassroots", 1)])
def test_members_feel_their_organisation_s_capacity_as_a_pull_towards_taking_part(origin, members):
    model = _model()
    ngo = organisations._create(model, 0, origin, 0.8, 0.5)
    ngo.drift = 0.5
    mobilised = model.residents.mobilised
    mobilised[:] = 0.1
    mobilised[1] = 0.9  # pulled harder by something else already (a lone member is resident 0)
    model.member_of[:members] = ngo.unique_id
    organisations.membership_pull(model)
    pull = 0.8 * (1 - ngo.embedded) * (1 - 0.5)
    assert 0.1 < pull < 0.9 and (ngo.embedded > 0) == (origin == "top_down")
    assert mobilised[:3] == pytest.approx([pull, 0.9, pull if members == 3 else 0.1])
    assert (mobilised[3:] == 0.1).all()


def test_scandals_count_the_exposed_organisations_and_the_committee(monkeypatch):
    model = _model()
    first, second, third = sorted(model.ngo_by_id)
    model.member_of[:4], model.member_of[4:6] = first, second
    outcomes = iter([(np.array([0.1, 0.2, 0.3]), np.array([True, False, True])), (np.array([0.4]), np.array([True]))])
    monkeypatch.setattr(supervision, "drift", lambda *args: next(outcomes))
    model._oversee(model.levers)
    assert model.scandals == 3  # two organisations and the committee
    assert [model.ngo_by_id[uid].drift for uid in (first, second, third)] == pytest.approx([0.1, 0.2, 0.3])
    assert (model.member_of[:4] < 0).all() and (model.member_of[4:6] == second).all()
    assert model.committee.capture == pytest.approx(0.4)


def test_a_quiet_month_has_no_scandals(monkeypatch):
    model = _model()
    quiet = iter([(np.zeros(3), np.zeros(3, bool)), (np.zeros(1), np.zeros(1, bool))])
    monkeypatch.setattr(supervision, "drift", lambda *args: next(quiet))
    model.scandals = 5
    model._oversee(model.levers)
    assert model.scandals == 0


# --- recruiting through ties (7.6) ----------------------------------------------------------------------------------
def _star(origin: str, n: int = 601, **overrides) -> tuple[CommunityModel, int]:
    """Resident 0, a member of one organisation, tied to everyone else; all active, all willing to join."""
    model = CommunityModel(scenario="guardian", n_residents=n, rng=8, initial_grassroots_ngos=0,
                           initial_top_down_ngos=0, ngo_join_rate=1.0, **overrides)  # fmt: skip
    net = model.network
    others = np.arange(1, n)
    model.network = _from_pairs(np.zeros(n - 1, dtype=np.int64), others, n, 0.5, net.building, net.compound)
    ngo = organisations._create(model, 0, origin, 1.0, 0.5)
    model.member_of[:] = -1
    model.member_of[0] = ngo.unique_id
    model.residents.activity[:] = LOW_LEVEL
    return model, ngo.unique_id


def test_nobody_is_recruited_where_there_is_no_organisation():
    model = _model()
    for ngo in list(model.ngo_by_id.values()):
        ngo.dissolve()
    model.residents.activity[:] = LOW_LEVEL
    assert organisations.recruit(model) == 0 and (model.member_of < 0).all()


def test_one_resident_who_knows_a_member_joins_that_member_s_organisation():
    model, uid = _star("grassroots", n=20)
    model.residents.activity[2:] = NONE  # resident 1 is the only one taking part, with one tie, to a member
    assert organisations.recruit(model) == 1
    assert model.member_of[:2].tolist() == [uid, uid] and (model.member_of[2:] < 0).all()


def test_an_embedded_organisation_draws_recruits_only_as_far_as_it_is_not_embedded():
    model, uid = _star("top_down", ngo_members_max=10_000)
    joined = organisations.recruit(model)
    share = 1 - model.params.ngo_embeddedness
    assert joined == int((model.member_of[1:] == uid).sum())
    assert joined / 600 == pytest.approx(share, abs=0.06)  # 600 tries, each accepted with chance 0.3


def test_an_organisation_takes_recruits_only_up_to_its_largest_membership():
    model, uid = _star("grassroots", ngo_members_max=3)
    assert organisations.recruit(model) == 2
    assert (model.member_of == uid).sum() == 3


# Who joined which of the three organisations in the golden month below, each list starting with its first member.
PINNED_RECRUITS = [[0, 18, 57, 159, 231, 243], [1, 31, 40, 43, 106, 157], [2, 8, 71, 119, 125, 248]]


def test_a_seeded_month_of_recruiting_admits_exactly_the_pinned_residents():
    """Golden output: three organisations with room for five more each, and 100 willing neighbours of each member.

    Which five each admits is the seeded shuffle's. The tests above check the law of recruiting; this one pins the
    draws themselves, so that a change to how the shuffled joiners are ordered (an unstable sort: another sample of
    the same law, docs/mutation.md) shows. A deliberate change of the drawing re-pins these lists.
    """
    model = CommunityModel(scenario="guardian", n_residents=600, rng=8, initial_grassroots_ngos=0,
                           initial_top_down_ngos=0, ngo_join_rate=1.0, ngo_members_max=6)  # fmt: skip
    net = model.network
    members, neighbours = np.arange(303) % 3, np.arange(303)
    model.network = _from_pairs(members[3:], neighbours[3:], 600, 0.5, net.building, net.compound)
    model.member_of[:] = -1
    groups = [organisations._create(model, 0, "grassroots", 0.5, 0.8).unique_id for _ in range(3)]
    model.member_of[:3] = groups
    model.residents.activity[:] = NONE
    model.residents.activity[:303] = LOW_LEVEL
    assert organisations.recruit(model) == 15
    assert [np.flatnonzero(model.member_of == uid).tolist() for uid in groups] == PINNED_RECRUITS
