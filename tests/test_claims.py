"""The claims table (docs/claims.md): every quote verbatim, every configuration present, the numbers the command's."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation import list_scenarios
from simulation.experiments import claims
from simulation.experiments.claims import CLAIMS, Check, Claim, Quote, Settings, claim_summary, run_claims
from simulation.model.runner import run_scenario

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "claims.md"
ESSAYS = ROOT.parent / "shared" / "sources" / "essays.txt"


@pytest.mark.skipif(not ESSAYS.exists(), reason="the essays are kept outside the repository (../shared/sources)")
def test_every_quote_is_verbatim_on_the_line_it_cites():
    lines = ESSAYS.read_text(encoding="utf-8").splitlines()
    starts = [number for number, line in enumerate(lines, start=1) if line.startswith("社区基层治理成效例")]
    for claim in CLAIMS:
        for quote in claim.quotes:
            assert quote.text in lines[quote.line - 1], f"{claim.key}: not on line {quote.line}: {quote.text}"
            essay = sum(start <= quote.line for start in starts)  # essay N starts at the N-th heading
            assert essay == quote.essay, f"{claim.key}: line {quote.line} is in essay {essay}, not {quote.essay}"


@pytest.mark.skipif(not ESSAYS.exists(), reason="the essays are kept outside the repository (../shared/sources)")
def test_every_quote_in_the_document_is_verbatim():
    essays = re.sub(r"\s+", "", ESSAYS.read_text(encoding="utf-8"))
    quoted = re.findall(r"“([^”]*(?:“[^”]*”[^”]*)*)”", DOCUMENT.read_text(encoding="utf-8"))
    assert len(quoted) >= 20
    for quote in quoted:
        assert quote in essays, f"docs/claims.md quotes what the essays do not say: {quote}"


def test_every_configuration_has_claims_and_there_are_at_least_twenty():
    assert len(CLAIMS) >= 20
    configurations = {claim.configuration for claim in CLAIMS}
    assert set(list_scenarios()) <= configurations
    document = DOCUMENT.read_text(encoding="utf-8")
    for name in list_scenarios():
        assert f"## {name}" in document, f"docs/claims.md has no section for {name}"
    assert len({claim.key for claim in CLAIMS}) == len(CLAIMS)


def test_a_claim_without_a_check_says_why():
    for claim in CLAIMS:
        assert claim.checks or claim.outside, claim.key
        assert claim.gloss and claim.quotes, claim.key


def _claim(*checks: float) -> Claim:
    return Claim("T", "guardian", (Quote("x", 1, 1),), "x", tuple(Check("c", lambda runs: 0.0) for _ in checks))


@pytest.mark.parametrize(
    "margins, verdict",
    [
        ([[0.1, 0.2], [0.3, 0.1]], "reproduced"),
        ([[0.1, -0.05], [0.3, 0.1]], "partly"),  # every mean above 0, not every seed
        ([[0.1, 0.2], [-0.3, -0.1]], "partly"),  # one check in every seed
        ([[0.1, -0.3], [-0.3, 0.1]], "not reproduced"),
    ],
)
def test_verdicts_follow_the_seeds(margins, verdict):
    arrays = [np.array(m) for m in margins]
    assert claims._verdict(_claim(*range(len(arrays))), arrays) == verdict


def test_the_summary_declares_every_column_it_writes():
    table = run_scenario("guardian", steps=61, seed=1, n_residents=150)
    summary = claim_summary(table)
    assert set(summary) == set(claim_summary.outputs)
    assert all(np.isfinite(value) for value in summary.values())


def test_the_quick_command_runs_every_claim_and_resumes(tmp_path):
    first = run_claims(tmp_path, Settings.quick(), executor="inline", progress=False)
    assert set(first.table["claim"]) == {claim.key for claim in CLAIMS}
    again = run_claims(tmp_path, Settings.quick(), executor="inline", progress=False)
    pd.testing.assert_frame_equal(first.table, again.table)  # read back from the finished sweep, not rerun
    assert (tmp_path / "claims.md").read_text(encoding="utf-8") == first.markdown


def test_the_document_is_what_the_command_writes(tmp_path):
    """docs/claims.md is `python -m simulation experiment claims` at its defaults, number for number."""
    result = run_claims(tmp_path, Settings(), progress=False)
    assert DOCUMENT.read_text(encoding="utf-8") == result.markdown, (
        "docs/claims.md is stale: rerun 'python -m simulation experiment claims' and copy results/claims/claims.md"
    )


def test_the_command_line_writes_the_table_and_refuses_bad_sizes(tmp_path, capsys):
    from simulation.cli import main

    out = tmp_path / "claims"
    assert main(["experiment", "claims", "--quick", "--out", str(out), "--executor", "inline", "--no-progress"]) == 0
    assert (out / "claims.md").is_file() and (out / "claims.csv").is_file()
    assert f"{len(CLAIMS)} claims" in capsys.readouterr().out
    assert main(["experiment", "claims", "--quick", "--seeds", "0", "--out", str(tmp_path / "other")]) == 2
    assert "--seeds" in capsys.readouterr().err and not (tmp_path / "other").exists()
