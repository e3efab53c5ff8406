"""Safe file I/O for a run folder: every read and write checked, nothing reached through a link.

A run folder may come from anywhere (copied in, unzipped), so every file is read with a size limit,
opened with O_NOFOLLOW (and O_NONBLOCK, so a planted FIFO cannot hang a reader), and written
through a temp file and a rename, so a reader never sees half a file. Symbolic links are refused
wherever a file is read, written, downloaded or deleted, so nothing outside the runs root is
reached through a run. Nothing here unpickles.
"""
from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from pathlib import Path

MAX_JSON_BYTES = 1 << 20  # config.json, status.json: a few hundred bytes as the trainer writes them
MAX_METRICS_BYTES = 32 << 20  # a 10,000-epoch run logs a few MB; parsing costs ~10x this in memory


class RunError(Exception):
    """A run directory is missing, corrupt or does not match its config; the message says which."""


def write_json_atomic(path: Path, obj) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=1)))


def write_atomic(path: Path, write) -> None:
    """Write through a temp file in the same folder, then rename: a reader never sees half a file.
    The rename replaces a link at `path` by the file; it never writes through the link."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise RunError(f"{path} cannot be written: {exc.strerror or exc}.") from exc
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; runs are meant to be copied and shared
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # e.g. a folder where the file should be, or a full disk
            raise RunError(f"{path} cannot be written: {exc.strerror or exc}"
                           + (" (a folder is in its place)" if os.path.isdir(path)
                              and not os.path.islink(path) else "") + ".") from exc
        raise


def load_json(data: bytes, what: Path):
    """Parsed JSON, or RunError saying what is wrong (bad UTF-8, bad JSON, nested too deep)."""
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RunError(f"{what} is corrupt: it is not UTF-8 text ({exc.reason} at byte "
                       f"{exc.start}).") from exc
    except RecursionError as exc:
        raise RunError(f"{what} is corrupt: its JSON is nested too deeply to read.") from exc
    except ValueError as exc:
        raise RunError(f"{what} is corrupt: it is not JSON ({exc}).") from exc


def lexists(path: Path) -> bool:
    return os.path.lexists(path)


def file_kind(mode: int) -> str:
    """What a file is, in words, from its st_mode: for messages about a file of the wrong kind."""
    for test, words in ((stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"),
                        (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                        (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                        (stat.S_ISREG, "a regular file")):
        if test(mode):
            return words
    return "not a regular file"


def file_problem(path: Path, limit: int | None = None) -> str | None:
    """Why `path` cannot be read as a run file, from an lstat alone (no read), or None when it is
    missing or a regular file within `limit` bytes. For cheap checks of a whole run (its problems)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path} cannot be read: {exc.strerror or exc}."
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is {file_kind(info.st_mode)}, not a regular file."
    if limit is not None and info.st_size > limit:
        return f"{path} is {info.st_size:,} bytes, more than the {limit:,} a run's {path.name} may have."
    return None


class RunFiles:
    """Where each file of a run lives, and the checked way to read one. The base of RunDir."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    @property
    def name(self) -> str:
        return self.path.name

    # --- files
    config_file = property(lambda self: self.path / "config.json")
    status_file = property(lambda self: self.path / "status.json")
    metrics_file = property(lambda self: self.path / "metrics.jsonl")
    weights_file = property(lambda self: self.path / "model.safetensors")
    resume_file = property(lambda self: self.path / "resume.pt")
    stop_file = property(lambda self: self.path / "STOP")
    lock_file = property(lambda self: self.path / "train.lock")
    log_file = property(lambda self: self.path / "train.log")
    snapshot_dir = property(lambda self: self.path / "snapshots")

    def snapshot_file(self, epoch: int) -> Path:
        return self.snapshot_dir / f"epoch_{epoch:04d}.safetensors"

    def exists(self) -> bool:
        return lexists(self.config_file)

    # --- paths: nothing is reached through a link
    def inside(self, path: Path) -> Path:
        """`path` (a file in this run), once neither the run folder nor anything between it and
        `path` is a symbolic link; RunError otherwise. A missing tail is fine (a file to create)."""
        path = Path(path)
        try:
            rel = path.relative_to(self.path)
        except ValueError as exc:
            raise RunError(f"{path} is not inside the run folder {self.path}.") from exc
        if ".." in rel.parts:
            raise RunError(f"{path} leaves the run folder {self.path}.")
        current = self.path
        for part in ("", *rel.parts):
            current = current / part if part else current
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                break
            except OSError as exc:
                raise RunError(f"{current} cannot be read: {exc.strerror}.") from exc
            if stat.S_ISLNK(mode):
                try:
                    target = os.readlink(current)
                except OSError:
                    target = "?"
                raise RunError(f"{current} is a symbolic link (to {target}); links in run folders "
                               "are refused, so nothing outside the runs root is read or written "
                               "through a run. Replace it by a real file or folder.")
        return path

    def _open_checked(self, path: Path, limit: int) -> int:
        """An open descriptor of a regular file of this run, at most `limit` bytes, never through
        a link (the caller closes it). FileNotFoundError when it is missing; RunError when it is a
        link, not a plain file, or too large."""
        self.inside(path)
        try:  # O_NONBLOCK: a FIFO planted as a run file must not hang the reader
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise FileNotFoundError(str(path)) from exc
            if exc.errno == errno.ELOOP:
                raise RunError(f"{path} is a symbolic link; links in run folders are refused.") from exc
            raise RunError(f"{path} cannot be read: {exc.strerror}.") from exc
        try:  # checked before fdopen, which raises IsADirectoryError for a folder
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise RunError(f"{path} is {file_kind(info.st_mode)}, not a regular file.")
            if info.st_size > limit:
                raise RunError(f"{path} is {info.st_size:,} bytes, more than the {limit:,} a run's "
                               f"{path.name} may have.")
        except OSError as exc:
            os.close(fd)
            raise RunError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
        except BaseException:
            os.close(fd)
            raise
        return fd

    def read_bytes(self, path: Path, limit: int) -> bytes:
        """A regular file of this run, at most `limit` bytes, never through a link. FileNotFoundError
        when it is missing; RunError when it is a link, not a plain file, or too large."""
        fd = self._open_checked(path, limit)
        try:
            with os.fdopen(fd, "rb") as f:
                fd = -1  # f closes it now
                data = f.read(limit + 1)
        except OSError as exc:  # an I/O error, or a file that changed kind under us
            raise RunError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
        finally:
            if fd >= 0:
                os.close(fd)
        if len(data) > limit:
            raise RunError(f"{path} is more than the {limit:,} bytes a run's {path.name} may have.")
        return data

    @staticmethod
    def _download_limit(path: Path) -> int:
        return (MAX_METRICS_BYTES if path.suffix != ".safetensors"
                else 4 * 100_000_000 + MAX_JSON_BYTES)

    def check_download(self, path: Path) -> None:
        """What download_bytes would refuse, refused now, without reading the file: for a button
        that reads it only when clicked."""
        os.close(self._open_checked(path, self._download_limit(path)))

    def download_bytes(self, path: Path) -> bytes:
        """A run file for a download button: the same checks as reading (no links, no strangers)."""
        return self.read_bytes(path, self._download_limit(path))
