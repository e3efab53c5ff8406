"""The Compare page's cached access: which runs can be compared, and each one's per-image terms
on its test set (keyed on the weights file's modification time)."""
from __future__ import annotations

import streamlit as st
import torch

from ui.cache.runs import load_model, run_dataset, run_problems, weights_mtime
from vae import compare
from vae.run import RunDir, RunError


@st.cache_data(max_entries=8, show_spinner="Passing the test set through the model…")
def _terms(path: str, mtime: float) -> dict:
    run = RunDir(path)
    data = run_dataset(run)
    return compare.per_image_terms(load_model(run), torch.from_numpy(data.test_x.copy()))


def per_image_terms(run: RunDir) -> dict:
    """mu, recon and KL of every test image under the run's model (vae.compare)."""
    return _terms(str(run.path), weights_mtime(run))


def usable_runs(runs) -> dict:
    """The runs that can be compared: readable config and weights, nothing wrong."""
    usable = {}
    for r in runs:
        if run_problems(r) or not r.weights_file.exists():
            continue
        try:
            usable[r.name] = (r, r.read_config())
        except RunError:
            continue
    return usable
