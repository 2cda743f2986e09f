"""Parameter sweeps: many runs of a Mesa model, described by one TOML file, resumable, on any executor.

A sweep file (``sweeps/*.toml``, reference in docs/sweeps.md) names the model,
its configurations, the parameters to vary and how (a grid or a sampled
design, see :mod:`simulation.designs`), the number of seeds, the horizon and
the outputs to keep. One runner executes it on local processes, a Dask
cluster or any ``concurrent.futures.Executor`` (:mod:`simulation.executors`)
and writes results to a directory as runs finish::

    DIR/manifest.json   the sweep, package version, git commit, library versions, one entry per session
    DIR/design.parquet  the design points (and SALib's raw sample for sampled designs)
    DIR/summary/        Parquet dataset, one row per run (run_id, configuration, point, replicate, seed, ...)
    DIR/series/         Parquet dataset, per-step rows (only when [output] series = true)

Why it is built this way (the complaints about Mesa's ``batch_run`` this avoids):

* every run's seed derives from the sweep seed and the run's stable index
  (``SeedSequence(seed, spawn_key=(index,))``), so replications differ and the
  numbers never depend on the executor or the order in which runs finish;
* results stream to small Parquet parts, each written under a temporary name
  and renamed, so memory stays flat and an interrupted sweep (Ctrl-C, a dead
  worker, a crashed machine) loses nothing finished; running the same sweep
  again skips the finished runs;
* a run that raises is recorded with its error and the sweep goes on;
* all parts of a dataset share one schema (a part written before a column's
  type was known is rewritten), so ``pandas.read_parquet(DIR/summary)`` never
  silently drops a column.

Python API::

    from simulation.sweep import load_sweep, run_sweep, read_summary
    spec = load_sweep("sweeps/smoke.toml")
    result = run_sweep(spec, "results/sweeps/smoke", executor="processes")
    summary = read_summary("results/sweeps/smoke")
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import hashlib
import importlib
import inspect
import json
import math
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import tomllib
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Executor, Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from .designs import Design, DesignError, DesignSpec, Factor, Levels, build_design, n_points, parse_design, parse_factor
from .executors import ExecutorHandle, limit_threads, open_executor
from .measures import COLUMNS
from .parameters import FIELDS, ParameterError, coerce, unknown_name_error
from .runner import summarise
from .scenarios import ScenarioError, load_scenario
from .stages import STAGES

try:  # advisory lock against two sweeps writing to one directory (POSIX only)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

DEFAULT_MODEL = "simulation.model:CommunityModel"
COMMUNITY_SUMMARY = "simulation.sweep:community_summary"
GENERIC_SUMMARY = "simulation.sweep:final_values"
DEFAULT_SCENARIO = "guardian"  # CommunityModel's own default configuration
TOP_LEVEL_KEYS = (
    "description", "model", "summary", "scenarios", "configurations", "seeds", "steps", "seed",
    "fixed", "vary", "design", "output",
)  # fmt: skip
OUTPUT_KEYS = ("series", "thin", "columns")
# Columns the runner writes itself; a parameter or summary value of the same name would be ambiguous.
RUN_COLUMNS = ("run_id", "index", "configuration", "point", "replicate", "seed", "status", "error", "seconds")
RESERVED_NAMES = (*RUN_COLUMNS, "step", "rng")
TASKS_PER_SLOT = 16  # batches per worker: small enough to balance the tail, large enough to amortise overhead
MAX_BATCH = 64
FORMAT_VERSION = 1
LIBRARIES = (
    "mesa", "numpy", "pandas", "pyarrow", "scipy", "networkx", "SALib", "dask", "distributed", "tqdm",
    "threadpoolctl",
)  # fmt: skip


class SweepError(ValueError):
    """A sweep file or output directory that cannot be used; the message is one line naming the problem."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep, raised after every finished run was saved; ``result`` has the counts."""

    def __init__(self, message: str, result: SweepResult) -> None:
        super().__init__(message)
        self.result = result


# --- the sweep specification -------------------------------------------------------------


@dataclass(frozen=True)
class OutputSpec:
    """Which outputs to keep besides the per-run summary."""

    series: bool = False
    thin: int = 1
    columns: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"series": self.series, "thin": self.thin, "columns": list(self.columns)}


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep.

    Attributes:
        run_id: stable, human-readable key ("r000123"), the same in every session and on every executor.
        index: position in the sweep (configuration, then design point, then replicate).
        configuration: the configuration's name (for our model, the scenario).
        point: design point index (row of the design).
        replicate: 0 .. seeds-1.
        seed: the model's seed, derived from the sweep seed and ``index``.
        params: every keyword the model receives besides ``rng`` (fixed, configuration and varied values).
        varied: the design point's values, also written to the summary.
    """

    run_id: str
    index: int
    configuration: str
    point: int
    replicate: int
    seed: int
    params: dict[str, Any]
    varied: dict[str, Any]


def run_id(index: int) -> str:
    """The key of run ``index``: zero-padded so that files and tables sort naturally."""
    return f"r{index:06d}"


def run_seed(sweep_seed: int, index: int) -> int:
    """Run ``index``'s seed: its own stream of the sweep seed, independent of executor and completion order."""
    return int(np.random.SeedSequence(sweep_seed, spawn_key=(index,)).generate_state(1)[0])


@dataclass(frozen=True)
class SweepSpec:
    """A checked sweep: build it with :func:`load_sweep`.

    ``configurations`` maps each configuration's name to the keyword parameters it sets (for our model,
    ``{"scenario": name}``); ``fixed`` holds parameters shared by every run; ``factors`` the varied ones.
    """

    name: str
    description: str
    model: str
    summary: str
    configurations: dict[str, dict[str, Any]]
    fixed: dict[str, Any]
    vary: dict[str, Any]
    factors: tuple[Factor, ...]
    design_spec: DesignSpec
    seeds: int
    steps: int
    seed: int
    output: OutputSpec
    path: Path | None = None
    text: str | None = None

    @cached_property
    def design(self) -> Design:
        """The design points (drawn once, from the sweep seed)."""
        return build_design(self.design_spec, list(self.factors), self.seed)

    @property
    def n_points(self) -> int:
        return n_points(self.design_spec, list(self.factors))

    @property
    def n_runs(self) -> int:
        return len(self.configurations) * self.n_points * self.seeds

    def runs(self) -> list[RunSpec]:
        """Every run, in index order: configuration, then design point, then replicate."""
        points = self.design.all_point_params()
        out: list[RunSpec] = []
        for name, config in self.configurations.items():
            base = {**self.fixed, **config}
            for p, point in enumerate(points):
                for r in range(self.seeds):
                    i = len(out)
                    out.append(RunSpec(run_id(i), i, name, p, r, run_seed(self.seed, i), {**base, **point}, point))
        return out

    def canonical(self) -> dict[str, Any]:
        """The sweep as plain data: stored in the manifest and hashed to recognise the same sweep later."""
        return {
            "description": self.description,
            "model": self.model,
            "summary": self.summary,
            "configurations": self.configurations,
            "fixed": self.fixed,
            "vary": self.vary,
            "design": self.design_spec.as_dict(),
            "seeds": self.seeds,
            "steps": self.steps,
            "seed": self.seed,
            "output": self.output.as_dict(),
        }

    @property
    def fingerprint(self) -> str:
        """Hash of everything that decides the runs and their outputs (the description is free to change)."""
        data = {k: v for k, v in self.canonical().items() if k != "description"}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    def describe(self) -> str:
        """One line: how many configurations, points, seeds and runs."""
        configs = len(self.configurations)
        points = self.n_points
        return (
            f"{self.name}: {configs} configuration{'s' if configs != 1 else ''} x {points} design "
            f"point{'s' if points != 1 else ''} ({self.design_spec.method}) x {self.seeds} "
            f"seed{'s' if self.seeds != 1 else ''} = {self.n_runs} runs of {self.steps} steps"
        )


# --- loading and checking a sweep file ---------------------------------------------------


def load_sweep(source: str | Path | Mapping[str, Any], name: str | None = None) -> SweepSpec:
    """Read and check a sweep file (path) or an already-parsed sweep (mapping).

    Every problem is reported as a :class:`SweepError` with one line naming the file and the entry, before
    anything runs: a typo costs a second, not a batch.
    """
    if isinstance(source, Mapping):
        data, path, text, label = dict(source), None, None, name or "sweep"
    else:
        path = Path(source)
        text = _read_text(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise SweepError(f"{path}: not valid TOML: {err}") from None
        label = path.name
    try:
        return _parse(data, name or (path.stem if path else "sweep"), path, text)
    except (SweepError, DesignError, ParameterError, ScenarioError) as err:
        raise SweepError(f"{label}: {err}") from None


def _read_text(path: Path) -> str:
    if not path.is_file():
        hint = f"; shipped sweeps: {', '.join(p.name for p in sorted(SWEEP_DIR.glob('*.toml')))}"
        raise SweepError(f"sweep file not found: {path}{hint if SWEEP_DIR.is_dir() else ''}")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SweepError(f"cannot read sweep file {path}: {err}") from None


SWEEP_DIR = Path(__file__).resolve().parent.parent / "sweeps"


def _parse(data: dict[str, Any], name: str, path: Path | None, text: str | None) -> SweepSpec:
    """Check every entry of a parsed sweep file, in the order a reader meets them."""
    _check_top_level(data)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise SweepError(f"'description' must be text, got {description!r}")
    model_path = _text(data.get("model", DEFAULT_MODEL), "model")
    cls = _model_class(model_path)
    ours = _is_community(cls)
    steps = _count(data, "steps")
    seeds = _count(data, "seeds")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise SweepError(f"'seed' must be a whole number, 0 or more, got {seed!r}")
    fixed = _table(data, "fixed")
    design_spec = parse_design(data.get("design"))
    vary = _table(data, "vary")
    configurations = _configurations(data, fixed, ours, model_path)
    _check_names(fixed, vary, configurations, ours)
    if not ours:
        _check_model_accepts(cls, model_path, [*fixed, *vary, *(k for c in configurations.values() for k in c)])
    factors = tuple(
        parse_factor(key, value, design_spec.method, integer=ours and _is_int_parameter(key))
        for key, value in vary.items()
    )
    if ours:
        _check_community_values(fixed, factors, configurations)
    output = _output(data.get("output"), ours)
    summary_path = _text(data.get("summary", COMMUNITY_SUMMARY if ours else GENERIC_SUMMARY), "summary")
    if not callable(_resolve(summary_path, "summary")):
        raise SweepError(f"summary {summary_path!r} is not a function")
    spec = SweepSpec(
        name, description, model_path, summary_path, configurations, fixed, vary, factors, design_spec,
        seeds, steps, seed, output, path, text,
    )  # fmt: skip
    spec.design  # noqa: B018 - draw the design now, so that a design that cannot be drawn fails here
    return spec


def _check_top_level(data: dict[str, Any]) -> None:
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            close = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SweepError(f"unknown key {key!r}{hint}; valid: {', '.join(TOP_LEVEL_KEYS)}")


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SweepError(f'{key!r} must be text such as "package.module:Name", got {value!r}')
    return value.strip()


def _count(data: dict[str, Any], key: str) -> int:
    if key not in data:
        raise SweepError(f"missing {key!r} (a whole number, at least 1)")
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SweepError(f"{key!r} must be a whole number, at least 1, got {value!r}")
    return value


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise SweepError(f"'{key}' must be a table ([{key}]), got {value!r}")
    return dict(value)


def _resolve(path: str, what: str) -> Any:
    """Import "package.module:Name" (the form used for the model and the summary function)."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise SweepError(f'{what} {path!r} must have the form "package.module:Name"')
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as err:
        raise SweepError(f"{what} {path!r}: cannot import module {module_name!r} ({err})") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SweepError(f"{what} {path!r}: module {module_name!r} has no {attr!r}")
        obj = getattr(obj, part)
    return obj


def _model_class(path: str) -> type:
    import mesa

    cls = _resolve(path, "model")
    if not (isinstance(cls, type) and issubclass(cls, mesa.Model)):
        raise SweepError(f"model {path!r} is not a mesa.Model class")
    return cls


def _is_community(cls: type) -> bool:
    from .model import CommunityModel

    return issubclass(cls, CommunityModel)


def _is_int_parameter(name: str) -> bool:
    return name in FIELDS and FIELDS[name].type == "int"


def _configurations(data: dict[str, Any], fixed: dict[str, Any], ours: bool, model: str) -> dict[str, dict]:
    """Named sets of parameters crossed with the design: `scenarios` (our model) or [configurations.NAME]."""
    scenarios, tables = data.get("scenarios"), data.get("configurations")
    if scenarios is not None and tables is not None:
        raise SweepError("give either 'scenarios' or [configurations], not both")
    if scenarios is not None:
        if not ours:
            raise SweepError(
                f"'scenarios' names configurations of {DEFAULT_MODEL}; for {model} use [configurations.NAME] tables"
            )
        if not isinstance(scenarios, list) or not scenarios or not all(isinstance(s, str) for s in scenarios):
            raise SweepError(f"'scenarios' must be a non-empty list of configuration names, got {scenarios!r}")
        if len(set(scenarios)) != len(scenarios):
            raise SweepError(f"'scenarios' repeats a name: {scenarios!r}")
        if "scenario" in fixed:
            raise SweepError("[fixed] scenario clashes with 'scenarios'; keep one of them")
        return {s: {"scenario": s} for s in scenarios}
    if tables is not None:
        if not isinstance(tables, dict) or not tables:
            raise SweepError("[configurations] must hold at least one table, e.g. [configurations.low] n = 10")
        for key, value in tables.items():
            if not isinstance(value, dict):
                raise SweepError(f"configurations.{key} must be a table ([configurations.{key}]), got {value!r}")
        return {str(k): dict(v) for k, v in tables.items()}
    if ours:  # one configuration: the scenario in [fixed], else the model's default
        scenario = fixed.pop("scenario", DEFAULT_SCENARIO)
        if not isinstance(scenario, str):
            raise SweepError(f"[fixed] scenario must be a configuration name, got {scenario!r}")
        return {scenario: {"scenario": scenario}}
    return {"default": {}}


def _check_names(fixed: dict, vary: dict, configurations: dict[str, dict], ours: bool) -> None:
    """Names that would be ambiguous or clash with the runner's own columns."""
    for where, names in (("[fixed]", fixed), ("[vary]", vary)):
        for key in names:
            if key in RESERVED_NAMES:
                what = "the seed is set per run from the sweep seed" if key == "rng" else "the runner writes it"
                raise SweepError(f"{where} {key!r} cannot be set here ({what})")
    for key in vary:
        if key in fixed:
            raise SweepError(f"parameter {key!r} is both in [fixed] and [vary]; keep one")
        if ours and key == "scenario":
            raise SweepError("[vary] scenario: list configurations with scenarios = [...] instead")
        if ours and key not in FIELDS:
            raise unknown_name_error(key, list(FIELDS), where=" in [vary]")
    for name, config in configurations.items():
        for key in config:
            if key in RESERVED_NAMES:
                raise SweepError(f"[configurations.{name}] {key!r} cannot be set here")
            if key in vary:
                raise SweepError(f"parameter {key!r} is both in [configurations.{name}] and [vary]; keep one")


def _check_community_values(fixed: dict, factors: tuple[Factor, ...], configurations: dict[str, dict]) -> None:
    """Every name and value through the model's own parameter table, so a typo fails before any run."""
    for where, values in (("[fixed]", fixed), *((f"[configurations.{n}]", c) for n, c in configurations.items())):
        for key, value in values.items():
            if key != "scenario":  # a configuration name, checked below
                _coerce(key, value, where)
    for factor in factors:
        values = factor.values if isinstance(factor, Levels) else (factor.low, factor.high)
        for value in values:
            _coerce(factor.name, value, f"[vary] {factor.name}:")
    for name, config in configurations.items():
        merged = {**fixed, **config}
        scenario = merged.pop("scenario", DEFAULT_SCENARIO)
        try:
            load_scenario(scenario, **merged)
        except ParameterError as err:
            raise SweepError(f"configuration {name!r}: {err}") from None


def _coerce(key: str, value: Any, where: str) -> None:
    if key not in FIELDS:
        raise unknown_name_error(key, list(FIELDS), where=f" in {where.rstrip(':')}")
    try:
        coerce(key, value)
    except ParameterError as err:
        raise SweepError(f"{where} {err}") from None


def _check_model_accepts(cls: type, path: str, names: list[str]) -> None:
    """A generic model must take every named parameter (as a keyword or through its mesa Scenario)."""
    interface = model_interface(cls)
    if interface.accepted is None:
        return
    for key in names:
        if key not in interface.accepted:
            valid = sorted(interface.accepted)
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SweepError(f"model {path!r} takes no parameter {key!r}{hint}; it takes: {', '.join(valid)}")


def _output(table: Any, ours: bool) -> OutputSpec:
    if table is None:
        return OutputSpec()
    if not isinstance(table, dict):
        raise SweepError(f"[output] must be a table, got {table!r}")
    for key in table:
        if key not in OUTPUT_KEYS:
            raise SweepError(f"[output] unknown key {key!r}; valid: {', '.join(OUTPUT_KEYS)}")
    series = table.get("series", False)
    if not isinstance(series, bool):
        raise SweepError(f"[output] series must be true or false, got {series!r}")
    thin = table.get("thin", 1)
    if isinstance(thin, bool) or not isinstance(thin, int) or thin < 1:
        raise SweepError(f"[output] thin must be a whole number of steps, at least 1, got {thin!r}")
    columns = table.get("columns", [])
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise SweepError(f"[output] columns must be a list of column names, got {columns!r}")
    if ours:
        valid = ["step", *COLUMNS]
        for column in columns:
            if column not in valid:
                close = difflib.get_close_matches(column, valid, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise SweepError(f"[output] columns: unknown column {column!r}{hint}; see simulation/measures.py")
    return OutputSpec(series, thin, tuple(dict.fromkeys(columns)))


# --- how a model is built, run and summarised (in the worker) ----------------------------


@dataclass(frozen=True)
class ModelInterface:
    """How a model class takes its parameters and seed.

    ``keywords``: ``cls(rng=seed, **params)`` (our model, VirusOnNetwork, ...). ``scenario``: Mesa 3.5's
    scenario style, ``cls(scenario=ScenarioClass(rng=seed, **params))`` (BoltzmannWealth, Schelling, ...).
    ``accepted`` is the set of parameter names the model takes, None when it takes any keyword.
    """

    style: str
    accepted: frozenset[str] | None
    scenario_class: type | None = None


@functools.cache
def model_interface(cls: type) -> ModelInterface:
    """Read the calling convention off the constructor's signature."""
    signature = inspect.signature(cls.__init__)
    params = {n: p for n, p in signature.parameters.items() if n != "self"}
    any_keyword = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    named = frozenset(n for n, p in params.items() if p.kind is not inspect.Parameter.VAR_KEYWORD) - {"rng"}
    if "rng" in params or any_keyword:
        return ModelInterface("keywords", None if any_keyword else named)
    if "scenario" in params:
        scenario_cls = _scenario_class(cls, params["scenario"])
        if scenario_cls is not None:
            accepted = frozenset(getattr(scenario_cls, "_scenario_defaults", {})) or None
            return ModelInterface("scenario", accepted, scenario_cls)
    raise SweepError(
        f"cannot seed {cls.__module__}.{cls.__name__}: its __init__ takes neither 'rng' nor a mesa Scenario"
    )


def _scenario_class(cls: type, param: inspect.Parameter) -> type | None:
    """The model's mesa Scenario subclass: the parameter's annotation, else the one defined beside the model."""
    from mesa.experimental.scenarios import Scenario

    annotation = param.annotation
    if isinstance(annotation, type) and issubclass(annotation, Scenario) and annotation is not Scenario:
        return annotation
    module = sys.modules.get(cls.__module__)
    found = [
        obj for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, Scenario) and obj is not Scenario
        and obj.__module__ == cls.__module__
    ] if module else []  # fmt: skip
    return found[0] if len(found) == 1 else None


def build_model(cls: type, params: dict[str, Any], seed: int) -> Any:
    """Create one model with its own seed, in whichever convention the class uses."""
    interface = model_interface(cls)
    if interface.style == "scenario":
        assert interface.scenario_class is not None
        return cls(scenario=interface.scenario_class(rng=seed, **params))
    return cls(rng=seed, **params)


def model_table(model: Any) -> pd.DataFrame:
    """The model reporters per step, with a `step` column (the collection index when the model has none)."""
    collector = getattr(model, "datacollector", None)
    if collector is None:
        raise TypeError(f"{type(model).__name__} has no datacollector; the sweep runner reads its model reporters")
    table = collector.get_model_vars_dataframe()
    if "step" in table.columns:
        return table.reset_index(drop=True)
    return table.rename_axis("step").reset_index()


def community_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Our model's headline numbers per run (:func:`simulation.runner.summarise`).

    final_index is the final self_governance_index; first_<stage> the first step each stage was reached
    (empty if never); trust_in_strangers_last_year the mean over the last 12 steps; total_public_cost the
    sum over the run; admin_task_completion_mean the mean over the run.
    """
    return summarise(table)


# Declared types keep every Parquet part's schema the same, even when a batch has no value for a column
# (no run reached independence yet, or every run failed).
community_summary.dtypes = {  # type: ignore[attr-defined]
    "final_stage": "string",
    "final_role": "string",
    **{f"first_{stage}": "Int64" for stage in STAGES},
    "ngo_count_final": "Int64",
}


def final_values(table: pd.DataFrame) -> dict[str, float]:
    """Generic summary: the final value of every numeric model reporter, as ``final_<reporter>``."""
    last = table.iloc[-1]
    out = {}
    for column in table.columns:
        if column == "step":
            continue
        value = last[column]
        if isinstance(value, (bool, int, float, np.number, np.bool_)):
            out[f"final_{column}"] = float(value)
    return out


@dataclass(frozen=True)
class BatchJob:
    """One task: several runs done one after another in one worker, to amortise the per-task overhead."""

    model: str
    summary: str
    steps: int
    output: OutputSpec
    runs: tuple[RunSpec, ...]
    limit_threads: bool = True


@dataclass
class BatchResult:
    """What a task returns: one summary row per run and the thinned per-step rows, if asked for."""

    rows: list[dict[str, Any]]
    series: pd.DataFrame | None = None


@functools.cache
def _load(path: str) -> Any:
    """Import the model class or summary function once per worker process."""
    return _resolve(path, "object")


def run_batch(job: BatchJob) -> BatchResult:
    """Do the runs of one task (in a worker); an error inside a run is recorded, never raised."""
    if job.limit_threads:
        limit_threads()
    cls, summary = _load(job.model), _load(job.summary)
    rows, frames = [], []
    for run in job.runs:
        row, frame = execute_run(cls, summary, run, job.steps, job.output)
        rows.append(row)
        if frame is not None:
            frames.append(frame)
    return BatchResult(rows, pd.concat(frames, ignore_index=True) if frames else None)


def execute_run(
    cls: type, summary: Callable[[pd.DataFrame], dict[str, Any]], run: RunSpec, steps: int, output: OutputSpec
) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Build, run and summarise one model; return its summary row and its thinned per-step rows."""
    row: dict[str, Any] = {
        "run_id": run.run_id, "index": run.index, "configuration": run.configuration, "point": run.point,
        "replicate": run.replicate, "seed": run.seed, **run.varied, "status": "ok", "error": None, "seconds": None,
    }  # fmt: skip
    start = time.perf_counter()
    frame = None
    try:
        model = build_model(cls, run.params, run.seed)
        model.run_for(steps)
        table = model_table(model)
        values = {key: _plain(value) for key, value in summary(table).items()}
        clash = [key for key in values if key in row]
        if clash:
            raise ValueError(f"summary column {clash[0]!r} clashes with a sweep column; rename it")
        if output.series:
            frame = series_rows(table, run.run_id, output)
        row.update(values)
    except Exception as err:  # recorded with the run; the sweep goes on
        row.update(status="failed", error=describe_error(err))
        frame = None
    row["seconds"] = round(time.perf_counter() - start, 4)
    return row, frame


def series_rows(table: pd.DataFrame, run: str, output: OutputSpec) -> pd.DataFrame:
    """Every ``thin``-th step (and the last), the chosen columns, keyed by run_id and step."""
    missing = [c for c in output.columns if c not in table.columns]
    if missing:
        raise KeyError(f"series column {missing[0]!r} is not a model reporter; reporters: {', '.join(table.columns)}")
    steps = table["step"].to_numpy()
    keep = (steps % output.thin == 0) | (np.arange(len(table)) == len(table) - 1)
    columns = ["step", *(c for c in (output.columns or table.columns) if c != "step")]
    rows = table.loc[keep, columns].reset_index(drop=True)
    rows.insert(0, "run_id", run)
    return rows


def describe_error(err: BaseException) -> str:
    """The error as one line: type, message and where it was raised."""
    message = str(err).strip().splitlines()[0] if str(err).strip() else ""
    frames = traceback.extract_tb(err.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name})" if frames else ""
    return f"{type(err).__name__}: {message}{where}" if message else f"{type(err).__name__}{where}"


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA:
        return None
    return value


# --- column types: one schema for every part of a dataset ---------------------------------

NUMERIC_ORDER = ("boolean", "Int64", "float64")


def value_dtype(values: Sequence[Any]) -> str | None:
    """The column type of raw Python values (None when every value is missing)."""
    dtype: str | None = None
    for value in values:
        if value is None or value is pd.NA:
            continue
        if isinstance(value, (bool, np.bool_)):
            kind = "boolean"
        elif isinstance(value, (int, np.integer)):
            kind = "Int64"
        elif isinstance(value, (float, np.floating)):
            kind = "float64"
        else:
            kind = "string"
        dtype = promote(dtype, kind)
    return dtype


def series_dtype(column: pd.Series) -> str | None:
    """The column type of a DataFrame column."""
    if column.isna().all():
        return None
    if pd.api.types.is_bool_dtype(column):
        return "boolean"
    if pd.api.types.is_integer_dtype(column):
        return "Int64"
    if pd.api.types.is_float_dtype(column):
        return "float64"
    if pd.api.types.is_string_dtype(column) and not column.dtype == object:
        return "string"
    return value_dtype(column.tolist())


def promote(a: str | None, b: str | None) -> str | None:
    """The narrowest type holding both (booleans < integers < floats; anything with text becomes text)."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    if a in NUMERIC_ORDER and b in NUMERIC_ORDER:
        return max(a, b, key=NUMERIC_ORDER.index)
    return "string"


def arrow_dtype(t: pa.DataType) -> str | None:
    """The column type of a stored Parquet column."""
    if pa.types.is_null(t):
        return None
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "Int64"
    if pa.types.is_floating(t):
        return "float64"
    return "string"


def _column(values: Sequence[Any] | pd.Series, dtype: str) -> pd.Series:
    """A column of the given type; text columns take the text of whatever they hold."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if dtype == "string" and series.dtype != "string":
        series = series.map(lambda v: None if v is None or v is pd.NA or v != v else str(v), na_action=None)
        return series.astype("string")
    if dtype == "float64" and series.dtype == object:
        series = series.map(lambda v: np.nan if v is None or v is pd.NA else v)
    return series.astype(dtype)


# --- the output directory ----------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write under a hidden temporary name, flush to disk, then rename: a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    _atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def _write_json(data: dict[str, Any], path: Path) -> None:
    _atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8"))


class PartSet:
    """A Parquet dataset directory written as numbered parts (``part-000001.parquet``, ...) with one schema.

    Types come from ``declared`` where known, else from the data; when a later part widens a column's type or
    adds a column, the parts already written are rewritten to the wider schema (pyarrow reads a directory
    with the first part's schema and would otherwise drop the new column without a word).
    """

    def __init__(self, directory: Path, declared: dict[str, str]) -> None:
        self.dir = directory
        self.declared = declared
        self.dtypes: dict[str, str | None] = {}

    def parts(self) -> list[Path]:
        return sorted(self.dir.glob("part-*.parquet")) if self.dir.is_dir() else []

    def load(self) -> None:
        """Learn the schema of the parts on disk; make them agree if a crash interrupted a rewrite."""
        schemas = [pq.read_schema(p) for p in self.parts()]
        dtypes: dict[str, str | None] = {}
        for schema in schemas:
            for name, t in zip(schema.names, schema.types, strict=True):
                dtypes[name] = promote(dtypes.get(name), arrow_dtype(t))
        self.dtypes = dtypes
        if any(self._differs(schema) for schema in schemas):
            self._rewrite_all()

    def _differs(self, schema: pa.Schema) -> bool:
        stored = dict(zip(schema.names, (arrow_dtype(t) for t in schema.types), strict=True))
        return list(stored) != list(self.dtypes) or any(stored[n] != self.dtypes[n] for n in stored)

    def frame_from_rows(self, rows: list[dict[str, Any]]) -> pd.DataFrame:
        """Summary rows to a DataFrame, typing each column from the declared types or the raw values."""
        names = list(dict.fromkeys(k for row in rows for k in row))
        columns = {}
        for name in names:
            values = [row.get(name) for row in rows]
            dtype = self.declared.get(name) or promote(self.dtypes.get(name), value_dtype(values)) or "float64"
            columns[name] = _column(values, dtype)
        return pd.DataFrame(columns)

    def write(self, frame: pd.DataFrame, seq: int) -> Path:
        """Write one part with the dataset's schema, widening (and rewriting earlier parts) if needed."""
        dtypes = dict(self.dtypes)
        for name in frame.columns:
            dtypes[name] = promote(dtypes.get(name), self.declared.get(name) or series_dtype(frame[name]))
        widened = list(dtypes) != list(self.dtypes) or any(self.dtypes[n] != dtypes[n] for n in self.dtypes)
        self.dtypes = dtypes
        if widened and self.parts():
            self._rewrite_all()
        path = self.dir / f"part-{seq:06d}.parquet"
        self.dir.mkdir(parents=True, exist_ok=True)
        _write_parquet(self.conform(frame), path)
        return path

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame with every column of the schema, in order, of the schema's type."""
        columns = {}
        for name, dtype in self.dtypes.items():
            dtype = dtype or "float64"  # a column that has only ever been empty
            if name in frame.columns:
                columns[name] = _column(frame[name].reset_index(drop=True), dtype)
            else:
                columns[name] = pd.Series([None] * len(frame), dtype=object).pipe(_column, dtype)
        return pd.DataFrame(columns, index=range(len(frame)))

    def _rewrite_all(self) -> None:
        for part in self.parts():
            _write_parquet(self.conform(pd.read_parquet(part)), part)

    def remove_rows(self, drop: Callable[[pd.DataFrame], pd.Series]) -> int:
        """Remove the rows ``drop`` selects from every part (each part rewritten atomically); return how many."""
        removed = 0
        for part in self.parts():
            frame = pd.read_parquet(part)
            mask = drop(frame)
            if not mask.any():
                continue
            removed += int(mask.sum())
            if mask.all():
                part.unlink()
            else:
                _write_parquet(self.conform(frame.loc[~mask]), part)
        return removed


class SweepStore:
    """The output directory of one sweep: manifest, design, summary and series parts, and a lock.

    Only the process driving the sweep writes here (workers return their results to it), so workers on
    other machines need no shared file system.
    """

    def __init__(self, root: str | Path, spec: SweepSpec) -> None:
        self.root = Path(root)
        self.spec = spec
        declared = {
            "run_id": "string", "index": "Int64", "configuration": "string", "point": "Int64",
            "replicate": "Int64", "seed": "Int64", **_design_dtypes(spec), "status": "string", "error": "string",
            "seconds": "float64", **getattr(_resolve(spec.summary, "summary"), "dtypes", {}),
        }  # fmt: skip
        self.summary = PartSet(self.root / "summary", declared)
        self.series = PartSet(self.root / "series", {"run_id": "string", "step": "Int64"})
        self.manifest_path = self.root / "manifest.json"
        self.design_path = self.root / "design.parquet"
        self._lock: Any = None
        self._seq = 0

    def open(self) -> None:
        """Lock the directory, check it belongs to this sweep, tidy what a crash left, and learn the schemas."""
        if self.root.exists() and not self.root.is_dir():
            raise SweepError(f"{self.root} exists and is not a directory")
        self.root.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            self._check_or_create_manifest()
            self._tidy()
            self.summary.load()
            self.series.load()
            if not self.design_path.exists():
                _write_parquet(design_frame(self.spec.design), self.design_path)
        except BaseException:
            self.close()
            raise
        self._seq = max((_seq(p) for p in [*self.summary.parts(), *self.series.parts()]), default=0)

    def _acquire_lock(self) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            return
        handle = open(self.root / ".lock", "a+")  # noqa: SIM115 - held open for the whole sweep
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise SweepError(f"another sweep is writing to {self.root}; wait for it or use another directory") from None
        self._lock = handle

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    def _check_or_create_manifest(self) -> None:
        if self.manifest_path.exists():
            try:
                manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise SweepError(f"{self.manifest_path} is unreadable ({err}); move the directory aside") from None
            if manifest.get("fingerprint") != self.spec.fingerprint:
                old = manifest.get("sweep", {})
                new = self.spec.canonical()
                diff = [k for k in new if k != "description" and old.get(k) != json.loads(json.dumps(new[k]))]
                detail = f" (differs in: {', '.join(diff)})" if diff else ""
                raise SweepError(
                    f"{self.root} holds results of a different sweep{detail}; use another --out or delete it"
                )
            return
        if self.summary.parts():
            raise SweepError(f"{self.root} has results but no manifest.json; use another --out or delete it")
        _write_json(new_manifest(self.spec), self.manifest_path)

    def _tidy(self) -> None:
        """Remove temporary files of an interrupted write and series parts whose summary part was never written."""
        for directory in (self.root, self.summary.dir, self.series.dir):
            if directory.is_dir():
                for tmp in directory.glob(".*.tmp-*"):
                    tmp.unlink(missing_ok=True)
        committed = {_seq(p) for p in self.summary.parts()}
        for part in self.series.parts():
            if _seq(part) not in committed:
                part.unlink()

    def finished(self) -> pd.DataFrame:
        """run_id and status of every run already recorded."""
        if not self.summary.parts():
            return pd.DataFrame({"run_id": pd.Series(dtype="string"), "status": pd.Series(dtype="string")})
        frame = pd.read_parquet(self.summary.dir, columns=["run_id", "status"])
        return frame.sort_values("status", key=lambda s: s != "ok").drop_duplicates("run_id")

    def drop_failed(self) -> int:
        """Forget the failed runs so they run again (their series rows do not exist: failed runs write none)."""
        return self.summary.remove_rows(lambda frame: frame["status"] == "failed")

    def write(self, rows: list[dict[str, Any]], series: pd.DataFrame | None) -> None:
        """Save finished runs: series part first, then the summary part that commits them."""
        self._seq += 1
        if series is not None and len(series):
            self.series.write(series, self._seq)
        self.summary.write(self.summary.frame_from_rows(rows), self._seq)

    def record_session(self, session: dict[str, Any]) -> None:
        """Append this session's counts to the manifest."""
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        manifest.setdefault("sessions", []).append(session)
        _write_json(manifest, self.manifest_path)


def _seq(part: Path) -> int:
    return int(part.stem.split("-")[1])


def _design_dtypes(spec: SweepSpec) -> dict[str, str]:
    """Types of the varied parameters, from the design points, so every part agrees."""
    points = spec.design.points
    return {name: series_dtype(points[name]) or "float64" for name in spec.design.names}


def design_frame(design: Design) -> pd.DataFrame:
    """The design as stored: point, the values the model receives, and SALib's raw sample (``raw_<name>``)."""
    frame = design.points.reset_index(drop=True).copy()
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    if design.matrix is not None:
        for j, name in enumerate(design.names):
            frame[f"raw_{name}"] = design.matrix[:, j]
    return frame


def new_manifest(spec: SweepSpec) -> dict[str, Any]:
    """What a later reader needs to know what these results are and how they were made."""
    design = spec.design
    return {
        "format": FORMAT_VERSION,
        "created": _now(),
        "name": spec.name,
        "fingerprint": spec.fingerprint,
        "sweep": spec.canonical(),
        "sweep_file": str(spec.path) if spec.path else None,
        "sweep_text": spec.text,
        "runs": spec.n_runs,
        "configurations": list(spec.configurations),
        "design": {
            "method": design.method,
            "names": list(design.names),
            "points": len(design),
            "problem": design.problem,
            "options": design.options,
            "file": "design.parquet",
        },
        "layout": {
            "summary": "summary/ (Parquet dataset, one row per run; key run_id)",
            "series": "series/ (Parquet dataset, per-step rows; key run_id, step)" if spec.output.series else None,
        },
        **environment(),
        "sessions": [],
    }


def environment() -> dict[str, Any]:
    """Package version, git commit and library versions: enough to reproduce the numbers."""
    from . import __version__

    libraries = {}
    for name in LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            libraries[name] = metadata.version(name)
    return {
        "package": {"name": "community-self-governance", "version": __version__, **git_state()},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": libraries,
    }


def git_state() -> dict[str, Any]:
    """The commit of the source tree the package runs from, and whether it had uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return {"git_commit": None, "git_dirty": None}
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True,
            timeout=10, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": None, "git_dirty": None}
    return {"git_commit": commit or None, "git_dirty": bool(status.strip())}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- running a sweep ---------------------------------------------------------------------


@dataclass
class SweepResult:
    """What one call of :func:`run_sweep` did.

    Attributes:
        total: runs in the sweep.
        skipped: runs already recorded by an earlier session (not run again); ``skipped_failed`` of them failed.
        ok, failed: runs finished in this session.
        elapsed: seconds this session took.
        interrupted: stopped by Ctrl-C (every finished run was saved first).
        problem: why runs were left undone (a dead worker, an unreachable cluster), else None.
    """

    out_dir: Path
    total: int
    skipped: int = 0
    skipped_failed: int = 0
    ok: int = 0
    failed: int = 0
    elapsed: float = 0.0
    interrupted: bool = False
    problem: str | None = None
    executor: str = ""
    series: bool = False

    @property
    def done(self) -> int:
        """Runs finished (ok or failed) in this session."""
        return self.ok + self.failed

    @property
    def saved(self) -> int:
        """Runs recorded in the directory, from every session."""
        return self.skipped + self.done

    @property
    def remaining(self) -> int:
        """Runs not yet recorded: run the sweep again to do them."""
        return self.total - self.saved

    @property
    def complete(self) -> bool:
        return self.remaining == 0

    @property
    def summary_dir(self) -> Path:
        return self.out_dir / "summary"

    @property
    def series_dir(self) -> Path | None:
        return self.out_dir / "series" if self.series else None

    @property
    def manifest_path(self) -> Path:
        return self.out_dir / "manifest.json"

    @property
    def design_path(self) -> Path:
        return self.out_dir / "design.parquet"


def run_sweep(
    spec: SweepSpec | str | Path | Mapping[str, Any],
    out_dir: str | Path,
    executor: str | Executor = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = True,
    retry_failed: bool = False,
    batch_size: int | None = None,
    on_batch: Callable[[SweepResult], None] | None = None,
) -> SweepResult:
    """Run every run of the sweep not yet recorded in ``out_dir``, saving results as they finish.

    Args:
        spec: a :class:`SweepSpec`, or what :func:`load_sweep` accepts.
        out_dir: the results directory; running again resumes, skipping finished runs. A directory holding a
            different sweep is refused.
        executor: "processes" (all cores by default), "dask" (a local cluster, or ``scheduler``), "inline"
            (this process), or any ``concurrent.futures.Executor``.
        workers: processes or local Dask workers; with ``scheduler``, the number of workers to wait for.
        scheduler: address (tcp://HOST:PORT) or scheduler file of an existing Dask cluster.
        progress: True shows a progress bar and messages on stderr, False nothing, None only on a terminal.
        retry_failed: run again the runs recorded as failed (their old rows are removed first).
        batch_size: runs per task (default: enough tasks to keep every worker busy, at most 64 runs).
        on_batch: called in this process after each save, with the running counts (a hook for monitoring).

    Raises:
        SweepError: a bad sweep or output directory (nothing was run).
        SweepInterrupted: Ctrl-C; every finished run was saved before it was raised.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    if batch_size is not None and batch_size < 1:
        raise SweepError(f"batch_size must be at least 1, got {batch_size}")
    started, clock = _now(), time.perf_counter()
    store = SweepStore(out_dir, spec)
    store.open()
    result = SweepResult(Path(out_dir), spec.n_runs, series=spec.output.series)
    try:
        if retry_failed:
            store.drop_failed()
        finished = store.finished()
        runs = spec.runs()
        ids = {run.run_id for run in runs}
        finished = finished[finished["run_id"].isin(ids)]
        result.skipped = len(finished)
        result.skipped_failed = int((finished["status"] == "failed").sum())
        done = set(finished["run_id"])
        pending = [run for run in runs if run.run_id not in done]
        _announce_resume(result, progress, len(pending))
        if pending:
            with open_executor(executor, workers, scheduler) as handle:
                result.executor = handle.label
                _drive(spec, store, pending, handle, result, progress, batch_size, on_batch)
    finally:
        result.elapsed = time.perf_counter() - clock
        with contextlib.suppress(OSError):
            store.record_session(_session(result, started))
        store.close()
    return result


def _announce_resume(result: SweepResult, progress: bool | None, pending: int) -> None:
    """Say what an earlier session already did, so a resumed sweep is never a surprise."""
    if not result.skipped or progress is False:
        return
    failed = (
        f" ({result.skipped_failed} of them failed; retry those with --retry-failed)" if result.skipped_failed else ""
    )
    print(
        f"resuming: skipping {result.skipped} finished runs{failed}; {pending} to run",
        file=sys.stderr,
    )


def _session(result: SweepResult, started: str) -> dict[str, Any]:
    return {
        "started": started, "finished": _now(), "executor": result.executor, "ran": result.done,
        "ok": result.ok, "failed": result.failed, "skipped": result.skipped, "remaining": result.remaining,
        "interrupted": result.interrupted, "problem": result.problem, "seconds": round(result.elapsed, 1),
        **git_state(),
    }  # fmt: skip


def auto_batch_size(n_runs: int, slots: int) -> int:
    """Runs per task: about TASKS_PER_SLOT tasks per worker, so the last tasks end close together."""
    return max(1, min(MAX_BATCH, math.ceil(n_runs / (max(1, slots) * TASKS_PER_SLOT))))


def _jobs(spec: SweepSpec, pending: list[RunSpec], size: int, in_process: bool) -> Iterator[BatchJob]:
    for start in range(0, len(pending), size):
        yield BatchJob(spec.model, spec.summary, spec.steps, spec.output, tuple(pending[start : start + size]),
                       limit_threads=not in_process)  # fmt: skip


def _drive(
    spec: SweepSpec,
    store: SweepStore,
    pending: list[RunSpec],
    handle: ExecutorHandle,
    result: SweepResult,
    progress: bool | None,
    batch_size: int | None,
    on_batch: Callable[[SweepResult], None] | None,
) -> None:
    """Keep every worker busy, save each finished task at once, and stop cleanly on Ctrl-C or a dead pool."""
    size = batch_size or auto_batch_size(len(pending), handle.capacity())
    jobs = _jobs(spec, pending, size, handle.in_process)
    in_flight: dict[Future[BatchResult], BatchJob] = {}
    bar = tqdm(
        total=result.total, initial=result.skipped, desc=spec.name, unit="run", smoothing=0.1, dynamic_ncols=True,
        disable=None if progress is None else not progress,
    )  # fmt: skip
    bar.set_postfix(failed=result.skipped_failed, refresh=False)
    try:
        broken = _submit(handle, jobs, in_flight, result)
        while in_flight:
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            with _interrupts_deferred():
                outcomes, dead = _collect(finished, in_flight, result)
                _save(store, outcomes, result, bar)
            broken = broken or dead
            if on_batch is not None and outcomes:
                on_batch(result)
            if broken:
                _stop(handle, in_flight, store, result, bar)
                break
            broken = _submit(handle, jobs, in_flight, result)
    except KeyboardInterrupt:
        with _interrupts_deferred():
            _stop(handle, in_flight, store, result, bar)
        result.interrupted = True
        message = (
            f"interrupted: {result.saved} of {result.total} runs are saved in {result.out_dir}; "
            "run the same command again to resume"
        )
        raise SweepInterrupted(message, result) from None
    finally:
        bar.close()


def _submit(
    handle: ExecutorHandle, jobs: Iterator[BatchJob], in_flight: dict[Future[BatchResult], BatchJob],
    result: SweepResult,
) -> bool:  # fmt: skip
    """Top up the queue to two tasks per worker (few enough that Ctrl-C has little to cancel); True if broken.

    In-process tasks run at submission, one at a time, so that each is saved before the next starts.
    """
    limit = 1 if handle.in_process else 2 * handle.capacity()
    while len(in_flight) < limit:
        job = next(jobs, None)
        if job is None:
            return False
        try:
            in_flight[handle.executor.submit(run_batch, job)] = job
        except (BrokenExecutor, RuntimeError) as err:  # a dead pool, or a closed client
            result.problem = f"the executor stopped accepting work ({type(err).__name__}: {err})"
            return True
    return False


def _collect(
    finished: set[Future[BatchResult]], in_flight: dict[Future[BatchResult], BatchJob], result: SweepResult
) -> tuple[list[BatchResult], bool]:
    """Results of the finished tasks, and whether the executor broke.

    A task that could not run at all (as opposed to runs that raised) leaves its runs to the next session.
    """
    outcomes, broken = [], False
    for future in finished:
        job = in_flight.pop(future)
        try:
            outcomes.append(future.result())
        except BrokenExecutor as err:
            result.problem = f"a worker process died ({type(err).__name__}: {err})"
            broken = True
        except CancelledError:
            pass
        except Exception as err:  # e.g. Dask's KilledWorker, or a worker that cannot import the model
            result.problem = f"a task of {len(job.runs)} runs could not run ({describe_error(err)})"
    return outcomes, broken


def _save(store: SweepStore, outcomes: list[BatchResult], result: SweepResult, bar: Any) -> None:
    """Write finished runs to disk and count them."""
    rows = [row for outcome in outcomes for row in outcome.rows]
    if not rows:
        return
    frames = [o.series for o in outcomes if o.series is not None and len(o.series)]
    store.write(rows, pd.concat(frames, ignore_index=True) if frames else None)
    failed = sum(row["status"] == "failed" for row in rows)
    result.ok += len(rows) - failed
    result.failed += failed
    bar.set_postfix(failed=result.failed + result.skipped_failed, refresh=False)
    bar.update(len(rows))


def _stop(
    handle: ExecutorHandle, in_flight: dict[Future[BatchResult], BatchJob], store: SweepStore, result: SweepResult,
    bar: Any,
) -> None:  # fmt: skip
    """Stop submitting, save the tasks that did finish, and stop the workers."""
    for future in in_flight:
        future.cancel()
    finished = {f for f in in_flight if f.done() and not f.cancelled() and f.exception() is None}
    _save(store, [f.result() for f in finished], result, bar)
    in_flight.clear()
    handle.abort()


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C until a save is complete, so results are never half counted or saved twice."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(signal.SIGINT, None)


# --- reading results ---------------------------------------------------------------------


def read_summary(out_dir: str | Path) -> pd.DataFrame:
    """One row per recorded run, in run order (the directory's parts are in order of completion)."""
    directory = Path(out_dir) / "summary"
    if not any(directory.glob("part-*.parquet")):
        raise FileNotFoundError(f"no sweep results in {out_dir} (expected {directory}/part-*.parquet)")
    frame = pd.read_parquet(directory)
    return frame.sort_values("index", kind="stable").drop_duplicates("run_id", keep="last").reset_index(drop=True)


def read_series(out_dir: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The per-step rows of every recorded run (run_id, step, columns), sorted by run and step."""
    directory = Path(out_dir) / "series"
    if not any(directory.glob("part-*.parquet")):
        raise FileNotFoundError(f"no per-step series in {out_dir} (was [output] series = true?)")
    wanted = None if columns is None else ["run_id", "step", *(c for c in columns if c not in ("run_id", "step"))]
    frame = pd.read_parquet(directory, columns=wanted)
    return frame.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The manifest: sweep, versions, design description, sessions."""
    return json.loads((Path(out_dir) / "manifest.json").read_text(encoding="utf-8"))


def load_design(out_dir: str | Path) -> Design:
    """The design of a results directory, with SALib's problem and raw sample for sampled designs."""
    manifest = read_manifest(out_dir)
    frame = pd.read_parquet(Path(out_dir) / "design.parquet")
    info = manifest["design"]
    names = tuple(info["names"])
    raw = [f"raw_{n}" for n in names]
    matrix = frame[raw].to_numpy(dtype=float) if names and all(c in frame for c in raw) else None
    points = frame[list(names)].reset_index(drop=True) if names else pd.DataFrame(index=range(len(frame)))
    return Design(info["method"], names, points, info.get("problem"), matrix, info.get("options", {}))


def point_outputs(summary: pd.DataFrame, column: str, n_points: int, configuration: str | None = None) -> np.ndarray:
    """Mean of ``column`` over the successful replicates of each design point, in point order (NaN if none).

    This is the ``Y`` to pass with a design's ``problem`` (and ``matrix``) to SALib's analysers.
    """
    rows = summary[summary["status"] == "ok"]
    if configuration is not None:
        rows = rows[rows["configuration"] == configuration]
    means = pd.to_numeric(rows[column], errors="coerce").groupby(rows["point"]).mean()
    return means.reindex(range(n_points)).to_numpy(dtype=float)


__all__ = [
    "BatchJob",
    "BatchResult",
    "OutputSpec",
    "RunSpec",
    "SweepError",
    "SweepInterrupted",
    "SweepResult",
    "SweepSpec",
    "SweepStore",
    "community_summary",
    "final_values",
    "load_design",
    "load_sweep",
    "point_outputs",
    "read_manifest",
    "read_series",
    "read_summary",
    "run_batch",
    "run_id",
    "run_seed",
    "run_sweep",
]
