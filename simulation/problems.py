"""Community problems: how they arrive and who solves them.

Disputes, repairs and service needs arrive in each compound every month
(and, optionally, one large conflict: the shock). They are handled channel by
channel in an order set by government's mode (brief, section 3, "Events"):
a directive government solves problems itself first, leaving residents little
to do; a supportive or supervisory one lets residents' own groups and NGOs
act first and steps in last. Who solves a problem matters more than whether
it is solved: joint action builds trust and skills, service builds trust,
government provision builds neither, and unresolved problems erode trust.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .residents import Outcomes

CHANNELS = ("government", "committee", "party", "ngos", "residents")
ORDER = {
    "directive": ("government", "committee", "party", "ngos", "residents"),
    "supportive": ("residents", "ngos", "party", "committee", "government"),
    "supervisory": ("residents", "ngos", "party", "committee", "government"),
}
POOLED = ("government", "committee")  # community-wide capacity, sent where demand is


@dataclass(frozen=True)
class MonthOfProblems:
    """The month's problems: demand and what each channel solved, per compound."""

    demand: np.ndarray
    solved_by: dict[str, np.ndarray]
    backlog: np.ndarray  # carried into next month

    def total(self, channel: str) -> float:
        return float(self.solved_by[channel].sum())

    @property
    def unresolved(self) -> np.ndarray:
        return self.demand - sum(self.solved_by.values())

    def outcomes(self) -> Outcomes:
        """Shares of each compound's demand, for residents to learn from."""
        demand = self.demand
        share = lambda x: np.divide(x, demand, out=np.zeros_like(demand), where=demand > 0)  # noqa: E731
        unresolved = share(np.maximum(self.unresolved, 0.0))
        service = self.solved_by["committee"] + self.solved_by["ngos"] + self.solved_by["party"]
        return Outcomes(
            solved=np.where(demand > 0, 1 - unresolved, 1.0),
            by_residents=share(self.solved_by["residents"]),
            by_service=share(service),
            by_community=share(service + self.solved_by["residents"]),
            unresolved=unresolved,
        )


def arrivals(rng: np.random.Generator, compound_sizes: np.ndarray, rate_per_thousand: float) -> np.ndarray:
    """New problems per compound this month (Poisson, proportional to population)."""
    return rng.poisson(rate_per_thousand * compound_sizes / 1000).astype(float)


def handle(
    demand: np.ndarray,
    capacity: dict[str, np.ndarray | float],
    mode: str,
    lapse: float,
) -> MonthOfProblems:
    """Let each channel in turn solve what it can of the remaining demand.

    Local channels (residents, NGOs, party cells) have capacity per compound;
    pooled ones (committee, government) a community-wide amount that goes to
    compounds in proportion to their remaining demand.
    """
    remaining = demand.copy()
    solved_by: dict[str, np.ndarray] = {}
    for channel in ORDER[mode]:
        cap = capacity[channel]
        if channel in POOLED:
            total = remaining.sum()
            solved = remaining * min(1.0, cap / total) if total > 0 else np.zeros_like(remaining)
        else:
            solved = np.minimum(remaining, cap)
        solved_by[channel] = solved
        remaining = remaining - solved
    return MonthOfProblems(demand, solved_by, remaining * (1 - lapse))
