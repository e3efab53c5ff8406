"""vae.explain against the engine, on the shipped models and real test images."""
import math

import numpy as np
import pytest
import torch

from vae import betas as vb
from vae import explain as ex
from vae.data import load_dataset
from vae.losses import iwae_bound
from vae.run import DEFAULT_ROOT, RunDir, list_runs


@pytest.fixture(scope="module")
def vae_run():
    return RunDir(DEFAULT_ROOT / "mnist5k-2d")


@pytest.fixture(scope="module")
def model(vae_run):
    return vae_run.load_model()


@pytest.fixture(scope="module")
def test_x():
    return load_dataset("mnist-5k").test_x


def test_encode_one_is_deterministic_and_matches_the_encoder(model, test_x):
    mu1, s1 = ex.encode_one(model, test_x[3])
    mu2, s2 = ex.encode_one(model, test_x[3])
    assert np.array_equal(mu1, mu2) and np.array_equal(s1, s2), "encoding twice differed"
    with torch.no_grad():
        q = model.encode(torch.from_numpy(test_x[3:4].copy()))
    np.testing.assert_allclose(mu1, q.mu[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(s1, q.std[0].numpy(), rtol=1e-6)


def test_kl_split_sums_to_the_posteriors_kl(model, test_x):
    with torch.no_grad():
        q = model.encode(torch.from_numpy(test_x[:20].copy()))
    split = ex.kl_split(q.mu.numpy(), q.std.numpy())
    np.testing.assert_allclose(split.per_dim, q.kl().numpy(), rtol=1e-4, atol=1e-5)
    assert (split.width_penalty >= -1e-9).all(), "the width penalty is never negative"
    assert split.total == pytest.approx(float(q.kl().sum()), rel=1e-4)


def test_seed_line_terms_read_to_the_same_kl(model, test_x):
    mu, sigma = ex.encode_one(model, test_x[0])
    terms = ex.seed_line_terms(mu, sigma)
    np.testing.assert_allclose(terms["kl"], ex.kl_split(mu, sigma).per_dim, rtol=1e-9)
    np.testing.assert_allclose(terms["z_log_sigma"], 2 * np.log(sigma), rtol=1e-6)
    np.testing.assert_allclose(terms["sum"], terms["1"] + terms["z_log_sigma"]
                               + terms["-square(z_mean)"] + terms["-exp(z_log_sigma)"])


def test_kl_split_matches_torch_distributions():
    mu, sigma = np.array([0.0, 1.5, -2.0]), np.array([1.0, 0.3, 2.5])
    ref = torch.distributions.kl_divergence(
        torch.distributions.Normal(torch.tensor(mu), torch.tensor(sigma)),
        torch.distributions.Normal(0.0, 1.0)).numpy()
    np.testing.assert_allclose(ex.kl_split(mu, sigma).per_dim, ref, rtol=1e-9)
    assert ex.kl_split([0.0], [1.0]).total == 0.0


def test_z_samples_have_mean_mu_and_std_sigma(model, test_x):
    mu, sigma = ex.encode_one(model, test_x[7])
    n = 40_000
    z = ex.reparameterize(mu, sigma, ex.draw_eps(n, len(mu), seed=1))
    # 5 standard errors: fails by chance about once in three million runs
    assert np.all(np.abs(z.mean(0) - mu) < 5 * sigma / math.sqrt(n)), "z's mean is not mu"
    assert np.all(np.abs(z.std(0) - sigma) < 5 * sigma / math.sqrt(2 * n)), "z's std is not sigma"


def test_draw_eps_is_reproducible_from_its_seed():
    assert np.array_equal(ex.draw_eps(5, 3, seed=4), ex.draw_eps(5, 3, seed=4))
    assert not np.array_equal(ex.draw_eps(5, 3, seed=4), ex.draw_eps(5, 3, seed=5))


def test_decodes_are_images_in_unit_range(model, test_x):
    z, imgs = ex.prior_samples(model, 6, seed=0)
    assert z.shape == (6, 2) and imgs.shape == (6, 28, 28)
    assert imgs.min() >= 0 and imgs.max() <= 1
    recon = ex.reconstruct_mean(model, test_x[:4])
    assert recon.shape == (4, 28, 28)


def test_the_aggregate_posterior_integrates_to_one(model, test_x):
    with torch.no_grad():
        post = model.encode(torch.from_numpy(test_x[:300].copy()))
    grid = np.linspace(-12, 12, 2401)
    agg = ex.aggregate_posterior(post.mu.numpy(), post.std.numpy(), grid)
    assert agg.shape == (2, len(grid))
    np.testing.assert_allclose(agg.sum(1) * (grid[1] - grid[0]), 1.0, atol=1e-3)


def test_accounting_adds_up_and_matches_the_engines_iwae(model, test_x):
    x = test_x[:40]
    acc = ex.accounting(model, x, k=200, samples=200, seed=0)
    assert acc.neg_elbo == pytest.approx(acc.recon + acc.kl)
    with torch.no_grad():
        kl = model.encode(torch.from_numpy(x.copy())).kl().sum(-1).mean().item()
    assert acc.kl == pytest.approx(kl, rel=1e-5), "the KL is not the closed form"
    ref = iwae_bound(model, torch.from_numpy(x.copy()), 200,
                     generator=torch.Generator().manual_seed(3)).mean().item()
    assert acc.iwae == pytest.approx(ref, abs=1.0), "IWAE differs from vae.losses.iwae_bound"
    assert acc.gap > 0, "k = 200 samples should tighten the bound above the ELBO"
    assert acc.bits(acc.neg_elbo) == pytest.approx(acc.neg_elbo / (784 * math.log(2)))


def test_run_point_is_the_last_test_epoch(vae_run):
    point = vb.run_point(vae_run)
    last = [r for r in vae_run.read_metrics() if r.get("kind") == "epoch"][-1]
    assert (point.kl, point.recon, point.epoch) == (last["test/kl"], last["test/recon"],
                                                   last["epoch"])
    assert point.beta == 1.0 and not point.collapsed


def test_collapse_means_every_dim_inactive():
    """One definition: a run shown with an active unit is never called collapsed (the old
    "KL 0.37 nats, 2 of 2 active units ... ignores x")."""
    base = dict(name="r", dataset="mnist-5k", latent_dim=2, beta=16.0, epoch=3, recon=200.0)
    assert vb.RunPoint(kl=0.05, active_units=0, **base).collapsed
    assert not vb.RunPoint(kl=0.37, active_units=2, **base).collapsed
    assert not vb.RunPoint(kl=0.2, active_units=1, **base).collapsed
    assert not vb.RunPoint(kl=3.0, active_units=1, **base).collapsed


def test_run_point_is_none_before_the_first_epoch(tmp_path, vae_run):
    import shutil
    dest = tmp_path / "young"
    dest.mkdir()
    shutil.copy(vae_run.config_file, dest / "config.json")
    assert vb.run_point(RunDir(dest)) is None


def test_find_autoencoder_by_config(vae_run):
    runs = list_runs(DEFAULT_ROOT)
    assert vb.find_autoencoder(runs, vae_run).name == "mnist5k-2d-ae"
    assert vb.find_autoencoder(runs, RunDir(DEFAULT_ROOT / "fashion-2d")) is None


def test_epoch_curves_and_top_dims(vae_run):
    curves = vb.epoch_curves(vae_run.read_metrics())
    assert list(curves["epoch"]) == list(range(1, vae_run.read_config()[1].epochs + 1))
    np.testing.assert_allclose(curves["neg_elbo"], curves["recon"] + curves["kl"], rtol=1e-4)
    assert ex.top_dims([0.1, 3.0, 0.5, 2.0]) == [1, 3]


def test_sweep_names_are_valid_run_names():
    from vae.launch import sweep_name
    from vae.run import validate_name
    for beta in (0.1, 1, 4, 16, 1e-3):
        validate_name(sweep_name(beta, "0521-0730"))


def test_find_vae_for_an_autoencoder(tmp_path):
    runs = list_runs(DEFAULT_ROOT)
    ae = RunDir(DEFAULT_ROOT / "mnist5k-2d-ae")
    assert vb.find_vae(runs, ae).name == "mnist5k-2d"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    assert vb.find_vae([RunDir(broken), *runs], ae).name == "mnist5k-2d", "a corrupt run is skipped"


def test_beta_family_compares_runs_of_equal_training():
    def point(name, beta, epoch):
        return vb.RunPoint(name, "mnist-5k", 2, beta, epoch, kl=1.0, recon=1.0, active_units=2)
    shipped = [point("vae", 1.0, 30), point("ae", 0.0, 30)]
    sweep = [point(f"s{b}", b, 4) for b in (16.0, 0.1, 1.0, 4.0)]
    assert [p.name for p in vb.beta_family(shipped + sweep)] == ["s0.1", "s1.0", "s4.0", "s16.0"]
    assert [p.name for p in vb.beta_family(shipped)] == ["ae", "vae"]
    assert vb.beta_family([]) == []


# ------------------------------------------------------------------ the reparameterization trick
@pytest.mark.parametrize("run_name", ["mnist5k-2d", "mnist5k-2d-ae"])
def test_sample_gives_no_gradient_and_rsample_gives_the_analytic_one(run_name, test_x):
    model = RunDir(DEFAULT_ROOT / run_name).load_model()
    g = ex.reparameterization_gradients(model, test_x[11], seed=5)
    assert g.sample_grad_mu is None and g.sample_grad_sigma is None, "sample() passed a gradient"
    assert g.sample_encoder_grad_norm is None, "sample() let a gradient reach the encoder"
    np.testing.assert_allclose(g.z, g.mu + g.sigma * g.eps, rtol=1e-5, atol=1e-6)
    # The reference: autograd of the analytic expression -log p(x | mu + sigma * eps), same eps
    mu = torch.tensor(g.mu, requires_grad=True)
    sigma = torch.tensor(g.sigma, requires_grad=True)
    x = torch.from_numpy(test_x[11].copy())
    loss = model.neg_log_likelihood(x, model.decode_logits((mu + sigma * torch.tensor(g.eps))[None]))[0]
    ref_mu, ref_sigma = torch.autograd.grad(loss, [mu, sigma])
    assert g.loss == pytest.approx(float(loss.detach()), rel=1e-5)
    np.testing.assert_allclose(g.rsample_grad_mu, ref_mu.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(g.rsample_grad_sigma, ref_sigma.numpy(), rtol=1e-4, atol=1e-4)
    # The chain rule the page states: d/d mu = d/d z, d/d sigma = d/d z * eps
    np.testing.assert_allclose(g.rsample_grad_mu, g.grad_z, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g.rsample_grad_sigma, g.grad_z * g.eps, rtol=1e-4, atol=1e-4)
    assert g.rsample_encoder_grad_norm > 0, "rsample() sent nothing to the encoder's weights"
    assert all(p.grad is None for p in model.parameters()), "the shared model's .grad was written"


def test_reparameterization_gradients_leave_the_global_rng_alone(model, test_x):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    ex.reparameterization_gradients(model, test_x[0], seed=9)
    assert torch.equal(torch.rand(3), expected)


def test_stratified_sample_takes_each_class_in_its_share():
    labels = np.repeat([0, 1, 2], [500, 300, 200])  # sorted by class, as the MNIST-5k test split
    ix = ex.stratified_sample(labels, 100, seed=0)
    assert len(ix) == len(set(ix.tolist())) == 100, "indices repeat or are missing"
    assert np.bincount(labels[ix]).tolist() == [50, 30, 20]
    assert np.array_equal(ix, ex.stratified_sample(labels, 100, seed=0)), "not reproducible"
    assert not np.array_equal(ix, np.arange(100)), "that is the first 100, not a random sample"
    odd = ex.stratified_sample(np.repeat([0, 1, 2], [3, 3, 4]), 5, seed=1)
    assert len(odd) == 5 and set(np.bincount(np.repeat([0, 1, 2], [3, 3, 4])[odd])) <= {1, 2}
    assert np.array_equal(ex.stratified_sample(labels, 5000), np.arange(1000)), "all when n >= N"


def test_stratified_sample_of_the_real_test_split_balances_its_classes():
    labels = load_dataset("mnist-5k").test_y
    ix = ex.stratified_sample(labels, 200, seed=0)
    assert np.bincount(labels[ix], minlength=10).tolist() == [20] * 10


def test_prior_coverage_counts_samples_inside_some_posterior():
    d = 2
    wide = ex.prior_coverage(np.zeros((1, d)), np.ones((1, d)), n=2000, mass=0.95)
    assert wide == pytest.approx(0.95, abs=0.02), "N(0, I) itself covers its own 95% region"
    far = ex.prior_coverage(np.full((5, d), 50.0), np.full((5, d), 0.1), n=500)
    assert far == 0.0, "codes far from the prior cover none of its samples"


def test_the_vae_covers_the_prior_and_the_autoencoder_does_not():
    covered = {}
    data = load_dataset("mnist-5k")
    for name in ("mnist5k-2d", "mnist5k-2d-ae"):
        m = RunDir(DEFAULT_ROOT / name).load_model()
        with torch.no_grad():
            q = m.encode(torch.from_numpy(data.test_x.copy()))
        covered[name] = ex.prior_coverage(q.mu.numpy(), q.std.numpy(), n=1000, seed=0)
    assert covered["mnist5k-2d"] > 0.5 > 0.1 > covered["mnist5k-2d-ae"], covered


def test_posterior_kl_is_the_engines(model, test_x):
    with torch.no_grad():
        ref = model.encode(torch.from_numpy(test_x[4:5].copy())).kl()[0].numpy()
    np.testing.assert_allclose(ex.posterior_kl(model, test_x[4]), ref, rtol=1e-6)


def test_the_bound_picture_is_jensen_on_this_models_weights(model):
    """Mean of log w is the ELBO, log of mean w is above it (Jensen, exactly, on any sample);
    IWAE_k at k = 1 is the ELBO and climbs with k; k = 1000 agrees with iwae_bound's own draws."""
    x = load_dataset("mnist-5k").test_x[3]
    picture = ex.bound_picture(model, x, n=5000, seed=0)
    assert picture.log_w.shape == (5000,) and picture.ks == (1, 10, 100, 1000)
    assert picture.iwae_by_k[0] == pytest.approx(picture.elbo, abs=1e-9)
    assert picture.best >= picture.elbo and picture.gap > 0
    assert all(b >= a - 0.05 for a, b in zip(picture.iwae_by_k, picture.iwae_by_k[1:]))
    assert picture.iwae_by_k[-1] > picture.elbo + 0.5 * picture.gap  # most of the gap closed
    xt = torch.from_numpy(np.array(x, np.float32))[None]
    own = np.mean([float(iwae_bound(model, xt, 1000, generator=torch.Generator().manual_seed(s)))
                   for s in range(1, 5)])  # IWAE_1000 varies by about half a nat between draws
    assert own == pytest.approx(picture.iwae_by_k[-1], abs=1.0)


def test_an_inputs_accounting_from_its_picture_agrees_with_the_picture(model):
    """§7's numbers for one input come from the picture's own draws: the ELBO is their mean log w,
    IWAE_k the picture's, and the KL (estimated from the draws) is within a few hundredths of a
    nat of the closed form. Two independent sets of draws had put IWAE_100 above the picture's
    own log p(x) estimate on fashion-2d."""
    x = load_dataset("mnist-5k").test_x[3]
    picture = ex.bound_picture(model, x, n=5000, seed=0)
    with torch.no_grad():
        exact_kl = float(model.encode(torch.from_numpy(np.array(x, np.float32))[None]).kl().sum())
    for k in picture.ks:
        acc = ex.accounting_from_picture(picture, k, 784)
        assert acc.elbo == pytest.approx(picture.elbo, abs=1e-9)
        assert acc.iwae == picture.iwae_by_k[picture.ks.index(k)]
        assert acc.elbo - 1e-9 <= acc.iwae <= picture.best + 1e-9
        assert acc.recon == pytest.approx(-picture.log_px_z.mean()) and acc.kl_from_draws
        assert acc.kl == pytest.approx(exact_kl, abs=0.1)
    with pytest.raises(ValueError, match="k = 7"):
        ex.accounting_from_picture(picture, 7, 784)
