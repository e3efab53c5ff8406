"""Rate and distortion: every run as a point (KL, reconstruction) coloured by beta; a beta sweep."""
import time

import streamlit as st

from ui.cache import explain as cached
from ui.cache.quality import prior_share, real_share
from ui.cache.runs import active_run, all_runs, run_dataset, run_status, runs_root
from ui.figures import beta as bf
from ui.figures import explain as figs
from ui.forms import rate_distortion as rd
from ui.forms.imported import imported_names
from vae import betas as vb
from vae import explain as ex
from vae.launch import launch_beta_sweep
from vae.run import RunDir, RunError

REFRESH_S = 2.0

st.title("Rate and distortion")
st.markdown(rd.INTRO)

active = active_run()
if active is None:
    st.info("There are no runs yet. Start one on the **Train** page, or a beta sweep below.")
sweep = st.session_state.get("rd_sweep", [])


def _sweep_states() -> dict[str, str]:
    return {n: run_status(RunDir(runs_root() / n)).get("state", "new") for n in sweep}


with st.expander("Run a beta sweep: several short runs, one click", expanded=not sweep):
    st.caption("Each beta trains its own MNIST-5k model with a 2-D latent and a 256-unit MLP (the "
               "shipped mnist5k-2d's shape), all at once, as separate trainer processes. Each "
               "point appears on the plane as its run finishes an epoch.")
    f1, f2 = st.columns([3, 1])
    betas = f1.multiselect("Betas", rd.SWEEP_BETAS, default=[0.1, 1.0, 4.0, 16.0],
                           format_func=lambda b: f"{b:g}", key="rd_betas")
    epochs = f2.number_input("Epochs each", 1, 30, 4, key="rd_epochs")
    if st.button("Start the sweep", icon=":material/play_arrow:", type="primary",
                 key="rd_start", disabled=not betas):
        stamp = time.strftime("%m%d-%H%M%S")
        try:
            started = launch_beta_sweep(runs_root(), sorted(betas), int(epochs), stamp)
        except RunError as exc:
            st.error(f"The sweep could not start: {exc}")
        else:
            st.session_state["rd_sweep"] = sweep = [r.name for r in started]
            st.success(f"Started {len(started)} runs: {', '.join(sweep)}. Each loads PyTorch and "
                       "its data for a few seconds, then trains.")

running = any(s in rd.RUNNING for s in _sweep_states().values())


@st.fragment(run_every=REFRESH_S if running else None)
def plane() -> None:
    states = _sweep_states()
    if sweep:
        fraction, text, failed = rd.sweep_progress(states)
        st.progress(fraction, text=text)
        if failed:
            st.error(f"These sweep runs did not finish: {', '.join(failed)}. Their folders keep "
                     "the trainer's message (see the **Runs** page).")
    runs = all_runs()
    points = cached.run_points(runs)  # re-read only when a run's metrics change
    damaged = [r.name for r in runs if r.problems()]
    if imported_names(runs):
        st.caption("Imported runs have no training curves, so they are not on the plane: "
                   + ", ".join(imported_names(runs)) + ".")
    if damaged:  # listed, never a reason for the other runs' plane to fail
        st.caption("Damaged runs (the **Runs** page says what is wrong); those whose config or "
                   "metrics cannot be read are not on the plane: " + ", ".join(damaged) + ".")
    if not points:
        st.info("No run has finished an epoch yet, so the plane is empty. Start a beta sweep "
                "above, or train a run on the **Train** page.")
        if running and not any(s in rd.RUNNING for s in states.values()):
            st.rerun(scope="app")
        return
    datasets = sorted({p.dataset for p in points})
    mine = ex.run_point(active) if active is not None else None
    default = mine.dataset if mine is not None else datasets[0]
    chosen = st.segmented_control(
        "Dataset", datasets, default=default if default in datasets else datasets[0],
        key="rd_dataset", help="Nats per image are only comparable within one dataset.")
    chosen = chosen or datasets[0]
    shown = [p for p in points if p.dataset == chosen]
    st.plotly_chart(figs.rate_distortion_figure(
        [p.name for p in shown], [p.kl for p in shown], [p.recon for p in shown],
        [p.beta for p in shown], [p.collapsed for p in shown], highlight=set(sweep)),
        theme="streamlit", key="rd_plane")
    collapsed = [p for p in shown if p.collapsed]
    if collapsed:
        st.warning(rd.collapse_warning(collapsed), icon=":material/warning:")
    partial = [p for p in shown if not p.collapsed and p.active_units < p.latent_dim]
    if partial:
        st.info(rd.unused_dims_note(partial))
    st.dataframe(rd.points_table(shown), hide_index=True, height="content")  # every run in view
    st.caption("**collapsed**: the whole posterior ignores x (KL under "
               f"{ex.COLLAPSE_KL_NATS:g} nats, or no active unit). **inactive dims**: dims whose "
               "mu does not move with x (Var over x below 0.01): collapse one dim at a time.")
    if running and not any(s in rd.RUNNING for s in states.values()):
        st.rerun(scope="app")  # the sweep is over: stop refreshing


plane()


def family_section(family: list[vb.Member]) -> None:
    first, last = family[0].point, family[-1].point
    D = first.latent_dim
    st.header(f"Collapse, seen: {len(family)} runs that differ in β only")
    st.markdown(rd.family_sentence(first, last))
    betas = [m.point.beta for m in family]
    c1, c2 = st.columns(2)
    c1.plotly_chart(bf.active_units_figure(betas, [m.point.active_units for m in family], D,
                                           [m.point.kl for m in family]),
                    theme="streamlit", key="rd_family_active")
    kl_dims = [rd.last_kl_per_dim(m.run.read_metrics(), D) for m in family]
    c2.plotly_chart(bf.kl_per_dim_figure(betas, kl_dims), theme="streamlit",
                    key="rd_family_kl")
    data = run_dataset(family[0].run)
    idx = rd.first_of_each_class(data.test_y, len(data.class_names))
    x = data.test_x[idx]
    z = ex.draw_eps(len(idx), D, seed=0)
    st.subheader("Reconstructions turn alike")
    st.caption("decode(mu) of the same test images, one row per β.")
    rows = [("test images", x[:, 0], None)] + [
        (bf.beta_label(m.point.beta), cached.reconstructions(m.run, x), m)
        for m in family]
    for label, recon, m in rows:
        a, b = st.columns([1.2, 6], vertical_alignment="center")
        a.markdown(f"**{label}**" + (f"  \n{m.point.active_units} of {D} dims active"
                                     if m is not None else ""))
        b.image(figs.image_row_png(recon, ncols=len(recon), target_width=880))
    st.subheader("Generated: the same codes z ~ N(0, I), decoded by each run")
    st.caption("Beside each row: the share of 1,000 such decodes that a pixel classifier "
               "(logistic regression on the training images) gives one digit with probability "
               "≥ 0.9. It does so for "
               f"{real_share(family[0].run):.0%} of real test images.")
    for m in family:
        a, b = st.columns([1.2, 6], vertical_alignment="center")
        a.markdown(f"**{bf.beta_label(m.point.beta)}**  \n{prior_share(m.run):.0%} recognised")
        b.image(figs.image_row_png(cached.decodes(m.run, z), ncols=len(z),
                                   target_width=880))


family = vb.best_family(all_runs(), active)
if len({m.point.beta for m in family}) >= 3:
    family_section(family)
else:
    st.info("No family of runs that differ in β only (three betas or more) is here. The shipped "
            f"one is {vb.FAMILY_PREFIX}0 … 32 (`make shipped-runs`), or start a sweep above.")
