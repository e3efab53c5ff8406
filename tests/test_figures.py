"""The latent-space figure builders and their geometry: pure functions on numpy data."""
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from ui.components.draw import drawn_overlay
from ui.figures.latent import (circle_polylines, ellipse_path, ellipse_polylines, ellipse_subset,
                               kl_bars_view, kl_per_dim_figure, label_angle, mixture_density, pca_projection,
                               posterior_figure, posterior_view, selected_indices)
from ui.style import SVG_MAX_POINTS, class_colour

NAMES = ("zero", "one", "two")
SCATTER_KINDS = ("scatter", "scattergl")  # SVG up to 5,000 points, WebGL above


def _segments(x, y):
    """Split a NaN-separated polyline into its pieces, as (n, 2) arrays."""
    pts = np.stack([np.asarray(x, float), np.asarray(y, float)], axis=1)
    breaks = np.flatnonzero(np.isnan(pts[:, 0]))
    starts = np.concatenate([[0], breaks + 1])
    return [pts[s:e] for s, e in zip(starts, np.concatenate([breaks, [len(pts)]])) if e > s]


def _toy(n=60, d=2, seed=0):
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=(n, d))
    std = rng.uniform(0.1, 0.5, size=(n, d))
    labels = np.arange(n) % 3
    return mu, std, labels


def _traces(fig, kind):
    return [t for t in fig.data if t.type == kind]


def _markers(fig):
    return [t for t in fig.data if t.type in SCATTER_KINDS and t.mode == "markers"]


def _ellipse_shapes(fig):
    return [s for s in fig.layout.shapes if (s.name or "").startswith("σ ellipses")]


def _path_ellipses(path: str) -> list[np.ndarray]:
    """An ellipse_path read back: each ellipse's 13 Bezier control points, as a (13, 2) array."""
    pieces = [p for p in path.split("M") if p]
    assert all(p.endswith("Z") and p.count("C") == 4 for p in pieces), "four closed cubic arcs each"
    return [np.array([float(v) for v in re.split(r"[ ,CZ]+", p) if v]).reshape(13, 2)
            for p in pieces]


def _on_arcs(ctrl: np.ndarray, n: int = 25) -> np.ndarray:
    """Points along an ellipse's four cubic arcs, the curve the browser draws."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    return np.concatenate([(1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2
                           + t ** 3 * p3 for p0, p1, p2, p3 in
                           (ctrl[3 * k:3 * k + 4] for k in range(4))])


def _all_ellipses(fig) -> list[np.ndarray]:
    return [e for s in _ellipse_shapes(fig) for e in _path_ellipses(s.path)]


# ------------------------------------------------------------------------------------ geometry

def test_diagonal_ellipse_has_sigma_radii_about_mu():
    x, y = ellipse_polylines(np.array([[1.0, 2.0]]), np.array([[0.5, 0.2]]), n_vertices=64)
    (seg,) = _segments(x, y)
    assert np.allclose(((seg[:, 0] - 1) / 0.5) ** 2 + ((seg[:, 1] - 2) / 0.2) ** 2, 1.0), \
        "points must lie on the 1-sigma contour"
    assert np.isclose(seg[:, 0].min(), 0.5) and np.isclose(seg[:, 0].max(), 1.5), "x radius 0.5"
    assert np.isclose(seg[:, 1].min(), 1.8) and np.isclose(seg[:, 1].max(), 2.2), "y radius 0.2"
    assert np.allclose(seg[0], seg[-1]), "each ellipse is closed"


def test_full_covariance_ellipse_is_its_mahalanobis_unit_contour():
    cov = np.array([[4.0, 1.2], [1.2, 1.0]])
    x, y = ellipse_polylines(np.array([[-1.0, 3.0]]), cov[None], n_vertices=50)
    (seg,) = _segments(x, y)
    d = seg - [-1.0, 3.0]
    maha = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
    assert np.allclose(maha, 1.0)


def test_many_ellipses_are_one_polyline_separated_by_nan():
    centers = np.arange(10.0).reshape(5, 2)
    x, y = ellipse_polylines(centers, np.full((5, 2), 0.1), n_vertices=24)
    assert len(x) == 5 * 26 and np.isnan(x).sum() == 5
    assert len(_segments(x, y)) == 5


def test_ellipse_path_draws_the_sigma_contour_within_0_03_percent():
    (ctrl,) = _path_ellipses(ellipse_path(np.array([[1.0, 2.0]]), np.array([[0.5, 0.2]])))
    assert np.allclose(ctrl[0], ctrl[-1]) and np.allclose(ctrl[0], [1.5, 2.0]), \
        "closed, from mu + sigma_x"
    pts = _on_arcs(ctrl)
    r = np.hypot((pts[:, 0] - 1) / 0.5, (pts[:, 1] - 2) / 0.2)
    assert np.all(np.abs(r - 1) < 3e-4), "on the 1-sigma contour, to the arcs' 0.027%"
    assert np.isclose(pts[:, 0].min(), 0.5) and np.isclose(pts[:, 1].max(), 2.2, atol=1e-4)


def test_ellipse_path_of_a_full_covariance_is_its_mahalanobis_unit_contour():
    cov = np.array([[4.0, 1.2], [1.2, 1.0]])
    (ctrl,) = _path_ellipses(ellipse_path(np.array([[-1.0, 3.0]]), cov[None]))
    d = _on_arcs(ctrl) - [-1.0, 3.0]
    maha = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
    assert np.allclose(np.sqrt(maha), 1.0, atol=1e-3)


def test_ellipse_path_holds_every_ellipse_in_one_path_without_exponents():
    centers = np.array([[0.0, 0.0], [1e-7, -2.0], [12.5, 3.0]])
    path = ellipse_path(centers, np.full((3, 2), 1e-6))
    assert len(_path_ellipses(path)) == 3
    assert "e" not in path.lower() and "nan" not in path.lower(), "Plotly reads plain decimals"
    assert ellipse_path(np.zeros((0, 2)), np.zeros((0, 2))) == ""
    broken = ellipse_path(np.array([[0.0, np.nan], [1.0, 1.0]]), np.array([[0.1, 0.1], [np.inf, 1]]))
    assert broken == "", "an ellipse that is not finite is left out, not written as nan"
    assert len(_path_ellipses(ellipse_path(centers[:2], np.array([[0.1, 0.1], [np.nan, 1]])))) == 1


def test_prior_circles_have_radii_one_two_three():
    x, y = circle_polylines()
    radii = [np.hypot(s[:, 0], s[:, 1]) for s in _segments(x, y)]
    assert len(radii) == 3
    for r, expected in zip(radii, (1.0, 2.0, 3.0)):
        assert np.allclose(r, expected)


def test_pca_projection_finds_the_main_axis_and_keeps_the_prior_isotropic():
    rng = np.random.default_rng(1)
    t = rng.normal(scale=3.0, size=500)
    axis = np.array([1.0, 1.0, 0.0, 0.0]) / np.sqrt(2)
    mu = t[:, None] * axis + rng.normal(scale=0.1, size=(500, 4))
    std = np.full((500, 4), 0.5)
    mu2, cov2, ratio = pca_projection(mu, std)
    assert mu2.shape == (500, 2) and cov2.shape == (500, 2, 2)
    pc1 = np.linalg.lstsq(mu, mu2[:, 0], rcond=None)[0]
    assert abs(pc1 @ axis) > 0.99, "PC1 must follow the direction mu varies along"
    assert ratio[0] > 0.95 and ratio.sum() <= 1.0 + 1e-9
    assert np.allclose(cov2, 0.25 * np.eye(2)), "an isotropic q(z|x) stays isotropic"


def test_mixture_density_of_one_component_is_that_gaussian():
    xs, ys = np.linspace(-4, 4, 81), np.linspace(-5, 5, 101)
    z = mixture_density(np.array([[0.5, -1.0]]), np.array([[1.0, 2.0]]), xs, ys)
    assert z.shape == (101, 81)
    gx, gy = np.meshgrid(xs, ys)
    expected = np.exp(-0.5 * ((gx - 0.5) ** 2 + ((gy + 1.0) / 2.0) ** 2)) / (2 * np.pi * 2.0)
    assert np.allclose(z, expected)


def test_mixture_density_of_axis_aligned_gaussians_matches_the_general_sum():
    """A diagonal covariance takes the separable product (a matrix product); the same mixture with
    a vanishing correlation takes the general sum over the grid: the two agree."""
    mu, std, _ = _toy(300)
    full = np.zeros((len(std), 2, 2))
    full[:, 0, 0], full[:, 1, 1] = std[:, 0] ** 2, std[:, 1] ** 2
    tilted = full.copy()
    tilted[:, 0, 1] = tilted[:, 1, 0] = 1e-300  # not zero: the general path
    xs, ys = np.linspace(-4, 4, 57), np.linspace(-5, 5, 63)
    fast, general = mixture_density(mu, full, xs, ys), mixture_density(mu, tilted, xs, ys)
    assert fast.shape == general.shape == (63, 57)
    assert np.allclose(fast, general, rtol=1e-10, atol=1e-14)
    assert np.allclose(mixture_density(mu, std, xs, ys), fast)  # (N, 2) standard deviations
    assert np.allclose(mixture_density(mu, std, list(xs), list(ys)), fast)  # a grid as lists


def test_mixture_density_integrates_to_one():
    mu, std, _ = _toy(40)
    xs = ys = np.linspace(-7, 7, 281)
    z = mixture_density(mu, std, xs, ys)
    cell = (xs[1] - xs[0]) * (ys[1] - ys[0])
    assert z.sum() * cell == pytest.approx(1.0, abs=1e-3)


def test_ellipse_subset_modes():
    assert len(ellipse_subset(1000, "all", 50)) == 1000
    assert len(ellipse_subset(1000, "none", 50)) == 0
    sample = ellipse_subset(1000, "sample", 50, seed=3)
    assert len(sample) == 50 and len(set(sample)) == 50
    assert np.array_equal(sample, ellipse_subset(1000, "sample", 50, seed=3)), "reproducible"
    assert len(ellipse_subset(30, "sample", 50)) == 30, "fewer points than the cap: all of them"
    with pytest.raises(ValueError, match="ellipses"):
        ellipse_subset(10, "some", 5)


# ------------------------------------------------------------------------------ posterior_figure

def test_posterior_figure_has_one_webgl_trace_per_class_with_every_point():
    mu, std, labels = _toy(60)
    fig = posterior_figure(mu, std, labels, NAMES, index=np.arange(100, 160))
    assert isinstance(fig, go.Figure)
    markers = _markers(fig)
    assert [t.name for t in markers] == list(NAMES)
    assert sum(len(t.x) for t in markers) == 60
    ids = np.concatenate([np.asarray(t.customdata)[:, 0] for t in markers])
    assert sorted(ids) == list(range(100, 160)), "customdata's first column: the test-set index"
    for t, c in zip(markers, range(3)):
        assert np.allclose(np.asarray(t.x), mu[labels == c, 0], atol=1e-6)
        assert np.allclose(np.asarray(t.customdata)[:, 1:], std[labels == c][:, :2], atol=1e-6), \
            "then sigma along the two axes, for the hover label"


def test_posterior_figure_draws_the_prior_above_ellipses_and_points():
    mu, std, labels = _toy(60)
    fig = posterior_figure(mu, std, labels, NAMES, ellipses="all")
    kinds = [("prior" if (t.name or "").startswith("prior") else
              "points" if getattr(t, "mode", None) == "markers" else t.type) for t in fig.data]
    assert kinds.index("prior") > max(i for i, k in enumerate(kinds) if k == "points")
    assert _ellipse_shapes(fig) and all(s.layer == "below" for s in _ellipse_shapes(fig)), \
        "ellipses under every trace: the points and the prior's circles draw over them"
    prior = fig.data[kinds.index("prior")]
    assert {t.type for t in fig.data if t.type != "contour"} == {prior.type}, \
        "one scatter kind: a WebGL canvas would draw over an SVG circle"
    assert [a.text for a in fig.layout.annotations if "σ" in a.text] == [
        "<b>1σ</b>", "<b>2σ</b>", "<b>3σ</b>"]
    assert all(a.bgcolor for a in fig.layout.annotations), "labels keep a backdrop over points"
    assert all(s.opacity <= 0.25 for s in _ellipse_shapes(fig)), "ellipses stay light"
    # short dashes: Plotly's "dash" draws the legend's 30 px swatch as one solid bar
    assert prior.line.dash == "5px,4px" and prior.showlegend is not False


def test_posterior_figure_names_each_class_at_its_clusters_median():
    mu, std, labels = _toy(60)
    fig = posterior_figure(mu, std, labels, NAMES)
    named = {a.text: a for a in fig.layout.annotations if "σ" not in a.text}
    present = sorted(set(labels.tolist()))
    assert list(named) == [f"<b>{NAMES[c]}</b>" for c in present], "one label per class shown"
    for c in present:
        a = named[f"<b>{NAMES[c]}</b>"]
        assert np.allclose([a.x, a.y], np.median(mu[labels == c][:, :2], axis=0))
        assert a.bgcolor == class_colour(c) and a.font.color == "#ffffff"
    assert not [a for a in posterior_figure(mu, std, labels, NAMES, class_labels=False)
                .layout.annotations if "σ" not in a.text]


def test_posterior_view_has_every_mu_a_sample_of_ellipses_the_rings_and_class_names():
    """The Train page's plane, drawn in the browser: the numbers posterior_figure draws, less the
    density, on square ranges that hold every ellipse and the prior's 3-sigma circle."""
    mu, std, labels = _toy(900, d=3)
    view = posterior_view(mu, std, labels, NAMES, dims=(2, 0), title="t", max_ellipses=400)
    assert (view["x_label"], view["y_label"]) == ("z2", "z0")
    assert view["background"]["x"] == np.round(mu[:, 2], 4).tolist()
    assert view["background"]["c"] == labels.tolist()
    (x0, x1), (y0, y1) = view["x_range"], view["y_range"]
    assert x1 - x0 == pytest.approx(y1 - y0), "one scale across and up"
    assert x0 < min(-3, (mu[:, 2] - std[:, 2]).min()) and x1 > max(3, (mu[:, 2] + std[:, 2]).max())
    el = view["ellipses"]
    picked = ellipse_subset(900, "sample", 400)
    assert len(el["x"]) == 400 and el["sx"] == np.round(std[picked, 2], 4).tolist()
    assert el["words"] == "q(z|x), 1 sigma: 400 of 900"
    assert view["prior_radii"] == [1, 2, 3]
    places = {lb["text"]: lb for lb in view["class_labels"]}
    for c, name in enumerate(NAMES):
        centre = np.median(mu[labels == c][:, [2, 0]], axis=0)
        assert [places[name]["x"], places[name]["y"]] == pytest.approx(centre, abs=1e-4)
    few = posterior_view(mu[:50], std[:50], labels[:50], NAMES, title="t")
    assert few["ellipses"]["words"] == "q(z|x), 1 sigma" and len(few["ellipses"]["x"]) == 50


def test_posterior_view_leaves_out_codes_that_are_not_finite():
    mu, std, labels = _toy(30)
    mu[3] = np.nan
    std[4, 0] = np.inf  # drawn at float32's bound, as posterior_figure does
    view = posterior_view(mu, std, labels, NAMES, title="t")
    assert len(view["background"]["x"]) == 29 and 3 not in view["background"]["i"]
    assert all(np.isfinite(view["x_range"] + view["y_range"]))
    assert len(view["ellipses"]["x"]) == 29
    with pytest.raises(ValueError, match="must be"):
        posterior_view(mu, std[:, :1], labels, NAMES, title="t")


def test_selected_indices_read_every_shape_of_customdata():
    points = [{"customdata": {"0": 7.0, "1": 0.2, "2": 0.3}},  # a float32 array, as JSON sends it
              {"customdata": [3.0, 0.1, 0.1]}, {"customdata": 5}, {"customdata": [3.0, 0.4, 0.4]},
              {"x": 1.0}]  # a point of a trace without customdata
    assert selected_indices(points) == [3, 5, 7]


def test_prior_labels_go_where_the_points_are_not():
    rng = np.random.default_rng(0)
    # A crowd in the upper right quadrant: the labels must move away from 45 degrees.
    crowd = np.abs(rng.normal(scale=2.0, size=(2000, 2)))
    angle = label_angle(crowd)
    assert not (0 <= angle % (2 * np.pi) <= np.pi / 2)
    assert label_angle(np.zeros((0, 2))) == pytest.approx(np.pi / 4)


def test_posterior_figure_json_stays_small_with_1000_ellipses():
    rng = np.random.default_rng(0)
    mu, std = rng.normal(size=(1000, 2)), np.full((1000, 2), 0.3)
    fig = posterior_figure(mu, std, rng.integers(0, 3, 1000), NAMES, ellipses="all")
    assert len(fig.to_json()) < 340_000, "float32 binary arrays, Bezier ellipses (was 533 kB)"


def test_posterior_figure_draws_prior_circles_and_density():
    mu, std, labels = _toy()
    fig = posterior_figure(mu, std, labels, NAMES)
    prior = [t for t in fig.data if t.name and t.name.startswith("prior")]
    assert len(prior) == 1
    radii = [np.hypot(s[:, 0], s[:, 1]).mean() for s in _segments(prior[0].x, prior[0].y)]
    assert np.allclose(radii, [1, 2, 3])
    (density,) = _traces(fig, "contour")
    assert np.asarray(density.z).max() > 0
    assert fig.layout.yaxis.scaleanchor == "x", "equal axes, so circles look like circles"


def test_posterior_figure_flags_remove_prior_and_density():
    mu, std, labels = _toy()
    fig = posterior_figure(mu, std, labels, NAMES, show_prior=False, show_density=False)
    assert not _traces(fig, "contour")
    assert not [t for t in fig.data if t.name and t.name.startswith("prior")]


@pytest.mark.parametrize("mode, expected", [("all", 60), ("sample", 25), ("none", 0)])
def test_posterior_figure_ellipse_count(mode, expected):
    mu, std, labels = _toy(60)
    fig = posterior_figure(mu, std, labels, NAMES, ellipses=mode, max_ellipses=25)
    assert len(_all_ellipses(fig)) == expected
    assert len(_ellipse_shapes(fig)) <= 3, "ellipses are batched: at most one shape per class"
    for s in _ellipse_shapes(fig):  # the legend's class shows and hides its ellipses
        assert s.legendgroup == str(NAMES.index(s.name.removeprefix("σ ellipses ")))
        assert s.showlegend is False and (s.xref, s.yref) == ("x", "y")


def test_posterior_figure_ellipse_of_a_known_posterior():
    mu = np.array([[1.0, 2.0], [-1.0, 0.0]])
    std = np.array([[0.5, 0.2], [0.3, 0.3]])
    fig = posterior_figure(mu, std, np.array([0, 1]), NAMES, ellipses="all")
    (ctrl,) = _path_ellipses(_ellipse_shapes(fig)[0].path)
    pts = _on_arcs(ctrl)
    assert np.allclose(((pts[:, 0] - 1) / 0.5) ** 2 + ((pts[:, 1] - 2) / 0.2) ** 2, 1.0, atol=1e-3)


def test_posterior_figure_picks_the_requested_dims():
    mu, std, labels = _toy(30, d=5)
    fig = posterior_figure(mu, std, labels, NAMES, dims=(3, 1))
    first = _markers(fig)[0]
    assert np.allclose(np.asarray(first.x), mu[labels == 0, 3])
    assert np.allclose(np.asarray(first.y), mu[labels == 0, 1])
    assert fig.layout.xaxis.title.text == "z3" and fig.layout.yaxis.title.text == "z1"


def test_posterior_figure_pca_mode():
    mu, std, labels = _toy(90, d=6)
    fig = posterior_figure(mu, std, labels, NAMES, projection="pca", ellipses="all")
    assert fig.layout.xaxis.title.text.startswith("PC1")
    assert sum(len(t.x) for t in _markers(fig)) == 90
    assert len(_all_ellipses(fig)) == 90


def test_posterior_figure_axis_titles_override():
    mu, std, labels = _toy()
    fig = posterior_figure(mu, std, labels, NAMES, axis_titles=("a", "b"))
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("a", "b")


def test_posterior_figure_omits_absent_classes():
    mu, std, _ = _toy(10)
    fig = posterior_figure(mu, std, np.zeros(10, int), NAMES)
    assert [t.name for t in _markers(fig)] == ["zero"]


@pytest.mark.parametrize("kwargs, match", [({"dims": (0, 7)}, "out of range"),
                                           ({"projection": "tsne"}, "projection")])
def test_posterior_figure_rejects_bad_arguments(kwargs, match):
    mu, std, labels = _toy()
    with pytest.raises(ValueError, match=match):
        posterior_figure(mu, std, labels, NAMES, **kwargs)


def test_posterior_figure_rejects_mismatched_shapes():
    mu, std, labels = _toy()
    with pytest.raises(ValueError, match="must be"):
        posterior_figure(mu, std[:, :1], labels, NAMES)


# ---------------------------------------------------------------------------- kl_per_dim_figure

def test_kl_bars_are_ordered_and_mark_inactive_dims():
    kl = np.array([0.0, 2.5, 0.7, 1.9])
    var_mu = np.array([0.001, 1.0, 0.4, 0.9])
    fig = kl_per_dim_figure(kl, var_mu)
    (bars,) = fig.data
    assert list(bars.x) == ["z1", "z3", "z2", "z0"]
    assert np.allclose(bars.y, [2.5, 1.9, 0.7, 0.0])
    colors = list(bars.marker.color)
    assert colors[-1] != colors[0], "the inactive dim is drawn differently"
    assert len(set(colors[:3])) == 1
    assert "3 of 4 dims active" in fig.layout.title.text


def test_kl_bars_view_is_the_figures_bars_as_numbers():
    """The Latent page's KL per dim, drawn in the browser: the figure's order, values, colours
    and title; a value that is not finite is drawn at 0 and named so."""
    kl = np.array([0.0, 2.5, 0.7, 1.9])
    var_mu = np.array([0.001, 1.0, 0.4, 0.9])
    fig, view = kl_per_dim_figure(kl, var_mu), kl_bars_view(kl, var_mu)
    (bars,) = fig.data
    assert [b["label"] for b in view["bars"]] == list(bars.x)
    assert [b["value"] for b in view["bars"]] == pytest.approx(list(bars.y))
    assert [b["colour"] for b in view["bars"]] == list(bars.marker.color)
    assert view["title"] == fig.layout.title.text and view["y_range"][0] == 0
    assert view["bars"][-1]["hover"].endswith("· inactive")
    odd = kl_bars_view(np.array([np.nan, 1.0]), np.array([1.0, 1.0]))
    assert [b["label"] for b in odd["bars"]] == ["z1", "z0"]
    assert odd["bars"][1]["value"] == 0.0 and "not finite" in odd["bars"][1]["hover"]


@pytest.mark.parametrize("n, kind", [(60, "scatter"), (SVG_MAX_POINTS, "scatter"),
                                     (SVG_MAX_POINTS + 1, "scattergl")])
def test_points_ellipses_and_prior_share_one_renderer_svg_until_many_points(n, kind):
    """SVG draws 1,000 points 5x faster than software WebGL; above SVG_MAX_POINTS WebGL takes over,
    for all the figure's scatter traces at once (a WebGL canvas would hide SVG circles)."""
    mu, std, labels = _toy(n)
    fig = posterior_figure(mu, std, labels, NAMES, ellipses="sample", max_ellipses=50)
    assert {t.type for t in fig.data if t.type != "contour"} == {kind}
    drawn_overlay(fig, mu[0], std[0])
    assert {t.type for t in fig.data if t.type != "contour"} == {kind}, "the overlay follows"


def test_hover_counts_test_images_from_1_and_shows_class_names_as_text():
    from ui.figures.latent import posterior_figure, tsne_figure
    mu, std = np.zeros((3, 2)), np.ones((3, 2))
    labels, names = np.array([0, 1, 1]), ("<b>zero</b>", "one")
    for fig in (posterior_figure(mu, std, labels, names, ellipses="none"),
                tsne_figure(mu, labels, names, index=np.arange(3))):
        hovers = [h for t in fig.data if t.hovertext is not None for h in t.hovertext]
        assert sorted(hovers) == ["test image #1 · &lt;b&gt;zero&lt;/b&gt;", "test image #2 · one",
                                  "test image #3 · one"]


@pytest.mark.parametrize("n", [60, SVG_MAX_POINTS + 1])
def test_ellipses_are_one_shape_per_class_on_svg_and_webgl(n):
    """As a NaN-separated trace, Plotly made an SVG element per ellipse: 1,000 on the Latent page
    drew in 0.40 s, as shapes 0.27 s; 10,000 as WebGL lines 5.8 s, as shapes 1.1 s
    (bench/bench_plotly_draw.py --ellipses). One path per class, whatever draws the points."""
    mu, std, labels = _toy(n)
    fig = posterior_figure(mu, std, labels, NAMES, ellipses="all", show_density=False)
    assert len(_ellipse_shapes(fig)) == 3 and len(_all_ellipses(fig)) == n
    assert not [t for t in fig.data if (t.name or "").startswith("σ ellipses")]


@pytest.mark.parametrize("height, top, legend_y, rows", [(720, 40, -0.1, 2), (620, 30, -0.1, 1),
                                                        (480, 50, -0.2, 4), (300, 30, -0.1, 0)])
def test_room_below_holds_the_legend_under_the_plot_it_leaves(height, top, legend_y, rows):
    from ui.style import AXIS_ROOM_BOTTOM, LEGEND_PAD_PX, LEGEND_ROW_PX, room_below
    b = room_below(height, top, legend_y, rows)
    plot = height - top - b  # what the margins leave: the legend's top sits -legend_y of it lower
    needed = -legend_y * plot + rows * LEGEND_ROW_PX + LEGEND_PAD_PX
    assert b >= AXIS_ROOM_BOTTOM and (b == AXIS_ROOM_BOTTOM or abs(b - needed) <= 1)
    assert room_below(height, top, legend_y, rows + 3) > b, "more rows need more room"


def test_the_planes_margins_hold_its_axes_and_legend():
    """Margins given up front (Plotly draws the figure once where they hold what automargin
    measures; tests/e2e/test_latent.py checks that in Chromium on the shipped run)."""
    from ui.style import AXIS_ROOM_BOTTOM, AXIS_ROOM_LEFT, room_below
    mu, std, labels = _toy()
    two = posterior_figure(mu, std, labels, NAMES, height=720, title="t").layout.margin
    one = posterior_figure(mu, std, labels, NAMES, height=720, title="t", legend_rows=1).layout.margin
    assert (two.l, two.t, two.b) == (AXIS_ROOM_LEFT, 40, room_below(720, 40, -0.1, 2))
    assert one.b < two.b and one.l == AXIS_ROOM_LEFT
    bars = kl_per_dim_figure(np.array([2.0, 0.01]), np.array([1.0, 0.0])).layout.margin
    assert (bars.l, bars.b) == (AXIS_ROOM_LEFT, AXIS_ROOM_BOTTOM)
