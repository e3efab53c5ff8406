"""The offline HTML export (python -m ui.export): how big each shipped run's file is, how long
Chromium takes from opening it (file://) to every chart drawn, and how fast its slider decodes.

For each run: build the file (export_html), note its size and whether the weights travel as
float16; then open it in headless Chromium `--repeats` times in fresh contexts, with every request
outside the file aborted, and read the page's own clock: navigation start to the moment the last
Plotly chart resolved (window.__export.drawnAt). Last, drag the first slider end to end with the
Generate page benchmark's drag (bench_browser_decode.DRAG) and count the frames with a new image.

    .venv/bin/python bench/bench_export.py [--runs mnist5k-2d ...] [--open-runs ...] [--repeats 3]

Prints a markdown table. Needs /usr/bin/chromium; no browser is downloaded.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_browser_decode import DRAG  # noqa: E402
from ui.export import ExportError, export_html  # noqa: E402
from vae.run import DEFAULT_ROOT, list_runs  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
OPENED = ("mnist5k-2d", "mnist5k-2d-ae", "fashion-2d", "fashion-16d")


def open_times(browser, path: Path, repeats: int) -> tuple[list[float], dict]:
    url = path.as_uri()
    times, drag = [], None
    for k in range(repeats):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.route("**/*", lambda route: route.continue_() if route.request.url == url
                   else route.abort())
        page.goto(url)
        page.wait_for_selector("body[data-charts=drawn]", timeout=120_000)
        times.append(page.evaluate("window.__export.drawnAt") / 1000)
        if requests != [url]:
            raise SystemExit(f"{path.name} made requests: {requests}")
        if k == repeats - 1:
            explorer = page.locator("#explorer .vae-explorer[data-ready='1']")
            explorer.wait_for(timeout=60_000)
            args = {"durationMs": 2000, "rateHz": 120}
            explorer.evaluate(DRAG, args)  # warm-up (JIT)
            drag = explorer.evaluate(DRAG, args)
        context.close()
    return times, drag


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", nargs="+", default=None, help="runs to export (default: all)")
    ap.add_argument("--open-runs", nargs="+", default=list(OPENED),
                    help="runs whose file is opened in Chromium")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    runs = {r.name: r for r in list_runs(DEFAULT_ROOT)}
    names = args.runs or sorted(runs)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name in names:
            t0 = time.perf_counter()
            try:
                data = export_html(runs[name])
            except ExportError as exc:
                rows.append({"run": name, "error": str(exc)})
                continue
            built = time.perf_counter() - t0
            path = Path(tmp) / f"{name}.html"
            path.write_bytes(data)
            files[name] = path
            half = b'"precision":"float16"' in data
            error = re.search(rb"(\d+\.\d+)/255", data)  # the file's own sentence on precision
            rows.append({"run": name, "mb": len(data) / 1e6, "build": built,
                         "weights": ("float16" if half else "float32")
                         + (f" ({error.group(1).decode()}/255)" if error else "")})
            print(f"{name}: {len(data) / 1e6:.1f} MB in {built:.1f} s", file=sys.stderr)
        opened = [n for n in args.open_runs if n in files]
        if opened:
            if not Path(CHROMIUM).exists():
                raise SystemExit("Debian's chromium is missing: sudo apt-get install chromium")
            from playwright.sync_api import sync_playwright
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu",
                                                   "--disable-background-networking"])
                for row in rows:
                    if row["run"] in opened:
                        times, drag = open_times(browser, files[row["run"]], args.repeats)
                        row["open"] = times
                        row["fps"] = drag["frames"] / (drag["elapsed"] / 1000)
                        row["decode"] = statistics.median(drag["handler"])
                        print(f"{row['run']}: opened", file=sys.stderr)
                browser.close()
    print(f"Headless Chromium, {os.cpu_count()} CPU cores, load average "
          f"{os.getloadavg()[0]:.1f} at the end; open → every chart drawn over "
          f"{args.repeats} fresh opens (median, range).\n")
    print("| run | file | weights (largest drawn-pixel change from float32) | export (Python) | open → every chart drawn | drag: frames/s "
          "| decode + draw per event |")
    print("|---|---:|---|---:|---|---:|---:|")
    for r in rows:
        if "error" in r:
            print(f"| {r['run']} | not written: {r['error']} | | | | | |")
            continue
        opened = (f"{statistics.median(r['open']):.2f} s ({min(r['open']):.2f}–"
                  f"{max(r['open']):.2f})" if "open" in r else "")
        fps = f"{r['fps']:.1f}" if "fps" in r else ""
        dec = f"{r['decode']:.2f} ms" if "decode" in r else ""
        print(f"| {r['run']} | {r['mb']:.1f} MB | {r['weights']} | {r['build']:.1f} s | {opened} "
              f"| {fps} | {dec} |")


if __name__ == "__main__":
    main()
