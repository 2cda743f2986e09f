"""Shared fixtures: full-size runs simulated once per test session, on all cores."""

from __future__ import annotations

import functools
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pandas as pd
import pytest

from simulation import run_scenario
from simulation.executors import cpu_count, limit_threads

SEEDS = (1, 2, 3, 4, 5)  # the Karamay calibration used seeds 101-105, never these
RESIDENTS = 2000
MONTHS = 240

# Every run the pattern and ablation tests compare: (scenario, overrides). Paired comparisons use the same
# seeds, so two runs of a pair differ only in the one thing changed (and in the random draws it shifts).
RUNS: dict[str, tuple[str, dict[str, Any]]] = {
    "guardian": ("guardian", {}),
    "guardian_fixed": ("guardian", {"policy": "fixed"}),
    "early_withdrawal": ("early_withdrawal", {}),
    "withdraw_48": ("guardian", {"withdraw_at_step": 48}),
    "withdraw_48_unwatched": ("guardian", {"withdraw_at_step": 48, "supervision": 0.0}),
    "network_none": ("guardian", {"network": "none"}),
    "network_random": ("guardian", {"network": "random"}),
    "no_party": ("guardian", {"party_member_share": 0.0}),
    "top_down": ("guardian", {"top_down_ngo_rate": 2.0}),
    "shanghai": ("shanghai", {}),
    "shanghai_load_06": ("shanghai", {"admin_load": 0.6}),
    "shanghai_load_03": ("shanghai", {"admin_load": 0.3}),
    "shenyang": ("shenyang", {}),
    "jianghan": ("jianghan", {}),
    "hangzhou": ("hangzhou", {}),
    "workstation": ("workstation", {}),
    "karamay": ("karamay", {}),
}


def _simulate(job: tuple[str, int]) -> tuple[str, int, pd.DataFrame]:
    key, seed = job
    scenario, overrides = RUNS[key]
    return key, seed, run_scenario(scenario, steps=MONTHS, seed=seed, n_residents=RESIDENTS, **overrides)


@functools.cache
def _all_runs() -> dict[tuple[str, int], pd.DataFrame]:
    """All pattern runs, simulated once per session in parallel (about a minute on 2 cores)."""
    jobs = [(key, seed) for key in RUNS for seed in SEEDS]
    # "spawn", not fork: the test process may already run threads (dashboard tests, Dask).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=cpu_count(), mp_context=context, initializer=limit_threads) as pool:
        return {(key, seed): table for key, seed, table in pool.map(_simulate, jobs)}


def pattern_run(key: str, seed: int) -> pd.DataFrame:
    """The per-step table of one pattern run (full size: 2,000 residents, 240 months)."""
    return _all_runs()[key, seed]


@pytest.fixture
def run():
    return pattern_run
