"""The community model: a Mesa model of a community growing into self-governance.

One step is one month: nine phases, each a method of :class:`CommunityModel` called in this order by ``step``
(docs/ODD.md, section 3):

1. ``_government_sets_levers``: government sets its levers (the guardian reviews the stage it measured);
2. ``_residents_are_reached``: party cells serve or mobilise residents, organisations pull their members, the
   committee invites residents;
3. ``_residents_decide``: residents decide whether to take part, and in what;
4. ``_committee_plans``: the committee splits its capacity between administrative tasks and residents;
5. ``_government_buys_services``: government buys services from organisations;
6. ``_problems_are_shared``: problems arrive at buildings, compounds and the community, and the channels share
   them by their claims;
7. ``_organisations_grow_and_drift``: organisations grow or wither; residents, party cells and government found
   new ones; unwatched bodies drift, and drift comes out as scandals (:func:`supervision.oversee`);
8. ``_residents_learn``: residents learn from the month (skills, sense of control, trust, ties, view of the
   committee, reliance);
9. ``_month_is_measured``: the month is measured, the stage classified and the data collected.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import mesa
import numpy as np

from . import organisations, problems, supervision
from .agents import NGO, Government, PartyCell, Resident, ResidentsCommittee
from .measures import COLUMNS, measure, organised_share
from .network import TieSpace, build_network
from .policy import Levers
from .population import NONE, create_residents
from .residents import decide_activity, joint_action, learn, reset_monthly
from .scenarios import Scenario, load_scenario
from .stages import ALL_COMPONENTS, IndexComponents, StageTracker

RESIDENT_REPORTERS = {
    "trust": "trust",
    "efficacy": "efficacy",
    "skill": "skill",
    "activity": "activity",
    "age_group": "age_group",
    "sees_committee_as_government": "sees_committee_as_government",
    "reliance": "reliance",
}


class CommunityModel(mesa.Model):
    """Residents, committee, NGOs, party cells and government on a social-capital network.

    Args:
        scenario: a configuration name (see ``list_scenarios()``), a path to a
            TOML file, or a :class:`~simulation.model.scenarios.Scenario`.
        n_residents: community size (default: the scenario's).
        rng: seed or numpy Generator; the same seed gives the same run.
        collect_agents: also record every resident every month
            (``datacollector.get_agenttype_vars_dataframe(Resident)``).
        **overrides: any parameter of :class:`~simulation.model.parameters.Parameters`.
    """

    def __init__(
        self,
        *,
        scenario: str | Path | Scenario = "guardian",
        n_residents: int | None = None,
        rng: int | np.random.Generator | None = None,
        collect_agents: bool = False,
        **overrides: Any,
    ) -> None:
        super().__init__(rng=rng)
        if n_residents is not None:
            overrides["n_residents"] = n_residents
        self.spec = load_scenario(scenario, **overrides)
        self.params = p = self.spec.params
        n = p.n_residents
        self.per_thousand = n / 1000

        self.network = build_network(
            self.rng, n, p.building_size, p.buildings_per_compound,
            p.ties_within_building, p.ties_within_compound, p.ties_across_compounds, p.initial_tie_trust,
            p.network,
        )  # fmt: skip
        self.residents = create_residents(self.rng, n, p)
        for i in range(n):  # placed on the network space when it is first asked for (``grid``)
            Resident(self, i)

        self.places = problems.Places.of(self.network.building, self.network.compound)
        self.level_shares = problems.level_shares(p.building_problem_share, p.community_problem_share)
        self.n_compounds = self.places.n_compounds
        self.compound_sizes = self.places.compound_sizes
        self.compound_members = np.split(np.arange(n), np.cumsum(self.compound_sizes.astype(int))[:-1])
        self.member_of = np.full(n, -1, dtype=np.int64)
        self.ngo_by_id: dict[int, NGO] = {}
        self.backlog = np.zeros(self.places.size)
        self.last_month: problems.MonthOfProblems | None = None
        self.reach = np.zeros(n)  # each resident's reach for acting with others (residents.joint_action)
        self.own_funds = 0.0
        self.public_cost = 0.0
        self.scandals = 0
        self.first_independence: int | None = None  # the month the community was first classed independent

        self.committee = ResidentsCommittee(self)
        self._create_party_cells()
        organisations.seed_initial(self)
        # Government first (its assessment starts at "dependence"), so that the committee's starting budget, and
        # with it the starting index, follows the scenario's levers.
        self.government = Government(self)
        self.committee.plan(self.levers, resident_contributions=0.0)
        self.metrics = measure(self)
        self.stage_tracker = StageTracker(p, cast(float, self.metrics["self_governance_index"]))
        self._record_stage()

        agenttype = {Resident: RESIDENT_REPORTERS} if collect_agents else None
        reporters: dict[str, Callable[..., Any]] = {"step": lambda m: m.steps}
        reporters.update({col: (lambda m, c=col: m.metrics[c]) for col in COLUMNS})
        self.datacollector = mesa.DataCollector(model_reporters=reporters, agenttype_reporters=agenttype)
        self.datacollector.collect(self)

    # --- the network space -----------------------------------------------------
    @cached_property
    def grid(self) -> TieSpace:
        """The residents on Mesa's ``Network`` space of their ties: resident ``i`` in cell ``i``.

        Built when first asked for (the dashboard, a user, a resident's ``cell``): ``step()`` reads the
        sparse matrix (``network``) instead. Building it draws no random numbers, so a run's numbers are
        the same whether or not, and whenever, it is built.
        """
        grid = TieSpace(self.network, random=self.random)
        for resident in self.agents_by_type[Resident]:
            resident.cell = grid[resident.index]
        return grid

    # --- state read by agents -------------------------------------------------
    @property
    def stage(self) -> str:
        """The stage the community is in, as last measured (the model's yardstick, not government's assessment)."""
        return self.stage_tracker.stage

    @property
    def levers(self) -> Levers:
        return self.government.levers

    @property
    def fostering(self) -> float:
        """Support for residents' own organisations: government's incubation and the committee's spare time."""
        return self.levers.incubation + self.params.committee_fostering * self.committee.time_for_residents

    @property
    def party_coordination(self) -> float:
        """Share of organisations' capacity the party cells link to community-wide problems.

        The party as "organisation of organisations" (essay 3): as far as its cells serve and are trusted.
        """
        cells = self.agents_by_type[PartyCell]
        weights = np.array([self.compound_sizes[cell.compound] for cell in cells])
        capital = np.array([cell.trust_capital for cell in cells])
        return self.params.party_coordination * self.params.party_service * float(weights @ capital / weights.sum())

    # --- one month ------------------------------------------------------------
    def step(self) -> None:
        """One month: the nine phases of the module docstring (docs/ODD.md 3), in order."""
        levers = self._government_sets_levers()
        self._residents_are_reached()
        self._residents_decide()
        contributions = self._committee_plans(levers)
        services_bought = self._government_buys_services()
        month = self._problems_are_shared(levers)
        created = self._organisations_grow_and_drift(levers)
        self._residents_learn(month, levers)
        self._month_is_measured(levers, month, contributions, services_bought, created)

    def _government_sets_levers(self) -> Levers:
        """Phase 1: this month's marks are cleared and government chooses its levers (7.1)."""
        reset_monthly(self.residents)
        self.government.step()
        return self.levers

    def _residents_are_reached(self) -> None:
        """Phase 2: party cells serve or mobilise (7.2), organisations pull their members (7.3), the committee
        invites residents (7.5)."""
        PartyCell.step_all(self)  # = agents_by_type[PartyCell].shuffle_do("step"), faster
        organisations.membership_pull(self)
        self.committee.invite()

    def _residents_decide(self) -> None:
        """Phase 3: residents decide whether to take part, and in what (7.4), all at once."""
        participation = cast(float, self.metrics["participation_rate"])  # last month's (numbers but stage and role)
        decide_activity(self.rng, self.residents, self.network, self.params, participation, self.committee.openness,
                        self.steps)  # fmt: skip

    def _committee_plans(self, levers: Levers) -> float:
        """Phase 4: residents contribute and the committee plans its capacity (7.5); returns the contributions."""
        r = self.residents
        contributions = self.params.own_contribution * float((r.trust * (r.activity != NONE)).sum())
        self.committee.plan(levers, contributions)
        return contributions

    def _government_buys_services(self) -> float:
        """Phase 5: government buys services from organisations (7.6); returns what it paid."""
        return organisations.pay_for_services(self)

    def _problems_are_shared(self, levers: Levers) -> problems.MonthOfProblems:
        """Phase 6: the month's problems are handled (7.7), then the committee spends what it has left on its
        tasks and its autonomy and staff move (7.5)."""
        month = self._handle_problems(levers)
        self.committee.finish(month.total("committee"), float(self.residents.ownership.mean()))
        return month

    def _organisations_grow_and_drift(self, levers: Levers) -> int:
        """Phase 7: organisations grow or wither, new ones are founded, members come and go (7.8), and unwatched
        bodies drift (7.13); returns how many organisations government made."""
        organisations.record_engagement(self)
        organisations.let_inactive_members_leave(self)
        if NGO in self.agents_by_type:
            self.agents_by_type[NGO].shuffle_do("step")
        organisations.found_grassroots(self)
        organisations.party_organise(self)
        organisations.recruit(self)
        created = organisations.create_top_down(self)
        self._oversee(levers)
        return created

    def _residents_learn(self, month: problems.MonthOfProblems, levers: Levers) -> None:
        """Phase 8: residents learn from the month (7.9), all at once."""
        learn(
            self.rng, self.residents, self.network, self.params, month.outcomes(self.places, self.level_shares),
            self.committee.openness, self.committee.self_governing_face, levers.training, self.reach,
        )  # fmt: skip

    def _month_is_measured(
        self, levers: Levers, month: problems.MonthOfProblems, contributions: float, services: float, created: int
    ) -> None:
        """Phase 9: the month's money (7.11), its measures (7.12) and stage (7.10), the street office's records of it
        (7.1), and one row of data."""
        p = self.params
        self.own_funds = contributions + sum(ngo.own_revenue for ngo in self.ngo_by_id.values())
        self.public_cost = self._public_cost(levers, month, services, created)
        self.metrics = measure(self)
        self.stage_tracker.update(cast(float, self.metrics["self_governance_index"]))
        self._record_stage()
        if p.policy == "responsive":  # only a reviewing guardian reads the records (their errors draw numbers)
            self.government.assessment.record(self.rng, self._seen_by_government())
        self.datacollector.collect(self)

    def _seen_by_government(self) -> IndexComponents:
        """The month's components as the street office's records show them: organisations without their drift."""
        measured = {c: cast(float, self.metrics[f"index_{c}"]) for c in ALL_COMPONENTS}
        return IndexComponents(**{**measured, "organisation": organised_share(self, drift_seen=False)})

    def _handle_problems(self, levers: Levers) -> problems.MonthOfProblems:
        p, places, shares = self.params, self.places, self.level_shares
        demand = self.backlog + places.arrivals(p.problem_rate, p.building_problem_share, p.community_problem_share)
        if self.steps == p.shock_step:
            demand[places.compound_place(self.rng.integers(self.n_compounds))] += p.shock_size * self.per_thousand
        effort, self.reach = joint_action(self.residents, self.network, p)
        own, embedded = np.zeros(self.n_compounds), np.zeros(self.n_compounds)
        for ngo in self.ngo_by_id.values():
            (embedded if ngo.origin == "top_down" else own)[ngo.compound] += ngo.problem_capacity
        party_capacity = np.zeros(self.n_compounds)
        for cell in self.agents_by_type[PartyCell]:
            party_capacity[cell.compound] += cell.mediation_capacity
        coordination = self.party_coordination
        capacity = {
            "residents": places.per_place(effort, shares),
            "ngos": self._organisation_capacity(own, demand, coordination),
            "embedded": self._organisation_capacity(embedded, demand, coordination),
            "party": places.spread_in_areas(party_capacity, demand),
            "committee": problems.pooled(self.committee.available_for_residents, demand),
            "government": problems.pooled(levers.direct_provision * p.government_capacity * self.per_thousand, demand),
        }
        priority = {"government": p.directive_priority if levers.mode == "directive" else p.backstop_priority}
        month = problems.handle(demand, capacity, priority, p.backlog_lapse, committee_own=self.committee.autonomy)
        self.backlog = month.backlog
        self.last_month = month
        return month

    def _organisation_capacity(self, per_compound: np.ndarray, demand: np.ndarray, coordination: float) -> np.ndarray:
        """Organisations work in their own compound; community-wide problems reach them only as far as the
        party cells link them up (essay 3: the party is the organisation "能够把各种各样的组织再组织起来")."""
        community_share = self.level_shares[2]
        capacity = self.places.spread_in_areas(per_compound * (1 - community_share), demand)
        capacity[self.places.community] = per_compound.sum() * community_share * coordination
        return capacity

    def _oversee(self, levers: Levers) -> None:
        """Unwatched organisations drift and an unwatched committee is captured (the rule: ``supervision.py``)."""
        self.scandals = supervision.oversee(self, levers.supervision)

    def _public_cost(self, levers: Levers, month: problems.MonthOfProblems, services: float, created: int) -> float:
        """Public money spent this month (cost units)."""
        p, k = self.params, self.per_thousand
        task_cost = p.committee_funding_need / p.committee_capacity if p.committee_capacity else 0.0
        committee = self.committee
        return (
            levers.funding * (1 - levers.service_purchase) * k
            + levers.supervision * p.supervision_cost * k
            + services
            + levers.training * p.training_cost * k
            + levers.incubation * p.incubation_cost * k
            + month.total("government") * p.government_cost_per_problem
            + (committee.workstation_tasks + committee.paid_tasks) * task_cost
            + created * p.top_down_ngo_cost
        )

    def _record_stage(self) -> None:
        if self.stage == "independence" and self.first_independence is None:
            self.first_independence = self.steps
        self.government.read_role(cast(float, self.metrics["government_share"]) if self.last_month else None)
        self.metrics["stage"] = self.stage
        self.metrics["government_role"] = self.government.role

    def _create_party_cells(self) -> None:
        """One party cell per compound, reaching the residents tied to a party member."""
        members = self.residents.party_member
        tied_to_member = (self.network.neighbour_mean(members.astype(float)) > 0) | members
        for compound, residents in enumerate(self.compound_members):
            PartyCell(self, compound, residents[tied_to_member[residents]])
