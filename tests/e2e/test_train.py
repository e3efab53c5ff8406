"""In Chromium: a tiny run started from the Train page shows its curves growing, then finishes."""
import re
import time

from playwright.sync_api import expect

from tests.e2e.conftest import CAP_MS, assert_no_exception, open_page, wait_for_app

# The training points of the curves chart titled with `run`'s name (the theme wraps the title in
# <b>): right after Start, the page can still show the run it was opened on (mnist5k-2d, 480
# points) until its next rerun.
CURVE_POINTS = """(run) => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const curves = plots.find(p => (p.layout.annotations || []).some(a => a.text.startsWith('Reconstruction'))
                                 && ((p.layout.title || {}).text || '').includes(run + ':'));
  return curves ? curves._fullData.filter(t => t.name === 'train').reduce((n, t) => n + (t._length || 0), 0) : 0;
}"""


def fill(page, label, value):
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Tab")


def test_tiny_run_from_the_train_page(page, app_url, e2e_runs_root):
    """Start a run from the form, watch its curves grow while it trains, stop it with the page's
    Stop button. (Finishing is covered by tests/test_page_train.py and the upload e2e test: on a
    quiet machine a run short enough to finish here ends before the page has refreshed twice.)"""
    open_page(page, app_url, "train", "run=mnist5k-2d")
    page.get_by_text("Start a new run").click()
    fill(page, "Run name (optional)", "e2e-tiny")
    fill(page, "Epochs", 500)
    fill(page, "Batch size", 32)
    fill(page, "Log every (steps)", 5)
    page.get_by_role("button", name="Start training").click()
    wait_for_app(page)
    assert_no_exception(page)

    # A cap, not a wait: the loop ends once the curves have grown three times. A loaded 2-core
    # machine trains at tens of samples/s, so the cap is generous.
    status_file = e2e_runs_root / "e2e-tiny" / "status.json"  # none while it is "starting"
    counts, deadline = [], time.monotonic() + 600
    while time.monotonic() < deadline and len({c for c in counts if c > 0}) < 3:
        counts.append(page.evaluate(CURVE_POINTS, "e2e-tiny"))
        state = status_file.read_text() if status_file.exists() else ""
        assert '"finished"' not in state and '"failed"' not in state, state
        time.sleep(0.5)
    growing = [c for c in counts if c > 0]
    assert len(set(growing)) >= 3 and growing == sorted(growing), \
        f"curves did not grow while training: {counts}"
    # by its key: while a script run is in flight Streamlit's own toolbar shows a "Stop" too
    page.locator(".st-key-stop button").click()
    page.wait_for_selector("text=e2e-tiny is stopped", timeout=CAP_MS)
    assert '"stopped"' in status_file.read_text()
    # the sidebar follows, without a reload: it said "running" until the next click before
    sidebar = page.locator("[data-testid=stSidebar]")
    expect(sidebar.get_by_text("stopped", exact=False)).to_have_count(1, timeout=CAP_MS)
    expect(sidebar.get_by_text("running", exact=False)).to_have_count(0)
    assert_no_exception(page)


def test_the_sidebar_follows_a_run_that_finishes_while_watched(page, app_url, e2e_runs_root):
    """The Train page refreshes only its live part while a run trains; when the run ends on its
    own, the whole app reruns once, so the sidebar does not keep saying "running"."""
    open_page(page, app_url, "train", "run=mnist5k-2d")
    page.get_by_text("Start a new run").click()
    fill(page, "Run name (optional)", "e2e-short")
    fill(page, "Epochs", 2)
    fill(page, "Batch size", 256)
    page.get_by_role("button", name="Start training").click()
    wait_for_app(page)
    sidebar = page.locator("[data-testid=stSidebar]")
    expect(page.get_by_role("combobox", name="Active run")).to_have_value(
        re.compile("^e2e-short"), timeout=CAP_MS)  # the new run is the active one
    status_file = e2e_runs_root / "e2e-short" / "status.json"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and '"finished"' not in (
            status_file.read_text() if status_file.exists() else ""):
        page.wait_for_timeout(200)
    assert '"finished"' in status_file.read_text()
    expect(sidebar.get_by_text("finished", exact=False)).not_to_have_count(0, timeout=CAP_MS)
    for word in ("running", "starting"):
        expect(sidebar.get_by_text(word, exact=False)).to_have_count(0)
    assert_no_exception(page)
