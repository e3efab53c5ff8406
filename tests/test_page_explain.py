"""AppTest of the "What mu and sigma mean" page: each control, its numbers against the engine."""
import base64

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from ui import jobs
from tests.conftest import NEEDS_FASHION, component_data, plotly_spec, run_page
from vae import explain as ex
from vae.data import load_dataset
from vae.run import DEFAULT_ROOT, RunDir



def _open(run="mnist5k-2d") -> AppTest:
    return run_page("explain", run)


def _frame(at: AppTest, column: str):
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with column {column!r}")


def _shown(at: AppTest) -> int:
    """The test index the page explains (it opens on one whose first draws keep its class)."""
    return int(at.session_state["explain_eps_for"][1])


@pytest.fixture(scope="module")
def model():
    from vae.run import DEFAULT_ROOT
    return RunDir(DEFAULT_ROOT / "mnist5k-2d").load_model()


@pytest.fixture(scope="module")
def test_x():
    return load_dataset("mnist-5k").test_x


def test_page_shows_the_encoders_mu_and_sigma(runs_root, model, test_x):
    at = _open()
    table = _frame(at, "sigma")
    mu, sigma = ex.encode_one(model, test_x[_shown(at)])
    np.testing.assert_allclose(table["mu"], mu, rtol=1e-5)
    np.testing.assert_allclose(table["sigma"], sigma, rtol=1e-5)
    assert at.title[0].value == "What mu and sigma mean"


def test_class_and_example_pick_the_input(runs_root, model, test_x):
    at = _open()
    at.selectbox(key="explain_class").set_value(7).run()
    at.number_input(key="explain_nth").set_value(3).run()
    labels = load_dataset("mnist-5k").test_y
    index = int(np.flatnonzero(labels == 7)[2])
    captions = [c for im in at.get("image") for c in im.captions]
    assert f"test image #{index + 1} (its place in the test set, from 1) · class 7" in captions, \
        "the caption names the picked image, counted from 1"
    np.testing.assert_allclose(_frame(at, "sigma")["mu"], ex.encode_one(model, test_x[index])[0],
                               rtol=1e-5)


def test_random_input_moves_class_and_example(runs_root, model, test_x):
    at = _open()
    before = (at.selectbox(key="explain_class").value, at.number_input(key="explain_nth").value)
    plane = _plane(at)
    at.button(key="explain_random").click().run()
    after = (at.selectbox(key="explain_class").value, at.number_input(key="explain_nth").value)
    assert not at.exception
    assert after != before, "a random input other than the first was picked"
    # the plane of every mu is the same numbers; only the input's mark moves, to the new mu
    moved = _plane(at)
    assert moved["background"] == plane["background"] and moved["plane_id"] == plane["plane_id"]
    mu, sigma = ex.encode_one(model, test_x[_shown(at)])
    np.testing.assert_allclose(moved["mu"], mu, rtol=1e-5)
    np.testing.assert_allclose(moved["sigma"], sigma, rtol=1e-5)
    assert moved["mu"] != plane["mu"]


def test_encode_again_gives_identical_numbers(runs_root):
    at = _open()
    at.button(key="explain_encode_again").click().run()
    at.button(key="explain_encode_again").click().run()
    msg = at.success[0].value
    assert "2 time(s)" in msg and "identical" in msg and "difference 0" in msg


def test_sample_eps_puts_z_around_a_fixed_mu(runs_root, model, test_x):
    at = _open()
    first = at.session_state["explain_eps"]
    assert first.shape == (20, 2), "z are drawn on arrival, so the zoom shows them scatter"
    assert len(_zoom(at)["z"]["x"]) == 20
    at.select_slider(key="explain_n_eps").set_value(500).run()
    at.button(key="explain_sample").click().run()
    at.button(key="explain_sample").click().run()
    eps = at.session_state["explain_eps"]
    assert eps.shape == (1020, 2)
    table = _frame(at, "mean of the z drawn")
    mu, sigma = ex.encode_one(model, test_x[_shown(at)])
    np.testing.assert_allclose(table["mu (never moves)"], mu, rtol=1e-5)
    se = sigma / np.sqrt(1020)
    assert np.all(np.abs(table["mean of the z drawn"] - mu) < 5 * se), "z's mean is not mu"
    assert np.all(np.abs(table["std of the z drawn"] / sigma - 1) < 0.15), "z's std is not sigma"
    zoom = _zoom(at)
    z = np.stack([zoom["z"]["x"], zoom["z"]["y"]], 1)
    np.testing.assert_allclose(z, mu + sigma * eps, rtol=1e-4, atol=1e-5)
    assert zoom["title"] == "Zoomed on q(z|x): mu stays, 1020 z scatter"
    np.testing.assert_allclose(zoom["mu"], mu)
    np.testing.assert_allclose(zoom["sigma"], sigma)
    (x0, x1), (y0, y1) = zoom["x_range"], zoom["y_range"]
    assert x0 <= z[:, 0].min() and z[:, 0].max() <= x1 and y0 <= z[:, 1].min() <= z[:, 1].max() <= y1
    assert np.abs(z - mu).max() > 0, "the z drawn scatter around mu" 
    at.button(key="explain_clear").click().run()
    assert at.session_state["explain_eps"].shape == (0, 2)
    assert any("Sample eps" in i.value for i in at.info)


@pytest.mark.parametrize("run", ["mnist5k-2d", "mnist5k-2d-ae", "mnist5k-16d-beta1"])
def test_decodes_caption_says_what_the_classifier_reads(runs_root, run):
    """"A variant of the same picture" only where every decode shown is read as the input's
    class; otherwise the caption counts the other classes."""
    from vae import quality as vq
    at = _open(run)
    model = RunDir(DEFAULT_ROOT / run).load_model()
    data = load_dataset("mnist-5k")
    i = _shown(at)
    mu, sigma = ex.encode_one(model, data.test_x[i])
    z = ex.reparameterize(mu, sigma, at.session_state["explain_eps"][-16:])
    read = vq.fit_pixel_classifier(data).predict(
        ex.decode_images(model, z).reshape(len(z), -1))
    caption = next(c for im in at.get("image") for c in im.captions if "z drawn" in str(c))
    same = int((read == int(data.test_y[i])).sum())
    if same == len(z):
        assert "variant of the same picture" in caption and f"all {len(z)} as a 0" in caption
    else:
        assert "every one of these" not in caption and f"{same} of {len(z)}" in caption


def test_kl_bars_sum_to_the_inputs_kl(runs_root, model, test_x):
    at = _open()
    bars = plotly_spec(at, "explain_kl_bars")
    total = sum(float(np.sum(_arr(t["y"]))) for t in bars["data"])
    with torch.no_grad():
        i = _shown(at)
        kl = model.encode(torch.from_numpy(test_x[i:i + 1].copy())).kl().sum().item()
    assert total == pytest.approx(kl, rel=1e-4)
    assert any(f"{kl:.4f} nats" in m.value for m in at.markdown)


def _arr(values) -> np.ndarray:
    """A plotly JSON array: a list, or a typed buffer {dtype, bdata} as plotly 6+ writes numpy."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values)


def _cloud(at: AppTest, key: str) -> dict:
    """What the explanation's SVG component under `key` was sent."""
    return component_data(at, key)


def _zoom(at: AppTest) -> dict:
    """What §2's zoom was sent (ui.figures.explain.zoom_view)."""
    return _cloud(at, "-explain_zoom")


def _plane(at: AppTest) -> dict:
    """What §2's plane of every test image's mu was sent (ui.figures.explain.full_view)."""
    return _cloud(at, "-explain_scatter")


def test_kl_calculator_starts_from_the_input(runs_root, model, test_x):
    """The calculator computes in the browser (tests/e2e/test_explain.py drags it); here: what
    Python hands it, and "Start from this input" moving it to this input's first dim."""
    at = _open()
    assert (at.session_state["explain_calc_mu"], at.session_state["explain_calc_sigma"]) == \
        (1.0, 0.5)
    at.button(key="explain_calc_from_input").click().run()
    mu, sigma = ex.encode_one(model, test_x[_shown(at)])
    assert at.session_state["explain_calc_mu"] == pytest.approx(round(float(mu[0]), 2))
    assert at.session_state["explain_calc_sigma"] == pytest.approx(round(float(sigma[0]), 2))
    assert at.session_state["_kl_calculator_rev::explain_calc"] == 1  # the browser takes them


def test_prior_section_compares_with_the_autoencoder(runs_root):
    at = _open()
    assert any("mnist5k-2d-ae" in s.value for s in at.subheader)
    at.number_input(key="explain_prior_seed").set_value(5).run()
    assert not at.exception
    agg = plotly_spec(at, "explain_aggregate")
    names = {t.get("name") for t in agg["data"]}
    assert {"mnist5k-2d (VAE)", "mnist5k-2d-ae (autoencoder)", "prior N(0, 1)"} <= names


def test_autoencoder_run_compares_with_its_vae_and_says_its_kl_is_measured(runs_root):
    at = _open("mnist5k-2d-ae")
    assert any(s.value.startswith("VAE: mnist5k-2d ") for s in at.subheader)
    notes = [i.value for i in at.info if "measured" in i.value]
    assert notes and all("beta = 0" in n and "nothing trained it" in n for n in notes)
    assert any("89%" in m.value or "%** for mnist5k-2d (VAE)" in m.value for m in at.markdown)


def test_vae_run_has_no_measured_only_note(runs_root):
    at = _open()
    assert not [i.value for i in at.info if "measured" in i.value]


def test_gradients_reach_mu_and_sigma_only_through_rsample(runs_root, model, test_x):
    at = _open()
    table = _frame(at, "rsample(): dL/dmu")
    assert table["sample(): dL/dmu"].isna().all(), "sample() must show None"
    assert table["sample(): dL/dsigma"].isna().all()
    i = _shown(at)
    g = ex.reparameterization_gradients(model, test_x[i], seed=i)
    np.testing.assert_allclose(table["rsample(): dL/dmu"], g.rsample_grad_mu, rtol=1e-5)
    np.testing.assert_allclose(table["rsample(): dL/dsigma"], g.rsample_grad_sigma,
                               rtol=1e-5)
    assert any("**None**" in m.value and f"{g.rsample_encoder_grad_norm:.3g}" in m.value
               for m in at.markdown)


def test_the_question_is_quoted_before_its_line_is_read(runs_root):
    at = _open()
    quotes = [m.value for m in at.markdown if m.value.startswith("> ")]
    assert quotes and ex.SEED_KL_LINE in quotes[0]
    assert "isn't this KL-divergence between mu and sigma matrices?" in quotes[0]


@pytest.mark.slow  # the engine's bounds computed again beside the page's: seconds of its own
def test_accounting_matches_the_engine_in_one_sign_convention(runs_root, model, test_x):
    at = _open()
    at.select_slider(key="explain_k").set_value(10).run()
    i = _shown(at)
    # this input's numbers come from the draws of the picture below them, so the two agree
    picture = ex.bound_picture(model, test_x[i], n=5000, seed=0)
    acc = ex.accounting_from_picture(picture, 10, 784)
    values = {m.label: m.value for m in at.metric}
    assert values["ELBO (nats/image)"] == f"{acc.elbo:.2f}" == f"{picture.elbo:.2f}"
    assert acc.elbo < 0
    assert values["IWAE_k, k = 10 (nats/image)"] == f"{acc.iwae:.2f}" == \
        f"{picture.iwae_by_k[picture.ks.index(10)]:.2f}"
    assert acc.elbo <= acc.iwae <= picture.best, "ELBO ≤ IWAE_10 ≤ the log p(x) estimate"
    assert values["bits/dim = −ELBO / (784 ln 2)"] == f"{acc.bits(acc.neg_elbo):.4f}"
    scope = [o for o in at.button_group(key="explain_scope").options if "stratified" in o][0]
    at.button_group(key="explain_scope").set_value(scope).run()
    assert not at.exception
    # 200 images × (200 + k) decodes run as a job: the section shows its progress, the page ends
    # its run, and a rerun after the job draws the numbers
    job = next(j for j in jobs.current() if j.key[0] == "accounting" and j.key[-1] == 10)
    if not job.done:
        assert "The bounds on 200 test images, k = 10" in at.get("progress")[0].proto.text
    assert job.wait(300) and job.error is None
    at.run()
    values = {m.label: m.value for m in at.metric}
    labels = load_dataset("mnist-5k").test_y
    sample = ex.stratified_sample(labels, 200, seed=0)
    assert np.bincount(labels[sample]).tolist() == [20] * 10
    acc200 = ex.accounting(model, test_x[sample], k=10, samples=200, seed=0)
    assert values["ELBO (nats/image)"] == f"{acc200.elbo:.2f}"
    assert any("stratified by class" in c.value for c in at.caption)


@NEEDS_FASHION
def test_sixteen_dims_choose_the_axes(runs_root):
    at = _open("fashion-16d")
    at.selectbox(key="explain_dim_a").set_value(5).run()
    assert not at.exception
    plane = _plane(at)
    assert (plane["x_label"], plane["y_label"]) == ("z5", f"z{at.selectbox(key='explain_dim_b').value}")
    assert len(plane["background"]["x"]) == len(plane["background"]["i"]) > 1000
    assert len(_frame(at, "sigma")) == 16


def test_no_runs_is_explained(empty_runs_root):
    at = run_page("explain", run=None)
    assert "no runs yet" in at.info[0].value.lower()


def test_latent_explorer_follows_the_picked_input(runs_root):
    at = _open()
    assert any(e.label == "**8 · Drag z yourself**" for e in at.expander)
    caption = [c.value for c in at.caption if c.value.startswith("Last released z")][0]
    assert "0.0 sigma from this input's mu" in caption, "the explorer starts at mu"
    at.selectbox(key="explain_class").set_value(4).run()
    caption = [c.value for c in at.caption if c.value.startswith("Last released z")][0]
    assert "0.0 sigma from this input's mu" in caption, "a new input moves the explorer to its mu"


def test_every_point_the_learner_needs_has_a_takeaway_with_its_section(runs_root):
    at = _open()
    assert any(e.label == "**9 · What you can now say**" for e in at.expander)
    lines = [m.value for m in at.markdown if m.value.startswith("- **")]
    assert len(lines) == 6
    for start, ref in (("What is random", "§1"), ("Why the reparameterization", "§3"),
                       ("What the kl_loss line", "§4"), ("Why z is pushed", "§6"),
                       ("What β does", "§6"), ("Why the ELBO is a lower bound", "§7")):
        assert any(line.startswith(f"- **{start}") and ref in line for line in lines), start


@NEEDS_FASHION
def test_a_run_without_an_autoencoder_claims_no_comparison(runs_root):
    at = _open("fashion-2d")
    assert not any("both decoders" in c.value for c in at.caption)
    assert any("No plain autoencoder" in i.value for i in at.info)
    coverage = [m.value for m in at.markdown if "falls inside at least one" in m.value]
    assert coverage and "fashion-2d (VAE)" in coverage[0] and "autoencoder)" not in coverage[0]


@NEEDS_FASHION
def test_sixteen_dims_measure_no_coverage_they_cannot_fill(runs_root):
    at = _open("fashion-16d")
    assert not any("falls inside at least one" in m.value for m in at.markdown)
    assert any("draws each dim's aggregate posterior" in m.value for m in at.markdown)


BETA_RUNS = sorted(p.name for p in __import__("vae.run", fromlist=["DEFAULT_ROOT"])
                   .DEFAULT_ROOT.glob("mnist5k-16d-beta*"))


@pytest.mark.skipif(len(BETA_RUNS) < 3, reason="the beta family (make shipped-runs) is not here")
def test_the_beta_family_is_linked_with_its_numbers(monkeypatch):
    from vae.run import DEFAULT_ROOT
    monkeypatch.setenv("VAE_RUNS_ROOT", str(DEFAULT_ROOT))  # read only: the page writes nothing
    at = _open()
    assert any(s.value == "What beta does" for s in at.subheader)
    table = _frame(at, "posterior collapsed")
    assert set(table["run"]) <= set(BETA_RUNS) and len(table) >= 3
    assert list(table["beta"]) == sorted(table["beta"])
    assert all(link == f"./explain?run={name}" for link, name in zip(table["open"], table["run"]))
    text = [m.value for m in at.markdown if "differ in beta only" in m.value][0]
    assert f"to {table['KL (nats)'].iloc[-1]:.1f} nats" in text


def test_kl_calculator_says_when_the_input_lies_outside_its_sliders(runs_root):
    from ui.forms.explain import CALC_MU_RANGE
    model = RunDir(DEFAULT_ROOT / "mnist5k-2d-ae").load_model()
    data = load_dataset("mnist-5k")
    with torch.no_grad():
        mu0 = model.encode(torch.from_numpy(data.test_x.copy())).mu[:, 0].numpy()
    index = int(np.flatnonzero(np.abs(mu0) > CALC_MU_RANGE[1])[0])  # the autoencoder's codes spread
    cls = int(data.test_y[index])
    at = _open("mnist5k-2d-ae")
    at.selectbox(key="explain_class").set_value(cls).run()
    at.number_input(key="explain_nth").set_value(
        int(np.flatnonzero(np.flatnonzero(data.test_y == cls) == index)[0]) + 1).run()
    at.button(key="explain_calc_from_input").click().run()
    assert at.session_state["explain_calc_mu"] == (CALC_MU_RANGE[1] if mu0[index] > 0
                                                   else CALC_MU_RANGE[0])
    note = [c.value for c in at.caption if "outside the sliders" in c.value]
    assert note and f"mu = {mu0[index]:.2f}" in note[0]


@pytest.mark.parametrize("run", ["mnist5k-2d", "mnist5k-16d-beta1"])
def test_prior_samples_words_follow_the_classifier(runs_root, run):
    """§6 says how often each model's decoded prior samples are recognised, and its verdict
    follows those shares (the autoencoder's pictures may look like digits: say so when they do)."""
    from vae import quality as vq
    at = _open(run)
    data = load_dataset("mnist-5k")
    clf = vq.fit_pixel_classifier(data)
    vae = RunDir(DEFAULT_ROOT / run)
    ae = RunDir(DEFAULT_ROOT / ("mnist5k-2d-ae" if run == "mnist5k-2d" else "mnist5k-16d-beta0"))
    shares = {r.name: vq.prior_sample_quality(r.load_model(), clf).share for r in (vae, ae)}
    captions = [c for im in at.get("image") for c in im.captions]
    for share in shares.values():
        assert f"recognises {share:.0%} of 1,000 such decodes" in " ".join(captions)
    verdict = next(c.value for c in at.caption if "comb of spikes" in c.value)
    if shares[ae.name] < shares[vae.name]:
        assert (f"recognises {shares[ae.name]:.0%} of 1,000 of its decoded prior samples, "
                f"against {shares[vae.name]:.0%}") in verdict
    else:
        assert "as often as the VAE's" in verdict


def test_accounting_says_its_numbers_are_scores_with_the_pixel_baseline(runs_root):
    """Issue 16 §3: a Bernoulli likelihood on grey levels gives scores, not likelihoods; the page
    says so beside them, with a no-code baseline the model must beat."""
    from vae.explain import pixel_baseline_neg_log_lik
    at = _open("mnist5k-2d")
    data = load_dataset("mnist-5k")
    baseline = pixel_baseline_neg_log_lik(data.train_x, data.test_x)
    note = next(c.value for c in at.caption if "scores, not normalised likelihoods" in c.value)
    assert f"{baseline:.1f} nats" in note
    # the run's own −ELBO on the whole test set (its last epoch), not the one input's above it
    last = [r for r in RunDir(runs_root / "mnist5k-2d").read_metrics() if r["kind"] == "epoch"][-1]
    neg_elbo = last["test/recon"] + last["test/kl"]
    assert f"−ELBO on the same test set is {neg_elbo:.1f} (its last epoch)" in note
    assert neg_elbo < baseline, "the VAE scores better than one Bernoulli per pixel"
    assert "this run's network is mlp 512,256" in note


def test_the_lower_bound_section_states_its_own_numbers(runs_root, model, test_x):
    at = _open()
    picture = ex.bound_picture(model, test_x[_shown(at)], n=5000, seed=0)
    caption = next(c.value for c in at.caption if "Jensen's inequality" in c.value)
    assert f"Their mean is the ELBO**, {picture.elbo:.2f} nats" in caption
    assert f"it comes to {picture.best:.2f}" in caption
    assert f"about {picture.gap:.2f} nats here" in caption
    recap = next(m.value for m in at.markdown if "Why the ELBO is a lower bound." in m.value)
    assert f"§7: {picture.gap:.2f} nats for this input" in recap
    spec = plotly_spec(at, "explain_bound_fig")
    assert [t.get("name") for t in spec["data"]].count("log w = log p(x, z) − log q(z|x)") == 1
    assert any(f"= ELBO = {picture.elbo:.2f}" in (t.get("name") or "") for t in spec["data"])


def test_it_opens_on_an_input_whose_draws_are_confidently_its_class(runs_root):
    """The autoencoder's first 0 decoded as sixteen 6-shaped rings that the classifier called 0 by
    a hair, under "every one of these 16 decodes is a variant of the same picture": the opening
    input's draws must each be read as its class with the 90% confidence the page means by
    "recognised"."""
    from vae.quality import CONFIDENT, fit_pixel_classifier
    data = load_dataset("mnist-5k")
    clf = fit_pixel_classifier(data)
    for name in ("mnist5k-2d-ae", "mnist5k-2d"):
        at = _open(name)
        i = _shown(at)
        model = RunDir(runs_root / name).load_model()
        mu, sigma = ex.encode_one(model, data.test_x[i])
        eps = ex.draw_eps(20, model.config.latent_dim, seed=1000 * i)
        images = ex.decode_images(model, ex.reparameterize(mu, sigma, eps))
        proba = clf.predict_proba(images.reshape(len(images), -1))
        assert (proba[:, list(clf.classes_).index(int(data.test_y[i]))] >= CONFIDENT).all(), name


def _closed(run="mnist5k-2d") -> AppTest:
    from tests.conftest import page_app
    at = page_app("explain", run)
    for n in range(3, 10):
        at.session_state[f"explain_step_{n}"] = False  # as a visitor first finds them
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _chart_ids(at: AppTest) -> list[str]:
    return [e.proto.id for e in at.get("plotly_chart")]


def test_sections_3_to_9_are_titles_until_opened_and_compute_nothing_closed(
        runs_root, model, test_x, monkeypatch):
    from ui.cache import explain as cached
    from ui.sections import explain as section

    def not_now(*_a, **_k):
        raise AssertionError("a closed section computed its numbers")
    for name in ("gradients", "bound_picture", "prior_decodes", "aggregate_posterior",
                 "accounting_for_sample"):
        monkeypatch.setattr(cached, name, not_now)
    at = _closed()
    labels = [e.label for e in at.expander]
    assert labels == [f"**{title}**" for title in section.STEPS.values()]
    ids = _chart_ids(at)
    mu, sigma = ex.encode_one(model, test_x[_shown(at)])
    np.testing.assert_allclose(_cloud(at, "-explain_mu_sigma")["mu"], mu, rtol=1e-5)
    np.testing.assert_allclose(_cloud(at, "-explain_mu_sigma")["sigma"], sigma, rtol=1e-5)
    assert len(_plane(at)["background"]["x"]) == 1000  # §2's plane of every mu, in the browser
    assert len(_zoom(at)["z"]["x"]) == 20  # §2's zoom, drawn in the browser
    assert not any(k in i for i in ids for k in ("explain_kl_bars", "explain_aggregate",
                                                  "explain_accounting_fig", "explain_bound_fig"))
    assert not at.metric  # §7's numbers are not there


def test_opening_a_section_draws_it_and_open_every_section_opens_all(runs_root):
    at = _closed()
    at.session_state["explain_step_4"] = True  # what a click on its title sets
    at.run()
    ids = _chart_ids(at)
    assert any("explain_kl_bars" in i for i in ids)
    assert not any("explain_accounting_fig" in i for i in ids)
    at.button(key="explain_open_all").click().run()
    assert not at.exception
    ids = _chart_ids(at)
    for key in ("explain_kl_bars", "explain_aggregate", "explain_accounting_fig",
                "explain_bound_fig"):
        assert any(key in i for i in ids), key
    assert any(m.value.startswith("- **") for m in at.markdown)  # §9's takeaways
    assert at.button(key="explain_open_all").label == "Close every section"
    at.button(key="explain_open_all").click().run()
    assert not any("explain_kl_bars" in i for i in _chart_ids(at))
    assert at.button(key="explain_open_all").label == "Open every section"


def test_the_takeaways_alone_carry_the_numbers_of_the_closed_sections(runs_root, model, test_x):
    """§9 opened by itself states the same KL, gradient and gap as with every section open."""
    alone = _closed()
    alone.session_state["explain_step_9"] = True
    alone.run()
    every = _open()
    takeaway = lambda at: [m.value for m in at.markdown if m.value.startswith("- **")]  # noqa: E731
    assert takeaway(alone) and takeaway(alone) == takeaway(every)
