"""A results directory: what it holds, what decided its numbers, and its tables written part by part.

One kind of directory serves every command that keeps results to resume (a sweep, a calibration)::

    DIR/manifest.json   what the results are (``kind`` and its identity), what decided their numbers
                        (``provenance``), the package, library versions and git commit, one entry per session
    DIR/<table>/        a Parquet dataset per declared table (a sweep's summary and series), one part per save
    DIR/<derived>       files made from the manifest's inputs (a sweep's design.parquet), made again if unreadable

Only the process that opened the directory writes to it (a sweep's workers hand their results back), so
workers on other machines need no shared file system. Every file is written through
:mod:`simulation.experiments.atomic`: under a temporary name, flushed and renamed, so a crash never leaves
half a file. Each :class:`Table` declares its columns and their types, so every part of a table has the same
schema and ``pandas.read_parquet(DIR/<table>)`` never silently drops a column; a table that declares nothing
(``open``) keeps what its rows hold, and earlier parts are rewritten when a later one adds a column.

What it finds is checked before it is trusted:

* the manifest records the identity and the provenance (:mod:`simulation.experiments.provenance`); a
  directory holding other results, or results made with other inputs, is refused and the refusal names what
  differs (:meth:`ResultsDir.problem`); ``--new-dir`` takes the first free sibling (:meth:`ResultsDir.free`);
* every part is read when the directory is opened; one that cannot be read (truncated, empty, not Parquet,
  missing its key columns) is moved to ``DIR/quarantine/`` with its partner parts of the other tables, named
  in a one-line warning, and its rows are made again;
* files it did not write are never deleted or moved: a directory with foreign content and no manifest is
  refused, and a stray file among the parts is reported and left where it is (the readers only read parts).

A write that fails (a full disk, lost permission) raises :class:`SaveError` naming the file it was writing,
never the hidden temporary; the parts written before stay whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..inputs import WriteError, os_error_reason
from ..validation import ValidationError
from .atomic import fsync_dir, write_parquet, write_text
from .provenance import differences, environment, now, stale

try:  # advisory lock against two processes writing to one directory (POSIX only)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

# 3: one manifest for every kind of results; its provenance names the inputs it was made from.
FORMAT_VERSION = 3
MANIFEST = "manifest.json"
PART_NAME = re.compile(r"part-(\d{6,})\.parquet")
QUARANTINE = "quarantine"
HINT = "use --new-dir (a fresh directory beside it), another --out, or delete it"


class ResultsWarning(UserWarning):
    """Something in a results directory that was set aside or skipped (a bad part, a stray file)."""


class ResultsError(ValidationError):
    """A results directory that cannot be used; the message is one line."""


class SaveError(WriteError):
    """A results file could not be written; ``filename`` is that file (never its temporary), ``errno`` the reason."""


@contextlib.contextmanager
def _saving(path: Path, exact: bool = False) -> Iterator[None]:
    """Inside, an OSError becomes a :class:`SaveError` naming ``path`` (``exact``), or the file it names, else
    ``path`` (pyarrow's and ``fsync``'s errors name no file)."""
    try:
        yield
    except SaveError:
        raise
    except OSError as err:
        where = path if exact or err.filename is None else err.filename
        raise SaveError(err.errno, os_error_reason(err), str(where)) from err


@dataclass(frozen=True)
class Table:
    """A table of a results directory: ``DIR/<name>/part-NNNNNN.parquet``.

    ``key``: the columns a readable part must have. ``columns``: every column and its type ("string", "Int64",
    "float64" or "boolean", pandas' nullable types), in order. ``open``: rows may hold undeclared columns too
    (for producers that declare nothing). ``commits``: the table whose part of the same number commits this
    one's (a series part is only kept once its summary part is written).
    """

    name: str
    key: tuple[str, ...]
    columns: Mapping[str, str]
    open: bool = False
    commits: str | None = None


@dataclass
class ResultsDir:
    """The directory ``root`` holding results of one ``kind`` ("sweep", "calibration").

    ``identity`` says which results these are (manifest entries compared with a directory's; a ``description``
    inside them may change); ``provenance`` what decided their numbers today. ``record`` makes the rest of a new
    manifest (called once, when the manifest is first written); ``derived`` maps a file name to the frame written
    there. Refusals are ``error`` (the kind's own error type), one line.
    """

    root: Path
    kind: str
    identity: Mapping[str, Any]
    provenance: Mapping[str, Any]
    record: Callable[[], Mapping[str, Any]] = dict
    tables: Sequence[Table] = ()
    derived: Mapping[str, Callable[[], pd.DataFrame]] = field(default_factory=dict)
    error: type[ValidationError] = ResultsError
    quarantined: list[str] = field(default_factory=list)  # one line per part set aside when opened

    def __post_init__(self) -> None:
        self._lock: Any = None
        self._seq = 0
        self._types = {t.name: dict(t.columns) for t in self.tables}  # the columns of the parts on disk

    # --- is this directory ours, and made with the same inputs? ----------------------------------------------

    def problem(self) -> str | None:
        """Why ``root`` cannot hold these results (one line), or None: missing, empty, or holding these results."""
        path = self.root / MANIFEST
        if self.root.exists() and not self.root.is_dir():
            return f"{self.root} exists and is not a directory"
        if not path.exists():
            foreign = _foreign_content(self.root)
            if not foreign:
                return None
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            return (f"{self.root} is not empty ({shown}) and has no {MANIFEST}, so it holds no {self.kind} of this "
                    "program; nothing in it was changed: use an empty or new directory")  # fmt: skip
        try:
            manifest = self.manifest(self.root)
        except (OSError, ValueError) as err:
            return f"{path} is unreadable ({err}); move the directory aside"
        if changed := _changed(manifest, self.identity):
            return f"{self.root} holds results of a different {self.kind} (differs in: {', '.join(changed)}); {HINT}"
        recorded = manifest.get("provenance")
        if recorded is None:
            return (f"{self.root} was written by an earlier version that did not record the configurations and code "
                    f"behind its runs, so they cannot be checked against today's; {HINT}")  # fmt: skip
        if changes := differences(recorded, self.provenance):
            what = "; ".join(changes)
            return f"{self.root} holds runs made with other inputs: changed {what}; resuming would mix them: {HINT}"
        return None

    @staticmethod
    def free(root: str | Path, make: Callable[[Path], ResultsDir], child: str = "") -> Path:
        """``root`` if ``make(root / child)`` can hold its results, else the first such ``root-2``, ``root-3``, ...

        What ``--new-dir`` takes; a sibling that already holds these very results is taken, so running the same
        command again resumes there.
        """
        root = Path(root)
        candidate, n = root, 1
        while make(candidate / child).problem() is not None:
            n += 1
            candidate = root.with_name(f"{root.name}-{n}")
        return candidate

    @staticmethod
    def stale(root: str | Path) -> str | None:
        """Why the results in ``root`` could not be resumed today (their inputs changed), else None.

        Judged from the directory alone (:func:`simulation.experiments.provenance.stale`): used to set aside
        cached results (the notebooks') that would be refused.
        """
        if not (Path(root) / MANIFEST).exists():
            return f"no {MANIFEST} (written by an earlier version)" if _foreign_content(Path(root)) else None
        try:
            return stale(ResultsDir.manifest(root).get("provenance"))
        except (OSError, ValueError) as err:
            return f"unreadable manifest ({err})"

    @staticmethod
    def manifest(root: str | Path) -> dict[str, Any]:
        """The manifest of ``root`` (OSError or ValueError when missing or unreadable)."""
        return json.loads((Path(root) / MANIFEST).read_text(encoding="utf-8"))

    # --- opening and closing -----------------------------------------------------------------------------------

    def open(self) -> list[str]:
        """Lock the directory, check it holds these results (writing a new manifest), remove the temporaries and
        uncommitted parts of an interrupted save, set unreadable parts aside, learn the open tables' columns, and
        write missing or unreadable derived files; return one line per part set aside."""
        if self.root.exists() and not self.root.is_dir():
            raise self.error(f"{self.root} exists and is not a directory")
        with _saving(self.root):
            self.root.mkdir(parents=True, exist_ok=True)
            self._acquire_lock()
        try:
            with _saving(self.root):
                if (problem := self.problem()) is not None:
                    raise self.error(problem)
                if not (self.root / MANIFEST).exists():
                    self._write_manifest({"format": FORMAT_VERSION, "kind": self.kind, "created": now(),
                                          **self.identity, "provenance": dict(self.provenance), **self.record(),
                                          **environment()})  # fmt: skip
                self._tidy()
                self._set_aside_bad_parts()
                self._learn_types()
                self._check_derived()
        except BaseException:
            self.close()
            raise
        self._seq = max((_seq(p) for t in self.tables for p in self.parts(t.name)), default=0)
        return self.quarantined

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    def __enter__(self) -> ResultsDir:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _acquire_lock(self) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            return
        handle = open(self.root / ".lock", "a+")  # noqa: SIM115 - held open while the directory is open
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise self.error(f"another {self.kind} is writing to {self.root}; wait for it or use another "
                             "directory") from None  # fmt: skip
        self._lock = handle

    def _tidy(self) -> None:
        """Remove temporaries of an interrupted write and parts whose committing part was never written.

        Both are this directory's own files (the manifest was checked first): a crash between writing a series
        part and the summary part that commits it leaves such a part, and its rows are made again.
        """
        for directory in (self.root, *(self.root / t.name for t in self.tables)):
            if directory.is_dir():
                for tmp in directory.glob(".*.tmp-*"):
                    tmp.unlink(missing_ok=True)
        for table in self.tables:
            if table.commits is not None:
                committed = {_seq(p) for p in self.parts(table.commits)}
                for part in self.parts(table.name):
                    if _seq(part) not in committed:
                        part.unlink()

    def _set_aside_bad_parts(self) -> None:
        """Move every unreadable part, with its partners of the same number, to DIR/quarantine/ (rows redone).

        The partners go too: series rows without their summary would be duplicated when the runs are redone,
        and a summary part whose series part is lost would claim runs whose series are missing.
        """
        bad: dict[int, str] = {}
        for table in self.tables:
            directory = self.root / table.name
            for path in sorted(directory.iterdir()) if directory.is_dir() else []:
                if _hidden(path):
                    continue
                if not PART_NAME.fullmatch(path.name):
                    warnings.warn(f"{path} is not a file of this {self.kind}; left where it is and not read "
                                  "(pandas.read_parquet of the directory would fail on it)", ResultsWarning,
                                  stacklevel=4)  # fmt: skip
                    continue
                if (reason := check_part(path, table.key)) is not None:
                    bad.setdefault(_seq(path), f"{path.relative_to(self.root)} ({reason})")
        for seq, reason in sorted(bad.items()):
            moved = [self._quarantine(self.root / t.name / f"part-{seq:06d}.parquet") for t in self.tables]
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
        fsync_dir(path.parent)
        return target

    def _learn_types(self) -> None:
        """The columns of the open tables' parts on disk; parts that disagree (a rewrite was interrupted) agree."""
        for table in (t for t in self.tables if t.open):
            parts = {p: _stored_types(p) for p in self.parts(table.name)}
            for types in parts.values():
                self._types[table.name] = self._merged(table, self._types[table.name], types)
            for path, types in parts.items():
                if types != self._types[table.name]:
                    self._write_part(path, self._conform(table, pd.read_parquet(path)))

    def _check_derived(self) -> None:
        """Derived files are made from the inputs: written if missing, moved aside and written again if unreadable."""
        for name, make in self.derived.items():
            path = self.root / name
            if path.exists():
                try:
                    pq.read_table(path)
                    continue
                except (OSError, pa.ArrowException) as err:
                    moved = self._quarantine(path)
                    warnings.warn(f"{path} was unreadable ({type(err).__name__}); moved to {moved} and written again "
                                  f"from the {self.kind}", ResultsWarning, stacklevel=4)  # fmt: skip
            self._write_part(path, make())

    # --- writing -------------------------------------------------------------------------------------------------

    def parts(self, table: str) -> list[Path]:
        """The parts of a table, in order; other files are ignored."""
        return part_paths(self.root / table)

    def append(self, parts: Mapping[str, pd.DataFrame | list[dict[str, Any]]]) -> None:
        """Save one part per table given, each numbered as this save, the committing tables last.

        A failed write raises :class:`SaveError`; the parts written before are untouched, and a part whose
        committing part was not written is removed when the directory is next opened.
        """
        self._seq += 1
        with _saving(self.root):
            for table in sorted(self.tables, key=lambda t: t.commits is None):
                rows = parts.get(table.name)
                if rows is not None and len(rows):
                    frame = self._conform(table, rows)
                    (self.root / table.name).mkdir(exist_ok=True)
                    self._write_part(self.root / table.name / f"part-{self._seq:06d}.parquet", frame)

    def remove(self, table: str, where: Callable[[pd.DataFrame], pd.Series]) -> int:
        """Remove the rows ``where`` selects from every part of ``table`` (each rewritten whole); return how many."""
        removed = 0
        with _saving(self.root / table):
            for part in self.parts(table):
                frame = pd.read_parquet(part)
                mask = where(frame)
                removed += int(mask.sum())
                if mask.all():
                    part.unlink()
                elif mask.any():
                    self._write_part(part, frame.loc[~mask].reset_index(drop=True))
        return removed

    def update(self, **entries: Any) -> None:
        """Set manifest entries (a session, ``complete``): the manifest is rewritten whole."""
        self._write_manifest({**self.manifest(self.root), **entries})

    def _write_manifest(self, manifest: Mapping[str, Any]) -> None:
        path = self.root / MANIFEST
        with _saving(path, exact=True):
            write_text(path, json.dumps(manifest, indent=2, default=str) + "\n")

    def _write_part(self, path: Path, frame: pd.DataFrame) -> None:
        with _saving(path, exact=True):
            write_parquet(frame, path, index=False)

    def _conform(self, table: Table, rows: pd.DataFrame | list[dict[str, Any]]) -> pd.DataFrame:
        """Rows as a part: every column the table's parts have, of their type, in order; an open table's new
        columns after them (the parts already written are then rewritten with those columns, empty)."""
        names = rows.columns if isinstance(rows, pd.DataFrame) else dict.fromkeys(k for row in rows for k in row)
        typed = {}
        for name in names:
            values = rows[name] if isinstance(rows, pd.DataFrame) else [row.get(name) for row in rows]
            typed[name] = _typed(values, table.columns.get(name), name, self.error)
        kinds = {name: str(array.dtype) for name, array in typed.items() if array.dtype != object}
        known = self._types[table.name]
        if any(known.get(name) != kind for name, kind in kinds.items()):
            if not table.open and (extra := [name for name in kinds if name not in known]):
                raise self.error(f"column {extra[0]!r} of the {table.name} is not among the columns declared for it")
            self._widen(table, kinds)
        empty = [None] * len(rows)  # arrays, not Series: no index to align, and no copy when the type is right
        return pd.DataFrame({name: _as(typed[name], dtype) if name in kinds else pd.array(empty, dtype=dtype)
                             for name, dtype in self._types[table.name].items()})  # fmt: skip

    def _widen(self, table: Table, types: dict[str, str]) -> None:
        """Take a new part's columns into an open table's schema, rewriting the parts on disk if it changed."""
        merged = self._merged(table, self._types[table.name], types)
        if merged == self._types[table.name]:
            return
        self._types[table.name] = merged
        for part in self.parts(table.name):
            self._write_part(part, self._conform(table, pd.read_parquet(part)))

    def _merged(self, table: Table, types: dict[str, str], new: Mapping[str, str]) -> dict[str, str]:
        """Two sets of column types as one: declared columns keep theirs; whole numbers and numbers are numbers."""
        merged = dict(types)
        for name, dtype in new.items():
            before = merged.setdefault(name, dtype)
            if before == dtype or name in table.columns:
                continue
            if {before, dtype} != {"Int64", "float64"}:
                raise self.error(f"column {name!r} of the {table.name} holds {dtype} values where earlier rows hold "
                                 f"{before}; a column keeps one kind of value")  # fmt: skip
            merged[name] = "float64"
        return merged

    # --- reading -------------------------------------------------------------------------------------------------

    @staticmethod
    def read(root: str | Path, table: str, columns: Sequence[str] | None = None) -> pd.DataFrame | None:
        """Every readable part of a table as one DataFrame (None if there is none); a bad part is skipped.

        Parts are read one by one, not as a directory, so that a stray or broken file costs its own rows, named
        in a one-line :class:`ResultsWarning`, instead of the whole table.
        """
        frames = []
        for part in part_paths(Path(root) / table):
            try:
                frames.append(pq.read_table(part, columns=list(columns) if columns is not None else None))
            except (OSError, pa.ArrowException, ValueError) as err:
                reason = str(err).splitlines()[0] if str(err) else type(err).__name__
                warnings.warn(f"{part} is unreadable ({type(err).__name__}: {reason}); skipped: run the same command "
                              f"again to move it to {Path(root) / QUARANTINE}/ and redo its runs", ResultsWarning,
                              stacklevel=3)  # fmt: skip
        return pa.concat_tables(frames, promote_options="permissive").to_pandas() if frames else None


# --- parts ----------------------------------------------------------------------------------------------------


def part_paths(directory: Path) -> list[Path]:
    """The parts of a table's directory, in order; other files are ignored."""
    found = directory.glob("part-*.parquet") if directory.is_dir() else []
    return sorted(p for p in found if PART_NAME.fullmatch(p.name))


def check_part(path: Path, key: Sequence[str]) -> str | None:
    """Why a part cannot be used (one line), or None if it reads and has its key columns."""
    try:
        parquet = pq.ParquetFile(path)
        missing = [c for c in key if c not in parquet.schema_arrow.names]
        if missing:
            return f"no {missing[0]!r} column: not a part of these results"
        parquet.read(columns=list(key))  # decoding the key columns proves every row group intact (the footer would not)
    except (OSError, pa.ArrowException, ValueError) as err:
        return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else 'unreadable'}"
    return None


def _typed(values: pd.Series | list[Any], dtype: str | None, name: str, error: type[ValidationError]) -> Any:
    """An array of the declared type; undeclared, of the kind its values have (true/false, whole numbers, numbers,
    text; each nullable), or of objects when every value is missing (such a column is left out of the part)."""
    if isinstance(values, pd.Series):
        dtype = dtype or _kind(values.dtype)
        if dtype is not None:
            return _as(values.array, dtype)
        values = values.tolist()
    if dtype is not None:
        return pd.array(values, dtype=dtype)
    array = pd.array(values)
    if array.dtype == object and pd.notna(array).any():
        raise error(f"column {name!r} mixes kinds of values (numbers, text, true/false); a column keeps one kind")
    return _as(array, "float64") if str(array.dtype) == "Float64" else array


def _as(array: Any, dtype: str) -> Any:
    return array if str(array.dtype) == dtype else array.astype(dtype)


def _kind(dtype: Any) -> str | None:
    """The stored type of a typed column: booleans, whole numbers, numbers, text (None: an object column)."""
    api = pd.api.types
    if api.is_bool_dtype(dtype):
        return "boolean"
    if api.is_integer_dtype(dtype):
        return "Int64"
    if api.is_float_dtype(dtype):
        return "float64"
    return "string" if api.is_string_dtype(dtype) and not api.is_object_dtype(dtype) else None


def _stored_types(path: Path) -> dict[str, str]:
    """The column types of a part on disk, as pandas reads them back."""
    return {name: str(dtype) for name, dtype in pq.read_schema(path).empty_table().to_pandas().dtypes.items()}


def _changed(manifest: Mapping[str, Any], identity: Mapping[str, Any]) -> list[str]:
    """The entries of ``identity`` (or, of a table, its keys) that differ from the manifest's; a changed
    description alone is listed as such, and is no difference."""
    changed = []
    for key, value in identity.items():
        new, old = json.loads(json.dumps(value, default=str)), manifest.get(key)
        if isinstance(new, dict) and isinstance(old, dict):
            changed += [k for k in {**old, **new} if k != "description" and old.get(k) != new.get(k)]
        elif old != new:
            changed.append(key)
    return changed


def _seq(part: Path) -> int:
    return int(part.stem.split("-")[1])


def _hidden(path: Path) -> bool:
    """The lock, temporaries and what pyarrow itself skips: hidden and underscore files."""
    return path.name.startswith((".", "_"))


def _foreign_content(root: Path) -> list[str]:
    """What a directory without a manifest holds besides its lock and temporaries."""
    return sorted(p.name for p in root.iterdir() if not _hidden(p)) if root.is_dir() else []
