"""The built-in datasets, parsed once and kept on disk as plain arrays.

Parsing MNIST 5k's CSV (pandas' import included) takes 0.6 s, Fashion-MNIST's IDX files 1.6 s and
scikit-learn's digits 2.5 s (its import), in every process that loads them: the dashboard's
server, each trainer it starts, each test. The arrays, once split, are kept as .npy files (never
pickles: nothing in the cache is ever run as code) and mapped read-only, so a later process reads
them in milliseconds and the server and its trainers share one copy in memory.

An entry is keyed on what it was read from (each source file's path, size and modification time)
and this format's version, so a replaced source file is read afresh. A cache that cannot be
written (a read-only home) or read (a damaged entry) is passed over: the dataset is parsed as
before. `VAE_CACHE_DIR` moves the cache; `VAE_CACHE_DIR=off` turns it off.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .dataset import Dataset

FORMAT = 1
ARRAYS = ("train_x", "train_y", "test_x", "test_y")


def cache_root() -> Path | None:
    """Where cached datasets live, or None when the cache is off."""
    chosen = os.environ.get("VAE_CACHE_DIR", "")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vae-dashboard"


def source_key(name: str, sources: list[Path]) -> str | None:
    """The entry's name for `name` read from `sources`, or None when a source cannot be stat'ed
    (the loader will say what is wrong)."""
    parts = [name, str(FORMAT)]
    try:
        for path in sources:
            st = os.stat(path)
            parts += [str(Path(path).resolve()), str(st.st_size), str(st.st_mtime_ns)]
    except OSError:
        return None
    return f"{name}-{hashlib.sha256(chr(0).join(parts).encode()).hexdigest()[:20]}"


def read(key: str) -> Dataset | None:
    """The cached dataset, or None when there is none or it does not read back whole."""
    root = cache_root()
    if root is None:
        return None
    entry = root / "data" / key
    try:
        meta = json.loads((entry / "meta.json").read_text())
        # mapped read-only, seen as plain arrays (np.asarray: not np.memmap, which hashers and
        # type checks treat as another type)
        arrays = {a: np.asarray(np.load(entry / f"{a}.npy", mmap_mode="r", allow_pickle=False))
                  for a in ARRAYS}
        shapes_agree = (
            meta.get("format") == FORMAT
            and all(list(arrays[a].shape) == meta["shapes"][a] for a in ARRAYS)
            and all(arrays[a].dtype == np.dtype(meta["dtypes"][a]) for a in ARRAYS))
        if not shapes_agree:
            return None
        return Dataset(meta["name"], arrays["train_x"], arrays["train_y"], arrays["test_x"],
                       arrays["test_y"], tuple(meta["class_names"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(key: str, ds: Dataset) -> None:
    """Keep `ds` under `key`: written to a scratch folder and renamed into place, so a reader
    never sees half an entry; two processes writing the same entry leave one whole."""
    root = cache_root()
    if root is None:
        return
    folder = root / "data"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=folder))
    except OSError:
        return  # a read-only home: the dataset is parsed each time, as without a cache
    try:
        arrays = {a: np.ascontiguousarray(getattr(ds, a)) for a in ARRAYS}
        for a, arr in arrays.items():
            np.save(scratch / f"{a}.npy", arr, allow_pickle=False)
        (scratch / "meta.json").write_text(json.dumps({
            "format": FORMAT, "name": ds.name, "class_names": list(ds.class_names),
            "shapes": {a: list(arr.shape) for a, arr in arrays.items()},
            "dtypes": {a: arr.dtype.str for a, arr in arrays.items()}}))
        scratch.rename(folder / key)
    except OSError:  # a full disk, or another process renamed its whole entry first
        _remove(scratch)


def _remove(folder: Path) -> None:
    try:
        for f in folder.iterdir():
            f.unlink(missing_ok=True)
        folder.rmdir()
    except OSError:
        pass
