"""What Replay's Play costs, frame by frame, in headless Chromium.

This checkout's dashboard (and, with --before DIR, another checkout's, on the same runs) is
served; a tab opens Replay on `--run` (on its last epoch), picks the "fast" speed (a frame every
0.7 s) and presses Play, which starts over from the first snapshot and moves one snapshot a frame
to the last. The benchmark times Play from the click to the end (the last snapshot shown and the
Play button back), counts the snapshots the epoch slider showed (read every 50 ms), and the CPU
of Chromium and of the server meanwhile (each process tree, from /proc). The checkouts take
turns, `--rounds` times, the order swapped each round. With ten snapshots, nine frames of 0.7 s
take 6.3 s when every frame is drawn in time. Prints the CPU, the load and a markdown table of
medians (range). Linux only; needs /usr/bin/chromium.

    .venv/bin/python bench/bench_replay_play.py [--before DIR] [--rounds 3] [--run mnist5k-2d]
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_train_live import CHROMIUM, browser_pid, cpu_s, serve_checkouts  # noqa: E402
from bench.machine import cpu_words, load_average  # noqa: E402
from tests.conftest import _copy_runs  # noqa: E402

IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path,
                        help="another checkout of this project (a `git worktree` of a commit)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--run", default="mnist5k-2d")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    from vae.run import RunDir

    kinds = ["now"] + (["before"] if args.before else [])
    rows = {k: {m: [] for m in ("wall", "chromium", "server", "shown", "play")} for k in kinds}
    load = [load_average()]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = _copy_runs(Path(tmp) / "runs")
        epochs = RunDir(root / args.run).snapshot_epochs()
        frames, last = len(epochs) - 1, str(epochs[-1])
        with contextlib.ExitStack() as stack:
            urls, servers = serve_checkouts(stack, root, tmp, kinds, args.before)
            browser = stack.enter_context(pw.chromium.launch(
                executable_path=CHROMIUM, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]))
            top = browser_pid()
            pages = {}
            for kind in kinds:  # one tab each, warmed by a first play-through
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(240_000)
                page.goto(f"{urls[kind]}/replay?run={args.run}")
                page.get_by_role("button", name="Play").wait_for()
                page.wait_for_selector(IDLE)
                page.locator(".st-key-replay_speed").get_by_text("fast", exact=True).click()
                page.wait_for_selector(IDLE)
                pages[kind] = page

            def play(kind: str, record: bool) -> None:
                """Play from the first snapshot to the last; the epochs the slider showed, read
                every 50 ms, tell how many frames the browser drew."""
                page = pages[kind]
                page.wait_for_timeout(1000)  # the last play-through's redraws have settled
                slider = page.locator(".st-key-replay_epoch input[type=range]")
                play_button = page.get_by_role("button", name="Play")
                c0 = (cpu_s(top), cpu_s(servers[kind]), time.monotonic())
                play_button.click()
                seen, started = set(), False
                while time.monotonic() - c0[2] < 600:
                    epoch = slider.get_attribute("aria-valuetext")
                    started = started or epoch != last
                    if started:
                        seen.add(epoch)
                    if started and epoch == last and play_button.count():
                        break
                    page.wait_for_timeout(50)
                page.wait_for_selector(IDLE)
                c1 = (cpu_s(top), cpu_s(servers[kind]), time.monotonic())
                if record:
                    rows[kind]["wall"].append(c1[2] - c0[2])
                    rows[kind]["chromium"].append((c1[0] - c0[0]) / len(seen))
                    rows[kind]["server"].append((c1[1] - c0[1]) / len(seen))
                    rows[kind]["shown"].append(len(seen))
                    rows[kind]["play"].append(c1[0] - c0[0])

            for kind in kinds:
                play(kind, record=False)
            for r in range(args.rounds):
                for kind in (kinds if r % 2 == 0 else kinds[::-1]):
                    play(kind, record=True)
                load.append(load_average())
                print(f"round {r + 1} of {args.rounds}", file=sys.stderr, flush=True)
    med = {k: {m: statistics.median(v) for m, v in d.items()} for k, d in rows.items()}
    rng = {k: {m: f"{min(v):.2f}–{max(v):.2f}" for m, v in d.items()} for k, d in rows.items()}
    print(f"\n{cpu_words()}; load average {load[0]} at the start, {load[-1]} at the end; "
          f"Replay of {args.run} at the fast speed ({frames} frames of 0.7 s: {frames * 0.7:.1f} s "
          f"if each is drawn in time); {args.rounds} rounds, medians (range)\n")
    print("| Play, first to last snapshot | wall | snapshots shown (median) | Chromium CPU | "
          "Chromium CPU per snapshot shown | server CPU per snapshot shown |")
    print("|---|---|---|---|---|---|")
    words = {"now": "this checkout", "before": str(args.before)}
    for kind in kinds:
        m, g = med[kind], rng[kind]
        print(f"| {words[kind]} | {m['wall']:.2f} s ({g['wall']}) | {m['shown']:.0f} of "
              f"{frames + 1} | {m['play']:.1f} s ({g['play']}) | {m['chromium']:.2f} s "
              f"({g['chromium']}) | {m['server']:.2f} s ({g['server']}) |")


if __name__ == "__main__":
    main()
