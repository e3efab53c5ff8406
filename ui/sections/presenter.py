"""Presenter mode's navigation and its three steps, each drawn with st.* calls in large type.

Which runs tell the story and the words that depend on their numbers come from ui.forms.presenter;
the figures from ui.figures; what is left here is layout and widgets.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from ui.cache import explain as cached
from ui.cache.posterior import pick_images, shared_plane
from ui.cache.quality import prior_share, real_share
from ui.cache.runs import encode_test_set, load_model, run_dataset
from ui.components import exportable
from ui.components.exportable import png_download
from ui.components.presenter_keys import presenter_keys
from ui.components.z_cloud import z_cloud
from ui.figures import beta as bf
from ui.figures import explain as figs
from ui.figures.images import for_display
from ui.forms import explain as explain_words
from ui.forms import presenter as story
from ui.forms.presenter import STEPS
from ui.forms.rate_distortion import SWEEP_DEFAULT, SWEEP_EPOCHS
from ui.sections.sweep import launch_sweep
from vae import betas as vb
from vae import explain as ex
from vae.data import Dataset
from vae.model import VAE
from vae.run import RunDir

SEED = 0  # every sample on this page is drawn from this seed: the story is the same each time


def chart(fig, key: str) -> None:
    exportable.chart(story.big(fig), key)


def _go(delta: int) -> None:
    st.session_state["presenter_step"] = story.step_after(st.session_state.get("presenter_step"),
                                                          delta)


def navigation() -> str:
    """The title, Back and Next, the step picker and the keyboard. Returns the step to show."""
    # The step lives in session state only (no widget default), so Back/Next/keys may set it.
    if st.session_state.get("presenter_step") not in STEPS:
        st.session_state["presenter_step"] = STEPS[0]
    presenter_keys("presenter_keys", _go)
    t1, n2, n3 = st.columns([6, 1, 1], vertical_alignment="bottom")
    t1.title("Presenter mode")
    step = st.session_state["presenter_step"]
    n2.button("Back", icon=":material/arrow_back:", on_click=_go, args=(-1,), key="presenter_back",
              disabled=step == STEPS[0], use_container_width=True)
    n3.button("Next", icon=":material/arrow_forward:", on_click=_go, args=(1,), type="primary",
              key="presenter_next", disabled=step == STEPS[-1], use_container_width=True)
    step = st.segmented_control("Step", STEPS, key="presenter_step", width="stretch",
                                label_visibility="collapsed") or STEPS[0]
    st.caption("Keys: → PageDown Space next · ← PageUp back")
    return step


# ------------------------------------------------------------------------ 1 · AE vs VAE
def autoencoder_vs_vae(run: RunDir, ae_run: RunDir | None, vae_run: RunDir | None) -> None:
    """Step 1: the same prior samples decoded by an autoencoder and by a VAE, and their codes."""
    st.header("An autoencoder compresses. A VAE can also generate.")
    if vae_run is None or ae_run is None:
        st.info(story.no_pair_note(run.name))
        return
    D = ae_run.read_config()[0].latent_dim
    real = real_share(vae_run)
    shares = {r.name: prior_share(r) for r in (ae_run, vae_run)}
    st.markdown(story.classifier_sentence(D, real))
    names = run_dataset(vae_run).class_names  # the pair's data, whichever run is active
    encs = {r.name: encode_test_set(r) for r in (ae_run, vae_run)}
    vae_kl = ex.kl_split(encs[vae_run.name]["mu"], encs[vae_run.name]["std"]).per_dim.mean(0)
    dims, half = shared_plane([e["mu"] for e in encs.values()], vae_kl)
    spread = {n: story.code_spread(e["mu"]) for n, e in encs.items()}
    cols = st.columns(2)
    for col, r, label in ((cols[0], ae_run, "Autoencoder (no KL)"), (cols[1], vae_run, "VAE")):
        m = load_model(r)
        enc = encs[r.name]
        with col:
            st.subheader(f"{label}: {r.name}")
            # drawn from numbers (a Plotly plane cost every visit about a second to mount)
            z_cloud(figs.codes_view(enc["mu"], enc["labels"], names, dims=dims,
                                    index=enc["index"], x_range=(-half, half),
                                    y_range=(-half, half), title=story.plane_title(dims, D),
                                    point_opacity=0.5, font_size=story.FONT),
                    key=f"presenter_latent_{r.name}", run_name=r.name, figure="codes")
            st.caption(f"Dashed circle: N(0, I)'s 1-sigma circle. 99% of this model's code "
                       f"coordinates lie within ±{spread[r.name]:.1f} (of N(0, I)'s: ±2.6).")
            _, imgs = ex.prior_samples(m, 24, SEED)
            png = figs.image_row_png(imgs, ncols=6, target_width=600)
            st.image(png, caption=f"24 codes drawn from N(0, I), decoded. The classifier "
                                  f"recognises {shares[r.name]:.0%} of 1,000 such decodes.",
                                  output_format="PNG")
            png_download("prior samples", png, f"{r.name}-prior-samples", f"presenter_png_{r.name}")
    st.markdown(story.prior_samples_verdict(shares[ae_run.name], shares[vae_run.name],
                                            spread[ae_run.name], spread[vae_run.name], D))


# ------------------------------------------------------------------------ 2 · raise beta
def raise_beta(members: list[vb.Member], dataset: str, latent_dim: int) -> None:
    """Step 2: the beta family's rates, active units and reconstructions; with too few betas, the
    one-click sweep (for the active run's dataset and latent size: `dataset`, `latent_dim`)."""
    st.header("Raise beta and the code collapses")
    st.markdown("The loss is reconstruction + **beta** × KL. A larger beta pulls every q(z|x) "
                "harder toward N(0, I); past a point the code stops carrying anything about x.")
    # compare like with like: runs that differ in beta only (vae.betas.best_family)
    betas = sorted({m.point.beta for m in members})
    family = [(m.point, m.run) for m in members]
    if len(betas) < 3:
        _sweep_offer(len(betas), dataset, latent_dim)
    if not family:
        return
    first, last = family[0][0], family[-1][0]
    c1, c2 = st.columns([1, 1])
    with c1:
        chart(figs.rate_distortion_figure(
            [f"β={p.beta:g}" for p, _ in family], [p.kl for p, _ in family],
            [p.recon for p, _ in family], [p.beta for p, _ in family],
            [p.collapsed for p, _ in family], plot_px=(400, 260)).update_layout(height=400),
            "presenter_rd")
        if len(betas) >= 3:
            chart(bf.active_units_figure([p.beta for p, _ in family],
                                         [p.active_units for p, _ in family],
                                         first.latent_dim, [p.kl for p, _ in family]
                                         ).update_layout(height=300), "presenter_active")
    with c2:
        fam_data = run_dataset(family[0][1])  # the family's data, whichever run is active
        x = fam_data.test_x[pick_images(fam_data.test_y, 8, SEED)]
        rows = [for_display(x)] + [cached.reconstructions(r, x) for _, r in family]
        png = figs.image_row_png(np.concatenate(rows), ncols=8, target_width=520,
                                 row_labels=["input"] + [f"beta = {p.beta:g}" for p, _ in family])
        st.image(png,  # at its own size: whole-number upscaled, never smoothed
                 caption=story.reconstructions_caption(first.epoch, [p.beta for p, _ in family]),
                 output_format="PNG")
        png_download("reconstructions by beta", png, "reconstructions-by-beta",
                     "presenter_png_beta")
        if len(betas) >= 3:
            st.markdown(story.collapse_sentence(first, last))
    collapsed = [p.name for p, _ in family if p.collapsed]
    if collapsed:
        st.warning(story.collapsed_warning(collapsed))


def _sweep_offer(n_betas: int, dataset: str, latent_dim: int) -> None:
    st.info(story.too_few_betas_note(n_betas, SWEEP_DEFAULT))
    if dataset == "mnist-5k" and latent_dim == 2:  # the sweep's own shape (vae.launch)
        if st.button("Train the beta sweep", icon=":material/play_arrow:", type="primary",
                     key="presenter_sweep"):
            started = launch_sweep(SWEEP_DEFAULT, SWEEP_EPOCHS)
            if started is not None:
                st.success(f"Training {len(started)} runs. They appear here, and on the "
                           "**Rate and distortion** page, as they finish: press **Refresh**.")
        st.button("Refresh", key="presenter_refresh")
    else:
        st.caption("The one-click sweep trains MNIST-5k with a 2-D latent; pick mnist5k-2d "
                   "in the sidebar to use it.")


# ------------------------------------------------------------------------ 3 · reparameterization
def reparameterization(run: RunDir, model: VAE, data: Dataset) -> None:
    """Step 3: x → mu, sigma → eps → z → decodes, revealed one part at a time."""
    st.header("The reparameterization, one step at a time")
    parts = story.REPARAM_PARTS
    # one button per part: their labels sit in the buttons, never over a slider's thumb
    k = st.segmented_control("Show up to", options=list(range(1, len(parts) + 1)), default=1,
                             format_func=lambda i: f"{i} · {parts[i - 1]}",
                             key="presenter_substep") or 1
    # an input whose 8 decodes the pixel classifier reads as its own class: the typical case
    index = cached.faithful_input(run, 8, seed=SEED)
    x, label = data.test_x[index], int(data.test_y[index])
    mu, sigma = ex.encode_one(model, x)
    eps = ex.draw_eps(8, model.config.latent_dim, seed=SEED)
    z = ex.reparameterize(mu, sigma, eps)
    dims = story.plane_dims(mu, sigma)
    cols = st.columns([1, 0.9, 1.7, 1.2])
    with cols[0]:
        st.subheader("1 · The input")
        st.image(figs.image_row_png(x[None], target_width=224, max_scale=8),
                 caption=explain_words.test_image_caption(index, data.class_names[label]),
                 output_format="PNG")
        if k >= 1:
            st.markdown(story.mu_sigma_words(mu, sigma, dims))
    if k >= 2:
        with cols[1]:
            st.subheader("2 · The noise")
            st.markdown(story.eps_words(eps, dims, SEED))
    if k >= 3:
        with cols[2]:
            st.subheader("3 · The code")
            enc = encode_test_set(run)
            xr, yr = figs.zoom_ranges(mu, sigma, z, dims, margin=4.0)
            view = figs.zoom_view(enc["mu"], enc["labels"], dims=dims, mu=mu, sigma=sigma, z=z,
                                  x_range=xr, y_range=yr, title="z = mu + sigma · eps")
            z_cloud({**view, "font_size": story.FONT}, key="presenter_reparam",
                    run_name=run.name, figure="reparameterization")
            inside = story.inside_one_sigma(z, mu, sigma, dims)
            st.caption(f"mu (cross) stays put; each z = mu + sigma · eps scatters around it "
                       f"({inside} of {len(z)} inside the red 1-sigma ellipse)")
    if k >= 4:
        with cols[3]:
            st.subheader("4 · The decodes")
            images = ex.decode_images(model, z)
            png = figs.image_row_png(images, ncols=4, target_width=360, max_scale=5)
            st.image(png, caption="decoder(z) for the 8 z: " + explain_words.decodes_sentence(
                label, cached.classes_of(run, images), data.class_names), output_format="PNG")
            png_download("decodes", png, f"{run.name}-reparameterization", "presenter_png_reparam")
    st.markdown("Only eps is random. mu and sigma stay ordinary outputs of the network, so the "
                "gradient flows through z = mu + sigma · eps back into the encoder.")
