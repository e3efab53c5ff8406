"""Start and stop the trainer as its own process: what the dashboard does behind Start and Stop.

The child is `python -m vae.train ...`, the very command a user types, in its own session so that a
closed tab or a restarted dashboard does not take it down.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .run import RunDir, RunError, validate_name

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def trainer_command(processes: int = 1) -> list[str]:
    """`python -m vae.train`; for N > 1 processes the same module under torchrun (DDP on one
    machine), exactly what the README tells a user to type."""
    if processes > 1:
        return [sys.executable, "-m", "torch.distributed.run", "--standalone",
                "--nproc_per_node", str(processes), "-m", "vae.train"]
    return [sys.executable, "-m", "vae.train"]


def max_processes() -> int:
    """How many training processes this machine can give a run: one per GPU, else one per core."""
    import torch  # here, not at the top: the dashboard imports launch before it needs torch

    if torch.cuda.is_available():
        return torch.cuda.device_count()
    return os.cpu_count() or 1


def train_command(root: Path, name: str, options: dict, processes: int = 1) -> list[str]:
    """The CLI for a new run: options maps flag names (without --) to values; None is left out."""
    cmd = [*trainer_command(processes), "--quiet", "--root", str(root), "--name", name]
    for flag, value in options.items():
        if value is None or value is False:
            continue
        cmd.append(f"--{flag}")
        if value is not True:
            cmd.append(",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value))
    return cmd


def start_training(root: str | os.PathLike, name: str, options: dict,
                   processes: int = 1) -> RunDir:
    """Launch a new run on `processes` processes and return at once: the run is "starting"
    (launch_status) until its trainer writes status.json, or "failed" with the trainer's words if
    it exits before."""
    root = Path(root)
    run = RunDir(root / validate_name(name))
    if run.path.exists():
        raise RunError(f"A run named {name!r} already exists; pick another name.")
    return _launch(run, train_command(root, name, options, processes))


def resume_training(run: RunDir, epochs: int | None = None, processes: int | None = None) -> RunDir:
    """Launch the trainer on a stopped run and return at once (see start_training). `processes`
    defaults to as many as the run last trained on, at most what this machine has."""
    if run.is_training():  # the run's lock, not a pid in status.json
        raise RunError(f"{run.name} is already training (pid {run.trainer_pid()}).")
    _refuse_if_starting(run)  # before its config is read: a new run's folder may not exist yet
    if processes is None:
        processes = max(1, min(run.read_config()[1].world_size, max_processes()))
    cmd = [*trainer_command(processes), "--quiet", "--root", str(run.path.parent), "--resume",
           run.name]
    if epochs is not None:
        cmd += ["--epochs", str(epochs)]
    return _launch(run, cmd)


def sweep_name(beta: float, stamp: str) -> str:
    return f"sweep-{stamp}-beta{beta:g}".replace("+", "")


def launch_beta_sweep(root, betas, epochs: int, stamp: str, dataset: str = "mnist-5k",
                      latent_dim: int = 2, hidden: str = "256") -> list[RunDir]:
    """Start one short run per beta, all at once, each its own process; returns at once."""
    return [start_training(root, sweep_name(beta, stamp), {
        "dataset": dataset, "latent-dim": latent_dim, "beta": beta, "epochs": epochs,
        "hidden": hidden, "device": "cpu", "snapshot-every": epochs}) for beta in betas]


def launch_log(run: RunDir) -> Path:
    """The trainer's own output (its error, if it dies before it can write status.json), beside
    the run folder: the folder does not exist yet when a new run's trainer starts."""
    return run.path.parent / f".{run.name}.launch.log"


@dataclass
class Launch:
    """A trainer this process started; "starting" until it writes status.json."""
    run: RunDir
    proc: subprocess.Popen
    status_mtime: float  # status.json's mtime before the launch: a newer one is the trainer's
    started: float = field(default_factory=time.time)
    stop_requested: bool = False  # Stop was pressed before the trainer took the run's lock

    def reported(self) -> bool:
        try:
            return self.run.status_file.stat().st_mtime > self.status_mtime
        except OSError:
            return False


# The launches of this process (every browser session's), by run folder. Bounded: a finished
# launch is forgotten MAX_LAUNCH_AGE_S after it started, and past MAX_LAUNCHES the oldest finished
# ones go first; a live one is kept (its Stop needs it).
_launches: dict[Path, Launch] = {}
_launches_lock = threading.Lock()
MAX_LAUNCHES = 64
MAX_LAUNCH_AGE_S = 15 * 60


def _prune_launches(now: float | None = None) -> None:
    """Forget old finished launches (the caller holds _launches_lock)."""
    now = time.time() if now is None else now
    finished = sorted((la for la in _launches.values() if la.proc.poll() is not None),
                      key=lambda la: la.started)
    extra = len(_launches) - MAX_LAUNCHES
    for la in finished:
        if now - la.started > MAX_LAUNCH_AGE_S or extra > 0:
            _launches.pop(la.run.path, None)
            extra -= 1


def _refuse_if_starting(run: RunDir) -> None:
    """A trainer this process launched for `run` is still loading (a double click)."""
    earlier = _launches.get(run.path)
    if earlier is not None and earlier.proc.poll() is None and not earlier.reported():
        raise RunError(f"{run.name} is already starting (pid {earlier.proc.pid}).")


def _launch(run: RunDir, cmd: list[str]) -> RunDir:
    with _launches_lock:
        _refuse_if_starting(run)
        run.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            before = run.status_file.stat().st_mtime
        except OSError:
            before = 0.0
        with open(launch_log(run), "wb") as log:
            proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        _launches[run.path] = Launch(run, proc, before)
        _prune_launches()
    # Reap the child when it ends, so no <defunct> trainer lingers under the dashboard: a thread
    # per launch, because a SIGCHLD handler would also reap Streamlit's own children.
    threading.Thread(target=proc.wait, name=f"reap-{run.name}", daemon=True).start()
    return run


def launch_status(run: RunDir) -> dict | None:
    """What this process knows of its own launch of `run` before the trainer speaks for itself:
    {"state": "starting", ...} while the trainer loads (PyTorch, the dataset) and has not yet
    written status.json; {"state": "failed", "message": its words} if it exited before writing it.
    None when this process did not launch the run, or once the trainer has written status.json."""
    launch = _launches.get(run.path)
    if launch is None or launch.reported():
        return None
    code = launch.proc.poll()
    if code is None:
        return {"state": "starting", "pid": launch.proc.pid, "since": launch.started,
                "message": f"Starting the trainer (pid {launch.proc.pid}): loading PyTorch and "
                           "the dataset…"}
    if launch.reported():  # it wrote status.json and exited between the two looks
        return None
    if launch.stop_requested:
        return {"state": "failed", "pid": launch.proc.pid,
                "message": "Stopped while it started, before it trained a step: nothing was "
                           "trained or changed."}
    try:
        words = launch_log(run).read_text(errors="replace").strip().splitlines()
    except OSError:
        words = []
    message = next((w[len("error: "):] for w in reversed(words) if w.startswith("error: ")),
                   words[-1] if words else f"the trainer exited with code {code}")
    return {"state": "failed", "message": message, "pid": launch.proc.pid}


def pending_launches(root: str | os.PathLike) -> list[RunDir]:
    """Runs under `root` that this process launched and whose trainer has not written
    status.json: still starting, or failed before it could. Newest first."""
    root = Path(root)
    with _launches_lock:
        _prune_launches()
    found = sorted((la for la in list(_launches.values()) if la.run.path.parent == root),
                   key=lambda la: -la.started)
    return [la.run for la in found if launch_status(la.run) is not None]


def forget_launch(run: RunDir) -> None:
    """Drop a failed launch from what launch_status reports (the user has read it)."""
    launch = _launches.get(run.path)
    if launch is not None and launch.proc.poll() is not None:
        _launches.pop(run.path, None)


def delete_run(run: RunDir) -> None:
    """Delete the run's folder (under the run's lock: see RunDir.delete), and the launch log
    beside it. A run whose trainer this process launched and that is still starting is refused."""
    with _launches_lock:
        _refuse_if_starting(run)
        run.delete()
        launch_log(run).unlink(missing_ok=True)
        _launches.pop(run.path, None)


def stop_training(run: RunDir) -> int | None:
    """Ask the run's trainer to stop: a STOP file it reads every step, and SIGTERM to make it
    quicker, sent only to a process that provably is this run's trainer (it holds the run's lock
    and runs vae.train), never to a pid merely named in status.json. A trainer this process
    launched that has not taken the lock yet (loading PyTorch or the data) gets SIGTERM through
    the handle this process holds on its own child; the trainer keeps that from its first moment
    (vae.train.stop) and stops before its first step. Returns the pid signalled, or None (nothing
    trains the run, or the STOP file alone will do)."""
    launch = _launches.get(run.path)
    starting = launch is not None and launch.proc.poll() is None
    if run.is_training():
        run.request_stop()
        pid = run.signal_trainer()
        return pid if pid is not None or not starting else _signal_own_child(launch)
    if not starting:
        return None
    launch.stop_requested = True
    if run.exists():  # a resume: the STOP file holds too, should the signal come first
        try:
            run.request_stop()
        except RunError:
            pass  # the signal does it
    return _signal_own_child(launch)


def _signal_own_child(launch: Launch) -> int | None:
    """SIGTERM to a trainer this process started. Popen.send_signal checks first that the child
    has not been reaped, so the pid cannot be another process's; under torchrun the child is
    torchrun, which passes the signal on to its trainers."""
    try:
        launch.proc.send_signal(signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return None
    return launch.proc.pid if launch.proc.returncode is None else None
