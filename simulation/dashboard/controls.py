"""The dashboard's controls, and the check of every value a browser sends for them.

A browser is not trusted: page JavaScript can send any value for any widget, not only what the page showed. So
each control is defined here once (its choices, its range, its step), and :func:`offered_control` accepts a
value only if the page could have offered it. The sidebar checks a value before storing it, and
``DashboardModel`` checks every keyword again before anything is loaded or run (a Reset builds the model from
the stored values). A refused value is a :class:`RefusedValue`: one line, shown in the page and logged on the
server, never a traceback.

Why names and not paths: ``load_scenario`` reads a value with ``/`` or ``.toml`` as a file, so a forged
configuration value once made the server read a planted file and put tracebacks in the page (issue 23).
"""

from __future__ import annotations

import math
import sys
import zlib
from dataclasses import dataclass
from typing import Any

from simulation.i18n import N_
from simulation.model.parameters import FIELDS, MODES, POLICIES
from simulation.model.scenarios import list_scenarios
from simulation.validation import ValidationError, unknown

DEFAULT_CONFIGURATION = "guardian"
DEFAULT_RESIDENTS = 1000
DEFAULT_SEED = "1"
SEED_MAX_CHARS = 64  # a seed is typed by a student; longer text is refused, not hashed
RESIDENTS_RANGE = (100, 20_000, 100)  # the definition allows 5,000,000; the dashboard stays interactive up to here
SHOWN_CHARS = 80  # how much of a refused value a message repeats


@dataclass(frozen=True)
class SliderSpec:
    """A lever slider: its label and step; the range comes from the parameter's definition.

    ``high`` caps an open-ended definition (funding may go to 1,000 in a scenario file, but a slider
    that wide could not be set to anything useful).
    """

    label: str
    step: float
    high: float | None = None

    def bounds(self, name: str) -> tuple[float, float]:
        meta = FIELDS[name].metadata
        high = meta["high"] if self.high is None else min(meta["high"], self.high)
        return meta["low"], high


LEVER_SLIDERS = {
    "funding": SliderSpec(N_("Funding (per 1,000 residents)"), 0.5, high=30),
    "admin_load": SliderSpec(N_("Admin tasks pushed down"), 0.05),
    "fees_follow_tasks": SliderSpec(N_("Fees follow tasks"), 0.05),
    "service_purchase": SliderSpec(N_("Service purchase"), 0.05),
    "training": SliderSpec(N_("Training"), 0.05),
    "feedback": SliderSpec(N_("Feedback channels"), 0.05),
    "incubation": SliderSpec(N_("NGO incubation"), 0.05),
    "top_down_ngo_rate": SliderSpec(N_("Top-down NGOs per year"), 0.1, high=5),
    "direct_provision": SliderSpec(N_("Direct provision"), 0.05),
    "elected_committee": SliderSpec(N_("Elected committee share"), 0.05),
    "party_service": SliderSpec(N_("Party cells: service"), 0.05),
    "party_member_share": SliderSpec(N_("Party members' share"), 0.01, high=0.3),
    "supervision": SliderSpec(N_("Supervision"), 0.05),
    "withdraw_at_step": SliderSpec(N_("Government lets go at month (-1 never)"), 1, high=240),
}
LEVER_CHOICES = {"policy": (N_("Policy"), POLICIES), "mode": (N_("Government's mode"), MODES)}
CONTROLLED = (*LEVER_CHOICES, *LEVER_SLIDERS)  # the levers the sidebar sets
CONTROLS = ("configuration", "seed", "n_residents", *CONTROLLED)  # every value the sidebar sends


class RefusedValue(ValidationError):
    """A value the page did not offer (a forged request, or a stale one); one line, shown in the page."""


class UnknownConfiguration(RefusedValue):
    """A configuration the page did not offer: a browser sends names, and a name is never read as a path."""


def _shown(value: Any) -> str:
    return repr(value)[:SHOWN_CHARS]


def seed_from_text(text: int | str) -> int:
    """A seed from what a student typed: a whole number is used as it is, any other text is hashed.

    Mesa's text box hands over a string; hashing means "hangzhou" is as good a seed as 42, and a typo
    never breaks Reset.
    """
    text = str(text).strip()
    return int(text) if text.isdigit() else zlib.crc32(text.encode("utf-8"))


def offered_configuration(name: Any) -> str:
    """``name`` if it is one of the shipped configurations the page lists; anything else (a path, a planted file, a
    non-string) is refused in one line before a file is opened."""
    names = list_scenarios()
    if not isinstance(name, str) or name not in names:
        raise UnknownConfiguration(unknown("configuration", str(name)[:SHOWN_CHARS], names))
    return name


def offered_control(name: str, value: Any) -> Any:
    """``value`` as the control ``name`` would send it, if the page could have offered it; :class:`RefusedValue`
    otherwise. Numbers must be finite, inside the slider's range; choices must be listed; a seed is short text."""
    if name == "configuration":
        return offered_configuration(value)
    if name == "seed":
        return _offered_seed(value)
    if name == "n_residents":
        return int(_offered_number(name, value, RESIDENTS_RANGE[0], RESIDENTS_RANGE[1], integer=True))
    if name in LEVER_CHOICES:
        choices = LEVER_CHOICES[name][1]
        if not isinstance(value, str) or value not in choices:
            raise RefusedValue(unknown(name, _shown(value), choices))
        return value
    if name in LEVER_SLIDERS:
        integer = FIELDS[name].type == "int"
        number = _offered_number(name, value, *LEVER_SLIDERS[name].bounds(name), integer=integer)
        return int(number) if integer else number
    raise RefusedValue(unknown("control", _shown(name), CONTROLS))


def _offered_seed(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RefusedValue(f"a seed is text or a whole number, not {_shown(value)}")
    text = str(value)
    if len(text) > SEED_MAX_CHARS or not text.isprintable():
        raise RefusedValue(f"a seed is at most {SEED_MAX_CHARS} printable characters; got {_shown(text)}")
    return text


def _offered_number(name: str, value: Any, low: float, high: float, integer: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RefusedValue(f"{name} must be a number from {low:g} to {high:g}, not {_shown(value)}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high or (integer and number != int(number)):
        kind = "a whole number" if integer else "a number"
        raise RefusedValue(f"{name} must be {kind} from {low:g} to {high:g}, not {_shown(value)}")
    return number


def offered_controls(values: dict[str, Any]) -> dict[str, Any]:
    """Every control's value checked (:func:`offered_control`); None (keep the configuration's value) passes, but
    only for a control's name: a name the page has no control for is refused, whatever its value."""
    return {name: value if value is None and name in CONTROLS else offered_control(name, value)
            for name, value in values.items()}  # fmt: skip


def log_refusal(err: Exception) -> None:
    """Record on the server what a page sent that was refused (the page itself shows one line)."""
    print(f"dashboard: refused a value the page did not offer: {err}", file=sys.stderr, flush=True)


__all__ = [
    "CONTROLLED",
    "CONTROLS",
    "DEFAULT_CONFIGURATION",
    "DEFAULT_RESIDENTS",
    "DEFAULT_SEED",
    "LEVER_CHOICES",
    "LEVER_SLIDERS",
    "RESIDENTS_RANGE",
    "RefusedValue",
    "SliderSpec",
    "UnknownConfiguration",
    "log_refusal",
    "offered_control",
    "offered_configuration",
    "offered_controls",
    "seed_from_text",
]
