"""`torchrun --standalone --nproc_per_node=N -m vae.train`: one run on N processes (DDP, gloo on CPU).

Two processes of one thread each (the machine has 2 cores). The torchrun tests start real process
groups, so they are marked slow; each trains for seconds.
"""
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from vae.data import load_dataset
from vae.distributed import Group, evaluate_sharded
from vae.launch import resume_training, stop_training, train_command
from vae.losses import evaluate
from vae.model import VAE, VAEConfig
from vae.run import RunDir, TrainConfig
from vae.train import lr_schedule, main, resolve_precision, train
from tests.conftest import wait_for

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--dataset", "mnist-5k", "--latent-dim", "2", "--hidden", "32", "--device", "cpu",
         "--quiet", "--log-every", "10"]
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone"]


def env(**extra) -> dict:
    # one intra-op thread per process: two processes on two cores, no OpenMP spinning
    return {**os.environ, "OMP_NUM_THREADS": "1", **extra}


def torchrun(n: int, *args, script=("-m", "vae.train"), timeout=240, **extra_env):
    return subprocess.run([*TORCHRUN, f"--nproc_per_node={n}", *script, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env(**extra_env))


def epoch_rows(run: RunDir) -> list[dict]:
    return [r for r in run.read_metrics() if r.get("kind") == "epoch"]


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def kill_rank(proc: subprocess.Popen, pick, timeout: float) -> str:
    """SIGKILL the rank pick(torchrun's children) returns, wait for torchrun to end (its whole
    session is killed if it does not), and return torchrun's stderr."""
    try:
        os.kill(pick(children(proc.pid)), signal.SIGKILL)
        proc.wait(timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.communicate()[1]


def parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().split(")")[-1].split()[1])


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


# ----------------------------------------------------------------------- pieces, no process group

@pytest.mark.parametrize("n", [1, 2, 3, 31, 128, 1000])
@pytest.mark.parametrize("world", [1, 2, 3, 4])
def test_shards_cover_every_row_of_a_batch_once(n, world):
    rows = [r for rank in range(world) for r in range(n)[Group(rank, world).shard(n)]]
    assert rows == list(range(n))


def test_sharded_evaluation_alone_equals_evaluate():
    torch.manual_seed(0)
    model = VAE(VAEConfig(latent_dim=3, hidden=(32,)))
    x = torch.from_numpy(load_dataset("mnist-5k").train_x[:1500].copy())  # a batch and a half
    ref = evaluate(model, x, generator=torch.Generator().manual_seed(0))
    got = evaluate_sharded(model, x, Group(), generator=torch.Generator().manual_seed(0))
    assert got["images"] == 1500
    for key in ("recon", "kl", "neg_elbo", "bits_per_dim"):
        assert got[key] == pytest.approx(ref[key], rel=1e-5), key
    assert got["kl_per_dim"] == pytest.approx(ref["kl_per_dim"], rel=1e-5)
    assert got["active_units"] == ref["active_units"]


def test_precision_auto_follows_the_hardware():
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    native = "avx512_bf16" in flags or "amx_bf16" in flags
    assert resolve_precision("auto", torch.device("cpu")) == ("bf16" if native else "fp32")
    assert resolve_precision("fp32", torch.device("cpu")) == "fp32"
    assert resolve_precision("bf16", torch.device("cpu")) == "bf16"


def test_warm_up_and_cosine_schedule():
    assert lr_schedule(TrainConfig(), 100) is None  # the classic recipe never touches the lr
    lr = lr_schedule(TrainConfig(lr=0.004, warmup_steps=10, lr_schedule="cosine"), 100)
    assert lr(0) == pytest.approx(0.0004)  # a tenth of the way up, the cosine still at 1
    assert lr(9) == pytest.approx(0.004 * 0.5 * (1 + math.cos(math.pi * 9 / 100)))
    assert lr(50) == pytest.approx(0.002)
    assert lr(100) == pytest.approx(0.0, abs=1e-12)


def test_bf16_run_reports_an_fp32_elbo_close_to_fp32(tmp_path):
    runs = {}
    for precision in ("fp32", "bf16"):
        runs[precision] = RunDir.create(tmp_path, precision, VAEConfig(latent_dim=2, hidden=(32,)),
                                        TrainConfig(epochs=2, device="cpu", precision=precision))
        assert train(runs[precision], quiet=True) == "finished"
    assert runs["bf16"].read_status()["precision"] == "bf16"
    got, ref = (epoch_rows(runs[p])[-1]["test/neg_elbo"] for p in ("bf16", "fp32"))
    assert isinstance(got, float) and math.isfinite(got)
    assert got == pytest.approx(ref, rel=0.03), "bf16 training landed far from fp32"


def test_the_dashboard_starts_n_processes_with_torchrun(tmp_path):
    cmd = train_command(tmp_path, "r", {"epochs": 3}, processes=2)
    assert cmd[:8] == [sys.executable, "-m", "torch.distributed.run", "--standalone",
                       "--nproc_per_node", "2", "-m", "vae.train"]
    assert cmd[8:] == ["--quiet", "--root", str(tmp_path), "--name", "r", "--epochs", "3"]
    assert train_command(tmp_path, "r", {})[:3] == [sys.executable, "-m", "vae.train"]


def test_resume_goes_on_with_the_processes_the_run_last_had(tmp_path, monkeypatch):
    import vae.launch

    run = RunDir.create(tmp_path, "two", VAEConfig(latent_dim=2, hidden=(32,)),
                        TrainConfig(world_size=2))
    launched = []
    monkeypatch.setattr(vae.launch, "_launch", lambda run, cmd: launched.append(cmd) or run)
    monkeypatch.setattr(vae.launch, "max_processes", lambda: 2)
    resume_training(run)
    assert launched[-1][:7] == [sys.executable, "-m", "torch.distributed.run", "--standalone",
                                "--nproc_per_node", "2", "-m"]
    monkeypatch.setattr(vae.launch, "max_processes", lambda: 1)  # a machine with one core
    resume_training(run)
    assert launched[-1][:3] == [sys.executable, "-m", "vae.train"]


def test_recipe_fast_fills_the_flags_left_out(tmp_path):
    assert main([*SMALL, "--epochs", "1", "--recipe", "fast", "--batch-size", "500",
                 "--root", str(tmp_path), "--name", "fast"]) == 0
    cfg = RunDir(tmp_path / "fast").read_config()[1]
    assert (cfg.batch_size, cfg.lr, cfg.warmup_steps, cfg.lr_schedule, cfg.precision) == \
        (500, 3e-3, 200, "cosine", "auto")  # --batch-size given: it wins over the recipe's 256
    assert epoch_rows(RunDir(tmp_path / "fast"))[-1]["step"] == 8  # 4,000 / 500


def test_a_bf16_run_stopped_mid_epoch_resumes_to_the_same_weights(tmp_path, monkeypatch):
    """The bf16 path stops at the start of a step (after drawing its noise): resume.pt must hold
    the noise state from before that draw, or the resumed run would take other noise."""
    import vae.train.loop

    config = dict(epochs=2, device="cpu", precision="bf16", batch_size=64)
    stopped = RunDir.create(tmp_path, "stopped", VAEConfig(latent_dim=2, hidden=(32,)),
                            TrainConfig(**config))
    real = vae.train.loop.ShardObjective

    class StopAfter40(real):
        calls = 0

        def forward(self, x, eps):
            StopAfter40.calls += 1
            if StopAfter40.calls == 40:  # epoch 1 has 63 steps: a stop mid-epoch
                stopped.request_stop()
            return super().forward(x, eps)

    monkeypatch.setattr(vae.train.loop, "ShardObjective", StopAfter40)
    assert train(stopped, quiet=True) == "stopped"
    monkeypatch.setattr(vae.train.loop, "ShardObjective", real)
    assert train(stopped, resume=True, quiet=True) == "finished"
    reference = RunDir.create(tmp_path, "reference", VAEConfig(latent_dim=2, hidden=(32,)),
                              TrainConfig(**config))
    assert train(reference, quiet=True) == "finished"
    assert epoch_rows(stopped)[-1]["test/neg_elbo"] == epoch_rows(reference)[-1]["test/neg_elbo"]


# --------------------------------------------------------------------------------- failures

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_processes_that_cannot_meet_say_so(tmp_path):
    """Rank 1 of 2 whose rank 0 never comes: a sentence, exit 2, no traceback, no run folder."""
    done = subprocess.run(
        [sys.executable, "-m", "vae.train", *SMALL, "--root", str(tmp_path / "runs"), "--name", "x"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=env(WORLD_SIZE="2", RANK="1", LOCAL_RANK="1", MASTER_ADDR="127.0.0.1",
                MASTER_PORT=str(free_port()), VAE_DIST_TIMEOUT_S="2"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: process 1 of 2 could not meet the others"), done.stderr
    assert "torchrun --standalone --nproc_per_node=2" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_rank_0_whose_others_never_come_says_so(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "vae.train", *SMALL, "--root", str(tmp_path / "runs"), "--name", "x"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=env(WORLD_SIZE="2", RANK="0", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1",
                MASTER_PORT=str(free_port()), VAE_DIST_TIMEOUT_S="2"))
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: process 0 of 2 could not meet the others"), done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


def test_a_world_without_a_rendezvous_address_says_how_to_start_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    monkeypatch.delenv("MASTER_PORT", raising=False)
    assert main([*SMALL, "--root", str(tmp_path), "--name", "x"]) == 2
    err = capsys.readouterr().err
    assert "MASTER_ADDR and MASTER_PORT is not set" in err and "torchrun" in err, err


# ------------------------------------------------------------------------------- torchrun, N = 2

@pytest.mark.slow
def test_two_processes_match_one_with_the_same_steps_and_exact_test_metrics(tmp_path):
    """The issue's check: MNIST-5k 2-D, 3 epochs, 2 processes within 3% of 1 process, same steps."""
    flags = ["--dataset", "mnist-5k", "--latent-dim", "2", "--hidden", "256", "--epochs", "3",
             "--device", "cpu", "--quiet", "--root", str(tmp_path)]
    one = subprocess.run([sys.executable, "-m", "vae.train", *flags, "--name", "one"], cwd=ROOT,
                         capture_output=True, text=True, timeout=240, env=env())
    assert one.returncode == 0, one.stderr
    two = torchrun(2, *flags, "--name", "two")
    assert two.returncode == 0, two.stderr
    runs = {n: RunDir(tmp_path / n) for n in ("one", "two")}
    assert runs["two"].read_config()[1].world_size == 2
    assert runs["one"].read_config()[1].world_size == 1
    assert runs["two"].read_status()["world_size"] == 2
    rows = {n: epoch_rows(r) for n, r in runs.items()}
    assert [r["step"] for r in rows["two"]] == [r["step"] for r in rows["one"]] == [32, 64, 96]
    a, b = rows["one"][-1]["test/neg_elbo"], rows["two"][-1]["test/neg_elbo"]
    assert abs(b - a) / a < 0.03, f"2 processes {b:.2f} vs 1 process {a:.2f} nats"
    # exact over the whole test set: every image once (no padded duplicates), the same numbers as
    # one process evaluating the saved weights
    last = rows["two"][-1]
    assert last["test/images"] == 1000
    test_x = torch.from_numpy(load_dataset("mnist-5k").test_x.copy())
    ref = evaluate(runs["two"].load_model(), test_x, generator=torch.Generator().manual_seed(0))
    for key in ("recon", "kl", "neg_elbo"):
        assert last[f"test/{key}"] == pytest.approx(ref[key], rel=1e-5), key
    assert last["test/active_units"] == ref["active_units"]


@pytest.mark.slow
def test_only_rank_0_writes_the_run_folder(tmp_path):
    root = tmp_path / "runs"
    done = torchrun(2, *SMALL, "--epochs", "1", "--root", str(root), "--name", "w",
                    script=("tests/ddp_probe.py",), PROBE_ROOT=str(root),
                    PROBE_REPORT=str(tmp_path / "report"))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report.1").read_text())
    assert report["code"] == 0
    assert report["writes"] == [], f"rank 1 wrote to the run folder: {report['writes'][:5]}"
    run = RunDir(root / "w")
    assert run.read_status()["state"] == "finished" and run.snapshot_epochs() == [1]
    assert [p.name for p in root.iterdir()] == ["w"], "a second run folder appeared"


@pytest.mark.slow
def test_nan_on_one_rank_fails_the_run_on_every_rank(tmp_path):
    root = tmp_path / "runs"
    done = torchrun(2, *SMALL, "--epochs", "3", "--root", str(root), "--name", "nan",
                    script=("tests/ddp_probe.py",), PROBE_ROOT=str(root),
                    PROBE_REPORT=str(tmp_path / "report"), PROBE_NAN="1:40")
    assert done.returncode != 0
    assert "error: The loss became nan at step 41 (epoch 2) on some process" in done.stderr
    assert json.loads((tmp_path / "report.1").read_text())["code"] == 1  # rank 1 ended, failed
    run = RunDir(root / "nan")
    status = run.read_status()
    assert status["state"] == "failed" and "last good weights" in status["message"], status
    assert [r["epoch"] for r in epoch_rows(run)] == [1]
    assert all(torch.isfinite(p).all() for p in run.load_model().parameters())


@pytest.mark.slow
def test_stop_and_resume_across_one_and_two_processes(tmp_path):
    """Start on 1 process and stop it; resume on 2 with torchrun and stop that with the dashboard's
    Stop (every rank ends within a second); resume on 1 to the end. The step count, epoch lines
    and final test -ELBO are those of an uninterrupted run."""
    # 125 steps an epoch; 12 epochs so that the first stop, which comes whenever the trainer's
    # status first shows 20 steps (half a second on a quiet machine can be 250 steps), is never late
    epochs, batch = 12, 32
    root = tmp_path / "runs"
    run = RunDir(root / "s")
    flags = [*SMALL, "--epochs", str(epochs), "--batch-size", str(batch), "--root", str(root)]

    # 1 process, stopped by SIGINT (Ctrl-C)
    proc = subprocess.Popen([sys.executable, "-m", "vae.train", *flags, "--name", "s"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
    try:
        wait_for(lambda: run.read_status().get("state") == "running", 60, "the trainer to start")
        wait_for(lambda: run.read_status().get("step", 0) >= 20, 60, "20 steps")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    first_stop = run.read_status()
    assert first_stop["state"] == "stopped" and first_stop["step"] < 6 * 125, first_stop

    # 2 processes resume it, launched as the dashboard's Resume does (torchrun in its own session);
    # the dashboard's Stop (STOP file + SIGTERM to the lock holder, rank 0) ends both ranks
    resume_training(run, processes=2)
    wait_for(lambda: run.read_status().get("state") == "running"
             and run.read_status().get("world_size") == 2, 90, "the 2-process resume to run")
    rank0 = run.trainer_pid()
    launcher = parent(rank0)
    ranks = children(launcher)
    try:
        assert len(ranks) == 2 and rank0 in ranks, f"torchrun's children: {ranks}"
        wait_for(lambda: run.read_status().get("step", 0) >= first_stop["step"] + 140, 90,
                 "the 2-process run to take 140 more steps")
        sent = time.monotonic()
        assert stop_training(run) == rank0
        wait_for(lambda: not any(alive(p) for p in ranks), 10, "every rank to end")
        took = time.monotonic() - sent
    finally:
        for p in ranks:
            if alive(p):
                os.kill(p, signal.SIGKILL)
    assert took < 1.0, f"stopping took {took:.2f} s to end both ranks"
    second_stop = run.read_status()
    assert second_stop["state"] == "stopped", second_stop
    assert first_stop["step"] < second_stop["step"] < epochs * 125, "the stop came too late"
    assert run.read_config()[1].world_size == 2

    # 1 process finishes it
    done = subprocess.run([sys.executable, "-m", "vae.train", "--resume", "s", "--root", str(root),
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=240,
                          env=env())
    assert done.returncode == 0, done.stderr
    assert run.read_config()[1].world_size == 1
    status = run.read_status()
    assert status["state"] == "finished" and status["step"] == epochs * 125
    assert [(r["epoch"], r["step"]) for r in epoch_rows(run)] == [(e, 125 * e)
                                                                 for e in range(1, epochs + 1)]
    logged = [r["step"] for r in run.read_metrics() if r["kind"] == "step"]
    assert logged == list(range(10, epochs * 125 + 1, 10)), "step lines lost or repeated"

    # the same batches and noise as never stopping; 2 processes add gradients in another order
    reference = RunDir.create(tmp_path, "ref", VAEConfig(latent_dim=2, hidden=(32,)),
                              TrainConfig(epochs=epochs, batch_size=batch, device="cpu",
                                          log_every=10))
    assert train(reference, quiet=True) == "finished"
    got, ref = epoch_rows(run)[-1]["test/neg_elbo"], epoch_rows(reference)[-1]["test/neg_elbo"]
    assert got == pytest.approx(ref, rel=1e-3)


@pytest.mark.slow
def test_a_rank_that_dies_stops_the_run_resumably_and_says_so(tmp_path):
    root = tmp_path / "runs"
    run = RunDir(root / "d")
    proc = subprocess.Popen([*TORCHRUN, "--nproc_per_node=2", "-m", "vae.train", *SMALL,
                             "--epochs", "20", "--batch-size", "16", "--root", str(root),
                             "--name", "d"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env(), start_new_session=True)
    try:
        wait_for(lambda: run.read_status().get("state") == "running", 90, "the run to start")
        wait_for(lambda: run.read_status().get("step", 0) >= 30, 60, "30 steps")
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    rank0 = run.trainer_pid()
    err = kill_rank(proc, lambda ranks: next(p for p in ranks if p != rank0), 60)
    assert proc.returncode != 0
    assert "error: (process 0 of 2) Stopped at step" in err, err[-3000:]
    assert "another training process of this run died or stopped answering" in err
    status = run.read_status()
    assert status["state"] == "stopped" and "resume with --resume d" in status["message"], status
    state = torch.load(run.resume_file, weights_only=True)
    assert state["step"] == status["step"] >= 30
    run.load_model()  # the weights at the failure are whole


# ---------------------------------------------------------------------------------------- GPU

@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason="needs a CUDA GPU; this machine has none (torch reports no CUDA device)")
def test_cuda_end_to_end_and_weights_come_back_to_the_cpu(tmp_path):
    run = RunDir.create(tmp_path, "gpu", VAEConfig(latent_dim=2, hidden=(32,)),
                        TrainConfig(epochs=1, device="cuda", precision="auto"))
    assert train(run, quiet=True) == "finished"
    assert run.read_status()["device"].startswith("cuda")
    assert main(["--resume", "gpu", "--root", str(tmp_path), "--epochs", "2", "--quiet"]) == 0
    model = run.load_model()  # what the dashboard does
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert [r["epoch"] for r in epoch_rows(run)] == [1, 2]
