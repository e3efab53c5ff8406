"""The dashboard's long computations, in headless Chromium: do they show progress and leave the page
answering?

Each repeat serves a fresh dashboard (ui.serve.background, so no cache or job is left from the
last repeat) on a scratch copy of the shipped runs and measures:
  1. the explanation page (mnist5k-2d), section 7 at k = 1000 over the 200-image stratified sample
     (240,000 decodes): click -> the progress bar shows; click -> the numbers show (no other
     click: the page reruns itself when the job has ended); and, clicked while the job runs,
     "Sample eps" -> its new z drawn;
  2. Latent space on fashion-2d: "Sigma ellipses: all 10,000" -> the chart drawn again with every
     ellipse, against "a sample of 500" -> drawn, on the same page.
Prints medians (range) over the repeats, with the CPU and the load. Needs /usr/bin/chromium and
Debian's dataset-fashion-mnist. `--before DIR` serves another checkout (a `git worktree` of an
older commit) in the same repeats, alternating which goes first; there the bounds block the page,
so only click -> numbers is timed for it.

    .venv/bin/python bench/bench_long_views.py [--repeats 3] [--before ../before]
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ui import CHROMIUM, DRAWN, TIMEOUT_MS, Z_DRAWN, _drawn, _timed  # noqa: E402
from bench.machine import cpu_words, load_average  # noqa: E402
from tests.conftest import _copy_runs  # noqa: E402
from ui.serve import background as serve  # noqa: E402

EXPLAIN = "What mu and sigma mean"
# the number of points with an ellipse on the latent plane: an "M" in a class's shape path (a
# NaN in a class's line trace, in checkouts before 629bbbc)
ELLIPSES_DRAWN = """() => {
  let n = 0;
  for (const gd of document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')) {
    for (const t of gd._fullData || [])
      if ((t.name || '').startsWith('σ ellipses')) for (const v of t.x) if (Number.isNaN(v)) n++;
    for (const s of (gd._fullLayout || {}).shapes || [])
      if ((s.name || '').startsWith('σ ellipses') && s.visible === true)
        n += (s.path.match(/M/g) || []).length;
  }
  return n;
}"""


def explain_round(page, url: str, out: dict, blocking: bool = False) -> None:
    page.goto(f"{url}/explain?run=mnist5k-2d")
    _drawn(page, EXPLAIN)
    seven = page.get_by_text("7 · The accounting: two lower bounds on log p(x)", exact=True)
    if seven.count():  # a checkout whose sections 3-9 are drawn when opened: open §7
        seven.click()
        page.get_by_role("slider", name="IWAE samples k").wait_for()
        _drawn(page, EXPLAIN)
    thumb = page.get_by_role("slider", name="IWAE samples k")
    thumb.scroll_into_view_if_needed()
    thumb.focus()
    thumb.press("End")  # k = 1000 on the one input first (fast), so the next click is the job
    page.get_by_text("IWAE_k, k = 1000 (nats/image)").wait_for()
    _drawn(page, EXPLAIN)
    bar = page.locator("[data-testid=stProgress]").filter(has_text="The bounds on 200 test images")
    t0 = time.perf_counter()
    page.get_by_text("200 test images (stratified sample)").click()
    if blocking:  # the older code computes in the script's run: no bar, no other click answers
        page.get_by_text("stratified by class").wait_for(timeout=TIMEOUT_MS)
        out["numbers"].append(time.perf_counter() - t0)
        return
    bar.wait_for()
    out["bar"].append(time.perf_counter() - t0)
    before = page.evaluate(Z_DRAWN)
    running = bar.count() == 1
    out["eps"].append(_timed(
        lambda: page.get_by_role("button", name="Sample eps").click(),
        lambda: page.wait_for_function(f"(b) => ({Z_DRAWN})() !== b", arg=before, polling=25)))
    out["eps_while"].append(running and bar.count() == 1)
    page.get_by_text("stratified by class").wait_for(timeout=TIMEOUT_MS)
    out["numbers"].append(time.perf_counter() - t0)


# the radio's words for "all": "all 10,000 (slow to draw)" now, "all 10,000" in older commits
ALL_10K = re.compile(r"^all 10,000")


def ellipses_round(page, url: str, out: dict) -> None:
    page.goto(f"{url}/?run=fashion-2d")
    _drawn(page, "Latent space", min_charts=1)
    for label, n, key in ((ALL_10K, 10_000, "all"), ("a sample of 500", 500, "sample")):
        out[key].append(_timed(
            lambda: page.get_by_text(label, exact=True).click(),
            lambda: (page.wait_for_function(f"() => ({ELLIPSES_DRAWN})() === {n}", polling=25,
                                            timeout=TIMEOUT_MS),
                     page.wait_for_function(DRAWN, arg=["Latent space", 1], polling=25,
                                            timeout=TIMEOUT_MS))))


def fmt(xs) -> str:
    return f"{statistics.median(xs):.2f} s ({min(xs):.2f}–{max(xs):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--before", type=Path, help="another checkout, served in the same repeats")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright
    keys = ("bar", "numbers", "eps", "eps_while", "all", "sample")
    outs = {"now": {k: [] for k in keys}}
    if args.before:
        outs["before"] = {k: [] for k in keys}
    loads = [load_average()]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = _copy_runs(Path(tmp) / "runs", ["mnist5k-2d", "fashion-2d"])
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu",
                                           "--disable-background-networking"])
        for r in range(args.repeats):
            order = list(outs) if r % 2 == 0 else list(outs)[::-1]
            for which in order:
                out = outs[which]
                project = args.before if which == "before" else None
                with serve(root, timeout_s=TIMEOUT_MS / 1000, project=project) as url:
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    page = context.new_page()
                    page.set_default_timeout(TIMEOUT_MS)
                    explain_round(page, url, out, blocking=which == "before")
                    ellipses_round(page, url, out)
                    context.close()
                loads.append(load_average())
                print(f"repeat {r + 1} {which}: " + ", ".join(
                    f"{k} {v[-1]}" for k, v in out.items() if v), flush=True)
        browser.close()
    print(f"\n{cpu_words()}; load averages {' · '.join(loads)}; {args.repeats} repeats, "
          "medians (range)\n")
    cols = list(outs)
    print("| what | " + " | ".join(cols) + " |\n|---|" + "---|" * len(cols))

    def row(what: str, key: str) -> None:
        print(f"| {what} | " + " | ".join(fmt(outs[c][key]) if outs[c][key] else "—"
                                         for c in cols) + " |")
    row("§7, k = 1000 on 200 images: click → progress bar shown", "bar")
    row("… click → the numbers shown, no other click", "numbers")
    row("… \"Sample eps\" clicked while the job runs → new z drawn", "eps")
    print("| … the job still running when Sample eps answered | " + " | ".join(
        f"{sum(outs[c]['eps_while'])} of {len(outs[c]['eps_while'])}" if outs[c]["eps_while"]
        else "—" for c in cols) + " |")
    row("fashion-2d, Sigma ellipses → all 10,000 drawn", "all")
    row("fashion-2d, Sigma ellipses → a sample of 500 drawn", "sample")


if __name__ == "__main__":
    main()
