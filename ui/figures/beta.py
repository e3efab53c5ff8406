"""Figures for the beta family and for the spread of stochastic reconstructions: pure builders."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.figures.explain import image_row_png
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


def kl_per_dim_figure(betas, kl_per_dim, cap: float = 2.0, active=None) -> go.Figure:
    """One row per beta, one cell per latent dim, coloured by the dim's KL (nats; >= cap is full).

    active: (n_betas, D) booleans, the active-unit test the bars beside it count (Var over x of
    mu_d > vae.losses.ACTIVE_UNIT_THRESHOLD); inactive cells are marked ×. The colour alone does
    not say "unused": a dim with a small KL may still move with x."""
    kl = np.asarray(kl_per_dim, float)
    labels = [f"β = {b:g}" for b in betas]
    text = None
    if active is not None:
        text = np.where(np.asarray(active, bool), "", "×")
    fig = go.Figure(go.Heatmap(
        z=np.minimum(kl, cap), x=[f"z{d}" for d in range(kl.shape[1])], y=labels,
        customdata=kl, zmin=0.0, zmax=cap, colorscale="Viridis", text=text,
        texttemplate="%{text}" if text is not None else None, textfont=dict(size=14),
        colorbar=dict(title="KL, nats", tickvals=[0, cap / 2, cap],
                      ticktext=["0", f"{cap / 2:g}", f"≥ {cap:g}"]),
        hovertemplate="%{y}, %{x}: KL %{customdata:.3f} nats<extra></extra>"))
    # two lines: in a half-width column one line was cut at the chart's right edge
    title = ("KL per latent dim<br><sup>×: inactive (Var over x of mu_d ≤ "
             f"{ACTIVE_UNIT_THRESHOLD:g}), as the bars count</sup>" if active is not None
             else "KL per latent dim (dark: a small KL; not by itself an inactive dim)")
    fig.update_layout(height=75 + 34 * len(labels), margin=dict(l=10, r=10, t=55, b=10),
                      title=title)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    return fig


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
