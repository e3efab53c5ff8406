"""A run is a directory: the contract between the trainer and everything that looks at it.

checkpoints/<run>/
    config.json          {"model": VAEConfig, "train": TrainConfig}: the run rebuilds itself from it
    status.json          state (running, finished, stopped, failed), message, progress, pid
    metrics.jsonl        a line per logged step and per epoch
    model.safetensors    latest weights, replaced atomically
    snapshots/epoch_NNNN.safetensors   float16 weights after each epoch, for replay
    resume.pt            optimizer and RNG state (tensors only: loaded with weights_only=True)
    STOP                 written by whoever wants the trainer to stop

Nothing here unpickles untrusted data.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .model import VAE, ConfigError, VAEConfig

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "checkpoints"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
STATES = ("running", "finished", "stopped", "failed")


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

    def __post_init__(self):
        problems = []
        if not 1 <= self.epochs <= 10_000:
            problems.append(f"epochs must be 1 to 10000, not {self.epochs}")
        if not 1 <= self.batch_size <= 65_536:
            problems.append(f"batch size must be 1 to 65536, not {self.batch_size}")
        if not (0 < self.lr <= 1) or math.isnan(self.lr):
            problems.append(f"learning rate must be in (0, 1], not {self.lr}")
        if self.device not in ("auto", "cpu", "cuda", "mps"):
            problems.append(f"device must be auto, cpu, cuda or mps, not {self.device!r}")
        if self.log_every < 1 or self.snapshot_every < 1:
            problems.append("log_every and snapshot_every must be at least 1")
        if problems:
            raise ConfigError("; ".join(problems) + ".")

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
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
    """Write through a temp file in the same folder, then rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; runs are meant to be copied and shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    log_file = property(lambda self: self.path / "train.log")
    snapshot_dir = property(lambda self: self.path / "snapshots")

    def exists(self) -> bool:
        return self.config_file.exists()

    # --- config
    @classmethod
    def create(cls, root: Path, name: str, model: VAEConfig, train: TrainConfig) -> "RunDir":
        run = cls(Path(root) / validate_name(name))
        if run.path.exists():
            raise RunError(f"A run named {name!r} already exists in {root}; pick another name or "
                           "resume it.")
        run.path.mkdir(parents=True)
        write_json_atomic(run.config_file, {"model": model.to_dict(), "train": asdict(train),
                                            "created": time.time()})
        return run

    def read_config(self) -> tuple[VAEConfig, TrainConfig]:
        try:
            raw = json.loads(self.config_file.read_text())
            return VAEConfig.from_dict(raw["model"]), TrainConfig.from_dict(raw["train"])
        except FileNotFoundError as exc:
            raise RunError(f"{self.path} is not a run: it has no config.json.") from exc
        except (ValueError, KeyError, TypeError, OSError) as exc:  # ValueError: bad JSON, bad
            # UTF-8, a setting of the wrong kind; ConfigError is one too
            raise RunError(f"{self.config_file} is corrupt or not a run config: {exc}") from exc

    # --- status
    def read_status(self) -> dict:
        try:
            status = json.loads(self.status_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {"state": "new"}
        if status.get("state") == "running" and not _pid_alive(status.get("pid")):
            status["state"] = "interrupted"  # the trainer died without a word: resumable
        return status

    def write_status(self, **status) -> None:
        write_json_atomic(self.status_file, {**status, "updated": time.time()})

    def request_stop(self) -> None:
        self.stop_file.write_text("stop requested\n")

    # --- metrics
    def read_metrics(self) -> list[dict]:
        """Every complete line of metrics.jsonl; a half-written last line is skipped."""
        if not self.metrics_file.exists():
            return []
        rows = []
        for line in self.metrics_file.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return rows

    # --- weights
    def save_weights(self, model: VAE) -> None:
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        _atomic(self.weights_file, lambda tmp: save_file(state, str(tmp)))

    def save_snapshot(self, model: VAE, epoch: int) -> None:
        self.snapshot_dir.mkdir(exist_ok=True)
        state = {k: v.detach().cpu().to(torch.float16).contiguous()
                 for k, v in model.state_dict().items()}
        _atomic(self.snapshot_dir / f"epoch_{epoch:04d}.safetensors",
                lambda tmp: save_file(state, str(tmp)))

    def snapshot_epochs(self) -> list[int]:
        if not self.snapshot_dir.exists():
            return []
        return sorted(int(p.stem.split("_")[1]) for p in self.snapshot_dir.glob("epoch_*.safetensors"))

    def load_model(self, epoch: int | None = None, device: str = "cpu") -> VAE:
        """Rebuild the model from config.json and load its weights (latest, or a snapshot)."""
        config, _ = self.read_config()
        model = VAE(config)
        path = self.weights_file if epoch is None else (
            self.snapshot_dir / f"epoch_{epoch:04d}.safetensors")
        try:
            state = load_file(str(path))  # safetensors: a header and raw tensors, never a pickle
        except FileNotFoundError as exc:
            if epoch is not None:
                raise RunError(f"{path} not found: the run has no snapshot of epoch {epoch} "
                               f"(it has {self.snapshot_epochs() or 'none'}).") from exc
            raise RunError(f"{path} not found: the run has no weights yet.") from exc
        except (SafetensorError, OSError, ValueError) as exc:
            raise RunError(f"{path} is corrupt: {exc}") from exc
        expected = model.state_dict()
        if set(state) != set(expected) or any(state[k].shape != expected[k].shape for k in state):
            raise RunError(f"{path} does not match config.json: the weights are for another "
                           "architecture (different layers or sizes).")
        model.load_state_dict({k: v.float() for k, v in state.items()})
        return model.to(device).eval()

    def delete(self) -> None:
        if self.read_status().get("state") == "running":
            raise RunError(f"{self.name} is still training: stop it before deleting it.")
        shutil.rmtree(self.path)


def list_runs(root: str | os.PathLike = DEFAULT_ROOT) -> list[RunDir]:
    root = Path(root)
    if not root.exists():
        return []
    return sorted((RunDir(p) for p in root.iterdir() if (p / "config.json").exists()),
                  key=lambda r: r.name)


def _pid_alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours (the dashboard launched it) is dead though kill(0) succeeds.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
