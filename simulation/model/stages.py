"""The yardstick: what the model calls self-governance, and the stage it puts the community in.

The *community index* (0-1) is a weighted mean of six components, each a share
with a meaning of its own and none of which rises with government money as
such: what the community does for itself (docs/ODD.md 7.10). Essay 3 names the
elements of a self-governing community ("要组织起来...要有公共利益关怀...有社区认同...
有一两个核心组织起作用...要有社区精英"), essay 1 the weaknesses of its bodies
("官方色彩浓重、自主独立性差、影响力不强、经费来源难以稳定"):

* *decision*: share of residents who had a say (took part in a decision
  activity) within the last ``decision_window`` months;
* *organisation*: share of residents organised in independent bodies
  (membership weighted by the organisation's independence, less its drift);
* *social capital*: mean trust in fellow residents;
* *autonomy*: the committee's autonomy, whoever pays its budget;
* *own resources*: what residents and their organisations raise, against the running
  budget the community's self-governing bodies need (capped at 1): it neither rises nor
  falls with government's money;
* *own solving*: share of the month's problems solved by the community's own
  channels (residents acting together, their own organisations, party cells,
  and the committee as far as it is autonomous).

The *legacy index* of earlier versions (committee autonomy times the share of
its budget it had in place of autonomy alone, and no own solving) stays
computable, and any component can be read on its own: the ``yardstick``
parameter says which the stage rule reads (docs/robustness.md compares the
conclusions under each).

The stage (dependence, learning, independence) is read from a moving average of
the yardstick with hysteresis, so a noisy month cannot flip the community back and
forth. The thresholds come from anchors: what each component is in the essays'
self-governing cases and in Karamay (:data:`ANCHORS`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .parameters import INDEX_COMPONENTS, Parameters

STAGES = ("dependence", "learning", "independence")
COMPONENTS = INDEX_COMPONENTS  # the community index's
# The legacy index's own funds against the running need are the community index's own resources; its standing is
# the committee's autonomy times the share of its running budget it had, mostly government's money.
LEGACY_COMPONENTS = ("decision", "organisation", "social_capital", "standing", "own_resources")
ALL_COMPONENTS = (*COMPONENTS, "standing")


@dataclass(frozen=True)
class Anchor:
    """A component's value in a dependent community (Karamay, essay 6) and in a self-governing one (essays' cases)."""

    dependence: float
    independence: float


# docs/ODD.md 7.10 gives each value its passage or survey figure; they were set before any run was compared with them.
ANCHORS = {
    "decision": Anchor(0.05, 0.30),
    "organisation": Anchor(0.02, 0.15),
    "social_capital": Anchor(0.43, 0.55),
    "autonomy": Anchor(0.10, 0.60),
    "own_resources": Anchor(0.05, 0.30),
    "own_solving": Anchor(0.10, 0.60),
}
# The legacy index keeps the thresholds of the versions that used it (their anchors: decision 0.5, organisation
# 0.3, trust 0.55, standing 0.5, funding 0.3 at independence; Karamay 0.05, 0.02, 0.43, 0.1, 0.05).
LEGACY_THRESHOLDS = (0.28, 0.43)


def yardstick_weights(p: Parameters) -> dict[str, float]:
    """The components the yardstick in force reads, with their weights."""
    if p.yardstick == "community":
        return {c: float(getattr(p, f"weight_{c}")) for c in COMPONENTS}
    if p.yardstick == "legacy":
        return dict.fromkeys(LEGACY_COMPONENTS, 1.0)
    return {p.yardstick: 1.0}


def anchored_thresholds(weights: dict[str, float]) -> tuple[float, float]:
    """(learning, independence) thresholds of a yardstick: its value at the self-governing anchor, and halfway
    between the two anchors."""
    total = sum(weights.values())
    dependent = sum(w * ANCHORS[c].dependence for c, w in weights.items()) / total
    independent = sum(w * ANCHORS[c].independence for c, w in weights.items()) / total
    return (dependent + independent) / 2, independent


def thresholds(p: Parameters) -> tuple[float, float]:
    """(learning, independence) thresholds of the yardstick in force: the parameters for the community index (whose
    defaults are its anchors'), the anchors' for any other yardstick."""
    if p.yardstick == "community":
        return p.learning_threshold, p.independence_threshold
    if p.yardstick == "legacy":
        return LEGACY_THRESHOLDS
    return anchored_thresholds(yardstick_weights(p))


@dataclass(frozen=True)
class IndexComponents:
    """Every component, each in [0, 1]: the community index's six and the legacy index's one of its own."""

    decision: float
    organisation: float
    social_capital: float
    autonomy: float
    own_resources: float
    own_solving: float
    standing: float

    def index(self, weights: dict[str, float]) -> float:
        """The weighted mean of the components ``weights`` names."""
        w = np.array(list(weights.values()))
        values = np.array([getattr(self, c) for c in weights])
        return float(w @ values / w.sum())


class StageTracker:
    """Classifies the stage from a moving average of the yardstick, with hysteresis.

    Moving up needs the smoothed value to reach a stage's threshold; falling back needs it to drop
    ``stage_hysteresis`` below that threshold.
    """

    def __init__(self, p: Parameters, initial_index: float, smoothing: int | None = None) -> None:
        smoothing = p.index_smoothing if smoothing is None else smoothing
        # The window starts full of the initial value, so early months are not over-weighted.
        self._window: deque[float] = deque([initial_index] * smoothing, maxlen=smoothing)
        self._up = thresholds(p)
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
