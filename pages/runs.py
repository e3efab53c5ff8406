"""Runs: compare, resume, download, delete."""
import json

import pandas as pd
import streamlit as st

from ui.curves import metrics_frames, run_summary, runs_overlay_figure, runs_table
from ui.resources import active_run, all_runs, set_active_run
from vae.launch import resume_training
from vae.runs import RunError

st.title("Runs")
runs = {r.name: r for r in all_runs()}
if not runs:
    st.info("No runs yet: start one on the **Train** page, or copy a run folder (config.json, "
            "model.safetensors, metrics.jsonl…) into the checkpoints folder.")
    st.stop()

summaries, broken = [], []
for r in runs.values():
    try:
        model_cfg, train_cfg = r.read_config()
    except RunError as exc:
        broken.append(str(exc))
        continue
    summaries.append(run_summary(r.name, model_cfg.to_dict(), vars(train_cfg), r.read_status(),
                                 r.read_metrics()))
st.dataframe(runs_table(summaries), hide_index=True, width="stretch")
for message in broken:
    st.warning(message)

st.subheader("Curves of several runs")
left, right = st.columns([3, 1])
chosen = left.multiselect("Runs", [s["run"] for s in summaries],
                          default=[s["run"] for s in summaries][:4])
metric = right.selectbox("Metric", ["test/neg_elbo", "test/recon", "test/kl", "train/neg_elbo",
                                    "train/recon", "train/kl", "test/active_units"])
if chosen:
    st.plotly_chart(runs_overlay_figure({n: runs[n].read_metrics() for n in chosen}, metric),
                    theme="streamlit")
else:
    st.caption("Choose runs to overlay their curves.")

run = active_run()
st.subheader(f"Run {run.name}")
st.caption("The active run, chosen in the sidebar.")
status = run.read_status()
state = status.get("state", "new")
try:
    model_cfg, train_cfg = run.read_config()
except RunError as exc:
    st.error(str(exc))
    st.stop()

c1, c2, c3 = st.columns(3)
if run.weights_file.exists():
    c1.download_button("Weights (model.safetensors)", run.weights_file.read_bytes(),
                       file_name=f"{run.name}.safetensors", mime="application/octet-stream")
c2.download_button("Config (config.json)", run.config_file.read_bytes(),
                   file_name=f"{run.name}-config.json", mime="application/json")
steps, epochs = metrics_frames(run.read_metrics())
table = pd.concat([steps, epochs]).sort_values(["step", "kind"]) if len(steps) or len(epochs) else steps
if "test/kl_per_dim" in table:
    table["test/kl_per_dim"] = table["test/kl_per_dim"].map(
        lambda v: json.dumps(v) if isinstance(v, list) else "")
c3.download_button("Metrics (CSV)", table.to_csv(index=False).encode(),
                   file_name=f"{run.name}-metrics.csv", mime="text/csv")

if state in ("stopped", "interrupted", "finished", "failed"):
    with st.form("resume"):
        st.markdown(f"**Resume** {run.name}: it is {state} at epoch "
                    f"{status.get('epoch', '?')} of {train_cfg.epochs}.")
        target = st.number_input("Train up to epoch", min_value=train_cfg.epochs,
                                 max_value=10_000, value=train_cfg.epochs + (
                                     5 if state == "finished" else 0))
        if st.form_submit_button("Resume training"):
            try:
                resume_training(run, epochs=int(target))
            except RunError as exc:
                st.error(f"Could not resume: {exc}")
            else:
                set_active_run(run.name)
                st.switch_page("pages/train.py")

with st.expander("Delete this run"):
    st.write(f"This removes the folder `{run.path}` with its weights and metrics. It cannot be "
             "undone.")
    confirm = st.text_input(f"Type {run.name} to confirm", key="confirm_delete")
    if st.button("Delete", type="primary", disabled=confirm != run.name):
        try:
            run.delete()
        except RunError as exc:
            st.error(str(exc))
        else:
            st.session_state.pop("active_run", None)
            st.query_params.pop("run", None)
            st.toast(f"Deleted {run.name}.")
            st.rerun()
