"""The essays' claims about what happened under each configuration, and whether the model reproduces them.

Each :class:`Claim` quotes the essay verbatim (essay and line of ``shared/sources/essays.txt``), glosses it,
and says how the model tests it: one or more :class:`Check`, each a number per seed that is above 0 when the
claim's direction holds (a difference between two runs of the same seed, or a distance from a threshold). A
claim the model cannot test says why instead (:attr:`Claim.outside`). The runs are every configuration file
and the variants in :data:`VARIANTS`, each changing one thing a claim is about, all on paired seeds.

Verdicts: *reproduced* (every check holds in every seed), *partly* (every check holds on the mean over seeds,
or some check holds in every seed), *not reproduced*, *outside the model*, and *calibrated* (a survey figure
the model was fitted to: matching it shows the fit, it tests nothing). A claim that fails stays a finding.

``python -m simulation experiment claims [--quick] [--lang zh]`` runs the sweep (resumable) and writes
``claims.csv`` and ``claims.md``; ``docs/claims.md`` is that file at the default settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..i18n import N_, gettext_for
from ..model.parameters import Parameters
from ..model.runner import DEFAULT_STEPS
from ..model.scenarios import list_scenarios
from ..names import configuration_name
from .atomic import write_csv, write_text
from .compare import paired_sweep
from .sweep import SweepResult, free_results_parent, load_sweep, read_summary, run_sweep

SUMMARY = "simulation.experiments.claims:claim_summary"
LEARNING = Parameters().learning_threshold
INDEPENDENCE = Parameters().independence_threshold

# One change each, to ask whether the model has the mechanism a claim is about (name -> (scenario, overrides)).
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    # Jianghan's founding fix applied to Shenyang: the tasks taken off the committee, which answers to residents.
    "shenyang_unblocked": ("shenyang", {"admin_load": 0.3, "top_down_evaluation": 0.4}),
    "jianghan_no_creep": ("jianghan", {"admin_load_growth": 0.0}),
    # The workstation's fix applied to Jianghan: a station takes the tasks that creep back.
    "jianghan_station": ("jianghan", {"workstation_share": 0.8, "workstation_separation": 0.5}),
    "workstation_none": ("workstation", {"workstation_share": 0.0}),
    "workstation_separated": ("workstation", {"workstation_separation": 1.0}),
    "hangzhou_unseparated": ("hangzhou", {"selection_appointment_separation": 0.0}),
    "xinhua_mobilising": ("xinhua", {"party_service": 0.3, "party_organising_rate": 0.02}),
    "xinhua_funded": ("xinhua", {"funding": 12.0}),
    "guardian_half_funding": ("guardian", {"funding": 4.5}),
}


@dataclass(frozen=True)
class Settings:
    """How big the check is. The default takes about a minute on 2 cores."""

    seeds: int = 10
    n_residents: int = 2000
    steps: int = DEFAULT_STEPS
    seed: int = 20261205

    @classmethod
    def quick(cls) -> Settings:
        """A small version: the machinery end to end in seconds (its numbers mean nothing)."""
        return cls(seeds=2, n_residents=150, steps=48)


# --- one run's numbers ---------------------------------------------------------------------------------------


def claim_summary(table: pd.DataFrame) -> dict[str, float]:
    """What the claims read of one run: the start, the years 3-5, the first two years and the last year."""
    last, years_3_5, first_two = table.tail(12), table.iloc[36:60], table.iloc[1:25]
    stages, roles = " > ".join(pd.unique(table["stage"])), " > ".join(pd.unique(table["government_role"]))
    in_order = stages == "dependence > learning > independence" and roles == "nurture > assist > supervise"
    return {
        "index_start": float(table["self_governance_index"].iloc[0]),
        "final_index": float(table["self_governance_index"].iloc[-1]),
        "max_index": float(table["self_governance_index"].max()),
        "theory_in_order": float(in_order),
        "autonomy_start": float(table["committee_autonomy"].iloc[0]),
        "autonomy_years_3_5": float(years_3_5["committee_autonomy"].mean()),
        "autonomy_last_year": float(last["committee_autonomy"].mean()),
        "load_last_year": float(last["administrative_load"].mean()),
        "task_completion": float(table["admin_task_completion"].iloc[1:].mean()),
        "misperception_last_year": float(last["misperception_share"].mean()),
        "trust_last_year": float(last["trust_in_strangers"].mean()),
        "participation_last_year": float(last["participation_rate"].mean()),
        "decision_last_year": float(last["decision_participation_share"].mean()),
        "efficacy_last_year": float(last["mean_efficacy"].mean()),
        "skill_last_year": float(last["mean_skill"].mean()),
        "professionalism_last_year": float(last["staff_professionalism"].mean()),
        "grassroots_final": float(table["grassroots_ngo_count"].iloc[-1]),
        "ngos_final": float(table["ngo_count"].iloc[-1]),
        "drift_last_year": float(last["ngo_drift"].mean()),
        "government_share_last_year": float(last["government_share"].mean()),
        "residents_solving_last_year": float(last["solved_by_residents_share"].mean()),
        "solved_first_two_years": float(first_two["problems_solved_share"].mean()),
        "solved_last_year": float(last["problems_solved_share"].mean()),
        "vulnerable_last_year": float(last["vulnerable_participant_share"].mean()),
        "public_cost": float(table["public_cost"].sum()),
    }


# Every column the summary writes (tests/test_claims.py checks it against a real run), so the sweep can check
# its outputs before the first run.
claim_summary.outputs = dict.fromkeys((  # type: ignore[attr-defined]
    "index_start", "final_index", "max_index", "theory_in_order", "autonomy_start", "autonomy_years_3_5",
    "autonomy_last_year", "load_last_year", "task_completion", "misperception_last_year", "trust_last_year",
    "participation_last_year", "decision_last_year", "efficacy_last_year", "skill_last_year",
    "professionalism_last_year", "grassroots_final", "ngos_final", "drift_last_year", "government_share_last_year",
    "residents_solving_last_year", "solved_first_two_years", "solved_last_year", "vulnerable_last_year", "public_cost",
), "float64")  # fmt: skip


# --- the claims ----------------------------------------------------------------------------------------------

Runs = Mapping[str, Mapping[str, float]]  # run name -> its summary, one seed


@dataclass(frozen=True)
class Quote:
    text: str  # verbatim from shared/sources/essays.txt
    essay: int
    line: int


@dataclass(frozen=True)
class Check:
    """A number per seed, above 0 when the claim's direction holds; ``what`` says what it is (translatable)."""

    what: str
    margin: Callable[[Runs], float]


@dataclass(frozen=True)
class Claim:
    key: str
    configuration: str
    quotes: tuple[Quote, ...]
    gloss: str
    checks: tuple[Check, ...] = ()
    outside: str = ""  # why the model cannot test it (translatable); or, with calibrated, why it tests nothing
    calibrated: bool = False


def _diff(a: str, b: str, column: str) -> Callable[[Runs], float]:
    return lambda runs: runs[a][column] - runs[b][column]


def _below(a: str, column: str, limit: float) -> Callable[[Runs], float]:
    return lambda runs: limit - runs[a][column]


def _above(a: str, column: str, limit: float) -> Callable[[Runs], float]:
    return lambda runs: runs[a][column] - limit


def _lowest(a: str, others: tuple[str, ...], column: str) -> Callable[[Runs], float]:
    return lambda runs: min(runs[o][column] for o in others) - runs[a][column]


def _rank_correlation(x: str, y: str, names: tuple[str, ...]) -> Callable[[Runs], float]:
    def margin(runs: Runs) -> float:
        frame = pd.DataFrame([runs[n] for n in names])
        return float(frame[x].rank().corr(frame[y].rank()))

    return margin


FILES = ("shanghai", "shenyang", "jianghan", "hangzhou", "workstation", "xinhua", "guardian", "early_withdrawal",
         "karamay")  # fmt: skip
FOUR = ("shanghai", "shenyang", "jianghan", "hangzhou")

CLAIMS: tuple[Claim, ...] = (
    # --- essay 1's four models --------------------------------------------------------------------------
    Claim(
        "M1",
        "four models",
        (Quote("在不同程度上理顺了政府与社会的关系", 1, 33), Quote("展示并推动了我国公民社会的发育", 1, 33)),
        "Each of the four models straightened out state-society relations to some degree and advanced the "
        "growth of civil society.",
        (
            Check(
                N_("lowest of the four configurations' final index minus its starting index"),
                lambda r: min(r[c]["final_index"] - r[c]["index_start"] for c in FOUR),
            ),
        ),
    ),
    # --- Shanghai ---------------------------------------------------------------------------------------
    Claim(
        "S1",
        "shanghai",
        (
            Quote("框架的突出问题是社区居委会实际上成为了街道办事处的派出机构", 6, 303),
            Quote("社区行政化倾向严重", 6, 303),
        ),
        "The framework's salient problem: the committee in effect became an outpost of the street office; the "
        "community is heavily administrativised.",
        (
            Check(
                N_(
                    "the committee's autonomy in the last year: the lowest of Shenyang, Jianghan, Hangzhou and the "
                    "guardian, minus Shanghai's"
                ),
                _lowest("shanghai", ("shenyang", "jianghan", "hangzhou", "guardian"), "autonomy_last_year"),
            ),
            Check(
                N_("share who think the committee represents the government: Shanghai's minus the guardian's"),
                _diff("shanghai", "guardian", "misperception_last_year"),
            ),
        ),
    ),
    Claim(
        "S2",
        "shanghai",
        (Quote("我们的基层治理经常会出现“行政有效,治理无效”的情况", 3, 127),),
        "Essay 3: grassroots governance is often 'administratively effective, ineffective as governance'.",
        (
            Check(
                N_("Shanghai's share of administrative tasks done, minus 0.9"),
                _above("shanghai", "task_completion", 0.9),
            ),
            Check(
                N_("the learning threshold minus Shanghai's final index (it stays in dependence)"),
                _below("shanghai", "final_index", LEARNING),
            ),
        ),
    ),
    # --- Shenyang ---------------------------------------------------------------------------------------
    Claim(
        "Y1",
        "shenyang",
        (
            Quote("提出了政府与社区分权的课题,但是没有破题", 1, 35),
            Quote("居委会没有自治性,仅仅是区街政府的“一条腿”", 1, 35),
        ),
        "Shenyang raised the question of dividing the powers of government and community but did not solve it; "
        "committees had no autonomy, only the district government's 'leg'.",
        (
            Check(
                N_("the learning threshold minus Shenyang's final index (it stays in dependence)"),
                _below("shenyang", "final_index", LEARNING),
            ),
            Check(
                N_("the committee's autonomy in the last year: Shenyang's minus Shanghai's (the question raised)"),
                _diff("shenyang", "shanghai", "autonomy_last_year"),
            ),
        ),
    ),
    Claim(
        "Y2",
        "shenyang",
        (Quote("着力消除“沈阳模式”未触及的“体制瓶颈”", 1, 35),),
        "Jianghan worked to remove the institutional bottleneck Shenyang left untouched: removing it should help.",
        (
            Check(
                N_("final index: Shenyang with Jianghan's founding fix (load 0.3, evaluation 0.4) minus Shenyang"),
                _diff("shenyang_unblocked", "shenyang", "final_index"),
            ),
            Check(N_("final index: Jianghan minus Shenyang (the files)"), _diff("jianghan", "shenyang", "final_index")),
        ),
    ),
    # --- Jianghan ---------------------------------------------------------------------------------------
    Claim(
        "J1",
        "jianghan",
        (
            Quote("但由于没有触动城市行政体制", 1, 35),
            Quote("随着政府职能社区化进程的加快,出现了许多新问题、新情况", 1, 35),
        ),
        "Because the city's administrative system was untouched, many new problems appeared as government "
        "functions moved into the community ever faster.",
        (
            Check(
                N_("Jianghan's committee autonomy: years 3-5 minus the last year (it falls as the load creeps back)"),
                lambda r: r["jianghan"]["autonomy_years_3_5"] - r["jianghan"]["autonomy_last_year"],
            ),
            Check(
                N_("final index: Jianghan without the creeping load minus Jianghan"),
                _diff("jianghan_no_creep", "jianghan", "final_index"),
            ),
        ),
    ),
    Claim(
        "J2",
        "jianghan",
        (Quote("试图弥补江汉区社区体制改革的不足", 1, 37),),
        "From 2000 other cities' reforms (the workstation) tried to make up for the shortcomings of Jianghan's.",
        (
            Check(
                N_("final index: Jianghan with the workstation's fix (share 0.8, separation 0.5) minus Jianghan"),
                _diff("jianghan_station", "jianghan", "final_index"),
            ),
            Check(
                N_("final index: the workstation minus Jianghan (the files)"),
                _diff("workstation", "jianghan", "final_index"),
            ),
        ),
    ),
    # --- the workstation --------------------------------------------------------------------------------
    Claim(
        "W1",
        "workstation",
        (Quote("社区工作站新模式表现出极大的创新勇气,不同程度地理顺了政府与社区关系", 1, 37),),
        "The workstation model showed great innovative courage and straightened out government-community "
        "relations to some degree.",
        (
            Check(
                N_("the committee's autonomy in the last year: the workstation minus the same file without a station"),
                _diff("workstation", "workstation_none", "autonomy_last_year"),
            ),
        ),
    ),
    Claim(
        "W2",
        "workstation",
        (
            Quote("并没有从根本上实现社区行政管理与社区自治管理", 1, 37),
            Quote("社区行政管理与社区公共服务的真正分离", 1, 37),
        ),
        "But it did not truly separate community administration from self-governance.",
        (
            Check(
                N_("the committee's autonomy in the last year: the workstation fully separated minus as it is"),
                _diff("workstation_separated", "workstation", "autonomy_last_year"),
            ),
        ),
    ),
    Claim(
        "W3",
        "workstation",
        (Quote("走出社区行政化困境需要探索合理的替代性选择", 1, 37),),
        "Escaping administrativisation still needs other options: under the workstation it persists.",
        (
            Check(
                N_("the learning threshold minus the workstation's final index (it stays in dependence)"),
                _below("workstation", "final_index", LEARNING),
            ),
            Check(
                N_("share who think the committee represents the government: the workstation's minus Hangzhou's"),
                _diff("workstation", "hangzhou", "misperception_last_year"),
            ),
        ),
    ),
    # --- Hangzhou ---------------------------------------------------------------------------------------
    Claim(
        "H1",
        "hangzhou",
        (Quote("或注重社区结构性体制创新,构建“选聘分离”的管理体制", 1, 33),),
        "Hangzhou's structural innovation separates electing the committee from hiring its staff (a design; the "
        "essays give no outcome of Hangzhou's own beyond M1).",
        (
            Check(
                N_("the committee's autonomy in the last year: Hangzhou minus Hangzhou without the separation"),
                _diff("hangzhou", "hangzhou_unseparated", "autonomy_last_year"),
            ),
            Check(N_("final index: Hangzhou minus Shanghai"), _diff("hangzhou", "shanghai", "final_index")),
        ),
    ),
    # --- Xinhua -----------------------------------------------------------------------------------------
    Claim(
        "X1",
        "xinhua",
        (Quote("新华街道的基层民主自治工作开展得卓有成效", 2, 83), Quote("取得了阶段性成果", 2, 101)),
        "Xinhua's grassroots self-governance was highly effective; it achieved results at a stage.",
        (
            Check(
                N_("Xinhua's final index minus the learning threshold (it reaches learning)"),
                _above("xinhua", "final_index", LEARNING),
            ),
            Check(
                N_("final index: Xinhua minus Shanghai, whose framework it shares"),
                _diff("xinhua", "shanghai", "final_index"),
            ),
        ),
    ),
    Claim(
        "X2",
        "xinhua",
        (Quote("长期以来存在脏乱差的局面,治安环境也不好", 2, 85), Quote("小区的综合环境改善非常大", 2, 85)),
        "The old compound was long dirty, messy and unsafe; after the group was set up it improved greatly.",
        (
            Check(
                N_("Xinhua's share of problems solved: the last year minus the first two years"),
                lambda r: r["xinhua"]["solved_last_year"] - r["xinhua"]["solved_first_two_years"],
            ),
        ),
    ),
    Claim(
        "X3",
        "xinhua",
        (
            Quote("基层党组织是通过做群众工作获得居民信任后才组织自治小组的", 2, 87),
            Quote("从建立与大家的信任开始,最终把小区的物业自治小组建立起来了", 2, 85),
        ),
        "The party organised the self-governance group only after winning residents' trust through its work.",
        (
            Check(
                N_("residents' own organisations at the end: Xinhua minus Xinhua with Shanghai's mobilising party"),
                _diff("xinhua", "xinhua_mobilising", "grassroots_final"),
            ),
            Check(
                N_("trust in strangers in the last year: Xinhua minus Xinhua with a mobilising party"),
                _diff("xinhua", "xinhua_mobilising", "trust_last_year"),
            ),
        ),
    ),
    Claim(
        "X4",
        "xinhua",
        (Quote("平时服务了、引领了,关键时刻才能领导与组织,才能实现基层自治", 2, 107),),
        "Only by serving and guiding day to day can the party lead and organise at the key moment.",
        (
            Check(
                N_("participation in the last year: Xinhua minus Xinhua with a mobilising party"),
                _diff("xinhua", "xinhua_mobilising", "participation_last_year"),
            ),
        ),
    ),
    Claim(
        "X5",
        "xinhua",
        (Quote("凡有重要决议,必须开“听证会”", 2, 85),),
        "Every important decision needs a hearing.",
        (
            Check(
                N_("share of participants in decisions in the last year: Xinhua minus Shanghai"),
                _diff("xinhua", "shanghai", "decision_last_year"),
            ),
        ),
    ),
    Claim(
        "X6",
        "xinhua",
        (Quote("俞静工作室已先后为街道培养了两批社区工作者", 2, 97),),
        "A professional studio trained two cohorts of community workers for the street.",
        (
            Check(
                N_("staff professionalism in the last year: Xinhua minus Shanghai"),
                _diff("xinhua", "shanghai", "professionalism_last_year"),
            ),
        ),
    ),
    Claim(
        "X7",
        "xinhua",
        (Quote("社区管理出了问题,政府无法包办,因为资金不足", 2, 87), Quote("那就只能居民自己管理", 2, 87)),
        "Government could not take care of it all, lacking the money, so residents had to manage it themselves.",
        (
            Check(
                N_("share of problems residents solve in the last year: Xinhua minus Xinhua with Shanghai's funding"),
                _diff("xinhua", "xinhua_funded", "residents_solving_last_year"),
            ),
        ),
    ),
    Claim(
        "X8",
        "xinhua",
        (Quote("居民的情绪保持了稳定,施工顺利进行,没有发生一起上访事件", 2, 89),),
        "During the metro construction residents stayed calm and no one petitioned.",
        outside=N_("the model has no construction project, petitions or compensation talks"),
    ),
    # --- the guardian -----------------------------------------------------------------------------------
    Claim(
        "G1",
        "guardian",
        (Quote("存在官方色彩浓重、自主独立性差、影响力不强、经费来源难以稳定以及内部治理体系不完善等诸多问题", 1, 29),),
        "Community self-governing organisations start with an official colour, poor independence and unstable funds.",
        (
            Check(
                N_("the learning threshold minus the guardian's starting index (it starts in dependence)"),
                _below("guardian", "index_start", LEARNING),
            ),
        ),
    ),
    Claim(
        "G2",
        "guardian",
        (
            Quote("政府作用的发挥会经历“抚养培育-辅助成长-指导监督”三个时期", 1, 27),
            Quote("索取依赖-学习进步-成熟独立", 1, 27),
        ),
        "Government passes through nurture, assist and supervise as society passes through dependence, learning "
        "and independence (a prediction).",
        (
            Check(
                N_("whether the stages and the roles both come in the theory's order (1 yes, 0 no), minus 0.5"),
                lambda r: r["guardian"]["theory_in_order"] - 0.5,
            ),
        ),
    ),
    Claim(
        "G3",
        "guardian",
        (Quote("当前阶段,地方政府不仅不应放手,而且应发挥主导作用", 1, 29),),
        "At this stage government must not let go, but lead.",
        (
            Check(
                N_("final index: the guardian minus early withdrawal"),
                _diff("guardian", "early_withdrawal", "final_index"),
            ),
        ),
    ),
    Claim(
        "G4",
        "guardian",
        (Quote("社区自治为主、政府仅做必要引导和严格监督的治理模式", 1, 29),),
        "In the end: self-governance first, government only guiding where necessary and supervising strictly.",
        (
            Check(
                N_("0.5 minus government's share of the work in the guardian's last year"),
                _below("guardian", "government_share_last_year", 0.5),
            ),
            Check(
                N_("the guardian's final index minus the independence threshold"),
                _above("guardian", "final_index", INDEPENDENCE),
            ),
        ),
    ),
    Claim(
        "G5",
        "guardian",
        (Quote("这些条件的实现都离不开政府的高度重视、关心支持和引导投入", 1, 39),),
        "These conditions all depend on government's attention, support and guiding investment.",
        (
            Check(
                N_("final index: the guardian minus the guardian at half its funding"),
                _diff("guardian", "guardian_half_funding", "final_index"),
            ),
        ),
    ),
    # --- early withdrawal -------------------------------------------------------------------------------
    Claim(
        "E1",
        "early_withdrawal",
        (Quote("这种自立能力尚弱的“幼小”主体急需“监护人”(政府)营造良好的环境,给予必要的帮助", 1, 29),),
        "The still weak 'young' body urgently needs its guardian's help (an argument; no essay reports a case of "
        "letting go early).",
        (
            Check(
                N_("the independence threshold minus the highest index early withdrawal reaches"),
                _below("early_withdrawal", "max_index", INDEPENDENCE),
            ),
        ),
    ),
    Claim(
        "E2",
        "early_withdrawal",
        (Quote("需要居民自治并不必然产生居民自治", 2, 87), Quote("难以自发形成自治组织来治理社区", 2, 103)),
        "Needing self-governance does not by itself produce it: residents can hardly form their own "
        "organisations unaided.",
        (
            Check(
                N_("residents' own organisations at the end: the guardian minus early withdrawal"),
                _diff("guardian", "early_withdrawal", "grassroots_final"),
            ),
        ),
    ),
    # --- Karamay ----------------------------------------------------------------------------------------
    Claim(
        "K1",
        "karamay",
        (Quote("社区活动参与者几乎都是老年人、低保户等群体", 6, 285),),
        "Participants in community activities are almost all elderly or on minimum income.",
        (
            Check(
                N_("share of Karamay's participants who are vulnerable, minus 0.5"),
                _above("karamay", "vulnerable_last_year", 0.5),
            ),
        ),
    ),
    Claim(
        "K2",
        "karamay",
        (Quote("社区居委会不断丧失了自治本色", 6, 253),),
        "The committee keeps losing its self-governing character.",
        (
            Check(
                N_("Karamay's committee autonomy: the start minus the last year"),
                lambda r: r["karamay"]["autonomy_start"] - r["karamay"]["autonomy_last_year"],
            ),
        ),
    ),
    Claim(
        "K3",
        "karamay",
        (Quote("社区现有社会组织大部分为政府机构的衍生物,行政色彩十分浓厚", 6, 255),),
        "Most existing organisations are offshoots of government bodies, strongly administrative.",
        (
            Check(
                N_("0.5 minus the share of Karamay's organisations residents founded"),
                lambda r: 0.5 - r["karamay"]["grassroots_final"] / max(r["karamay"]["ngos_final"], 1.0),
            ),
        ),
    ),
    Claim(
        "K4",
        "karamay",
        (
            Quote("仅31%的居民对同一社区的陌生人选择信任或非常信任", 6, 261),
            Quote("认为社区居委会代表政府的意志", 6, 267),
        ),
        "Only 31% trust strangers; over 70.54% think the committee represents the government's will.",
        (
            Check(
                N_("0.04 minus the distance of Karamay's trust in strangers from 0.31"),
                lambda r: 0.04 - abs(r["karamay"]["trust_last_year"] - 0.31),
            ),
        ),
        outside=N_("the calibration's targets: matching them shows the fit, not a test"),
        calibrated=True,
    ),
    Claim(
        "K5",
        "karamay",
        (Quote("居民认为参与并未影响最终的结果,缺少实际控制感,参与动力缺乏", 6, 283),),
        "Residents think taking part changes nothing; without a sense of control they lack motivation.",
        (
            Check(
                N_("residents' efficacy in the last year: the guardian's minus Karamay's"),
                _diff("guardian", "karamay", "efficacy_last_year"),
            ),
            Check(
                N_("participation in the last year: the guardian's minus Karamay's"),
                _diff("guardian", "karamay", "participation_last_year"),
            ),
        ),
    ),
    Claim(
        "K6",
        "karamay",
        (Quote("引导、培育和监督体系都没有同步建立", 6, 255),),
        "Guidance, fostering and supervision were not built alongside the organisations.",
        (
            Check(
                N_("organisations' hidden drift in the last year: Karamay's minus Shanghai's"),
                _diff("karamay", "shanghai", "drift_last_year"),
            ),
        ),
    ),
    Claim(
        "K7",
        "karamay",
        (Quote("社区繁重的工作日益超负荷,治理创新无从谈起", 6, 271),),
        "The heavy work is beyond capacity; innovation in governance is out of the question.",
        (
            Check(
                N_("Karamay's administrative load in the last year minus 0.7"), _above("karamay", "load_last_year", 0.7)
            ),
        ),
    ),
    # --- every configuration ----------------------------------------------------------------------------
    Claim(
        "A1",
        "all",
        (Quote("使公民在广泛、直接的政治参与中培育民主精神,提高民主能力", 4, 171),),
        "Essay 4: broad, direct participation cultivates democratic spirit and ability.",
        (
            Check(
                N_(
                    "rank correlation over the nine files between the share of participants in decisions and "
                    "residents' skill"
                ),
                _rank_correlation("decision_last_year", "skill_last_year", FILES),
            ),
        ),
    ),
    # --- cases without a configuration ------------------------------------------------------------------
    Claim(
        "U1",
        "huaguoshan",
        (
            Quote("新的社区治理体制虽然也面临一些问题", 6, 307),
            Quote("激发起居民参与社区治理的热情,凝聚了多方共治的合力", 6, 307),
        ),
        "Huaguoshan's council, elected by all residents every three years, faces some problems but raised "
        "residents' enthusiasm and pulled the parties together.",
        outside=N_(
            "no configuration: a council of the committee, organisations and local units under a big party "
            "committee is not in the model; its three-yearly vote is an anchor of the index (ODD 7.10), so "
            "it cannot also test it"
        ),
    ),
    Claim(
        "U2",
        "baibuting",
        (Quote("不仅提高了管理效率,还减少了政府的行政开支", 10, 459),),
        "Baibuting's enterprise-led management raised efficiency and cut government's administrative spending.",
        outside=N_("no configuration: the model has no developer or property company running a community"),
    ),
    Claim(
        "U3",
        "baibuting",
        (Quote("出现了社区内人人都是志愿者,人人都主动提供志愿服务的良好局面", 10, 463),),
        "Everyone in the community is a volunteer and volunteers actively.",
        outside=N_(
            "no configuration: the model has no enterprise paying the staff who volunteer; Baibuting is an "
            "anchor of the organisation component (ODD 7.10)"
        ),
    ),
)


def runs() -> dict[str, tuple[str, dict[str, Any]]]:
    """Every run the claims read: each configuration file as it is, and the variants."""
    return {**{name: (name, {}) for name in list_scenarios()}, **VARIANTS}


def claims_sweep(settings: Settings) -> dict[str, Any]:
    """One paired sweep over every run: replicate k has the same seed in every run."""
    configurations = {name: {"scenario": scenario, **overrides} for name, (scenario, overrides) in runs().items()}
    return paired_sweep("Claims: every configuration and one-change variants on paired seeds (docs/claims.md)",
                        configurations, seeds=settings.seeds, steps=settings.steps, seed=settings.seed,
                        n_residents=settings.n_residents, summary=SUMMARY)  # fmt: skip


# --- verdicts ------------------------------------------------------------------------------------------------


def claims_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per claim and check: the margin's mean and range over seeds, the seeds where it holds, the verdict."""
    by_seed = [{row["configuration"]: row for row in group.to_dict("records")}
               for _, group in summary.groupby("replicate", sort=True)]  # fmt: skip
    rows = []
    for claim in CLAIMS:
        margins = [np.array([check.margin(seed) for seed in by_seed]) for check in claim.checks]
        verdict = _verdict(claim, margins)
        for number, (check, values) in enumerate(zip(claim.checks, margins, strict=True), start=1):
            rows.append({"claim": claim.key, "configuration": claim.configuration, "check": number,
                         "what": check.what, "mean": float(values.mean()), "low": float(values.min()),
                         "high": float(values.max()), "holds": int((values > 0).sum()), "seeds": len(values),
                         "verdict": verdict})  # fmt: skip
        if not claim.checks:  # one row all the same, to say why it has no numbers
            rows.append({"claim": claim.key, "configuration": claim.configuration, "check": 0, "what": "",
                         "mean": np.nan, "low": np.nan, "high": np.nan, "holds": 0, "seeds": 0,
                         "verdict": verdict})  # fmt: skip
    return pd.DataFrame(rows)


def _verdict(claim: Claim, margins: list[np.ndarray]) -> str:
    if claim.calibrated:
        return "calibrated"
    if not claim.checks:
        return "outside the model"
    if all((m > 0).all() for m in margins):
        return "reproduced"
    if all(m.mean() > 0 for m in margins) or any((m > 0).all() for m in margins):
        return "partly"
    return "not reproduced"


VERDICTS = {"reproduced": N_("reproduced"), "partly": N_("partly"), "not reproduced": N_("not reproduced"),
            "outside the model": N_("outside the model"), "calibrated": N_("calibrated (not a test)")}  # fmt: skip


# --- the document ------------------------------------------------------------------------------------------


def markdown(table: pd.DataFrame, settings: Settings, lang: str = "en") -> str:
    """docs/claims.md: the claims by configuration, each with its quotes, checks, numbers and verdict."""
    _ = gettext_for(lang)
    counts = table.drop_duplicates("claim")["verdict"].value_counts()
    tally = ", ".join(f"{_(VERDICTS[v])} {counts.get(v, 0)}" for v in VERDICTS)
    lines = [
        _("# What the essays claim, and what the model reproduces"), "",
        _("Generated by `python -m simulation experiment claims` ({seeds} paired seeds, {residents} residents, "
          "{steps} months; simulation/experiments/claims.py says how each claim is tested). A check is a number per "
          "seed that is above 0 when the claim's direction holds; the table gives its mean, its range over the "
          "seeds and the seeds where it holds. Verdict: reproduced (every check in every seed), partly (every check "
          "on the mean, or one check in every seed), not reproduced; outside the model (with why); calibrated (a "
          "figure the model was fitted to). A claim the model fails stays here as a finding.").format(
            seeds=settings.seeds, residents=f"{settings.n_residents:,}", steps=settings.steps),
        "", _("{claims} claims: {tally}.").format(claims=len(CLAIMS), tally=tally), "",
    ]  # fmt: skip
    header = [_("claim"), _("essay (line)"), *([_("gloss")] if lang == "en" else []), _("check"), _("mean"),
              _("seed range"), _("holds"), _("verdict")]  # fmt: skip
    for configuration in dict.fromkeys(c.configuration for c in CLAIMS):
        lines += ["", f"## {_group_name(configuration, lang)}", "", "| " + " | ".join(header) + " |",
                  "|" + "---|" * len(header)]  # fmt: skip
        for claim in (c for c in CLAIMS if c.configuration == configuration):
            lines.append(_row(claim, table[table["claim"] == claim.key], lang))
    return "\n".join(lines) + "\n"


def _group_name(configuration: str, lang: str) -> str:
    _ = gettext_for(lang)
    special = {
        "four models": N_("essay 1's four models"),
        "all": N_("every configuration"),
        "huaguoshan": N_("Huaguoshan (no configuration)"),
        "baibuting": N_("Baibuting (no configuration)"),
    }
    return _(special[configuration]) if configuration in special else configuration_name(configuration, lang)


def _row(claim: Claim, rows: pd.DataFrame, lang: str) -> str:
    _ = gettext_for(lang)
    quotes = "<br>".join(f"{claim.key}: “{q.text}”" if i == 0 else f"“{q.text}”" for i, q in enumerate(claim.quotes))
    where = "<br>".join(_("essay {essay} ({line})").format(essay=q.essay, line=q.line) for q in claim.quotes)
    gloss = [claim.gloss] if lang == "en" else []
    verdict = _(VERDICTS[rows["verdict"].iloc[0]])
    if not claim.checks:
        return "| " + " | ".join([quotes, where, *gloss, _(claim.outside), "", "", "", verdict]) + " |"
    checks = "<br>".join(f"{r.check}. {_(r.what)}" for r in rows.itertuples())
    means = "<br>".join(f"{r.check}. {r.mean:+.3f}" for r in rows.itertuples())
    spans = "<br>".join(f"{r.check}. [{r.low:+.3f}, {r.high:+.3f}]" for r in rows.itertuples())
    holds = "<br>".join(f"{r.check}. {r.holds}/{r.seeds}" for r in rows.itertuples())
    if claim.calibrated:
        verdict = f"{verdict}: {_(claim.outside)}"
    return "| " + " | ".join([quotes, where, *gloss, checks, means, spans, holds, verdict]) + " |"


# --- running it ----------------------------------------------------------------------------------------------


@dataclass
class ClaimsResult:
    table: pd.DataFrame
    markdown: str
    files: list[Path]
    sweep: SweepResult


def run_claims(out_dir: str | Path, settings: Settings = Settings(), executor: Any = "processes",
               workers: int | None = None, scheduler: str | None = None, progress: bool | None = True,
               new_dir: bool = False, allow_large: bool = False, lang: str = "en") -> ClaimsResult:  # fmt: skip
    """Run (or resume) the claims' sweep, then write ``claims.csv`` (identifiers, English) and ``claims.md``."""
    spec = load_sweep(claims_sweep(settings), name="claims", allow_large=allow_large)
    out = free_results_parent(Path(out_dir), spec) if new_dir else Path(out_dir)
    sweep = run_sweep(spec, out / "sweep", executor=executor, workers=workers, scheduler=scheduler, progress=progress)
    table = claims_table(read_summary(out / "sweep"))
    text = markdown(table, settings, lang)
    files = [out / "claims.csv", out / "claims.md"]
    write_csv(table, files[0], index=False)
    write_text(files[1], text)
    return ClaimsResult(table, text, files, sweep)
