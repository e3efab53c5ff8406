"""Cached access to vae.quality for pages: one classifier fit per dataset, scores per run."""
from __future__ import annotations

import numpy as np
import streamlit as st

from ui.cache.runs import load_model, run_dataset, weights_mtime
from vae import quality as vq
from vae.run import RunDir


@st.cache_resource(max_entries=4, show_spinner="Fitting the pixel classifier (once per dataset)…")
def _classifier(dataset: str, data_dir: str | None, _data):
    return vq.fit_pixel_classifier(_data)


def classifier_for(run: RunDir):
    """The dataset's pixel classifier (vae.quality.fit_pixel_classifier), fitted once per server."""
    _, train_cfg = run.read_config()
    return _classifier(train_cfg.dataset, train_cfg.data_dir, run_dataset(run))


@st.cache_data(max_entries=32, show_spinner=False)
def _prior_share(path: str, mtime: float, n: int, seed: int) -> float:
    run = RunDir(path)
    return vq.prior_sample_quality(load_model(run), classifier_for(run), n, seed).share


def prior_share(run: RunDir, n: int = 1000, seed: int = vq.SEED) -> float:
    """The share of n decoded N(0, I) samples the classifier recognises with confidence >= 0.9."""
    return _prior_share(str(run.path), weights_mtime(run), n, seed)


@st.cache_data(max_entries=4, show_spinner=False)
def _real_share(dataset: str, data_dir: str | None, _run_path: str) -> float:
    run = RunDir(_run_path)
    return vq.confident_share(classifier_for(run), run_dataset(run).test_x)


def real_share(run: RunDir) -> float:
    """The same share on the dataset's real test images: the ceiling for decoded samples."""
    _, train_cfg = run.read_config()
    return _real_share(train_cfg.dataset, train_cfg.data_dir, str(run.path))


@st.cache_data(max_entries=8, show_spinner="Measuring where the draws differ…")
def _test_spread(path: str, mtime: float, n_draws: int, seed: int) -> np.ndarray:
    run = RunDir(path)
    return vq.draw_spread(load_model(run), run_dataset(run).test_x, n_draws, seed)


def test_spread(run: RunDir, n_draws: int, seed: int) -> np.ndarray:
    """Per-pixel std over n_draws decodes of z ~ q(z|x) for every test image, (N, H, W)."""
    return _test_spread(str(run.path), weights_mtime(run), int(n_draws), int(seed))
