"""Runner benchmark: our sweep runner (``run_sweep``) against Mesa's ``batch_run`` on the same runs (bench/README.md).

The workload: 120 runs of ``CommunityModel`` (the guardian configuration, 2,000 residents, 240 months),
three funding levels x 40 seeds, on 2 spawn-started processes. ``run_sweep`` does everything it does in
normal use (Parquet results, the manifest for resuming, ``SeedSequence`` seeds, the progress bar turned
off on both sides); ``batch_run`` gets ``data_collection_period=-1`` (the last row only) and no progress bar.

The two alternate in ABBA order, twice (A B B A A B B A, A = ``run_sweep``), so that a slow spell on a
shared machine slows both sides of a pair; each adjacent pair gives a ratio (batch_run seconds / run_sweep
seconds: above 1 means our runner is faster), and the median of the pairs counts. Every time is the wall
time of the whole call: starting the workers, running, collecting and (ours) writing results.

Usage::

    python bench/runner_benchmark.py                 # full size (about 6 minutes on 2 cores)
    python bench/runner_benchmark.py --quick         # smoke check: 12 runs of 24 steps
    python bench/runner_benchmark.py --json results/bench/runner.json
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_common

REPO_ROOT = bench_common.REPO_ROOT

FULL = {"residents": 2000, "steps": 240, "seeds": 40, "rounds": 2}
QUICK = {"residents": 500, "steps": 24, "seeds": 4, "rounds": 1}
FUNDING = [3.0, 6.0, 9.0]
SCENARIO = "guardian"
SWEEP_SEED = 12


def sweep_dict(sizes: dict[str, int]) -> dict[str, Any]:
    return {
        "description": "benchmark: run_sweep against mesa.batch_run",
        "scenarios": [SCENARIO],
        "seeds": sizes["seeds"],
        "steps": sizes["steps"],
        "seed": SWEEP_SEED,
        "fixed": {"n_residents": sizes["residents"]},
        "vary": {"funding": FUNDING},
    }


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_run_sweep(sizes: dict[str, int], workers: int, tmp: Path, k: int) -> dict[str, Any]:
    from simulation.experiments.sweep import load_sweep, run_sweep

    spec = load_sweep(sweep_dict(sizes), name="bench_runner")
    out = tmp / f"sweep-{k}"
    cpu, start = _cpu_seconds(), time.perf_counter()
    result = run_sweep(spec, out, executor="processes", workers=workers, progress=False)
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu
    if not result.complete or result.failed:
        raise RuntimeError(f"benchmark sweep incomplete: {result}")
    shutil.rmtree(out, ignore_errors=True)
    return {"side": "run_sweep", "seconds": seconds, "cpu_s": cpu, "runs": result.total}


def time_batch_run(sizes: dict[str, int], workers: int, seeds: list[int]) -> dict[str, Any]:
    import mesa

    from simulation.model.community import CommunityModel

    cpu, start = _cpu_seconds(), time.perf_counter()
    rows = mesa.batch_run(
        CommunityModel,
        parameters={"scenario": SCENARIO, "n_residents": sizes["residents"], "funding": FUNDING},
        rng=seeds,
        max_steps=sizes["steps"],
        number_processes=workers,
        data_collection_period=-1,
        display_progress=False,
    )
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu
    if len(rows) != len(FUNDING) * len(seeds):
        raise RuntimeError(f"batch_run returned {len(rows)} rows")
    return {"side": "batch_run", "seconds": seconds, "cpu_s": cpu, "runs": len(rows)}


def measure(sizes: dict[str, int], workers: int, tmp: Path) -> dict[str, Any]:
    from simulation.experiments.sweep import load_sweep

    spec = load_sweep(sweep_dict(sizes), name="bench_runner")
    runs = list(spec.iter_runs())
    seeds = [run.seed for run in runs if run.varied == runs[0].varied]  # the sweep's SeedSequence seeds of one level
    order = "ABBA" * sizes["rounds"]
    times: list[dict[str, Any]] = []
    for k, side in enumerate(order):
        entry = time_run_sweep(sizes, workers, tmp, k) if side == "A" else time_batch_run(sizes, workers, seeds)
        times.append(entry)
        print(f"  {k + 1}/{len(order)} {entry['side']:<9} {entry['seconds']:7.2f} s  "
              f"(cpu {entry['cpu_s']:.1f} s)", flush=True)  # fmt: skip
    pairs = []
    for first, second in zip(times[0::2], times[1::2], strict=True):
        ours = first if first["side"] == "run_sweep" else second
        theirs = second if ours is first else first
        pairs.append({"run_sweep_s": ours["seconds"], "batch_run_s": theirs["seconds"],
                      "ratio": theirs["seconds"] / ours["seconds"]})  # fmt: skip
    median = statistics.median(p["ratio"] for p in pairs)
    return {"order": order, "times": times, "pairs": pairs, "median_ratio": median}


def report(result: dict[str, Any], sizes: dict[str, int], workers: int) -> None:
    runs = len(FUNDING) * sizes["seeds"]
    print(f"\n{runs} runs ({SCENARIO}, {sizes['residents']:,} residents, {sizes['steps']} steps, "
          f"{len(FUNDING)} funding levels x {sizes['seeds']} seeds), {workers} processes, "
          f"order {result['order']}")  # fmt: skip
    print(f"{'pair':>4}  {'run_sweep s':>11}  {'batch_run s':>11}  {'ratio':>6}")
    for k, pair in enumerate(result["pairs"], 1):
        print(f"{k:>4}  {pair['run_sweep_s']:>11.2f}  {pair['batch_run_s']:>11.2f}  {pair['ratio']:>6.3f}")
    print(f"median ratio (batch_run / run_sweep; > 1: run_sweep faster): {result['median_ratio']:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = bench_common.make_parser(__doc__, quick="smoke check: 12 runs of 500 residents x 24 steps", strict=False)
    parser.add_argument("--workers", type=int, default=2, help="processes on both sides (default 2)")
    parser.add_argument("--seeds", type=int, help="seeds per funding level (default 40)")
    parser.add_argument("--rounds", type=int, help="ABBA rounds (default 2)")
    args = parser.parse_args(argv)
    bench_common.ensure_importable(workers_too=True)
    sizes = dict(QUICK if args.quick else FULL)
    if args.seeds:
        sizes["seeds"] = args.seeds
    if args.rounds:
        sizes["rounds"] = args.rounds
    import simulation

    print(f"simulation from {Path(simulation.__file__).parent}", flush=True)
    with tempfile.TemporaryDirectory(prefix="runner-bench-") as tmp:
        result = measure(sizes, args.workers, Path(tmp))
    report(result, sizes, args.workers)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        info = {
            **bench_common.environment("mesa", "numpy", "pandas", "pyarrow"),
            "sizes": sizes, "workers": args.workers, "funding": FUNDING, "scenario": SCENARIO,
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        }  # fmt: skip
        args.json.write_text(json.dumps({**info, **result}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
