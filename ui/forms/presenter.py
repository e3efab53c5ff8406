"""Presenter mode's choices and sentences: which runs tell the story, and the words that depend on
their numbers. No Streamlit here, so each is tested on its own."""
from __future__ import annotations

import numpy as np

from vae import betas as vb
from vae import explain as ex
from vae.run import RunDir

STEPS = ["1 · Autoencoder vs VAE", "2 · Raise beta: collapse", "3 · The reparameterization"]
FONT = 18

# Large type for a projector: the page's own text, headings and metrics, not the sidebar's.
LARGE_TYPE_CSS = """<style>
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 3rem; padding-right: 3rem; }
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li {
  font-size: 1.4rem; line-height: 1.5; }
[data-testid="stMainBlockContainer"] h1 { font-size: 3.2rem; }
[data-testid="stMainBlockContainer"] h2 { font-size: 2.3rem; }
[data-testid="stMainBlockContainer"] [data-testid="stMetricValue"] { font-size: 2.8rem; }
[data-testid="stMainBlockContainer"] [data-testid="stButtonGroup"] p,
[data-testid="stMainBlockContainer"] [data-testid="stButton"] p { font-size: 1.15rem; }
</style>"""


def big(fig):
    """A figure in the page's large type."""
    return fig.update_layout(font=dict(size=FONT), title_font=dict(size=FONT + 4))


def step_after(step: str | None, delta: int) -> str:
    """The step `delta` away from `step` (the first when unknown), stopping at either end."""
    i = STEPS.index(step) if step in STEPS else 0
    return STEPS[min(len(STEPS) - 1, max(0, i + delta))]


def story_pair(runs: list[RunDir], run: RunDir, beta: float,
               family: list[vb.Member]) -> tuple[RunDir | None, RunDir | None]:
    """(autoencoder, VAE) for step 1. The beta family's beta = 0 run and its VAE nearest beta = 1
    when the family has three betas or more: there prior samples really differ (in 16-D the
    autoencoder's codes leave N(0, I)). Else the active run (`beta` is its beta) and its
    counterpart; None for a side that does not exist."""
    pair = vb.autoencoder_and_vae(family) if len(family) >= 3 else None
    if pair is not None:
        return pair[0].run, pair[1].run
    vae_run = run if beta > 0 else vb.find_vae(runs, run)
    ae_run = vb.find_autoencoder(runs, vae_run) if vae_run is not None else None
    return ae_run, vae_run


def no_pair_note(run_name: str) -> str:
    return (f"This step needs a VAE (beta > 0) and a plain autoencoder (beta = 0) trained on the "
            f"same dataset with the same latent size; **{run_name}** has no such pair. The shipped "
            "**mnist5k-2d** and **mnist5k-2d-ae** are one: pick mnist5k-2d in the sidebar, or "
            "train the missing one on the **Train** page.")


def classifier_sentence(latent_dim: int, real: float) -> str:
    return (f"Both models squeeze each image into {latent_dim} numbers and rebuild it. Then we "
            "decode the **same** 24 random codes drawn from N(0, I) with each. Is a decode a "
            "digit? A plain pixel classifier (logistic regression fitted on the training images) "
            f"judges: it recognises {real:.0%} of real test images with 90% confidence or more.")


def other_data_note(run_name: str, dataset: str, story_dataset: str) -> str:
    """When the story's runs are not on the active run's data (the shipped β family is MNIST-5k;
    a Fashion-MNIST run has no runs that differ from it in β alone)."""
    return (f"These steps show **{story_dataset}** runs, not **{run_name}**'s {dataset}: the "
            "story needs runs that differ in β alone, and there are none for this run's data. "
            "Train some on the **Train** page (same data and latent size, several β) and the story "
            "uses them.")


def code_spread(mu: np.ndarray) -> float:
    """The half-width holding 99% of a model's code coordinates."""
    return float(np.percentile(np.abs(mu), 99))


def prior_samples_verdict(ae_share: float, vae_share: float, ae_spread: float,
                          vae_spread: float, latent_dim: int) -> str:
    """What step 1 shows, in words: the autoencoder's prior samples fail where the VAE's do not,
    or (a small latent) they do about as well."""
    if ae_share < vae_share:
        return (f"Without the KL term the autoencoder's codes spread far outside N(0, I) "
                f"(±{ae_spread:.0f} against ±{vae_spread:.1f}): random codes land where it never "
                "learned, and decode to speckled smudges: the classifier recognises "
                f"{ae_share:.0%} of them, against {vae_share:.0%} of the VAE's. The KL term keeps "
                f"the VAE's codes inside N(0, I), so more of its random codes decode to "
                f"something digit-like, though blurred (each is an average over what q(z|x) "
                f"allows) and often between two digits: {1 - vae_share:.0%} of them still miss "
                "the classifier's 90% bar.")
    return (f"On this pair the autoencoder's prior samples are recognised as often as the VAE's "
            f"({ae_share:.0%} against {vae_share:.0%}): with {latent_dim} dims its codes sit close "
            "enough to N(0, I). The difference shows with a larger latent, as in the shipped "
            f"{vb.FAMILY_PREFIX}0 and {vb.FAMILY_PREFIX}1.")


def collapse_sentence(first: vb.RunPoint, last: vb.RunPoint) -> str:
    """Step 2's reading of the family, from its lowest beta to its highest."""
    return (f"From β = {first.beta:g} to β = {last.beta:g} the KL falls from {first.kl:.3g} to "
            f"{last.kl:.3g} nats and the active units (dims whose mu still moves with x) from "
            f"{first.active_units} to {last.active_units} of {first.latent_dim}. The "
            f"reconstruction error rises from {first.recon:.0f} to {last.recon:.0f} nats: the "
            "reconstructions turn alike.")


def inside_one_sigma(z: np.ndarray, mu: np.ndarray, sigma: np.ndarray, dims) -> int:
    """How many z lie inside q(z|x)'s 1-sigma ellipse on the plane of `dims`."""
    a, b = dims
    return int((((z[:, a] - mu[a]) / sigma[a]) ** 2 + ((z[:, b] - mu[b]) / sigma[b]) ** 2
                <= 1).sum())


def plane_title(dims, latent_dim: int) -> str:
    """Step 1's latent plane: which two dims it shows, when there are more."""
    axes = f" (z{dims[0]} and z{dims[1]} of {latent_dim} dims)" if latent_dim > 2 else ""
    return f"Test codes{axes}"


def too_few_betas_note(n_betas: int, sweep_betas) -> str:
    """Step 2 before a family exists: what the one-click sweep would train."""
    return (f"Only {n_betas} beta value(s) trained so far for this dataset and latent size: too "
            "few to watch collapse. One click trains four short runs (beta "
            + ", ".join(f"{b:g}" for b in sweep_betas) + "; about a minute on a laptop CPU).")


def reconstructions_caption(epochs: int, betas) -> str:
    """Step 2's grid of reconstructions, one row per beta under the test images."""
    return ("Top row: 8 test images. Each row below: their reconstructions by the run trained "
            f"with the beta written beside it ({epochs} epochs each), from beta "
            + " → ".join(f"{b:g}" for b in betas))


def collapsed_warning(names: list[str]) -> str:
    return (f"Collapsed: {', '.join(names)}. Their KL is near zero: every input gets the same "
            "code, and every reconstruction is the same average blur.")


REPARAM_PARTS = ["x → encoder → mu, sigma", "draw eps ~ N(0, I)", "z = mu + sigma · eps",
                 "decoder(z) → image"]


def plane_dims(mu: np.ndarray, sigma: np.ndarray) -> tuple[int, int]:
    """Step 3's plane: the input's two dims of largest KL, or (0, 0) for a 1-D latent."""
    return tuple(ex.top_dims(ex.kl_split(mu, sigma).per_dim)) if len(mu) >= 2 else (0, 0)


def mu_sigma_words(mu: np.ndarray, sigma: np.ndarray, dims) -> str:
    a, b = dims
    return (f"mu = ({mu[a]:.2f}, {mu[b]:.2f})  \nsigma = ({sigma[a]:.2f}, {sigma[b]:.2f})  \n"
            "The same x always gives these numbers.")


def eps_words(eps: np.ndarray, dims, seed: int) -> str:
    a, b = dims
    return (f"eps ~ N(0, I), drawn {len(eps)} times (seed {seed}):  \n"
            + "  \n".join(f"({e[a]:+.2f}, {e[b]:+.2f})" for e in eps))
