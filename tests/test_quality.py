"""vae.quality on real data and real shipped decodes: the classifier-recognised share and the
per-pixel spread of stochastic reconstructions."""
import numpy as np
import pytest

from vae import quality as vq
from vae.data import load_dataset
from vae.run import DEFAULT_ROOT, RunDir

AE, VAE = "mnist5k-16d-beta0", "mnist5k-16d-beta1"


@pytest.fixture(scope="module")
def data():
    return load_dataset("mnist-5k")


@pytest.fixture(scope="module")
def clf(data):
    return vq.fit_pixel_classifier(data)


def test_classifier_recognises_real_digits_and_is_reproducible(data, clf):
    share = vq.confident_share(clf, data.test_x)
    assert 0.4 < share < 1.0, f"a linear pixel classifier is sure of {share:.0%} of real digits"
    again = vq.fit_pixel_classifier(data)
    assert vq.confident_share(again, data.test_x) == share, "fixed seed: the same classifier"


def test_noise_is_not_recognised(clf):
    noise = np.random.default_rng(0).random((200, 28, 28)).astype(np.float32)
    assert vq.confident_share(clf, noise) < 0.05


def test_vae_prior_samples_are_recognised_more_than_the_autoencoders(clf):
    ae = vq.prior_sample_quality(RunDir(DEFAULT_ROOT / AE).load_model(), clf)
    vae = vq.prior_sample_quality(RunDir(DEFAULT_ROOT / VAE).load_model(), clf)
    assert ae.n == vae.n == 1000 and ae.threshold == 0.9
    assert vae.share > 2 * ae.share, (vae.share, ae.share)


def test_share_counts_confident_images_only(data, clf):
    x = data.test_x[:50]
    prob = clf.predict_proba(x.reshape(50, -1)).max(1)
    assert vq.confident_share(clf, x, threshold=0.9) == pytest.approx((prob >= 0.9).mean())
    assert vq.confident_share(clf, x, threshold=0.0) == 1.0
    assert np.isnan(vq.confident_share(clf, x[:0]))


def test_draw_spread_grows_with_beta(data):
    x = data.test_x[:64]
    low = vq.draw_spread(RunDir(DEFAULT_ROOT / AE).load_model(), x, 4, seed=0)
    high = vq.draw_spread(RunDir(DEFAULT_ROOT / "mnist5k-16d-beta8").load_model(), x, 4, seed=0)
    assert low.shape == high.shape == (64, 28, 28) and (low >= 0).all()
    assert high.mean() > 3 * low.mean(), "a wider sigma moves the decodes more"
    again = vq.draw_spread(RunDir(DEFAULT_ROOT / AE).load_model(), x, 4, seed=0)
    assert np.array_equal(low, again), "reproducible from the seed"
