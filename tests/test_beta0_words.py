"""A plain autoencoder (β = 0) is never described as a VAE trained with a KL term: the Latent
space intro, the KL heading, the explanation's diagram and caption, Generate's sentences and the
Train page's curves title say that nothing pulled its codes toward the prior."""
from tests.conftest import plotly_spec, run_page
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
    title = plotly_spec(at, "curves")["layout"]["title"]["text"]
    assert "β = 0: the loss was the reconstruction alone" in title
    title = plotly_spec(run_page("train", "mnist5k-2d"), "curves")["layout"]["title"]["text"]
    assert title.endswith("loss during training")
