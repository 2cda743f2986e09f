"""Figures of compared configurations.

Figures are built on a bare :class:`matplotlib.figure.Figure` with the Agg
canvas rather than through ``pyplot``: nothing depends on a display, no global
figure is left open after a long batch, and the returned figure still shows
in a notebook.
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..fonts import enable_chinese
from ..i18n import gettext_for
from ..model.parameters import Parameters
from ..model.scenarios import ScenarioError, load_scenario
from ..model.stages import STAGES
from ..names import configuration_name, stage_name
from .atomic import save_figure

STAGE_COLOURS = {"dependence": "#e8d5d0", "learning": "#f1e6c8", "independence": "#d3e4d4"}
LINE_COLOUR = "#2f4b7c"
BAND_QUANTILES = (0.1, 0.9)
MAX_COLUMNS = 3
# Marks a wrapped Chinese line must not start with: they close what the line before says.
NO_LINE_START = "，。；：、）》」』！？,.;:)!?%"
NO_LINE_END = "（《「『("  # ... and must not end with: they open what follows
CALIBRATION_COLUMNS = 4  # panels per row of the calibration diagnostics (one per parameter, then epsilon)


def new_figure(size: tuple[float, float], lang: str = "en") -> Figure:
    """A bare Figure on the Agg canvas, laid out to fit; in Chinese (``lang`` 'zh') with the shipped font.

    :class:`simulation.fonts.FontError`, one line with the fix, when no font has Chinese glyphs.
    """
    if lang == "zh":
        enable_chinese()
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def finish(fig: Figure, path: str | Path | None, dpi: int = 120) -> Figure:
    """``fig`` saved to ``path`` (whole or not at all) when one is given."""
    if path is not None:
        save_figure(fig, path, dpi=dpi)
    return fig


def wrap(text: str, columns: int, lang: str = "en") -> str:
    """``text`` broken into lines of at most about ``columns`` terminal columns, for labels and titles in a figure.

    English breaks at spaces (textwrap). Chinese has no spaces and its characters take two columns: it breaks
    between characters, but never inside a run of Latin letters or digits ("0.1", "P2b") and never before closing
    punctuation, which stays at the end of its line (a line may then run over by that one mark), nor after an opening
    one.
    """
    if lang == "en":
        return "\n".join(textwrap.wrap(text, columns, break_on_hyphens=False)) or text
    lines, line, width = [], "", 0
    for token in re.findall(r"[A-Za-z0-9_.%+\-]+|\s+|.", text):
        size = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in token)
        if width + size > columns and line.strip() and token[0] not in NO_LINE_START:
            carried = line[-1] if line[-1] in NO_LINE_END else ""  # an opening mark goes with what it opens
            lines.append(line[: len(line) - len(carried)].rstrip())
            line, width = ("", 0) if token.isspace() else (carried + token, 2 * len(carried) + size)
            continue
        line, width = line + token, width + size
    lines.append(line.rstrip())
    return "\n".join(lines)


def _thresholds_for(name: str, given: Mapping[str, tuple[float, float]] | None) -> tuple[float, float]:
    """A configuration's (learning, independence) thresholds; the defaults if it is not a loadable scenario."""
    if given and name in given:
        return given[name]
    try:
        params = load_scenario(name).params
    except ScenarioError:
        params = Parameters()
    return params.learning_threshold, params.independence_threshold


def _draw_stage_bands(ax, learning: float, independence: float) -> None:
    """Shade the index ranges of the three stages behind the data, so a line's stage reads at a glance."""
    edges = (0.0, learning, independence, 1.0)
    for stage, low, high in zip(STAGES, edges[:-1], edges[1:], strict=True):
        ax.axhspan(low, high, color=STAGE_COLOURS[stage], zorder=0, linewidth=0)


def _index_quantiles(runs: pd.DataFrame) -> pd.DataFrame:
    """Median and 10-90% band of the index over seeds, month by month."""
    by_step = runs.groupby("step")["self_governance_index"]
    low, high = BAND_QUANTILES
    return pd.DataFrame({"median": by_step.median(), "low": by_step.quantile(low), "high": by_step.quantile(high)})


def _reach_note(runs: pd.DataFrame, lang: str = "en") -> str:
    """How many seeds ended up independent and when: the number a reader looks for first."""
    _ = gettext_for(lang)
    firsts = runs.loc[runs["stage"] == "independence"].groupby("replicate")["step"].min()
    n_seeds = runs["replicate"].nunique()
    stage = stage_name("independence", lang)
    if firsts.empty:
        return _("{stage}: 0/{seeds} seeds").format(stage=stage, seeds=n_seeds)
    return _("{stage}: {reached}/{seeds} seeds, median year {year:.1f}").format(
        stage=stage, reached=len(firsts), seeds=n_seeds, year=firsts.median() / 12
    )


def _draw_panel(ax, name: str, runs: pd.DataFrame, thresholds: tuple[float, float], lang: str = "en") -> None:
    """One configuration: stage bands, the 10-90% band across seeds, and the median line."""
    _draw_stage_bands(ax, *thresholds)
    q = _index_quantiles(runs)
    years = q.index.to_numpy() / 12
    ax.fill_between(years, q["low"], q["high"], color=LINE_COLOUR, alpha=0.25, linewidth=0, zorder=2)
    ax.plot(years, q["median"], color=LINE_COLOUR, linewidth=1.8, zorder=3)
    ax.set_title(configuration_name(name, lang), fontsize=11, loc="left")
    ax.text(0.98, 0.03, _reach_note(runs, lang), transform=ax.transAxes, ha="right", va="bottom", fontsize=8, zorder=4)
    ax.set_xlim(years[0], years[-1] if len(years) > 1 else 1)
    ax.set_ylim(0, 1)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))  # whole years; no clash between panels
    ax.grid(True, color="white", linewidth=0.6, zorder=1)


def _legend_handles(lang: str = "en") -> list:
    """Legend entries for the stage bands and the two data layers."""
    _ = gettext_for(lang)
    handles: list = [
        Patch(facecolor=STAGE_COLOURS[s], label=_("{stage} stage").format(stage=stage_name(s, lang))) for s in STAGES
    ]
    low, high = BAND_QUANTILES
    handles.append(Line2D([], [], color=LINE_COLOUR, linewidth=1.8, label=_("median over seeds")))
    handles.append(Patch(facecolor=LINE_COLOUR, alpha=0.25,
                         label=_("{low:.0%}-{high:.0%} of seeds").format(low=low, high=high)))  # fmt: skip
    return handles


def _label_axes(grid, n_used: int, lang: str = "en") -> None:
    """Hide unused panels and label the lowest used panel of each column, which may sit above an empty slot."""
    nrows, ncols = grid.shape
    for i, ax in enumerate(grid.ravel()):
        if i >= n_used:
            ax.set_visible(False)
    _ = gettext_for(lang)
    for ax in grid[:, 0]:
        ax.set_ylabel(_("self-governance index"))
    for col in range(ncols):
        used = [grid[row, col] for row in range(nrows) if row * ncols + col < n_used]
        if used:
            used[-1].set_xlabel(_("years"))
            used[-1].xaxis.set_tick_params(labelbottom=True)


def plot_comparison(
    trajectories: pd.DataFrame,
    path: str | Path | None = None,
    thresholds: Mapping[str, tuple[float, float]] | None = None,
    lang: str = "en",
) -> Figure:
    """One panel per configuration: the self-governance index over years, with spread across seeds.

    ``trajectories`` has a row per run and month with ``configuration``, ``replicate``, ``step``, ``stage`` and
    ``self_governance_index`` (:func:`.compare.compare_scenarios`, or a sweep's series joined to its summary).
    ``thresholds`` maps a configuration to its (learning, independence) thresholds when runs used overridden
    values; otherwise they are read from the scenario file. Saved to ``path`` if given.
    ``lang`` 'zh' draws it in Chinese (:class:`simulation.fonts.FontError` when no Chinese font is installed).
    """
    _ = gettext_for(lang)
    names = list(dict.fromkeys(trajectories["configuration"]))
    if not names:
        raise ValueError("no trajectories to plot")
    ncols = min(MAX_COLUMNS, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig = new_figure((4.2 * ncols, 3.0 * nrows + 0.8), lang)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        runs = trajectories.loc[trajectories["configuration"] == name]
        _draw_panel(ax, name, runs, _thresholds_for(name, thresholds), lang)
    _label_axes(axes.reshape(nrows, ncols), len(names), lang)
    fig.legend(handles=_legend_handles(lang), loc="outside lower center", ncols=5, frameon=False, fontsize=9)
    fig.suptitle(_("Self-governance index by configuration"), fontsize=13)
    return finish(fig, path, dpi=150)


def plot_calibration(
    generations: pd.DataFrame,
    priors: Mapping[str, tuple[float, float]],
    history: pd.DataFrame,
    path: str | Path | None = None,
    lang: str = "en",
) -> Figure:
    """ABC-SMC diagnostics: each parameter's weighted distribution per generation, and epsilon per generation.

    Later generations are drawn darker; a posterior that is still as wide as the
    prior (the x range) means the targets do not pin that parameter down. ``lang`` 'zh' draws the
    labels in Chinese (parameters keep their identifiers).
    """
    _ = gettext_for(lang)
    names = list(priors)
    columns = min(len(names) + 1, CALIBRATION_COLUMNS)
    rows = math.ceil((len(names) + 1) / columns)
    fig = new_figure((3.6 * columns, 3.0 * rows), lang)
    grid = fig.subplots(rows, columns, squeeze=False).ravel()
    for spare in grid[len(names) + 1 :]:
        spare.set_visible(False)
    axes = grid[: len(names) + 1]
    last = int(generations["generation"].max())
    cmap = matplotlib.colormaps["Blues"]
    for ax, name in zip(axes, names, strict=False):
        low, high = priors[name]
        for t, particles in generations.groupby("generation"):
            shade = cmap(0.3 + 0.7 * (t / last if last else 1.0))
            ax.hist(
                particles[name],
                bins=20,
                range=(low, high),
                weights=particles["weight"],
                density=True,
                histtype="step" if t < last else "stepfilled",
                color=shade,
                alpha=1.0 if t < last else 0.7,
                label=_("generation {number}").format(number=t) if t in (0, last) else None,
            )
        ax.set_xlim(low, high)
        ax.xaxis.set_major_locator(MaxNLocator(4))  # small rates have long tick labels that would overlap
        ax.set_xlabel(name)
        ax.set_yticks([])
    axes[0].set_ylabel(_("posterior density"))
    axes[0].legend(frameon=False, fontsize="small")
    ax = axes[-1]
    ax.plot(history["generation"], history["epsilon"], marker="o", color=LINE_COLOUR)
    if (history["epsilon"] > 0).all():  # a bound target that every particle meets brings epsilon to 0
        ax.set_yscale("log")
    ax.set_xlabel(_("generation"))
    ax.set_ylabel(_("distance threshold ε"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(_("ABC-SMC calibration"))
    return finish(fig, path)


def plot_predictive(
    predictive: pd.DataFrame,
    checks: Mapping[str, Mapping],
    path: str | Path | None = None,
    lang: str = "en",
) -> Figure:
    """Posterior predictive check: per statistic, the runs' values against what the survey says.

    A point target is a line; a bound shades the side that meets it; the grey band is the runs' 90% interval.
    ``checks`` is :func:`simulation.experiments.calibration.predictive_summary`'s result.
    """
    _ = gettext_for(lang)
    names = list(checks)
    fig = new_figure((3.6 * len(names), 3.0), lang)
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names, strict=True):
        check = checks[name]
        low, high = check["ci90"]
        ax.axvspan(low, high, color="0.85", label=_("90% of runs"))
        ax.hist(predictive[name], bins=15, color=LINE_COLOUR, alpha=0.8)
        if check["side"] == "equal":
            ax.axvline(check["value"], color="#d62728", label=_("survey"))
        else:
            edge = 1.0 if check["side"] == "at_least" else 0.0
            ax.axvspan(min(check["value"], edge), max(check["value"], edge), color="#d62728", alpha=0.12,
                       label=_("survey (bound)"))  # fmt: skip
            ax.axvline(check["value"], color="#d62728", linestyle="--")
        role = _("target") if check["role"] == "target" else _("not a target")
        ax.set_title(f"{name}\n({role})", fontsize="small")
        ax.set_xlim(0, 1)
        ax.set_yticks([])
    axes[0].set_ylabel(_("runs"))
    axes[0].legend(frameon=False, fontsize="small")
    fig.suptitle(_("posterior predictive check"))
    return finish(fig, path)
