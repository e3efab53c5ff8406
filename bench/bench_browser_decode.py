"""How fast the Generate page's browser decoder follows the hand, in headless Chromium.

For each shipped run: open the Generate page, then from inside the page drag the first slider
(the dim with the most KL) end to end over 2 s by dispatching `input` events at a fixed rate, and
count the animation frames in which a new image was drawn. Also: the median time from an input
event to the next animation frame after its pixels were written (when the compositor shows them),
the decoder's own time per event, the weight payload (raw float32, and what base64 would have
cost), and the bytes the websocket carried on the first load and on a rerun after a release.

    .venv/bin/python bench/bench_browser_decode.py [--runs mnist5k-2d ...] [--rate 120]

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

DRAG = """async (el, {durationMs, rateHz}) => {
  const S = el.__explorer;
  const input = el.querySelector('input[type=range]');
  const lo = Number(input.min), hi = Number(input.max);
  const pending = [], latencies = [], handler = [];
  let frames = 0, lastDraw = S.drawCount, running = true;
  const onFrame = () => {
    const now = performance.now();
    if (S.drawCount !== lastDraw) {
      frames += 1;
      lastDraw = S.drawCount;
      for (const t of pending) latencies.push(now - t);
      pending.length = 0;
    }
    if (running) requestAnimationFrame(onFrame);
  };
  requestAnimationFrame(onFrame);
  const t0 = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const frac = Math.min(1, (performance.now() - t0) / durationMs);
      input.value = lo + frac * (hi - lo);
      const ts = performance.now();
      input.dispatchEvent(new Event('input', {bubbles: true}));
      handler.push(performance.now() - ts);
      pending.push(ts);
      if (frac >= 1) { clearInterval(timer); resolve(); }
    }, 1000 / rateHz);
  });
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  running = false;
  return {frames, elapsed: performance.now() - t0, latencies, handler, events: handler.length};
}"""


def _wait_idle(page):
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",
                           timeout=60_000)


def bench_run(browser, url: str, run: str, rate: float, duration_ms: float) -> dict:
    model = RunDir(DEFAULT_ROOT / run).load_model()
    weights = 4 * sum(p.numel() for p in model.decoder.parameters())
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    received = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: received.append(len(payload))))
    page.goto(f"{url}/generate?run={run}")
    _wait_idle(page)
    explorer = page.locator(".vae-explorer[data-ready='1']")
    explorer.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    first_load = sum(received)
    payload = explorer.evaluate("el => el.__explorer.dec.bytes")
    explorer.evaluate(DRAG, {"durationMs": duration_ms, "rateHz": rate})  # warm-up (JIT)
    result = explorer.evaluate(DRAG, {"durationMs": duration_ms, "rateHz": rate})
    url_z = "() => new URLSearchParams(location.search).get('z')"
    before = page.evaluate(url_z)
    received.clear()
    explorer.evaluate("el => el.__explorer.commit()")  # the release: z goes to Python, a rerun
    page.wait_for_function(f"z => ({url_z})() !== z", arg=before, timeout=30_000)
    _wait_idle(page)
    page.wait_for_timeout(500)
    rerun = sum(received)
    context.close()
    return {
        "run": run, "weights": weights, "payload": payload, "base64": 4 * -(-payload // 3),
        "fps": result["frames"] / (result["elapsed"] / 1000), "events": result["events"],
        "latency": statistics.median(result["latencies"]),
        "latency_p95": sorted(result["latencies"])[int(0.95 * len(result["latencies"])) - 1],
        "decode": statistics.median(result["handler"]), "first_load": first_load,
        "rerun": rerun,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", nargs="+", default=list(RUNS))
    ap.add_argument("--rate", type=float, default=120.0, help="input events per second")
    ap.add_argument("--duration", type=float, default=2.0, help="seconds per drag")
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
    print(f"Slider dragged end to end over {args.duration:g} s, {args.rate:g} input events/s "
          f"dispatched in the page; headless Chromium, {os.cpu_count()} CPU cores, load average "
          f"{os.getloadavg()[0]:.1f} at the end.\n")
    print("| run | frames/s drawn | input → next frame, median (p95) | decode + draw per event, median"
          " | weights (float32) | payload sent (with pad scatter) | same as base64 "
          "| websocket, first load | websocket, rerun after release |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['fps']:.1f} | {r['latency']:.1f} ms ({r['latency_p95']:.1f})"
              f" | {r['decode']:.2f} ms | {kb(r['weights'])} | {kb(r['payload'])} "
              f"| {kb(r['base64'])} | {kb(r['first_load'])} | {kb(r['rerun'])} |")


if __name__ == "__main__":
    main()
