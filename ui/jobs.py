"""Long computations off the script's thread: a job runs once per key in a thread of its own and
reports how far it has got, so a page can show that and answer its other controls meanwhile.

No Streamlit here: a thread never calls st.* (ui.background draws a job and reruns the page when it
ends). Jobs are shared by every session of the server, like st.cache_data: two visitors who ask for
the same numbers start one job. The registry keeps the last MAX_KEPT jobs and their results; a key
names everything the result depends on (the run's folder and weights' mtime among them), so a
retrained run asks for a new job.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

MAX_KEPT = 32


class Job:
    """One computation: `fn(report)` in a thread, where `report(fraction)` says how far it is."""

    def __init__(self, key: Hashable):
        self.key = key
        self.fraction = 0.0
        self.result: Any = None
        self.error: BaseException | None = None
        self.started = time.monotonic()
        self.ended: float | None = None
        self._done = threading.Event()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def report(self, fraction: float) -> None:
        self.fraction = min(max(float(fraction), 0.0), 1.0)

    def wait(self, timeout: float | None = None) -> bool:
        """For tests and scripts: block until the job ends (a page never waits)."""
        return self._done.wait(timeout)

    def _run(self, fn: Callable[[Callable[[float], None]], Any]) -> None:
        try:
            self.result = fn(self.report)
            self.fraction = 1.0
        except Exception as exc:  # kept for the page to say; never raised in the thread
            self.error = exc
        finally:
            self.ended = time.monotonic()
            self._done.set()


_JOBS: OrderedDict[Hashable, Job] = OrderedDict()
_LOCK = threading.Lock()


def submit(key: Hashable, fn: Callable[[Callable[[float], None]], Any]) -> Job:
    """The job for `key`: the one running or ended already, else `fn(report)` started now."""
    with _LOCK:
        job = _JOBS.get(key)
        if job is not None:
            _JOBS.move_to_end(key)
            return job
        job = _JOBS[key] = Job(key)
        ended = [k for k, j in _JOBS.items() if j.done]
        for old in ended[:max(0, len(_JOBS) - MAX_KEPT)]:
            del _JOBS[old]
    threading.Thread(target=job._run, args=(fn,), name=f"job {key!r}"[:60], daemon=True).start()
    return job


def current() -> list[Job]:
    """The jobs kept now, oldest first (for tests and the server's own checks)."""
    with _LOCK:
        return list(_JOBS.values())


def forget(key: Hashable) -> None:
    """Drop a job (one that failed, say) so the next submit starts it again."""
    with _LOCK:
        _JOBS.pop(key, None)
