"""The analyses of sweeps: `sensitivity` (Sobol' or Morris indices) and `discover` (scenario discovery, PRIM)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

# The module, not its names: run_sweep is looked up when the command runs, so that a test can replace it.
from ..experiments import sweep
from ..i18n import gettext_for
from ..names import display_table
from .exits import EXIT_OK
from .options import InputError, check_figure_language, check_out_dir, input_checks, lang_option
from .sweep_options import check_sweep_community, executor_args, runs_kept_in, sweep_errors, sweep_options, sweep_out


def add_parsers(sub: Any) -> None:
    """The parsers of `sensitivity` and `discover`."""
    p = sub.add_parser("sensitivity", help="Sobol' or Morris sensitivity indices over a sweep file's [vary] bounds")
    p.add_argument("sweep_file", metavar="SPEC.toml", help="a sweep file whose [vary] entries give {low, high}")
    p.add_argument("--method", required=True, choices=("sobol", "morris"))
    p.add_argument("--samples", type=int, metavar="N", help="Sobol' base sample (a power of 2) or Morris trajectories")
    p.add_argument(
        "--outputs",
        metavar="A,B",
        help="per-run outputs to analyse (default final_index, total_public_cost, trust_in_strangers_last_year)",
    )
    p.add_argument("--out", metavar="DIR", help="output directory (default results/sensitivity/NAME-METHOD)")
    sweep_options(p)
    lang_option(p)
    p.set_defaults(handler=cmd_sensitivity)

    p = sub.add_parser("discover", help="scenario discovery (PRIM) over a finished sweep")
    p.add_argument("sweep_dir", metavar="SWEEP_DIR", help="a sweep's results directory")
    p.add_argument("--outcome", default="first_independence", help="a first_<stage> column (default) or a bool column")
    p.add_argument("--method", default="prim", choices=("prim", "tree"))
    p.add_argument("--out", metavar="DIR", help="output directory (default SWEEP_DIR/discovery)")
    lang_option(p)
    p.set_defaults(handler=cmd_discover)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run a sweep file as a Sobol' or Morris design, then write the indices (CSV) and a bar chart.

    Everything is checked before the first run (the outputs against the summary's declared columns, sizes,
    the output directory); the sweep is resumable, so an interruption keeps every finished run.
    """
    # Imported here, deliberately: these modules import matplotlib (about a second), which --help and the
    # commands that draw nothing never need.
    from ..experiments.analysis_lang import sensitivity_figure
    from ..experiments.sensitivity import design_caveat
    from ..experiments.sweep_analysis import analyse_sensitivity, check_outputs, sensitivity_spec

    executor = executor_args(args)
    outputs = [o.strip() for o in args.outputs.split(",") if o.strip()] if args.outputs else None
    if outputs is not None and not outputs:
        raise InputError("--outputs is empty; name at least one per-run output, e.g. final_index")
    check_figure_language(args.lang)
    with sweep_errors():
        spec = sensitivity_spec(args.sweep_file, args.method, samples=args.samples, allow_large=args.allow_large)
        if outputs is not None:
            check_outputs(spec, outputs)
        default_out = Path("results/sensitivity") / f"{spec.name}-{args.method}"
        out = sweep_out(Path(args.out) if args.out else default_out, spec, args.new_dir)
        check_sweep_community(spec, executor["executor"], executor["workers"], executor["scheduler"],
                              args.allow_large)  # fmt: skip
        print(f"{spec.describe()} -> {out}", file=sys.stderr)
        with runs_kept_in(out):
            sweep.run_sweep(spec, out / "sweep", **executor)
            table = analyse_sensitivity(spec, out / "sweep", out, outputs)
            sensitivity_figure(table, out, args.method, args.lang)
    _print_table(table, args.lang)
    if caveat := design_caveat(table, args.lang):  # a design too small for its numbers says so
        print(caveat)
    _ = gettext_for(args.lang)
    print(_("wrote {paths}").format(paths=f"{out}/{args.method}_indices.csv, .png"))
    return EXIT_OK


def _print_table(table: pd.DataFrame, lang: str) -> None:
    """A results table on the terminal: display names in Chinese (aligned by terminal columns); its CSV keeps the
    identifiers."""
    with pd.option_context("display.unicode.east_asian_width", lang == "zh"):
        print(display_table(table.round(3), lang).to_string(index=False))


def cmd_discover(args: argparse.Namespace) -> int:
    """Find the regions of a finished sweep's parameter space that lead to an outcome."""
    # Imported here, deliberately: as in cmd_sensitivity (matplotlib).
    from ..experiments.analysis_lang import discovery_in
    from ..experiments.sweep_analysis import analyse_discovery

    sweep_dir = Path(args.sweep_dir)
    if not (sweep_dir / "summary").is_dir():
        raise InputError(f"{sweep_dir} holds no sweep results (expected {sweep_dir}/summary/)")
    out = check_out_dir(Path(args.out) if args.out else sweep_dir / "discovery")
    check_figure_language(args.lang)
    with sweep_errors(), input_checks():
        try:
            found = analyse_discovery(sweep_dir, out, outcome=args.outcome, method=args.method)
        except FileNotFoundError as err:  # no readable part left
            raise InputError(str(err)) from None
        found = discovery_in(found, sweep_dir, out, args.outcome, args.lang)
    print(found.summary)
    _ = gettext_for(args.lang)
    print(_("wrote {paths}").format(paths=f"{out}/discovery.png, discovery.txt, discovery_boxes.csv"))
    return EXIT_OK
