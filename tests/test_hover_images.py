"""The hover images' sprite sheet and payload: every tile is its test image, losslessly."""
import numpy as np
import pytest

from ui.components.hover_images import encode_payload, read_payload, sprite_sheet, tile
from ui.figures.images import to_uint8
from vae.data import load_dataset


def test_every_tile_is_its_image_on_real_digits():
    x = load_dataset("mnist-5k").test_x[:150]  # 150 = two full rows of 64 and a partial third
    png, layout = sprite_sheet(x)
    assert layout == {"n": 150, "cols": 64, "h": 28, "w": 28}
    for i in (0, 63, 64, 149):
        assert np.array_equal(tile(png, layout, i), to_uint8(x[i, 0])), f"tile {i}"


def test_colour_images_keep_their_channels():
    rng = np.random.default_rng(0)
    x = rng.random((5, 3, 4, 6)).astype(np.float32)
    png, layout = sprite_sheet(x, columns=2)
    assert (layout["cols"], layout["h"], layout["w"]) == (2, 4, 6)
    assert np.array_equal(tile(png, layout, 3), to_uint8(x[3]).transpose(1, 2, 0))


def test_payload_round_trip_names_the_chart():
    png, layout = sprite_sheet(np.zeros((3, 8, 8)))
    header, body = read_payload(encode_payload(png, {**layout, "scale": 4}, "latent_scatter"))
    assert body == png and header["target"] == "latent_scatter" and header["scale"] == 4
    assert header["n"] == 3 and len(header["id"]) == 16


@pytest.mark.parametrize("bad", [np.zeros((0, 8, 8)), np.zeros((2, 2, 8, 8)), np.zeros(8)])
def test_rejects_what_is_not_a_stack_of_images(bad):
    with pytest.raises(ValueError, match="expected"):
        sprite_sheet(bad)
