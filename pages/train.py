"""Train: start a run as its own process, watch it live, stop or resume it.

The form, its start and the live view are drawn by ui.sections.train, with the form's checks and
words from ui.forms.train.
"""
import streamlit as st

from ui.cache.runs import active_run, all_runs, is_training, live_runs_table, runs_root
from ui.sections import train as section
from ui.forms.glossary import words_caption
from vae.launch import pending_launches

st.title("Train")
st.caption(words_caption(["elbo", "kl", "beta", "nats", "active"]))
runs = all_runs()

form = section.new_run_form(runs)
section.start_run(form, runs)  # a started run reruns the page with its notes
for note in st.session_state.pop(section.NOTES_KEY, []):
    st.info(note)

if not runs and not pending_launches(runs_root()):
    st.info("No runs yet. Fill in the form above and press **Start training**; the run trains in "
            "its own process and this page follows it live.")
    st.stop()

run = active_run()
training = is_training(run)
if training:
    # Only the live parts (st.fragment) rerun every second, but Streamlit's toolbar shows its own
    # "Stop" while any of them runs: beside this page's Stop, it would flash on every refresh.
    st.html("<style>[data-testid=stStatusWidget] { visibility: hidden; }</style>")


def run_section() -> None:
    st.subheader(f"Run {run.name}")
    st.caption("Pick another run in the sidebar. Curves refresh every second while it trains; "
               "closing the tab or restarting the dashboard does not stop it.")
    section.follow(run)


if training:  # its progress right under the form that started it, where the eye is
    run_section()
    live_runs_table(runs, with_pending=True)
else:
    live_runs_table(runs, with_pending=True)
    run_section()
