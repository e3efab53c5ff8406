"""Draw (or upload) an input and watch the encoder place it: a canvas at the dataset's resolution
whose pixels the ENCODER, running in the browser, maps to mu and sigma on every animation frame in
which the drawing changed; the input's ellipse moves over the test-set scatter and decode(mu) and
decodes of z = mu + sigma * eps follow.

The weights travel as in the Generate page's explorer (ui/components/decoder.py): the payload
(decoder + encoder + scatter, raw float32) goes through the `vae_decoder_assets` component, whose
message only changes with the model, and this component finds it by content hash. When a stroke
ends (pointerup), after undo and after clear, the drawing's pixels, with the browser's mu and sigma,
come back to Python as the component state "drawing"; the page keeps them in
st.session_state["drawn_input"], where the other pages find them through `drawn_input()`.
"""
from __future__ import annotations

import math
import zlib
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from ui.components.decoder import _assets_component, _read, model_payload, slider_ranges
from ui.style import class_colours, same_scatter_type
from vae.numeric import dims_by_kl

# PyTorch only where a drawing is encoded: the Latent page imports this module and draws its first
# view without PyTorch (ui.cache.runs).
if TYPE_CHECKING:
    from torch import nn

DRAWN_KEY = "drawn_input"  # (C, H, W) float32 in [0, 1] (k / 255): the drawing or converted upload
DRAWN_SOURCE_KEY = "drawn_input_source"  # how it was made, in words ("your drawing", "photo.png")
N_SAMPLES = 4
DRAWN_COLOUR = "#ff4b4b"  # Streamlit's primary red, as the canvas's ellipse; no class has it

_draw_component = st.components.v2.component(
    "vae_draw", html=_read("draw.html"), css=_read("draw.css"),
    js="\n".join(_read(f) for f in ("decoder_core.js", "plane.js", "draw.js")))


def brush_for(size: int) -> dict:
    """The brush in pixels of the input: a solid core and a soft edge. At 28x28 it paints strokes
    about 2.5 px wide with grey edges, like MNIST's pen strokes after their anti-aliased scaling;
    scikit-learn's 8x8 digits have strokes about two pixels wide, grey at their edges."""
    return {"core": round(0.9 * size / 28, 3) if size >= 16 else 0.55,
            "soft": round(1.1 * size / 28, 3) if size >= 16 else 0.6}


def to_levels(x: np.ndarray) -> np.ndarray:
    """Pixels in [0, 1] as the 256 grey levels the canvas holds (MNIST's pixels are bytes too)."""
    return (np.clip(np.asarray(x, np.float64), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def from_levels(levels) -> np.ndarray:
    """Grey levels 0-255 as float32 in [0, 1], exactly as the browser computes them (k / 255 in
    double precision, then rounded to float32), so both sides encode the same numbers."""
    return (np.asarray(levels, np.float64) / 255.0).astype(np.float32)


def pixels_from_browser(value, image_shape) -> np.ndarray | None:
    """The browser's grey levels (a list of ints 0-255) as a (C, H, W) float32 array in [0, 1],
    or None when it is not one of the right size (a stale message from another model)."""
    n = math.prod(image_shape)
    if not isinstance(value, (list, tuple)) or len(value) != n:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value):
        return None
    return from_levels(value).reshape(tuple(image_shape))


def drawn_input(image_shape) -> np.ndarray | None:
    """The user's drawing (or converted upload) as (C, H, W) float32, when there is one that fits
    this model's input; None otherwise. For pages that offer "your drawing" as an input."""
    x = st.session_state.get(DRAWN_KEY)
    if x is None:
        return None
    x = np.asarray(x, np.float32)
    if x.size != math.prod(image_shape) or not x.any():
        return None
    return x.reshape(tuple(image_shape))


def drawn_source() -> str:
    """What the kept input is, in words: "your drawing", "your drawing, centred", or the name of
    the uploaded file."""
    return st.session_state.get(DRAWN_SOURCE_KEY, "your drawing")


def drawn_id(x: np.ndarray) -> int:
    """A stable number for an input that is not a test image (a seed or cache key where pages use
    a test index): above any test index, and different for different pixels."""
    return 10**7 + zlib.crc32(np.ascontiguousarray(x, np.float32).tobytes()) % 10**7


def encode_drawn(model: nn.Module, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma), each (D,), of one input (C, H, W) by torch."""
    import torch

    with torch.no_grad():
        q = model.encode(torch.from_numpy(np.array(x, np.float32)[None]))
    return q.mu[0].numpy(), q.std[0].numpy()


def set_drawn_input(x: np.ndarray | None, source: str = "your drawing") -> None:
    """Keep an input for every page, and put it on the canvas of any Draw component (the
    revision tells the browser it comes from Python and replaces what is drawn)."""
    if x is None:
        st.session_state.pop(DRAWN_KEY, None)
        st.session_state.pop(DRAWN_SOURCE_KEY, None)
    else:
        st.session_state[DRAWN_KEY] = from_levels(to_levels(x))
        st.session_state[DRAWN_SOURCE_KEY] = source
    st.session_state.pop("draw_browser_posterior", None)  # it was of the pixels replaced here
    st.session_state["_draw_rev"] = st.session_state.get("_draw_rev", 0) + 1


def pad_range(mu: np.ndarray, dims: tuple[int, int]) -> list[float]:
    """One [lo, hi] for both pad axes (so one unit of z is as long across as up): the prior's
    +-3 sigma, widened to the codes' 0.5-99.5 % on either dim."""
    r = slider_ranges(mu.shape[1], mu)[list(dims)]
    return [float(r[:, 0].min()), float(r[:, 1].max())]


def draw_input(model: nn.Module, *, key: str, scatter: dict, kl_per_dim: np.ndarray,
               pad_dims: tuple[int, int], guide: tuple[int, str], eps_seed: int = 0) -> None:
    """The canvas, the live posterior over the scatter and the live decodes.

    scatter: {"mu": (N, D), "labels": (N,), "class_names": [...]} of the test set.
    guide: (box, centre) of the dataset's framing (vae.image_input.Framing), drawn as a hint.
    """
    shape = tuple(model.config.image_shape)
    d = model.config.latent_dim
    payload, model_hash = model_payload(model, scatter, encoder=True)
    _assets_component(data=payload, key=f"{key}::assets", height=0)
    base = drawn_input(shape)

    def _on_drawing_change():
        value = st.session_state[key].get("drawing") or {}
        if value.get("model") != model_hash:
            return  # a message from a canvas of another model
        x = pixels_from_browser(value.get("pixels"), shape)
        if x is None or not x.any():
            st.session_state.pop(DRAWN_KEY, None)
            st.session_state.pop(DRAWN_SOURCE_KEY, None)
            st.session_state.pop("draw_browser_posterior", None)
            return
        st.session_state[DRAWN_KEY] = x
        st.session_state[DRAWN_SOURCE_KEY] = value.get("source") or "your drawing"
        st.session_state["draw_browser_posterior"] = {
            "x": x, "mu": np.asarray(value.get("mu", []), np.float64),
            "sigma": np.asarray(value.get("sigma", []), np.float64)}

    order = dims_by_kl(kl_per_dim)
    dims = (int(pad_dims[0]) % d, int(pad_dims[1]) % d) if d >= 2 else None
    _draw_component(
        key=key,
        data={"model": model_hash, "shape": list(shape),
              "pad": list(dims) if dims else None,
              "range": pad_range(scatter["mu"], dims) if dims else [-3.0, 3.0],
              "order": order[:16],
              "colors": class_colours(len(scatter.get("class_names", []))),
              "brush": brush_for(shape[-1]), "guide": {"box": int(guide[0]), "centre": guide[1]},
              "n_samples": N_SAMPLES, "eps_seed": int(eps_seed),
              "base": None if base is None else to_levels(base).ravel().tolist(),
              "source": drawn_source() if base is not None else None,
              "rev": st.session_state.get("_draw_rev", 0)},
        on_drawing_change=_on_drawing_change)


def drawn_overlay(fig, mu: np.ndarray, sigma: np.ndarray, *, dims=(0, 1), projection: str = "dims",
                  codes_mu: np.ndarray | None = None, label: str = "your drawing"):
    """Add one input's q(z|x) = N(mu, diag sigma^2) to a latent-plane figure (ui.figures.latent's
    posterior_figure): its 1-sigma and 2-sigma ellipses and its mean as a star, in the figure's
    coordinates: two latent dims, or (projection="pca") the PCA of `codes_mu` that the figure
    used, where the ellipse is the projected covariance W diag(sigma^2) W^T. Returns the figure."""
    mu = np.asarray(mu, np.float64)
    var = np.asarray(sigma, np.float64) ** 2
    if projection == "pca":
        from sklearn.decomposition import PCA
        w = PCA(n_components=2, random_state=0).fit(np.asarray(codes_mu, np.float64)).components_
        centre, cov = w @ mu, (w * var) @ w.T
    else:
        i, j = (int(d) for d in dims)
        centre, cov = mu[[i, j]], np.diag(var[[i, j]])
    root = np.linalg.cholesky(cov + 1e-18 * np.eye(2))
    t = np.linspace(0, 2 * np.pi, 73)
    circle = np.stack([np.cos(t), np.sin(t)])
    # The figure's own kind (SVG, or WebGL for many points), so the input is drawn above them.
    Scatter = same_scatter_type(fig)
    for k, dash in ((1, "solid"), (2, "dash")):
        ring = centre[:, None] + k * root @ circle
        fig.add_trace(Scatter(x=ring[0], y=ring[1], mode="lines", hoverinfo="skip",
                              line=dict(color=DRAWN_COLOUR, width=2.5, dash=dash),
                              name=f"{label}: q(z|x) at {k} σ", legendgroup="drawn",
                              showlegend=k == 1))
    fig.add_trace(Scatter(
        x=[centre[0]], y=[centre[1]], mode="markers+text", name=f"{label}: μ", legendgroup="drawn",
        text=[label], textposition="top right", textfont=dict(color=DRAWN_COLOUR, size=14),
        marker=dict(symbol="star", size=20, color=DRAWN_COLOUR, line=dict(color="white", width=1.5)),
        hovertemplate=f"{label}<br>μ = (%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    return fig
