"""How fast a hovered point's test image appears, in headless Chromium.

Latent space: the mouse moves onto N points of the scatter, one after another; the time is from the
mouse event that reaches the chart to the animation frame after the tooltip was drawn (Plotly's
hover detection, our plotly_hover handler, one drawImage from the sprite sheet). Generate: the same
on the pad (our nearest-point search over the pad's points, then the drawImage). Also the size of
the sprite sheets that carry the images.

    .venv/bin/python bench/bench_hover.py [--runs mnist5k-2d fashion-2d] [--points 20]

Prints a markdown table. Needs /usr/bin/chromium; no browser is downloaded.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _copy_runs  # noqa: E402
from ui.serve import background as serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
READY_APP = "[data-testid=stApp][data-test-script-state=notRunning]"

# Arm a probe: the next change of the tooltip's data-index resolves with the time from the
# pointermove that caused it to the next animation frame.
ARM = """(tooltipSelector) => ({done: new Promise((resolve) => {
  let t0 = null;
  const onMove = (e) => { if (t0 === null) t0 = performance.now(); };
  window.addEventListener('pointermove', onMove, {capture: true});
  const find = () => {
    const direct = document.querySelector(tooltipSelector);
    if (direct) return direct;
    for (const host of document.querySelectorAll('*')) {
      if (host.shadowRoot && host.shadowRoot.querySelector(tooltipSelector))
        return host.shadowRoot.querySelector(tooltipSelector);
    }
    return null;
  };
  const el = find();
  const before = el ? el.dataset.index : undefined;
  const obs = new MutationObserver(() => {
    if (el.dataset.index !== undefined && el.dataset.index !== before && t0 !== null) {
      obs.disconnect();
      window.removeEventListener('pointermove', onMove, {capture: true});
      requestAnimationFrame(() => resolve(performance.now() - t0));
    }
  });
  obs.observe(el, {attributes: true});
})})"""  # wrapped in an object: evaluate_handle would otherwise wait for the promise

SCATTER_POINTS = """(gd, n) => {
  const rect = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const out = [];
  for (const t of gd._fullData) {
    if (!t.type.startsWith('scatter') || t.mode !== 'markers' || !t.customdata) continue;
    for (let i = 0; i < t.x.length && out.length < n; i += 37)
      out.push([rect.left + xa._offset + xa.d2p(t.x[i]), rect.top + ya._offset + ya.d2p(t.y[i])]);
  }
  return out.slice(0, n);
}"""

PAD_POINTS = """(el, n) => {
  const S = el.__explorer, c = el.querySelector('canvas.pad'), r = c.getBoundingClientRect();
  const [dx, dy] = S.pad, {mu, dims} = S.scatter, [ux, uy, span] = S.padUnits();
  const out = [];
  for (let i = 0; i < S.scatter.n && out.length < n; i += 53) {
    const x = mu[i * dims + dx], y = mu[i * dims + dy];
    if (Math.abs(x) < span / 2 - 0.3 && Math.abs(y) < span / 2 - 0.3)
      out.push([r.left + r.width / 2 + x * ux, r.top + r.height / 2 - y * uy]);
  }
  return out;
}"""


def _measure(page, tooltip, points) -> list[float]:
    times = []
    for x, y in points:
        page.mouse.move(5, 5)
        probe = page.evaluate_handle(ARM, tooltip)
        page.mouse.move(x, y)
        try:
            times.append(float(page.evaluate("p => Promise.race([p.done, new Promise(r => "
                                              "setTimeout(() => r(null), 3000))])", probe)))
        except TypeError:
            pass  # a neighbour at the same pixel already showed this image: no change to time
    return times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", nargs="+", default=["mnist5k-2d", "fashion-2d"])
    ap.add_argument("--points", type=int, default=20)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from ui.components.hover_images import sprite_sheet
    from ui.cache.runs import MAX_POINTS
    from vae.data import load_dataset
    from vae.run import DEFAULT_ROOT, RunDir

    rows = []
    with tempfile.TemporaryDirectory() as tmp, serve(_copy_runs(Path(tmp), args.runs)) as url, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(120_000)
        for run in args.runs:
            dataset = RunDir(DEFAULT_ROOT / run).read_config()[1].dataset
            x = load_dataset(dataset).test_x[:MAX_POINTS]
            sprite_kb = len(sprite_sheet(x)[0]) / 1024
            page.goto(f"{url}/?run={run}")
            page.wait_for_selector(READY_APP)
            toggle = page.locator(".st-key-latent_hover input")
            if not toggle.is_checked():
                page.locator(".st-key-latent_hover label").click()
            page.wait_for_selector(".js-plotly-plot[data-hover-images='1']", state="attached")
            page.wait_for_selector("canvas.vae-hover-image[data-ready='1']", state="attached")
            chart = page.locator(".st-key-latent_scatter .js-plotly-plot")
            print(f"{run}: latent page ready", file=sys.stderr, flush=True)
            latent = _measure(page, "canvas.vae-hover-image",
                              chart.evaluate(SCATTER_POINTS, args.points))
            page.goto(f"{url}/generate?run={run}")
            page.wait_for_selector(READY_APP)
            explorer = page.locator(".vae-explorer[data-ready='1']")
            explorer.wait_for()
            page.wait_for_selector(".vae-explorer canvas.pad-hover[data-ready='1']",
                                   state="attached")
            pad = _measure(page, "canvas.pad-hover", explorer.evaluate(PAD_POINTS, args.points))
            rows.append((run, len(x), sprite_kb, latent, pad))
            print(f"{run}: measured", file=sys.stderr, flush=True)
        browser.close()
    print("| run | test images | sprite sheet | Latent space: move → image, median (max) "
          "| Generate pad: move → image, median (max) |")
    print("|---|---:|---:|---|---|")
    for run, n, kb, latent, pad in rows:
        fmt = lambda t: (f"{statistics.median(t):.1f} ms ({max(t):.1f}), n={len(t)}"  # noqa: E731
                         if t else "not measured")
        print(f"| {run} | {n:,} | {kb:,.0f} KB | {fmt(latent)} | {fmt(pad)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
