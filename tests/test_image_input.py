"""Uploads converted the way the datasets were made: real MNIST digits, photographed large, dark on
light, as PNG and JPEG, come back as the dataset's own images; bad files get a clear message."""
import io

import numpy as np
import pytest
from PIL import Image

from vae.data import load_dataset
from vae.image_input import (MAX_BYTES, ImageInputError, centre_of_mass, convert_upload,
                             frame_ink, framing_for, ink_box)

MNIST = framing_for("mnist-5k", (1, 28, 28))


@pytest.fixture(scope="module")
def digits():
    return load_dataset("mnist-5k").test_x[:40, 0]


def _encode(array: np.ndarray, fmt: str = "PNG", mode: str = "L", **kw) -> bytes:
    """Save a float image in [0, 1] in a format (what a user would upload)."""
    im = Image.fromarray((np.clip(array, 0, 1) * 255 + 0.5).astype(np.uint8))
    if mode != "L":
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _as_photo(digit: np.ndarray, scale: int = 12, margin: int = 60, shift=(0, 0)) -> np.ndarray:
    """A digit as a user would draw it on paper: large, off-centre, dark ink on light grey."""
    big = np.asarray(Image.fromarray(digit).resize((28 * scale, 28 * scale),
                                                   Image.Resampling.BILINEAR))
    page = np.zeros((28 * scale + 2 * margin, 28 * scale + 2 * margin + 100), np.float32)
    y, x = margin + shift[0], margin + shift[1]
    page[y:y + big.shape[0], x:x + big.shape[1]] = big
    return 0.92 - 0.8 * page  # paper at 0.92, ink down to 0.12


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_photographed_mnist_digit_comes_back_as_itself(digits, fmt):
    errors = []
    for i, digit in enumerate(digits[:20]):
        photo = _as_photo(digit, shift=(i % 7 * 5, -(i % 5) * 6))
        got = convert_upload(_encode(photo, fmt, quality=92) if fmt == "JPEG" else
                             _encode(photo, fmt), MNIST)
        assert got.x.shape == (1, 28, 28) and got.x.dtype == np.float32
        assert got.x.min() >= 0.0 and got.x.max() == pytest.approx(1.0, abs=0.02)
        errors.append(np.abs(got.x[0] - digit).mean())
        assert np.corrcoef(got.x[0].ravel(), digit.ravel())[0, 1] > 0.8, \
            f"digit {i} ({fmt}) converted does not look like the original"
    # Mean absolute pixel error over the 20 digits: each was blown up 12x, blurred by JPEG and
    # scaled back; well under the 0.13 mean intensity of an MNIST image.
    assert np.mean(errors) < 0.06, f"mean pixel error {np.mean(errors):.3f}"


def test_mnist_framing_fits_20x20_and_centres_the_mass(digits):
    for digit in digits:
        tall = np.asarray(Image.fromarray(digit).resize((50, 300)))  # any size, any aspect
        out, _ = frame_ink(tall, MNIST)
        top, bottom, left, right = ink_box(out)
        assert max(bottom - top, right - left) <= 20 + 1, "the ink does not fit the 20x20 box"
        cy, cx = centre_of_mass(out)
        assert abs(cy - 14) <= 0.5 + 1e-6 and abs(cx - 14) <= 0.5 + 1e-6, (cy, cx)


def test_aspect_is_kept():
    bar = np.zeros((400, 100), np.float32)
    bar[:, :] = 1.0  # a 4:1 upright bar
    out, steps = frame_ink(bar, MNIST)
    top, bottom, left, right = ink_box(out)
    assert (bottom - top, right - left) == (20, 5)
    assert "5×20" in steps[0]


def test_light_background_is_inverted_and_dark_is_not(digits):
    on_paper = convert_upload(_encode(1.0 - digits[0]), MNIST)
    on_black = convert_upload(_encode(digits[0]), MNIST)
    assert any("inverted" in s for s in on_paper.steps)
    assert not any("inverted" in s for s in on_black.steps)
    np.testing.assert_allclose(on_paper.x, on_black.x, atol=0.02)


def test_colour_and_transparency(digits):
    rgb = np.stack([digits[1] * 0.2, digits[1] * 0.9, digits[1] * 0.5], -1)
    got = convert_upload(_encode_rgb(rgb), MNIST)
    assert any("colour turned to grey" in s for s in got.steps)
    assert np.corrcoef(got.x[0].ravel(), digits[1].ravel())[0, 1] > 0.95
    # Black ink on a transparent background (what drawing apps export) is ink, not nothing.
    rgba = np.zeros((280, 280, 4), np.uint8)
    big = np.asarray(Image.fromarray((digits[2] * 255).astype(np.uint8)).resize((280, 280)))
    rgba[..., 3] = big
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    got = convert_upload(buf.getvalue(), MNIST)
    assert any("filled with white" in s for s in got.steps)
    assert np.corrcoef(got.x[0].ravel(), digits[2].ravel())[0, 1] > 0.9


def _encode_rgb(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray((rgb * 255).astype(np.uint8), "RGB").resize((140, 140)).save(buf, "PNG")
    return buf.getvalue()


def test_other_datasets_are_framed_their_way(digits):
    fashion = framing_for("fashion-mnist", (1, 28, 28))
    out = convert_upload(_encode(_as_photo(digits[3])), fashion).x[0]
    top, bottom, left, right = ink_box(out)
    assert max(bottom - top, right - left) == 28, "Fashion-MNIST's longest edge is 28"
    small = framing_for("digits", (1, 8, 8))
    out = convert_upload(_encode(_as_photo(digits[3])), small).x
    assert out.shape == (1, 8, 8) and out.max() > 0.5
    with pytest.raises(ImageInputError, match="square"):
        framing_for("folder", (1, 28, 32))


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"this is a text file, not a picture", "not a readable PNG or JPEG"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not a readable PNG or JPEG"),
])
def test_bad_files_get_a_clear_message(data, message):
    with pytest.raises(ImageInputError, match=message):
        convert_upload(data, MNIST)


def test_other_formats_blank_and_huge_images_are_refused():
    buf = io.BytesIO()
    Image.new("L", (30, 30), 0).save(buf, "GIF")
    with pytest.raises(ImageInputError, match="GIF image; upload a PNG or JPEG"):
        convert_upload(buf.getvalue(), MNIST)
    with pytest.raises(ImageInputError, match="no ink found"):
        convert_upload(_encode(np.full((64, 64), 0.8, np.float32)), MNIST)
    with pytest.raises(ImageInputError, match="limit is 20 MB"):
        convert_upload(b"\0" * (MAX_BYTES + 1), MNIST)
    # A 10000x10000 PNG of one colour is a few KB on disk: refused from its header, unread.
    buf = io.BytesIO()
    Image.new("1", (10_000, 10_000), 1).save(buf, "PNG")
    assert len(buf.getvalue()) < 100_000
    with pytest.raises(ImageInputError, match="megapixels"):
        convert_upload(buf.getvalue(), MNIST)


def test_grey_saved_as_rgb_is_not_called_colour(digits):
    buf = io.BytesIO()
    Image.fromarray((digits[4] * 255).astype(np.uint8)).convert("RGB").save(buf, "PNG")
    got = convert_upload(buf.getvalue(), MNIST)
    assert not any("colour" in s for s in got.steps), got.steps
