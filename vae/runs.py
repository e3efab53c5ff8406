"""A run is a directory: the contract between the trainer and everything that looks at it.

checkpoints/<run>/
    config.json          {"model": VAEConfig, "train": TrainConfig}: the run rebuilds itself from it
    status.json          state (running, finished, stopped, failed), message, progress, pid
    metrics.jsonl        a line per logged step and per epoch
    model.safetensors    latest weights, replaced atomically
    snapshots/epoch_NNNN.safetensors   float16 weights after each epoch, for replay
    resume.pt            optimizer and RNG state (tensors only: loaded with weights_only=True)
    train.lock           flock()ed by the one trainer of the run, for its lifetime; holds its pid
    STOP                 written by whoever wants the trainer to stop

A run folder may come from anywhere (copied in, unzipped), so everything read from it is checked:
sizes before reading, JSON types and ranges, weight shapes against the config before a model is
built, finite weights. Symbolic links are refused wherever a file is read, written, downloaded or
deleted, so nothing outside the runs root is reached through a run. Nothing here unpickles.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save_file

from .data import DATASETS
from .model import VAE, ConfigError, VAEConfig, _is_int, _is_real

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "checkpoints"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SNAPSHOT_RE = re.compile(r"^epoch_(\d{4,6})\.safetensors$")
STATES = ("running", "finished", "stopped", "failed")
MAX_JSON_BYTES = 1 << 20  # config.json, status.json: a few hundred bytes as the trainer writes them
MAX_METRICS_BYTES = 256 << 20  # a 10,000-epoch run logs a few MB
MAX_LINE_BYTES = 1 << 16
REQUIRED_METRICS = {"step": ("train/recon", "train/kl", "train/neg_elbo"),
                    "epoch": ("test/recon", "test/kl", "test/neg_elbo")}
MAX_SEED = 2**32 - 1  # what torch and numpy both take; seed + 1 seeds the eps generator
DATASET_NAMES = tuple(DATASETS)


class RunError(Exception):
    """A run directory is missing, corrupt or does not match its config; the message says which."""


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = "mnist-5k"
    data_dir: str | None = None
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    device: str = "auto"
    log_every: int = 20  # steps between metric lines
    snapshot_every: int = 1  # epochs between replay snapshots
    # your own images (dataset folder or npz) only; None for the built-in sets' fixed splits
    image_size: int | None = None  # every image resized to image_size x image_size
    split_seed: int | None = None  # seed of the per-class train/test split
    test_fraction: float | None = None  # share of each class held out as the test set
    # how it trains; the defaults are the classic recipe (constant lr, fp32, one process)
    precision: str = "fp32"  # auto | fp32 | bf16 (autocast; the reported ELBO is fp32 anyway)
    warmup_steps: int = 0  # linear lr warm-up over this many steps
    lr_schedule: str = "constant"  # constant | cosine (to zero at the last step)
    world_size: int = 1  # processes of the last session (torchrun --nproc_per_node); batch is global

    def __post_init__(self):
        problems = []

        def whole(name, value, lo, hi, words):
            if not _is_int(value) or not lo <= value <= hi:
                problems.append(f"{words} must be a whole number from {lo} to {hi}, not {value!r:.40}")

        if not isinstance(self.dataset, str) or self.dataset not in DATASET_NAMES:
            problems.append(f"dataset must be one of {', '.join(DATASET_NAMES)}, not "
                            f"{self.dataset!r:.40}")
        if self.data_dir is not None and not isinstance(self.data_dir, str):
            problems.append(f"data_dir must be a folder name, not {self.data_dir!r:.40}")
        whole("epochs", self.epochs, 1, 10_000, "epochs")
        whole("batch_size", self.batch_size, 1, 65_536, "batch size")
        whole("seed", self.seed, 0, MAX_SEED, "seed")
        whole("log_every", self.log_every, 1, 1_000_000, "log_every")
        whole("snapshot_every", self.snapshot_every, 1, 10_000, "snapshot_every")
        whole("warmup_steps", self.warmup_steps, 0, 10_000_000, "warm-up steps")
        whole("world_size", self.world_size, 1, 100_000, "world size")
        if self.precision not in ("auto", "fp32", "bf16"):
            problems.append(f"precision must be auto, fp32 or bf16, not {self.precision!r:.40}")
        if self.lr_schedule not in ("constant", "cosine"):
            problems.append(f"lr schedule must be constant or cosine, not {self.lr_schedule!r:.40}")
        if self.image_size is not None:
            whole("image_size", self.image_size, 4, 128, "image size")
        if self.split_seed is not None:
            whole("split_seed", self.split_seed, 0, MAX_SEED, "split seed")
        if self.test_fraction is not None and (not _is_real(self.test_fraction)
                                               or not 0.05 <= self.test_fraction <= 0.5):
            problems.append(f"test fraction must be in [0.05, 0.5], not {self.test_fraction!r:.40}")
        if not _is_real(self.lr) or not 0 < self.lr <= 1:
            problems.append(f"learning rate must be in (0, 1], not {self.lr!r:.40}")
        if not isinstance(self.device, str) or self.device not in ("auto", "cpu", "cuda", "mps"):
            problems.append(f"device must be auto, cpu, cuda or mps, not {self.device!r:.40}")
        if problems:
            raise ConfigError("; ".join(problems) + ".")

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        if not isinstance(d, dict):
            raise ConfigError(f"the training settings must be a JSON object, not {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def validate_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):  # fullmatch: "$" lets "x\n" in
        raise RunError(f"Run name {name!r} is not allowed: use 1-64 letters, digits, '.', '_' or "
                       "'-', starting with a letter or digit.")
    return name


def write_json_atomic(path: Path, obj) -> None:
    _atomic(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=1)))


def _atomic(path: Path, write) -> None:
    """Write through a temp file in the same folder, then rename: a reader never sees half a file.
    The rename replaces a link at `path` by the file; it never writes through the link."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; runs are meant to be copied and shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load_json(data: bytes, what: Path):
    """Parsed JSON, or RunError saying what is wrong (bad UTF-8, bad JSON, nested too deep)."""
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RunError(f"{what} is corrupt: it is not UTF-8 text ({exc.reason} at byte "
                       f"{exc.start}).") from exc
    except RecursionError as exc:
        raise RunError(f"{what} is corrupt: its JSON is nested too deeply to read.") from exc
    except ValueError as exc:
        raise RunError(f"{what} is corrupt: it is not JSON ({exc}).") from exc


class RunDir:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    @property
    def name(self) -> str:
        return self.path.name

    # --- files
    config_file = property(lambda self: self.path / "config.json")
    status_file = property(lambda self: self.path / "status.json")
    metrics_file = property(lambda self: self.path / "metrics.jsonl")
    weights_file = property(lambda self: self.path / "model.safetensors")
    resume_file = property(lambda self: self.path / "resume.pt")
    stop_file = property(lambda self: self.path / "STOP")
    lock_file = property(lambda self: self.path / "train.lock")
    log_file = property(lambda self: self.path / "train.log")
    snapshot_dir = property(lambda self: self.path / "snapshots")

    def snapshot_file(self, epoch: int) -> Path:
        return self.snapshot_dir / f"epoch_{epoch:04d}.safetensors"

    def exists(self) -> bool:
        return _lexists(self.config_file)

    # --- paths: nothing is reached through a link
    def inside(self, path: Path) -> Path:
        """`path` (a file in this run), once neither the run folder nor anything between it and
        `path` is a symbolic link; RunError otherwise. A missing tail is fine (a file to create)."""
        path = Path(path)
        try:
            rel = path.relative_to(self.path)
        except ValueError as exc:
            raise RunError(f"{path} is not inside the run folder {self.path}.") from exc
        if ".." in rel.parts:
            raise RunError(f"{path} leaves the run folder {self.path}.")
        current = self.path
        for part in ("", *rel.parts):
            current = current / part if part else current
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                break
            except OSError as exc:
                raise RunError(f"{current} cannot be read: {exc.strerror}.") from exc
            if stat.S_ISLNK(mode):
                try:
                    target = os.readlink(current)
                except OSError:
                    target = "?"
                raise RunError(f"{current} is a symbolic link (to {target}); links in run folders "
                               "are refused, so nothing outside the runs root is read or written "
                               "through a run. Replace it by a real file or folder.")
        return path

    def read_bytes(self, path: Path, limit: int) -> bytes:
        """A regular file of this run, at most `limit` bytes, never through a link. FileNotFoundError
        when it is missing; RunError when it is a link, not a plain file, or too large."""
        self.inside(path)
        try:  # O_NONBLOCK: a FIFO planted as a run file must not hang the reader
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise FileNotFoundError(str(path)) from exc
            if exc.errno == errno.ELOOP:
                raise RunError(f"{path} is a symbolic link; links in run folders are refused.") from exc
            raise RunError(f"{path} cannot be read: {exc.strerror}.") from exc
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise RunError(f"{path} is not a regular file.")
            if info.st_size > limit:
                raise RunError(f"{path} is {info.st_size:,} bytes, more than the {limit:,} a run's "
                               f"{path.name} may have.")
            data = f.read(limit + 1)
        if len(data) > limit:
            raise RunError(f"{path} is more than the {limit:,} bytes a run's {path.name} may have.")
        return data

    def download_bytes(self, path: Path) -> bytes:
        """A run file for a download button: the same checks as reading (no links, no strangers)."""
        return self.read_bytes(path, MAX_METRICS_BYTES if path.suffix != ".safetensors"
                               else 4 * 100_000_000 + MAX_JSON_BYTES)

    # --- config
    @classmethod
    def create(cls, root: Path, name: str, model: VAEConfig, train: TrainConfig) -> "RunDir":
        run = cls(Path(root) / validate_name(name))
        if _lexists(run.path):
            raise RunError(f"A run named {name!r} already exists in {root}; pick another name or "
                           "resume it.")
        run.path.mkdir(parents=True)
        write_json_atomic(run.config_file, {"model": model.to_dict(), "train": asdict(train),
                                            "created": time.time()})
        return run

    def read_raw_config(self) -> dict:
        """config.json as a dict with "model" and "train" objects, unvalidated inside."""
        try:
            data = self.read_bytes(self.config_file, MAX_JSON_BYTES)
        except FileNotFoundError as exc:
            raise RunError(f"{self.path} is not a run: it has no config.json.") from exc
        raw = _load_json(data, self.config_file)
        if not isinstance(raw, dict) or not isinstance(raw.get("model"), dict) \
                or not isinstance(raw.get("train"), dict):
            raise RunError(f"{self.config_file} is corrupt or not a run config: it must be a JSON "
                           "object with a \"model\" and a \"train\" object.")
        return raw

    def read_config(self) -> tuple[VAEConfig, TrainConfig]:
        """The run's model and training settings, every value checked for type and range."""
        raw = self.read_raw_config()
        try:
            return VAEConfig.from_dict(raw["model"]), TrainConfig.from_dict(raw["train"])
        except (ValueError, TypeError) as exc:  # ConfigError is a ValueError; TypeError: a missing
            # or extra argument
            raise RunError(f"{self.config_file} is corrupt or not a run config: {exc}") from exc

    def set_epochs(self, epochs: int) -> None:
        """Raise the run's target epochs (resume --epochs N), keeping the rest of config.json."""
        raw = self.read_raw_config()
        raw["train"]["epochs"] = epochs
        TrainConfig.from_dict(raw["train"])
        self.inside(self.config_file)
        write_json_atomic(self.config_file, raw)

    # --- the trainer's lock: one trainer per run
    @contextmanager
    def lock(self):
        """Hold the run's exclusive lock (flock on train.lock) for the trainer's lifetime, with this
        process's pid written inside. RunError("<run> is already training (pid N)") when another
        trainer holds it. The kernel drops the lock when the process dies, even by kill -9."""
        self.inside(self.lock_file)
        try:
            fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o644)
        except OSError as exc:
            raise RunError(f"{self.lock_file} cannot be opened: {exc.strerror}.") from exc
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise RunError(f"{self.lock_file} is not a regular file.")
            deadline = time.monotonic() + 0.5  # a reader's probe holds a shared lock briefly
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    held, pid = self._lock_holder()
                    if (held and pid) or time.monotonic() > deadline:
                        raise RunError(f"{self.name} is already training (pid {pid or 'unknown'}); "
                                       "one trainer per run.") from None
                    time.sleep(0.01)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            try:
                yield self
            finally:
                os.ftruncate(fd, 0)  # a later reader finds no pid of a finished trainer
        finally:
            os.close(fd)  # releases the lock

    def _lock_holder(self) -> tuple[bool, int | None]:
        """(whether a trainer holds the lock, its pid as written in the lock file)."""
        try:
            self.inside(self.lock_file)
            fd = os.open(self.lock_file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, RunError):
            return False, None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return False, None
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                return True, int(text) if text.isdigit() else None
            except OSError:
                return False, None
            return False, None  # closing releases the shared probe
        finally:
            os.close(fd)

    def is_training(self) -> bool:
        """Whether a trainer holds this run's lock right now: the one test of "running"."""
        return self._lock_holder()[0]

    def trainer_pid(self) -> int | None:
        """The pid of the process holding this run's lock, when the kernel confirms it holds it
        (/proc/locks, where there is one); None when nobody trains the run."""
        held, pid = self._lock_holder()
        if not held or pid is None:
            return None
        holders = _flock_holders(self.lock_file)
        if holders is not None and pid not in holders:
            return None
        return pid

    def signal_trainer(self, signum: int = signal.SIGTERM) -> int | None:
        """Send `signum` to this run's trainer, only if it is provably that: it holds the run's lock
        and its command line is vae.train. Returns the pid signalled, or None."""
        pid = self.trainer_pid()
        if pid is None or pid == os.getpid() or not _is_trainer_command(pid):
            return None
        try:
            pidfd = os.pidfd_open(pid)  # pins the process: a reused pid cannot be hit after this
        except (AttributeError, OSError):
            pidfd = None
        try:
            if self.trainer_pid() != pid:  # re-checked after pinning
                return None
            if pidfd is not None:
                signal.pidfd_send_signal(pidfd, signum)
            else:
                os.kill(pid, signum)
            return pid
        except (ProcessLookupError, PermissionError):
            return None
        finally:
            if pidfd is not None:
                os.close(pidfd)

    # --- status
    def read_status(self) -> dict:
        """status.json, checked; "state" says what the run is now:
        running      a trainer holds the run's lock and has written that it runs
        starting     a trainer holds the run's lock but has not begun its loop yet
        interrupted  status.json says running but no trainer holds the lock (killed, or stale):
                     "stale_pid" is the pid it named
        damaged      status.json cannot be read or holds values of the wrong kind: "problem" says
        new, finished, stopped, failed   as written by the trainer."""
        status = self._read_status_file()
        if self.is_training():
            # until the trainer's loop writes "running" it is loading data and building the model
            status["state"] = "running" if status.get("state") == "running" else "starting"
            status["pid"] = self.trainer_pid() or status.get("pid")
        elif status.get("state") == "running":
            status["state"] = "interrupted"  # the trainer died without a word: resumable
            status["stale_pid"] = status.pop("pid", None)
        return status

    def _read_status_file(self) -> dict:
        try:
            data = self.read_bytes(self.status_file, MAX_JSON_BYTES)
        except FileNotFoundError:
            return {"state": "new"}
        except RunError as exc:
            return {"state": "damaged", "problem": str(exc)}
        try:
            raw = _load_json(data, self.status_file)
        except RunError as exc:  # the trainer writes it atomically: a torn file is damage too
            return {"state": "damaged", "problem": str(exc)}
        problem = _status_problem(raw)
        if problem:
            return {"state": "damaged", "problem": f"{self.status_file} is damaged: {problem}."}
        return raw

    def write_status(self, **status) -> None:
        self.inside(self.status_file)
        write_json_atomic(self.status_file, {**status, "updated": time.time()})

    def mark_stopped(self) -> None:
        """Replace a stale or damaged status (no trainer holds the lock) by "stopped"."""
        if self.is_training():
            raise RunError(f"{self.name} is training (pid {self.trainer_pid()}): stop it instead.")
        old = self._read_status_file()
        keep = {k: old[k] for k in ("epoch", "epochs", "step", "total_steps") if k in old}
        self.write_status(state="stopped", **keep,
                          message="Marked stopped from the dashboard: its status said "
                                  f"{old.get('state')!s:.20} but no trainer held the run.")

    def request_stop(self) -> None:
        self.inside(self.stop_file)
        try:  # O_NOFOLLOW: a planted STOP link must not truncate the file it points to
            fd = os.open(self.stop_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
                         | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise RunError(f"{self.stop_file} cannot be written: {exc.strerror}.") from exc
        with os.fdopen(fd, "w") as f:
            f.write("stop requested\n")

    # --- metrics
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

    # --- weights
    def save_weights(self, model: VAE) -> None:
        self.inside(self.weights_file)
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        _atomic(self.weights_file, lambda tmp: save_file(state, str(tmp)))

    def save_snapshot(self, model: VAE, epoch: int) -> None:
        self.inside(self.snapshot_file(epoch))
        self.snapshot_dir.mkdir(exist_ok=True)
        state = {k: v.detach().cpu().to(torch.float16).contiguous()
                 for k, v in model.state_dict().items()}
        _atomic(self.snapshot_file(epoch), lambda tmp: save_file(state, str(tmp)))

    def snapshot_epochs(self) -> list[int]:
        """Epochs with a snapshot file named epoch_NNNN.safetensors; other names are ignored."""
        try:
            self.inside(self.snapshot_dir)
            names = os.listdir(self.snapshot_dir)
        except (OSError, RunError):
            return []
        return sorted(int(m.group(1)) for m in map(SNAPSHOT_RE.fullmatch, names)
                      if m and int(m.group(1)) >= 1)

    def sweep_temp_files(self) -> list[Path]:
        """Remove the temp files of saves a killed trainer left half-done; the trainer calls this
        under its lock at start. Returns what was removed."""
        removed = []
        for folder, pattern in ((self.path, re.compile(r"^\.(model\.safetensors|status\.json|"
                                                         r"config\.json)\..+$|^\.resume\.pt\.tmp$")),
                                (self.snapshot_dir, re.compile(r"^\.epoch_\d+\.safetensors\..+$"))):
            try:
                self.inside(folder)
                names = os.listdir(folder)
            except (OSError, RunError):
                continue
            for name in names:
                if pattern.match(name):
                    try:
                        os.unlink(folder / name)  # unlink removes a link itself, never its target
                        removed.append(folder / name)
                    except (IsADirectoryError, PermissionError, FileNotFoundError):
                        pass
        return removed

    def check_weights(self, path: Path, config: VAEConfig) -> dict[str, torch.Tensor]:
        """The tensors of a weights file, once checked against config (names, shapes, float
        dtypes, size) and for NaN or infinity. RunError says what is wrong."""
        expected = _expected_shapes(config)
        limit = 4 * config.n_parameters + MAX_JSON_BYTES  # float32 data and a header
        size = os.lstat(self.inside(path)).st_size
        if size > limit:
            raise RunError(f"{path} does not match config.json: it is {size:,} bytes, more than the "
                           f"{limit:,} that the configured model's weights can take (weights for "
                           "another architecture?).")
        data = self.read_bytes(path, limit)
        try:
            state = load_safetensors_bytes(data)  # a header and raw tensors, never a pickle
        except (SafetensorError, ValueError, RuntimeError, OverflowError, KeyError, TypeError) as exc:
            raise RunError(f"{path} is corrupt: {str(exc)[:200]}") from exc
        if set(state) != set(expected) or any(tuple(state[k].shape) != expected[k] for k in state):
            raise RunError(f"{path} does not match config.json: the weights are for another "
                           "architecture (different layers or sizes).")
        for key, tensor in state.items():
            if not tensor.is_floating_point():
                raise RunError(f"{path} is corrupt: {key} holds {tensor.dtype}, not floats.")
            bad = int((~torch.isfinite(tensor)).sum())
            if bad:
                raise RunError(f"{path} holds {bad:,} NaN or infinite values (in {key}): these "
                               "weights cannot be drawn. Train again or resume from an earlier "
                               "snapshot.")
        return state

    def load_model(self, epoch: int | None = None, device: str = "cpu") -> VAE:
        """Rebuild the model from config.json and load its weights (latest, or a snapshot). The
        config and the weights are checked before the model is built."""
        config, _ = self.read_config()
        if epoch is not None and (not _is_int(epoch) or not 1 <= epoch <= 999_999):
            raise RunError(f"There is no epoch {epoch!r}: epochs are whole numbers from 1.")
        path = self.weights_file if epoch is None else self.snapshot_file(epoch)
        try:
            state = self.check_weights(path, config)
        except FileNotFoundError as exc:
            if epoch is not None:
                raise RunError(f"{path} not found: the run has no snapshot of epoch {epoch} "
                               f"(it has {self.snapshot_epochs() or 'none'}).") from exc
            raise RunError(f"{path} not found: the run has no weights yet.") from exc
        model = VAE(config)
        model.load_state_dict({k: v.float() for k, v in state.items()})
        return model.to(device).eval()

    # --- the whole folder
    def problems(self) -> list[str]:
        """What is wrong with this run, cheaply (config, status, metrics); [] when nothing is. For
        the runs table and the sidebar; validate_run_folder also checks weights and snapshots."""
        found = []
        try:
            self.read_config()
        except RunError as exc:
            found.append(str(exc))
        status = self._read_status_file()
        if status.get("state") == "damaged":
            found.append(status["problem"])
        for path in (self.weights_file, self.snapshot_dir, self.resume_file, self.lock_file):
            try:
                self.inside(path)  # cheap: an lstat each; the weights' contents are checked on load
            except RunError as exc:
                if str(exc) not in " ".join(found):
                    found.append(str(exc))
        _, bad = self.read_metrics_checked()
        if bad:
            found.append(f"{self.metrics_file}: {bad} line{'s' * (bad != 1)} skipped (not a "
                         "metrics row: bad JSON or UTF-8, or values of the wrong kind).")
        return found

    def delete(self) -> None:
        if os.path.islink(self.path):
            raise RunError(f"{self.path} is a symbolic link (to {os.readlink(self.path)}), not a run "
                           "folder: the dashboard deletes only real folders. Remove the link "
                           "yourself if you want it gone.")
        if not self.path.is_dir():
            raise RunError(f"{self.path} is not a folder.")
        if self.is_training():
            raise RunError(f"{self.name} is still training (pid {self.trainer_pid()}): stop it "
                           "before deleting it.")
        shutil.rmtree(self.path)  # rmtree removes links inside, never what they point to


def validate_run_folder(path: str | os.PathLike) -> list[str]:
    """Everything wrong with a run folder, in words; [] when it can be opened safely. Checks the
    name, links and file kinds anywhere inside, config.json, status.json, metrics.jsonl, and that
    the weights and every snapshot match the config and are finite. Reads, never writes."""
    path = Path(path)
    run = RunDir(path)
    found = []
    if not NAME_RE.fullmatch(path.name):
        found.append(f"The folder name {path.name!r} is not a run name: use 1-64 letters, digits, "
                     "'.', '_' or '-', starting with a letter or digit.")
    if os.path.islink(path) or not path.is_dir():
        return found + [f"{path} is a symbolic link or not a folder."]
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            p = Path(folder) / name
            mode = os.lstat(p).st_mode
            if stat.S_ISLNK(mode):
                found.append(f"{p} is a symbolic link; links in run folders are refused.")
            elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                found.append(f"{p} is not a regular file or folder.")
    found += run.problems()
    try:
        config, _ = run.read_config()
    except RunError:
        return found
    files = [run.weights_file] if _lexists(run.weights_file) else []
    files += [run.snapshot_file(e) for e in run.snapshot_epochs()]
    for file in files:
        try:
            run.check_weights(file, config)
        except (RunError, FileNotFoundError) as exc:
            found.append(str(exc))
    return found


def list_runs(root: str | os.PathLike = DEFAULT_ROOT) -> list[RunDir]:
    """Every run in root: folders with a config.json, and links with a run's name (refused when
    read, but listed so that they can be seen). Names that are not run names are left out."""
    root = Path(root)
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    found = []
    for entry in entries:
        if not NAME_RE.fullmatch(entry.name):
            continue
        p = Path(entry.path)
        if entry.is_symlink() or (entry.is_dir(follow_symlinks=False)
                                  and _lexists(p / "config.json")):
            found.append(RunDir(p))
    return sorted(found, key=lambda r: r.name)


def _lexists(path: Path) -> bool:
    return os.path.lexists(path)


def _status_problem(raw) -> str | None:
    """Why a parsed status.json cannot be used, or None."""
    if not isinstance(raw, dict):
        return f"it holds a JSON {type(raw).__name__}, not an object"
    state = raw.get("state")
    if state not in STATES:
        return f"its state is {state!r:.40}, not one of {', '.join(STATES)}"
    for key in ("pid", "epoch", "epochs", "step", "total_steps"):
        if key in raw and raw[key] is not None and (not _is_int(raw[key]) or raw[key] < 0):
            return f"{key} is {raw[key]!r:.40}, not a whole number"
    for key in ("samples_per_s", "eta_s", "updated"):
        if key in raw and raw[key] is not None and (not _is_real(raw[key]) or raw[key] < 0):
            return f"{key} is {raw[key]!r:.40}, not a number >= 0"
    for key in ("message", "device"):
        if key in raw and not isinstance(raw[key], str):
            return f"{key} is {raw[key]!r:.40}, not text"
    return None


# metrics.jsonl contents -> their parsed rows, per file: validating every line is most of what the
# sidebar and the runs table cost on each rerun, and the files change only while a run trains.
_PARSED_METRICS: dict[str, tuple[bytes, list[dict], int]] = {}
MAX_PARSED_METRICS = 256
_PARSED_METRICS_LOCK = threading.Lock()


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


def _expected_shapes(config: VAEConfig) -> dict[str, tuple[int, ...]]:
    with torch.device("meta"):  # shapes only: nothing is allocated
        return {k: tuple(v.shape) for k, v in VAE(config).state_dict().items()}


def _flock_holders(path: Path) -> set[int] | None:
    """Pids holding a flock on path per /proc/locks, or None where the kernel does not say."""
    try:
        info = os.stat(path, follow_symlinks=False)
        with open("/proc/locks") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    holders = set()
    for line in lines:
        parts = line.split()
        if len(parts) < 6 or parts[1] == "->" or parts[1] != "FLOCK":
            continue
        try:
            major, minor, inode = parts[5].split(":")
            if (int(inode) == info.st_ino and int(major, 16) == os.major(info.st_dev)
                    and int(minor, 16) == os.minor(info.st_dev)):
                holders.add(int(parts[4]))
        except ValueError:
            continue
    return holders


def _is_trainer_command(pid: int) -> bool:
    """Whether pid runs `python -m vae.train` (where /proc says; elsewhere the lock must do)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except FileNotFoundError:
        return os.path.isdir("/proc/self") is False
    except OSError:
        return False
    return any(a == b"vae.train" or a.endswith(b"vae/train.py") for a in argv)
