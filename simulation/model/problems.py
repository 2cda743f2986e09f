"""Community problems: where they arise, who solves them, and what residents experience.

Disputes, repairs and service needs belong to a *place*: one building, one
compound, or the whole community (a shared garden, a construction project).
Each month a steady flow of them arrives at every place (plus unresolved ones
carried over, and optionally one large conflict: the shock), and five
*channels* solve what they can: residents acting together, residents' own
organisations, organisations government made ("embedded"), party cells, the
residents' committee and government (docs/ODD.md 7.7).

Channels share the work by *claims*, not in a strict order: each claims a
share of a place's problems in proportion to its capacity there times its
priority. Residents, organisations, party cells and the committee claim with
priority 1; government with ``directive_priority`` when it acts by command and
``backstop_priority`` when it only backs the community up. So the more
government provides, the more of the problems it takes and the less is left
for residents to do and learn from: crowding-out is a matter of degree
(essay 3: "嵌入的组织能够解决社区“管理”的问题,但是不能转化为社区本身的一个内在的力量";
essay 1: government should turn "从事无巨细、亲力亲为" to fostering).

Who solves a problem matters more than whether it is solved: joint action builds
trust and skills, service by the community's own bodies builds trust, government
provision beyond what the community could have done itself builds reliance on
government, embedded organisations only take work off residents' hands, and
unresolved problems erode trust.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import cast

import numpy as np

CHANNELS = ("residents", "ngos", "embedded", "party", "committee", "government")
OWN_CHANNELS = ("residents", "ngos", "party", "committee")  # the community's own bodies (the committee: in part)
SERVICE_CHANNELS = ("ngos", "party", "committee")
# "embedded" organisations (made by government) solve problems, but they are neither the community's own
# strength (residents learn no sense of control from them) nor government acting in its place. The committee
# is the community's own body only as far as it is autonomous: the rest of its work is the street office's
# "leg" at work (essay 6: "社区居委会实际上成为了街道办事处的派出机构"); ``committee_own`` is that share.


@dataclass(frozen=True)
class Places:
    """Where problems live: every building, every compound and the community, as one flat index.

    Buildings come first (``0 .. n_buildings-1``), then compounds, then the community (the last place).
    """

    building_of: np.ndarray  # building of each resident
    compound_of: np.ndarray  # compound of each resident
    building_compound: np.ndarray  # compound of each building
    building_sizes: np.ndarray  # residents per building
    compound_sizes: np.ndarray  # residents per compound

    @classmethod
    def of(cls, building: np.ndarray, compound: np.ndarray) -> Places:
        n_buildings = int(building.max()) + 1
        building_compound = np.zeros(n_buildings, dtype=np.int64)
        building_compound[building] = compound
        return cls(
            building, compound, building_compound,
            np.bincount(building, minlength=n_buildings).astype(float),
            np.bincount(compound).astype(float),
        )  # fmt: skip

    @property
    def n_buildings(self) -> int:
        return self.building_sizes.size

    @property
    def n_compounds(self) -> int:
        return self.compound_sizes.size

    @property
    def size(self) -> int:
        return self.n_buildings + self.n_compounds + 1

    @property
    def community(self) -> int:
        return self.size - 1

    def compound_place(self, compound: np.ndarray | int) -> np.ndarray | int:
        return self.n_buildings + compound

    @property
    def area(self) -> np.ndarray:
        """The compound each place lies in (a building's compound, a compound itself); -1 for the community."""
        return np.concatenate((self.local_area, [-1]))

    @cached_property
    def local_area(self) -> np.ndarray:
        """The compound of every place but the community (which is the last place): ``area[:-1]``, kept."""
        return np.concatenate((self.building_compound, np.arange(self.n_compounds)))

    def arrivals(self, rate_per_thousand: float, building_share: float, community_share: float) -> np.ndarray:
        """This month's new problems at every place: a steady flow proportional to the people living there."""
        compound_share = 1.0 - building_share - community_share
        per_resident = rate_per_thousand / 1000
        return np.concatenate((
            per_resident * building_share * self.building_sizes,
            per_resident * compound_share * self.compound_sizes,
            [per_resident * community_share * self.building_sizes.sum()],
        ))  # fmt: skip

    def per_place(self, per_resident: np.ndarray, level_shares: tuple[float, float, float]) -> np.ndarray:
        """Sum a per-resident quantity over each place, each level taking its share of it."""
        nb, nc = self.n_buildings, self.n_compounds
        return np.concatenate((
            level_shares[0] * np.bincount(self.building_of, weights=per_resident[0], minlength=nb),
            level_shares[1] * np.bincount(self.compound_of, weights=per_resident[1], minlength=nc),
            [level_shares[2] * per_resident[2].sum()],
        ))  # fmt: skip

    def spread_in_areas(self, per_compound: np.ndarray, demand: np.ndarray) -> np.ndarray:
        """Spread capacity held per compound over the compound's places, in proportion to their demand."""
        area, local_demand = self.local_area, demand[:-1]
        area_demand = np.bincount(area, weights=local_demand, minlength=self.n_compounds)
        within = area_demand[area]
        share = np.divide(local_demand, within, out=np.zeros(area.size), where=within > 0)
        out = np.zeros(self.size)
        out[:-1] = per_compound[area] * share
        return out

    def experienced(self, per_place: np.ndarray, level_shares: tuple[float, float, float]) -> np.ndarray:
        """What each resident experiences of a per-place share: its building, compound and community, by level share.

        ``per_place`` may hold several quantities stacked as rows. Residents of one building experience the
        same, so the mix is computed per building and then handed to the residents.
        """
        nb = self.n_buildings
        per_building = (
            level_shares[0] * per_place[..., :nb]
            + level_shares[1] * per_place[..., nb + self.building_compound]
            + level_shares[2] * per_place[..., [self.community]]
        )
        return np.take(per_building, self.building_of, axis=-1)


def pooled(total: float, demand: np.ndarray) -> np.ndarray:
    """A community-wide capacity sent where the problems are, in proportion to demand."""
    all_demand = demand.sum()
    return total * demand / all_demand if all_demand > 0 else np.zeros_like(demand)


def allocate(demand: np.ndarray, capacity: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """Share each place's demand among channels in proportion to capacity x priority, none beyond its capacity.

    ``capacity`` is (channels, places); returns what each channel solves at each place. A channel that
    reaches its capacity drops out and the rest of the demand is shared again among the others (weighted
    water-filling), so every channel with spare capacity works while problems remain.
    """
    solved = np.zeros_like(capacity)
    remaining = demand.astype(float).copy()
    spare = capacity.astype(float).copy()
    for _ in range(capacity.shape[0]):
        claims = priority[:, None] * spare
        total = claims.sum(axis=0)
        open_ = (remaining > 1e-12) & (total > 1e-12)
        if not open_.any():
            break
        offer = np.divide(remaining * claims, total, out=np.zeros_like(claims), where=open_)
        take = np.minimum(offer, spare)
        solved += take
        spare -= take
        remaining = np.maximum(remaining - take.sum(axis=0), 0.0)
    return solved


@dataclass(frozen=True)
class Outcomes:
    """How the month's problems went, as each resident experienced them (arrays of shares, 0-1)."""

    solved: np.ndarray  # share of demand solved by anyone
    by_residents: np.ndarray  # share solved by residents' own joint action
    by_service: np.ndarray  # share solved by committee, NGOs or party cells
    by_community: np.ndarray  # share solved by the community's own channels (the committee as far as autonomous)
    excess_government: np.ndarray  # share government solved beyond what the community's own capacity left over
    unresolved: np.ndarray  # share left unresolved


@dataclass(frozen=True)
class MonthOfProblems:
    """The month's problems: demand and what each channel solved, per place."""

    demand: np.ndarray
    solved_by: dict[str, np.ndarray]
    own_capacity: np.ndarray  # what residents, their organisations and party cells could have solved, per place
    backlog: np.ndarray  # carried into next month
    committee_own: float = 1.0  # share of the committee's work that is the community's own (its autonomy)

    def total(self, channel: str) -> float:
        return float(self.solved_by[channel].sum())

    def own_solved(self) -> np.ndarray:
        """Problems the community's own channels solved, per place: residents, their organisations, party cells and
        the committee's autonomous share."""
        return cast(np.ndarray, sum(self.solved_by[ch] * self._own_weight(ch) for ch in OWN_CHANNELS))

    def _own_weight(self, channel: str) -> float:
        return self.committee_own if channel == "committee" else 1.0

    @property
    def unresolved(self) -> np.ndarray:
        return np.maximum(self.demand - sum(self.solved_by.values()), 0.0)

    @property
    def excess_government(self) -> np.ndarray:
        """Problems government solved that residents, their organisations and party cells could have solved: what
        crowds out their motivation (crowding-out). The committee's capacity does not count: government doing the
        committee's work does not take residents' own initiative away, and a committee freed of tasks does not
        make government's provision excess."""
        needed = np.maximum(self.demand - self.own_capacity, 0.0)
        return np.maximum(self.solved_by["government"] - needed, 0.0)

    def outcomes(self, places: Places, level_shares: tuple[float, float, float]) -> Outcomes:
        """Shares of each place's demand, as each resident experiences them (building, compound, community)."""
        demand = self.demand
        service = sum(self.solved_by[ch] for ch in SERVICE_CHANNELS)
        residents = self.solved_by["residents"]
        per_place = np.stack((self.unresolved, residents, service, self.own_solved(), self.excess_government))
        shares = np.divide(per_place, demand, out=np.zeros_like(per_place), where=demand > 0)
        unresolved, by_residents, by_service, by_community, excess_government = places.experienced(shares, level_shares)
        return Outcomes(
            solved=1.0 - unresolved,
            by_residents=by_residents,
            by_service=by_service,
            by_community=by_community,
            excess_government=excess_government,
            unresolved=unresolved,
        )


def handle(
    demand: np.ndarray,
    capacity: dict[str, np.ndarray],
    priority: dict[str, float],
    lapse: float,
    committee_own: float = 1.0,
) -> MonthOfProblems:
    """Let the channels share the month's problems by their claims; unresolved ones partly lapse, the rest stay.

    ``committee_own`` is the share of the committee's work that counts as the community's own (its autonomy).
    """
    matrix = np.stack([capacity[ch] for ch in CHANNELS])
    solved = allocate(demand, matrix, np.array([priority.get(ch, 1.0) for ch in CHANNELS]))
    solved_by = dict(zip(CHANNELS, solved, strict=True))
    own = cast(np.ndarray, sum(capacity[ch] for ch in OWN_CHANNELS if ch != "committee"))
    remaining = np.maximum(demand - solved.sum(axis=0), 0.0)
    return MonthOfProblems(demand, solved_by, own, remaining * (1 - lapse), committee_own)


def level_shares(building_share: float, community_share: float) -> tuple[float, float, float]:
    """The shares of problems at the building, compound and community level (they sum to 1)."""
    return building_share, 1.0 - building_share - community_share, community_share
