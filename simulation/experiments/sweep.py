"""Parameter sweeps: many runs of a Mesa model, described by one TOML file, resumable, on any executor.

A sweep file (``sweeps/*.toml``, reference in docs/sweeps.md) names the model,
its configurations, the parameters to vary and how (a grid or a sampled
design, see :mod:`simulation.experiments.designs`), the number of seeds, the horizon and
the outputs to keep. This module runs it: it hands tasks to local processes, a
Dask cluster or any ``concurrent.futures.Executor``
(:mod:`simulation.experiments.executors`) and saves each finished task at once. Its parts:

* :mod:`simulation.experiments.sweep_spec` reads and checks the sweep file and lists the runs;
* :mod:`simulation.experiments.executors` runs them, locally or on a cluster, and says what a worker does;
* :mod:`simulation.experiments.results` keeps the results directory; what a sweep's holds (its summary and
  series tables, the design file, the manifest's record) is at the end of this module.

Why it is built this way (the complaints about Mesa's ``batch_run`` this avoids):

* every run's seed derives from the sweep seed and the run's stable index
  (``SeedSequence(seed, spawn_key=(index,))``), so replications differ and the
  numbers never depend on the executor or the order in which runs finish;
* results stream to small Parquet parts, each written under a temporary name
  and renamed, so memory stays flat and an interrupted sweep (Ctrl-C, a dead
  worker, a crashed machine) loses nothing finished; running the same sweep
  again skips the finished runs;
* a run that raises is recorded with its error and the sweep goes on;
* the summary's columns are declared (the run's own, the varied parameters and
  the summary function's ``outputs``), so every part has one schema and
  ``pandas.read_parquet(DIR/summary)`` never silently drops a column.

Python API (everything public is importable from here)::

    from simulation.experiments.sweep import load_sweep, run_sweep, read_summary
    spec = load_sweep("sweeps/smoke.toml")
    result = run_sweep(spec, "results/sweeps/smoke", executor="processes")
    summary = read_summary("results/sweeps/smoke")
"""

from __future__ import annotations

import contextlib
import itertools
import math
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..inputs import os_error_reason, remedy
from ..lifeline import interrupts_deferred, signal_of, stop_signals
from .designs import Design, Problem
from .executors import (
    BatchJob,
    BatchResult,
    ExecutorHandle,
    community_summary,
    describe_error,
    final_values,
    open_executor,
    run_batch,
)
from .provenance import git_state, now
from .results import ResultsDir, ResultsWarning, SaveError, Table, part_paths
from .sweep_spec import (
    RUN_COLUMNS,
    OutputSpec,
    RunSpec,
    SweepError,
    SweepSpec,
    import_object,
    load_sweep,
    run_id,
    run_seed,
)

# Task sizes shrink as a sweep nears its end ("guided self-scheduling"): each task takes this share of the
# runs not yet handed out, divided among the workers, so early tasks are large (few Parquet parts, little
# per-task overhead) and the last ones are single runs that end close together (no idle worker at the tail).
TASKS_PER_SLOT = 8
MAX_BATCH = 64
# A task is also kept to about this many seconds of work, once the first runs have shown how long a run
# takes (until then tasks are single runs): an interruption then loses at most this much work per worker,
# and the per-task overhead (a few milliseconds) stays far below 1%.
TASK_SECONDS = 20.0


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, SIGHUP) during a sweep, raised after every finished run was saved.

    ``result`` has the counts; ``signum`` the signal that stopped the sweep.
    """

    def __init__(self, message: str, result: SweepResult, signum: int = signal.SIGINT) -> None:
        super().__init__(message)
        self.result = result
        self.signum = signum


class SweepNotSaved(OSError):
    """A results file could not be written (a full disk, lost permission); the runs saved before are kept.

    ``result`` has the counts, ``path`` and ``reason`` say which file failed and why, ``error`` is the original
    error. The message is one line: the file, the reason, what is kept, and that the same command resumes.
    """

    def __init__(self, error: OSError, result: SweepResult) -> None:
        self.error, self.result = error, result
        self.path, self.reason = error.filename, os_error_reason(error)
        super().__init__(
            f"cannot save results to {self.path}: {self.reason}; {result.saved} of {result.total} runs are saved in "
            f"{result.out_dir} and kept: {remedy(error)}, then run the same command again to resume"
        )


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
        stopped: stopped early because ``should_continue`` said so (every finished run was saved first).
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
    stopped: bool = False
    problem: str | None = None
    executor: str = ""
    series: bool = False
    quarantined: tuple[str, ...] = ()

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
    new_dir: bool = False,
    allow_large: bool = False,
    should_continue: Callable[[], bool] | None = None,
) -> SweepResult:
    """Run every run of the sweep not yet recorded in ``out_dir``, saving results as they finish.

    Args:
        spec: a :class:`SweepSpec`, or what :func:`load_sweep` accepts.
        out_dir: the results directory; running again resumes, skipping finished runs. A directory holding a
            different sweep, or runs made with other configuration files or code, is refused.
        executor: "processes" (all cores by default), "dask" (a local cluster, or ``scheduler``), "inline"
            (this process), or any ``concurrent.futures.Executor``.
        workers: processes or local Dask workers; with ``scheduler``, the number of workers to wait for.
        scheduler: address (tcp://HOST:PORT) or scheduler file of an existing Dask cluster.
        progress: True shows a progress bar and messages on stderr, False nothing, None only on a terminal.
        retry_failed: run again the runs recorded as failed (their old rows are removed first).
        batch_size: runs per task (default: large tasks first, shrinking to single runs at the end; at most 64).
        on_batch: called in this process after each save, with the running counts (a hook for monitoring).
        new_dir: if ``out_dir`` cannot hold this sweep, use the first of ``out_dir-2``, ``out_dir-3``, ... that
            can (``result.out_dir`` says which); a sibling holding this sweep is resumed.
        allow_large: lift the size limits of :mod:`simulation.experiments.limits` when ``spec`` is loaded here.
        should_continue: asked in this process before tasks are handed out; False stops the sweep as a
            Ctrl-C would, but quietly (``result.stopped``): how the dashboard's Stop reaches a running sweep.

    Raises:
        SweepError: a bad sweep or output directory (nothing was run).
        SweepInterrupted: Ctrl-C, SIGTERM or SIGHUP (in the main thread); every finished run was saved first.
        SweepNotSaved: a results file could not be written (a full disk, say); the runs saved before are kept
            and the same call resumes.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec, allow_large=allow_large)
    if batch_size is not None and batch_size < 1:
        raise SweepError(f"batch_size must be at least 1, got {batch_size}")
    if new_dir:
        out_dir = free_results_dir(out_dir, spec)
    started, clock = now(), time.perf_counter()
    store = results_dir(out_dir, spec)
    result = SweepResult(Path(out_dir), spec.n_runs, series=spec.output.series)
    try:
        result.quarantined = tuple(store.open())
    except SaveError as err:
        raise SweepNotSaved(err, result) from err
    try:
        if retry_failed:  # their rows go, so they run again (failed runs write no series rows)
            store.remove("summary", lambda frame: frame["status"] == "failed")
        finished = _finished(out_dir)
        finished = finished[(finished["index"] >= 0) & (finished["index"] < spec.n_runs)]  # runs of this sweep
        result.skipped = len(finished)
        result.skipped_failed = int((finished["status"] == "failed").sum())
        done = set(finished["run_id"])
        n_pending = spec.n_runs - len(done)
        _announce_resume(result, progress, n_pending)
        if n_pending:
            pending = (run for run in spec.iter_runs() if run.run_id not in done)  # made as they are handed out
            with stop_signals(), open_executor(executor, workers, scheduler) as handle:
                result.executor = handle.label
                _drive(spec, store, pending, n_pending, handle, result, progress, batch_size, on_batch,
                       should_continue or _always)  # fmt: skip
    except SaveError as err:  # the workers are stopped already (open_executor); what was saved stays
        raise SweepNotSaved(err, result) from err
    finally:
        result.elapsed = time.perf_counter() - clock
        with contextlib.suppress(OSError, ValueError):
            store.update(sessions=[*ResultsDir.manifest(out_dir).get("sessions", []), _session(result, started)])
        store.close()
    return result


def _always() -> bool:
    return True


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


def _finished(out_dir: str | Path) -> pd.DataFrame:
    """run_id, index and status of every run already recorded (a run redone after failing counts as ok)."""
    frame = ResultsDir.read(out_dir, "summary", columns=["run_id", "index", "status"])
    if frame is None:
        return pd.DataFrame({"run_id": pd.Series(dtype="string"), "index": pd.Series(dtype="Int64"),
                             "status": pd.Series(dtype="string")})  # fmt: skip
    return frame.sort_values("status", key=lambda s: s != "ok").drop_duplicates("run_id")


def _session(result: SweepResult, started: str) -> dict[str, Any]:
    return {
        "started": started, "finished": now(), "executor": result.executor, "ran": result.done,
        "ok": result.ok, "failed": result.failed, "skipped": result.skipped, "remaining": result.remaining,
        "interrupted": result.interrupted, "problem": result.problem, "seconds": round(result.elapsed, 1),
        "quarantined": list(result.quarantined), **git_state(),
    }  # fmt: skip


def auto_batch_size(remaining: int, slots: int, seconds_per_run: float | None = None) -> int:
    """Runs in the next task: 1/TASKS_PER_SLOT of each worker's share of the runs not yet handed out.

    With ``seconds_per_run`` known, also at most TASK_SECONDS of work; unknown (no run has finished yet), one
    run, so that a sweep of long runs never starts with tasks that an interruption would throw away.
    """
    if seconds_per_run is None:
        return 1
    guided = math.ceil(remaining / (max(1, slots) * TASKS_PER_SLOT))
    timed = math.floor(TASK_SECONDS / seconds_per_run) if seconds_per_run > 0 else MAX_BATCH
    return max(1, min(MAX_BATCH, guided, timed))


class _Pace:
    """Mean wall time per run so far in this session, from the runs' own ``seconds``."""

    def __init__(self) -> None:
        self.seconds, self.runs = 0.0, 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        self.seconds += sum(float(row.get("seconds") or 0.0) for row in rows)
        self.runs += len(rows)

    @property
    def per_run(self) -> float | None:
        return self.seconds / self.runs if self.runs else None


def _jobs(
    spec: SweepSpec, pending: Iterator[RunSpec], n_pending: int, handle: ExecutorHandle, batch_size: int | None,
    pace: _Pace,
) -> Iterator[BatchJob]:  # fmt: skip
    """The tasks, sized when they are handed out (a fixed ``batch_size``, or shrinking towards the end)."""
    handed_out = 0
    while handed_out < n_pending:
        size = batch_size or auto_batch_size(n_pending - handed_out, handle.capacity(), pace.per_run)
        runs = tuple(itertools.islice(pending, size))
        if not runs:
            return
        yield BatchJob(spec.model, spec.summary, spec.steps, spec.output, runs, limit_threads=not handle.in_process)
        handed_out += len(runs)


def _drive(
    spec: SweepSpec,
    store: ResultsDir,
    pending: Iterator[RunSpec],
    n_pending: int,
    handle: ExecutorHandle,
    result: SweepResult,
    progress: bool | None,
    batch_size: int | None,
    on_batch: Callable[[SweepResult], None] | None,
    should_continue: Callable[[], bool],
) -> None:
    """Keep every worker busy, save each finished task at once, and stop cleanly on Ctrl-C, a dead pool or stop."""
    pace = _Pace()
    jobs = _jobs(spec, pending, n_pending, handle, batch_size, pace)
    in_flight: dict[Future[BatchResult], BatchJob] = {}
    bar = tqdm(
        total=result.total, initial=result.skipped, desc=spec.name, unit="run", smoothing=0.1, dynamic_ncols=True,
        disable=None if progress is None else not progress,
    )  # fmt: skip
    bar.set_postfix(failed=result.skipped_failed, refresh=False)
    try:
        if not should_continue():
            result.stopped = True
            return
        broken = _submit(handle, jobs, in_flight, result)
        while in_flight:
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            with interrupts_deferred():
                outcomes, dead = _collect(finished, in_flight, result)
                _save(store, outcomes, result, bar, pace)
            broken = broken or dead
            if on_batch is not None and outcomes:
                on_batch(result)
            if broken:
                _stop(handle, in_flight, store, result, bar)
                break
            if not should_continue():
                result.stopped = True
                _stop(handle, in_flight, store, result, bar)
                break
            broken = _submit(handle, jobs, in_flight, result)
    except KeyboardInterrupt as interrupt:
        with interrupts_deferred():
            _stop(handle, in_flight, store, result, bar)
        result.interrupted = True
        message = (
            f"interrupted: {result.saved} of {result.total} runs are saved in {result.out_dir}; "
            "run the same command again to resume"
        )
        raise SweepInterrupted(message, result, signal_of(interrupt)) from None
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


def _save(
    store: ResultsDir, outcomes: list[BatchResult], result: SweepResult, bar: Any, pace: _Pace | None = None
) -> None:
    """Write finished runs to disk and count them."""
    rows = [row for outcome in outcomes for row in outcome.rows]
    if not rows:
        return
    if pace is not None:
        pace.add(rows)
    frames = [o.series for o in outcomes if o.series is not None and len(o.series)]
    store.append({"summary": rows, **({"series": pd.concat(frames, ignore_index=True)} if frames else {})})
    failed = sum(row["status"] == "failed" for row in rows)
    result.ok += len(rows) - failed
    result.failed += failed
    bar.set_postfix(failed=result.failed + result.skipped_failed, refresh=False)
    bar.update(len(rows))


def _stop(
    handle: ExecutorHandle, in_flight: dict[Future[BatchResult], BatchJob], store: ResultsDir, result: SweepResult,
    bar: Any,
) -> None:  # fmt: skip
    """Stop submitting, save the tasks that did finish, and stop the workers."""
    for future in in_flight:
        future.cancel()
    finished = {f for f in in_flight if f.done() and not f.cancelled() and f.exception() is None}
    _save(store, [f.result() for f in finished], result, bar)
    in_flight.clear()
    handle.abort()


# --- the results directory of a sweep -----------------------------------------------------------------

# The runner's own columns of the summary and their types; the varied parameters come between the run's keys
# and its outcome, the summary function's columns after them (the order of a row).
RUN_TYPES = dict(zip(RUN_COLUMNS, ("string", "Int64", "string", "Int64", "Int64", "Int64", "string", "string",
                                   "float64"), strict=True))  # fmt: skip
SERIES = Table("series", ("run_id", "step"), {"run_id": "string", "step": "Int64"}, open=True, commits="summary")


def results_dir(root: str | Path, spec: SweepSpec) -> ResultsDir:
    """A sweep's results directory: its summary and series tables, its design file and its manifest.

    The summary declares every column when the summary function declares its ``outputs``; a function that
    declares none (``final_values``) leaves its columns to what the rows hold, but for those it pins (``dtypes``).
    """
    function = import_object(spec.summary, "summary")
    outputs = getattr(function, "outputs", None)
    head, tail = RUN_COLUMNS[:6], RUN_COLUMNS[6:]
    columns = {**{name: RUN_TYPES[name] for name in head}, **{f.name: f.dtype for f in spec.factors},
               **{name: RUN_TYPES[name] for name in tail}, **(outputs or getattr(function, "dtypes", {}))}  # fmt: skip
    summary = Table("summary", ("run_id", "index", "status"), columns, open=outputs is None)
    return ResultsDir(Path(root), "sweep", {"sweep": spec.canonical()}, spec.provenance, record=lambda: _record(spec),
                      tables=(summary, SERIES), derived={"design.parquet": lambda: design_frame(spec.design)},
                      error=SweepError)  # fmt: skip


def _record(spec: SweepSpec) -> dict[str, Any]:
    """What else a sweep's manifest keeps for a later reader: the file as written and the design."""
    design = spec.design
    return {
        "name": spec.name,
        "fingerprint": spec.fingerprint,
        "sweep_file": str(spec.path) if spec.path else None,
        "sweep_text": spec.text,
        "runs": spec.n_runs,
        "configurations": list(spec.configurations),
        "design": {
            "method": design.method,
            "names": list(design.names),
            "points": len(design),
            "problem": design.problem.to_salib() if design.problem else None,
            "options": design.options,
            "file": "design.parquet",
        },
        "layout": {
            "summary": "summary/ (Parquet dataset, one row per run; key run_id)",
            "series": "series/ (Parquet dataset, per-step rows; key run_id, step)" if spec.output.series else None,
        },
        "sessions": [],
    }


def mismatch(root: str | Path, spec: SweepSpec) -> str | None:
    """Why ``root`` cannot hold this sweep's results (one line), or None: missing, empty, or the same sweep."""
    return results_dir(root, spec).problem()


def free_results_dir(root: str | Path, spec: SweepSpec) -> Path:
    """``root`` if it can hold this sweep, else the first of ``root-2``, ``root-3``, ... that can (``--new-dir``)."""
    return ResultsDir.free(root, lambda path: results_dir(path, spec))


def free_results_parent(parent: Path, spec: SweepSpec, child: str = "sweep") -> Path:
    """``parent`` if ``parent/child`` can hold this sweep, else the first such ``parent-2``, ``parent-3``, ...

    For commands whose sweep lives in ``DIR/sweep`` beside their own outputs (sensitivity, experiments).
    """
    return ResultsDir.free(parent, lambda path: results_dir(path, spec), child)


def design_frame(design: Design) -> pd.DataFrame:
    """The design as stored: point, the values the model receives, and SALib's raw sample (``raw_<name>``)."""
    frame = design.points.reset_index(drop=True).copy()
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    if design.matrix is not None:  # all columns at once: one by one fragments a frame of many parameters
        raw = pd.DataFrame(design.matrix, columns=[f"raw_{name}" for name in design.names], index=frame.index)
        frame = pd.concat([frame, raw], axis=1)
    return frame


# --- reading results ---------------------------------------------------------------------


def read_summary(out_dir: str | Path) -> pd.DataFrame:
    """One row per recorded run, in run order (the directory's parts are in order of completion).

    Only the parts are read, one by one: a stray file is ignored and an unreadable part is skipped with a
    :class:`ResultsWarning` naming it (resuming the sweep sets it aside and redoes its runs).
    """
    directory = Path(out_dir) / "summary"
    if not part_paths(directory):
        raise FileNotFoundError(f"no sweep results in {out_dir} (expected {directory}/part-*.parquet)")
    frame = ResultsDir.read(out_dir, "summary")
    if frame is None:
        raise FileNotFoundError(f"no readable sweep results in {out_dir}: every part of {directory} is unreadable")
    return frame.sort_values("index", kind="stable").drop_duplicates("run_id", keep="last").reset_index(drop=True)


def read_series(out_dir: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The per-step rows of every recorded run (run_id, step, columns), sorted by run and step (see read_summary)."""
    directory = Path(out_dir) / "series"
    if not part_paths(directory):
        raise FileNotFoundError(f"no per-step series in {out_dir} (was [output] series = true?)")
    wanted = None if columns is None else ["run_id", "step", *(c for c in columns if c not in ("run_id", "step"))]
    frame = ResultsDir.read(out_dir, "series", wanted)
    if frame is None:
        raise FileNotFoundError(f"no readable per-step series in {out_dir}: every part of {directory} is unreadable")
    return frame.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The manifest: sweep, versions, design description, sessions."""
    return ResultsDir.manifest(out_dir)


def load_design(out_dir: str | Path) -> Design:
    """The design of a results directory, with its problem and SALib's raw sample for sampled designs."""
    info = read_manifest(out_dir)["design"]
    frame = pd.read_parquet(Path(out_dir) / "design.parquet")
    names = tuple(info["names"])
    raw = [f"raw_{n}" for n in names]
    matrix = frame[raw].to_numpy(dtype=float) if names and all(c in frame for c in raw) else None
    points = frame[list(names)].reset_index(drop=True) if names else pd.DataFrame(index=range(len(frame)))
    problem = Problem.from_salib(info["problem"]) if info.get("problem") else None
    return Design(info["method"], names, points, problem, matrix, info.get("options", {}))


def point_outputs(summary: pd.DataFrame, column: str, n_points: int, configuration: str | None = None) -> np.ndarray:
    """Mean of ``column`` over the successful replicates of each design point, in point order (NaN if none).

    This is the ``Y`` to pass with a design (:func:`simulation.experiments.sensitivity.analyze`) or with its
    ``problem.to_salib()`` (and ``matrix``) to SALib's analysers.
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
    "ResultsWarning",
    "RunSpec",
    "SweepError",
    "SweepInterrupted",
    "SweepNotSaved",
    "SweepResult",
    "SweepSpec",
    "community_summary",
    "final_values",
    "free_results_dir",
    "free_results_parent",
    "mismatch",
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
