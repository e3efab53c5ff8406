"""Pure figure builders for the latent space: numpy in, plotly.graph_objects.Figure out.

Nothing here reads Streamlit state. The geometry helpers (ellipses, PCA projection, the aggregate
posterior's density) are pure too, and tested on their own.
"""
from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go

from ui.style import (ANNOTATION_FONT_SIZE, CLASS_COLOURS, DENSITY_SCALE, FONT_SIZE,
                      LABEL_BACKDROP, LABEL_TEXT, LEGEND_FONT_SIZE, NEUTRAL, PRIOR_DASH, AXIS_ROOM_LEFT,
                      AXIS_ROOM_BOTTOM, class_colour, equal_aspect, room_below, scatter_type)
from ui.figures.labels import nice_ticks, place_labels, to_pixels
from vae.numeric import ACTIVE_UNIT_THRESHOLD, bounded_sigma, dims_by_kl

ELLIPSE_MODES = ("sample", "all", "none")
# Above MANY_ELLIPSES the page says "slow to draw": Fashion-MNIST's plane with all 10,000 takes
# about 4.5 s to draw again (bench/bench_long_views.py; 9.8 s before they were one path a class)
MANY_ELLIPSES = 2000
ELLIPSE_OPACITY = 0.22  # light enough that 1,000 overlapping ellipses leave the points readable
# A unit circle as four cubic Bezier arcs: 13 control points, the last closing the loop. An affine
# map of them draws that map's ellipse, within 0.03% of its radius.
_ARC = 4.0 / 3.0 * (np.sqrt(2.0) - 1.0)
BEZIER_CIRCLE = np.array([[1, 0], [1, _ARC], [_ARC, 1], [0, 1], [-_ARC, 1], [-1, _ARC], [-1, 0],
                          [-1, -_ARC], [-_ARC, -1], [0, -1], [_ARC, -1], [1, -_ARC], [1, 0]])
PRIOR_RADII = (1.0, 2.0, 3.0)


# ------------------------------------------------------------------------------------ geometry


def _plane_layout(title, height: int, legend_y: float, legend_rows: int | None = None) -> dict:
    """What the latent plane and the t-SNE map share: title, size, fonts, the legend below.

    With `legend_rows`, the margins hold the axes' tick labels and titles and that many rows of
    legend, so that Plotly draws the figure once (ui.style.room_below); without, they are 10 px
    and Plotly grows them itself."""
    top = 40 if title else 30
    margin = dict(l=10, r=10, t=top, b=10)
    if legend_rows is not None:
        margin.update(l=AXIS_ROOM_LEFT, b=room_below(height, top, legend_y, legend_rows))
    return dict(title=title, height=height, margin=margin,
                font=dict(size=FONT_SIZE),
                legend=dict(orientation="h", yanchor="top", y=legend_y, xanchor="left", x=0,
                            itemsizing="constant", font=dict(size=LEGEND_FONT_SIZE)))


def _hover_names(index, class_name) -> list[str]:
    """"test image #N · class" for each point, counted from 1, the class name escaped (a run's
    class names come from its files, and Plotly reads hover text as HTML)."""
    name = html.escape(str(class_name))
    return [f"test image #{int(i) + 1} · {name}" for i in index]


def _cholesky(cov: np.ndarray) -> np.ndarray:
    """L with L L^T = cov, for (N, 2, 2) covariances or (N, 2) standard deviations of a diagonal
    one."""
    cov = np.asarray(cov, dtype=np.float64)
    if cov.ndim == 2:
        chol = np.zeros((len(cov), 2, 2))
        chol[:, 0, 0], chol[:, 1, 1] = cov[:, 0], cov[:, 1]
        return chol
    return np.linalg.cholesky(cov + 1e-12 * np.eye(2))


def ellipse_polylines(centers: np.ndarray, cov: np.ndarray, n_vertices: int = 24,
                      radius: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The `radius`-sigma contours of N Gaussians as one polyline broken by NaN.

    centers (N, 2); cov (N, 2, 2) covariances, or (N, 2) standard deviations of a diagonal one.
    Returns x and y of length N * (n_vertices + 2): each closed ellipse followed by a NaN gap, so
    all of them draw as a single trace. The contour is {c + L u : |u| = radius} with L L^T = cov.
    """
    centers = np.asarray(centers, dtype=np.float64)
    chol = _cholesky(cov)
    t = np.linspace(0.0, 2.0 * np.pi, n_vertices + 1)  # last vertex closes the loop
    unit = radius * np.stack([np.cos(t), np.sin(t)], axis=1)  # (T, 2)
    pts = centers[:, None, :] + np.einsum("nij,tj->nti", chol, unit)  # (N, T, 2)
    gap = np.full((len(centers), 1, 2), np.nan)
    pts = np.concatenate([pts, gap], axis=1).reshape(-1, 2)
    return pts[:, 0], pts[:, 1]


def ellipse_path(centers: np.ndarray, cov: np.ndarray, radius: float = 1.0) -> str:
    """The `radius`-sigma contours of N Gaussians as one SVG path in data coordinates, for a
    Plotly shape: each ellipse is four cubic Bezier arcs, the image of BEZIER_CIRCLE under
    u -> c + L u (L L^T = cov), within 0.03% of the exact contour.

    One path element draws them all. As a NaN-separated trace, Plotly made an SVG element per
    ellipse: 1,000 of them took the browser about 0.15 s more on every draw of the Latent page.
    Coordinates are written to four digits after the largest one's leading digit, about a
    hundredth of a pixel on the plane, and never with an exponent. An ellipse with a coordinate
    that is not finite is left out: "nan" in a path would end its drawing there.
    """
    centers = np.asarray(centers, dtype=np.float64)
    pts = centers[:, None, :] + radius * np.einsum("nij,tj->nti", _cholesky(cov), BEZIER_CIRCLE)
    pts = pts[np.isfinite(pts).all(axis=(1, 2))]
    if not len(pts):
        return ""
    top = float(np.abs(pts).max()) or 1.0
    decimals = int(np.clip(4 - np.floor(np.log10(top)), 0, 12))
    num = f"%.{decimals}f"
    pair = f"{num},{num}"
    one = ("M" + pair + "".join("C" + " ".join([pair] * 3) for _ in range(4)) + "Z")
    return "".join(one % tuple(row) for row in pts.reshape(len(pts), -1).tolist())


def circle_polylines(radii=PRIOR_RADII, n_vertices: int = 96) -> tuple[np.ndarray, np.ndarray]:
    """Circles about the origin (the prior N(0, I)'s k-sigma contours), NaN-separated."""
    radii = np.asarray(radii, dtype=np.float64)
    return ellipse_polylines(np.zeros((len(radii), 2)), np.stack([radii, radii], axis=1),
                             n_vertices=n_vertices)


def pca_projection(mu: np.ndarray, std: np.ndarray):
    """Project posteriors onto the top two principal axes of mu.

    The projection is the orthonormal map z -> W z without centring, so the prior N(0, I) stays
    N(0, I_2) about the origin and the circles keep their meaning; each q(z|x) = N(mu, diag sigma^2)
    becomes N(W mu, W diag(sigma^2) W^T), a tilted ellipse. Returns (mu2 (N, 2), cov2 (N, 2, 2),
    explained variance ratio (2,)).
    """
    from sklearn.decomposition import PCA

    mu = np.asarray(mu, dtype=np.float64)
    pca = PCA(n_components=2, random_state=0).fit(mu)
    w = pca.components_  # (2, D), orthonormal rows
    var = np.asarray(std, dtype=np.float64) ** 2
    cov2 = np.einsum("id,nd,jd->nij", w, var, w)
    return mu @ w.T, cov2, pca.explained_variance_ratio_


def mixture_density(centers: np.ndarray, cov: np.ndarray, xs: np.ndarray, ys: np.ndarray,
                    max_components: int = 3000, seed: int = 0, chunk: int = 500) -> np.ndarray:
    """The aggregate posterior q(z) = mean_x q(z|x), a Gaussian mixture, on the grid xs x ys.

    cov is (N, 2, 2) or (N, 2) standard deviations. Beyond `max_components` a fixed random subset
    of the mixture is used (an unbiased estimate). Returns z of shape (len(ys), len(xs)), as
    plotly's contour expects.
    """
    centers = np.asarray(centers, dtype=np.float64)
    cov = np.asarray(cov, dtype=np.float64)
    if cov.ndim == 2:
        full = np.zeros((len(cov), 2, 2))
        full[:, 0, 0], full[:, 1, 1] = cov[:, 0] ** 2, cov[:, 1] ** 2
        cov = full
    if len(centers) > max_components:
        keep = np.random.default_rng(seed).choice(len(centers), max_components, replace=False)
        centers, cov = centers[keep], cov[keep]
    if not np.any(cov[:, 0, 1]) and not np.any(cov[:, 1, 0]):
        # Axis-aligned (a plane of two latent dims): each Gaussian is a product of one along x and
        # one along y, and the grid's sum is one matrix product, exp() on N x (len(xs) + len(ys))
        # values instead of N x len(xs) x len(ys)
        xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
        sx, sy = np.sqrt(cov[:, 0, 0]), np.sqrt(cov[:, 1, 1])
        gx = np.exp(-0.5 * ((xs[None, :] - centers[:, 0, None]) / sx[:, None]) ** 2) \
            / (np.sqrt(2.0 * np.pi) * sx[:, None])
        gy = np.exp(-0.5 * ((ys[None, :] - centers[:, 1, None]) / sy[:, None]) ** 2) \
            / (np.sqrt(2.0 * np.pi) * sy[:, None])
        return gy.T @ gx / len(centers)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)  # (P, 2)
    det = cov[:, 0, 0] * cov[:, 1, 1] - cov[:, 0, 1] ** 2
    a, b, c = cov[:, 1, 1] / det, -cov[:, 0, 1] / det, cov[:, 0, 0] / det  # the inverse
    norm = 1.0 / (2.0 * np.pi * np.sqrt(det))
    total = np.zeros(len(grid))
    for s in range(0, len(centers), chunk):
        dx = grid[None, :, 0] - centers[s:s + chunk, None, 0]
        dy = grid[None, :, 1] - centers[s:s + chunk, None, 1]
        maha = (a[s:s + chunk, None] * dx * dx + 2 * b[s:s + chunk, None] * dx * dy
                + c[s:s + chunk, None] * dy * dy)
        total += (norm[s:s + chunk, None] * np.exp(-0.5 * maha)).sum(0)
    return (total / len(centers)).reshape(len(ys), len(xs))


def ellipse_subset(n: int, mode: str, max_ellipses: int, seed: int = 0) -> np.ndarray:
    """Which points get a sigma ellipse: all, none, or a fixed random sample of `max_ellipses`."""
    if mode not in ELLIPSE_MODES:
        raise ValueError(f"ellipses must be one of {ELLIPSE_MODES}, not {mode!r}")
    if mode == "none":
        return np.zeros(0, dtype=np.int64)
    if mode == "all" or n <= max_ellipses:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, max_ellipses, replace=False))


# ------------------------------------------------------------------------------------- figures

def _posterior_arrays(mu, std, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mu and std (N, D) as float64 and labels (N,), checked. A sigma of 0 or inf (a log-variance
    past float32's range) would draw no ellipse, or an axis range of inf: it is drawn at the
    bounds instead, which vae.explain.sigma_note puts into words."""
    mu = np.asarray(mu, dtype=np.float64)
    std = bounded_sigma(std)
    labels = np.asarray(labels)
    if mu.ndim != 2 or std.shape != mu.shape or labels.shape != (len(mu),):
        raise ValueError(f"mu {mu.shape}, std {std.shape} and labels {labels.shape} must be "
                         "(N, D), (N, D) and (N,)")
    return mu, std, labels


def posterior_figure(mu: np.ndarray, std: np.ndarray, labels: np.ndarray, class_names, *,
                     dims=(0, 1), projection: str = "dims", ellipses: str = "sample",
                     max_ellipses: int = 400, show_prior: bool = True, show_density: bool = True,
                     axis_titles: tuple[str, str] | None = None, index: np.ndarray | None = None,
                     title: str | None = None, height: int = 620, seed: int = 0,
                     class_labels: bool = True, legend_rows: int = 2) -> go.Figure:
    """Every test point's posterior q(z|x) = N(mu, diag sigma^2), in two latent coordinates.

    mu and std are (N, D); labels (N,) index class_names. Each point is drawn at mu(x), coloured by
    class (SVG, or WebGL above 5,000 points); its 1-sigma ellipse is a Bezier path (one shape per
    class, under the traces: ellipse_path); the prior N(0, I) is drawn as circles of radius 1, 2, 3;
    the aggregate posterior q(z) as density contours. `projection="pca"` shows the top two principal
    axes of mu instead of `dims`. Points carry their test-set `index` as customdata, for selections.
    `class_labels` writes each class's name at its cluster's centre (the median of its points), so
    that no class is told from another by its colour alone. The bottom margin holds `legend_rows`
    rows of legend: two in the Latent page's column, in windows 1,200 to 1,600 px wide (one at 1,920
    px, leaving 27 px free; Plotly adds room where it needs more).
    """
    mu, std, labels = _posterior_arrays(mu, std, labels)
    index = np.arange(len(mu)) if index is None else np.asarray(index)
    if projection == "pca":
        if mu.shape[1] < 2:
            raise ValueError("a PCA projection needs at least two latent dims")
        xy, cov, ratio = pca_projection(mu, std)
        default_titles = (f"PC1 of mu ({ratio[0]:.0%} of its variance)",
                          f"PC2 of mu ({ratio[1]:.0%})")
    elif projection == "dims":
        i, j = (int(d) for d in dims)
        if not (0 <= i < mu.shape[1] and 0 <= j < mu.shape[1]):
            raise ValueError(f"dims {dims} out of range for a {mu.shape[1]}-D latent")
        xy = mu[:, [i, j]]
        cov = std[:, [i, j]]
        default_titles = (f"z{i}", f"z{j}")
    else:
        raise ValueError(f"projection must be 'dims' or 'pca', not {projection!r}")
    x_title, y_title = axis_titles or default_titles

    fig = go.Figure()
    lo, hi = _extent(xy, cov)
    if show_density and len(xy):
        fig.add_trace(_density_trace(xy, cov, lo, hi, seed))
    # Drawn in this order: the ellipses (light, under the grid and every trace), the points, then
    # the prior's circles, so 1,000 ellipses cannot hide the 1-sigma circle. One kind (SVG, or
    # WebGL above 5,000 points) for points and circles: a WebGL canvas sits above every SVG trace.
    Scatter = scatter_type(len(xy))
    with_ellipse = np.zeros(len(xy), dtype=bool)
    with_ellipse[ellipse_subset(len(xy), ellipses, max_ellipses, seed)] = True
    present = [c for c in range(len(class_names)) if np.any(labels == c)]
    # the shapes and annotations go in at the end, in one update each: Plotly checks the whole list
    # again on every add_shape or add_annotation
    shapes, annotations = [], []
    for c in present:  # one path per class: a shape carries one line colour
        sel = with_ellipse & (labels == c)
        if sel.any():
            # layer "below": under every trace (density, points, prior), on SVG and WebGL alike.
            # Not "between" (above the grid): Plotly 4.1 leaves those drawn when the legend
            # hides their class; "below" ones go with their class's points.
            shapes.append(dict(type="path", path=ellipse_path(xy[sel], cov[sel]), xref="x",
                               yref="y", layer="below", line=dict(color=class_colour(c), width=1),
                               opacity=ELLIPSE_OPACITY, name=f"σ ellipses {class_names[c]}",
                               legendgroup=str(c), showlegend=False))
    sd = cov if cov.ndim == 2 else np.sqrt(np.stack([cov[:, 0, 0], cov[:, 1, 1]], axis=1))
    for c in present:
        m = labels == c
        fig.add_trace(Scatter(
            x=xy[m, 0].astype(np.float32), y=xy[m, 1].astype(np.float32), mode="markers",
            name=str(class_names[c]), legendgroup=str(c),
            marker=dict(color=class_colour(c), size=5, opacity=0.85),
            # [test index, sigma along x, sigma along y]: the selection reads the index first
            customdata=np.column_stack([index[m], sd[m]]).astype(np.float32),
            hovertext=_hover_names(index[m], class_names[c]),  # counted from 1, as text
            hovertemplate=("%{hovertext}<br>"
                           "mu = (%{x:.2f}, %{y:.2f})<br>"
                           "sigma = (%{customdata[1]:.3g}, %{customdata[2]:.3g})<extra></extra>")))
    tags = []  # the rings' labels, (x, y, text), for the class names to keep clear of
    if show_prior:
        cx, cy = circle_polylines()
        fig.add_trace(Scatter(
            x=cx.astype(np.float32), y=cy.astype(np.float32), mode="lines",
            name="prior N(0, I): 1, 2, 3 σ", line=dict(color=NEUTRAL, width=2,
                                                        # WebGL takes named dashes only
                                                        dash=PRIOR_DASH if Scatter is go.Scatter
                                                        else "dash"),
            hoverinfo="skip"))
        angle = label_angle(xy)
        for r, text in ring_tags(lo, hi):  # annotations sit above every trace, WebGL included
            annotations.append(dict(x=r * np.cos(angle), y=r * np.sin(angle),
                                    text=f"<b>{text}</b>", showarrow=False,
                                    bgcolor=LABEL_BACKDROP, borderpad=2,
                                    font=dict(size=ANNOTATION_FONT_SIZE, color=LABEL_TEXT)))
            tags.append((r * np.cos(angle), r * np.sin(angle), text))
    if class_labels:
        annotations += class_centre_annotations(xy, labels, class_names, extent=(lo, hi),
                                                taken=tags)
    fig.update_layout(
        shapes=shapes, annotations=annotations,
        **_plane_layout(title, height, legend_y=-0.1, legend_rows=legend_rows),
        xaxis=dict(title=x_title, range=[lo[0], hi[0]], zeroline=False),
        yaxis=dict(title=y_title, range=[lo[1], hi[1]], zeroline=False),
        hovermode="closest", uirevision="latent")
    return equal_aspect(fig)


# The Train page's SVG plane: its plot area's side at most, in px (ui/components/z_cloud.js)
VIEW_PX = 600


def posterior_view(mu: np.ndarray, std: np.ndarray, labels: np.ndarray, class_names, *,
                   dims=(0, 1), title: str, max_ellipses: int = 400, seed: int = 0,
                   index: np.ndarray | None = None, side: int = VIEW_PX) -> dict:
    """The Train page's live posterior as plain numbers for the z-cloud component
    (ui.components.z_cloud), drawn in the browser as one SVG that the next epoch redraws in place:
    every test image's mu by class, the 1-sigma ellipses of a fixed random sample of
    `max_ellipses` of them (ellipse_subset), the prior's 1, 2 and 3 sigma circles, and each
    class's name at its codes' centre. The same picture as posterior_figure without its density
    contours, zoom and selection (Latent space has those), on square ranges that hold every
    point, its ellipse and the prior's 3-sigma circle, `side` px at most across (the class names
    are placed for that size). Codes that are not finite are left out."""
    from ui.figures.explain import codes_view  # the plane's numbers, shared with Replay's

    mu, std, labels = _posterior_arrays(mu, std, labels)
    i, j = (int(d) for d in dims)
    xy, sd = mu[:, [i, j]], std[:, [i, j]]
    finite = np.isfinite(xy).all(axis=1) & np.isfinite(sd).all(axis=1)
    lo, hi = _extent(xy[finite], sd[finite])
    centre, half = (lo + hi) / 2, float(np.max(hi - lo)) / 2  # one scale across and up
    lo, hi = centre - half, centre + half
    view = codes_view(mu, labels, class_names, dims=(i, j), title=title, index=index,
                      x_range=(lo[0], hi[0]), y_range=(lo[1], hi[1]))
    pick = ellipse_subset(len(xy), "sample", max_ellipses, seed)
    pick = pick[finite[pick]]
    view["ellipses"] = {
        "x": np.round(xy[pick, 0], 4).tolist(), "y": np.round(xy[pick, 1], 4).tolist(),
        "sx": np.round(sd[pick, 0], 4).tolist(), "sy": np.round(sd[pick, 1], 4).tolist(),
        "c": labels[pick].astype(int).tolist(), "opacity": ELLIPSE_OPACITY,
        "words": ("q(z|x), 1 sigma" if len(pick) == int(finite.sum())
                  else f"q(z|x), 1 sigma: {len(pick):,} of {int(finite.sum()):,}")}
    view["prior_radii"] = [int(r) for r in PRIOR_RADII]
    view["max_side"] = int(side)
    view["class_labels"] = [
        {"c": int(c), "text": str(class_names[c]), "x": round(cx, 4), "y": round(cy, 4),
         "dx": round(dx, 1), "dy": round(dy, 1)}
        for c, cx, cy, dx, dy in class_label_places(xy[finite], labels[finite], class_names,
                                                    extent=(lo, hi), plot_px=(side, side))]
    return view


CLASS_LABEL_FONT = ANNOTATION_FONT_SIZE + 2
# The plane's plot area on the page (about a 560 px square at 1400 px): only for keeping the class
# names clear of each other, so an estimate is enough
PLANE_PX = 560


def class_centre_labels(fig: go.Figure, xy: np.ndarray, labels: np.ndarray, class_names,
                        extent: tuple | None = None, plot_px: tuple = (PLANE_PX, PLANE_PX),
                        taken=()) -> go.Figure:
    """Each class's name written at its cluster's centre (class_label_places) as annotations, so
    a class is named on the plane itself and never only by a colour in the legend; a name moved
    clear of the others has a short line in its class's colour to its centre."""
    fig.update_layout(annotations=[*fig.layout.annotations, *class_centre_annotations(
        xy, labels, class_names, extent, plot_px, taken)])
    return fig


def class_centre_annotations(xy: np.ndarray, labels: np.ndarray, class_names,
                             extent: tuple | None = None, plot_px: tuple = (PLANE_PX, PLANE_PX),
                             taken=()) -> list[dict]:
    """class_centre_labels' annotations, as dicts: a figure takes them all in one update (Plotly
    checks the whole list again on each add_annotation)."""
    out = []
    for c, cx, cy, dx, dy in class_label_places(xy, labels, class_names, extent, plot_px, taken):
        name = html.escape(str(class_names[c]))  # a user's folder names are text, not markup
        out.append(dict(x=float(cx), y=float(cy), text=f"<b>{name}</b>", showarrow=bool(dx or dy),
                        ax=dx, ay=-dy, arrowhead=0, arrowwidth=1.5, arrowcolor=class_colour(c),
                        bgcolor=class_colour(c), borderpad=2, opacity=0.95,
                        font=dict(size=CLASS_LABEL_FONT, color=LABEL_TEXT),
                        name=f"class label {class_names[c]}"))
    return out


def class_label_places(xy: np.ndarray, labels: np.ndarray, class_names,
                       extent: tuple | None = None, plot_px: tuple = (PLANE_PX, PLANE_PX),
                       taken=()) -> list[tuple[int, float, float, float, float]]:
    """Where each class's name goes: (class, centre x, centre y, dx, dy), the centre the median
    of its points in data units and (dx, dy) the name's shift from it in pixels (y up), zero
    where the name sits on its centre. Where two centres lie close (Fashion-MNIST's coat,
    pullover and shirt), a name moves just clear of the others. `extent` is the plane's (lo, hi)
    corners, `plot_px` its plot area's size; `taken` are labels already on the plane, (x, y,
    text) in data units, to keep clear of."""
    xy = np.asarray(xy, dtype=np.float64)
    labels = np.asarray(labels)
    present = [c for c in range(len(class_names)) if np.any(labels == c)]
    if not present:
        return []
    centres = np.array([np.median(xy[labels == c], axis=0) for c in present])
    if extent is None:
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        pad = (hi - lo) * 0.05
        lo, hi = lo - pad, hi + pad
    else:
        lo, hi = (np.asarray(v, dtype=np.float64) for v in extent)
    names = [str(class_names[c]) for c in present]
    boxes = []
    for x, y, text in taken:
        px, py = to_pixels([x], lo[0], hi[0], plot_px[0])[0], to_pixels([y], lo[1], hi[1],
                                                                       plot_px[1])[0]
        hw, hh = len(text) * 7.2 / 2 + 3, (ANNOTATION_FONT_SIZE + 6) / 2
        boxes.append((px - hw, py - hh, px + hw, py + hh))
    shifts = place_labels(to_pixels(centres[:, 0], lo[0], hi[0], plot_px[0]),
                          to_pixels(centres[:, 1], lo[1], hi[1], plot_px[1]), names, *plot_px,
                          on_point=True, char_px=8.4, line_px=CLASS_LABEL_FONT + 8, taken=boxes)
    return [(c, float(cx), float(cy), float(dx), float(dy))
            for c, (cx, cy), (dx, dy) in zip(present, centres, shifts)]


def tsne_figure(xy: np.ndarray, labels: np.ndarray, class_names, *, index: np.ndarray | None = None,
                title: str | None = None, height: int = 620) -> go.Figure:
    """A t-SNE map of codes: points coloured and named by class, nothing else. No prior circles,
    ellipses or density: t-SNE keeps who is whose neighbour, not distances or the prior's scale.
    Points carry their test-set `index` as customdata[0], as posterior_figure's do."""
    xy = np.asarray(xy, dtype=np.float64)
    labels = np.asarray(labels)
    if xy.ndim != 2 or xy.shape[1] != 2 or labels.shape != (len(xy),):
        raise ValueError(f"xy {xy.shape} and labels {labels.shape} must be (N, 2) and (N,)")
    index = np.arange(len(xy)) if index is None else np.asarray(index)
    Scatter = scatter_type(len(xy))
    fig = go.Figure()
    for c in [c for c in range(len(class_names)) if np.any(labels == c)]:
        m = labels == c
        fig.add_trace(Scatter(
            x=xy[m, 0].astype(np.float32), y=xy[m, 1].astype(np.float32), mode="markers",
            name=str(class_names[c]), legendgroup=str(c),
            marker=dict(color=class_colour(c), size=5, opacity=0.85),
            customdata=index[m, None].astype(np.float32),
            hovertext=_hover_names(index[m], class_names[c]),
            hovertemplate="%{hovertext}<extra></extra>"))
    class_centre_labels(fig, xy, labels, class_names)
    fig.update_layout(
        **_plane_layout(title, height, legend_y=-0.05),
        xaxis=dict(title="t-SNE 1 (no units)", showticklabels=False, zeroline=False),
        yaxis=dict(title="t-SNE 2 (no units)", showticklabels=False, zeroline=False),
        hovermode="closest", uirevision="latent-tsne")
    return equal_aspect(fig)


def selected_indices(points) -> list[int]:
    """The test-set indices of the points in a Streamlit selection of posterior_figure's scatter.

    A point's customdata is [index, sigma_x, sigma_y]; the browser sends it back as a list, or,
    from the float32 array, as an object {"0": index, "1": ...}."""
    out = set()
    for p in points:
        cd = p.get("customdata")
        if isinstance(cd, dict):
            cd = cd.get("0", cd.get(0))
        if cd is None:
            continue
        out.add(int(np.ravel(np.asarray(cd, dtype=np.float64))[0]))
    return sorted(out)


def ring_tags(lo, hi, plot_px: float = PLANE_PX, min_gap_px: float = 22.0):
    """The prior rings' labels, (radius, text): one per ring, or a single "1, 2, 3σ" on the
    outer ring where the rings lie closer than a label's height (an autoencoder's codes spread
    over ±20, and three tags one sigma apart piled into one block)."""
    px_per_unit = plot_px / float(np.max(np.asarray(hi) - np.asarray(lo)))
    if px_per_unit >= min_gap_px:
        return [(r, f"{r:g}σ") for r in PRIOR_RADII]
    return [(PRIOR_RADII[-1], ", ".join(f"{r:g}" for r in PRIOR_RADII) + "σ")]


def label_angle(xy: np.ndarray, radii=PRIOR_RADII, n_angles: int = 24) -> float:
    """The direction (radians) in which the prior's circle labels cover the fewest points: the
    angle whose label spots, at each radius, have the fewest points within 0.35 of them."""
    xy = np.asarray(xy, dtype=np.float64)
    angles = np.linspace(0.0, 2.0 * np.pi, n_angles, endpoint=False) + np.pi / 4
    if len(xy) == 0:
        return float(angles[0])
    crowd = np.zeros(n_angles)
    for r in radii:
        spots = r * np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (A, 2)
        dist = np.linalg.norm(xy[None, :, :] - spots[:, None, :], axis=-1)  # (A, N)
        crowd += (dist < 0.35).sum(axis=1)
    return float(angles[int(np.argmin(crowd))])  # ties: the first, i.e. upper right (45 degrees)


def _extent(xy: np.ndarray, cov: np.ndarray):
    """Axis ranges holding every point, its ellipse, and the prior's 3-sigma circle."""
    sd = cov if cov.ndim == 2 else np.sqrt(np.stack([cov[:, 0, 0], cov[:, 1, 1]], axis=1))
    if len(xy) == 0:
        return np.array([-3.5, -3.5]), np.array([3.5, 3.5])
    lo = np.minimum(np.min(xy - sd, axis=0), -3.3)
    hi = np.maximum(np.max(xy + sd, axis=0), 3.3)
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def _density_trace(xy, cov, lo, hi, seed: int, n_grid: int = 90) -> go.Contour:
    xs = np.linspace(lo[0], hi[0], n_grid)
    ys = np.linspace(lo[1], hi[1], n_grid)
    # Smooth by one grid cell so a near-deterministic encoder (tiny sigma) still draws readable
    # contours instead of aliasing between grid points.
    cell = max(xs[1] - xs[0], ys[1] - ys[0])
    full = cov if cov.ndim == 3 else np.stack(
        [np.stack([cov[:, 0] ** 2, np.zeros(len(cov))], 1),
         np.stack([np.zeros(len(cov)), cov[:, 1] ** 2], 1)], 1)
    z = mixture_density(xy, full + cell ** 2 * np.eye(2), xs, ys, seed=seed)
    top = float(z.max()) or 1.0
    return go.Contour(
        x=xs.astype(np.float32), y=ys.astype(np.float32), z=z.astype(np.float32),
        name="aggregate posterior q(z)", showlegend=True, showscale=False,
        contours=dict(coloring="fill", start=top * 0.04, end=top, size=top * 0.12),
        colorscale=[list(stop) for stop in DENSITY_SCALE],
        line=dict(width=0.5, color="rgba(128, 128, 128, 0.5)"), hoverinfo="skip")


def kl_per_dim_figure(kl_per_dim: np.ndarray, var_mu: np.ndarray,
                      threshold: float = ACTIVE_UNIT_THRESHOLD,
                      height: int = 300) -> go.Figure:
    """Mean KL(q(z_d|x) || N(0,1)) per latent dim over the test set, largest first.

    Bars of active dims (Var_x mu_d > threshold) are solid; inactive ones are grey: their q(z_d|x)
    is the prior for every x, so z_d carries no information about x.
    """
    kl = np.asarray(kl_per_dim, dtype=np.float64)
    var_mu = np.asarray(var_mu, dtype=np.float64)
    order = dims_by_kl(kl)
    active = var_mu[order] > threshold
    fig = go.Figure(go.Bar(
        x=[f"z{d}" for d in order], y=kl[order],
        marker=dict(color=[CLASS_COLOURS[0] if a else NEUTRAL for a in active]),
        customdata=np.stack([var_mu[order], active.astype(int)], axis=1),
        hovertemplate=("%{x}: KL %{y:.2f} nats<br>Var over x of mu: %{customdata[0]:.3f}"
                       "<extra></extra>"),
        name="KL per dim"))
    fig.update_layout(
        height=height, margin=dict(l=AXIS_ROOM_LEFT, r=10, t=30, b=AXIS_ROOM_BOTTOM),
        showlegend=False,
        title=f"KL per latent dim, nats (total {kl.sum():.1f}; "
              f"{int((var_mu > threshold).sum())} of {len(kl)} dims active)",
        xaxis=dict(title="latent dim, by KL", type="category"),
        yaxis=dict(title="mean KL (nats)", rangemode="tozero"))
    return fig


def kl_bars_view(kl_per_dim: np.ndarray, var_mu: np.ndarray,
                 threshold: float = ACTIVE_UNIT_THRESHOLD, title: str | None = None) -> dict:
    """kl_per_dim_figure as plain numbers for the SVG charts component
    (ui.components.z_cloud.chart, kind "bars"), for the Latent page, where a run that trains
    sends new ones after each epoch: a bar per dim, largest KL first, solid where the dim is
    active (Var over x of mu_d > threshold) and grey where it is not. A value that is not
    finite (a diverged run) is drawn as 0 and named so in its hover."""
    kl = np.asarray(kl_per_dim, dtype=np.float64)
    var_mu = np.asarray(var_mu, dtype=np.float64)
    order = dims_by_kl(np.nan_to_num(kl, nan=-1.0))
    finite = kl[np.isfinite(kl)]
    top = max(float(finite.max()) * 1.08 if len(finite) else 0.0, 1e-3)
    n_active = int((var_mu > threshold).sum())

    def bar(d: int) -> dict:
        active, value = bool(var_mu[d] > threshold), float(kl[d])
        ok = math.isfinite(value)
        return {"label": f"z{d}", "value": value if ok else 0.0, "text": "",
                "colour": CLASS_COLOURS[0] if active else NEUTRAL,
                "hover": (f"z{d}: KL {value:.2f} nats" if ok else f"z{d}: KL not finite")
                + f" · Var over x of mu: {var_mu[d]:.3f}" + ("" if active else " · inactive")}

    return {
        "kind": "bars", "plot_height": 200,
        "title": title or (f"KL per latent dim, nats (total {float(np.nansum(kl)):.1f}; "
                           f"{n_active} of {len(kl)} dims active)"),
        "x_title": "latent dim, by KL", "y_title": "mean KL (nats)", "y_range": [0.0, top],
        "y_ticks": nice_ticks(0.0, top, 4), "colour": CLASS_COLOURS[0],
        "bars": [bar(int(d)) for d in order],
    }
