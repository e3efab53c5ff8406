"""ui.forms.presenter: the run pair that tells the story, the steps' order, and its sentences."""
import numpy as np
import plotly.graph_objects as go

from ui.forms import presenter as story
from vae import betas as vb
from vae.betas import RunPoint
from vae.run import RunDir


def _point(beta, kl, recon, active, name="r"):
    return RunPoint(name, "mnist-5k", 16, beta, 20, kl, recon, active)


def test_steps_move_one_at_a_time_and_stop_at_either_end():
    first, second, last = story.STEPS
    assert story.step_after(first, 1) == second
    assert story.step_after(second, -1) == first
    assert story.step_after(first, -1) == first
    assert story.step_after(last, 1) == last
    assert story.step_after(None, 1) == second, "no step yet counts as the first"


def test_the_story_pair_is_the_beta_familys_autoencoder_and_its_vae_nearest_beta_1(runs_root):
    runs = [RunDir(p) for p in sorted(runs_root.iterdir())]
    active = RunDir(runs_root / "mnist5k-2d")
    family = vb.best_family(runs, active)
    ae, vae = story.story_pair(runs, active, 1.0, family)
    assert (ae.name, vae.name) == ("mnist5k-16d-beta0", "mnist5k-16d-beta1")


def test_without_a_family_the_pair_is_the_active_run_and_its_counterpart(runs_root):
    runs = [RunDir(runs_root / n) for n in ("mnist5k-2d", "mnist5k-2d-ae")]
    ae, vae = story.story_pair(runs, runs[1], 0.0, [])
    assert (ae.name, vae.name) == ("mnist5k-2d-ae", "mnist5k-2d")
    alone = [RunDir(runs_root / "fashion-16d")]
    assert story.story_pair(alone, alone[0], 1.0, []) == (None, alone[0])


def test_the_verdict_says_which_prior_samples_fail_with_the_numbers():
    worse = story.prior_samples_verdict(0.02, 0.18, 11.4, 2.61, 16)
    assert "speckled smudges" in worse and "recognises 2% of them, against 18%" in worse
    assert "(±11 against ±2.6)" in worse
    # what the classifier says of the VAE's samples is said too, not "random codes decode to
    # digits" beside "recognises 18%"
    assert "decode to digits" not in worse and "82% of them still miss" in worse
    alike = story.prior_samples_verdict(0.27, 0.10, 3.0, 2.5, 2)
    assert "recognised as often as the VAE's (27% against 10%): with 2 dims" in alike
    assert "speckled" not in alike


def test_the_collapse_sentence_reads_the_family_from_its_lowest_beta_to_its_highest():
    text = story.collapse_sentence(_point(0.0, 30.5, 80.2, 16), _point(32.0, 0.02, 208.0, 0))
    assert "From β = 0 to β = 32 the KL falls from 30.5 to 0.02 nats" in text
    assert "from 16 to 0 of 16" in text and "rises from 80 to 208 nats" in text


def test_inside_one_sigma_counts_the_z_in_the_ellipse_on_the_chosen_dims():
    mu, sigma = np.array([0.0, 1.0, 5.0]), np.array([1.0, 2.0, 0.5])
    z = np.array([[0.0, 1.0, 100.0], [0.9, 1.0, 5.0], [0.0, 3.5, 5.0], [0.8, 2.4, 5.0]])
    assert story.inside_one_sigma(z, mu, sigma, (0, 1)) == 2  # dim 2 is not on the plane
    assert story.inside_one_sigma(z, mu, sigma, (0, 2)) == 3


def test_big_sets_the_large_type_on_any_figure():
    fig = story.big(go.Figure(layout=dict(title="t")))
    assert fig.layout.font.size == story.FONT and fig.layout.title.font.size == story.FONT + 4


def test_the_plane_title_names_its_dims_only_above_two():
    assert story.plane_title((0, 1), 2) == "Test codes"
    assert story.plane_title((3, 7), 16) == "Test codes (z3 and z7 of 16 dims)"


def test_the_sweep_offer_lists_the_betas_it_would_train():
    text = story.too_few_betas_note(2, [0.1, 1.0, 4.0, 16.0])
    assert text.startswith("Only 2 beta value(s)") and "(beta 0.1, 1, 4, 16;" in text


def test_the_reconstructions_caption_walks_the_betas_in_order():
    text = story.reconstructions_caption(30, [0.0, 1.0, 16.0])
    assert "the beta written beside it (30 epochs each), from beta 0 → 1 → 16" in text


def test_the_collapsed_warning_names_the_runs():
    assert story.collapsed_warning(["b16", "b32"]).startswith("Collapsed: b16, b32.")


def test_plane_dims_are_the_two_dims_of_largest_kl_in_dim_order():
    mu, sigma = np.array([0.0, 3.0, 0.1, -2.0]), np.array([1.0, 0.1, 1.0, 0.2])
    assert story.plane_dims(mu, sigma) == (1, 3)
    assert story.plane_dims(np.array([0.5]), np.array([0.5])) == (0, 0)


def test_the_step_3_words_show_the_plane_dims_only():
    mu, sigma = np.array([0.5, 9.0, -1.25]), np.array([0.1, 9.0, 0.2])
    assert story.mu_sigma_words(mu, sigma, (0, 2)).startswith(
        "mu = (0.50, -1.25)  \nsigma = (0.10, 0.20)")
    eps = np.array([[1.0, 9.0, -0.5], [0.0, 9.0, 2.0]])
    assert story.eps_words(eps, (0, 2), 0) == (
        "eps ~ N(0, I), drawn 2 times (seed 0):  \n(+1.00, -0.50)  \n(+0.00, +2.00)")
