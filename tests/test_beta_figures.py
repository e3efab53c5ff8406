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


def test_kl_per_dim_rows_are_betas_and_cap_is_labelled():
    kl = np.array([[30.0, 20.0], [1.0, 0.01]])
    fig = bf.kl_per_dim_figure([0, 4], kl, cap=2.0)
    (hm,) = fig.data
    assert list(hm.y) == ["β = 0", "β = 4"] and list(hm.x) == ["z0", "z1"]
    assert np.asarray(hm.z).max() == 2.0 and np.asarray(hm.customdata)[0, 0] == 30.0
    assert hm.colorbar.ticktext[-1] == "≥ 2"


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
    fig = bf.kl_per_dim_figure([1, 4], kl, active=active)
    assert fig.data[0].text.tolist() == [["", "", "×"], ["", "×", "×"]]
    assert f"≤ {ACTIVE_UNIT_THRESHOLD:g}" in fig.layout.title.text
    assert "carries nothing" not in fig.layout.title.text
    assert "carries nothing" not in bf.kl_per_dim_figure([1, 4], kl).layout.title.text
