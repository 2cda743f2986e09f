"""Where the theory holds: every parameter screened, then the patterns over the plausible space.

Three sweeps on the sweep runner (so each resumes after an interruption and runs on any executor):

1. **Screening.** A Morris design over every parameter that has a plausible range
   (:func:`simulation.model.parameters.plausible_range`) under the guardian, for the headline outputs.
2. **Patterns.** A Latin hypercube over the most influential parameters of the screening and the
   configurations' assumption levers (each scenario file's ``[assumptions]`` table: a value and its
   plausible range, varied in that configuration only), with every run of
   :data:`simulation.experiments.patterns.RUNS` at every point, paired by seed. Each pattern of ODD 1.2 (and
   ablation of 9.4) is evaluated per point: the share of the space where it holds, and PRIM boxes describing
   where it fails.
3. **Equal budget.** Every configuration with its spending scaled, over the influential parameters no
   configuration sets (:mod:`simulation.experiments.budget`): the self-governance each reaches at the same cost.
4. **Yardsticks.** The patterns, the withdrawal-timing curve and the equal-budget ranking at the defaults under
   every yardstick (:mod:`simulation.experiments.yardsticks`): which conclusions depend on what is measured.

``python -m simulation experiment robustness [--quick] [--lang zh]`` writes everything to
``results/robustness/``; figures and words in the language asked for, tables with English identifiers.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..fonts import enable_chinese
from ..i18n import N_, gettext_for
from ..model.parameters import FIELDS, plausible_range
from ..model.scenarios import SCENARIO_DIR, load_scenario
from ..names import configuration_name
from . import budget
from .atomic import write_csv, write_text
from .compare import paired_sweep
from .discovery import describe as describe_discovery
from .discovery import discover, write_discovery
from .patterns import PATTERNS, RUN_SUMMARY, RUNS, evaluate
from .plots import finish, new_figure, wrap
from .sensitivity import analyze, row_caveats
from .sweep import SweepResult, load_sweep, read_summary, run_sweep
from .sweep_analysis import design_point_outputs
from .yardsticks import markdown, yardstick_sweep, yardstick_table

SCREEN_OUTPUTS = ("final_index", "months_to_independence", "trust_in_strangers_last_year", "total_public_cost")
OUTPUT_LABELS = {
    "final_index": N_("final index"),
    "months_to_independence": N_("months to independence"),
    "trust_in_strangers_last_year": N_("trust in strangers"),
    "total_public_cost": N_("public cost"),
}
NOT_SCREENED = ("n_residents",)  # size is a choice of the analysis, not an uncertainty
MORRIS_LEVELS = 4
# SALib's Morris step in the unit hypercube, levels / (2 (levels - 1)): an elementary effect is (dy) / step.
MORRIS_STEP = MORRIS_LEVELS / (2 * (MORRIS_LEVELS - 1))
# A parameter without effect has mu* scattered around the noise floor, with a relative sd of
# sqrt(pi/2 - 1) / sqrt(trajectories) (0.24 for 10): above 1.5 times the floor is about two of those sds.
NOISE_MARGIN = 1.5
# A share from n independent points has a binomial standard error of sqrt(p (1 - p) / n), up to 0.5 / sqrt(n):
# from fewer than 100 points it can exceed 0.05, so that two standard errors span more than ten percentage points
# either way. The full analysis has 120 points (at most +-0.046); --quick has 8 (+-0.18): its shares are rough.
MIN_POINTS = 100
# The equal-budget comparison's 10-90% band over fewer runs per configuration than this is its lowest and highest
# run, not a band: the full analysis has 5 points x 2 seeds.
MIN_BUDGET_RUNS = 10
SHARE_LABEL_COLUMNS = 58  # a pattern's sentence per line in pattern_shares.png, in terminal columns


@dataclass(frozen=True)
class Settings:
    """How big the analysis is. The full one fits in under an hour on 2 cores (docs/robustness.md)."""

    n_residents: int = 2000
    steps: int = 240
    trajectories: int = 10  # Morris: runs = trajectories x (parameters + 1)
    influential: int = 12  # most influential parameters no configuration sets, carried into the hypercube
    points: int = 120  # Latin-hypercube points; each runs every configuration of patterns.RUNS
    seeds: int = 3  # per point (paired: the same seed for every configuration at a point)
    budget_points: int = 5  # equal-budget comparison: parameter points ...
    budget_seeds: int = 2  # ... and seeds per point, each running every configuration at every spending scale
    noise_seeds: int = 10  # the guardian at its defaults, to tell parameter effects from seed noise
    yardstick_seeds: int = 5  # the analyses under each yardstick, at the defaults
    seed: int = 20261128

    @classmethod
    def quick(cls) -> Settings:
        """A small version for the test suite: the machinery end to end in about a minute."""
        return cls(n_residents=100, steps=36, trajectories=2, influential=4, points=8, budget_points=2, budget_seeds=1,
                   noise_seeds=3, yardstick_seeds=2)  # fmt: skip


@dataclass
class RobustnessResult:
    screening: pd.DataFrame  # Morris statistics per output and parameter, with ranks
    holds: pd.DataFrame  # per point and replicate: whether each pattern holds
    shares: pd.DataFrame  # per pattern: share of the space where it holds, with an interval
    yardsticks: pd.DataFrame  # per yardstick and conclusion: seeds where it holds
    failures: dict[str, str]  # per pattern that fails somewhere: PRIM's description of where
    budget: pd.DataFrame  # per configuration: cost, index, index at the common budget, index per cost
    files: list[Path]
    sweeps: list[SweepResult]


# --- what is varied ----------------------------------------------------------------------------------------


def screened_parameters() -> dict[str, tuple[float, float]]:
    """Every parameter with a plausible range, and that range."""
    return {name: span for name in FIELDS if (span := plausible_range(name)) and name not in NOT_SCREENED}


def scenario_keys(scenario: str) -> set[str]:
    """The parameters a scenario file sets."""
    data = tomllib.loads((SCENARIO_DIR / f"{scenario}.toml").read_text(encoding="utf-8-sig"))
    return {key for section in data.values() if isinstance(section, dict) for key in section}


def assumption_levers(scenario: str) -> dict[str, tuple[float, float]]:
    """The values a scenario file assumes (its ``[assumptions]`` table), each with its plausible range."""
    return {name: (row.low, row.high) for name, row in load_scenario(scenario).assumptions.items()}


def pattern_factors(ranked: list[str], count: int) -> dict[str, dict[str, float]]:
    """The Latin hypercube's factors: the ``count`` most influential parameters no configuration sets, and
    the configurations' assumption levers.

    A parameter a pattern configuration's file or override sets is never varied for all configurations
    (that would erase the configuration); it is varied as an assumption lever of its own file instead, or
    not at all where the file takes it from the essays or from the calibration.
    """
    scenarios = sorted({scenario for scenario, _ in RUNS.values()})
    overridden = {key for _, overrides in RUNS.values() for key in overrides}
    factors = global_factors(ranked, count, scenarios, overridden)
    for scenario in scenarios:
        own_overrides = {key for sc, overrides in RUNS.values() if sc == scenario for key in overrides}
        for key, (low, high) in assumption_levers(scenario).items():
            if key not in own_overrides and low < high:
                factors[f"{scenario}.{key}"] = _bounds(low, high)
    return factors


def global_factors(
    ranked: list[str], count: int, scenarios: list[str], also_set: set[str]
) -> dict[str, dict[str, float]]:
    """The ``count`` most influential parameters (``ranked``, most first) that none of ``scenarios`` sets (nor
    ``also_set``): safe to vary for every configuration at once."""
    set_somewhere = also_set.union(*(scenario_keys(s) for s in scenarios))
    ranges = screened_parameters()
    free = [name for name in ranked if name not in set_somewhere and name in ranges]
    return {name: _bounds(*ranges[name]) for name in free[:count]}


def _bounds(low: float, high: float) -> dict[str, float]:
    return {"low": float(low), "high": float(high)}


# --- the two sweeps ----------------------------------------------------------------------------------------


def screening_sweep(settings: Settings) -> dict[str, Any]:
    """Morris over every screened parameter, under the guardian."""
    return {
        "description": "Robustness 1: Morris screening of every parameter over its plausible range (guardian)",
        "scenarios": ["guardian"],
        "summary": RUN_SUMMARY,
        "seeds": 1,
        "steps": settings.steps,
        "seed": settings.seed,
        "fixed": {"n_residents": settings.n_residents},
        "vary": {name: _bounds(*bounds) for name, bounds in screened_parameters().items()},
        "design": {"method": "morris", "samples": settings.trajectories, "num_levels": MORRIS_LEVELS},
    }


def noise_sweep(settings: Settings) -> dict[str, Any]:
    """The guardian at its defaults on several seeds: how far seed noise alone moves each output."""
    return {
        "description": "Robustness 0: seed noise of the headline outputs (guardian at its defaults)",
        "scenarios": ["guardian"],
        "summary": RUN_SUMMARY,
        "seeds": settings.noise_seeds,
        "steps": settings.steps,
        "seed": settings.seed + 3,
        "fixed": {"n_residents": settings.n_residents},
    }


def noise_floor(summary: pd.DataFrame) -> pd.Series:
    """The Morris mu* that seed noise alone gives each output: E|y1 - y2| / step for two seeds, y ~ N(m, sd).

    E|y1 - y2| = 2 sd / sqrt(pi). A parameter whose mu* is near this floor cannot be told from noise with
    one seed per trajectory point.
    """
    sd = summary[list(SCREEN_OUTPUTS)].std(ddof=1)
    return 2 * sd / np.sqrt(np.pi) / MORRIS_STEP


def patterns_sweep(settings: Settings, factors: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Every pattern run at every Latin-hypercube point, paired by seed."""
    return paired_sweep("Robustness 2: the patterns over a Latin hypercube of the plausible space",
                        {name: {"scenario": scenario, **overrides} for name, (scenario, overrides) in RUNS.items()},
                        seeds=settings.seeds, steps=settings.steps, seed=settings.seed + 1,
                        n_residents=settings.n_residents, summary=RUN_SUMMARY, vary=factors,
                        design={"method": "lhs", "samples": settings.points})  # fmt: skip


# --- analysis ----------------------------------------------------------------------------------------------


def screening_table(spec: Any, sweep_dir: Path) -> pd.DataFrame:
    """Morris mu*, its interval and sigma per output and parameter; ``scaled`` is mu* over the output's largest."""
    design = spec.design
    outputs = design_point_outputs(read_summary(sweep_dir), list(SCREEN_OUTPUTS), len(design))
    table = analyze(design, outputs, seed=spec.seed)[0]
    largest = table.groupby("output")["mu_star"].transform("max").replace(0, np.nan)
    table["scaled"] = (table["mu_star"] / largest).fillna(0.0)
    table["rank"] = table.groupby("output")["mu_star"].rank(ascending=False, method="min").astype(int)
    return table


def ranking(screening: pd.DataFrame, floor: pd.Series | None = None) -> pd.DataFrame:
    """One row per parameter: its scaled mu* per output and its overall influence (the largest of them).

    With the seed-noise ``floor`` (:func:`noise_floor`), ``above_noise`` says for how many outputs the
    parameter's mu* exceeds :data:`NOISE_MARGIN` times it.
    """
    wide = screening.pivot(index="parameter", columns="output", values="scaled")[list(SCREEN_OUTPUTS)]
    wide["influence"] = wide.max(axis=1)
    if floor is not None:
        raw = screening.pivot(index="parameter", columns="output", values="mu_star")[list(SCREEN_OUTPUTS)]
        wide["above_noise"] = (raw > NOISE_MARGIN * floor[list(SCREEN_OUTPUTS)]).sum(axis=1)
    return wide.sort_values("influence", ascending=False)


def pattern_shares(holds: pd.DataFrame) -> pd.DataFrame:
    """Per pattern: the share of sampled points where it holds in most seeds, with a 90% Wilson interval (points
    are independent draws, seeds at a point are not), and the shares of points where it holds in every seed and of
    all runs where it holds."""
    rows = []
    for pattern in PATTERNS:
        known = holds[["point", pattern.key]].dropna()
        per_point = known.groupby("point")[pattern.key].agg(lambda v: v.astype(bool).mean())
        n, k = len(per_point), int((per_point > 0.5).sum())
        low, high = _wilson(k, n)
        rows.append({"pattern": pattern.key, "says": pattern.says, "points": n, "holds": k,
                     "share": k / n if n else np.nan, "low_90": low, "high_90": high,
                     "share_every_seed": float((per_point == 1).mean()) if n else np.nan,
                     "share_of_runs": float(known[pattern.key].astype(bool).mean()) if n else np.nan})  # fmt: skip
    return pd.DataFrame(rows)


def _wilson(k: int, n: int, z: float = 1.645) -> tuple[float, float]:
    if n == 0:
        return np.nan, np.nan
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def where_patterns_fail(
    holds: pd.DataFrame, design: pd.DataFrame, out_dir: Path, lang: str = "en"
) -> tuple[dict[str, str], list[Path]]:
    """PRIM over the factors each failing pattern can depend on: global ones and its configurations' levers."""
    failures: dict[str, str] = {}
    files: list[Path] = []
    points = holds.merge(design, on="point", how="left")
    for pattern in PATTERNS:
        values = points[pattern.key]
        known = values.notna()
        failed = ~values[known].astype(bool)
        if not failed.any():
            continue
        scenarios = {RUNS[name][0] for name in pattern.runs}
        columns = [c for c in design.columns if c != "point" and ("." not in c or c.split(".")[0] in scenarios)]
        X = points.loc[known, columns].reset_index(drop=True)
        label = gettext_for(lang)("{pattern} fails").format(pattern=pattern.key)
        found = discover(X, failed.to_numpy(), label=label)
        written = write_discovery(found, X, failed.to_numpy(), out_dir / "discovery" / pattern.key, lang=lang)
        failures[pattern.key] = describe_discovery(found, lang)
        files.extend(written.values())
    return failures, files


# --- figures -----------------------------------------------------------------------------------------------


def plot_screening(rank: pd.DataFrame, scaled_floor: pd.Series, path: Path, top: int = 25, lang: str = "en") -> Path:
    """The most influential parameters: mu* per output, scaled to the output's most influential parameter.

    ``scaled_floor``: each output's seed-noise mu* on the same scale; the largest is drawn as a line.
    """
    _ = gettext_for(lang)
    shown = rank.head(top).iloc[::-1]
    fig = new_figure((9, 0.32 * len(shown) + 1.6), lang)
    ax = fig.subplots()
    height = 0.8 / len(SCREEN_OUTPUTS)
    for i, output in enumerate(SCREEN_OUTPUTS):
        ax.barh(np.arange(len(shown)) + i * height, shown[output], height=height, label=_(OUTPUT_LABELS[output]))
    ax.set_yticks(np.arange(len(shown)) + 0.4 - height / 2, shown.index, fontsize="small")
    ax.set_xlabel(_("Morris mu*, relative to the output's most influential parameter"))
    ax.axvline(float(scaled_floor.max()), color="grey", ls=":", lw=1,
               label=_("seed noise (the largest of the outputs)"))  # fmt: skip
    ax.set_title(_("The {shown} most influential of {total} parameters (guardian)").format(
        shown=len(shown), total=len(rank)), fontsize="medium")  # fmt: skip
    ax.legend(frameon=False, fontsize="small", loc="lower right")
    finish(fig, path)
    return path


def plot_shares(shares: pd.DataFrame, path: Path, lang: str = "en") -> Path:
    """The share of the plausible space where each pattern holds, with its 90% interval.

    Each pattern's sentence is wrapped (:data:`SHARE_LABEL_COLUMNS`) and the figure grows with the lines: written
    on one line, the labels took more than the figure's width and were cut off at the left edge. Fewer than
    :data:`MIN_POINTS` points are said in the title.
    """
    _ = gettext_for(lang)
    labels = [wrap(f"{k}: {_(says)}", SHARE_LABEL_COLUMNS, lang)
              for k, says in zip(shares["pattern"], shares["says"], strict=True)]  # fmt: skip
    lines = sum(label.count("\n") + 1 for label in labels)
    fig = new_figure((10, 0.17 * lines + 0.12 * len(labels) + 1.6), lang)
    ax = fig.subplots()
    y = np.arange(len(shares))[::-1]
    ax.barh(y, shares["share"], color="#4c72b0")
    ax.errorbar(shares["share"], y, xerr=[shares["share"] - shares["low_90"], shares["high_90"] - shares["share"]],
                fmt="none", ecolor="black", capsize=3, lw=1)  # fmt: skip
    ax.set_yticks(y, labels, fontsize="small")
    ax.set_ylim(-0.6, len(shares) - 0.4)
    ax.set_xlim(0, 1)
    ax.set_xlabel(_("share of sampled parameter points where the pattern holds (90% interval)"))
    points = int(shares["points"].max()) if len(shares) else 0
    title = _("Where each pattern holds, over {points} points of the plausible space").format(points=points)
    if points < MIN_POINTS:
        title += "\n" + _("too few points to read as findings: standard error up to ±{se:.2f}; use the full "
                          "setting").format(se=0.5 / np.sqrt(max(points, 1)))  # fmt: skip
    fig.suptitle(title, fontsize="medium")
    finish(fig, path)
    return path


# --- running it all ----------------------------------------------------------------------------------------


def run_robustness(
    out_dir: str | Path, settings: Settings = Settings(), *, executor: Any = "processes", workers: int | None = None,
    scheduler: str | None = None, progress: bool | None = True, allow_large: bool = False, lang: str = "en",
) -> RobustnessResult:  # fmt: skip
    """Run (or resume) the sweeps, then write the tables, figures and plain-words results to ``out_dir``.

    ``lang`` ('en' or 'zh') is the language of the figures and words; in Chinese a font with Chinese glyphs
    must be installed (:class:`simulation.fonts.FontError` otherwise, before any run).
    """
    if lang == "zh":
        enable_chinese()
    out = Path(out_dir)
    options = {"executor": executor, "workers": workers, "scheduler": scheduler, "progress": progress}
    screen_spec = load_sweep(screening_sweep(settings), name="screening", allow_large=allow_large)
    screen = run_sweep(screen_spec, out / "screening", **options)
    noise_spec = load_sweep(noise_sweep(settings), name="noise", allow_large=allow_large)
    noise = run_sweep(noise_spec, out / "noise", **options)
    floor = noise_floor(read_summary(out / "noise"))
    screening = screening_table(screen_spec, out / "screening")
    screening["noise_floor"] = screening["output"].map(floor)
    rank = ranking(screening, floor)
    factors = pattern_factors(list(rank.index), settings.influential)
    pattern_spec = load_sweep(patterns_sweep(settings, factors), name="patterns", allow_large=allow_large)
    swept = run_sweep(pattern_spec, out / "patterns", **options)
    holds = evaluate(read_summary(out / "patterns"))
    design = pattern_spec.design.points.reset_index(drop=True).rename_axis("point").reset_index()
    shares = pattern_shares(holds)
    failures, files = where_patterns_fail(holds, design, out, lang)
    equal_budget = _equal_budget(settings, list(rank.index), out, options, allow_large, lang)
    data = yardstick_sweep(settings.n_residents, settings.steps, settings.yardstick_seeds, settings.seed + 3)
    yardstick_spec = load_sweep(data, name="yardsticks", allow_large=allow_large)
    by_yardstick = run_sweep(yardstick_spec, out / "yardsticks", **options)
    yardsticks = yardstick_table(read_summary(out / "yardsticks"))
    write_csv(yardsticks, out / "yardsticks.csv", index=False)
    write_text(out / "yardsticks.md", markdown(yardsticks) + "\n")
    write_csv(screening, out / "screening.csv", index=False)
    write_csv(rank, out / "screening_ranking.csv")
    write_csv(holds, out / "patterns_per_point.csv", index=False)
    write_csv(shares, out / "pattern_shares.csv", index=False)
    write_csv(equal_budget.table, out / "equal_budget.csv", index=False)
    scaled_floor = floor / screening.groupby("output")["mu_star"].max()
    figures = [
        plot_screening(rank, scaled_floor, out / "screening.png", lang=lang),
        plot_shares(shares, out / "pattern_shares.png", lang),
        out / "equal_budget.png",
    ]
    text = describe(rank, shares, failures, equal_budget.table, yardsticks, settings, lang, screening)
    write_text(out / "robustness.txt", text + "\n")
    files = [out / "screening.csv", out / "pattern_shares.csv", out / "equal_budget.csv", out / "yardsticks.csv",
             out / "yardsticks.md", *figures, out / "robustness.txt", *files]  # fmt: skip
    sweeps = [screen, noise, swept, equal_budget.sweep, by_yardstick]
    return RobustnessResult(screening, holds, shares, yardsticks, failures, equal_budget.table, files, sweeps)


@dataclass
class _Budget:
    table: pd.DataFrame
    sweep: SweepResult


def _equal_budget(
    settings: Settings, ranked: list[str], out: Path, options: dict, allow_large: bool, lang: str = "en"
) -> _Budget:
    """Third sweep: every configuration at scaled spending over global parameters; the table and figure."""
    also_set = set(budget.SPENDING_LEVERS)
    factors = global_factors(ranked, settings.influential, list(budget.CONFIGURATIONS), also_set)
    data = budget.budget_sweep(settings.n_residents, settings.steps, settings.seed + 2, factors,
                               settings.budget_points, settings.budget_seeds)  # fmt: skip
    spec = load_sweep(data, name="equal_budget", allow_large=allow_large)
    swept = run_sweep(spec, out / "equal_budget", **options)
    summary = read_summary(out / "equal_budget")
    table = budget.budget_table(budget.at_common_budget(summary))
    budget.plot_budget(summary, table, out / "equal_budget.png", lang)
    return _Budget(table, swept)


def share_caveat(points: int, lang: str = "en") -> str:
    """One line when the pattern shares come from too few points to be read as findings (:data:`MIN_POINTS`)."""
    if points >= MIN_POINTS:
        return ""
    _ = gettext_for(lang)
    sentence = _(
        "caveat: each share is from only {points} points (standard error up to ±{se:.2f}; {least} points "
        "bring it under ±0.05): read them as rough and use the full setting, without --quick, for findings"
    )
    return sentence.format(points=points, se=0.5 / np.sqrt(max(points, 1)), least=MIN_POINTS)


def screening_caveat(screening: pd.DataFrame, trajectories: int, lang: str = "en") -> str:
    """One line when the Morris screening's intervals are wider than its mu* (:func:`.sensitivity.row_caveats`)."""
    unresolved = int((row_caveats(screening) != "").sum())
    if not unresolved:
        return ""
    _ = gettext_for(lang)
    return _("caveat: with {trajectories} Morris trajectories, {rows} of {total} screening rows have an interval "
             "wider than their mu*: their order is noise; use the full setting for a ranking").format(
        trajectories=trajectories, rows=unresolved, total=len(screening))  # fmt: skip


def budget_caveat(settings: Settings, lang: str = "en") -> str:
    """One line when the equal-budget band is the lowest and highest of a few runs (:data:`MIN_BUDGET_RUNS`)."""
    runs = settings.budget_points * settings.budget_seeds
    if runs >= MIN_BUDGET_RUNS:
        return ""
    _ = gettext_for(lang)
    return _("caveat: each configuration's numbers come from {runs} runs, too few for a 10-90% band; use the full "
             "setting for findings").format(runs=runs)  # fmt: skip


def describe(
    rank: pd.DataFrame, shares: pd.DataFrame, failures: dict[str, str], budget_table: pd.DataFrame,
    yardsticks: pd.DataFrame, settings: Settings, lang: str = "en", screening: pd.DataFrame | None = None,
) -> str:  # fmt: skip
    """The results in plain words, each part with a one-line caveat when its design is too small to read it.

    ``screening`` is the Morris table (:func:`screening_table`), read for its intervals.
    """
    _ = gettext_for(lang)
    points = int(shares["points"].max())
    top = ", ".join(rank.index[:8])
    above = int((rank["above_noise"] > 0).sum()) if "above_noise" in rank else len(rank)
    lines = [
        _("Screening ({parameters} parameters, {trajectories} Morris trajectories, {residents:,} residents, "
          "{months} months): the most influential are {top}; {above} of {parameters} move at least one output "
          "by more than seed noise does.").format(
            parameters=len(rank), trajectories=settings.trajectories, residents=settings.n_residents,
            months=settings.steps, top=top, above=above),
        screening_caveat(screening, settings.trajectories, lang) if screening is not None else "",
        _("Patterns over {points} Latin-hypercube points, {seeds} paired seeds each:").format(
            points=points, seeds=settings.seeds),
        share_caveat(points, lang),
    ]  # fmt: skip
    lines = [line for line in lines if line]
    # The count of points beside the share: "0.0% of 8 points" read as a measurement; "0 of 8" says what it is.
    for row in shares.itertuples():
        lines.append("  " + _("{pattern} holds in most seeds at {holds} of {points} points ({share:.0%}, 90% interval "
                              "{low:.0%}-{high:.0%}), in every seed at {every:.0%}: {says}")
                     .format(pattern=row.pattern, holds=row.holds, points=row.points, share=row.share,
                             low=row.low_90, high=row.high_90, every=row.share_every_seed,
                             says=_(row.says)))  # fmt: skip
    for key, text in failures.items():
        lines.append(_("Where {pattern} fails: {text}").format(pattern=key, text=" ".join(text.split())))
    lines.append(_("At the same public spending (the median of the configurations' own costs, about {budget:,.0f}), "
                   "final index, median and 10-90%:").format(budget=budget_table["budget"].median()))  # fmt: skip
    if caveat := budget_caveat(settings, lang):
        lines.append(caveat)
    for row in budget_table.itertuples():
        name = configuration_name(row.configuration, lang)
        if pd.isna(row.index_at_budget):  # its scaled spending never reaches the common budget
            sentence = _("{configuration} cannot spend the common budget; as configured {own:.3f} at cost {cost:,.0f}")
            lines.append("  " + sentence.format(configuration=name, own=row.own_index, cost=row.own_cost))
            continue
        sentence = _("{configuration} {index:.3f} ({low:.3f}-{high:.3f}); as configured {own:.3f} at cost {cost:,.0f}")
        values = {"index": row.index_at_budget, "low": row.index_at_budget_p10, "high": row.index_at_budget_p90,
                  "own": row.own_index, "cost": row.own_cost}  # fmt: skip
        lines.append("  " + sentence.format(configuration=name, **values))
    lines.append(_("Under each yardstick, at the defaults ({seeds} seeds), the seeds where each conclusion holds:")
                 .format(seeds=settings.yardstick_seeds))  # fmt: skip
    lines.append(markdown(yardsticks))
    return "\n".join(lines)
