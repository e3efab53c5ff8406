"""bench/suite_cpu.py: what it calls each process, and how it reads the workers' test logs."""
import json

from bench.suite_cpu import intervals, kind


def test_processes_are_named_by_their_command_line():
    assert kind("/usr/lib/chromium/chromium --type=renderer --lang=en-US") == "chromium renderer"
    assert kind("/usr/lib/chromium/chromium --type=gpu-process --no-sandbox") \
        == "chromium gpu-process"
    assert kind("/usr/lib/chromium/chromium --headless --remote-debugging-pipe") \
        == "chromium browser"
    assert kind("/x/node /x/playwright/driver/package/cli.js run-driver") \
        == "playwright driver (node)"
    assert kind(".venv/bin/python -m streamlit run dashboard.py --server.port 1") \
        == "dashboard server"
    assert kind(".venv/bin/python -m vae.train --run-dir /tmp/r") == "trainer"
    assert kind(".venv/bin/python tests/ddp_probe.py --root /tmp/pytest-of-root/p0/runs") \
        == "trainer"  # a pytest folder in its flags does not make it a pytest worker
    assert kind(".venv/bin/python -m pytest -q -n 2 tests") == "pytest worker"
    assert kind(".venv/bin/python -m torch.distributed.run --standalone --nproc_per_node=2") \
        == "trainer"
    assert kind(".venv/bin/python -u -c import sys;exec(eval(sys.stdin.readline()))") \
        == "pytest worker"
    assert kind("/usr/bin/bash -c true") == "other: bash"


def test_a_workers_log_becomes_its_tests_intervals(tmp_path):
    events = [{"ev": "pid", "pid": 41},
              {"ev": "start", "id": "tests/a.py::one", "t": 10.0},
              {"ev": "end", "id": "tests/a.py::one", "t": 12.5},
              {"ev": "start", "id": "tests/a.py::two", "t": 12.5},  # still running at the end
              ]
    (tmp_path / "gw0.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (tmp_path / "main.jsonl").write_text("")  # the controller's, not a worker's
    assert intervals(tmp_path) == {"gw0": [(10.0, 12.5, "tests/a.py::one")]}
