"""The floor bench_ui.py measures the dashboard against: one Plotly chart of 1,000 points.

What Streamlit and Plotly cost on this machine before the dashboard does anything of its own:
start the server, import both, run a script, send one chart, draw it in the browser. The chart
uses the renderer the dashboard's Latent plane uses for 1,000 points (ui.style.scatter_type: SVG),
so the floor is not raised by software WebGL.

With HELLO_IMPORT_TORCH=1 it imports PyTorch before its chart: the floor of any first page that
needs PyTorch (the dashboard's Latent page encodes with the run's model).
"""
import os

import numpy as np
import plotly.graph_objects as go
import streamlit as st

if os.environ.get("HELLO_IMPORT_TORCH") == "1":
    import torch  # noqa: F401

st.title("Hello")
rng = np.random.default_rng(0)
xy = rng.normal(size=(1000, 2))
st.plotly_chart(go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers")),
                theme="streamlit")
