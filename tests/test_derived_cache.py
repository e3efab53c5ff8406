"""Numbers and figures kept on disk per weights file (vae.derived): the Latent page's first draw
reads them back unchanged, a changed weights file or changed figure code computes afresh, and a
damaged or foreign entry is never used."""
import json
import shutil

import numpy as np
import plotly.graph_objects as go
import pytest

from tests.conftest import SHIPPED, _copy_runs, run_page
from vae import derived
from vae.run import DEFAULT_ROOT


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("VAE_CACHE_DIR", str(root))
    yield root / "derived"


def test_a_value_is_read_back_only_under_its_whole_key(cache):
    key = {"weights": "abc", "data": ("mnist-5k", None, (), (), False)}
    assert derived.read("knn-accuracy", key) is None
    derived.write("knn-accuracy", key, 0.8125)
    assert derived.read("knn-accuracy", key) == 0.8125
    assert derived.read("knn-accuracy", {**key, "weights": "abd"}) is None
    assert derived.read("posterior-figure", key) is None
    # an entry whose stored key is another's (a collision, or a file copied over it) is not used
    entry = next(cache.iterdir())
    stored = json.loads(entry.read_text())
    entry.write_text(json.dumps({"key": stored["key"].replace("abc", "xyz"), "value": 0.1}))
    assert derived.read("knn-accuracy", key) is None
    entry.write_text("{broken")
    assert derived.read("knn-accuracy", key) is None


def test_a_value_that_is_not_json_is_not_kept_and_nothing_breaks(cache, tmp_path, monkeypatch):
    derived.write("x", {"a": 1}, object())
    assert derived.read("x", {"a": 1}) is None
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("VAE_CACHE_DIR", str(blocker))  # cannot be a folder: nothing kept
    derived.write("x", {"a": 1}, 1.0)
    assert derived.read("x", {"a": 1}) is None


def test_old_entries_go_beyond_the_limit(cache, monkeypatch):
    monkeypatch.setattr(derived, "MAX_ENTRIES", 3)
    for i in range(5):
        derived.write("n", {"i": i}, i)
    assert len(list(cache.glob("*.json"))) == 3
    assert derived.read("n", {"i": 4}) == 4


def test_the_file_digest_follows_the_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"weights")
    b.write_bytes(b"weights")
    assert derived.file_digest(a) == derived.file_digest(b)
    b.write_bytes(b"weightz")
    assert derived.file_digest(a) != derived.file_digest(b)
    assert derived.file_digest(tmp_path / "missing") is None


def _plane(at) -> dict:
    from tests.conftest import plotly_spec
    return plotly_spec(at, "latent_scatter")


def test_the_latent_page_draws_the_same_plane_from_disk_in_a_fresh_session(cache, tmp_path,
                                                                           monkeypatch):
    from streamlit.runtime.caching import cache_data_api
    from ui.cache import latent_maps
    root = _copy_runs(tmp_path / "runs", [n for n in SHIPPED if n in ("mnist5k-2d",
                                                                        "mnist5k-16d-beta1")])
    monkeypatch.setenv("VAE_RUNS_ROOT", str(root))
    cache_data_api.get_data_cache_stats_provider().clear_all()
    first = run_page("latent", "mnist5k-2d")
    assert any(p.name.startswith("posterior-figure-") for p in cache.iterdir())
    assert any(p.name.startswith("knn-accuracy-") for p in cache.iterdir())
    assert any(p.name.startswith("test-encoding-") for p in cache.iterdir())
    # a later server: nothing in memory, and nothing may be computed again, nor the model loaded
    cache_data_api.get_data_cache_stats_provider().clear_all()

    def not_again(*_a, **_k):
        raise AssertionError("computed again although it was kept on disk")
    monkeypatch.setattr(latent_maps, "knn_accuracy", not_again)
    import ui.cache.runs as runs
    monkeypatch.setattr(runs, "posterior_figure", not_again)
    monkeypatch.setattr(runs, "load_model", not_again)
    again = run_page("latent", "mnist5k-2d")
    assert _plane(again) == _plane(first)
    assert [m.value for m in again.markdown] == [m.value for m in first.markdown]
    # the same bytes written again (a new mtime) find the same entries; other weights (here
    # the autoencoder's, the same network) are computed afresh
    monkeypatch.undo()
    monkeypatch.setenv("VAE_CACHE_DIR", str(cache.parent))
    monkeypatch.setenv("VAE_RUNS_ROOT", str(root))
    weights = root / "mnist5k-2d" / "model.safetensors"
    weights.write_bytes(weights.read_bytes())
    before = list(cache.iterdir())
    cache_data_api.get_data_cache_stats_provider().clear_all()
    run_page("latent", "mnist5k-2d")
    assert sorted(cache.iterdir()) == sorted(before)
    shutil.copy(DEFAULT_ROOT / "mnist5k-2d-ae" / "model.safetensors", weights)
    cache_data_api.get_data_cache_stats_provider().clear_all()
    changed = run_page("latent", "mnist5k-2d")
    # its own figure, its own accuracy, and its own encodings of the test set (the plane's, and the
    # 5-NN measure's, which asks for every test image)
    assert sorted(p.name.split("-")[0] for p in cache.iterdir()) == sorted(
        [p.name.split("-")[0] for p in before] + ["posterior", "knn", "test", "test"])
    assert _plane(changed) != _plane(first)


def test_arrays_come_back_as_numpy():
    from ui.cache.runs import arrays_back
    import plotly.io as pio
    fig = go.Figure(go.Scatter(x=np.arange(4.0), y=np.array([1, 2, 3, 4], dtype=np.int32),
                               customdata=np.arange(6).reshape(3, 2)))
    back = arrays_back(json.loads(pio.to_json(fig, validate=False)))
    trace = back["data"][0]
    np.testing.assert_array_equal(trace["x"], np.arange(4.0))
    assert trace["y"].dtype == np.int32
    assert trace["customdata"].shape == (3, 2)
    assert go.Figure(back).to_dict()["data"][0]["type"] == "scatter"


def test_an_encoding_is_kept_for_the_latest_weights_of_a_run_that_is_not_training(
        cache, tmp_path, monkeypatch):
    """The test set's encoding is kept once per weights file, read back as the same arrays and
    summary; a snapshot's is not kept, nor one taken while the trainer will replace the weights."""
    from streamlit.runtime.caching import cache_data_api
    import ui.cache.runs as runs
    root = _copy_runs(tmp_path / "runs", ["mnist5k-2d"])
    run = runs.RunDir(root / "mnist5k-2d")
    kept = lambda: sorted(p.name for p in cache.glob("test-encoding-*"))  # noqa: E731
    cache_data_api.get_data_cache_stats_provider().clear_all()
    monkeypatch.setattr(runs, "is_training", lambda r: True)
    first = runs.encode_test_set(run)
    assert kept() == [], "kept while the trainer would replace the weights"
    monkeypatch.setattr(runs, "is_training", lambda r: False)
    runs.encode_test_set(run, epoch=run.snapshot_epochs()[0])
    assert kept() == [], "a replay snapshot's encoding was kept"
    cache_data_api.get_data_cache_stats_provider().clear_all()
    runs.encode_test_set(run)
    digest = derived.file_digest(run.weights_file)
    assert len(kept()) == 1 and kept()[0].startswith(f"test-encoding-{digest[:16]}-")
    assert derived.kept(derived.TEST_ENCODING, digest)
    cache_data_api.get_data_cache_stats_provider().clear_all()
    monkeypatch.setattr(runs, "load_model", lambda *a, **k: pytest.fail("loaded the model"))
    again = runs.encode_test_set(run)
    assert sorted(again) == sorted(first)
    for name, value in first.items():
        assert again[name].dtype == value.dtype, name
        np.testing.assert_array_equal(again[name], value, err_msg=name)
