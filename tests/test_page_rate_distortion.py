"""AppTest of the Rate and distortion page: the plane from every run, the dataset filter, a real
beta sweep launched into a scratch runs root, and the collapse warning."""
import base64
import json
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import run_page

from vae import explain as ex
from vae.runs import RunDir, list_runs



def _open(run="mnist5k-2d") -> AppTest:
    return run_page("rate_distortion", run)


def _plane(at: AppTest) -> dict:
    for el in at.get("plotly_chart"):
        if "rd_plane" in el.proto.id:
            return json.loads(el.proto.spec)
    raise AssertionError("no rate-distortion chart")


def _arr(values) -> np.ndarray:
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values)


def test_every_run_of_the_dataset_is_a_point_at_its_last_epoch(runs_root):
    at = _open()
    assert at.button_group(key="rd_dataset").value == "mnist-5k"
    plotted = {}
    for trace in _plane(at)["data"]:
        for name, x, y in zip(trace["text"], _arr(trace["x"]), _arr(trace["y"])):
            plotted[name] = (x, y)
    expected = {p.name: (p.kl, p.recon) for p in map(ex.run_point, list_runs(runs_root))
                if p and p.dataset == "mnist-5k"}
    assert set(plotted) == set(expected) == {"mnist5k-2d", "mnist5k-2d-ae"}
    for name, (kl, recon) in expected.items():
        assert plotted[name] == pytest.approx((kl, recon))
    assert not at.warning, "no shipped run has a collapsed posterior"
    assert len(at.dataframe[0].value) == 2


def test_dataset_filter_shows_the_other_runs(runs_root):
    at = _open()
    at.button_group(key="rd_dataset").set_value("fashion-mnist").run()
    names = {n for t in _plane(at)["data"] for n in t["text"]}
    assert names == {"fashion-2d", "fashion-16d"}
    assert any("fashion-16d uses" in i.value for i in at.info), "unused dims of the 16-D run"


def test_no_runs_is_explained(empty_runs_root):
    at = run_page("rate_distortion", run=None)
    assert any("plane is empty" in i.value for i in at.info)


def test_beta_sweep_trains_runs_that_fill_the_plane(scratch_root):
    at = _open()
    at.multiselect(key="rd_betas").set_value([0.3, 32.0])
    at.number_input(key="rd_epochs").set_value(1)
    at.button(key="rd_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    sweep = at.session_state["rd_sweep"]
    assert len(sweep) == 2, "the click returns at once with both runs launched"
    assert not at.error, [e.value for e in at.error]  # none "did not finish": they are starting
    deadline = time.monotonic() + 600  # a cap, not a wait: a loaded 2-core machine is slow
    while time.monotonic() < deadline:
        states = [RunDir(scratch_root / n).read_status().get("state") for n in sweep]
        if all(s in ("finished", "failed", "stopped") for s in states):
            break
        time.sleep(0.5)
    assert states == ["finished", "finished"], f"sweep runs ended as {states}"
    at.run()
    assert not at.exception
    names = {n for t in _plane(at)["data"] for n in t["text"]}
    assert set(sweep) <= names, "each finished sweep run is a point"
    points = [ex.run_point(RunDir(scratch_root / n)) for n in sweep]
    assert [p.beta for p in points] == [0.3, 32.0]
    collapsed = [p.name for p in points if p.collapsed]
    warning = " ".join(w.value for w in at.warning)
    assert all(n in warning for n in collapsed), "the warning names every collapsed run"
    assert (not collapsed) == (not at.warning), "a warning exactly when a run collapsed"
    assert "2 of 2 runs finished" in at.get("progress")[0].proto.text


def test_a_corrupt_run_is_left_off_the_plane(scratch_root):
    (scratch_root / "broken").mkdir()
    (scratch_root / "broken" / "config.json").write_text("{not json")
    at = _open("broken")
    names = {n for t in _plane(at)["data"] for n in t["text"]}
    assert names == {"mnist5k-2d"}
