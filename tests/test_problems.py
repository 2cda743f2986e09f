"""Where problems live and who solves them (docs/ODD.md 7.7), checked on chosen numbers.

The places, the pooling and spreading of capacity, what residents experience of a month, and how the model hands
each channel its capacity and government its claim. Written for the mutants of ``simulation/model/problems.py`` and of
``CommunityModel._handle_problems`` that the mechanism tests let through (docs/mutation.md).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulation import CommunityModel
from simulation.model import problems
from simulation.model.organisations import _create
from simulation.model.problems import MonthOfProblems, Places, pooled

# Two compounds: buildings 0 and 1 in compound 0 (2 and 1 residents), building 2 in compound 1 (3 residents).
PLACES = Places.of(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 0, 0, 1, 1, 1]))
# Places: buildings 0-2, compounds 3-4, community 5.


def test_places_are_buildings_then_compounds_then_the_community():
    assert (PLACES.n_buildings, PLACES.n_compounds, PLACES.size, PLACES.community) == (3, 2, 6, 5)
    assert PLACES.compound_place(0) == 3 and PLACES.compound_place(1) == 4
    assert PLACES.area.tolist() == [0, 0, 1, 0, 1, -1]


def test_pooled_capacity_goes_where_the_problems_are_and_nowhere_without_any():
    assert pooled(2.0, np.array([0.2, 0.3, 0.0])) == pytest.approx([0.8, 1.2, 0.0])  # demand below 1 in all
    nothing = pooled(5.0, np.zeros(3))
    assert nothing.shape == (3,) and (nothing == 0).all()


def test_capacity_held_in_a_compound_is_spread_over_its_places_by_demand():
    demand = np.array([0.1, 0.3, 0.0, 0.2, 0.0, 7.0])  # compound 1 and its building have none
    out = PLACES.spread_in_areas(np.array([2.0, 5.0]), demand)
    assert out == pytest.approx([2 * 0.1 / 0.6, 2 * 0.3 / 0.6, 0.0, 2 * 0.2 / 0.6, 0.0, 0.0])
    assert np.isfinite(out).all()


def _month(demand, **solved):
    solved_by = {ch: np.asarray(solved.get(ch, np.zeros(len(demand))), float) for ch in problems.CHANNELS}
    return MonthOfProblems(np.asarray(demand, float), solved_by, np.zeros(len(demand)), np.zeros(len(demand)))


def test_residents_experience_shares_of_their_places_and_nothing_of_a_place_without_problems():
    month = _month([2.0, 0.0, 4.0, 1.0, 0.0, 2.0], residents=[1.0, 0, 1.0, 0.5, 0, 0],
                   committee=[0.5, 0, 1.0, 0, 0, 1.0])  # fmt: skip
    shares = (0.5, 0.3, 0.2)
    out = month.outcomes(PLACES, shares)
    # Resident 0 lives in building 0 (demand 2) of compound 0 (place 3) in the community (place 5).
    assert out.by_residents[0] == pytest.approx(0.5 * 0.5 + 0.3 * 0.5 + 0.2 * 0)
    assert out.by_service[0] == pytest.approx(0.5 * 0.25 + 0.3 * 0 + 0.2 * 0.5)
    # Resident 2 lives in building 1 and resident 3 in compound 1: places without problems count as nothing
    # unresolved, and every share stays a number.
    assert out.unresolved[3] == pytest.approx(0.5 * 0.5 + 0.3 * 0 + 0.2 * 0.5)
    assert out.unresolved[2] == pytest.approx(0.5 * 0 + 0.3 * 0.5 + 0.2 * 0.5)
    assert np.isfinite(out.unresolved).all()
    assert out.solved == pytest.approx(1 - out.unresolved)


# --- the model's month: what each channel is given ----------------------------------------------------------------
def _captured_month(monkeypatch, model):
    """Run one month of problems and return the capacities and priorities the model handed to ``handle``."""
    seen = {}

    def capture(demand, capacity, priority, lapse, committee_own):
        seen.update(demand=demand, capacity=capacity, priority=priority, committee_own=committee_own)
        return real(demand, capacity, priority, lapse, committee_own)

    real = problems.handle
    monkeypatch.setattr(problems, "handle", capture)
    model._handle_problems(model.levers)
    return seen


def test_each_organisation_s_capacity_goes_to_its_own_channel_in_its_compound(monkeypatch):
    model = CommunityModel(scenario="guardian", n_residents=600, rng=3)
    for ngo in list(model.ngo_by_id.values()):
        ngo.dissolve()
    for origin, capacity in (("grassroots", 1.0), ("grassroots", 2.0), ("top_down", 4.0)):
        _create(model, 0, origin, capacity, 0.5)
    own = sum(ngo.problem_capacity for ngo in model.ngo_by_id.values() if ngo.origin != "top_down")
    embedded = sum(ngo.problem_capacity for ngo in model.ngo_by_id.values() if ngo.origin == "top_down")
    assert own > 0 and embedded > 0
    seen = _captured_month(monkeypatch, model)
    expected_own = model._organisation_capacity(np.array([own, 0.0]), seen["demand"], model.party_coordination)
    expected_embedded = model._organisation_capacity(np.array([embedded, 0.0]), seen["demand"],
                                                     model.party_coordination)  # fmt: skip
    assert seen["capacity"]["ngos"] == pytest.approx(expected_own)
    assert seen["capacity"]["embedded"] == pytest.approx(expected_embedded)


@pytest.mark.parametrize(("mode", "claim"), [("directive", "directive_priority"), ("supportive", "backstop_priority")])
def test_government_claims_problems_with_the_priority_of_its_mode(monkeypatch, mode, claim):
    model = CommunityModel(scenario="guardian", n_residents=300, rng=1)
    model.government.levers = replace(model.levers, mode=mode)
    seen = _captured_month(monkeypatch, model)
    assert seen["priority"] == {"government": getattr(model.params, claim)}


def test_organisations_work_in_their_compound_and_reach_community_problems_through_the_party():
    model = CommunityModel(scenario="guardian", n_residents=600, rng=2)
    community_share = model.level_shares[2]
    demand = np.zeros(model.places.size)
    demand[[0, model.places.compound_place(0), model.places.community]] = (1.0, 3.0, 2.0)
    per_compound = np.zeros(model.n_compounds)
    per_compound[0] = 8.0
    out = model._organisation_capacity(per_compound, demand, 0.25)
    assert out[0] == pytest.approx(8.0 * (1 - community_share) * 1 / 4)
    assert out[model.places.compound_place(0)] == pytest.approx(8.0 * (1 - community_share) * 3 / 4)
    assert out[model.places.community] == pytest.approx(8.0 * community_share * 0.25)


# --- sharing the problems among the channels (water-filling) --------------------------------------------------------
def test_channels_that_reach_their_capacity_drop_out_and_the_rest_is_shared_again():
    # One place, demand 10: the two high-priority channels fill up in the first round, the third takes the rest in
    # the second (a single round would leave 4.9 unsolved).
    solved = problems.allocate(np.array([10.0]), np.array([[1.0], [2.0], [8.0]]), np.array([10.0, 10.0, 1.0]))
    assert solved[:, 0] == pytest.approx([1.0, 2.0, 7.0])


def test_each_place_is_shared_on_its_own_and_a_place_nobody_can_serve_stays_unsolved():
    demand = np.array([10.0, 3.0, 5.0])
    capacity = np.array([[1.0, 5.0, 0.0], [2.0, 5.0, 0.0], [8.0, 0.0, 0.0]])
    solved = problems.allocate(demand, capacity, np.array([10.0, 10.0, 1.0]))
    assert solved[:, 0] == pytest.approx([1.0, 2.0, 7.0])  # two rounds, as above
    assert solved[:, 1] == pytest.approx([1.5, 1.5, 0.0])  # equal claims, enough for both
    assert (solved[:, 2] == 0).all()  # no capacity there: nothing solved, and no NaN from 0/0


def test_government_claims_in_proportion_to_its_priority_and_unsolved_problems_partly_lapse():
    demand = np.array([6.0, 2.0])
    capacity = {ch: np.zeros(2) for ch in problems.CHANNELS}
    capacity["residents"] = np.array([10.0, 0.0])
    capacity["government"] = np.array([10.0, 1.0])
    month = problems.handle(demand, capacity, {"government": 2.0}, lapse=0.25)
    # Place 0: claims 10 (residents, priority 1) against 20 (government): 2 and 4 of the 6 problems.
    assert month.solved_by["residents"] == pytest.approx([2.0, 0.0])
    assert month.solved_by["government"] == pytest.approx([4.0, 1.0])
    assert month.backlog == pytest.approx([0.0, 1.0 * 0.75])  # place 1: 1 of 2 left, a quarter of it lapses


def test_the_three_levels_share_the_problems_between_them():
    assert problems.level_shares(0.5, 0.2) == pytest.approx((0.5, 0.3, 0.2))


def test_each_level_sums_its_own_row_of_a_per_resident_quantity_over_its_places():
    per_resident = np.array([[1.0, 2, 3, 4, 5, 6], [10.0, 20, 30, 40, 50, 60], [100.0, 200, 300, 400, 500, 600]])
    out = PLACES.per_place(per_resident, (0.5, 0.3, 0.2))
    buildings = [0.5 * (1 + 2), 0.5 * 3, 0.5 * (4 + 5 + 6)]
    compounds = [0.3 * (10 + 20 + 30), 0.3 * (40 + 50 + 60)]
    assert out == pytest.approx([*buildings, *compounds, 0.2 * 2100])
