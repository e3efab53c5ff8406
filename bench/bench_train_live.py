"""What following a training run on the Train page costs the trainer, in headless Chromium.

One trainer (the README's MNIST-5k command, 2-D code, one OpenMP thread as the Train page launches
it) trains in a scratch copy of the shipped runs, served by this checkout's dashboard (and, with
--before DIR, by another checkout's too, on the same folder). The benchmark takes turns,
`--rounds` times, each `--seconds` long:
  - "alone": no tab is open; the servers idle;
  - "followed": a tab shows the run on the Train page (curves every second, the posterior as the
    page draws it), one checkout's then the other's, the order swapped each round.
In each it counts the CPU of the trainer, of the server showing the page and of Chromium (each
process tree, from /proc, with the children it has reaped), and the trainer's steps per second
(status.json). Prints the CPU, the load and a markdown table of medians over the rounds, with
their range. Linux only; needs /usr/bin/chromium.

    .venv/bin/python bench/bench_train_live.py [--before DIR] [--rounds 3] [--seconds 15]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_words, load_average  # noqa: E402
from tests.conftest import _copy_runs  # noqa: E402
from ui.serve import background as serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TICK = os.sysconf("SC_CLK_TCK")
RUN = "live-bench"
TRAIN = ["-m", "vae.train", "--dataset", "mnist-5k", "--latent-dim", "2", "--hidden", "256",
         "--epochs", "1000", "--name", RUN, "--quiet"]


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree(pid: int) -> list[int]:
    """pid and every process descended from it."""
    parent = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                parent[int(p)] = int(_stat(int(p))[1])
            except (OSError, IndexError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += [c for c, pp in parent.items() if pp == p]
    return out


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of pid's process tree so far, with the children each process
    has reaped (a closed tab's renderer is gone from the tree, not from its parent's count)."""
    total = 0.0
    for p in tree(pid):
        try:
            f = _stat(p)
            total += sum(int(v) for v in f[11:15]) / TICK
        except (OSError, IndexError):
            pass
    return total


def listening_pid(port: int) -> int:
    """The pid of the dashboard serving on `port` (its command line names the port)."""
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"ui.serve" in cmd and str(port).encode() in cmd:
            return int(p)
    raise RuntimeError(f"no dashboard serving on port {port}")


def serve_checkouts(stack: contextlib.ExitStack, root: Path, tmp: str, kinds: list[str],
                    before: Path | None) -> tuple[dict, dict]:
    """This checkout ("now") and `before`, where `kinds` names them, serving `root` at once under
    `stack`, each with a cache folder of its own: their URLs and their servers' pids."""
    urls, servers = {}, {}
    for kind, project in (("now", None), ("before", before)):
        if kind in kinds:
            urls[kind] = stack.enter_context(serve(root, timeout_s=240, project=project,
                                                   env={"VAE_CACHE_DIR": f"{tmp}/cache-{kind}"}))
            servers[kind] = listening_pid(int(urls[kind].rsplit(":", 1)[1]))
    return urls, servers


def browser_pid() -> int:
    """The pid of the Chromium this process launched: its renderers descend from it."""
    return min(p for p in tree(os.getpid()) if b"chromium" in
               Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0")[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path,
                        help="another checkout of this project (a `git worktree` of a commit)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    kinds = ["alone", "now"] + (["before"] if args.before else [])
    rows = {k: {m: [] for m in ("steps/s", "trainer", "server", "chromium")} for k in kinds}
    load = [load_average()]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = _copy_runs(Path(tmp) / "runs")
        env = {**os.environ, "VAE_RUNS_ROOT": str(root), "OMP_NUM_THREADS": "1"}
        with contextlib.ExitStack() as stack:
            urls, servers = serve_checkouts(stack, root, tmp, kinds, args.before)
            trainer = subprocess.Popen([sys.executable, *TRAIN], cwd=ROOT, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            top = browser_pid()
            try:
                status = root / RUN / "status.json"
                while not (root / RUN / "model.safetensors").exists():  # the first epoch
                    if trainer.poll() is not None:
                        raise RuntimeError("the trainer ended before its first epoch")
                    time.sleep(0.2)

                def measure(kind: str, server: int) -> None:
                    step0 = json.loads(status.read_text())["step"]
                    c0 = (cpu_s(trainer.pid), cpu_s(server), cpu_s(top), time.monotonic())
                    time.sleep(args.seconds)
                    step1 = json.loads(status.read_text())["step"]
                    c1 = (cpu_s(trainer.pid), cpu_s(server), cpu_s(top), time.monotonic())
                    dt = c1[3] - c0[3]
                    rows[kind]["steps/s"].append((step1 - step0) / dt)
                    for i, what in enumerate(("trainer", "server", "chromium")):
                        rows[kind][what].append((c1[i] - c0[i]) / dt)

                followers = [k for k in ("before", "now") if k in kinds]
                for r in range(args.rounds):
                    measure("alone", servers["now"])
                    for kind in (followers if r % 2 == 0 else followers[::-1]):
                        page = browser.new_page(viewport={"width": 1400, "height": 1000})
                        page.set_default_timeout(240_000)
                        page.goto(f"{urls[kind]}/train?run={RUN}")
                        # the posterior drawn: a Plotly chart, or (since 4488382) the SVG
                        # picture in its component's shadow root, which locators reach
                        page.locator(".st-key-posterior .js-plotly-plot, "
                                     ".st-key-posterior .vae-zc[data-ready='1']").first.wait_for()
                        measure(kind, servers[kind])
                        page.close()
                        time.sleep(2)  # its renderer exits and is reaped
                    load.append(load_average())
                    print(f"round {r + 1} of {args.rounds}", file=sys.stderr, flush=True)
            finally:
                trainer.kill()
                browser.close()
    med = {k: {m: statistics.median(v) for m, v in d.items()} for k, d in rows.items()}
    digits = {"steps/s": 0, "trainer": 2, "server": 2, "chromium": 2}
    rng = {k: {m: f"{min(v):.{digits[m]}f}–{max(v):.{digits[m]}f}" for m, v in d.items()}
           for k, d in rows.items()}
    print(f"\n{cpu_words()}; load average {load[0]} at the start, {load[-1]} at the end; "
          f"{args.rounds} rounds of {args.seconds:.0f} s each way, medians (range)\n")
    print("| while the run trains | trainer steps/s | trainer CPU | server CPU | Chromium CPU |")
    print("|---|---|---|---|---|")
    words = {"alone": "no tab open", "now": "the Train page following it",
             "before": f"the Train page following it ({args.before})"}
    for kind in kinds:
        m, g = med[kind], rng[kind]
        print(f"| {words[kind]} | {m['steps/s']:.0f} ({g['steps/s']}) | {m['trainer']:.2f} cores "
              f"({g['trainer']}) | {m['server']:.2f} cores ({g['server']}) | "
              f"{m['chromium']:.2f} cores ({g['chromium']}) |")
    for kind in kinds[1:]:
        print(f"\n{words[kind]} / alone, trainer steps/s: "
              f"{med[kind]['steps/s'] / med['alone']['steps/s']:.2f}×")


if __name__ == "__main__":
    main()
