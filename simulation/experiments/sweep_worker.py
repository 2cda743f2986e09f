"""What a sweep worker does: build, run and summarise models, a task (several runs) at a time.

Everything here runs in the worker processes (local or on other machines): it
never writes files (results go back to the process driving the sweep), and it
turns a run's error into a recorded row instead of an exception, so one failing
run never stops a sweep.
"""

from __future__ import annotations

import functools
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..model.runner import summarise
from ..model.stages import STAGES
from .executors import limit_threads
from .sweep_spec import OutputSpec, RunSpec, import_object, model_interface


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
    """Our model's headline numbers per run (:func:`simulation.model.runner.summarise`).

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
# Every column the summary writes, with its type, so that an analysis can check the outputs it is asked for
# before a single run (tests/test_sweep.py checks this list against a real run's summary).
community_summary.outputs = {  # type: ignore[attr-defined]
    "final_stage": "string",
    "final_role": "string",
    "final_index": "float64",
    **{f"first_{stage}": "Int64" for stage in STAGES},
    "trust_in_strangers_last_year": "float64",
    "participation_last_year": "float64",
    "misperception_last_year": "float64",
    "admin_task_completion_mean": "float64",
    "total_public_cost": "float64",
    "ngo_count_final": "Int64",
}


def declared_outputs(summary: Callable[..., Any]) -> dict[str, str] | None:
    """The columns a summary function declares it writes (``outputs`` attribute), or None if it does not say."""
    outputs = getattr(summary, "outputs", None)
    return dict(outputs) if isinstance(outputs, dict) else None


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
    return import_object(path, "object")


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
