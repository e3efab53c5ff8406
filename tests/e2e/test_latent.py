"""The Latent space page in real Chromium: the posterior scatter, and a box selection's images."""
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception, open_page, wait_for_app

CHART = ".st-key-latent_scatter .js-plotly-plot"

# Where plotly drew the point of largest mu_0 (an isolated digit at the scatter's right edge): its
# test-set index and its pixel position on the page, from the figure's own axes.
FIND_POINT = """(gd) => {
    const rect = gd.getBoundingClientRect();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    let best = null;
    for (const t of gd._fullData) {
        if (t.type !== 'scattergl' || t.mode !== 'markers') continue;
        for (let i = 0; i < t.x.length; i++) {
            if (best === null || t.x[i] > best.x)
                best = {x: t.x[i], y: t.y[i], id: t.customdata[i]};
        }
    }
    return {id: Number(best.id),
            px: rect.left + xa._offset + xa.d2p(best.x),
            py: rect.top + ya._offset + ya.d2p(best.y)};
}"""

COUNT_POINTS = """(gd) => gd._fullData.filter(t => t.type === 'scattergl' && t.mode === 'markers')
                              .reduce((n, t) => n + t.x.length, 0)"""


def test_default_page_draws_the_posterior_scatter(page, app_url):
    open_page(page, app_url, "", "run=mnist5k-2d")
    assert_no_exception(page)
    chart = page.locator(CHART)
    chart.wait_for()
    assert chart.evaluate(COUNT_POINTS) == 1000, "every MNIST 5k test image is a point"
    assert chart.locator("canvas").count() > 0, "the points are drawn with WebGL"
    legend = chart.locator(".legend").text_content()
    assert all(d in legend for d in "0123456789") and "prior" in legend


def test_box_select_shows_the_selected_images(page, app_url):
    open_page(page, app_url, "", "run=mnist5k-2d")
    chart = page.locator(CHART)
    chart.hover()
    chart.locator(".modebar-btn[data-title='Box Select']").click()
    target = chart.evaluate(FIND_POINT)
    page.mouse.move(target["px"] - 6, target["py"] - 6)
    page.mouse.down()
    page.mouse.move(target["px"], target["py"], steps=4)
    page.mouse.move(target["px"] + 6, target["py"] + 6, steps=4)
    page.mouse.up()
    # The selection reruns the script; wait for its result, not for words already on the page.
    shown = page.locator("[data-testid=stImage]").filter(has_text=f"#{target['id']} ")
    expect(shown, f"the selected point #{target['id']} should show its images").not_to_have_count(0)
    wait_for_app(page)
    assert_no_exception(page)
    image = page.locator("[data-testid=stImage] img").first
    width = image.evaluate("img => img.complete && img.naturalWidth ? img.naturalWidth : "
                           "new Promise(done => img.onload = () => done(img.naturalWidth))")
    assert width >= 5 * 28 * 2, \
        "a row of five upscaled images: x, decode(mu), three decodes of z ~ q(z|x)"
