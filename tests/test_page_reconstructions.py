"""AppTest of the Reconstructions page with the shipped runs."""

import numpy as np
import pytest

from tests.conftest import NEEDS_FASHION, run_page
from ui.figures.beta import order_by_spread
from vae.data import load_dataset
from vae.quality import draw_spread
from vae.run import RunDir



def _open(run="mnist5k-2d"):
    return run_page("reconstructions", run)


def _no_exception(at):
    assert not at.exception, at.exception[0].message if at.exception else ""


def _table(at):
    (df,) = at.dataframe
    return df.value


def test_shows_images_reconstructions_and_errors(runs_root):
    at = _open()
    table = _table(at)
    assert len(table) == 8, "eight test images by default"
    assert len(at.get("image")) == 8, "one image strip per test image"
    nats = table["-log p(x|mu)"]
    assert ((nats > 0) & (nats < 784 * np.log(2))).all(), "better than a coin flip per pixel"
    assert np.allclose(table["-ELBO estimate"],
                       table["-log p(x|z), mean over draws"] + table["KL(q(z|x) || p(z))"])
    captions = [c.value for c in at.caption]
    assert sum("at mu:" in c for c in captions) == 8, "each column says its error"
    assert sum("spread:" in c for c in captions) == 8, "each column says its draws' spread"
    assert any("their spread" in c for c in captions), "the spread tile is explained"


def test_default_images_are_where_the_draws_differ_most(runs_root):
    at = _open()
    assert at.button_group(key="recon_pick").value == "where the draws differ most"
    run = RunDir(runs_root / "mnist5k-2d")
    x = load_dataset("mnist-5k").test_x
    spread = draw_spread(run.load_model(), x, 16, seed=0)  # the page ranks by 16 draws
    widest = order_by_spread(spread, np.arange(len(x)), 8)
    # counted from 1 in the table and the captions, as on every page
    assert sorted(_table(at)["test image"]) == sorted(widest + 1)
    heads = [c.value.split("**")[1] for c in at.caption if "at mu:" in c.value]
    assert sorted(int(h.split(" ·")[0][1:]) for h in heads) == sorted(widest + 1)
    median = np.median(spread.reshape(len(x), -1).mean(1))
    assert spread[widest].mean() > 2 * median, "the picked images spread more than most"


def test_an_autoencoder_whose_draws_agree_points_to_a_wider_run(runs_root):
    at = _open("mnist5k-16d-beta0")
    info = " ".join(i.value for i in at.info)
    assert "the draws barely differ" in info and "mnist5k-16d-beta16" in info
    at.button(key="recon_wider").click().run()
    _no_exception(at)
    assert at.session_state["active_run"] == "mnist5k-16d-beta16"
    assert not any("barely differ" in i.value for i in at.info)


def test_class_filter(runs_root):
    at = _open()
    at.multiselect(key="recon_classes").set_value([3, 7]).run()
    _no_exception(at)
    assert set(_table(at)["class"]) <= {"3", "7"}


def test_seed_picks_other_images_and_comes_back(runs_root):
    at = _open()
    at.button_group(key="recon_pick").set_value("at random").run()
    first = list(_table(at)["test image"])
    at.number_input(key="recon_seed").set_value(5).run()
    _no_exception(at)
    assert list(_table(at)["test image"]) != first
    at.number_input(key="recon_seed").set_value(0).run()
    assert list(_table(at)["test image"]) == first, "the same seed shows the same images"


def test_new_draw_button_moves_the_seed(runs_root):
    at = _open()
    at.button_group(key="recon_pick").set_value("at random").run()
    first = list(_table(at)["test image"])
    at.button[0].click().run()
    _no_exception(at)
    assert at.number_input(key="recon_seed").value == 1
    assert list(_table(at)["test image"]) != first


def test_number_of_images_and_draws(runs_root):
    at = _open()
    at.slider(key="recon_n").set_value(3)
    at.number_input(key="recon_draws").set_value(5).run()
    _no_exception(at)
    assert len(_table(at)) == 3 and len(at.get("image")) == 3
    assert any("5 decodes of z" in c.value for c in at.caption)


@pytest.mark.slow  # the Fashion-MNIST files read and a 16-D run's pages: seconds of its own
@NEEDS_FASHION
def test_fashion_16d(runs_root):
    at = _open("fashion-16d")
    at.multiselect(key="recon_classes").set_value([8]).run()
    _no_exception(at)
    assert set(_table(at)["class"]) == {"Bag"}


def test_no_runs_gives_a_message(empty_runs_root):
    at = run_page("reconstructions", run=None)
    assert any("no runs" in i.value.lower() for i in at.info)
    assert not at.dataframe


def _column_spreads(at):
    return [float(c.value.split("spread: ")[1].split()[0]) for c in at.caption
            if "spread: " in c.value]


def test_the_spread_shown_is_the_one_the_pick_ranks_by(runs_root):
    at = _open()
    run = RunDir(runs_root / "mnist5k-2d")
    x = load_dataset("mnist-5k").test_x
    per_image = draw_spread(run.load_model(), x, 16, seed=0).reshape(len(x), -1).mean(1)
    shown = _column_spreads(at)
    idx = list(np.asarray(_table(at)["test image"]) - 1)  # the table counts from 1
    assert np.allclose(shown, per_image[idx], atol=6e-4), "each column shows its ranked spread"
    others = np.delete(per_image, idx)
    assert min(shown) >= others.max() - 6e-4, "no image left out spreads more than one shown"


def test_the_mu_against_draws_sentence_counts_the_columns(runs_root):
    for name in ("mnist5k-2d", "mnist5k-16d-beta1"):
        at = _open(name)
        table = _table(at)
        wins = int((table["-log p(x|mu)"] < table["-log p(x|z), mean over draws"]).sum())
        (text,) = [c.value for c in at.caption if "-ELBO = E_q" in c.value]
        assert f"better than the mean of its draws in {wins} of {len(table)} columns" in text
        assert "usually pays" in text if wins * 2 > len(table) else "not always its best" in text
        assert "usually scores better than a draw" not in text


def test_reconstructions_of_another_class_are_marked_and_counted(runs_root):
    from sklearn.decomposition import PCA  # noqa: F401  (the classifier the page fits)

    from vae.quality import fit_pixel_classifier
    at = _open("mnist5k-2d")
    data = load_dataset("mnist-5k")
    clf = fit_pixel_classifier(data)
    run = RunDir(runs_root / "mnist5k-2d")
    import torch
    idx = np.asarray(_table(at)["test image"]) - 1  # the table counts from 1
    model = run.load_model()
    with torch.no_grad():
        mean = model.decode_mean(model.encode(torch.from_numpy(data.test_x[idx].copy())).mu).numpy()
    read_x = clf.predict(data.test_x[idx].reshape(len(idx), -1))
    read_mu = clf.predict(mean.reshape(len(idx), -1))
    wrong = (read_x == data.test_y[idx]) & (read_mu != data.test_y[idx])
    marks = [c.value for c in at.caption if "⚠ the classifier reads decode(mu) as" in c.value]
    assert len(marks) == wrong.sum()
    (note,) = [c.value for c in at.caption if "pixel classifier" in c.value]
    if wrong.any():
        assert f"**{wrong.sum()} of {(read_x == data.test_y[idx]).sum()}** decode(mu)" in note
        unjudged = int((read_x != data.test_y[idx]).sum())
        assert (f"misreads the other {unjudged} input" in note) == (unjudged > 0)
    else:
        assert note.startswith("Every decode(mu)")
