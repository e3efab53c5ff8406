"""Stopping the trainer: SIGTERM, SIGINT or a STOP file, from the first moment of the process.

`python -m vae.train` calls catch_early() before it imports PyTorch, so a Stop that arrives while
the trainer starts (loading PyTorch, the data, building the model) is remembered, not lost and not
fatal: a new run that is stopped before its folder exists ends without creating it; one stopped
after stops before its first step, resumable. The loop's StopFlag takes over what was caught.
"""
from __future__ import annotations

import signal
import threading
import time

_caught: str | None = None  # the name of a signal caught before a StopFlag took over
_started: float | None = None  # when catch_early ran: this trainer's start


def catch_early() -> None:
    """Remember SIGTERM and SIGINT from now on (the first thing `python -m vae.train` does)."""
    global _started
    _started = time.time()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _remember)


def _remember(signum, _frame) -> None:
    global _caught
    _caught = signal.Signals(signum).name


def caught() -> str | None:
    """The signal caught since catch_early (None if none, or if this process never called it)."""
    return _caught


def started(default: float) -> float:
    """When this trainer started: at catch_early, else `default` (an in-process caller's start).
    A STOP file older than this was left by an earlier session; a newer one is for this one."""
    return _started if _started is not None else default


class StopFlag:
    """Set by SIGTERM/SIGINT; the loop checks it (and the STOP file) every step. A signal caught
    before it was made (catch_early) is kept."""

    def __init__(self):
        self.signal = _caught
        self._previous = {}
        if threading.current_thread() is threading.main_thread():  # Python allows no other
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._set)

    def _set(self, signum, _frame):
        self.signal = signal.Signals(signum).name

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
