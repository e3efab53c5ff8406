"""Shared fixtures: a scratch copy of the shipped runs, so tests never write into checkpoints/."""
import os
import shutil
import time
from pathlib import Path

import pytest

import vae  # noqa: F401  before PyTorch: its OpenMP setting (a short spin) must come first
import torch  # noqa: E402

from vae.run import DEFAULT_ROOT  # noqa: E402
from vae.threads import usable_cores  # noqa: E402

# make test runs a worker per core: each computes with its share of the cores, not all of them
# (two workers' OpenMP threads would wait for each other on the same cores)
if os.environ.get("PYTEST_XDIST_WORKER_COUNT", "").isdigit():
    torch.set_num_threads(max(1, usable_cores() // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))

PROJECT = Path(__file__).resolve().parent.parent


def _scan_installed_components_once():
    """Every AppTest run makes Streamlit scan the metadata of every installed package for
    Components v2 manifests (streamlit/testing/v1/app_test.py): about 0.1 s a run, and half of
    tests/test_hostile_pages.py's time (39.6 s -> 21.3 s). The server scans once, at start; the
    packages installed do not change during a test session, so tests scan once too."""
    from functools import cache

    from streamlit.components.v2 import manifest_scanner
    scan = manifest_scanner.scan_component_manifests
    if not hasattr(scan, "cache_info"):
        manifest_scanner.scan_component_manifests = cache(scan)


_scan_installed_components_once()
BETA_FAMILY = tuple(f"mnist5k-16d-beta{b:g}" for b in (0, 0.25, 0.5, 1, 2, 4, 8, 16, 32))
SHIPPED = ("mnist5k-2d", "mnist5k-2d-ae", "fashion-2d", "fashion-16d") + BETA_FAMILY
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
NEEDS_FASHION = pytest.mark.skipif(
    not (FASHION_DIR / "train-images-idx3-ubyte.gz").exists(),
    reason="Fashion-MNIST is missing: `sudo apt-get install dataset-fashion-mnist` "
           "(.ci/run installs it when it runs as root)")


def _copy_runs(dest: Path, names=SHIPPED) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        src = DEFAULT_ROOT / name
        if src.exists():
            shutil.copytree(src, dest / name)
    return dest


@pytest.fixture
def one_thread(monkeypatch):
    """One intra-op thread here and in every trainer a test starts: on a shared 2-core machine two
    OpenMP threads spin against other processes and small ops slow down many times over. The
    results do not depend on it."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def shipped_root(tmp_path_factory) -> Path:
    """A read-mostly copy of the shipped runs, shared by the session's tests."""
    return _copy_runs(tmp_path_factory.mktemp("shipped"))


@pytest.fixture
def runs_root(shipped_root, monkeypatch) -> Path:
    """Point the dashboard (VAE_RUNS_ROOT) at the shared copy of the shipped runs."""
    monkeypatch.setenv("VAE_RUNS_ROOT", str(shipped_root))
    return shipped_root


@pytest.fixture
def scratch_root(tmp_path, monkeypatch) -> Path:
    """A writable runs root with a copy of mnist5k-2d, for tests that create or delete runs."""
    root = _copy_runs(tmp_path / "runs", ["mnist5k-2d"])
    monkeypatch.setenv("VAE_RUNS_ROOT", str(root))
    return root


@pytest.fixture
def empty_runs_root(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "no-runs"
    root.mkdir()
    monkeypatch.setenv("VAE_RUNS_ROOT", str(root))
    return root


# The explanation page draws its sections 3-9 only while they are open: tests open them all, as
# its "Open every section" button does, so that every section is read (tests/test_page_explain.py
# tests them closed).
EXPLAIN_SECTIONS_OPEN = {f"explain_step_{n}": True for n in range(3, 10)}


def page_app(name: str, run: str | None = None, timeout: float = 60, **query):
    """An AppTest of pages/<name>.py (AppTest resolves relative paths against the caller); the
    explanation page with every section open."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(PROJECT / "pages" / f"{name}.py"), default_timeout=timeout)
    if name == "explain":
        for key, value in EXPLAIN_SECTIONS_OPEN.items():
            at.session_state[key] = value
    if run:
        at.query_params["run"] = run
    for key, value in query.items():
        at.query_params[key] = value
    return at


def run_page(name: str, run: str | None = "mnist5k-2d", state: dict | None = None, **query):
    """Run pages/<name>.py once (session state and URL query preset) and fail on any exception."""
    at = page_app(name, run, **query)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def plotly_spec(at, key_part: str) -> dict:
    """The Plotly spec of the chart whose element id mentions key_part."""
    import json
    for element in at.get("plotly_chart"):
        if key_part in element.proto.id:
            return json.loads(element.proto.spec)
    raise AssertionError(f"no plotly chart with key {key_part!r}")


def component_data(at, key_part: str) -> dict:
    """The data sent to the one SVG component (Components v2) whose element id mentions key_part."""
    import json
    found = [json.loads(c.proto.json) for c in at.get("bidi_component") if key_part in c.proto.id]
    assert len(found) == 1, f"{len(found)} components with key {key_part!r}"
    return found[0]


def wait_for(predicate, timeout: float, what: str, pause=lambda: time.sleep(0.02)):
    """Poll until predicate() holds; a cap, not a wait: fails saying what it waited for. `pause`
    runs between polls (an e2e test passes Playwright's page.wait_for_timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        pause()
    pytest.fail(f"timed out after {timeout} s waiting for {what}")
