"""The `experiment` command: the theory's experiments, the robustness study and the essays' claims, by name."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from ..experiments import claims
from ..experiments.sweep import load_sweep
from ..experiments.sweep_spec import MAX_STEPS
from ..i18n import gettext_for
from ..model.parameters import coerce
from ..model.runner import DEFAULT_STEPS
from .exits import EXIT_OK
from .options import InputError, check_count, check_figure_language, check_steps, input_checks, lang_option
from .sweep_options import check_sweep_community, executor_args, runs_kept_in, sweep_errors, sweep_options, sweep_out

ROBUSTNESS = "robustness"  # two sweeps (experiments/robustness.py), not one of theory.EXPERIMENTS
CLAIMS = "claims"  # the essays' claims (experiments/claims.py): its own sweep and document


def add_parser(sub: Any) -> None:
    """The parser of `experiment`."""
    p = sub.add_parser("experiment", help="the theory's experiments: withdrawal-timing, configurations, shock, "
                       "withdrawal-test, robustness, claims")  # fmt: skip
    names = "withdrawal-timing, configurations, shock, withdrawal-test, robustness or claims"
    p.add_argument("name", metavar="NAME", help=names)
    p.add_argument("--seeds", type=int, metavar="K", help="seeds per configuration (default 10; robustness: 3)")
    p.add_argument("--residents", type=int, metavar="N", help="community size (default 1000; robustness: 2000)")
    p.add_argument("--steps", type=int, metavar="N",
                   help=f"months (default {DEFAULT_STEPS}; at most {MAX_STEPS:,} without --allow-large)")  # fmt: skip
    p.add_argument("--quick", action="store_true", help="robustness and claims only: a small version (a minute or "
                   "less; its numbers mean nothing)")  # fmt: skip
    p.add_argument("--shock-year", type=int, default=10, metavar="Y", help="year of the shock (default 10)")
    p.add_argument("--out", metavar="DIR", help="output directory (default results/experiments/NAME; "
                   "robustness: results/robustness; claims: results/claims)")  # fmt: skip
    sweep_options(p)
    lang_option(p)  # robustness: not yet (its report is English)
    p.set_defaults(handler=cmd_experiment)


def cmd_experiment(args: argparse.Namespace) -> int:
    """Run one of the theory's experiments: its sweep (resumable), then its figures and table."""
    # Imported here, deliberately: the experiments import matplotlib (about half a second), which --help and the
    # other commands never need.
    from ..experiments.theory import EXPERIMENTS, Settings, run_experiment

    if args.name == ROBUSTNESS:
        return _robustness(args)
    if args.name == CLAIMS:
        return _claims(args)
    if args.name not in EXPERIMENTS:
        raise InputError(f"unknown experiment '{args.name}'; valid: {', '.join([*EXPERIMENTS, ROBUSTNESS, CLAIMS])}")
    if args.quick:
        raise InputError(f"--quick is for the robustness and claims experiments; for {args.name} give --seeds and "
                         "--residents")  # fmt: skip
    defaults = Settings()

    def given(value: Any, default: Any) -> Any:
        return default if value is None else value

    steps = check_steps(given(args.steps, defaults.steps), "--steps", args.allow_large)
    with input_checks():
        residents = coerce("n_residents", given(args.residents, defaults.n_residents))
    seeds = check_count(given(args.seeds, defaults.seeds), "--seeds")
    settings = Settings(seeds=seeds, steps=steps, n_residents=residents, shock_year=args.shock_year)
    if args.name == "shock" and not 1 <= 12 * args.shock_year < steps:
        raise InputError(f"--shock-year must fall inside the run: 1 to {(steps - 1) // 12} for {steps} steps")
    executor = executor_args(args)
    check_figure_language(args.lang)
    with sweep_errors():
        spec = load_sweep(EXPERIMENTS[args.name][0](settings), name=args.name, allow_large=args.allow_large)
        out = sweep_out(Path(args.out) if args.out else Path("results/experiments") / args.name, spec, args.new_dir)
        check_sweep_community(spec, executor["executor"], executor["workers"], executor["scheduler"],
                              args.allow_large)  # fmt: skip
        with runs_kept_in(out):
            result = run_experiment(args.name, out, settings, allow_large=args.allow_large, lang=args.lang,
                                    **executor)  # fmt: skip
    print(result.printed)
    print(result.text)
    _ = gettext_for(args.lang)
    print(_("wrote {paths}").format(paths=", ".join(str(path) for path in [out / f"{args.name}.csv", *result.figures])))
    return EXIT_OK


def _robustness(args: argparse.Namespace) -> int:
    """Screening of every parameter, then the patterns over the plausible space (docs/robustness.md)."""
    # Imported here, deliberately: as in cmd_experiment (matplotlib).
    from ..experiments.robustness import Settings, run_robustness, screening_sweep

    settings = _sized(Settings.quick() if args.quick else Settings(), args)
    executor = executor_args(args)
    check_figure_language(args.lang)
    with sweep_errors():
        spec = load_sweep(screening_sweep(settings), name="screening", allow_large=args.allow_large)
        out = sweep_out(Path(args.out or "results/robustness"), spec, args.new_dir, child="screening")
        check_sweep_community(spec, executor["executor"], executor["workers"], executor["scheduler"],
                              args.allow_large)  # fmt: skip
        with runs_kept_in(out):
            result = run_robustness(out, settings, allow_large=args.allow_large, lang=args.lang, **executor)
    print((out / "robustness.txt").read_text(encoding="utf-8"))
    _ = gettext_for(args.lang)
    paths = ", ".join(str(path) for path in [*result.files[:5], out / "discovery"])
    print(_("wrote {paths}").format(paths=paths))
    return EXIT_OK


def _claims(args: argparse.Namespace) -> int:
    """The essays' claims about each configuration, checked on paired seeds (docs/claims.md)."""
    settings = _sized(claims.Settings.quick() if args.quick else claims.Settings(), args)
    executor = executor_args(args)
    check_figure_language(args.lang)
    with sweep_errors():
        spec = load_sweep(claims.claims_sweep(settings), name=CLAIMS, allow_large=args.allow_large)
        out = sweep_out(Path(args.out or "results/claims"), spec, args.new_dir)
        check_sweep_community(spec, executor["executor"], executor["workers"], executor["scheduler"],
                              args.allow_large)  # fmt: skip
        with runs_kept_in(out):
            result = claims.run_claims(out, settings, allow_large=args.allow_large, lang=args.lang, **executor)
    print(result.markdown)
    _ = gettext_for(args.lang)
    print(_("wrote {paths}").format(paths=", ".join(str(path) for path in result.files)))
    return EXIT_OK


def _sized(settings: Any, args: argparse.Namespace) -> Any:
    """An experiment's settings (a dataclass) with the sizes the command line gives, each checked."""
    changes: dict[str, Any] = {}
    if args.residents is not None:
        with input_checks():
            changes["n_residents"] = coerce("n_residents", args.residents)
    if args.steps is not None:
        changes["steps"] = check_steps(args.steps, "--steps", args.allow_large)
    if args.seeds is not None:
        changes["seeds"] = check_count(args.seeds, "--seeds")
    return dataclasses.replace(settings, **changes)
