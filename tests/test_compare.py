"""vae.compare and ui.figures.compare: the numbers and figures of "Compare two models"."""
import numpy as np
import pytest
import torch

from ui.figures import compare as cf
from vae import compare
from vae.model import VAE, VAEConfig


def test_procrustes_recovers_a_rotation_with_a_flip():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 3))
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    q[:, 0] *= -1 if np.linalg.det(q) > 0 else 1  # make it a reflection
    b = a @ q.T  # B's codes are A's, rotated and flipped
    rotation, fit = compare.procrustes(b, a)
    np.testing.assert_allclose(b @ rotation, a, atol=1e-10)
    assert fit["rms_after"] < 1e-10 < fit["rms_before"]
    assert fit["relative"] < 1e-10 and fit["reflection"] is True
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)


def test_procrustes_leaves_noise_as_the_residual():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((500, 2))
    b = a + 0.1 * rng.standard_normal((500, 2))
    _, fit = compare.procrustes(b, a)
    assert 0.1 < fit["rms_after"] < 0.2  # the noise is sqrt(2) * 0.1 per point
    with pytest.raises(ValueError, match="one shape"):
        compare.procrustes(a, a[:, :1])


def test_per_class_means_and_the_model_terms():
    terms = {"recon": np.array([1.0, 3.0, 10.0]), "kl": np.array([0.5, 0.5, 2.0]),
             "neg_elbo": np.array([1.5, 3.5, 12.0])}
    stats = compare.per_class(terms, np.array([0, 0, 2]), 3)
    np.testing.assert_allclose(stats["recon"][[0, 2]], [2.0, 10.0])
    assert np.isnan(stats["recon"][1]) and list(stats["count"]) == [2, 0, 1]
    assert stats["all/neg_elbo"] == pytest.approx(17 / 3)
    torch.manual_seed(0)
    model = VAE(VAEConfig(image_shape=(1, 4, 4), hidden=(8,), latent_dim=2))
    x = torch.rand(10, 1, 4, 4)
    t = compare.per_image_terms(model, x, seed=3)
    assert t["mu"].shape == (10, 2) and t["neg_elbo"].shape == (10,)
    np.testing.assert_allclose(t["neg_elbo"], t["recon"] + t["kl"], rtol=1e-6)
    again = compare.per_image_terms(model, x, seed=3)
    np.testing.assert_array_equal(t["recon"], again["recon"])  # the same seed, the same z


def _stats(offset):
    return {"recon": np.array([10.0, 20.0]) + offset, "kl": np.array([1.0, 2.0]),
            "neg_elbo": np.array([11.0, 22.0]) + offset, "count": np.array([3, 4]),
            "all/recon": 15.0 + offset, "all/kl": 1.5, "all/neg_elbo": 16.5 + offset}


def test_per_class_table_has_both_and_the_difference():
    table = cf.per_class_table(_stats(0), _stats(2), ["zero", "one"])
    assert list(table["class"]) == ["zero", "one", "all"]
    assert list(table["B - A -ELBO"]) == [2.0, 2.0, 2.0]
    assert list(table["B - A KL"]) == [0.0, 0.0, 0.0]
    assert list(table["images"]) == [3, 4, 7]


def test_per_class_figure_stacks_kl_on_recon_for_each_model():
    fig = cf.per_class_figure(_stats(0), _stats(2), ["zero", "one"], "a", "b")
    assert len(fig.data) == 4
    kl_b = fig.data[3]
    assert list(kl_b.base) == [12.0, 22.0] and kl_b.offsetgroup == "B"
    # digits' names are categories, each named under its bars (a numeric axis named every other)
    assert cf.per_class_figure(_stats(0), _stats(2), ["0", "1"], "a", "b").layout.xaxis.type \
        == "category"


def test_image_grids_have_a_row_per_model():
    imgs = np.random.default_rng(0).random((5, 1, 6, 6))
    view = cf.reconstructions_view(imgs, imgs, imgs, "a", "b", col_labels=list("01234"))
    assert view["kind"] == "images" and view["grid"] == [3, 5]
    assert view["row_labels"] == ["original", "A: a", "B: b"] and view["hover"][1][2] == "A: a · 2"
    pair = cf.decoder_pair_view(imgs, imgs, "a", "b", title="z")
    assert pair["row_labels"] == ["A: a", "B: b"] and pair["title"] == "z"
    with pytest.raises(ValueError):
        cf.reconstructions_view(imgs[:0], imgs[:0], imgs[:0], "a", "b")


def test_posterior_pair_figure_draws_both_and_links_the_same_image():
    rng = np.random.default_rng(0)
    mu_a, mu_b = rng.standard_normal((40, 3)), rng.standard_normal((40, 3))
    labels = np.arange(40) % 2
    fig = cf.posterior_pair_figure(mu_a, mu_b, labels, ["even", "odd"], "a", "b", dims=(2, 0),
                                   links=5)
    links, *points = fig.data
    assert len(points) == 4 and len(links.x) == 15
    np.testing.assert_allclose(links.x[:2], [mu_a[0, 2], mu_b[0, 2]])
    np.testing.assert_allclose(points[1].y, mu_b[labels == 0, 0])
    assert "aligned" in fig.layout.title.text
    assert fig.layout.yaxis.scaleanchor == "x"
    # a class's one legend entry (its name) toggles both models' points
    assert [t.name for t in points if t.showlegend is not False] == ["even", "odd"]
    assert points[0].legendgroup == points[1].legendgroup
    words = cf.residual_sentence({"rms_before": 2.0, "rms_after": 0.5, "relative": 0.25,
                                  "reflection": True})
    assert "2.00 before" in words and "25%" in words and "reflection" in words
