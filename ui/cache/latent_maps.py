"""How well a run's codes keep the classes apart, and a t-SNE map of them, cached per weights file.

The sums are pure (knn_accuracy, tsne_map); the st.cache_data wrappers key them on the run's
folder, its weights file's modification time and its dataset's key, so a run that trains is
re-measured after each epoch and a finished one is measured once.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from ui.cache.runs import all_runs, dataset_key, encode_test_set, load_model, run_dataset, weights_mtime
from vae import derived
from vae.run import RunDir, RunError

K_NEIGHBOURS = 5
TSNE_MAX_POINTS = 3000  # t-SNE's cost grows faster than linearly: seconds for 1,000 codes on a CPU
TSNE_SEED = 0
WIDE_RUN = "mnist5k-16d-beta1"  # the shipped run whose 16-D codes keep the ten digits apart


def knn_accuracy(train_mu, train_y, test_mu, test_y, k: int = K_NEIGHBOURS) -> float:
    """The share of test codes whose k nearest training codes (majority vote) have their class."""
    from sklearn.neighbors import KNeighborsClassifier
    return float(KNeighborsClassifier(n_neighbors=k).fit(train_mu, train_y).score(test_mu, test_y))


def tsne_map(mu: np.ndarray, seed: int = TSNE_SEED) -> np.ndarray:
    """A 2-D t-SNE embedding (N, 2) of the codes mu (N, D), the same for the same seed."""
    from sklearn.manifold import TSNE
    mu = np.asarray(mu, dtype=np.float64)
    perplexity = min(30.0, max(2.0, (len(mu) - 1) / 3))  # t-SNE needs perplexity < N
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(
        mu).astype(np.float32)


@st.cache_data(max_entries=16, show_spinner=False)
def _knn(path: str, mtime: float, data_key: tuple) -> float:
    run = RunDir(path)
    # kept on disk too (vae.derived), keyed on the weights' content: a server started later
    # neither encodes the training set nor imports scikit-learn (1.4 s) to say it again
    key = {"weights": derived.file_digest(run.weights_file), "data": data_key,
           "k": K_NEIGHBOURS}
    kept = derived.read("knn-accuracy", key) if key["weights"] is not None else None
    if isinstance(kept, float) and 0.0 <= kept <= 1.0:
        return kept
    import torch  # only when no accuracy is kept: the first page draws without PyTorch

    model = load_model(run)
    data = run_dataset(run)
    with torch.no_grad():
        train_mu = torch.cat([model.encode(torch.from_numpy(data.train_x[i:i + 2000].copy())).mu
                              for i in range(0, len(data.train_x), 2000)]).numpy()
    test = encode_test_set(run, max_points=len(data.test_x))
    accuracy = knn_accuracy(train_mu, data.train_y, test["mu"], test["labels"])
    if key["weights"] is not None:
        derived.write("knn-accuracy", key, accuracy)
    return accuracy


def run_knn_accuracy(run: RunDir) -> float:
    """The 5-NN accuracy of the run's test mu, neighbours from its training mu."""
    return _knn(str(run.path), weights_mtime(run), dataset_key(run))


@st.cache_data(max_entries=8, show_spinner=False)
def _tsne(path: str, mtime: float, data_key: tuple, n: int) -> np.ndarray:
    enc = encode_test_set(RunDir(path))
    return tsne_map(enc["mu"][:n])


def run_tsne(run: RunDir, n: int) -> np.ndarray:
    """The t-SNE map of the run's first n test codes (n at most TSNE_MAX_POINTS)."""
    return _tsne(str(run.path), weights_mtime(run), dataset_key(run), min(n, TSNE_MAX_POINTS))


def wide_run_for(run: RunDir) -> RunDir | None:
    """The shipped 16-D run to offer beside a 2-D one, when it exists, has weights and was trained
    on the same data (the same dataset key): otherwise its accuracy would compare nothing."""
    other = next((r for r in all_runs() if r.name == WIDE_RUN and r.name != run.name), None)
    if other is None or not other.weights_file.exists():
        return None
    try:
        return other if dataset_key(other) == dataset_key(run) else None
    except RunError:
        return None
