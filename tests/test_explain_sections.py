"""ui.forms.explain: the page's tables and sentences, built from the engine's numbers."""
import numpy as np
import pytest

from ui.forms import explain as sec
from vae import betas as vb
from vae import explain as ex


def _grads(sample_none: bool = True) -> ex.ReparamGradients:
    mu, sigma, eps = np.array([0.5, -1.0]), np.array([0.2, 0.1]), np.array([1.0, -2.0])
    gz = np.array([3.0, 4.0])
    return ex.ReparamGradients(mu, sigma, eps, mu + sigma * eps, 210.0, gz,
                               None if sample_none else gz, None if sample_none else gz * eps,
                               None, gz, gz * eps, 12.5)


def test_mu_sigma_table_has_log_variance():
    t = sec.mu_sigma_table([0.0, 1.0], [1.0, np.exp(-1)])
    assert t["dim"].tolist() == ["z0", "z1"]
    np.testing.assert_allclose(t["log sigma^2 (z_log_sigma)"], [0.0, -2.0])


def test_z_samples_table_needs_two_draws_for_a_spread():
    one = sec.z_samples_table([0.0], [1.0], np.array([[0.3]]), np.array([[0.3]]))
    assert np.isnan(one["std of the z drawn"][0])
    z = np.array([[1.0], [3.0]])
    two = sec.z_samples_table([2.0], [1.0], z, z - 2.0)
    assert two["mean of the z drawn"][0] == 2.0 and two["std of the z drawn"][0] == 1.0
    assert two["last z"][0] == 3.0 and two["last eps"][0] == 1.0


def test_gradient_table_shows_none_for_sample_and_numbers_for_rsample():
    t = sec.gradient_table(_grads())
    assert t["sample(): dL/dmu"].tolist() == [None, None]
    assert t["sample(): dL/dsigma"].tolist() == [None, None]
    assert t["rsample(): dL/dmu"].tolist() == [3.0, 4.0]
    assert t["rsample(): dL/dsigma"].tolist() == [3.0, -8.0]
    np.testing.assert_allclose(t["z = mu + sigma·eps"], [0.7, -1.2])


def test_gradient_sentence_follows_the_numbers():
    s = sec.gradient_sentence(_grads())
    assert "**None**" in s and "12.5" in s and "dL/dz · eps" in s
    assert "unexpected" in sec.gradient_sentence(_grads(sample_none=False))


def test_kl_terms_table_rows_are_the_dims_kl():
    mu, sigma = np.array([1.0, 0.0]), np.array([0.5, 1.0])
    t = sec.kl_terms_table(mu, sigma)
    np.testing.assert_allclose(t["kl"], t["mean penalty"] + t["width penalty"])
    np.testing.assert_allclose(t["kl"], ex.kl_split(mu, sigma).per_dim)
    assert t["kl"][1] == 0.0


def test_kl_note_only_for_an_untrained_kl():
    assert sec.kl_not_trained_note("vae", 1.0, 4.0) is None
    note = sec.kl_not_trained_note("ae", 0.0, 45.163)
    assert "45.16" in note and "measured" in note and "beta = 0" in note


def test_coverage_and_prior_sentences_carry_their_numbers():
    s = sec.coverage_sentence([("a", "VAE", 0.893), ("b", "autoencoder", 0.024)], 1000)
    assert "**89%** for a (VAE)" in s and "**2%** for b (autoencoder)" in s and "1,000" in s
    # the autoencoder's prior samples can look like digits: the sentence must not say the decoder
    # was never trained on anything there, only that no image was encoded there
    assert "never trained on anything" not in s and "though it can still look like data" in s
    p = sec.prior_comparison_sentence(0.893, 0.024, 0.0061, 14.9)
    assert "0.0061" in p and "±15" in p and "2%" in p and "89%" in p
    # a sigma far below 0.001 is written as such, not as "median 0.000"
    assert "median 0.00012)" in sec.prior_comparison_sentence(0.9, 0.1, 0.000123, 12.0)


def _point(name, beta, kl, recon, active=2):
    return vb.RunPoint(name, "mnist-5k", 2, beta, 30, kl, recon, active)


def test_beta_family_needs_three_betas_on_the_same_data():
    shipped = [_point("vae", 1.0, 5.0, 165.0), _point("ae", 0.0, 45.0, 165.0)]
    assert sec.beta_family_for(shipped, "mnist-5k", 2) == []
    fam = shipped + [_point("b8", 8.0, 0.1, 200.0, active=0)]
    got = sec.beta_family_for(fam, "mnist-5k", 2)
    assert [p.name for p in got] == ["ae", "vae", "b8"]
    assert sec.beta_family_for(fam, "fashion-mnist", 2) == []
    t = sec.beta_table(got)
    assert t["posterior collapsed"].tolist() == ["no", "no", "yes"]
    assert t["active dims"].tolist()[-1] == "0 of 2"


def test_beta_family_of_another_latent_size_when_this_one_has_none():
    wide = [vb.RunPoint(f"w{b}", "mnist-5k", 16, b, 30, 10.0 / (1 + b), 90 + b, 16)
            for b in (0.0, 1.0, 4.0)]
    shipped = [_point("vae", 1.0, 5.0, 165.0), _point("ae", 0.0, 45.0, 165.0)]
    got = sec.beta_family_for(shipped + wide, "mnist-5k", 2)
    assert [p.name for p in got] == ["w0.0", "w1.0", "w4.0"], "the 16-D family, not a 2-D mix"


def test_beta_sentence_says_only_what_the_numbers_show():
    family = [vb.RunPoint(f"b{b}", "mnist-5k", 16, b, 30, kl, recon, act)
              for b, kl, recon, act in ((0.0, 358.8, 88.7, 16), (4.0, 7.8, 132.3, 16))]
    s = sec.beta_sentence(family)
    assert "KL falls from 358.8 to 7.8" in s and "grows from 88.7 to 132.3" in s
    assert "all 16 of 16 dims stay active up to beta = 4" in s and "collapses" not in s
    family.append(vb.RunPoint("b16", "mnist-5k", 16, 16.0, 30, 0.2, 200.0, 0))
    s = sec.beta_sentence(family)
    assert "active dims drop from 16 to 0 of 16" in s and "collapses" in s and "beta = 16" in s


def _acc(recon=209.18, kl=4.02, iwae=-197.51, k=100):
    return ex.Accounting(recon, kl, iwae, k, 200, 1, 784)


def test_accounting_latex_uses_one_sign_convention():
    tex = sec.accounting_latex(_acc())
    assert "{-213.20}_{\\text{ELBO}}" in tex and "{-209.18}" in tex and "{-197.51}" in tex
    assert tex.index("-213.20") < tex.index("-197.51") < tex.index("\\log p(x)"), \
        "ELBO <= IWAE_k <= log p(x), in that order"


def test_accounting_definitions_and_scope():
    d = sec.accounting_definitions(_acc())
    assert "**IWAE_k**" in d and "**Bits per dim**" in d and "784" in d
    assert f"{_acc().bits(_acc().neg_elbo):.4f}" in d
    c = sec.accounting_scope_caption("sample", 200, 1000, 200, 169.7)
    assert "stratified" in c and "200 of the 1,000" in c and "ELBO -169.70" in c
    assert sec.accounting_scope_caption("input", 1, 1000, 200, 169.7).startswith("This input")


@pytest.mark.parametrize("family", [True, False])
def test_takeaways_point_to_sections_and_claim_only_what_is_shown(family):
    fam = [vb.RunPoint(f"b{b}", "mnist-5k", 16, b, 30, kl, recon, 16)
           for b, kl, recon in ((0.0, 358.8, 88.7), (4.0, 7.8, 132.3))] if family else None
    lines = sec.takeaways(4.021, 632.7, 0.89, 0.02, True, fam)
    joined = " ".join(lines)
    for ref in ("§1", "§2", "§3", "§4", "§6"):
        assert ref in joined
    assert "4.02 nats" in joined and "633" in joined and "89%" in joined and "2%" in joined
    assert ("β table" in joined) == family
    if family:
        assert "from 358.8 to 7.8 nats" in joined
    alone = " ".join(sec.takeaways(4.0, 600.0, None, None, False))
    assert "cannot show one" in alone and "%" not in alone
    vae_only = " ".join(sec.takeaways(4.0, 600.0, 0.886, None, False))
    assert "89% of prior samples land on one of this VAE's codes" in vae_only


def test_prior_comparison_without_measured_shares_claims_none():
    p = sec.prior_comparison_sentence(None, None, 0.0061, 14.9)
    assert "%" not in p and "0.006" in p


def test_intro_names_the_run_its_latent_size_and_beta():
    text = sec.intro("mnist5k-2d", 2, 1.0)
    assert sec.SEED_TITLE in text and "**mnist5k-2d**" in text and "(2-D latent, beta = 1)" in text


def test_examples_by_class_leaves_out_classes_without_an_image():
    by_class = sec.examples_by_class([2, 0, 2, 0, 2], 4)
    assert list(by_class) == [0, 2]
    assert by_class[0].tolist() == [1, 3] and by_class[2].tolist() == [0, 2, 4]


def test_class_and_nth_points_back_at_the_same_image():
    labels = np.array([2, 0, 2, 0, 2])
    by_class = sec.examples_by_class(labels, 3)
    for index in range(len(labels)):
        cls, nth = sec.class_and_nth(by_class, labels, index)
        assert by_class[cls][nth - 1] == index


def test_encoded_again_counts_clicks_on_one_input_and_restarts_on_another():
    first = sec.encoded_again(None, 7, 0.0)
    assert first == {"index": 7, "count": 1, "diff": 0.0}
    second = sec.encoded_again(first, 7, 0.0)
    assert second["count"] == 2
    assert sec.encoded_again(second, 8, 0.0)["count"] == 1
    assert "Encoded again 2 time(s)" in sec.encoded_again_sentence(second)


def test_calculator_start_rounds_and_says_when_the_sliders_cannot_reach():
    assert sec.calculator_start(0.1234, 0.987) == (0.12, 0.99, False)
    mu, sigma, outside = sec.calculator_start(-7.5, 0.01)
    assert (mu, sigma, outside) == (sec.CALC_MU_RANGE[0], sec.CALC_SIGMA_RANGE[0], True)
    assert sec.calculator_start(1.0, 5.0)[1:] == (sec.CALC_SIGMA_RANGE[1], True)


def test_clipped_caption_gives_the_kl_where_the_input_really_is():
    text = sec.clipped_caption(3, 6.0, 1.0)
    assert "z3" in text and "mu = 6" in text
    assert f"{ex.kl_split([6.0], [1.0]).total:.2f} nats" in text  # 18.00: mu²/2


def test_model_kinds_gives_the_counterpart_the_other_kind():
    assert sec.model_kinds("v", 1.0, "a") == {"v": "VAE", "a": "autoencoder"}
    assert sec.model_kinds("a", 0.0, "v") == {"a": "autoencoder", "v": "VAE"}
    assert sec.model_kinds("v", 1.0, None) == {"v": "VAE"}
    assert sec.model_title("autoencoder", "a", 0.0) == "Autoencoder: a (beta = 0)"


def test_no_counterpart_note_asks_for_the_missing_kind():
    assert "plain autoencoder (beta = 0)" in sec.no_counterpart_note(1.0)
    assert "VAE (beta > 0)" in sec.no_counterpart_note(0.0)


def test_aggregate_posterior_intro_adds_coverage_only_when_measured():
    plain = sec.aggregate_posterior_intro("")
    assert plain.endswith("fill the region generation samples.")
    assert sec.aggregate_posterior_intro("Of 1,000 samples.") == plain + " Of 1,000 samples."


def test_beta_family_intro_says_when_the_family_has_another_latent_size():
    family = [_point(f"b{b}", b, kl, 100.0) for b, kl in ((0.1, 8.0), (1.0, 5.0), (4.0, 1.0))]
    assert "(they are" not in sec.beta_family_intro(family, 2)
    assert "(they are 2-D; this run is 16-D)" in sec.beta_family_intro(family, 16)


def test_drag_caption_measures_in_sigmas_and_from_the_prior_centre():
    text = sec.drag_caption(np.array([3.0, 4.0]), np.array([3.0, 0.0]), np.array([1.0, 2.0]))
    assert "2.0 sigma" in text and "(dim z1)" in text and "5.00 from the prior's centre" in text


def test_likelihood_note_says_scores_not_likelihoods_with_a_baseline_and_the_peer():
    from vae.model import VAEConfig
    from vae.run import TrainConfig
    model = VAEConfig(latent_dim=2, hidden=(512, 256))
    mnist = TrainConfig(dataset="mnist-5k", epochs=100)
    note = sec.likelihood_note(model, 151.9, 206.4, mnist)
    assert "scores, not normalised likelihoods" in note and "binarize" in note
    assert "206.4 nats" in note and "−ELBO on the same test set is 151.9 (its last epoch)" in note
    # the peer's network is named as the one it was measured with, not as this run's
    assert "169.8 ± 1.4" in note and "169.6 ± 0.3" in note and "one hidden layer of 256" in note
    assert "this run's network is mlp 512,256, 100 epochs" in note
    assert "same network scored" not in note
    # no peer for another dataset, another latent size, or an autoencoder: they were not measured
    fashion = TrainConfig(dataset="fashion-mnist", epochs=30)
    assert "pythae" not in sec.likelihood_note(model, 257.0, 385.0, fashion)
    assert "pythae" not in sec.likelihood_note(VAEConfig(latent_dim=5), 100.0, 200.0, mnist)
    assert "pythae" not in sec.likelihood_note(VAEConfig(latent_dim=2, beta=0.0), 180.0, 200.0,
                                               mnist)
    assert "Gaussian" in sec.likelihood_note(VAEConfig(latent_dim=2, likelihood="gaussian"), 1.0,
                                             None, mnist)


def test_the_pixel_baseline_is_the_mean_bernoulli_cross_entropy():
    import numpy as np

    from vae.explain import pixel_baseline_neg_log_lik
    train = np.array([[0.0, 1.0], [1.0, 1.0]])  # pixel means 0.5 and 1 (clipped to 1 - 1e-6)
    test = np.array([[1.0, 1.0]])
    want = -np.log(0.5) - np.log(1 - 1e-6)
    assert abs(pixel_baseline_neg_log_lik(train, test) - want) < 1e-9


def test_the_recap_sends_other_data_to_the_train_page_not_to_the_mnist_sweep():
    """Rate and distortion's sweep trains MNIST-5k only: on a Fashion-MNIST run the recap must
    not promise that it can sweep β for this run."""
    text = " ".join(sec.takeaways(3.0, 1.0, None, None, False, beta_family=None))
    assert "sweeps β on MNIST-5k" in text and "on the Train page" in text
    assert "(Rate and distortion can sweep them)" not in text


def test_the_sweep_form_names_its_own_network(runs_root):
    from tests.conftest import run_page
    at = run_page("rate_distortion", "mnist5k-2d")
    (words,) = [c.value for c in at.caption if c.value.startswith("Each beta trains")]
    assert "one hidden layer of 256" in words and "shipped mnist5k-2d's shape" not in words
