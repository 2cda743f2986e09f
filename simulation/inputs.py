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
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any


def read_text(path: Path, what: str, error: type[Exception]) -> str:
    """A text file's content, or ``error`` with one line saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
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


__all__ = ["parse_toml", "read_text", "writable_dir", "writable_file"]
