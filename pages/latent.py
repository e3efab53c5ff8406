"""Latent space: every test image's posterior q(z|x) = N(mu, sigma^2), the prior, and q(z).

The page says which sections appear, in which order; each is drawn by ui.sections.latent. It needs
the model only for a selection or a drawing: its first view is drawn from the test set's encoding,
which is kept on disk per weights file (the dashboard's first page, drawn without PyTorch)."""
import streamlit as st

from ui.cache.runs import active_run, require_encoded, run_dataset, summary_of
from ui.sections import latent as section
from ui.forms.glossary import words_caption

st.title("Latent space")
words = st.empty()  # filled once the run's latent size says which views the page has
run = active_run()
enc = require_encoded(run)
config, _ = run.read_config()
words.caption(words_caption(["mu-sigma", "q", "prior", "kl", "nats", "aggregate", "active"]
                            + (["pca", "tsne"] if config.latent_dim > 2 else ["knn"])))
data = run_dataset(run)
n, d = enc["mu"].shape

section.intro(config.beta)
section.live_diagnosis(run, config.beta)  # follows a training run, like the KL chart below
section.plane_limit_box(run, data, d)


@st.fragment
def plane_and_selection() -> None:
    """The plane's controls, the plane and the selection beside it: a fragment, so a control, a
    click or a box on the plane reruns them, not the notes above or the KL chart below."""
    enc = require_encoded(run)  # anew: the run may have saved new weights since the page ran
    view = section.controls(summary_of(enc), n, d)
    left, right = st.columns([3, 1], gap="medium")
    selected = section.plane(left, run, config, data, enc, n, d, view)
    with right:
        section.selection(run, data, enc, selected)


plane_and_selection()
section.kl_section(run, config.beta)
