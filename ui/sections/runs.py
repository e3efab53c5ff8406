"""The Runs page's sections: import a .zip, compare curves, and the active run's downloads,
resume and delete. The page (pages/runs.py) says which come in which order."""
import json

import pandas as pd
import streamlit as st

from ui.cache.runs import (active_run, all_runs, dataset_key, run_problems, runs_root,
                           set_active_run)
from ui.export import download_button as export_button
from ui.components.z_cloud import loss_curves
from ui.figures.curves import metrics_frames, runs_overlay_view
from ui.forms.imported import imported_names
from ui.forms.runs import METRICS, autoencoder_note, rises
from ui.forms.text import code, plain
from ui.forms.uploads import release_upload, upload_key
from vae.archive import MAX_UNPACKED_BYTES, MAX_ZIP_BYTES, MB, ArchiveError, import_run, pack_run
from vae.archive import run_files
from vae.launch import delete_run, resume_training
from vae.run import RunError


def _import_upload(key: str) -> None:
    """Runs once per file chosen (on_change), so a rerun never imports the same zip twice; the
    upload is let go of afterwards, imported or refused, so its bytes do not stay in memory."""
    upload = st.session_state.get(key)
    if upload is None:
        return
    try:
        imported = import_run(upload.getvalue(), runs_root(), source=upload.name)
    except ArchiveError as exc:
        st.session_state["_import_result"] = ("error", f"**{plain(upload.name)}** was not imported: "
                                                        f"{plain(exc)}")
    else:
        set_active_run(imported.run.name)
        st.session_state["_import_result"] = ("success", " ".join(
            [f"Imported **{plain(upload.name)}** as run **{plain(imported.run.name)}**; it is now "
             "the active run."] + [plain(note) for note in imported.notes]))
    finally:
        release_upload("import_zip")


def import_section() -> None:
    """The .zip import, open while there are no runs."""
    with st.expander("Import a run (.zip)", expanded=not all_runs()):
        zip_key = upload_key("import_zip")
        st.file_uploader(
            "A run someone else trained, as a .zip of its folder", type=["zip"], key=zip_key,
            on_change=_import_upload, args=(zip_key,), max_upload_size=MAX_ZIP_BYTES // MB,
            help=f"At most {MAX_ZIP_BYTES // MB} MB, unpacking to at most "
                 f"{MAX_UNPACKED_BYTES // MB:,} MB. Kept only if every file checks out: config.json, "
                 "model.safetensors whose shapes match it, metrics.jsonl, snapshots/; no links, no "
                 "paths outside the run, no pickles (resume.pt is dropped).")
        kind, message = st.session_state.pop("_import_result", (None, None))
        if kind:
            getattr(st, kind)(message)


def _data_of(r) -> tuple | None:
    try:
        return dataset_key(r)
    except RunError:  # a damaged run's config: it is simply not offered as comparable
        return None


def comparable(runs: dict, active, max_runs: int = 4) -> list[str]:
    """The active run first, then runs trained on the same data (healthy, with curves here)."""
    imported = imported_names(runs.values())
    same = _data_of(active) if active is not None else None
    others = [n for n, r in runs.items() if n != getattr(active, "name", None)
              and not run_problems(r) and n not in imported
              and (same is None or _data_of(r) == same)]
    first = [active.name] if active is not None and active.name in runs else []
    return (first + others)[:max_runs]


def compare_curves(runs: dict) -> None:
    """Curves of several runs, opening on the active run and the runs on the same data."""
    st.subheader("Curves of several runs")
    st.caption("Opens on the active run and the runs trained on the same data; add or remove any.")
    left, right = st.columns([3, 2])  # room for the metric's words ("test −ELBO: ...")
    chosen = left.multiselect("Runs", list(runs), default=comparable(runs, active_run()))
    metric = right.selectbox("Metric", list(METRICS), format_func=METRICS.get)
    if set(chosen) & set(imported_names(runs.values())):
        st.caption("Imported runs were trained elsewhere and have no curves here: "
                   + plain(", ".join(sorted(set(chosen) & set(imported_names(runs.values()))))) + ".")
    if chosen:
        # drawn from numbers: another run or metric redraws the same element (ui.components)
        loss_curves(runs_overlay_view({n: runs[n].read_metrics() for n in chosen}, metric,
                                      title=METRICS[metric],
                                      y_title="active dims" if metric.endswith("active_units")
                                      else "nats per image"),
                    key="runs_overlay", run_name="runs", figure=metric.replace("/", "-"))
        betas, rising = {}, {}
        for n in chosen:
            steps, epochs = metrics_frames(runs[n].read_metrics())
            frame = epochs if metric.startswith("test/") else steps
            rising[n] = metric in frame and rises(frame[metric].tolist())
            try:
                betas[n] = runs[n].read_config()[0].beta
            except RunError:
                pass  # a damaged run: the table above says what is wrong with it
        if (note := autoencoder_note(betas, metric, rising)) is not None:
            st.caption(note)
    else:
        st.caption("Choose runs to overlay their curves.")


DELETE_OPEN = "runs_delete_open"  # the expander's key: whether "Delete this run" is open


def delete_section(run) -> None:
    """Delete, once the run's name is typed. Drawn only while open (the expander reruns the page
    when opened or closed): a visit draws its title."""
    box = st.expander("Delete this run", key=DELETE_OPEN, on_change="rerun")
    if not box.open:
        return
    with box:
        st.write(f"This removes the folder {code(run.path)} with its weights and metrics. It cannot be "
                 "undone.")
        confirm = st.text_input(f"Type {plain(run.name)} to confirm", key="confirm_delete")
        if st.button("Delete", type="primary", disabled=confirm != run.name):
            try:
                delete_run(run)  # and its launch log
            except RunError as exc:
                st.error(plain(exc))
            else:
                st.session_state.pop("active_run", None)
                st.query_params.pop("run", None)
                st.toast(f"Deleted {plain(run.name)}.")
                st.rerun()


def metrics_csv(run) -> bytes:
    """The run's metrics.jsonl as one CSV table, steps and epochs in step order."""
    steps, epochs = metrics_frames(run.read_metrics())
    table = (pd.concat([steps, epochs]).sort_values(["step", "kind"])
             if len(steps) or len(epochs) else steps)
    if "test/kl_per_dim" in table:
        table["test/kl_per_dim"] = table["test/kl_per_dim"].map(
            lambda v: json.dumps(v) if isinstance(v, list) else "")
    return table.to_csv(index=False).encode()


def active_run_section(run) -> None:
    """The active run's downloads, resume form and delete."""
    st.subheader(f"Run {plain(run.name)}")
    st.caption("The active run, chosen in the sidebar.")
    status = run.read_status()
    state = status.get("state", "new")
    try:
        model_cfg, train_cfg = run.read_config()
    except RunError as exc:
        st.error(plain(exc))
        delete_section(run)  # a damaged run can still be deleted
        st.stop()

    c0, c1, c2, c3 = st.columns(4)
    try:
        run_files(run)
    except RunError as exc:
        c0.warning(f"Not packed as a .zip: {plain(exc)}")
    else:  # packed when clicked (deferred), not on every rerun
        c0.download_button("Whole run (.zip)", lambda: pack_run(run), file_name=f"{run.name}.zip",
                           mime="application/zip", on_click="ignore",
                           help="config, weights, metrics, status and snapshots; import it on another "
                                "dashboard's Runs page (resume.pt, a pickle, is left out).")
    for column, label, path, file_name, mime in (
            (c1, "Weights (model.safetensors)", run.weights_file, f"{run.name}.safetensors",
             "application/octet-stream"),
            (c2, "Config (config.json)", run.config_file, f"{run.name}-config.json", "application/json")):
        try:  # never through a link: a copied-in run must not hand out a file from elsewhere
            run.check_download(path)
        except FileNotFoundError:
            continue
        except RunError as exc:
            column.warning(f"Not offered for download: {plain(exc)}")
            continue
        # read when clicked, with the same checks: sent with the page, the weights (megabytes)
        # were read, hashed, gzipped by the server and fetched by the browser on every visit
        column.download_button(label, lambda path=path: run.download_bytes(path),
                               file_name=file_name, mime=mime, on_click="ignore")
    c3.download_button("Metrics (CSV)", lambda: metrics_csv(run),
                       file_name=f"{run.name}-metrics.csv",
                       mime="text/csv", on_click="ignore")
    export_button(st, run, key="export_html")

    if state in ("stopped", "interrupted", "finished", "failed"):
        with st.form("resume"):
            st.markdown(f"**Resume** {plain(run.name)}: it is {plain(state)} at epoch "
                        f"{plain(status.get('epoch', '?'))} of {train_cfg.epochs}.")
            target = st.number_input("Train up to epoch", min_value=train_cfg.epochs,
                                     max_value=10_000, value=train_cfg.epochs + (
                                         5 if state == "finished" else 0))
            if st.form_submit_button("Resume training"):
                try:
                    resume_training(run, epochs=int(target))
                except RunError as exc:
                    st.error(f"Could not resume: {plain(exc)}")
                else:
                    set_active_run(run.name)
                    st.switch_page("pages/train.py")

    delete_section(run)
