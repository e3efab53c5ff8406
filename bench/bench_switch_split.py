"""Where a warm page switch spends its time: click -> the script starts, click -> it finishes, and
click -> the page is drawn, per page, for this checkout and (with --before DIR) another, one after
the other on one scratch copy of the shipped runs. The split tells the server's share (the script)
from the browser's (drawing what it sent).

With --floor it also switches, in the same browser, between the pages of bench/hello_pages.py:
pages of one 1,000-point chart (what a switch costs in Streamlit and Chromium before the
dashboard does anything) and an empty page. --now-first measures this checkout before DIR.

    .venv/bin/python bench/bench_switch_split.py [--before DIR] [--rounds 3] [--floor] [--now-first]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ui import CHROMIUM, PAGES, _drawn, _nav  # noqa: E402
from bench.machine import cpu_words  # noqa: E402
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


def measure(browser, root: Path, project: Path, rounds: int, script: Path | None = None,
            pages: list[str] = PAGES, first: str = "Latent space") -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    with background(root, project=project, script=script) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        _drawn(page, first, 1)
        for title in pages:  # first visits: caches filled
            _nav(page, title)()
            _drawn(page, title)
        page.evaluate(OBSERVE)
        for _ in range(rounds):
            for title in pages:
                page.evaluate("() => { window.__t = []; }")
                t0 = page.evaluate("() => performance.now()")
                _nav(page, title)()
                _drawn(page, title)
                t1 = page.evaluate("() => performance.now()")
                marks = page.evaluate("() => window.__t")
                start = next((t for s, t in marks if s == "running"), None)
                end = next((t for s, t in reversed(marks) if s == "notRunning"), None)
                out.setdefault(title, []).append(
                    (None if start is None else (start - t0) / 1000,
                     None if end is None else (end - t0) / 1000, (t1 - t0) / 1000))
        page.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--floor", action="store_true", help="also the hello pages' switches")
    parser.add_argument("--now-first", action="store_true", help="this checkout before --before")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    versions = {"now": ROOT} if args.before is None else {"before": args.before, "now": ROOT}
    if args.now_first:
        versions = dict(reversed(versions.items()))
    results = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = _copy_runs(Path(tmp) / "runs")
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for name, project in versions.items():
            results[name] = measure(browser, root, project, args.rounds)
        floor = (measure(browser, root, ROOT, args.rounds, HELLO_PAGES, FLOOR_PAGES, "Hello A")
                 if args.floor else {})
        browser.close()

    def med(values):
        values = [v for v in values if v is not None]
        return f"{statistics.median(values):.2f}" if values else "–"

    print(f"\nmedians of {args.rounds} warm switches per page on {cpu_words()}\n")
    print("| page | " + " | ".join(f"{v}: script starts · ends · drawn (s)" for v in results)
          + " |")
    print("|---|" + "---|" * len(results))
    for title in PAGES:
        cells = []
        for name in results:
            rows = results[name][title]
            cells.append(" · ".join(med([r[i] for r in rows]) for i in range(3)))
        print(f"| {title} | " + " | ".join(cells) + " |")
    if floor:
        print(f"\nThe floor, the same browser, {args.rounds} rounds of "
              f"{' → '.join(FLOOR_PAGES)} (s): script starts · ends · drawn\n")
        merged = {"Hello A": floor["Hello A"] + floor["Hello B"], "Empty": floor["Empty"]}
        for title, rows in merged.items():
            print(f"| {FLOOR_ROWS[title]} | "
                  + " · ".join(med([r[i] for r in rows]) for i in range(3)) + " |")


if __name__ == "__main__":
    main()
