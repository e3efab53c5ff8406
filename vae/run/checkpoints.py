"""Checkpoints: the weights (model.safetensors), replay snapshots and their checks.

model.safetensors holds the latest weights, replaced atomically; snapshots/epoch_NNNN.safetensors
holds float16 weights after each epoch, for replay (float32 for a tensor float16 cannot hold).
Weights are checked against config.json (names, shapes, dtypes, size) before a model is built, and
for NaN, infinity and magnitude. safetensors never unpickles.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from safetensors import SafetensorError

from ..model_config import CODE_ARCH, VAEConfig, _is_int
from ..trust import CodeRefused, code_trusted
from .files import MAX_JSON_BYTES, RunError, file_kind, write_atomic

# PyTorch (and the model built on it) is imported where weights are read, written or built, not
# with this module: a run folder's config, status and metrics are read without it, and the
# dashboard's first page draws from numbers kept on disk before PyTorch has loaded.
if TYPE_CHECKING:
    import torch

    from ..model import VAE

# How save_snapshot names a snapshot: epochs run from 1 to 10,000 (TrainConfig), written with four
# digits or more. The archive packs and imports exactly these names.
SNAPSHOT_RE = re.compile(r"epoch_(\d{4}|10000)\.safetensors")
# The largest |weight| a run may hold. A trained VAE's weights are of order 1; far past this, the
# products the pages compute (a decoder's logits, a KL's exp(logvar)) overflow float32.
MAX_WEIGHT = 1e6


class NeedsTrust(RunError):
    """The run's model is imported Python code and the user has not said they trust it. `reason`
    reads after the run's name ("needs --trust-code: ...")."""

    def __init__(self, reason: str):
        super().__init__(f"This run {reason}")
        self.reason = reason


class Checkpoints:
    """Saving and loading weights and snapshots; part of RunDir (uses RunFiles and RunConfig)."""

    def save_weights(self, model: VAE) -> None:
        from safetensors.torch import save_file

        self.inside(self.weights_file)
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        write_atomic(self.weights_file, lambda tmp: save_file(state, str(tmp)))

    def save_snapshot(self, model: VAE, epoch: int) -> None:
        from safetensors.torch import save_file

        self.inside(self.snapshot_file(epoch))
        self.snapshot_dir.mkdir(exist_ok=True)
        state = {k: _snapshot_tensor(v) for k, v in model.state_dict().items()}
        write_atomic(self.snapshot_file(epoch), lambda tmp: save_file(state, str(tmp)))

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
        import torch
        from safetensors.torch import load as load_safetensors_bytes

        expected = _expected_shapes(config)
        limit = 4 * config.n_parameters + MAX_JSON_BYTES  # float32 data and a header
        try:
            info = os.lstat(self.inside(path))
        except FileNotFoundError:
            raise
        except OSError as exc:  # e.g. snapshots/ is a file, so nothing can be inside it
            raise RunError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
        if not stat.S_ISREG(info.st_mode):
            raise RunError(f"{path} is {file_kind(info.st_mode)}, not a weights file.")
        size = info.st_size
        if size > limit:
            raise RunError(f"{path} does not match config.json: it is {size:,} bytes, more than the "
                           f"{limit:,} that the configured model's weights can take (weights for "
                           "another architecture?).")
        data = self.read_bytes(path, limit)
        try:
            state = load_safetensors_bytes(data)  # a header and raw tensors, never a pickle
        except (SafetensorError, ValueError, RuntimeError, OverflowError, KeyError, TypeError) as exc:
            raise RunError(f"{path} is corrupt: {str(exc)[:200]}") from exc
        # a model imported as code: its module checks the names and shapes when it loads them
        if expected is not None and (set(state) != set(expected)
                                     or any(tuple(state[k].shape) != expected[k] for k in state)):
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
            huge = int((tensor.abs() > MAX_WEIGHT).sum())
            if huge:
                raise RunError(f"{path} holds {huge:,} values beyond ±{MAX_WEIGHT:g} (in {key}, up "
                               f"to {float(tensor.abs().max()):.3g}): no trained VAE has such "
                               "weights, and the pages' sums would overflow. Train again or resume "
                               "from an earlier snapshot.")
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
        if config.arch == CODE_ARCH:
            from ..code_model import load_code_model

            try:
                model = load_code_model(config, self.read_raw_config().get("imported_from"),
                                        state)
            except CodeRefused as exc:
                if not code_trusted():
                    raise NeedsTrust(str(exc)) from exc
                raise RunError(f"its model's own code fails: {exc}") from exc
            return model.to(device).eval()
        from ..model import VAE

        model = VAE(config)
        model.load_state_dict({k: v.float() for k, v in state.items()})
        return model.to(device).eval()


FLOAT16_MAX = 65504.0  # float(torch.finfo(torch.float16).max)


def _snapshot_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """A snapshot keeps a tensor in float16 (half the bytes; replay draws need no more), except
    one holding a value beyond float16's ±65504, kept in float32: float16 would turn it into
    infinity, and the snapshot would load as damaged. Loading takes either (check_weights)."""
    import torch

    tensor = tensor.detach().cpu()
    if tensor.is_floating_point() and tensor.numel() and float(tensor.abs().max()) > FLOAT16_MAX:
        return tensor.to(torch.float32).contiguous()
    return tensor.to(torch.float16).contiguous()


def _expected_shapes(config: VAEConfig) -> dict[str, tuple[int, ...]] | None:
    if config.arch == CODE_ARCH:
        return None
    import torch

    from ..model import VAE

    with torch.device("meta"):  # shapes only: nothing is allocated
        return {k: tuple(v.shape) for k, v in VAE(config).state_dict().items()}
