"""The Streamlit side's access to runs: which run is active, and cached models and encodings.

Caches are keyed on the weights file's modification time, so a run that is still training is
re-read after each epoch and a finished one is read once.
"""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import numpy as np
import plotly
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from ui.cache.posterior import LatentSummary, latent_summary
from ui.figures.curves import run_summary, runs_table
from ui.figures.latent import posterior_figure
from ui.forms.imported import imported_from, untrusted_note
from ui.forms.text import plain
from ui.style import table_height
from vae.data import (CUSTOM, Dataset, DatasetError, binarized, data_options, dataset_stamp,
                      load_dataset)
from vae import derived
from vae.trust import code_trusted, is_code_run
from vae.launch import launch_status, pending_launches
from vae.run import DEFAULT_ROOT, NeedsTrust, RunDir, RunError, list_runs
from vae.run.status import HELD

DEFAULT_RUN = "mnist5k-2d"
NEEDS_TRUST = "needs --trust-code"  # a run whose model is imported code, shown while not trusted
MAX_POINTS = 10_000


def run_problems(run: RunDir) -> list[str]:
    """What is wrong with the run (RunDir.problems), its files named inside the run, not by path."""
    return [p.replace(f"{run.path}/", "").replace(str(run.path), run.name) for p in run.problems()]


def show_damaged(damaged: dict[str, list[str]]) -> None:
    """One collapsed box listing the damaged runs and what is wrong with each."""
    if not damaged:
        return
    with st.expander(f"{len(damaged)} damaged run{'s' * (len(damaged) != 1)}: what is wrong",
                     icon=":material/warning:"):
        st.warning("\n".join(f"- **{plain(name)}** is damaged: " + plain(" ".join(problems))
                             for name, problems in damaged.items()))


def run_summaries(runs: list[RunDir]) -> tuple[list[dict], dict[str, list[str]]]:
    """(a runs-table row per run, {name: what is wrong} for damaged runs). A damaged run keeps its
    row, with status "damaged", so that one bad folder never hides the others or itself."""
    summaries, damaged = [], {}
    for r in runs:
        problems = run_problems(r)
        if problems:
            damaged[r.name] = problems
        try:
            model_cfg, train_cfg = r.read_config()
        except RunError:
            summaries.append({"run": r.name, "status": "damaged"})
            continue
        status = run_status(r)
        if problems:
            status = {**status, "state": "damaged"}
        elif is_code_run(model_cfg) and not code_trusted():
            status = {**status, "state": NEEDS_TRUST}
        summary = run_summary(r.name, model_cfg.to_dict(), vars(train_cfg), status,
                              r.read_metrics())
        if imported_from(r) is not None:
            summary["epochs"] = "imported"  # trained elsewhere: not "0 of 1 done"
        summaries.append(summary)
    return summaries, damaged


def runs_root() -> Path:
    """Where runs live; VAE_RUNS_ROOT lets tests and users point elsewhere."""
    return Path(os.environ.get("VAE_RUNS_ROOT") or DEFAULT_ROOT)


def all_runs() -> list[RunDir]:
    return list_runs(runs_root())


def active_run() -> RunDir | None:
    """The run chosen in the sidebar (kept in the URL as ?run=NAME), or None when there are none.
    A run this dashboard has just launched counts before its folder exists (it is "starting").
    dashboard.py stops with a message when the name is no run at all (missing_run)."""
    runs = {r.name: r for r in all_runs()}
    name = requested_run()
    if name is not None and name not in runs:
        runs.update({r.name: r for r in pending_launches(runs_root())})
    if not runs:
        return None
    if name not in runs:
        name = DEFAULT_RUN if DEFAULT_RUN in runs else next(iter(runs))
    return runs[name]


def requested_run() -> str | None:
    """The run named by this session's sidebar choice or by the URL's ?run=."""
    return st.session_state.get("active_run") or st.query_params.get("run") or None


def missing_run() -> str | None:
    """The requested run's name when no run (nor a launch of this dashboard) has it."""
    name = requested_run()
    if name is None:
        return None
    runs = all_runs()
    if not runs or name in {r.name for r in runs}:
        return None
    if name in {r.name for r in pending_launches(runs_root())}:
        return None
    return name


def set_active_run(name: str) -> None:
    st.session_state["active_run"] = name
    st.query_params["run"] = name


def picked_run(value: str) -> str:
    """The run named by the box's value. The browser sends back the label it shows, and a label
    can be older than the run's state ("e2e-tiny · running" once it has stopped): Streamlit
    then returns that label, not a run. Run names have no " · " (vae.run.NAME_RE)."""
    return str(value).partition(" · ")[0]


def run_status(run: RunDir) -> dict:
    """The run's status.json, except while a trainer this dashboard launched has not written it
    yet: then {"state": "starting"} (or "failed" with the trainer's words, if it died first)."""
    launched = launch_status(run)
    if launched is not None:
        return launched
    if not run.path.exists():
        return {"state": "missing"}
    return run.read_status()


def is_training(run: RunDir) -> bool:
    """Whether a trainer holds the run or is starting it (run_status: the launch counts too)."""
    return run_status(run).get("state") in HELD


def any_training(runs: list[RunDir]) -> bool:
    """Whether any run trains or is starting, or a trainer launched here has no folder yet: pages
    refresh their runs tables every 2 s while this holds, and not at all otherwise."""
    return (any(is_training(r) for r in runs)
            or bool(pending_launches(runs_root())))


def live_runs_table(runs: list[RunDir], with_pending: bool = False) -> None:
    """The runs table (what is wrong with damaged runs below it), refreshed every 2 s while any
    run trains or starts. with_pending lists first the runs this dashboard launched whose trainer
    has not written their folder yet."""
    @st.fragment(run_every=2.0 if any_training(runs) else None)
    def runs_overview() -> None:
        summaries, damaged = run_summaries(all_runs())
        if with_pending:
            shown = {s["run"] for s in summaries}
            for r in pending_launches(runs_root()):
                if r.name not in shown:
                    summaries.insert(0, {"run": r.name, "status": launch_status(r)["state"]})
        table = runs_table(summaries)  # every run in view, not ten and a scroll bar
        st.dataframe(table, hide_index=True, width="stretch", height=table_height(len(table)))
        show_damaged(damaged)
        untrusted = [s["run"] for s in summaries if s.get("status") == NEEDS_TRUST]
        if untrusted:
            st.caption(untrusted_note(untrusted))

    runs_overview()


def weights_mtime(run: RunDir, epoch: int | None = None) -> float:
    path = run.weights_file if epoch is None else run.snapshot_dir / f"epoch_{epoch:04d}.safetensors"
    try:
        return path.lstat().st_mtime  # lstat: a link is refused when loaded, never followed here
    except OSError:
        return 0.0


@st.cache_resource(max_entries=12, show_spinner=False)
def _model(path: str, epoch: int | None, mtime: float, trusted: bool):
    return RunDir(path).load_model(epoch=epoch)  # trusted: a model made of code needs it


def load_model(run: RunDir, epoch: int | None = None):
    """The run's model (latest weights, or an epoch's snapshot), in eval mode on the CPU."""
    return _model(str(run.path), epoch, weights_mtime(run, epoch), code_trusted())


@st.cache_resource(max_entries=4, show_spinner="Loading the dataset…")
def _dataset(name: str, data_dir: str | None, options: tuple = (), stamp: tuple = (),
             binarize: bool = False) -> Dataset:
    data = load_dataset(name, data_dir, **dict(options))  # stamp: a changed image folder reloads
    return binarized(data) if binarize else data  # a --binarize run's fixed 0/1 test set


def dataset_key(run: RunDir) -> tuple:
    """Everything that changes what run_dataset(run) returns: the dataset's name, its folder or
    file, the image size and split of your own images, and the folder's stamp (files added,
    removed or replaced). Every cache of something computed from a run's data is keyed on it."""
    _, train_cfg = run.read_config()
    options = data_options(train_cfg.dataset, train_cfg.image_size, train_cfg.split_seed,
                           train_cfg.test_fraction)
    stamp = dataset_stamp(train_cfg.data_dir) if train_cfg.dataset in CUSTOM else ()
    return (train_cfg.dataset, train_cfg.data_dir, tuple(sorted(options.items())), stamp,
            train_cfg.binarize)


def run_dataset(run: RunDir) -> Dataset:
    return _dataset(*dataset_key(run))


_PROJECT = Path(__file__).resolve().parents[2]
# the code a test set's encoding comes from: one kept on disk is used only with this very code
ENCODING_CODE = (_PROJECT / "vae" / "model.py", _PROJECT / "vae" / "model_config.py",
                 _PROJECT / "vae" / "run" / "checkpoints.py", _PROJECT / "ui" / "cache" / "runs.py",
                 _PROJECT / "ui" / "cache" / "posterior.py")
SUMMARY = ("kl_per_dim", "var_mu", "active")  # LatentSummary's fields, kept with the encoding


def _weights_path(run: RunDir, epoch: int | None) -> Path:
    return run.weights_file if epoch is None else run.snapshot_dir / f"epoch_{epoch:04d}.safetensors"


def _encoding_key(run: RunDir, epoch: int | None, max_points: int, data_key: tuple) -> dict | None:
    """What a kept encoding of the run's test set is keyed on (vae.derived), or None where none is
    kept: a replay snapshot's (the pages open on the latest weights: a run of 30 epochs would keep
    30 encodings for one first page), or a model made of its own code (its code may change under
    the same weights)."""
    if epoch is not None:
        return None
    try:
        config, _ = run.read_config()
    except RunError:
        return None  # loading says what is wrong
    if is_code_run(config):
        return None
    return {"weights": derived.file_digest(run.weights_file), "model": config.to_dict(),
            "max_points": max_points, "data": data_key, "code": derived.code_digest(*ENCODING_CODE)}


@st.cache_data(max_entries=16, show_spinner="Encoding the test set…")
def _encode(path: str, epoch: int | None, mtime: float, max_points: int, data_key: tuple,
            trusted: bool) -> dict:
    run = RunDir(path)  # trusted: a model made of code loads (and encodes) only when trusted
    # Kept on disk (vae.derived), keyed on the weights' bytes: a server started later draws the
    # first page from it without loading PyTorch. Same bytes, same config and code: the weights
    # loaded and passed their checks when it was written. Tagged with the weights' digest, which
    # ui.serve's warm-up looks for.
    key = _encoding_key(run, epoch, max_points, data_key)
    tag = key["weights"] if key is not None else None
    if tag is not None and (kept := derived.read(derived.TEST_ENCODING, key, tag=tag)) is not None:
        return arrays_back(kept)
    import torch

    model = load_model(run, epoch)
    data = run_dataset(run)
    if data.image_shape != model.config.image_shape:
        raise RunError(f"its model takes images of shape {model.config.image_shape}, but its "
                       f"dataset has images of shape {data.image_shape}.")
    n = min(max_points, len(data.test_x))
    x = torch.from_numpy(data.test_x[:n].copy())
    with torch.no_grad():
        mus, stds = [], []
        for i in range(0, n, 2000):
            q = model.encode(x[i:i + 2000])
            mus.append(q.mu)
            stds.append(q.std)
    enc = {"mu": torch.cat(mus).numpy(), "std": torch.cat(stds).numpy(),
           "labels": data.test_y[:n].copy(), "index": np.arange(n)}
    summary = latent_summary(enc["mu"], enc["std"])
    enc.update((name, getattr(summary, name)) for name in SUMMARY)
    # Not while the run trains (its next epoch replaces the weights: only the last are worth
    # keeping), and only if the weights file still holds the bytes that were keyed.
    if tag is not None and not is_training(run) and derived.file_digest(run.weights_file) == tag:
        derived.write(derived.TEST_ENCODING, key, {k: _array_json(v) for k, v in enc.items()}, tag=tag)
    return enc


def _array_json(a: np.ndarray) -> dict:
    """An array as plotly.io writes numpy to JSON (arrays_back reads it)."""
    a = np.ascontiguousarray(a)
    return {"dtype": a.dtype.str, "bdata": base64.b64encode(a.tobytes()).decode(),
            "shape": list(a.shape)}


def encode_test_set(run: RunDir, epoch: int | None = None, max_points: int = MAX_POINTS) -> dict:
    """mu and sigma (N, D) of up to `max_points` test images, with their labels and indices, and
    the summary of q(z|x) over them (LatentSummary's fields)."""
    return _encode(str(run.path), epoch, weights_mtime(run, epoch), max_points, dataset_key(run),
                   code_trusted())


def summary_of(enc: dict) -> LatentSummary:
    """latent_summary of an encode_test_set result, computed once with the encoding and kept with
    it: a page reads it instead of computing it again on every rerun."""
    return LatentSummary(*(enc[name] for name in SUMMARY))


# the code a posterior figure is drawn by: a kept figure is used only with this very code
FIGURE_CODE = (_PROJECT / "ui" / "figures", _PROJECT / "ui" / "style.py",
               _PROJECT / "vae" / "explain.py", _PROJECT / "vae" / "losses.py")


@st.cache_data(max_entries=16, show_spinner="Drawing every test image's posterior…")
def _posterior_figure(path: str, epoch: int | None, mtime: float, max_points: int,
                      data_key: tuple, options: tuple) -> dict:
    run = RunDir(path)
    weights = _weights_path(run, epoch)
    # kept on disk too (vae.derived): a server started later draws its first page without
    # computing the density again
    key = {"weights": derived.file_digest(weights), "max_points": max_points,
           "data": data_key, "options": options, "code": derived.code_digest(*FIGURE_CODE),
           "plotly": plotly.__version__}
    if key["weights"] is not None and (kept := derived.read("posterior-figure", key)) is not None:
        return arrays_back(kept)
    enc = _encode(path, epoch, mtime, max_points, data_key, code_trusted())
    data = run_dataset(run)
    fig = posterior_figure(enc["mu"], enc["std"], enc["labels"], data.class_names,
                           index=enc["index"], **dict(options))
    if key["weights"] is not None:
        derived.write("posterior-figure", key, json.loads(pio.to_json(fig, validate=False)))
    return fig.to_dict()


def arrays_back(spec):
    """A Plotly spec read from JSON with its typed arrays ({"dtype", "bdata"[, "shape"]}, as
    plotly.io writes numpy) made numpy arrays again, as Figure.to_dict() gives them."""
    if isinstance(spec, dict):
        if "bdata" in spec and "dtype" in spec and set(spec) <= {"bdata", "dtype", "shape"}:
            arr = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=spec["dtype"]).copy()
            shape = spec.get("shape")
            if shape is not None:
                arr = arr.reshape([int(n) for n in str(shape).split(",")] if isinstance(shape, str)
                                  else shape)
            return arr
        return {k: arrays_back(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [arrays_back(v) for v in spec]
    return spec


def cached_posterior_figure(run: RunDir, epoch: int | None = None, max_points: int = MAX_POINTS,
                            **options) -> go.Figure:
    """ui.figures.latent.posterior_figure of the run's test set. Its spec is computed once per
    weights file and options (the density is the slow part) and cached as data; every call builds a Figure of its own from a copy of that data, so
    a page may add traces to it and no two sessions ever share one Plotly object."""
    key = tuple(sorted((k, tuple(map(int, v)) if k == "dims" else v) for k, v in options.items()))
    return go.Figure(_posterior_figure(str(run.path), epoch, weights_mtime(run, epoch),
                                       max_points, dataset_key(run), key))


def _redraw_when_weights_saved(run: RunDir) -> None:
    """Check every second, and redraw the whole page once the run's first weights are saved (or
    its trainer has stopped without them: the page then says why)."""
    @st.fragment(run_every=1.0)
    def watch() -> None:
        if run.weights_file.exists() or not is_training(run):
            st.rerun(scope="app")

    watch()


def require_model(run: RunDir | None, epoch: int | None = None):
    """The run's model, or an explained stop of the page when there is none to show."""
    return _require(run, lambda: load_model(run, epoch))


def require_encoded(run: RunDir | None) -> dict:
    """encode_test_set(run), or the same explained stop as require_model. For a page that needs
    the model only when asked (the Latent page: a selection, a drawing): where the encoding of
    these very weights is kept on disk, nothing loads the model or PyTorch."""
    return _require(run, lambda: encode_test_set(run))


def _require(run: RunDir | None, load):
    if run is None:
        st.info("There are no runs yet. Train one on the **Train** page, or copy a run folder into "
                f"`{runs_root()}`.")
        st.stop()
    if not run.weights_file.exists() and is_training(run):
        st.info(f"Run **{plain(run.name)}** is training and has no weights yet: this page shows it "
                "as soon as its first epoch has saved them. The **Train** page follows it live.",
                icon=":material/hourglass_top:")
        _redraw_when_weights_saved(run)
        st.stop()
    try:
        loaded = load()
        data = run_dataset(run)
        config, _ = run.read_config()
    except NeedsTrust as exc:
        st.info(f"Run **{plain(run.name)}** {plain(exc.reason)}", icon=":material/lock:")
        st.stop()
    except RunError as exc:
        st.error(f"Run **{plain(run.name)}** cannot be opened: {plain(exc)}")
        st.stop()
    except DatasetError as exc:
        st.error(f"The dataset of run **{plain(run.name)}** is not available: {plain(exc)}")
        st.stop()
    if data.image_shape != config.image_shape:  # a copied-in config that lies
        st.error(f"Run **{plain(run.name)}** cannot be opened: its model takes images of shape "
                 f"{plain(config.image_shape)}, but its dataset has images of shape "
                 f"{plain(data.image_shape)}.")
        st.stop()
    return loaded
