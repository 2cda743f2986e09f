"""The dashboard's Lessons tab (课程): five guided experiments, each loaded, predicted, run and read.

A lesson is loaded with one click (the configuration and sliders of its first run go into the sidebar
and the model), the student answers its question, then runs it: every run of the lesson with the tab's
seed, in a thread, with a progress bar. What to notice afterwards is computed from those runs
(:mod:`simulation.dashboard.lessons`).
"""

from __future__ import annotations

import solara
import solara.lab

from ..fonts import can_draw
from ..i18n import gettext_for
from ..names import configuration_name
from . import lessons
from .prose import Prose, passage
from .session import use_session

PNG = {"format": "png", "pil_kwargs": {"compress_level": 1}}


def seed_of(text: str) -> int:
    """The tab's seed as the lesson uses it (the same rule as the dashboard's own seed box)."""
    import zlib

    text = str(text).strip()
    return int(text) if text.isdigit() else zlib.crc32(text.encode("utf-8"))


@solara.lab.task
def lesson_task(key: str, seed: int) -> lessons.LessonResult | None:
    """Run a lesson's runs in a thread, publishing progress for the bar."""

    def progress(done: int, total: int) -> None:
        lesson_task.progress = 100.0 * done / total

    lesson_task.progress = 0.0
    return lessons.run_lesson(lessons.LESSONS_BY_KEY[key], seed, on_progress=progress,
                              should_continue=lesson_task.is_current)  # fmt: skip


def _result_for(key: str, seed: int) -> lessons.LessonResult | None:
    latest = lesson_task.latest if not lesson_task.not_called else None
    if latest is not None and latest.lesson_key == key and latest.seed == seed:
        return latest
    return None


@solara.component
def LessonsView(model):
    """Pick a lesson, load it, predict, run, and read what to notice."""
    session = use_session()
    lang = session.lang.value
    _ = gettext_for(lang)
    chosen = solara.use_reactive(lessons.LESSONS[0].key)
    with solara.Column(classes=["dash-wide", "lessons-view"]):
        Prose(passage("lessons", lang))  # what a lesson is and how to take one (prose/<lang>/lessons.md)
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            for lesson in lessons.LESSONS:
                solara.Button(_(lesson.title), on_click=lambda key=lesson.key: chosen.set(key),
                              color="primary", outlined=lesson.key != chosen.value,
                              classes=["lesson-pick", f"lesson-pick-{lesson.key}"])  # fmt: skip
        LessonCard(lessons.LESSONS_BY_KEY[chosen.value]).key(f"lesson-{chosen.value}")


@solara.component
def LessonCard(lesson: lessons.Lesson):
    """One lesson: the claim, step 1 load, step 2 predict, step 3 run, then what to notice."""
    session = use_session()
    lang = session.lang.value
    _ = gettext_for(lang)
    prediction: solara.Reactive[str | None] = solara.use_reactive(None)  # the chosen answer's key
    model = session.model.value
    seed = seed_of(model.seed_text)
    loaded = model.configuration == lesson.loaded.configuration and all(
        abs(float(getattr(model.params, k)) - float(v)) < 1e-9 for k, v in lesson.loaded.levers
    )
    with solara.Card(_(lesson.title), classes=["lesson-card", f"lesson-{lesson.key}"]):
        Prose(_(lesson.claim) + "\n\n> " + lesson.quote)
        _load_step(lesson, session, loaded, _)
        solara.Text(_("2. Before you run it: ") + _(lesson.question), classes=["lesson-question"],
                    style={"font-weight": "600"})  # fmt: skip
        # The buttons show the choices in the reader's language; the prediction is kept as the choice's key.
        keys = {_(label): key for key, label in lesson.choices}
        shown = next((text for text, key in keys.items() if key == prediction.value), None)
        # Not mandatory: a mandatory toggle selects its first choice itself, and the student must choose.
        solara.ToggleButtonsSingle(value=shown, values=list(keys), on_value=lambda text: prediction.set(keys.get(text)),
                                   mandatory=False, classes=["lesson-prediction"])  # fmt: skip
        _run_step(lesson, seed, prediction.value, _)
        result = _result_for(lesson.key, seed)
        if result is not None:
            LessonOutcome(result, prediction.value)


def _load_step(lesson: lessons.Lesson, session, loaded: bool, _) -> None:
    variant = lesson.loaded
    changes = ", ".join(f"{k} = {v:g}" for k, v in variant.levers) or _("no changes")
    model = session.model.value

    def load() -> None:
        session.load(configuration=variant.configuration, seed=model.seed_text,
                     n_residents=model.params.n_residents, **variant.changes)  # fmt: skip

    with solara.Row(style={"align-items": "center"}):
        solara.Button(_("1. Load the lesson"), on_click=load, color="primary", outlined=loaded,
                      classes=["lesson-load"])  # fmt: skip
        solara.Text(_("{configuration} with {changes}").format(
            configuration=configuration_name(variant.configuration, session.lang.value), changes=changes)
            + (" — " + _("loaded: the sidebar and the Community tab show it") if loaded else ""),
            style={"font-size": "13px", "color": "#555"})  # fmt: skip


def _run_step(lesson: lessons.Lesson, seed: int, prediction: str | None, _) -> None:
    runs = len(lesson.variants)
    with solara.Row(style={"align-items": "center"}):
        solara.Button(_("3. Run the lesson ({runs} runs of 20 years, seed {seed})").format(runs=runs, seed=seed),
                      color="primary", disabled=prediction is None or lesson_task.pending,
                      on_click=lambda: lesson_task(lesson.key, seed), classes=["lesson-run"])  # fmt: skip
        if prediction is None:
            solara.Text(_("Answer the question first."), style={"font-size": "13px", "color": "#555"})
        if lesson_task.pending:
            solara.Text(_("running: {done:.0f}% done").format(done=lesson_task.progress or 0))
    if lesson_task.pending:
        solara.ProgressLinear(lesson_task.progress or True)
    if lesson_task.error:
        solara.Error(_("The lesson's run failed: {error}").format(error=lesson_task.exception))


@solara.component
def LessonOutcome(result: lessons.LessonResult, prediction: str | None):
    """The runs' index over the stage bands, whether the prediction held, and what to notice."""
    session = use_session()
    lang = session.lang.value
    _ = gettext_for(lang)
    figure_lang = lang if can_draw(lang) else "en"
    fig = solara.use_memo(lambda: lessons.draw_lesson(result, figure_lang), [result, figure_lang])
    with solara.Column(classes=["lesson-outcome"]):
        solara.FigureMatplotlib(fig, dependencies=[result, figure_lang], dpi=80, **PNG)
        solara.Text(lessons.prediction_feedback(result, prediction, lang), classes=["lesson-feedback"],
                    style={"font-weight": "600"})  # fmt: skip
        items = "\n".join(f"- {line}" for line in lessons.what_to_notice(result, lang))
        Prose("#### " + _("What to notice") + "\n\n" + items, classes=["lesson-notice"])
