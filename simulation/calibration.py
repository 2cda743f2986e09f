"""Likelihood-free calibration (ABC-SMC with pyabc) of model parameters against target statistics.

A calibration spec (TOML) names a configuration, the parameters to calibrate
with uniform priors, and the target statistics (per-step columns averaged over
a window of months, e.g. the Karamay survey's trust in strangers). pyabc's
ABC-SMC then narrows the priors to the parameter values whose simulated
statistics come close to the targets; what remains is the posterior.

Runs are reproducible: every simulation's seed is derived from the spec's seed
and the parameter values, and the sampler maps particles in a fixed order over
any ``concurrent.futures`` executor (local processes or a Dask cluster).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random
import tomllib
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc

from .parameters import FIELDS, ParameterError, coerce
from .runner import run_scenario
from .scenarios import ScenarioError, load_scenario

SPEC_KEYS = {
    "description": "what is calibrated against what, in one line",
    "scenario": "the configuration to calibrate",
    "steps": "months simulated per evaluation",
    "n_residents": "community size per evaluation",
    "seeds": "simulations averaged per evaluation",
    "window": "[first, last] month over which each statistic is averaged",
    "population_size": "particles per ABC generation",
    "generations": "ABC-SMC generations",
    "min_epsilon": "stop when the distance threshold falls below this",
    "seed": "seed of the whole calibration",
    "parameters": "table: name = [low, high] uniform prior",
    "targets": "table: per-step column = target value",
}


class CalibrationError(ValueError):
    """A calibration spec that cannot be used."""


@dataclass(frozen=True)
class CalibrationSpec:
    """What to calibrate, against what, and how hard to try."""

    scenario: str
    priors: dict[str, tuple[float, float]]
    targets: dict[str, float]
    description: str = ""
    steps: int = 240
    n_residents: int = 1000
    seeds: int = 1
    window: tuple[int, int] = (180, 240)
    population_size: int = 60
    generations: int = 5
    min_epsilon: float = 0.0
    seed: int = 0
    source: dict[str, Any] = field(default_factory=dict)

    def scaled(self, factor: float) -> CalibrationSpec:
        """A cheaper version (smaller population, fewer generations), for smoke runs and CI."""
        if factor >= 1:
            return self
        return CalibrationSpec(
            **{
                **self.__dict__,
                "population_size": max(10, int(self.population_size * factor)),
                "generations": max(2, int(round(self.generations * factor))),
            }
        )


def load_calibration(spec: str | Path | dict[str, Any]) -> CalibrationSpec:
    """Read and check a calibration spec; every problem is a one-line CalibrationError."""
    data = spec if isinstance(spec, dict) else _read_toml(Path(spec))
    unknown = sorted(set(data) - set(SPEC_KEYS))
    if unknown:
        raise CalibrationError(f"unknown key '{unknown[0]}' in calibration spec; valid: {', '.join(SPEC_KEYS)}")
    for key in ("scenario", "parameters", "targets"):
        if key not in data:
            raise CalibrationError(f"calibration spec is missing '{key}' ({SPEC_KEYS[key]})")
    try:
        load_scenario(data["scenario"])
    except ScenarioError as err:
        raise CalibrationError(str(err)) from None
    priors = {name: _prior(name, bounds) for name, bounds in data["parameters"].items()}
    targets = {name: _target(name, value) for name, value in data["targets"].items()}
    if not priors or not targets:
        raise CalibrationError("calibration spec needs at least one parameter and one target")
    settings = {k: data[k] for k in SPEC_KEYS if k in data and k not in ("parameters", "targets")}
    if "window" in settings:
        settings["window"] = tuple(settings["window"])
    spec_obj = CalibrationSpec(priors=priors, targets=targets, source=data, **settings)
    _check_settings(spec_obj)
    return spec_obj


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CalibrationError(f"calibration spec not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise CalibrationError(f"calibration spec {path} is not valid TOML: {err}") from None


def _prior(name: str, bounds: Any) -> tuple[float, float]:
    if name not in FIELDS:
        raise CalibrationError(f"unknown parameter '{name}' in [parameters]; see 'python -m simulation parameters'")
    if not (isinstance(bounds, list) and len(bounds) == 2):
        raise CalibrationError(f"prior of '{name}' must be [low, high], got {bounds!r}")
    try:
        low, high = (float(coerce(name, b)) for b in bounds)
    except ParameterError as err:
        raise CalibrationError(f"prior of '{name}': {err}") from None
    if low >= high:
        raise CalibrationError(f"prior of '{name}': low ({low}) must be below high ({high})")
    return low, high


def _target(name: str, value: Any) -> float:
    from .measures import COLUMNS

    if name not in COLUMNS or name in ("stage", "government_role"):
        numeric = [c for c in COLUMNS if c not in ("stage", "government_role")]
        raise CalibrationError(f"unknown target '{name}'; valid: {', '.join(numeric)}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CalibrationError(f"target '{name}' must be a number, got {value!r}")
    return float(value)


def _check_settings(spec: CalibrationSpec) -> None:
    first, last = spec.window
    if not 0 <= first <= last <= spec.steps:
        raise CalibrationError(f"window {list(spec.window)} must lie within months 0..{spec.steps}")
    for name in ("seeds", "population_size", "generations", "steps", "n_residents"):
        if getattr(spec, name) < 1:
            raise CalibrationError(f"'{name}' must be at least 1")


@dataclass(frozen=True)
class Simulator:
    """The model as pyabc sees it: parameter values in, target statistics out (picklable for workers)."""

    spec: CalibrationSpec

    def __call__(self, values: dict[str, float]) -> dict[str, float]:
        return simulate_statistics(self.spec, {name: float(values[name]) for name in self.spec.priors})


def simulate_statistics(spec: CalibrationSpec, values: dict[str, float]) -> dict[str, float]:
    """Mean of each target column over the window, averaged over ``spec.seeds`` runs."""
    first, last = spec.window
    rows = []
    for replicate in range(spec.seeds):
        table = run_scenario(
            spec.scenario, steps=spec.steps, seed=run_seed(spec.seed, values, replicate),
            n_residents=spec.n_residents, **values,
        )  # fmt: skip
        window = table[(table["step"] >= first) & (table["step"] <= last)]
        rows.append({name: float(window[name].mean()) for name in spec.targets})
    return {name: float(np.mean([row[name] for row in rows])) for name in spec.targets}


def run_seed(calibration_seed: int, values: dict[str, float], replicate: int) -> int:
    """A seed that depends only on the calibration seed, the parameter values and the replicate."""
    words = [np.frombuffer(np.float64(values[k]).tobytes(), dtype=np.uint32) for k in sorted(values)]
    entropy = [calibration_seed, replicate, *np.concatenate(words).tolist()] if words else [calibration_seed]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


@dataclass
class CalibrationResult:
    """The posterior and how it was reached."""

    posterior: pd.DataFrame  # one row per particle: parameters + weight
    history: pd.DataFrame  # one row per generation: epsilon, particles, samples, acceptance
    generations: pd.DataFrame  # every generation's particles, for the diagnostic plot
    summary: dict[str, Any]


def calibrate(
    spec: CalibrationSpec,
    out_dir: str | Path,
    executor: Executor | None = None,
    progress: Callable[[str], None] | None = print,
) -> CalibrationResult:
    """Run ABC-SMC and write the posterior, the generation history, a summary and a diagnostic plot."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # pyabc reports each generation through logging: shown when progress is wanted, silent otherwise.
    logging.getLogger("ABC").setLevel(logging.INFO if progress else logging.WARNING)
    prior = pyabc.Distribution(
        **{name: pyabc.RV("uniform", low, high - low) for name, (low, high) in spec.priors.items()}
    )
    sampler = SeededMappingSampler(map_=executor.map if executor else map)
    abc = pyabc.ABCSMC(
        Simulator(spec), prior, pyabc.PNormDistance(p=2), population_size=spec.population_size, sampler=sampler
    )
    database = out / "history.db"
    if database.exists():
        database.unlink()  # a calibration starts afresh; its results are the CSV/JSON files below
    np.random.seed(spec.seed % 2**32)
    abc.new(f"sqlite:///{database}", spec.targets)
    history = abc.run(minimum_epsilon=spec.min_epsilon, max_nr_populations=spec.generations)
    result = _collect(history, spec)
    _write(result, out, spec)
    if progress:
        progress(format_summary(result))
    return result


class SeededMappingSampler(pyabc.sampler.MappingSampler):
    """pyabc's MappingSampler reseeds every task from the operating system; this one seeds each task from the
    calibration's own random stream, so the same spec gives the same posterior on any executor."""

    def map_function(self, simulate_one, task_seed):  # noqa: ANN001 - pyabc's signature
        # Run in the caller's process too (serial map), so leave its random streams as they were.
        saved = np.random.get_state(), random.getstate()
        np.random.seed(task_seed)
        random.seed(task_seed)
        try:
            simulate_one = self.unpickle(simulate_one)
            sample, evaluations = self._create_empty_sample(), 0
            while True:
                particle = simulate_one()
                evaluations += 1
                sample.append(particle)
                if particle.accepted:
                    return sample, evaluations
        finally:
            np.random.set_state(saved[0])
            random.setstate(saved[1])

    def sample_until_n_accepted(self, n, simulate_one, t, **_):  # noqa: ANN001
        task = functools.partial(self.map_function, self.pickle(simulate_one))
        seeds = np.random.randint(0, 2**31 - 1, size=n).tolist()
        results = list(self.map_(task, seeds))
        self.nr_evaluations_ = sum(evaluations for _, evaluations in results)
        sample = self._create_empty_sample()
        for part, _ in results:
            sample += part
        return sample


def _collect(history: Any, spec: CalibrationSpec) -> CalibrationResult:
    frames = []
    for t in range(history.max_t + 1):
        particles, weights = history.get_distribution(m=0, t=t)
        frame = particles.reset_index(drop=True)
        frame["weight"] = np.asarray(weights)
        frame["generation"] = t
        frames.append(frame)
    generations = pd.concat(frames, ignore_index=True)
    posterior = generations[generations["generation"] == history.max_t].drop(columns="generation")
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    table = pd.DataFrame(
        {
            "generation": pops["t"],
            "epsilon": pops["epsilon"],
            "particles": pops["particles"],
            "samples": pops["samples"],
        }
    )
    table["acceptance"] = table["particles"] / table["samples"]
    return CalibrationResult(posterior, table, generations, _summarise(posterior, spec))


def _summarise(posterior: pd.DataFrame, spec: CalibrationSpec) -> dict[str, Any]:
    weights = posterior["weight"].to_numpy()
    weights = weights / weights.sum()
    parameters = {}
    for name in spec.priors:
        values = posterior[name].to_numpy()
        order = np.argsort(values)
        cumulative = np.cumsum(weights[order])
        low, high = (float(values[order][np.searchsorted(cumulative, q)]) for q in (0.05, 0.95))
        mean = float(np.sum(weights * values))
        sd = float(np.sqrt(np.sum(weights * (values - mean) ** 2)))
        parameters[name] = {"mean": mean, "sd": sd, "ci90": [low, high], "prior": list(spec.priors[name])}
    return {"scenario": spec.scenario, "targets": spec.targets, "parameters": parameters}


def _write(result: CalibrationResult, out: Path, spec: CalibrationSpec) -> None:
    from .plots import plot_calibration

    result.posterior.to_csv(out / "posterior.csv", index=False)
    result.history.to_csv(out / "generations.csv", index=False)
    (out / "summary.json").write_text(json.dumps({**result.summary, "spec": spec.source}, indent=2, default=str))
    plot_calibration(result.generations, spec.priors, result.history, out / "diagnostics.png")


def format_summary(result: CalibrationResult) -> str:
    """The posterior in a few lines: mean, sd and 90% interval per parameter."""
    lines = [f"posterior for {result.summary['scenario']} after {len(result.history)} generations:"]
    for name, stats in result.summary["parameters"].items():
        low, high = stats["ci90"]
        lines.append(f"  {name:<28} {stats['mean']:.3f} ± {stats['sd']:.3f}   90% interval [{low:.3f}, {high:.3f}]")
    return os.linesep.join(lines)
