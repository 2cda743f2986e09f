"""The community's money (docs/ODD.md 7.5, 7.6, 7.12): what government spends, what the community raises itself.

Each account computed by hand on chosen numbers, at 2,000 residents so that "per 1,000 residents" is a factor of 2
and not 1. Written for the mutants of ``CommunityModel._public_cost``, ``CommunityModel.step``'s own funds and
``organisations.pay_for_services`` that the mechanism tests let through (docs/mutation.md).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulation import CommunityModel
from simulation.model.organisations import create_top_down, pay_for_services
from simulation.model.population import NONE
from simulation.model.problems import CHANNELS, MonthOfProblems


def _model(**overrides) -> CommunityModel:
    """The guardian's community with organisations from the start (left alone, residents found them later)."""
    settings = {"scenario": "guardian", "n_residents": 2000, "rng": 4, "initial_grassroots_ngos": 4}
    return CommunityModel(**(settings | overrides))


def _month_with_government(solved: float) -> MonthOfProblems:
    zeros = np.zeros(3)
    solved_by = {ch: zeros for ch in CHANNELS} | {"government": np.array([solved, 0.0, 0.0])}
    return MonthOfProblems(zeros + 1, solved_by, zeros, zeros)


@pytest.mark.parametrize("committee_capacity", [6.0, 0.0])
def test_public_cost_adds_up_every_item_government_pays_for(committee_capacity):
    # Every cost other than 1, so that multiplying by it and dividing by it differ.
    model = _model(committee_capacity=committee_capacity, supervision_cost=2.0, training_cost=3.0, incubation_cost=0.5)
    p, k = model.params, 2.0
    levers = replace(model.levers, funding=7.0, service_purchase=0.25, supervision=0.6, training=0.3, incubation=0.8)
    model.committee.workstation_tasks, model.committee.paid_tasks = 1.5, 2.5
    task_cost = p.committee_funding_need / committee_capacity if committee_capacity else 0.0
    expected = (
        7.0 * 0.75 * k  # the committee's funding, less what goes to buying services
        + 0.6 * p.supervision_cost * k
        + 11.0  # services bought
        + 0.3 * p.training_cost * k
        + 0.8 * p.incubation_cost * k
        + 5.0 * p.government_cost_per_problem  # problems government solved itself
        + (1.5 + 2.5) * task_cost  # tasks the workstation does and tasks paid for
        + 3 * p.top_down_ngo_cost  # organisations made from above this month
    )
    assert model._public_cost(levers, _month_with_government(5.0), 11.0, 3) == pytest.approx(expected)


def test_residents_who_take_part_bring_dues_by_their_trust_and_organisations_add_their_own_revenue(monkeypatch):
    model = _model()
    model.run_for(3)
    seen = {}
    plan = model.committee.plan

    def record(levers, contributions):
        r = model.residents
        seen["contributions"] = contributions
        seen["expected"] = model.params.own_contribution * float(r.trust[r.activity != NONE].sum())
        seen["idle_trust"] = float(r.trust[r.activity == NONE].sum())
        return plan(levers, contributions)

    monkeypatch.setattr(model.committee, "plan", record)
    model.step()
    assert seen["contributions"] == pytest.approx(seen["expected"]) and seen["idle_trust"] > 0
    revenue = sum(ngo.own_revenue for ngo in model.ngo_by_id.values())
    assert revenue > 0
    assert model.own_funds == pytest.approx(seen["contributions"] + revenue)


def test_government_buys_services_in_proportion_to_capacity_up_to_each_organisation_s_budget():
    model = _model()
    ngos = list(model.ngo_by_id.values())[:3]
    for ngo in list(model.ngo_by_id.values())[3:]:
        ngo.dissolve()
    assert len(ngos) == 3
    for ngo, capacity in zip(ngos, (1.0, 1.0, 6.0), strict=True):
        ngo.capacity = capacity
    model.government.levers = replace(model.levers, funding=1.0, service_purchase=0.5)  # budget 0.5 x 2 = 1.0
    budget, cap = 1.0, model.params.ngo_budget
    expected = np.minimum(budget * np.array([1.0, 1.0, 6.0]) / 8.0, cap)
    assert pay_for_services(model) == pytest.approx(expected.sum())
    assert [ngo.government_funding for ngo in ngos] == pytest.approx(expected)


def test_no_service_is_bought_without_a_budget_or_capacity():
    model = _model()
    for ngo in model.ngo_by_id.values():
        ngo.government_funding = 1.0
    model.government.levers = replace(model.levers, service_purchase=0.0)
    assert pay_for_services(model) == 0.0
    assert all(ngo.government_funding == 0.0 for ngo in model.ngo_by_id.values())
    model.government.levers = replace(model.levers, service_purchase=0.5)
    for ngo in model.ngo_by_id.values():
        ngo.capacity, ngo.government_funding = 0.0, 1.0
    assert pay_for_services(model) == 0.0
    assert all(ngo.government_funding == 0.0 for ngo in model.ngo_by_id.values())


def test_organisations_of_little_capacity_are_paid_for_what_they_can_do():
    model = _model()
    ngos = list(model.ngo_by_id.values())
    for ngo in ngos:
        ngo.capacity = 0.1  # together well under 1
    model.government.levers = replace(model.levers, funding=1.0, service_purchase=0.5)
    assert pay_for_services(model) == pytest.approx(min(1.0, len(ngos) * model.params.ngo_budget))
    assert all(ngo.government_funding > 0 for ngo in ngos)


def test_government_makes_organisations_from_above_at_its_monthly_rate_each_in_a_compound(monkeypatch):
    model = _model(n_residents=3000)
    seen = []

    class Recording:
        """The model's generator, recording the mean of the Poisson draw of how many are made."""

        def __getattr__(self, name):
            return getattr(real, name)

        def poisson(self, lam):
            seen.append(lam)
            return 4

    real = model.rng
    model.rng = Recording()
    model.government.levers = replace(model.levers, top_down_ngo_rate=6.0)
    before = set(model.ngo_by_id)
    assert create_top_down(model) == 4
    assert seen == [pytest.approx(6.0 / 12 * 3.0)]  # a year's rate, per month, per 1,000 residents
    made = [model.ngo_by_id[uid] for uid in set(model.ngo_by_id) - before]
    assert len(made) == 4 and all(ngo.origin == "top_down" for ngo in made)
    assert all(isinstance(ngo.compound, int) and 0 <= ngo.compound < model.n_compounds for ngo in made)
    assert all((model.network.compound[model.member_of == ngo.unique_id] == ngo.compound).all() for ngo in made)
