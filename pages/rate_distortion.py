"""Rate and distortion: every run as a point (KL, reconstruction) coloured by beta; a beta sweep.

The sections are drawn by ui.sections.rate_distortion, with their words and tables from
ui.forms.rate_distortion.
"""
import streamlit as st

from ui.cache.runs import active_run, all_runs
from ui.forms import rate_distortion as rd
from ui.sections import rate_distortion as section
from ui.forms.glossary import words_caption
from vae import betas as vb

st.title("Rate and distortion")
st.caption(words_caption(["kl", "beta", "active", "nats"]))
st.markdown(rd.INTRO)

active = active_run()
if active is None:
    st.info("There are no runs yet. Start one on the **Train** page, or a beta sweep below.")
sweep = section.sweep_form(st.session_state.get("rd_sweep", []))
section.plane(active, sweep)  # refreshes itself while the sweep trains

family = vb.best_family(all_runs(), active)
if len({m.point.beta for m in family}) >= 3:
    section.family(family)
else:
    st.info("No family of runs that differ in β only (three betas or more) is here. The shipped "
            f"one is {vb.FAMILY_PREFIX}0 … 32 (`make shipped-runs`), or start a sweep above.")
