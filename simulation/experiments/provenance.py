"""What decided a run's numbers besides the sweep file: configuration files, model code, library versions.

A sweep resumed after ``scenarios/X.toml`` or the model code changed would put
runs of two different models into one dataset, with nothing to tell them apart.
So a results directory records, next to the sweep itself:

* every configuration's content, read through :func:`simulation.model.scenarios.load_scenario`
  (the resolved parameter values, so that an edit of a comment changes nothing
  and a new parameter with its default is picked up without listing names);
* the code: the package version and a digest of every ``*.py`` file of the
  package's source tree (uncommitted edits included, which a commit id alone
  would miss; the commit is kept for the message), plus, for a model or
  summary function from another package, that module's digest and its
  distribution's version;
* the versions of the libraries whose random streams or algorithms the runs
  use (Mesa, NumPy, NetworkX, SciPy).

:func:`record` makes such a record, and keeps what it read (the configurations as named, the modules), so
that :func:`today` can make it again from a results directory alone; :func:`differences` names, in words, what
differs between two records, and :func:`stale` why a directory's runs could not be resumed today.
:func:`environment` is the rest a results directory keeps for a reader: package, Python, platform, libraries.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib
import json
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the whole package, not only this subpackage
NUMERIC_LIBRARIES = ("mesa", "numpy", "networkx", "scipy")  # their streams and algorithms decide the numbers
LIBRARIES = (*NUMERIC_LIBRARIES, "pandas", "pyarrow", "SALib", "dask", "distributed", "tqdm", "threadpoolctl")


def digest(data: Any) -> str:
    """A short, stable hash of plain data (JSON with sorted keys)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


@functools.cache
def source_digest(directory: Path = PACKAGE_DIR) -> str:
    """Hash of every ``*.py`` file under ``directory`` (relative path and bytes), in path order.

    Generic on purpose: modules come and go as the model evolves, and each of them can change the numbers.
    Cached per process: the code a process runs does not change while it runs.
    """
    sha = hashlib.sha256()
    for path in sorted(directory.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        sha.update(path.relative_to(directory).as_posix().encode() + b"\0")
        sha.update(path.read_bytes() + b"\0")
    return sha.hexdigest()[:16]


@functools.cache
def git_state(root: Path = PACKAGE_DIR.parent) -> dict[str, Any]:
    """The commit of the source tree, and whether it has uncommitted changes (None when not a git checkout)."""
    if not (root / ".git").exists():
        return {"git_commit": None, "git_dirty": None}
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True,
            timeout=10, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": None, "git_dirty": None}
    return {"git_commit": commit or None, "git_dirty": bool(status.strip())}


def _module_identity(import_path: str) -> dict[str, Any] | None:
    """Version and source digest of the module holding ``package.module:Name``, if it is not this package."""
    module_name = import_path.partition(":")[0]
    if module_name == "simulation" or module_name.startswith("simulation."):
        return None
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    top = module_name.split(".")[0]
    version = None
    with contextlib.suppress(Exception):
        dists = metadata.packages_distributions().get(top) or [top]
        version = metadata.version(dists[0])
    source = getattr(module, "__file__", None)
    source_hash = hashlib.sha256(Path(source).read_bytes()).hexdigest()[:16] if source else None
    return {"version": version, "source": source_hash}


def versions(names: Iterable[str]) -> dict[str, str]:
    """The installed version of each library named (those not installed are left out)."""
    found = {}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def code_identity(*import_paths: str) -> dict[str, Any]:
    """The code behind the runs: this package (version, source digest, commit) and any outside model module."""
    from .. import __version__

    modules = {path.partition(":")[0]: ident for path in import_paths if (ident := _module_identity(path))}
    return {
        "package_version": __version__,
        "source": source_digest(),
        **git_state(),
        "modules": modules,
        "libraries": versions(NUMERIC_LIBRARIES),
    }


def configuration_content(scenario: Any) -> dict[str, Any]:
    """One configuration as it resolves today: its file, and every parameter value it gives the model."""
    from ..model.scenarios import load_scenario

    loaded = load_scenario(scenario)
    values = {k: v for k, v in dataclasses.asdict(loaded.params).items()}
    return {"file": str(loaded.path) if loaded.path else None, "digest": digest(values), "params": values}


def record(configurations: Mapping[str, Any], *import_paths: str) -> dict[str, Any]:
    """What decides runs' numbers besides their own settings: each configuration's content (``configurations``
    maps a name to the scenario as given: a name or a file) and the code, with what was read to make it."""
    return {
        "configurations": {name: configuration_content(scenario) for name, scenario in configurations.items()},
        "code": code_identity(*import_paths),
        "inputs": {"configurations": dict(configurations), "modules": list(import_paths)},
    }


def today(recorded: Mapping[str, Any]) -> dict[str, Any]:
    """``recorded`` made again from the same inputs as they are today (KeyError when it does not say them)."""
    inputs = recorded["inputs"]
    return record(inputs["configurations"], *inputs["modules"])


def stale(recorded: Mapping[str, Any] | None) -> str | None:
    """Why runs made with ``recorded`` could not be resumed today (configurations or code changed), else None."""
    if recorded is None or "inputs" not in recorded:
        return "written by an earlier version (no record of configurations and code)"
    try:
        now = today(recorded)
    except Exception as err:  # a configuration or module that no longer exists
        return f"its inputs cannot be read today ({type(err).__name__}: {err})"
    changes = differences(recorded, now)
    return "changed " + "; ".join(changes) if changes else None


def environment() -> dict[str, Any]:
    """Package version, git commit, Python, platform and library versions: enough to reproduce the numbers."""
    from .. import __version__

    return {
        "package": {"name": "community-self-governance", "version": __version__, **git_state()},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": versions(LIBRARIES),
    }


def now() -> str:
    """The current time in UTC, to the second, as a results directory records it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- comparing two records -------------------------------------------------------------------------------


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What differs between two provenance records, each as a short phrase ("numpy 2.1.0 -> 2.2.0")."""
    found = _configuration_changes(old.get("configurations", {}), new.get("configurations", {}))
    old_code, new_code = old.get("code", {}), new.get("code", {})
    if old_code.get("source") != new_code.get("source"):
        commits = [_short(old_code.get("git_commit")), _short(new_code.get("git_commit"))]
        where = f"; commit {commits[0]} -> {commits[1]}" if commits[0] != commits[1] else ""
        dirty = ", with uncommitted changes" if new_code.get("git_dirty") else ""
        found.append(f"the model code (simulation/**/*.py{where}{dirty})")
    if old_code.get("package_version") != new_code.get("package_version"):
        found.append(f"package version {old_code.get('package_version')} -> {new_code.get('package_version')}")
    for kind in ("modules", "libraries"):
        before, after = old_code.get(kind, {}), new_code.get(kind, {})
        for name in sorted(set(before) | set(after)):
            if before.get(name) != after.get(name):
                found.append(f"{name} {_version(before.get(name))} -> {_version(after.get(name))}")
    return found


def _configuration_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    found = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before is None or after is None or before.get("digest") == after.get("digest"):
            continue  # configurations added or removed change the sweep itself, reported with it
        changed = [
            f"{key} {before['params'].get(key)!r} -> {after['params'].get(key)!r}"
            for key in sorted(set(before.get("params", {})) | set(after.get("params", {})))
            if before["params"].get(key) != after["params"].get(key)
        ]
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        where = f" ({after['file']})" if after.get("file") else ""
        found.append(f"configuration {name!r}{where}: {shown}")
    return found


def _short(commit: str | None) -> str:
    return commit[:10] if commit else "none"


def _version(value: Any) -> str:
    if isinstance(value, dict):
        return f"{value.get('version') or ''} {value.get('source') or ''}".strip() or "none"
    return str(value) if value is not None else "none"
