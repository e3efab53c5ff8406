"""The trainer's thread choice beside busy neighbours: wall and CPU time of the README's MNIST-5k
command with each choice, measured side by side in one run.

Choices (each a `python -m vae.train` process, order rotated every repeat):
  before   another checkout's trainer (--before DIR, e.g. a `git worktree` of the commit before the
           thread choice), PyTorch's default: one OpenMP thread per core
  1        this checkout, --threads 1
  cores    this checkout, --threads <all cores>
  auto     this checkout, the default (--threads auto)
Neighbours:
  quiet      nothing started by the benchmark
  busy       two processes that keep a core each busy (a numpy loop, one BLAS thread)
  dashboard  the dashboard served as `make run` serves it, with headless Chromium clicking through
             its pages the whole time (needs /usr/bin/chromium)

    .venv/bin/python bench/bench_threads.py --before ../before --epochs 5 --repeats 3
"""
from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_words, load_average  # noqa: E402

HOG = ("import os, numpy as np\n"
       "a = np.random.rand(200, 200)\n"
       "while True:\n    a = np.tanh(a @ a)\n")
PAGES = ["Reconstructions", "Generate", "What mu and sigma mean", "Replay a run",
         "Rate and distortion", "Train", "Runs", "Latent space"]


def train_once(checkout: Path, root: Path, threads: str | None, epochs: int) -> tuple[float, float]:
    """(wall s, CPU s) of one training run in its own process."""
    name = f"t{time.monotonic_ns()}"
    cmd = [sys.executable, "-m", "vae.train", "--dataset", "mnist-5k", "--latent-dim", "2",
           "--hidden", "256", "--epochs", str(epochs), "--name", name, "--root", str(root),
           "--quiet"]
    if threads is not None:
        cmd += ["--threads", threads]
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=checkout, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@contextlib.contextmanager
def busy_neighbours(n: int = 2):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, "-c", HOG], env=env) for _ in range(n)]
    try:
        time.sleep(1.0)  # let them start computing
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


@contextlib.contextmanager
def dashboard_and_browser():
    from playwright.sync_api import sync_playwright

    from tests.conftest import _copy_runs
    from ui.serve import background as serve

    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        _copy_runs(runs)
        server = serve(runs)
        url = server.__enter__()
        stop = threading.Event()
        ready = threading.Event()

        def click_pages():
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(url, timeout=300_000)
                page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",
                                       timeout=300_000)
                ready.set()
                i = 0
                while not stop.is_set():
                    title = PAGES[i % len(PAGES)]
                    page.get_by_role("link", name=title).first.click()
                    page.wait_for_selector(
                        "[data-testid=stApp][data-test-script-state=notRunning]", timeout=300_000)
                    i += 1
                browser.close()

        thread = threading.Thread(target=click_pages, daemon=True)
        thread.start()
        ready.wait(600)
        try:
            yield
        finally:
            stop.set()
            thread.join(120)
            server.__exit__(None, None, None)


NEIGHBOURS = {"quiet": contextlib.nullcontext, "busy": busy_neighbours,
              "dashboard": dashboard_and_browser}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--before", type=Path, help="another checkout whose trainer is the baseline")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--neighbours", default="quiet,busy,dashboard")
    args = p.parse_args(argv)
    cores = os.cpu_count() or 1
    choices = {"1": (ROOT, "1"), "cores": (ROOT, str(cores)), "auto": (ROOT, None)}
    if args.before:
        choices = {"before": (args.before.resolve(), None), **choices}
    print(cpu_words())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for hood in args.neighbours.split(","):
            times: dict[str, list[tuple[float, float]]] = {c: [] for c in choices}
            loads = []
            with NEIGHBOURS[hood]():
                for r in range(args.repeats):
                    order = list(choices)[r % len(choices):] + list(choices)[:r % len(choices)]
                    for c in order:
                        checkout, threads = choices[c]
                        times[c].append(train_once(checkout, Path(tmp), threads, args.epochs))
                    loads.append(load_average())
            ref = statistics.median(w for w, _ in times["1"])
            for c, ts in times.items():
                walls, cpus = [w for w, _ in ts], [u for _, u in ts]
                rows.append((hood, c, statistics.median(walls), min(walls), max(walls),
                             statistics.median(cpus), statistics.median(walls) / ref,
                             " ".join(loads)))
            for row in rows[-len(times):]:
                print(f"{hood}: {row}", flush=True)
    print(f"\nMNIST-5k, mlp 256, 2-D, {args.epochs} epochs; medians of {args.repeats} "
          f"(range); {cores} cores\n")
    print("| neighbours | threads | wall s | range | CPU s | wall / 1 thread | load averages |")
    print("|---|---|---:|---|---:|---:|---|")
    for hood, c, wall, lo, hi, cpu, ratio, loads in rows:
        print(f"| {hood} | {c} | {wall:.1f} | {lo:.1f}–{hi:.1f} | {cpu:.1f} | {ratio:.2f} | {loads} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
