"""The `calibrate` command: ABC-SMC calibration of a spec's parameters against its target statistics (pyabc)."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from ..experiments.executors import cpu_count, open_executor
from ..i18n import gettext_for
from ..names import configuration_name
from .estimate import check_community
from .exits import EXIT_OK
from .options import InputError, check_figure_language, check_out_dir, lang_option
from .sweep_options import executor_args, sweep_errors, sweep_options


def add_parser(sub: Any) -> None:
    """The parser of `calibrate`."""
    p = sub.add_parser("calibrate", help="ABC-SMC calibration against target statistics (pyabc)")
    p.add_argument("spec", metavar="SPEC.toml", help="a calibration spec, e.g. calibration/karamay.toml")
    p.add_argument("--scale", type=float, default=1.0, metavar="F", help="below 1: fewer particles and generations")
    p.add_argument("--out", metavar="DIR", help="output directory (default results/calibration/NAME)")
    sweep_options(p)
    lang_option(p)
    p.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """ABC-SMC calibration of a spec's parameters against its targets; writes the posterior and diagnostics.

    Finished generations are kept in DIR/history.db: the same command continues an interrupted calibration.
    """
    if not math.isfinite(args.scale) or not 0 < args.scale <= 1:  # checked before pyabc's slow import
        raise InputError(f"--scale must be a number above 0 and at most 1, got {args.scale}")
    executor = executor_args(args)
    check_figure_language(args.lang)
    # Imported here, deliberately: pyabc takes about four seconds to import; --help and the options' checks above
    # answer before it.
    from ..experiments.calibration import (
        CalibrationError,
        calibrate,
        calibration_mismatch,
        free_calibration_dir,
        load_calibration,
    )

    try:
        spec = load_calibration(args.spec, allow_large=args.allow_large).scaled(args.scale)
        out = Path(args.out) if args.out else Path("results/calibration") / Path(args.spec).stem
        out = free_calibration_dir(out, spec) if args.new_dir else out
        problem = calibration_mismatch(out, spec)
        if problem is not None:
            raise CalibrationError(problem)
    except CalibrationError as err:
        raise InputError(str(err)) from None
    out = check_out_dir(out)
    local = 1 if executor["executor"] == "inline" or executor["scheduler"] else (executor["workers"] or cpu_count())
    check_community(
        spec.n_residents,
        spec.steps,
        spec.population_size * spec.seeds,
        local,
        args.allow_large,
        "that is one generation: Ctrl-C keeps finished generations and the same command continues",
    )
    _ = gettext_for(args.lang)
    bounds = {"at_least": ">=", "at_most": "<="}
    targets = ", ".join(f"{name} {bounds.get(spec.sides.get(name, ''), '=')} {value:g}"
                        for name, value in spec.targets.items())  # fmt: skip
    print(_("calibrating {configuration}: {priors} against {targets} -> {out}").format(
        configuration=configuration_name(spec.scenario, args.lang), priors=", ".join(spec.priors), targets=targets,
        out=out), file=sys.stderr)  # fmt: skip
    progress = None if args.no_progress else _flushed_print  # one line per generation, seen as it comes
    with sweep_errors(), open_executor(executor["executor"], executor["workers"], executor["scheduler"]) as handle:
        calibrate(spec, out, executor=handle.executor, progress=progress, lang=args.lang)
    written = "posterior.csv, generations.csv, summary.json, diagnostics.png"
    if spec.predictive_runs:
        written += ", predictive.csv, predictive.png"
    print(_("wrote {paths}").format(paths=f"{out}/{written}"))
    return EXIT_OK


def _flushed_print(line: str) -> None:
    print(line, flush=True)
