"""In Chromium: a tiny run started from the Train page shows its curves growing, then finishes."""
import time

from tests.e2e.conftest import CAP_MS, assert_no_exception, open_page, wait_for_app

CURVE_POINTS = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const curves = plots.find(p => (p.layout.annotations || []).some(a => a.text.startsWith('Reconstruction')));
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
        counts.append(page.evaluate(CURVE_POINTS))
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
    assert_no_exception(page)
