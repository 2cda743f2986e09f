"""Execute the notebooks and save them with their outputs, figures included, so they can be read without running.

Usage (from the repository root; ``make notebooks`` runs the first)::

    .venv/bin/python notebooks/publish.py                          # every notebook, full setting
    .venv/bin/python notebooks/publish.py 03_withdrawal_timing     # some notebooks
    .venv/bin/python notebooks/publish.py --setting quick          # the test suite's small setting

Each notebook runs top to bottom in a fresh kernel (nbclient, as nbmake does in the test suite) with
``NOTEBOOK_QUICK`` set for the chosen setting, and is written back in place as soon as it has run, so a
failure in one notebook keeps the ones before it. Its sweeps and calibration stay in
``notebooks/figures/<setting>/`` and are resumed by the next run; results made with other code or
configurations are first set aside in ``notebooks/figures/.stale/`` (as the test suite does).

What is saved is deterministic, so republishing unchanged code gives byte-identical files and a diff shows
only what changed: execution timestamps, widget state and memory addresses are removed, and the
repository's absolute path is cut from the outputs.

Each notebook also records, in its metadata (``published``), the setting of its saved outputs, a digest of
its code cells, and the text of its outputs at the quick setting (printed tables and numbers; no images).
``tests/test_notebooks.py`` executes the notebooks afresh at the quick setting and compares: a change of the
model or of a notebook's code that alters any number fails the test until the notebooks are republished.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import shutil
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from simulation.experiments.atomic import write_text

NOTEBOOKS = Path(__file__).resolve().parent
ROOT = NOTEBOOKS.parent
RESULTS = NOTEBOOKS / "figures"  # the notebooks' own sweeps and calibration, one folder per setting
SETTINGS = {"full": "0", "quick": "1"}  # setting -> NOTEBOOK_QUICK
SETTING_TEXT = {
    "full": "the full setting (`NOTEBOOK_QUICK=0`): the numbers and figures the text discusses",
    "quick": (
        "the quick setting (`NOTEBOOK_QUICK=1`, the test suite's small runs): the numbers are a smoke "
        "version and differ from those the text discusses; run with `NOTEBOOK_QUICK=0` for the full results"
    ),
}
NOTE_MARK = "**Saved outputs.**"  # the paragraph of the first cell that the publisher writes
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")  # object reprs: "<... at 0x7f3a...>" differs on every run


class PublishError(Exception):
    """A notebook could not be published (one line: which notebook, which cell, what failed)."""


def notebook_paths(names: Sequence[str] = ()) -> list[Path]:
    """The notebooks to publish: all ``NN_name.ipynb`` of this folder, or those named (with or without .ipynb).

    Raises ``PublishError`` naming the valid choices for an unknown name.
    """
    every = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return every
    by_name = {path.stem: path for path in every}
    unknown = [name for name in names if name.removesuffix(".ipynb") not in by_name]
    if unknown:
        raise PublishError(f"no notebook {', '.join(unknown)}; choose from {', '.join(by_name)}")
    return [by_name[name.removesuffix(".ipynb")] for name in names]


def set_aside_stale(setting: str, results: Path = RESULTS) -> list[str]:
    """Move the ``setting``'s results made with other code or configurations to ``results/.stale/``.

    The notebooks resume their sweeps and calibration from ``results/<setting>/``, and the library refuses to
    resume results made with other inputs (it would mix two models in one dataset), so after an edit of the
    model those caches would stop the notebooks. They are set aside (the latest stale copy of each is kept),
    never mixed and never silently reused. Used by the publisher and by the test session (conftest.py), each
    for the settings it runs only: a test session at the quick setting must not move the full setting's
    sweeps from under a publication that is writing them. Returns one line per directory moved.
    """
    own = results / setting
    if not own.is_dir():
        return []
    from simulation.experiments.calibration import stale_calibration
    from simulation.experiments.sweep_store import stale_reason

    found = [(m.parent, stale_reason(m.parent)) for m in own.rglob("manifest.json")]
    calibrations = {p.parent for name in ("calibration.json", "history.db") for p in own.rglob(name)}
    found += [(directory, stale_calibration(directory)) for directory in sorted(calibrations)]
    moved = []
    for directory, reason in found:
        if reason is None or not directory.exists():  # gone: inside a directory moved just before
            continue
        target = results / ".stale" / directory.relative_to(results)
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(directory, target)
        moved.append(f"set aside {directory.relative_to(results.parent)} (notebook results: {reason})")
    return moved


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the kernels started inside the block (they inherit this process's)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute(path: Path, setting: str) -> NotebookNode:
    """Run the notebook at ``path`` top to bottom in a fresh kernel at ``setting``; the executed notebook.

    The kernel works in the notebooks' folder, as under nbmake and Jupyter, so the notebooks' relative paths
    (``figures/``, ``../sweeps/``) hold. Raises ``PublishError`` naming the cell that failed.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(nb, timeout=None, kernel_name="python3", record_timing=False)
    try:
        with _environment(NOTEBOOK_QUICK=SETTINGS[setting]):
            client.execute(cwd=str(path.parent))
    except CellExecutionError as err:
        failed = [
            i for i, cell in enumerate(nb.cells) if any(o.output_type == "error" for o in cell.get("outputs", []))
        ]
        where = f"cell {failed[-1]}" if failed else "a cell"
        raise PublishError(
            f"{path.name} failed in {where} at the {setting} setting: {err.ename}: {err.evalue}"
        ) from err
    return nb


def _clean_text(text: str) -> str:
    """Text of an output without what differs between two runs of the same code or two checkouts."""
    return ADDRESS.sub("0x0", text.replace(f"{ROOT}{os.sep}", ""))


def normalise(nb: NotebookNode) -> NotebookNode:
    """Strip what would differ between two executions of unchanged code; returns ``nb``, changed in place.

    Kept: the outputs themselves (text, tables, PNG images) and the execution counts (1, 2, ... in order).
    Removed: timing metadata, widget state and widget outputs (progress bars), memory addresses and the
    repository's absolute path in text outputs.
    """
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.outputs:
            if WIDGET_MIME in output.get("data", {}):
                continue
            if "text" in output:
                output.text = _clean_text(output.text)
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    output.data[mime] = _clean_text(value)
            outputs.append(output)
        cell.outputs = outputs
    return nb


def code_digest(nb: NotebookNode) -> str:
    """Digest of the notebook's code cells, in order: saved outputs belong to exactly this code."""
    sha = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            sha.update(cell.source.encode() + b"\0")
    return sha.hexdigest()[:16]


def numbers(nb: NotebookNode) -> dict[str, list[str]]:
    """The printed text of each code cell (stdout and plain-text results), by cell id: what a rerun must repeat.

    Images, HTML copies of tables and stderr (warnings name files and lines of the library) are left out:
    the numbers are in the plain text, and a figure's repr says that a figure of that size was drawn.
    """
    texts = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parts = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stdout":
                parts.append(output.text)
            elif "text/plain" in output.get("data", {}):
                parts.append(output.data["text/plain"] + "\n")
        if parts:
            texts[cell.id] = "".join(parts).splitlines()
    return texts


def state_setting(nb: NotebookNode, setting: str) -> None:
    """Write, as the last paragraph of the first cell, which setting the saved outputs come from."""
    first = nb.cells[0]
    if first.cell_type != "markdown":
        raise PublishError("the first cell of a notebook must be its Markdown title and question")
    kept = first.source.split(f"\n\n{NOTE_MARK}")[0].rstrip()
    note = (
        f"{NOTE_MARK} The outputs saved in this file come from {SETTING_TEXT[setting]}. "
        "They are written by `make notebooks` (`notebooks/publish.py`); the test suite reruns the notebook on "
        "the quick setting and checks its numbers against those recorded at publication."
    )
    note = textwrap.fill(note, width=105, break_long_words=False, break_on_hyphens=False)
    first.source = f"{kept}\n\n{note}"


@dataclass
class Published:
    """What one notebook's publication did."""

    name: str
    seconds: float
    size: int
    changed: bool


def publish(path: Path, setting: str, out: Path | None = None) -> Published:
    """Execute ``path`` at ``setting`` and write it with its outputs to ``out`` (default: in place).

    At the full setting the notebook also runs at the quick one first, so that the numbers the test suite
    checks are recorded beside the full outputs.
    """
    out = out or path
    start = time.monotonic()
    quick = normalise(execute(path, "quick"))
    nb = quick if setting == "quick" else normalise(execute(path, setting))
    nb.metadata["published"] = {
        "setting": setting,
        "NOTEBOOK_QUICK": SETTINGS[setting],
        "code": code_digest(nb),
        "quick_numbers": numbers(quick),
    }
    state_setting(nb, setting)
    text = nbformat.writes(nb) + "\n"
    before = out.read_text(encoding="utf-8") if out.exists() else None
    write_text(out, text)  # atomically: an interrupted publication leaves the previous file whole
    return Published(path.stem, time.monotonic() - start, len(text.encode()), text != before)


def main(argv: Sequence[str] | None = None) -> int:
    """Publish the notebooks named on the command line (all by default); 0 when all were published."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks to publish (default: all), e.g. 01_quickstart")
    parser.add_argument("--setting", choices=list(SETTINGS), default="full", help="size of the runs (default: full)")
    args = parser.parse_args(argv)
    try:
        paths = notebook_paths(args.names)
    except PublishError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    # Publishing runs the quick setting too (its numbers are recorded for the test).
    for setting in dict.fromkeys(("quick", args.setting)):
        for line in set_aside_stale(setting):
            print(line)
    total = time.monotonic()
    for path in paths:
        print(f"{path.stem}: running at the {args.setting} setting ...", flush=True)
        try:
            done = publish(path, args.setting)
        except PublishError as err:
            print(f"error: {err}; the notebooks before it are published", file=sys.stderr)
            return 1
        status = "updated" if done.changed else "unchanged"
        print(f"{done.name}: {status}, {done.seconds:.0f} s, {done.size / 1e6:.2f} MB", flush=True)
    print(f"published {len(paths)} notebook(s) at the {args.setting} setting in {time.monotonic() - total:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
