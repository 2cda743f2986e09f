"""A sweep file, read and checked: which model, configurations, design, seeds, horizon and outputs.

:func:`load_sweep` turns a ``sweeps/*.toml`` file (reference in docs/sweeps.md)
into a :class:`SweepSpec`, or stops with a :class:`SweepError` whose one line
names the file and the entry, before anything runs. The spec lists every run
(:class:`RunSpec`) with its own seed, derived from the sweep seed and the run's
stable index, so the numbers never depend on the executor or on the order in
which runs finish.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import inspect
import json
import math
import pkgutil
import sys
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ..model.measures import COLUMNS
from ..model.parameters import FIELDS, ParameterError, coerce, unknown_name_error
from ..model.scenarios import load_configuration
from ..validation import Rule, ValidationError, check, check_keys, check_settings, read_toml, reported_as, require
from .designs import (
    Design,
    DesignSpec,
    Factor,
    Levels,
    Spaced,
    build_design,
    n_points,
    parse_design,
    parse_factor,
    run_seed,
)
from .limits import ALLOW_LARGE, SizeError, check_levels, check_sweep_size
from .provenance import record

DEFAULT_MODEL = "simulation.model:CommunityModel"
COMMUNITY_SUMMARY = "simulation.experiments.sweep:community_summary"
GENERIC_SUMMARY = "simulation.experiments.sweep:final_values"
DEFAULT_SCENARIO = "guardian"  # CommunityModel's own default configuration
TOP_LEVEL_KEYS = (
    "description", "model", "summary", "scenarios", "configurations", "seeds", "steps", "seed", "seeding",
    "fixed", "vary", "design", "output",
)  # fmt: skip
# per_run: every run its own seed. paired: the runs of one design point and replicate share a seed across
# configurations (common random numbers), so a comparison of configurations is not blurred by the draws.
SEEDINGS = ("per_run", "paired")
OBJECT = 'such as "package.module:Name"'
# The settings of a sweep file that are single values or tables, as rules (simulation.validation); the others
# (scenarios, configurations, design, output) are checked by their own functions below.
SETTINGS = {
    "description": Rule("text"),
    "model": Rule("name", meaning=OBJECT),
    "summary": Rule("name", meaning=OBJECT),
    "steps": Rule("int", low=1),
    "seeds": Rule("int", low=1),
    "seed": Rule("int", low=0, high=2**63 - 1),
    "seeding": Rule("choice", choices=SEEDINGS),
    "fixed": Rule("table"),
    "vary": Rule("table"),
}
REQUIRED = {"steps": "a whole number, at least 1", "seeds": "a whole number, at least 1"}
# Months (steps) of one run: 1,000 years. The model's story takes decades; a horizon beyond this is a typo
# likelier than a plan (``steps = 1000000000000`` used to start, silently, a run that would never end). The
# command line's --steps and --test-horizon have the same limit; --allow-large (allow_large=True) lifts it.
MAX_STEPS = 12_000
OUTPUT = {"series": Rule("bool"), "thin": Rule("int", low=1), "columns": Rule("list", meaning="column names")}
# Columns the runner writes itself; a parameter or summary value of the same name would be ambiguous.
RUN_COLUMNS = ("run_id", "index", "configuration", "point", "replicate", "seed", "status", "error", "seconds")
RESERVED_NAMES = (*RUN_COLUMNS, "step", "rng")


class SweepError(ValidationError):
    """A sweep file or output directory that cannot be used; the message is one line naming the problem."""


def check_steps(steps: int, label: str, allow_large: bool = False) -> int:
    """``steps`` (already a whole number, at least 1) if at most :data:`MAX_STEPS`, else a one-line SizeError.

    The message names the valid range and the flag that lifts the limit.
    """
    if steps > MAX_STEPS and not allow_large:
        raise SizeError(f"{label} must be from 1 to {MAX_STEPS:,} months ({MAX_STEPS // 12:,} years), got {steps:,}; "
                        f"pass {ALLOW_LARGE} if you mean it")  # fmt: skip
    return steps


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


def scoped(name: str) -> tuple[str | None, str]:
    """Split a varied name: "shanghai.funding" varies ``funding`` in configurations of scenario shanghai only."""
    scope, dot, parameter = name.rpartition(".")
    return (scope, parameter) if dot else (None, name)


def point_for(point: dict[str, Any], scenario: str | None) -> dict[str, Any]:
    """The parameters a design point sets in a configuration of ``scenario``: global ones and its own scoped ones."""
    values = {}
    for name, value in point.items():
        scope, parameter = scoped(name)
        if scope is None or scope == scenario:
            values[parameter] = value
    return values


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
    seeding: str = "per_run"

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
        return list(self.iter_runs())

    def iter_runs(self) -> Iterator[RunSpec]:
        """Every run, in index order, made as it is asked for (the runner never holds them all at once)."""
        points = self.design.all_point_params()
        i = 0
        for name, config in self.configurations.items():
            base = {**self.fixed, **config}
            scenario = base.get("scenario", DEFAULT_SCENARIO)
            for p, point in enumerate(points):
                params = {**base, **point_for(point, scenario)}
                for r in range(self.seeds):
                    stream = p * self.seeds + r if self.seeding == "paired" else i
                    yield RunSpec(run_id(i), i, name, p, r, run_seed(self.seed, stream), params, point)
                    i += 1

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
            # Only when it differs from the default, so that earlier sweeps keep their fingerprint.
            **({"seeding": self.seeding} if self.seeding != "per_run" else {}),
        }

    @property
    def fingerprint(self) -> str:
        """Hash of the sweep as written (the description is free to change); see also :attr:`provenance`."""
        data = {k: v for k, v in self.canonical().items() if k != "description"}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    @cached_property
    def provenance(self) -> dict[str, Any]:
        """Everything besides the sweep that decides a run's numbers, as the results directory records it.

        The content of every configuration the sweep names (read through ``load_scenario``) and the code
        (:func:`simulation.experiments.provenance.record`). A directory whose record differs is not resumed.
        """
        scenarios = {
            name: c["scenario"] for name, c in self.configurations.items() if isinstance(c.get("scenario"), str)
        }
        return {"sweep": self.fingerprint, **record(scenarios, self.model, self.summary)}

    def largest_community(self) -> int | None:
        """The most residents any run of our model will have (None for other models): for size checks."""
        if not _is_community(_model_class(self.model)):
            return None
        sizes = []
        for config in self.configurations.values():
            merged = {**self.fixed, **config}
            scenario = merged.pop("scenario", DEFAULT_SCENARIO)
            sizes.append(load_configuration(scenario, SweepError, **merged).params.n_residents)
        for factor in self.factors:
            if factor.name == "n_residents":
                sizes.append(int(max(factor.ends()) if isinstance(factor, Levels) else math.ceil(factor.high)))
        return max(sizes) if sizes else None

    def describe(self) -> str:
        """One line: how many configurations, points, seeds and runs."""
        configs = len(self.configurations)
        points = self.n_points
        return (
            f"{self.name}: {configs:,} configuration{'s' if configs != 1 else ''} x {points:,} design "
            f"point{'s' if points != 1 else ''} ({self.design_spec.method}) x {self.seeds:,} "
            f"seed{'s' if self.seeds != 1 else ''} = {self.n_runs:,} runs of {self.steps:,} steps"
        )


# --- loading and checking a sweep file ---------------------------------------------------


def load_sweep(
    source: str | Path | Mapping[str, Any], name: str | None = None, *, allow_large: bool = False, draw: bool = True
) -> SweepSpec:
    """Read and check a sweep file (path) or an already-parsed sweep (mapping).

    Every problem is reported as a :class:`SweepError` with one line naming the file and the entry, before
    anything runs: a typo costs a second, not a batch. Sizes are checked arithmetically before the design
    is drawn (:mod:`simulation.experiments.limits`; ``allow_large`` lifts the limits). ``draw=False`` skips drawing the
    design (a dry run counts the runs without making them).
    """
    if isinstance(source, Mapping):
        data, path, text, label = dict(source), None, None, name or "sweep"
    else:
        path = Path(source)
        shipped = f"; shipped sweeps: {', '.join(p.name for p in sorted(SWEEP_DIR.glob('*.toml')))}"
        with reported_as(SweepError):
            text, data = read_toml(path, "sweep file", shipped if SWEEP_DIR.is_dir() else "")
        label = path.name
    with reported_as(SweepError, label):
        try:
            return _parse(data, name or (path.stem if path else "sweep"), path, text, allow_large, draw)
        except RecursionError:  # e.g. a value nested thousands of levels deep in a mapping given from Python
            raise SweepError("nested too deeply to be a sweep") from None


SWEEP_DIR = Path(__file__).resolve().parent.parent.parent / "sweeps"


def _parse(
    data: dict[str, Any], name: str, path: Path | None, text: str | None, allow_large: bool = False, draw: bool = True
) -> SweepSpec:
    """Check every entry of a parsed sweep file, in the order a reader meets them."""
    check_keys(data, TOP_LEVEL_KEYS)
    require(data, REQUIRED, "", REQUIRED)
    given = check_settings(data, SETTINGS)
    description, steps, seeds = given.get("description", ""), given["steps"], given["seeds"]
    check_steps(steps, "steps", allow_large)
    seed, seeding = given.get("seed", 0), given.get("seeding", "per_run")
    model_path = given.get("model", DEFAULT_MODEL).strip()
    cls = _model_class(model_path)
    ours = _is_community(cls)
    fixed, vary = given.get("fixed", {}), given.get("vary", {})
    design_spec = parse_design(data.get("design"))
    configurations = _configurations(data, fixed, ours, model_path)
    _check_names(fixed, vary, configurations, ours)
    if not ours:
        _check_model_accepts(cls, model_path, [*fixed, *vary, *(k for c in configurations.values() for k in c)])
    factors = tuple(
        parse_factor(key, value, design_spec.method, integer=ours and _is_int_parameter(scoped(key)[1]))
        for key, value in vary.items()
    )
    for factor in factors:
        if isinstance(factor, Levels):
            check_levels(len(factor.values), f"[vary] {factor.name}", allow_large)
    points = n_points(design_spec, list(factors))
    check_sweep_size(points, len(factors), len(configurations) * points * seeds, allow_large)
    if ours:
        _check_community_values(fixed, factors, configurations)
    output = _output(data.get("output"), ours)
    summary_path = given.get("summary", COMMUNITY_SUMMARY if ours else GENERIC_SUMMARY).strip()
    if not callable(import_object(summary_path, "summary")):
        raise SweepError(f"summary {summary_path!r} is not a function")
    spec = SweepSpec(
        name, description, model_path, summary_path, configurations, fixed, vary, factors, design_spec,
        seeds, steps, seed, output, path, text, seeding,
    )  # fmt: skip
    if draw:
        spec.design  # noqa: B018 - draw the design now, so that a design that cannot be drawn fails here
    return spec


def import_object(path: str, what: str) -> Any:
    """Import "package.module:Name" (the form used for the model and the summary function)."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise SweepError(f'{what} {path!r} must have the form "package.module:Name"')
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as err:
        moved = _moved_to(module_name)
        hint = f"; it is now {moved + ':' + attr!r}" if moved else ""
        raise SweepError(f"{what} {path!r}: cannot import module {module_name!r} ({err}){hint}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SweepError(f"{what} {path!r}: module {module_name!r} has no {attr!r}")
        obj = getattr(obj, part)
    return obj


def _moved_to(module_name: str) -> str | None:
    """Where a module of this package now lives, for a sweep file written before the modules moved into
    subpackages (``simulation.sweep`` -> ``simulation.experiments.sweep``); None if there is no such module."""
    package, _, leaf = module_name.rpartition(".")
    if package != "simulation":
        return None
    spec = importlib.util.find_spec("simulation")
    where = list(spec.submodule_search_locations or []) if spec else []
    for found in pkgutil.walk_packages(where, "simulation."):  # the layers a sweep file names: not cli.sweep
        if found.name.rpartition(".")[2] == leaf and found.name.split(".")[1] in ("model", "experiments"):
            return found.name
    return None


def _model_class(path: str) -> type:
    import mesa

    cls = import_object(path, "model")
    if not (isinstance(cls, type) and issubclass(cls, mesa.Model)):
        raise SweepError(f"model {path!r} is not a mesa.Model class")
    return cls


def _is_community(cls: type) -> bool:
    from ..model.community import CommunityModel

    return issubclass(cls, CommunityModel)


def _is_int_parameter(name: str) -> bool:
    return name in FIELDS and FIELDS[name].type == "int"


def _configurations(data: dict[str, Any], fixed: dict[str, Any], ours: bool, model: str) -> dict[str, dict]:
    """Named sets of parameters crossed with the design: `scenarios` (our model) or [configurations.NAME]."""
    scenarios, tables = data.get("scenarios"), data.get("configurations")
    if scenarios is not None and tables is not None:
        raise SweepError("give either 'scenarios' or [configurations], not both")
    if scenarios is not None:
        return _scenario_list(scenarios, fixed, ours, model)
    if tables is not None:
        return _configuration_tables(tables)
    if ours:  # one configuration: the scenario in [fixed], else the model's default
        scenario = check(fixed.pop("scenario", DEFAULT_SCENARIO), Rule("text", meaning="a configuration name"),
                         "[fixed] scenario")  # fmt: skip
        return {scenario: {"scenario": scenario}}
    return {"default": {}}


def _scenario_list(scenarios: Any, fixed: dict[str, Any], ours: bool, model: str) -> dict[str, dict]:
    """`scenarios = [...]`: configurations of our model by name, each once, not also set in [fixed]."""
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


def _configuration_tables(tables: Any) -> dict[str, dict]:
    """[configurations.NAME] tables: at least one, each a table."""
    if not isinstance(tables, dict) or not tables:
        raise SweepError("[configurations] must hold at least one table, e.g. [configurations.low] n = 10")
    return {str(key): check(value, Rule("table"), f"[configurations.{key}]") for key, value in tables.items()}


def _check_names(fixed: dict, vary: dict, configurations: dict[str, dict], ours: bool) -> None:
    """Names that would be ambiguous or clash with the runner's own columns."""
    for where, names in (("[fixed]", fixed), ("[vary]", vary)):
        _check_reserved(names, where)
    default = DEFAULT_SCENARIO if ours else None
    scenarios = {name: {**fixed, **config}.get("scenario", default) for name, config in configurations.items()}
    for key in vary:
        _check_vary_name(key, fixed, set(scenarios.values()), ours)
    for name, config in configurations.items():
        _check_reserved(config, f"[configurations.{name}]")
        in_scope = {scoped(key)[1] for key in vary if scoped(key)[0] in (None, scenarios[name])}
        for key in config:
            if key in in_scope:
                raise SweepError(f"parameter {key!r} is both in [configurations.{name}] and [vary]; keep one")


def _check_reserved(names: Collection[str], where: str) -> None:
    """The runner's own columns and the seed cannot be set by a sweep."""
    for key in names:
        if key in RESERVED_NAMES:
            what = "the seed is set per run from the sweep seed" if key == "rng" else "the runner writes it"
            raise SweepError(f"{where} {key!r} cannot be set here ({what})")


def _check_vary_name(key: str, fixed: dict, scenarios: set[str | None], ours: bool) -> None:
    """A [vary] name: a parameter (of our model's table), set nowhere else, scoped to a scenario the sweep uses."""
    scope, parameter = scoped(key)
    if parameter in fixed:
        raise SweepError(f"parameter {parameter!r} is both in [fixed] and [vary]; keep one")
    if ours and parameter == "scenario":
        raise SweepError("[vary] scenario: list configurations with scenarios = [...] instead")
    if ours and parameter not in FIELDS:
        raise unknown_name_error(parameter, where="in [vary]")
    if scope is not None and (not ours or scope not in scenarios):
        named = ", ".join(sorted(s for s in scenarios if s)) or "none"
        raise SweepError(f"[vary] {key!r}: no configuration uses scenario {scope!r}; scenarios here: {named}")


def _check_community_values(fixed: dict, factors: tuple[Factor, ...], configurations: dict[str, dict]) -> None:
    """Every name and value through the model's own parameter table, so a typo fails before any run."""
    for where, values in (("[fixed]", fixed), *((f"[configurations.{n}]", c) for n, c in configurations.items())):
        for key in values.keys() - {"scenario"}:  # a configuration name, checked below
            _coerce(key, values[key], where)
    for factor in factors:
        ends = factor.ends() if isinstance(factor, Levels) else (factor.low, factor.high)
        if isinstance(factor, Levels) and isinstance(factor.values, Spaced) and len(factor.values) > 2:
            ends = (*ends, factor.values[1])  # a range is monotone; its spacing shows whether it is whole
        for value in ends:
            _coerce(scoped(factor.name)[1], value, f"[vary] {factor.name}:")
    for name, config in configurations.items():
        merged = {**fixed, **config}
        scenario = merged.pop("scenario", DEFAULT_SCENARIO)
        with reported_as(ParameterError, f"configuration {name!r}"):
            load_configuration(scenario, SweepError, **merged)


def _coerce(key: str, value: Any, where: str) -> None:
    if key not in FIELDS:
        raise unknown_name_error(key, where=f"in {where.rstrip(':')}")
    try:
        coerce(key, value)
    except ParameterError as err:
        raise SweepError(f"{where} {err}") from None


def _check_model_accepts(cls: type, path: str, names: list[str]) -> None:
    """A generic model must take every named parameter (as a keyword or through its mesa Scenario)."""
    interface = model_interface(cls)
    if interface.accepted is None:
        return
    check_keys(dict.fromkeys(names), sorted(interface.accepted), f"of model {path!r}", what="parameter")


def _output(table: Any, ours: bool) -> OutputSpec:
    if table is None:
        return OutputSpec()
    table = check(table, Rule("table"), "[output]")
    check_keys(table, OUTPUT, "in [output]")
    given = check_settings(table, OUTPUT, lambda key: f"[output] {key}")
    columns = given.get("columns", [])
    if not all(isinstance(c, str) for c in columns):
        raise SweepError(f"[output] columns must be a list of column names, got {columns!r}")
    if ours:
        valid = ["step", *COLUMNS]
        check_keys(dict.fromkeys(columns), valid, "in [output] columns", "column", "simulation/model/measures.py")
    return OutputSpec(given.get("series", False), given.get("thin", 1), tuple(dict.fromkeys(columns)))


# --- how a model class takes its parameters and seed --------------------------------------


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
    signature = inspect.signature(cls.__init__)  # type: ignore[misc]  # the class's own constructor, as written
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
