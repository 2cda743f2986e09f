"""The human-readable files of a sweep's analyses in the reader's language.

:func:`~simulation.experiments.sweep_analysis.analyse_sensitivity` and
:func:`~simulation.experiments.sweep_analysis.analyse_discovery`
write their figures and plain-words summary in English (their tables are identifiers and stay so). The
commands ``sensitivity --lang zh`` and ``discover --lang zh`` and the notebooks then call these functions,
which draw the figure again and write the summary again in the reader's language, from what the analysis
returned; English leaves the files as they are.

(Threading ``lang`` through ``sweep_analysis`` itself would save the second drawing; that module is being
changed for the robustness analysis, so this stays outside it for now.)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from ..i18n import gettext_for
from ..model.stages import STAGES
from ..names import result_name, stage_name
from .discovery import Discovery, write_discovery
from .sensitivity import plot_indices
from .sweep import read_summary


def outcome_label(outcome: str, lang: str = "en") -> str:
    """What a discovery's outcome reads as: 'independence within the horizon' for first_independence."""
    if lang == "en":  # the words analyse_discovery uses
        return f"{outcome.removeprefix('first_')} within the horizon"
    _ = gettext_for(lang)
    stage = outcome.removeprefix("first_")
    name = stage_name(stage, lang) if stage in STAGES else result_name(outcome, lang)
    return _("{outcome} within the horizon").format(outcome=name)


def sensitivity_figure(table: pd.DataFrame, out_dir: str | Path, method: str, lang: str = "en") -> Path:
    """``{method}_indices.png`` in ``lang`` (drawn again over the English one when ``lang`` is not English)."""
    path = Path(out_dir) / f"{method}_indices.png"
    if lang != "en":
        plot_indices(table, path, lang)
    return path


def discovery_in(found: Discovery, sweep_dir: str | Path, out_dir: str | Path, outcome: str = "first_independence",
                 lang: str = "en") -> Discovery:  # fmt: skip
    """The discovery with its label and summary in ``lang``; its ``discovery.txt`` and ``.png`` written again so.

    The runs and their parameters are read as
    :func:`simulation.experiments.sweep_analysis.analyse_discovery` reads them.
    """
    if lang == "en":
        return found
    from .discovery import describe

    translated = dataclasses.replace(found, label=outcome_label(outcome, lang))
    translated = dataclasses.replace(translated, summary=describe(translated, lang))
    summary = read_summary(sweep_dir)
    summary = summary[summary["status"] == "ok"]
    design = pd.read_parquet(Path(sweep_dir) / "design.parquet")
    varied = [c for c in design.columns if c in summary.columns and c != "point"]
    reached = summary[outcome].notna() if outcome.startswith("first_") else summary[outcome].astype(bool)
    X = summary[varied].reset_index(drop=True)
    if summary["configuration"].nunique() > 1:
        X["configuration"] = summary["configuration"].astype(str).to_numpy()
    write_discovery(translated, X, reached.to_numpy(), out_dir, lang)
    return translated


__all__ = ["discovery_in", "outcome_label", "sensitivity_figure"]
