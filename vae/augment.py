"""Small random shifts of the training images (--shift K), and binarized pixels (--binarize).

A 2-D code has room for little, and a VAE spends some of it on where a digit sits in its box; moving
each training image by up to K pixels teaches the encoder that position is not identity, so the
classes separate better for the same data. The test set is never shifted.

The shifts of a step are drawn from a generator seeded by (seed, step), not from a running
generator: every rank of a torchrun run draws the same shifts for the whole global batch, and a
resumed run draws exactly what it would have drawn without the stop, with no state to save.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

def shift_offsets(n: int, k: int, seed: int, step: int) -> torch.Tensor:
    """(n, 2) integer offsets (dy, dx) in [-k, k] for the images of global step `step`."""
    gen = torch.Generator().manual_seed((seed * 1_000_003 + step) % (2**63 - 1))
    return torch.randint(-k, k + 1, (n, 2), generator=gen)


def shift_images(x: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Each image of x (B, C, H, W) moved by its (dy, dx), zeros shifted in at the edges."""
    b, c, h, w = x.shape
    k = int(offsets.abs().max().item()) if len(offsets) else 0
    if k == 0:
        return x
    padded = F.pad(x, (k, k, k, k))
    offsets = offsets.to(x.device)
    rows = torch.arange(h, device=x.device)[None, :] + (k - offsets[:, :1])  # (B, H)
    cols = torch.arange(w, device=x.device)[None, :] + (k - offsets[:, 1:])  # (B, W)
    batch = torch.arange(b, device=x.device)[:, None, None, None]
    chan = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[batch, chan, rows[:, None, :, None], cols[:, None, None, :]]


# --binarize: the protocol of the VAE literature's MNIST likelihoods (Salakhutdinov & Murray 2008;
# Burda et al. 2016). A Bernoulli p(x|z) is a normalised likelihood only for pixels that are 0 or
# 1: each training pixel is drawn as Bernoulli(its grey level) afresh every time its image is seen,
# and the test set is drawn once, with a fixed seed, so every evaluation scores the same pixels
# (vae.data.binarized).


def binarize_images(x: torch.Tensor, n: int, seed: int, step: int,
                    part=slice(None)) -> torch.Tensor:
    """This rank's `part` x of global step `step`'s n images, each pixel drawn as Bernoulli(grey
    level). Seeded by (seed, step) like the shifts: every rank draws its slice of one global draw,
    and a resumed run draws what it would have drawn without the stop."""
    gen = torch.Generator().manual_seed((seed * 1_000_033 + step + 7) % (2**63 - 1))
    u = torch.rand((n, *x.shape[1:]), generator=gen)[part]
    return (u.to(x.device) < x).to(x.dtype)
