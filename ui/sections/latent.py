"""The Latent space page's sections: the posterior plane and its controls, what a 2-D plane can
hold, the selection beside it, and the live KL per dim. The page (pages/latent.py) says which
come in which order."""
from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui.components.draw import drawn_input, drawn_overlay, drawn_source, encode_drawn
from ui.figures.latent import MANY_ELLIPSES, kl_bars_view, selected_indices, tsne_figure
from ui.components.hover_images import hover_images
from ui.components.z_cloud import chart
from ui.figures.images import auto_scale, grid, png_bytes
from ui.forms.latent import TSNE_NOTE, plane_limit
from ui.forms.text import plain
from ui.style import export_config
from ui.cache.latent_maps import (K_NEIGHBOURS, TSNE_MAX_POINTS, run_knn_accuracy, run_tsne,
                                  wide_run_for)
from ui.cache.posterior import diagnosis, reconstruct
from ui.cache.runs import (cached_posterior_figure, dataset_key, encode_test_set, load_model,
                           run_status, set_active_run, summary_of)
from vae.numeric import ACTIVE_UNIT_THRESHOLD, dims_by_kl, sigma_note

MAX_ELLIPSES = 500
MAX_SHOWN = 6
N_SAMPLES = 3
SCATTER_HEIGHT = 720  # with the page's title and controls, the plane fills a 1400 x 1000 screen
HOVER_DEFAULT_MAX = 2000  # more points than this crowd the plane: hover images start off



@dataclass
class View:
    """What the controls chose for the plane."""
    view: str
    dims: tuple
    ellipses: str
    show_prior: bool
    show_density: bool
    show_images: bool


def intro(beta: float = 1.0) -> None:
    pull = ("which a VAE's KL term pulls every q(z|x) toward (not in this run: its β is 0, so "
            "nothing pulled)" if beta == 0 else "which the KL term pulls every q(z|x) toward")
    st.markdown(
        "Each dot is **mu(x)**, where the encoder puts one test image: a deterministic function of x, "
        "nothing random. Its ellipse is **sigma(x)**: the 1-sigma spread of q(z|x), the Gaussian z is "
        "actually drawn from (z = mu + sigma * eps). The dashed circles are the prior N(0, I) at 1, 2 "
        f"and 3 sigma, {pull}; the grey shading is all the q(z|x) pooled, the aggregate posterior "
        "q(z).")


def live_diagnosis(run, beta: float) -> None:
    """The collapse and inactive-dims notes, recomputed after each epoch while the run trains,
    like the KL chart below (they read the same encodings)."""
    running = run_status(run).get("state") == "running"

    @st.fragment(run_every=2.0 if running else None)
    def notes() -> None:
        enc = encode_test_set(run)
        for level, message in diagnosis(summary_of(enc), beta):
            getattr(st, level)(message)
        if (note := sigma_note(enc["std"])) is not None:
            st.info(note, icon=":material/straighten:")

    notes()


def plane_limit_box(run, data, d: int) -> None:
    if d == 2 and len(data.class_names) > 2:
        with st.spinner("Measuring how well the codes keep the classes apart…"):
            accuracy = run_knn_accuracy(run)
            wide = wide_run_for(run)
            wide_accuracy = run_knn_accuracy(wide) if wide is not None else None
        with st.container(border=True):
            st.markdown(plane_limit(accuracy, data.class_names, len(data.train_x), K_NEIGHBOURS,
                                    wide.name if wide else None, wide_accuracy))
            if wide is not None and st.button(f"Open {wide.name}", key="latent_open_wide",
                                              icon=":material/open_in_new:"):
                set_active_run(wide.name)
                st.rerun()


def controls(summary, n: int, d: int) -> View:
    controls = st.columns([2, 2, 2] if d > 2 else [2, 1, 1, 1])
    view, dims = "dims", (0, 1)
    if d > 2:
        by_kl = dims_by_kl(summary.kl_per_dim)
        with controls[0]:
            view = st.radio("Show", ["dims", "pca", "tsne"], horizontal=True, key="latent_view",
                            format_func={"dims": "two latent dims", "pca": "PCA of mu",
                                         "tsne": "t-SNE map of mu"}.get)
            if view == "dims":
                a, b = st.columns(2)
                label = lambda i: f"z{i} · KL {summary.kl_per_dim[i]:.2f}"  # noqa: E731
                dx = a.selectbox("x axis", by_kl, index=0, format_func=label, key="latent_dim_x")
                dy = b.selectbox("y axis", by_kl, index=1, format_func=label, key="latent_dim_y")
                dims = (dx, dy)
            elif view == "tsne":
                st.caption("Who is whose neighbour among the codes, not how far apart they are: "
                           "see the note under the map.")
            else:
                st.caption("The projection z -> Wz is a rotation, so the prior stays N(0, I) and each "
                           "ellipse is the projected covariance W diag(sigma^2) W^T.")
        controls = controls[1:]
    ellipse_modes = {"sample": f"a sample of {MAX_ELLIPSES}",
                     # the browser takes seconds to draw many (bench/bench_long_views.py)
                     "all": f"all {n:,}" + (" (slow to draw)" if n > MANY_ELLIPSES else ""),
                     "none": "none"}
    flat = view == "tsne"  # a t-SNE map has no prior scale: no ellipses, circles or density on it
    ellipses = controls[0].radio("Sigma ellipses", list(ellipse_modes), format_func=ellipse_modes.get,
                                 index=0 if n > 1500 else 1, horizontal=True, key="latent_ellipses",
                                 disabled=flat)
    toggles = controls[1:] if len(controls) == 4 else [controls[1]] * 3  # stacked beside dim pickers
    show_prior = toggles[0].toggle("Prior circles", value=True, key="latent_prior", disabled=flat)
    show_density = toggles[1].toggle("Density q(z)", value=True, key="latent_density", disabled=flat)
    show_images = toggles[2].toggle(
        "Image on hover", value=n <= HOVER_DEFAULT_MAX, key="latent_hover",
        help="Hover a dot to see its test image beside the cursor. The images are sent to the browser "
             f"once, when this is on; it starts off where {HOVER_DEFAULT_MAX:,}+ points crowd the plane.")
    return View(view, dims, ellipses, show_prior, show_density, show_images)


def plane(left, run, config, data, enc, n: int, d: int, v: View) -> list:
    """The plane (or t-SNE map) in the left three quarters; returns the selected test indices.
    The model is loaded only to place a drawing on it."""
    view, dims, ellipses = v.view, v.dims, v.ellipses
    show_prior, show_density, show_images = v.show_prior, v.show_density, v.show_images
    with left:
        if d < 2:
            st.info("This run has a 1-D latent: there is no plane to draw. Its KL per dim is below.")
            selected = []
        elif view == "tsne":
            shown_n = min(n, TSNE_MAX_POINTS)
            with st.spinner(f"Computing the t-SNE map of {shown_n:,} test codes (once per weights "
                            "file: some seconds)…"):
                xy = run_tsne(run, shown_n)
            fig = tsne_figure(xy, enc["labels"][:shown_n], data.class_names,
                              index=enc["index"][:shown_n], height=SCATTER_HEIGHT,
                              title=f"{run.name} · {data.name}: t-SNE map of {shown_n:,} test mu")
            event = st.plotly_chart(fig, theme="streamlit", on_select="rerun", key="latent_scatter",
                                    selection_mode=("points", "box", "lasso"),
                                    config=export_config(run.name, "latent-tsne"))
            selected = selected_indices(event.selection.points if event else [])
            if show_images:
                hover_images("latent_scatter", data.test_x[:shown_n],
                             cache_key=f"{dataset_key(run)}:{shown_n}")
            st.caption(TSNE_NOTE + (f" The first {shown_n:,} of {n:,} test codes are mapped."
                                    if shown_n < n else ""))
        else:
            fig = cached_posterior_figure(run, dims=dims, projection=view, ellipses=ellipses,
                                          max_ellipses=MAX_ELLIPSES, show_prior=show_prior,
                                          show_density=show_density, height=SCATTER_HEIGHT,
                                          title=f"{run.name} · {data.name}: q(z|x) of {n:,} test images")
            drawn = drawn_input(config.image_shape)  # kept by the Draw page
            if drawn is not None:
                drawn_overlay(fig, *encode_drawn(load_model(run), drawn), dims=dims, projection=view,
                              codes_mu=enc["mu"], label=drawn_source())
            event = st.plotly_chart(fig, theme="streamlit", on_select="rerun", key="latent_scatter",
                                    selection_mode=("points", "box", "lasso"),
                                    config=export_config(run.name, "latent"))
            points = event.selection.points if event else []
            selected = selected_indices(points)
            if show_images:
                hover_images("latent_scatter", data.test_x[:n], cache_key=f"{dataset_key(run)}:{n}")
            st.caption(f"{n:,} test images of {plain(data.name)}. "
                       + ("Hover a dot to see its image. " if show_images else "")
                       + "Click a dot, or pick the box or lasso tool in the chart's toolbar and drag, "
                       "to see those images beside the chart; double-click clears.")
    return selected


def selection(run, data, enc, selected: list) -> None:
    """Each selected image, its mean reconstruction and decodes of z ~ q(z|x) (the model is
    loaded once something is selected)."""
    if not selected:
        st.subheader("Select points")
        st.markdown("Click a dot or draw a box or lasso around some. Here you will see each "
                    "image x, **decode(mu)** (its mean reconstruction), and decodes of "
                    f"{N_SAMPLES} z drawn from **q(z|x)**: how much of the picture sigma changes.")
    else:
        shown = selected[:MAX_SHOWN]
        st.subheader(f"{len(selected)} selected" + (
            f", first {MAX_SHOWN} shown" if len(selected) > MAX_SHOWN else ""))
        st.caption(f"Each row: x · decode(mu) · {N_SAMPLES} decodes of z ~ q(z|x)")
        x = data.test_x[shown]
        rec = reconstruct(load_model(run), x, N_SAMPLES, seed=0)
        scale = auto_scale(x.shape[-2], target_px=56)
        for k, i in enumerate(shown):
            row = np.concatenate([x[k:k + 1], rec["mean"][k:k + 1], rec["samples"][k]])
            st.image(png_bytes(grid(row, ncols=len(row), pad=1, pad_value=0.5), scale=scale),
                     caption=(f"#{i + 1} · {plain(data.class_names[enc['labels'][i]])} · "
                              f"-log p(x|mu) {rec['recon_mu'][k]:.0f} nats · "
                              f"KL {rec['kl'][k]:.1f} nats"), output_format="PNG")


def kl_section(run, beta: float = 1.0) -> None:
    running = run_status(run).get("state") == "running"

    @st.fragment(run_every=2.0 if running else None)
    def kl_live() -> None:
        """Re-encoded after each epoch while the run trains (the cache follows the weights file)."""
        live = summary_of(encode_test_set(run))
        st.subheader("What the KL term does to each latent dim" if beta != 0 else
                     "The KL of each latent dim (measured: β = 0 did not train it)")
        # drawn from numbers: the next epoch's redraws the same element
        view = kl_bars_view(live.kl_per_dim, live.var_mu)
        chart({**view, "title": f"{run.name} · {view['title']}"}, key="latent_kl",
              run_name=run.name, figure="kl-per-dim")
        st.caption("KL(q(z_d|x) || N(0, 1)) averaged over the test set. A dim is active when mu_d "
                   f"varies across images (Var > {ACTIVE_UNIT_THRESHOLD}); an inactive one has q(z_d|x) = N(0, 1) for "
                   "every x." + (" Updated after each epoch while the run trains."
                                 if run_status(run).get("state") == "running" else ""))

    kl_live()
