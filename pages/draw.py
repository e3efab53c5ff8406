"""Draw a digit (or upload a picture) and watch the encoder place it: mu and sigma are computed in
your browser on every frame of the stroke, over the test set's posterior means."""
import numpy as np
import streamlit as st

from ui.cache.runs import active_run, encode_test_set, require_model, run_dataset, summary_of
from ui.components.decoder import runs_in_browser
from ui.components.draw import draw_input, drawn_input, drawn_source, set_drawn_input
from ui.figures.images import png_bytes
from ui.forms.draw import DIGIT_DATASETS, draw_title
from ui.forms.text import plain
from ui.forms.glossary import words_caption
from vae import explain as ex
from vae.image_input import MAX_BYTES, ImageInputError, convert_upload, frame_ink, framing_for
from vae.losses import dims_by_kl

run = active_run()
model = require_model(run)
data = run_dataset(run)
_, train_cfg = run.read_config()
digits = train_cfg.dataset in DIGIT_DATASETS
st.title(draw_title(train_cfg.dataset))
st.caption(words_caption(["mu-sigma", "q", "kl", "eps", "nats"]))
codes = encode_test_set(run)
summary = summary_of(codes)
shape = tuple(model.config.image_shape)
D = model.config.latent_dim
try:
    framing = framing_for(train_cfg.dataset, shape)
except ImageInputError as exc:
    st.info(f"Run **{plain(run.name)}** cannot take a drawing: {plain(exc)}.")
    st.stop()
if shape[0] != 1:
    st.info(f"Run **{plain(run.name)}** takes colour images; the canvas draws in grey only.")
    st.stop()

what = "a digit" if digits else (
    "a piece of clothing (a silhouette: trousers, a bag, a shoe)"
    if train_cfg.dataset == "fashion-mnist" else "an input")
top = dims_by_kl(summary.kl_per_dim)
pad_dims = (top[0], top[1]) if D > 1 else (0, 0)
if runs_in_browser(model):
    st.caption(f"Draw {what} in the black square, or upload a picture. The encoder of run "
               f"**{plain(run.name)}** runs in your browser: on every frame of your stroke it maps "
               f"the {shape[1]}×{shape[2]} pixels to μ and σ, and the Gaussian q(z|x) = N(μ, σ²) "
               "moves over the test set while you draw. Nothing random happens in that step; the "
               "randomness is ε in the decodes of z = μ + σ·ε.")
    draw_input(model, key=f"draw::{run.name}", kl_per_dim=summary.kl_per_dim, pad_dims=pad_dims,
               scatter={"mu": codes["mu"], "labels": codes["labels"],
                        "class_names": data.class_names},
               guide=(framing.box, framing.centre))
    if D > 2:
        st.caption(f"The pad shows z{pad_dims[0]} and z{pad_dims[1]}, the two dims with the most "
                   "KL on the test set; the bars under the readout show "
                   + ("every dim's" if D <= 16 else "the 16 dims with the most KL:")
                   + " μ ± 2σ against the prior's ±2 (grey).")
else:
    st.info(f"Run **{plain(run.name)}** runs its own Python code (imported with `--module`), "
            "which the browser cannot run, so there is no canvas. Upload a picture of "
            f"{what}: its encoder reads it on the server.", icon=":material/upload:")


def _centre() -> None:
    x = drawn_input(shape)
    if x is None:
        return
    try:
        framed, steps = frame_ink(x[0], framing)
    except ImageInputError as exc:
        st.session_state["draw_message"] = ("warning", plain(exc))
        return
    set_drawn_input(framed[None], "your drawing, centred")
    st.session_state["draw_message"] = ("info", "Centred the way the dataset was: "
                                        + "; ".join(steps) + ".")


def _upload() -> None:
    file = st.session_state.get("draw_upload")
    st.session_state.pop("draw_upload_result", None)
    if file is None:
        return
    try:
        converted = convert_upload(file.getvalue(), framing)
    except ImageInputError as exc:
        st.session_state["draw_message"] = ("error", f"{plain(file.name)}: {plain(exc)}.")
        return
    set_drawn_input(converted.x, file.name)
    st.session_state["draw_upload_result"] = {"name": file.name, "steps": converted.steps,
                                              "original": converted.original}
    st.session_state["draw_message"] = None


left, right = st.columns([1, 1.3], gap="large")
with left:
    if runs_in_browser(model):  # a canvas to centre, and the upload an alternative to it
        st.button("Centre it like the dataset", key="draw_centre", on_click=_centre,
                  disabled=drawn_input(shape) is None,
                  help=f"Apply {framing.description} to your drawing.")
    st.file_uploader(("Or upload" if runs_in_browser(model) else "Upload")
                     + " a picture (PNG or JPEG, any size)", type=["png", "jpg", "jpeg"],
                     key="draw_upload", on_change=_upload, max_upload_size=MAX_BYTES // 2**20,
                     help="Converted the way the dataset's images were made: see the steps.")
    message = st.session_state.get("draw_message")
    if message:
        getattr(st, message[0])(message[1])
    result = st.session_state.get("draw_upload_result")
    x = drawn_input(shape)
    if result and x is not None and drawn_source() == result["name"]:
        st.markdown(f"**{plain(result['name'])}**, converted for the model:")
        original = result["original"]
        scale = max(1, 112 // max(original.shape))
        c1, c2 = st.columns(2)
        c1.image(png_bytes(original, scale=scale), caption="as uploaded (grey)", width=112,
                 output_format="PNG")
        c2.image(png_bytes(x[0], scale=max(1, 112 // shape[1])),
                 caption=f"{shape[1]}×{shape[2]}, what the encoder reads", width=112,
                 output_format="PNG")
        st.markdown("\n".join(f"{i}. {s}" for i, s in enumerate(result["steps"], 1)))

with right:
    x = drawn_input(shape)
    if x is None and not runs_in_browser(model):
        st.markdown("**Nothing uploaded yet.** Once you upload a picture, its μ, σ and KL show "
                    "here, and it is kept for the other pages too.")
    elif x is None:
        st.markdown("**Nothing drawn yet.** The numbers and decodes above are the encoder's "
                    "answer for the blank black square; draw in it and they follow your stroke. "
                    "When you lift the pen, the drawing is kept for the other pages too.")
    else:
        mu, sigma = ex.encode_one(model, x)
        kl_per_dim = ex.posterior_kl(model, x)
        kl = float(kl_per_dim.sum())
        st.markdown(f"Encoded again in Python by torch, **{plain(drawn_source())}** has "
                    f"KL(q(z|x) ‖ N(0, I)) = **{kl:.2f} nats**.")
        browser = st.session_state.get("draw_browser_posterior")
        if browser is not None and np.array_equal(browser["x"], x) and \
                browser["mu"].shape == mu.shape:
            diff = float(max(np.abs(browser["mu"] - mu).max(),
                             np.abs(browser["sigma"] - sigma).max()))
            st.caption(f"The browser's μ and σ of the same pixels differ from torch's by at most "
                       f"{diff:.1e}: one encoder, run in two places.")
        shown = dims_by_kl(summary.kl_per_dim)[:8]
        st.dataframe({"dim": [f"z{d}" for d in shown], "μ": mu[shown], "σ": sigma[shown],
                      "KL (nats)": kl_per_dim[shown]}, hide_index=True,
                     height=35 * (len(shown) + 1) + 3)
        st.markdown("It is kept for the other pages: **What mu and sigma mean** reads its KL "
                    "line term by term, **Generate** interpolates from it, and **Latent space** "
                    "draws its ellipse among the test images.")
        st.button("Forget it", key="draw_forget", on_click=lambda: set_drawn_input(None),
                  help="Clear the canvas and stop offering it on the other pages.")
