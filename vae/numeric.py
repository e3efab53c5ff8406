"""Numbers about a posterior that need numpy alone: the bounds on sigma (and the sentence that
says where they bit), the active-unit threshold, the order of dims by KL.

Importable without PyTorch, so that the figure builders (ui.figures) import in a fraction of a
second: a fresh server's warm-up builds Plotly's figure classes before PyTorch has loaded, and the
first page's hidden chart, which makes the browser fetch Plotly early, waits for that and no more.
The first page draws without PyTorch too (ui.cache.runs keeps its numbers on disk). vae.explain
and vae.losses export these names too, for the engine's own use.
"""
from __future__ import annotations

import math

import numpy as np

# Nothing in the loss bounds the encoder's log-variance: a beta = 0 run drives it to -30 and below,
# where exp() gives widths of 0 (and 1/sigma of inf), and a wild one can overflow the other way.
# Where sigma sets a width or a density it is clamped to this range; the pages say when it was.
SIGMA_MIN = 1e-6  # narrower than this, q(z|x) is a point, not a Gaussian worth drawing
SIGMA_MAX = 1e3  # wider than this, q(z|x) is flat over any region a page draws
LOGVAR_MIN, LOGVAR_MAX = 2.0 * math.log(SIGMA_MIN), 2.0 * math.log(SIGMA_MAX)

# A dim is active when Var_x(E_q[z_d]) exceeds this (Burda et al., 2016): its mean moves with x.
ACTIVE_UNIT_THRESHOLD = 0.01


def bounded_sigma(sigma) -> np.ndarray:
    """sigma (any shape) as float64, clamped to [SIGMA_MIN, SIGMA_MAX] (NaN stays NaN): widths
    and densities from it are finite and non-zero."""
    return np.clip(np.asarray(sigma, np.float64), SIGMA_MIN, SIGMA_MAX)


def dims_by_kl(kl_per_dim) -> list[int]:
    """Latent dims ordered by their KL, the most informative first; equal KLs keep dim order."""
    return [int(d) for d in np.argsort(-np.asarray(kl_per_dim, np.float64), kind="stable")]


def top_dims(kl_per_dim, k: int = 2) -> list[int]:
    """The k dims that carry most information (largest KL), in dim order: the latent view's axes."""
    return sorted(dims_by_kl(kl_per_dim)[:k])


def sigma_note(sigma) -> str | None:
    """A sentence for the page when some sigma lies outside [SIGMA_MIN, SIGMA_MAX], else None."""
    sigma = np.asarray(sigma, np.float64)
    if sigma.size == 0:
        return None
    parts = []
    narrow = int((sigma < SIGMA_MIN).sum())
    wide = int((sigma > SIGMA_MAX).sum())
    if narrow:
        parts.append(f"{narrow:,} of {sigma.size:,} sigmas are below {SIGMA_MIN:g} (the smallest "
                     f"is {float(np.nanmin(sigma)):.1e}): there q(z|x) is a point, not a Gaussian, "
                     f"and it is drawn {SIGMA_MIN:g} wide")
    if wide:
        parts.append(f"{wide:,} of {sigma.size:,} sigmas are above {SIGMA_MAX:g} (the largest is "
                     f"{float(np.nanmax(sigma)):.1e}): there q(z|x) is flat over the whole plane, "
                     f"and it is drawn {SIGMA_MAX:g} wide")
    return "; ".join(parts) + "." if parts else None
