"""Numbers about q(z|x) that the pages show.

The model does the maths (Posterior.kl, log_likelihood, decode); this module batches it into numpy
and puts a diagnosis into words. No Streamlit here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from vae.numeric import ACTIVE_UNIT_THRESHOLD, top_dims

# PyTorch is imported by the functions that compute, not with this module: the first page reads
# a LatentSummary kept on disk (ui.cache.runs) and needs none.
if TYPE_CHECKING:
    from vae.model import VAE


@dataclass(frozen=True)
class LatentSummary:
    kl_per_dim: np.ndarray  # (D,) mean over test points of KL(q(z_d|x) || N(0, 1)), nats
    var_mu: np.ndarray  # (D,) Var over x of mu_d
    active: np.ndarray  # (D,) bool

    @property
    def total_kl(self) -> float:
        return float(self.kl_per_dim.sum())

    @property
    def n_active(self) -> int:
        return int(self.active.sum())


def latent_summary(mu: np.ndarray, std: np.ndarray) -> LatentSummary:
    import torch

    from vae.losses import active_units_from_mu
    from vae.model import Posterior

    mu_t = torch.as_tensor(np.asarray(mu, dtype=np.float32))
    std_t = torch.as_tensor(np.asarray(std, dtype=np.float64))
    # log sigma^2 from sigma in float64, sigma taken at float32's bounds where float32 rounded it
    # to 0 or inf: the KL of a beta = 0 run's near-zero sigmas is large and finite, not inf
    f32 = np.finfo(np.float32)
    logvar = 2.0 * torch.log(std_t.clamp(float(f32.tiny), float(f32.max)))
    kl = Posterior(mu_t.double(), logvar).kl().mean(0).numpy()
    var_mu = mu_t.double().var(0).numpy() if len(mu_t) > 1 else np.zeros(mu_t.shape[1])
    active = active_units_from_mu(mu_t, ACTIVE_UNIT_THRESHOLD).numpy() if len(mu_t) > 1 else (
        np.zeros(mu_t.shape[1], dtype=bool))
    return LatentSummary(kl, var_mu, active)


def diagnosis(summary: LatentSummary, beta: float) -> list[tuple[str, str]]:
    """(level, message) pairs, level one of "error", "warning", "info", in the seed's terms."""
    d = len(summary.kl_per_dim)
    notes = []
    if beta == 0:
        notes.append(("warning", (
            "**This run is a plain autoencoder (beta = 0).** Nothing pulls q(z|x) toward the "
            "prior N(0, I), so the encoder shrinks sigma toward 0 and spreads mu far outside the "
            f"circles: its KL is {summary.total_kl:.1f} nats per image, and nothing in training "
            "kept it down. The dots are codes, not a distribution to sample from: z drawn from "
            "N(0, I) covers only the small patch inside the circles, so it reaches only the codes "
            "that happen to lie there and the shapes between them, never the codes outside.")))
    if summary.n_active == 0:  # collapsed: one definition with Rate and distortion (RunPoint)
        notes.append(("error", (
            f"**Posterior collapse.** {summary.n_active} of {d} latent dims are active and the "
            f"KL is {summary.total_kl:.2f} nats: q(z|x) is (almost) the prior for every image, "
            "so z tells the decoder nothing about x. Lower beta, warm the KL up, or weaken the "
            "decoder.")))
    elif summary.n_active < d:
        idle = ", ".join(f"z{i}" for i in np.flatnonzero(~summary.active))
        idle_kl = float(summary.kl_per_dim[~summary.active].sum())
        notes.append(("info", (
            f"{summary.n_active} of {d} latent dims are active. The others ({idle}) barely move "
            f"with x (Var of mu_d < {ACTIVE_UNIT_THRESHOLD}), so they carry no information about "
            f"x; together they cost {idle_kl:.2f} nats of KL"
            + (": their q(z_d|x) is simply the prior N(0, 1)." if idle_kl < 0.1 else
               ", paid for nothing."))))
    return notes


def shared_plane(mus, kl_per_dim) -> tuple[tuple[int, int], float]:
    """The plane that several latent views share, so they compare at a glance: the two dims with
    the most KL (dim 0 twice for a 1-D latent), and one half-width that holds 99.5% of every
    view's codes on them, never narrower than the prior's +-3.5."""
    dims = tuple(top_dims(kl_per_dim)) if np.asarray(mus[0]).shape[1] >= 2 else (0, 0)
    half = max(3.5, 1.1 * max(float(np.percentile(np.abs(np.asarray(m)[:, list(dims)]), 99.5))
                              for m in mus))
    return dims, half


def pick_images(labels: np.ndarray, n: int, seed: int, classes=None) -> np.ndarray:
    """n test-set indices drawn at random (reproducibly, by seed), from `classes` when given."""
    labels = np.asarray(labels)
    pool = np.arange(len(labels)) if not classes else np.flatnonzero(np.isin(labels, list(classes)))
    if len(pool) == 0:
        return pool
    return np.sort(np.random.default_rng(seed).choice(pool, min(n, len(pool)), replace=False))


def reconstruct(model: VAE, x: np.ndarray, n_samples: int, seed: int) -> dict:
    """Mean and stochastic reconstructions of images x (B, C, H, W), with their errors.

    mean: decode_mean(mu); samples: decode_mean(mu + sigma * eps) for n_samples fresh eps each.
    recon_mu / recon_samples: -log p(x|z) in nats at z = mu and at each sampled z; kl: KL(q(z|x) ||
    p(z)) in nats. Returns numpy arrays: mean (B, C, H, W), samples (B, S, C, H, W), z (B, S, D),
    mu, std (B, D), recon_mu (B,), recon_samples (B, S), kl (B,).
    """
    import torch

    with torch.no_grad():
        xt = torch.from_numpy(np.array(x, dtype=np.float32))  # a copy: dataset arrays are read-only
        q = model.encode(xt)
        gen = torch.Generator().manual_seed(int(seed))
        z = q.sample(n_samples, generator=gen).transpose(0, 1)  # (B, S, D)
        out_mu = model.decode_logits(q.mu)
        out_z = model.decode_logits(z)
        return {
            "mean": torch.sigmoid(out_mu).numpy(),
            "samples": torch.sigmoid(out_z).numpy(),
            "z": z.numpy(), "mu": q.mu.numpy(), "std": q.std.numpy(),
            "recon_mu": (-model.log_likelihood(xt, out_mu)).numpy(),
            "recon_samples": (-model.log_likelihood(xt[:, None], out_z)).numpy(),
            "kl": q.kl().sum(-1).numpy(),
        }
