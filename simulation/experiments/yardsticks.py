"""Which conclusions survive the yardstick: the patterns, withdrawal timing and equal budget under each measure.

What the model calls self-governance is a choice (docs/ODD.md 7.10). This analysis re-runs the
theory's conclusions under every yardstick the stage rule can read (``yardstick``): the community
index, the legacy index of earlier versions, and each component of the community index on its own
(``own_solving`` is the share of problems solved by the community's own channels). Under a yardstick
the guardian assesses, and the stage is classified, by that measure, so its runs are made anew for each
one; every run is paired by seed across configurations and yardsticks.

For each yardstick: in how many seeds each pattern and ablation of ODD 1.2 and 9.4 holds
(:data:`simulation.experiments.patterns.PATTERNS`, with their margins); whether the withdrawal-timing
curve keeps its shape (withdrawal in the first two years ends at least 0.1 below the guardian; no fixed
year beats it); and the ranking of the configurations at the same public spending
(:mod:`simulation.experiments.budget`). A conclusion that holds under one yardstick only is reported as such.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..model.parameters import YARDSTICKS
from . import budget
from .compare import paired_sweep
from .patterns import MARGINS, PATTERNS, RUN_SUMMARY, RUNS, evaluate

GUARDIAN = "guardian"
WITHDRAWAL_YEARS = tuple(range(16))
EARLY_YEARS = (0, 1, 2)  # withdrawal this early must fail (essay 1: "当前阶段,地方政府不仅不应放手")
SEP = "|"  # configuration names in the sweep: "legacy|shanghai"


def withdrawal_configurations() -> dict[str, dict[str, Any]]:
    """The withdrawal-timing experiment's runs: the guardian's nurturing levers until a year, then withdrawal."""
    runs = {f"withdraw_year_{year:02d}": {"scenario": GUARDIAN, "policy": "fixed", "withdraw_at_step": 12 * year}
            for year in WITHDRAWAL_YEARS}  # fmt: skip
    runs["timing_guardian"] = {"scenario": GUARDIAN}
    return runs


def budget_configurations() -> dict[str, dict[str, Any]]:
    """The equal-budget comparison's runs: every configuration with its spending scaled."""
    return {f"budget_{name}{budget.SEPARATOR}{scale:g}": budget.scaled(name, scale)
            for name in budget.CONFIGURATIONS for scale in budget.SCALES}  # fmt: skip


def yardstick_sweep(n_residents: int, steps: int, seeds: int, seed: int) -> dict[str, Any]:
    """Every run of the three analyses under every yardstick, paired by seed."""
    base = {name: {"scenario": scenario, **overrides} for name, (scenario, overrides) in RUNS.items()}
    base |= withdrawal_configurations() | budget_configurations()
    configurations = {f"{yardstick}{SEP}{name}": {**config, "yardstick": yardstick}
                      for yardstick in YARDSTICKS for name, config in base.items()}  # fmt: skip
    return paired_sweep("Which conclusions survive the yardstick: patterns, withdrawal timing, equal budget",
                        configurations, seeds=seeds, steps=steps, seed=seed, n_residents=n_residents,
                        summary=RUN_SUMMARY)  # fmt: skip


def split(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with ``yardstick`` and ``run`` (the name within its yardstick) split from the configuration."""
    ok = summary[summary["status"] == "ok"].copy()
    parts = ok["configuration"].str.split(SEP, n=1, expand=True, regex=False)
    ok["yardstick"], ok["run"] = parts[0], parts[1]
    return ok


def pattern_counts(runs: pd.DataFrame) -> pd.DataFrame:
    """Per yardstick and pattern: seeds where it holds, of seeds evaluated."""
    rows = []
    for yardstick, group in runs.groupby("yardstick", sort=False):
        own = group[group["run"].isin(RUNS)].assign(configuration=lambda g: g["run"])
        holds = evaluate(own)
        for pattern in PATTERNS:
            values = holds[pattern.key].dropna().astype(bool)
            rows.append({"yardstick": yardstick, "conclusion": pattern.key, "holds": int(values.sum()),
                         "of": len(values)})  # fmt: skip
    return pd.DataFrame(rows)


def timing_counts(runs: pd.DataFrame) -> pd.DataFrame:
    """Per yardstick: in how many seeds early withdrawal fails and no fixed withdrawal year beats the guardian."""
    rows = []
    for yardstick, group in runs.groupby("yardstick", sort=False):
        timing = group[group["run"].str.startswith("withdraw_year_") | (group["run"] == "timing_guardian")]
        wide = timing.pivot_table(index="replicate", columns="run", values="final_index")
        guardian = wide.pop("timing_guardian")
        early = wide[[f"withdraw_year_{year:02d}" for year in EARLY_YEARS]]
        fails = (early.sub(guardian, axis=0) <= -MARGINS["premature_gap"]).all(axis=1)
        unbeaten = wide.max(axis=1) <= guardian
        best_year = int(wide.mean().idxmax().removeprefix("withdraw_year_"))
        rows += [
            {"yardstick": yardstick, "conclusion": "timing: early withdrawal fails", "holds": int(fails.sum()),
             "of": len(fails)},
            {"yardstick": yardstick, "conclusion": "timing: no fixed year beats the guardian",
             "holds": int(unbeaten.sum()), "of": len(unbeaten), "note": f"best fixed year {best_year}"},
        ]  # fmt: skip
    return pd.DataFrame(rows)


def budget_ranking(runs: pd.DataFrame) -> pd.DataFrame:
    """Per yardstick: the configurations ranked by their index at the common budget, and whether the guardian leads."""
    rows = []
    for yardstick, group in runs.groupby("yardstick", sort=False):
        spent = group[group["run"].str.startswith("budget_")].assign(configuration=lambda g: g["run"].str[7:])
        table = budget.budget_table(budget.at_common_budget(spent))
        ranked = table.dropna(subset=["index_at_budget"])["configuration"].tolist()
        per_seed = budget.at_common_budget(spent).pivot_table(index="replicate", columns="configuration",
                                                              values="index_at_budget")  # fmt: skip
        leads = per_seed.idxmax(axis=1) == GUARDIAN
        rows.append({"yardstick": yardstick, "conclusion": "equal budget: the guardian first",
                     "holds": int(leads.sum()), "of": len(leads), "note": " > ".join(ranked)})  # fmt: skip
    return pd.DataFrame(rows)


def yardstick_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Long table: yardstick, conclusion, seeds where it holds, seeds, and a note (best year, ranking)."""
    runs = split(summary)
    table = pd.concat([pattern_counts(runs), timing_counts(runs), budget_ranking(runs)], ignore_index=True)
    if "note" not in table:
        table["note"] = ""
    return table.fillna({"note": ""})


def wide_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per conclusion, one column per yardstick: 'k/n' seeds where it holds."""
    cells = table.assign(cell=lambda t: t["holds"].astype(str) + "/" + t["of"].astype(str))
    wide = cells.pivot(index="conclusion", columns="yardstick", values="cell")
    order = list(dict.fromkeys(table["conclusion"]))
    return wide.reindex(index=order, columns=[y for y in YARDSTICKS if y in wide.columns])


def markdown(table: pd.DataFrame) -> str:
    """The wide table as Markdown, for docs/robustness.md."""
    wide = wide_table(table)
    header = "| conclusion | " + " | ".join(wide.columns) + " |"
    rule = "|---" * (len(wide.columns) + 1) + "|"
    rows = ["| " + conclusion + " | " + " | ".join(str(v) for v in row) + " |" for conclusion, row in wide.iterrows()]
    return "\n".join([header, rule, *rows])
