"""The training settings a run records in config.json, beside the model's (vae.model.VAEConfig).

config.json is {"model": VAEConfig, "train": TrainConfig, "created": time}: the run rebuilds itself
from it. Every value is checked for type and range, since a config.json may be copied in from
anywhere.
"""
from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from ..data import DATASETS
from ..model_config import ConfigError, VAEConfig, _is_int, _is_real
from .files import MAX_JSON_BYTES, RunError, lexists, load_json, write_json_atomic

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_SEED = 2**32 - 1  # what torch and numpy both take; seed + 1 seeds the eps generator
DATASET_NAMES = tuple(DATASETS)
MAX_SHIFT = 4  # --shift (vae.augment), pixels; more would move a 28x28 digit out of its box

if TYPE_CHECKING:
    from .rundir import RunDir


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
    shift: int = 0  # training images moved by up to this many pixels each step (vae/augment.py)
    # the literature's binarized protocol: each training pixel a fresh Bernoulli draw of its grey
    # level at every step, the test set drawn once with a fixed seed (vae/augment.py)
    binarize: bool = False

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
        whole("shift", self.shift, 0, MAX_SHIFT, "shift")
        if not isinstance(self.binarize, bool):
            problems.append(f"binarize must be true or false, not {self.binarize!r:.40}")
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


class RunConfig:
    """Creating a run and reading its config.json; part of RunDir (uses RunFiles' checked reads)."""

    @classmethod
    def create(cls, root: Path, name: str, model: VAEConfig, train: TrainConfig) -> "RunDir":
        run = cls(Path(root) / validate_name(name))
        if lexists(run.path):
            raise RunError(f"A run named {name!r} already exists in {root}; pick another name or "
                           "resume it.")
        try:
            run.path.mkdir(parents=True)
        except OSError as exc:  # a file on the way, a read-only place, a full disk
            raise RunError(f"The run folder {run.path} cannot be created: "
                           f"{exc.strerror or exc}.") from exc
        write_json_atomic(run.config_file, {"model": model.to_dict(), "train": asdict(train),
                                            "created": time.time()})
        return run

    def read_raw_config(self) -> dict:
        """config.json as a dict with "model" and "train" objects, unvalidated inside."""
        try:
            data = self.read_bytes(self.config_file, MAX_JSON_BYTES)
        except FileNotFoundError as exc:
            raise RunError(f"{self.path} is not a run: it has no config.json.") from exc
        raw = load_json(data, self.config_file)
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

    def record_schedule_change(self, change: dict) -> None:
        """Append a resume's learning-rate schedule change to config.json's "schedule_changes"
        (the run's settings are its "train" object; this is its history beside them)."""
        raw = self.read_raw_config()
        history = raw.get("schedule_changes")
        raw["schedule_changes"] = [*(history if isinstance(history, list) else []), change]
        self.inside(self.config_file)
        write_json_atomic(self.config_file, raw)

    def set_epochs(self, epochs: int) -> None:
        """Raise the run's target epochs (resume --epochs N), keeping the rest of config.json."""
        raw = self.read_raw_config()
        raw["train"]["epochs"] = epochs
        TrainConfig.from_dict(raw["train"])
        self.inside(self.config_file)
        write_json_atomic(self.config_file, raw)
