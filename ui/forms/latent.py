"""The Latent space page's sentences that depend on numbers. Pure: no Streamlit."""
from __future__ import annotations

from vae.data import DIGIT_NAMES

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve")


def count_words(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"


def plane_limit(accuracy: float, class_names, n_train: int, k: int,
                wide_name: str | None = None, wide_accuracy: float | None = None) -> str:
    """Why a 2-D latent's classes overlap, with the run's k-NN accuracy of its test mu, and, when
    there is one on the same data, what a wider run's codes score."""
    noun, one = ("digits", "digit") if tuple(class_names) == DIGIT_NAMES else ("classes", "class")
    text = (f"**A 2-D plane cannot keep {count_words(len(class_names))} {noun} apart** when it is "
            f"learnt from {n_train:,} images: for only {accuracy:.0%} of the test images do most of "
            f"their {k} nearest training codes show the same {one} ({k}-NN accuracy of the test "
            "mu), so the clusters below overlap.")
    if wide_name is not None and wide_accuracy is not None:
        text += (f" The 16-D run **{wide_name}**, trained on the same images, reaches "
                 f"{wide_accuracy:.0%}: open it to see its codes, mapped by PCA or t-SNE.")
    return text


TSNE_NOTE = (
    "**t-SNE** places the test codes so that codes that are neighbours in the full latent space "
    "stay neighbours on this map: which points lie together is kept. It distorts the rest: the "
    "distances between clusters, their sizes and spreads, and the scale of the prior N(0, I) mean "
    "nothing here, so the map has no prior circles, no sigma ellipses and no units on its axes.")
