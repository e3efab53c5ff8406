"""Training: `python -m vae.train --help` (cli), the loop (loop), lr and beta schedules (schedule),
device, precision and optimizer (device)."""
from .cli import RECIPES, build_parser, main
from .device import cpu_has_native_bf16, make_optimizer, pick_device, resolve_precision
from .loop import STATUS_EVERY_S, Session, train
from .schedule import beta_at, lr_schedule

__all__ = ["RECIPES", "STATUS_EVERY_S", "Session", "beta_at", "build_parser", "cpu_has_native_bf16",
           "lr_schedule", "main", "make_optimizer", "pick_device", "resolve_precision", "train"]
