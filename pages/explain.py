"""What mu and sigma mean: the seed's questions answered on the active run's own model.

The page says which sections appear, in which order; each is drawn by ui.sections.explain, whose
numbers come from vae.explain (cached in ui.cache.explain), its tables and sentences from
ui.forms.explain and its figures from ui.figures.explain.
"""
import streamlit as st

from ui.cache.runs import active_run, encode_test_set, require_model, run_dataset
from ui.forms import explain as sec
from ui.sections import explain as section
from ui.forms.glossary import words_caption

run = active_run()
st.title("What mu and sigma mean")
st.caption(words_caption(["mu-sigma", "eps", "rsample", "q", "p-z-given-x", "prior", "kl", "nats", "elbo", "log-px", "weights", "iwae", "bits-dim"]))
page = section.Page(run, require_model(run), run_dataset(run), encode_test_set(run))
st.markdown(sec.intro(run.name, page.latent_dim, page.beta))
section.diagram(page.beta)

# 1 · An input goes in, mu and sigma come out: every later section reads only `inp`
inp = section.pick_input(page)
section.mu_and_sigma(page, inp)
# 2 · z = mu + sigma · eps: "Sample eps" reruns its own fragment
summary, dims = section.latent_axes(page)
section.sampling(page, inp, dims)
# 3 · Why the reparameterization trick
grads = section.reparameterization(page, inp)
# 4 · The KL line, read term by term
split = section.kl_terms(page, inp)
# 5 · A KL calculator (a fragment)
section.kl_calculator(page, inp, dims)
# 6 · Why the prior matters
found = section.prior(page)
# 7 · The accounting: ELBO and IWAE (a fragment)
section.accounting(page, inp)
bound = section.lower_bound(page, inp)
# 8 · Drag z yourself
section.drag_z(page, inp, summary, dims)
# 9 · What you can now say
section.takeaways(split, grads, found, bound)
