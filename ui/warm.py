"""One lock for Plotly's first use in the server process, and imports left for after the first
page.

Plotly builds its trace classes on first use, looking modules up in sys.modules outside the import
lock; two threads doing that at once can meet a half-built module. ui.serve's warm-up thread builds
its first figures holding this lock, and the dashboard's first chart waits for it (at once when
there is no warm-up, as under a bare `streamlit run dashboard.py`).

The landing page needs neither PyTorch nor scikit-learn when its numbers are kept on disk
(vae.derived), but every other page loads a model, and the explanation page, Generate and Rate and
distortion read images with a pixel classifier: importing PyTorch takes about a second, and
scikit-learn 1.4 s. `after_first_page` imports both in a thread once the first page's script has
run, so a visitor's next page finds them imported."""
import threading
import time

PLOTLY_FIRST_USE = threading.Lock()
# After the first page's script the browser still draws it (Plotly's first use: 1-2 s of CPU on
# two cores), and PyTorch's import beside it slows that. Waiting 2 s made the first chart 0.3-0.8 s
# sooner, but a page clicked at once then waited for the import: 1.3 s -> 2.8 s (bench/README.md).
IDLE_AFTER_FIRST_PAGE_S = 0.3
_later = threading.Event()


def after_first_page() -> None:
    """Start, once per server process, the imports other pages need (no st.* in that thread)."""
    if _later.is_set():
        return
    _later.set()
    threading.Thread(target=_import_later, name="warm-later", daemon=True).start()


def _import_later() -> None:
    time.sleep(IDLE_AFTER_FIRST_PAGE_S)
    import vae.explain  # noqa: F401  PyTorch and the model: the first page may have drawn without
    import sklearn.decomposition  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.neighbors  # noqa: F401
    import sklearn.pipeline  # noqa: F401
