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
