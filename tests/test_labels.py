"""ui.figures.labels: run names beside their points without covering each other."""
import itertools

import numpy as np

from ui.figures import explain as figs
from ui.figures.labels import CHAR_PX, LINE_PX, place_labels, to_pixels


def _boxes(xs, ys, texts, shifts):
    out = []
    for x, y, t, (dx, dy) in zip(xs, ys, texts, shifts):
        hw, hh = len(t) * CHAR_PX / 2 + 2, LINE_PX / 2
        out.append((x + dx - hw, y + dy - hh, x + dx + hw, y + dy + hh))
    return out


def _overlaps(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def test_a_cluster_of_runs_gets_labels_that_do_not_cover_each_other():
    # the shipped β family's low end: four runs within 40 px of each other
    xs, ys = [600.0, 615.0, 630.0, 700.0], [120.0, 110.0, 104.0, 100.0]
    texts = ["mnist5k-16d-beta1", "mnist5k-16d-beta0.5", "mnist5k-16d-beta0.25",
             "mnist5k-16d-beta0"]
    boxes = _boxes(xs, ys, texts, place_labels(xs, ys, texts, 770, 370))
    assert not any(_overlaps(a, b) for a, b in itertools.combinations(boxes, 2))
    for box in boxes:  # and no label covers a marker
        assert not any(box[0] < x < box[2] and box[1] < y < box[3] for x, y in zip(xs, ys))


def test_a_lone_point_keeps_its_label_just_above_it():
    assert place_labels([300.0], [200.0], ["run"], 770, 370) == [(0.0, 1.4 * LINE_PX / 2)]


def test_pixels_on_a_log_axis():
    assert to_pixels([1, 10, 100], 1, 100, 200, log=True) == [0.0, 100.0, 200.0]


def test_the_rate_distortion_plane_labels_each_run_once():
    names = [f"beta{b}" for b in (0.25, 0.5, 1, 2)]
    fig = figs.rate_distortion_figure(names, np.array([37.0, 30.0, 20.0, 13.0]),
                                      np.array([77.0, 81.0, 89.0, 101.0]),
                                      np.array([0.25, 0.5, 1, 2]), np.zeros(4, bool))
    assert sorted(a.text for a in fig.layout.annotations) == sorted(names)
    assert all(t.mode == "markers" for t in fig.data)  # no second, overlapping copy of the names


def test_class_names_sit_on_their_centres_unless_two_would_cover_each_other():
    """Fashion-MNIST's 2-D plane puts coat, pullover and shirt within a few pixels of each other:
    each name stays readable, the moved ones with a line to their centre."""
    from plotly import graph_objects as go

    from ui.figures.latent import CLASS_LABEL_FONT, PLANE_PX, class_centre_labels
    # three centres as close as fashion-2d's (the test does not need the dataset), two far apart
    xy = np.array([[-1.0, 0.55], [-0.95, 0.65], [-0.9, 0.45], [1.5, 0.0], [0.0, -2.5]])
    names = ["Coat", "Pullover", "Shirt", "Sandal", "Trouser"]
    labels = np.arange(5)
    pts = np.repeat(xy, 20, axis=0) + np.random.default_rng(0).normal(0, 0.01, (100, 2))
    fig = class_centre_labels(go.Figure(), pts, np.repeat(labels, 20), names,
                              extent=((-4, -4), (4, 4)))
    notes = fig.layout.annotations
    assert [a.text for a in notes] == [f"<b>{n}</b>" for n in names]
    boxes = []
    for a in notes:
        x, y = to_pixels([a.x], -4, 4, PLANE_PX)[0], to_pixels([a.y], -4, 4, PLANE_PX)[0]
        dx, dy = (a.ax, -a.ay) if a.showarrow else (0, 0)
        hw, hh = len(a.text[3:-4]) * 8.4 / 2, (CLASS_LABEL_FONT + 8) / 2  # the text within <b>
        boxes.append((x + dx - hw, y + dy - hh, x + dx + hw, y + dy + hh))
    assert not any(_overlaps(a, b) for a, b in itertools.combinations(boxes, 2))
    far = {a.text: a for a in notes}
    assert not far["<b>Sandal</b>"].showarrow and not far["<b>Trouser</b>"].showarrow, \
        "a clear centre keeps its name on it"
    assert any(a.showarrow for a in notes[:3]), "crowded names moved, with a line to the centre"
    # a name from a user's folder is text, never markup
    fig = class_centre_labels(go.Figure(), pts[:20], np.zeros(20, int), ["<img src=x>"])
    assert fig.layout.annotations[0].text == "<b>&lt;img src=x&gt;</b>"


def test_close_rings_share_one_tag_and_class_names_keep_clear_of_the_tags():
    """An autoencoder's codes spread over ±20: its 1σ, 2σ and 3σ tags piled into one block and
    hid the names of the classes near the centre. Rings closer than a tag's height share one
    "1, 2, 3σ" tag, and no class name covers a tag."""
    from ui.figures.latent import PLANE_PX, posterior_figure, ring_tags
    assert [t for _, t in ring_tags((-4, -4), (4, 4))] == ["1σ", "2σ", "3σ"]
    assert ring_tags((-20, -20), (22, 22)) == [(3.0, "1, 2, 3σ")]
    rng = np.random.default_rng(0)
    # ten classes around the centre, one far away, on a ±20 plane
    centres = np.array([[np.cos(a), np.sin(a)] for a in np.linspace(0, 6, 10)]) * 1.5
    centres[9] = (24.0, 24.0)
    mu = np.repeat(centres, 30, axis=0) + rng.normal(0, 0.2, (300, 2))
    labels = np.repeat(np.arange(10), 30)
    fig = posterior_figure(mu, np.full((300, 2), 0.05), labels, [str(i) for i in range(10)],
                           ellipses="none", show_density=False)
    notes = fig.layout.annotations
    tags = [a for a in notes if "σ" in a.text]
    assert [a.text for a in tags] == ["<b>1, 2, 3σ</b>"]
    lo, hi = fig.layout.xaxis.range[0], fig.layout.xaxis.range[1]
    lo_y, hi_y = fig.layout.yaxis.range

    def box(a, chars, char_px, height):
        x = to_pixels([a.x], lo, hi, PLANE_PX)[0] + ((a.ax or 0) if a.showarrow else 0)
        y = to_pixels([a.y], lo_y, hi_y, PLANE_PX)[0] - ((a.ay or 0) if a.showarrow else 0)
        return (x - chars * char_px / 2, y - height / 2, x + chars * char_px / 2, y + height / 2)

    tag = box(tags[0], len("1, 2, 3σ"), 7.2, 18)
    names = [box(a, len(a.text) - 7, 8.4, 22) for a in notes
             if (a.name or "").startswith("class label")]
    assert len(names) == 10 and not any(_overlaps(tag, n) for n in names)
    assert not any(_overlaps(a, b) for a, b in itertools.combinations(names, 2))
