"""Global sensitivity analysis of any summary output, with SALib.

Which parameters drive an outcome, alone (first order) or through interactions
(total order)? Sobol' indices answer that with confidence intervals; the
cheaper Morris screening ranks parameters when runs are too costly for Sobol'.

The analysis works on a design (:mod:`simulation.experiments.designs` draws it, as a sweep does) and the
outputs at its points, not on the model itself: that keeps it testable against functions whose indices are
known analytically, and lets a sweep on any executor supply the evaluations. :func:`analyze` gives tidy
tables of indices with confidence intervals, read as the design was drawn (method, second order, levels), so
the analysis cannot contradict the sampling; :func:`plot_indices` and :func:`write_results` a bar chart and
CSV files.

SALib quirks handled here (SALib 1.6):

- ``SALib.analyze.sobol`` seeds its bootstrap only ``if seed:``, so ``seed=0``
  silently falls back to NumPy's global random state; a ``Generator`` is
  passed instead so every seed, 0 included, reproduces the intervals.
- A constant output makes SALib divide by a zero standard deviation and report
  indices of 0; here they are NaN with a warning, since they are undefined.
- ``saltelli`` sampling is deprecated: only ``SALib.sample.sobol`` is used.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..i18n import gettext_for
from .atomic import write_csv
from .designs import DEFAULT_NUM_LEVELS, DEFAULT_SECOND_ORDER, Design, Problem
from .plots import finish, new_figure

METHODS = ("morris", "sobol")

SCALAR_OUTPUT = "y"

SOBOL_COLUMNS = ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
MORRIS_COLUMNS = ["output", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
SECOND_ORDER_COLUMNS = ["output", "parameter_1", "parameter_2", "S2", "S2_conf"]

S1_COLOUR = "#2f4b7c"
ST_COLOUR = "#f28e2b"
MAX_COLUMNS = 3


# --- analysis ------------------------------------------------------------------------------------


def _outputs_frame(Y: Any) -> pd.DataFrame:
    """Outputs as a DataFrame with one column per output, whatever shape they came in."""
    if isinstance(Y, pd.DataFrame):
        frame = Y.reset_index(drop=True)
    elif isinstance(Y, pd.Series):
        frame = Y.reset_index(drop=True).to_frame(Y.name if Y.name is not None else SCALAR_OUTPUT)
    else:
        arr = np.asarray(Y, dtype=float)
        if arr.ndim == 1:
            frame = pd.DataFrame({SCALAR_OUTPUT: arr})
        elif arr.ndim == 2:
            frame = pd.DataFrame(arr, columns=[f"{SCALAR_OUTPUT}{i}" for i in range(arr.shape[1])])
        else:
            raise ValueError(f"outputs must be one- or two-dimensional, got shape {arr.shape}")
    frame.columns = [str(c) for c in frame.columns]
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = int((~np.isfinite(values)).sum())
        if bad:
            raise ValueError(
                f"output '{column}' has {bad} missing or non-finite value(s); every run needs a number "
                "(for a time to an event that never happens, use the horizon, for example)"
            )
        frame[column] = values
    return frame


def _warn_constant(output: str) -> None:
    warnings.warn(f"output '{output}' is the same in every run: its Sobol' indices are undefined (NaN)", stacklevel=3)


def _sobol_one(
    problem: Problem, output: str, y: np.ndarray, seed: int | None, second: bool
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """First/total (and second-order) indices of one output as tidy tables."""
    from SALib.analyze import sobol as sobol_analyze

    names = list(problem.names)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    if np.ptp(y) == 0:
        _warn_constant(output)
        nan = [np.nan] * len(names)
        first = pd.DataFrame({"S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan})
        s2 = np.full((len(names), len(names)), np.nan)
        s2_conf = s2
    else:
        # A Generator, not the int: SALib ignores a falsy seed (0) and would use the global state.
        rng = np.random.default_rng(seed)
        result = sobol_analyze.analyze(problem.to_salib(), y, calc_second_order=second, seed=rng)
        first = pd.DataFrame({k: result[k] for k in ("S1", "S1_conf", "ST", "ST_conf")})
        if second:  # otherwise s2 is not read: the function returns first
            s2, s2_conf = result["S2"], result["S2_conf"]
    first.insert(0, "parameter", names)
    first.insert(0, "output", output)
    if not second:
        return first, None
    index = {name: i for i, name in enumerate(names)}
    pair_rows = [(output, a, b, float(s2[index[a], index[b]]), float(s2_conf[index[a], index[b]])) for a, b in pairs]
    return first, pd.DataFrame(pair_rows, columns=SECOND_ORDER_COLUMNS)


def _morris_one(
    problem: Problem, output: str, X: np.ndarray, y: np.ndarray, seed: int | None, num_levels: int
) -> pd.DataFrame:
    """Morris elementary-effect statistics of one output as a tidy table."""
    from SALib.analyze import morris as morris_analyze

    rng = np.random.default_rng(seed)
    result = morris_analyze.analyze(problem.to_salib(), X, y, seed=rng, num_levels=num_levels)
    table = pd.DataFrame({k: np.asarray(result[k], dtype=float) for k in ("mu", "mu_star", "mu_star_conf", "sigma")})
    table.insert(0, "parameter", list(problem.names))
    table.insert(0, "output", output)
    return table


def analyze(design: Design, outputs: Any, seed: int | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Tidy indices of a Sobol' or Morris design's outputs, one row per (output, parameter), and the pairs.

    Sobol': ``S1, S1_conf, ST, ST_conf`` (the ``_conf`` columns are the half-widths of the bootstrap
    confidence interval, 95%). Morris: ``mu, mu_star, mu_star_conf, sigma`` in output units per full
    parameter range. The second table holds the second-order Sobol' indices (one row per output and
    parameter pair) of a design drawn with ``calc_second_order``, else it is None. ``outputs`` is an array,
    a Series or a DataFrame with one column per output, one row per design point. ``seed`` fixes the
    bootstrap, so intervals are reproducible.
    """
    if design.method not in METHODS or design.problem is None or design.matrix is None:
        raise ValueError(f"a {design.method} design has no sensitivity indices; choose one of: {', '.join(METHODS)}")
    frame = _outputs_frame(outputs)
    if len(frame) != len(design):
        raise ValueError(f"outputs have {len(frame)} rows but the design has {len(design)} runs")
    problem, X = design.problem, design.matrix
    if design.method == "morris":
        levels = design.options.get("num_levels", DEFAULT_NUM_LEVELS)
        tables = [_morris_one(problem, col, X, frame[col].to_numpy(), seed, levels) for col in frame]
        return pd.concat(tables, ignore_index=True)[MORRIS_COLUMNS], None
    second = bool(design.options.get("calc_second_order", DEFAULT_SECOND_ORDER))
    pieces = [_sobol_one(problem, col, frame[col].to_numpy(), seed, second) for col in frame]
    first = pd.concat([p[0] for p in pieces], ignore_index=True)[SOBOL_COLUMNS]
    return first, pd.concat([p[1] for p in pieces], ignore_index=True) if second else None


# --- what a design is too small to say ------------------------------------------------------------

# An interval wider than its index says the parameter's effect is unknown only when the interval is wide on the
# index's own scale: a parameter without effect has an index near 0 and, in a good design, a small interval around
# it that may well be "wider" than the index. Sobol': a share of the output's variance (an interval beyond +-0.1
# cannot tell an effect of a tenth of the variance from none); Morris: a share of the output's largest mu*.
UNRESOLVED_WIDTH = 0.1
SOBOL_INDICES = ("S1", "ST")


def row_caveats(table: pd.DataFrame) -> pd.Series:
    """Per row of an indices table, why its numbers cannot be read as they stand ('' when they can).

    A Sobol' or Morris interval wider than its index (and wide, :data:`UNRESOLVED_WIDTH`); a Sobol' index
    outside [0, 1], which a share of variance cannot be, by more than its interval. Both mean the design is too
    small for the output's noise; they are written beside the numbers (the CSV's ``caveat`` column).
    """
    notes: list[list[str]] = [[] for _ in range(len(table))]
    if _method_of(table) == "sobol":
        for index in SOBOL_INDICES:
            value, conf = table[index].to_numpy(dtype=float), table[f"{index}_conf"].to_numpy(dtype=float)
            wide = (conf >= np.abs(value)) & (conf > UNRESOLVED_WIDTH)
            outside = (value + conf < 0) | (value - conf > 1)
            for i in np.flatnonzero(wide):
                notes[i].append(f"{index} interval wider than the index")
            for i in np.flatnonzero(outside):
                notes[i].append(f"{index} outside [0, 1] beyond its interval")
    else:
        outputs = table["output"] if "output" in table.columns else pd.Series(SCALAR_OUTPUT, index=table.index)
        largest = table["mu_star"].groupby(outputs).transform("max").to_numpy(dtype=float)
        value, conf = table["mu_star"].to_numpy(dtype=float), table["mu_star_conf"].to_numpy(dtype=float)
        for i in np.flatnonzero((conf >= value) & (conf > UNRESOLVED_WIDTH * largest)):
            notes[i].append("mu_star interval wider than mu_star")
    return pd.Series(["; ".join(n) for n in notes], index=table.index, dtype=object)


def design_caveat(table: pd.DataFrame, lang: str = "en") -> str:
    """One line saying the design is too small for these indices (how many rows and why), or '' when it is not.

    Printed under the table by the ``sensitivity`` command: a quick design (``--samples 16``) gives indices
    of 1.19 and below 0 with intervals wider than themselves, which read as findings unless said.
    """
    _ = gettext_for(lang)
    caveats = row_caveats(table)
    wide = int(caveats.str.contains("wider").sum())
    outside = int(caveats.str.contains("outside").sum())
    if not wide and not outside:
        return ""
    clauses = []
    if wide:
        clauses.append(_("in {rows} of {total} rows a confidence interval is wider than its index").format(
            rows=wide, total=len(table)))  # fmt: skip
    if outside:
        clauses.append(_("in {rows} of {total} rows an index lies outside [0, 1] by more than its interval").format(
            rows=outside, total=len(table)))  # fmt: skip
    sentence = _("caveat: {clauses}: the design is too small for those rows' numbers (more samples narrow the "
                 "intervals)")  # fmt: skip
    return sentence.format(clauses=_("; ").join(clauses))


# --- output --------------------------------------------------------------------------------------


def _method_of(table: pd.DataFrame) -> str:
    if {"S1", "ST"} <= set(table.columns):
        return "sobol"
    if "mu_star" in table.columns:
        return "morris"
    raise ValueError("table has neither Sobol' (S1, ST) nor Morris (mu_star) columns")


def _panel_grid(n_panels: int) -> tuple[int, int]:
    cols = min(n_panels, MAX_COLUMNS)
    return math.ceil(n_panels / cols), cols


def _draw_sobol(ax, part: pd.DataFrame, lang: str = "en") -> None:
    """S1 and ST side by side per parameter, error bars = confidence half-widths."""
    _ = gettext_for(lang)
    y = np.arange(len(part))
    height = 0.38
    for offset, index, colour, label in ((-height / 2, "S1", S1_COLOUR, _("S1 (first order)")),
                                         (height / 2, "ST", ST_COLOUR, _("ST (total)"))):  # fmt: skip
        ax.barh(y + offset, part[index], height, xerr=part[f"{index}_conf"], color=colour, label=label,
                error_kw={"elinewidth": 1, "capsize": 2})  # fmt: skip
    ax.set_xlabel(_("Sobol' index (share of output variance)"))


def _draw_morris(ax, part: pd.DataFrame, lang: str = "en") -> None:
    """mu* with its confidence half-width; sigma as a marker (large sigma: non-linear or interacting)."""
    _ = gettext_for(lang)
    y = np.arange(len(part))
    ax.barh(
        y,
        part["mu_star"],
        0.6,
        xerr=part["mu_star_conf"],
        color=S1_COLOUR,
        label=_("μ* (mean |effect|)"),
        error_kw={"elinewidth": 1, "capsize": 2},
    )
    ax.plot(part["sigma"], y, "D", color=ST_COLOUR, markerfacecolor="none", label=_("σ (spread of effects)"))
    ax.set_xlabel(_("elementary effect (output units per full range)"))


def plot_indices(table: pd.DataFrame, path: str | Path | None = None, lang: str = "en") -> Figure:
    """Bar chart of the indices, one panel per output; saved as PNG when ``path`` is given.

    Built on a bare Figure (:func:`.plots.new_figure`): no display and no pyplot state needed, and the figure
    still shows in a notebook.
    ``lang`` 'zh' draws the labels and the outputs' names in Chinese (parameters keep their
    identifiers; :class:`simulation.fonts.FontError` when no Chinese font is installed).
    """
    from ..names import output_name

    _ = gettext_for(lang)
    method = _method_of(table)
    if "output" not in table.columns:
        table = table.assign(output=SCALAR_OUTPUT)
    outputs = list(dict.fromkeys(table["output"]))
    params = list(dict.fromkeys(table["parameter"]))
    rows, cols = _panel_grid(len(outputs))
    height = max(2.2, 0.42 * len(params) + 1.3)
    fig = new_figure((4.6 * cols + 1.2, height * rows), lang)
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
    for ax, output in zip(axes.flat, outputs, strict=False):
        part = table[table["output"] == output].set_index("parameter").reindex(params).reset_index()
        (_draw_sobol if method == "sobol" else _draw_morris)(ax, part, lang)
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.set_yticks(np.arange(len(params)), params)
        ax.set_title(output_name(output, lang))
        ax.grid(axis="x", color="0.9")
        ax.set_axisbelow(True)
    for ax in axes.flat[len(outputs) :]:
        ax.set_visible(False)
    axes.flat[0].invert_yaxis()  # once: the axes share y, so inverting each would flip it back and forth
    handles, labels = axes.flat[0].get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i].startswith("σ"))  # bars first, markers after
    handles, labels = [handles[i] for i in order], [labels[i] for i in order]
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize="small")
    title = _("Sobol' indices (95% confidence)") if method == "sobol" else _("Morris screening (95% confidence on μ*)")
    fig.suptitle(title)
    return finish(fig, path)


def write_results(
    table: pd.DataFrame,
    out_dir: str | Path,
    method: str,
    second_order: pd.DataFrame | None = None,
    lang: str = "en",
) -> dict[str, Path]:
    """Write ``{method}_indices.csv`` and ``.png`` (and the pair table if given); return the paths.

    The CSV has the table's columns and ``caveat``: per row, :func:`row_caveats` (empty when the numbers can be read).

    ``lang`` is the figure's language; the CSV files keep the identifiers.
    """
    if method not in METHODS:
        raise ValueError(f"unknown sensitivity method '{method}'; choose one of: {', '.join(METHODS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"indices": out / f"{method}_indices.csv", "figure": out / f"{method}_indices.png"}
    # Each row says beside its numbers when the design is too small to read them (empty when it is not).
    write_csv(table.assign(caveat=row_caveats(table)), paths["indices"], index=False)
    plot_indices(table, paths["figure"], lang)
    if second_order is not None:
        paths["second_order"] = out / f"{method}_second_order.csv"
        write_csv(second_order, paths["second_order"], index=False)
    return paths
