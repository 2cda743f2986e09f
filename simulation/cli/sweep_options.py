"""What the sweep-based commands share: executor options, their sweep's output directory, and whose fault an error is.

The commands built on a sweep (sweep, sensitivity, experiment, calibrate) take --executor, --scheduler and
--workers; those that simulate take --allow-large, and those that resume take --new-dir.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..experiments.executors import ExecutorError, cpu_count
from ..experiments.sweep import SweepError, free_results_parent, mismatch
from ..inputs import os_error_reason, remedy
from .estimate import check_community
from .options import InputError, allow_large_option, check_count, check_out_dir, new_dir_option


def sweep_options(p: argparse.ArgumentParser, new_dir: bool = True) -> None:
    """The executor options every sweep-based command shares."""
    p.add_argument("--executor", choices=("processes", "dask", "inline"), help="as for `sweep` (default processes)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="join an existing Dask cluster (tcp://HOST:PORT)")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    allow_large_option(p)
    if new_dir:
        new_dir_option(p)


def executor_args(args: argparse.Namespace) -> dict[str, Any]:
    """Checked executor options, as keyword arguments of run_sweep."""
    executor = args.executor or ("dask" if args.scheduler else "processes")
    if args.scheduler and executor != "dask":
        raise InputError(f"--scheduler joins a Dask cluster; it does not work with --executor {executor}")
    workers = check_count(args.workers, "--workers") if args.workers is not None else None
    return {
        "executor": executor,
        "workers": workers,
        "scheduler": args.scheduler,
        "progress": False if args.no_progress else None,
    }


def check_sweep_community(spec: Any, executor: str, workers: int | None, scheduler: str | None,
                          allow_large: bool) -> None:  # fmt: skip
    """The largest community of a sweep of our model, as many at once as there are local workers."""
    largest = spec.largest_community()
    if largest is None:
        return
    local = 1 if executor == "inline" or scheduler else (workers or cpu_count())
    check_community(largest, spec.steps, spec.n_runs, local, allow_large)


def sweep_out(out: Path, spec: Any, new_dir: bool, child: str = "sweep") -> Path:
    """The output directory of a command whose sweep lives in ``out/sweep``: checked (and moved on) first."""
    if new_dir:
        out = free_results_parent(out, spec, child)
    problem = mismatch(out / child, spec)
    if problem is not None:
        raise SweepError(problem)
    return check_out_dir(out)


@contextmanager
def sweep_errors() -> Iterator[None]:
    """Sweep problems found before anything runs are bad input; a cluster that cannot be reached is not."""
    try:
        yield
    except SweepError as err:
        raise InputError(str(err)) from None
    except ExecutorError as err:
        raise OSError(str(err)) from None


@contextmanager
def runs_kept_in(out: Path) -> Iterator[None]:
    """A write that fails after a command's sweep (its tables and figures): name the file, say the runs are kept.

    The sweep's own failures (:class:`simulation.experiments.sweep.SweepNotSaved`) say so already; an error
    without an errno is one of this program's complete messages and passes unchanged.
    """
    try:
        yield
    except OSError as err:
        if err.errno is None:
            raise
        raise OSError(f"cannot write {err.filename or out}: {os_error_reason(err)}; the finished runs are kept in "
                      f"{out}: {remedy(err)}, then run the same command again to resume") from err  # fmt: skip
