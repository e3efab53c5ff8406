"""Pictures drawn as SVG in the browser from plain numbers, where a Plotly chart would be mounted
anew each time its numbers change.

The z cloud: §2's two latent planes, the zoom on one input's q(z|x) and the z drawn from it
(ui.figures.explain.zoom_view), and the plane of every test image's mu with that input marked
(ui.figures.explain.full_view), where a click on a point picks its image. A "Sample eps" click or
a new input sends those numbers, not a figure, and the element redraws in place; a Plotly chart
in Streamlit is sent whole and mounted anew whenever its figure changes (bench/README.md:
"Sample eps" without a Plotly chart's remount).

The mu-sigma bars: §1's q(z|x) per dim beside the prior (ui.figures.explain.mu_sigma_view), for
the same reason: a new input redraws them in place.

The charts of Rate and distortion (ui/components/charts.js): the rate-distortion plane, the
active units per beta and the KL per latent dim, for the same reason: three Plotly charts were
most of that page's visit. The same component draws Latent space's KL bars and the image grids
of Generate and Compare (a PNG each, scaled up with crisp pixels, and its labels).

The loss curves: the Train page's reconstruction, KL and -ELBO against the step
(ui.figures.curves.curves_view), and Replay's test curves with the epoch replayed
(replay_curves_view). While a run trains they change every second, and Play moves Replay's
cursor every frame; drawn in place, they cost the browser a fraction of a new Plotly chart, and
so cost a trainer beside it less (bench/README.md: following a run on the Train page).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import streamlit as st

from ui.style import export_config

ASSETS = Path(__file__).resolve().parent


def _read(name: str) -> str:
    return (ASSETS / name).read_text()


def _svg_component(name: str, js: str):
    """A component drawn by `js` in the shared frame (z_cloud.html and .css, svg_common.js: title,
    download, hover, redraw on resize)."""
    return st.components.v2.component(name, html=_read("z_cloud.html"), css=_read("z_cloud.css"),
                                      js=_read("svg_common.js") + _read(js))


def _svg_file(run_name: str, figure: str) -> str:
    """What "Download SVG" saves: <run>-<figure>.svg, the name Plotly's download gave the PNG."""
    return export_config(run_name, figure)["toImageButtonOptions"]["filename"] + ".svg"


_component = _svg_component("vae_z_cloud", "z_cloud.js")
# §1's mu and sigma per dim: the same frame (title, download, hover) and style, its own drawing
_bars = _svg_component("vae_mu_sigma", "mu_sigma.js")
_curves = _svg_component("vae_loss_curves", "curves.js")
_charts = _svg_component("vae_charts", "charts.js")

def z_cloud(view: dict, *, key: str, run_name: str, figure: str = "z-samples",
            on_pick: Callable[[int], None] | None = None) -> None:
    """Draw `view` (ui.figures.explain.zoom_view or full_view) under `key`; its "Download SVG"
    button saves <run>-<figure>.svg (the name Plotly's download gave this picture). Where the view
    is pickable, on_pick(test image index) runs as a callback when a point is clicked, before the
    page's rerun."""
    filename = _svg_file(run_name, figure)

    def _picked() -> None:
        value = (st.session_state.get(key) or {}).get("pick")
        if on_pick is not None and isinstance(value, int) and not isinstance(value, bool):
            on_pick(value)

    _component(key=key, data={**view, "clip": f"zc-clip-{key}", "filename": filename},
               on_pick_change=_picked)


def mu_sigma_bars(view: dict, *, key: str, run_name: str) -> None:
    """Draw `view` (ui.figures.explain.mu_sigma_view) under `key`; "Download SVG" saves
    <run>-mu-sigma.svg."""
    _bars(key=key, data={**view, "filename": _svg_file(run_name, "mu-sigma")})


def loss_curves(view: dict, *, key: str, run_name: str, figure: str = "curves") -> None:
    """Draw `view` (ui.figures.curves.curves_view or replay_curves_view) under `key`; "Download
    SVG" saves <run>-<figure>.svg."""
    _curves(key=key, data={**view, "filename": _svg_file(run_name, figure)})


def chart(view: dict, *, key: str, run_name: str, figure: str) -> None:
    """Draw `view` (ui.figures.explain.rate_distortion_view, ui.figures.beta.active_units_view,
    kl_per_dim_view, ui.figures.latent.kl_bars_view or an image grid of
    ui.figures.generate) under `key`; "Download SVG" saves <run>-<figure>.svg."""
    _charts(key=key, data={**view, "clip": f"ch-{key}", "filename": _svg_file(run_name, figure)})
