"""AppTest of Presenter mode: the three steps, Back/Next, sub-steps, fixed seeds, PNG exports."""
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import BETA_FAMILY, NEEDS_FASHION, _copy_runs, page_app, run_page

from vae import betas as vb
from vae import explain as ex
from vae import quality as vq
from vae.data import load_dataset
from vae.run import DEFAULT_ROOT, RunDir

STEPS = ["1 · Autoencoder vs VAE", "2 · Raise beta: collapse", "3 · The reparameterization"]


def _open(run="mnist5k-2d") -> AppTest:
    # step 1 fits the pixel classifier once per dataset: minutes on a loaded 2-core machine
    at = page_app("presenter", run, timeout=900)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


DEMO = "Offline demo (.html)"  # the run's offline demo, offered on every step


def _downloads(at: AppTest) -> list[str]:
    return [el.proto.label for el in at.get("download_button")]


def _text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def _image_captions(at: AppTest) -> list[str]:
    return [c for im in at.get("image") for c in im.captions]


@pytest.fixture(scope="module")
def shares():
    """The classifier-recognised share of each shipped run's prior samples, computed directly."""
    data = load_dataset("mnist-5k")
    clf = vq.fit_pixel_classifier(data)
    return {n: vq.prior_sample_quality(RunDir(DEFAULT_ROOT / n).load_model(), clf).share
            for n in ("mnist5k-16d-beta0", "mnist5k-16d-beta1", "mnist5k-2d", "mnist5k-2d-ae")}


def test_step_one_compares_the_16d_autoencoder_and_vae_with_the_classifier_share(runs_root,
                                                                                  shares):
    at = _open()
    assert at.button_group(key="presenter_step").value == STEPS[0]
    assert [s.value for s in at.subheader] == ["Autoencoder (no KL): mnist5k-16d-beta0",
                                               "VAE: mnist5k-16d-beta1"]
    ae, vae = shares["mnist5k-16d-beta0"], shares["mnist5k-16d-beta1"]
    captions = _image_captions(at)
    assert f"recognises {ae:.0%} of 1,000" in captions[0]
    assert f"recognises {vae:.0%} of 1,000" in captions[1]
    assert ae < vae
    assert f"recognises {ae:.0%} of them, against {vae:.0%} of the VAE's" in _text(at)
    assert "garbage" not in _text(at) and "gaps between digits" not in _text(at)
    assert _downloads(at) == [DEMO, "PNG: prior samples", "PNG: prior samples"]
    assert at.button(key="presenter_back").disabled


def test_without_the_family_the_active_runs_pair_is_used_and_the_text_follows_the_numbers(
        tmp_path, monkeypatch, shares):
    root = _copy_runs(tmp_path / "runs", ["mnist5k-2d", "mnist5k-2d-ae"])
    monkeypatch.setenv("VAE_RUNS_ROOT", str(root))
    at = _open("mnist5k-2d-ae")
    assert [s.value for s in at.subheader] == ["Autoencoder (no KL): mnist5k-2d-ae",
                                               "VAE: mnist5k-2d"]
    ae, vae = shares["mnist5k-2d-ae"], shares["mnist5k-2d"]
    if ae < vae:
        assert "speckled smudges" in _text(at)
    else:  # in 2-D the autoencoder's prior samples are digits too: the page must not say otherwise
        assert "speckled smudges" not in _text(at)
        assert f"recognised as often as the VAE's ({ae:.0%} against {vae:.0%})" in _text(at)


def test_a_run_without_a_pair_is_explained(scratch_root):
    at = _open("mnist5k-2d")
    assert "no such pair" in at.info[0].value


def test_next_and_back_walk_the_steps_without_a_session_state_warning(runs_root, monkeypatch):
    from streamlit.elements.lib import policies
    logged = []
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    monkeypatch.setattr(policies._LOGGER, "warning", lambda msg, *a: logged.append(msg % a))
    at = _open()
    at.button(key="presenter_next").click().run()
    assert at.button_group(key="presenter_step").value == STEPS[1]
    at.button(key="presenter_next").click().run()
    assert at.button_group(key="presenter_step").value == STEPS[2]
    assert at.button(key="presenter_next").disabled
    at.button(key="presenter_back").click().run()
    assert at.button_group(key="presenter_step").value == STEPS[1]
    assert not at.exception
    assert not [m for m in logged if "presenter_step" in m], logged


def test_beta_step_shows_the_family_collapsing(runs_root):
    at = _open()
    at.button_group(key="presenter_step").set_value(STEPS[1]).run()
    assert not at.exception
    family = [vb.run_point(RunDir(DEFAULT_ROOT / n)) for n in BETA_FAMILY]
    caption = _image_captions(at)[0]
    assert "beta 0 → 0.25 → 0.5 → 1 → 2 → 4 → 8 → 16" in caption
    assert _downloads(at) == [DEMO, "PNG: reconstructions by beta"]
    first, last = family[0], family[-1]
    assert (f"active units (dims whose mu still moves with x) from {first.active_units} to "
            f"{last.active_units} of 16") in _text(at)
    assert first.active_units > last.active_units


def test_beta_step_with_too_few_betas_offers_the_sweep(scratch_root):
    at = _open()
    at.button_group(key="presenter_step").set_value(STEPS[1]).run()
    assert "too few to watch collapse" in at.info[0].value
    assert at.button(key="presenter_sweep").label == "Train the beta sweep"
    assert _downloads(at) == [DEMO], "no family, no PNG to export"


def test_reparameterization_sub_steps_and_fixed_seed(runs_root):
    at = _open()
    at.button_group(key="presenter_step").set_value(STEPS[2]).run()
    assert [s.value for s in at.subheader] == ["1 · The input"]
    at.button_group(key="presenter_substep").set_value(4).run()
    assert [s.value for s in at.subheader] == ["1 · The input", "2 · The noise", "3 · The code",
                                               "4 · The decodes"]
    model = RunDir(DEFAULT_ROOT / "mnist5k-2d").load_model()
    data = load_dataset("mnist-5k")
    captions = _image_captions(at)
    index = int(next(c for c in captions if c.startswith("test image #")).split("#")[1].split()[0]) - 1
    mu, sigma = ex.encode_one(model, data.test_x[index])
    text = " ".join(m.value for m in at.markdown)
    assert f"mu = ({mu[0]:.2f}, {mu[1]:.2f})" in text
    eps = ex.draw_eps(8, 2, seed=0)
    assert f"({eps[0, 0]:+.2f}, {eps[0, 1]:+.2f})" in text, "eps drawn from seed 0"
    # "the same picture" only where the classifier reads every decode as the input's class
    read = vq.fit_pixel_classifier(data).predict(
        ex.decode_images(model, ex.reparameterize(mu, sigma, eps)).reshape(8, -1))
    decodes = next(c for c in captions if c.startswith("decoder(z)"))
    if (read == data.test_y[index]).all():
        assert "variant of the same picture" in decodes
    else:
        assert "every one of these" not in decodes and "the pixel classifier reads" in decodes
    assert _downloads(at) == [DEMO, "PNG: decodes"]


@NEEDS_FASHION
def test_a_fashion_run_is_told_that_the_story_shows_mnist_runs(runs_root):
    """The shipped β family is MNIST-5k: on fashion-2d, steps 1 and 2 show MNIST digits, and say
    so, rather than ask "Is a decode a digit?" of a clothes run without a word."""
    for step in STEPS[:2]:
        at = run_page("presenter", "fashion-2d", state={"presenter_step": step})
        note = " ".join(i.value for i in at.info)
        assert "show **mnist-5k** runs, not **fashion-2d**'s fashion-mnist" in note, step
    at = run_page("presenter", "mnist5k-2d", state={"presenter_step": STEPS[1]})
    assert not any("runs, not **" in i.value for i in at.info)
