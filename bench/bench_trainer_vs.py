"""This checkout's trainer against another checkout's, side by side: `bench/bench_trainer.py`
run in each, one repeat at a time, alternating which goes first; each repeat also measures the
plain PyTorch loop with the same fused Adam in the same process, so "ours / plain fused" is a
ratio the machine's load cancels out of.

    .venv/bin/python bench/bench_trainer_vs.py --before ../before --repeats 3
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_words, load_average  # noqa: E402

ROW = re.compile(r"^\| vae\.train[^|]*\| ([\d,]+) \|")
RATIO = re.compile(r"^\| ours / plain fused \| ([\d.]+) \|")


def one(checkout: Path, threads: int) -> tuple[float, float]:
    """(our samples/s, ours / plain fused) of one repeat of bench_trainer.py in `checkout`."""
    out = subprocess.run([sys.executable, "bench/bench_trainer.py", "--repeats", "1",
                          "--threads", str(threads)], cwd=checkout, capture_output=True,
                         text=True, check=True).stdout
    rate = ratio = None
    for line in out.splitlines():
        if m := ROW.match(line):
            rate = float(m.group(1).replace(",", ""))
        if m := RATIO.match(line):
            ratio = float(m.group(1))
    if rate is None or ratio is None:
        raise RuntimeError(f"no table in the output of {checkout}:\n{out}")
    return rate, ratio


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", type=Path, required=True)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    sides = {"before": args.before.resolve(), "now": ROOT}
    got = {k: [] for k in sides}
    loads = []
    for r in range(args.repeats):
        for name in (("before", "now") if r % 2 == 0 else ("now", "before")):
            got[name].append(one(sides[name], args.threads))
            print(f"repeat {r + 1}: {name} {got[name][-1]}", file=sys.stderr, flush=True)
        loads.append(load_average())
    print(f"\n{cpu_words()}; {args.threads} thread(s); load averages {' '.join(loads)}\n")
    print("Fashion-MNIST, mlp 784-400-20, batch 128, 3 epochs; medians (range) of "
          f"{args.repeats} alternating repeats\n")
    print("| trainer | samples/s | ours / plain loop with the same fused Adam |")
    print("|---|---:|---:|")
    for name, rows in got.items():
        rates, ratios = [r for r, _ in rows], [q for _, q in rows]
        print(f"| {name} ({sides[name].name}) | {statistics.median(rates):,.0f} "
              f"({min(rates):,.0f}–{max(rates):,.0f}) | {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}–{max(ratios):.2f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
