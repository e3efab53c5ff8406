"""Issue 12, engine side: hostile and broken run folders, built in a temporary runs root, are
isolated and explained; a stranger's pid is never signalled; one trainer per run; a run killed in
its first epoch resumes; crash leftovers are cleaned; nothing is read or written through a link."""
import json
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from vae.launch import stop_training
from vae.model import VAEConfig
from vae.run import (DEFAULT_ROOT, RunDir, RunError, TrainConfig, list_runs,
                      validate_run_folder)
from vae.train import main, train
from tests.conftest import wait_for

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--dataset", "mnist-5k", "--latent-dim", "2", "--hidden", "32", "--device", "cpu",
         "--quiet", "--log-every", "10"]


@pytest.fixture
def root(tmp_path) -> Path:
    """A runs root with a copy of the shipped mnist5k-2d run."""
    src = DEFAULT_ROOT / "mnist5k-2d"
    if not (src / "model.safetensors").exists():
        pytest.skip("the shipped run checkpoints/mnist5k-2d is missing: `make shipped-runs`")
    shutil.copytree(src, tmp_path / "runs" / "mnist5k-2d")
    return tmp_path / "runs"


@pytest.fixture
def run(root) -> RunDir:
    return RunDir(root / "mnist5k-2d")


@pytest.fixture
def outside(tmp_path) -> Path:
    """A file outside the runs root that a hostile run points at."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("not yours\n")
    return secret


def cli(*args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vae.train", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def small_run(root: Path, name: str, epochs: int = 1, batch_size: int = 128) -> RunDir:
    return RunDir.create(root, name, VAEConfig(latent_dim=2, hidden=(32,)),
                         TrainConfig(dataset="mnist-5k", epochs=epochs, device="cpu", log_every=10,
                                     batch_size=batch_size))


def raises(fn, *words) -> str:
    with pytest.raises(RunError) as info:
        fn()
    for word in words:
        assert word in str(info.value), f"{word!r} missing from: {info.value}"
    return str(info.value)


def set_config(run: RunDir, section: str, **values):
    raw = json.loads(run.config_file.read_text())
    raw[section].update(values)
    run.config_file.write_text(json.dumps(raw))


# ----------------------------------------------------------- 1. never signal a stranger's pid

def test_stop_never_signals_the_pid_a_status_names(run):
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run.write_status(state="running", pid=stranger.pid, epoch=3, epochs=30)
        status = run.read_status()
        assert status["state"] == "interrupted" and status["stale_pid"] == stranger.pid
        assert stop_training(run) is None
        assert stranger.poll() is None, "Stop killed a process that is not the run's trainer"
        assert not run.stop_file.exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_pid_1_in_status_is_stale_and_can_be_marked_stopped(run):
    run.write_status(state="running", pid=1, epoch=3, epochs=30, step=100, total_steps=960)
    assert run.read_status()["state"] == "interrupted", "pid 1 showed as training forever"
    run.mark_stopped()
    status = run.read_status()
    assert status["state"] == "stopped" and status["epoch"] == 3 and "Marked stopped" in status["message"]


def test_a_lock_holder_that_is_not_the_trainer_is_not_signalled(run):
    """Even a process holding the run's lock is signalled only if its command is vae.train."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         f"fd = os.open({str(run.lock_file)!r}, os.O_RDWR | os.O_CREAT)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX)\nos.write(fd, str(os.getpid()).encode())\n"
         "print('locked', flush=True)\ntime.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert run.trainer_pid() == holder.pid and run.read_status()["state"] == "starting"
        assert stop_training(run) is None
        assert holder.poll() is None, "signalled a lock holder that is not vae.train"
    finally:
        holder.kill()
        holder.wait()
    assert run.trainer_pid() is None, "the kernel released the lock of a killed holder"


def test_a_pid_planted_in_the_lock_file_means_nothing_without_the_lock(run):
    run.lock_file.write_text(f"{os.getpid()}\n")
    assert not run.is_training() and run.trainer_pid() is None
    assert run.read_status()["state"] == "finished"


@pytest.mark.slow
def test_stop_reaches_the_real_trainer_mid_run(tmp_path):
    """The stop ends the trainer at its next step (cap: 10 s, for a machine at load 8; how fast
    it answers is bench_ui's "Start"/"Stop" rows, not a timed test)."""
    root = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "vae.train", *SMALL, "--epochs", "200",
                             "--batch-size", "16", "--root", str(root), "--name", "busy"], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)
    run = RunDir(root / "busy")
    try:
        wait_for(lambda: run.read_status().get("state") == "running", 60, "the trainer to run")
        assert run.trainer_pid() == proc.pid
        assert stop_training(run) == proc.pid
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    status = run.read_status()
    assert status["state"] == "stopped" and status["step"] < status["total_steps"]


# ------------------------------------------------------------------- 4. one trainer per run

@pytest.mark.slow
def test_a_second_resume_of_a_training_run_says_already_training(tmp_path):
    root = tmp_path / "runs"
    # long enough to outlast the second CLI's start (seconds to import torch on a quiet machine,
    # where 3 epochs had already finished); it is stopped below, not waited for
    first = subprocess.Popen([sys.executable, "-m", "vae.train", *SMALL, "--epochs", "500",
                              "--batch-size", "8", "--root", str(root), "--name", "twice"], cwd=ROOT,
                             stderr=subprocess.PIPE, text=True)
    run = RunDir(root / "twice")
    try:
        wait_for(lambda: run.read_status().get("state") == "running", 60, "the first trainer")
        second = cli("--resume", "twice", "--root", str(root), "--quiet")
        assert second.returncode == 2, second.stderr
        assert f"twice is already training (pid {first.pid})" in second.stderr, second.stderr
        assert "Traceback" not in second.stderr
        first.send_signal(signal.SIGTERM)
        assert first.wait(120) == 0, first.stderr.read()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    # one trainer wrote each epoch once, in order, for as many epochs as it ran before SIGTERM
    epochs = [r["epoch"] for r in run.read_metrics() if r["kind"] == "epoch"]
    assert epochs == list(range(1, len(epochs) + 1)), f"two trainers wrote {epochs}"
    lines = [json.loads(x) for x in run.metrics_file.read_text().splitlines()]
    assert [r["epoch"] for r in lines if r["kind"] == "epoch"] == epochs, "the raw file agrees"


def test_the_lock_in_process_and_the_message(run):
    with run.lock():
        raises(lambda: run.lock().__enter__(), "mnist5k-2d is already training", f"pid {os.getpid()}")
        code = main(["--resume", "mnist5k-2d", "--root", str(run.path.parent), "--quiet"])
        assert code == 2


# ------------------------------------------------------- 5. killed in the first epoch: resumes

def killed_in_first_epoch(root: Path) -> RunDir:
    """What kill -9 during epoch 1 leaves: config, a "running" status with a dead pid, step lines,
    no weights, no resume.pt."""
    run = small_run(root, "early", epochs=1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run.write_status(state="running", pid=dead.pid, epoch=1, epochs=1, step=20, total_steps=32)
    with run.metrics_file.open("w") as f:
        for step in (10, 20):
            f.write(json.dumps({"kind": "step", "step": step, "epoch": 1, "train/recon": 999.0,
                                "train/kl": 1.0, "train/neg_elbo": 1000.0}) + "\n")
        f.write('{"kind": "step", "st')  # torn by the kill
    return run


def test_a_run_killed_in_its_first_epoch_resumes_from_scratch(tmp_path, capsys):
    run = killed_in_first_epoch(tmp_path)
    assert run.read_status()["state"] == "interrupted"
    assert main(["--resume", "early", "--root", str(tmp_path), "--quiet"]) == 0, capsys.readouterr().err
    status = run.read_status()
    assert status["state"] == "finished" and status["step"] == 32
    rows, bad = run.read_metrics_checked()
    assert bad == 0, "the killed session's lines were not cut"
    assert [r["step"] for r in rows if r["kind"] == "step"] == [10, 20, 30]
    assert all(r["train/recon"] != 999.0 for r in rows), "a stale line of the killed session is left"
    run.load_model()


# ------------------------------------------------------ 7. bookkeeping after kill -9 mid-run

def test_resume_after_a_kill_cuts_the_lines_written_past_the_saved_epoch(tmp_path, capsys):
    run = small_run(tmp_path, "killed", epochs=2)
    train(run, quiet=True)
    good = run.read_metrics()
    # kill -9 during a third epoch, after its epoch line was logged but before resume.pt was saved
    set_config(run, "train", epochs=3)
    with run.metrics_file.open("a") as f:
        f.write(json.dumps({"kind": "step", "step": 70, "epoch": 3, "train/recon": 1.0,
                            "train/kl": 1.0, "train/neg_elbo": 2.0}) + "\n")
        f.write(json.dumps({"kind": "epoch", "step": 96, "epoch": 3, "test/recon": 0.5,
                            "test/kl": 0.5, "test/neg_elbo": 1.0}) + "\n")
    assert main(["--resume", "killed", "--root", str(tmp_path), "--quiet"]) == 0, capsys.readouterr().err
    raw = [json.loads(x) for x in run.metrics_file.read_text().splitlines()]
    assert [r["epoch"] for r in raw if r["kind"] == "epoch"] == [1, 2, 3], "duplicate epoch lines"
    assert raw[:len(good)] == good
    assert [r for r in raw if r["kind"] == "epoch"][-1]["test/neg_elbo"] != 1.0


def test_readers_take_the_last_row_per_epoch_of_an_old_duplicated_file(run):
    rows = run.read_metrics()
    epoch_rows = [r for r in rows if r["kind"] == "epoch"]
    n = run.read_config()[1].epochs
    assert [r["epoch"] for r in epoch_rows] == list(range(1, n + 1))
    # an old trainer resumed from epoch n-2 after a kill and logged its last two epochs twice
    again = [r for r in rows if r["step"] > epoch_rows[-3]["step"]]
    with run.metrics_file.open("a") as f:
        for r in again:
            f.write(json.dumps({**r, "test/neg_elbo": r.get("test/neg_elbo", 0) + 1}) + "\n")
    read = run.read_metrics()
    assert [r["epoch"] for r in read if r["kind"] == "epoch"] == list(range(1, n + 1))
    assert [r["step"] for r in read] == sorted(r["step"] for r in read)
    assert read[-1]["test/neg_elbo"] == epoch_rows[-1]["test/neg_elbo"] + 1, "not the last row"


def test_temp_files_of_killed_saves_are_swept_at_start(tmp_path, outside, capsys):
    run = small_run(tmp_path, "leftovers", epochs=1)
    train(run, quiet=True)
    junk = [run.path / ".model.safetensors.k3j4h5", run.path / ".status.json.x1y2",
            run.snapshot_dir / ".epoch_0001.safetensors.abc"]
    for path in junk:
        path.write_bytes(b"\0" * 1000)
    (run.path / ".resume.pt.tmp").symlink_to(outside)  # a save would have written through it
    set_config(run, "train", epochs=2)
    assert main(["--resume", "leftovers", "--root", str(tmp_path), "--quiet"]) == 0, capsys.readouterr().err
    left = [p.name for p in [*run.path.iterdir(), *run.snapshot_dir.iterdir()] if p.name.startswith(".")]
    assert left == [], f"temp files left: {left}"
    assert outside.read_text() == "not yours\n"


# ----------------------------------------------------------------- 6. config checked entirely

def test_a_seed_too_large_is_refused_before_a_folder_exists(tmp_path):
    done = cli(*SMALL, "--seed", "99999999999999999999", "--root", str(tmp_path), "--name", "s")
    assert done.returncode == 2 and "error: seed must be a whole number" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "s").exists()


@pytest.mark.parametrize("section,values,words", [
    ("model", {"latent_dim": 2.5}, "latent dim"),
    ("model", {"latent_dim": True}, "latent dim"),
    ("model", {"hidden": [256.5]}, "hidden sizes"),
    ("model", {"image_shape": [1, 100000, 100000]}, "image shape"),
    ("model", {"image_shape": [1, 1024, 1024], "hidden": [4096]}, "parameters"),
    ("model", {"image_shape": "28x28"}, "image shape"),
    ("model", {"beta": "1"}, "beta"),
    ("model", {"beta": 1e400}, "beta"),  # JSON's overflow reads as inf
    ("model", {"arch": ["mlp"]}, "architecture"),
    ("train", {"seed": "abc"}, "seed"),
    ("train", {"seed": 1e30}, "seed"),
    ("train", {"seed": -1}, "seed"),
    ("train", {"batch_size": 1.5}, "batch size"),
    ("train", {"epochs": True}, "epochs"),
    ("train", {"lr": None}, "learning rate"),
    ("train", {"dataset": {"x": 1}}, "dataset"),
    ("train", {"data_dir": 5}, "data_dir"),
])
def test_config_values_of_the_wrong_kind_or_range(run, section, values, words):
    set_config(run, section, **values)
    raises(run.read_config, "config.json is corrupt", words)
    raises(run.load_model, words)
    assert any(words in p for p in run.problems())


def test_huge_image_shape_is_refused_before_anything_is_allocated(run, monkeypatch):
    import vae.model
    built = []  # the run folder builds the model from vae.model when it loads one
    monkeypatch.setattr(vae.model, "VAE", lambda config: built.append(config))
    set_config(run, "model", image_shape=[1, 100000, 100000])
    raises(run.load_model, "image shape")
    assert built == [], "a model was built from a config that was never checked"


def test_config_nested_100000_deep(run):
    run.config_file.write_text('{"model": ' + "[" * 100_000 + "]" * 100_000 + ', "train": {}}')
    raises(run.read_config, "nested too deeply")
    assert validate_run_folder(run.path), "a deep config passed the folder check"


@pytest.mark.parametrize("make", ["wrong_shape", "nan", "inf", "int", "pickle", "huge_header"])
def test_weights_that_do_not_fit_the_config_or_are_not_finite(run, make):
    state = load_file(str(run.weights_file))
    if make == "wrong_shape":  # weights of another image size: 8x8 digits
        state["encoder.1.weight"] = torch.zeros(256, 64)
        state["decoder.2.weight"] = torch.zeros(64, 256)
        state["decoder.2.bias"] = torch.zeros(64)
        words = "does not match config.json"
    elif make in ("nan", "inf"):
        state["to_mu.weight"][0, 0] = math.nan if make == "nan" else math.inf
        words = "NaN or infinite"
    elif make == "int":
        state["to_mu.bias"] = torch.zeros(2, dtype=torch.int32)
        words = "not floats"
    if make == "pickle":
        import pickle
        run.weights_file.write_bytes(pickle.dumps(state))
        words = "corrupt"
    elif make == "huge_header":
        run.weights_file.write_bytes(struct.pack("<Q", 2**60) + b"{}")
        words = "corrupt"
    else:
        save_file(state, str(run.weights_file))
    raises(run.load_model, str(run.weights_file), words)
    assert any(words in p for p in validate_run_folder(run.path))


def test_oddly_named_and_corrupt_snapshots(run):
    _, train_cfg = run.read_config()
    every, n = train_cfg.snapshot_every, train_cfg.epochs
    shipped = list(range(every, n + 1, every))
    assert run.snapshot_epochs() == shipped and len(shipped) >= 3
    bad, good = shipped[1], shipped[2]
    bad_name = run.snapshot_file(bad).name
    (run.snapshot_dir / "epoch_abc.safetensors").write_bytes(b"junk")
    (run.snapshot_dir / "epoch_.safetensors").write_bytes(b"junk")
    (run.snapshot_dir / "epoch_0000.safetensors").write_bytes(b"junk")
    run.snapshot_file(bad).write_bytes(b"\x08" + b"\0" * 7 + b"not json")
    assert run.snapshot_epochs() == shipped
    raises(lambda: run.load_model(epoch=bad), bad_name, "corrupt")
    raises(lambda: run.load_model(epoch="abc"), "no epoch 'abc'")
    run.load_model(epoch=good)
    assert [p for p in validate_run_folder(run.path) if bad_name in p]


# ----------------------------------------------------- 2. readers never raise into a page

@pytest.mark.parametrize("content,words", [
    (b"[1, 2]", "JSON list"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b'{"state": "running", "epoch": "three"}', "epoch"),
    (b'{"state": "exploded"}', "state"),
    (b'{"state": "finished", "message": ["x"]}', "message"),
    (b'{"state": "finished", "eta_s": NaN}', "eta_s"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b"", "not JSON"),
])
def test_damaged_status_reads_as_damaged_with_the_reason(run, content, words):
    run.status_file.write_bytes(content)
    status = run.read_status()
    assert status["state"] == "damaged" and words in status["problem"], status
    assert any(words in p for p in run.problems())
    run.mark_stopped()  # the way out the dashboard offers
    assert run.read_status()["state"] == "stopped"


TEST_PARTS = b'"test/recon": 160.0, "test/kl": 5.0}'


@pytest.mark.parametrize("line", [
    b"[1,2,3]", b"\xff", b'{"kind": "epoch", "step": 961, "epoch": "three"}',
    b'{"kind": "epoch", "step": 961, "test/neg_elbo": 100.0}',  # an epoch row without epoch
    b'{"kind": "epoch", "step": 961, "epoch": 31, "test/neg_elbo": NaN, ' + TEST_PARTS,
    b'{"kind": "epoch", "step": 961, "epoch": 31, "test/neg_elbo": "low", ' + TEST_PARTS,
    b'{"kind": "epoch", "step": 961, "epoch": 31, "test/kl_per_dim": [{"a": 1}], '
    b'"test/neg_elbo": 165.0, ' + TEST_PARTS,
    b'{"kind": "epoch", "step": 961, "epoch": 31, "test/kl": 5.0}',  # test/recon missing
    b'{"kind": "step", "step": -5, "epoch": 1}', b'{"kind": "step", "step": 1.5, "epoch": 1}',
    b'{"kind": "pwn", "step": 5, "epoch": 1}', b'"just a string"', b"null",
    b'{"kind": "step", "step": 5, "epoch": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"kind": "step", "step": 5, "epoch": 1, "x": "' + b"a" * 70_000 + b'"}',
])
def test_bad_metric_lines_are_skipped_and_counted(run, line):
    rows = run.read_metrics()
    with run.metrics_file.open("ab") as f:
        f.write(line + b"\n")
    again, bad = run.read_metrics_checked()
    assert again == rows and bad == 1
    assert any("1 line skipped" in p for p in run.problems())


def test_a_fifo_as_metrics_does_not_hang_the_reader(run):
    run.metrics_file.unlink()
    os.mkfifo(run.metrics_file)
    assert run.read_metrics_checked() == ([], 1)
    assert run.read_status()["state"] == "finished"


def test_list_runs_lists_every_run_and_one_damaged_run_does_not_hide_the_others(root, run):
    shutil.copytree(run.path, root / "status-list")
    (root / "status-list" / "status.json").write_text("[1, 2]")
    shutil.copytree(run.path, root / "deep")
    (root / "deep" / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    (root / "bad name!").mkdir()
    names = [r.name for r in list_runs(root)]
    assert names == ["deep", "mnist5k-2d", "status-list"]
    assert RunDir(root / "mnist5k-2d").problems() == []
    assert RunDir(root / "deep").problems() and RunDir(root / "status-list").problems()


# ------------------------------------------------------------------------------ 3. links

def test_weights_linking_outside_are_neither_loaded_nor_downloaded(run, outside):
    real = run.path.parent.parent / "outside" / "model.safetensors"
    shutil.move(run.weights_file, real)
    run.weights_file.symlink_to(real)
    raises(run.load_model, "symbolic link")
    raises(lambda: run.download_bytes(run.weights_file), "symbolic link")
    raises(lambda: run.check_download(run.weights_file), "symbolic link")  # the button's check
    run.config_file.rename(run.path / "config.real")
    run.config_file.symlink_to(outside)
    raises(lambda: run.download_bytes(run.config_file), "symbolic link")
    raises(run.read_config, "symbolic link")


def test_metrics_linking_outside_get_nothing_appended_on_resume(tmp_path, outside, capsys):
    run = small_run(tmp_path / "runs", "linked", epochs=1)
    train(run, quiet=True)
    set_config(run, "train", epochs=2)
    run.metrics_file.unlink()
    run.metrics_file.symlink_to(outside)
    code = main(["--resume", "linked", "--root", str(tmp_path / "runs"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "symbolic link" in err and "Traceback" not in err, err
    assert outside.read_text() == "not yours\n", "lines were appended outside the runs root"


def test_a_run_folder_that_is_a_link_is_refused_and_not_deleted(root, run):
    (root / "alias").symlink_to(run.path, target_is_directory=True)
    alias = RunDir(root / "alias")
    assert "alias" in [r.name for r in list_runs(root)]
    raises(alias.read_config, "symbolic link")
    raises(alias.delete, "symbolic link", "deletes only real folders")
    assert (root / "alias").is_symlink() and run.load_model()
    assert alias.read_status()["state"] == "damaged"
    assert validate_run_folder(root / "alias")


def test_stop_file_and_snapshots_linking_outside(run, outside, tmp_path):
    run.stop_file.symlink_to(outside)
    with run.lock():  # a trainer holds it, so the dashboard would write STOP
        raises(run.request_stop, "symbolic link")
    assert outside.read_text() == "not yours\n", "STOP truncated a file outside the runs root"
    shutil.move(run.snapshot_dir, tmp_path / "snaps")
    run.snapshot_dir.symlink_to(tmp_path / "snaps", target_is_directory=True)
    assert run.snapshot_epochs() == []
    raises(lambda: run.load_model(epoch=3), "symbolic link")
    raises(lambda: run.save_snapshot(run.load_model(), 31), "symbolic link")
    assert not (tmp_path / "snaps" / "epoch_0031.safetensors").exists()


def test_status_linking_outside_is_damaged_and_never_written_through(run, outside):
    run.status_file.unlink()
    run.status_file.symlink_to(outside)
    assert run.read_status()["state"] == "damaged"
    raises(lambda: run.write_status(state="stopped"), "symbolic link")
    assert outside.read_text() == "not yours\n"


def test_validate_run_folder_passes_a_good_run_and_names_each_problem(run, outside):
    assert validate_run_folder(run.path) == []
    (run.path / "notes").symlink_to(outside)
    os.mkfifo(run.path / "pipe")
    problems = validate_run_folder(run.path)
    assert any("notes is a symbolic link" in p for p in problems), problems
    assert any("pipe is not a regular file" in p for p in problems), problems


@pytest.mark.slow
def test_kill_9_mid_run_loses_nothing_and_resumes_to_the_end(tmp_path):
    """A real trainer killed with SIGKILL in its second epoch or later: the lock goes with it, the run
    reads interrupted, and a resume finishes with each epoch logged once and loadable weights."""
    root = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "vae.train", *SMALL, "--epochs", "8",
                             "--batch-size", "16", "--root", str(root), "--name", "k9"], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)
    run = RunDir(root / "k9")

    def past_epoch_1() -> bool:
        # any epoch from the second on, not exactly the second: on a loaded machine the poller can
        # sleep through a whole epoch's status window (an exact match once waited for a trainer
        # that had already finished)
        assert proc.poll() is None, f"the trainer ended before the kill: {proc.stderr.read()}"
        status = run.read_status()
        return status.get("state") == "running" and status.get("epoch", 0) >= 2 \
            and run.weights_file.exists()
    try:
        wait_for(past_epoch_1, 120, "the trainer to run its second epoch")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert run.trainer_pid() is None and run.read_status()["state"] == "interrupted"
    run.load_model()  # the weights of epoch 1 survived the kill
    done = cli("--resume", "k9", "--root", str(root), "--quiet", timeout=300)
    assert done.returncode == 0, done.stderr
    rows, bad = run.read_metrics_checked()
    assert bad == 0 and [r["epoch"] for r in rows if r["kind"] == "epoch"] == list(range(1, 9))
    raw = [json.loads(x) for x in run.metrics_file.read_text().splitlines()]
    assert [r["epoch"] for r in raw if r["kind"] == "epoch"] == list(range(1, 9)), \
        "the file kept duplicates"
    steps = [r["step"] for r in raw if r["kind"] == "step"]
    assert steps == sorted(set(steps)), "step lines repeated after the resume"
    assert run.read_status()["state"] == "finished"
    assert not [p for p in run.path.iterdir() if p.name.startswith(".")], "temp files left"
    run.load_model()
