"""One lock for Plotly's first use in the server process, and imports left for after the first
page.

Plotly builds its trace classes on first use, looking modules up in sys.modules outside the import
lock; two threads doing that at once can meet a half-built module. ui.serve's warm-up thread builds
its first figures holding this lock, and the dashboard's first chart waits for it (at once when
there is no warm-up, as under a bare `streamlit run dashboard.py`).

The landing page needs no scikit-learn when its numbers are kept on disk (vae.derived), but the
explanation page, Generate and Rate and distortion read images with a pixel classifier, and
importing scikit-learn takes 1.4 s. `after_first_page` imports it in a thread once the first page
has been drawn and the server is idle, so a visitor's next page finds it imported."""
import threading
import time

PLOTLY_FIRST_USE = threading.Lock()
IDLE_AFTER_FIRST_PAGE_S = 0.3  # the browser draws the first page on the other core
_later = threading.Event()


def after_first_page() -> None:
    """Start, once per server process, the imports other pages need (no st.* in that thread)."""
    if _later.is_set():
        return
    _later.set()
    threading.Thread(target=_import_later, name="warm-later", daemon=True).start()


def _import_later() -> None:
    time.sleep(IDLE_AFTER_FIRST_PAGE_S)
    import sklearn.decomposition  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.neighbors  # noqa: F401
    import sklearn.pipeline  # noqa: F401
