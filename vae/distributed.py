"""The trainer on N processes: torchrun sets RANK and WORLD_SIZE, this module joins them.

`torchrun --standalone --nproc_per_node=N -m vae.train ...` runs one run with DistributedDataParallel
(gloo on CPU, nccl on CUDA). The batches are the single-process run's batches: every rank draws the
same global permutation and the same noise for the whole global batch, and takes its own contiguous
slice of both. The loss of a slice is scaled so that DDP's mean over ranks is the global batch's mean.
So `--batch-size` stays the global batch, a run has the same steps per epoch on 1 or N processes, and
the N-process run differs from the 1-process run only in the order floating-point sums are added.
Rank 0 alone writes the run folder; the other ranks read it and write nothing.
"""
from __future__ import annotations

import datetime
import os
import socket
import time

import torch
import torch.distributed as dist
from torch import nn

from .model import VAE, Posterior

TIMEOUT_ENV = "VAE_DIST_TIMEOUT_S"  # seconds a collective waits for a silent peer (default 120)


class DistributedError(Exception):
    """The processes could not meet, or one of them died; the message says which and what to do."""


class Group:
    """This process's place among the run's processes. A single process is Group() (world 1)."""

    def __init__(self, rank: int = 0, world: int = 1, local_rank: int = 0):
        self.rank, self.world, self.local_rank = rank, world, local_rank

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def device(self, device: torch.device) -> torch.device:
        """One GPU per process on a machine: rank r's local rank picks it."""
        if self.enabled and device.type == "cuda":
            if self.local_rank >= torch.cuda.device_count():
                raise DistributedError(
                    f"process {self.rank} needs GPU {self.local_rank} but this machine has "
                    f"{torch.cuda.device_count()}: start at most that many processes per machine "
                    "on --device cuda, or train on --device cpu.")
            torch.cuda.set_device(self.local_rank)
            return torch.device("cuda", self.local_rank)
        return device

    def shard(self, n: int) -> slice:
        """This rank's contiguous rows of a global batch of n (sizes differ by at most one)."""
        return slice(n * self.rank // self.world, n * (self.rank + 1) // self.world)

    def all_sum(self, values: torch.Tensor) -> torch.Tensor:
        """Sum of `values` over the ranks (a no-op alone); PeerLost if a rank is gone."""
        if self.enabled:
            try:
                dist.all_reduce(values, op=dist.ReduceOp.SUM)
            except RuntimeError as exc:  # DistBackendError and gloo's plain RuntimeErrors
                raise peer_lost(exc) from exc
        return values

    def share(self, obj):
        """Rank 0's `obj`, on every rank (what run to train, or that there is none)."""
        if not self.enabled:
            return obj
        box = [obj]
        try:
            dist.broadcast_object_list(box, src=0)
        except RuntimeError as exc:
            raise peer_lost(exc) from exc
        return box[0]

    def close(self) -> None:
        if self.enabled and dist.is_initialized():
            dist.destroy_process_group()


class PeerLost(DistributedError):
    """A collective failed: another training process died, was killed or stopped answering."""


def peer_lost(exc: BaseException) -> PeerLost:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    return PeerLost(f"another training process of this run died or stopped answering "
                    f"({type(exc).__name__}: {first})")


def join_from_env(environ=os.environ) -> Group:
    """Group() for a plain `python -m vae.train`; under torchrun (WORLD_SIZE > 1) the process group,
    joined with gloo for CPU tensors and nccl for CUDA ones. DistributedError in words when the
    environment is incomplete or the processes cannot meet within the timeout."""
    try:
        world = int(environ.get("WORLD_SIZE", "1") or 1)
        rank = int(environ.get("RANK", "0") or 0)
        local_rank = int(environ.get("LOCAL_RANK", str(rank)) or rank)
    except ValueError as exc:
        raise DistributedError(f"WORLD_SIZE, RANK and LOCAL_RANK must be whole numbers ({exc}); "
                               "start the processes with torchrun.") from exc
    if world <= 1:
        return Group()
    if not 0 <= rank < world:
        raise DistributedError(f"RANK {rank} is outside 0..{world - 1} (WORLD_SIZE {world}).")
    missing = [k for k in ("MASTER_ADDR", "MASTER_PORT") if not environ.get(k)]
    if missing:
        raise DistributedError(f"WORLD_SIZE is {world} but {' and '.join(missing)} is not set: "
                               "start the processes with `torchrun --standalone --nproc_per_node="
                               f"{world} -m vae.train ...`.")
    backend = "cpu:gloo,cuda:nccl" if torch.cuda.is_available() else "gloo"
    if rank != 0:  # rank 0 serves the rendezvous; a missing one is said here in one sentence,
        _wait_for_rendezvous(environ, rank, world)  # not in pages of C++ connection logs
    try:
        dist.init_process_group(backend=backend, rank=rank, world_size=world,
                                timeout=datetime.timedelta(seconds=timeout_s(environ)))
    except (RuntimeError, ValueError) as exc:  # DistStoreError, DistNetworkError, timeouts
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise DistributedError(
            f"process {rank} of {world} could not meet the others at "
            f"{environ['MASTER_ADDR']}:{environ['MASTER_PORT']} within {timeout_s(environ):g} s "
            f"({type(exc).__name__}: {first}). Start all {world} with one `torchrun --standalone "
            f"--nproc_per_node={world} -m vae.train ...`.") from exc
    return Group(rank, world, local_rank)


def _wait_for_rendezvous(environ, rank: int, world: int) -> None:
    host, port = environ["MASTER_ADDR"], environ["MASTER_PORT"]
    deadline = time.monotonic() + timeout_s(environ)
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=1.0):
                return
        except (OSError, ValueError) as exc:
            if isinstance(exc, ValueError) or time.monotonic() > deadline:
                raise DistributedError(
                    f"process {rank} of {world} could not meet the others at {host}:{port} within "
                    f"{timeout_s(environ):g} s: nothing answers there ({exc}). Start all {world} "
                    f"with one `torchrun --standalone --nproc_per_node={world} -m vae.train ...`."
                ) from exc
            time.sleep(0.2)


def timeout_s(environ=os.environ) -> float:
    try:
        return max(1.0, float(environ.get(TIMEOUT_ENV, "120")))
    except ValueError:
        return 120.0


class ShardObjective(nn.Module):
    """What DDP wraps: -log p(x|z) and KL per dim for this rank's slice of the batch, with its slice
    of the global batch's noise eps, so z = mu + sigma * eps is the single-process run's z."""

    def __init__(self, vae: VAE, bf16: bool = False):
        super().__init__()
        self.vae, self.bf16 = vae, bf16

    def forward(self, x: torch.Tensor, eps: torch.Tensor):
        # bf16 autocast for the network's matrix products only; mu, log sigma^2 and the decoder's
        # output come back to fp32, so z, -log p(x|z) and the KL are fp32 sums as without it
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            h = self.vae.encoder(x)
            mu, logvar = self.vae.to_mu(h), self.vae.to_logvar(h)
        posterior = Posterior(mu.float(), logvar.float())
        z = self.vae.reparameterize(posterior.mu, posterior.logvar, eps=eps)
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            out = self.vae.decode_logits(z)
        return self.vae.neg_log_likelihood(x, out.float()), posterior.kl()


@torch.no_grad()
def evaluate_sharded(model: VAE, x: torch.Tensor, group: Group, batch_size: int = 1000,
                     generator: torch.Generator | None = None) -> dict:
    """vae.losses.evaluate over the whole of x, each rank encoding its slice of every batch of 1000
    with its slice of the same noise. Sums (float64) are all-reduced: every image counts once, none
    is padded or repeated. Active units come from the variance of mu through its sum and sum of
    squares. The same keys and meaning as evaluate; equal to it up to the order of additions."""
    from .losses import ACTIVE_UNIT_THRESHOLD, bits_per_dim  # a sibling; imported here to keep this module's top light

    model.eval()
    d = model.config.latent_dim
    sums = torch.zeros(2 + 3 * d, dtype=torch.float64, device=x.device)
    for i in range(0, len(x), batch_size):
        batch = x[i:i + batch_size]
        eps = torch.randn((len(batch), d), generator=generator, device=x.device)
        part = group.shard(len(batch))
        posterior = model.encode(batch[part])
        z = model.reparameterize(posterior.mu, posterior.logvar, eps=eps[part])
        recon = model.neg_log_likelihood(batch[part], model.decode_logits(z)).double()
        kl, mu = posterior.kl().double(), posterior.mu.double()
        sums[0] += len(recon)
        sums[1] += recon.sum()
        sums[2:2 + d] += kl.sum(0)
        sums[2 + d:2 + 2 * d] += mu.sum(0)
        sums[2 + 2 * d:] += mu.pow(2).sum(0)
    group.all_sum(sums)
    n = sums[0].item()
    recon = sums[1].item() / n
    kl_per_dim = (sums[2:2 + d] / n).tolist()
    mu_sum, mu_sq = sums[2 + d:2 + 2 * d], sums[2 + 2 * d:]
    mu_var = (mu_sq - mu_sum.pow(2) / n) / max(n - 1, 1)  # unbiased, like Tensor.var
    neg_elbo = recon + sum(kl_per_dim)
    return {
        "recon": recon,
        "kl": sum(kl_per_dim),
        "neg_elbo": neg_elbo,
        "bits_per_dim": bits_per_dim(neg_elbo, model.config.n_pixels),
        "kl_per_dim": kl_per_dim,
        "active_units": int((mu_var > ACTIVE_UNIT_THRESHOLD).sum().item()),
        "images": int(n),
    }
