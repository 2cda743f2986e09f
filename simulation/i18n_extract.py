"""Babel extractors for texts that are data rather than calls: configuration files and parameter meanings.

Named in ``babel.cfg`` (Babel reads a dotted method name as module.function), so that ``pybabel extract``
collects them alongside the messages of the code:

- ``[simulation.i18n_extract.extract_scenario: scenarios/*.toml]``: each configuration file's ``title`` and
  ``description``, the texts a student reads about it. The files themselves stay English: they are the
  project's one definition of a configuration.
- ``[simulation.i18n_extract.extract_parameters: simulation/model/parameters.py]``: the meaning and the unit of
  every parameter, the third and fourth arguments of its ``_p(default, section, unit, meaning, ...)``
  declaration, what ``parameters --lang zh`` shows. They stay in ``parameters.py``, defined once beside
  each value; this extractor reads them with :mod:`ast` (the file is not imported) and hands the rest of
  the file to Babel's Python extractor, so a ``_()`` call there is still found.
"""

from __future__ import annotations

import ast
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


PARAMETER_DECLARATION = "_p"
PARAMETER_TEXTS = {2: "parameter unit", 3: "parameter meaning"}  # positional argument -> translator comment


def extract_parameters(
    fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str, str | tuple[str | None, ...], list[str]]]:
    """The unit and meaning of each ``_p(...)`` declaration, then the file's ordinary messages.

    (Babel's Python extractor gives a call of several strings, e.g. ``ngettext``, as a tuple.)
    """
    from babel.messages.extract import extract_python

    source = fileobj.read()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == PARAMETER_DECLARATION:
            for position, comment in PARAMETER_TEXTS.items():
                if len(node.args) > position:
                    argument = node.args[position]
                    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                        yield argument.lineno, "_", argument.value, [comment]
    fileobj.seek(0)
    # Babel's annotations are wrong here: extract_python yields (line, function, message, comments), not the
    # (line, message, comments, context) of extract(); and its options are the plain dict Babel itself passes.
    yield from extract_python(fileobj, keywords, comment_tags, options)  # type: ignore[misc, arg-type]
