"""Engine side of the second hostile-input and crash test: hostile run folders built in a
temporary runs root (folders where files belong, metrics that parse but are not numbers, huge
weights), data paths that could hang a reader, a Stop during start-up, resume states out of range,
the lock held for a delete, float16 overflow in snapshots, and bounded caches."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from vae.model import VAEConfig
from vae.run import DEFAULT_ROOT, RunDir, RunError, TrainConfig, list_runs, validate_run_folder
from tests.conftest import wait_for
from tests.test_hostile_runs import raises

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root(tmp_path) -> Path:
    """A runs root with two copies of the shipped mnist5k-2d run: one to break, one to stay good."""
    src = DEFAULT_ROOT / "mnist5k-2d"
    if not (src / "model.safetensors").exists():
        pytest.skip("the shipped run checkpoints/mnist5k-2d is missing: `make shipped-runs`")
    for name in ("mnist5k-2d", "good"):
        shutil.copytree(src, tmp_path / "runs" / name)
    return tmp_path / "runs"


@pytest.fixture
def run(root) -> RunDir:
    return RunDir(root / "mnist5k-2d")


def replace_by_folder(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    path.mkdir()
    (path / "inside").write_text("a folder where a file should be\n")


def the_good_run_is_untouched(root: Path) -> None:
    good = RunDir(root / "good")
    assert good.problems() == []
    assert good.read_status()["state"] == "finished"
    assert len(good.read_metrics()) > 0
    good.load_model()


# ------------------------------------------------ 1. a folder where a run file should be

@pytest.mark.parametrize("name", ["status.json", "config.json", "metrics.jsonl"])
def test_a_folder_as_a_small_run_file_marks_that_run_damaged_only(root, run, name):
    replace_by_folder(run.path / name)
    runs = {r.name: r for r in list_runs(root)}
    assert set(runs) == {"mnist5k-2d", "good"}, "a damaged run hid itself or another"
    problems = " ".join(run.problems())
    assert f"{name} is a folder, not a regular file" in problems, problems
    assert validate_run_folder(run.path), "validate_run_folder passed a damaged run"
    status = run.read_status()  # never IsADirectoryError
    if name == "status.json":
        assert status["state"] == "damaged" and "is a folder" in status["problem"]
    rows, bad = run.read_metrics_checked()
    if name == "metrics.jsonl":
        assert rows == [] and bad == 1
    if name == "config.json":
        raises(run.read_config, "config.json", "is a folder")
        raises(run.load_model, "is a folder")
    the_good_run_is_untouched(root)
    run.delete()  # the way out stays open
    assert not run.path.exists()


def test_a_folder_as_weights_snapshot_or_resume_state(root, run):
    replace_by_folder(run.weights_file)
    first = run.snapshot_epochs()[0]
    replace_by_folder(run.snapshot_file(first))
    replace_by_folder(run.resume_file)
    replace_by_folder(run.lock_file)
    problems = " ".join(run.problems())
    for name in ("model.safetensors", f"epoch_{first:04d}.safetensors", "resume.pt", "train.lock"):
        assert f"{name} is a folder, not a regular file" in problems, (name, problems)
    raises(run.load_model, "model.safetensors is a folder")
    raises(lambda: run.load_model(epoch=first), f"epoch_{first:04d}.safetensors is a folder")
    raises(lambda: run.read_bytes(run.resume_file, 1 << 20), "resume.pt is a folder")
    raises(lambda: run.download_bytes(run.weights_file), "is a folder")
    raises(lambda: run.check_download(run.weights_file), "is a folder")
    assert not run.is_training()
    assert any("model.safetensors" in p for p in validate_run_folder(run.path))
    the_good_run_is_untouched(root)
    run.delete()
    assert not run.path.exists()


def test_snapshots_as_a_file_and_status_unwritable(root, run):
    shutil.rmtree(run.snapshot_dir)
    run.snapshot_dir.write_text("not a folder\n")
    assert run.snapshot_epochs() == []
    raises(lambda: run.load_model(epoch=1), "epoch_0001.safetensors")
    assert any("snapshots is a regular file, not a folder" in p for p in run.problems())
    replace_by_folder(run.status_file)
    raises(run.mark_stopped, "status.json cannot be written", "a folder is in its place")
    the_good_run_is_untouched(root)


def test_resume_with_a_folder_as_resume_state_says_so(root, run, capsys):
    from vae.train import main
    replace_by_folder(run.resume_file)
    run.write_status(state="stopped", epoch=1, epochs=30, message="")
    assert main(["--root", str(root), "--resume", run.name, "--quiet", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "resume.pt is a folder, not a regular file" in err, err


# ------------------------------------------ 2. metrics that parse but are not numbers, huge weights

def epoch_row(run: RunDir, **change) -> dict:
    row = next(r for r in run.read_metrics() if r["kind"] == "epoch")
    row.update(change)
    return row


@pytest.mark.parametrize("change", [
    {"test/kl": None}, {"test/recon": None}, {"train/neg_elbo": None},
    {"test/active_units": 1e308}, {"test/active_units": 3}, {"test/active_units": -1},
    {"test/active_units": 1.0}, {"epoch": 10**30}, {"step": 10**30}, {"step": 2**31 * 10**3},
    {"test/kl_per_dim": [0.5]}, {"test/kl_per_dim": [0.5, None]}, {"test/kl_per_dim": [0.5, 1e300]},
    {"test/kl_per_dim": "0.5,0.5"}, {"test/kl": -5.0}, {"test/neg_elbo": 1e300},
    {"samples_per_s": -1.0}, {"time": True}, {"test/images": 0}, {"someone/else": None},
    {"someone/else": "text"},
], ids=lambda c: json.dumps(c)[:40])
def test_metric_lines_out_of_schema_are_skipped_and_counted(root, run, change):
    rows = run.read_metrics()
    with run.metrics_file.open("a") as f:
        f.write(json.dumps(epoch_row(run, **change)) + "\n")
    after, bad = run.read_metrics_checked()
    assert bad == 1 and after == rows, f"{change} was accepted"
    assert any("1 line skipped" in p for p in run.problems())
    the_good_run_is_untouched(root)


def test_a_good_epoch_line_of_a_2d_run_is_still_accepted(run):
    rows = run.read_metrics()
    last = rows[-1]
    nxt = epoch_row(run, step=last["step"] + 1, epoch=last["epoch"] + 1, **{"test/kl": 0.0})
    with run.metrics_file.open("a") as f:
        f.write(json.dumps(nxt) + "\n")
    after, bad = run.read_metrics_checked()
    assert bad == 0 and after[-1] == nxt and len(after) == len(rows) + 1


def test_kl_per_dim_is_checked_against_the_configured_latent_size(root, tmp_path):
    """The same file is good for a 2-D run and bad for a 16-D one: the cache keys on both."""
    big = tmp_path / "runs" / "big"
    shutil.copytree(root / "good", big)
    raw = json.loads((big / "config.json").read_text())
    raw["model"]["latent_dim"] = 16
    (big / "config.json").write_text(json.dumps(raw))
    epochs = [r for r in RunDir(root / "good").read_metrics() if r["kind"] == "epoch"]
    assert epochs, "the good run has epoch rows"
    rows, bad = RunDir(big).read_metrics_checked()
    assert bad == len(epochs) and not [r for r in rows if r["kind"] == "epoch"]
    assert RunDir(root / "good").read_metrics_checked()[1] == 0


@pytest.mark.parametrize("value", [3e38, -2e6, 1e7])
def test_finite_but_huge_weights_are_damage_with_words(root, run, value):
    state = load_file(run.weights_file)
    key = next(iter(state))
    state[key] = state[key].clone()
    state[key].view(-1)[0] = value
    save_file(state, run.weights_file)
    message = raises(run.load_model, "beyond ±1e+06", key)
    assert any("beyond" in p for p in validate_run_folder(run.path)), message
    the_good_run_is_untouched(root)


def test_the_trainer_fails_a_run_whose_weights_grow_past_the_bound():
    from vae.train.loop import _weights_problem
    from vae.model import VAE
    model = VAE(VAEConfig(latent_dim=2, hidden=(8,)))
    assert _weights_problem(model) is None
    with torch.no_grad():
        next(model.parameters()).view(-1)[0] = 2e6
    assert _weights_problem(model) == "larger than ±1e+06"


def test_the_metrics_cache_is_bounded_by_bytes_and_keyed_by_content(tmp_path, monkeypatch):
    from vae.run import metrics
    monkeypatch.setattr(metrics, "_PARSED_METRICS", type(metrics._PARSED_METRICS)())
    monkeypatch.setattr(metrics, "MAX_PARSED_METRICS_BYTES", 3000)
    line = json.dumps({"kind": "step", "step": 1, "epoch": 1, "train/recon": 1.0, "train/kl": 1.0,
                       "train/neg_elbo": 2.0}) + "\n"
    runs = []
    for i in range(12):
        run = tmp_path / f"r{i}"
        run.mkdir()
        (run / "metrics.jsonl").write_text(line * (5 + i))  # a different content each
        runs.append(RunDir(run))
        assert run and runs[-1].read_metrics_checked() == ([json.loads(line)] , 0)
        entries, held = metrics.parsed_metrics_cache()
        assert held <= 3000, f"the cache holds {held} bytes of files, past its bound"
    assert entries < 12, "every file's rows were kept"
    twin = tmp_path / "twin"
    twin.mkdir()
    shutil.copy(runs[-1].metrics_file, twin / "metrics.jsonl")
    before = metrics.parsed_metrics_cache()
    RunDir(twin).read_metrics_checked()
    assert metrics.parsed_metrics_cache() == before, "the same content was cached twice"
    (runs[-1].metrics_file).write_text(line * 2 + "{not json}\n")
    assert runs[-1].read_metrics_checked()[1] == 1, "a changed file was served stale"


# ------------------------------------------------------------- 4. data paths that could hang

def finishes(fn, timeout: float = 30):
    """fn() run in a thread: what it returned or raised, or a failure if it blocks (a FIFO)."""
    import threading
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{fn} blocked for {timeout} s"
    return box


def refused(fn, *words) -> str:
    from vae.data import DatasetError
    box = finishes(fn)
    assert isinstance(box.get("error"), DatasetError), box
    for word in words:
        assert word in str(box["error"]), f"{word!r} missing from: {box['error']}"
    return str(box["error"])


def fresh(name, data_dir, **options):
    from vae.data.load import _load_cached, load_dataset
    _load_cached.cache_clear()
    return lambda: load_dataset(name, str(data_dir), **options)


def test_fifos_where_data_files_belong_are_refused_at_once(tmp_path):
    npz = tmp_path / "pipe.npz"
    os.mkfifo(npz)
    refused(fresh("npz", npz), "not a file")
    mnist = tmp_path / "mnist"
    mnist.mkdir()
    os.mkfifo(mnist / "mnist.npz")
    refused(fresh("mnist", mnist), "not a regular file")
    idx = tmp_path / "idx"
    idx.mkdir()
    os.mkfifo(idx / "train-images-idx3-ubyte.gz")
    refused(fresh("mnist", idx), "FIFO")
    refused(fresh("fashion-mnist", idx), "FIFO")
    csv = tmp_path / "csv"
    csv.mkdir()
    os.mkfifo(csv / "mnist_5k.csv.gz")
    refused(fresh("mnist-5k", csv), "FIFO")


def test_a_fifo_among_the_images_of_a_folder_is_named_not_waited_for(tmp_path):
    from PIL import Image
    for cls in ("a", "b"):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(5):
            Image.new("L", (8, 8), 40 * i).save(tmp_path / "imgs" / cls / f"{i}.png")
    os.mkfifo(tmp_path / "imgs" / "a" / "pipe.png")
    refused(fresh("folder", tmp_path / "imgs"), "pipe.png", "FIFO")


@pytest.mark.parametrize("name,path", [("folder", "/proc/self/task"), ("folder", "/proc/self"),
                                       ("mnist", "/proc/self"), ("npz", "/dev/zero"),
                                       ("folder", "/sys/kernel"), ("mnist-5k", "/dev/shm")])
def test_system_folders_are_not_datasets(name, path):
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    refused(fresh(name, path), "the system's own files")


def test_a_link_into_proc_is_refused_too(tmp_path):
    os.symlink("/proc/self/task", tmp_path / "innocent")
    refused(fresh("folder", tmp_path / "innocent"), "the system's own files")


def write_npz_member(zf, key: str, shape: tuple, chunks: int, chunk: bytes = b"") -> None:
    """A .npy member whose header declares `shape` (uint8), followed by `chunks` x `chunk`."""
    import numpy as np
    with zf.open(f"{key}.npy", "w", force_zip64=True) as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False,
                                                 "shape": shape})
        for _ in range(chunks):
            f.write(chunk)


def test_a_small_mnist_npz_declaring_400000_images_is_refused_before_allocating(tmp_path):
    """Zeros compress a thousandfold: 313 MB of images in a file of a few hundred KB."""
    import zipfile
    path = tmp_path / "mnist.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        write_npz_member(zf, "x_train", (400_000, 28, 28), 299, bytes(1 << 20))
        for key, shape in (("y_train", (400_000,)), ("x_test", (10, 28, 28)), ("y_test", (10,))):
            write_npz_member(zf, key, shape, 1, bytes(int(np.prod(shape))))
    assert path.stat().st_size < 2 << 20
    refused(fresh("mnist", path), "x_train", "more than 64,000,000 values")


def test_npz_arrays_declaring_more_than_they_hold_are_refused(tmp_path):
    import zipfile
    path = tmp_path / "x.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        write_npz_member(zf, "x", (1000, 28, 28), 1, bytes(10))
    refused(fresh("npz", path), "holds", "truncated or corrupt")


def test_an_idx_gzip_declaring_too_many_values_is_refused_unread(tmp_path):
    import gzip
    import struct
    from vae.data import DatasetError, read_idx
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 400_000, 28, 28) + bytes(1000))
    with pytest.raises(DatasetError, match="at most 64,000,000 are read"):
        read_idx(path)
    short = tmp_path / "short.gz"
    with gzip.open(short, "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 100) + bytes(10))
    with pytest.raises(DatasetError, match="truncated or padded"):
        read_idx(short)


# ------------------------------------------------------------- 6. Stop while a run is starting

LONG = {"dataset": "digits", "latent-dim": 2, "hidden": 16, "epochs": 2000, "device": "cpu",
        "batch-size": 16}  # minutes of training if the Stop were lost


def exits(proc, cap: float = 300) -> int:
    """The trainer's exit code; a cap, not a wait (it ends on the event). Killed on failure."""
    try:
        return proc.wait(cap)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("the trainer did not stop: a Stop during start-up was lost")


def test_stop_right_after_launch_holds(tmp_path):
    from vae import launch
    run = launch.start_training(tmp_path, "stop-at-once", LONG)
    pid = launch.stop_training(run)
    proc = launch._launches[run.path].proc
    assert pid == proc.pid, "Stop did nothing while the trainer started"
    exits(proc)
    status = run.read_status()
    assert status["state"] in ("new", "stopped"), status
    assert not any(r["kind"] == "epoch" for r in run.read_metrics()), "it trained anyway"
    if status["state"] == "new":  # stopped before it wrote status.json
        said = launch.launch_status(run)
        assert said and "Stopped while it started" in said["message"], said


@pytest.mark.slow
def test_stop_once_the_run_folder_exists_but_before_it_trains(tmp_path):
    """The run's folder is there (data loaded, lock being taken): Stop still holds."""
    from vae import launch
    run = launch.start_training(tmp_path, "stop-later", LONG)
    proc = launch._launches[run.path].proc
    wait_for(lambda: run.config_file.exists() or proc.poll() is not None, 300,
             "the trainer to create its run folder")
    assert launch.stop_training(run) is not None
    exits(proc)
    status = run.read_status()
    assert status["state"] == "stopped", status
    assert status.get("epoch", 0) <= 1 and "resumable" in status["message"]
    epochs = [r for r in run.read_metrics() if r["kind"] == "epoch"]
    assert len(epochs) <= 1, "it trained on after the Stop"


def test_a_resume_stopped_at_once_changes_nothing(root, run):
    from vae import launch
    run.write_status(state="stopped", epoch=2, epochs=30, message="")
    raw = json.loads(run.config_file.read_text())
    raw["train"]["epochs"] = 2000
    run.config_file.write_text(json.dumps(raw))
    weights, metrics = run.weights_file.read_bytes(), run.metrics_file.read_bytes()
    launch.resume_training(run, processes=1)
    launch.stop_training(run)
    exits(launch._launches[run.path].proc)
    assert run.weights_file.read_bytes() == weights and run.metrics_file.read_bytes() == metrics
    assert run.read_status()["state"] == "stopped"


def test_a_stop_file_older_than_the_trainer_is_cleared_a_newer_one_obeyed(tmp_path, monkeypatch):
    from vae.train import stop, train
    from vae.train.loop import _clear_old_stop
    run = RunDir.create(tmp_path, "r", VAEConfig(image_shape=(1, 8, 8), latent_dim=2, hidden=(8,)),
                        TrainConfig(dataset="digits", epochs=1, device="cpu"))
    run.request_stop()
    os.utime(run.stop_file, (1.0, 1.0))  # left by a session long gone
    _clear_old_stop(run, since=2.0)
    assert not run.stop_file.exists()
    run.request_stop()  # pressed while this session started
    _clear_old_stop(run, since=os.lstat(run.stop_file).st_mtime - 1)
    assert run.stop_file.exists()
    monkeypatch.setattr(stop, "_started", os.lstat(run.stop_file).st_mtime - 1)  # catch_early's
    assert train(run, quiet=True) == "stopped"
    status = run.read_status()
    assert status["state"] == "stopped" and "before its first step" in status["message"]
    assert not run.weights_file.exists() and run.read_metrics() == []


def test_a_signal_caught_before_the_loop_stops_it_at_its_first_step(tmp_path, monkeypatch):
    from vae.train import stop, train
    run = RunDir.create(tmp_path, "r", VAEConfig(image_shape=(1, 8, 8), latent_dim=2, hidden=(8,)),
                        TrainConfig(dataset="digits", epochs=1, device="cpu"))
    monkeypatch.setattr(stop, "_caught", "SIGTERM")  # as catch_early records it
    assert train(run, quiet=True) == "stopped"
    assert "Stopped by SIGTERM before its first step" in run.read_status()["message"]


def test_the_trainer_catches_a_stop_before_torch_loads():
    """`python -m vae.train` installs its handler before PyTorch is imported."""
    code = ("import sys, runpy\n"
            "sys.argv = ['vae.train', '--help']\n"
            "import vae.train.stop as s, signal\n"
            "s.catch_early()\n"
            "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)\n"
            "assert signal.getsignal(signal.SIGTERM) is s._remember\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


# ------------------------------------------------------------------------- 9. smaller traps

def small_run(root: Path, name: str, epochs: int = 2) -> RunDir:
    return RunDir.create(root, name, VAEConfig(image_shape=(1, 8, 8), latent_dim=2, hidden=(16,)),
                         TrainConfig(dataset="digits", epochs=epochs, device="cpu", log_every=5,
                                     batch_size=256))


@pytest.mark.parametrize("change", [{"step": -1}, {"epoch": -1}, {"step": 10**12},
                                    {"epoch": 10**6}, {"step": 0.5}, {"step": "3"},
                                    {"epoch": 2, "step": 1}])
def test_a_resume_state_out_of_range_is_refused_and_nothing_changes(tmp_path, change, capsys):
    from vae.train import train
    run = small_run(tmp_path, "r", epochs=3)
    assert train(run, quiet=True) == "finished"
    run.set_epochs(4)
    state = torch.load(run.resume_file, weights_only=True)
    state.update(change)
    torch.save(state, run.resume_file)
    files = {p.name: p.read_bytes() for p in run.path.iterdir() if p.is_file()}
    with pytest.raises(RunError, match="resume.pt is damaged") as info:
        train(run, resume=True, quiet=True)
    assert "Nothing was changed" in str(info.value)
    assert {p.name: p.read_bytes() for p in run.path.iterdir() if p.is_file()} == files, \
        "a refused resume state changed the run (metrics wiped?)"


@pytest.mark.parametrize("root_arg", ["/proc/self", "/etc/passwd", "/dev/null", "/sys"])
def test_a_runs_root_that_cannot_hold_runs_is_one_sentence(root_arg, capsys):
    from vae.train import main
    if not os.path.exists(root_arg):
        pytest.skip(f"{root_arg} does not exist here")
    for args in (["--dataset", "digits", "--epochs", "1", "--name", "x"], ["--resume", "x"]):
        assert main(["--root", root_arg, "--quiet", *args]) == 2
        err = capsys.readouterr().err
        assert "error: The runs root" in err and "Traceback" not in err, err


def test_a_run_folder_that_cannot_be_created_is_one_sentence(tmp_path, capsys):
    from vae.train import main
    (tmp_path / "file").write_text("x")
    assert main(["--root", str(tmp_path / "file" / "deeper"), "--dataset", "digits",
                 "--epochs", "1", "--name", "x", "--quiet"]) == 2
    assert "error: The runs root" in capsys.readouterr().err
    raises(lambda: RunDir.create(tmp_path / "file" / "deeper", "x", VAEConfig(), TrainConfig()),
           "cannot be created", "Not a directory")


@pytest.mark.parametrize("flag,value,words", [
    ("--latent-dim", "1000000000", "latent"), ("--batch-size", "12345678901234567890", "batch size"),
    ("--epochs", "99999999999999999999", "epochs"), ("--latent-dim", "0", "latent")])
def test_absurd_sizes_on_the_command_line_are_refused_and_nothing_is_made(tmp_path, flag, value,
                                                                          words, capsys):
    from vae.train import main
    root = tmp_path / "runs"
    assert main(["--root", str(root), "--dataset", "digits", "--name", "x", "--quiet", flag,
                 value]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and words in err.lower() and "Traceback" not in err, err
    assert not (root / "x").exists()


@pytest.mark.slow
def test_after_rank_0_dies_rank_1_does_not_say_state_saved(tmp_path):
    """Process 0 alone writes the run: when it is the one killed, nothing was saved, and process 1
    must say so rather than "the state at that step was saved"."""
    import signal
    from tests.test_distributed import SMALL, TORCHRUN, children, env, kill_rank
    root = tmp_path / "runs"
    run = RunDir(root / "d")
    proc = subprocess.Popen([*TORCHRUN, "--nproc_per_node=2", "-m", "vae.train", *SMALL,
                             "--epochs", "20", "--batch-size", "16", "--root", str(root),
                             "--name", "d"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=env(VAE_DIST_TIMEOUT_S="20"), start_new_session=True)
    try:
        wait_for(lambda: run.read_status().get("step", 0) >= 30, 240, "30 steps on 2 processes")
        rank0 = run.trainer_pid()
        assert rank0 in children(proc.pid)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    err = kill_rank(proc, lambda ranks: rank0, 120)
    said = [line for line in err.splitlines() if line.startswith("error: (process 1 of 2)")]
    assert said, err[-3000:]
    assert "was saved" not in said[0] and "This process saved nothing" in said[0], said[0]


# ------------------------------------------------------------- 7. delete holds the run's lock

def test_delete_refuses_a_run_whose_lock_is_held_and_holds_it_while_removing(root, run,
                                                                            monkeypatch):
    from vae.run import rundir
    with run.lock():
        raises(run.delete, "still training", f"pid {os.getpid()}")
    assert run.path.exists()
    seen = {}
    real = shutil.rmtree

    def rmtree_watching(path, *a, **kw):
        seen["held"] = RunDir(path).is_training()  # another open file: sees the delete's lock
        with pytest.raises(RunError, match="already training"):
            with RunDir(path).lock():  # a resume racing the delete
                pass
        return real(path, *a, **kw)

    monkeypatch.setattr(rundir.shutil, "rmtree", rmtree_watching)
    run.delete()
    assert seen == {"held": True} and not run.path.exists()


def test_delete_of_a_run_still_starting_is_refused(tmp_path):
    from vae import launch
    run = launch.start_training(tmp_path, "starting", LONG)
    proc = launch._launches[run.path].proc
    try:
        with pytest.raises(RunError, match="already starting"):
            launch.delete_run(run)
    finally:
        launch.stop_training(run)
        exits(proc)


# ------------------------------------------------- 8. float16 snapshots that would overflow

def test_a_weight_beyond_float16_is_snapshotted_in_float32_and_loads(tmp_path):
    from vae.model import VAE
    run = RunDir.create(tmp_path, "big", VAEConfig(image_shape=(1, 8, 8), latent_dim=2,
                                                    hidden=(8,)),
                        TrainConfig(dataset="digits", epochs=1, device="cpu"))
    model = VAE(run.read_config()[0])
    big_key = next(iter(model.state_dict()))
    with torch.no_grad():
        model.state_dict()[big_key].view(-1)[0] = 1e5  # within ±1e6 but past float16's 65504
    run.save_snapshot(model, 1)
    saved = load_file(run.snapshot_file(1))
    assert saved[big_key].dtype == torch.float32 and float(saved[big_key].view(-1)[0]) == 1e5
    assert all(v.dtype == torch.float16 for k, v in saved.items() if k != big_key)
    loaded = run.load_model(epoch=1)
    assert float(loaded.state_dict()[big_key].view(-1)[0]) == 1e5
    assert validate_run_folder(run.path) == []


# ------------------------------------------------- 6. no pidfd or /proc: Stop signals nobody

def fake_trainer_holding(run: RunDir) -> subprocess.Popen:
    """A process holding the run's lock whose command line names vae.train, as a trainer's does."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         f"fd = os.open({str(run.lock_file)!r}, os.O_RDWR | os.O_CREAT)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX)\nos.write(fd, str(os.getpid()).encode())\n"
         "print('locked', flush=True)\ntime.sleep(60)", "vae.train"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_without_pidfd_or_proc_stop_writes_stop_and_signals_nobody(run, monkeypatch):
    from vae.launch import stop_training
    from vae.run import lock
    holder = fake_trainer_holding(run)
    try:
        for missing in ("pidfd_open", "/proc"):
            if missing == "pidfd_open":
                monkeypatch.delattr(lock.os, "pidfd_open")
            else:
                monkeypatch.setattr(lock.os.path, "exists",
                                    lambda p, real=os.path.exists: not str(p).startswith("/proc")
                                    and real(p))
            assert "STOP file" in lock.pid_signal_problem()
            assert stop_training(run) is None
            assert holder.poll() is None, f"signalled a pid on trust without {missing}"
            assert run.stop_file.exists()
            run.stop_file.unlink()
            monkeypatch.undo()
        assert lock.pid_signal_problem() is None
        assert stop_training(run) == holder.pid  # with both: the provable trainer is signalled
        assert holder.wait(10) == -15
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait()


# ------------------------------------- 3. a cosine schedule on a resume with more epochs

def test_a_cosine_resume_with_more_epochs_says_and_records_its_new_schedule(tmp_path, capsys):
    from vae.train import main, train
    from vae.train.schedule import lr_schedule
    run = RunDir.create(tmp_path, "cos", VAEConfig(image_shape=(1, 8, 8), latent_dim=2,
                                                    hidden=(16,)),
                        TrainConfig(dataset="digits", epochs=2, device="cpu", batch_size=256,
                                    lr=1e-3, lr_schedule="cosine", log_every=1))
    assert train(run, quiet=True) == "finished"
    steps = run.read_status()["step"]  # 2 epochs of ceil(1437 / 256) = 6 steps
    assert lr_schedule(run.read_config()[1], steps)(steps) == pytest.approx(0.0)
    capsys.readouterr()
    assert main(["--root", str(tmp_path), "--resume", "cos", "--epochs", "4", "--quiet"]) == 0
    err = capsys.readouterr().err
    change = json.loads(run.config_file.read_text())["schedule_changes"][-1]
    assert change["step"] == steps and change["epochs_before"] == 2 and change["epochs"] == 4
    assert change["total_steps_before"] == steps and change["total_steps"] == 2 * steps
    assert change["lr_before"] == pytest.approx(0.0) and change["lr"] == pytest.approx(5e-4)
    assert f"now decays to zero at step {2 * steps}" in err and "from 0 to 0.0005" in err, err
    assert run.read_status()["state"] == "finished"
    assert run.read_config()[1].epochs == 4  # the settings still read: the history is beside them
    assert validate_run_folder(run.path) == []


# ------------------------------------------------------------- 9. launch records are bounded

class FakeProc:
    def __init__(self, code):
        self.code, self.pid = code, 0

    def poll(self):
        return self.code


def test_launch_records_are_pruned_by_age_and_count(tmp_path, monkeypatch):
    from vae import launch
    monkeypatch.setattr(launch, "_launches", {})
    now = 10_000.0
    old_done = launch.Launch(RunDir(tmp_path / "old"), FakeProc(0), 0.0,
                             started=now - launch.MAX_LAUNCH_AGE_S - 1)
    old_live = launch.Launch(RunDir(tmp_path / "live"), FakeProc(None), 0.0, started=0.0)
    recent = launch.Launch(RunDir(tmp_path / "recent"), FakeProc(1), 0.0, started=now - 5)
    for la in (old_done, old_live, recent):
        launch._launches[la.run.path] = la
    launch._prune_launches(now)
    assert set(launch._launches) == {old_live.run.path, recent.run.path}, \
        "a finished launch outlived its age, or a live one was dropped"
    for i in range(3 * launch.MAX_LAUNCHES):
        la = launch.Launch(RunDir(tmp_path / f"r{i}"), FakeProc(0), 0.0, started=now - 1 + i / 1e3)
        launch._launches[la.run.path] = la
        launch._prune_launches(now)
        assert len(launch._launches) <= launch.MAX_LAUNCHES
    assert old_live.run.path in launch._launches, "a live launch was dropped to make room"
    newest = tmp_path / f"r{3 * launch.MAX_LAUNCHES - 1}"
    assert newest in launch._launches, "the newest were dropped before the oldest"
