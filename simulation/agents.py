"""The actors of the community as Mesa agents (brief, section 2).

Government, the residents' committee, NGOs and party cells are ordinary
agents with their own state. Residents are many, so their state lives in
numpy arrays (:mod:`simulation.population`) and each ``Resident`` agent is a
view onto its row: ``resident.trust`` reads the array, and the population is
updated array-wide by :mod:`simulation.residents`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent
from mesa.discrete_space import FixedAgent

from .policy import Levers, choose_levers
from .population import ACTIVITIES, AGE_GROUPS

if TYPE_CHECKING:
    from .model import CommunityModel


class Government(Agent):
    """The district government / street office: sets this month's levers."""

    def __init__(self, model: CommunityModel) -> None:
        super().__init__(model)
        self.levers: Levers = choose_levers(model.params, 0, "nurture", model.stage)
        self.role = self.levers.role

    def step(self) -> None:
        self.levers = choose_levers(self.model.params, self.model.steps, self.role, self.model.stage)
        self.role = self.levers.role


class ResidentsCommittee(Agent):
    """The residents' committee: legally self-governing, in practice often the street office's leg.

    Each month it splits its capacity between administrative tasks pushed
    down by government and residents' problems; the split, whether its
    members are elected, and whether residents back it set its autonomy.
    """

    def __init__(self, model: CommunityModel) -> None:
        super().__init__(model)
        p = model.params
        self.autonomy = p.initial_committee_autonomy
        self.professionalism = p.initial_staff_degree_share
        self.capacity = 0.0
        self.total_tasks = 0.0  # administrative tasks pushed down this month
        self.workstation_tasks = 0.0  # ... of which the workstation does
        self.paid_tasks = 0.0  # ... of which come with money to hire for them ("fees follow tasks")
        self.admin_demand = 0.0  # ... and the rest, which the committee itself must do
        self.admin_done = 0.0
        self.admin_completion = 1.0
        self.admin_pressure = 0.0  # share of its work spent on administrative tasks
        self.available_for_residents = 0.0

    @property
    def openness(self) -> float:
        """How much residents' decisions and voice can change anything: autonomy times open channels."""
        p, levers = self.model.params, self.model.levers
        return self.autonomy * max(levers.feedback, p.elected_committee)

    @property
    def self_governing_face(self) -> float:
        """Chance that a resident in contact sees the committee act for residents, not as government's leg.

        Residents see what the committee is busy with; members they elected are seen as theirs even when busy.
        """
        return 1 - self.admin_pressure * (1 - self.model.params.elected_committee)

    def plan(self, levers: Levers, resident_contributions: float) -> None:
        """Work out this month's capacity and the first claim of administrative tasks on it."""
        p, per_thousand = self.model.params, self.model.per_thousand
        budget = levers.funding * (1 - levers.service_purchase) * per_thousand + resident_contributions
        funded = min(1.0, budget / (p.committee_funding_need * per_thousand))
        # Untrained staff do half the work of professionals (brief: staff capacity and professionalism).
        self.capacity = p.committee_capacity * per_thousand * funded * (1 + self.professionalism) / 2
        all_tasks = levers.admin_load * p.admin_tasks * per_thousand
        self.workstation_tasks = all_tasks * p.workstation_share * p.workstation_separation
        self.paid_tasks = (all_tasks - self.workstation_tasks) * levers.fees_follow_tasks
        self.admin_demand = all_tasks - self.workstation_tasks - self.paid_tasks
        self.total_tasks = all_tasks
        # A committee judged from above serves the tasks first; a supervising government judges results,
        # so tasks get no first claim on the committee's time.
        claim_share = 0.0 if levers.mode == "supervisory" else p.top_down_evaluation
        first_claim = min(self.admin_demand, self.capacity * claim_share)
        self.admin_done = first_claim
        self.available_for_residents = self.capacity - first_claim

    def finish(self, used_for_residents: float, mean_ownership: float) -> None:
        """Spend spare capacity on outstanding tasks, then update autonomy and staff."""
        p = self.model.params
        spare = self.available_for_residents - used_for_residents
        self.admin_done += min(spare, self.admin_demand - self.admin_done)
        done = self.admin_done + self.workstation_tasks + self.paid_tasks
        self.admin_completion = done / self.total_tasks if self.total_tasks > 0 else 1.0
        self.admin_pressure = self.admin_done / self.capacity if self.capacity > 0 else 0.0
        # Appointed members answer upward unless residents back the committee as their own.
        backing = p.elected_committee + (1 - p.elected_committee) * mean_ownership
        target = (1 - self.admin_pressure) * backing
        self.autonomy += p.autonomy_rate * (target - self.autonomy)
        # Staff turn over; training brings in trained (degree-holding) staff.
        self.professionalism += p.staff_turnover * (self.model.levers.training - self.professionalism)


class NGO(Agent):
    """A social organisation: born from residents' initiative or created from above; can dissolve."""

    def __init__(
        self, model: CommunityModel, compound: int, origin: str, capacity: float, independence: float
    ) -> None:
        super().__init__(model)
        self.compound = compound
        self.origin = origin  # "grassroots" or "top_down"
        self.capacity = capacity
        self.independence = independence
        self.engagement = 0.0  # share of members active this month (set by the model)
        self.government_funding = 0.0  # service purchase received this month (set by the model)
        self.own_revenue = 0.0
        self.age = 0

    @property
    def members(self) -> np.ndarray:
        """Indices of the residents who belong to this organisation."""
        return np.flatnonzero(self.model.member_of == self.unique_id)

    @property
    def problem_capacity(self) -> float:
        return self.capacity * self.model.params.ngo_problem_capacity

    def step(self) -> None:
        p = self.model.params
        self.age += 1
        self.own_revenue = p.ngo_own_revenue * self.capacity * self.engagement
        income = self.government_funding + self.own_revenue
        funded = min(1.0, income / p.ngo_budget)
        boost = 1 + self.model.levers.incubation if self.origin == "grassroots" else 1.0
        growth = boost * p.ngo_growth_rate * self.engagement + p.ngo_funded_growth_rate * funded
        self.capacity += growth * (1 - self.capacity) - p.ngo_decay_rate * self.capacity
        if income > 0:
            own_share = self.own_revenue / income
            self.independence += p.ngo_independence_rate * (own_share - self.independence)
        if self.capacity < p.ngo_dissolve_capacity:
            self.dissolve()

    def dissolve(self) -> None:
        self.model.member_of[self.model.member_of == self.unique_id] = -1
        self.model.ngo_by_id.pop(self.unique_id, None)
        self.remove()


class PartyCell(Agent):
    """A party cell of one compound: serves residents or mobilises them, and mediates conflicts.

    It reaches residents through its members' ties. In service mode it earns
    trust it can draw on to mediate conflicts; in rigid mobilisation mode it
    brings people out to activities but earns little trust (brief, section 3).
    """

    def __init__(self, model: CommunityModel, compound: int, reachable: np.ndarray) -> None:
        super().__init__(model)
        self.compound = compound
        self.reachable = reachable  # residents with a party member among their ties
        self.mediation_capacity = 0.0

    def step(self) -> None:
        p, residents = self.model.params, self.model.residents
        if self.reachable.size == 0:
            return
        contacted = self.reachable[self.model.rng.random(self.reachable.size) < p.party_reach]
        served = contacted[self.model.rng.random(contacted.size) < p.party_service]
        residents.trust[served] += p.party_trust_gain * (1 - residents.trust[served])
        residents.mobilised[contacted] = np.maximum(residents.mobilised[contacted], 1 - p.party_service)
        size = self.model.compound_sizes[self.compound] / 1000
        trust_capital = float(residents.trust[self.reachable].mean())
        self.mediation_capacity = p.party_mediation * size * p.party_service * trust_capital


class Resident(FixedAgent):
    """One resident, placed on the social network; a view onto row ``index`` of the population arrays."""

    def __init__(self, model: CommunityModel, index: int, cell) -> None:
        super().__init__(model)
        self.index = index
        self.cell = cell

    def _get(self, name: str):
        return getattr(self.model.residents, name)[self.index]

    @property
    def trust(self) -> float:
        return float(self._get("trust"))

    @property
    def efficacy(self) -> float:
        return float(self._get("efficacy"))

    @property
    def skill(self) -> float:
        return float(self._get("skill"))

    @property
    def civic_propensity(self) -> float:
        return float(self._get("civic"))

    @property
    def sees_committee_as_government(self) -> bool:
        return bool(self._get("ownership") < 0.5)

    @property
    def activity(self) -> str:
        return ACTIVITIES[self._get("activity")]

    @property
    def age_group(self) -> str:
        return AGE_GROUPS[self._get("age_group")]

    @property
    def low_income(self) -> bool:
        return bool(self._get("low_income"))

    @property
    def party_member(self) -> bool:
        return bool(self._get("party_member"))

    @property
    def building(self) -> int:
        return int(self.model.network.building[self.index])

    @property
    def compound(self) -> int:
        return int(self.model.network.compound[self.index])

    @property
    def organisation(self) -> NGO | None:
        uid = self.model.member_of[self.index]
        return self.model.ngo_by_id.get(int(uid)) if uid >= 0 else None
