"""The one palette (ui/style.py): its colour-blind and contrast claims, recomputed, and every
class-colouring builder using it."""
import itertools

import numpy as np
import plotly.graph_objects as go
import pytest

from ui.figures import explain as explain_figures, latent as figures
from ui.style import CLASS_COLOURS, class_colour, class_colours, equal_aspect

WHITE, STREAMLIT_DARK = "#ffffff", "#0e1117"

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB.
CVD = {
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
    "normal vision": np.eye(3),
}


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _luminance(hex_colour: str) -> float:
    return float(_linear(hex_colour) @ [0.2126, 0.7152, 0.0722])


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)))
    return (lb + 0.05) / (la + 0.05)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ np.clip(linear_rgb, 0, 1)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_ten_distinct_hex_colours():
    assert len(CLASS_COLOURS) >= 10
    assert len(set(c.lower() for c in CLASS_COLOURS)) == len(CLASS_COLOURS)
    assert all(len(c) == 7 and c.startswith("#") for c in CLASS_COLOURS)


@pytest.mark.parametrize("background", [WHITE, STREAMLIT_DARK])
def test_every_class_colour_has_3_to_1_contrast_on_light_and_dark(background):
    worst = min(CLASS_COLOURS, key=lambda c: _contrast(c, background))
    assert _contrast(worst, background) >= 3.0, (worst, _contrast(worst, background))


@pytest.mark.parametrize("vision", list(CVD))
def test_classes_stay_apart_under_colour_blindness(vision):
    m = np.asarray(CVD[vision])
    lab = {c: _lab(m @ _linear(c)) for c in CLASS_COLOURS}
    closest = min(itertools.combinations(CLASS_COLOURS, 2),
                  key=lambda p: np.linalg.norm(lab[p[0]] - lab[p[1]]))
    distance = np.linalg.norm(lab[closest[0]] - lab[closest[1]])
    floor = 30.0 if vision == "normal vision" else 12.0
    assert distance >= floor, f"{closest} only {distance:.1f} apart in CIELAB for {vision}"


def test_no_two_classes_share_a_hue_at_dot_size():
    """CIELAB distance alone let two pinks (or a teal and a petrol) pass: at 5 px a viewer names
    them the same colour. Every pair's hues differ by at least 24 degrees."""
    lab = {c: _lab(_linear(c)) for c in CLASS_COLOURS}
    hue = {c: np.degrees(np.arctan2(lab[c][2], lab[c][1])) % 360 for c in CLASS_COLOURS}
    closest = min(itertools.combinations(CLASS_COLOURS, 2),
                  key=lambda p: min(abs(hue[p[0]] - hue[p[1]]), 360 - abs(hue[p[0]] - hue[p[1]])))
    gap = abs(hue[closest[0]] - hue[closest[1]])
    assert min(gap, 360 - gap) >= 24.0, f"{closest} only {min(gap, 360 - gap):.1f} degrees apart"


def test_class_colour_wraps_beyond_the_palette():
    assert class_colour(0) == CLASS_COLOURS[0]
    assert class_colour(len(CLASS_COLOURS) + 2) == CLASS_COLOURS[2]
    assert class_colours(3) == list(CLASS_COLOURS[:3])


def test_equal_aspect_anchors_each_panel():
    fig = go.Figure()
    equal_aspect(fig)
    equal_aspect(fig, "x2", "y2")
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    assert fig.layout.yaxis2.scaleanchor == "x2" and fig.layout.yaxis2.scaleratio == 1


def _marker_colour_of(fig, name: str) -> str:
    """The one colour of a class's markers (its dots, and a legend swatch where there is one)."""
    (colour,) = {t.marker.color for t in fig.data if t.name == name and "markers" in (t.mode or "")}
    return colour


def test_latent_space_and_explanation_scatter_agree_on_each_class():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 5)
    mu, std = rng.normal(size=(50, 2)), np.full((50, 2), 0.3)
    names = [str(c) for c in range(10)]
    latent = figures.posterior_figure(mu, std, labels, names)
    explain = explain_figures.latent_view_figure(mu, labels, names)
    for c in range(10):
        assert _marker_colour_of(latent, names[c]) == class_colour(c)
        assert _marker_colour_of(explain, names[c]) == class_colour(c)
