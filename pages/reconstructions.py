"""Reconstructions: x, decode(mu), and decodes of fresh z ~ q(z|x), with -log p(x|z) for each."""
import numpy as np
import pandas as pd
import streamlit as st
from threadpoolctl import threadpool_limits

from ui.figures.beta import SPREAD_WHITE, order_by_spread
from ui.figures.images import auto_scale, grid, png_bytes
from ui.forms.reconstructions import mu_versus_draws, wrong_class_note
from ui.forms.text import plain
from ui.style import table_height
from ui.cache.posterior import pick_images, reconstruct
from ui.cache.quality import classifier_for, real_share, test_spread
from ui.cache.runs import active_run, all_runs, require_model, run_dataset, set_active_run
from ui.forms.glossary import words_caption
from vae import betas as vb
from vae import quality as vq

PICKS = ["where the draws differ most", "at random"]
FLAT = 0.01  # mean per-pixel std below this: the draws look the same to the eye
RANK_DRAWS = 16  # the ranking's spread: 3 draws are too few to tell a wide posterior reliably

st.title("Reconstructions")
st.caption(words_caption(["mu-sigma", "q", "eps", "elbo", "nats"]))
run = active_run()
model = require_model(run)
data = run_dataset(run)
names = data.class_names

st.markdown(
    "Each column is one test image x. Under it, **decode(mu)**: the decoder's mean image at the "
    "centre of q(z|x), the same every time. Below that, decodes of **z = mu + sigma * eps** with a "
    "fresh eps each: what the decoder sees during training. Where sigma is small they all look "
    "alike; where it is large, z wanders and the image changes. The bottom tile of each column "
    "shows where: each pixel's spread over the draws.")


def _new_draw():
    st.session_state["recon_seed"] = int(st.session_state.get("recon_seed", 0)) + 1


st.session_state.setdefault("recon_seed", 0)
c1, c2, c3, c4 = st.columns([3, 1, 1.3, 1], vertical_alignment="bottom")
classes = c1.multiselect("Classes", range(len(names)), format_func=lambda c: names[c],
                         placeholder="all classes", key="recon_classes")
seed = c2.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="recon_seed",
                       help="Picks the images and the eps of each draw; the same seed shows the "
                            "same thing again.")
c3.button("New draw", on_click=_new_draw, icon=":material/shuffle:", width="stretch")
n_samples = c4.number_input("Draws of z", min_value=1, max_value=6, value=3, key="recon_draws")
p1, p2 = st.columns([2, 3], vertical_alignment="bottom")
pick = p1.segmented_control("Which test images", PICKS, default=PICKS[0], key="recon_pick",
                            help="Where the draws differ most: the test images whose decodes of "
                                 "z ~ q(z|x) spread most, pixel by pixel, over 16 draws (sigma "
                                 "matters there).")
n_images = p2.slider("Images", 2, 10, 8, key="recon_n")

if pick == PICKS[0]:
    pool = pick_images(data.test_y, len(data.test_y), 0, classes)
    ranked = test_spread(run, RANK_DRAWS, int(seed))
    idx = np.sort(order_by_spread(ranked, pool, n_images))
else:
    ranked = None
    idx = pick_images(data.test_y, n_images, int(seed), classes)
if len(idx) == 0:
    st.info("No test images of the chosen classes.")
    st.stop()
x = data.test_x[idx]
rec = reconstruct(model, x, int(n_samples), int(seed))
scale = auto_scale(x.shape[-2], target_px=84)
# The spread shown is the one the pick ranks by: over RANK_DRAWS draws, not the few decodes shown,
# whose spread is too noisy to agree with the ranking (a picked image could show the least).
spread = (ranked[idx] if ranked is not None
          else vq.draw_spread(model, x, RANK_DRAWS, int(seed)))  # (B, H, W)
spread_tile = np.clip(spread[:, None] / SPREAD_WHITE, 0, 1)
spread_tile = np.repeat(spread_tile, x.shape[1], axis=1)  # a grey tile beside colour ones too
# Which decode(mu) changed class: judged only where the classifier reads the input as its class.
clf = classifier_for(run)
flat = lambda a: np.asarray(a, np.float32).reshape(len(a), -1)  # noqa: E731
with threadpool_limits(1):  # the classifier's BLAS threads spin-wait on a loaded machine
    read_x, read_mu = clf.predict(flat(x)), clf.predict(flat(rec["mean"]))
truth = data.test_y[idx]
judged = read_x == truth
wrong = judged & (read_mu != truth)

st.caption(f"Top to bottom: x · decode(mu) · {int(n_samples)} decodes of z ~ q(z|x)"
           + " · **their spread**: each pixel's standard deviation over "
           f"{RANK_DRAWS} draws of z ~ q(z|x), more than are shown so that it is steady "
           f"(black: the same in every draw; white: {SPREAD_WHITE:g} or more)."
           " Under each column, -log p(x|z) in nats (lower is a better reconstruction).")
for col, k in zip(st.columns(len(idx)), range(len(idx))):
    strip = np.concatenate([x[k:k + 1], rec["mean"][k:k + 1], rec["samples"][k],
                            spread_tile[k:k + 1]])
    col.image(png_bytes(grid(strip, ncols=1, pad_value=0.5), scale=scale), output_format="PNG")
    draws = rec["recon_samples"][k]
    col.caption(f"**#{idx[k] + 1} · {plain(names[truth[k]])}**  \n"  # counted from 1
                f"at mu: {rec['recon_mu'][k]:.0f}  \n"
                f"draws: {draws.min():.0f}–{draws.max():.0f}"
                + f"  \nspread: {spread[k].mean():.3f}"
                + (f"  \n⚠ the classifier reads decode(mu) as {plain(names[read_mu[k]])}"
                   if wrong[k] else ""))
st.caption(wrong_class_note(int(wrong.sum()), int(judged.sum()), len(idx), real_share(run)))

widest = float(spread.reshape(len(idx), -1).mean(1).max())
if widest < FLAT:
    family = vb.best_family(all_runs(), run)
    wider = [m for m in family if m.point.beta > 1 and not m.point.collapsed
             and m.run.name != run.name]
    other = wider[-1] if wider else None
    if other is not None:  # say "shows it" only where it does
        other_spread = test_spread(other.run, RANK_DRAWS, int(seed))
        top = order_by_spread(other_spread, np.arange(len(other_spread)), n_images)
        other_widest = float(other_spread[top].reshape(len(top), -1).mean(1).max())
        other = other if other_widest >= FLAT else None
    st.info(f"On **{plain(run.name)}** the draws barely differ (mean spread at most {widest:.3f} per "
            "pixel): its sigma is small next to the distances the decoder tells apart. A "
            "larger β widens sigma." + (
                f" On **{plain(other.run.name)}** (β = {other.point.beta:g}) the draws spread up to "
                f"{other_widest:.3f} per pixel." if other is not None else ""))
    if other is not None and st.button(f"Open {plain(other.run.name)}", key="recon_wider"):
        set_active_run(other.run.name)
        st.rerun()

table = pd.DataFrame({
    "test image": idx + 1,  # counted from 1, as in the captions above
    "class": [names[c] for c in data.test_y[idx]],
    "-log p(x|mu)": rec["recon_mu"],
    "-log p(x|z), mean over draws": rec["recon_samples"].mean(1),
    "KL(q(z|x) || p(z))": rec["kl"],
    "-ELBO estimate": rec["recon_samples"].mean(1) + rec["kl"],
})
st.dataframe(table, hide_index=True, width="stretch", height=table_height(len(table)),
             column_config={c: st.column_config.NumberColumn(format="%.1f nats")
                            for c in table.columns[2:]})
st.caption("-ELBO = E_q[-log p(x|z)] + KL, estimated here with the draws above. "
           + mu_versus_draws(rec["recon_mu"], rec["recon_samples"]))
