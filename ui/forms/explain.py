"""Pure builders for the "What mu and sigma mean" page: the engine's numbers in, tables (pandas) and
sentences (markdown) out. No session state, no Streamlit: each is unit-tested in
tests/test_explain_sections.py, and every sentence is written from the numbers it sits beside.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from vae import betas as vb
from vae import explain as ex

# The learner's question (Data Science Stack Exchange, 2018) and the follow-up §4 answers.
SEED_TITLE = "What mu and sigma vector really mean in VAE?"
SEED_FOLLOW_UP = ("in many tutorials you see this: `kl_loss = - 0.5 * mean(1 + z_log_sigma - "
                  "square(z_mean) - exp(z_log_sigma), axis=-1)` isn't this KL-divergence between "
                  "mu and sigma matrices?")


def dim_names(d: int) -> list[str]:
    return [f"z{i}" for i in range(d)]


def mu_sigma_table(mu, sigma) -> pd.DataFrame:
    """§1: the encoder's two outputs per dim, and log sigma^2 as the seed's code calls it."""
    mu, sigma = np.asarray(mu), np.asarray(sigma)
    return pd.DataFrame({"dim": dim_names(len(mu)), "mu": mu, "sigma": sigma,
                         "log sigma^2 (z_log_sigma)": 2 * np.log(sigma)})


def z_samples_table(mu, sigma, z, eps) -> pd.DataFrame:
    """§2: mu and sigma beside the mean and spread of the z drawn (std needs two draws)."""
    mu, sigma, z, eps = (np.asarray(a) for a in (mu, sigma, z, eps))
    spread = z.std(0) if len(z) > 1 else np.full(len(mu), np.nan)
    return pd.DataFrame({"dim": dim_names(len(mu)), "mu (never moves)": mu,
                         "mean of the z drawn": z.mean(0), "sigma": sigma,
                         "std of the z drawn": spread, "last eps": eps[-1], "last z": z[-1]})


def gradient_table(g: ex.ReparamGradients) -> pd.DataFrame:
    """§3: per dim, the gradient of L = -log p(x|z) reaching mu and sigma through sample() (None,
    as torch returns it) and through rsample(), with the eps, z and dL/dz behind them."""
    d = len(g.mu)

    def col(values):
        return [None] * d if values is None else [float(v) for v in values]

    return pd.DataFrame({
        "dim": dim_names(d), "eps": g.eps, "z = mu + sigma·eps": g.z, "dL/dz": g.grad_z,
        "sample(): dL/dmu": pd.Series(col(g.sample_grad_mu), dtype=object),
        "sample(): dL/dsigma": pd.Series(col(g.sample_grad_sigma), dtype=object),
        "rsample(): dL/dmu": g.rsample_grad_mu,
        "rsample(): dL/dsigma": g.rsample_grad_sigma})


def gradient_sentence(g: ex.ReparamGradients) -> str:
    """§3's one sentence, with this input's numbers."""
    none = g.sample_grad_mu is None and g.sample_grad_sigma is None
    return (f"Drawn with `Normal(mu, sigma).sample()`, z is a bare number with no history, so "
            "torch "
            f"returns {'**None**' if none else 'a gradient (unexpected)'} for dL/dmu and "
            "dL/dsigma and the encoder could never learn from the reconstruction; drawn with "
            "`rsample()`, the same z is computed as mu + sigma · eps, so the chain rule reaches "
            "both (dL/dmu = dL/dz, dL/dsigma = dL/dz · eps) and the encoder's "
            f"weights receive a gradient of size {g.rsample_encoder_grad_norm:.3g} instead of "
            "none. (That size is the length of the vector of dL/dθ over every encoder weight θ, "
            "for this one image: what counts is that it is not zero, so each training step can "
            "move the encoder.)")


def kl_terms_table(mu, sigma) -> pd.DataFrame:
    """§4: the seed's line read term by term per dim, and the same KL split into two penalties."""
    split = ex.kl_split(mu, sigma)
    return pd.DataFrame({"dim": dim_names(len(np.asarray(mu))), **ex.seed_line_terms(mu, sigma),
                         "mean penalty": split.mean_penalty, "width penalty": split.width_penalty})


def kl_not_trained_note(run_name: str, beta: float, kl: float) -> str | None:
    """For a beta = 0 run: its KL is measured for comparison, not trained; None otherwise."""
    if beta > 0:
        return None
    return (f"**{run_name}** was trained with beta = 0: the KL was not in its loss, so nothing "
            f"pulled q(z|x) toward the prior. Its KL ({kl:.2f} nats here) is measured for "
            "comparison only; nothing trained it.")


def coverage_sentence(rows: list[tuple[str, str, float]], n: int) -> str:
    """§6: the share of prior samples that land inside some test image's q(z|x), per model.
    rows: (run name, "VAE" or "autoencoder", share)."""
    parts = [f"**{share:.0%}** for {name} ({kind})" for name, kind, share in rows]
    return (f"Of {n:,} samples z ~ N(0, I), the share that falls inside at least one test image's "
            "q(z|x) (its central 95%): " + "; ".join(parts) + ". The rest land where no test "
            "image's q(z|x) reaches: no image was encoded there, so what the decoder draws "
            "there was never checked against one, though it can still look like data (the "
            "samples below).")


def prior_comparison_sentence(vae_share: float | None, ae_share: float | None,
                              ae_median_sigma: float, ae_spread: float,
                              vae_recognised: float | None = None,
                              ae_recognised: float | None = None) -> str:
    """§6: why the autoencoder's prior samples are not trustworthy, from its measured numbers
    (the shares are None where they are not measured: above two dims). *_recognised: the share of
    decoded prior samples the pixel classifier recognises, so the words match the pictures."""
    text = (f"The autoencoder's sigma is tiny (median {ae_median_sigma:.2g}) and its codes spread "
            f"over ±{ae_spread:.0f}: its aggregate posterior is a comb of spikes with holes "
            "between them")
    if vae_share is not None and ae_share is not None:
        text += (f", so only {ae_share:.0%} of prior samples land on a code it was trained on "
                 f"(VAE: {vae_share:.0%})")
    text += ". Whatever its decoder draws there was never checked against an image"
    if vae_recognised is None or ae_recognised is None:
        return text + ", even where it happens to look like a digit."
    if ae_recognised < vae_recognised:
        return text + (f": the pixel classifier recognises {ae_recognised:.0%} of 1,000 of its "
                       f"decoded prior samples, against {vae_recognised:.0%} of the VAE's.")
    return text + (f". Yet here its decodes are recognised as often as the VAE's "
                   f"({ae_recognised:.0%} against {vae_recognised:.0%} of 1,000): some holes "
                   "happen to decode to digit-like shapes, by luck rather than training.")


def beta_table(points: list[vb.RunPoint]) -> pd.DataFrame:
    """§6: runs that differ in beta, from their last test epoch."""
    return pd.DataFrame({
        "beta": [p.beta for p in points], "run": [p.name for p in points],
        "KL (nats)": [p.kl for p in points], "reconstruction -log p(x|z) (nats)": [p.recon for p in
                                                                                    points],
        "active dims": [f"{p.active_units} of {p.latent_dim}" for p in points],
        "posterior collapsed": ["yes" if p.collapsed else "no" for p in points]})


def beta_family_for(points: list[vb.RunPoint], dataset: str, latent_dim: int) -> list[vb.RunPoint]:
    """The beta family (same epochs, most distinct betas) among runs on this dataset: of this
    latent size when it has one, else of the latent size with most betas; empty when no latent
    size has three betas."""
    by_dim: dict[int, list[vb.RunPoint]] = {}
    for p in points:
        if p.dataset == dataset:
            by_dim.setdefault(p.latent_dim, []).append(p)
    families = {d: vb.beta_family(ps) for d, ps in by_dim.items()}
    families = {d: f for d, f in families.items() if len({p.beta for p in f}) >= 3}
    if not families:
        return []
    if latent_dim in families:
        return families[latent_dim]
    return families[max(families, key=lambda d: (len({p.beta for p in families[d]}), d))]


def beta_sentence(family: list[vb.RunPoint]) -> str:
    """What the family's last epochs show as beta grows, said only as far as the numbers go."""
    lo, hi = family[0], family[-1]
    d = hi.latent_dim
    text = (f"From beta = {lo.beta:g} to beta = {hi.beta:g} ({d}-D runs, {hi.epoch} epochs each), "
            f"the KL {'falls' if hi.kl < lo.kl else 'goes'} from {lo.kl:.1f} to {hi.kl:.1f} nats "
            f"and the reconstruction term −log p(x|z) {'grows' if hi.recon > lo.recon else 'goes'} "
            f"from {lo.recon:.1f} to {hi.recon:.1f} nats: the larger beta, the harder every q(z|x) "
            "is pulled onto N(0, I), and the less of x the code keeps")
    if hi.active_units < lo.active_units:
        text += f"; active dims drop from {lo.active_units} to {hi.active_units} of {d}"
    else:
        text += f"; all {hi.active_units} of {d} dims stay active up to beta = {hi.beta:g}"
    collapsed = [p for p in family if p.collapsed]
    if collapsed:
        text += (", and the posterior collapses (the code says nothing about x) at beta = "
                 + ", ".join(f"{p.beta:g}" for p in collapsed))
    return text + "."


def accounting_latex(acc: ex.Accounting) -> str:
    """§7: ELBO = E_q[log p(x|z)] - KL, in the page's one sign convention (log-likelihoods)."""
    return (rf"\underbrace{{{acc.elbo:.2f}}}_{{\text{{ELBO}}}}"
            rf" = \underbrace{{{-acc.recon:.2f}}}_{{E_q[\log p(x|z)]}}"
            rf" - \underbrace{{{acc.kl:.2f}}}_{{\text{{KL}}}}"
            rf"\;\le\; \underbrace{{{acc.iwae:.2f}}}_{{\text{{IWAE}}_{{k={acc.k}}}}}"
            r"\;\le\; \log p(x)\qquad\text{nats per image}")


def accounting_definitions(acc: ex.Accounting) -> str:
    """§7: IWAE and bits/dim, a sentence each, with this model's numbers."""
    return (f"**IWAE_k** averages the importance weights p(x, z)/q(z|x) of k samples z ~ q(z|x) "
            f"before taking the log; it is a lower bound on log p(x) that rises toward it as k "
            f"grows (k = 1 is the ELBO). **Bits per dim** is −ELBO / ({acc.n_pixels} · ln 2): the "
            f"bound as the bits per pixel a code built on this model would need, "
            f"{acc.bits(acc.neg_elbo):.4f} here (lower is better).")


# pythae 0.1.2's plain VAE with the shipped network of the time (one hidden layer of 256, 30
# epochs) against this trainer on the same MNIST-5k split: test -ELBO, mean +- spread over seeds
PEER = {2: ("169.8 ± 1.4", "169.6 ± 0.3"), 16: ("122.2", "122.3")}
PEER_DATASET = "mnist-5k"


def likelihood_note(model_config, test_neg_elbo: float | None, baseline: float | None,
                    train_config) -> str:
    """§7: what the numbers above are, and what they can be compared with. `test_neg_elbo` is
    the run's own on the whole test set (its last epoch), `baseline` one Bernoulli per pixel."""
    if model_config.likelihood != "bernoulli":
        return ("With a Gaussian likelihood these are densities of continuous pixels: compare them "
                "between runs of this dashboard on the same data, not with other datasets.")
    ours = ("" if test_neg_elbo is None else
            f"; this model's −ELBO on the same test set is {test_neg_elbo:.1f} (its last epoch)")
    if train_config.binarize:
        words = ("This run was trained and tested on binarized pixels (`--binarize`: each pixel "
                 "a Bernoulli draw of its grey level, the test set drawn once with a fixed seed), "
                 "so its Bernoulli likelihood is a normalised probability: −ELBO and the IWAE "
                 "bound are bounds on a true −log p(x), in the protocol of published MNIST NLLs "
                 "(on this dataset's own split, which is not theirs).")
        if baseline is not None:
            words += (f" For scale: one Bernoulli per pixel, with no code at all, scores "
                      f"−log p(x) = {baseline:.1f} nats on these test pixels{ours}.")
        return words
    words = ("With a Bernoulli likelihood on grey levels (this run), \"log p(x)\", IWAE and "
             "bits/dim are scores, not normalised likelihoods: a grey pixel is not a 0 or a 1, "
             "so they cannot be compared with published MNIST NLLs, which binarize the pixels. "
             "Compare them between runs on the same data.")
    if baseline is not None:
        words += (f" For scale: one Bernoulli per pixel, fitted on the training images with no "
                  f"code at all, scores −log p(x) = {baseline:.1f} nats on this test set{ours}.")
    d = model_config.latent_dim
    if train_config.dataset == PEER_DATASET and d in PEER and model_config.beta == 1:
        theirs, mine = PEER[d]
        words += (f" Another library's plain VAE (pythae), trained on this split with one hidden "
                  f"layer of 256 for 30 epochs, scored −ELBO {theirs} in {d}-D, and this "
                  f"dashboard's trainer {mine} with that same network: the two trainers agree "
                  f"(this run's network is {model_config.arch} "
                  f"{','.join(map(str, model_config.hidden))}, {train_config.epochs} epochs).")
    return words


def bound_caption(n: int, elbo: float, best: float, k_top: int, iwae_top: float) -> str:
    """§7's picture of why ELBO <= log p(x), in words that match its numbers."""
    return (f"Each bar counts draws z ~ q(z|x) of this input by their log weight "
            "log w = log p(x|z) + log p(z) − log q(z|x). **Their mean is the ELBO**, "
            f"{elbo:.2f} nats. The mean of w itself is exactly p(x), so **log p(x) is the log of "
            f"the mean weight**; over these {n:,} draws it comes to {best:.2f}, an estimate "
            "from slightly below. log is concave, so a mean of logs is never above the log of the "
            "mean (**Jensen's inequality**): ELBO ≤ log p(x), for every input. The gap, about "
            f"{best - elbo:.2f} nats here, is KL(q(z|x) ‖ p(z|x)): how far the encoder's Gaussian "
            "is from the true posterior p(z|x). IWAE_k takes the log of the mean of k weights, so "
            f"it climbs from the ELBO at k = 1 to {iwae_top:.2f} at k = {k_top:,} (right), "
            "closing most of that gap.")


def accounting_scope_caption(scope: str, n_images: int, n_test: int, samples: int,
                             full_test_neg_elbo: float | None, kl_from_draws: bool = False) -> str:
    """§7: which images the numbers average over, and how they were estimated."""
    if kl_from_draws:
        how = (f"This input alone, from the same {samples:,} draws z ~ q(z|x) as the picture "
               "below, so the two agree: E_q[log p(x|z)] and the ELBO are their means, IWAE_k "
               "their mean over groups of k, and the KL here is their mean of "
               "log q(z|x) − log p(z), an estimate of the exact KL (within a few hundredths of a "
               "nat).")
    else:
        if scope == "input":
            which = "This input alone."
        else:
            which = (f"A fixed random sample of {n_images} of the {n_test:,} test images, "
                     "stratified by class (each class in its share, seed 0).")
            if full_test_neg_elbo is not None:
                which += (f" On all {n_test:,} test images the trainer's last epoch measured ELBO "
                          f"{-full_test_neg_elbo:.2f}.")
        how = (f"{which} E_q[log p(x|z)] averages {samples} draws z ~ q(z|x) (fixed seed); the KL "
               "is exact.")
    return (f"{how} Both bounds sit below log p(x): the ELBO pays for q(z|x) not being the true "
            "posterior p(z|x), and weighting k samples recovers part of that.")


def takeaways(kl: float, grad_norm: float, coverage: float | None, ae_coverage: float | None,
              ae_shown: bool, beta_family: list[vb.RunPoint] | None = None,
              bound_gap: float | None = None) -> list[str]:
    """§9: what a learner can now say, each answer pointing to the section that shows it.
    coverage, ae_coverage: shares of prior samples inside some q(z|x) (None: not measured);
    bound_gap: log p(x) - ELBO estimated for this input (§7), or None."""
    out = [
        "**What is random, what is not.** mu and sigma are the encoder's deterministic outputs "
        "(§1: encoding again gives identical numbers); the only randomness is eps, and "
        "z = mu + sigma · eps scatters around a mu that stays put (§2).",
        "**Why the reparameterization trick.** A z drawn by sampling has no path back to mu and "
        f"sigma; written as mu + sigma · eps it does (§3: None, against a gradient of length "
        f"{grad_norm:.3g} over the encoder's weights).",
        "**What the kl_loss line compares.** Not mu with sigma: the Gaussian N(mu, sigma²) with "
        "N(0, 1), per dim; −square(z_mean) gives the mean penalty mu²/2, the other three terms "
        "the width penalty (sigma² − 1 − ln sigma²)/2 (§4: "
        f"{kl:.2f} nats for this input).",
    ]
    pushed = ("**Why z is pushed toward N(0, I).** Generation decodes z ~ N(0, I), so the codes "
              "must fill that region")
    if coverage is not None and ae_coverage is not None:
        pushed += (f": {coverage:.0%} of prior samples land on a VAE code, {ae_coverage:.0%} on "
                   "the autoencoder's (β = 0), the rest where no image was encoded (§6).")
    elif coverage is not None:
        pushed += f": {coverage:.0%} of prior samples land on one of this VAE's codes (§6)."
    else:
        pushed += ("; §6 draws each dim's aggregate posterior, the codes as a whole, against "
                   "N(0, 1).")
    out.append(pushed)
    what_beta = "**What β does.** β weighs the KL in training: β = 0 is a plain autoencoder"
    if ae_shown:
        what_beta += " (sigma shrinks to near 0 and the codes spread out, §6)"
    else:
        what_beta += (", nothing pulls q(z|x) toward the prior (no autoencoder matches this run, "
                      "so §6 cannot show one)")
    if beta_family:
        lo, hi = beta_family[0], beta_family[-1]
        what_beta += (f"; a larger β pulls every q(z|x) harder onto N(0, I): from β = {lo.beta:g} "
                      f"to {hi.beta:g} the KL goes from {lo.kl:.1f} to {hi.kl:.1f} nats and the "
                      f"reconstruction term from {lo.recon:.1f} to {hi.recon:.1f} (§6's β table).")
    else:
        what_beta += ("; what a large β does needs runs that differ in β only, and there are "
                      "none of this run's kind here yet (Rate and distortion sweeps β on "
                      "MNIST-5k; for other data, train runs that differ in β alone on the Train "
                      "page).")
    out.append(what_beta)
    if bound_gap is not None:
        out.append("**Why the ELBO is a lower bound.** It is the mean of log w over z ~ q(z|x), "
                   "while log p(x) is the log of the mean w; by Jensen's inequality the first is "
                   "never above the second, and the shortfall is KL(q(z|x) ‖ p(z|x)), how far "
                   f"q(z|x) is from the true posterior (§7: {bound_gap:.2f} nats for this input).")
    return out


# ----------------------------------------------------------------- the page's choices, in numbers
CALC_MU_RANGE = (-4.0, 4.0)  # the KL calculator's sliders
CALC_SIGMA_RANGE = (0.05, 3.0)


def intro(run_name: str, latent_dim: int, beta: float) -> str:
    return (f"A learner asked: *“{SEED_TITLE}”* This page answers on run **{run_name}** "
            f"({latent_dim}-D latent, beta = {beta:g}): every number below is computed now from "
            "its model and its test images.")


def examples_by_class(labels, n_classes: int) -> dict[int, np.ndarray]:
    """§1: each class's test indices in order, classes without a test image left out."""
    labels = np.asarray(labels)
    by_class = {c: np.flatnonzero(labels == c) for c in range(n_classes)}
    return {c: ix for c, ix in by_class.items() if len(ix)}


def class_and_nth(by_class: dict[int, np.ndarray], labels, index: int) -> tuple[int, int]:
    """§1: the (class, 1-based example number) pickers that select test image `index`."""
    label = int(np.asarray(labels)[index])
    return label, int(np.searchsorted(by_class[label], index)) + 1


def encoded_again(previous: dict | None, index: int, diff: float) -> dict:
    """§1: the "Encode again" record after one more click: clicks on this input are counted, a
    new input starts again at one."""
    count = previous["count"] + 1 if previous and previous["index"] == index else 1
    return {"index": index, "count": count, "diff": diff}


def encoded_again_sentence(again: dict) -> str:
    return (f"Encoded again {again['count']} time(s): mu and sigma came out identical "
            f"(largest difference {again['diff']:.1g}). The encoder is a deterministic "
            "function of x: nothing random happens here.")


def calculator_start(mu: float, sigma: float) -> tuple[float, float, bool]:
    """§5: the calculator's (mu, sigma) for one dim of an input: rounded to the sliders' step and
    held inside their ranges, and whether holding them moved either."""
    lo_mu, hi_mu = CALC_MU_RANGE
    lo_s, hi_s = CALC_SIGMA_RANGE
    outside = not (lo_mu <= mu <= hi_mu and lo_s <= sigma <= hi_s)
    return (float(np.clip(round(mu, 2), lo_mu, hi_mu)),
            float(np.clip(round(sigma, 2), lo_s, hi_s)), outside)


def clipped_caption(dim: int, mu: float, sigma: float) -> str:
    """§5: an input's dim whose (mu, sigma) the sliders cannot reach, with its KL."""
    return (f"This input's z{dim} has mu = {mu:.3g}, sigma = {sigma:.3g}: outside the sliders, "
            "which stop at the nearest ends (KL there: "
            f"{ex.kl_split([mu], [sigma]).total:.2f} nats).")


def model_kinds(run_name: str, beta: float, other_name: str | None) -> dict[str, str]:
    """§6: "VAE" or "autoencoder" for the active run (by its beta) and the run it is compared
    with, which is the other kind."""
    vae = beta > 0
    kinds = {run_name: "VAE" if vae else "autoencoder"}
    if other_name is not None:
        kinds[other_name] = "autoencoder" if vae else "VAE"
    return kinds


def model_title(kind: str, name: str, beta: float) -> str:
    return f"{kind[:1].upper()}{kind[1:]}: {name} (beta = {beta:g})"


def no_counterpart_note(beta: float) -> str:
    """§6: the active run has no run of the other kind to compare with."""
    want = "plain autoencoder (beta = 0)" if beta > 0 else "VAE (beta > 0)"
    return (f"No {want} with this run's dataset and latent size exists yet, so there is nothing "
            "to compare against. Train one on the **Train** page with the same dataset and "
            "latent dim.")


def aggregate_posterior_intro(coverage: str) -> str:
    """§6: what the KL does to the codes as a whole; `coverage` is coverage_sentence's words, or
    empty where coverage is not measured."""
    return ("Without the KL nothing ties the codes to N(0, I): the encoder may put them anywhere. "
            "The KL pulls every q(z|x) toward N(0, I), so the codes as a whole (the **aggregate "
            "posterior**, the mean of q(z|x) over inputs, drawn per dim below against N(0, 1)) "
            "fill the region generation samples." + (" " + coverage if coverage else ""))


def beta_family_intro(family: list[vb.RunPoint], latent_dim: int) -> str:
    """§6: the beta family's lead-in, saying when its latent size is not this run's."""
    other_size = "" if family[0].latent_dim == latent_dim else (
        f" (they are {family[0].latent_dim}-D; this run is {latent_dim}-D)")
    return (f"These runs differ in beta only{other_size}. beta weighs the KL in training. "
            + beta_sentence(family) + " Open one to see it on this page.")


def drag_caption(z, mu, sigma) -> str:
    """§8: how far the released z is from the input's q(z|x), in sigmas, and from the prior's
    centre."""
    z, mu, sigma = (np.asarray(a) for a in (z, mu, sigma))
    away = np.abs((z - mu) / sigma)
    return (f"Last released z is {away.max():.1f} sigma from this input's mu at most "
            f"(dim z{int(away.argmax())}), and {np.linalg.norm(z):.2f} from the prior's centre.")


def decodes_sentence(input_class: int, predicted, names) -> str:
    """What the decodes of one input's z samples show, as the pixel classifier reads them:
    "a variant of the same picture" only when every decode is read as the input's class.
    input_class: the test label, or the classifier's class for a drawing; predicted: one class per
    decode."""
    predicted = [int(c) for c in predicted]
    n, name = len(predicted), str(names[input_class])
    same = sum(c == input_class for c in predicted)
    if n == 0:
        return ""
    if same == n:
        return (f"every one of these {n} decodes is a variant of the same picture: the pixel "
                f"classifier reads all {n} as a {name}")
    others = sorted({c for c in predicted if c != input_class},
                    key=lambda c: (-predicted.count(c), c))
    other_words = ", ".join(f"{predicted.count(c)} as a {names[c]}" for c in others)
    if 2 * same >= n:
        return (f"most are variants of this {name} (the pixel classifier reads {same} of {n} as a "
                f"{name}), but {other_words}: this input's q(z|x) reaches over a border between "
                "classes, so some z land where the decoder draws another class")
    return (f"these decodes are mostly not this {name}: the pixel classifier reads only {same} of "
            f"{n} as a {name} ({other_words}). This input's mu sits where the decoder draws "
            "another class; pick another input to see z scatter inside one class")


def test_image_caption(index: int, class_name: str) -> str:
    """A test image named as a person counts: its place in the test set from 1, and its class."""
    return f"test image #{index + 1} (its place in the test set, from 1) · class {class_name}"


def recognised_caption(share: float) -> str:
    """Under a grid of decoded prior samples: how many such decodes look like a class at all."""
    return (f"The pixel classifier recognises {share:.0%} of 1,000 such decodes (one class at "
            "90% confidence or more).")
