"""ui.figures.explain: pure builders, data in, Figure out; each checked for what it must show."""
import io
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from ui.figures import explain as figs
from ui.style import class_colour

RNG = np.random.default_rng(0)
MU = RNG.normal(size=(200, 3))
LABELS = RNG.integers(0, 4, size=200)
NAMES = ("a", "b", "c", "d")


def _trace(fig: go.Figure, name_start: str):
    matches = [t for t in fig.data if (t.name or "").startswith(name_start)]
    assert matches, f"no trace named {name_start!r} in {[t.name for t in fig.data]}"
    return matches[0]


def test_latent_view_draws_classes_prior_mu_ellipse_and_samples():
    mu, sigma = np.array([0.5, -1.0, 2.0]), np.array([0.2, 0.4, 0.1])
    z = np.array([[0.6, -1.1, 2.0], [0.4, -0.8, 1.9]])
    fig = figs.latent_view_figure(MU, LABELS, NAMES, dims=(0, 2), mu=mu, sigma=sigma, z=z,
                                  index=np.arange(200) + 1000)
    classes = [t for t in fig.data if t.name in NAMES and t.customdata is not None]
    swatches = [t for t in fig.data if t.name in NAMES and t.customdata is None]
    assert len(classes) == 4 and sum(len(t.x) for t in classes) == 200
    # the legend shows each class at full strength, toggling its faded dots with it
    assert [t.marker.opacity for t in swatches] == [None] * 4
    assert {t.legendgroup for t in swatches} == {t.legendgroup for t in classes}
    assert min(min(t.customdata) for t in classes) == 1000, "customdata carries the test index"
    for t in classes:  # and the hover counts from 1
        assert list(t.hovertext) == [f"test image #{i + 1}" for i in t.customdata]
        assert "%{hovertext}" in t.hovertemplate
    assert list(_trace(fig, "mu(x)").x) == [0.5] and list(_trace(fig, "mu(x)").y) == [2.0]
    ell = _trace(fig, "q(z|x)")
    assert np.max(ell.x) == pytest.approx(0.7) and np.max(ell.y) == pytest.approx(2.1, abs=1e-3)
    prior = _trace(fig, "prior")
    np.testing.assert_allclose(np.hypot(prior.x, prior.y), 1.0)
    samples = _trace(fig, "z = mu")
    assert list(samples.x) == [0.6, 0.4] and list(samples.y) == [2.0, 1.9]
    assert fig.layout.xaxis.title.text == "z0" and fig.layout.yaxis.title.text == "z2"


def test_latent_view_zoom_can_leave_classes_out_of_the_legend():
    fig = figs.latent_view_figure(MU, LABELS, NAMES, mu=np.zeros(3), sigma=np.ones(3),
                                  class_legend=False)
    assert all(t.showlegend is False for t in fig.data if t.name in NAMES)
    assert not [t for t in fig.data if t.name in NAMES and t.customdata is None]
    assert _trace(fig, "mu(x)").showlegend is not False, "mu, q and z stay in the legend"


def test_latent_view_without_an_input_and_with_ranges():
    fig = figs.latent_view_figure(MU, LABELS, NAMES, x_range=(-3, 3), y_range=(-2, 2))
    assert not [t for t in fig.data if (t.name or "").startswith("mu(x)")]
    assert tuple(fig.layout.xaxis.range) == (-3, 3) and tuple(fig.layout.yaxis.range) == (-2, 2)


def test_zoom_ranges_hold_every_sample():
    mu, sigma = np.array([1.0, 2.0]), np.array([0.1, 0.2])
    (x0, x1), (y0, y1) = figs.zoom_ranges(mu, sigma, None)
    assert (x1 - x0) == pytest.approx(1.2) and (y0 + y1) / 2 == pytest.approx(2.0)
    z = np.array([[3.0, 2.0]])
    (x0, x1), _ = figs.zoom_ranges(mu, sigma, z)
    assert x1 > 3.0


def test_mu_sigma_view_sends_each_dim_and_a_range_that_holds_the_bars_and_the_prior():
    view = figs.mu_sigma_view(np.array([0.1, -2.0, 0.3]), np.array([0.5, 0.05, 3.0]))
    assert view["dims"] == ["z0", "z1", "z2"]
    assert view["mu"] == [0.1, -2.0, 0.3] and view["sigma"] == [0.5, 0.05, 3.0]
    lo, hi = view["x_range"]
    assert lo < -2.05 and hi > 3.3  # mu - sigma of z1, mu + sigma of z2
    assert all(lo <= v <= hi for v, _ in view["x_ticks"]) and len(view["x_ticks"]) >= 3
    inside = figs.mu_sigma_view(np.zeros(2), np.full(2, 0.1))["x_range"]
    assert inside == pytest.approx([-1.1, 1.1])  # the prior's band alone sets it
    assert json.loads(json.dumps(view))["mu"] == view["mu"]


def test_kl_split_figure_stacks_to_the_total():
    mean_p, width_p = np.array([1.0, 0.0, 0.25]), np.array([0.5, 2.0, 0.0])
    fig = figs.kl_split_figure(mean_p, width_p)
    assert fig.layout.barmode == "stack"
    total = sum(np.sum(t.y) for t in fig.data)
    assert total == pytest.approx(3.75)
    assert "3.750" in fig.layout.title.text


def test_aggregate_posterior_figure_has_a_panel_per_dim():
    grid = np.linspace(-4, 4, 50)
    dens = {"vae": np.ones((5, 50)) * 0.1, "ae": np.ones((5, 50)) * 3.0}
    fig = figs.aggregate_posterior_figure(grid, dens, np.full(50, 0.4), dims=[0, 1, 2, 3, 4])
    assert len(fig.data) == 5 * 3
    assert [a.text for a in fig.layout.annotations] == ["z0", "z1", "z2", "z3", "z4"]
    assert sum(1 for t in fig.data if t.showlegend) == 3, "one legend entry per model"
    assert fig.layout.yaxis.range[1] == pytest.approx(1.6 * 0.4), "y follows prior and the VAE"


def test_accounting_figure_uses_one_sign_convention_from_zero():
    fig = figs.accounting_figure(recon=160.0, kl=5.0, iwae=-162.0, k=100)
    elbo_bars = [t for t in fig.data if list(t.x) == ["ELBO"]]
    assert sum(t.y[0] for t in elbo_bars) == pytest.approx(-165.0), "ELBO = -(recon + KL)"
    assert all(t.y[0] <= 0 for t in fig.data), "log-likelihood bounds are drawn as negatives"
    assert _trace(fig, "IWAE_k").y[0] == pytest.approx(-162.0)
    assert fig.layout.barmode == "relative", "the two ELBO parts stack down from zero"
    assert fig.layout.yaxis.rangemode == "tozero", "a magnitude axis starts at zero"
    assert "ELBO -165.00 ≤ IWAE_k -162.00 ≤ log p(x)" in fig.layout.title.text
    assert "gap 3.00" in fig.layout.title.text


def test_latent_view_has_an_equal_aspect_and_the_shared_class_colours():
    fig = figs.latent_view_figure(MU, LABELS, NAMES)
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    for c, name in enumerate(NAMES):
        assert _trace(fig, name).marker.color == class_colour(c)


def test_rate_distortion_figure_places_and_marks_runs():
    fig = figs.rate_distortion_figure(["ae", "vae", "flat"], [40.0, 5.0, 0.01],
                                      [150.0, 165.0, 210.0], [0.0, 1.0, 16.0],
                                      [False, False, True])
    ok, collapsed = _trace(fig, "run"), _trace(fig, "collapsed")
    assert list(ok.x) == [40.0, 5.0] and list(ok.text) == ["ae", "vae"]
    assert list(collapsed.text) == ["flat"] and collapsed.marker.symbol == "x"
    ticks = dict(zip(ok.marker.colorbar.tickvals, ok.marker.colorbar.ticktext))
    assert ticks[-1] == "0", "beta = 0 sits at the colour scale's floor, labelled 0"
    assert ticks[0] == "1" and ticks[1] == "10"


def test_rate_distortion_view_is_the_figures_plane_as_numbers():
    """The page's plane, drawn in the browser: the figure's points, names' places, axes and
    colour scale (beta = 0 at its floor, labelled 0), a cross for the collapsed run."""
    args = (["ae", "vae", "flat"], [40.0, 5.0, 0.01], [150.0, 165.0, 210.0], [0.0, 1.0, 16.0],
            [False, False, True])
    fig = figs.rate_distortion_figure(*args, highlight={"vae"})
    view = figs.rate_distortion_view(*args, highlight={"vae"}, title="t")
    names = {a.text: a for a in fig.layout.annotations}
    for p in view["points"]:
        a = names[p["name"]]
        assert (p["dx"], p["dy"]) == pytest.approx((a.xshift, a.yshift), abs=0.05)
    flat = view["points"][2]
    assert flat["cross"] and not view["points"][0]["cross"] and view["points"][1]["big"]
    assert flat["x"] == 0.01 and "KL (rate) = 0.01 nats" in flat["hover"]
    assert view["x_log"] and view["x_range"] == pytest.approx(
        [10 ** v for v in fig.layout.xaxis.range])
    assert view["y_range"] == pytest.approx(list(fig.layout.yaxis.range))
    assert [t for _, t in view["colour_bar"]["ticks"]] == ["0", "1", "10"]
    assert view["points"][0]["colour"] == view["colour_bar"]["stops"][0][1], "beta 0: the floor"
    assert [item["label"] for item in view["legend"]] == ["run", "collapsed posterior"]
    json.dumps(view, allow_nan=False)


def test_image_row_png_is_crisp_and_about_the_target_width():
    imgs = np.linspace(0, 1, 4 * 28 * 28).reshape(4, 28, 28)
    png = figs.image_row_png(imgs, ncols=4, target_width=600, max_scale=10)
    im = Image.open(io.BytesIO(png))
    assert im.format == "PNG" and im.mode == "L"
    width = 4 * 29 + 1
    assert im.size[0] % width == 0 and im.size[0] <= 600 < im.size[0] + width
    arr = np.asarray(im)
    scale = im.size[0] // width
    block = arr[scale:2 * scale, scale:2 * scale]
    assert (block == block[0, 0]).all(), "nearest-neighbour: each pixel is a flat block"
    one = Image.open(io.BytesIO(figs.image_row_png(imgs[:1], target_width=900, max_scale=4)))
    assert one.size == (30 * 4, 30 * 4), "a single image is capped at max_scale"


def test_a_zoomed_latent_view_carries_only_the_points_near_its_window():
    rng = np.random.default_rng(0)
    all_mu = rng.normal(size=(1000, 2))
    labels = np.arange(1000) % 10
    mu, sigma = np.array([0.5, -0.5]), np.array([0.1, 0.1])
    xr, yr = figs.zoom_ranges(mu, sigma, None)
    fig = figs.latent_view_figure(all_mu, labels, [str(c) for c in range(10)], mu=mu, sigma=sigma,
                             x_range=xr, y_range=yr)
    shown = np.concatenate([np.column_stack([t.x, t.y]) for t in fig.data if t.name in
                            [str(c) for c in range(10)] and t.customdata is not None])
    inside = ((np.abs(all_mu[:, 0] - 0.5) <= 0.3) & (np.abs(all_mu[:, 1] + 0.5) <= 0.3)).sum()
    assert inside <= len(shown) < 500, "every point in the window, and not the whole test set"
    assert np.abs(shown - mu).max() <= 1.5 * 0.6 + 1e-9, "none beyond 1.5 windows from its centre"
    full = figs.latent_view_figure(all_mu, labels, [str(c) for c in range(10)], mu=mu, sigma=sigma)
    assert sum(len(t.x) for t in full.data if t.name in [str(c) for c in range(10)]
               and t.customdata is not None) == 1000


def test_the_prior_ring_is_drawn_above_the_codes_on_a_halo():
    """The 1-sigma ring must stay visible over a dense cloud of codes, in both themes."""
    fig = figs.latent_view_figure(MU, LABELS, NAMES, dims=(0, 1), background_opacity=0.6)
    names = [t.name for t in fig.data]
    ring = max(i for i, t in enumerate(fig.data) if t.name == "prior N(0, I), 1 sigma"
               and t.showlegend is False)  # the drawn ring (the legend entry has no points)
    halo = names.index("prior halo")
    last_class = max(names.index(n) for n in NAMES if n in names)
    assert last_class < halo < ring, "halo, then dashes, above every class's dots"
    assert fig.data[ring].line.dash == "dash" and fig.data[ring].line.width >= 3
    assert fig.data[halo].line.width > fig.data[ring].line.width and not fig.data[halo].showlegend


def test_bound_figure_marks_the_elbo_and_log_p_on_the_histogram():
    log_w = RNG.normal(-100.0, 2.0, size=2000)
    elbo = log_w.mean()
    best = np.log(np.mean(np.exp(log_w - log_w.max()))) + log_w.max()
    fig = figs.bound_figure(log_w, (1, 10, 100), [elbo, elbo + 1.0, elbo + 1.5])
    bars = _trace(fig, "log w = log p(x, z)")
    assert bars.type == "bar" and sum(bars.y) == 2000  # every draw counted once
    mean_line = _trace(fig, "mean of log w = ELBO")
    log_p_line = _trace(fig, "log of mean w ≈ log p(x)")
    assert mean_line.x[0] == pytest.approx(elbo) and log_p_line.x[0] == pytest.approx(best)
    assert f"{elbo:.2f}" in mean_line.name and f"{best:.2f}" in log_p_line.name
    curve = _trace(fig, "IWAE_k")
    assert list(curve.x) == [1, 10, 100] and fig.layout.xaxis2.type == "log"


def test_image_rows_can_carry_a_label_each():
    """Presenter's reconstructions by β: a label left of each row, written into the PNG."""
    images = RNG.random((16, 28, 28)).astype(np.float32)
    plain = Image.open(io.BytesIO(figs.image_row_png(images, ncols=8, target_width=520)))
    labelled = Image.open(io.BytesIO(figs.image_row_png(
        images, ncols=8, target_width=520, row_labels=["input", "beta = 16"])))
    assert labelled.height == plain.height and labelled.width > plain.width  # same image scale
    gutter = np.asarray(labelled.convert("L"))[:, :labelled.width - plain.width]
    assert (gutter > 200).sum() > 20  # white text drawn in the grey gutter


def test_the_prior_rings_legend_swatch_reads_on_both_themes():
    """The ring's dark dashes sit on a white halo that the legend does not show: its swatch was
    near-black on the dark theme. One legend entry, mid-grey, in the ring's group; the ring
    itself stays out of the legend."""
    from ui.style import NEUTRAL
    fig = figs.latent_view_figure(MU, LABELS, NAMES, dims=(0, 1), background_opacity=0.6)
    entries = [t for t in fig.data if t.name == "prior N(0, I), 1 sigma"
               and t.showlegend is not False]
    assert len(entries) == 1 and entries[0].line.color == NEUTRAL and entries[0].line.dash == "dash"
    assert entries[0].legendgroup == "prior"
    drawn = [t for t in fig.data if t.name == "prior N(0, I), 1 sigma" and t.showlegend is False]
    assert len(drawn) == 1 and len(drawn[0].x) > 10


def test_the_aggregate_legend_clears_the_axis_title_on_one_row():
    """On a 2-D run (one row of panels, 300 px) the legend at -0.15 of the height sat on the
    axes' "z" title: it is 60 px below the plots whatever the height."""
    grid = np.linspace(-4, 4, 50)
    for dims in ([0, 1], list(range(16))):
        fig = figs.aggregate_posterior_figure(grid, {"a": np.full((16, 50), 0.3)},
                                              np.full(50, 0.4), dims=dims)
        assert fig.layout.legend.y * fig.layout.height == pytest.approx(-60)


@pytest.mark.parametrize("lo, hi", [(-3, 3), (0.41, 1.13), (-2.93, -2.61), (2.3, 3.05),
                                    (-0.01, 0.01), (-4.2, 4.2), (1e-4, 3e-4)])
def test_nice_ticks_are_round_steps_inside_the_range_labelled_as_plotly_does(lo, hi):
    ticks = figs.nice_ticks(lo, hi)
    values = np.array([v for v, _ in ticks])
    assert 3 <= len(ticks) <= 9, ticks
    assert values.min() >= lo - 1e-12 and values.max() <= hi + 1e-12
    steps = np.diff(values)
    np.testing.assert_allclose(steps, steps[0], rtol=1e-6)
    mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]) + 1e-9)
    assert round(mantissa, 6) in (1, 2, 5), f"step {steps[0]}"
    for v, label in ticks:
        assert float(label.replace("−", "-")) == pytest.approx(v, abs=steps[0] * 1e-6)
        assert not label.startswith("-"), "a true minus sign, not a hyphen"
        assert label == "0" or not (label.endswith("0") and "." in label), "no trailing zeros"
    assert figs.nice_ticks(1.0, 1.0) == [] and figs.nice_ticks(0.0, float("nan")) == []


def test_zoom_view_sends_the_window_mu_sigma_and_every_z():
    rng = np.random.default_rng(1)
    all_mu = rng.normal(size=(1000, 3))
    labels = np.arange(1000) % 10
    mu, sigma = np.array([0.5, 9.0, -0.5]), np.array([0.1, 5.0, 0.2])
    z = mu + sigma * rng.normal(size=(30, 3))
    xr, yr = figs.zoom_ranges(mu, sigma, z, dims=(0, 2))
    view = figs.zoom_view(all_mu, labels, dims=(0, 2), mu=mu, sigma=sigma, z=z, x_range=xr,
                          y_range=yr, title="Zoomed")
    assert (view["x_label"], view["y_label"], view["title"]) == ("z0", "z2", "Zoomed")
    assert view["mu"] == [0.5, -0.5] and view["sigma"] == [0.1, 0.2]
    np.testing.assert_array_equal(np.column_stack([view["z"]["x"], view["z"]["y"]]), z[:, [0, 2]])
    (x0, x1), (y0, y1) = view["x_range"], view["y_range"]
    assert x1 - x0 == pytest.approx(y1 - y0), "a square window: one unit as long across as up"
    bg = np.column_stack([view["background"]["x"], view["background"]["y"]])
    inside = ((all_mu[:, 0] >= x0) & (all_mu[:, 0] <= x1)
              & (all_mu[:, 2] >= y0) & (all_mu[:, 2] <= y1))
    assert 0 < len(bg) == inside.sum() < 1000, "the test codes in the window, and only those"
    assert view["background"]["c"] == labels[inside].tolist()
    assert view["class_colours"][3] == figs.class_colour(3) and len(view["class_colours"]) == 10
    assert [v for v, _ in view["x_ticks"]] == [v for v, _ in figs.nice_ticks(x0, x1)]
    assert view["colours"]["sample"] == figs.SAMPLE_COLOUR
    json.dumps(view)  # plain numbers: what the component is sent
    empty = figs.zoom_view(all_mu, labels, dims=(0, 2), mu=mu, sigma=sigma, z=np.zeros((0, 3)),
                           x_range=xr, y_range=yr, title="")
    assert empty["z"] == {"x": [], "y": []}


def test_above_the_svg_limit_every_trace_of_the_plane_is_webgl():
    """WebGL draws on a canvas above every SVG trace: with 10,000 Fashion-MNIST codes as WebGL
    points, an SVG prior ring or input marker was drawn under them, out of sight."""
    from ui.style import SVG_MAX_POINTS
    rng = np.random.default_rng(2)
    many = rng.normal(size=(SVG_MAX_POINTS + 1, 2))
    labels = np.arange(len(many)) % 4
    fig = figs.latent_view_figure(many, labels, NAMES, mu=np.zeros(2), sigma=np.ones(2),
                                  z=rng.normal(size=(5, 2)))
    drawn = [t for t in fig.data if t.x is not None and t.x[0] is not None]
    assert drawn and {t.type for t in drawn} == {"scattergl"}
    few = figs.latent_view_figure(MU, LABELS, NAMES, mu=np.zeros(3), sigma=np.ones(3))
    assert {t.type for t in few.data} == {"scatter"}


def test_full_view_holds_every_point_and_the_prior_on_square_axes():
    rng = np.random.default_rng(3)
    all_mu = rng.normal([0.5, -4.0, 2.0], [1.0, 0.3, 3.0], size=(300, 3))
    labels = rng.integers(0, 4, size=300)
    mu, sigma = np.array([0.1, -3.9, 1.5]), np.array([0.2, 0.05, 0.4])
    view = figs.full_view(all_mu, labels, ["a", "b", "c", "d<"], dims=(2, 1), mu=mu, sigma=sigma,
                          title="every mu", index=np.arange(300) + 1000)
    (x0, x1), (y0, y1) = view["x_range"], view["y_range"]
    assert x1 - x0 == pytest.approx(y1 - y0), "one unit of z as long across as up"
    xs, ys = all_mu[:, 2], all_mu[:, 1]
    assert x0 < min(xs.min(), -1) and max(xs.max(), 1) < x1  # every point and the prior's circle
    assert y0 < min(ys.min(), -1) and max(ys.max(), 1) < y1
    bg = view["background"]
    np.testing.assert_allclose(bg["x"], xs, atol=5e-5)
    np.testing.assert_allclose(bg["y"], ys, atol=5e-5)
    assert bg["c"] == labels.tolist() and bg["i"] == list(range(1000, 1300))
    assert view["class_names"] == ["a", "b", "c", "d<"]  # escaped by the component, not here
    assert view["class_colours"] == [class_colour(c) for c in range(4)]
    assert (view["x_label"], view["y_label"]) == ("z2", "z1")
    assert view["mu"] == [1.5, -3.9] and view["sigma"] == [0.4, 0.05]
    assert view["pickable"] and "z" not in view, "the full view draws no z: the zoom does"
    assert json.loads(json.dumps(view))["background"] == bg, "plain numbers the component takes"


def test_codes_view_draws_every_mu_on_the_ranges_given_with_nothing_marked():
    """Replay's plane: the ranges are the caller's (one square for every epoch), not the cloud's."""
    rng = np.random.default_rng(4)
    all_mu = rng.normal(0.0, 2.0, size=(200, 3))
    labels = rng.integers(0, 3, size=200)
    view = figs.codes_view(all_mu, labels, ["x", "y", "z"], dims=(1, 2), x_range=(-5, 5),
                           y_range=(-5, 5), title="Posterior means at epoch 3",
                           index=np.arange(200) + 7)
    assert view["x_range"] == [-5.0, 5.0] and view["y_range"] == [-5.0, 5.0]
    assert view["mu"] is None and view["sigma"] is None and not view["pickable"]
    np.testing.assert_allclose(view["background"]["x"], all_mu[:, 1], atol=5e-5)
    np.testing.assert_allclose(view["background"]["y"], all_mu[:, 2], atol=5e-5)
    assert view["background"]["i"][0] == 7 and view["background"]["c"] == labels.tolist()
    assert (view["x_label"], view["y_label"], view["title"]) == ("z1", "z2",
                                                                 "Posterior means at epoch 3")
    assert [v for v, _ in view["x_ticks"]] == [v for v, _ in figs.nice_ticks(-5, 5)]
    assert "font_size" not in view, "the component's 12 px words"
    json.dumps(view, allow_nan=False)
    big = figs.codes_view(all_mu, labels, ["x", "y", "z"], dims=(1, 2), x_range=(-5, 5),
                          y_range=(-5, 5), title="Presenter", font_size=18)
    assert big["font_size"] == 18, "Presenter's large type"


def test_a_diverged_snapshots_codes_are_left_out_and_its_view_stays_json():
    """A snapshot whose encoder gave NaN or inf for some codes: the browser takes JSON, which has
    no NaN; those codes are left out, the rest drawn, on ranges that are finite."""
    mu = np.array([[0.5, 1.0], [np.nan, 0.0], [2.0, np.inf], [-1.0, -1.0]])
    view = figs.codes_view(mu, np.array([0, 1, 2, 3]), list("abcd"), dims=(0, 1),
                           x_range=(-np.inf, np.inf), y_range=(-2, 2), title="diverged")
    json.dumps(view, allow_nan=False)
    assert view["background"]["i"] == [0, 3] and view["background"]["c"] == [0, 3]
    assert view["x_range"] == [-3.0, 3.0] and view["y_range"] == [-3.0, 3.0]
    full = figs.full_view(mu, np.array([0, 1, 2, 3]), list("abcd"), dims=(0, 1),
                          mu=np.zeros(2), sigma=np.ones(2), title="every mu")
    json.dumps(full, allow_nan=False)
    assert full["background"]["i"] == [0, 3]


def test_the_role_colours_are_plotlys_first_four():
    """ui/style.py names them; the explanation's Plotly charts and the SVG pictures share them."""
    from ui.style import ELBO_COLOUR
    assert [figs.MEAN_COLOUR, figs.WIDTH_COLOUR, figs.SAMPLE_COLOUR, ELBO_COLOUR] == \
        list(figs.PALETTE[:4])


def test_full_view_of_a_cloud_inside_the_prior_is_the_prior_padded():
    view = figs.full_view(np.zeros((5, 2)) + 0.1, np.zeros(5, int), ["0"], dims=(0, 1),
                          mu=np.zeros(2), sigma=np.ones(2), title="")
    assert view["x_range"] == pytest.approx([-1.1, 1.1]) and view["y_range"] == pytest.approx([-1.1, 1.1])
    assert [v for v, _ in view["x_ticks"]] == pytest.approx([-1, -0.5, 0, 0.5, 1])
