"""Resident state, held as numpy arrays (one entry per resident).

The Mesa ``Resident`` agents in :mod:`simulation.model.agents` are views onto these
arrays, so the model can be read and inspected agent by agent while the
per-step updates run over whole arrays at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .parameters import Parameters

AGE_GROUPS = ("elderly", "working_age", "young")
ELDERLY, WORKING_AGE, YOUNG = 0, 1, 2
ACTIVITIES = ("none", "low_level", "decision")
NONE, LOW_LEVEL, DECISION = 0, 1, 2
NEVER = -1_000_000  # last_decision (last_active) of a resident who never took part in a decision (in anything)


@dataclass
class ResidentState:
    """Traits (fixed) and state (changing) of every resident."""

    # traits
    age_group: np.ndarray  # int8, index into AGE_GROUPS
    unemployed: np.ndarray  # bool, meaningful for the young
    low_income: np.ndarray  # bool
    party_member: np.ndarray  # bool
    civic: np.ndarray  # civic propensity 0-1 (personality; elites are high)
    free_time: np.ndarray  # time budget 0-1, from age group and employment
    disposition: np.ndarray  # trust the resident falls back to without new experience 0-1
    prior_view: np.ndarray  # view of the committee the resident falls back to 0-1
    # state
    trust: np.ndarray  # generalised trust in fellow residents 0-1
    efficacy: np.ndarray  # sense of control 0-1
    skill: np.ndarray  # democratic skill 0-1
    ownership: np.ndarray  # belief that the committee is the residents' own body 0-1
    reliance: np.ndarray  # reliance on government to handle shared problems 0-1 (索取依赖)
    activity: np.ndarray  # int8, index into ACTIVITIES (this month)
    last_decision: np.ndarray  # month of the resident's last decision activity (-10**6: never)
    last_active: np.ndarray  # month of the resident's last activity of any kind (-10**6: never)
    mobilised: np.ndarray  # 0-1, pull of party-cell mobilisation this month

    @property
    def n(self) -> int:
        return self.trust.size

    @property
    def active(self) -> np.ndarray:
        return self.activity != NONE

    @property
    def vulnerable(self) -> np.ndarray:
        """Elderly, unemployed young or low-income: the groups the essays find taking part."""
        return (self.age_group == ELDERLY) | ((self.age_group == YOUNG) & self.unemployed) | self.low_income


def _clipped_normal(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    return np.clip(rng.normal(mean, sd, n), 0.0, 1.0)


def create_residents(rng: np.random.Generator, n: int, p: Parameters) -> ResidentState:
    """Draw a population with the scenario's demography and starting attitudes."""
    age_group = rng.choice(3, size=n, p=[p.share_elderly, 1 - p.share_elderly - p.share_young, p.share_young]).astype(
        np.int8
    )
    unemployed = (age_group == YOUNG) & (rng.random(n) < p.unemployed_young_share)
    free_time = np.select(
        [age_group == ELDERLY, age_group == WORKING_AGE, unemployed],
        [p.time_elderly, p.time_working_age, p.time_young_unemployed],
        default=p.time_young_employed,
    )
    trust = _clipped_normal(rng, p.initial_trust_mean, p.attitude_spread, n)
    ownership = _clipped_normal(rng, p.initial_ownership_mean, p.attitude_spread, n)
    return ResidentState(
        age_group=age_group,
        unemployed=unemployed,
        low_income=rng.random(n) < p.low_income_share,
        party_member=rng.random(n) < p.party_member_share,
        civic=_clipped_normal(rng, p.civic_propensity_mean, p.civic_propensity_spread, n),
        free_time=free_time,
        disposition=trust,
        trust=trust.copy(),
        efficacy=_clipped_normal(rng, p.initial_efficacy_mean, p.attitude_spread, n),
        skill=_clipped_normal(rng, p.initial_skill_mean, p.attitude_spread, n),
        prior_view=ownership,
        ownership=ownership.copy(),
        reliance=_clipped_normal(rng, p.initial_reliance_mean, p.attitude_spread, n),
        activity=np.zeros(n, dtype=np.int8),
        last_decision=np.full(n, NEVER, dtype=np.int64),
        last_active=np.full(n, NEVER, dtype=np.int64),
        mobilised=np.zeros(n),
    )
