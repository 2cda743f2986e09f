"""The self-governance index and the stage it puts the community in.

The index (0-1) is a weighted mean of five components, each scaled to 0-1,
one for each element of a self-governing community the essays name (brief,
sections 1 and 3): residents who take part in *decisions*, organisations that
are *capable and independent*, *social capital*, a committee with
*autonomy*, and *funding* of its own. The stage (dependence, learning,
independence) is read from a moving average of the index with hysteresis, so
a noisy month cannot flip the community back and forth.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .parameters import Parameters

STAGES = ("dependence", "learning", "independence")
COMPONENTS = ("decision", "organisation", "social_capital", "autonomy", "funding")


@dataclass(frozen=True)
class IndexComponents:
    """The five components of the index, each in [0, 1]."""

    decision: float
    organisation: float
    social_capital: float
    autonomy: float
    funding: float

    def index(self, p: Parameters) -> float:
        weights = np.array(
            [p.weight_decision, p.weight_organisation, p.weight_social_capital, p.weight_autonomy, p.weight_funding]
        )
        values = np.array([self.decision, self.organisation, self.social_capital, self.autonomy, self.funding])
        return float(weights @ values / weights.sum())


def index_components(
    p: Parameters,
    decision_share: float,
    organisational_strength: float,
    mean_trust: float,
    committee_autonomy: float,
    own_funds: float,
    n_residents: int,
) -> IndexComponents:
    """Scale the raw community measures into index components.

    ``decision_share`` is the share of residents in decision activities;
    ``organisational_strength`` the sum over NGOs of capacity x independence;
    ``own_funds`` the money raised by the community itself this month.
    """
    per_thousand = n_residents / 1000
    return IndexComponents(
        decision=min(1.0, decision_share / p.decision_reference),
        organisation=min(1.0, organisational_strength / (p.organisation_reference * per_thousand)),
        social_capital=mean_trust,
        autonomy=committee_autonomy,
        funding=min(1.0, own_funds / (p.funding_need * per_thousand)),
    )


class StageTracker:
    """Classifies the stage from a moving average of the index, with hysteresis.

    Moving up needs the smoothed index to reach a stage's threshold; falling
    back needs it to drop ``stage_hysteresis`` below that threshold.
    """

    def __init__(self, p: Parameters, initial_index: float) -> None:
        # The window starts full of the initial value, so early months are not over-weighted.
        self._window: deque[float] = deque([initial_index] * p.index_smoothing, maxlen=p.index_smoothing)
        self._up = (p.learning_threshold, p.independence_threshold)
        self._down = tuple(t - p.stage_hysteresis for t in self._up)
        self.level = 0
        self.level = self._classify(initial_index)

    @property
    def stage(self) -> str:
        return STAGES[self.level]

    @property
    def smoothed(self) -> float:
        return float(np.mean(self._window))

    def update(self, index: float) -> str:
        self._window.append(index)
        self.level = self._classify(self.smoothed)
        return self.stage

    def _classify(self, value: float) -> int:
        level = self.level
        while level < 2 and value >= self._up[level]:
            level += 1
        while level > 0 and value < self._down[level - 1]:
            level -= 1
        return level
