"""The dashboard: explore the community model in the browser (Mesa's SolaraViz).

Run it with ``python -m simulation dashboard`` (see :mod:`simulation.dashboard`) or
``solara run simulation/app.py``. Four tabs:

- **Community**: the stage indicator (where the community is, what government does), the
  social-capital network, and the self-governance index over the stage bands;
- **Measures**: trust, participation and its composition, NGOs, the committee, public cost;
- **Compare**: the configurations side by side over several seeds (computed on demand, cached);
- **Theory**: the stage theory and every configuration, in a few paragraphs.

Every browser session builds its own model inside :func:`Layout`, so two students never share
a run (a module-level model, as in Mesa's examples, would be shared until Reset).

Sessions are bounded, so that a classroom reloading for an hour cannot exhaust the server:

* a session's model lives in the components of that session only, so it is freed when Solara
  closes the session (the tab closed, or its connection gone for a minute: see
  :func:`simulation.dashboard.server_env`), and the memory goes back to the operating system
  (:class:`MemoryReturner`);
* a tab left without a Step, Play or Reset for ``DASHBOARD_IDLE_MINUTES`` frees its model and
  offers to start again;
* at most ``DASHBOARD_MAX_SESSIONS`` tabs are served at once; the next gets a message saying so,
  and a button to try again.
"""

from __future__ import annotations

import ctypes
import gc
import math
import os
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Any

import solara
import solara.lab
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

# Absolute imports: `solara run simulation/app.py` loads this file as a script, outside its package.
from simulation import views
from simulation.model import CommunityModel
from simulation.parameters import FIELDS, MODES, POLICIES
from simulation.plots import STAGE_COLOURS
from simulation.scenarios import list_scenarios, load_scenario
from simulation.stages import STAGES

TITLE = "Community self-governance: from dependence to independence"
DEFAULT_CONFIGURATION = "guardian"
DEFAULT_RESIDENTS = 1000
DEFAULT_SEED = "1"
PNG = {"format": "png", "pil_kwargs": {"compress_level": 1}}  # fast to encode; size does not matter locally


# --- the model the dashboard builds -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SliderSpec:
    """A lever slider: its label and step; the range comes from the parameter's definition.

    ``high`` caps an open-ended definition (funding may go to 1,000 in a scenario file, but a slider
    that wide could not be set to anything useful).
    """

    label: str
    step: float
    high: float | None = None

    def bounds(self, name: str) -> tuple[float, float]:
        meta = FIELDS[name].metadata
        high = meta["high"] if self.high is None else min(meta["high"], self.high)
        return meta["low"], high


LEVER_SLIDERS = {
    "funding": SliderSpec("Funding (per 1,000 residents)", 0.5, high=30),
    "admin_load": SliderSpec("Admin tasks pushed down", 0.05),
    "fees_follow_tasks": SliderSpec("Fees follow tasks", 0.05),
    "service_purchase": SliderSpec("Service purchase", 0.05),
    "training": SliderSpec("Training", 0.05),
    "feedback": SliderSpec("Feedback channels", 0.05),
    "incubation": SliderSpec("NGO incubation", 0.05),
    "top_down_ngo_rate": SliderSpec("Top-down NGOs per year", 0.1, high=5),
    "direct_provision": SliderSpec("Direct provision", 0.05),
    "elected_committee": SliderSpec("Elected committee share", 0.05),
    "party_service": SliderSpec("Party cells: service", 0.05),
    "withdraw_at_step": SliderSpec("Government lets go at month (-1 never)", 1, high=240),
}
LEVER_CHOICES = {"policy": ("Policy", POLICIES), "mode": ("Government's mode", MODES)}
RESIDENTS_RANGE = (100, 20_000, 100)  # the definition allows 5,000,000; the dashboard stays interactive up to here


def seed_from_text(text: int | str) -> int:
    """A seed from what a student typed: a whole number is used as it is, any other text is hashed.

    Mesa's text box hands over a string; hashing means "hangzhou" is as good a seed as 42, and a typo
    never breaks Reset.
    """
    text = str(text).strip()
    return int(text) if text.isdigit() else zlib.crc32(text.encode("utf-8"))


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
    """``CommunityModel`` with one explicit keyword per dashboard control.

    SolaraViz re-creates the model on Reset from its controls and checks every control's name against
    this signature, so each lever is spelled out. A lever left at the configuration's value is not
    passed on, so the model is exactly the configuration plus the student's changes (``changes``).
    The configuration is called ``configuration``, not ``scenario``: on Reset SolaraViz replaces a
    ``scenario`` keyword with Mesa's own ``Scenario`` object.
    """

    def __init__(
        self,
        *,
        configuration: str = DEFAULT_CONFIGURATION,
        n_residents: int = DEFAULT_RESIDENTS,
        seed: int | str = DEFAULT_SEED,
        policy: str | None = None,
        mode: str | None = None,
        funding: float | None = None,
        admin_load: float | None = None,
        fees_follow_tasks: float | None = None,
        service_purchase: float | None = None,
        training: float | None = None,
        feedback: float | None = None,
        incubation: float | None = None,
        top_down_ngo_rate: float | None = None,
        direct_provision: float | None = None,
        elected_committee: float | None = None,
        party_service: float | None = None,
        withdraw_at_step: int | None = None,
    ) -> None:
        levers = {
            "policy": policy,
            "mode": mode,
            "funding": funding,
            "admin_load": admin_load,
            "fees_follow_tasks": fees_follow_tasks,
            "service_purchase": service_purchase,
            "training": training,
            "feedback": feedback,
            "incubation": incubation,
            "top_down_ngo_rate": top_down_ngo_rate,
            "direct_provision": direct_provision,
            "elected_committee": elected_committee,
            "party_service": party_service,
            "withdraw_at_step": withdraw_at_step,
        }
        self.configuration = configuration
        self.seed_text = str(seed)
        self.changes = lever_changes(configuration, levers)
        super().__init__(scenario=configuration, n_residents=int(n_residents), rng=seed_from_text(seed), **self.changes)


def model_params(model: DashboardModel) -> dict[str, Any]:
    """SolaraViz's controls, set to the values the current model runs with.

    The configuration itself is fixed here: it is picked in the sidebar's own card, which loads it at
    once and resets the sliders to its values (Mesa's controls only take effect on Reset).
    """
    p = model.params
    low, high, step = RESIDENTS_RANGE
    params: dict[str, Any] = {
        "configuration": model.configuration,
        "seed": {"type": "InputText", "value": model.seed_text, "label": "Random seed"},
        "n_residents": Slider("Residents", value=min(high, max(low, p.n_residents)), min=low, max=high, step=step),
    }
    for name, (label, choices) in LEVER_CHOICES.items():
        params[name] = {"type": "Select", "value": getattr(p, name), "values": list(choices), "label": label}
    for name, spec in LEVER_SLIDERS.items():
        params[name] = _lever_slider(name, spec, getattr(p, name))
    return params


def _lever_slider(name: str, spec: SliderSpec, value: float) -> Slider:
    low, high = spec.bounds(name)
    if FIELDS[name].type == "int":
        return Slider(
            spec.label, value=int(min(high, max(low, value))), min=int(low), max=int(high), step=int(spec.step)
        )
    value = min(high, max(low, float(value)))
    return Slider(spec.label, value=value, min=float(low), max=float(high), step=float(spec.step), dtype=float)


# --- the stage indicator ----------------------------------------------------------------------------------------------
def _chip(text: str, active: bool, colour: str) -> str:
    """One stage or role as a pill; the current one lit in its stage colour, the others faded."""
    style = (
        f"background:{colour};border:2px solid #333;font-weight:700"
        if active
        else "background:#f4f4f4;border:1px solid #ccc;opacity:0.55"
    )
    return f'<span style="padding:3px 10px;margin-right:6px;border-radius:12px;color:#222;{style}">{text}</span>'


ROLE_COLOURS = {"nurture": "#e8d5d0", "assist": "#f1e6c8", "supervise": "#d3e4d4", "withdrawn": "#dddddd"}


def stage_html(report: views.StageReport) -> str:
    """The stage indicator as HTML: the three stages and three roles with the current ones lit, and a verdict."""
    stages = "".join(_chip(f"{k + 1}. {s}", s == report.stage, STAGE_COLOURS[s]) for k, s in enumerate(STAGES))
    roles = "".join(_chip(r, r == report.role, ROLE_COLOURS[r]) for r in ROLE_COLOURS)
    return f"""
<div class="stage-indicator" style="font-size:15px;line-height:1.6">
  <div style="font-size:13px;color:#555">{report.when} &middot; self-governance index
    <b class="stage-index">{report.index:.2f}</b> (learning from {report.learning_threshold:.2f},
    independence from {report.independence_threshold:.2f})</div>
  <div style="margin:4px 0"><span style="display:inline-block;width:118px">Community:</span>{stages}</div>
  <div style="margin:4px 0"><span style="display:inline-block;width:118px">Government:</span>{roles}</div>
  <div>The community is in the <b class="stage-name">{report.stage}</b> stage: {views.STAGE_TEXT[report.stage]}.
    Government's role: <b class="role-name">{report.role}</b>; {views.ROLE_TEXT[report.role]}.</div>
  <div style="margin-top:4px"><i>{report.verdict}</i> <span style="color:#666">{report.policy_note}</span></div>
</div>"""


@solara.component
def StageIndicator(model: DashboardModel):
    """Where the community is, in words, and whether government's role fits the stage."""
    update_counter.get()
    solara.HTML(tag="div", unsafe_innerHTML=stage_html(views.stage_report(model)), classes=["dash-wide"])


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
    solara.HTML(tag="div", unsafe_innerHTML=key_numbers_html(views.key_numbers(model)), classes=["dash-wide"])


# --- the network and the plots ----------------------------------------------------------------------------------------
@solara.component
def NetworkView(model: DashboardModel):
    """The social-capital network, coloured by what residents do or by their trust."""
    update_counter.get()
    colour_by = solara.use_reactive("activity")
    dependencies = [model, model.steps, colour_by.value]
    fig, caption = solara.use_memo(lambda: views.draw_network(model, colour_by.value), dependencies)
    with solara.Column(classes=["network-view"], gap="4px"):
        with solara.Row(gap="8px", style={"align-items": "center"}):
            solara.Text("Colour residents by")
            solara.ToggleButtonsSingle(value=colour_by, values=["activity", "trust"])
        solara.FigureMatplotlib(fig, dependencies=dependencies, dpi=views.DPI, **PNG)
        solara.Text(caption, style={"font-size": "12px", "color": "#555"})


@solara.component
def IndexView(model: DashboardModel):
    """The self-governance index over time, drawn over the stage bands."""
    update_counter.get()
    dependencies = [model, model.steps]
    fig = solara.use_memo(lambda: views.draw_index(model), dependencies)
    with solara.Column(classes=["index-view"], gap="4px"):
        solara.FigureMatplotlib(fig, dependencies=dependencies, dpi=views.DPI, **PNG)
        solara.Text(
            "The stage is read from the thick line (a six-month average); dotted lines mark where government "
            "changed its role.",
            style={"font-size": "12px", "color": "#555"},
        )


@solara.component
def MeasuresView(model: DashboardModel):
    """The five measures over time, in one figure."""
    update_counter.get()
    dependencies = [model, model.steps]
    fig = solara.use_memo(lambda: views.draw_measures(model), dependencies)
    with solara.Column(classes=["dash-wide", "measures-view"]):
        solara.FigureMatplotlib(fig, dependencies=dependencies, dpi=views.DPI, **PNG)


MEASURES_GUIDE = """
#### How to read these plots

- **Trust in strangers** is social capital: it grows when residents solve problems together and
  when party cells and the committee serve them; it falls with unresolved problems.
- **Participation**: most people who take part do *low-level* activities (orange). The theory's
  target is *decision-making* (teal): elections, hearings, supervision, where residents learn
  self-governance. The dashed line shows who takes part: mostly the elderly, the unemployed young
  and low-income households.
- **NGOs**: organisations founded by residents are independent; those created by government are not.
- **Committee**: administrative tasks eat its time; the more it works for government, the more residents
  take it for a government organ, and the less autonomy it has.
- **Public cost**: self-governance should be the low-cost path.
"""


@solara.component
def MeasuresGuide(model: DashboardModel):
    """A short key to the measure plots."""
    with solara.Column(classes=["dash-wide"]):
        solara.Markdown(MEASURES_GUIDE)


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
    names = solara.use_reactive(list_scenarios())
    seeds = solara.use_reactive(3)
    residents = solara.use_reactive(500)
    years = solara.use_reactive(20)
    settings = views.ComparisonSettings(tuple(n for n in list_scenarios() if n in names.value), seeds.value,
                                        years.value, residents.value)  # fmt: skip
    with solara.Column(classes=["dash-wide", "comparison-view"]):
        solara.Markdown(
            "### Compare the configurations\nEach configuration is run for several seeds (random histories of "
            "the same community). The line is the median index, the band the spread across seeds."
        )
        _comparison_controls(names, seeds, residents, years, settings)
        result = _comparison_result(settings)
        if result is not None:
            ComparisonOutput(result)


def _comparison_controls(names, seeds, residents, years, settings: views.ComparisonSettings) -> None:
    solara.SelectMultiple("Configurations", values=names, all_values=list_scenarios())
    with solara.Row(gap="24px", style={"flex-wrap": "wrap"}):
        for label, reactive, choices in (("Seeds", seeds, [1, 3, 5, 10]), ("Residents", residents, [200, 500, 1000]),
                                         ("Years", years, [5, 10, 20])):  # fmt: skip
            with solara.Column(gap="0px"):
                solara.Text(label, style={"font-size": "12px", "color": "#555"})
                solara.ToggleButtonsSingle(value=reactive, values=choices)
    cached = views.cached_comparison(settings) is not None
    label = "Computed: shown below" if cached else f"Run comparison ({settings.runs} runs)"
    with solara.Row(style={"align-items": "center"}):
        solara.Button(label, color="primary", disabled=cached or not settings.names or comparison_task.pending,
                      on_click=lambda: comparison_task(settings))  # fmt: skip
        if comparison_task.pending:
            solara.Text(f"running: {comparison_task.progress or 0:.0f}% done", classes=["comparison-progress"])
    if comparison_task.pending:
        solara.ProgressLinear(comparison_task.progress or True)
    if comparison_task.error:
        solara.Error(f"The comparison failed: {comparison_task.exception}")


def _comparison_result(settings: views.ComparisonSettings) -> views.ComparisonResult | None:
    """The result for these settings: from this session's last run, or from the server's cache."""
    latest = comparison_task.latest if not comparison_task.not_called else None
    if latest is not None and latest.settings == settings:
        return latest
    return views.cached_comparison(settings)


@solara.component
def ComparisonOutput(result: views.ComparisonResult):
    """The comparison figure, the summary table, the explanation and the levers of the compared configurations."""
    settings = result.settings
    fig = solara.use_memo(lambda: views.draw_comparison(result), [result])
    solara.FigureMatplotlib(fig, dependencies=[result], dpi=70, **PNG)
    solara.Markdown(
        f"**{settings.seeds} seeds, {settings.n_residents} residents, {settings.years} years.**\n\n"
        + views.summary_markdown(result.summary)
        + "\n\nStage cells: share of seeds that reached the stage, and the median year it was first reached."
    )
    solara.Markdown(views.WHY_THEY_DIFFER + "\n\n" + views.contrast(result.summary))
    solara.Markdown("#### The levers behind the differences\n\n" + views.levers_markdown(settings.names))


# --- theory -----------------------------------------------------------------------------------------------------------
@solara.component
def TheoryView(model: DashboardModel):
    """The stage theory and the configurations, for a student who opens the dashboard cold."""
    with solara.Column(classes=["dash-wide", "theory-view"]):
        solara.Markdown(views.THEORY_MARKDOWN)
        solara.Markdown(views.configurations_markdown())


# --- the sidebar card and the page ------------------------------------------------------------------------------------
@solara.component
def ConfigurationCard(model: solara.Reactive[DashboardModel]):
    """Pick a configuration (loaded at once) and see what it is and what you changed."""
    current = model.value

    def pick(name: str) -> None:
        if name != current.configuration:
            model.set(
                DashboardModel(configuration=name, n_residents=current.params.n_residents, seed=current.seed_text)
            )

    with solara.Card("Configuration", classes=["configuration-card"]):
        solara.Select("Configuration", values=list_scenarios(), value=current.configuration, on_value=pick)
        spec = current.spec
        solara.Markdown(f"**{spec.title}.** {spec.description}")
        if current.changes:
            changed = ", ".join(f"{k} = {views.format_value(v)}" for k, v in current.changes.items())
            solara.Markdown(f"*Your changes in this run:* {changed}")
        solara.Text(
            "Picking a configuration loads it at once. Move the parameter sliders below, then press Reset to run "
            "your own variant.",
            style={"font-size": "12px", "color": "#555"},
        )


COMPONENTS = [
    (StageIndicator, 0),
    (NetworkView, 0),
    (IndexView, 0),
    (KeyNumbers, 0),
    (MeasuresView, 1),
    (MeasuresGuide, 1),
    (ComparisonView, 2),
    (TheoryView, 3),
]
PAGE_NAMES = ("Community", "Measures", "Compare", "Theory")

# SolaraViz (Mesa 3.5) places each page's components on a draggable grid of fixed-height cells, so a tall
# view spills over the next one, and names its tabs "Page 0", "Page 1", ...  These rules turn the grid into
# a wrapping flow (two views a row, wide ones alone, one a row on narrow screens) and name the tabs.
CSS = """
.vue-grid-layout { height: auto !important; display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.vue-grid-item { position: relative !important; transform: none !important; height: auto !important;
                 width: calc(50% - 6px) !important; touch-action: auto !important; }
.vue-grid-item:has(.dash-wide) { width: 100% !important; }
.vue-grid-item > .vue-resizable-handle { display: none; }
@media (max-width: 1100px) { .vue-grid-item { width: 100% !important; } }
.network-view img, .index-view img, .measures-view img { width: 100%; height: auto; }
.comparison-view img { max-width: 100%; height: auto; }
.rendered_html th, .rendered_html td { text-align: left !important; }
/* Mesa's sliders show their value only while dragged: show it always, as a small tag above the thumb. */
.v-navigation-drawer .v-slider__thumb-label-container { display: block !important; }
.v-navigation-drawer .v-slider__thumb-label { transform: translate(-50%, -22px) !important; width: auto !important;
    height: 16px !important; min-width: 22px; padding: 0 4px; border-radius: 8px !important; font-size: 10px; }
.v-navigation-drawer .v-slider__thumb-label > div { transform: none !important; }
.v-navigation-drawer .v-input__slider { margin-top: 10px; }
.v-tabs-bar__content > .v-tab { font-size: 0 !important; }
.v-tabs-bar__content > .v-tab::after { font-size: 0.875rem; }
""" + "".join(
    f'.v-tabs-bar__content > .v-tab:nth-child({k + 2})::after {{ content: "{name}"; }}\n'
    for k, name in enumerate(PAGE_NAMES)
)


session_model = solara.create_context(None)
session_idle = solara.create_context(None)  # called by IdleWatch when the session's model is to be freed


# --- sessions: a cap on how many, and models freed when idle ----------------------------------------------------------
def _setting(name: str, default: float) -> float:
    """A number from the environment (set by `python -m simulation dashboard`), else the default."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if math.isfinite(value) and value > 0 else default


MAX_SESSIONS = int(_setting("DASHBOARD_MAX_SESSIONS", 60))
IDLE_SECONDS = 60 * _setting("DASHBOARD_IDLE_MINUTES", 15)


class SessionSlots:
    """Which kernels (browser tabs) hold one of the server's session slots; thread-safe (one thread per tab)."""

    def __init__(self) -> None:
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def take(self, kernel_id: str, limit: int) -> bool:
        """Give this tab a slot if one is free (a tab that has one keeps it); False when the server is full."""
        with self._lock:
            if kernel_id in self._held or len(self._held) < limit:
                self._held.add(kernel_id)
                return True
            return False

    def release(self, kernel_id: str) -> None:
        with self._lock:
            self._held.discard(kernel_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)


slots = SessionSlots()


class MemoryReturner:
    """After sessions close, collect garbage and hand freed memory back to the operating system, once a second.

    A closed session's objects are freed, but glibc's allocator keeps the freed pages for reuse, so the server's
    resident memory would still grow with every session until the allocator's caches are full (measured: 50 MB
    over 100 sessions, nearly all of it in the first 25). ``malloc_trim`` returns them; with it, 100 sessions
    leave the server within a few MB of where one left it. Elsewhere than glibc this only collects garbage.
    """

    def __init__(self, delay: float = 1.0) -> None:
        self.delay = delay
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._trim = _malloc_trim()

    def soon(self) -> None:
        """Ask for a collection shortly (several closes in a row share one)."""
        with self._lock:
            if self._timer is None:
                self._timer = threading.Timer(self.delay, self.now)
                self._timer.daemon = True
                self._timer.start()

    def now(self) -> None:
        with self._lock:
            self._timer = None
        gc.collect()
        if self._trim is not None:
            self._trim(0)

    def wait(self) -> None:
        """Wait until a requested collection has run (for tests and measurements)."""
        with self._lock:
            timer = self._timer
        if timer is not None:
            timer.join()


def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


memory = MemoryReturner()


@solara.component
def Layout(children: list = []):  # noqa: B006 (Solara's layout signature)
    """A session slot for this tab, then the session itself (or a message: the server is full, or the tab was idle).

    The model lives one level down, in :func:`SessionLayout`, which is unmounted when the tab has been idle:
    with it go its hooks' state, so the model is freed while the tab stays open.
    """
    kernel_id = solara.get_kernel_id()
    attempt = solara.use_reactive(0)
    has_slot = solara.use_memo(lambda: slots.take(kernel_id, MAX_SESSIONS), [attempt.value])
    solara.use_effect(lambda: (lambda: _session_closed(kernel_id)) if has_slot else None, [has_slot])
    idle = solara.use_reactive(False)
    if not has_slot:
        return _Notice(
            f"The dashboard is full: it serves {MAX_SESSIONS} browser tabs at once, and all are in use. Close a tab "
            "you no longer need, or try again in a minute.", "Try again", lambda: attempt.set(attempt.value + 1),
        )  # fmt: skip
    if idle.value:
        return _Notice(
            f"This tab was idle for {IDLE_SECONDS / 60:g} minutes, so its model was put away to make room for others.",
            "Start again", lambda: idle.set(False),
        )  # fmt: skip
    return SessionLayout(children=children, on_idle=lambda: idle.set(True))


def _session_closed(kernel_id: str) -> None:
    slots.release(kernel_id)
    memory.soon()


def _Notice(text: str, label: str, on_click: Any) -> Any:  # a function building elements, named like a component
    with solara.AppLayout() as layout:
        with solara.Card("Community self-governance", classes=["dashboard-notice"]):
            solara.Markdown(text)
            solara.Button(label, color="primary", on_click=on_click)
    return layout


@solara.component
def SessionLayout(children: list, on_idle: Any):
    """The session's model lives here, one level above the app layout, so that it survives re-creating that layout.

    Picking a configuration must restart SolaraViz's parameter controls at the new configuration's values. Those
    controls sit in the sidebar, which the app layout hosts, so only re-creating the app layout (keyed by the
    configuration) resets them; a key on SolaraViz alone would leave the sidebar's controls, and their stale values,
    in place. Every browser session renders its own Layout, hence its own model.
    """
    first = solara.use_memo(DashboardModel, [])
    model = solara.use_reactive(first)
    session_model.provide(model)
    session_idle.provide(on_idle)
    return solara.AppLayout(children=children).key(f"layout-{model.value.configuration}")


@solara.component
def IdleWatch(model: solara.Reactive[DashboardModel]):
    """Calls the session's idle callback after IDLE_SECONDS without a Step, Play or Reset (renders nothing).

    A small component of its own, so that following every step re-renders only it; one watcher thread per
    session (stopped with the session) compares the time of the last activity with the clock.
    """
    on_idle = solara.use_context(session_idle)
    last_active = solara.use_ref(time.monotonic())
    update_counter.get(), model.get()  # subscribe: a step or a new model re-renders this component
    last_active.current = time.monotonic()

    limit = IDLE_SECONDS  # this session's limit, fixed when it starts

    def watch(cancel: threading.Event) -> None:
        while not cancel.wait(min(limit, 15.0)):
            if time.monotonic() - last_active.current >= limit:
                if on_idle is not None:
                    on_idle()
                return

    solara.use_thread(watch, dependencies=[], intrusive_cancel=False)


@solara.component
def Page():
    """The dashboard: Mesa's SolaraViz around the session's model, with the configuration card in the sidebar."""
    model = solara.use_context(session_model)
    if model is None:
        raise RuntimeError("the dashboard's Page must be rendered inside its Layout (solara run does this)")
    solara.Style(CSS)
    solara.Title("Community self-governance")
    with solara.Sidebar():
        ConfigurationCard(model)
        IdleWatch(model)
    SolaraViz(model, components=COMPONENTS, model_params=model_params(model.value), name=TITLE, play_interval=150)
