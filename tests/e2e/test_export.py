"""The exported demo (python -m ui.export) in Chromium, opened from file:// with every request
outside the file aborted: nothing is requested, every chart draws, a slider redraws the image
with torch's pixels, drawing moves q(z|x), and hostile class names stay text."""
import datetime as dt

import numpy as np
import pytest
import torch

from tests.conftest import _copy_runs
from tests.e2e.conftest import CAP_MS
from ui import export
from vae.run import RunDir

NOW = dt.datetime(2030, 1, 2, tzinfo=dt.timezone.utc)
HOSTILE = ["</script><script>alert(1)</script>", "<img src=x onerror=alert(2)>", "2", "3", "4",
           "5", "6", "7", "8", "9"]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> RunDir:
    return RunDir(_copy_runs(tmp_path_factory.mktemp("export-e2e"), ["mnist5k-2d"]) / "mnist5k-2d")


@pytest.fixture(scope="module")
def demo(run, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "mnist5k-2d.html"
    path.write_bytes(export.export_html(run, now=NOW))
    return path


def open_offline(page, path):
    """Open the file with every other request aborted; returns the requests made and the page's
    errors (lists that fill as the page runs)."""
    url = path.as_uri()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.route("**/*", lambda route: route.continue_() if route.request.url == url
               else route.abort())
    page.goto(url)
    page.wait_for_selector("body[data-charts=drawn]", timeout=CAP_MS)
    page.wait_for_selector("#explorer .vae-explorer[data-ready='1']", timeout=CAP_MS)
    return url, requests, errors


def test_opens_offline_draws_every_chart_and_decodes_like_torch(fresh_page, demo, run):
    page = fresh_page  # it listens to the page's requests and reroutes them
    url, requests, errors = open_offline(page, demo)
    charts = page.evaluate("""() => [...document.querySelectorAll('[id^=chart-]')]
        .filter((el) => el.dataset.drawn).map((el) => [el.id, el.querySelectorAll('.main-svg').length,
                                                      el.querySelectorAll('.trace, .imagelayer image').length])""")
    assert {c[0][len("chart-"):] for c in charts} == {"posterior", "curves", "prior", "manifold",
                                                      "recon"}
    assert all(svg >= 1 and traces >= 1 for _, svg, traces in charts), charts

    # a slider moved: the image is drawn again, with torch's pixels
    before = page.evaluate("document.querySelector('#explorer .vae-explorer').__explorer.drawCount")
    page.evaluate("""() => {
        const input = document.querySelector('#explorer .row[data-dim="0"] input');
        input.value = 1.25;
        input.dispatchEvent(new Event('input', { bubbles: true }));
    }""")
    state = page.evaluate("""() => {
        const S = document.querySelector('#explorer .vae-explorer').__explorer;
        const c = document.querySelector('#explorer canvas.image');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const grey = []; for (let i = 0; i < px.length; i += 4) grey.push(px[i]);
        return { count: S.drawCount, z: S.getZ(), grey };
    }""")
    assert state["count"] > before and state["z"][0] == pytest.approx(1.25)
    with torch.no_grad():
        ref = run.load_model().decode_mean(torch.tensor([state["z"]], dtype=torch.float32))
    drawn = np.asarray(state["grey"], np.float64) / 255
    assert np.abs(drawn - ref.numpy().ravel()).max() <= 1 / 255

    # drawing moves the input's q(z|x); the KL calculator follows its sliders
    mu_before = page.evaluate("document.querySelector('#draw .vae-draw').__draw.posterior().mu")
    page.evaluate("""() => {
        const c = document.querySelector('#draw canvas.draw');
        const r = c.getBoundingClientRect();
        const ev = (type, x, y) => c.dispatchEvent(new PointerEvent(type, { bubbles: true,
            pointerId: 7, pointerType: 'mouse', button: 0, clientX: r.left + x * r.width,
            clientY: r.top + y * r.height }));
        ev('pointerdown', 0.5, 0.2);
        for (let k = 1; k <= 20; k++) ev('pointermove', 0.5, 0.2 + 0.03 * k);
        ev('pointerup', 0.5, 0.8);
    }""")
    mu_after = page.evaluate("document.querySelector('#draw .vae-draw').__draw.posterior().mu")
    assert mu_after != mu_before
    kl = page.evaluate("""() => {
        const root = document.querySelector('#kl-calc .vae-kl');
        const mu = root.querySelector('input.kl-mu'), s = root.querySelector('input.kl-sigma');
        mu.value = 1.5; mu.dispatchEvent(new Event('input'));
        s.value = 0.5; s.dispatchEvent(new Event('input'));
        return parseFloat(root.dataset.kl);
    }""")
    assert kl == pytest.approx(0.5 * (1.5 ** 2 + 0.25 - 1 - np.log(0.25)))

    assert page.evaluate("document.querySelector('#chart-posterior').dataset.hoverImages") == "1"
    assert requests == [url], requests
    assert errors == [] and page.evaluate("window.__export.errors") == []


def test_hostile_class_names_stay_text(fresh_page, run, tmp_path, monkeypatch):
    page = fresh_page
    real = export.dataset_for

    def hostile(train):
        d = real(train)
        return type(d)(d.name, d.train_x, d.train_y, d.test_x, d.test_y, tuple(HOSTILE))

    monkeypatch.setattr(export, "dataset_for", hostile)
    path = tmp_path / "hostile.html"
    path.write_bytes(export.export_html(run, now=NOW))
    url, requests, errors = open_offline(page, path)
    legend = page.locator("#chart-posterior .legendtext").all_text_contents()
    assert HOSTILE[0] in legend and HOSTILE[1] in legend
    pad_legend = page.locator("#explorer .legend").text_content()
    assert HOSTILE[1] in pad_legend
    assert page.locator("#chart-posterior img, #explorer img, #draw img").count() == 0
    assert requests == [url] and errors == []
