"""Runs side by side: a run as a point of the rate-distortion plane (RunPoint), its autoencoder
twin (find_autoencoder, find_vae), and beta families: runs that differ in beta only (same data,
model shape and epochs), by beta.

The shipped family (mnist5k-16d-beta*) is where collapse is seen: as beta grows, reconstructions
turn alike and latent dims stop carrying anything about x. Never imports streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .run import RunDir, RunError

FAMILY_PREFIX = "mnist5k-16d-beta"  # the shipped family (bench/make_shipped_runs.sh)


@dataclass(frozen=True)
class RunPoint:
    """A finished (or running) run as a point on the rate-distortion plane, from its last epoch."""
    name: str
    dataset: str
    latent_dim: int
    beta: float
    epoch: int
    kl: float  # rate, nats per image
    recon: float  # distortion, nats per image
    active_units: int

    @property
    def collapsed(self) -> bool:
        """The posterior ignores x: no dim whose mean moves with x (every dim inactive by
        vae.losses.ACTIVE_UNIT_THRESHOLD). One definition, so a run called collapsed never shows
        an active unit beside the word."""
        return self.active_units == 0


def run_point(run: RunDir) -> RunPoint | None:
    """The run's last test epoch as a point, or None when it has not finished an epoch yet."""
    try:
        model_cfg, train_cfg = run.read_config()
    except RunError:
        return None
    rows = [r for r in run.read_metrics() if r.get("kind") == "epoch" and "test/kl" in r]
    if not rows:
        return None
    last = rows[-1]
    return RunPoint(run.name, train_cfg.dataset, model_cfg.latent_dim, float(model_cfg.beta),
                    int(last["epoch"]), float(last["test/kl"]), float(last["test/recon"]),
                    int(last.get("test/active_units", model_cfg.latent_dim)))


def beta_family(points: list[RunPoint]) -> list[RunPoint]:
    """Runs that differ in beta only, as far as the points tell: of the groups trained for the same
    number of epochs, the one with most distinct betas (ties: the longer training), by beta."""
    groups: dict[int, list[RunPoint]] = {}
    for p in points:
        groups.setdefault(p.epoch, []).append(p)
    if not groups:
        return []
    best = max(groups, key=lambda e: (len({p.beta for p in groups[e]}), e))
    return sorted(groups[best], key=lambda p: (p.beta, p.name))


def epoch_curves(rows: list[dict]) -> dict[str, np.ndarray]:
    """Test curves by epoch from metrics.jsonl rows: epoch, recon, kl, neg_elbo, active_units."""
    ep = [r for r in rows if r.get("kind") == "epoch" and "test/neg_elbo" in r]
    return {"epoch": np.array([r["epoch"] for r in ep], int),
            "recon": np.array([r["test/recon"] for r in ep], float),
            "kl": np.array([r["test/kl"] for r in ep], float),
            "neg_elbo": np.array([r["test/neg_elbo"] for r in ep], float),
            "active_units": np.array([r.get("test/active_units", 0) for r in ep], int)}


def find_autoencoder(runs: list[RunDir], like: RunDir) -> RunDir | None:
    """A beta = 0 run (a plain autoencoder) with the same dataset, latent dim and image shape."""
    try:
        model_cfg, train_cfg = like.read_config()
    except RunError:
        return None
    for run in runs:
        if run.name == like.name or not run.weights_file.exists():
            continue
        try:
            m, t = run.read_config()
        except RunError:
            continue
        if (m.beta == 0 and t.dataset == train_cfg.dataset and m.latent_dim == model_cfg.latent_dim
                and m.image_shape == model_cfg.image_shape):
            return run
    return None


def find_vae(runs: list[RunDir], autoencoder: RunDir) -> RunDir | None:
    """A beta > 0 run whose matching autoencoder is `autoencoder`: the VAE to compare it with."""
    for run in runs:
        try:
            if run.read_config()[0].beta <= 0 or not run.weights_file.exists():
                continue
        except RunError:
            continue
        match = find_autoencoder(runs, run)
        if match is not None and match.name == autoencoder.name:
            return run
    return None


@dataclass(frozen=True)
class Member:
    point: RunPoint
    run: RunDir


def _shape(run: RunDir):
    m, t = run.read_config()
    return (t.dataset, m.arch, tuple(m.hidden), m.latent_dim, m.likelihood, tuple(m.image_shape),
            m.kl_warmup_epochs)


def beta_families(runs: list[RunDir]) -> list[list[Member]]:
    """Groups of runs with the same dataset, architecture, latent size and epochs trained, each
    sorted by beta; only groups holding at least two betas. Runs without weights are left out."""
    groups: dict[tuple, list[Member]] = {}
    for run in runs:
        try:
            shape = _shape(run)
        except RunError:
            continue
        point = run_point(run)
        if point is None or not run.weights_file.exists():
            continue
        groups.setdefault(shape + (point.epoch,), []).append(Member(point, run))
    families = []
    for members in groups.values():
        members.sort(key=lambda m: (m.point.beta, m.run.name))
        if len({m.point.beta for m in members}) >= 2:
            families.append(members)
    return families


def best_family(runs: list[RunDir], prefer: RunDir | None = None,
                min_betas: int = 3) -> list[Member]:
    """The family of `prefer` when it has at least `min_betas` betas; otherwise the family with
    most betas (ties: the larger latent, then the longer training). [] when there is none."""
    families = beta_families(runs)
    if prefer is not None:
        for fam in families:
            if (any(m.run.name == prefer.name for m in fam)
                    and len({m.point.beta for m in fam}) >= min_betas):
                return fam
    if not families:
        return []
    return max(families, key=lambda f: (len({m.point.beta for m in f}), f[0].point.latent_dim,
                                         f[0].point.epoch))


def autoencoder_and_vae(family: list[Member]) -> tuple[Member, Member] | None:
    """From a family: its beta = 0 run and its beta = 1 run (else the beta closest to 1)."""
    ae = [m for m in family if m.point.beta == 0]
    vaes = [m for m in family if m.point.beta > 0]
    if not ae or not vaes:
        return None
    return ae[0], min(vaes, key=lambda m: abs(m.point.beta - 1.0))
