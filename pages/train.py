"""Train: start a run as its own process, watch it live, stop or resume it."""
import streamlit as st

from ui.cache.runs import (active_run, all_runs, cached_posterior_figure, encode_test_set,
                           live_runs_table, run_dataset, run_status, runs_root, set_active_run)
from ui.figures.curves import epoch_words, epochs_done, loss_curves_figure, progress_summary
from ui.forms import train as train_form
from ui.forms.imported import no_curves_note
from vae.archive import MAX_IMAGE_ZIP_BYTES, MB, ArchiveError, images_root, import_image_zip
from vae.data import DATASETS, MAX_IMAGE_SIZE, MIN_PER_CLASS, DatasetError
from vae.launch import (forget_launch, launch_status, max_processes, pending_launches,
                        resume_training, start_training, stop_training)
from vae.model import ARCHS, LIKELIHOODS
from vae.run import RunError

st.title("Train")
runs = all_runs()

with st.expander("Start a new run", expanded=not runs), st.form("new_run"):
    d, h = train_form.DEFAULTS, train_form.HELP
    c1, c2, c3, c4 = st.columns(4)
    values = {
        "dataset": c1.selectbox("Dataset", list(DATASETS), format_func=lambda k: DATASETS[k].title,
                                help="\n\n".join(f"**{i.title}**: {i.description}"
                                                 for i in DATASETS.values())),
        "data_dir": c1.text_input("Data folder or file", d["data_dir"], help=h["data_dir"]),
        "image_size": c1.number_input("Image size (your images)", min_value=4,
                                      max_value=MAX_IMAGE_SIZE, value=None,
                                      placeholder="as they are", help=h["image_size"]),
        "arch": c2.selectbox("Architecture", ARCHS),
        "hidden": c2.text_input("Hidden sizes", d["hidden"], help=h["hidden"]),
        "latent_dim": c2.number_input("Latent dim", value=d["latent_dim"], help=h["latent_dim"]),
        "likelihood": c3.selectbox("Likelihood p(x|z)", LIKELIHOODS),
        "beta": c3.number_input("Beta (KL weight; 0 = autoencoder)", value=d["beta"], step=0.5,
                                help=h["beta"]),
        "kl_warmup": c3.number_input("KL warm-up epochs", value=d["kl_warmup"]),
        "epochs": c4.number_input("Epochs", value=d["epochs"], help=h["epochs"]),
        "batch_size": c4.number_input("Batch size", value=d["batch_size"], help=h["batch_size"]),
        "lr": c4.number_input("Learning rate", value=d["lr"], format="%.4f", step=1e-4,
                              help=h["lr"]),
    }
    c5, c6, c7, c8 = st.columns(4)
    values["seed"] = c5.number_input("Seed", value=d["seed"], help=h["seed"])
    values["device"] = c6.selectbox("Device", ("auto", "cpu", "cuda", "mps"))
    values["log_every"] = c7.number_input("Log every (steps)", value=d["log_every"])
    values["snapshot_every"] = c8.number_input("Snapshot every (epochs)", value=d["snapshot_every"])
    c9, c10, _, _ = st.columns(4)
    values["precision"] = c9.selectbox("Precision", ("fp32", "auto", "bf16"), help=h["precision"])
    processes = 1
    if max_processes() > 1:
        processes = c10.number_input("Processes", 1, max_processes(), 1, help=h["processes"])
    values["name"] = st.text_input("Run name (optional)", placeholder="chosen for you if empty")
    upload = st.file_uploader(
        "Or upload your images as a .zip (one folder per class)", type=["zip"],
        max_upload_size=MAX_IMAGE_ZIP_BYTES // MB,
        help=train_form.upload_help(MAX_IMAGE_ZIP_BYTES // MB, MIN_PER_CLASS))
    submitted = st.form_submit_button("Start training", type="primary")
    feedback = st.container()  # why a run did not start, in words, right under the button

if submitted and upload is not None:  # unpacked and checked first; a refusal leaves nothing
    try:
        values["dataset"] = "folder"
        values["data_dir"] = str(import_image_zip(upload.getvalue(), images_root(runs_root()),
                                                  source=upload.name,
                                                  image_size=values["image_size"]))
    except (ArchiveError, DatasetError) as exc:
        feedback.error(f"**{upload.name}** was not used: {exc}")
        submitted = False
if submitted:
    options, problems = train_form.validate(values, {r.name for r in runs})
    if problems:
        feedback.error("The run was not started:\n\n" + "\n".join(f"- {p}" for p in problems))
    else:
        name = options.pop("name")
        try:
            start_training(runs_root(), name, options, processes=int(processes))  # at once
        except RunError as exc:
            feedback.error(f"The trainer refused to start: {exc}")
        else:
            st.session_state["_train_notes"] = train_form.notes(values)
            set_active_run(name)
            st.rerun()
for note in st.session_state.pop("_train_notes", []):
    st.info(note)

if not runs and not pending_launches(runs_root()):
    st.info("No runs yet. Fill in the form above and press **Start training**; the run trains in "
            "its own process and this page follows it live.")
    st.stop()

live_runs_table(runs, with_pending=True)

run = active_run()
st.subheader(f"Run {run.name}")
st.caption("Pick another run in the sidebar. Curves refresh every second while it trains; "
           "closing the tab or restarting the dashboard does not stop it.")


def stale_state(run, why: str) -> None:
    left, right = st.columns([5, 1])
    left.caption(why)
    if right.button("Mark stopped", key="mark_stopped",
                    help="Rewrite status.json as stopped. Nothing is signalled."):
        try:
            run.mark_stopped()
        except RunError as exc:
            st.error(str(exc))
        else:
            st.rerun()


def live(run) -> None:
    status = run_status(run)
    if status.get("state") == "failed" and launch_status(run) is not None:
        st.error(f"The trainer for {run.name} did not start: {status.get('message')}")
        if not run.path.exists():  # nothing else to show: a launch that never made its folder
            if st.button("Dismiss", key="dismiss_launch"):
                forget_launch(run)
                st.session_state.pop("active_run", None)
                st.query_params.pop("run", None)
                st.rerun(scope="app")
            return
        status = run.read_status()  # a failed resume: the run is as it was
    state = status.get("state", "new")
    rows = run.read_metrics() if run.path.exists() else []
    done = epochs_done(rows)
    if state in ("running", "starting"):  # a trainer holds the run's lock
        progress = progress_summary(status, done)
        left, right = st.columns([5, 1])
        if state == "running":
            left.progress(progress["fraction"], text=progress["text"])
        else:
            left.info(status.get("message") or f"The trainer (pid {status.get('pid')}) is "
                      "loading the data and building the model…", icon=":material/hourglass_top:")
        if right.button("Stop", type="primary", key="stop"):
            pid = stop_training(run)
            st.toast(f"Asked {run.name} to stop" + (f" (SIGTERM to its trainer, pid {pid})."
                                                    if pid else "."))
    elif state in ("stopped", "interrupted"):
        left, right = st.columns([5, 1])
        left.warning(train_form.stopped_words(run.name, state,
                                              epoch_words(state, done, status.get("epochs")),
                                              run.weights_file.exists()))
        if right.button("Resume", key="resume"):
            try:
                resume_training(run)
            except RunError as exc:
                st.error(f"Could not resume: {exc}")  # shown, not lost to a rerun
            else:
                st.rerun()
        if state == "interrupted":
            stale_state(run, train_form.stale_words(status.get("stale_pid")))
    elif state == "damaged":
        st.error(f"The status of {run.name} cannot be read: {status.get('problem')}")
        stale_state(run, "Marking it stopped rewrites status.json; its weights and metrics stay.")
    elif state == "failed":
        st.error(f"Training failed: {status.get('message')}")
    elif state == "finished":
        st.success(status.get("message") or "Finished.")

    if rows:
        st.plotly_chart(loss_curves_figure(rows), key="curves", theme="streamlit")
    elif no_curves_note(run):
        st.info(no_curves_note(run))
    else:
        st.caption("Waiting for the first logged step…")
    if run.weights_file.exists():
        try:
            enc = encode_test_set(run)
            data = run_dataset(run)
        except (RunError, DatasetError) as exc:
            st.warning(f"The posterior cannot be drawn: {exc}")
        else:
            st.plotly_chart(cached_posterior_figure(run, ellipses="sample"), key="posterior",
                            theme="streamlit")
            st.caption("Posterior means of the test set." if no_curves_note(run) else
                       f"Posterior means of the test set after epoch {done}, the last finished "
                       "one; redrawn after each epoch.")
    if st.session_state.get("_live_state", {}).get(run.name) not in (None, state):
        st.session_state["_live_state"][run.name] = state
        st.rerun()  # the run's state changed: redraw the whole page (buttons, refresh rate)
    st.session_state.setdefault("_live_state", {})[run.name] = state


running = run_status(run).get("state") in ("running", "starting")
st.fragment(live, run_every=1.0 if running else None)(run)
