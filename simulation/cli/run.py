"""The `run` command: one configuration, its summary, its per-step table, and optionally its withdrawal tests."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..experiments.compare import _pad, _width
from ..experiments.standalone import TestSettings, format_tests, withdrawal_test
from ..i18n import gettext_for
from ..inputs import writable_file, writing
from ..model.runner import run_scenario, summarise
from ..model.scenarios import Scenario, load_configuration
from ..model.stages import STAGES
from ..names import role_name, scenario_text, stage_name
from ..validation import check
from .estimate import KEEPS_NOTHING, check_community
from .exits import EXIT_OK
from .options import COUNT, InputError, add_model_options, check_seed, check_steps, input_checks, model_overrides

TABLE_WRITERS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    ".csv": lambda table, path: table.to_csv(path, index=False),
    ".parquet": lambda table, path: table.to_parquet(path, index=False),
}
DEFAULT_RUN_DIR = Path("results/runs")  # `run --out` without a file name; results/ is git-ignored


def add_parser(sub: Any) -> None:
    """The parser of `run`."""
    p = sub.add_parser("run", help="run one configuration and summarise it")
    scenario_help = "configuration name (see the 'scenarios' command) or path to a .toml file"
    p.add_argument("--scenario", required=True, metavar="NAME", help=scenario_help)
    add_model_options(p)
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--out", nargs="?", const="", metavar="FILE",
                   help=f"write the per-step table to this .csv or .parquet file; --out alone: "
                   f"{DEFAULT_RUN_DIR}/NAME-seedS.parquet")  # fmt: skip
    _withdrawal_test_options(p)
    p.set_defaults(handler=cmd_run)


def _withdrawal_test_options(parser: argparse.ArgumentParser) -> None:
    """`run --withdrawal-test`: does the stage hold when government steps back? (The run itself is unchanged.)"""
    defaults = TestSettings()
    parser.add_argument("--withdrawal-test", action="store_true",
                        help="also test the run: at the first month of learning and of independence, and every "
                        "--test-every months in them, a copy goes on with government stepped back (guidance and "
                        "supervision); does the stage hold? The tests are printed, and written beside --out as "
                        "FILE_withdrawal_tests.csv")  # fmt: skip
    let_go = "with --withdrawal-test: government also stops paying the committee (it only watches)"
    parser.add_argument("--let-go", action="store_true", help=let_go)
    every = f"with --withdrawal-test: months between tests in a stage (default {defaults.every})"
    parser.add_argument("--test-every", type=int, metavar="MONTHS", help=every)
    horizon = f"with --withdrawal-test: months a copy must hold (default {defaults.horizon})"
    parser.add_argument("--test-horizon", type=int, metavar="MONTHS", help=horizon)


# --- the checked request ------------------------------------------------------------------


@dataclass(frozen=True)
class RunPlan:
    """A checked `run` request: everything needed to simulate without further validation."""

    scenario: Scenario
    steps: int
    seed: int
    overrides: dict[str, Any] = field(default_factory=dict)
    out: Path | None = None
    test: TestSettings | None = None  # --withdrawal-test: how
    tests_out: Path | None = None  # where its tests go: beside --out, as CSV


def plan_run(args: argparse.Namespace) -> RunPlan:
    """Check every input of `run` before anything is simulated."""
    with input_checks():
        test = _withdrawal_test_settings(args)
        overrides = model_overrides(args)
        scenario = load_configuration(args.scenario, InputError, **overrides)
        steps, seed = check_steps(args.steps, "--steps", args.allow_large), check_seed(args.seed)
        if test is not None:  # each test runs a copy for this many months
            check_steps(test.horizon, "--test-horizon", args.allow_large)
        out = _check_table_path(_run_out(args.out, scenario, seed)) if args.out is not None else None
        tests_out = writable_file(tests_path(out), "--out", InputError) if out and test else None
        months = steps + _most_tests(steps, test) * test.horizon if test else steps
        check_community(scenario.params.n_residents, months, 1, 1, args.allow_large, KEEPS_NOTHING)
        return RunPlan(scenario, steps, seed, overrides, out, test, tests_out)


def _check_table_path(path: Path) -> Path:
    """Only formats we can write, to a place we can write, are accepted before any simulation runs."""
    if path.suffix.lower() not in TABLE_WRITERS:
        raise InputError(f"--out {str(path)!r}: unsupported extension; use one of {', '.join(TABLE_WRITERS)}")
    if path.is_dir():
        raise InputError(f"--out {str(path)!r} is a directory; give a file name ending in .csv or .parquet")
    return writable_file(path, "--out", InputError)


def _run_out(given: str, scenario: Scenario, seed: int) -> Path:
    """``--out FILE``, or with no file name results/runs/NAME-seedS.parquet: never a stray file in the checkout."""
    return Path(given) if given else DEFAULT_RUN_DIR / f"{scenario.name}-seed{seed}.parquet"


def _most_tests(steps: int, test: TestSettings) -> int:
    """At most how many withdrawal tests a run makes: the first month of each of two stages, then one every
    ``test.every`` months in them (for the time estimate: each test runs a copy for ``test.horizon`` months)."""
    return 2 + steps // test.every


def _withdrawal_test_settings(args: argparse.Namespace) -> TestSettings | None:
    """--withdrawal-test and its options, checked; the options alone are a mistake, not something to ignore."""
    options = {"--let-go": args.let_go, "--test-every": args.test_every, "--test-horizon": args.test_horizon}
    given = [option for option, value in options.items() if value not in (None, False)]
    if not args.withdrawal_test:
        if given:
            raise InputError(f"{given[0]} only goes with --withdrawal-test; add --withdrawal-test or leave it out")
        return None
    months = {"every": args.test_every, "horizon": args.test_horizon}
    checked = {key: check(value, COUNT, f"--test-{key}") for key, value in months.items() if value is not None}
    return TestSettings(let_go=args.let_go, **checked)


def tests_path(out: Path) -> Path:
    """Where `run --withdrawal-test --out FILE` writes its tests: FILE's name with _withdrawal_tests.csv."""
    return out.with_name(f"{out.stem}_withdrawal_tests.csv")


# --- the run and its summary --------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    """Run one configuration, print its summary and optionally write the per-step table.

    With --withdrawal-test the run is the same (:func:`simulation.experiments.standalone.withdrawal_test` tests
    copies of it); its tests are printed after the summary and, with --out, written beside the table as CSV.
    """
    plan = plan_run(args)
    _ = gettext_for(args.lang)
    if plan.test is None:
        table, tests = run_scenario(plan.scenario, steps=plan.steps, seed=plan.seed), None
    else:
        table, tests = withdrawal_test(plan.scenario, steps=plan.steps, seed=plan.seed, settings=plan.test)
    print(format_run_summary(plan, table, args.lang))
    if tests is not None and plan.test is not None:
        print("\n" + format_tests(tests, plan.test, plan.scenario.params, args.lang))
    if plan.out is not None:
        write_table(table, plan.out)
        print("\n" + _("wrote {rows} rows x {columns} columns to {path}").format(
            rows=len(table), columns=table.shape[1], path=plan.out))  # fmt: skip
    if tests is not None and plan.tests_out is not None:
        with writing(plan.tests_out):
            tests.to_csv(plan.tests_out, index=False)
        print(_("wrote {tests} withdrawal tests to {path}").format(tests=len(tests), path=plan.tests_out))
    return EXIT_OK


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write a per-step table as CSV or Parquet according to the file's extension; a failure names the file."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        TABLE_WRITERS[path.suffix.lower()](table, path)


def format_run_summary(plan: RunPlan, table: pd.DataFrame, lang: str = "en") -> str:
    """The few numbers a user reads first after a run: stages and the headline measures.

    In Chinese the labels are translated and the stage and role read in the essays' words; parameter
    names in the overrides stay identifiers (what ``--set`` takes).
    """
    _ = gettext_for(lang)
    s = summarise(table)
    spec = plan.scenario
    settings = ", ".join(f"{k}={v}" for k, v in plan.overrides.items() if k != "n_residents") or _("none")
    rows = [
        (_("self-governance index (final)"), f"{s['final_index']:.3f}"),
        (_("trust in strangers (last 12 months)"), f"{s['trust_in_strangers_last_year']:.1%}"),
        (_("participation (last 12 months)"), f"{s['participation_last_year']:.1%}"),
        (_("see committee as government (last 12)"), f"{s['misperception_last_year']:.1%}"),
        (_("admin task completion (mean)"), _percent(s["admin_task_completion_mean"], lang)),
        (_("total public cost"), _("{cost:,.1f} cost units per 1,000 residents").format(cost=s["total_public_cost"])),
        (_("NGOs (final)"), str(s["ngo_count_final"])),
    ]
    stages = [(_("first {stage}").format(stage=stage_name(stage, lang)), _when(s[f"first_{stage}"], lang))
              for stage in STAGES]  # fmt: skip
    final_stage = _("{stage} (government role: {role})").format(
        stage=stage_name(s["final_stage"], lang), role=role_name(s["final_role"], lang)
    )
    lines = [
        f"{spec.name}: {scenario_text(spec.title, lang)}",  # the identifier, then the title in the reader's language
        "  "
        + _("{residents} residents, {months} months ({years:.1f} years), seed {seed}, overrides: {overrides}").format(
            residents=spec.params.n_residents,
            months=plan.steps,
            years=plan.steps / 12,
            seed=plan.seed,
            overrides=settings,
        ),  # fmt: skip
        "",
        *_aligned([(_("final stage"), final_stage), *stages], 21),
        "",
        *_aligned(rows, 39),
    ]
    return "\n".join(lines)


def _when(step: int | None, lang: str = "en") -> str:
    """A month as 'month 30 (year 2.5)', or 'never'."""
    _ = gettext_for(lang)
    return _("never") if step is None else _("month {month} (year {year:.1f})").format(month=step, year=step / 12)


def _aligned(rows: list[tuple[str, str]], width: int) -> list[str]:
    """Label and value lines with the values in one column (labels measured in terminal columns)."""
    width = max(width, *(_width(label) + 1 for label, _value in rows))
    return [_pad(label, width) + value for label, value in rows]


def _percent(value: float, lang: str = "en") -> str:
    """A share as a percentage; a one-month run has no mean yet."""
    _ = gettext_for(lang)
    return _("n/a") if math.isnan(value) else f"{value:.1%}"
