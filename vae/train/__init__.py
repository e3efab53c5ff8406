"""Training: `python -m vae.train --help` (cli), the loop (loop), lr and beta schedules (schedule),
device, precision and optimizer (device), stopping (stop).

The names below are imported when first used: `python -m vae.train` installs its Stop handler
(vae.train.stop) before PyTorch loads, so a Stop pressed while the trainer starts is never lost.
"""
import importlib
import importlib.util

_HOMES = {"RECIPES": "cli", "build_parser": "cli", "main": "cli",
          "cpu_has_native_bf16": "device", "make_optimizer": "device", "pick_device": "device",
          "resolve_precision": "device", "STATUS_EVERY_S": "loop", "Session": "loop",
          "train": "loop", "beta_at": "schedule", "lr_schedule": "schedule"}

__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:  # `vae.x` before `import vae.x`
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
