"""--shift: each training image moved by whole pixels, the same shifts for a step on any rank and
after any resume."""
import pytest
import torch

from vae.augment import shift_images, shift_offsets


def test_offsets_depend_only_on_seed_and_step():
    a = shift_offsets(64, 2, seed=0, step=7)
    assert torch.equal(a, shift_offsets(64, 2, seed=0, step=7))
    assert not torch.equal(a, shift_offsets(64, 2, seed=0, step=8))
    assert not torch.equal(a, shift_offsets(64, 2, seed=1, step=7))
    assert a.min() >= -2 and a.max() <= 2 and a.dtype == torch.int64


def test_a_shift_moves_the_pixels_and_shifts_zeros_in():
    x = torch.zeros(3, 1, 5, 5)
    x[:, 0, 2, 2] = 1.0  # one lit pixel in the middle
    x[2, 0, 0, 0] = 0.5  # and one in a corner that a shift pushes out
    out = shift_images(x, torch.tensor([[1, 0], [0, -2], [-1, -1]]))
    assert out.shape == x.shape
    assert out[0, 0, 3, 2] == 1 and out[0].sum() == 1  # down one row
    assert out[1, 0, 2, 0] == 1 and out[1].sum() == 1  # left two columns
    assert out[2, 0, 1, 1] == 1 and out[2].sum() == 1  # up-left; the corner pixel left the image


def test_no_shift_is_the_identity_and_colour_channels_move_together():
    x = torch.rand(4, 3, 8, 8)
    assert torch.equal(shift_images(x, torch.zeros(4, 2, dtype=torch.int64)), x)
    out = shift_images(x, torch.tensor([[0, 1]] * 4))
    assert torch.equal(out[:, :, :, 1:], x[:, :, :, :-1]) and (out[:, :, :, 0] == 0).all()


def _train(root, name, *extra):
    from vae.train import main
    return main(["--dataset", "digits", "--latent-dim", "2", "--hidden", "16", "--batch-size",
                 "64", "--threads", "1", "--quiet", "--root", str(root), "--name", name, *extra])


def _last_epoch(root, name):
    from vae.run import RunDir
    return [r for r in RunDir(root / name).read_metrics() if r["kind"] == "epoch"][-1]


def test_the_trainer_shifts_and_a_resumed_run_draws_the_same_shifts(tmp_path):
    from vae.run import RunDir
    assert _train(tmp_path, "plain", "--epochs", "2") == 0
    assert _train(tmp_path, "whole", "--epochs", "2", "--shift", "1") == 0
    assert RunDir(tmp_path / "whole").read_config()[1].shift == 1
    whole = _last_epoch(tmp_path, "whole")
    assert whole["test/neg_elbo"] != _last_epoch(tmp_path, "plain")["test/neg_elbo"]
    # one epoch, then a resume to the second: the same shifts, so the same numbers
    assert _train(tmp_path, "halves", "--epochs", "1", "--shift", "1") == 0
    from vae.train import main
    assert main(["--resume", "halves", "--epochs", "2", "--threads", "1", "--quiet",
                 "--root", str(tmp_path)]) == 0
    halves = _last_epoch(tmp_path, "halves")
    assert halves["test/neg_elbo"] == pytest.approx(whole["test/neg_elbo"], rel=1e-6)


def test_a_shift_beyond_the_limit_is_refused_in_words(tmp_path, capsys):
    assert _train(tmp_path, "far", "--epochs", "1", "--shift", "9") == 2
    assert "shift must be a whole number from 0 to 4" in capsys.readouterr().err
    assert not (tmp_path / "far").exists()
