"""The dashboard without a browser: its model, its drawings, and its components rendered with ``solara.render``.

Each component test runs in its own Solara kernel context, the same isolation a browser session gets,
so state held in reactive variables (Mesa's update counter, the comparison task) cannot leak between tests.
Nothing here is timed: how fast a step renders is measured in ``bench/dashboard_benchmark.py``.
"""

from __future__ import annotations

import gc
import os
import time
import uuid
import weakref
from dataclasses import replace

import ipyvuetify as v
import ipywidgets
import numpy as np
import pandas as pd
import pytest
import solara
import solara.widgets
from mesa.visualization import Slider
from solara.server import kernel, kernel_context

from simulation.dashboard import app, controller, prose, views
from simulation.dashboard import server as dashboard_server
from simulation.dashboard.session import control_values
from simulation.experiments.compare import compare_scenarios
from simulation.i18n import LANGUAGES
from simulation.model.community import CommunityModel
from simulation.model.parameters import FIELDS
from simulation.model.scenarios import list_scenarios, load_scenario
from simulation.model.stages import StageTracker


# --- helpers ----------------------------------------------------------------------------------------------------------
def new_session() -> kernel_context.VirtualKernelContext:
    """A fresh virtual kernel, as Solara's server makes for each browser connection."""
    return kernel_context.VirtualKernelContext(
        id=f"kernel-{uuid.uuid4()}", kernel=kernel.Kernel(), session_id=f"session-{uuid.uuid4()}"
    )


@pytest.fixture
def session():
    context = new_session()
    with context:
        yield context
    context.close()


def render_dashboard():
    """The app as ``solara run`` shows it: the page inside the app's own layout (which hosts the sidebar)."""
    return solara.render(app.Layout(children=[app.Page()]), handle_error=False)


def all_widgets(root: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    """Every widget in the tree (reacton's finder stops descending at a match, so it cannot list them all)."""
    found, seen, queue = [], set(), [root]
    while queue:
        item = queue.pop()
        if isinstance(item, (list, tuple)):
            queue.extend(item)
        elif isinstance(item, dict):
            queue.extend(item.values())
        elif isinstance(item, ipywidgets.Widget) and id(item) not in seen:
            seen.add(id(item))
            found.append(item)
            queue.extend(getattr(item, name) for name in item.keys)
    return found


def page_text(rc) -> str:
    """All text the rendered page shows: HTML blocks, markdown templates and plain text children."""
    texts = []
    for widget in all_widgets(rc.container):
        if isinstance(widget, solara.widgets.HTML):
            texts.append(widget.unsafe_innerHTML or "")
        elif isinstance(widget, v.VuetifyTemplate):
            template = widget.template
            texts.append(getattr(template, "template", template) or "")
        texts += [child for child in getattr(widget, "children", None) or [] if isinstance(child, str)]
    return "\n".join(texts)


def stage_indicator(rc) -> str:
    blocks = [widget.unsafe_innerHTML for widget in rc.find(solara.widgets.HTML).widgets]
    (html,) = [block for block in blocks if "stage-indicator" in block]
    return html


def images(rc) -> list[bytes]:
    return [image.value for image in rc.find(ipywidgets.Image).widgets]


def toggles(rc) -> list:
    """The page's toggle buttons, less the language switch in the bar (always there)."""
    return [w for w in rc.find(v.BtnToggle).widgets if "language-switch" not in (w.class_ or "")]


def click(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def wait_for(condition, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


# --- the model behind the controls ------------------------------------------------------------------------------------
def test_untouched_controls_give_exactly_the_configuration():
    """Reset with the sliders where the configuration put them must not change the configuration."""
    for name in list_scenarios():
        model = app.DashboardModel(configuration=name, n_residents=200)
        again = app.DashboardModel(**untouched_controls(app.model_params(model)))
        assert again.changes == {}, name
        assert again.params == load_scenario(name, n_residents=200).params, name


def untouched_controls(params: dict) -> dict:
    """What Mesa's ModelCreator hands to the model on Reset when no control was touched."""
    return {
        key: spec.value if isinstance(spec, Slider) else spec["value"] if isinstance(spec, dict) else spec
        for key, spec in params.items()
    }


def test_moved_sliders_become_overrides_and_the_run_matches_the_model():
    model = app.DashboardModel(configuration="shanghai", n_residents=300, seed="7", training=0.9, admin_load=0.9)
    assert model.changes == {"training": 0.9}  # shanghai's admin_load is already 0.9
    reference = CommunityModel(scenario="shanghai", n_residents=300, rng=7, training=0.9)
    model.run_for(12)
    reference.run_for(12)
    assert model.metrics == reference.metrics


def test_seed_text_is_a_number_or_a_stable_hash():
    assert app.seed_from_text("42") == 42
    assert app.seed_from_text(" 7 ") == 7
    assert app.seed_from_text("hangzhou") == app.seed_from_text("hangzhou") != app.seed_from_text("shanghai")
    blank = app.seed_from_text("")
    assert blank == app.seed_from_text("   ") and isinstance(blank, int)  # an empty box: one fixed seed
    np.random.default_rng(blank)  # that numpy accepts (it refuses negative seeds)


def test_the_levers_are_the_controls_keywords_and_nothing_else():
    """The levers are declared once (controls.CONTROLLED); a keyword that names no control is refused in one line."""
    assert set(control_values(app.DashboardModel(n_residents=100))) == {"configuration", "seed", "n_residents",
                                                                       *app.DashboardModel.CONTROLLED}  # fmt: skip
    with pytest.raises(app.RefusedValue, match="trainig") as err:
        app.DashboardModel(n_residents=100, trainig=0.5)  # a misspelt lever is not silently ignored
    assert "training" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(app.RefusedValue, match="scenario"):
        app.DashboardModel(n_residents=100, scenario="/etc/passwd")  # the configuration has one keyword only
    assert app.DashboardModel(n_residents=100, training=None, funding=None).changes == {}  # None: keep the value


def test_slider_ranges_come_from_the_parameter_definitions():
    model = app.DashboardModel(n_residents=200)
    params = app.model_params(model)
    for name, spec in app.LEVER_SLIDERS.items():
        slider = params[name]
        low, high = FIELDS[name].metadata["low"], FIELDS[name].metadata["high"]
        assert slider.min == low
        assert slider.max == (high if spec.high is None else min(high, spec.high))
        assert slider.min <= slider.value <= slider.max
    for name, (_, choices) in app.LEVER_CHOICES.items():
        assert params[name]["values"] == list(choices) == list(FIELDS[name].metadata["choices"])
    assert params["configuration"] == "guardian"


def test_every_configuration_fits_the_slider_ranges():
    """A slider clipping a configuration's value would silently change that configuration on Reset."""
    for name in list_scenarios():
        p = load_scenario(name).params
        for lever, spec in app.LEVER_SLIDERS.items():
            low, high = spec.bounds(lever)
            assert low <= getattr(p, lever) <= high, (name, lever)


# --- drawings ---------------------------------------------------------------------------------------------------------
def test_layout_puts_every_resident_inside_its_compound():
    model = CommunityModel(scenario="guardian", n_residents=3000, rng=1)
    layout = views.network_layout(model)
    corner = layout.compound_origin[model.network.compound]
    inside = (layout.positions >= corner) & (layout.positions <= corner + 1)
    assert inside.all()
    assert views.network_layout(model) is layout  # computed once per model


def test_drawing_never_changes_the_run():
    """The network view must not draw random numbers from the model: watching a run must not alter it."""
    watched = CommunityModel(scenario="hangzhou", n_residents=400, rng=3)
    unwatched = CommunityModel(scenario="hangzhou", n_residents=400, rng=3)
    for _ in range(6):
        watched.step()
        unwatched.step()
        views.draw_network(watched, "activity", max_drawn=100)
        views.draw_index(watched)
        views.draw_measures(watched)
    assert watched.metrics == unwatched.metrics


def test_large_communities_are_sampled_not_drawn_in_full():
    model = CommunityModel(scenario="guardian", n_residents=2500, rng=1)
    drawn = views.drawn_residents(model, max_drawn=500)
    assert drawn.size == 500 and np.all(np.diff(drawn) > 0)
    assert np.array_equal(views.drawn_residents(model, max_drawn=500), drawn)  # the same sample every step
    i, j, _ = views.drawn_ties(model, drawn, max_ties=300)
    assert i.size <= 300 and np.isin(i, drawn).all() and np.isin(j, drawn).all()
    _, caption = views.draw_network(model, "trust", max_drawn=500)
    assert "sample of 500 of 2,500 residents" in caption


def test_a_large_community_draws_a_fixed_sample_of_its_residents():
    """20,000 residents: the view draws the same number of residents as for a small community (its speed: bench/)."""
    large = CommunityModel(scenario="guardian", n_residents=20_000, rng=1)
    assert views.drawn_residents(large).size == views.DEFAULT_MAX_DRAWN
    _, caption = views.draw_network(large)
    assert f"sample of {views.DEFAULT_MAX_DRAWN:,} of 20,000 residents" in caption


def test_network_draws_organisations():
    model = CommunityModel(scenario="shanghai", n_residents=500, rng=2)
    model.run_for(24)
    assert model.ngo_by_id, "shanghai creates NGOs from above within two years"
    fig, caption = views.draw_network(model, "activity")
    assert f"{len(model.ngo_by_id)} NGOs" in caption
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"party cell", "residents' committee", "NGO created by government", "decision-making"} <= set(legend)
    with pytest.raises(ValueError, match="colour_by"):
        views.draw_network(model, "age")


def test_smoothed_index_matches_the_stage_tracker():
    model = CommunityModel(scenario="guardian", n_residents=300, rng=1)
    tracker = StageTracker(model.params, model.metrics["self_governance_index"])
    for _ in range(20):
        model.step()
        tracker.update(model.metrics["self_governance_index"])
    index = views.history(model)["self_governance_index"]
    assert views.smoothed_index(index, model.params.index_smoothing)[-1] == pytest.approx(tracker.smoothed)


def test_measure_and_index_figures_are_updated_in_place():
    model = CommunityModel(scenario="jianghan", n_residents=300, rng=1)
    model.run_for(5)
    measures, index = views.draw_measures(model), views.draw_index(model)
    model.step()
    assert views.draw_measures(model) is measures and views.draw_index(model) is index
    trust_line = measures.axes[0].get_lines()[0]
    assert len(trust_line.get_xdata()) == 7  # months 0..6
    assert trust_line.get_ydata()[-1] == model.metrics["trust_in_strangers"]
    # Each panel's title heads its legend, which sits above the panel (a legend inside covered the lines).
    titles = [ax.get_legend().get_title().get_text() for ax in measures.axes if ax.get_legend() is not None]
    assert any(title.startswith("Public cost (total so far") for title in titles)


def test_live_figures_do_not_keep_a_model_alive():
    """Each Reset makes a new model; the figures kept for the old one must not keep it in memory."""
    model = CommunityModel(scenario="guardian", n_residents=200, rng=1)
    views.draw_measures(model)
    views.draw_index(model)
    views.draw_network(model)
    gone = weakref.ref(model)
    del model
    gc.collect()
    assert gone() is None


def test_stage_report_judges_the_role_against_the_stage():
    fits = views.StageReport(30, "learning", "assist", 0.4, 0.35, 0.6, responsive=True, withdrawn=False)
    assert "fits" in fits.verdict and fits.when == "month 30 (year 2, month 6)"
    stuck = replace(fits, stage="independence", role="nurture")
    assert "should step back and supervise" in stuck.verdict
    premature = replace(fits, stage="dependence", role="supervise", withdrawn=True)
    assert "premature withdrawal" in premature.verdict
    assert "Fixed policy" in replace(fits, responsive=False).policy_note


# --- the rendered dashboard -------------------------------------------------------------------------------------------
def test_page_renders_the_stage_network_and_index(session):
    _, rc = render_dashboard()
    indicator = stage_indicator(rc)
    assert "month 0" in indicator and "dependence" in indicator and "nurture" in indicator
    assert len(images(rc)) == 2  # the network and the index plot
    text = page_text(rc)
    assert "Guardian: government adapts its role" in text and "Showing all 1,000 residents" in text
    assert "trust strangers" in text and "take committee for government" in text  # the key numbers


def test_step_updates_the_stage_indicator_the_network_and_the_plot(session):
    _, rc = render_dashboard()
    before = images(rc)
    click(rc, "Step")
    click(rc, "Step")
    assert "month 2 (year 0, month 2)" in stage_indicator(rc)
    after = images(rc)
    assert all(a != b for a, b in zip(before, after, strict=True))


def test_trust_toggle_recolours_the_network(session):
    _, rc = render_dashboard()
    network_before = images(rc)[0]
    (toggle,) = toggles(rc)
    toggle.v_model = 1  # "trust"
    assert images(rc)[0] != network_before
    assert "trust" in page_text(rc)


def test_picking_a_configuration_loads_it_and_resets_the_sliders(session):
    _, rc = render_dashboard()
    click(rc, "Step")
    rc.find(v.Select, label="Configuration").widget.v_model = "shanghai"
    assert "month 0" in stage_indicator(rc)
    assert "Shanghai: administrative-led" in page_text(rc)
    funding = rc.find(v.Slider, label=app.LEVER_SLIDERS["funding"].label).widget
    assert funding.v_model == load_scenario("shanghai").params.funding
    click(rc, "Step")
    click(rc, "Reset")  # the controls now hold shanghai's values, so Reset changes nothing
    assert "month 0" in stage_indicator(rc) and "Your changes" not in page_text(rc)
    assert "Shanghai: administrative-led" in page_text(rc)


def test_slider_change_takes_effect_on_reset(session):
    _, rc = render_dashboard()
    click(rc, "Step")
    rc.find(v.Slider, label=app.LEVER_SLIDERS["training"].label).widget.v_model = 0.2
    assert "month 1" in stage_indicator(rc)  # nothing changes until Reset
    click(rc, "Reset")
    assert "month 0" in stage_indicator(rc)
    assert "Your changes in this run:" in page_text(rc) and "training = 0.2" in page_text(rc)


def test_every_browser_session_has_its_own_model():
    first, second = new_session(), new_session()
    with first:
        _, rc_first = render_dashboard()
        click(rc_first, "Step")
        click(rc_first, "Step")
    with second:
        _, rc_second = render_dashboard()
        assert "month 0" in stage_indicator(rc_second)
    with first:
        assert "month 2" in stage_indicator(rc_first)
        rc_first.find(v.Select, label="Configuration").widget.v_model = "karamay"
    with second:
        assert "Guardian" in page_text(rc_second)
    first.close()
    second.close()


def test_measures_tab_shows_the_measures_and_a_guide(session):
    _, rc = render_dashboard()
    rc.find(v.Tabs).widget.v_model = 1
    assert len(images(rc)) == 1
    assert "How to read these plots" in page_text(rc)
    before = images(rc)
    click(rc, "Step")
    assert all(a != b for a, b in zip(before, images(rc), strict=True))


def test_theory_tab_explains_the_stages_and_every_configuration(session):
    _, rc = render_dashboard()
    rc.find(v.Tabs).widget.v_model = 3
    text = page_text(rc)
    assert "guardian that steps back in time" in text
    for name in list_scenarios():
        assert f"<strong>{name}</strong>" in text


@pytest.mark.parametrize("forged", [99, -1, "x", 1.5, None, True, [2]])
def test_a_tab_index_the_page_never_offered_keeps_the_open_tab(session, forged):
    """The tab index comes from the page and is checked before use (solara.lab.Tabs' is not: see app.Tabs)."""
    _, rc = render_dashboard()
    tabs = rc.find(v.Tabs).widget
    tabs.v_model = 3
    tabs.v_model = forged
    text = page_text(rc)
    assert "guardian that steps back in time" in text and "Something went wrong" not in text
    tabs.v_model = 0  # the tabs work on
    assert "stage-indicator" in page_text(rc)


def test_every_prose_passage_exists_in_every_language_and_none_is_empty():
    """The long texts are Markdown files (simulation/dashboard/prose/<lang>/<name>.md), one per passage and language."""
    for lang in LANGUAGES:
        files = {path.stem for path in (prose.PROSE_DIR / lang).glob("*")}
        assert files == set(prose.PASSAGES), (
            f"prose/{lang}: missing {set(prose.PASSAGES) - files}, unread {files - set(prose.PASSAGES)}"
        )
        for name in prose.PASSAGES:
            text = prose.passage(name, lang)
            assert text.strip() and prose.markdown_html(text).startswith("<"), (lang, name)
    assert {path.name for path in prose.PROSE_DIR.iterdir()} == set(LANGUAGES)  # no language the page cannot pick
    assert "阶段理论" in prose.passage("theory", "zh") and "stage theory" in prose.passage("theory", "en")
    with pytest.raises(ValueError, match="unknown passage 'nonsense'; valid: theory"):
        prose.passage("nonsense", "en")


def test_the_theory_tab_reads_its_prose_in_the_readers_language(session, monkeypatch):
    monkeypatch.setenv("DASHBOARD_LANG", "zh")
    _, rc = render_dashboard()
    rc.find(v.Tabs).widget.v_model = 3
    assert prose.markdown_html(prose.passage("theory", "zh")) in page_text(rc)


# --- comparison -------------------------------------------------------------------------------------------------------
SMALL = views.ComparisonSettings(("hangzhou", "shanghai"), seeds=1, years=1, n_residents=100)


def test_comparison_reports_progress_and_is_cached():
    seen = []
    result = views.run_comparison(SMALL, lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]
    assert list(result.summary["configuration"]) == ["hangzhou", "shanghai"]
    assert set(result.trajectories["step"]) == set(range(13))
    assert views.run_comparison(SMALL) is result  # a second request is served from the cache
    # The tab shows the numbers `compare` gives for the same settings: the same sweep, the same seeds.
    _, summary = compare_scenarios(SMALL.names, SMALL.seeds, 12 * SMALL.years, SMALL.n_residents, executor="inline",
                                   progress=False)  # fmt: skip
    pd.testing.assert_frame_equal(result.summary, summary)
    assert "| hangzhou |" in views.summary_markdown(result.summary)
    assert "| admin load | 0.4 | 0.9 |" in views.levers_markdown(SMALL.names)
    assert "final index" in views.contrast(result.summary) and views.contrast(result.summary, "guardian") == ""


def test_comparison_can_be_stopped():
    settings = replace(SMALL, n_residents=120)
    assert views.run_comparison(settings, should_continue=lambda: False) is None
    assert views.cached_comparison(settings) is None


def test_comparison_tab_runs_on_demand_with_progress(session):
    _, rc = render_dashboard()
    rc.find(v.Tabs).widget.v_model = 2
    rc.find(v.Select, label="Configurations").widget.v_model = ["shanghai", "hangzhou"]
    seeds, residents, years = toggles(rc)
    seeds.v_model, residents.v_model, years.v_model = 0, 0, 0  # 1 seed, 200 residents, 5 years
    assert "Run comparison (2 runs)" in page_text(rc)
    click(rc, "Run comparison (2 runs)")
    wait_for(lambda: app.comparison_task.finished)
    wait_for(lambda: "Why Hangzhou and Shanghai differ" in page_text(rc))
    assert len(images(rc)) == 1
    assert "<td>hangzhou</td>" in page_text(rc)
    assert "In this comparison: final index" in page_text(rc)
    assert "Computed: shown below" in page_text(rc)
    assert views.cached_comparison(views.ComparisonSettings(("hangzhou", "shanghai"), 1, 5, 200)) is not None


# --- starting the server ----------------------------------------------------------------------------------------------
def test_serve_runs_solara_in_production_without_telemetry(monkeypatch, capsys):
    calls = {}

    class FakeProcess:
        def __init__(self, cmd, env):
            calls["cmd"], calls["env"] = cmd, env

        def wait(self, timeout=None):
            return 3

    monkeypatch.setattr(dashboard_server.subprocess, "Popen", FakeProcess)
    port = dashboard_server.free_port()
    assert dashboard_server.serve(port=port) == 3
    cmd = calls["cmd"]
    # Solara's `run` behind the entry point that makes the server watch this process (it dies with it)
    assert cmd[1:4] == ["-m", "simulation.dashboard.server", str(os.getpid())] and cmd[4] == "run"
    assert cmd[5].endswith("simulation/dashboard/app.py")
    assert "--production" in cmd and cmd[cmd.index("--port") + 1] == str(port)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    env = calls["env"]
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == dashboard_server.DISCONNECTED_GRACE and env["MALLOC_ARENA_MAX"] == "2"
    assert env["DASHBOARD_MAX_SESSIONS"] == str(dashboard_server.DEFAULT_MAX_SESSIONS)
    assert f"http://127.0.0.1:{port}/" in capsys.readouterr().out


def test_serve_picks_a_free_port_when_none_is_given(monkeypatch, capsys):
    monkeypatch.setattr(dashboard_server.subprocess, "Popen", lambda cmd, env: type("P", (), {"wait": lambda s: 0})())
    assert dashboard_server.serve() == 0
    port = int(capsys.readouterr().out.split("http://127.0.0.1:")[1].split("/")[0])
    assert 0 < port < 65536


@pytest.mark.parametrize("forged", ["/etc/passwd", "../scenarios/guardian.toml", "guardian.toml", 42, "x" * 5000])
def test_the_dashboard_model_takes_configuration_names_never_paths(tmp_path, forged):
    """Issue 23: a browser's value reached load_scenario, which reads a value with '/' or '.toml' as a file."""
    planted = tmp_path / "planted.toml"
    planted.write_text('title = "PLANTED"\ndescription = "read from the server"\n', encoding="utf-8")
    for value in (forged, str(planted)):
        with pytest.raises(app.UnknownConfiguration) as err:
            app.DashboardModel(configuration=value, n_residents=50)
        message = str(err.value)
        assert "\n" not in message and "guardian" in message and "PLANTED" not in message and len(message) < 400


# --- what a browser may send (issue 23): values the page offered, never anything else ---------------------------------
FORGED = {
    "configuration": ["/etc/passwd", "guardian.toml", 7, None],
    "seed": ["x" * 5000, 1.5, True, ["1"], "a\nb"],
    "n_residents": [10**12, 50, 20_001, -100, "1000", float("nan"), 150.5, True],
    "funding": [1e9, -1, float("inf"), "12", None],
    "withdraw_at_step": [2.5, 10**9, -2],
    "policy": ["fixed; rm", 3],
    "mode": ["", "supervisory "],
    "no_such_control": [1],
}


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, values in FORGED.items() for v in values if v is not None])
def test_a_value_the_page_never_offered_is_refused_in_one_line(name, value):
    with pytest.raises(app.RefusedValue) as err:
        app.offered_control(name, value)
    message = str(err.value)
    assert "\n" not in message and len(message) < 400 and name in message or "configuration" in message


def test_every_value_the_page_offers_is_accepted():
    spec = app.LEVER_SLIDERS["funding"]
    low, high = spec.bounds("funding")
    assert app.offered_control("funding", low) == low and app.offered_control("funding", high) == high
    assert app.offered_control("n_residents", 100) == 100 and app.offered_control("n_residents", 20_000.0) == 20_000
    assert app.offered_control("withdraw_at_step", -1) == -1 and app.offered_control("seed", "hangzhou") == "hangzhou"
    for name, (_, choices) in app.LEVER_CHOICES.items():
        assert [app.offered_control(name, c) for c in choices] == list(choices)
    for name in list_scenarios():
        assert app.offered_control("configuration", name) == name


def test_a_reset_with_forged_controls_builds_nothing():
    """Reset builds the model from stored values: DashboardModel checks every keyword again before any run."""
    with pytest.raises(app.RefusedValue):
        app.DashboardModel(configuration="guardian", n_residents=10**9)
    with pytest.raises(app.RefusedValue):
        app.DashboardModel(configuration="guardian", funding=float("nan"))


def test_forged_widget_values_are_refused_in_the_page_and_the_tab_keeps_working(session, capsys):
    """The attack of issue 23, at the widgets: the values a page's JavaScript could set, one after another."""
    _, rc = render_dashboard()
    click(rc, "Step")
    before = dict(control_values(app.DashboardModel(n_residents=1000)))
    funding = rc.find(v.Slider, label=app.LEVER_SLIDERS["funding"].label).widget
    residents = rc.find(v.Slider, label="Residents").widget
    configuration = rc.find(v.Select, label="Configuration").widget
    for widget, value in ((funding, 1e9), (residents, 10**12), (configuration, "/etc/passwd"),
                          (configuration, "../scenarios/guardian.toml")):  # fmt: skip
        widget.v_model = value
        text = page_text(rc)
        assert "Refused:" in text and "Traceback" not in text and "root:" not in text
        assert "month 1" in stage_indicator(rc)  # the run was not touched
    assert "read from the server" not in page_text(rc)
    click(rc, "Reset")  # builds from the stored values, which never took the forged ones
    assert "month 0" in stage_indicator(rc) and "Your changes" not in page_text(rc)
    assert control_values(app.DashboardModel(n_residents=1000)) == before
    assert "refused a value the page did not offer" in capsys.readouterr().err  # logged on the server
    funding.v_model = 10.5  # an offered value is taken, and clears the notice
    assert "Refused:" not in page_text(rc)


def test_a_failure_shows_one_line_in_the_page_and_the_whole_story_in_the_log(session, monkeypatch, capsys):
    """No traceback reaches a page (issue 23): an error no component catches is one line there, logged in full."""
    rc_box, rc = solara.render(app.Layout(children=[app.Page()]))  # as the server renders: errors handled

    def broken(*args, **kwargs):
        raise OSError("cannot read /srv/secret/install/path")

    monkeypatch.setattr(views, "key_numbers", broken)
    click(rc, "Step")
    shown = "\n".join(w.value for w in all_widgets(rc_box) if isinstance(w, ipywidgets.HTML))
    assert "Something went wrong on the server (OSError)" in shown
    assert "/srv/secret" not in shown and "Traceback" not in shown and "app.py" not in shown
    logged = capsys.readouterr().err
    assert "Traceback" in logged and "/srv/secret" in logged


def test_the_page_never_reads_a_month_half_recorded():
    """Play steps in its own thread while the page draws in others (issue 23: 78 values against 77 months).

    A reader that takes the model's lock (``still``) always sees whole months; the same reads without it are the
    race the browser met, which this test shows is real on this machine by counting torn reads without the lock.
    """
    import threading

    def whole(model) -> bool:
        frame = model.datacollector.get_model_vars_dataframe()
        return len(frame) == model.steps + 1 and all(len(v) == model.steps + 1 for v in
                                                     model.datacollector.model_vars.values())  # fmt: skip

    def torn_reads(model, locked: bool, months: int) -> int:
        stop, torn = threading.Event(), 0

        def play() -> None:
            for _ in range(months):
                model.step()
            stop.set()

        player = threading.Thread(target=play)
        player.start()
        while not stop.is_set():
            try:
                ok = app.still(model, whole, model) if locked else whole(model)
            except ValueError:
                ok = False
            torn += not ok
        player.join()
        return torn

    assert torn_reads(app.DashboardModel(n_residents=100), locked=False, months=120) > 0  # the race is real
    assert torn_reads(app.DashboardModel(n_residents=100), locked=True, months=120) == 0


def test_play_steps_only_after_the_page_drew_the_last_month():
    """Play never steps faster than the page draws (issue 23: months arriving during every render pass of a slow
    page ended in reacton's "Too many renders triggered" when a tab was clicked while playing)."""
    import threading

    steps, drawn, stop = [], threading.Event(), threading.Event()

    def step() -> bool:
        steps.append(time.monotonic())
        return True

    player = threading.Thread(target=controller.play_loop, args=(step, lambda: 0, drawn, stop))
    player.start()
    try:
        time.sleep(0.3)
        assert steps == []  # the page has not drawn: no month
        for drawn_months in (1, 2, 3):
            drawn.set()  # the page drew: one month, and no more until it draws again
            wait_for(lambda n=drawn_months: len(steps) == n, timeout=5)
            time.sleep(0.3)
            assert len(steps) == drawn_months
    finally:
        stop.set()
        player.join(timeout=2)
    assert not player.is_alive()  # stopped within a second, between two months


def test_play_ends_by_itself_when_the_step_says_the_run_is_over():
    import threading

    drawn, stop = threading.Event(), threading.Event()
    drawn.set()
    calls = []
    controller.play_loop(lambda: calls.append(1) or False, lambda: 0, drawn, stop)  # returns: no hang
    assert calls == [1]


def test_play_and_pause_in_the_rendered_page(session):
    """Play steps the model while the page keeps up, Pause stops it, and Step comes back."""
    _, rc = render_dashboard()

    def month() -> int:
        return int(stage_indicator(rc).split("month ")[1].split(" ")[0])

    click(rc, "▶")
    wait_for(lambda: month() >= 3, timeout=60)
    assert rc.find(v.Btn, children=["Step"]).widget.disabled  # no Step while playing
    click(rc, "❚❚")
    stopped = month()
    time.sleep(0.5)
    assert month() in (stopped, stopped + 1)  # at most the month under way when Pause was pressed
    assert not rc.find(v.Btn, children=["Step"]).widget.disabled


def test_the_run_buttons_speak_the_readers_language(session, monkeypatch):
    """The buttons are the dashboard's own, named in Chinese for a Chinese page (Mesa's said Reset and Step)."""
    monkeypatch.setenv("DASHBOARD_LANG", "zh")
    _, rc = render_dashboard()
    click(rc, "单步")
    assert "第 1 个月" in stage_indicator(rc)
    click(rc, "重置")
    assert "第 0 个月" in stage_indicator(rc)


def test_a_step_that_fails_is_one_line_and_the_tab_keeps_working(session, monkeypatch, capsys):
    """A month that fails (a fault of ours) shows one line, with no server path; the log has the traceback."""
    _, rc = render_dashboard()
    working = controller.step_months

    def broken(model, months):
        raise OSError("cannot write /srv/secret/install/path")

    monkeypatch.setattr(controller, "step_months", broken)
    click(rc, "Step")
    text = page_text(rc)
    assert "Something went wrong on the server (OSError)" in text and "/srv/secret" not in text
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.setattr(controller, "step_months", working)
    click(rc, "Reset")  # clears the line; the tab works on
    click(rc, "Step")
    assert "month 1" in stage_indicator(rc) and "Something went wrong" not in page_text(rc)


@pytest.mark.parametrize("host", ["nosuch.invalid", "8.8.8.8"])
@pytest.mark.parametrize("port", [None, 8765])
def test_a_host_the_server_cannot_listen_on_is_named_in_one_line(host, port):
    with pytest.raises(dashboard_server.DashboardError) as err:
        dashboard_server.serve(port, host)
    message = str(err.value)
    assert message.startswith(f"cannot listen on {host}") and "--host" in message and "\n" not in message


@pytest.mark.parametrize(("signum", "code"), [(15, 143), (1, 129)])
def test_a_dashboard_stopped_by_a_signal_exits_with_128_plus_the_signal(monkeypatch, capsys, signum, code):
    """A shell, a service manager and a test can tell a stopped dashboard from one that ended by itself."""

    class Server:  # the server process: it stops when asked (SIGTERM from the forwarder)
        def wait(self, timeout=None):
            os.kill(os.getpid(), signum)  # the command itself is stopped while it waits
            return -15

        def poll(self):
            return None

        def terminate(self):
            pass

    monkeypatch.setattr(dashboard_server.subprocess, "Popen", lambda cmd, env: Server())
    assert dashboard_server.serve() == code
