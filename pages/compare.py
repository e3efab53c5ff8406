"""Compare two models on the same dataset: the same images, the same z, both posteriors."""
import numpy as np
import streamlit as st
import torch

from ui.components.z_cloud import chart as images
from ui.figures import compare as cf
from ui.forms.text import plain
from ui.cache.compare import per_image_terms, usable_runs
from ui.cache.runs import active_run, all_runs, load_model, run_dataset
from ui.forms.glossary import words_caption
from ui.style import export_config, table_height
from vae import compare
from vae.data import DatasetError
from vae.run import RunError

N_RECON = 12  # test images through both models: about one per class
N_PRIOR = 12
TRAVERSAL = np.linspace(-3, 3, 9)


st.title("Compare two models")
st.caption(words_caption(["q", "elbo", "kl", "prior", "nats", "procrustes"]))
runs = usable_runs(all_runs())
if len(runs) < 2:
    st.info("Comparing needs two runs with weights on the same dataset. Train one on the **Train** "
            "page or import one (`python -m vae.import_model`).")
    st.stop()
active = active_run()
names = list(runs)
left, right = st.columns(2)
default_a = active.name if active is not None and active.name in runs else names[0]
name_a = left.selectbox("Model A", names, index=names.index(default_a), key="compare_a")
run_a, (model_cfg_a, train_a) = runs[name_a]
same = [n for n, (_, (m, t)) in runs.items()
        if n != name_a and t.dataset == train_a.dataset and t.data_dir == train_a.data_dir
        and m.image_shape == model_cfg_a.image_shape]
if not same:
    st.info(f"No other run is on {plain(train_a.dataset)} with images of "
            f"{plain(model_cfg_a.image_shape)}: "
            "pick another model A.")
    st.stop()
if st.session_state.get("compare_b") not in same:
    st.session_state.pop("compare_b", None)
name_b = right.selectbox("Model B (same dataset)", same, key="compare_b")
run_b, (model_cfg_b, _) = runs[name_b]


def chart(fig, key: str, what: str) -> None:
    """A chart whose PNG download is named <A>-vs-<B>-<what>.png."""
    st.plotly_chart(fig, key=key, config=export_config(f"{name_a}-vs-{name_b}", what),
                    theme="streamlit")


def grid(view: dict, key: str, what: str) -> None:
    """An image grid (the charts component) whose SVG download is named <A>-vs-<B>-<what>.svg."""
    images(view, key=key, run_name=f"{name_a}-vs-{name_b}", figure=what)

try:
    model_a, model_b = load_model(run_a), load_model(run_b)
    data = run_dataset(run_a)
    terms_a, terms_b = per_image_terms(run_a), per_image_terms(run_b)
except (RunError, DatasetError) as exc:
    st.error(f"These two runs cannot be compared: {plain(exc)}")
    st.stop()


def describe(cfg) -> str:
    return (f"{cfg.arch} {','.join(map(str, cfg.hidden))}, z={cfg.latent_dim}, β={cfg.beta:g}, "
            f"{cfg.likelihood}")


st.caption(f"A: **{plain(name_a)}** ({plain(describe(model_cfg_a))}) · B: **{plain(name_b)}** "
           f"({plain(describe(model_cfg_b))}) · {plain(train_a.dataset)}, "
           f"{len(data.test_x):,} test images")

st.header("The same test images through both")
labels = data.test_y
picks = [int(np.flatnonzero(labels == c)[0]) for c in range(len(data.class_names))
         if (labels == c).any()][:N_RECON]
x = torch.from_numpy(data.test_x[picks].copy())
with torch.no_grad():
    recon_a = model_a.decode_mean(model_a.encode(x).mu).numpy()
    recon_b = model_b.decode_mean(model_b.encode(x).mu).numpy()
grid(cf.reconstructions_view(data.test_x[picks], recon_a, recon_b, name_a, name_b,
                             col_labels=[data.class_names[labels[i]] for i in picks]),
     "compare_recon", "reconstructions")
st.caption("Mean reconstructions, decode(mu): one test image of each class.")
stats_a = compare.per_class(terms_a, labels, len(data.class_names))
stats_b = compare.per_class(terms_b, labels, len(data.class_names))
chart(cf.per_class_figure(stats_a, stats_b, data.class_names, name_a, name_b),
      "compare_per_class", "per-class")
per_class = cf.per_class_table(stats_a, stats_b, data.class_names).round(2)
st.dataframe(per_class, hide_index=True, width="stretch", height=table_height(len(per_class)))
st.caption("Nats per image on the whole test set, one z ~ q(z|x) per image drawn with the same "
           "seed for both; the KL is exact. B − A below zero: B explains that class better. β "
           "weights the KL only in training: these are the true bounds.")

@st.fragment
def same_z() -> None:
    """A fragment: the seed and the traversed dim rerun this section, not the page and its two
    charts."""
    st.header("The same z through both decoders")
    if model_cfg_a.latent_dim != model_cfg_b.latent_dim:
        st.info(f"A has {model_cfg_a.latent_dim} latent dims and B {model_cfg_b.latent_dim}: "
                "one z cannot go through both decoders. Compare two runs with the same latent "
                "size to see it.")
    else:
        d = model_cfg_a.latent_dim
        seed = st.number_input("Seed of the prior samples", 0, 2**31 - 1, 0, key="compare_seed")
        z = np.random.default_rng(int(seed)).standard_normal((N_PRIOR, d))
        grid(cf.decoder_pair_view(compare.decode_means(model_a, z),
                                  compare.decode_means(model_b, z), name_a, name_b,
                                  title="z ~ N(0, I)"), "compare_prior", "prior-samples")
        dim = st.selectbox("Traverse dim", list(range(d)), key="compare_dim",
                           format_func=lambda k: f"z{k}") if d > 1 else 0
        zt = np.zeros((len(TRAVERSAL), d))
        zt[:, dim] = TRAVERSAL
        grid(cf.decoder_pair_view(compare.decode_means(model_a, zt),
                                  compare.decode_means(model_b, zt), name_a, name_b,
                                  title=f"z{dim} from −3 to +3, the other dims at 0",
                                  col_labels=[f"{v:+.1f}" for v in TRAVERSAL]),
             "compare_traversal", "traversal")
        st.caption("The same z need not mean the same thing to two models: each learned its own "
                   "latent space, up to a rotation or a flip (below).")


same_z()

st.header("Both posteriors on one plane")
mu_a, mu_b = terms_a["mu"], terms_b["mu"]
if mu_a.shape[1] == mu_b.shape[1]:
    rotation, fit = compare.procrustes(mu_b, mu_a)
    shown_b = mu_b @ rotation
    st.write("A VAE's loss does not change when its latent space is rotated or flipped, so two "
             "models' codes are compared after rotating B's onto A's (an orthogonal Procrustes "
             "fit over the test set).")
    st.caption(cf.residual_sentence(fit))
    dmax = mu_a.shape[1]
    dims = (0, 1) if dmax >= 2 else (0, 0)
    if dmax > 2:  # A's dims, those its codes spread over most first (an inactive dim is a line)
        by_spread = cf.busiest_dims(mu_a, dmax)
        c1, c2 = st.columns(2)
        dx = c1.selectbox("x", by_spread, 0, key="compare_dx", format_func=lambda k: f"z{k}")
        dy = c2.selectbox("y", by_spread, 1, key="compare_dy", format_func=lambda k: f"z{k}")
        dims = (dx, dy)
    pair = cf.posterior_pair_figure(mu_a, shown_b, labels, data.class_names, name_a, name_b,
                                    dims=dims)
else:  # each on the two dims its codes spread over most: a 16-D run's z0 can be inactive
    da, db = cf.busiest_dims(mu_a), cf.busiest_dims(mu_b)
    st.info("The latent sizes differ, so B cannot be aligned onto A: each is shown as it is, on "
            "the two dims its codes spread over most (A: "
            + ", ".join(f"z{k}" for k in da) + "; B: " + ", ".join(f"z{k}" for k in db) + ").")
    i, j = (0, 1) if min(len(da), len(db)) == 2 else (0, 0)  # a 1-D model: one dim on both
    pair = cf.posterior_pair_figure(mu_a[:, da], mu_b[:, db], labels, data.class_names, name_a,
                                    name_b, dims=(i, j), aligned=False)
    pair.update_layout(xaxis_title=f"A: z{da[i]} · B: z{db[i]}",
                       yaxis_title=f"A: z{da[j]} · B: z{db[j]}")
chart(pair, "compare_posterior", "posteriors")
