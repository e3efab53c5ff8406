"""The words the pages use, each said once in plain words: the Glossary page and the help texts
that point to it take them from here."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    name: str
    anchor: str
    says: str


TERMS = (
    Term("mu (μ) and sigma (σ)", "mu-sigma",
         "The encoder's two outputs for one input x: the centre and the spread, per latent "
         "dimension, of the Gaussian q(z|x). They are computed, not drawn: the same x gives the "
         "same μ and σ every time."),
    Term("eps (ε)", "eps",
         "Noise drawn from N(0, I). It is the only random thing in a VAE's forward pass: "
         "z = μ + σ·ε."),
    Term("reparameterization, rsample", "rsample",
         "Writing a draw from N(μ, σ²) as z = μ + σ·ε, so that gradients flow to μ and σ. "
         "In PyTorch, `Normal(mu, sigma).rsample()` draws this way; `.sample()` cuts the "
         "gradient."),
    Term("q(z|x), the posterior the encoder gives", "q",
         "The Gaussian N(μ(x), σ(x)²) that the encoder puts on the code of x. It approximates "
         "p(z|x)."),
    Term("p(z|x), the true posterior", "p-z-given-x",
         "Which codes could have produced x under the decoder, by Bayes' rule. It has no formula "
         "for a neural decoder; q(z|x) is the encoder's Gaussian guess at it."),
    Term("N(0, I), the prior", "prior",
         "A standard Gaussian over z: mean 0 and spread 1 in every dimension, independent. "
         "Sampling it and decoding is how a VAE generates."),
    Term("KL (Kullback–Leibler divergence)", "kl",
         "How far one distribution is from another, in nats; zero only when they are equal. The "
         "VAE's KL term compares q(z|x) with the prior N(0, I), not μ with σ."),
    Term("nats", "nats",
         "The unit of information with natural logarithms: 1 nat = 1/ln 2 ≈ 1.44 bits."),
    Term("ELBO (evidence lower bound)", "elbo",
         "E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)): reconstruction minus KL. It is never above log "
         "p(x); training maximises it (the pages show −ELBO, a loss, lower is better)."),
    Term("log p(x)", "log-px",
         "How probable the model finds x, with every z accounted for. It cannot be computed "
         "exactly; IWAE estimates it from below. With a Bernoulli likelihood on grey levels "
         "(the shipped runs) it is a score, not a normalised likelihood: compare it between "
         "models here, not with published numbers. A run trained with --binarize (0/1 pixels) "
         "has a true log p(x)."),
    Term("IWAE_k", "iwae",
         "The importance-weighted bound: the log of the mean of k weights p(x, z)/q(z|x) over k "
         "draws of z. ELBO ≤ IWAE_k ≤ log p(x), and it rises towards log p(x) as k grows."),
    Term("bits/dim", "bits-dim",
         "−log p(x) in bits divided by the number of pixel values: a size-free version of the "
         "same score."),
    Term("aggregate posterior", "aggregate",
         "All the test images' q(z|x) together: where the codes of real data lie. Where it "
         "leaves holes in the prior, prior samples decode to things that look like no input."),
    Term("active dims (active units)", "active",
         "Latent dimensions whose μ varies across inputs (variance above 0.01). An inactive "
         "dimension ignores x: its q(z|x) is the prior, and its KL is near zero."),
    Term("PCA (principal component analysis)", "pca",
         "A rotation of the codes that puts the directions along which μ varies most first. "
         "\"PCA of mu\" shows a 16-D code on its two widest directions; distances there are "
         "true distances, flattened."),
    Term("t-SNE", "tsne",
         "A map that places codes that are neighbours in 16-D near each other on a plane. It "
         "keeps who is near whom, not distances or scale: no prior circles belong on it."),
    Term("5-NN accuracy", "knn",
         "How often the 5 nearest training codes of a test image's μ mostly share its class: "
         "a measure of how well the codes keep classes apart (1.0: always)."),
    Term("importance weights", "weights",
         "w = p(x, z) / q(z|x) for a z drawn from q(z|x). Their mean is exactly p(x); the mean "
         "of their logs is the ELBO. Jensen's inequality (a mean of logs is never above the log "
         "of the mean) is why ELBO ≤ log p(x)."),
    Term("Procrustes alignment", "procrustes",
         "Rotating (or flipping) one model's codes to lie as close as possible to another's. A "
         "VAE's loss does not change under a rotation of z, so two models are compared after it."),
    Term("manifold", "manifold",
         "For a 2-D code: the decoder's images on a grid of z, laid out as the grid. It shows "
         "what each region of the plane decodes to."),
    Term("β (beta)", "beta",
         "The weight on the KL term in the training objective. β = 1 is the plain VAE; β = 0 is "
         "an autoencoder with noise; larger β pulls q(z|x) towards the prior, until the code "
         "carries nothing (collapse)."),
)



BY_ANCHOR = {t.anchor: t for t in TERMS}
# the short name a link shows, where the entry's own name is a sentence
SHORT = {"mu-sigma": "μ and σ", "rsample": "rsample", "q": "q(z|x)", "p-z-given-x": "p(z|x)",
         "prior": "N(0, I)", "kl": "KL", "elbo": "ELBO", "eps": "ε", "beta": "β",
         "pca": "PCA", "knn": "5-NN accuracy", "weights": "importance weights",
         "procrustes": "Procrustes"}


def term_link(anchor: str, text: str | None = None) -> str:
    """Markdown: `text` (else the term's short name) linking to its glossary entry."""
    term = BY_ANCHOR[anchor]
    # a query, not a #fragment: Streamlit rewrites the address as the page loads, and a fragment
    # did not survive it; the Glossary page shows the asked term first (pages/glossary.py)
    return f"[{text or SHORT.get(anchor, term.name)}](glossary?term={term.anchor})"


def words_caption(anchors) -> str:
    """A page's line of its words, each linked to the glossary, for a newcomer to look up."""
    return "Words on this page: " + " · ".join(term_link(a) for a in anchors) + "."
