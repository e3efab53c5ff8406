"""status.json: what the trainer says about its run (state, message, progress, pid).

The trainer rewrites it atomically as it goes; readers check every value, and the lock
(vae.run.lock), not the file, decides whether a run that says "running" still is.
"""
from __future__ import annotations

import math
import os
import time

from ..model_config import _is_int, _is_real
from .files import MAX_JSON_BYTES, RunError, load_json, write_json_atomic

STATES = ("running", "finished", "stopped", "failed")
ENDED = ("finished", "stopped", "failed")  # what a trainer writes last, before it exits
HELD = ("starting", "running", "ending")  # what read_status says while a trainer holds the lock


class RunStatus:
    """Reading and writing status.json; part of RunDir (uses RunFiles and TrainerLock)."""

    def read_status(self) -> dict:
        """status.json, checked; "state" says what the run is now:
        running      a trainer holds the run's lock and has written that it runs
        starting     a trainer holds the run's lock but has not begun its loop yet
        ending       a trainer holds the run's lock and has written how the run ended (its words
                     are in "message", the state it wrote in "ended"), but has not exited yet
        interrupted  status.json says running but no trainer holds the lock (killed, or stale):
                     "stale_pid" is the pid it named
        damaged      status.json cannot be read or holds values of the wrong kind: "problem" says
        new, finished, stopped, failed   as written by the trainer."""
        status = self._read_status_file()
        if self.is_training():
            said = status.get("state")
            if said == "running":
                status["state"] = "running"
            elif said in ENDED and self._written_by_lock_holder(status):
                status["state"], status["ended"] = "ending", said
            else:  # until its loop writes "running" it loads data and builds the model
                status["state"] = "starting"
            status["pid"] = self.trainer_pid() or status.get("pid")
        elif status.get("state") == "running":
            status["state"] = "interrupted"  # the trainer died without a word: resumable
            status["stale_pid"] = status.pop("pid", None)
        return status

    def _written_by_lock_holder(self, status: dict) -> bool:
        """Whether status.json was written after the lock's holder took the lock: the holder writes
        its pid into train.lock when it takes it, so the file's mtime is that moment. A status
        older than that is the previous trainer's (a run being resumed)."""
        try:
            taken = os.stat(self.lock_file).st_mtime
        except OSError:
            return False
        updated = status.get("updated")
        return _is_real(updated) and updated >= taken

    def _read_status_file(self) -> dict:
        try:
            data = self.read_bytes(self.status_file, MAX_JSON_BYTES)
        except FileNotFoundError:
            return {"state": "new"}
        except RunError as exc:
            return {"state": "damaged", "problem": str(exc)}
        try:
            raw = load_json(data, self.status_file)
        except RunError as exc:  # the trainer writes it atomically: a torn file is damage too
            return {"state": "damaged", "problem": str(exc)}
        problem = _status_problem(raw)
        if problem:
            return {"state": "damaged", "problem": f"{self.status_file} is damaged: {problem}."}
        return raw

    def write_status(self, **status) -> None:
        self.inside(self.status_file)
        write_json_atomic(self.status_file, {**status, "updated": time.time()})

    def mark_stopped(self) -> None:
        """Replace a stale or damaged status (no trainer holds the lock) by "stopped"."""
        if self.is_training():
            raise RunError(f"{self.name} is training (pid {self.trainer_pid()}): stop it instead.")
        old = self._read_status_file()
        keep = {k: old[k] for k in ("epoch", "epochs", "step", "total_steps") if k in old}
        self.write_status(state="stopped", **keep,
                          message="Marked stopped from the dashboard: its status said "
                                  f"{old.get('state')!s:.20} but no trainer held the run.")


def _status_problem(raw) -> str | None:
    """Why a parsed status.json cannot be used, or None."""
    if not isinstance(raw, dict):
        return f"it holds a JSON {type(raw).__name__}, not an object"
    state = raw.get("state")
    if state not in STATES:
        return f"its state is {state!r:.40}, not one of {', '.join(STATES)}"
    for key in ("pid", "epoch", "epochs", "step", "total_steps"):
        if key in raw and raw[key] is not None and (not _is_int(raw[key]) or raw[key] < 0):
            return f"{key} is {raw[key]!r:.40}, not a whole number"
    for key in ("samples_per_s", "eta_s", "updated"):
        if key in raw and raw[key] is not None and (not _is_real(raw[key]) or raw[key] < 0):
            return f"{key} is {raw[key]!r:.40}, not a number >= 0"
    for key in ("message", "device"):
        if key in raw and not isinstance(raw[key], str):
            return f"{key} is {raw[key]!r:.40}, not text"
    return None


def format_seconds(s: float) -> str:
    """A duration such as an ETA (status.json's eta_s) as m:ss, or h:mm:ss from an hour."""
    if not math.isfinite(s):
        return "--:--"
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
