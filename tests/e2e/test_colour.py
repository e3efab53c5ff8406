"""A run on colour photographs (scikit-learn's, cut into patches) in real Chromium: every page draws it
without an exception, and the browser's decoder paints all three channels exactly as torch decodes."""
import numpy as np
import pytest
import torch

from tests.e2e.conftest import PAGES, open_page, serve, walk_pages
from tests.e2e.test_generate import CANVAS_BYTES, READY
from tests.image_fixtures import colour_folder
from ui.figures.images import to_uint8
from vae.run import RunDir
from vae.train import main


@pytest.fixture(scope="module")
def colour_url(tmp_path_factory, browser):
    base = tmp_path_factory.mktemp("colour-e2e")
    photos = colour_folder(base / "photos", per_class=40, size=16)
    root = base / "runs"
    for name, arch in (("photos-mlp", ["--hidden", "64"]), ("photos-conv", ["--arch", "conv",
                                                                           "--hidden", "8,16"])):
        assert main(["--dataset", "folder", "--data-dir", str(photos), "--epochs", "1",
                     "--latent-dim", "2", "--batch-size", "16", "--root", str(root), "--name",
                     name, "--quiet", "--device", "cpu", *arch]) == 0
    with serve(root) as url:
        # The server's first script run imports torch and reads the photographs; on a loaded
        # 2-core machine that can outlast the 30 s a page action is given, so it happens here once.
        warm = browser.new_page()
        warm.goto(f"{url}/?run=photos-mlp")
        warm.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",
                               timeout=180_000)
        warm.close()
        yield url, root


def test_every_page_draws_a_colour_run(page, colour_url):
    url, _ = colour_url
    walk_pages(page, url, "photos-mlp", PAGES)


@pytest.mark.parametrize("run", ["photos-mlp", "photos-conv"])
def test_browser_decodes_three_channels_like_torch(page, colour_url, run):
    url, root = colour_url
    model = RunDir(root / run).load_model()
    open_page(page, url, "generate", f"run={run}")
    explorer = page.locator(READY)
    explorer.wait_for(timeout=20_000)
    zs = np.random.default_rng(3).normal(0.0, 1.5, size=(4, 2)).astype(np.float32)
    with torch.no_grad():
        expected = model.decode_mean(torch.from_numpy(zs)).numpy()  # (4, 3, 16, 16)
    for z, want in zip(zs, expected):
        got = np.array(explorer.evaluate("(el, z) => el.__explorer.setZ(z)", z.tolist()))
        assert np.abs(got - want.ravel()).max() <= 1e-4, f"{run}: browser decode differs"
        rgba = np.array(explorer.evaluate(CANVAS_BYTES), np.int16).reshape(16, 16, 4)
        painted = np.moveaxis(rgba[..., :3], -1, 0)
        assert np.abs(painted - to_uint8(want).astype(np.int16)).max() <= 1, \
            f"{run}: the canvas does not paint the decoded colours"
        assert np.abs(painted[0] - painted[2]).max() > 0, "the canvas shows grey, not colour"
