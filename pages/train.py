"""Train: start a run as its own process, watch it live, stop or resume it."""
import streamlit as st

from ui import train_form
from ui.curves import epoch_words, epochs_done, loss_curves_figure, progress_summary
from ui.imported import no_curves_note
from ui.resources import (active_run, all_runs, cached_posterior_figure, encode_test_set,
                          live_runs_table, run_dataset, run_status, runs_root, set_active_run)
from vae.archive import MAX_IMAGE_ZIP_BYTES, MB, ArchiveError, images_root, import_image_zip
from vae.data import DATASETS, MAX_IMAGE_SIZE, MIN_PER_CLASS, DatasetError
from vae.launch import (forget_launch, launch_status, max_processes, pending_launches,
                        resume_training, start_training, stop_training)
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
        "data_dir": c1.text_input("Data folder or file", d["data_dir"],
                                  help="Your images: a folder with one sub-folder of images per "
                                       "class, or an .npz file (x, optional y). MNIST: your IDX "
                                       ".gz files or mnist.npz. Fashion-MNIST: a copy outside "
                                       "/usr/share/datasets. Empty for the others."),
        "image_size": c1.number_input("Image size (your images)", min_value=4,
                                      max_value=MAX_IMAGE_SIZE, value=None,
                                      placeholder="as they are",
                                      help="Resize every image to N x N; needed when their sizes "
                                           "differ."),
        "arch": c2.selectbox("Architecture", ARCHS),
        "hidden": c2.text_input("Hidden sizes", d["hidden"],
                                help="Comma-separated MLP widths (e.g. 512,256) or two conv "
                                     "channel counts (e.g. 32,64)."),
        "latent_dim": c2.number_input("Latent dim", value=d["latent_dim"], help="1 to 64"),
        "likelihood": c3.selectbox("Likelihood p(x|z)", LIKELIHOODS),
        "beta": c3.number_input("Beta (KL weight; 0 = autoencoder)", value=d["beta"], step=0.5,
                                help="0 to 1000"),
        "kl_warmup": c3.number_input("KL warm-up epochs", value=d["kl_warmup"]),
        "epochs": c4.number_input("Epochs", value=d["epochs"], help="1 to 10,000"),
        "batch_size": c4.number_input("Batch size", value=d["batch_size"], help="1 to 65,536"),
        "lr": c4.number_input("Learning rate", value=d["lr"], format="%.4f", step=1e-4,
                              help="above 0, at most 1"),
    }
    c5, c6, c7, c8 = st.columns(4)
    values["seed"] = c5.number_input("Seed", value=d["seed"], help="0 to 4,294,967,295")
    values["device"] = c6.selectbox("Device", ("auto", "cpu", "cuda", "mps"))
    values["log_every"] = c7.number_input("Log every (steps)", value=d["log_every"])
    values["snapshot_every"] = c8.number_input("Snapshot every (epochs)", value=d["snapshot_every"])
    c9, c10, _, _ = st.columns(4)
    values["precision"] = c9.selectbox(
        "Precision", ("fp32", "auto", "bf16"),
        help="bf16 autocast for the network's products; auto picks it where the hardware has bf16 "
             "(CUDA, CPUs with AVX512-BF16 or AMX). The reported ELBO is fp32 either way.")
    processes = 1
    if max_processes() > 1:
        processes = c10.number_input(
            "Processes", 1, max_processes(), 1,
            help="Train on this many processes with torchrun (DDP: one per core, or per GPU). "
                 "The batch size stays the whole batch, split between them.")
    values["name"] = st.text_input("Run name (optional)", placeholder="chosen for you if empty")
    upload = st.file_uploader(
        "Or upload your images as a .zip (one folder per class)", type=["zip"],
        max_upload_size=MAX_IMAGE_ZIP_BYTES // MB,
        help=f"At most {MAX_IMAGE_ZIP_BYTES // MB} MB. Trains with the dataset 'Your images (a "
             "folder)'. Every file is checked before anything is kept: images only, one size "
             "(or an image size above), two classes or more, at least "
             f"{MIN_PER_CLASS} images each.")
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
        word = "was interrupted (no trainer runs it)" if state == "interrupted" else "is stopped"
        where = ("it can be resumed from its last saved state." if run.weights_file.exists() else
                 "no epoch had finished, so Resume starts it again from epoch 1 with its settings.")
        left, right = st.columns([5, 1])
        left.warning(f"{run.name} {word} with {epoch_words(state, done, status.get('epochs'))}"
                     "; " + where)
        if right.button("Resume", key="resume"):
            try:
                resume_training(run)
            except RunError as exc:
                st.error(f"Could not resume: {exc}")  # shown, not lost to a rerun
            else:
                st.rerun()
        if state == "interrupted":
            pid = status.get("stale_pid")
            stale_state(run, "Its status.json still says running" + (f" (pid {pid})" if pid else "")
                        + ", but no trainer holds the run's lock, so that state is stale: "
                          "nothing will be signalled.")
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
