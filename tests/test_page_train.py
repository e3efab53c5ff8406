"""AppTest of the Train page: the form starts a real trainer process; bad input is refused in words."""
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import component_data, page_app
from ui.sections.train import FORM_OPEN
from ui.figures.curves import metrics_frames

from vae.run import RunDir


def page(form_open: bool = True) -> AppTest:
    """The Train page, its "Start a new run" form open (a person opens it with a click)."""
    at = page_app("train")
    if form_open:
        at.session_state[FORM_OPEN] = True
    return at


def _start_buttons(at: AppTest) -> list:
    return [b for b in at.button if b.label == "Start training"]


def test_the_form_is_drawn_only_while_open(scratch_root):
    """With runs to follow, the form is closed and its fields are not drawn at all; opened, they
    are."""
    at = page(form_open=False).run()
    assert not at.exception
    assert not _start_buttons(at) and not at.text_input, "closed: nothing of the form is drawn"
    assert at.expander[0].label == "Start a new run"
    at.session_state[FORM_OPEN] = True
    at.run()
    assert _start_buttons(at) and [t.label for t in at.text_input][:1] == ["Data folder or file"]


def test_the_form_is_open_while_there_are_no_runs(empty_runs_root):
    """Open at first while there are no runs, and it stays open when the first run appears (the
    expander's default is kept for the session: a changed default made it a new expander,
    closed, which unmounted the form with what was typed in the browser, or a submission in
    flight)."""
    from tests.conftest import _copy_runs
    at = page(form_open=False).run()
    assert not at.exception
    assert _start_buttons(at), "no runs yet: the form is open"
    _copy_runs(empty_runs_root, ["mnist5k-2d"])  # a run appears (another tab, the CLI)
    at.run()
    assert not at.exception
    assert _start_buttons(at), "the first run closed the form"


def set_field(at, label, value):
    for kind in (at.text_input, at.number_input):
        matches = [w for w in kind if w.label == label]
        if matches:
            matches[0].set_value(value)
            return
    raise AssertionError(f"no field labelled {label!r}")


def submit(at):
    [b for b in at.button if b.label == "Start training"][0].click().run()


def test_shows_runs_and_the_finished_run(scratch_root):
    at = page().run()
    assert not at.exception
    assert at.dataframe[0].value["run"].tolist() == ["mnist5k-2d"]
    epochs = RunDir(scratch_root / "mnist5k-2d").read_config()[1].epochs
    assert any(f"Finished {epochs} epochs" in s.value for s in at.success)
    assert not at.get("plotly_chart"), "the curves and the posterior are drawn from numbers"
    # the posterior: every test image's mu, a sample of their sigma ellipses, the class names
    from ui.cache.runs import encode_test_set
    enc = encode_test_set(RunDir(scratch_root / "mnist5k-2d"))
    plane = component_data(at, "posterior")
    assert plane["background"]["x"] == np.round(enc["mu"][:, 0].astype(float), 4).tolist()
    assert plane["background"]["i"] == enc["index"].tolist()
    assert len(plane["ellipses"]["x"]) == 400 and plane["prior_radii"] == [1, 2, 3]
    assert sorted(lb["text"] for lb in plane["class_labels"]) == [str(d) for d in range(10)]
    assert plane["filename"] == "mnist5k-2d-latent.svg"
    # the curves: drawn in the browser from the run's logged numbers (ui.components.z_cloud)
    curves = component_data(at, "curves")
    steps, epochs = metrics_frames(RunDir(scratch_root / "mnist5k-2d").read_metrics())
    assert curves["data"]["train"]["step"] == steps["step"].astype(float).tolist()
    assert curves["data"]["test"]["neg_elbo"] == epochs["test/neg_elbo"].astype(float).tolist()
    assert curves["filename"] == "mnist5k-2d-curves.svg"


def test_bad_input_is_refused_in_words_and_creates_nothing(scratch_root):
    at = page().run()
    set_field(at, "Hidden sizes", "12,x")
    set_field(at, "Run name (optional)", "bad run")
    submit(at)
    assert not at.exception
    text = at.error[0].value
    assert "The run was not started" in text and "Hidden sizes" in text and "Run name" in text
    assert sorted(p.name for p in scratch_root.iterdir()) == ["mnist5k-2d"]


@pytest.mark.slow
def test_missing_dataset_is_reported_by_the_trainer(scratch_root, monkeypatch):
    monkeypatch.delenv("VAE_MNIST_DIR", raising=False)
    at = page().run()
    at.selectbox[0].set_value("mnist")
    set_field(at, "Run name (optional)", "needs-files")
    submit(at)
    assert not at.exception
    assert not at.error, "Start returns at once: the trainer's words come when it exits"
    assert any("is starting" in i.value or "Starting the trainer" in i.value for i in at.info)
    rerun_until(at, lambda: at.error, "the trainer's refusal")
    assert "Full MNIST needs your own files" in at.error[0].value
    assert not (scratch_root / "needs-files").exists()


# Budget for a trainer process to get going and finish; it is only a cap, the loops end on the
# event. On a loaded 2-core machine importing torch alone takes 10+ s and training runs at tens of
# samples/s, so the cap is generous.
TRAINER_CAP_S = 600


def rerun_until(at, predicate, what: str) -> None:
    deadline = time.monotonic() + TRAINER_CAP_S
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.5)
        at.run()
        assert not at.exception, [e.value for e in at.exception]


@pytest.mark.slow
def test_start_returns_at_once_and_the_trainer_finishes(scratch_root):
    at = page().run()
    at.selectbox[0].set_value("digits")  # 1,437 8x8 images: a short run even on a loaded machine
    set_field(at, "Run name (optional)", "from-the-form")
    set_field(at, "Epochs", "2")
    submit(at)
    assert not at.exception
    assert at.session_state["active_run"] == "from-the-form"
    assert at.subheader[0].value == "Run from-the-form"
    states = at.dataframe[0].value.set_index("run")["status"]
    assert states["from-the-form"] in ("starting", "running"), "the new run is listed at once"
    order = [type(e).__name__ + ":" + str(getattr(e, "value", "")) for e in at.main
             if type(e).__name__ in ("Subheader", "Dataframe")]
    assert order[0] == "Subheader:Run from-the-form", "its progress comes right under the form"
    assert any("stStatusWidget" in str(h.proto) for h in at.get("html")), (
        "Streamlit's own Stop is hidden while the live parts refresh")
    run = RunDir(scratch_root / "from-the-form")
    rerun_until(at, lambda: run.read_status().get("state") in ("finished", "failed"),
                "the run to finish")
    assert run.read_status()["state"] == "finished", run.read_status()
    assert [r["epoch"] for r in run.read_metrics() if r["kind"] == "epoch"] == [1, 2]
    at.run()
    assert any("Finished" in s.value for s in at.success)
    assert at.dataframe[0].value.set_index("run")["epochs"]["from-the-form"] == "2 of 2 done"


def test_empty_state_explains_what_to_do(empty_runs_root):
    at = page().run()
    assert not at.exception
    assert "No runs yet" in at.info[0].value


def test_a_run_whose_trainer_died_shows_as_interrupted_and_resumable(scratch_root):
    run = RunDir(scratch_root / "mnist5k-2d")
    status = run.read_status()
    run.write_status(**{**status, "state": "running", "pid": 2**22 + 12345, "epoch": 12})
    at = page()
    at.query_params["run"] = "mnist5k-2d"
    at.run()
    assert not at.exception
    assert "was interrupted" in at.warning[0].value
    assert [b.label for b in at.button if b.label == "Resume"] == ["Resume"]


def test_processes_field_only_when_the_machine_has_more_than_one_core(scratch_root, monkeypatch):
    import vae.launch

    monkeypatch.setattr(vae.launch, "max_processes", lambda: 4)
    at = page().run()
    (field,) = [w for w in at.number_input if w.label == "Processes"]
    assert field.value == 1 and field.max == 4
    assert [w for w in at.selectbox if w.label == "Precision"][0].value == "fp32"
    monkeypatch.setattr(vae.launch, "max_processes", lambda: 1)
    at = page().run()
    assert not [w for w in at.number_input if w.label == "Processes"], "one core: nothing to split"


def test_a_one_epoch_run_is_said_to_have_finished_one_epoch(scratch_root):
    run = RunDir(scratch_root / "mnist5k-2d")
    status = run.read_status()  # the trainer's own words for a 1-epoch run
    run.write_status(**{**status, "message": "Finished 1 epochs; test -ELBO 190.00 nats/image."})
    at = page()
    at.query_params["run"] = "mnist5k-2d"
    at.run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Finished 1 epoch; test -ELBO 190.00 nats/image."]


def test_a_changed_state_redraws_the_page_before_any_button_is_drawn(scratch_root, monkeypatch):
    """The live section is a fragment; when the run's state changes, the whole page is redrawn.
    That happens before the fragment draws the run's buttons: a Resume drawn by the fragment run
    that the page's rerun then replaced was a button of a fragment the server no longer had, and
    a click on it in between was lost (seen under load: the server logged "Couldn't find
    fragment"). So every time the controls are drawn, the state they are drawn for is the one the
    page was last drawn for."""
    import streamlit as st

    import ui.sections.train as train
    drawn = []
    controls = train._state_controls

    def recording(run, status, state, done):
        drawn.append((state, st.session_state["_live_state"][run.name]))
        controls(run, status, state, done)

    monkeypatch.setattr(train, "_state_controls", recording)
    at = page()
    at.query_params["run"] = "mnist5k-2d"
    at.session_state["_live_state"] = {"mnist5k-2d": "running"}  # the page last drew it training
    at.run()
    assert not at.exception
    assert drawn and all(state == seen for state, seen in drawn), drawn
    assert [s.value for s in at.success if "Finished" in s.value]


def test_a_trainer_that_has_written_its_end_is_shown_exiting_without_buttons(scratch_root):
    """Between a trainer's last status ("stopped") and its exit, the run's lock is still held: the
    page says so, with the trainer's words, and offers neither Stop nor a Resume that would be
    refused."""
    run = RunDir(scratch_root / "mnist5k-2d")
    status = run.read_status()
    with run.lock():
        run.write_status(**{**status, "state": "stopped",
                            "message": "Stopped at epoch 12 of 30; resume to continue."})
        at = page()
        at.query_params["run"] = "mnist5k-2d"
        at.run()
        assert not at.exception
        assert [i.value for i in at.info if "exiting" in i.value] == [
            "Stopped at epoch 12 of 30; resume to continue. The trainer is exiting; this page "
            "follows it."]
        assert not [b.label for b in at.button if b.label in ("Stop", "Resume")]
        assert not [w.value for w in at.warning if "is stopped" in w.value]
    at.run()  # the trainer has exited
    assert not at.exception
    assert [b.label for b in at.button if b.label == "Resume"] == ["Resume"]
