"""End to end: the dashboard served by ``solara run`` and driven in headless Chromium.

Uses Debian's Chromium (``apt-get install chromium``; Playwright's own browser downloads do not work
offline). Without it the test is skipped on a developer's machine, but fails in CI (``CI`` set),
where .ci/run installs it. Screenshots are saved to ``test-artifacts/dashboard.png`` and
``dashboard_zh.png``; with ``UPDATE_DASHBOARD_FIGURE=1`` they also replace the README's figures in
``docs/figures/``. The page must stay offline: no request for KaTeX (or anything else) may fail.

Every wait is for a condition, with a generous timeout (TIMEOUT_MS), never for an elapsed time: on a
machine whose cores are busy a step may take seconds instead of a fraction of one. How fast the
dashboard steps is measured in ``bench/dashboard_benchmark.py``, not asserted here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from simulation import list_scenarios
from simulation.dashboard import server as dashboard_server

from .conftest import stop_process

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
DOCS_FIGURES = ROOT / "docs" / "figures"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TIMEOUT_MS = 180_000  # the longest any one condition may take to appear, on a machine with every core busy

STAGE = ".stage-indicator"
NETWORK_IMG = ".network-view img"
INDEX_IMG = ".index-view img"


def chromium_path() -> str:
    """Debian's Chromium, or the one named by BROWSER_EXECUTABLE; missing is a skip locally and a failure in CI."""
    path = os.environ.get("BROWSER_EXECUTABLE") or shutil.which("chromium") or "/usr/bin/chromium"
    if Path(path).exists():
        return path
    message = f"Chromium not found at {path}: apt-get install chromium"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run the browser test)")
    pytest.skip(message)


@pytest.fixture
def dashboard_url(request):
    """The dashboard served on a free port, as `python -m simulation dashboard` would serve it: one server and one
    log per test (test-artifacts/dashboard-server-TEST.log), so a failure in one test never shows up in another."""
    chromium_path()  # check first: no point starting a server without a browser
    ARTIFACTS.mkdir(exist_ok=True)
    port = dashboard_server.free_port()
    url = f"http://127.0.0.1:{port}/"
    log_path = ARTIFACTS / f"dashboard-server-{request.node.name}.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            dashboard_server.command(port),
            env=dashboard_server.server_env(),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_http(url, server, log_path)
            yield url, log_path
        finally:
            stop_process(server, grace=10)


def _wait_for_http(url: str, server: subprocess.Popen, log_path: Path, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.poll() is not None:
            log = log_path.read_text()
            pytest.fail(f"dashboard server exited with {server.returncode}:\n{log[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    pytest.fail(f"dashboard did not answer at {url} within {timeout:.0f} s")


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # Playwright's own default is 5 s, too short for a busy machine
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def browser(chromium):
    """A browser context of the test's own: every tab it opened is closed (unloaded, as a browser closes a tab,
    so the server ends its session) when the test ends, passed or failed."""
    context = chromium.new_context(viewport={"width": 1440, "height": 1000})
    yield context
    from playwright.sync_api import Error

    for page in context.pages:
        with contextlib.suppress(Error):  # a tab the test closed itself (closing with unload does not wait)
            page.close(run_before_unload=True)
    context.close()


def _src(page, selector: str) -> str:
    return page.locator(selector).first.get_attribute("src") or ""


def _step(page, expected_month: int) -> None:
    """Press Step and wait until the stage indicator, the network and the index plot all show the new month."""
    from playwright.sync_api import expect

    network, index = _src(page, NETWORK_IMG), _src(page, INDEX_IMG)
    page.get_by_role("button", name="Step").click()
    expect(page.locator(STAGE)).to_contain_text(f"month {expected_month} (")
    expect(page.locator(NETWORK_IMG)).not_to_have_attribute("src", network)
    expect(page.locator(INDEX_IMG)).not_to_have_attribute("src", index)


def _month(page) -> int:
    text = page.locator(STAGE).inner_text()
    return int(text.split("month ", 1)[1].split(" ", 1)[0])


def _pick_configuration(page, name: str) -> None:
    page.locator(".configuration-card .v-select").click()
    page.locator(".menuable__content__active .v-list-item", has_text=name).first.click()


def test_dashboard_in_a_real_browser(dashboard_url, browser):
    from playwright.sync_api import expect

    url, log = dashboard_url
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    stage, card = page.locator(STAGE), page.locator(".configuration-card")
    expect(stage).to_contain_text("month 0 (")
    expect(page.locator(NETWORK_IMG)).to_be_visible()

    # Pick a configuration: it loads at once.
    _pick_configuration(page, "hangzhou")
    expect(card).to_contain_text("Hangzhou: combined mechanisms")
    expect(stage).to_contain_text("month 0 (")

    # Step a few times: the stage indicator, the network and the index plot all change.
    for month in (1, 2, 3, 4):
        _step(page, month)

    # Play for a while, then pause.
    page.get_by_role("button", name="▶").click()
    page.wait_for_function("sel => /month (1[0-9]|[2-9][0-9]|[0-9]{3}) /.test(document.querySelector(sel).innerText)",
                           arg=STAGE, timeout=TIMEOUT_MS)  # fmt: skip
    page.get_by_role("button", name="❚❚").click()
    expect(page.get_by_role("button", name="Step")).to_be_enabled()
    assert _month(page) >= 10

    # Change a slider, then Reset: the run restarts with the change.
    training = page.locator('.lever-training [role="slider"]')
    training.focus()
    training.press("End")
    expect(training).to_have_attribute("aria-valuenow", "1")
    expect(page.locator(".lever-training .lever-value")).to_have_text("1")  # the value sits beside its label
    page.get_by_role("button", name="Reset").click()
    expect(stage).to_contain_text("month 0 (")
    expect(card).to_contain_text("training = 1")
    expect(card).to_contain_text("Hangzhou: combined mechanisms")  # Reset keeps the picked configuration

    # Another student's session starts from its own model.
    other = browser.new_page()
    other.set_default_timeout(TIMEOUT_MS)
    other.goto(url)
    expect(other.locator(STAGE)).to_contain_text("month 0 (")
    expect(other.locator(".configuration-card")).to_contain_text("Guardian")
    other.close(run_before_unload=True)  # as a browser closes a tab: the page unloads and says so

    # The measures tab shows the measures, and they update on Step too.
    measures_tab = page.get_by_role("tab", name="Measures")  # the tabs are named, for screen readers too
    measures_tab.click()
    plot = page.locator(".measures-view img")
    expect(plot).to_be_visible()
    expect(page.get_by_text("How to read these plots")).to_be_visible()
    before = plot.get_attribute("src")
    page.get_by_role("button", name="Step").click()
    expect(plot).not_to_have_attribute("src", before)

    page.get_by_role("tab", name="Theory").click()
    expect(page.locator(".theory-view")).to_contain_text("a guardian that steps back in time")
    _compare_in_small(page)
    page.close(run_before_unload=True)
    _assert_no_server_errors(log)


def _compare_in_small(page) -> None:
    """The comparison tab: every configuration x 1 seed, 200 residents, 5 years, computed on demand."""
    from playwright.sync_api import expect

    configurations = len(list_scenarios())
    page.get_by_role("tab", name="Compare").click()
    expect(page.get_by_role("button", name=f"Run comparison ({3 * configurations} runs)")).to_be_visible()
    toggles = page.locator(".comparison-view .v-btn-toggle")
    for k, choice in enumerate(("1", "200", "5")):  # seeds, residents, years
        toggles.nth(k).get_by_role("button", name=choice, exact=True).click()
    page.get_by_role("button", name=f"Run comparison ({configurations} runs)").click()
    expect(page.get_by_text("Why Hangzhou and Shanghai differ")).to_be_visible()
    expect(page.locator(".comparison-view img")).to_be_visible()
    expect(page.get_by_role("button", name="Computed: shown below")).to_be_disabled()


def _assert_no_server_errors(log_path: Path) -> None:
    log = log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert "Could not load URL" not in log, log[-3000:]  # offline: nothing fetched from a CDN (KaTeX was)


def test_screenshot_of_ten_years_under_the_guardian(dashboard_url, browser):
    """A fresh session (the guardian), ten steps of eleven months each: what the README shows."""
    from playwright.sync_api import expect

    url, log = dashboard_url
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    expect(page.locator(STAGE)).to_contain_text("month 0 (")
    interval = page.locator('.lever-render_interval [role="slider"]')
    interval.focus()
    for _ in range(5):  # Mesa's slider runs 1, 3, 5, ...: five steps up is 11 months a Step
        interval.press("ArrowRight")
    expect(interval).to_have_attribute("aria-valuenow", "11")
    # The browser's slider moves at once; the server learns each value a moment later. Under load a Step pressed
    # before the server has 11 steps by an older value (3 months), so wait for the value the server renders.
    expect(page.locator(".lever-render_interval .lever-value")).to_have_text("11")
    for month in range(11, 111, 11):
        page.get_by_role("button", name="Step").click()
        expect(page.locator(STAGE)).to_contain_text(f"month {month} (")
    page.locator(".v-navigation-drawer__content").evaluate("e => e.scrollTop = 0")
    _save_screenshot(page, "dashboard.png")
    page.close(run_before_unload=True)
    _assert_no_server_errors(log)


def _watch_requests(page) -> list[str]:
    """Requests that failed (offline, a CDN is unreachable): the page must ask for nothing it does not ship."""
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    return failed


def test_the_chinese_page_and_the_switch(dashboard_url, browser):
    """?lang=zh starts in Chinese (stage words, configuration names, tabs, figures); the switch changes it all."""
    from playwright.sync_api import expect

    url, log = dashboard_url
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    failed = _watch_requests(page)
    page.goto(url + "?lang=zh")
    stage, card = page.locator(STAGE), page.locator(".configuration-card")
    expect(stage).to_contain_text("第 0 个月")
    expect(stage).to_contain_text("索取依赖")
    # The page's Chinese comes from the font the package ships (a web font in the page), not from the machine's.
    loaded = page.evaluate("async () => (await document.fonts.load('16px \"Noto Sans SC Subset\"', '索取依赖')).length")
    assert loaded == 1, "the shipped Chinese web font did not load"
    expect(stage).to_contain_text("抚养培育")
    expect(card).to_contain_text("监护人：政府按社会力量的成熟程度调整角色")
    expect(page.locator(".lever-training")).to_contain_text("培训")
    expect(page.get_by_role("tab", name="课程")).to_be_visible()  # the tabs are named in the reader's language
    index = _src(page, INDEX_IMG)
    for month in (1, 2, 3):  # the buttons are named in the reader's language too
        page.get_by_role("button", name="单步").click()
        expect(stage).to_contain_text(f"第 {month} 个月")
    page.locator(".configuration-card .v-select").click()
    expect(page.locator(".menuable__content__active")).to_contain_text("上海模式")
    page.locator(".menuable__content__active .v-list-item", has_text="杭州模式").first.click()
    expect(card).to_contain_text("杭州模式：多种机制综合运用")
    page.locator(".v-navigation-drawer__content").evaluate("e => e.scrollTop = 0")
    _save_screenshot(page, "dashboard_zh.png")

    page.locator(".language-switch").get_by_role("button", name="English").click()
    expect(stage).to_contain_text("month 0 (")
    expect(stage).to_contain_text("dependence")
    expect(card).to_contain_text("Hangzhou: combined mechanisms")
    expect(page.locator(INDEX_IMG)).not_to_have_attribute("src", index)  # redrawn in the other language
    page.close(run_before_unload=True)
    assert not failed, failed
    _assert_no_server_errors(log)


def test_a_lesson_loads_runs_and_shows_what_to_notice(dashboard_url, browser):
    """Lesson 1 in Chinese: loading sets the configuration, a prediction unlocks the run, which says what to notice."""
    from playwright.sync_api import expect

    url, log = dashboard_url
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url + "?lang=zh")
    expect(page.locator(STAGE)).to_contain_text("第 0 个月")
    page.get_by_role("tab", name="课程").click()
    lesson = page.locator(".lesson-withdrawal")
    expect(lesson).to_contain_text("过早放手")
    lesson.locator(".lesson-load").click()
    expect(lesson).to_contain_text("已载入")
    expect(page.locator(".configuration-card")).to_contain_text("过早放手：监护人一开始就放手")
    expect(lesson.locator(".lesson-run")).to_be_disabled()  # the question comes first
    lesson.locator(".lesson-prediction").get_by_role("button", name="更低").click()
    lesson.locator(".lesson-run").click()
    notice = lesson.locator(".lesson-notice")
    expect(notice).to_contain_text("一开始就放手")
    expect(notice).to_contain_text("对陌生人的信任")
    expect(lesson.locator(".lesson-feedback")).to_contain_text("你的预测：更低")
    expect(lesson.locator(".lesson-outcome img")).to_be_visible()
    page.close(run_before_unload=True)
    _assert_no_server_errors(log)


def _kernels(url: str) -> int:
    """How many sessions (virtual kernels) the server holds, from Solara's own status page."""
    with urllib.request.urlopen(url + "resourcez", timeout=30) as response:
        return json.load(response)["kernels"]["total"]


def test_closed_tabs_free_their_sessions(dashboard_url, browser):
    """Closing a tab ends its session on the server at once (Solara's close message), so its model is freed."""
    from playwright.sync_api import expect

    url, log = dashboard_url
    _wait_for_kernels(url, 0)  # the other tests close their tabs the same way
    pages = [browser.new_page() for _ in range(3)]
    for page in pages:
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        expect(page.locator(STAGE)).to_contain_text("month 0 (")
    assert _kernels(url) == 3
    for page in pages:
        page.close(run_before_unload=True)  # as a browser does when a tab is closed: the page unloads
    _wait_for_kernels(url, 0)


def _wait_for_kernels(url: str, count: int) -> None:
    end = time.monotonic() + TIMEOUT_MS / 1000
    while _kernels(url) != count:
        assert time.monotonic() < end, f"the server holds {_kernels(url)} sessions, not {count}"
        time.sleep(0.5)


def _save_screenshot(page, name: str) -> None:
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    if os.environ.get("UPDATE_DASHBOARD_FIGURE"):
        DOCS_FIGURES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_FIGURES / name)


# The values page JavaScript can send for a widget, whatever the page showed: ipyvue relays a Vue component's
# "input" and "change" events to the server as the widget's new value.
FORGE = """([selector, value]) => {
    const vm = document.querySelector(selector).__vue__;
    vm.$emit("input", value);
    vm.$emit("change", value);
}"""


def test_values_forged_by_page_javascript_are_refused_in_one_line(dashboard_url, browser, tmp_path):
    """Issue 23's attack: a configuration sent as a path, a planted file, a list. The page shows one
    line, the server logs it, nothing is read and the tab keeps working."""
    from playwright.sync_api import expect

    url, log = dashboard_url
    planted = tmp_path / "planted.toml"
    planted.write_text('title = "PLANTED"\ndescription = "read from the server"\n', encoding="utf-8")
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    stage, notice = page.locator(STAGE), page.locator(".refused-notice")
    expect(stage).to_contain_text("month 0 (")
    forged = [
        (".configuration-card .v-select", "/etc/passwd", "unknown configuration '/etc/passwd'"),
        (".configuration-card .v-select", str(planted), "planted.toml'"),
        (".configuration-card .v-select", "../scenarios/guardian.toml", "'../scenarios/guardian.toml'"),
        (".configuration-card .v-select", ["guardian"], "unknown configuration \"['guardian']\""),
    ]  # sliders: Vuetify clamps a value set from the page itself; what reaches the server is checked in test_dashboard
    for selector, value, reason in forged:
        page.evaluate(FORGE, [selector, value])
        expect(notice).to_contain_text(reason)
    _step(page, 1)  # the tab keeps working, on the configuration it had
    expect(page.locator(".configuration-card")).to_contain_text("Guardian")
    body = page.locator("body").inner_text()
    assert "PLANTED" not in body and "root:" not in body and "Traceback" not in body
    page.close(run_before_unload=True)
    text = log.read_text()
    assert text.count("refused a value the page did not offer") >= len(forged)
    _assert_no_server_errors(log)


def test_play_while_switching_tabs_for_a_minute_with_every_core_busy(dashboard_url, browser):
    """Issue 23: Play, then switching tabs, once replaced the page with a traceback after about 17 s (a figure drawn
    while the month was being recorded). Every core is kept busy meanwhile, as on a loaded classroom server."""
    from playwright.sync_api import expect

    url, log = dashboard_url
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
    try:
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        expect(page.locator(STAGE)).to_contain_text("month 0 (")
        page.get_by_role("button", name="▶").click()
        tabs = [("Measures", ".measures-view img"), ("Community", NETWORK_IMG), ("Theory", ".theory-view"),
                ("Community", INDEX_IMG), ("Measures", ".measures-view img")]  # fmt: skip
        end, switches = time.monotonic() + 60, 0
        while time.monotonic() < end:
            name, shown = tabs[switches % len(tabs)]
            page.get_by_role("tab", name=name).click()
            expect(page.locator(shown).first).to_be_visible()
            switches += 1
        page.get_by_role("tab", name="Community").click()
        page.get_by_role("button", name="❚❚").click()
        expect(page.get_by_role("button", name="Step")).to_be_enabled()
        assert _month(page) > 0, "Play never stepped"
        body = page.locator("body").inner_text()
        assert "Traceback" not in body and "Something went wrong" not in body and "error in step" not in body
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert switches >= 10
    _assert_no_server_errors(log)
