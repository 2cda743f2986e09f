"""Birth of organisations and the money that reaches them.

Two ways an NGO is born (brief, section 3, "Organisations must be
endogenous"): residents found one out of their own initiative (an active,
skilled, civic resident who trusts others, with active neighbours as first
members), or government creates one from above and assigns members. Both
then live by the same rules (:class:`simulation.agents.NGO`): engaged members
and money make them grow; without either they wither and dissolve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .agents import NGO
from .population import NONE

if TYPE_CHECKING:
    from .model import CommunityModel


def found_grassroots(model: CommunityModel) -> int:
    """Residents found organisations; returns how many were founded."""
    p, r, rng = model.params, model.residents, model.rng
    eligible = (
        (r.activity != NONE) & (r.skill >= p.founder_skill) & (r.civic >= p.founder_civic) & (model.member_of < 0)
    )
    candidates = np.flatnonzero(eligible)
    chance = p.ngo_founding_rate * (1 + model.levers.incubation) * r.trust[candidates]
    founders = candidates[rng.random(candidates.size) < chance]
    for founder in founders:
        if model.member_of[founder] >= 0:  # joined another new group this month
            continue
        compound = int(model.network.compound[founder])
        ngo = _create(model, compound, "grassroots", p.ngo_initial_capacity, p.ngo_grassroots_independence)
        neighbours = model.network.cols[model.network.ties.indptr[founder] : model.network.ties.indptr[founder + 1]]
        free_active = neighbours[(r.activity[neighbours] != NONE) & (model.member_of[neighbours] < 0)]
        _enrol(model, ngo, np.concatenate(([founder], free_active)))
    return int(founders.size)


def create_top_down(model: CommunityModel) -> int:
    """Government creates organisations from above; returns how many."""
    p, rng = model.params, model.rng
    count = rng.poisson(model.levers.top_down_ngo_rate / 12 * model.per_thousand)
    for _ in range(count):
        compound = _random_compound(model)
        ngo = _create(model, compound, "top_down", p.ngo_top_down_capacity, p.ngo_top_down_independence)
        residents = model.compound_members[compound]
        free = residents[model.member_of[residents] < 0]
        _enrol(model, ngo, rng.permutation(free))
    return int(count)


def seed_initial(model: CommunityModel) -> None:
    """Organisations that exist when the run starts, with assigned members."""
    p, rng = model.params, model.rng
    for origin, per_thousand, capacity, independence in (
        ("grassroots", p.initial_grassroots_ngos, p.ngo_initial_capacity, p.ngo_grassroots_independence),
        ("top_down", p.initial_top_down_ngos, p.ngo_top_down_capacity, p.ngo_top_down_independence),
    ):
        for _ in range(int(round(per_thousand * model.per_thousand))):
            compound = _random_compound(model)
            ngo = _create(model, compound, origin, capacity, independence)
            residents = model.compound_members[compound]
            free = residents[model.member_of[residents] < 0]
            _enrol(model, ngo, rng.permutation(free))


def pay_for_services(model: CommunityModel) -> float:
    """Government buys services from organisations in proportion to their capacity; returns the amount."""
    ngos = list(model.ngo_by_id.values())
    budget = model.levers.funding * model.levers.service_purchase * model.per_thousand
    capacities = np.array([ngo.capacity for ngo in ngos])
    if not ngos or capacities.sum() <= 0 or budget <= 0:
        for ngo in ngos:
            ngo.government_funding = 0.0
        return 0.0
    # An organisation cannot absorb more than its budget: the rest stays unspent.
    shares = np.minimum(budget * capacities / capacities.sum(), model.params.ngo_budget)
    for ngo, amount in zip(ngos, shares, strict=True):
        ngo.government_funding = float(amount)
    return float(shares.sum())


def let_inactive_members_leave(model: CommunityModel) -> None:
    """Members who do not take part drift away: an imposed organisation without engaged members empties."""
    r, member_of = model.residents, model.member_of
    idle_members = np.flatnonzero((member_of >= 0) & (r.activity == NONE))
    leaving = idle_members[model.rng.random(idle_members.size) < model.params.member_exit_rate]
    member_of[leaving] = -1


def record_engagement(model: CommunityModel) -> None:
    """Tell each NGO what share of its members took part this month."""
    member_of = model.member_of
    has_org = member_of >= 0
    if not has_org.any():
        return
    ids = member_of[has_org]
    active = (model.residents.activity[has_org] != NONE).astype(float)
    size = max(model.ngo_by_id, default=0) + 1
    members = np.bincount(ids, minlength=size)
    engaged = np.bincount(ids, weights=active, minlength=size)
    for uid, ngo in model.ngo_by_id.items():
        ngo.engagement = engaged[uid] / members[uid] if members[uid] else 0.0


def membership_pull(model: CommunityModel) -> None:
    """Being organised lowers the cost of taking part: members feel their organisation's capacity as a pull."""
    member_of = model.member_of
    has_org = np.flatnonzero(member_of >= 0)
    if has_org.size == 0:
        return
    size = max(model.ngo_by_id, default=0) + 1
    capacity = np.zeros(size)
    for uid, ngo in model.ngo_by_id.items():
        capacity[uid] = ngo.capacity
    pull = capacity[member_of[has_org]]
    r = model.residents
    r.mobilised[has_org] = np.maximum(r.mobilised[has_org], pull)


def _random_compound(model: CommunityModel) -> int:
    """A compound drawn in proportion to its population."""
    weights = model.compound_sizes / model.compound_sizes.sum()
    return int(model.rng.choice(model.n_compounds, p=weights))


def _create(model: CommunityModel, compound: int, origin: str, capacity: float, independence: float) -> NGO:
    ngo = NGO(model, compound, origin, capacity, independence)
    model.ngo_by_id[ngo.unique_id] = ngo
    return ngo


def _enrol(model: CommunityModel, ngo: NGO, candidates: np.ndarray) -> None:
    model.member_of[candidates[: model.params.ngo_members_max]] = ngo.unique_id
