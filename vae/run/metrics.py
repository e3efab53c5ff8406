"""metrics.jsonl: a line per logged step and per epoch, appended by the trainer, read by everyone.

Every line is validated before a page sees it; parsed rows are cached per file content, since pages
reread the log on every rerun and it changes only while a run trains.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import threading
import time
from collections import OrderedDict

from ..model_config import _is_int, _is_real
from .files import MAX_METRICS_BYTES, RunError

MAX_LINE_BYTES = 1 << 16
REQUIRED_METRICS = {"step": ("train/recon", "train/kl", "train/neg_elbo"),
                    "epoch": ("test/recon", "test/kl", "test/neg_elbo")}

# Parsed rows keyed by the file's content (a hash) and the latent size they were checked against:
# validating every line is most of what the sidebar and the runs table cost on each rerun, and the
# files change only while a run trains. Least recently used first out, bounded by the bytes of the
# files behind the entries (the rows take about as much), so a server that has shown many runs
# holds a bounded amount, never the raw bytes of every file it has read.
_PARSED_METRICS: OrderedDict[tuple[bytes, int | None], tuple[list[dict], int, int]] = OrderedDict()
MAX_PARSED_METRICS = 256  # entries
MAX_PARSED_METRICS_BYTES = 64 << 20  # the sum of the cached files' sizes
_PARSED_METRICS_LOCK = threading.Lock()
# Which content a file had when its (path, inode, size, mtime, ctime) were these: a page's rerun
# finds an unchanged file by one lstat, without reading and hashing it again. Any write changes
# size, mtime or ctime, so a changed file is read again.
_CONTENT_BY_STAT: OrderedDict[tuple, tuple[bytes, int | None]] = OrderedDict()
RACY_NS = 2_000_000_000  # a file written this recently is read, whatever its stat says

MAX_STEP = 10**9  # a step or epoch past this is no run the trainer wrote (10,000 epochs at most)
MAX_METRIC = 1e12  # |value| of any logged number; nats per image and samples/s are far below
KL_SLACK = 1e-4  # a KL is >= 0; float32 rounding of a collapsed unit can go just below
MAX_LATENT = 64  # VAEConfig's largest latent_dim, when config.json cannot say


class MetricsLog:
    """Reading and appending metrics.jsonl; part of RunDir (uses RunFiles' checked reads)."""

    def read_metrics(self) -> list[dict]:
        """The valid rows of metrics.jsonl (see read_metrics_checked)."""
        return self.read_metrics_checked()[0]

    def read_metrics_checked(self) -> tuple[list[dict], int]:
        """(rows, number of bad lines skipped). A line is skipped unless it is a JSON object with
        kind "step" or "epoch" that fits the schema the trainer writes (METRIC_SCHEMA): a whole
        step in [0, 10**9], a whole epoch in [1, 10**9], the train (step) or test (epoch) recon,
        KL and -ELBO, finite numbers in range (KLs >= 0, active units within the latent size,
        kl_per_dim one finite value per latent dimension), no nulls. A half-written last line is
        skipped but not counted (the trainer may be writing it). Rows a crashed session wrote past
        the point a resume went on from are dropped (the resumed session wrote them again), so each
        step and epoch appears once."""
        rows, bad = self._parsed_metrics()
        return [dict(r) for r in rows], bad  # copies: a caller may change its rows

    def metrics_bad_lines(self) -> int:
        """How many lines read_metrics_checked skips, without copying the rows."""
        return self._parsed_metrics()[1]

    def _parsed_metrics(self) -> tuple[list[dict], int]:
        """The cached (rows, bad lines): by the file's stat when it is unchanged, else by its
        content, else parsed now."""
        latent_dim = self._latent_dim()
        signature = self._metrics_stat(latent_dim)
        if signature is not None:
            with _PARSED_METRICS_LOCK:
                key = _CONTENT_BY_STAT.get(signature)
                cached = _PARSED_METRICS.get(key) if key is not None else None
                if cached is not None:
                    _PARSED_METRICS.move_to_end(key)
            if cached is not None:
                return cached[0], cached[1]
        try:
            data = self.read_bytes(self.metrics_file, MAX_METRICS_BYTES)
        except FileNotFoundError:
            return [], 0
        except RunError:
            return [], 1
        key = (hashlib.blake2b(data, digest_size=20).digest(), latent_dim)
        with _PARSED_METRICS_LOCK:  # Streamlit runs sessions' scripts in threads
            cached = _PARSED_METRICS.get(key)
            if cached is not None:
                _PARSED_METRICS.move_to_end(key)
        if cached is None:  # parsed once per content: pages reread every run
            cached = (*self._parse_metrics(data, latent_dim), len(data))
            _remember(key, cached)
        if signature is not None and len(data) == signature[1]:  # not appended to meanwhile
            with _PARSED_METRICS_LOCK:
                _CONTENT_BY_STAT[signature] = key
                while len(_CONTENT_BY_STAT) > MAX_PARSED_METRICS:
                    _CONTENT_BY_STAT.popitem(last=False)
        return cached[0], cached[1]

    def _metrics_stat(self, latent_dim: int | None) -> tuple | None:
        """(path, inode, size, mtime, ctime, latent size) of a regular metrics file; None for
        anything else (missing, a link, a folder), which the checked read then reports."""
        try:
            info = os.lstat(self.inside(self.metrics_file))
        except (OSError, RunError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) < RACY_NS:
            return None  # written just now: a second write in the same clock tick would look alike
        return (str(self.metrics_file), info.st_size, info.st_ino, info.st_mtime_ns,
                info.st_ctime_ns, latent_dim)

    def _latent_dim(self) -> int | None:
        """config.json's latent size, which kl_per_dim and active_units are checked against; None
        when config.json cannot say (its own problem is reported apart)."""
        try:
            d = self.read_raw_config()["model"].get("latent_dim")
        except (RunError, FileNotFoundError):
            return None
        return d if _is_int(d) and 1 <= d <= MAX_LATENT else None

    @staticmethod
    def _parse_metrics(data: bytes, latent_dim: int | None = None) -> tuple[list[dict], int]:
        rows: list[dict] = []
        bad = 0
        lines = data.split(b"\n")
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            row = _metric_row(line, latent_dim)
            if row is None:
                bad += i < len(lines) - 1  # an unended last line may be being written: not damage
                continue
            key = (row["step"], row["kind"] == "epoch")
            if rows and key <= (rows[-1]["step"], rows[-1]["kind"] == "epoch"):
                # a resume went back to this point: what a crashed session wrote after it is stale
                while rows and (rows[-1]["step"], rows[-1]["kind"] == "epoch") >= key:
                    rows.pop()
            rows.append(row)
        return rows, bad

    def open_metrics(self, resume_step: int | None = None):
        """metrics.jsonl opened for appending, never through a link. With resume_step, lines that a
        killed session logged after that step are cut off first; a torn last line is ended."""
        self.inside(self.metrics_file)
        try:
            fd = os.open(self.metrics_file, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o644)
        except OSError as exc:
            raise RunError(f"{self.metrics_file} cannot be written: {exc.strerror}"
                           + (" (it is a symbolic link; links are refused)" if exc.errno == errno.ELOOP
                              else "") + ".") from exc
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise RunError(f"{self.metrics_file} is not a regular file.")
            if resume_step is not None:
                data = os.pread(fd, os.fstat(fd).st_size, 0)
                offset = 0
                for line in data.split(b"\n"):
                    if _line_step(line) > resume_step:
                        os.ftruncate(fd, offset)
                        break
                    offset += len(line) + 1
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":  # the last line was torn by a kill
                tail_start = os.pread(fd, size, 0).rfind(b"\n") + 1
                if _metric_row(os.pread(fd, size - tail_start, tail_start),
                               self._latent_dim()) is None:
                    os.ftruncate(fd, tail_start)  # half a line: cut, not glued to the next one
                else:
                    os.pwrite(fd, b"\n", size)
            os.lseek(fd, 0, os.SEEK_END)
            return os.fdopen(fd, "a", encoding="utf-8")
        except BaseException:
            os.close(fd)
            raise


def _remember(key, entry) -> None:
    with _PARSED_METRICS_LOCK:
        if entry[2] > MAX_PARSED_METRICS_BYTES:
            return  # one file past the whole budget: parsed each time, never held
        _PARSED_METRICS.pop(key, None)
        _PARSED_METRICS[key] = entry
        total = sum(e[2] for e in _PARSED_METRICS.values())
        while len(_PARSED_METRICS) > MAX_PARSED_METRICS or total > MAX_PARSED_METRICS_BYTES:
            _, dropped = _PARSED_METRICS.popitem(last=False)
            total -= dropped[2]


def parsed_metrics_cache() -> tuple[int, int]:
    """(entries, bytes of the files behind them) of the parsed-metrics cache: for its tests."""
    with _PARSED_METRICS_LOCK:
        return len(_PARSED_METRICS), sum(e[2] for e in _PARSED_METRICS.values())


def _whole(lo: int, hi: int):
    return lambda v, d: _is_int(v) and lo <= v <= hi


def _real(lo: float = -MAX_METRIC, hi: float = MAX_METRIC):
    return lambda v, d: _is_real(v) and lo <= v <= hi


def _active_units(v, d) -> bool:
    return _is_int(v) and 0 <= v <= (d or MAX_LATENT)


def _kl_per_dim(v, d) -> bool:
    return (isinstance(v, list) and (len(v) == d if d else 1 <= len(v) <= MAX_LATENT)
            and all(_is_real(x) and -KL_SLACK <= x <= MAX_METRIC for x in v))


# What each key the trainer writes may hold: (value, latent_dim or None) -> ok. Pages read these
# keys without asking, so a line with any of them out of kind or range is skipped whole.
METRIC_SCHEMA = {
    "step": _whole(0, MAX_STEP), "epoch": _whole(1, MAX_STEP),
    "time": _real(0), "epoch_time": _real(0), "samples_per_s": _real(0), "beta": _real(0),
    "train/recon": _real(), "train/kl": _real(-KL_SLACK), "train/neg_elbo": _real(),
    "test/recon": _real(), "test/kl": _real(-KL_SLACK), "test/neg_elbo": _real(),
    "test/bits_per_dim": _real(), "test/active_units": _active_units,
    "test/images": _whole(1, MAX_STEP), "test/kl_per_dim": _kl_per_dim,
}


def _metric_row(line: bytes, latent_dim: int | None = None) -> dict | None:
    """A metrics.jsonl line as a row, or None when it does not fit METRIC_SCHEMA."""
    if len(line) > MAX_LINE_BYTES or not line.strip():
        return None
    try:
        row = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(row, dict) or row.get("kind") not in ("step", "epoch"):
        return None
    if any(key not in row for key in ("step", "epoch", *REQUIRED_METRICS[row["kind"]])):
        return None  # the trainer writes these on every row; pages read them without asking
    for key, value in row.items():
        if key == "kind":
            continue
        check = METRIC_SCHEMA.get(key)
        if check is not None:
            if not check(value, latent_dim):
                return None
        elif not (_real()(value, None) or (isinstance(value, list) and len(value) <= 4096
                                           and all(_real()(v, None) for v in value))):
            return None  # a key of another tool: finite numbers in range only, never text or null
    return row


def _line_step(line: bytes) -> int:
    """The step a metrics line names, or -1: where a resume cuts off what a killed session wrote."""
    try:
        row = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return -1
    step = row.get("step") if isinstance(row, dict) else None
    return step if _is_int(step) else -1
