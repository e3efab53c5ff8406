"""The loss in its parts and the bounds: recon + KL = -ELBO, beta only in the objective, the IWAE
bound against the ELBO (exactly at k=1, above it at k=1000 on the trained mnist5k-2d run)."""
import math

import pytest
import torch

from tests.test_model import COMBOS, images, make_model

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py
from vae.data import load_dataset
from vae.losses import (LossTerms, active_units_from_mu, bits_per_dim, dims_by_kl, evaluate,
                        iwae_bound, loss_terms)
from vae.model import VAE
from vae.run import DEFAULT_ROOT, RunDir


@pytest.fixture(scope="module")
def trained():
    """The shipped mnist5k-2d model (read only) and 100 of its real test digits."""
    run = RunDir(DEFAULT_ROOT / "mnist5k-2d")
    if not run.weights_file.exists():
        pytest.skip("the shipped run checkpoints/mnist5k-2d is missing: `make shipped-runs`")
    x = torch.from_numpy(load_dataset("mnist-5k").test_x[:100].copy())
    return run.load_model(), x


def log_joint_over_q(model: VAE, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x|z) + log p(z) - log q(z|x) at given z: the single-sample ELBO estimate, by hand."""
    posterior = model.encode(x)
    log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    return model.log_likelihood(x, model.decode_logits(z)) + log_pz - posterior.log_prob(z)


@pytest.mark.parametrize("arch,likelihood,latent,shape", COMBOS)
def test_recon_plus_kl_is_neg_elbo_exactly(arch, likelihood, latent, shape):
    model = make_model(arch, likelihood, latent, shape)
    x = images(shape)
    terms = loss_terms(model, x, torch.Generator().manual_seed(0))
    assert terms.recon.shape == (5,) and terms.kl_per_dim.shape == (5, latent)
    assert torch.equal(terms.kl, terms.kl_per_dim.sum(-1))
    assert torch.equal(terms.neg_elbo, terms.recon + terms.kl)
    # and the parts are what they claim: recon is -log p(x|z) at the z the terms carry
    torch.testing.assert_close(terms.recon, -model.log_likelihood(x, model.decode_logits(terms.z)))
    torch.testing.assert_close(terms.kl_per_dim, model.encode(x).kl())


def test_beta_weights_the_objective_only():
    g = torch.Generator().manual_seed(0)
    terms = LossTerms(recon=torch.rand(7, generator=g) * 100, kl_per_dim=torch.rand(7, 3, generator=g),
                      z=torch.zeros(7, 3))
    before = terms.neg_elbo.clone()
    for beta in (0.0, 0.5, 1.0, 4.0):
        assert torch.equal(terms.objective(beta), (terms.recon + beta * terms.kl).mean())
        assert torch.equal(terms.neg_elbo, before), f"beta={beta} changed neg_elbo"
    assert torch.equal(terms.objective(1.0), terms.neg_elbo.mean())
    assert terms.objective(0.0) < terms.objective(4.0)


def test_evaluate_reports_the_same_elbo_whatever_beta_the_config_says(trained):
    model, x = trained
    state = model.state_dict()
    reports = []
    for beta in (0.0, 1.0, 8.0):
        other = VAE(type(model.config)(**{**model.config.to_dict(), "beta": beta}))
        other.load_state_dict(state)
        reports.append(evaluate(other, x, generator=torch.Generator().manual_seed(0)))
    assert reports[0] == reports[1] == reports[2]


def test_evaluate_parts_add_up_and_bits_per_dim(trained):
    model, x = trained
    m = evaluate(model, x, batch_size=30, generator=torch.Generator().manual_seed(0))
    assert m["recon"] + m["kl"] == pytest.approx(m["neg_elbo"], rel=1e-6)
    assert sum(m["kl_per_dim"]) == pytest.approx(m["kl"], rel=1e-5)
    assert len(m["kl_per_dim"]) == 2 and m["active_units"] == 2
    assert m["bits_per_dim"] == pytest.approx(m["neg_elbo"] / (784 * math.log(2)), rel=1e-12)
    # a trained 2-D mnist VAE sits around 140-190 nats; an untrained one is above 500
    assert 120 < m["neg_elbo"] < 220, m


def test_bits_per_dim_conversion():
    assert bits_per_dim(784 * math.log(2), 784) == pytest.approx(1.0, rel=1e-12)
    assert bits_per_dim(0.0, 64) == 0.0
    assert bits_per_dim(100.0, 784) == pytest.approx(100.0 / 784 / math.log(2), rel=1e-12)


def test_active_units_counts_dims_whose_mean_moves_with_x():
    g = torch.Generator().manual_seed(0)
    mu = torch.stack([torch.randn(1000, generator=g),            # var ~1: active
                      0.05 * torch.randn(1000, generator=g),     # var ~0.0025: collapsed
                      torch.full((1000,), 3.0),                   # constant: collapsed
                      0.2 * torch.randn(1000, generator=g)], 1)  # var ~0.04: active
    assert active_units_from_mu(mu).tolist() == [True, False, False, True]
    assert active_units_from_mu(mu, threshold=0.05).tolist() == [True, False, False, False]


def test_dims_by_kl_puts_the_largest_kl_first_and_keeps_dim_order_on_ties():
    assert dims_by_kl([0.1, 3.0, 0.1, 7.5]) == [3, 1, 0, 2]
    assert dims_by_kl(torch.zeros(3).numpy()) == [0, 1, 2]
    assert dims_by_kl([]) == []


@pytest.mark.parametrize("arch,likelihood,latent,shape", COMBOS[::5])
def test_iwae_k1_is_the_single_sample_elbo_at_the_same_z(arch, likelihood, latent, shape):
    model = make_model(arch, likelihood, latent, shape).eval()
    x = images(shape)
    bound = iwae_bound(model, x, k=1, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        z = model.encode(x).sample(1, generator=torch.Generator().manual_seed(3))
        by_hand = log_joint_over_q(model, x, z)[0]
    assert bound.shape == (5,)
    torch.testing.assert_close(bound, by_hand, rtol=0, atol=0)


def test_iwae_k1_in_expectation_is_the_analytic_elbo(trained):
    """E_q[log p(x|z) + log p(z) - log q(z|x)] = E_q[log p(x|z)] - KL(closed form)."""
    model, x = trained
    x = x[:10].repeat(1000, 1, 1, 1)  # 1,000 independent draws for each of 10 digits
    with torch.no_grad():
        k1 = iwae_bound(model, x, k=1, generator=torch.Generator().manual_seed(0)).view(1000, 10)
        terms = loss_terms(model.eval(), x, generator=torch.Generator().manual_seed(1))
        analytic = -terms.neg_elbo.view(1000, 10)
    diff = k1.mean(0) - analytic.mean(0)
    stderr = torch.sqrt(k1.var(0) / 1000 + analytic.var(0) / 1000)
    assert torch.all(diff.abs() < 5 * stderr), f"differences {diff} exceed 5 standard errors {stderr}"


def test_iwae_1000_is_above_the_elbo_on_the_trained_run(trained):
    model, x = trained
    x = x[:50]
    elbo = -evaluate(model, x, generator=torch.Generator().manual_seed(0))["neg_elbo"]
    iwae = iwae_bound(model, x, k=1000, generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(iwae).all()
    gap = iwae.mean().item() - elbo
    assert gap > 1.0, f"IWAE(k=1000) {iwae.mean():.2f} is not above the ELBO {elbo:.2f}"
    # ... and still a lower bound on log p(x), which is below 0 nats for a density of binary pixels
    assert gap < 30 and iwae.max() < 0


def test_iwae_5000_runs_in_chunks(trained):
    model, x = trained
    x = x[:8]  # 8 images x 2 dims: every chunk is a multiple of 16 normals, so one seeded stream
    # gives the same z whether drawn in one piece or in chunks (torch's CPU normal_ fills by 16)
    chunked = iwae_bound(model, x, k=5000, chunk=1234, generator=torch.Generator().manual_seed(0))
    whole = iwae_bound(model, x, k=5000, chunk=5000, generator=torch.Generator().manual_seed(0))
    assert chunked.shape == (8,) and torch.isfinite(chunked).all()
    torch.testing.assert_close(chunked, whole, rtol=0, atol=1e-4)
    with torch.no_grad():
        elbo = -loss_terms(model, x.repeat(200, 1, 1, 1), torch.Generator().manual_seed(1)
                           ).neg_elbo.view(200, 8).mean(0)
    assert (chunked > elbo).all(), f"IWAE(5000) {chunked} not above the ELBO {elbo}"
