"""How fast a 2-D latent separates the digits: `.venv/bin/python bench/bench_mnist2d.py`.

The shipped mnist5k-2d configuration (mlp 784-256-2, Bernoulli, Adam 1e-3, batch 128, seed 0,
30 epochs) trained by vae.train.train into a temp folder, timed end to end (data to last checkpoint,
test evaluations included). Class separation of the test posterior means mu: 5-NN accuracy of
test mu with neighbours from train mu, and the silhouette of test mu by label (scikit-learn), for
the trained model and, as the floor, the same network before training and a 2-D PCA of the pixels.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.neighbors import KNeighborsClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vae.data import load_dataset  # noqa: E402
from vae.model import VAE, VAEConfig  # noqa: E402
from vae.run import RunDir, TrainConfig  # noqa: E402
from vae.train import train  # noqa: E402

MODEL = VAEConfig(hidden=(256,), latent_dim=2)
BUDGET_S = 20.0


def separation(model: VAE | None, data) -> dict:
    """5-NN accuracy and silhouette of 2-D codes; model None: PCA of the pixels, the linear floor."""
    if model is None:
        pca = PCA(n_components=2, random_state=0).fit(data.train_x.reshape(len(data.train_x), -1))
        mu_train = pca.transform(data.train_x.reshape(len(data.train_x), -1))
        mu_test = pca.transform(data.test_x.reshape(len(data.test_x), -1))
    else:
        with torch.no_grad():
            mu_train = model.encode(torch.from_numpy(data.train_x.copy())).mu.numpy()
            mu_test = model.encode(torch.from_numpy(data.test_x.copy())).mu.numpy()
    knn = KNeighborsClassifier(n_neighbors=5).fit(mu_train, data.train_y)
    return {"knn5": knn.score(mu_test, data.test_y),
            "silhouette": float(silhouette_score(mu_test, data.test_y))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    data = load_dataset("mnist-5k")
    torch.manual_seed(0)
    untrained = separation(VAE(MODEL).eval(), data)
    pca = separation(None, data)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        for r in range(args.repeats):
            run = RunDir.create(root, f"mnist2d-{r}", MODEL,
                                TrainConfig(dataset="mnist-5k", epochs=args.epochs, batch_size=128,
                                            lr=1e-3, seed=0, device="cpu"))
            t = time.perf_counter()
            assert train(run, quiet=True) == "finished"
            seconds = time.perf_counter() - t
            last = [m for m in run.read_metrics() if m.get("kind") == "epoch"][-1]
            rows.append({"seconds": seconds, "neg_elbo": last["test/neg_elbo"],
                         **separation(run.load_model(), data)})
            print(f"repeat {r + 1}/{args.repeats}: {seconds:.1f} s", file=sys.stderr)
    med = {k: float(np.median([row[k] for row in rows])) for k in rows[0]}
    print(f"\nMNIST-5k (4,000 train / 1,000 test), mlp 784-256-2, Bernoulli, Adam 1e-3, batch 128, "
          f"seed 0, {args.epochs} epochs; torch {torch.__version__}, {torch.get_num_threads()} "
          f"threads; median of {args.repeats}\n")
    print("| model | wall time to train (s) | test -ELBO (nats/image) | 5-NN accuracy of test mu "
          "| silhouette of test mu |")
    print("|---|---:|---:|---:|---:|")
    print(f"| PCA of the pixels to 2-D (linear floor) | - | - | {pca['knn5']:.3f} | "
          f"{pca['silhouette']:.3f} |")
    print(f"| VAE before training | - | - | {untrained['knn5']:.3f} | {untrained['silhouette']:.3f} |")
    print(f"| VAE after {args.epochs} epochs | {med['seconds']:.1f} | {med['neg_elbo']:.1f} | "
          f"{med['knn5']:.3f} | {med['silhouette']:.3f} |")
    verdict = "within" if med["seconds"] <= BUDGET_S else "OVER"
    print(f"\nTraining took {med['seconds']:.1f} s: {verdict} the {BUDGET_S:.0f} s budget.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
