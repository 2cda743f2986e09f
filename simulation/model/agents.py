"""The actors of the community as Mesa agents (docs/ODD.md section 2), and the world they read.

Government, the residents' committee, NGOs and party cells are ordinary
agents with their own state. Residents are many, so their state lives in
numpy arrays (:mod:`simulation.model.population`) and each ``Resident`` agent is a
view onto its row: ``resident.trust`` reads the array, and the population is
updated array-wide by :mod:`simulation.model.residents`.

What the agents, and the mechanisms that act on them (``organisations``, ``supervision``, ``measures``), read
of the model is the :class:`World` below; ``CommunityModel`` is one. It stands here, beside the agents it names,
because the agents read it: in a module of its own it would import them and they it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from mesa import Agent
from mesa.discrete_space import Cell, FixedAgent

from .assessment import Assessment
from .dependency import fiscal_independence
from .policy import Levers, choose_levers, role_of
from .population import ACTIVITIES, AGE_GROUPS

if TYPE_CHECKING:
    from mesa.agentset import AbstractAgentSet

    from .network import SocialNetwork, TieSpace
    from .parameters import Parameters
    from .population import ResidentState
    from .problems import MonthOfProblems


class World(Protocol):
    """The community as its agents and mechanisms see it: everything they may read or change of the model.

    They take a World rather than the model so that no module of the model imports the one that builds it
    (``community``; tests/test_layout.py keeps it so), and so that what they reach is listed in one place.
    """

    # What the run is given, and its chance (Mesa's generator and month counter)
    params: Parameters
    rng: np.random.Generator
    steps: int
    per_thousand: float  # community size in thousands (``k`` in docs/ODD.md)
    # The residents and where they live
    residents: ResidentState
    network: SocialNetwork
    compound_members: list[np.ndarray]  # the residents of each compound
    compound_sizes: np.ndarray
    n_compounds: int
    # The organisations and who belongs to them
    ngo_by_id: dict[int, NGO]
    member_of: np.ndarray  # each resident's organisation (its unique_id), -1 for none
    # The institutions
    committee: ResidentsCommittee
    first_independence: int | None  # the month the community was first classed independent
    # The month just run, as the model keeps it for measuring
    last_month: MonthOfProblems | None
    own_funds: float
    public_cost: float
    scandals: int

    @property
    def levers(self) -> Levers: ...  # government's levers this month

    @property
    def fostering(self) -> float: ...  # support for residents' own organisations

    @property
    def agents_by_type(self) -> Mapping[type[Agent], AbstractAgentSet]: ...  # Mesa's agents of each kind

    @property
    def grid(self) -> TieSpace: ...  # the residents on Mesa's network space


class Government(Agent):
    """The district government / street office: sets this month's levers; its role is read from what it does.

    A responsive guardian decides from its own assessment of the community (:mod:`.assessment`), never from the
    model's measure; any government can step back for good to guidance and supervision (``step_back_after``, or
    :meth:`step_back` for the withdrawal test).
    """

    model: World  # what it reads of the model

    def __init__(self, model: World) -> None:
        super().__init__(model)
        self.guardian_role = "nurture"  # the role a responsive guardian has chosen at its last review
        self.assessment = Assessment(model.params)
        self.stepped_back_at: int | None = None  # the month it stepped back for good (None: it has not)
        self.let_go = False  # stepped back all the way: no money either, only supervision
        self.levers: Levers
        self.role = "nurture"
        self._choose(0)

    def step(self) -> None:
        self._choose(self.model.steps)

    def step_back(self, let_go: bool = False) -> None:
        """From this month on, only guidance and strict supervision, whatever the community does (the withdrawal test).

        ``let_go``: government also stops paying the committee's running costs; it only watches
        (:func:`~simulation.model.policy.withdrawn_levers`).
        """
        self.stepped_back_at, self.let_go = self.model.steps, let_go
        self._choose(self.model.steps)

    def _choose(self, month: int) -> None:
        p = self.model.params
        first = self.model.first_independence
        if self.stepped_back_at is None and p.step_back_after >= 0 and first is not None:
            if month >= first + p.step_back_after:
                self.stepped_back_at = month
        reviews = p.policy == "responsive" and month % p.review_interval == 0
        assessed = self.assessment.review() if reviews else self.assessment.stage
        stance = "let_go" if self.let_go else "stepped_back" if self.stepped_back_at is not None else None
        self.levers, self.guardian_role = choose_levers(p, month, self.guardian_role, assessed, stance)

    def read_role(self, government_share: float | None) -> None:
        """The role this month's behaviour amounts to, once its part in the month's work is known."""
        self.role = role_of(self.levers, self.model.params, government_share)


class ResidentsCommittee(Agent):
    """The residents' committee: legally self-governing, in practice often the street office's leg.

    Each month it splits its capacity between administrative tasks pushed
    down by government and residents' problems; the split, whether its
    members are elected, and whether residents back it set its autonomy.
    """

    model: World  # what it reads of the model

    def __init__(self, model: World) -> None:
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
        self.public_budget = 0.0  # this month's running money from government ...
        self.own_budget = 0.0  # ... and from residents
        self.capture = 0.0  # capture by a few (docs/ODD.md 7.13), 0-1
        self.funded = 0.0  # share of its running budget it has this month

    @property
    def standing(self) -> float:
        """Autonomy the committee can act on: autonomous and funded (essay 1: "自主独立性差、影响力不强")."""
        return self.autonomy * self.funded

    @property
    def pressure_on_members(self) -> float:
        """Administrative pressure felt by the members residents deal with: hired staff absorb part of it (选聘分离)."""
        return self.admin_pressure * (1 - self.model.params.selection_appointment_separation)

    @property
    def time_for_residents(self) -> float:
        """Share of its work the committee has left for residents: to convene decisions and foster organisations."""
        return 1.0 - self.admin_pressure

    @property
    def openness(self) -> float:
        """How much residents' decisions and voice can change anything.

        Autonomy times open channels (elected members, feedback platforms), times the time its members have
        for hearings rather than tasks, times the share of it not captured by a few.
        """
        p, levers = self.model.params, self.model.levers
        voice = max(levers.feedback, p.elected_committee)
        return self.autonomy * voice * (1 - self.pressure_on_members) * (1 - self.capture)

    @property
    def self_governing_face(self) -> float:
        """Chance that a resident in contact sees the committee act for residents, not as government's leg.

        Residents see what the committee is busy with; members they elected are seen as theirs even when busy.
        """
        return 1 - self.pressure_on_members * (1 - self.model.params.elected_committee)

    def invite(self) -> None:
        """Invite residents to the community's activities, as far as last month's tasks left it time for residents.

        The activities residents take part in are mostly the committee's (the CASS 2013 survey asks about
        "社区举办的活动", activities the community holds: docs/ODD.md 9.1); a committee busy with
        pushed-down work has little time for them (essay 6: "下沉的工作日益繁重,对社会组织的培育捉襟见肘"), and
        one without staff or money none. An invitation pulls like a party cell's mobilisation, for one month.
        """
        r, p, k = self.model.residents, self.model.params, self.model.per_thousand
        staffed = self.capacity / (p.committee_capacity * k) if p.committee_capacity > 0 else 0.0  # 1: fully staffed
        invited = self.model.rng.random(r.n) < p.committee_outreach * staffed * self.time_for_residents
        r.mobilised[invited] = 1.0

    def plan(self, levers: Levers, resident_contributions: float) -> None:
        """Work out this month's capacity and the first claim of administrative tasks on it."""
        p, per_thousand = self.model.params, self.model.per_thousand
        self.public_budget = levers.funding * (1 - levers.service_purchase) * per_thousand
        self.own_budget = resident_contributions
        budget = self.public_budget + self.own_budget
        funded = min(1.0, budget / (p.committee_funding_need * per_thousand))
        self.funded = funded
        # Untrained staff do half the work of professionals (assumption; essay 6: "社区工作人员整体素质不高,
        # 工作效能低", staff of low overall quality work inefficiently).
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
        # Appointed members answer upward unless residents back the committee as their own; a committee
        # living on the state budget answers upward too (dependency.fiscal_independence).
        backing = p.elected_committee + (1 - p.elected_committee) * mean_ownership
        fiscal = fiscal_independence(p, self.public_budget, self.own_budget)
        target = (1 - self.pressure_on_members) * backing * fiscal
        self.autonomy += p.autonomy_rate * (target - self.autonomy)
        # Staff turn over; training brings in trained (degree-holding) staff.
        self.professionalism += p.staff_turnover * (self.model.levers.training - self.professionalism)


class NGO(Agent):
    """A social organisation: born from residents' initiative or created from above; can dissolve."""

    model: World  # what it reads of the model

    def __init__(self, model: World, compound: int, origin: str, capacity: float, independence: float) -> None:
        super().__init__(model)
        self.compound = compound
        self.origin = origin  # "grassroots" or "top_down"
        self.capacity = capacity
        self.independence = independence
        self.engagement = 0.0  # share of members active this month (set by the model)
        self.government_funding = 0.0  # service purchase received this month (set by the model)
        self.own_revenue = 0.0
        self.age = 0
        self.drift = 0.0  # drift from its mission / capture by a few (docs/ODD.md 7.13), 0-1

    @property
    def members(self) -> np.ndarray:
        """Indices of the residents who belong to this organisation."""
        return np.flatnonzero(self.model.member_of == self.unique_id)

    @property
    def problem_capacity(self) -> float:
        """Problems it solves at full effort; a drifting organisation serves a few."""
        return self.capacity * self.model.params.ngo_problem_capacity * (1 - self.drift)

    @property
    def embedded(self) -> float:
        """How far it stays the government's creature (0 for residents' own organisations)."""
        return self.model.params.ngo_embeddedness if self.origin == "top_down" else 0.0

    def step(self) -> None:
        p = self.model.params
        embedded = self.embedded
        self.age += 1
        # Fees and donations come from engaged members; a government-made organisation raises little of its own.
        self.own_revenue = p.ngo_own_revenue * self.capacity * self.engagement * (1 - embedded)
        income = self.government_funding + self.own_revenue
        funded = min(1.0, income / p.ngo_budget)
        boost = 1 + self.model.fostering if self.origin == "grassroots" else 1.0
        growth = boost * p.ngo_growth_rate * self.engagement + p.ngo_funded_growth_rate * funded
        self.capacity += growth * (1 - self.capacity) - p.ngo_decay_rate * self.capacity
        if income > 0:
            # Independence follows the funding mix; a government-made organisation stays embedded
            # (essay 6: "大部分为政府机构的衍生物,行政色彩十分浓厚,自主活动的能力和动力缺乏").
            own_share = self.own_revenue / income * (1 - embedded)
            self.independence += p.ngo_independence_rate * (own_share - self.independence)
        if self.capacity < p.ngo_dissolve_capacity:
            self.dissolve()

    def dissolve(self) -> None:
        self.model.member_of[self.model.member_of == self.unique_id] = -1
        self.model.ngo_by_id.pop(self.unique_id, None)
        self.remove()


class PartyCell(Agent):
    """A party cell of one compound: serves residents or mobilises them, mediates, organises, links.

    It reaches residents through its members' ties. In service mode it earns trust it can draw on to
    mediate conflicts ("做合理而艺术的调停人", essay 2) and, once trusted, to organise residents' own groups
    (:func:`simulation.model.organisations.party_organise`); the cells together link organisations across
    compounds to community-wide problems (``CommunityModel.party_coordination``: the party as the
    organisation "能够把各种各样的组织再组织起来", essay 3). In rigid mobilisation mode it brings people out to
    activities but earns little trust (essay 6: the red cells' effect "源于刚性的“组织约束”").
    """

    model: World  # what it reads of the model

    def __init__(self, model: World, compound: int, reachable: np.ndarray) -> None:
        super().__init__(model)
        self.compound = compound
        self.reachable = reachable  # residents with a party member among their ties
        self.mediation_capacity = 0.0
        self.trust_capital = 0.0  # mean trust of the residents it reaches

    def step(self) -> None:
        """Serve or mobilise the residents the cell reaches, then take stock of their trust (docs/ODD.md 7.2)."""
        self._act(self.model, [self])

    @classmethod
    def step_all(cls, model: World) -> None:
        """Step every party cell in random order: what ``shuffle_do("step")`` does, with one draw for all.

        For speed only: the numbers are the same, bit for bit, as stepping the cells one by one. The
        cells are shuffled with the agent set's random generator (``model.random``) exactly as Mesa's
        ``shuffle_do`` shuffles them: the same order, the same draws.
        """
        agents = model.agents_by_type[cls]
        cells = list(agents)
        agents.random.shuffle(cells)
        cls._act(model, cells)

    @staticmethod
    def _act(model: World, cells: list[PartyCell]) -> None:
        """The given cells act in this order, as arrays.

        The same numbers as each cell acting in turn: the cells reach disjoint residents (each those of its
        own compound), so no cell changes what another reads; one ``model.rng.random`` of the total size
        gives the same numbers, in the same order, as one draw per cell in turn; and each cell's trust is
        summed over its own slice, which numpy sums as it sums a separate array (``np.add.reduceat``
        would not). A cell that reaches no one draws nothing and keeps its capital.
        """
        cells = [cell for cell in cells if cell.reachable.size]
        if not cells:
            return
        p, residents = model.params, model.residents
        reachable = np.concatenate([cell.reachable for cell in cells])
        # One draw decides both: contacted with chance party_reach, served with chance party_reach * party_service.
        draw = model.rng.random(reachable.size)
        contacted = reachable[draw < p.party_reach]
        served = reachable[draw < p.party_reach * p.party_service]
        residents.trust[served] += p.party_trust_gain * (1 - residents.trust[served])
        residents.mobilised[contacted] = np.maximum(residents.mobilised[contacted], 1 - p.party_service)
        reached_trust = residents.trust[reachable]
        start = 0
        for cell in cells:
            end = start + cell.reachable.size
            cell._take_stock(reached_trust[start:end])
            start = end

    def _take_stock(self, reached_trust: np.ndarray) -> None:
        """Trust capital (mean trust of the residents the cell reaches) and the mediation capacity it gives."""
        p = self.model.params
        size = self.model.compound_sizes[self.compound] / 1000
        self.trust_capital = float(reached_trust.sum() / reached_trust.size)
        self.mediation_capacity = p.party_mediation * size * p.party_service * self.trust_capital


class _Row:
    """A resident's value in one column of the population arrays, as a plain Python value; read-only, because
    the arrays are the state and every rule updates them whole (docs/ODD.md 2)."""

    def __init__(self, column: str, convert: Callable[[Any], Any] = float) -> None:
        self.column, self.convert = column, convert

    def __get__(self, resident: Resident | None, owner: type | None = None) -> Any:
        if resident is None:
            return self
        return self.convert(getattr(resident.model.residents, self.column)[resident.index])

    def __set__(self, resident: Resident, value: Any) -> None:
        raise AttributeError(f"a resident's {self.column} is read-only here: set model.residents.{self.column}")


class Resident(FixedAgent):
    """One resident, placed on the social network; a view onto row ``index`` of the population arrays.

    Its cell is cell ``index`` of ``model.grid``; the space is built, and every resident placed in it,
    when the grid or a resident's cell is first asked for (``step()`` needs neither).
    """

    model: World  # what it reads of the model

    def __init__(self, model: World, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def cell(self) -> Cell | None:
        if self._mesa_cell is None and "grid" not in self.model.__dict__:
            self.model.grid  # noqa: B018 (builds the space and places every resident)
        return self._mesa_cell

    @cell.setter
    def cell(self, cell: Cell | None) -> None:
        FixedAgent.cell.fset(self, cell)

    trust = _Row("trust")
    efficacy = _Row("efficacy")
    skill = _Row("skill")
    reliance = _Row("reliance")
    civic_propensity = _Row("civic")
    sees_committee_as_government = _Row("ownership", lambda ownership: bool(ownership < 0.5))
    activity = _Row("activity", ACTIVITIES.__getitem__)
    age_group = _Row("age_group", AGE_GROUPS.__getitem__)
    low_income = _Row("low_income", bool)
    party_member = _Row("party_member", bool)

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
