"""The `compare` command: configurations side by side across seeds (a table, a summary and a figure)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..experiments.compare import (
    DEFAULT_OUT,
    DEFAULT_SCENARIOS,
    DEFAULT_SEED,
    DEFAULT_SEEDS,
    compare_scenarios,
    format_summary,
    stage_thresholds,
    unique_names,
    validate_scenarios,
    write_comparison,
)
from ..experiments.limits import MAX_RUNS
from ..experiments.sweep import SweepNotSaved
from ..i18n import gettext_for
from ..inputs import remedy, writing
from ..model.scenarios import load_configuration
from .estimate import check_community
from .exits import EXIT_FAILED, EXIT_OK, fail
from .options import (
    InputError,
    add_model_options,
    check_count,
    check_figure_language,
    check_out_dir,
    check_seed,
    check_steps,
    input_checks,
    model_overrides,
)


def add_parser(sub: Any) -> None:
    """The parser of `compare`."""
    p = sub.add_parser("compare", help="compare configurations across seeds (table, summary, figure)")
    p.add_argument(
        "--scenarios", default=",".join(DEFAULT_SCENARIOS), metavar="A,B,...",
        help=f"comma-separated configurations (default {','.join(DEFAULT_SCENARIOS)})",
    )  # fmt: skip
    seeds_help = f"runs (replicates) per configuration (default {DEFAULT_SEEDS})"
    p.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, metavar="K", help=seeds_help)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                   help=f"root seed: every run's seed derives from it and the run's index, as in a sweep "
                   f"(default {DEFAULT_SEED}, that of `experiment configurations`)")  # fmt: skip
    add_model_options(p)
    workers_help = "worker processes (default: all cores; 1 runs in this process)"
    p.add_argument("--workers", type=int, metavar="N", help=workers_help)
    p.add_argument("--out", default=str(DEFAULT_OUT), metavar="DIR", help=f"output directory (default {DEFAULT_OUT})")
    p.set_defaults(handler=cmd_compare)


@dataclass(frozen=True)
class ComparePlan:
    """A checked `compare` request."""

    names: list[str]
    seeds: int
    steps: int
    overrides: dict[str, Any]
    workers: int
    out: Path
    seed: int = DEFAULT_SEED


def plan_compare(args: argparse.Namespace) -> ComparePlan:
    """Check every input of `compare`, loading each configuration once so an unknown name fails at once."""
    with input_checks():
        names = unique_names(args.scenarios.split(","))
        overrides = model_overrides(args)
        validate_scenarios(names, **overrides)
        workers = check_count(args.workers, "--workers") if args.workers is not None else (os.cpu_count() or 1)
        seeds, steps = check_count(args.seeds, "--seeds"), check_steps(args.steps, "--steps", args.allow_large)
        seed = check_seed(args.seed)
        if seed >= 2**63:  # numpy's SeedSequence takes any size; the sweep's manifest keeps it as a 64-bit integer
            raise InputError(f"--seed must be below 2**63, got {seed}")
        _check_runs(len(names) * seeds, args.allow_large)
        out = check_out_dir(Path(args.out))
        largest = max(load_configuration(name, InputError, **overrides).params.n_residents for name in names)
        check_community(largest, steps, len(names) * seeds, workers, args.allow_large,
                        "Ctrl-C stops it (compare keeps no runs)")  # fmt: skip
        check_figure_language(args.lang)
        return ComparePlan(names, seeds, steps, overrides, workers, out, seed)


def _check_runs(runs: int, allow_large: bool) -> None:
    """`compare` keeps every run's per-step table in memory: its run count has the sweeps' limit."""
    if runs > MAX_RUNS and not allow_large:
        raise InputError(f"{runs:,} runs is above the limit of {MAX_RUNS:,}; use fewer seeds, a sweep, or pass "
                         "--allow-large if you mean it")  # fmt: skip


def cmd_compare(args: argparse.Namespace) -> int:
    """Run the comparison's sweep (seeds from --seed), write table, summary and figure, print the comparison."""
    plan = plan_compare(args)
    _ = gettext_for(args.lang)
    n_runs = len(plan.names) * plan.seeds
    print(
        _("{configurations} configurations x {seeds} seeds = {runs} runs of {months} months on up to {processes} "
          "processes").format(configurations=len(plan.names), seeds=plan.seeds, runs=n_runs, months=plan.steps,
                              processes=min(plan.workers, n_runs)),
        file=sys.stderr,
    )  # fmt: skip
    try:
        trajectories, summary = compare_scenarios(
            plan.names, plan.seeds, plan.steps, workers=plan.workers, seed=plan.seed, allow_large=args.allow_large,
            **plan.overrides,
        )  # fmt: skip
    except SweepNotSaved as err:  # its runs were in a temporary directory, gone now: nothing resumes
        message = (f"cannot save runs to {err.path}: {err.reason}; compare keeps its runs in a temporary directory "
                   f"only, so none were kept: {remedy(err.error)} and run it again")  # fmt: skip
        return fail(message, EXIT_FAILED)
    with writing(plan.out):  # every file written whole, or none changed (an interrupted write kept a stub)
        paths = write_comparison(trajectories, summary, plan.out, stage_thresholds(plan.names, **plan.overrides),
                                 args.lang)  # fmt: skip
    print(format_summary(summary, args.lang))
    print("\n" + _("wrote {paths}").format(paths=", ".join(str(p) for p in paths)))
    return EXIT_OK
