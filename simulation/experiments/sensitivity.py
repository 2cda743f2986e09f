"""Global sensitivity analysis of any summary output, with SALib.

Which parameters drive an outcome, alone (first order) or through interactions
(total order)? Sobol' indices answer that with confidence intervals; the
cheaper Morris screening ranks parameters when runs are too costly for Sobol'.

Everything here works on a plain Python function of a parameter dictionary,
``func({"feedback": 0.4, ...}) -> float | dict[str, float]``, not on the model
itself. That keeps the analysis testable against functions whose indices are
known analytically, and lets the model, a sweep runner or a cluster supply the
evaluations. The building blocks are

- :class:`Problem` / :func:`problem_from_bounds`: the names and ranges varied;
- :func:`sample`: the design (a NumPy array, one row per run);
- :func:`evaluate`: run a function over the design, optionally through any
  ``concurrent.futures.Executor``;
- :func:`analyze` / :func:`second_order`: tidy tables of indices with
  confidence intervals;
- :func:`sensitivity`: all of the above in one call;
- :func:`plot_indices` / :func:`write_results`: a bar chart and CSV files.

SALib quirks handled here (SALib 1.6):

- ``SALib.analyze.sobol`` seeds its bootstrap only ``if seed:``, so ``seed=0``
  silently falls back to NumPy's global random state; a ``Generator`` is
  passed instead so every seed, 0 included, reproduces the intervals.
- Sobol' sampling warns but carries on when ``n`` is not a power of 2 (the
  sequence then loses its balance properties); here that is an error.
- A constant output makes SALib divide by a zero standard deviation and report
  indices of 0; here they are NaN with a warning, since they are undefined.
- ``saltelli`` sampling is deprecated: only ``SALib.sample.sobol`` is used.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..i18n import gettext_for
from .atomic import save_figure, write_csv
from .designs import DEFAULT_NUM_LEVELS, DEFAULT_SECOND_ORDER, draw

METHODS = ("morris", "sobol")

# Options each step accepts; anything else is a typo the user should hear about.
SAMPLE_OPTIONS = {
    "sobol": {"calc_second_order", "scramble"},
    "morris": {"num_levels", "optimal_trajectories", "local_optimization"},
}
ANALYZE_OPTIONS = {
    "sobol": {"calc_second_order", "num_resamples", "conf_level"},
    "morris": {"num_levels", "num_resamples", "conf_level", "scaled"},
}
SCALAR_OUTPUT = "y"

SOBOL_COLUMNS = ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
MORRIS_COLUMNS = ["output", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
SECOND_ORDER_COLUMNS = ["output", "parameter_1", "parameter_2", "S2", "S2_conf"]

S1_COLOUR = "#2f4b7c"
ST_COLOUR = "#f28e2b"
MAX_COLUMNS = 3


# --- the problem ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """The parameters varied and their ranges (uniform between low and high).

    Checked on creation so that a typo in a specification fails before any
    model run is spent on it.
    """

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        names = tuple(str(n) for n in self.names)
        bounds = tuple((float(low), float(high)) for low, high in self.bounds)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "bounds", bounds)
        if not names:
            raise ValueError("a sensitivity problem needs at least one parameter")
        if len(names) != len(bounds):
            raise ValueError(f"{len(names)} parameter names but {len(bounds)} bounds")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"parameter names repeated: {', '.join(duplicates)}")
        for name, (low, high) in zip(names, bounds, strict=True):
            if not (math.isfinite(low) and math.isfinite(high)):
                raise ValueError(f"bounds of '{name}' must be finite numbers, got ({low}, {high})")
            if low >= high:
                raise ValueError(f"bounds of '{name}' must have low < high, got ({low}, {high})")

    @property
    def num_vars(self) -> int:
        return len(self.names)

    @classmethod
    def from_salib(cls, problem: Mapping[str, Any]) -> Problem:
        """From SALib's ``{"names": [...], "bounds": [[low, high], ...]}`` (as a sweep design keeps it)."""
        try:
            return cls(tuple(problem["names"]), tuple(tuple(b) for b in problem["bounds"]))
        except (KeyError, TypeError):
            raise ValueError("a SALib problem needs 'names' and 'bounds' lists") from None

    def to_salib(self) -> dict[str, Any]:
        """The dictionary SALib's samplers and analysers expect."""
        return {"num_vars": self.num_vars, "names": list(self.names), "bounds": [list(b) for b in self.bounds]}

    def as_dicts(self, X: np.ndarray) -> list[dict[str, float]]:
        """One parameter dictionary per row of a design, with plain floats (not NumPy scalars)."""
        X = _check_design(self, X)
        return [dict(zip(self.names, map(float, row), strict=True)) for row in X]


def problem_from_bounds(bounds: Mapping[str, tuple[float, float]]) -> Problem:
    """A :class:`Problem` from ``{"feedback": (0.0, 1.0), ...}``, in the mapping's order."""
    if not isinstance(bounds, Mapping):
        raise ValueError(f"bounds must be a mapping of name -> (low, high), got {type(bounds).__name__}")
    pairs = []
    for name, pair in bounds.items():
        try:
            low, high = pair
        except (TypeError, ValueError):
            raise ValueError(f"bounds of '{name}' must be a pair (low, high), got {pair!r}") from None
        pairs.append((low, high))
    return Problem(tuple(bounds), tuple(pairs))


# --- checks --------------------------------------------------------------------------------------


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"unknown sensitivity method '{method}'; choose one of: {', '.join(METHODS)}")
    return method


def _check_options(method: str, options: Mapping[str, Any], allowed: Iterable[str], step: str) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown option(s) for {method} {step}: {', '.join(unknown)}; valid: {', '.join(sorted(allowed))}"
        )


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _check_design(problem: Problem, X: Any) -> np.ndarray:
    """The design as a float array in ``problem.names`` order (a DataFrame is matched by column name)."""
    if isinstance(X, pd.DataFrame):
        missing = [name for name in problem.names if name not in X.columns]
        if missing:
            raise ValueError(f"samples lack the parameter column(s): {', '.join(missing)}")
        X = X[list(problem.names)]
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != problem.num_vars:
        raise ValueError(f"samples must have shape (runs, {problem.num_vars}), got {X.shape}")
    return X


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


def _sobol_second_order_from_rows(problem: Problem, rows: int, given: bool | None) -> bool:
    """Whether a Sobol' design carries second-order rows, read off its length when not given.

    A Sobol' design has ``n (2D + 2)`` rows with second order and ``n (D + 2)``
    without; with ``n`` a power of 2 only one of the two can fit, so the
    analysis cannot be run with a setting that contradicts the sampling.
    """
    d = problem.num_vars
    fits = {
        flag: rows % size == 0 and _is_power_of_two(rows // size) for flag, size in ((True, 2 * d + 2), (False, d + 2))
    }
    if given is not None:
        if not fits[given]:
            size = 2 * d + 2 if given else d + 2
            raise ValueError(
                f"{rows} runs do not form a Sobol' design with calc_second_order={given} "
                f"(expected n * {size} runs, n a power of 2)"
            )
        return given
    for flag in (True, False):
        if fits[flag]:
            return flag
    raise ValueError(
        f"{rows} runs do not form a Sobol' design for {d} parameters "
        f"(expected n * {2 * d + 2} or n * {d + 2} runs, n a power of 2)"
    )


def _check_morris_design(problem: Problem, X: np.ndarray, num_levels: int) -> None:
    """Refuse a design that is not Morris trajectories on a ``num_levels`` grid.

    SALib would fail with a reshape error on a wrong length and, worse, give
    silently rescaled effects when ``num_levels`` differs from the sampling.
    """
    d = problem.num_vars
    if len(X) == 0 or len(X) % (d + 1):
        raise ValueError(f"{len(X)} runs do not form Morris trajectories for {d} parameters (a multiple of {d + 1})")
    low, high = np.array(problem.bounds).T
    steps = (X - low) / (high - low) * (num_levels - 1)
    if not np.allclose(steps, np.round(steps), atol=1e-6):
        raise ValueError(f"the design is not on a num_levels={num_levels} grid: pass the num_levels used for sampling")


# --- sampling ------------------------------------------------------------------------------------


def sample(problem: Problem, method: str, n: int, seed: int | None, **options: Any) -> np.ndarray:
    """The design: one row per run, one column per parameter, in ``problem.names`` order.

    ``n`` is the base sample size for Sobol' (a power of 2; the design has
    ``n (D + 2)`` rows, or ``n (2D + 2)`` with ``calc_second_order=True``) and
    the number of trajectories for Morris (``n (D + 1)`` rows; option
    ``num_levels``, default 4). The same seed gives the same design.
    """
    _check_method(method)
    _check_options(method, options, SAMPLE_OPTIONS[method], "sampling")
    n = int(n)
    if method == "sobol":
        if not _is_power_of_two(n):
            lower, upper = 2 ** max(int(math.log2(max(n, 1))), 0), 2 ** math.ceil(math.log2(max(n, 1)))
            raise ValueError(f"n must be a power of 2 for Sobol' sampling, got {n} (try {lower} or {upper})")
    elif n < 2:
        raise ValueError(f"Morris sampling needs at least 2 trajectories, got n={n}")
    return draw(method, problem.to_salib(), n, seed, **options)


# --- evaluation ----------------------------------------------------------------------------------


def _as_outputs(value: Any) -> dict[str, float]:
    if isinstance(value, Mapping):
        return {str(k): float(v) for k, v in value.items()}
    return {SCALAR_OUTPUT: float(value)}


def evaluate(
    func: Callable[[dict[str, float]], float | Mapping[str, float]],
    problem: Problem,
    X: np.ndarray,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Run ``func`` on every row of the design; one output column per key it returns.

    With an executor, ``executor.map`` keeps the design's order, so results
    are identical to the serial path whatever the pool (processes, Dask,
    MPI). For process pools ``func`` must be picklable (a module-level function).
    """
    params = problem.as_dicts(X)
    results = executor.map(func, params) if executor is not None else map(func, params)
    rows = [_as_outputs(r) for r in results]
    keys = list(rows[0]) if rows else [SCALAR_OUTPUT]
    for i, row in enumerate(rows):
        if set(row) != set(keys):
            raise ValueError(f"run {i} returned outputs {sorted(row)}, but run 0 returned {sorted(keys)}")
    return pd.DataFrame(rows, columns=keys)


# --- analysis ------------------------------------------------------------------------------------


def _warn_constant(output: str) -> None:
    warnings.warn(f"output '{output}' is the same in every run: its Sobol' indices are undefined (NaN)", stacklevel=3)


def _sobol_one(
    problem: Problem, output: str, y: np.ndarray, seed: int | None, second: bool, options: Mapping[str, Any]
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
        result = sobol_analyze.analyze(problem.to_salib(), y, calc_second_order=second, seed=rng, **options)
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
    problem: Problem, output: str, X: np.ndarray, y: np.ndarray, seed: int | None, options: Mapping[str, Any]
) -> pd.DataFrame:
    """Morris elementary-effect statistics of one output as a tidy table."""
    from SALib.analyze import morris as morris_analyze

    result = morris_analyze.analyze(problem.to_salib(), X, y, seed=np.random.default_rng(seed), **options)
    table = pd.DataFrame({k: np.asarray(result[k], dtype=float) for k in ("mu", "mu_star", "mu_star_conf", "sigma")})
    table.insert(0, "parameter", list(problem.names))
    table.insert(0, "output", output)
    return table


def _analyze_tables(
    problem: Problem, method: str, X: Any, Y: Any, seed: int | None, options: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The indices table and, for second-order Sobol' designs, the pair table."""
    _check_method(method)
    _check_options(method, options, ANALYZE_OPTIONS[method], "analysis")
    X = _check_design(problem, X)
    outputs = _outputs_frame(Y)
    if len(outputs) != len(X):
        raise ValueError(f"outputs have {len(outputs)} rows but the design has {len(X)} runs")
    if method == "morris":
        options.setdefault("num_levels", DEFAULT_NUM_LEVELS)
        _check_morris_design(problem, X, options["num_levels"])
        tables = [_morris_one(problem, col, X, outputs[col].to_numpy(), seed, options) for col in outputs]
        return pd.concat(tables, ignore_index=True)[MORRIS_COLUMNS], None
    second = _sobol_second_order_from_rows(problem, len(X), options.pop("calc_second_order", None))
    pieces = [_sobol_one(problem, col, outputs[col].to_numpy(), seed, second, options) for col in outputs]
    first = pd.concat([p[0] for p in pieces], ignore_index=True)[SOBOL_COLUMNS]
    pairs = pd.concat([p[1] for p in pieces], ignore_index=True) if second else None
    return first, pairs


def analyze(problem: Problem, method: str, X: Any, Y: Any, seed: int | None, **options: Any) -> pd.DataFrame:
    """Tidy sensitivity indices, one row per (output, parameter).

    Sobol': ``S1, S1_conf, ST, ST_conf`` (the ``_conf`` columns are the
    half-widths of the bootstrap confidence interval, 95% by default). Morris:
    ``mu, mu_star, mu_star_conf, sigma`` in output units per full parameter
    range. ``Y`` is an array, a Series or a DataFrame with one column per
    output. Whether a Sobol' design has second-order rows is read off its
    length; :func:`second_order` gives those indices. ``seed`` fixes the
    bootstrap, so intervals are reproducible.
    """
    return _analyze_tables(problem, method, X, Y, seed, dict(options))[0]


def second_order(problem: Problem, X: Any, Y: Any, seed: int | None, **options: Any) -> pd.DataFrame:
    """Second-order Sobol' indices, one row per (output, parameter pair); needs a second-order design."""
    options["calc_second_order"] = True
    return _analyze_tables(problem, "sobol", X, Y, seed, options)[1]


# --- all in one ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SensitivityResult:
    """Everything a sensitivity run produced, so that it can be saved and re-analysed."""

    method: str
    problem: Problem
    samples: pd.DataFrame
    outputs: pd.DataFrame
    indices: pd.DataFrame
    second_order: pd.DataFrame | None = None

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Indices (CSV + PNG), second-order table and runs (CSV) into ``out_dir``."""
        runs = pd.concat([self.samples, self.outputs], axis=1)
        return write_results(self.indices, out_dir, self.method, second_order=self.second_order, runs=runs)


def _split_options(method: str, options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sampling and analysis options from one set; shared ones (num_levels, ...) go to both."""
    _check_options(method, options, SAMPLE_OPTIONS[method] | ANALYZE_OPTIONS[method], "sensitivity")
    for_sampling = {k: v for k, v in options.items() if k in SAMPLE_OPTIONS[method]}
    for_analysis = {k: v for k, v in options.items() if k in ANALYZE_OPTIONS[method]}
    return for_sampling, for_analysis


def sensitivity(
    func: Callable[[dict[str, float]], float | Mapping[str, float]],
    problem: Problem,
    method: str,
    n: int,
    seed: int | None,
    executor: Executor | None = None,
    **options: Any,
) -> SensitivityResult:
    """Sample, evaluate ``func`` on every sample (serially or through ``executor``) and analyse.

    ``func`` takes a parameter dictionary and returns a number or a dictionary
    of named numbers (several outputs analysed at once). Options are those of
    :func:`sample` and :func:`analyze` (``calc_second_order``, ``num_levels``,
    ``num_resamples``, ``conf_level``, ...).
    """
    _check_method(method)
    sampling, analysis = _split_options(method, options)
    X = sample(problem, method, n, seed, **sampling)
    outputs = evaluate(func, problem, X, executor=executor)
    if method == "sobol":
        analysis["calc_second_order"] = bool(sampling.get("calc_second_order", DEFAULT_SECOND_ORDER))
    indices, pairs = _analyze_tables(problem, method, X, outputs, seed, analysis)
    samples = pd.DataFrame(X, columns=list(problem.names))
    return SensitivityResult(method, problem, samples, outputs, indices, pairs)


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

    Built on a bare Figure with the Agg canvas, as in ``plots.py``: no display
    and no pyplot state needed, and the figure still shows in a notebook.
    ``lang`` 'zh' draws the labels and the outputs' names in Chinese (parameters keep their
    identifiers; :class:`simulation.fonts.FontError` when no Chinese font is installed).
    """
    from ..names import output_name

    _ = gettext_for(lang)
    if lang == "zh":
        from ..fonts import enable_chinese

        enable_chinese()
    method = _method_of(table)
    if "output" not in table.columns:
        table = table.assign(output=SCALAR_OUTPUT)
    outputs = list(dict.fromkeys(table["output"]))
    params = list(dict.fromkeys(table["parameter"]))
    rows, cols = _panel_grid(len(outputs))
    height = max(2.2, 0.42 * len(params) + 1.3)
    fig = Figure(figsize=(4.6 * cols + 1.2, height * rows), layout="constrained")
    FigureCanvasAgg(fig)
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
    if path is not None:
        save_figure(fig, path, dpi=120)
    return fig


def write_results(
    table: pd.DataFrame,
    out_dir: str | Path,
    method: str,
    second_order: pd.DataFrame | None = None,
    runs: pd.DataFrame | None = None,
    lang: str = "en",
) -> dict[str, Path]:
    """Write ``{method}_indices.csv`` and ``.png`` (and the pair table and runs if given); return the paths.

    The CSV has the table's columns and ``caveat``: per row, :func:`row_caveats` (empty when the numbers can be read).

    ``lang`` is the figure's language; the CSV files keep the identifiers.
    """
    _check_method(method)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"indices": out / f"{method}_indices.csv", "figure": out / f"{method}_indices.png"}
    # Each row says beside its numbers when the design is too small to read them (empty when it is not).
    write_csv(table.assign(caveat=row_caveats(table)), paths["indices"], index=False)
    plot_indices(table, paths["figure"], lang)
    if second_order is not None:
        paths["second_order"] = out / f"{method}_second_order.csv"
        write_csv(second_order, paths["second_order"], index=False)
    if runs is not None:
        paths["runs"] = out / f"{method}_runs.csv"
        write_csv(runs, paths["runs"], index=False)
    return paths


__all__ = [
    "METHODS",
    "Problem",
    "SensitivityResult",
    "analyze",
    "design_caveat",
    "evaluate",
    "plot_indices",
    "problem_from_bounds",
    "row_caveats",
    "sample",
    "second_order",
    "sensitivity",
    "write_results",
]
