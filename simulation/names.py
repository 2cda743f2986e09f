"""Display names of the model's identifiers, in the reader's language.

Stages, roles, configurations, per-step columns and parameter values are identifiers: they stay
English in data files, column names and on the command line (``--scenario hangzhou``,
``--set mode=supportive``). What a person reads beside them is a display name, defined here once and
translated through the catalogue (:mod:`simulation.i18n`). The model core keeps the meanings
(``measures.COLUMNS``, ``parameters.FIELDS``); this module only names things for people.

The Chinese names are the essays' own words (essay 1: 索取依赖-学习进步-成熟独立 and
抚养培育-辅助成长-指导监督; the 上海模式, 沈阳模式, 江汉模式, 杭州模式 and 社区工作站模式 of the
comparison of models), so that a student can find them in the source texts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .i18n import N_, gettext_for

if TYPE_CHECKING:
    import pandas as pd

STAGE_NAMES = {"dependence": N_("dependence"), "learning": N_("learning"), "independence": N_("independence")}
ROLE_NAMES = {
    "nurture": N_("nurture"),
    "assist": N_("assist"),
    "supervise": N_("supervise"),
    "withdrawn": N_("withdrawn"),
}
MODE_NAMES = {"directive": N_("directive"), "supportive": N_("supportive"), "supervisory": N_("supervisory")}
POLICY_NAMES = {"fixed": N_("fixed"), "responsive": N_("responsive")}
CONFIGURATION_NAMES = {  # the file's name is its identifier; this is what a person reads
    "early_withdrawal": N_("early_withdrawal"),
    "guardian": N_("guardian"),
    "hangzhou": N_("hangzhou"),
    "jianghan": N_("jianghan"),
    "karamay": N_("karamay"),
    "shanghai": N_("shanghai"),
    "shenyang": N_("shenyang"),
    "workstation": N_("workstation"),
    "xinhua": N_("xinhua"),
    "guardian_withdraw_48": N_("guardian, withdrawn at month 48"),
    "all": N_("all"),
}
# measures.COLUMNS holds what each column means; these are the short names a table or legend shows.
COLUMN_NAMES = {
    "step": N_("month"),
    "stage": N_("stage"),
    "government_role": N_("government's role"),
    "self_governance_index": N_("self-governance index"),
    "legacy_index": N_("legacy index"),
    "trust_in_strangers": N_("trust in strangers"),
    "trust_floor_share": N_("trust in strangers the floor of trust keeps"),
    "participation_rate": N_("participation"),
    "active_within_half_year": N_("took part within six months"),
    "active_within_year": N_("took part within a year"),
    "decision_participation_share": N_("share of participants in decisions"),
    "low_level_participation_share": N_("share of participants in low-level activities"),
    "vulnerable_participant_share": N_("share of participants who are elderly, unemployed young or low-income"),
    "ngo_count": N_("NGOs"),
    "ngo_independence": N_("NGO independence"),
    "committee_autonomy": N_("committee autonomy"),
    "administrative_load": N_("administrative load"),
    "admin_task_completion": N_("administrative tasks done"),
    "misperception_share": N_("residents who think the committee represents the government's will"),
    "public_cost": N_("public cost"),
    "mean_trust": N_("mean trust"),
    "mean_efficacy": N_("sense of control"),
    "mean_skill": N_("democratic skill"),
    "grassroots_ngo_count": N_("NGOs founded by residents"),
    "problems_solved_share": N_("problems solved"),
    "solved_by_residents_share": N_("solved by residents themselves"),
    "solved_by_government_share": N_("solved by government"),
    "government_share": N_("government's part in the community's work"),
    "staff_professionalism": N_("committee staff with a college degree"),
    "mean_reliance": N_("reliance on government"),
    "ngo_drift": N_("organisations' drift from their mission"),
    "committee_capture": N_("capture of the committee"),
    "scandals": N_("scandals"),
    "index_decision": N_("index: decision"),
    "index_organisation": N_("index: organisation"),
    "index_social_capital": N_("index: social capital"),
    "index_autonomy": N_("index: autonomy"),
    "index_own_resources": N_("index: own resources"),
    "index_own_solving": N_("index: problems solved by its own channels"),
    "index_standing": N_("legacy index: standing"),
}

# Columns of the per-run summaries and of the experiments' and analyses' tables (their CSV files keep these
# identifiers); what a printed table shows in their place.
RESULT_NAMES = {
    "configuration": N_("configuration"),
    "runs": N_("runs"),
    "output": N_("output"),
    "parameter": N_("parameter"),
    "final_index": N_("final index"),
    "final_index_sd": N_("final index (sd)"),
    "final_index_p10": N_("final index (10%)"),
    "final_index_p90": N_("final index (90%)"),
    "total_public_cost": N_("total public cost"),
    "trust_in_strangers_last_year": N_("trust in strangers (last 12 months)"),
    "participation_last_year": N_("participation (last 12 months)"),
    "misperception_last_year": N_("see committee as government (last 12)"),
    "admin_task_completion": N_("admin task completion (mean)"),
    "admin_task_completion_mean": N_("admin task completion (mean)"),
    "ngo_count_final": N_("NGOs (final)"),
    "withdrawal_year": N_("withdrawal year"),
    "reached_learning": N_("reached learning"),
    "reached_independence": N_("reached independence"),
    "median_year_learning": N_("median year of learning"),
    "median_year_independence": N_("median year of independence"),
    "final_independent": N_("independent at the end"),
    "independence_margin": N_("final index less the independence threshold"),
    "stance": N_("stance"),
    "learning_tests": N_("tests in learning"),
    "learning_held": N_("held in learning"),
    "independence_tests": N_("tests in independence"),
    "independence_held": N_("held in independence"),
    "solved_in_shock_months": N_("solved in the shock months"),
    "trust_before": N_("trust before"),
    "trust_drop": N_("trust drop"),
    "trust_drop_se": N_("trust drop, standard error"),
    "recovered": N_("recovered"),
    "median_recovery_months": N_("median months to recover"),
}
SECTION_NAMES = {
    "community": N_("community"),
    "residents": N_("residents"),
    "committee": N_("committee"),
    "organisations": N_("organisations"),
    "problems": N_("problems"),
    "policy": N_("policy"),
    "supervision": N_("supervision"),
    "index": N_("index"),
    "shock": N_("shock"),
}


def _named(table: dict[str, str], key: str, lang: str) -> str:
    """A name from ``table`` in ``lang``; an identifier without a display name shows as itself."""
    return gettext_for(lang)(table[key]) if key in table else key


def stage_name(stage: str, lang: str = "en") -> str:
    """索取依赖 / 学习进步 / 成熟独立, or dependence / learning / independence."""
    return _named(STAGE_NAMES, stage, lang)


def role_name(role: str, lang: str = "en") -> str:
    """抚养培育 / 辅助成长 / 指导监督 / 放手, or nurture / assist / supervise / withdrawn."""
    return _named(ROLE_NAMES, role, lang)


def configuration_name(name: str, lang: str = "en") -> str:
    """上海模式 for 'shanghai' in Chinese; the identifier itself in English (what the command line takes)."""
    return _named(CONFIGURATION_NAMES, name, lang)


def column_name(column: str, lang: str = "en") -> str:
    """The display name of a per-step column (its identifier when it has none)."""
    return _named(COLUMN_NAMES, column, lang)


def choice_name(value: str, lang: str = "en") -> str:
    """A mode or policy value (directive, responsive, ...) in the reader's language."""
    return _named({**MODE_NAMES, **POLICY_NAMES}, value, lang)


def result_name(column: str, lang: str = "en") -> str:
    """The display name of a per-run output or a results table's column (its identifier when it has none)."""
    return _named(RESULT_NAMES, column, lang)


def section_name(section: str, lang: str = "en") -> str:
    """A parameter section (community, residents, ...) in the reader's language."""
    return _named(SECTION_NAMES, section, lang)


def parameter_text(text: str, lang: str = "en") -> str:
    """A parameter's meaning or unit (``parameters.FIELDS`` metadata) in the reader's language.

    The texts stay where they are defined, in ``simulation/model/parameters.py``; ``babel.cfg`` extracts them with
    :func:`simulation.i18n_extract.extract_parameters`, as it does the configuration files' texts.
    """
    return gettext_for(lang)(text)


def display_table(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """A results table as a person reads it: display names for its columns, configurations and outputs.

    English returns the table itself (its identifiers are what the CSV and the code use); in Chinese the
    column headers, the ``configuration`` cells and the ``output`` cells read in Chinese. The CSV files keep
    the identifiers.
    """
    if lang == "en":
        return table
    shown = table.copy()
    if "configuration" in shown.columns:
        shown["configuration"] = shown["configuration"].map(lambda name: configuration_name(str(name), lang))
    if "output" in shown.columns:
        shown["output"] = shown["output"].map(lambda name: output_name(str(name), lang))
    return shown.rename(columns={column: result_name(str(column), lang) for column in shown.columns})


def output_name(text: str, lang: str = "en") -> str:
    """An analysed output, or 'configuration: output' as sensitivity tables of several configurations name it.

    English keeps the identifier (final_index: what ``--outputs`` takes); Chinese shows display names.
    """
    if lang == "en":
        return text
    head, sep, tail = text.rpartition(": ")
    if sep:
        return f"{configuration_name(head, lang)}: {result_name(tail, lang)}"
    return result_name(text, lang)


def scenario_text(text: str, lang: str = "en") -> str:
    """A configuration file's title or description: its English text is the catalogue's message.

    The configuration files stay as they are (English, one place); their texts are extracted into the
    catalogue by :mod:`simulation.i18n_extract`, so an edited description shows in English until it is
    translated again, never a stale translation.
    """
    return gettext_for(lang)(text)


__all__ = [
    "COLUMN_NAMES",
    "CONFIGURATION_NAMES",
    "RESULT_NAMES",
    "ROLE_NAMES",
    "STAGE_NAMES",
    "choice_name",
    "column_name",
    "configuration_name",
    "display_table",
    "output_name",
    "parameter_text",
    "result_name",
    "role_name",
    "scenario_text",
    "section_name",
    "stage_name",
]
