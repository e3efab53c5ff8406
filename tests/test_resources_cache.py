"""ui.cache.runs' figure cache: the spec computed once per weights file and options and cached as
data; each call builds its own Figure, so one page adding a trace never changes what another
session sees."""
import json

from ui.figures.latent import posterior_figure
from ui.cache.runs import cached_posterior_figure, encode_test_set, run_dataset
from vae.run import RunDir


def test_cached_posterior_figure_is_the_builders_figure_and_a_copy(runs_root):
    run = RunDir(runs_root / "mnist5k-2d")
    enc, data = encode_test_set(run), run_dataset(run)
    expected = posterior_figure(enc["mu"], enc["std"], enc["labels"], data.class_names,
                                index=enc["index"], ellipses="sample", dims=(0, 1))
    first = cached_posterior_figure(run, ellipses="sample", dims=(0, 1))
    spec, want = json.loads(first.to_json()), json.loads(expected.to_json())
    assert spec["data"] == want["data"]
    for key in ("xaxis", "yaxis", "shapes"):  # the sigma ellipses are shapes
        assert spec["layout"][key] == want["layout"][key]
    first.add_scatter(x=[0], y=[0], name="added by a page")
    again = cached_posterior_figure(run, ellipses="sample", dims=(0, 1))
    assert len(again.data) == len(expected.data), "a page's change does not reach the cache"
    other = cached_posterior_figure(run, ellipses="none", dims=(0, 1))
    assert not other.layout.shapes and again.layout.shapes, "other options, another figure"
