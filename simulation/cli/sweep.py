"""The `sweep` command: run or resume a sweep file's runs, locally or on a Dask cluster, and say what it did."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The module, not its names: run_sweep is looked up when the command runs, so that a test can replace it.
from ..experiments import sweep
from ..experiments.executors import ExecutorError
from ..experiments.sweep_spec import SweepSpec
from .exits import EXIT_FAILED, EXIT_OK, fail, interrupted
from .options import InputError, allow_large_option, check_count, check_out_dir, new_dir_option
from .sweep_options import check_sweep_community, sweep_errors

DEFAULT_SWEEP_DIR = Path("results/sweeps")


def add_parser(sub: Any) -> None:
    """The parser of `sweep`."""
    p = sub.add_parser("sweep", help="run a parameter sweep file (resumable; local processes or a Dask cluster)")
    p.add_argument("sweep_file", metavar="SWEEP.toml", help="the sweep file (see docs/sweeps.md and sweeps/)")
    p.add_argument(
        "--executor", choices=("processes", "dask", "inline"),
        help="processes (default): local process pool; dask: a Dask cluster (local, or --scheduler); "
        "inline: this process, for debugging",
    )  # fmt: skip
    p.add_argument("--scheduler", metavar="ADDRESS", help="join an existing Dask cluster (tcp://HOST:PORT or file)")
    p.add_argument(
        "--workers", type=int, metavar="N",
        help="worker processes (default: all cores); with --scheduler, wait until N workers have joined",
    )  # fmt: skip
    p.add_argument("--out", metavar="DIR", help=f"results directory (default {DEFAULT_SWEEP_DIR}/<sweep name>)")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs recorded as failed")
    p.add_argument(
        "--batch", type=int, metavar="N", help="runs per task (default: large tasks first, single runs at the end)"
    )
    p.add_argument("--dry-run", action="store_true",
                   help="check the sweep file and sizes, print the plan; draw no design, run nothing")  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    allow_large_option(p)
    new_dir_option(p)
    p.set_defaults(handler=cmd_sweep)


@dataclass(frozen=True)
class SweepPlan:
    """A checked `sweep` request: the loaded sweep file and where and how to run it."""

    spec: SweepSpec
    out: Path
    executor: str
    workers: int | None
    scheduler: str | None
    batch: int | None


def plan_sweep(args: argparse.Namespace) -> SweepPlan:
    """Check the sweep file, its sizes, the output directory and every option before a worker starts.

    A dry run counts the runs arithmetically and never draws the design.
    """
    try:
        spec = sweep.load_sweep(args.sweep_file, allow_large=args.allow_large, draw=not args.dry_run)
    except sweep.SweepError as err:
        raise InputError(str(err)) from None
    executor = args.executor or ("dask" if args.scheduler else "processes")
    if args.scheduler and executor != "dask":
        raise InputError(f"--scheduler joins a Dask cluster; it does not work with --executor {executor}")
    workers = check_count(args.workers, "--workers") if args.workers is not None else None
    batch = check_count(args.batch, "--batch") if args.batch is not None else None
    out = Path(args.out) if args.out else DEFAULT_SWEEP_DIR / spec.name
    out = sweep.free_results_dir(out, spec) if args.new_dir else out  # neither needs the design's points
    problem = sweep.mismatch(out, spec)
    if problem is not None:
        raise InputError(problem)
    out = check_out_dir(out)
    with sweep_errors():
        check_sweep_community(spec, executor, workers, args.scheduler, args.allow_large)
    return SweepPlan(spec, out, executor, workers, args.scheduler, batch)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or resume) a sweep file's runs, writing results to --out as they finish."""
    plan = plan_sweep(args)
    print(f"{plan.spec.describe()} -> {plan.out}", file=sys.stderr)
    if args.dry_run:
        return EXIT_OK
    try:
        result = sweep.run_sweep(
            plan.spec, plan.out, executor=plan.executor, workers=plan.workers, scheduler=plan.scheduler,
            progress=False if args.no_progress else None, retry_failed=args.retry_failed, batch_size=plan.batch,
        )  # fmt: skip
    except sweep.SweepError as err:  # e.g. another sweep is writing there
        raise InputError(str(err)) from None
    except ExecutorError as err:
        return fail(str(err), EXIT_FAILED)
    except sweep.SweepInterrupted as stop:
        return interrupted(stop)
    print(format_sweep_result(result))
    if result.remaining:
        return fail(
            f"{result.remaining} runs were not run: {result.problem}; {result.saved} of {result.total} are saved; "
            "run the same command again to do the rest",
            EXIT_FAILED,
        )
    return EXIT_OK


def format_sweep_result(result: sweep.SweepResult) -> str:
    """What the session did, where the results are, and the first distinct errors of failed runs."""
    where = f" on {result.executor}" if result.executor else ""
    skipped = f", {result.skipped} skipped (done before)" if result.skipped else ""
    if result.done == 0 and result.complete:
        done = f"nothing to run: all {result.total} runs are already saved"
    else:
        done = f"{result.done} runs in {result.elapsed:.1f} s{where}: {result.ok} ok, {result.failed} failed{skipped}"
    lines = [
        done,
        f"results in {result.out_dir}: summary/ (one row per run)"
        + (", series/ (per-step rows)" if result.series else "")
        + ", manifest.json, design.parquet",
    ]
    failed = result.failed + result.skipped_failed
    if failed:
        lines.append(f"{failed} runs failed; their errors are in the summary's error column. First errors:")
        lines += [f"  {line}" for line in _first_errors(result.out_dir)]
    return "\n".join(lines)


def _first_errors(out_dir: Path, limit: int = 3) -> list[str]:
    """A few distinct error messages of failed runs, each with the first run that raised it."""
    failed = sweep.read_summary(out_dir).query("status == 'failed'")
    firsts = failed.drop_duplicates("error").head(limit)
    return [f"{row.run_id}: {row.error}" for row in firsts.itertuples()]
