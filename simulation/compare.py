"""Comparing governance configurations across random seeds.

One run of the model is one possible history of a community; what a
configuration *does* only shows in the spread over many seeds. This module
runs every (configuration, seed) pair, in parallel across cores, and returns
a tidy per-step table plus a one-row-per-configuration summary. The results
never depend on how many worker processes were used: each run is seeded by
its seed alone and the rows are sorted before they are returned.

Usable from notebooks::

    from simulation.compare import compare_scenarios
    trajectories, summary = compare_scenarios(["shanghai", "guardian"], seeds=10)
"""

from __future__ import annotations

import math
import os
import unicodedata
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .executors import process_pool
from .i18n import gettext_for
from .names import configuration_name, stage_name
from .runner import DEFAULT_STEPS, run_scenario, summarise
from .scenarios import load_scenario
from .stages import STAGES

DEFAULT_SCENARIOS = ("shanghai", "shenyang", "jianghan", "hangzhou", "workstation", "guardian")
DEFAULT_SEEDS = 5
DEFAULT_OUT = Path("results/compare")
KEY_COLUMNS = ("scenario", "seed")

Job = tuple[str, int, int, dict[str, Any]]  # scenario, seed, steps, parameter overrides


def seed_list(seeds: int | Iterable[int]) -> list[int]:
    """Seeds as a sorted list: an int K means seeds 0..K-1, so that K alone names a reproducible experiment."""
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise ValueError(f"number of seeds must be at least 1, got {seeds}")
        return list(range(int(seeds)))
    chosen = sorted({int(s) for s in seeds})
    if not chosen:
        raise ValueError("no seeds given")
    if chosen[0] < 0:
        raise ValueError(f"seeds must not be negative, got {chosen[0]}")
    return chosen


def check_steps(steps: int) -> int:
    """Reject a run length that would produce no months to compare (argparse accepts any int)."""
    if isinstance(steps, bool) or int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a positive whole number of months, got {steps}")
    return int(steps)


def unique_names(names: Iterable[str]) -> list[str]:
    """Configuration names in the order given, without blanks or repeats (a repeat would only double the work)."""
    cleaned = [str(n).strip() for n in names]
    result = list(dict.fromkeys(n for n in cleaned if n))
    if not result:
        raise ValueError("no scenarios given")
    return result


def validate_scenarios(names: Sequence[str], n_residents: int | None = None, **overrides: Any) -> None:
    """Load every configuration once so a typo fails in a second, before any worker starts."""
    if n_residents is not None:
        overrides["n_residents"] = n_residents
    for name in names:
        load_scenario(name, **overrides)


def stage_thresholds(names: Sequence[str], **overrides: Any) -> dict[str, tuple[float, float]]:
    """(learning, independence) thresholds of each configuration, for drawing its stage bands."""
    result = {}
    for name in names:
        params = load_scenario(name, **overrides).params
        result[name] = (params.learning_threshold, params.independence_threshold)
    return result


def run_one(job: Job) -> pd.DataFrame:
    """One (configuration, seed) run keyed by scenario and seed; module-level so worker processes can unpickle it."""
    name, seed, steps, overrides = job
    table = run_scenario(name, steps=steps, seed=seed, **overrides)
    table.insert(0, "seed", seed)
    table.insert(0, "scenario", name)
    return table


def _run_jobs(jobs: list[Job], workers: int, progress: bool | None) -> list[pd.DataFrame]:
    """Run the jobs serially or in a pool, with a progress bar; return tables in job order."""
    bar = tqdm(total=len(jobs), desc="runs", unit="run", disable=None if progress is None else not progress)
    try:
        if workers <= 1:
            tables = []
            for job in jobs:
                tables.append(run_one(job))
                bar.update()
            return tables
        # Workers die with this process however it ends, and Ctrl-C stops them at once (simulation.lifeline).
        with process_pool(workers) as pool:
            futures: dict[Future[pd.DataFrame], int] = {pool.submit(run_one, job): i for i, job in enumerate(jobs)}
            tables_by_index: dict[int, pd.DataFrame] = {}
            for future in as_completed(futures):
                tables_by_index[futures[future]] = future.result()
                bar.update()
        return [tables_by_index[i] for i in range(len(jobs))]
    finally:
        bar.close()


def run_trajectories(
    names: Sequence[str],
    seeds: int | Iterable[int] = DEFAULT_SEEDS,
    steps: int = DEFAULT_STEPS,
    n_residents: int | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    **overrides: Any,
) -> pd.DataFrame:
    """The tidy per-step table of every (configuration, seed) run, sorted by configuration order, seed and step.

    ``workers`` defaults to the number of cores; 1 runs in this process (handy when debugging).
    ``progress`` None shows the bar only on a terminal.
    """
    names = unique_names(names)
    seeds = seed_list(seeds)
    steps = check_steps(steps)
    if n_residents is not None:  # one place for the size, so it cannot clash with an n_residents override
        overrides["n_residents"] = n_residents
    validate_scenarios(names, **overrides)
    jobs: list[Job] = [(name, seed, steps, dict(overrides)) for name in names for seed in seeds]
    workers = min(len(jobs), workers if workers is not None else (os.cpu_count() or 1))
    tables = _run_jobs(jobs, workers, progress)
    trajectories = pd.concat(tables, ignore_index=True)
    order = pd.Categorical(trajectories["scenario"], categories=names, ordered=True)
    trajectories = trajectories.assign(_order=order).sort_values(["_order", "seed", "step"], kind="stable")
    return trajectories.drop(columns="_order").reset_index(drop=True)


def run_summaries(trajectories: pd.DataFrame) -> pd.DataFrame:
    """One row per run with the headline numbers of :func:`simulation.runner.summarise`."""
    rows = []
    for (name, seed), table in trajectories.groupby(list(KEY_COLUMNS), sort=False):
        rows.append({"scenario": name, "seed": seed, **summarise(table.reset_index(drop=True))})
    return pd.DataFrame(rows)


def _summarise_group(runs: pd.DataFrame) -> dict[str, Any]:
    """Aggregate the runs of one configuration; the median first step is over the seeds that reached the stage."""
    row: dict[str, Any] = {"n_seeds": len(runs)}
    for stage in STAGES:
        first = pd.to_numeric(runs[f"first_{stage}"], errors="coerce")
        row[f"reached_{stage}"] = float(first.notna().mean())
        row[f"median_first_{stage}"] = float(first.median()) if first.notna().any() else math.nan
    row["final_index_mean"] = float(runs["final_index"].mean())
    row["final_index_sd"] = float(runs["final_index"].std(ddof=1)) if len(runs) > 1 else math.nan
    row["trust_in_strangers_mean"] = float(runs["trust_in_strangers_last_year"].mean())
    row["participation_mean"] = float(runs["participation_last_year"].mean())
    row["misperception_mean"] = float(runs["misperception_last_year"].mean())
    row["admin_task_completion_mean"] = float(runs["admin_task_completion_mean"].mean())
    row["total_public_cost_mean"] = float(runs["total_public_cost"].mean())
    row["ngo_count_final_mean"] = float(runs["ngo_count_final"].mean())
    return row


def summarise_comparison(trajectories: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration (in the order they appear): stages reached, final index, trust, cost, admin work."""
    runs = run_summaries(trajectories)
    rows = [{"scenario": name, **_summarise_group(group)} for name, group in runs.groupby("scenario", sort=False)]
    return pd.DataFrame(rows)


def compare_scenarios(
    names: Sequence[str] = DEFAULT_SCENARIOS,
    seeds: int | Iterable[int] = DEFAULT_SEEDS,
    steps: int = DEFAULT_STEPS,
    n_residents: int | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    **overrides: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every configuration for every seed and return ``(trajectories, summary)``.

    ``trajectories`` has one row per (scenario, seed, step); ``summary`` one row per scenario.
    Extra keyword arguments override model parameters in every configuration.
    """
    trajectories = run_trajectories(names, seeds, steps, n_residents, workers, progress, **overrides)
    return trajectories, summarise_comparison(trajectories)


def _stage_cell(share: float, median_step: float, lang: str = "en") -> str:
    """'80% @ 3.5 y': how often a stage was reached and, typically, when."""
    _ = gettext_for(lang)
    if share == 0 or math.isnan(median_step):
        return _("never")
    return _("{share:.0%} @ {year:.1f} y").format(share=share, year=median_step / 12)


def format_summary(summary: pd.DataFrame, lang: str = "en") -> str:
    """The summary as an aligned plain-text table for the terminal (the CSV keeps the full precision).

    ``lang`` sets the language of headers and cells; configurations keep their identifiers in English
    (what ``--scenarios`` takes) with their display name beside them in Chinese.
    """
    _ = gettext_for(lang)
    rows = []
    for _index, row in summary.iterrows():
        sd = "" if math.isnan(row["final_index_sd"]) else f" ± {row['final_index_sd']:.2f}"
        name = row["scenario"]
        shown = configuration_name(name, lang)
        cells = {
            _("scenario"): name if shown == name else f"{shown} ({name})",
            _("seeds"): str(int(row["n_seeds"])),
            **{
                stage_name(stage, lang): _stage_cell(row[f"reached_{stage}"], row[f"median_first_{stage}"], lang)
                for stage in STAGES[1:]
            },
            _("final index"): f"{row['final_index_mean']:.2f}{sd}",
            _("trust strangers"): f"{row['trust_in_strangers_mean']:.0%}",
            _("admin done"): f"{row['admin_task_completion_mean']:.0%}",
            _("public cost"): f"{row['total_public_cost_mean']:,.0f}",
        }
        rows.append(cells)
    headers = list(rows[0]) if rows else [_("scenario")]
    widths = {h: max(_width(h), *(_width(r[h]) for r in rows)) for h in headers}
    lines = ["  ".join(_pad(h, widths[h]) for h in headers)]
    lines.append("  ".join("-" * widths[h] for h in headers))
    lines += ["  ".join(_pad(r[h], widths[h]) for h in headers) for r in rows]
    note = _(
        "stage cells: share of seeds that reached it @ median year first reached; public cost: cost units per 1,000 "
        "residents, summed over the run"
    )
    return "\n".join([*lines, "", note])


def _width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters are twice as wide as Latin ones (East Asian Wide)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    """``ljust`` by terminal columns, so that tables with Chinese headers stay aligned."""
    return text + " " * (width - _width(text))


__all__ = [
    "DEFAULT_OUT",
    "DEFAULT_SCENARIOS",
    "DEFAULT_SEEDS",
    "compare_scenarios",
    "format_summary",
    "run_summaries",
    "run_trajectories",
    "stage_thresholds",
    "summarise_comparison",
]
