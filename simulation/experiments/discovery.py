"""Scenario discovery: which regions of parameter space lead to an outcome.

After a sweep, the question is rarely "which parameter matters most" (that is
sensitivity analysis) but "under which conditions does a community reach
independence within the horizon?". PRIM (the Patient Rule Induction Method,
Friedman and Fisher 1999; Bryant and Lempert 2010) answers with boxes, ranges
of a few parameters, inside which the outcome is frequent (*density*) and
which hold most of the runs that reach it (*coverage*). Boxes read as policy
statements, so each comes with a plain-words sentence.

PRIM is taken from ema_workbench (a required dependency), which is maintained
by the group that published scenario discovery. A decision tree from
scikit-learn (``method="tree"``, asked for by name) gives the same kind of
answer as rules.

ema_workbench 3.0 quirks handled here:

- importing it warns that ipyparallel is missing and calls
  ``seaborn.set_palette``, changing matplotlib's colours for the whole
  process; the import is lazy, quiet and wrapped in ``rc_context``;
- it uses pandas features that pandas 3 deprecates (``inplace=``) and warns
  on every run; those warnings are silenced for its modules only;
- its ``Prim`` no longer takes a density ``threshold``: the box is chosen
  here from the peeling trajectory (the largest coverage with density at
  least ``threshold``, then the highest density);
- it peels only float64, int32/int64 and non-numeric columns, and silently
  ignores any other numeric dtype (float32, nullable Int64); and it pastes box
  edges halfway between whole numbers (20.5), which pandas refuses to write
  into an int64 column: numeric columns are converted to float64 first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from ..i18n import gettext_for
from .atomic import write_csv, write_text
from .plots import finish, new_figure, wrap

METHODS = ("prim", "tree")
DEFAULT_LABEL = "independence within the horizon"
BOX_COLUMNS = ["box", "parameter", "low", "high", "values", "coverage", "density", "mass", "n_runs"]
MAX_BOXES = 3
TREE_DEPTH = 3
MAX_RULE_LINES = 40
TITLE_COLUMNS = 64  # terminal columns of a line of the scatter panel's title (about its width at 10 pt)

HIT_COLOUR = "#2f7c4b"
MISS_COLOUR = "#bbbbbb"
BOX_COLOUR = "#c0392b"


@dataclass(frozen=True)
class Box:
    """One region: limits of the restricted parameters and how good a description it is."""

    limits: dict[str, tuple[float, float]]  # numeric parameter -> (low, high); NaN = that side unrestricted
    categories: dict[str, tuple[str, ...]]  # categorical parameter -> the values allowed
    coverage: float
    density: float
    mass: float
    n_runs: int
    strict_low: bool = False  # tree splits are "x > t"; PRIM limits are data values, "x >= t"

    @property
    def parameters(self) -> list[str]:
        return [*self.limits, *self.categories]


@dataclass(frozen=True)
class Discovery:
    """What scenario discovery found, in a table and in words.

    ``boxes`` has one row per (box, restricted parameter): ``low``/``high``
    for numbers (NaN where a side is not restricted), ``values`` for
    categories, and the box's coverage, density and mass repeated on each row.
    """

    method: str
    summary: str
    boxes: pd.DataFrame
    base_rate: float
    n_runs: int
    threshold: float
    label: str
    regions: tuple[Box, ...] = ()
    trajectory: pd.DataFrame | None = None  # PRIM's peeling trajectory of the first box
    selected: int | None = None  # the trajectory row chosen
    rules: str | None = None  # the decision tree as text
    closest: Box | None = None  # when no box reaches the threshold: the densest PRIM found
    # (runs present, runs planned) of a sweep read before it was finished: the summary says so first
    incomplete: tuple[int, int] | None = None

    @property
    def found(self) -> bool:
        return bool(self.regions)

    def __str__(self) -> str:
        return self.summary


# --- input ---------------------------------------------------------------------------------------


def _check_outcome(outcome: Any, n_rows: int) -> np.ndarray:
    """The outcome as a boolean array; anything that is not clearly yes/no is refused."""
    values = pd.Series(outcome).reset_index(drop=True)
    if len(values) != n_rows:
        raise ValueError(f"outcome has {len(values)} values but X has {n_rows} runs")
    if values.isna().any():
        raise ValueError(f"outcome has {int(values.isna().sum())} missing value(s); every run needs True or False")
    if values.dtype == bool:
        return values.to_numpy(dtype=bool)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any() or not numbers.isin([0, 1]).all():
        raise ValueError("outcome must be boolean (True where the run reached the outcome), or 0/1")
    return numbers.to_numpy() == 1


def _prepare_x(X: Any) -> pd.DataFrame:
    """Parameters as float64 or categorical columns, dtypes PRIM peels and pastes."""
    if not isinstance(X, pd.DataFrame):
        raise ValueError(f"X must be a pandas DataFrame of parameters, got {type(X).__name__}")
    if X.shape[1] == 0 or len(X) == 0:
        raise ValueError("X must have at least one parameter column and one run")
    missing = [str(c) for c in X.columns if X[c].isna().any()]
    if missing:
        raise ValueError(f"X has missing values in: {', '.join(missing)}")
    prepared = {}
    for column in X.columns:
        values = X[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            prepared[str(column)] = values.astype(str).astype("category")
        else:
            # Whole-number parameters too: ema_workbench's PRIM pastes a box edge halfway between two values
            # (20.5) and pandas refuses to write that into an int64 column (TypeError while pasting).
            prepared[str(column)] = values.astype(np.float64)
    return pd.DataFrame(prepared).reset_index(drop=True)


def _numeric_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if not isinstance(X[c].dtype, pd.CategoricalDtype)]


# --- words ---------------------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:.3g}"


def _conditions(box: Box, lang: str = "en") -> list[str]:
    """Each restriction as a short phrase: "feedback >= 0.52", "mode is supportive or directive"."""
    _ = gettext_for(lang)
    phrases = []
    low_op = ">" if box.strict_low else ">="
    for name, (low, high) in box.limits.items():
        if np.isnan(high):
            phrases.append(f"{name} {low_op} {_number(low)}")
        elif np.isnan(low):
            phrases.append(f"{name} <= {_number(high)}")
        else:
            phrases.append(f"{_number(low)} {'<' if box.strict_low else '<='} {name} <= {_number(high)}")
    for name, allowed in box.categories.items():
        phrases.append(_("{name} is {values}").format(name=name, values=_(" or ").join(allowed)))
    return phrases


def _join(phrases: list[str], lang: str = "en") -> str:
    _ = gettext_for(lang)
    if len(phrases) == 1:
        return phrases[0]
    return _("{items} and {last}").format(items=_(", ").join(phrases[:-1]), last=phrases[-1])


def _box_sentence(label: str, box: Box, lang: str = "en") -> str:
    _ = gettext_for(lang)
    return _("{label} is reached in {density:.0%} of runs (coverage {coverage:.0%}) when {conditions} ({mass:.0%} of "
             "all runs fall in this box).").format(
        label=label[0].upper() + label[1:], density=box.density, coverage=box.coverage,
        conditions=_join(_conditions(box, lang), lang), mass=box.mass)  # fmt: skip


def _summary(label: str, rate: float, n: int, regions: list[Box] | tuple[Box, ...], threshold: float,
             closest: Box | None, lang: str = "en") -> str:  # fmt: skip
    """The base rate, one sentence per box, and when there is none, why not and how close the search came."""
    _ = gettext_for(lang)
    lines = [_("Across all {n} runs, {label} is reached in {rate:.0%}.").format(n=n, label=label, rate=rate)]
    if regions and rate >= threshold:
        lines.append(_("That is already above the {threshold:.0%} threshold; the boxes show where it is most "
                       "certain.").format(threshold=threshold))  # fmt: skip
    if len(regions) == 1:
        lines.append(_box_sentence(label, regions[0], lang))
    else:  # later boxes are searched among the runs earlier boxes left, so say which is which
        lines += [_("Box {number}: {sentence}").format(number=i, sentence=_box_sentence(label, box, lang))
                  for i, box in enumerate(regions, start=1)]  # fmt: skip
    if regions:
        lines.append(_("(Coverage: the share of all runs reaching {label} that fall in the box.)").format(label=label))
    elif rate >= threshold:
        lines.append(
            _(
                "That is already above the {threshold:.0%} threshold, so no restriction of the parameters is "
                "needed; raise the threshold to see where it is most likely."
            ).format(threshold=threshold)
        )
    else:
        lines.append(_("No region was found where {label} is reached in at least {threshold:.0%} of runs.").format(
            label=label, threshold=threshold))  # fmt: skip
        if closest is not None:
            lines.append(
                _(
                    "The densest box found reaches it in {density:.0%} of runs when {conditions} ({mass:.0%} of "
                    "all runs). Lower the threshold, add runs, or try the decision tree (method 'tree'), which "
                    "can separate regions that PRIM's peeling cannot."
                ).format(density=closest.density, conditions=_join(_conditions(closest, lang), lang), mass=closest.mass)
            )
    return "\n".join(lines)


def _trivial_summary(label: str, hits: np.ndarray, lang: str = "en") -> str | None:
    """The plain answer when there is nothing to discover: the outcome is never or always reached."""
    _ = gettext_for(lang)
    n, head = len(hits), label[0].upper() + label[1:]
    if not hits.any():
        return _("{label} is not reached in any of the {n} runs: there is no region of parameter space to "
                 "describe.").format(label=head, n=n)  # fmt: skip
    if hits.all():
        return _("{label} is reached in all {n} runs: no parameter region is needed to explain it.").format(
            label=head, n=n)  # fmt: skip
    return None


def describe(discovery: Discovery, lang: str = "en") -> str:
    """What a discovery found, in plain words in ``lang`` (its ``summary`` is this text in the language it was made in).

    The outcome's name is ``discovery.label``: give a discovery with a label in the reader's language
    (``dataclasses.replace(found, label=...)``) for a summary wholly in that language.
    """
    warning = incomplete_warning(discovery.incomplete, lang)
    if discovery.base_rate in (0.0, 1.0):  # never or always reached: nothing to discover
        text = _trivial_summary(discovery.label, np.full(discovery.n_runs, discovery.base_rate == 1.0), lang) or ""
    else:
        text = _summary(discovery.label, discovery.base_rate, discovery.n_runs, discovery.regions,
                        discovery.threshold, discovery.closest, lang)  # fmt: skip
    return f"{warning}\n{text}" if warning else text


def incomplete_warning(incomplete: tuple[int, int] | None, lang: str = "en") -> str:
    """One line when the runs come from a sweep that is not finished (``(present, planned)``), else ''.

    A sweep still being written, or stopped, holds the runs that finished first, which need not be spread over
    the design like all of them: the regions found may change once it is complete.
    """
    if incomplete is None or incomplete[0] >= incomplete[1]:
        return ""
    _ = gettext_for(lang)
    return _("warning: the sweep is incomplete, {present} of its {planned} planned runs are present (still running, "
             "or stopped): these regions describe only those runs").format(
        present=incomplete[0], planned=incomplete[1])  # fmt: skip


def _boxes_table(regions: list[Box]) -> pd.DataFrame:
    rows = []
    for i, box in enumerate(regions, start=1):
        stats = {"coverage": box.coverage, "density": box.density, "mass": box.mass, "n_runs": box.n_runs}
        for name, (low, high) in box.limits.items():
            rows.append({"box": i, "parameter": name, "low": low, "high": high, "values": None, **stats})
        for name, allowed in box.categories.items():
            rows.append(
                {"box": i, "parameter": name, "low": np.nan, "high": np.nan, "values": ", ".join(allowed), **stats}
            )
    return pd.DataFrame(rows, columns=BOX_COLUMNS)


def _box_from_mask(inside: np.ndarray, hits: np.ndarray, limits, categories, strict_low: bool = False) -> Box:
    """Coverage, density and mass of the runs inside a region, counted on the data itself."""
    n_in = int(inside.sum())
    k = int((inside & hits).sum())
    return Box(
        limits=limits,
        categories=categories,
        coverage=k / max(int(hits.sum()), 1),
        density=k / max(n_in, 1),
        mass=n_in / len(hits),
        n_runs=n_in,
        strict_low=strict_low,
    )


# --- PRIM ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_ema() -> Iterator[None]:
    """Silence ema_workbench's import notices and pandas deprecation warnings, and keep matplotlib's style."""
    import matplotlib as mpl

    with warnings.catch_warnings(), mpl.rc_context():
        warnings.filterwarnings("ignore", message=".*ipyparallel.*")
        warnings.filterwarnings("ignore", module=r"ema_workbench(\..*)?$")
        yield


def _import_prim():
    with _quiet_ema():
        from ema_workbench.analysis import prim
    return prim


def _prim_limits(box_lim: pd.DataFrame, box_init: pd.DataFrame, X: pd.DataFrame) -> tuple[dict, dict]:
    """Restricted parameters of a PRIM box: numeric (low, high) with NaN for an untouched side, and category sets."""
    limits, categories = {}, {}
    for name in box_init.columns:
        low, high = box_lim.loc[0, name], box_lim.loc[1, name]
        init_low, init_high = box_init.loc[0, name], box_init.loc[1, name]
        if isinstance(X[name].dtype, pd.CategoricalDtype):
            if set(low) != set(init_low):
                categories[name] = tuple(sorted(str(v) for v in low))
        elif low != init_low or high != init_high:
            limits[name] = (float(low) if low != init_low else np.nan, float(high) if high != init_high else np.nan)
    return limits, categories


def _choose(trajectory: pd.DataFrame, threshold: float) -> int | None:
    """The trajectory row to report: largest coverage with density >= threshold, then highest density.

    Coverage often stays flat while peeling removes only misses, so the tie
    break keeps the box that is as pure as possible at the same coverage.
    """
    good = trajectory[trajectory["density"] >= threshold]
    if good.empty:
        return None
    ranked = good.sort_values(["coverage", "density", "res_dim"], ascending=[False, False, True], kind="stable")
    return int(ranked.index[0])


def _in_region(X: pd.DataFrame, limits: dict, categories: dict, strict_low: bool = False) -> np.ndarray:
    inside = np.ones(len(X), dtype=bool)
    for name, (low, high) in limits.items():
        values = X[name].to_numpy(dtype=float)
        if not np.isnan(low):
            inside &= values > low if strict_low else values >= low
        if not np.isnan(high):
            inside &= values <= high
    for name, allowed in categories.items():
        inside &= X[name].astype(str).isin(allowed).to_numpy()
    return inside


def _run_prim(X, hits, threshold, peel_alpha, paste_alpha, mass_min, max_boxes):
    """Find up to ``max_boxes`` boxes, each on the runs the earlier boxes left; stop at the first that fails."""
    prim = _import_prim()
    regions, trajectory, selected, densest = [], None, None, None
    with _quiet_ema():
        finder = prim.Prim(X, hits.copy(), peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
        for _ in range(max_boxes):
            box = finder.find_box()
            if box is None:
                break
            path = box.peeling_trajectory.reset_index(drop=True)
            if trajectory is None:
                trajectory = path
            choice = _choose(path, threshold)
            if choice is None or path.loc[choice, "res_dim"] == 0:
                if not regions:
                    densest = _densest(box, path, finder.box_init, X, hits)
                break
            box.select(choice)
            selected = choice if selected is None else selected
            limits, categories = _prim_limits(box.box_lims[choice], finder.box_init, X)
            regions.append(_box_from_prim(path.loc[choice], limits, categories))
    return regions, trajectory, selected, densest


def _box_from_prim(row: pd.Series, limits: dict, categories: dict) -> Box:
    return Box(limits, categories, float(row["coverage"]), float(row["density"]), float(row["mass"]), int(row["n"]))


def _densest(box, path: pd.DataFrame, box_init: pd.DataFrame, X: pd.DataFrame, hits: np.ndarray) -> Box | None:
    """The densest restricted box on a trajectory, to say how close PRIM came when nothing met the threshold."""
    restricted = path[path["res_dim"] > 0]
    if restricted.empty:
        return None
    i = int(restricted.sort_values(["density", "coverage"], ascending=False, kind="stable").index[0])
    limits, categories = _prim_limits(box.box_lims[i], box_init, X)
    return _box_from_prim(path.loc[i], limits, categories)


# --- decision tree -------------------------------------------------------------------------------


def _one_hot(X: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """Numbers as they are, each category as a 0/1 column; remembers which column is which category."""
    parts, origin = [], {}
    for name in X.columns:
        if isinstance(X[name].dtype, pd.CategoricalDtype):
            for value in X[name].cat.categories:
                column = f"{name}={value}"
                parts.append((X[name] == value).astype(float).rename(column))
                origin[column] = (name, str(value))
        else:
            parts.append(X[name].astype(float))
    return pd.concat(parts, axis=1), origin


def _leaf_paths(tree) -> dict[int, list[tuple[int, bool, float]]]:
    """For each leaf, the splits leading to it: (feature, went_right, threshold)."""
    t = tree.tree_
    paths: dict[int, list[tuple[int, bool, float]]] = {}
    stack: list[tuple[int, list[tuple[int, bool, float]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        if t.children_left[node] == t.children_right[node]:
            paths[node] = path
            continue
        feature, cut = int(t.feature[node]), float(t.threshold[node])
        stack.append((int(t.children_left[node]), [*path, (feature, False, cut)]))
        stack.append((int(t.children_right[node]), [*path, (feature, True, cut)]))
    return paths


def _leaf_region(path, features: list[str], origin: dict, X: pd.DataFrame) -> tuple[dict, dict]:
    """A leaf's splits as numeric limits and allowed categories."""
    limits: dict[str, list[float]] = {}
    allowed: dict[str, set[str]] = {}
    for feature, right, cut in path:
        column = features[feature]
        if column in origin:
            name, value = origin[column]
            current = allowed.setdefault(name, {str(v) for v in X[name].cat.categories})
            allowed[name] = {value} & current if right else current - {value}
            continue
        low, high = limits.setdefault(column, [np.nan, np.nan])
        if right:
            limits[column][0] = cut if np.isnan(low) else max(low, cut)
        else:
            limits[column][1] = cut if np.isnan(high) else min(high, cut)
    all_categories = {name: {str(v) for v in X[name].cat.categories} for name in allowed}
    categories = {n: tuple(sorted(v)) for n, v in allowed.items() if v != all_categories[n]}
    ordered = {n: (limits[n][0], limits[n][1]) for n in X.columns if n in limits}  # same order as PRIM's
    return ordered, categories


def _run_tree(X, hits, threshold, mass_min, max_boxes, max_depth, seed):
    """Leaves of a shallow tree where the outcome is frequent, largest coverage first, and the tree as text."""
    from sklearn.tree import DecisionTreeClassifier, export_text

    encoded, origin = _one_hot(X)
    features = list(encoded.columns)
    min_leaf = max(1, int(round(mass_min * len(X))))
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_leaf, random_state=seed)
    tree.fit(encoded.to_numpy(), hits)
    regions = []
    for path in _leaf_paths(tree).values():
        limits, categories = _leaf_region(path, features, origin, X)
        if not limits and not categories:
            continue
        box = _box_from_mask(_in_region(X, limits, categories, strict_low=True), hits, limits, categories, True)
        if box.density >= threshold:
            regions.append(box)
    regions.sort(key=lambda b: (-b.coverage, -b.density))
    rules = export_text(tree, feature_names=features, show_weights=True, decimals=3)
    return regions[:max_boxes], rules


# --- the entry point -----------------------------------------------------------------------------


def discover(
    X: pd.DataFrame,
    outcome: Any,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    *,
    method: str = "prim",
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    max_boxes: int = MAX_BOXES,
    max_depth: int = TREE_DEPTH,
    label: str = DEFAULT_LABEL,
    seed: int = 0,
) -> Discovery:
    """Regions of parameter space where ``outcome`` is frequent, as a table and plain words.

    ``X`` holds one row per run (the parameters varied); ``outcome`` is True
    where the run reached the outcome (rows matched by position). A region is
    reported when the outcome is reached in at least ``threshold`` of its
    runs; PRIM peels ``peel_alpha`` of the runs per step and keeps boxes of
    at least ``mass_min`` of all runs. ``method="tree"`` uses a scikit-learn
    decision tree instead.
    """
    if method not in METHODS:
        raise ValueError(f"unknown discovery method '{method}'; choose one of: {', '.join(METHODS)}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold is a share of runs, between 0 and 1; got {threshold}")
    if not 0 < peel_alpha < 1:
        raise ValueError(f"peel_alpha is a share of runs, between 0 and 1; got {peel_alpha}")
    frame = _prepare_x(X)
    hits = _check_outcome(outcome, len(frame))
    rate, n = float(hits.mean()), len(hits)
    common: dict[str, Any] = {"base_rate": rate, "n_runs": n, "threshold": threshold, "label": label}
    trivial = _trivial_summary(label, hits)
    if trivial is not None:
        return Discovery(method, trivial, _boxes_table([]), **common)
    if method == "tree":
        regions, rules = _run_tree(frame, hits, threshold, mass_min, max_boxes, max_depth, seed)
        summary = _summary(label, rate, n, regions, threshold, None)
        return Discovery(method, summary, _boxes_table(regions), regions=tuple(regions), rules=rules, **common)
    regions, trajectory, selected, densest = _run_prim(
        frame, hits, threshold, peel_alpha, paste_alpha, mass_min, max_boxes
    )
    summary = _summary(label, rate, n, regions, threshold, densest)
    return Discovery(
        method,
        summary,
        _boxes_table(regions),
        regions=tuple(regions),
        trajectory=trajectory,
        selected=selected,
        closest=None if regions else densest,
        **common,
    )


# --- figure --------------------------------------------------------------------------------------


def _shrinkage(box: Box, X: pd.DataFrame) -> dict[str, float]:
    """How much of each numeric parameter's range a box keeps (smaller = more restricted)."""
    kept = {}
    for name, (low, high) in box.limits.items():
        lo_all, hi_all = float(X[name].min()), float(X[name].max())
        lo = lo_all if np.isnan(low) else low
        hi = hi_all if np.isnan(high) else high
        kept[name] = (hi - lo) / (hi_all - lo_all) if hi_all > lo_all else 1.0
    return kept


def _axes_parameters(discovery: Discovery, X: pd.DataFrame) -> list[str]:
    """The two parameters to plot: the most restricted numeric ones of the first box, then others in order."""
    numeric = _numeric_columns(X)
    chosen = []
    if discovery.regions:
        kept = _shrinkage(discovery.regions[0], X)
        chosen = sorted(kept, key=kept.__getitem__)[:2]
    chosen += [c for c in numeric if c not in chosen]
    return sorted(chosen[:2], key=numeric.index)


def _draw_box(ax, box: Box, X: pd.DataFrame, px: str, py: str, number: int, lang: str = "en") -> None:
    """The box's extent on the two plotted parameters; its other restrictions go into the legend."""
    _ = gettext_for(lang)

    def span(name: str) -> tuple[float, float]:
        low, high = box.limits.get(name, (np.nan, np.nan))
        lo_all, hi_all = float(X[name].min()), float(X[name].max())
        return (lo_all if np.isnan(low) else low), (hi_all if np.isnan(high) else high)

    (x0, x1), (y0, y1) = span(px), span(py)
    label = _("box {number}: reached in {density:.0%} (coverage {coverage:.0%})").format(
        number=number, density=box.density, coverage=box.coverage)  # fmt: skip
    elsewhere = _off_axes(box, {px, py})
    if elsewhere is not None and number > 1:  # box 1's are in the title
        needs = _(",\n  also needs {conditions}").format(conditions=_join(_conditions(elsewhere, lang), lang))
        first, *rest = needs.split("\n")  # the legend's later lines are indented by two spaces
        label += first + "".join("\n  " + part for line in rest for part in wrap(line.strip(), TITLE_COLUMNS, lang)
                                 .split("\n"))  # fmt: skip
    style = "-" if number == 1 else "--"
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=BOX_COLOUR, lw=2, ls=style, label=label))


def _off_axes(box: Box | None, shown: set[str]) -> Box | None:
    """The part of a box that restricts parameters not on the plot's axes (None if there is none)."""
    if box is None:
        return None
    limits = {k: v for k, v in box.limits.items() if k not in shown}
    categories = {k: v for k, v in box.categories.items() if k not in shown}
    if not limits and not categories:
        return None
    return dataclasses.replace(box, limits=limits, categories=categories)


def _draw_scatter(ax, discovery: Discovery, X: pd.DataFrame, hits: np.ndarray, lang: str = "en") -> None:
    """Runs on the two most restricted parameters, coloured by outcome, with the boxes drawn over them.

    Runs outside the first box's restrictions on other parameters are faded,
    so that the box is judged on the runs it actually holds.
    """
    _ = gettext_for(lang)
    params = _axes_parameters(discovery, X)
    if not params:
        ax.text(0.5, 0.5, _("no numeric parameter to plot"), ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    px = params[0]
    py = params[1] if len(params) > 1 else None
    xs = X[px].to_numpy(dtype=float)
    ys = X[py].to_numpy(dtype=float) if py else np.random.default_rng(0).uniform(-0.4, 0.4, len(X)) + hits
    hidden = _off_axes(discovery.regions[0] if discovery.regions else None, set(params))
    shown = _in_region(X, hidden.limits, hidden.categories, hidden.strict_low) if hidden else np.ones(len(X), bool)
    for mask, colour, label in ((~hits, MISS_COLOUR, _("not reached")), (hits, HIT_COLOUR, _("reached"))):
        ax.scatter(xs[mask & shown], ys[mask & shown], s=8, color=colour, label=label, linewidths=0)
        ax.scatter(xs[mask & ~shown], ys[mask & ~shown], s=8, color=colour, alpha=0.2, linewidths=0)
    if py:
        for number, box in enumerate(discovery.regions, start=1):
            _draw_box(ax, box, X, px, py, number, lang)
    ax.set_xlabel(px)
    ax.set_ylabel(py or _("outcome (jittered)"))
    title = _("{method}: runs reaching {label}").format(
        method="PRIM" if discovery.method == "prim" else _("Decision tree"), label=discovery.label)  # fmt: skip
    if hidden:
        title += "\n" + _("box 1 also needs {conditions} (other runs faded)").format(
            conditions=_join(_conditions(hidden, lang), lang))  # fmt: skip
    elif not discovery.regions:
        title += "\n" + _("(no box found)")
    # Wrapped to the panel's width: a box restricting four or five parameters made a line wider than the figure,
    # cut off at its left edge and running into the next panel's title.
    ax.set_title("\n".join(wrap(line, TITLE_COLUMNS, lang) for line in title.split("\n")), fontsize="medium")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, fontsize="small", markerscale=2)


def _draw_trajectory(ax, discovery: Discovery, lang: str = "en") -> None:
    """PRIM's trade-off: each peeling step trades coverage for density; the chosen box is ringed."""
    _ = gettext_for(lang)
    path = discovery.trajectory
    assert path is not None  # drawn for PRIM only, which records one
    points = ax.scatter(path["coverage"], path["density"], c=path["res_dim"], cmap="viridis", s=18)
    bar = ax.figure.colorbar(points, ax=ax, label=_("parameters restricted"))
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    if discovery.selected is not None:
        row = path.loc[discovery.selected]
        ax.scatter([row["coverage"]], [row["density"]], s=120, facecolors="none", edgecolors=BOX_COLOUR, linewidths=2)
    ax.axhline(discovery.threshold, color="0.4", linestyle=":", linewidth=1)
    ax.text(0.02, discovery.threshold, " " + _("threshold {threshold:.0%}").format(threshold=discovery.threshold),
            va="bottom", fontsize="small")  # fmt: skip
    ax.set_xlabel(_("coverage (share of all hits in the box)"))
    ax.set_ylabel(_("density (share of the box's runs that hit)"))
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(_("Peeling trajectory of box 1"), fontsize="medium")


def _draw_rules(ax, rules: str, lang: str = "en") -> None:
    _ = gettext_for(lang)
    lines = rules.splitlines()
    if len(lines) > MAX_RULE_LINES:
        lines = [*lines[:MAX_RULE_LINES], _("... ({count} more lines)").format(count=len(lines) - MAX_RULE_LINES)]
    ax.text(0, 1, "\n".join(lines), family="monospace", fontsize=7, va="top", transform=ax.transAxes)
    ax.set_axis_off()
    ax.set_title(_("Decision tree"), fontsize="medium")


def plot_discovery(discovery: Discovery, X: pd.DataFrame, outcome: Any, path: str | Path | None = None,
                   lang: str = "en") -> Figure:  # fmt: skip
    """The boxes over the runs (two most restricted parameters) and PRIM's trajectory or the tree's rules.

    Bare Figure with the Agg canvas, as in ``plots.py``; saved as PNG when ``path`` is given. ``lang`` 'zh'
    draws it in Chinese (the outcome's name is ``discovery.label``; parameters keep their identifiers).
    """
    frame = _prepare_x(X)
    hits = _check_outcome(outcome, len(frame))
    second = discovery.trajectory is not None or discovery.rules is not None
    fig = new_figure((11 if second else 6, 5), lang)
    axes = fig.subplots(1, 2 if second else 1, squeeze=False)[0]
    _draw_scatter(axes[0], discovery, frame, hits, lang)
    warning = incomplete_warning(discovery.incomplete, lang)
    if warning:
        fig.suptitle(wrap(warning, 2 * TITLE_COLUMNS if second else TITLE_COLUMNS, lang), fontsize="medium",
                     color=BOX_COLOUR)  # fmt: skip
    if discovery.trajectory is not None:
        _draw_trajectory(axes[1], discovery, lang)
    elif discovery.rules is not None:
        _draw_rules(axes[1], discovery.rules, lang)
    return finish(fig, path)


def write_discovery(discovery: Discovery, X: pd.DataFrame, outcome: Any, out_dir: str | Path,
                    lang: str = "en") -> dict[str, Path]:  # fmt: skip
    """``discovery_boxes.csv``, ``discovery.txt`` (the summary, and the tree's rules) and ``discovery.png``.

    ``lang`` is the language of the summary and the figure (the CSV keeps the identifiers).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"boxes": out / "discovery_boxes.csv", "summary": out / "discovery.txt", "figure": out / "discovery.png"}
    write_csv(discovery.boxes, paths["boxes"], index=False)
    summary = discovery.summary if lang == "en" else describe(discovery, lang)
    text = summary + ("\n\n" + discovery.rules if discovery.rules else "")
    write_text(paths["summary"], text + "\n")
    plot_discovery(discovery, X, outcome, paths["figure"], lang)
    return paths
