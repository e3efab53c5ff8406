"""AppTest of the Latent space page with the shipped runs."""
import base64
import json

import numpy as np
import pytest

from tests.conftest import NEEDS_FASHION, component_data, plotly_spec, run_page

SCATTER_KINDS = ("scatter", "scattergl")  # SVG up to 5,000 points, WebGL above



def _open(run=None, **state):
    return run_page("latent", run, state)


def _arr(v):
    """A plotly JSON array: a list, or {dtype, bdata(, shape)} as plotly.py encodes numpy."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape(v["shape"]) if "shape" in v else a
    return np.asarray(v, dtype=float)


def _scatter(at):
    """The posterior scatter's figure, as plotly JSON."""
    return plotly_spec(at, "latent_scatter")


def _markers(fig):
    return [t for t in fig["data"] if t.get("type") in SCATTER_KINDS and t.get("mode") == "markers"]


def _n_ellipses(fig):
    """Sigma ellipses on the plane: one Bezier path per class (a shape), an "M" per ellipse."""
    return sum(s["path"].count("M") for s in fig["layout"].get("shapes", [])
               if s.get("name", "").startswith("σ ellipses"))


def test_default_run_shows_every_test_posterior(runs_root):
    at = _open()  # no run chosen: the page opens on the shipped MNIST 2-D run
    fig = _scatter(at)
    markers = _markers(fig)
    assert [t["name"] for t in markers] == [str(i) for i in range(10)], "one trace per digit"
    assert sum(len(_arr(t["x"])) for t in markers) == 1000, "all 1,000 MNIST 5k test images"
    assert _n_ellipses(fig) == 1000, "1,000 points: every sigma ellipse is drawn"
    assert any(t.get("name", "").startswith("prior") for t in fig["data"])
    assert any(t.get("type") == "contour" for t in fig["data"]), "aggregate posterior density"
    assert "mu(x)" in at.markdown[0].value and "prior N(0, I)" in at.markdown[0].value
    assert not at.warning and not at.error, "a healthy VAE needs no warning"


def test_kl_per_dim_bars(runs_root):
    at = _open("mnist5k-2d")
    view = component_data(at, "latent_kl")  # drawn in the browser from these numbers
    assert sorted(b["label"] for b in view["bars"]) == ["z0", "z1"]
    assert all(b["value"] > 1.0 for b in view["bars"]), "both dims of the MNIST VAE carry information"
    assert view["title"].startswith("mnist5k-2d · KL per latent dim") and "2 of 2 dims active" in view["title"]


def test_autoencoder_run_is_called_one(runs_root):
    at = _open("mnist5k-2d-ae")
    assert any("plain autoencoder" in w.value for w in at.warning)
    # its 2-D codes put seven classes near the centre: prior samples decode to many kinds of
    # image, so the warning must not say "a few kinds"
    assert not any("a few kinds of image" in w.value for w in at.warning)
    assert any("never the codes outside" in w.value for w in at.warning)


def test_ellipse_and_overlay_controls(runs_root):
    at = _open("mnist5k-2d")
    at.radio(key="latent_ellipses").set_value("none")
    at.toggle(key="latent_prior").set_value(False)
    at.toggle(key="latent_density").set_value(False).run()
    fig = _scatter(at)
    assert _n_ellipses(fig) == 0
    assert not any(t.get("type") == "contour" for t in fig["data"])
    assert not any(t.get("name", "").startswith("prior") for t in fig["data"])
    assert sum(len(_arr(t["x"])) for t in _markers(fig)) == 1000, "the points stay"


@NEEDS_FASHION
def test_16d_run_chooses_dims_or_pca(runs_root):
    at = _open("fashion-16d")
    fig = _scatter(at)
    assert (fig["layout"]["xaxis"]["title"]["text"], fig["layout"]["yaxis"]["title"]["text"]) == \
        ("z5", "z4"), "defaults to the two dims with the most KL"
    assert sum(len(_arr(t["x"])) for t in _markers(fig)) == 10_000
    assert _n_ellipses(fig) == 500, "10,000 points: a sample of ellipses by default"
    assert any("z0, z3, z13" in i.value for i in at.info), "the inactive dims are named"

    at.selectbox(key="latent_dim_x").set_value(1).run()
    assert _scatter(at)["layout"]["xaxis"]["title"]["text"] == "z1"

    at.radio(key="latent_view").set_value("pca").run()
    fig = _scatter(at)
    assert fig["layout"]["xaxis"]["title"]["text"].startswith("PC1")
    assert sum(len(_arr(t["x"])) for t in _markers(fig)) == 10_000


def test_no_runs_gives_a_message(empty_runs_root):
    at = _open()
    assert any("no runs" in i.value.lower() for i in at.info)
    assert not at.get("plotly_chart")


def _knn_of_run(root, name):
    """The 5-NN accuracy of a run's test mu, neighbours from its training mu, measured here."""
    import torch
    from sklearn.neighbors import KNeighborsClassifier

    from vae.data import data_options, load_dataset
    from vae.run import RunDir
    run = RunDir(root / name)
    model, (_, tc) = run.load_model(), run.read_config()
    data = load_dataset(tc.dataset, tc.data_dir,
                        **data_options(tc.dataset, tc.image_size, tc.split_seed, tc.test_fraction))
    with torch.no_grad():
        tr, te = (model.encode(torch.from_numpy(x.copy())).mu.numpy()
                  for x in (data.train_x, data.test_x))
    return KNeighborsClassifier(5).fit(tr, data.train_y).score(te, data.test_y), len(data.train_x)


def test_2d_run_says_a_plane_cannot_separate_ten_digits(runs_root):
    at = _open("mnist5k-2d")
    accuracy, n_train = _knn_of_run(runs_root, "mnist5k-2d")
    wide, _ = _knn_of_run(runs_root, "mnist5k-16d-beta1")
    (text,) = [m.value for m in at.markdown if "cannot keep ten digits apart" in m.value]
    assert f"learnt from {n_train:,} images" in text
    assert f"for only {accuracy:.0%} of the test images" in text and "5-NN accuracy" in text
    assert f"**mnist5k-16d-beta1**, trained on the same images, reaches {wide:.0%}" in text
    assert accuracy < wide, "the sentence says the 16-D run keeps the digits apart better"
    at.button(key="latent_open_wide").click().run()
    assert at.session_state["active_run"] == "mnist5k-16d-beta1"
    assert at.radio(key="latent_view").options == ["two latent dims", "PCA of mu",
                                                   "t-SNE map of mu"], "now the 16-D run's views"


@pytest.mark.slow  # a t-SNE fit of 1,000 codes: seconds of its own (make test runs it)
def test_16d_run_has_no_plane_sentence_and_draws_a_tsne_map(runs_root):
    at = _open("mnist5k-16d-beta1")
    assert not any("cannot keep" in m.value for m in at.markdown), "16 dims are not a plane"
    at.radio(key="latent_view").set_value("tsne").run()
    assert not at.exception, [e.value for e in at.exception]
    fig = _scatter(at)
    markers = _markers(fig)
    assert [t["name"] for t in markers] == [str(i) for i in range(10)]
    assert sum(len(_arr(t["x"])) for t in markers) == 1000, "every test code mapped"
    assert not any(t.get("name", "").startswith("prior") for t in fig["data"])
    assert _n_ellipses(fig) == 0
    assert not any(t.get("type") == "contour" for t in fig["data"]), "no density on a t-SNE map"
    labels = [a["text"] for a in fig["layout"]["annotations"]]
    assert labels == [f"<b>{i}</b>" for i in range(10)], "each digit named at its cluster"
    assert any("which points lie together is kept" in c.value and "no prior circles" in c.value
               for c in at.caption)
    assert at.toggle(key="latent_prior").disabled and at.radio(key="latent_ellipses").disabled


def test_the_plane_is_titled_with_run_and_dataset_and_exports_under_the_runs_name(runs_root):
    at = _open("mnist5k-2d")
    fig = _scatter(at)
    assert fig["layout"]["title"]["text"] == "mnist5k-2d · mnist-5k: q(z|x) of 1,000 test images"
    (chart,) = [c for c in at.get("plotly_chart") if "latent_scatter" in c.proto.id]
    config = json.loads(chart.proto.config)
    assert config["toImageButtonOptions"]["filename"] == "mnist5k-2d-latent"
    labels = [a["text"] for a in fig["layout"]["annotations"] if "σ" not in a["text"]]
    assert labels == [f"<b>{i}</b>" for i in range(10)], "each digit named on the plane"


def test_a_training_run_without_weights_yet_is_waited_for_then_drawn(scratch_root):
    """A trainer holds the run and says it runs, but its first epoch has not saved weights: the
    page says so (no "cannot be opened" error) and keeps checking; once the weights are there,
    the same session draws the run."""
    from vae.run import RunDir
    run = RunDir(scratch_root / "mnist5k-2d")
    kept = run.weights_file.read_bytes()
    run.weights_file.unlink()
    run.write_status(state="running", pid=0, epoch=0, epochs=30)
    with run.lock():
        at = _open("mnist5k-2d")
        assert not at.error, [e.value for e in at.error]
        assert any("has no weights yet" in i.value for i in at.info), [i.value for i in at.info]
        assert not at.get("plotly_chart") or all("latent_scatter" not in c.proto.id
                                                  for c in at.get("plotly_chart"))
        run.weights_file.write_bytes(kept)
        at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _markers(_scatter(at)), "the run is drawn once its weights are saved"
