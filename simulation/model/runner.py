"""Running one simulation and summarising it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .community import CommunityModel
from .scenarios import Scenario
from .stages import STAGES

DEFAULT_STEPS = 240  # 20 years of months


def run_scenario(
    scenario: str | Path | Scenario = "guardian",
    steps: int = DEFAULT_STEPS,
    seed: int | None = 0,
    n_residents: int | None = None,
    **overrides: Any,
) -> pd.DataFrame:
    """Run one configuration and return the per-step table (one row per month, step 0 included)."""
    model = CommunityModel(scenario=scenario, n_residents=n_residents, rng=seed, **overrides)
    model.run_for(steps)
    return model_table(model)


def model_table(model: CommunityModel) -> pd.DataFrame:
    """The collected per-step table with a plain integer index."""
    table = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    return table


def first_reached(table: pd.DataFrame) -> dict[str, int | None]:
    """The first step at which each stage was reached (None if never)."""
    first: dict[str, int | None] = {}
    for stage in STAGES:
        hits = table.loc[table["stage"] == stage, "step"]
        first[stage] = int(hits.iloc[0]) if len(hits) else None
    return first


def summarise(table: pd.DataFrame) -> dict[str, Any]:
    """Headline numbers of one run: final state, when each stage was reached, mean of the last year, cost."""
    last = table.iloc[-1]
    last_year = table.tail(12)
    summary: dict[str, Any] = {
        "final_stage": last["stage"],
        "final_role": last["government_role"],
        "final_index": float(last["self_governance_index"]),
        **{f"first_{stage}": step for stage, step in first_reached(table).items()},
        "trust_in_strangers_last_year": float(last_year["trust_in_strangers"].mean()),
        "participation_last_year": float(last_year["participation_rate"].mean()),
        "misperception_last_year": float(last_year["misperception_share"].mean()),
        "admin_task_completion_mean": float(table["admin_task_completion"].iloc[1:].mean()),
        "total_public_cost": float(table["public_cost"].sum()),
        "ngo_count_final": int(last["ngo_count"]),
    }
    return summary
