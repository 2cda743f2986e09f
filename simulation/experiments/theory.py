"""The experiments the guardian theory asks for, each a sweep plus its figures and table.

* ``withdrawal-timing``: government keeps the guardian's nurturing levers until a fixed year, then
  withdraws; against the responsive guardian. Is there a right time to step back (docs/ODD.md 1.2, pattern P2; 7.1)?
* ``configurations``: the four historical configurations, the workstation and the guardian over many
  seeds: when each stage is reached, the final index, the public cost (docs/ODD.md 1.2, patterns P3-P4; 8.1).
* ``shock``: a large conflict (like a construction project taking a shared garden) hits one compound at a
  chosen year; how each configuration absorbs it (docs/ODD.md 7.7, the shock; 7.9.3, trust through service).
* ``withdrawal-test``: each configuration (and the guardian withdrawn at month 48) with the withdrawal test
  inside (:mod:`simulation.experiments.standalone`): at the first month of learning and of independence, and
  every four years in them, copies of the run go on with government stepped back, or let go. Does the stage
  hold (docs/ODD.md 9.4)?

Each experiment is an ordinary sweep (:mod:`simulation.experiments.sweep`), so it runs on any executor, resumes after
an interruption, and its raw results stay in ``DIR/sweep`` for further analysis.

Figures and plain-words results take ``lang`` ('en', the default, or 'zh'); tables and their CSV files keep
the identifiers (:func:`simulation.names.display_table` shows them with display names).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..i18n import N_, gettext_for
from ..model.runner import DEFAULT_STEPS
from ..model.scenarios import load_scenario
from ..names import configuration_name, display_table, stage_name
from .atomic import write_csv, write_text
from .compare import (
    DEFAULT_SCENARIOS,
    DEFAULT_SEED,
    RUN_KEYS,
    comparison_sweep,
    format_summary,
    paired_sweep,
    stage_thresholds,
    summarise_runs,
)
from .plots import LINE_COLOUR, STAGE_COLOURS, finish, new_figure, plot_comparison
from .standalone import STANCES, TESTED_STAGES, StancesTestedModel
from .sweep import SweepResult, free_results_parent, load_sweep, read_series, read_summary, run_sweep

GUARDIAN = "guardian"
MUTED = "#9aa5b8"
# Two means differ beyond seed noise when they are more than this many standard errors of their difference apart
# (about a 95% two-sided test for a normal difference).
NOISE_Z = 2.0


@dataclass(frozen=True)
class Settings:
    """How big an experiment is; the defaults take a few minutes on 2 cores."""

    seeds: int = 10
    n_residents: int = 1000
    steps: int = DEFAULT_STEPS
    seed: int = DEFAULT_SEED  # compare's: `compare` with the same seeds, steps and residents runs the same runs
    shock_year: int = 10


@dataclass
class ExperimentResult:
    """What an experiment wrote: its table, its figures and the sweep behind them.

    ``table`` is the whole table (written to ``NAME.csv``); ``printed`` is that table as the command shows it on
    a terminal, in the reader's language and within about 120 columns where the table is wide.
    """

    name: str
    table: pd.DataFrame
    figures: list[Path]
    sweep: SweepResult
    text: str
    printed: str = ""


# --- withdrawal timing ------------------------------------------------------------------------------


def withdrawal_sweep(settings: Settings, years: range = range(16)) -> dict[str, Any]:
    """Fixed withdrawal at each year (nurturing levers until then) and the responsive guardian."""
    configurations = {
        f"withdraw_year_{year:02d}": {"scenario": GUARDIAN, "policy": "fixed", "withdraw_at_step": 12 * year}
        for year in years
    }
    configurations[GUARDIAN] = {"scenario": GUARDIAN}
    return _sweep(
        "Withdrawal timing: fixed withdrawal years against the responsive guardian",
        configurations,
        settings,
        series=False,
    )


def withdrawal_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Per policy: withdrawal year, final index (mean, 10-90%), share reaching independence, cost."""
    ok = summary[summary["status"] == "ok"].copy()
    ok["withdrawal_year"] = ok["configuration"].str.extract(r"withdraw_year_(\d+)")[0].astype(float)
    grouped = ok.groupby("configuration")
    table = pd.DataFrame(
        {
            "withdrawal_year": grouped["withdrawal_year"].first(),
            "runs": grouped.size(),
            "final_index": grouped["final_index"].mean(),
            "final_index_p10": grouped["final_index"].quantile(0.1),
            "final_index_p90": grouped["final_index"].quantile(0.9),
            "reached_independence": grouped["first_independence"].apply(lambda s: s.notna().mean()),
            "final_independent": grouped["final_stage"].apply(lambda s: (s == "independence").mean()),
            "total_public_cost": grouped["total_public_cost"].mean(),
        }
    ).reset_index()
    return table.sort_values("withdrawal_year", na_position="last").reset_index(drop=True)


def plot_withdrawal(table: pd.DataFrame, horizon_years: float, path: Path | None = None, lang: str = "en") -> Figure:
    """Index at the horizon and public cost against the withdrawal year, with the guardian for reference."""
    _ = gettext_for(lang)
    fixed = table[table["withdrawal_year"].notna()]
    guardian = table[table["configuration"] == GUARDIAN].iloc[0]
    fig, (left, right) = _figure(2, width=5.2, lang=lang)
    left.fill_between(
        fixed["withdrawal_year"],
        fixed["final_index_p10"],
        fixed["final_index_p90"],
        color=LINE_COLOUR,
        alpha=0.15,
        lw=0,
        label=_("fixed withdrawal, 10-90% of seeds"),
    )
    left.plot(
        fixed["withdrawal_year"], fixed["final_index"], marker="o", color=LINE_COLOUR, label=_("fixed withdrawal, mean")
    )
    left.axhline(guardian["final_index"], color="#c0392b", ls="--", label=_("responsive guardian"))
    left.set_xlabel(_("year government withdraws"))
    left.set_ylabel(_("self-governance index at year {year:g}").format(year=horizon_years))
    left.set_ylim(0, 1)
    left.legend(frameon=False, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2)
    right.plot(
        fixed["withdrawal_year"], fixed["total_public_cost"], marker="o", color=LINE_COLOUR, label=_("fixed withdrawal")
    )
    right.axhline(guardian["total_public_cost"], color="#c0392b", ls="--", label=_("responsive guardian"))
    right.set_xlabel(_("year government withdraws"))
    right.set_ylabel(_("total public cost per 1,000 residents"))
    right.legend(frameon=False, fontsize="small")
    fig.suptitle(_("When should government step back?"))
    return finish(fig, path)


def describe_withdrawal(table: pd.DataFrame, lang: str = "en") -> str:
    """The experiment's answer in plain words, read from the table."""
    _ = gettext_for(lang)
    fixed = table[table["withdrawal_year"].notna()]
    guardian = table[table["configuration"] == GUARDIAN].iloc[0]
    collapsed = fixed[fixed["final_independent"] < 0.5]["withdrawal_year"]
    good = fixed[fixed["final_index"] >= guardian["final_index"] - 0.05]
    lines = []
    if len(collapsed):
        years = ", ".join(str(int(y)) for y in collapsed)
        lines.append(
            _(
                "Withdrawing in year {years} leaves most seeds short of independence at the horizon "
                "(index {worst:.2f} at worst)."
            ).format(years=years, worst=fixed["final_index"].min())
        )
    if len(good):
        earliest = good.iloc[0]
        lines.append(
            _(
                "The earliest fixed withdrawal that ends within 0.05 of the guardian's index ({index:.2f}) is "
                "in year {year}, at a cost of {cost:,.0f} against the guardian's {guardian_cost:,.0f}."
            ).format(
                index=guardian["final_index"],
                year=int(earliest["withdrawal_year"]),
                cost=earliest["total_public_cost"],
                guardian_cost=guardian["total_public_cost"],
            )
        )
    late, best = fixed.iloc[-1], fixed.loc[fixed["final_index"].idxmax()]
    if late["final_independent"] < 0.5 <= guardian["final_independent"]:
        lines.append(
            _(
                "Late withdrawal leaves most seeds short of independence where the guardian gets there: "
                "support kept too long locks in dependence."
            )
        )
    elif late["withdrawal_year"] > best["withdrawal_year"]:
        lines.append(
            _(
                "Withdrawing later than year {best_year} ends lower again ({late_index:.2f} in year "
                "{late_year} against {best_index:.2f}): support kept too long builds reliance on "
                "government."
            ).format(
                best_year=int(best["withdrawal_year"]),
                late_index=late["final_index"],
                late_year=int(late["withdrawal_year"]),
                best_index=best["final_index"],
            )
        )
    else:
        lines.append(_("Among the years tried, the later the withdrawal, the higher the index at the horizon."))
    if guardian["final_index"] >= best["final_index"]:
        lines.append(_("No fixed year does better than the responsive guardian."))
    return ("" if lang == "zh" else " ").join(lines)  # Chinese sentences end in 。 and need no space


# --- configurations --------------------------------------------------------------------------------


def configurations_sweep(settings: Settings) -> dict[str, Any]:
    """The six configurations over many seeds: ``compare``'s sweep, keeping a few columns every third month."""
    return comparison_sweep(DEFAULT_SCENARIOS, settings.seeds, settings.steps, settings.n_residents, settings.seed,
                            thin=3, columns=["stage", "self_governance_index", "public_cost"],
                            description="Configurations: time to each stage, final index and cost")  # fmt: skip


def configurations_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: share of seeds reaching each stage and the median year, index and cost (compare's)."""
    return summarise_runs(summary, stage_thresholds(DEFAULT_SCENARIOS))


def plot_configuration_costs(table: pd.DataFrame, path: Path | None = None, lang: str = "en") -> Figure:
    """Years to independence and public cost per configuration, side by side."""
    _ = gettext_for(lang)
    fig, (left, right) = _figure(2, width=5.0, lang=lang)
    names = [configuration_name(name, lang) for name in table["configuration"]]
    y = np.arange(len(names))
    years = table["median_year_independence"].fillna(0)
    left.barh(y, years, color=LINE_COLOUR)
    for i, (reached, value) in enumerate(zip(table["reached_independence"], years, strict=True)):
        label = (
            _("never") if reached == 0 else _("{years:.1f} y ({share:.0%} of seeds)").format(years=value, share=reached)
        )
        left.text(value + 0.2, i, label, va="center", fontsize="small")
    left.set_yticks(y, names)
    left.invert_yaxis()
    left.set_xlabel(_("median years to independence"))
    left.set_xlim(0, max(20.0, float(years.max()) + 6))
    right.barh(y, table["total_public_cost"], color=MUTED)
    right.set_yticks(y, [])
    right.invert_yaxis()
    right.set_xlabel(_("total public cost per 1,000 residents"))
    fig.suptitle(_("Which configuration reaches self-governance, when, and at what public cost"))
    return finish(fig, path)


# --- shock -----------------------------------------------------------------------------------------


def shock_sweep(settings: Settings) -> dict[str, Any]:
    """Each configuration hit by the same large conflict at the chosen year; monthly series around it."""
    configurations = {name: {"scenario": name, "shock_step": 12 * settings.shock_year} for name in DEFAULT_SCENARIOS}
    return _sweep(
        f"Shock: a large conflict in year {settings.shock_year}",
        configurations,
        settings,
        series=True,
        thin=1,
        columns=["mean_trust", "trust_in_strangers", "problems_solved_share"],
    )


def shock_table(series: pd.DataFrame, summary: pd.DataFrame, shock_step: int) -> pd.DataFrame:
    """Per configuration: problems solved in the shock months, trust drop and months to recover."""
    runs = series.merge(summary[["run_id", "configuration"]], on="run_id")
    rows = []
    for (name, run_id), run in runs.groupby(["configuration", "run_id"], sort=False):
        rows.append({"configuration": name, "run_id": run_id, **_absorption(run.set_index("step"), shock_step)})
    per_run = pd.DataFrame(rows)
    table = per_run.groupby("configuration", sort=False).agg(
        runs=("run_id", "size"),
        solved_in_shock_months=("solved", "mean"),
        trust_before=("trust_before", "mean"),
        trust_drop=("trust_drop", "mean"),
        # How far the mean drop would move with other seeds: the seed-to-seed sd over sqrt(runs) (NaN for one run).
        trust_drop_se=("trust_drop", lambda s: s.std(ddof=1) / np.sqrt(len(s)) if len(s) > 1 else np.nan),
        recovered=("recovery_months", lambda s: s.notna().mean()),
        median_recovery_months=("recovery_months", "median"),
    )
    return table.reset_index()


def _absorption(run: pd.DataFrame, shock_step: int) -> dict[str, float]:
    """How one run absorbed the shock: solved share over 3 months, trust drop, months back to the old level."""
    before = run.loc[shock_step - 12 : shock_step - 1, "mean_trust"].mean()
    after = run.loc[shock_step:, "mean_trust"]
    trough = after.loc[: shock_step + 24].min()
    drop = max(0.0, before - trough)
    recovered = after[(after.index > after.loc[: shock_step + 24].idxmin()) & (after >= before - 0.1 * drop)]
    months = float(recovered.index[0] - shock_step) if drop > 0 and len(recovered) else (0.0 if drop == 0 else np.nan)
    solved = run.loc[shock_step : shock_step + 2, "problems_solved_share"].mean()
    return {"solved": solved, "trust_before": before, "trust_drop": drop, "recovery_months": months}


def plot_shock(series: pd.DataFrame, summary: pd.DataFrame, shock_step: int, path: Path | None = None,
               lang: str = "en") -> Figure:  # fmt: skip
    """Mean trust around the shock per configuration (median over seeds), months relative to the shock."""
    _ = gettext_for(lang)
    runs = series.merge(summary[["run_id", "configuration"]], on="run_id")
    runs = runs[(runs["step"] >= shock_step - 12) & (runs["step"] <= shock_step + 60)]
    fig, (ax,) = _figure(1, width=7.0, lang=lang)
    for name, group in runs.groupby("configuration", sort=False):
        median = group.groupby("step")["mean_trust"].median()
        ax.plot(median.index - shock_step, median.to_numpy(), label=configuration_name(name, lang))
    ax.axvline(0, color="#c0392b", ls=":", label=_("the shock"))
    ax.set_xlabel(_("months since the shock"))
    ax.set_ylabel(_("mean trust among residents (median over seeds)"))
    ax.legend(frameon=False, fontsize="small", ncol=2)
    fig.suptitle(_("How each configuration absorbs a large conflict"))
    return finish(fig, path)


# --- withdrawal test --------------------------------------------------------------------------------------


TESTED_CONFIGURATIONS = ("guardian", "hangzhou", "shenyang", "jianghan", "workstation", "xinhua", "shanghai", "karamay")
WITHDRAWN_48 = "guardian_withdraw_48"  # the guardian withdrawn at month 48: stepping back changes little more
STANCE_NAMES = {"step_back": N_("stepping back"), "let_go": N_("letting go")}
STANCE_COLOURS = {"step_back": LINE_COLOUR, "let_go": "#c0392b"}
INDEX_BIN = 0.05  # width of the bins of the index at the step back, in the figure


def withdrawal_test_sweep(settings: Settings) -> dict[str, Any]:
    """Each configuration, and the guardian withdrawn at month 48, with both stances tested at the same months.

    The per-step series keeps every month (the tests fall on any month): the figure reads the index at each step
    back from it.
    """
    configurations: dict[str, dict] = {name: {"scenario": name} for name in TESTED_CONFIGURATIONS}
    configurations[WITHDRAWN_48] = {"scenario": GUARDIAN, "withdraw_at_step": 48}
    sweep = _sweep("Withdrawal test: does each stage hold when government steps back, or lets go?", configurations,
                   settings, series=True, thin=1)  # fmt: skip
    sweep.update(model="simulation.experiments.standalone:StancesTestedModel",
                 summary="simulation.experiments.standalone:stances_summary")  # fmt: skip
    return sweep


def withdrawal_test_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Per stance, for all runs together and per configuration: tests in each stage and the share that held.

    ``runs`` counts the configuration's runs; a stage no run reached has 0 tests and no share.
    """
    ok = summary[summary["status"] == "ok"]
    rows = []
    for name, runs in [("all", ok), *ok.groupby("configuration", sort=False)]:
        for stance in STANCES:
            row: dict[str, Any] = {"configuration": name, "stance": stance, "runs": len(runs)}
            for stage in TESTED_STAGES:
                tests = int(runs[f"{stage}_tests"].sum())
                held = int(runs[f"{stage}_held" + ("_let_go" if stance == "let_go" else "")].sum())
                row[f"{stage}_tests"], row[f"{stage}_held"] = tests, held / tests if tests else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def tested_months(series: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """One row per tested month of every run: configuration, stage, index at the step back, held per stance."""
    tested = series[series["withdrawal_tested"].fillna("") != ""]
    tested = tested.merge(summary[["run_id", "configuration"]], on="run_id")
    return pd.DataFrame({
        "configuration": tested["configuration"],
        "run_id": tested["run_id"],
        "month": tested["step"],
        "stage": tested["withdrawal_tested"],
        "index_before": tested["withdrawal_index_before"],
        "step_back": tested["withdrawal_held"].astype(bool),
        "let_go": tested["withdrawal_held_let_go"].astype(bool),
    }).reset_index(drop=True)  # fmt: skip


def held_by_index(tests: pd.DataFrame, width: float = INDEX_BIN) -> pd.DataFrame:
    """Per bin of the index at the step back (its middle): the tests in it and the share held per stance."""
    middle = (np.floor(tests["index_before"] / width) + 0.5) * width
    grouped = tests.assign(index=middle.round(6)).groupby("index")
    shares = grouped.agg(tests=("stage", "size"), step_back=("step_back", "mean"), let_go=("let_go", "mean"))
    return shares.reset_index()


def plot_withdrawal_test(tests: pd.DataFrame, table: pd.DataFrame, thresholds: tuple[float, float],
                         path: Path | None = None, lang: str = "en") -> Figure:  # fmt: skip
    """Share of tests that held by the index at the step back (left) and by configuration (right), per stance."""
    _ = gettext_for(lang)
    fig, (left, right) = _figure(2, width=5.6, lang=lang)
    learning, independence = thresholds
    left.axvspan(learning, independence, color=STAGE_COLOURS["learning"], lw=0, zorder=0,
                 label=_("{stage} stage").format(stage=stage_name("learning", lang)))  # fmt: skip
    left.axvspan(independence, 1, color=STAGE_COLOURS["independence"], lw=0, zorder=0,
                 label=_("{stage} stage").format(stage=stage_name("independence", lang)))  # fmt: skip
    binned = held_by_index(tests)
    for stance in STANCES:
        left.plot(binned["index"], binned[stance], marker="o", color=STANCE_COLOURS[stance],
                  label=_(STANCE_NAMES[stance]))  # fmt: skip
    for row in binned.itertuples():
        left.text(row.index, -0.08, str(row.tests), ha="center", va="top", fontsize="x-small", color=MUTED)
    if len(binned):
        left.set_xlim(binned["index"].min() - INDEX_BIN, binned["index"].max() + INDEX_BIN)
    left.set_ylim(-0.15, 1.05)
    left.set_xlabel(_("index at the step back (moving mean; grey: tests per bin)"))
    left.set_ylabel(_("share of tests that held"))
    left.legend(frameon=False, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2)
    _held_by_configuration(right, table, lang)
    fig.suptitle(_("Does the stage hold when government steps back?"))
    return finish(fig, path)


def _held_by_configuration(ax: Any, table: pd.DataFrame, lang: str) -> None:
    """Horizontal bars: per configuration, the share of its tests (both stages) that held, one bar per stance."""
    _ = gettext_for(lang)
    rows = table[table["configuration"] != "all"].copy()
    rows["tests"] = sum(rows[f"{stage}_tests"] for stage in TESTED_STAGES)
    rows["held"] = sum(rows[f"{stage}_held"].fillna(0) * rows[f"{stage}_tests"] for stage in TESTED_STAGES)
    names = list(dict.fromkeys(rows["configuration"]))
    y = np.arange(len(names))
    for offset, stance in zip((-0.2, 0.2), STANCES, strict=True):
        of = rows[rows["stance"] == stance].set_index("configuration").loc[names]
        share = (of["held"] / of["tests"].where(of["tests"] > 0)).to_numpy()
        ax.barh(y + offset, np.nan_to_num(share), height=0.38, color=STANCE_COLOURS[stance],
                label=_(STANCE_NAMES[stance]))  # fmt: skip
        for never in y[share == 0]:  # tested, never held: a bar of no length, said in words
            ax.text(0.01, never + offset, "0%", va="center", fontsize="x-small", color=STANCE_COLOURS[stance])
    tests = rows[rows["stance"] == STANCES[0]].set_index("configuration").loc[names, "tests"]
    for row, count in zip(y, tests, strict=True):
        label = _("not tested") if count == 0 else _("n = {tests}").format(tests=int(count))
        ax.text(1.02, row, label, va="center", fontsize="x-small", color=MUTED)
    ax.set_yticks(y, [configuration_name(name, lang) for name in names])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.25)
    ax.set_xlabel(_("share of tests that held (learning and independence)"))
    ax.legend(frameon=False, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2)


def describe_withdrawal_test(table: pd.DataFrame, horizon: int, lang: str = "en") -> str:
    """The experiment's answer in plain words: per stance, the share of each stage's tests that held."""
    _ = gettext_for(lang)
    overall = table[table["configuration"] == "all"].set_index("stance")
    sentences = []
    for stance in STANCES:
        row = overall.loc[stance]
        first = _stage_held(row, "independence", lang, horizon)
        second = _stage_held(row, "learning", lang)
        sentences.append(_("{stance}: {first}, {second}.").format(stance=_(STANCE_NAMES[stance]).capitalize(),
                                                                  first=first, second=second))  # fmt: skip
    weakest = _weakest(table)
    if weakest is not None:
        sentences.append(_("Stepping back held least often in {configuration}: {share:.0%} of its tests (n = {tests}).")
                         .format(configuration=configuration_name(weakest["configuration"], lang),
                                 share=weakest["share"], tests=int(weakest["tests"])))  # fmt: skip
    return ("" if lang == "zh" else " ").join(sentences)


def _stage_held(row: pd.Series, stage: str, lang: str, horizon: int | None = None) -> str:
    """'96% of the 120 classifications as independence held for 24 months' (the months only said once)."""
    _ = gettext_for(lang)
    tests, name = int(row[f"{stage}_tests"]), stage_name(stage, lang)
    if tests == 0:
        return _("no classification as {stage} to test").format(stage=name)
    if horizon is None:
        return _("{share:.0%} of the {tests} as {stage}").format(share=row[f"{stage}_held"], tests=tests, stage=name)
    return _("{share:.0%} of the {tests} classifications as {stage} held for {months} months").format(
        share=row[f"{stage}_held"], tests=tests, stage=name, months=horizon)  # fmt: skip


def _weakest(table: pd.DataFrame) -> dict[str, Any] | None:
    """The configuration whose stepped-back copies held least often, if any failed at all."""
    rows = table[(table["configuration"] != "all") & (table["stance"] == "step_back")]
    tests = sum(rows[f"{stage}_tests"] for stage in TESTED_STAGES)
    held = sum(rows[f"{stage}_held"].fillna(0) * rows[f"{stage}_tests"] for stage in TESTED_STAGES)
    share = (held / tests.where(tests > 0)).dropna()
    if share.empty or share.min() >= 1:
        return None
    at = share.idxmin()
    return {"configuration": rows.loc[at, "configuration"], "share": float(share[at]), "tests": tests[at]}


# --- running an experiment ---------------------------------------------------------------------------


def run_experiment(
    name: str,
    out_dir: str | Path,
    settings: Settings = Settings(),
    executor: Any = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = True,
    new_dir: bool = False,
    allow_large: bool = False,
    lang: str = "en",
) -> ExperimentResult:
    """Run (or resume) an experiment's sweep, then write its table, figures and plain-words result.

    ``lang`` is the language of the figures and the plain-words result ('zh' needs a Chinese font:
    :class:`simulation.fonts.FontError` otherwise); the table keeps its identifiers in either language.

    ``new_dir``: if ``out_dir/sweep`` holds runs of another sweep or made with other inputs, write to the
    first of ``out_dir-2``, ``out_dir-3``, ... that can hold this one (``result.sweep.out_dir`` says which).
    ``allow_large`` lifts the size limits of :mod:`simulation.experiments.limits`.
    """
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment '{name}'; valid: {', '.join(EXPERIMENTS)}")
    build, report = EXPERIMENTS[name]
    spec = load_sweep(build(settings), name=name, allow_large=allow_large)
    out = free_results_parent(Path(out_dir), spec) if new_dir else Path(out_dir)
    sweep = run_sweep(spec, out / "sweep", executor=executor, workers=workers, scheduler=scheduler, progress=progress)
    table, figures, text = report(out, settings, lang)
    write_csv(table, out / f"{name}.csv", index=False)
    write_text(out / f"{name}.txt", text + "\n")
    return ExperimentResult(name, table, figures, sweep, text, printed_table(name, table, lang))


def printed_table(name: str, table: pd.DataFrame, lang: str = "en") -> str:
    """The table as a terminal shows it. ``configurations`` has sixteen columns of long identifiers, NaN where no
    seed reached a stage: it is printed as ``compare`` prints the same numbers (short named columns, "never",
    a legend); the others as they are, with display names in Chinese (CSV files keep the identifiers)."""
    if name == "configurations":
        return format_summary(table, lang)
    with pd.option_context("display.unicode.east_asian_width", lang == "zh"):
        return display_table(table.round(3), lang).to_string(index=False)


def _report_withdrawal(out: Path, settings: Settings, lang: str = "en") -> tuple[pd.DataFrame, list[Path], str]:
    table = withdrawal_table(read_summary(out / "sweep"))
    figure = out / "withdrawal_timing.png"
    plot_withdrawal(table, settings.steps / 12, figure, lang)
    return table, [figure], describe_withdrawal(table, lang)


def _report_configurations(out: Path, settings: Settings, lang: str = "en") -> tuple[pd.DataFrame, list[Path], str]:
    _ = gettext_for(lang)
    summary = read_summary(out / "sweep")
    table = configurations_table(summary)
    trajectories = summary[list(RUN_KEYS)].merge(read_series(out / "sweep"), on="run_id")
    figures = [out / "configurations_trajectories.png", out / "configurations_cost.png"]
    plot_comparison(trajectories, path=figures[0], lang=lang)
    plot_configuration_costs(table, figures[1], lang)
    best = table.sort_values(["reached_independence", "total_public_cost"], ascending=[False, True]).iloc[0]
    if best["reached_independence"] == 0:  # "the lowest cost among those that get there" would name one that never does
        highest = table.loc[table["final_index"].idxmax()]
        text = _("No configuration reaches independence in any seed within {years:g} years; {configuration} ends "
                 "highest (index {index:.2f}).").format(
            years=settings.steps / 12, configuration=configuration_name(highest["configuration"], lang),
            index=highest["final_index"])  # fmt: skip
        return table, figures, text
    text = _("{configuration} reaches independence in {share:.0%} of seeds at the lowest cost among those that get "
             "there most reliably ({cost:,.0f}).").format(
        configuration=configuration_name(best["configuration"], lang), share=best["reached_independence"],
        cost=best["total_public_cost"])  # fmt: skip
    return table, figures, text


def _report_shock(out: Path, settings: Settings, lang: str = "en") -> tuple[pd.DataFrame, list[Path], str]:
    _ = gettext_for(lang)
    summary, series = read_summary(out / "sweep"), read_series(out / "sweep")
    shock_step = 12 * settings.shock_year
    table = shock_table(series, summary, shock_step)
    figure = out / "shock.png"
    plot_shock(series, summary, shock_step, figure, lang)
    return table, [figure], describe_shock(table, settings.shock_year, lang)


def calmest_within_noise(table: pd.DataFrame) -> pd.DataFrame:
    """The configurations that lose the least trust, as far as seed noise can tell: the smallest mean drop and
    every other within :data:`NOISE_Z` standard errors of the difference from it (``trust_drop_se``)."""
    ordered = table.sort_values("trust_drop", kind="stable")
    least = ordered.iloc[0]
    noise = NOISE_Z * np.hypot(ordered["trust_drop_se"], least["trust_drop_se"])
    return ordered[ordered["trust_drop"] - least["trust_drop"] <= noise]


def describe_shock(table: pd.DataFrame, year: int, lang: str = "en") -> str:
    """Which configuration absorbs the shock best, said only as far as the seeds can tell it.

    Mean drops of 0.003 and 0.005 over a few seeds are not a ranking when each mean moves by more than that from
    one set of seeds to another: then the sentence says the differences are within seed noise.
    """
    _ = gettext_for(lang)
    low, high = table["trust_drop"].min(), table["trust_drop"].max()
    after = _("see shock.csv for resolution and recovery per configuration.")
    if table["trust_drop_se"].isna().all():  # one seed: no noise to compare with
        return _("A conflict in year {year}: trust drops by {low:.3f} to {high:.3f}; with one seed per configuration "
                 "these differences cannot be told from seed noise (give more seeds); {after}").format(
            year=year, low=low, high=high, after=after)  # fmt: skip
    calmest = calmest_within_noise(table)
    if len(calmest) == len(table):
        return _("A conflict in year {year}: the configurations lose {low:.3f} to {high:.3f} of mean trust, "
                 "differences within seed noise (standard error up to {se:.3f}): none absorbs it measurably "
                 "better; {after}").format(
            year=year, low=low, high=high, se=table["trust_drop_se"].max(), after=after)  # fmt: skip
    if len(calmest) == 1:
        row = calmest.iloc[0]
        return _("A conflict in year {year}: {configuration} loses the least trust ({drop:.3f} ± {se:.3f}, standard "
                 "error over seeds), less than every other beyond seed noise; {after}").format(
            year=year, configuration=configuration_name(row["configuration"], lang), drop=row["trust_drop"],
            se=row["trust_drop_se"], after=after)  # fmt: skip
    names = _(", ").join(configuration_name(name, lang) for name in calmest["configuration"])
    return _("A conflict in year {year}: {configurations} lose the least trust ({low:.3f} to {high:.3f}), within "
             "seed noise of one another; {after}").format(
        year=year, configurations=names, low=calmest["trust_drop"].min(), high=calmest["trust_drop"].max(),
        after=after)  # fmt: skip


def _report_withdrawal_test(out: Path, settings: Settings, lang: str = "en") -> tuple[pd.DataFrame, list[Path], str]:
    summary = read_summary(out / "sweep")
    table = withdrawal_test_table(summary)
    held = ["withdrawal_tested", "withdrawal_held", "withdrawal_held_let_go", "withdrawal_index_before"]
    tests = tested_months(read_series(out / "sweep", columns=held), summary)
    write_csv(tests, out / "withdrawal-test-months.csv", index=False)
    p = load_scenario(GUARDIAN).params
    figure = out / "withdrawal_test.png"
    plot_withdrawal_test(tests, table, (p.learning_threshold, p.independence_threshold), figure, lang)
    return table, [figure], describe_withdrawal_test(table, StancesTestedModel.settings.horizon, lang)


EXPERIMENTS: dict[str, tuple[Callable[[Settings], dict], Callable[[Path, Settings, str], tuple]]] = {
    "withdrawal-timing": (withdrawal_sweep, _report_withdrawal),
    "configurations": (configurations_sweep, _report_configurations),
    "shock": (shock_sweep, _report_shock),
    "withdrawal-test": (withdrawal_test_sweep, _report_withdrawal_test),
}


# --- helpers -----------------------------------------------------------------------------------------


def _sweep(
    description: str,
    configurations: dict[str, dict],
    settings: Settings,
    series: bool,
    thin: int = 12,
    columns: list[str] | None = None,
) -> dict[str, Any]:
    output: dict[str, Any] = {"series": series, **({"thin": thin, "columns": columns or []} if series else {})}
    return paired_sweep(description, configurations, seeds=settings.seeds, steps=settings.steps, seed=settings.seed,
                        n_residents=settings.n_residents, output=output)  # fmt: skip


def _figure(panels: int, width: float, lang: str = "en") -> tuple[Figure, list]:
    fig = new_figure((width * panels, 4.0), lang)
    return fig, list(fig.subplots(1, panels, squeeze=False)[0])
