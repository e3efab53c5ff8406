"""AppTest of Presenter mode: the three steps, Back/Next, sub-steps, fixed seeds, PNG exports."""
from streamlit.testing.v1 import AppTest

from tests.conftest import run_page

from vae import explain as ex
from vae.data import load_dataset
from vae.runs import DEFAULT_ROOT, RunDir

STEPS = ["1 · Autoencoder vs VAE", "2 · Raise beta: collapse", "3 · The reparameterization"]


def _open(run="mnist5k-2d") -> AppTest:
    return run_page("presenter", run)


def _downloads(at: AppTest) -> list[str]:
    return [el.proto.label for el in at.get("download_button")]


def test_step_one_compares_the_autoencoder_and_the_vae(runs_root):
    at = _open()
    assert at.button_group(key="presenter_step").value == STEPS[0]
    assert [s.value for s in at.subheader] == ["Autoencoder (no KL): mnist5k-2d-ae",
                                               "VAE: mnist5k-2d"]
    assert _downloads(at) == ["PNG: prior samples", "PNG: prior samples"]
    assert at.button(key="presenter_back").disabled


def test_an_autoencoder_run_finds_its_vae(runs_root):
    at = _open("mnist5k-2d-ae")
    assert "VAE: mnist5k-2d" in [s.value for s in at.subheader]


def test_a_run_without_a_pair_is_explained(runs_root):
    at = _open("fashion-2d")
    assert "no such pair" in at.info[0].value


def test_next_and_back_walk_the_steps(runs_root):
    at = _open()
    at.button(key="presenter_next").click().run()
    assert at.button_group(key="presenter_step").value == STEPS[1]
    at.button(key="presenter_next").click().run()
    assert at.button_group(key="presenter_step").value == STEPS[2]
    assert at.button(key="presenter_next").disabled
    at.button(key="presenter_back").click().run()
    assert at.button_group(key="presenter_step").value == STEPS[1]
    assert not at.exception


def test_beta_step_with_too_few_betas_offers_the_sweep(runs_root):
    at = _open()
    at.button_group(key="presenter_step").set_value(STEPS[1]).run()
    assert "too few to watch collapse" in at.info[0].value
    assert at.button(key="presenter_sweep").label == "Train the beta sweep"
    assert _downloads(at) == ["PNG: reconstructions by beta"]
    caption = [c for im in at.get("image") for c in im.captions][0]
    assert "beta 0 → 1" in caption, "rows ordered by beta: the autoencoder, then the VAE"


def test_reparameterization_sub_steps_and_fixed_seed(runs_root):
    at = _open()
    at.button_group(key="presenter_step").set_value(STEPS[2]).run()
    assert [s.value for s in at.subheader] == ["1 · The input"]
    at.select_slider(key="presenter_substep").set_value(4).run()
    assert [s.value for s in at.subheader] == ["1 · The input", "2 · The noise", "3 · The code",
                                               "4 · The decodes"]
    model = RunDir(DEFAULT_ROOT / "mnist5k-2d").load_model()
    mu, sigma = ex.encode_one(model, load_dataset("mnist-5k").test_x[0])
    text = " ".join(m.value for m in at.markdown)
    assert f"mu = ({mu[0]:.2f}, {mu[1]:.2f})" in text
    eps = ex.draw_eps(8, 2, seed=0)
    assert f"({eps[0, 0]:+.2f}, {eps[0, 1]:+.2f})" in text, "eps drawn from seed 0"
    assert _downloads(at) == ["PNG: decodes"]
