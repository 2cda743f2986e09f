"""The withdrawal test: whether a community's stage holds when government steps back, checked on the run itself.

A stage is a claim about what the community could do without government (essay 1: "当基层自治组织发育成熟、
功能完备、有能力实现社区“自治”时", when the self-governing bodies are mature and able to govern the
community themselves, government steps back to "必要引导和严格监督"). The test checks the claim on the
run itself (docs/ODD.md 9.4): at chosen months a copy of the running model (:func:`continuable_copy`, which
continues bit for bit) goes on with government stepped back, while the run itself goes on unchanged.

* *Stepping back* is the mature role (:func:`simulation.model.policy.stepped_back_levers`): guidance and
  strict supervision, the committee's running costs still paid. *Letting go* (``let_go``) stops that money
  too: government only watches.
* The copy *holds* if, for ``horizon`` months, its outcomes stay where they were: the moving average
  (``index_smoothing`` months, as the stage rule reads it) of the yardstick never falls more than
  ``stage_hysteresis`` below its value at the step back, nor that of the share of problems solved more than
  ``solved_tolerance`` below it. So a community that looks independent only because government's money or
  work props it up fails; one that governs itself holds.
* The months tested: the first month of each stage beyond dependence, then every ``every`` months while
  the community is in learning or independence. With the defaults a test of a 240-month run continues at
  most about five copies for 24 months, the cost of less than one run (``make bench``).

:func:`withdrawal_test` tests a run (any configuration, any parameters; ``run --withdrawal-test``) and
:func:`format_tests` shows its tests. For sweeps the test sits inside the model: :class:`WithdrawalTestedModel`
(stepping back) and :class:`StancesTestedModel` (stepping back and letting go, at the same months of the same
runs: ``experiment withdrawal-test``), summarised by :func:`withdrawal_summary` and :func:`stances_summary`.
"""

from __future__ import annotations

import copy
import math
import pickle
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from mesa.time import EventGenerator, Priority, Schedule

from ..i18n import gettext_for
from ..model.community import CommunityModel
from ..model.runner import DEFAULT_STEPS, model_table
from ..model.scenarios import Scenario
from ..names import stage_name
from ..validation import Rule, check
from .executors import community_summary

if TYPE_CHECKING:
    from ..model.parameters import Parameters

TESTED_STAGES = ("learning", "independence")
STANCES = ("step_back", "let_go")
NO_TEST: dict[str, Any] = {"withdrawal_tested": "", "withdrawal_held": math.nan}  # an untested month's columns


@dataclass(frozen=True)
class TestSettings:
    """How the withdrawal test is run (months, tolerances); the defaults are the ODD's."""

    __test__ = False  # a settings class, not a test class (pytest collects names starting with Test)

    horizon: int = 24  # months a stepped-back copy must hold
    every: int = 48  # months between tests while the community stays in learning or independence
    let_go: bool = False  # government stops paying the committee too
    solved_tolerance: float = 0.05  # fall in the share of problems solved that still counts as holding

    def __post_init__(self) -> None:
        for name in ("horizon", "every"):
            check(getattr(self, name), Rule("int", low=1, meaning="months"), name)
        check(self.solved_tolerance, Rule("float", low=0, high=1, meaning="a share"), "solved_tolerance")

    @property
    def stance(self) -> str:
        """``step_back`` or ``let_go``: the name the tests table gives this stance."""
        return "let_go" if self.let_go else "step_back"


class _NoCollection:
    """Stands in for a copy's DataCollector: the copy's months are read from its metrics, not collected."""

    def collect(self, model: Any) -> None:
        pass


class Probe:
    """Watches a running model month by month and tests the months :class:`TestSettings` chooses."""

    def __init__(self, settings: TestSettings, smoothing: int) -> None:
        self.settings = settings
        self.smoothing = smoothing
        self._recent: deque[tuple[float, float]] = deque(maxlen=smoothing)  # (yardstick, solved share)
        self._last_test: dict[str, int] = {}
        self.results: list[dict[str, Any]] = []

    def after_month(self, model: CommunityModel) -> dict[str, Any] | None:
        """Record the month; if it is to be tested, test it and return the result."""
        self._recent.append(_outcomes(model))
        stage = str(model.metrics["stage"])
        if stage not in TESTED_STAGES or not self._due(stage, model.steps):
            return None
        self._last_test[stage] = model.steps
        result = self.test(model, stage)
        self.results.append(result)
        return result

    def _due(self, stage: str, month: int) -> bool:
        last = self._last_test.get(stage)
        return last is None or month - last >= self.settings.every

    def test(self, model: CommunityModel, stage: str, let_go: bool | None = None) -> dict[str, Any]:
        """Continue a copy of ``model`` with government stepped back (or let go); did it hold?

        ``let_go`` overrides the settings' stance, so that one probe can test both stances of the same month.
        """
        s = self.settings if let_go is None else replace(self.settings, let_go=let_go)
        index_before, solved_before = (float(np.mean(column)) for column in zip(*self._recent, strict=True))
        trial = continuable_copy(model)
        trial.__dict__.pop("probe", None)  # the copy tests nothing itself
        trial.government.step_back(let_go=s.let_go)
        months = []
        for _ in range(s.horizon):
            trial.step()
            months.append(_outcomes(trial))
        index_after, solved_after = (_lowest_moving_mean(v, self.smoothing) for v in zip(*months, strict=True))
        p = model.params
        index_held = index_after >= index_before - p.stage_hysteresis
        solved_held = solved_after >= solved_before - s.solved_tolerance
        return {
            "month": model.steps,
            "stage": stage,
            "stance": s.stance,
            "index_before": index_before,
            "index_lowest": index_after,
            "solved_before": solved_before,
            "solved_lowest": solved_after,
            "index_end": months[-1][0],
            "holds": bool(index_held and solved_held),
        }


def continuable_copy(model: CommunityModel) -> CommunityModel:
    """A copy of the model, between two months, that continues it bit for bit; without its collected table.

    Pickled and unpickled: the same copy as ``copy.deepcopy`` (every generator state included), in C, and about
    twice as fast for a large community's many resident agents, which keeps a test's cost below the run's
    (``make bench``). Something in the model that cannot be pickled falls back to ``copy.deepcopy``.
    """
    collector = model.datacollector
    model.datacollector = _NoCollection()  # the copy collects nothing
    try:
        return pickle.loads(pickle.dumps(model, pickle.HIGHEST_PROTOCOL))  # our own bytes, made just now
    except (pickle.PicklingError, TypeError, AttributeError):  # a lambda or a lock somewhere in the model
        return copy.deepcopy(model)
    finally:
        model.datacollector = collector


def _outcomes(model: CommunityModel) -> tuple[float, float]:
    """What a test watches in a month: the yardstick and the share of problems solved."""
    return float(model.metrics["self_governance_index"]), float(model.metrics["problems_solved_share"])


def _lowest_moving_mean(values: tuple[float, ...], window: int) -> float:
    series = pd.Series(values)
    return float(series.rolling(min(window, len(series))).mean().min())


def withdrawal_test(
    scenario: str | Path | Scenario = "guardian",
    steps: int = DEFAULT_STEPS,
    seed: int | None = 0,
    n_residents: int | None = None,
    settings: TestSettings | None = None,
    **overrides: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run one configuration with the withdrawal test: ``(per-step table, one row per test)``.

    The run's own numbers are the same as :func:`simulation.model.runner.run_scenario`'s with the same arguments:
    a test continues a copy and leaves the run untouched.
    """
    model = CommunityModel(scenario=scenario, n_residents=n_residents, rng=seed, **overrides)
    probe = Probe(settings or TestSettings(), model.params.index_smoothing)
    probe.after_month(model)
    for _ in range(steps):
        model.step()
        probe.after_month(model)
    return model_table(model), tests_table(probe.results)


def tests_table(results: list[dict[str, Any]]) -> pd.DataFrame:
    """The tests as a table (the right columns even when no month was tested)."""
    columns = ["month", "stage", "stance", "index_before", "index_lowest", "solved_before", "solved_lowest",
               "index_end", "holds"]  # fmt: skip
    return pd.DataFrame(results, columns=columns)


# --- the tests on the terminal ----------------------------------------------------------------------------------


def format_tests(tests: pd.DataFrame, settings: TestSettings, params: Parameters, lang: str = "en") -> str:
    """The tests of one run as a short aligned table, what "holds" means, and one line per stage.

    ``params`` are the run's (the moving average's months and the hysteresis the rule reads).
    """
    _ = gettext_for(lang)
    stance, meaning = {
        "step_back": (_("stepping back"), _("government only guides and supervises, and still pays the committee's "
                                            "running costs")),
        "let_go": (_("letting go"), _("government pays nothing either; it only watches")),
    }[settings.stance]  # fmt: skip
    lines = [
        _("Withdrawal test ({stance}: {meaning}):").format(stance=stance, meaning=meaning),
        _("at the first month of each stage and every {every} months in it, a copy went on for {horizon} months")
        .format(every=settings.every, horizon=settings.horizon),  # fmt: skip
        *_tests_rows(tests, lang),
        _("holds: the {months}-month moving mean of the index stays within {hysteresis:g} of its value at the step "
          "back, and that of the share of problems solved within {tolerance:g}").format(
            months=params.index_smoothing, hysteresis=params.stage_hysteresis, tolerance=settings.solved_tolerance),
        "",
        *(_stage_line(tests, stage, lang) for stage in TESTED_STAGES),
    ]  # fmt: skip
    return "\n".join(lines)


def _tests_rows(tests: pd.DataFrame, lang: str) -> list[str]:
    """The table's lines, aligned by terminal columns (Chinese headers are twice as wide)."""
    from .compare import _pad, _width

    _ = gettext_for(lang)
    if tests.empty:
        return ["  " + _("no month in learning or independence: nothing was tested")]
    rows = [
        {
            _("month"): str(int(row.month)),
            _("stage"): stage_name(str(row.stage), lang),
            _("index before"): f"{row.index_before:.3f}",
            _("index, lowest after"): f"{row.index_lowest:.3f}",
            _("solved before"): f"{row.solved_before:.1%}",
            _("solved, lowest after"): f"{row.solved_lowest:.1%}",
            _("holds"): _("held") if row.holds else _("did not hold"),
        }
        for row in tests.itertuples()
    ]
    widths = {h: max(_width(h), *(_width(r[h]) for r in rows)) for h in rows[0]}
    return ["  " + "  ".join(_pad(cells[h], widths[h]) for h in widths).rstrip()
            for cells in [dict(zip(widths, widths, strict=True)), *rows]]  # fmt: skip


def _stage_line(tests: pd.DataFrame, stage: str, lang: str) -> str:
    """'learning: 3 tests, 3 held' (a stage never reached was never tested)."""
    _ = gettext_for(lang)
    held = tests.loc[tests["stage"] == stage, "holds"]
    name = stage_name(stage, lang)
    if held.empty:
        return _("{stage}: not reached, nothing to test").format(stage=name)
    if len(held) == 1:
        return _("{stage}: 1 test, {held} held").format(stage=name, held=int(held.sum()))
    return _("{stage}: {tests} tests, {held} held").format(stage=name, tests=len(held), held=int(held.sum()))


# --- the test inside the model, for sweeps ----------------------------------------------------------------------


class WithdrawalTestedModel(CommunityModel):
    """The community model with the withdrawal test inside (default :class:`TestSettings`), for sweeps.

    Two more per-step columns say what was tested: ``withdrawal_tested`` (the stage tested this month, else
    "") and ``withdrawal_held`` (1 or 0, else NaN); :func:`withdrawal_summary` counts them. The run's own
    numbers are those of :class:`CommunityModel`.
    """

    settings: ClassVar[TestSettings] = TestSettings()
    no_test: ClassVar[dict[str, Any]] = NO_TEST  # the test columns and their values in an untested month

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probe = Probe(self.settings, self.params.index_smoothing)
        self.test_values: dict[str, Any] = dict(self.no_test)
        collector = self.datacollector
        reporters = dict(collector.model_reporters)
        reporters.update({column: (lambda m, c=column: m.test_values[c]) for column in self.no_test})
        agents = dict(collector.agenttype_reporters) or None  # collect_agents=True: kept
        self.datacollector = type(collector)(model_reporters=reporters, agenttype_reporters=agents)
        self._after_month()
        # The test is an event of its own, after each month's step (Mesa's steps are events too, at the same
        # times, first). A copy made inside step() would lack the next step, which Mesa schedules only when
        # step() has returned: the copy would never move.
        EventGenerator(self, self._after_month, Schedule(interval=1.0, start=1.0), priority=Priority.LOW).start()

    def step(self) -> None:
        collector = self.datacollector
        self.datacollector = _NoCollection()  # type: ignore[assignment]  # collected after the test
        super().step()
        self.datacollector = collector

    def _after_month(self) -> None:
        """Test the month if it is due, then collect it with its test columns."""
        self._probe_month()
        self.datacollector.collect(self)

    def _probe_month(self) -> None:
        result = self.probe.after_month(self) if "probe" in self.__dict__ else None
        self.test_values = self._test_columns(result)

    def _test_columns(self, result: dict[str, Any] | None) -> dict[str, Any]:
        """This month's test columns: what the probe found, or the untested values."""
        if result is None:
            return dict(self.no_test)
        return {"withdrawal_tested": result["stage"], "withdrawal_held": float(result["holds"])}


class StancesTestedModel(WithdrawalTestedModel):
    """Both stances tested at the same months of the same run (``experiment withdrawal-test``).

    Each tested month continues two copies: one stepped back (``withdrawal_held``, as in
    :class:`WithdrawalTestedModel`) and one let go (``withdrawal_held_let_go``). So the difference between the
    stances is the stance's alone, not that of other runs or other months, and a sweep runs each community once.
    ``withdrawal_index_before`` is the yardstick's moving mean at the step back (what a test is compared with).
    """

    no_test = {**NO_TEST, "withdrawal_held_let_go": math.nan, "withdrawal_index_before": math.nan}

    def _test_columns(self, result: dict[str, Any] | None) -> dict[str, Any]:
        columns = super()._test_columns(result)
        if result is not None:
            let_go = self.probe.test(self, result["stage"], let_go=True)
            columns["withdrawal_held_let_go"] = float(let_go["holds"])
            columns["withdrawal_index_before"] = result["index_before"]
        return columns


def withdrawal_summary(table: pd.DataFrame) -> dict[str, Any]:
    """A sweep summary for :class:`WithdrawalTestedModel`: the run's headline numbers and its tests by stage."""
    row = dict(community_summary(table))
    for stage in TESTED_STAGES:
        tested = table.loc[table["withdrawal_tested"] == stage, "withdrawal_held"]
        row[f"{stage}_tests"] = int(tested.size)
        row[f"{stage}_held"] = int(tested.sum())
    return row


def stances_summary(table: pd.DataFrame) -> dict[str, Any]:
    """A sweep summary for :class:`StancesTestedModel`: :func:`withdrawal_summary` and how many let-go copies held."""
    row = withdrawal_summary(table)
    for stage in TESTED_STAGES:
        tested = table.loc[table["withdrawal_tested"] == stage, "withdrawal_held_let_go"]
        row[f"{stage}_held_let_go"] = int(tested.sum())
    return row


def _declared(let_go: bool) -> dict[str, str]:
    """Every column the summary writes, in its order, with its type."""
    counts = [f"{stage}_{what}" for stage in TESTED_STAGES for what in ("tests", "held")]
    counts += [f"{stage}_held_let_go" for stage in TESTED_STAGES] if let_go else []
    return {**community_summary.outputs, **dict.fromkeys(counts, "Int64")}  # type: ignore[attr-defined]


# Every column each summary writes (the results directory keeps these types whatever a batch holds).
withdrawal_summary.outputs = _declared(let_go=False)  # type: ignore[attr-defined]
stances_summary.outputs = _declared(let_go=True)  # type: ignore[attr-defined]
