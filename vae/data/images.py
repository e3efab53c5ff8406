"""Your own images: `folder` (one sub-folder per class, the ImageFolder convention) and `npz` (an
.npz with `x` and optional `y` and `class_names`), resized to `image_size` when given, split into
train and test per class with `split_seed` and `test_fraction` (the run records all three).

Everything a user can get wrong is reported at once, in their words, and every size is checked
before the data is read (decompression bombs, huge arrays)."""
from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .dataset import (MAX_VALUES, Dataset, DatasetError, check_data_path, is_regular_file,
                      open_regular, stratified_split)

MAX_IMAGE_SIZE = 128  # the largest side a run trains on (a 3x128x128 MLP input is 49,152 wide)
MAX_SOURCE_SIDE = 4096  # a larger picture is refused before it is decoded (decompression bombs)
MAX_IMAGES = 100_000
MIN_PER_CLASS = 5  # so that each class has images in both train and test
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".pgm",
                  ".ppm", ".pbm")
_SKIPPED = ("__MACOSX", "Thumbs.db", "desktop.ini")


def image_folder(data_dir: str, image_size: int | None, split_seed: int,
                 test_fraction: float) -> Dataset:
    """ImageFolder: root/<class>/<image>, class names from the folder names (sorted), every problem
    found is reported at once (each bad file named, up to a few of each kind)."""
    root = check_data_path(data_dir)
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder. Give a folder with one sub-folder of images "
                           "per class, e.g. cats/001.png, dogs/001.png.")
    entries = [p for p in sorted(root.iterdir()) if not _skipped(p)]
    classes = [p for p in entries if p.is_dir()]
    stray = [p.name for p in entries if not p.is_dir()]
    if len(classes) == 1 and not stray and any(c.is_dir() for c in classes[0].iterdir()):
        return image_folder(str(classes[0]), image_size, split_seed, test_fraction)  # one wrapper
    if stray:
        raise DatasetError(f"{root} holds files at its top ({_some(stray)}); put the images in one "
                           "sub-folder per class (the sub-folder's name is the class name).")
    if len(classes) < 2:
        raise DatasetError(f"{root} has {'one class only' if classes else 'no class folders'}"
                           f"{f' ({classes[0].name})' if classes else ''}: a VAE's pages compare "
                           "classes, so give at least two sub-folders of images.")
    files, labels = [], []
    for label, folder in enumerate(classes):
        check_data_path(folder)  # a class folder may be a link, never into the system's files
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
        with open_regular(path) as fh, Image.open(fh) as im:  # never a FIFO: it would block
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


def user_npz(data_dir: str, image_size: int | None, split_seed: int,
             test_fraction: float) -> Dataset:
    """An .npz with x (N, H, W), (N, H, W, C) or (N, C, H, W), C = 1 or 3, uint8 0-255 or floats
    in [0, 1]; y optional (N,) integers; class_names optional, one string per class."""
    path = check_data_path(data_dir)
    if not is_regular_file(path):
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
    """x, y and class_names from an .npz (see read_npz_checked)."""
    if "x.npy" not in _npz_members(path):
        raise DatasetError(f"{path} holds {_some(sorted(_npz_members(path))) or 'nothing'}, not an "
                           "array named x: save it with np.savez(path, x=images, y=labels).")
    return read_npz_checked(path, ("x", "y", "class_names"))


def _npz_members(path: Path) -> list[str]:
    try:
        with open_regular(path) as fh, zipfile.ZipFile(fh) as zf:
            return [i.filename for i in zf.infolist()]
    except FileNotFoundError:
        raise DatasetError(f"{path} not found.") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DatasetError(f"{path} is not a readable .npz file: {exc}") from exc


# Deflate packs at most about 1,032 bytes into one: a member that says it expands further lies.
MAX_DEFLATE_RATIO = 1100


def read_npz_checked(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays named `keys` that an .npz holds, never a pickle. Each array's shape and type are
    read from its header and checked before its data is read: at most MAX_VALUES values and
    4 * MAX_VALUES bytes, no more than its zip member declares, and a member that declares no
    more than its compressed bytes can expand to. So a small file that declares a huge array is
    refused before anything is allocated."""
    try:
        with open_regular(path) as fh, zipfile.ZipFile(fh) as zf:
            members = {i.filename: i for i in zf.infolist()}
            size = os.fstat(fh.fileno()).st_size
            for key in keys:
                info = members.get(f"{key}.npy")
                if info is None:
                    continue
                limit = (info.compress_size if info.compress_type == zipfile.ZIP_STORED
                         else info.compress_size * MAX_DEFLATE_RATIO)
                if info.compress_size > size or info.file_size > limit:
                    raise DatasetError(f"{path}: {key} declares {info.file_size:,} bytes in "
                                       f"{info.compress_size:,} compressed, more than it can hold: "
                                       "the file is corrupt or made to exhaust memory.")
                with zf.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    read_header = getattr(np.lib.format, "read_array_header_%d_%d" % version, None)
                    if read_header is None:
                        raise DatasetError(f"{path}: {key} is in .npy format {version}, which "
                                           "is not read; save it with numpy's np.savez.")
                    shape, _, dtype = read_header(f)
                    if dtype.hasobject:
                        raise DatasetError(f"{path}: {key} holds Python objects; only numbers "
                                           "and strings are read (never a pickle).")
                    count = np.prod(shape, dtype=np.float64)
                    if count > MAX_VALUES or count * dtype.itemsize > 4 * MAX_VALUES:
                        raise DatasetError(f"{path}: {key} has shape {shape}; that is more than "
                                           f"{MAX_VALUES:,} values.")
                    if count * dtype.itemsize > info.file_size:
                        raise DatasetError(f"{path}: {key} declares shape {shape} ({dtype}), "
                                           f"{int(count * dtype.itemsize):,} bytes, but holds "
                                           f"{info.file_size:,}: the file is truncated or corrupt.")
            fh.seek(0)  # the zip reader moved it
            archive = np.load(fh, allow_pickle=False)
            return {key: archive[key] for key in keys if f"{key}.npy" in members}
    except DatasetError:
        raise
    except FileNotFoundError:
        raise DatasetError(f"{path} not found.") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DatasetError(f"{path} is not a readable .npz file: {exc}") from exc


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

