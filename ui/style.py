"""One source for the dashboard's look: class colours, neutral colours, figure fonts, and the latent
plane's equal aspect. Every Plotly figure and the in-browser latent explorer take their colours from
here, so class c has one colour on every page and in both themes.

Why these ten class colours
---------------------------
Ten hues no viewer with normal vision takes for one another at the size of a scatter dot: mustard,
azure, magenta, red, green, lavender, wine, olive, steel blue, orange, at least 24 degrees of CIELAB
hue apart (two pinks, or a teal beside a petrol, read as one class at 5 px). Found by search over
colours whose relative luminance lies in 0.135-0.285: that band is what gives every colour at least
3:1 contrast (WCAG 2.1 1.4.11, non-text) on a white page (3.17-5.62:1) AND on Streamlit's dark
background #0e1117 (3.36-5.97:1); no published 10-colour palette does both (Tableau 10: 1.6:1 for
its yellow on white; Tol muted: 1.55:1 for its indigo on dark).
Distinctness, measured with Machado et al. (2009)'s full-severity simulations and CIELAB distance:
every pair stays >= 13.0 apart for deuteranopia, protanopia and tritanopia, and >= 31.7 for normal
vision. tests/test_style.py recomputes these claims. The order is greedy (each next colour the
farthest from those before it), so a dataset with fewer classes gets the most distinct prefix
(two: 138, three to five: 65).
No grey among them: grey is the prior's colour (NEUTRAL).
Beyond ten classes, colours repeat (class_colour wraps); every dataset shipped has ten.
"""
from __future__ import annotations

CLASS_COLOURS: tuple[str, ...] = (
    "#ba8704",  # mustard
    "#027aff",  # azure
    "#bf16a2",  # magenta
    "#e13849",  # red
    "#12a46c",  # green
    "#a576d5",  # lavender
    "#a64f6d",  # wine
    "#587003",  # olive
    "#0872ac",  # steel blue
    "#db7541",  # orange
)

# Roles drawn on several pages, in Plotly's first colours: mu and the mean penalty (blue), sigma
# and the width penalty (red), z drawn from q(z|x) (green), the -ELBO (purple).
MEAN_COLOUR, WIDTH_COLOUR, SAMPLE_COLOUR, ELBO_COLOUR = "#636EFA", "#EF553B", "#00CC96", "#AB63FA"

# The prior N(0, I), "no class", inactive dims: mid grey reads on light and dark backgrounds alike.
NEUTRAL = "rgba(128, 128, 128, 0.9)"
PRIOR_COLOUR = NEUTRAL
# The prior's rings: dashes short enough that a legend's swatch (some 30 px) shows them too, where
# Plotly's "dash" shows one solid bar; the pads in the browser draw the same 5-on-4 pattern.
PRIOR_DASH = "5px,4px"
NEUTRAL_FILL = "rgba(128, 128, 128, 0.25)"
# A label over a crowd of points: white on dark grey, 5:1, legible on either theme's page.
LABEL_BACKDROP, LABEL_TEXT = "rgba(96, 96, 96, 0.88)", "#ffffff"
# The aggregate posterior q(z)'s density: transparent to translucent grey.
DENSITY_SCALE = ((0.0, "rgba(128, 128, 128, 0)"), (1.0, "rgba(128, 128, 128, 0.55)"))

# Figure type: sizes only. The family is the theme's (theme="streamlit" sets Streamlit's own font,
# served locally), so no figure asks for a font that would have to come from outside.
FONT_SIZE = 13
ANNOTATION_FONT_SIZE = 12
LEGEND_FONT_SIZE = 12

# Margins that already hold what Streamlit's theme asks Plotly to make room for (automargin):
# tick labels with an axis title, and a legend below the plot. Plotly draws a chart, measures
# those, and where they do not fit the margins it grows them and draws the whole chart again: the
# posterior plane drew in 0.29 s warm instead of 0.16 s, and its second draw was 0.45 s of a cold
# start. Measured in Chromium at the sizes above; a longer label still grows a margin (one more
# draw, as with margins of 10).
AXIS_ROOM_LEFT = 72  # y tick labels such as "-2.5" and a y title
ZOOM_ROOM_LEFT = 86  # finer y tick labels, up to six characters ("-1.125")
TICK_ROW_PX = 25  # a row of one-line x tick labels, under the plot
TICK_LINE_PX = 16  # each further line of a tick label ("3<br>0.05 away")
X_TITLE_PX = 30  # an x title under the tick labels
AXIS_ROOM_BOTTOM = 10 + TICK_ROW_PX + X_TITLE_PX  # x tick labels and an x title
LEGEND_ROW_PX = 29  # one row of a horizontal legend
LEGEND_PAD_PX = 10  # below a legend's last row
MIN_PLOT_PX = 64  # the least plot height Plotly keeps: it shrinks the margins (and draws again)


def tick_room(tick_lines: int, x_title: bool) -> int:
    """The bottom margin that holds x tick labels of `tick_lines` lines (0: none) and maybe an x
    title under them, as Plotly's automargin would grow it."""
    return 10 + (TICK_ROW_PX + TICK_LINE_PX * (tick_lines - 1) if tick_lines else 0) + \
        (X_TITLE_PX if x_title else 0)


def room_below(height: int, top: int, legend_y: float, legend_rows: int) -> int:
    """The bottom margin that holds a horizontal legend of `legend_rows` rows whose top sits at
    `legend_y` (a negative fraction of the plot's height) under the plot, in a figure `height`
    px tall with a `top` margin. The plot's height is what the margins leave, so the margin b
    solves b = -legend_y * (height - top - b) + rows * LEGEND_ROW_PX + LEGEND_PAD_PX. With no
    rows (a figure without a legend), the x axis's room alone."""
    if legend_rows <= 0:
        return AXIS_ROOM_BOTTOM
    below = -legend_y * (height - top) + legend_rows * LEGEND_ROW_PX + LEGEND_PAD_PX
    return max(AXIS_ROOM_BOTTOM, round(below / (1 - legend_y)))


def class_colour(c: int) -> str:
    """The colour of class c (an index into the dataset's class names)."""
    return CLASS_COLOURS[int(c) % len(CLASS_COLOURS)]


def class_colours(n: int) -> list[str]:
    """The colours of classes 0 .. n-1, for components that draw classes themselves (the JS pad)."""
    return [class_colour(c) for c in range(n)]


def equal_aspect(fig, x: str = "x", y: str = "y"):
    """One unit of z is as long across as up on the latent plane: circles stay circles.

    Anchors axis `y` to axis `x` (names as plotly writes them in traces: "x", "y", "x2", "y2"...);
    call once per latent panel of a figure with subplots. Returns the figure."""
    fig.update_layout({("yaxis" + y[1:]): dict(scaleanchor=x, scaleratio=1)})
    return fig


# Scatter renderer. Without a GPU (and in any browser that falls back to software WebGL) WebGL
# traces draw a latent figure of a thousand points several times slower than SVG ones; at ten
# thousand the two are even, and with a GPU WebGL pans and selects that many more smoothly
# (bench/bench_plotly_draw.py measures both).
SVG_MAX_POINTS = 5000


def scatter_type(n_points: int):
    """go.Scatter (SVG) for up to SVG_MAX_POINTS points, go.Scattergl (WebGL) above. A figure takes
    one kind for all its point and line traces: WebGL draws on a canvas above every SVG trace, so
    mixing them would hide an SVG overlay (a prior circle, a drawn input) under the points."""
    import plotly.graph_objects as go
    return go.Scatter if n_points <= SVG_MAX_POINTS else go.Scattergl


def same_scatter_type(fig):
    """The scatter kind a figure's traces use (for adding an overlay above them)."""
    import plotly.graph_objects as go
    return go.Scattergl if any(t.type == "scattergl" for t in fig.data) else go.Scatter


def export_config(run_name: str, figure: str) -> dict:
    """Plotly's config for st.plotly_chart: the toolbar's "Download plot as a png" saves
    <run>-<figure>.png, at twice the screen's resolution, not plot-image.png."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in f"{run_name}-{figure}")
    return {"toImageButtonOptions": {"format": "png", "filename": safe, "scale": 2}}


TABLE_ROW_PX = 35  # st.dataframe's row height (and its header's)


def table_height(n_rows: int) -> int:
    """The height of an st.dataframe that shows n_rows without a scroll bar (Streamlit's default
    shows about ten): every row, the header, and the 3 px of its border."""
    return TABLE_ROW_PX * (max(0, int(n_rows)) + 1) + 3
