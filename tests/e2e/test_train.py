"""In Chromium: the Train page's curves name what the run logged; a tiny run started from the page
shows its curves growing in place, then stops or finishes."""
import re
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import CAP_MS, assert_no_exception, open_page, wait_for_app
from ui.figures.curves import metrics_frames
from vae.run import RunDir

# The training points the curves of `run` show (the picture titled with its name): right after
# Start, the page can still show the run it was opened on (mnist5k-2d) until its next rerun. Each
# element is marked the first time it is read: a mark that is gone later means it was drawn anew.
CURVE_POINTS = """(els, run) => {
  const el = els.find(e => e.querySelector('.title span').textContent.startsWith(run + ':'));
  if (!el) return [0, null];
  const kept = el.__seen === true;
  el.__seen = true;
  return [Number(el.dataset.points), kept];
}"""
CURVES = ".st-key-curves .vae-zc[data-ready='1']"  # in the component's shadow root: a locator


def fill(page, label, value):
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Tab")


def test_the_curves_name_the_logged_numbers_under_the_pointer(page, app_url, e2e_runs_root):
    """The curves are drawn from numbers in the browser: what the hover says is what the run
    logged, in the panel under the pointer, and "Download SVG" saves the picture."""
    open_page(page, app_url, "train", "run=mnist5k-2d")
    curves = page.locator(CURVES)
    curves.scroll_into_view_if_needed()
    steps, _ = metrics_frames(RunDir(e2e_runs_root / "mnist5k-2d").read_metrics())
    box = curves.locator("svg").bounding_box()
    tip = curves.locator(".tip")
    for at, part, name in ((0.15, "recon", "Reconstruction"), (0.85, "neg_elbo", "−ELBO")):
        page.mouse.move(box["x"] + box["width"] * at, box["y"] + box["height"] * 0.5)
        expect(tip).to_contain_text(re.compile(f"^{name} at step"))  # this panel's, not the last
        words = tip.inner_text()
        found = re.match(rf"{name} at step (\d+), epoch (\d+): train (\d+\.\d\d) nats", words)
        assert found, words
        row = steps[steps["step"] == int(found[1])].iloc[0]
        assert int(found[2]) == row["epoch"], words
        assert found[3] == f"{row[f'train/{part}']:.2f}", words
    with page.expect_download() as download:
        curves.get_by_role("button", name="Download SVG").click()
    assert download.value.suggested_filename == "mnist5k-2d-curves.svg"
    svg = Path(download.value.path()).read_text()
    assert svg.startswith("<svg") and "mnist5k-2d: loss during training" in svg
    assert svg.count('class="train"') == 3 and svg.count('class="test"') == 3


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
    counts, kept, deadline = [], [], time.monotonic() + 600
    while time.monotonic() < deadline and len({c for c in counts if c > 0}) < 3:
        points, same = page.locator(CURVES).evaluate_all(CURVE_POINTS, "e2e-tiny")
        counts.append(points)
        kept.append(same)
        state = status_file.read_text() if status_file.exists() else ""
        assert '"finished"' not in state and '"failed"' not in state, state
        time.sleep(0.5)
    growing = [c for c in counts if c > 0]
    assert len(set(growing)) >= 3 and growing == sorted(growing), \
        f"curves did not grow while training: {counts}"
    # one element, redrawn in place: every read that found it after the first found the mark it
    # left (None: a read that found no curves of this run, e.g. during a rerun)
    first = counts.index(growing[0])
    assert all(k is not False for k in kept[first + 1:]), \
        f"the curves were mounted anew while training: {kept}"
    # the posterior, once the first epoch's weights are saved: a later epoch's codes are drawn
    # in the same element (at most every 5 s), and its caption names that epoch
    caption = page.locator("[data-testid=stCaptionContainer]").filter(
        has_text="Posterior means of the test set after epoch")
    expect(caption).to_have_count(1, timeout=CAP_MS)
    plane = page.locator(".st-key-posterior .vae-zc[data-ready='1']")
    handle, words = plane.element_handle(), caption.inner_text()
    expect(caption).not_to_have_text(words, timeout=CAP_MS)
    assert handle.evaluate("root => root.isConnected"), "the posterior was mounted anew"
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
