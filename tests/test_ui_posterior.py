"""ui.cache.posterior: the KL summary, its diagnosis in words, image picking, reconstructions."""
import numpy as np
import pytest
import torch

from ui.cache.posterior import diagnosis, latent_summary, pick_images, reconstruct
from vae.data import load_dataset
from vae.run import RunDir


def test_summary_kl_is_the_closed_form_per_dim():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(200, 3))
    std = rng.uniform(0.2, 1.5, size=(200, 3))
    s = latent_summary(mu, std)
    expected = (0.5 * (mu ** 2 + std ** 2 - 1 - np.log(std ** 2))).mean(0)
    assert np.allclose(s.kl_per_dim, expected, atol=1e-5)
    assert s.total_kl == pytest.approx(expected.sum(), abs=1e-4)


def test_summary_marks_prior_dims_inactive():
    rng = np.random.default_rng(0)
    mu = np.stack([rng.normal(size=500), np.zeros(500)], axis=1)
    std = np.stack([np.full(500, 0.1), np.ones(500)], axis=1)
    s = latent_summary(mu, std)
    assert list(s.active) == [True, False] and s.n_active == 1
    assert s.kl_per_dim[1] == pytest.approx(0.0, abs=1e-6), "q(z_d|x) = N(0, 1) costs no KL"


def _summary(kl, var_mu):
    from ui.cache.posterior import LatentSummary
    return LatentSummary(np.array(kl, float), np.array(var_mu, float), np.array(var_mu) > 0.01)


def test_diagnosis_healthy_run_says_nothing():
    assert diagnosis(_summary([2.5, 2.4], [2.0, 1.3]), beta=1.0) == []


def test_diagnosis_autoencoder():
    notes = diagnosis(_summary([19.0, 26.0], [15.8, 19.8]), beta=0.0)
    assert [level for level, _ in notes] == ["warning"]
    assert "plain autoencoder" in notes[0][1] and "45.0 nats" in notes[0][1]


def test_diagnosis_collapse():
    notes = diagnosis(_summary([0.01, 0.02], [0.001, 0.002]), beta=1.0)
    assert [level for level, _ in notes] == ["error"]
    assert "collapse" in notes[0][1]


def test_diagnosis_names_the_inactive_dims():
    notes = diagnosis(_summary([0.0, 2.0, 1.0, 0.0], [0.001, 1.0, 0.5, 0.002]), beta=1.0)
    assert [level for level, _ in notes] == ["info"]
    assert "2 of 4" in notes[0][1] and "z0, z3" in notes[0][1]
    assert "simply the prior N(0, 1)" in notes[0][1], "zero KL: q(z_d|x) is the prior"


def test_pick_images_filters_by_class_and_is_reproducible():
    labels = np.arange(100) % 10
    idx = pick_images(labels, 5, seed=1, classes=[3, 7])
    assert len(idx) == 5 and set(labels[idx]) <= {3, 7}
    assert np.array_equal(idx, pick_images(labels, 5, seed=1, classes=[3, 7]))
    assert not np.array_equal(idx, pick_images(labels, 5, seed=2, classes=[3, 7]))
    assert len(pick_images(labels, 50, seed=0, classes=[3])) == 10, "no more than the class has"
    assert len(pick_images(labels, 5, seed=0, classes=[42])) == 0


def test_reconstruct_with_the_shipped_mnist_model(shipped_root):
    model = RunDir(shipped_root / "mnist5k-2d").load_model()
    x = load_dataset("mnist-5k").test_x[:4]
    rec = reconstruct(model, x, n_samples=3, seed=7)
    assert rec["mean"].shape == (4, 1, 28, 28) and rec["samples"].shape == (4, 3, 1, 28, 28)
    assert rec["recon_samples"].shape == (4, 3) and rec["kl"].shape == (4,)
    with torch.no_grad():
        q = model.encode(torch.from_numpy(x.copy()))
        expected = -model.log_likelihood(torch.from_numpy(x.copy()), model.decode_logits(q.mu))
    assert np.allclose(rec["recon_mu"], expected.numpy(), rtol=1e-5)
    eps = torch.randn((3, 4, 2), generator=torch.Generator().manual_seed(7)).numpy()
    assert np.allclose(rec["z"], (rec["mu"] + rec["std"] * eps).transpose(1, 0, 2), atol=1e-6), \
        "z = mu + sigma * eps"
    assert not np.allclose(rec["samples"][:, 0], rec["samples"][:, 1]), "each draw has its own eps"
    again = reconstruct(model, x, n_samples=3, seed=7)
    assert np.array_equal(rec["samples"], again["samples"]), "the same seed, the same draws"
    # A trained model reconstructs its own digits: tens to a few hundred nats, far below the
    # 784 * log 2 = 543 nats of a coin flip per pixel.
    assert (rec["recon_mu"] < 543).all()


def test_shared_plane_takes_the_two_most_informative_dims_and_one_range_for_every_view():
    from ui.cache.posterior import shared_plane
    rng = np.random.default_rng(0)
    early, late = rng.normal(size=(400, 4)), rng.normal(size=(400, 4))
    late[:, 3] *= 6.0  # one view spreads far on dim 3
    dims, half = shared_plane([early, late], [0.1, 2.0, 0.0, 1.0])
    assert dims == (1, 3), "the two dims with the most KL, in dim order"
    assert half == pytest.approx(1.1 * float(np.percentile(np.abs(late[:, [1, 3]]), 99.5)))
    assert half > 1.1 * float(np.percentile(np.abs(early[:, [1, 3]]), 99.5))


def test_shared_plane_never_narrower_than_the_prior_and_one_dim_drawn_against_itself():
    from ui.cache.posterior import shared_plane
    tight = np.full((50, 2), 0.01)
    assert shared_plane([tight], [1.0, 1.0])[1] == 3.5
    assert shared_plane([np.zeros((10, 1))], [0.5])[0] == (0, 0)
