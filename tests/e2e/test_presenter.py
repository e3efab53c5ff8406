"""One pass through Presenter mode in Chromium: the three steps, the sub-steps, an SVG and a PNG
export."""
from playwright.sync_api import expect

from tests.e2e.conftest import CHARTS, assert_no_exception, open_page, wait_for_app


def _click(page, name: str, shows: str) -> None:
    """Click, then wait for the click's effect (the text it brings) and for the rerun to end:
    an event, not a pause (the rerun may not have started when the click returns)."""
    page.get_by_role("button", name=name).click()
    expect(page.locator("[data-testid=stMain]").get_by_text(shows)).to_be_visible()
    wait_for_app(page)


def test_guided_sequence(page, app_url, tmp_path):
    open_page(page, app_url, "presenter", "run=mnist5k-2d")
    assert_no_exception(page)
    main = page.locator("[data-testid=stMain]")
    expect(main.get_by_text("An autoencoder compresses. A VAE can also generate.")).to_be_visible()
    expect(main.locator("[data-testid=stImage]")).to_have_count(2)
    # the two planes are drawn from numbers (ui/components/z_cloud.js), each with its download
    planes = main.locator("[class*='st-key-presenter_latent_'] .vae-zc[data-ready='1']")
    expect(planes).to_have_count(2)
    with page.expect_download() as download:
        planes.nth(1).get_by_role("button", name="Download SVG").click()
    assert download.value.suggested_filename == "mnist5k-16d-beta1-codes.svg"
    svg = tmp_path / "codes.svg"
    download.value.save_as(svg)
    assert svg.read_text().count('class="code"') == 1000, "every test code is in the file"
    with page.expect_download() as download:
        main.get_by_role("button", name="PNG: prior samples").first.click()
    path = tmp_path / "prior.png"
    download.value.save_as(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "the export is a PNG"

    _click(page, "Next", "Raise beta and the code collapses")
    assert_no_exception(page)
    expect(main.locator(CHARTS)).to_have_count(2)  # the plane and the active units

    _click(page, "Next", "The reparameterization, one step at a time")
    assert_no_exception(page)
    parts = main.locator(".st-key-presenter_substep button")
    expect(parts).to_have_count(4)  # one button per part, its label inside it
    titles = ("1 · The input", "2 · The noise", "3 · The code", "4 · The decodes")
    for i in (1, 2, 3):
        parts.nth(i).click()
        # exact: the steps' own buttons above say "3 · The reparameterization", so a match on
        # "3 · The" passed before the click's part was drawn, and failed once it was
        expect(main.get_by_text(titles[i], exact=True)).to_have_count(1)
        wait_for_app(page)
    assert_no_exception(page)
    for title in titles:
        expect(main.get_by_text(title), f"{title} is not shown at the last sub-step").to_be_visible()
    # the code's plane: mu, its 1-sigma ellipse and the 8 z, drawn from numbers
    zoom = main.locator(".st-key-presenter_reparam .vae-zc[data-ready='1']")
    expect(zoom).to_have_attribute("data-n", "8")
    expect(main.locator(CHARTS)).to_have_count(0)
    assert page.get_by_role("button", name="Next").is_disabled()


HEADERS = ["An autoencoder compresses. A VAE can also generate.",
           "Raise beta and the code collapses", "The reparameterization, one step at a time"]


def _press(page, key: str) -> None:
    page.keyboard.press(key)
    wait_for_app(page)


def test_keys_move_between_steps_and_labels_fit(page, app_url):
    open_page(page, app_url, "presenter", "run=mnist5k-2d")
    main = page.locator("[data-testid=stMain]")
    expect(main.get_by_text(HEADERS[0])).to_be_visible()
    labels = main.locator("[data-testid=stButtonGroup] button")
    expect(labels).to_have_count(3)
    for i in range(3):  # at 1400 px every step label is whole, not clipped
        fits = labels.nth(i).evaluate(
            "b => [...b.querySelectorAll('*')].every(e => e.scrollWidth <= e.clientWidth + 1)"
            " && b.scrollWidth <= b.clientWidth + 1")
        assert fits, f"step label {i + 1} is clipped"
    page.locator("h1").first.click()  # focus the page, not a widget: keys are the deck's
    for key, shown in (("ArrowRight", 1), ("PageDown", 2), ("ArrowLeft", 1), ("PageUp", 0),
                       ("Space", 1), ("Shift+Space", 0)):
        _press(page, key)
        expect(main.get_by_text(HEADERS[shown]), f"{key} should show step {shown + 1}"
               ).to_be_visible()
        assert_no_exception(page)
    _press(page, "ArrowLeft")  # the first step stays the first
    expect(main.get_by_text(HEADERS[0])).to_be_visible()
