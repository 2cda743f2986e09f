"""The patterns of ODD section 1.2 and the ablations of 9.4, as checks on one seed's runs.

A pattern compares runs of several configurations (:data:`RUNS`) made with the same seed (paired,
common random numbers). :data:`PATTERNS` holds, for each, a function of those runs' summaries
(:func:`run_summary`, one row per configuration) that says whether the pattern holds for that seed.
The robustness analysis (:mod:`simulation.experiments.robustness`) evaluates them at every sampled parameter
point; ``tests/test_patterns.py`` asserts them, with margins over five seeds, at the defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..i18n import N_
from ..model.runner import summarise

# Every run a pattern or ablation compares: name -> (scenario, overrides).
RUNS: dict[str, tuple[str, dict[str, Any]]] = {
    "guardian": ("guardian", {}),
    "guardian_fixed": ("guardian", {"policy": "fixed"}),
    "early_withdrawal": ("early_withdrawal", {}),
    "withdraw_48": ("guardian", {"withdraw_at_step": 48}),
    "withdraw_48_unwatched": ("guardian", {"withdraw_at_step": 48, "supervision": 0.0}),
    "network_none": ("guardian", {"network": "none"}),
    "network_random": ("guardian", {"network": "random"}),
    "no_party": ("guardian", {"party_member_share": 0.0}),
    "top_down": ("guardian", {"top_down_ngo_rate": 2.0}),
    "shanghai": ("shanghai", {}),
    "shanghai_load_06": ("shanghai", {"admin_load": 0.6}),
    "shanghai_load_03": ("shanghai", {"admin_load": 0.3}),
    "shenyang": ("shenyang", {}),
    "jianghan": ("jianghan", {}),
    "hangzhou": ("hangzhou", {}),
    "workstation": ("workstation", {}),
    "karamay": ("karamay", {}),
}
HISTORICAL = ("shanghai", "shenyang", "jianghan", "hangzhou")
ADMINISTRATIVE = ("shanghai", "karamay", "workstation")
# Where self-governance grows: the theory's guardian and Shenyang's "社区自治" (essay 1); P5b sets Karamay's
# "弱参与" (essay 6) against them.
SELF_GOVERNING = ("guardian", "shenyang")
# Essay 6 (ODD 6, 9.6): "仅31%" trust strangers (a point) and "超过70.54%" think the committee represents the
# government's will (a lower bound, as calibration/karamay.toml reads it).
KARAMAY_TARGETS = {"trust_in_strangers": 0.31, "misperception_share": 0.7054}
TARGET_TOLERANCE = 0.04  # as in tests/test_patterns.py
SURVEY_YEARS = 60  # Karamay's checks read the last five years


def run_summary(table: pd.DataFrame) -> dict[str, Any]:
    """One run's headline numbers (:func:`simulation.model.runner.summarise`) and what the patterns read besides."""
    last_year, last_years = table.tail(12), table.tail(SURVEY_YEARS)
    first = summarise(table)
    reached = first["first_independence"]
    return {
        **first,
        # The month independence was reached, censored at the horizon: a number for every run.
        "months_to_independence": float(reached if reached is not None else len(table) - 1),
        "trust_in_strangers_min": float(table["trust_in_strangers"].iloc[1:].min()),
        "mean_reliance_last_year": float(last_year["mean_reliance"].mean()),
        "scandals_total": int(table["scandals"].sum()),
        "ngo_independence_last_year": float(last_year["ngo_independence"].mean()),
        "decision_participation_last_5_years": float(last_years["decision_participation_share"].mean()),
        "trust_in_strangers_last_5_years": float(last_years["trust_in_strangers"].mean()),
        "misperception_last_5_years": float(last_years["misperception_share"].mean()),
        "low_level_share_last_5_years": float(last_years["low_level_participation_share"].mean()),
        "vulnerable_share_last_5_years": float(last_years["vulnerable_participant_share"].mean()),
    }


def _declared() -> dict[str, str]:
    from .sweep_worker import community_summary

    extra = {name: "float64" for name in (
        "months_to_independence", "trust_in_strangers_min", "mean_reliance_last_year", "ngo_independence_last_year",
        "decision_participation_last_5_years", "trust_in_strangers_last_5_years", "misperception_last_5_years",
        "low_level_share_last_5_years", "vulnerable_share_last_5_years",
    )}  # fmt: skip
    # outputs is an attribute set on the function in sweep_worker, as below: mypy does not know it
    return {**community_summary.outputs, **extra, "scandals_total": "Int64"}  # type: ignore[attr-defined]


run_summary.outputs = _declared()  # type: ignore[attr-defined]
run_summary.dtypes = {k: v for k, v in run_summary.outputs.items() if v != "float64"}  # type: ignore[attr-defined]


# --- the patterns, each a check on one seed's runs ---------------------------------------------------------

Runs = Mapping[str, Mapping[str, Any]]  # configuration name -> its run's summary


def _reached(run: Mapping[str, Any], stage: str) -> bool:
    value = run[f"first_{stage}"]
    return value is not None and not pd.isna(value)


def _final(runs: Runs, name: str) -> float:
    return float(runs[name]["final_index"])


def p1_guardian_passes_the_stages(runs: Runs) -> bool:
    guardian = runs["guardian"]
    in_order = _reached(guardian, "learning") and _reached(guardian, "independence")
    return bool(in_order and guardian["first_learning"] < guardian["first_independence"]
                and guardian["final_role"] == "supervise")  # fmt: skip


def p2a_premature_withdrawal_fails(runs: Runs) -> bool:
    early, guardian = runs["early_withdrawal"], runs["guardian"]
    return bool(
        not _reached(early, "independence")
        and early["final_index"] < guardian["final_index"]
        and early["trust_in_strangers_last_year"] < guardian["trust_in_strangers_last_year"]
        and early["trust_in_strangers_min"] > 0
    )


def p2b_never_letting_go_keeps_the_community_behind(runs: Runs) -> bool:
    fixed, guardian = runs["guardian_fixed"], runs["guardian"]
    return bool(fixed["final_index"] < guardian["final_index"]
                and fixed["mean_reliance_last_year"] > guardian["mean_reliance_last_year"])  # fmt: skip


def p2c_walking_away_is_worse_than_watching(runs: Runs) -> bool:
    return _final(runs, "withdraw_48_unwatched") < _final(runs, "withdraw_48")


def p3a_shanghai_effective_but_not_self_governing(runs: Runs) -> bool:
    shanghai = runs["shanghai"]
    return bool(shanghai["admin_task_completion_mean"] > 0.9 and not _reached(shanghai, "learning")
                and shanghai["decision_participation_last_5_years"] < 0.1)  # fmt: skip


def p3b_shanghai_responds_to_load_as_a_dose(runs: Runs) -> bool:
    return _final(runs, "shanghai") < _final(runs, "shanghai_load_06") < _final(runs, "shanghai_load_03")


def p4a_shanghai_costs_most(runs: Runs) -> bool:
    costs = {name: runs[name]["total_public_cost"] for name in HISTORICAL}
    return max(costs, key=costs.__getitem__) == "shanghai"


def p4b_self_governance_costs_less(runs: Runs) -> bool:
    guardian = runs["guardian"]["total_public_cost"]
    return all(guardian < runs[name]["total_public_cost"] for name in ADMINISTRATIVE)


def p5a_karamay_targets(runs: Runs) -> bool:
    karamay = runs["karamay"]
    return bool(
        abs(karamay["trust_in_strangers_last_5_years"] - KARAMAY_TARGETS["trust_in_strangers"]) <= TARGET_TOLERANCE
        and karamay["misperception_last_5_years"] >= KARAMAY_TARGETS["misperception_share"] - TARGET_TOLERANCE
    )


def p5b_karamay_participants(runs: Runs) -> bool:
    """Mostly low-level and vulnerable, as the essay says, and more so than where self-governance grows.

    The bounds alone hold in nearly every configuration (vulnerable participants are above half in all of
    them), so they cannot tell Karamay's "弱参与" apart; the comparison with the self-governing
    configurations, at the same seed, can.
    """
    karamay = runs["karamay"]
    mostly = karamay["low_level_share_last_5_years"] > 0.8 and karamay["vulnerable_share_last_5_years"] > 0.5
    narrower = all(
        karamay["low_level_share_last_5_years"] > runs[name]["low_level_share_last_5_years"]
        and karamay["vulnerable_share_last_5_years"] > runs[name]["vulnerable_share_last_5_years"]
        and karamay["participation_last_year"] < runs[name]["participation_last_year"]
        for name in SELF_GOVERNING
    )
    return bool(mostly and narrower)


def a1_ties_matter(runs: Runs) -> bool:
    return _final(runs, "network_none") < _final(runs, "guardian")


def a2_housing_structure_matters(runs: Runs) -> bool:
    return runs["network_random"]["trust_in_strangers_last_year"] < runs["guardian"]["trust_in_strangers_last_year"]


def a3_party_cells_matter(runs: Runs) -> bool:
    return _final(runs, "no_party") < _final(runs, "guardian")


def a4_organisations_from_above_stay_embedded(runs: Runs) -> bool:
    return runs["top_down"]["ngo_independence_last_year"] < runs["guardian"]["ngo_independence_last_year"]


@dataclass(frozen=True)
class Pattern:
    """A pattern of ODD 1.2 (or an ablation of 9.4): its label, what it says and the runs it reads."""

    key: str
    says: str
    runs: tuple[str, ...]
    holds: Callable[[Runs], bool]


PATTERNS: tuple[Pattern, ...] = (
    Pattern("P1", N_("the guardian passes dependence, learning, independence and ends supervising"), ("guardian",),
            p1_guardian_passes_the_stages),
    Pattern("P2a", N_("premature withdrawal fails (no independence, lower index and trust, trust not gone)"),
            ("early_withdrawal", "guardian"), p2a_premature_withdrawal_fails),
    Pattern("P2b", N_("never letting go ends below the guardian, with more reliance"), ("guardian_fixed", "guardian"),
            p2b_never_letting_go_keeps_the_community_behind),
    Pattern("P2c", N_("withdrawal at month 48 unwatched ends below the same withdrawal watched"),
            ("withdraw_48_unwatched", "withdraw_48"), p2c_walking_away_is_worse_than_watching),
    Pattern("P3a", N_("Shanghai gets its tasks done, stays in dependence, few residents decide"), ("shanghai",),
            p3a_shanghai_effective_but_not_self_governing),
    Pattern("P3b", N_("Shanghai's index rises step by step as its load falls 0.9, 0.6, 0.3"),
            ("shanghai", "shanghai_load_06", "shanghai_load_03"), p3b_shanghai_responds_to_load_as_a_dose),
    Pattern("P4a", N_("Shanghai costs most of the four historical configurations"), HISTORICAL,
            p4a_shanghai_costs_most),
    Pattern("P4b", N_("the guardian costs less than Shanghai, Karamay and the workstation"),
            ("guardian", *ADMINISTRATIVE), p4b_self_governance_costs_less),
    Pattern("P5a", N_("Karamay meets its survey within 0.04 (31% trust strangers; at least 70.5% think the committee "
               "represents the government's will)"),
            ("karamay",), p5a_karamay_targets),
    Pattern("P5b", N_("Karamay's participants mostly in low-level activities and mostly vulnerable, and fewer, more "
               "low-level and more vulnerable than the guardian's and Shenyang's"),
            ("karamay", *SELF_GOVERNING), p5b_karamay_participants),
    Pattern("A1", N_("without ties the guardian ends lower"), ("network_none", "guardian"), a1_ties_matter),
    Pattern("A2", N_("a random network builds less trust in strangers than the housing network"),
            ("network_random", "guardian"), a2_housing_structure_matters),
    Pattern("A3", N_("without party members the guardian ends lower"), ("no_party", "guardian"), a3_party_cells_matter),
    Pattern("A4", N_("more organisations from above lower organisations' independence"), ("top_down", "guardian"),
            a4_organisations_from_above_stay_embedded),
)  # fmt: skip


def evaluate(summary: pd.DataFrame) -> pd.DataFrame:
    """Whether each pattern holds at each (design point, replicate) of a paired sweep over :data:`RUNS`.

    ``summary`` has one row per run with columns ``configuration``, ``point``, ``replicate`` and the outputs
    of :func:`run_summary`. A point where a run the pattern reads failed gets no value (NaN).
    """
    rows = []
    for (point, replicate), group in summary.groupby(["point", "replicate"], sort=True):
        runs = {row["configuration"]: row for row in group.to_dict("records") if row.get("status", "ok") == "ok"}
        row: dict[str, Any] = {"point": point, "replicate": replicate}
        for pattern in PATTERNS:
            present = all(name in runs for name in pattern.runs)
            row[pattern.key] = bool(pattern.holds(runs)) if present else np.nan
        rows.append(row)
    return pd.DataFrame(rows)
