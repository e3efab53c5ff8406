"""The VAE dashboard: navigation and the shared sidebar (which run is active).

`make run` starts it; every page reads the active run from ui.cache.runs.active_run().
"""
from pathlib import Path

import streamlit as st

from ui.serve import bound_session_uploads, refuse_cross_origin_websockets
from ui.warm import PLOTLY_FIRST_USE, after_first_page

# `make run` (ui.serve) does this before the server starts; a bare `streamlit run dashboard.py`
# gets it from its first script run on.
refuse_cross_origin_websockets()
bound_session_uploads()

# The icon is a file served by this server: a ":material/..." icon makes the browser fetch the
# favicon from fonts.gstatic.com, and nothing may come from outside 127.0.0.1.
st.set_page_config(page_title="VAE dashboard", layout="wide",
                   page_icon=str(Path(__file__).resolve().parent / "ui" / "assets" / "page_icon.png"))

# Streamlit's browser code fetches and compiles Plotly (a 4.7 MB script: a second of a 2-core
# machine) only when a page first shows a chart. An empty chart as every run's first element, drawn
# out of sight (not display: none, which Plotly would not draw), starts that while this server
# imports PyTorch and encodes the test set, not after. It is there on every run, the same, so the
# elements after it keep their places (an element that moves is rebuilt: expanders would close).
with st.container(key="plotly_preload"):
    st.html("<style>.st-key-plotly_preload { position: absolute; width: 200px; height: 0; "
            "overflow: hidden; }</style>")
    with PLOTLY_FIRST_USE:
        st.plotly_chart({"data": [{"type": "scatter", "x": [0], "y": [0]}], "layout": {"height": 10}},
                        key="plotly_preload_chart", config={"displayModeBar": False})

# A fresh server's first visitor waits for the dashboard's modules to import (a second or more on
# a busy machine; PyTorch too where the first page must load its model): say so rather than show
# grey boxes. Later runs find the modules imported and show nothing.
with st.spinner("Starting up: loading the dashboard's code…"):
    from ui.cache.runs import (active_run, all_runs, missing_run, picked_run,  # noqa: E402
                              run_problems, run_status, runs_root, set_active_run)
    from ui.forms.draw import draw_title  # noqa: E402
    from ui.forms.text import code, plain  # noqa: E402
    from vae.launch import pending_launches  # noqa: E402
    from vae.run import RunError  # noqa: E402



def active_dataset() -> str | None:
    """The active run's dataset, for page titles that name what its images are."""
    try:
        run = active_run()
        return run.read_config()[1].dataset if run is not None and run.path.exists() else None
    except RunError:
        return None


PAGES = {
    "Explore": [
        st.Page("pages/latent.py", title="Latent space", icon=":material/scatter_plot:", default=True),
        st.Page("pages/reconstructions.py", title="Reconstructions", icon=":material/compare:"),
        st.Page("pages/generate.py", title="Generate", icon=":material/auto_awesome:"),
        st.Page("pages/draw.py", title=draw_title(active_dataset()), icon=":material/draw:",
                url_path="draw"),
    ],
    "Understand": [
        st.Page("pages/explain.py", title="What mu and sigma mean", icon=":material/school:"),
        st.Page("pages/replay.py", title="Replay a run", icon=":material/replay:"),
        st.Page("pages/rate_distortion.py", title="Rate and distortion", icon=":material/balance:"),
        st.Page("pages/presenter.py", title="Presenter mode", icon=":material/co_present:"),
        st.Page("pages/glossary.py", title="Glossary", icon=":material/menu_book:"),
    ],
    "Train": [
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/runs.py", title="Runs", icon=":material/folder_open:"),
        st.Page("pages/compare.py", title="Compare two models", icon=":material/difference:"),
    ],
}



RUN_BOX = "sidebar_active_run"  # the sidebar's "Active run" box


def sidebar() -> None:
    runs = all_runs()
    with st.sidebar:
        if not runs:
            st.info("No runs yet: start one on the **Train** page.")
            return
        names = [r.name for r in runs]
        # a run with anything wrong (config, status, metrics) is listed as damaged, never hidden
        problems = {r.name: run_problems(r) for r in runs}
        states = {r.name: "damaged" if problems[r.name] else run_status(r).get("state", "new")
                  for r in runs}
        for r in pending_launches(runs_root()):  # launched here, its folder not written yet
            if r.name not in states:
                names.append(r.name)
                runs.append(r)
                problems[r.name], states[r.name] = [], run_status(r).get("state", "starting")
        current = active_run()
        # A key makes the box one widget across reruns. Without it Streamlit identified the box
        # by its options' labels and index, so when a run's state word changed between two
        # reruns, a run picked by hand was dropped for the old one. The box follows the active
        # run however it was chosen (a link, a button on a page); a pick in the box sets the
        # active run before the script reruns.
        if st.session_state.get(RUN_BOX) != current.name:
            st.session_state[RUN_BOX] = current.name
        choice = picked_run(st.selectbox(
            "Active run", names, key=RUN_BOX,
            on_change=lambda: set_active_run(picked_run(st.session_state[RUN_BOX])),
            format_func=lambda n: n if states[n] == "finished" else f"{n} · {states[n]}",
            help="Every page shows this run. It is kept in the URL, so a link reopens the same view."))
        set_active_run(choice)
        run = next(r for r in runs if r.name == choice)
        if not run.path.exists():
            st.caption(f"{plain(states[choice])}: its trainer has not written the run's folder yet")
            return
        try:
            model_cfg, train_cfg = run.read_config()
        except RunError as exc:
            st.error(plain(exc))
            return
        st.caption(plain(f"{train_cfg.dataset} · {model_cfg.arch} "
                         f"{','.join(map(str, model_cfg.hidden))} · z={model_cfg.latent_dim} · "
                         f"β={model_cfg.beta:g} · {states[choice]}"
                         + (f" · {train_cfg.world_size} processes" if train_cfg.world_size > 1
                            else "")))
        for problem in problems[choice]:
            st.warning(plain(problem), icon=":material/warning:")


def no_such_run(name: str) -> None:
    """?run= (or this session's choice) names no run: say so and offer the runs that exist,
    rather than quietly showing another run under the name that was asked for."""
    st.error(f"There is no run named **{plain(name)}** in {code(runs_root())}: it may have been deleted or "
             "renamed, or the link has a typo.", icon=":material/search_off:")
    st.markdown("Open one of the runs that exist:")
    for r in all_runs():
        if st.button(r.name, key=f"open_run_{r.name}", icon=":material/folder_open:"):
            set_active_run(r.name)
            st.rerun()


page = st.navigation(PAGES)
missing = missing_run()
if missing is not None:
    no_such_run(missing)
    st.stop()
sidebar()
page.run()
after_first_page()  # then scikit-learn, for the pages that read images with a classifier
