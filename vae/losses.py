"""The loss in its parts, and the measures a researcher trusts.

-ELBO(x) = E_q[-log p(x|z)] + KL(q(z|x) || p(z)) = recon + sum_d kl_per_dim. Beta weights the KL in the
training objective only; every number reported here is the true bound, in nats per image.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .model import VAE
from .numeric import ACTIVE_UNIT_THRESHOLD, dims_by_kl  # noqa: F401  (numpy alone)


@dataclass
class LossTerms:
    recon: torch.Tensor  # (B,) -log p(x|z) for one z ~ q(z|x), nats
    kl_per_dim: torch.Tensor  # (B, D) closed form, nats
    z: torch.Tensor  # (B, D) the sample used

    @property
    def kl(self) -> torch.Tensor:
        return self.kl_per_dim.sum(-1)

    @property
    def neg_elbo(self) -> torch.Tensor:
        return self.recon + self.kl

    def objective(self, beta: float) -> torch.Tensor:
        """The mean training loss: recon + beta * KL."""
        return (self.recon + beta * self.kl).mean()


def loss_terms(model: VAE, x: torch.Tensor, generator: torch.Generator | None = None) -> LossTerms:
    out, posterior, z = model(x, generator=generator)
    return LossTerms(model.neg_log_likelihood(x, out), posterior.kl(), z)


@torch.no_grad()
def evaluate(model: VAE, x: torch.Tensor, batch_size: int = 1000,
             generator: torch.Generator | None = None) -> dict:
    """Test metrics over a whole set: means of recon, KL, -ELBO (nats/image), bits/dim, KL per dim,
    active units."""
    model.eval()
    recon, kl_dims, mus = [], [], []
    for i in range(0, len(x), batch_size):
        batch = x[i:i + batch_size]
        posterior = model.encode(batch)  # once: its mu also gives the active units
        z = posterior.sample(generator=generator)
        recon.append(model.neg_log_likelihood(batch, model.decode_logits(z)))
        kl_dims.append(posterior.kl())
        mus.append(posterior.mu)
    recon_t, kl_t, mu_t = torch.cat(recon), torch.cat(kl_dims), torch.cat(mus)
    neg_elbo = (recon_t + kl_t.sum(-1)).mean().item()
    return {
        "recon": recon_t.mean().item(),
        "kl": kl_t.sum(-1).mean().item(),
        "neg_elbo": neg_elbo,
        "bits_per_dim": bits_per_dim(neg_elbo, model.config.n_pixels),
        "kl_per_dim": kl_t.mean(0).tolist(),
        "active_units": int(active_units_from_mu(mu_t).sum().item()),
    }


def bits_per_dim(nats_per_image: float, n_pixels: int) -> float:
    return nats_per_image / (n_pixels * math.log(2))


def active_units_from_mu(mu: torch.Tensor,
                         threshold: float = ACTIVE_UNIT_THRESHOLD) -> torch.Tensor:
    """A dim is active when Var_x(E_q[z_d]) exceeds the threshold (Burda et al., 2016). (D,) bool."""
    return mu.var(0) > threshold


@torch.no_grad()
def log_importance_weights(model: VAE, x: torch.Tensor, k: int, chunk: int = 500,
                           generator: torch.Generator | None = None,
                           progress: Callable[[float], None] | None = None,
                           likelihood: bool = False):
    """log w = log p(x, z) - log q(z|x) = log p(x|z) + log p(z) - log q(z|x) for k draws
    z ~ q(z|x) per image, (k, B), nats. Their mean is the ELBO; the log of their mean w is the
    IWAE_k bound. Drawn in chunks so k up to 5,000 fits in memory; `progress(fraction)` is called
    after each chunk. `likelihood=True` returns (log w, log p(x|z)) of the same draws."""
    model.eval()
    posterior = model.encode(x)
    log_w, log_lik = [], []
    for start in range(0, k, chunk):
        n = min(chunk, k - start)
        z = posterior.sample(n, generator=generator)  # (n, B, D)
        log_px_z = model.log_likelihood(x, model.decode_logits(z))
        log_pz = (-0.5 * z.pow(2) - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_w.append(log_px_z + log_pz - posterior.log_prob(z))
        log_lik.append(log_px_z)
        if progress is not None:
            progress((start + n) / k)
    return (torch.cat(log_w), torch.cat(log_lik)) if likelihood else torch.cat(log_w)


def iwae_bound(model: VAE, x: torch.Tensor, k: int, chunk: int = 500,
               generator: torch.Generator | None = None,
               progress: Callable[[float], None] | None = None) -> torch.Tensor:
    """The importance-weighted bound log (1/k) sum_i p(x, z_i) / q(z_i|x) per image, (B,), nats.

    k=1 is the ELBO; it rises toward log p(x) as k grows (Burda et al., 2016).
    """
    log_w = log_importance_weights(model, x, k, chunk, generator, progress)
    return torch.logsumexp(log_w, 0) - math.log(k)
