"""How well a 2-D latent separates the digits, by training recipe: `.venv/bin/python bench/bench_mnist2d.py`.

Each recipe trains MNIST-5k (4,000 train / 1,000 test) with `python -m vae.train` into a temp
folder (one thread), for each seed. Two figures of the test set, as the Latent and Reconstructions
pages would show them:
  5-NN    accuracy of a 5-nearest-neighbour classifier on the test mu, neighbours from the train mu
  decode  share of test images whose decode_mean(mu) the project's pixel classifier
          (vae.quality: PCA + logistic regression fitted on the training pixels) gives their class
and the test -ELBO, the prior samples the same classifier recognises (p >= 0.9), and the time.
The floor: a 2-D PCA of the pixels (5-NN only).

    .venv/bin/python bench/bench_mnist2d.py --recipes old,shipped --seeds 0,1,2
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_words, load_average  # noqa: E402
from vae import quality  # noqa: E402
from vae.data import load_dataset  # noqa: E402
from vae.run import RunDir  # noqa: E402

RECIPES = {
    "old": "--hidden 256 --epochs 30",  # the shipped run before this recipe
    "deeper": "--hidden 512,256 --epochs 100",
    "shipped": "--hidden 512,256 --epochs 100 --shift 1",  # bench/make_shipped_runs.sh
}


def knn5(mu_train, train_y, mu_test, test_y) -> float:
    return KNeighborsClassifier(n_neighbors=5).fit(mu_train, train_y).score(mu_test, test_y)


@torch.no_grad()
def figures(model, data, classifier) -> dict:
    model.eval()
    mu_train = model.encode(torch.from_numpy(data.train_x.copy())).mu
    mu_test = model.encode(torch.from_numpy(data.test_x.copy())).mu
    decoded = model.decode_mean(mu_test).numpy().reshape(len(mu_test), -1)
    right = float(np.mean(classifier.predict(decoded) == data.test_y))
    prior = quality.prior_sample_quality(model, classifier)
    return {"knn5": knn5(mu_train.numpy(), data.train_y, mu_test.numpy(), data.test_y),
            "decode": right, "prior": prior.share if hasattr(prior, "share") else float(prior)}


def train(root: Path, name: str, recipe: str, seed: int) -> float:
    cmd = [sys.executable, "-m", "vae.train", "--dataset", "mnist-5k", "--latent-dim", "2",
           *recipe.split(), "--seed", str(seed), "--threads", "1", "--quiet", "--snapshot-every",
           "1000", "--root", str(root), "--name", name]
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True)
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", default="old,shipped")
    parser.add_argument("--seeds", default="0")
    args = parser.parse_args()
    data = load_dataset("mnist-5k")
    classifier = quality.fit_pixel_classifier(data)
    flat = lambda x: x.reshape(len(x), -1)  # noqa: E731
    pca = PCA(n_components=2, random_state=0).fit(flat(data.train_x))
    floor = knn5(pca.transform(flat(data.train_x)), data.train_y, pca.transform(flat(data.test_x)),
                 data.test_y)
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.recipes.split(","):
            got = []
            for seed in seeds:
                seconds = train(Path(tmp), f"{name}-{seed}", RECIPES[name], seed)
                run = RunDir(Path(tmp) / f"{name}-{seed}")
                last = [m for m in run.read_metrics() if m.get("kind") == "epoch"][-1]
                got.append({"seconds": seconds, "neg_elbo": last["test/neg_elbo"],
                            **figures(run.load_model(), data, classifier)})
                print(f"{name} seed {seed}: {got[-1]}", file=sys.stderr, flush=True)
            rows.append((name, got))
    print(f"\n{cpu_words()}; load average {load_average()}\n")
    print(f"MNIST-5k, 2-D latent, Bernoulli, Adam 1e-3, batch 128, 1 thread; seeds {args.seeds} "
          "(mean, and the range over seeds)\n")
    print("| recipe | flags | 5-NN of test mu | decode(mu) given its class | prior samples "
          "recognised | test −ELBO | train s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    print(f"| PCA of the pixels (floor) | – | {floor:.3f} | – | – | – | – |")
    for name, got in rows:
        def cell(key, fmt):
            vals = [g[key] for g in got]
            mean = statistics.mean(vals)
            return (f"{mean:{fmt}}" if len(vals) == 1
                    else f"{mean:{fmt}} ({min(vals):{fmt}}–{max(vals):{fmt}})")
        print(f"| {name} | `{RECIPES[name]}` | {cell('knn5', '.3f')} | {cell('decode', '.3f')} | "
              f"{cell('prior', '.2f')} | {cell('neg_elbo', '.1f')} | {cell('seconds', '.0f')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
