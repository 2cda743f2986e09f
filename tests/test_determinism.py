"""Same scenario, parameters and seed: the same numbers, in this process or a fresh one."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd

from simulation import run_scenario

ROOT = Path(__file__).resolve().parent.parent
DIGEST = (
    "import hashlib, pandas as pd; from simulation import run_scenario; "
    "t = run_scenario('hangzhou', steps=36, seed=7, n_residents=400); "
    "print(hashlib.sha256(pd.util.hash_pandas_object(t, index=True).values.tobytes()).hexdigest())"
)


def digest(table: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(table, index=True).values.tobytes()).hexdigest()


def test_same_seed_same_table():
    a = run_scenario("guardian", steps=60, seed=11, n_residents=500)
    b = run_scenario("guardian", steps=60, seed=11, n_residents=500)
    pd.testing.assert_frame_equal(a, b)


def test_different_seeds_differ():
    a = run_scenario("guardian", steps=24, seed=1, n_residents=300)
    b = run_scenario("guardian", steps=24, seed=2, n_residents=300)
    assert not a["self_governance_index"].equals(b["self_governance_index"])


def test_fresh_process_gives_the_same_table():
    here = digest(run_scenario("hangzhou", steps=36, seed=7, n_residents=400))
    fresh = subprocess.run([sys.executable, "-c", DIGEST], cwd=ROOT, capture_output=True, text=True, check=True)
    assert fresh.stdout.strip() == here


def test_per_step_table_has_the_required_columns():
    table = run_scenario("shenyang", steps=12, seed=0, n_residents=200)
    required = [
        "step",
        "stage",
        "government_role",
        "self_governance_index",
        "trust_in_strangers",
        "participation_rate",
        "decision_participation_share",
        "low_level_participation_share",
        "vulnerable_participant_share",
        "ngo_count",
        "ngo_independence",
        "committee_autonomy",
        "administrative_load",
        "admin_task_completion",
        "misperception_share",
        "public_cost",
    ]
    assert list(table["step"]) == list(range(13))
    assert set(required) <= set(table.columns)
    assert set(table["stage"]) <= {"dependence", "learning", "independence"}
    assert set(table["government_role"]) <= {"nurture", "assist", "supervise"}
    assert table["self_governance_index"].between(0, 1).all()
