"""How long Latent space's plane controls take, this checkout beside another.

Each round starts one server per checkout (the shipped runs, a scratch copy; an empty cache folder
of its own, so nothing is kept from the round before) and opens Latent space on mnist5k-2d (or
`--run`) in one headless Chromium. It then clicks the plane's controls in this order, twice:

    Prior circles off, on · Density q(z) off, on · Sigma ellipses "a sample of 500", "all", "none",
    "all"

The first pass meets four settings the server has not drawn yet ("first": the figure is computed),
the second only settings it has ("again": the figure comes from the server's cache). A click is
timed until the script has run and the page is drawn (bench_ui's wait: nothing stale, every
Plotly chart drawn). The checkouts alternate which goes first. Prints the CPU, the load and a
markdown table of medians and ranges, and now / before. Needs /usr/bin/chromium.

    .venv/bin/python bench/bench_latent_clicks.py --before DIR [--rounds 3] [--run R]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ui import CHROMIUM, TIMEOUT_MS, _drawn  # noqa: E402
from bench.machine import cpu_words  # noqa: E402
from tests.conftest import _copy_runs  # noqa: E402
from ui.serve import background as serve  # noqa: E402

TITLE = "Latent space"
# (the control's group, the option's words): a toggle is clicked by its label
CLICKS = [("toggle", "Prior circles"), ("toggle", "Prior circles"),
          ("toggle", "Density q(z)"), ("toggle", "Density q(z)"),
          ("radio", "a sample of 500"), ("radio", "all 1,000"), ("radio", "none"),
          ("radio", "all 1,000")]
# set once the click's rerun has begun: the page's state before it is still "drawn"
ARM = """() => { window.benchRan = false;
  const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'running') window.benchRan = true;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }"""


def click(page, kind: str, words: str) -> float:
    main = page.locator("[data-testid=stMain]")
    target = (main.locator("[data-testid=stCheckbox] label").filter(has_text=words) if kind == "toggle"
              else main.locator("[data-testid=stRadio] label").filter(has_text=words))
    page.evaluate(ARM)
    t0 = time.perf_counter()
    target.click()
    page.wait_for_function("() => window.benchRan", polling=10)
    _drawn(page, TITLE)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True,
                        help="another checkout of this project (a `git worktree` of a commit)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--run", default="mnist5k-2d", help="a shipped run with a 2-D latent")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    versions = {"before": args.before, "now": None}
    times = {(v, p): [] for v in versions for p in ("first", "again")}
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = _copy_runs(Path(tmp) / "runs")
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        order = list(versions)
        for r in range(args.rounds):
            for version in (order if r % 2 == 0 else order[::-1]):
                with contextlib.ExitStack() as stack:
                    url = stack.enter_context(serve(
                        root, timeout_s=TIMEOUT_MS / 1000, project=versions[version],
                        env={"VAE_CACHE_DIR": f"{tmp}/cache-{version}-{r}"}))
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.set_default_timeout(TIMEOUT_MS)
                    page.goto(f"{url}/?run={args.run}")
                    _drawn(page, TITLE, 1)
                    for k, (kind, words) in enumerate(CLICKS):
                        # the 1st, 3rd, 5th and 7th clicks meet a setting not drawn before
                        times[version, "first" if k in (0, 2, 4, 6) else "again"].append(
                            click(page, kind, words))
                    times[version, "again"] += [click(page, kind, words) for kind, words in CLICKS]
                    page.close()
            load.append(os.getloadavg()[0])
            print(f"round {r + 1} of {args.rounds}", file=sys.stderr, flush=True)
        browser.close()
    print(f"\n{args.run}: {args.rounds} rounds on {cpu_words()}; load average "
          f"{min(load):.1f}–{max(load):.1f}\n")
    print("| Latent space: a plane control → the page drawn | clicks | before | now | now / before |")
    print("|---|---:|---|---|---|")
    for when, words in (("first", "a setting the server has not drawn yet"),
                        ("again", "a setting drawn before (cached)")):
        b, n = times["before", when], times["now", when]
        print(f"| {words} | {len(n)} | {statistics.median(b):.2f} s ({min(b):.2f}–{max(b):.2f}) | "
              f"{statistics.median(n):.2f} s ({min(n):.2f}–{max(n):.2f}) | "
              f"{statistics.median(n) / statistics.median(b):.2f}× |")


if __name__ == "__main__":
    main()
