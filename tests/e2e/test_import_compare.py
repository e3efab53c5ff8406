"""In Chromium: an imported pytorch/examples model opens on every page with no exception, and
"Compare two models" draws its charts."""
import pytest
import torch
from playwright.sync_api import expect

from tests.conftest import _copy_runs
from tests.e2e.conftest import CHARTS, assert_no_exception, assert_page_opens, open_page, serve
from tests.import_fixtures import train_examples
from vae.data import load_dataset
from vae.import_model import import_model

PAGES = ["", "reconstructions", "generate", "draw", "explain", "replay", "rate_distortion",
         "presenter", "train", "runs", "compare"]


@pytest.fixture(scope="module")
def imported_url(tmp_path_factory):
    root = _copy_runs(tmp_path_factory.mktemp("e2e-imported"), ["mnist5k-2d"])
    torch.set_num_threads(1)
    model = train_examples(torch.from_numpy(load_dataset("mnist-5k").train_x.copy()), epochs=2)
    torch.save(model.state_dict(), root.parent / "vae.pt")  # the script's 400 hidden, 20 latent
    import_model(root.parent / "vae.pt", "mnist-5k", "examples", root)
    with serve(root) as url:
        yield url


@pytest.mark.parametrize("path", PAGES)
def test_an_imported_model_opens_on_every_page(page, imported_url, path):
    assert_page_opens(page, imported_url, path, "examples")


def test_compare_draws_its_charts(page, app_url):
    open_page(page, app_url, "compare", "run=mnist5k-16d-beta1")
    assert_no_exception(page)
    # reconstructions, per class, prior samples, traversal, posteriors: each drawn by Plotly
    expect(page.locator(f"{CHARTS} .main-svg").first).to_be_visible()
    expect(page.locator(CHARTS)).to_have_count(5)
    expect(page.get_by_text("Root-mean-square distance")).to_have_count(1)
