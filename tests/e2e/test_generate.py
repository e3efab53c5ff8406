"""The latent explorer in real Chromium: the decoder runs in the browser, follows the hand, hands
the released z to Python, and decodes exactly what torch decodes."""
import time

import numpy as np
import pytest
import torch

from tests.conftest import SHIPPED
from tests.e2e.conftest import assert_no_exception, open_page, serve, wait_for_app
from ui.images import to_uint8
from vae.model import VAE, VAEConfig
from vae.runs import RunDir, TrainConfig

READY = ".vae-explorer[data-ready='1']"
CANVAS_BYTES = """el => {
  const c = el.querySelector('canvas.image');
  return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
}"""


def _explorer(page):
    explorer = page.locator(READY)
    explorer.wait_for(timeout=20_000)
    return explorer


def _z_from_url(page) -> str | None:
    """z as the page's address says now (read in the page: page.url lags behind replaceState)."""
    return page.evaluate("() => new URLSearchParams(location.search).get('z')")


def _wait_until(page, predicate, timeout=15.0, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        page.wait_for_timeout(100)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


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
def test_browser_decode_equals_torch(page, app_url, e2e_runs_root, run):
    model = RunDir(e2e_runs_root / run).load_model()
    open_page(page, app_url, "generate", f"run={run}")
    _check_browser_decode(page, model, run)


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
