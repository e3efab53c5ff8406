"""The three figures of issue 16 section 1, measured the way the project measures them.

knn5: 5-NN accuracy of the test mu, neighbours from the train mu (bench/bench_mnist2d.py).
recon_acc: share of test images whose decode_mean(mu) the project's pixel classifier
  (vae.quality.fit_pixel_classifier) assigns to the input's class (argmax).
prior_share: vae.quality.prior_sample_quality (1,000 N(0,I) decodes, seed 0, p >= 0.9).
neg_elbo: vae.losses.evaluate on the test set with a generator seeded 0 (as the trainer does).
"""
from __future__ import annotations

import functools

import numpy as np
import torch
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_limits

from vae import quality as vq
from vae.data import load_dataset
from vae.losses import evaluate


@functools.lru_cache(1)
def data():
    return load_dataset("mnist-5k")


@functools.lru_cache(1)
def clf():
    return vq.fit_pixel_classifier(data())


@torch.no_grad()
def measure(model, d=None) -> dict:
    d = d or data()
    model.eval()
    tr = torch.from_numpy(d.train_x.copy())
    te = torch.from_numpy(d.test_x.copy())
    mu_tr = model.encode(tr).mu
    mu_te = model.encode(te).mu
    with threadpool_limits(1):
        knn = KNeighborsClassifier(n_neighbors=5).fit(mu_tr.numpy(), d.train_y)
        knn5 = knn.score(mu_te.numpy(), d.test_y)
        rec = model.decode_mean(mu_te).numpy().reshape(len(te), -1)
        recon_acc = float((clf().predict(rec) == d.test_y).mean())
    prior = vq.prior_sample_quality(model, clf()).share
    ev = evaluate(model, te, generator=torch.Generator().manual_seed(0))
    return {"knn5": float(knn5), "recon_acc": recon_acc, "prior_share": prior,
            "neg_elbo": ev["neg_elbo"], "kl": ev["kl"], "active": ev["active_units"]}


if __name__ == "__main__":
    import sys
    try:
        from vae.run import RunDir
    except ImportError:
        from vae.runs import RunDir
    for name in sys.argv[1:]:
        m = RunDir(f"/work/main/checkpoints/{name}").load_model()
        print(name, {k: round(v, 3) for k, v in measure(m).items()}, flush=True)
