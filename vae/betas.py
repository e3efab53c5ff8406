"""Beta families: runs that differ in beta only (same data, model shape and epochs), by beta.

The shipped family (mnist5k-16d-beta*) is where collapse is seen: as beta grows, reconstructions
turn alike and latent dims stop carrying anything about x. Never imports streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass

from .explain import RunPoint, run_point
from .run import RunDir, RunError

FAMILY_PREFIX = "mnist5k-16d-beta"  # the shipped family (bench/make_shipped_runs.sh)


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
