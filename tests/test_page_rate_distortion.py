"""AppTest of the Rate and distortion page: the plane from every run, the dataset filter, a real
beta sweep launched into a scratch runs root, and the collapse warning."""
import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import BETA_FAMILY, component_data, page_app, run_page

from vae import betas as vb
from vae.run import RunDir, list_runs



def _open(run="mnist5k-2d") -> AppTest:
    # the first open fits the pixel classifier and scores the family's runs: minutes on a loaded 2-core box
    at = page_app("rate_distortion", run, timeout=900)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _plane(at: AppTest) -> dict:
    """The rate-distortion plane's numbers, as the page sends them to the browser."""
    return component_data(at, "rd_plane")


def _names(at: AppTest) -> set[str]:
    return {p["name"] for p in _plane(at)["points"]}


def test_every_run_of_the_dataset_is_a_point_at_its_last_epoch(runs_root):
    at = _open()
    assert at.button_group(key="rd_dataset").value == "mnist-5k"
    plane = _plane(at)
    # a collapsed run's rate is drawn at the log axis's floor; its hover says the true KL
    plotted = {p["name"]: (max(p["x"], 0.0), p["y"]) for p in plane["points"]}
    shown_floor = plane["x_range"][0]
    expected = {p.name: (p.kl, p.recon) for p in map(vb.run_point, list_runs(runs_root))
                if p and p.dataset == "mnist-5k"}
    assert set(plotted) == set(expected) == {"mnist5k-2d", "mnist5k-2d-ae", *BETA_FAMILY}
    for name, (kl, recon) in expected.items():
        assert plotted[name] == pytest.approx((max(kl, shown_floor), recon))
    collapsed = [p.name for p in map(vb.run_point, list_runs(runs_root))
                 if p and p.dataset == "mnist-5k" and p.collapsed]
    assert (not collapsed) == (not at.warning), "a collapse warning exactly when a run collapsed"
    table = at.dataframe[0].value
    assert len(table) == 2 + len(BETA_FAMILY), "the 2-D pair and the beta family"
    assert (table["inactive dims"] == table["latent dim"] - table["active units"]).all()
    assert set(table["collapsed"]) <= {"yes", "no"}, "the collapsed column is filled for every run"
    assert plane["y_range"][0] == 0, "distortion compared from zero"
    assert plane["x_log"] and "does not start at zero" in plane["x_title"]
    assert not at.get("plotly_chart"), "the page's charts are drawn from numbers"


def test_the_beta_family_shows_collapse(runs_root):
    at = _open()
    points = {p.name: p for p in map(vb.run_point, list_runs(runs_root)) if p}
    family = [points[n] for n in BETA_FAMILY]
    assert any(h.value == f"Collapse, seen: {len(BETA_FAMILY)} runs that differ in β only" for h in at.header)
    bars = component_data(at, "rd_family_active")
    assert [b["value"] for b in bars["bars"]] == [p.active_units for p in family]
    assert bars["y_range"][0] == 0
    heat = component_data(at, "rd_family_kl")
    assert len(heat["rows"]) == len(BETA_FAMILY) and len(heat["cols"]) == 16
    # × exactly on the dims the bars do not count
    assert [sum(not c["mark"] for c in row) for row in heat["cells"]] == \
        [p.active_units for p in family]
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
    names = _names(at)
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
    names = _names(at)
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
    names = _names(at)
    assert names == {"mnist5k-2d"}
