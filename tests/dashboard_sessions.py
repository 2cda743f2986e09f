"""Open and close dashboard sessions the way Solara's server does, and report the process's memory.

Run as a script in a fresh process with the dashboard server's environment
(``simulation.dashboard.server.server_env()``: its allocator setting, its session limits):
each session is a Solara virtual kernel, rendered in one of a few long-lived
threads in turn (the server serves tabs from a pool of threads) and closed
through Solara's own close path (``VirtualKernelContext.close``, which closes the
rendered app). Prints one JSON line: resident memory after the first session and
after the last.

    python tests/dashboard_sessions.py 100 [--residents 200]
"""

from __future__ import annotations

import argparse
import json
import uuid
from concurrent.futures import ThreadPoolExecutor


def one_session(residents: int) -> None:
    """Render the dashboard in a fresh virtual kernel, then close it as the server does when a tab closes."""
    import solara
    from solara.server import kernel, kernel_context

    from simulation.dashboard import app

    context = kernel_context.VirtualKernelContext(
        id=f"kernel-{uuid.uuid4()}", kernel=kernel.Kernel(), session_id=f"session-{uuid.uuid4()}"
    )
    with context:
        _, rc = solara.render(app.Layout(children=[app.Page()]), handle_error=False)
        context.app_object = rc  # where the server keeps a tab's rendered app; close() closes it
    context.close(reason="page-close")


THREADS = 4


def rss() -> int:
    """Resident memory once the server's own clean-up after a closed session has run (sessions.memory)."""
    import psutil

    from simulation.dashboard import sessions

    sessions.memory.wait()
    return psutil.Process().memory_info().rss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sessions", type=int)
    parser.add_argument("--residents", type=int, default=200)
    args = parser.parse_args()
    import solara.server.app  # noqa: F401 - Solara's server patches (per-kernel widgets and comms)

    from simulation.dashboard import app, sessions

    app.DashboardModel.__init__.__kwdefaults__["n_residents"] = args.residents  # a small community: a fast test
    pools = [ThreadPoolExecutor(1) for _ in range(THREADS)]  # sessions take turns among a few threads
    pools[0].submit(one_session, args.residents).result()
    first = rss()
    for i in range(1, args.sessions):
        pools[i % THREADS].submit(one_session, args.residents).result()
    print(json.dumps({"sessions": args.sessions, "rss_after_first": first, "rss_after_last": rss(),
                      "slots_held": len(sessions.slots)}))  # fmt: skip
    for pool in pools:
        pool.shutdown()


if __name__ == "__main__":
    main()
