"""Uploads in Chromium. Runs page: a run .zip is listed and becomes the active run; a hostile one shows
one message and leaves the runs folder as it was. Train page: a .zip of your images trains; a
one-class one is refused in words and nothing is kept."""
import io
import zipfile

import pytest
from playwright.sync_api import expect

from tests.conftest import _copy_runs
from tests.e2e.conftest import assert_no_exception, open_page, serve, wait_for_app
from tests.image_fixtures import colour_folder, sample_patches, write_folder, zip_folder
from vae.archive import import_run, pack_run
from vae.run import DEFAULT_ROOT, RunDir


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
    # the import reads and checks every snapshot: generous on a loaded 2-core machine
    expect(page.get_by_text("as run mnist5k-2d-ae; it is now the active run")).to_be_visible(
        timeout=120_000)
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
    expect(alert).to_have_count(1, timeout=60_000)  # a loaded machine; refused before unpacking
    expect(alert).to_contain_text("evil.zip was not imported")
    expect(alert).to_contain_text("'..'")
    assert_no_exception(page)
    assert sorted(p.name for p in root.iterdir()) == before
    assert not (root.parent / "escaped.txt").exists()


def start_with_zip(page, url: str, name: str, data: bytes, run_name: str) -> None:
    open_page(page, url, "train", "run=mnist5k-2d")
    page.get_by_text("Start a new run").click()
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/zip", "buffer": data})
    expect(page.get_by_text(name)).to_be_visible(timeout=30_000)  # the upload reached the server
    page.get_by_role("textbox", name="Epochs", exact=True).fill("1")  # typed as text
    page.get_by_role("textbox", name="Run name (optional)").fill(run_name)
    page.get_by_role("button", name="Start training").click()
    wait_for_app(page)


def test_train_page_refuses_a_one_class_zip_in_words_and_keeps_nothing(page, served, tmp_path):
    url, root = served
    one_class = zip_folder(write_folder(tmp_path / "one", {"china": sample_patches(8)["china"]}))
    start_with_zip(page, url, "one-class.zip", one_class, "never")
    alert = page.locator("[data-testid=stAlertContentError]")
    expect(alert).to_have_count(1, timeout=60_000)  # the images are read first: a loaded machine
    expect(alert).to_contain_text("one-class.zip was not used")
    expect(alert).to_contain_text("one class only")
    assert_no_exception(page)
    assert not (root / "never").exists()
    assert not any((root / ".datasets").glob("*")) if (root / ".datasets").exists() else True


def test_train_page_trains_on_an_uploaded_zip_of_colour_photos(page, served, tmp_path):
    url, root = served
    photos = zip_folder(colour_folder(tmp_path / "photos", per_class=10), top="photos")
    start_with_zip(page, url, "photos.zip", photos, "from-zip")
    assert_no_exception(page)
    run = RunDir(root / "from-zip")
    expect(page.get_by_role("heading", name="Run from-zip")).to_have_count(1, timeout=60_000)
    # the trainer is its own process: wait for the page to say it finished (1 epoch of 16 images)
    expect(page.get_by_text("Finished 1 epoch;")).to_be_visible(timeout=120_000)  # singular
    _, train_cfg = run.read_config()
    assert train_cfg.dataset == "folder"
    assert train_cfg.data_dir.startswith(str(root / ".datasets" / "photos-"))
    assert run.load_model().config.image_shape == (3, 16, 16)


def test_whole_run_download_is_a_zip_that_imports(page, served, tmp_path):
    url, _ = served
    open_page(page, url, "runs", "run=mnist5k-2d")
    with page.expect_download(timeout=120_000) as download:  # packed on click: 26 MB
        page.get_by_role("button", name="Whole run (.zip)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "mnist5k-2d.zip"
    imported = import_run(path, tmp_path / "elsewhere")
    assert imported.run.name == "mnist5k-2d"
    assert imported.run.snapshot_epochs() == RunDir(DEFAULT_ROOT / "mnist5k-2d").snapshot_epochs()


def test_the_runs_files_are_read_when_their_button_is_clicked(fresh_page, served, tmp_path):
    """Weights, config and metrics are offered on every Runs visit but sent only when clicked:
    sent with the page, the browser fetched the weights (megabytes, gzipped by the server) on
    every visit."""
    page = fresh_page
    url, root = served
    fetched = []
    page.on("response", lambda r: fetched.append(r.url) if "/media/" in r.url else None)
    open_page(page, url, "runs", "run=mnist5k-2d")
    expect(page.get_by_role("button", name="Metrics (CSV)")).to_be_visible()
    assert not [u for u in fetched if u.endswith((".bin", ".json", ".csv"))], fetched
    run = RunDir(root / "mnist5k-2d")
    got = {}
    for name in ("Weights (model.safetensors)", "Config (config.json)", "Metrics (CSV)"):
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name=name).click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        got[path.name] = path.read_bytes()
    assert got["mnist5k-2d.safetensors"] == run.weights_file.read_bytes()
    assert got["mnist5k-2d-config.json"] == run.config_file.read_bytes()
    header, *rows = got["mnist5k-2d-metrics.csv"].decode().splitlines()
    assert header.startswith("step") or "step" in header.split(",")
    assert len(rows) == sum(1 for line in run.metrics_file.read_text().splitlines() if line.strip())
