"""Start and stop the trainer as its own process: what the dashboard does behind Start and Stop.

The child is `python -m vae.train ...`, the very command a user types, in its own session so that a
closed tab or a restarted dashboard does not take it down.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from .runs import RunDir, RunError, validate_name

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def train_command(root: Path, name: str, options: dict) -> list[str]:
    """The CLI for a new run: options maps flag names (without --) to values; None is left out."""
    cmd = [sys.executable, "-m", "vae.train", "--quiet", "--root", str(root), "--name", name]
    for flag, value in options.items():
        if value is None or value is False:
            continue
        cmd.append(f"--{flag}")
        if value is not True:
            cmd.append(",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value))
    return cmd


def start_training(root: str | os.PathLike, name: str, options: dict, wait_s: float = 30.0) -> RunDir:
    """Launch a new run and wait until its folder exists, or raise RunError with the trainer's words."""
    root = Path(root)
    run = RunDir(root / validate_name(name))
    if run.path.exists():
        raise RunError(f"A run named {name!r} already exists; pick another name.")
    return _launch(run, train_command(root, name, options), wait_s)


def resume_training(run: RunDir, epochs: int | None = None, wait_s: float = 30.0) -> RunDir:
    if run.is_training():  # the run's lock, not a pid in status.json
        raise RunError(f"{run.name} is already training (pid {run.trainer_pid()}).")
    cmd = [sys.executable, "-m", "vae.train", "--quiet", "--root", str(run.path.parent),
           "--resume", run.name]
    if epochs is not None:
        cmd += ["--epochs", str(epochs)]
    before = run.status_file.stat().st_mtime if run.status_file.exists() else 0.0
    return _launch(run, cmd, wait_s, after_mtime=before)


def _launch(run: RunDir, cmd: list[str], wait_s: float, after_mtime: float = 0.0) -> RunDir:
    run.path.parent.mkdir(parents=True, exist_ok=True)
    log_path = run.path.parent / f".{run.name}.launch.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if run.status_file.exists() and run.status_file.stat().st_mtime > after_mtime:
            return run
        if proc.poll() is not None:
            if run.status_file.exists() and run.status_file.stat().st_mtime > after_mtime:
                return run
            words = log_path.read_text(errors="replace").strip().splitlines()
            message = next((w[len("error: "):] for w in reversed(words) if w.startswith("error: ")),
                           words[-1] if words else f"the trainer exited with code {proc.returncode}")
            raise RunError(message)
        time.sleep(0.05)
    raise RunError(f"The trainer for {run.name} did not start within {wait_s:.0f} s; "
                   f"see {log_path}.")


def stop_training(run: RunDir) -> int | None:
    """Ask the run's trainer to stop: a STOP file it reads every step, and SIGTERM to make it
    quicker, sent only to a process that provably is this run's trainer (it holds the run's lock
    and runs vae.train), never to a pid merely named in status.json. Returns the pid signalled,
    or None (nothing trains the run, or the STOP file alone will do)."""
    if not run.is_training():
        return None
    run.request_stop()
    return run.signal_trainer()
