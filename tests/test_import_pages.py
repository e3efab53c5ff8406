"""Every page opens on an imported run (no metrics.jsonl, no snapshots) with no exception, and the
pages that draw training curves say that it has none instead of drawing empty charts."""
from pathlib import Path

import pytest
import torch

from tests.conftest import _copy_runs, run_page
from ui.components.decoder import SERVER_DECODE_NOTE
from tests.import_fixtures import train_examples
from vae.data import load_dataset
from vae.import_model import import_model

PROJECT = Path(__file__).resolve().parent.parent
PAGES = ("latent", "reconstructions", "generate", "draw", "explain", "replay", "rate_distortion",
         "presenter", "train", "runs")


@pytest.fixture(scope="module")
def imported_root(tmp_path_factory):
    root = _copy_runs(tmp_path_factory.mktemp("imported"), ["mnist5k-2d"])
    # trained, so that its posterior is not collapsed (the Latent page would rightly say so)
    model = train_examples(torch.from_numpy(load_dataset("mnist-5k").train_x.copy()), epochs=2,
                           hidden=64, latent=2)
    torch.save(model.state_dict(), root.parent / "vae.pt")
    import_model(root.parent / "vae.pt", "mnist-5k", "imported", root)
    return root


@pytest.mark.parametrize("page", PAGES)
def test_each_page_opens_on_an_imported_run(imported_root, monkeypatch, page):
    monkeypatch.setenv("VAE_RUNS_ROOT", str(imported_root))
    at = run_page(page, "imported")
    text = " ".join(str(e.value) for e in (*at.markdown, *at.info, *at.caption, *at.warning))
    if page in ("replay", "train", "rate_distortion"):
        assert "no training curves" in text, text[:2000]
    assert not at.error, [e.value for e in at.error]


# --- a model imported as its own Python code (vae.code_model)

@pytest.fixture(scope="module")
def code_root(tmp_path_factory):
    """A run whose module (tanh layers) does not map onto the engine, trained 20 epochs (3 s)."""
    from tests.import_fixtures import import_code_run
    root = _copy_runs(tmp_path_factory.mktemp("code"), ["mnist5k-2d"])
    import_code_run(root, PROJECT)
    return root


@pytest.mark.parametrize("page", PAGES)
def test_each_page_opens_on_a_trusted_code_run(code_root, monkeypatch, page):
    monkeypatch.setenv("VAE_RUNS_ROOT", str(code_root))
    monkeypatch.setenv("VAE_TRUST_CODE", "1")
    at = run_page(page, "tanh")
    assert not at.error, [e.value for e in at.error]
    text = " ".join(str(e.value) for e in (*at.markdown, *at.info, *at.caption))
    assert "needs --trust-code" not in text
    if page in ("generate", "explain"):
        assert SERVER_DECODE_NOTE in text
        assert len(at.slider) >= 3  # its three dims, decoded on the server on release
    if page == "draw":
        assert "which the browser cannot run, so there is no canvas" in text


def test_the_server_sliders_decode_what_they_show(code_root, monkeypatch):
    monkeypatch.setenv("VAE_RUNS_ROOT", str(code_root))
    monkeypatch.setenv("VAE_TRUST_CODE", "1")
    at = run_page("generate", "tanh")
    slider = next(s for s in at.slider if "::server::" in s.key)
    before = [i.proto.imgs[0].url for i in at.get("image")]
    slider.set_value(slider.max).run()
    assert not at.exception
    after = [i.proto.imgs[0].url for i in at.get("image")]
    assert before and after != before  # the image of the new z, a new media file


@pytest.mark.parametrize("page", PAGES)
def test_an_untrusted_code_run_says_why_on_every_page(code_root, monkeypatch, page):
    monkeypatch.setenv("VAE_RUNS_ROOT", str(code_root))
    monkeypatch.delenv("VAE_TRUST_CODE", raising=False)
    at = run_page(page, "tanh")
    assert not at.error, [e.value for e in at.error]
    text = " ".join(str(e.value) for e in (*at.markdown, *at.info, *at.caption, *at.warning))
    if page == "runs":
        assert "**tanh** needs --trust-code: its model is Python code" in text
    elif page not in ("train", "replay", "rate_distortion"):  # these read no model
        assert "needs --trust-code: its model is the Python code tests.import_fixtures:make_tanh" \
            in text, text[:1500]
