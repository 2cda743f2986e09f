"""What supervision catches (指导监督): organisations drifting from their mission, a committee captured by a few.

Once government has let go of running things, essay 1 leaves it "必要引导和严格监督"
(necessary guidance and strict supervision). What that supervision is for, the
essays say in their cases: Karamay's social organisations need a system of
"引导、培育和监督" (guidance, fostering and supervision) that "都没有同步建立" (was
not built alongside them), and must be kept "防止社会组织以公益的形式谋取暴利" (from
making profits in the name of public welfare); in Xinhua the party branch and
committee took care "防止自治小组成为一个脱离民意基础的组织" (that the self-governance
group did not become detached from residents' will), because "自治的本质在于民主而不是
某个人或某几个人的专断" (self-governance is democracy, not the arbitrary rule of one or
a few); and essay 2 warns that organisations "可能流于形式,成为自治的摆设,甚至染上官僚的作风".
The literature gives the general rule: monitoring among the design principles of
lasting self-governing institutions (Ostrom 1990), elite capture without it
(Platteau 2004), mission drift without accountability (Ebrahim et al. 2014).

The rule (docs/ODD.md 7.13): every organisation and the committee carry a *drift*
(0-1; for the committee: capture by a few). Drift grows by itself; watching
corrects it quietly before it comes out. What watches is government's
``supervision`` lever and residents' own participation in decisions (the Xinhua
group consulting every household). Latent drift makes an
organisation serve a few (less capacity, weaker pull, less of the community's
organisational strength) and a captured committee deaf to residents' decisions.
Sooner or later drift comes out as a scandal: the residents it touches lose
trust, the organisation loses members and capacity, and the drift starts again
from zero.

The whole mechanism is here: the rule (:func:`oversight`, :func:`drift`) and its month (:func:`oversee`, which
the model calls after the organisations' steps, docs/ODD.md 3, phase 7) with what a scandal does
(:func:`lose_trust`, :func:`disgrace`). Its parameters are the ``supervision`` section of
:mod:`simulation.model.parameters` and the ``supervision`` lever (``Levers.supervision``, in force in every
role and after withdrawal, paid at ``supervision_cost`` in the public cost). Latent drift is read where the
drifting body acts, each as a factor ``1 - drift``: ``NGO.problem_capacity``, ``organisations.membership_pull``,
``measures.organised_share`` (which the street office's records do not see), and for the committee's capture
``ResidentsCommittee.openness``; the columns ``ngo_drift``, ``committee_capture`` and ``scandals`` report it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .measures import decision_reach
from .parameters import Parameters
from .population import NONE, ResidentState
from .residents import erodible_trust

if TYPE_CHECKING:
    from .agents import NGO, World


def oversee(world: World, supervision: float) -> int:
    """One month of watching: organisations drift, the committee is captured, and some of it comes out.

    ``supervision`` is government's lever this month. Returns how many scandals came out (organisations and
    committee). Oversight reads decision reach and mean skill as they stand after this month's choices.
    """
    watch = oversight(world.params, supervision, decision_reach(world), float(world.residents.skill.mean()))
    return _oversee_organisations(world, watch) + _oversee_committee(world, watch)


def _oversee_organisations(world: World, watch: float) -> int:
    """Every organisation drifts by its capacity; one whose drift came out is disgraced, its circle distrustful."""
    p, ngos = world.params, list(world.ngo_by_id.values())
    if not ngos:
        return 0
    current, capacity = np.array([g.drift for g in ngos]), np.array([g.capacity for g in ngos])
    drifted, scandal = drift(world.rng, current, capacity, p, watch)
    for ngo, value, exposed in zip(ngos, drifted, scandal, strict=True):
        ngo.drift = float(value)
        if exposed:  # its members, and the people they know, hear of it
            members = (world.member_of == ngo.unique_id).astype(float)
            lose_trust(world.residents, (members + world.network.neighbour_sum(members)) > 0, p)
            disgrace(world, ngo)
    return int(scandal.sum())


def _oversee_committee(world: World, watch: float) -> int:
    """A committee's capture grows with its autonomy; a capture that comes out costs the trust of those in contact."""
    p, r, committee = world.params, world.residents, world.committee
    capture, scandal = drift(world.rng, np.array([committee.capture]), np.array([committee.autonomy]), p, watch)
    committee.capture = float(capture[0])
    if not scandal[0]:
        return 0
    lose_trust(r, r.activity != NONE, p)  # the residents in contact with the committee see it
    return 1


def oversight(p: Parameters, supervision: float, decision_reach: float, skill: float) -> float:
    """How closely an organisation's conduct is watched (0-1): by government, or by residents who have a say.

    Residents watch as far as they take part in decisions and know how to (their democratic skill): essay 2,
    "中国基层社会群众缺乏民主自治的传统,基层群众自身自治观念较弱".
    """
    return 1.0 - (1.0 - supervision) * (1.0 - p.self_oversight * decision_reach * skill)


def drift(
    rng: np.random.Generator, current: np.ndarray, exposure: np.ndarray, p: Parameters, watch: float
) -> tuple[np.ndarray, np.ndarray]:
    """One month of drift for several bodies: returns the new drift and which bodies' drift came out as a scandal.

    Drift grows with what a body has in its hands (``exposure``: an organisation's capacity, the committee's
    autonomy); watching corrects the watched share of it quietly each month (graduated sanctions, Ostrom 1990).
    A scandal needs misconduct and its being seen, both growing with drift, so its chance grows with drift
    squared: small drift under watch almost never comes out, years without watch almost surely do.
    """
    grown = current + p.drift_rate * exposure * (1.0 - current)
    corrected = grown * (1.0 - watch)
    scandal = rng.random(current.size) < p.exposure_rate * corrected**2
    return np.where(scandal, 0.0, corrected), scandal


def lose_trust(r: ResidentState, touched: np.ndarray, p: Parameters) -> None:
    """Residents a scandal touches lose a share of the erodible part of their trust in fellow residents."""
    r.trust[touched] -= p.scandal_trust_loss * erodible_trust(r, p)[touched]


def disgrace(world: World, ngo: NGO) -> None:
    """An organisation whose drift came out: its members leave and it loses capacity (it may then dissolve)."""
    world.member_of[world.member_of == ngo.unique_id] = -1
    ngo.capacity *= 1 - world.params.scandal_capacity_loss
