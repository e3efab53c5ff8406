"""AppTest of dashboard.py: the navigation runs the default page; the sidebar picks the run."""
import os

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import PROJECT
from vae.run import RunDir


def app() -> AppTest:
    return AppTest.from_file(str(PROJECT / "dashboard.py"), default_timeout=90)


def test_sidebar_defaults_to_the_mnist_run_and_describes_it(runs_root):
    at = app().run()
    assert not at.exception
    box = at.sidebar.selectbox[0]
    assert box.value == "mnist5k-2d"
    model_cfg, _ = RunDir(runs_root / "mnist5k-2d").read_config()
    hidden = ",".join(map(str, model_cfg.hidden))
    assert len(model_cfg.hidden) > 1, "the shipped run has several hidden layers: all are named"
    assert at.sidebar.caption[0].value == f"mnist-5k · mlp {hidden} · z=2 · β=1 · finished"
    assert at.query_params["run"] == "mnist5k-2d"


def test_the_url_chooses_the_run(runs_root):
    at = app()
    at.query_params["run"] = "mnist5k-2d-ae"
    at.run()
    assert at.sidebar.selectbox[0].value == "mnist5k-2d-ae"
    assert "β=0" in at.sidebar.caption[0].value
# Choosing a run in the sidebar is tested in Chromium (tests/e2e/test_pages.py): AppTest 1.67 drops
# the sidebar of an st.navigation app after a widget rerun, so it cannot click it.


def test_no_runs_is_explained(empty_runs_root):
    at = app().run()
    assert not at.exception
    assert "No runs yet" in at.sidebar.info[0].value


def test_a_link_to_a_run_that_does_not_exist_says_so_and_offers_the_runs(runs_root):
    at = app()
    at.query_params["run"] = "no-such-run"
    at.run()
    assert not at.exception
    assert "There is no run named **no-such-run**" in at.error[0].value
    assert at.query_params["run"] == "no-such-run", "never silently replaced by another run"
    assert not at.sidebar.selectbox, "no other run's pages under the name that was asked for"
    offered = [b.label for b in at.button]
    assert {"mnist5k-2d", "fashion-2d"} <= set(offered)
    # clicking one is tested in Chromium (tests/e2e/test_offline_and_log.py): see above


def test_the_draw_entry_names_what_the_active_runs_images_are(runs_root):
    from ui.forms.draw import draw_title
    assert draw_title("mnist-5k") == draw_title("digits") == "Draw a digit"
    assert draw_title("fashion-mnist") == draw_title("folder") == draw_title(None) == "Draw an input"
    for run, title in (("mnist5k-2d", "Draw a digit"), ("fashion-2d", "Draw an input")):
        at = app()
        at.query_params["run"] = run
        at.run()
        assert not at.exception
        titles = {p["page_name"] for p in at._registered_pages.values()}  # the sidebar's entries
        assert title in titles and not ({"Draw a digit", "Draw an input"} - {title}) & titles


def _python(code: str, **env: str) -> str:
    """Run `code` in a fresh Python in the project (nothing imported yet); its stdout, stripped."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=PROJECT, timeout=300, env={**os.environ, **env})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.slow
def test_pytorch_and_scikit_learn_are_imported_after_the_first_page_not_before():
    """The landing page needs neither PyTorch nor scikit-learn (its numbers are kept on disk); the
    other pages find them imported, by a thread started after the first page."""
    code = ("import sys, threading\n"
            "import ui.warm as w\n"
            "assert not {'sklearn', 'torch'} & set(sys.modules)\n"
            "w.IDLE_AFTER_FIRST_PAGE_S = 0\n"
            "w.after_first_page(); w.after_first_page()\n"
            "later = [t for t in threading.enumerate() if t.name == 'warm-later']\n"
            "assert len(later) == 1, later\n"
            "later[0].join(120)\n"
            "print('sklearn.linear_model' in sys.modules, 'torch' in sys.modules)\n")
    assert _python(code) == "True True"


def test_the_warm_up_builds_plotly_figures_without_waiting_for_pytorch():
    """ui.serve's warm-up builds the Latent page's figures holding PLOTLY_FIRST_USE, and the first
    page's hidden chart (which makes the browser fetch Plotly early) waits for that lock: that part
    must not import PyTorch (1-2 s on two busy cores)."""
    code = ("import sys\n"
            "from ui.serve import warm_plotly\n"
            "warm_plotly()\n"
            "print(sorted({'plotly', 'pandas', 'torch'} & set(sys.modules)))\n")
    assert _python(code) == "['pandas', 'plotly']"


def test_the_warm_up_leaves_the_collector_on_and_what_it_loaded_frozen(shipped_root):
    """ui.serve's warm-up turns the garbage collector off while it imports; it must turn it back
    on, even when the default run cannot be read, and freeze what it loaded."""
    code = ("import gc\n"
            "from ui.serve import warm_up\n"
            "warm_up()\n"
            "print(gc.isenabled(), gc.get_freeze_count() > 100_000)\n")
    for root in (shipped_root, shipped_root / "no-such-folder"):
        assert _python(code, VAE_RUNS_ROOT=str(root)) == "True True", root


@pytest.mark.slow
def test_the_first_page_draws_without_pytorch_once_its_numbers_are_kept(shipped_root, tmp_path):
    """The landing page (Latent space) reads the test set's encoding, its summary, the plane and
    the 5-NN accuracy from the disk cache (vae.derived): a server started later draws it without
    importing PyTorch (about a second of two busy cores), and its warm-up leaves PyTorch for after
    the first page. Where nothing is kept, the warm-up imports PyTorch ahead of the page."""
    env = {"VAE_RUNS_ROOT": str(shipped_root), "VAE_CACHE_DIR": str(tmp_path / "cache")}
    # a server's warm-up, then its first page, each time in a fresh interpreter
    code = ("import sys\n"
            "from ui.serve import _warm_up\n"
            "_warm_up()\n"
            "warmed = 'torch' in sys.modules\n"
            "from streamlit.testing.v1 import AppTest\n"
            "at = AppTest.from_file('dashboard.py', default_timeout=240)\n"
            "at.query_params['run'] = 'mnist5k-2d'\n"
            "at.run()\n"
            "assert not at.exception, [e.value for e in at.exception]\n"
            "assert [t.value for t in at.title] == ['Latent space'], at.title\n"
            "assert any('latent_scatter' in c.proto.id for c in at.get('plotly_chart'))\n"
            "print(warmed, 'torch' in sys.modules)\n")
    # nothing kept: the warm-up loads PyTorch ahead of the page, which encodes the test set
    assert _python(code, **env) == "True True"
    # a later server: neither its warm-up nor its first page imports PyTorch
    assert _python(code, **env) == "False False"


def test_the_run_box_reads_a_run_from_an_older_label_of_it():
    """The browser sends back the label the box shows; after the run's state changed, that label
    is no longer an option and Streamlit hands it over as it is (tests/e2e/test_train.py stops a
    run and the sidebar stays on it)."""
    from ui.cache.runs import picked_run
    from vae.run import NAME_RE
    assert picked_run("e2e-tiny · running") == "e2e-tiny"
    assert picked_run("config-deep · damaged") == "config-deep"
    assert picked_run("mnist5k-2d") == "mnist5k-2d"
    assert not NAME_RE.fullmatch("a · b"), "a run name can never hold the separator"
