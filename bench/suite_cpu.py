"""Where the test suite's CPU goes: the whole machine's CPU, once a second, by kind of process
(Chromium's renderer, its browser and GPU processes, the dashboard servers, trainers, the pytest
workers) and by the test each pytest-xdist worker was running at that second.

On two cores the suite is CPU-bound, so the CPU seconds say what a change can save; its wall
time moves with the host (bench/README.md). Each process is counted under the worker it descends
from (a server, a trainer or Chromium started by a test runs under that test's worker). A
process is counted from the first second the sampler sees it: one that lives for less than a
second is missed, and a longer one's first second too, so the trainers and CLIs the tests start
are undercounted by up to a second each.

    .venv/bin/python bench/suite_cpu.py [--top 30] -- [pytest arguments, default: tests/e2e]

Runs `python -m pytest -q -n 2 --dist loadfile` with the arguments given, prints the CPU by kind,
by test file and the tests that used the most. Linux only (/proc).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_words, load_average  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")

# A pytest plugin, loaded by the workers with -p: each test's start and end, per worker.
PLUGIN = '''
import json, os, time
_out = None
def _write(event, nodeid):
    global _out
    if _out is None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        _out = open(os.path.join(os.environ["SUITE_CPU_DIR"], worker + ".jsonl"), "a", buffering=1)
        _out.write(json.dumps({"ev": "pid", "pid": os.getpid()}) + "\\n")
    _out.write(json.dumps({"ev": event, "id": nodeid, "t": time.time()}) + "\\n")
def pytest_runtest_logstart(nodeid, location):
    _write("start", nodeid)
def pytest_runtest_logfinish(nodeid, location):
    _write("end", nodeid)
'''


def kind(cmdline: str) -> str:
    """What a process is, from its command line."""
    if "chrom" in cmdline:
        for t in ("renderer", "gpu-process", "utility", "zygote"):
            if f"--type={t}" in cmdline:
                return f"chromium {t}"
        return "chromium browser"
    if "node" in cmdline.split(" ")[0]:
        return "playwright driver (node)"
    if "streamlit" in cmdline or "ui.serve" in cmdline:
        return "dashboard server"
    if any(word in cmdline for word in ("torchrun", "torch.distributed.run", "vae.train", "ddp_probe",
                                        "multiprocessing")):
        return "trainer"  # tests/ddp_probe.py: the trainer under torchrun with a probe
    # a pytest-xdist worker, or pytest itself (not any process with a pytest folder in its flags)
    if "exec(eval(" in cmdline or " -m pytest" in cmdline:
        return "pytest worker"
    return "other: " + Path(cmdline.split(" ")[0]).name


class Sampler(threading.Thread):
    """Once a second, every process's CPU since the last look, keyed by (worker, kind)."""

    def __init__(self, folder: Path):
        super().__init__(daemon=True)
        self.folder = folder  # where the plugin says which process each worker is
        self.rows: list[tuple[float, collections.Counter]] = []
        self.stop = threading.Event()
        self._seen: dict[tuple[str, str], list] = {}
        self._worker: dict[str, str | None] = {}
        self._worker_pids: dict[str, str] = {}

    def _read_worker_pids(self) -> None:
        """A worker sets PYTEST_XDIST_WORKER in its own environment after it starts, so /proc
        shows it only in its children's: the worker itself is known from the plugin's first
        line."""
        for log in self.folder.glob("gw*.jsonl"):
            try:
                with log.open() as lines:
                    pid = str(json.loads(lines.readline())["pid"])
            except (OSError, ValueError, KeyError):
                continue
            if self._worker_pids.get(pid) != log.stem:
                self._worker_pids[pid] = log.stem
                self._worker = {}  # processes looked up before it was known: again

    def _worker_of(self, pid: str, depth: int = 0) -> str | None:
        """The xdist worker a process is or descends from, if any."""
        if pid in self._worker_pids:
            return self._worker_pids[pid]
        if pid in self._worker:
            return self._worker[pid]
        if depth > 16 or pid in ("0", "1"):
            return None
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        worker = next((e.split(b"=", 1)[1].decode() for e in env
                       if e.startswith(b"PYTEST_XDIST_WORKER=")), None)
        if worker is None:
            worker = self._worker_of(stat[stat.rindex(")") + 2:].split()[1], depth + 1)
        self._worker[pid] = worker
        return worker

    def run(self) -> None:
        while not self.stop.is_set():
            self._read_worker_pids()
            now, row = time.time(), collections.Counter()
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text()
                    fields = fields[fields.rindex(")") + 2:].split()
                    ticks, started = int(fields[11]) + int(fields[12]), fields[19]
                except (OSError, ValueError, IndexError):
                    continue
                seen = self._seen.get((pid, started))
                if seen is None:  # first look: counted from here on
                    try:
                        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                    except OSError:
                        continue
                    self._seen[(pid, started)] = [kind(cmd.decode(errors="replace")), ticks]
                    continue
                if ticks > seen[1]:
                    row[(self._worker_of(pid), seen[0])] += (ticks - seen[1]) / HZ
                    seen[1] = ticks
            self.rows.append((now, row))
            self.stop.wait(1.0)


def intervals(folder: Path) -> dict[str, list[tuple[float, float, str]]]:
    """Each worker's tests as (start, end, node id)."""
    out: dict[str, list] = {}
    for log in folder.glob("gw*.jsonl"):
        started = {}
        for line in log.read_text().splitlines():
            event = json.loads(line)
            if event["ev"] == "pid":
                continue
            if event["ev"] == "start":
                started[event["id"]] = event["t"]
            elif event["id"] in started:
                out.setdefault(log.stem, []).append((started.pop(event["id"]), event["t"],
                                                     event["id"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=30, help="how many tests to list")
    parser.add_argument("pytest_args", nargs="*", default=["tests/e2e"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "suite_cpu_plugin.py").write_text(PLUGIN)
        env = {**os.environ, "SUITE_CPU_DIR": str(tmp),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp),
                                                          os.environ.get("PYTHONPATH")]))}
        loads = [load_average()]
        sampler = Sampler(tmp)
        sampler.start()
        t0 = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist",
                                 "loadfile", "-p", "suite_cpu_plugin", "-p", "no:cacheprovider",
                                 *args.pytest_args], cwd=ROOT, env=env)
        wall = time.monotonic() - t0
        sampler.stop.set()
        sampler.join()
        loads.append(load_average())
        tests = intervals(tmp)

    by_kind, by_test = collections.Counter(), collections.Counter()
    kinds_of = collections.defaultdict(collections.Counter)
    for t, row in sampler.rows:
        for (worker, what), seconds in row.items():
            by_kind[what] += seconds
            running = next((i for a, b, i in tests.get(worker or "", []) if a <= t - 0.5 < b),
                           None)
            if running is not None:
                by_test[running] += seconds
                kinds_of[running][what] += seconds
    total = sum(by_kind.values())
    print(f"\npytest exited {result.returncode}; {wall:.0f} s wall; the machine's CPU "
          f"{total:.0f} s ({total / wall:.2f} cores busy of {os.cpu_count()}); "
          f"{cpu_words()}; load average {loads[0]} → {loads[1]}\n")
    print("| kind of process | CPU s | share |\n|---|---:|---:|")
    for what, seconds in by_kind.most_common(10):
        print(f"| {what} | {seconds:.0f} | {seconds / total:.0%} |")
    by_file = collections.Counter()
    for test, seconds in by_test.items():
        by_file[test.split("::")[0]] += seconds
    print("\n| test file | CPU s |\n|---|---:|")
    for name, seconds in by_file.most_common(20):
        print(f"| {name} | {seconds:.0f} |")
    print(f"| (no test running on that worker: start-up, collection, other processes) | "
          f"{total - sum(by_file.values()):.0f} |")
    print("\n| test | CPU s | most of it |\n|---|---:|---|")
    for test, seconds in by_test.most_common(args.top):
        parts = ", ".join(f"{k} {v:.0f}" for k, v in kinds_of[test].most_common(3))
        print(f"| {test} | {seconds:.1f} | {parts} |")
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
