"""vae.launch: starting, resuming and sweeping return at once; the run is "starting" until its
trainer reports; trainers are reaped; a trainer that dies early is reported in its own words."""
import os
import time
from pathlib import Path

import pytest

from tests.conftest import page_app
from vae import launch
from vae.run import RunDir

# Every test here starts a real trainer process (PyTorch's import alone takes it a second or more)
pytestmark = pytest.mark.slow

# Only a cap: each loop ends on the event it waits for. A trainer on a loaded 2-core machine spends
# 10+ s importing torch before it writes anything, so the cap is generous.
CAP_S = 600
TINY = {"dataset": "digits", "latent-dim": 2, "hidden": 16, "epochs": 1, "device": "cpu"}


def wait_for(predicate, what: str):
    deadline = time.monotonic() + CAP_S
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def zombie_children() -> list[int]:
    """Pids of this process's children that ended and were never waited for (<defunct>)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            found.append(int(stat.parent.name))
    return found


def test_start_returns_before_the_trainer_reports_and_the_trainer_is_reaped(tmp_path):
    run = launch.start_training(tmp_path, "tiny", TINY)
    # torch alone takes the trainer a second or more to import: nothing is written yet
    assert launch.launch_status(run)["state"] == "starting"
    assert [r.name for r in launch.pending_launches(tmp_path)] == ["tiny"]
    pid = launch.launch_status(run)["pid"]
    wait_for(lambda: run.read_status().get("state") == "finished", "the run to finish")
    assert launch.launch_status(run) is None, "status.json speaks for the run once written"
    assert launch.pending_launches(tmp_path) == []
    wait_for(lambda: not Path(f"/proc/{pid}").exists(), "the trainer to be reaped")
    assert pid not in zombie_children()


def test_a_trainer_that_dies_before_reporting_says_why(tmp_path, monkeypatch):
    monkeypatch.delenv("VAE_MNIST_DIR", raising=False)
    run = launch.start_training(tmp_path, "no-files", {"dataset": "mnist", "epochs": 1})
    wait_for(lambda: launch.launch_status(run)["state"] == "failed", "the trainer to exit")
    assert "Full MNIST needs your own files" in launch.launch_status(run)["message"]
    assert not run.path.exists()
    assert [r.name for r in launch.pending_launches(tmp_path)] == ["no-files"]
    launch.forget_launch(run)
    assert launch.launch_status(run) is None and launch.pending_launches(tmp_path) == []
    assert not zombie_children()


def test_a_second_launch_of_a_starting_run_is_refused(tmp_path):
    run = launch.start_training(tmp_path, "once", TINY)
    with pytest.raises(launch.RunError, match="already starting"):
        launch.resume_training(run)  # a double click while the first trainer loads
    wait_for(lambda: run.read_status().get("state") == "finished", "the run to finish")


def test_the_beta_sweep_starts_every_run_at_once(tmp_path):
    runs = launch.launch_beta_sweep(tmp_path, [0.5, 4.0], 1, "0101-000000")
    assert [r.name for r in runs] == ["sweep-0101-000000-beta0.5", "sweep-0101-000000-beta4"]
    assert all(launch.launch_status(r)["state"] == "starting" for r in runs)
    wait_for(lambda: all(r.read_status().get("state") in ("finished", "failed") for r in runs),
             "the sweep to finish")
    assert [r.read_status()["state"] for r in runs] == ["finished", "finished"]


def test_deleting_a_run_removes_its_launch_log(tmp_path):
    run = launch.start_training(tmp_path, "short-lived", TINY)
    wait_for(lambda: run.read_status().get("state") == "finished", "the run to finish")
    log = launch.launch_log(run)
    assert log.exists()
    launch.delete_run(run)
    assert not run.path.exists() and not log.exists()


def test_resume_replaces_the_stopped_banner_at_once(scratch_root):
    run = RunDir(scratch_root / "mnist5k-2d")
    run.write_status(**{**run.read_status(), "state": "stopped", "epoch": 30, "epochs": 30})
    at = page_app("train", "mnist5k-2d").run()
    assert any("is stopped" in w.value for w in at.warning)
    [b for b in at.button if b.label == "Resume"][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("is stopped" in w.value for w in at.warning), "the stopped banner is gone"
    assert any("Starting the trainer" in i.value for i in at.info)
    # the trainer finds nothing left to train (30 of 30 epochs) and says so
    wait_for(lambda: run.read_status().get("state") == "finished", "the resumed run to report")
