"""Our trainer against a plain PyTorch loop, side by side: `.venv/bin/python bench/bench_trainer.py`.

The classic configuration (Kingma & Welling's MLP as in pytorch/examples: 784-400-20, Adam 1e-3,
batch 128, Bernoulli likelihood, seed 0) on Fashion-MNIST for 3 epochs. Ours is vae.train.train on
a run folder in a temp directory, with everything it does (metrics, status, checkpoints); the
plain loop is a hand-written nn.Sequential model over the same preloaded tensors. Runs alternate,
--repeats times each, and the table gives the median and best training throughput (samples/s,
test evaluation excluded; on a shared machine the best is the least disturbed) and the test -ELBO
after the last epoch (nats/image, one z per image).
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import vae.train.loop  # noqa: E402
from vae.data import DatasetError, load_dataset  # noqa: E402
from vae.model import VAEConfig  # noqa: E402
from vae.run import RunDir, TrainConfig  # noqa: E402

EPOCHS, BATCH, LR, SEED, LATENT, HIDDEN = 3, 128, 1e-3, 0, 20, 400


def ours(root: Path, name: str) -> dict:
    """vae.train.train, timed from its first training step to its return, minus its evaluations."""
    run = RunDir.create(root, name, VAEConfig(hidden=(HIDDEN,), latent_dim=LATENT),
                        TrainConfig(dataset="fashion-mnist", epochs=EPOCHS, batch_size=BATCH, lr=LR,
                                    seed=SEED, device="cpu"))
    clock = {"first_step": None, "eval": 0.0}
    real_loss_terms, real_evaluate = vae.train.loop.loss_terms, vae.train.loop.evaluate

    def loss_terms(*args, **kw):
        if clock["first_step"] is None:
            clock["first_step"] = time.perf_counter()
        return real_loss_terms(*args, **kw)

    def evaluate(*args, **kw):
        t = time.perf_counter()
        try:
            return real_evaluate(*args, **kw)
        finally:
            clock["eval"] += time.perf_counter() - t

    vae.train.loop.loss_terms, vae.train.loop.evaluate = loss_terms, evaluate
    try:
        assert vae.train.train(run, quiet=True) == "finished"
        end = time.perf_counter()
    finally:
        vae.train.loop.loss_terms, vae.train.loop.evaluate = real_loss_terms, real_evaluate
    n_train = len(load_dataset("fashion-mnist").train_x)
    seconds = end - clock["first_step"] - clock["eval"]
    last = [r for r in run.read_metrics() if r.get("kind") == "epoch"][-1]
    return {"samples_per_s": EPOCHS * n_train / seconds, "test_neg_elbo": last["test/neg_elbo"]}


def plain(train_x: torch.Tensor, test_x: torch.Tensor, fused: bool = False) -> dict:
    """The loop everyone writes first: no run folder, no metrics, no checks. `fused` gives it the
    fused Adam our trainer uses, to separate the optimizer's gain from the trainer's overhead."""
    torch.manual_seed(SEED)
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, HIDDEN), nn.ReLU())
    to_mu, to_logvar = nn.Linear(HIDDEN, LATENT), nn.Linear(HIDDEN, LATENT)
    decoder = nn.Sequential(nn.Linear(LATENT, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 784))
    params = [*encoder.parameters(), *to_mu.parameters(), *to_logvar.parameters(),
              *decoder.parameters()]
    optimizer = torch.optim.Adam(params, lr=LR, fused=fused or None)
    gen = torch.Generator().manual_seed(SEED)

    def neg_elbo(x):  # per image: BCE summed over pixels + KL (Kingma & Welling, appendix B)
        h = encoder(x)
        mu, logvar = to_mu(h), to_logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen)
        recon = F.binary_cross_entropy_with_logits(decoder(z), x.flatten(1), reduction="none").sum(1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
        return recon + kl

    seconds = 0.0
    for _ in range(EPOCHS):
        t = time.perf_counter()
        order = torch.randperm(len(train_x), generator=gen)
        for i in range(0, len(train_x), BATCH):
            loss = neg_elbo(train_x[order[i:i + BATCH]]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds += time.perf_counter() - t
    with torch.no_grad():
        test = torch.cat([neg_elbo(test_x[i:i + 1000]) for i in range(0, len(test_x), 1000)])
    return {"samples_per_s": EPOCHS * len(train_x) / seconds, "test_neg_elbo": test.mean().item()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(),
                        help="torch intra-op threads for both (default: torch's, one per core)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        data = load_dataset("fashion-mnist")
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    train_x, test_x = torch.from_numpy(data.train_x.copy()), torch.from_numpy(data.test_x.copy())
    results = {"ours": [], "plain": [], "plain_fused": []}
    with tempfile.TemporaryDirectory() as root:
        for r in range(args.repeats):  # who goes first alternates too: no order bias
            first_ours = r % 2 == 0
            if first_ours:
                results["ours"].append(ours(Path(root), f"bench-{r}"))
            results["plain"].append(plain(train_x, test_x))
            results["plain_fused"].append(plain(train_x, test_x, fused=True))
            if not first_ours:
                results["ours"].append(ours(Path(root), f"bench-{r}"))
            print(f"repeat {r + 1}/{args.repeats}: ours {results['ours'][-1]['samples_per_s']:,.0f}"
                  f" samples/s, plain {results['plain'][-1]['samples_per_s']:,.0f}, plain fused "
                  f"{results['plain_fused'][-1]['samples_per_s']:,.0f} samples/s",
                  file=sys.stderr)
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("samples_per_s", "test_neg_elbo")}
           for k, v in results.items()}
    print(f"\nFashion-MNIST, mlp 784-400-20, Adam 1e-3, batch 128, Bernoulli, seed 0, {EPOCHS} epochs; "
          f"median of {args.repeats} alternating runs; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads\n")
    print("| trainer | train samples/s, median | best | test -ELBO (nats/image) | all runs' samples/s |")
    print("|---|---:|---:|---:|---|")
    best = {k: max(r["samples_per_s"] for r in v) for k, v in results.items()}
    for k, label in (("ours", "vae.train (run folder, metrics, checkpoints; fused Adam)"),
                     ("plain", "plain PyTorch loop (default Adam)"),
                     ("plain_fused", "plain PyTorch loop (fused Adam)")):
        runs = ", ".join(f"{r['samples_per_s']:,.0f}" for r in results[k])
        print(f"| {label} | {med[k]['samples_per_s']:,.0f} | {best[k]:,.0f} | "
              f"{med[k]['test_neg_elbo']:.1f} | {runs} |")
    ratios = []
    for k, label in (("plain", "ours / plain"), ("plain_fused", "ours / plain fused")):
        ratio = med["ours"]["samples_per_s"] / med[k]["samples_per_s"]
        pairs = [o["samples_per_s"] / p["samples_per_s"] for o, p in zip(results["ours"], results[k])]
        print(f"| {label} | {ratio:.2f} | {best['ours'] / best[k]:.2f} | "
              f"{med['ours']['test_neg_elbo'] - med[k]['test_neg_elbo']:+.1f} | "
              f"pairwise: {', '.join(f'{q:.2f}' for q in pairs)} |")
        ratios.append(ratio)
    return 0 if all(math.isfinite(r) for r in ratios) else 1


if __name__ == "__main__":
    sys.exit(main())
