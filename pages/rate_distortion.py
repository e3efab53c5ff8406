"""Rate and distortion: every run as a point (KL, reconstruction) coloured by beta; a beta sweep."""
import time

import streamlit as st

from ui import explain_figures as figs
from ui.resources import active_run, all_runs, runs_root
from vae import explain as ex
from vae.runs import RunError

SWEEP_BETAS = [0.0, 0.1, 0.3, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
REFRESH_S = 2.0

st.title("Rate and distortion")
st.markdown("The loss is **reconstruction + beta · KL**. The KL is the *rate*: how many nats the "
            "code carries about x beyond the prior. The reconstruction term is the *distortion*: "
            "how badly x comes back. Beta chooses the trade: every run lands at one point of "
            "this plane. Low beta buys sharp reconstructions with codes far from N(0, I); high "
            "beta pushes q(z|x) onto the prior until the code says nothing about x at all "
            "(**posterior collapse**: KL near zero, reconstructions all alike).")

active = active_run()
if active is None:
    st.info("There are no runs yet. Start one on the **Train** page, or a beta sweep below.")
sweep = st.session_state.get("rd_sweep", [])


def _sweep_states() -> dict[str, str]:
    runs = {r.name: r for r in all_runs()}
    return {n: runs[n].read_status().get("state", "new") if n in runs else "missing" for n in sweep}


with st.expander("Run a beta sweep: several short runs, one click", expanded=not sweep):
    st.caption("Each beta trains its own MNIST-5k model with a 2-D latent and a 256-unit MLP (the "
               "shipped mnist5k-2d's shape), all at once, as separate trainer processes. Each "
               "point appears on the plane as its run finishes an epoch.")
    f1, f2 = st.columns([3, 1])
    betas = f1.multiselect("Betas", SWEEP_BETAS, default=[0.1, 1.0, 4.0, 16.0],
                           format_func=lambda b: f"{b:g}", key="rd_betas")
    epochs = f2.number_input("Epochs each", 1, 30, 4, key="rd_epochs")
    if st.button("Start the sweep", icon=":material/play_arrow:", type="primary",
                 key="rd_start", disabled=not betas):
        stamp = time.strftime("%m%d-%H%M%S")
        try:
            started = ex.launch_beta_sweep(runs_root(), sorted(betas), int(epochs), stamp)
        except RunError as exc:
            st.error(f"The sweep could not start: {exc}")
        else:
            st.session_state["rd_sweep"] = sweep = [r.name for r in started]
            st.success(f"Started {len(started)} runs: {', '.join(sweep)}.")

running = any(s in ("running", "new") for s in _sweep_states().values())


@st.fragment(run_every=REFRESH_S if running else None)
def plane() -> None:
    states = _sweep_states()
    if sweep:
        done = sum(s == "finished" for s in states.values())
        st.progress(done / len(states), text=f"Sweep: {done} of {len(states)} runs finished"
                    + ("; the plane refreshes every few seconds" if done < len(states) else ""))
        failed = [n for n, s in states.items() if s in ("failed", "missing", "interrupted")]
        if failed:
            st.error(f"These sweep runs did not finish: {', '.join(failed)}. Their folders keep "
                     "the trainer's message (see the **Runs** page).")
    points = [p for p in (ex.run_point(r) for r in all_runs()) if p is not None]
    if not points:
        st.info("No run has finished an epoch yet, so the plane is empty. Start a beta sweep "
                "above, or train a run on the **Train** page.")
        if running and not any(s in ("running", "new") for s in states.values()):
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
        st.warning("**Posterior collapse** in " + ", ".join(
            f"**{p.name}** (beta {p.beta:g}: KL {p.kl:.2f} nats, {p.active_units} of "
            f"{p.latent_dim} active units)" for p in collapsed)
            + ". Their encoders ignore x: q(z|x) is the prior for every input, so every "
              "reconstruction is the same average image.", icon=":material/warning:")
    partial = [p for p in shown if not p.collapsed and p.active_units < p.latent_dim]
    if partial:
        st.info("Some latent dims are unused (their mu does not move with x): " + ", ".join(
            f"{p.name} uses {p.active_units} of {p.latent_dim}" for p in partial) + ".")
    st.dataframe(
        [{"run": p.name, "beta": p.beta, "latent dim": p.latent_dim, "epoch": p.epoch,
          "KL (rate), nats": round(p.kl, 3), "reconstruction (distortion), nats": round(p.recon, 2),
          "-ELBO, nats": round(p.kl + p.recon, 2), "active units": p.active_units,
          "collapsed": "yes" if p.collapsed else ""} for p in sorted(shown, key=lambda p: p.beta)],
        hide_index=True)
    if running and not any(s in ("running", "new") for s in states.values()):
        st.rerun(scope="app")  # the sweep is over: stop refreshing


plane()
