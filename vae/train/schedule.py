"""How the learning rate and the KL weight move over a run: lr warm-up and cosine decay, beta
warm-up. Pure functions of the config and the step (or epoch), so a resumed run continues them."""
from __future__ import annotations

import math

from ..model import VAEConfig
from ..run import TrainConfig


def lr_schedule(cfg: TrainConfig, total_steps: int):
    """lr(step) for a linear warm-up over cfg.warmup_steps and a cosine decay to zero at the last
    step, or None for a constant learning rate (the optimizer's own, never touched)."""
    if cfg.warmup_steps <= 0 and cfg.lr_schedule == "constant":
        return None

    def lr_at(step: int) -> float:
        lr = cfg.lr * min(1.0, (step + 1) / cfg.warmup_steps) if cfg.warmup_steps > 0 else cfg.lr
        if cfg.lr_schedule == "cosine":
            lr *= 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / max(total_steps, 1)))
        return lr

    return lr_at


def beta_at(config: VAEConfig, epoch: int, frac: float) -> float:
    """Beta with linear KL warm-up: 0 at the start, config.beta after kl_warmup_epochs."""
    if config.kl_warmup_epochs <= 0:
        return config.beta
    return config.beta * min(1.0, (epoch - 1 + frac) / config.kl_warmup_epochs)
