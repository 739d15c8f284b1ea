"""The directory's filter panel in a real browser: beside the results on a wide screen, where it keeps its
place and scrolls on its own, and on a phone without JavaScript, where it is folded away again after the
form is sent. Same set-up as test_e2e_browser.py, whose fixtures these tests use."""

import re

# Importing the browser module skips this one too, with its reason, where Chromium or Playwright is missing.
from tests.test_e2e_browser import (  # noqa: F401  (fixtures are used by name)
    DESKTOP,
    PHONE,
    browser,
    expect,
    open_page,
    results_count,
    site,
)

REM = 16  # px: the filters' distance from the top of the window once the page has scrolled (top: 1rem)


def box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def test_on_a_wide_screen_the_filters_stay_beside_the_results_and_scroll_on_their_own(site, open_page):  # noqa: F811
    base, _ = site
    page = open_page(viewport=DESKTOP)
    page.goto(base + "/vendors")
    expect(page.locator("#shore-offshore")).to_be_visible()
    filters, results = box(page, "#filters"), box(page, "#results")
    assert filters["x"] + filters["width"] <= results["x"], "the filters are beside the results"

    # Scrolling the results down the page leaves the filters where they were, in full view.
    page.mouse.move(results["x"] + 200, 500)
    page.mouse.wheel(0, 1500)
    page.wait_for_function("() => window.scrollY >= 1500")
    assert box(page, "#results-heading")["y"] < 0, "the results scrolled"
    filters = box(page, "#filters")
    assert abs(filters["y"] - REM) <= 1
    assert filters["y"] + filters["height"] <= DESKTOP["height"] - REM + 1

    # The filters are longer than the window; the wheel over them scrolls them, not the results.
    scrolled = page.evaluate("window.scrollY")
    assert page.locator("#filters").evaluate("form => form.scrollHeight > form.clientHeight")
    page.mouse.move(filters["x"] + filters["width"] / 2, 400)
    page.mouse.wheel(0, 300)
    page.wait_for_function("form => form.scrollTop >= 300", arg=page.locator("#filters").element_handle())
    assert page.evaluate("window.scrollY") == scrolled, "the results did not move"
    assert abs(box(page, "#filters")["y"] - REM) <= 1


def test_on_a_phone_without_javascript_the_form_lands_on_the_results_with_the_filters_folded(site, open_page):  # noqa: F811
    base, _ = site
    page = open_page(viewport=PHONE, javascript=False)
    page.goto(base + "/vendors")
    everyone = results_count(page)
    offshore = page.locator("#shore-offshore")
    expect(offshore).to_be_hidden()
    page.locator("#filter-panel > summary").click()
    expect(offshore).to_be_visible()
    offshore.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"[?&]shore=offshore(&.*)?#results$"))
    assert 0 < results_count(page) < everyone
    expect(page.locator("#results-heading")).to_be_in_viewport()
    expect(offshore).to_be_hidden()  # folded away again
    expect(page.locator("#filter-panel")).not_to_have_attribute("open", re.compile(".*"))
    expect(page.locator("#filter-panel > summary")).to_contain_text("1 active")
    page.locator("#filter-panel > summary").click()
    expect(offshore).to_be_checked()
