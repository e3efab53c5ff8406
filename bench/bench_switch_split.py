"""Where a warm page switch spends its time: click -> the script starts, click -> it finishes, and
click -> the page is drawn, per page, for this checkout and (with --before DIR) another, both served
at once from one scratch copy of the shipped runs, a tab each, their switches taken in turn (so a
busy minute on a shared machine falls on both alike). The split tells the server's share (the
script) from the browser's (drawing what it sent).

With --floor it also switches, in the same browser, between the pages of bench/hello_pages.py:
pages of one 1,000-point chart (what a switch costs in Streamlit and Chromium before the
dashboard does anything) and an empty page. --now-first switches this checkout's tab first in the
first round (the order swaps every round).

    .venv/bin/python bench/bench_switch_split.py [--before DIR] [--rounds 3] [--floor] [--now-first]
                                                 [--pages 'Compare two models,Generate']
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ui import CHROMIUM, PAGES, _drawn, _nav  # noqa: E402
from bench.machine import cpu_words, load_average, speed_probe  # noqa: E402
from tests.conftest import _copy_runs  # noqa: E402
from ui.serve import background  # noqa: E402

# the times the app's script state changes, in the page's own clock
OBSERVE = """() => { window.__t = []; const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver(() => window.__t.push([app.getAttribute('data-test-script-state'),
                                              performance.now()]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }"""


HELLO_PAGES = ROOT / "bench" / "hello_pages.py"
FLOOR_PAGES = ["Hello B", "Hello A", "Empty", "Hello A"]  # chart to chart, to empty, and back
FLOOR_ROWS = {"Hello A": "floor: a page of one 1,000-point chart (from either other page)",
              "Empty": "floor: a page with only its title"}


class Tab:
    """One checkout's server and a tab on it, every page visited once (caches filled), ready to time
    warm switches one at a time."""

    def __init__(self, browser, url: str, pages: list[str], first: str):
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.goto(url)
        _drawn(self.page, first, 1)
        for title in pages:  # first visits: caches filled
            _nav(self.page, title)()
            _drawn(self.page, title)
        self.page.evaluate(OBSERVE)

    def switch(self, title: str) -> tuple:
        """(click -> script starts, -> script ends, -> page drawn), seconds."""
        page = self.page
        page.evaluate("() => { window.__t = []; }")
        t0 = page.evaluate("() => performance.now()")
        _nav(page, title)()
        _drawn(page, title)
        t1 = page.evaluate("() => performance.now()")
        marks = page.evaluate("() => window.__t")
        start = next((t for s, t in marks if s == "running"), None)
        end = next((t for s, t in reversed(marks) if s == "notRunning"), None)
        return (None if start is None else (start - t0) / 1000,
                None if end is None else (end - t0) / 1000, (t1 - t0) / 1000)


def measure_all(browser, root: Path, projects: dict[str, Path], rounds: int,
                script: Path | None = None, pages: list[str] = PAGES,
                first: str = "Latent space", probes: list | None = None,
                now_first: bool = False) -> dict[str, dict[str, list[tuple]]]:
    """Every checkout served at once, one tab each; each round switches to each page in every tab
    in turn (the order of the checkouts swapped every round), so a busy minute on a shared machine
    falls on all of them alike. `probes` gets bench.machine.speed_probe() before each round."""
    out: dict[str, dict[str, list[tuple]]] = {name: {} for name in projects}
    with contextlib.ExitStack() as stack:
        tabs = {name: Tab(browser, stack.enter_context(background(root, project=project,
                                                                   script=script)), pages, first)
                for name, project in projects.items()}
        for r in range(rounds):
            if probes is not None:
                probes.append(speed_probe())
            order = list(tabs) if (r % 2 == 0) != now_first else list(reversed(tabs))
            for title in pages:
                for name in order:
                    out[name].setdefault(title, []).append(tabs[name].switch(title))
        for tab in tabs.values():
            tab.page.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--floor", action="store_true", help="also the hello pages' switches")
    parser.add_argument("--now-first", action="store_true",
                        help="this checkout before --before in the first round")
    parser.add_argument("--pages", help="the pages to switch to, by title, comma-separated "
                        "(default: bench_ui.PAGES, the nine the issue timed; e.g. "
                        "'Compare two models,Generate')")
    args = parser.parse_args()
    pages = args.pages.split(",") if args.pages else PAGES
    from playwright.sync_api import sync_playwright
    versions = {"now": ROOT} if args.before is None else {"before": args.before, "now": ROOT}
    probes, loads = [], [load_average()]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = _copy_runs(Path(tmp) / "runs")
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        results = measure_all(browser, root, versions, args.rounds, pages=pages, probes=probes,
                              now_first=args.now_first)
        floor = (measure_all(browser, root, {"floor": ROOT}, args.rounds, HELLO_PAGES,
                             FLOOR_PAGES, "Hello A")["floor"] if args.floor else {})
        browser.close()
    loads.append(load_average())

    def med(values):
        values = [v for v in values if v is not None]
        return f"{statistics.median(values):.2f}" if values else "–"

    print(f"\nmedians of {args.rounds} warm switches per page on {cpu_words()}; load average "
          f"{loads[0]} → {loads[1]}; bench.machine.speed_probe() before each round "
          f"{min(probes):.2f}–{max(probes):.2f} s (the host's speed)\n")
    print("| page | " + " | ".join(f"{v}: script starts · ends · drawn (s)" for v in results)
          + " |")
    print("|---|" + "---|" * len(results))
    for title in pages:
        cells = []
        for name in results:
            rows = results[name][title]
            cells.append(" · ".join(med([r[i] for r in rows]) for i in range(3)))
        print(f"| {title} | " + " | ".join(cells) + " |")
    cells = []
    for name in results:
        drawn = [statistics.median(r[2] for r in results[name][t]) for t in pages]
        cells.append(f"drawn {statistics.median(drawn):.2f} (slowest {max(drawn):.2f})")
    print("| median over pages | " + " | ".join(cells) + " |")
    if floor:
        print(f"\nThe floor, the same browser, {args.rounds} rounds of "
              f"{' → '.join(FLOOR_PAGES)} (s): script starts · ends · drawn\n")
        merged = {"Hello A": floor["Hello A"] + floor["Hello B"], "Empty": floor["Empty"]}
        for title, rows in merged.items():
            print(f"| {FLOOR_ROWS[title]} | "
                  + " · ".join(med([r[i] for r in rows]) for i in range(3)) + " |")


if __name__ == "__main__":
    main()
