"""The dashboard's page: explore the community model in the browser, in English or Chinese.

Run it with ``python -m simulation dashboard`` (see :mod:`simulation.dashboard.server`) or
``solara run simulation/dashboard/app.py``. Every word is in English or Chinese: the 中文 / English switch in the
bar at the top changes every text and redraws the figures, and ``?lang=zh`` in the address starts in
Chinese (:mod:`simulation.i18n`). Five tabs:

- **Community**: the stage indicator (where the community is, what government does), the
  social-capital network, and the self-governance index over the stage bands;
- **Measures**: trust, participation and its composition, NGOs, the committee, public cost;
- **Compare**: the configurations side by side over several seeds (computed on demand, cached);
- **Theory**: the stage theory and every configuration, in a few paragraphs;
- **Lessons**: five guided experiments for a class (:mod:`simulation.dashboard.lessons_view`).

The page is composed of Solara components, not Mesa's SolaraViz, whose sidebar, bar, buttons and tabs speak
English only. The sidebar has its own Reset, Play and Step (:mod:`simulation.dashboard.controller`, whose play
loop waits for the page to draw each month), and shows each slider's value on its label's line (Mesa's floats in
a bubble between rows). The long texts are Markdown files (:mod:`simulation.dashboard.prose`).

Every browser tab gets its own model, built inside :func:`Layout` (a module-level model, as in Mesa's examples,
would be shared by every tab until Reset); how many tabs are served at once, and when an idle tab's model is
freed, is :mod:`simulation.dashboard.sessions`.
"""

from __future__ import annotations

import base64
import functools
import math
import threading
import traceback
from collections.abc import Callable
from typing import Any

import reacton.core as reacton_core
import solara
import solara.lab
from mesa.visualization import Slider
from mesa.visualization.utils import update_counter

# Absolute imports: `solara run simulation/dashboard/app.py` loads this file as a script, outside its package.
from simulation.dashboard import views
from simulation.dashboard.controller import RunControls
from simulation.dashboard.controls import (
    CONTROLLED,
    DEFAULT_CONFIGURATION,
    DEFAULT_RESIDENTS,
    DEFAULT_SEED,
    LEVER_CHOICES,
    LEVER_SLIDERS,
    RESIDENTS_RANGE,
    RefusedValue,
    SliderSpec,
    UnknownConfiguration,
    offered_configuration,
    offered_control,
    offered_controls,
    seed_from_text,
)
from simulation.dashboard.lessons_view import LessonsView
from simulation.dashboard.prose import Prose, passage
from simulation.dashboard.session import Session, default_language, failure_message, log_failure, use_session
from simulation.dashboard.sessions import IdleWatch, SessionGate
from simulation.experiments.plots import STAGE_COLOURS
from simulation.fonts import FAMILY as FONT_FAMILY
from simulation.fonts import can_draw, missing_font_message, web_font_path
from simulation.i18n import LANGUAGE_NAMES, LANGUAGES, N_, gettext_for
from simulation.model.community import CommunityModel
from simulation.model.parameters import FIELDS
from simulation.model.scenarios import list_scenarios, load_scenario
from simulation.model.stages import STAGES
from simulation.names import choice_name, configuration_name, role_name, scenario_text, stage_name

TITLE = N_("Community self-governance: from dependence to independence")
PNG = {"format": "png", "pil_kwargs": {"compress_level": 1}}  # fast to encode; size does not matter locally


# --- the model the dashboard builds -----------------------------------------------------------------------------------
def _differs(value: Any, base: Any) -> bool:
    if isinstance(base, str):
        return value != base
    return not math.isclose(float(value), float(base), abs_tol=1e-9)


def lever_changes(configuration: str, levers: dict[str, Any]) -> dict[str, Any]:
    """The levers that differ from the configuration's own values (None means: keep the configuration's)."""
    base = load_scenario(configuration).params
    changes = {}
    for name, value in levers.items():
        if value is None:
            continue
        if not isinstance(value, str):
            value = round(float(value), 6)
            value = int(value) if FIELDS[name].type == "int" else value
        if _differs(value, getattr(base, name)):
            changes[name] = value
    return changes


class DashboardModel(CommunityModel):
    """``CommunityModel`` built from the dashboard's controls: a configuration, a size, a seed and the levers.

    The levers are keywords named as in :data:`~simulation.dashboard.controls.CONTROLLED`, where each control is
    declared once (its choices or its range). Every keyword is checked against what the page offers before any
    file is read, and a name that is no control is refused like a forged value. A lever left out, None or at the
    configuration's value is not passed on, so the model is exactly the configuration plus the student's changes
    (``changes``). The configuration is a name, never a path (:func:`offered_configuration`).
    """

    CONTROLLED = CONTROLLED  # the levers the sidebar sets (session.control_values)

    def __init__(
        self,
        *,
        configuration: str = DEFAULT_CONFIGURATION,
        n_residents: int = DEFAULT_RESIDENTS,
        seed: int | str = DEFAULT_SEED,
        **levers: Any,
    ) -> None:
        # Every value came from a browser: checked against what the page offers before any file is read or any
        # run starts (the configuration first: a name, never a path).
        configuration = offered_configuration(configuration)
        n_residents, seed = offered_control("n_residents", n_residents), offered_control("seed", seed)
        levers = offered_controls(levers)
        self.configuration = configuration
        self.seed_text = str(seed)
        self.changes = lever_changes(configuration, levers)
        # Play steps the model in a thread of its own while the page renders in others: a figure drawn halfway
        # through a month read 78 values against 77 months (issue 23). Stepping and reading hold this lock.
        self.lock = threading.RLock()
        super().__init__(scenario=configuration, n_residents=n_residents, rng=seed_from_text(seed), **self.changes)
        # Mesa's Model.__init__ replaced ``self.step`` by a wrapper that counts the month (``steps``, ``time``)
        # before the month runs: the lock must hold around that wrapper too, or a reader sees the new count with
        # the old records. So the instance's step is wrapped once more, here.
        self.step = self._locked(self.step)  # type: ignore[method-assign]

    def _locked(self, step: Callable[[], None]) -> Callable[[], None]:
        def step_whole_month() -> None:
            """One month, never seen half-done: the page reads the model under the same lock (:func:`still`)."""
            with self.lock:
                step()

        return step_whole_month


def still(model: DashboardModel, read: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``read(*args, **kwargs)`` while the model is not being stepped, for anything that reads a month's records."""
    with model.lock:
        return read(*args, **kwargs)


def model_params(model: DashboardModel, lang: str = "en") -> dict[str, Any]:
    """The controls in Mesa's ``model_params`` form, set to the values the current model runs with.

    The dashboard draws its own controls (:func:`Controls`); this form is what they describe, and what
    rebuilds the same model (the tests check that round trip for every configuration).
    """
    _ = gettext_for(lang)
    p = model.params
    low, high, step = RESIDENTS_RANGE
    params: dict[str, Any] = {
        "configuration": model.configuration,
        "seed": {"type": "InputText", "value": model.seed_text, "label": _("Random seed")},
        "n_residents": Slider(_("Residents"), value=min(high, max(low, p.n_residents)), min=low, max=high, step=step),
    }
    for name, (label, choices) in LEVER_CHOICES.items():
        params[name] = {"type": "Select", "value": getattr(p, name), "values": list(choices), "label": _(label)}
    for name, spec in LEVER_SLIDERS.items():
        params[name] = _lever_slider(name, spec, getattr(p, name), _(spec.label))
    return params


def _lever_slider(name: str, spec: SliderSpec, value: float, label: str) -> Slider:
    low, high = spec.bounds(name)
    if FIELDS[name].type == "int":
        return Slider(label, value=int(min(high, max(low, value))), min=int(low), max=int(high), step=int(spec.step))
    value = min(high, max(low, float(value)))
    return Slider(label, value=value, min=float(low), max=float(high), step=float(spec.step), dtype=float)


# --- the sidebar's controls -------------------------------------------------------------------------------------------
@solara.component
def LabelledSlider(name: str, label: str, value: float, low: float, high: float, step: float, on_value: Any):
    """A slider under a row with its label and its value, so a value never floats between two sliders.

    Vuetify's thumb label (Mesa's default) floats above the thumb, into the row above; here it is off and the
    value sits on the label's own line. The slider keeps the label as its accessible name (hidden by CSS).
    """
    shown = f"{value:g}" if isinstance(value, (int, float)) else str(value)
    with solara.Column(gap="0px", classes=["lever", f"lever-{name}"]):
        with solara.Row(justify="space-between", style={"align-items": "baseline"}):
            solara.Text(label, style={"font-size": "13px"})
            solara.Text(shown, classes=["lever-value"], style={"font-size": "13px", "font-weight": "700"})
        solara.v.Slider(v_model=value, min=low, max=high, step=step, label=label, hide_details=True, dense=True,
                        thumb_label=False, on_v_model=on_value)  # fmt: skip


@solara.component
def Controls(session: Session):
    """Seed, size, policy, mode and every lever, bound to the values the next Reset builds its model from."""
    lang = session.lang.value
    _ = gettext_for(lang)
    values = session.controls.value

    def setter(name: str) -> Any:  # every value is checked against what the page offers before it is stored
        return lambda value: session.offer(name, value)

    solara.InputText(_("Random seed"), value=str(values["seed"]), on_value=setter("seed"), continuous_update=False)
    least, most, step = RESIDENTS_RANGE
    LabelledSlider("n_residents", _("Residents"), int(min(most, max(least, values["n_residents"]))), least, most,
                   step, setter("n_residents"))  # fmt: skip
    for name, (label, choices) in LEVER_CHOICES.items():
        solara.v.Select(label=_(label), v_model=values[name], items=[{"text": choice_name(c, lang), "value": c}
                        for c in choices], on_v_model=setter(name), dense=True)  # fmt: skip
    for name, spec in LEVER_SLIDERS.items():
        low, high = spec.bounds(name)
        integer = FIELDS[name].type == "int"
        value = min(high, max(low, float(values[name])))
        LabelledSlider(name, _(spec.label), int(value) if integer else value, low, high, spec.step, setter(name))


@solara.component
def Sidebar(session: Session):
    """The configuration card, Reset / Play / Step with the playing speed, and the levers."""
    _ = gettext_for(session.lang.value)
    play_interval, render_interval = solara.use_reactive(150), solara.use_reactive(1)
    with solara.Div(classes=["notice-slot"]):  # always there: a notice coming or going moves nothing below it
        if session.notice.value:
            solara.Warning(_("Refused: {reason}").format(reason=session.notice.value), classes=["refused-notice"],
                           dense=True)  # fmt: skip
    ConfigurationCard(session)
    with solara.Card(_("Run"), classes=["run-card"]):
        RunControls(session, render_interval, play_interval)  # Reset, Play / Pause, Step
        LabelledSlider("render_interval", _("Months per Step"), render_interval.value, 1, 100, 2,
                       bounded(session, "render_interval", render_interval, 1, 100))  # fmt: skip
        LabelledSlider("play_interval", _("Pause between steps when playing (ms)"), play_interval.value, 1, 500, 10,
                       bounded(session, "play_interval", play_interval, 1, 500))  # fmt: skip
    with solara.Card(_("Levers"), classes=["levers-card"]):
        solara.Text(_("Move the levers, then press Reset to run your own variant."),
                    style={"font-size": "12px", "color": "#555"})  # fmt: skip
        Controls(session)
    IdleWatch(session.model)


# --- the stage indicator ----------------------------------------------------------------------------------------------
def bounded(session: Session, name: str, reactive: solara.Reactive, low: int, high: int) -> Callable[[Any], None]:
    """A setter for a whole number the page offers from ``low`` to ``high``; anything else is refused."""

    def store(value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            session.refuse(RefusedValue(f"{name} must be a whole number from {low} to {high}, not {value!r:.80}"))
            return
        reactive.set(int(value))

    return store


def _chip(text: str, active: bool, colour: str) -> str:
    """One stage or role as a pill; the current one lit in its stage colour, the others faded."""
    style = (
        f"background:{colour};border:2px solid #333;font-weight:700"
        if active
        else "background:#f4f4f4;border:1px solid #ccc;opacity:0.55"
    )
    return f'<span style="padding:3px 10px;margin-right:6px;border-radius:12px;color:#222;{style}">{text}</span>'


ROLE_COLOURS = {"nurture": "#e8d5d0", "assist": "#f1e6c8", "supervise": "#d3e4d4", "withdrawn": "#dddddd"}


def stage_html(report: views.StageReport, lang: str = "en") -> str:
    """The stage indicator as HTML: the three stages and three roles with the current ones lit, and a verdict.

    The index shown beside the stage is the six-month average the stage is read from, with this month's value
    after it, so a student sees why the stage can read lower than this month's index.
    """
    _ = gettext_for(lang)
    stages = "".join(_chip(f"{k + 1}. {stage_name(s, lang)}", s == report.stage, STAGE_COLOURS[s])
                     for k, s in enumerate(STAGES))  # fmt: skip
    roles = "".join(_chip(role_name(r, lang), r == report.role, ROLE_COLOURS[r]) for r in ROLE_COLOURS)
    average = report.index if report.smoothed is None else report.smoothed
    index_line = _(
        "{when} &middot; self-governance index, {window}-month average (the stage reads this): "
        '<b class="stage-index">{average:.2f}</b>; this month {index:.2f} (learning from {learning:.2f}, '
        "independence from {independence:.2f})"
    ).format(when=report.when_text(lang), window=report.window, average=average, index=report.index,
             learning=report.learning_threshold, independence=report.independence_threshold)  # fmt: skip
    note = report.smoothing_note(lang)
    note_html = f'<div class="smoothing-note" style="font-size:13px;color:#8a5a00">{note}</div>' if note else ""
    stage_line = _("The community is in the {stage} stage: {meaning}.").format(
        stage=f'<b class="stage-name">{stage_name(report.stage, lang)}</b>', meaning=_(views.STAGE_TEXT[report.stage])
    )
    role_line = _("Government's role: {role}; {meaning}.").format(
        role=f'<b class="role-name">{role_name(report.role, lang)}</b>', meaning=_(views.ROLE_TEXT[report.role])
    )
    return f"""
<div class="stage-indicator" style="font-size:15px;line-height:1.6">
  <div style="font-size:13px;color:#555">{index_line}</div>
  {note_html}
  <div style="margin:4px 0"><span style="display:inline-block;width:118px">{_("Community:")}</span>{stages}</div>
  <div style="margin:4px 0"><span style="display:inline-block;width:118px">{_("Government:")}</span>{roles}</div>
  <div>{stage_line} {role_line}</div>
  <div style="margin-top:4px"><i>{report.verdict_text(lang)}</i>
    <span style="color:#666">{report.policy_note_text(lang)}</span></div>
</div>"""  # fmt: skip


def _lang() -> str:
    """This tab's language (for the tabs' components, which are given the model only)."""
    return use_session().lang.value


def _figure_lang(lang: str) -> str:
    """The language figures are drawn in: Chinese needs a font with Chinese glyphs on the server."""
    return lang if can_draw(lang) else "en"


@solara.component
def StageIndicator(model: DashboardModel):
    """Where the community is, in words, and whether government's role fits the stage."""
    update_counter.get()
    lang = _lang()
    report = still(model, views.stage_report, model)
    solara.HTML(tag="div", unsafe_innerHTML=stage_html(report, lang), classes=["dash-wide"])
    if _figure_lang(lang) != lang:
        _ = gettext_for(lang)
        solara.Warning(missing_font_message() + " " + _("The figures are drawn in English."))


def key_numbers_html(numbers: list[tuple[str, str]]) -> str:
    """The month's headline measures as a row of tiles."""
    tiles = "".join(
        f'<div style="padding:2px 6px;border-left:3px solid #2f4b7c;margin:0 6px 6px 0">'
        f'<div style="font-size:18px;font-weight:700">{value}</div>'
        f'<div style="font-size:11px;color:#555">{label}</div></div>'
        for label, value in numbers
    )
    grid = "display:grid;grid-template-columns:repeat(auto-fit,minmax(105px,1fr))"
    return f'<div class="key-numbers" style="{grid}">{tiles}</div>'


@solara.component
def KeyNumbers(model: DashboardModel):
    """This month's headline measures; the Measures tab shows how they got here."""
    update_counter.get()
    html = key_numbers_html(still(model, views.key_numbers, model, _lang()))
    solara.HTML(tag="div", unsafe_innerHTML=html, classes=["dash-wide"])


# --- the network and the plots ----------------------------------------------------------------------------------------
@solara.component
def NetworkView(model: DashboardModel):
    """The social-capital network, coloured by what residents do or by their trust."""
    update_counter.get()
    lang = _lang()
    _ = gettext_for(lang)
    figure_lang = _figure_lang(lang)
    colour_by = solara.use_reactive("activity")
    dependencies = [model, model.steps, colour_by.value, figure_lang]
    fig, caption = solara.use_memo(
        lambda: still(model, views.draw_network, model, colour_by.value, lang=figure_lang), dependencies
    )
    choices = {_("activity"): "activity", _("trust"): "trust"}  # shown in the reader's language
    shown = next(text for text, key in choices.items() if key == colour_by.value)
    with solara.Column(classes=["network-view"], gap="4px"):
        with solara.Row(gap="8px", style={"align-items": "center"}):
            solara.Text(_("Colour residents by"))
            solara.ToggleButtonsSingle(
                value=shown, values=list(choices), on_value=lambda t: colour_by.set(choices.get(t, colour_by.value))
            )
        solara.FigureMatplotlib(fig, dependencies=dependencies, dpi=views.DPI, **PNG)
        solara.Text(views._network_caption(model, views.drawn_residents(model).size, lang) if figure_lang != lang
                    else caption, style={"font-size": "12px", "color": "#555"})  # fmt: skip


@solara.component
def IndexView(model: DashboardModel):
    """The self-governance index over time, drawn over the stage bands."""
    update_counter.get()
    lang = _lang()
    figure_lang = _figure_lang(lang)
    dependencies = [model, model.steps, figure_lang]
    fig = solara.use_memo(lambda: still(model, views.draw_index, model, figure_lang), dependencies)
    with solara.Column(classes=["index-view"], gap="4px"):
        solara.FigureMatplotlib(fig, dependencies=dependencies, dpi=views.DPI, **PNG)
        _ = gettext_for(lang)
        solara.Text(
            _(
                "The stage is read from the thick line, a {window}-month average: the thin line (this month) can "
                "cross a threshold a few months before the stage changes. Dotted lines mark where government "
                "changed its role."
            ).format(window=model.params.index_smoothing),
            style={"font-size": "12px", "color": "#555"},
        )


@solara.component
def MeasuresView(model: DashboardModel):
    """The five measures over time, in one figure."""
    update_counter.get()
    figure_lang = _figure_lang(_lang())
    dependencies = [model, model.steps, figure_lang]
    fig = solara.use_memo(lambda: still(model, views.draw_measures, model, figure_lang), dependencies)
    with solara.Column(classes=["dash-wide", "measures-view"]):
        solara.FigureMatplotlib(fig, dependencies=dependencies, dpi=views.DPI, **PNG)


@solara.component
def MeasuresGuide(model: DashboardModel):
    """A short key to the measure plots."""
    with solara.Column(classes=["dash-wide"]):
        Prose(passage("measures_guide", _lang()))


# --- comparison of configurations -------------------------------------------------------------------------------------
@solara.lab.task
def comparison_task(settings: views.ComparisonSettings) -> views.ComparisonResult | None:
    """Run a comparison in a thread, publishing progress (one step per run) for the progress bar."""

    def progress(done: int, total: int) -> None:
        comparison_task.progress = 100.0 * done / total

    comparison_task.progress = 0.0
    return views.run_comparison(settings, progress, comparison_task.is_current)


@solara.component
def ComparisonView(model: DashboardModel):
    """The configurations side by side over several seeds, with the levers that explain the differences."""
    lang = _lang()
    _ = gettext_for(lang)
    names = solara.use_reactive(list_scenarios())
    seeds = solara.use_reactive(3)
    residents = solara.use_reactive(500)
    years = solara.use_reactive(20)
    settings = views.ComparisonSettings(tuple(n for n in list_scenarios() if n in names.value), seeds.value,
                                        years.value, residents.value)  # fmt: skip
    with solara.Column(classes=["dash-wide", "comparison-view"]):
        Prose("### " + _("Compare the configurations") + "\n" + _(
            "Each configuration is run for several seeds (random histories of the same community). The line is the "
            "median index, the band the spread across seeds."))  # fmt: skip
        _comparison_controls(names, seeds, residents, years, settings, lang)
        result = _comparison_result(settings)
        if result is not None:
            ComparisonOutput(result)


def _comparison_controls(names, seeds, residents, years, settings: views.ComparisonSettings, lang: str) -> None:
    _ = gettext_for(lang)
    solara.v.Select(label=_("Configurations"), v_model=names.value, multiple=True, chips=True,
                    items=[{"text": configuration_name(n, lang), "value": n} for n in list_scenarios()],
                    on_v_model=lambda chosen: names.set(offered_names(chosen)))  # fmt: skip
    with solara.Row(gap="24px", style={"flex-wrap": "wrap"}):
        for label, reactive, choices in ((_("Seeds"), seeds, [1, 3, 5, 10]), (_("Residents"), residents,
                                         [200, 500, 1000]), (_("Years"), years, [5, 10, 20])):  # fmt: skip
            with solara.Column(gap="0px"):
                solara.Text(label, style={"font-size": "12px", "color": "#555"})
                solara.ToggleButtonsSingle(value=reactive, values=choices)
    cached = views.cached_comparison(settings) is not None
    label = _("Computed: shown below") if cached else _("Run comparison ({runs} runs)").format(runs=settings.runs)
    with solara.Row(style={"align-items": "center"}):
        solara.Button(label, color="primary", disabled=cached or not settings.names or comparison_task.pending,
                      on_click=lambda: comparison_task(settings))  # fmt: skip
        if comparison_task.pending:
            solara.Text(_("running: {done:.0f}% done").format(done=comparison_task.progress or 0),
                        classes=["comparison-progress"])  # fmt: skip
    if comparison_task.pending:
        solara.ProgressLinear(comparison_task.progress or True)
    if comparison_task.error:
        solara.Error(_("The comparison failed: {error}").format(error=comparison_task.exception))


def offered_names(chosen: Any) -> list[str]:
    """The configurations picked for a comparison, keeping only names the page offered (a list of them)."""
    offered = list_scenarios()
    return [name for name in chosen if isinstance(name, str) and name in offered] if isinstance(chosen, list) else []


def _comparison_result(settings: views.ComparisonSettings) -> views.ComparisonResult | None:
    """The result for these settings: from this session's last run, or from the server's cache."""
    latest = comparison_task.latest if not comparison_task.not_called else None
    if latest is not None and latest.settings == settings:
        return latest
    return views.cached_comparison(settings)


@solara.component
def ComparisonOutput(result: views.ComparisonResult):
    """The comparison figure, the summary table, the explanation and the levers of the compared configurations."""
    lang = _lang()
    _ = gettext_for(lang)
    figure_lang = _figure_lang(lang)
    settings = result.settings
    fig = solara.use_memo(lambda: views.draw_comparison(result, figure_lang), [result, figure_lang])
    solara.FigureMatplotlib(fig, dependencies=[result, figure_lang], dpi=70, **PNG)
    Prose(
        "**" + _("{seeds} seeds, {residents} residents, {years} years.").format(
            seeds=settings.seeds, residents=settings.n_residents, years=settings.years) + "**\n\n"
        + views.summary_markdown(result.summary, lang)
        + "\n\n" + _("Stage cells: share of seeds that reached the stage, and the median year it was first reached.")
    )  # fmt: skip
    Prose(passage("why_they_differ", lang) + "\n\n" + views.contrast(result.summary, lang=lang))
    Prose("#### " + _("The levers behind the differences") + "\n\n" + views.levers_markdown(settings.names, lang))


# --- theory -----------------------------------------------------------------------------------------------------------
@solara.component
def TheoryView(model: DashboardModel):
    """The stage theory and the configurations, for a student who opens the dashboard cold."""
    lang = _lang()
    with solara.Column(classes=["dash-wide", "theory-view"]):
        Prose(passage("theory", lang))
        Prose(views.configurations_markdown(lang))


# --- the sidebar card and the page ------------------------------------------------------------------------------------
@solara.component
def ConfigurationCard(session: Session):
    """Pick a configuration (loaded at once) and see what it is and what you changed."""
    lang = session.lang.value
    _ = gettext_for(lang)
    current = session.model.value

    def pick(name: Any) -> None:
        try:
            name = offered_configuration(name)  # the page offered names only: anything else is a forged request
        except UnknownConfiguration as err:
            session.refuse(err)
            return
        if name != current.configuration:
            session.load(configuration=name, n_residents=current.params.n_residents, seed=current.seed_text)

    with solara.Card(_("Configuration"), classes=["configuration-card"]):
        items = [{"text": configuration_name(n, lang), "value": n} for n in list_scenarios()]
        solara.v.Select(label=_("Configuration"), v_model=current.configuration, on_v_model=pick, items=items)
        spec = current.spec
        Prose(f"**{scenario_text(spec.title, lang)}.** {scenario_text(spec.description, lang)}")
        if current.changes:
            changed = ", ".join(f"{k} = {views.format_value(v, lang)}" for k, v in current.changes.items())
            Prose(f"*{_('Your changes in this run:')}* {changed}")
        solara.Text(_("Picking a configuration loads it at once. Move the levers below, then press Reset to run your "
                      "own variant."), style={"font-size": "12px", "color": "#555"})  # fmt: skip


@solara.component
def LanguageSwitch(lang: solara.Reactive):
    """中文 / English, always visible in the bar at the top; each language's name is written in that language."""
    names = {LANGUAGE_NAMES[code]: code for code in reversed(LANGUAGES)}  # 中文 first: the switch a class looks for
    shown = LANGUAGE_NAMES[lang.value]
    solara.ToggleButtonsSingle(value=shown, values=list(names), classes=["language-switch"], dense=True,
                               on_value=lambda name: lang.set(names.get(name, lang.value)))  # fmt: skip


COMPONENTS = [
    (StageIndicator, 0),
    (NetworkView, 0),
    (IndexView, 0),
    (KeyNumbers, 0),
    (MeasuresView, 1),
    (MeasuresGuide, 1),
    (ComparisonView, 2),
    (TheoryView, 3),
    (LessonsView, 4),
]
PAGE_NAMES = (N_("Community"), N_("Measures"), N_("Compare"), N_("Theory"), N_("Lessons"))
# A tab's views flow: two a row, wide ones alone, one a row on narrow screens (:func:`Tabs`).
CSS = """
.dash-page { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; padding: 12px 0 64px 0; }
.dash-item { width: calc(50% - 6px); }
.dash-item:has(.dash-wide) { width: 100%; }
@media (max-width: 1100px) { .dash-item { width: 100%; } }
.network-view img, .index-view img, .measures-view img { width: 100%; height: auto; }
.comparison-view img, .lesson-outcome img { max-width: 100%; height: auto; }
.rendered_html th, .rendered_html td { text-align: left !important; }
.rendered_html blockquote { border-left: 3px solid #bbb; margin: 4px 0; padding: 2px 10px; color: #444; }
/* A lever's value sits on its label's line (LabelledSlider); the slider's own label only names it for screen
   readers. */
.lever .v-label { display: none !important; }
.lever { margin-bottom: 6px; }
.run-controls .v-btn__content { white-space: nowrap; }
.language-switch .v-btn { min-width: 64px !important; }
"""


@functools.cache
def font_css() -> str:
    """The shipped Chinese font as a web font, so a machine without a Chinese font shows Chinese, not boxes.

    Inlined as a data URL (about 150 KB, once per tab): the page fetches nothing, so it also works offline and behind
    any proxy path, and Solara needs no static route. Latin keeps Roboto; Chinese characters come from this font.
    """
    data = base64.b64encode(web_font_path().read_bytes()).decode("ascii")
    return (f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url(data:font/woff2;base64,{data}) format("woff2"); '
            "font-display: swap; }\n"
            f'.v-application, .v-application .rendered_html {{ font-family: Roboto, "{FONT_FAMILY}", sans-serif '
            "!important; }\n")  # fmt: skip


@solara.component
def Tabs(model: DashboardModel):
    """The five tabs, named in the reader's language; only the open one is drawn, its views two to a row.

    Mesa's ComponentsView names its tabs "Page 0" to "Page 4" (what a screen reader announced) and lays views on a
    draggable grid of fixed-height cells, where a tall view spilled over the next. ``solara.lab.Tabs`` (Solara
    1.64) draws only the open tab with ``lazy=True``, but uses the tab index a page sends unchecked: a forged index
    (99, or "x") raised inside its handler and replaced the whole page with "Something went wrong", and -1 showed an
    empty tab. The page's values are checked before use (issue 23), so the tabs are Vuetify's, on an index checked
    here (:func:`open_tab`).
    """
    _ = gettext_for(_lang())
    shown = solara.use_reactive(0)

    def open_tab(index: Any) -> None:  # a tab's index, from the page: anything else keeps the tab open
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(PAGE_NAMES):
            shown.set(index)

    with solara.v.Tabs(v_model=shown.value, on_v_model=open_tab, class_="dash-tabs"):
        for name in PAGE_NAMES:
            solara.v.Tab(children=[_(name)])
    with solara.Div(classes=["dash-page", f"dash-page-{shown.value}"]):
        for component, page in COMPONENTS:
            if page == shown.value:
                with solara.Div(classes=["dash-item"]):
                    component(model)


@solara.component
def Layout(children: list = []):  # noqa: B006 (Solara's layout signature)
    """Solara's layout around the page: this tab's own session and model, if the server has room for one.

    Solara looks for ``Layout`` in this file; the sessions themselves are :mod:`simulation.dashboard.sessions`.
    """
    return SessionGate(children=children, build=DashboardModel)


class _OneLineTracebacks:
    """Stands in for the ``traceback`` module inside reacton, which renders an error no component caught as its
    whole traceback in the page (server paths, source lines). Here the page gets one line and the log the rest.

    reacton's own error boundary (``use_exception``) looped until its render limit in our tests (reacton as pinned
    with Solara 1.64), so the boundary is the last resort at the root instead; every value a page sends is checked
    before use (:mod:`simulation.dashboard.controls`), so what reaches here is a fault of ours, not of the page.
    """

    def format_exception(self, _type: Any, err: BaseException, _tb: Any = None) -> list[str]:
        log_failure(err)
        return [failure_message(err, default_language())]

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)


reacton_core.traceback = _OneLineTracebacks()  # type: ignore[assignment]


@solara.component
def Page():
    """The dashboard: the bar with the language switch, the sidebar, and the tabs (see the module's docstring)."""
    session = use_session()
    lang = session.lang.value
    _ = gettext_for(lang)
    solara.Style(font_css())  # its own Style: a language switch does not send the font again
    solara.Style(CSS)
    solara.Title(_("Community self-governance"))
    with solara.AppBar():
        solara.AppBarTitle(_(TITLE))
        LanguageSwitch(session.lang)
    with solara.Sidebar(), solara.Column():
        Sidebar(session)
    Tabs(session.model.value)
