"""The explanation page's engine results, cached (st.cache_data) on the run's folder and its
weights' modification time, so a rerun (a click on "Sample eps") recomputes none of them and a run that is
still training is re-read after each epoch. Inputs are passed as arrays (hashed by Streamlit), so an
image that is not in the test set (a drawing) caches the same way.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ui.cache.runs import encode_test_set, load_model, run_dataset, weights_mtime
from ui.figures import explain as figs
from ui.figures.diagram import vae_diagram_figure
from vae import betas as vb
from vae import explain as ex
from vae.run import RunDir

ACCOUNTING_SAMPLE = 200  # test images in the stratified bound: IWAE at large k is slow


# Figures the page draws on every rerun, kept as specs (plain data): building them with Plotly's
# objects took 110 ms (the diagram) and 50 ms (the scatter) a rerun on the server; a Figure made
# from a whole spec at once takes a fifth of that. Each call makes a Figure of its own, so no two
# sessions share a Plotly object (as ui.cache.runs.cached_posterior_figure).
@st.cache_data(max_entries=16, show_spinner=False)
def _diagram_spec(beta: float) -> dict:
    return vae_diagram_figure(beta).to_plotly_json()


def diagram_figure(beta: float) -> go.Figure:
    """ui.figures.diagram.vae_diagram_figure(beta): the same for every run of a β."""
    return go.Figure(_diagram_spec(float(beta)))


@st.cache_data(max_entries=32, show_spinner=False)
def _full_plane(path: str, mtime: float, dims: tuple[int, int], title: str) -> dict:
    run = RunDir(path)
    enc = encode_test_set(run)
    zero = np.zeros(enc["mu"].shape[1])
    view = figs.full_view(enc["mu"], enc["labels"], run_dataset(run).class_names, dims=dims,
                          mu=zero, sigma=zero, index=enc["index"], title=title)
    view["plane_id"] = f"{path}|{mtime}|{dims[0]},{dims[1]}"  # the component keeps its codes
    return view


def full_view(run: RunDir, mu: np.ndarray, sigma: np.ndarray, dims, *, title: str) -> dict:
    """ui.figures.explain.full_view of the run's test set with one input's q(z|x): the plane (the
    same for every input) kept per weights file and dims, the input's mu and sigma set on a
    shallow copy of it."""
    dims = tuple(map(int, dims))
    view = _full_plane(str(run.path), weights_mtime(run), dims, title)
    a, b = dims
    return {**view, "mu": [float(mu[a]), float(mu[b])], "sigma": [float(sigma[a]), float(sigma[b])]}


@st.cache_data(max_entries=64, show_spinner=False)
def _gradients(path: str, mtime: float, x: np.ndarray, seed: int) -> ex.ReparamGradients:
    return ex.reparameterization_gradients(load_model(RunDir(path)), x, seed=seed)


def gradients(run: RunDir, x: np.ndarray, seed: int = 0) -> ex.ReparamGradients:
    """d(-log p(x|z))/d mu and d sigma for one input, z drawn by sample() and by rsample()."""
    return _gradients(str(run.path), weights_mtime(run), np.asarray(x, np.float32), seed)


@st.cache_data(max_entries=32, show_spinner="Drawing 5,000 z from q(z|x)…")
def _bound_picture(path: str, mtime: float, x: np.ndarray) -> ex.BoundPicture:
    return ex.bound_picture(load_model(RunDir(path)), x, n=5000, seed=0)


def bound_picture(run: RunDir, x: np.ndarray) -> ex.BoundPicture:
    """log w of 5,000 draws from q(z|x) for one input, and IWAE_k from them."""
    return _bound_picture(str(run.path), weights_mtime(run), np.asarray(x, np.float32))


def accounting_sample_indices(run: RunDir) -> np.ndarray:
    """The fixed stratified sample of test images the page's bound averages over."""
    return ex.stratified_sample(run_dataset(run).test_y, ACCOUNTING_SAMPLE, seed=0)


def accounting_for_sample(run: RunDir, k: int) -> tuple[tuple, Callable]:
    """(key, fn) of the bounds over the stratified sample, a job for ui.background: 200 images ×
    (200 + k) decodes take seconds, and half a minute at k = 1000 on a busy machine. The key names
    the run's folder, its weights' mtime and k; the model and images are read here, in the
    script's thread."""
    model = load_model(run)
    x = run_dataset(run).test_x[accounting_sample_indices(run)]
    key = ("accounting", str(run.path), weights_mtime(run), int(k))
    return key, lambda report: ex.accounting(model, x, k=k, samples=200, seed=0, progress=report)


COVERAGE_SAMPLES = 1000


@st.cache_data(max_entries=16, show_spinner=False)
def _coverage(path: str, mtime: float) -> float:
    enc = encode_test_set(RunDir(path))
    return ex.prior_coverage(enc["mu"], enc["std"], n=COVERAGE_SAMPLES, seed=0)


def prior_coverage(run: RunDir) -> float:
    """The share of 1,000 prior samples inside some test image's q(z|x) (central 95%)."""
    return _coverage(str(run.path), weights_mtime(run))


@st.cache_data(max_entries=16, show_spinner=False)
def _aggregate(path: str, mtime: float, grid: np.ndarray) -> np.ndarray:
    enc = encode_test_set(RunDir(path))
    sub = slice(0, 2000)  # 2,000 images draw the density as well as 10,000, five times faster
    return ex.aggregate_posterior(enc["mu"][sub], enc["std"][sub], grid)


def aggregate_posterior(run: RunDir, grid: np.ndarray) -> np.ndarray:
    """(D, len(grid)): the mean of q(z_d|x) over up to 2,000 test images, per dim."""
    return _aggregate(str(run.path), weights_mtime(run), np.asarray(grid, np.float64))


def aggregate_grid(*runs: RunDir) -> np.ndarray:
    """One z grid wide enough for every run's codes (and at least the prior's +-4)."""
    spans = [4.0]
    for r in runs:
        enc = encode_test_set(r)
        spans.append(float(np.percentile(np.abs(enc["mu"][:2000]), 99.5))
                     + 3 * float(np.median(enc["std"][:2000])))
    return np.linspace(-max(spans), max(spans), 301)


@st.cache_data(max_entries=32, show_spinner=False)
def _prior_decodes(path: str, mtime: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return ex.prior_samples(load_model(RunDir(path)), n, seed)


def prior_decodes(run: RunDir, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return _prior_decodes(str(run.path), weights_mtime(run), n, seed)


@st.cache_data(max_entries=32, show_spinner=False)
def _decodes(path: str, mtime: float, z: np.ndarray) -> np.ndarray:
    return ex.decode_images(load_model(RunDir(path)), z)


def decodes(run: RunDir, z: np.ndarray) -> np.ndarray:
    """E[x|z] for each row of z, from the run's decoder."""
    return _decodes(str(run.path), weights_mtime(run), np.asarray(z, np.float32))


@st.cache_data(max_entries=64, show_spinner=False)
def _reconstructions(path: str, mtime: float, x: np.ndarray) -> np.ndarray:
    return ex.reconstruct_mean(load_model(RunDir(path)), x)


def reconstructions(run: RunDir, x: np.ndarray) -> np.ndarray:
    """decode(mu(x)) for images x (N, C, H, W), from the run's model."""
    return _reconstructions(str(run.path), weights_mtime(run), np.asarray(x, np.float32))


@st.cache_data(max_entries=256, show_spinner=False)
def _run_point(path: str, metrics_mtime: float) -> vb.RunPoint | None:
    return vb.run_point(RunDir(path))


def run_points(runs: list[RunDir]) -> list[vb.RunPoint]:
    """Each run's last test epoch as a point (runs without one left out), re-read when its
    metrics.jsonl changes."""
    points = []
    for r in runs:
        try:
            mtime = (r.path / "metrics.jsonl").stat().st_mtime
        except OSError:
            continue
        point = _run_point(str(r.path), mtime)
        if point is not None:
            points.append(point)
    return points


def classes_of(run: RunDir, images: np.ndarray) -> np.ndarray:
    """The dataset's pixel classifier's class (its most probable) for each image (N, ...): what a
    caption may say an image "is", measured instead of assumed."""
    from threadpoolctl import threadpool_limits

    from ui.cache.quality import classifier_for
    images = np.asarray(images, np.float32)
    if len(images) == 0:
        return np.zeros(0, int)
    with threadpool_limits(1):  # one thread: the fit's reason (vae.quality) holds here too
        return classifier_for(run).predict(images.reshape(len(images), -1)).astype(int)


@st.cache_data(max_entries=16, show_spinner="Picking an input whose draws keep its class…")
def _faithful_input(path: str, mtime: float, n_draws: int, seed: int, seed_step: int,
                    candidates: int) -> int:
    from ui.cache.quality import classifier_for
    from vae.quality import all_read_as
    run = RunDir(path)
    model, data = load_model(run), run_dataset(run)
    clf = classifier_for(run)
    for i in range(min(candidates, len(data.test_x))):
        eps = ex.draw_eps(n_draws, model.config.latent_dim, seed=seed + seed_step * i)
        mu, sigma = ex.encode_one(model, data.test_x[i])
        images = ex.decode_images(model, ex.reparameterize(mu, sigma, eps))
        # read as its class with confidence, every one: a decode the classifier calls a 0 by a
        # hair can look like a 6 to a person (the autoencoder's first 0 did)
        if all_read_as(clf, images, int(data.test_y[i])):
            return i
    return 0


def faithful_input(run: RunDir, n_draws: int, seed: int, seed_step: int = 0,
                   candidates: int = 200) -> int:
    """The first test image i all of whose n_draws decodes of z = mu + sigma * eps (eps drawn
    from seed + seed_step * i, as the page draws them) the pixel classifier reads as the image's
    own class with confidence (vae.quality.CONFIDENT); 0 when none of the first `candidates` is
    (the caption then says what the picture shows)."""
    return _faithful_input(str(run.path), weights_mtime(run), int(n_draws), int(seed),
                           int(seed_step), int(candidates))


@st.cache_data(show_spinner=False, max_entries=8)
def pixel_baseline(dataset_key: tuple, _data) -> float:
    """vae.explain.pixel_baseline_neg_log_lik of the run's data, once per dataset."""
    return ex.pixel_baseline_neg_log_lik(_data.train_x, _data.test_x)
