"""Numbers derived from a run's weights, kept on disk so that a server started later finds them.

The dashboard's first page encodes the test set (which needs PyTorch: a second to import on a busy
machine), measures how well a 2-D run's codes keep the classes apart (a 5-NN classifier:
importing scikit-learn alone takes 1.4 s) and draws every test image's posterior (its density
0.4 s). Those depend only on the weights, the data and the code that computes them, so they are
kept as JSON under the cache folder of vae.data.disk_cache, in `derived/`, keyed on:
- the weights file's content (SHA-256, so a copied run folder finds them and a changed one
  does not),
- whatever else the caller names (the dataset's key, the figure's options),
- for a figure or an encoding, the source of the code that computes it (`code_digest`), so a
  new version of the dashboard never shows an old picture or old codes.

Only JSON is read back (never a pickle: nothing here is ever run as code), and the whole key is
stored in the entry and compared on reading. An entry that cannot be written, read or parsed is
passed over and the value computed as before.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from vae.data.disk_cache import cache_root

# The kind of entry holding a run's test set encoded (ui.cache.runs), tagged with its weights'
# digest: a server's warm-up asks kept() whether the first page will need PyTorch.
TEST_ENCODING = "test-encoding"
MAX_ENTRY_BYTES = 8_000_000  # a figure of 10,000 points is about 0.5 MB
MAX_ENTRIES = 256  # a run watched while it trains adds a figure per epoch: the oldest go


def file_digest(path: str | os.PathLike) -> str | None:
    """SHA-256 of a file's bytes, or None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def code_digest(*paths: str | os.PathLike) -> str:
    """SHA-256 over the source files (or every .py file under the folders) given."""
    digest = hashlib.sha256()
    for path in paths:
        path = Path(path)
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            digest.update(str(f.name).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()


def _entry(kind: str, key: dict, tag: str | None = None) -> tuple[Path, str] | None:
    root = cache_root()
    if root is None:
        return None
    text = json.dumps(key, sort_keys=True, default=repr)
    name = f"{kind}-{_tag(tag)}{hashlib.sha256(text.encode()).hexdigest()[:24]}.json"
    return root / "derived" / name, text


def _tag(tag: str | None) -> str:
    """A tag in an entry's file name (`kept` finds entries by it): 16 hex digits, or nothing."""
    return f"{str(tag)[:16]}-" if tag and all(c in "0123456789abcdef" for c in str(tag)[:16]) else ""


def kept(kind: str, tag: str) -> bool:
    """Whether some entry of `kind` was written with `tag` (a weights file's digest, say), without
    computing its key: a guess, for deciding what to load ahead; read() still checks the key."""
    root = cache_root()
    if root is None or not _tag(tag):
        return False
    try:
        return any((root / "derived").glob(f"{kind}-{_tag(tag)}*.json"))
    except OSError:
        return False


def read(kind: str, key: dict, tag: str | None = None):
    """The value kept for (kind, key) (written with this tag), or None."""
    found = _entry(kind, key, tag)
    if found is None:
        return None
    path, text = found
    try:
        if path.stat().st_size > MAX_ENTRY_BYTES:
            return None
        entry = json.loads(path.read_text())
        return entry["value"] if entry.get("key") == text else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write(kind: str, key: dict, value, tag: str | None = None) -> None:
    """Keep `value` (anything json.dumps takes) for (kind, key): written whole or not at all.
    A tag goes into the file's name, for kept()."""
    found = _entry(kind, key, tag)
    if found is None:
        return
    path, text = found
    try:
        data = json.dumps({"key": text, "value": value})
    except (TypeError, ValueError):
        return
    if len(data) > MAX_ENTRY_BYTES:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, scratch = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(data)
            os.replace(scratch, path)
        except OSError:
            Path(scratch).unlink(missing_ok=True)
        _prune(path.parent)
    except OSError:
        pass  # a read-only or full disk: computed each time, as without the cache


def _prune(folder: Path) -> None:
    """Keep the MAX_ENTRIES most recently written entries."""
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns
                     if p.exists() else 0)
    for old in entries[:-MAX_ENTRIES]:
        old.unlink(missing_ok=True)
