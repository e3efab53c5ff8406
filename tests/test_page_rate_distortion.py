"""AppTest of the Rate and distortion page: the plane from every run, the dataset filter, a real
beta sweep launched into a scratch runs root, and the collapse warning."""
import base64
import json
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import BETA_FAMILY, page_app, run_page

from vae import betas as vb
from vae.run import RunDir, list_runs



def _open(run="mnist5k-2d") -> AppTest:
    # the first open fits the pixel classifier and scores the family's runs: minutes on a loaded 2-core box
    at = page_app("rate_distortion", run, timeout=900)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _chart(at: AppTest, key: str) -> dict:
    for el in at.get("plotly_chart"):
        if key in el.proto.id:
            return json.loads(el.proto.spec)
    raise AssertionError(f"no chart {key}")


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
    expected = {p.name: (p.kl, p.recon) for p in map(vb.run_point, list_runs(runs_root))
                if p and p.dataset == "mnist-5k"}
    assert set(plotted) == set(expected) == {"mnist5k-2d", "mnist5k-2d-ae", *BETA_FAMILY}
    for name, (kl, recon) in expected.items():
        assert plotted[name] == pytest.approx((kl, recon))
    collapsed = [p.name for p in map(vb.run_point, list_runs(runs_root))
                 if p and p.dataset == "mnist-5k" and p.collapsed]
    assert (not collapsed) == (not at.warning), "a collapse warning exactly when a run collapsed"
    table = at.dataframe[0].value
    assert len(table) == 2 + len(BETA_FAMILY), "the 2-D pair and the beta family"
    assert (table["inactive dims"] == table["latent dim"] - table["active units"]).all()
    assert set(table["collapsed"]) <= {"yes", "no"}, "the collapsed column is filled for every run"
    plane = _plane(at)
    assert plane["layout"]["yaxis"]["range"][0] == 0, "distortion compared from zero"
    x_axis = plane["layout"]["xaxis"]
    assert x_axis.get("type") == "log" and "does not start at zero" in x_axis["title"]["text"]


def test_the_beta_family_shows_collapse(runs_root):
    at = _open()
    points = {p.name: p for p in map(vb.run_point, list_runs(runs_root)) if p}
    family = [points[n] for n in BETA_FAMILY]
    assert any(h.value == f"Collapse, seen: {len(BETA_FAMILY)} runs that differ in β only" for h in at.header)
    bars = _chart(at, "rd_family_active")
    assert list(_arr(bars["data"][0]["y"])) == [p.active_units for p in family]
    assert bars["layout"]["yaxis"]["range"][0] == 0
    heat = _chart(at, "rd_family_kl")
    assert len(heat["data"][0]["y"]) == len(BETA_FAMILY) and len(heat["data"][0]["x"]) == 16
    text = " ".join(m.value for m in at.markdown)
    first, last = family[0], family[-1]
    assert (f"active units go from {first.active_units} to {last.active_units} of 16" in text)
    assert f"reconstruction error rises from {first.recon:.1f} to {last.recon:.1f}" in text
    assert text.count("% recognised") == len(BETA_FAMILY), "each beta's prior samples carry their share"
    assert len(at.get("image")) == 1 + 2 * len(BETA_FAMILY), "test images, then a reconstruction and a sample row"
    collapsed = [p for p in points.values() if p.collapsed and p.dataset == family[0].dataset]
    warning = next(w.value for w in at.warning if "Posterior collapse" in w.value)
    assert ("Its encoder ignores x" if len(collapsed) == 1 else "Their encoders ignore x") in warning


def test_dataset_filter_shows_the_other_runs(runs_root):
    at = _open()
    at.button_group(key="rd_dataset").set_value("fashion-mnist").run()
    names = {n for t in _plane(at)["data"] for n in t["text"]}
    assert names == {"fashion-2d", "fashion-16d"}
    assert any("fashion-16d uses" in i.value for i in at.info), "unused dims of the 16-D run"


def test_no_runs_is_explained(empty_runs_root):
    at = run_page("rate_distortion", run=None)
    assert any("plane is empty" in i.value for i in at.info)


@pytest.mark.slow
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
    points = [vb.run_point(RunDir(scratch_root / n)) for n in sweep]
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
