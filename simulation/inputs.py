"""Reading input files and checking output paths so that every failure is one line, before any work.

The input files of this project (sweeps, calibration specs, configurations)
are TOML (a configuration is loaded, with the same guards, by
:func:`simulation.model.scenarios.load_configuration`). Python's ``tomllib``
raises a ``RecursionError`` on values nested a few hundred levels deep, and reading a binary file as text raises a
``UnicodeDecodeError``; neither names the file. The helpers here turn those
into the caller's own one-line error type. Output paths are checked by
creating the directory and a probe file in it, which is the only test that
holds for every case (a missing parent, a parent that is a file, a read-only
file system, permissions, ``root`` who may write where others may not).

An operating-system error while working (a disk that fills up, a file system
remounted read-only) is not bad input: the command line reports it as one line
naming the file and the reason (:func:`os_error_text`), exit code 1. Writers
that raise it without a file name (pyarrow, ``fsync``, a full disk under
``to_csv``) are wrapped in :func:`writing`, which adds the path.
"""

from __future__ import annotations

import errno
import os
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# What to do about the usual causes of a failed write, in a few words each (the rest: "fix that").
REMEDIES = {
    errno.ENOSPC: "free some space",
    errno.EDQUOT: "free some space (a disk quota is full)",
    errno.EROFS: "make the file system writable again",
    errno.EACCES: "restore write permission",
    errno.EPERM: "restore write permission",
}


def read_text(path: Path, what: str, error: type[Exception]) -> str:
    """A text file's content, or ``error`` with one line saying why it cannot be read.

    A UTF-8 byte-order mark, which Windows Notepad and Excel write at the start of a file, is dropped
    ("utf-8-sig"): tomllib would otherwise stop at the file's first character with "Invalid statement".
    """
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise error(f"cannot read {what} {path}: not UTF-8 text (a binary file?)") from None
    except OSError as err:
        raise error(f"cannot read {what} {path}: {err.strerror or err}") from None


def parse_toml(text: str, label: str, error: type[Exception]) -> dict[str, Any]:
    """TOML text to a dict, every failure as one line: invalid TOML, or nesting too deep for the parser."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{label}: not valid TOML: {err}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise error(f"{label}: not valid TOML: values nested too deeply") from None


def writable_dir(path: Path, option: str, error: type[Exception]) -> Path:
    """Prove that ``path`` can be created and written, leaving nothing behind; else one-line ``error``.

    The directories it had to create for the test are removed again: a command that stops later (Ctrl-C
    before the first result, say) leaves no empty output directory.
    """
    if path.exists() and not path.is_dir():
        raise error(f"{option} {str(path)!r} exists and is not a directory")
    created = [p for p in (path, *path.parents) if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as err:
        raise error(f"{option} {str(path)!r} is not writable: {err.strerror or err}") from None
    finally:
        for directory in created:  # deepest first
            try:
                directory.rmdir()
            except OSError:
                break
    return path


def writable_file(path: Path, option: str, error: type[Exception]) -> Path:
    """Check that ``path`` can be written (its directory is created), without creating the file itself."""
    if path.is_dir():
        raise error(f"{option} {str(path)!r} is a directory; give a file name")
    writable_dir(path.parent, option, error)
    if path.exists() and not os.access(path, os.W_OK):
        raise error(f"{option} {str(path)!r} is not writable")
    return path


class WriteError(OSError):
    """An OSError while writing ``filename`` (see :func:`writing`), reported as "cannot write FILE: why"."""


def os_error_reason(err: OSError) -> str:
    """Why an operating-system call failed, in the system's words ("No space left on device").

    pyarrow's errors carry the errno but a long text of their own ("Error writing bytes to file. Detail: ...").
    """
    if err.errno is not None:
        try:
            return os.strerror(err.errno)
        except ValueError:  # an errno this system does not know
            pass
    return err.strerror or str(err) or type(err).__name__


def os_error_text(err: OSError) -> str:
    """One line for an operating-system error: the file it concerns and why, instead of "[Errno 28] ...".

    An error without an errno is one of this program's own, whose message is complete already.
    """
    if err.errno is None:
        return str(err)
    reason = os_error_reason(err)
    if err.filename is None:
        return reason
    return f"{'cannot write ' if isinstance(err, WriteError) else ''}{err.filename}: {reason}"


def remedy(err: OSError) -> str:
    """What the user can do about a failed write, in a few words ("free some space")."""
    return REMEDIES.get(err.errno or 0, "fix that")


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Inside, an OSError is raised again as a :class:`WriteError` naming the file: the one it names, else ``path``
    (pyarrow's errors and a full disk under ``to_csv`` name none).

    Errors without an errno (this program's own, complete messages) pass unchanged.
    """
    try:
        yield
    except WriteError:
        raise
    except OSError as err:
        if err.errno is None:
            raise
        raise WriteError(err.errno, os_error_reason(err), err.filename or str(path)) from err


__all__ = [
    "REMEDIES", "WriteError", "os_error_reason", "os_error_text", "parse_toml", "read_text", "remedy", "writable_dir",
    "writable_file", "writing",
]  # fmt: skip
