"""The VAE in one labelled picture: x → encoder → (μ, σ) → z = μ + σ·ε → decoder → x̂, with where
the noise, the KL term and the reconstruction term enter."""
from __future__ import annotations

import plotly.graph_objects as go

# (label, x centre, kind): the main chain left to right
CHAIN = (("x<br>(an image)", 0.5, "data"), ("encoder", 2.0, "net"),
         ("μ, σ<br>(computed,<br>not drawn)", 3.65, "code"),
         ("z = μ + σ·ε", 5.3, "code"), ("decoder", 6.85, "net"), ("x̂<br>(its picture)", 8.35, "data"))
WIDTH, HEIGHT = 1.2, 1.0
FILLS = {"data": "rgba(120, 120, 120, 0.18)", "net": "rgba(86, 180, 233, 0.30)",
         "code": "rgba(230, 159, 0, 0.28)"}
NOISE = "rgba(204, 121, 167, 0.30)"


def _box(fig: go.Figure, label: str, cx: float, cy: float, fill: str, w=WIDTH, h=HEIGHT) -> None:
    fig.add_shape(type="rect", x0=cx - w / 2, x1=cx + w / 2, y0=cy - h / 2, y1=cy + h / 2,
                  fillcolor=fill, line=dict(width=1.5, color="rgba(128, 128, 128, 0.9)"),
                  layer="below")
    fig.add_annotation(x=cx, y=cy, text=label, showarrow=False, font=dict(size=14))


def _arrow(fig: go.Figure, x0, y0, x1, y1, dash: bool = False) -> None:
    fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                       text="", showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=2,
                       arrowcolor="rgba(128, 128, 128, 0.95)" if not dash else "rgba(204, 121, 167, 1)")


def loss_words(beta: float = 1.0) -> str:
    """The run's training loss in the diagram's words: −ELBO only at β = 1."""
    if beta == 1:
        return "loss = reconstruction + KL = −ELBO"
    if beta == 0:
        return "this run's loss: reconstruction only (β = 0);<br>−ELBO = reconstruction + KL is measured"
    return f"this run's loss: reconstruction + {beta:g} · KL<br>(−ELBO is the loss at β = 1)"


def vae_diagram_figure(beta: float = 1.0) -> go.Figure:
    fig = go.Figure()
    for label, cx, kind in CHAIN:
        _box(fig, label, cx, 0.0, FILLS[kind])
    for (_, a, _), (_, b, _) in zip(CHAIN, CHAIN[1:]):
        _arrow(fig, a + WIDTH / 2, 0.0, b - WIDTH / 2, 0.0)
    # the noise: the one random input, from below into z
    _box(fig, "ε ~ N(0, I)<br>(the only random part)", 5.3, -1.55, NOISE, w=1.9)
    _arrow(fig, 5.3, -1.55 + HEIGHT / 2, 5.3, -HEIGHT / 2, dash=True)
    # the two terms of the loss (−ELBO), above the chain
    fig.add_shape(type="path", path="M 3.65 0.55 L 3.65 1.15 L 5.0 1.15",
                  line=dict(width=1.5, dash="dot", color="rgba(128, 128, 128, 0.9)"))
    fig.add_annotation(x=5.05, y=1.15, xanchor="left", showarrow=False, align="left",
                       text="<b>KL term</b>: KL(q(z|x) ‖ N(0, I))<br>compares the Gaussian "
                            "N(μ, σ²) with the prior", font=dict(size=13))
    fig.add_shape(type="path", path="M 0.5 -0.55 L 0.5 -1.15 L 2.9 -1.15",
                  line=dict(width=1.5, dash="dot", color="rgba(128, 128, 128, 0.9)"))
    fig.add_shape(type="path", path="M 8.35 -0.55 L 8.35 -1.15 L 6.5 -1.15",
                  line=dict(width=1.5, dash="dot", color="rgba(128, 128, 128, 0.9)"))
    fig.add_annotation(x=0.55, y=-1.45, xanchor="left", showarrow=False, align="left",
                       text="<b>reconstruction term</b>: −log p(x|z),<br>x against the "
                            "decoder's picture x̂", font=dict(size=13))
    fig.add_annotation(x=8.95, y=-1.45, xanchor="right", showarrow=False, align="right",
                       text=loss_words(beta), font=dict(size=13))
    fig.update_xaxes(visible=False, range=[-0.2, 9.1], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-2.2, 1.7], fixedrange=True)
    fig.update_layout(height=300, margin=dict(l=5, r=5, t=5, b=5), showlegend=False,
                      plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)")
    return fig
