"""The Draw page under AppTest: the component gets the encoder and the scatter, and a drawing kept
in the session goes back on the canvas and is encoded again by torch beside it. Uploads (AppTest
has no file uploader) are tested in Chromium: tests/e2e/test_draw.py."""
import json

import numpy as np
import torch

from tests.conftest import run_page
from ui.components.decoder import encode_with_payload, read_payload
from ui.components.draw import DRAWN_KEY, from_levels, to_levels
from vae.data import load_dataset
from vae.run import RunDir


def _components(at) -> dict:
    return {c.proto.component_name: c.proto for c in at.get("bidi_component")}


def test_the_canvas_gets_encoder_scatter_and_framing(runs_root):
    at = run_page("draw", "mnist5k-2d")
    comps = _components(at)
    header, _ = read_payload(comps["vae_decoder_assets"].bytes)
    data = json.loads(comps["vae_draw"].json)
    assert data["model"] == header["id"], "the canvas does not name the payload it needs"
    assert "encoder" in header and header["scatter"]["n"] == 1000
    assert data["shape"] == [1, 28, 28] and data["guide"] == {"box": 20, "centre": "mass"}
    assert data["base"] is None, "an empty session put something on the canvas"
    (empty,) = [m.value for m in at.markdown if "Nothing drawn yet" in m.value]
    assert "answer for the blank black square" in empty, "the canvas's results above are explained"


def test_a_kept_drawing_is_restored_and_encoded_by_torch(runs_root):
    x = from_levels(to_levels(load_dataset("mnist-5k").test_x[3]))
    at = run_page("draw", "mnist5k-2d", state={DRAWN_KEY: x})
    data = json.loads(_components(at)["vae_draw"].json)
    assert data["base"] == to_levels(x).ravel().tolist(), "the canvas does not get the drawing back"
    model = RunDir(runs_root / "mnist5k-2d").load_model()
    with torch.no_grad():
        kl = float(model.encode(torch.from_numpy(x[None])).kl().sum())
    assert any(f"{kl:.2f} nats" in m.value for m in at.markdown), "torch's KL is not shown"
    payload = _components(at)["vae_decoder_assets"].bytes
    mu, _ = encode_with_payload(payload, x[None])
    table = at.dataframe[0].value
    np.testing.assert_allclose(sorted(table["μ"]), sorted(mu[0]), atol=1e-5)
