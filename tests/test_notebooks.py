"""The published notebooks (saved with their outputs by notebooks/publish.py) say what the code gives today.

The notebooks are saved with outputs so that they can be read without running them; these tests keep those
outputs honest. A published notebook records the setting of its outputs, a digest of its code and the printed
numbers of a run at the quick setting. Its code must be the code that made the outputs, and a fresh run at the
quick setting must print the same numbers: a change of the model (or of a configuration, a sweep file, a
library's numbers) that alters them fails here until the notebooks are republished with ``make notebooks``.

The fresh runs share the notebooks' caches (notebooks/figures/quick/) with nbmake's runs of the same
notebooks later in the session, so a sweep is computed once for both; a cache made with other code is set
aside first (conftest.py), so no number here comes from a stale cache.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import nbformat
import pytest

from notebooks.publish import (
    NOTE_MARK,
    SETTINGS,
    WIDGET_MIME,
    code_digest,
    execute,
    main,
    normalise,
    notebook_paths,
    numbers,
    publish,
    set_aside_stale,
)

NOTEBOOKS = notebook_paths()
NAMES = [path.stem for path in NOTEBOOKS]
MAX_BYTES = 2_000_000  # a published notebook stays readable on GitHub and in a diff
REPUBLISH = "republish the notebooks: make notebooks (or .venv/bin/python notebooks/publish.py NAME)"


def _published(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    record = nb.metadata.get("published")
    assert record, f"{path.name} was saved without publishing (no outputs to read): {REPUBLISH}"
    return record


def _figure_outputs(nb: nbformat.NotebookNode) -> list[dict]:
    """Outputs that are a matplotlib Figure (their plain text is its repr)."""
    return [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("data", {}).get("text/plain", "").startswith("<Figure size")
    ]


def test_every_notebook_is_published() -> None:
    assert NAMES == ["01_quickstart", "02_configurations", "03_withdrawal_timing", "04_sensitivity", "05_calibration"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_published_outputs_belong_to_the_code_and_show_their_figures(path: Path) -> None:
    """The saved outputs were made by the cells as they are, say their setting, and show figures as images."""
    nb = nbformat.read(path, as_version=4)
    record = _published(path)
    assert record["code"] == code_digest(nb), f"{path.name}: its code changed since it was published; {REPUBLISH}"
    assert record["NOTEBOOK_QUICK"] == SETTINGS[record["setting"]]
    assert f"{NOTE_MARK} The outputs saved in this file come from the {record['setting']} setting" in nb.cells[0].source
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count == n for n, cell in enumerate(code, start=1)), "cells not run top to bottom"
    images = [output for cell in code for output in cell.outputs if "image/png" in output.get("data", {})]
    assert images, f"{path.name} has no figure saved"
    assert all("image/png" in output.data for output in _figure_outputs(nb)), "a figure saved as text only"
    assert not any(output.output_type == "error" for cell in code for output in cell.outputs)
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_published_numbers_match_a_fresh_run(path: Path) -> None:
    """A fresh run at the quick setting prints, cell by cell, the numbers recorded when the notebook was published.

    It also checks the fix of figures shown as text ("<Figure size ...>"): under a kernel, every figure a cell
    shows is an image.
    """
    record = _published(path)
    fresh = normalise(execute(path, "quick"))
    assert all("image/png" in output.data for output in _figure_outputs(fresh)), "a figure shown as text only"
    now, then = numbers(fresh), record["quick_numbers"]
    for cell_id in sorted(set(now) | set(then)):
        if now.get(cell_id) != then.get(cell_id):
            diff = "\n".join(difflib.unified_diff(then.get(cell_id, []), now.get(cell_id, []), "published", "now"))
            pytest.fail(f"{path.name}, cell {cell_id}: the numbers differ from a fresh run; {REPUBLISH}\n{diff}")


def test_normalise_removes_what_differs_between_two_runs() -> None:
    """Timestamps, progress widgets, memory addresses and the checkout's path never reach a published file."""
    root = Path(__file__).resolve().parent.parent
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    cell = nbformat.v4.new_code_cell("x", execution_count=1)
    cell.metadata["execution"] = {"iopub.status.busy": "2026-12-06T00:02:52.181274Z"}
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={WIDGET_MIME: {"model_id": "ab12"}, "text/plain": "0%|"}),
        nbformat.v4.new_output("stream", name="stderr", text=f"{root}/simulation/x.py:3: UserWarning: w\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "<Thing at 0x7f3a2b1c9d80>"}, execution_count=1),
    ]
    nb.cells = [cell]
    normalise(nb)
    text = json.dumps(nb)
    assert "widgets" not in nb.metadata and "execution" not in cell.metadata and WIDGET_MIME not in text
    assert cell.outputs[0].text == "simulation/x.py:3: UserWarning: w\n"
    assert cell.outputs[1].data["text/plain"] == "<Thing at 0x0>"
    assert cell.execution_count == 1


def test_a_session_sets_aside_only_its_own_settings_stale_results(tmp_path: Path) -> None:
    """A test session (quick) leaves the full setting's sweeps alone: a publication may be writing them.

    Both settings here hold a sweep written by an earlier version (a manifest without provenance), which the
    library would refuse to resume; only the quick one is moved, to .stale/ under the same relative path.
    """
    for setting in ("quick", "full"):
        sweep = tmp_path / setting / "withdrawal_timing" / "sweep"
        sweep.mkdir(parents=True)
        (sweep / "manifest.json").write_text(json.dumps({"sweep": {}}), encoding="utf-8")
    moved = set_aside_stale("quick", tmp_path)
    assert len(moved) == 1 and "quick/withdrawal_timing/sweep" in moved[0] and "earlier version" in moved[0]
    assert (tmp_path / ".stale" / "quick" / "withdrawal_timing" / "sweep" / "manifest.json").exists()
    assert not (tmp_path / "quick" / "withdrawal_timing" / "sweep").exists()
    assert (tmp_path / "full" / "withdrawal_timing" / "sweep" / "manifest.json").exists()
    assert set_aside_stale("quick", tmp_path) == []  # nothing left to move; the stale copy is not looked at


def test_publishing_twice_gives_identical_files(tmp_path: Path) -> None:
    """Republishing unchanged code changes no byte, so a diff of the notebooks shows only what changed."""
    first, second = tmp_path / "first.ipynb", tmp_path / "second.ipynb"
    source = NOTEBOOKS[0]
    publish(source, "quick", first)
    done = publish(source, "quick", second)
    assert first.read_bytes() == second.read_bytes()
    assert done.size == second.stat().st_size and done.changed
    assert nbformat.read(second, as_version=4).metadata["published"]["setting"] == "quick"


def test_publish_refuses_an_unknown_notebook_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt name is one line naming the valid choices, exit 2, before anything runs."""
    assert main(["01_quickstrat"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "01_quickstrat" in err and "01_quickstart, 02_configurations" in err
