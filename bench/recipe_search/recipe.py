"""A faithful copy of vae.train's plain fp32 loop, plus the knobs issue 16 asks about.

Same as the trainer: VAE(VAEConfig), fused Adam, torch.manual_seed(seed) before the model is built,
a shuffle generator seeded `seed`, an eps generator seeded `seed + 1`, vae.losses.loss_terms and
LossTerms.objective(beta_at(...)), the trainer's lr_schedule (linear warm-up + cosine).
Added (the trainer lacks these):
  --shift K      random integer translation of every training image by up to +-K px in x and y
                 (zero padding), drawn fresh each step from its own generator (seed + 2)
  --holdout N    keep N training images (a stratified, seeded split) out of training, to pick the
                 epoch: early stopping on the holdout's -ELBO (or its 5-NN acc, --select knn)
                 with --patience; the best epoch's weights are restored.  Never the test set.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parent)]

import numpy as np  # noqa: E402
import torch
from torch.nn import functional as F
from sklearn.neighbors import KNeighborsClassifier

from vae.losses import evaluate, loss_terms
from vae.model import VAE, VAEConfig
from vae.train import beta_at, lr_schedule, make_optimizer

from vae.run import TrainConfig
from vae.data.dataset import stratified_split

import metrics  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results.jsonl"


def random_shift(x: torch.Tensor, k: int, gen: torch.Generator) -> torch.Tensor:
    """Each image moved by (dy, dx) in [-k, k]^2, zeros shifted in. x: (B, 1, H, W)."""
    if k <= 0:
        return x
    b, c, h, w = x.shape
    pad = F.pad(x, (k, k, k, k))
    d = torch.randint(0, 2 * k + 1, (b, 2), generator=gen)
    # gather the window per image: build index grids
    iy = (torch.arange(h)[None, :] + d[:, :1])  # (B, H)
    ix = (torch.arange(w)[None, :] + d[:, 1:])  # (B, W)
    bi = torch.arange(b)[:, None, None]
    p = pad[:, 0]  # (B, H+2k, W+2k)
    rows = p[bi, iy[:, :, None], ix[:, None, :]]  # (B, H, W)
    return rows[:, None]


def train(args) -> dict:
    d = metrics.data()
    train_x, train_y = d.train_x, d.train_y
    hold_x = hold_y = None
    if args.holdout:
        tr_idx, ho_idx = stratified_split(train_y, args.holdout / len(train_y), args.split_seed)
        hold_x, hold_y = train_x[ho_idx], train_y[ho_idx]
        train_x, train_y = train_x[tr_idx], train_y[tr_idx]
    cfg = VAEConfig(arch=args.arch, hidden=tuple(args.hidden), latent_dim=args.latent,
                    beta=args.beta, kl_warmup_epochs=args.kl_warmup)
    tcfg = TrainConfig(dataset="mnist-5k", epochs=args.epochs, batch_size=args.batch, lr=args.lr,
                       seed=args.seed, device="cpu", warmup_steps=args.warmup_steps,
                       lr_schedule=args.lr_schedule)
    torch.manual_seed(args.seed)
    model = VAE(cfg)
    opt = make_optimizer(model, args.lr)
    shuffle_gen = torch.Generator().manual_seed(args.seed)
    eps_gen = torch.Generator().manual_seed(args.seed + 1)
    aug_gen = torch.Generator().manual_seed(args.seed + 2)
    X = torch.from_numpy(train_x.copy())
    H = torch.from_numpy(hold_x.copy()) if hold_x is not None else None
    spe = math.ceil(len(X) / args.batch)
    lr_of = lr_schedule(tcfg, spe * args.epochs)
    step, best, best_state, best_epoch, bad = 0, math.inf, None, 0, 0
    t0 = time.perf_counter()
    history = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(X), generator=shuffle_gen)
        for i in range(spe):
            rows = order[i * args.batch:(i + 1) * args.batch]
            beta = beta_at(cfg, epoch, i / spe)
            if lr_of is not None:
                for g in opt.param_groups:
                    g["lr"] = lr_of(step)
            x = random_shift(X[rows], args.shift, aug_gen)
            loss = loss_terms(model, x, eps_gen).objective(beta)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
        if args.verbose or epoch % 10 == 0:
            print(f"{args.tag} epoch {epoch} {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
        if H is not None:
            ev = evaluate(model, H, generator=torch.Generator().manual_seed(0))
            if args.select == "knn":
                with torch.no_grad():
                    mtr = model.encode(X).mu.numpy()
                    mho = model.encode(H).mu.numpy()
                score = -KNeighborsClassifier(5).fit(mtr, train_y).score(mho, hold_y)
            else:
                score = ev["neg_elbo"]
            history.append((epoch, round(ev["neg_elbo"], 2), round(-score, 3) if args.select == "knn" else None))
            if score < best - 1e-9:
                best, best_state, best_epoch, bad = score, copy.deepcopy(model.state_dict()), epoch, 0
            else:
                bad += 1
                if args.patience and bad >= args.patience:
                    break
    seconds = time.perf_counter() - t0
    if best_state is not None:
        model.load_state_dict(best_state)
    out = metrics.measure(model)
    dec = sum(p.numel() for n, p in model.named_parameters() if n.startswith("decoder"))
    out.update({"epoch": best_epoch or args.epochs, "ran": epoch, "seconds": seconds,
                "dec_params": dec, "params": cfg.n_parameters})
    if args.save:
        torch.save(model.state_dict(), args.save)
    if args.verbose:
        print(history, file=sys.stderr)
    return out


def parser():
    p = argparse.ArgumentParser()
    p.add_argument("--tag", default="")
    p.add_argument("--arch", default="mlp")
    p.add_argument("--hidden", type=int, nargs="+", default=[256])
    p.add_argument("--latent", type=int, default=2)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--kl-warmup", type=int, default=0)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup-steps", type=int, default=0)
    p.add_argument("--lr-schedule", default="constant")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--shift", type=int, default=0)
    p.add_argument("--holdout", type=int, default=0)
    p.add_argument("--split-seed", type=int, default=0)
    p.add_argument("--select", default="elbo", choices=("elbo", "knn"))
    p.add_argument("--patience", type=int, default=0)
    p.add_argument("--save", default="")
    p.add_argument("--verbose", action="store_true")
    return p


if __name__ == "__main__":
    a = parser().parse_args()
    r = train(a)
    r = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}
    line = {"tag": a.tag, "args": " ".join(sys.argv[1:]), **r}
    print(json.dumps(line), flush=True)
    with open(RESULTS, "a") as f:
        f.write(json.dumps(line) + "\n")
