"""Labels beside the points of a scatter, placed so that they do not cover each other.

Plotly draws a point's text at one fixed position; runs that lie close on a plane then print their
names on top of each other. `place_labels` works in the plot's pixels (estimated from the figure's
size and axis ranges): for each point, densest first, it takes the first of a few positions around
the point (above, below, right, left, the corners, then farther out) whose label box is clear of
every label already placed and of every marker, and falls back to the least covered one.

`nice_ticks` labels an axis drawn outside Plotly (the SVG components) as Plotly would.
"""
from __future__ import annotations

import math

CHAR_PX = 6.6  # the width of a character of Plotly's 12 px font, on average
LINE_PX = 15
MARKER_PX = 9  # a marker's radius, with a little air
SLACK_PX = 40  # how far past the plot's edge a label may reach
# (dx, dy) in units of the label's half width and height, tried in this order
CANDIDATES = ((0, 1.4), (0, -1.4), (1.15, 0), (-1.15, 0), (1.1, 1.3), (1.1, -1.3),
              (-1.1, 1.3), (-1.1, -1.3), (0, 2.8), (0, -2.8), (2.2, 0), (-2.2, 0),
              (1.2, 2.8), (-1.2, 2.8), (1.2, -2.8), (-1.2, -2.8))


def to_pixels(values, lo: float, hi: float, size: float, log: bool = False) -> list[float]:
    """Data coordinates on an axis from lo to hi (log10 on a log axis) to pixels in [0, size]."""
    def f(v):
        return math.log10(v) if log else v
    a, b = f(lo), f(hi)
    span = (b - a) or 1.0
    return [(f(v) - a) / span * size for v in values]


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def place_labels(xs, ys, texts, width: float, height: float, *, on_point: bool = False,
                 char_px: float = CHAR_PX, line_px: float = LINE_PX,
                 taken=()) -> list[tuple[float, float]]:
    """For points at pixel (x, y) (y up) with these texts, the (xshift, yshift) in pixels of each
    label's centre from its point, so that labels overlap neither each other nor the markers.

    `on_point` labels a place rather than a marker (a class's name at its cluster's centre): the
    label sits on its point when that is clear, and there are no markers to keep clear of.
    `char_px` and `line_px` size a label of another font; `taken` are pixel boxes
    (x0, y0, x1, y1) already on the plot (other labels) to keep clear of too."""
    n = len(texts)
    half = [(max(1, len(str(t))) * char_px / 2 + 2, line_px / 2) for t in texts]
    markers = [] if on_point else [(x - MARKER_PX, y - MARKER_PX, x + MARKER_PX, y + MARKER_PX)
                                   for x, y in zip(xs, ys)]
    candidates = ((0, 0),) + CANDIDATES if on_point else CANDIDATES
    crowd = [sum(1 for j in range(n) if math.hypot(xs[i] - xs[j], ys[i] - ys[j]) < 60)
             for i in range(n)]
    placed: list[tuple] = list(taken)
    shifts = [(0.0, 0.0)] * n
    for i in sorted(range(n), key=lambda k: -crowd[k]):
        hw, hh = half[i]
        best, best_cost = None, math.inf
        for dx, dy in candidates:
            cx, cy = xs[i] + dx * hw, ys[i] + dy * hh
            box = (cx - hw, cy - hh, cx + hw, cy + hh)
            cost = sum(_overlap(box, other) for other in placed)
            cost += sum(_overlap(box, m) for j, m in enumerate(markers) if j != i)
            # a label far beyond the plot's edge runs into the axis or the colour bar: as bad as
            # covering a label of its size (a little past it is margin, and fine)
            outside = (max(0, -SLACK_PX - box[0]) + max(0, box[2] - width - SLACK_PX)) * 2 * hh \
                + (max(0, -SLACK_PX - box[1]) + max(0, box[3] - height - SLACK_PX)) * 2 * hw
            cost += outside
            if cost < best_cost:
                best, best_cost = (dx * hw, dy * hh, box), cost
            if cost == 0:
                break
        shifts[i] = (best[0], best[1])
        placed.append(best[2])
    return shifts


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[tuple[float, str]]:
    """Ticks at 1, 2 or 5 times a power of ten, about `target` of them across [lo, hi], each with
    its label as Plotly writes it: no trailing zeros, and a true minus sign."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0):
        return []
    raw = span / max(target, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(k * power for k in (1, 2, 5, 10) if k * power >= 0.75 * raw)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    for k in range(first, first + int(span / step) + 2):
        v = k * step
        if v > hi + 1e-9 * span:
            break
        label = f"{abs(v):.{decimals}f}"
        label = label.rstrip("0").rstrip(".") if "." in label else label
        ticks.append((round(v, decimals + 6), ("−" if v < 0 and label != "0" else "") + label))
    return ticks
