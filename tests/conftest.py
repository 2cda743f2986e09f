"""Shared fixtures: small, fast runs reused across tests."""

from __future__ import annotations

import functools

import pandas as pd
import pytest

from simulation import run_scenario

SEEDS = (0, 1, 2)


@functools.cache
def cached_run(scenario: str, seed: int, steps: int = 240, n_residents: int = 1000) -> pd.DataFrame:
    """Each (scenario, seed) is simulated once per test session."""
    return run_scenario(scenario, steps=steps, seed=seed, n_residents=n_residents)


@pytest.fixture
def run():
    return cached_run
