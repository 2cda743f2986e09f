"""Likelihood-free calibration (ABC-SMC with pyabc) of model parameters against target statistics.

A calibration spec (TOML) names a configuration, the parameters to calibrate
with uniform priors, and the target statistics (per-step columns averaged over
a window of months, e.g. the Karamay survey's trust in strangers). A target is
a point or, where a survey says "over 70%", a bound that counts only when it
is broken (:class:`TargetDistance`). pyabc's ABC-SMC then narrows the priors to
the parameter values whose simulated statistics come close to the targets;
what remains is the posterior. A posterior predictive check then runs draws
from the posterior on seeds the calibration never used and reports, per target
and per non-target check, the median and 90% interval against the survey.

Runs are reproducible: every simulation's seed is derived from the spec's seed
and the parameter values, and the sampler maps particles in a fixed order over
any ``concurrent.futures`` executor (local processes or a Dask cluster).

Finished generations are kept: pyabc writes each one to ``DIR/history.db`` as
it completes, and calling :func:`calibrate` again on the same directory
continues from the last complete generation (an interrupted one is redone)
to the same posterior as an uninterrupted calibration, because every task's
seed derives from the calibration seed and the generation. The directory
records the spec, the configuration's content and the code (``manifest.json``,
:mod:`simulation.experiments.results`); a directory made with anything else is refused.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import random
import signal
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc

from ..i18n import gettext_for
from ..lifeline import SafePoints, signal_of
from ..model.parameters import FIELDS, coerce, unknown_name_error
from ..model.runner import run_scenario
from ..model.scenarios import load_configuration
from ..names import configuration_name
from ..validation import Rule, ValidationError, check, check_keys, check_settings, read_toml, reported_as, require
from ..validation import unknown as unknown_name
from .atomic import write_csv, write_text
from .designs import run_seed
from .limits import ALLOW_LARGE, check_community_size
from .provenance import record
from .results import ResultsDir

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
    "targets": "table: per-step column = target value, or {at_least = x} / {at_most = x} for a survey bound",
    "checks": "table, optional: statistics that are not targets, {at_least = x} / {at_most = x}, checked after",
    "predictive_runs": "posterior predictive runs after the calibration, on seeds it never used",
}
SIDES = ("at_least", "at_most")  # a bound's two readings; a plain number is a point target
# The single-valued settings as rules (simulation.validation), each checked for its type before anything runs.
SETTINGS = {
    "scenario": Rule("name", meaning=SPEC_KEYS["scenario"]),
    "description": Rule("text", meaning=SPEC_KEYS["description"]),
    **{key: Rule("int", low=least) for key, least in
       {"steps": 1, "seeds": 1, "population_size": 2, "generations": 1, "seed": 0, "predictive_runs": 0}.items()},
    "min_epsilon": Rule("float", low=0),
}  # fmt: skip
TABLES = {
    "parameters": Rule("table", low=1, meaning="name = [low, high]"),
    "targets": Rule("table", low=1, meaning="column = value"),
    "checks": Rule("table", meaning="column = {at_least = x}"),
}
MAX_POPULATION = 100_000  # particles per generation; above, a typo is likelier than a plan (--allow-large)
MAX_GENERATIONS = 1_000
DATABASE = "history.db"


class CalibrationError(ValidationError):
    """A calibration spec or output directory that cannot be used; the message is one line."""


class CalibrationInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, SIGHUP) during a calibration, raised after pyabc saved the finished generations."""

    def __init__(self, message: str, signum: int = signal.SIGINT) -> None:
        super().__init__(message)
        self.signum = signum


@dataclass(frozen=True)
class CalibrationSpec:
    """What to calibrate, against what, and how hard to try."""

    scenario: str
    priors: dict[str, tuple[float, float]]
    targets: dict[str, float]
    # How each target is read: "equal" (a point), "at_least" or "at_most" (a survey's "over 70%" is a bound).
    sides: dict[str, str] = field(default_factory=dict)
    # Statistics that are not targets, each (side, value): checked on the posterior predictive runs only.
    checks: dict[str, tuple[str, float]] = field(default_factory=dict)
    predictive_runs: int = 40
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
        """A cheaper version (smaller population, fewer generations and predictive runs), for smoke runs and CI.

        ``factor`` must be a number in (0, 1]; 1 is the spec itself.
        """
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not 0 < factor <= 1:
            raise CalibrationError(f"scale must be a number above 0 and at most 1, got {factor!r}")
        if factor == 1:
            return self
        return CalibrationSpec(
            **{
                **self.__dict__,
                "population_size": max(10, int(self.population_size * factor)),
                "generations": max(2, int(round(self.generations * factor))),
                "predictive_runs": min(self.predictive_runs, max(5, int(self.predictive_runs * factor))),
            }
        )


def load_calibration(spec: str | Path | dict[str, Any], allow_large: bool = False) -> CalibrationSpec:
    """Read and check a calibration spec; every problem is a one-line CalibrationError, before anything runs.

    Every setting is checked for its type and range (a quoted number, a fraction where a count belongs, a NaN
    target), the configuration is loaded, and sizes are checked against :mod:`simulation.experiments.limits`
    (``allow_large`` lifts them).
    """
    with reported_as(CalibrationError):
        data = spec if isinstance(spec, dict) else read_toml(Path(spec), "calibration spec")[1]
        check_keys(data, SPEC_KEYS, "in calibration spec")
        tables = check_settings(data, TABLES, lambda key: f"[{key}]")
        require(data, ("scenario", "parameters", "targets"), "calibration spec", SPEC_KEYS)
        settings = _settings(data)
        load_configuration(settings["scenario"], CalibrationError)
        priors = {name: _prior(name, bounds) for name, bounds in tables["parameters"].items()}
        read = {name: _target(name, value, "targets") for name, value in tables["targets"].items()}
        checks = {name: _target(name, value, "checks") for name, value in tables.get("checks", {}).items()}
        if any(side == "equal" for side, _value in checks.values()):
            raise CalibrationError("a check in [checks] must be a bound, {at_least = x} or {at_most = x}")
        targets = {name: value for name, (_side, value) in read.items()}
        sides = {name: side for name, (side, _value) in read.items()}
        spec_obj = CalibrationSpec(priors=priors, targets=targets, sides=sides, checks=checks, source=data,
                                   **settings)  # fmt: skip
        _check_settings(spec_obj, allow_large)
    return spec_obj


def _settings(data: dict[str, Any]) -> dict[str, Any]:
    """The scalar settings, each checked for its type and least value; the window as a pair of months."""
    settings = check_settings(data, SETTINGS)
    if "n_residents" in data:
        settings["n_residents"] = coerce("n_residents", check(data["n_residents"], Rule("int", low=1), "'n_residents'"))
    if "window" in data:
        window = data["window"]
        if not (isinstance(window, list) and len(window) == 2):
            raise CalibrationError(f"'window' must be [first, last] months, got {window!r}")
        settings["window"] = tuple(check(month, Rule("int", low=0), "'window'") for month in window)
    if "min_epsilon" in settings:
        settings["min_epsilon"] = float(settings["min_epsilon"])
    return settings


def _finite(value: Any, what: str) -> float:
    return check(value, Rule("float"), what)


def _prior(name: str, bounds: Any) -> tuple[float, float]:
    if name not in FIELDS:
        raise unknown_name_error(name, where="in [parameters]")
    if not (isinstance(bounds, list) and len(bounds) == 2):
        raise CalibrationError(f"prior of '{name}' must be [low, high], got {bounds!r}")
    low, high = (_finite(b, f"prior of '{name}'") for b in bounds)
    with reported_as(CalibrationError, f"prior of '{name}'"):
        low, high = (float(coerce(name, b)) for b in (low, high))
    if low >= high:
        raise CalibrationError(f"prior of '{name}': low ({low}) must be below high ({high})")
    return low, high


def _target(name: str, value: Any, table: str) -> tuple[str, float]:
    """A target's reading and value: a number is a point; {at_least = x} or {at_most = x} is a bound."""
    from ..model.measures import COLUMNS

    what = "target" if table == "targets" else "check"
    numeric = [c for c in COLUMNS if c not in ("stage", "government_role")]
    if name not in numeric:
        raise CalibrationError(unknown_name(what, name, numeric))
    if not isinstance(value, dict):
        return "equal", _within_range(name, "equal", _finite(value, f"{what} '{name}'"), what)
    if len(value) != 1 or next(iter(value)) not in SIDES:
        raise CalibrationError(f"{what} '{name}' must be a number or one of {{at_least = x}}, {{at_most = x}}, "
                               f"got {value!r}")  # fmt: skip
    side, bound = next(iter(value.items()))
    return side, _within_range(name, side, _finite(bound, f"{what} '{name}'"), what)


def _within_range(name: str, side: str, value: float, what: str) -> float:
    """``value`` if the statistic can take it (:func:`simulation.model.measures.value_range`).

    A share of 1.31 can never be met, and a bound outside the range is either never met ({at_least = 7}) or
    always met, so no calibration could learn from it: an hour of runs would be spent on a typo.
    """
    from ..model.measures import value_range

    low, high = value_range(name)
    if low <= value <= high:
        return value
    shown = f"{value:g}" if side == "equal" else f"{side} = {value:g}"
    valid = f"{low:g} to {high:g}" if math.isfinite(high) else f"{low:g} or more"
    raise CalibrationError(f"{what} '{name}' {shown} is outside the values it can take: {valid}")


def _check_settings(spec: CalibrationSpec, allow_large: bool = False) -> None:
    first, last = spec.window
    if not 0 <= first <= last <= spec.steps:
        raise CalibrationError(f"window {list(spec.window)} must lie within months 0..{spec.steps}")
    if not allow_large:
        limits = (("population_size", MAX_POPULATION), ("generations", MAX_GENERATIONS),
                  ("predictive_runs", MAX_POPULATION))  # fmt: skip
        for name, limit in limits:
            if getattr(spec, name) > limit:
                raise CalibrationError(f"'{name}' = {getattr(spec, name):,} is above the limit of {limit:,}; "
                                       f"make it smaller, or pass {ALLOW_LARGE} if you mean it")  # fmt: skip
    check_community_size(spec.n_residents, allow_large=allow_large)


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
            spec.scenario, steps=spec.steps, seed=simulation_seed(spec.seed, values, replicate),
            n_residents=spec.n_residents, **values,
        )  # fmt: skip
        window = table[(table["step"] >= first) & (table["step"] <= last)]
        rows.append({name: float(window[name].mean()) for name in spec.targets})
    return {name: float(np.mean([row[name] for row in rows])) for name in spec.targets}


@dataclass(frozen=True)
class TargetDistance:
    """Euclidean distance to the targets, where a bound counts only when it is broken.

    A survey's "超过70.54%" (over 70.54%) says the share is at least that; a run at 0.80 meets it and
    should not be pushed back toward 0.7054, as a point target would (picklable for pyabc's workers).
    """

    sides: tuple[tuple[str, str], ...]  # (statistic, "equal" | "at_least" | "at_most")

    def __call__(self, simulated: dict[str, float], observed: dict[str, float]) -> float:
        return math.sqrt(sum(gap(side, simulated[name], observed[name]) ** 2 for name, side in self.sides))


def gap(side: str, value: float, target: float) -> float:
    """How far ``value`` is from meeting a target read as ``side``; 0 when a bound is met."""
    if side == "at_least":
        return max(0.0, target - value)
    if side == "at_most":
        return max(0.0, value - target)
    return value - target


def simulation_seed(calibration_seed: int, values: dict[str, float], replicate: int) -> int:
    """A seed that depends only on the calibration seed, the parameter values (their bits) and the replicate."""
    words = [int(w) for k in sorted(values) for w in np.frombuffer(np.float64(values[k]).tobytes(), dtype=np.uint32)]
    return run_seed([calibration_seed, replicate, *words] if words else [calibration_seed])


@dataclass
class CalibrationResult:
    """The posterior and how it was reached."""

    posterior: pd.DataFrame  # one row per particle: parameters + weight
    history: pd.DataFrame  # one row per generation: epsilon, particles, samples, acceptance
    generations: pd.DataFrame  # every generation's particles, for the diagnostic plot
    summary: dict[str, Any]
    predictive: pd.DataFrame | None = None  # posterior predictive runs: parameters, seed, statistics


def calibrate(
    spec: CalibrationSpec,
    out_dir: str | Path,
    executor: Executor | None = None,
    progress: Callable[[str], None] | None = print,
    new_dir: bool = False,
    lang: str = "en",
) -> CalibrationResult:
    """Run ABC-SMC (or continue it) and write the posterior, the generation history, a summary and a plot.

    ``lang`` is the language of the plot and the summary given to ``progress`` ('zh' needs a Chinese font);
    the files of numbers keep their identifiers.

    ``out_dir/history.db`` is pyabc's database, written generation by generation: calling this again after an
    interruption continues from the last complete generation. A directory holding a calibration of another
    spec, configuration or code is refused (:class:`CalibrationError`); ``new_dir`` then uses the first of
    ``out_dir-2``, ``out_dir-3``, ... that is new or holds this very calibration.

    Raises:
        CalibrationError: an output directory that cannot be used (nothing was run).
        CalibrationInterrupted: Ctrl-C, SIGTERM or SIGHUP; the finished generations are kept.
    """
    out = free_calibration_dir(Path(out_dir), spec) if new_dir else Path(out_dir)
    with results_dir(out, spec) as results:  # refused before anything runs; locked while it runs
        return _calibrate(spec, results, executor, progress, lang)


def _calibrate(spec: CalibrationSpec, results: ResultsDir, executor: Executor | None,
               progress: Callable[[str], None] | None, lang: str) -> CalibrationResult:  # fmt: skip
    """The calibration in its open directory: pyabc's database continued (or started), then the results."""
    out = results.root
    # pyabc logs every step at INFO, with dictionaries of internals; we report one line per generation instead.
    logging.getLogger("ABC").setLevel(logging.WARNING)
    prior = pyabc.Distribution(
        **{name: pyabc.RV("uniform", low, high - low) for name, (low, high) in spec.priors.items()}
    )
    safe = SafePoints()
    sampler = SeededMappingSampler(
        map_=executor.map if executor else map, seed=spec.seed, waiting=safe.waiting,
        report=_generation_reporter(spec, progress, lang) if progress else None,
    )  # fmt: skip
    distance = TargetDistance(tuple((name, spec.sides.get(name, "equal")) for name in spec.targets))
    abc = pyabc.ABCSMC(Simulator(spec), prior, distance, population_size=spec.population_size, sampler=sampler)
    database, complete = out / DATABASE, ResultsDir.manifest(out).get("complete", False)
    url = f"sqlite:///{database}"
    if database.exists():
        abc.load(url, 1)
        kept = abc.history.max_t + 1  # complete generations; an interrupted one left nothing behind
        if progress and not complete:
            progress(f"continuing: {kept} of {spec.generations} generations are kept in {database}")
    else:
        abc.new(url, spec.targets)
        kept = 0
    if not complete and kept < spec.generations:
        try:
            with safe:  # Ctrl-C is raised only while waiting for simulations, never inside pyabc's database writes
                abc.run(minimum_epsilon=spec.min_epsilon, max_nr_populations=spec.generations - kept)
                safe.check()
        except KeyboardInterrupt as interrupt:
            kept = pyabc.History(url).max_t + 1
            raise CalibrationInterrupted(
                f"interrupted: {kept} of {spec.generations} generations are kept in {database}; "
                "run the same command again to continue", signal_of(interrupt),
            ) from None  # fmt: skip
    results.update(complete=True)
    result = _collect(abc.history, spec)
    if spec.predictive_runs:
        if progress:
            progress(_progress_text(lang, "predictive").format(runs=spec.predictive_runs))
        try:
            result.predictive = posterior_predictive(spec, result.posterior, executor)
        except KeyboardInterrupt as interrupt:
            raise CalibrationInterrupted(
                f"interrupted during the posterior predictive check; all {spec.generations} generations are kept "
                f"in {out / DATABASE}; run the same command again to redo the check", signal_of(interrupt),
            ) from None  # fmt: skip
        result.summary["predictive"] = predictive_summary(spec, result.predictive)
    _write(result, out, spec, lang)
    if progress:
        progress(format_summary(result, lang))
    return result


def _progress_text(lang: str, which: str) -> str:
    _ = gettext_for(lang)
    if which == "predictive":
        return _("posterior predictive check: {runs} runs of the posterior on seeds the calibration never used")
    if which == "first":
        return _("sample from the prior to set the first distance threshold: {runs} runs")
    return _("generation {number} of {total}: {particles} particles accepted from {runs} runs ({share:.0%})")


def _generation_reporter(spec: CalibrationSpec, progress: Callable[[str], None], lang: str) -> Callable:
    """One line per finished generation, in place of pyabc's log."""

    def report(t: int, accepted: int, runs: int) -> None:
        if t < 0:  # pyabc's calibration sample, drawn from the prior before generation 0
            progress(_progress_text(lang, "first").format(runs=runs))
        else:
            share = accepted / max(runs, 1)
            text = _progress_text(lang, "generation")
            progress(text.format(number=t + 1, total=spec.generations, particles=accepted, runs=runs, share=share))

    return report


# --- the posterior predictive check ---------------------------------------------------------------------------

PREDICTIVE_STREAM = 0x505043  # "PPC": a stream of the calibration seed that no calibration run draws from


def posterior_predictive(spec: CalibrationSpec, posterior: pd.DataFrame, executor: Executor | None = None
                         ) -> pd.DataFrame:  # fmt: skip
    """Run ``spec.predictive_runs`` particles drawn from the posterior (by weight) on seeds the calibration never
    used: one row per run with its parameters and every target and check statistic.

    The draws and the seeds come from a stream of the calibration seed kept for the check (spawn key
    :data:`PREDICTIVE_STREAM`), so the check is reproducible; calibration runs take their seeds from the parameter
    values instead (:func:`simulation_seed`).
    """
    stream = np.random.SeedSequence(spec.seed, spawn_key=(PREDICTIVE_STREAM,))
    rng = np.random.default_rng(stream)
    weights = posterior["weight"].to_numpy(dtype=float)
    rows = rng.choice(len(posterior), size=spec.predictive_runs, p=weights / weights.sum())
    draws = [{name: float(posterior[name].iloc[row]) for name in spec.priors} for row in rows]
    seeds = stream.spawn(1)[0].generate_state(spec.predictive_runs, dtype=np.uint32).tolist()
    statistics = [*spec.targets, *(name for name in spec.checks if name not in spec.targets)]
    runs = (executor.map if executor else map)(functools.partial(_predictive_run, spec, statistics), draws, seeds)
    return pd.DataFrame([{**values, "seed": seed, **stats} for values, seed, stats in zip(draws, seeds, runs,
                                                                                         strict=True)])  # fmt: skip


def _predictive_run(spec: CalibrationSpec, statistics: list[str], values: dict[str, float], seed: int
                    ) -> dict[str, float]:  # fmt: skip
    first, last = spec.window
    table = run_scenario(spec.scenario, steps=spec.steps, seed=int(seed), n_residents=spec.n_residents, **values)
    window = table[(table["step"] >= first) & (table["step"] <= last)]
    return {name: float(window[name].mean()) for name in statistics}


def predictive_summary(spec: CalibrationSpec, predictive: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per target and check: what the survey says, the predictive median and 90% interval, and whether it holds.

    A point target holds when it lies inside the 90% interval; a bound holds when the median meets it (the share
    of runs meeting it is given too).
    """
    rules = {name: (spec.sides.get(name, "equal"), value, "target") for name, value in spec.targets.items()}
    rules.update({name: (side, value, "check") for name, (side, value) in spec.checks.items()})
    summary = {}
    for name, (side, value, role) in rules.items():
        values = predictive[name].to_numpy(dtype=float)
        median, low, high = (float(np.quantile(values, q)) for q in (0.5, 0.05, 0.95))
        meeting = float(np.mean([gap(side, v, value) == 0 for v in values])) if side != "equal" else None
        holds = low <= value <= high if side == "equal" else gap(side, median, value) == 0
        summary[name] = {"role": role, "side": side, "value": value, "median": median, "ci90": [low, high],
                         "share_meeting": meeting, "holds": bool(holds)}  # fmt: skip
    return summary


# --- the output directory: which calibration it holds --------------------------------------------------------


def results_dir(out: str | Path, spec: CalibrationSpec) -> ResultsDir:
    """A calibration's directory: pyabc's database (``history.db``) and a manifest of the spec, what decided its
    numbers (the configuration's content and the code) and whether the generations are complete."""
    settings = {k: v for k, v in spec.__dict__.items() if k not in ("source", "description")}
    return ResultsDir(Path(out), "calibration", {"calibration": settings}, record({spec.scenario: spec.scenario}),
                      record=lambda: {"spec": spec.source, "complete": False}, error=CalibrationError)  # fmt: skip


def calibration_mismatch(out: Path, spec: CalibrationSpec) -> str | None:
    """Why ``out`` cannot hold this calibration (one line), or None (kept for the command line)."""
    return results_dir(out, spec).problem()


def free_calibration_dir(out: Path, spec: CalibrationSpec) -> Path:
    """``out`` if it can hold this calibration, else the first of ``out-2``, ``out-3``, ... (for the command line)."""
    return ResultsDir.free(out, lambda path: results_dir(path, spec))


stale_calibration = ResultsDir.stale  # kept for notebooks/publish.py


class SeededMappingSampler(pyabc.sampler.MappingSampler):
    """pyabc's MappingSampler reseeds every task from the operating system; this one seeds each task from the
    calibration seed, the generation and the task's position, so the same spec gives the same posterior on any
    executor, and a calibration continued after an interruption gives the same posterior as one that was not."""

    def __init__(
        self, map_: Callable = map, seed: int = 0, waiting: Callable[[], Any] = contextlib.nullcontext,
        report: Callable[[int, int, int], None] | None = None, **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(map_=map_, **kwargs)
        self.seed = seed
        self.waiting = waiting  # the only place an interruption may be raised (see lifeline.SafePoints)
        self.report = report  # called with (generation, particles accepted, runs) after each generation

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
        # t is -1 for the calibration sample that sets the first threshold, then 0, 1, ...
        stream = np.random.SeedSequence(self.seed, spawn_key=(t + 1,))
        seeds = (stream.generate_state(n, dtype=np.uint32) % (2**31 - 1)).tolist()
        with self.waiting():
            results = list(self.map_(task, seeds))
        self.nr_evaluations_ = sum(evaluations for _, evaluations in results)
        sample = self._create_empty_sample()
        for part, _ in results:
            sample += part
        if self.report:
            self.report(t, n, self.nr_evaluations_)
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


def _write(result: CalibrationResult, out: Path, spec: CalibrationSpec, lang: str = "en") -> None:
    from .plots import plot_calibration, plot_predictive

    write_csv(result.posterior, out / "posterior.csv", index=False)
    write_csv(result.history, out / "generations.csv", index=False)
    write_text(out / "summary.json", json.dumps({**result.summary, "spec": spec.source}, indent=2, default=str))
    plot_calibration(result.generations, spec.priors, result.history, out / "diagnostics.png", lang=lang)
    if result.predictive is not None:
        write_csv(result.predictive, out / "predictive.csv", index=False)
        plot_predictive(result.predictive, result.summary["predictive"], out / "predictive.png", lang=lang)


def format_summary(result: CalibrationResult, lang: str = "en") -> str:
    """Two short tables: each parameter's prior and posterior (median, 90% interval), and, after a posterior
    predictive check, each target and check against what the survey says (parameters keep their names)."""
    _ = gettext_for(lang)
    scenario = result.summary["scenario"]
    shown = configuration_name(scenario, lang)
    lines = [
        _("posterior for {configuration} after {generations} generations:").format(
            configuration=scenario if shown == scenario else f"{shown} ({scenario})", generations=len(result.history)
        )
    ]
    width = max(len(name) for name in [*result.summary["parameters"], *result.summary.get("predictive", {})]) + 2
    lines.append(f"  {_('parameter'):<{width}} {_('prior'):<16} {_('mean ± sd'):<16} {_('90% interval')}")
    for name, stats in result.summary["parameters"].items():
        (low, high), (prior_low, prior_high) = stats["ci90"], stats["prior"]
        prior = f"[{prior_low:.3g}, {prior_high:.3g}]"
        lines.append(f"  {name:<{width}} {prior:<16} {stats['mean']:.3f} ± {stats['sd']:<8.3f} [{low:.3f}, {high:.3f}]")
    predictive = result.summary.get("predictive")
    if predictive:
        runs = 0 if result.predictive is None else len(result.predictive)
        title = _("posterior predictive check ({runs} runs on seeds the calibration never used):")
        lines.append(title.format(runs=runs))
        lines.append(f"  {_('statistic'):<{width}} {_('role'):<14} {_('survey'):<16} {_('median'):<8} "
                     f"{_('90% interval'):<16} {_('holds')}")  # fmt: skip
        for name, check in predictive.items():
            survey = _side_text(check["side"], check["value"], lang)
            role = _("target") if check["role"] == "target" else _("not a target")
            low, high = check["ci90"]
            holds = _("yes") if check["holds"] else _("no")
            if check["share_meeting"] is not None:
                holds += " " + _("({share:.0%} of runs)").format(share=check["share_meeting"])
            lines.append(f"  {name:<{width}} {role:<14} {survey:<16} {check['median']:<8.3f} "
                         f"[{low:.3f}, {high:.3f}]   {holds}")  # fmt: skip
    return os.linesep.join(lines)


def _side_text(side: str, value: float, lang: str) -> str:
    _ = gettext_for(lang)
    if side == "at_least":
        return _("at least {value:.4g}").format(value=value)
    if side == "at_most":
        return _("at most {value:.4g}").format(value=value)
    return f"{value:.4g}"
