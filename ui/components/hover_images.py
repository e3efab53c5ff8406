"""Hover a point of a Plotly scatter, see its test image.

The test images travel once, as one lossless PNG sprite sheet (raw bytes, no base64) in a Streamlit
v2 component whose message does not change between reruns, so Streamlit's message cache sends a
reference instead of the bytes on later reruns. In the browser, the component finds the chart by
its key, listens to Plotly's `plotly_hover` / `plotly_unhover` events, and draws the hovered
point's tile (its test-set index is the first number of the point's customdata) beside the cursor.
Nothing crosses the network while hovering, so the image follows the mouse at once.

Use from a page (after or before the chart; the chart needs `key=...`)::

    st.plotly_chart(fig, key="latent_scatter")
    hover_images("latent_scatter", data.test_x[:n], cache_key=f"{dataset}:{n}")
"""
from __future__ import annotations

import hashlib
import io
import json
import struct
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

from ui.figures.images import to_uint8

MAGIC = b"VAES"
ASSETS = Path(__file__).resolve().parent
SPRITE_COLUMNS = 64  # 64 x 28 px = 1,792 px wide: far inside every browser's canvas limits


def sprite_sheet(images: np.ndarray, columns: int = SPRITE_COLUMNS) -> tuple[bytes, dict]:
    """(N, H, W), (N, 1, H, W) or (N, 3, H, W) images in [0, 1] as one PNG, tile i at row
    i // columns, column i % columns, no padding. Returns the PNG and its layout."""
    x = np.asarray(images, np.float32)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3) or len(x) == 0:
        raise ValueError(f"expected (N, H, W) or (N, 1|3, H, W) images, got {x.shape}")
    n, c, h, w = x.shape
    cols = min(columns, n)
    rows = -(-n // cols)
    sheet = np.zeros((rows * cols, h, w, c), np.uint8)
    sheet[:n] = to_uint8(x).transpose(0, 2, 3, 1)
    sheet = sheet.reshape(rows, cols, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, c)
    buf = io.BytesIO()
    Image.fromarray(sheet[..., 0] if c == 1 else sheet, mode="L" if c == 1 else "RGB").save(
        buf, format="PNG")
    return buf.getvalue(), {"n": int(n), "cols": int(cols), "h": int(h), "w": int(w)}


def tile(png: bytes, layout: dict, i: int) -> np.ndarray:
    """Tile i of a sprite sheet as uint8 (H, W) or (H, W, 3): the reference the browser follows."""
    sheet = np.asarray(Image.open(io.BytesIO(png)))
    r, c = divmod(int(i), layout["cols"])
    h, w = layout["h"], layout["w"]
    return sheet[r * h:(r + 1) * h, c * w:(c + 1) * w]


def encode_payload(png: bytes, layout: dict, target: str) -> bytes:
    """b"VAES", uint32 header length, JSON header (layout, the chart's key, an id), the PNG."""
    header = {**layout, "target": target,
              "id": hashlib.sha1(png).hexdigest()[:16]}
    head = json.dumps(header, separators=(",", ":")).encode()
    return MAGIC + struct.pack("<I", len(head)) + head + png


def read_payload(payload: bytes) -> tuple[dict, bytes]:
    if payload[:4] != MAGIC:
        raise ValueError("not a hover-image payload")
    (n,) = struct.unpack("<I", payload[4:8])
    return json.loads(payload[8:8 + n]), payload[8 + n:]


@st.cache_data(max_entries=6, show_spinner="Packing the test images for hovering…")
def _sprite(cache_key: str, shape: tuple, fingerprint: str, _images: np.ndarray
            ) -> tuple[bytes, dict]:
    return sprite_sheet(_images)


def fingerprint(images: np.ndarray, samples: int = 4096) -> str:
    """A hash of the images' shape, type and an even sample of their values: cheap on every rerun,
    and different for a set resized, split another way or replaced, whatever the caller's key."""
    flat = np.ascontiguousarray(images).reshape(-1)
    step = max(1, len(flat) // samples)
    digest = hashlib.blake2b(repr((images.shape, images.dtype.str)).encode(), digest_size=16)
    digest.update(np.ascontiguousarray(flat[::step]).tobytes())
    return digest.hexdigest()


_component = st.components.v2.component(
    "vae_hover_images", js=(ASSETS / "hover_images.js").read_text())


def hover_images(target: str, images: np.ndarray, *, cache_key: str, scale: int = 4) -> None:
    """Show test image i beside the cursor while a point whose customdata starts with i is hovered
    on the Plotly chart with key `target`. `cache_key` names the images (the dataset as the run
    reads it, and the count); their shape and a fingerprint of their values are keyed on too."""
    png, layout = _sprite(cache_key, tuple(images.shape), fingerprint(images), images)
    _component(data=encode_payload(png, {**layout, "scale": int(scale)}, target),
               key=f"{target}::hover_images", height=0)
