"""Your own input image, converted the way the dataset's images were made.

MNIST (LeCun et al.): each digit's ink was size-normalised to fit a 20x20 box keeping its aspect
ratio (anti-aliased, hence grey edges), then placed in a 28x28 field so that its centre of mass is
at the centre. Fashion-MNIST (Xiao et al., 2017): the product was trimmed, its longest edge resized
to 28 and the result centred. scikit-learn's 8x8 digits: 32x32 bitmaps counted in 4x4 blocks (area
averaging), the digit filling the frame. Every dataset stores light ink on a black background in
[0, 1], so a photo of dark ink on paper is inverted first.

`convert_upload` takes the bytes of a PNG or JPEG of any size; `frame_ink` does only the
size-and-centre step (the Draw page applies it to a drawing). Pure numpy and Pillow; the steps
taken are returned in words so the page can say what was done.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 20 * 1024 * 1024  # an upload larger than this is refused before it is decoded
MAX_PIXELS = 40_000_000  # width x height; a larger image is refused before its pixels are read
INK_THRESHOLD = 0.1  # after scaling to [0, 1]: fainter pixels count as background (paper grain)


class ImageInputError(ValueError):
    """An upload that cannot be turned into an input; the message says why, in the user's words."""


@dataclass(frozen=True)
class Framing:
    """How a dataset placed its ink: in a `box` x `box` square inside `size` x `size`, centred by
    centre of mass ("mass") or by its bounding box ("box")."""
    size: int
    box: int
    centre: str
    description: str


def framing_for(dataset: str, image_shape) -> Framing:
    """The framing of a dataset by name, or for an unknown one: fill the frame, centre the box."""
    _, h, w = tuple(image_shape)
    if h != w:
        raise ImageInputError(f"only square inputs can be drawn or uploaded, not {h}x{w}")
    if dataset in ("mnist", "mnist-5k") and h == 28:
        return Framing(28, 20, "mass", "MNIST's: the ink's bounding box fitted into 20x20 keeping "
                                       "its aspect, placed in 28x28 by its centre of mass")
    if dataset == "fashion-mnist" and h == 28:
        return Framing(28, 28, "box", "Fashion-MNIST's: the longest edge resized to 28, the item "
                                      "centred in 28x28")
    if dataset == "digits" and h == 8:
        return Framing(8, 8, "box", "scikit-learn digits': the digit fills the 8x8 frame, each "
                                    "pixel the average of the block it covers")
    return Framing(h, h, "box", f"the ink fitted into {h}x{h} keeping its aspect, centred")


@dataclass(frozen=True)
class ConvertedImage:
    x: np.ndarray  # (1, size, size) float32 in [0, 1], light ink on black
    steps: tuple[str, ...]  # what was done, in order, in words
    original: np.ndarray  # (h, w) float32 greyscale of the upload as read, for showing beside x


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area averaging when shrinking (anti-aliased, like MNIST's grey edges), bilinear when
    growing."""
    im = Image.fromarray(np.asarray(image, np.float32), mode="F")
    shrinking = height <= image.shape[0] and width <= image.shape[1]
    out = im.resize((width, height), Image.Resampling.BOX if shrinking else
                    Image.Resampling.BILINEAR)
    return np.clip(np.asarray(out, np.float32), 0.0, 1.0)


def ink_box(image: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), exclusive ends, of the pixels above threshold; None if none."""
    rows = np.flatnonzero((image > threshold).any(1))
    cols = np.flatnonzero((image > threshold).any(0))
    if len(rows) == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the intensity-weighted centre, in pixel-index coordinates."""
    total = float(image.sum())
    ys, xs = np.indices(image.shape)
    return float((ys * image).sum() / total), float((xs * image).sum() / total)


def frame_ink(image: np.ndarray, framing: Framing) -> tuple[np.ndarray, list[str]]:
    """Crop the ink, fit it into framing.box keeping its aspect, and place it in framing.size.

    image: (h, w) floats in [0, 1], light ink on black. Returns the (size, size) result and the
    steps in words. Raises ImageInputError when there is no ink.
    """
    image = np.asarray(image, np.float32)
    box = ink_box(image)
    if box is None:
        raise ImageInputError("no ink found: the image is (nearly) one flat colour")
    top, bottom, left, right = box
    ink = image[top:bottom, left:right]
    h, w = ink.shape
    scale = framing.box / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = _resize(ink, nh, nw)
    n = framing.size
    out = np.zeros((n, n), np.float32)
    y0, x0 = (n - nh) // 2, (n - nw) // 2
    out[y0:y0 + nh, x0:x0 + nw] = small
    steps = [f"ink cropped to its bounding box ({w}×{h} px) and resized to {nw}×{nh} "
             f"(fits {framing.box}×{framing.box}, aspect kept)"]
    if framing.centre == "mass" and out.sum() > 0:
        cy, cx = centre_of_mass(out)
        # MNIST's digits have their centre of mass at index (14, 14) of the 28x28 field.
        dy, dx = round(n / 2 - cy), round(n / 2 - cx)
        # Never push ink off the frame: the shift is limited to the empty margin.
        dy = int(np.clip(dy, -y0, n - (y0 + nh)))
        dx = int(np.clip(dx, -x0, n - (x0 + nw)))
        out = np.roll(out, (dy, dx), axis=(0, 1))
        steps.append(f"placed in {n}×{n} with its centre of mass at the centre "
                     f"(moved {dx:+d} px across, {dy:+d} px down from the box's centre)")
    else:
        steps.append(f"placed in the middle of {n}×{n}")
    return out, steps


def read_greyscale(data: bytes) -> tuple[np.ndarray, list[str]]:
    """The upload as (h, w) float32 luminance in [0, 1]; refuses what is not a PNG or JPEG."""
    if len(data) == 0:
        raise ImageInputError("the file is empty")
    if len(data) > MAX_BYTES:
        raise ImageInputError(f"the file is {len(data) / 2**20:.0f} MB; the limit is "
                              f"{MAX_BYTES // 2**20} MB")
    try:
        with warnings.catch_warnings():  # the size is checked below, in the user's words
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
        if im.format not in ("PNG", "JPEG"):
            raise ImageInputError(f"this is a {im.format or 'unknown'} image; upload a PNG or JPEG")
        if im.width * im.height > MAX_PIXELS:
            raise ImageInputError(f"the image is {im.width}×{im.height} pixels; the limit is "
                                  f"{MAX_PIXELS // 1_000_000} megapixels")
        fmt = im.format
        im = ImageOps.exif_transpose(im)  # a phone photo's "this side up"
        im.load()
    except ImageInputError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        raise ImageInputError("this file is not a readable PNG or JPEG image") from exc
    steps = [f"read a {im.width}×{im.height} {fmt} ({im.mode})"]
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = np.asarray(im.convert("RGBA"), np.float32) / 255.0
        alpha = rgba[..., 3]
        lum = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
        opaque = alpha > 0.5
        ink_is_dark = not opaque.any() or float(lum[opaque].mean()) < 0.5
        back = 1.0 if ink_is_dark else 0.0
        grey = lum * alpha + back * (1.0 - alpha)
        steps.append("transparent parts filled with " + ("white" if back else "black"))
    elif im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        arr = np.asarray(im, np.float32)
        hi = 65535.0 if im.mode.startswith("I;16") or arr.max() > 255 else 255.0
        grey = np.clip(arr / (1.0 if im.mode == "F" and arr.max() <= 1 else hi), 0.0, 1.0)
    else:
        grey = np.asarray(im.convert("L"), np.float32) / 255.0
    if im.mode not in ("L", "LA", "I", "I;16", "I;16B", "I;16L", "F", "1"):
        rgb = np.asarray(im.convert("RGB"))
        if (rgb.max(-1) != rgb.min(-1)).any():  # a palette or RGB file may hold only greys
            steps.append("colour turned to grey (luminance 0.299 R + 0.587 G + 0.114 B)")
    return grey.astype(np.float32), steps


def convert_upload(data: bytes, framing: Framing) -> ConvertedImage:
    """A PNG or JPEG of any size as the dataset's input: greyscale, light ink on black, scaled to
    [0, 1], size-normalised and centred as `framing` says."""
    grey, steps = read_greyscale(data)
    h, w = grey.shape
    margin = max(1, min(h, w) // 20)
    border = np.concatenate([grey[:margin].ravel(), grey[-margin:].ravel(),
                             grey[:, :margin].ravel(), grey[:, -margin:].ravel()])
    background = float(np.median(border))
    if background > 0.5:
        ink = 1.0 - grey
        steps.append(f"inverted: the background is light (border median {background:.2f}); the "
                     "dataset has light ink on black")
        background = 1.0 - background
    else:
        ink = grey.copy()
    top = float(np.percentile(ink, 99.5))
    if top - background < 0.05:
        raise ImageInputError("no ink found: the image is (nearly) one flat colour")
    ink = np.clip((ink - background) / (top - background), 0.0, 1.0)
    ink[ink < INK_THRESHOLD] = 0.0
    steps.append(f"scaled to [0, 1]: background level {background:.2f} to 0, the brightest ink "
                 f"to 1; pixels below {INK_THRESHOLD:g} set to 0")
    framed, frame_steps = frame_ink(ink, framing)
    peak = float(framed.max())
    if peak < 0.995:  # averaging lowered the strongest stroke; the datasets' ink reaches 1
        framed = framed / peak
        frame_steps.append(f"rescaled so the brightest pixel is 1 (it was {peak:.2f} after "
                           "resizing)")
    return ConvertedImage(framed[None].astype(np.float32), tuple(steps + frame_steps), grey)
