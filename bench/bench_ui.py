"""How fast the dashboard answers, in headless Chromium, beside a one-chart hello app.

Each repeat, on a scratch copy of the shipped runs:
  1. start the one-chart hello app (bench/hello_app.py: Streamlit + Plotly, 1,000 points) and time
     server start -> its chart drawn; the floor Streamlit and Plotly set on this machine;
     and (this checkout only) the same app importing PyTorch before its chart, the floor of a
     first page that needs PyTorch;
  2. start the dashboard the same way (ui.serve.background) and time server start -> the Latent
     space chart drawn: first with an empty cache folder of its own (VAE_CACHE_DIR: the parsed
     datasets and the numbers kept per weights file, computed and written on this start; timed
     for this checkout only), then again, the start timed in the rows below, finding them;
  3. visit every page by clicking the sidebar: first visit since the server started (cold), then
     a second round (warm). A page counts as drawn when the script has finished, its title shows,
     nothing is stale or a skeleton, and every Plotly chart on it has drawn its SVG;
  4. on the explanation page, click "Sample eps" until a new z shows, then "Open every section"
     (where the checkout has it) until all of it is drawn;
  5. Train page: Start a tiny run -> its "starting" state or progress bar shows; stop it; Resume
     -> the same; stop it;
  6. Rate and distortion: "Start the sweep" (four runs) -> "Started" shows; the runs are stopped.
Prints a markdown table of medians (and the range) over the repeats. Needs /usr/bin/chromium.
`--start-only` does 1 and 2 alone (the cold-start rows), for more repeats in the same time.

    .venv/bin/python bench/bench_ui.py [--repeats 3] [--before DIR] [--start-only]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_words  # noqa: E402
from tests.conftest import _copy_runs  # noqa: E402
from ui.serve import background as serve  # noqa: E402
from vae.launch import stop_training  # noqa: E402
from vae.run import RunDir, list_runs  # noqa: E402

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
HELLO = ROOT / "bench" / "hello_app.py"
PAGES = ["Reconstructions", "Generate", "What mu and sigma mean", "Replay a run",
         "Rate and distortion", "Presenter mode", "Train", "Runs", "Latent space"]
TIMEOUT_MS = 180_000  # a loaded machine can take minutes; a timeout here is a result, not a hang

DRAWN = """([title, minCharts]) => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const h1 = document.querySelector('[data-testid=stMain] h1');
  if (!h1 || !h1.textContent.includes(title)) return false;
  if (document.querySelector('[data-stale=true], [data-testid=stSkeleton]')) return false;
  const charts = [...document.querySelectorAll('[data-testid=stMain] [data-testid=stPlotlyChart]')]
    .filter(c => !c.closest('.st-key-plotly_preload'));  // dashboard.py's out-of-sight preload
  if (charts.length < minCharts) return false;
  if (!charts.every(c => c.querySelector('.main-svg'))) return false;
  // the components (Components v2, each in a shadow root): every one that shows something (not
  // height 0: Presenter's keys, the decoder's weights) has its markup, and has drawn: its root
  // (the SVG pictures, the decoder's pad, the Draw canvas, the KL calculator) comes with
  // data-ready="0" and its script sets "1" once it has drawn. Streamlit puts the markup in
  // place before the script runs, so the markup alone is not enough.
  const hosts = [...document.querySelectorAll('[data-testid=stMain] [data-testid=stBidiComponentIsolated]')];
  return hosts.every(h => {
    const box = h.closest('[data-testid=stElementContainer]');
    if (box && box.getAttribute('height') === '0px') return true;
    const wrap = h.shadowRoot && h.shadowRoot.firstElementChild;
    const root = wrap && wrap.firstElementChild;
    return !!root && (!root.hasAttribute('data-ready') || root.dataset.ready === '1');
  });
}"""

# every SVG picture on the page (ui/components/z_cloud.py), inside the components' shadow roots
PICTURES = """() => [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]
  .flatMap(h => h.shadowRoot ? [...h.shadowRoot.querySelectorAll('.vae-zc')] : [])"""

# the explanation page's count of z drawn ("20 z drawn."), or null before the first click
Z_DRAWN = """() => { const m = document.body.innerText.match(/(\\d+) z drawn\\./);
                    return m ? m[1] : null; }"""

# the z-cloud component (§2's zoom, where the checkout has it) shows as many z as the caption;
# a checkout whose zoom is a Plotly chart has no picture here, and DRAWN alone waits for it
CLOUD_DRAWN = f"""() => {{ const n = ({Z_DRAWN})(), pictures = ({PICTURES})();
    return !pictures.length || (pictures.some(c => c.dataset.n === n) &&
           pictures.every(c => c.dataset.n === n || c.dataset.n === '0')); }}"""

# the run's section shows it: a progress bar, or the words "starting"
RUN_SHOWN = """(name) => {
  const main = document.querySelector('[data-testid=stMain]');
  if (!main) return false;
  const heads = [...main.querySelectorAll('h3')].map(h => h.textContent);
  if (!heads.some(t => t.includes('Run ' + name))) return false;
  if (/is stopped (at|with)|was interrupted/.test(main.innerText)) return false;  // Resume: banner gone
  if (main.querySelector('[data-testid=stProgress]')) return true;
  return /Starting the trainer \(pid|is starting/.test(main.innerText);  // not the old spinner
}"""


def _drawn(page, title: str, min_charts: int = 0) -> None:
    page.wait_for_function(DRAWN, arg=[title, min_charts], polling=25, timeout=TIMEOUT_MS)


def eps_drawn(page, before) -> None:
    """After a "Sample eps" click: the count of z drawn has changed from `before`, the zoom shows
    them (a Plotly chart, or the z-cloud component), and the page is drawn."""
    page.wait_for_function(f"(b) => ({Z_DRAWN})() !== b", arg=before, polling=25)
    page.wait_for_function(CLOUD_DRAWN, polling=25)
    _drawn(page, "What mu and sigma mean")


def _timed(action, wait) -> float:
    t0 = time.perf_counter()
    action()
    wait()
    return time.perf_counter() - t0


def _nav(page, title: str):
    return lambda: page.locator("[data-testid=stSidebarNav]").get_by_role(
        "link", name=title, exact=True).click()


def start_to_chart(browser, root: Path, script: Path | None, title: str,
                   env: dict | None = None, project: Path | None = None) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    t0 = time.perf_counter()
    with serve(root, script=script, timeout_s=TIMEOUT_MS / 1000, env=env,
               project=project) as url:
        page.goto(url)
        _drawn(page, title, min_charts=1)
        elapsed = time.perf_counter() - t0
    context.close()
    return elapsed


def _state(run: RunDir) -> str:
    """status.json's own word, read directly: an older checkout's trainer holds no lock, so the
    lock-aware RunDir.read_status would call it interrupted."""
    try:
        return json.loads(run.status_file.read_text()).get("state", "new")
    except (OSError, ValueError):
        return "new"


def _until_trains(run: RunDir) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while _state(run) not in ("running", "failed", "finished", "stopped"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{run.name} did not start training")
        time.sleep(0.1)


def _until_step(run: RunDir) -> None:
    """Until the trainer has logged a training step (status.json's step above 0)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        try:
            if json.loads(run.status_file.read_text()).get("step", 0) > 0:
                return
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{run.name} logged no step")
        time.sleep(0.02)


def _stop_all(root: Path, names) -> None:
    """Stop the trainers a measurement started and wait until they are gone. The STOP file too:
    an older checkout's trainer takes no lock, so stop_training would not signal it."""
    runs = [RunDir(root / n) for n in names]

    def stop() -> None:
        for r in runs:
            if r.path.exists():
                r.request_stop()
                stop_training(r)

    stop()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(_state(r) in ("running", "starting") for r in runs):
        time.sleep(0.2)
        stop()


def dashboard_round(browser, root: Path, k: int, out: dict, project: Path | None = None,
                    env: dict | None = None, start_only: bool = False) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    t0 = time.perf_counter()
    with serve(root, timeout_s=TIMEOUT_MS / 1000, project=project, env=env) as url:
        page.goto(f"{url}/?run=mnist5k-2d")
        _drawn(page, "Latent space", min_charts=1)
        out["start"].append(time.perf_counter() - t0)
        if start_only:
            context.close()
            return
        _drawn(page, "Latent space")  # and every chart below the first
        for title in PAGES[:-1]:
            out[("cold", title)].append(
                _timed(_nav(page, title), lambda t=title: _drawn(page, t)))
        out[("cold", "Latent space")].append(out["start"][-1])
        for title in PAGES:
            out[("warm", title)].append(
                _timed(_nav(page, title), lambda t=title: _drawn(page, t)))

        _nav(page, "What mu and sigma mean")()
        _drawn(page, "What mu and sigma mean")
        for _ in range(3):
            before = page.evaluate(Z_DRAWN)
            out["eps"].append(_timed(
                lambda: page.get_by_role("button", name="Sample eps").click(),
                lambda: eps_drawn(page, before)))
        every = page.get_by_role("button", name="Open every section")
        if every.count():  # a checkout whose sections 3-9 are drawn when opened
            out["every_section"].append(_timed(
                every.click, lambda: (page.get_by_text("What is random").first.wait_for(),
                                      _drawn(page, "What mu and sigma mean"))))

        name = f"bench-{k}-{'before' if project else 'now'}"
        _nav(page, "Train")()
        _drawn(page, "Train")
        page.get_by_text("Start a new run").click()
        for label, value in (("Run name (optional)", name), ("Epochs", 50), ("Batch size", 32)):
            box = page.get_by_label(label, exact=True)
            box.fill(str(value))
            box.press("Tab")
        run = RunDir(root / name)
        t0 = time.perf_counter()
        out["start_run"].append(_timed(
            lambda: page.get_by_role("button", name="Start training").click(),
            lambda: page.wait_for_function(RUN_SHOWN, arg=name, polling=25)))
        # and the trainer itself: its first training step logged (imports, data, model, step 1)
        _until_step(run)
        out["start_step"].append(time.perf_counter() - t0)
        _until_trains(run)  # let it get going before stopping it
        _stop_all(root, {name})
        page.get_by_role("button", name="Resume").wait_for()
        try:
            out["resume"].append(_timed(
                lambda: page.get_by_role("button", name="Resume").click(),
                lambda: page.wait_for_function(RUN_SHOWN, arg=name, polling=25)))
        except PlaywrightTimeout:  # say what the page showed, and go on with the other rows
            print(f"Resume of {name}: not shown as starting or training within "
                  f"{TIMEOUT_MS / 1000:.0f} s; status {_state(run)}; the page said:\n"
                  + page.inner_text("[data-testid=stMain]")[:3000], file=sys.stderr, flush=True)
        _until_trains(run)
        _stop_all(root, {name})

        _nav(page, "Rate and distortion")()
        _drawn(page, "Rate and distortion")
        before = {r.name for r in list_runs(root)}
        out["sweep"].append(_timed(
            lambda: page.get_by_role("button", name="Start the sweep").click(),
            lambda: page.get_by_text("Started", exact=False).first.wait_for()))
        time.sleep(1.0)
        _stop_all(root, {r.name for r in list_runs(root)} - before)
        deadline = time.monotonic() + 30  # runs still launching write their folder late
        while time.monotonic() < deadline:
            new = {r.name for r in list_runs(root)} - before
            if len(new) >= 4:
                break
            time.sleep(0.2)
        _stop_all(root, new)
    context.close()


def fmt(xs: list[float]) -> str:
    if not xs:
        return "–"
    med = statistics.median(xs)
    return f"{med:.2f} s" + (f" ({min(xs):.2f}–{max(xs):.2f})" if len(xs) > 1 else "")


def rows(out: dict) -> list[tuple[str, str, str]]:
    """(what, result, goal) for one version of the dashboard."""
    ratio = [d / h for d, h in zip(out["start"], out["hello"])]
    empty = [d / h for d, h in zip(out["start_empty"], out["hello"])]
    torch_ratio = [t / h for t, h in zip(out["hello_torch"], out["hello"])]
    warm = [statistics.median(out[("warm", t)]) for t in PAGES if out[("warm", t)]]
    return [
        ("hello app: server start → chart drawn", fmt(out["hello"]), "(the floor)"),
        ("hello app importing PyTorch first: server start → chart drawn", fmt(out["hello_torch"]),
         ""),
        ("… as a multiple of the hello app, same repeat",
         f"{statistics.median(torch_ratio):.2f}× ({min(torch_ratio):.2f}–{max(torch_ratio):.2f})"
         if torch_ratio else "–", ""),
        ("dashboard: server start → Latent space chart drawn", fmt(out["start"]), "≤ 1.3× hello"),
        ("… as a multiple of the hello app, same repeat",
         f"{statistics.median(ratio):.2f}× ({min(ratio):.2f}–{max(ratio):.2f})", "≤ 1.3×"),
        ("dashboard's first start with an empty cache folder → chart drawn",
         fmt(out["start_empty"]), ""),
        ("… as a multiple of the hello app, same repeat",
         f"{statistics.median(empty):.2f}× ({min(empty):.2f}–{max(empty):.2f})" if empty else "–",
         ""),
        ("page switch, warm: median over pages",
         f"{statistics.median(warm):.2f} s (slowest {max(warm):.2f})" if warm else "–",
         "≤ 0.5 s, none over 1 s"),
        ("explanation page, first open", fmt(out[("cold", "What mu and sigma mean")]), "≤ 2 s"),
        ("\"Sample eps\" click → new z drawn", fmt(out["eps"]), "≤ 0.3 s"),
        ("explanation: \"Open every section\" → all drawn", fmt(out["every_section"]), ""),
        ("β sweep click → \"Started\"", fmt(out["sweep"]), "≤ 1 s"),
        ("Start → run shown starting/progress", fmt(out["start_run"]), "≤ 2 s"),
        ("Start → the trainer's first step logged", fmt(out["start_step"]), ""),
        ("Resume → run shown starting/progress", fmt(out["resume"]), "≤ 2 s"),
    ] + [(f"page {t}: cold · warm", f"{fmt(out[('cold', t)])} · {fmt(out[('warm', t)])}", "")
         for t in PAGES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout of this project (e.g. a "
                        "`git worktree` of an older commit), measured in the same repeats")
    parser.add_argument("--start-only", action="store_true", help="only the starts: the hello app, "
                        "the hello app importing PyTorch, and the dashboard's start (the first rows)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    versions = {"now": None} if args.before is None else {"before": args.before, "now": None}
    outs = {v: {"start": [], "hello": [], "eps": [], "start_run": [], "start_step": [],
                "resume": [], "sweep": [], "every_section": [], "start_empty": [],
                "hello_torch": [], **{(w, t): [] for w in ("cold", "warm") for t in PAGES}}
            for v in versions}
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = _copy_runs(Path(tmp) / "runs")
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--no-first-run", "--disable-component-update", "--disable-sync"])
        for k in range(args.repeats):
            for version, project in (versions.items() if k % 2 == 0
                                     else reversed(versions.items())):
                out = outs[version]
                out["hello"].append(start_to_chart(browser, root, HELLO, "Hello"))
                if project is None:
                    out["hello_torch"].append(start_to_chart(browser, root, HELLO, "Hello",
                                                             env={"HELLO_IMPORT_TORCH": "1"}))
                # a cache folder of this repeat's own (vae.data.disk_cache, vae.derived): empty
                # for the first start, which fills it; the round's start is a later one
                env = {"VAE_CACHE_DIR": str(Path(tmp) / f"cache-{version}-{k}")}
                if project is None and not args.start_only:
                    out["start_empty"].append(
                        start_to_chart(browser, root, None, "Latent space", env=env))
                else:  # fill it untimed: the round's start finds it filled, as for "now"
                    start_to_chart(browser, root, None, "Latent space", env=env, project=project)
                dashboard_round(browser, root, k, out, project, env=env,
                                start_only=args.start_only)
                load.append(os.getloadavg()[0])
                print(f"repeat {k + 1} {version}: hello {out['hello'][-1]:.2f} s, dashboard "
                      f"{out['start'][-1]:.2f} s", file=sys.stderr, flush=True)
            print_table(outs, k + 1, load)  # so far: a long run on a busy machine shows progress
        browser.close()


def print_table(outs: dict, repeats: int, load: list[float]) -> None:
    print(f"\n{repeats} repeat(s) on {cpu_words()}; load average "
          f"{min(load):.1f}–{max(load):.1f}\n")
    table = {v: rows(out) for v, out in outs.items()}
    print("| what | " + " | ".join(outs) + " | goal |")
    print("|---|" + "---|" * len(outs) + "---|")
    for i, (what, _, goal) in enumerate(table["now"]):
        print(f"| {what} | " + " | ".join(table[v][i][1] for v in outs) + f" | {goal} |",
              flush=True)


if __name__ == "__main__":
    main()
