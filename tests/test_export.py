"""The offline HTML export (ui/export.py): what the file holds, escaping, float16, bad input, CLI."""
import base64
import datetime as dt
import html
import json
import re
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest
from torch import nn

from tests.conftest import PROJECT
from ui import export
from ui.components.decoder import decode_payload, encode_payload, read_payload
from vae.run import RunDir

NOW = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
HOSTILE = ["</script><script>alert(1)</script>", "<img src=x onerror=alert(2)>", "{{plotly_js}}",
           "a & b \"q\" 'r'", "\u2028line", "5", "6", "7", "8", "9"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from tests.conftest import _copy_runs
    return _copy_runs(tmp_path_factory.mktemp("export-runs"), ["mnist5k-2d"])


@pytest.fixture(scope="module")
def page(runs) -> str:
    return export.build(RunDir(runs / "mnist5k-2d"), now=NOW)


def _data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="export-data">(.*?)</script>',
                                page, re.S).group(1))


def _blob(page: str, element: str) -> bytes:
    return base64.b64decode(re.search(
        rf'<script type="application/octet-stream" id="{element}">(.*?)</script>', page,
        re.S).group(1))


def widen(packed: bytes, halves) -> bytes:
    """export.js's widen, in numpy: the float16 blobs back to float32 at their offsets."""
    n = struct.unpack("<I", packed[4:8])[0]
    base = 8 + n
    out, src, pos = [packed[:base]], base, 0
    for offset, count in halves:
        out.append(packed[src:src + offset - pos])
        src += offset - pos
        out.append(np.frombuffer(packed, "<f2", count=count, offset=src).astype("<f4").tobytes())
        src += 2 * count
        pos = offset + 4 * count
    out.append(packed[src:])
    return b"".join(out)


def test_the_file_names_the_run_and_says_where_it_came_from(page, runs):
    assert "Run <span id=\"run-name\">mnist5k-2d</span>" in page
    assert "MNIST 5k" in page and "exported from the vae dashboard" in page.lower()
    assert '<time datetime="2030-01-02T03:04:05Z">2030-01-02</time>' in page
    model_cfg, train_cfg = RunDir(runs / "mnist5k-2d").read_config()
    numbers = _data(page)["numbers"]
    assert f"{numbers['test/neg_elbo']:.2f}" in page and numbers["epoch"] == train_cfg.epochs
    assert f"mlp, hidden {', '.join(map(str, model_cfg.hidden))}" in page
    assert f"{train_cfg.epochs} epochs, batch 128, lr 0.001" in page


def test_everything_is_inline_and_plotly_is_there_once(page):
    import plotly.offline
    plotly_js = plotly.offline.get_plotlyjs()
    assert page.count(plotly_js[:200]) == 1
    # no element loads anything from outside the file (the story's image is a data: URI)
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=(?![\"']?data:)", page, re.I)
    assert "connect-src 'none'" in page  # the page itself forbids any request
    for key in ("decoder_core",):  # the dashboard's components, inlined as they are
        assert export.ASSET_FILES[key].read_text() in page
    assert export.ASSET_FILES["explorer_html"].read_text() in page


def test_every_chart_has_a_place_and_a_figure(page):
    figures = _data(page)["figures"]
    assert set(figures) == {"posterior", "curves", "prior", "manifold", "recon"}
    for key in figures:
        assert f'id="chart-{key}"' in page
    posterior = figures["posterior"]
    assert posterior["layout"]["yaxis"]["scaleanchor"] == "x"  # equal aspect
    names = [t.get("name", "") for t in posterior["data"]]
    assert "prior N(0, I): 1, 2, 3 σ" in names
    assert any(s.get("name", "").startswith("σ ellipses") for s in posterior["layout"]["shapes"])
    curves = {t["name"] for t in figures["curves"]["data"]}
    assert curves == {"train", "test"}


def test_the_payload_decodes_like_torch(runs, page):
    import torch
    data = _data(page)
    payload = widen(_blob(page, "model-payload"), data["halves"])
    header, _ = read_payload(payload)
    assert header["id"] == data["explorer"]["model"] == data["draw"]["model"]
    assert "encoder" in header and header["scatter"]["n"] == 1000
    model = RunDir(runs / "mnist5k-2d").load_model()
    z = np.array([[0.0, 0.0], [1.5, -2.0], [-2.5, 2.5]], np.float32)
    with torch.no_grad():
        reference = model.decode_mean(torch.from_numpy(z)).numpy()
    drawn = np.floor(decode_payload(payload, z) * 255 + 0.5) / 255
    assert np.abs(drawn - reference).max() <= 1 / 255


def test_float16_is_used_only_within_the_tolerance(runs):
    model = RunDir(runs / "mnist5k-2d").load_model()
    z = np.random.default_rng(0).standard_normal((200, 2))
    halved, precision = export.half_precision(model, z)
    assert precision.dtype == "float16" and 0 < precision.max_error <= 1 / 255
    assert "float16" in precision.sentence()
    same, strict = export.half_precision(model, z, tolerance=0.0)
    assert strict.dtype == "float32" and same is model
    assert "float32" in strict.sentence()


def test_half_packing_round_trips_exactly(runs):
    model = RunDir(runs / "mnist5k-2d").load_model()
    halved, _ = export.half_precision(model, np.zeros((1, 2)))
    payload = encode_payload(halved, encoder=True)
    packed, halves = export._pack_half(payload)
    assert len(packed) < 0.55 * len(payload)
    assert widen(packed, halves) == payload


def test_float32_travels_unpacked_when_float16_is_refused(runs, monkeypatch):
    original = export.half_precision
    monkeypatch.setattr(export, "half_precision",
                        lambda model, z: original(model, z, tolerance=0.0))
    page = export.build(RunDir(runs / "mnist5k-2d"), now=NOW)
    data = _data(page)
    assert data["precision"] == "float32" and data["halves"] == []
    assert "The weights travel as float32" in page


def test_hostile_class_names_are_text(runs, monkeypatch):
    from vae.data import dataset_for
    real = dataset_for

    def hostile(train):
        d = real(train)
        return type(d)(d.name, d.train_x, d.train_y, d.test_x, d.test_y, tuple(HOSTILE))

    monkeypatch.setattr(export, "dataset_for", hostile)
    page = export.build(RunDir(runs / "mnist5k-2d"), now=NOW)
    plain = export.build(RunDir(runs / "mnist5k-2d"), now=NOW)
    assert page.count("<script") == plain.count("<script")  # the file's own, no more
    for name in HOSTILE[:2]:
        assert name not in page
    assert "\u2028" not in page.split('id="export-data">')[1].split("</script>")[0]
    data = _data(page)
    assert data["story"]["label"] == HOSTILE[0]  # parsed back, the name is intact
    legend = [t["name"] for t in data["figures"]["posterior"]["data"] if t.get("mode") == "markers"]
    assert legend[:2] == [html.escape(n) for n in HOSTILE[:2]]  # Plotly shows entities as text
    header, _ = read_payload(widen(_blob(page, "model-payload"), data["halves"]))
    assert header["scatter"]["class_names"] == HOSTILE  # the components set them as text nodes


@pytest.mark.slow
def test_the_same_bytes_from_the_cli_and_the_pages(runs, tmp_path):
    out = tmp_path / "demo.html"
    result = subprocess.run([sys.executable, "-m", "ui.export", str(runs / "mnist5k-2d"), "-o",
                             str(out)], cwd=PROJECT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Wrote" in result.stdout and result.stderr == ""
    cli = out.read_text()
    stamp = re.search(r'<time datetime="([^"]+)">', cli).group(1)
    when = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert export.export_html(RunDir(runs / "mnist5k-2d"), now=when) == out.read_bytes()
    # and the date is the only thing that differs from one day to another
    other = export.export_html(RunDir(runs / "mnist5k-2d"), now=NOW).decode()
    assert re.sub(r"\d{4}-\d\d-\d\d(T[\d:]+Z)?", "D", other) == re.sub(
        r"\d{4}-\d\d-\d\d(T[\d:]+Z)?", "D", cli)


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    """`python -m ui.export ARGV` in this process: its exit code, stdout and stderr. One test
    above runs the real command; these need only its words, without a second's import."""
    code = export.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_keeps_an_existing_file_without_force(runs, tmp_path, capsys):
    out = tmp_path / "demo.html"
    out.write_text("mine")
    argv = [str(runs / "mnist5k-2d"), "-o", str(out)]
    code, _, err = _cli(capsys, *argv)
    assert code == 2 and "--force" in err
    assert out.read_text() == "mine"
    code, said, _ = _cli(capsys, *argv, "--force")
    assert code == 0 and said.startswith("Wrote") and out.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("damage, words", [
    (lambda run: run.weights_file.unlink(), "has no weights yet"),
    (lambda run: run.config_file.write_text("{not json"), "not JSON"),
    (lambda run: run.weights_file.write_bytes(b"\x80\x04pickle"), "corrupt"),
])
def test_a_run_that_cannot_be_exported_is_named_and_nothing_is_written(runs, tmp_path, damage,
                                                                         words, capsys):
    run = RunDir(shutil.copytree(runs / "mnist5k-2d", tmp_path / "broken"))
    damage(run)
    with pytest.raises(export.ExportError, match=words):
        export.build(run)
    out = tmp_path / "demo.html"
    code, _, err = _cli(capsys, str(run.path), "-o", str(out))  # raises, failing, on a traceback
    assert code == 1 and err.startswith("Not written:") and words in err
    assert not out.exists()
    assert export.export_problem(run) is not None or words == "corrupt"


def test_an_architecture_the_browser_does_not_know_is_refused(runs, monkeypatch):
    run = RunDir(runs / "mnist5k-2d")
    real = RunDir.load_model

    def odd(self, *a, **k):
        model = real(self, *a, **k)
        model.decoder.append(nn.Tanh())
        return model

    monkeypatch.setattr(RunDir, "load_model", odd)
    with pytest.raises(export.ExportError, match="browser decoder does not know"):
        export.build(run)


def test_a_run_that_is_no_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VAE_RUNS_ROOT", str(tmp_path))
    code, _, err = _cli(capsys, "no-such-run", "-o", str(tmp_path / "x.html"))
    assert code == 1 and "no config.json" in err
    assert not (tmp_path / "x.html").exists()


def test_data_that_are_not_digits_get_no_canvas_and_the_file_says_so(monkeypatch, runs):
    monkeypatch.setattr(export, "DIGIT_DATASETS", ())
    page = export.build(RunDir(runs / "mnist5k-2d"), now=NOW)
    assert _data(page)["draw"] is None
    assert "“Draw a digit” is left out" in page and 'class="vae-draw"' not in page


def test_the_story_counts_its_test_image_from_1_like_the_dashboard(page, runs):
    from vae.data import load_dataset
    labels = load_dataset("mnist-5k").test_y
    first = int(np.flatnonzero(labels == 0)[0])  # the story follows the first 0 of the test set
    assert f"The encoder maps test image #{first + 1} (class “0”)" in html.unescape(page)
    assert f'alt="test image #{first + 1}"' in page
