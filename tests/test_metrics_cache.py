"""metrics.jsonl is read once while unchanged: a rerun finds it by its stat, and any write (an
appended epoch, a rewrite of the same size) is read again."""
import json
import os
import time

from vae.model import VAEConfig
from vae.run import RunDir, TrainConfig
from vae.run import metrics as metrics_module


def _row(epoch: int, value: float) -> str:
    return json.dumps({"kind": "epoch", "epoch": epoch, "step": epoch * 10, "test/recon": value,
                       "test/kl": 1.0, "test/neg_elbo": value + 1.0}) + "\n"


def test_an_unchanged_log_is_not_read_again_and_a_changed_one_is(tmp_path, monkeypatch):
    run = RunDir.create(tmp_path, "r", VAEConfig(latent_dim=2), TrainConfig(epochs=3))
    run.metrics_file.write_text(_row(1, 100.0))
    old = time.time() - 10  # written long enough ago for its stat to be trusted
    os.utime(run.metrics_file, (old, old))
    monkeypatch.setattr(metrics_module, "RACY_NS", 0)  # ctime is "now" after utime: trust it
    reads = []
    real = RunDir.read_bytes
    monkeypatch.setattr(RunDir, "read_bytes", lambda self, p, n: reads.append(p) or real(self, p, n))
    assert run.read_metrics()[0]["test/recon"] == 100.0
    assert run.read_metrics()[0]["test/recon"] == 100.0 and run.metrics_bad_lines() == 0
    assert len([p for p in reads if p == run.metrics_file]) == 1
    run.metrics_file.write_text(_row(1, 200.0))  # the same size, another content
    assert run.read_metrics()[0]["test/recon"] == 200.0
    with open(run.metrics_file, "a") as f:
        f.write(_row(2, 150.0))
    assert [r["epoch"] for r in run.read_metrics()] == [1, 2]


def test_a_log_written_just_now_is_always_read(tmp_path, monkeypatch):
    run = RunDir.create(tmp_path, "r", VAEConfig(latent_dim=2), TrainConfig(epochs=3))
    run.metrics_file.write_text(_row(1, 100.0))
    reads = []
    real = RunDir.read_bytes
    monkeypatch.setattr(RunDir, "read_bytes", lambda self, p, n: reads.append(p) or real(self, p, n))
    for _ in range(3):
        run.read_metrics()
    assert len([p for p in reads if p == run.metrics_file]) == 3
