"""Government policy: which levers government pulls this month, and the role its behaviour amounts to.

A *fixed* policy (Shanghai, Shenyang, ...) keeps the levers of its scenario
file (with the administrative load creeping up where ``admin_load_growth`` says
so). The *responsive* guardian policy of essay 1 reviews the community every
``review_interval`` months, from what a street office can see of it (its
records, with noise and a lag: :mod:`simulation.model.assessment`), and takes
the matching role: nurture while it is dependent, assist while it is learning,
and once it is independent "政府仅做必要引导和严格监督" (government only guides where
necessary and supervises strictly): :func:`stepped_back_levers`. On the way it
"适时地缩小干预领域、调整干预力度、变换干预方式" (narrows the domains of intervention,
adjusts its intensity and changes its form at the right time).

Any policy can step back for good (``step_back_after`` months after the
community is first classed independent; the withdrawal test steps a copy of a
run back at any month) or withdraw at a fixed month, after which government gives
nothing and asks nothing, but still watches as closely as ``supervision`` says.

The *role* is not a label: :func:`role_of` reads it each month from what
government does. Government that only guides and watches supervises; otherwise
the role follows essay 1's figure of the two sides' parts in running the
community ("政府主导-二元治理-社会自治"): government *leads* (nurture) while it and the
bodies it runs do most of the community's work, and shares it (assist) once the
community's own channels do most of it.
"""

from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def only_guides_and_watches(self) -> bool:
        """No tasks, no services, no problems handled, no fostering, no organisations of its own: at most the
        committee's running costs, training, channels and watching."""
        intervenes = (self.admin_load, self.service_purchase, self.incubation, self.top_down_ngo_rate,
                      self.direct_provision)  # fmt: skip
        return not any(intervenes)


def role_of(levers: Levers, p: Parameters, government_share: float | None) -> str:
    """The guardian period government's behaviour this month amounts to (or ``withdrawn``).

    ``government_share`` is the share of the month's solved problems that government solved or the bodies it runs
    did (its own organisations, the committee as far as it is not autonomous); ``None`` before the first month,
    when government that gives anything leads. Government that only guides and watches supervises, and has simply
    withdrawn if it does neither.
    """
    if levers.only_guides_and_watches:
        guides_or_watches = levers.supervision > 0 or levers.training > 0 or levers.feedback > 0
        return "supervise" if guides_or_watches or levers.funding > 0 else "withdrawn"
    if government_share is None or government_share >= p.role_lead_share:
        return "nurture"
    return "assist"


def scenario_levers(p: Parameters, month: int = 0, support: float = 1.0) -> Levers:
    """The scenario's levers in a month, with the domains government handles itself narrowed to ``support``.

    What the guardian narrows as it assists is what it *does* in the community's place: the problems it handles
    itself, the tasks it pushes down, the organisations it makes. What it keeps is what makes the community able
    to do these itself: training, fostering residents' organisations and the committee's running costs. Essay 1
    asks exactly this of government now: "将关注的重点从事无巨细、亲力亲为转到重点培养基层自治组织发育成熟上来"
    (turn from doing everything itself, down to the details, to fostering the self-governing organisations until
    they mature), "适时地缩小干预领域" (narrow the domains of intervention in time); and it counts funding among
    the conditions of every successful case ("以资金投入为健全基础设施和宜居环境的重要保障").
    """
    admin_load = min(1.0, p.admin_load + p.admin_load_growth * month / 12)
    return Levers(
        mode=p.mode,
        funding=p.funding,
        admin_load=admin_load * support,
        fees_follow_tasks=p.fees_follow_tasks,
        service_purchase=p.service_purchase,
        training=p.training,
        feedback=p.feedback,
        incubation=p.incubation,
        top_down_ngo_rate=p.top_down_ngo_rate * support,
        direct_provision=p.direct_provision * support,
        supervision=p.supervision,
    )


def stepped_back_levers(p: Parameters) -> Levers:
    """Guidance and strict supervision (essay 1's mature stage: "政府仅做必要引导和严格监督").

    Government no longer handles problems, pushes down tasks, buys services, fosters or makes organisations: it
    "放权于基层自治组织" (hands power to the self-governing bodies). It guides, by training at ``supervise_support``
    of its nurturing effort and by the channels for residents' voice it keeps open (``feedback``, "搭建沟通平台"),
    watches (``supervision``), and pays what the law has it pay: the committee's running costs (the Organic Law of
    Urban Residents' Committees, art. 17: "居民委员会的工作经费和来源...由不设区的市、市辖区的人民政府或者上级人民政府
    规定并拨付"), the part of its funding that does not buy services.
    """
    running_costs = p.funding * (1 - p.service_purchase)
    return Levers("supervisory", running_costs, 0.0, 0.0, 0.0, p.training * p.supervise_support, p.feedback, 0.0, 0.0,
                  0.0, p.supervision)  # fmt: skip


def guardian_levers(p: Parameters, role: str, month: int = 0) -> Levers:
    """The guardian's levers for a role: all of them to nurture, fewer domains of its own to assist, guidance and
    supervision after."""
    if role == "nurture":
        return scenario_levers(p, month)
    if role == "assist":
        return scenario_levers(p, month, p.assist_support)
    return stepped_back_levers(p)


def withdrawn_levers(p: Parameters) -> Levers:
    """Government has let go: no money, no tasks, no services; it watches only as closely as ``supervision``."""
    return Levers("supervisory", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, p.supervision)


def choose_levers(
    p: Parameters, month: int, guardian_role: str, assessed_stage: str, stance: str | None = None
) -> tuple[Levers, str]:
    """This month's levers and the guardian's role (for a responsive policy), given the stage it last assessed.

    In this precedence: withdrawal at a fixed month, or having let go (``stance = "let_go"``); having stepped back
    for good (``"stepped_back"``); the scenario's levers (fixed policy); the guardian's role, reviewed every
    ``review_interval`` months.
    """
    if 0 <= p.withdraw_at_step <= month or stance == "let_go":
        return withdrawn_levers(p), guardian_role
    if stance == "stepped_back":
        return stepped_back_levers(p), guardian_role
    if p.policy == "fixed":
        return scenario_levers(p, month), guardian_role
    if month % p.review_interval == 0:
        guardian_role = ROLE_FOR_STAGE[assessed_stage]
    return guardian_levers(p, guardian_role, month), guardian_role
