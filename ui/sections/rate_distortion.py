"""Rate and distortion's sections, drawn with st.* calls: the sweep form, the plane (a fragment
that refreshes while a sweep trains) and the beta family. Words and tables from
ui.forms.rate_distortion, figures from ui.figures.
"""
from __future__ import annotations

import streamlit as st

from ui.cache import explain as cached
from ui.cache.quality import prior_share, real_share
from ui.cache.runs import all_runs, encode_test_set, run_dataset, run_status, runs_root, summary_of
from ui.components.z_cloud import chart
from ui.figures import beta as bf
from ui.figures import explain as figs
from ui.forms import rate_distortion as rd
from ui.forms.imported import imported_names
from ui.sections.sweep import launch_sweep
from vae import betas as vb
from vae import explain as ex
from vae.run import RunDir

REFRESH_S = 2.0


def sweep_states(sweep: list[str]) -> dict[str, str]:
    """Each sweep run's state, as its status.json (or its launch) says now."""
    return {n: run_status(RunDir(runs_root() / n)).get("state", "new") for n in sweep}


def sweep_form(sweep: list[str]) -> list[str]:
    """The beta sweep's form. Returns the sweep's run names: those it started on this click, else
    `sweep`, the last sweep's."""
    with st.expander("Run a beta sweep: several short runs, one click", expanded=not sweep):
        st.caption("Each beta trains its own MNIST-5k model with a 2-D latent and one hidden "
                   "layer of 256 (a small network, so that a sweep trains in minutes), all at "
                   "once, as separate trainer processes. Each point appears on the plane as its "
                   "run finishes an epoch.")
        f1, f2 = st.columns([3, 1])
        betas = f1.multiselect("Betas", rd.SWEEP_BETAS, default=rd.SWEEP_DEFAULT,
                               format_func=lambda b: f"{b:g}", key="rd_betas")
        epochs = f2.number_input("Epochs each", 1, 30, rd.SWEEP_EPOCHS, key="rd_epochs")
        if st.button("Start the sweep", icon=":material/play_arrow:", type="primary",
                     key="rd_start", disabled=not betas):
            started = launch_sweep(betas, epochs)
            if started is not None:
                st.session_state["rd_sweep"] = sweep = [r.name for r in started]
                st.success(f"Started {len(started)} runs: {', '.join(sweep)}. Each loads PyTorch "
                           "and its data for a few seconds, then trains.")
    return sweep


def plane(active: RunDir | None, sweep: list[str]) -> None:
    """Every run as a point (KL, reconstruction), refreshed every REFRESH_S while the sweep
    trains."""
    running = any(s in rd.RUNNING for s in sweep_states(sweep).values())
    st.fragment(_plane, run_every=REFRESH_S if running else None)(active, sweep, running)


def _plane(active: RunDir | None, sweep: list[str], running: bool) -> None:
    states = sweep_states(sweep)
    if sweep:
        fraction, text, failed = rd.sweep_progress(states)
        st.progress(fraction, text=text)
        if failed:
            st.error(f"These sweep runs did not finish: {', '.join(failed)}. Their folders keep "
                     "the trainer's message (see the **Runs** page).")
    runs = all_runs()
    points = cached.run_points(runs)  # re-read only when a run's metrics change
    damaged = [r.name for r in runs if r.problems()]
    # damaged runs are listed, never a reason for the other runs' plane to fail
    for caption in rd.left_off_captions(imported_names(runs), damaged):
        st.caption(caption)
    if not points:
        st.info("No run has finished an epoch yet, so the plane is empty. Start a beta sweep "
                "above, or train a run on the **Train** page.")
        if rd.sweep_over(running, states):
            st.rerun(scope="app")
        return
    mine = vb.run_point(active) if active is not None else None
    datasets, default = rd.plane_datasets(points, None if mine is None else mine.dataset)
    chosen = st.segmented_control(
        "Dataset", datasets, default=default, key="rd_dataset",
        help="Nats per image are only comparable within one dataset.")
    chosen = chosen or datasets[0]
    shown = [p for p in points if p.dataset == chosen]
    chart(figs.rate_distortion_view(
        [p.name for p in shown], [p.kl for p in shown], [p.recon for p in shown],
        [p.beta for p in shown], [p.collapsed for p in shown], highlight=set(sweep),
        title=f"Rate against distortion: {len(shown)} run{'s' * (len(shown) != 1)} on {chosen}"),
        key="rd_plane", run_name=chosen, figure="rate-distortion")
    collapsed = [p for p in shown if p.collapsed]
    if collapsed:
        st.warning(rd.collapse_warning(collapsed), icon=":material/warning:")
    partial = [p for p in shown if not p.collapsed and p.active_units < p.latent_dim]
    if partial:
        st.info(rd.unused_dims_note(partial))
    st.dataframe(rd.points_table(shown), hide_index=True, height="content")  # every run in view
    st.caption(rd.collapse_legend())
    if rd.sweep_over(running, states):
        st.rerun(scope="app")  # the sweep is over: stop refreshing


def family(members: list[vb.Member]) -> None:
    """Collapse seen on runs that differ in beta only: active units, KL per dim, reconstructions
    and prior samples, one row per beta."""
    first, last = members[0].point, members[-1].point
    D = first.latent_dim
    st.header(f"Collapse, seen: {len(members)} runs that differ in β only")
    st.markdown(rd.family_sentence(first, last))
    betas = [m.point.beta for m in members]
    # One active-unit test for the bars and the heatmap: each model's test-set codes now
    active = [summary_of(encode_test_set(m.run)).active for m in members]
    c1, c2 = st.columns(2)
    with c1:
        chart(bf.active_units_view(betas, [int(a.sum()) for a in active], D,
                                   [m.point.kl for m in members]),
              key="rd_family_active", run_name=members[0].run.name,
              figure="active-units-by-beta")
    kl_dims = [rd.last_kl_per_dim(m.run.read_metrics(), D) for m in members]
    with c2:
        chart(bf.kl_per_dim_view(betas, kl_dims, active=active), key="rd_family_kl",
              run_name=members[0].run.name, figure="kl-per-dim-by-beta")
    data = run_dataset(members[0].run)
    idx = rd.first_of_each_class(data.test_y, len(data.class_names))
    x = data.test_x[idx]
    z = ex.draw_eps(len(idx), D, seed=0)
    st.subheader("Reconstructions turn alike")
    st.caption("decode(mu) of the same test images, one row per β.")
    _image_row("**test images**", x[:, 0])
    for m, a in zip(members, active):
        _image_row(f"**{bf.beta_label(m.point.beta)}**  \n{int(a.sum())} of {D} dims "
                   "active", cached.reconstructions(m.run, x))
    st.subheader("Generated: the same codes z ~ N(0, I), decoded by each run")
    st.caption("Beside each row: the share of 1,000 such decodes that a pixel classifier "
               "(logistic regression on the training images) gives one digit with probability "
               "≥ 0.9. It does so for "
               f"{real_share(members[0].run):.0%} of real test images.")
    for m in members:
        _image_row(f"**{bf.beta_label(m.point.beta)}**  \n{prior_share(m.run):.0%} recognised",
                   cached.decodes(m.run, z))


def _image_row(label: str, images) -> None:
    """One labelled row of the family's images, as wide as the page."""
    a, b = st.columns([1.2, 6], vertical_alignment="center")
    a.markdown(label)
    b.image(figs.image_row_png(images, ncols=len(images), target_width=880), output_format="PNG")
