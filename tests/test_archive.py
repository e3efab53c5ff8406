"""A run as a .zip: packed whole, imported whole or not at all. Hostile archives are built from a real
shipped run (mnist5k-2d-ae) with one thing made wrong each."""
import io
import json
import pickle
import stat
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from vae.archive import (MB, ArchiveError, TEMP_PREFIX, import_run, pack_run)
from vae.run import DEFAULT_ROOT, RunDir, RunError

RUN = "mnist5k-2d-ae"


@pytest.fixture(scope="module")
def packed() -> bytes:
    return pack_run(RunDir(DEFAULT_ROOT / RUN))


@pytest.fixture
def root(tmp_path) -> Path:
    r = tmp_path / "runs"
    r.mkdir()
    return r


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}


def rezip(files: dict[str, bytes], extra=()) -> bytes:
    """A zip of `files` (name -> bytes) plus `extra` (ZipInfo, bytes) entries written as given."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        for info, data in extra:
            zf.writestr(info, data)
    return buf.getvalue()


def refused(data: bytes, root: Path, *words: str, **kw) -> str:
    """Import must fail with one message holding `words`, and leave the runs root as it was."""
    before = sorted(p.name for p in root.iterdir())
    with pytest.raises(ArchiveError) as err:
        import_run(data, root, source="upload.zip", **kw)
    message = str(err.value)
    for w in words:
        assert w in message, message
    assert "\n" not in message
    assert sorted(p.name for p in root.iterdir()) == before, "a refusal left something behind"
    assert not list(root.glob(TEMP_PREFIX + "*"))
    return message


# ------------------------------------------------------------------------------- the good path

def test_pack_holds_the_run_under_its_name_and_no_pickle(packed):
    names = set(entries(packed))
    assert {f"{RUN}/config.json", f"{RUN}/model.safetensors", f"{RUN}/metrics.jsonl",
            f"{RUN}/status.json"} <= names
    assert any(n.startswith(f"{RUN}/snapshots/epoch_") for n in names)
    assert not any(n.endswith(".pt") for n in names)


def test_round_trip_gives_the_same_weights_and_an_honest_status(packed, root):
    imported = import_run(packed, root, source=f"{RUN}.zip")
    assert imported.run.name == RUN and imported.notes == []
    original = load_file(str(DEFAULT_ROOT / RUN / "model.safetensors"))
    again = load_file(str(root / RUN / "model.safetensors"))
    assert original.keys() == again.keys()
    assert all(torch.equal(original[k], again[k]) for k in original)
    assert imported.run.snapshot_epochs() == RunDir(DEFAULT_ROOT / RUN).snapshot_epochs()
    status = imported.run.read_status()
    trained_for = RunDir(DEFAULT_ROOT / RUN).read_config()[1].epochs
    assert status["state"] == "finished" and status["epoch"] == trained_for
    assert "pid" not in status  # a pid from another machine must never be signalled here
    imported.run.load_model()  # opens as the dashboard opens it
    assert sorted(p.name for p in root.iterdir()) == [RUN]


def test_a_second_import_of_the_same_name_gets_a_suffix(packed, root):
    import_run(packed, root)
    assert import_run(packed, root).run.name == f"{RUN}-2"


def test_files_at_the_top_of_the_zip_take_the_uploaded_file_name(packed, root):
    flat = rezip({k.split("/", 1)[1]: v for k, v in entries(packed).items()})
    assert import_run(flat, root, source="from colleague.zip").run.name == "from-colleague"


def test_resume_pt_is_dropped_unread_and_said_so(packed, root, tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))
    files = entries(packed)
    files[f"{RUN}/resume.pt"] = pickle.dumps(Evil())
    imported = import_run(rezip(files), root)
    assert not (imported.run.path / "resume.pt").exists()
    assert not marker.exists()
    assert any("resume.pt" in n for n in imported.notes)


def test_macos_litter_is_ignored(packed, root):
    files = entries(packed)
    files["__MACOSX/._config.json"] = b"\0\5\26\7"
    files[f"{RUN}/.DS_Store"] = b"Bud1"
    assert import_run(rezip(files), root).run.name == RUN


def test_pack_refuses_a_linked_weights_file(tmp_path):
    run = tmp_path / "r"
    run.mkdir()
    (run / "config.json").write_text((DEFAULT_ROOT / RUN / "config.json").read_text())
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the run")
    (run / "model.safetensors").symlink_to(secret)
    with pytest.raises(RunError, match="link"):
        pack_run(RunDir(run))


# ----------------------------------------------------------------------------- hostile archives

def test_zip_slip_is_refused(packed, root):
    files = entries(packed)
    files[f"{RUN}/../../evil.txt"] = b"x"
    refused(rezip(files), root, "'..'")
    assert not (root.parent / "evil.txt").exists()


def test_absolute_path_is_refused(packed, root):
    files = entries(packed)
    files["/tmp/evil.txt"] = b"x"
    refused(rezip(files), root, "absolute path")


def test_symlink_entry_is_refused(packed, root):
    link = zipfile.ZipInfo(f"{RUN}/metrics.jsonl")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    files = {k: v for k, v in entries(packed).items() if not k.endswith("metrics.jsonl")}
    refused(rezip(files, [(link, b"/etc/passwd")]), root, "symbolic link")


def test_zip_bomb_is_refused_by_its_ratio(packed, root):
    files = entries(packed)
    files[f"{RUN}/train.log"] = bytes(40 * MB)  # 40 MB of zeros deflate to about 40 KB
    refused(rezip(files), root, "zip bomb")


def test_unpacked_size_limit(packed, root):
    refused(packed, root, "unpacks to more than 1 MB", max_unpacked=1 * MB)


def test_upload_size_limit(packed, root):
    refused(packed, root, "at most 1 MB", max_zip=1 * MB)


def test_not_a_zip(root):
    refused(b"PK\3\4 this is not really a zip", root, "not a readable .zip")


def test_unknown_file_is_refused(packed, root):
    files = entries(packed)
    files[f"{RUN}/install.sh"] = b"#!/bin/sh\nrm -rf ~\n"
    refused(rezip(files), root, "install.sh", "not part of a run")


def test_no_config_is_refused(packed, root):
    files = {k: v for k, v in entries(packed).items() if not k.endswith("config.json")}
    refused(rezip(files), root, "no config.json")


def test_no_weights_is_refused(packed, root):
    files = {k: v for k, v in entries(packed).items() if not k.endswith("/model.safetensors")}
    refused(rezip(files), root, "no model.safetensors")


@pytest.mark.parametrize("config", [
    b"{not json",
    json.dumps({"model": {"latent_dim": "two"}, "train": {}}).encode(),
    json.dumps({"model": {"arch": "transformer"}, "train": {}}).encode(),
    json.dumps({"train": {}}).encode(),
], ids=["not-json", "latent-dim-a-word", "unknown-arch", "no-model"])
def test_bad_config_is_refused(packed, root, config):
    files = entries(packed)
    files[f"{RUN}/config.json"] = config
    refused(rezip(files), root, "config.json")


def test_weights_of_the_wrong_shape_are_refused(packed, root):
    files = entries(packed)
    config = json.loads(files[f"{RUN}/config.json"])
    config["model"]["latent_dim"] = 3  # the weights are for 2
    files[f"{RUN}/config.json"] = json.dumps(config).encode()
    refused(rezip(files), root, "does not match config.json", "is [256, 2] but the config "
                                                              "needs [256, 3]")


def test_a_snapshot_of_the_wrong_shape_is_refused(packed, root, tmp_path):
    files = entries(packed)
    snap = sorted(k for k in files if "/snapshots/" in k)[0]
    state = load_file(str(DEFAULT_ROOT / RUN / "model.safetensors"))
    state["to_mu.weight"] = torch.zeros(3, 256)
    save_file(state, str(tmp_path / "w.safetensors"))
    files[snap] = (tmp_path / "w.safetensors").read_bytes()
    refused(rezip(files), root, snap.split("/", 1)[1], "does not match")


def test_weights_that_are_a_pickle_are_refused(packed, root):
    files = entries(packed)
    files[f"{RUN}/model.safetensors"] = pickle.dumps({"to_mu.weight": [1.0]})
    refused(rezip(files), root, "model.safetensors")


def test_nan_weights_are_refused(packed, root, tmp_path):
    state = load_file(str(DEFAULT_ROOT / RUN / "model.safetensors"))
    state["to_mu.bias"][0] = float("nan")
    save_file(state, str(tmp_path / "w.safetensors"))
    files = entries(packed)
    files[f"{RUN}/model.safetensors"] = (tmp_path / "w.safetensors").read_bytes()
    refused(rezip(files), root, "NaN")


def test_the_upload_limits_agree_with_the_server():
    import tomllib
    from tests.conftest import PROJECT
    from vae.archive import MAX_IMAGE_ZIP_BYTES, MAX_ZIP_BYTES
    server = tomllib.loads((PROJECT / ".streamlit" / "config.toml").read_text())["server"]
    assert server["maxUploadSize"] * MB == MAX_ZIP_BYTES == MAX_IMAGE_ZIP_BYTES


def test_a_metrics_file_declared_too_big_is_refused_before_it_is_unpacked(packed, root, monkeypatch):
    """The hostile test sent a 4.3 MB zip holding 200 MB of metrics: unpacked, read and parsed, it
    held 2.8 GB of the server. An entry's declared size is now checked against its file's own
    limit before a byte is unpacked (the limit is lowered here to keep the test small)."""
    import random

    import vae.archive
    monkeypatch.setitem(vae.archive.ENTRY_LIMITS, "metrics.jsonl", 2 * MB)
    files = entries(packed)
    name = next(n for n in files if n.endswith("metrics.jsonl"))
    rng = random.Random(0)
    lines = [json.dumps({"kind": "step", "step": i, "train/recon": rng.random()})
             for i in range(60_000)]  # about 3 MB, compressing only a few times: not a bomb
    files[name] = "\n".join(lines).encode()
    extracted = []
    monkeypatch.setattr(vae.archive, "extract_checked", lambda *a, **k: extracted.append(a))
    refused(rezip(files), root, "metrics.jsonl", "at most 2 MB", "before anything is unpacked")
    assert extracted == [], "the archive was unpacked before the declared sizes were checked"
