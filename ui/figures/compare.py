"""Figures of the "Compare two models" page: pure builders, numbers in and Plotly figures out, and
the image grids as views for the charts component (ui/components/charts.js)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.figures.generate import image_grid_view
from ui.style import class_colour, equal_aspect, scatter_type


def reconstructions_view(originals: np.ndarray, recon_a: np.ndarray, recon_b: np.ndarray,
                         name_a: str, name_b: str, col_labels=None) -> dict:
    """Three rows of the same test images: the originals, A's and B's mean reconstructions, as an
    image grid for the charts component (ui.figures.generate.image_grid_view)."""
    images = np.stack([np.asarray(originals, np.float32), np.asarray(recon_a, np.float32),
                       np.asarray(recon_b, np.float32)])
    if images.shape[1] == 0:
        raise ValueError("no images to show")
    return image_grid_view(images, label="The same test images through both",
                           row_labels=["original", f"A: {name_a}", f"B: {name_b}"],
                           col_labels=col_labels)


def per_class_table(stats_a: dict, stats_b: dict, class_names) -> pd.DataFrame:
    """A row per class and one for all images: -ELBO, recon and KL of A and of B, and B - A."""
    rows = []
    for c, name in enumerate(class_names):
        row = {"class": str(name), "images": int(stats_a["count"][c])}
        for key, label in (("neg_elbo", "-ELBO"), ("recon", "recon"), ("kl", "KL")):
            a, b = float(stats_a[key][c]), float(stats_b[key][c])
            row.update({f"A {label}": a, f"B {label}": b, f"B - A {label}": b - a})
        rows.append(row)
    total = {"class": "all", "images": int(np.sum(stats_a["count"]))}
    for key, label in (("neg_elbo", "-ELBO"), ("recon", "recon"), ("kl", "KL")):
        a, b = stats_a[f"all/{key}"], stats_b[f"all/{key}"]
        total.update({f"A {label}": a, f"B {label}": b, f"B - A {label}": b - a})
    rows.append(total)
    return pd.DataFrame(rows)


def per_class_figure(stats_a: dict, stats_b: dict, class_names, name_a: str,
                     name_b: str) -> go.Figure:
    """-ELBO per class as bars for A and B, each split into recon (solid) and KL (hatched)."""
    names = [str(n) for n in class_names]
    fig = go.Figure()
    for stats, label, offset in ((stats_a, f"A: {name_a}", "A"), (stats_b, f"B: {name_b}", "B")):
        colour = "#4C72B0" if offset == "A" else "#DD8452"
        fig.add_bar(x=names, y=stats["recon"], name=f"{label} · recon", offsetgroup=offset,
                    marker_color=colour, legendgroup=offset)
        fig.add_bar(x=names, y=stats["kl"], base=stats["recon"], name=f"{label} · KL",
                    offsetgroup=offset, marker=dict(color=colour, pattern_shape="/"),
                    legendgroup=offset,
                    customdata=np.asarray(stats["neg_elbo"])[:, None],
                    hovertemplate="KL %{y:.2f}<br>-ELBO %{customdata[0]:.2f}<extra></extra>")
    # class names as categories: digits' names ("0" ... "9") would make a numeric axis, whose
    # ticks name every other class
    fig.update_layout(barmode="group", height=360, yaxis_title="nats per image (test set)",
                      xaxis=dict(title="class", type="category"),
                      margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.12))
    return fig


def decoder_pair_view(images_a: np.ndarray, images_b: np.ndarray, name_a: str, name_b: str,
                      title: str, col_labels=None) -> dict:
    """The same z (one per column) through A's decoder (top row) and B's (bottom row), as an image
    grid for the charts component."""
    images = np.stack([np.asarray(images_a, np.float32), np.asarray(images_b, np.float32)])
    return image_grid_view(images, label=title, row_labels=[f"A: {name_a}", f"B: {name_b}"],
                           col_labels=col_labels, title=title)


def busiest_dims(mu: np.ndarray, n: int = 2) -> list[int]:
    """A model's n latent dims that its codes spread over most (largest variance of mu), in
    that order: the plane worth looking at (an inactive dim draws every code on one line)."""
    mu = np.asarray(mu, np.float64)
    return [int(k) for k in np.argsort(-mu.var(axis=0), kind="stable")[:n]]


def posterior_pair_figure(mu_a: np.ndarray, mu_b: np.ndarray, labels: np.ndarray, class_names,
                          name_a: str, name_b: str, dims=(0, 1), aligned: bool = True,
                          links: int = 200) -> go.Figure:
    """Both models' posterior means on one plane, coloured by class: A as dots, B (aligned onto A
    when `aligned`) as crosses, with a grey line from each of the first `links` of A's points to
    the same image's point of B, so that what moved shows."""
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)
    labels = np.asarray(labels)
    i, j = dims
    scatter = scatter_type(2 * len(mu_a) + 3 * links)
    fig = go.Figure()
    n = min(links, len(mu_a))
    if n:
        xs = np.column_stack([mu_a[:n, i], mu_b[:n, i], np.full(n, np.nan)]).ravel()
        ys = np.column_stack([mu_a[:n, j], mu_b[:n, j], np.full(n, np.nan)]).ravel()
        fig.add_trace(scatter(x=xs, y=ys, mode="lines", name="same image",
                              line=dict(color="rgba(128,128,128,0.35)", width=1),
                              hoverinfo="skip"))
    b_name = f"B: {name_b}" + (" (aligned)" if aligned else "")
    for c, cname in enumerate(class_names):
        mask = labels == c
        if not mask.any():
            continue
        colour = class_colour(c)
        # one legend entry per class stands for both models' points (the title says which
        # marker is whose); "cname · A" alone read as if B had no entry
        fig.add_trace(scatter(x=mu_a[mask, i], y=mu_a[mask, j], mode="markers",
                              name=str(cname), legendgroup=str(c),
                              marker=dict(color=colour, size=5, symbol="circle")))
        fig.add_trace(scatter(x=mu_b[mask, i], y=mu_b[mask, j], mode="markers",
                              name=f"{cname} · B", legendgroup=str(c), showlegend=False,
                              marker=dict(color=colour, size=6, symbol="x-thin",
                                          line=dict(color=colour, width=1.5))))
    fig.update_layout(height=600, margin=dict(l=10, r=10, t=40, b=10),
                      title=f"dots: A: {name_a} · crosses: {b_name}",
                      xaxis_title=f"z{i}", yaxis_title=f"z{j}")
    return equal_aspect(fig)


def residual_sentence(fit: dict) -> str:
    """The Procrustes fit in words."""
    return (f"Root-mean-square distance between the same image's codes: "
            f"{fit['rms_before']:.2f} before aligning, {fit['rms_after']:.2f} after "
            f"({fit['relative']:.0%} of A's spread left"
            + ("; the best fit includes a reflection" if fit["reflection"] else "") + ").")
