"""The listing commands: the shipped configurations (``scenarios``) and every model parameter (``parameters``)."""

from __future__ import annotations

import argparse
from typing import Any

from .. import cli  # SCENARIO_DIR, read when the listing finds nothing (see there)
from ..i18n import gettext_for
from ..model.parameters import FIELDS, SECTIONS
from ..model.scenarios import ScenarioError, list_scenarios, load_configuration, load_scenario
from ..model.sources import describe, markdown
from ..names import configuration_name, parameter_text, scenario_text, section_name
from .exits import EXIT_FAILED, EXIT_OK
from .options import InputError, lang_option


def add_parsers(sub: Any) -> None:
    """The parsers of `scenarios` and `parameters`."""
    p = sub.add_parser("scenarios", help="list the configurations with their descriptions")
    lang_option(p)
    p.set_defaults(handler=cmd_scenarios)

    p = sub.add_parser("parameters", help="list every model parameter with default, range and meaning")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--section", choices=SECTIONS, help="only this section")
    shown.add_argument("--scenario", metavar="NAME", help="what one configuration sets, and where each value comes "
                       "from: the essays, or an assumption with its plausible range and why")  # fmt: skip
    shown.add_argument("--markdown", action="store_true", help="every configuration's levers and assumptions as "
                       "the tables of docs/ODD.md 8.1")  # fmt: skip
    lang_option(p)
    p.set_defaults(handler=cmd_parameters)


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the shipped configurations with their one-line descriptions; a broken file is shown, not fatal."""
    _ = gettext_for(args.lang)
    names = list_scenarios()
    if not names:  # an install without its configurations is broken, not empty
        raise InputError(f"no configurations found in {cli.SCENARIO_DIR}; reinstall the package or run from a checkout")
    width = max((len(n) for n in names), default=0)
    status = EXIT_OK
    for name in names:
        try:
            text = scenario_text(load_scenario(name).description, args.lang)
        except ScenarioError as err:
            text, status = _("(cannot load: {error})").format(error=err), EXIT_FAILED
        shown = configuration_name(name, args.lang)
        print(f"{name.ljust(width)}  " + (text if shown == name else f"{shown}: {text}"))
    return status


def cmd_parameters(args: argparse.Namespace) -> int:
    """List every parameter with default, valid range, unit and meaning: what --set accepts.

    In Chinese the meanings, units and section names are translated; parameter names, sections and choices
    stay identifiers (what ``--set`` and ``--section`` take).
    """
    lang, _ = args.lang, gettext_for(args.lang)
    if args.markdown:
        print(markdown())
        return EXIT_OK
    if args.scenario is not None:
        return _scenario_parameters(args.scenario, lang)
    defaults = {name: f.default for name, f in FIELDS.items()}
    rows = [
        (name, str(defaults[name]), _range_text(name), parameter_text(f.metadata["unit"], lang),
         parameter_text(f.metadata["meaning"], lang), f.metadata["section"])
        for name, f in FIELDS.items()
        if args.section in (None, f.metadata["section"])
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    section = None
    for name, default, valid, unit, meaning, sect in rows:
        if sect != section:
            shown = section_name(sect, lang)
            header = f"[{sect}]" if shown == sect else f"[{sect}] {shown}"
            print(header if section is None else f"\n{header}")
            section = sect
        described = _("{meaning} ({unit})").format(meaning=meaning, unit=unit)
        print(f"  {name.ljust(widths[0])}  {default.rjust(widths[1])}  {valid.ljust(widths[2])}  {described}")
    return EXIT_OK


def _range_text(name: str) -> str:
    """A parameter's valid values as one short string."""
    meta = FIELDS[name].metadata
    if meta["choices"]:
        return " | ".join(meta["choices"])
    return f"[{_number(meta['low'])}, {_number(meta['high'])}]"


def _number(value: float) -> str:
    """Range bounds as people write them: 5,000,000 rather than 5e+06."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _scenario_parameters(name: str, lang: str) -> int:
    """What one configuration sets and where each value comes from: the essays, an assumption (with its plausible
    range and why, from the file's [assumptions] table), or a calibration."""
    _ = gettext_for(lang)
    scenario = load_configuration(name, InputError)
    rows = describe(scenario)
    width = max((len(row[0]) for row in rows), default=0)
    sources = {"essays": _("read from the essays (the passage is in the file)"), "assumed": _("assumed"),
               "calibrated": _("calibrated (docs/ODD.md 6)")}  # fmt: skip
    print(f"{scenario.name}: {scenario_text(scenario.description, lang)}")
    for parameter, value, source, detail in rows:
        shown = f"{sources[source]}, {detail}" if detail else sources[source]
        print(f"  {parameter.ljust(width)}  {value:>10}  {shown}")
    return EXIT_OK
