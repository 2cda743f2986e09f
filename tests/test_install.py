"""A built wheel carries the configurations: installed into a fresh environment, it lists and runs them anywhere.

The configurations live in the top-level ``scenarios/`` folder; pyproject.toml maps that folder into the package
(``simulation.configurations``). Before, only an editable install from a checkout could find them, and a wheel
listed nothing and exited 0.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pandas as pd
import pytest

import simulation.cli
import simulation.model.scenarios
from simulation.cli import main

REPO = Path(__file__).resolve().parent.parent
SHIPPED = sorted(path.stem for path in (REPO / "scenarios").glob("*.toml"))
# What a wheel is not built from (and what is slow to copy): environments, results, caches, earlier builds.
SKIPPED = (".git", ".venv", "results", "test-artifacts", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
           "figures", "mutants")  # fmt: skip


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory) -> Path:
    """A fresh virtual environment with the project's wheel installed (not editable); returns its python.

    The dependencies come from the test environment through a plain path in a .pth file: a plain path is
    not a site directory, so that environment's editable install of this checkout is not loaded with it.
    """
    root = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools builds in the source folder and reuses a build/ left there by an earlier
    # build, which could carry files the current configuration no longer packages.
    source = root / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*SKIPPED))
    build = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(root / "dist")]
    subprocess.run(build, check=True, timeout=600)
    wheel = next((root / "dist").glob("community_self_governance-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "env")], check=True, timeout=120)
    python = root / "env" / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    (Path(site) / "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True, timeout=300)
    return python


def _run(python: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-m", "simulation", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_wheel_lists_and_runs_every_configuration_from_any_folder(wheel_env, tmp_path):
    located = subprocess.run([wheel_env, "-c", "import simulation.model.scenarios as s; print(s.SCENARIO_DIR)"],
                             cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert "site-packages" in located and str(REPO) not in located  # the wheel's copy, not the checkout

    listed = _run(wheel_env, tmp_path, "scenarios", "--lang", "en")
    assert listed.returncode == 0, listed.stderr
    assert sorted(line.split()[0] for line in listed.stdout.splitlines() if line.strip()) == SHIPPED

    ran = _run(wheel_env, tmp_path, "run", "--scenario", "hangzhou", "--residents", "200", "--steps", "12",
               "--seed", "1", "--out", "hangzhou.parquet", "--lang", "en")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    table = pd.read_parquet(tmp_path / "hangzhou.parquet")
    assert len(table) == 13 and table["self_governance_index"].between(0, 1).all()

    unknown = _run(wheel_env, tmp_path, "run", "--scenario", "atlantis", "--lang", "en")
    assert unknown.returncode == 2
    assert "valid: " + ", ".join(SHIPPED) in unknown.stderr


def test_no_configurations_found_is_an_error_not_an_empty_list(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(simulation.model.scenarios, "SCENARIO_DIR", tmp_path)
    monkeypatch.setattr(simulation.cli, "SCENARIO_DIR", tmp_path)
    assert main(["scenarios", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "no configurations found in" in err and len(err.strip().splitlines()) == 1


def test_the_wheel_carries_every_file_the_package_reads(wheel_env, tmp_path):
    """The catalogues, the Chinese font and the dashboard's long texts are read at run time: a wheel that lacked one
    would install, then fail (or fall back to English) only when a page or a Chinese figure needed it."""
    data = {".po", ".pot", ".ttf", ".woff2", ".md", ".txt"}
    source = REPO / "simulation"
    expected = sorted(str(p.relative_to(source)) for p in source.rglob("*") if p.suffix in data and p.is_file())
    listing = (
        "import pathlib, simulation; root = pathlib.Path(simulation.__file__).parent; print('\\n'.join(sorted("
        f"str(p.relative_to(root)) for p in root.rglob('*') if p.suffix in {sorted(data)!r} and p.is_file())))"
    )
    installed = subprocess.run([wheel_env, "-c", listing], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert installed.stdout.split() == expected
    read = "from simulation.dashboard.prose import passage; print(passage('theory', 'zh').splitlines()[0])"
    shown = subprocess.run([wheel_env, "-c", read], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() and shown.stdout.strip() == passage_first_line("theory", "zh")


def passage_first_line(name: str, lang: str) -> str:
    return (
        (REPO / "simulation" / "dashboard" / "prose" / lang / f"{name}.md").read_text(encoding="utf-8").splitlines()[0]
    )


def test_every_package_of_the_source_is_listed_for_the_wheel():
    """pyproject.toml lists the packages by hand (no automatic discovery): a new one left out installs without it."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "simulation").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
