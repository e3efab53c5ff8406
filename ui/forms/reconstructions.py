"""The Reconstructions page's sentences that depend on numbers. Pure: no Streamlit."""
from __future__ import annotations

import numpy as np


def mu_versus_draws(recon_mu, recon_draws) -> str:
    """What the columns shown say about decode(mu) against the draws: in how many of them
    -log p(x|mu) is below the draws' mean -log p(x|z), and why that is the usual case or not."""
    recon_mu = np.asarray(recon_mu, float)
    draws_mean = np.asarray(recon_draws, float).reshape(len(recon_mu), -1).mean(1)
    wins, n = int((recon_mu < draws_mean).sum()), len(recon_mu)
    head = (f"Here decode(mu) scores better than the mean of its draws in {wins} of {n} "
            f"column{'s' * (n != 1)}")
    if wins * 2 > n:
        return (head + ": a draw moves z off the centre of q(z|x), and the reconstruction "
                "usually pays for it; the training loss counts that cost, which keeps sigma small.")
    return (head + ": where sigma is small next to what the decoder tells apart, a draw can land "
            "on a code that fits x as well as mu or better, so mu is the centre of q(z|x) but "
            "not always its best code.")


def wrong_class_note(n_wrong: int, n_read: int, n_shown: int, real_share: float | None = None) -> str:
    """How many decode(mu) the pixel classifier reads as another class than their input's, among
    the inputs it reads as their own class (n_read of n_shown)."""
    if n_read == 0:
        return (f"The pixel classifier reads none of the {n_shown} inputs shown as their own "
                "class, so it cannot tell here whether a reconstruction changed class.")
    ceiling = (f" (it is a plain linear model: it is sure of only {real_share:.0%} of real test "
               "images)" if real_share is not None else "")
    if n_wrong == 0:
        return (f"Every decode(mu) of the {n_read} inputs the pixel classifier reads as their own "
                f"class is read as that class too{ceiling}.")
    unjudged = n_shown - n_read
    return (f"**{n_wrong} of {n_read}** decode(mu) look like another class than their input to "
            f"the pixel classifier, which reads those inputs as their own class{ceiling}: marked "
            "⚠ under the column, with the class it reads. The code mu of such an image lies where "
            "the decoder draws the other class."
            + (f" It misreads the other {unjudged} input{'s' * (unjudged != 1)} shown, so it "
               "cannot judge their reconstructions: look at them yourself." if unjudged else ""))
