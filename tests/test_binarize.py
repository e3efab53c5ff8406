"""--binarize: the literature's protocol for likelihoods on MNIST. Training pixels are drawn as
Bernoulli(grey level) afresh at every step, the test set once with a fixed seed; the pages then
call the numbers bounds on a true log p(x)."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import run_page
from vae.augment import binarize_images
from vae.data import binarized, dataset_for, load_dataset
from vae.model import ConfigError, VAEConfig
from vae.run import RunDir, TrainConfig
from vae.train.loop import train

ROOT = Path(__file__).resolve().parent.parent


def test_a_step_draws_zeros_and_ones_at_the_grey_levels_and_the_same_again():
    x = torch.from_numpy(load_dataset("mnist-5k").train_x[:256].copy())
    a = binarize_images(x, 256, seed=0, step=5)
    assert set(torch.unique(a).tolist()) <= {0.0, 1.0}
    assert abs(float(a.mean()) - float(x.mean())) < 0.01  # Bernoulli(grey) keeps the mean
    assert torch.equal(a, binarize_images(x, 256, seed=0, step=5))  # a resume draws the same
    assert not torch.equal(a, binarize_images(x, 256, seed=0, step=6))  # a fresh draw per step
    halves = [binarize_images(x[p], 256, 0, 5, p) for p in (slice(0, 128), slice(128, 256))]
    assert torch.equal(torch.cat(halves), a)  # each rank draws its slice of one global draw


def test_the_test_set_is_drawn_once_with_a_fixed_seed():
    data = load_dataset("mnist-5k")
    once, again = binarized(data), binarized(data)
    assert set(np.unique(once.test_x)) == {0.0, 1.0}
    assert np.array_equal(once.test_x, again.test_x)
    assert once.train_x is data.train_x  # the trainer draws the training pixels itself
    assert dataset_for(TrainConfig(binarize=True)).test_x.tobytes() == once.test_x.tobytes()
    with pytest.raises(ConfigError, match="binarize must be true or false"):
        TrainConfig(binarize="yes")


@pytest.mark.slow
def test_the_cli_refuses_it_with_a_gaussian_likelihood(tmp_path):
    out = subprocess.run([sys.executable, "-m", "vae.train", "--binarize", "--likelihood",
                          "gaussian", "--epochs", "1", "--root", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "does not go with --likelihood gaussian" in out.stderr
    assert not any(tmp_path.iterdir())


@pytest.fixture(scope="module")
def binarized_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("binarized")
    run = RunDir.create(root, "bin", VAEConfig(latent_dim=2, hidden=(64,)),
                        TrainConfig(dataset="mnist-5k", epochs=2, device="cpu", binarize=True))
    train(run, quiet=True)
    return root


def test_a_binarized_run_trains_and_scores_its_fixed_test_pixels(binarized_root):
    run = RunDir(binarized_root / "bin")
    rows = [r for r in run.read_metrics() if r["kind"] == "epoch"]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert rows[1]["test/neg_elbo"] < rows[0]["test/neg_elbo"] < 550  # it learns
    assert run.read_config()[1].binarize is True


def test_the_explanation_calls_its_numbers_bounds_on_log_p(binarized_root, monkeypatch):
    monkeypatch.setenv("VAE_RUNS_ROOT", str(binarized_root))
    at = run_page("explain", "bin")
    text = " ".join(c.value for c in at.caption)
    assert "trained and tested on binarized pixels" in text
    assert "are scores, not normalised likelihoods" not in text
