"""The beta sweep's launch, shared by Presenter mode and Rate and distortion."""
from __future__ import annotations

import time

import streamlit as st

from ui.cache.runs import runs_root
from ui.forms.text import plain
from vae.launch import launch_beta_sweep
from vae.run import RunDir, RunError


def launch_sweep(betas, epochs: int) -> list[RunDir] | None:
    """Start one short run per beta now, named by this second; None (and the trainer's reason on
    the page) when it refuses."""
    try:
        return launch_beta_sweep(runs_root(), sorted(betas), int(epochs),
                                 time.strftime("%m%d-%H%M%S"))
    except RunError as exc:
        st.error(f"The sweep could not start: {plain(exc)}")
        return None
