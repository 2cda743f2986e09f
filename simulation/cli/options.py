"""The options several commands share, and the checks that turn a bad value into one line of error.

Every command first checks all of its input, sizes and output paths and only then simulates, so a bad value
costs a second, not a batch. The checks raise :class:`InputError` (a ValidationError): ``main`` prints it as
``error: ...`` and exits 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..experiments import sweep_spec
from ..experiments.limits import SizeError
from ..experiments.sweep_spec import MAX_STEPS
from ..i18n import LANGUAGES, LanguageError, check_language, language_from_locale
from ..inputs import writable_dir
from ..model.parameters import FIELDS, coerce, unknown_name_error
from ..model.runner import DEFAULT_STEPS
from ..validation import Rule, ValidationError, check

# The numeric options as rules (simulation.validation): one wording for a bad value in every command.
COUNT, SEED = Rule("int", low=1), Rule("int", low=0)


class InputError(ValidationError):
    """Bad command-line input, reported as one line instead of argparse's usage block."""


@contextmanager
def input_checks() -> Iterator[None]:
    """Treat a ValueError from the shared check helpers as bad input; outside these blocks it would be a bug."""
    try:
        yield
    except ValidationError:  # InputError, ScenarioError, ParameterError, SizeError, ...: already one line
        raise
    except ValueError as err:
        raise InputError(str(err)) from None
    except RecursionError:  # tomllib on a configuration file nested thousands of levels deep
        raise InputError("an input file is nested too deeply to be read (not valid TOML for this program)") from None


# --- checks -------------------------------------------------------------------------------


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """Turn ``--set key=value`` strings into typed, range-checked parameter values (later keys win)."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = (part.strip() for part in pair.partition("="))
        if not sep or not key:
            raise InputError(f"--set expects key=value, got {pair!r}")
        if not value:
            raise InputError(f"--set {key}= has no value")
        if key not in FIELDS:
            raise unknown_name_error(key, where="in --set")
        overrides[key] = coerce(key, value)
    return overrides


def model_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """--set values plus --residents (which wins, being the more specific option)."""
    overrides = parse_overrides(args.set or [])
    if args.residents is not None:
        overrides["n_residents"] = coerce("n_residents", args.residents)
    return overrides


def check_seed(seed: int) -> int:
    """Seeds are non-negative: numpy rejects negative ones deep inside the model otherwise."""
    return check(seed, SEED, "--seed")


def check_count(value: int, option: str) -> int:
    """Counts given on the command line must be at least 1."""
    return check(value, COUNT, option)


def check_steps(steps: int, option: str, allow_large: bool) -> int:
    """Months are a whole number from 1 to MAX_STEPS (``--allow-large`` lifts the upper end)."""
    try:
        return sweep_spec.check_steps(check_count(steps, option), option, allow_large)
    except SizeError as err:
        raise InputError(str(err)) from None


def check_out_dir(path: Path) -> Path:
    """An output directory must be creatable and writable: found now, not after the whole simulation ran."""
    return writable_dir(path, "--out", InputError)


def check_figure_language(lang: str) -> None:
    """Chinese figures need a font with Chinese glyphs: found before anything runs, never drawn as boxes."""
    # Imported here, deliberately: simulation.fonts imports matplotlib (half a second), which --help and the
    # commands that draw nothing never need.
    from ..fonts import can_draw, missing_font_message

    if not can_draw(lang):
        raise InputError(f"--lang {lang}: {missing_font_message()}")


def _language(text: str) -> str:
    """--lang's type: en or zh (zh_CN, zh-Hans and EN are understood too)."""
    try:
        return check_language(text)
    except LanguageError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


# --- options ------------------------------------------------------------------------------


def lang_option(parser: argparse.ArgumentParser) -> None:
    """--lang: the language of what the command prints and draws; the default follows the locale (LANG)."""
    parser.add_argument("--lang", type=_language, default=language_from_locale(), metavar="|".join(LANGUAGES),
                        help="language of the printed summary and figures: en or zh (default from the locale, "
                        "now %(default)s)")  # fmt: skip


def allow_large_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-large", action="store_true",
                   help="lift the limits on runs, design points and memory (see docs/sweeps.md, Limits)")  # fmt: skip


def new_dir_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--new-dir",
        action="store_true",
        help="if --out holds results made with other inputs, write to the first free DIR-2, DIR-3, ...",
    )


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by run and compare."""
    steps_help = f"months to simulate (default {DEFAULT_STEPS}; at most {MAX_STEPS:,} without --allow-large)"
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, metavar="N", help=steps_help)
    parser.add_argument("--residents", type=int, metavar="N", help="community size (default: the scenario's)")
    parser.add_argument(
        "--set", action="append", metavar="KEY=VALUE",
        help="override a model parameter; repeatable (see the 'parameters' command)",
    )  # fmt: skip
    allow_large_option(parser)
    lang_option(parser)
