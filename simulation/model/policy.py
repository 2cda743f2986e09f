"""Government policy: which levers government pulls this month, and the role its behaviour amounts to.

A *fixed* policy (Shanghai, Shenyang, ...) keeps the levers of its scenario
file (with the administrative load creeping up where ``admin_load_growth`` says
so). The *responsive* guardian policy of essay 1 reviews the community's
measured stage every ``review_interval`` months and takes the matching role:
nurture while it is dependent, assist while it is learning, supervise once it
is independent, "适时地缩小干预领域、调整干预力度、变换干预方式" (narrowing the domains of
intervention, adjusting its intensity and changing its form at the right
time). Any policy can withdraw at a fixed month, after which government gives
nothing and asks nothing, but still watches as closely as ``supervision`` says.

The *role* is not a label: :func:`role_of` reads it each month from what
government does, along the essay's three dimensions (docs/ODD.md 7.1): the
form (a directive government nurtures, a supervisory one supervises) and the
level of support (direct provision, training, incubation, funding).
The guardian narrows its intervention but keeps paying the community's running
costs (:func:`scenario_levers`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .parameters import Parameters

ROLE_FOR_STAGE = {"dependence": "nurture", "learning": "assist", "independence": "supervise"}


@dataclass(frozen=True)
class Levers:
    """What government does in one month (units as in :class:`~simulation.model.parameters.Parameters`)."""

    mode: str
    funding: float
    admin_load: float
    fees_follow_tasks: float
    service_purchase: float
    training: float
    feedback: float
    incubation: float
    top_down_ngo_rate: float
    direct_provision: float
    supervision: float

    @property
    def withdrawn(self) -> bool:
        return self.funding == 0 and self.admin_load == 0 and self.direct_provision == 0


def support_level(levers: Levers, p: Parameters) -> float:
    """How much government does for the community, 0-1: direct provision, training, incubation, funding."""
    funding = min(1.0, levers.funding / p.committee_funding_need)
    return (levers.direct_provision + levers.training + levers.incubation + funding) / 4


def role_of(levers: Levers, p: Parameters) -> str:
    """The guardian period government's behaviour this month amounts to (or ``withdrawn``).

    Directive handling is nurture whatever the amount (government runs things itself); supervisory mode is
    supervision; otherwise the support level decides. Government that gives nothing supervises if it still
    watches, and has simply withdrawn if it does not.
    """
    support = support_level(levers, p)
    if support == 0 and levers.admin_load == 0:
        return "supervise" if levers.supervision > 0 else "withdrawn"
    if levers.mode == "directive" or support >= p.role_nurture_support:
        return "nurture"
    if levers.mode == "supervisory" or support <= p.role_supervise_support:
        return "supervise"
    return "assist"


def scenario_levers(p: Parameters, month: int = 0, support: float = 1.0) -> Levers:
    """The scenario's levers in a month, with the levers of intervention scaled by ``support``.

    Funding for the community's running costs is not scaled: essay 1 counts it among the conditions of
    every successful case ("以资金投入为健全基础设施和宜居环境的重要保障"); what the guardian narrows
    is its intervention: the domains it handles itself, the tasks it pushes down, the intensity of its
    training and fostering, and (in supervise) its form.
    """
    admin_load = min(1.0, p.admin_load + p.admin_load_growth * month / 12)
    return Levers(
        mode=p.mode,
        funding=p.funding,
        admin_load=admin_load * support,
        fees_follow_tasks=p.fees_follow_tasks,
        service_purchase=p.service_purchase,
        training=p.training * support,
        feedback=p.feedback,
        incubation=p.incubation * support,
        top_down_ngo_rate=p.top_down_ngo_rate * support,
        direct_provision=p.direct_provision * support,
        supervision=p.supervision,
    )


def guardian_levers(p: Parameters, role: str, month: int = 0) -> Levers:
    """The guardian's levers for a role: full support to nurture, less to assist, least to supervise."""
    if role == "nurture":
        return scenario_levers(p, month)
    if role == "assist":
        return scenario_levers(p, month, p.assist_support)
    return replace(scenario_levers(p, month, p.supervise_support), mode="supervisory")


def withdrawn_levers(p: Parameters) -> Levers:
    """Government has let go: no money, no tasks, no services; it watches only as closely as ``supervision``."""
    return Levers("supervisory", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, p.supervision)


def choose_levers(p: Parameters, month: int, guardian_role: str, measured_stage: str) -> tuple[Levers, str]:
    """This month's levers and the guardian's role (for a responsive policy), given the stage it last measured."""
    if 0 <= p.withdraw_at_step <= month:
        return withdrawn_levers(p), guardian_role
    if p.policy == "fixed":
        return scenario_levers(p, month), guardian_role
    if month % p.review_interval == 0:
        guardian_role = ROLE_FOR_STAGE[measured_stage]
    return guardian_levers(p, guardian_role, month), guardian_role
