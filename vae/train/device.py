"""Where and how precisely the trainer computes: the device, bf16 or fp32, and the optimizer."""
from __future__ import annotations

import torch

from ..model import VAE, ConfigError


def pick_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for but no CUDA GPU is visible to PyTorch.")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("--device mps was asked for but Apple's MPS backend is not available.")
    return torch.device(name)


def make_optimizer(model: VAE, lr: float) -> torch.optim.Adam:
    """Adam, fused into one kernel per tensor where the device has one: faster than the default
    on a CPU for the small MLPs trained here (bench/bench_trainer.py measures it)."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except RuntimeError:  # a device without a fused Adam kernel
        return torch.optim.Adam(model.parameters(), lr=lr)


def resolve_precision(name: str, device: torch.device) -> str:
    """What --precision means here. auto: bf16 autocast where the hardware multiplies bf16 natively
    (CUDA; CPUs with AVX512-BF16 or AMX), fp32 elsewhere. The reported test -ELBO is fp32 anyway."""
    if name != "auto":
        return name
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    if device.type == "cpu":
        return "bf16" if cpu_has_native_bf16() else "fp32"
    return "fp32"


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX in /proc/cpuinfo's flags (Linux; elsewhere: no)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")),
                         [])
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags

