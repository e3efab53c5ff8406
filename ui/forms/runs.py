"""The Runs page's words: metric names, and the sentences that depend on the runs chosen. Pure."""
from __future__ import annotations

import re

METRICS = {
    "test/neg_elbo": "test −ELBO: reconstruction error + KL, nats per image",
    "test/recon": "test reconstruction error, −log p(x|z)",
    "test/kl": "test KL(q(z|x) ‖ p(z))",
    "train/neg_elbo": "training −ELBO, per step",
    "train/recon": "training reconstruction error, per step",
    "train/kl": "training KL, per step",
    "test/active_units": "active latent dims (test set)",
}

KL_METRICS = ("test/kl", "train/kl", "test/neg_elbo", "train/neg_elbo")


def natural_key(name: str) -> tuple:
    """Sort key that reads numbers as numbers: beta2 before beta16, beta0.25 before beta1."""
    return tuple((0, float(part), "") if re.fullmatch(r"\d+(?:\.\d+)?", part) else (1, 0.0, part)
                 for part in re.findall(r"\d+(?:\.\d+)?|\D+", name))


def rises(values, tolerance: float = 0.02) -> bool:
    """Whether a curve ends more than `tolerance` (relative) above its lowest point."""
    v = [float(x) for x in values if x is not None and x == x]
    return len(v) >= 2 and v[-1] > min(v) + tolerance * max(abs(min(v)), 1e-9)


def autoencoder_note(betas: dict[str, float], metric: str,
                     rising: dict[str, bool] | None = None) -> str | None:
    """Why the curve of a β = 0 run rises, when one is shown rising on a KL or −ELBO curve: nothing
    in its loss holds the KL down, so what is plotted is measured, not trained. `rising` says
    which runs' curves rise; a β = 0 run whose curve does not is not named."""
    zero = [name for name, beta in betas.items()
            if beta == 0 and (rising is None or rising.get(name, False))]
    if not zero or metric not in KL_METRICS:
        return None
    names = ", ".join(f"**{n}**" for n in zero)
    return (f"{names} {'is' if len(zero) == 1 else 'are'} a plain autoencoder (β = 0): its loss is "
            "the reconstruction error alone, so nothing holds its KL down. The KL shown for it is "
            "measured, not trained, and it grows over training as the encoder spreads its codes "
            "apart and shrinks sigma" + (", which is why its −ELBO rises while its reconstruction "
                                         "improves." if "neg_elbo" in metric else "."))
