"""One checking layer for every input: scenario files, sweep files, calibration specs and the command line.

Why the parameter table extended, not pydantic v2 (the two options of issue 12, item 4):

* ``parameters.py`` is the single definition of every parameter (name, type, unit, range, meaning). A pydantic
  model would either define them a second time or be generated from the table (``create_model``), and then
  the table, not the model, would still be what people read and edit: one more layer, nothing removed.
* What the users see is the contract: one line naming the file, the entry and the valid choices, with a
  did-you-mean, exit code 2. pydantic reports "N validation errors for Model" over several lines, has no
  did-you-mean, and its own coercion (lax mode turns "5" into 5, 1.0 into 1) differs from ours (TOML
  settings must have their TOML type; only ``--set`` text is converted). Every message would have to be
  rebuilt from its error list anyway, and the choices listed from our own table.
* Most checks that made the old functions complex are not schema checks: a model class that must import, a
  scoped ``[vary]`` name, sizes against memory, a window inside the run. pydantic would not remove them.
* It adds a compiled dependency (pydantic-core) to an install that must work offline, for a few dozen checks.

So a value's rule is a :class:`Rule` carrying the parameter table's own columns (type, range, choices, unit,
meaning); a parameter's rule is read off the table (:func:`simulation.model.parameters.rule`), and each format
declares its other settings (a sweep's ``steps``, a spec's ``population_size``, a ``--workers`` option) as
rules too. :func:`check` checks any value against its rule, :func:`check_keys` a table's keys, :func:`unknown`
words every unknown name, :func:`read_toml` reads a file. Every problem is a :class:`ValidationError`, one
line; each format's own error (``ScenarioError``, ``SweepError``, ``CalibrationError``, the CLI's
``InputError``) is a subclass, and :func:`reported_as` turns the layer's errors into it with the file's name.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .inputs import parse_toml, read_text

EXIT_CODE = 2  # the code argparse uses for usage errors; every bad input exits with it
LONG_LIST = 40  # more valid names than this are not listed in a message; ``see`` says where to find them


class ValidationError(ValueError):
    """Bad input, found before anything runs; the message is always one line (the CLI exits with EXIT_CODE)."""

    exit_code = EXIT_CODE

    def __init__(self, message: object = "") -> None:
        super().__init__(one_line(message))


def one_line(message: object) -> str:
    """A message on one line: a parser's multi-line text (e.g. a TOML error) joined with spaces."""
    return " ".join(part.strip() for part in str(message).splitlines() if part.strip())


# --- names ---------------------------------------------------------------------------------


def did_you_mean(name: object, valid: Collection[str]) -> str:
    """The hint " (did you mean 'x'?)" for the closest valid name, or "" when none is close."""
    close = difflib.get_close_matches(str(name), list(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown(what: str, name: object, valid: Collection[str], where: str = "", see: str = "",
            shown: Collection[str] | None = None) -> str:  # fmt: skip
    """The one wording of every unknown name: "unknown WHAT 'NAME' WHERE (did you mean 'X'?); valid: A, B".

    ``see`` replaces a list longer than LONG_LIST names; ``shown`` lists the names as the file writes them
    (e.g. ``[policy]`` for a section).
    """
    listed = list(valid if shown is None else shown)
    listing = f"see {see}" if see and len(listed) > LONG_LIST else ", ".join(listed) or "(none)"
    place = f" {where}" if where else ""
    return f"unknown {what} {str(name)!r}{place}{did_you_mean(name, valid)}; valid: {listing}"


def check_keys(table: Mapping[str, Any], allowed: Collection[str], where: str = "", what: str = "key",
               see: str = "", shown: Collection[str] | None = None) -> None:  # fmt: skip
    """Every key of ``table`` must be allowed: a typo is an error, never silently ignored."""
    for key in table:
        if key not in allowed:
            raise ValidationError(unknown(what, key, allowed, where, see, shown))


def require(table: Mapping[str, Any], keys: Collection[str], where: str, meanings: Mapping[str, str]) -> None:
    """Each of ``keys`` must be present; the message says what the missing one is for."""
    for key in keys:
        if key not in table:
            raise ValidationError(f"{where + ' is ' if where else ''}missing {key!r} ({meanings[key]})")


# --- values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """What one value may be: the parameter table's columns, for a parameter or any other setting.

    ``kind`` is "int", "float", "bool", "text", "name" (non-empty text), "choice", "table" or "list". ``low`` and
    ``high`` bound a number (both inclusive) or, for a table, its least number of entries (``low``).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    meaning: str = ""


def check(value: Any, rule: Rule, label: str, lenient: bool = False) -> Any:
    """``value`` checked against ``rule`` and returned as its kind (``lenient``: see :func:`_number`)."""
    return _CHECKS[rule.kind](value, rule, label, lenient)


def _noun(rule: Rule) -> str:
    """How a message names what is wanted: "a whole number, at least 1"."""
    noun = {"int": "a whole number", "float": "a finite number"}[rule.kind]
    if rule.low is not None and rule.high is None:
        return f"{noun}, at least {rule.low:g}"
    return noun


def _about(rule: Rule) -> str:
    return f" ({rule.meaning})" if rule.meaning else ""


def _number(value: Any, rule: Rule, label: str, lenient: bool) -> int | float:
    """A number of the rule's kind within its range.

    Settings must have their TOML type (5, not "5" or 5.0, where a count belongs); parameters are ``lenient``
    as they always were, since --set gives text: "5", 5.0 and 5 are the same whole number.
    """
    wrong = ValidationError(f"{label} must be {_noun(rule)}, got {value!r}")
    if isinstance(value, str) and lenient:
        try:
            value = float(value)
        except ValueError:
            raise wrong from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise wrong
    if rule.kind == "int":
        if isinstance(value, float) and not (lenient and value.is_integer()):
            raise wrong
        value = int(value)
    else:
        value = float(value)
    _in_range(value, rule, label, wrong)
    return value


def _in_range(value: float, rule: Rule, label: str, wrong: ValidationError) -> None:
    if rule.high is None:  # a count or a least value: one message for the type and the bound
        if rule.low is not None and value < rule.low:
            raise wrong
        return
    low = -math.inf if rule.low is None else rule.low  # a range with no lower end: only the upper one counts
    if not low <= value <= rule.high:
        doc = f" ({rule.unit}: {rule.meaning})" if rule.unit else _about(rule)
        raise ValidationError(f"{label} = {value} is out of range [{_bound(low)}, {_bound(rule.high)}]{doc}")


def _bound(bound: float) -> str:
    """A range's end as people write it: numpy's largest seed is 2**63 - 1, not 9223372036854775807."""
    return "2**63 - 1" if bound == 2**63 - 1 else str(bound)


def _choice(value: Any, rule: Rule, label: str, _lenient: bool) -> str:
    if value not in rule.choices:
        hint = did_you_mean(value, rule.choices) if isinstance(value, str) else ""
        raise ValidationError(f"{label} must be one of {', '.join(rule.choices)}, got {value!r}{hint}")
    return value


def _bool(value: Any, _rule: Rule, label: str, _lenient: bool) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{label} must be true or false, got {value!r}")
    return value


def _text(value: Any, rule: Rule, label: str, _lenient: bool) -> str:
    if not isinstance(value, str) or (rule.kind == "name" and not value.strip()):
        raise ValidationError(f"{label} must be text{_about(rule)}, got {value!r}")
    return value


def _table(value: Any, rule: Rule, label: str, _lenient: bool) -> dict[str, Any]:
    least = int(rule.low or 0)
    if not isinstance(value, dict) or len(value) < least:
        entries = " with at least one entry" if least else ""
        raise ValidationError(f"{label} must be a table{entries}{_about(rule)}, got {value!r}")
    return dict(value)


def _list(value: Any, rule: Rule, label: str, _lenient: bool) -> list[Any]:
    if not isinstance(value, list):
        raise ValidationError(f"{label} must be a list{_about(rule)}, got {value!r}")
    return value


_CHECKS: dict[str, Callable[[Any, Rule, str, bool], Any]] = {
    "int": _number, "float": _number, "choice": _choice, "bool": _bool, "text": _text, "name": _text,
    "table": _table, "list": _list,
}  # fmt: skip


def check_settings(data: Mapping[str, Any], rules: Mapping[str, Rule], label: Callable[[str], str] = repr
                   ) -> dict[str, Any]:  # fmt: skip
    """The settings ``data`` gives, each checked against its rule (absent ones are left to their defaults)."""
    return {key: check(data[key], rule, label(key)) for key, rule in rules.items() if key in data}


# --- files and error types ---------------------------------------------------------------------


def read_toml(path: Path, what: str, missing: str = "") -> tuple[str, dict[str, Any]]:
    """A TOML file's text and content; a missing, unreadable or invalid file is one line naming it."""
    if not path.is_file():
        raise ValidationError(f"{what} not found: {path}{missing}")
    text = read_text(path, what, ValidationError)
    return text, parse_toml(text, f"{what} {path}", ValidationError)


@contextmanager
def reported_as(error: type[ValidationError], prefix: str = "") -> Iterator[None]:
    """Inside, any ValidationError becomes ``error`` (the format's own type), its message after ``prefix: ``."""
    try:
        yield
    except ValidationError as err:
        if isinstance(err, error) and not prefix:
            raise
        raise error(f"{prefix}: {err}" if prefix else str(err)) from None


__all__ = [
    "EXIT_CODE", "Rule", "ValidationError", "check", "check_keys", "check_settings", "did_you_mean", "one_line",
    "read_toml", "reported_as", "require", "unknown",
]  # fmt: skip
