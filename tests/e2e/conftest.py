"""End-to-end fixtures: the dashboard served headless on a free port, driven in Debian's chromium.

Streamlit's own pattern: start `streamlit run`, poll /_stcore/health, and after each action wait for
the app to report `data-test-script-state=notRunning`. No browser is downloaded: playwright drives
/usr/bin/chromium.
"""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import _copy_runs, wait_for
from ui.serve import background as serve

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def e2e_runs_root(tmp_path_factory) -> Path:
    return _copy_runs(tmp_path_factory.mktemp("e2e-runs"))


# Budgets for events (a page drawn, a script run ended), never waits for the clock: a cold page on
# a loaded 2-core machine (load 8) takes 15-30 s, so the caps sit well above that.
CAP_MS = 120_000
# Playwright's expect() waits 5 s by default: a click's rerun can start after wait_for_app has
# returned and finish later than that on a loaded machine (seen: the Train form's refusal).
expect.set_options(timeout=CAP_MS)

# The page's Plotly charts, less the empty one dashboard.py draws out of sight on every run (it
# makes the browser load Plotly early)
# Every page's path, the landing page first (Glossary and Compare are opened by their own tests)
PAGES = ["", "reconstructions", "generate", "draw", "explain", "replay", "rate_distortion",
         "presenter", "train", "runs"]

CHARTS = ".js-plotly-plot:not(.st-key-plotly_preload .js-plotly-plot)"


@pytest.fixture(scope="session")
def server_log(tmp_path_factory) -> Path:
    """The session server's output (stdout and stderr), for tests that read its warnings."""
    return tmp_path_factory.mktemp("server") / "server.log"


@pytest.fixture(scope="session")
def app_url(e2e_runs_root, server_log):
    with serve(e2e_runs_root, log_path=server_log) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is missing: `sudo apt-get install chromium` "
                    "(.ci/run installs it when it runs as root)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                               args=["--no-sandbox", "--disable-gpu",
                                     "--disable-background-networking", "--disable-quic",
                                     "--no-first-run", "--disable-component-update",
                                     "--disable-sync"])
        yield b
        b.close()


VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture(scope="session")
def _tab(browser):
    """One browser tab per test process, reused by every test that asks for `page`. A new tab (a
    new renderer) loads and compiles the app's scripts again: 3.6 s of the machine's CPU per page
    open, against 1.9 s for the same tab sent to about:blank and then to the app
    (bench/bench_page_open.py; bench/README.md, "The test suite on two workers")."""
    holder = {}

    def tab():
        if "page" not in holder or holder["page"].is_closed():
            if "context" in holder:
                holder["context"].close()
            holder["context"] = browser.new_context(viewport=VIEWPORT)
            holder["page"] = holder["context"].new_page()
        return holder["page"]

    yield tab
    if "context" in holder:
        holder["context"].close()


@pytest.fixture
def page(_tab):
    """The worker's tab, as a new test needs it: on about:blank (the last test's Streamlit session
    closed), no button held, the usual size and time limit. A test that listens to the page's
    requests or reroutes them takes `fresh_page`: listeners would outlive it here."""
    p = _tab()
    p.goto("about:blank")
    p.mouse.up()
    p.set_viewport_size(VIEWPORT)
    p.set_default_timeout(CAP_MS)
    yield p


@pytest.fixture
def kept_page(_tab):
    """The worker's tab as the last test left it (its Streamlit session still open), for a
    parametrized test that shows one page on run after run with `show_run`: a run switch in the
    sidebar costs a rerun, where a page load also costs the app's scripts again."""
    p = _tab()
    p.mouse.up()
    p.set_viewport_size(VIEWPORT)
    p.set_default_timeout(CAP_MS)
    yield p


@pytest.fixture
def fresh_page(browser):
    """A tab in a browser context of its own, closed after the test."""
    context = browser.new_context(viewport=VIEWPORT)
    p = context.new_page()
    p.set_default_timeout(CAP_MS)
    yield p
    context.close()


COMPONENTS = Path(__file__).resolve().parents[2] / "ui" / "components"


def blank_picture(page, js: str, create: str, width: int) -> None:
    """An SVG component's own files (z_cloud.html and .css, svg_common.js and `js`) on a blank
    page, `width` px wide, with no Streamlit: its `create` function (createCurves, createChart)
    made global, for a test to feed it views and read what it draws."""
    mount = f"export default function (component) {{\n  svgMount(component, {create});\n}}"
    script = (COMPONENTS / "svg_common.js").read_text() + (COMPONENTS / js).read_text()
    assert mount in script, f"{js}'s default export changed: update blank_picture"
    css, html = (COMPONENTS / "z_cloud.css").read_text(), (COMPONENTS / "z_cloud.html").read_text()
    page.set_content(f"<style>{css}</style><div style='width: {width}px'>{html}</div>")
    page.add_script_tag(content=script.replace(mount, f"window.{create} = {create};"))


def wait_for_app(page, timeout: float = CAP_MS) -> None:
    """Wait until the script has finished its run (Streamlit's own e2e idiom)."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",
                           timeout=timeout)


def open_page(page, app_url: str, path: str = "", query: str = "") -> None:
    page.goto(f"{app_url}/{path}{('?' + query) if query else ''}")
    page.wait_for_selector("[data-testid=stApp]")
    wait_for_app(page)


def pick_run(page, name: str) -> None:
    """Make `name` the active run in the sidebar's box, as a user does: a rerun of the same
    session, no page load. Returns once the rerun has ended with only the new box left (during
    the rerun the old box can stand beside the new one)."""
    box = page.get_by_role("combobox", name="Active run")
    box.click()
    box.fill(name)
    page.get_by_role("option", name=re.compile(rf"^{re.escape(name)}( · .*)?$")).click()
    page.wait_for_function(
        """(name) => { const boxes = [...document.querySelectorAll("input[aria-label='Active run']")];
           return boxes.length === 1 && (boxes[0].value === name
                                         || boxes[0].value.startsWith(name + " · ")); }""",
        arg=name)
    wait_for_app(page)


def show_run(page, url: str, path: str, run: str, component: str, state: str) -> None:
    """`run` on the page at `path`, and its browser component (`component`, a selector) ready with
    the run's model: by the page's link when the tab is elsewhere, as it is when the tab already
    shows the run there, else picked in the sidebar (a rerun of the same session). `state` names
    the component's state on its element, whose modelId changes when the new model arrives."""
    if not page.url.startswith(f"{url}/{path}?") and page.url != f"{url}/{path}":
        open_page(page, url, path, f"run={run}")
    elif page.get_by_role("combobox", name="Active run").input_value() == run:
        wait_for_app(page)  # the last test left this page on this run
    else:
        # Playwright's locators reach into the component's shadow root; a page may key the
        # component by run, and then the old element stands beside the new one for a while
        element = page.locator(component)
        held = f"els => els.map(el => [el.{state} ? el.{state}.modelId : null, el.dataset.ready])"
        wait_for_app(page)  # the last test's rerun (a z sent to Python) has ended
        wait_for(lambda: len(element.evaluate_all(held)) == 1, CAP_MS / 1000, f"one {component}",
                 pause=lambda: page.wait_for_timeout(50))
        ((before, _),) = element.evaluate_all(held)

        def arrived() -> bool:
            now = element.evaluate_all(held)
            return len(now) == 1 and now[0][0] != before and now[0][1] == "1"

        pick_run(page, run)
        wait_for(arrived, CAP_MS / 1000, f"{component} to hold the model of {run}",
                 pause=lambda: page.wait_for_timeout(50))
    page.locator(f"{component}[data-ready='1']").wait_for()


def open_every_section(page, path: str) -> None:
    """On the explanation page, open its sections 3-9 (drawn only when opened), as its button
    does, so a check of the page covers all of it; other pages are left as they are."""
    if path == "explain":
        page.get_by_role("button", name="Open every section").click()
        expect(page.get_by_text("What is random").first).to_be_visible()
        wait_for_app(page)


# Each page's title (its h1), as far as every run shares it: Draw says "a digit" or "an input"
TITLES = {"": "Latent space", "reconstructions": "Reconstructions", "generate": "Generate",
          "draw": "Draw a", "explain": "What mu and sigma mean", "replay": "Replay a run",
          "rate_distortion": "Rate and distortion", "presenter": "Presenter mode",
          "glossary": "Glossary", "train": "Train", "runs": "Runs", "compare": "Compare two models"}


def walk_pages(page, url: str, run: str, paths: list[str], also=None) -> None:
    """Each page at `paths` on `run`, as a user walks them: the first opened by its link, every
    other by a click in the sidebar's navigation (a page switch in the same session, no page
    load). Each is checked as one opened alone: no exception box, the sidebar on `run`, the
    explanation page with every section open; and by also(path), when given."""
    for k, path in enumerate(paths):
        if k == 0:
            open_page(page, url, path, f"run={run}")
        else:
            page.locator(f"[data-testid=stSidebarNav] a[href='{url}/{path}']").click()
            wait_for_app(page)
        expect(page.locator("[data-testid=stMain] h1").first, f"/{path}").to_contain_text(
            TITLES[path])
        wait_for_app(page)
        open_every_section(page, path)
        assert_no_exception(page, f"/{path} on {run}")
        assert page.get_by_role("combobox", name="Active run").input_value() == run, path
        if also is not None:
            also(path)


def assert_no_exception(page, where: str = "") -> None:
    exceptions = page.locator("[data-testid=stException]")
    assert exceptions.count() == 0, f"{where}: {exceptions.first.inner_text()}"


# Records, per watched element, whether Streamlit marks it stale: it marks every element of the
# page so when a rerun of the whole page starts, and only a fragment's own when the fragment reruns.
_WATCH_STALE = """(watched) => {
    window.staleMarked = [];
    for (const [name, selector] of Object.entries(watched)) {
        const box = document.querySelector(selector).closest('[data-stale]');
        // a record's old value too: "true" then "false" in one task reaches the callback once
        new MutationObserver(records => {
            if (box.dataset.stale === 'true' || records.some(r => r.oldValue === 'true'))
                window.staleMarked.push(name);
        }).observe(box, {attributes: true, attributeFilter: ['data-stale'],
                         attributeOldValue: true});
    }
}"""

# the page's title and the sidebar's run box: outside every fragment of every page
OUTSIDE_FRAGMENTS = {"title": "[data-testid=stMain] h1", "sidebar": "input[aria-label='Active run']"}


def watch_stale(page, watched: dict[str, str]) -> None:
    """From now on, note which of `watched` (name: a selector of an element on the page) Streamlit
    marks stale; stale_marked(page) lists them."""
    page.evaluate(_WATCH_STALE, watched)


def stale_marked(page) -> list[str]:
    return page.evaluate("window.staleMarked")

