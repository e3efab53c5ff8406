"""AppTest of the Runs page: the table, overlaid curves, downloads, resume and delete."""
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import component_data, page_app

from vae.run import DEFAULT_ROOT
from ui.sections.runs import DELETE_OPEN


@pytest.fixture
def tmp_root(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    root.mkdir()
    for name in ("mnist5k-2d", "mnist5k-2d-ae"):
        shutil.copytree(DEFAULT_ROOT / name, root / name)
    monkeypatch.setenv("VAE_RUNS_ROOT", str(root))
    return root


def page(run="mnist5k-2d") -> AppTest:
    return page_app("runs", run)


def test_table_lists_every_run_with_its_final_metrics(tmp_root):
    at = page().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["run"].tolist() == ["mnist5k-2d", "mnist5k-2d-ae"]
    assert table["beta"].tolist() == [1.0, 0.0]
    assert (table["status"] == "finished").all()


def _overlaid(at: AppTest) -> list[str]:
    view = component_data(at, "runs_overlay")
    return [s["label"] for s in view["panels"][0]["series"]]


def test_overlay_draws_a_line_per_chosen_run(tmp_root):
    at = page().run()
    assert not at.get("plotly_chart"), "the overlay is drawn from numbers"
    assert _overlaid(at) == ["mnist5k-2d", "mnist5k-2d-ae"]
    assert component_data(at, "runs_overlay")["filename"] == "runs-test-neg_elbo.svg"
    at.multiselect[0].set_value(["mnist5k-2d-ae"]).run()
    assert _overlaid(at) == ["mnist5k-2d-ae"]
    at.selectbox[0].set_value("train/kl").run()
    view = component_data(at, "runs_overlay")
    assert view["x"] == "step" and view["filename"] == "runs-train-kl.svg"


def test_downloads_are_offered(tmp_root):
    at = page().run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Whole run (.zip)", "Weights (model.safetensors)", "Config (config.json)",
                      "Metrics (CSV)", "Offline demo (.html)"]


def test_delete_needs_the_name_typed(tmp_root):
    at = page("mnist5k-2d-ae").run()
    assert not [b for b in at.button if b.label == "Delete"], "closed: drawn only when opened"
    at.session_state[DELETE_OPEN] = True  # a person opens "Delete this run" first
    at.run()
    delete = [b for b in at.button if b.label == "Delete"][0]
    assert delete.disabled
    at.text_input(key="confirm_delete").set_value("mnist5k-2d-ae").run()
    [b for b in at.button if b.label == "Delete"][0].click().run()
    assert not at.exception
    assert not (tmp_root / "mnist5k-2d-ae").exists()
    assert (tmp_root / "mnist5k-2d").exists()


def test_a_corrupt_run_is_named_not_raised(tmp_root):
    (tmp_root / "broken").mkdir()
    (tmp_root / "broken" / "config.json").write_text("{not json")
    at = page().run()
    assert not at.exception
    assert any("corrupt" in w.value for w in at.warning)


def test_empty_state_explains_what_to_do(empty_runs_root):
    at = page_app("runs").run()
    assert not at.exception
    assert "No runs yet" in at.info[0].value


def test_tables_refresh_only_while_a_run_trains(tmp_root):
    """any_training decides whether the Runs and Train tables refresh every 2 s: a run is
    training while a trainer holds its lock, and a finished run's stale 'running' does not count."""
    from ui.cache.runs import any_training
    from vae.run import list_runs

    runs = list_runs(tmp_root)
    assert not any_training(runs), "the shipped runs are finished"
    trained = runs[0]
    status = trained.read_status()
    trained.write_status(**{**status, "state": "running"})
    assert not any_training(runs), "'running' in status.json with no lock holder is stale"
    with trained.lock():
        assert any_training(runs)
    assert not any_training(runs)


def test_the_comparison_opens_on_the_active_run_and_says_why_beta0_rises(tmp_root, runs_root):
    at = page_app("runs", "mnist5k-16d-beta2").run()  # every shipped run (runs_root)
    assert not at.exception
    (chosen,) = at.multiselect
    assert chosen.value[0] == "mnist5k-16d-beta2", "the active run first"
    assert len(chosen.value) == 4 and not any(n.startswith("fashion") for n in chosen.value), (
        "then runs on the same data only")
    options = chosen.options
    assert options.index("mnist5k-16d-beta2") < options.index("mnist5k-16d-beta16"), "natural sort"
    assert at.selectbox[0].value == "test/neg_elbo"
    assert "test −ELBO" in at.selectbox[0].options[0], "metrics are named in words"
    chosen.set_value(["mnist5k-16d-beta1", "mnist5k-16d-beta2"]).run()
    assert not any("plain autoencoder" in c.value for c in at.caption), "no beta = 0 run shown"
    at.multiselect[0].set_value(["mnist5k-16d-beta0", "mnist5k-16d-beta1", "mnist5k-2d-ae"]).run()
    (note,) = [c.value for c in at.caption if "plain autoencoder" in c.value]
    # the 2-D autoencoder's -ELBO falls over training: it is not said to rise
    assert note.startswith("**mnist5k-16d-beta0** is a plain autoencoder (β = 0)")
    assert "measured, not trained" in note and "its −ELBO rises" in note
    at.selectbox[0].set_value("test/recon").run()
    assert not any("plain autoencoder" in c.value for c in at.caption), "no KL on this curve"


def test_the_runs_table_is_tall_enough_for_every_run(runs_root):
    from ui.style import table_height
    at = page_app("runs", "mnist5k-2d").run()
    n = len(at.dataframe[0].value)
    assert n > 10, "the shipped runs are more than a default table shows"
    assert table_height(n) == 35 * (n + 1) + 3, "every row and the header, no scroll bar"
    assert table_height(0) == 38
