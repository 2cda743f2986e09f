"""The withdrawal test (simulation/experiments/standalone.py): it leaves the run alone, its copies continue the run
bit for bit, stepping back and letting go change what the copies' government does, and the test months and the
verdict follow the documented rules.

Small communities (300 residents, 120 months): behaviour and equalities, never particular model numbers, since the
model core changes.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from simulation import CommunityModel, run_scenario
from simulation.experiments.standalone import (
    TESTED_STAGES,
    Probe,
    StancesTestedModel,
    TestSettings,
    WithdrawalTestedModel,
    continuable_copy,
    format_tests,
    stances_summary,
    withdrawal_summary,
    withdrawal_test,
)
from simulation.experiments.standalone import tests_table as table_of  # not collected as a test
from simulation.model.runner import model_table
from simulation.model.scenarios import load_scenario

RUN = {"scenario": "guardian", "steps": 120, "seed": 3, "n_residents": 300}
EVERY = 24  # more tests than the default 48 in a short run


@pytest.fixture(scope="module")
def tested() -> tuple[pd.DataFrame, pd.DataFrame]:
    """One run of the guardian with the test every 24 months: (per-step table, tests)."""
    table, tests = withdrawal_test(**RUN, settings=TestSettings(every=EVERY))
    assert len(tests) >= 2, "the guardian should reach learning within 10 years; nothing to check otherwise"
    return table, tests


def _model(months: int, cls: type[CommunityModel] = CommunityModel) -> CommunityModel:
    model = cls(scenario=RUN["scenario"], n_residents=RUN["n_residents"], rng=RUN["seed"])
    model.run_for(months)
    return model


# --- the run is untouched ----------------------------------------------------------------------------------------


def test_the_run_is_the_run_without_the_test(tested):
    table, _ = tested
    pd.testing.assert_frame_equal(table, run_scenario(**RUN), check_exact=True)


def test_letting_go_leaves_the_run_untouched_too():
    table, tests = withdrawal_test(**RUN, settings=TestSettings(let_go=True, every=EVERY))
    pd.testing.assert_frame_equal(table, run_scenario(**RUN), check_exact=True)
    assert set(tests["stance"]) == {"let_go"}


@pytest.mark.parametrize("cls", [WithdrawalTestedModel, StancesTestedModel])
def test_a_tested_model_has_the_numbers_of_the_model_and_the_tests_of_withdrawal_test(cls):
    """The same numbers as CommunityModel apart from its test columns, and there the tests withdrawal_test finds."""
    table = model_table(_model(RUN["steps"], cls))
    pd.testing.assert_frame_equal(table.drop(columns=list(cls.no_test)), run_scenario(**RUN), check_exact=True)
    _, tests = withdrawal_test(**RUN, settings=cls.settings)
    tested = table[table["withdrawal_tested"] != ""]
    assert tested["step"].tolist() == tests["month"].tolist()
    assert tested["withdrawal_tested"].tolist() == tests["stage"].tolist()
    assert tested["withdrawal_held"].tolist() == tests["holds"].astype(float).tolist()
    assert table.loc[table["withdrawal_tested"] == "", "withdrawal_held"].isna().all()


def test_both_stances_are_tested_at_the_same_months_of_the_same_run():
    table = model_table(_model(RUN["steps"], StancesTestedModel))
    tested = table[table["withdrawal_tested"] != ""]
    _, let_go = withdrawal_test(**RUN, settings=TestSettings(let_go=True))
    assert tested["withdrawal_held_let_go"].tolist() == let_go["holds"].astype(float).tolist()
    _, step_back = withdrawal_test(**RUN)
    np.testing.assert_array_equal(tested["withdrawal_index_before"], step_back["index_before"])
    summary = stances_summary(table)
    for stage in TESTED_STAGES:
        assert summary[f"{stage}_tests"] == int((step_back["stage"] == stage).sum())
        assert summary[f"{stage}_held"] == int(step_back.loc[step_back["stage"] == stage, "holds"].sum())
        assert summary[f"{stage}_held_let_go"] == int(let_go.loc[let_go["stage"] == stage, "holds"].sum())
    assert set(stances_summary.outputs) == set(summary)  # type: ignore[attr-defined]
    assert set(withdrawal_summary.outputs) == set(withdrawal_summary(table))  # type: ignore[attr-defined]


# --- the copies ------------------------------------------------------------------------------------------------


def test_a_copy_continues_the_run_bit_for_bit():
    model = _model(36)
    twin = copy.deepcopy(model)
    model.run_for(24)
    twin.run_for(24)
    pd.testing.assert_frame_equal(model_table(twin), model_table(model), check_exact=True)
    assert model.rng.bit_generator.state == twin.rng.bit_generator.state


def test_a_copy_of_a_tested_model_continues_it_bit_for_bit():
    """The test inside the model copies it between the months' events: the copy moves on like the run."""
    model = _model(36, WithdrawalTestedModel)
    twin = copy.deepcopy(model)
    model.run_for(24)
    twin.run_for(24)
    pd.testing.assert_frame_equal(model_table(twin), model_table(model), check_exact=True)


@pytest.mark.parametrize("unpicklable", [False, True])
def test_the_tests_copy_continues_the_run_bit_for_bit_and_leaves_its_table(unpicklable):
    """continuable_copy pickles the model; with something unpicklable in it, it falls back to copy.deepcopy."""
    model = _model(36)
    if unpicklable:
        model.note = lambda: "a lambda cannot be pickled"
    collector = model.datacollector
    twin = continuable_copy(model)
    assert model.datacollector is collector and len(model_table(model)) == 37  # the run keeps its table
    months = []
    for _ in range(24):
        model.step()
        twin.step()
        months.append(model.metrics == twin.metrics)
    assert all(months) and model.rng.bit_generator.state == twin.rng.bit_generator.state


@pytest.mark.parametrize("let_go", [False, True])
def test_stepping_back_changes_what_the_copys_government_does(let_go):
    model = _model(36)
    p = model.params
    before = model.levers
    assert before.direct_provision > 0 and before.funding > 0  # the guardian still gives: something to step back from
    trial = copy.deepcopy(model)
    trial.government.step_back(let_go=let_go)
    trial.run_for(3)
    levers = trial.levers
    assert levers.direct_provision == 0 and levers.admin_load == 0 and levers.incubation == 0
    assert levers.service_purchase == 0 and levers.top_down_ngo_rate == 0
    assert levers.supervision == p.supervision  # government still watches
    if let_go:
        assert levers.funding == 0 and levers.training == 0
    else:
        assert levers.funding == pytest.approx(p.funding * (1 - p.service_purchase))  # the running costs
        assert levers.funding > 0
    assert model.levers == before  # the run's own government is untouched


# --- the verdict and the months --------------------------------------------------------------------------------


def test_holds_is_the_documented_rule(tested):
    _, tests = tested
    p = load_scenario(RUN["scenario"]).params
    tolerance = TestSettings().solved_tolerance
    rule = (tests["index_lowest"] >= tests["index_before"] - p.stage_hysteresis) & (
        tests["solved_lowest"] >= tests["solved_before"] - tolerance
    )
    assert tests["holds"].tolist() == rule.tolist()


def test_before_is_the_moving_mean_the_stage_reads_and_after_is_a_copys_lowest(tested):
    """Recomputed from the per-step table and from a copy continued by hand for the first test."""
    table, tests = tested
    window = load_scenario(RUN["scenario"]).params.index_smoothing
    first = tests.iloc[0]
    month = int(first["month"])
    recent = table[(table["step"] > month - window) & (table["step"] <= month)]
    assert first["index_before"] == pytest.approx(recent["self_governance_index"].mean(), abs=1e-12)  # sums' order
    assert first["solved_before"] == pytest.approx(recent["problems_solved_share"].mean(), abs=1e-12)
    trial = _model(month)
    trial.government.step_back()
    trial.run_for(TestSettings().horizon)
    after = model_table(trial).set_index("step").loc[month + 1 :]
    lowest = after["self_governance_index"].rolling(window).mean().min()
    assert first["index_lowest"] == lowest  # the copy continued the run exactly as a run to that month would
    assert first["index_end"] == after["self_governance_index"].iloc[-1]


def test_a_probe_holds_below_its_start_and_fails_above_it():
    """Chosen starting values: a community that had nothing cannot fall; one that had everything must."""
    model = _model(48)
    for start, expected in ((0.0, True), (1.0, False)):
        probe = Probe(TestSettings(horizon=6), smoothing=6)
        probe._recent.extend([(start, start)] * 6)
        assert probe.test(model, "learning")["holds"] is expected
    # With a tolerance of 1 the share of problems solved cannot fail a test; the index decides alone.
    for start, expected in (((0.0, 1.0), True), ((1.0, 0.0), False)):
        lenient = Probe(TestSettings(horizon=6, solved_tolerance=1.0), smoothing=6)
        lenient._recent.extend([start] * 6)
        assert lenient.test(model, "learning")["holds"] is expected


def _expected_months(stages: list[str], every: int) -> list[tuple[int, str]]:
    """The rule: the first month of each tested stage, then every ``every`` months while in that stage."""
    last: dict[str, int] = {}
    months = []
    for month, stage in enumerate(stages):
        if stage in TESTED_STAGES and (stage not in last or month - last[stage] >= every):
            last[stage] = month
            months.append((month, stage))
    return months


@pytest.mark.parametrize("every", [EVERY, 1000])
def test_the_months_tested_follow_the_rule(every):
    table, tests = withdrawal_test(**RUN, settings=TestSettings(every=every, horizon=3))
    expected = _expected_months(table["stage"].tolist(), every)
    assert list(zip(tests["month"], tests["stage"], strict=True)) == expected
    if every == 1000:  # once per stage reached, at its first month
        firsts = table.drop_duplicates("stage").set_index("stage")["step"]
        assert dict(zip(tests["stage"], tests["month"], strict=True)) == {
            stage: firsts[stage] for stage in TESTED_STAGES if stage in firsts
        }


# --- settings, tables, text --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "named"),
    [({"horizon": 0}, "horizon"), ({"every": 0}, "every"), ({"solved_tolerance": 2}, "solved_tolerance"),
     ({"horizon": 1.5}, "horizon"), ({"solved_tolerance": float("nan")}, "solved_tolerance")],
)  # fmt: skip
def test_bad_settings_are_refused_naming_the_setting(settings, named):
    with pytest.raises(ValueError, match=f"^{named}( must be .*, got | = .* is out of range)") as raised:
        TestSettings(**settings)
    assert "\n" not in str(raised.value)


def test_the_tests_read_as_a_table_and_one_line_per_stage(tested):
    _, tests = tested
    text = format_tests(tests, TestSettings(every=EVERY), load_scenario("guardian").params)
    lines = text.splitlines()
    assert "stepping back" in lines[0]
    header = next(line for line in lines if "index before" in line)
    rows = lines[lines.index(header) + 1 : lines.index(header) + 1 + len(tests)]
    assert [int(row.split()[0]) for row in rows] == tests["month"].tolist()
    held = int(tests.loc[tests["stage"] == "learning", "holds"].sum())
    assert f"learning: {int((tests['stage'] == 'learning').sum())} tests, {held} held" in lines
    empty = format_tests(table_of([]), TestSettings(let_go=True), load_scenario("guardian").params)
    assert "letting go" in empty and "nothing was tested" in empty
    assert "independence: not reached, nothing to test" in empty.splitlines()
