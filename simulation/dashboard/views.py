"""Drawings and texts of the dashboard (``simulation/dashboard/app.py``), kept free of Solara.

Everything here is a function of a model (or of a comparison table) that
returns a matplotlib ``Figure`` or a string, so it can be tested and timed
without a browser and reused in notebooks. The plots redrawn every step are
built once per model and then only updated (:func:`live_figure`), which is
what keeps a step of the dashboard well under half a second. Figures use a
bare ``Figure`` with the Agg canvas, never ``pyplot``: the dashboard draws
from several threads (one per browser session playing a model), and pyplot's
global state is not thread-safe.

Nothing here draws random numbers from the model: the layout jitter and the
sample of residents drawn for large communities come from their own fixed
generators, so watching a run never changes it.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba_array
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..experiments.compare import (
    DEFAULT_SEED,
    ComparisonStopped,
    run_comparison_sweep,
    stage_cell,
    stage_thresholds,
    summarise_runs,
)
from ..experiments.plots import LINE_COLOUR, STAGE_COLOURS, plot_comparison
from ..i18n import N_, gettext_for
from ..model.agents import PartyCell
from ..model.parameters import ROLES
from ..model.policy import ROLE_FOR_STAGE
from ..model.scenarios import list_scenarios, load_scenario
from ..model.stages import STAGES, thresholds
from ..names import choice_name, configuration_name, role_name, scenario_text, stage_name

if TYPE_CHECKING:
    from ..model.community import CommunityModel

# --- what the colours and words mean ---------------------------------------------------------------------------------
ACTIVITY_COLOURS = ("#c8c8c8", "#f0a03c", "#1b7f79")  # none, low-level, decision (index = population.ACTIVITIES)
ACTIVITY_LABELS = (N_("not participating"), N_("low-level activity"), N_("decision-making"))
TRUST_CMAP = "RdYlGn"
TIE_CMAP = "Blues"
ORGANISATION_STYLE = {
    "government": {"marker": "s", "color": "#3b3b3b", "label": N_("government (street office)")},
    "committee": {"marker": "H", "color": "#6a3d9a", "label": N_("residents' committee")},
    "party": {"marker": "*", "color": "#d62728", "label": N_("party cell")},
    "grassroots": {"marker": "D", "color": "#1f77b4", "label": N_("NGO founded by residents")},
    "top_down": {"marker": "D", "color": "#8c564b", "label": N_("NGO created by government")},
}
STAGE_TEXT = {
    "dependence": N_("residents wait for government and take its resources; few take part in decisions"),
    "learning": N_("residents learn self-governance by doing: they organise, decide and build trust"),
    "independence": N_("the community governs itself: its own organisations, decisions and funds"),
}
ROLE_TEXT = {
    "nurture": N_("it funds the committee, trains people, fosters organisations and solves many problems itself"),
    "assist": N_("it solves fewer problems itself, pushes down fewer tasks and makes fewer organisations, but keeps "
                 "training and fostering residents' own"),
    "supervise": N_("it keeps paying the committee's running costs but only guides and watches; the community runs "
                    "its own affairs"),
    "withdrawn": N_("it gives nothing and no longer watches: it has walked away"),
}  # fmt: skip
KARAMAY_TRUST = 0.31  # share trusting strangers in the 2016 Karamay survey (essay 6; docs/ODD.md 6)
DEFAULT_MAX_DRAWN = 1500  # residents drawn in the network view; larger communities are sampled
MAX_TIES_DRAWN = 8000
DPI = 80  # figures are made at the resolution they are shown at, so saving them needs no re-layout
TIE_SHADES = 6  # ties are drawn in this many shades of trust: one path per shade draws far faster than one per tie


def _figure(width: float, height: float) -> Figure:
    """A pyplot-free figure with its own Agg canvas (safe to draw from any thread).

    No layout engine: a constrained layout draws the figure twice, and these figures are redrawn
    every step, so their axes are placed by hand.
    """
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


# --- the network view ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NetworkLayout:
    """Where every resident and every compound sits in the drawing (housing units on a grid, plus jitter)."""

    positions: np.ndarray  # (n, 2) resident positions
    compound_origin: np.ndarray  # (C, 2) lower-left corner of each compound's square (side 1)
    columns: int  # compounds per row
    rows: int


_layouts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_samples: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def network_layout(model: CommunityModel) -> NetworkLayout:
    """The layout of a model's residents, computed once per model (a spring layout would take seconds).

    Compounds sit on a landscape grid, buildings on a small grid inside their compound, and residents are
    scattered inside their building: the picture shows the housing hierarchy the ties follow.
    """
    with _cache_lock:
        layout = _layouts.get(model)
        if layout is None:
            layout = _compute_layout(
                model.network.building, model.network.compound, model.params.buildings_per_compound
            )
            _layouts[model] = layout
    return layout


def _compute_layout(building: np.ndarray, compound: np.ndarray, buildings_per_compound: int) -> NetworkLayout:
    n_compounds = int(compound.max()) + 1
    # A landscape grid: a small community's few compounds sit side by side rather than in a half-empty square.
    columns = min(n_compounds, math.ceil(math.sqrt(n_compounds * 1.6)))
    rows = math.ceil(n_compounds / columns)
    compound_ids = np.arange(n_compounds)
    # Compound 0 at the top left, reading like a map of the community.
    origin = np.column_stack([compound_ids % columns, rows - 1 - compound_ids // columns]).astype(float)
    sub_columns = math.ceil(math.sqrt(buildings_per_compound))
    sub_rows = math.ceil(buildings_per_compound / sub_columns)
    local = building % buildings_per_compound
    margin, cell_w, cell_h = 0.08, 0.84 / sub_columns, 0.84 / sub_rows
    jitter = np.random.default_rng(12345).uniform(0.12, 0.88, size=(building.size, 2))
    x = origin[compound, 0] + margin + (local % sub_columns + jitter[:, 0]) * cell_w
    y = origin[compound, 1] + margin + (sub_rows - 1 - local // sub_columns + jitter[:, 1]) * cell_h
    return NetworkLayout(np.column_stack([x, y]), origin, columns, rows)


def drawn_residents(model: CommunityModel, max_drawn: int = DEFAULT_MAX_DRAWN) -> np.ndarray:
    """Indices of the residents to draw: all of them, or a fixed random sample in large communities."""
    n = model.residents.n
    if n <= max_drawn:
        return np.arange(n)
    with _cache_lock:
        cached = _samples.get(model)
        if cached is None or cached.size != max_drawn:
            cached = np.sort(np.random.default_rng(54321).choice(n, size=max_drawn, replace=False))
            _samples[model] = cached
    return cached


def drawn_ties(model: CommunityModel, drawn: np.ndarray, max_ties: int = MAX_TIES_DRAWN) -> tuple[np.ndarray, ...]:
    """(i, j, trust) of the ties between drawn residents, each tie once, thinned evenly beyond ``max_ties``."""
    net = model.network
    keep = np.zeros(net.n, dtype=bool)
    keep[drawn] = True
    rows, cols = net.rows, net.cols
    once = (rows < cols) & keep[rows] & keep[cols]
    i, j, trust = rows[once], cols[once], net.tie_trust[once]
    if i.size > max_ties:
        every = np.linspace(0, i.size - 1, max_ties).astype(int)
        i, j, trust = i[every], j[every], trust[every]
    return i, j, trust


def headline_positions(layout: NetworkLayout) -> tuple[np.ndarray, np.ndarray]:
    """Where government and the committee are drawn: side by side above the map of compounds."""
    top, centre = layout.rows + 0.18, layout.columns / 2
    return np.array([centre - 0.45, top]), np.array([centre + 0.15, top])


def party_positions(model: CommunityModel, layout: NetworkLayout) -> np.ndarray:
    """Each party cell at the top left corner of its compound."""
    corners = [layout.compound_origin[cell.compound] + (0.04, 0.96) for cell in model.agents_by_type[PartyCell]]
    return np.array(corners).reshape(-1, 2)


def ngo_positions(model: CommunityModel, layout: NetworkLayout) -> tuple[list, np.ndarray]:
    """The NGOs and where each is drawn: spread along the bottom edge of its compound."""
    ngos = sorted(model.ngo_by_id.values(), key=lambda g: (g.compound, g.unique_id))
    positions = np.zeros((len(ngos), 2))
    counts: dict[int, int] = {}
    per_compound = Counter(g.compound for g in ngos)
    for k, ngo in enumerate(ngos):
        slot = counts.get(ngo.compound, 0)
        counts[ngo.compound] = slot + 1
        share = (slot + 0.5) / per_compound[ngo.compound]
        positions[k] = layout.compound_origin[ngo.compound] + (0.06 + 0.88 * share, 0.03)
    return ngos, positions


def draw_network(
    model: CommunityModel, colour_by: str = "activity", max_drawn: int = DEFAULT_MAX_DRAWN, lang: str = "en"
) -> tuple[Figure, str]:
    """The social-capital network: residents by activity or trust, organisations, ties shaded by trust.

    Returns the figure (the model's own, updated in place; see :func:`live_figure`) and a one-line
    caption, which says when residents were sampled. ``lang`` is the language of its words (a figure is
    kept per language, so switching back and forth costs nothing).
    """
    if colour_by not in ("activity", "trust"):
        raise ValueError(f"colour_by must be 'activity' or 'trust', got {colour_by!r}")
    layout = network_layout(model)
    drawn = drawn_residents(model, max_drawn)
    parties = party_positions(model, layout)
    plot = live_figure(model, f"network-{colour_by}-{max_drawn}-{lang}",
                       lambda: NetworkFigure(layout, drawn, parties, colour_by, lang))  # fmt: skip
    return plot.update(model), _network_caption(model, drawn.size, lang)


LEGEND_HEIGHT = 0.6  # inches below the map for the network's legend
COLOURBAR_HEIGHT = 0.45  # ... and above it, for the trust colour bar
ACTIVITY_RGBA = to_rgba_array(ACTIVITY_COLOURS)


class NetworkFigure:
    """One model's network view in one colouring: built once, then only its data change each step."""

    def __init__(
        self, layout: NetworkLayout, drawn: np.ndarray, parties: np.ndarray, colour_by: str, lang: str = "en"
    ) -> None:
        self.layout, self.drawn, self.colour_by, self.lang = layout, drawn, colour_by, lang
        self._ = gettext_for(lang)
        legend_height = LEGEND_HEIGHT + (COLOURBAR_HEIGHT if colour_by == "trust" else 0.0)
        height = _network_height(layout, legend_height)
        self.fig = _figure(6.4, height)
        ax = self.ax = self.fig.add_axes((0.01, legend_height / height, 0.98, 0.99 - legend_height / height))
        _draw_compounds(ax, layout, self._)
        cmap = colormaps[TIE_CMAP]
        self.ties = [ax.plot([], [], color=cmap(0.15 + 0.85 * (level + 0.5) / TIE_SHADES), lw=0.35, alpha=0.5,
                             zorder=1)[0] for level in range(TIE_SHADES)]  # fmt: skip
        self.residents = self._resident_dots()
        self._draw_organisations(parties)
        ax.set_xlim(-0.05, layout.columns + 0.05)
        ax.set_ylim(-0.05, layout.rows + 0.36)
        ax.set_aspect("equal")
        ax.axis("off")
        _network_legend(self.fig, ax, self.residents, colour_by, self._)

    def _resident_dots(self):
        xy = self.layout.positions[self.drawn]
        size = 14 if self.drawn.size <= 1000 else 7
        if self.colour_by == "trust":
            colours = np.zeros(self.drawn.size)
            return self.ax.scatter(*xy.T, c=colours, cmap=TRUST_CMAP, vmin=0, vmax=1, s=size, lw=0, zorder=2)
        return self.ax.scatter(*xy.T, c=ACTIVITY_RGBA[np.zeros(self.drawn.size, dtype=int)], s=size, lw=0, zorder=2)

    def _draw_organisations(self, parties: np.ndarray) -> None:
        """Government and committee above the map, a party cell in each compound, NGOs along the compounds' edge."""
        ax = self.ax
        gov, committee = headline_positions(self.layout)
        # The government -> committee link is as thick as the administrative load it pushes down (set each step).
        (self.link,) = ax.plot(*np.array([gov, committee]).T, color="#555555", solid_capstyle="butt", zorder=3)
        for name, where, size in (("government", gov[None], 160), ("committee", committee[None], 160),
                                  ("party", parties, 90)):  # fmt: skip
            style = ORGANISATION_STYLE[name]
            ax.scatter(where[:, 0], where[:, 1], marker=style["marker"], c=style["color"], s=size, edgecolors="white",
                       zorder=5)  # fmt: skip
        ax.text(gov[0] - 0.09, gov[1], self._("government"), ha="right", va="center", fontsize=8)
        self.committee_label = ax.text(committee[0] + 0.09, committee[1], "", va="center", fontsize=8)
        self.members = LineCollection([], colors="#1f77b4", linewidths=0.3, alpha=0.25, zorder=1.5)
        ax.add_collection(self.members)
        self.ngos = ax.scatter(np.zeros(0), np.zeros(0), marker="D", edgecolors="white", lw=0.6, zorder=5)

    def update(self, model: CommunityModel) -> Figure:
        residents = model.residents
        if self.colour_by == "trust":
            self.residents.set_array(residents.trust[self.drawn])
        else:
            self.residents.set_facecolor(ACTIVITY_RGBA[residents.activity[self.drawn]])
        self._update_ties(*drawn_ties(model, self.drawn))
        self.link.set_linewidth(0.8 + 5 * model.committee.admin_pressure)
        self.committee_label.set_text(self._("committee (autonomy {autonomy:.2f})").format(
            autonomy=model.committee.autonomy))  # fmt: skip
        self._update_ngos(model)
        return self.fig

    def _update_ties(self, i: np.ndarray, j: np.ndarray, trust: np.ndarray) -> None:
        """Ties in a few shades of blue by trust, each shade one broken line (NaN between ties): fast to draw."""
        positions = self.layout.positions
        shade = np.minimum((trust * TIE_SHADES).astype(int), TIE_SHADES - 1)
        for level, line in enumerate(self.ties):
            k = shade == level
            gaps = np.full(int(k.sum()), np.nan)
            xs = np.column_stack([positions[i[k], 0], positions[j[k], 0], gaps]).ravel()
            ys = np.column_stack([positions[i[k], 1], positions[j[k], 1], gaps]).ravel()
            line.set_data(xs, ys)

    def _update_ngos(self, model: CommunityModel) -> None:
        ngos, where = ngo_positions(model, self.layout)
        positions = self.layout.positions
        lines = [(xy, positions[member]) for ngo, xy in zip(ngos, where, strict=True) for member in ngo.members]
        self.members.set_segments(lines)
        self.ngos.set_offsets(where)
        self.ngos.set_facecolor([ORGANISATION_STYLE[g.origin]["color"] for g in ngos])
        self.ngos.set_sizes([25 + 90 * g.capacity for g in ngos])


def _network_height(layout: NetworkLayout, legend_height: float, width: float = 6.4) -> float:
    """Figure height (inches) that fits the compound grid at the figure's width, plus room for the legend."""
    return min(7.0, max(3.2, legend_height + 0.1 + width * (layout.rows + 0.42) / (layout.columns + 0.1)))


def _draw_compounds(ax, layout: NetworkLayout, _: Callable[[str], str]) -> None:
    for k, (x, y) in enumerate(layout.compound_origin):
        ax.add_patch(Rectangle((x + 0.02, y + 0.02), 0.96, 0.96, facecolor="#f7f7f4", edgecolor="#d0d0c8", lw=0.8))
        ax.text(x + 0.5, y + 0.985, _("compound {number}").format(number=k + 1), ha="center", va="top", fontsize=7,
                color="#888888")  # fmt: skip


def _network_legend(fig: Figure, ax, scatter, colour_by: str, _: Callable[[str], str]) -> None:
    handles: list = []
    if colour_by == "activity":
        handles += [_dot(colour, _(label)) for colour, label in zip(ACTIVITY_COLOURS, ACTIVITY_LABELS, strict=True)]
    else:
        height = fig.get_figheight()
        strip = fig.add_axes((0.1, (LEGEND_HEIGHT + 0.25) / height, 0.8, 0.1 / height))
        bar = fig.colorbar(scatter, cax=strip, orientation="horizontal")
        bar.set_label(_("resident's trust in fellow residents (0-1)"), fontsize=7, labelpad=1)
        bar.ax.tick_params(labelsize=7, length=2, pad=1)
    for key in ("government", "committee", "party", "grassroots", "top_down"):
        style = ORGANISATION_STYLE[key]
        handles.append(_dot(style["color"], _(style["label"]), style["marker"]))
    handles.append(Line2D([], [], color="#4a7fb5", lw=1.2, label=_("tie (darker = more trust)")))
    fig.legend(handles=handles, loc="lower center", ncols=3, fontsize=8, frameon=False, borderaxespad=0.2,
               handletextpad=0.3, columnspacing=1.2)  # fmt: skip


def _dot(colour: str, label: str, marker: str = "o") -> Line2D:
    return Line2D([], [], marker=marker, linestyle="", markerfacecolor=colour, markeredgecolor=colour, label=label)


def _network_caption(model: CommunityModel, n_drawn: int, lang: str = "en") -> str:
    _ = gettext_for(lang)
    n = model.residents.n
    shown = (_("all {n:,} residents").format(n=n) if n_drawn == n
             else _("a fixed random sample of {drawn:,} of {n:,} residents").format(drawn=n_drawn, n=n))  # fmt: skip
    return _(
        "Showing {shown}, {ngos} NGOs and {cells} party cells. The grey bar from government to the committee is as "
        "thick as the committee's administrative load."
    ).format(shown=shown, ngos=len(model.ngo_by_id), cells=len(model.agents_by_type[PartyCell]))


# --- figures kept per model -------------------------------------------------------------------------------------------
_live: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def live_figure[T](model: CommunityModel, name: str, build: Callable[[], T]) -> T:
    """The model's plot ``name``, built on first use and kept for the model's lifetime.

    A plot redrawn every step is cheapest updated in place: creating axes, ticks and text is most of what
    a small matplotlib figure costs, and matplotlib caches text sizes per renderer, which a new figure
    does not share. ``build`` must not hold on to the model (the cache would then keep it alive).
    """
    with _cache_lock:
        plots = _live.setdefault(model, {})
        plot = plots.get(name)
    if plot is None:  # built outside the lock: other sessions need not wait for it
        plot = build()
        with _cache_lock:
            plot = plots.setdefault(name, plot)
    return plot


# --- history and the stage -------------------------------------------------------------------------------------------
def history(model: CommunityModel) -> pd.DataFrame:
    """The model's per-month table so far (what its DataCollector has collected)."""
    return pd.DataFrame(model.datacollector.model_vars)


def smoothed_index(index: Sequence[float], window: int) -> np.ndarray:
    """The moving average the stage is read from; the window starts full of the first value, as in ``stages``."""
    values = np.asarray(index, dtype=float)
    padded = np.concatenate([np.full(window - 1, values[0]), values])
    return np.convolve(padded, np.ones(window) / window, mode="valid")


@dataclass(frozen=True)
class StageReport:
    """Where the community is and what government does, in words a student can read at a glance.

    ``smoothed`` is the six-month (``index_smoothing``) average the stage is read from: the number that
    explains why the index can stand above a threshold while the stage still reads the lower one.
    """

    month: int
    stage: str
    role: str
    index: float
    learning_threshold: float
    independence_threshold: float
    responsive: bool
    withdrawn: bool
    smoothed: float | None = None
    window: int = 6

    @property
    def when(self) -> str:
        return self.when_text()

    def when_text(self, lang: str = "en") -> str:
        years, months = divmod(self.month, 12)
        _ = gettext_for(lang)
        return _("month {month} (year {years}, month {months})").format(month=self.month, years=years, months=months)

    @property
    def matching_role(self) -> str:
        """The role the guardian theory prescribes for the measured stage."""
        return ROLE_FOR_STAGE[self.stage]

    @property
    def verdict(self) -> str:
        return self.verdict_text()

    def verdict_text(self, lang: str = "en") -> str:
        """Whether government's role fits the stage, as the theory would judge it."""
        _ = gettext_for(lang)
        words = {"stage": stage_name(self.stage, lang), "role": role_name(self.role, lang),
                 "matching": role_name(self.matching_role, lang)}  # fmt: skip
        if self.withdrawn:
            if self.stage == "independence":
                return _("Government has let go, and the community is mature enough to govern itself.")
            return _("Government has let go of a community that is not yet independent: premature withdrawal.")
        if self.role == self.matching_role:
            return _("Government's role fits the stage: a community in the {stage} stage needs it to {role}.").format(
                **words
            )
        if ROLES.index(self.role) < STAGES.index(self.stage):
            return _(
                "Government still acts to {role} a community that is already in the {stage} stage: the theory "
                "says it should step back and {matching}."
            ).format(**words)
        return _("Government acts to {role} a community that is still in the {stage} stage: the theory says it should "
                 "{matching} first.").format(**words)  # fmt: skip

    @property
    def policy_note(self) -> str:
        return self.policy_note_text()

    def policy_note_text(self, lang: str = "en") -> str:
        _ = gettext_for(lang)
        if self.responsive:
            return _(
                "Responsive (guardian) policy: every year government reviews the community from its street "
                "office's records, read late and with error, and changes role."
            )
        return _("Fixed policy: government keeps these levers whatever the stage; its role is what they amount to.")

    def smoothing_note(self, lang: str = "en") -> str:
        """Why the stage may read lower (or higher) than this month's index: it follows the moving average.

        Said only when it matters: this month's index and the average fall on different sides of a threshold.
        """
        _ = gettext_for(lang)
        if self.smoothed is None:
            return ""
        for threshold, stage in ((self.independence_threshold, "independence"), (self.learning_threshold, "learning")):
            if (self.index >= threshold) != (self.smoothed >= threshold):
                return _("This month's index ({index:.2f}) and the {window}-month average ({average:.2f}) lie on "
                         "different sides of the {stage} threshold ({threshold:.2f}); the stage follows the average, "
                         "so one month cannot change it.").format(
                    index=self.index, window=self.window, average=self.smoothed, stage=stage_name(stage, lang),
                    threshold=threshold)  # fmt: skip
        if self.stage != "dependence" and self.smoothed < self._threshold_of(self.stage):  # hysteresis holds it
            return _("The {window}-month average ({average:.2f}) is below the {stage} threshold, but a stage is only "
                     "lost when the average falls a little further below it.").format(
                window=self.window, average=self.smoothed, stage=stage_name(self.stage, lang))  # fmt: skip
        return ""

    def _threshold_of(self, stage: str) -> float:
        return {"learning": self.learning_threshold, "independence": self.independence_threshold}.get(stage, 0.0)


def stage_report(model: CommunityModel) -> StageReport:
    """The stage indicator's content for the model's current month."""
    p = model.params
    index = history(model)["self_governance_index"]
    learning, independence = thresholds(p)
    return StageReport(
        month=int(model.steps),
        stage=model.stage,
        role=model.government.role,
        index=float(model.metrics["self_governance_index"]),
        learning_threshold=learning,
        independence_threshold=independence,
        responsive=p.policy == "responsive",
        withdrawn=model.levers.withdrawn,
        smoothed=float(smoothed_index(index, p.index_smoothing)[-1]) if len(index) else None,
        window=p.index_smoothing,
    )


class IndexFigure:
    """One model's index plot, built once and updated in place each step (see :func:`live_figure`)."""

    def __init__(self, learning: float, independence: float, window: int, lang: str = "en") -> None:
        _ = gettext_for(lang)
        self.window, self.lang = window, lang
        self.fig = _figure(6.4, 4.2)
        ax = self.ax = self.fig.add_axes((0.1, 0.12, 0.87, 0.8))
        _draw_stage_bands(ax, learning, independence, lang)
        (self.raw,) = ax.plot([], [], color=LINE_COLOUR, lw=0.9, alpha=0.55, label=_("index this month"))
        (self.smooth,) = ax.plot([], [], color=LINE_COLOUR, lw=2.0,
                                 label=_("{window}-month average (sets the stage)").format(window=window))  # fmt: skip
        ax.set_ylim(0, 1)
        ax.set_xlabel(_("years"))
        ax.set_ylabel(_("self-governance index"))
        ax.set_title(_("Self-governance index and the three stages"), fontsize=10, loc="left")
        ax.legend(loc="upper left", fontsize=7, frameon=True, framealpha=0.8)
        self.role_changes: tuple = ()
        self.role_marks: list = []

    def update(self, table: pd.DataFrame) -> Figure:
        years = _years(table)
        index = table["self_governance_index"].to_numpy()
        self.raw.set_data(years, index)
        self.smooth.set_data(years, smoothed_index(index, self.window))
        self._mark_role_changes(years, table["government_role"].tolist())
        self.ax.set_xlim(0, max(1.0, years[-1]))
        return self.fig

    def _mark_role_changes(self, years: np.ndarray, roles: list[str]) -> None:
        """A dotted line and the new role wherever government changed role (redrawn only when that changes)."""
        changes = tuple((k, roles[k]) for k in range(1, len(roles)) if roles[k] != roles[k - 1])
        if changes == self.role_changes:
            return
        for artist in self.role_marks:
            artist.remove()
        self.role_marks = []
        for k, role in changes:
            self.role_marks.append(self.ax.axvline(years[k], color="#444444", lw=0.8, ls=":", zorder=1))
            self.role_marks.append(self.ax.text(years[k], 0.97, " " + role_name(role, self.lang), fontsize=7, va="top",
                                                color="#444444"))  # fmt: skip
        self.role_changes = changes


def draw_index(model: CommunityModel, lang: str = "en") -> Figure:
    """The self-governance index over time, over the stage bands, with government's role changes marked."""
    p = model.params
    plot = live_figure(model, f"index-{lang}", lambda: IndexFigure(*thresholds(p), p.index_smoothing, lang))
    return plot.update(history(model))


def _draw_stage_bands(ax, learning: float, independence: float, lang: str = "en") -> None:
    """Shade and name the index range of each stage, so the line's stage reads at a glance."""
    edges = (0.0, learning, independence, 1.0)
    for stage, low, high in zip(STAGES, edges[:-1], edges[1:], strict=True):
        ax.axhspan(low, high, color=STAGE_COLOURS[stage], zorder=0, lw=0)
        ax.text(0.99, (low + high) / 2, stage_name(stage, lang), transform=ax.get_yaxis_transform(), ha="right",
                va="center",
                fontsize=8, color="#666666", zorder=1)  # fmt: skip


KEY_NUMBERS = (
    ("trust_in_strangers", N_("trust strangers"), "{:.0%}"),
    ("participation_rate", N_("take part this month"), "{:.0%}"),
    ("decision_participation_share", N_("of them in decisions"), "{:.0%}"),
    ("ngo_count", N_("NGOs"), "{:.0f}"),
    ("committee_autonomy", N_("committee autonomy"), "{:.2f}"),
    ("administrative_load", N_("committee time on admin"), "{:.0%}"),
    ("misperception_share", N_("take committee for government"), "{:.0%}"),
    ("public_cost", N_("public cost / month / 1,000"), "{:.1f}"),
)


def key_numbers(model: CommunityModel, lang: str = "en") -> list[tuple[str, str]]:
    """The month's headline measures as (label, formatted value): what the plots on the Measures tab track."""
    _ = gettext_for(lang)
    return [(_(label), fmt.format(model.metrics[key])) for key, label, fmt in KEY_NUMBERS]


# --- the measures ----------------------------------------------------------------------------------------------------
MEASURES_SIZE = (11.0, 9.6)  # inches: one figure for the five measure panels, drawn at DPI
# "Founded by residents" is drawn in its own colour, above the total: when every NGO is a residents' own, the two
# lines coincide, and in one colour the dashed one disappeared into the solid one.
MEASURE_LINES = {  # panel -> (column, colour, width, style, label) of each line it draws
    "trust": (
        ("trust_in_strangers", "#2ca02c", 1.8, "-", N_("share trusting strangers")),
        ("mean_trust", "#2ca02c", 1.0, "--", N_("mean trust")),
    ),
    "participation": (
        ("vulnerable_participant_share", "#444444", 1.0, "--",
         N_("participants who are elderly, unemployed young or low-income")),
    ),
    "ngos": (
        ("ngo_count", "#1f77b4", 1.8, "-", N_("NGOs")),
        ("grassroots_ngo_count", "#ff7f0e", 1.4, (0, (4, 2)), N_("founded by residents")),
    ),
    "committee": (
        ("committee_autonomy", "#6a3d9a", 1.8, "-", N_("autonomy")),
        ("administrative_load", "#555555", 1.8, "-", N_("share of work on admin tasks")),
        ("misperception_share", "#d62728", 1.0, "--", N_("residents who think it represents the government's will")),
    ),
    "cost": (("public_cost", "#444444", 1.6, "-", N_("cost units per 1,000 residents per month")),),
}  # fmt: skip
MEASURE_TITLES = {
    "trust": N_("Trust in strangers (social capital)"),
    "participation": N_("Participation and its composition"),
    "ngos": N_("NGOs: number and independence"),
    "committee": N_("Committee: autonomy vs administrative load"),
    "cost": N_("Public cost"),
}


def _years(table: pd.DataFrame) -> np.ndarray:
    return table["step"].to_numpy() / 12


class MeasuresFigure:
    """The five measures over time in one figure, built once per model and updated in place each step.

    One figure rather than five: one image to encode per step, and a shared time axis. The sixth cell
    of the 3 x 2 grid stays empty; the panel above it carries its own year labels.
    """

    def __init__(self, lang: str = "en") -> None:
        self._ = _ = gettext_for(lang)
        self.fig = _figure(*MEASURES_SIZE)
        grid = self.fig.subplots(3, 2, sharex=True)
        self.fig.subplots_adjust(left=0.06, right=0.95, top=0.92, bottom=0.06, hspace=0.72, wspace=0.22)
        self.axes = dict(zip(MEASURE_TITLES, grid.ravel(), strict=False))
        self.lines = {}
        for panel, ax in self.axes.items():
            ax.tick_params(labelsize=8)
            ax.grid(True, color="#eeeeee", lw=0.6)
            ax.set_ylim(0, 1)
            for column, colour, width, style, label in MEASURE_LINES[panel]:
                (self.lines[column],) = ax.plot([], [], color=colour, lw=width, ls=style, label=_(label), zorder=3)
        self._decorate(grid)
        self.stack: list = []

    def _decorate(self, grid) -> None:
        """What the panels draw besides their lines: the survey mark, the right axis, the legends, the labels.

        Each legend sits above its panel, under the panel's title (the legend's own title), never over the
        plot: a legend inside the axes covered the start of the lines.
        """
        _ = self._
        trust, ngos = self.axes["trust"], self.axes["ngos"]
        trust.axhline(KARAMAY_TRUST, color="#999999", lw=0.8, ls=":", label=_("Karamay survey 2016: 31%"))
        ngos.set_ylabel(_("number"), fontsize=8)
        self.independence = ngos.twinx()
        label = _("mean independence (right axis)")
        (self.lines["ngo_independence"],) = self.independence.plot([], [], color="#8c564b", lw=1.4, label=label)
        self.independence.set_ylim(0, 1)
        self.independence.tick_params(labelsize=8)
        stack = [Patch(color=ACTIVITY_COLOURS[2], label=_("decision-making (share of residents)")),
                 Patch(color=ACTIVITY_COLOURS[1], label=_("low-level activity"))]  # fmt: skip
        self.legends = {}
        for panel, ax in self.axes.items():
            extra = stack if panel == "participation" else []
            right = self.independence.get_legend_handles_labels()[0] if panel == "ngos" else []
            handles = extra + ax.get_legend_handles_labels()[0] + right
            columns = 2 if len(handles) > 1 and panel != "participation" else 1  # its long label needs a full row
            self.legends[panel] = ax.legend(
                handles=handles, title=_(MEASURE_TITLES[panel]), fontsize=7, loc="lower left", bbox_to_anchor=(0, 1),
                ncols=columns, frameon=False, alignment="left", borderaxespad=0.2,
                handlelength=1.8, columnspacing=1.0, title_fontproperties={"size": 10},
            )  # fmt: skip
        grid[2, 1].set_visible(False)
        grid[1, 1].xaxis.set_tick_params(labelbottom=True)
        for ax in (grid[2, 0], grid[1, 1]):
            ax.set_xlabel(_("years"), fontsize=8)

    def update(self, table: pd.DataFrame) -> Figure:
        years = _years(table)
        for column, line in self.lines.items():
            line.set_data(years, table[column].to_numpy())
        self._update_stack(years, table)
        self.axes["trust"].set_xlim(0, max(1.0, years[-1]))  # shared by all panels
        self.axes["ngos"].set_ylim(0, max(5.0, float(table["ngo_count"].max()) * 1.15))
        cost = self.axes["cost"]
        cost.set_ylim(0, max(1.0, float(table["public_cost"].max()) * 1.15))
        self.legends["cost"].set_title(self._("Public cost (total so far: {total:,.0f})").format(
            total=float(table["public_cost"].iloc[1:].sum())))  # fmt: skip
        return self.fig

    def _update_stack(self, years: np.ndarray, table: pd.DataFrame) -> None:
        """Participation as two stacked areas: decision-making below, low-level activity above."""
        for area in self.stack:
            area.remove()
        rate = table["participation_rate"].to_numpy()
        decision = rate * table["decision_participation_share"].to_numpy()
        low = rate * table["low_level_participation_share"].to_numpy()
        ax = self.axes["participation"]
        self.stack = [
            ax.fill_between(years, 0, decision, color=ACTIVITY_COLOURS[2], alpha=0.85, lw=0),
            ax.fill_between(years, decision, decision + low, color=ACTIVITY_COLOURS[1], alpha=0.85, lw=0),
        ]


def draw_measures(model: CommunityModel, lang: str = "en") -> Figure:
    """Trust, participation and its composition, NGOs, the committee and public cost over time."""
    return live_figure(model, f"measures-{lang}", lambda: MeasuresFigure(lang)).update(history(model))


# --- comparison of configurations ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ComparisonSettings:
    """One comparison experiment; equal settings give equal results, so results are cached by settings."""

    names: tuple[str, ...]
    seeds: int = 3
    years: int = 20
    n_residents: int = 500
    seed: int = DEFAULT_SEED  # compare's root seed: the tab shows the numbers `compare` prints for these settings

    @property
    def runs(self) -> int:
        return len(self.names) * self.seeds


@dataclass(frozen=True)
class ComparisonResult:
    settings: ComparisonSettings
    trajectories: pd.DataFrame
    summary: pd.DataFrame


MAX_CACHED_COMPARISONS = 32
_comparisons: dict[ComparisonSettings, ComparisonResult] = {}
_comparison_lock = threading.Lock()


def cached_comparison(settings: ComparisonSettings) -> ComparisonResult | None:
    """A comparison already computed in this server process (by any session: results depend only on settings)."""
    with _comparison_lock:
        return _comparisons.get(settings)


def run_comparison(
    settings: ComparisonSettings,
    on_progress: Callable[[int, int], None] | None = None,
    should_continue: Callable[[], bool] = lambda: True,
) -> ComparisonResult | None:
    """Run the comparison's sweep in this process, reporting progress after every run; None if stopped early.

    Inline, one run per task: progress per run, Stop honoured between runs, and no worker processes started
    inside the web server. The runs and seeds are those of ``compare`` with the same settings.
    """
    cached = cached_comparison(settings)
    if cached is not None:
        return cached
    try:
        trajectories, runs = run_comparison_sweep(
            settings.names, settings.seeds, settings.years * 12, settings.n_residents, seed=settings.seed,
            executor="inline", progress=False, on_progress=on_progress, should_continue=should_continue,
        )  # fmt: skip
    except ComparisonStopped:
        return None
    result = ComparisonResult(settings, trajectories, summarise_runs(runs, stage_thresholds(settings.names)))
    with _comparison_lock:
        _comparisons[settings] = result
        while len(_comparisons) > MAX_CACHED_COMPARISONS:  # drop the oldest: bounded memory on a long-lived server
            del _comparisons[next(iter(_comparisons))]
    return result


def draw_comparison(result: ComparisonResult, lang: str = "en") -> Figure:
    """One panel per configuration: median index and spread over seeds, over the stage bands."""
    names = list(result.settings.names)
    return plot_comparison(result.trajectories, thresholds=stage_thresholds(names), lang=lang)


def summary_markdown(summary: pd.DataFrame, lang: str = "en") -> str:
    """The comparison's headline numbers as a markdown table a student can scan."""
    _ = gettext_for(lang)
    columns = [_("configuration"), _("reaches learning"), _("reaches independence"), _("final index"),
               _("trust strangers"), _("see committee as government"), _("admin tasks done"),
               _("public cost (total)")]  # fmt: skip
    header = "| " + " | ".join(columns) + " |\n" + "|---" * len(columns) + "|"
    rows = [
        f"| {configuration_name(r.configuration, lang)} "
        f"| {stage_cell(r.reached_learning, r.median_year_learning, lang, words=True)} "
        f"| {stage_cell(r.reached_independence, r.median_year_independence, lang, words=True)} | {r.final_index:.2f} "
        f"| {r.trust_in_strangers_last_year:.0%} | {r.misperception_last_year:.0%} "
        f"| {r.admin_task_completion_mean:.0%} | {r.total_public_cost:,.0f} |"
        for r in summary.itertuples()
    ]
    return "\n".join([header, *rows])


LEVERS_SHOWN = (
    ("policy", N_("policy")),
    ("mode", N_("mode")),
    ("funding", N_("funding")),
    ("admin_load", N_("admin load")),
    ("fees_follow_tasks", N_("fees follow tasks")),
    ("training", N_("training")),
    ("feedback", N_("feedback")),
    ("incubation", N_("incubation")),
    ("top_down_ngo_rate", N_("top-down NGOs/yr")),
    ("direct_provision", N_("direct provision")),
    ("elected_committee", N_("elected committee")),
    ("party_service", N_("party service")),
)


def levers_markdown(names: Iterable[str], lang: str = "en") -> str:
    """The configurations' levers side by side: the causes behind the differences in outcome."""
    _ = gettext_for(lang)
    names = list(names)
    params = {name: load_scenario(name).params for name in names}
    shown = [configuration_name(n, lang) for n in names]
    header = f"| {_('lever')} | " + " | ".join(shown) + " |\n|---|" + "---|" * len(names)
    rows = [
        f"| {_(label)} | " + " | ".join(format_value(getattr(params[n], key), lang) for n in names) + " |"
        for key, label in LEVERS_SHOWN
    ]
    return "\n".join([header, *rows])


def format_value(value: object, lang: str = "en") -> str:
    """A parameter value as a student would write it: 0.3, 12, directive (指令型 in Chinese)."""
    return f"{value:g}" if isinstance(value, (int, float)) else choice_name(str(value), lang)


# --- texts (the long passages are Markdown files: simulation/dashboard/prose.py) -------------------------------------
def contrast(summary: pd.DataFrame, first: str = "hangzhou", second: str = "shanghai", lang: str = "en") -> str:
    """The two configurations' headline numbers in one sentence, when both were compared (else empty)."""
    _ = gettext_for(lang)
    rows = summary.set_index("configuration")
    if first not in rows.index or second not in rows.index:
        return ""
    a, b = rows.loc[first], rows.loc[second]
    return _(
        "In this comparison: final index {a_index:.2f} ({first}) against {b_index:.2f} ({second}); trust in strangers "
        "{a_trust:.0%} against {b_trust:.0%}; the committee seen as representing the government's will by "
        "{a_mis:.0%} against {b_mis:.0%}; administrative tasks done {a_admin:.0%} against {b_admin:.0%}; "
        "public cost {a_cost:,.0f} against {b_cost:,.0f}."
    ).format(
        first=configuration_name(first, lang), second=configuration_name(second, lang), a_index=a.final_index,
        b_index=b.final_index, a_trust=a.trust_in_strangers_last_year, b_trust=b.trust_in_strangers_last_year,
        a_mis=a.misperception_last_year, b_mis=b.misperception_last_year, a_admin=a.admin_task_completion_mean,
        b_admin=b.admin_task_completion_mean, a_cost=a.total_public_cost, b_cost=b.total_public_cost,
    )  # fmt: skip


def configurations_markdown(lang: str = "en") -> str:
    """One paragraph per configuration file, from its own title and description."""
    _ = gettext_for(lang)
    parts = ["### " + _("The configurations")]
    for name in list_scenarios():
        spec = load_scenario(name)
        shown = configuration_name(name, lang)
        label = name if shown == name else f"{shown} ({name})"
        parts.append(f"- **{label}**: *{scenario_text(spec.title, lang)}.* {scenario_text(spec.description, lang)}")
    return "\n".join(parts)
