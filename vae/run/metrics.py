"""metrics.jsonl: a line per logged step and per epoch, appended by the trainer, read by everyone.

Every line is validated before a page sees it; parsed rows are cached per file content, since pages
reread the log on every rerun and it changes only while a run trains.
"""
from __future__ import annotations

import errno
import json
import os
import stat
import threading

from ..model import _is_int, _is_real
from .files import MAX_METRICS_BYTES, RunError

MAX_LINE_BYTES = 1 << 16
REQUIRED_METRICS = {"step": ("train/recon", "train/kl", "train/neg_elbo"),
                    "epoch": ("test/recon", "test/kl", "test/neg_elbo")}

# metrics.jsonl contents -> their parsed rows, per file: validating every line is most of what the
# sidebar and the runs table cost on each rerun, and the files change only while a run trains.
_PARSED_METRICS: dict[str, tuple[bytes, list[dict], int]] = {}
MAX_PARSED_METRICS = 256
_PARSED_METRICS_LOCK = threading.Lock()


class MetricsLog:
    """Reading and appending metrics.jsonl; part of RunDir (uses RunFiles' checked reads)."""

    def read_metrics(self) -> list[dict]:
        """The valid rows of metrics.jsonl (see read_metrics_checked)."""
        return self.read_metrics_checked()[0]

    def read_metrics_checked(self) -> tuple[list[dict], int]:
        """(rows, number of bad lines skipped). A line is skipped unless it is a JSON object with
        kind "step" or "epoch", a whole step >= 0, a whole epoch >= 1, the train (step) or test
        (epoch) recon, KL and -ELBO, and finite numbers only; a half-written last line is skipped
        but not counted (the trainer may be writing it). Rows a crashed session wrote past the
        point a resume went on from are dropped (the resumed session wrote them again), so each
        step and epoch appears once."""
        try:
            data = self.read_bytes(self.metrics_file, MAX_METRICS_BYTES)
        except FileNotFoundError:
            return [], 0
        except RunError:
            return [], 1
        key = str(self.metrics_file)
        cached = _PARSED_METRICS.get(key)
        if cached is None or cached[0] != data:  # parsed once per content: pages reread every run
            cached = (data, *self._parse_metrics(data))
            with _PARSED_METRICS_LOCK:  # Streamlit runs sessions' scripts in threads
                _PARSED_METRICS.pop(key, None)
                _PARSED_METRICS[key] = cached
                while len(_PARSED_METRICS) > MAX_PARSED_METRICS:
                    del _PARSED_METRICS[next(iter(_PARSED_METRICS))]
        return [dict(r) for r in cached[1]], cached[2]  # copies: a caller may change its rows

    @staticmethod
    def _parse_metrics(data: bytes) -> tuple[list[dict], int]:
        rows: list[dict] = []
        bad = 0
        lines = data.split(b"\n")
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            row = _metric_row(line)
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
                if _metric_row(os.pread(fd, size - tail_start, tail_start)) is None:
                    os.ftruncate(fd, tail_start)  # half a line: cut, not glued to the next one
                else:
                    os.pwrite(fd, b"\n", size)
            os.lseek(fd, 0, os.SEEK_END)
            return os.fdopen(fd, "a", encoding="utf-8")
        except BaseException:
            os.close(fd)
            raise


def _metric_row(line: bytes) -> dict | None:
    """A metrics.jsonl line as a row, or None when it is not a valid one."""
    if len(line) > MAX_LINE_BYTES or not line.strip():
        return None
    try:
        row = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(row, dict) or row.get("kind") not in ("step", "epoch"):
        return None
    if not _is_int(row.get("step")) or row["step"] < 0:
        return None
    if not _is_int(row.get("epoch")) or row["epoch"] < 1:
        return None
    if any(key not in row for key in REQUIRED_METRICS[row["kind"]]):
        return None  # the trainer writes these on every row; pages read them without asking
    for key, value in row.items():
        if key == "kind" or value is None or _is_int(value) or _is_real(value):
            continue
        if isinstance(value, list) and len(value) <= 4096 and all(_is_real(v) for v in value):
            continue  # test/kl_per_dim
        return None  # text, nested objects, NaN or infinity: nothing the trainer writes
    return row


def _line_step(line: bytes) -> int:
    """The step a metrics line names, or -1: where a resume cuts off what a killed session wrote."""
    try:
        row = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return -1
    step = row.get("step") if isinstance(row, dict) else None
    return step if _is_int(step) else -1
