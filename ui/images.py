"""Crisp images: nearest-neighbour upscaling and PNG encoding, with numpy and Pillow only."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image


def to_uint8(images: np.ndarray) -> np.ndarray:
    """(..., H, W) floats in [0, 1] to uint8, clipping what falls outside."""
    return (np.clip(np.asarray(images, dtype=np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling of an (H, W) image: each pixel becomes a factor x factor block."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def grid(images: np.ndarray, ncols: int, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Tile (N, H, W) or (N, 1, H, W) images into one (rows*H, ncols*W) image with padding."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4:
        images = images[:, 0]
    n, h, w = images.shape
    nrows = max(1, -(-n // ncols))
    out = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad), pad_value, np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = img
    return out


def png_bytes(image: np.ndarray, scale: int = 1) -> bytes:
    """Encode an (H, W) float image in [0, 1] as a greyscale PNG, upscaled by `scale`."""
    arr = to_uint8(image)
    if arr.ndim == 3:
        arr = arr[0]
    if scale > 1:
        arr = upscale(arr, scale)
    buf = io.BytesIO()
    Image.fromarray(arr, mode="L").save(buf, format="PNG")
    return buf.getvalue()


def auto_scale(height: int, target_px: int = 168) -> int:
    """The whole-number upscaling that brings an image near `target_px` tall (8x8 digits get 21x)."""
    return max(1, round(target_px / height))
