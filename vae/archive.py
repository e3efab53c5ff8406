"""A run as one .zip: download it whole, import someone else's without trusting it.

Import is refused as a whole or kept as a whole. Every entry is checked before a byte is written
(no path outside the run, no links, no encrypted or unknown files, sizes within the limits), the
files are extracted into a hidden temp folder inside the runs root, the run is validated there
(config.json against the schema, weights as safetensors whose shapes match the config, finite), and
only then renamed into place: one rename on the same file system, so a reader never sees half a
run and a refusal leaves nothing behind.

Never a pickle: resume.pt (optimizer state, a torch pickle) is dropped from an upload and left out
of a download; a resumed import goes on from its last epoch's weights.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .run import (MAX_JSON_BYTES, MAX_METRICS_BYTES, SNAPSHOT_RE, RunDir, RunError, validate_name,
                  validate_run_folder)

MB = 1024 * 1024
# What may be uploaded (the .zip itself): .streamlit/config.toml's server.maxUploadSize says the same
# to the server (tests/test_archive.py holds them together). The shipped runs pack well below it.
MAX_ZIP_BYTES = 50 * MB
MAX_UNPACKED_BYTES = 512 * MB  # what its entries may add up to once unpacked (zip bombs)
MAX_ENTRIES = 10_001  # config, metrics, weights, a status and up to 10,000 snapshots
MAX_RATIO = 1000  # an entry that inflates more than 1000x is a bomb, not a run
# What a run's own files may declare, checked from the archive's directory before a byte is
# unpacked: the readers refuse more anyway, but only after it was unpacked and read.
ENTRY_LIMITS = {"config.json": MAX_JSON_BYTES, "status.json": MAX_JSON_BYTES,
                "metrics.jsonl": MAX_METRICS_BYTES}

# The files a run may hold, and what happens to each on import.
KEPT = ("config.json", "metrics.jsonl", "model.safetensors", "train.log")
DROPPED = {"resume.pt": "resume.pt (optimizer state, a pickle) was not imported: the run resumes "
                        "from its last epoch's weights",
           "status.json": None,  # rewritten: a pid from another machine means nothing here
           "STOP": None}
IGNORED_PARTS = ("__MACOSX", ".DS_Store", "Thumbs.db")
TEMP_PREFIX = ".import-"


class ArchiveError(RunError):
    """An archive was refused; the message says why, in one sentence a user can act on."""


@dataclass
class Imported:
    run: RunDir
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------ download

def run_files(run: RunDir) -> list[Path]:
    """The files that make up a run for sharing: config, metrics, status, weights, snapshots.

    Links are refused, not followed: a run folder is shared as what it holds, nothing outside."""
    if run.path.is_symlink() or not run.path.is_dir():
        raise RunError(f"{run.name} is not a plain folder (a link or missing); it is not packed.")
    files = []
    for name in (*KEPT, "status.json"):
        path = run.path / name
        if path.is_symlink():
            raise RunError(f"{run.name}/{name} is a link; links are never packed.")
        if path.is_file():
            files.append(path)
    if run.snapshot_dir.is_symlink():
        raise RunError(f"{run.name}/snapshots is a link; links are never packed.")
    if run.snapshot_dir.is_dir():
        for path in sorted(run.snapshot_dir.iterdir()):
            rel = path.relative_to(run.path).as_posix()
            if _is_snapshot(rel) and path.is_file() and not path.is_symlink():
                files.append(path)
    if not any(p.name == "config.json" for p in files):
        raise RunError(f"{run.name} has no config.json; there is no run to pack.")
    return files


def pack_run(run: RunDir) -> bytes:
    """The run as a .zip whose entries sit under `<run name>/`, ready to import elsewhere."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in run_files(run):
            # safetensors barely compress; storing them keeps a download of a big run fast
            kind = zipfile.ZIP_STORED if path.suffix == ".safetensors" else zipfile.ZIP_DEFLATED
            zf.write(path, f"{run.name}/{path.relative_to(run.path).as_posix()}",
                     compress_type=kind)
    return buf.getvalue()


# -------------------------------------------------------------------------------------- import

def check_entries(zf: zipfile.ZipFile, *, max_unpacked: int = MAX_UNPACKED_BYTES,
                  max_entries: int = MAX_ENTRIES) -> list[tuple[zipfile.ZipInfo, str]]:
    """Every entry checked before anything is written: (entry, path inside the archive) for the
    regular files to consider. Raises ArchiveError naming the first entry that is refused."""
    infos = zf.infolist()
    if len(infos) > max_entries:
        raise ArchiveError(f"the archive has {len(infos):,} entries; at most {max_entries:,} "
                           "are accepted.")
    total, files, seen = 0, [], set()
    for info in infos:
        name = info.filename
        if "\\" in name or "\0" in name:
            raise ArchiveError(f"entry {name!r} has a backslash or NUL in its name; refused.")
        path = PurePosixPath(name)
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
            raise ArchiveError(f"entry {name!r} is an absolute path; refused (nothing may be "
                               "written outside the run).")
        if ".." in path.parts:
            raise ArchiveError(f"entry {name!r} climbs out of the archive with '..'; refused "
                               "(nothing may be written outside the run).")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise ArchiveError(f"entry {name!r} is a symbolic link; links are refused.")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"entry {name!r} is encrypted; refused.")
        if info.is_dir():
            continue
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # 0: a zip tool that records no type
            raise ArchiveError(f"entry {name!r} is not a regular file (a device, pipe or "
                               "socket); refused.")
        if any(part in IGNORED_PARTS or part.startswith("._") for part in path.parts):
            continue  # what macOS and Windows add to a zip: not part of anything
        key = path.as_posix().lower()
        if key in seen:
            raise ArchiveError(f"entry {name!r} appears twice in the archive; refused.")
        seen.add(key)
        limit = ENTRY_LIMITS.get(path.name)
        if limit is not None and info.file_size > limit:
            raise ArchiveError(f"entry {name!r} says it unpacks to {info.file_size:,} bytes; a "
                               f"run's {path.name} is at most {limit // MB or 1:,} MB, so it is "
                               "refused before anything is unpacked.")
        total += info.file_size
        if total > max_unpacked:
            raise ArchiveError(f"the archive unpacks to more than {max_unpacked // MB:,} MB; "
                               "refused (the limit keeps a zip bomb out).")
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > MB:
            raise ArchiveError(f"entry {name!r} inflates {info.file_size // max(info.compress_size, 1):,}"
                               f" times ({info.compress_size:,} bytes to {info.file_size:,}); "
                               "refused as a zip bomb.")
        files.append((info, path.as_posix()))
    return files


def common_folder(paths: list[str]) -> str | None:
    """The one top-level folder every path sits in, or None when files lie at the top."""
    tops = {p.split("/", 1)[0] for p in paths}
    if len(tops) == 1 and all("/" in p for p in paths):
        return tops.pop()
    return None


def open_zip(data: bytes | os.PathLike | str, max_zip: int = MAX_ZIP_BYTES) -> zipfile.ZipFile:
    """A ZipFile over bytes or a path, after the size check; ArchiveError when it is not a zip."""
    size = len(data) if isinstance(data, (bytes, bytearray)) else os.path.getsize(data)
    if size > max_zip:
        raise ArchiveError(f"the file is {size / MB:,.1f} MB; at most {max_zip // MB} MB is "
                           "accepted.")
    try:
        return zipfile.ZipFile(io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveError(f"the file is not a readable .zip archive ({exc}).") from exc


def extract_checked(zf: zipfile.ZipFile, members: list[tuple[zipfile.ZipInfo, str]], dest: Path,
                    strip: str | None, max_unpacked: int = MAX_UNPACKED_BYTES) -> None:
    """Write the checked members under dest (which must exist), counting the bytes as they come:
    an entry is never trusted to be as small as its header says."""
    written = 0
    for info, name in members:
        rel = name[len(strip) + 1:] if strip else name
        target = dest.joinpath(*PurePosixPath(rel).parts)
        if dest.resolve() not in target.resolve().parents:  # belt and braces after check_entries
            raise ArchiveError(f"entry {name!r} would land outside the run; refused.")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with zf.open(info) as src, open(target, "xb") as out:
                while chunk := src.read(MB):
                    written += len(chunk)
                    if written > max_unpacked:
                        raise ArchiveError(f"the archive unpacks to more than "
                                           f"{max_unpacked // MB:,} MB; refused.")
                    out.write(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            # RuntimeError: a bad password/CRC; NotImplementedError: an unknown compression
            raise ArchiveError(f"entry {name!r} could not be read ({exc}).") from exc


def import_run(data: bytes | os.PathLike | str, root: str | os.PathLike, *,
               name: str | None = None, source: str = "the archive",
               max_zip: int = MAX_ZIP_BYTES, max_unpacked: int = MAX_UNPACKED_BYTES) -> Imported:
    """Import a run from a .zip into `root`, or raise ArchiveError and leave nothing behind.

    The archive holds a run's files at its top or inside one folder (the run's name). The run is
    named `name`, else that folder, else `source` without .zip; '-2', '-3'… is appended when a run
    of that name exists."""
    root = Path(root)
    with open_zip(data, max_zip) as zf:
        members = check_entries(zf, max_unpacked=max_unpacked)
        strip = common_folder([n for _, n in members])
        rels = {(n[len(strip) + 1:] if strip else n): (info, n) for info, n in members}
        notes = _sort_members(rels)
        if "config.json" not in rels:
            raise ArchiveError("the archive holds no config.json: it is not a run (expected "
                               "config.json, model.safetensors, metrics.jsonl… at its top or in "
                               "one folder).")
        if "model.safetensors" not in rels:
            raise ArchiveError("the archive holds no model.safetensors: a run without weights "
                               "cannot be shown.")
        wanted = [rels[r] for r in sorted(rels) if r in KEPT or _is_snapshot(r)]
        root.mkdir(parents=True, exist_ok=True)
        sweep_stale(root)
        # The run is built one level down, so the runs list (folders holding config.json) never
        # shows it half-made; the rename below is the moment it appears, whole.
        tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=root))
        work = tmp / "run"
        try:
            work.mkdir()
            extract_checked(zf, wanted, work, strip, max_unpacked)
            validate_folder(work)
            status = _imported_status(RunDir(work), source)
            (work / "status.json").write_text(json.dumps(status, indent=1))
            for path in [work, *work.rglob("*")]:
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
            final = _free_name(root, name or strip or _stem(source))
            try:
                os.rename(work, root / final)  # atomic; fails rather than replace a run
            except OSError as exc:
                raise ArchiveError(f"could not move the run into place as {final!r} ({exc}).") \
                    from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return Imported(RunDir(root / final), notes)


def sweep_stale(root: Path, older_than_s: float = 3600.0) -> None:
    """Remove import folders left by a server killed mid-import (an hour old: none in use)."""
    now = time.time()
    for path in root.glob(TEMP_PREFIX + "*"):
        try:
            if not path.is_symlink() and path.is_dir() and now - path.stat().st_mtime > older_than_s:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


# ------------------------------------------------------------------------- a .zip of your images

IMAGES_FOLDER = ".datasets"  # inside the runs root: never listed as a run (not a run name)
MAX_IMAGE_ZIP_BYTES = MAX_ZIP_BYTES


def images_root(runs_root: str | os.PathLike) -> Path:
    """Where uploaded image sets are unpacked: beside the runs that train on them."""
    return Path(runs_root) / IMAGES_FOLDER


def import_image_zip(data: bytes, root: str | os.PathLike, *, source: str = "images.zip",
                     image_size: int | None = None, max_zip: int = MAX_IMAGE_ZIP_BYTES,
                     max_unpacked: int = MAX_UNPACKED_BYTES) -> Path:
    """Unpack a .zip of images (one folder per class) into root/<name>-<hash>/ and return that
    folder, or raise (ArchiveError for the zip, DatasetError for its images) leaving nothing.

    The images are checked as `--dataset folder` reads them (every image readable, one size or
    `image_size` given, two classes or more, enough of each) before the folder is renamed into
    place. The same zip again returns the folder the first one made."""
    from .data import MAX_IMAGES, DatasetError, load_dataset
    root = Path(root)
    digest = hashlib.sha256(data).hexdigest()[:10]
    final = root / f"{_clean_name(_stem(source), 'images')[:40]}-{digest}"
    existing = [p for p in root.glob(f"*-{digest}") if p.is_dir() and not p.is_symlink()] \
        if root.is_dir() else []
    if existing:
        load_dataset("folder", existing[0], image_size=image_size)
        return existing[0]
    with open_zip(data, max_zip) as zf:
        members = check_entries(zf, max_unpacked=max_unpacked, max_entries=MAX_IMAGES + 1000)
        if not members:
            raise ArchiveError(f"{source} holds no files.")
        root.mkdir(parents=True, exist_ok=True)
        sweep_stale(root)
        tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=root))
        work = tmp / "images"
        try:
            work.mkdir()
            extract_checked(zf, members, work, None, max_unpacked)
            try:
                load_dataset("folder", work, image_size=image_size)
            except DatasetError as exc:  # name the upload, not the temp folder
                raise DatasetError(str(exc).replace(str(work), source)) from None
            os.rename(work, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _is_snapshot(rel: str) -> bool:
    """Whether a path inside a run is a snapshot, named as save_snapshot names them."""
    folder, _, name = rel.partition("/")
    return folder == "snapshots" and SNAPSHOT_RE.fullmatch(name) is not None


def _sort_members(rels: dict) -> list[str]:
    """Refuse unknown files; notes for those dropped on purpose."""
    notes = []
    for rel in rels:
        if rel in KEPT or _is_snapshot(rel):
            continue
        if rel in DROPPED:
            if DROPPED[rel]:
                notes.append(DROPPED[rel] + ".")
            continue
        raise ArchiveError(f"the archive holds {rel!r}, which is not part of a run; a run holds "
                           "only config.json, model.safetensors, metrics.jsonl, status.json, "
                           "train.log and snapshots/epoch_NNNN.safetensors.")
    return notes


def validate_folder(path: Path) -> None:
    """A run folder checked as the dashboard will read it (vae.run.validate_run_folder: config
    against the schema, no links, weights and every snapshot matching the config and finite),
    after a first look at the weight shapes that names the tensor that differs."""
    run = RunDir(path)
    try:
        model_cfg, _ = run.read_config()
        _check_shapes(run, model_cfg)
    except RunError as exc:
        raise ArchiveError(_relative(str(exc), path)) from exc
    problems = validate_run_folder(path)
    if problems:
        more = f" ({len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ArchiveError(_relative(problems[0], path).rstrip(".") + more + ".")


def _check_shapes(run: RunDir, model_cfg) -> None:
    """Weight shapes against the config's, read from the safetensors headers, before any tensor
    is loaded and on the meta device, so an absurd config costs no memory."""
    import torch
    from safetensors import SafetensorError, safe_open

    from .model import CODE_ARCH, VAE
    if model_cfg.arch == CODE_ARCH:
        return  # a model imported as code: its module checks names and shapes when it loads
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in VAE(model_cfg).state_dict().items()}
    paths = [run.weights_file, *sorted(run.snapshot_dir.glob("epoch_*.safetensors"))]
    for path in paths:
        try:
            with safe_open(str(path), framework="pt") as f:
                shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
        except (SafetensorError, OSError, ValueError) as exc:
            raise RunError(f"{path.relative_to(run.path)} is not a valid safetensors file "
                           f"({type(exc).__name__}: {exc}).") from exc
        if shapes != expected:
            wrong = sorted(k for k in set(shapes) | set(expected)
                           if shapes.get(k) != expected.get(k))
            k = wrong[0]
            raise RunError(f"{path.relative_to(run.path)} does not match config.json: "
                           f"{k} is {list(shapes[k]) if k in shapes else 'missing'} but the "
                           f"config needs {list(expected[k]) if k in expected else 'no such tensor'}"
                           f" ({len(wrong)} tensor(s) differ).")


def _imported_status(run: RunDir, source: str) -> dict:
    _, train_cfg = run.read_config()
    epochs = [r.get("epoch") for r in run.read_metrics()
              if isinstance(r, dict) and r.get("kind") == "epoch"]
    last = max((e for e in epochs if isinstance(e, int)), default=0)
    # a model imported from elsewhere (vae.import_model) has no epochs here and is complete
    done = last >= train_cfg.epochs or "imported_from" in run.read_raw_config()
    state = "finished" if done else "stopped"
    return {"state": state, "epoch": last, "epochs": train_cfg.epochs,
            "message": f"Imported from {source} on {time.strftime('%Y-%m-%d %H:%M')}.",
            "updated": time.time()}


def _clean_name(wanted: str, fallback: str = "imported-run") -> str:
    base = re.sub(r"[^A-Za-z0-9._-]", "-", wanted).strip("-._")[:60] or fallback
    try:
        return validate_name(base)
    except RunError:
        return fallback


def _free_name(root: Path, wanted: str) -> str:
    base = _clean_name(wanted)
    name, n = base, 1
    while (root / name).exists() or (root / name).is_symlink():
        n += 1
        name = f"{base}-{n}"
    return name


def _stem(source: str) -> str:
    return re.sub(r"\.zip$", "", Path(source).name, flags=re.I)


def _relative(message: str, path: Path) -> str:
    """Messages about the temp folder name the file inside the run instead."""
    return message.replace(str(path) + "/", "").replace(str(path), "the run")
