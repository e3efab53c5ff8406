"""Serve the dashboard: `python -m ui.serve [streamlit options]` (what `make run` does).

Streamlit 1.67 treats a folder named pages/ beside the entry script as an old-style (v1) multipage
app until the entry script has run once and called st.navigation; a first visit straight to, say,
/train would run pages/train.py alone, without the navigation and the sidebar. The app uses
st.navigation, so say so before the server starts.

The first page needs PyTorch, the default run's dataset and Plotly's trace classes: seconds of
imports and loading that would otherwise start only when the first browser connects. A thread
starts them once Streamlit is imported (warm_up), so they overlap the server's start and the
browser's loading of the app; it touches no st.* (there is no script run in that thread).
"""
import contextlib
import gc
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import urlsplit
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard.py"

@contextlib.contextmanager
def background(runs_root: str | os.PathLike, timeout_s: float = 60.0,
               log_path: str | os.PathLike | None = None, script: str | os.PathLike | None = None,
               project: str | os.PathLike | None = None, env: dict[str, str] | None = None):
    """Serve the dashboard as `make run` does, over `runs_root`, on a free loopback port, in a
    child process; yields its URL once /_stcore/health answers. For tests and benchmarks.

    The server's output (warnings, tracebacks) goes to `log_path`, so a test can read it; a pipe
    nobody reads would block the server once it fills. `script` serves another Streamlit file with
    the same options (the benchmark's one-chart app); `project` serves another checkout of this
    project (the benchmark's before and after, side by side). `env` adds to the server's
    environment (VAE_TRUST_CODE=1, as `make run TRUST_CODE=1` sets it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    serve = ([sys.executable, "-m", "ui.serve"] if script is None
             else [sys.executable, "-m", "streamlit", "run", str(script)])
    with contextlib.ExitStack() as stack:
        if log_path is None:
            log_path = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "server.log"
        log = stack.enter_context(open(log_path, "ab"))
        proc = subprocess.Popen(
            [*serve, "--server.address", "127.0.0.1", "--server.port", str(port),
             "--server.headless", "true"], cwd=project or DASHBOARD.parent,
            env={**os.environ, **(env or {}), "VAE_RUNS_ROOT": str(runs_root)}, stdout=log,
            stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        proc.kill()
                        proc.wait()
                        raise RuntimeError("the dashboard did not start:\n"
                                           + Path(log_path).read_text(errors="replace"))
                    time.sleep(0.05)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

def refuse_cross_origin_websockets() -> None:
    """Accept the app's WebSocket only from the page's own origin (or an origin listed in
    server.corsAllowedOrigins). Streamlit lets any page served from localhost or 127.0.0.1 connect,
    whatever its port, so another local web page (a dev server, a page opened from a download)
    could drive the dashboard, which starts processes and deletes folders. Idempotent."""
    from streamlit import config
    from streamlit.web.server.starlette import starlette_websocket as ws

    if getattr(ws._is_origin_allowed, "same_origin_only", False):
        return
    streamlit_check = ws._is_origin_allowed

    def same_origin_only(origin, host):
        if not streamlit_check(origin, host):
            return False
        if origin is None:  # not a browser: browsers always send Origin on a WebSocket
            return True
        listed = {o.strip().rstrip("/") for o in config.get_option("server.corsAllowedOrigins")}
        return urlsplit(origin).netloc == host or origin.rstrip("/") in listed

    same_origin_only.same_origin_only = True
    ws._is_origin_allowed = same_origin_only


MAX_SESSION_UPLOAD_BYTES = 100 << 20  # what one browser session's uploads may hold at once


def bound_session_uploads() -> None:
    """Keep at most MAX_SESSION_UPLOAD_BYTES of uploads per browser session in the server's memory: a new file
    pushes out that session's oldest ones. Streamlit keeps every file uploaded to
    /_stcore/upload_file until its widget lets go, and a page can upload without any widget, so
    one session could otherwise park any number of 50 MB files. Idempotent."""
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager as M

    if getattr(M.add_file, "bounded", False):
        return
    streamlit_add = M.add_file

    def add_file(self, session_id, file):
        streamlit_add(self, session_id, file)
        with self._lock:
            files = self.file_storage.get(session_id, {})
            while (sum(len(f.data) for f in files.values()) > MAX_SESSION_UPLOAD_BYTES
                   and len(files) > 1):
                oldest = next(iter(files))  # dicts keep insertion order: the first came first
                self._total_bytes -= len(files.pop(oldest).data)
                self._file_count -= 1

    add_file.bounded = True
    M.add_file = add_file


def warm_plotly() -> None:
    """Build the Latent page's figures once, holding PLOTLY_FIRST_USE: Plotly makes its trace
    classes on first use. The first page's hidden chart (which makes the browser fetch Plotly
    early) waits for this lock, so nothing here imports PyTorch (ui.figures needs numpy alone)."""
    import numpy as np

    from ui.warm import PLOTLY_FIRST_USE

    with PLOTLY_FIRST_USE:
        # pandas whole before anything else touches Plotly: Plotly's validators look pandas up in
        # sys.modules without importing it, and a page's first chart found it half-imported by
        # this thread's later imports ("partially initialized module 'pandas'" on a cold server)
        import pandas  # noqa: F401
        from ui.figures import latent as figures
        rng = np.random.default_rng(0)
        mu, std = rng.normal(size=(64, 2)), np.full((64, 2), 0.5)
        figures.posterior_figure(mu, std, np.arange(64) % 2, ("a", "b"), ellipses="all")
        figures.kl_per_dim_figure(np.ones(2), np.ones(2))


def warm_up() -> None:
    """Import and load what the first page needs, outside any script run: Plotly's figure classes
    first (warm_plotly), then the engine, the default run's dataset (vae.data keeps it, so the
    page's st.cache_resource finds it), and PyTorch where the page will need it (_warm_up).

    What it loads lives as long as the server: hundreds of thousands of objects (PyTorch, Plotly's
    validators) that every full collection would walk again, holding the GIL, while the first
    page's script waits. So the collector is off while it loads (the imports made it walk them
    time and again), and what is loaded is then frozen: skipped by every later collection. No
    collection before the freeze, which took 0.2 s: the garbage made meanwhile (the imports', about
    12,000 objects, and a first page's, where one ran alongside) is kept, once per server. The
    collector is off for the whole process meanwhile: seconds, once. Server start -> first chart:
    5.02 s -> 4.61 s (bench/README.md)."""
    gc.disable()
    try:
        _warm_up()
    finally:
        gc.freeze()
        gc.enable()


def _warm_up() -> None:
    warm_plotly()
    from ui.figures import curves
    from vae import derived
    from vae.data import DatasetError, dataset_for
    from vae.run import RunDir, RunError

    curves.loss_curves_figure([])  # the export's figure, and Plotly's subplots
    curves.curves_view([], title="")  # what the Train page and Replay send their curves as
    root = Path(os.environ.get("VAE_RUNS_ROOT") or DASHBOARD.parent / "checkpoints")
    try:
        run = RunDir(root / "mnist5k-2d")
        _, train_cfg = run.read_config()
        dataset_for(train_cfg)
    except (RunError, DatasetError, OSError, ValueError):
        return  # no default run here: the page says so itself
    # The first page draws from the test set's encoding kept on disk, without PyTorch; then
    # PyTorch loads after it (ui.warm.after_first_page), not while it is drawn. Where none is kept
    # (a first start, new weights) the page loads the model: PyTorch is imported now, meanwhile.
    if not derived.kept(derived.TEST_ENCODING, derived.file_digest(run.weights_file) or ""):
        import vae.model  # noqa: F401


if __name__ == "__main__":
    import threading

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    # After Streamlit's own imports: Plotly looks pandas up in sys.modules without the import
    # lock, so the warm-up imports pandas whole under PLOTLY_FIRST_USE before any chart is built.
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()

    PagesManager.uses_pages_directory = False
    refuse_cross_origin_websockets()
    bound_session_uploads()
    sys.argv = ["streamlit", "run", str(DASHBOARD), *sys.argv[1:]]
    sys.exit(cli.main())
