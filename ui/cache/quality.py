"""Cached access to vae.quality for pages: one classifier fit per dataset, scores per run."""
from __future__ import annotations

import numpy as np
import streamlit as st

from ui.cache.runs import dataset_key, load_model, run_dataset, weights_mtime
from vae import quality as vq
from vae.run import RunDir


@st.cache_resource(max_entries=4, show_spinner="Fitting the pixel classifier (once per dataset)…")
def _classifier(key: tuple, image_shape: tuple, _data):
    return vq.fit_pixel_classifier(_data)


def classifier_for(run: RunDir):
    """The dataset's pixel classifier (vae.quality.fit_pixel_classifier), fitted once per server
    for each dataset as the run reads it: one image folder at two sizes, or split two ways, gets
    two classifiers."""
    data = run_dataset(run)
    return _classifier(dataset_key(run), tuple(data.image_shape), data)


@st.cache_data(max_entries=32, show_spinner=False)
def _prior_share(path: str, mtime: float, n: int, seed: int) -> float:
    run = RunDir(path)
    return vq.prior_sample_quality(load_model(run), classifier_for(run), n, seed).share


def prior_share(run: RunDir, n: int = 1000, seed: int = vq.SEED) -> float:
    """The share of n decoded N(0, I) samples the classifier recognises with confidence >= 0.9."""
    return _prior_share(str(run.path), weights_mtime(run), n, seed)


@st.cache_data(max_entries=4, show_spinner=False)
def _real_share(key: tuple, image_shape: tuple, _run_path: str) -> float:
    run = RunDir(_run_path)
    return vq.confident_share(classifier_for(run), run_dataset(run).test_x)


def real_share(run: RunDir) -> float:
    """The same share on the dataset's real test images: the ceiling for decoded samples."""
    return _real_share(dataset_key(run), tuple(run_dataset(run).image_shape), str(run.path))


@st.cache_data(max_entries=8, show_spinner="Measuring where the draws differ…")
def _test_spread(path: str, mtime: float, data_key: tuple, n_draws: int, seed: int) -> np.ndarray:
    run = RunDir(path)
    return vq.draw_spread(load_model(run), run_dataset(run).test_x, n_draws, seed)


def test_spread(run: RunDir, n_draws: int, seed: int) -> np.ndarray:
    """Per-pixel std over n_draws decodes of z ~ q(z|x) for every test image, (N, H, W)."""
    return _test_spread(str(run.path), weights_mtime(run), dataset_key(run), int(n_draws), int(seed))
