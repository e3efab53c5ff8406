"""Generate: pick z by hand (decoded in the browser while dragging), sample the prior, walk the
manifold, sweep one dim at a time, and interpolate between two test images."""
from functools import partial

import numpy as np
import streamlit as st

from ui.cache.runs import active_run, encode_test_set, require_model, run_dataset, summary_of
from ui.components.decoder import (format_z, latent_explorer, parse_z, runs_in_browser,
                                   set_explorer_z)
from ui.components.draw import drawn_input, drawn_source, encode_drawn
from ui.components.z_cloud import chart
from ui.figures import generate as gf
from ui.forms.text import plain
from ui.forms.glossary import words_caption
from vae.explain import decode_images
from vae.losses import dims_by_kl

run = active_run()
model = require_model(run)
data = run_dataset(run)
codes = encode_test_set(run)
D = model.config.latent_dim
mu, labels, names = codes["mu"], codes["labels"], data.class_names
summary = summary_of(codes)
kl, active = summary.kl_per_dim, summary.active
order = dims_by_kl(kl)
key = f"generate::{run.name}"
decode = partial(decode_images, model)  # E[x|z] for rows of z, as images


st.title("Generate")
st.caption(words_caption(["prior", "manifold", "active", "nats"]))
beta = model.config.beta
st.caption(f"Run **{plain(run.name)}**: {D}-D latent, {int(active.sum())} of {D} dims active "
           "(Var over test images of μ_d above 0.01). The decoder turns any z into an image; "
           + ("the prior N(0, I) says which z it was trained to expect." if beta > 0 else
              "this run is a plain autoencoder (β = 0): nothing tied its codes to the prior "
              "N(0, I), so they spread far beyond it (the pad's dots) and z ~ N(0, I) covers "
              "only a patch of them."))

url_z = parse_z(st.query_params.get("z"), D)
if st.query_params.get("z") and url_z is None:
    st.warning(f"The z in this link does not fit run {plain(run.name)} ({D} numbers expected); "
               "starting from z = 0.")

st.subheader("Choose z by hand")
if runs_in_browser(model):
    st.caption("Drag a slider or the point on the pad: the decoder runs in your browser on every "
               "move. Sliders are ordered by how much information each dim carries (KL, in nats); "
               "the shaded part of each track is the prior's ±3σ. Arrow keys move the focused "
               "slider. Hover a dot on the pad to see that test image.")
c1, c2, _ = st.columns([2, 1, 3], vertical_alignment="bottom")
# test images are counted from 1 here, as on every page ("test image #36" is the 36th)
c1.number_input(f"Test image (1 to {len(mu):,})", 1, len(mu), 1, key="gen_start_index",
                help="Its posterior mean μ becomes z.")
c2.button("Use its μ", key="gen_use_mu",
          on_click=lambda: set_explorer_z(key, mu[st.session_state["gen_start_index"] - 1]))
# Two dims: z0 across and z1 up, as on Latent space; more: the two that carry the most KL.
pad_dims = (0, 1) if D == 2 else tuple(order[:2]) if D > 2 else (0, 0)
z = latent_explorer(model, key=key, z=url_z, kl_per_dim=kl, active=active,
                    scatter={"mu": mu, "labels": labels, "class_names": names,
                             "images": data.test_x[:len(mu)]},
                    pad_dims=pad_dims)
st.query_params["z"] = format_z(z)
st.markdown(f"**z** = `({', '.join(f'{v:+.2f}' for v in z)})` · kept in the page's link, so "
            "the link reopens this z.")
idx, dist = gf.nearest_codes(z, mu, 8)
first = plain(names[labels[idx[0]]])  # the example is the first tile's own, in this data's classes
st.markdown(f"**Nearest test images**: the 8 whose μ lies closest to z, each labelled with its "
            f"class and that distance (the first, \"{first}, {dist[0]:.2f} away\": a test image "
            f"of class {first} whose μ is {dist[0]:.2f} from z)")
chart(gf.nearest_view(data.test_x[idx], [f"{names[labels[i]]}<br>{d:.2f} away"
                                          for i, d in zip(idx, dist)]),
      key="gen_nearest", run_name=run.name, figure="nearest")


# The sections below that do not follow z are fragments: a control of one reruns that section,
# not the page and its five pictures. A new z (a slider released) reruns the page, and them.
@st.fragment
def prior_samples() -> None:
    st.subheader("Samples from the prior")
    c1, c2, _ = st.columns([1, 1, 4])
    seed = c1.number_input("Seed", 0, 1_000_000, 0, key="gen_seed")
    n_samples = c2.selectbox("How many", [16, 32, 64], index=1, key="gen_n_samples")
    chart(gf.samples_view(decode(gf.prior_z(n_samples, D, seed)), ncols=16), key="gen_samples",
          run_name=run.name, figure="prior-samples")
    st.caption("Each tile decodes one z ~ N(0, I): this is how a VAE generates. How many of them "
               "look like data depends on how well the KL tied the codes to the prior"
               + (" (here β = 0: nothing tied them)" if beta == 0 else "")
               + ": **Presenter mode** and **Rate and distortion** put a 16-D autoencoder (β = 0) "
               "beside VAEs, with the share of their prior samples a pixel classifier recognises.")


@st.fragment
def decoded_manifold(z: np.ndarray) -> None:
    """Its other dims may be held at `z`, the z of the page's last run."""
    if D > 1:
        st.subheader("The decoded manifold")
        c1, c2, c3, c4 = st.columns(4)
        label = lambda d: f"z{d}" + ("" if active[d] else " (inactive)")  # noqa: E731
        dim_x = c1.selectbox("Horizontal dim", order, index=0, format_func=label, key="gen_mx")
        dim_y = c2.selectbox("Vertical dim", order, index=1, format_func=label, key="gen_my")
        n_grid = c3.slider("Grid size", 5, 25, 15, key="gen_mn")
        others = c4.radio("Other dims", ["at 0", "at the current z"], key="gen_mothers",
                          disabled=D == 2)
        if dim_x == dim_y:
            st.info("Choose two different dims for the manifold.")
        else:
            base = z if others == "at the current z" else np.zeros(D)
            zs, xs, ys = gf.manifold_z(base, dim_x, dim_y, n_grid)
            images = decode(zs.reshape(-1, D)).reshape(n_grid, n_grid, *model.config.image_shape)
            chart(gf.manifold_view(images, xs, ys, dim_x, dim_y), key="gen_manifold",
                  run_name=run.name, figure="manifold")
            spread = float(np.percentile(np.abs(mu[:, [dim_x, dim_y]]), 99))
            st.caption("z walks a grid of the prior's quantiles (5 % to 95 %, ±1.64), as in "
                       "Kingma & Welling's figure 4 (the paper that introduced the VAE): equal "
                       "steps of prior probability, not of distance."
                       + (f" This run's codes reach ±{spread:.0f} on these dims, far beyond the "
                          "grid: the manifold shows only the patch around the prior's centre, "
                          "where few of its codes lie." if spread > 4 else ""))


@st.fragment
def interpolation() -> None:
    st.subheader("Interpolate between two test images")
    cols = st.columns(4)
    picks = []
    for side, (c_cls, c_nth), default in (("A", cols[:2], 0), ("B", cols[2:], 1)):
        cls = c_cls.selectbox(f"{side}: class", range(len(names)), index=default % len(names),
                              format_func=lambda c: names[c], key=f"gen_interp_{side}_class")
        members = np.flatnonzero(labels == cls)
        if len(members) == 0:
            st.info(f"No test image of class {plain(names[cls])} is in the encoded set.")
            st.stop()
        nth = c_nth.number_input(f"{side}: which one (1 to {len(members)})", 1, len(members), 1,
                                 key=f"gen_interp_{side}_nth")
        picks.append(int(members[nth - 1]))
    ends = [(mu[p], f"#{p + 1} {names[labels[p]]}") for p in picks]  # counted from 1
    drawn = drawn_input(model.config.image_shape)  # kept by the Draw page
    if drawn is not None and st.toggle(f"Start from {drawn_source()} instead of A",
                                       key="gen_interp_drawn"):
        ends[0] = (encode_drawn(model, drawn)[0], drawn_source())
    zs, t = gf.interpolation_z(ends[0][0], ends[1][0], 10)
    chart(gf.interpolation_view(decode(zs), t, ends[0][1], ends[1][1]), key="gen_interp",
          run_name=run.name, figure="interp")
    st.caption("A straight line in z between the two posterior means, decoded at ten points.")


prior_samples()
decoded_manifold(z)
st.subheader("Latent traversals")
values = np.linspace(-3, 3, 9)
trav = decode(gf.traversal_z(z, order, values).reshape(-1, D))
chart(gf.traversal_view(trav.reshape(D, len(values), *model.config.image_shape), order, values,
                        kl, active), key="gen_traversal", run_name=run.name, figure="traversal")
st.caption("Each row moves one dim from −3 to +3 with the others held at the current z. "
           "Inactive dims change nothing: the decoder learned to ignore them.")
interpolation()
