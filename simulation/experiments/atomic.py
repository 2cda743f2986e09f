"""Writing a result file whole or not at all.

A command stopped by Ctrl-C (or SIGTERM, or a full disk) in the middle of ``to_csv`` or ``savefig`` would
otherwise leave a truncated file under the real name: a 124-byte ``comparison.png`` that looks like a result,
or a CSV missing its last rows, over the complete one of the previous run. Every writer here writes to a
hidden temporary file in the same directory (so the rename never crosses file systems), flushes it to disk,
then renames it over the target with :func:`os.replace`, which is atomic on POSIX and Windows: a reader sees
the old file or the new one, never a part. If the write fails or is interrupted, the temporary file is
removed and the previous content stays as it was.

The temporary name keeps the target's suffix (``.comparison.tmp-1234.png``) because pandas and matplotlib
choose the format from it (Parquet compression, PNG or SVG).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib and pandas are imported by the writers' callers, not for writing text
    import pandas as pd
    from matplotlib.figure import Figure


def temporary_path(path: str | Path) -> Path:
    """The hidden name ``path`` is written under before it is renamed: same directory, same suffix."""
    path = Path(path)
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")


def _flush_to_disk(path: Path) -> None:
    """fsync the file, so that the rename never publishes a name whose bytes are still only in memory."""
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened (Windows)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(temporary_path)``, then rename the temporary file to ``path``; return ``path``.

    ``write`` must create the file it is given. On any exception, KeyboardInterrupt included, the temporary
    file is removed and ``path`` keeps its previous content (or stays absent).
    """
    return atomic_write_all({Path(path): write})[0]


def atomic_write_all(writers: Mapping[Path, Callable[[Path], object]]) -> list[Path]:
    """Write several files, each to its temporary name first, and rename them only once all are written.

    For a command's set of outputs (a table, its summary and its figure): an interruption while any of them
    is being written leaves none of them changed, so "nothing was saved" is true. Returns the paths in order.
    """
    pending: list[tuple[Path, Path]] = []
    try:
        for path, write in writers.items():
            tmp = temporary_path(path)
            pending.append((tmp, Path(path)))
            write(tmp)
            _flush_to_disk(tmp)
        for tmp, path in pending:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _path in pending:
            _discard(tmp)
        raise
    for directory in dict.fromkeys(path.parent for _tmp, path in pending):
        fsync_dir(directory)
    return [path for _tmp, path in pending]


def write_text(path: str | Path, text: str) -> Path:
    """``path.write_text(text, encoding='utf-8')``, atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_csv(frame: pd.DataFrame, path: str | Path, **options: Any) -> Path:
    """``frame.to_csv(path, **options)``, atomically."""
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, **options))


def write_parquet(frame: pd.DataFrame, path: str | Path, **options: Any) -> Path:
    """``frame.to_parquet(path, **options)``, atomically."""
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp, **options))


def figure_writer(fig: Figure, path: str | Path, **options: Any) -> Callable[[Path], object]:
    """A writer for :func:`atomic_write_all` that saves ``fig`` in the format of ``path``'s suffix.

    The format is passed explicitly: given a name without a suffix, matplotlib would append one and write
    another file than the one renamed.
    """
    from matplotlib import rcParams

    fmt = options.pop("format", None) or Path(path).suffix.lstrip(".") or rcParams["savefig.format"]
    return lambda tmp: fig.savefig(tmp, format=fmt, **options)


def save_figure(fig: Figure, path: str | Path, **options: Any) -> Path:
    """``fig.savefig(path, **options)``, atomically (the format from ``path``'s suffix, as savefig reads it)."""
    return atomic_write(path, figure_writer(fig, path, **options))
