"""Latent space: every test image's posterior q(z|x) = N(mu, sigma^2), the prior, and q(z).

The page says which sections appear, in which order; each is drawn by ui.sections.latent."""
import streamlit as st

from ui.cache.runs import active_run, encode_test_set, require_model, run_dataset
from ui.sections import latent as section
from ui.forms.glossary import words_caption

st.title("Latent space")
words = st.empty()  # filled once the run's latent size says which views the page has
run = active_run()
model = require_model(run)
config, _ = run.read_config()
words.caption(words_caption(["mu-sigma", "q", "prior", "kl", "nats", "aggregate", "active"]
                            + (["pca", "tsne"] if config.latent_dim > 2 else ["knn"])))
data = run_dataset(run)
enc = encode_test_set(run)
n, d = enc["mu"].shape

section.intro(config.beta)
section.live_diagnosis(run, config.beta)  # follows a training run, like the KL chart below
section.plane_limit_box(run, data, d)
view = section.controls(section.latent_summary(enc["mu"], enc["std"]), n, d)
left, right = st.columns([3, 1], gap="medium")
selected = section.plane(left, run, model, data, enc, n, d, view)
with right:
    section.selection(model, data, enc, selected)
section.kl_section(run, config.beta)
