"""One lock for Plotly's first use in the server process.

Plotly builds its trace classes on first use, looking modules up in sys.modules outside the import
lock; two threads doing that at once can meet a half-built module. ui.serve's warm-up thread builds
its first figures holding this lock, and the dashboard's first chart waits for it (at once when
there is no warm-up, as under a bare `streamlit run dashboard.py`)."""
import threading

PLOTLY_FIRST_USE = threading.Lock()
