"""AppTest of "Compare two models" on shipped runs: a VAE against its autoencoder, beta 1 against
beta 4."""
import json

import numpy as np
import pytest
import torch

from tests.conftest import component_data, plotly_spec, run_page
from vae import compare
from vae.data import load_dataset
from vae.run import RunDir


@pytest.mark.parametrize("a, b", [("mnist5k-2d", "mnist5k-2d-ae"),
                                  ("mnist5k-16d-beta1", "mnist5k-16d-beta4")])
def test_two_shipped_runs_compare(runs_root, a, b):
    at = run_page("compare", a, state={"compare_b": b})
    assert at.selectbox(key="compare_a").value == a
    assert at.selectbox(key="compare_b").value == b
    for key in ("compare_per_class", "compare_posterior"):
        plotly_spec(at, key)
    for key in ("compare_recon", "compare_prior", "compare_traversal"):  # the charts component
        assert component_data(at, key)["kind"] == "images"
    table = at.dataframe[0].value
    assert list(table["class"])[-1] == "all"
    # the page's numbers are the engine's, for the same seed
    data = load_dataset("mnist-5k")
    x = torch.from_numpy(data.test_x.copy())
    ours = compare.per_image_terms(RunDir(runs_root / b).load_model(), x)
    assert table["B -ELBO"].iloc[-1] == pytest.approx(float(ours["neg_elbo"].mean()), abs=0.01)
    text = " ".join(str(m.value) for m in (*at.markdown, *at.caption))
    assert "rotated or flipped" in text and "after" in text


def test_different_latent_sizes_say_why_no_z_is_shared(runs_root):
    at = run_page("compare", "mnist5k-2d", state={"compare_b": "mnist5k-16d-beta1"})
    infos = " ".join(i.value for i in at.info)
    assert "one z cannot go through both decoders" in infos and "cannot be aligned" in infos
    plotly_spec(at, "compare_posterior")


def test_a_run_against_its_copy_aligns_with_no_residual(scratch_root):
    import shutil
    shutil.copytree(scratch_root / "mnist5k-2d", scratch_root / "twin")
    at = run_page("compare", "mnist5k-2d", state={"compare_b": "twin"})
    residual = [c.value for c in at.caption if "Root-mean-square" in c.value]
    assert residual and "0.00 after" in residual[0] and "0% of A" in residual[0], residual
    table = at.dataframe[0].value
    assert (table["B - A -ELBO"].abs() < 1e-6).all()
