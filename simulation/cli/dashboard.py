"""The `dashboard` command: start the Solara dashboard as a local web server and print its address."""

from __future__ import annotations

import argparse
import math
import os
from typing import Any

from ..dashboard.server import DEFAULT_IDLE_MINUTES, DEFAULT_MAX_SESSIONS, DashboardError, serve
from ..validation import Rule, check
from .options import COUNT, InputError, lang_option

PORT = Rule("int", low=1, high=65535)


def add_parser(sub: Any) -> None:
    """The parser of `dashboard`."""
    p = sub.add_parser("dashboard", help="start the Solara dashboard")
    p.add_argument("--port", type=int, metavar="P", help="port (default: a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--max-sessions", type=int, default=DEFAULT_MAX_SESSIONS, metavar="N",
                   help=f"browser tabs served at once; more get a 'dashboard is full' message "
                   f"(default {DEFAULT_MAX_SESSIONS})")  # fmt: skip
    p.add_argument("--idle-minutes", type=float, default=DEFAULT_IDLE_MINUTES, metavar="M",
                   help="free a tab's model after this long without use; the tab then offers a restart "
                   f"(default {DEFAULT_IDLE_MINUTES:g})")  # fmt: skip
    lang_option(p)
    p.set_defaults(handler=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Start the Solara dashboard and print its address; a busy port is bad input, found before starting."""
    if args.port is not None:
        check(args.port, PORT, "--port")
    check(args.max_sessions, COUNT, "--max-sessions")
    if not math.isfinite(args.idle_minutes) or args.idle_minutes <= 0:
        raise InputError(f"--idle-minutes must be a number above 0, got {args.idle_minutes}")
    # the language of a tab whose address has no ?lang= (simulation.dashboard.app)
    os.environ["DASHBOARD_LANG"] = args.lang
    try:
        return serve(args.port, args.host, max_sessions=args.max_sessions, idle_minutes=args.idle_minutes)
    except DashboardError as err:
        raise InputError(str(err)) from None
