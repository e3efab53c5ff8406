"""A walk through every page, as a user clicks: each page opens on the run the walk started on,
with no exception box; the browser asks nothing of any host but the dashboard (offline means
offline), and the server log has no traceback and no warning. (Each page opened straight from
its URL is tests/e2e/test_hostile.py's walk of the good run.)"""
import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.e2e.conftest import CAP_MS, assert_no_exception, serve, wait_for_app

NAV = ["Reconstructions", "Generate", "What mu and sigma mean", "Replay a run",
       "Rate and distortion", "Presenter mode", "Glossary", "Train", "Runs", "Compare two models",
       "Latent space"]
BAD_LOG = re.compile(r"Traceback|Warning|WARNING|Error|ERROR|deprecat", re.IGNORECASE)


def _drawn(page, title: str) -> None:
    wait_for_app(page)
    expect(page.locator("[data-testid=stMain] h1").first).to_contain_text(title, timeout=CAP_MS)
    wait_for_app(page)


def _walk(page, url: str) -> None:
    page.goto(f"{url}/?run=mnist5k-2d")
    _drawn(page, "Latent space")
    page.locator(".st-key-latent_scatter .js-plotly-plot").wait_for()
    nav = page.locator("[data-testid=stSidebarNav]")
    for title in NAV:
        nav.get_by_role("link", name=title, exact=True).click()
        _drawn(page, title)
        assert_no_exception(page)
        assert page.get_by_role("combobox", name="Active run").input_value() == "mnist5k-2d"
        assert "run=mnist5k-2d" in page.url
        if title == "What mu and sigma mean":
            # the widgets whose value a button sets through st.session_state (a known warning)
            drawn = page.get_by_text(re.compile(r"^\d+ z drawn\."))
            page.get_by_role("button", name="Sample eps").click()
            expect(drawn).to_be_visible(timeout=CAP_MS)
            first = drawn.inner_text()
            page.get_by_role("button", name="Open every section").click()  # §5's button in view
            wait_for_app(page)
            page.get_by_role("button", name=re.compile("Start from this input")).click()
            wait_for_app(page)
            page.get_by_role("button", name="Sample eps").click()
            expect(drawn).not_to_have_text(first, timeout=CAP_MS)
        if title == "Presenter mode":
            for _ in range(2):
                page.get_by_role("button", name="Next").click()
                wait_for_app(page)
            page.get_by_role("button", name="Back").click()
            wait_for_app(page)
        assert_no_exception(page)
    box = page.get_by_role("combobox", name="Active run")
    box.click()
    page.get_by_role("option", name="fashion-16d").click()
    page.wait_for_url("**run=fashion-16d**")
    _drawn(page, "Latent space")
    assert_no_exception(page)


def test_every_page_offline_and_the_server_log_clean(browser, e2e_runs_root, tmp_path):
    log = tmp_path / "server.log"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(CAP_MS)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        with serve(e2e_runs_root, log_path=log) as url:
            _walk(page, url)
            text = log.read_text(errors="replace")
    finally:
        context.close()
    outside = sorted({u for u in requests
                      if urlsplit(u).scheme not in ("data", "blob", "about")
                      and urlsplit(u).hostname != "127.0.0.1"})
    assert not outside, f"requests outside 127.0.0.1: {outside}"
    assert any(urlsplit(u).path.endswith(".js") for u in requests), "the walk loaded the app"
    bad = [line for line in text.splitlines() if BAD_LOG.search(line)]
    assert not bad, "the server log has warnings or errors:\n" + text[-4000:]


def test_a_link_to_a_missing_run_offers_the_runs_that_exist(page, app_url):
    page.set_default_timeout(CAP_MS)
    page.goto(f"{app_url}/?run=no-such-run")
    wait_for_app(page)
    expect(page.get_by_text("There is no run named no-such-run")).to_be_visible(timeout=CAP_MS)
    expect(page.locator("[data-testid=stMain] h1")).to_have_count(0, timeout=CAP_MS)  # no page under that name
    assert "run=no-such-run" in page.url
    page.get_by_role("button", name="fashion-2d").click()
    page.wait_for_url("**run=fashion-2d**")
    _drawn(page, "Latent space")
    assert page.get_by_role("combobox", name="Active run").input_value() == "fashion-2d"
    assert_no_exception(page)
