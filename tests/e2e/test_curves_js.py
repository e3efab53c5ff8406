"""The curves component's JavaScript (ui/components/curves.js) in Chromium, fed the views Python
builds for odd logs: nothing logged yet, train steps only, test epochs only, a column of gaps, one
point, a Replay cursor past the last logged epoch, a Runs overlay with no run or two. Each view is drawn and hovered across every
panel; the page must raise nothing. No Streamlit: the component's own files, on a blank page."""
import numpy as np
import pytest

from tests.e2e.conftest import blank_picture
from ui.figures.curves import curves_view, replay_curves_view, runs_overlay_view


def _step(s, **values):
    return {"kind": "step", "step": s, "epoch": 1 + s // 10, **values}


def _epoch(e, **values):
    return {"kind": "epoch", "step": 10 * e, "epoch": e, **values}


TRAIN = {"train/recon": 100.0, "train/kl": 3.0, "train/neg_elbo": 103.0}
TEST = {"test/recon": 90.0, "test/kl": 2.0, "test/neg_elbo": 92.0}
VIEWS = {
    "nothing logged": curves_view([], title="t"),
    "train steps only": curves_view([_step(s, **TRAIN) for s in range(1, 30)], title="t"),
    "test epochs only": curves_view([_epoch(e, **TEST) for e in range(1, 4)], title="t"),
    "one step, one epoch": curves_view([_step(1, **TRAIN), _epoch(1, **TEST)], title="t"),
    "a column of gaps": curves_view([_step(s, **{**TRAIN, "train/kl": float("nan")})
                                     for s in range(1, 5)], title="t"),
    "replay, cursor past the log": replay_curves_view(np.arange(1, 4), np.ones(3), np.ones(3),
                                                      np.ones(3) * 2, 9, title="t"),
    "replay, one epoch": replay_curves_view([1], [5.0], [1.0], [6.0], 1, title="t"),
    "replay, nothing logged": replay_curves_view([], [], [], [], None, title="t"),
    "runs overlay, no run has the metric": runs_overlay_view({"a": [], "b": [_step(1, **TRAIN)]},
                                                             "test/kl", title="t", y_title="y"),
    "runs overlay, two runs by step": runs_overlay_view(
        {"a": [_step(s, **TRAIN) for s in range(1, 30)], "b": [_step(1, **TRAIN)]}, "train/kl",
        title="t", y_title="y"),
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_an_odd_view_is_drawn_and_hovered_without_an_error(fresh_page, name):
    errors = []
    fresh_page.on("pageerror", lambda e: errors.append(str(e)))
    blank_picture(fresh_page, "curves.js", "createCurves", 900)
    drawn = fresh_page.evaluate("""view => {
      const root = document.querySelector('.vae-zc'), picture = createCurves(root);
      picture.update({...view, filename: 'x.svg'});
      const svg = root.querySelector('svg'), box = svg.getBoundingClientRect();
      for (let x = 0; x < box.width; x += 7) {  // across every panel, at three heights
        for (const y of [0.2, 0.5, 0.8]) {
          svg.dispatchEvent(new PointerEvent('pointermove', {bubbles: true,
            clientX: box.left + x, clientY: box.top + y * box.height}));
        }
      }
      picture.update({...view, filename: 'x.svg'});  // a redraw while hovered
      return {ready: root.dataset.ready, height: Number(svg.getAttribute('height')),
              paths: svg.querySelectorAll('g.lines path').length};
    }""", VIEWS[name])
    assert errors == [], f"{name}: {errors}"
    assert drawn["ready"] == "1" and drawn["height"] > 300
    assert drawn["paths"] == sum(len(p["series"]) for p in VIEWS[name]["panels"])
