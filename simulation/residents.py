"""What residents do each month, updated for the whole population at once.

Two halves: :func:`decide_activity` (whether to take part, and in what) runs
before problems are handled; :func:`learn` (skills, sense of control, trust,
ties and their view of the committee) runs after, from what they experienced.
Every rule cites the mechanism of the brief (section 3) it stands for; see
docs/ODD.md, section 7, for the equations with their reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import SocialNetwork
from .parameters import Parameters
from .population import DECISION, LOW_LEVEL, NONE, ResidentState


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def decide_activity(
    rng: np.random.Generator,
    r: ResidentState,
    net: SocialNetwork,
    p: Parameters,
    previous_rate: float,
    decision_openness: float,
) -> None:
    """Each resident chooses: no participation, a low-level activity, or a decision activity.

    Taking part grows with trust, sense of control, civic propensity, free
    time, the pull of active neighbours (elites pull harder) and mobilisation;
    it shrinks as more of the community takes part (free riding on a public good).
    """
    active_before = (r.activity != NONE).astype(float)
    peer_pull = np.minimum(1.0, net.neighbour_mean(active_before * (0.5 + r.civic)))
    utility = (
        p.participation_baseline
        + p.weight_trust * r.trust
        + p.weight_efficacy * r.efficacy
        + p.weight_civic * r.civic
        + p.weight_time * r.free_time
        + p.weight_peer * peer_pull
        + p.weight_low_income * r.low_income
        + p.weight_mobilisation * r.mobilised
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


@dataclass(frozen=True)
class Outcomes:
    """How the month's problems went, per compound (arrays of shares, 0-1)."""

    solved: np.ndarray  # share of demand solved by anyone
    by_residents: np.ndarray  # share solved by residents' own joint action
    by_service: np.ndarray  # share solved by committee, NGOs or party cells
    by_community: np.ndarray  # share solved by the community's own bodies (all but government)
    unresolved: np.ndarray  # share left unresolved


def learn(
    rng: np.random.Generator,
    r: ResidentState,
    net: SocialNetwork,
    p: Parameters,
    outcomes: Outcomes,
    decision_openness: float,
    committee_face: float,
    training: float,
) -> None:
    """Update skills, sense of control, trust, tie trust and views of the committee from this month."""
    c = net.compound
    active = r.activity != NONE
    deciding = r.activity == DECISION
    success = outcomes.solved[c]
    own_success = outcomes.by_community[c]

    # Learning by doing: practice builds democratic skill, decisions most; training helps participants.
    practice = np.where(deciding, 1.0, np.where(active, p.low_level_learning_factor, 0.0))
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

    # Trust: joint action and service build it, unresolved problems erode it, ties spread it.
    r.trust += p.trust_gain_joint_action * outcomes.by_residents[c] * active * (1 - r.trust)
    r.trust += p.trust_gain_service * outcomes.by_service[c] * (1 - r.trust)
    r.trust -= p.trust_loss_unresolved * outcomes.unresolved[c] * r.trust
    r.trust -= p.trust_decay * (r.trust - r.disposition)
    r.trust += p.trust_diffusion * (net.neighbour_mean(r.trust, weighted=True) - r.trust) * (net.degree() > 0)
    np.clip(r.trust, 0.0, 1.0, out=r.trust)

    _update_ties(net, p, active, success)

    # View of the committee: residents in contact see it act for residents or for government.
    in_contact = active
    acted_for_residents = rng.random(r.n) < np.where(deciding, max(committee_face, decision_openness), committee_face)
    r.ownership += np.where(in_contact, p.ownership_learning_rate * (acted_for_residents - r.ownership), 0.0)
    r.ownership -= p.ownership_anchor * (r.ownership - r.prior_view)


def _update_ties(net: SocialNetwork, p: Parameters, active: np.ndarray, success: np.ndarray) -> None:
    """Ties strengthen when both ends take part in a month that went well; they drift back otherwise."""
    trust = net.tie_trust
    both_active = active[net.rows] & active[net.cols]
    joint_success = 0.5 * (success[net.rows] + success[net.cols])
    trust += p.tie_trust_gain * both_active * joint_success * (1 - trust)
    trust -= p.tie_trust_decay * (trust - p.initial_tie_trust)


def reset_monthly(r: ResidentState) -> None:
    """Clear the pull of mobilisation, which lasts one month."""
    r.mobilised[:] = 0.0

