"""AppTest of the Replay page: the epoch slider and Play move every view to the same snapshot."""
import shutil

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import component_data, run_page

from vae import explain as ex
from vae.data import load_dataset
from vae.run import RunDir



def _open(run="mnist5k-2d") -> AppTest:
    return run_page("replay", run)


def _metrics(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


def _schedule(run: RunDir) -> list[int]:
    """The epochs the run's config says it snapshots: every snapshot_every, up to its epochs."""
    _, train_cfg = run.read_config()
    return list(range(train_cfg.snapshot_every, train_cfg.epochs + 1, train_cfg.snapshot_every))


def test_opens_at_the_last_snapshot_with_its_numbers(runs_root):
    at = _open()
    run = RunDir(runs_root / "mnist5k-2d")
    trained_for = run.read_config()[1].epochs
    assert at.select_slider(key="replay_epoch").options == [str(e) for e in _schedule(run)]
    assert at.select_slider(key="replay_epoch").value == trained_for, \
        "open on the trained model, not noise"
    assert at.session_state["replay_play"] is False
    rows = run.read_metrics()
    last = [r for r in rows if r.get("kind") == "epoch"][-1]
    assert at.select_slider(key="replay_epoch").value == last["epoch"], \
        "open on the trained model, not noise"
    assert at.session_state["replay_play"] is False
    assert _metrics(at)["test -ELBO (nats)"] == f"{last['test/neg_elbo']:.1f}"
    assert _metrics(at)["KL"] == f"{last['test/kl']:.2f}"


def test_slider_moves_cursor_scatter_and_metrics_together(runs_root):
    at = _open()
    run = RunDir(runs_root / "mnist5k-2d")
    epoch = run.snapshot_epochs()[1]  # neither the first nor the trained model
    at.select_slider(key="replay_epoch").set_value(epoch).run()
    assert not at.exception
    curves = component_data(at, "replay_curves")  # drawn in the browser from these numbers
    assert curves["cursor"] == epoch, f"the cursor sits at {epoch}"
    assert curves["filename"] == "mnist5k-2d-curves-at-epoch.svg"
    scatter = component_data(at, "replay_scatter")  # drawn in the browser from these numbers
    assert scatter["title"] == f"Posterior means at epoch {epoch}"
    assert scatter["mu"] is None and not scatter["pickable"], "no input is marked on Replay"
    row = [r for r in run.read_metrics() if r.get("kind") == "epoch" and r["epoch"] == epoch][0]
    assert _metrics(at)["test -ELBO (nats)"] == f"{row['test/neg_elbo']:.1f}"
    # the scatter's points are that snapshot's encoder means
    model = run.load_model(epoch=epoch)
    x = load_dataset("mnist-5k").test_x
    first_zero = int(np.flatnonzero(load_dataset("mnist-5k").test_y == 0)[0])
    k = scatter["background"]["i"].index(first_zero)
    assert scatter["background"]["c"][k] == 0
    mu, _ = ex.encode_one(model, x[first_zero])
    assert (scatter["x_label"], scatter["y_label"]) == ("z0", "z1")
    assert scatter["background"]["x"][k] == pytest.approx(mu[0], abs=1e-4)
    assert scatter["background"]["y"][k] == pytest.approx(mu[1], abs=1e-4)
    # the plane's ranges stay from epoch to epoch, so that the codes are seen to move
    at.select_slider(key="replay_epoch").set_value(run.snapshot_epochs()[-1]).run()
    last = component_data(at, "replay_scatter")
    assert (last["x_range"], last["y_range"]) == (scatter["x_range"], scatter["y_range"])
    assert last["background"]["x"] != scatter["background"]["x"]


def test_play_advances_and_pause_stops(runs_root):
    epochs = RunDir(runs_root / "mnist5k-2d").snapshot_epochs()
    at = _open()
    at.select_slider(key="replay_epoch").set_value(epochs[1]).run()
    at.button(key="replay_play_button").click().run()
    assert at.session_state["replay_play"] is True
    assert at.select_slider(key="replay_epoch").value == epochs[1], "Play starts where it is"
    at.run()  # the next frame (the fragment's timer)
    assert at.select_slider(key="replay_epoch").value == epochs[2], \
        "each frame moves one snapshot on"
    at.button(key="replay_pause").click().run()
    assert at.session_state["replay_play"] is False
    assert at.select_slider(key="replay_epoch").value == epochs[2]


def test_play_at_the_end_starts_over(runs_root):
    epochs = RunDir(runs_root / "mnist5k-2d").snapshot_epochs()
    at = _open()
    at.select_slider(key="replay_epoch").set_value(epochs[-1]).run()
    at.button(key="replay_play_button").click().run()
    # back to the first snapshot, shown first: the caption promises to start from it
    assert at.select_slider(key="replay_epoch").value == epochs[0]
    at.run()  # the next frame
    assert at.select_slider(key="replay_epoch").value == epochs[1]


def test_speed_control(runs_root):
    at = _open()
    at.button_group(key="replay_speed").set_value("fast").run()
    assert not at.exception and at.button_group(key="replay_speed").value == "fast"


def test_autoencoder_replays_its_five_epoch_snapshots(runs_root):
    """A run snapshotted every few epochs (not every one) replays exactly those snapshots."""
    run = RunDir(runs_root / "mnist5k-2d-ae")
    schedule = _schedule(run)
    assert run.read_config()[1].snapshot_every > 1 and len(schedule) > 1
    at = _open("mnist5k-2d-ae")
    assert at.select_slider(key="replay_epoch").options == [str(e) for e in schedule]
    assert at.select_slider(key="replay_epoch").value == schedule[-1]


def test_a_run_without_snapshots_is_explained(tmp_path, monkeypatch):
    src = RunDir(__import__("vae.run", fromlist=["DEFAULT_ROOT"]).DEFAULT_ROOT / "mnist5k-2d")
    dest = tmp_path / "runs" / "nosnap"
    dest.mkdir(parents=True)
    for f in ("config.json", "metrics.jsonl", "model.safetensors", "status.json"):
        shutil.copy(src.path / f, dest / f)
    monkeypatch.setenv("VAE_RUNS_ROOT", str(tmp_path / "runs"))
    at = _open("nosnap")
    assert "no per-epoch snapshots" in at.info[0].value


def test_a_run_with_one_snapshot_says_there_is_nothing_to_replay(runs_root):
    """The β family keeps its last weights only: no "Press Play to watch it learn" beside a
    slider of one epoch."""
    at = run_page("replay", "mnist5k-16d-beta1")
    assert RunDir(runs_root / "mnist5k-16d-beta1").snapshot_epochs() == [100]
    assert any("kept one snapshot, of epoch 100" in i.value and "nothing to replay" in i.value
               for i in at.info)
    assert not any("Press Play" in c.value for c in at.caption)
    assert at.button(key="replay_play_button").disabled
