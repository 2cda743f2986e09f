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
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .experiments.compare import (
    DEFAULT_OUT,
    DEFAULT_SCENARIOS,
    DEFAULT_SEED,
    DEFAULT_SEEDS,
    compare_scenarios,
    format_summary,
    stage_thresholds,
    unique_names,
    validate_scenarios,
)
from .experiments.executors import cpu_count
from .experiments.limits import (
    LARGE_COMMUNITY,
    SizeError,
    check_community_size,
    community_memory,
    community_seconds,
    duration_text,
    size_text,
)
from .experiments.standalone import TestSettings, format_tests, withdrawal_test
from .experiments.sweep_spec import MAX_STEPS, check_steps
from .i18n import LANGUAGES, LanguageError, check_language, gettext_for, language_from_locale
from .inputs import os_error_reason, os_error_text, remedy, writable_dir, writable_file, writing
from .lifeline import exit_code, stop_signals
from .model.parameters import FIELDS, SECTIONS, coerce, unknown_name_error
from .model.runner import DEFAULT_STEPS, run_scenario, summarise
from .model.scenarios import SCENARIO_DIR, Scenario, ScenarioError, list_scenarios, load_configuration, load_scenario
from .model.stages import STAGES
from .names import (
    configuration_name,
    display_table,
    parameter_text,
    role_name,
    scenario_text,
    section_name,
    stage_name,
)
from .validation import EXIT_CODE, Rule, ValidationError, check

ROBUSTNESS = "robustness"  # two sweeps (experiments/robustness.py), not one of theory.EXPERIMENTS
CLAIMS = "claims"  # the essays' claims (experiments/claims.py): its own sweep and document

TABLE_WRITERS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    ".csv": lambda table, path: table.to_csv(path, index=False),
    ".parquet": lambda table, path: table.to_parquet(path, index=False),
}
# 1: the work failed for a reason outside the input (a dead worker, an unreachable cluster, a full disk, a file
# system gone read-only); rerunning the same command resumes a sweep. 2: bad input.
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, EXIT_CODE
DEFAULT_SWEEP_DIR = Path("results/sweeps")
DEFAULT_RUN_DIR = Path("results/runs")  # `run --out` without a file name; results/ is git-ignored
# A run expected to take this long or longer prints its estimated time and memory first; quicker ones stay quiet.
ESTIMATE_FROM_SECONDS = 30.0
# Time per month that does not grow with the community (data collection, the street office, party cells, NGOs):
# 0.9 ms of CPU at 100 residents on the 2-core test machine, 1.4 ms of wall time with other jobs beside it
# (bench/README.md, "Long runs"). The limits' community_seconds counts the per-resident part only, measured from
# 20,000 residents up, where it dominates; below a few thousand residents this part is most of a month.
SECONDS_PER_STEP = 1.0e-3
# What Ctrl-C keeps, said after the estimate.
KEEPS_NOTHING = "Ctrl-C stops it (a single run keeps nothing)"
KEEPS_RUNS = "Ctrl-C keeps finished runs and the same command resumes"
# The numeric options as rules (simulation.validation): one wording for a bad value in every command.
COUNT, SEED, PORT = Rule("int", low=1), Rule("int", low=0), Rule("int", low=1, high=65535)


class InputError(ValidationError):
    """Bad command-line input, reported as one line instead of argparse's usage block."""


@contextmanager
def _input_checks() -> Iterator[None]:
    """Treat a ValueError from the shared check helpers as bad input; outside these blocks it would be a bug."""
    try:
        yield
    except ValidationError:  # InputError, ScenarioError, ParameterError, SizeError, ...: already one line
        raise
    except ValueError as err:
        raise InputError(str(err)) from None
    except RecursionError:  # tomllib on a configuration file nested thousands of levels deep
        raise InputError("an input file is nested too deeply to be read (not valid TOML for this program)") from None


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, like every other input error of this CLI."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{message} (see '{self.prog} --help')")


# --- input checks -------------------------------------------------------------------------


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """Turn ``--set key=value`` strings into typed, range-checked parameter values (later keys win)."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = (part.strip() for part in pair.partition("="))
        if not sep or not key:
            raise InputError(f"--set expects key=value, got {pair!r}")
        if not value:
            raise InputError(f"--set {key}= has no value")
        if key not in FIELDS:
            raise unknown_name_error(key, where="in --set")
        overrides[key] = coerce(key, value)
    return overrides


def _model_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """--set values plus --residents (which wins, being the more specific option)."""
    overrides = parse_overrides(args.set or [])
    if args.residents is not None:
        overrides["n_residents"] = coerce("n_residents", args.residents)
    return overrides


def _check_seed(seed: int) -> int:
    """Seeds are non-negative: numpy rejects negative ones deep inside the model otherwise."""
    return check(seed, SEED, "--seed")


def _check_table_path(path: Path) -> Path:
    """Only formats we can write, to a place we can write, are accepted before any simulation runs."""
    if path.suffix.lower() not in TABLE_WRITERS:
        raise InputError(f"--out {str(path)!r}: unsupported extension; use one of {', '.join(TABLE_WRITERS)}")
    if path.is_dir():
        raise InputError(f"--out {str(path)!r} is a directory; give a file name ending in .csv or .parquet")
    return writable_file(path, "--out", InputError)


def _check_out_dir(path: Path) -> Path:
    """An output directory must be creatable and writable: found now, not after the whole simulation ran."""
    return writable_dir(path, "--out", InputError)


def _check_steps(steps: int, option: str, allow_large: bool) -> int:
    """Months are a whole number from 1 to MAX_STEPS (``--allow-large`` lifts the upper end)."""
    try:
        return check_steps(_check_positive(steps, option), option, allow_large)
    except SizeError as err:
        raise InputError(str(err)) from None


def _check_community(n_residents: int, steps: int, runs: int, processes: int, allow_large: bool,
                     keeps: str = KEEPS_RUNS) -> None:  # fmt: skip
    """Refuse communities that cannot fit in memory; say what long or large work will cost before it starts."""
    try:
        check_community_size(n_residents, processes=min(processes, runs), allow_large=allow_large)
    except SizeError as err:
        raise InputError(str(err)) from None
    estimate = cost_estimate(n_residents, steps, runs, processes, keeps)
    if estimate is not None:
        print(estimate, file=sys.stderr, flush=True)


def cost_estimate(n_residents: int, months: int, runs: int = 1, processes: int = 1,
                  keeps: str = KEEPS_RUNS) -> str | None:  # fmt: skip
    """One line on the time and memory ``runs`` runs will take here, ``processes`` at a time, and what Ctrl-C keeps.

    None when the work is expected to take less than ESTIMATE_FROM_SECONDS and the community is not large:
    quick runs stay quiet. The numbers are the measured constants of :mod:`simulation.experiments.limits` plus
    SECONDS_PER_STEP; the line says it is an estimate.
    """
    at_once = max(1, min(processes, runs))
    each = community_seconds(n_residents, months) + months * SECONDS_PER_STEP
    seconds = each * math.ceil(runs / at_once)
    if seconds < ESTIMATE_FROM_SECONDS and n_residents < LARGE_COMMUNITY:
        return None
    memory = size_text(community_memory(n_residents))
    if runs == 1:
        cost = f"about {duration_text(seconds)} and {memory} of memory"
    else:
        cost = f"{runs:,} runs: about {duration_text(seconds)}, and {memory} of memory each, {at_once} at a time"
    return f"{n_residents:,} residents for {months:,} months: {cost} (an estimate for this machine); {keeps}"


def _language(text: str) -> str:
    """--lang's type: en or zh (zh_CN, zh-Hans and EN are understood too)."""
    try:
        return check_language(text)
    except LanguageError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _check_figure_language(lang: str) -> None:
    """Chinese figures need a font with Chinese glyphs: found before anything runs, never drawn as boxes."""
    from .fonts import can_draw, missing_font_message

    if not can_draw(lang):
        raise InputError(f"--lang {lang}: {missing_font_message()}")


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write a per-step table as CSV or Parquet according to the file's extension; a failure names the file."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        TABLE_WRITERS[path.suffix.lower()](table, path)


# --- scenarios and parameters -------------------------------------------------------------


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the shipped configurations with their one-line descriptions; a broken file is shown, not fatal."""
    _ = gettext_for(args.lang)
    names = list_scenarios()
    if not names:  # an install without its configurations is broken, not empty
        raise InputError(f"no configurations found in {SCENARIO_DIR}; reinstall the package or run from a checkout")
    width = max((len(n) for n in names), default=0)
    status = EXIT_OK
    for name in names:
        try:
            text = scenario_text(load_scenario(name).description, args.lang)
        except ScenarioError as err:
            text, status = _("(cannot load: {error})").format(error=err), EXIT_FAILED
        shown = configuration_name(name, args.lang)
        print(f"{name.ljust(width)}  " + (text if shown == name else f"{shown}: {text}"))
    return status


def _range_text(name: str) -> str:
    """A parameter's valid values as one short string."""
    meta = FIELDS[name].metadata
    if meta["choices"]:
        return " | ".join(meta["choices"])
    return f"[{_number(meta['low'])}, {_number(meta['high'])}]"


def _number(value: float) -> str:
    """Range bounds as people write them: 5,000,000 rather than 5e+06."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def cmd_parameters(args: argparse.Namespace) -> int:
    """List every parameter with default, valid range, unit and meaning: what --set accepts.

    In Chinese the meanings, units and section names are translated; parameter names, sections and choices
    stay identifiers (what ``--set`` and ``--section`` take).
    """
    lang, _ = args.lang, gettext_for(args.lang)
    if args.markdown:
        from .model.sources import markdown

        print(markdown())
        return EXIT_OK
    if args.scenario is not None:
        return _scenario_parameters(args.scenario, lang)
    defaults = {name: f.default for name, f in FIELDS.items()}
    rows = [
        (name, str(defaults[name]), _range_text(name), parameter_text(f.metadata["unit"], lang),
         parameter_text(f.metadata["meaning"], lang), f.metadata["section"])
        for name, f in FIELDS.items()
        if args.section in (None, f.metadata["section"])
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    section = None
    for name, default, valid, unit, meaning, sect in rows:
        if sect != section:
            shown = section_name(sect, lang)
            header = f"[{sect}]" if shown == sect else f"[{sect}] {shown}"
            print(header if section is None else f"\n{header}")
            section = sect
        described = _("{meaning} ({unit})").format(meaning=meaning, unit=unit)
        print(f"  {name.ljust(widths[0])}  {default.rjust(widths[1])}  {valid.ljust(widths[2])}  {described}")
    return EXIT_OK


def _scenario_parameters(name: str, lang: str) -> int:
    """What one configuration sets and where each value comes from: the essays, an assumption (with its plausible
    range and why, from the file's [assumptions] table), or a calibration."""
    from .model.sources import describe

    _ = gettext_for(lang)
    scenario = load_configuration(name, InputError)
    rows = describe(scenario)
    width = max((len(row[0]) for row in rows), default=0)
    sources = {"essays": _("read from the essays (the passage is in the file)"), "assumed": _("assumed"),
               "calibrated": _("calibrated (docs/ODD.md 6)")}  # fmt: skip
    print(f"{scenario.name}: {scenario_text(scenario.description, lang)}")
    for parameter, value, source, detail in rows:
        shown = f"{sources[source]}, {detail}" if detail else sources[source]
        print(f"  {parameter.ljust(width)}  {value:>10}  {shown}")
    return EXIT_OK


# --- run ----------------------------------------------------------------------------------


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
    with _input_checks():
        test = _withdrawal_test_settings(args)
        overrides = _model_overrides(args)
        scenario = load_configuration(args.scenario, InputError, **overrides)
        steps, seed = _check_steps(args.steps, "--steps", args.allow_large), _check_seed(args.seed)
        if test is not None:  # each test runs a copy for this many months
            _check_steps(test.horizon, "--test-horizon", args.allow_large)
        out = _check_table_path(_run_out(args.out, scenario, seed)) if args.out is not None else None
        tests_out = writable_file(tests_path(out), "--out", InputError) if out and test else None
        months = steps + _most_tests(steps, test) * test.horizon if test else steps
        _check_community(scenario.params.n_residents, months, 1, 1, args.allow_large, KEEPS_NOTHING)
        return RunPlan(scenario, steps, seed, overrides, out, test, tests_out)


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


def _when(step: int | None, lang: str = "en") -> str:
    """A month as 'month 30 (year 2.5)', or 'never'."""
    _ = gettext_for(lang)
    return _("never") if step is None else _("month {month} (year {year:.1f})").format(month=step, year=step / 12)


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


def _aligned(rows: list[tuple[str, str]], width: int) -> list[str]:
    """Label and value lines with the values in one column (labels measured in terminal columns)."""
    from .experiments.compare import _pad, _width

    width = max(width, *(_width(label) + 1 for label, _value in rows))
    return [_pad(label, width) + value for label, value in rows]


def _percent(value: float, lang: str = "en") -> str:
    """A share as a percentage; a one-month run has no mean yet."""
    _ = gettext_for(lang)
    return _("n/a") if math.isnan(value) else f"{value:.1%}"


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


# --- compare ------------------------------------------------------------------------------


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


def _check_positive(value: int, option: str) -> int:
    """Counts given on the command line must be at least 1."""
    return check(value, COUNT, option)


def plan_compare(args: argparse.Namespace) -> ComparePlan:
    """Check every input of `compare`, loading each configuration once so an unknown name fails at once."""
    with _input_checks():
        names = unique_names(args.scenarios.split(","))
        overrides = _model_overrides(args)
        validate_scenarios(names, **overrides)
        workers = _check_positive(args.workers, "--workers") if args.workers is not None else (os.cpu_count() or 1)
        seeds, steps = _check_positive(args.seeds, "--seeds"), _check_steps(args.steps, "--steps", args.allow_large)
        seed = _check_seed(args.seed)
        if seed >= 2**63:  # numpy's SeedSequence takes any size; the sweep's manifest keeps it as a 64-bit integer
            raise InputError(f"--seed must be below 2**63, got {seed}")
        _check_runs(len(names) * seeds, args.allow_large)
        out = _check_out_dir(Path(args.out))
        largest = max(load_configuration(name, InputError, **overrides).params.n_residents for name in names)
        _check_community(largest, steps, len(names) * seeds, workers, args.allow_large,
                         "Ctrl-C stops it (compare keeps no runs)")  # fmt: skip
        _check_figure_language(args.lang)
        return ComparePlan(names, seeds, steps, overrides, workers, out, seed)


def _check_runs(runs: int, allow_large: bool) -> None:
    """`compare` keeps every run's per-step table in memory: its run count has the sweeps' limit."""
    from .experiments.limits import MAX_RUNS

    if runs > MAX_RUNS and not allow_large:
        raise InputError(f"{runs:,} runs is above the limit of {MAX_RUNS:,}; use fewer seeds, a sweep, or pass "
                         "--allow-large if you mean it")  # fmt: skip


def cmd_compare(args: argparse.Namespace) -> int:
    """Run the comparison's sweep (seeds from --seed), write table, summary and figure, print the comparison."""
    from .experiments.compare import write_comparison  # matplotlib is only needed here

    plan = plan_compare(args)
    _ = gettext_for(args.lang)
    n_runs = len(plan.names) * plan.seeds
    print(
        _("{configurations} configurations x {seeds} seeds = {runs} runs of {months} months on up to {processes} "
          "processes").format(configurations=len(plan.names), seeds=plan.seeds, runs=n_runs, months=plan.steps,
                              processes=min(plan.workers, n_runs)),
        file=sys.stderr,
    )  # fmt: skip
    from .experiments.sweep import SweepNotSaved

    try:
        trajectories, summary = compare_scenarios(
            plan.names, plan.seeds, plan.steps, workers=plan.workers, seed=plan.seed, allow_large=args.allow_large,
            **plan.overrides,
        )  # fmt: skip
    except SweepNotSaved as err:  # its runs were in a temporary directory, gone now: nothing resumes
        message = (f"cannot save runs to {err.path}: {err.reason}; compare keeps its runs in a temporary directory "
                   f"only, so none were kept: {remedy(err.error)} and run it again")  # fmt: skip
        return _fail(message, EXIT_FAILED)
    with writing(plan.out):  # every file written whole, or none changed (an interrupted write kept a stub)
        paths = write_comparison(trajectories, summary, plan.out, stage_thresholds(plan.names, **plan.overrides),
                                 args.lang)  # fmt: skip
    print(format_summary(summary, args.lang))
    print("\n" + _("wrote {paths}").format(paths=", ".join(str(p) for p in paths)))
    return EXIT_OK


# --- sweep --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepPlan:
    """A checked `sweep` request: the loaded sweep file and where and how to run it."""

    spec: Any  # simulation.experiments.sweep.SweepSpec (imported lazily: pyarrow and tqdm are only needed here)
    out: Path
    executor: str
    workers: int | None
    scheduler: str | None
    batch: int | None


def plan_sweep(args: argparse.Namespace) -> SweepPlan:
    """Check the sweep file, its sizes, the output directory and every option before a worker starts.

    A dry run counts the runs arithmetically and never draws the design.
    """
    from .experiments.sweep import SweepError, free_results_dir, load_sweep, mismatch

    try:
        spec = load_sweep(args.sweep_file, allow_large=args.allow_large, draw=not args.dry_run)
    except SweepError as err:
        raise InputError(str(err)) from None
    executor = args.executor or ("dask" if args.scheduler else "processes")
    if args.scheduler and executor != "dask":
        raise InputError(f"--scheduler joins a Dask cluster; it does not work with --executor {executor}")
    workers = _check_positive(args.workers, "--workers") if args.workers is not None else None
    batch = _check_positive(args.batch, "--batch") if args.batch is not None else None
    out = Path(args.out) if args.out else DEFAULT_SWEEP_DIR / spec.name
    out = free_results_dir(out, spec) if args.new_dir else out  # neither needs the design's points
    problem = mismatch(out, spec)
    if problem is not None:
        raise InputError(problem)
    out = _check_out_dir(out)
    with _sweep_errors():
        _check_sweep_community(spec, executor, workers, args.scheduler, args.allow_large)
    return SweepPlan(spec, out, executor, workers, args.scheduler, batch)


def _check_sweep_community(spec: Any, executor: str, workers: int | None, scheduler: str | None,
                           allow_large: bool) -> None:  # fmt: skip
    """The largest community of a sweep of our model, as many at once as there are local workers."""
    largest = spec.largest_community()
    if largest is None:
        return
    local = 1 if executor == "inline" or scheduler else (workers or cpu_count())
    _check_community(largest, spec.steps, spec.n_runs, local, allow_large)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or resume) a sweep file's runs, writing results to --out as they finish."""
    from .experiments.executors import ExecutorError
    from .experiments.sweep import SweepError, SweepInterrupted, run_sweep

    plan = plan_sweep(args)
    print(f"{plan.spec.describe()} -> {plan.out}", file=sys.stderr)
    if args.dry_run:
        return EXIT_OK
    try:
        result = run_sweep(
            plan.spec, plan.out, executor=plan.executor, workers=plan.workers, scheduler=plan.scheduler,
            progress=False if args.no_progress else None, retry_failed=args.retry_failed, batch_size=plan.batch,
        )  # fmt: skip
    except SweepError as err:  # e.g. another sweep is writing there
        raise InputError(str(err)) from None
    except ExecutorError as err:
        return _fail(str(err), EXIT_FAILED)
    except SweepInterrupted as stop:
        return _interrupted(stop)
    print(format_sweep_result(result))
    if result.remaining:
        return _fail(
            f"{result.remaining} runs were not run: {result.problem}; {result.saved} of {result.total} are saved; "
            "run the same command again to do the rest",
            EXIT_FAILED,
        )
    return EXIT_OK


def format_sweep_result(result: Any) -> str:
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
    from .experiments.sweep import read_summary

    failed = read_summary(out_dir).query("status == 'failed'")
    firsts = failed.drop_duplicates("error").head(limit)
    return [f"{row.run_id}: {row.error}" for row in firsts.itertuples()]


# --- sensitivity, discovery, experiments, calibration, dashboard --------------------------------------


def _sweep_options(p: argparse.ArgumentParser, new_dir: bool = True) -> None:
    """The executor options every sweep-based command shares."""
    p.add_argument("--executor", choices=("processes", "dask", "inline"), help="as for `sweep` (default processes)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="join an existing Dask cluster (tcp://HOST:PORT)")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _allow_large_option(p)
    if new_dir:
        _new_dir_option(p)


def _allow_large_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-large", action="store_true",
                   help="lift the limits on runs, design points and memory (see docs/sweeps.md, Limits)")  # fmt: skip


def _new_dir_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--new-dir",
        action="store_true",
        help="if --out holds results made with other inputs, write to the first free DIR-2, DIR-3, ...",
    )


def _executor_args(args: argparse.Namespace) -> dict[str, Any]:
    """Checked executor options, as keyword arguments of run_sweep."""
    executor = args.executor or ("dask" if args.scheduler else "processes")
    if args.scheduler and executor != "dask":
        raise InputError(f"--scheduler joins a Dask cluster; it does not work with --executor {executor}")
    workers = _check_positive(args.workers, "--workers") if args.workers is not None else None
    return {
        "executor": executor,
        "workers": workers,
        "scheduler": args.scheduler,
        "progress": False if args.no_progress else None,
    }


@contextmanager
def _sweep_errors() -> Iterator[None]:
    """Sweep problems found before anything runs are bad input; a cluster that cannot be reached is not."""
    from .experiments.executors import ExecutorError
    from .experiments.sweep import SweepError

    try:
        yield
    except SweepError as err:
        raise InputError(str(err)) from None
    except ExecutorError as err:
        raise OSError(str(err)) from None


@contextmanager
def _runs_kept_in(out: Path) -> Iterator[None]:
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


def _sweep_out(out: Path, spec: Any, new_dir: bool, child: str = "sweep") -> Path:
    """The output directory of a command whose sweep lives in ``out/sweep``: checked (and moved on) first."""
    from .experiments.sweep import SweepError, free_results_parent, mismatch

    if new_dir:
        out = free_results_parent(out, spec, child)
    problem = mismatch(out / child, spec)
    if problem is not None:
        raise SweepError(problem)
    return _check_out_dir(out)


def _sized(settings: Any, args: argparse.Namespace) -> Any:
    """An experiment's settings (a dataclass) with the sizes the command line gives, each checked."""
    changes: dict[str, Any] = {}
    if args.residents is not None:
        with _input_checks():
            changes["n_residents"] = coerce("n_residents", args.residents)
    if args.steps is not None:
        changes["steps"] = _check_steps(args.steps, "--steps", args.allow_large)
    if args.seeds is not None:
        changes["seeds"] = _check_positive(args.seeds, "--seeds")
    return dataclasses.replace(settings, **changes)


def _robustness(args: argparse.Namespace) -> int:
    """Screening of every parameter, then the patterns over the plausible space (docs/robustness.md)."""
    from .experiments.robustness import Settings, run_robustness, screening_sweep
    from .experiments.sweep import load_sweep

    settings = _sized(Settings.quick() if args.quick else Settings(), args)
    executor = _executor_args(args)
    _check_figure_language(args.lang)
    with _sweep_errors():
        spec = load_sweep(screening_sweep(settings), name="screening", allow_large=args.allow_large)
        out = _sweep_out(Path(args.out or "results/robustness"), spec, args.new_dir, child="screening")
        _check_sweep_community(spec, executor["executor"], executor["workers"], executor["scheduler"],
                               args.allow_large)  # fmt: skip
        with _runs_kept_in(out):
            result = run_robustness(out, settings, allow_large=args.allow_large, lang=args.lang, **executor)
    print((out / "robustness.txt").read_text(encoding="utf-8"))
    _ = gettext_for(args.lang)
    paths = ", ".join(str(path) for path in [*result.files[:5], out / "discovery"])
    print(_("wrote {paths}").format(paths=paths))
    return EXIT_OK


def _claims(args: argparse.Namespace) -> int:
    """The essays' claims about each configuration, checked on paired seeds (docs/claims.md)."""
    from .experiments.claims import Settings, claims_sweep, run_claims
    from .experiments.sweep import load_sweep

    settings = _sized(Settings.quick() if args.quick else Settings(), args)
    executor = _executor_args(args)
    _check_figure_language(args.lang)
    with _sweep_errors():
        spec = load_sweep(claims_sweep(settings), name=CLAIMS, allow_large=args.allow_large)
        out = _sweep_out(Path(args.out or "results/claims"), spec, args.new_dir)
        _check_sweep_community(spec, executor["executor"], executor["workers"], executor["scheduler"],
                               args.allow_large)  # fmt: skip
        with _runs_kept_in(out):
            result = run_claims(out, settings, allow_large=args.allow_large, lang=args.lang, **executor)
    print(result.markdown)
    _ = gettext_for(args.lang)
    print(_("wrote {paths}").format(paths=", ".join(str(path) for path in result.files)))
    return EXIT_OK


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run a sweep file as a Sobol' or Morris design, then write the indices (CSV) and a bar chart.

    Everything is checked before the first run (the outputs against the summary's declared columns, sizes,
    the output directory); the sweep is resumable, so an interruption keeps every finished run.
    """
    from .experiments.analysis_lang import sensitivity_figure
    from .experiments.sensitivity import design_caveat
    from .experiments.sweep import run_sweep
    from .experiments.sweep_analysis import analyse_sensitivity, check_outputs, sensitivity_spec

    executor = _executor_args(args)
    outputs = [o.strip() for o in args.outputs.split(",") if o.strip()] if args.outputs else None
    if outputs is not None and not outputs:
        raise InputError("--outputs is empty; name at least one per-run output, e.g. final_index")
    _check_figure_language(args.lang)
    with _sweep_errors():
        spec = sensitivity_spec(args.sweep_file, args.method, samples=args.samples, allow_large=args.allow_large)
        if outputs is not None:
            check_outputs(spec, outputs)
        default_out = Path("results/sensitivity") / f"{spec.name}-{args.method}"
        out = _sweep_out(Path(args.out) if args.out else default_out, spec, args.new_dir)
        _check_sweep_community(spec, executor["executor"], executor["workers"], executor["scheduler"],
                               args.allow_large)  # fmt: skip
        print(f"{spec.describe()} -> {out}", file=sys.stderr)
        with _runs_kept_in(out):
            run_sweep(spec, out / "sweep", **executor)
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
    from .experiments.analysis_lang import discovery_in
    from .experiments.sweep_analysis import analyse_discovery

    sweep_dir = Path(args.sweep_dir)
    if not (sweep_dir / "summary").is_dir():
        raise InputError(f"{sweep_dir} holds no sweep results (expected {sweep_dir}/summary/)")
    out = _check_out_dir(Path(args.out) if args.out else sweep_dir / "discovery")
    _check_figure_language(args.lang)
    with _sweep_errors(), _input_checks():
        try:
            found = analyse_discovery(sweep_dir, out, outcome=args.outcome, method=args.method)
        except FileNotFoundError as err:  # no readable part left
            raise InputError(str(err)) from None
        found = discovery_in(found, sweep_dir, out, args.outcome, args.lang)
    print(found.summary)
    _ = gettext_for(args.lang)
    print(_("wrote {paths}").format(paths=f"{out}/discovery.png, discovery.txt, discovery_boxes.csv"))
    return EXIT_OK


def cmd_experiment(args: argparse.Namespace) -> int:
    """Run one of the theory's experiments: its sweep (resumable), then its figures and table."""
    from .experiments.sweep import load_sweep
    from .experiments.theory import EXPERIMENTS, Settings, run_experiment

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

    steps = _check_steps(given(args.steps, defaults.steps), "--steps", args.allow_large)
    with _input_checks():
        residents = coerce("n_residents", given(args.residents, defaults.n_residents))
    seeds = _check_positive(given(args.seeds, defaults.seeds), "--seeds")
    settings = Settings(seeds=seeds, steps=steps, n_residents=residents, shock_year=args.shock_year)
    if args.name == "shock" and not 1 <= 12 * args.shock_year < steps:
        raise InputError(f"--shock-year must fall inside the run: 1 to {(steps - 1) // 12} for {steps} steps")
    executor = _executor_args(args)
    _check_figure_language(args.lang)
    with _sweep_errors():
        spec = load_sweep(EXPERIMENTS[args.name][0](settings), name=args.name, allow_large=args.allow_large)
        out = _sweep_out(Path(args.out) if args.out else Path("results/experiments") / args.name, spec, args.new_dir)
        _check_sweep_community(spec, executor["executor"], executor["workers"], executor["scheduler"],
                               args.allow_large)  # fmt: skip
        with _runs_kept_in(out):
            result = run_experiment(args.name, out, settings, allow_large=args.allow_large, lang=args.lang,
                                    **executor)  # fmt: skip
    print(result.printed)
    print(result.text)
    _ = gettext_for(args.lang)
    print(_("wrote {paths}").format(paths=", ".join(str(path) for path in [out / f"{args.name}.csv", *result.figures])))
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    """ABC-SMC calibration of a spec's parameters against its targets; writes the posterior and diagnostics.

    Finished generations are kept in DIR/history.db: the same command continues an interrupted calibration.
    """
    if not math.isfinite(args.scale) or not 0 < args.scale <= 1:  # checked before pyabc's slow import
        raise InputError(f"--scale must be a number above 0 and at most 1, got {args.scale}")
    executor = _executor_args(args)
    _check_figure_language(args.lang)
    from .experiments.calibration import (
        CalibrationError,
        calibrate,
        calibration_mismatch,
        free_calibration_dir,
        load_calibration,
    )
    from .experiments.executors import open_executor

    try:
        spec = load_calibration(args.spec, allow_large=args.allow_large).scaled(args.scale)
        out = Path(args.out) if args.out else Path("results/calibration") / Path(args.spec).stem
        out = free_calibration_dir(out, spec) if args.new_dir else out
        problem = calibration_mismatch(out, spec)
        if problem is not None:
            raise CalibrationError(problem)
    except CalibrationError as err:
        raise InputError(str(err)) from None
    out = _check_out_dir(out)
    local = 1 if executor["executor"] == "inline" or executor["scheduler"] else (executor["workers"] or cpu_count())
    _check_community(
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
    with _sweep_errors(), open_executor(executor["executor"], executor["workers"], executor["scheduler"]) as handle:
        calibrate(spec, out, executor=handle.executor, progress=progress, lang=args.lang)
    written = "posterior.csv, generations.csv, summary.json, diagnostics.png"
    if spec.predictive_runs:
        written += ", predictive.csv, predictive.png"
    print(_("wrote {paths}").format(paths=f"{out}/{written}"))
    return EXIT_OK


def _flushed_print(line: str) -> None:
    print(line, flush=True)


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Start the Solara dashboard and print its address; a busy port is bad input, found before starting."""
    from .dashboard.server import DashboardError, serve

    if args.port is not None:
        check(args.port, PORT, "--port")
    check(args.max_sessions, COUNT, "--max-sessions")
    if not math.isfinite(args.idle_minutes) or args.idle_minutes <= 0:
        raise InputError(f"--idle-minutes must be a number above 0, got {args.idle_minutes}")
    # the language of a tab whose address has no ?lang= (simulation.dashboard.app)
    os.environ["DASHBOARD_LANG"] = args.lang
    try:
        return serve(args.port, args.host, max_sessions=args.max_sessions, idle_minutes=args.idle_minutes)
    except DashboardError as err:
        raise InputError(str(err)) from None


def add_research_commands(sub: Any) -> None:
    """Parsers of the commands built on sweeps, plus calibration and the dashboard."""
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
    _sweep_options(p)
    _lang_option(p)
    p.set_defaults(handler=cmd_sensitivity)

    p = sub.add_parser("discover", help="scenario discovery (PRIM) over a finished sweep")
    p.add_argument("sweep_dir", metavar="SWEEP_DIR", help="a sweep's results directory")
    p.add_argument("--outcome", default="first_independence", help="a first_<stage> column (default) or a bool column")
    p.add_argument("--method", default="prim", choices=("prim", "tree"))
    p.add_argument("--out", metavar="DIR", help="output directory (default SWEEP_DIR/discovery)")
    _lang_option(p)
    p.set_defaults(handler=cmd_discover)

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
    _sweep_options(p)
    _lang_option(p)  # robustness: not yet (its report is English)
    p.set_defaults(handler=cmd_experiment)

    p = sub.add_parser("calibrate", help="ABC-SMC calibration against target statistics (pyabc)")
    p.add_argument("spec", metavar="SPEC.toml", help="a calibration spec, e.g. calibration/karamay.toml")
    p.add_argument("--scale", type=float, default=1.0, metavar="F", help="below 1: fewer particles and generations")
    p.add_argument("--out", metavar="DIR", help="output directory (default results/calibration/NAME)")
    _sweep_options(p)
    _lang_option(p)
    p.set_defaults(handler=cmd_calibrate)

    from .dashboard.server import DEFAULT_IDLE_MINUTES, DEFAULT_MAX_SESSIONS

    p = sub.add_parser("dashboard", help="start the Solara dashboard")
    p.add_argument("--port", type=int, metavar="P", help="port (default: a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--max-sessions", type=int, default=DEFAULT_MAX_SESSIONS, metavar="N",
                   help=f"browser tabs served at once; more get a 'dashboard is full' message "
                   f"(default {DEFAULT_MAX_SESSIONS})")  # fmt: skip
    p.add_argument("--idle-minutes", type=float, default=DEFAULT_IDLE_MINUTES, metavar="M",
                   help="free a tab's model after this long without use; the tab then offers a restart "
                   f"(default {DEFAULT_IDLE_MINUTES:g})")  # fmt: skip
    _lang_option(p)
    p.set_defaults(handler=cmd_dashboard)


# --- parser and entry point ---------------------------------------------------------------


def _prog() -> str:
    """The name users typed, for usage and hints: the console script, else the module form (never 'pytest')."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return name if name.startswith("community-sim") else "python -m simulation"


def _lang_option(parser: argparse.ArgumentParser) -> None:
    """--lang: the language of what the command prints and draws; the default follows the locale (LANG)."""
    parser.add_argument("--lang", type=_language, default=language_from_locale(), metavar="|".join(LANGUAGES),
                        help="language of the printed summary and figures: en or zh (default from the locale, "
                        "now %(default)s)")  # fmt: skip


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by run and compare."""
    steps_help = f"months to simulate (default {DEFAULT_STEPS}; at most {MAX_STEPS:,} without --allow-large)"
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, metavar="N", help=steps_help)
    parser.add_argument("--residents", type=int, metavar="N", help="community size (default: the scenario's)")
    parser.add_argument(
        "--set", action="append", metavar="KEY=VALUE",
        help="override a model parameter; repeatable (see the 'parameters' command)",
    )  # fmt: skip
    _allow_large_option(parser)
    _lang_option(parser)


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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all its subcommands."""
    parser = _Parser(prog=_prog(), description="Community self-governance simulation.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("scenarios", help="list the configurations with their descriptions")
    _lang_option(p)
    p.set_defaults(handler=cmd_scenarios)

    p = sub.add_parser("parameters", help="list every model parameter with default, range and meaning")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--section", choices=SECTIONS, help="only this section")
    shown.add_argument("--scenario", metavar="NAME", help="what one configuration sets, and where each value comes "
                       "from: the essays, or an assumption with its plausible range and why")  # fmt: skip
    shown.add_argument("--markdown", action="store_true", help="every configuration's levers and assumptions as "
                       "the tables of docs/ODD.md 8.1")  # fmt: skip
    _lang_option(p)
    p.set_defaults(handler=cmd_parameters)

    p = sub.add_parser("run", help="run one configuration and summarise it")
    scenario_help = "configuration name (see the 'scenarios' command) or path to a .toml file"
    p.add_argument("--scenario", required=True, metavar="NAME", help=scenario_help)
    _add_model_options(p)
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--out", nargs="?", const="", metavar="FILE",
                   help=f"write the per-step table to this .csv or .parquet file; --out alone: "
                   f"{DEFAULT_RUN_DIR}/NAME-seedS.parquet")  # fmt: skip
    _withdrawal_test_options(p)
    p.set_defaults(handler=cmd_run)

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
    _add_model_options(p)
    workers_help = "worker processes (default: all cores; 1 runs in this process)"
    p.add_argument("--workers", type=int, metavar="N", help=workers_help)
    p.add_argument("--out", default=str(DEFAULT_OUT), metavar="DIR", help=f"output directory (default {DEFAULT_OUT})")
    p.set_defaults(handler=cmd_compare)

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
    _allow_large_option(p)
    _new_dir_option(p)
    p.set_defaults(handler=cmd_sweep)
    add_research_commands(sub)
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
        return _fail(str(err), err.exit_code)
    except BrokenPipeError:  # output piped into `head`: stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as err:  # the environment failed while working (a full disk): the file, why, what is kept
        return _fail(os_error_text(err), EXIT_FAILED)
    except MemoryError:  # only with --allow-large past an estimate, or a machine short of memory
        return _fail("out of memory; use a smaller design or community, or fewer --workers", EXIT_FAILED)
    except KeyboardInterrupt as stop:
        return _interrupted(stop)


def _interrupted(stop: KeyboardInterrupt) -> int:
    """Ctrl-C, SIGTERM or SIGHUP: say what was kept (the work's own message, when it has one) and exit 128 + N."""
    message = str(stop)
    if not message.startswith("interrupted: "):
        message = "interrupted" + (f" ({message})" if message else "") + "; nothing was saved"
    print(message, file=sys.stderr)
    return exit_code(stop)


@contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Warnings about results (a part set aside, a stray file) as one 'warning: ...' line each."""
    from .experiments.sweep_store import ResultsWarning

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


def _fail(message: str, code: int, prefix: str = "error") -> int:
    """Report a failure as the single line users and scripts can rely on."""
    print(f"{prefix}: {message}", file=sys.stderr)
    return code
