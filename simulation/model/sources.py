"""What each configuration sets, and where each value comes from: the tables of docs/ODD.md 8.1.

A configuration's value is *read* from the essays (its section, with the passage in a comment above it),
*assumed* (its ``[assumptions]`` row: a plausible range and why), *calibrated* (Karamay's starting attitudes,
named in :data:`CALIBRATED`) or the model's default. ``python -m simulation parameters --scenario NAME`` lists
one configuration this way; ``python -m simulation parameters --markdown`` prints the ODD's tables, which a test
keeps equal to the files.
"""

from __future__ import annotations

from .parameters import FIELDS
from .scenarios import Scenario, list_scenarios, load_scenario

# Values fitted to a survey rather than read or assumed (docs/ODD.md 6, calibration/karamay.toml).
CALIBRATED = {"karamay": ("initial_trust_mean", "initial_ownership_mean")}
POLICY_COLUMNS = ("policy", "mode", "funding", "admin_load", "admin_load_growth", "fees_follow_tasks",
                  "service_purchase", "training", "feedback", "incubation", "top_down_ngo_rate", "direct_provision",
                  "supervision", "withdraw_at_step")  # fmt: skip
OTHER_COLUMNS = ("elected_committee", "top_down_evaluation", "selection_appointment_separation", "workstation_share",
                 "workstation_separation", "party_service", "party_organising_rate", "self_oversight")  # fmt: skip
BEGIN, END = "<!-- sources: begin (python -m simulation parameters --markdown) -->", "<!-- sources: end -->"


def source(scenario: Scenario, name: str) -> str:
    """Where a configuration's value of ``name`` comes from: "assumed", "calibrated", "essays" or "default"."""
    if name in scenario.assumptions:
        return "assumed"
    if name in CALIBRATED.get(scenario.name, ()):
        return "calibrated"
    return "essays" if name in scenario.in_sections else "default"


def describe(scenario: Scenario) -> list[tuple[str, str, str, str]]:
    """Each value the configuration sets: name, value, source, and the range and reason of an assumption."""
    rows = []
    for name in FIELDS:
        kind = source(scenario, name)
        if kind == "default":
            continue
        row = scenario.assumptions.get(name)
        detail = f"plausible {_number(row.low)}-{_number(row.high)}: {row.why}" if row else ""
        rows.append((name, _number(getattr(scenario.params, name)), kind, detail))
    return rows


def markdown() -> str:
    """The tables of docs/ODD.md 8.1: every configuration's levers, then every assumption with its range."""
    scenarios = [load_scenario(name) for name in _ordered(list_scenarios())]
    others = [f"{s.name}: " + ", ".join(community_settings(s)) for s in scenarios if community_settings(s)]
    lines = ["Government levers (`[policy]`):", "", *_wide(scenarios, POLICY_COLUMNS), "",
             "Committee, party and supervision levers:", "", *_wide(scenarios, OTHER_COLUMNS), "",
             "Other values a file sets: " + ("; ".join(others) if others else "none") + ".", "",
             "Every assumption, with the range the robustness hypercube varies it over (docs/robustness.md) and why:",
             "", "| configuration | parameter | value | plausible range | why |", "|---|---|---|---|---|"]  # fmt: skip
    for scenario in scenarios:
        for name, row in scenario.assumptions.items():
            why = row.why.replace("|", "\\|")
            lines.append(f"| {scenario.name} | {name} | {_number(row.value)} | {_number(row.low)}-{_number(row.high)} "
                         f"| {why} |")  # fmt: skip
    return "\n".join(lines)


def _wide(scenarios: list[Scenario], columns: tuple[str, ...]) -> list[str]:
    """Configurations as rows: a value read from the essays plain, *assumed* in italics, [default] in brackets,
    calibrated with a dagger."""
    marks = {"essays": "{}", "assumed": "*{}*", "default": "[{}]", "calibrated": "{}†"}
    header = ["| configuration | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    return header + [
        f"| {s.name} | " + " | ".join(marks[source(s, c)].format(_number(getattr(s.params, c))) for c in columns) + " |"
        for s in scenarios
    ]


def _ordered(names: list[str]) -> list[str]:
    """The essays' order first (essay 1's four models, the workstation, Xinhua, the guardian), then the rest."""
    first = ["shanghai", "shenyang", "jianghan", "hangzhou", "workstation", "xinhua", "guardian", "early_withdrawal",
             "karamay"]  # fmt: skip
    return [n for n in first if n in names] + sorted(n for n in names if n not in first)


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def community_settings(scenario: Scenario) -> list[str]:
    """The values a configuration sets outside the lever tables (its community, residents, ...), marked as there."""
    marks = {"essays": "`{}`", "assumed": "*`{}`*", "calibrated": "`{}`†"}
    shown = set(POLICY_COLUMNS) | set(OTHER_COLUMNS) | {"assist_support", "supervise_support"}
    return [marks[kind].format(f"{name} = {value}") for name, value, kind, _ in describe(scenario)
            if name not in shown]  # fmt: skip
