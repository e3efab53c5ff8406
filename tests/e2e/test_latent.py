"""The Latent space page in real Chromium: the posterior scatter, a box selection's images, the
test image shown on hover, and the plane's equal aspect; on every page that has one, a plane or
chart whose margins hold its labels, so that Plotly draws it once; the planes drawn from numbers
(the Train page's posterior, Presenter's, Replay's, moved in place)."""
import json
import re

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (CAP_MS, CHARTS, OUTSIDE_FRAGMENTS, assert_no_exception, open_page,
                                stale_marked, wait_for_app, watch_stale)

CHART = ".st-key-latent_scatter .js-plotly-plot"

# Where plotly drew the point of largest mu_0 (an isolated digit at the scatter's right edge): its
# test-set index and its pixel position on the page, from the figure's own axes.
FIND_POINT = """(gd) => {
    const rect = gd.getBoundingClientRect();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    let best = null;
    for (const t of gd._fullData) {
        if (!t.type.startsWith('scatter') || t.mode !== 'markers') continue;
        for (let i = 0; i < t.x.length; i++) {
            if (best === null || t.x[i] > best.x)
                best = {x: t.x[i], y: t.y[i], id: t.customdata[i][0]};
        }
    }
    return {id: Number(best.id),
            px: rect.left + xa._offset + xa.d2p(best.x),
            py: rect.top + ya._offset + ya.d2p(best.y)};
}"""

# whether test image `id`'s point lies within a marker's size of pixel (px, py)
NEAR = """(gd, [id, px, py]) => {
    const rect = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    for (const t of gd._fullData) {
        if (!t.type.startsWith('scatter') || t.mode !== 'markers') continue;
        for (let i = 0; i < t.x.length; i++) {
            if (Number(t.customdata[i][0]) !== id) continue;
            return Math.hypot(rect.left + xa._offset + xa.d2p(t.x[i]) - px,
                              rect.top + ya._offset + ya.d2p(t.y[i]) - py) <= t.marker.size;
        }
    }
    return false;
}"""

# [ellipses drawn, path elements drawing them]: each ellipse is an "M" in its class's shape path
ELLIPSE_PATHS = """(gd) => {
    const paths = [...gd.querySelectorAll('.shapelayer path')]
        .filter(p => (p.getAttribute('d') || '').includes('C'));
    return [paths.reduce((n, p) => n + p.getAttribute('d').split('M').length - 1, 0), paths.length];
}"""

COUNT_POINTS = """(gd) => gd._fullData.filter(t => t.type.startsWith('scatter') && t.mode === 'markers')
                              .reduce((n, t) => n + t.x.length, 0)"""


# the margins Plotly ended with, against those the figure gave: equal where the figure's margins
# held its tick labels, titles and legend, so that Plotly drew it once, not twice (ui.style)
DRAWN_ONCE = """gd => JSON.stringify([['l', 'r', 't', 'b'].map(k => Math.round(gd._fullLayout._size[k])),
                                      ['l', 'r', 't', 'b'].map(k => gd.layout.margin[k])])"""


def assert_drawn_once(page, key: str) -> None:
    chart = page.locator(f"[class*='st-key-{key}'] .js-plotly-plot").first
    expect(chart).to_be_attached(timeout=60_000)  # a chart in a fragment mounts after the run
    ended, given = json.loads(chart.evaluate(DRAWN_ONCE))
    assert ended == given, f"{key}: Plotly grew the margins {given} to {ended} (a second draw)"


def test_default_page_draws_the_posterior_scatter(page, app_url):
    open_page(page, app_url, "", "run=mnist5k-2d")
    assert_no_exception(page)
    chart = page.locator(CHART)
    chart.wait_for()
    assert chart.evaluate(COUNT_POINTS) == 1000, "every MNIST 5k test image is a point"
    # 1,000 points: SVG (5x faster than software WebGL), one path per point, above the ellipses
    assert chart.locator(".scatterlayer .trace .points path").count() == 1000, "drawn as SVG"
    # 1,000 ellipses: one path per digit, not an element each (0.15 s of every draw)
    assert chart.evaluate(ELLIPSE_PATHS) == [1000, 10]
    assert chart.locator(".scatterlayer path.js-line").count() == 3, "only the prior's circles"
    legend = chart.locator(".legend").text_content()
    assert all(d in legend for d in "0123456789") and "prior" in legend
    assert_drawn_once(page, "latent_scatter")
    # the KL per dim: a bar per latent dim, drawn from numbers (ui/components/charts.js)
    kl = page.locator(".st-key-latent_kl .vae-zc[data-ready='1']")
    expect(kl.locator("rect.bar")).to_have_count(2)


def test_the_legend_hides_a_digit_with_its_ellipses(page, app_url):
    open_page(page, app_url, "", "run=mnist5k-2d")
    chart = page.locator(CHART)
    chart.wait_for()
    expect(chart.locator(".shapelayer path[d*='C']")).to_have_count(10)
    chart.locator(".legend .traces").filter(has_text="0").first.locator(".legendtoggle").click()
    # Plotly waits out a double-click before it hides the digit: wait for the drawing, not a clock
    expect(chart.locator(".shapelayer path[d*='C']")).to_have_count(9)
    hidden = chart.evaluate("gd => [gd._fullData.find(t => t.name === '0').visible, "
                            "gd._fullLayout.shapes.find(s => s.name === 'σ ellipses 0').visible]")
    assert hidden == ["legendonly", "legendonly"], "the digit's points and ellipses go together"
    zeros = chart.evaluate("gd => gd._fullData.find(t => t.name === '0').x.length")
    assert chart.evaluate(ELLIPSE_PATHS) == [1000 - zeros, 9], "every other digit's ellipses stay"


def test_box_select_shows_the_selected_images(page, app_url):
    """A box on the plane shows its images beside it, and reruns the plane's fragment: not the
    title, the sidebar or the KL chart below."""
    open_page(page, app_url, "", "run=mnist5k-2d")
    chart = page.locator(CHART)
    watch_stale(page, {**OUTSIDE_FRAGMENTS, "KL chart": ".st-key-latent_kl"})
    chart.hover()
    chart.locator(".modebar-btn[data-title='Box Select']").click()
    target = chart.evaluate(FIND_POINT)
    page.mouse.move(target["px"] - 6, target["py"] - 6)
    page.mouse.down()
    page.mouse.move(target["px"], target["py"], steps=4)
    page.mouse.move(target["px"] + 6, target["py"] + 6, steps=4)
    page.mouse.up()
    # The selection reruns the script; wait for its result, not for words already on the page.
    shown = page.locator("[data-testid=stImage]").filter(
        has_text=f"#{target['id'] + 1} ")  # captions count test images from 1
    expect(shown, f"the selected point #{target['id']} should show its images").not_to_have_count(0)
    wait_for_app(page)
    assert_no_exception(page)
    assert stale_marked(page) == [], "the selection ran the whole page again"
    image = page.locator("[data-testid=stImage] img").first
    width = image.evaluate("img => img.complete && img.naturalWidth ? img.naturalWidth : "
                           "new Promise(done => img.onload = () => done(img.naturalWidth))")
    assert width >= 5 * 28 * 2, \
        "a row of five upscaled images: x, decode(mu), three decodes of z ~ q(z|x)"


# The hovered image as the browser drew it: the tooltip canvas, sampled at each source pixel's
# centre (the tile is upscaled by whole pixels, without smoothing).
TOOLTIP_PIXELS = """(c) => {
    const ctx = c.getContext('2d'), s = c.width / 28, out = [];
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++)
        out.push(px[4 * (Math.floor((i + 0.5) * s) * c.width + Math.floor((j + 0.5) * s))]);
    return {index: Number(c.dataset.index), pixels: out};
}"""


def test_hovering_a_point_shows_its_test_image(page, app_url):
    from ui.figures.images import to_uint8
    from vae.data import load_dataset

    open_page(page, app_url, "", "run=mnist5k-2d")
    chart = page.locator(CHART)
    chart.wait_for()
    page.wait_for_selector(".js-plotly-plot[data-hover-images='1']", state="attached")
    target = chart.evaluate(FIND_POINT)
    # the point Plotly says is hovered: under the cursor, points closer than a marker's radius tie
    chart.evaluate("gd => gd.on('plotly_hover', e => { gd.dataset.hovered = e.points[0].customdata[0]; })")
    page.mouse.move(target["px"] - 40, target["py"] - 40)
    page.mouse.move(target["px"], target["py"], steps=5)
    tooltip = page.locator("canvas.vae-hover-image[data-index]")
    expect(tooltip).to_be_visible()
    page.wait_for_selector("canvas.vae-hover-image[data-ready='1']", state="attached")
    # Plotly's hover is throttled: events from the approach (a neighbour passed on the way) can
    # still arrive, so wait until the hovered point is the one under the cursor (within a marker's
    # size: closer points tie), and read it together with the tooltip
    snap = page.wait_for_function(f"""([px, py]) => {{
        const gd = document.querySelector('.st-key-latent_scatter .js-plotly-plot');
        const c = document.querySelector('canvas.vae-hover-image[data-index]');
        if (!gd || !c || gd.dataset.hovered === undefined) return null;
        const hovered = Number(gd.dataset.hovered);
        if (Number(c.dataset.index) !== hovered || !({NEAR})(gd, [hovered, px, py])) return null;
        return {{...({TOOLTIP_PIXELS})(c), hovered}}; }}""", arg=[target["px"], target["py"]]
    ).json_value()
    hovered = int(snap["hovered"])
    assert snap["index"] == hovered, "the hovered point's own image"
    expected = to_uint8(load_dataset("mnist-5k").test_x[hovered, 0]).ravel()
    assert np.abs(np.array(snap["pixels"], int) - expected.astype(int)).max() <= 2, \
        "the tooltip shows the dataset's pixels"
    page.mouse.move(5, 5)  # away from the chart: the image goes
    expect(tooltip).to_be_hidden()


def test_hover_images_can_be_switched_off(page, app_url):
    open_page(page, app_url, "", "run=mnist5k-2d")
    page.wait_for_selector(".js-plotly-plot[data-hover-images='1']", state="attached")
    page.locator(".st-key-latent_hover label").click()
    expect(page.locator(".js-plotly-plot[data-hover-images='1']")).to_have_count(0)
    wait_for_app(page)
    target = page.locator(CHART).evaluate(FIND_POINT)
    page.mouse.move(target["px"], target["py"], steps=5)
    expect(page.locator(".st-key-latent_scatter .hoverlayer .hovertext")).not_to_have_count(0)
    assert page.locator("canvas.vae-hover-image").count() == 0


# Pixels per unit of z along each axis of a latent-plane chart: equal, so circles are circles.
UNIT_PIXELS = """(gd) => {
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    return [xa._length / (xa.range[1] - xa.range[0]), ya._length / (ya.range[1] - ya.range[0])];
}"""


def test_the_plane_is_large_and_equally_scaled(page, app_url):
    open_page(page, app_url, "", "run=mnist5k-2d")
    chart = page.locator(CHART)
    chart.wait_for()
    ux, uy = chart.evaluate(UNIT_PIXELS)
    assert abs(ux - uy) / ux < 0.01, f"{ux:.1f} px per unit across, {uy:.1f} up"
    width = chart.evaluate("gd => gd._fullLayout.xaxis._length")
    assert width >= 550, f"the plane is {width:.0f} px wide at 1400 px: it should fill the screen"


# The Train page's posterior and Presenter's planes, drawn from numbers (ui/components/z_cloud.js)
SVG_PLANE = """root => {
  const priors = [...root.querySelectorAll('ellipse.prior')];
  const labels = [...root.querySelectorAll('g.class-label')].map(g => {
    const t = g.querySelector('text').getBBox(), r = g.querySelector('rect');
    return {text: g.textContent, fits: Number(r.getAttribute('width')) >= t.width};
  });
  return {rx: priors.map(e => Number(e.getAttribute('rx'))),
          ry: priors.map(e => Number(e.getAttribute('ry'))),
          radii: priors.map(e => Number(e.dataset.r)),
          codes: root.querySelectorAll('circle.code').length,
          ellipses: root.querySelectorAll('g.sigma ellipse').length, labels,
          font: getComputedStyle(root).fontSize};
}"""


def test_the_train_and_presenter_planes_are_drawn_from_numbers_on_one_scale(page, app_url):
    """The Train page's posterior: every code, 400 sigma ellipses, the prior's 1-3 sigma circles
    and each class named on a backdrop that fits its name, one unit of z as long across as up.
    Presenter's two planes: the same scale for both models, in the page's large type."""
    open_page(page, app_url, "train", "run=mnist5k-2d")
    plane = page.locator(".st-key-posterior .vae-zc[data-ready='1']")
    # the posterior sits in a fragment that can draw after the script run ends
    expect(plane).to_have_count(1, timeout=60_000)
    state = plane.evaluate(SVG_PLANE)
    assert state["codes"] == 1000 and state["ellipses"] == 400, state
    assert state["radii"] == [1, 2, 3]
    assert state["rx"] == pytest.approx(state["ry"], rel=1e-3), "circles stay circles"
    assert state["rx"][1] == pytest.approx(2 * state["rx"][0], rel=1e-3)
    assert sorted(lb["text"] for lb in state["labels"]) == list("0123456789")
    assert all(lb["fits"] for lb in state["labels"]), state["labels"]
    # a code that is the topmost thing at its place: the circles and names let the hover through
    k = plane.evaluate("""root => [...root.querySelectorAll('circle.code')].findIndex(c => {
        const b = c.getBoundingClientRect();
        return root.getRootNode().elementFromPoint(b.x + b.width / 2, b.y + b.height / 2) === c;
    })""")
    plane.locator("circle.code").nth(k).hover(force=True)
    expect(plane.locator(".tip")).to_contain_text("test image #")

    open_page(page, app_url, "presenter", "run=mnist5k-2d")
    planes = page.locator("[class*='st-key-presenter_latent_'] .vae-zc[data-ready='1']")
    expect(planes).to_have_count(2, timeout=60_000)
    ae, vae = (planes.nth(k).evaluate(SVG_PLANE) for k in range(2))
    assert ae["codes"] == vae["codes"] == 1000
    assert ae["rx"] == pytest.approx(ae["ry"], rel=1e-3)
    assert ae["rx"] == pytest.approx(vae["rx"], rel=1e-3), "both models on one scale"
    assert ae["font"] == vae["font"] == "18px", "the page's large type"
    assert not page.locator("[data-testid=stMain]").locator(CHARTS).count()


def test_rate_and_distortion_draws_its_charts_from_numbers(page, app_url):
    """The plane (a point per mnist-5k run, a cross where the posterior collapsed), the active
    units (a bar per beta of the family) and the KL per dim (a cell per beta and dim), drawn by
    ui/components/charts.js; the plane's hover names a run's numbers."""
    from tests.conftest import BETA_FAMILY
    open_page(page, app_url, "rate_distortion", "run=mnist5k-16d-beta1")
    charts = {key: page.locator(f".st-key-{key} .vae-zc[data-ready='1']")
              for key in ("rd_plane", "rd_family_active", "rd_family_kl")}
    for chart in charts.values():
        expect(chart).to_have_count(1, timeout=60_000)
    plane = charts["rd_plane"]
    expect(plane.locator(".point")).to_have_count(2 + len(BETA_FAMILY))  # and the 2-D pair
    expect(plane.locator(".point.cross")).to_have_count(1)  # beta = 32: collapsed
    expect(charts["rd_family_active"].locator("rect.bar")).to_have_count(len(BETA_FAMILY))
    expect(charts["rd_family_kl"].locator("rect.cell")).to_have_count(16 * len(BETA_FAMILY))
    plane.locator("circle.point").first.hover(force=True)
    expect(plane.locator(".tip")).to_contain_text("KL (rate) = ")
    assert not page.locator("[data-testid=stMain]").locator(CHARTS).count()


REPLAY_PLANE = ".st-key-replay_scatter .vae-zc[data-ready='1']"
# the prior's circle in px (one unit of z across and up), and the first codes' places
PLANE_STATE = """root => {
  const prior = root.querySelector('ellipse.prior');
  return {rx: Number(prior.getAttribute('rx')), ry: Number(prior.getAttribute('ry')),
          title: root.querySelector('.title span').textContent,
          codes: [...root.querySelectorAll('circle.code')].slice(0, 50)
                   .map(c => c.getAttribute('cx') + ',' + c.getAttribute('cy')).join(' '),
          n: root.querySelectorAll('circle.code').length};
}"""


def test_replays_plane_is_equally_scaled_and_moves_in_place(page, app_url, e2e_runs_root):
    """Replay's posterior means and curves are drawn from numbers, the plane on one square scale;
    Play moves the codes and the curves' cursor epoch by epoch in the same elements (no chart
    mounted anew), and the hovers name a code and an epoch's logged numbers."""
    from vae.run import RunDir
    open_page(page, app_url, "replay", "run=mnist5k-2d-ae")
    plane = page.locator(REPLAY_PLANE)
    expect(plane).to_have_count(1, timeout=60_000)
    curves = page.locator(".st-key-replay_curves .vae-zc[data-ready='1']")
    epochs = RunDir(e2e_runs_root / "mnist5k-2d-ae").snapshot_epochs()
    expect(curves).to_have_attribute("data-cursor", str(epochs[-1]))
    curves_handle = curves.element_handle()
    before = plane.evaluate(PLANE_STATE)
    assert before["rx"] == pytest.approx(before["ry"], rel=1e-3), before
    assert before["n"] == 1000, "every MNIST 5k test image is a code"
    assert plane.locator("circle.pt").count() == 0, "nothing to pick on Replay"
    handle = plane.element_handle()
    # slow: a frame every 2 s, so that the first frame is read before the next one comes
    page.locator(".st-key-replay_speed").get_by_text("slow", exact=True).click()
    wait_for_app(page)
    page.get_by_role("button", name="Play").click()  # at the last epoch, Play starts over
    expect(plane.locator(".title span")).to_have_text(f"Posterior means at epoch {epochs[0]}",
                                                      timeout=CAP_MS)
    after = plane.evaluate(PLANE_STATE)
    expect(curves).to_have_attribute("data-cursor", str(epochs[0]))
    assert after["codes"] != before["codes"], "the codes did not move with the epoch"
    assert (after["rx"], after["ry"]) == (before["rx"], before["ry"]), "the scale stays"
    assert handle.evaluate("e => e.isConnected"), "the plane was mounted anew, not redrawn"
    assert curves_handle.evaluate("e => e.isConnected"), "the curves were mounted anew"
    # Play runs to the last snapshot and stops; the hovers are read on a still page
    expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=CAP_MS)
    expect(plane.locator(".title span")).to_have_text(f"Posterior means at epoch {epochs[-1]}")
    box = curves.locator("svg").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3)
    expect(curves.locator(".tip")).to_contain_text(re.compile(r"^epoch \d+: test −ELBO"))
    words = curves.locator(".tip").inner_text()
    found = re.match(r"epoch (\d+): test −ELBO (\d+\.\d\d) nats · test reconstruction "
                     r"(\d+\.\d\d) nats$", words)
    assert found, words
    row = [r for r in RunDir(e2e_runs_root / "mnist5k-2d-ae").read_metrics()
           if r.get("kind") == "epoch" and r["epoch"] == int(found[1])][0]
    assert (found[2], found[3]) == (f"{row['test/neg_elbo']:.2f}", f"{row['test/recon']:.2f}")
    # a code nothing covers (the prior's ring is drawn over the codes it crosses)
    spot = plane.evaluate("""root => {
      const svg = root.querySelector('svg'), top = svg.getRootNode();
      for (const c of svg.querySelectorAll('circle.code')) {
        const b = c.getBoundingClientRect(), x = b.x + b.width / 2, y = b.y + b.height / 2;
        if (top.elementFromPoint(x, y) === c) return {x, y};
      }
      return null;
    }""")
    assert spot, "no code is clear of the others"
    page.mouse.move(spot["x"], spot["y"])
    expect(plane.locator(".tip")).to_contain_text(re.compile(r"· test image #\d+ · mu = \("))
    assert_no_exception(page)


# the KL bars' heights in px, as drawn (in the component's shadow root: a locator reaches it)
KL_BARS = "root => [...root.querySelectorAll('rect.bar')].map(r => r.getAttribute('height')).join()"


def test_kl_per_dim_follows_a_running_run(page, app_url, e2e_runs_root):
    """Issue 9, item 4: while a run trains, the Latent page's KL-per-dim section re-encodes the
    test set after each epoch (a fragment), with no click and no reload."""
    from tests.conftest import wait_for
    from vae import launch

    run = launch.start_training(e2e_runs_root, "latent-live", {
        "dataset": "digits", "latent-dim": 2, "hidden": 16, "epochs": 2000, "device": "cpu"})
    try:
        # budgets, not waits: a loaded 2-core machine loads PyTorch and the data in 10-30 s
        wait_for(lambda: run.weights_file.exists()
                 and run.read_status().get("state") == "running", 180, "the first epoch's weights")
        open_page(page, app_url, "latent", "run=latent-live")
        assert_no_exception(page)
        expect(page.get_by_text("Updated after each epoch while the run trains.")).to_have_count(1)
        bars = page.locator(".st-key-latent_kl .vae-zc[data-ready='1']")
        expect(bars).to_have_count(1, timeout=CAP_MS)
        first = bars.evaluate(KL_BARS)
        epoch = run.read_status().get("epoch", 0)
        wait_for(lambda: run.read_status().get("epoch", 0) >= epoch + 2, 180, "two more epochs")
        wait_for(lambda: bars.evaluate(KL_BARS) != first, 180, "the bars of a later epoch",
                 pause=lambda: page.wait_for_timeout(100))
        assert_no_exception(page)
    finally:
        launch.stop_training(run)
        wait_for(lambda: not run.is_training(), 120, "the trainer to stop")
        launch.delete_run(run)


def test_the_collapse_alarm_follows_a_training_run_without_a_reload(browser, tmp_path_factory):
    """A run whose KL warms up to beta = 100 collapses within a few epochs. Its trainer is held
    (SIGSTOP) twice, and the page follows it with no reload:
    1. before its first epoch has saved weights: the page says it waits for them;
    2. let go until the weights are saved, held again with all dims active: the page draws the
       run by itself, with no collapse box;
    3. let go: the "Posterior collapse" box appears as the run trains."""
    import json
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import _copy_runs, wait_for
    from tests.e2e.conftest import CAP_MS, serve
    from vae.run import RunDir
    root = _copy_runs(tmp_path_factory.mktemp("e2e-collapse"), ["mnist5k-2d"])
    project = Path(__file__).resolve().parents[2]
    # batch 16: 250 steps an epoch, so the trainer is held before its first epoch ends
    trainer = subprocess.Popen(
        [sys.executable, "-m", "vae.train", "--dataset", "mnist-5k", "--latent-dim", "4",
         "--hidden", "32", "--beta", "100", "--kl-warmup", "6", "--epochs", "400",
         "--batch-size", "16", "--threads", "1", "--quiet", "--name", "collapsing",
         "--root", str(root)], cwd=project, stderr=subprocess.DEVNULL)
    run = RunDir(root / "collapsing")

    def epochs() -> list[dict]:
        return [json.loads(line) for line in run.metrics_file.read_text().splitlines()
                if '"kind": "epoch"' in line] if run.metrics_file.exists() else []

    def trainer_says(state: str) -> bool:
        assert trainer.poll() is None, "the trainer ended"
        return run.path.exists() and run.read_status().get("state") == state

    try:
        wait_for(lambda: trainer_says("running"), 300, "the trainer's loop to start")
        os.kill(trainer.pid, signal.SIGSTOP)
        assert not run.weights_file.exists(), "its first epoch saved weights before it was held"
        with serve(root) as url:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            open_page(page, url, "", "run=collapsing")
            expect(page.get_by_text("has no weights yet")).to_be_visible()
            page.evaluate("() => { window.__notReloaded = true; }")

            os.kill(trainer.pid, signal.SIGCONT)
            wait_for(lambda: run.weights_file.exists() and epochs(), 300, "the first weights")
            os.kill(trainer.pid, signal.SIGSTOP)  # held while it still says "running"
            assert epochs()[-1]["test/active_units"] == 4, "collapsed before it could be held"
            expect(page.locator(".st-key-latent_scatter .main-svg").first).to_be_visible()
            expect(page.get_by_text("has no weights yet")).to_have_count(0)
            expect(page.get_by_text("Posterior collapse.")).to_have_count(0)

            os.kill(trainer.pid, signal.SIGCONT)
            try:
                expect(page.get_by_text("Posterior collapse.")).to_have_count(1, timeout=4 * CAP_MS)
            except AssertionError as exc:  # what the page showed instead, for the next reader
                shown = page.locator("[data-testid=stMain]").inner_text()[:2500]
                raise AssertionError(f"{exc}\nstatus: {run.read_status()}\nlast epoch: "
                                     f"{epochs()[-1]}\npage:\n{shown}") from None
            assert page.evaluate("() => window.__notReloaded === true"), "the page was reloaded"
            assert epochs()[-1]["test/active_units"] == 0
            assert_no_exception(page)
            page.close()
    finally:
        os.kill(trainer.pid, signal.SIGCONT)
        trainer.terminate()
        trainer.wait(60)
