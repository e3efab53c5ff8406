"""Replay a run: one epoch cursor moves the curves, posterior, reconstructions and prior samples."""
import numpy as np
import streamlit as st

from ui.cache.posterior import shared_plane
from ui.cache.runs import active_run, encode_test_set, load_model, require_model, run_dataset
from ui.components.z_cloud import loss_curves, z_cloud
from ui.figures import explain as figs
from ui.figures.curves import replay_curves_view
from ui.figures.images import for_display
from ui.forms.imported import no_curves_note
from ui.forms.text import plain
from ui.forms.glossary import words_caption
from vae import betas as vb
from vae import explain as ex
from vae.run import RunError

N_POINTS = 2000  # posterior points per frame: enough to see the classes, quick to encode
FRAME_S = {"slow": 2.0, "normal": 1.2, "fast": 0.7}

run = active_run()
st.title("Replay a run")
st.caption(words_caption(["elbo", "kl", "nats", "q", "active"]))
require_model(run)
epochs = run.snapshot_epochs()
if not epochs and no_curves_note(run):
    st.info(no_curves_note(run, " and no epochs to replay"))
    st.stop()
if not epochs:
    st.info(f"Run **{plain(run.name)}** kept no per-epoch snapshots, so there is nothing to replay. "
            "The trainer writes one every `--snapshot-every` epochs (1 by default); runs trained "
            "that way replay here.")
    st.stop()
data = run_dataset(run)
curves = vb.epoch_curves(run.read_metrics())
rows = {r["epoch"]: r for r in run.read_metrics() if r.get("kind") == "epoch"}
D = run.read_config()[0].latent_dim
if len(epochs) == 1:  # a run that kept its last weights only (the shipped β family)
    st.info(f"Run **{plain(run.name)}** kept one snapshot, of epoch {epochs[0]}: the trained "
            "model below, with its curves, but nothing to replay. The trainer keeps one every "
            "`--snapshot-every` epochs; a run trained with `--snapshot-every 1` replays here "
            "epoch by epoch.", icon=":material/info:")
else:
    st.caption(f"Run **{plain(run.name)}**: {len(epochs)} snapshots (epochs {epochs[0]} to "
               f"{epochs[-1]}). It opens on the last epoch, the trained model. Press Play to "
               f"watch it learn from epoch {epochs[0]}, or move the epoch slider: the curves' "
               "cursor, the posterior, the reconstructions and the prior samples all show the "
               "model as it was after that epoch.")

if (st.session_state.get("replay_for") != run.name
        or st.session_state.get("replay_epoch") not in epochs):
    st.session_state["replay_for"] = run.name
    st.session_state["replay_epoch"] = epochs[-1]  # open on the trained model; Play starts over
    st.session_state["replay_play"] = False

try:
    final = encode_test_set(run, epochs[-1], max_points=N_POINTS)
    first = encode_test_set(run, epochs[0], max_points=N_POINTS)
except RunError as exc:  # a corrupt snapshot copied in with the run
    st.error(f"Run **{plain(run.name)}** cannot be replayed: {plain(exc)}")
    st.stop()
last_kl = rows.get(epochs[-1], {}).get("test/kl_per_dim") or np.ones(D)
dims, half = shared_plane([first["mu"], final["mu"]], last_kl)
per_class = -(-10 // max(1, len(data.class_names)))  # ten images, however few the classes
shown = np.array([i for c in range(len(data.class_names))
                  for i in np.flatnonzero(data.test_y == c)[:per_class]])[:10]
z_prior = ex.draw_eps(16, D, seed=0)


def _play() -> None:
    if st.session_state["replay_epoch"] == epochs[-1]:
        st.session_state["replay_epoch"] = epochs[0]  # Play at the end starts over
    st.session_state["replay_play"] = True
    st.session_state["replay_first_frame"] = True  # the click's own run shows where Play starts


def _pause() -> None:
    st.session_state["replay_play"] = False


playing = st.session_state["replay_play"]
b1, b2, _ = st.columns([1, 1.4, 3], vertical_alignment="bottom")
if playing:
    b1.button("Pause", icon=":material/pause:", on_click=_pause, use_container_width=True,
              key="replay_pause")
else:
    b1.button("Play", icon=":material/play_arrow:", type="primary", on_click=_play,
              use_container_width=True, key="replay_play_button", disabled=len(epochs) < 2)
speed = b2.segmented_control("Speed", list(FRAME_S), default="normal", key="replay_speed")


@st.fragment(run_every=FRAME_S[speed or "normal"] if playing else None)
def replay_view() -> None:
    if st.session_state.pop("replay_first_frame", False):
        pass  # the epoch Play starts from is drawn; the timer's frames move on from it
    elif st.session_state["replay_play"]:
        i = epochs.index(st.session_state["replay_epoch"])
        if i + 1 < len(epochs):
            st.session_state["replay_epoch"] = epochs[i + 1]
        else:
            st.session_state["replay_play"] = False
            st.rerun(scope="app")  # the end: drop the timer, show Play again
    epoch = st.select_slider("Epoch", epochs, key="replay_epoch")
    try:
        model = load_model(run, epoch)
        enc = encode_test_set(run, epoch, max_points=N_POINTS)
    except RunError as exc:  # a corrupt snapshot copied in with the run
        st.error(f"The snapshot of epoch {epoch} cannot be opened: {plain(exc)}")
        return
    row = rows.get(epoch, {})
    m = st.columns(4)
    m[0].metric("test -ELBO (nats)", f"{row['test/neg_elbo']:.1f}" if row else "not logged")
    m[1].metric("reconstruction", f"{row['test/recon']:.1f}" if row else "not logged")
    m[2].metric("KL", f"{row['test/kl']:.2f}" if row else "not logged")
    m[3].metric("active units",
                f"{row.get('test/active_units', '?')} of {D}" if row else "not logged")
    left, right = st.columns([1, 1])
    with left:
        if len(curves["epoch"]):
            title = f"Test curves by epoch (the dashed line: epoch {epoch})"
            loss_curves(replay_curves_view(curves["epoch"], curves["recon"], curves["kl"],
                                           curves["neg_elbo"], epoch, title=title),
                        key="replay_curves", run_name=run.name, figure="curves-at-epoch")
        else:
            st.info("This run logged no test epochs, so there are no curves to draw.")
    with right:
        if D >= 2:
            # drawn in place from numbers: each epoch (a slider move, a Play frame) moves the
            # codes, where a Plotly chart would be mounted anew
            z_cloud(figs.codes_view(enc["mu"], enc["labels"], data.class_names, dims=dims,
                                    index=enc["index"], x_range=(-half, half),
                                    y_range=(-half, half),
                                    title=f"Posterior means at epoch {epoch}"),
                    key="replay_scatter", run_name=run.name, figure="latent-at-epoch")
        else:
            st.info("A 1-D latent has no plane to draw; the reconstructions below still replay.")
    r1, r2 = st.columns(2)
    with r1:
        st.markdown(f"**Reconstructions at epoch {epoch}**: each test image above its "
                    "decode(mu)")
        x = data.test_x[shown]
        recon = ex.reconstruct_mean(model, x)
        half_n = max(1, len(x) // 2)  # two bands of originals over reconstructions
        x = for_display(x)  # greyscale (N, H, W) like recon; colour stays (N, 3, H, W)
        bands = [x[:half_n], recon[:half_n], x[half_n:2 * half_n], recon[half_n:2 * half_n]]
        st.image(figs.image_row_png(np.concatenate(bands), ncols=half_n, target_width=520),
                 output_format="PNG")
    with r2:
        st.markdown(f"**Prior samples at epoch {epoch}**: the same 16 z ~ N(0, I) every epoch")
        st.image(figs.image_row_png(ex.decode_images(model, z_prior), ncols=8, target_width=520),
                 output_format="PNG")


replay_view()
