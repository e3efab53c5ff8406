"""How long a page's controls take to answer, this checkout beside another.

Each round starts one server per checkout (the shipped runs, a scratch copy; an empty cache folder
of its own, so nothing is kept from the round before), opens the page on mnist5k-2d (or `--run`)
in one headless Chromium and clicks its controls in a fixed order, twice over. A click is timed
until the server has reported a script run ended after it (the page's or a fragment's, read from
the WebSocket) and the page is drawn (bench_ui's wait: nothing stale, every Plotly chart drawn,
every component ready). The run on show must not be training: a fragment's timer would end a
click's wait early. The checkouts alternate which goes first. Prints the
CPU, the load and a markdown table of medians and ranges, and now / before. Needs
/usr/bin/chromium.

`--page latent`: Latent space's plane controls,

    Prior circles off, on · Density q(z) off, on · Sigma ellipses "a sample of 500", "all",
    "none", "all"

where the first pass meets four settings the server has not drawn yet ("first": the figure is
computed) and every other click one it has ("again": the figure comes from the server's cache).

`--page generate`: Generate's controls that do not change z: the prior samples' Seed up by one,
and the interpolation's "B: which one" up by one, three times each (every click a new picture).

`--page compare`: Compare's "Seed of the prior samples" up by one, three times (A mnist5k-2d, or
`--run`; B mnist5k-2d-ae, or `--b`, picked first).

    .venv/bin/python bench/bench_clicks.py --before DIR [--page latent] [--rounds 3] [--run R]
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

from bench.bench_ui import CHROMIUM, TIMEOUT_MS, _drawn  # noqa: E402
from bench.machine import cpu_words  # noqa: E402
from tests.conftest import _copy_runs  # noqa: E402
from ui.serve import background as serve  # noqa: E402

# per page: its title, its path, its Plotly charts and its clicks, (the control's kind, its words,
# whether the server has drawn what it asks for before: "first" or "again"; or "each": new)
PAGES = {
    "latent": ("Latent space", "", 1, [
        ("toggle", "Prior circles", "first"), ("toggle", "Prior circles", "again"),
        ("toggle", "Density q(z)", "first"), ("toggle", "Density q(z)", "again"),
        ("radio", "a sample of 500", "first"), ("radio", "all 1,000", "again"),
        ("radio", "none", "first"), ("radio", "all 1,000", "again")]),
    "generate": ("Generate", "generate", 0, [("step up", "Seed", "each")] * 3
                 + [("step up", "B: which one", "each")] * 3),
    "compare": ("Compare two models", "compare", 2,
                [("step up", "Seed of the prior samples", "each")] * 3),
}


class RunsEnded:
    """Counts the script runs (the page's or a fragment's) the server reports ended to `page`,
    read from its WebSocket: a click is timed until a run begun after it has ended. (The page's
    data-test-script-state can miss a short run: React may draw "running" and "notRunning" in one
    commit when the browser is busy.)"""

    def __init__(self, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        self.n = 0

        def frame(payload) -> None:
            if isinstance(payload, bytes):
                msg = ForwardMsg.FromString(payload)
                self.n += msg.WhichOneof("type") == "script_finished"

        page.on("websocket", lambda ws: ws.on("framereceived", frame))


def click(page, ended: RunsEnded, title: str, kind: str, words: str) -> float:
    main = page.locator("[data-testid=stMain]")
    if kind == "step up":
        label = page.get_by_label(re.compile("^" + re.escape(words)))
        target = main.locator("[data-testid=stElementContainer]").filter(has=label).locator(
            "[data-testid=stNumberInputStepUp]")
    else:
        box = "[data-testid=stCheckbox]" if kind == "toggle" else "[data-testid=stRadio]"
        target = main.locator(f"{box} label").filter(has_text=words)
    target.wait_for()
    before = ended.n
    t0 = time.perf_counter()
    target.click()
    while ended.n == before:
        if time.perf_counter() - t0 > TIMEOUT_MS / 1000:
            raise TimeoutError(f"no script run ended after the click on {words!r}")
        page.wait_for_timeout(5)  # Playwright hands over the WebSocket's frames while it waits
    _drawn(page, title)
    return time.perf_counter() - t0


def pick_b(page, name: str) -> None:
    """Compare's model B, chosen in its box (untimed)."""
    title, _, charts, ((_, control, _), *_) = PAGES["compare"]
    box = page.get_by_role("combobox", name="Model B (same dataset)")
    box.click()
    page.get_by_role("option", name=name, exact=True).click()
    page.get_by_label(re.compile("^" + re.escape(control))).wait_for()
    _drawn(page, title, charts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True,
                        help="another checkout of this project (a `git worktree` of a commit)")
    parser.add_argument("--page", choices=sorted(PAGES), default="latent")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--run", default="mnist5k-2d", help="a shipped run")
    parser.add_argument("--b", default="mnist5k-2d-ae", help="Compare's model B")
    args = parser.parse_args()
    title, path, charts, clicks = PAGES[args.page]
    kinds = list(dict.fromkeys(when for _, _, when in clicks))
    from playwright.sync_api import sync_playwright

    versions = {"before": args.before, "now": None}
    times = {(v, w): [] for v in versions for w in kinds}
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = _copy_runs(Path(tmp) / "runs")
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        order = list(versions)
        for r in range(args.rounds):
            for version in (order if r % 2 == 0 else order[::-1]):
                with serve(root, timeout_s=TIMEOUT_MS / 1000, project=versions[version],
                           env={"VAE_CACHE_DIR": f"{tmp}/cache-{version}-{r}"}) as url:
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.set_default_timeout(TIMEOUT_MS)
                    ended = RunsEnded(page)
                    page.goto(f"{url}/{path}?run={args.run}")
                    _drawn(page, title, charts)
                    if args.page == "compare":
                        pick_b(page, args.b)
                    for kind, words, when in clicks:
                        times[version, when].append(click(page, ended, title, kind, words))
                    for kind, words, when in clicks:  # again: what the first pass drew, or new
                        times[version, "again" if when == "first" else when].append(
                            click(page, ended, title, kind, words))
                    page.close()
            load.append(os.getloadavg()[0])
            print(f"round {r + 1} of {args.rounds}", file=sys.stderr, flush=True)
        browser.close()
    print(f"\n{args.run}: {args.rounds} rounds on {cpu_words()}; load average "
          f"{min(load):.1f}–{max(load):.1f}\n")
    print(f"| {title}: a click → the page drawn | clicks | before | now | now / before |")
    print("|---|---:|---|---|---|")
    rows = {"first": "a setting the server has not drawn yet",
            "again": "a setting drawn before (cached)", "each": "a number input's + (a new seed, "
            "a new image)"}
    for when, words in ((w, rows[w]) for w in kinds):
        b, n = times["before", when], times["now", when]
        print(f"| {words} | {len(n)} "
              f"| {statistics.median(b):.2f} s ({min(b):.2f}–{max(b):.2f}) | "
              f"{statistics.median(n):.2f} s ({min(n):.2f}–{max(n):.2f}) | "
              f"{statistics.median(n) / statistics.median(b):.2f}× |")


if __name__ == "__main__":
    main()
