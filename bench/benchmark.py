"""Performance benchmark of the community model (see bench/README.md).

Part 1 runs our model and Mesa's own ``VirusOnNetwork`` example in one process
with the same number of agents on networks of the same mean degree, and
reports agent-steps (resident-steps) per second for both and their ratio.
The two run in turns (ours, Virus, ours, Virus, ...) and the ratio is the
median of the back-to-back pairs, so a slow spell of a shared machine slows
both sides of a pair instead of one model only.
Target: ours >= 15x VirusOnNetwork at 10,000 residents.

Part 2 runs our model with 100,000 residents for 240 steps in a fresh
subprocess, so its wall time and peak memory are not polluted by part 1.
Targets: < 60 s in total (interpreter start, imports and construction
included) and < 2 GB peak resident memory.

Part 3 times the withdrawal test (``run --withdrawal-test``) of one run:
``run_scenario`` and ``withdrawal_test`` with the same arguments (part 1's
residents, 240 months), in turns. Target: the test's extra time is at most the
run's own (extra / run <= 1, the median of the pairs).

Usage::

    python bench/benchmark.py                 # full size (about a minute)
    python bench/benchmark.py --quick         # small smoke check (seconds)
    python bench/benchmark.py --json results/bench.json --strict
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bench_common

REPO_ROOT = bench_common.REPO_ROOT

TARGET_RATIO = 15.0  # ours / VirusOnNetwork, agent-steps per second
TARGET_LARGE_SECONDS = 60.0  # 100,000 residents x 240 steps, whole process
TARGET_LARGE_PEAK_MB = 2000.0  # 2 GB, in MB of 10**6 bytes
TARGET_WITHDRAWAL_EXTRA = 1.0  # the withdrawal test's extra time / the run's time

FULL = {
    "residents": 10_000,
    "steps": 240,
    "repeats": 5,
    "virus_steps": 40,
    "large_residents": 100_000,
    "large_steps": 240,
    "withdrawal_steps": 240,
    "withdrawal_repeats": 3,
}
QUICK = {
    "residents": 2_000,
    "steps": 60,
    "repeats": 1,
    "virus_steps": 10,
    "large_residents": 10_000,
    "large_steps": 24,
    "withdrawal_steps": 240,
    "withdrawal_repeats": 1,
}


def environment() -> dict[str, Any]:
    return bench_common.environment("mesa", "numpy", "scipy", "networkx")


# --- part 1: our model ----------------------------------------------------------
def bench_ours(residents: int, steps: int, seed: int, scenario: str) -> dict[str, Any]:
    """Build and run our model once; time construction and steps apart."""
    from simulation import CommunityModel

    t0 = time.perf_counter()
    model = CommunityModel(scenario=scenario, n_residents=residents, rng=seed)
    t1 = time.perf_counter()
    model.run_for(steps)
    t2 = time.perf_counter()
    return {
        "model": f"CommunityModel(scenario={scenario!r})",
        "agents": residents,
        "steps": steps,
        "mean_degree": float(model.network.degree().mean()),
        "construction_s": t1 - t0,
        "step_time_s": t2 - t1,
        "ms_per_step": 1000 * (t2 - t1) / steps,
        "agent_steps_per_s": residents * steps / (t2 - t1),
        "final_stage": model.stage,
    }


# --- part 1: Mesa's VirusOnNetwork ------------------------------------------------
class _NetworkxWithFastGnp:
    """Stands in for ``networkx`` inside the Virus module: ``erdos_renyi_graph`` -> ``fast_gnp_random_graph``.

    Both draw G(n, p); the example's call is O(n^2) (6 s at 10,000 nodes, 10 min
    at 100,000), the fast one O(n + m). Everything else is networkx itself.
    """

    def __init__(self, seed: int) -> None:
        import networkx

        self._nx = networkx
        self._seed = seed

    def erdos_renyi_graph(self, n: int, p: float, seed: Any = None, directed: bool = False) -> Any:
        return self._nx.fast_gnp_random_graph(n, p, seed=self._seed if seed is None else seed, directed=directed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._nx, name)


@contextmanager
def _fast_virus_construction(seed: int):
    """Make the example's construction scale; its ``step`` is untouched.

    The example builds ``Network(graph, ...)`` with Mesa's default
    ``layout=nx.spring_layout``, which is for drawing only and takes minutes at
    10,000 nodes; the benchmark passes ``layout=None``.
    """
    import mesa.examples.basic.virus_on_network.model as virus_module
    from mesa.discrete_space import Network

    saved = virus_module.Network, virus_module.nx
    virus_module.Network = functools.partial(Network, layout=None)
    virus_module.nx = _NetworkxWithFastGnp(seed)
    try:
        yield
    finally:
        virus_module.Network, virus_module.nx = saved


def bench_virus(nodes: int, steps: int, avg_degree: float, seed: int) -> dict[str, Any]:
    """Mesa's VirusOnNetwork with endemic settings: the virus keeps spreading for the whole run."""
    from mesa.examples.basic.virus_on_network.model import VirusOnNetwork

    params = {
        "num_nodes": nodes,
        "avg_node_degree": avg_degree,
        "initial_outbreak_size": max(1, nodes // 10),
        "virus_spread_chance": 0.4,
        "virus_check_frequency": 0.4,
        "recovery_chance": 0.3,
        "gain_resistance_chance": 0.0,
    }
    with _fast_virus_construction(seed):
        t0 = time.perf_counter()
        model = VirusOnNetwork(**params, rng=seed)
        t1 = time.perf_counter()
    model.run_for(steps)
    t2 = time.perf_counter()
    infected = model.datacollector.get_model_vars_dataframe()["Infected"].to_numpy() / nodes
    degree = 2 * model.grid.G.number_of_edges() / nodes
    return {
        "model": "mesa.examples VirusOnNetwork",
        "agents": nodes,
        "steps": steps,
        "params": params,
        "mean_degree": degree,
        "construction_s": t1 - t0,
        "step_time_s": t2 - t1,
        "ms_per_step": 1000 * (t2 - t1) / steps,
        "agent_steps_per_s": nodes * steps / (t2 - t1),
        "infected_share_mean": float(infected[1:].mean()),
        "infected_share_min": float(infected[1:].min()),
    }


def part_one(sizes: dict[str, int], seed: int, scenario: str) -> dict[str, Any]:
    """Pairs of runs: ours (seeds seed, seed+1, ...) then Virus (always seed: one reference workload)."""
    pairs = []
    for i in range(sizes["repeats"]):
        ours = bench_ours(sizes["residents"], sizes["steps"], seed + i, scenario)
        virus = bench_virus(sizes["residents"], sizes["virus_steps"], ours["mean_degree"], seed)
        pairs.append((ours, virus))
    ratios = [ours["agent_steps_per_s"] / virus["agent_steps_per_s"] for ours, virus in pairs]
    return {
        "ours": _median_run([ours for ours, _ in pairs]),
        "virus": _median_run([virus for _, virus in pairs]),
        "pair_ratios": ratios,
        "ratio": statistics.median(ratios),
    }


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median speed, with how many runs there were."""
    median = sorted(runs, key=lambda run: run["ms_per_step"])[(len(runs) - 1) // 2]
    return {**median, "repeats": len(runs)}


# --- part 2: large run in a fresh process -------------------------------------------
def large_child(residents: int, steps: int, seed: int, scenario: str) -> None:
    """Runs inside the fresh subprocess; prints one JSON line."""
    t_start = time.perf_counter()
    from simulation import CommunityModel

    t_imported = time.perf_counter()
    model = CommunityModel(scenario=scenario, n_residents=residents, rng=seed)
    t_built = time.perf_counter()
    model.run_for(steps)
    t_done = time.perf_counter()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    result = {
        "residents": residents,
        "steps": steps,
        "import_s": t_imported - t_start,
        "construction_s": t_built - t_imported,
        "run_s": t_done - t_built,
        "construction_and_run_s": t_done - t_imported,
        "agent_steps_per_s": residents * steps / (t_done - t_built),
        "peak_rss_mb": peak_kb * 1024 / 1e6,
        "final_stage": model.stage,
    }
    print(json.dumps(result))


def bench_large(residents: int, steps: int, seed: int, scenario: str) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--large-child", str(residents), str(steps)]
    cmd += ["--seed", str(seed), "--scenario", scenario]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise RuntimeError(f"large run failed (exit {proc.returncode})")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall  # interpreter start + imports + construction + run
    return result


# --- part 3: the withdrawal test of one run -----------------------------------------
def bench_withdrawal(residents: int, steps: int, repeats: int, seed: int, scenario: str) -> dict[str, Any]:
    """The run alone, then the same run with the withdrawal test, in turns: what the test adds to a run.

    Both build the model and run it the same way (``withdrawal_test`` leaves the run's numbers unchanged), so the
    difference is the test: the copies continued with government stepped back.
    """
    from simulation import run_scenario
    from simulation.experiments.standalone import TestSettings, withdrawal_test

    pairs, tests = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        run_scenario(scenario, steps=steps, seed=seed, n_residents=residents)
        t1 = time.perf_counter()
        _table, tested = withdrawal_test(scenario, steps=steps, seed=seed, n_residents=residents)
        t2 = time.perf_counter()
        pairs.append((t1 - t0, t2 - t1))
        tests = len(tested)
    settings = TestSettings()
    return {
        "scenario": scenario,
        "residents": residents,
        "steps": steps,
        "repeats": repeats,
        "tests": tests,
        "test_months": tests * settings.horizon,
        "run_s": statistics.median(run for run, _ in pairs),
        "tested_s": statistics.median(tested for _, tested in pairs),
        "pair_ratios": [(tested - run) / run for run, tested in pairs],
        "ratio": statistics.median((tested - run) / run for run, tested in pairs),
    }


def report_withdrawal(withdrawal: dict[str, Any]) -> bool:
    """Part 3's lines; whether the test's extra time is within the run's."""
    w = withdrawal
    print(f"\nPart 3: the withdrawal test of one run ({w['scenario']}, {w['residents']:,} residents, {w['steps']} "
          f"months; {w['tests']} tests, {w['test_months']} months of copies)")  # fmt: skip
    print(f"  run alone {w['run_s']:.2f} s, with the test {w['tested_s']:.2f} s (median of {w['repeats']})")
    pairs = ", ".join(f"{r:.2f}" for r in w["pair_ratios"])
    ok = w["ratio"] <= TARGET_WITHDRAWAL_EXTRA
    print(f"  extra time / run time (median pair; pairs {pairs}): {w['ratio']:.2f}   "
          f"target <= {TARGET_WITHDRAWAL_EXTRA:g}: {_mark(ok)}")  # fmt: skip
    return ok


# --- reporting ---------------------------------------------------------------------
def _mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: dict[str, Any], full_size: bool) -> list[bool]:
    ours, virus, large = results["ours"], results["virus"], results.get("large")
    env = results["environment"]
    print(f"\nPython {env['python']}, Mesa {env['mesa']}, numpy {env['numpy']}, {env['cpu_count']} CPUs")
    print(env["platform"])
    print(f"\nPart 1: agent-steps per second at {ours['agents']:,} agents (construction timed separately)")
    header = f"  {'model':<40} {'degree':>6} {'steps':>9} {'build s':>8} {'ms/step':>8} {'agent-steps/s':>14}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for row in (ours, virus):
        steps = str(row["steps"])
        print(
            f"  {row['model']:<40} {row['mean_degree']:>6.2f} {steps:>9} {row['construction_s']:>8.2f}"
            f" {row['ms_per_step']:>8.2f} {row['agent_steps_per_s']:>14,.0f}"
        )
    print(
        f"  Virus: mean infected share {virus['infected_share_mean']:.2f} "
        f"(min {virus['infected_share_min']:.2f}) over its {virus['steps']} steps"
    )
    ratio = results["ratio"]
    checks = []
    ok = ratio >= TARGET_RATIO
    checks.append(ok)
    pairs = ", ".join(f"{r:.1f}x" for r in results["pair_ratios"])
    print(f"  (median run of each model shown; the {len(results['pair_ratios'])} back-to-back pairs: {pairs})")
    print(f"  ratio ours / Virus (median pair): {ratio:.1f}x   target >= {TARGET_RATIO:.0f}x: {_mark(ok)}")

    if large is not None:
        print(f"\nPart 2: {large['residents']:,} residents x {large['steps']} steps in a fresh process")
        print(
            f"  imports {large['import_s']:.1f} s, construction {large['construction_s']:.1f} s, "
            f"run {large['run_s']:.1f} s ({large['agent_steps_per_s']:,.0f} resident-steps/s)"
        )
        ok_time = large["process_wall_s"] < TARGET_LARGE_SECONDS
        ok_mem = large["peak_rss_mb"] < TARGET_LARGE_PEAK_MB
        checks += [ok_time, ok_mem]
        print(
            f"  total (whole process) {large['process_wall_s']:.1f} s   target < {TARGET_LARGE_SECONDS:.0f} s: "
            f"{_mark(ok_time)}"
        )
        print(f"  peak RSS {large['peak_rss_mb']:,.0f} MB   target < {TARGET_LARGE_PEAK_MB:,.0f} MB: {_mark(ok_mem)}")
    if results.get("withdrawal") is not None:
        checks.append(report_withdrawal(results["withdrawal"]))
    bench_common.note_if_not_full_size(full_size)
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = bench_common.make_parser(__doc__, quick="small sizes for a smoke check (a few seconds)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", default="guardian")
    parser.add_argument("--residents", type=int, help=f"part 1 agents (default {FULL['residents']:,})")
    parser.add_argument("--steps", type=int, help=f"part 1 steps of our model per repeat (default {FULL['steps']})")
    parser.add_argument("--repeats", type=int, help=f"part 1 pairs of runs (default {FULL['repeats']})")
    parser.add_argument("--virus-steps", type=int, help=f"part 1 Virus steps (default {FULL['virus_steps']})")
    parser.add_argument("--large-residents", type=int, help=f"part 2 residents (default {FULL['large_residents']:,})")
    parser.add_argument("--large-steps", type=int, help=f"part 2 steps (default {FULL['large_steps']})")
    parser.add_argument("--skip-large", action="store_true", help="skip part 2")
    parser.add_argument("--withdrawal-steps", type=int,
                        help=f"part 3 months of the tested run (default {FULL['withdrawal_steps']})")  # fmt: skip
    parser.add_argument("--withdrawal-repeats", type=int,
                        help=f"part 3 pairs of runs (default {FULL['withdrawal_repeats']})")  # fmt: skip
    parser.add_argument("--skip-withdrawal", action="store_true", help="skip part 3")
    parser.add_argument("--large-child", nargs=2, type=int, metavar=("N", "STEPS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    bench_common.ensure_importable()
    if args.large_child:
        large_child(*args.large_child, seed=args.seed, scenario=args.scenario)
        return 0

    sizes = dict(QUICK if args.quick else FULL)
    for key in sizes:
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    full_size = sizes == FULL

    results: dict[str, Any] = {"environment": environment(), "sizes": sizes, "full_size": full_size}
    print(
        f"Part 1: {sizes['repeats']} pairs of our model ({sizes['residents']:,} residents, {sizes['steps']} steps) "
        f"and VirusOnNetwork (same nodes and mean degree, {sizes['virus_steps']} steps) ..."
    )
    results.update(part_one(sizes, args.seed, args.scenario))
    if not args.skip_large:
        print(f"Part 2: {sizes['large_residents']:,} residents x {sizes['large_steps']} steps in a fresh process ...")
        results["large"] = bench_large(sizes["large_residents"], sizes["large_steps"], args.seed, args.scenario)
    if not args.skip_withdrawal:
        print(f"Part 3: {sizes['withdrawal_repeats']} pairs of one run and its withdrawal test "
              f"({sizes['residents']:,} residents, {sizes['withdrawal_steps']} months) ...")  # fmt: skip
        results["withdrawal"] = bench_withdrawal(sizes["residents"], sizes["withdrawal_steps"],
                                                 sizes["withdrawal_repeats"], args.seed, args.scenario)  # fmt: skip

    checks = report(results, full_size)
    results["targets"] = {
        "ratio_min": TARGET_RATIO,
        "large_seconds_max": TARGET_LARGE_SECONDS,
        "large_peak_mb_max": TARGET_LARGE_PEAK_MB,
        "withdrawal_extra_max": TARGET_WITHDRAWAL_EXTRA,
        "all_met": all(checks),
    }
    return bench_common.finish(results, checks, args, full_size)


if __name__ == "__main__":
    sys.exit(main())
