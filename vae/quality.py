"""Is a decoded image a recognisable digit? A plain pixel classifier's confident share.

"Prior samples of an autoencoder decode to garbage" is a claim about pictures; this makes it a
number a viewer can check: fit a simple classifier (multinomial logistic regression on the pixels'
first 20 principal components, fewer for a small set; fixed seed) to the training images, decode
N(0, I) samples with a model, and count the share the classifier gives one class with probability
>= `threshold`. Real
test images set the ceiling, well below 100%: a linear classifier is rarely that sure.
Never imports streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from threadpoolctl import threadpool_limits

from .data import Dataset
from .explain import prior_samples
from .model import VAE

CONFIDENT = 0.9  # "recognised": one class gets at least this probability
MAX_FIT_IMAGES = 10_000  # enough for a stable fit; a whole large set would keep a page waiting
N_COMPONENTS = 20  # logistic regression on the raw pixels takes far longer and is no surer
SEED = 0


def fit_pixel_classifier(data: Dataset, seed: int = SEED,
                         max_images: int = MAX_FIT_IMAGES) -> Pipeline:
    """PCA + logistic regression on the training images' pixels (a fixed subset when large)."""
    x, y = data.train_x, data.train_y
    if len(x) > max_images:
        keep = np.sort(np.random.default_rng(seed).choice(len(x), max_images, replace=False))
        x, y = x[keep], y[keep]
    x = x.reshape(len(x), -1)
    # a small image folder has fewer images (or pixels) than N_COMPONENTS: PCA can keep at most
    # one component fewer than there are images, and no more than there are pixels
    components = max(1, min(N_COMPONENTS, len(x) - 1, x.shape[1]))
    clf = make_pipeline(PCA(components, random_state=seed),
                        LogisticRegression(max_iter=1000, random_state=seed))
    # One BLAS thread: on a loaded machine the default threads spin-wait for each other and the
    # fit takes minutes instead of about a second
    with threadpool_limits(1):
        return clf.fit(x, y)


def class_probabilities(clf: Pipeline, images: np.ndarray) -> np.ndarray:
    """(N, classes) probabilities of images (N, H, W) or (N, 1, H, W), on one BLAS thread (the
    fit's reason holds here too); columns in the order of clf.classes_."""
    images = np.asarray(images, np.float32)
    with threadpool_limits(1):
        return clf.predict_proba(images.reshape(len(images), -1))


def confident_share(clf: Pipeline, images: np.ndarray,
                    threshold: float = CONFIDENT) -> float:
    """The share of images (N, H, W) or (N, 1, H, W) whose top class probability is >= threshold."""
    if len(images) == 0:
        return float("nan")
    return float((class_probabilities(clf, images).max(1) >= threshold).mean())


def all_read_as(clf: Pipeline, images: np.ndarray, cls: int,
                threshold: float = CONFIDENT) -> bool:
    """Whether the classifier gives every image class `cls` with probability >= threshold."""
    classes = list(clf.classes_)
    if cls not in classes:
        return False
    return bool((class_probabilities(clf, images)[:, classes.index(cls)] >= threshold).all())


@dataclass(frozen=True)
class PriorQuality:
    share: float  # of n decoded prior samples recognised with confidence >= threshold
    n: int
    threshold: float
    seed: int


def prior_sample_quality(model: VAE, clf: Pipeline, n: int = 1000, seed: int = SEED,
                         threshold: float = CONFIDENT) -> PriorQuality:
    """Decode n codes z ~ N(0, I) (seeded) and score them with the pixel classifier."""
    _, images = prior_samples(model, n, seed)
    share = confident_share(clf, images, threshold)
    return PriorQuality(share, int(n), float(threshold), int(seed))


@torch.no_grad()
def draw_spread(model: VAE, x: np.ndarray, n_draws: int, seed: int,
                batch: int = 500) -> np.ndarray:
    """Per-pixel standard deviation over n_draws decodes of z = mu + sigma * eps, (N, H, W).

    Zero where every draw decodes to the same pixel: there sigma does not matter. Reproducible from
    the seed for the same images and batch size."""
    x = np.asarray(x, np.float32).reshape(-1, *model.config.image_shape)
    out = []
    for start in range(0, len(x), batch):
        xt = torch.from_numpy(x[start:start + batch].copy())
        q = model.encode(xt)
        g = torch.Generator().manual_seed(int(seed) + start)
        z = q.sample(max(2, int(n_draws)), generator=g)  # (S, B, D)
        images = model.decode_mean(z.reshape(-1, z.shape[-1])).reshape(
            z.shape[0], len(xt), *model.config.image_shape)
        out.append(images.std(0, unbiased=False)[:, 0].numpy())
    return np.concatenate(out) if out else np.zeros((0, *model.config.image_shape[1:]), np.float32)
