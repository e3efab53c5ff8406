"""How fast the Draw page's browser encoder follows the pen, in headless Chromium.

For each shipped run: open the Draw page, then from inside the page draw a stroke (a figure "2")
over 2 s by dispatching pointer events on the canvas at a fixed rate. Each event paints into the
canvas's grey levels; each animation frame in which they changed runs the encoder (mu, sigma), moves
the ellipse, and decodes mu and four z = mu + sigma * eps. Reported: frames per second in which a
new encoding was drawn, the time from an input event to the end of the animation frame that drew
its encoding (the frame it shows in), the encoder's own time and the whole frame's work, and the
bytes the websocket carried on the first load and on the rerun after the pen lifts.

    .venv/bin/python bench/bench_browser_encode.py [--runs mnist5k-2d ...] [--rate 120]

Prints a markdown table. Needs /usr/bin/chromium; no browser is downloaded.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ui.serve import background as serve  # noqa: E402
from vae.run import DEFAULT_ROOT, RunDir  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
RUNS = ("mnist5k-2d", "mnist5k-2d-ae", "fashion-2d", "fashion-16d")

STROKE = """async (el, {durationMs, rateHz}) => {
  const S = el.__draw;
  const canvas = el.querySelector('canvas.draw');
  const rect = canvas.getBoundingClientRect();
  // A "2": an arc over the top, a diagonal down to the left, a bar along the bottom.
  const path = (t) => {
    if (t < 0.45) { const a = Math.PI * (1.1 - 1.25 * t / 0.45);
                    return [0.5 + 0.22 * Math.cos(a), 0.38 - 0.2 * Math.sin(a)]; }
    if (t < 0.8) { const u = (t - 0.45) / 0.35; return [0.64 - 0.36 * u, 0.45 + 0.33 * u]; }
    const u = (t - 0.8) / 0.2; return [0.28 + 0.45 * u, 0.78];
  };
  const fire = (type, t) => {
    const [x, y] = path(t);
    canvas.dispatchEvent(new PointerEvent(type, {bubbles: true, cancelable: true, pointerId: 7,
      pointerType: 'pen', isPrimary: true, button: 0, buttons: type === 'pointerup' ? 0 : 1,
      clientX: rect.left + x * rect.width, clientY: rect.top + y * rect.height}));
  };
  S.renderLog = [];
  const events0 = S.inputCount;
  const t0 = performance.now();
  fire('pointerdown', 0);
  const handler = [];
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const frac = Math.min(1, (performance.now() - t0) / durationMs);
      const ts = performance.now();
      fire('pointermove', frac);
      handler.push(performance.now() - ts);
      if (frac >= 1) { clearInterval(timer); resolve(); }
    }, 1000 / rateHz);
  });
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const elapsed = performance.now() - t0;
  const log = S.renderLog;
  S.renderLog = null;
  return {frames: log.length, elapsed, events: S.inputCount - events0, handler,
          latencies: log.map((r) => r.at - r.since), encode: log.map((r) => r.encode),
          render: log.map((r) => r.render), trail: S.trail.length};
}"""

LIFT = """el => {
  const canvas = el.querySelector('canvas.draw');
  const rect = canvas.getBoundingClientRect();
  canvas.dispatchEvent(new PointerEvent('pointerup', {bubbles: true, pointerId: 7,
    pointerType: 'pen', isPrimary: true, clientX: rect.left + 10, clientY: rect.top + 10}));
  return el.__draw.sent;
}"""


def _wait_idle(page):
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",
                           timeout=60_000)


def _median(values):
    return statistics.median(values) if values else float("nan")


def bench_run(browser, url: str, run: str, rate: float, duration_ms: float) -> dict:
    model = RunDir(DEFAULT_ROOT / run).load_model()
    weights = 4 * sum(p.numel() for p in model.parameters())
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    received = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: received.append(len(payload))))
    page.goto(f"{url}/draw?run={run}")
    _wait_idle(page)
    component = page.locator(".vae-draw[data-ready='1']")
    component.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    first_load = sum(received)
    args = {"durationMs": duration_ms, "rateHz": rate}
    component.evaluate(STROKE, args)  # warm-up (JIT), then lift and start again from blank
    component.evaluate(LIFT)
    _wait_idle(page)
    component.evaluate("el => el.querySelector('button.clear').click()")
    _wait_idle(page)
    page.wait_for_timeout(500)
    result = component.evaluate(STROKE, args)
    received.clear()
    component.evaluate(LIFT)  # the pen lifts: the drawing goes to Python, a rerun
    page.get_by_text("Encoded again in Python by torch").wait_for(timeout=30_000)
    _wait_idle(page)
    page.wait_for_timeout(500)
    rerun = sum(received)
    context.close()
    lat = sorted(result["latencies"])
    return {
        "run": run, "weights": weights, "events_per_s": result["events"] / (result["elapsed"] / 1000),
        "fps": result["frames"] / (result["elapsed"] / 1000),
        "latency": _median(lat), "latency_p95": lat[max(0, int(0.95 * len(lat)) - 1)],
        "encode": _median(result["encode"]), "render": _median(result["render"]),
        "handler": _median(result["handler"]), "first_load": first_load, "rerun": rerun,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", nargs="+", default=list(RUNS))
    ap.add_argument("--rate", type=float, default=120.0, help="pointer events per second")
    ap.add_argument("--duration", type=float, default=2.0, help="seconds per stroke")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit("Debian's chromium is missing: sudo apt-get install chromium")
    from playwright.sync_api import sync_playwright
    rows = []
    with serve(DEFAULT_ROOT) as url:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-gpu"])
            for run in args.runs:
                rows.append(bench_run(browser, url, run, args.rate, args.duration * 1000))
                print(f"{run}: done", file=sys.stderr)
            browser.close()
    kb = lambda n: f"{n / 1024:,.0f} KB"  # noqa: E731
    print(f"A stroke drawn over {args.duration:g} s, {args.rate:g} pointer events/s dispatched in "
          f"the page; headless Chromium, {os.cpu_count()} CPU cores, load average "
          f"{os.getloadavg()[0]:.1f} at the end.\n")
    print("| run | pointer events/s handled | frames/s encoded and drawn | input → drawn, median "
          "(p95) | encode, median | encode + 5 decodes + drawing per frame | weights (float32, "
          "encoder + decoder) | websocket, first load | websocket, rerun after the pen lifts |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['events_per_s']:.0f} | {r['fps']:.1f} "
              f"| {r['latency']:.1f} ms ({r['latency_p95']:.1f}) | {r['encode']:.2f} ms "
              f"| {r['render']:.2f} ms | {kb(r['weights'])} | {kb(r['first_load'])} "
              f"| {kb(r['rerun'])} |")


if __name__ == "__main__":
    main()
