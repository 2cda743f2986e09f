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

:func:`differences` names, in words, what differs between two such records.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the whole package, not only this subpackage
NUMERIC_LIBRARIES = ("mesa", "numpy", "networkx", "scipy")


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


def code_identity(*import_paths: str) -> dict[str, Any]:
    """The code behind the runs: this package (version, source digest, commit) and any outside model module."""
    from .. import __version__

    libraries = {}
    for name in NUMERIC_LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            libraries[name] = metadata.version(name)
    modules = {path.partition(":")[0]: ident for path in import_paths if (ident := _module_identity(path))}
    return {
        "package_version": __version__,
        "source": source_digest(),
        **git_state(),
        "modules": modules,
        "libraries": libraries,
    }


def configuration_content(scenario: Any) -> dict[str, Any]:
    """One configuration as it resolves today: its file, and every parameter value it gives the model."""
    from ..model.scenarios import load_scenario

    loaded = load_scenario(scenario)
    values = {k: v for k, v in dataclasses.asdict(loaded.params).items()}
    return {"file": str(loaded.path) if loaded.path else None, "digest": digest(values), "params": values}


# --- comparing two records -------------------------------------------------------------------------------


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
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


__all__ = ["code_identity", "configuration_content", "differences", "digest", "git_state", "source_digest"]
