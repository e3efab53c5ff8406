"""--shift: each training image moved by whole pixels, the same shifts for a step on any rank and
after any resume."""
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
