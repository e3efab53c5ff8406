"""The sections of "What mu and sigma mean", each drawn with st.* calls, in the page's order.

A section reads the run (`Page`) and the picked input (`Input`) and returns what a later section
needs. The numbers come from vae.explain (cached in ui.cache.explain), the tables and sentences
from ui.forms.explain, the figures from ui.figures.explain: what is left here is layout, widgets
and the session state they keep.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui.background import result_or_progress
from ui.cache import explain as cached
from ui.cache.quality import prior_share
from ui.cache.runs import all_runs, dataset_key, encode_test_set, summary_of
from ui.components.decoder import latent_explorer, runs_in_browser, set_explorer_z
from ui.components.draw import drawn_id, drawn_input, drawn_source
from ui.components.z_cloud import mu_sigma_bars, z_cloud
from ui.components import kl_calculator as calculator
from ui.figures import explain as figs
from ui.forms import explain as sec
from ui.forms.text import plain
from ui.style import export_config, table_height
from vae import betas as vb
from vae import explain as ex
from vae.data import Dataset
from vae.model import VAE
from vae.run import RunDir

FIRST_DRAWS = 20  # drawn on arrival, so "z scatters" is on screen before any click
EPS_SEED_STEP = 1000  # test image i's first eps come from seed 1000 * i: each input its own draws


@dataclass(frozen=True)
class Page:
    """The active run and what every section reads from it."""
    run: RunDir
    model: VAE
    data: Dataset
    enc: dict  # the test set's codes (ui.cache.runs.encode_test_set)

    @property
    def latent_dim(self) -> int:
        return self.model.config.latent_dim

    @property
    def beta(self) -> float:
        return self.model.config.beta

    @property
    def names(self) -> list[str]:
        return self.data.class_names


@dataclass(frozen=True)
class Input:
    """The image the sections explain, and its q(z|x)."""
    x: np.ndarray
    index: int  # a test index, or drawn_id() for a drawing
    caption: str
    mu: np.ndarray
    sigma: np.ndarray
    label: int  # its class: the test label, or the pixel classifier's reading of a drawing


@dataclass(frozen=True)
class Prior:
    """What §6 found, for §9: coverage per run (measured on the plane only), the VAE and the
    autoencoder shown (None where missing) and the beta family."""
    coverage: dict[str, float]
    vae_run: RunDir | None
    ae_run: RunDir | None
    family: list[vb.RunPoint]


def table(frame, **kw) -> None:
    """Every row in view (16 dims, or the β family's nine runs): a row below a scroll bar is a row
    a reader never sees, and a sentence above may name it."""
    st.dataframe(frame, hide_index=True, height=table_height(len(frame)), **kw)


# ----------------------------------------------------------------------------- 1 · pick an input
def diagram(beta: float = 1.0) -> None:
    """The whole model in one picture, before any number: what is computed, what is drawn, and
    where each term of the loss comes from (this run's β weighs the KL)."""
    st.plotly_chart(cached.diagram_figure(beta), key="vae_diagram",
                    config={"displayModeBar": False, "staticPlot": True})
    loss = ("the loss adds the reconstruction term and the KL term" if beta == 1 else
            "this run was trained on the reconstruction term alone (β = 0: a plain autoencoder; "
            "the KL is still measured, and §4 reads it)" if beta == 0 else
            f"this run's loss adds the reconstruction term and {beta:g} times the KL term")
    st.caption(f"The encoder computes μ and σ; the only random part is ε; {loss}. Words you may "
               "not know are in the [Glossary](glossary).")


def pick_input(page: Page) -> Input:
    """§1's pickers: one test image by class and example (or a click on §2's scatter), or the
    Draw page's input. Every later section reads only the Input returned."""
    enc, names = page.enc, page.names
    by_class = sec.examples_by_class(enc["labels"], len(names))

    def random_input() -> None:
        st.session_state["explain_draws"] = st.session_state.get("explain_draws", 0) + 1
        draws = st.session_state["explain_draws"]
        _select(page, int(np.random.default_rng(draws).integers(len(enc["mu"]))))

    st.header("1 · An input goes in, mu and sigma come out")
    if "explain_class" not in st.session_state:
        # Open on an input whose first draws (§2) all decode to its own class, so the first
        # picture a newcomer sees is the typical case; other inputs say what they show
        _select(page, cached.faithful_input(page.run, FIRST_DRAWS, seed=0,
                                            seed_step=EPS_SEED_STEP))
    c1, c2, c3 = st.columns([2, 2, 1.4], vertical_alignment="bottom")
    cls = c1.selectbox("Class", list(by_class), format_func=lambda c: names[c],
                       key="explain_class")
    nth = c2.number_input(f"Example of this class (1 to {len(by_class[cls])})", 1,
                          len(by_class[cls]), key="explain_nth")
    c3.button("Random input", icon=":material/casino:", on_click=random_input,
              key="explain_random", use_container_width=True)
    index = int(by_class[cls][min(nth, len(by_class[cls])) - 1])
    x, label = page.data.test_x[index], int(page.data.test_y[index])
    caption = sec.test_image_caption(index, names[label])
    drawn = drawn_input(page.model.config.image_shape)  # kept by the Draw page
    if drawn is not None and st.toggle(f"Use {plain(drawn_source())} instead", key="explain_use_drawn",
                                       help="The input you drew or uploaded on the Draw page."):
        x, index, caption = drawn, drawn_id(drawn), drawn_source()
        label = int(cached.classes_of(page.run, x[None])[0])
    mu, sigma = ex.encode_one(page.model, x)
    return Input(x, index, caption, mu, sigma, label)


def _select(page: Page, index: int) -> None:
    """Set §1's pickers to test image `index`: the next run shows it."""
    by_class = sec.examples_by_class(page.enc["labels"], len(page.names))
    cls, nth = sec.class_and_nth(by_class, page.enc["labels"], index)
    st.session_state["explain_class"], st.session_state["explain_nth"] = cls, nth


def mu_and_sigma(page: Page, inp: Input) -> None:
    """§1's answer: the input, mu and sigma, and proof that encoding again changes nothing."""
    left, right = st.columns([1, 2.4])
    with left:
        st.image(figs.image_row_png(inp.x[None], target_width=168, max_scale=6),
                 caption=inp.caption, output_format="PNG")
        _encode_again(page, inp)
    with right:
        mu_sigma_bars(figs.mu_sigma_view(inp.mu, inp.sigma), key="explain_mu_sigma",
                      run_name=page.run.name)
        table(sec.mu_sigma_table(inp.mu, inp.sigma))
    st.markdown("**mu and sigma are not random.** They are the encoder network's two outputs for "
                "this x: the centre and the width of a Gaussian **q(z|x) = N(mu, sigma²)** over "
                "codes. The only randomness in a VAE enters in the next step.")


@st.fragment
def _encode_again(page: Page, inp: Input) -> None:
    """A fragment: "Encode again" runs the encoder once more and says how far the numbers moved
    (they do not), rerunning this button and its sentence alone."""
    if st.button("Encode again", icon=":material/refresh:", key="explain_encode_again",
                 help="Run the encoder on the same image once more."):
        again_mu, again_sigma = ex.encode_one(page.model, inp.x)
        diff = float(max(np.abs(again_mu - inp.mu).max(), np.abs(again_sigma - inp.sigma).max()))
        st.session_state["explain_again"] = sec.encoded_again(
            st.session_state.get("explain_again"), inp.index, diff)
    again = st.session_state.get("explain_again")
    if again and again["index"] == inp.index:
        st.success(sec.encoded_again_sentence(again))


# ---------------------------------------------------------------------- 2 · sample eps, move z
def latent_axes(page: Page):
    """§2's heading and the two dims its planes show (pickers above two dims). Returns (the test
    set's latent summary, dims)."""
    st.header("2 · z = mu + sigma · eps: the random part")
    D = page.latent_dim
    summary = summary_of(page.enc)
    default_dims = ex.top_dims(summary.kl_per_dim)
    if D > 2:
        d1, d2 = st.columns(2)
        ax = d1.selectbox("Horizontal axis", range(D), index=default_dims[0],
                          format_func=lambda d: f"z{d}", key="explain_dim_a")
        ay = d2.selectbox("Vertical axis", range(D), index=default_dims[1],
                          format_func=lambda d: f"z{d}", key="explain_dim_b")
        return summary, (ax, ay)
    return summary, ((0, 1) if D == 2 else (0, 0))


def sampling(page: Page, inp: Input, dims) -> None:
    """§2: eps drawn on demand, z = mu + sigma · eps on the plane and decoded. A new input (or
    run) starts again from FIRST_DRAWS draws.

    The page draws the scatter of every test image's mu (it does not change while eps are drawn,
    and a click on it picks a new input: a page rerun); the fragment draws everything else, into
    the containers around it, so "Sample eps" resends only the zoom (numbers for the z-cloud
    component, not a figure), the images and the table."""
    eps_key = (page.run.name, inp.index)
    if st.session_state.get("explain_eps_for") != eps_key:
        st.session_state["explain_eps_for"] = eps_key
        st.session_state["explain_eps"] = ex.draw_eps(FIRST_DRAWS, page.latent_dim,
                                                      seed=EPS_SEED_STEP * inp.index)
        st.session_state["explain_eps_seed"] = 0
    controls = st.container()
    if page.latent_dim >= 2:
        v1, v2 = st.columns(2)
        with v1:
            _scatter(page, inp, dims)
    else:
        v2 = st.container()
    _sampling_fragment(page, inp, dims, controls, v2, st.container())


def _scatter(page: Page, inp: Input, dims) -> None:
    """Every test image's mu, and this input's q(z|x): a click on a point picks that image. Drawn
    by the z-cloud component from numbers, so a new input redraws its mark in place."""
    def picked(index: int) -> None:
        if 0 <= index < len(page.enc["mu"]):
            _select(page, index)

    z_cloud(cached.full_view(page.run, inp.mu, inp.sigma, dims,
                             title="Every test image's mu: click one to pick it"),
            key="explain_scatter", run_name=page.run.name, figure="latent", on_pick=picked)


@st.fragment
def _sampling_fragment(page: Page, inp: Input, dims, controls, plane, below) -> None:
    """A fragment: "Sample eps" reruns this section alone, not the page, so a click answers at
    once. It writes the controls, the zoomed plane and the decodes into the page's containers
    (`controls`, `plane` beside the scatter, `below`)."""
    D, enc, names, mu, sigma = page.latent_dim, page.enc, page.names, inp.mu, inp.sigma

    def sample_eps() -> None:
        st.session_state["explain_eps_seed"] += 1
        new = ex.draw_eps(st.session_state["explain_n_eps"], D,
                          seed=EPS_SEED_STEP * inp.index + st.session_state["explain_eps_seed"])
        st.session_state["explain_eps"] = np.concatenate([st.session_state["explain_eps"], new])

    def clear_eps() -> None:
        st.session_state["explain_eps"] = np.zeros((0, D))

    with controls:
        s1, s2, s3 = st.columns([2, 1, 1], vertical_alignment="bottom")
        s1.select_slider("eps draws per click", [1, 5, 20, 100, 500], value=20,
                         key="explain_n_eps")
        s2.button("Sample eps", icon=":material/casino:", type="primary", on_click=sample_eps,
                  key="explain_sample", use_container_width=True)
        s3.button("Clear samples", on_click=clear_eps, use_container_width=True,
                  key="explain_clear")
    eps = st.session_state["explain_eps"]
    z = ex.reparameterize(mu, sigma, eps) if len(eps) else np.zeros((0, D))

    if D >= 2:
        xr, yr = figs.zoom_ranges(mu, sigma, z, dims)
        with plane:
            z_cloud(figs.zoom_view(enc["mu"], enc["labels"], dims=dims, mu=mu, sigma=sigma, z=z,
                                   x_range=xr, y_range=yr,
                                   title=f"Zoomed on q(z|x): mu stays, {len(z)} z scatter"),
                    key="explain_zoom", run_name=page.run.name)
    with below:
        if len(z):
            shown = z[-16:]
            images = cached.decodes(page.run, shown)
            st.image(figs.image_row_png(images, ncols=len(shown), target_width=900),
                     width=min(900, 56 * len(shown)),
                     caption=f"The decoder's image for the last {len(shown)} z drawn: "
                             + sec.decodes_sentence(inp.label,
                                                    cached.classes_of(page.run, images),
                                                    names) + ".", output_format="PNG")
            table(sec.z_samples_table(mu, sigma, z, eps))
            st.caption(f"{len(z)} z drawn. Over many draws their mean approaches mu and their "
                       "spread approaches sigma: z ~ N(mu, sigma²).")
        else:
            st.info("Press **Sample eps** to draw eps ~ N(0, I) and place z = mu + sigma · eps "
                    "around mu.")


# ------------------------------------------------------------------ sections drawn when opened
STEPS = {3: "3 · Why z = mu + sigma · eps, and not “draw z from N(mu, sigma²)”",
         4: "4 · The KL line, read term by term",
         5: "5 · A KL calculator",
         6: "6 · Why the prior matters: generating means sampling N(0, I)",
         7: "7 · The accounting: two lower bounds on log p(x)",
         8: "8 · Drag z yourself",
         9: "9 · What you can now say"}


def step_key(number: int) -> str:
    return f"explain_step_{number}"


def steps_intro() -> None:
    """The line above §3-§9, and a button that opens them all (or, once all are open, closes
    them)."""
    every_open = all(st.session_state.get(step_key(n)) for n in STEPS)

    def set_all() -> None:
        for number in STEPS:
            st.session_state[step_key(number)] = not every_open

    t1, t2 = st.columns([3, 1], vertical_alignment="center")
    t1.markdown("**Sections 3 to 9** go on from this input. Each is computed and drawn when you "
                "open it; the button " + ("closes them all." if every_open else "opens them all."))
    t2.button("Close every section" if every_open else "Open every section",
              icon=":material/unfold_less:" if every_open else ":material/unfold_more:",
              on_click=set_all, key="explain_open_all", use_container_width=True)


def step(number: int):
    """Section `number` as an expander that reruns the page when opened or closed: the page
    computes and draws what is inside only while it is open (`.open`), so a visit draws §1 and
    §2 and the closed titles (bench/README.md, "How fast the dashboard answers")."""
    return st.expander(f"**{STEPS[number]}**", key=step_key(number), on_change="rerun")


# ------------------------------------------------------------- 3 · why the reparameterization trick
def reparameterization(page: Page, inp: Input) -> ex.ReparamGradients:
    """§3: the gradients that reach mu and sigma through sample() and through rsample()."""
    grads = cached.gradients(page.run, inp.x, seed=inp.index)
    st.markdown(f"Training must move mu and sigma to lower the loss L = −log p(x|z), so it needs "
                f"dL/dmu and dL/dsigma. One z for this input, drawn both ways from the same seed "
                f"(the same z, the same L = {grads.loss:.2f} nats); only how z was made differs:")
    table(sec.gradient_table(grads), column_config={
        c: st.column_config.NumberColumn(format="%.4g") for c in
        ("eps", "z = mu + sigma·eps", "dL/dz", "rsample(): dL/dmu", "rsample(): dL/dsigma")})
    st.markdown(sec.gradient_sentence(grads))
    return grads


# ------------------------------------------------------------------------ 4 · the KL, term by term
def kl_terms(page: Page, inp: Input) -> ex.KLSplit:
    """§4: the seed's kl_loss line read term by term on this input. Returns the KL's split."""
    st.markdown("Under an answer to that question, the learner asked:")
    st.markdown("> " + sec.SEED_FOLLOW_UP)
    st.markdown("In that line `z_mean` is mu and `z_log_sigma` is **log sigma²** (a "
                "log-variance):")
    st.latex(r"\mathrm{KL}\big(\mathcal N(\mu,\sigma^2)\,\|\,\mathcal N(0,1)\big)"
             r" = -\tfrac12\big(1 + \ln\sigma^2 - \mu^2 - \sigma^2\big)"
             r" = \underbrace{\tfrac{\mu^2}{2}}_{\text{mean penalty}}"
             r" + \underbrace{\tfrac{\sigma^2 - 1 - \ln\sigma^2}{2}}_{\text{width penalty}}")
    st.markdown("No: it does **not** compare mu with sigma. It compares the whole Gaussian q(z|x) "
                "with the prior N(0, 1), one dim at a time: the mean penalty is zero only when "
                "mu = 0, the width penalty only when sigma = 1. The `mean(..., axis=-1)` averages "
                "over dims, which rescales the loss by 1/D; the KL itself is the **sum** over "
                "dims, as below.")
    split = ex.kl_split(inp.mu, inp.sigma)
    table(sec.kl_terms_table(inp.mu, inp.sigma))
    t1, t2 = st.columns([1, 1.4])
    with t1:
        engine_kl = float(ex.posterior_kl(page.model, inp.x).sum())
        st.markdown(f"Each row: the four terms inside the bracket, their sum, and that sum times "
                    f"-0.5, which is the dim's KL. Sum over dims: **{split.total:.4f} nats**; the "
                    f"engine's `Posterior.kl()` gives **{engine_kl:.4f} nats** for this input.")
        st.markdown("A dim whose mu sits far from 0 pays the blue **mean penalty**; a dim whose "
                    "sigma is far from 1 (usually much narrower: the code is precise) pays the "
                    "red **width penalty**.")
        note = sec.kl_not_trained_note(page.run.name, page.beta, split.total)
        if note:
            st.info(note)
    with t2:
        st.plotly_chart(figs.kl_split_figure(split.mean_penalty, split.width_penalty),
                        theme="streamlit", key="explain_kl_bars",
                        config=export_config(page.run.name, "kl-terms"))
    return split


# ----------------------------------------------------------------------------- 5 · KL calculator
@st.fragment
def kl_calculator(page: Page, inp: Input, dims) -> None:
    """§5: the KL of any N(mu, sigma²) against N(0, 1), computed in the browser while dragging."""
    run_name, index, dim = page.run.name, inp.index, dims[0]

    def from_input() -> None:
        m, s = float(inp.mu[dim]), float(inp.sigma[dim])
        start_mu, start_sigma, outside = sec.calculator_start(m, s)
        calculator.set_calculator("explain_calc", start_mu, start_sigma)
        st.session_state["explain_calc_clipped"] = (m, s, run_name, index, dim) if outside else None

    st.markdown("KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 1 − ln σ²), per dim. Drag μ and σ: the "
                "numbers and both densities follow as you drag, computed in your browser.")
    calculator.kl_calculator("explain_calc", mu=1.0, sigma=0.5, mu_range=sec.CALC_MU_RANGE,
                             sigma_range=sec.CALC_SIGMA_RANGE)
    st.button(f"Start from this input's z{dim}", on_click=from_input, key="explain_calc_from_input")
    clipped = st.session_state.get("explain_calc_clipped")
    if clipped and clipped[2:] == (run_name, index, dim):  # said for this input only
        st.caption(sec.clipped_caption(dim, clipped[0], clipped[1]))
    st.caption("Move mu away from 0 and the mean penalty grows; shrink sigma toward 0 (a sure, "
               "pin-point code) and the width penalty grows without bound. Only q = N(0, 1) costs "
               "nothing, and it tells the decoder nothing about x: the loss trades the two.")


# --------------------------------------------------------------------------- 6 · why the prior
def prior(page: Page) -> Prior:
    """§6: the same prior samples decoded by this run and its counterpart (its autoencoder if it
    is a VAE, its VAE if not), the aggregate posteriors, and the beta family when there is one."""
    run, beta, D = page.run, page.beta, page.latent_dim
    runs, other, kinds = _counterpart(page)
    p1, p2 = st.columns([1, 3], vertical_alignment="bottom")
    prior_seed = p1.number_input("Prior sample seed", 0, 10_000, 0, key="explain_prior_seed")
    if other is not None:
        p2.caption("The same z ~ N(0, I) go into both decoders.")
    z_prior, prior_imgs = cached.prior_decodes(run, 24, prior_seed)
    a1, a2 = st.columns(2)
    with a1:
        st.subheader(sec.model_title(kinds[run.name], run.name, beta))
        st.image(figs.image_row_png(prior_imgs, ncols=8, target_width=520),
                 caption=sec.recognised_caption(prior_share(run)), output_format="PNG")
    with a2:
        if other is None:
            st.info(sec.no_counterpart_note(beta))
        else:
            st.subheader(sec.model_title(kinds[other.name], other.name,
                                         other.read_config()[0].beta))
            st.image(figs.image_row_png(cached.decodes(other, z_prior), ncols=8,
                                        target_width=520),
                     caption=sec.recognised_caption(prior_share(other)), output_format="PNG")
    compared = _compared(run, other, kinds)
    coverage = _coverage(compared, D)
    st.markdown(sec.aggregate_posterior_intro(
        sec.coverage_sentence([(n, kinds[n], c) for n, c in coverage.items()],
                              cached.COVERAGE_SAMPLES) if coverage else ""))
    grid = cached.aggregate_grid(*compared)
    densities = {f"{r.name} ({kinds[r.name]})": cached.aggregate_posterior(r, grid)
                 for r in compared}
    st.plotly_chart(figs.aggregate_posterior_figure(grid, densities, ex.normal_pdf(grid),
                                                    dims=list(range(min(D, 16)))),
                    theme="streamlit", key="explain_aggregate",
                    config=export_config(page.run.name, "aggregate-posterior"))
    vae_run, ae_run = _vae_and_ae(page, other)
    if vae_run is not None and ae_run is not None:
        ae_enc = encode_test_set(ae_run)
        st.caption(sec.prior_comparison_sentence(
            coverage.get(vae_run.name), coverage.get(ae_run.name),
            float(np.median(ae_enc["std"])), float(np.percentile(np.abs(ae_enc["mu"]), 99)),
            prior_share(vae_run), prior_share(ae_run)))
    family = _family(page, runs)
    if family:
        st.subheader("What beta does")
        st.markdown(sec.beta_family_intro(family, D))
        table(sec.beta_table(family).assign(open=[f"./explain?run={p.name}" for p in family]),
              column_config={"open": st.column_config.LinkColumn(
                  display_text="open on this page")})
    return Prior(coverage, vae_run, ae_run, family)


def _counterpart(page: Page):
    """(every run, the run §6 sets beside this one: its autoencoder if it is a VAE, its VAE if
    not, or None; each one's kind by name)."""
    runs = all_runs()
    other = (vb.find_autoencoder(runs, page.run) if page.beta > 0
             else vb.find_vae(runs, page.run))
    return runs, other, sec.model_kinds(page.run.name, page.beta,
                                        None if other is None else other.name)


def _vae_and_ae(page: Page, other: RunDir | None) -> tuple[RunDir | None, RunDir | None]:
    return (page.run, other) if page.beta > 0 else (other, page.run)


def _compared(run: RunDir, other: RunDir | None, kinds: dict) -> list[RunDir]:
    # The VAE first, so it keeps one colour in the density plot whichever run is active
    return sorted([run] if other is None else [run, other], key=lambda r: kinds[r.name] != "VAE")


def _coverage(compared: list[RunDir], latent_dim: int) -> dict[str, float]:
    # Coverage on the plane only: above two dims 1,000s of test codes cannot fill the prior's
    # volume, so even a good VAE would read as "holes".
    return {r.name: cached.prior_coverage(r) for r in compared} if latent_dim <= 2 else {}


def _family(page: Page, runs: list[RunDir]) -> list[vb.RunPoint]:
    return sec.beta_family_for(cached.run_points(runs), page.run.read_config()[1].dataset,
                               page.latent_dim)


def prior_facts(page: Page) -> Prior:
    """What §6 finds, without drawing it (for §9 when §6 is closed): the same cached numbers."""
    runs, other, kinds = _counterpart(page)
    vae_run, ae_run = _vae_and_ae(page, other)
    return Prior(_coverage(_compared(page.run, other, kinds), page.latent_dim), vae_run, ae_run,
                 _family(page, runs))


# ------------------------------------------------------------------------------ 7 · accounting
SCOPES = {"This input": "input",
          f"{cached.ACCOUNTING_SAMPLE} test images (stratified sample)": "sample"}


@st.fragment
def accounting(page: Page, inp: Input) -> None:
    """§7: the ELBO and IWAE_k bounds on log p(x), for this input or a stratified sample."""
    run = page.run
    b1, b2 = st.columns(2)
    label = b1.segmented_control("Images", list(SCOPES), default="This input",
                                 key="explain_scope") or "This input"
    k = b2.select_slider("IWAE samples k", [1, 10, 100, 1000], value=100, key="explain_k")
    if SCOPES[label] == "input":  # the draws of the picture below, so the two agree
        acc = ex.accounting_from_picture(cached.bound_picture(run, inp.x), k,
                                         page.model.config.n_pixels)
    else:  # 200 × (200 + k) decodes: in the background, with its progress
        acc = result_or_progress(*cached.accounting_for_sample(run, k), what=(
            f"The bounds on {cached.ACCOUNTING_SAMPLE} test images, k = {k}"))
        if acc is None:
            return
    st.latex(sec.accounting_latex(acc))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("ELBO (nats/image)", f"{acc.elbo:.2f}")
    m2.metric(f"IWAE_k, k = {k} (nats/image)", f"{acc.iwae:.2f}")
    m3.metric("gap: IWAE_k − ELBO (nats)", f"{acc.gap:.2f}")
    m4.metric(f"bits/dim = −ELBO / ({acc.n_pixels} ln 2)", f"{acc.bits(acc.neg_elbo):.4f}")
    st.markdown(sec.accounting_definitions(acc))
    baseline = cached.pixel_baseline(dataset_key(run), page.data)
    point = next((p for p in cached.run_points([run])), None)
    test_neg_elbo = None if point is None else point.recon + point.kl
    train_cfg = run.read_config()[1]
    st.caption(sec.likelihood_note(page.model.config, test_neg_elbo, baseline, train_cfg))
    if page.beta == 0:
        st.info(sec.kl_not_trained_note(run.name, page.beta, acc.kl))
    st.plotly_chart(figs.accounting_figure(acc.recon, acc.kl, acc.iwae, k), theme="streamlit",
                    key="explain_accounting_fig", config=export_config(page.run.name, "bounds"))
    st.caption(sec.accounting_scope_caption(
        SCOPES[label], acc.n_images, len(page.data.test_x), acc.samples, test_neg_elbo,
        acc.kl_from_draws))


def lower_bound(page: Page, inp: Input) -> ex.BoundPicture:
    """§7, continued: why ELBO <= log p(x), drawn from this input's own importance weights."""
    st.subheader("Why the ELBO is a lower bound")
    picture = cached.bound_picture(page.run, inp.x)
    st.plotly_chart(figs.bound_figure(picture.log_w, picture.ks, picture.iwae_by_k),
                    theme="streamlit", key="explain_bound_fig",
                    config=export_config(page.run.name, "lower-bound"))
    st.caption(sec.bound_caption(len(picture.log_w), picture.elbo, picture.best, picture.ks[-1],
                                 float(picture.iwae_by_k[-1])))
    return picture


# ---------------------------------------------------------------------------- 8 · drag z yourself
def drag_z(page: Page, inp: Input, summary, dims) -> None:
    """§8: the in-browser decoder, started at this input's mu."""
    where = ("The decoder below runs in your browser: drag a slider or the pad and the picture "
             "follows at once." if runs_in_browser(page.model) else
             "The decoder below runs on the server, when you release a slider.")
    st.markdown(f"{where} It starts at this input's mu. Stay within about one sigma of mu and you "
                "get variants of this input; wander off into the prior's tails and you see what "
                "the decoder makes of codes no input was given.")
    if st.session_state.get("explain_explorer_for") != (page.run.name, inp.index):
        st.session_state["explain_explorer_for"] = (page.run.name, inp.index)
        set_explorer_z("explain-z", inp.mu)
    z_user = latent_explorer(
        page.model, key="explain-z", kl_per_dim=summary.kl_per_dim, active=summary.active,
        scatter={"mu": page.enc["mu"], "labels": page.enc["labels"], "class_names": page.names},
        pad_dims=dims if page.latent_dim >= 2 else (0, 1))
    st.caption(sec.drag_caption(z_user, inp.mu, inp.sigma))


# ------------------------------------------------------------------------- 9 · what you can say
def takeaways(page: Page, inp: Input) -> None:
    """§9: one line per point the learner needs, each with its section's own number for this
    input (computed here through the same caches, whichever sections are open)."""
    split = ex.kl_split(inp.mu, inp.sigma)
    grads = cached.gradients(page.run, inp.x, seed=inp.index)
    found = prior_facts(page)
    bound = cached.bound_picture(page.run, inp.x)
    vae_run, ae_run = found.vae_run, found.ae_run
    for line in sec.takeaways(split.total, grads.rsample_encoder_grad_norm,
                              found.coverage.get(vae_run.name) if vae_run is not None else None,
                              found.coverage.get(ae_run.name) if ae_run is not None else None,
                              ae_run is not None, found.family, bound.gap):
        st.markdown("- " + line)
