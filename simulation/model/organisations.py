"""Birth of organisations, their members, and the money that reaches them.

Three ways an NGO is born (docs/ODD.md 7.8). Residents found one out of their
own initiative (an active, skilled, civic resident who trusts others and does
not wait for government, with active neighbours as first members). A party
cell that has earned residents' trust organises one around a party member
(essay 2, Xinhua: the party branch secretary "从建立与大家的信任开始,最终把小区的物业自治小组建立起来了";
essay 6: "动员“红细胞”党员在社区成为社区自组织的带头人"); it is the residents' own,
"源于社区的需要,党组织加以引导推动而成,并不是空降而来的". Or government creates one
from above and assigns members; it stays embedded (essay 3: "嵌入的组织能够解决社区“管理”的问题,
但是不能转化为社区本身的一个内在的力量"). All then live by the same rules
(:class:`simulation.model.agents.NGO`): engaged members and money make them grow;
without either they wither and dissolve.

Each rule reads the community as a :class:`~simulation.model.agents.World` (what agents and organisations may see
of the model), not the model itself. What a scandal does to an organisation is supervision's
(:func:`simulation.model.supervision.disgrace`).
"""

from __future__ import annotations

import numpy as np

from .agents import NGO, PartyCell, World
from .population import NONE


def found_grassroots(world: World) -> int:
    """Residents found organisations; returns how many were founded."""
    p, r, rng = world.params, world.residents, world.rng
    eligible = (
        (r.activity != NONE) & (r.skill >= p.founder_skill) & (r.civic >= p.founder_civic) & (world.member_of < 0)
    )
    candidates = np.flatnonzero(eligible)
    chance = p.ngo_founding_rate * (1 + world.fostering) * r.trust[candidates] * (1 - r.reliance[candidates])
    founders = candidates[rng.random(candidates.size) < chance]
    founded = 0
    for founder in founders:
        if world.member_of[founder] >= 0:  # joined another new group this month
            continue
        founded += 1
        compound = int(world.network.compound[founder])
        ngo = _create(world, compound, "grassroots", p.ngo_initial_capacity, p.ngo_grassroots_independence)
        neighbours = world.network.cols[world.network.ties.indptr[founder] : world.network.ties.indptr[founder + 1]]
        free_active = neighbours[(r.activity[neighbours] != NONE) & (world.member_of[neighbours] < 0)]
        _enrol(world, ngo, np.concatenate(([founder], free_active)))
    return founded


def party_organise(world: World) -> int:
    """Party cells that have earned trust organise residents' groups around a party member; returns how many."""
    p, r, rng = world.params, world.residents, world.rng
    founded = 0
    for cell in world.agents_by_type[PartyCell]:
        chance = p.party_organising_rate * p.party_service * cell.trust_capital
        if cell.reachable.size == 0 or rng.random() >= chance:
            continue
        reachable = cell.reachable
        free = reachable[world.member_of[reachable] < 0]
        leaders = free[r.party_member[free]]
        if leaders.size == 0:
            continue
        leader = leaders[rng.integers(leaders.size)]
        followers = free[(r.activity[free] != NONE) & (free != leader)]
        ngo = _create(world, cell.compound, "grassroots", p.ngo_initial_capacity, p.ngo_grassroots_independence)
        _enrol(world, ngo, np.concatenate(([leader], rng.permutation(followers))))
        founded += 1
    return founded


def recruit(world: World) -> int:
    """Active residents without an organisation join one a neighbour belongs to; returns how many joined.

    People join groups through people they know (being organised spreads over ties, so it depends on the
    network); an embedded, government-made organisation draws few this way, a full one none.
    """
    p, r, net, member_of, rng = world.params, world.residents, world.network, world.member_of, world.rng
    if not world.ngo_by_id:
        return 0
    # Draw who tries this month first: only their ties need looking at.
    trying = ((r.activity != NONE) & (member_of < 0)) & (rng.random(r.n) < p.ngo_join_rate)
    entries = net.entries_of(np.flatnonzero(trying))
    entries = entries[member_of[net.cols[entries]] >= 0]
    if entries.size == 0:
        return 0
    # One member-neighbour per resident, at random: shuffle the ties, keep each resident's first.
    entries = entries[rng.permutation(entries.size)]
    joiners, first = np.unique(net.rows[entries], return_index=True)
    orgs = member_of[net.cols[entries[first]]]
    size = max(world.ngo_by_id) + 1
    pull = np.zeros(size)
    for uid, ngo in world.ngo_by_id.items():
        pull[uid] = 1 - ngo.embedded
    accepted = rng.random(joiners.size) < pull[orgs]
    joiners, orgs = joiners[accepted], orgs[accepted]
    # Room left in each organisation; joiners take it in random order.
    room = p.ngo_members_max - np.bincount(member_of[member_of >= 0], minlength=size)
    order = rng.permutation(joiners.size)
    joiners, orgs = joiners[order], orgs[order]
    by_org = np.argsort(orgs, kind="stable")
    starts = np.searchsorted(orgs[by_org], orgs[by_org], side="left")
    rank = np.empty(orgs.size, dtype=np.int64)
    rank[by_org] = np.arange(orgs.size) - starts
    admitted = rank < room[orgs]
    member_of[joiners[admitted]] = orgs[admitted]
    return int(admitted.sum())


def create_top_down(world: World) -> int:
    """Government creates organisations from above; returns how many."""
    p, rng = world.params, world.rng
    count = rng.poisson(world.levers.top_down_ngo_rate / 12 * world.per_thousand)
    for _ in range(count):
        compound = _random_compound(world)
        ngo = _create(world, compound, "top_down", p.ngo_top_down_capacity, p.ngo_top_down_independence)
        residents = world.compound_members[compound]
        free = residents[world.member_of[residents] < 0]
        _enrol(world, ngo, rng.permutation(free))
    return int(count)


def seed_initial(world: World) -> None:
    """Organisations that exist when the run starts, with assigned members."""
    p, rng = world.params, world.rng
    for origin, per_thousand, capacity, independence in (
        ("grassroots", p.initial_grassroots_ngos, p.ngo_initial_capacity, p.ngo_grassroots_independence),
        ("top_down", p.initial_top_down_ngos, p.ngo_top_down_capacity, p.ngo_top_down_independence),
    ):
        for _ in range(int(round(per_thousand * world.per_thousand))):
            compound = _random_compound(world)
            ngo = _create(world, compound, origin, capacity, independence)
            residents = world.compound_members[compound]
            free = residents[world.member_of[residents] < 0]
            _enrol(world, ngo, rng.permutation(free))


def pay_for_services(world: World) -> float:
    """Government buys services from organisations in proportion to their capacity; returns the amount."""
    ngos = list(world.ngo_by_id.values())
    budget = world.levers.funding * world.levers.service_purchase * world.per_thousand
    capacities = np.array([ngo.capacity for ngo in ngos])
    if not ngos or capacities.sum() <= 0 or budget <= 0:
        for ngo in ngos:
            ngo.government_funding = 0.0
        return 0.0
    # An organisation cannot absorb more than its budget: the rest stays unspent.
    shares = np.minimum(budget * capacities / capacities.sum(), world.params.ngo_budget)
    for ngo, amount in zip(ngos, shares, strict=True):
        ngo.government_funding = float(amount)
    return float(shares.sum())


def let_inactive_members_leave(world: World) -> None:
    """Members who do not take part drift away: an imposed organisation without engaged members empties."""
    r, member_of = world.residents, world.member_of
    idle_members = np.flatnonzero((member_of >= 0) & (r.activity == NONE))
    leaving = idle_members[world.rng.random(idle_members.size) < world.params.member_exit_rate]
    member_of[leaving] = -1


def record_engagement(world: World) -> None:
    """Tell each NGO what share of its members took part this month."""
    member_of = world.member_of
    has_org = member_of >= 0
    if not has_org.any():  # no organisation has members: none is engaged (not last month's share kept)
        for ngo in world.ngo_by_id.values():
            ngo.engagement = 0.0
        return
    ids = member_of[has_org]
    active = (world.residents.activity[has_org] != NONE).astype(float)
    size = max(world.ngo_by_id, default=0) + 1
    members = np.bincount(ids, minlength=size)
    engaged = np.bincount(ids, weights=active, minlength=size)
    for uid, ngo in world.ngo_by_id.items():
        ngo.engagement = engaged[uid] / members[uid] if members[uid] else 0.0


def membership_pull(world: World) -> None:
    """Being organised lowers the cost of taking part: members feel their organisation's capacity as a pull."""
    member_of = world.member_of
    has_org = np.flatnonzero(member_of >= 0)
    if has_org.size == 0:
        return
    size = max(world.ngo_by_id, default=0) + 1
    capacity = np.zeros(size)
    for uid, ngo in world.ngo_by_id.items():
        # Assigned members of an embedded organisation feel little pull; a drifting one serves a few.
        capacity[uid] = ngo.capacity * (1 - ngo.embedded) * (1 - ngo.drift)
    pull = capacity[member_of[has_org]]
    r = world.residents
    r.mobilised[has_org] = np.maximum(r.mobilised[has_org], pull)


def _random_compound(world: World) -> int:
    """A compound drawn in proportion to its population."""
    weights = world.compound_sizes / world.compound_sizes.sum()
    return int(world.rng.choice(world.n_compounds, p=weights))


def _create(world: World, compound: int, origin: str, capacity: float, independence: float) -> NGO:
    ngo = NGO(world, compound, origin, capacity, independence)
    world.ngo_by_id[ngo.unique_id] = ngo
    return ngo


def _enrol(world: World, ngo: NGO, candidates: np.ndarray) -> None:
    world.member_of[candidates[: world.params.ngo_members_max]] = ngo.unique_id
