"""What a benchmark prints about the machine it ran on: the CPU model, the SIMD flags that decide
PyTorch's kernels, and the load average (on a shared machine it says how far to trust the clock)."""
from __future__ import annotations

import os
from pathlib import Path

FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_vnni")


def cpu_words() -> str:
    model, flags = "unknown CPU", []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model == "unknown CPU":
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line.split(":", 1)[1].split()
    except OSError:
        pass
    have = [f for f in FLAGS if f in flags]
    missing = [f for f in FLAGS if f not in flags]
    import torch
    return (f"{model}, {os.cpu_count()} cores; flags: "
            f"{' '.join(have) or 'none of ' + ', '.join(FLAGS)}"
            f"{' (not: ' + ' '.join(missing) + ')' if missing else ''}; torch {torch.__version__} "
            f"{torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads")


def load_average() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def speed_probe(n: int = 2_000_000) -> float:
    """Seconds for a fixed pure-Python loop on one core. On a shared host it says how fast the
    machine was at that moment: the same loop has taken 0.38-0.77 s (n = 3,000,000) within one
    minute here, with the load average under 2. A benchmark that compares two versions must take
    them in turn, not one after the other."""
    import time
    start, total = time.perf_counter(), 0
    for i in range(n):
        total += i * i
    return time.perf_counter() - start
