"""Dashboard speed and memory, measured rather than asserted in the test suite (see bench/README.md).

Part 1 (no browser): how long a Step takes to update every view with 1,000 residents (the budget is 0.5 s),
and how much longer the network view takes to draw at 20,000 residents than at 1,000 (it draws a fixed
sample, so the budget is 2.5 times).

Part 2 (``--sessions N``, needs Chromium): the real server, ``python -m simulation dashboard``'s own
command and environment; N browser tabs opened (until the stage indicator shows) and closed one after
another; the server's resident memory after the first and the last, and the sessions it still holds.

Usage::

    python bench/dashboard_benchmark.py                  # part 1 (about a minute)
    python bench/dashboard_benchmark.py --sessions 100   # and part 2 (about 5-8 minutes)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import bench_common

REPO_ROOT = bench_common.REPO_ROOT
STEP_BUDGET_S = 0.5
LARGE_DRAW_RATIO = 2.5
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def step_seconds(steps: int = 5) -> list[float]:
    """Seconds per Step with every view redrawn, in a Solara kernel as a browser tab has (first step not counted)."""
    import ipyvuetify as v
    import solara
    import solara.server.app  # noqa: F401 - the server's patches
    from solara.server import kernel, kernel_context

    from simulation.dashboard import app

    context = kernel_context.VirtualKernelContext(
        id=f"kernel-{uuid.uuid4()}", kernel=kernel.Kernel(), session_id=f"session-{uuid.uuid4()}"
    )
    with context:
        _, rc = solara.render(app.Layout(children=[app.Page()]), handle_error=False)
        step = rc.find(v.Btn, children=["Step"]).widget
        step.click()  # warms caches (layout, fonts)
        durations = []
        for _ in range(steps):
            start = time.perf_counter()
            step.click()
            durations.append(time.perf_counter() - start)
        context.app_object = rc
    context.close()
    return durations


def draw_seconds(n_residents: int) -> float:
    """The quickest of three network draws after a first one (which builds the layout)."""
    from simulation.dashboard import views
    from simulation.model.community import CommunityModel

    model = CommunityModel(scenario="guardian", n_residents=n_residents, rng=1)
    views.draw_network(model)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        fig, _ = views.draw_network(model)
        fig.savefig(io.BytesIO(), format="png", dpi=views.DPI)
        times.append(time.perf_counter() - start)
    return min(times)


def sessions(n: int, chromium: str) -> dict[str, float]:
    """Open and close ``n`` tabs on a real server; its memory after the first and the last, and sessions held."""
    import psutil
    from playwright.sync_api import expect, sync_playwright

    from simulation.dashboard import server as dashboard_server

    port = dashboard_server.free_port()
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen(dashboard_server.command(port), env=dashboard_server.server_env(), cwd=REPO_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _wait_http(url)
        memory = psutil.Process(server.pid)
        expect.set_options(timeout=180_000)
        results: dict[str, float] = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            start = time.perf_counter()
            for i in range(n):
                page = browser.new_page()
                page.goto(url)
                expect(page.locator(".stage-indicator")).to_contain_text("month 0 (")
                page.close(run_before_unload=True)
                if i == 0:
                    time.sleep(2)
                    results["rss_after_first_mb"] = memory.memory_info().rss / 2**20
            browser.close()
            results["seconds_per_session"] = (time.perf_counter() - start) / n
        time.sleep(5)  # closed sessions are freed, and the collector runs, right after a close
        with urllib.request.urlopen(url + "resourcez", timeout=30) as response:
            results["sessions_held"] = json.load(response)["kernels"]["total"]
        results["rss_after_last_mb"] = memory.memory_info().rss / 2**20
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_http(url: str, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the dashboard did not answer at {url}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, metavar="N", help="also open and close N tabs on a real server")
    parser.add_argument("--chromium", default=os.environ.get("BROWSER_EXECUTABLE", "/usr/bin/chromium"))
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    bench_common.ensure_importable()
    durations = step_seconds()
    small, large = draw_seconds(1000), draw_seconds(20_000)
    results: dict[str, object] = {"step_seconds": durations, "draw_1000": small, "draw_20000": large}
    median = statistics.median(durations)
    print(f"Step, every view redrawn, 1,000 residents: median {median * 1000:.0f} ms "
          f"(budget {STEP_BUDGET_S * 1000:.0f} ms) {'ok' if median < STEP_BUDGET_S else 'OVER'}")  # fmt: skip
    print(f"network view at 20,000 residents: {large / small:.1f} x the time at 1,000 "
          f"(budget {LARGE_DRAW_RATIO} x) {'ok' if large < LARGE_DRAW_RATIO * small else 'OVER'}")  # fmt: skip
    if args.sessions:
        found = sessions(args.sessions, args.chromium)
        results["sessions"] = found
        print(f"{args.sessions} tabs opened and closed on a real server: {found['rss_after_first_mb']:.0f} MB after "
              f"the first, {found['rss_after_last_mb']:.0f} MB after the last, {found['sessions_held']:.0f} sessions "
              f"still held, {found['seconds_per_session']:.1f} s a tab")  # fmt: skip
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
