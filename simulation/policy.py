"""Government policy: which levers government pulls this month, and how hard.

A *fixed* policy (Shanghai, Shenyang, ...) keeps the levers of its scenario
file. The *responsive* guardian policy (brief, section 1) reviews the
community's measured stage every ``review_interval`` months and takes the
matching role: nurture while it is dependent, assist while it is learning,
supervise once it is independent, scaling its support down as it goes
("narrow the domains of intervention, adjust its intensity and change its
form at the right time"). Any policy can withdraw at a fixed month, after
which government gives nothing and asks nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .parameters import Parameters

ROLE_FOR_STAGE = {"dependence": "nurture", "learning": "assist", "independence": "supervise"}


@dataclass(frozen=True)
class Levers:
    """What government does in one month (units as in :class:`~simulation.parameters.Parameters`)."""

    role: str
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

    @property
    def withdrawn(self) -> bool:
        return self.funding == 0 and self.admin_load == 0 and self.direct_provision == 0


def scenario_levers(p: Parameters, role: str | None = None, support: float = 1.0) -> Levers:
    """The scenario's levers, with support-giving levers scaled by ``support``."""
    return Levers(
        role=role or p.role,
        mode=p.mode,
        funding=p.funding * support,
        admin_load=p.admin_load * support,
        fees_follow_tasks=p.fees_follow_tasks,
        service_purchase=p.service_purchase,
        training=p.training * support,
        feedback=p.feedback,
        incubation=p.incubation * support,
        top_down_ngo_rate=p.top_down_ngo_rate * support,
        direct_provision=p.direct_provision * support,
    )


def guardian_levers(p: Parameters, role: str) -> Levers:
    """The guardian's levers for a role: full support to nurture, less to assist, least to supervise."""
    if role == "nurture":
        return scenario_levers(p, role)
    if role == "assist":
        return scenario_levers(p, role, p.assist_support)
    return replace(scenario_levers(p, role, p.supervise_support), mode="supervisory")


def withdrawn_levers() -> Levers:
    """Government has let go: no money, no tasks, no services; it only watches."""
    return Levers("supervise", "supervisory", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def choose_levers(p: Parameters, month: int, role: str, measured_stage: str) -> Levers:
    """The levers for this month, given the guardian's current role and the stage it last measured."""
    if 0 <= p.withdraw_at_step <= month:
        return withdrawn_levers()
    if p.policy == "fixed":
        return scenario_levers(p)
    if month % p.review_interval == 0:
        role = ROLE_FOR_STAGE[measured_stage]
    return guardian_levers(p, role)
