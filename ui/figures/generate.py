"""What the Generate page computes and draws: where z comes from (the prior, a grid of Gaussian
quantiles, a sweep of one dim, a line between two codes) and its image grids.

The z builders are pure numpy. The view builders (image_grid_view and the page's five:
nearest_view, samples_view, manifold_view, traversal_view, interpolation_view) take decoded
images (values in [0, 1]) and return the numbers the charts component draws a grid from: a PNG
at source resolution that the browser upscales with image-rendering: pixelated, so pixels stay
crisp at any width, and the grid's words. The figure builders (image_grid_figure,
manifold_figure, samples_figure) draw the same picture as a Plotly figure, for the HTML export
(ui.export).
"""
from __future__ import annotations

import base64
from statistics import NormalDist

import numpy as np
import plotly.graph_objects as go

from ui.figures.images import for_display, grid, png_bytes
from ui.style import MIN_PLOT_PX, tick_room

SEPARATOR = 0.35  # the grey between tiles: visible on black digits and on light or dark pages


# ---- where z comes from ----------------------------------------------------------------------

def prior_z(n: int, latent_dim: int, seed: int) -> np.ndarray:
    """n draws from the prior N(0, I), reproducible from the seed."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim))


def gaussian_quantiles(n: int, lo: float = 0.05, hi: float = 0.95) -> np.ndarray:
    """The prior's quantiles at linspace(lo, hi, n): equal steps of probability mass, as in the
    classic Keras manifold figure, so the grid covers where the prior puts its samples."""
    return np.array([NormalDist().inv_cdf(p) for p in np.linspace(lo, hi, n)])


def manifold_z(base_z: np.ndarray, dim_x: int, dim_y: int, n: int):
    """z on an n x n grid of Gaussian quantiles over two dims, the others at base_z.

    Returns (z (n, n, D), xs, ys): row r has z[dim_y] = ys[r] (ys descending, so up is up), column
    c has z[dim_x] = xs[c]."""
    if dim_x == dim_y:
        raise ValueError("the manifold needs two different dims")
    q = gaussian_quantiles(n)
    xs, ys = q, q[::-1].copy()
    z = np.tile(np.asarray(base_z, np.float64), (n, n, 1))
    z[:, :, dim_x] = xs[None, :]
    z[:, :, dim_y] = ys[:, None]
    return z, xs, ys


def traversal_z(base_z: np.ndarray, dims, values) -> np.ndarray:
    """(len(dims), len(values), D): row i sweeps dims[i] over values, the others at base_z."""
    base = np.asarray(base_z, np.float64)
    z = np.tile(base, (len(dims), len(values), 1))
    for i, d in enumerate(dims):
        z[i, :, d] = values
    return z


def interpolation_z(z_a: np.ndarray, z_b: np.ndarray, steps: int):
    """(steps, D) on the straight line from z_a to z_b, with the fractions t."""
    t = np.linspace(0.0, 1.0, steps)
    za, zb = np.asarray(z_a, np.float64), np.asarray(z_b, np.float64)
    return za[None] + t[:, None] * (zb - za)[None], t


def nearest_codes(z: np.ndarray, mu: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and Euclidean distances of the k posterior means nearest to z, nearest first."""
    dist = np.linalg.norm(np.asarray(mu, np.float64) - np.asarray(z, np.float64)[None], axis=1)
    idx = np.argsort(dist, kind="stable")[:k]
    return idx, dist[idx]


# ---- figures ---------------------------------------------------------------------------------

def _tiled(images: np.ndarray):
    """An (R, C, H, W), (R, C, 1, H, W) or colour (R, C, 3, H, W) block of images as one picture,
    tiles parted by a 1 px grey line: (picture, rows, cols, h, w, pad)."""
    images = np.asarray(images, np.float32)
    if images.ndim == 5 and images.shape[2] == 1:  # (R, C, 1, H, W)
        images = images[:, :, 0]
    if images.ndim != 4 and not (images.ndim == 5 and images.shape[2] == 3):
        raise ValueError(f"expected (rows, cols, H, W) images, got shape {images.shape}")
    rows, cols = images.shape[:2]
    h, w = images.shape[-2:]
    pad = 1
    picture = grid(images.reshape(rows * cols, *images.shape[2:]), ncols=cols, pad=pad,
                   pad_value=SEPARATOR)
    return picture, rows, cols, h, w, pad


def _grid_height(height_px: int, col_labels, x_title, title, max_height: int):
    """(figure height, top, bottom): the margins Plotly would grow to hold the labels, given up
    front, and a figure tall enough to keep its least plot height beside them (it draws once)."""
    show_x = col_labels is not None
    lines = max(str(t).count("<br>") + 1 for t in col_labels) if show_x and len(col_labels) else 0
    top, bottom = 40 if title else 10, tick_room(lines, bool(x_title))
    height = int(min(max_height, max(120, 2.2 * height_px + 60 + (40 if title else 0),
                                     top + bottom + MIN_PLOT_PX)))
    return height, top, bottom


def image_grid_figure(images: np.ndarray, *, col_labels=None, row_labels=None,
                      x_title: str | None = None, y_title: str | None = None,
                      title: str | None = None, scale: int = 1,
                      max_height: int = 640) -> go.Figure:
    """An (R, C, H, W) block of images in [0, 1] (or (R, C, 1|3, H, W): greyscale or colour) as one
    crisp picture, tiles labelled on the axes.

    Axis units are source pixels; tick marks sit at tile centres."""
    picture, rows, cols, h, w, pad = _tiled(images)
    height_px, width_px = picture.shape[:2]
    uri = "data:image/png;base64," + base64.b64encode(png_bytes(picture, scale)).decode()
    fig = go.Figure(go.Image(source=uri, x0=0, y0=0, dx=1 / scale, dy=1 / scale,
                             hoverinfo="skip"))
    xc = [pad + c * (w + pad) + w / 2 - 0.5 for c in range(cols)]
    yc = [pad + r * (h + pad) + h / 2 - 0.5 for r in range(rows)]
    show_x, show_y = col_labels is not None, row_labels is not None
    # labels stay level and the figure grows to hold them (a rotated label was cut at the bottom)
    fig.update_xaxes(range=[-0.5, width_px - 0.5], showgrid=False, zeroline=False,
                     showticklabels=show_x, tickvals=xc if show_x else None,
                     ticktext=list(col_labels) if show_x else None, title=x_title, ticks="",
                     tickangle=0, automargin=True)
    fig.update_yaxes(range=[height_px - 0.5, -0.5], showgrid=False, zeroline=False,
                     showticklabels=show_y, tickvals=yc if show_y else None,
                     ticktext=list(row_labels) if show_y else None, title=y_title, ticks="",
                     scaleanchor="x", scaleratio=1)
    height, top, bottom = _grid_height(height_px, col_labels, x_title, title, max_height)
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=top, b=bottom),
                      dragmode=False)
    return fig


def image_grid_view(images: np.ndarray, *, label: str, col_labels=None, row_labels=None,
                    x_title: str | None = None, y_title: str | None = None,
                    title: str | None = None, max_height: int = 640, hover=None) -> dict:
    """The numbers the charts component draws the same grid from (kind "images"): the picture as
    a PNG at source resolution, which the browser scales up with its pixels kept square and
    crisp, the grid's shape, each column's and row's words (a column's lines split at "<br>"),
    what a hover over each tile says (`hover`, rows of words; by default its row's and column's
    labels, none where both are empty), and the height the picture may take, as
    image_grid_figure's plot. `label` names the picture for a screen reader where it has no
    title."""
    picture, rows, cols, h, w, pad = _tiled(images)
    height_px, width_px = picture.shape[:2]
    height, top, bottom = _grid_height(height_px, col_labels, x_title, title, max_height)
    if hover is None:
        def words(labels, n: int) -> list[str]:
            return [", ".join(str(t).split("<br>")) for t in labels] if labels is not None \
                else [""] * n
        hover = [[" · ".join(w for w in (r, c) if w) for c in words(col_labels, cols)]
                 for r in words(row_labels, rows)]
    return {"kind": "images", "title": title or "", "label": title or label,
            "png": "data:image/png;base64," + base64.b64encode(png_bytes(picture)).decode(),
            "size": [int(width_px), int(height_px)], "grid": [int(rows), int(cols)],
            "tile": [int(h), int(w)], "pad": pad, "plot_height": height - top - bottom,
            "col_labels": [str(t).split("<br>") for t in col_labels]
            if col_labels is not None else None,
            "row_labels": [str(t) for t in row_labels] if row_labels is not None else None,
            "hover": [[str(w) for w in row] for row in hover],
            "x_title": x_title, "y_title": y_title}


def _manifold_words(xs: np.ndarray, ys: np.ndarray, dim_x: int, dim_y: int) -> dict:
    n = len(xs)
    every = max(1, n // 8)
    fmt = lambda v, i: f"{round(v, 2) + 0:+.2f}" if i % every == 0 or i == n - 1 else ""  # noqa: E731
    return dict(col_labels=[fmt(v, i) for i, v in enumerate(xs)],
                row_labels=[fmt(v, i) for i, v in enumerate(ys)],
                x_title=f"z{dim_x} (prior quantiles 5 % … 95 %)", y_title=f"z{dim_y}",
                max_height=760)


def manifold_figure(images: np.ndarray, xs: np.ndarray, ys: np.ndarray, dim_x: int,
                    dim_y: int) -> go.Figure:
    """The decoded manifold: tile (r, c) is decode(z) with z[dim_x] = xs[c], z[dim_y] = ys[r]."""
    return image_grid_figure(images, **_manifold_words(xs, ys, dim_x, dim_y))


def manifold_view(images: np.ndarray, xs: np.ndarray, ys: np.ndarray, dim_x: int,
                  dim_y: int) -> dict:
    """manifold_figure's picture for the charts component; a hover names the tile's z."""
    at = lambda d, v: f"z{d} = {round(v, 2) + 0:+.2f}"  # noqa: E731
    return image_grid_view(images, label="The decoded manifold",
                           hover=[[f"{at(dim_x, x)}, {at(dim_y, y)}" for x in xs] for y in ys],
                           **_manifold_words(xs, ys, dim_x, dim_y))


def traversal_view(images: np.ndarray, dims, values, kl=None, active=None) -> dict:
    """Row i: dim dims[i] swept over values, the other dims held at the current z; each row named
    with its dim, KL and whether it is active; a hover names the dim and its value."""
    rows = []
    for d in dims:
        label = f"z{d}"
        if kl is not None:
            label += f" · {kl[d]:.2f} nats"
        if active is not None and not active[d]:
            label += " · inactive"
        rows.append(label)
    return image_grid_view(images, label="Latent traversals", row_labels=rows,
                           col_labels=[f"{v:+.1f}" for v in values],
                           x_title="value of the swept dim (the prior's σ = 1)", max_height=1400,
                           hover=[[f"z{d} = {v:+.1f}" for v in values] for d in dims])


def interpolation_view(images: np.ndarray, t: np.ndarray, label_a: str, label_b: str) -> dict:
    """One row: decode((1 - t) mu_a + t mu_b), its ends named; a hover names the tile's t."""
    cols = [f"{v:.2f}" for v in t]
    cols[0], cols[-1] = f"{label_a}", f"{label_b}"
    return image_grid_view(np.asarray(images)[None], label="Interpolation between two test images",
                           col_labels=cols, x_title="t: z = (1 − t) μ_a + t μ_b",
                           hover=[[f"t = {v:.2f}" for v in t]])


def _filled(images: np.ndarray, ncols: int) -> np.ndarray:
    """(N, ...) images as (rows, ncols, ...) tiles, the last row filled with the separator's grey."""
    images = for_display(np.asarray(images, np.float32))
    n = len(images)
    rows = -(-n // ncols)
    padded = np.full((rows * ncols, *images.shape[1:]), SEPARATOR, np.float32)
    padded[:n] = images
    return padded.reshape(rows, ncols, *images.shape[1:])


def samples_figure(images: np.ndarray, ncols: int) -> go.Figure:
    """Decoded prior samples, tiled ncols wide."""
    return image_grid_figure(_filled(images, ncols))


def samples_view(images: np.ndarray, ncols: int) -> dict:
    """samples_figure's picture for the charts component (a hover over a sample says nothing)."""
    return image_grid_view(_filled(images, ncols), label="Samples from the prior")


def nearest_view(images: np.ndarray, captions) -> dict:
    """The test images whose posterior means are nearest to z, captioned under each tile; a hover
    repeats the tile's caption."""
    images = for_display(np.asarray(images, np.float32))
    return image_grid_view(images[None], label="Nearest test images", col_labels=list(captions))
