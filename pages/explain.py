"""What mu and sigma mean: the seed's questions answered on the active run's own model."""
import numpy as np
import streamlit as st
import torch

from ui import explain_figures as figs
from ui.decoder_component import latent_explorer, set_explorer_z
from ui.posterior import latent_summary
from ui.resources import (active_run, all_runs, encode_test_set, load_model, require_model,
                          run_dataset, weights_mtime)
from vae import explain as ex

run = active_run()
st.title("What mu and sigma mean")
model = require_model(run)
data = run_dataset(run)
enc = encode_test_set(run)
D = model.config.latent_dim
names = data.class_names
st.caption(f"Every number on this page is computed now from run **{run.name}** "
           f"({D}-D latent, beta = {model.config.beta:g}) on its test images.")

# ----------------------------------------------------------------------------- 1 · pick an input
by_class = {c: np.flatnonzero(enc["labels"] == c) for c in range(len(names))}
by_class = {c: ix for c, ix in by_class.items() if len(ix)}


def _select(index: int) -> None:
    label = int(enc["labels"][index])
    st.session_state["explain_class"] = label
    st.session_state["explain_nth"] = int(np.searchsorted(by_class[label], index)) + 1


def _random_input() -> None:
    st.session_state["explain_draws"] = st.session_state.get("explain_draws", 0) + 1
    _select(int(np.random.default_rng(st.session_state["explain_draws"]).integers(len(enc["mu"]))))


def _picked_from_scatter() -> None:
    points = st.session_state["explain_scatter"].selection.get("points", [])
    if points and points[0].get("customdata") is not None:
        _select(int(points[0]["customdata"]))


st.header("1 · An input goes in, mu and sigma come out")
c1, c2, c3 = st.columns([2, 2, 1.4], vertical_alignment="bottom")
cls = c1.selectbox("Class", list(by_class), format_func=lambda c: names[c], key="explain_class")
nth = c2.number_input(f"Example of this class (1 to {len(by_class[cls])})", 1, len(by_class[cls]),
                      key="explain_nth")
c3.button("Random input", icon=":material/casino:", on_click=_random_input, key="explain_random",
          use_container_width=True)
index = int(by_class[cls][min(nth, len(by_class[cls])) - 1])
x = data.test_x[index]
mu, sigma = ex.encode_one(model, x)

left, right = st.columns([1, 2.4])
with left:
    st.image(figs.image_row_png(x[None], target_width=168, max_scale=6),
             caption=f"test image #{index} ({names[int(data.test_y[index])]})")
    if st.button("Encode again", icon=":material/refresh:", key="explain_encode_again",
                 help="Run the encoder on the same image once more."):
        again_mu, again_sigma = ex.encode_one(model, x)
        diff = float(max(np.abs(again_mu - mu).max(), np.abs(again_sigma - sigma).max()))
        prev = st.session_state.get("explain_again")
        count = prev["count"] + 1 if prev and prev["index"] == index else 1
        st.session_state["explain_again"] = {"index": index, "count": count, "diff": diff}
    again = st.session_state.get("explain_again")
    if again and again["index"] == index:
        st.success(f"Encoded again {again['count']} time(s): mu and sigma came out identical "
                   f"(largest difference {again['diff']:.1g}). The encoder is a deterministic "
                   "function of x: nothing random happens here.")
with right:
    st.plotly_chart(figs.mu_sigma_figure(mu, sigma), theme="streamlit", key="explain_mu_sigma")
    st.dataframe({"dim": [f"z{d}" for d in range(D)], "mu": mu, "sigma": sigma,
                  "log sigma^2 (z_log_sigma)": 2 * np.log(sigma)},
                 hide_index=True, height=min(35 * (D + 1) + 3, 320))
st.markdown("**mu and sigma are not random.** They are the encoder network's two outputs for this "
            "x: the centre and the width of a Gaussian **q(z|x) = N(mu, sigma²)** over codes. "
            "The only randomness in a VAE enters in the next step.")

# ---------------------------------------------------------------------- 2 · sample eps, move z
st.header("2 · z = mu + sigma · eps: the random part")
summary = latent_summary(enc["mu"], enc["std"])
default_dims = ex.top_dims(summary.kl_per_dim)
if D > 2:
    d1, d2 = st.columns(2)
    ax = d1.selectbox("Horizontal axis", range(D), index=default_dims[0],
                      format_func=lambda d: f"z{d}", key="explain_dim_a")
    ay = d2.selectbox("Vertical axis", range(D), index=default_dims[1],
                      format_func=lambda d: f"z{d}", key="explain_dim_b")
    dims = (ax, ay)
else:
    dims = (0, 1) if D == 2 else (0, 0)

eps_key = (run.name, index)
if st.session_state.get("explain_eps_for") != eps_key:
    st.session_state["explain_eps_for"] = eps_key
    st.session_state["explain_eps"] = np.zeros((0, D))
    st.session_state["explain_eps_seed"] = 0


def _sample_eps() -> None:
    st.session_state["explain_eps_seed"] += 1
    new = ex.draw_eps(st.session_state["explain_n_eps"], D,
                      seed=1000 * index + st.session_state["explain_eps_seed"])
    st.session_state["explain_eps"] = np.concatenate([st.session_state["explain_eps"], new])


def _clear_eps() -> None:
    st.session_state["explain_eps"] = np.zeros((0, D))


s1, s2, s3 = st.columns([2, 1, 1], vertical_alignment="bottom")
s1.select_slider("eps draws per click", [1, 5, 20, 100, 500], value=1, key="explain_n_eps")
s2.button("Sample eps", icon=":material/casino:", type="primary", on_click=_sample_eps,
          key="explain_sample",
          use_container_width=True)
s3.button("Clear samples", on_click=_clear_eps, use_container_width=True, key="explain_clear")
eps = st.session_state["explain_eps"]
z = ex.reparameterize(mu, sigma, eps) if len(eps) else np.zeros((0, D))

if D >= 2:
    v1, v2 = st.columns(2)
    with v1:
        st.plotly_chart(
            figs.latent_view_figure(enc["mu"], enc["labels"], names, dims=dims, mu=mu, sigma=sigma,
                                    z=z, index=enc["index"],
                                    title="Every test image's mu: click one to pick it"),
            theme="streamlit", key="explain_scatter", on_select=_picked_from_scatter,
            selection_mode="points")
    with v2:
        xr, yr = figs.zoom_ranges(mu, sigma, z, dims)
        st.plotly_chart(
            figs.latent_view_figure(enc["mu"], enc["labels"], names, dims=dims, mu=mu, sigma=sigma,
                                    z=z, index=enc["index"], x_range=xr, y_range=yr,
                                    background_opacity=0.15,
                                    title="Zoomed on q(z|x): mu stays, z scatters"),
            theme="streamlit", key="explain_zoom")
if len(z):
    st.image(figs.image_row_png(ex.decode_images(model, z[-16:]), ncols=min(16, len(z)),
                                target_width=1000),
             caption=f"The decoder's image for the last {min(16, len(z))} z samples "
                     "(every z of this input decodes to a variant of the same picture)")
    zm, zs = z.mean(0), z.std(0) if len(z) > 1 else np.full(D, np.nan)
    st.dataframe({"dim": [f"z{d}" for d in range(D)], "mu (never moves)": mu,
                  "mean of the z drawn": zm, "sigma": sigma, "std of the z drawn": zs,
                  "last eps": eps[-1], "last z": z[-1]}, hide_index=True,
                 height=min(35 * (D + 1) + 3, 320))
    st.caption(f"{len(z)} z drawn. Over many draws their mean approaches mu and their spread "
               "approaches sigma: z ~ N(mu, sigma²). Gradients reach mu and sigma through "
               "z = mu + sigma · eps because eps carries all the randomness.")
else:
    st.info("Press **Sample eps** to draw eps ~ N(0, I) and place z = mu + sigma · eps around mu.")

# ------------------------------------------------------------------------ 3 · the KL, term by term
st.header("3 · The KL line, read term by term")
st.markdown("The line the question quotes (`z_mean` is mu, `z_log_sigma` is **log sigma²**):")
st.code(ex.SEED_KL_LINE, language="python", wrap_lines=True)
st.latex(r"\mathrm{KL}\big(\mathcal N(\mu,\sigma^2)\,\|\,\mathcal N(0,1)\big)"
         r" = -\tfrac12\big(1 + \ln\sigma^2 - \mu^2 - \sigma^2\big)"
         r" = \underbrace{\tfrac{\mu^2}{2}}_{\text{mean penalty}}"
         r" + \underbrace{\tfrac{\sigma^2 - 1 - \ln\sigma^2}{2}}_{\text{width penalty}}")
st.markdown("It does **not** compare mu with sigma. It compares the whole Gaussian q(z|x) with the "
            "prior N(0, 1), one dim at a time: the mean penalty is zero only when mu = 0, the "
            "width "
            "penalty only when sigma = 1. The `mean(..., axis=-1)` averages over dims, which "
            "rescales the loss by 1/D; the KL itself is the **sum** over dims, as below.")
terms = ex.seed_line_terms(mu, sigma)
split = ex.kl_split(mu, sigma)
st.dataframe({"dim": [f"z{d}" for d in range(D)], **terms,
              "mean penalty": split.mean_penalty, "width penalty": split.width_penalty},
             hide_index=True, height=min(35 * (D + 1) + 3, 320))
t1, t2 = st.columns([1, 1.4])
with t1:
    with torch.no_grad():
        engine_kl = float(model.encode(torch.from_numpy(x[None].copy())).kl().sum())
    st.markdown(f"Each row: the four terms inside the bracket, their sum, and that sum times -0.5, "
                f"which is the dim's KL. Sum over dims: **{split.total:.4f} nats**; the engine's "
                f"`Posterior.kl()` gives **{engine_kl:.4f} nats** for this input.")
    st.markdown("A dim whose mu sits far from 0 pays the blue **mean penalty**; a dim whose "
                "sigma is far from 1 (usually much narrower: the code is precise) pays the red "
                "**width penalty**.")
with t2:
    st.plotly_chart(figs.kl_split_figure(split.mean_penalty, split.width_penalty),
                    theme="streamlit", key="explain_kl_bars")


# ----------------------------------------------------------------------------- 4 · KL calculator
def _from_input() -> None:
    st.session_state["explain_calc_mu"] = float(np.clip(round(float(mu[dims[0]]), 2), -4, 4))
    st.session_state["explain_calc_sigma"] = float(np.clip(round(float(sigma[dims[0]]), 2),
                                                           0.05, 3))


@st.fragment
def kl_calculator() -> None:
    st.header("4 · A KL calculator")
    k1, k2 = st.columns([1, 2.5])
    with k1:
        m = st.slider("mu", -4.0, 4.0, 1.0, 0.05, key="explain_calc_mu")
        s = st.slider("sigma", 0.05, 3.0, 0.5, 0.05, key="explain_calc_sigma")
        st.button(f"Start from this input's z{dims[0]}", on_click=_from_input,
                  key="explain_calc_from_input")
        part = ex.kl_split([m], [s])
        st.metric("KL (nats)", f"{part.total:.3f}")
        st.metric("mean penalty mu²/2", f"{part.mean_penalty[0]:.3f}")
        st.metric("width penalty", f"{part.width_penalty[0]:.3f}")
    with k2:
        zz, q, p = ex.kl_densities(m, s)
        st.plotly_chart(figs.kl_calculator_figure(zz, q, p, m, s, part.total), theme="streamlit",
                        key="explain_calc_fig")
    st.caption("Move mu away from 0 and the mean penalty grows; shrink sigma toward 0 (a sure, "
               "pin-point code) and the width penalty grows without bound. Only q = N(0, 1) costs "
               "nothing, and it tells the decoder nothing about x: the loss trades the two.")


kl_calculator()

# --------------------------------------------------------------------------- 5 · why the prior
st.header("5 · Why the prior matters: generating means sampling N(0, I)")
ae_run = ex.find_autoencoder(all_runs(), run) if model.config.beta > 0 else None
p1, p2 = st.columns([1, 3], vertical_alignment="bottom")
prior_seed = p1.number_input("Prior sample seed", 0, 10_000, 0, key="explain_prior_seed")
p2.caption("The same z ~ N(0, I) go into both decoders.")
z_prior, vae_imgs = ex.prior_samples(model, 24, prior_seed)
a1, a2 = st.columns(2)
with a1:
    st.subheader(f"VAE: {run.name} (beta = {model.config.beta:g})")
    st.image(figs.image_row_png(vae_imgs, ncols=8, target_width=520))
ae_model = None
with a2:
    if model.config.beta == 0:
        st.info(f"**{run.name}** is itself a plain autoencoder (beta = 0): its prior samples on "
                "the left show what an unregularised latent space decodes to. Pick a run with "
                "beta > 0 in the sidebar to compare.")
    elif ae_run is None:
        st.info("No plain autoencoder (beta = 0) with this run's dataset and latent size exists "
                "yet, so there is nothing to compare against. Train one on the **Train** page "
                "with beta = 0 and the same dataset and latent dim.")
    else:
        ae_model = load_model(ae_run)
        st.subheader(f"Autoencoder: {ae_run.name} (beta = 0)")
        st.image(figs.image_row_png(ex.decode_images(ae_model, z_prior), ncols=8,
                                    target_width=520))
st.markdown("Without the KL the encoder may put its codes anywhere (far from 0, in thin "
            "clusters); N(0, I) samples then land in holes the decoder never saw and decode to "
            "blurs or garbage. The KL pulls every q(z|x) toward N(0, I), so the codes as a whole "
            "(the **aggregate posterior**, the mean of q(z|x) over inputs) fill the prior:")

densities = {}
sub = slice(0, 2000)
spans = [np.abs(enc["mu"][sub]).max() + 3 * enc["std"][sub].max()]
ae_enc = encode_test_set(ae_run) if ae_model is not None else None
if ae_enc is not None:
    spans.append(np.percentile(np.abs(ae_enc["mu"][sub]), 99.5))
grid = np.linspace(-max(4.0, *spans), max(4.0, *spans), 301)
kind = "VAE" if model.config.beta > 0 else "autoencoder"
densities[f"{run.name} ({kind})"] = ex.aggregate_posterior(enc["mu"][sub], enc["std"][sub], grid)
if ae_enc is not None:
    densities[f"{ae_run.name} (autoencoder)"] = ex.aggregate_posterior(
        ae_enc["mu"][sub], ae_enc["std"][sub], grid)
st.plotly_chart(figs.aggregate_posterior_figure(grid, densities, ex.normal_pdf(grid),
                                                dims=list(range(min(D, 16)))),
                theme="streamlit", key="explain_aggregate")
if ae_enc is not None:
    st.caption(f"The autoencoder's sigma is tiny (median {np.median(ae_enc['std']):.3f}), so its "
               "codes are near-points: its aggregate posterior is a comb of spikes spread over "
               f"±{np.percentile(np.abs(ae_enc['mu']), 99):.0f}, with holes between them. The "
               "VAE's covers N(0, 1) smoothly; that is why its prior samples decode to "
               "recognisable images.")


# ------------------------------------------------------------------------------ 6 · accounting
@st.cache_data(max_entries=32, show_spinner="Computing the bounds…")
def _accounting(path: str, mtime: float, indices: tuple, k: int) -> dict:
    m = load_model(run)
    acc = ex.accounting(m, data.test_x[list(indices)], k=k, samples=200, seed=0)
    return {"recon": acc.recon, "kl": acc.kl, "iwae": acc.iwae, "k": acc.k,
            "n_pixels": acc.n_pixels}


@st.fragment
def accounting_section() -> None:
    st.header("6 · The accounting adds up")
    b1, b2 = st.columns(2)
    scope = b1.segmented_control("Images", ["This input", "200 test images"],
                                 default="This input", key="explain_scope") or "This input"
    k = b2.select_slider("IWAE samples k", [1, 10, 100, 1000], value=100, key="explain_k")
    indices = (index,) if scope == "This input" else tuple(range(min(200, len(data.test_x))))
    r = _accounting(str(run.path), weights_mtime(run), indices, k)
    acc = ex.Accounting(r["recon"], r["kl"], r["iwae"], r["k"], 200, len(indices), r["n_pixels"])
    st.latex(rf"\underbrace{{{acc.recon:.2f}}}_{{\text{{reconstruction}}}}"
             rf" + \underbrace{{{acc.kl:.2f}}}_{{\text{{KL}}}}"
             rf" = \underbrace{{{acc.neg_elbo:.2f}}}_{{-\text{{ELBO}}}}"
             rf"\ \text{{nats per image}} \;=\; {acc.bits(acc.neg_elbo):.4f}"
             r"\ \text{bits per dim}")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("-ELBO (nats/image)", f"{acc.neg_elbo:.2f}")
    m2.metric("-ELBO (bits/dim)", f"{acc.bits(acc.neg_elbo):.4f}")
    m3.metric(f"-IWAE, k = {k} (nats/image)", f"{-acc.iwae:.2f}")
    m4.metric("gap: IWAE − ELBO (nats)", f"{acc.gap:.2f}")
    st.plotly_chart(figs.accounting_figure(acc.recon, acc.kl, acc.iwae, k), theme="streamlit",
                    key="explain_accounting_fig")
    st.caption("The reconstruction term is an average of -log p(x|z) over 200 z ~ q(z|x) "
               "(fixed seed); the KL is exact. Both bounds sit below log p(x): the ELBO pays for "
               "q(z|x) not being the true posterior; weighting k samples (IWAE) recovers part of "
               "that, and k = 1 is the ELBO again up to sampling noise.")


accounting_section()

# ---------------------------------------------------------------------------- 7 · drag z yourself
st.header("7 · Drag z yourself")
st.markdown("The decoder below runs in your browser: drag a slider or the pad and the picture "
            "follows at once. It starts at this input's mu. Stay within about one sigma of mu and "
            "you get variants of this input; wander off into the prior's tails and you see what "
            "the decoder makes of codes no input was given.")
if st.session_state.get("explain_explorer_for") != (run.name, index):
    st.session_state["explain_explorer_for"] = (run.name, index)
    set_explorer_z("explain-z", mu)
z_user = latent_explorer(
    model, key="explain-z", kl_per_dim=summary.kl_per_dim, active=summary.active,
    scatter={"mu": enc["mu"], "labels": enc["labels"], "class_names": names},
    pad_dims=dims if D >= 2 else (0, 1))
away = (z_user - mu) / sigma
st.caption(f"Last released z is {np.abs(away).max():.1f} sigma from this input's mu at most "
           f"(dim z{int(np.abs(away).argmax())}), and {np.linalg.norm(z_user):.2f} from the "
           "prior's centre.")
