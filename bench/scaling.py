"""How one community's set-up time, step time and peak memory grow with its size (see bench/README.md).

The command line refuses communities that would not fit in memory and prints an estimate of time and
memory for large ones before they start (``simulation/experiments/limits.py``). Those estimates rest on the constants
this script measures: each size runs in a fresh process (so peak memory is its own), builds the model,
runs a few steps, and reports

* set-up seconds per resident, step seconds per resident-month,
* peak resident memory, and the bytes per resident above the interpreter's own footprint,

then the constants ``simulation/experiments/limits.py`` would need to cover every measured size, next to the
ones it has.

Usage::

    python bench/scaling.py                          # 20,000 / 100,000 / 400,000 residents, 12 steps each
    python bench/scaling.py --sizes 1000000 --steps 3
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import bench_common

REPO_ROOT = bench_common.REPO_ROOT
DEFAULT_SIZES = (20_000, 100_000, 400_000)


def child(n_residents: int, steps: int) -> None:
    """One size, in this (fresh) process; prints its numbers as JSON."""
    import simulation.model.community as model_module

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    model = model_module.CommunityModel(scenario="guardian", n_residents=n_residents, rng=1)
    built = time.perf_counter()
    model.run_for(steps)
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({
        "residents": n_residents, "steps": steps, "setup_seconds": built - start,
        "step_seconds": (done - built) / steps, "base_bytes": base, "peak_bytes": peak,
    }))  # fmt: skip


def measure(n_residents: int, steps: int) -> dict:
    command = [sys.executable, __file__, "--child", str(n_residents), str(steps)]
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO_ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), metavar="N")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    bench_common.ensure_importable()
    if args.child:
        child(*args.child)
        return 0
    from simulation.experiments import limits

    rows = [measure(n, args.steps) for n in args.sizes]
    header = ("residents", "set-up s", "us/res", "step s", "ns/res-step", "peak MB", "B/res")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (10, 9, 7, 8, 12, 8, 6), strict=True)))
    for r in rows:
        per_resident = (r["peak_bytes"] - limits.COMMUNITY_BASE_BYTES) / r["residents"]
        print(f"{r['residents']:>10,} {r['setup_seconds']:>9.2f} {r['setup_seconds'] / r['residents'] * 1e6:>7.1f} "
              f"{r['step_seconds']:>8.3f} {r['step_seconds'] / r['residents'] * 1e9:>12.0f} "
              f"{r['peak_bytes'] / 2**20:>8.0f} {per_resident:>6.0f}")  # fmt: skip
    base = limits.COMMUNITY_BASE_BYTES
    need = {
        "COMMUNITY_BYTES_PER_RESIDENT": max((r["peak_bytes"] - base) / r["residents"] for r in rows),
        "SETUP_SECONDS_PER_RESIDENT": max(r["setup_seconds"] / r["residents"] for r in rows),
        "SECONDS_PER_RESIDENT_STEP": max(r["step_seconds"] / r["residents"] for r in rows),
    }
    print("\nconstant in simulation/experiments/limits.py: measured maximum / current value")
    for name, value in need.items():
        current = getattr(limits, name)
        flag = "" if value <= current else "   <- the estimate is too low: raise it"
        print(f"  {name:<30} {value:.3g} / {current:.3g}{flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
