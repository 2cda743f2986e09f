"""How long a sweep's worker processes outlive a runner killed with ``kill -9`` (see bench/README.md).

Each trial starts ``python -m simulation sweep`` on 2 local workers, kills the runner with SIGKILL either while
its workers are still starting (importing the package) or in the middle of a run (after a first saved part),
and times from the kill until every process it started has ended (a zombie waiting for PID 1 counts as ended).
``--load`` runs two busy loops beside it, as on a machine whose two cores other jobs keep busy.

Usage::

    python bench/lifeline_benchmark.py                  # 10 trials of each, about a minute
    python bench/lifeline_benchmark.py --load --trials 5
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_common
import psutil

SWEEP = 'scenarios = ["guardian"]\nseeds = 400\nsteps = 120\n[fixed]\nn_residents = 300\n'
GIVE_UP = 30.0  # seconds: a process still running then is killed and counted as infinitely late


def ended(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def trial(directory: Path, phase: str) -> float:
    """Seconds from the runner's SIGKILL until all its descendants have ended."""
    sweep_file, out = directory / "long.toml", directory / "out"
    sweep_file.write_text(SWEEP)
    command = [sys.executable, "-m", "simulation", "sweep", str(sweep_file), "--out", str(out), "--workers", "2",
               "--no-progress"]  # fmt: skip
    runner = subprocess.Popen(command, cwd=bench_common.REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(runner.pid)
    if phase == "start-up":  # the resource tracker and both workers exist: the workers are importing
        while len(parent.children()) < 3:
            time.sleep(0.005)
    else:
        while not list((out / "summary").glob("part-*.parquet")):
            time.sleep(0.02)
    children = parent.children(recursive=True)
    runner.kill()
    killed = time.monotonic()
    runner.wait()
    while not all(ended(child) for child in children):
        if time.monotonic() - killed > GIVE_UP:
            for child in children:
                if not ended(child):
                    child.kill()
            return float("inf")
        time.sleep(0.002)
    return time.monotonic() - killed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--load", action="store_true", help="two busy loops beside the sweep")
    args = parser.parse_args(argv)
    bench_common.ensure_importable(workers_too=True)
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)] if args.load else []
    try:
        for phase in ("start-up", "mid-run"):
            times = []
            for _ in range(args.trials):
                with tempfile.TemporaryDirectory() as directory:
                    times.append(trial(Path(directory), phase))
            shown = " ".join(f"{t:.3f}" for t in times)
            print(f"{phase:>8}{' (loaded)' if args.load else ''}: {shown}  max {max(times):.3f} s", flush=True)
    finally:
        for hog in hogs:
            hog.kill()
    print("load average:", " ".join(Path("/proc/loadavg").read_text().split()[:3]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
