"""The glossary has every word a newcomer asked about, and its page shows each one."""
from tests.conftest import page_app
from ui.forms.glossary import TERMS

ASKED = ["nats", "ELBO", "log p(x)", "q(z|x)", "p(z|x)", "N(0, I)", "aggregate posterior",
         "IWAE", "bits/dim", "active dims", "manifold", "KL", "rsample",
         # words a stranger found undefined on the pages in a later walk
         "active units", "PCA", "t-SNE", "5-NN accuracy", "importance weights", "Procrustes"]
# where those words appear, each page must link them
USED = {"latent": ["nats", "knn"],  # a 2-D run: PCA and t-SNE are for more dims "reconstructions": ["nats", "elbo"],
        "generate": ["nats"], "draw": ["nats"], "explain": ["weights"],
        "replay": ["active"], "train": ["active"], "compare": ["nats", "procrustes"]}


def test_every_asked_term_is_defined_once():
    names = [t.name for t in TERMS]
    for word in ASKED:
        hits = [n for n in names if word.lower() in n.lower()]
        assert len(hits) == 1, f"{word!r} is defined {len(hits)} times: {hits}"
    anchors = [t.anchor for t in TERMS]
    assert len(set(anchors)) == len(anchors)
    assert all(t.says.endswith(".") for t in TERMS)


def test_the_kl_is_not_explained_as_mu_against_sigma():
    kl = next(t for t in TERMS if t.anchor == "kl")
    assert "prior" in kl.says and "not μ with σ" in kl.says


def test_glossary_page_shows_every_term():
    at = page_app("glossary", run=None).run()
    assert not at.exception
    shown = [h.value for h in at.subheader]
    assert shown == [t.name for t in TERMS]


def test_every_page_links_its_words_to_the_glossary(runs_root):
    """The teaching pages each carry a line of their words, every one a link to its entry."""
    import re

    from tests.conftest import run_page
    from ui.forms.glossary import BY_ANCHOR
    for page in ("latent", "reconstructions", "generate", "draw", "explain", "replay",
                 "rate_distortion", "train", "runs", "compare"):
        at = run_page(page)
        line = next((c.value for c in at.caption if c.value.startswith("Words on this page")),
                    None)
        assert line, f"{page} has no line of words"
        anchors = re.findall(r"\]\(glossary\?term=([a-z-]+)\)", line)
        assert anchors and all(a in BY_ANCHOR for a in anchors), (page, line)
        assert set(USED.get(page, [])) <= set(anchors), (page, line)


def test_a_link_from_a_page_shows_its_term_first():
    from tests.conftest import run_page
    at = run_page("glossary", term="manifold")
    first = [m.value for m in at.markdown][:2]
    assert first[0] == "**manifold**" and first[1] == next(t.says for t in TERMS
                                                           if t.anchor == "manifold")


def test_latent_space_links_the_views_this_run_has(runs_root):
    """PCA and t-SNE are offered above 2-D; a 2-D run has the 5-NN sentence instead."""
    from tests.conftest import run_page

    def words(run):
        at = run_page("latent", run)
        return next(c.value for c in at.caption if c.value.startswith("Words on this page"))
    two, sixteen = words("mnist5k-2d"), words("mnist5k-16d-beta1")
    assert "term=knn" in two and "term=pca" not in two and "term=tsne" not in two
    assert "term=pca" in sixteen and "term=tsne" in sixteen and "term=knn" not in sixteen
