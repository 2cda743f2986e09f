"""What residents do each month, updated for the whole population at once.

Two halves: :func:`decide_activity` (whether to take part, and in what) runs
before problems are handled; :func:`learn` (skills, sense of control, trust,
ties and their view of the committee) runs after, from what they experienced.
Every rule cites the essay passage or the study it stands for; see
docs/ODD.md, section 7, for the equations with their reasons.
"""

from __future__ import annotations

import numpy as np

from .dependency import update_reliance
from .network import COMMUNITY, SocialNetwork
from .parameters import Parameters
from .population import DECISION, LOW_LEVEL, NONE, ResidentState
from .problems import Outcomes, level_shares


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def decide_activity(
    rng: np.random.Generator,
    r: ResidentState,
    net: SocialNetwork,
    p: Parameters,
    previous_rate: float,
    decision_openness: float,
    month: int,
) -> None:
    """Each resident chooses: no participation, a low-level activity, or a decision activity.

    Taking part grows with trust, sense of control, civic propensity, free time, reinforcement by active
    neighbours (complex contagion: several active ties pull much more than one; elites pull harder),
    mobilisation, for party members the party's organisational constraint, and habit: who took part last month
    comes back (essay 9, "无论什么活动都只有“老面孔”参加", whatever the activity, only the old faces come;
    participation is habit-forming, Gerber, Green and Shachar 2003). It shrinks with reliance on government and
    as more of the community takes part (free riding on a public good).
    """
    took_part = r.activity != NONE  # still last month's activity
    utility = (
        p.participation_baseline
        + p.weight_trust * r.trust
        + p.weight_efficacy * r.efficacy
        + p.weight_civic * r.civic
        + p.weight_time * r.free_time
        + p.weight_peer * peer_reinforcement(r, net, p)
        + p.weight_low_income * r.low_income
        + p.weight_mobilisation * r.mobilised
        + p.weight_party_duty * r.party_member
        + p.weight_habit * took_part
        - p.weight_reliance * r.reliance
        - p.free_riding * previous_rate
    )
    active = rng.random(r.n) < logistic(utility)
    decision_pull = (
        p.decision_baseline
        + p.decision_weight_skill * r.skill
        + p.decision_weight_efficacy * r.efficacy
        + p.decision_weight_openness * decision_openness
    )
    decides = rng.random(r.n) < logistic(decision_pull)
    r.activity[:] = np.where(active, np.where(decides, DECISION, LOW_LEVEL), NONE)
    r.last_decision[r.activity == DECISION] = month
    r.last_active[r.activity != NONE] = month


def peer_reinforcement(r: ResidentState, net: SocialNetwork, p: Parameters) -> np.ndarray:
    """Pull of last month's active neighbours, 0-1: convex in their number (complex contagion).

    Centola and Macy (2007): behaviour that is costly to adopt needs reinforcement from several contacts, so
    it spreads through clustered ties. ``contagion_ties`` active neighbours (civic ones count more, as role
    models: essay 6, "热情外向、具有同情心、责任感...的居民...发挥榜样力量的作用") give the full pull;
    one of two gives a quarter of it.
    """
    weighted_active = (r.activity != NONE) * (0.5 + r.civic)
    return np.minimum(1.0, net.neighbour_sum(weighted_active) / p.contagion_ties) ** 2


def joint_action(r: ResidentState, net: SocialNetwork, p: Parameters) -> tuple[np.ndarray, np.ndarray]:
    """What each participant can do with others, per level (building, compound, community), and their mean reach.

    Acting together needs co-participants one knows at the level of the problem (essay 6: social capital is
    "社会网络、互惠性规范和由此产生的信任"): active ties within the building for a building's problems,
    bridging ties to other buildings for a compound's, ties to other compounds for the community's. Party
    members are linked across compounds by their organisation (essay 6: "在以“陌生人社会”为主的社区中能够构建一种
    强大的新型联结机制"), so an active tie to an active party member counts as ``party_bridge`` cross-compound ties.
    Returns (effort per level, shape (3, n); reach averaged over the levels by their problem shares).
    """
    active = (r.activity != NONE).astype(float)
    # A resident who waits for government does less of the work (dependency.py).
    effort = p.self_help_rate * active * r.skill * r.trust * (1 - r.reliance)
    reach = net.sum_by_level(active)
    reach[COMMUNITY] += p.party_bridge * net.neighbour_sum(active * r.party_member)
    reach = np.minimum(1.0, reach / p.coordination_ties)
    shares = np.array(level_shares(p.building_problem_share, p.community_problem_share))
    return effort * reach, shares @ reach


def learn(
    rng: np.random.Generator,
    r: ResidentState,
    net: SocialNetwork,
    p: Parameters,
    outcomes: Outcomes,
    decision_openness: float,
    committee_face: float,
    training: float,
    reach: np.ndarray,
) -> None:
    """Update skills, sense of control, trust, tie trust, views of the committee and reliance from this month."""
    active = r.activity != NONE
    deciding = r.activity == DECISION
    success = outcomes.solved
    own_success = outcomes.by_community

    # Learning by doing: practice builds democratic skill, decisions most; training helps participants.
    practice_of = np.zeros(3)  # by activity code
    practice_of[LOW_LEVEL], practice_of[DECISION] = p.low_level_learning_factor, 1.0
    practice = practice_of[r.activity]
    r.skill += (p.skill_learning_rate * practice + p.training_skill_gain * training * active) * (1 - r.skill)
    r.skill -= p.skill_decay * r.skill

    # Sense of control: participants learn whether taking part changed anything (a decision that
    # carried, a problem the community's own bodies solved rather than government); others watch.
    heeded_chance = np.where(deciding, decision_openness, own_success)
    heeded = rng.random(r.n) < heeded_chance
    r.efficacy += np.where(
        active,
        p.efficacy_learning_rate * (heeded - r.efficacy),
        p.efficacy_observation_rate * (own_success - r.efficacy),
    )

    # Trust: joint action with people one knows and service build it, unresolved problems erode it,
    # ties spread it.
    r.trust += p.trust_gain_joint_action * outcomes.by_residents * active * reach * (1 - r.trust)
    r.trust += p.trust_gain_service * outcomes.by_service * (1 - r.trust)
    r.trust -= p.trust_loss_unresolved * outcomes.unresolved * erodible_trust(r, p)
    r.trust -= p.trust_decay * (r.trust - r.disposition)
    r.trust += p.trust_diffusion * (net.neighbour_mean(r.trust, weighted=True) - r.trust) * net.has_ties
    np.clip(r.trust, 0.0, 1.0, out=r.trust)

    _update_ties(net, p, active, success)

    # View of the committee: residents in contact see it act for residents or for government.
    in_contact = active
    acted_for_residents = rng.random(r.n) < np.where(deciding, max(committee_face, decision_openness), committee_face)
    r.ownership += np.where(in_contact, p.ownership_learning_rate * (acted_for_residents - r.ownership), 0.0)
    r.ownership -= p.ownership_anchor * (r.ownership - r.prior_view)

    update_reliance(r.reliance, p, outcomes)


def erodible_trust(r: ResidentState, p: Parameters) -> np.ndarray:
    """The part of each resident's trust that bad experiences can take away.

    Generalised trust is partly a stable, early-learned disposition (Uslaner 2002, "moralistic" trust) and
    partly a reading of experience ("strategic" trust): unresolved problems and scandals wear the second
    down, not below ``trust_floor`` times the resident's disposition.
    """
    return np.maximum(r.trust - p.trust_floor * r.disposition, 0.0)


def _update_ties(net: SocialNetwork, p: Parameters, active: np.ndarray, success: np.ndarray) -> None:
    """Ties strengthen when both ends take part in a month that went well; they drift back otherwise."""
    if net.n_ties == 0:
        return
    trust = net.tie_trust
    # Each tie once, then copied to its other direction (both hold the same value).
    ends_a, ends_b = net.upper_ends
    both = np.flatnonzero(np.take(active, ends_a) & np.take(active, ends_b))  # take: faster than active[ends_a]
    entries, mirrors = net.upper[both], net.mirror[both]
    trust[entries] += p.tie_trust_gain * 0.5 * (success[ends_a[both]] + success[ends_b[both]]) * (1 - trust[entries])
    trust[mirrors] = trust[entries]
    # Drift back toward the initial level, in place (no temporaries over all ties).
    trust *= 1 - p.tie_trust_decay
    trust += p.tie_trust_decay * p.initial_tie_trust


def reset_monthly(r: ResidentState) -> None:
    """Clear the pull of mobilisation, which lasts one month."""
    r.mobilised[:] = 0.0
