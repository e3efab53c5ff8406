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
    open_page(page, app_url, "train", "run=mnist5k-2d")
    page.get_by_text("Start a new run").click()
    fill(page, "Run name (optional)", "e2e-tiny")
    fill(page, "Epochs", 6)
    fill(page, "Batch size", 32)
    fill(page, "Log every (steps)", 5)
    page.get_by_role("button", name="Start training").click()
    wait_for_app(page)
    assert_no_exception(page)

    # A cap, not a wait: the loop ends when the run finishes. A loaded 2-core machine trains at
    # tens of samples/s (4,500 samples here), so the cap is generous.
    counts, state, deadline = [], "", time.monotonic() + 600
    while time.monotonic() < deadline:
        counts.append(page.evaluate(CURVE_POINTS))
        status_file = e2e_runs_root / "e2e-tiny" / "status.json"  # none while it is "starting"
        state = status_file.read_text() if status_file.exists() else ""
        if '"finished"' in state:
            break
        time.sleep(0.5)
    assert '"finished"' in state, f"the run did not finish: {state}"
    growing = [c for c in counts if c > 0]
    assert len(set(growing)) >= 3, f"curves did not grow while training: {counts}"
    page.wait_for_selector("text=Finished 6 epochs", timeout=CAP_MS)
    assert_no_exception(page)
