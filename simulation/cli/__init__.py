"""Command line: configurations, single runs, comparisons, sweeps and their analyses, calibration, dashboard.

    python -m simulation scenarios
    python -m simulation parameters [--section NAME | --scenario NAME | --markdown]
    python -m simulation run --scenario NAME [--steps N] [--seed S] [--residents N] [--set key=value ...] [--out [FILE]]
                             [--withdrawal-test [--let-go] [--test-every MONTHS] [--test-horizon MONTHS]]
    python -m simulation compare [--scenarios a,b,...] [--seeds K] [--seed S] [--steps N] [--residents N]
                                 [--workers N] [--set key=value ...] [--out DIR]
    python -m simulation sweep SWEEP.toml [--executor processes|dask|inline] [--scheduler ADDRESS] [--workers N]
                               [--out DIR] [--retry-failed] [--batch N] [--dry-run] [--no-progress]
    python -m simulation sensitivity SPEC.toml --method sobol|morris [--samples N] [--outputs a,b] [--out DIR]
    python -m simulation discover SWEEP_DIR [--outcome first_independence] [--method prim|tree] [--out DIR]
    python -m simulation experiment withdrawal-timing|configurations|shock|withdrawal-test [--seeds K] [--residents N]
                                    [--out DIR]
    python -m simulation experiment robustness|claims [--quick] [--out DIR]
    python -m simulation calibrate SPEC.toml [--scale F] [--out DIR]
    python -m simulation dashboard [--port P] [--host H] [--max-sessions N] [--idle-minutes M]

The sweep-based commands (sweep, sensitivity, experiment, calibrate) also take
--executor processes|dask|inline, --scheduler ADDRESS and --workers N; the commands
that simulate take --allow-large, and those that resume take --new-dir.

Every command first checks all of its input, sizes and output paths and only then
simulates, so a bad value costs a second, not a batch. Bad input (an unwritable
output path and a size above the limits included) is reported as a single line
``error: ...`` on stderr with exit code 2 (the code argparse uses for usage
errors). An operating-system error while working (a disk that fills up, a file
system remounted read-only) is the environment's fault, not the input's: one line
naming the file and the reason, and for sweeps what is kept and that the same
command resumes, exit code 1. A run expected to take 30 s or more prints an
estimate of its time and memory first. Ctrl-C, SIGTERM and
SIGHUP stop the work after saving what finished, say what was kept, and exit
with 128 + the signal number (130 for Ctrl-C); worker processes never outlive
the command (:mod:`simulation.lifeline`). Errors raised while the model runs are
bugs and keep their traceback.

The commands live one group to a module: ``listings`` (scenarios, parameters), ``run``, ``compare``,
``sweep``, ``analyses`` (sensitivity, discover), ``experiment``, ``calibrate`` and ``dashboard``; what they
share is in ``options`` (options and their checks), ``estimate`` (what work will cost), ``sweep_options`` (the
sweep-based commands' executor options and output directories) and ``exits`` (exit codes). This module builds
the parser from them and turns every outcome into an exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..experiments import limits
from ..experiments.sweep_store import ResultsWarning
from ..inputs import os_error_text
from ..lifeline import stop_signals
from ..model import scenarios
from ..validation import ValidationError
from . import analyses, calibrate, compare, dashboard, experiment, listings, run, sweep
from .estimate import cost_estimate
from .exits import EXIT_FAILED, EXIT_OK, fail, interrupted
from .options import InputError

__all__ = ["ESTIMATE_FROM_SECONDS", "LARGE_COMMUNITY", "SCENARIO_DIR", "InputError", "build_parser",
           "cost_estimate", "main"]  # fmt: skip

# Settings the commands read from this package when they need them (cli.estimate, cli.listings), so that one
# value here, or a test's monkeypatch of simulation.cli.NAME, reaches every command.
# A run expected to take this long or longer prints its estimated time and memory first; quicker ones stay quiet.
ESTIMATE_FROM_SECONDS = 30.0
LARGE_COMMUNITY = limits.LARGE_COMMUNITY  # from this size on, the estimate is printed however quick the work
SCENARIO_DIR = scenarios.SCENARIO_DIR  # where the shipped configurations are, named when none are found


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, like every other input error of this CLI."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{message} (see '{self.prog} --help')")


def _prog() -> str:
    """The name users typed, for usage and hints: the console script, else the module form (never 'pytest')."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return name if name.startswith("community-sim") else "python -m simulation"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all its subcommands, in the order `--help` lists them."""
    parser = _Parser(prog=_prog(), description="Community self-governance simulation.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listings.add_parsers(sub)  # scenarios, parameters
    run.add_parser(sub)
    compare.add_parser(sub)
    sweep.add_parser(sub)
    analyses.add_parsers(sub)  # sensitivity, discover
    experiment.add_parser(sub)
    calibrate.add_parser(sub)
    dashboard.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m simulation`` and the ``community-sim`` script; returns the exit code.

    SIGTERM and SIGHUP act like Ctrl-C while a command runs (:func:`simulation.lifeline.stop_signals`): the
    work saves what finished and stops its workers, and the exit code is 128 + the signal's number.
    """
    try:
        with stop_signals(), _one_line_warnings():
            args = build_parser().parse_args(argv)
            return args.handler(args)
    except SystemExit as stop:  # --help and --version exit through argparse
        return stop.code if isinstance(stop.code, int) else EXIT_OK
    except ValidationError as err:  # every bad input, of any format: one line, exit 2
        return fail(str(err), err.exit_code)
    except BrokenPipeError:  # output piped into `head`: stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as err:  # the environment failed while working (a full disk): the file, why, what is kept
        return fail(os_error_text(err), EXIT_FAILED)
    except MemoryError:  # only with --allow-large past an estimate, or a machine short of memory
        return fail("out of memory; use a smaller design or community, or fewer --workers", EXIT_FAILED)
    except KeyboardInterrupt as stop:
        return interrupted(stop)


@contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Warnings about results (a part set aside, a stray file) as one 'warning: ...' line each."""

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, ResultsWarning):
            print(f"warning: {message}", file=sys.stderr)
        else:
            original(message, category, *args, **kwargs)

    original = warnings.showwarning
    with warnings.catch_warnings():
        warnings.simplefilter("always", ResultsWarning)
        warnings.showwarning = show
        yield
