"""AppTest of the Replay page: the epoch slider and Play move every view to the same snapshot."""
import base64
import shutil

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import plotly_spec, run_page

from vae import explain as ex
from vae.data import load_dataset
from vae.run import RunDir



def _open(run="mnist5k-2d") -> AppTest:
    return run_page("replay", run)


def _arr(values) -> np.ndarray:
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values)


def _metrics(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


def test_opens_at_the_last_snapshot_with_its_numbers(runs_root):
    at = _open()
    rows = RunDir(runs_root / "mnist5k-2d").read_metrics()
    last = [r for r in rows if r.get("kind") == "epoch"][-1]
    assert at.select_slider(key="replay_epoch").value == last["epoch"], \
        "open on the trained model, not noise"
    assert at.session_state["replay_play"] is False
    assert _metrics(at)["test -ELBO (nats)"] == f"{last['test/neg_elbo']:.1f}"
    assert _metrics(at)["KL"] == f"{last['test/kl']:.2f}"


def test_slider_moves_cursor_scatter_and_metrics_together(runs_root):
    at = _open()
    E = int(at.select_slider(key="replay_epoch").options[1])  # a snapshot short of the end
    at.select_slider(key="replay_epoch").set_value(E).run()
    assert not at.exception
    curves = plotly_spec(at, "replay_curves")
    assert {s["x0"] for s in curves["layout"]["shapes"]} == {E}, "the cursor sits at epoch E"
    scatter = plotly_spec(at, "replay_scatter")
    assert scatter["layout"]["title"]["text"] == f"Posterior means at epoch {E}"
    run = RunDir(runs_root / "mnist5k-2d")
    row = [r for r in run.read_metrics() if r.get("kind") == "epoch" and r["epoch"] == E][0]
    assert _metrics(at)["test -ELBO (nats)"] == f"{row['test/neg_elbo']:.1f}"
    # the scatter's points are the epoch-E snapshot's encoder means
    model = run.load_model(epoch=E)
    x = load_dataset("mnist-5k").test_x
    digits0 = [t for t in scatter["data"] if t.get("name") == "0"][0]
    first_zero = int(np.flatnonzero(load_dataset("mnist-5k").test_y == 0)[0])
    mu, _ = ex.encode_one(model, x[first_zero])
    assert _arr(digits0["x"])[0] == pytest.approx(mu[0], abs=1e-4)


def test_play_advances_and_pause_stops(runs_root):
    at = _open()
    epochs = [int(e) for e in at.select_slider(key="replay_epoch").options]
    at.button(key="replay_play_button").click().run()
    assert at.session_state["replay_play"] is True
    assert at.select_slider(key="replay_epoch").value == epochs[1], "each frame moves one on"
    at.button(key="replay_pause").click().run()
    assert at.session_state["replay_play"] is False
    assert at.select_slider(key="replay_epoch").value == epochs[1]


def test_play_at_the_end_starts_over(runs_root):
    at = _open()
    epochs = [int(e) for e in at.select_slider(key="replay_epoch").options]
    at.select_slider(key="replay_epoch").set_value(epochs[-1]).run()
    at.button(key="replay_play_button").click().run()
    assert at.select_slider(key="replay_epoch").value == epochs[1], "started over: one frame on"


def test_speed_control(runs_root):
    at = _open()
    at.button_group(key="replay_speed").set_value("fast").run()
    assert not at.exception and at.button_group(key="replay_speed").value == "fast"


def test_autoencoder_replays_its_five_epoch_snapshots(runs_root):
    at = _open("mnist5k-2d-ae")
    snaps = sorted(int(p.stem.split("_")[-1]) for p in
                   (runs_root / "mnist5k-2d-ae" / "snapshots").glob("*.safetensors"))
    assert at.select_slider(key="replay_epoch").options == [str(e) for e in snaps]


def test_a_run_without_snapshots_is_explained(tmp_path, monkeypatch):
    src = RunDir(__import__("vae.run", fromlist=["DEFAULT_ROOT"]).DEFAULT_ROOT / "mnist5k-2d")
    dest = tmp_path / "runs" / "nosnap"
    dest.mkdir(parents=True)
    for f in ("config.json", "metrics.jsonl", "model.safetensors", "status.json"):
        shutil.copy(src.path / f, dest / f)
    monkeypatch.setenv("VAE_RUNS_ROOT", str(tmp_path / "runs"))
    at = _open("nosnap")
    assert "no per-epoch snapshots" in at.info[0].value
