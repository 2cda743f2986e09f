"""A sweep's results directory: manifest, design, and Parquet datasets written part by part.

Only the process driving the sweep writes here (workers return their results to
it), so workers on other machines need no shared file system::

    DIR/manifest.json   the sweep, package version, git commit, library versions, one entry per session
    DIR/design.parquet  the design points (and SALib's raw sample for sampled designs)
    DIR/summary/        Parquet dataset, one row per run (run_id, configuration, point, replicate, seed, ...)
    DIR/series/         Parquet dataset, per-step rows (only when [output] series = true)

Each part is written under a temporary name, flushed and renamed, so a crash
never leaves half a file, and all parts of a dataset share one schema, so
``pandas.read_parquet(DIR/summary)`` never silently drops a column.

What it finds is checked before it is trusted:

* the manifest records the sweep, the content of every configuration and the
  code (:mod:`simulation.experiments.provenance`); a directory made with anything else is
  not resumed, and the refusal names what changed;
* every part is read when a sweep opens the directory; one that cannot be read
  (truncated, empty, not Parquet, missing its key columns) is moved to
  ``DIR/quarantine/`` with its partner part of the other dataset, named in a
  one-line warning, and its runs are simply run again;
* files the store did not write are never deleted or moved: a directory with
  foreign content and no manifest is refused, and a stray file among the parts
  is reported and left where it is (the readers only read parts).

A write that fails (a full disk, lost permission, a file system remounted
read-only) raises :class:`SaveError` naming the file it was writing, never the
hidden temporary; the parts written before stay whole (each was renamed into
place only once complete), and :func:`simulation.experiments.sweep.run_sweep`
says how many runs they hold and that the same command resumes.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..inputs import WriteError, os_error_reason
from .designs import Design
from .provenance import differences
from .provenance import git_state as _git_state
from .sweep_spec import SweepError, SweepSpec, import_object

try:  # advisory lock against two sweeps writing to one directory (POSIX only)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

FORMAT_VERSION = 2  # 2: the manifest records the configurations' content and the code ("provenance")
PART_NAME = re.compile(r"part-(\d{6,})\.parquet")
QUARANTINE = "quarantine"
KEY_COLUMNS = {"summary": ("run_id", "index", "status"), "series": ("run_id", "step")}


class ResultsWarning(UserWarning):
    """Something in a results directory that was set aside or skipped (a bad part, a stray file)."""


class SaveError(WriteError):
    """A results file could not be written or updated; ``filename`` is that file, ``errno`` the system's reason.

    pyarrow's and ``fsync``'s errors name no file, and an error while writing a hidden temporary would name the
    temporary: this names the file the store was saving.
    """


@contextlib.contextmanager
def _saving(path: Path, exact: bool = False) -> Iterator[None]:
    """Inside, an OSError becomes a :class:`SaveError` naming ``path`` (``exact``), or the file it names, else
    ``path``."""
    try:
        yield
    except SaveError:
        raise
    except OSError as err:
        where = path if exact or err.filename is None else err.filename
        raise SaveError(err.errno, os_error_reason(err), str(where)) from err


def is_part(path: Path) -> bool:
    """A file the store writes: ``part-NNNNNN.parquet`` (anything else in a dataset directory is not ours)."""
    return PART_NAME.fullmatch(path.name) is not None


def part_paths(directory: Path) -> list[Path]:
    """The parts of a dataset directory, in order; other files are ignored."""
    return sorted(p for p in directory.glob("part-*.parquet") if is_part(p)) if directory.is_dir() else []


def _ignored_by_readers(path: Path) -> bool:
    """Hidden and underscore files: the store's temporaries and lock, and what pyarrow itself skips."""
    return path.name.startswith((".", "_"))


def check_part(path: Path, kind: str) -> str | None:
    """Why a part cannot be used (one line), or None if it reads and has its key columns."""
    try:
        parquet = pq.ParquetFile(path)
        missing = [c for c in KEY_COLUMNS[kind] if c not in parquet.schema_arrow.names]
        if missing:
            return f"no {missing[0]!r} column: not a part of a sweep"
        # decode the key columns, which proves every row group is intact (the footer alone would not)
        parquet.read(columns=list(KEY_COLUMNS[kind]))
    except (OSError, pa.ArrowException, ValueError) as err:
        return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else 'unreadable'}"
    return None


def read_parts(directory: Path, kind: str, columns: Sequence[str] | None = None) -> pd.DataFrame | None:
    """Every readable part of a dataset as one DataFrame (None if none); a bad part is skipped with a warning.

    Parts are read one by one, not as a directory, so that a stray or broken file costs its own rows, named
    in a one-line :class:`ResultsWarning`, instead of the whole dataset.
    """
    tables = []
    for part in part_paths(directory):
        try:
            tables.append(pq.read_table(part, columns=list(columns) if columns is not None else None))
        except (OSError, pa.ArrowException, ValueError) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            warnings.warn(
                f"{part} is unreadable ({type(err).__name__}: {reason}); skipped: run the sweep again to move it to "
                f"{directory.parent / QUARANTINE}/ and redo its runs",
                ResultsWarning,
                stacklevel=3,
            )
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive").to_pandas()


LIBRARIES = (
    "mesa", "numpy", "pandas", "pyarrow", "scipy", "networkx", "SALib", "dask", "distributed", "tqdm",
    "threadpoolctl",
)  # fmt: skip


# --- column types: one schema for every part of a dataset ---------------------------------

NUMERIC_ORDER = ("boolean", "Int64", "float64")


def value_dtype(values: Sequence[Any]) -> str | None:
    """The column type of raw Python values (None when every value is missing)."""
    dtype: str | None = None
    for value in values:
        if value is None or value is pd.NA:
            continue
        if isinstance(value, (bool, np.bool_)):
            kind = "boolean"
        elif isinstance(value, (int, np.integer)):
            kind = "Int64"
        elif isinstance(value, (float, np.floating)):
            kind = "float64"
        else:
            kind = "string"
        dtype = promote(dtype, kind)
    return dtype


def series_dtype(column: pd.Series) -> str | None:
    """The column type of a DataFrame column."""
    if column.isna().all():
        return None
    if pd.api.types.is_bool_dtype(column):
        return "boolean"
    if pd.api.types.is_integer_dtype(column):
        return "Int64"
    if pd.api.types.is_float_dtype(column):
        return "float64"
    if pd.api.types.is_string_dtype(column) and not column.dtype == object:
        return "string"
    return value_dtype(column.tolist())


def promote(a: str | None, b: str | None) -> str | None:
    """The narrowest type holding both (booleans < integers < floats; anything with text becomes text)."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    if a in NUMERIC_ORDER and b in NUMERIC_ORDER:
        return max(a, b, key=NUMERIC_ORDER.index)
    return "string"


def arrow_dtype(t: pa.DataType) -> str | None:
    """The column type of a stored Parquet column."""
    if pa.types.is_null(t):
        return None
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "Int64"
    if pa.types.is_floating(t):
        return "float64"
    return "string"


def _column(values: Sequence[Any] | pd.Series, dtype: str) -> pd.Series:
    """A column of the given type; text columns take the text of whatever they hold."""
    if not isinstance(values, pd.Series):  # raw values (summary rows): straight to the typed array, 3x faster
        if dtype == "string":
            return pd.Series(pd.array([None if v is None or v is pd.NA or v != v else str(v) for v in values],
                                      dtype="string"))  # fmt: skip
        if dtype == "float64":
            return pd.Series(np.array([np.nan if v is None or v is pd.NA else v for v in values], dtype="float64"))
        return pd.Series(pd.array(list(values), dtype=dtype))
    series = values
    if dtype == "string" and series.dtype != "string":
        series = series.map(lambda v: None if v is None or v is pd.NA or v != v else str(v), na_action=None)
        return series.astype("string")
    if dtype == "float64" and series.dtype == object:
        series = series.map(lambda v: np.nan if v is None or v is pd.NA else v)
    return series.astype(dtype)


# --- the output directory ----------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write under a hidden temporary name, flush to disk, then rename: a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with _saving(path, exact=True):
            write(tmp)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    _atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def _write_json(data: dict[str, Any], path: Path) -> None:
    _atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8"))


class PartSet:
    """A Parquet dataset directory written as numbered parts (``part-000001.parquet``, ...) with one schema.

    Types come from ``declared`` where known, else from the data; when a later part widens a column's type or
    adds a column, the parts already written are rewritten to the wider schema (pyarrow reads a directory
    with the first part's schema and would otherwise drop the new column without a word).
    """

    def __init__(self, directory: Path, declared: dict[str, str]) -> None:
        self.dir = directory
        self.declared = declared
        self.dtypes: dict[str, str | None] = {}

    def parts(self) -> list[Path]:
        return part_paths(self.dir)

    def load(self) -> None:
        """Learn the schema of the parts on disk; make them agree if a crash interrupted a rewrite."""
        schemas = [pq.read_schema(p) for p in self.parts()]
        dtypes: dict[str, str | None] = {}
        for schema in schemas:
            for name, t in zip(schema.names, schema.types, strict=True):
                dtypes[name] = promote(dtypes.get(name), arrow_dtype(t))
        self.dtypes = dtypes
        if any(self._differs(schema) for schema in schemas):
            self._rewrite_all()

    def _differs(self, schema: pa.Schema) -> bool:
        stored = dict(zip(schema.names, (arrow_dtype(t) for t in schema.types), strict=True))
        return list(stored) != list(self.dtypes) or any(stored[n] != self.dtypes[n] for n in stored)

    def frame_from_rows(self, rows: list[dict[str, Any]]) -> pd.DataFrame:
        """Summary rows to a DataFrame, typing each column from the declared types or the raw values."""
        names = list(dict.fromkeys(k for row in rows for k in row))
        columns = {}
        for name in names:
            values = [row.get(name) for row in rows]
            dtype = self.declared.get(name) or promote(self.dtypes.get(name), value_dtype(values)) or "float64"
            columns[name] = _column(values, dtype).array
        return pd.DataFrame(columns)

    def write(self, frame: pd.DataFrame, seq: int) -> Path:
        """Write one part with the dataset's schema, widening (and rewriting earlier parts) if needed."""
        dtypes = dict(self.dtypes)
        for name in frame.columns:
            dtypes[name] = promote(dtypes.get(name), self.declared.get(name) or series_dtype(frame[name]))
        widened = list(dtypes) != list(self.dtypes) or any(self.dtypes[n] != dtypes[n] for n in self.dtypes)
        self.dtypes = dtypes
        if widened and self.parts():
            self._rewrite_all()
        path = self.dir / f"part-{seq:06d}.parquet"
        self.dir.mkdir(parents=True, exist_ok=True)
        _write_parquet(self.conform(frame), path)
        return path

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame with every column of the schema, in order, of the schema's type."""
        columns = {}
        for name, dtype in self.dtypes.items():
            dtype = dtype or "float64"  # a column that has only ever been empty
            if name not in frame.columns:
                column = pd.Series([None] * len(frame), dtype=object).pipe(_column, dtype)
            else:
                column = frame[name]
                if str(column.dtype) != dtype:  # usually it already has the schema's type: no conversion
                    column = _column(column, dtype)
            columns[name] = column.array  # arrays, not Series: no index alignment
        return pd.DataFrame(columns)

    def _rewrite_all(self) -> None:
        for part in self.parts():
            _write_parquet(self.conform(pd.read_parquet(part)), part)

    def remove_rows(self, drop: Callable[[pd.DataFrame], pd.Series]) -> int:
        """Remove the rows ``drop`` selects from every part (each part rewritten atomically); return how many."""
        removed = 0
        for part in self.parts():
            frame = pd.read_parquet(part)
            mask = drop(frame)
            if not mask.any():
                continue
            removed += int(mask.sum())
            if mask.all():
                part.unlink()
            else:
                _write_parquet(self.conform(frame.loc[~mask]), part)
        return removed


class SweepStore:
    """The output directory of one sweep: manifest, design, summary and series parts, and a lock.

    Only the process driving the sweep writes here (workers return their results to it), so workers on
    other machines need no shared file system.
    """

    def __init__(self, root: str | Path, spec: SweepSpec) -> None:
        self.root = Path(root)
        self.spec = spec
        declared = {
            "run_id": "string", "index": "Int64", "configuration": "string", "point": "Int64",
            "replicate": "Int64", "seed": "Int64", **_design_dtypes(spec), "status": "string", "error": "string",
            "seconds": "float64", **getattr(import_object(spec.summary, "summary"), "dtypes", {}),
        }  # fmt: skip
        self.summary = PartSet(self.root / "summary", declared)
        self.series = PartSet(self.root / "series", {"run_id": "string", "step": "Int64"})
        self.manifest_path = self.root / "manifest.json"
        self.design_path = self.root / "design.parquet"
        self._lock: Any = None
        self._seq = 0
        self.quarantined: list[str] = []  # one line per file moved aside when the directory was opened

    def open(self) -> None:
        """Lock the directory, check it belongs to this sweep, set bad parts aside, tidy, and learn the schemas."""
        if self.root.exists() and not self.root.is_dir():
            raise SweepError(f"{self.root} exists and is not a directory")
        with _saving(self.root):
            self.root.mkdir(parents=True, exist_ok=True)
            self._acquire_lock()
        try:
            with _saving(self.root):
                self._check_or_create_manifest()
                self._tidy()
                self._set_aside_bad_parts()
                self.summary.load()
                self.series.load()
                self._check_design()
        except BaseException:
            self.close()
            raise
        self._seq = max((_seq(p) for p in [*self.summary.parts(), *self.series.parts()]), default=0)

    def _acquire_lock(self) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            return
        handle = open(self.root / ".lock", "a+")  # noqa: SIM115 - held open for the whole sweep
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise SweepError(f"another sweep is writing to {self.root}; wait for it or use another directory") from None
        self._lock = handle

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    def _check_or_create_manifest(self) -> None:
        problem = mismatch(self.root, self.spec)
        if problem is not None:
            raise SweepError(problem)
        if not self.manifest_path.exists():
            _write_json(new_manifest(self.spec), self.manifest_path)

    def _tidy(self) -> None:
        """Remove temporary files of an interrupted write and series parts whose summary part was never written.

        Both are this store's own files (the manifest was checked first): a crash between writing a series part
        and the summary part that commits it leaves such a part, and its runs are run again.
        """
        for directory in (self.root, self.summary.dir, self.series.dir):
            if directory.is_dir():
                for tmp in directory.glob(".*.tmp-*"):
                    tmp.unlink(missing_ok=True)
        committed = {_seq(p) for p in self.summary.parts()}
        for part in self.series.parts():
            if _seq(part) not in committed:
                part.unlink()

    def _set_aside_bad_parts(self) -> None:
        """Move every unreadable part, with its partner in the other dataset, to DIR/quarantine/ (runs redone).

        The partner goes too: series rows without their summary would be duplicated when the runs are redone,
        and a summary part whose series part is lost would claim runs whose series are missing.
        """
        bad: dict[int, str] = {}
        for kind, parts in (("summary", self.summary), ("series", self.series)):
            if not parts.dir.is_dir():
                continue
            for path in sorted(parts.dir.iterdir()):
                if _ignored_by_readers(path):
                    continue
                if not is_part(path):
                    warnings.warn(f"{path} is not a file of this sweep; left where it is and not read "
                                  f"(pandas.read_parquet of the directory would fail on it)", ResultsWarning,
                                  stacklevel=4)  # fmt: skip
                    continue
                reason = check_part(path, kind)
                if reason is not None:
                    bad.setdefault(_seq(path), f"{path.relative_to(self.root)} ({reason})")
        for seq, reason in sorted(bad.items()):
            moved = [self._quarantine(parts.dir / f"part-{seq:06d}.parquet") for parts in (self.summary, self.series)]
            names = ", ".join(str(m.relative_to(self.root)) for m in moved if m is not None)
            message = f"unreadable part {reason}: moved to {names}; its runs will be run again"
            self.quarantined.append(message)
            warnings.warn(f"{self.root}: {message}", ResultsWarning, stacklevel=4)

    def _quarantine(self, path: Path) -> Path | None:
        """Move one file to DIR/quarantine/ under a name that says where it came from (never overwriting)."""
        if not path.exists():
            return None
        target_dir = self.root / QUARANTINE
        target_dir.mkdir(exist_ok=True)
        target = target_dir / f"{path.parent.name}-{path.name}"
        n = 1
        while target.exists():
            n += 1
            target = target_dir / f"{path.parent.name}-{path.stem}.{n}{path.suffix}"
        os.replace(path, target)
        _fsync_dir(path.parent)
        return target

    def _check_design(self) -> None:
        """design.parquet is derived from the sweep: write it if missing, rewrite it if unreadable."""
        if self.design_path.exists():
            try:
                pq.read_table(self.design_path)
                return
            except (OSError, pa.ArrowException) as err:
                moved = self._quarantine(self.design_path)
                warnings.warn(f"{self.design_path} was unreadable ({type(err).__name__}); moved to {moved} and "
                              "written again from the sweep", ResultsWarning, stacklevel=4)  # fmt: skip
        _write_parquet(design_frame(self.spec.design), self.design_path)

    def finished(self) -> pd.DataFrame:
        """run_id, index and status of every run already recorded."""
        frame = read_parts(self.summary.dir, "summary", columns=["run_id", "index", "status"])
        if frame is None:
            return pd.DataFrame({"run_id": pd.Series(dtype="string"), "index": pd.Series(dtype="Int64"),
                                 "status": pd.Series(dtype="string")})  # fmt: skip
        return frame.sort_values("status", key=lambda s: s != "ok").drop_duplicates("run_id")

    def drop_failed(self) -> int:
        """Forget the failed runs so they run again (their series rows do not exist: failed runs write none)."""
        with _saving(self.summary.dir):
            return self.summary.remove_rows(lambda frame: frame["status"] == "failed")

    def write(self, rows: list[dict[str, Any]], series: pd.DataFrame | None) -> None:
        """Save finished runs: series part first, then the summary part that commits them.

        A failed write raises :class:`SaveError`; the parts written before are untouched, and a series part
        whose summary part was not written is removed when the directory is next opened (its runs are redone).
        """
        self._seq += 1
        with _saving(self.root):
            if series is not None and len(series):
                self.series.write(series, self._seq)
            self.summary.write(self.summary.frame_from_rows(rows), self._seq)

    def record_session(self, session: dict[str, Any]) -> None:
        """Append this session's counts to the manifest."""
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        manifest.setdefault("sessions", []).append(session)
        _write_json(manifest, self.manifest_path)


def _seq(part: Path) -> int:
    return int(part.stem.split("-")[1])


# --- is this directory ours, and made with the same inputs? --------------------------------------------


def _foreign_content(root: Path) -> list[str]:
    """Names in a directory without a manifest that the store did not write (its lock and temporaries aside)."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if not _ignored_by_readers(p))


def mismatch(root: Path, spec: SweepSpec) -> str | None:
    """Why ``root`` cannot hold this sweep's results (one line), or None: missing, empty, or the same sweep."""
    manifest_path = root / "manifest.json"
    if not manifest_path.exists():
        foreign = _foreign_content(root)
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            return (f"{root} is not empty ({shown}) and has no manifest.json, so it holds no sweep of this program; "
                    "nothing in it was changed: use an empty or new directory")  # fmt: skip
        return None
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return f"{manifest_path} is unreadable ({err}); move the directory aside"
    hint = "use --new-dir (a fresh directory beside it), another --out, or delete it"
    if manifest.get("fingerprint") != spec.fingerprint:
        old = manifest.get("sweep", {})
        new = spec.canonical()
        diff = [k for k in new if k != "description" and old.get(k) != json.loads(json.dumps(new[k]))]
        detail = f" (differs in: {', '.join(diff)})" if diff else ""
        return f"{root} holds results of a different sweep{detail}; {hint}"
    recorded = manifest.get("provenance")
    if recorded is None:
        return (f"{root} was written by an earlier version that did not record the configurations and code behind "
                f"its runs, so they cannot be checked against today's; {hint}")  # fmt: skip
    changes = differences(recorded, spec.provenance)
    if changes:
        changed = "; ".join(changes)
        return f"{root} holds runs made with other inputs: changed {changed}; resuming would mix them: {hint}"
    return None


def stale_reason(root: str | Path) -> str | None:
    """Why the runs in ``root`` could not be resumed today (configurations or code changed), else None.

    Judged from the directory alone: the recorded sweep names its configurations and code, whose content
    today is compared with what was recorded. Used to set aside cached results (the notebooks' sweeps in
    the test suite) that the store would refuse to resume.
    """
    from .provenance import code_identity, configuration_content

    try:
        manifest = read_manifest(root)
    except (OSError, ValueError) as err:
        return f"unreadable manifest ({err})"
    recorded = manifest.get("provenance")
    if recorded is None:
        return "written by an earlier version (no record of configurations and code)"
    sweep = manifest.get("sweep", {})
    try:
        today = {
            "configurations": {
                name: configuration_content(config["scenario"])
                for name, config in sweep.get("configurations", {}).items()
                if isinstance(config.get("scenario"), str)
            },
            "code": code_identity(sweep.get("model", ""), sweep.get("summary", "")),
        }
    except Exception as err:  # a configuration or module that no longer exists
        return f"its inputs cannot be read today ({type(err).__name__}: {err})"
    changes = differences(recorded, today)
    return "changed " + "; ".join(changes) if changes else None


def free_results_parent(parent: Path, spec: SweepSpec, child: str = "sweep") -> Path:
    """``parent`` if ``parent/child`` can hold this sweep, else the first such ``parent-2``, ``parent-3``, ...

    For commands whose sweep lives in ``DIR/sweep`` beside their own outputs (sensitivity, experiments).
    """
    candidate, n = parent, 1
    while mismatch(candidate / child, spec) is not None:
        n += 1
        candidate = parent.with_name(f"{parent.name}-{n}")
    return candidate


def free_results_dir(root: str | Path, spec: SweepSpec) -> Path:
    """``root`` if it can hold this sweep, else the first of ``root-2``, ``root-3``, ... that can (``--new-dir``).

    A sibling that already holds this very sweep is taken, so running the same command again resumes there.
    """
    return free_results_parent(Path(root), spec, child="")


def _design_dtypes(spec: SweepSpec) -> dict[str, str]:
    """Types of the varied parameters, from the design points, so every part agrees."""
    points = spec.design.points
    return {name: series_dtype(points[name]) or "float64" for name in spec.design.names}


def design_frame(design: Design) -> pd.DataFrame:
    """The design as stored: point, the values the model receives, and SALib's raw sample (``raw_<name>``)."""
    frame = design.points.reset_index(drop=True).copy()
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    if design.matrix is not None:  # all columns at once: one by one fragments a frame of many parameters
        raw = pd.DataFrame(design.matrix, columns=[f"raw_{name}" for name in design.names], index=frame.index)
        frame = pd.concat([frame, raw], axis=1)
    return frame


def new_manifest(spec: SweepSpec) -> dict[str, Any]:
    """What a later reader needs to know what these results are and how they were made."""
    design = spec.design
    return {
        "format": FORMAT_VERSION,
        "created": now(),
        "name": spec.name,
        "fingerprint": spec.fingerprint,
        "provenance": spec.provenance,
        "sweep": spec.canonical(),
        "sweep_file": str(spec.path) if spec.path else None,
        "sweep_text": spec.text,
        "runs": spec.n_runs,
        "configurations": list(spec.configurations),
        "design": {
            "method": design.method,
            "names": list(design.names),
            "points": len(design),
            "problem": design.problem,
            "options": design.options,
            "file": "design.parquet",
        },
        "layout": {
            "summary": "summary/ (Parquet dataset, one row per run; key run_id)",
            "series": "series/ (Parquet dataset, per-step rows; key run_id, step)" if spec.output.series else None,
        },
        **environment(),
        "sessions": [],
    }


def environment() -> dict[str, Any]:
    """Package version, git commit and library versions: enough to reproduce the numbers."""
    from .. import __version__

    libraries = {}
    for name in LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            libraries[name] = metadata.version(name)
    return {
        "package": {"name": "community-self-governance", "version": __version__, **git_state()},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": libraries,
    }


def git_state() -> dict[str, Any]:
    """The commit of the source tree the package runs from, and whether it had uncommitted changes."""
    return dict(_git_state())


def now() -> str:
    """The current time in UTC, to the second, as the manifest records it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- reading results ---------------------------------------------------------------------


def read_summary(out_dir: str | Path) -> pd.DataFrame:
    """One row per recorded run, in run order (the directory's parts are in order of completion).

    Only the store's parts are read, one by one: a stray file is ignored and an unreadable part is skipped
    with a :class:`ResultsWarning` naming it (resuming the sweep sets it aside and redoes its runs).
    """
    directory = Path(out_dir) / "summary"
    if not part_paths(directory):
        raise FileNotFoundError(f"no sweep results in {out_dir} (expected {directory}/part-*.parquet)")
    frame = read_parts(directory, "summary")
    if frame is None:
        raise FileNotFoundError(f"no readable sweep results in {out_dir}: every part of {directory} is unreadable")
    return frame.sort_values("index", kind="stable").drop_duplicates("run_id", keep="last").reset_index(drop=True)


def read_series(out_dir: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The per-step rows of every recorded run (run_id, step, columns), sorted by run and step (see read_summary)."""
    directory = Path(out_dir) / "series"
    if not part_paths(directory):
        raise FileNotFoundError(f"no per-step series in {out_dir} (was [output] series = true?)")
    wanted = None if columns is None else ["run_id", "step", *(c for c in columns if c not in ("run_id", "step"))]
    frame = read_parts(directory, "series", wanted)
    if frame is None:
        raise FileNotFoundError(f"no readable per-step series in {out_dir}: every part of {directory} is unreadable")
    return frame.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The manifest: sweep, versions, design description, sessions."""
    return json.loads((Path(out_dir) / "manifest.json").read_text(encoding="utf-8"))


def load_design(out_dir: str | Path) -> Design:
    """The design of a results directory, with SALib's problem and raw sample for sampled designs."""
    manifest = read_manifest(out_dir)
    frame = pd.read_parquet(Path(out_dir) / "design.parquet")
    info = manifest["design"]
    names = tuple(info["names"])
    raw = [f"raw_{n}" for n in names]
    matrix = frame[raw].to_numpy(dtype=float) if names and all(c in frame for c in raw) else None
    points = frame[list(names)].reset_index(drop=True) if names else pd.DataFrame(index=range(len(frame)))
    return Design(info["method"], names, points, info.get("problem"), matrix, info.get("options", {}))


def point_outputs(summary: pd.DataFrame, column: str, n_points: int, configuration: str | None = None) -> np.ndarray:
    """Mean of ``column`` over the successful replicates of each design point, in point order (NaN if none).

    This is the ``Y`` to pass with a design's ``problem`` (and ``matrix``) to SALib's analysers.
    """
    rows = summary[summary["status"] == "ok"]
    if configuration is not None:
        rows = rows[rows["configuration"] == configuration]
    means = pd.to_numeric(rows[column], errors="coerce").groupby(rows["point"]).mean()
    return means.reindex(range(n_points)).to_numpy(dtype=float)
