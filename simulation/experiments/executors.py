"""Where and how a sweep's runs execute: anything behind ``concurrent.futures.Executor``, and what a worker does.

The sweep runner only submits tasks and waits for futures, so one runner
serves every back end:

* ``processes`` (default): a local process pool, one process per core;
* ``dask``: a Dask distributed cluster, either a local one started here or an
  existing one joined by address (``tcp://HOST:PORT``) or scheduler file, which
  is how a sweep runs on several machines or on an HPC cluster;
* ``inline``: this process, one run after another (for debugging with pdb);
* any ``Executor`` instance you made yourself (e.g. ``mpi4py.futures.MPIPoolExecutor``
  or a ``dask_jobqueue`` cluster's ``client.get_executor()``); it is used, not shut down.

Runs are single-threaded numpy code, so each worker limits BLAS/OpenMP thread
pools to one thread: with several workers per machine, threaded BLAS would
oversubscribe the cores and make two workers slower than one.

A worker builds, runs and summarises models a task (several runs) at a time
(:func:`run_batch`). It never writes files (results go back to the process
driving the sweep), and it turns a run's error into a recorded row instead of
an exception, so one failing run never stops a sweep.
"""

from __future__ import annotations

import atexit
import functools
import gc
import logging
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..lifeline import watch_parent, worker_initializer
from ..model.runner import summarise
from ..model.stages import STAGES
from .designs import plain
from .sweep_spec import OutputSpec, RunSpec, import_object, model_interface

EXECUTORS = ("processes", "dask", "inline")
THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
}
# Dask's statistical profiler samples every worker thread's stack every 10 ms; for pure-Python runs that
# costs about a fifth of the run time (measured: 0.41 s against 0.33 s per run), so local workers go without.
# The event-loop health check ("tick", every 20 ms in scheduler, nannies and workers) wakes each process to
# take the GIL from the run; once a second is plenty for its only use, warnings about a blocked loop.
LOCAL_DASK_CONFIG = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s"}
WORKER_WAIT_SECONDS = 120.0  # how long to wait for the first workers of an existing Dask cluster

_threads_limited = False


class ExecutorError(RuntimeError):
    """An executor that cannot be started or reached; the message is one line."""


def cpu_count() -> int:
    """Cores this process may use (the affinity mask, which batch schedulers set), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def limit_threads() -> None:
    """Limit BLAS/OpenMP pools to one thread in this process, once (called in every worker before runs)."""
    global _threads_limited
    if _threads_limited:
        return
    os.environ.update(THREAD_ENV)  # for libraries loaded from now on
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: the environment variables still cover libraries loaded later
        pass
    else:
        threadpool_limits(limits=1)  # for libraries already loaded (numpy's BLAS)
    _threads_limited = True


def process_worker_init(parent_pid: int) -> None:
    """Start-up of a pool process: die with the parent, one BLAS thread, and leave Ctrl-C to the parent.

    Pools of :func:`new_process_pool` call it behind their lifeline (:func:`simulation.lifeline.worker_initializer`),
    which already watches the parent; ``watch_parent`` then does nothing.

    The parent saves what finished and stops the workers itself; a worker that also took Ctrl-C would print
    a traceback and could die in the middle of handing back a finished task.
    """
    watch_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_threads()
    atexit.register(_exit_at_once)
    gc.freeze()  # the imported modules' objects (about 100,000) are never garbage: the collector skips them


def _exit_at_once() -> None:
    """End a pool process without tearing down its interpreter.

    A worker holds no files and nothing left to save when the pool lets it go (its results went back to the
    parent, and a worker that died in the middle of a task never gets here), but clearing the modules of
    pandas, scipy, Mesa and the model takes about 1 s per process: the parent waits that long at the end of
    every sweep (``shutdown`` joins the workers), where ``multiprocessing.Pool`` (``mesa.batch_run``) kills
    its workers. Registered last, it is the first of the exit functions to run. The exit status is 0: a pool
    process only gets here when the pool ends it (a task's error goes back to the parent as the task's
    result), and ``ProcessPoolExecutor`` does not read its workers' exit status.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed stream: nothing to flush
            pass
    os._exit(0)


class InlineExecutor(Executor):
    """Runs each task in this process at submit time: no parallelism, but plain tracebacks and pdb."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:  # KeyboardInterrupt propagates: Ctrl-C stops the sweep, it is not a task error
            future.set_exception(err)
        return future


@dataclass
class ExecutorHandle:
    """An open executor with what the runner needs to know about it.

    Attributes:
        executor: where tasks are submitted.
        label: one line for the user, e.g. "2 local processes".
        in_process: tasks run in this process (then workers do not limit threads).
        capacity: current number of parallel task slots (a Dask cluster may grow or shrink).
        abort: stop at once, dropping queued and running tasks (after Ctrl-C or a broken pool).
    """

    executor: Executor
    label: str
    capacity: Callable[[], int]
    in_process: bool = False
    abort: Callable[[], None] = field(default=lambda: None)


@contextmanager
def open_executor(
    kind: str | Executor = "processes", workers: int | None = None, scheduler: str | None = None
) -> Iterator[ExecutorHandle]:
    """Start (or join) the executor for a sweep and shut it down afterwards.

    Args:
        kind: "processes", "dask", "inline", or an Executor instance (used as is, never shut down).
        workers: processes or local Dask workers (default: all cores); with ``scheduler``, wait until that
            many workers have joined.
        scheduler: address (tcp://HOST:PORT) or scheduler-file path of an existing Dask cluster.
    """
    if isinstance(kind, Executor):
        slots = workers or getattr(kind, "_max_workers", None) or cpu_count()
        yield ExecutorHandle(kind, f"the given {type(kind).__name__}", lambda: slots)
    elif kind == "inline":
        yield ExecutorHandle(InlineExecutor(), "this process (inline)", lambda: 1, in_process=True)
    elif kind == "processes":
        if scheduler:
            raise ExecutorError("a scheduler address is for the dask executor; use --executor dask")
        with _process_pool(workers or cpu_count()) as handle:
            yield handle
    elif kind == "dask":
        with _dask(workers, scheduler) as handle:
            yield handle
    else:
        raise ExecutorError(f"unknown executor {kind!r}; choose one of: {', '.join(EXECUTORS)}")


def new_process_pool(n: int) -> ProcessPoolExecutor:
    """A spawn-started pool whose workers die with this process, even while they start (:mod:`simulation.lifeline`).

    Spawn gives the same behaviour on every OS and never forks a threaded parent.
    """
    initializer, initargs = worker_initializer(process_worker_init, os.getpid())
    return ProcessPoolExecutor(
        max_workers=n, mp_context=multiprocessing.get_context("spawn"), initializer=initializer, initargs=initargs
    )


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once: terminate its workers, then drop queued tasks (``shutdown`` would wait for them).

    The workers go first: the pool's manager thread then sees a broken pool and takes CPython's clean-up path
    for one, which closes the task pipe. Shut down first, it would instead wait to flush queued tasks into a
    pipe that no worker reads any more, and the interpreter would hang at exit waiting for that thread.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)
    pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def _process_pool(n: int) -> Iterator[ExecutorHandle]:
    pool = new_process_pool(n)
    aborted = False

    def abort() -> None:
        nonlocal aborted
        if not aborted:
            aborted = True
            stop_pool(pool)

    try:
        yield ExecutorHandle(pool, f"{n} local process{'es' if n > 1 else ''}", lambda: n, abort=abort)
    except BaseException:  # Ctrl-C or an error (e.g. in a calibration): running tasks are not waited for
        abort()
        raise
    finally:
        if not aborted:
            pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _dask(workers: int | None, scheduler: str | None) -> Iterator[ExecutorHandle]:
    """A Dask client on an existing cluster, or on a local cluster of single-threaded worker processes."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a dependency of the project
        raise ExecutorError("the dask executor needs 'dask[distributed]' installed") from None
    cluster = None
    if scheduler:
        client = _connect(Client, scheduler)
        try:
            _wait_for_workers(client, workers or 1, scheduler)
        except BaseException:
            client.close()
            raise
        label = f"Dask cluster at {scheduler}"
    else:
        import dask

        n = workers or cpu_count()
        with dask.config.set(LOCAL_DASK_CONFIG):  # the nannies hand this configuration to their workers
            cluster = LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.ERROR, env=THREAD_ENV,
            )  # fmt: skip
        client = Client(cluster)
        label = f"local Dask cluster of {n} worker{'s' if n > 1 else ''}"
    capacity = _DaskCapacity(client)
    executor = client.get_executor(pure=False)
    closed = False

    def close() -> None:
        nonlocal closed
        if closed:
            return
        closed = True
        try:
            executor.shutdown(wait=False)
            client.close()
            if cluster is not None:
                cluster.close()
        except Exception:  # closing a cluster that is already gone must not hide the real outcome
            pass

    try:
        yield ExecutorHandle(executor, f"{label} ({capacity()} threads)", capacity, abort=close)
    finally:
        close()


def _connect(client_cls: Any, scheduler: str) -> Any:
    """Join a cluster by address or scheduler file, with a one-line error if it is not there."""
    kwargs = {"scheduler_file": scheduler} if Path(scheduler).is_file() else {"address": scheduler}
    try:
        return client_cls(timeout="30s", **kwargs)
    except (OSError, TimeoutError, ValueError) as err:
        raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None


def _wait_for_workers(client: Any, n: int, scheduler: str) -> None:
    """A batch system may start workers after the scheduler; wait for them rather than run on none."""
    try:
        client.wait_for_workers(n, timeout=WORKER_WAIT_SECONDS)
    except TimeoutError:
        have = len(client.scheduler_info().get("workers", {}))
        raise ExecutorError(
            f"only {have} of {n} Dask workers joined {scheduler} within {WORKER_WAIT_SECONDS:.0f} s"
        ) from None


class _DaskCapacity:
    """The cluster's thread count, asked of the scheduler at most every few seconds (workers come and go)."""

    def __init__(self, client: Any, every: float = 5.0) -> None:
        self.client, self.every = client, every
        self.value, self.when = 1, -float("inf")

    def __call__(self) -> int:
        now = time.monotonic()
        if now - self.when >= self.every:
            try:
                self.value = max(1, sum(self.client.nthreads().values()))
            except Exception:  # the scheduler is busy or gone; the futures will tell
                pass
            self.when = now
        return self.value


# --- what a worker does ---------------------------------------------------------------------


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


# Every column the summary writes, with its type: the results directory keeps them so whatever a batch holds (no
# run reached independence yet, or every run failed), and an analysis checks the outputs it is asked for before a
# single run (tests/test_sweep.py checks this list against a real run's summary).
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
        values = {key: plain(value) for key, value in summary(table).items()}
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
