"""The small rules of docs/ODD.md 7.5, 7.9.6, 7.10 and 7.13, checked equation by equation on chosen numbers.

Written for the mutants of ``simulation/dependency.py``, ``stages.py`` and ``supervision.py`` that the mechanism
tests let through (docs/mutation.md): each test computes the rule by hand and compares, so a changed sign, factor,
cap or boundary shows. Mutants these tests cannot kill because no input can tell them apart are listed as
equivalent in docs/mutation.md.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation import load_scenario
from simulation.dependency import fiscal_independence, update_reliance
from simulation.population import create_residents
from simulation.problems import Outcomes
from simulation.stages import StageTracker, index_components
from simulation.supervision import drift, lose_trust, oversight

P = load_scenario("guardian").params


def _outcomes(excess, by_community):
    n = len(excess)
    zeros = np.zeros(n)
    return Outcomes(zeros + 1, zeros, zeros, np.asarray(by_community, float), np.asarray(excess, float), zeros)


# --- dependency (7.9.6 and 7.5) ---------------------------------------------------------------------------------
def test_reliance_grows_with_crowding_out_towards_1_and_falls_with_the_community_s_success():
    reliance = np.array([0.2, 0.5, 0.9])
    excess, own = np.array([1.0, 0.5, 0.0]), np.array([0.0, 0.5, 1.0])
    grown = reliance + P.reliance_gain * excess * (1 - reliance)
    expected = grown - P.reliance_recovery * own * grown
    update_reliance(reliance, P, _outcomes(excess, own))
    assert reliance == pytest.approx(expected)


def test_fiscal_independence_falls_with_the_public_share_of_the_committee_s_budget():
    fd = P.fiscal_dependence
    assert fiscal_independence(P, 3.0, 1.0) == pytest.approx(1 - fd * 0.75)
    assert fiscal_independence(P, 0.25, 0.25) == pytest.approx(1 - fd * 0.5)  # a budget below 1 unit
    assert fiscal_independence(P, 0.0, 2.0) == 1.0
    assert fiscal_independence(P, 0.0, 0.0) == 1.0  # no budget at all: nobody to answer to


# --- the index and the stage (7.10) ---------------------------------------------------------------------------
def test_the_funding_component_is_own_money_against_the_running_need_per_1000_residents_capped_at_1():
    need = P.funding_need * 0.5  # 500 residents
    half = index_components(P, 0.1, 0.2, 0.3, 0.4, need / 2, 500)
    assert (half.decision, half.organisation, half.social_capital, half.autonomy) == (0.1, 0.2, 0.3, 0.4)
    assert half.funding == pytest.approx(0.5)
    assert index_components(P, 0.1, 0.2, 0.3, 0.4, 3 * need, 500).funding == 1.0


def test_stage_thresholds_are_reached_at_equality_and_left_only_below_the_hysteresis_band():
    p = P.replace(index_smoothing=1, learning_threshold=0.5, independence_threshold=0.75, stage_hysteresis=0.25)
    tracker = StageTracker(p, 0.0)
    assert tracker.update(0.5) == "learning"  # exactly at the threshold: reached
    assert tracker.update(0.25) == "learning"  # exactly at the lower edge of the band: kept
    assert tracker.update(0.2) == "dependence"


def test_a_community_starting_inside_the_hysteresis_band_starts_dependent():
    p = P.replace(index_smoothing=1, learning_threshold=0.5, independence_threshold=0.75, stage_hysteresis=0.25)
    assert StageTracker(p, 0.4).stage == "dependence"
    assert StageTracker(p, 0.8).stage == "independence"


# --- supervision (7.13) --------------------------------------------------------------------------------------------
def test_oversight_is_government_s_watch_or_residents_with_a_say_and_skill():
    watch = oversight(P, 0.2, 0.5, 0.4)
    assert watch == pytest.approx(1 - 0.8 * (1 - P.self_oversight * 0.5 * 0.4))


def test_drift_grows_with_exposure_and_watching_corrects_the_watched_share():
    rng = np.random.default_rng(0)
    quiet = P.replace(exposure_rate=0.0)
    current, exposure = np.array([0.0, 0.2, 0.6]), np.array([1.0, 0.5, 0.25])
    new, scandal = drift(rng, current, exposure, quiet, watch=0.3)
    assert not scandal.any()
    assert new == pytest.approx((current + quiet.drift_rate * exposure * (1 - current)) * 0.7)


def test_a_scandal_s_chance_grows_with_drift_squared():
    rng = np.random.default_rng(1)
    p = P.replace(exposure_rate=1.0, drift_rate=0.0)
    n = 20_000
    new, scandal = drift(rng, np.full(n, 0.5), np.zeros(n), p, watch=0.0)
    assert scandal.mean() == pytest.approx(0.25, abs=0.015)
    assert (new[scandal] == 0).all() and (new[~scandal] == 0.5).all()  # drift that came out starts again


def test_a_scandal_takes_a_share_of_the_erodible_trust_of_those_it_touches_only():
    rng = np.random.default_rng(2)
    r = create_residents(rng, 300, P.replace(n_residents=300))
    touched = np.arange(300) % 3 == 0
    before = r.trust.copy()
    erodible = np.maximum(before - P.trust_floor * r.disposition, 0.0)
    lose_trust(r, touched, P)
    assert r.trust[touched] == pytest.approx(before[touched] - P.scandal_trust_loss * erodible[touched])
    assert (r.trust[~touched] == before[~touched]).all()
