"""Sensitivity analysis and scenario discovery over a sweep's results.

The sweep runner (:mod:`simulation.experiments.sweep`) produces one summary row per run;
these functions turn such a directory into Sobol' or Morris indices
(:mod:`simulation.experiments.sensitivity`, SALib) and into the regions of parameter space
that lead to an outcome (:mod:`simulation.experiments.discovery`, PRIM).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..validation import read_toml, reported_as, unknown
from .discovery import Discovery, describe, discover, write_discovery
from .sensitivity import analyze, write_results
from .sweep import SweepError, SweepSpec, load_sweep, point_outputs, read_manifest, read_summary
from .sweep_spec import import_object

DEFAULT_OUTPUTS = ("final_index", "total_public_cost", "trust_in_strangers_last_year")
DEFAULT_SAMPLES = {"sobol": 64, "morris": 10}


def sensitivity_spec(
    path: str | Path, method: str, samples: int | None = None, allow_large: bool = False, **changes: Any
) -> SweepSpec:
    """A sweep file with its design set to ``method`` (its [vary] entries give the bounds).

    ``samples`` and top-level ``changes`` (seeds, steps, fixed, ...) make a smaller or larger version of it.
    Sizes are checked before the design is drawn (``allow_large`` lifts the limits).
    """
    if method not in DEFAULT_SAMPLES:
        raise SweepError(unknown("sensitivity method", method, DEFAULT_SAMPLES))
    path = Path(path)
    with reported_as(SweepError):
        data = read_toml(path, "sweep file")[1]
    design = data.get("design", {})
    if not isinstance(design, dict):
        raise SweepError(f"{path.name}: [design] must be a table, got {design!r}")
    design = dict(design)
    if design.get("method") not in (None, method):
        design = {}  # the file's options belong to another method
    design["method"] = method
    design.setdefault("samples", DEFAULT_SAMPLES[method])
    if samples is not None:
        design["samples"] = samples
    return load_sweep({**data, **changes, "design": design}, name=path.stem, allow_large=allow_large)


def check_outputs(spec: SweepSpec, outputs: list[str]) -> list[str]:
    """Outputs a sensitivity analysis of ``spec`` can use, checked before any run: numeric summary columns.

    Uses the columns the summary function declares (``outputs``); a function that declares none is trusted
    until its results exist (:func:`design_point_outputs` checks them then).
    """
    declared = getattr(import_object(spec.summary, "summary"), "outputs", None)
    if declared is None:
        return outputs
    numeric = [name for name, dtype in declared.items() if dtype != "string"]
    for name in outputs:
        if name not in numeric:
            raise SweepError(f"unknown output '{name}'; valid: {', '.join(numeric)}")
    return outputs


def design_point_outputs(summary: pd.DataFrame, outputs: list[str], n_points: int) -> pd.DataFrame:
    """Each output averaged over a design point's seeds (:func:`~.sweep.point_outputs`), checked complete."""
    failed = summary[summary["status"] != "ok"]
    if len(failed):
        raise SweepError(
            f"{len(failed)} runs failed (e.g. {failed['error'].iloc[0]}); sensitivity needs every "
            "design point: fix the cause and rerun the sweep with --retry-failed"
        )
    missing = [name for name in outputs if name not in summary.columns]
    if missing:
        valid = [c for c in summary.columns if pd.api.types.is_numeric_dtype(summary[c])]
        raise SweepError(f"unknown output '{missing[0]}'; valid: {', '.join(valid)}")
    means = pd.DataFrame({name: point_outputs(summary, name, n_points) for name in outputs})
    done = int(means.notna().all(axis=1).sum())
    if done != n_points:
        raise SweepError(f"the sweep has {done} of its {n_points} design points; run it to completion first")
    return means


def analyse_sensitivity(
    spec: SweepSpec, sweep_dir: str | Path, out_dir: str | Path, outputs: list[str] | None = None
) -> pd.DataFrame:
    """Indices with confidence intervals for each output (and each configuration), written as CSV and PNG."""
    design = spec.design
    if design.method not in DEFAULT_SAMPLES or design.problem is None:
        raise SweepError(f"sweep design is '{design.method}'; sensitivity needs a sobol or morris design")
    outputs = list(outputs or DEFAULT_OUTPUTS)
    summary = read_summary(sweep_dir)
    tables, pairs = [], []
    for configuration, runs in summary.groupby("configuration", sort=False):
        table, second = analyze(design, design_point_outputs(runs, outputs, len(design)), seed=spec.seed)
        tables.append(table.assign(configuration=configuration))
        if second is not None:
            pairs.append(second.assign(configuration=configuration))
    table = pd.concat(tables, ignore_index=True)
    if table["configuration"].nunique() > 1:  # one panel per (configuration, output)
        table["output"] = table["configuration"] + ": " + table["output"]
    write_results(table, out_dir, design.method, second_order=pd.concat(pairs) if pairs else None)
    return table


def analyse_discovery(
    sweep_dir: str | Path, out_dir: str | Path, outcome: str = "first_independence", method: str = "prim"
) -> Discovery:
    """Which regions of the varied parameters lead to ``outcome`` (a first_<stage> column: the stage is reached)."""
    everything = read_summary(sweep_dir)
    summary = everything[everything["status"] == "ok"]
    design_path = Path(sweep_dir) / "design.parquet"
    try:
        design = pd.read_parquet(design_path)
    except (OSError, ValueError, pa.ArrowException) as err:  # missing, or unreadable
        raise SweepError(f"{design_path} cannot be read ({type(err).__name__}); run the sweep again to write it "
                         "anew") from None  # fmt: skip
    varied = [c for c in design.columns if c in summary.columns and c != "point"]
    if not varied:
        raise SweepError("the sweep varies no parameter: there is no parameter space to discover regions in")
    if outcome not in summary.columns:
        raise SweepError(f"unknown outcome '{outcome}'; valid: first_learning, first_independence, or a bool column")
    reached = summary[outcome].notna() if outcome.startswith("first_") else summary[outcome].astype(bool)
    X = summary[varied].reset_index(drop=True)
    if summary["configuration"].nunique() > 1:
        X["configuration"] = summary["configuration"].astype(str).to_numpy()
    label = f"{outcome.removeprefix('first_')} within the horizon"
    found = discover(X, reached.to_numpy(), method=method, label=label)
    incomplete = sweep_completeness(sweep_dir, present=len(everything))
    if incomplete is not None:  # said first, in the summary, the text file and the figure
        found = dataclasses.replace(found, incomplete=incomplete)
        found = dataclasses.replace(found, summary=describe(found))
    write_discovery(found, X, reached.to_numpy(), out_dir)
    return found


def sweep_completeness(sweep_dir: str | Path, present: int) -> tuple[int, int] | None:
    """``(present, planned)`` runs when a sweep directory holds fewer runs than its manifest plans, else None.

    ``present`` counts every recorded run, failed ones too (they were run); a directory without a readable manifest
    cannot say what was planned, so it is taken as it is.
    """
    try:
        planned = int(read_manifest(sweep_dir)["runs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (present, planned) if present < planned else None
