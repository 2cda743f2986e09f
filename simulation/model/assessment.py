"""What a street office can see of its community: the guardian's assessment, from records read with error and late.

Essay 1's guardian adjusts its role "视社会力量的发展状况" (by the state of society's
forces); essay 1 also asks that resident satisfaction carry weight when community work is
evaluated ("对社区建设成效考评中,居民满意度指标要占合理权重"). A street office knows the state of
a community only from what it collects: sign-in records of meetings and votes, the register
of organisations and their accounts, the committee's reports and accounts, the record of
problems and complaints and who dealt with them, and resident surveys. So the guardian never
reads the model's own measure of the community (docs/ODD.md 7.1):

* each month the office records the yardstick's components as it sees them, each with a
  relative error (``report_noise``, standard deviation); organisations it sees without
  their drift, which nothing but a scandal shows (docs/ODD.md 7.13);
* at a review it reads the records of the last ``review_interval`` months, the newest of
  them ``report_lag`` months old, and classifies their mean with the stage rule's
  thresholds and hysteresis, starting from the stage it assessed at its last review.

The errors, the lag and the sizes are modelling assumptions (with plausible ranges).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .parameters import Parameters
from .stages import IndexComponents, StageTracker, yardstick_weights


class Assessment:
    """The street office's records of one community, and the stage it last assessed from them."""

    def __init__(self, p: Parameters) -> None:
        self.report_lag, self.review_interval, self.noise = p.report_lag, p.review_interval, p.report_noise
        self.weights = yardstick_weights(p)
        self._w = np.array(list(self.weights.values()))
        self.records: deque[float] = deque(maxlen=p.report_lag + p.review_interval)  # the index as recorded
        # The stage rule's thresholds and hysteresis, applied to one value per review (no moving average).
        self._stage = StageTracker(p, initial_index=0.0, smoothing=1)
        self.read = float("nan")  # the value the last review read (nan before the first one with records)

    @property
    def stage(self) -> str:
        """The stage the office assessed at its last review (dependence before any)."""
        return self._stage.stage

    def record(self, rng: np.random.Generator, seen: IndexComponents) -> None:
        """Record one month: every component the yardstick reads, with its reporting error."""
        true = np.array([getattr(seen, c) for c in self.weights])
        recorded = np.clip(true * (1.0 + self.noise * rng.standard_normal(true.size)), 0.0, 1.0)
        self.records.append(float(self._w @ recorded / self._w.sum()))

    def review(self) -> str:
        """Assess the stage from the records old enough to have reached the office (the last stage if none have)."""
        reached = list(self.records)[: max(0, len(self.records) - self.report_lag)]
        if reached:
            self.read = float(np.mean(reached[-self.review_interval :]))
            self._stage.update(self.read)
        return self.stage
