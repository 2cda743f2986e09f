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

from .i18n import N_, gettext_for

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
}
# measures.COLUMNS holds what each column means; these are the short names a table or legend shows.
COLUMN_NAMES = {
    "step": N_("month"),
    "stage": N_("stage"),
    "government_role": N_("government's role"),
    "self_governance_index": N_("self-governance index"),
    "trust_in_strangers": N_("trust in strangers"),
    "participation_rate": N_("participation"),
    "decision_participation_share": N_("share of participants in decisions"),
    "low_level_participation_share": N_("share of participants in low-level activities"),
    "vulnerable_participant_share": N_("share of participants who are elderly, unemployed young or low-income"),
    "ngo_count": N_("NGOs"),
    "ngo_independence": N_("NGO independence"),
    "committee_autonomy": N_("committee autonomy"),
    "administrative_load": N_("administrative load"),
    "admin_task_completion": N_("administrative tasks done"),
    "misperception_share": N_("residents who see the committee as a government organ"),
    "public_cost": N_("public cost"),
    "mean_trust": N_("mean trust"),
    "mean_efficacy": N_("sense of control"),
    "mean_skill": N_("democratic skill"),
    "grassroots_ngo_count": N_("NGOs founded by residents"),
    "problems_solved_share": N_("problems solved"),
    "solved_by_residents_share": N_("solved by residents themselves"),
    "solved_by_government_share": N_("solved by government"),
    "staff_professionalism": N_("committee staff with a college degree"),
    "mean_reliance": N_("reliance on government"),
    "ngo_drift": N_("organisations' drift from their mission"),
    "committee_capture": N_("capture of the committee"),
    "scandals": N_("scandals"),
    "index_decision": N_("index: decision"),
    "index_organisation": N_("index: organisation"),
    "index_social_capital": N_("index: social capital"),
    "index_autonomy": N_("index: autonomy"),
    "index_funding": N_("index: own funds"),
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
    "ROLE_NAMES",
    "STAGE_NAMES",
    "choice_name",
    "column_name",
    "configuration_name",
    "role_name",
    "scenario_text",
    "stage_name",
]
