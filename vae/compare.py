"""Two models on the same data: the numbers the "Compare two models" page shows.

The same test images through both (loss terms per class), the same z through both decoders, and
both posteriors on one plane. A VAE's objective does not change when its latent space is rotated
or reflected (the prior N(0, I) and the KL are invariant, and the first decoder layer absorbs the
rotation), so two models' codes are compared only after B's mu are aligned onto A's by the
orthogonal map that fits best (orthogonal Procrustes; Schönemann, 1966).
"""
from __future__ import annotations

import numpy as np
import torch

from .model import VAE


@torch.no_grad()
def per_image_terms(model: VAE, x: torch.Tensor, seed: int = 0, batch_size: int = 1000) -> dict:
    """recon, KL and -ELBO (nats) of each image, for one z ~ q(z|x) drawn from `seed`, and mu."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    recon, kl, mus = [], [], []
    for i in range(0, len(x), batch_size):
        batch = x[i:i + batch_size]
        q = model.encode(batch)
        z = q.sample(generator=generator)
        recon.append(model.neg_log_likelihood(batch, model.decode_logits(z)))
        kl.append(q.kl().sum(-1))
        mus.append(q.mu)
    recon_t, kl_t = torch.cat(recon).numpy(), torch.cat(kl).numpy()
    return {"recon": recon_t, "kl": kl_t, "neg_elbo": recon_t + kl_t, "mu": torch.cat(mus).numpy()}


def per_class(terms: dict, labels: np.ndarray, n_classes: int) -> dict[str, np.ndarray]:
    """Means of recon, KL and -ELBO per class, (n_classes,) each, NaN for a class with no image;
    "all" holds the means over every image."""
    labels = np.asarray(labels)
    out = {}
    for key in ("recon", "kl", "neg_elbo"):
        values = np.asarray(terms[key], np.float64)
        out[key] = np.array([values[labels == c].mean() if (labels == c).any() else np.nan
                             for c in range(n_classes)])
        out[f"all/{key}"] = float(values.mean())
    out["count"] = np.bincount(labels, minlength=n_classes)[:n_classes]
    return out


def procrustes(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, dict]:
    """The orthogonal R (D, D) minimising ||source R - target||_F, and the fit's residuals.

    No translation and no scaling: both codes are pulled towards the same prior N(0, I), and only
    its symmetries (rotations and reflections) leave a VAE's loss unchanged. The residuals are
    root-mean-square distances per point, before and after the alignment, and the share of the
    target's spread that is left (0: the same code up to a rotation)."""
    a = np.asarray(source, np.float64)
    b = np.asarray(target, np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"Procrustes needs two (N, D) arrays of one shape, not {a.shape} and "
                         f"{b.shape}")
    u, _, vt = np.linalg.svd(a.T @ b)
    rotation = u @ vt
    aligned = a @ rotation
    rms = lambda d: float(np.sqrt((d ** 2).sum(1).mean()))  # noqa: E731
    spread = rms(b - b.mean(0)) or 1.0
    return rotation, {"rms_before": rms(a - b), "rms_after": rms(aligned - b),
                      "relative": rms(aligned - b) / spread,
                      "reflection": bool(np.linalg.det(rotation) < 0)}


@torch.no_grad()
def decode_means(model: VAE, z: np.ndarray) -> np.ndarray:
    """decode_mean of z (..., D) as numpy images (..., C, H, W)."""
    return model.decode_mean(torch.as_tensor(np.asarray(z), dtype=torch.float32)).numpy()
