"""Serve the dashboard: `python -m ui.serve [streamlit options]` (what `make run` does).

Streamlit 1.67 treats a folder named pages/ beside the entry script as an old-style (v1) multipage
app until the entry script has run once and called st.navigation; a first visit straight to, say,
/train would run pages/train.py alone, without the navigation and the sidebar. The app uses
st.navigation, so say so before the server starts.
"""
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard.py"

@contextlib.contextmanager
def background(runs_root: str | os.PathLike, timeout_s: float = 60.0):
    """Serve the dashboard as `make run` does, over `runs_root`, on a free loopback port, in a
    child process; yields its URL once /_stcore/health answers. For tests and benchmarks."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.address", "127.0.0.1", "--server.port",
         str(port)], cwd=DASHBOARD.parent, env={**os.environ, "VAE_RUNS_ROOT": str(runs_root)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
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
                    raise RuntimeError("the dashboard did not start:\n"
                                       + proc.stdout.read().decode(errors="replace"))
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(DASHBOARD), *sys.argv[1:]]
    sys.exit(cli.main())
