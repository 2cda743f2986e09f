"""The community model: a Mesa model of a community growing into self-governance.

One step is one month. The order of a month (docs/ODD.md, section 3):

1. government sets its levers (the guardian reviews the stage it measured);
2. party cells serve or mobilise residents, organisations pull their members;
3. residents decide whether to take part, and in what;
4. the committee splits its capacity between administrative tasks and residents;
5. government buys services from organisations;
6. problems arrive and are solved, channel by channel, in the order government's mode sets;
7. organisations grow or wither; residents and government found new ones;
8. residents learn from the month (skills, sense of control, trust, ties, view of the committee);
9. the month is measured, the stage classified and the data collected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import Network

from . import organisations, problems
from .agents import NGO, Government, PartyCell, Resident, ResidentsCommittee
from .measures import COLUMNS, measure
from .network import build_network
from .policy import Levers
from .population import NONE, create_residents
from .residents import decide_activity, learn, reset_monthly
from .scenarios import Scenario, load_scenario
from .stages import StageTracker

RESIDENT_REPORTERS = {
    "trust": "trust",
    "efficacy": "efficacy",
    "skill": "skill",
    "activity": "activity",
    "age_group": "age_group",
    "sees_committee_as_government": "sees_committee_as_government",
}


class CommunityModel(mesa.Model):
    """Residents, committee, NGOs, party cells and government on a social-capital network.

    Args:
        scenario: a configuration name (see ``list_scenarios()``), a path to a
            TOML file, or a :class:`~simulation.scenarios.Scenario`.
        n_residents: community size (default: the scenario's).
        rng: seed or numpy Generator; the same seed gives the same run.
        collect_agents: also record every resident every month
            (``datacollector.get_agenttype_vars_dataframe(Resident)``).
        **overrides: any parameter of :class:`~simulation.parameters.Parameters`.
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
        )  # fmt: skip
        self.grid = Network(self.network.to_networkx(), random=self.random, layout=None)
        self.residents = create_residents(self.rng, n, p)
        cells = [self.grid[i] for i in range(n)]
        Resident.create_agents(self, n, index=np.arange(n), cell=cells)

        compound = self.network.compound
        self.n_compounds = int(compound.max()) + 1
        self.compound_sizes = np.bincount(compound, minlength=self.n_compounds).astype(float)
        self.compound_members = np.split(np.arange(n), np.cumsum(self.compound_sizes.astype(int))[:-1])
        self.member_of = np.full(n, -1, dtype=np.int64)
        self.ngo_by_id: dict[int, NGO] = {}
        self.backlog = np.zeros(self.n_compounds)
        self.last_month: problems.MonthOfProblems | None = None
        self.own_funds = 0.0
        self.public_cost = 0.0

        self.committee = ResidentsCommittee(self)
        self._create_party_cells()
        organisations.seed_initial(self)
        self.metrics = measure(self)
        self.stage_tracker = StageTracker(p, self.metrics["self_governance_index"])
        self.government = Government(self)
        self._record_stage()

        agenttype = {Resident: RESIDENT_REPORTERS} if collect_agents else None
        reporters = {"step": lambda m: m.steps}
        reporters.update({col: (lambda m, c=col: m.metrics[c]) for col in COLUMNS})
        self.datacollector = mesa.DataCollector(model_reporters=reporters, agenttype_reporters=agenttype)
        self.datacollector.collect(self)

    # --- state read by agents -------------------------------------------------
    @property
    def stage(self) -> str:
        """The stage the community is in, as last measured."""
        return self.stage_tracker.stage if hasattr(self, "stage_tracker") else "dependence"

    @property
    def levers(self) -> Levers:
        return self.government.levers

    # --- one month ------------------------------------------------------------
    def step(self) -> None:
        p, r = self.params, self.residents
        reset_monthly(r)
        self.government.step()
        levers = self.levers
        self.agents_by_type[PartyCell].shuffle_do("step")
        organisations.membership_pull(self)
        decide_activity(self.rng, r, self.network, p, self.metrics["participation_rate"], self.committee.openness)

        contributions = p.own_contribution * float((r.trust * (r.activity != NONE)).sum())
        self.committee.plan(levers, contributions)
        services_bought = organisations.pay_for_services(self)
        month = self._handle_problems(levers)
        self.committee.finish(month.total("committee"), float(r.ownership.mean()))

        organisations.record_engagement(self)
        organisations.let_inactive_members_leave(self)
        if NGO in self.agents_by_type:
            self.agents_by_type[NGO].shuffle_do("step")
        organisations.found_grassroots(self)
        created = organisations.create_top_down(self)

        learn(
            self.rng, r, self.network, p, month.outcomes(),
            self.committee.openness, self.committee.self_governing_face, levers.training,
        )  # fmt: skip
        self.own_funds = contributions + sum(ngo.own_revenue for ngo in self.ngo_by_id.values())
        self.public_cost = self._public_cost(levers, month, services_bought, created)
        self.metrics = measure(self)
        self.stage_tracker.update(self.metrics["self_governance_index"])
        self._record_stage()
        self.datacollector.collect(self)

    def _handle_problems(self, levers: Levers) -> problems.MonthOfProblems:
        p, r, compound = self.params, self.residents, self.network.compound
        demand = self.backlog + problems.arrivals(self.rng, self.compound_sizes, p.problem_rate)
        if self.steps == p.shock_step:
            demand[self.rng.integers(self.n_compounds)] += p.shock_size * self.per_thousand
        joint_action = (r.activity != NONE) * r.skill * r.trust
        ngo_capacity = np.zeros(self.n_compounds)
        for ngo in self.ngo_by_id.values():
            ngo_capacity[ngo.compound] += ngo.problem_capacity
        party_capacity = np.zeros(self.n_compounds)
        for cell in self.agents_by_type[PartyCell]:
            party_capacity[cell.compound] += cell.mediation_capacity
        capacity = {
            "residents": p.self_help_rate * np.bincount(compound, weights=joint_action, minlength=self.n_compounds),
            "ngos": ngo_capacity,
            "party": party_capacity,
            "committee": self.committee.available_for_residents,
            "government": levers.direct_provision * p.government_capacity * self.per_thousand,
        }
        month = problems.handle(demand, capacity, levers.mode, p.backlog_lapse)
        self.backlog = month.backlog
        self.last_month = month
        return month

    def _public_cost(self, levers: Levers, month: problems.MonthOfProblems, services: float, created: int) -> float:
        """Public money spent this month (cost units)."""
        p, k = self.params, self.per_thousand
        task_cost = p.committee_funding_need / p.committee_capacity if p.committee_capacity else 0.0
        committee = self.committee
        return (
            levers.funding * (1 - levers.service_purchase) * k
            + services
            + levers.training * p.training_cost * k
            + levers.incubation * p.incubation_cost * k
            + month.total("government") * p.government_cost_per_problem
            + (committee.workstation_tasks + committee.paid_tasks) * task_cost
            + created * p.top_down_ngo_cost
        )

    def _record_stage(self) -> None:
        self.metrics["stage"] = self.stage
        self.metrics["government_role"] = self.government.role

    def _create_party_cells(self) -> None:
        """One party cell per compound, reaching the residents tied to a party member."""
        members = self.residents.party_member
        tied_to_member = (self.network.neighbour_mean(members.astype(float)) > 0) | members
        for compound, residents in enumerate(self.compound_members):
            PartyCell(self, compound, residents[tied_to_member[residents]])
