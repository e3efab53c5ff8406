"""How many CPU threads the trainer computes with.

PyTorch's default is one OpenMP thread per core. On a machine of its own that is the fastest
choice, but beside other busy processes (the dashboard's server, a browser, another trainer) the
threads of one parallel region wait for each other while the neighbours hold the cores, and every
step waits for the slowest: two threads on two shared cores can take several times as long as one.
So, unless told otherwise, the trainer counts the cores that other processes leave free when it
starts and uses that many threads, one at least; under torchrun each process uses one thread (the
processes are the parallelism). GOMP_SPINCOUNT=10000 (set in vae/__init__.py before PyTorch
loads, unless the user set it or OMP_WAIT_POLICY) makes an idle thread spin only microseconds
before it sleeps, instead of holding a core that a neighbour needs.
"""
from __future__ import annotations

import os
import time

ENV = "VAE_TRAIN_THREADS"  # the --threads default, e.g. for runs the dashboard launches


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all cores since boot, from /proc/stat; None off Linux."""
    try:
        with open("/proc/stat", "rb") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != b"cpu":
        return None
    values = [int(v) for v in fields[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


def busy_cores(sample_s: float = 0.25) -> float | None:
    """How many cores other processes kept busy over the next `sample_s` seconds (this process
    sleeps meanwhile, so what is counted is theirs); None where the kernel does not say."""
    before = _cpu_times()
    if before is None:
        return None
    time.sleep(sample_s)
    after = _cpu_times()
    if after is None or after[1] <= before[1]:
        return None
    share = (after[0] - before[0]) / (after[1] - before[1])
    return max(0.0, min(1.0, share)) * (os.cpu_count() or 1)


def parse_threads(text: str | int | None) -> int | None:
    """'auto' (or empty) -> None; a whole number >= 1 -> itself; anything else raises ValueError
    with words a CLI can print."""
    if text is None or str(text).strip().lower() in ("", "auto"):
        return None
    try:
        n = int(str(text).strip())
    except ValueError:
        raise ValueError(f"threads must be 'auto' or a whole number >= 1, not {text!r}") from None
    if not 1 <= n <= 1024:
        raise ValueError(f"threads must be 'auto' or a whole number from 1 to 1024, not {n}")
    return n


def choose_threads(requested: int | None, *, world_size: int = 1, device_type: str = "cpu",
                   busy: float | None = None, cores: int | None = None,
                   environ=os.environ) -> tuple[int | None, str]:
    """(threads, why). threads None means "leave PyTorch's default" (a GPU does the work). An
    OMP_NUM_THREADS the user set counts as asked for, like --threads (torchrun sets it to 1)."""
    cores = usable_cores() if cores is None else cores
    if requested is not None:
        return requested, f"{requested} thread{'s' if requested != 1 else ''} (--threads)"
    omp = str(environ.get("OMP_NUM_THREADS", "")).strip()
    if omp.isdigit() and int(omp) >= 1:
        n = int(omp)
        return n, f"{n} thread{'s' if n != 1 else ''} (OMP_NUM_THREADS)"
    if device_type != "cpu":
        return None, f"PyTorch's default CPU threads (the {device_type} device computes)"
    if world_size > 1:
        return 1, f"1 thread per process ({world_size} processes share {cores} cores)"
    if busy is None:
        busy = busy_cores()
    if busy is None:
        return cores, f"{cores} threads, one per core (the CPU load could not be read)"
    free = cores - busy
    n = max(1, min(cores, int(free + 0.5)))
    return n, (f"{n} thread{'s' if n != 1 else ''}: {free:.1f} of {cores} cores free "
               f"(other processes kept {busy:.1f} busy)")
