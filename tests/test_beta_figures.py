"""ui.figures.beta: active units on a whole axis, KL per dim, the spread image and its ordering."""
import io

import numpy as np
from PIL import Image

from ui.figures import beta as bf


def test_active_units_axis_runs_from_zero_to_the_latent_size():
    fig = bf.active_units_figure([0, 1, 16], [16, 15, 4], 16, kl=[300.0, 20.0, 1.5])
    (bar,) = fig.data
    assert list(bar.y) == [16, 15, 4] and list(bar.x) == ["0", "1", "16"]
    assert list(bar.text) == ["16 of 16", "15 of 16", "4 of 16"]
    lo, hi = fig.layout.yaxis.range
    assert lo == 0 and hi >= 16, "a count compared across betas starts at zero"


def test_the_active_units_view_is_the_figures_bars():
    """Rate and distortion's bars, drawn in the browser: the same counts, axis and words."""
    view = bf.active_units_view([0, 1, 16], [16, 15, 4], 16, kl=[300.0, 20.0, 1.5])
    assert [b["label"] for b in view["bars"]] == ["0", "1", "16"]
    assert [b["value"] for b in view["bars"]] == [16, 15, 4]
    assert [b["text"] for b in view["bars"]] == ["16 of 16", "15 of 16", "4 of 16"]
    assert view["bars"][2]["hover"] == "β = 16 · active units: 4 · KL: 1.50 nats"
    assert view["y_range"][0] == 0 and view["y_range"][1] >= 16
    assert all(v <= 16 for v, _ in view["y_ticks"]), "no tick past the latent size"


def test_kl_per_dim_rows_are_betas_and_cap_is_labelled():
    kl = np.array([[30.0, 20.0], [1.0, 0.01]])
    view = bf.kl_per_dim_view([0, 4], kl, cap=2.0)
    assert view["rows"] == ["β = 0", "β = 4"] and view["cols"] == ["z0", "z1"]
    top, low = view["cells"][0][0], view["cells"][1][1]
    assert top["colour"] == view["colour_bar"]["stops"][-1][1], "at or past the cap: the top colour"
    assert low["colour"] != top["colour"] and top["hover"] == "β = 0, z0: KL 30.000 nats"
    assert view["colour_bar"]["ticks"][-1] == [1.0, "≥ 2"]
    assert not any(c["mark"] for row in view["cells"] for c in row), "no active test: no ×"


def test_spread_png_uses_one_fixed_scale():
    spread = np.stack([np.full((28, 28), bf.SPREAD_WHITE), np.zeros((28, 28))])
    img = np.asarray(Image.open(io.BytesIO(bf.spread_png(spread, ncols=2, target_width=58,
                                                          max_scale=1))).convert("L"))
    assert img[14, 14] == 255 and img[14, 14 + 29] == 0, "white at SPREAD_WHITE, black at zero"


def test_order_by_spread_takes_the_widest_of_the_pool():
    spread = np.stack([np.full((2, 2), v) for v in (0.1, 0.5, 0.3, 0.9)])
    assert list(bf.order_by_spread(spread, np.array([0, 1, 2]), 2)) == [1, 2], "3 is not in pool"
    assert len(bf.order_by_spread(spread, np.array([], int), 2)) == 0


def test_beta_label_names_the_autoencoder():
    assert bf.beta_label(0) == "β = 0 (autoencoder)" and bf.beta_label(0.25) == "β = 0.25"


def test_kl_heatmap_marks_inactive_dims_with_the_bars_threshold():
    from vae.losses import ACTIVE_UNIT_THRESHOLD
    kl = [[1.0, 0.05, 0.0], [0.5, 0.0, 0.0]]
    active = [[True, True, False], [True, False, False]]
    view = bf.kl_per_dim_view([1, 4], kl, active=active)
    assert [["×" if c["mark"] else "" for c in row] for row in view["cells"]] == \
        [["", "", "×"], ["", "×", "×"]]
    assert f"≤ {ACTIVE_UNIT_THRESHOLD:g}" in view["subtitle"]
    assert "inactive dim" in bf.kl_per_dim_view([1, 4], kl)["subtitle"]
