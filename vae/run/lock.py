"""The trainer's lock: one trainer per run, and stopping it safely.

train.lock is flock()ed by the one trainer of the run for its lifetime and holds its pid; the kernel
drops the lock when the process dies, even by kill -9, so the lock, not status.json, says whether a
run trains. A STOP file asks the trainer to stop; a signal goes only to a process that provably is
the run's trainer.
"""
from __future__ import annotations

import fcntl
import os
import signal
import stat
import time
from contextlib import contextmanager
from pathlib import Path

from .files import RunError


class TrainerLock:
    """Who trains a run, and asking it to stop; part of RunDir (uses RunFiles' paths)."""

    @contextmanager
    def lock(self):
        """Hold the run's exclusive lock (flock on train.lock) for the trainer's lifetime, with this
        process's pid written inside. RunError("<run> is already training (pid N)") when another
        trainer holds it. The kernel drops the lock when the process dies, even by kill -9."""
        self.inside(self.lock_file)
        try:
            fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o644)
        except OSError as exc:
            raise RunError(f"{self.lock_file} cannot be opened: {exc.strerror}.") from exc
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise RunError(f"{self.lock_file} is not a regular file.")
            deadline = time.monotonic() + 0.5  # a reader's probe holds a shared lock briefly
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    held, pid = self._lock_holder()
                    if (held and pid) or time.monotonic() > deadline:
                        raise RunError(f"{self.name} is already training (pid {pid or 'unknown'}); "
                                       "one trainer per run.") from None
                    time.sleep(0.01)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            try:
                yield self
            finally:
                os.ftruncate(fd, 0)  # a later reader finds no pid of a finished trainer
        finally:
            os.close(fd)  # releases the lock

    @contextmanager
    def hold_for_delete(self):
        """Hold the run's lock while the run is removed, so that no trainer can take it between
        "nobody trains it" and the removal (a resume racing a delete). RunError in words when a
        trainer holds it. A train.lock that is a link or not a regular file can never be locked
        by a trainer (lock() refuses it), so it does not stand in the way of a delete."""
        try:
            self.inside(self.lock_file)
            fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
                         | os.O_CLOEXEC, 0o644)
        except (OSError, RunError):
            yield self  # a folder, a link or a FIFO in its place: no trainer can hold it
            return
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                    raise RunError(f"{self.name} is still training (pid "
                                   f"{text if text.isdigit() else 'unknown'}): stop it before "
                                   "deleting it.") from None
            yield self
        finally:
            os.close(fd)

    def _lock_holder(self) -> tuple[bool, int | None]:
        """(whether a trainer holds the lock, its pid as written in the lock file)."""
        try:
            self.inside(self.lock_file)
            fd = os.open(self.lock_file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, RunError):
            return False, None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return False, None
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                return True, int(text) if text.isdigit() else None
            except OSError:
                return False, None
            return False, None  # closing releases the shared probe
        finally:
            os.close(fd)

    def is_training(self) -> bool:
        """Whether a trainer holds this run's lock right now: the one test of "running"."""
        return self._lock_holder()[0]

    def trainer_pid(self) -> int | None:
        """The pid of the process holding this run's lock, when the kernel confirms it holds it
        (/proc/locks, where there is one); None when nobody trains the run."""
        held, pid = self._lock_holder()
        if not held or pid is None:
            return None
        holders = _flock_holders(self.lock_file)
        if holders is not None and pid not in holders:
            return None
        return pid

    def signal_trainer(self, signum: int = signal.SIGTERM) -> int | None:
        """Send `signum` to this run's trainer, only if it is provably that: it holds the run's lock
        and its command line is vae.train, both seen in /proc, and the process is pinned by a
        pidfd while it is checked. Where the system offers no pidfd or /proc (see
        pid_signal_problem), nothing is signalled: the STOP file alone stops the trainer, within
        a second. Returns the pid signalled, or None."""
        if pid_signal_problem() is not None:
            return None
        pid = self.trainer_pid()
        if pid is None or pid == os.getpid() or not _is_trainer_command(pid):
            return None
        try:
            pidfd = os.pidfd_open(pid)  # pins the process: a reused pid cannot be hit after this
        except OSError:
            return None  # gone already, or no pidfd after all: the STOP file does it
        try:
            if self.trainer_pid() != pid:  # re-checked after pinning
                return None
            signal.pidfd_send_signal(pidfd, signum)
            return pid
        except (ProcessLookupError, PermissionError):
            return None
        finally:
            os.close(pidfd)

    def request_stop(self) -> None:
        self.inside(self.stop_file)
        try:  # O_NOFOLLOW: a planted STOP link must not truncate the file it points to
            fd = os.open(self.stop_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
                         | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise RunError(f"{self.stop_file} cannot be written: {exc.strerror}.") from exc
        with os.fdopen(fd, "w") as f:
            f.write("stop requested\n")


def pid_signal_problem() -> str | None:
    """Why this system cannot signal a run's trainer safely, in words, or None where it can. A pid
    read from train.lock may by now be another process's; only a pidfd (Linux 5.3+) pins the
    process while /proc shows that it holds the lock and runs vae.train. Without them a Stop is
    the STOP file alone, which the trainer reads every step."""
    if not hasattr(os, "pidfd_open") or not hasattr(signal, "pidfd_send_signal"):
        return ("this system has no pidfd (Linux 5.3 or later), so Stop does not signal a pid "
                "read from a file; the trainer reads the STOP file every step")
    if not os.path.exists("/proc/self/cmdline") or not os.path.exists("/proc/locks"):
        return ("this system has no /proc to confirm which process holds the run, so Stop does "
                "not signal it; the trainer reads the STOP file every step")
    return None


def _flock_holders(path: Path) -> set[int] | None:
    """Pids holding a flock on path per /proc/locks, or None where the kernel does not say."""
    try:
        info = os.stat(path, follow_symlinks=False)
        with open("/proc/locks") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    holders = set()
    for line in lines:
        parts = line.split()
        if len(parts) < 6 or parts[1] == "->" or parts[1] != "FLOCK":
            continue
        try:
            major, minor, inode = parts[5].split(":")
            if (int(inode) == info.st_ino and int(major, 16) == os.major(info.st_dev)
                    and int(minor, 16) == os.minor(info.st_dev)):
                holders.add(int(parts[4]))
        except ValueError:
            continue
    return holders


def _is_trainer_command(pid: int) -> bool:
    """Whether /proc says that pid runs `python -m vae.train` (False where it cannot say)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:  # gone, or no /proc to say: never signalled on trust
        return False
    return any(a == b"vae.train" or a.endswith((b"vae/train.py", b"vae/train/__main__.py"))
               for a in argv)
