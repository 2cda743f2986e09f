"""Dependency (索取依赖): support beyond what the community's capacity calls for crowds out its own effort.

Essay 1 names the first period of a self-governing society "索取依赖" (taking and
depending) and asks government to turn "从事无巨细、亲力亲为" (doing everything
itself, down to the details) into fostering, releasing itself "从“包揽一切”的状态"
(from taking charge of everything). Essay 6 finds committees whose "社区经费几乎全部都源于财政拨款"
(funds come almost entirely from the state budget) losing their self-governing
character. The literature on motivation crowding (Ostrom 2000; Frey and Jegen
2001) gives the mechanism: hierarchical provision of what people could do
themselves crowds out the motivation behind collective action, while support
that helps them act crowds it in.

Two rules (docs/ODD.md 7.9.6 and 7.5):

* residents' *reliance* on government grows with the share of their problems
  government solved *beyond* what the community's own bodies could have
  solved, and falls with the share the community's own bodies solved; reliance
  lowers the wish to take part and to found organisations;
* the committee's autonomy is pulled down by the share of its budget that comes
  from government.

Needed help (government solving what nobody else could) builds no reliance;
training and incubation, which help residents act, build none either.
"""

from __future__ import annotations

import numpy as np

from .parameters import Parameters
from .problems import Outcomes


def update_reliance(reliance: np.ndarray, p: Parameters, outcomes: Outcomes) -> None:
    """Reliance grows with crowding-out by government and falls with the community's own successes (in place)."""
    reliance += p.reliance_gain * outcomes.excess_government * (1 - reliance)
    reliance -= p.reliance_recovery * outcomes.by_community * reliance
    np.clip(reliance, 0.0, 1.0, out=reliance)


def fiscal_independence(p: Parameters, public_budget: float, own_budget: float) -> float:
    """Factor (0-1) on the committee's autonomy target: 1 when residents fund it, lower the more the state does."""
    total = public_budget + own_budget
    public_share = public_budget / total if total > 0 else 0.0
    return 1.0 - p.fiscal_dependence * public_share
