"""The charts component's JavaScript (ui/components/charts.js) in Chromium, fed the views Python
builds for Rate and distortion, Latent space's KL bars and Generate's image grids, ordinary and odd:
the shipped family's numbers, no run, one run, every run collapsed, a rate of zero on a log axis,
no beta family row, 64 dims with a NaN, every KL at zero, a grid of one tile, of colour tiles, of
tiles with nothing to say. Each view is drawn and hovered across its whole box; the
page must raise nothing, and each point, bar and cell must be drawn. No Streamlit: the
component's own files, on a blank page."""
import numpy as np
import pytest

from tests.e2e.conftest import blank_picture
from ui.figures.beta import active_units_view, kl_per_dim_view
from ui.figures.explain import rate_distortion_view
from ui.figures.generate import (gaussian_quantiles, image_grid_view, manifold_view, samples_view,
                                 traversal_view)
from ui.figures.latent import kl_bars_view

FAMILY = [0, 0.25, 0.5, 1, 2, 4, 8, 16, 32]
VIEWS = {
    "a family's plane": rate_distortion_view(
        [f"beta{b:g}" for b in FAMILY], [327, 37, 29, 20, 13.7, 8.2, 4.2, 0.54, 0.00122],
        [74, 77, 81, 89, 101, 121, 148, 198, 208], FAMILY, [False] * 8 + [True], {"beta1"}),
    "no run": rate_distortion_view([], [], [], [], []),
    "one run": rate_distortion_view(["only"], [12.0], [90.0], [1.0], [False]),
    "every run collapsed": rate_distortion_view(["a", "b"], [0.001, 0.002], [200, 201], [16, 32],
                                                [True, True]),
    "a rate of zero on a log axis": rate_distortion_view(["ae", "vae", "zero"], [300, 20, 0.0],
                                                         [70, 90, 210], [0, 1, 64],
                                                         [False, False, True]),
    "the family's bars": active_units_view(FAMILY, [16, 16, 15, 15, 10, 7, 5, 1, 0], 16,
                                           [327, 37, 29, 20, 13.7, 8.2, 4.2, 0.54, 0.00122]),
    "no bars": active_units_view([], [], 16),
    "the family's heatmap": kl_per_dim_view(FAMILY, np.random.default_rng(0).gamma(
        1.0, 1.0, size=(9, 16)), active=np.random.default_rng(1).random((9, 16)) > 0.4),
    "a heatmap with a NaN": kl_per_dim_view([1], np.array([[0.5, np.nan]])),
    "no heatmap row": kl_per_dim_view([], np.zeros((0, 16))),
    "Latent space's KL bars, 64 dims, one NaN": kl_bars_view(
        np.r_[np.nan, np.linspace(0, 3, 63)], np.r_[1.0, np.linspace(0, 1, 63)]),
    "Latent space's KL bars, every dim at 0": kl_bars_view(np.zeros(2), np.zeros(2)),
    "a 25 x 25 manifold": manifold_view(np.random.default_rng(2).random((25, 25, 28, 28)),
                                        gaussian_quantiles(25), gaussian_quantiles(25)[::-1], 3, 7),
    "a traversal of 16 dims": traversal_view(np.zeros((16, 9, 1, 28, 28)), list(range(16)),
                                             np.linspace(-3, 3, 9), np.linspace(0, 3, 16),
                                             np.arange(16) > 3),
    "a grid of one tile": image_grid_view(np.ones((1, 1, 8, 8)), label="one"),
    "colour tiles with two-line labels": image_grid_view(
        np.random.default_rng(3).random((1, 4, 3, 32, 32)), label="colour",
        col_labels=["cat<br>0.10 away", "dog<br>1.20 away", "a", "b"], x_title="t"),
    "prior samples: tiles with nothing to say": samples_view(np.zeros((5, 1, 28, 28)), ncols=4),
}


def _count(view: dict) -> int:
    """What the view draws one of: points, bars or cells."""
    return {"scatter": lambda: len(view["points"]), "bars": lambda: len(view["bars"]),
            "heatmap": lambda: sum(len(r) for r in view["cells"]),
            "images": lambda: 1}[view["kind"]]()


def _says_something(view: dict) -> bool:
    """Whether a hover over the view has words to show: every kind but a grid of silent tiles."""
    return view["kind"] != "images" or any(w for row in view["hover"] for w in row)


@pytest.mark.parametrize("name", list(VIEWS))
def test_a_view_is_drawn_and_hovered_without_an_error(fresh_page, name):
    errors = []
    fresh_page.on("pageerror", lambda e: errors.append(str(e)))
    blank_picture(fresh_page, "charts.js", "createChart", 700)
    drawn = fresh_page.evaluate("""view => {
      const root = document.querySelector('.vae-zc'), picture = createChart(root);
      picture.update({...view, filename: 'x.svg'});
      const svg = root.querySelector('svg'), box = svg.getBoundingClientRect(), tips = [];
      for (let x = 0; x < box.width; x += 9) {
        for (let y = 0; y < box.height; y += 9) {
          svg.dispatchEvent(new PointerEvent('pointermove', {bubbles: true,
            clientX: box.left + x, clientY: box.top + y}));
          if (!root.querySelector('.tip').hidden) tips.push(root.querySelector('.tip').textContent);
        }
      }
      return {ready: root.dataset.ready, height: Number(svg.getAttribute('height')),
              drawn: svg.querySelectorAll('.point, rect.bar, rect.cell, image.tiles').length,
              tips: new Set(tips).size};
    }""", VIEWS[name])
    assert errors == [], f"{name}: {errors}"
    view = VIEWS[name]
    assert drawn["ready"] == "1" and drawn["height"] > 60
    assert drawn["drawn"] == _count(view), f"{name}: {drawn}"
    if _count(view) and _says_something(view):  # the hover names what is under it
        assert drawn["tips"] >= 1, name
    if view["kind"] == "images":  # every tile is wider than the sweep's 9 px: each one's words
        assert drawn["tips"] == len({w for row in view["hover"] for w in row if w}), name
