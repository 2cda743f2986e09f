"""Start the dashboard (``simulation/dashboard/app.py``) as a local web server.

``python -m simulation dashboard [--port P]`` calls :func:`serve`. The server is Solara's own
(``solara run``) in production mode: no auto-reload watcher, no development tooling, and no
telemetry (the machines this runs on are often offline, and students' browsing is not ours to
report). Every browser tab that opens the address gets its own model.

The server runs in a child process that never outlives this one: it watches its parent and
exits when the parent is gone, even after ``kill -9`` (:func:`simulation.lifeline.watch_parent`),
and SIGTERM, SIGHUP or Ctrl-C here stop it cleanly. A port that is already in use is reported
before anything starts.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import warnings
from pathlib import Path
from typing import cast

from ..lifeline import STOP_SIGNALS, watch_parent

APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_MAX_SESSIONS = 60
DEFAULT_IDLE_MINUTES = 15.0
# A tab whose connection is gone (closed without the close message, a laptop asleep, a network drop) keeps
# its session this long so that a reconnect finds it; Solara's own default is 24 hours, which would keep
# every reload's model in memory for a day.
DISCONNECTED_GRACE = "60s"
STOP_SECONDS = 10  # how long the server may take to shut down before it is killed


class DashboardError(ValueError):
    """The dashboard cannot start (a busy port); the message is one line."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it), so two dashboards never collide."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, 0))
        except OSError as err:  # a host that does not resolve, or is not an address of this machine
            raise DashboardError(_cannot_listen(host, None, err)) from None
        return int(sock.getsockname()[1])


def _cannot_listen(host: str, port: int | None, err: OSError) -> str:
    where = f"{host}:{port}" if port is not None else host
    return (f"cannot listen on {where}: {err.strerror or err}; --host takes an address of this machine "
            "(127.0.0.1 for this machine only, 0.0.0.0 for every network it is on)")  # fmt: skip


def check_port(port: int, host: str = "127.0.0.1") -> None:
    """Refuse a port another program (or another dashboard) listens on, before the address is printed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is not "in use"
        try:
            sock.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise DashboardError(f"port {port} on {host} is in use (another dashboard?); choose another "
                                     "--port, or leave it out to get a free one") from None  # fmt: skip
            raise DashboardError(_cannot_listen(host, port, err)) from None


def server_env(max_sessions: int = DEFAULT_MAX_SESSIONS, idle_minutes: float = DEFAULT_IDLE_MINUTES) -> dict[str, str]:
    """The environment for the server: this one, with the session limits and without Solara's telemetry.

    ``MALLOC_ARENA_MAX=2``: Solara serves each tab from its own threads, and glibc gives busy threads arenas of
    their own, which keep freed memory; measured over 40 tabs opened and closed, the server grew 5 MB a tab with
    the default arenas and 1.6 MB with two.
    """
    return {
        **os.environ,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_KERNEL_CULL_TIMEOUT": os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT", DISCONNECTED_GRACE),
        "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
        "DASHBOARD_MAX_SESSIONS": str(max_sessions),
        "DASHBOARD_IDLE_MINUTES": str(idle_minutes),
    }


def command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The command line of the server process (tests start the server with it too).

    It is ``solara run`` behind a small entry point (this module's ``__main__``) that first makes the server
    watch this process, so that it ends when this process does, however this process ends.
    """
    return [
        sys.executable, "-m", "simulation.dashboard.server", str(os.getpid()), "run", str(APP),
        "--host", host, "--port", str(port), "--production", "--no-open",
    ]  # fmt: skip


def serve(
    port: int | None = None,
    host: str = "127.0.0.1",
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    idle_minutes: float = DEFAULT_IDLE_MINUTES,
) -> int:
    """Run the dashboard until interrupted; return the exit code: the server's own, or 128 + the signal that stopped
    it (130 after Ctrl+C, 143 after SIGTERM, 129 after SIGHUP), as a shell reports a command a signal ended.

    With no port, a free one is picked; a given port that is in use raises :class:`DashboardError`. The address
    is printed before the server starts, so a student sees where to point the browser even while the first page
    is still loading.
    """
    if port is None:
        port = free_port(host)
    else:
        check_port(port, host)
    print(f"Dashboard: http://{host}:{port}/   (Ctrl+C to stop)", flush=True)
    process = subprocess.Popen(command(port, host), env=server_env(max_sessions, idle_minutes))
    forwarder = _StopForwarder(process)
    try:
        code = process.wait()
    except KeyboardInterrupt:  # Ctrl+C from a terminal reached the server too (one process group)
        _stop_server(process, grace=2.0)
        return 128 + signal.SIGINT
    finally:
        forwarder.restore()
    return code if forwarder.stopped_by is None else 128 + forwarder.stopped_by


class _StopForwarder:
    """While installed, SIGTERM and SIGHUP here stop the server the way Ctrl+C does."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process, self.stopped_by = process, cast("int | None", None)
        self.previous = {signum: signal.signal(signum, self.handle) for signum in STOP_SIGNALS}

    def handle(self, signum: int, frame: object) -> None:
        self.stopped_by = signum
        if self.process.poll() is None:
            self.process.terminate()  # uvicorn shuts down on SIGTERM; serve() then returns

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


def _stop_server(process: subprocess.Popen, grace: float) -> None:
    """Let the server finish a shutdown it has begun, then ask it (SIGTERM), then make it (SIGKILL)."""
    for action, wait in ((None, grace), (process.terminate, STOP_SECONDS), (process.kill, None)):
        if action is not None:
            action()
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _server_main(argv: list[str]) -> None:
    """The server process: watch the parent (argv[0] is its PID), then run Solara's command line with the rest."""
    watch_parent(int(argv[0]))
    # Solara warns, in twelve lines on a student's first visit, that a page served over plain http to another
    # host than localhost gets a SameSite=Lax session cookie: what a classroom server on a LAN wants.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)
    from solara.__main__ import main

    sys.argv = ["solara", *argv[1:]]
    main()


if __name__ == "__main__":
    _server_main(sys.argv[1:])
