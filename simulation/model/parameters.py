"""Every model parameter, defined once: default, unit, valid range, plausible range, meaning.

The *valid* range is a hard limit: a value outside it is rejected. The
*plausible* range is what an analysis of uncertainty varies a parameter over
(``plausible_range``): where an essay passage or study bounds a value, its
bound; otherwise half to one and a half times the default (an assumption,
clipped to the valid range). Design choices that are not uncertain quantities
have none and are not screened: the community's size, the choice of network
and policy, scenario events (withdrawal, shock) and the thresholds that only
label government's role.

Scenario files (``scenarios/*.toml``) override these defaults section by
section; the command line (``--set key=value``) and keyword arguments to
``CommunityModel`` override single values. All three paths go through
:func:`validate`, so an impossible value is rejected with a one-line message
before a model is built. One time step is one month.

Costs are in abstract *cost units*: one unit is the monthly cost of one
full-time community worker. Rates given "per 1,000 residents" scale with the
community so that a parameter keeps its meaning at any size (outcomes still
differ in very small communities, which have a single compound).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, cast

from ..validation import Rule, ValidationError, check, reported_as, unknown

ROLES = ("nurture", "assist", "supervise", "withdrawn")
NETWORKS = ("housing", "random", "none")
MODES = ("directive", "supportive", "supervisory")
POLICIES = ("fixed", "responsive")
# What the stage rule (and the guardian's assessment) reads: the community index (docs/ODD.md 7.10), the index of
# earlier versions, or one component on its own (docs/robustness.md compares the conclusions under each).
INDEX_COMPONENTS = ("decision", "organisation", "social_capital", "autonomy", "own_resources", "own_solving")
YARDSTICKS = ("community", "legacy", *INDEX_COMPONENTS)
SECTIONS = (
    "community",
    "residents",
    "committee",
    "organisations",
    "problems",
    "policy",
    "supervision",
    "index",
    "shock",
)


class ParameterError(ValidationError):
    """A parameter name or value that the model cannot accept."""


def _p(
    default: Any,
    section: str,
    unit: str,
    meaning: str,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | None = None,
    plausible: tuple[float, float] | None = None,
) -> Any:
    """Declare one parameter with its documentation, valid range and plausible range."""
    assert section in SECTIONS, section
    if plausible is not None:
        assert low is not None and high is not None and low <= plausible[0] <= plausible[1] <= high, meaning
    meta: dict[str, Any] = {"section": section, "unit": unit, "meaning": meaning}
    meta.update(low=low, high=high, choices=choices, plausible=plausible)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Parameters:
    """All parameters of the community model (see docs/ODD.md, section 7)."""

    # --- community: size, housing hierarchy and starting conditions -------
    n_residents: int = _p(1000, "community", "residents", "number of residents", 20, 5_000_000)
    building_size: int = _p(60, "community", "residents", "residents per building (grid unit)", 2, 2000, plausible=(30, 120))
    buildings_per_compound: int = _p(8, "community", "buildings", "buildings per residential compound", 1, 500, plausible=(4, 12))
    ties_within_building: float = _p(6.0, "community", "ties per resident", "mean strong ties to building-mates", 0, 50, plausible=(3.0, 9.0))
    ties_within_compound: float = _p(2.0, "community", "ties per resident", "mean bridging ties to other buildings of the compound", 0, 50, plausible=(1.0, 3.0))
    ties_across_compounds: float = _p(0.5, "community", "ties per resident", "mean bridging ties to other compounds", 0, 50, plausible=(0.25, 0.75))
    network: str = _p("housing", "community", "choice", "housing: ties follow buildings and compounds; random: the same number of ties between random residents; none: no ties", choices=NETWORKS)
    share_elderly: float = _p(0.25, "community", "share", "residents aged 60 and over", 0, 1, plausible=(0.15, 0.35))
    share_young: float = _p(0.25, "community", "share", "residents aged 18-34", 0, 1, plausible=(0.15, 0.35))
    unemployed_young_share: float = _p(0.2, "community", "share of young", "young residents without a job", 0, 1, plausible=(0.1, 0.3))
    low_income_share: float = _p(0.15, "community", "share", "residents in low-income households", 0, 1, plausible=(0.075, 0.225))
    party_member_share: float = _p(0.08, "community", "share", "residents who are party members", 0, 1, plausible=(0.04, 0.12))
    civic_propensity_mean: float = _p(0.3, "community", "0-1", "mean civic propensity (outgoing, empathetic, responsible personality)", 0, 1, plausible=(0.15, 0.45))
    civic_propensity_spread: float = _p(0.15, "community", "0-1", "standard deviation of civic propensity", 0, 0.5, plausible=(0.075, 0.225))
    initial_trust_mean: float = _p(0.42, "community", "0-1", "mean generalised trust in fellow residents at the start", 0, 1, plausible=(0.3, 0.55))
    attitude_spread: float = _p(0.15, "community", "0-1", "standard deviation of initial trust, efficacy, skill and view of the committee", 0, 0.5, plausible=(0.075, 0.225))
    initial_efficacy_mean: float = _p(0.3, "community", "0-1", "mean sense of control (political efficacy) at the start", 0, 1, plausible=(0.15, 0.45))
    initial_skill_mean: float = _p(0.1, "community", "0-1", "mean democratic skill at the start", 0, 1, plausible=(0.05, 0.15))
    initial_ownership_mean: float = _p(0.35, "community", "0-1", "mean belief that the committee is the residents' own body", 0, 1, plausible=(0.2, 0.6))
    initial_reliance_mean: float = _p(0.4, "community", "0-1", "mean reliance on government at the start: expecting government to handle shared problems", 0, 1, plausible=(0.2, 0.6))
    initial_tie_trust: float = _p(0.3, "community", "0-1", "trust carried by a tie at the start", 0, 1, plausible=(0.15, 0.45))
    initial_committee_autonomy: float = _p(0.3, "community", "0-1", "committee autonomy at the start", 0, 1, plausible=(0.15, 0.45))
    initial_staff_degree_share: float = _p(0.3, "community", "share", "committee staff holding a college degree at the start", 0, 1, plausible=(0.15, 0.45))
    initial_grassroots_ngos: float = _p(0.0, "community", "per 1,000 residents", "residents' own organisations at the start", 0, 100, plausible=(0.0, 2.0))
    initial_top_down_ngos: float = _p(0.0, "community", "per 1,000 residents", "government-made organisations at the start", 0, 100, plausible=(0.0, 2.0))

    # --- residents: participation, learning and trust ----------------------
    participation_baseline: float = _p(-5.6, "residents", "log-odds", "intercept of the monthly participation decision (the cost of taking part)", -20, 20, plausible=(-6.7, -4.5))
    weight_trust: float = _p(1.5, "residents", "log-odds per unit", "effect of trust on taking part", 0, 20, plausible=(0.75, 2.25))
    weight_efficacy: float = _p(2.0, "residents", "log-odds per unit", "effect of sense of control on taking part", 0, 20, plausible=(1.0, 3.0))
    weight_civic: float = _p(2.0, "residents", "log-odds per unit", "effect of civic propensity on taking part", 0, 20, plausible=(1.0, 3.0))
    weight_time: float = _p(1.8, "residents", "log-odds per unit", "effect of free time on taking part", 0, 20, plausible=(0.9, 2.7))
    weight_peer: float = _p(1.5, "residents", "log-odds per unit", "effect of reinforcement by active network neighbours (complex contagion)", 0, 20, plausible=(0.75, 2.25))
    contagion_ties: float = _p(2.0, "residents", "ties", "active ties (weighted by the neighbours' civic propensity) that reinforce taking part fully", 0.1, 50, plausible=(1.0, 3.0))
    coordination_ties: float = _p(2.0, "residents", "ties", "active ties at a level (building, compound, across compounds) a resident needs to act with others on that level's problems", 0.1, 50, plausible=(1.0, 3.0))
    weight_habit: float = _p(3.0, "residents", "log-odds", "pull of having taken part last month: the same few come back (habit)", 0, 20, plausible=(1.5, 4.5))
    weight_reliance: float = _p(1.0, "residents", "log-odds per unit", "loss of initiative from relying on government to handle shared problems", 0, 20, plausible=(0.5, 1.5))
    reliance_gain: float = _p(0.05, "residents", "per month", "growth of reliance per unit share of one's problems government solved beyond what the community's own capacity called for", 0, 1, plausible=(0.025, 0.075))
    reliance_recovery: float = _p(0.03, "residents", "per month", "fall of reliance per unit share of one's problems the community's own bodies solved", 0, 1, plausible=(0.015, 0.045))
    weight_party_duty: float = _p(1.0, "residents", "log-odds", "extra pull of party members into activities under the party's organisational constraint ('red cells')", 0, 20, plausible=(0.5, 1.5))
    weight_low_income: float = _p(0.5, "residents", "log-odds", "extra pull of low-income residents (services, subsidies) into activities", 0, 20, plausible=(0.25, 0.75))
    weight_mobilisation: float = _p(1.0, "residents", "log-odds per unit", "effect of being mobilised by a party cell", 0, 20, plausible=(0.5, 1.5))
    free_riding: float = _p(6.0, "residents", "log-odds per unit", "loss of motive as the community's participation rate rises", 0, 20, plausible=(3.0, 9.0))
    decision_baseline: float = _p(-4.5, "residents", "log-odds", "intercept of taking part in decisions rather than low-level activity", -20, 20, plausible=(-5.5, -3.5))
    decision_weight_skill: float = _p(3.0, "residents", "log-odds per unit", "effect of democratic skill on choosing decision activities", 0, 20, plausible=(1.5, 4.5))
    decision_weight_efficacy: float = _p(1.5, "residents", "log-odds per unit", "effect of sense of control on choosing decision activities", 0, 20, plausible=(0.75, 2.25))
    decision_weight_openness: float = _p(3.0, "residents", "log-odds per unit", "effect of open decision channels (autonomy, feedback platforms)", 0, 20, plausible=(1.5, 4.5))
    time_elderly: float = _p(1.0, "residents", "0-1", "free time of the elderly", 0, 1, plausible=(0.8, 1.0))
    time_working_age: float = _p(0.25, "residents", "0-1", "free time of working-age adults", 0, 1, plausible=(0.125, 0.375))
    time_young_employed: float = _p(0.35, "residents", "0-1", "free time of employed young adults", 0, 1, plausible=(0.175, 0.525))
    time_young_unemployed: float = _p(0.9, "residents", "0-1", "free time of unemployed young adults", 0, 1, plausible=(0.7, 1.0))
    skill_learning_rate: float = _p(0.015, "residents", "per month", "skill gained per month of decision participation", 0, 1, plausible=(0.0075, 0.0225))
    low_level_learning_factor: float = _p(0.25, "residents", "ratio", "skill gained in low-level activity relative to decisions", 0, 1, plausible=(0.125, 0.375))
    skill_decay: float = _p(0.005, "residents", "per month", "share of skill forgotten per month (practice must outpace it)", 0, 1, plausible=(0.0025, 0.0075))
    training_skill_gain: float = _p(0.01, "residents", "per month", "skill gained per month by participants at full training", 0, 1, plausible=(0.005, 0.015))
    efficacy_learning_rate: float = _p(0.08, "residents", "per month", "speed at which participants' sense of control follows their experience", 0, 1, plausible=(0.04, 0.12))
    efficacy_observation_rate: float = _p(0.01, "residents", "per month", "speed at which non-participants' sense of control follows what they see", 0, 1, plausible=(0.005, 0.015))
    trust_gain_joint_action: float = _p(0.02, "residents", "per month", "trust gained from problems the residents solved together", 0, 1, plausible=(0.01, 0.03))
    trust_gain_service: float = _p(0.006, "residents", "per month", "trust gained from problems solved by committee, NGOs or party cells", 0, 1, plausible=(0.003, 0.009))
    trust_loss_unresolved: float = _p(0.04, "residents", "per month", "trust lost from unresolved problems in one's compound", 0, 1, plausible=(0.02, 0.06))
    trust_floor: float = _p(0.7, "residents", "share of disposition", "trust that bad experiences (unresolved problems, scandals) cannot wear away, as a share of the resident's disposition", 0, 1, plausible=(0.5, 0.9))
    trust_decay: float = _p(0.03, "residents", "per month", "return of trust toward the resident's own disposition without new experience", 0, 1, plausible=(0.015, 0.045))
    trust_diffusion: float = _p(0.02, "residents", "per month", "pull of a resident's trust toward that of the neighbours they trust", 0, 1, plausible=(0.01, 0.03))
    trust_threshold: float = _p(0.5, "residents", "0-1", "trust above which a resident counts as trusting strangers", 0, 1, plausible=(0.45, 0.55))
    tie_trust_gain: float = _p(0.05, "residents", "per month", "trust a tie gains when both ends take part in a successful month", 0, 1, plausible=(0.025, 0.075))
    tie_trust_decay: float = _p(0.01, "residents", "per month", "return of tie trust toward its initial level", 0, 1, plausible=(0.005, 0.015))
    ownership_learning_rate: float = _p(0.05, "residents", "per month of contact", "speed at which a participant's view of the committee follows what it does", 0, 1, plausible=(0.025, 0.075))
    ownership_anchor: float = _p(0.01, "residents", "per month", "return of a resident's view of the committee toward their prior view", 0, 1, plausible=(0.005, 0.015))

    # --- committee ----------------------------------------------------------
    committee_capacity: float = _p(6.0, "committee", "tasks per 1,000 residents per month", "work a fully staffed, fully funded committee can do", 0, 1000, plausible=(3.0, 9.0))
    committee_funding_need: float = _p(6.0, "committee", "cost units per 1,000 residents per month", "running budget at which the committee works at full capacity", 0.01, 1000, plausible=(3.0, 9.0))
    elected_committee: float = _p(0.3, "committee", "share", "share of committee members elected by residents (rest appointed)", 0, 1, plausible=(0.1, 0.9))
    workstation_share: float = _p(0.0, "committee", "share", "share of administrative tasks assigned to a separate community workstation", 0, 1, plausible=(0.0, 0.5))
    workstation_separation: float = _p(0.6, "committee", "share", "how completely the workstation actually takes those tasks over", 0, 1, plausible=(0.3, 0.9))
    top_down_evaluation: float = _p(0.8, "committee", "0-1", "how much the committee is judged by government rather than by resident satisfaction", 0, 1, plausible=(0.3, 0.95))
    selection_appointment_separation: float = _p(0.0, "committee", "share", "share of administrative work done by hired staff kept apart from the elected members (Hangzhou's separation of election and hiring)", 0, 1, plausible=(0.0, 0.5))
    fiscal_dependence: float = _p(0.3, "committee", "0-1", "autonomy a committee funded wholly by government loses against one funded by residents", 0, 1, plausible=(0.15, 0.45))
    committee_outreach: float = _p(0.1, "committee", "share per month", "share of residents a committee with all its time for residents invites to community activities each month", 0, 1, plausible=(0.05, 0.15))
    committee_fostering: float = _p(0.5, "committee", "0-1", "boost to founding and growth of residents' organisations from a committee with all its time for residents", 0, 10, plausible=(0.25, 0.75))
    autonomy_rate: float = _p(0.04, "committee", "per month", "speed at which committee autonomy follows its situation", 0, 1, plausible=(0.02, 0.06))
    staff_turnover: float = _p(0.01, "committee", "per month", "share of committee staff replaced each month", 0, 1, plausible=(0.005, 0.015))

    # --- organisations: NGOs and party cells --------------------------------
    ngo_founding_rate: float = _p(0.001, "organisations", "per founder per month", "chance that an active, skilled, civic resident founds an organisation", 0, 1, plausible=(0.0005, 0.0015))
    founder_skill: float = _p(0.35, "organisations", "0-1", "skill a resident needs to found an organisation", 0, 1, plausible=(0.175, 0.525))
    founder_civic: float = _p(0.4, "organisations", "0-1", "civic propensity a resident needs to found an organisation", 0, 1, plausible=(0.2, 0.6))
    ngo_growth_rate: float = _p(0.06, "organisations", "per month", "capacity growth of an organisation with fully active members", 0, 1, plausible=(0.03, 0.09))
    ngo_funded_growth_rate: float = _p(0.04, "organisations", "per month", "capacity growth of a fully funded organisation", 0, 1, plausible=(0.02, 0.06))
    ngo_decay_rate: float = _p(0.03, "organisations", "per month", "capacity lost per month", 0, 1, plausible=(0.015, 0.045))
    ngo_dissolve_capacity: float = _p(0.05, "organisations", "0-1", "capacity below which an organisation dissolves", 0, 1, plausible=(0.025, 0.075))
    ngo_problem_capacity: float = _p(1.0, "organisations", "problems per month", "problems an organisation at full capacity solves", 0, 100, plausible=(0.5, 1.5))
    ngo_grassroots_independence: float = _p(0.8, "organisations", "0-1", "independence of an organisation founded by residents", 0, 1, plausible=(0.6, 1.0))
    ngo_top_down_independence: float = _p(0.15, "organisations", "0-1", "independence of an organisation created by government", 0, 1, plausible=(0.05, 0.3))
    ngo_embeddedness: float = _p(0.7, "organisations", "0-1", "how much a government-made organisation stays embedded: its independence target and its members' pull are scaled by 1 - this", 0, 1, plausible=(0.4, 0.9))
    ngo_independence_rate: float = _p(0.03, "organisations", "per month", "speed at which independence follows the organisation's funding mix", 0, 1, plausible=(0.015, 0.045))
    ngo_join_rate: float = _p(0.05, "organisations", "per month", "chance that an active resident without an organisation joins one a neighbour belongs to", 0, 1, plausible=(0.025, 0.075))
    member_exit_rate: float = _p(0.05, "organisations", "per month", "chance that a member who did not take part this month leaves the organisation", 0, 1, plausible=(0.025, 0.075))
    ngo_members_max: int = _p(40, "organisations", "residents", "largest membership of one organisation", 1, 10_000, plausible=(20, 60))
    ngo_initial_capacity: float = _p(0.15, "organisations", "0-1", "capacity of a newly founded organisation", 0, 1, plausible=(0.075, 0.225))
    ngo_top_down_capacity: float = _p(0.3, "organisations", "0-1", "capacity of an organisation newly created by government", 0, 1, plausible=(0.15, 0.45))
    ngo_budget: float = _p(0.5, "organisations", "cost units per month", "budget an organisation needs to run at full capacity", 0.001, 100, plausible=(0.25, 0.75))
    ngo_own_revenue: float = _p(0.1, "organisations", "cost units per month", "fees and donations raised by an organisation at full capacity with engaged members", 0, 100, plausible=(0.05, 0.15))
    party_service: float = _p(0.5, "organisations", "0-1", "party cells' mode: 0 rigid organisational mobilisation, 1 everyday service", 0, 1, plausible=(0.2, 0.9))
    party_reach: float = _p(0.3, "organisations", "share per month", "share of a party member's neighbours reached each month", 0, 1, plausible=(0.15, 0.45))
    party_trust_gain: float = _p(0.02, "organisations", "per month", "trust gained by a resident served by a party cell", 0, 1, plausible=(0.01, 0.03))
    party_mediation: float = _p(1.0, "organisations", "problems per 1,000 residents per month per unit of trust", "conflicts a party cell mediates per unit of its trust capital", 0, 1000, plausible=(0.5, 1.5))
    party_organising_rate: float = _p(0.02, "organisations", "per cell per month", "chance that a serving cell, at full trust capital, organises a residents' group around a party member", 0, 1, plausible=(0.01, 0.03))
    party_bridge: float = _p(1.0, "organisations", "ties", "cross-compound reach an active tie to an active party member gives (party organisation links the compounds)", 0, 50, plausible=(0.5, 1.5))
    party_coordination: float = _p(1.0, "organisations", "0-1", "share of organisations' capacity the party cells link to community-wide problems at full trust capital and service", 0, 1, plausible=(0.5, 1.0))

    # --- problems and public cost -------------------------------------------
    problem_rate: float = _p(5.0, "problems", "problems per 1,000 residents per month", "disputes, repairs and service needs arriving", 0, 1000, plausible=(2.5, 7.5))
    building_problem_share: float = _p(0.5, "problems", "share", "share of problems that belong to one building", 0, 1, plausible=(0.3, 0.6))
    community_problem_share: float = _p(0.15, "problems", "share", "share of problems that concern the whole community (the rest belong to one compound)", 0, 1, plausible=(0.05, 0.25))
    directive_priority: float = _p(4.0, "problems", "ratio", "claim of a directive government on problems relative to its capacity (others claim 1)", 0, 100, plausible=(2.0, 6.0))
    backstop_priority: float = _p(0.3, "problems", "ratio", "claim of a supportive or supervisory government on problems relative to its capacity", 0, 100, plausible=(0.15, 0.45))
    backlog_lapse: float = _p(0.3, "problems", "per month", "share of unresolved problems that lapse (still eroding trust as they go)", 0, 1, plausible=(0.15, 0.45))
    self_help_rate: float = _p(0.05, "problems", "problems per skilled participant per month", "problems residents' own groups solve", 0, 100, plausible=(0.025, 0.075))
    government_capacity: float = _p(8.0, "problems", "problems per 1,000 residents per month", "problems government solves at full direct provision", 0, 1000, plausible=(4.0, 12.0))
    government_cost_per_problem: float = _p(2.0, "problems", "cost units", "public cost of a problem solved directly by government", 0, 1000, plausible=(1.0, 3.0))
    admin_tasks: float = _p(5.0, "problems", "tasks per 1,000 residents per month", "administrative tasks pushed down at full administrative load", 0, 1000, plausible=(2.5, 7.5))
    training_cost: float = _p(1.0, "problems", "cost units per 1,000 residents per month", "cost of full training effort", 0, 1000, plausible=(0.5, 1.5))
    incubation_cost: float = _p(1.0, "problems", "cost units per 1,000 residents per month", "cost of full support for residents' own organisations", 0, 1000, plausible=(0.5, 1.5))
    top_down_ngo_cost: float = _p(2.0, "problems", "cost units", "cost of creating one organisation from above", 0, 1000, plausible=(1.0, 3.0))
    supervision_cost: float = _p(1.0, "problems", "cost units per 1,000 residents per month", "cost of full supervision", 0, 1000, plausible=(0.5, 1.5))
    own_contribution: float = _p(0.005, "problems", "cost units per participant per month", "dues and donations raised through residents' participation", 0, 100, plausible=(0.0025, 0.0075))
    funding_need: float = _p(5.0, "problems", "cost units per 1,000 residents per month", "running budget of the community's self-governing bodies: what must be spent on it, by residents or government, for its own resources to count as a share of its needs", 0.01, 1000, plausible=(2.5, 7.5))

    # --- government policy ----------------------------------------------------
    policy: str = _p("fixed", "policy", "choice", "fixed levers, or the responsive guardian that adapts its role", choices=POLICIES)
    mode: str = _p("supportive", "policy", "choice", "how government intervenes: directive, supportive or supervisory", choices=MODES)
    funding: float = _p(6.0, "policy", "cost units per 1,000 residents per month", "government money for the committee and community work", 0, 1000, plausible=(3.0, 9.0))
    admin_load: float = _p(0.5, "policy", "0-1", "administrative tasks pushed down to the committee (1 = full load)", 0, 1, plausible=(0.1, 0.9))
    admin_load_growth: float = _p(0.0, "policy", "per year", "yearly growth of the administrative load as more functions move down (capped at 1)", 0, 1, plausible=(0.0, 0.03))
    fees_follow_tasks: float = _p(0.0, "policy", "0-1", "share of pushed-down tasks that come with money to do them", 0, 1, plausible=(0.0, 0.6))
    service_purchase: float = _p(0.2, "policy", "share of funding", "share of government funding used to buy services from organisations", 0, 1, plausible=(0.1, 0.5))
    training: float = _p(0.3, "policy", "0-1", "training of committee staff and residents", 0, 1, plausible=(0.1, 0.8))
    feedback: float = _p(0.3, "policy", "0-1", "feedback platforms and channels for residents' voice", 0, 1, plausible=(0.1, 0.8))
    incubation: float = _p(0.2, "policy", "0-1", "support for residents' own organisations (incubators, small grants)", 0, 1, plausible=(0.0, 0.8))
    top_down_ngo_rate: float = _p(0.5, "policy", "per 1,000 residents per year", "organisations government creates from above", 0, 100, plausible=(0.0, 2.0))
    direct_provision: float = _p(0.5, "policy", "0-1", "how much government solves problems itself", 0, 1, plausible=(0.2, 0.9))
    supervision: float = _p(0.5, "policy", "0-1", "how closely government watches organisations and the committee (in force in every role and after withdrawal)", 0, 1, plausible=(0.1, 0.9))
    withdraw_at_step: int = _p(-1, "policy", "month", "month at which government withdraws all support (-1: never)", -1, 100_000)
    review_interval: int = _p(12, "policy", "months", "how often the guardian reviews the community's capacity", 1, 1000, plausible=(6, 24))
    assist_support: float = _p(0.6, "policy", "share", "guardian's support in the assist role, relative to nurture", 0, 1, plausible=(0.4, 0.8))
    supervise_support: float = _p(0.25, "policy", "share", "guardian's support in the supervise role, relative to nurture", 0, 1, plausible=(0.1, 0.4))
    step_back_after: int = _p(-1, "policy", "months", "months after the community is first classed independent at which government steps back for good to guidance and supervision (-1: never)", -1, 100_000)
    role_lead_share: float = _p(0.5, "policy", "share", "share of the community's work done by government or the bodies it runs at or above which its role reads as nurture (government-led)", 0, 1)
    report_noise: float = _p(0.1, "policy", "share", "relative error of the records and surveys the guardian's assessment reads (standard deviation)", 0, 1, plausible=(0.05, 0.2))
    report_lag: int = _p(3, "policy", "months", "age of the newest records the guardian's assessment reads", 0, 120, plausible=(1, 6))

    # --- supervision: what goes wrong when nobody watches ---------------------
    drift_rate: float = _p(0.05, "supervision", "per month", "drift of an unwatched organisation from its mission, or capture of an unwatched committee by a few", 0, 1, plausible=(0.025, 0.075))
    self_oversight: float = _p(0.6, "supervision", "0-1", "how much residents who have a say (decision reach x skill) watch their organisations and committee", 0, 1, plausible=(0.3, 0.9))
    exposure_rate: float = _p(0.1, "supervision", "per month at full drift", "chance that drift or capture comes out as a scandal (times drift squared)", 0, 1, plausible=(0.05, 0.15))
    scandal_trust_loss: float = _p(0.2, "supervision", "share", "share of the erodible part of trust lost by the residents a scandal touches", 0, 1, plausible=(0.1, 0.3))
    scandal_capacity_loss: float = _p(0.5, "supervision", "share", "share of its capacity an organisation loses when its drift comes out", 0, 1, plausible=(0.25, 0.75))

    # --- self-governance index and stages ------------------------------------
    weight_decision: float = _p(1.0, "index", "weight", "weight of decision participation in the index", 0, 100, plausible=(0.5, 1.5))
    weight_organisation: float = _p(1.0, "index", "weight", "weight of residents organised in independent bodies", 0, 100, plausible=(0.5, 1.5))
    weight_social_capital: float = _p(1.0, "index", "weight", "weight of social capital (trust)", 0, 100, plausible=(0.5, 1.5))
    weight_autonomy: float = _p(1.0, "index", "weight", "weight of the committee's autonomy", 0, 100, plausible=(0.5, 1.5))
    weight_own_resources: float = _p(1.0, "index", "weight", "weight of the community's own resources as a share of what is spent on it", 0, 100, plausible=(0.5, 1.5))
    weight_own_solving: float = _p(1.0, "index", "weight", "weight of the share of its problems the community solves through its own channels", 0, 100, plausible=(0.5, 1.5))
    yardstick: str = _p("community", "index", "choice", "what the stage rule reads: the community index, the legacy index, or one component", choices=YARDSTICKS)
    decision_window: int = _p(12, "index", "months", "a resident counts as having a say if they took part in a decision within this many months", 1, 240, plausible=(6, 36))
    learning_threshold: float = _p(0.27, "index", "0-1", "community index at which the community enters the learning stage (docs/ODD.md 7.10: halfway between the anchors)", 0, 1, plausible=(0.24, 0.3))
    independence_threshold: float = _p(0.42, "index", "0-1", "community index at which the community enters the independence stage (docs/ODD.md 7.10: the essays' self-governing cases)", 0, 1, plausible=(0.39, 0.45))
    stage_hysteresis: float = _p(0.05, "index", "0-1", "how far below a threshold the index must fall to drop a stage", 0, 0.5, plausible=(0.02, 0.08))
    index_smoothing: int = _p(6, "index", "months", "span of the moving average the stage classification reads", 1, 120, plausible=(3, 12))

    # --- shock ----------------------------------------------------------------
    shock_step: int = _p(-1, "shock", "month", "month a large conflict hits one compound (-1: never)", -1, 100_000)
    shock_size: float = _p(30.0, "shock", "problems per 1,000 residents", "size of the conflict, in problem units", 0, 10_000)

    def replace(self, **changes: Any) -> Parameters:
        """A validated copy with some values changed."""
        return validate({**dataclasses.asdict(self), **changes})

    def by_section(self) -> dict[str, dict[str, Any]]:
        """Values grouped by section, as in a scenario file."""
        grouped: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
        for f in dataclasses.fields(self):
            grouped[f.metadata["section"]][f.name] = getattr(self, f.name)
        return grouped


FIELDS = {f.name: f for f in dataclasses.fields(Parameters)}


def plausible_range(name: str) -> tuple[float, float] | None:
    """The range an uncertainty analysis varies a parameter over (None: a design choice, not screened)."""
    return FIELDS[name].metadata["plausible"]


def section_of(name: str) -> str:
    """The scenario-file section a parameter belongs to."""
    return FIELDS[name].metadata["section"]


def names_in(section: str) -> list[str]:
    """Parameter names of one section, in declaration order."""
    return [n for n, f in FIELDS.items() if f.metadata["section"] == section]


SEE_PARAMETERS = "'python -m simulation parameters'"  # where the full list is, when a message cannot hold it


def unknown_name_error(name: str, valid: list[str] | None = None, where: str = "") -> ParameterError:
    """A one-line error for a name that is not a parameter (of ``valid``, else of any section), with a suggestion."""
    return ParameterError(unknown("parameter", name, list(FIELDS) if valid is None else valid, where, SEE_PARAMETERS))


def rule(name: str) -> Rule:
    """A parameter's row of the table as a :class:`~simulation.validation.Rule`: what every input path checks."""
    f = FIELDS[name]
    meta = f.metadata
    kind = "choice" if meta["choices"] else cast(str, f.type)  # "int", "float", ...: annotations are text here
    return Rule(kind, meta["low"], meta["high"], meta["choices"] or (), meta["unit"], meta["meaning"])


def coerce(name: str, value: Any) -> Any:
    """Convert a value (possibly a string from the command line) to the parameter's type and check its range."""
    if name not in FIELDS:
        raise unknown_name_error(name)
    with reported_as(ParameterError):
        return check(value, rule(name), f"parameter '{name}'", lenient=True)


def validate(values: dict[str, Any]) -> Parameters:
    """Build Parameters from a flat dict of overrides, checking every value and their coherence."""
    checked = {name: coerce(name, value) for name, value in values.items()}
    params = Parameters(**checked)
    _check_coherence(params)
    return params


def _check_coherence(p: Parameters) -> None:
    """Cross-parameter rules that single ranges cannot express."""
    if p.share_elderly + p.share_young > 1:
        raise ParameterError(
            f"share_elderly + share_young = {p.share_elderly + p.share_young:g} exceeds 1"
        )
    if p.shock_step == 0:
        raise ParameterError("shock_step must be -1 (no shock) or a month >= 1 (month 0 is the starting state)")
    if p.learning_threshold >= p.independence_threshold:
        raise ParameterError(
            f"learning_threshold ({p.learning_threshold}) must be below independence_threshold ({p.independence_threshold})"
        )
    if p.building_problem_share + p.community_problem_share > 1:
        raise ParameterError(
            f"building_problem_share + community_problem_share = "
            f"{p.building_problem_share + p.community_problem_share:g} exceeds 1"
        )
    if sum(getattr(p, f"weight_{c}") for c in INDEX_COMPONENTS) <= 0:
        raise ParameterError("the index weights (weight_decision ... weight_own_solving) must not all be 0")
