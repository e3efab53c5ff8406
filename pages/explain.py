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


def explained(run) -> section.Page:
    """The run and what every section reads of it (each cached per weights file)."""
    return section.Page(run, require_model(run), run_dataset(run), encode_test_set(run))


st.title("What mu and sigma mean")
st.caption(words_caption(["mu-sigma", "eps", "rsample", "q", "p-z-given-x", "prior", "kl", "nats", "elbo", "log-px", "weights", "iwae", "bits-dim"]))
run = active_run()  # dashboard.py has stopped the page where the chosen run is gone
page = explained(run)
st.markdown(sec.intro(page.run.name, page.latent_dim, page.beta))
section.diagram(page.beta)


@st.fragment
def sections() -> None:
    """§1 to §9: a fragment, so a new input (or a section opened) reruns them and not the title,
    the diagram and the sidebar above (bench/README.md, "A control reruns its section")."""
    # the page's run (a fragment's rerun skips dashboard.py's check that it still exists), its
    # model and codes read anew: its weights may have changed since the page was drawn
    page = explained(run)

    # 1 · An input goes in, mu and sigma come out: every later section reads only `inp`
    inp = section.pick_input(page)
    section.mu_and_sigma(page, inp)
    # 2 · z = mu + sigma · eps: "Sample eps" reruns its own fragment
    summary, dims = section.latent_axes(page)
    section.sampling(page, inp, dims)
    # 3-9 · each computed and drawn only while its expander is open
    section.steps_intro()
    with section.step(3) as open3:
        if open3.open:
            section.reparameterization(page, inp)
    with section.step(4) as open4:
        if open4.open:
            section.kl_terms(page, inp)
    with section.step(5) as open5:
        if open5.open:
            section.kl_calculator(page, inp, dims)  # a fragment
    with section.step(6) as open6:
        if open6.open:
            section.prior(page)
    with section.step(7) as open7:
        if open7.open:
            section.accounting(page, inp)  # a fragment
            section.lower_bound(page, inp)
    with section.step(8) as open8:
        if open8.open:
            section.drag_z(page, inp, summary, dims)
    with section.step(9) as open9:
        if open9.open:
            section.takeaways(page, inp)


sections()
