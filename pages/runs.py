"""Runs: compare, import and export as .zip, resume, download, delete.

The page says which sections appear, in which order; each is drawn by ui.sections.runs."""
import streamlit as st

from ui.cache.runs import active_run, all_runs, live_runs_table
from ui.forms.runs import natural_key
from ui.sections import runs as section
from ui.forms.glossary import words_caption

st.title("Runs")
st.caption(words_caption(["elbo", "kl", "active"]))
section.import_section()
runs = {r.name: r for r in sorted(all_runs(), key=lambda r: natural_key(r.name))}
if not runs:
    st.info("No runs yet: start one on the **Train** page, import a .zip above, or copy a run "
            "folder (config.json, model.safetensors, metrics.jsonl…) into the checkpoints folder.")
    st.stop()
live_runs_table(list(runs.values()))
section.compare_curves(runs)
section.active_run_section(active_run())
