"""Result files are written whole or not at all: an interrupted write leaves the previous file as it was."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from simulation.experiments import atomic
from simulation.experiments.compare import write_comparison
from simulation.experiments.plots import plot_comparison

EXPERIMENTS = Path(__file__).resolve().parent.parent / "simulation" / "experiments"


def _interrupted_after_some_bytes(method_owner: type, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace ``method_owner.name`` by a writer that writes a few bytes to its target, then is interrupted, as
    Ctrl-C in the middle of a large write would."""

    def half_written(self, path, *args, **kwargs):
        Path(path).write_bytes(b"\x89PNG partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(method_owner, name, half_written)


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".tmp-" in p.name)


def test_an_interrupted_csv_leaves_the_previous_file_and_no_temporary_one(tmp_path, monkeypatch):
    target = tmp_path / "table.csv"
    atomic.write_csv(pd.DataFrame({"a": [1, 2]}), target, index=False)
    before = target.read_bytes()
    _interrupted_after_some_bytes(pd.DataFrame, "to_csv", monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_csv(pd.DataFrame({"a": [3, 4, 5]}), target, index=False)
    assert target.read_bytes() == before and _leftovers(tmp_path) == []


def test_an_interrupted_figure_leaves_no_partial_png(tmp_path, monkeypatch):
    """The reported fault: Ctrl-C while saving left a 124-byte comparison.png under the real name."""
    target = tmp_path / "figure.png"
    _interrupted_after_some_bytes(Figure, "savefig", monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        atomic.save_figure(Figure(), target)
    assert not target.exists() and _leftovers(tmp_path) == []


def test_a_figure_is_saved_in_the_format_of_its_name_and_replaces_the_old_one(tmp_path):
    target = tmp_path / "figure.svg"
    target.write_text("old")
    fig = Figure()
    fig.subplots().plot([0, 1], [1, 0])
    atomic.save_figure(fig, target)
    assert target.read_text().lstrip().startswith("<?xml") and _leftovers(tmp_path) == []
    atomic.save_figure(fig, tmp_path / "figure.png", dpi=50)
    assert (tmp_path / "figure.png").read_bytes()[:4] == b"\x89PNG"


def test_several_files_are_renamed_only_when_all_are_written(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("old a")

    def fails(path: Path) -> None:
        path.write_text("half of b")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.atomic_write_all({first: lambda path: path.write_text("new a"), second: fails})
    assert first.read_text() == "old a" and not second.exists() and _leftovers(tmp_path) == []


def _trajectories() -> pd.DataFrame:
    steps = np.arange(13)
    rows = [{"configuration": name, "replicate": k, "step": s, "stage": "dependence",
             "self_governance_index": 0.1 + 0.01 * s + 0.02 * k}
            for name in ("shanghai", "guardian") for k in range(2) for s in steps]  # fmt: skip
    return pd.DataFrame(rows)


def test_compare_writes_all_its_outputs_or_none(tmp_path, monkeypatch):
    """An interruption while the figure is saved leaves the table and summary of the previous run, not new ones
    beside an old figure (the command then says truthfully that nothing was saved)."""
    trajectories, summary = _trajectories(), pd.DataFrame({"configuration": ["shanghai", "guardian"], "runs": 2})
    written = write_comparison(trajectories, summary, tmp_path)
    assert [p.name for p in written] == ["trajectories.parquet", "summary.csv", "comparison.png"]
    before = {p.name: p.read_bytes() for p in written}
    _interrupted_after_some_bytes(Figure, "savefig", monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        write_comparison(trajectories.assign(self_governance_index=0.5), summary.assign(runs=3), tmp_path)
    assert {p.name: p.read_bytes() for p in written} == before and _leftovers(tmp_path) == []


def test_plot_comparison_keeps_the_previous_figure_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "comparison.png"
    plot_comparison(_trajectories(), target)
    before = target.read_bytes()
    _interrupted_after_some_bytes(Figure, "savefig", monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        plot_comparison(_trajectories(), target)
    assert target.read_bytes() == before


# The runner and workers write nothing a reader sees half-written (results.py writes through the atomic helper).
NOT_RESULT_WRITERS = {"atomic.py", "sweep.py", "executors.py", "sweep_spec.py"}
DIRECT_WRITE = re.compile(r"\.(to_csv|to_parquet|savefig|write_text|write_bytes)\(|open\([^)]*['\"][wa]b?['\"]")


def test_every_experiments_writer_goes_through_the_atomic_helper():
    """Any direct write of a result file in simulation/experiments is a place an interruption leaves half a file."""
    direct = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(EXPERIMENTS.glob("*.py"))
        if path.name not in NOT_RESULT_WRITERS
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if DIRECT_WRITE.search(line) and "lambda tmp" not in line
    ]
    assert not direct, "write these through simulation.experiments.atomic:\n" + "\n".join(direct)
