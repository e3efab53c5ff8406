"""File formats of the built-in sets: LeCun's IDX files (MNIST, Fashion-MNIST), gzipped or not."""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from .dataset import MAX_VALUES, Dataset, DatasetError, open_regular

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (LeCun's MNIST format), gzipped or not, checking it as it goes: a regular
    file only, and the size its header declares checked against MAX_VALUES before the data is
    read, so a small gzip that expands to gigabytes is refused unread."""
    path = Path(path)
    try:
        fh = open_regular(path)
    except FileNotFoundError:
        raise DatasetError(f"{path} not found.") from None
    try:
        with fh, (gzip.GzipFile(fileobj=fh, mode="rb") if path.suffix == ".gz" else fh) as f:
            head = f.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_DTYPES:
                raise DatasetError(f"{path}: bad magic number {head.hex() or '(empty file)'}; an "
                                   "IDX file starts with 00 00, a type byte (08 for ubyte) and a "
                                   "rank.")
            dtype, rank = np.dtype(_IDX_DTYPES[head[2]]), head[3]
            dims = f.read(4 * rank)
            if len(dims) < 4 * rank:
                raise DatasetError(f"{path} is truncated inside its header.")
            shape = struct.unpack(f">{rank}I", dims)
            count = int(np.prod(shape, dtype=np.float64))
            if count > MAX_VALUES:
                raise DatasetError(f"{path}: its header declares shape {shape}, {count:,} values; "
                                   f"at most {MAX_VALUES:,} are read.")
            expected = count * dtype.itemsize
            raw = f.read(expected + 1)
    except DatasetError:
        raise
    except (OSError, EOFError, zlib.error) as exc:  # a truncated, corrupt or non-gzip file
        raise DatasetError(f"{path} is not a readable gzip file ({exc}).") from exc
    if len(raw) != expected:
        raise DatasetError(f"{path} is truncated or padded: its header says shape {shape} "
                           f"({expected} bytes of data) but it holds "
                           f"{'more' if len(raw) > expected else len(raw)}.")
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def idx_dataset(name: str, root: Path, class_names: tuple[str, ...]) -> Dataset:
    """The four IDX files of an MNIST-style set (train-/t10k- images and labels) as a Dataset."""
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
        parts[split] = (to_unit(images), labels.astype(np.int64))
    return Dataset(name, *parts["train"], *parts["test"], class_names)



def to_unit(images: np.ndarray) -> np.ndarray:
    """(N, H, W) 0-255 pixels as (N, 1, H, W) float32 in [0, 1]."""
    return (images.astype(np.float32) / 255.0)[:, None, :, :]
