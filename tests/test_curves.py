"""Figure builders for curves and run tables: data in, Plotly figure or frame out."""
import json
import math

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
import pytest

from ui.figures.curves import (MAX_TRAIN_POINTS, PARTS, _ordinal, curves_view, epoch_words,
                               epochs_done, loss_curves_figure, metrics_frames, progress_summary,
                               replay_curves_view, run_summary, runs_overlay_view, runs_table)
from vae.run import RunDir
from vae.run import DEFAULT_ROOT


@pytest.fixture(scope="module")
def rows():
    return RunDir(DEFAULT_ROOT / "mnist5k-2d").read_metrics()


def test_metrics_frames_split_steps_and_epochs(rows):
    steps, epochs = metrics_frames(rows)
    assert len(steps) + len(epochs) == len(rows)
    assert set(epochs["kind"]) == {"epoch"} and set(steps["kind"]) == {"step"}
    assert list(epochs["epoch"]) == list(range(1, len(epochs) + 1))


def test_metrics_frames_of_nothing_are_empty():
    steps, epochs = metrics_frames([])
    assert steps.empty and epochs.empty


def test_loss_curves_have_train_and_test_for_each_part(rows):
    fig = loss_curves_figure(rows)
    assert isinstance(fig, go.Figure)
    names = [(t.name, t.xaxis) for t in fig.data]
    assert names == [("train", "x"), ("test", "x"), ("train", "x2"), ("test", "x2"),
                     ("train", "x3"), ("test", "x3")]
    _, epochs = metrics_frames(rows)
    test_elbo = fig.data[5]
    assert list(test_elbo.y) == pytest.approx(list(epochs["test/neg_elbo"]))


def test_loss_curves_recon_plus_kl_is_neg_elbo(rows):
    fig = loss_curves_figure(rows)
    recon, kl, elbo = fig.data[1].y, fig.data[3].y, fig.data[5].y
    for r, k, e in zip(recon, kl, elbo):
        assert r + k == pytest.approx(e, rel=1e-6)


def test_loss_curves_cursor_draws_a_line_per_panel(rows):
    fig = loss_curves_figure(rows, cursor_step=100)
    assert len([s for s in fig.layout.shapes if s.x0 == 100]) == 3


def test_loss_curves_of_a_run_without_metrics_is_empty_but_valid():
    fig = loss_curves_figure([])
    assert len(fig.data) == 0


def _line(view: dict, panel: dict, series: dict) -> tuple[list, list]:
    """A curve's x and y as the component resolves them from the view's columns."""
    columns = view["data"][series["source"]]
    return columns[view["x"]], columns[series["y"]]


def test_curves_view_sends_every_logged_value_of_the_three_parts(rows):
    """The Train page's curves, drawn in the browser from these numbers, are the figure's."""
    view = curves_view(rows, title="mnist5k-2d: loss during training")
    json.dumps(view, allow_nan=False)  # plain JSON, as the component receives it
    steps, epochs = metrics_frames(rows)
    assert [p["name"] for p in view["panels"]] == [name for _, name in PARTS]
    assert view["data"]["train"]["step"] == steps["step"].astype(float).tolist()
    assert view["data"]["test"]["epoch"] == epochs["epoch"].astype(float).tolist()
    fig = loss_curves_figure(rows)
    for k, panel in enumerate(view["panels"]):
        assert [s["key"] for s in panel["series"]] == ["train", "test"]
        for n, series in enumerate(panel["series"]):
            x, y = _line(view, panel, series)
            assert x == pytest.approx(list(fig.data[2 * k + n].x))
            assert y == pytest.approx(list(fig.data[2 * k + n].y))
        lo, hi = panel["y_range"]  # every value inside, with room to spare, as Plotly autoscales
        values = [v for s in panel["series"] for v in _line(view, panel, s)[1]]
        assert lo < min(values) and hi > max(values)
        assert all(lo <= v <= hi for v, _ in panel["y_ticks"]) and len(panel["y_ticks"]) >= 3
    assert view["x_range"] == [0.0, float(max(steps["step"].max(), epochs["step"].max()))]
    # steps in thousands are labelled as Plotly labels them
    assert [label for _, label in view["x_ticks"]] == ["0", "1k", "2k", "3k"]
    assert view["cursor"] is None and view["layout"] == "row"


def test_curves_view_of_a_long_log_keeps_every_kth_step_and_the_last():
    n = 3 * MAX_TRAIN_POINTS + 7
    rows = [{"kind": "step", "step": s, "epoch": 1 + s // 100, "train/recon": 100.0 + s,
             "train/kl": 1.0, "train/neg_elbo": 101.0 + s} for s in range(1, n + 1)]
    rows.append({"kind": "epoch", "step": n, "epoch": 1 + n // 100, "test/recon": 90.0,
                 "test/kl": 1.0, "test/neg_elbo": 91.0})
    view = curves_view(rows, title="long")
    sent = view["data"]["train"]["step"]
    assert MAX_TRAIN_POINTS / 2 < len(sent) <= MAX_TRAIN_POINTS + 1
    assert sent[0] == 1 and sent[-1] == n, "the first and the latest step are always drawn"
    stride = sent[1] - sent[0]
    assert view["legend"][0]["label"] == f"train (one logged step in {stride:.0f})", \
        "the legend does not say every step"
    assert view["x_ticks"][-1][1].endswith("k")
    assert len({b - a for a, b in zip(sent, sent[1:-1])}) == 1, "an even stride"
    assert view["data"]["train"]["recon"][-1] == 100.0 + n
    assert view["data"]["test"]["step"] == [float(n)]


def test_curves_view_gaps_a_missing_or_infinite_value_and_draws_an_empty_log():
    rows = [{"kind": "step", "step": 1, "epoch": 1, "train/recon": 5.0, "train/kl": 1.0,
             "train/neg_elbo": 6.0},
            {"kind": "step", "step": 2, "epoch": 1, "train/recon": float("inf"), "train/kl": 1.0,
             "train/neg_elbo": float("nan")},
            {"kind": "step", "step": 3, "epoch": "three", "train/recon": 4.0, "train/kl": 1.0}]
    view = curves_view(rows, title="t")
    json.dumps(view, allow_nan=False)
    train = view["data"]["train"]
    assert train["recon"] == [5.0, None, 4.0] and train["neg_elbo"] == [6.0, None, None]
    assert train["epoch"] == [1.0, 1.0, None], "a damaged line's value is a gap, not an error"
    assert view["data"]["test"]["step"] == [] and view["panels"][0]["y_range"][0] < 4.0
    empty = curves_view([], title="nothing yet")
    json.dumps(empty, allow_nan=False)
    assert empty["data"]["train"]["step"] == [] and empty["x_range"] == [0.0, 1.0]
    assert all(p["y_range"] == [0.0, 1.0] for p in empty["panels"])


def test_replay_curves_view_stacks_the_test_curves_and_marks_the_epoch():
    ep = np.arange(1, 6)
    view = replay_curves_view(ep, ep * 10.0, ep * 1.0, ep * 11.0, 3, title="at 3")
    json.dumps(view, allow_nan=False)
    assert view["layout"] == "column" and view["cursor"] == 3.0 and view["x"] == "epoch"
    top, bottom = view["panels"]
    assert [s["y"] for s in top["series"]] == ["neg_elbo", "recon"]
    assert [s["y"] for s in bottom["series"]] == ["kl"]
    assert top["share"] + bottom["share"] == pytest.approx(1.0)
    test = view["data"]["test"]
    assert test["epoch"] == [1.0, 2.0, 3.0, 4.0, 5.0] and test["neg_elbo"][2] == 33.0
    assert view["x_range"][0] < 0 < 5 < view["x_range"][1]  # room for the first and last marks
    assert [item["label"] for item in view["legend"]] == ["test −ELBO", "test reconstruction",
                                                          "test KL"]
    assert replay_curves_view(ep, ep, ep, ep, None, title="")["cursor"] is None
    # a snapshot past the last logged epoch is still inside the plot; epochs are whole ticks
    past = replay_curves_view(ep, ep * 1.0, ep * 1.0, ep * 1.0, 8, title="")
    assert past["x_range"][1] > 8
    one = replay_curves_view([1], [5.0], [1.0], [6.0], 1, title="")
    assert [v for v, _ in one["x_ticks"]] == [0.0, 1.0]


def test_step_ticks_are_written_as_plotly_writes_them():
    from ui.figures.curves import _thousands
    assert _thousands([(0.0, "0"), (500.0, "500")]) == [(0.0, "0"), (500.0, "500")]
    assert _thousands([(0.0, "0"), (1500.0, "1500")]) == [(0.0, "0"), (1500.0, "1.5k")]
    assert _thousands([(2e6, "2000000"), (4e6, "4000000")]) == [(2e6, "2M"), (4e6, "4M")]


def test_runs_overlay_is_a_line_per_run_with_the_metric(rows):
    """The Runs page's overlay, drawn in the browser: a test metric by epoch, with dots, one
    colour per run in Plotly's order; a run without the metric is left out."""
    view = runs_overlay_view({"a": rows, "b": rows[:40], "empty": []}, "test/neg_elbo",
                             title="t", y_title="nats per image")
    (panel,) = view["panels"]
    assert [s["label"] for s in panel["series"]] == ["a", "b"]
    assert [s["colour"] for s in panel["series"]] == list(qualitative.Plotly[:2])
    assert view["x"] == "epoch" and all(s["dots"] for s in panel["series"])
    _, epochs = metrics_frames(rows)
    a, b = (view["data"][s["source"]] for s in panel["series"])
    assert a["y"] == epochs["test/neg_elbo"].tolist() and a["epoch"] == epochs["epoch"].tolist()
    assert len(b["y"]) < len(a["y"])
    lo, hi = panel["y_range"]
    assert lo < min(epochs["test/neg_elbo"]) and hi > max(epochs["test/neg_elbo"])
    assert [item["label"] for item in view["legend"]] == ["a", "b"]
    json.dumps(view, allow_nan=False)


def test_runs_overlay_of_a_training_metric_is_by_step_and_thinned(rows):
    steps, _ = metrics_frames(rows)
    view = runs_overlay_view({"a": rows}, "train/kl", title="t", y_title="nats per image")
    (series,) = view["panels"][0]["series"]
    assert view["x"] == "step" and not series["dots"]
    assert view["data"][series["source"]]["y"] == steps["train/kl"].tolist()
    long = [dict(r, step=i) for i, r in enumerate(rows * 60) if r["kind"] == "step"]
    thinned = runs_overlay_view({"a": long}, "train/kl", title="t", y_title="y")
    (s,) = thinned["panels"][0]["series"]
    assert len(thinned["data"][s["source"]]["y"]) <= MAX_TRAIN_POINTS + 1
    assert thinned["legend"][0]["label"].startswith("a (one logged step in ")
    empty = runs_overlay_view({"empty": []}, "test/kl", title="t", y_title="y")
    assert empty["panels"][0]["series"] == [] and empty["legend"] == []


def test_progress_summary_words_and_fraction():
    p = progress_summary({"state": "running", "epoch": 2, "epochs": 4, "step": 50,
                          "total_steps": 200, "samples_per_s": 1234.4, "eta_s": 75})
    assert p["fraction"] == 0.25
    assert p["text"] == "epochs: 1 of 4 done, 2nd running · step 50 of 200 · 1,234 samples/s · ETA 1:15"


def test_rate_and_eta_are_hidden_until_measured():
    for rate, eta in ((0, None), (None, None), (0.0, 12.0)):
        text = progress_summary({"state": "running", "epoch": 1, "epochs": 4, "step": 3,
                                 "total_steps": 200, "samples_per_s": rate, "eta_s": eta})["text"]
        assert "samples/s" not in text and "ETA" not in text, text
    text = progress_summary({"state": "running", "epoch": 1, "epochs": 4, "step": 3,
                             "total_steps": 200, "samples_per_s": 900.0, "eta_s": None})["text"]
    assert "900 samples/s" in text and "ETA" not in text


def test_table_progress_bar_and_banner_say_the_same_epoch(rows):
    """3 epochs finished, the 4th in progress: every place says so in the same words."""
    done_rows = [r for r in rows if r.get("kind") != "epoch" or r["epoch"] <= 3]
    assert epochs_done(done_rows) == 3
    status = {"state": "running", "epoch": 4, "epochs": 10, "step": 400, "total_steps": 1000}
    run = RunDir(DEFAULT_ROOT / "mnist5k-2d")
    model_cfg, train_cfg = run.read_config()
    table = run_summary("r", model_cfg.to_dict(), {**vars(train_cfg), "epochs": 10}, status,
                        done_rows)["epochs"]
    bar = progress_summary(status, epochs_done(done_rows))["text"]
    assert table == "3 of 10 done, 4th running"
    assert table in bar and "4/10" not in bar
    assert epoch_words("stopped", 3, 10) == "3 of 10 done"
    assert [_ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]


def test_run_summary_and_table(rows):
    run = RunDir(DEFAULT_ROOT / "mnist5k-2d")
    model_cfg, train_cfg = run.read_config()
    s = run_summary(run.name, model_cfg.to_dict(), vars(train_cfg), run.read_status(), rows)
    n = train_cfg.epochs
    assert s["status"] == "finished" and s["epochs"] == f"{n} of {n} done" and s["latent"] == 2
    assert s["processes"] == 1  # a run from before torchrun: one process
    two = run_summary("two", model_cfg.to_dict(), {**vars(train_cfg), "world_size": 2}, {}, rows)
    assert two["processes"] == 2
    assert s["test −ELBO"] == pytest.approx(s["test recon"] + s["test KL"], rel=1e-6)
    last = metrics_frames(rows)[1].iloc[-1]  # the last epoch, as the curves' frames have it
    assert (s["test −ELBO"], s["test KL"], s["active units"]) == (
        round(last["test/neg_elbo"], 2), round(last["test/kl"], 2), int(last["test/active_units"]))
    table = runs_table([s])
    assert table.loc[0, "run"] == "mnist5k-2d" and not math.isnan(table.loc[0, "test KL"])


def test_the_loss_legend_sits_under_the_panels_and_the_figure_can_name_its_run():
    rows = [{"kind": "step", "step": s, "epoch": 1, "train/recon": 1.0, "train/kl": 1.0,
             "train/neg_elbo": 2.0} for s in range(1, 4)]
    fig = loss_curves_figure(rows, title="mnist5k-2d · mnist-5k")
    assert fig.layout.legend.y < 0 and fig.layout.legend.yanchor == "top", "toolbar covers it above"
    assert fig.layout.title.text == "mnist5k-2d · mnist-5k"


def test_export_config_names_the_png_after_run_and_figure():
    from ui.style import export_config
    assert export_config("mnist5k-16d-beta0.5", "latent") == {"toImageButtonOptions": {
        "format": "png", "filename": "mnist5k-16d-beta0.5-latent", "scale": 2}}
    assert export_config("a b/c", "x")["toImageButtonOptions"]["filename"] == "a-b-c-x"


def test_runs_table_sorts_numbers_as_numbers_and_drops_a_column_of_single_processes():
    rows = [{"run": n, "processes": 1} for n in ("b-beta16", "b-beta2", "a", "b-beta0.5")]
    table = runs_table(rows)
    assert table["run"].tolist() == ["a", "b-beta0.5", "b-beta2", "b-beta16"]
    assert "processes" not in table and table.columns[-1] == "active units"
    assert runs_table(rows + [{"run": "c", "processes": 2}])["processes"].tolist() == [1, 1, 1, 1, 2]
