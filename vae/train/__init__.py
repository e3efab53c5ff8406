"""Training: `python -m vae.train --help` (cli), the loop (loop), lr and beta schedules (schedule),
device, precision and optimizer (device), stopping (stop).

The names below are imported when first used: `python -m vae.train` installs its Stop handler
(vae.train.stop) before PyTorch loads, so a Stop pressed while the trainer starts is never lost.
"""

from ..lazy import lazy_attributes

_HOMES = {"RECIPES": "cli", "build_parser": "cli", "main": "cli",
          "cpu_has_native_bf16": "device", "make_optimizer": "device", "pick_device": "device",
          "resolve_precision": "device", "STATUS_EVERY_S": "loop", "Session": "loop",
          "train": "loop", "beta_at": "schedule", "lr_schedule": "schedule"}

__all__ = sorted(_HOMES)


__getattr__ = lazy_attributes(__name__, _HOMES)
