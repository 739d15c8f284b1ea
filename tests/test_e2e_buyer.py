"""Every public page in a real browser at a phone's and a desktop's width: nothing wider than a 360 px
screen, no serious or critical axe-core finding, and the directory keeping the buyer's place after a filter
is ticked. Debian's Chromium through Playwright, against the sample data served on 127.0.0.1; axe-core
comes bundled with the axe-playwright-python package (nothing is fetched).
"""

import re

import pytest
from sqlalchemy import select

# Importing the browser module skips this one too, with its reason, where Chromium or Playwright is missing.
from tests.test_e2e_browser import (  # noqa: F401  (fixtures are used by name)
    DESKTOP_1366,
    NARROW_360,
    PHONE,
    SERIOUS,
    browser,
    expect,
    open_page,
    site,
    vendor_with_most_shores,
)
from vendors.catalog.models import Vendor
from vendors.extensions import db

axe_playwright = pytest.importorskip(
    "axe_playwright_python.sync_playwright", reason="the dev extra installs it"
)


# Moderate findings no page may have either: two regions of one page alike in name cannot be told apart.
ALSO_REFUSED = {"landmark-unique"}


def public_pages(app) -> list[str]:
    vendor = vendor_with_most_shores(app)
    return [
        "/",
        "/vendors",
        "/vendors?q=medical+billing",
        "/vendors?q=nearshore+billing&buyer_country=US",
        "/vendors?q=zzqxv",
        "/vendors?q=lenders+zzqxv",
        f"/vendors/{vendor.slug}",
        "/estimate",
        "/estimate?headcount=10&salary=42000&hourly_rate=12",
        f"/estimate?vendor={vendor.slug}",
        "/shortlist",
        "/compare",
        f"/compare?vendor={vendor.slug}&vendor={another_vendor(app, vendor.slug)}",
        "/inquiry",
        "/submit",
        "/admin/login",
        "/api",
        "/no-such-page",
    ]


def another_vendor(app, slug: str) -> str:
    with app.app_context():
        published = select(Vendor.slug).where(Vendor.status == "published", Vendor.slug != slug)
        return db.session.scalars(published.order_by(Vendor.slug).limit(1)).one()


def width_problems(page) -> str:
    """The widest elements when the page is wider than the window, for a readable failure."""
    return page.evaluate(
        """() => {
            if (document.documentElement.scrollWidth <= window.innerWidth) return "";
            const wide = [...document.querySelectorAll("body *")]
                .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
            return `${document.documentElement.scrollWidth}px wide: ${wide.join(", ")}`;
        }"""
    )


@pytest.mark.parametrize("viewport", [NARROW_360, PHONE, DESKTOP_1366], ids=["360", "390", "1366"])
def test_no_page_is_wider_than_the_screen(site, open_page, viewport):  # noqa: F811
    base, app = site
    page = open_page(viewport=viewport)
    for path in public_pages(app):
        page.goto(base + path)
        assert width_problems(page) == "", f"{path} at {viewport['width']} px"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP_1366], ids=["390", "1366"])
def test_axe_finds_no_serious_or_critical_problem_on_any_page(site, open_page, viewport):  # noqa: F811
    base, app = site
    page = open_page(viewport=viewport)
    axe = axe_playwright.Axe()
    found = {}
    for path in public_pages(app):
        page.goto(base + path)
        violations = axe.run(page).response["violations"]
        serious = [
            f"{v['id']} ({len(v['nodes'])}): {v['nodes'][0]['target']}"
            for v in violations
            if v["impact"] in SERIOUS or v["id"] in ALSO_REFUSED
        ]
        if serious:
            found[path] = serious
    assert found == {}


def on_screen(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 80) <= height


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP_1366], ids=["390", "1366"])
def test_after_a_filter_tick_the_result_count_and_first_result_are_on_screen(
    site,  # noqa: F811
    open_page,  # noqa: F811
    viewport,
    javascript,
):
    base, _ = site
    page = open_page(viewport=viewport, javascript=javascript)
    page.goto(base + "/vendors")
    box = page.locator("#specialisation-healthcare")
    if not box.is_visible():  # on a phone the filters are folded away
        page.locator("#filter-panel > summary").click()
    box.scroll_into_view_if_needed()
    if javascript:
        with page.expect_navigation():
            box.check()
    else:
        box.check()
        with page.expect_navigation():
            page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results-heading")).to_contain_text("vendor")
    assert on_screen(page, "#results-heading"), "the result count is off screen"
    assert on_screen(page, "ol.vendor-list > li"), "the first result is off screen"


def test_with_javascript_a_tick_updates_the_page_in_place_and_back_returns(site, open_page):  # noqa: F811
    base, _ = site
    page = open_page(viewport=DESKTOP_1366)
    page.goto(base + "/vendors")
    before = page.locator("#results-heading").inner_text()
    page.evaluate("window.stillThisPage = true")
    page.locator("#specialisation-healthcare").check()
    expect(page).to_have_url(re.compile(r"specialisation=healthcare"))
    expect(page.locator("#results-heading")).not_to_have_text(before)
    assert page.evaluate("window.stillThisPage === true"), "the page was reloaded, not updated in place"
    assert "shown_" not in page.url, "the address the server settled on, without the form's bookkeeping"
    expect(page.locator("#specialisation-healthcare")).to_be_focused()
    page.go_back()
    expect(page.locator("#results-heading")).to_have_text(before)
    expect(page.locator("#specialisation-healthcare")).not_to_be_checked()


def test_long_facet_lists_show_the_common_values_then_all_and_filter_as_you_type(site, open_page):  # noqa: F811
    base, _ = site
    page = open_page(viewport=DESKTOP_1366)
    page.goto(base + "/vendors")
    countries = page.locator("#facet-country")
    common = countries.locator(".common-values li")
    assert 1 <= common.count() <= 6
    counts = [int(text) for text in common.locator(".count").all_inner_texts()]
    assert counts == sorted(counts, reverse=True), "the most common first"
    rest = countries.locator("details.all-values li")
    expect(rest.first).to_be_hidden()
    countries.locator(".facet-filter").fill("Colom")
    visible = [item.inner_text().split("\n")[0].strip() for item in rest.all() if item.is_visible()]
    shown_first = " ".join(common.all_inner_texts())
    assert visible == (["Colombia"] if "Colombia" not in shown_first else [])
    countries.locator(".facet-filter").fill("")
    expect(rest.first).to_be_visible()  # the list was opened by typing and shows everything again
    for label in page.locator(".facet label").all():
        if label.is_visible():
            assert label.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), label.inner_text()


def test_on_a_phone_a_vendor_page_shows_its_rate_and_the_estimate_action_first(site, open_page):  # noqa: F811
    base, app = site
    vendor = vendor_with_most_shores(app)
    page = open_page(viewport=PHONE)
    page.goto(f"{base}/vendors/{vendor.slug}")
    assert on_screen(page, ".rate-box .rate"), "the rate is below the first screen"
    assert on_screen(page, ".rate-box .button"), "the estimate action is below the first screen"
    update = page.locator(".vendor-facts form button[type=submit]")
    assert update.count() == 1 and not update.is_visible(), "choosing a country updates the page by itself"
    before = page.locator(".delivery").inner_text()
    with page.expect_navigation():
        page.get_by_label("Shore seen from").select_option("AU")
    expect(page).to_have_url(re.compile(r"buyer_country=AU"))
    assert page.locator(".delivery").inner_text() != before or "AU" in page.url


@pytest.mark.parametrize("start", ["/", "/vendors"])
def test_choosing_a_suggested_name_opens_the_vendors_page(site, open_page, start):  # noqa: F811
    base, app = site
    vendor = vendor_with_most_shores(app)
    page = open_page(viewport=DESKTOP_1366)
    page.goto(base + start)
    box = page.locator("input[data-suggest-url]")
    with page.expect_response(lambda response: "/api/v1/suggest" in response.url):
        box.fill(vendor.name[:5])
    page.wait_for_function("document.querySelectorAll('datalist option').length > 0")
    # Picking from the list replaces the typed text with the whole name, as the browser does.
    with page.expect_navigation():
        box.evaluate(
            "(input, name) => { input.value = name; input.dispatchEvent(new InputEvent('input', "
            "{bubbles: true, inputType: 'insertReplacementText'})); }",
            vendor.name,
        )
    expect(page).to_have_url(re.compile(rf"/vendors/{vendor.slug}$"))
