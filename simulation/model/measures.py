"""What the model reports each month: the per-step table's columns.

Every column is defined here, once, with its meaning; the DataCollector in
:mod:`simulation.model.community` collects exactly these.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .population import DECISION, LOW_LEVEL, NONE
from .stages import ALL_COMPONENTS, LEGACY_COMPONENTS, IndexComponents, yardstick_weights

if TYPE_CHECKING:
    from .agents import World
    from .problems import MonthOfProblems

COLUMNS = {
    "stage": "dependence / learning / independence (smoothed index, with hysteresis)",
    "government_role": "nurture / assist / supervise / withdrawn: the period government's behaviour amounts to",
    "self_governance_index": "the yardstick the stage reads (by default the community index of six components), 0-1",
    "legacy_index": "the index of earlier versions (decision, organisation, social capital, standing, own resources)",
    "trust_in_strangers": "share of residents whose trust in fellow residents exceeds trust_threshold",
    "trust_floor_share": "share of residents whose floor of trust (trust_floor x disposition) alone exceeds "
    "trust_threshold: the trust in strangers no bad experience can take away",
    "participation_rate": "share of residents who took part in any activity this month",
    "active_within_half_year": "share of residents who took part in any activity within the last 6 months "
    "(the CASS 2013 survey's question)",
    "active_within_year": "share of residents who took part in any activity within the last 12 months",
    "decision_participation_share": "share of participants in decisions, elections or supervision",
    "low_level_participation_share": "share of participants in cleaning, culture and sport, charity, patrols",
    "vulnerable_participant_share": "share of participants who are elderly, unemployed young or low-income",
    "ngo_count": "number of NGOs and social organisations",
    "ngo_independence": "mean independence of the organisations (0 when there are none)",
    "committee_autonomy": "autonomy of the residents' committee, 0-1",
    "administrative_load": "share of the committee's work spent on administrative tasks, 0-1",
    "admin_task_completion": "share of pushed-down administrative tasks done (1 when none were pushed down)",
    "misperception_share": "share of residents who think the committee represents the government's will (view < 0.5)",
    "public_cost": "public spending this month, cost units per 1,000 residents",
    "mean_trust": "mean generalised trust, 0-1",
    "mean_efficacy": "mean sense of control, 0-1",
    "mean_skill": "mean democratic skill, 0-1",
    "grassroots_ngo_count": "organisations founded by residents",
    "problems_solved_share": "share of this month's problem demand that was solved",
    "solved_by_residents_share": "share of solved problems solved by residents' own joint action",
    "solved_by_government_share": "share of solved problems solved directly by government",
    "government_share": "share of solved problems solved by government or the bodies it runs (its organisations, "
    "the committee as far as it is not autonomous)",
    "staff_professionalism": "share of committee staff with a college degree",
    "mean_reliance": "mean reliance on government to handle shared problems (索取依赖), 0-1",
    "ngo_drift": "mean drift of the organisations from their mission (0 when there are none), 0-1",
    "committee_capture": "capture of the committee by a few, 0-1",
    "scandals": "drift or capture that came out this month (organisations and committee)",
    **{f"index_{c}": f"index component: {c.replace('_', ' ')}, 0-1" for c in ALL_COMPONENTS},
}

# What a column's values can be, so that what is asked of it can be checked before a run (a calibration target of
# 1.31 for a share can never be met): every numeric column is a share or a 0-1 score except these counts and costs,
# which are never negative and have no upper bound. stage and government_role are words.
COUNTS_AND_COSTS = ("ngo_count", "grassroots_ngo_count", "public_cost", "scandals")
WORDS = ("stage", "government_role")


def value_range(column: str) -> tuple[float, float]:
    """The least and greatest value a numeric column can take: (0, 1), or (0, inf) for counts and costs."""
    if column not in COLUMNS or column in WORDS:
        raise KeyError(f"'{column}' is not a numeric column of the per-step table")
    return (0.0, math.inf) if column in COUNTS_AND_COSTS else (0.0, 1.0)


def measure(model: World) -> dict[str, float | str]:
    """All columns for the current month (stage and role are added by the model)."""
    r, p, n = model.residents, model.params, model.residents.n
    active = r.activity != NONE
    n_active = np.count_nonzero(active)
    per_active = (lambda count: count / n_active) if n_active else (lambda count: 0.0)
    ngos = list(model.ngo_by_id.values())
    mean_trust = float(r.trust.mean())
    components = index_components(model, mean_trust)
    month = model.last_month
    solved = sum(month.total(ch) for ch in month.solved_by) if month else 0.0
    demand = float(month.demand.sum()) if month else 0.0
    own_solved = float(month.own_solved().sum()) if month else 0.0
    return {
        "self_governance_index": components.index(yardstick_weights(p)),
        "legacy_index": components.index(dict.fromkeys(LEGACY_COMPONENTS, 1.0)),
        "trust_in_strangers": share(r.trust > p.trust_threshold),
        "trust_floor_share": share(p.trust_floor * r.disposition > p.trust_threshold),
        "participation_rate": n_active / n,
        "active_within_half_year": share(model.steps - r.last_active < 6),
        "active_within_year": share(model.steps - r.last_active < 12),
        "decision_participation_share": per_active(np.count_nonzero(r.activity == DECISION)),
        "low_level_participation_share": per_active(np.count_nonzero(r.activity == LOW_LEVEL)),
        "vulnerable_participant_share": per_active(np.count_nonzero(active & r.vulnerable)),
        "ngo_count": len(ngos),
        "ngo_independence": float(np.mean([ngo.independence for ngo in ngos])) if ngos else 0.0,
        "committee_autonomy": model.committee.autonomy,
        "administrative_load": model.committee.admin_pressure,
        "admin_task_completion": model.committee.admin_completion,
        "misperception_share": share(r.ownership < 0.5),
        "public_cost": model.public_cost / model.per_thousand,
        "mean_trust": mean_trust,
        "mean_efficacy": float(r.efficacy.mean()),
        "mean_skill": float(r.skill.mean()),
        "grassroots_ngo_count": sum(ngo.origin == "grassroots" for ngo in ngos),
        "problems_solved_share": solved / demand if demand else 1.0,
        "solved_by_residents_share": month.total("residents") / solved if month and solved else 0.0,
        "solved_by_government_share": month.total("government") / solved if month and solved else 0.0,
        "government_share": 1.0 - own_solved / solved if month and solved else 0.0,
        "staff_professionalism": model.committee.professionalism,
        "mean_reliance": float(r.reliance.mean()),
        "ngo_drift": float(np.mean([ngo.drift for ngo in ngos])) if ngos else 0.0,
        "committee_capture": model.committee.capture,
        "scandals": model.scandals,
        **{f"index_{c}": getattr(components, c) for c in ALL_COMPONENTS},
    }


def index_components(model: World, mean_trust: float) -> IndexComponents:
    """Every component of the community index and of the legacy index, from the month just measured."""
    committee, k = model.committee, model.per_thousand
    need = model.params.funding_need * k
    return IndexComponents(
        decision=decision_reach(model),
        organisation=organised_share(model),
        social_capital=mean_trust,
        autonomy=committee.autonomy,
        own_resources=min(1.0, model.own_funds / need),
        own_solving=_own_solving(model.last_month),
        standing=committee.autonomy * committee.funded,
    )


def share(mask: np.ndarray) -> float:
    """Share of True in ``mask``: the same number as ``float(mask.mean())``, several times faster."""
    return np.count_nonzero(mask) / mask.size


def decision_reach(model: World) -> float:
    """Share of residents who took part in a decision within the last ``decision_window`` months."""
    since = model.steps - model.residents.last_decision
    return share(since < model.params.decision_window)


def organised_share(model: World, drift_seen: bool = True) -> float:
    """Share of residents organised in independent bodies: membership weighted by independence, less drift (which
    only the model sees: a street office's register does not, ``drift_seen=False``)."""
    if not model.ngo_by_id:
        return 0.0
    weight = np.zeros(max(model.ngo_by_id) + 1)
    for uid, ngo in model.ngo_by_id.items():
        weight[uid] = ngo.independence * (1 - ngo.drift * drift_seen)
    members = model.member_of[model.member_of >= 0]
    return float(weight[members].sum() / model.residents.n)


def _own_solving(month: MonthOfProblems | None) -> float:
    """Share of the month's problems solved by the community's own channels (0 before the first month; 1 in a month
    without problems, as for ``problems_solved_share``)."""
    if month is None:
        return 0.0
    demand = float(month.demand.sum())
    return float(month.own_solved().sum()) / demand if demand > 0 else 1.0
