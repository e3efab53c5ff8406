"""The VAE diagram names every step of the chain and where eps, the KL and the reconstruction
term enter."""
from ui.figures.diagram import vae_diagram_figure


def _texts(fig):
    return [a.text for a in fig.layout.annotations if a.text]


def test_the_chain_in_order_with_eps_kl_and_reconstruction():
    texts = _texts(vae_diagram_figure())
    chain = ["x<br>", "encoder", "μ, σ", "z = μ + σ·ε", "decoder", "x̂"]
    found = [next(i for i, t in enumerate(texts) if t.startswith(c)) for c in chain]
    assert found == sorted(found), "the boxes are not in the order x → encoder → … → x̂"
    joined = " ".join(texts)
    assert "ε ~ N(0, I)" in joined and "only random part" in joined
    assert "KL(q(z|x) ‖ N(0, I))" in joined and "reconstruction term" in joined
    assert "(computed,<br>not drawn)" in joined


def test_noise_arrow_points_into_z():
    fig = vae_diagram_figure()
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    z_x = 5.3
    assert any(a.x == z_x and a.ax == z_x and a.ay < a.y for a in arrows), "no arrow from ε up into z"
    assert len(arrows) == 6  # five along the chain, one from the noise


def test_the_explanation_page_opens_with_the_diagram_and_links_the_glossary(runs_root):
    from tests.conftest import plotly_spec, run_page
    at = run_page("explain")
    spec = plotly_spec(at, "vae_diagram")
    assert any("z = μ + σ·ε" in a.get("text", "") for a in spec["layout"]["annotations"])
    assert any("[Glossary](glossary)" in c.value for c in at.caption)
