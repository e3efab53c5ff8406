"""The Train page's sections, drawn with st.* calls: the new-run form and its start, and the active
run followed live (progress, Stop, Resume, curves, posterior). The form's checks and words live in
ui.forms.train; starting, stopping and resuming trainers in vae.launch.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st

from ui.cache.runs import (encode_test_set, is_training, run_dataset, run_status, runs_root,
                           set_active_run, summary_of, weights_mtime)
from ui.components.z_cloud import loss_curves, z_cloud
from ui.figures.curves import curves_view, epoch_words, epochs_done, progress_summary
from ui.figures.latent import posterior_view
from ui.forms import train as train_form
from ui.forms.imported import no_curves_note
from ui.forms.text import plain
from ui.forms.uploads import release_upload, upload_key
from vae import launch  # by module: tests stand in for max_processes there
from vae.archive import MAX_IMAGE_ZIP_BYTES, MB, ArchiveError, images_root, import_image_zip
from vae.data import DATASETS, MAX_IMAGE_SIZE, MIN_PER_CLASS, DatasetError
from vae.losses import dims_by_kl
from vae.model_config import ARCHS, LIKELIHOODS
from vae.run import RunDir, RunError

IMAGES_ZIP = "train_images_zip"  # the uploader of a .zip of your images

NOTES_KEY = "_train_notes"  # what a started run's form said, shown after the rerun


@dataclass
class NewRun:
    """What the form holds when it is submitted."""
    values: dict
    upload: object  # streamlit's UploadedFile, or None
    processes: int
    submitted: bool
    feedback: object  # the container under the button, for why a run did not start


FORM_OPEN = "train_new_run"  # the expander's key: whether the form is open
FORM_DEFAULT = "_train_new_run_default"  # open at first: whether there were no runs then


def new_run_form(runs: list[RunDir]) -> NewRun:
    """The "Start a new run" form, open while there are no runs. Its 19 fields are drawn only
    while it is open (the expander reruns the page when opened or closed): a visit to follow a
    run does not draw them hidden (bench/README.md)."""
    # open at first while there are no runs; that default is kept for the session, as part of
    # the expander's identity: a first run appearing would otherwise make it a new expander,
    # closed, and drop what was typed (or a submission in flight)
    first = st.session_state.setdefault(FORM_DEFAULT, not runs)
    box = st.expander("Start a new run", expanded=first, key=FORM_OPEN, on_change="rerun")
    if not box.open:
        return NewRun({}, None, 1, False, None)
    with box, st.form("new_run"):
        d, h = train_form.DEFAULTS, train_form.HELP
        c1, c2, c3, c4 = st.columns(4)
        values = {
            "dataset": c1.selectbox("Dataset", list(DATASETS),
                                    format_func=lambda k: DATASETS[k].title,
                                    help="\n\n".join(f"**{i.title}**: {i.description}"
                                                     for i in DATASETS.values())),
            "data_dir": c1.text_input("Data folder or file", d["data_dir"], help=h["data_dir"]),
            "image_size": c1.number_input("Image size (your images)", min_value=4,
                                          max_value=MAX_IMAGE_SIZE, value=None,
                                          placeholder="as they are", help=h["image_size"]),
            "arch": c2.selectbox("Architecture", ARCHS),
            "hidden": c2.text_input("Hidden sizes", d["hidden"], help=h["hidden"]),
            "latent_dim": c2.text_input("Latent dim", str(d["latent_dim"]),
                                        help=h["latent_dim"]),
            "likelihood": c3.selectbox("Likelihood p(x|z)", LIKELIHOODS),
            "beta": c3.number_input("Beta (KL weight; 0 = autoencoder)", value=d["beta"],
                                    step=0.5, help=h["beta"]),
            "kl_warmup": c3.number_input("KL warm-up epochs", value=d["kl_warmup"]),
            "epochs": c4.text_input("Epochs", str(d["epochs"]), help=h["epochs"]),
            "batch_size": c4.text_input("Batch size", str(d["batch_size"]), help=h["batch_size"]),
            "lr": c4.number_input("Learning rate", value=d["lr"], format="%.4f", step=1e-4,
                                  help=h["lr"]),
        }
        c5, c6, c7, c8 = st.columns(4)
        values["seed"] = c5.number_input("Seed", value=d["seed"], help=h["seed"])
        values["device"] = c6.selectbox("Device", ("auto", "cpu", "cuda", "mps"))
        values["log_every"] = c7.number_input("Log every (steps)", value=d["log_every"])
        values["snapshot_every"] = c8.number_input("Snapshot every (epochs)",
                                                   value=d["snapshot_every"])
        c9, c10, _, _ = st.columns(4)
        values["precision"] = c9.selectbox("Precision", ("fp32", "auto", "bf16"),
                                           help=h["precision"])
        processes = 1
        if launch.max_processes() > 1:
            processes = c10.number_input("Processes", 1, launch.max_processes(), 1,
                                         help=h["processes"])
        values["name"] = st.text_input("Run name (optional)",
                                       placeholder="chosen for you if empty")
        upload = st.file_uploader(
            "Or upload your images as a .zip (one folder per class)", type=["zip"],
            max_upload_size=MAX_IMAGE_ZIP_BYTES // MB, key=upload_key(IMAGES_ZIP),
            help=train_form.upload_help(MAX_IMAGE_ZIP_BYTES // MB, MIN_PER_CLASS))
        submitted = st.form_submit_button("Start training", type="primary")
        feedback = st.container()  # why a run did not start, in words, right under the button
    return NewRun(values, upload, int(processes), submitted, feedback)


def start_run(form: NewRun, runs: list[RunDir]) -> None:
    """Start the submitted run (an uploaded zip unpacked and checked first), or say in the form
    why not. A started run becomes the active one."""
    values, upload, feedback, submitted = form.values, form.upload, form.feedback, form.submitted
    if submitted and upload is not None:  # unpacked and checked first; a refusal leaves nothing
        try:
            values["dataset"] = "folder"
            values["data_dir"] = str(import_image_zip(upload.getvalue(), images_root(runs_root()),
                                                      source=upload.name,
                                                      image_size=values["image_size"]))
        except (ArchiveError, DatasetError) as exc:
            feedback.error(f"**{plain(upload.name)}** was not used: {plain(exc)}")
            submitted = False
        finally:  # unpacked or refused, its bytes are not kept in the server's memory
            release_upload(IMAGES_ZIP)
    if not submitted:
        return
    options, problems = train_form.validate(values, {r.name for r in runs})
    if problems:
        feedback.error(train_form.not_started_words(problems))
        return
    name = options.pop("name")
    try:
        launch.start_training(runs_root(), name, options, processes=form.processes)  # at once
    except RunError as exc:
        feedback.error(f"The trainer refused to start: {plain(exc)}")
    else:
        st.session_state[NOTES_KEY] = train_form.notes(values)
        set_active_run(name)
        st.rerun()


POSTERIOR_KEY = "_train_posterior"  # the live posterior this session shows: key, when, figure


def follow(run: RunDir) -> None:
    """The active run, live: redrawn every second while a trainer holds it."""
    st.fragment(live, run_every=1.0 if is_training(run) else None)(run)


def stale_state(run: RunDir, why: str) -> None:
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


def live(run: RunDir) -> None:
    status = run_status(run)
    if status.get("state") == "failed" and launch.launch_status(run) is not None:
        st.error(f"The trainer for {run.name} did not start: {plain(status.get('message'))}")
        if not run.path.exists():  # nothing else to show: a launch that never made its folder
            if st.button("Dismiss", key="dismiss_launch"):
                launch.forget_launch(run)
                st.session_state.pop("active_run", None)
                st.query_params.pop("run", None)
                st.rerun(scope="app")
            return
        status = run.read_status()  # a failed resume: the run is as it was
    state = status.get("state", "new")
    seen = st.session_state.setdefault("_live_state", {})
    changed = seen.get(run.name) not in (None, state)
    seen[run.name] = state
    if changed:
        # The run's state changed: redraw the whole page (its buttons, the refresh rate), before
        # this fragment run draws anything. A button drawn now would belong to this fragment run,
        # which the page's rerun replaces: a click on it in between reached a fragment the server
        # no longer had, and was lost ("Couldn't find fragment"; a Resume under load).
        st.rerun()
    rows = run.read_metrics() if run.path.exists() else []
    done = epochs_done(rows)
    _state_controls(run, status, state, done)
    if rows:
        try:
            beta = run.read_config()[0].beta
        except RunError:
            beta = None
        title = (f"{run.name}: during training (β = 0: the loss was the reconstruction alone; "
                 "KL and −ELBO are measured)" if beta == 0 else
                 f"{run.name}: loss during training")
        loss_curves(curves_view(rows, title=title), key="curves", run_name=run.name)
    elif no_curves_note(run):
        st.info(no_curves_note(run))
    else:
        st.caption("Waiting for the first logged step…")
    if run.weights_file.exists():
        _posterior(run, state, done)


def _posterior(run: RunDir, state: str, done: int) -> None:
    """The run's posterior by class and its caption. While the run trains, the figure this session
    last drew is shown again (the same chart: the browser keeps it) until train_form.posterior_due
    says to draw the new weights'."""
    training = state in ("running", "starting")
    # the caption's words depend on `training`: a run that ends is drawn again at once
    current, now = (run.name, weights_mtime(run), done, training), time.monotonic()
    shown = st.session_state.get(POSTERIOR_KEY)
    if shown is None or train_form.posterior_due(shown["key"], shown["at"], current, now,
                                                 training):
        try:
            enc = encode_test_set(run)
            names = run_dataset(run).class_names
        except (RunError, DatasetError) as exc:
            st.warning(f"The posterior cannot be drawn: {plain(exc)}")
            return
        # the two dims that carry the most KL, as Latent space opens (z0 and z1 of a 16-D run can
        # be inactive: every code on one line)
        d = enc["mu"].shape[1]
        dims = (0, 1) if d == 2 else tuple(dims_by_kl(
            summary_of(enc).kl_per_dim)[:2]) if d > 2 else (0, 0)
        n = len(enc["mu"])
        shown = {"key": current, "at": now,
                 "view": posterior_view(enc["mu"], enc["std"], enc["labels"],
                                        names, dims=dims,
                                        index=enc["index"],
                                        title=f"{run.name}: q(z|x) of {n:,} test images"),
                 "caption": train_form.posterior_caption(bool(no_curves_note(run)), done,
                                                         training)}
        st.session_state[POSTERIOR_KEY] = shown
    # drawn from numbers: new weights redraw the same element, where a Plotly chart was mounted
    # anew (bench/README.md)
    z_cloud(shown["view"], key="posterior", run_name=run.name, figure="latent")
    st.caption(shown["caption"])


def _state_controls(run: RunDir, status: dict, state: str, done: int) -> None:
    """The run's state in words, with the button that acts on it (Stop, Resume, Mark stopped)."""
    if state == "ending":  # the trainer has written how the run ended and is exiting
        st.info(plain(train_form.ending_words(status.get("message"), status.get("ended"))),
                icon=":material/hourglass_bottom:")
    elif state in ("running", "starting"):  # a trainer holds the run's lock
        progress = progress_summary(status, done)
        left, right = st.columns([5, 1])
        if state == "running":
            left.progress(progress["fraction"], text=progress["text"])
        else:
            words = (plain(train_form.status_words(status["message"])) if status.get("message") else
                     f"The trainer (pid {status.get('pid')}) is loading the data and building the "
                     "model…")
            left.info(words, icon=":material/hourglass_top:")
        if right.button("Stop", type="primary", key="stop"):
            st.toast(train_form.stop_words(run.name, launch.stop_training(run)))
    elif state in ("stopped", "interrupted"):
        left, right = st.columns([5, 1])
        left.warning(train_form.stopped_words(run.name, state,
                                              epoch_words(state, done, status.get("epochs")),
                                              run.weights_file.exists()))
        if right.button("Resume", key="resume"):
            try:
                launch.resume_training(run)
            except RunError as exc:
                st.error(f"Could not resume: {plain(exc)}")  # shown, not lost to a rerun
            else:
                st.rerun()
        if state == "interrupted":
            stale_state(run, train_form.stale_words(status.get("stale_pid")))
    elif state == "damaged":
        st.error(f"The status of {run.name} cannot be read: {plain(status.get('problem'))}")
        stale_state(run, "Marking it stopped rewrites status.json; its weights and metrics stay.")
    elif state == "failed":
        st.error(f"Training failed: {plain(status.get('message'))}")
    elif state == "finished":
        st.success(plain(train_form.status_words(status.get("message") or "Finished.")))
