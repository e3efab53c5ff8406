"""Run directories: broken files give RunError with a clear message, nothing is unpickled, writes are
atomic, a torn metrics line is skipped, a dead trainer reads as interrupted, names are checked."""
import json
import os
import pickle
import shutil
import subprocess
import sys
import time

import pytest
import torch

import vae.run.checkpoints
from tests.conftest import SHIPPED
from vae.data import load_dataset
from vae.losses import evaluate
from vae.model import ConfigError, VAEConfig
from vae.run import (DEFAULT_ROOT, RunDir, RunError, TrainConfig, list_runs, validate_name,
                      write_json_atomic)


@pytest.fixture
def run(tmp_path) -> RunDir:
    """A writable copy of the shipped mnist5k-2d run."""
    src = DEFAULT_ROOT / "mnist5k-2d"
    if not (src / "model.safetensors").exists():
        pytest.skip("the shipped run checkpoints/mnist5k-2d is missing: `make shipped-runs`")
    shutil.copytree(src, tmp_path / "mnist5k-2d")
    return RunDir(tmp_path / "mnist5k-2d")


class Payload:
    """Unpickling this creates a file: proof that something unpickled it."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def pickle_bomb(tmp_path, marker_name="UNPICKLED") -> tuple[bytes, object]:
    marker = tmp_path / marker_name
    data = pickle.dumps({"to_mu.weight": Payload(marker)})
    return data, marker


def raises_run_error(fn, *words) -> str:
    with pytest.raises(RunError) as info:
        fn()
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"
    return message


# ------------------------------------------------------------------------------------- config

def test_shipped_runs_load(run):
    model = run.load_model()
    assert model.config.latent_dim == 2 and not model.training
    assert run.read_status()["state"] == "finished"
    _, train_cfg = run.read_config()
    every, n = train_cfg.snapshot_every, train_cfg.epochs
    assert run.snapshot_epochs() == list(range(every, n + 1, every)) and n % every == 0, \
        "one snapshot per snapshot_every epochs, the last of them the trained model"


def test_reported_test_metrics_are_what_the_weights_give(run):
    """The last epoch line of metrics.jsonl is reproduced exactly from model.safetensors."""
    _, train_cfg = run.read_config()
    last = [r for r in run.read_metrics() if r.get("kind") == "epoch"][-1]
    test_x = torch.from_numpy(load_dataset(train_cfg.dataset).test_x.copy())
    again = evaluate(run.load_model(), test_x, generator=torch.Generator().manual_seed(train_cfg.seed))
    assert again["neg_elbo"] == last["test/neg_elbo"] and again["kl"] == last["test/kl"]


@pytest.mark.parametrize("text,why", [
    ("{not json", "not JSON"),
    ("\xff\xfe binary".encode("latin-1"), "not UTF-8"),
    ('{"train": {}}', "no model section"),
    ('[1, 2]', "a list"),
    ('{"model": {"hidden": ["abc"]}, "train": {}}', "a width that is not a number"),
    ('{"model": {"latent_dim": 0}, "train": {}}', "an invalid latent dim"),
    ('{"model": {"colour": 1}, "train": {}}', "an unknown setting"),
    ('{"model": {}, "train": {"epochs": "ten"}}', "a string for epochs"),
])
def test_corrupt_config_json(run, text, why):
    if isinstance(text, bytes):
        run.config_file.write_bytes(text)
    else:
        run.config_file.write_text(text)
    raises_run_error(run.read_config, str(run.config_file), "corrupt")
    raises_run_error(run.load_model, "config.json")


def test_folder_without_config_is_not_a_run(tmp_path):
    raises_run_error(RunDir(tmp_path).read_config, "is not a run", "config.json")


# ------------------------------------------------------------------------------------- weights

def test_truncated_safetensors(run):
    raw = run.weights_file.read_bytes()
    run.weights_file.write_bytes(raw[: len(raw) // 2])
    raises_run_error(run.load_model, str(run.weights_file), "corrupt")


def test_empty_safetensors(run):
    run.weights_file.write_bytes(b"")
    raises_run_error(run.load_model, str(run.weights_file), "corrupt")


def test_missing_weights_and_missing_snapshot(run):
    run.weights_file.unlink()
    raises_run_error(run.load_model, "no weights yet")
    raises_run_error(lambda: run.load_model(epoch=99), "epoch_0099", "no snapshot of epoch 99")


def test_safetensors_loading_never_unpickles(run, tmp_path):
    data, marker = pickle_bomb(tmp_path)
    pickle.loads(data)  # the control: this payload does create the marker when unpickled
    assert marker.exists()
    marker.unlink()
    run.weights_file.write_bytes(data)
    torch.save({"to_mu.weight": torch.zeros(2, 256)}, run.snapshot_dir / "epoch_0003.safetensors")
    raises_run_error(run.load_model, "corrupt")
    raises_run_error(lambda: run.load_model(epoch=3), "epoch_0003", "corrupt")
    assert not marker.exists(), "loading a run unpickled its weights file"


@pytest.mark.parametrize("change", [
    {"hidden": [128]}, {"latent_dim": 3}, {"likelihood": "gaussian"},
    {"arch": "conv", "hidden": [32, 64]},
])
def test_weights_for_another_architecture(run, change):
    raw = json.loads(run.config_file.read_text())
    raw["model"].update(change)
    run.config_file.write_text(json.dumps(raw))
    raises_run_error(run.load_model, "does not match config.json", "another architecture")


def test_snapshots_are_float16_and_load_as_float32(run):
    last = run.load_model()
    snap = run.load_model(epoch=run.read_config()[1].epochs)  # the same model, kept as float16
    for (name, a), b in zip(last.state_dict().items(), snap.state_dict().values()):
        assert b.dtype == torch.float32
        torch.testing.assert_close(a, b, atol=2e-2, rtol=2e-3, msg=f"{name} differs")
    # the bound written as a number (the run folder is read without PyTorch) is float16's own
    assert vae.run.checkpoints.FLOAT16_MAX == float(torch.finfo(torch.float16).max)


# ------------------------------------------------------------------------------ atomic writes

def test_write_json_atomic_leaves_the_old_file_when_writing_fails(run):
    before = run.status_file.read_text()
    with pytest.raises(TypeError):
        write_json_atomic(run.status_file, {"state": object()})  # not JSON-serializable
    assert run.status_file.read_text() == before
    assert sorted(p.name for p in run.path.iterdir() if p.name.startswith(".")) == []


def test_save_weights_is_atomic(run, monkeypatch):
    model = run.load_model()
    before = run.weights_file.read_bytes()

    def half_then_crash(state, path):
        with open(path, "wb") as f:
            f.write(b"half a file")
        raise OSError("disk full")

    import safetensors.torch  # what the run folder writes weights with, looked up at each save
    monkeypatch.setattr(safetensors.torch, "save_file", half_then_crash)
    with pytest.raises(RunError, match="cannot be written: disk full"):  # words, not a traceback
        run.save_weights(model)
    assert run.weights_file.read_bytes() == before, "a failed save replaced the weights"
    assert not [p for p in run.path.iterdir() if p.name.startswith(".")], "temp file left behind"
    run.load_model()


def test_written_files_are_readable_by_others(tmp_path):
    created = RunDir.create(tmp_path, "perm", VAEConfig(latent_dim=2), TrainConfig())
    assert created.config_file.stat().st_mode & 0o777 == 0o644


# ---------------------------------------------------------------------------- metrics, status

def test_half_written_last_metrics_line_is_skipped(run):
    rows = run.read_metrics()
    _, train_cfg = run.read_config()
    total_steps = run.read_status()["total_steps"]
    with run.metrics_file.open("a") as f:
        f.write(f'{{"kind": "step", "step": {total_steps + 1}, "train/rec')
    assert run.read_metrics() == rows
    # one row per epoch and one per log_every steps: nothing lost before the torn line
    assert len(rows) == train_cfg.epochs + total_steps // train_cfg.log_every


def test_metrics_are_parsed_once_per_content_and_follow_every_change(run, monkeypatch):
    """The sidebar and runs table reread every run's metrics on each rerun: a file's content is
    parsed once, and any change (an appended line, an edit of the same size) is seen."""
    first = run.read_metrics()
    parsed = []
    real = RunDir._parse_metrics
    monkeypatch.setattr(RunDir, "_parse_metrics",
                        staticmethod(lambda data, d=None: parsed.append(1) or real(data, d)))
    first[0]["train/recon"] = -1.0  # a caller changing its rows changes nothing read later
    again = run.read_metrics()
    assert parsed == [] and again[0]["train/recon"] != -1.0 and len(again) == len(first)
    text = run.metrics_file.read_text()
    last = json.loads(text.splitlines()[-1])
    run.metrics_file.write_text(text + json.dumps({**last, "step": last["step"] + 1}) + "\n")
    assert len(run.read_metrics()) == len(first) + 1 and parsed == [1]
    edited = text.replace('"kind": "epoch"', '"kind": "EPOCH"', 1)  # same size, one row fewer
    assert len(edited) == len(text)
    run.metrics_file.write_text(edited)
    rows, bad = run.read_metrics_checked()
    assert (len(rows), bad) == (len(first) - 1, 1) and parsed == [1, 1]


def test_no_metrics_yet(tmp_path):
    assert RunDir(tmp_path).read_metrics() == []
    assert RunDir(tmp_path).read_status() == {"state": "new"}


def test_running_is_decided_by_the_lock_not_by_a_pid_in_status(run):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    run.write_status(state="running", pid=child.pid, epoch=3)
    assert run.read_status()["state"] == "interrupted"
    run.write_status(state="running", pid=os.getpid(), epoch=3)  # a live pid, but no lock held
    status = run.read_status()
    assert status["state"] == "interrupted" and status["stale_pid"] == os.getpid()
    assert run.trainer_pid() is None
    with run.lock():
        assert run.read_status()["state"] == "running"
        assert run.read_status()["pid"] == run.trainer_pid() == os.getpid()
        run.write_status(state="stopped", message="Stopped after epoch 3.")
        status = run.read_status()
        assert status["state"] == "ending", "the holder wrote how the run ended: it is exiting"
        assert status["ended"] == "stopped" and status["message"] == "Stopped after epoch 3."
    assert run.read_status()["state"] == "stopped" and run.trainer_pid() is None
    assert run.lock_file.read_text() == "", "a released lock leaves no pid behind"
    run.write_status(state="running")  # no pid at all: nobody is training it
    assert run.read_status()["state"] == "interrupted"


@pytest.mark.parametrize("ended", ["stopped", "finished", "failed"])
def test_a_run_resumed_reads_starting_until_its_new_trainer_runs(run, ended):
    """The status a previous trainer wrote before it exited is not the new holder's: while the
    resumed run loads it is starting, not ending."""
    write_json_atomic(run.status_file, {"state": ended, "epoch": 3, "updated": time.time() - 5})
    with run.lock():
        assert run.read_status()["state"] == "starting"
        run.write_status(state="running", epoch=4)
        assert run.read_status()["state"] == "running"
        run.write_status(state=ended, epoch=4)
        assert run.read_status() | {"updated": 0} == {
            "state": "ending", "ended": ended, "epoch": 4, "updated": 0,
            "pid": os.getpid()}
    assert run.read_status()["state"] == ended


def test_zombie_child_reads_interrupted(run):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
        run.write_status(state="running", pid=child.pid)
        assert run.read_status()["state"] == "interrupted"
    finally:
        child.wait()


def test_corrupt_status_reads_as_damaged_with_the_reason(run):
    run.status_file.write_text('{"state": "runn')
    status = run.read_status()
    assert status["state"] == "damaged" and "status.json is corrupt" in status["problem"], status
    assert "status.json" in " ".join(run.problems())


def test_delete_refuses_a_running_run(run):
    with run.lock():
        raises_run_error(run.delete, "still training", f"pid {os.getpid()}")
    run.write_status(state="running", pid=os.getpid())  # a stale status does not block deleting
    run.delete()
    assert not run.path.exists()


# ------------------------------------------------------------------------------------- names

@pytest.mark.parametrize("name", ["", ".", "..", "../evil", "a/b", ".hidden", "-flag", "a b",
                                  "x" * 65, "naïve", "run\n"])
def test_bad_run_names(name, tmp_path):
    raises_run_error(lambda: validate_name(name), "not allowed")
    raises_run_error(lambda: RunDir.create(tmp_path, name, VAEConfig(), TrainConfig()), "not allowed")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["a", "mnist5k-2d", "Run_1.b", "x" * 64])
def test_good_run_names(name):
    assert validate_name(name) == name


def test_create_refuses_an_existing_name(tmp_path):
    RunDir.create(tmp_path, "twice", VAEConfig(latent_dim=2), TrainConfig())
    raises_run_error(lambda: RunDir.create(tmp_path, "twice", VAEConfig(), TrainConfig()),
                     "already exists")


def test_list_runs_finds_folders_with_a_config(tmp_path):
    for name in SHIPPED[:2]:
        shutil.copytree(DEFAULT_ROOT / name, tmp_path / name)
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "stray.txt").write_text("x")
    assert [r.name for r in list_runs(tmp_path)] == sorted(SHIPPED[:2])
    assert list_runs(tmp_path / "missing") == []


def test_train_config_checks():
    with pytest.raises(ConfigError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ConfigError, match="learning rate"):
        TrainConfig(lr=float("nan"))
    assert TrainConfig.from_dict({"epochs": 3, "added_later": 1}).epochs == 3
