"""Where the browser's time goes in a warm page switch or a click: Chromium's own profiles of it.

Serves this checkout (the shipped runs, a scratch copy) and opens it in headless Chromium at
1400 px. Each action is taken twice untimed, then `--repeats` times for the JavaScript profile
and `--repeats` times more for the trace, each followed by 1.5 s in which the page settles:
  --switch TITLE: from "Runs" to the page TITLE in the sidebar;
  --click PATH BUTTON: the button named BUTTON on the page at PATH (e.g. explain "Random input").
Prints, per action, the JavaScript profile's time by script (Plotly, React, the app's own
components, and "(program)": the browser's native work outside any script), its busiest
functions, and the renderer's main thread in a trace: what it ran (RunTask: all of its tasks;
within them script, React's scheduled work (MessagePort::Accept), the frame's style, layout and
paint) in ms. Needs /usr/bin/chromium.

    .venv/bin/python bench/js_profile.py --switch "Latent space" [--repeats 4]
    .venv/bin/python bench/js_profile.py --click explain "Random input" [--repeats 4]
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ui import CHROMIUM  # noqa: E402
from bench.machine import cpu_words, load_average  # noqa: E402
from tests.conftest import _copy_runs  # noqa: E402
from ui.serve import background  # noqa: E402

IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
SETTLE_MS = 1500
NOT_SCRIPT = ("(idle)", "(program)", "(garbage collector)", "(root)")


def _settle(page) -> None:
    page.wait_for_timeout(100)
    page.wait_for_selector(IDLE, timeout=120_000)
    page.wait_for_timeout(SETTLE_MS)


def _profile(cdp, act) -> dict:
    """The CPU profile of act(): microseconds by (script, function)."""
    cdp.send("Profiler.start")
    act()
    prof = cdp.send("Profiler.stop")["profile"]
    nodes = {n["id"]: n["callFrame"] for n in prof["nodes"]}
    spent = collections.Counter()
    for node, dt in zip(prof["samples"], prof["timeDeltas"]):
        spent[node] += dt
    out = collections.Counter()
    for node, us in spent.items():
        frame = nodes[node]
        name = frame["functionName"] or "(anonymous)"
        script = name if name in NOT_SCRIPT else (frame["url"].rsplit("/", 1)[-1] or "(native)")
        out[(script, name)] += us
    return out


def _main_thread(trace_file: Path) -> collections.Counter:
    """The renderer main thread's complete events in the trace: microseconds by name."""
    events = json.loads(trace_file.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    busiest = collections.Counter((e["pid"], e["tid"]) for e in events
                                  if names.get((e["pid"], e["tid"])) == "CrRendererMain")
    main = busiest.most_common(1)[0][0]
    spent = collections.Counter()
    for e in events:  # one pass: complete events ("X") on that thread, by name
        if (e["pid"], e["tid"]) == main and e.get("ph") == "X" and "dur" in e:
            spent[e["name"]] += e["dur"]
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--switch", metavar="TITLE")
    what.add_argument("--click", nargs=2, metavar=("PATH", "BUTTON"))
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    load = [load_average()]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = _copy_runs(Path(tmp) / "runs")
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        with background(root) as url:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            nav = page.locator("[data-testid=stSidebarNav]")
            if args.switch:
                page.goto(f"{url}/?run=mnist5k-2d")
                link = lambda title: nav.get_by_role("link", name=title, exact=True)  # noqa: E731

                def before() -> None:
                    link("Runs").click()
                    _settle(page)

                def act() -> None:
                    link(args.switch).click()
                    _settle(page)
                label = f'a warm switch from "Runs" to "{args.switch}"'
            else:
                page.goto(f"{url}/{args.click[0]}?run=mnist5k-2d")
                before = lambda: None  # noqa: E731

                def act() -> None:
                    page.get_by_role("button", name=args.click[1]).click()
                    _settle(page)
                label = f'a click of "{args.click[1]}" on /{args.click[0]}'
            _settle(page)
            for _ in range(2):  # caches filled, the page's scripts compiled
                before()
                act()
            cdp = page.context.new_cdp_session(page)
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 200})
            profile = collections.Counter()
            for _ in range(args.repeats):
                before()
                profile += _profile(cdp, act)
            thread, wall = collections.Counter(), 0.0
            for k in range(args.repeats):  # a trace of each action alone
                before()
                trace = Path(tmp) / f"trace{k}.json"
                browser.start_tracing(page=page, path=str(trace),
                                      categories=["toplevel", "devtools.timeline", "blink",
                                                  "v8.execute"])
                t0 = time.perf_counter()
                act()
                wall += time.perf_counter() - t0
                browser.stop_tracing()
                thread += _main_thread(trace)
        browser.close()
    load.append(load_average())
    n = args.repeats
    print(f"\n{label}, {n} times, each followed by {SETTLE_MS} ms of settling, on {cpu_words()}; "
          f"load average {load[0]} → {load[1]}\n")
    scripts = collections.Counter()
    for (script, _), us in profile.items():
        scripts[script] += us
    print("| JavaScript profile, by script | ms per action |\n|---|---|")
    for script, us in scripts.most_common(12):
        print(f"| {script} | {us / 1000 / n:.0f} |")
    print("\n| busiest functions | ms per action |\n|---|---|")
    for (script, name), us in [kv for kv in profile.most_common(40)
                               if kv[0][0] not in NOT_SCRIPT][:15]:
        print(f"| {name} ({script}) | {us / 1000 / n:.1f} |")
    print("\n| the renderer's main thread, traced (events nest: a row includes those under it) "
          "| ms per action |\n|---|---|")
    for name, us in thread.most_common(16):
        print(f"| {name} | {us / 1000 / n:.0f} |")
    print(f"\n(the traced actions took {wall / n:.2f} s each, settling included)")


if __name__ == "__main__":
    main()
