"""The run in the URL and the navigation, in Chromium. Every page opening with no exception box is
tests/e2e/test_offline_and_log.py's walk (by the sidebar) and tests/e2e/test_hostile.py's (each
page's own URL)."""
from playwright.sync_api import expect

from tests.e2e.conftest import open_page, serve, wait_for_app


def test_default_page_keeps_run_in_url(page, app_url):
    open_page(page, app_url, "", "run=fashion-2d")
    assert "run=fashion-2d" in page.url


def test_first_visit_straight_to_a_page_gets_the_navigation(page, e2e_runs_root):
    """A fresh server whose first visitor opens /train still runs dashboard.py (nav + sidebar)."""
    with serve(e2e_runs_root) as url:
        open_page(page, url, "train", "run=mnist5k-2d")
        # a cold server's first run imports PyTorch and loads the data beside its own warm-up: on a
        # loaded 2-core machine that alone has taken more than the usual 120 s budget
        active = page.get_by_role("combobox", name="Active run")
        assert active.input_value(timeout=300_000) == "mnist5k-2d"
        expect(page.locator("[data-testid=stSidebarNav]").get_by_text("What mu and sigma mean")
               ).to_have_count(1)


def test_choosing_a_run_in_the_sidebar_updates_the_url_and_page(page, app_url):
    open_page(page, app_url, "runs", "run=mnist5k-2d")
    box = page.get_by_role("combobox", name="Active run")
    box.click()
    page.get_by_role("option", name="fashion-16d").click()
    page.wait_for_url("**run=fashion-16d**")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Run fashion-16d")).to_have_count(1)
