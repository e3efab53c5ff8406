"""In Chromium: an imported pytorch/examples model opens on every page with no exception, a model
imported as its own code opens and decodes on the server, and "Compare two models" draws its
charts."""
from pathlib import Path

import pytest
import torch
from playwright.sync_api import expect

from tests.conftest import _copy_runs
from tests.e2e.conftest import (CHARTS, OUTSIDE_FRAGMENTS, assert_no_exception, open_page, serve,
                                stale_marked, wait_for_app, walk_pages, watch_stale)
from tests.import_fixtures import train_examples
from vae.data import load_dataset
from vae.import_model import import_model

PROJECT = Path(__file__).resolve().parents[2]
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


def test_an_imported_model_opens_on_every_page(page, imported_url):
    walk_pages(page, imported_url, "examples", PAGES)


def test_compare_draws_its_charts(page, app_url):
    open_page(page, app_url, "compare", "run=mnist5k-16d-beta1")
    assert_no_exception(page)
    # per class and the posteriors drawn by Plotly; the reconstructions, prior samples and
    # traversal are image grids of the charts component
    expect(page.locator(f"{CHARTS} .main-svg").first).to_be_visible()
    expect(page.locator(CHARTS)).to_have_count(2)
    for key in ("compare_recon", "compare_prior", "compare_traversal"):
        grid = page.locator(f".st-key-{key} .vae-zc[data-ready='1'][data-kind='images']")
        expect(grid.locator("image.tiles")).to_have_count(1)
    expect(page.locator(".st-key-compare_recon .vae-zc text").first).to_have_text("original")
    expect(page.get_by_text("Root-mean-square distance")).to_have_count(1)
    # a new seed reruns its section (a fragment): new prior samples, the charts left alone
    watch_stale(page, {**OUTSIDE_FRAGMENTS, "per-class chart": ".st-key-compare_per_class"})
    tiles = page.locator(".st-key-compare_prior .vae-zc[data-ready='1'] image.tiles")
    before = tiles.get_attribute("href")
    page.locator("[data-testid=stElementContainer]").filter(
        has=page.get_by_label("Seed of the prior samples")).locator(
        "[data-testid=stNumberInputStepUp]").click()
    expect(tiles).not_to_have_attribute("href", before)
    wait_for_app(page)
    assert stale_marked(page) == [], "a new seed ran the whole page again"
    assert_no_exception(page)


@pytest.fixture(scope="module")
def code_url(tmp_path_factory):
    """A module that does not map onto the engine (tanh layers), imported as its own code, served
    as `make run TRUST_CODE=1` serves it."""
    from tests.import_fixtures import import_code_run
    root = _copy_runs(tmp_path_factory.mktemp("e2e-code"), ["mnist5k-2d"])
    torch.set_num_threads(1)
    import_code_run(root, PROJECT)
    with serve(root, env={"VAE_TRUST_CODE": "1"}) as url:
        yield url


def test_a_trusted_code_model_opens(page, code_url):
    walk_pages(page, code_url, "tanh", ["", "generate", "draw", "explain", "compare"],
               also=lambda path: expect(page.get_by_text("needs --trust-code"), path
                                        ).to_have_count(0))


def test_a_code_models_sliders_decode_on_the_server_when_released(page, code_url):
    open_page(page, code_url, "generate", "run=tanh")
    expect(page.get_by_text("z is decoded on the server when you release a slider")).to_be_visible()
    image = page.locator("[data-testid=stImage] img").first
    before = image.get_attribute("src")
    thumb = page.get_by_role("slider").first
    thumb.focus()
    for _ in range(20):
        thumb.press("ArrowRight")
    wait_for_app(page)
    expect(image).not_to_have_attribute("src", before)
    assert_no_exception(page)
