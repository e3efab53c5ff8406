"""Presenter mode: a short guided story with fixed seeds, in large type, every view exportable.

The page picks the runs and says which step shows; ui.sections.presenter draws the steps, with the
story's choices and words from ui.forms.presenter.
"""
import streamlit as st

from ui.cache.runs import active_run, all_runs, require_model, run_dataset
from ui.export import download_button as export_button
from ui.forms import presenter as story
from ui.forms.presenter import STEPS
from ui.sections import presenter as section
from vae import betas as vb

st.html(story.LARGE_TYPE_CSS)

run = active_run()
model = require_model(run)
cfg, train_cfg = run.read_config()
data = run_dataset(run)
runs = all_runs()
family = vb.best_family(runs, run)
ae_run, vae_run = story.story_pair(runs, run, cfg.beta, family)

step = section.navigation()
export_button(st, run, key="presenter_export")

story_data = family[0].point.dataset if family else train_cfg.dataset
if story_data != train_cfg.dataset and (step == STEPS[1] or (step == STEPS[0] and len(family) >= 3)):
    st.info(story.other_data_note(run.name, train_cfg.dataset, story_data), icon=":material/info:")
if step == STEPS[0]:
    section.autoencoder_vs_vae(run, ae_run, vae_run)
elif step == STEPS[1]:
    section.raise_beta(family, train_cfg.dataset, cfg.latent_dim)
else:
    section.reparameterization(run, model, data)
