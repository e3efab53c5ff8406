"""The trainer as a user meets it: `python -m vae.train`, its run folder, bad flags, stop and resume
(SIGTERM and the STOP file), determinism, and a NaN loss."""
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import vae.train.loop
from vae.data import load_dataset
from vae.launch import resume_training, start_training, stop_training
from vae.losses import evaluate
from vae.model import VAEConfig
from vae.run import RunDir, TrainConfig
from vae.train import main, train
from tests.conftest import wait_for

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--dataset", "mnist-5k", "--latent-dim", "2", "--hidden", "32", "--device", "cpu",
         "--quiet", "--log-every", "10"]


def cli(*args, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vae.train", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def small_run(root: Path, name: str, epochs: int = 1, seed: int = 0, batch_size: int = 128) -> RunDir:
    return RunDir.create(root, name, VAEConfig(latent_dim=2, hidden=(32,)),
                         TrainConfig(dataset="mnist-5k", epochs=epochs, seed=seed, device="cpu",
                                     log_every=10, batch_size=batch_size))


def epoch_rows(run: RunDir) -> list[dict]:
    return [r for r in run.read_metrics() if r.get("kind") == "epoch"]


def final_test_metrics(run: RunDir) -> dict:
    return {k: v for k, v in epoch_rows(run)[-1].items() if k.startswith("test/")}


# ------------------------------------------------------------------------------------ the CLI

@pytest.mark.slow
def test_help():
    done = cli("--help")
    assert done.returncode == 0, done.stderr
    for flag in ("--latent-dim", "--likelihood", "--beta", "--resume", "--data-dir"):
        assert flag in done.stdout, f"{flag} missing from --help"


@pytest.mark.slow
def test_one_epoch_cli_run_writes_a_complete_run(tmp_path):
    done = cli(*SMALL, "--epochs", "1", "--root", str(tmp_path), "--name", "one")
    assert done.returncode == 0, done.stderr
    run = RunDir(tmp_path / "one")
    model_cfg, train_cfg = run.read_config()
    assert model_cfg.latent_dim == 2 and model_cfg.hidden == (32,) and train_cfg.epochs == 1
    rows = run.read_metrics()
    steps = [r for r in rows if r["kind"] == "step"]
    assert [r["step"] for r in steps] == [10, 20, 30]  # 4000 images / 128 = 32 steps
    for key in ("step", "epoch", "time", "samples_per_s", "train/recon", "train/kl",
                "train/neg_elbo"):
        assert all(key in r for r in rows), f"{key} missing from a metrics line"
    (last,) = epoch_rows(run)
    for key in ("test/recon", "test/kl", "test/neg_elbo", "test/kl_per_dim", "test/active_units"):
        assert key in last, f"{key} missing from the epoch line"
    assert last["step"] == 32 and len(last["test/kl_per_dim"]) == 2
    assert last["test/recon"] + last["test/kl"] == pytest.approx(last["test/neg_elbo"], rel=1e-6)
    assert all(math.isfinite(r["train/neg_elbo"]) and r["samples_per_s"] > 0 for r in steps)
    assert run.snapshot_epochs() == [1]
    status = run.read_status()
    assert status["state"] == "finished" and "test -ELBO" in status["message"]
    assert status["step"] == status["total_steps"] == 32
    assert run.load_model().config == model_cfg


@pytest.mark.parametrize("flags,words", [
    (["--latent-dim", "0"], "latent dim"),
    (["--hidden", "abc"], "comma-separated whole numbers"),
    (["--hidden", "0"], "hidden sizes"),
    (["--dataset", "mnist"], "VAE_MNIST_DIR"),
    (["--dataset", "fashion-mnist", "--data-dir", "/nonexistent"], "/nonexistent"),
    (["--epochs", "0"], "epochs"),
    (["--lr", "nan"], "learning rate"),
    (["--beta", "-1"], "beta"),
    (["--dataset", "digits", "--arch", "conv", "--hidden", "32"], "two channel counts"),
    (["--name", "../escape"], "not allowed"),
    (["--resume", "no-such-run"], "is not a run"),
    (["--resume", "../etc"], "not allowed"),
    (["--latent-dim", "two"], "invalid int value"),
    (["--dataset", "cifar10"], "invalid choice"),
])
def test_bad_flags_say_error_exit_2_and_create_no_run(flags, words, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("VAE_MNIST_DIR", raising=False)
    root = tmp_path / "runs"
    try:
        code = main(["--root", str(root), "--quiet", *flags])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, f"exit code {code}; stderr: {err}"
    assert "error:" in err and words in err, err
    assert "Traceback" not in err
    assert not root.exists() or not any(root.iterdir()), f"a run folder was created: {list(root.iterdir())}"


def test_device_cuda_on_a_cpu_machine_from_the_real_cli(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA, so --device cuda is valid here")
    done = cli(*SMALL, "--device", "cuda", "--root", str(tmp_path / "runs"), "--name", "gpu")
    assert done.returncode == 2, done.stderr
    # the one line that is not the error says how many threads were chosen
    assert done.stderr.splitlines()[-1].startswith("error: ") and "CUDA" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


def test_an_existing_name_is_refused_and_left_alone(tmp_path, capsys):
    run = small_run(tmp_path, "taken")
    before = run.config_file.read_text()
    assert main(["--root", str(tmp_path), "--name", "taken", "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert run.config_file.read_text() == before


# ------------------------------------------------------------------------------- determinism

def test_same_seed_and_config_give_identical_metrics(tmp_path):
    first, second = small_run(tmp_path, "a"), small_run(tmp_path, "b")
    assert train(first, quiet=True) == train(second, quiet=True) == "finished"
    assert final_test_metrics(first) == final_test_metrics(second)
    strip = ("time", "samples_per_s", "epoch_time")
    rows = [[{k: v for k, v in r.items() if k not in strip} for r in run.read_metrics()]
            for run in (first, second)]
    assert rows[0] == rows[1], "train metrics differ between two runs with the same seed"
    other = small_run(tmp_path, "c", seed=1)
    train(other, quiet=True)
    assert final_test_metrics(other)["test/neg_elbo"] != final_test_metrics(first)["test/neg_elbo"], \
        "the seed has no effect"


def test_train_restores_the_callers_signal_handlers(tmp_path):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    train(small_run(tmp_path, "handlers"), quiet=True)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


# --------------------------------------------------------------------------------- stop, resume

@pytest.mark.slow
def test_sigterm_stops_mid_run_and_resume_finishes_identically(tmp_path):
    epochs, batch = 4, 32  # 125 steps an epoch
    root = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "vae.train", *SMALL, "--epochs", str(epochs),
                             "--batch-size", str(batch), "--root", str(root), "--name", "s"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run = RunDir(root / "s")
    try:
        wait_for(lambda: run.read_status().get("step", 0) >= 10, 60, "the trainer to take steps")
        assert proc.poll() is None, "the run finished before it could be stopped"
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)  # a cap for a loaded machine: it ends at its next step
    finally:
        if proc.poll() is None:
            proc.kill()
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    status = run.read_status()
    assert status["state"] == "stopped" and "SIGTERM" in status["message"], status
    state = torch.load(run.resume_file, weights_only=True)
    assert state["epoch"] < epochs and state["step"] == status["step"]
    run.load_model()  # the weights at the stop are loadable

    # a crash could have torn the last metrics line; resuming must not glue its first line to it
    with run.metrics_file.open("a") as f:
        f.write('{"kind": "step", "st')
    done = cli("--resume", "s", "--root", str(root), "--quiet")
    assert done.returncode == 0, done.stderr
    status = run.read_status()
    assert status["state"] == "finished"
    assert status["step"] == status["total_steps"] == epochs * 125, "step count off after resume"
    assert [r["epoch"] for r in epoch_rows(run)] == list(range(1, epochs + 1))
    assert [r["step"] for r in epoch_rows(run)] == [125 * e for e in range(1, epochs + 1)]
    logged = [r["step"] for r in run.read_metrics() if r["kind"] == "step"]
    assert logged == list(range(10, epochs * 125 + 1, 10)), "step lines lost or repeated"

    # resuming mid-epoch continues the same batches and noise: as if it had never stopped
    reference = small_run(tmp_path, "uninterrupted", epochs=epochs, batch_size=batch)
    train(reference, quiet=True)
    assert final_test_metrics(run) == final_test_metrics(reference)


@pytest.mark.slow
def test_stop_file_and_launch_stop_training(tmp_path):
    root = tmp_path / "runs"
    options = {"dataset": "mnist-5k", "latent-dim": 2, "hidden": 32, "device": "cpu",
               "epochs": 50, "batch-size": 16}
    run = start_training(root, "launched", options)
    try:
        wait_for(lambda: run.read_status().get("state") == "running", 30, "the trainer to run")
        run.request_stop()  # the STOP file alone, no signal
        wait_for(lambda: run.read_status().get("state") == "stopped", 5, "the STOP file to stop it")
        assert "a stop request" in run.read_status()["message"]

        resume_training(run)
        wait_for(lambda: run.read_status().get("state") == "running", 30, "the resumed trainer")
        assert not run.stop_file.exists(), "the old STOP file would stop the resumed run at once"
        stop_training(run)
        wait_for(lambda: run.read_status().get("state") == "stopped", 5, "stop_training to stop it")
        assert run.read_status()["epoch"] < 50
        run.load_model()
    finally:
        if run.read_status().get("state") == "running":
            os.kill(run.read_status()["pid"], signal.SIGKILL)


# ----------------------------------------------------------------------------------- NaN loss

def nan_after(n_calls: int, monkeypatch):
    real = vae.train.loop.loss_terms
    calls = {"n": 0}

    def loss_terms(model, x, generator=None):
        terms = real(model, x, generator)
        calls["n"] += 1
        if calls["n"] > n_calls:
            terms.recon = terms.recon * float("nan")
        return terms

    monkeypatch.setattr(vae.train.loop, "loss_terms", loss_terms)


def test_nan_loss_fails_the_run_and_keeps_the_last_good_weights(tmp_path, monkeypatch):
    run = small_run(tmp_path, "nan", epochs=3)
    nan_after(40, monkeypatch)  # 32 steps an epoch: NaN at step 41, in epoch 2
    assert train(run, quiet=True) == "failed"
    status = run.read_status()
    assert status["state"] == "failed"
    assert "loss became nan at step 41 (epoch 2)" in status["message"]
    assert "last good weights" in status["message"] and "lower learning rate" in status["message"]
    assert [r["epoch"] for r in epoch_rows(run)] == [1]
    model = run.load_model()
    assert all(torch.isfinite(p).all() for p in model.parameters())
    test_x = torch.from_numpy(load_dataset("mnist-5k").test_x.copy())
    again = evaluate(model, test_x, generator=torch.Generator().manual_seed(0))
    assert again["neg_elbo"] == epoch_rows(run)[0]["test/neg_elbo"], "weights are not epoch 1's"


def test_nan_in_the_first_epoch_says_no_weights_were_kept(tmp_path, monkeypatch):
    run = small_run(tmp_path, "nan1")
    nan_after(3, monkeypatch)
    assert train(run, quiet=True) == "failed"
    assert "no weights to keep" in run.read_status()["message"]
    assert not run.weights_file.exists()


def test_weights_gone_nan_at_an_epoch_end_are_not_saved(tmp_path, monkeypatch):
    run = small_run(tmp_path, "nan-end", epochs=2)
    real = vae.train.loop.evaluate
    calls = {"n": 0}

    def evaluate_then_poison(model, x, **kw):
        calls["n"] += 1
        if calls["n"] == 2:  # the end of epoch 2: as if the last update overflowed
            with torch.no_grad():
                model.to_mu.weight.fill_(float("inf"))
        return real(model, x, **kw)

    monkeypatch.setattr(vae.train.loop, "evaluate", evaluate_then_poison)
    assert train(run, quiet=True) == "failed"
    assert "NaN or infinite during epoch 2" in run.read_status()["message"]
    assert all(torch.isfinite(p).all() for p in run.load_model().parameters())
    assert run.snapshot_epochs() == [1]


# ------------------------------------------------------------------------------- resume.pt

@pytest.fixture
def one_epoch_run(tmp_path) -> RunDir:
    run = small_run(tmp_path, "once")
    train(run, quiet=True)
    return run


def test_resume_state_is_loaded_weights_only(one_epoch_run, tmp_path, capsys):
    import pickle

    marker = tmp_path / "UNPICKLED"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    one_epoch_run.resume_file.write_bytes(pickle.dumps({"optimizer": Payload(), "epoch": 1}, protocol=2))
    code = main(["--resume", "once", "--root", str(one_epoch_run.path.parent), "--epochs", "2",
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "error:" in err and "resume.pt" in err and "corrupt" in err, err
    assert not marker.exists(), "resume.pt was unpickled"


def test_truncated_resume_state(one_epoch_run, capsys):
    raw = one_epoch_run.resume_file.read_bytes()
    one_epoch_run.resume_file.write_bytes(raw[: len(raw) // 3])
    code = main(["--resume", "once", "--root", str(one_epoch_run.path.parent), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "resume.pt is corrupt" in err and "Traceback" not in err, err


def test_resume_with_more_epochs_trains_on(one_epoch_run, capsys):
    root = str(one_epoch_run.path.parent)
    assert main(["--resume", "once", "--root", root, "--quiet"]) == 0  # already at its epochs
    assert "Already trained" in one_epoch_run.read_status()["message"]
    assert main(["--resume", "once", "--root", root, "--epochs", "2", "--quiet"]) == 0
    assert [r["epoch"] for r in epoch_rows(one_epoch_run)] == [1, 2]
    assert one_epoch_run.read_config()[1].epochs == 2
    assert main(["--resume", "once", "--root", root, "--epochs", "1", "--quiet"]) == 2
    assert "below the run's 2" in capsys.readouterr().err


@pytest.mark.slow
def test_the_terminal_ends_on_a_summary_and_a_resume_says_where_it_goes_on(tmp_path):
    root = tmp_path / "runs"
    done = cli(*SMALL, "--epochs", "1", "--root", str(root), "--name", "said")
    assert done.returncode == 0, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Finished 1 epoch: test -ELBO ") and "(recon " in last, last
    assert str(root / "said") in last and "?run=said" in last, last
    more = cli("--resume", "said", "--epochs", "2", "--root", str(root), "--quiet")
    assert more.returncode == 0, more.stderr
    assert "resuming said at epoch 2 of 2, after step " in more.stderr, more.stderr
    assert more.stderr.strip().splitlines()[-1].startswith("Finished 2 epochs: test -ELBO ")
