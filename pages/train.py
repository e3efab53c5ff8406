"""Train: start a run as its own process, watch it live, stop or resume it."""
import streamlit as st

from ui import train_form
from ui.curves import loss_curves_figure, progress_summary, run_summary, runs_table
from ui.figures import posterior_figure
from ui.resources import (active_run, all_runs, encode_test_set, run_dataset, runs_root,
                          set_active_run)
from vae.data import DATASETS, DatasetError
from vae.launch import resume_training, start_training, stop_training
from vae.model import ARCHS, LIKELIHOODS
from vae.runs import RunError

st.title("Train")
runs = all_runs()

with st.expander("Start a new run", expanded=not runs), st.form("new_run"):
    d = train_form.DEFAULTS
    c1, c2, c3, c4 = st.columns(4)
    values = {
        "dataset": c1.selectbox("Dataset", list(DATASETS), format_func=lambda k: DATASETS[k].title,
                                help="\n\n".join(f"**{i.title}**: {i.description}"
                                                 for i in DATASETS.values())),
        "data_dir": c1.text_input("Data folder (optional)", d["data_dir"],
                                  help="Only for MNIST (your IDX .gz files or mnist.npz) or a "
                                       "Fashion-MNIST copy outside /usr/share/datasets."),
        "arch": c2.selectbox("Architecture", ARCHS),
        "hidden": c2.text_input("Hidden sizes", d["hidden"],
                                help="Comma-separated MLP widths (e.g. 512,256) or two conv "
                                     "channel counts (e.g. 32,64)."),
        "latent_dim": c2.number_input("Latent dim", 1, 64, d["latent_dim"]),
        "likelihood": c3.selectbox("Likelihood p(x|z)", LIKELIHOODS),
        "beta": c3.number_input("Beta (KL weight; 0 = autoencoder)", 0.0, 1000.0, d["beta"],
                                step=0.5),
        "kl_warmup": c3.number_input("KL warm-up epochs", 0, 1000, d["kl_warmup"]),
        "epochs": c4.number_input("Epochs", 1, 10_000, d["epochs"]),
        "batch_size": c4.number_input("Batch size", 1, 65_536, d["batch_size"]),
        "lr": c4.number_input("Learning rate", 1e-6, 1.0, d["lr"], format="%.4f", step=1e-4),
    }
    c5, c6, c7, c8 = st.columns(4)
    values["seed"] = c5.number_input("Seed", 0, 2**31 - 1, d["seed"])
    values["device"] = c6.selectbox("Device", ("auto", "cpu", "cuda", "mps"))
    values["log_every"] = c7.number_input("Log every (steps)", 1, 100_000, d["log_every"])
    values["snapshot_every"] = c8.number_input("Snapshot every (epochs)", 1, 1000,
                                               d["snapshot_every"])
    values["name"] = st.text_input("Run name (optional)", placeholder="chosen for you if empty")
    submitted = st.form_submit_button("Start training", type="primary")

if submitted:
    options, problems = train_form.validate(values, {r.name for r in runs})
    if problems:
        st.error("The run was not started:\n\n" + "\n".join(f"- {p}" for p in problems))
    else:
        name = options.pop("name")
        try:
            with st.spinner("Starting the trainer…"):
                start_training(runs_root(), name, options)
        except RunError as exc:
            st.error(f"The trainer refused to start: {exc}")
        else:
            set_active_run(name)
            st.rerun()

if not runs:
    st.info("No runs yet. Fill in the form above and press **Start training**; the run trains in "
            "its own process and this page follows it live.")
    st.stop()

summaries = []
for r in runs:
    try:
        model_cfg, train_cfg = r.read_config()
    except RunError:
        continue
    summaries.append(run_summary(r.name, model_cfg.to_dict(), vars(train_cfg), r.read_status(),
                                 r.read_metrics()))
st.dataframe(runs_table(summaries), hide_index=True, width="stretch")

run = active_run()
st.subheader(f"Run {run.name}")
st.caption("Pick another run in the sidebar. Curves refresh every second while it trains; "
           "closing the tab or restarting the dashboard does not stop it.")


def live(run) -> None:
    status = run.read_status()
    state = status.get("state", "new")
    if state == "running":
        progress = progress_summary(status)
        left, right = st.columns([5, 1])
        left.progress(progress["fraction"], text=progress["text"])
        if right.button("Stop", type="primary", key="stop"):
            stop_training(run)
            st.toast(f"Asked {run.name} to stop.")
    elif state in ("stopped", "interrupted"):
        word = "was interrupted (its process is gone)" if state == "interrupted" else "is stopped"
        left, right = st.columns([5, 1])
        left.warning(f"{run.name} {word} at epoch {status.get('epoch')}/{status.get('epochs')}; "
                     "it can be resumed from its last saved state.")
        if right.button("Resume", key="resume"):
            try:
                resume_training(run)
            except RunError as exc:
                st.error(str(exc))
            st.rerun()
    elif state == "failed":
        st.error(f"Training failed: {status.get('message')}")
    elif state == "finished":
        st.success(status.get("message") or "Finished.")

    rows = run.read_metrics()
    if rows:
        st.plotly_chart(loss_curves_figure(rows), key="curves", theme="streamlit")
    else:
        st.caption("Waiting for the first logged step…")
    if run.weights_file.exists():
        try:
            enc = encode_test_set(run)
            data = run_dataset(run)
        except (RunError, DatasetError) as exc:
            st.warning(f"The posterior cannot be drawn: {exc}")
        else:
            epoch = status.get("epoch")
            st.plotly_chart(posterior_figure(enc["mu"], enc["std"], enc["labels"], data.class_names,
                                             ellipses="sample"),
                            key="posterior", theme="streamlit")
            st.caption(f"Posterior means of the test set after the last finished epoch "
                       f"(now at epoch {epoch}), redrawn each epoch.")
    if st.session_state.get("_live_state", {}).get(run.name) not in (None, state):
        st.session_state["_live_state"][run.name] = state
        st.rerun()  # the run's state changed: redraw the whole page (buttons, refresh rate)
    st.session_state.setdefault("_live_state", {})[run.name] = state


running = run.read_status().get("state") == "running"
st.fragment(live, run_every=1.0 if running else None)(run)
