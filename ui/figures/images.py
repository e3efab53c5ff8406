"""Crisp images: nearest-neighbour upscaling and PNG encoding, with numpy and Pillow only.

Greyscale images travel as (N, H, W) or (N, 1, H, W), colour ones as (N, 3, H, W) (the model's
channels-first layout); a tiled picture is (H, W) or (H, W, 3), and its PNG is greyscale or RGB.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image


def to_uint8(images: np.ndarray) -> np.ndarray:
    """(..., H, W) floats in [0, 1] to uint8, clipping what falls outside."""
    return (np.clip(np.asarray(images, dtype=np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling of an (H, W) or (H, W, 3) image: each pixel becomes a
    factor x factor block."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def for_display(images: np.ndarray) -> np.ndarray:
    """(N, 1, H, W) greyscale to (N, H, W); (N, 3, H, W) colour and (N, H, W) are kept."""
    images = np.asarray(images)
    return images[:, 0] if images.ndim == 4 and images.shape[1] == 1 else images


def grid(images: np.ndarray, ncols: int, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Tile (N, H, W), (N, 1, H, W) or colour (N, 3, H, W) images into one picture with padding:
    (rows*H, ncols*W) for greyscale, (rows*H, ncols*W, 3) for colour."""
    images = for_display(np.asarray(images, dtype=np.float32))
    if images.ndim == 4:  # colour: channels last for the picture
        images = np.moveaxis(images, 1, -1)
    n, h, w = images.shape[:3]
    nrows = max(1, -(-n // ncols))
    out = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, *images.shape[3:]),
                  pad_value, np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = img
    return out


def png_bytes(image: np.ndarray, scale: int = 1) -> bytes:
    """Encode a float image in [0, 1] as a PNG upscaled by `scale`: (H, W) or (1, H, W) as
    greyscale, (H, W, 3) or (3, H, W) as RGB."""
    arr = to_uint8(image)
    if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[-1] != 3:
        arr = arr[0] if arr.shape[0] == 1 else np.moveaxis(arr, 0, -1)
    if scale > 1:
        arr = upscale(arr, scale)
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr), mode="L" if arr.ndim == 2 else "RGB").save(
        buf, format="PNG")
    return buf.getvalue()


def auto_scale(height: int, target_px: int = 168) -> int:
    """The whole-number upscaling that brings an image near `target_px` tall (8x8 digits get 21x)."""
    return max(1, round(target_px / height))
