"""The KL calculator: two sliders (mu, sigma) whose KL against N(0, 1), its two penalties and both
densities are computed in the browser on every input event, so the numbers follow the drag.
The released values come back to Python; the offline HTML export mounts the same JavaScript.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).resolve().parent
FILES = {"html": "kl_calculator.html", "css": "kl_calculator.css", "js": "kl_calculator.js"}
STEP = 0.01


def asset(kind: str) -> str:
    return (ASSETS / FILES[kind]).read_text()


_component = st.components.v2.component("vae_kl_calculator", html=asset("html"),
                                        css=asset("css"), js=asset("js"))


def _rev_key(key: str) -> str:
    return f"_kl_calculator_rev::{key}"


def set_calculator(key: str, mu: float, sigma: float) -> None:
    """Move the calculator with this key (call before it is drawn in this run)."""
    st.session_state[f"{key}_mu"], st.session_state[f"{key}_sigma"] = float(mu), float(sigma)
    st.session_state[_rev_key(key)] = st.session_state.get(_rev_key(key), 0) + 1


def kl_calculator(key: str, *, mu: float, sigma: float, mu_range: tuple[float, float],
                  sigma_range: tuple[float, float]) -> tuple[float, float]:
    """Draw it; returns the (mu, sigma) last released, kept in st.session_state[key + "_mu"] and
    [key + "_sigma"] (`mu`, `sigma` start it)."""
    mk, sk = f"{key}_mu", f"{key}_sigma"
    st.session_state.setdefault(mk, float(mu))
    st.session_state.setdefault(sk, float(sigma))

    def _released():
        value = (st.session_state.get(key) or {}).get("value") or {}
        try:
            m, s = float(value["mu"]), float(value["sigma"])
        except (KeyError, TypeError, ValueError):
            return
        if mu_range[0] <= m <= mu_range[1] and sigma_range[0] <= s <= sigma_range[1]:
            st.session_state[mk], st.session_state[sk] = m, s

    _component(key=key, data={"mu": st.session_state[mk], "sigma": st.session_state[sk],
                              "rev": st.session_state.get(_rev_key(key), 0),
                              "mu_range": list(mu_range), "sigma_range": list(sigma_range),
                              "step": STEP},
               on_value_change=_released)
    return st.session_state[mk], st.session_state[sk]
