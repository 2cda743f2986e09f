"""Five guided experiments for a class, each built on one claim of the essays (the dashboard's Lessons tab).

A lesson names the runs it compares (its *variants*: a configuration and the levers changed from it), asks
the student a question before they run it, and afterwards says what to notice. What it says is computed
from the runs' own output: every number, every "higher" or "lower", and whether the student's prediction
held come from the tables, so a change of the model changes the lesson's words with it rather than leaving
a scripted claim behind. The first variant is the one the dashboard loads into its sliders.

Kept free of Solara so it can be tested and timed without a browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..experiments.plots import STAGE_COLOURS
from ..i18n import N_, gettext_for
from ..model.runner import run_scenario
from ..model.scenarios import load_scenario
from ..model.stages import STAGES
from ..names import stage_name

YEARS = 20
RESIDENTS = 1000  # the lesson's runs: about a second each on one core
SAME = 0.02  # final indices closer than this are "about the same" (the spread between seeds is about 0.02-0.05)
VARIANT_COLOURS = ("#c0392b", "#2f4b7c", "#7f8c8d")


@dataclass(frozen=True)
class Variant:
    """One run of a lesson: a configuration and the levers changed from it."""

    key: str
    label: str  # marked with N_, translated where shown
    configuration: str
    levers: tuple[tuple[str, Any], ...] = ()

    @property
    def changes(self) -> dict[str, Any]:
        return dict(self.levers)


@dataclass(frozen=True)
class Outcome:
    """What a student looks at in one run, read from its per-month table."""

    final_index: float  # mean of the last 12 months, as the ODD's tables report it
    final_stage: str
    first_independence: int | None
    trust_start: float
    trust_final: float
    trust_min: float
    trust_min_month: int
    admin_done: float
    decision_share: float
    ngos: float
    grassroots_ngos: float
    ngo_independence: float
    scandals: int
    reliance: float
    cost: float
    index: np.ndarray = field(repr=False, compare=False)


def outcome(table: pd.DataFrame) -> Outcome:
    """The lesson's numbers of one run."""
    last = table.tail(12)
    trust = table["trust_in_strangers"].to_numpy()
    independent = table.loc[table["stage"] == "independence", "step"]
    return Outcome(
        final_index=float(last["self_governance_index"].mean()),
        final_stage=str(table["stage"].iloc[-1]),
        first_independence=int(independent.iloc[0]) if len(independent) else None,
        trust_start=float(trust[0]),
        trust_final=float(last["trust_in_strangers"].mean()),
        trust_min=float(trust.min()),
        trust_min_month=int(table["step"].iloc[int(trust.argmin())]),
        admin_done=float(table["admin_task_completion"].iloc[1:].mean()),
        decision_share=float(last["decision_participation_share"].mean()),
        ngos=float(last["ngo_count"].mean()),
        grassroots_ngos=float(last["grassroots_ngo_count"].mean()),
        ngo_independence=float(last["ngo_independence"].mean()),
        scandals=int(table["scandals"].sum()),
        reliance=float(last["mean_reliance"].mean()),
        cost=float(table["public_cost"].sum()),
        index=table["self_governance_index"].to_numpy(),
    )


Outcomes = dict[str, Outcome]


@dataclass(frozen=True)
class Lesson:
    """A guided experiment: what the essays claim, the question, the runs, and what to notice afterwards."""

    key: str
    title: str
    claim: str  # the essays' claim, in the reader's language
    quote: str  # the essays' own words (Chinese, shown as they are in both languages)
    question: str
    choices: tuple[tuple[str, str], ...]  # (key, label) of the predictions a student can make
    variants: tuple[Variant, ...]
    answer: Callable[[Outcomes], str]  # the choice the runs bear out
    notice: Callable[[Outcomes, str], list[str]]  # what to notice, computed from the runs

    @property
    def loaded(self) -> Variant:
        """The variant the dashboard loads: its configuration and sliders."""
        return self.variants[0]


# --- words computed from numbers -------------------------------------------------------------------------------------
def _direction(a: float, b: float, tol: float = SAME) -> str:
    """'higher', 'lower' or 'about the same': how a compares with b (message ids, translated by the caller)."""
    if a > b + tol:
        return N_("higher")
    if a < b - tol:
        return N_("lower")
    return N_("about the same")


def _reached(o: Outcome, lang: str) -> str:
    _ = gettext_for(lang)
    if o.first_independence is None:
        return _("never reached independence")
    return _("reached independence in year {year:.1f}").format(year=o.first_independence / 12)


def variant_line(variant: Variant, o: Outcome, lang: str) -> str:
    """One run in one line: final index, stage at the end, and whether and when it became independent."""
    _ = gettext_for(lang)
    return _("{label}: final index {index:.2f}, ends in the {stage} stage, {reached}.").format(
        label=_capital(_(variant.label)), index=o.final_index, stage=stage_name(o.final_stage, lang),
        reached=_reached(o, lang),
    )  # fmt: skip


COMPARED = {N_("higher"): N_("{a} ends higher than {b} ({x:.2f} against {y:.2f})."),
            N_("lower"): N_("{a} ends lower than {b} ({x:.2f} against {y:.2f})."),
            N_("about the same"): N_("{a} ends about the same as {b} ({x:.2f} against {y:.2f}).")}  # fmt: skip


def _capital(text: str) -> str:
    """A label at the start of a sentence (Chinese has no capitals, so it is unchanged)."""
    return text[:1].upper() + text[1:]


def _compare_index(a: Outcome, b: Outcome, a_label: str, b_label: str, lang: str) -> str:
    """'A ends higher than B (x against y).': the direction is read from the two final indices."""
    _ = gettext_for(lang)
    sentence = COMPARED[_direction(a.final_index, b.final_index)]
    return _(sentence).format(a=_capital(_(a_label)), b=_(b_label), x=a.final_index, y=b.final_index)


# --- lesson 1: premature withdrawal ----------------------------------------------------------------------------------
def _withdrawal_notice(o: Outcomes, lang: str) -> list[str]:
    _ = gettext_for(lang)
    early, guardian = o["early"], o["guardian"]
    lines = [_compare_index(early, guardian, N_("Letting go at once"), N_("the guardian"), lang)]
    lines.append(
        _("Trust in strangers under early withdrawal went from {start:.0%} to {low:.0%} at its lowest (month {month}) "
          "and ended at {end:.0%}; under the guardian it ended at {other:.0%}.").format(
            start=early.trust_start, low=early.trust_min, month=early.trust_min_month, end=early.trust_final,
            other=guardian.trust_final)
    )  # fmt: skip
    saved = 1 - early.cost / guardian.cost if guardian.cost else 0.0
    if early.first_independence is None and guardian.first_independence is not None:
        lines.append(_("Letting go saved {saved:.0%} of the public cost, but the community never became independent; "
                       "the guardian's did in year {year:.1f}.").format(
            saved=saved, year=guardian.first_independence / 12))  # fmt: skip
    else:
        lines.append(_("Letting go saved {saved:.0%} of the public cost.").format(saved=saved))
    return lines


def _withdrawal_answer(o: Outcomes) -> str:
    return _direction(o["early"].final_index, o["guardian"].final_index)


# --- lesson 2: administrativisation as a dose ------------------------------------------------------------------------
LOADS = (0.9, 0.6, 0.3)


def _admin_notice(o: Outcomes, lang: str) -> list[str]:
    _ = gettext_for(lang)
    runs = [o[f"load_{load}"] for load in LOADS]
    done = ", ".join(f"{r.admin_done:.0%}" for r in runs)
    lines = []
    if all(r.admin_done >= 0.9 for r in runs):
        lines.append(_("Administrative tasks done at loads 0.9, 0.6 and 0.3: {done}. The tasks get done: "
                       "administratively effective.").format(done=done))  # fmt: skip
    else:
        lines.append(_("Administrative tasks done at loads 0.9, 0.6 and 0.3: {done}.").format(done=done))
    stages = ", ".join(stage_name(r.final_stage, lang) for r in runs)
    if all(r.final_stage == "dependence" for r in runs):
        lines.append(_("Stage at the end: {stages}. At no load does the community leave dependence: ineffective at "
                       "governance (行政有效、治理无效).").format(stages=stages))  # fmt: skip
    else:
        lines.append(_("Stage at the end: {stages}.").format(stages=stages))
    index = [r.final_index for r in runs]
    steady = index[0] < index[1] < index[2]
    text = (_("The final index rises step by step as the load falls: {a:.3f}, {b:.3f}, {c:.3f}; a dose, and a small "
              "one.") if steady else _("The final index at the three loads: {a:.3f}, {b:.3f}, {c:.3f}."))  # fmt: skip
    lines.append(text.format(a=index[0], b=index[1], c=index[2]))
    lines.append(_("Participants who take part in decisions at the end: {shares}.").format(
        shares=", ".join(f"{r.decision_share:.0%}" for r in runs)))  # fmt: skip
    return lines


def _admin_answer(o: Outcomes) -> str:
    return "yes" if any(o[f"load_{load}"].final_stage != "dependence" for load in LOADS[1:]) else "no"


# --- lesson 3: fostering organisations -------------------------------------------------------------------------------
def _fostering_notice(o: Outcomes, lang: str) -> list[str]:
    _ = gettext_for(lang)
    fostered, bare, above = o["incubation"], o["no_incubation"], o["from_above"]
    return [
        _("Organisations at the end: {f:.0f} with incubation ({fg:.0f} founded by residents), {b:.0f} without "
          "({bg:.0f}), {a:.0f} when government creates them from above ({ag:.0f}).").format(
            f=fostered.ngos, fg=fostered.grassroots_ngos, b=bare.ngos, bg=bare.grassroots_ngos, a=above.ngos,
            ag=above.grassroots_ngos),
        _("Their mean independence: {f:.2f} with incubation, {a:.2f} with organisations from above.").format(
            f=fostered.ngo_independence, a=above.ngo_independence),
        _compare_index(fostered, bare, N_("Incubating residents' own organisations"), N_("no incubation"), lang),
        _compare_index(above, fostered, N_("Creating organisations from above"), N_("incubation"), lang),
    ]  # fmt: skip


def _fostering_answer(o: Outcomes) -> str:
    direction = _direction(o["incubation"].final_index, o["from_above"].final_index)
    return {"higher": "incubation", "lower": "above"}.get(direction, "same")


# --- lesson 4: the party cell as organisation of organisations ----------------------------------------------------
def _party_notice(o: Outcomes, lang: str) -> list[str]:
    _ = gettext_for(lang)
    without, with_ = o["no_party"], o["party"]
    return [
        _compare_index(without, with_, N_("Without party members"), N_("with them"), lang),
        _("Trust in strangers at the end: {a:.0%} without party members, {b:.0%} with them.").format(
            a=without.trust_final, b=with_.trust_final),
        _("Organisations at the end: {a:.0f} without party members, {b:.0f} with them.").format(
            a=without.ngos, b=with_.ngos),
    ]  # fmt: skip


def _party_answer(o: Outcomes) -> str:
    return _direction(o["no_party"].final_index, o["party"].final_index)


# --- lesson 5: the guardian's timing ---------------------------------------------------------------------------------
def _timing_notice(o: Outcomes, lang: str) -> list[str]:
    _ = gettext_for(lang)
    away, watching, guardian = o["walk_away"], o["watching"], o["guardian"]
    return [
        _("Scandals (drift or capture that came out): {a} when government walks away, {w} when it keeps watching, "
          "{g} under the responsive guardian.").format(a=away.scandals, w=watching.scandals, g=guardian.scandals),
        _compare_index(away, watching, N_("Walking away in year 4"), N_("letting go and watching"), lang),
        _compare_index(watching, guardian, N_("Letting go in year 4"), N_("the guardian, who steps back when the "
                                                                          "measured stage allows"), lang),
        _("Trust in strangers at the end: {a:.0%}, {w:.0%} and {g:.0%}.").format(
            a=away.trust_final, w=watching.trust_final, g=guardian.trust_final),
    ]  # fmt: skip


def _timing_answer(o: Outcomes) -> str:
    return _direction(o["walk_away"].final_index, o["watching"].final_index)


DIRECTION_CHOICES = ((N_("higher"), N_("higher")), (N_("about the same"), N_("about the same")),
                     (N_("lower"), N_("lower")))  # fmt: skip

LESSONS: tuple[Lesson, ...] = (
    Lesson(
        key="withdrawal",
        title=N_("1. Premature withdrawal"),
        claim=N_(
            "The essays warn that at today's low capacity government must not simply let go: a young "
            "self-governing body still needs its guardian."
        ),  # fmt: skip
        quote="这种自立能力尚弱的“幼小”主体急需“监护人”(政府)营造良好的环境,给予必要的帮助……当前阶段,地方政府不仅不应放手",
        question=N_(
            "Government withdraws all support in the first month. After 20 years, will the community's "
            "self-governance index be higher or lower than under the guardian, who steps back only as the "
            "community matures?"
        ),  # fmt: skip
        choices=DIRECTION_CHOICES,
        variants=(
            Variant("early", N_("Letting go at once"), "early_withdrawal"),
            Variant("guardian", N_("the guardian"), "guardian"),
        ),  # fmt: skip
        answer=_withdrawal_answer,
        notice=_withdrawal_notice,
    ),
    Lesson(
        key="administrativisation",
        title=N_("2. Administratively effective, ineffective at governance"),
        claim=N_(
            "Heavy administrative work pushed down to the committee gets done, but no capacity of the "
            "community's own grows. Shanghai's administrative load is the dose: lower it and watch."
        ),
        quote="我们的基层治理经常会出现“行政有效,治理无效”的情况",
        question=N_(
            "Shanghai pushes down administrative work at load 0.9. If government lowers the load to 0.3 "
            "and changes nothing else, will the community leave the dependence stage within 20 years?"
        ),
        choices=(("yes", N_("yes")), ("no", N_("no"))),
        variants=(
            Variant("load_0.9", N_("admin load 0.9"), "shanghai", (("admin_load", 0.9),)),
            Variant("load_0.6", N_("admin load 0.6"), "shanghai", (("admin_load", 0.6),)),
            Variant("load_0.3", N_("admin load 0.3"), "shanghai", (("admin_load", 0.3),)),
        ),  # fmt: skip
        answer=_admin_answer,
        notice=_admin_notice,
    ),
    Lesson(
        key="fostering",
        title=N_("3. Fostering organisations"),
        claim=N_(
            "Organisations that grow out of residents' own needs become an inner force; organisations "
            "embedded from above solve management problems but not governance."
        ),
        quote="嵌入的组织能够解决社区“管理”的问题,但是不能转化为社区本身的一个内在的力量",
        question=N_(
            "In Hangzhou, which builds more self-governance in 20 years: incubating residents' own "
            "organisations, or government creating organisations from above?"
        ),
        choices=(
            ("incubation", N_("incubation")),
            ("same", N_("no difference")),
            ("above", N_("organisations from above")),
        ),  # fmt: skip
        variants=(
            Variant("incubation", N_("incubation 0.8"), "hangzhou", (("incubation", 0.8),)),
            Variant("no_incubation", N_("no incubation"), "hangzhou", (("incubation", 0.0),)),
            Variant(
                "from_above",
                N_("no incubation, 2 organisations a year from above"),
                "hangzhou",
                (("incubation", 0.0), ("top_down_ngo_rate", 2.0)),
            ),
        ),  # fmt: skip
        answer=_fostering_answer,
        notice=_fostering_notice,
    ),
    Lesson(
        key="party",
        title=N_("4. The party cell as organisation of organisations"),
        claim=N_(
            "Party cells that serve residents earn their trust, mediate, organise residents' own groups and "
            "link organisations: the core of the four levels of governance."
        ),
        quote="基层治理体系就是由个人、居民组织、组织的组织、政府四个层次构成的",
        question=N_(
            "Take the party members out of the guardian's community (party members' share 0). After 20 "
            "years, will its self-governance index be higher, the same or lower?"
        ),
        choices=DIRECTION_CHOICES,
        variants=(
            Variant("no_party", N_("no party members"), "guardian", (("party_member_share", 0.0),)),
            Variant("party", N_("party members 8%"), "guardian"),
        ),  # fmt: skip
        answer=_party_answer,
        notice=_party_notice,
    ),
    Lesson(
        key="timing",
        title=N_("5. The guardian's timing"),
        claim=N_(
            "Government should step back when society can carry itself, and keep guiding and supervising "
            "after it does (指导监督), not walk away."
        ),
        quote="自治为主、政府仅做必要引导和严格监督的治理模式",
        question=N_(
            "Government lets go in year 4 and stops watching (supervision 0). Compared with letting go in "
            "year 4 and keeping watch, will the community end higher, the same or lower?"
        ),
        choices=DIRECTION_CHOICES,
        variants=(
            Variant(
                "walk_away",
                N_("let go in year 4, supervision 0"),
                "guardian",
                (("withdraw_at_step", 48), ("supervision", 0.0)),
            ),
            Variant("watching", N_("let go in year 4, supervision 0.6"), "guardian", (("withdraw_at_step", 48),)),
            Variant("guardian", N_("the responsive guardian"), "guardian"),
        ),  # fmt: skip
        answer=_timing_answer,
        notice=_timing_notice,
    ),
)
LESSONS_BY_KEY = {lesson.key: lesson for lesson in LESSONS}


# --- running a lesson ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LessonResult:
    lesson_key: str
    seed: int
    outcomes: dict[str, Outcome]

    @property
    def lesson(self) -> Lesson:
        return LESSONS_BY_KEY[self.lesson_key]


def run_lesson(
    lesson: Lesson,
    seed: int,
    n_residents: int = RESIDENTS,
    years: int = YEARS,
    on_progress: Callable[[int, int], None] | None = None,
    should_continue: Callable[[], bool] = lambda: True,
) -> LessonResult | None:
    """Run every variant with the same seed (a paired comparison); None if stopped early."""
    outcomes = {}
    for done, variant in enumerate(lesson.variants, start=1):
        if not should_continue():
            return None
        table = run_scenario(variant.configuration, steps=12 * years, seed=seed, n_residents=n_residents,
                             **variant.changes)  # fmt: skip
        outcomes[variant.key] = outcome(table)
        if on_progress is not None:
            on_progress(done, len(lesson.variants))
    return LessonResult(lesson.key, seed, outcomes)


def what_to_notice(result: LessonResult, lang: str = "en") -> list[str]:
    """The lines a student reads after the run: each run in one line, then the lesson's comparisons."""
    lesson = result.lesson
    lines = [variant_line(v, result.outcomes[v.key], lang) for v in lesson.variants]
    return lines + lesson.notice(result.outcomes, lang)


def prediction_feedback(result: LessonResult, prediction: str | None, lang: str = "en") -> str:
    """Whether the runs bear out the student's prediction (a prediction is asked before the run)."""
    _ = gettext_for(lang)
    lesson = result.lesson
    answer = lesson.answer(result.outcomes)
    labels = dict(lesson.choices)
    if prediction is None:
        return _("This run's answer: {answer}.").format(answer=_(labels[answer]))
    if prediction == answer:
        return _("You predicted: {prediction}. This run bears it out.").format(prediction=_(labels[prediction]))
    return _("You predicted: {prediction}. This run says: {answer}. Look at what to notice below: why?").format(
        prediction=_(labels[prediction]), answer=_(labels[answer])
    )


def draw_lesson(result: LessonResult, lang: str = "en") -> Figure:
    """The index of each of the lesson's runs over the stage bands (the same seed: a paired comparison)."""
    _ = gettext_for(lang)
    fig = Figure(figsize=(7.0, 3.4), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    lesson = result.lesson
    params = load_scenario(lesson.loaded.configuration).params
    edges = (0.0, params.learning_threshold, params.independence_threshold, 1.0)
    for stage, low, high in zip(STAGES, edges[:-1], edges[1:], strict=True):
        ax.axhspan(low, high, color=STAGE_COLOURS[stage], zorder=0, lw=0)
        ax.text(0.99, (low + high) / 2, stage_name(stage, lang), transform=ax.get_yaxis_transform(), ha="right",
                va="center", fontsize=8, color="#666666")  # fmt: skip
    for colour, variant in zip(VARIANT_COLOURS, lesson.variants, strict=False):
        index = result.outcomes[variant.key].index
        ax.plot(np.arange(index.size) / 12, index, color=colour, lw=1.6, label=_(variant.label))
    ax.set_ylim(0, 1)
    ax.set_xlim(0, YEARS)
    ax.set_xlabel(_("years"))
    ax.set_ylabel(_("self-governance index"))
    ax.legend(loc="upper left", fontsize=8, framealpha=0.85)
    return fig


__all__ = ["LESSONS", "LESSONS_BY_KEY", "Lesson", "LessonResult", "draw_lesson", "prediction_feedback",
           "run_lesson", "what_to_notice"]  # fmt: skip
