"""The VAE dashboard: navigation and the shared sidebar (which run is active).

`make run` starts it; every page reads the active run from ui.resources.active_run().
"""
import streamlit as st

from ui.resources import active_run, all_runs, set_active_run
from vae.runs import RunError

st.set_page_config(page_title="VAE dashboard", page_icon=":material/blur_on:", layout="wide")

PAGES = {
    "Explore": [
        st.Page("pages/latent.py", title="Latent space", icon=":material/scatter_plot:", default=True),
        st.Page("pages/reconstructions.py", title="Reconstructions", icon=":material/compare:"),
        st.Page("pages/generate.py", title="Generate", icon=":material/auto_awesome:"),
        st.Page("pages/draw.py", title="Draw a digit", icon=":material/draw:"),
    ],
    "Understand": [
        st.Page("pages/explain.py", title="What mu and sigma mean", icon=":material/school:"),
        st.Page("pages/replay.py", title="Replay a run", icon=":material/replay:"),
        st.Page("pages/rate_distortion.py", title="Rate and distortion", icon=":material/balance:"),
        st.Page("pages/presenter.py", title="Presenter mode", icon=":material/co_present:"),
    ],
    "Train": [
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/runs.py", title="Runs", icon=":material/folder_open:"),
    ],
}



def sidebar() -> None:
    runs = all_runs()
    with st.sidebar:
        if not runs:
            st.info("No runs yet: start one on the **Train** page.")
            return
        names = [r.name for r in runs]
        # a run with anything wrong (config, status, metrics) is listed as damaged, never hidden
        problems = {r.name: r.problems() for r in runs}
        states = {r.name: "damaged" if problems[r.name] else r.read_status().get("state", "new")
                  for r in runs}
        current = active_run()
        choice = st.selectbox(
            "Active run", names, index=names.index(current.name),
            format_func=lambda n: n if states[n] == "finished" else f"{n} · {states[n]}",
            help="Every page shows this run. It is kept in the URL, so a link reopens the same view.")
        set_active_run(choice)
        run = next(r for r in runs if r.name == choice)
        try:
            model_cfg, train_cfg = run.read_config()
        except RunError as exc:
            st.error(str(exc))
            return
        st.caption(f"{train_cfg.dataset} · {model_cfg.arch} {','.join(map(str, model_cfg.hidden))}"
                   f" · z={model_cfg.latent_dim} · β={model_cfg.beta:g} · {states[choice]}"
                   + (f" · {train_cfg.world_size} processes" if train_cfg.world_size > 1 else ""))
        for problem in problems[choice]:
            st.warning(problem, icon=":material/warning:")


page = st.navigation(PAGES)
sidebar()
page.run()
