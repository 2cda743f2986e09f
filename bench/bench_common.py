"""What every benchmark script shares: the package from a checkout, the machine it ran on, the common options."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def ensure_importable(workers_too: bool = False) -> None:
    """Let ``import simulation`` work from a source checkout that is not installed.

    ``find_spec`` finds without importing, so a script that times the import still measures it.
    ``workers_too`` also puts the checkout on ``PYTHONPATH``, for worker processes started by spawn.
    """
    if importlib.util.find_spec("simulation") is None:
        sys.path.insert(0, str(REPO_ROOT))
        if workers_too:
            os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))


def version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def environment(*dists: str) -> dict[str, Any]:
    """Python, the machine, its load and the versions of ``dists``: what a figure in bench/README.md depends on."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        **{dist: version(dist) for dist in dists},
    }


def make_parser(doc: str, quick: str, strict: bool = True) -> argparse.ArgumentParser:
    """A script's parser (described by its docstring's first paragraph) with the options every benchmark has.

    ``--quick`` (described by ``quick``), ``--json FILE`` and, for scripts with targets, ``--strict``.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the results as JSON")
    if strict:
        parser.add_argument("--strict", action="store_true", help="exit 1 if a full-size target is missed")
    return parser


def note_if_not_full_size(full_size: bool) -> None:
    """After a report: its targets are defined for the full-size run, so a smaller run only indicates them."""
    if not full_size:
        print("\n(not full size: the targets are defined for the full-size run; met/missed above is indicative only)")


def finish(results: dict[str, Any], checks: list[bool], args: argparse.Namespace, full_size: bool) -> int:
    """Write the results as JSON if asked; the exit code: 1 under ``--strict`` when a full-size target is missed."""
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nresults written to {args.json}")
    return 1 if args.strict and full_size and not all(checks) else 0
