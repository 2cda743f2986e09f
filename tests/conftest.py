"""Shared fixtures: full-size runs simulated once per test session, on all cores."""

from __future__ import annotations

import functools
import multiprocessing
import signal
import subprocess
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import pytest

from simulation import run_scenario
from simulation.experiments.executors import cpu_count, limit_threads
from simulation.experiments.patterns import RUNS

SEEDS = (1, 2, 3, 4, 5)  # the Karamay calibration used seeds 101-105, never these
RESIDENTS = 2000
MONTHS = 240
# RUNS, every run the pattern and ablation tests compare, is defined once in simulation.experiments.patterns. Paired
# comparisons use the same seeds, so two runs of a pair differ only in the one thing changed.


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


def ctrl_c_as_at_a_terminal() -> None:
    """In a child process before it starts: SIGINT at its default, as a command started at a terminal has it.

    A test run started in the background by a shell without job control (`cmd &` in a script, nohup) has
    SIGINT ignored, children inherit that, and a Python started so keeps ignoring it: the Ctrl-C tests would
    then see a sweep run to the end instead of stopping (exit 0, not 130).
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop_process(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM, then SIGKILL if it has not ended within ``grace`` seconds: a server a test started never outlives it."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
