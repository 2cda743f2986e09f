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
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .designs import Design
from .sweep_spec import SweepError, SweepSpec, import_object

try:  # advisory lock against two sweeps writing to one directory (POSIX only)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

FORMAT_VERSION = 1
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
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
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


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write under a hidden temporary name, flush to disk, then rename: a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
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
        return sorted(self.dir.glob("part-*.parquet")) if self.dir.is_dir() else []

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

    def open(self) -> None:
        """Lock the directory, check it belongs to this sweep, tidy what a crash left, and learn the schemas."""
        if self.root.exists() and not self.root.is_dir():
            raise SweepError(f"{self.root} exists and is not a directory")
        self.root.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            self._check_or_create_manifest()
            self._tidy()
            self.summary.load()
            self.series.load()
            if not self.design_path.exists():
                _write_parquet(design_frame(self.spec.design), self.design_path)
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
        if self.manifest_path.exists():
            try:
                manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise SweepError(f"{self.manifest_path} is unreadable ({err}); move the directory aside") from None
            if manifest.get("fingerprint") != self.spec.fingerprint:
                old = manifest.get("sweep", {})
                new = self.spec.canonical()
                diff = [k for k in new if k != "description" and old.get(k) != json.loads(json.dumps(new[k]))]
                detail = f" (differs in: {', '.join(diff)})" if diff else ""
                raise SweepError(
                    f"{self.root} holds results of a different sweep{detail}; use another --out or delete it"
                )
            return
        if self.summary.parts():
            raise SweepError(f"{self.root} has results but no manifest.json; use another --out or delete it")
        _write_json(new_manifest(self.spec), self.manifest_path)

    def _tidy(self) -> None:
        """Remove temporary files of an interrupted write and series parts whose summary part was never written."""
        for directory in (self.root, self.summary.dir, self.series.dir):
            if directory.is_dir():
                for tmp in directory.glob(".*.tmp-*"):
                    tmp.unlink(missing_ok=True)
        committed = {_seq(p) for p in self.summary.parts()}
        for part in self.series.parts():
            if _seq(part) not in committed:
                part.unlink()

    def finished(self) -> pd.DataFrame:
        """run_id and status of every run already recorded."""
        if not self.summary.parts():
            return pd.DataFrame({"run_id": pd.Series(dtype="string"), "status": pd.Series(dtype="string")})
        frame = pd.read_parquet(self.summary.dir, columns=["run_id", "status"])
        return frame.sort_values("status", key=lambda s: s != "ok").drop_duplicates("run_id")

    def drop_failed(self) -> int:
        """Forget the failed runs so they run again (their series rows do not exist: failed runs write none)."""
        return self.summary.remove_rows(lambda frame: frame["status"] == "failed")

    def write(self, rows: list[dict[str, Any]], series: pd.DataFrame | None) -> None:
        """Save finished runs: series part first, then the summary part that commits them."""
        self._seq += 1
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


def _design_dtypes(spec: SweepSpec) -> dict[str, str]:
    """Types of the varied parameters, from the design points, so every part agrees."""
    points = spec.design.points
    return {name: series_dtype(points[name]) or "float64" for name in spec.design.names}


def design_frame(design: Design) -> pd.DataFrame:
    """The design as stored: point, the values the model receives, and SALib's raw sample (``raw_<name>``)."""
    frame = design.points.reset_index(drop=True).copy()
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    if design.matrix is not None:
        for j, name in enumerate(design.names):
            frame[f"raw_{name}"] = design.matrix[:, j]
    return frame


def new_manifest(spec: SweepSpec) -> dict[str, Any]:
    """What a later reader needs to know what these results are and how they were made."""
    design = spec.design
    return {
        "format": FORMAT_VERSION,
        "created": now(),
        "name": spec.name,
        "fingerprint": spec.fingerprint,
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
    from . import __version__

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
    root = Path(__file__).resolve().parent.parent
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


def now() -> str:
    """The current time in UTC, to the second, as the manifest records it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- reading results ---------------------------------------------------------------------


def read_summary(out_dir: str | Path) -> pd.DataFrame:
    """One row per recorded run, in run order (the directory's parts are in order of completion)."""
    directory = Path(out_dir) / "summary"
    if not any(directory.glob("part-*.parquet")):
        raise FileNotFoundError(f"no sweep results in {out_dir} (expected {directory}/part-*.parquet)")
    frame = pd.read_parquet(directory)
    return frame.sort_values("index", kind="stable").drop_duplicates("run_id", keep="last").reset_index(drop=True)


def read_series(out_dir: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The per-step rows of every recorded run (run_id, step, columns), sorted by run and step."""
    directory = Path(out_dir) / "series"
    if not any(directory.glob("part-*.parquet")):
        raise FileNotFoundError(f"no per-step series in {out_dir} (was [output] series = true?)")
    wanted = None if columns is None else ["run_id", "step", *(c for c in columns if c not in ("run_id", "step"))]
    frame = pd.read_parquet(directory, columns=wanted)
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
