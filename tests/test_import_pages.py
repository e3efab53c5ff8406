"""Every page opens on an imported run (no metrics.jsonl, no snapshots) with no exception, and the
pages that draw training curves say that it has none instead of drawing empty charts."""
import shutil

import pytest
import torch

from tests.conftest import _copy_runs, run_page
from tests.import_fixtures import train_examples
from vae.data import load_dataset
from vae.import_model import import_model

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
