"""Where a sweep's runs execute: anything behind the ``concurrent.futures.Executor`` interface.

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
"""

from __future__ import annotations

import atexit
import gc
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..lifeline import watch_parent, worker_initializer

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
def process_pool(n: int) -> Iterator[ProcessPoolExecutor]:
    """A pool from :func:`new_process_pool`, shut down normally, or stopped at once after an exception or Ctrl-C."""
    pool = new_process_pool(n)
    try:
        yield pool
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


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


__all__ = [
    "EXECUTORS",
    "ExecutorError",
    "ExecutorHandle",
    "InlineExecutor",
    "cpu_count",
    "limit_threads",
    "new_process_pool",
    "open_executor",
    "process_pool",
    "process_worker_init",
    "stop_pool",
]
