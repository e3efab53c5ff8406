"""The Generate page's z builders and image-grid figures."""
import base64
import io
from statistics import NormalDist

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from ui.figures import generate as gf


def _picture(fig: go.Figure) -> np.ndarray:
    uri = fig.data[0].source
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def test_prior_z_is_reproducible_and_standard_normal():
    a, b = gf.prior_z(4000, 3, seed=5), gf.prior_z(4000, 3, seed=5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, gf.prior_z(4000, 3, seed=6))
    assert abs(a.mean()) < 0.05 and abs(a.std() - 1) < 0.05


def test_gaussian_quantiles_are_the_prior_ppf():
    q = gf.gaussian_quantiles(5)
    want = [NormalDist().inv_cdf(p) for p in (0.05, 0.275, 0.5, 0.725, 0.95)]
    np.testing.assert_allclose(q, want, atol=1e-12)
    assert q[2] == pytest.approx(0.0, abs=1e-12)


def test_manifold_z_sweeps_two_dims_and_keeps_the_rest():
    base = np.array([0.5, -1.0, 2.0])
    z, xs, ys = gf.manifold_z(base, dim_x=2, dim_y=0, n=4)
    assert z.shape == (4, 4, 3)
    np.testing.assert_array_equal(z[:, :, 1], -1.0)
    np.testing.assert_array_equal(z[0, :, 2], xs)
    np.testing.assert_array_equal(z[:, 0, 0], ys)
    assert ys[0] > ys[-1], "the top row should have the largest vertical value"
    with pytest.raises(ValueError):
        gf.manifold_z(base, 1, 1, 4)


def test_traversal_z_moves_one_dim_per_row():
    base = np.array([0.1, 0.2, 0.3])
    values = np.linspace(-3, 3, 5)
    z = gf.traversal_z(base, [2, 0], values)
    assert z.shape == (2, 5, 3)
    np.testing.assert_array_equal(z[0, :, 2], values)
    np.testing.assert_array_equal(z[0, :, :2], np.tile(base[:2], (5, 1)))
    np.testing.assert_array_equal(z[1, :, 0], values)


def test_interpolation_z_runs_from_a_to_b():
    za, zb = np.array([0.0, 1.0]), np.array([2.0, -1.0])
    z, t = gf.interpolation_z(za, zb, 5)
    np.testing.assert_allclose(z[0], za)
    np.testing.assert_allclose(z[-1], zb)
    np.testing.assert_allclose(z[2], (za + zb) / 2)
    np.testing.assert_allclose(t, np.linspace(0, 1, 5))


def test_nearest_codes_orders_by_distance():
    mu = np.array([[3.0, 0.0], [0.0, 0.5], [1.0, 1.0], [0.1, 0.0]])
    idx, dist = gf.nearest_codes(np.zeros(2), mu, 3)
    assert idx.tolist() == [3, 1, 2]
    np.testing.assert_allclose(dist, [0.1, 0.5, np.sqrt(2)])


def test_image_grid_figure_is_a_crisp_picture_of_the_tiles():
    images = np.zeros((2, 3, 4, 5), np.float32)
    images[1, 2] = 1.0  # the bottom-right tile is white
    fig = gf.image_grid_figure(images, col_labels=["a", "b", "c"], row_labels=["r0", "r1"],
                               scale=2)
    pic = _picture(fig)
    assert pic.shape == (2 * (2 * 5 + 1), 2 * (3 * 6 + 1)), "picture size: tiles, pads, scale"
    tile = pic[2 * 6:2 * 6 + 2 * 4, 2 * 13:2 * 13 + 2 * 5]
    assert (tile == 255).all() and (pic[2:10, 2:12] == 0).all()
    assert set(np.unique(pic)) <= {0, 89, 255}, "upscaling blended pixels: not nearest-neighbour"
    assert list(fig.layout.xaxis.ticktext) == ["a", "b", "c"]
    assert list(fig.layout.yaxis.ticktext) == ["r0", "r1"]
    assert fig.layout.yaxis.scaleanchor == "x"


def test_image_grid_figure_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="rows, cols"):
        gf.image_grid_figure(np.zeros((3, 4, 4)))


def test_manifold_figure_labels_axes_with_quantiles():
    images = np.random.default_rng(0).uniform(size=(5, 5, 1, 6, 6))
    xs = gf.gaussian_quantiles(5)
    fig = gf.manifold_figure(images, xs, xs[::-1], dim_x=1, dim_y=0)
    assert "z1" in fig.layout.xaxis.title.text and "z0" in fig.layout.yaxis.title.text
    assert fig.layout.xaxis.ticktext[0] == f"{xs[0]:+.2f}"
    assert _picture(fig).shape == (5 * 7 + 1,) * 2


def test_samples_figure_fills_the_last_row():
    fig = gf.samples_figure(np.ones((5, 1, 4, 4)), ncols=4)
    assert _picture(fig).shape == (2 * 5 + 1, 4 * 5 + 1)


# (tick lines, x title) -> the bottom margin Plotly grew to in Chromium at 1400 px on the Generate
# and Compare pages: nearest codes, the manifold and the traversal, the compared reconstructions,
# prior samples
@pytest.mark.parametrize("args, bottom", [((2, False), 51), ((1, True), 65), ((1, False), 35),
                                          ((0, False), 10)])
def test_tick_room_gives_the_margin_plotly_would_grow_to(args, bottom):
    from ui.style import tick_room
    assert tick_room(*args) == bottom


def test_image_grid_figure_leaves_room_for_its_labels():
    from ui.style import MIN_PLOT_PX
    images = np.zeros((1, 3, 28, 28))
    two_lines = gf.image_grid_figure(images, col_labels=["3<br>0.05 away", "1", "2"]).layout
    titled = gf.image_grid_figure(images, col_labels=["a", "b", "c"], x_title="t").layout
    bare = gf.image_grid_figure(images).layout
    assert (bare.margin.t, bare.margin.b) == (10, 10) and two_lines.margin.b > bare.margin.b
    # a row of images with labels and a title: the figure grows to keep Plotly's least plot height
    assert titled.height - titled.margin.t - titled.margin.b >= MIN_PLOT_PX > bare.height - 10 - 65


def _png(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def test_an_image_grid_view_is_the_figures_picture_and_words():
    """The charts component draws the Generate page's grids from these numbers: the same picture
    as the figure's (at source resolution), its labels, and the figure's plot height."""
    images = np.random.default_rng(1).uniform(size=(2, 3, 4, 5)).astype(np.float32)
    words = dict(col_labels=["a", "b<br>two", "c"], row_labels=["r0", "r1"], x_title="t",
                 y_title="u")
    fig, view = gf.image_grid_figure(images, **words), gf.image_grid_view(images, label="L", **words)
    np.testing.assert_array_equal(_png(view["png"]), _picture(fig))
    assert view["size"] == [3 * 6 + 1, 2 * 5 + 1] and view["grid"] == [2, 3]
    assert view["tile"] == [4, 5] and view["pad"] == 1
    assert view["col_labels"] == [["a"], ["b", "two"], ["c"]] and view["row_labels"] == ["r0", "r1"]
    assert view["plot_height"] == fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    assert (view["x_title"], view["y_title"], view["title"], view["label"]) == ("t", "u", "", "L")
    # a hover names the tile's row and column, a column's lines joined by commas
    assert view["hover"] == [["r0 · a", "r0 · b, two", "r0 · c"], ["r1 · a", "r1 · b, two", "r1 · c"]]


def test_the_generate_views_say_where_each_tile_comes_from():
    xs = gf.gaussian_quantiles(3)
    manifold = gf.manifold_view(np.zeros((3, 3, 4, 4)), xs, xs[::-1], dim_x=1, dim_y=0)
    assert manifold["hover"][0][0] == "z1 = -1.64, z0 = +1.64" and manifold["y_title"] == "z0"
    assert manifold["hover"][0][-1] == "z1 = +1.64, z0 = +1.64", "row: z0; column: z1"
    assert manifold["hover"][-1][0] == "z1 = -1.64, z0 = -1.64"
    trav = gf.traversal_view(np.zeros((2, 3, 1, 4, 4)), [1, 0], [-3.0, 0.0, 3.0],
                             kl=np.array([0.5, 2.25]), active=np.array([True, False]))
    assert trav["row_labels"] == ["z1 · 2.25 nats · inactive", "z0 · 0.50 nats"]
    assert [c[0] for c in trav["col_labels"]] == ["-3.0", "+0.0", "+3.0"]
    assert trav["hover"][1] == ["z0 = -3.0", "z0 = +0.0", "z0 = +3.0"]
    interp = gf.interpolation_view(np.zeros((4, 1, 4, 4)), np.linspace(0, 1, 4), "#3 seven", "#9 one")
    assert [c[0] for c in interp["col_labels"]] == ["#3 seven", "0.33", "0.67", "#9 one"]
    assert interp["hover"][0][1] == "t = 0.33"
    samples = gf.samples_view(np.ones((5, 1, 4, 4)), ncols=4)
    assert samples["grid"] == [2, 4] and samples["hover"] == [[""] * 4] * 2, "samples say nothing"
    assert samples["col_labels"] is None and samples["row_labels"] is None
    near = gf.nearest_view(np.zeros((2, 1, 4, 4)), ["3<br>0.05 away", "1<br>0.10 away"])
    assert near["hover"] == [["3, 0.05 away", "1, 0.10 away"]]
