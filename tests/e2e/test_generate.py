"""The latent explorer in real Chromium: the decoder runs in the browser, follows the hand, hands
the released z to Python, and decodes exactly what torch decodes."""

import numpy as np
import pytest
import torch
from playwright.sync_api import expect

from tests.conftest import SHIPPED, wait_for
from tests.e2e.conftest import (CAP_MS, CHARTS, OUTSIDE_FRAGMENTS, assert_no_exception, open_page,
                                 serve, show_run, stale_marked, wait_for_app, watch_stale)
from ui.figures.images import to_uint8
from vae.model import VAE, VAEConfig
from vae.run import RunDir, TrainConfig

READY = ".vae-explorer[data-ready='1']"
CANVAS_BYTES = """el => {
  const c = el.querySelector('canvas.image');
  return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
}"""


def _explorer(page):
    explorer = page.locator(READY)
    explorer.wait_for(timeout=CAP_MS)  # a cap: its weights load after the page's first run
    return explorer


def _z_from_url(page) -> str | None:
    """z as the page's address says now (read in the page: page.url lags behind replaceState)."""
    return page.evaluate("() => new URLSearchParams(location.search).get('z')")


def _wait_until(page, predicate, timeout=CAP_MS / 1000, what=""):  # a cap, not a wait
    wait_for(predicate, timeout, what, pause=lambda: page.wait_for_timeout(100))


def test_dragging_a_slider_redraws_and_release_updates_python(page, app_url):
    open_page(page, app_url, "generate", "run=mnist5k-2d&z=0.00,0.00")
    explorer = _explorer(page)
    before = explorer.evaluate(CANVAS_BYTES)
    draws_before = explorer.evaluate("el => el.__explorer.drawCount")
    slider = page.locator(".vae-explorer input[type=range]").first
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(box["x"] + box["width"] / 2 + i * box["width"] * 0.045, y)
    during = explorer.evaluate(CANVAS_BYTES)
    draws_during = explorer.evaluate("el => el.__explorer.drawCount")
    assert draws_during - draws_before >= 5, "the image was not redrawn while dragging"
    assert during != before, "the canvas did not change while the slider was dragged"
    assert _z_from_url(page) == "0.00,0.00", "Python heard of the z before the drag ended"
    page.mouse.up()
    _wait_until(page, lambda: _z_from_url(page) not in (None, "0.00,0.00"),
                what="z in the URL to change after the release")
    wait_for_app(page)
    z_browser = explorer.evaluate("el => el.__explorer.getZ()")
    assert _z_from_url(page) == ",".join(f"{v:.2f}" for v in z_browser)
    assert z_browser[0] > 0.5 or z_browser[1] > 0.5, "the dragged dim did not move right"
    shown = page.get_by_text("kept in the page's link").inner_text()
    assert f"{max(z_browser):+.2f}" in shown, f"the page shows {shown!r}, not the released z"
    assert_no_exception(page)


def test_a_link_reopens_its_z_and_the_pad_drags_both_dims(page, app_url):
    open_page(page, app_url, "generate", "run=fashion-2d&z=1.00,-0.50")
    explorer = _explorer(page)
    assert explorer.evaluate("el => el.__explorer.getZ()") == [1.0, -0.5], \
        "the explorer did not open at the z in the link"
    before = explorer.evaluate(CANVAS_BYTES)
    pad = page.locator(".vae-explorer canvas.pad")
    box = pad.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(box["x"] + box["width"] * (0.5 + 0.04 * i),
                        box["y"] + box["height"] * (0.5 - 0.04 * i))
    assert explorer.evaluate(CANVAS_BYTES) != before, "dragging on the pad did not redraw"
    page.mouse.up()
    _wait_until(page, lambda: _z_from_url(page) != "1.00,-0.50",
                what="the pad's z to reach the URL")
    z = [float(v) for v in _z_from_url(page).split(",")]
    x_dim, y_dim = explorer.evaluate("el => el.__explorer.pad")
    assert z[x_dim] > 0.5 and z[y_dim] > 0.5, f"up and right on the pad gave z={z}"


def test_arrow_keys_move_the_focused_slider(page, app_url):
    open_page(page, app_url, "generate", "run=fashion-16d&z=" + ",".join(["0.00"] * 16))
    explorer = _explorer(page)
    before = explorer.evaluate(CANVAS_BYTES)
    slider = page.locator(".vae-explorer input[type=range]").first
    slider.focus()
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    assert float(slider.input_value()) == pytest.approx(0.30, abs=1e-9)
    assert explorer.evaluate(CANVAS_BYTES) != before, "arrow keys did not redraw the image"
    _wait_until(page, lambda: (_z_from_url(page) or "").count("0.30") == 1,
                what="the keyboard's z to reach the URL")


def _check_browser_decode(page, model, run):
    d = model.config.latent_dim
    explorer = _explorer(page)
    zs = np.random.default_rng(7).normal(0.0, 1.5, size=(6, d)).astype(np.float32)
    with torch.no_grad():
        expected = model.decode_mean(torch.from_numpy(zs)).numpy().reshape(len(zs), -1)
    for z, want in zip(zs, expected):
        got = np.array(explorer.evaluate("(el, z) => el.__explorer.setZ(z)", z.tolist()))
        err = np.abs(got - want).max()
        assert err <= 1e-4, f"{run}: browser decode differs from torch by {err:.2e} at z={z}"
        rgba = np.array(explorer.evaluate(CANVAS_BYTES), np.int16).reshape(-1, 4)
        assert np.abs(rgba[:, 0] - to_uint8(want).astype(np.int16)).max() <= 1, \
            f"{run}: the canvas does not show the decoded image"


@pytest.mark.parametrize("run", SHIPPED)
def test_browser_decode_equals_torch(kept_page, app_url, e2e_runs_root, run):
    """Each shipped run in turn on one Generate page, picked in the sidebar as a user would."""
    model = RunDir(e2e_runs_root / run).load_model()
    show_run(kept_page, app_url, "generate", run, ".vae-explorer", "__explorer")
    _check_browser_decode(kept_page, model, run)


@pytest.fixture(scope="module")
def conv_url(tmp_path_factory):
    """A server over one conv run (no conv run is shipped): ConvTranspose2d runs in JS too."""
    root = tmp_path_factory.mktemp("conv-runs")
    torch.manual_seed(0)
    model = VAE(VAEConfig(arch="conv", hidden=(16, 32), latent_dim=3)).eval()
    with torch.no_grad():  # sharper than a fresh init, so the image varies with z
        model.decoder[-2].weight.mul_(4.0)
    run = RunDir.create(root, "conv-3d", model.config, TrainConfig(dataset="mnist-5k", epochs=1))
    run.save_weights(model)
    run.write_status(state="finished")
    with serve(root) as url:
        yield url, run


def test_browser_decode_equals_torch_for_a_conv_decoder(page, conv_url):
    url, run = conv_url
    open_page(page, url, "generate", "run=conv-3d")
    _check_browser_decode(page, run.load_model(), "conv-3d")


# ---- the pad's geometry, its hover images, and the sliders of a 16-D run ----------------------

# Where test point i sits on the pad, in page pixels, from the explorer's own mapping.
POINT_ON_PAD = """(el, i) => {
  const S = el.__explorer, c = el.querySelector('canvas.pad'), r = c.getBoundingClientRect();
  const [dx, dy] = S.pad, {mu, dims} = S.scatter;
  const [ux, uy] = S.padUnits();
  return {x: r.left + r.width / 2 + mu[i * dims + dx] * ux,
          y: r.top + r.height / 2 - mu[i * dims + dy] * uy};
}"""
HOVER_PIXELS = """el => {
  const c = el.querySelector('canvas.pad-hover'), s = c.width / 28, out = [];
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++)
    out.push(px[4 * (Math.floor((i + 0.5) * s) * c.width + Math.floor((j + 0.5) * s))]);
  return {index: Number(c.dataset.index), pixels: out};
}"""


def test_pad_is_equally_scaled_with_z0_across_for_two_dims(page, app_url):
    open_page(page, app_url, "generate", "run=mnist5k-2d")
    explorer = _explorer(page)
    assert explorer.evaluate("el => el.__explorer.pad") == [0, 1], "z0 across, z1 up"
    ux, uy, _ = explorer.evaluate("el => el.__explorer.padUnits()")
    assert ux == pytest.approx(uy, rel=1e-6) and ux > 20, f"{ux} px per unit across, {uy} up"
    assert page.locator(".vae-explorer .legend-item").count() == 10, "a legend entry per class"
    caption = page.locator(".vae-explorer .pad-caption").inner_text()
    assert "Dashed rings" in caption and "solid" not in caption, (
        "the prior's rings are dashed, as on every plane")


def test_hovering_a_pad_point_shows_its_test_image(page, app_url):
    from vae.data import load_dataset

    open_page(page, app_url, "generate", "run=mnist5k-2d")
    explorer = _explorer(page)
    page.wait_for_selector(".vae-explorer canvas.pad-hover[data-ready='1']", state="attached")
    mu = explorer.evaluate("el => Array.from(el.__explorer.scatter.mu)")
    mu = np.array(mu).reshape(-1, 2)
    # the most isolated point on the pad, so no neighbour within the hover radius takes the hover
    half = explorer.evaluate("el => el.__explorer.padUnits()[2]") / 2
    gaps = np.linalg.norm(mu[:, None] - mu[None], axis=-1) + np.eye(len(mu)) * 1e9
    inside = np.abs(mu).max(axis=1) < half - 0.5
    i = int(np.argmax(np.where(inside, gaps.min(axis=1), -1.0)))
    pos = explorer.evaluate(POINT_ON_PAD, i)
    page.mouse.move(pos["x"], pos["y"])
    hover = page.locator(".vae-explorer canvas.pad-hover[data-index]")
    expect(hover).to_be_visible()
    drawn = explorer.evaluate(HOVER_PIXELS)
    assert drawn["index"] == i
    expected = to_uint8(load_dataset("mnist-5k").test_x[i, 0]).ravel().astype(int)
    assert np.abs(np.array(drawn["pixels"]) - expected).max() <= 2, "the dataset's own pixels"
    page.mouse.down()  # a drag from the hovered point: z moves, its image must not stay behind
    expect(hover).to_be_hidden()
    page.mouse.move(pos["x"] + 30, pos["y"] + 20, steps=5)
    expect(hover).to_be_hidden()
    page.mouse.up()
    page.mouse.move(pos["x"], pos["y"])
    expect(hover).to_be_visible()
    page.locator(".vae-explorer input.pad-hover-on").uncheck()
    expect(hover).to_be_hidden()
    page.mouse.move(pos["x"] + 1, pos["y"])
    expect(hover).to_be_hidden()


def test_sixteen_sliders_all_show_without_an_inner_scroll(page, app_url):
    open_page(page, app_url, "generate", "run=fashion-16d")
    explorer = _explorer(page)
    sliders = explorer.locator(".sliders")
    assert explorer.locator(".sliders .row").count() == 16
    assert sliders.evaluate("el => el.scrollHeight <= el.clientHeight + 1"), "no hidden sliders"
    box, last = explorer.bounding_box(), explorer.locator(".sliders .row").last.bounding_box()
    assert last["y"] + last["height"] <= box["y"] + box["height"] + 1, "z15's row is cut"
    assert explorer.evaluate("el => el.__explorer.pad") != [0, 1], \
        "16 dims: the pad starts on the two dims with the most KL"


def test_the_image_grids_are_pictures_with_crisp_pixels_and_say_where_each_tile_is(page, app_url,
                                                                                 tmp_path):
    """The page's five grids are drawn by the charts component from a PNG each (no Plotly
    chart), scaled up with square pixels; a hover over a manifold tile names its z; a grid's
    download is an SVG file that holds its picture."""
    open_page(page, app_url, "generate", "run=mnist5k-2d")
    keys = ("gen_nearest", "gen_samples", "gen_manifold", "gen_traversal", "gen_interp")
    for key in keys:
        grid = page.locator(f".st-key-{key} .vae-zc[data-ready='1'][data-kind='images']")
        tiles = grid.locator("image.tiles")
        expect(tiles).to_have_count(1)
        shown = tiles.evaluate("""im => { const b = im.getBoundingClientRect();
          return [b.width, b.height, getComputedStyle(im).imageRendering]; }""")
        assert shown[0] > 200 and shown[1] > 20 and shown[2] == "pixelated", (key, shown)
    expect(page.locator(CHARTS)).to_have_count(0)
    manifold = page.locator(".st-key-gen_manifold .vae-zc")
    manifold.scroll_into_view_if_needed()
    box = manifold.locator("image.tiles").bounding_box()
    # the dim with the most KL across (here z1), the other up: the top-left tile has the lowest
    # quantile across and the highest up
    across = page.get_by_role("combobox", name="Horizontal dim", exact=True).input_value()
    up = page.get_by_role("combobox", name="Vertical dim", exact=True).input_value()
    assert {across, up} == {"z0", "z1"}, (across, up)
    page.mouse.move(box["x"] + 4, box["y"] + 4)
    expect(manifold.locator(".tip")).to_have_text(f"{across} = -1.64, {up} = +1.64")
    page.mouse.move(box["x"] + box["width"] - 4, box["y"] + box["height"] - 4)
    expect(manifold.locator(".tip")).to_have_text(f"{across} = +1.64, {up} = -1.64")
    page.mouse.move(box["x"] + box["width"] - 4, box["y"] + 4)  # top right: both highest
    expect(manifold.locator(".tip")).to_have_text(f"{across} = +1.64, {up} = +1.64")
    words = manifold.locator("text").all_text_contents()
    assert "+1.64" in words and up in words and words[-1].startswith(f"{across} (prior"), words
    with page.expect_download() as download:
        manifold.get_by_role("button", name="Download SVG").click()
    assert download.value.suggested_filename == "mnist5k-2d-manifold.svg"
    svg = tmp_path / "manifold.svg"
    download.value.save_as(svg)
    text = svg.read_text()
    assert text.count('href="data:image/png;base64,') == 1 and "pixelated" in text
    assert ">The decoded manifold</text>" in text, "the file is titled (the grid has no title)"
    assert_no_exception(page)


def test_a_new_seed_or_interpolation_end_reruns_its_section_alone(page, app_url):
    """The prior samples and the interpolation do not follow z: a click on one of their controls
    reruns that section (a fragment), not the page with its decoder and five pictures."""
    open_page(page, app_url, "generate", "run=mnist5k-2d")
    watch_stale(page, {**OUTSIDE_FRAGMENTS, "nearest images": ".st-key-gen_nearest"})
    for key, control in (("gen_samples", "Seed"), ("gen_interp", "B: which one")):
        tiles = page.locator(f".st-key-{key} .vae-zc[data-ready='1'] image.tiles")
        before = tiles.get_attribute("href")
        page.locator("[data-testid=stNumberInput]").filter(has_text=control).locator(
            "[data-testid=stNumberInputStepUp]").click()
        expect(tiles).not_to_have_attribute("href", before)  # the new picture arrived
        wait_for_app(page)
    assert stale_marked(page) == [], "a section's control ran the whole page again"
    assert page.get_by_role("spinbutton", name="Seed").input_value() == "1"
    assert_no_exception(page)

