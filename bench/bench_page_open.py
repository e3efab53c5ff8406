"""What one page open costs an e2e test, in headless Chromium: the wall time and the whole
machine's CPU time (all processes: the server, Chromium, this script), per open.

The ways a test can reach a page, side by side on one server (a scratch copy of the shipped runs),
in rounds: each round measures every way once, `--opens` times in a row, so a change in the
machine's load falls on all of them alike:
  - a new browser context and tab, then the page's URL (what each e2e test did until 2026-12);
  - a new tab in one shared context, then the URL;
  - the same tab sent to about:blank, then the URL (tests/e2e/conftest.py `page` now);
  - the same tab, another run picked in the sidebar's "Active run" box (no page load);
  - the same tab, another page clicked in the sidebar's navigation (no page load).
Each open waits for the script run to end and for the sidebar's "Active run" box (or the page's
title). Prints a markdown table of medians over the rounds, with their range.

    .venv/bin/python bench/bench_page_open.py [--rounds 3] [--opens 4]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_words, load_average  # noqa: E402
from tests.conftest import _copy_runs  # noqa: E402
from tests.e2e.conftest import pick_run as pick_run_in_sidebar  # noqa: E402
from ui.serve import background as serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 180_000
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


def machine_cpu_s() -> float:
    """CPU seconds spent by every process on the machine so far (busy jiffies in /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / 100.0  # less idle and iowait


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--opens", type=int, default=4)
    args = ap.parse_args()
    from playwright.sync_api import expect, sync_playwright

    root = _copy_runs(Path(tempfile.mkdtemp(prefix="bench-open-")) / "runs")
    loads = [load_average()]
    results: dict[str, list[tuple[float, float]]] = {}
    with serve(root) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu",
                                           "--disable-background-networking"])
        runs_url = f"{url}/runs?run=mnist5k-2d"

        def loaded(tab) -> None:
            tab.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
            tab.get_by_role("combobox", name="Active run").wait_for(timeout=TIMEOUT_MS)

        def new_context(_i):
            context = browser.new_context(viewport=VIEWPORT)
            tab = context.new_page()
            tab.goto(runs_url)
            loaded(tab)
            context.close()

        shared = browser.new_context(viewport=VIEWPORT)

        def new_tab(_i):
            tab = shared.new_page()
            tab.goto(runs_url)
            loaded(tab)
            tab.close()

        tab = shared.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        tab.goto(runs_url)
        loaded(tab)

        def same_tab(_i):
            tab.goto("about:blank")
            tab.goto(runs_url)
            loaded(tab)

        def pick_run(i):
            pick_run_in_sidebar(tab, ("fashion-2d", "mnist5k-2d")[i % 2])

        def click_page(i):
            title = ("Glossary", "Runs")[i % 2]
            tab.locator("[data-testid=stSidebarNav]").get_by_text(title, exact=True).click()
            expect(tab.locator("[data-testid=stMain] h1").first).to_have_text(
                title, timeout=TIMEOUT_MS)
            tab.wait_for_selector(IDLE, timeout=TIMEOUT_MS)

        ways = {"new context and tab, then the URL": new_context,
                "new tab in one shared context, then the URL": new_tab,
                "same tab: about:blank, then the URL": same_tab,
                "same tab: another run in the sidebar box": pick_run,
                "same tab: another page in the sidebar": click_page}
        new_context(0)  # the server's first script run and the browser's first load, untimed
        for _ in range(args.rounds):
            for what, way in ways.items():
                if what.startswith("same tab: another"):
                    same_tab(0)  # from the Runs page, untimed
                cpu0, wall0 = machine_cpu_s(), time.perf_counter()
                for i in range(args.opens):
                    way(i)
                results.setdefault(what, []).append(
                    ((time.perf_counter() - wall0) / args.opens,
                     (machine_cpu_s() - cpu0) / args.opens))
            loads.append(load_average())
        browser.close()

    def fmt(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"

    base = statistics.median(c for _, c in results["new context and tab, then the URL"])
    print(f"\n{args.rounds} round(s) of {args.opens} opens each, on {cpu_words()}; load average "
          f"{min(loads)}–{max(loads)}\n")
    print("| a test reaches the Runs page by | wall per open | machine CPU per open | CPU × new context |")
    print("|---|---|---|---|")
    for what, rows in results.items():
        cpu = [c for _, c in rows]
        print(f"| {what} | {fmt([w for w, _ in rows])} | {fmt(cpu)} | "
              f"{statistics.median(cpu) / base:.2f}× |")


if __name__ == "__main__":
    main()
