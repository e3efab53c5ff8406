"""Invariants of the VAE over its flag combinations: shapes, the posterior against torch.distributions,
the likelihoods against torch.distributions, configuration checks, and the layer names runs rely on."""
import itertools
import json
import math

import pytest
import torch
from safetensors.torch import load_file
from torch.distributions import Bernoulli, Normal, kl_divergence

from vae.model import VAE, ConfigError, Posterior, VAEConfig
from vae.run import DEFAULT_ROOT

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py

SHAPES = [(1, 28, 28), (1, 8, 8)]
COMBOS = [
    pytest.param(arch, likelihood, latent, shape,
                 id=f"{arch}-{likelihood}-z{latent}-{shape[1]}x{shape[2]}")
    for arch, likelihood, latent, shape in itertools.product(
        ("mlp", "conv"), ("bernoulli", "gaussian"), (1, 2, 16), SHAPES)
]


def make_model(arch, likelihood, latent, shape, seed=0) -> VAE:
    torch.manual_seed(seed)
    hidden = (32, 16) if arch == "mlp" else (8, 16)
    return VAE(VAEConfig(image_shape=shape, arch=arch, hidden=hidden, latent_dim=latent,
                         likelihood=likelihood))


def images(shape, batch=5, seed=0) -> torch.Tensor:
    return torch.rand((batch, *shape), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("arch,likelihood,latent,shape", COMBOS)
def test_shapes_of_encode_decode_forward(arch, likelihood, latent, shape):
    model = make_model(arch, likelihood, latent, shape)
    x = images(shape)
    posterior = model.encode(x)
    assert posterior.mu.shape == posterior.logvar.shape == posterior.std.shape == (5, latent)
    assert model.decode_logits(posterior.mu).shape == (5, *shape)
    out, posterior, z = model(x)
    assert out.shape == x.shape and z.shape == (5, latent)
    # many samples per image decode in one call: (n, B, D) -> (n, B, C, H, W)
    zs = posterior.sample(3)
    assert zs.shape == (3, 5, latent)
    assert model.decode_logits(zs).shape == (3, 5, *shape)
    mean = model.decode_mean(zs)
    assert 0.0 <= mean.min() and mean.max() <= 1.0
    assert model.log_likelihood(x, model.decode_logits(zs)).shape == (3, 5)


@pytest.mark.parametrize("arch,likelihood,latent,shape", COMBOS)
def test_gradients_reach_every_parameter(arch, likelihood, latent, shape):
    model = make_model(arch, likelihood, latent, shape)
    out, posterior, _ = model(images(shape))
    loss = -(model.log_likelihood(images(shape), out) - posterior.kl().sum(-1)).mean()
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, f"no gradient reaches {missing}"


@pytest.mark.parametrize("latent", [1, 2, 16, 64])
def test_posterior_kl_equals_torch_distributions(latent):
    g = torch.Generator().manual_seed(latent)
    mu = 3 * torch.randn(64, latent, generator=g, dtype=torch.float64)
    logvar = 4 * torch.randn(64, latent, generator=g, dtype=torch.float64)
    posterior = Posterior(mu, logvar)
    reference = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)),
                              Normal(torch.zeros_like(mu), torch.ones_like(mu)))
    assert posterior.kl().shape == (64, latent)
    torch.testing.assert_close(posterior.kl(), reference, rtol=1e-12, atol=1e-12)


def test_posterior_kl_is_zero_only_at_the_prior():
    prior = Posterior(torch.zeros(1, 3), torch.zeros(1, 3))
    assert torch.equal(prior.kl(), torch.zeros(1, 3))
    off = Posterior(torch.tensor([[0.1, 0.0, 0.0]]), torch.tensor([[0.0, 0.1, -0.1]]))
    assert torch.all(off.kl() >= 0) and off.kl().sum() > 0


def test_posterior_log_prob_equals_torch_distributions():
    g = torch.Generator().manual_seed(1)
    mu, logvar = torch.randn(8, 4, generator=g), torch.randn(8, 4, generator=g)
    posterior = Posterior(mu, logvar)
    z = posterior.sample(5, generator=g)
    reference = Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1)
    torch.testing.assert_close(posterior.log_prob(z), reference, rtol=1e-5, atol=1e-5)


def test_sample_is_mu_plus_sigma_eps_and_reproducible():
    mu = torch.tensor([[1.0, -2.0]])
    logvar = torch.log(torch.tensor([[0.25, 4.0]]))
    posterior = Posterior(mu, logvar)
    z = posterior.sample(200_000, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(z.mean(0), mu, atol=0.02, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([[0.5, 2.0]]), atol=0.02, rtol=0)
    again = posterior.sample(200_000, generator=torch.Generator().manual_seed(0))
    assert torch.equal(z, again), "the same generator seed gave different samples"


def test_reparameterize_lets_gradients_reach_mu_and_logvar():
    mu = torch.zeros(4, 2, requires_grad=True)
    logvar = torch.zeros(4, 2, requires_grad=True)
    VAE.reparameterize(mu, logvar, torch.Generator().manual_seed(0)).pow(2).sum().backward()
    assert mu.grad.abs().sum() > 0 and logvar.grad.abs().sum() > 0


def test_bernoulli_log_likelihood_equals_torch_distributions():
    model = make_model("mlp", "bernoulli", 2, (1, 28, 28))
    x = (images((1, 28, 28)) > 0.5).float()
    out = model.decode_logits(torch.randn(5, 2))
    reference = Bernoulli(logits=out).log_prob(x).flatten(1).sum(-1)
    torch.testing.assert_close(model.log_likelihood(x, out), reference)


def test_gaussian_log_likelihood_equals_torch_distributions():
    model = make_model("conv", "gaussian", 2, (1, 8, 8))
    with torch.no_grad():
        model.log_sigma_x.fill_(-1.3)
    x = images((1, 8, 8))
    out = model.decode_logits(torch.randn(5, 2))
    reference = Normal(torch.sigmoid(out), math.exp(-1.3)).log_prob(x).flatten(1).sum(-1)
    torch.testing.assert_close(model.log_likelihood(x, out), reference)


@pytest.mark.parametrize("settings,words", [
    ({"arch": "rnn"}, "architecture"),
    ({"likelihood": "poisson"}, "likelihood"),
    ({"latent_dim": 0}, "latent dim"),
    ({"latent_dim": 65}, "latent dim"),
    ({"hidden": ()}, "hidden sizes"),
    ({"hidden": (0,)}, "hidden sizes"),
    ({"arch": "conv", "image_shape": (1, 10, 10), "hidden": (8, 16)}, "divisible by 4"),
    ({"arch": "conv", "hidden": (8,)}, "two channel counts"),
    ({"beta": -1.0}, "beta"),
    ({"beta": float("nan")}, "beta"),
    ({"kl_warmup_epochs": -1}, "warm-up"),
])
def test_config_rejects_bad_settings_with_a_reason(settings, words):
    with pytest.raises(ConfigError, match=words):
        VAEConfig(**settings)


def test_config_round_trips_through_a_dict_and_rejects_unknown_keys():
    config = VAEConfig(image_shape=(1, 8, 8), arch="conv", hidden=(8, 16), latent_dim=3)
    assert VAEConfig.from_dict(config.to_dict()) == config
    # JSON turns tuples into lists; they come back as tuples
    assert VAEConfig.from_dict({**config.to_dict(), "hidden": [8, 16]}).hidden == (8, 16)
    with pytest.raises(ConfigError, match="unknown model settings"):
        VAEConfig.from_dict({**config.to_dict(), "dropout": 0.1})


@pytest.mark.parametrize("run", ["mnist5k-2d", "fashion-16d"])
def test_shipped_weights_match_the_layer_names(run):
    """The parameter names are a contract with every run on disk; renaming a layer breaks them."""
    path = DEFAULT_ROOT / run / "model.safetensors"
    if not path.exists():
        pytest.skip(f"{path} is not shipped in this checkout")
    # the sizes come from the run's config (retraining may change them); the names from the code
    shipped = json.loads((DEFAULT_ROOT / run / "config.json").read_text())["model"]
    config = VAEConfig(latent_dim=2 if run.endswith("2d") else 16, hidden=tuple(shipped["hidden"]))
    expected = {k: tuple(v.shape) for k, v in VAE(config).state_dict().items()}
    stored = {k: tuple(v.shape) for k, v in load_file(str(path)).items()}
    assert stored == expected
