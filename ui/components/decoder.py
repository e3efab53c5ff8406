"""A latent explorer whose decoder runs in the browser: sliders over z and a 2-D pad, decoded on
every input event, with the final z sent back to Python when the drag ends.

Two Streamlit v2 components cooperate on the page:

* ``vae_decoder_assets`` carries the decoder's weights (and the posterior scatter for the pad) as
  raw bytes: float32 little-endian, no base64. Its message only changes with the model, so
  Streamlit's forward-message cache sends a short hash reference instead of the bytes on later
  reruns: the weights cross the wire once per model and browser session.
* ``vae_latent_explorer`` carries a small JSON (z, slider order, ranges) and finds the decoder by
  the payload's content hash in a page-global registry that the assets component fills.

The decoder is written as a list of layers (linear, relu, unflatten, conv_transpose2d, flatten)
then a sigmoid, so both the MLP and the conv architectures of vae/model.py run in JavaScript.
``decode_payload`` is the same decoder in numpy: the reference that tests hold the format to.

Use from any page (the key must be unique on the page)::

    codes = encode_test_set(run)
    summary = summary_of(codes)  # ui.cache.runs
    z = latent_explorer(model, key="explain-z", kl_per_dim=summary.kl_per_dim,
                        active=summary.active,
                        scatter={"mu": codes["mu"], "labels": codes["labels"],
                                 "class_names": run_dataset(run).class_names})
    # z: the last released z, np.ndarray (D,); set_explorer_z(key, z) moves it from Python.
"""
from __future__ import annotations

import hashlib
import json
import struct
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from ui.components.hover_images import sprite_sheet
from ui.figures.images import auto_scale, png_bytes
from ui.style import class_colours
from vae.numeric import dims_by_kl

# PyTorch is imported where a model is read, not with this module: the Latent page imports it
# for the drawing's overlay and draws its first view without PyTorch (ui.cache.runs).
if TYPE_CHECKING:
    from torch import nn

MAGIC = b"VAEW"
ASSETS = Path(__file__).resolve().parent
MAX_SCATTER = 2000  # points behind the pad; enough to see the classes, small on the wire
SERVER_SLIDERS = 8  # the dims with the most KL get a slider when decoding runs on the server
SERVER_DECODE_NOTE = (
    "This model runs its own Python code (imported with `--module` and `--trust-code`), which the "
    "browser cannot run: z is decoded on the server when you release a slider, not while you "
    "drag, and there is no 2-D pad.")


def runs_in_browser(model: nn.Module) -> bool:
    """Whether the browser can run this model: this engine's layers, not imported Python code."""
    from vae.code_model import CodeVAE

    return not isinstance(model, CodeVAE)


# ---------------------------------------------------------------------------------------------
# The payload: a header (JSON) and float32 / uint8 blobs, 4-byte aligned.
# ---------------------------------------------------------------------------------------------

def decoder_layers(model: nn.Module) -> list[tuple[str, dict]]:
    """The decoder as (kind, tensors-and-shapes) steps; raises for a layer JS does not know."""
    if not runs_in_browser(model):
        raise ValueError("the browser runs this engine's layers, not imported Python code")
    return layer_steps(model.decoder, "decoder")


def layer_steps(modules, what: str = "decoder") -> list[tuple[str, dict]]:
    """Modules as (kind, tensors-and-shapes) steps the browser runs (decoder_core.js's
    vaeMakeLayers); raises for a layer it does not know."""
    from torch import nn

    steps = []
    for layer in modules:
        if isinstance(layer, nn.Linear):
            steps.append(("linear", {"weight": layer.weight, "bias": layer.bias,
                                     "in": layer.in_features, "out": layer.out_features}))
        elif isinstance(layer, nn.ReLU):
            steps.append(("relu", {}))
        elif isinstance(layer, nn.Unflatten):
            steps.append(("unflatten", {"shape": [int(s) for s in layer.unflattened_size]}))
        elif isinstance(layer, (nn.ConvTranspose2d, nn.Conv2d)):
            transposed = isinstance(layer, nn.ConvTranspose2d)
            if (layer.groups != 1 or layer.dilation != (1, 1) or layer.padding_mode != "zeros"
                    or (transposed and layer.output_padding != (0, 0))
                    or isinstance(layer.padding, str)):
                raise ValueError(f"the browser {what} does not support {layer}")
            steps.append(("conv_transpose2d" if transposed else "conv2d", {
                "weight": layer.weight, "bias": layer.bias, "in_ch": layer.in_channels,
                "out_ch": layer.out_channels, "kernel": list(layer.kernel_size),
                "stride": list(layer.stride), "padding": list(layer.padding)}))
        elif isinstance(layer, nn.Flatten):
            steps.append(("flatten", {}))
        else:
            raise ValueError(f"the browser {what} does not support {type(layer).__name__}")
    return steps


def encode_payload(model: nn.Module, scatter: dict | None = None, encoder: bool = False) -> bytes:
    """Decoder weights (and optionally the pad's scatter, and the encoder's weights) as one
    compact binary payload.

    Layout: b"VAEW", uint32 header length, JSON header padded to 4 bytes, then float32 blobs
    whose [offset, count] (in elements of the blob's type, offset in bytes) the header names.
    `scatter` is {"mu": (N, D), "labels": (N,), "class_names": [...]}, optionally with
    "images": (N, C, H, W) in [0, 1], sent as one PNG sprite sheet (ui.components.hover_images).
    """
    import torch

    blobs: list[bytes] = []
    offset = 0

    def add(array: np.ndarray, dtype) -> list[int]:
        nonlocal offset
        data = np.ascontiguousarray(array, dtype=dtype).tobytes()
        data += b"\0" * (-len(data) % 4)
        ref = [offset, int(np.asarray(array).size)]
        blobs.append(data)
        offset += len(data)
        return ref

    def entries(steps) -> list[dict]:
        out = []
        for kind, p in steps:
            entry = {"type": kind}
            for name, value in p.items():
                if isinstance(value, torch.Tensor):
                    entry[name] = add(value.detach().cpu().numpy(), "<f4")
                else:
                    entry[name] = value
            out.append(entry)
        return out

    cfg = model.config
    header = {"version": 1, "arch": cfg.arch, "latent_dim": cfg.latent_dim,
              "image_shape": list(cfg.image_shape), "layers": entries(decoder_layers(model)),
              "output": "sigmoid"}
    if encoder:
        header["encoder"] = {
            "layers": entries(layer_steps(model.encoder, "encoder")),
            "mu": entries(layer_steps([model.to_mu], "encoder"))[0],
            "logvar": entries(layer_steps([model.to_logvar], "encoder"))[0]}
    if scatter is not None:
        mu = np.asarray(scatter["mu"], np.float32)[:MAX_SCATTER]
        labels = np.asarray(scatter["labels"])[:len(mu)]
        header["scatter"] = {"n": len(mu), "dims": int(mu.shape[1]), "mu": add(mu, "<f4"),
                             "labels": add(labels, "u1"),
                             "class_names": [str(c) for c in scatter.get("class_names", [])]}
        if scatter.get("images") is not None:  # the test images, for hovering a point of the pad
            png, layout = sprite_sheet(np.asarray(scatter["images"])[:len(mu)])
            header["scatter"]["sprite"] = {**layout, "png": add(np.frombuffer(png, np.uint8), "u1")}
    body = b"".join(blobs)
    header["id"] = hashlib.sha1(json.dumps(header, sort_keys=True).encode() + body).hexdigest()[:16]
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 4)
    return MAGIC + struct.pack("<I", len(head)) + head + body


def read_payload(payload: bytes) -> tuple[dict, memoryview]:
    """The header and the blob area of a payload."""
    if payload[:4] != MAGIC:
        raise ValueError("not a decoder payload")
    (n,) = struct.unpack("<I", payload[4:8])
    header = json.loads(payload[8:8 + n])
    return header, memoryview(payload)[8 + n:]


def _blob(body: memoryview, ref: list[int], dtype="<f4") -> np.ndarray:
    offset, count = ref
    return np.frombuffer(body, dtype=dtype, count=count, offset=offset)


def decode_payload(payload: bytes, z: np.ndarray) -> np.ndarray:
    """E[x|z] in [0, 1], (B, C, H, W), computed in numpy from the payload alone: the reference
    the JavaScript decoder follows step for step (float32 weights, float64 accumulation)."""
    header, body = read_payload(payload)
    h = np.atleast_2d(np.asarray(z, np.float32)).astype(np.float64)
    h = _run_layers(header["layers"], h, body)
    out = 1.0 / (1.0 + np.exp(-h))
    return out.reshape(len(out), *header["image_shape"]).astype(np.float32)


def encode_with_payload(payload: bytes, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma), each (B, D), of images x (B, C, H, W) computed in numpy from the payload's
    encoder: the reference the JavaScript encoder follows."""
    header, body = read_payload(payload)
    enc = header.get("encoder")
    if enc is None:
        raise ValueError("this payload carries no encoder")
    h = np.asarray(x, np.float32).reshape(-1, *header["image_shape"]).astype(np.float64)
    h = _run_layers(enc["layers"], h, body)
    mu = _run_layers([enc["mu"]], h, body)
    logvar = _run_layers([enc["logvar"]], h, body)
    return mu.astype(np.float32), np.exp(0.5 * logvar).astype(np.float32)


def _run_layers(layers: list[dict], h: np.ndarray, body: memoryview) -> np.ndarray:
    for layer in layers:
        kind = layer["type"]
        if kind == "linear":
            w = _blob(body, layer["weight"]).reshape(layer["out"], layer["in"]).astype(np.float64)
            h = h @ w.T + _blob(body, layer["bias"])
        elif kind == "relu":
            h = np.maximum(h, 0.0)
        elif kind == "unflatten":
            h = h.reshape(len(h), *layer["shape"])
        elif kind == "flatten":
            h = h.reshape(len(h), -1)
        elif kind == "conv_transpose2d":
            h = _conv_transpose2d(h, layer, body)
        elif kind == "conv2d":
            h = _conv2d(h, layer, body)
        h = h.astype(np.float32).astype(np.float64)  # each layer's output is float32, as in torch
    return h


def _conv2d(x: np.ndarray, layer: dict, body: memoryview) -> np.ndarray:
    kh, kw = layer["kernel"]
    sh, sw = layer["stride"]
    ph, pw = layer["padding"]
    w = _blob(body, layer["weight"]).reshape(layer["out_ch"], layer["in_ch"], kh, kw)
    b, _, hin, win = x.shape
    hout, wout = (hin + 2 * ph - kh) // sh + 1, (win + 2 * pw - kw) // sw + 1
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((b, layer["out_ch"], hout, wout))
    for ky in range(kh):
        for kx in range(kw):
            patch = padded[:, :, ky:ky + (hout - 1) * sh + 1:sh, kx:kx + (wout - 1) * sw + 1:sw]
            out += np.einsum("bihw,oi->bohw", patch, w[:, :, ky, kx].astype(np.float64))
    return out + _blob(body, layer["bias"])[None, :, None, None]


def _conv_transpose2d(x: np.ndarray, layer: dict, body: memoryview) -> np.ndarray:
    kh, kw = layer["kernel"]
    sh, sw = layer["stride"]
    ph, pw = layer["padding"]
    w = _blob(body, layer["weight"]).reshape(layer["in_ch"], layer["out_ch"], kh, kw)
    b, _, hin, win = x.shape
    hout, wout = (hin - 1) * sh - 2 * ph + kh, (win - 1) * sw - 2 * pw + kw
    full = np.zeros((b, layer["out_ch"], (hin - 1) * sh + kh, (win - 1) * sw + kw))
    for ky in range(kh):
        for kx in range(kw):
            contrib = np.einsum("bihw,io->bohw", x, w[:, :, ky, kx].astype(np.float64))
            full[:, :, ky:ky + (hin - 1) * sh + 1:sh, kx:kx + (win - 1) * sw + 1:sw] += contrib
    out = full[:, :, ph:ph + hout, pw:pw + wout]
    return out + _blob(body, layer["bias"])[None, :, None, None]


_payloads: "weakref.WeakKeyDictionary[nn.Module, dict[tuple, dict]]" = weakref.WeakKeyDictionary()
PAYLOADS_PER_MODEL = 4  # Generate, the explanation page and Draw each keep theirs: none evicts another


def model_payload(model: nn.Module, scatter: dict | None = None,
                  encoder: bool = False) -> tuple[bytes, str]:
    """The payload and its id (a content hash), remembered per model object (models are cached
    resources, so this encodes once per model, scatter and with or without the encoder)."""
    scatter_id = None if scatter is None else hashlib.sha1(
        np.ascontiguousarray(scatter["mu"][:MAX_SCATTER], np.float32).tobytes()).hexdigest() + (
        "+images" if scatter.get("images") is not None else "")
    per_model = _payloads.setdefault(model, {})
    key = (bool(encoder), scatter_id)
    cached = per_model.pop(key, None)
    if cached is None:
        payload = encode_payload(model, scatter, encoder=encoder)
        cached = {"payload": payload, "hash": read_payload(payload)[0]["id"]}
        while len(per_model) >= PAYLOADS_PER_MODEL:
            per_model.pop(next(iter(per_model)))  # the least recently used
    per_model[key] = cached  # last: the most recently used
    return cached["payload"], cached["hash"]


# ---------------------------------------------------------------------------------------------
# Slider ranges that cover prior and posterior.
# ---------------------------------------------------------------------------------------------

def slider_ranges(latent_dim: int, mu: np.ndarray | None = None) -> np.ndarray:
    """(D, 2) slider ends: the prior's +-3 sigma, widened to the posterior means' 0.5-99.5 %
    when the codes spread wider (a plain autoencoder's do)."""
    lo, hi = np.full(latent_dim, -3.0), np.full(latent_dim, 3.0)
    if mu is not None and len(mu):
        q = np.percentile(np.asarray(mu, np.float64), [0.5, 99.5], axis=0)
        lo, hi = np.minimum(lo, np.floor(q[0] * 2) / 2), np.maximum(hi, np.ceil(q[1] * 2) / 2)
    return np.stack([lo, hi], 1)


def format_z(z: np.ndarray) -> str:
    """z as the URL keeps it: comma separated, two decimals."""
    return ",".join(f"{v:.2f}" for v in np.asarray(z, np.float64))


def parse_z(text: str | None, latent_dim: int) -> np.ndarray | None:
    """z from a URL value, or None when it is absent or does not fit this model."""
    if not text:
        return None
    try:
        values = np.array([float(v) for v in str(text).split(",")], np.float64)
    except ValueError:
        return None
    if len(values) != latent_dim or not np.all(np.isfinite(values)):
        return None
    return np.clip(values, -50.0, 50.0)


# ---------------------------------------------------------------------------------------------
# The components
# ---------------------------------------------------------------------------------------------

def _read(name: str) -> str:
    return (ASSETS / name).read_text()


_assets_component = st.components.v2.component(
    "vae_decoder_assets", js=_read("decoder_assets.js"))
_explorer_component = st.components.v2.component(
    "vae_latent_explorer", html=_read("latent_explorer.html"), css=_read("latent_explorer.css"),
    js="\n".join(_read(f) for f in ("decoder_core.js", "plane.js", "latent_explorer.js")))


def _z_key(key: str) -> str:
    return f"_latent_explorer_z::{key}"


def _rev_key(key: str) -> str:
    return f"_latent_explorer_rev::{key}"


def set_explorer_z(key: str, z) -> None:
    """Move the explorer with this key to z (call before the explorer is drawn in this run).

    The revision number tells the browser that this z comes from Python and must replace the
    one under the user's hand; the echo of the user's own z does not change it."""
    st.session_state[_z_key(key)] = [float(v) for v in np.asarray(z, np.float64)]
    st.session_state[_rev_key(key)] = st.session_state.get(_rev_key(key), 0) + 1


def latent_explorer(model: nn.Module, *, key: str, z=None, kl_per_dim: np.ndarray | None = None,
                    active: np.ndarray | None = None, scatter: dict | None = None,
                    pad_dims: tuple[int, int] = (0, 1), image_px: int = 224) -> np.ndarray:
    """Sliders over z (ordered by KL per dim, inactive dims marked) and a 2-D pad, decoded in the
    browser while dragging. Returns the z the user last released (or `z`, or zeros).

    scatter: {"mu": (N, D), "labels": (N,), "class_names": [...]} drawn behind the pad; with
    "images" (N, C, H, W), hovering a point of the pad shows its image.
    """
    d = model.config.latent_dim
    zk = _z_key(key)
    if zk not in st.session_state:
        start = np.zeros(d) if z is None else np.asarray(z, np.float64)
        st.session_state[zk] = [float(v) for v in start]
    current = np.asarray(st.session_state[zk], np.float64)
    if current.shape != (d,):  # the model changed under this key
        current = np.zeros(d)
        st.session_state[zk] = current.tolist()

    kl = np.zeros(d) if kl_per_dim is None else np.asarray(kl_per_dim, np.float64)
    act = np.ones(d, bool) if active is None else np.asarray(active, bool)
    order = dims_by_kl(kl)
    ranges = slider_ranges(d, None if scatter is None else scatter["mu"])
    if not runs_in_browser(model):
        return _server_explorer(model, key, current, order, act, ranges, image_px)
    payload, model_hash = model_payload(model, scatter)
    if d < 2:
        pad = None
    else:
        pad = [int(pad_dims[0]) % d, int(pad_dims[1]) % d]
    _assets_component(data=payload, key=f"{key}::assets", height=0)

    def _on_z_change():
        value = st.session_state[key].get("z")
        if isinstance(value, list) and len(value) == d:
            st.session_state[zk] = [float(v) for v in value]

    _explorer_component(
        key=key,
        data={"model": model_hash, "z": current.tolist(), "order": order,
              "kl": [round(float(v), 4) for v in kl], "active": act.tolist(),
              "ranges": ranges.tolist(), "pad": pad, "image_px": int(image_px),
              "colors": class_colours(len(scatter["class_names"]) if scatter else 0),
              "rev": st.session_state.get(_rev_key(key), 0)},
        on_z_change=_on_z_change)
    return np.asarray(st.session_state[zk], np.float64)


def _server_explorer(model: nn.Module, key: str, current: np.ndarray, order: list[int],
                     active: np.ndarray, ranges: np.ndarray, image_px: int) -> np.ndarray:
    """Sliders (the dims with the most KL) decoded by the model in Python on release."""
    st.caption(SERVER_DECODE_NOTE)
    rev = st.session_state.get(_rev_key(key), 0)
    z = current.copy()
    left, right = st.columns([1.3, 1], gap="large")
    with left:
        for i in order[:SERVER_SLIDERS]:
            lo, hi = float(ranges[i][0]), float(ranges[i][1])
            z[i] = st.slider(f"z{i}" + ("" if active[i] else " (inactive)"), lo, hi,
                             value=float(np.clip(z[i], lo, hi)), step=0.01,
                             key=f"{key}::server::{i}::{rev}")
        if len(order) > SERVER_SLIDERS:
            st.caption(f"The other {len(order) - SERVER_SLIDERS} dims stay at their values.")
    st.session_state[_z_key(key)] = [float(v) for v in z]
    import torch

    with torch.no_grad():
        image = model.decode_mean(torch.tensor(z, dtype=torch.float32)[None])[0].numpy()
    side = int(model.config.image_shape[1])
    right.image(png_bytes(image, scale=auto_scale(side, image_px)), width=image_px,
                caption="the decoder's mean image of z, computed on the server",
                output_format="PNG")
    return z
