"""A run is a directory: the contract between the trainer and everything that looks at it.

checkpoints/<run>/
    config.json          {"model": VAEConfig, "train": TrainConfig}: the run rebuilds itself from it
    status.json          state (running, finished, stopped, failed), message, progress, pid
    metrics.jsonl        a line per logged step and per epoch
    model.safetensors    latest weights, replaced atomically
    snapshots/epoch_NNNN.safetensors   float16 weights after each epoch, for replay (float32 for
                                       a tensor with a value beyond float16's ±65504)
    resume.pt            optimizer and RNG state (tensors only: loaded with weights_only=True)
    train.lock           flock()ed by the one trainer of the run, for its lifetime; holds its pid
    STOP                 written by whoever wants the trainer to stop

RunDir ties the parts together, one file each: files (safe I/O), config, lock, status, metrics,
checkpoints. A run folder may come from anywhere (copied in, unzipped), so everything read from it
is checked: sizes before reading, JSON types and ranges, weight shapes against the config before a
model is built, finite weights.
"""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from ..data.dataset import system_dir  # /proc, /sys, /dev: the kernel's own files, never a runs root
from .checkpoints import Checkpoints
from .config import NAME_RE, RunConfig
from .files import MAX_METRICS_BYTES, RunError, RunFiles, file_kind, file_problem, lexists
from .lock import TrainerLock
from .metrics import MetricsLog
from .status import RunStatus

DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent / "checkpoints"


class RunDir(RunFiles, RunConfig, TrainerLock, RunStatus, MetricsLog, Checkpoints):
    """One run folder: every file of it read and written through the checks of its parts."""

    # --- the whole folder
    def problems(self) -> list[str]:
        """What is wrong with this run, cheaply (config, status, metrics); [] when nothing is. For
        the runs table and the sidebar; validate_run_folder also checks weights and snapshots."""
        found = []
        try:
            self.read_config()
        except RunError as exc:
            found.append(str(exc))
        status = self._read_status_file()
        if status.get("state") == "damaged":
            found.append(status["problem"])
        for path in (self.weights_file, self.snapshot_dir, self.resume_file, self.lock_file,
                     self.metrics_file):
            try:
                self.inside(path)  # cheap: an lstat each; the weights' contents are checked on load
            except RunError as exc:
                if str(exc) not in " ".join(found):
                    found.append(str(exc))
                continue
            # a folder (or FIFO, device) where a file should be: this run is damaged, no other
            wrong = (_not_a_folder(path) if path == self.snapshot_dir else
                     file_problem(path, MAX_METRICS_BYTES if path == self.metrics_file else None))
            if wrong and wrong not in found:
                found.append(wrong)
        for epoch in self.snapshot_epochs():
            wrong = file_problem(self.snapshot_file(epoch))
            if wrong:
                found.append(wrong)
        if any(str(self.metrics_file) in p for p in found):
            return found  # its one problem is said; no count of lines that could not be read
        bad = self.metrics_bad_lines()
        if bad:
            found.append(f"{self.metrics_file}: {bad} line{'s' * (bad != 1)} skipped (not a "
                         "metrics row: bad JSON or UTF-8, or values of the wrong kind).")
        return found

    def delete(self) -> None:
        if os.path.islink(self.path):
            raise RunError(f"{self.path} is a symbolic link (to {os.readlink(self.path)}), not a run "
                           "folder: the dashboard deletes only real folders. Remove the link "
                           "yourself if you want it gone.")
        if not self.path.is_dir():
            raise RunError(f"{self.path} is not a folder.")
        with self.hold_for_delete():  # a resume starting now waits out the removal, then fails
            shutil.rmtree(self.path)  # rmtree removes links inside, never what they point to


def _not_a_folder(path: Path) -> str | None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path} cannot be read: {exc.strerror or exc}."
    return None if stat.S_ISDIR(mode) else f"{path} is {file_kind(mode)}, not a folder."


def validate_run_folder(path: str | os.PathLike) -> list[str]:
    """Everything wrong with a run folder, in words; [] when it can be opened safely. Checks the
    name, links and file kinds anywhere inside, config.json, status.json, metrics.jsonl, and that
    the weights and every snapshot match the config and are finite. Reads, never writes."""
    path = Path(path)
    run = RunDir(path)
    found = []
    if not NAME_RE.fullmatch(path.name):
        found.append(f"The folder name {path.name!r} is not a run name: use 1-64 letters, digits, "
                     "'.', '_' or '-', starting with a letter or digit.")
    if os.path.islink(path) or not path.is_dir():
        return found + [f"{path} is a symbolic link or not a folder."]
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            p = Path(folder) / name
            mode = os.lstat(p).st_mode
            if stat.S_ISLNK(mode):
                found.append(f"{p} is a symbolic link; links in run folders are refused.")
            elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                found.append(f"{p} is not a regular file or folder.")
    found += run.problems()
    try:
        config, _ = run.read_config()
    except RunError:
        return found
    files = [run.weights_file] if lexists(run.weights_file) else []
    files += [run.snapshot_file(e) for e in run.snapshot_epochs()]
    for file in files:
        try:
            run.check_weights(file, config)
        except (RunError, FileNotFoundError) as exc:
            found.append(str(exc))
    return found


def check_root(root: str | os.PathLike) -> Path:
    """`root` once it can hold runs: not in /proc, /sys or /dev (where links lead included), and a
    folder if it exists (it is created when a run is). RunError in words otherwise."""
    root = Path(root)
    system = system_dir(root)
    if system is not None:
        raise RunError(f"The runs root {root} is in {system}, the system's own files: give a "
                       "folder of yours for the runs (it is created if missing).")
    try:
        info = os.stat(root)
    except FileNotFoundError:
        return root
    except OSError as exc:
        raise RunError(f"The runs root {root} cannot be used: {exc.strerror or exc}.") from exc
    if not stat.S_ISDIR(info.st_mode):
        raise RunError(f"The runs root {root} is {file_kind(info.st_mode)}, not a folder: give a "
                       "folder for the runs (it is created if missing).")
    return root


def list_runs(root: str | os.PathLike = DEFAULT_ROOT) -> list[RunDir]:
    """Every run in root: folders with a config.json, and links with a run's name (refused when
    read, but listed so that they can be seen). Names that are not run names are left out."""
    root = Path(root)
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    found = []
    for entry in entries:
        if not NAME_RE.fullmatch(entry.name):
            continue
        p = Path(entry.path)
        if entry.is_symlink() or (entry.is_dir(follow_symlinks=False)
                                  and lexists(p / "config.json")):
            found.append(RunDir(p))
    return sorted(found, key=lambda r: r.name)
