"""The Generate page under AppTest: the explorer's payload and data, z from and to the URL, and
the seed, manifold and interpolation controls producing the figures they should."""
import json

import numpy as np
import torch
from streamlit.testing.v1 import AppTest

from tests.conftest import component_data, run_page, NEEDS_FASHION
from ui.components.decoder import decode_payload, read_payload
from vae.run import RunDir



def _app(run: str, **query) -> AppTest:
    return run_page("generate", run, **query)


def _components(at) -> dict:
    return {c.proto.component_name: c.proto for c in at.get("bidi_component")}


def _chart(at, key: str) -> dict:
    """The numbers an image grid under `key` is drawn from (ui.figures.generate.image_grid_view):
    the charts component draws all five of the page's grids; no Plotly chart is left."""
    assert not at.get("plotly_chart"), "an image grid is a Plotly chart again"
    view = component_data(at, key)
    assert view["kind"] == "images"
    return view


def _z_text(at) -> str:
    return next(m.value for m in at.markdown if "kept in the page's link" in m.value)


def test_explorer_gets_the_decoder_and_a_zero_z(runs_root):
    at = _app("mnist5k-2d")
    comps = _components(at)
    payload = comps["vae_decoder_assets"].bytes
    data = json.loads(comps["vae_latent_explorer"].json)
    header, _ = read_payload(payload)
    assert data["model"] == header["id"], "the explorer does not name the payload it needs"
    assert data["z"] == [0.0, 0.0] and at.query_params["z"] == "0.00,0.00"
    assert sorted(data["order"]) == [0, 1]
    # a 2-D run's pad is z0 across and z1 up, as on Latent space, whichever dim carries more KL
    assert data["pad"] == [0, 1]
    assert data["kl"][data["order"][0]] >= data["kl"][data["order"][1]], "sliders not by KL"
    model = RunDir(runs_root / "mnist5k-2d").load_model()
    z = np.array([[1.0, -0.5]], np.float32)
    with torch.no_grad():
        want = model.decode_mean(torch.from_numpy(z)).numpy()
    assert np.abs(decode_payload(payload, z) - want).max() < 1e-5
    assert "(+0.00, +0.00)" in _z_text(at)


def test_z_in_the_url_reopens_it(runs_root):
    at = _app("mnist5k-2d", z="1.25,-0.50")
    assert json.loads(_components(at)["vae_latent_explorer"].json)["z"] == [1.25, -0.5]
    assert "(+1.25, -0.50)" in _z_text(at)
    assert at.query_params["z"] == "1.25,-0.50"


def test_a_z_that_does_not_fit_is_explained(runs_root):
    at = _app("mnist5k-2d", z="1,2,3")
    assert "does not fit" in at.warning[0].value
    assert "(+0.00, +0.00)" in _z_text(at)


def test_use_its_mu_moves_z_to_a_test_image(runs_root):
    at = _app("mnist5k-2d")
    at.number_input(key="gen_start_index").set_value(4).run()  # the 4th, counted from 1
    at.button(key="gen_use_mu").click().run()
    data = json.loads(_components(at)["vae_latent_explorer"].json)
    model = RunDir(runs_root / "mnist5k-2d").load_model()
    from ui.cache.runs import run_dataset
    x = run_dataset(RunDir(runs_root / "mnist5k-2d")).test_x[3:4]
    with torch.no_grad():
        mu = model.encode(torch.from_numpy(x.copy())).mu[0].numpy()
    np.testing.assert_allclose(data["z"], mu, atol=1e-5)
    assert data["rev"] == 1, "a z set by Python must tell the browser to take it"
    assert at.query_params["z"] == ",".join(f"{v:.2f}" for v in mu)


def test_seed_changes_the_prior_samples(runs_root):
    at = _app("mnist5k-2d")
    first = _chart(at, "gen_samples")["png"]
    at.number_input(key="gen_seed").set_value(1).run()
    second = _chart(at, "gen_samples")["png"]
    at.number_input(key="gen_seed").set_value(0).run()
    assert second != first, "a new seed drew the same samples"
    assert _chart(at, "gen_samples")["png"] == first, "seed 0 is not reproducible"


def test_interpolation_follows_the_chosen_inputs(runs_root):
    at = _app("mnist5k-2d")
    ticks = [" ".join(lines) for lines in _chart(at, "gen_interp")["col_labels"]]
    assert ticks[0].endswith(" 0") and ticks[-1].endswith(" 1")
    at.selectbox(key="gen_interp_B_class").set_value(7).run()
    at.number_input(key="gen_interp_B_nth").set_value(3).run()  # the third 7, counted from 1
    ticks = [" ".join(lines) for lines in _chart(at, "gen_interp")["col_labels"]]
    labels = run_labels(runs_root, "mnist5k-2d")
    sevens = np.flatnonzero(labels == 7)
    assert ticks[-1] == f"#{sevens[2] + 1} 7", "test images are counted from 1, as on every page"


def run_labels(root, name):
    from ui.cache.runs import encode_test_set
    return encode_test_set(RunDir(root / name))["labels"]


@NEEDS_FASHION
def test_fashion_16d_manifold_dims_and_traversals(runs_root):
    at = _app("fashion-16d")
    data = json.loads(_components(at)["vae_latent_explorer"].json)
    assert len(data["z"]) == 16 and sorted(data["order"]) == list(range(16))
    assert not all(data["active"]), "fashion-16d should have inactive dims to mark"
    fig = _chart(at, "gen_manifold")
    top = data["order"][0]
    assert fig["x_title"].startswith(f"z{top} ")
    at.selectbox(key="gen_mx").set_value(data["order"][5]).run()
    at.slider(key="gen_mn").set_value(7).run()
    fig = _chart(at, "gen_manifold")
    assert fig["x_title"].startswith(f"z{data['order'][5]} ")
    assert fig["grid"] == [7, 7] and len(fig["col_labels"]) == 7
    assert fig["hover"][0][0].startswith(f"z{data['order'][5]} = -1.64, ")
    rows = _chart(at, "gen_traversal")["row_labels"]
    assert len(rows) == 16 and rows[0].startswith(f"z{top} ")
    assert sum("inactive" in r for r in rows) == 16 - sum(data["active"])


@NEEDS_FASHION
def test_same_dims_for_the_manifold_are_explained(runs_root):
    at = _app("fashion-16d")
    at.selectbox(key="gen_my").set_value(at.selectbox(key="gen_mx").value).run()
    assert any("two different dims" in i.value for i in at.info)


def test_no_runs_is_explained(empty_runs_root):
    at = run_page("generate", run=None)
    assert "no runs yet" in at.info[0].value.lower()


def test_the_nearest_images_say_what_their_numbers_are(runs_root):
    """"8 · 0.02" could not be placed: each label names the class and says the number is how far
    its μ lies from z."""
    at = run_page("generate")
    assert any("each labelled with its class and that distance" in m.value for m in at.markdown)
    labels = _chart(at, "gen_nearest")["col_labels"]
    assert len(labels) == 8 and all(t[-1].endswith(" away") for t in labels), labels
    first = labels[0]
    words = next(m.value for m in at.markdown if "each labelled with its class" in m.value)
    assert f"(the first, \"{first[0]}, {first[1]}\"" in words


@NEEDS_FASHION
def test_the_nearest_images_example_speaks_of_this_datas_classes(runs_root):
    """On Fashion-MNIST the example was "3, 0.42 away: a 3 whose μ...", a digit among clothes."""
    at = run_page("generate", "fashion-2d")
    words = next(m.value for m in at.markdown if "each labelled with its class" in m.value)
    first = _chart(at, "gen_nearest")["col_labels"][0][0]
    assert f"a test image of class {first} whose" in words and "a 3 whose" not in words
