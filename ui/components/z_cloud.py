"""The z cloud: §2's zoom on one input's q(z|x) and the z drawn from it, drawn as one SVG in the
browser from plain numbers (ui.figures.explain.zoom_view). A "Sample eps" click sends those
numbers, not a figure, and the element redraws in place; a Plotly chart in Streamlit is sent whole
and mounted anew whenever its figure changes (bench/README.md: "Sample eps" without a Plotly
chart's remount).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.style import export_config

ASSETS = Path(__file__).resolve().parent


def _read(name: str) -> str:
    return (ASSETS / name).read_text()


_component = st.components.v2.component("vae_z_cloud", html=_read("z_cloud.html"),
                                        css=_read("z_cloud.css"), js=_read("z_cloud.js"))


def z_cloud(view: dict, *, key: str, run_name: str) -> None:
    """Draw `view` (ui.figures.explain.zoom_view) under `key`; its "Download SVG" button saves
    <run>-z-samples.svg (the name Plotly's download gave this picture)."""
    filename = export_config(run_name, "z-samples")["toImageButtonOptions"]["filename"] + ".svg"
    _component(key=key, data={**view, "clip": f"zc-clip-{key}", "filename": filename})
