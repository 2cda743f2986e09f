"""The configurations at the same public spending: how much self-governance a unit of cost buys.

Each configuration runs with its spending levers scaled (:data:`SPENDING_LEVERS` times each of
:data:`SCALES`, the 0-1 levers capped at 1), which traces its outcome against its 20-year cost. At
every sampled parameter point and seed, the common budget is the median of the configurations' own
costs, and each configuration's final index at that budget is read off its curve by linear
interpolation (no extrapolation: a configuration that cannot spend that little or that much has no
value there). Comparing at one budget replaces "the guardian costs less" (ODD P4) by what each
configuration achieves for the same money.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..i18n import gettext_for
from ..model.parameters import FIELDS
from ..model.scenarios import load_scenario
from ..names import configuration_name
from .compare import DEFAULT_SCENARIOS, paired_sweep
from .patterns import RUN_SUMMARY
from .plots import finish, new_figure

CONFIGURATIONS = (*DEFAULT_SCENARIOS, "karamay", "xinhua")
SPENDING_LEVERS = ("funding", "training", "incubation", "direct_provision", "service_purchase", "top_down_ngo_rate")
SCALES = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
SEPARATOR = "@"  # configuration names in the sweep: "shanghai@0.5"


def scaled(scenario: str, scale: float) -> dict[str, Any]:
    """The overrides that scale a configuration's spending levers (0-1 levers capped at their upper limit)."""
    params = load_scenario(scenario).params
    overrides: dict[str, Any] = {"scenario": scenario}
    for name in SPENDING_LEVERS:
        high = FIELDS[name].metadata["high"]
        overrides[name] = float(min(high, getattr(params, name) * scale))
    return overrides


def budget_sweep(n_residents: int, steps: int, seed: int, factors: dict[str, dict], points: int, seeds: int) -> dict:
    """Every configuration at every spending scale, over a Latin hypercube of global parameters, paired seeds."""
    return paired_sweep("Robustness 3: the configurations at scaled spending, for an equal-budget comparison",
                        {f"{name}{SEPARATOR}{s:g}": scaled(name, s) for name in CONFIGURATIONS for s in SCALES},
                        seeds=seeds, steps=steps, seed=seed, n_residents=n_residents, summary=RUN_SUMMARY,
                        vary=factors, design={"method": "lhs", "samples": points})  # fmt: skip


def at_common_budget(summary: pd.DataFrame) -> pd.DataFrame:
    """Per configuration, point and replicate: own cost and index, and the index at the common budget."""
    runs = summary[summary["status"] == "ok"].copy()
    parts = runs["configuration"].str.split(SEPARATOR, expand=True)
    runs["name"], runs["scale"] = parts[0], parts[1].astype(float)
    rows = []
    for (point, replicate), group in runs.groupby(["point", "replicate"]):
        own = group[group["scale"] == 1.0].set_index("name")
        budget = float(own["total_public_cost"].median())
        for name, curve in group.groupby("name"):
            if name not in own.index:  # its run as configured failed: no reference point
                continue
            curve = curve.sort_values("total_public_cost")
            cost, index = curve["total_public_cost"].to_numpy(), curve["final_index"].to_numpy()
            inside = cost.min() <= budget <= cost.max()
            rows.append({
                "configuration": name, "point": point, "replicate": replicate, "budget": budget,
                "own_cost": float(own.loc[name, "total_public_cost"]), "own_index": float(own.loc[name, "final_index"]),
                "index_at_budget": float(np.interp(budget, cost, index)) if inside else np.nan,
            })  # fmt: skip
    table = pd.DataFrame(rows)
    table["index_per_10k_cost"] = table["own_index"] / (table["own_cost"] / 10_000)
    return table


def budget_table(per_run: pd.DataFrame) -> pd.DataFrame:
    """Median and 10-90% range over seeds and parameter points, per configuration, best at the budget first."""

    def spread(column: str) -> dict[str, pd.Series]:
        grouped = per_run.groupby("configuration")[column]
        low, high = grouped.quantile(0.1), grouped.quantile(0.9)
        return {column: grouped.median(), f"{column}_p10": low, f"{column}_p90": high}

    table = pd.DataFrame({
        **spread("own_cost"), **spread("own_index"), **spread("index_at_budget"), **spread("index_per_10k_cost"),
        "budget": per_run.groupby("configuration")["budget"].median(),
        "share_within_reach": per_run.groupby("configuration")["index_at_budget"].apply(lambda s: s.notna().mean()),
    })  # fmt: skip
    return table.sort_values("index_at_budget", ascending=False).rename_axis("configuration").reset_index()


def plot_budget(summary: pd.DataFrame, table: pd.DataFrame, path: Any, lang: str = "en") -> Figure:
    """Left: each configuration's index against its cost as spending is scaled. Right: index at the common budget."""
    runs = summary[summary["status"] == "ok"].copy()
    parts = runs["configuration"].str.split(SEPARATOR, expand=True)
    runs["name"], runs["scale"] = parts[0], parts[1].astype(float)
    curves = runs.groupby(["name", "scale"])[["total_public_cost", "final_index"]].median().reset_index()
    _ = gettext_for(lang)
    fig = new_figure((11, 4.2), lang)
    left, right = fig.subplots(1, 2)
    for name, curve in curves.groupby("name"):
        line = left.plot(curve["total_public_cost"], curve["final_index"], marker="o", ms=3,
                         label=configuration_name(name, lang))[0]  # fmt: skip
        own = curve[curve["scale"] == 1.0]
        left.plot(own["total_public_cost"], own["final_index"], marker="o", ms=7, color=line.get_color())
    left.axvline(table["budget"].median(), color="grey", ls="--", lw=1, label=_("common budget (median)"))
    left.set_xlabel(_("public cost over the run (spending levers scaled 0.25-3; large dot: as configured)"))
    left.set_ylabel(_("final self-governance index (median)"))
    left.legend(frameon=False, fontsize="x-small")
    ordered = table.iloc[::-1]
    y = np.arange(len(ordered))
    right.barh(y, ordered["index_at_budget"], color="#4c72b0")
    right.errorbar(ordered["index_at_budget"], y, fmt="none", ecolor="black", capsize=3, lw=1,
                   xerr=[ordered["index_at_budget"] - ordered["index_at_budget_p10"],
                         ordered["index_at_budget_p90"] - ordered["index_at_budget"]])  # fmt: skip
    right.set_yticks(y, [configuration_name(name, lang) for name in ordered["configuration"]])
    right.set_xlabel(_("final index at the common budget (median, 10-90% over seeds and parameters)"))
    return finish(fig, path)
