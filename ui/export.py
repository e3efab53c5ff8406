"""Take the demo with you: one self-contained HTML file of a run that opens from disk, makes no
request, and still decodes in the browser while you drag.

    python -m ui.export mnist5k-2d -o mnist5k-2d.html [--force]

The file carries Plotly.js, the dashboard's own browser decoder and encoder (the same asset files
the Generate and Draw pages run, read and inlined here, not copied), the weights, the test images
for hovering, and this run's figures and numbers. The Runs page and Presenter mode download the
same bytes through `export_html`.

Everything that comes from the run folder (its name, class names, config strings) is escaped
where it enters the file: HTML text through `html.escape`, JSON inside <script> with <, > and &
written as \\u escapes, Plotly labels as HTML entities (Plotly parses tags in labels).
"""
from __future__ import annotations

import os

if __name__ == "__main__":  # a terminal run: Streamlit's caches, imported below, need not warn
    import logging

    from streamlit.logger import get_logger
    get_logger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)

import argparse
import base64
import datetime as dt
import html
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import torch

# Where the dashboard's builders and browser components live: the one place to update when ui/
# is reorganised.
from ui.figures.curves import loss_curves_figure, metrics_frames
from ui.components.decoder import encode_payload, slider_ranges
from ui.components.draw import N_SAMPLES, brush_for, pad_range
from ui.figures.latent import kl_per_dim_figure, posterior_figure
from ui.figures.generate import image_grid_figure, manifold_figure, manifold_z, samples_figure
from ui.components.hover_images import encode_payload as hover_payload
from ui.components.hover_images import sprite_sheet
from ui.cache.posterior import latent_summary
from ui.style import CLASS_COLOURS, class_colours
from vae import explain as ex
from vae.trust import is_code_run
from vae.data import DATASETS, DatasetError, dataset_for
from vae.image_input import ImageInputError, framing_for
from vae.run import DEFAULT_ROOT, RunDir, RunError

HERE = Path(__file__).resolve().parent
COMPONENT_ASSETS = HERE / "components"
# The browser code the file runs: the dashboard components' own files, inlined as they are.
ASSET_FILES = {
    "decoder_core": COMPONENT_ASSETS / "decoder_core.js",
    "plane": COMPONENT_ASSETS / "plane.js",
    "explorer_js": COMPONENT_ASSETS / "latent_explorer.js",
    "explorer_html": COMPONENT_ASSETS / "latent_explorer.html",
    "explorer_css": COMPONENT_ASSETS / "latent_explorer.css",
    "draw_js": COMPONENT_ASSETS / "draw.js",
    "draw_html": COMPONENT_ASSETS / "draw.html",
    "draw_css": COMPONENT_ASSETS / "draw.css",
    "hover_js": COMPONENT_ASSETS / "hover_images.js",
    "kl_js": COMPONENT_ASSETS / "kl_calculator.js",
    "kl_html": COMPONENT_ASSETS / "kl_calculator.html",
    "kl_css": COMPONENT_ASSETS / "kl_calculator.css",
}
TEMPLATE = HERE / "export_template.html"
PAGE_JS = HERE / "export.js"

MAX_POINTS = 2000  # test points on the scatter, with ellipses and hover images: a few MB at most
DIGIT_DATASETS = ("mnist-5k", "mnist", "digits")  # where "draw a digit" means something
SEED = 0  # every draw in the file (prior samples, eps) comes from this seed: the same file twice
N_PRIOR = 32
MANIFOLD_N = 15
N_RECON = 10

# Plotly's colours for each scheme; the page applies one before drawing and on a change.
THEMES = {
    "light": {"font": {"color": "#31333f"}, "paper_bgcolor": "rgba(0,0,0,0)",
              "plot_bgcolor": "rgba(0,0,0,0)", "grid": "rgba(49,51,63,0.13)"},
    "dark": {"font": {"color": "#fafafa"}, "paper_bgcolor": "rgba(0,0,0,0)",
             "plot_bgcolor": "rgba(0,0,0,0)", "grid": "rgba(250,250,250,0.13)"},
}


CODE_RUN_PROBLEM = ("its model is imported Python code, which a page in the browser cannot run "
                    "(the dashboard decodes it on the server).")


class ExportError(Exception):
    """The run cannot be exported; the message says why, in the user's words."""


@dataclass(frozen=True)
class Precision:
    dtype: str  # "float16" or "float32": how the weights travel in the file
    max_error: float  # the largest |drawn pixel - torch float32 pixel| measured with float16
    n_checked: int  # how many decodes were compared

    def sentence(self) -> str:
        words = (f"The weights travel as float16: decoded with them, the {self.n_checked:,} "
                 f"images checked (test codes, prior samples, the manifold) stay within "
                 f"{self.max_error * 255:.2f}/255 of torch's float32 decode, as drawn.")
        if self.dtype == "float32":
            words = (f"The weights travel as float32: as float16 they would move a drawn pixel by "
                     f"up to {self.max_error * 255:.2f}/255 of torch's float32 decode (more than "
                     "1/255) over the images checked.")
        return words


# ------------------------------------------------------------------------------ escaping

def text(value) -> str:
    """Run-folder text for HTML."""
    return html.escape(str(value), quote=True)


def script_json(obj) -> str:
    """JSON that can sit inside <script>: no </script>, no <!--, no HTML entities."""
    return (json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def script_code(code: str, what: str) -> str:
    """Trusted JavaScript inlined in <script>: it must not close the element early."""
    if "</script" in code.lower() or "<!--" in code:
        code = code.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
        code = code.replace("<!--", "<\\!--")
    return code


def as_mount(code: str, name: str) -> str:
    """A component's ES module as a classic script that files its default export under
    window.__vaeMount[name] (the module's own names stay inside a function scope)."""
    marker = "export default function"
    if code.count(marker) != 1:
        raise RuntimeError(f"{name}: expected one `{marker}` in the component's JS")
    body = code.replace(marker, f"window.__vaeMount[{json.dumps(name)}] = function")
    return f"(function () {{\n{body}\n}})();"


def figure_json(fig: go.Figure) -> dict:
    """A figure as Plotly.js takes it, with room for its tick labels: the dashboard's figures
    leave that to Streamlit's theme, which turns on automargin."""
    fig = go.Figure(fig)
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return json.loads(fig.to_json())


# ------------------------------------------------------------------------------ the run's data

def _load(run: RunDir):
    try:
        model_cfg, train_cfg = run.read_config()
    except RunError as exc:
        raise ExportError(f"Run {run.name} cannot be exported: {exc}") from exc
    if not run.weights_file.exists() and not run.weights_file.is_symlink():
        raise ExportError(f"Run {run.name} has no weights yet (no model.safetensors): train it "
                          "for an epoch first, then export it.")
    try:
        model = run.load_model()
    except RunError as exc:
        raise ExportError(f"Run {run.name} cannot be exported: {exc}") from exc
    if is_code_run(model_cfg):
        raise ExportError(f"Run {run.name} cannot be exported: {CODE_RUN_PROBLEM}")
    try:
        payload = encode_payload(model, encoder=True)
    except ValueError as exc:
        raise ExportError(f"Run {run.name} cannot be exported: its architecture is one the "
                          f"browser decoder does not know ({exc}).") from exc
    del payload
    try:
        data = dataset_for(train_cfg)
    except DatasetError as exc:
        raise ExportError(f"Run {run.name} cannot be exported: its dataset is not available "
                          f"({exc})") from exc
    if tuple(data.image_shape) != tuple(model_cfg.image_shape):
        raise ExportError(f"Run {run.name} cannot be exported: its model takes images of shape "
                          f"{model_cfg.image_shape}, its dataset has {data.image_shape}.")
    return model, model_cfg, train_cfg, data


@torch.no_grad()
def _encode(model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    q = model.encode(torch.from_numpy(np.array(x, np.float32)))
    return q.mu.numpy(), q.std.numpy()


@torch.no_grad()
def _decode(model, z: np.ndarray) -> np.ndarray:
    z = torch.from_numpy(np.asarray(z, np.float32)).reshape(-1, model.config.latent_dim)
    return model.decode_mean(z).numpy()


def half_precision(model, z_checked: np.ndarray,
                   tolerance: float = 1 / 255) -> tuple[object, Precision]:
    """The model with every weight rounded to float16 when the decodes of `z_checked`, as drawn
    (rounded to 1/255), stay within `tolerance` of torch's float32 decode; else the model."""
    reference = _decode(model, z_checked)
    halved = type(model)(model.config)
    halved.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
    halved.eval()
    drawn = np.floor(np.clip(_decode(halved, z_checked), 0, 1) * 255 + 0.5) / 255
    err = float(np.abs(drawn - reference).max()) if len(reference) else 0.0
    ok = err <= tolerance
    return (halved if ok else model), Precision("float16" if ok else "float32", err, len(z_checked))


def _pack_half(payload: bytes) -> tuple[bytes, list[list[int]]]:
    """A float32 payload whose weights are float16-exact, with those blobs written as float16:
    the bytes and the [offset, count] of each halved blob in the original, for the page to widen
    back to the exact same float32 payload."""
    import struct
    head_len = struct.unpack("<I", payload[4:8])[0]
    header = json.loads(payload[8:8 + head_len])
    base = 8 + head_len
    refs = []

    def walk(layers):
        for layer in layers:
            for key in ("weight", "bias"):
                if key in layer:
                    refs.append(layer[key])
    walk(header["layers"])
    if "encoder" in header:
        walk(header["encoder"]["layers"])
        walk([header["encoder"]["mu"], header["encoder"]["logvar"]])
    refs.sort()
    out, pos = [], 0
    body = payload[base:]
    for offset, count in refs:
        out.append(body[pos:offset])
        values = np.frombuffer(body, "<f4", count=count, offset=offset)
        halved = values.astype("<f2")
        assert np.array_equal(halved.astype("<f4"), values), "weights not float16-exact"
        out.append(halved.tobytes())
        pos = offset + 4 * count
    out.append(body[pos:])
    return payload[:base] + b"".join(out), [list(r) for r in refs]


# ------------------------------------------------------------------------------ figures

def _labels(names) -> list[str]:
    """Class names for Plotly labels: entities, so a name is shown, never parsed as tags."""
    return [html.escape(str(n), quote=True) for n in names]


def _numbers(rows: list[dict]) -> dict:
    _, epochs = metrics_frames(rows)
    if epochs.empty:
        return {}
    last = epochs.iloc[-1]
    out = {"epoch": int(last["epoch"])}
    for key in ("test/neg_elbo", "test/recon", "test/kl", "train/neg_elbo"):
        if key in last and last[key] == last[key]:
            out[key] = float(last[key])
    return out


def build(run: RunDir, *, now: dt.datetime | None = None) -> str:
    """The HTML of the exported demo of `run` (raises ExportError with a message otherwise)."""
    model, cfg, train, data = _load(run)
    d = cfg.latent_dim
    n = min(MAX_POINTS, len(data.test_x))
    test_x, labels = data.test_x[:n], np.asarray(data.test_y[:n])
    mu, std = _encode(model, test_x)
    summary = latent_summary(mu, std)
    dims = tuple(ex.top_dims(summary.kl_per_dim)) if d >= 2 else (0, 0)
    names = [str(c) for c in data.class_names]
    rows = run.read_metrics()
    numbers = _numbers(rows)

    # the decodes the float16 check compares: test codes, prior samples and the manifold
    prior_z = ex.draw_eps(N_PRIOR, d, SEED)
    if d >= 2:
        grid_z, xs, ys = manifold_z(np.zeros(d), dims[0], dims[1], MANIFOLD_N)
        grid_z = grid_z.reshape(-1, d)
    else:
        grid_z = np.linspace(-2.5, 2.5, MANIFOLD_N)[:, None]
    live_model, precision = half_precision(model, np.concatenate([mu, prior_z, grid_z]))

    figures = {}
    figures["posterior"] = posterior_figure(
        mu, std, labels, _labels(names), dims=dims if d >= 2 else (0, 0), ellipses="all",
        index=np.arange(n), height=640,
        axis_titles=None if d >= 2 else ("z0", "z0 (a 1-D latent: mu on both axes)"))
    figures["posterior"].update_layout(legend_y=-0.13)  # below the x title that automargin adds
    figures["curves"] = loss_curves_figure(rows)
    figures["prior"] = samples_figure(_decode(model, prior_z), ncols=8)
    grid_images = _decode(model, grid_z)
    if d >= 2:
        figures["manifold"] = manifold_figure(
            grid_images.reshape(MANIFOLD_N, MANIFOLD_N, *cfg.image_shape), xs, ys, *dims)
    else:
        figures["manifold"] = image_grid_figure(
            grid_images[None], col_labels=[f"{v:+.1f}" for v in grid_z[:, 0]],
            x_title="z0 (the prior's σ = 1)")
    picks = [int(np.flatnonzero(labels == c)[0]) for c in range(len(names)) if np.any(labels == c)]
    picks = picks[:N_RECON]
    recon = ex.reconstruct_mean(model, test_x[picks])
    eps = ex.draw_eps(2, d, SEED + 1)
    draws = [_decode(model, mu[picks] + std[picks] * e[None]) for e in eps]
    figures["recon"] = image_grid_figure(
        np.stack([test_x[picks].reshape(len(picks), *cfg.image_shape),
                  recon.reshape(len(picks), *cfg.image_shape),
                  *[x.reshape(len(picks), *cfg.image_shape) for x in draws]]),
        col_labels=_labels(names[labels[i]] for i in picks),
        row_labels=["test image", "decode(μ)", "decode(μ + σ·ε₁)", "decode(μ + σ·ε₂)"])
    if d > 2:
        figures["kl"] = kl_per_dim_figure(summary.kl_per_dim, summary.var_mu)

    # the live parts: one payload (decoder, encoder, the test codes and images) for both
    scatter = {"mu": mu, "labels": labels, "class_names": names, "images": test_x}
    payload = encode_payload(live_model, scatter, encoder=True)
    model_id = json.loads(payload[8:8 + int.from_bytes(payload[4:8], "little")])["id"]
    halves: list[list[int]] = []
    if precision.dtype == "float16":
        payload, halves = _pack_half(payload)
    order = [int(i) for i in np.argsort(-summary.kl_per_dim, kind="stable")]
    pad = list(dims) if d >= 2 else None
    explorer = {"model": model_id, "z": [0.0] * d, "order": order,
                "kl": [round(float(v), 4) for v in summary.kl_per_dim],
                "active": summary.active.tolist(), "ranges": slider_ranges(d, mu).tolist(),
                "pad": pad, "image_px": 224, "colors": class_colours(len(names)), "rev": 0}
    draw = None
    if train.dataset in DIGIT_DATASETS:
        try:
            framing = framing_for(train.dataset, cfg.image_shape)
        except ImageInputError:
            framing = None
        if framing is not None:
            draw = {"model": model_id, "shape": list(cfg.image_shape), "pad": pad,
                    "range": pad_range(mu, dims) if pad else [-3.0, 3.0], "order": order[:16],
                    "colors": class_colours(len(names)), "brush": brush_for(cfg.image_shape[-1]),
                    "guide": {"box": int(framing.box), "centre": framing.centre},
                    "n_samples": N_SAMPLES, "eps_seed": SEED, "base": None, "source": None,
                    "rev": 0}
    png, layout = sprite_sheet(test_x)
    hover = hover_payload(png, {**layout, "scale": 4}, "posterior")

    # one test image, followed through the explanation with this run's numbers
    first = picks[0]
    mu1, sd1 = ex.encode_one(model, test_x[first])
    mu1b, sd1b = ex.encode_one(model, test_x[first])
    eps1 = ex.draw_eps(1, d, SEED)[0]
    kl1 = ex.kl_split(mu1, sd1)
    story = {"index": first, "label": names[labels[first]], "mu": mu1.tolist(),
             "sigma": sd1.tolist(), "same_again": bool(np.array_equal(mu1, mu1b)
                                                       and np.array_equal(sd1, sd1b)),
             "eps": eps1.tolist(), "z": (mu1 + sd1 * eps1).tolist(),
             "kl_per_dim": kl1.per_dim.tolist(),
             "test_kl": float(summary.total_kl), "active": int(summary.n_active),
             "image": _image_uri(test_x[first])}
    return render(run.name, cfg, train, numbers, figures, payload, halves, explorer, draw,
                  hover, story, precision, n, len(data.test_x), names, now)


def _image_uri(x: np.ndarray) -> str:
    from ui.figures.images import png_bytes
    return "data:image/png;base64," + base64.b64encode(png_bytes(np.asarray(x)[0] if np.asarray(
        x).shape[0] == 1 else x, 6)).decode()


# ------------------------------------------------------------------------------ the page

def _config_rows(cfg, train) -> list[tuple[str, str]]:
    return [("architecture", f"{cfg.arch}, hidden {', '.join(map(str, cfg.hidden))}"),
            ("latent dims", str(cfg.latent_dim)), ("beta", f"{cfg.beta:g}"),
            ("likelihood", cfg.likelihood),
            ("image", "×".join(map(str, cfg.image_shape))),
            ("training", f"{train.epochs} epochs, batch {train.batch_size}, lr {train.lr:g}, "
                         f"seed {train.seed}")]


def render(name, cfg, train, numbers, figures, payload, halves, explorer, draw, hover, story,
           precision, n_points, n_test, class_names, now) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    dataset = DATASETS[train.dataset].title if train.dataset in DATASETS else train.dataset
    elbo = numbers.get("test/neg_elbo")
    config_html = "".join(f"<tr><th>{text(k)}</th><td>{text(v)}</td></tr>"
                          for k, v in _config_rows(cfg, train))
    assets = {k: p.read_text() for k, p in ASSET_FILES.items()}
    import plotly.offline
    data = {
        "name": name, "figures": {k: figure_json(f) for k, f in figures.items()},
        "themes": THEMES, "explorer": explorer, "draw": draw, "story": story,
        "numbers": numbers, "halves": halves, "classColours": list(CLASS_COLOURS),
        "precision": precision.dtype, "latentDim": cfg.latent_dim, "beta": cfg.beta,
    }
    points = (f"all {n_test:,} test images" if n_points == n_test
              else f"the first {n_points:,} of {n_test:,} test images")
    values = {
        "title": text(f"{name} · VAE demo"),
        "run": text(name),
        "dataset": text(dataset),
        "elbo": "–" if elbo is None else f"{elbo:.2f}",
        "epoch": text(numbers.get("epoch", "–")),
        "date": now.strftime("%Y-%m-%d"),
        "datetime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "config_rows": config_html,
        "points": text(points),
        "precision": text(precision.sentence()),
        "draw_note": "" if draw else text(
            f"“Draw a digit” is left out: this run's data ({dataset}) are not digits."),
        "plotly_js": script_code(plotly.offline.get_plotlyjs(), "plotly"),
        "decoder_core": script_code(assets["decoder_core"], "decoder_core"),
        "plane_js": script_code(assets["plane"], "plane"),
        "explorer_js": script_code(as_mount(assets["explorer_js"], "explorer"), "explorer"),
        "draw_js": script_code(as_mount(assets["draw_js"], "draw"), "draw"),
        "hover_js": script_code(as_mount(assets["hover_js"], "hover"), "hover"),
        "kl_js": script_code(as_mount(assets["kl_js"], "kl"), "kl"),
        "kl_html": assets["kl_html"],
        "explorer_html": assets["explorer_html"],
        "draw_html": assets["draw_html"] if draw else "",
        "draw_intro": "<p>Draw on the black square: on every frame the encoder, running here, maps "
                      "your pixels to μ and σ; your q(z|x) moves over the test set's μ while you "
                      "draw, and decode(μ) and decodes of z = μ + σ·ε follow.</p>" if draw else "",
        "component_css": assets["explorer_css"].replace(".vae-explorer", "#explorer .vae-explorer")
        + "\n" + _scoped(assets["draw_css"], "#draw") + "\n" + assets["kl_css"],
        "page_js": script_code(PAGE_JS.read_text(), "page"),
        "data_json": script_json(data),
        "payload_b64": base64.b64encode(payload).decode(),
        "hover_b64": base64.b64encode(hover).decode(),
    }
    values["story_html"] = _story_html(story, numbers, cfg.latent_dim)
    # one pass: a value put in is never scanned again for {{...}} (a class name may contain one)
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], TEMPLATE.read_text())


def _vector(values, order=None) -> str:
    """A latent vector for the story: every dim up to 4, else the 4 with most KL and the count."""
    values = list(values)
    dims = range(len(values)) if len(values) <= 4 else (order or range(len(values)))[:4]
    shown = ", ".join(f"z{d} {values[d]:+.3f}".replace("-", "−") for d in dims)
    return f"({shown})" if len(values) <= 4 else f"({shown}, … of {len(values)} dims)"


def _story_html(story: dict, numbers: dict, latent_dim: int) -> str:
    """The explanation's core, in short, on one test image of this run (every number computed)."""
    order = [int(i) for i in np.argsort(-np.asarray(story["kl_per_dim"]), kind="stable")]
    kl_one = float(np.sum(story["kl_per_dim"]))
    same = ("Encoded a second time, it gives the same numbers to the last bit: the encoder is a "
            "deterministic function of x; nothing random happens inside it." if story["same_again"]
            else "Encoded a second time it gave different numbers: this should not happen.")
    items = [
        f"<img src=\"{story['image']}\" alt=\"test image #{story['index'] + 1}\">"
        f"<b>μ and σ are outputs, not samples.</b> The encoder maps test image "
        f"#{story['index'] + 1} (class “{text(story['label'])}”) to "  # counted from 1
        f"<span class=num>μ = {_vector(story['mu'], order)}</span> and "
        f"<span class=num>σ = {_vector(story['sigma'], order)}</span>. {same}",
        f"<b>z = μ + σ·ε.</b> Randomness enters only through ε ~ N(0, I): with "
        f"<span class=num>ε = {_vector(story['eps'], order)}</span> (seed 0), "
        f"<span class=num>z = {_vector(story['z'], order)}</span>. Another ε gives another z "
        "around μ; σ says how far. Gradients flow to μ and σ through this sum (the "
        "reparameterization trick).",
        f"<b>The KL compares q(z|x) = N(μ, σ²) with the prior N(0, I).</b> Per dim it is "
        f"½(μ² + σ² − 1 − ln σ²); for this image <span class=num>{kl_one:.2f}</span> nats in all. "
        f"Averaged over the test set it is <span class=num>{story['test_kl']:.2f}</span> nats, "
        f"and {story['active']} of {latent_dim} dims are active (their μ moves with x).",
    ]
    if "test/neg_elbo" in numbers and "test/recon" in numbers and "test/kl" in numbers:
        items.append(
            f"<b>−ELBO = reconstruction + KL.</b> After epoch {numbers['epoch']}: "
            f"<span class=num>{numbers['test/recon']:.2f} + {numbers['test/kl']:.2f} = "
            f"{numbers['test/neg_elbo']:.2f}</span> nats per test image. The KL term keeps every "
            "q(z|x) near N(0, I), so that z drawn from the prior decodes to something like the "
            "data (below).")
    return "<ol class=story>" + "".join(f"<li>{i}</li>" for i in items) + "</ol>"


def _scoped(css: str, scope: str) -> str:
    """The Draw component's rules, kept to its own box (both components style .caption, .pad)."""
    out = []
    for block in css.split("}"):
        if "{" not in block:
            out.append(block)
            continue
        selectors, rules = block.split("{", 1)
        if selectors.strip().startswith("@media"):
            out.append(block)
            continue
        scoped = ", ".join(f"{scope} {s.strip()}" for s in selectors.split(",") if s.strip())
        out.append(f"{scoped} {{{rules}")
    return "}".join(out)


def export_html(run: RunDir, now: dt.datetime | None = None) -> bytes:
    """The exported file's bytes: what the CLI writes and the pages' download buttons hand out."""
    return build(run, now=now).encode("utf-8")


def file_name(run: RunDir) -> str:
    return f"{run.name}-demo.html"


def export_problem(run: RunDir) -> str | None:
    """Why the run cannot be exported, found cheaply (config, weights present, layers the browser
    runs; no weights are read): for the pages, which offer the button only when this is None."""
    try:
        cfg, _ = run.read_config()
    except RunError as exc:
        return str(exc)
    if not run.weights_file.exists():
        return f"run {run.name} has no weights yet."
    if is_code_run(cfg):
        return CODE_RUN_PROBLEM
    from vae.model import VAE
    from ui.components.decoder import layer_steps
    with torch.device("meta"):  # shapes only: nothing allocated
        model = VAE(cfg)
    try:
        layer_steps(model.decoder, "decoder")
        layer_steps(model.encoder, "encoder")
    except ValueError as exc:
        return f"its architecture is one the browser decoder does not know ({exc})."
    return None


def download_button(container, run: RunDir, *, key: str) -> None:
    """The pages' "Offline demo (.html)" button: the bytes `python -m ui.export` writes, built
    when clicked. A failure found only then (a dataset gone missing) downloads a page that says
    why instead of the demo."""
    problem = export_problem(run)
    if problem is not None:
        container.caption(f"No offline demo: {problem}")
        return

    def make() -> bytes:
        try:
            return export_html(run)
        except ExportError as exc:
            return (f"<!DOCTYPE html><meta charset=utf-8><title>Not exported</title>"
                    f"<p>{text(exc)}</p>").encode()

    container.download_button(
        "Offline demo (.html)", make, file_name=file_name(run), mime="text/html",
        on_click="ignore", key=key, icon=":material/offline_pin:",
        help="One HTML file that opens from disk with no server: the posterior, the sliders "
             "and the pad decoded in the browser, draw a digit, samples, curves and the KL. "
             "The same file as `python -m ui.export`.")


# ------------------------------------------------------------------------------ the CLI

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ui.export",
        description="Write one self-contained HTML file of a run: opens from disk, needs no "
                    "server, decodes in the browser while you drag.")
    parser.add_argument("run", help="a run's name (in checkpoints/ or VAE_RUNS_ROOT) or its folder")
    parser.add_argument("-o", "--output", required=True, help="the .html file to write")
    parser.add_argument("--force", action="store_true", help="replace an existing output file")
    args = parser.parse_args(argv)
    run = _find_run(args.run)
    out = Path(args.output)
    if out.exists() and not args.force:
        print(f"{out} exists; pass --force to replace it.", file=sys.stderr)
        return 2
    try:
        data = export_html(run)
    except ExportError as exc:
        print(f"Not written: {exc}", file=sys.stderr)
        return 1
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        print(f"Not written: {out} cannot be written ({exc.strerror}).", file=sys.stderr)
        return 1
    print(f"Wrote {out} ({len(data) / 1e6:.1f} MB) for run {run.name}.")
    return 0


def _find_run(arg: str) -> RunDir:
    path = Path(arg)
    if path.is_dir() and (path / "config.json").exists():
        return RunDir(path)
    root = Path(os.environ.get("VAE_RUNS_ROOT") or DEFAULT_ROOT)
    return RunDir(root / arg)


if __name__ == "__main__":
    sys.exit(main())
