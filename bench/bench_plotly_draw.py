"""How long headless Chromium takes to draw the Latent space figure, as WebGL and as SVG traces.

The figure is ui.figures.latent.posterior_figure of a shipped run's real test set (what the Latent
page sends), drawn with Plotly.newPlot in a bare page: once as built (WebGL above 5,000 points, SVG up to
it: ui.style.SVG_MAX_POINTS) and once with every scatter trace switched to the other kind. Each is
drawn `--repeats` times, alternating, after one draw to warm up; the time runs from newPlot to the
second animation frame after it (the picture is on screen). Needs /usr/bin/chromium.

With --ellipses it compares, instead, the two ways of drawing the sigma ellipses of the same
figure (every test point's, as the Latent page draws them up to 1,500 points): one Bezier path
per class as a layout shape (how the figure draws them now), and one NaN-separated line trace per
class of 20-gons (how it drew them before), which Plotly draws as an SVG element per ellipse.

    .venv/bin/python bench/bench_plotly_draw.py [--repeats 5] [--ellipses]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import plotly  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import torch  # noqa: E402

from bench.machine import cpu_words, load_average  # noqa: E402
from ui.figures.latent import ELLIPSE_OPACITY, ellipse_polylines, posterior_figure  # noqa: E402
from ui.style import class_colour, scatter_type  # noqa: E402
from ui.cache.runs import MAX_POINTS  # noqa: E402
from vae.data import dataset_for  # noqa: E402
from vae.run import DEFAULT_ROOT, RunDir  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
DRAW = """async (spec) => {
  const g = document.getElementById('g');
  Plotly.purge(g);
  const t0 = performance.now();
  await Plotly.newPlot(g, spec.data, spec.layout);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}"""


def bare_page(pw):
    """Headless Chromium without a GPU, and a page holding only plotly.js and a 1,000 px div."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_content("<div id=g style='width:1000px'></div>")
    page.add_script_tag(path=str(Path(plotly.__file__).parent / "package_data" / "plotly.min.js"))
    return browser, page


def encoded(run_name: str, sizes):
    """(n, mu, sigma, labels, class names) of a shipped run's first n test images, per size."""
    run = RunDir(DEFAULT_ROOT / run_name)
    _, train_cfg = run.read_config()
    data = dataset_for(train_cfg)
    model = run.load_model()
    for n in sizes:
        n = min(n, len(data.test_x), MAX_POINTS)
        with torch.no_grad():
            q = model.encode(torch.from_numpy(data.test_x[:n].copy()))
        yield n, q.mu.numpy(), q.std.numpy(), data.test_y[:n], data.class_names


def figures(run_name: str, sizes) -> list[tuple[str, int, dict]]:
    """(run, points, the Latent page's figure as Plotly JSON) for the first n test images."""
    out = []
    for n, mu, std, labels, names in encoded(run_name, sizes):
        fig = posterior_figure(mu, std, labels, names,
                               ellipses="all" if n <= 1500 else "sample", max_ellipses=500,
                               height=720)  # the Latent page's defaults
        out.append((run_name, n, json.loads(fig.to_json())))
    return out


def ellipse_cases(run_name: str, sizes) -> list[tuple[str, int, dict, dict]]:
    """(run, points, the figure with every ellipse as shapes, the same with them as line traces)."""
    out = []
    for n, mu, std, labels, names in encoded(run_name, sizes):
        mu, std = mu[:, :2], std[:, :2]
        shapes = posterior_figure(mu, std, labels, names, ellipses="all", height=720)
        traces = posterior_figure(mu, std, labels, names, ellipses="none", height=720)
        Scatter = scatter_type(n)
        lines = []
        for c in sorted(set(labels.tolist())):  # the representation before: 20-gons, NaN gaps
            ex, ey = ellipse_polylines(mu[labels == c], std[labels == c], n_vertices=20)
            lines.append(Scatter(x=ex.astype("float32"), y=ey.astype("float32"), mode="lines",
                                 line=dict(color=class_colour(c), width=1), opacity=ELLIPSE_OPACITY,
                                 hoverinfo="skip", legendgroup=str(c), showlegend=False))
        density = [t for t in traces.data if t.type == "contour"]
        traces = go.Figure([*density, *lines, *[t for t in traces.data if t.type != "contour"]],
                           layout=traces.layout)
        out.append((run_name, n, json.loads(shapes.to_json()), json.loads(traces.to_json())))
    return out


def both_runs(build, fashion_sizes) -> list:
    """build's cases for mnist5k-2d's 1,000 test points and, where Debian's dataset is here,
    fashion-2d's `fashion_sizes`."""
    cases = build("mnist5k-2d", [1000])
    try:
        cases += build("fashion-2d", fashion_sizes)
    except Exception as exc:  # noqa: BLE001 - Fashion-MNIST is an apt package; say, and go on
        print(f"fashion-2d skipped: {exc}", file=sys.stderr)
    return cases


def main_ellipses(repeats: int) -> None:
    from playwright.sync_api import sync_playwright

    cases = both_runs(ellipse_cases, [10000])
    load_before = load_average()
    rows = []
    with sync_playwright() as pw:
        browser, page = bare_page(pw)
        for run, n, shapes, traces in cases:
            specs = {"shapes": shapes, "traces": traces}
            times = {k: [] for k in specs}
            for s in specs.values():
                page.evaluate(DRAW, s)  # warm-up draw
            for _ in range(repeats):
                for k, s in specs.items():
                    times[k].append(page.evaluate(DRAW, s))
            med = {k: statistics.median(v) for k, v in times.items()}
            spread = {k: f"{min(v):.0f}–{max(v):.0f}" for k, v in times.items()}
            kb = {k: len(json.dumps(s)) // 1000 for k, s in specs.items()}
            rows.append((run, n, med, spread, kb))
            print(f"{run} {n}: shapes {med['shapes']:.0f} ms, traces {med['traces']:.0f} ms",
                  file=sys.stderr, flush=True)
        browser.close()
    print(f"\n{cpu_words()}; headless Chromium, --disable-gpu; load average {load_before} at the "
          f"start, {load_average()} at the end; medians of {repeats}, alternating (range)\n")
    print("| run | ellipses | as line traces (before) | as one shape per class (now) "
          "| now / before |")
    print("|---|---|---|---|---|")
    for run, n, med, spread, kb in rows:
        print(f"| {run} | {n:,} | {med['traces']:.0f} ms ({spread['traces']}), {kb['traces']} kB | "
              f"{med['shapes']:.0f} ms ({spread['shapes']}), {kb['shapes']} kB | "
              f"{med['shapes'] / med['traces']:.2f}× |")


def switched(spec: dict) -> dict:
    """The same figure with every scatter trace drawn by the other renderer."""
    other = {"scatter": "scattergl", "scattergl": "scatter"}
    spec = json.loads(json.dumps(spec))
    for trace in spec["data"]:
        trace["type"] = other.get(trace.get("type", "scatter"), trace.get("type"))
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ellipses", action="store_true",
                        help="compare the sigma ellipses as shapes and as line traces")
    args = parser.parse_args()
    if args.ellipses:
        return main_ellipses(args.repeats)
    from playwright.sync_api import sync_playwright

    cases = both_runs(figures, [2000, 5000, 10000])
    load_before = load_average()
    rows = []
    with sync_playwright() as pw:
        browser, page = bare_page(pw)
        for run, n, spec in cases:
            kinds = {t.get("type") for t in spec["data"]} - {"contour"}
            as_built = "WebGL" if "scattergl" in kinds else "SVG"
            specs = {as_built: spec, ("SVG" if as_built == "WebGL" else "WebGL"): switched(spec)}
            times = {k: [] for k in specs}
            for k, s in specs.items():
                page.evaluate(DRAW, s)  # warm-up draw
            for _ in range(args.repeats):
                for k, s in specs.items():
                    times[k].append(page.evaluate(DRAW, s))
            gl, svg = statistics.median(times["WebGL"]), statistics.median(times["SVG"])
            rows.append((run, n, as_built, gl, svg, len(json.dumps(spec)) // 1000))
            print(f"{run} {n}: WebGL {gl:.0f} ms, SVG {svg:.0f} ms", file=sys.stderr, flush=True)
        browser.close()
    print(f"\n{cpu_words()}; headless Chromium, --disable-gpu (software WebGL); load average "
          f"{load_before} at the start, {load_average()} at the end; medians of {args.repeats}\n")
    print("| run | test points | figure JSON | WebGL | SVG | WebGL / SVG | the page draws |")
    print("|---|---|---|---|---|---|---|")
    for run, n, as_built, gl, svg, kb in rows:
        print(f"| {run} | {n:,} | {kb} kB | {gl:.0f} ms | {svg:.0f} ms | {gl / svg:.1f}× | "
              f"{as_built} |")


if __name__ == "__main__":
    main()
