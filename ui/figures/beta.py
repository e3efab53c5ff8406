"""Figures for the beta family and for the spread of stochastic reconstructions: pure builders."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from ui.figures.explain import colour_bar, image_row_png
from ui.figures.labels import nice_ticks
from vae.numeric import ACTIVE_UNIT_THRESHOLD

SPREAD_WHITE = 0.3  # a pixel whose std over the draws is >= this is drawn white


def beta_label(beta: float) -> str:
    return "β = 0 (autoencoder)" if beta == 0 else f"β = {beta:g}"


def active_units_figure(betas, active_units, latent_dim: int, kl=None) -> go.Figure:
    """Active units per beta as bars on an axis from 0 to the latent size (the whole of it)."""
    labels = [f"{b:g}" for b in betas]
    fig = go.Figure(go.Bar(
        x=labels, y=list(active_units), text=[f"{a} of {latent_dim}" for a in active_units],
        textposition="outside", marker_color="#3d8ed1", cliponaxis=False,
        customdata=list(kl) if kl is not None else None,
        hovertemplate="β = %{x}<br>active units: %{y}"
                      + ("<br>KL: %{customdata:.2f} nats" if kl is not None else "")
                      + "<extra></extra>"))
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10),
                      title=f"Active units (Var over x of mu_d > {ACTIVE_UNIT_THRESHOLD:g})")
    fig.update_xaxes(title_text="β", type="category")
    fig.update_yaxes(title_text="active units", range=[0, latent_dim * 1.18], rangemode="tozero")
    return fig


BAR_COLOUR = "#3d8ed1"


def active_units_view(betas, active_units, latent_dim: int, kl=None, title: str | None = None) -> dict:
    """active_units_figure as plain numbers for the SVG charts component
    (ui.components.z_cloud.chart, kind "bars"): a bar per beta on an axis from 0 to the latent
    size (the whole of it), "a of D" above each, and the KL in its hover."""
    labels = [f"{b:g}" for b in betas]
    top = latent_dim * 1.18
    return {
        "kind": "bars", "plot_height": 250,
        "title": title or f"Active units (Var over x of mu_d > {ACTIVE_UNIT_THRESHOLD:g})",
        "x_title": "β", "y_title": "active units", "y_range": [0.0, top],
        "y_ticks": [t for t in nice_ticks(0.0, top, 5) if t[0] <= latent_dim],
        "colour": BAR_COLOUR,
        "bars": [{"label": lb, "value": int(a), "text": f"{int(a)} of {latent_dim}",
                  "hover": f"β = {lb} · active units: {int(a)}"
                  + (f" · KL: {float(k):.2f} nats" if kl is not None else "")}
                 for lb, a, k in zip(labels, active_units,
                                     kl if kl is not None else [None] * len(labels))],
    }


def kl_per_dim_view(betas, kl_per_dim, cap: float = 2.0, active=None) -> dict:
    """kl_per_dim_figure as plain numbers for the SVG charts component (kind "heatmap"): a row
    per beta, a cell per latent dim coloured on Viridis by its KL (>= cap at the top), × on a dim
    the active-unit test calls inactive, and a colour bar."""
    kl = np.asarray(kl_per_dim, float)
    frac = np.clip(np.nan_to_num(kl, nan=0.0) / cap, 0.0, 1.0)
    colours = sample_colorscale("Viridis", frac.ravel().tolist(), colortype="rgb") if kl.size \
        else []
    marks = np.asarray(active, bool) if active is not None else np.ones(kl.shape, bool)
    rows = [f"β = {b:g}" for b in betas]
    return {
        "kind": "heatmap",
        "title": "KL per latent dim",
        "subtitle": (f"×: inactive (Var over x of mu_d ≤ {ACTIVE_UNIT_THRESHOLD:g}), as the bars "
                     "count" if active is not None
                     else "dark: a small KL; not by itself an inactive dim"),
        "rows": rows, "cols": [f"z{d}" for d in range(kl.shape[1] if kl.ndim == 2 else 0)],
        "cells": [[{"colour": colours[r * kl.shape[1] + c], "mark": not bool(marks[r, c]),
                    "light": bool(frac[r, c] > 0.6),
                    "hover": f"{rows[r]}, z{c}: KL {kl[r, c]:.3f} nats"}
                   for c in range(kl.shape[1])] for r in range(len(rows))],
        "colour_bar": colour_bar("KL, nats", [0.0, 0.5, 1.0],
                                 ["0", f"{cap / 2:g}", f"≥ {cap:g}"]),
    }


def spread_png(spread: np.ndarray, ncols: int | None = None, target_width: int = 900,
               max_scale: int = 4) -> bytes:
    """Per-pixel std over draws (N, H, W) on one fixed scale: black 0, white >= SPREAD_WHITE."""
    return image_row_png(np.clip(np.asarray(spread, np.float32) / SPREAD_WHITE, 0.0, 1.0),
                         ncols=ncols, target_width=target_width, max_scale=max_scale)


def order_by_spread(spread: np.ndarray, pool: np.ndarray, n: int) -> np.ndarray:
    """The n indices of `pool` whose mean per-pixel spread is largest, largest first."""
    pool = np.asarray(pool)
    if len(pool) == 0:
        return pool
    score = np.asarray(spread, float).reshape(len(spread), -1).mean(1)[pool]
    return pool[np.argsort(-score, kind="stable")[:n]]
