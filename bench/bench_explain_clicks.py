"""How long the explanation page's clicks take, this checkout beside another.

Each checkout serves the shipped runs (a scratch copy) on its own server; one headless Chromium
opens the explanation page of mnist5k-2d (or `--run`: fashion-16d has 10,000 test codes) on
each. Rounds alternate the checkouts (the first one swaps each round); a round clicks each
control `--clicks` times and times each click until what it changes shows and the page is drawn
(bench_ui's wait: the script finished, nothing stale, every Plotly chart drawn):
  - "Sample eps": the count of z drawn changes, and the zoom shows as many (bench_ui's row);
  - "Encode again": its sentence changes;
  - "Random input": the input's caption changes.
Two clicks of each per page first, untimed. Prints the CPU, the load and a markdown table of
medians and ranges, and now / before. Needs /usr/bin/chromium.

    .venv/bin/python bench/bench_explain_clicks.py --before DIR [--rounds 4] [--clicks 5] [--run R]
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
# what "Encode again" and "Random input" change: its sentence, the input's caption
SENTENCE = """() => (document.querySelector('[data-testid=stAlertContentSuccess]') || {})
                     .innerText || ''"""
CAPTIONS = """() => [...document.querySelectorAll('[data-testid=stImageCaption]')]
                     .map(e => e.innerText).join('|')"""


def _changed(page, read: str):
    """A click's wait: until `read` (a JS function) gives something else, then the page drawn."""
    before = page.evaluate(read)
    return lambda: (page.wait_for_function(f"(b) => ({read})() !== b", arg=before, polling=25),
                    _drawn(page, TITLE))


def click(page, control: str) -> float:
    if control == "Sample eps":
        before = page.evaluate(Z_DRAWN)
        wait = lambda: eps_drawn(page, before)  # noqa: E731
    else:
        wait = _changed(page, SENTENCE if control == "Encode again" else CAPTIONS)
    t0 = time.perf_counter()
    page.get_by_role("button", name=control).click()
    wait()
    return time.perf_counter() - t0


CONTROLS = ["Sample eps", "Encode again", "Random input"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True,
                        help="another checkout of this project (a `git worktree` of a commit)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clicks", type=int, default=5)
    parser.add_argument("--run", default="mnist5k-2d", help="a shipped run")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    versions = {"before": args.before, "now": None}
    times = {(v, c): [] for v in versions for c in CONTROLS}
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
            page.goto(f"{url}/explain?run={args.run}")
            _drawn(page, TITLE, 1)
            for control in CONTROLS:
                for _ in range(2):
                    click(page, control)
            pages[version] = page
        order = list(versions)
        for r in range(args.rounds):
            for version in (order if r % 2 == 0 else order[::-1]):
                pages[version].bring_to_front()
                for control in CONTROLS:
                    times[version, control] += [click(pages[version], control)
                                                for _ in range(args.clicks)]
            load.append(os.getloadavg()[0])
            print(f"round {r + 1} of {args.rounds}", file=sys.stderr, flush=True)
        browser.close()
    print(f"\n{args.run}: {args.rounds} rounds × {args.clicks} clicks of each on {cpu_words()}; "
          f"load average {min(load):.1f}–{max(load):.1f}\n")
    print("| click → its change drawn | before | now | now / before |")
    print("|---|---|---|---|")
    for control in CONTROLS:
        b, n = times["before", control], times["now", control]
        print(f"| {control} | {statistics.median(b):.2f} s ({min(b):.2f}–{max(b):.2f}) | "
              f"{statistics.median(n):.2f} s ({min(n):.2f}–{max(n):.2f}) | "
              f"{statistics.median(n) / statistics.median(b):.2f}× |")


if __name__ == "__main__":
    main()
