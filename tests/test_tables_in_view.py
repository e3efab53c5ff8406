"""Every row of a page's tables is in view: Streamlit's default height shows about ten rows and
scrolls the rest, so the β table hid β = 32 (its one collapsed run, named in the sentence above
it), a 16-D run's tables hid z8-z15 and Compare's per-class table its "all" row."""
import pytest
import streamlit

from tests.conftest import run_page
from ui.style import table_height


@pytest.fixture
def heights(monkeypatch):
    seen = []
    original = streamlit.dataframe

    def record(data=None, *args, **kwargs):
        seen.append((len(data), kwargs.get("height", "auto")))
        return original(data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "dataframe", record)
    return seen


@pytest.mark.parametrize("page, run, state", [
    ("explain", "mnist5k-16d-beta1", {}),
    ("compare", "mnist5k-2d", {"compare_b": "mnist5k-2d-ae"}),
    ("reconstructions", "mnist5k-2d", {}),
])
def test_every_row_of_every_table_is_in_view(runs_root, heights, page, run, state):
    run_page(page, run, state=state)
    assert heights, "the page drew no table"
    for rows, height in heights:
        assert height == "content" or (isinstance(height, int) and height >= table_height(rows)), \
            f"a table of {rows} rows drawn {height} px high"
    if page == "explain":
        assert (9, table_height(9)) in heights, "the β family's nine runs, β = 32 included"
        assert any(rows == 16 for rows, _ in heights), "a 16-D run's table of its dims"
