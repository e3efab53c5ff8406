"""Serve the dashboard: `python -m ui.serve [streamlit options]` (what `make run` does).

Streamlit 1.67 treats a folder named pages/ beside the entry script as an old-style (v1) multipage
app until the entry script has run once and called st.navigation; a first visit straight to, say,
/train would run pages/train.py alone, without the navigation and the sidebar. The app uses
st.navigation, so say so before the server starts.
"""
import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard.py"

if __name__ == "__main__":
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(DASHBOARD), *sys.argv[1:]]
    sys.exit(cli.main())
