"""Governance configurations as data: loading and checking ``scenarios/*.toml``.

A scenario file has a one-line ``description``, a ``title`` and sections
(``[policy]``, ``[community]``, ...) that override the defaults in
:mod:`simulation.model.parameters`. Keys are checked against the section they are in,
so a typo is caught instead of silently ignored.

A value the essays do not give goes in the file's ``[assumptions]`` table instead, one row per parameter::

    [assumptions]
    funding = { value = 12.0, range = [8, 15], why = "twice the committee's running need" }

with the value, the range a reader would still find plausible and why. The robustness hypercube varies each
row over its range, ``python -m simulation parameters --scenario NAME`` lists the rows and docs/ODD.md 8.1
prints them: the three read this one table, never the comments.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..validation import Rule, ValidationError, check, check_keys, read_toml, reported_as, require, unknown
from .parameters import FIELDS, SECTIONS, Parameters, names_in, rule, section_of, unknown_name_error, validate


def _scenario_dir() -> Path:
    """Where the shipped configurations are: inside the installed package, else the checkout's ``scenarios/``.

    A built wheel carries ``scenarios/*.toml`` as ``simulation/configurations/`` (pyproject.toml maps the
    folder into the package), so an install from a wheel works from any folder; an editable install or a
    plain checkout reads the top-level ``scenarios/`` that users read and copy.
    """
    bundled = Path(str(resources.files("simulation") / "configurations"))
    return bundled if bundled.is_dir() else Path(__file__).resolve().parent.parent.parent / "scenarios"


SCENARIO_DIR = _scenario_dir()
TOP_LEVEL_KEYS = ("title", "description")
TEXTS = {
    "title": Rule("text", meaning="a short name"),
    "description": Rule("text", meaning="one line saying what the configuration represents"),
}
ASSUMPTIONS = "assumptions"  # the table of values the essays do not give
ASSUMPTION_KEYS = {
    "value": "the value the configuration uses",
    "range": "[low, high]: the values a reader would still find plausible",
    "why": "why this value: the reading of the essays it rests on, or that they say nothing",
}


class ScenarioError(ValidationError):
    """A scenario that cannot be found or read."""


@dataclass(frozen=True)
class Assumption:
    """A value a configuration assumes because the essays give none: the value, its plausible range and why."""

    value: float
    low: float
    high: float
    why: str


@dataclass(frozen=True)
class Scenario:
    """A named governance configuration: its parameters and what it represents."""

    name: str
    title: str
    description: str
    params: Parameters
    path: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    assumptions: dict[str, Assumption] = field(default_factory=dict)  # by parameter name, in file order
    in_sections: frozenset[str] = frozenset()  # the names the file sets in its sections (read from the essays)

    def with_overrides(self, **overrides: Any) -> Scenario:
        """The same configuration with some parameters changed (validated)."""
        if not overrides:
            return self
        params = self.params.replace(**overrides)
        return dataclasses.replace(self, params=params, overrides={**self.overrides, **overrides})


def list_scenarios() -> list[str]:
    """Names of the configurations shipped in ``scenarios/``, sorted."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def load_scenario(scenario: str | Path | Scenario, **overrides: Any) -> Scenario:
    """Load a configuration by name, by path to a TOML file, or pass one through, applying overrides."""
    if isinstance(scenario, Scenario):
        return scenario.with_overrides(**overrides)
    path = _resolve(scenario)
    with reported_as(ScenarioError):
        _text, data = read_toml(path, "scenario file")
    with reported_as(ScenarioError, path.name):
        values = _flatten(data)
        assumptions = _assumptions(data.get(ASSUMPTIONS, {}), set(values))
        params = validate({**values, **{name: row.value for name, row in assumptions.items()}})
    # Errors in the overrides are the caller's, not the file's: they surface as ParameterError.
    scenario = Scenario(path.stem, data.get("title", path.stem), data["description"], params, path,
                        assumptions=assumptions, in_sections=frozenset(values))  # fmt: skip
    return scenario.with_overrides(**overrides)


def _resolve(scenario: str | Path) -> Path:
    """Find the file for a scenario name or path, or explain what exists."""
    text = str(scenario)
    looks_like_path = text.endswith(".toml") or "/" in text or "\\" in text
    path = Path(text) if looks_like_path else SCENARIO_DIR / f"{text}.toml"
    if path.is_file():
        return path
    if looks_like_path:
        raise ScenarioError(f"scenario file not found: {path}")
    names = list_scenarios()
    raise ScenarioError(unknown("scenario", text, names) if names else f"no scenarios found in {SCENARIO_DIR}")


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    """Turn the sectioned file into flat parameter values, rejecting unknown keys."""
    shown = [*TOP_LEVEL_KEYS, *(f"[{s}]" for s in (*SECTIONS, ASSUMPTIONS))]
    check_keys(data, [*TOP_LEVEL_KEYS, *SECTIONS, ASSUMPTIONS], what="key or section", shown=shown)
    require(data, ["description"], "", {"description": TEXTS["description"].meaning})
    values: dict[str, Any] = {}
    for key, content in data.items():
        if key in TEXTS:
            check(content, TEXTS[key], repr(key))
            continue
        if key == ASSUMPTIONS:
            continue
        allowed = names_in(key)
        for name in check(content, Rule("table"), f"section [{key}]"):
            if name not in allowed:
                raise unknown_name_error(name, allowed, where=f"in section [{key}]")
        values.update(content)
    return values


def _assumptions(table: Any, set_in_sections: set[str]) -> dict[str, Assumption]:
    """The ``[assumptions]`` rows, each checked: a parameter that takes a number, set once in the file, a
    value inside its plausible range inside the parameter's valid range, and a reason."""
    rows = {}
    for name, row in check(table, Rule("table"), f"section [{ASSUMPTIONS}]").items():
        where = f"[{ASSUMPTIONS}] {name}"
        if name not in FIELDS:
            raise unknown_name_error(name, where=f"in section [{ASSUMPTIONS}]")
        if name in set_in_sections:
            raise ScenarioError(f"{where}: also set in [{section_of(name)}]; a value is either read from the essays "
                                f"or assumed, so keep one of the two")  # fmt: skip
        parameter = rule(name)
        if parameter.kind not in ("int", "float"):
            raise ScenarioError(f"{where}: an assumption needs a number with a range; {name} is a "
                                f"{parameter.kind}, so set it in [{section_of(name)}] with a comment why")  # fmt: skip
        row = check(row, Rule("table"), where)
        check_keys(row, list(ASSUMPTION_KEYS), where=f"in {where}")
        require(row, list(ASSUMPTION_KEYS), where, ASSUMPTION_KEYS)
        span = check(row["range"], Rule("list"), f"{where} range")
        if len(span) != 2:
            raise ScenarioError(f"{where} range must be [low, high], got {span!r}")
        low, high = (check(bound, parameter, f"{where} range") for bound in span)
        value = check(row["value"], parameter, f"{where} value")
        if not low <= value <= high:
            raise ScenarioError(f"{where} value = {value:g} lies outside its plausible range [{low:g}, {high:g}]")
        rows[name] = Assumption(value, low, high, check(row["why"], Rule("name"), f"{where} why").strip())
    return rows


def load_configuration(scenario: Any, error: type[Exception], **overrides: Any) -> Any:
    """:func:`load_scenario`, with unreadable files reported as one-line ``error`` (the caller's own type).

    ``load_scenario`` reports missing, binary and invalid files and bad values itself (``ScenarioError``,
    ``ParameterError``, passed through; both read files through :mod:`simulation.validation`). The two
    handlers below only guard against a reader that raises the parser's own errors again.
    """
    try:
        return load_scenario(scenario, **overrides)
    except UnicodeDecodeError:
        raise error(f"configuration {str(scenario)!r}: the file is not UTF-8 text (a binary file?)") from None
    except RecursionError:
        raise error(f"configuration {str(scenario)!r}: not valid TOML: values nested too deeply") from None
