"""Import a run as a .zip on the Runs page in Chromium: a good one is listed and becomes the active
run; a hostile one shows one message and leaves the runs folder as it was."""
import io
import zipfile

import pytest
from playwright.sync_api import expect

from tests.conftest import _copy_runs
from tests.e2e.conftest import assert_no_exception, open_page, serve, wait_for_app
from vae.archive import pack_run
from vae.runs import DEFAULT_ROOT, RunDir


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A dashboard of its own over a root holding mnist5k-2d only: the imports change its root."""
    root = _copy_runs(tmp_path_factory.mktemp("upload-runs"), ["mnist5k-2d"])
    with serve(root) as url:
        yield url, root


def upload(page, url: str, name: str, data: bytes) -> None:
    open_page(page, url, "runs", "run=mnist5k-2d")
    page.get_by_text("Import a run (.zip)").click()
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/zip", "buffer": data})


def test_a_run_zip_is_imported_listed_and_made_active(page, served):
    url, root = served
    upload(page, url, "colleague.zip", pack_run(RunDir(DEFAULT_ROOT / "mnist5k-2d-ae")))
    expect(page.get_by_text("as run mnist5k-2d-ae; it is now the active run")).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Run mnist5k-2d-ae")).to_have_count(1)
    assert page.get_by_role("combobox", name="Active run").input_value() == "mnist5k-2d-ae"
    assert (root / "mnist5k-2d-ae" / "model.safetensors").exists()
    # the run opens on a page that draws it
    open_page(page, url, "", "run=mnist5k-2d-ae")
    assert_no_exception(page)


def test_a_hostile_zip_gets_one_message_and_leaves_nothing(page, served):
    url, root = served
    before = sorted(p.name for p in root.iterdir())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted((DEFAULT_ROOT / "mnist5k-2d-ae").glob("*.json")):
            zf.write(path, f"evil/{path.name}")
        zf.writestr("evil/../../escaped.txt", "outside the runs root")
    upload(page, url, "evil.zip", buf.getvalue())
    alert = page.locator("[data-testid=stAlertContentError]")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("evil.zip was not imported")
    expect(alert).to_contain_text("'..'")
    assert_no_exception(page)
    assert sorted(p.name for p in root.iterdir()) == before
    assert not (root.parent / "escaped.txt").exists()
