"""Pictures in colour and in grey: the tiling and PNG encoding every page uses, on real images."""
import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image

from tests.image_fixtures import sample_patches
from ui.figures import generate as gf
from ui.figures.explain import image_row_png
from ui.figures.images import for_display, grid, png_bytes
from vae import explain as ex
from vae.data import load_dataset
from vae.model import VAE, VAEConfig


@pytest.fixture(scope="module")
def colour():
    """(8, 3, 16, 16) floats in [0, 1]: patches of scikit-learn's photographs, channels first."""
    patches = sample_patches(per_class=4, size=16)
    x = np.concatenate([patches["china"], patches["flower"]]).astype(np.float32) / 255
    return np.moveaxis(x, -1, 1)


def decode_png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_grid_keeps_colour_channels_last(colour):
    picture = grid(colour, ncols=4, pad=1, pad_value=0.5)
    assert picture.shape == (2 * 17 + 1, 4 * 17 + 1, 3)
    # tile (1, 2) is image 6, its channels in place
    assert np.array_equal(picture[18:34, 35:51], np.moveaxis(colour[6], 0, -1))
    assert (picture[0] == 0.5).all()


def test_grid_of_greyscale_is_two_dimensional():
    x = load_dataset("digits").test_x[:6]  # (6, 1, 8, 8)
    assert grid(x, ncols=3).shape == (2 * 9 + 1, 3 * 9 + 1)
    assert for_display(x).shape == (6, 8, 8)


def test_png_is_rgb_for_colour_and_l_for_grey(colour):
    rgb = decode_png(png_bytes(grid(colour, ncols=4), scale=2))
    assert rgb.mode == "RGB" and rgb.size == (2 * (4 * 17 + 1), 2 * (2 * 17 + 1))
    assert decode_png(png_bytes(colour[0])).mode == "RGB"  # (3, H, W) too
    assert np.array_equal(np.asarray(decode_png(png_bytes(colour[0]))),
                          np.rint(np.moveaxis(colour[0], 0, -1) * 255).astype(np.uint8))
    grey = load_dataset("digits").test_x[0]
    assert decode_png(png_bytes(grey)).mode == "L"


def figure_png(fig) -> Image.Image:
    uri = fig.data[0].source
    return decode_png(base64.b64decode(uri.split(",", 1)[1]))


def test_generate_figures_draw_colour(colour):
    rows = colour.reshape(2, 4, 3, 16, 16)
    assert figure_png(gf.image_grid_figure(rows)).mode == "RGB"
    assert figure_png(gf.samples_figure(colour[:5], ncols=4)).mode == "RGB"
    view_png = lambda view: decode_png(base64.b64decode(view["png"].split(",", 1)[1]))  # noqa: E731
    assert view_png(gf.nearest_view(colour[:3], ["a", "b", "c"])).mode == "RGB"
    assert view_png(gf.interpolation_view(colour[:4], np.linspace(0, 1, 4), "A", "B")).mode \
        == "RGB"
    assert view_png(gf.samples_view(colour[:5], ncols=4)).mode == "RGB"
    assert decode_png(image_row_png(colour, ncols=4)).mode == "RGB"


def test_decoded_colour_images_keep_their_channels():
    torch.manual_seed(0)
    model = VAE(VAEConfig(image_shape=(3, 12, 12), hidden=(32,), latent_dim=2)).eval()
    assert ex.decode_images(model, np.zeros((5, 2))).shape == (5, 3, 12, 12)
    assert ex.reconstruct_mean(model, np.zeros((2, 3, 12, 12), np.float32)).shape == (2, 3, 12, 12)
    grey = VAE(VAEConfig(image_shape=(1, 8, 8), hidden=(16,), latent_dim=2)).eval()
    assert ex.decode_images(grey, np.zeros((5, 2))).shape == (5, 8, 8)


def test_pages_send_their_pngs_as_they_are():
    """st.image re-encodes PNG bytes without transparency as JPEG unless told PNG: blurred edges on
    the whole-number upscaled digits, and a decode and encode per picture on every rerun."""
    from tests.conftest import page_app
    at = page_app("reconstructions", run="mnist5k-2d").run()
    urls = [img.url for element in at.get("image") for img in element.proto.imgs]
    assert urls and all(url.endswith(".png") for url in urls), urls


def test_every_st_image_call_asks_for_png():
    """The same for every page: each `.image(` call in ui/ and pages/ passes output_format="PNG"."""
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    calls = []
    for path in [*root.glob("pages/*.py"), *root.glob("ui/**/*.py")]:
        source = path.read_text()
        for m in re.finditer(r"\.image\(", source):
            depth, i = 1, m.end()
            while depth:  # to the call's closing parenthesis (no parenthesis in these strings)
                depth += {"(": 1, ")": -1}.get(source[i], 0)
                i += 1
            calls.append((path.name, source[m.start():i]))
    assert len(calls) >= 16
    assert all('output_format="PNG"' in call for _, call in calls), \
        [name for name, call in calls if 'output_format="PNG"' not in call]
