"""How long a "Sample eps" click takes on the explanation page, this checkout beside another.

Each checkout serves the shipped runs (a scratch copy) on its own server; one headless Chromium
opens the explanation page of mnist5k-2d on each. Rounds alternate the checkouts (the first one
swaps each round); a round clicks "Sample eps" `--clicks` times and times each click → the new
count of z shows, the zoom shows them, and the page is drawn (bench_ui's "Sample eps" row, the
same wait). Two clicks per page first, untimed. Prints the CPU, the load and a markdown table of
medians and ranges, and now / before. Needs /usr/bin/chromium.

    .venv/bin/python bench/bench_sample_eps.py --before DIR [--rounds 4] [--clicks 5]
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

from bench.bench_ui import CHROMIUM, TIMEOUT_MS, Z_DRAWN, _drawn, eps_drawn  # noqa: E402
from bench.machine import cpu_words  # noqa: E402
from tests.conftest import _copy_runs  # noqa: E402
from ui.serve import background as serve  # noqa: E402

TITLE = "What mu and sigma mean"


def click(page) -> float:
    before = page.evaluate(Z_DRAWN)
    t0 = time.perf_counter()
    page.get_by_role("button", name="Sample eps").click()
    eps_drawn(page, before)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True,
                        help="another checkout of this project (a `git worktree` of a commit)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clicks", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    versions = {"before": args.before, "now": None}
    times = {v: [] for v in versions}
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw, \
            contextlib.ExitStack() as stack:
        root = _copy_runs(Path(tmp) / "runs")
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        pages = {}
        for version, project in versions.items():
            url = stack.enter_context(serve(root, timeout_s=TIMEOUT_MS / 1000, project=project,
                                            env={"VAE_CACHE_DIR": f"{tmp}/cache-{version}"}))
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{url}/explain?run=mnist5k-2d")
            _drawn(page, TITLE, 1)
            for _ in range(2):
                click(page)
            pages[version] = page
        order = list(versions)
        for r in range(args.rounds):
            for version in (order if r % 2 == 0 else order[::-1]):
                pages[version].bring_to_front()
                times[version] += [click(pages[version]) for _ in range(args.clicks)]
            load.append(os.getloadavg()[0])
            print(f"round {r + 1}: " + ", ".join(
                f"{v} {statistics.median(t):.3f} s" for v, t in times.items()), file=sys.stderr)
        browser.close()
    med = {v: statistics.median(t) for v, t in times.items()}
    print(f"\n{args.rounds} rounds × {args.clicks} clicks on {cpu_words()}; load average "
          f"{min(load):.1f}–{max(load):.1f}\n")
    print("| \"Sample eps\" click → new z drawn | before | now | now / before |")
    print("|---|---|---|---|")
    print(f"| median (range) | {med['before']:.2f} s ({min(times['before']):.2f}–"
          f"{max(times['before']):.2f}) | {med['now']:.2f} s ({min(times['now']):.2f}–"
          f"{max(times['now']):.2f}) | {med['now'] / med['before']:.2f}× |")


if __name__ == "__main__":
    main()
