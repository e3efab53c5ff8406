"""The Draw page in real Chromium: the encoder runs in the browser and gives torch's mu and sigma
(MLP and conv), strokes move the input's Gaussian while the pen is down and reach Python when it
lifts, undo and clear work, and an uploaded photo is converted and put on the canvas."""
import io

import numpy as np
import pytest
import torch
from playwright.sync_api import expect
from PIL import Image

from tests.conftest import SHIPPED
from tests.e2e.conftest import assert_no_exception, open_page, serve, show_run, wait_for_app
from ui.components.draw import from_levels, to_levels
from ui.figures.images import to_uint8
from vae.data import load_dataset
from vae.image_input import convert_upload, framing_for
from vae.model import VAE, VAEConfig
from vae.run import RunDir, TrainConfig

READY = ".vae-draw[data-ready='1']"
RECON_BYTES = """el => {
  const c = el.querySelector('canvas.recon');
  return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
}"""


def _draw(page):
    component = page.locator(READY)
    component.wait_for(timeout=30_000)
    return component


def _torch(model, x):
    with torch.no_grad():
        q = model.encode(torch.as_tensor(np.asarray(x, np.float32)))
        return q.mu.numpy(), q.std.numpy(), model.decode_mean(q.mu).numpy()


def _check_browser_encode(page, model, images, what):
    """The browser's mu, sigma and decode(mu) of each image equal torch's within 1e-4."""
    component = _draw(page)
    levels = to_levels(images).reshape(len(images), -1)
    x = from_levels(levels).reshape(images.shape)
    want_mu, want_sigma, want_recon = _torch(model, x)
    for k in range(len(images)):
        got = component.evaluate("(el, v) => el.__draw.setPixels(v, true)", levels[k].tolist())
        err_mu = np.abs(np.array(got["mu"]) - want_mu[k]).max()
        err_sigma = np.abs(np.array(got["sigma"]) - want_sigma[k]).max()
        assert err_mu <= 1e-4, f"{what}: browser mu differs from torch by {err_mu:.2e} (image {k})"
        assert err_sigma <= 1e-4, f"{what}: browser sigma differs by {err_sigma:.2e} (image {k})"
        recon = np.array(got["recon"])
        err = np.abs(recon - want_recon[k].ravel()).max()
        assert err <= 1e-4, f"{what}: browser decode(mu) differs from torch by {err:.2e}"
        rgba = np.array(component.evaluate(RECON_BYTES), np.int16).reshape(-1, 4)
        assert np.abs(rgba[:, 0] - to_uint8(want_recon[k]).ravel().astype(np.int16)).max() <= 1, \
            f"{what}: the canvas does not show decode(mu)"
    # Any floats, not only the 256 grey levels the canvas holds.
    floats = np.random.default_rng(3).uniform(0, 1, size=images[0].shape).astype(np.float32)
    got = component.evaluate("(el, v) => el.__draw.encodeFloats(v)", floats.ravel().tolist())
    want_mu, want_sigma, _ = _torch(model, floats[None])
    assert np.abs(np.array(got["mu"]) - want_mu[0]).max() <= 1e-4
    assert np.abs(np.array(got["sigma"]) - want_sigma[0]).max() <= 1e-4


@pytest.mark.parametrize("run", SHIPPED)
def test_browser_encode_equals_torch(kept_page, app_url, e2e_runs_root, run):
    """Each shipped run in turn on one Draw page, picked in the sidebar as a user would."""
    rd = RunDir(e2e_runs_root / run)
    model = rd.load_model()
    dataset = rd.read_config()[1].dataset
    images = load_dataset(dataset).test_x[:5]
    show_run(kept_page, app_url, "draw", run, ".vae-draw", "__draw")
    _check_browser_encode(kept_page, model, images, run)
    assert_no_exception(kept_page)


def _conv_run(root, name: str, dataset: str, shape) -> RunDir:
    torch.manual_seed(0)
    model = VAE(VAEConfig(arch="conv", hidden=(8, 16), latent_dim=3, image_shape=shape)).eval()
    with torch.no_grad():  # larger weights than a fresh init, so mu and sigma vary with x
        model.encoder[0].weight.mul_(3.0)
        model.to_mu.weight.mul_(3.0)
    run = RunDir.create(root, name, model.config, TrainConfig(dataset=dataset, epochs=1))
    run.save_weights(model)
    run.write_status(state="finished")
    return run


@pytest.fixture(scope="module")
def conv_url(tmp_path_factory):
    """A server over two conv runs (no conv run is shipped; Conv2d runs in JS too): one on 28x28
    MNIST, one on scikit-learn's 8x8 digits."""
    root = tmp_path_factory.mktemp("conv-draw-runs")
    runs = {"conv-3d": _conv_run(root, "conv-3d", "mnist-5k", (1, 28, 28)),
            "digits-conv": _conv_run(root, "digits-conv", "digits", (1, 8, 8))}
    with serve(root) as url:
        yield url, runs


def test_browser_encode_equals_torch_for_a_conv_encoder(page, conv_url):
    url, runs = conv_url
    open_page(page, url, "draw", "run=conv-3d")
    model = runs["conv-3d"].load_model()
    assert any(isinstance(m, torch.nn.Conv2d) for m in model.encoder)
    _check_browser_encode(page, model, load_dataset("mnist-5k").test_x[:4], "conv-3d")


def test_an_8x8_canvas_for_the_digits(page, conv_url):
    url, runs = conv_url
    open_page(page, url, "draw", "run=digits-conv")
    component = _draw(page)
    assert component.evaluate("el => el.__draw.levelsArray().length") == 64
    page.get_by_text("8×8 pixels, as the model sees it").wait_for()
    page.get_by_text("The dataset's images fill the frame").wait_for()
    _stroke(page, [(0.5, 0.15), (0.5, 0.85)])
    levels = np.array(component.evaluate("el => el.__draw.levelsArray()")).reshape(8, 8)
    assert levels[:, 3:5].max() == 255 and levels[:, 0].max() == 0, \
        f"a vertical stroke down the middle painted\n{levels}"
    page.get_by_text("Encoded again in Python by torch").wait_for()
    _check_browser_encode(page, runs["digits-conv"].load_model(),
                          load_dataset("digits").test_x[:4], "digits-conv")
    assert_no_exception(page)


def _stroke(page, points, steps=12, release=True):
    box = page.locator("canvas.draw").bounding_box()
    at = lambda p: (box["x"] + box["width"] * p[0], box["y"] + box["height"] * p[1])  # noqa: E731
    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for a, b in zip(points[:-1], points[1:]):
        for i in range(1, steps + 1):
            t = i / steps
            page.mouse.move(*at((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)))
    if release:
        page.mouse.up()


def test_a_stroke_moves_the_gaussian_and_reaches_python_when_the_pen_lifts(page, app_url):
    open_page(page, app_url, "draw", "run=mnist5k-2d")
    component = _draw(page)
    assert page.get_by_text("Nothing drawn yet").is_visible()
    renders = component.evaluate("el => el.__draw.renderCount")
    _stroke(page, [(0.3, 0.3), (0.7, 0.3), (0.45, 0.8)], release=False)
    during = component.evaluate("el => el.__draw.posterior().mu")
    trail = component.evaluate("el => el.__draw.trail.length")
    assert component.evaluate("el => el.__draw.renderCount") - renders >= 5, \
        "the encoder did not run while drawing"
    assert trail >= 5, "mu did not leave a trail during the stroke"
    assert page.get_by_text("Nothing drawn yet").is_visible(), "Python heard before the release"
    page.mouse.up()
    page.get_by_text("Encoded again in Python by torch").wait_for()
    wait_for_app(page)
    after = component.evaluate("el => el.__draw.posterior()")
    assert after["mu"] == during, "releasing the pen changed mu"
    assert page.get_by_text(f"= {after['kl']:.2f} nats").count() >= 1, \
        "the page's torch KL is not the browser's"
    shown = page.get_by_text("differ from torch's by at most").inner_text()
    diff = float(shown.split("at most ")[1].split(":")[0])
    assert diff <= 1e-4, shown
    assert_no_exception(page)


def test_undo_and_clear(page, app_url):
    open_page(page, app_url, "draw", "run=mnist5k-2d")
    component = _draw(page)
    _stroke(page, [(0.5, 0.2), (0.5, 0.8)])
    first = component.evaluate("el => el.__draw.levelsArray()")
    assert sum(first) > 0
    _stroke(page, [(0.2, 0.5), (0.8, 0.5)])
    assert component.evaluate("el => el.__draw.levelsArray()") != first
    page.get_by_role("button", name="Undo").click()
    assert component.evaluate("el => el.__draw.levelsArray()") == first, "undo did not restore"
    page.get_by_role("button", name="Clear").click()
    assert sum(component.evaluate("el => el.__draw.levelsArray()")) == 0
    page.get_by_text("Nothing drawn yet").wait_for()
    assert_no_exception(page)


def _png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(to_uint8(array)).save(buf, "PNG")
    return buf.getvalue()


def test_an_upload_is_converted_onto_the_canvas(page, app_url, tmp_path):
    digit = load_dataset("mnist-5k").test_x[7, 0]
    photo = 0.9 - 0.8 * np.asarray(Image.fromarray(digit).resize((420, 420)))  # ink on paper
    path = tmp_path / "my-digit.png"
    path.write_bytes(_png(photo))
    expected = to_levels(convert_upload(path.read_bytes(), framing_for("mnist-5k", (1, 28, 28))).x)
    open_page(page, app_url, "draw", "run=mnist5k-2d")
    component = _draw(page)
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(path))
    page.get_by_text("converted for the model").wait_for()
    wait_for_app(page)
    expect(page.get_by_text("inverted: the background is light")).to_have_count(1)
    # wait for the canvas to hold the whole converted picture, not for its first inked pixel: on a
    # loaded machine the check could land between the component's updates
    page.wait_for_function(
        "([el, want]) => { const got = el.__draw.levelsArray();"
        " return got.length === want.length && got.every((v, i) => v === want[i]); }",
        arg=[component.element_handle(), [float(v) for v in expected.ravel()]])
    got = np.array(component.evaluate("el => el.__draw.levelsArray()"))
    np.testing.assert_array_equal(got, expected.ravel(), "the canvas is not the converted upload")
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"these are my notes, not a picture")
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(bad))
    page.get_by_text("notes.png: this file is not a readable PNG or JPEG image").wait_for()
    assert_no_exception(page)


# The explanation page computes its numbers (gradients, bounds, a beta family) on a first visit;
# on a loaded 2-core machine that took over 30 s once, so its runs get a generous budget.
SLOW_PAGE_MS = 120_000


def _go(page, title: str) -> None:
    """Move to another page in the same session (a new URL would start a new session)."""
    page.locator("[data-testid=stSidebarNavLink]", has_text=title).click()
    wait_for_app(page, SLOW_PAGE_MS)


def test_the_drawing_is_an_input_on_the_other_pages(page, app_url):
    open_page(page, app_url, "draw", "run=mnist5k-2d")
    component = _draw(page)
    _stroke(page, [(0.55, 0.2), (0.45, 0.5), (0.5, 0.8)])
    page.get_by_text("Encoded again in Python by torch").wait_for()
    wait_for_app(page)
    browser_kl = component.evaluate("el => el.__draw.posterior().kl")

    _go(page, "What mu and sigma mean")
    page.get_by_text("Use your drawing instead").click()
    # The input's caption changes when the rerun with the drawing has drawn the page; only then
    # is the KL line below about the drawing, not the test image from before.
    page.locator("[data-testid=stImageCaption]", has_text="your drawing").first.wait_for(
        timeout=SLOW_PAGE_MS)
    wait_for_app(page, SLOW_PAGE_MS)
    page.get_by_text("4 · The KL line, read term by term", exact=True).click()  # drawn when opened
    page.get_by_text("Sum over dims:").first.wait_for(timeout=SLOW_PAGE_MS)
    wait_for_app(page, SLOW_PAGE_MS)
    text = page.get_by_text("Sum over dims:").first.inner_text()
    kl = float(text.split("Sum over dims: ")[1].split(" nats")[0])
    assert abs(kl - browser_kl) < 1e-3, f"the KL line is not read on the drawing ({kl} vs " \
                                        f"{browser_kl})"

    _go(page, "Latent space")
    page.locator(".js-plotly-plot").first.wait_for()
    page.get_by_text("your drawing: μ").first.wait_for()

    _go(page, "Generate")
    page.get_by_text("Start from your drawing instead of A").click()
    wait_for_app(page)
    assert_no_exception(page)
    page.get_by_text("your drawing").first.wait_for()


def test_centring_a_drawing_the_way_the_dataset_was(page, app_url):
    from vae.image_input import frame_ink
    open_page(page, app_url, "draw", "run=mnist5k-2d")
    component = _draw(page)
    _stroke(page, [(0.1, 0.1), (0.3, 0.12), (0.15, 0.4)])  # small, in the top-left corner
    page.get_by_text("Encoded again in Python by torch").wait_for()
    wait_for_app(page)
    drawn = np.array(component.evaluate("el => el.__draw.levelsArray()")).reshape(28, 28)
    want, _ = frame_ink(from_levels(drawn), framing_for("mnist-5k", (1, 28, 28)))
    page.get_by_role("button", name="Centre it like the dataset").click()
    page.get_by_text("your drawing, centred").first.wait_for()
    wait_for_app(page)
    got = np.array(component.evaluate("el => el.__draw.levelsArray()")).reshape(28, 28)
    np.testing.assert_array_equal(got, to_levels(want), "the canvas is not the centred drawing")
    page.get_by_text("Centred the way the dataset was").wait_for()
    x0, y0, box = component.evaluate("el => el.__draw.guideBox()")
    rows, cols = np.nonzero(got)
    assert (y0 <= rows.min() and rows.max() < y0 + box and x0 <= cols.min()
            and cols.max() < x0 + box), "the centred ink sticks out of the dashed box"
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_enabled()
    undo.click()
    page.wait_for_function("([el, want]) => el.__draw.levelsArray().join() === want",
                           arg=[component.element_handle(), ",".join(map(str, drawn.ravel()))])
    # the rerun that Undo's new value starts may begin after wait_for_app has returned on the old
    # page (seen under a parallel run): wait for the centred drawing to go, an event with a cap
    expect(page.get_by_text("your drawing, centred")).to_have_count(0)
    wait_for_app(page)
    assert_no_exception(page)
