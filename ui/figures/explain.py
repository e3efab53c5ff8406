"""Pure figure builders for the explanation pages: numpy in, a plotly Figure out (or, for the
page's SVG components, ui.components.z_cloud, the plain numbers they draw); no session state.

Class colours, the prior's grey and the latent plane's equal aspect come from ui.style (one palette
for every page); the explanation's own roles (mean, width, samples) from Plotly's qualitative
palette. Translucent fills, never hard-coded white or black, so the figures read in Streamlit's
light and dark themes (st.plotly_chart(theme="streamlit")).
"""
from __future__ import annotations

import io
import math

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative, sample_colorscale
from plotly.subplots import make_subplots

from ui.figures.images import for_display, grid, png_bytes
from ui.figures.labels import nice_ticks, place_labels, to_pixels
from ui.style import (AXIS_ROOM_LEFT, LABEL_TEXT, MEAN_COLOUR, NEUTRAL,  # one look for every page
                      PRIOR_COLOUR,
                      SAMPLE_COLOUR, WIDTH_COLOUR, ZOOM_ROOM_LEFT, class_colour, class_colours,
                      equal_aspect, room_below, scatter_type)
from vae.explain import log_mean_exp

PALETTE = qualitative.Plotly  # MEAN_COLOUR, WIDTH_COLOUR and SAMPLE_COLOUR are its first three
PRIOR_HALO = "rgba(255, 255, 255, 0.85)"  # under the prior's ring on the latent plane
PRIOR_RING = "#3d3d3d"  # dark dashes on the halo: visible on light and dark pages alike


def _ellipse(cx: float, cy: float, rx: float, ry: float,
             n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0, 2 * math.pi, n)
    return cx + rx * np.cos(t), cy + ry * np.sin(t)


def latent_view_figure(all_mu: np.ndarray, labels: np.ndarray, class_names, *, dims=(0, 1),
                       mu: np.ndarray | None = None, sigma: np.ndarray | None = None,
                       z: np.ndarray | None = None, index: np.ndarray | None = None,
                       x_range=None, y_range=None, title: str = "",
                       background_opacity: float = 0.5, height: int = 520,
                       class_legend: bool = True, legend_rows: int = 2) -> go.Figure:
    """The latent plane: every test input's mu by class (click one to pick it), the prior's
    1-sigma circle, and optionally one input's mu, its 1-sigma ellipse and z samples drawn from it.

    all_mu (N, D), labels (N,), mu and sigma (D,), z (n, D); `dims` are the two axes shown.
    class_legend=False leaves the classes out of the legend (a zoom beside the full view).
    The bottom margin holds `legend_rows` rows of legend (the caller knows its column's width: 0
    where it hides the legend), so that Plotly draws the figure once (ui.style.room_below).
    """
    a, b = dims
    fig = go.Figure()
    all_mu = np.asarray(all_mu)
    labels = np.asarray(labels)
    idx = np.arange(len(all_mu)) if index is None else np.asarray(index)
    near = np.ones(len(all_mu), dtype=bool)
    if x_range is not None and y_range is not None:  # a zoom: only the points it can show
        for d, (lo, hi) in ((a, x_range), (b, y_range)):  # the equal aspect may widen one range
            near &= np.abs(all_mu[:, d] - (lo + hi) / 2) <= 1.5 * (hi - lo)
    kind = scatter_type(len(all_mu))  # one kind for every trace: WebGL draws above all SVG ones
    for c, name in enumerate(class_names):
        sel = (labels == c) & near
        if not sel.any():
            continue
        fig.add_trace(kind(
            x=all_mu[sel, a], y=all_mu[sel, b], mode="markers", name=str(name),
            marker=dict(size=5, color=class_colour(c), opacity=background_opacity),
            showlegend=False, legendgroup=f"class {c}",
            # the index picks the image; the hover counts from 1, as people do
            customdata=idx[sel], hovertext=[f"test image #{i + 1}" for i in idx[sel]],
            hovertemplate=f"{name}<br>%{{hovertext}}<br>mu = (%{{x:.2f}}, %{{y:.2f}})"
                          "<extra></extra>"))
        if class_legend:  # the legend's swatch at full strength: faded ones vanish on a dark page
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=str(name),
                                     marker=dict(size=9, color=class_colour(c)),
                                     legendgroup=f"class {c}", hoverinfo="skip"))
    px_, py_ = _ellipse(0, 0, 1, 1)
    # Above the dots, on a light halo: a thin grey dash alone vanished in a dense cloud of codes.
    # The halo is white-ish in both themes so the dashes read over any class colour
    fig.add_trace(kind(x=px_, y=py_, mode="lines", line=dict(color=PRIOR_HALO, width=6),
                             hoverinfo="skip", showlegend=False, legendgroup="prior",
                             name="prior halo"))
    fig.add_trace(kind(x=px_, y=py_, mode="lines", name="prior N(0, I), 1 sigma",
                             line=dict(color=PRIOR_RING, dash="dash", width=3),
                             hoverinfo="skip", legendgroup="prior", showlegend=False))
    # the legend's swatch: the dark ring alone vanished on the dark theme's legend (its white halo
    # is not in the swatch), so the legend shows a mid-grey dash that reads on both
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="prior N(0, I), 1 sigma",
                             line=dict(color=NEUTRAL, dash="dash", width=3), hoverinfo="skip",
                             legendgroup="prior"))
    if z is not None and len(z):
        z = np.asarray(z)
        fig.add_trace(kind(
            x=z[:, a], y=z[:, b], mode="markers", name=f"z = mu + sigma * eps ({len(z)})",
            marker=dict(size=9, color=SAMPLE_COLOUR, symbol="circle-open", line=dict(width=2)),
            hovertemplate="z = (%{x:.3f}, %{y:.3f})<extra></extra>"))
    if mu is not None and sigma is not None:
        fig.add_traces(input_traces(mu, sigma, dims, webgl=kind is go.Scattergl))
    top = 50 if title else 20
    # a zoom under one unit across can get ticks of two decimals ("-1.05"): a wider left margin
    fine = y_range is not None and y_range[1] - y_range[0] < 1
    fig.update_layout(title=title or None, height=height,
                      legend=dict(itemsizing="constant", orientation="h", yanchor="top", y=-0.2),
                      margin=dict(l=ZOOM_ROOM_LEFT if fine else AXIS_ROOM_LEFT, r=10,
                                  t=top, b=room_below(height, top, -0.2, legend_rows)))
    fig.update_xaxes(title_text=f"z{a}", zeroline=True)
    fig.update_yaxes(title_text=f"z{b}", zeroline=True)
    equal_aspect(fig)  # one unit of z is as long across as up: the prior's circle stays a circle
    if x_range is not None:
        fig.update_xaxes(range=list(x_range))
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    return fig


def input_traces(mu: np.ndarray, sigma: np.ndarray, dims=(0, 1),
                 webgl: bool = False) -> list[dict]:
    """One input's q(z|x) on a latent plane, as Plotly trace dicts: its 1-sigma ellipse and its
    mu, the last two traces of latent_view_figure. `webgl` where the plane's points are WebGL: an
    SVG trace would be drawn under them."""
    a, b = dims
    ex, ey = _ellipse(mu[a], mu[b], sigma[a], sigma[b])
    kind = "scattergl" if webgl else "scatter"
    return [dict(type=kind, x=ex, y=ey, mode="lines", name="q(z|x), 1 sigma",
                 line=dict(color=WIDTH_COLOUR, width=3), hoverinfo="skip"),
            dict(type=kind, x=[float(mu[a])], y=[float(mu[b])], mode="markers", name="mu(x)",
                 marker=dict(size=18, color=MEAN_COLOUR, symbol="x-thin",
                             line=dict(width=4, color=MEAN_COLOUR)),
                 hovertemplate="mu = (%{x:.3f}, %{y:.3f})<extra></extra>")]


def zoom_ranges(mu: np.ndarray, sigma: np.ndarray, z: np.ndarray | None, dims=(0, 1),
                margin: float = 3.0) -> tuple[tuple[float, float], tuple[float, float]]:
    """Square axis ranges around one posterior: +-margin sigma, widened to hold every z sample."""
    a, b = dims
    half = margin * max(float(sigma[a]), float(sigma[b]), 1e-3)
    if z is not None and len(z):
        z = np.asarray(z)
        half = max(half, float(np.abs(z[:, a] - mu[a]).max()) * 1.1,
                   float(np.abs(z[:, b] - mu[b]).max()) * 1.1)
    return (mu[a] - half, mu[a] + half), (mu[b] - half, mu[b] + half)


def zoom_view(all_mu: np.ndarray, labels: np.ndarray, *, dims, mu: np.ndarray,
              sigma: np.ndarray, z: np.ndarray, x_range, y_range, title: str) -> dict:
    """The zoom beside §2's scatter as plain numbers, for the component that draws it in the
    browser (ui.components.z_cloud): a "Sample eps" click then sends these numbers and redraws one
    SVG, where a Plotly chart is sent whole and drawn anew.

    The test set's mu inside the square ranges (coloured by class, faint), the prior's 1-sigma
    circle, this input's mu and its 1-sigma ellipse, and the z drawn; dims (a, b) are the axes.
    The colours are the Plotly zoom's: the class palette and the explanation's roles."""
    a, b = dims
    all_mu, labels = np.asarray(all_mu, float), np.asarray(labels)
    z = np.asarray(z, float).reshape(-1, len(mu))
    (x0, x1), (y0, y1) = (float(v) for v in x_range), (float(v) for v in y_range)
    inside = ((all_mu[:, a] >= x0) & (all_mu[:, a] <= x1)
              & (all_mu[:, b] >= y0) & (all_mu[:, b] <= y1))
    view = _plane_view(dims, mu, sigma, (x0, x1), (y0, y1), title,
                       int(labels.max()) + 1 if len(labels) else 0)
    view["background"] = {"x": all_mu[inside, a].tolist(), "y": all_mu[inside, b].tolist(),
                          "c": labels[inside].astype(int).tolist()}
    view["z"] = {"x": z[:, a].tolist(), "y": z[:, b].tolist()}
    return view


def full_view(all_mu: np.ndarray, labels: np.ndarray, class_names, *, dims, mu: np.ndarray,
              sigma: np.ndarray, title: str, index: np.ndarray | None = None,
              pad: float = 0.05) -> dict:
    """§2's plane of every test image's mu, with one input's mu and 1-sigma ellipse, as plain
    numbers for the z-cloud component (ui.components.z_cloud), which draws it as one SVG: a new
    input sends new numbers and the element redraws in place, where a Plotly chart with the input
    marked is sent whole and mounted anew (bench/README.md).

    Square ranges (one unit of z as long across as up) hold every point and the prior's 1-sigma
    circle with `pad` of the span to spare. Each point carries its test image's index (`index`,
    0..N-1 by default), so that a click on it can pick that image, and the class names, for the
    legend and the hover. The points' positions are rounded to 4 decimals, far below a pixel
    (about 0.02 units of z on a plane 10 units across)."""
    codes = _codes(all_mu, labels, index, dims)
    xs = np.concatenate([codes["x"], [-1.0, 1.0]])
    ys = np.concatenate([codes["y"], [-1.0, 1.0]])
    cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
    half = max(xs.max() - xs.min(), ys.max() - ys.min()) * (0.5 + pad)
    view = _plane_view(dims, mu, sigma, (cx - half, cx + half), (cy - half, cy + half), title,
                       len(class_names))
    view.update(background=codes, class_names=[str(n) for n in class_names], point_opacity=0.5,
                point_r=3, pickable=True)
    return view


def codes_view(all_mu: np.ndarray, labels: np.ndarray, class_names, *, dims, x_range, y_range,
               title: str, index: np.ndarray | None = None, point_opacity: float = 0.6,
               font_size: int | None = None) -> dict:
    """Every test image's mu on fixed ranges, with no input marked: Replay's plane, where the
    ranges stay while the epochs change so that the codes are seen to move, and Presenter's, two
    models on one scale. Plain numbers for the z-cloud component, as full_view; the hover names a
    point's test image. Ranges that are not finite (a diverged snapshot's) fall back to the
    prior's +-3. `font_size` (px) sets the words' size, 12 by default."""
    (x0, x1), (y0, y1) = x_range, y_range
    if not all(math.isfinite(float(v)) for v in (x0, x1, y0, y1)) or x1 <= x0 or y1 <= y0:
        x_range = y_range = (-3.0, 3.0)
    view = _plane_view(dims, None, None, x_range, y_range, title, len(class_names))
    view.update(background=_codes(all_mu, labels, index, dims),
                class_names=[str(n) for n in class_names], point_opacity=point_opacity,
                point_r=3, pickable=False)
    if font_size:
        view["font_size"] = int(font_size)
    return view


def _codes(all_mu, labels, index, dims) -> dict:
    """The test codes a plane draws, as JSON numbers: x and y (rounded to 4 decimals, far below a
    pixel), class and test image index (0..N-1 by default). A code that is not finite (a
    diverged model's) is left out: JSON has no NaN, and the browser would refuse the whole view."""
    a, b = dims
    all_mu, labels = np.asarray(all_mu, float), np.asarray(labels)
    idx = np.arange(len(all_mu)) if index is None else np.asarray(index)
    keep = np.isfinite(all_mu[:, a]) & np.isfinite(all_mu[:, b])
    return {"x": np.round(all_mu[keep, a], 4).tolist(), "y": np.round(all_mu[keep, b], 4).tolist(),
            "c": labels[keep].astype(int).tolist(), "i": idx[keep].astype(int).tolist()}


def _plane_view(dims, mu, sigma, x_range, y_range, title: str, n_classes: int) -> dict:
    """What the z-cloud planes send alike: title, axes and ticks, the input's q(z|x), colours."""
    a, b = dims
    (x0, x1), (y0, y1) = (float(v) for v in x_range), (float(v) for v in y_range)
    return {
        "title": title,
        "x_label": f"z{a}", "y_label": f"z{b}",
        "x_range": [x0, x1], "y_range": [y0, y1],
        "x_ticks": nice_ticks(x0, x1), "y_ticks": nice_ticks(y0, y1),
        "class_colours": class_colours(n_classes),
        # no input (codes_view): nothing marked
        "mu": None if mu is None else [float(mu[a]), float(mu[b])],
        "sigma": None if sigma is None else [float(sigma[a]), float(sigma[b])],
        "colours": {"mean": MEAN_COLOUR, "width": WIDTH_COLOUR, "sample": SAMPLE_COLOUR,
                    "prior": PRIOR_RING, "halo": PRIOR_HALO, "neutral": NEUTRAL,
                    "label_text": LABEL_TEXT},
    }


ROW_LABEL_PX = 15  # the font size of row labels drawn into an image grid


def image_row_png(images: np.ndarray, ncols: int | None = None, target_width: int = 900,
                  max_scale: int = 4, row_labels: list[str] | None = None) -> bytes:
    """A grid of (N, H, W) images in [0, 1] as one crisp PNG: whole-number nearest-neighbour
    upscaling chosen so the grid is at most `target_width` pixels wide (the browser never
    shrinks, hence never smooths, it), and at most `max_scale` times
    (a single image is not blown up to the page's width). Mid-grey gutters read on light and dark
    pages alike. `row_labels` (one per row) are written in a gutter left of the rows, in Pillow's
    own font (no font file is fetched or assumed), which has no Greek: write "beta", not "β"."""
    images = for_display(np.asarray(images, np.float32))  # colour stays (N, 3, H, W)
    ncols = ncols or len(images)
    tiled = grid(images, ncols, pad_value=0.5)
    if not row_labels:
        scale = max(1, min(max_scale, target_width // tiled.shape[1]))
        return png_bytes(tiled, scale=scale)
    from PIL import Image, ImageDraw, ImageFont
    font = ImageFont.load_default(size=ROW_LABEL_PX)
    gutter = int(max(font.getlength(str(t)) for t in row_labels)) + 12  # added to the width
    scale = max(1, min(max_scale, target_width // tiled.shape[1]))
    picture = Image.open(io.BytesIO(png_bytes(tiled, scale=scale))).convert("RGB")
    out = Image.new("RGB", (gutter + picture.width, picture.height), (128, 128, 128))
    out.paste(picture, (gutter, 0))
    draw = ImageDraw.Draw(out)
    row_px = (images.shape[-2] + 1) * scale  # an image and its 1-pixel gutter, upscaled
    for r, label in enumerate(row_labels):
        draw.text((gutter - 6, scale + r * row_px + row_px / 2), str(label), fill=(255, 255, 255),
                  font=font, anchor="rm")
    buf = io.BytesIO()
    out.save(buf, format="PNG")
    return buf.getvalue()


def mu_sigma_view(mu: np.ndarray, sigma: np.ndarray, pad: float = 0.05) -> dict:
    """Each dim's q(z_d|x) as mu with a +-sigma bar beside the prior's 0 +- 1 band, as plain
    numbers for the component that draws it (ui.components.z_cloud.mu_sigma_bars): a new input
    sends new numbers, where a Plotly chart is mounted anew. The x range holds every bar and the
    band, with `pad` of its span to spare."""
    mu, sigma = np.asarray(mu, float), np.asarray(sigma, float)
    lo = min(-1.0, float((mu - sigma).min()))
    hi = max(1.0, float((mu + sigma).max()))
    lo, hi = lo - pad * (hi - lo), hi + pad * (hi - lo)
    return {
        "title": "q(z|x) per dim: mu +- sigma, beside the prior's 0 +- 1",
        "dims": [f"z{i}" for i in range(len(mu))],
        "mu": mu.tolist(), "sigma": sigma.tolist(),
        "x_range": [lo, hi], "x_ticks": nice_ticks(lo, hi),
        # a grey that reads on white and on a dark page, with its edge drawn
        "colours": {"mean": MEAN_COLOUR, "width": WIDTH_COLOUR,
                    "prior_fill": "rgba(128,128,128,0.35)", "prior_edge": PRIOR_COLOUR},
    }


def kl_split_figure(mean_penalty: np.ndarray, width_penalty: np.ndarray) -> go.Figure:
    """KL per dim as stacked bars: mean penalty mu^2/2, width penalty (sigma^2-1-ln sigma^2)/2."""
    mean_penalty = np.asarray(mean_penalty)
    width_penalty = np.asarray(width_penalty)
    names = [f"z{i}" for i in range(len(mean_penalty))]
    total = float((mean_penalty + width_penalty).sum())
    fig = go.Figure([
        go.Bar(x=names, y=mean_penalty, name="mean penalty  mu^2 / 2", marker_color=MEAN_COLOUR,
               hovertemplate="%{x}: %{y:.3f} nats<extra>mean penalty</extra>"),
        go.Bar(x=names, y=width_penalty, name="width penalty  (sigma^2 - 1 - ln sigma^2) / 2",
               marker_color=WIDTH_COLOUR,
               hovertemplate="%{x}: %{y:.3f} nats<extra>width penalty</extra>"),
    ])
    fig.update_layout(barmode="stack", height=360, title=f"KL of this input: {total:.3f} nats",
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.2))
    fig.update_yaxes(title_text="nats")
    return fig


def aggregate_posterior_figure(grid: np.ndarray, densities: dict[str, np.ndarray],
                               prior: np.ndarray, dims: list[int] | None = None,
                               cols: int = 4) -> go.Figure:
    """Per dim, each model's aggregate posterior (mean of q(z_d|x) over the test set) vs N(0, 1).

    densities maps a legend name to a (D, G) array on `grid`; `dims` picks which dims to draw.
    """
    first = next(iter(densities.values()))
    dims = list(range(first.shape[0])) if dims is None else list(dims)
    cols = max(1, min(cols, len(dims)))
    rows = -(-len(dims) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[f"z{d}" for d in dims],
                        shared_yaxes=False, horizontal_spacing=0.05, vertical_spacing=0.12)
    for i, d in enumerate(dims):
        r, c = divmod(i, cols)
        fig.add_trace(go.Scatter(x=grid, y=prior, mode="lines", name="prior N(0, 1)",
                                 line=dict(color=PRIOR_COLOUR, dash="dash", width=2),
                                 fill="tozeroy", fillcolor="rgba(128,128,128,0.15)",
                                 legendgroup="prior", showlegend=i == 0), row=r + 1, col=c + 1)
        for j, (name, dens) in enumerate(densities.items()):
            fig.add_trace(go.Scatter(x=grid, y=dens[d], mode="lines", name=name,
                                     line=dict(color=PALETTE[j % len(PALETTE)], width=2.5),
                                     legendgroup=name, showlegend=i == 0), row=r + 1, col=c + 1)
    # A plain autoencoder's q(z|x) are near-points: its aggregate is a comb of spikes. The y range
    # follows the prior and the first model so the comparison with N(0, 1) stays readable.
    top = 1.6 * max(float(np.max(prior)), float(np.max(first[dims])))
    height = max(300, 250 * rows)
    # the legend sits 60 px below the plots, under the axes' "z" (a fixed -0.15 of a 300 px
    # figure put it on the title)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", yanchor="top", y=-60 / height))
    fig.update_xaxes(title_text="z")
    fig.update_yaxes(range=[0, top])
    return fig


def accounting_figure(recon: float, kl: float, iwae: float, k: int) -> go.Figure:
    """The two lower bounds on log p(x), in one sign convention (log-likelihoods, higher is better):
    ELBO = E_q[log p(x|z)] - KL drawn as two bars stacked down from zero, beside IWAE_k.
    log p(x) >= IWAE_k >= ELBO; recon is the positive E_q[-log p(x|z)], iwae the (negative)
    bound."""
    elbo = -(recon + kl)
    fig = go.Figure([
        go.Bar(x=["ELBO"], y=[-recon], name="E_q[log p(x|z)]  (reconstruction)",
               marker_color=MEAN_COLOUR,
               hovertemplate="%{y:.2f} nats<extra>E_q[log p(x|z)]</extra>"),
        go.Bar(x=["ELBO"], y=[-kl], name="- KL(q(z|x) || p(z))", marker_color=WIDTH_COLOUR,
               hovertemplate="%{y:.2f} nats<extra>- KL</extra>"),
        go.Bar(x=[f"IWAE_k, k = {k}"], y=[iwae], name=f"IWAE_k bound, k = {k}",
               marker_color=SAMPLE_COLOUR, hovertemplate="%{y:.2f} nats<extra>IWAE_k</extra>"),
    ])
    fig.update_layout(barmode="relative", height=360, margin=dict(l=10, r=10, t=40, b=10),
                      title=f"ELBO {elbo:.2f} ≤ IWAE_k {iwae:.2f} ≤ log p(x)  "
                            f"(gap {iwae - elbo:.2f} nats)",
                      legend=dict(orientation="h", y=-0.15))
    # Bars hang from zero (a cut axis would hide the KL's share); higher is better, log p(x) above
    fig.update_yaxes(title_text="nats per image (higher is better)", rangemode="tozero")
    return fig


def bound_figure(log_w: np.ndarray, ks, iwae_by_k, bins: int = 60) -> go.Figure:
    """Why ELBO <= log p(x), for one input. Left: the histogram of log w = log p(x, z) - log q(z|x)
    over draws z ~ q(z|x), with their mean (the ELBO) and the log of their mean weight (IWAE over
    all draws, the closest estimate of log p(x)). Right: IWAE_k against k, from the ELBO at k = 1
    up toward that estimate."""
    log_w = np.asarray(log_w, np.float64)
    elbo = float(log_w.mean())
    best = float(log_mean_exp(log_w))
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.1,
                        subplot_titles=(f"log w of {len(log_w):,} draws z ~ q(z|x)",
                                        "IWAE_k: k weights averaged inside the log"))
    # binned here: 60 bars cross the wire, not every draw for the browser to bin
    counts, edges = np.histogram(log_w, bins=bins)
    fig.add_trace(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges),
                         marker_color=SAMPLE_COLOUR, opacity=0.75,
                         name="log w = log p(x, z) − log q(z|x)",
                         hovertemplate="log w %{x:.1f}<br>%{y} draws<extra></extra>"),
                  row=1, col=1)
    for value, colour, dash, words in (
            (elbo, MEAN_COLOUR, "solid", f"mean of log w = ELBO = {elbo:.2f}"),
            (best, WIDTH_COLOUR, "dash", f"log of mean w ≈ log p(x) = {best:.2f}")):
        fig.add_trace(go.Scatter(x=[value, value], y=[0, 1], yaxis="y3", mode="lines",
                                 line=dict(color=colour, width=3, dash=dash), name=words,
                                 hovertemplate=f"{words}<extra></extra>"))
    ks = [int(k) for k in ks]
    fig.add_trace(go.Scatter(x=ks, y=list(iwae_by_k), mode="lines+markers", name="IWAE_k",
                             marker=dict(color=SAMPLE_COLOUR, size=9), line=dict(color=SAMPLE_COLOUR),
                             hovertemplate="k = %{x}: %{y:.2f} nats<extra>IWAE_k</extra>",
                             showlegend=False), row=1, col=2)
    fig.add_hline(y=best, line=dict(color=WIDTH_COLOUR, width=2, dash="dash"), row=1, col=2)
    fig.add_hline(y=elbo, line=dict(color=MEAN_COLOUR, width=2), row=1, col=2)
    fig.update_layout(
        height=380, margin=dict(l=10, r=10, t=50, b=10), bargap=0,
        legend=dict(orientation="h", y=-0.22, x=0),
        # the two lines span the histogram's height whatever its counts: an overlay axis 0..1
        yaxis3=dict(overlaying="y", range=[0, 1], visible=False, anchor="x"))
    fig.data[1].xaxis = fig.data[2].xaxis = "x"
    fig.update_xaxes(title_text="log w (nats)", row=1, col=1)
    fig.update_yaxes(title_text="draws", row=1, col=1)
    fig.update_xaxes(title_text="k (log scale)", type="log", row=1, col=2)
    fig.update_yaxes(title_text="nats (higher is tighter)", row=1, col=2)
    return fig


# the rate-distortion plane's plot area in pixels at the dashboard's width (520 px tall, less the
# margins and the axis titles): where its labels are placed
PLANE_PX = (770, 370)


def _rd_plane(kl, recon, beta):
    """What the rate-distortion plane's figure and view share: each run's colour value (log10
    beta; beta = 0 at the scale's low end), the colour scale's range and ticks, and the axes (x
    on a log scale where the rates span more than 50x, else both from zero)."""
    kl, recon, beta = (np.asarray(v, float) for v in (kl, recon, beta))
    positive = beta[beta > 0]
    floor = float(math.floor(np.log10(positive.min())) - 1) if len(positive) else -2.0
    colour = np.where(beta > 0, np.log10(np.where(beta > 0, beta, 1.0)), floor)
    cmin = float(colour.min()) if len(colour) else -2.0
    cmax = float(colour.max()) if len(colour) else 2.0
    if cmax - cmin < 1e-9:
        cmin, cmax = cmin - 1, cmax + 1
    ticks = np.arange(math.floor(cmin), math.ceil(cmax) + 1)
    tick_text = ["0" if t == floor and (beta == 0).any() else f"{10.0 ** t:g}" for t in ticks]
    # Both axes start at zero: the plane compares magnitudes (a cut axis made a 2-nat gap look big)
    top = float(recon.max()) * 1.12 if len(recon) else 1.0
    positive_kl = kl[kl > 0]
    log = bool(len(positive_kl) > 1 and positive_kl.max() / positive_kl.min() > 50)
    if log:
        # rates from ~0.1 (collapsed) to hundreds (an autoencoder): a linear axis crushes all but one
        lo, hi = float(positive_kl.min()) / 1.6, float(positive_kl.max()) * 1.6
    else:
        lo, hi = 0.0, (float(kl.max()) * 1.12 if len(kl) and kl.max() > 0 else 1.0)
    return dict(colour=colour, cmin=cmin, cmax=cmax, ticks=ticks, tick_text=tick_text, top=top,
                log=log, lo=lo, hi=hi, shown_kl=np.maximum(kl, lo) if log else kl)


RD_X_TITLE = "rate: KL(q(z|x) || p(z)), nats per image"
RD_Y_TITLE = "distortion: reconstruction -log p(x|z), nats per image"


def rate_distortion_figure(names, kl, recon, beta, collapsed, highlight: set[str] | None = None,
                           plot_px: tuple[int, int] = PLANE_PX) -> go.Figure:
    """Every run as a point (rate = KL, distortion = reconstruction), coloured by log10 beta.

    beta = 0 (a plain autoencoder) has no logarithm: it is drawn at the colour scale's low end and
    its hover says beta = 0. Collapsed runs are drawn as crosses. plot_px: the plot area's size
    in pixels where the figure is shown, for placing the run names clear of each other.
    """
    names = list(names)
    kl = np.asarray(kl, float)
    recon = np.asarray(recon, float)
    beta = np.asarray(beta, float)
    collapsed = np.asarray(collapsed, bool)
    g = _rd_plane(kl, recon, beta)
    colour, cmin, cmax, ticks, tick_text = (g[k] for k in ("colour", "cmin", "cmax", "ticks",
                                                            "tick_text"))
    fig = go.Figure()
    for flag, symbol, label in ((False, "circle", "run"), (True, "x", "collapsed posterior")):
        sel = collapsed == flag
        if not sel.any():
            continue
        fig.add_trace(go.Scatter(
            x=kl[sel], y=recon[sel], mode="markers", name=label,
            text=[n for n, s in zip(names, sel) if s],  # for the hover; labels are annotations
            customdata=beta[sel],
            marker=dict(size=[18 if highlight and n in highlight else 13
                              for n, s in zip(names, sel) if s],
                        symbol=symbol, color=colour[sel], colorscale="Viridis", cmin=cmin,
                        cmax=cmax, line=dict(width=1, color=PRIOR_COLOUR),
                        showscale=not flag or not (~collapsed).any(),
                        colorbar=dict(title="beta", tickvals=ticks, ticktext=tick_text)),
            hovertemplate="%{text}<br>beta = %{customdata:g}<br>KL (rate) = %{x:.2f} nats"
                          "<br>reconstruction (distortion) = %{y:.2f} nats<extra></extra>"))
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.08))
    fig.update_traces(cliponaxis=False)
    top, log, lo, hi = g["top"], g["log"], g["lo"], g["hi"]
    fig.update_yaxes(range=[0.0, top])
    if log:
        fig.update_xaxes(type="log", dtick=1, tickformat="~g",  # a label per decade only
                         range=[math.log10(lo), math.log10(hi)],
                         title_text=RD_X_TITLE + " (log scale: does not start at zero)")
    else:
        fig.update_xaxes(title_text=RD_X_TITLE, range=[lo, hi])
    fig.update_yaxes(title_text=RD_Y_TITLE)
    # each run's name beside its point, placed clear of the others (ui.figures.labels)
    shown_kl = g["shown_kl"]
    xs = to_pixels(shown_kl, lo, hi, plot_px[0], log=log)
    ys = to_pixels(recon, 0.0, top, plot_px[1])
    for name, x, y, (dx, dy) in zip(names, shown_kl, recon,
                                    place_labels(xs, ys, names, *plot_px)):
        fig.add_annotation(x=math.log10(x) if log else x, y=y, text=name, showarrow=False,
                           xshift=dx, yshift=dy, font=dict(size=12))
    return fig


def rate_distortion_view(names, kl, recon, beta, collapsed, highlight: set[str] | None = None,
                         plot_px: tuple[int, int] = PLANE_PX, title: str = "") -> dict:
    """rate_distortion_figure as plain numbers for the SVG charts component
    (ui.components.z_cloud.chart, kind "scatter"): every run's point, its colour on Viridis by
    log10 beta, a cross where its posterior collapsed, its name placed clear of the others for a
    plot of `plot_px`; the axes and the colour bar's ticks as the figure has them."""
    names = [str(n) for n in names]
    kl, recon, beta = (np.asarray(v, float) for v in (kl, recon, beta))
    collapsed = np.asarray(collapsed, bool)
    g = _rd_plane(kl, recon, beta)
    span = g["cmax"] - g["cmin"]
    frac = (g["colour"] - g["cmin"]) / span
    colours = sample_colorscale("Viridis", np.clip(frac, 0, 1).tolist(), colortype="rgb") \
        if len(frac) else []
    top, log, lo, hi = g["top"], g["log"], g["lo"], g["hi"]
    xs = to_pixels(g["shown_kl"], lo, hi, plot_px[0], log=log)
    ys = to_pixels(recon, 0.0, top, plot_px[1])
    shifts = place_labels(xs, ys, names, *plot_px)
    if log:
        x_ticks = [(float(10.0 ** e), f"{10.0 ** e:g}")
                   for e in range(math.ceil(math.log10(lo)), math.floor(math.log10(hi)) + 1)]
    else:
        x_ticks = nice_ticks(lo, hi)
    return {
        "kind": "scatter", "title": title, "plot_height": plot_px[1],
        "x_title": RD_X_TITLE + (" (log scale: does not start at zero)" if log else ""),
        "y_title": RD_Y_TITLE, "x_log": log, "x_range": [lo, hi], "y_range": [0.0, top],
        "x_ticks": x_ticks, "y_ticks": nice_ticks(0.0, top),
        "points": [{"x": float(x), "y": float(y), "name": n, "beta": float(b), "colour": c,
                    "cross": bool(k), "big": bool(highlight and n in highlight),
                    "dx": round(float(dx), 1), "dy": round(float(dy), 1),
                    "hover": (f"{n} · beta = {b:g} · KL (rate) = {kx:.2f} nats · "
                              f"reconstruction (distortion) = {y:.2f} nats")}
                   for n, x, kx, y, b, c, k, (dx, dy) in zip(names, g["shown_kl"], kl, recon,
                                                            beta, colours, collapsed, shifts)],
        "legend": ([{"label": "run", "cross": False}] if (~collapsed).any() else [])
        + ([{"label": "collapsed posterior", "cross": True}] if collapsed.any() else []),
        "colour_bar": colour_bar("beta", (g["ticks"] - g["cmin"]) / span, g["tick_text"]),
        "outline": PRIOR_COLOUR,
    }


def colour_bar(title: str, fractions, labels) -> dict:
    """Viridis as a colour bar: its stops, and ticks at fractions of it (those inside 0..1)."""
    stops = np.linspace(0, 1, 9)
    return {"title": title,
            "stops": [[float(f), c] for f, c in zip(stops, sample_colorscale(
                "Viridis", stops.tolist(), colortype="rgb"))],
            "ticks": [[float(f), str(t)] for f, t in zip(fractions, labels)
                      if -1e-9 <= f <= 1 + 1e-9]}
