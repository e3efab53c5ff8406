"""The VAE, in the vocabulary of Kingma & Welling (2014): encode, reparameterize, decode.

The encoder maps x *deterministically* to the parameters (mu, log sigma^2) of a diagonal Gaussian
q(z|x); z is drawn from it by z = mu + sigma * eps, eps ~ N(0, I); the decoder maps z to the
parameters of p(x|z). The prior p(z) is N(0, I).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

# The model's settings need no PyTorch (a run folder is read without it): they live in
# vae.model_config. VAEConfig and ConfigError are importable from here too.
from .model_config import CODE_ARCH, ConfigError, VAEConfig


@dataclass
class Posterior:
    """q(z|x) = N(mu, diag(sigma^2)), batched: mu and logvar are (B, D)."""
    mu: torch.Tensor
    logvar: torch.Tensor  # log sigma^2: the network outputs this so sigma is positive by design
    _std: torch.Tensor | None = field(default=None, repr=False)

    @property
    def std(self) -> torch.Tensor:
        if self._std is None:
            self._std = torch.exp(0.5 * self.logvar)
        return self._std

    def sample(self, n: int | None = None, generator: torch.Generator | None = None,
               eps: torch.Tensor | None = None) -> torch.Tensor:
        """z = mu + sigma * eps. Shape (B, D), or (n, B, D) when n is given. eps ~ N(0, I) is drawn
        here unless given (the trainer draws a global batch's noise and hands each process its
        slice)."""
        if eps is None:
            shape = self.mu.shape if n is None else (n, *self.mu.shape)
            eps = torch.randn(shape, generator=generator, dtype=self.mu.dtype,
                              device=self.mu.device)
        return self.mu + self.std * eps

    def kl(self) -> torch.Tensor:
        """KL(q(z|x) || N(0, I)) per latent dim, (B, D); Kingma & Welling appendix B."""
        return 0.5 * (self.mu.pow(2) + self.logvar.exp() - 1.0 - self.logvar)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log q(z|x) summed over dims; z broadcasts against (B, D)."""
        return (-0.5 * ((z - self.mu) / self.std).pow(2) - 0.5 * self.logvar
                - 0.5 * math.log(2 * math.pi)).sum(-1)


class VAE(nn.Module):
    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        c, h, w = config.image_shape
        d = config.latent_dim
        if config.arch == CODE_ARCH:
            raise ConfigError("a model imported as code is built from its own module "
                              "(vae.code_model.load_code_model), not from this engine's layers")
        if config.arch == "mlp":
            widths = [c * h * w, *config.hidden]
            self.encoder = nn.Sequential(nn.Flatten(), *_mlp(widths))
            self.decoder = nn.Sequential(*_mlp([d, *reversed(config.hidden)]),
                                         nn.Linear(config.hidden[0], c * h * w))
            feat = config.hidden[-1]
        else:
            c1, c2 = config.hidden
            self.encoder = nn.Sequential(
                nn.Conv2d(c, c1, 4, 2, 1), nn.ReLU(), nn.Conv2d(c1, c2, 4, 2, 1), nn.ReLU(),
                nn.Flatten())
            feat = c2 * (h // 4) * (w // 4)
            self.decoder = nn.Sequential(
                nn.Linear(d, feat), nn.ReLU(), nn.Unflatten(1, (c2, h // 4, w // 4)),
                nn.ConvTranspose2d(c2, c1, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(c1, c, 4, 2, 1),
                nn.Flatten())
        self.to_mu = nn.Linear(feat, d)
        self.to_logvar = nn.Linear(feat, d)
        if config.likelihood == "gaussian":
            # One learned pixel noise scale: the likelihood stays a proper density in nats.
            self.log_sigma_x = nn.Parameter(torch.zeros(()))

    def encode(self, x: torch.Tensor) -> Posterior:
        h = self.encoder(x)
        return Posterior(self.to_mu(h), self.to_logvar(h))

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor,
                       generator: torch.Generator | None = None,
                       eps: torch.Tensor | None = None) -> torch.Tensor:
        """z = mu + sigma * eps with eps ~ N(0, I): a sample of q(z|x) that gradients flow through
        to mu and log sigma^2 (Kingma & Welling, section 2.4). eps is drawn unless given."""
        return Posterior(mu, logvar).sample(generator=generator, eps=eps)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's output before the squashing: logits (bernoulli) or pre-sigmoid mean."""
        lead = z.shape[:-1]
        out = self.decoder(z.reshape(-1, z.shape[-1]))
        return out.reshape(*lead, *self.config.image_shape)

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """The mean image E[x|z] in [0, 1], what the dashboard draws."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        posterior = self.encode(x)
        z = self.reparameterize(posterior.mu, posterior.logvar, generator)
        return self.decode_logits(z), posterior, z

    def log_likelihood(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """log p(x|z) summed over pixels; `out` is decode_logits(z), broadcasting against x."""
        return -self.neg_log_likelihood(x, out)

    def neg_log_likelihood(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) summed over pixels, the reconstruction term in nats. Computed as a positive
        loss so training does not negate every pixel twice (forward and backward)."""
        x = x.expand_as(out)
        if self.config.likelihood == "bernoulli":
            nll = F.binary_cross_entropy_with_logits(out, x, reduction="none")
        else:
            mean = torch.sigmoid(out)
            nll = (0.5 * ((x - mean) / self.log_sigma_x.exp()).pow(2) + self.log_sigma_x
                   + 0.5 * math.log(2 * math.pi))
        return nll.flatten(-3).sum(-1)


def _mlp(widths: list[int]) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return layers
