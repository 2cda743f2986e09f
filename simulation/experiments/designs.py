"""Parameter designs: which points of parameter space a sweep runs.

A sweep file's ``[vary]`` table names the parameters to vary and a
``[design]`` table says how to cover them:

* ``grid`` (the default): the full factorial of the listed levels. A level list
  is ``[a, b, c]`` or an evenly spaced range ``{start, stop, num}``.
* ``lhs``: a Latin hypercube of ``samples`` points within ``{low, high}`` bounds,
  for exploring a space too large for a grid.
* ``sobol``: Saltelli's extension of the Sobol' sequence with base sample
  ``samples`` (a power of two), for Sobol' sensitivity indices.
* ``morris``: ``samples`` elementary-effects trajectories on ``num_levels``
  levels, for screening many parameters cheaply.

The sampled designs are drawn with SALib, and the design keeps its
:class:`Problem` and SALib's raw sample matrix, so that a sensitivity analysis can hand
exactly these back to SALib's analysers and map each design point (row) to
the runs made at it. Every draw is seeded from the sweep seed, so a sweep file
always gives the same points.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import pandas as pd

from ..validation import Rule, ValidationError, check, check_keys, reported_as, require

METHODS = ("grid", "lhs", "sobol", "morris")
# [design] keys each method accepts ('method' itself is always allowed)
METHOD_OPTIONS: dict[str, tuple[str, ...]] = {
    "grid": (),
    "lhs": ("samples",),
    "sobol": ("samples", "calc_second_order"),
    "morris": ("samples", "num_levels"),
}
RANGE_KEYS = ("start", "stop", "num")
BOUND_KEYS = ("low", "high", "integer")
DEFAULT_NUM_LEVELS = 4
COUNT, FINITE, FLAG = Rule("int", low=1), Rule("float"), Rule("bool")  # the checks of simulation.validation
# Second-order Sobol' indices nearly double the number of runs; for a costly model first and total order are
# what is read first, so they are opt-in.
DEFAULT_SECOND_ORDER = False
# Spawn key of the design's random stream. Runs use one-element keys (their index), so a two-element key can
# never coincide with a run's stream.
DESIGN_STREAM = (0x5EED, 0xDE51)


class DesignError(ValidationError):
    """A [vary] or [design] entry that cannot make a design; the message is one line."""


class Spaced(Sequence[Any]):
    """``num`` evenly spaced values from ``start`` to ``stop`` (both included), computed on demand.

    A range ``{start, stop, num}`` is never expanded into a list: its length, ends and integrality are
    known arithmetically, so a huge ``num`` can be counted and refused (or dry-run) without the memory.
    Integers stay integers when both ends are integers and the spacing is whole, as in ``numpy.linspace``.
    """

    def __init__(self, start: float, stop: float, num: int) -> None:
        self.start, self.stop, self.num = start, stop, num
        whole_ends = isinstance(start, int) and isinstance(stop, int)
        self.integer = whole_ends and (num == 1 or (stop - start) % (num - 1) == 0)

    def __len__(self) -> int:
        return self.num

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Any]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.num))]
        if i < 0:
            i += self.num
        if not 0 <= i < self.num:
            raise IndexError(i)
        if self.num == 1:
            return self.start if self.integer else float(self.start)
        if self.integer:
            return self.start + (self.stop - self.start) // (self.num - 1) * i
        if i == self.num - 1:  # numpy.linspace's formula, i * step + start, with the last value set to stop
            return float(self.stop)
        return float(i * ((self.stop - self.start) / (self.num - 1)) + self.start)

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(self.num))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Spaced):
            return (self.start, self.stop, self.num) == (other.start, other.stop, other.num)
        return isinstance(other, Sequence) and len(other) == self.num and list(self) == list(other)

    def __hash__(self) -> int:
        return hash((self.start, self.stop, self.num))

    def __repr__(self) -> str:
        return f"Spaced(start={self.start!r}, stop={self.stop!r}, num={self.num})"


@dataclass(frozen=True)
class Levels:
    """A parameter varied over listed values (grid designs): a tuple, or a :class:`Spaced` range."""

    name: str
    values: Sequence[Any]

    def ends(self) -> tuple[Any, ...]:
        """The values that bound all others: every listed value, or a range's two ends (it is monotone)."""
        if isinstance(self.values, Spaced):
            return (self.values[0], self.values[-1])
        return tuple(self.values)

    @property
    def dtype(self) -> str:
        """The column type of its values in a results table (pandas' nullable types)."""
        if isinstance(self.values, Spaced):
            return "Int64" if self.values.integer else "float64"
        kind = _kind(self.values[0])
        if kind == "numbers":
            return "Int64" if all(isinstance(v, int) for v in self.values) else "float64"
        return {"true/false": "boolean", "text": "string"}[kind]


@dataclass(frozen=True)
class Bounds:
    """A parameter sampled uniformly within [low, high] (sampled designs); integer ones are rounded."""

    name: str
    low: float
    high: float
    integer: bool = False

    @property
    def dtype(self) -> str:
        """The column type of its values in a results table: integer parameters are rounded."""
        return "Int64" if self.integer else "float64"


Factor = Levels | Bounds


@dataclass(frozen=True)
class Problem:
    """The parameters a sampled design varies and their ranges (uniform between low and high), as SALib reads them.

    Checked on creation: a design made by hand fails at once rather than inside SALib.
    """

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        names, bounds = tuple(map(str, self.names)), tuple((float(low), float(high)) for low, high in self.bounds)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "bounds", bounds)
        if len(names) != len(bounds):
            raise ValueError(f"{len(names)} parameter names but {len(bounds)} bounds")
        if repeated := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"parameter names repeated: {', '.join(repeated)}")
        for name, (low, high) in zip(names, bounds, strict=True):
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"bounds of '{name}' must be finite numbers with low < high, got ({low}, {high})")

    @classmethod
    def from_salib(cls, problem: Mapping[str, Any]) -> Problem:
        """From SALib's ``{"names": [...], "bounds": [[low, high], ...]}``, as a manifest keeps it."""
        try:
            return cls(tuple(problem["names"]), tuple(tuple(b) for b in problem["bounds"]))
        except (KeyError, TypeError):
            raise ValueError("a SALib problem needs 'names' and 'bounds' lists") from None

    def to_salib(self) -> dict[str, Any]:
        """The dictionary SALib's samplers and analysers expect."""
        return {"num_vars": len(self.names), "names": list(self.names), "bounds": [list(b) for b in self.bounds]}


@dataclass(frozen=True)
class DesignSpec:
    """A checked [design] table."""

    method: str = "grid"
    samples: int | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The canonical form stored in the manifest (and hashed to recognise the sweep)."""
        out: dict[str, Any] = {"method": self.method}
        if self.samples is not None:
            out["samples"] = self.samples
        out.update(self.options)
        return out


@dataclass(frozen=True)
class Design:
    """The design points of a sweep.

    Attributes:
        method: grid, lhs, sobol or morris.
        names: the varied parameters, in [vary] order (the columns of ``matrix``).
        points: one row per design point (row i is point i), one column per parameter, holding the values
            the model receives (integer parameters rounded).
        problem: the parameters and their bounds (:class:`Problem`) for sampled designs, else None.
        matrix: SALib's raw sample matrix (points x parameters) for sampled designs, else None; pass it as
            ``X`` to SALib's analysers.
        options: the [design] options used (samples, calc_second_order, num_levels).
    """

    method: str
    names: tuple[str, ...]
    points: pd.DataFrame
    problem: Problem | None = None
    matrix: np.ndarray | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.points)

    def all_point_params(self) -> list[dict[str, Any]]:
        """Every point's parameter values as plain Python values (what the model is called with), in point order."""
        columns = {name: [plain(v) for v in self.points[name].tolist()] for name in self.names}
        return [{name: columns[name][i] for name in self.names} for i in range(len(self.points))]


# --- parsing the sweep file --------------------------------------------------------------


def parse_design(table: Any) -> DesignSpec:
    """Check a [design] table: the method and the options that method takes."""
    if table is None:
        return DesignSpec()
    if not isinstance(table, dict):
        raise DesignError('[design] must be a table, e.g. [design] method = "lhs"')
    method = table.get("method", "grid")
    if method not in METHODS:
        raise DesignError(f"[design] method = {method!r} is not known; choose one of: {', '.join(METHODS)}")
    allowed = METHOD_OPTIONS[method]
    for key in table:
        if key != "method" and key not in allowed:
            valid = ", ".join(("method", *allowed))
            raise DesignError(f"[design] {key!r} does not apply to method {method!r}; valid keys: {valid}")
    if method == "grid":
        return DesignSpec()
    with reported_as(DesignError):
        samples = _positive_int(table.get("samples"), "[design] samples", required=True)
        options = {"sobol": _sobol_options, "morris": _morris_options}.get(method, lambda _t, _s: {})(table, samples)
    return DesignSpec(method, samples, options)


def _sobol_options(table: dict[str, Any], samples: int) -> dict[str, Any]:
    if samples & (samples - 1):
        raise DesignError(
            f"[design] samples = {samples}: Sobol' base samples must be a power of two (e.g. 64, 128, 256); "
            "Saltelli's sample loses its balance otherwise"
        )
    return {"calc_second_order": check(table.get("calc_second_order", DEFAULT_SECOND_ORDER), FLAG,
                                       "[design] calc_second_order")}  # fmt: skip


def _morris_options(table: dict[str, Any], samples: int) -> dict[str, Any]:
    if samples < 2:
        raise DesignError(f"[design] samples = {samples}: Morris needs at least 2 trajectories")
    levels = _positive_int(table.get("num_levels", DEFAULT_NUM_LEVELS), "[design] num_levels", required=True)
    if levels < 2 or levels % 2:
        raise DesignError(f"[design] num_levels = {levels}: Morris needs an even number of levels, at least 2")
    return {"num_levels": levels}


def parse_factor(name: str, spec: Any, method: str, integer: bool = False) -> Factor:
    """Turn one [vary] entry into levels (grid) or bounds (sampled designs).

    ``integer`` marks a parameter known to take whole numbers (e.g. from the model's parameter table): its
    sampled values are rounded.
    """
    where = f"[vary] {name}"
    with reported_as(DesignError):
        return _parse_factor(name, spec, method, integer, where)


def _parse_factor(name: str, spec: Any, method: str, integer: bool, where: str) -> Factor:
    if method == "grid":
        if isinstance(spec, list):
            return Levels(name, _check_levels(spec, where))
        if isinstance(spec, dict):
            return Levels(name, _range_levels(spec, where))
        raise DesignError(f"{where}: give a list of values or a range {{start, stop, num}}, got {spec!r}")
    if isinstance(spec, dict):
        return _bounds(name, spec, where, integer)
    raise DesignError(
        f"{where}: method {method!r} samples within bounds; give {{low = ..., high = ...}}, got {spec!r} "
        '(lists of values are for method = "grid")'
    )


def _check_levels(values: list[Any], where: str) -> tuple[Any, ...]:
    """Levels must be plain scalars of one kind, without repeats (a repeat would only double the work)."""
    if not values:
        raise DesignError(f"{where}: the list of values is empty")
    for value in values:
        if isinstance(value, (list, dict)):
            raise DesignError(f"{where}: values must be numbers, text or true/false, got {value!r}")
    kinds = {_kind(v) for v in values}
    if len(kinds) > 1:
        raise DesignError(f"{where}: values mix {' and '.join(sorted(kinds))}: {values!r}")
    if len(set(values)) != len(values):
        raise DesignError(f"{where}: values repeat: {values!r}")
    return tuple(values)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "numbers"
    return "text"


def _range_levels(spec: dict[str, Any], where: str) -> Spaced:
    """{start, stop, num}: num evenly spaced values from start to stop, both included (not expanded here)."""
    _check_keys(spec, RANGE_KEYS, where, required=RANGE_KEYS)
    start, stop = _number(spec["start"], f"{where} start"), _number(spec["stop"], f"{where} stop")
    num = _positive_int(spec["num"], f"{where} num", required=True)
    if num > 1 and start == stop:
        raise DesignError(f"{where}: start and stop are both {start}; give different ends or a single value")
    return Spaced(start, stop, num)


def _bounds(name: str, spec: dict[str, Any], where: str, integer: bool) -> Bounds:
    _check_keys(spec, BOUND_KEYS, where, required=("low", "high"))
    low, high = _number(spec["low"], f"{where} low"), _number(spec["high"], f"{where} high")
    if low >= high:
        raise DesignError(f"{where}: low ({low:g}) must be below high ({high:g})")
    flag = check(spec.get("integer", integer), FLAG, f"{where} integer")
    return Bounds(name, float(low), float(high), flag or integer)


def _check_keys(spec: dict[str, Any], allowed: tuple[str, ...], where: str, required: tuple[str, ...]) -> None:
    check_keys(spec, allowed, f"in {where}")
    require(spec, required, where, dict.fromkeys(required, f"needs {', '.join(required)}"))


def _number(value: Any, where: str) -> float:
    check(value, FINITE, where)
    return value  # as written: a range of whole numbers stays whole


def _positive_int(value: Any, where: str, required: bool = False) -> int:
    if value is None and required:
        raise DesignError(f"{where} is missing (a whole number, at least 1)")
    return check(value, COUNT, where)


# --- building the points -----------------------------------------------------------------


def n_points(spec: DesignSpec, factors: list[Factor]) -> int:
    """How many design points the design has, without drawing it."""
    k = len(factors)
    if spec.method == "grid":
        return math.prod(len(f.values) for f in factors if isinstance(f, Levels))
    assert spec.samples is not None
    if spec.method == "lhs":
        return spec.samples
    if spec.method == "sobol":
        return spec.samples * (2 * k + 2 if spec.options.get("calc_second_order", DEFAULT_SECOND_ORDER) else k + 2)
    return spec.samples * (k + 1)  # morris


def run_seed(entropy: int | Sequence[int], *key: int) -> int:
    """A seed of its own for each run and draw: stream ``key`` of ``entropy`` (a sweep's seed, or a calibration's
    seed with what it simulates), independent of executor and completion order.

    Runs of a sweep use one-element keys (their index), the design :data:`DESIGN_STREAM`.
    """
    return int(np.random.SeedSequence(entropy, spawn_key=key).generate_state(1)[0])


def build_design(spec: DesignSpec, factors: list[Factor], sweep_seed: int = 0) -> Design:
    """Draw the design: the grid's full factorial, or SALib's sample within the bounds."""
    names = tuple(f.name for f in factors)
    if spec.method == "grid":
        levels = [tuple(f.values) for f in factors if isinstance(f, Levels)]
        rows = list(itertools.product(*levels))
        points = pd.DataFrame(rows, columns=list(names)) if names else pd.DataFrame(index=range(1))
        return Design("grid", names, _typed(points), options=spec.as_dict())
    if not factors:
        raise DesignError(f"[vary] is empty: method {spec.method!r} needs at least one parameter with {{low, high}}")
    bounds = [f for f in factors if isinstance(f, Bounds)]
    problem = Problem(names, tuple((b.low, b.high) for b in bounds))
    matrix = sample_matrix(spec, problem, run_seed(sweep_seed, *DESIGN_STREAM))
    columns = {}
    for j, b in enumerate(bounds):
        column = matrix[:, j]
        columns[b.name] = np.rint(column).astype(np.int64) if b.integer else column.astype(float)
    return Design(spec.method, names, pd.DataFrame(columns), problem, matrix, spec.as_dict())


def sample_matrix(spec: DesignSpec, problem: Problem, seed: int) -> np.ndarray:
    """SALib's sample for the method: rows are design points, columns the parameters in problem order."""
    if spec.method not in ("lhs", "sobol", "morris"):
        raise DesignError(f"method {spec.method!r} is not a sampled design")
    assert spec.samples is not None  # parse_design requires it of every sampled method
    return draw(spec.method, problem.to_salib(), spec.samples, seed, **spec.options)


def draw(method: str, problem: dict[str, Any], n: int, seed: int | None, **options: Any) -> np.ndarray:
    """SALib's sampler for ``method`` ('lhs', 'sobol' or 'morris'): the one place the project draws a design.

    ``n`` is the number of points (lhs), the base sample (sobol) or of trajectories (morris); ``options`` go
    to SALib's sampler (``calc_second_order`` defaults to :data:`DEFAULT_SECOND_ORDER`, ``num_levels`` to
    :data:`DEFAULT_NUM_LEVELS`). Sweeps call it through :func:`build_design`.
    """
    if method == "lhs":
        from SALib.sample import latin

        return np.asarray(latin.sample(problem, n, seed=seed, **options), dtype=float)
    if method == "sobol":
        from SALib.sample import sobol

        second = bool(options.pop("calc_second_order", DEFAULT_SECOND_ORDER))
        return np.asarray(sobol.sample(problem, n, calc_second_order=second, seed=seed, **options), dtype=float)
    from SALib.sample import morris

    options.setdefault("num_levels", DEFAULT_NUM_LEVELS)
    return np.asarray(morris.sample(problem, n, seed=seed, **options), dtype=float)


def _typed(points: pd.DataFrame) -> pd.DataFrame:
    """Give text levels a string dtype so the design file and the summaries agree on types."""
    for name in points.columns:
        if points[name].dtype == object or pd.api.types.is_string_dtype(points[name]):
            points[name] = points[name].astype("string")
    return points


def plain(value: Any) -> Any:
    """numpy and pandas scalars as the plain Python values a model's keywords (and a results row) expect."""
    if isinstance(value, np.generic):
        return value.item()
    return None if value is pd.NA else value
