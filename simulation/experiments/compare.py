"""Comparing governance configurations across random seeds: a sweep of one configuration per name.

One run of the model is one possible history of a community; what a
configuration *does* only shows in the spread over many seeds. A comparison is
an ordinary sweep (:mod:`simulation.experiments.sweep`): K replicates of each
configuration, replicate k seeded with ``SeedSequence(seed, spawn_key=(k,))`` of
one root seed in *every* configuration (common random numbers: the sweep's
``paired`` seeding). So a configuration's runs never depend on which others are
listed beside it, differences between configurations are paired, the ``compare``
command, the dashboard's Compare tab and ``experiment configurations`` run the
very same runs for the same settings, and the numbers never depend on the
executor or the number of workers.

Every table uses the sweep's column names:

* trajectories, one row per run and month: ``run_id, configuration, replicate, seed, step`` and every
  model reporter (:data:`simulation.model.measures.COLUMNS`);
* runs, one row per run: the sweep's summary (:func:`simulation.experiments.executors.community_summary`);
* summary, one row per configuration (:func:`summarise_runs`): ``configuration, runs``,
  ``reached_<stage>`` and ``median_year_<stage>``, ``final_index_sd``, and under each per-run
  column's own name its mean over the runs (``final_index``, ``total_public_cost``, ...).

Usable from notebooks::

    from simulation.experiments.compare import compare_scenarios
    trajectories, summary = compare_scenarios(["shanghai", "guardian"], seeds=10)
"""

from __future__ import annotations

import math
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pandas as pd

from ..i18n import gettext_for
from ..lifeline import interrupt_for
from ..model.runner import DEFAULT_STEPS
from ..model.scenarios import load_scenario
from ..model.stages import STAGES, thresholds
from ..names import configuration_name, stage_name
from .executors import cpu_count

DEFAULT_SCENARIOS = ("shanghai", "shenyang", "jianghan", "hangzhou", "workstation", "guardian")
DEFAULT_SEEDS = 5
# The root seed of every comparison unless told otherwise; experiments.Settings uses it too, so that `compare`
# and `experiment configurations` with the same seeds, steps and residents run the same runs.
DEFAULT_SEED = 20261127
DEFAULT_OUT = Path("results/compare")
# Keyword arguments of run_comparison_sweep that are not model parameters.
SWEEP_OPTIONS = ("seed", "executor", "on_progress", "should_continue", "allow_large")
RUN_KEYS = ("run_id", "configuration", "replicate", "seed")
# Per-configuration means of these per-run numbers keep the per-run names (as in the experiments' tables).
MEAN_COLUMNS = (
    "final_index", "total_public_cost", "admin_task_completion_mean", "trust_in_strangers_last_year",
    "participation_last_year", "misperception_last_year", "ngo_count_final",
)  # fmt: skip


class ComparisonStopped(Exception):
    """``should_continue`` said stop before every run was done: a comparison is all its runs or nothing."""


def unique_names(names: Iterable[str]) -> list[str]:
    """Configuration names in the order given, without blanks or repeats (a repeat would only double the work)."""
    cleaned = [str(n).strip() for n in names]
    result = list(dict.fromkeys(n for n in cleaned if n))
    if not result:
        raise ValueError("no scenarios given")
    return result


def validate_scenarios(names: Sequence[str], **overrides: Any) -> None:
    """Load every configuration once so a typo fails in a second, with the valid names, before any run.

    Only the command line's ``compare`` still calls it; :func:`run_comparison_sweep` relies on ``load_sweep``.
    """
    for name in names:
        load_scenario(name, **overrides)


def stage_thresholds(names: Sequence[str], **overrides: Any) -> dict[str, tuple[float, float]]:
    """(learning, independence) thresholds of each configuration, for drawing its stage bands."""
    return {name: thresholds(load_scenario(name, **overrides).params) for name in names}


def paired_sweep(description: str, configurations: Mapping[str, Mapping[str, Any]], *, seeds: int, steps: int,
                 seed: int, n_residents: int | None = None, fixed: Mapping[str, Any] | None = None,
                 **entries: Any) -> dict[str, Any]:  # fmt: skip
    """A sweep of named configurations on common random numbers, as :func:`~.sweep.load_sweep` takes it.

    Replicate k has one seed in every configuration (the ``paired`` seeding), so a configuration's runs never
    depend on which others are beside it, and differences between configurations are paired. ``entries`` are
    the sweep's other entries (summary, vary, design, output).
    """
    fixed = {**(fixed or {}), **({"n_residents": n_residents} if n_residents is not None else {})}
    return {"description": description, "configurations": dict(configurations), "seeds": seeds, "seeding": "paired",
            "steps": steps, "seed": seed, "fixed": fixed, **entries}  # fmt: skip


def comparison_sweep(
    names: Sequence[str],
    seeds: int = DEFAULT_SEEDS,
    steps: int = DEFAULT_STEPS,
    n_residents: int | None = None,
    seed: int = DEFAULT_SEED,
    *,
    thin: int = 1,
    columns: Sequence[str] = (),
    description: str = "Configurations compared over seeds",
    **overrides: Any,
) -> dict[str, Any]:
    """The sweep of a comparison, as :func:`simulation.experiments.sweep.load_sweep` takes it.

    The per-step output (``thin``, ``columns``) never changes a run's seed: a comparison that keeps every
    month and an experiment that keeps a few columns every third month run the same runs.
    """
    return paired_sweep(description, {name: {"scenario": name} for name in names}, seeds=seeds, steps=steps,
                        seed=seed, n_residents=n_residents, fixed=overrides,
                        output={"series": True, "thin": thin, "columns": list(columns)})  # fmt: skip


def run_comparison_sweep(
    names: Sequence[str],
    seeds: int = DEFAULT_SEEDS,
    steps: int = DEFAULT_STEPS,
    n_residents: int | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    *,
    seed: int = DEFAULT_SEED,
    executor: str | Executor | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    should_continue: Callable[[], bool] | None = None,
    allow_large: bool = False,
    **overrides: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run a comparison through :func:`simulation.experiments.sweep.run_sweep`; return ``(trajectories, runs)``.

    ``executor`` defaults to local processes (``workers``, default all cores), or this process when
    ``workers`` is 1. ``on_progress(done, total)`` is called after every run; ``should_continue`` is asked
    before each run is handed out and, once False, stops with :class:`ComparisonStopped`. A run that raises
    is a bug: RuntimeError with the run's error.
    """
    from .sweep import SweepInterrupted, load_sweep, read_series, read_summary, run_sweep  # pyarrow: only here

    names = unique_names(names)
    spec = load_sweep(comparison_sweep(names, seeds, steps, n_residents, seed, **overrides), name="compare",
                      allow_large=allow_large)  # fmt: skip
    if executor is None:
        executor = "inline" if workers == 1 else "processes"
    if executor == "processes":
        workers = min(spec.n_runs, workers or cpu_count())
    on_batch = None if on_progress is None else lambda result: on_progress(result.saved, result.total)
    # In a temporary directory, deleted once read, rather than a kept one: the product is the table (the
    # command writes it as trajectories.parquet), the dashboard must leave no files behind, and a kept store
    # would refuse the next `compare` into the same --out after any change of code or configurations (that is
    # how it protects resuming). Kept, resumable runs of the same sweep are `experiment configurations`' job.
    # Going through the store costs milliseconds per task and gives exactly the types the experiments read.
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp:
        out = Path(tmp) / "sweep"
        try:
            result = run_sweep(spec, out, executor=executor, workers=workers, progress=progress,
                               batch_size=1 if on_progress is not None else None, on_batch=on_batch,
                               should_continue=should_continue)  # fmt: skip
        except SweepInterrupted as stop:  # its message names the temporary directory, which is about to go
            raise interrupt_for(stop.signum) from None
        if result.stopped:
            raise ComparisonStopped(f"stopped after {result.saved} of {result.total} runs")
        if result.remaining:
            raise RuntimeError(f"{result.remaining} of {result.total} runs were not run: {result.problem}")
        runs, series = read_summary(out), read_series(out)
    failed = runs[runs["status"] == "failed"]
    if len(failed):
        first = failed.iloc[0]
        raise RuntimeError(f"{len(failed)} runs failed; the first, {first['configuration']} replicate "
                           f"{first['replicate']} (seed {first['seed']}): {first['error']}")  # fmt: skip
    trajectories = runs[list(RUN_KEYS)].merge(series, on="run_id", validate="one_to_many")
    return trajectories.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True), runs


def summarise_runs(runs: pd.DataFrame, thresholds: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """One row per configuration (in the order met) from per-run rows: stages reached and when, and means.

    A stage's median year is over the runs that reached it; failed runs (``status``) are left out. Near a
    threshold a yes or no says little, so each configuration also has the share of its seeds that end in
    independence and, given its ``thresholds`` (:func:`stage_thresholds`), ``independence_margin``: its mean
    final index less the independence threshold.
    """
    if "status" in runs.columns:
        runs = runs[runs["status"] == "ok"]
    rows = []
    for name, group in runs.groupby("configuration", sort=False):
        row: dict[str, Any] = {"configuration": name, "runs": len(group)}
        for stage in STAGES[1:]:
            first = pd.to_numeric(group[f"first_{stage}"], errors="coerce").dropna()
            row[f"reached_{stage}"] = len(first) / len(group)
            row[f"median_year_{stage}"] = float(first.median()) / 12 if len(first) else math.nan
        for column in MEAN_COLUMNS:
            row[column] = float(group[column].mean())
            if column == "final_index":
                row["final_index_sd"] = float(group["final_index"].std(ddof=1)) if len(group) > 1 else math.nan
        row["final_independent"] = float((group["final_stage"] == "independence").mean())
        threshold = thresholds[name][1] if thresholds and name in thresholds else math.nan
        row["independence_margin"] = row["final_index"] - threshold
        rows.append(row)
    return pd.DataFrame(rows)


def compare_scenarios(
    names: Sequence[str] = DEFAULT_SCENARIOS,
    seeds: int = DEFAULT_SEEDS,
    steps: int = DEFAULT_STEPS,
    n_residents: int | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    **options: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every configuration for ``seeds`` replicates and return ``(trajectories, summary)``.

    ``seed`` (keyword) is the root seed (default :data:`DEFAULT_SEED`), ``executor`` where runs go; other
    keyword arguments override model parameters in every configuration (:func:`run_comparison_sweep`).
    """
    trajectories, runs = run_comparison_sweep(names, seeds, steps, n_residents, workers, progress, **options)
    overrides = {key: value for key, value in options.items() if key not in SWEEP_OPTIONS}
    return trajectories, summarise_runs(runs, stage_thresholds(unique_names(names), **overrides))


OUTPUT_FILES = ("trajectories.parquet", "summary.csv", "comparison.png")


def write_comparison(
    trajectories: pd.DataFrame,
    summary: pd.DataFrame,
    out_dir: str | Path,
    thresholds: dict[str, tuple[float, float]] | None = None,
    lang: str = "en",
) -> list[Path]:
    """Write ``trajectories.parquet``, ``summary.csv`` and ``comparison.png`` into ``out_dir``: all or none.

    Each is written under a temporary name and all are renamed only once every one is complete
    (:func:`simulation.experiments.atomic.atomic_write_all`), so Ctrl-C while writing leaves the directory as it
    was (no truncated figure beside an older table). ``thresholds`` and ``lang`` are :func:`~.plots.plot_comparison`'s.
    """
    from .atomic import atomic_write_all, figure_writer
    from .plots import plot_comparison  # matplotlib: only when a figure is drawn

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figure = plot_comparison(trajectories, None, thresholds, lang=lang)
    paths = [out / name for name in OUTPUT_FILES]
    return atomic_write_all({
        paths[0]: lambda tmp: trajectories.to_parquet(tmp, index=False),
        paths[1]: lambda tmp: summary.to_csv(tmp, index=False),
        paths[2]: figure_writer(figure, paths[2], dpi=150),
    })  # fmt: skip


def stage_cell(share: float, median_year: float, lang: str = "en", words: bool = False) -> str:
    """How often a stage was reached and, typically, when: '80% @ 3.5 y' for the terminal's narrow columns, or
    with ``words`` '80% of seeds, year 3.5' (the dashboard's table)."""
    _ = gettext_for(lang)
    if share == 0 or math.isnan(median_year):
        return _("never")
    text = _("{share:.0%} of seeds, year {year:.1f}") if words else _("{share:.0%} @ {year:.1f} y")
    return text.format(share=share, year=median_year)


def format_summary(summary: pd.DataFrame, lang: str = "en") -> str:
    """The summary as an aligned plain-text table for the terminal (the CSV keeps the full precision).

    ``lang`` sets the language of headers and cells; configurations keep their identifiers in English
    (what ``--scenarios`` takes) with their display name beside them in Chinese.
    """
    _ = gettext_for(lang)
    rows = []
    for _index, row in summary.iterrows():
        sd = "" if math.isnan(row["final_index_sd"]) else f" ± {row['final_index_sd']:.2f}"
        name = row["configuration"]
        shown = configuration_name(name, lang)
        cells = {
            _("configuration"): name if shown == name else f"{shown} ({name})",
            _("seeds"): str(int(row["runs"])),
            **{
                stage_name(stage, lang): stage_cell(row[f"reached_{stage}"], row[f"median_year_{stage}"], lang)
                for stage in STAGES[1:]
            },
            _("final index"): f"{row['final_index']:.2f}{sd}",
            _("ends independent"): _end_independent(row),
            _("trust strangers"): f"{row['trust_in_strangers_last_year']:.0%}",
            _("admin done"): f"{row['admin_task_completion_mean']:.0%}",
            _("public cost"): f"{row['total_public_cost']:,.0f}",
        }
        rows.append(cells)
    headers = list(rows[0]) if rows else [_("configuration")]
    widths = {h: max(_width(h), *(_width(r[h]) for r in rows)) for h in headers}
    lines = ["  ".join(_pad(h, widths[h]) for h in headers).rstrip()]
    lines.append("  ".join("-" * widths[h] for h in headers))
    lines += ["  ".join(_pad(r[h], widths[h]) for h in headers).rstrip() for r in rows]
    return "\n".join([*lines, "", *summary_legend(lang)])


def summary_legend(lang: str = "en") -> list[str]:
    """What each column of :func:`format_summary` holds, one short line per group of columns.

    The ± is the standard deviation of the final index across seeds (``final_index_sd``, ddof 1): how far one
    seed's history strays from another's, not a confidence interval of the mean, which is narrower by
    sqrt(seeds). Every other cell is a mean or share over the seeds.
    """
    _ = gettext_for(lang)
    return [
        _("stage cells: share of seeds that reached the stage @ median year it was first reached (never: no seed did)"),
        _("final index: mean over seeds ± standard deviation across seeds (the spread between seeds, not a "
          "confidence interval)"),
        _("ends independent: share of seeds that end in independence (mean final index less the independence "
          "threshold)"),
        _("trust strangers: share of residents who trust fellow residents they do not know, mean of the last year"),
        _("admin done: share of the administrative tasks pushed down that the committee got done, mean over the run"),
        _("public cost: cost units per 1,000 residents, summed over the run"),
    ]  # fmt: skip


def _end_independent(row: pd.Series) -> str:
    """'60% (+0.02)': the share of seeds that end independent and how far the mean final index is from the
    threshold, so that a configuration near it does not read as a plain yes or no."""
    share = f"{row['final_independent']:.0%}"
    margin = row.get("independence_margin", math.nan)
    return share if pd.isna(margin) else f"{share} ({margin:+.2f})"


def _width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters are twice as wide as Latin ones (East Asian Wide)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    """``ljust`` by terminal columns, so that tables with Chinese headers stay aligned."""
    return text + " " * (width - _width(text))
