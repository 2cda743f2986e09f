"""Start the dashboard (``simulation/app.py``) as a local web server.

``python -m simulation dashboard [--port P]`` calls :func:`serve`. The server is Solara's own
(``solara run``) in production mode: no auto-reload watcher, no development tooling, and no
telemetry (the machines this runs on are often offline, and students' browsing is not ours to
report). Every browser tab that opens the address gets its own model.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it), so two dashboards never collide."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def server_env() -> dict[str, str]:
    """The environment for the server: this one, with Solara's telemetry switched off."""
    return {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}


def command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The ``solara run`` command line for the dashboard (tests start the server with it too)."""
    return [
        sys.executable, "-m", "solara", "run", str(APP),
        "--host", host, "--port", str(port), "--production", "--no-open",
    ]  # fmt: skip


def serve(port: int | None = None, host: str = "127.0.0.1") -> int:
    """Run the dashboard until interrupted; return the server's exit code (0 after Ctrl+C).

    With no port, a free one is picked. The address is printed before the server starts, so a
    student sees where to point the browser even while the first page is still loading.
    """
    port = free_port(host) if port is None else port
    print(f"Dashboard: http://{host}:{port}/   (Ctrl+C to stop)", flush=True)
    process = subprocess.Popen(command(port, host), env=server_env())
    try:
        return process.wait()
    except KeyboardInterrupt:
        # Ctrl+C reached the server too (same process group); let it shut down cleanly.
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return 0
