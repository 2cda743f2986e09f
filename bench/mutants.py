"""Helpers for `make mutants` (docs/mutation.md): a seeded sample of mutmut's mutants, and the result table.

    python bench/mutants.py sample FRACTION [--seed S]   # names of a stratified sample, for `mutmut run NAMES`
    python bench/mutants.py table                        # generated / killed / surviving / timeout, per module
    python bench/mutants.py survivors                    # names of the surviving mutants, to check them again
    python bench/mutants.py seeded NAMES                 # does each mutant change what a seeded run gives?

The first three read what mutmut keeps in ``mutants/<path>.meta`` (one JSON file per mutated module: each mutant's
name and the exit code of its tests), so they work after mutmut has generated the mutants at least once. ``seeded``
runs a few short seeded runs of the mutated package in ``mutants/`` with each mutant switched on (mutmut's
``MUTANT_UNDER_TEST``) and compares their tables with the unmutated ones: a mutant that changes them is not
equivalent, whatever it does to the law of the draws. The script itself needs only the standard library; ``seeded``
runs the model with the Python that runs the script (the project's, with mutmut installed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

MUTANTS = Path("mutants")
# mutmut 3's exit codes (mutmut/stats.py): 1 and 3 are a failing test, 0 all tests passed.
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}  # fmt: skip
COLUMNS = ("generated", "killed", "survived", "timeout", "no tests", "not checked", "other")


def results() -> dict[str, dict[str, int | None]]:
    """Exit code of every mutant, per module (``simulation/model/policy.py`` -> {mutant name: exit code})."""
    found = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        module = str(meta.relative_to(MUTANTS)).removesuffix(".meta")
        found[module] = json.loads(meta.read_text())["exit_code_by_key"]
    if not found:
        sys.exit("no mutants/*.meta: run `make mutants` (or `mutmut run`) once to generate the mutants")
    return found


def sample(fraction: float, seed: int) -> list[str]:
    """The same share of every module's mutants, drawn with a fixed seed (so a rerun checks the same ones).

    Stratified by module, so that a small module is not left out by chance; at least one mutant per module.
    """
    rng = random.Random(seed)
    chosen = []
    for _, codes in sorted(results().items()):
        names = sorted(codes)
        chosen += rng.sample(names, max(1, round(fraction * len(names))))
    return chosen


def survivors() -> list[str]:
    """The mutants every test let through, by name: after adding tests, ``mutmut run`` checks them again only
    when named (it re-checks by itself only mutants whose function changed)."""
    return sorted(name for codes in results().values() for name, code in codes.items() if code == 0)


# Seeded runs every model module takes part in: the housing and the random network, the guardian withdrawing, a
# directive configuration making organisations from above. Their per-step tables are hashed together.
SEEDED_RUNS = """
import hashlib, sys
import pandas as pd
sys.path.insert(0, ".")
from simulation import run_scenario
digest = hashlib.sha256()
for scenario, overrides in (("guardian", {}), ("guardian", {"network": "random"}), ("hangzhou", {}),
                            ("shanghai", {})):
    table = run_scenario(scenario, steps=120, seed=3, n_residents=800, **overrides)
    digest.update(pd.util.hash_pandas_object(table, index=True).values.tobytes())
print(digest.hexdigest())
"""


def seeded_digest(mutant: str) -> str:
    """SHA-256 of the seeded runs' tables with ``mutant`` switched on ("" for none), or the error it raised."""
    env = dict(os.environ, MUTANT_UNDER_TEST=mutant)
    done = subprocess.run([sys.executable, "-c", SEEDED_RUNS], cwd=MUTANTS, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        return "error: " + (done.stderr.strip().splitlines() or ["(no message)"])[-1]
    return done.stdout.strip()


def seeded(names: list[str]) -> list[str]:
    """One line per mutant: whether the seeded runs give the same tables as without it ("same", "changed", "error")."""
    if not (MUTANTS / "simulation").is_dir():
        sys.exit("no mutants/simulation: run `make mutants` (or `mutmut run`) once to generate the mutants")
    original = seeded_digest("")
    if original.startswith("error"):
        sys.exit(f"the unmutated runs fail in mutants/ ({original}); is mutmut installed for {sys.executable}?")
    lines = []
    for name in names:
        digest = seeded_digest(name)
        verdict = "same" if digest == original else "error" if digest.startswith("error") else "changed"
        lines.append(f"{verdict}\t{name}")
    return lines


def table() -> str:
    """A Markdown table of the results per module, with the share killed among the mutants that were checked."""
    lines = ["| module | " + " | ".join(COLUMNS) + " | killed / (killed + survived) |",
             "|---" * (len(COLUMNS) + 2) + "|"]  # fmt: skip
    total: Counter[str] = Counter()
    for module, codes in results().items():
        counts = Counter(STATUS.get(code, "other") for code in codes.values())
        counts["generated"] = len(codes)
        total.update(counts)
        lines.append(_row(module, counts))
    lines.append(_row("**total**", total))
    return "\n".join(lines)


def _row(name: str, counts: Counter[str]) -> str:
    decided = counts["killed"] + counts["survived"]
    share = f"{counts['killed'] / decided:.1%}" if decided else "-"
    return f"| {name} | " + " | ".join(str(counts[c]) for c in COLUMNS) + f" | {share} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sample", help="print the names of a seeded, stratified sample of the mutants")
    p.add_argument("fraction", type=float, help="share of each module's mutants, in (0, 1]")
    p.add_argument("--seed", type=int, default=11)
    sub.add_parser("table", help="print the result table (Markdown)")
    sub.add_parser("survivors", help="print the names of the surviving mutants")
    p = sub.add_parser("seeded", help="say for each mutant whether it changes what seeded runs give")
    p.add_argument("names", nargs="+", help="mutmut names, e.g. simulation.model.organisations.x_recruit__mutmut_56")
    args = parser.parse_args(argv)
    if args.command == "sample":
        if not 0 < args.fraction <= 1:
            parser.error(f"fraction must be in (0, 1], got {args.fraction}")
        print(" ".join(sample(args.fraction, args.seed)))
    elif args.command == "survivors":
        print(" ".join(survivors()))
    elif args.command == "seeded":
        print("\n".join(seeded(args.names)))
    else:
        print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
