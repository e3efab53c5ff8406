"""The floor of a warm page switch, for bench_switch_split.py --floor: Streamlit's own navigation
between pages that hold one Plotly chart of 1,000 points each (the renderer the dashboard's
planes use: SVG), and a page that holds only its title.

What a switch costs in Streamlit and Chromium before the dashboard does anything of its own.
"""
import numpy as np
import plotly.graph_objects as go
import streamlit as st


def _chart_page(title: str, seed: int):
    def page():
        st.title(title)
        xy = np.random.default_rng(seed).normal(size=(1000, 2))
        st.plotly_chart(go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers")),
                        theme="streamlit")
    return page


def _empty_page():
    st.title("Empty")


st.navigation([st.Page(_chart_page("Hello A", 0), title="Hello A", url_path="a"),
               st.Page(_chart_page("Hello B", 1), title="Hello B", url_path="b"),
               st.Page(_empty_page, title="Empty", url_path="empty")]).run()
