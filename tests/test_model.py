"""The model's set-up and monthly bookkeeping (docs/ODD.md 2, 3 and 7.13): what a new community starts from, what
the data collector records, and whom a committee's scandal touches.

Written for the mutants of ``simulation/model/community.py`` that the mechanism tests let through (docs/mutation.md).
"""

from __future__ import annotations

import numpy as np

from simulation import CommunityModel, load_scenario
from simulation.model import supervision
from simulation.model.agents import Resident
from simulation.model.population import LOW_LEVEL, NONE


def test_the_default_configuration_is_the_guardian_and_residents_are_recorded_only_when_asked():
    model = CommunityModel(n_residents=300, rng=1)
    assert model.params == load_scenario("guardian", n_residents=300).params
    assert model.datacollector.agenttype_reporters == {}
    recorded = CommunityModel(n_residents=300, rng=1, collect_agents=True)
    recorded.step()
    assert len(recorded.datacollector.get_agenttype_vars_dataframe(Resident)) == 2 * 300


def test_a_new_community_has_spent_raised_and_suffered_nothing_yet():
    model = CommunityModel(n_residents=300, rng=1)
    first = model.datacollector.get_model_vars_dataframe().iloc[0]
    assert first["public_cost"] == 0 and first["scandals"] == 0 and first["index_own_resources"] == 0
    assert model.own_funds == 0 and model.committee.own_budget == 0
    assert model.member_of.dtype.kind == "i" and (model.member_of < 0).all()


def test_every_month_records_the_stage_it_measured():
    model = CommunityModel(scenario="hangzhou", n_residents=300, rng=2)
    model.run_for(3)
    table = model.datacollector.get_model_vars_dataframe()
    assert model.metrics["stage"] == model.stage and table["stage"].iloc[-1] == model.stage
    assert table["stage"].isin(["dependence", "learning", "independence"]).all()


def test_a_committee_scandal_costs_the_trust_of_those_in_contact_with_it_only(monkeypatch):
    model = CommunityModel(n_residents=300, rng=3)  # no organisations yet: only the committee can be exposed
    assert not model.ngo_by_id
    activity = model.residents.activity
    activity[:] = NONE
    activity[:100] = LOW_LEVEL
    before = model.residents.trust.copy()
    monkeypatch.setattr(supervision, "drift", lambda *args: (np.array([0.2]), np.array([True])))
    model._oversee(model.levers)
    after = model.residents.trust
    assert model.scandals == 1
    assert (after[:100] < before[:100]).all() and (after[100:] == before[100:]).all()
