"""The shipped beta family: present, ordered by beta, trained alike, collapsing as beta grows."""
import pytest

from vae import betas as vb
from vae.run import DEFAULT_ROOT, list_runs

BETAS = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]


@pytest.fixture(scope="module")
def family():
    return vb.best_family(list_runs(DEFAULT_ROOT))


def test_the_family_ships_whole_and_ordered(family):
    assert [m.point.beta for m in family] == BETAS
    assert [m.run.name for m in family] == [f"{vb.FAMILY_PREFIX}{b:g}" for b in BETAS]
    configs = [m.run.read_config() for m in family]
    assert {(m.point.dataset, m.point.latent_dim, m.point.epoch) for m in family} == {
        (train.dataset, 16, train.epochs) for _, train in configs} == {("mnist-5k", 16,
        configs[0][1].epochs)}, "same data, latent size and epochs: only beta differs"
    # each point is the finished model, not an early snapshot
    assert all(m.point.epoch == m.run.snapshot_epochs()[-1] for m in family)
    shapes = {(c.arch, tuple(c.hidden)) for c, _ in configs}
    assert len(shapes) == 1 and next(iter(shapes))[0] == "mlp", "one architecture for all"
    recipe = {(t.batch_size, t.lr, t.seed, t.shift) for _, t in configs}
    assert len(recipe) == 1, f"one recipe for all: {recipe}"


def test_active_units_fall_and_rate_and_distortion_trade(family):
    active = [m.point.active_units for m in family]
    assert all(b <= a + 1 for a, b in zip(active, active[1:])), f"non-increasing (±1): {active}"
    assert active[0] == 16 and active[-1] < 16, f"dims go inactive as beta grows: {active}"
    kl = [m.point.kl for m in family]
    recon = [m.point.recon for m in family]
    assert all(b < a for a, b in zip(kl, kl[1:])), f"the rate falls with beta: {kl}"
    assert all(b > a for a, b in zip(recon, recon[1:])), f"the distortion rises: {recon}"


def test_the_story_pair_is_the_autoencoder_and_beta_one(family):
    ae, vae = vb.autoencoder_and_vae(family)
    assert (ae.point.beta, vae.point.beta) == (0.0, 1.0)


def test_a_run_of_another_shape_is_not_in_the_family(family):
    names = {m.run.name for m in family}
    assert "mnist5k-2d" not in names and "mnist5k-2d-ae" not in names
    two_d = [f for f in vb.beta_families(list_runs(DEFAULT_ROOT))
             if f[0].point.latent_dim == 2 and f[0].point.dataset == "mnist-5k"]
    assert two_d and {m.run.name for m in two_d[0]} == {"mnist5k-2d", "mnist5k-2d-ae"}


def test_prefer_keeps_the_active_runs_family_only_when_it_has_enough_betas():
    runs = list_runs(DEFAULT_ROOT)
    two_d = next(r for r in runs if r.name == "mnist5k-2d")
    assert vb.best_family(runs, two_d)[0].point.latent_dim == 16, "two betas are too few"
    assert len(vb.best_family(runs, two_d, min_betas=2)) == 2
