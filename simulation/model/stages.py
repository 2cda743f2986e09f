"""The self-governance index and the stage it puts the community in.

The index (0-1) is a weighted mean of five components, one for each element of
a self-governing community the essays name (essay 3: "要组织起来...要有公共利益关怀...
有社区认同...有一两个核心组织起作用...要有社区精英"; essay 1: self-governing bodies
with "官方色彩浓重、自主独立性差...经费来源难以稳定" as their weaknesses). Each
component is a share with a meaning of its own, never a ratio to a reference
value capped at 1 (docs/ODD.md 7.10):

* *decision*: share of residents who had a say (took part in a decision
  activity) within the last ``decision_window`` months;
* *organisation*: share of residents organised in independent bodies
  (membership weighted by the organisation's independence, less its drift);
* *social capital*: mean trust in fellow residents;
* *autonomy*: the committee's autonomy times the share of its running budget it
  has: a body that acts for residents and can act (essay 1 names both
  "自主独立性差" and "影响力不强" among the weaknesses);
* *funding*: share of the self-governing bodies' running budget the community
  raises itself (capped at the whole budget).

The stage (dependence, learning, independence) is read from a moving average of
the index with hysteresis, so a noisy month cannot flip the community back and
forth. The thresholds are anchored to the essays' cases (docs/ODD.md 7.10).
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
    decision_reach: float,
    organised_share: float,
    mean_trust: float,
    committee_standing: float,
    own_funds: float,
    n_residents: int,
) -> IndexComponents:
    """The index components from the community's measures.

    ``decision_reach`` is the share of residents who had a say within ``decision_window`` months;
    ``organised_share`` the share organised in independent bodies; ``own_funds`` the money raised by the
    community itself this month, set against the running budget of its self-governing bodies.
    """
    per_thousand = n_residents / 1000
    return IndexComponents(
        decision=decision_reach,
        organisation=organised_share,
        social_capital=mean_trust,
        autonomy=committee_standing,
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
