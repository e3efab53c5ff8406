"""Loading a dataset by name, cached: what the trainer and the dashboard call."""
from __future__ import annotations

import dataclasses
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import builtin, disk_cache
from .dataset import (CUSTOM, DATASETS, SPLIT_SEED, TEST_FRACTION, Dataset, DatasetError,
                      check_data_path)
from .images import MAX_IMAGE_SIZE, image_folder, user_npz


def load_dataset(name: str, data_dir: str | os.PathLike | None = None, *,
                 image_size: int | None = None, split_seed: int | None = None,
                 test_fraction: float | None = None) -> Dataset:
    """Load a registered dataset by name. `data_dir` overrides where its files are looked for.
    image_size, split_seed and test_fraction apply to your own images (`folder`, `npz`)."""
    if name not in DATASETS:
        raise DatasetError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    options = data_options(name, image_size, split_seed, test_fraction)
    if data_dir:
        check_data_path(data_dir)  # before anything looks inside it (a walk, a stamp, a read)
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
        data_dir = os.environ.get(builtin.DIR_VARIABLES.get(name, ""), "") or None
    return _load_cached(name, str(data_dir) if data_dir else None)


def dataset_for(train) -> Dataset:
    """The dataset a run trains on, from its TrainConfig (vae.run) with every data setting; for a
    --binarize run, its test set drawn once as 0/1 pixels (the training set stays grey: the
    trainer draws it afresh each step)."""
    data = load_dataset(train.dataset, train.data_dir,
                        image_size=getattr(train, "image_size", None),
                        split_seed=getattr(train, "split_seed", None),
                        test_fraction=getattr(train, "test_fraction", None))
    return binarized(data) if getattr(train, "binarize", False) else data


BINARIZE_TEST_SEED = 0  # a --binarize run's test set is drawn once, always with this seed


def binarized(data: Dataset) -> Dataset:
    """The dataset with its test images drawn once as Bernoulli(grey level), with a fixed seed,
    so that every evaluation of every --binarize run scores the same 0/1 pixels."""
    rng = np.random.default_rng(BINARIZE_TEST_SEED)
    test_x = (rng.random(data.test_x.shape, dtype=np.float32) < data.test_x).astype(np.float32)
    return dataclasses.replace(data, test_x=test_x)


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


@lru_cache(maxsize=4)
def _load_cached(name: str, data_dir: str | None, options: tuple = (), _stamp: tuple = ()) -> Dataset:
    if name in CUSTOM:
        ds = (image_folder if name == "folder" else user_npz)(data_dir, **dict(options))
    else:
        sources = builtin.sources(name, data_dir)
        key = disk_cache.source_key(name, sources) if sources is not None else None
        ds = disk_cache.read(key) if key is not None else None
        if ds is None:
            loader = {"mnist-5k": builtin.mnist5k, "fashion-mnist": builtin.fashion,
                      "mnist": builtin.mnist, "digits": builtin.digits}[name]
            ds = loader(data_dir)
            if key is not None:
                disk_cache.write(key, ds)
    for arr in (ds.train_x, ds.train_y, ds.test_x, ds.test_y):
        arr.setflags(write=False)  # shared by every caller of the cache
    return ds

