"""What the pages say and draw for runs other than the default: a plain autoencoder (β = 0) is
never described as a VAE trained with a KL term (the Latent space intro, the KL heading, the
explanation's diagram and caption, Generate's sentences, the Train page's curves title), and a
16-D run is drawn on the dims that carry its codes."""
from tests.conftest import component_data, plotly_spec, run_page
from ui.figures.diagram import loss_words, vae_diagram_figure


def test_the_diagram_says_what_this_runs_loss_was():
    def texts(beta):
        return " ".join(a.text for a in vae_diagram_figure(beta).layout.annotations if a.text)
    assert "loss = reconstruction + KL = −ELBO" in texts(1.0)
    assert "reconstruction only (β = 0)" in texts(0.0) and "= −ELBO" not in texts(0.0)
    assert "reconstruction + 4 · KL" in texts(4.0)
    assert loss_words(1.0) != loss_words(0.0)


def test_the_autoencoders_pages_say_nothing_pulled_its_codes(runs_root):
    at = run_page("latent", "mnist5k-2d-ae")
    intro = next(m.value for m in at.markdown if m.value.startswith("Each dot is **mu(x)**"))
    assert "not in this run: its β is 0" in intro
    assert "which the KL term pulls every q(z|x) toward" not in intro
    assert any("β = 0 did not train it" in h.value for h in at.subheader)
    vae = run_page("latent", "mnist5k-2d")
    assert any(m.value.startswith("Each dot") and "which the KL term pulls every q(z|x) toward"
               in m.value for m in vae.markdown)

    at = run_page("explain", "mnist5k-2d-ae")
    assert any("trained on the reconstruction term alone (β = 0" in c.value for c in at.caption)
    texts = " ".join(a["text"] for a in plotly_spec(at, "vae_diagram")["layout"]["annotations"]
                     if a.get("text"))
    assert "reconstruction only (β = 0)" in texts

    at = run_page("generate", "mnist5k-2d-ae")
    words = " ".join(c.value for c in at.caption)
    assert "nothing tied its codes to the prior" in words
    assert "which z it was trained to expect" not in words
    assert "(here β = 0: nothing tied them)" in words

    at = run_page("train", "mnist5k-2d-ae")
    title = component_data(at, "curves")["title"]
    assert "β = 0: the loss was the reconstruction alone" in title
    title = component_data(run_page("train", "mnist5k-2d"), "curves")["title"]
    assert title.endswith("loss during training")


def test_a_16d_run_is_drawn_on_its_busiest_dims_on_train_and_compare(runs_root):
    """fashion-16d's z0 is inactive: the Train page drew every code on one vertical line (z0
    against z1) with the ten class names stacked on it. It opens on the two dims with the most
    KL, as Latent space does; Compare opens on A's two most spread dims."""
    import numpy as np

    from ui.cache.posterior import latent_summary
    from ui.cache.runs import encode_test_set
    from vae.losses import dims_by_kl
    from vae.run import RunDir
    run = RunDir(runs_root / "mnist5k-16d-beta1")
    enc = encode_test_set(run)
    top = dims_by_kl(latent_summary(enc["mu"], enc["std"]).kl_per_dim)[:2]
    at = run_page("train", "mnist5k-16d-beta1")
    view = component_data(at, "posterior")
    assert (view["x_label"], view["y_label"]) == (f"z{top[0]}", f"z{top[1]}")
    at = run_page("compare", "mnist5k-16d-beta1", state={"compare_b": "mnist5k-16d-beta4"})
    spread = np.argsort(-enc["mu"].var(axis=0), kind="stable")
    assert (at.selectbox(key="compare_dx").value, at.selectbox(key="compare_dy").value) == \
        (int(spread[0]), int(spread[1]))


def test_the_autoencoders_manifold_says_it_shows_only_the_centre(runs_root):
    """The manifold spans the prior's ±1.64 while an autoencoder's codes reach ±20: the caption
    says the picture is only the patch around the prior's centre (a VAE's does not)."""
    ae = " ".join(c.value for c in run_page("generate", "mnist5k-2d-ae").caption)
    assert "far beyond the grid: the manifold shows only the patch" in ae
    vae = " ".join(c.value for c in run_page("generate", "mnist5k-2d").caption)
    assert "quantiles (5 % to 95 %, ±1.64)" in vae and "far beyond the grid" not in vae


def test_models_of_two_latent_sizes_are_drawn_on_their_busiest_dims(runs_root):
    """A 2-D run against a 16-D one cannot be aligned: each is drawn on the two dims its codes
    spread over most, said in words and on the axes (fashion-16d's first two dims put every code
    of B on one line)."""
    import numpy as np

    from ui.cache.runs import encode_test_set
    from ui.figures.compare import busiest_dims
    from vae.run import RunDir
    at = run_page("compare", "mnist5k-2d", state={"compare_b": "mnist5k-16d-beta1"})
    mu_b = encode_test_set(RunDir(runs_root / "mnist5k-16d-beta1"))["mu"]
    db = busiest_dims(mu_b)
    assert db == [int(k) for k in np.argsort(-mu_b.var(axis=0))[:2]]
    (words,) = [i.value for i in at.info if "latent sizes differ" in i.value]
    assert f"B: z{db[0]}, z{db[1]}" in words and "A: z0, z1" in words
    layout = plotly_spec(at, "compare_posterior")["layout"]
    assert layout["xaxis"]["title"]["text"] == f"A: z0 · B: z{db[0]}"
    assert layout["yaxis"]["title"]["text"] == f"A: z1 · B: z{db[1]}"
