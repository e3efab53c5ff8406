"""Issue 20, the dashboard's half: text from run files shown as text, uploads let go of, the
Latent page's figure never shared between sessions, log-variances at the float limits, per-call
random generators, small custom datasets and caches keyed on the data's shape."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import PROJECT, page_app
from ui.forms.explain import calculator_start
from ui.forms.text import code, plain
from vae.run import RunDir
from vae.train import main as train_main

HOSTILE = "![x](http://127.0.0.1:9/p.png) <img src=http://127.0.0.1:9/q.png>"
MY_MODEL_PAGES = ("latent", "reconstructions", "generate", "draw", "replay", "compare")


def train_tiny(root: Path, name: str, dataset: str, data_dir: Path, *extra: str) -> RunDir:
    """One epoch of a small MLP VAE: enough for every page to have weights, metrics and a
    snapshot to show."""
    code_ = train_main(["--dataset", dataset, "--data-dir", str(data_dir), "--epochs", "1",
                        "--hidden", "32", "--latent-dim", "2", "--batch-size", "8",
                        "--snapshot-every", "1", "--root", str(root), "--name", name, "--quiet",
                        "--device", "cpu", *extra])
    assert code_ == 0, f"training {name} failed"
    return RunDir(root / name)


def digits_npz(path: Path, class_names: list[str], per_class: int = 12) -> Path:
    """Real 8x8 digits (scikit-learn's), `per_class` of each of len(class_names) digits."""
    from sklearn.datasets import load_digits
    d = load_digits()
    keep = np.concatenate([np.flatnonzero(d.target == c)[:per_class]
                           for c in range(len(class_names))])
    x = np.rint(d.images[keep] / 16 * 255).astype(np.uint8)
    np.savez(path, x=x, y=d.target[keep].astype(np.int64), class_names=np.array(class_names))
    return path


# ---------------------------------------------------------------------- A: plain text, never markup

def _markup(body: str) -> list[str]:
    """The image or HTML openings in a Markdown body that are not escaped or inside a code span."""
    outside_code = re.sub(r"(`+)(?:(?!\1).)+\1", "", body)
    return re.findall(r"(?<!\\)!\[|(?<!\\)<\s*img", outside_code, flags=re.IGNORECASE)


def markdown_bodies(at) -> list[str]:
    """Every string the page hands Streamlit to render as Markdown: text elements, alerts,
    toasts, image captions and widget labels."""
    bodies = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success",
                                   "toast", "title", "header", "subheader")
              for e in getattr(at, kind) if isinstance(e.value, str)]
    for images in at.get("imgs"):
        bodies += [img.caption for img in images.proto.imgs]
    for kind in ("selectbox", "multiselect", "radio", "text_input", "number_input", "button",
                 "toggle", "checkbox", "slider", "select_slider", "file_uploader"):
        bodies += [w.label for w in getattr(at, kind)]
    bodies += [b.proto.label for b in at.get("download_button")]
    return bodies


def assert_no_markup(at, page: str) -> str:
    assert not at.exception, [e.value for e in at.exception]
    bodies = markdown_bodies(at)
    for body in bodies:
        assert not _markup(body), f"{page}: run text rendered as Markdown: {body!r}"
    return "\n".join(bodies)


@pytest.mark.parametrize("text", [HOSTILE, "a_b _c_ *d* `e` $f$ | ~g~ &lt; {h} # i", "1. x",
                                  "- y", "x\n# z", "\\![x](y)"])
def test_plain_text_escapes_every_markup_and_reads_back_the_same(text):
    out = plain(text)
    assert not _markup(out)
    # Unescaping (CommonMark: a backslash before ASCII punctuation is dropped) gives the text back
    assert re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", out) == " ".join(text.splitlines())
    fenced = code(text)
    assert not _markup(fenced)
    fence = re.match(r"`+", fenced).group(0)
    assert fenced.endswith(fence) and fence not in fenced[len(fence):-len(fence)]


@pytest.fixture(scope="module")
def hostile_text_root(tmp_path_factory) -> Path:
    """Three runs whose files carry a Markdown image and an HTML tag: in the class names of their
    .npz, in the status message, and in data_dir (a path that does not exist)."""
    base = tmp_path_factory.mktemp("hostile-text")
    npz = digits_npz(base / "digits.npz", [f"zero {HOSTILE}", f"one {HOSTILE}"])
    root = base / "runs"
    run = train_tiny(root, "hostile-names", "npz", npz)
    status = json.loads(run.status_file.read_text())
    status["message"] = HOSTILE
    run.status_file.write_text(json.dumps(status))
    shutil.copytree(run.path, root / "hostile-dir")
    raw = json.loads((root / "hostile-dir" / "config.json").read_text())
    raw["train"]["data_dir"] = f"/nonexistent/{HOSTILE}.npz"
    (root / "hostile-dir" / "config.json").write_text(json.dumps(raw))
    return root


@pytest.mark.parametrize("page", MY_MODEL_PAGES + ("runs",))
@pytest.mark.parametrize("run", ["hostile-names", "hostile-dir"])
def test_text_from_run_files_is_shown_as_text(hostile_text_root, monkeypatch, page, run):
    monkeypatch.setenv("VAE_RUNS_ROOT", str(hostile_text_root))
    at = page_app(page, run, timeout=120).run()
    shown = assert_no_markup(at, page)
    if run == "hostile-dir" and page not in ("runs", "compare"):  # the error quotes data_dir
        assert plain(Path(f"/nonexistent/{HOSTILE}.npz")) in shown, shown
    if run == "hostile-names" and page == "reconstructions":  # the class names under the images
        assert plain(f"zero {HOSTILE}") in shown or plain(f"one {HOSTILE}") in shown, shown


def test_the_sidebar_shows_run_text_as_text(hostile_text_root, monkeypatch):
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("VAE_RUNS_ROOT", str(hostile_text_root))
    at = AppTest.from_file(str(PROJECT / "dashboard.py"), default_timeout=120)
    at.query_params["run"] = "hostile-dir"
    at.run()
    assert_no_markup(at, "dashboard")
    assert not any(_markup(w.value) for w in at.sidebar.warning)


def test_a_missing_run_named_in_the_link_is_shown_as_text(hostile_text_root, monkeypatch):
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("VAE_RUNS_ROOT", str(hostile_text_root))
    at = AppTest.from_file(str(PROJECT / "dashboard.py"), default_timeout=120)
    at.query_params["run"] = HOSTILE
    at.run()
    shown = assert_no_markup(at, "dashboard")
    assert plain(HOSTILE) in shown


def test_an_imported_runs_source_is_shown_as_text(hostile_text_root, tmp_path):
    from ui.forms.imported import no_curves_note
    shutil.copytree(hostile_text_root / "hostile-names", tmp_path / "imported")
    raw = json.loads((tmp_path / "imported" / "config.json").read_text())
    raw["imported_from"] = {"format": ["not", "a", "name"], "source": HOSTILE}
    (tmp_path / "imported" / "config.json").write_text(json.dumps(raw))
    note = no_curves_note(RunDir(tmp_path / "imported"))
    assert not _markup(note) and "another tool" in note


# ----------------------------------------------------------------- C: an upload is let go of

def _uploads_in_state(at) -> list[str]:
    """The session-state keys that still hold an uploaded file."""
    from streamlit.runtime.uploaded_file_manager import UploadedFile
    state = at.session_state.to_dict()
    return [k for k, v in state.items()
            if isinstance(v, UploadedFile) or (isinstance(v, list)
                                               and any(isinstance(f, UploadedFile) for f in v))]


@pytest.mark.parametrize("kind", ["refused", "imported"])
def test_an_uploaded_zip_is_let_go_of_after_the_import(hostile_text_root, tmp_path, monkeypatch,
                                                       kind):
    root = tmp_path / "runs"
    root.mkdir()
    monkeypatch.setenv("VAE_RUNS_ROOT", str(root))
    if kind == "imported":
        from vae.archive import pack_run
        data = pack_run(RunDir(hostile_text_root / "hostile-names"))
    else:  # an entry name that is markup, refused for climbing out of the archive
        import io
        import zipfile
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(f"../{HOSTILE}", b"x")
        data = buf.getvalue()
    at = page_app("runs", None, timeout=120).run()
    at.file_uploader[0].set_value((f"{HOSTILE}.zip", data, "application/zip")).run()
    shown = assert_no_markup(at, "runs")
    if kind == "imported":
        assert any("Imported" in s.value for s in at.success), shown
        assert (root / "hostile-names").is_dir()
    else:
        assert any("was not imported" in e.value and "climbs out" in e.value for e in at.error)
    assert not _uploads_in_state(at), "the upload is still in the session state"
    assert at.file_uploader[0].value is None
    assert at.file_uploader[0].key != "import_zip_0"


# -------------------------------------------- B: the Latent page's figure is never shared

def test_the_posterior_figure_is_cached_as_data_and_built_per_call(runs_root):
    from ui.cache import runs as cache
    run = RunDir(runs_root / "mnist5k-2d")
    options = dict(ellipses="none", dims=(0, 1))
    cached = cache._posterior_figure(str(run.path), None, cache.weights_mtime(run),
                                     cache.MAX_POINTS, cache.dataset_key(run),
                                     tuple(sorted(options.items())))
    assert isinstance(cached, dict), "the cache holds a Plotly object that sessions would share"
    first = cache.cached_posterior_figure(run, **options)
    second = cache.cached_posterior_figure(run, **options)
    assert first is not second and first.data[0] is not second.data[0]
    before = second.to_json()
    # what a page does to its figure: a trace added, a colorscale and a title changed
    first.add_scatter(x=[0], y=[0], name="your drawing")
    first.data[0].colorscale = "Viridis"
    first.update_layout(title="changed by one session")
    assert second.to_json() == before, "one session's change reached another's figure"
    third = cache.cached_posterior_figure(run, **options)
    assert third.to_json() == before, "one session's change reached the cache"


def test_many_sessions_building_and_changing_the_figure_at_once_never_fail(runs_root):
    from concurrent.futures import ThreadPoolExecutor
    from ui.cache import runs as cache
    run = RunDir(runs_root / "mnist5k-2d")
    cache.cached_posterior_figure(run, ellipses="sample", dims=(0, 1))  # computed once, cached

    def session(i: int) -> int:
        fig = cache.cached_posterior_figure(run, ellipses="sample", dims=(0, 1))
        fig.data[0].colorscale = [[0, "white"], [1, f"rgb({i}, 0, 0)"]]
        fig.add_scatter(x=[i], y=[i])
        return len(fig.to_dict()["data"])

    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(session, range(40)))
    assert len(set(counts)) == 1


# ------------------------------------------------- D: log-variances at and past float32's limits

def _sigma(logvar: float, shape=(60, 2)) -> np.ndarray:
    """sigma as the model makes it, exp(logvar / 2) in float32: 0 or inf past +-175."""
    with np.errstate(over="ignore", under="ignore"):
        return np.full(shape, np.exp(np.float32(0.5 * logvar)), np.float32)


def _finite_traces(fig) -> None:
    for trace in fig.data:
        for axis in ("x", "y", "z"):
            values = getattr(trace, axis, None)
            if values is not None:
                values = np.asarray(values, np.float64)
                assert not np.isinf(values).any(), (trace.name, axis)
                if axis == "z":
                    assert np.isfinite(values).all(), trace.name
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        assert np.isfinite(axis.range).all() and axis.range[1] > axis.range[0]


@pytest.mark.parametrize("logvar", [-60.0, 60.0, -200.0, 200.0])
def test_extreme_log_variances_give_finite_widths_sums_and_a_note(logvar):
    from ui.cache.posterior import latent_summary
    from ui.figures.latent import posterior_figure
    from vae import explain as ex
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(60, 2)).astype(np.float32)
    sigma = _sigma(logvar)
    labels = np.repeat([0, 1], 30)
    for projection in ("dims", "pca"):
        fig = posterior_figure(mu, sigma, labels, ["a", "b"], ellipses="all",
                               projection=projection)
        _finite_traces(fig)
        fig.to_json()
    split = ex.kl_split(mu[0], sigma[0])
    assert np.isfinite(split.per_dim).all() and (split.width_penalty >= 0).all()
    if abs(logvar) == 60:  # exact where float32 holds sigma: (e^logvar - 1 - logvar) / 2
        assert split.width_penalty[0] == pytest.approx(0.5 * (np.exp(logvar) - 1 - logvar),
                                                       rel=1e-5)
    terms = ex.seed_line_terms(mu[0], sigma[0])
    assert all(np.isfinite(v).all() for v in terms.values())
    grid = np.linspace(-4, 4, 81)
    assert np.isfinite(ex.aggregate_posterior(mu, sigma, grid)).all()
    start_mu, start_sigma, _ = calculator_start(float(mu[0, 0]), float(sigma[0, 0]))
    assert np.isfinite([start_mu, start_sigma]).all()  # the calculator starts on its sliders
    assert 0.0 <= ex.prior_coverage(mu, sigma, n=200) <= 1.0
    summary = latent_summary(mu, sigma)
    assert np.isfinite(summary.kl_per_dim).all()
    note = ex.sigma_note(sigma)
    assert note is not None and ("a point, not a Gaussian" in note if logvar < 0
                                 else "flat over the whole plane" in note)
    assert ex.sigma_note(np.full((3, 2), 0.5)) is None


@pytest.fixture(scope="module")
def extreme_root(tmp_path_factory) -> Path:
    """Copies of the shipped 2-D run whose encoder outputs log sigma^2 = -60 or +60 for every x."""
    import torch
    from safetensors.torch import load_file, save_file
    from vae.run import DEFAULT_ROOT
    good = DEFAULT_ROOT / "mnist5k-2d"
    if not (good / "model.safetensors").exists():
        pytest.skip("the shipped run mnist5k-2d is missing: `make shipped-runs`")
    root = tmp_path_factory.mktemp("extreme") / "runs"
    for name, value in (("logvar-minus60", -60.0), ("logvar-plus60", 60.0)):
        shutil.copytree(good, root / name)
        state = load_file(str(root / name / "model.safetensors"))
        state["to_logvar.weight"] = torch.zeros_like(state["to_logvar.weight"])
        state["to_logvar.bias"] = torch.full_like(state["to_logvar.bias"], value)
        save_file(state, str(root / name / "model.safetensors"))
        shutil.rmtree(root / name / "snapshots", ignore_errors=True)
    return root


@pytest.mark.parametrize("run", ["logvar-minus60", "logvar-plus60"])
@pytest.mark.parametrize("page", ["latent", "reconstructions", "generate", "draw"])
def test_pages_show_a_run_whose_sigmas_are_extreme(extreme_root, monkeypatch, page, run):
    from tests.conftest import plotly_spec
    monkeypatch.setenv("VAE_RUNS_ROOT", str(extreme_root))
    at = page_app(page, run, timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    if page == "latent":
        words = " ".join(i.value for i in at.info)
        assert ("a point, not a Gaussian" if "minus" in run else "flat over the whole plane") \
            in words, words
        spec = plotly_spec(at, "latent_scatter")
        for axis in ("xaxis", "yaxis"):
            assert all(np.isfinite(spec["layout"][axis]["range"]))


# ------------------------------------------------------- E: a generator per call, never the global

def test_explanation_draws_use_a_generator_of_their_own(monkeypatch):
    """Two sessions drawing at once, with different seeds, each get what they would alone, and
    torch's global generator is neither seeded nor advanced."""
    from concurrent.futures import ThreadPoolExecutor
    import torch
    from ui.cache.posterior import reconstruct
    from vae import explain as ex
    from vae.model import VAE, VAEConfig
    torch.manual_seed(0)
    model = VAE(VAEConfig(image_shape=(1, 8, 8), latent_dim=3, hidden=(16,))).eval()
    x = np.random.default_rng(0).random((2, 1, 8, 8), dtype=np.float32)

    def draws(seed: int) -> list[np.ndarray]:
        g = ex.reparameterization_gradients(model, x[0], seed=seed)
        acc = ex.accounting(model, x, k=4, samples=8, seed=seed)
        rec = reconstruct(model, x, 3, seed)
        return [g.z, g.eps, g.rsample_grad_sigma, np.array([acc.recon, acc.iwae]),
                rec["samples"], ex.prior_samples(model, 4, seed)[1], ex.draw_eps(5, 3, seed)]

    alone = {seed: draws(seed) for seed in (1, 2)}
    assert not np.array_equal(alone[1][0], alone[2][0])

    def refuse(*args, **kwargs):
        raise AssertionError("torch's global generator was seeded")
    monkeypatch.setattr(torch, "manual_seed", refuse)
    monkeypatch.setattr(torch.random, "manual_seed", refuse)
    monkeypatch.setattr(torch.random, "fork_rng", refuse)
    global_state = torch.get_rng_state()
    seeds = [1, 2] * 8
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(draws, seeds))
    for seed, got in zip(seeds, together):
        for a, b in zip(got, alone[seed]):
            np.testing.assert_array_equal(a, b)
    assert torch.equal(torch.get_rng_state(), global_state), "the global generator moved"


# ------------------------------------------------------- F: a dataset of five images per class

ALL_PAGES = ("latent", "reconstructions", "generate", "draw", "explain", "replay",
             "rate_distortion", "presenter", "train", "runs", "compare")


@pytest.fixture(scope="module")
def small_root(tmp_path_factory) -> Path:
    """A run on an image folder of 5 real digits per class (the least a folder may hold), and a
    second one on the same folder at another image size."""
    from tests.image_fixtures import digit_folder
    base = tmp_path_factory.mktemp("small")
    folder = digit_folder(base / "digits", digits=(1, 7), per_class=5)
    root = base / "runs"
    train_tiny(root, "five-per-class", "folder", folder)
    train_tiny(root, "five-per-class-16px", "folder", folder, "--image-size", "16")
    return root


def test_the_pixel_classifier_fits_a_handful_of_images(small_root):
    from vae import quality as vq
    from vae.data import dataset_for
    _, train = RunDir(small_root / "five-per-class").read_config()
    data = dataset_for(train)
    assert len(data.train_x) < vq.N_COMPONENTS
    clf = vq.fit_pixel_classifier(data)
    assert 0.0 <= vq.confident_share(clf, data.test_x) <= 1.0


@pytest.mark.parametrize("page", ALL_PAGES)
def test_every_page_shows_a_run_of_five_images_per_class(small_root, monkeypatch, page):
    monkeypatch.setenv("VAE_RUNS_ROOT", str(small_root))
    at = page_app(page, "five-per-class", timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]


# ------------------------------------------- G: caches keyed on everything the data depends on

def test_one_image_folder_at_two_sizes_gets_two_classifiers(small_root):
    from ui.cache.quality import classifier_for, real_share
    from ui.cache.runs import dataset_key, run_dataset
    big, small = RunDir(small_root / "five-per-class"), RunDir(small_root / "five-per-class-16px")
    assert run_dataset(big).image_shape == (1, 28, 28)
    assert run_dataset(small).image_shape == (1, 16, 16)
    assert dataset_key(big) != dataset_key(small)
    for run in (big, small, big):  # the second would reuse the first's PCA under the old key
        share = real_share(run)
        assert 0.0 <= share <= 1.0
        data = run_dataset(run)
        classifier_for(run).predict_proba(data.test_x.reshape(len(data.test_x), -1))
    assert classifier_for(big) is not classifier_for(small)


def test_one_image_folder_split_two_ways_gets_two_keys(small_root, tmp_path):
    from ui.cache.runs import dataset_key
    shutil.copytree(small_root / "five-per-class", tmp_path / "resplit")
    raw = json.loads((tmp_path / "resplit" / "config.json").read_text())
    raw["train"]["split_seed"] = 7
    (tmp_path / "resplit" / "config.json").write_text(json.dumps(raw))
    assert dataset_key(RunDir(tmp_path / "resplit")) != dataset_key(
        RunDir(small_root / "five-per-class"))


def test_hover_sprites_differ_for_the_same_key_with_other_images():
    from ui.components.hover_images import _sprite, fingerprint, tile
    rng = np.random.default_rng(0)
    a = rng.random((12, 1, 28, 28), dtype=np.float32)
    b = rng.random((12, 1, 16, 16), dtype=np.float32)
    assert fingerprint(a) != fingerprint(b) and fingerprint(a) == fingerprint(a.copy())
    assert fingerprint(a) != fingerprint(a[::-1])
    png_a, layout_a = _sprite("folder:12", a.shape, fingerprint(a), a)
    png_b, layout_b = _sprite("folder:12", b.shape, fingerprint(b), b)
    assert tile(png_b, layout_b, 3).shape[:2] == (16, 16), "the hover shows another set's images"
    assert tile(png_a, layout_a, 3).shape[:2] == (28, 28)


@pytest.mark.parametrize("page", ["latent", "rate_distortion", "presenter", "reconstructions"])
def test_pages_switch_between_one_folder_at_two_sizes(small_root, monkeypatch, page):
    monkeypatch.setenv("VAE_RUNS_ROOT", str(small_root))
    for run in ("five-per-class", "five-per-class-16px", "five-per-class"):
        at = page_app(page, run, timeout=180)
        if page == "latent":
            at.session_state["latent_hover"] = True
        at.run()
        assert not at.exception, (run, [e.value for e in at.exception])


def test_the_train_page_shows_a_failed_runs_message_as_text(scratch_root):
    """The hostile-run check found the Train page (its sections now in ui/sections/train.py) showing
    a failed run's status message as Markdown."""
    import json

    from tests.conftest import run_page
    from vae.run import RunDir
    import re
    run = RunDir(scratch_root / "mnist5k-2d")
    status = json.loads(run.status_file.read_text())
    status.update(state="failed", message="![x](http://127.0.0.1:9/p.png) <img src=x>")
    run.status_file.write_text(json.dumps(status))
    at = run_page("train")
    shown = [e.value for e in at.error]
    assert any("Training failed" in v for v in shown), shown
    bad = [v for v in shown if re.search(r"(?<!\\)!(?<!\\)\[|(?<!\\)<img", v)]
    assert not bad, f"markup reached the page unescaped: {bad}"


def test_one_session_cannot_park_more_than_its_share_of_uploads(monkeypatch):
    """Ten 49 MB uploads from one session added 490 MB to the server and stayed: the session's
    oldest files now make room for its newest, within MAX_SESSION_UPLOAD_BYTES."""
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    import ui.serve
    cap = 10 << 20
    monkeypatch.setattr(ui.serve, "MAX_SESSION_UPLOAD_BYTES", cap)  # read on every upload
    ui.serve.bound_session_uploads()
    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    chunk = 4 << 20
    for i in range(10):
        manager.add_file("s1", UploadedFileRec(f"f{i}", f"f{i}.zip", "application/zip",
                                               b"x" * chunk))
    manager.add_file("s2", UploadedFileRec("g", "g.zip", "application/zip", b"y" * chunk))
    held = manager.file_storage["s1"]
    assert "f9" in held, "the newest upload is kept"
    assert sum(len(f.data) for f in held.values()) <= cap
    assert "f0" not in held, "the oldest upload made room"
    assert "g" in manager.file_storage["s2"], "another session's upload is its own"
    assert manager._total_bytes == sum(len(f.data) for s in manager.file_storage.values()
                                       for f in s.values())
