"""A Babel extractor for the configuration files: their ``title`` and ``description`` go into the catalogue.

Named in ``babel.cfg`` as ``[simulation.i18n_extract.extract_scenario: scenarios/*.toml]`` (Babel reads a
dotted method name as module.function), so that ``pybabel extract`` collects the texts a student reads
about each configuration alongside the messages of the code. The files themselves stay English: they are
the project's one definition of a configuration.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import Any, BinaryIO

KEYS = ("title", "description")


def extract_scenario(
    fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel's extractor protocol: (line number, function name, message, comments) for each text."""
    text = fileobj.read().decode("utf-8")
    data = tomllib.loads(text)
    lines = text.splitlines()
    for key in KEYS:
        value = data.get(key)
        if isinstance(value, str):
            line = next((k + 1 for k, row in enumerate(lines) if row.lstrip().startswith(key)), 0)
            yield line, "_", value, [f"configuration {key}"]
