"""Training curves and run tables: pure functions from metrics rows to frames and Plotly figures."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from ui.figures.labels import nice_ticks
from ui.forms.runs import natural_key
from ui.style import (AXIS_ROOM_LEFT, ELBO_COLOUR, MEAN_COLOUR, PRIOR_COLOUR, WIDTH_COLOUR,
                      room_below)

from vae.run import format_seconds

PARTS = (("recon", "Reconstruction  −log p(x|z)"), ("kl", "KL(q(z|x) ‖ N(0, I))"),
         ("neg_elbo", "−ELBO = recon + KL"))
SHORT = {"recon": "Reconstruction", "kl": "KL", "neg_elbo": "−ELBO"}  # in a hover's words
TRAIN_COLOR, TEST_COLOR = "#636EFA", "#EF553B"
REPLAY_COLOURS = {"neg_elbo": ELBO_COLOUR, "recon": MEAN_COLOUR, "kl": WIDTH_COLOUR}
OVERLAY_COLOURS = qualitative.Plotly  # one per run, in the order Plotly gave them


def metrics_frames(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split metrics.jsonl rows into (step rows, epoch rows), each sorted by step."""
    df = pd.DataFrame(rows)
    if df.empty or "kind" not in df:
        empty = pd.DataFrame(columns=["step", "epoch"])
        return empty, empty
    steps = df[df["kind"] == "step"].sort_values("step").reset_index(drop=True)
    epochs = df[df["kind"] == "epoch"].sort_values("step").reset_index(drop=True)
    return steps, epochs


def loss_curves_figure(rows: list[dict], *, cursor_step: int | None = None,
                       height: int = 330, title: str | None = None) -> go.Figure:
    """Reconstruction, KL and -ELBO against the step: train (every logged step) and test (epochs).
    The legend sits under the panels: above them, Plotly's toolbar covers it."""
    steps, epochs = metrics_frames(rows)
    fig = make_subplots(rows=1, cols=3, subplot_titles=[title for _, title in PARTS],
                        horizontal_spacing=0.06)
    # train: every logged step, a thin line; test: each epoch's end, a line with markers
    series = (("train", steps, "lines", dict(color=TRAIN_COLOR, width=1.5)),
              ("test", epochs, "lines+markers", dict(color=TEST_COLOR, width=2)))
    for col, (part, _) in enumerate(PARTS, start=1):
        for split, frame, mode, line in series:
            if f"{split}/{part}" not in frame:
                continue
            fig.add_trace(go.Scatter(
                x=frame["step"], y=frame[f"{split}/{part}"], mode=mode, name=split,
                legendgroup=split, showlegend=col == 1, line=line, customdata=frame["epoch"],
                hovertemplate=("step %{x}<br>epoch %{customdata}<br>%{y:.2f} nats"
                               f"<extra>{split}</extra>")),
                row=1, col=col)
        fig.update_xaxes(title_text="step", row=1, col=col)
    fig.update_yaxes(title_text="nats per image", row=1, col=1)
    if cursor_step is not None:
        for col in (1, 2, 3):
            fig.add_vline(x=cursor_step, line_dash="dot", line_color="gray", row=1, col=col)
    top, total = (70, height + 70) if title else (40, height + 40)
    fig.update_layout(height=total,
                      # the margins hold the axes and the legend's one row: Plotly draws it once
                      margin=dict(l=AXIS_ROOM_LEFT, r=10, t=top,
                                  b=room_below(total, top, -0.22, 1)),
                      hovermode="x unified", title=title,
                      legend=dict(orientation="h", yanchor="top", y=-0.22, x=0, xanchor="left"))
    return fig


MAX_TRAIN_POINTS = 2000  # per curve sent to the browser: more than a panel's pixels across


def _thinned(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Logged steps to send to the browser: all of them, or every k-th and the last past
    MAX_TRAIN_POINTS. Returns the rows and k."""
    stride = max(1, math.ceil(len(frame) / MAX_TRAIN_POINTS))
    if stride == 1:
        return frame, 1
    keep = list(range(0, len(frame), stride))
    if keep[-1] != len(frame) - 1:
        keep.append(len(frame) - 1)
    return frame.iloc[keep].reset_index(drop=True), stride


def _thousands(ticks: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """Step ticks as Plotly writes them: 2000 as "2k", 1500 as "1.5k", 3000000 as "3M"."""
    top = max((abs(v) for v, _ in ticks), default=0)
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if top >= scale:
            return [(v, "0" if v == 0 else f"{v / scale:g}{suffix}") for v, _ in ticks]
    return ticks


def _y_axis(values: list[pd.Series], ticks: int = 5) -> tuple[list[float], list[tuple[float, str]]]:
    """A panel's y range (every value, with 5% to spare, as Plotly autoscales) and about `ticks`
    ticks."""
    finite = pd.concat(values)
    finite = finite[np.isfinite(finite)]
    if finite.empty:
        return [0.0, 1.0], nice_ticks(0.0, 1.0, ticks)
    lo, hi = float(finite.min()), float(finite.max())
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi) * 0.05, 0.5)
    lo, hi = lo - pad, hi + pad
    return [lo, hi], nice_ticks(lo, hi, ticks)


def _numbers(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """These columns of `frame` as floats: a value that is not a number (a damaged log line)
    becomes NaN, a gap in the line. metrics.jsonl is checked as it is read (RunDir.read_metrics),
    so a column is nearly always numeric already and is converted whole."""
    out = pd.DataFrame(index=frame.index)
    for name in columns:
        values = frame[name] if name in frame else pd.Series(math.nan, index=frame.index)
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            out[name] = values.astype(float)
        else:
            out[name] = values.map(lambda v: float(v) if isinstance(v, (int, float))
                                   and not isinstance(v, bool) else math.nan).astype(float)
    return out


def _column(frame: pd.DataFrame, name: str) -> list:
    """A numeric column as JSON numbers (None where missing or not finite)."""
    return [v if math.isfinite(v) else None for v in frame[name].tolist()]


def curves_view(rows: list[dict], *, title: str) -> dict:
    """The three loss curves of `loss_curves_figure` as plain numbers, for the component that
    draws them in the browser (ui.components.z_cloud.loss_curves): while a run trains, the Train
    page sends new numbers every second and the element redraws in place, where a Plotly chart
    is mounted anew. Train: every logged step, or every k-th (and the last) past
    MAX_TRAIN_POINTS; test: each epoch's end. Each column is sent once (`data`); a panel's
    curves name theirs."""
    steps, epochs = metrics_frames(rows)
    steps, stride = _thinned(steps)  # before anything else is done with the rows
    steps = _numbers(steps, ["step", "epoch"] + [f"train/{part}" for part, _ in PARTS])
    epochs = _numbers(epochs, ["step", "epoch"] + [f"test/{part}" for part, _ in PARTS])
    last = max([float(f["step"].max()) for f in (steps, epochs) if f["step"].notna().any()]
               or [1.0])
    x_range = [0.0, max(last, 1.0)]
    train = dict(key="train", label="train", source="train", colour=TRAIN_COLOR, width=1.5,
                 dots=False)
    test = dict(key="test", label="test", source="test", colour=TEST_COLOR, width=2, dots=True,
                at_epoch_end=True)
    panels = []
    for k, (part, name) in enumerate(PARTS):
        y_range, y_ticks = _y_axis([steps[f"train/{part}"], epochs[f"test/{part}"]])
        panels.append({"name": name, "short": SHORT[part], "y_title": "" if k else "nats per image",
                       "y_range": y_range, "y_ticks": y_ticks,
                       "series": [{**train, "y": part}, {**test, "y": part}]})

    def data(frame: pd.DataFrame, split: str) -> dict:
        return {"step": _column(frame, "step"), "epoch": _column(frame, "epoch"),
                **{part: _column(frame, f"{split}/{part}") for part, _ in PARTS}}

    return {
        "title": title, "layout": "row", "plot_height": 300, "unit": "nats",
        "x": "step", "x_title": "step", "x_range": x_range,
        "x_ticks": _thousands(nice_ticks(*x_range, 4)),
        "data": {"train": data(steps, "train"), "test": data(epochs, "test")},
        "panels": panels, "cursor": None,
        "legend": [{"label": "train (every logged step)" if stride == 1 else
                    f"train (one logged step in {stride})", "colour": TRAIN_COLOR, "width": 1.5,
                    "dots": False},
                   {"label": "test (each epoch's end)", "colour": TEST_COLOR, "width": 2,
                    "dots": True}],
    }


def replay_curves_view(epoch, recon, kl, neg_elbo, cursor: int | None, *, title: str) -> dict:
    """Replay's test curves by epoch, for the same component: −ELBO and reconstruction above, KL
    below, and a cursor at the epoch replayed. Play moves the cursor every frame; drawn in
    place, only the numbers travel."""
    frame = _numbers(pd.DataFrame({"epoch": epoch, "recon": recon, "kl": kl,
                                   "neg_elbo": neg_elbo}), ["epoch", "recon", "kl", "neg_elbo"])
    last = max(float(frame["epoch"].max()) if frame["epoch"].notna().any() else 1.0, 1.0,
               float(cursor or 0))  # a snapshot past the last logged epoch stays in the plot
    x_range = [-0.03 * last, 1.03 * last]  # from epoch 0, with room for the end markers

    def curve(key: str, label: str, colour: str) -> dict:
        return dict(key=key, label=label, source="test", y=key, colour=colour, width=2, dots=True)

    top = [curve("neg_elbo", "test −ELBO", REPLAY_COLOURS["neg_elbo"]),
           curve("recon", "test reconstruction", REPLAY_COLOURS["recon"])]
    bottom = [curve("kl", "test KL", REPLAY_COLOURS["kl"])]
    panels = []
    for series, share, y_title in ((top, 0.6, "nats / image"), (bottom, 0.4, "KL, nats")):
        y_range, y_ticks = _y_axis([frame[s["y"]] for s in series], ticks=round(6 * share))
        panels.append({"name": "", "short": "", "y_title": y_title, "share": share,
                       "y_range": y_range, "y_ticks": y_ticks, "series": series})
    return {
        "title": title, "layout": "column", "plot_height": 300, "unit": "nats",
        "x": "epoch", "x_title": "epoch", "x_range": x_range,
        "x_ticks": [t for t in nice_ticks(*x_range, 5) if t[0] >= 0 and t[0] == int(t[0])],
        "data": {"test": {c: _column(frame, c) for c in ("epoch", "recon", "kl", "neg_elbo")}},
        "panels": panels, "cursor": None if cursor is None else float(cursor),
        "cursor_colour": PRIOR_COLOUR,
        "legend": [{"label": s["label"], "colour": s["colour"], "width": 2, "dots": True}
                   for s in top + bottom],
    }


def runs_overlay_view(curves: dict[str, list[dict]], metric: str = "test/neg_elbo", *,
                      title: str, y_title: str) -> dict:
    """The Runs page's overlay as plain numbers for the curves component
    (ui.components.z_cloud.loss_curves): one line per run for one metric, in Plotly's colours. A
    test metric against the epoch (each epoch's end, with dots); a training one against the step
    (every logged step, or every k-th past MAX_TRAIN_POINTS), its hover naming the epoch too.
    Runs without the metric are left out; a value that is not a number is a gap."""
    test = metric.startswith("test/")
    x = "epoch" if test else "step"
    data, series, legend, values = {}, [], [], []
    for k, (name, rows) in enumerate(curves.items()):
        steps, epochs = metrics_frames(rows)
        frame = epochs if test else steps
        if metric not in frame or frame.empty:
            continue
        frame, stride = (frame, 1) if test else _thinned(frame)
        frame = _numbers(frame, ["step", "epoch", metric])
        source = f"run {len(data)}"  # a run's name is words, not a key the browser trusts
        data[source] = {"step": _column(frame, "step"), "epoch": _column(frame, "epoch"),
                        "y": _column(frame, metric)}
        colour = OVERLAY_COLOURS[k % len(OVERLAY_COLOURS)]
        label = name if stride == 1 else f"{name} (one logged step in {stride})"
        series.append(dict(key=source.replace(" ", "-"), label=name, source=source, y="y",
                           colour=colour, width=2, dots=test))
        legend.append({"label": label, "colour": colour, "width": 2, "dots": test})
        values += [frame[x], frame[metric]]
    xs = [v for v in values[0::2] if v.notna().any()]
    last = max([float(v.max()) for v in xs] or [1.0])
    x_range = [0.0, max(last, 1.0)] if not test else [0.0, max(last, 1.0) * 1.03]
    y_range, y_ticks = _y_axis(values[1::2] or [pd.Series([], dtype=float)])
    ticks = nice_ticks(*x_range, 6 if test else 4)  # steps as Train's: 1k, 2k, 3k
    return {
        "title": title, "layout": "row", "plot_height": 340,
        "unit": "" if metric.endswith("active_units") else "nats",
        "x": x, "x_title": x, "x_range": x_range,
        "x_ticks": ([t for t in ticks if t[0] >= 0 and t[0] == int(t[0])] if test
                    else _thousands(ticks)),
        "data": data, "cursor": None, "legend": legend,
        "panels": [{"name": "", "short": "", "y_title": y_title, "y_range": y_range,
                    "y_ticks": y_ticks, "series": series}],
    }


def epochs_done(rows: list[dict]) -> int:
    """How many epochs have finished: the last epoch line of metrics.jsonl (0 before the first)."""
    done = [r.get("epoch") for r in rows if r.get("kind") == "epoch"]
    return max((int(e) for e in done if isinstance(e, (int, float))), default=0)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def epoch_words(state: str, done: int, total) -> str:
    """One way to say where a run is, for the runs table, the progress bar and the banners:
    "3 of 10 done, 4th running"; "3 of 10 done" when it is not training."""
    words = f"{done} of {total if total is not None else '?'} done"
    if state == "running" and (not isinstance(total, int) or done < total):
        words += f", {_ordinal(done + 1)} running"
    return words


def progress_summary(status: dict, done: int | None = None) -> dict:
    """Numbers for a progress bar from a run's status.json and its finished epochs: fraction and
    words. samples/s and the ETA are left out until the trainer has measured them."""
    total = status.get("total_steps") or 0
    step = status.get("step") or 0
    fraction = min(1.0, step / total) if total else 0.0
    if done is None:  # status.json's epoch is the one in progress
        done = max(int(status.get("epoch") or 1) - 1, 0)
    parts = [f"epochs: {epoch_words(status.get('state', 'running'), done, status.get('epochs'))}",
             f"step {step:,} of {total:,}"]
    rate, eta = status.get("samples_per_s"), status.get("eta_s")
    if rate:  # 0 or None: not measured yet
        parts.append(f"{rate:,.0f} samples/s")
    if rate and eta is not None and math.isfinite(eta):
        parts.append(f"ETA {format_seconds(eta)}")
    return {"fraction": fraction, "text": " · ".join(parts)}


def runs_table(summaries: list[dict]) -> pd.DataFrame:
    """A row per run for display, sorted by name with numbers read as numbers (beta2 before
    beta16); `summaries` come from run_summary(). The processes column is there only when some
    run trained on more than one: a column of 1s would push the last one out of view."""
    columns = ["run", "status", "dataset", "arch", "hidden", "latent", "beta", "epochs",
               "processes", "test −ELBO", "test recon", "test KL", "active units"]
    table = pd.DataFrame(summaries, columns=columns)
    if table.empty:
        return table
    table = table.iloc[sorted(range(len(table)), key=lambda i: natural_key(str(table["run"].iloc[i])))]
    if table["processes"].fillna(1).le(1).all():
        table = table.drop(columns="processes")
    return table.reset_index(drop=True)


def run_summary(name: str, model_cfg: dict, train_cfg: dict, status: dict,
                rows: list[dict]) -> dict:
    # the last test epoch's row, read without a DataFrame: a table of 13 runs is drawn on every
    # visit of Train and Runs, and building their frames took 60 ms of it
    epochs = [r for r in rows if r.get("kind") == "epoch"]
    last = max(epochs, key=lambda r: r.get("step", 0)) if epochs else {}
    done = epochs_done(rows)
    return {
        "run": name, "status": status.get("state", "new"), "dataset": train_cfg.get("dataset"),
        "arch": model_cfg.get("arch"), "hidden": ",".join(map(str, model_cfg.get("hidden", []))),
        "latent": model_cfg.get("latent_dim"), "beta": model_cfg.get("beta"),
        "epochs": epoch_words(status.get("state", "new"), done, train_cfg.get("epochs")),
        "processes": train_cfg.get("world_size", 1),  # torchrun's N of the last session
        "test −ELBO": _num(last, "test/neg_elbo"), "test recon": _num(last, "test/recon"),
        "test KL": _num(last, "test/kl"), "active units": None if _num(last, "test/active_units") is None else int(last["test/active_units"]),
    }


def _num(row, key):
    try:
        value = row[key]
    except (KeyError, IndexError, TypeError):
        return None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 2)
